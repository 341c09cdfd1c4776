package tstwidget_test

import (
	"context"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/providers/internal/providertest"
	"github.com/gowbem/gowbem/providers/tstwidget"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// TestThroughEngine runs the behaviour table of PROVIDER.md through the
// engine, with the module's MOF compiled into a repository.
func TestThroughEngine(t *testing.T) {
	ctx := context.Background()
	e := providertest.Engine(t, &tstwidget.Module)
	svc := providertest.Services(ctx, t, e, tstwidget.Namespace)
	in := func(method string, args ...any) *cim.Instance {
		return providertest.InParams(ctx, t, svc, "TST_Widget", method, args...)
	}
	exec := func(path, method string, in *cim.Instance) (*cim.Instance, error) {
		return svc.ExecMethod(ctx, path, method, in, nil)
	}
	wantCIM := func(err error, want status.CIMStatus) {
		t.Helper()
		if got := status.CIMCode(err); got != want {
			t.Errorf("CIM status %v (%v), want %v", got, err, want)
		}
	}

	out, err := exec(`TST_Widget.Id="w1"`, "Resize", in("Resize", "NewSize", uint32(11)))
	if err != nil || out.Value("OldSize").Uint64() != 10 || out.Value("ReturnValue").Uint64() != 0 {
		t.Fatalf("Resize: %v %v", out, err)
	}
	w1, err := svc.GetInstance(ctx, `TST_Widget.Id="w1"`)
	if err != nil || w1.Value("Size").Uint64() != 11 {
		t.Fatalf("GetInstance after Resize: %v %v", w1, err)
	}
	insts, err := svc.EnumerateInstances(ctx, "TST_Widget", true)
	if err != nil || len(insts) != 2 {
		t.Fatalf("EnumerateInstances: %d, %v", len(insts), err)
	}
	_, err = exec(`TST_Widget.Id="w1"`, "Resize", in("Resize", "Force", true))
	wantCIM(err, status.CIM_ERR_INVALID_PARAMETER)
	_, err = exec(`TST_Widget.Id="nope"`, "Resize", in("Resize", "NewSize", uint32(1)))
	wantCIM(err, status.CIM_ERR_NOT_FOUND)
	_, err = exec(`TST_Widget`, "Resize", in("Resize", "NewSize", uint32(1)))
	wantCIM(err, status.CIM_ERR_INVALID_PARAMETER)

	// A static method through an instance path.
	out, err = exec(`TST_Widget.Id="w2"`, "Create", in("Create", "Id", "w3", "Size", uint32(3)))
	if err != nil || out.Value("Widget").Ref() == nil || out.Value("Widget").Ref().RelPath() != `TST_Widget.Id="w3"` {
		t.Fatalf("Create: %v %v", out, err)
	}
	out, err = exec("TST_Widget", "EchoTypes", in("EchoTypes", "S32", int32(-5), "UA", []uint32{1, 2}))
	if err != nil || out.Value("S32").Int64() != -5 || out.Value("UA").Len() != 2 || !out.Value("S").IsNull() {
		t.Fatalf("EchoTypes: %v %v", out, err)
	}
	for _, code := range []status.CIMStatus{status.CIM_ERR_FAILED, status.CIM_ERR_ACCESS_DENIED, status.CIM_ERR_METHOD_NOT_FOUND} {
		_, err = exec(`TST_Widget.Id="w1"`, "Fail", in("Fail", "Code", uint32(code)))
		wantCIM(err, code)
	}
	_, err = exec(`TST_Widget.Id="w1"`, "NotImplemented", nil)
	wantCIM(err, status.CIM_ERR_METHOD_NOT_AVAILABLE)
	if status.Code(err) != status.WBEM_E_NOT_SUPPORTED {
		t.Errorf("NotImplemented for WMI callers: %v", err)
	}

	// Delay: progress, concurrency and cancellation through the engine.
	start := time.Now()
	var calls []*wbem.Call
	for range 5 {
		c, err := wbem.Start(ctx, svc, "TST_Widget", "Delay", in("Delay", "Seconds", uint32(1)), wbem.FlagSendStatus, nil)
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, c)
	}
	for _, c := range calls {
		out, err := c.Wait(ctx)
		if err != nil || out.Value("Slept").Uint64() != 1 {
			t.Fatalf("Delay: %v %v", out, err)
		}
	}
	if el := time.Since(start); el > 4*time.Second {
		t.Errorf("5 concurrent Delay(1) took %v", el)
	}
	c, err := wbem.Start(ctx, svc, "TST_Widget", "Delay", in("Delay", "Seconds", uint32(2)), wbem.FlagSendStatus, nil)
	if err != nil {
		t.Fatal(err)
	}
	progress := 0
	for ev := range c.Events() {
		if ev.Kind == wbem.EventProgress {
			progress++
			if ev.Current != 1 || ev.Total != 2 || ev.Message != "slept 1 of 2 s" {
				t.Errorf("progress event %+v", ev)
			}
		}
	}
	if progress != 1 {
		t.Errorf("%d progress events, want 1", progress)
	}
	c, err = wbem.Start(ctx, svc, "TST_Widget", "Delay", in("Delay", "Seconds", uint32(60)), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, func() { _ = c.Cancel() })
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.Wait(wctx); status.Code(err) != status.WBEM_E_CALL_CANCELLED {
		t.Errorf("cancelled Delay: %v", err)
	}
}
