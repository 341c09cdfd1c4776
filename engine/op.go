package engine

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// op is one asynchronous method call: the row of the async operation table
// (spec §2.5). It is the provider's Sink and the provider's
// context.Context, so a call costs one allocation for both.
//
// Delivery protocol: every callback to the client sink happens with
// inCallback set under mu and mu released. Provider-originated callbacks
// are serialised by deliverMu. cancel never takes deliverMu and never
// waits for a callback: when one is in progress it only marks the op
// cancelled, and the delivering goroutine sends the final status when the
// callback returns (DD-10).
type op struct {
	svc        *Services
	sink       wbem.ObjectSink
	flags      int32
	sendStatus bool
	pathText   string
	method     string
	caller     context.Context // identity and values for the provider context
	started    time.Time

	entry *dispatchEntry
	host  *host // written under mu once the op is in its table
	call  provider.Call

	deliverMu  sync.Mutex
	mu         sync.Mutex
	inCallback bool
	cancelled  bool
	finalSent  bool
	// atProvider is set when the call reaches its provider host: from
	// then on failures name the provider (DD-32).
	atProvider bool
	cancelCode status.HRESULT
	done       chan struct{} // provider context; created lazily
	ctxErr     error
	stopWatch  func() bool // stops watching the caller's context
	timer      *time.Timer

	nextSameSink *op // Services.bySink list
	// user counts the call against its user's quota; nil when not
	// counted. Set before the op is registered.
	user *userCount
}

// --- context.Context for the provider ---

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Deadline implements context.Context.
func (o *op) Deadline() (time.Time, bool) {
	if t := o.svc.e.opts.OperationTimeout; t > 0 {
		return o.started.Add(t), true
	}
	return o.caller.Deadline()
}

// Done implements context.Context.
func (o *op) Done() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done == nil {
		if o.ctxErr != nil {
			return closedChan
		}
		o.done = make(chan struct{})
	}
	return o.done
}

// Err implements context.Context.
func (o *op) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ctxErr
}

// Value implements context.Context: values come from the caller's context.
func (o *op) Value(key any) any { return o.caller.Value(key) }

// cancelCtxLocked ends the provider context; o.mu must be held.
func (o *op) cancelCtxLocked(err error) {
	if o.ctxErr != nil {
		return
	}
	o.ctxErr = err
	if o.done != nil {
		close(o.done)
	}
}

// --- provider.Sink ---

// Indicate forwards out-parameter objects to the client sink.
func (o *op) Indicate(objs ...*cim.Instance) error {
	if len(objs) == 0 {
		return nil
	}
	o.deliverMu.Lock()
	defer o.deliverMu.Unlock()
	if !o.enterCallback() {
		return nil
	}
	hr := o.sink.Indicate(objs)
	o.leaveCallback(hr)
	return nil
}

// Progress forwards a progress report when the client asked for them.
func (o *op) Progress(current, total uint16, message string) error {
	if !o.sendStatus {
		return nil
	}
	o.deliverMu.Lock()
	defer o.deliverMu.Unlock()
	if !o.enterCallback() {
		return nil
	}
	hr := o.sink.SetStatus(wbem.StatusProgress, status.MakeProgress(current, total), message, nil)
	o.leaveCallback(hr)
	return nil
}

// SetStatus ends the call with err (nil for success). Calls after the
// first final status, or after cancellation, are ignored (DD-8).
func (o *op) SetStatus(err error) {
	o.deliverMu.Lock()
	defer o.deliverMu.Unlock()
	o.mu.Lock()
	if o.finalSent {
		o.mu.Unlock()
		return
	}
	o.finalSent = true
	o.cancelled = true
	o.inCallback = true
	o.cancelCtxLocked(context.Canceled)
	o.mu.Unlock()
	o.deliverFinal(err)
}

// enterCallback claims the right to call the client sink; it returns
// false when the op is cancelled or complete.
func (o *op) enterCallback() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cancelled || o.finalSent {
		return false
	}
	o.inCallback = true
	return true
}

// leaveCallback ends a callback. A failed client callback cancels the
// call (A11); a cancel that arrived during the callback is completed here.
func (o *op) leaveCallback(hr status.HRESULT) {
	o.mu.Lock()
	o.inCallback = false
	if hr.Failed() && !o.cancelled {
		o.cancelled = true
		o.cancelCode = status.WBEM_E_CALL_CANCELLED
		o.cancelCtxLocked(context.Canceled)
	}
	if !o.cancelled || o.finalSent {
		o.mu.Unlock()
		return
	}
	o.finalSent = true
	o.inCallback = true
	code := o.cancelCode
	o.mu.Unlock()
	o.deliverFinal(code)
}

// cancel ends the call with code (WBEM_E_CALL_CANCELLED, ..._SHUTTING_DOWN,
// ..._PROVIDER_TIMED_OUT, ..._QUOTA_VIOLATION) unless it has already
// ended, and cancels the provider's context. It never waits for a
// callback in progress. It reports whether the op was still pending.
func (o *op) cancel(code status.HRESULT) bool {
	o.mu.Lock()
	if o.finalSent {
		o.mu.Unlock()
		return false
	}
	if code == status.WBEM_E_PROVIDER_TIMED_OUT {
		o.cancelCtxLocked(context.DeadlineExceeded)
	} else {
		o.cancelCtxLocked(context.Canceled)
	}
	if o.cancelled && o.inCallback {
		// Already cancelled, final pending after the callback.
		o.mu.Unlock()
		return true
	}
	o.cancelled = true
	o.cancelCode = code
	if o.inCallback {
		o.mu.Unlock()
		return true
	}
	o.finalSent = true
	o.inCallback = true
	o.mu.Unlock()
	o.deliverFinal(code)
	return true
}

// deliverFinal sends the one final status and releases the op. The caller
// has set finalSent and inCallback.
func (o *op) deliverFinal(err error) {
	hr := status.Code(err)
	var errObj *cim.Instance
	if hr.Failed() {
		// A cancellation ends with SetStatus(COMPLETE,
		// WBEM_E_CALL_CANCELLED, NULL, NULL) (spec C4, §2.5, §3.4).
		cancelled := err == error(status.WBEM_E_CALL_CANCELLED)
		err = o.describe(err)
		if r, ok := o.sink.(wbem.FinalErrorReceiver); ok {
			r.FinalError(err)
		}
		if o.flags&wbem.FlagNoErrorObject == 0 && !cancelled {
			errObj = cim.NewExtendedStatus(err)
		}
	}
	if o.svc.e.opts.Audit != nil {
		o.audit(hr)
	}
	o.sink.SetStatus(wbem.StatusComplete, hr, "", errObj)
	o.finish()
}

// describe fills the __ExtendedStatus fields the engine owns (DD-32).
func (o *op) describe(err error) error {
	e := *status.AsError(err)
	if e.Operation == "" {
		e.Operation = "ExecMethod"
	}
	if e.ParameterInfo == "" {
		e.ParameterInfo = o.pathText
	}
	if e.ProviderName == "" {
		o.mu.Lock()
		h, atProvider := o.host, o.atProvider
		o.mu.Unlock()
		if atProvider && h != nil {
			e.ProviderName = h.name
		} else {
			e.ProviderName = "Windows Management"
		}
	}
	return &e
}

// onHost reports whether o runs on host h.
func (o *op) onHost(h *host) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.host == h
}

// finish removes the op from its table and drops the sink reference.
func (o *op) finish() {
	o.mu.Lock()
	o.inCallback = false
	o.cancelCtxLocked(context.Canceled)
	stop, t := o.stopWatch, o.timer
	o.mu.Unlock()
	if stop != nil {
		stop()
	}
	if t != nil {
		t.Stop()
	}
	o.svc.unregister(o)
}

// ended reports whether the op has been cancelled or completed.
func (o *op) ended() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.cancelled || o.finalSent
}

// run executes the call on a worker: it fetches the target instance when
// needed, loads the provider host and calls the provider, recovering from
// panics.
func (o *op) run() {
	if o.ended() {
		return
	}
	if err := o.prepareTarget(); err != nil {
		o.SetStatus(err)
		return
	}
	o.mu.Lock()
	o.atProvider = true
	h := o.host
	o.mu.Unlock()
	if err := h.load(); err != nil {
		o.SetStatus(err)
		return
	}
	if h.methods == nil {
		o.SetStatus(status.New(status.WBEM_E_PROVIDER_NOT_CAPABLE,
			"provider %s does not execute methods", h.name))
		return
	}
	o.call.Host = h
	e := o.svc.e
	if e.opts.Trace != nil {
		e.trace(TraceEvent{Kind: "ExecMethodAsyncEvent_Pre", Namespace: o.svc.ns, Provider: h.name,
			Class: o.call.Class.Name, Method: o.call.Method.Name})
	}
	err := o.callProvider(h)
	if e.opts.Trace != nil {
		e.trace(TraceEvent{Kind: "ExecMethodAsyncEvent_Post", Namespace: o.svc.ns, Provider: h.name,
			Class: o.call.Class.Name, Method: o.call.Method.Name, Code: status.Code(err)})
	}
	if err != nil {
		// DD-30: an error returned without a final status becomes it;
		// after a final status it is ignored (SetStatus drops it).
		o.SetStatus(err)
	}
}

// callProvider calls the provider and turns a panic into
// WBEM_E_PROVIDER_FAILURE.
func (o *op) callProvider(h *host) (err error) {
	defer func() {
		if r := recover(); r != nil {
			o.svc.e.log.Error("method provider panicked", "provider", h.name, "class", o.call.Class.Name,
				"method", o.call.Method.Name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = status.New(status.WBEM_E_PROVIDER_FAILURE, "provider %s failed: %v", h.name, r)
		}
	}()
	return h.methods.ExecMethod(o, &o.call, o)
}
