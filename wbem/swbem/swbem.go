// Package swbem is the scripting-style facade of gowbem, for people who
// know SWbemServices and SWbemSink: a Sink with OnObjectReady,
// OnCompleted and OnProgress callbacks and Cancel, and ExecMethodAsync
// with a named-value set for the provider and an async context that comes
// back to every event untouched.
package swbem

import (
	"context"
	"sync"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// Sink receives the events of asynchronous calls (SWbemSink). One Sink may
// serve many calls; the async context given to each call identifies it in
// the events. Callbacks of different calls may run concurrently, so they
// must be safe for that; a nil callback is skipped.
type Sink struct {
	// OnObjectReady is raised once per object delivered: for a method
	// call, the out-parameters (ReturnValue and out parameters).
	OnObjectReady func(obj *cim.Instance, asyncContext *cim.NamedValues)
	// OnCompleted is raised once when a call completes. hr is the status
	// of the call mechanism (0 on success, never the method's
	// ReturnValue); lastError is the __ExtendedStatus object on failure.
	OnCompleted func(hr status.HRESULT, lastError *cim.Instance, asyncContext *cim.NamedValues)
	// OnProgress is raised for progress reports when the call used
	// wbem.FlagSendStatus: upperBound is the total, current the amount
	// done so far.
	OnProgress func(upperBound, current int, message string, asyncContext *cim.NamedValues)

	mu      sync.Mutex
	pending map[*callSink]struct{}
}

// callSink adapts one call on a Sink to wbem.ObjectSink, carrying that
// call's async context.
type callSink struct {
	sink     *Sink
	svc      wbem.Services
	asyncCtx *cim.NamedValues
}

func (c *callSink) Indicate(objs []*cim.Instance) status.HRESULT {
	if f := c.sink.OnObjectReady; f != nil {
		for _, o := range objs {
			f(o, c.asyncCtx)
		}
	}
	return status.WBEM_S_NO_ERROR
}

func (c *callSink) SetStatus(flags int32, hr status.HRESULT, param string, errObj *cim.Instance) status.HRESULT {
	switch flags {
	case wbem.StatusProgress:
		if f := c.sink.OnProgress; f != nil {
			cur, total := status.SplitProgress(hr)
			f(int(total), int(cur), param, c.asyncCtx)
		}
	case wbem.StatusComplete:
		c.sink.mu.Lock()
		delete(c.sink.pending, c)
		c.sink.mu.Unlock()
		if f := c.sink.OnCompleted; f != nil {
			if !hr.Failed() {
				errObj = nil
			}
			f(hr, errObj, c.asyncCtx)
		}
	default:
		return status.WBEM_E_INVALID_PARAMETER
	}
	return status.WBEM_S_NO_ERROR
}

// Cancel cancels every outstanding call of the sink; each raises
// OnCompleted with WBEM_E_CALL_CANCELLED. Other sinks' calls are not
// affected. Cancelling a sink with no outstanding call does nothing.
func (s *Sink) Cancel() error {
	s.mu.Lock()
	calls := make([]*callSink, 0, len(s.pending))
	for c := range s.pending {
		calls = append(calls, c)
	}
	s.mu.Unlock()
	var first error
	for _, c := range calls {
		if err := c.svc.CancelAsyncCall(c); err != nil && first == nil && status.Code(err) != status.WBEM_E_NOT_FOUND {
			first = err
		}
	}
	return first
}

// Services is SWbemServices over any wbem.Services.
type Services struct {
	svc wbem.Services
	ctx context.Context
}

// New returns the scripting facade of svc. ctx carries the caller's
// identity for every call.
func New(ctx context.Context, svc wbem.Services) *Services { return &Services{svc: svc, ctx: ctx} }

// Get returns a class definition (SWbemServices.Get on a class path).
func (s *Services) Get(className string) (*cim.Class, error) { return s.svc.GetClass(s.ctx, className) }

// ExecMethod runs a method synchronously and returns its out-parameters.
func (s *Services) ExecMethod(path, method string, in *cim.Instance, flags int32, context *cim.NamedValues) (*cim.Instance, error) {
	if flags != 0 {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "ExecMethod flags must be 0")
	}
	return s.svc.ExecMethod(s.ctx, path, method, in, context)
}

// ExecMethodAsync starts a method and returns at once; results arrive as
// events of sink. flags is 0 (wbemFlagDontSendStatus) or 128
// (wbemFlagSendStatus); namedValues reach the provider; asyncContext
// comes back, untouched, with every event of this call. If the call cannot
// start, the error is returned and no event is raised.
func (s *Services) ExecMethodAsync(sink *Sink, path, method string, in *cim.Instance, flags int32, namedValues, asyncContext *cim.NamedValues) error {
	if sink == nil {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "sink is required")
	}
	c := &callSink{sink: sink, svc: s.svc, asyncCtx: asyncContext}
	sink.mu.Lock()
	if sink.pending == nil {
		sink.pending = make(map[*callSink]struct{})
	}
	sink.pending[c] = struct{}{}
	sink.mu.Unlock()
	if err := s.svc.ExecMethodAsync(s.ctx, path, method, in, flags, namedValues, c); err != nil {
		sink.mu.Lock()
		delete(sink.pending, c)
		sink.mu.Unlock()
		return err
	}
	return nil
}
