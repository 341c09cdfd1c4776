package cimtest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// Kind says which sink callback a Callback records.
type Kind uint8

// The callback kinds.
const (
	// KindIndicate is a call of Indicate.
	KindIndicate Kind = iota + 1
	// KindProgress is a call of SetStatus with wbem.StatusProgress.
	KindProgress
	// KindComplete is a call of SetStatus with wbem.StatusComplete.
	KindComplete
	// KindOther is a call of SetStatus with any other flags.
	KindOther
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindIndicate:
		return "Indicate"
	case KindProgress:
		return "Progress"
	case KindComplete:
		return "Complete"
	case KindOther:
		return "SetStatus(other)"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Callback is one recorded call of a RecordingSink.
type Callback struct {
	Kind Kind
	// At is when the callback began.
	At time.Time
	// Objects are copies of the objects of an Indicate call.
	Objects []*cim.Instance
	// Flags, HR, Param and ErrObj are the arguments of SetStatus.
	Flags  int32
	HR     status.HRESULT
	Param  string
	ErrObj *cim.Instance
	// Overlapped reports that another callback of the same sink was still
	// running when this one began.
	Overlapped bool
	// AfterFinal reports that a final status had already been recorded
	// when this callback began.
	AfterFinal bool
}

// String renders the callback for failure messages.
func (c Callback) String() string {
	switch c.Kind {
	case KindIndicate:
		return fmt.Sprintf("Indicate(%d)", len(c.Objects))
	default:
		s := fmt.Sprintf("SetStatus(%d, %s, %q", c.Flags, c.HR.Hex(), c.Param)
		if c.ErrObj != nil {
			s += ", " + c.ErrObj.ClassName()
		} else {
			s += ", nil"
		}
		return s + ")"
	}
}

// ExtendedStatus returns the error object of a final status as a
// *status.Error (nil when there is none).
func (c Callback) ExtendedStatus() *status.Error {
	if c.ErrObj == nil {
		return nil
	}
	return cim.ErrorFromExtendedStatus(c.HR, c.ErrObj)
}

// RecordingSink is a wbem.ObjectSink that records every callback in
// order, with the time it began. It is safe for concurrent use and may
// serve several operations at once. Its Indicate and progress results can
// be set to failure codes (to test spec A11), and hooks can run inside the
// callbacks (to cancel from a callback, spec T25).
//
// It also implements wbem.FinalErrorReceiver and keeps the Go error an
// in-process object manager hands it (see ReceivedError).
type RecordingSink struct {
	mu          sync.Mutex
	calls       []Callback
	finals      int
	running     int
	done        chan struct{}
	received    error
	indicateHR  status.HRESULT
	progressHR  status.HRESULT
	onIndicate  func(objs []*cim.Instance)
	onStatus    func(flags int32, hr status.HRESULT)
	notifyFinal []chan struct{}
}

var (
	_ wbem.ObjectSink         = (*RecordingSink)(nil)
	_ wbem.FinalErrorReceiver = (*RecordingSink)(nil)
)

// NewRecordingSink returns an empty RecordingSink whose callbacks return
// WBEM_S_NO_ERROR.
func NewRecordingSink() *RecordingSink {
	return &RecordingSink{done: make(chan struct{})}
}

// SetIndicateResult makes Indicate return hr from now on.
func (s *RecordingSink) SetIndicateResult(hr status.HRESULT) {
	s.mu.Lock()
	s.indicateHR = hr
	s.mu.Unlock()
}

// SetProgressResult makes progress SetStatus calls return hr from now on.
func (s *RecordingSink) SetProgressResult(hr status.HRESULT) {
	s.mu.Lock()
	s.progressHR = hr
	s.mu.Unlock()
}

// OnIndicate sets a hook that Indicate calls, after recording and before
// returning, with the delivered objects. Nil removes it.
func (s *RecordingSink) OnIndicate(f func(objs []*cim.Instance)) {
	s.mu.Lock()
	s.onIndicate = f
	s.mu.Unlock()
}

// OnStatus sets a hook that SetStatus calls, after recording and before
// returning. Nil removes it.
func (s *RecordingSink) OnStatus(f func(flags int32, hr status.HRESULT)) {
	s.mu.Lock()
	s.onStatus = f
	s.mu.Unlock()
}

// begin records c at its start.
func (s *RecordingSink) begin(c Callback) {
	c.At = time.Now()
	s.mu.Lock()
	c.Overlapped = s.running > 0
	c.AfterFinal = s.finals > 0
	s.running++
	s.calls = append(s.calls, c)
	if c.Kind == KindComplete {
		s.finals++
		if s.finals == 1 {
			close(s.done)
		}
		for _, ch := range s.notifyFinal {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
	s.mu.Unlock()
}

func (s *RecordingSink) end() {
	s.mu.Lock()
	s.running--
	s.mu.Unlock()
}

// Indicate implements wbem.ObjectSink: it records copies of objs, runs
// the OnIndicate hook and returns the configured result.
func (s *RecordingSink) Indicate(objs []*cim.Instance) status.HRESULT {
	cp := make([]*cim.Instance, len(objs))
	for i, o := range objs {
		if o != nil {
			cp[i] = o.Clone()
		}
	}
	s.begin(Callback{Kind: KindIndicate, Objects: cp})
	defer s.end()
	s.mu.Lock()
	hook, hr := s.onIndicate, s.indicateHR
	s.mu.Unlock()
	if hook != nil {
		hook(objs)
	}
	return hr
}

// SetStatus implements wbem.ObjectSink: it records the call, runs the
// OnStatus hook and returns the configured progress result for progress
// reports, WBEM_S_NO_ERROR otherwise.
func (s *RecordingSink) SetStatus(flags int32, hr status.HRESULT, param string, errObj *cim.Instance) status.HRESULT {
	k := KindOther
	switch flags {
	case wbem.StatusComplete:
		k = KindComplete
	case wbem.StatusProgress:
		k = KindProgress
	}
	if errObj != nil {
		errObj = errObj.Clone()
	}
	s.begin(Callback{Kind: k, Flags: flags, HR: hr, Param: param, ErrObj: errObj})
	defer s.end()
	s.mu.Lock()
	hook, res := s.onStatus, s.progressHR
	s.mu.Unlock()
	if hook != nil {
		hook(flags, hr)
	}
	if k == KindProgress {
		return res
	}
	return status.WBEM_S_NO_ERROR
}

// FinalError implements wbem.FinalErrorReceiver.
func (s *RecordingSink) FinalError(err error) {
	s.mu.Lock()
	s.received = err
	s.mu.Unlock()
}

// ReceivedError returns the error passed to FinalError, if any.
func (s *RecordingSink) ReceivedError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received
}

// Done returns a channel closed when the first final status arrives.
func (s *RecordingSink) Done() <-chan struct{} { return s.done }

// Calls returns a copy of the callbacks recorded so far, in order.
func (s *RecordingSink) Calls() []Callback {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Callback(nil), s.calls...)
}

// Kinds returns the kinds of the callbacks recorded so far, in order.
func (s *RecordingSink) Kinds() []Kind {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Kind, len(s.calls))
	for i, c := range s.calls {
		out[i] = c.Kind
	}
	return out
}

// Objects returns every object indicated so far, in order.
func (s *RecordingSink) Objects() []*cim.Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*cim.Instance
	for _, c := range s.calls {
		out = append(out, c.Objects...)
	}
	return out
}

// Finals returns the number of final statuses recorded.
func (s *RecordingSink) Finals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finals
}

// Final returns the first final status and whether there is one.
func (s *RecordingSink) Final() (Callback, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.calls {
		if c.Kind == KindComplete {
			return c, true
		}
	}
	return Callback{}, false
}

// Wait waits up to timeout for the first final status and returns it; it
// fails the test when none arrives.
func (s *RecordingSink) Wait(t testing.TB, timeout time.Duration) Callback {
	t.Helper()
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	select {
	case <-s.done:
	case <-tm.C:
		t.Fatalf("no final status within %v; callbacks so far: %v", timeout, s.Calls())
	}
	c, _ := s.Final()
	return c
}

// WaitFinals waits up to timeout until n final statuses have been
// recorded (for a sink shared by n operations) and returns them.
func (s *RecordingSink) WaitFinals(t testing.TB, n int, timeout time.Duration) []Callback {
	t.Helper()
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.notifyFinal = append(s.notifyFinal, ch)
	s.mu.Unlock()
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	for s.Finals() < n {
		select {
		case <-ch:
		case <-tm.C:
			t.Fatalf("%d of %d final statuses within %v; callbacks: %v", s.Finals(), n, timeout, s.Calls())
		}
	}
	var out []Callback
	for _, c := range s.Calls() {
		if c.Kind == KindComplete {
			out = append(out, c)
		}
	}
	return out
}

// ExpectFinal waits for the final status, checks its code against want
// and the error-object rule of spec A8 (nil on success, an
// __ExtendedStatus on failure), and returns it.
func (s *RecordingSink) ExpectFinal(t testing.TB, timeout time.Duration, want status.HRESULT) Callback {
	t.Helper()
	c := s.Wait(t, timeout)
	if c.HR != want {
		t.Fatalf("final status %s (%v), want %s (%v); callbacks: %v", c.HR.Hex(), c.HR, want.Hex(), want, s.Calls())
	}
	if c.Flags != wbem.StatusComplete || c.Param != "" {
		t.Errorf("final status %v: want flags 0 and an empty parameter", c)
	}
	if want.Failed() {
		if c.ErrObj == nil {
			t.Errorf("failed final status %s carries no error object", c.HR.Hex())
		} else if !c.ErrObj.Class().IsA("__ExtendedStatus") {
			t.Errorf("error object is a %s, want __ExtendedStatus", c.ErrObj.ClassName())
		} else if got := c.ErrObj.Value("StatusCode").Uint64(); got != uint64(want) {
			t.Errorf("error object StatusCode 0x%08X, want %s", got, want.Hex())
		}
	} else if c.ErrObj != nil {
		t.Errorf("successful final status carries an error object %s", c.ErrObj.MOF())
	}
	return c
}

// ExpectKinds checks that the callbacks recorded so far have exactly the
// given kinds, in order.
func (s *RecordingSink) ExpectKinds(t testing.TB, want ...Kind) {
	t.Helper()
	got := s.Kinds()
	if len(got) != len(want) {
		t.Fatalf("callbacks %v, want kinds %v", s.Calls(), want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("callbacks %v, want kinds %v", s.Calls(), want)
		}
	}
}

// Violations describes the breaches of the sink contract of one operation
// seen so far (spec A5, A9, A10): more than one final status, callbacks
// after the final status, and overlapping callbacks. It returns "" when
// there are none. Only meaningful for a sink that served one operation.
func (s *RecordingSink) Violations() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v []string
	if s.finals > 1 {
		v = append(v, fmt.Sprintf("%d final statuses", s.finals))
	}
	for i, c := range s.calls {
		if c.AfterFinal {
			v = append(v, fmt.Sprintf("callback %d (%v) after the final status", i, c))
		}
		if c.Overlapped {
			v = append(v, fmt.Sprintf("callback %d (%v) overlapped another", i, c))
		}
	}
	return strings.Join(v, "; ")
}

// ExpectContract fails the test when Violations reports anything.
func (s *RecordingSink) ExpectContract(t testing.TB) {
	t.Helper()
	if v := s.Violations(); v != "" {
		t.Errorf("sink contract broken: %s", v)
	}
}

// ExpectQuiet waits for d and fails the test when any callback arrives
// meanwhile. Use it sparingly: it is the one helper that always waits.
func (s *RecordingSink) ExpectQuiet(t testing.TB, d time.Duration) {
	t.Helper()
	n := len(s.Calls())
	time.Sleep(d)
	if calls := s.Calls(); len(calls) != n {
		t.Errorf("unexpected callbacks %v", calls[n:])
	}
}
