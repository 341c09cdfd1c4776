package wbem

import (
	"context"
	"iter"
	"sync"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// EventKind says what an Event reports.
type EventKind uint8

// Event kinds.
const (
	// EventObject delivers an out-parameters object.
	EventObject EventKind = iota + 1
	// EventProgress reports progress (only with FlagSendStatus).
	EventProgress
	// EventComplete is the final event of a call.
	EventComplete
)

// Event is one thing that happened to an asynchronous call.
type Event struct {
	Kind EventKind
	// Object is the delivered object (EventObject).
	Object *cim.Instance
	// Current, Total and Message describe progress (EventProgress).
	Current, Total uint16
	Message        string
	// Err is the final status (EventComplete): nil on success, otherwise a
	// *status.Error carrying the code and the extended error fields.
	Err error
}

// Call is the Go form of an asynchronous method call: a handle with the
// stream of events, Wait and Cancel. It is itself the ObjectSink of the
// call, so it works with any Services.
type Call struct {
	svc Services

	mu     sync.Mutex
	events []Event
	notify chan struct{} // closed and replaced when an event arrives
	done   chan struct{}
	out    *cim.Instance
	err    error
	goErr  error // the engine's own error value, when in-process
}

// Start starts path.method asynchronously on svc and returns its Call.
// flags is 0 or FlagSendStatus. An argument error is returned at once.
func Start(ctx context.Context, svc Services, path, method string, in *cim.Instance, flags int32, wctx *cim.NamedValues) (*Call, error) {
	c := &Call{svc: svc, notify: make(chan struct{}), done: make(chan struct{})}
	if err := svc.ExecMethodAsync(ctx, path, method, in, flags, wctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Indicate implements ObjectSink.
func (c *Call) Indicate(objs []*cim.Instance) status.HRESULT {
	c.mu.Lock()
	for _, o := range objs {
		if c.out == nil {
			c.out = o
		}
		c.events = append(c.events, Event{Kind: EventObject, Object: o})
	}
	c.wake()
	c.mu.Unlock()
	return status.WBEM_S_NO_ERROR
}

// SetStatus implements ObjectSink.
func (c *Call) SetStatus(flags int32, hr status.HRESULT, param string, errObj *cim.Instance) status.HRESULT {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.done:
		return status.WBEM_S_NO_ERROR
	default:
	}
	switch flags {
	case StatusProgress:
		cur, total := status.SplitProgress(hr)
		c.events = append(c.events, Event{Kind: EventProgress, Current: cur, Total: total, Message: param})
	case StatusComplete:
		c.err = ErrorFromStatus(hr, param, errObj)
		if c.goErr != nil && c.err != nil {
			c.err = c.goErr
		}
		if c.err != nil {
			c.out = nil
		}
		c.events = append(c.events, Event{Kind: EventComplete, Err: c.err})
		close(c.done)
	default:
		return status.WBEM_E_INVALID_PARAMETER
	}
	c.wake()
	return status.WBEM_S_NO_ERROR
}

// FinalError implements FinalErrorReceiver.
func (c *Call) FinalError(err error) {
	c.mu.Lock()
	c.goErr = err
	c.mu.Unlock()
}

func (c *Call) wake() {
	close(c.notify)
	c.notify = make(chan struct{})
}

// ErrorFromStatus turns a final status into a Go error: nil for success
// codes, otherwise a *status.Error built from the error object (or the
// code and message alone).
func ErrorFromStatus(hr status.HRESULT, msg string, errObj *cim.Instance) error {
	if !hr.Failed() {
		return nil
	}
	e := cim.ErrorFromExtendedStatus(hr, errObj)
	e.Code = hr
	if e.Description == "" {
		e.Description = msg
	}
	return e
}

// Events returns the call's events in order, from the first, waiting for
// new ones until the final EventComplete. Several loops may read them.
func (c *Call) Events() iter.Seq[Event] {
	return func(yield func(Event) bool) {
		for i := 0; ; i++ {
			c.mu.Lock()
			for i >= len(c.events) {
				ch := c.notify
				c.mu.Unlock()
				<-ch
				c.mu.Lock()
			}
			ev := c.events[i]
			c.mu.Unlock()
			if !yield(ev) || ev.Kind == EventComplete {
				return
			}
		}
	}
}

// Done returns a channel closed when the call has completed.
func (c *Call) Done() <-chan struct{} { return c.done }

// Wait waits for the call to complete and returns the first out-parameters
// object and the final status. If ctx ends first, Wait returns ctx.Err()
// and the call goes on.
func (c *Call) Wait(ctx context.Context) (*cim.Instance, error) {
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out, c.err
}

// Cancel cancels the call (CancelAsyncCall on its sink). Cancelling a
// call that has completed is not an error.
func (c *Call) Cancel() error {
	err := c.svc.CancelAsyncCall(c)
	select {
	case <-c.done:
		return nil
	default:
		return err
	}
}

// CallResult is the semisynchronous call result (IWbemCallResult) of
// ExecMethodSemisync.
type CallResult struct{ call *Call }

// ExecMethodSemisync starts a method in semisynchronous mode: it returns a
// CallResult at once; poll it with GetCallStatus and fetch the
// out-parameters with GetResultObject.
func ExecMethodSemisync(ctx context.Context, svc Services, path, method string, in *cim.Instance, wctx *cim.NamedValues) (*CallResult, error) {
	c, err := Start(ctx, svc, path, method, in, 0, wctx)
	if err != nil {
		return nil, err
	}
	return &CallResult{call: c}, nil
}

// wait waits up to timeoutMs milliseconds; it reports whether the call
// completed, or an error for an invalid timeout (DD-1).
func (r *CallResult) wait(timeoutMs int32) (bool, status.HRESULT) {
	switch {
	case timeoutMs == Infinite:
		<-r.call.done
		return true, status.WBEM_S_NO_ERROR
	case timeoutMs < 0:
		return false, status.WBEM_E_INVALID_PARAMETER
	case timeoutMs == 0:
		select {
		case <-r.call.done:
			return true, status.WBEM_S_NO_ERROR
		default:
			return false, status.WBEM_S_TIMEDOUT
		}
	}
	t := newTimer(timeoutMs)
	defer t.Stop()
	select {
	case <-r.call.done:
		return true, status.WBEM_S_NO_ERROR
	case <-t.C:
		return false, status.WBEM_S_TIMEDOUT
	}
}

// GetCallStatus waits up to timeoutMs milliseconds (Infinite or NoWait
// allowed). While the call runs it returns hr = WBEM_S_TIMEDOUT; once it
// has completed, hr = WBEM_S_NO_ERROR and callStatus is the final status.
func (r *CallResult) GetCallStatus(timeoutMs int32) (callStatus, hr status.HRESULT) {
	done, hr := r.wait(timeoutMs)
	if !done {
		return 0, hr
	}
	r.call.mu.Lock()
	defer r.call.mu.Unlock()
	return status.Code(r.call.err), status.WBEM_S_NO_ERROR
}

// GetResultObject waits up to timeoutMs milliseconds for the
// out-parameters. It returns WBEM_S_TIMEDOUT while the call runs, the
// call's own failure code when it failed, and a fresh copy of the
// out-parameters (nil when the method produced none) on success.
func (r *CallResult) GetResultObject(timeoutMs int32) (*cim.Instance, status.HRESULT) {
	done, hr := r.wait(timeoutMs)
	if !done {
		return nil, hr
	}
	r.call.mu.Lock()
	defer r.call.mu.Unlock()
	if r.call.err != nil {
		return nil, status.Code(r.call.err)
	}
	if r.call.out == nil {
		return nil, status.WBEM_S_NO_ERROR
	}
	return r.call.out.Clone(), status.WBEM_S_NO_ERROR
}

// Err returns the call's final error once it has completed (nil before).
func (r *CallResult) Err() error {
	r.call.mu.Lock()
	defer r.call.mu.Unlock()
	return r.call.err
}

// GetResultString is not applicable to method calls: it always returns
// WBEM_E_INVALID_OPERATION (DD-5).
func (r *CallResult) GetResultString(timeoutMs int32) (string, status.HRESULT) {
	return "", status.WBEM_E_INVALID_OPERATION
}
