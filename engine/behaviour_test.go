package engine_test

// Behaviour beyond the acceptance matrix: the Go form of asynchronous
// calls, the synchronous mode, cancellation races, late provider
// callbacks, timeouts, limits and the extended error object.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// The Go form: Start, then the Events iterator, Wait and Cancel.
func TestGoFormEventsWaitCancel(t *testing.T) {
	h := newHarness(t)
	h.mux.Handle("Echo", cimtest.Progress(cimtest.Echo(), cimtest.ProgressStep{Current: 1, Total: 4, Message: "a quarter"}))
	c, err := wbem.Start(bg, h.svc, "TST_Widget", "Echo", h.echoIn("go"), wbem.FlagSendStatus, nil)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []wbem.EventKind
	for ev := range c.Events() {
		kinds = append(kinds, ev.Kind)
		switch ev.Kind {
		case wbem.EventProgress:
			if ev.Current != 1 || ev.Total != 4 || ev.Message != "a quarter" {
				t.Errorf("progress event %+v", ev)
			}
		case wbem.EventObject:
			if ev.Object.Value("sOutArg").Text() != "go" {
				t.Errorf("object %s", ev.Object.MOF())
			}
		case wbem.EventComplete:
			if ev.Err != nil {
				t.Errorf("complete with %v", ev.Err)
			}
		}
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]wbem.EventKind{wbem.EventProgress, wbem.EventObject, wbem.EventComplete}) {
		t.Errorf("events %v", kinds)
	}
	out, err := c.Wait(bg)
	if err != nil || retval(t, out) != 2 {
		t.Errorf("Wait = %v, %v", out, err)
	}
	if err := c.Cancel(); err != nil {
		t.Errorf("Cancel after completion: %v", err)
	}

	// Cancel while running; Wait with an expiring context first.
	b := &cimtest.Blocker{ObeyContext: true}
	t.Cleanup(b.Release)
	h.mux.Handle("NoInput", b)
	c, err = wbem.Start(bg, h.svc, "TST_Widget", "NoInput", nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.WaitEntered(t, 1, long)
	ctx, cancel := context.WithTimeout(bg, 10*time.Millisecond)
	defer cancel()
	if _, err := c.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait with an expired context = %v", err)
	}
	if err := c.Cancel(); err != nil {
		t.Fatal(err)
	}
	out, err = c.Wait(bg)
	if out != nil || !errors.Is(err, status.WBEM_E_CALL_CANCELLED) {
		t.Errorf("Wait after Cancel = %v, %v", out, err)
	}
	b.WaitFor(t, long, "provider saw the cancellation", func(_, c, r int) bool { return c == 1 && r == 1 })
	if errs := b.ContextErrors(); !errors.Is(errs[0], context.Canceled) {
		t.Errorf("provider context error %v", errs[0])
	}
}

// The synchronous mode: out-parameters or the error with its extended
// fields; the caller's context cancels the call and the provider's
// context.
func TestSyncExecMethod(t *testing.T) {
	h := newHarness(t)
	out, err := h.svc.ExecMethod(bg, "TST_Widget", "Echo", h.echoIn("sync"), nil)
	if err != nil || retval(t, out) != 4 || out.Value("sOutArg").Text() != "sync" {
		t.Fatalf("ExecMethod = %v, %v", out, err)
	}
	out, err = h.svc.ExecMethod(bg, "TST_Widget", "Nothing", nil, nil)
	if err != nil || out != nil {
		t.Errorf("void method: %v, %v", out, err)
	}
	// Failure after an Indicate: no out-parameters (§5.5).
	h.mux.Handle("NoInput", cimtest.IndicateThenFail(status.New(status.WBEM_E_FAILED, "half done")))
	out, err = h.svc.ExecMethod(bg, `TST_Widget.Name="w1"`, "NoInput", nil, nil)
	if out != nil {
		t.Errorf("out-parameters %s returned with a failure", out.MOF())
	}
	e := status.AsError(err)
	if e.Code != status.WBEM_E_FAILED || e.Description != "half done" || e.Operation != "ExecMethod" ||
		e.ProviderName != cimtest.TestProvider || e.ParameterInfo != `TST_Widget.Name="w1"` {
		t.Errorf("error %+v", e)
	}
	// More than one object: the first one is kept (DD-18).
	h.mux.HandleFunc("NoInput", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		for i := range 3 {
			out, _ := cimtest.OutParams(call, uint32(i+10), nil)
			_ = sink.Indicate(out)
		}
		sink.SetStatus(nil)
		return nil
	})
	out, err = h.svc.ExecMethod(bg, "TST_Widget", "NoInput", nil, nil)
	if err != nil || retval(t, out) != 10 {
		t.Errorf("first of three objects: %v, %v", out, err)
	}
	// The caller's context ends the call.
	b := &cimtest.Blocker{ObeyContext: true}
	t.Cleanup(b.Release)
	h.mux.Handle("Echo", b)
	ctx, cancel := context.WithCancel(bg)
	go func() {
		b.WaitEntered(t, 1, long)
		cancel()
	}()
	_, err = h.svc.ExecMethod(ctx, "TST_Widget", "Echo", h.echoIn("x"), nil)
	expectCode(t, err, status.WBEM_E_CALL_CANCELLED)
	b.WaitFor(t, long, "provider saw the cancellation", func(_, c, _ int) bool { return c == 1 })
	h.waitIdle()
}

// Cancelling the caller's context of an asynchronous call cancels it;
// a context that has already ended does so at once.
func TestCallerContextCancels(t *testing.T) {
	h := newHarness(t)
	b := &cimtest.Blocker{ObeyContext: true}
	t.Cleanup(b.Release)
	h.mux.Handle("Echo", b)
	ctx, cancel := context.WithCancel(bg)
	s := cimtest.NewRecordingSink()
	if err := h.svc.ExecMethodAsync(ctx, "TST_Widget", "Echo", h.echoIn("x"), 0, nil, s); err != nil {
		t.Fatal(err)
	}
	b.WaitEntered(t, 1, long)
	cancel()
	if c := s.Wait(t, long); c.HR != status.WBEM_E_CALL_CANCELLED {
		t.Errorf("final %v", c)
	}
	b.WaitFor(t, long, "provider saw the cancellation", func(_, c, _ int) bool { return c == 1 })

	for range 500 {
		s := cimtest.NewRecordingSink()
		if err := h.svc.ExecMethodAsync(ctx, "TST_Widget", "Echo", h.echoIn("x"), 0, nil, s); err != nil {
			t.Fatal(err)
		}
		if c := s.Wait(t, long); c.HR != status.WBEM_E_CALL_CANCELLED {
			t.Errorf("final %v for an ended context", c)
		}
	}
	h.waitIdle()
}

// A cancel racing the provider's completion: exactly one final status,
// either the real result or the cancellation, and nothing after it.
func TestCancelRacesCompletion(t *testing.T) {
	h := newHarness(t)
	p := cimtest.NewParker(16)
	h.mux.Handle("Echo", p)
	const n = 1000
	var cancelledN, completedN int
	for i := range n {
		s := cimtest.NewRecordingSink()
		if err := h.svc.ExecMethodAsync(bg, "TST_Widget", "Echo", h.echoIn("x"), 0, nil, s); err != nil {
			t.Fatal(err)
		}
		p.WaitParked(t, i+1, long)
		c := p.Take()[0]
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _ = c.Run(cimtest.Echo()) }()
		go func() {
			defer wg.Done()
			if err := h.svc.CancelAsyncCall(s); err != nil && status.Code(err) != status.WBEM_E_NOT_FOUND {
				t.Errorf("CancelAsyncCall: %v", err)
			}
		}()
		wg.Wait()
		f := s.Wait(t, long)
		if v := s.Violations(); v != "" {
			t.Fatalf("iteration %d: %s", i, v)
		}
		switch f.HR {
		case status.WBEM_S_NO_ERROR:
			completedN++
			s.ExpectKinds(t, cimtest.KindIndicate, cimtest.KindComplete)
		case status.WBEM_E_CALL_CANCELLED:
			cancelledN++
			if k := s.Kinds(); len(k) > 2 || k[len(k)-1] != cimtest.KindComplete {
				t.Fatalf("iteration %d: %v", i, s.Calls())
			}
		default:
			t.Fatalf("iteration %d: final %v", i, f)
		}
	}
	h.waitIdle()
	t.Logf("%d completed, %d cancelled", completedN, cancelledN)
}

// CancelAsyncCall on a sink while calls on it are being started, from
// another goroutine: every started call gets exactly one final status
// and the table ends empty. Run under -race: the cancel must not see a
// half-built operation, on a class path (checked on the client's
// goroutine) or an instance path (target fetched on the worker).
func TestCancelWhileStarting(t *testing.T) {
	for _, path := range []string{"TST_Widget", `TST_Widget.Name="w1"`} {
		t.Run(path, func(t *testing.T) {
			h := newHarness(t, func(c *config) { c.opts.MaxPendingPerConnection = 4000 })
			p := cimtest.NewParker(1024)
			h.mux.Handle("Echo", p)
			s := cimtest.NewRecordingSink()
			const n = 2000
			var started atomic.Int32
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				for range n {
					if err := h.svc.ExecMethodAsync(bg, path, "Echo", h.echoIn("x"), 0, nil, s); err != nil {
						t.Error(err)
						return
					}
					started.Add(1)
				}
			}()
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					_ = h.svc.CancelAsyncCall(s)
				}
			}()
			cimtest.CheckFor(t, long, time.Millisecond, func() error {
				if started.Load() < n {
					return errors.New("still starting")
				}
				return nil
			})
			close(stop)
			wg.Wait()
			_ = h.svc.CancelAsyncCall(s)
			finals := s.WaitFinals(t, n, long)
			if len(finals) != n {
				t.Errorf("%d final statuses for %d calls", len(finals), n)
			}
			p.Release(nil)
			h.waitIdle()
			if got := len(s.Calls()); got != n {
				t.Errorf("%d callbacks for %d cancelled calls", got, n)
			}
		})
	}
}

// A provider that completes from another goroutine after ExecMethod
// returned; late duplicates are dropped and the provider is told S_OK.
func TestProviderCompletesLater(t *testing.T) {
	h := newHarness(t)
	p := cimtest.NewParker(1)
	h.mux.Handle("Echo", p)
	s := h.async("TST_Widget", "Echo", h.echoIn("later"), wbem.FlagSendStatus)
	p.WaitParked(t, 1, long)
	h.waitTrace("ExecMethodAsyncEvent_Post", 1)
	if len(s.Calls()) != 0 {
		t.Fatalf("callbacks before the provider sent anything: %v", s.Calls())
	}
	c := p.Take()[0]
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.Sink.Progress(1, 2, "half"); err != nil {
			t.Errorf("Progress: %v", err)
		}
		if err := c.Run(cimtest.Echo()); err != nil {
			t.Errorf("Echo: %v", err)
		}
		// Everything after the final status is ignored, and says so with nil.
		c.Sink.SetStatus(status.WBEM_E_FAILED)
		out, _ := cimtest.OutParams(c.Call, uint32(99), nil)
		if err := c.Sink.Indicate(out); err != nil {
			t.Errorf("Indicate after the final status: %v", err)
		}
		if err := c.Sink.Progress(2, 2, "late"); err != nil {
			t.Errorf("Progress after the final status: %v", err)
		}
	}()
	<-done
	s.ExpectFinal(t, long, 0)
	s.ExpectKinds(t, cimtest.KindProgress, cimtest.KindIndicate, cimtest.KindComplete)
	s.ExpectContract(t)
	if rv := retval(t, s.Objects()[0]); rv != 5 {
		t.Errorf("ReturnValue %d", rv)
	}
	if c.Ctx.Err() == nil {
		t.Error("the provider's context is still live after the final status")
	}
}

// An error returned after the final status is ignored (DD-30).
func TestErrorAfterFinalIgnored(t *testing.T) {
	h := newHarness(t)
	h.mux.HandleFunc("NoInput", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		sink.SetStatus(nil)
		return status.WBEM_E_PROVIDER_FAILURE
	})
	s := h.async("TST_Widget", "NoInput", nil, 0)
	s.ExpectFinal(t, long, 0)
	h.waitTrace("ExecMethodAsyncEvent_Post", 1)
	s.ExpectKinds(t, cimtest.KindComplete)
}

// Callbacks of one operation never overlap, even when the provider calls
// its sink from many goroutines at once (A10).
func TestCallbacksSerialised(t *testing.T) {
	h := newHarness(t)
	const workers, each = 8, 50
	h.mux.HandleFunc("NoInput", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					out, _ := cimtest.OutParams(call, uint32(w*each+i), nil)
					_ = sink.Indicate(out)
					_ = sink.Progress(uint16(i), each, "")
				}
			}()
		}
		go func() { wg.Wait(); sink.SetStatus(nil) }()
		return nil
	})
	s := cimtest.NewRecordingSink()
	s.OnIndicate(func([]*cim.Instance) { time.Sleep(time.Microsecond) })
	if err := h.svc.ExecMethodAsync(bg, "TST_Widget", "NoInput", nil, wbem.FlagSendStatus, nil, s); err != nil {
		t.Fatal(err)
	}
	s.ExpectFinal(t, long, 0)
	s.ExpectContract(t)
	if n := len(s.Objects()); n != workers*each {
		t.Errorf("%d objects, want %d", n, workers*each)
	}
}

// OperationTimeout ends a call whose provider never reports with
// WBEM_E_PROVIDER_TIMED_OUT; the provider's context has the deadline and
// ends with context.DeadlineExceeded.
func TestOperationTimeout(t *testing.T) {
	const timeout = 50 * time.Millisecond
	h := newHarness(t, func(c *config) { c.opts.OperationTimeout = timeout })
	b := &cimtest.Blocker{ObeyContext: true}
	t.Cleanup(b.Release)
	var deadline atomic.Value
	h.mux.HandleFunc("Echo", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		d, ok := ctx.Deadline()
		deadline.Store(fmt.Sprint(ok, time.Until(d) <= timeout))
		return b.ExecMethod(ctx, call, sink)
	})
	p := cimtest.NewParker(1)
	h.mux.Handle("NoInput", p)
	start := time.Now()
	s := h.async("TST_Widget", "Echo", h.echoIn("x"), 0)
	parked := h.async("TST_Widget", "NoInput", nil, 0)
	c := s.ExpectFinal(t, long, status.WBEM_E_PROVIDER_TIMED_OUT)
	if d := time.Since(start); d < timeout {
		t.Errorf("timed out after %v, before %v", d, timeout)
	}
	expectExtended(t, c, cimtest.TestProvider, "TST_Widget")
	parked.ExpectFinal(t, long, status.WBEM_E_PROVIDER_TIMED_OUT)
	b.WaitFor(t, long, "provider saw the deadline", func(_, c, _ int) bool { return c == 1 })
	if errs := b.ContextErrors(); !errors.Is(errs[0], context.DeadlineExceeded) {
		t.Errorf("provider context error %v, want DeadlineExceeded", errs[0])
	}
	if got := deadline.Load(); got != "true true" {
		t.Errorf("provider context deadline: %v", got)
	}
	p.Release(nil)
	parked.ExpectContract(t)
	// A call that finishes in time is not affected.
	fast := h.async("TST_Widget", "Nothing", nil, 0)
	fast.ExpectFinal(t, long, 0)
	h.waitIdle()
}

// limitsCase runs the admission-limit scenario: calls blocked in their
// providers until released, a call past the limits refused synchronously
// with WBEM_E_QUOTA_VIOLATION (its sink untouched), and every admitted
// call completed once released.
func TestLimits(t *testing.T) {
	type start struct {
		class  string
		refuse bool
	}
	tests := []struct {
		name  string
		opts  func(*engine.Options)
		calls []start
	}{
		{"per provider", func(o *engine.Options) { o.MaxWorkersPerProvider, o.MaxQueuePerProvider = 2, 3 },
			[]start{{"TST_Widget", false}, {"TST_Widget", false}, {"TST_Widget", false}, {"TST_Widget", false},
				{"TST_Widget", false}, {"TST_Widget", true}, {"TST_Aux", false}, {"TST_Widget", true}}},
		{"engine wide", func(o *engine.Options) { o.MaxWorkers, o.MaxQueue = 2, 2 },
			[]start{{"TST_Widget", false}, {"TST_Aux", false}, {"TST_Widget", false}, {"TST_Aux", false},
				{"TST_Aux", true}, {"TST_Widget", true}}},
		{"engine pending", func(o *engine.Options) { o.MaxPending = 3 },
			[]start{{"TST_Widget", false}, {"TST_Aux", false}, {"TST_Widget", false}, {"TST_Aux", true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *config) { tc.opts(&c.opts) })
			b := &cimtest.Blocker{Then: cimtest.Echo()}
			t.Cleanup(b.Release)
			h.mux.Handle("Echo", b)
			h.aux.Handle("Echo", b)
			var admitted []*cimtest.RecordingSink
			for i, c := range tc.calls {
				s := cimtest.NewRecordingSink()
				err := h.svc.ExecMethodAsync(bg, c.class, "Echo", h.echoIn("x"), 0, nil, s)
				if c.refuse {
					if status.Code(err) != status.WBEM_E_QUOTA_VIOLATION {
						t.Fatalf("call %d (%s): %v, want WBEM_E_QUOTA_VIOLATION", i, c.class, err)
					}
					if s.Calls() != nil {
						t.Errorf("refused call's sink was called: %v", s.Calls())
					}
					continue
				}
				if err != nil {
					t.Fatalf("call %d (%s): %v", i, c.class, err)
				}
				admitted = append(admitted, s)
			}
			b.Release()
			for _, s := range admitted {
				s.ExpectFinal(t, long, 0)
				s.ExpectKinds(t, cimtest.KindIndicate, cimtest.KindComplete)
			}
			h.waitIdle()
			// With everything done the limits admit calls again.
			h.final("TST_Widget", "Echo", h.echoIn("x"), 0)
		})
	}
}

// MaxPendingPerConnection bounds one connection's outstanding calls
// (DD-27), default 1000; other connections are not affected.
func TestMaxPendingPerConnection(t *testing.T) {
	for _, limit := range []int{0, 3} {
		t.Run(fmt.Sprint("limit=", limit), func(t *testing.T) {
			h := newHarness(t, func(c *config) { c.opts.MaxPendingPerConnection = limit })
			want := limit
			if want == 0 {
				want = 1000
			}
			p := cimtest.NewParker(want + 1)
			h.mux.Handle("Echo", p)
			sinks := make([]*cimtest.RecordingSink, want)
			for i := range sinks {
				sinks[i] = h.async("TST_Widget", "Echo", h.echoIn("x"), 0)
			}
			over := cimtest.NewRecordingSink()
			expectCode(t, h.svc.ExecMethodAsync(bg, "TST_Widget", "Echo", h.echoIn("x"), 0, nil, over), status.WBEM_E_QUOTA_VIOLATION)
			// A failing resolution counts too while its status is pending,
			// but not once it has been delivered.
			other := h.open(bg)
			h.asyncOn(other, "TST_Widget", "Echo", h.echoIn("x"), 0, nil)
			p.WaitParked(t, want+1, long)
			p.Release(nil)
			for _, s := range sinks {
				s.ExpectFinal(t, long, 0)
			}
			h.waitIdle()
			h.final("TST_Widget", "Nothing", nil, 0)
			if over.Calls() != nil {
				t.Errorf("refused call's sink was called")
			}
		})
	}
}

// Services.Close cancels the connection's calls; later calls fail.
func TestServicesClose(t *testing.T) {
	h := newHarness(t)
	p := cimtest.NewParker(1)
	h.mux.Handle("Echo", p)
	svc := h.open(bg)
	s := h.asyncOn(svc, "TST_Widget", "Echo", h.echoIn("x"), 0, nil)
	p.WaitParked(t, 1, long)
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	if c := s.Wait(t, long); c.HR != status.WBEM_E_CALL_CANCELLED {
		t.Errorf("final %v", c)
	}
	if err := svc.ExecMethodAsync(bg, "TST_Widget", "Echo", nil, 0, nil, cimtest.NewRecordingSink()); err == nil {
		t.Error("a call on a closed Services was accepted")
	}
	p.Release(nil)
	s.ExpectContract(t)
	h.waitIdle()
}

// The __ExtendedStatus of failures: Operation "ExecMethod", ParameterInfo
// the path as given, ProviderName "Windows Management" for failures the
// object manager finds and the provider's name for the provider's own
// (DD-32, §8.4), whatever ran before on the same provider.
func TestExtendedStatus(t *testing.T) {
	h := newHarness(t)
	h.mux.Handle("NoInput", cimtest.Fail(status.New(status.WBEM_E_ACCESS_DENIED, "not you")))
	tests := []struct {
		path, method string
		want         status.HRESULT
		provider     string
	}{
		// Run a method of TestProv first, so that its host is loaded.
		{`TST_Widget`, "NoInput", status.WBEM_E_ACCESS_DENIED, cimtest.TestProvider},
		{`tst_WIDGET.name="nope"`, "Describe", status.WBEM_E_NOT_FOUND, "Windows Management"},
		{`TST_Widget.Name="nope"`, "Echo", status.WBEM_E_NOT_FOUND, "Windows Management"},
		{`TST_Widget.Name="w1"`, "Nope", status.WBEM_E_INVALID_METHOD, "Windows Management"},
		{`TST_Widget.Name="w1"`, "NotImpl", status.WBEM_E_METHOD_NOT_IMPLEMENTED, "Windows Management"},
		{`\\.\root\test:TST_Widget.Name="w1"`, "Off", status.WBEM_E_METHOD_DISABLED, "Windows Management"},
		{`TST_Widget`, "Describe", status.WBEM_E_INVALID_METHOD_PARAMETERS, "Windows Management"},
		{`TST_Base.Name="nobody"`, "WhoAmI", status.WBEM_E_NOT_FOUND, "Windows Management"},
		{`TST_Widget.Name="w1"`, "NoInput", status.WBEM_E_ACCESS_DENIED, cimtest.TestProvider},
	}
	for _, tc := range tests {
		t.Run(tc.path+"."+tc.method, func(t *testing.T) {
			c := h.with(t).final(tc.path, tc.method, nil, tc.want)
			expectExtended(t, c, tc.provider, tc.path)
		})
	}
}

// The provider sees the caller's identity, in Call.Caller and through its
// context.
func TestCallerIdentity(t *testing.T) {
	h := newHarness(t)
	who := &security.Identity{User: "alice", UID: 1234, Source: "test"}
	got := make(chan [2]*security.Identity, 1)
	h.mux.HandleFunc("Nothing", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		got <- [2]*security.Identity{call.Caller, security.IdentityFrom(ctx)}
		sink.SetStatus(nil)
		return nil
	})
	s := cimtest.NewRecordingSink()
	if err := h.svc.ExecMethodAsync(security.WithIdentity(bg, who), "TST_Widget", "Nothing", nil, 0, nil, s); err != nil {
		t.Fatal(err)
	}
	s.ExpectFinal(t, long, 0)
	if ids := <-got; ids[0] != who || ids[1] != who {
		t.Errorf("provider saw %+v and %+v", ids[0], ids[1])
	}
}

// Shutdown while calls are being dispatched to a provider that forgets
// them: every call ends with WBEM_E_SHUTTING_DOWN, and closing the hosts
// does not race with the workers that call them.
func TestShutdownWhileDispatching(t *testing.T) {
	h := newHarness(t)
	forget := provider.MethodProviderFunc(func(context.Context, *provider.Call, provider.Sink) error { return nil })
	h.mux.Handle("Echo", forget)
	h.aux.Handle("Echo", forget)
	const n = 64
	sinks := make([]*cimtest.RecordingSink, 0, n)
	for i := range n {
		class := "TST_Widget"
		if i%2 == 1 {
			class = "TST_Aux"
		}
		sinks = append(sinks, h.async(class, "Echo", h.echoIn("x"), 0))
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if err := h.eng.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown = %v", err)
	}
	for _, s := range sinks {
		s.ExpectFinal(t, long, status.WBEM_E_SHUTTING_DOWN)
	}
	h.waitIdle()
}
