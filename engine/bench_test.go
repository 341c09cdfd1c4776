package engine_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// echoSink is a minimal reusable sink for benchmarks: it checks the
// result of Echo("hello") and signals the final status on done.
type echoSink struct {
	done chan struct{} // one token: free for a new call
	bad  *atomic.Int64
}

func (s *echoSink) Indicate(objs []*cim.Instance) status.HRESULT {
	if len(objs) != 1 || objs[0].Value(cim.ReturnValueName).Uint64() != 5 {
		s.bad.Add(1)
	}
	return status.WBEM_S_NO_ERROR
}

func (s *echoSink) SetStatus(flags int32, hr status.HRESULT, _ string, _ *cim.Instance) status.HRESULT {
	if flags == wbem.StatusComplete {
		if hr != status.WBEM_S_NO_ERROR {
			s.bad.Add(1)
		}
		s.done <- struct{}{}
	}
	return status.WBEM_S_NO_ERROR
}

// benchHarness is an engine whose TestProv is the bare Echo provider,
// without trace recording.
func benchHarness(b *testing.B, cfgs ...func(*config)) *harness {
	cfgs = append([]func(*config){func(c *config) {
		c.noTrace = true
		c.providers[cimtest.TestProvider] = cimtest.Echo()
	}}, cfgs...)
	return newHarness(b, cfgs...)
}

// BenchmarkExecMethodAsyncEcho measures in-process ExecMethodAsync of
// TST_Widget.Echo("hello") from GOMAXPROCS goroutines, each with its own
// connection and a ring of reusable sinks allowing window calls in
// flight. calls/s is the throughput.
func BenchmarkExecMethodAsyncEcho(b *testing.B) {
	for _, window := range []int{1, 16} {
		b.Run(fmt.Sprint("window=", window), func(b *testing.B) {
			h := benchHarness(b)
			h.final("TST_Widget", "Echo", h.echoIn("warm"), 0)
			var bad atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				svc := h.open(bg)
				in := h.echoIn("hello")
				sinks := make([]*echoSink, window)
				for i := range sinks {
					sinks[i] = &echoSink{done: make(chan struct{}, 1), bad: &bad}
					sinks[i].done <- struct{}{}
				}
				for i := 0; pb.Next(); i++ {
					s := sinks[i%window]
					<-s.done
					if err := svc.ExecMethodAsync(bg, "TST_Widget", "Echo", in, 0, nil, s); err != nil {
						b.Error(err)
						return
					}
				}
				for _, s := range sinks {
					<-s.done
				}
			})
			reportRates(b, cpu0)
			if n := bad.Load(); n != 0 {
				b.Fatalf("%d wrong results", n)
			}
		})
	}
}

// BenchmarkExecMethodSync measures the synchronous ExecMethod of
// TST_Widget.Echo("hello") from GOMAXPROCS goroutines.
func BenchmarkExecMethodSync(b *testing.B) {
	h := benchHarness(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		svc := h.open(bg)
		in := h.echoIn("hello")
		for pb.Next() {
			out, err := svc.ExecMethod(bg, "TST_Widget", "Echo", in, nil)
			if err != nil || out.Value(cim.ReturnValueName).Uint64() != 5 {
				b.Errorf("ExecMethod = %v, %v", out, err)
				return
			}
		}
	})
	reportRates(b, cpu0)
}

// reportRates reports calls/s (wall clock) and cpu-ns/call (CPU time of
// the whole process since cpu0, per call). On an idle machine with P
// cores, calls/s approaches P·1e9/cpu-ns.
func reportRates(b *testing.B, cpu0 int64) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/call")
	}
}

// parkSink records the outcome of one parked call.
type parkSink struct {
	indicated, finals atomic.Int32
	hr                atomic.Uint32
	done              *atomic.Int64
}

func (s *parkSink) Indicate(objs []*cim.Instance) status.HRESULT {
	if len(objs) == 1 && objs[0].Value(cim.ReturnValueName).Uint64() == 5 {
		s.indicated.Add(1)
	}
	return status.WBEM_S_NO_ERROR
}

func (s *parkSink) SetStatus(flags int32, hr status.HRESULT, _ string, _ *cim.Instance) status.HRESULT {
	if flags == wbem.StatusComplete {
		s.hr.Store(uint32(hr))
		s.finals.Add(1)
		s.done.Add(1)
	}
	return status.WBEM_S_NO_ERROR
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkInFlight100k starts 100,000 calls whose provider parks them
// (stores the call and its sink and returns), measures the heap held per
// call in flight, then completes them all from the test goroutine and
// checks every result. Run it with -benchtime=1x.
func BenchmarkInFlight100k(b *testing.B) {
	const n = 100_000
	for range b.N {
		b.StopTimer()
		p := cimtest.NewParker(n)
		h := benchHarness(b, func(c *config) {
			c.providers[cimtest.TestProvider] = p
			c.opts.MaxPendingPerConnection = 2 * n
			c.opts.MaxPending = 2 * n
			c.opts.MaxQueuePerProvider = 2 * n
			c.opts.MaxQueue = 2 * n
		})
		in := h.echoIn("hello")
		var done atomic.Int64
		sinks := make([]*parkSink, n)
		for i := range sinks {
			sinks[i] = &parkSink{done: &done}
		}
		goroutines := runtime.NumGoroutine()
		before := heapInUse()
		b.StartTimer()
		start := time.Now()
		for _, s := range sinks {
			if err := h.svc.ExecMethodAsync(bg, "TST_Widget", "Echo", in, 0, nil, s); err != nil {
				b.Fatal(err)
			}
		}
		p.WaitParked(b, n, time.Minute)
		startDur := time.Since(start)
		b.StopTimer()
		if got := h.eng.Pending(); got != n {
			b.Fatalf("%d pending, want %d", got, n)
		}
		after := heapInUse()
		extraG := runtime.NumGoroutine() - goroutines
		b.StartTimer()
		start = time.Now()
		p.Release(func(c cimtest.Parked) { _ = c.Run(cimtest.Echo()) })
		cimtest.CheckFor(b, time.Minute, time.Millisecond, func() error {
			if d := done.Load(); d != n {
				return fmt.Errorf("%d of %d completed", d, n)
			}
			return nil
		})
		releaseDur := time.Since(start)
		b.StopTimer()
		for i, s := range sinks {
			if s.indicated.Load() != 1 || s.finals.Load() != 1 || s.hr.Load() != 0 {
				b.Fatalf("call %d: %d objects, %d finals, status 0x%08X", i, s.indicated.Load(), s.finals.Load(), s.hr.Load())
			}
		}
		h.waitIdle()
		perCall := float64(after-before) / n
		total := float64(after-before) / (1 << 20)
		b.ReportMetric(perCall, "B/inflight-call")
		b.ReportMetric(total, "MB-inflight")
		b.ReportMetric(float64(extraG), "goroutines-inflight")
		b.ReportMetric(n/startDur.Seconds(), "starts/s")
		b.ReportMetric(n/releaseDur.Seconds(), "completions/s")
		if total >= 300 {
			b.Fatalf("%.1f MB for %d calls in flight, over the 300 MB bar", total, n)
		}
		runtime.KeepAlive(sinks)
		runtime.KeepAlive(p)
	}
}
