package engine_test

// Acceptance scenarios T21–T30 of WMI-METHODS.md §15: cancellation,
// failing client sinks and the semisynchronous mode.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// expectCancelled checks a final status of a client cancellation:
// SetStatus(0, WBEM_E_CALL_CANCELLED, nil, nil) (spec C4, §2.5, §3.4).
func expectCancelled(t testing.TB, c cimtest.Callback) {
	t.Helper()
	if c.Kind != cimtest.KindComplete || c.HR != status.WBEM_E_CALL_CANCELLED || c.Param != "" {
		t.Errorf("final status %v, want SetStatus(0, 0x80041032, \"\", nil)", c)
	}
	if c.ErrObj != nil {
		t.Errorf("cancelled final status carries an error object: %s", c.ErrObj.MOF())
	}
}

// T21: CancelAsyncCall during a long method delivers one
// SetStatus(0, WBEM_E_CALL_CANCELLED) before it returns (C8) and returns
// S_OK; the provider keeps running (its context is cancelled, which it
// may ignore) and its later callbacks are dropped.
func TestT21_CancelLongMethod(t *testing.T) {
	h := newHarness(t)
	b := &cimtest.Blocker{Then: cimtest.Echo()}
	t.Cleanup(b.Release)
	h.mux.Handle("Echo", b)
	s := h.async("TST_Widget", "Echo", h.echoIn("x"), wbem.FlagSendStatus)
	b.WaitEntered(t, 1, long)
	if err := h.svc.CancelAsyncCall(s); err != nil {
		t.Fatalf("CancelAsyncCall: %v", err)
	}
	if n := s.Finals(); n != 1 {
		t.Fatalf("%d final statuses when CancelAsyncCall returned, want 1", n)
	}
	expectCancelled(t, s.Calls()[0])
	// The provider is still running; let it finish and send its results.
	if _, _, returned := b.Counts(); returned != 0 {
		t.Fatal("the provider was stopped by the cancellation")
	}
	b.Release()
	b.WaitFor(t, long, "returned", func(_, _, r int) bool { return r == 1 })
	h.waitTrace("ExecMethodAsyncEvent_Post", 1)
	s.ExpectKinds(t, cimtest.KindComplete)
	s.ExpectContract(t)
	if errs := b.ContextErrors(); len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("provider context errors %v, want [context.Canceled]", errs)
	}
	expectCode(t, h.svc.CancelAsyncCall(s), status.WBEM_E_NOT_FOUND)
	h.waitIdle()
}

// T22: CancelAsyncCall(nil) → WBEM_E_INVALID_PARAMETER.
func TestT22_CancelNil(t *testing.T) {
	h := newHarness(t)
	expectCode(t, h.svc.CancelAsyncCall(nil), status.WBEM_E_INVALID_PARAMETER)
	n := 0
	expectCode(t, h.svc.CancelAsyncCall(valueSink{n: &n}), status.WBEM_E_INVALID_PARAMETER)
}

// T23: CancelAsyncCall of a sink with no pending call → WBEM_E_NOT_FOUND,
// also for a sink whose call completed, or that is pending on another
// connection.
func TestT23_CancelUnknownSink(t *testing.T) {
	h := newHarness(t)
	expectCode(t, h.svc.CancelAsyncCall(cimtest.NewRecordingSink()), status.WBEM_E_NOT_FOUND)
	s := h.async("TST_Widget", "Echo", h.echoIn("x"), 0)
	s.ExpectFinal(t, long, status.WBEM_S_NO_ERROR)
	h.waitIdle()
	expectCode(t, h.svc.CancelAsyncCall(s), status.WBEM_E_NOT_FOUND)

	p := cimtest.NewParker(1)
	h.mux.Handle("NoInput", p)
	other := h.open(bg)
	s2 := h.asyncOn(other, "TST_Widget", "NoInput", nil, 0, nil)
	p.WaitParked(t, 1, long)
	expectCode(t, h.svc.CancelAsyncCall(s2), status.WBEM_E_NOT_FOUND)
	if err := other.CancelAsyncCall(s2); err != nil {
		t.Fatal(err)
	}
	expectCancelled(t, s2.Wait(t, long))
}

// T24: two operations on one sink, one CancelAsyncCall: both end with
// WBEM_E_CALL_CANCELLED; other sinks' calls are not touched.
func TestT24_CancelSharedSink(t *testing.T) {
	h := newHarness(t)
	p := cimtest.NewParker(3)
	h.mux.Handle("NoInput", p)
	s := cimtest.NewRecordingSink()
	for range 2 {
		if err := h.svc.ExecMethodAsync(bg, "TST_Widget", "NoInput", nil, 0, nil, s); err != nil {
			t.Fatal(err)
		}
	}
	bystander := h.async("TST_Widget", "NoInput", nil, 0)
	p.WaitParked(t, 3, long)
	if err := h.svc.CancelAsyncCall(s); err != nil {
		t.Fatal(err)
	}
	finals := s.WaitFinals(t, 2, long)
	for _, c := range finals {
		expectCancelled(t, c)
	}
	if len(s.Calls()) != 2 {
		t.Errorf("shared sink got %v", s.Calls())
	}
	expectCode(t, h.svc.CancelAsyncCall(s), status.WBEM_E_NOT_FOUND)
	if len(bystander.Calls()) != 0 {
		t.Errorf("another sink's call was touched: %v", bystander.Calls())
	}
	// The sink may be reused (DD-11).
	p.Release(nil)
	bystander.ExpectFinal(t, long, status.WBEM_S_NO_ERROR)
	bystander.ExpectKinds(t, cimtest.KindIndicate, cimtest.KindComplete)
	if len(s.Calls()) != 2 {
		t.Errorf("cancelled calls' late results reached the sink: %v", s.Calls())
	}
}

// T25: CancelAsyncCall from inside Indicate does not deadlock; the final
// WBEM_E_CALL_CANCELLED is delivered after Indicate returns.
func TestT25_CancelFromIndicate(t *testing.T) {
	h := newHarness(t)
	s := cimtest.NewRecordingSink()
	type result struct {
		err    error
		finals int
	}
	res := make(chan result, 2)
	s.OnIndicate(func([]*cim.Instance) {
		err := h.svc.CancelAsyncCall(s)
		res <- result{err, s.Finals()}
	})
	if err := h.svc.ExecMethodAsync(bg, "TST_Widget", "Echo", h.echoIn("x"), 0, nil, s); err != nil {
		t.Fatal(err)
	}
	expectCancelled(t, s.Wait(t, long))
	r := <-res
	if r.err != nil {
		t.Errorf("CancelAsyncCall inside Indicate: %v", r.err)
	}
	if r.finals != 0 {
		t.Errorf("the final status was delivered while Indicate was running")
	}
	s.ExpectKinds(t, cimtest.KindIndicate, cimtest.KindComplete)
	s.ExpectContract(t)

	// The same from inside a progress report.
	s2 := cimtest.NewRecordingSink()
	s2.OnStatus(func(flags int32, hr status.HRESULT) {
		if flags == wbem.StatusProgress {
			if err := h.svc.CancelAsyncCall(s2); err != nil {
				t.Errorf("CancelAsyncCall inside SetStatus: %v", err)
			}
		}
	})
	h.mux.Handle("NoInput", cimtest.Progress(cimtest.Echo(), cimtest.ProgressStep{Current: 1, Total: 2}, cimtest.ProgressStep{Current: 2, Total: 2}))
	if err := h.svc.ExecMethodAsync(bg, "TST_Widget", "NoInput", nil, wbem.FlagSendStatus, nil, s2); err != nil {
		t.Fatal(err)
	}
	expectCancelled(t, s2.Wait(t, long))
	h.waitIdle()
	s2.ExpectKinds(t, cimtest.KindProgress, cimtest.KindComplete)
}

// T26: a client Indicate (or progress SetStatus) that fails cancels the
// call: final WBEM_E_CALL_CANCELLED, no further Indicate (A11), and the
// provider's context is cancelled.
func TestT26_ClientIndicateFails(t *testing.T) {
	h := newHarness(t)
	ctxErr := make(chan error, 1)
	h.mux.HandleFunc("NoInput", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		for range 3 {
			out, _ := cimtest.OutParams(call, uint32(0), nil)
			if err := sink.Indicate(out); err != nil {
				return err // the engine says S_OK to the provider (DD-8)
			}
		}
		ctxErr <- ctx.Err()
		sink.SetStatus(nil)
		return nil
	})
	s := cimtest.NewRecordingSink()
	s.SetIndicateResult(status.WBEM_E_FAILED)
	if err := h.svc.ExecMethodAsync(bg, "TST_Widget", "NoInput", nil, 0, nil, s); err != nil {
		t.Fatal(err)
	}
	c := s.Wait(t, long)
	if c.HR != status.WBEM_E_CALL_CANCELLED {
		t.Fatalf("final %v, want WBEM_E_CALL_CANCELLED", c)
	}
	if err := <-ctxErr; !errors.Is(err, context.Canceled) {
		t.Errorf("provider context error %v after the client failed, want context.Canceled", err)
	}
	h.waitIdle()
	s.ExpectKinds(t, cimtest.KindIndicate, cimtest.KindComplete)
	s.ExpectContract(t)

	// A failing progress callback does the same.
	h.mux.Handle("Echo", cimtest.Progress(cimtest.Echo(), cimtest.ProgressStep{Current: 1, Total: 2}, cimtest.ProgressStep{Current: 2, Total: 2}))
	s2 := cimtest.NewRecordingSink()
	s2.SetProgressResult(status.WBEM_E_OUT_OF_MEMORY)
	if err := h.svc.ExecMethodAsync(bg, "TST_Widget", "Echo", h.echoIn("x"), wbem.FlagSendStatus, nil, s2); err != nil {
		t.Fatal(err)
	}
	if c := s2.Wait(t, long); c.HR != status.WBEM_E_CALL_CANCELLED {
		t.Fatalf("final %v, want WBEM_E_CALL_CANCELLED", c)
	}
	h.waitIdle()
	s2.ExpectKinds(t, cimtest.KindProgress, cimtest.KindComplete)
}

// T27: semisync GetCallStatus(0) while the call runs returns
// WBEM_S_TIMEDOUT and leaves the status untouched; so does
// GetResultObject; timeouts are honoured; invalid ones rejected (DD-1).
func TestT27_SemisyncRunning(t *testing.T) {
	h := newHarness(t)
	b := &cimtest.Blocker{Then: cimtest.Echo()}
	t.Cleanup(b.Release)
	h.mux.Handle("Echo", b)
	cr, err := wbem.ExecMethodSemisync(bg, h.svc, "TST_Widget", "Echo", h.echoIn("abcd"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b.WaitEntered(t, 1, long)
	if st, hr := cr.GetCallStatus(wbem.NoWait); hr != status.WBEM_S_TIMEDOUT || st != 0 {
		t.Errorf("GetCallStatus(0) = (%s, %s), want (0, WBEM_S_TIMEDOUT 0x00040004)", st.Hex(), hr.Hex())
	}
	if obj, hr := cr.GetResultObject(wbem.NoWait); hr != status.WBEM_S_TIMEDOUT || obj != nil {
		t.Errorf("GetResultObject(0) = (%v, %s), want (nil, WBEM_S_TIMEDOUT)", obj, hr.Hex())
	}
	start := time.Now()
	if _, hr := cr.GetCallStatus(30); hr != status.WBEM_S_TIMEDOUT {
		t.Errorf("GetCallStatus(30) = %s, want WBEM_S_TIMEDOUT", hr.Hex())
	}
	if d := time.Since(start); d < 25*time.Millisecond {
		t.Errorf("GetCallStatus(30) returned after %v", d)
	}
	if _, hr := cr.GetCallStatus(-2); hr != status.WBEM_E_INVALID_PARAMETER {
		t.Errorf("GetCallStatus(-2) = %s, want WBEM_E_INVALID_PARAMETER", hr.Hex())
	}
	if _, hr := cr.GetResultObject(-5); hr != status.WBEM_E_INVALID_PARAMETER {
		t.Errorf("GetResultObject(-5) = %s, want WBEM_E_INVALID_PARAMETER", hr.Hex())
	}
	if _, hr := cr.GetResultString(wbem.NoWait); hr != status.WBEM_E_INVALID_OPERATION {
		t.Errorf("GetResultString = %s, want WBEM_E_INVALID_OPERATION (DD-5)", hr.Hex())
	}
	if cr.Err() != nil {
		t.Errorf("Err() = %v while running", cr.Err())
	}
	b.Release()
	if st, hr := cr.GetCallStatus(5000); hr != status.WBEM_S_NO_ERROR || st != 0 {
		t.Errorf("GetCallStatus(5000) after release = (%s, %s)", st.Hex(), hr.Hex())
	}
}

// T28: semisync, completed: GetCallStatus gives S_OK and the final
// status; GetResultObject gives a fresh copy of the out-parameters each
// time (DD-6).
func TestT28_SemisyncDone(t *testing.T) {
	h := newHarness(t)
	cr, err := wbem.ExecMethodSemisync(bg, h.svc, "TST_Widget", "Echo", h.echoIn("abcd"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, hr := cr.GetCallStatus(wbem.Infinite)
	if hr != status.WBEM_S_NO_ERROR || st != status.WBEM_S_NO_ERROR {
		t.Fatalf("GetCallStatus(INFINITE) = (%s, %s)", st.Hex(), hr.Hex())
	}
	o1, hr := cr.GetResultObject(wbem.NoWait)
	if hr != status.WBEM_S_NO_ERROR || retval(t, o1) != 4 || o1.Value("sOutArg").Text() != "abcd" {
		t.Fatalf("GetResultObject = (%v, %s)", o1, hr.Hex())
	}
	if err := o1.Put("sOutArg", "changed"); err != nil {
		t.Fatal(err)
	}
	o2, _ := cr.GetResultObject(wbem.NoWait)
	if o2 == o1 || o2.Value("sOutArg").Text() != "abcd" {
		t.Errorf("GetResultObject did not return a fresh copy")
	}
	// A method without out-parameters: S_OK and no object.
	cr2, err := wbem.ExecMethodSemisync(bg, h.svc, "TST_Widget", "Nothing", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if obj, hr := cr2.GetResultObject(wbem.Infinite); hr != status.WBEM_S_NO_ERROR || obj != nil {
		t.Errorf("GetResultObject of a void method = (%v, %s), want (nil, S_OK)", obj, hr.Hex())
	}
}

// T29: semisync, failed: GetCallStatus gives the failure as the status;
// GetResultObject returns the failure code and no object.
func TestT29_SemisyncFailed(t *testing.T) {
	h := newHarness(t)
	h.mux.Handle("Echo", cimtest.IndicateThenFail(status.WBEM_E_NOT_SUPPORTED))
	cr, err := wbem.ExecMethodSemisync(bg, h.svc, "TST_Widget", "Echo", h.echoIn("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, hr := cr.GetCallStatus(wbem.Infinite); hr != status.WBEM_S_NO_ERROR || st != status.WBEM_E_NOT_SUPPORTED {
		t.Errorf("GetCallStatus = (%s, %s), want (WBEM_E_NOT_SUPPORTED, S_OK)", st.Hex(), hr.Hex())
	}
	if obj, hr := cr.GetResultObject(wbem.NoWait); hr != status.WBEM_E_NOT_SUPPORTED || obj != nil {
		t.Errorf("GetResultObject = (%v, %s), want (nil, WBEM_E_NOT_SUPPORTED)", obj, hr.Hex())
	}
	e := status.AsError(cr.Err())
	if e.Operation != "ExecMethod" || e.ProviderName != cimtest.TestProvider || e.ParameterInfo != "TST_Widget" {
		t.Errorf("Err() = %+v", e)
	}
	// A resolution failure is a final status too (DD-28).
	cr, err = wbem.ExecMethodSemisync(bg, h.svc, "TST_Nope", "Echo", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if obj, hr := cr.GetResultObject(wbem.Infinite); hr != status.WBEM_E_INVALID_CLASS || obj != nil {
		t.Errorf("GetResultObject = (%v, %s), want (nil, WBEM_E_INVALID_CLASS)", obj, hr.Hex())
	}
}

// T30: a semisync call that cannot start returns the error and no call
// result (M2). (The Go API always hands back the call result, so the
// "missing ppCallResult" case of the COM API cannot be expressed.)
func TestT30_SemisyncStartError(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct{ path, method string }{{"", "Echo"}, {"TST_Widget", ""}} {
		cr, err := wbem.ExecMethodSemisync(bg, h.svc, tc.path, tc.method, nil, nil)
		expectCode(t, err, status.WBEM_E_INVALID_PARAMETER)
		if cr != nil {
			t.Errorf("ExecMethodSemisync(%q, %q) returned a call result with its error", tc.path, tc.method)
		}
	}
	if h.eng.Pending() != 0 {
		t.Errorf("%d pending after rejected calls", h.eng.Pending())
	}
}
