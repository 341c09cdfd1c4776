// Package providertest holds helpers for testing the built-in providers
// without the engine: a Recorder that implements provider.Sink and keeps
// everything a provider sends, Exec to run one call to completion, and
// CheckFor to poll for a condition instead of sleeping.
//
// It plays the role net/http/httptest plays for handlers; it is internal
// because the project's public test kit (cimtest) belongs elsewhere.
package providertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/wbem"
)

// ProgressReport is one call of Sink.Progress.
type ProgressReport struct {
	Current, Total uint16
	Message        string
}

// Recorder is a provider.Sink that records what the provider sends. It
// is safe for concurrent use. Unlike the engine's sink it does not drop
// late calls: it counts them, so that tests can check the provider keeps
// the sink contract (one final status, nothing after it).
type Recorder struct {
	mu       sync.Mutex
	objects  []*cim.Instance
	progress []ProgressReport
	statuses int
	late     int // Indicate or Progress after the final status
	err      error
	done     chan struct{}
}

var _ provider.Sink = (*Recorder)(nil)

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{done: make(chan struct{})} }

// Indicate implements provider.Sink.
func (r *Recorder) Indicate(objs ...*cim.Instance) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.statuses > 0 {
		r.late++
	}
	r.objects = append(r.objects, objs...)
	return nil
}

// Progress implements provider.Sink.
func (r *Recorder) Progress(current, total uint16, message string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.statuses > 0 {
		r.late++
	}
	r.progress = append(r.progress, ProgressReport{current, total, message})
	return nil
}

// SetStatus implements provider.Sink. The first call is the final status;
// later ones are only counted.
func (r *Recorder) SetStatus(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses++
	if r.statuses == 1 {
		r.err = err
		close(r.done)
	}
}

// Done is closed by the first SetStatus.
func (r *Recorder) Done() <-chan struct{} { return r.done }

// Err returns the final status (nil before SetStatus and on success).
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Objects returns the indicated objects.
func (r *Recorder) Objects() []*cim.Instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*cim.Instance(nil), r.objects...)
}

// ProgressReports returns the progress reports received.
func (r *Recorder) ProgressReports() []ProgressReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ProgressReport(nil), r.progress...)
}

// Violations describes breaches of the sink contract seen so far (more
// than one SetStatus, callbacks after it), or returns nil.
func (r *Recorder) Violations() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	if r.statuses > 1 {
		errs = append(errs, fmt.Errorf("SetStatus called %d times", r.statuses))
	}
	if r.late > 0 {
		errs = append(errs, fmt.Errorf("%d callbacks after the final status", r.late))
	}
	return errors.Join(errs...)
}

// ErrTimeout is returned by Exec when the provider did not finish in time.
var ErrTimeout = errors.New("providertest: provider did not call SetStatus in time")

// Exec runs call on p as the engine would and waits up to timeout for
// the final status. It returns the first indicated object (nil when
// there was none), the Recorder, and the final status. A non-nil error
// returned by ExecMethod before any SetStatus is the final status, as in
// the engine (DD-30).
func Exec(ctx context.Context, p provider.MethodProvider, call *provider.Call, timeout time.Duration) (*cim.Instance, *Recorder, error) {
	r := NewRecorder()
	if err := p.ExecMethod(ctx, call, r); err != nil {
		r.mu.Lock()
		if r.statuses == 0 {
			r.mu.Unlock()
			r.SetStatus(err)
		} else {
			r.mu.Unlock()
		}
	}
	select {
	case <-r.done:
	case <-time.After(timeout):
		return nil, r, ErrTimeout
	}
	var out *cim.Instance
	if objs := r.Objects(); len(objs) > 0 {
		out = objs[0]
	}
	return out, r, r.Err()
}

// NewCall returns a call of method on class c with target path (a class
// path when path is nil) in namespace ns, made by the in-process caller.
// in may be nil.
func NewCall(ns string, c *cim.Class, method string, path *cim.ObjectPath, in *cim.Instance) *provider.Call {
	m := c.Method(method)
	if path == nil {
		path = &cim.ObjectPath{Namespace: ns, Class: c.Name}
	}
	return &provider.Call{
		Namespace: ns, PathText: path.String(), Path: path, Class: c, Method: m,
		In: in, Caller: security.Process(),
	}
}

// WithProgress returns call with FlagSendStatus set.
func WithProgress(call *provider.Call) *provider.Call {
	call.Flags |= wbem.FlagSendStatus
	return call
}

// CheckFor calls f every interval until it returns nil or timeout passes,
// and returns f's last error.
func CheckFor(timeout, interval time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(interval)
	}
}
