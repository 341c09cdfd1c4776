package e2e

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wbem/swbem"
)

// sinkEvent is one callback of a swbem.Sink, in the order it came.
type sinkEvent struct {
	kind           string // "object", "progress" or "completed"
	obj            *cim.Instance
	hr             status.HRESULT
	lastError      *cim.Instance
	upper, current int
	asyncContext   *cim.NamedValues
}

// recordingSink is a swbem.Sink that records its callbacks and closes
// done on OnCompleted.
type recordingSink struct {
	*swbem.Sink
	mu     sync.Mutex
	events []sinkEvent
	done   chan struct{}
}

func newRecordingSink() *recordingSink {
	r := &recordingSink{done: make(chan struct{})}
	add := func(e sinkEvent) {
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
	}
	r.Sink = &swbem.Sink{
		OnObjectReady: func(obj *cim.Instance, asyncContext *cim.NamedValues) {
			add(sinkEvent{kind: "object", obj: obj.Clone(), asyncContext: asyncContext})
		},
		OnProgress: func(upperBound, current int, message string, asyncContext *cim.NamedValues) {
			add(sinkEvent{kind: "progress", upper: upperBound, current: current, asyncContext: asyncContext})
		},
		OnCompleted: func(hr status.HRESULT, lastError *cim.Instance, asyncContext *cim.NamedValues) {
			add(sinkEvent{kind: "completed", hr: hr, lastError: lastError, asyncContext: asyncContext})
			close(r.done)
		},
	}
	return r
}

// wait waits up to d for OnCompleted and returns the events.
func (r *recordingSink) wait(t *testing.T, d time.Duration) []sinkEvent {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(d):
		t.Fatalf("OnCompleted not raised within %v", d)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sinkEvent(nil), r.events...)
}

// TestSeedExecMethodAsync runs the seed script of
// SWbemServices.ExecMethodAsync (shared/seeds) against the running wbemd
// over the native protocol, once over TCP with Basic credentials and once
// over the Unix socket with peer credentials, step by step as the script
// writes it: Win32_Process.Create("sleep 30") with a sink and an async
// context.
func TestSeedExecMethodAsync(t *testing.T) {
	s := startServer(t, nil)
	for _, tc := range []struct{ name, url, user, pass string }{
		{"wbem", s.nativeURL(), mainUser, mainPass},
		{"wbem+unix", s.unixURL(), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := timeoutCtx(t, 30*time.Second)
			// ' Connect to WMI.
			// set Services = getobject("winmgmts:root\cimv2")
			_, svc := s.connect(t, tc.url, tc.user, tc.pass, "root/cimv2")
			services := swbem.New(ctx, svc)

			// ' Obtain the class definition object of a Win32_Process object.
			// Set oProcess = Services.Get("Win32_Process")
			oProcess, err := services.Get("Win32_Process")
			if err != nil {
				t.Fatalf("Services.Get: %v", err)
			}

			// ' Create the SWbemMethod.InParameters object ...
			// Set oInParams = oProcess.Methods_("Create").InParameters.SpawnInstance_
			// oInParams.CommandLine = "Notepad.exe"
			method := oProcess.Method("Create")
			if method == nil || method.InSignature() == nil {
				t.Fatalf("Win32_Process has no Create with in-parameters: %v", method)
			}
			oInParams := method.InSignature().SpawnInstance()
			if err := oInParams.Set("CommandLine", cim.NewString("sleep 30")); err != nil {
				t.Fatal(err)
			}

			// ' Create sink to receive event resulting from the ExecMethodAsync call.
			// set Sink = wscript.CreateObject("WbemScripting.SWbemSink","Sink_")
			sink := newRecordingSink()
			asyncContext := cim.NewNamedValues()
			if err := asyncContext.Add("Script", "seed "+tc.name); err != nil {
				t.Fatal(err)
			}

			// Services.ExecMethodAsync Sink, "Win32_Process", "Create", oInParams
			// (with the optional async context that identifies the call).
			if err := services.ExecMethodAsync(sink.Sink, "Win32_Process", "Create", oInParams, 0, nil, asyncContext); err != nil {
				t.Fatalf("ExecMethodAsync: %v", err)
			}

			// while not bDone: wscript.sleep 1000
			events := sink.wait(t, 20*time.Second)

			// Sub Sink_OnObjectReady(oOutParams, oContext) / Sub Sink_OnCompleted(HResult, LastErrorObj, oContext)
			if len(events) != 2 || events[0].kind != "object" || events[1].kind != "completed" {
				t.Fatalf("events %+v, want OnObjectReady then OnCompleted", events)
			}
			for _, e := range events {
				if e.asyncContext != asyncContext {
					t.Errorf("%s: async context %p, want the one given (%p)", e.kind, e.asyncContext, asyncContext)
				}
			}
			if c := events[1]; c.hr != status.WBEM_S_NO_ERROR || c.lastError != nil {
				t.Errorf("Sink_OnCompleted subroutine, hresult = %X, %v", uint32(c.hr), c.lastError)
			}
			oOutParams := events[0].obj
			t.Logf("Sink_OnObjectReady subroutine\nReturnValue = %v\nProcessId = %v",
				oOutParams.Value("ReturnValue"), oOutParams.Value("ProcessId"))
			if rv := oOutParams.Value("ReturnValue"); rv.IsNull() || rv.Uint64() != 0 {
				t.Fatalf("ReturnValue %v:\n%s", rv, oOutParams.MOF())
			}
			checkSleepProcess(t, int(oOutParams.Value("ProcessId").Uint64()))
		})
	}
}

// TestProgress calls TST_Widget.Delay(Seconds=3) with
// wbem.FlagSendStatus twice at once: with wbem.Start over wbem:// (the
// events of the call) and with a swbem.Sink over wbem+unix://
// (OnProgress). Each reports progress with total 3 and a current that
// grows, then the out-parameters (Slept 3), then the final status.
func TestProgress(t *testing.T) {
	s := startServer(t, nil)
	_, tcp := s.connect(t, s.nativeURL(), mainUser, mainPass, "root/test")
	_, unix := s.connect(t, s.unixURL(), "", "", "root/test")
	ctx := timeoutCtx(t, 30*time.Second)
	delayIn := func(svc wbem.Services) *cim.Instance {
		c, err := svc.GetClass(ctx, "TST_Widget")
		if err != nil {
			t.Fatal(err)
		}
		in := c.Method("Delay").NewInParams()
		if err := in.Set("Seconds", cim.NewUint32(3)); err != nil {
			t.Fatal(err)
		}
		return in
	}
	start := time.Now()
	call, err := wbem.Start(ctx, tcp, "TST_Widget", "Delay", delayIn(tcp), wbem.FlagSendStatus, nil)
	if err != nil {
		t.Fatal(err)
	}
	sink := newRecordingSink()
	asyncContext := cim.NewNamedValues()
	if err := swbem.New(ctx, unix).ExecMethodAsync(sink.Sink, "TST_Widget", "Delay", delayIn(unix), wbem.FlagSendStatus, nil, asyncContext); err != nil {
		t.Fatal(err)
	}

	// The Go form: the call's events.
	evc := make(chan []wbem.Event, 1)
	go func() {
		var evs []wbem.Event
		for ev := range call.Events() {
			evs = append(evs, ev)
		}
		evc <- evs
	}()
	var evs []wbem.Event
	select {
	case evs = <-evc:
	case <-time.After(20 * time.Second):
		t.Fatal("Delay(3) did not complete within 20 s")
	}
	if took := time.Since(start); took < 3*time.Second {
		t.Errorf("Delay(3) completed after %v", took)
	}
	var last uint16
	progress := 0
	for i, ev := range evs {
		switch ev.Kind {
		case wbem.EventProgress:
			progress++
			if ev.Total != 3 || ev.Current <= last || ev.Current >= 3 || i >= len(evs)-2 {
				t.Errorf("event %d: progress %d/%d after %d (events %+v)", i, ev.Current, ev.Total, last, evs)
			}
			last = ev.Current
		case wbem.EventObject:
			if i != len(evs)-2 || ev.Object.Value("Slept").Uint64() != 3 || ev.Object.Value("ReturnValue").Uint64() != 0 {
				t.Errorf("event %d: object %s", i, ev.Object.MOF())
			}
		case wbem.EventComplete:
			if i != len(evs)-1 || ev.Err != nil {
				t.Errorf("event %d: complete %v", i, ev.Err)
			}
		}
	}
	if progress == 0 {
		t.Errorf("no progress events: %+v", evs)
	}
	t.Logf("wbem.Start over TCP: %d progress events, then the object and the final", progress)

	// The scripting form: OnProgress, OnObjectReady, OnCompleted.
	sevs := sink.wait(t, 10*time.Second)
	progress, last = 0, 0
	for i, e := range sevs {
		if e.asyncContext != asyncContext {
			t.Errorf("event %d (%s): another async context", i, e.kind)
		}
		switch e.kind {
		case "progress":
			progress++
			if e.upper != 3 || e.current <= int(last) || e.current >= 3 || i >= len(sevs)-2 {
				t.Errorf("event %d: OnProgress %d of %d (events %+v)", i, e.current, e.upper, sevs)
			}
			last = uint16(e.current)
		case "object":
			if i != len(sevs)-2 || e.obj.Value("Slept").Uint64() != 3 {
				t.Errorf("event %d: OnObjectReady %s", i, e.obj.MOF())
			}
		case "completed":
			if i != len(sevs)-1 || e.hr != 0 {
				t.Errorf("event %d: OnCompleted %v", i, e.hr)
			}
		}
	}
	if progress == 0 {
		t.Errorf("no OnProgress: %+v", sevs)
	}
	t.Logf("swbem over the Unix socket: %d OnProgress, then OnObjectReady and OnCompleted", progress)
}

// waitIn returns the in-parameters of E2E_Probe.Wait.
func waitIn(t *testing.T, ctx context.Context, svc wbem.Services, seconds uint32) *cim.Instance {
	t.Helper()
	c, err := svc.GetClass(ctx, "E2E_Probe")
	if err != nil {
		t.Fatal(err)
	}
	in := c.Method("Wait").NewInParams()
	if err := in.Set("Seconds", cim.NewUint32(seconds)); err != nil {
		t.Fatal(err)
	}
	return in
}

// cancelBound is how long a cancellation may take to reach the provider.
const cancelBound = 5 * time.Second

// TestCancelReachesProvider checks that cancelling an asynchronous call
// on the client side cancels the provider's context inside the server:
// Call.Cancel over wbem://, swbem.Sink.Cancel over wbem+unix://, closing
// the client connection, and a connection that just drops. The client's
// final status is WBEM_E_CALL_CANCELLED (0x80041032).
func TestCancelReachesProvider(t *testing.T) {
	s := startServer(t, nil)

	t.Run("Call.Cancel", func(t *testing.T) {
		probeReset()
		ctx := timeoutCtx(t, 30*time.Second)
		_, svc := s.connect(t, s.nativeURL(), mainUser, mainPass, "root/test")
		call, err := wbem.Start(ctx, svc, "E2E_Probe", "Wait", waitIn(t, ctx, svc, 20), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if pc := awaitProbe(t, probeEntered, "entered", 10*time.Second); pc.User != mainUser || !pc.Remote || pc.Method != "basic" {
			t.Errorf("the provider saw the caller %+v, want %s, remote, basic", pc, mainUser)
		}
		select {
		case pc := <-probeEnded:
			t.Fatalf("the provider's call ended before Cancel: %v", pc.Cause)
		case <-time.After(100 * time.Millisecond):
		}
		start := time.Now()
		if err := call.Cancel(); err != nil {
			t.Errorf("Cancel: %v", err)
		}
		_, err = call.Wait(ctx)
		if status.Code(err) != status.WBEM_E_CALL_CANCELLED || uint32(status.Code(err)) != 0x80041032 {
			t.Errorf("final status %v, want WBEM_E_CALL_CANCELLED", err)
		}
		pc := awaitProbe(t, probeEnded, "cancelled", cancelBound)
		if pc.Cause == nil {
			t.Fatalf("the provider's call ended without cancellation")
		}
		t.Logf("the provider saw ctx.Done() %v after Cancel (cause: %v)", time.Since(start), pc.Cause)
	})

	t.Run("Sink.Cancel", func(t *testing.T) {
		probeReset()
		ctx := timeoutCtx(t, 30*time.Second)
		_, svc := s.connect(t, s.unixURL(), "", "", "root/test")
		sink := newRecordingSink()
		asyncContext := cim.NewNamedValues()
		if err := swbem.New(ctx, svc).ExecMethodAsync(sink.Sink, "E2E_Probe", "Wait", waitIn(t, ctx, svc, 20), 0, nil, asyncContext); err != nil {
			t.Fatal(err)
		}
		// The caller on the Unix socket is local, known by its peer
		// credentials.
		if pc := awaitProbe(t, probeEntered, "entered", 10*time.Second); pc.Remote || pc.Method != "peercred" {
			t.Errorf("the provider saw the caller %+v, want local, peercred", pc)
		}
		if err := sink.Cancel(); err != nil {
			t.Errorf("Sink.Cancel: %v", err)
		}
		evs := sink.wait(t, cancelBound)
		if len(evs) != 1 || evs[0].kind != "completed" || evs[0].hr != status.WBEM_E_CALL_CANCELLED || evs[0].asyncContext != asyncContext {
			t.Errorf("events %+v, want OnCompleted(WBEM_E_CALL_CANCELLED)", evs)
		}
		if pc := awaitProbe(t, probeEnded, "cancelled", cancelBound); pc.Cause == nil {
			t.Fatalf("the provider's call ended without cancellation")
		}
	})

	t.Run("Close", func(t *testing.T) {
		probeReset()
		ctx := timeoutCtx(t, 30*time.Second)
		conn, svc := s.connect(t, s.nativeURL(), mainUser, mainPass, "root/test")
		call, err := wbem.Start(ctx, svc, "E2E_Probe", "Wait", waitIn(t, ctx, svc, 20), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		awaitProbe(t, probeEntered, "entered", 10*time.Second)
		start := time.Now()
		if err := conn.(io.Closer).Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if _, err := call.Wait(ctx); status.Code(err) != status.WBEM_E_CALL_CANCELLED {
			t.Errorf("final status after Close %v, want WBEM_E_CALL_CANCELLED", err)
		}
		if pc := awaitProbe(t, probeEnded, "cancelled", cancelBound); pc.Cause == nil {
			t.Fatalf("the provider's call ended without cancellation")
		}
		t.Logf("closing the connection reached the provider after %v", time.Since(start))
	})

	// The server's own final status for a cancelled call, as a client
	// written by hand sees it.
	t.Run("raw cancel", func(t *testing.T) {
		probeReset()
		c := mustDialWS(t, s, mainUser, mainPass)
		c.send(t, `{"op":"exec","id":5,"ns":"root/test","path":"E2E_Probe","method":"Wait","in":{"class":"__PARAMETERS","properties":{"Seconds":20}},"flags":128}`)
		awaitProbe(t, probeEntered, "entered", 10*time.Second)
		c.send(t, `{"op":"cancel","id":5}`)
		m := c.expect(t, 5, cancelBound)
		if m["op"] != "complete" || msgHR(m) != 0x80041032 {
			t.Errorf("after cancel: %v, want complete 0x80041032", m)
		}
		if pc := awaitProbe(t, probeEnded, "cancelled", cancelBound); pc.Cause == nil {
			t.Fatalf("the provider's call ended without cancellation")
		}
		// Nothing follows the final status.
		c.send(t, `{"op":"exec","id":6,"ns":"root/default","path":"TestMeth","method":"Echo","in":{"class":"__PARAMETERS","properties":{"sInArg":"next"}}}`)
		if m := c.next(t, 10*time.Second); m == nil || msgID(m) != 6 {
			t.Errorf("after the final status of id 5: %v", m)
		}
	})

	t.Run("drop", func(t *testing.T) {
		probeReset()
		c := mustDialWS(t, s, mainUser, mainPass)
		c.send(t, `{"op":"exec","id":1,"ns":"root/test","path":"E2E_Probe","method":"Wait","in":{"class":"__PARAMETERS","properties":{"Seconds":20}}}`)
		awaitProbe(t, probeEntered, "entered", 10*time.Second)
		// No close handshake: the TCP connection just ends.
		_ = c.ws.CloseNow()
		if pc := awaitProbe(t, probeEnded, "cancelled", cancelBound); pc.Cause == nil {
			t.Fatalf("the provider's call ended without cancellation")
		}
	})

	// The server is unharmed: a new call runs to its own end.
	t.Run("after", func(t *testing.T) {
		probeReset()
		ctx := timeoutCtx(t, 30*time.Second)
		_, svc := s.connect(t, s.nativeURL(), mainUser, mainPass, "root/test")
		out, err := svc.ExecMethod(ctx, "E2E_Probe", "Wait", waitIn(t, ctx, svc, 1), nil)
		if err != nil || out.Value("ReturnValue").Uint64() != 1 {
			t.Fatalf("Wait(1): %v %v", out, err)
		}
		if pc := awaitProbe(t, probeEnded, "ended", cancelBound); pc.Cause != nil {
			t.Errorf("uncancelled Wait saw %v", pc.Cause)
		}
	})
}

// TestCallOwnership checks that a call belongs to the connection that
// made it: another user's connection (or another connection of the same
// user) that sends a cancel for the same id cannot cancel it, and
// receives nothing of it.
//
// Request ids are per connection by design. The client chooses them
// (docs/PROTOCOL.md §3), so they are unique only within its own
// connection: two clients both start at 1. The server therefore keeps
// one call table per connection and looks a cancel up only in the table
// of the connection it arrived on; results go back only on the
// connection that made the call. Nothing in a message can name another
// connection's call, so ownership needs no check that could be got
// wrong: a global id space would let any authenticated user cancel (or
// collide with) other users' calls by guessing small integers.
func TestCallOwnership(t *testing.T) {
	s := startServer(t, nil)
	// Bob, not an administrator, may call methods in root/default (where
	// his own call goes), not in root/test (where the main user's runs).
	grantBob(t, s, "root/default")
	probeReset()
	alice := mustDialWS(t, s, mainUser, mainPass)
	bob := mustDialWS(t, s, bobUser, bobPass)

	// The main user's call: Wait(2) runs for 2 s unless cancelled.
	alice.send(t, `{"op":"exec","id":7,"ns":"root/test","path":"E2E_Probe","method":"Wait","in":{"class":"__PARAMETERS","properties":{"Seconds":2}}}`)
	if pc := awaitProbe(t, probeEntered, "entered", 10*time.Second); pc.User != mainUser {
		t.Fatalf("the probe runs for %q", pc.User)
	}
	// Bob cancels id 7 on his connection, where it names nothing (ignored,
	// no reply), then uses id 7 himself while the first call still runs.
	bob.send(t, `{"op":"cancel","id":7}`)
	bob.send(t, `{"op":"exec","id":7,"ns":"root/default","path":"TestMeth","method":"Echo","in":{"class":"__PARAMETERS","properties":{"sInArg":"bob's own 7"}}}`)
	if m := bob.expect(t, 7, 10*time.Second); m["op"] != "object" || outValue(m, "sOutArg") != "bob's own 7" {
		t.Errorf("bob's id 7: %v", m)
	}
	if m := bob.expect(t, 7, 10*time.Second); m["op"] != "complete" || msgHR(m) != 0 {
		t.Errorf("bob's id 7: %v", m)
	}
	bob.send(t, `{"op":"cancel","id":7}`, `{"op":"cancel","id":8}`)
	// Not even a second connection of the same user reaches it: calls
	// belong to connections, not to users.
	again := mustDialWS(t, s, mainUser, mainPass)
	again.send(t, `{"op":"cancel","id":7}`)

	// The first call completes normally, uncancelled.
	m := alice.expect(t, 7, 10*time.Second)
	if m["op"] != "object" || outValue(m, "ReturnValue") != "1" {
		t.Errorf("the main user's id 7: %v", m)
	}
	if m := alice.expect(t, 7, 5*time.Second); m["op"] != "complete" || msgHR(m) != 0 {
		t.Errorf("the main user's id 7: %v", m)
	}
	if pc := awaitProbe(t, probeEnded, "ended", 5*time.Second); pc.Cause != nil {
		t.Errorf("the main user's call was cancelled: %v", pc.Cause)
	}
	// Bob got nothing of it.
	if m := bob.next(t, 300*time.Millisecond); m != nil {
		t.Errorf("bob received %v", m)
	}
	if m := again.next(t, 100*time.Millisecond); m != nil {
		t.Errorf("the main user's second connection received %v", m)
	}
	if len(alice.stash) != 0 || len(bob.stash) != 0 {
		t.Errorf("unexpected messages: main user %v, bob %v", alice.stash, bob.stash)
	}
}
