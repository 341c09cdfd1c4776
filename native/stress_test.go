package native

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// TestExactlyOneFinal runs many concurrent calls on one connection and
// cancels some of them at random moments, by CancelAsyncCall and by their
// context, from other goroutines. Every sink must get exactly one final
// status, nothing after it, and never two callbacks at once.
func TestExactlyOneFinal(t *testing.T) {
	e := newEnv(t, envOptions{engine: engine.Options{MaxPendingPerConnection: 100000}})
	c := e.dial(t, nil)
	svc := services(t, c)
	inEcho := inParams(t, svc, "TestMeth", "Echo", map[string]cim.Value{"sInArg": cim.NewString("x")})
	n := 3000
	if testing.Short() {
		n = 500
	}
	sinks := make([]*recSink, n)
	var wg sync.WaitGroup
	var finals sync.WaitGroup
	errs := make(chan error, n)
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for i := g; i < n; i += 8 {
				s := &recSink{}
				sinks[i] = s
				finals.Add(1)
				s.onFinal = func(status.HRESULT, *cim.Instance, error) { finals.Done() }
				method, in, flags := "Echo", inEcho, int32(0)
				path := "TestMeth"
				switch r.IntN(3) {
				case 1:
					path, method, flags = "NTest", "Progress", wbem.FlagSendStatus
					in = inParams(t, svc, "NTest", "Progress", map[string]cim.Value{
						"Steps": cim.NewUint32(uint32(r.IntN(20))), "Message": cim.NewString("p")})
				case 2:
					path, method = "NTest", "Gate"
					in = nil
				}
				ctx, cancel := context.WithCancel(context.Background())
				if err := svc.ExecMethodAsync(ctx, path, method, in, flags, nil, s); err != nil {
					errs <- err
					cancel()
					finals.Done()
					continue
				}
				switch r.IntN(4) {
				case 0:
					_ = svc.CancelAsyncCall(s)
					cancel()
				case 1:
					d := time.Duration(r.IntN(2000)) * time.Microsecond
					time.AfterFunc(d, func() { _ = svc.CancelAsyncCall(s); cancel() })
				case 2:
					d := time.Duration(r.IntN(2000)) * time.Microsecond
					time.AfterFunc(d, cancel)
				default:
					if method == "Gate" {
						time.AfterFunc(5*time.Millisecond, cancel)
					} else {
						defer cancel()
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("ExecMethodAsync: %v", err)
	}
	done := make(chan struct{})
	go func() { finals.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("not every call got its final status")
	}
	time.Sleep(100 * time.Millisecond) // let stray callbacks show
	for i, s := range sinks {
		s.mu.Lock()
		if s.finals != 1 || s.after != 0 || s.overlap != 0 {
			t.Errorf("call %d: %d finals, %d callbacks after the final, %d overlapping", i, s.finals, s.after, s.overlap)
		}
		s.mu.Unlock()
	}
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if p := e.eng.Pending(); p != 0 {
			return fmt.Errorf("%d operations still pending in the engine", p)
		}
		if p := c.Pending(); p != 0 {
			return fmt.Errorf("%d requests still pending in the client", p)
		}
		return nil
	})
}

// TestSharedSinkCancel cancels many calls that share one sink at once.
func TestSharedSinkCancel(t *testing.T) {
	e := newEnv(t, envOptions{engine: engine.Options{MaxPendingPerConnection: 100000}})
	svc := services(t, e.dial(t, nil))
	s := &recSink{}
	var finals sync.WaitGroup
	s.onFinal = func(status.HRESULT, *cim.Instance, error) { finals.Done() }
	const n = 500
	for range n {
		finals.Add(1)
		if err := svc.ExecMethodAsync(context.Background(), "NTest", "Gate", nil, 0, nil, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.CancelAsyncCall(s); err != nil {
		t.Fatal(err)
	}
	finals.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finals != n {
		t.Fatalf("%d finals for %d calls", s.finals, n)
	}
	if err := svc.CancelAsyncCall(s); status.Code(err) != status.WBEM_E_NOT_FOUND {
		t.Fatalf("second cancel: %v", err)
	}
}

// TestTenThousandInFlight keeps 10,000 calls outstanding on one
// connection, then lets them all complete.
func TestTenThousandInFlight(t *testing.T) {
	const n = 10000
	e := newEnv(t, envOptions{engine: engine.Options{MaxPendingPerConnection: 2 * n}})
	c := e.dial(t, nil)
	svc := services(t, c)
	calls := make([]*wbem.Call, n)
	for i := range calls {
		call, err := wbem.Start(context.Background(), svc, "NTest", "Gate", nil, 0, nil)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		calls[i] = call
	}
	checkFor(t, 60*time.Second, 20*time.Millisecond, func() error {
		if p := e.eng.Pending(); p != n {
			return fmt.Errorf("%d of %d calls pending in the engine", p, n)
		}
		return nil
	})
	for i, call := range calls {
		select {
		case <-call.Done():
			t.Fatalf("call %d completed before the gate opened", i)
		default:
		}
	}
	close(e.prov.gate)
	for i, call := range calls {
		out, err := waitCall(t, call)
		if err != nil || out.Value("ReturnValue").Uint64() != 7 {
			t.Fatalf("call %d: %v, %v", i, out, err)
		}
	}
	if got := e.prov.atGate.Load(); got != n {
		t.Fatalf("provider saw %d calls", got)
	}
}

// TestInFlightLimit checks the server's own per-connection limit.
func TestInFlightLimit(t *testing.T) {
	e := newEnv(t, envOptions{handler: HandlerOptions{MaxInFlight: 10}})
	svc := services(t, e.dial(t, nil))
	var calls []*wbem.Call
	for range 12 {
		call, err := wbem.Start(context.Background(), svc, "NTest", "Gate", nil, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, call)
	}
	quota := 0
	for _, call := range calls[10:] {
		if _, err := waitCall(t, call); status.Code(err) == status.WBEM_E_QUOTA_VIOLATION {
			quota++
		}
	}
	if quota != 2 {
		t.Fatalf("%d calls refused, want 2", quota)
	}
	close(e.prov.gate)
	for _, call := range calls[:10] {
		if _, err := waitCall(t, call); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEngineQuotaAppliesPerConnection checks that the engine's
// per-connection quota reaches the client as WBEM_E_QUOTA_VIOLATION.
func TestEngineQuotaAppliesPerConnection(t *testing.T) {
	e := newEnv(t, envOptions{engine: engine.Options{MaxPendingPerConnection: 5}})
	svc := services(t, e.dial(t, nil))
	var calls []*wbem.Call
	for range 6 {
		call, err := wbem.Start(context.Background(), svc, "NTest", "Gate", nil, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, call)
	}
	if _, err := waitCall(t, calls[5]); status.Code(err) != status.WBEM_E_QUOTA_VIOLATION {
		t.Fatalf("sixth call: %v", err)
	}
	// A second connection has its own quota.
	other := services(t, e.dial(t, nil))
	call, err := wbem.Start(context.Background(), other, "TestMeth", "Echo", nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitCall(t, call); err != nil {
		t.Fatalf("other connection: %v", err)
	}
	close(e.prov.gate)
}

// TestSlowReaderQuota floods a client that does not read: the server must
// not queue without bound; it fails the call with WBEM_E_QUOTA_VIOLATION.
func TestSlowReaderQuota(t *testing.T) {
	e := newEnv(t, envOptions{handler: HandlerOptions{SendQueueBytes: 64 << 10}})
	raw := dialRaw(t, e)
	raw.send(t, `{"op":"exec","id":1,"ns":"root/default","path":"NTest","method":"Flood","in":{"class":"__PARAMETERS","properties":{"Count":{"type":"uint32","value":100000},"Size":{"type":"uint32","value":32768}}}}`)
	// The provider sees its context cancelled once the queue is full.
	if err := e.prov.waitEnded(t, "flood"); err == nil {
		t.Fatal("flood not cancelled")
	}
	objects := 0
	for {
		m := raw.next(t)
		if m.id != 1 {
			continue
		}
		if m.op == opObject {
			objects++
			continue
		}
		if m.op != opComplete || m.hr != status.WBEM_E_QUOTA_VIOLATION {
			t.Fatalf("final %s %v", m.op, m.hr)
		}
		break
	}
	if objects == 0 || objects >= 100000 {
		t.Fatalf("%d objects before the final", objects)
	}
	// The connection still works.
	raw.send(t, `{"op":"exec","id":2,"ns":"root/default","path":"TestMeth","method":"Echo","in":{"class":"__PARAMETERS","properties":{"sInArg":"abc"}}}`)
	raw.expect(t, 2, opObject, 0)
	raw.expect(t, 2, opComplete, 0)
}

// TestNoGoroutineLeak checks that closing connections and servers leaves
// no goroutine behind.
func TestNoGoroutineLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Run("work", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		for range 3 {
			c := e.dial(t, nil)
			svc := services(t, c)
			in := inParams(t, svc, "NTest", "Block", map[string]cim.Value{"Tag": cim.NewString(fmt.Sprint("leak", c.nextID.Load()))})
			call, err := wbem.Start(context.Background(), svc, "NTest", "Block", in, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ExecMethod(context.Background(), "TestMeth", "Echo", nil, nil); err != nil {
				t.Fatal(err)
			}
			_ = c.Close()
			<-call.Done()
			<-c.Done()
		}
		c := e.dial(t, nil)
		_ = services(t, c)
		_ = c.ws.CloseNow()
		<-c.Done()
	})
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if n := runtime.NumGoroutine(); n > base {
			buf := make([]byte, 1<<20)
			return fmt.Errorf("%d goroutines, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
		}
		return nil
	})
}
