package engine_test

// Acceptance scenarios T1–T20 of WMI-METHODS.md §15: asynchronous calls,
// resolution errors, provider failures and progress.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wbem/swbem"
)

// T1: Indicate(1, [__PARAMETERS]) then exactly one SetStatus(0, 0, nil,
// nil); the engine keeps no reference to the sink afterwards (A9).
func TestT01_AsyncSuccess(t *testing.T) {
	h := newHarness(t)
	s := h.async("TST_Widget", "Echo", h.echoIn("héllo, world"), 0)
	s.ExpectFinal(t, long, status.WBEM_S_NO_ERROR)
	s.ExpectKinds(t, cimtest.KindIndicate, cimtest.KindComplete)
	s.ExpectContract(t)
	calls := s.Calls()
	if n := len(calls[0].Objects); n != 1 {
		t.Fatalf("Indicate delivered %d objects, want 1", n)
	}
	out := calls[0].Objects[0]
	if out.ClassName() != cim.ParametersClass {
		t.Errorf("out-parameters class %s, want __PARAMETERS", out.ClassName())
	}
	if got := retval(t, out); got != 12 {
		t.Errorf("ReturnValue = %d, want 12", got)
	}
	if got := out.Value("sOutArg").Text(); got != "héllo, world" {
		t.Errorf("sOutArg = %q", got)
	}
	if !calls[0].At.Before(calls[1].At) && !calls[0].At.Equal(calls[1].At) {
		t.Errorf("Indicate recorded after the final status")
	}

	// Released: the sink is no longer known to the connection (once the
	// delivering goroutine has returned from the final SetStatus; a cancel
	// in between finds nothing left to do, C7) ...
	h.waitIdle()
	expectCode(t, h.svc.CancelAsyncCall(s), status.WBEM_E_NOT_FOUND)
	// ... and nothing in the engine keeps it alive.
	w := weak.Make(s)
	s = nil
	cimtest.CheckFor(t, long, time.Millisecond, func() error {
		runtime.GC()
		if w.Value() != nil {
			return errors.New("the sink is still reachable after the final status")
		}
		return nil
	})
}

// T2: a provider that indicates and then fails: Indicate, then
// SetStatus(0, hr, nil, __ExtendedStatus) naming the provider.
func TestT02_IndicateThenFail(t *testing.T) {
	h := newHarness(t)
	h.mux.Handle("Echo", cimtest.IndicateThenFail(status.New(status.WBEM_E_INVALID_METHOD_PARAMETERS, "sInArg is too short")))
	const path = `TST_Widget`
	s := h.async(path, "Echo", h.echoIn("x"), 0)
	c := s.ExpectFinal(t, long, status.WBEM_E_INVALID_METHOD_PARAMETERS)
	s.ExpectKinds(t, cimtest.KindIndicate, cimtest.KindComplete)
	e := expectExtended(t, c, cimtest.TestProvider, path)
	if e.Description != "sInArg is too short" {
		t.Errorf("Description = %q", e.Description)
	}
	// The in-process receiver gets the same details as a Go error.
	if err := s.ReceivedError(); status.Code(err) != status.WBEM_E_INVALID_METHOD_PARAMETERS || status.AsError(err).ProviderName != cimtest.TestProvider {
		t.Errorf("FinalError received %v", err)
	}
}

// valueSink is not comparable (it holds a slice), so it cannot identify
// its operations (DD-39).
type valueSink struct {
	_ []string
	n *int
}

func (v valueSink) Indicate([]*cim.Instance) status.HRESULT { *v.n++; return 0 }
func (v valueSink) SetStatus(int32, status.HRESULT, string, *cim.Instance) status.HRESULT {
	*v.n++
	return 0
}

// T3: a nil sink is WBEM_E_INVALID_PARAMETER, synchronously; so is a sink
// that is not comparable (DD-39). Nothing is registered.
func TestT03_NullSink(t *testing.T) {
	h := newHarness(t)
	expectCode(t, h.svc.ExecMethodAsync(bg, "TST_Widget", "Echo", nil, 0, nil, nil), status.WBEM_E_INVALID_PARAMETER)
	n := 0
	expectCode(t, h.svc.ExecMethodAsync(bg, "TST_Widget", "Echo", nil, 0, nil, valueSink{n: &n}), status.WBEM_E_INVALID_PARAMETER)
	if h.eng.Pending() != 0 {
		t.Errorf("%d operations pending after rejected calls", h.eng.Pending())
	}
	if n != 0 {
		t.Errorf("the rejected sink was called %d times", n)
	}
}

// T4 and the other argument checks of §13.1 step 1: answered
// synchronously, the sink never called (A2).
func TestT04_InvalidArguments(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name         string
		path, method string
		flags        int32
		want         status.HRESULT
	}{
		{"flag return immediately", "TST_Widget", "Echo", wbem.FlagReturnImmediately, status.WBEM_E_INVALID_PARAMETER},
		{"flag amended qualifiers", "TST_Widget", "Echo", wbem.FlagUseAmendedQualifiers, status.WBEM_E_INVALID_PARAMETER},
		{"flag 0x1", "TST_Widget", "Echo", 0x1, status.WBEM_E_INVALID_PARAMETER},
		{"flag forward only", "TST_Widget", "Echo", wbem.FlagForwardOnly, status.WBEM_E_INVALID_PARAMETER},
		{"send status and 0x10", "TST_Widget", "Echo", wbem.FlagSendStatus | wbem.FlagReturnImmediately, status.WBEM_E_INVALID_PARAMETER},
		{"empty path", "", "Echo", 0, status.WBEM_E_INVALID_PARAMETER},
		{"empty method", "TST_Widget", "", 0, status.WBEM_E_INVALID_PARAMETER},
		{"method name too wide", "TST_Widget", strings.Repeat("M", 256), 0, status.WBEM_E_METHOD_NAME_TOO_WIDE},
	}
	var sinks []*cimtest.RecordingSink
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := cimtest.NewRecordingSink()
			sinks = append(sinks, s)
			expectCode(t, h.svc.ExecMethodAsync(bg, tc.path, tc.method, nil, tc.flags, nil, s), tc.want)
		})
	}
	// A 255-character method name passes the check (and is unknown).
	h.final("TST_Widget", strings.Repeat("M", 255), nil, status.WBEM_E_INVALID_METHOD)
	h.waitIdle()
	for i, s := range sinks {
		if c := s.Calls(); len(c) != 0 {
			t.Errorf("%s: rejected call's sink got %v", tests[i].name, c)
		}
	}
}

// T5: an unknown method starts (S_OK) and ends with
// SetStatus(0, WBEM_E_INVALID_METHOD) whose error object says
// Operation "ExecMethod" and ProviderName "Windows Management".
func TestT05_UnknownMethod(t *testing.T) {
	h := newHarness(t)
	const path = `tst_widget`
	c := h.final(path, "NoSuchMethod", nil, status.WBEM_E_INVALID_METHOD)
	expectExtended(t, c, "Windows Management", path)
}

// T6: unknown class → final WBEM_E_INVALID_CLASS.
func TestT06_UnknownClass(t *testing.T) {
	h := newHarness(t)
	c := h.final("TST_NoSuchClass", "Echo", nil, status.WBEM_E_INVALID_CLASS)
	expectExtended(t, c, "Windows Management", "TST_NoSuchClass")
	h.final(`TST_NoSuchClass.Name="x"`, "Echo", nil, status.WBEM_E_INVALID_CLASS)
}

// T7: a malformed path is reported through the final status (DD-28).
func TestT07_BadPath(t *testing.T) {
	h := newHarness(t)
	for _, p := range []string{
		`X = "1"`, `TST_Widget = "w1"`, `TST_Widget.Name="w1`, `TST_Widget.Name=`, `TST_Widget.`,
		`TST_Widget.Name="c:\windows"`, `\\.`, `\\.\root\test`, `1TST_Widget`,
	} {
		t.Run(p, func(t *testing.T) {
			c := h.with(t).final(p, "Echo", nil, status.WBEM_E_INVALID_OBJECT_PATH)
			expectExtended(t, c, "Windows Management", p)
		})
	}
}

// T8: an instance path naming no instance → final WBEM_E_NOT_FOUND,
// both for a static instance and for an instance provider's class.
func TestT08_MissingInstance(t *testing.T) {
	h := newHarness(t)
	c := h.final(`TST_Widget.Name="nope"`, "Describe", nil, status.WBEM_E_NOT_FOUND)
	expectExtended(t, c, "Windows Management", `TST_Widget.Name="nope"`)
	h.final(`TST_Process.Handle="0"`, "GetOwner", nil, status.WBEM_E_NOT_FOUND)
	// A static method through a missing instance is checked the same way.
	h.final(`TST_Widget.Name="nope"`, "Echo", nil, status.WBEM_E_NOT_FOUND)
}

// T9: a non-static method on a class path → final
// WBEM_E_INVALID_METHOD_PARAMETERS (DD-14).
func TestT09_NonStaticOnClassPath(t *testing.T) {
	h := newHarness(t)
	c := h.final("TST_Widget", "Describe", nil, status.WBEM_E_INVALID_METHOD_PARAMETERS)
	expectExtended(t, c, "Windows Management", "TST_Widget")
}

// T10: a static method called through an instance path succeeds.
func TestT10_StaticOnInstancePath(t *testing.T) {
	h := newHarness(t)
	var got *provider.Call
	h.mux.HandleFunc("Echo", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		got = call
		return cimtest.Echo().ExecMethod(ctx, call, sink)
	})
	s := h.async(`TST_Widget.Name="w2"`, "Echo", h.echoIn("abc"), 0)
	s.ExpectFinal(t, long, status.WBEM_S_NO_ERROR)
	if rv := retval(t, s.Objects()[0]); rv != 3 {
		t.Errorf("ReturnValue = %d, want 3", rv)
	}
	if got.Path.RelPath() != `TST_Widget.Name="w2"` {
		t.Errorf("provider got path %s", got.Path.RelPath())
	}
	if got.PathText != `TST_Widget.Name="w2"` {
		t.Errorf("provider got path text %q", got.PathText)
	}
}

// T11: a method with no [Implemented] anywhere in its chain → final
// WBEM_E_METHOD_NOT_IMPLEMENTED; a [Disabled] one →
// WBEM_E_METHOD_DISABLED.
func TestT11_NotImplemented(t *testing.T) {
	h := newHarness(t)
	h.final("TST_Widget", "NotImpl", nil, status.WBEM_E_METHOD_NOT_IMPLEMENTED)
	h.final(`TST_Widget.Name="w1"`, "NotImpl", nil, status.WBEM_E_METHOD_NOT_IMPLEMENTED)
	h.final("TST_Widget", "Off", nil, status.WBEM_E_METHOD_DISABLED)
	h.final(`TST_Widget.Name="w1"`, "Off", nil, status.WBEM_E_METHOD_DISABLED)
}

// T12: a derived class overriding an [Implemented] method: a call through
// the base-class path on a derived instance runs the derived
// implementation, unless the method is Bypass_GetObject; a derived class
// that does not override it runs the base implementation.
func TestT12_DerivedOverride(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		path, method, want string
	}{
		{`TST_Base.Name="d1"`, "WhoAmI", "DerivedProv:TST_Derived"},
		{`TST_Derived.Name="d1"`, "WhoAmI", "DerivedProv:TST_Derived"},
		{`TST_Base.Name="b1"`, "WhoAmI", "TestProv:TST_Base"},
		{`TST_Base.Name="d2"`, "WhoAmI", "TestProv:TST_Derived2"},
		{`TST_Base.Name="d1"`, "WhoAmIBypass", "TestProv:TST_Base"},
		{`TST_Derived.Name="d1"`, "WhoAmIBypass", "DerivedProv:TST_Derived"},
	}
	for _, tc := range tests {
		t.Run(tc.path+"."+tc.method, func(t *testing.T) {
			out, err := h.svc.ExecMethod(bg, tc.path, tc.method, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Value(cim.ReturnValueName).Text(); got != tc.want {
				t.Errorf("ran %q, want %q", got, tc.want)
			}
		})
	}
}

// T13: without WBEM_METHOD_EXECUTE the call ends with
// WBEM_E_ACCESS_DENIED: final status asynchronously, the return value
// synchronously.
func TestT13_AccessDenied(t *testing.T) {
	h := newHarness(t, func(c *config) { c.opts.Authorizer = denyExecute })
	ctx := security.WithIdentity(bg, &security.Identity{User: "guest", UID: -1})
	s := cimtest.NewRecordingSink()
	if err := h.svc.ExecMethodAsync(ctx, "TST_Widget", "Echo", h.echoIn("x"), 0, nil, s); err != nil {
		t.Fatalf("ExecMethodAsync: %v", err)
	}
	c := s.ExpectFinal(t, long, status.WBEM_E_ACCESS_DENIED)
	s.ExpectKinds(t, cimtest.KindComplete)
	expectExtended(t, c, "Windows Management", "TST_Widget")
	_, err := h.svc.ExecMethod(ctx, "TST_Widget", "Echo", h.echoIn("x"), nil)
	expectCode(t, err, status.WBEM_E_ACCESS_DENIED)
	// Reading is still allowed.
	if _, err := h.svc.GetClass(ctx, "TST_Widget"); err != nil {
		t.Errorf("GetClass: %v", err)
	}
}

// T14: a class whose provider is not registered (or not named, or
// disabled, or not built in) → WBEM_E_PROVIDER_NOT_FOUND and friends.
func TestT14_ProviderNotRegistered(t *testing.T) {
	h := newHarness(t, func(c *config) { c.providers[cimtest.AuxProvider] = nil })
	h.final("TST_Ghost", "Echo", h.echoIn("x"), status.WBEM_E_PROVIDER_NOT_FOUND)
	h.final("TST_NoProvider", "Echo", h.echoIn("x"), status.WBEM_E_PROVIDER_NOT_FOUND)
	h.final("TST_Disabled", "Echo", h.echoIn("x"), status.WBEM_E_PROVIDER_DISABLED)
	// Registered in the repository, but no such provider in the server.
	h.final("TST_Aux", "Echo", h.echoIn("x"), status.WBEM_E_PROVIDER_LOAD_FAILURE)
	if len(h.tracesOf("LoadOperationFailureEvent")) == 0 {
		t.Error("no LoadOperationFailureEvent traced")
	}
}

// T15: a provider whose Initialize fails → WBEM_E_INITIALIZATION_FAILURE,
// every time (failures are not cached).
func TestT15_InitializeFails(t *testing.T) {
	h := newHarness(t)
	for range 2 {
		c := h.final("TST_InitFail", "Echo", h.echoIn("x"), status.WBEM_E_INITIALIZATION_FAILURE)
		if e := c.ExtendedStatus(); !strings.Contains(e.Description, "no hardware here") {
			t.Errorf("Description %q does not carry the provider's error", e.Description)
		}
	}
	if n := len(h.tracesOf("InitializationOperationFailureEvent")); n != 2 {
		t.Errorf("%d InitializationOperationFailureEvent traces, want 2", n)
	}
}

// T16: a panicking provider → WBEM_E_PROVIDER_FAILURE naming the
// provider; the next call works.
func TestT16_ProviderPanics(t *testing.T) {
	h := newHarness(t)
	h.mux.Handle("NoInput", cimtest.Panic("boom"))
	c := h.final("TST_Widget", "NoInput", nil, status.WBEM_E_PROVIDER_FAILURE)
	expectExtended(t, c, cimtest.TestProvider, "TST_Widget")
	// A panic after the final status is contained too and changes nothing.
	h.mux.HandleFunc("Nothing", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		sink.SetStatus(nil)
		panic("after the fact")
	})
	s := h.async("TST_Widget", "Nothing", nil, 0)
	s.ExpectFinal(t, long, status.WBEM_S_NO_ERROR)
	h.waitTrace("ExecMethodAsyncEvent_Post", 2)
	s.ExpectContract(t)
	h.final("TST_Widget", "Echo", h.echoIn("still alive"), status.WBEM_S_NO_ERROR)
}

// T17: a provider returning an error without SetStatus: the error becomes
// the final status (DD-30).
func TestT17_ErrorWithoutStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want status.HRESULT
	}{
		{"HRESULT", status.WBEM_E_FAILED, status.WBEM_E_FAILED},
		{"status.Error", status.New(status.WBEM_E_NOT_SUPPORTED, "not today"), status.WBEM_E_NOT_SUPPORTED},
		{"plain Go error", errors.New("disk on fire"), status.WBEM_E_FAILED},
		{"wrapped", fmt.Errorf("context: %w", status.WBEM_E_ACCESS_DENIED), status.WBEM_E_ACCESS_DENIED},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.mux.Handle("NoInput", cimtest.Fail(tc.err))
			s := h.async("TST_Widget", "NoInput", nil, 0)
			c := s.ExpectFinal(t, long, tc.want)
			s.ExpectKinds(t, cimtest.KindComplete)
			expectExtended(t, c, cimtest.TestProvider, "TST_Widget")
		})
	}
}

// T18: a provider calling SetStatus twice (and Indicate, Progress and
// returning an error after it): the client sees one Indicate and one
// SetStatus.
func TestT18_DoubleSetStatus(t *testing.T) {
	h := newHarness(t)
	h.mux.Handle("NoInput", cimtest.Unruly(status.WBEM_E_FAILED))
	s := h.async("TST_Widget", "NoInput", nil, wbem.FlagSendStatus)
	s.ExpectFinal(t, long, status.WBEM_S_NO_ERROR)
	h.waitTrace("ExecMethodAsyncEvent_Post", 1) // the provider has returned
	s.ExpectKinds(t, cimtest.KindIndicate, cimtest.KindComplete)
	s.ExpectContract(t)
}

// T19: with WBEM_FLAG_SEND_STATUS, progress (3 of 10) reaches the client
// as SetStatus(2, 0x000A0003, msg, nil) before the final status, and the
// scripting sink as OnProgress(10, 3, msg).
func TestT19_Progress(t *testing.T) {
	h := newHarness(t)
	h.mux.Handle("Echo", cimtest.Progress(cimtest.Echo(), cimtest.ProgressStep{Current: 3, Total: 10, Message: "three of ten"}))
	s := h.async("TST_Widget", "Echo", h.echoIn("x"), wbem.FlagSendStatus)
	s.ExpectFinal(t, long, status.WBEM_S_NO_ERROR)
	s.ExpectKinds(t, cimtest.KindProgress, cimtest.KindIndicate, cimtest.KindComplete)
	p := s.Calls()[0]
	if p.Flags != 2 || p.HR != 0x000A0003 || p.Param != "three of ten" || p.ErrObj != nil {
		t.Errorf("progress call %v, want SetStatus(2, 0x000A0003, \"three of ten\", nil)", p)
	}

	// Scripting.
	type progress struct {
		upper, current int
		msg            string
		ctx            *cim.NamedValues
	}
	got := make(chan progress, 4)
	done := make(chan status.HRESULT, 1)
	sink := &swbem.Sink{
		OnProgress: func(upper, current int, msg string, ac *cim.NamedValues) {
			got <- progress{upper, current, msg, ac}
		},
		OnCompleted: func(hr status.HRESULT, _ *cim.Instance, _ *cim.NamedValues) { done <- hr },
	}
	actx := cim.NewNamedValues()
	if err := swbem.New(bg, h.svc).ExecMethodAsync(sink, "TST_Widget", "Echo", h.echoIn("x"), 128, nil, actx); err != nil {
		t.Fatal(err)
	}
	select {
	case hr := <-done:
		if hr != 0 {
			t.Fatalf("OnCompleted(%s)", hr.Hex())
		}
	case <-time.After(long):
		t.Fatal("no OnCompleted")
	}
	select {
	case p := <-got:
		if p.upper != 10 || p.current != 3 || p.msg != "three of ten" || p.ctx != actx {
			t.Errorf("OnProgress(%d, %d, %q, %p), want (10, 3, \"three of ten\", %p)", p.upper, p.current, p.msg, p.ctx, actx)
		}
	default:
		t.Fatal("no OnProgress before OnCompleted")
	}
}

// T20: without WBEM_FLAG_SEND_STATUS the provider's progress is dropped:
// the client sees only the result and the final status.
func TestT20_ProgressNotRequested(t *testing.T) {
	h := newHarness(t)
	h.mux.Handle("Echo", cimtest.Progress(cimtest.Echo(),
		cimtest.ProgressStep{Current: 1, Total: 2, Message: "half"}, cimtest.ProgressStep{Current: 2, Total: 2}))
	s := h.async("TST_Widget", "Echo", h.echoIn("x"), 0)
	s.ExpectFinal(t, long, status.WBEM_S_NO_ERROR)
	s.ExpectKinds(t, cimtest.KindIndicate, cimtest.KindComplete)

	progressed := make(chan struct{}, 4)
	done := make(chan struct{})
	sink := &swbem.Sink{
		OnProgress:  func(int, int, string, *cim.NamedValues) { progressed <- struct{}{} },
		OnCompleted: func(status.HRESULT, *cim.Instance, *cim.NamedValues) { close(done) },
	}
	if err := swbem.New(bg, h.svc).ExecMethodAsync(sink, "TST_Widget", "Echo", h.echoIn("x"), 0, nil, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(long):
		t.Fatal("no OnCompleted")
	}
	if len(progressed) != 0 {
		t.Errorf("OnProgress raised %d times without wbemFlagSendStatus", len(progressed))
	}
}
