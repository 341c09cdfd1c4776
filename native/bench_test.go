package native

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// benchSink is the sink of one benchmark call: it checks the result and
// reports the call's latency.
type benchSink struct {
	start time.Time
	ok    bool
	done  func(s *benchSink, hr status.HRESULT)
}

func (s *benchSink) Indicate(objs []*cim.Instance) status.HRESULT {
	s.ok = len(objs) == 1 && objs[0].Value("ReturnValue").Uint64() == 5
	return 0
}

func (s *benchSink) SetStatus(flags int32, hr status.HRESULT, _ string, _ *cim.Instance) status.HRESULT {
	if flags == wbem.StatusComplete {
		s.done(s, hr)
	}
	return 0
}

// runInFlight makes n Echo calls over svc with inFlight calls outstanding
// at any time, from one goroutine, and returns the latencies.
func runInFlight(tb testing.TB, svc wbem.Services, n, inFlight int) []time.Duration {
	in := inParams(tb, svc, "TestMeth", "Echo", map[string]cim.Value{"sInArg": cim.NewString("hello")})
	sem := make(chan struct{}, inFlight)
	var (
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, n)
		fail int
		wg   sync.WaitGroup
	)
	done := func(s *benchSink, hr status.HRESULT) {
		d := time.Since(s.start)
		mu.Lock()
		lat = append(lat, d)
		if hr != 0 || !s.ok {
			fail++
		}
		mu.Unlock()
		<-sem
		wg.Done()
	}
	ctx := context.Background()
	for range n {
		sem <- struct{}{}
		wg.Add(1)
		s := &benchSink{start: time.Now(), done: done}
		if err := svc.ExecMethodAsync(ctx, "TestMeth", "Echo", in, 0, nil, s); err != nil {
			tb.Fatalf("ExecMethodAsync: %v", err)
		}
	}
	wg.Wait()
	if fail > 0 {
		tb.Fatalf("%d of %d calls failed", fail, n)
	}
	return lat
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(float64(len(sorted)-1)*p)]
}

// BenchmarkNativeEcho256InFlight measures TestMeth.Echo calls over one
// native connection to an in-process server on 127.0.0.1 with 256 calls
// outstanding. It reports calls/s and the p50 and p99 latency.
func BenchmarkNativeEcho256InFlight(b *testing.B) {
	e := newEnv(b, envOptions{engine: engine.Options{MaxPendingPerConnection: 100000}})
	svc := services(b, e.dial(b, nil))
	runInFlight(b, svc, 2000, 256) // warm up
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	lat := runInFlight(b, svc, b.N, 256)
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds()), "p99-µs")
}

// BenchmarkInProcessEcho256InFlight is the same load on the engine
// in-process, for comparison.
func BenchmarkInProcessEcho256InFlight(b *testing.B) {
	e := newEnv(b, envOptions{engine: engine.Options{MaxPendingPerConnection: 100000}})
	svc := e.local(b)
	runInFlight(b, svc, 2000, 256)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	lat := runInFlight(b, svc, b.N, 256)
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds()), "p99-µs")
}

// BenchmarkNativeEcho256Goroutines makes the same calls from 256
// goroutines, each waiting for its call (wbem.Start and Call.Wait) before
// making the next: the pattern of a synchronous caller.
func BenchmarkNativeEcho256Goroutines(b *testing.B) {
	e := newEnv(b, envOptions{engine: engine.Options{MaxPendingPerConnection: 100000}})
	svc := services(b, e.dial(b, nil))
	in := inParams(b, svc, "TestMeth", "Echo", map[string]cim.Value{"sInArg": cim.NewString("hello")})
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(128) // 128 × GOMAXPROCS(2) = 256 goroutines
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			call, err := wbem.Start(ctx, svc, "TestMeth", "Echo", in, 0, nil)
			if err != nil {
				b.Error(err)
				return
			}
			if out, err := call.Wait(ctx); err != nil || out.Value("ReturnValue").Uint64() != 5 {
				b.Errorf("Echo: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}

// BenchmarkNativeExecMethod256Goroutines makes synchronous ExecMethod
// calls (the execMethod request) from 256 goroutines over one
// connection, as `wbem bench --protocol native` does.
func BenchmarkNativeExecMethod256Goroutines(b *testing.B) {
	e := newEnv(b, envOptions{engine: engine.Options{MaxPendingPerConnection: 100000}})
	svc := services(b, e.dial(b, nil))
	in := inParams(b, svc, "TestMeth", "Echo", map[string]cim.Value{"sInArg": cim.NewString("hello")})
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(128)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			out, err := svc.ExecMethod(ctx, "TestMeth", "Echo", in, nil)
			if err != nil || out.Value("ReturnValue").Uint64() != 5 {
				b.Errorf("Echo: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}

func BenchmarkDecodeExecMessage(b *testing.B) {
	line := []byte(`{"op":"exec","id":123456,"ns":"root/default","path":"TestMeth","method":"Echo","in":{"class":"__PARAMETERS","properties":{"sInArg":{"type":"string","value":"hello"}}}}`)
	var c codec
	var m message
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if err := c.decode(line, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeObjectAndComplete(b *testing.B) {
	c := &cim.Class{Name: "__PARAMETERS", Properties: []*cim.Property{{Name: "sOutArg", Type: cim.String}, {Name: "ReturnValue", Type: cim.Uint32}}}
	out := cim.NewInstance(c)
	_ = out.SetAt(0, cim.NewString("hello"))
	_ = out.SetAt(1, cim.NewUint32(5))
	objs := []*cim.Instance{out}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		m := message{op: opObject, id: 123456, objects: objs}
		buf = appendMessage(buf[:0], &m)
		m = message{op: opComplete, id: 123456}
		buf = appendMessage(buf, &m)
	}
}
