package wbem_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// scripted is a wbem.Services whose ExecMethodAsync plays a script to the
// sink from another goroutine once release is closed.
type scripted struct {
	wbem.Services // only ExecMethodAsync and CancelAsyncCall are used
	release       chan struct{}
	out           *cim.Instance
	final         status.HRESULT
	cancelled     chan wbem.ObjectSink
}

func (s *scripted) ExecMethodAsync(ctx context.Context, path, method string, in *cim.Instance, flags int32, wctx *cim.NamedValues, sink wbem.ObjectSink) error {
	if err := wbem.CheckAsyncArgs(path, method, flags, sink); err != nil {
		return err
	}
	go func() {
		<-s.release
		if s.out != nil {
			sink.Indicate([]*cim.Instance{s.out})
		}
		if flags&wbem.FlagSendStatus != 0 {
			sink.SetStatus(wbem.StatusProgress, status.MakeProgress(3, 10), "three of ten", nil)
		}
		sink.SetStatus(wbem.StatusComplete, s.final, "", nil)
	}()
	return nil
}

func (s *scripted) CancelAsyncCall(sink wbem.ObjectSink) error {
	if s.cancelled == nil {
		return status.WBEM_E_NOT_FOUND // like an engine whose call has completed
	}
	s.cancelled <- sink
	return nil
}

func outParams(t *testing.T) *cim.Instance {
	t.Helper()
	c := &cim.Class{Name: cim.ParametersClass, Properties: []*cim.Property{{Name: "ReturnValue", Type: cim.Uint32}}}
	i := cim.NewInstance(c)
	if err := i.Put("ReturnValue", uint32(7)); err != nil {
		t.Fatal(err)
	}
	return i
}

func TestCallEventsInOrder(t *testing.T) {
	svc := &scripted{release: make(chan struct{}), out: outParams(t)}
	call, err := wbem.Start(context.Background(), svc, "X", "M", nil, wbem.FlagSendStatus, nil)
	if err != nil {
		t.Fatal(err)
	}
	close(svc.release)
	var kinds []wbem.EventKind
	for ev := range call.Events() {
		kinds = append(kinds, ev.Kind)
		if ev.Kind == wbem.EventProgress && (ev.Current != 3 || ev.Total != 10 || ev.Message != "three of ten") {
			t.Errorf("progress event %+v", ev)
		}
	}
	want := []wbem.EventKind{wbem.EventObject, wbem.EventProgress, wbem.EventComplete}
	if len(kinds) != len(want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events %v, want %v", kinds, want)
		}
	}
	// A second loop replays the same events from the first.
	n := 0
	for range call.Events() {
		n++
	}
	if n != 3 {
		t.Errorf("second loop saw %d events, want 3", n)
	}
	out, err := call.Wait(context.Background())
	if err != nil || out.Value("ReturnValue").Uint64() != 7 {
		t.Errorf("Wait = %v, %v", out, err)
	}
	if err := call.Cancel(); err != nil {
		t.Errorf("Cancel after completion = %v, want nil", err)
	}
}

func TestCallFailureDropsOutParams(t *testing.T) {
	svc := &scripted{release: make(chan struct{}), out: outParams(t), final: status.WBEM_E_INVALID_METHOD}
	close(svc.release)
	call, err := wbem.Start(context.Background(), svc, "X", "M", nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := call.Wait(context.Background())
	if out != nil || !errors.Is(err, status.WBEM_E_INVALID_METHOD) {
		t.Errorf("Wait = %v, %v; want nil and WBEM_E_INVALID_METHOD (DD-18)", out, err)
	}
}

func TestCallWaitHonoursContext(t *testing.T) {
	svc := &scripted{release: make(chan struct{}), cancelled: make(chan wbem.ObjectSink, 1)}
	call, err := wbem.Start(context.Background(), svc, "X", "M", nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := call.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait = %v, want the context's error", err)
	}
	_ = call.Cancel()
	if got := <-svc.cancelled; got != wbem.ObjectSink(call) {
		t.Errorf("CancelAsyncCall got sink %v, want the call itself", got)
	}
	close(svc.release)
	<-call.Done()
}

func TestCallResultSemisync(t *testing.T) {
	svc := &scripted{release: make(chan struct{}), out: outParams(t)}
	cr, err := wbem.ExecMethodSemisync(context.Background(), svc, "X", "M", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// M3/T27: while running, the timeout answers WBEM_S_TIMEDOUT.
	if _, hr := cr.GetCallStatus(wbem.NoWait); hr != status.WBEM_S_TIMEDOUT {
		t.Errorf("GetCallStatus(0) while running = %s, want WBEM_S_TIMEDOUT", hr)
	}
	if _, hr := cr.GetCallStatus(10); hr != status.WBEM_S_TIMEDOUT {
		t.Errorf("GetCallStatus(10 ms) while running = %s, want WBEM_S_TIMEDOUT", hr)
	}
	if o, hr := cr.GetResultObject(wbem.NoWait); o != nil || hr != status.WBEM_S_TIMEDOUT {
		t.Errorf("GetResultObject(0) while running = %v, %s", o, hr)
	}
	// DD-1: negative timeouts other than Infinite are invalid.
	if _, hr := cr.GetCallStatus(-2); hr != status.WBEM_E_INVALID_PARAMETER {
		t.Errorf("GetCallStatus(-2) = %s, want WBEM_E_INVALID_PARAMETER", hr)
	}
	close(svc.release)
	st, hr := cr.GetCallStatus(wbem.Infinite)
	if hr != status.WBEM_S_NO_ERROR || st != status.WBEM_S_NO_ERROR {
		t.Errorf("GetCallStatus(INFINITE) = %s, %s", st, hr)
	}
	// M7/DD-6: each GetResultObject returns a fresh copy.
	a, hr := cr.GetResultObject(wbem.NoWait)
	b, _ := cr.GetResultObject(wbem.NoWait)
	if hr != status.WBEM_S_NO_ERROR || a == nil || a == b || !a.Equal(b) {
		t.Errorf("GetResultObject = %v (%s), second %v; want two equal copies", a, hr, b)
	}
	if _, hr := cr.GetResultString(0); hr != status.WBEM_E_INVALID_OPERATION {
		t.Errorf("GetResultString = %s, want WBEM_E_INVALID_OPERATION (DD-5)", hr)
	}
}

func TestCallResultFailure(t *testing.T) {
	svc := &scripted{release: make(chan struct{}), final: status.WBEM_E_NOT_FOUND}
	close(svc.release)
	cr, err := wbem.ExecMethodSemisync(context.Background(), svc, "X", "M", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, hr := cr.GetCallStatus(wbem.Infinite)
	if hr != status.WBEM_S_NO_ERROR || st != status.WBEM_E_NOT_FOUND {
		t.Errorf("GetCallStatus = %s, %s; want the call's WBEM_E_NOT_FOUND", st, hr)
	}
	// M4/T29: a failed call's GetResultObject returns its code, no object.
	if o, hr := cr.GetResultObject(wbem.Infinite); o != nil || hr != status.WBEM_E_NOT_FOUND {
		t.Errorf("GetResultObject = %v, %s", o, hr)
	}
}

func TestStartArgumentErrorsNeverCallTheSink(t *testing.T) {
	svc := &scripted{release: make(chan struct{})}
	if _, err := wbem.Start(context.Background(), svc, "", "M", nil, 0, nil); status.Code(err) != status.WBEM_E_INVALID_PARAMETER {
		t.Errorf("Start with an empty path = %v", err)
	}
	if _, err := wbem.Start(context.Background(), svc, "X", "M", nil, wbem.FlagReturnImmediately, nil); status.Code(err) != status.WBEM_E_INVALID_PARAMETER {
		t.Errorf("Start with flag 0x10 = %v", err)
	}
}
