package cimtest_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

func TestRecordingSinkRecordsInOrder(t *testing.T) {
	s := cimtest.NewRecordingSink()
	c := &cim.Class{Name: cim.ParametersClass, Properties: []*cim.Property{{Name: "ReturnValue", Type: cim.Uint32}}}
	out := cim.NewInstance(c)
	_ = out.Put("ReturnValue", uint32(7))
	if hr := s.SetStatus(wbem.StatusProgress, status.MakeProgress(1, 2), "half", nil); hr != 0 {
		t.Fatal(hr)
	}
	if hr := s.Indicate([]*cim.Instance{out}); hr != 0 {
		t.Fatal(hr)
	}
	_ = out.Put("ReturnValue", uint32(8)) // the sink kept a copy
	s.SetStatus(wbem.StatusComplete, 0, "", nil)
	s.ExpectKinds(t, cimtest.KindProgress, cimtest.KindIndicate, cimtest.KindComplete)
	if got := s.Objects()[0].Value("ReturnValue").Uint64(); got != 7 {
		t.Errorf("recorded ReturnValue %d, want the value at Indicate time", got)
	}
	s.ExpectFinal(t, time.Second, 0)
	s.ExpectContract(t)
	calls := s.Calls()
	for i := 1; i < len(calls); i++ {
		if calls[i].At.Before(calls[i-1].At) {
			t.Errorf("timestamps out of order")
		}
	}
	if calls[0].String() != `SetStatus(2, 0x00020001, "half", nil)` {
		t.Errorf("String() = %s", calls[0])
	}
}

func TestRecordingSinkViolations(t *testing.T) {
	s := cimtest.NewRecordingSink()
	s.SetStatus(wbem.StatusComplete, 0, "", nil)
	s.Indicate(nil)
	s.SetStatus(wbem.StatusComplete, status.WBEM_E_FAILED, "", nil)
	v := s.Violations()
	for _, want := range []string{"2 final statuses", "callback 1 (Indicate(0)) after the final status", "callback 2"} {
		if !strings.Contains(v, want) {
			t.Errorf("Violations() = %q, missing %q", v, want)
		}
	}
	if s.Finals() != 2 {
		t.Errorf("Finals() = %d", s.Finals())
	}

	// Overlapping callbacks are seen.
	o := cimtest.NewRecordingSink()
	entered, release := make(chan struct{}), make(chan struct{})
	o.OnIndicate(func([]*cim.Instance) { close(entered); <-release })
	go o.Indicate(nil)
	<-entered
	o.SetStatus(wbem.StatusComplete, 0, "", nil)
	close(release)
	if !strings.Contains(o.Violations(), "overlapped") {
		t.Errorf("overlap not reported: %q", o.Violations())
	}
}

func TestRecordingSinkResultsAndHooks(t *testing.T) {
	s := cimtest.NewRecordingSink()
	s.SetIndicateResult(status.WBEM_E_FAILED)
	s.SetProgressResult(status.WBEM_E_OUT_OF_MEMORY)
	var statusHook []int32
	s.OnStatus(func(flags int32, hr status.HRESULT) { statusHook = append(statusHook, flags) })
	if hr := s.Indicate(nil); hr != status.WBEM_E_FAILED {
		t.Errorf("Indicate = %s", hr.Hex())
	}
	if hr := s.SetStatus(wbem.StatusProgress, 0, "", nil); hr != status.WBEM_E_OUT_OF_MEMORY {
		t.Errorf("progress = %s", hr.Hex())
	}
	if hr := s.SetStatus(wbem.StatusComplete, status.WBEM_E_FAILED, "", cim.NewExtendedStatus(status.New(status.WBEM_E_FAILED, "x"))); hr != 0 {
		t.Errorf("final = %s", hr.Hex())
	}
	if len(statusHook) != 2 {
		t.Errorf("OnStatus ran %d times", len(statusHook))
	}
	c := s.ExpectFinal(t, time.Second, status.WBEM_E_FAILED)
	if e := c.ExtendedStatus(); e.Description != "x" {
		t.Errorf("ExtendedStatus() = %+v", e)
	}
	s.FinalError(errors.New("go error"))
	if s.ReceivedError() == nil {
		t.Error("FinalError not kept")
	}
}

func TestWaitFinals(t *testing.T) {
	s := cimtest.NewRecordingSink()
	go func() {
		for range 3 {
			s.SetStatus(wbem.StatusComplete, 0, "", nil)
		}
	}()
	if got := s.WaitFinals(t, 3, time.Second); len(got) != 3 {
		t.Errorf("%d finals", len(got))
	}
}

func TestCheckFor(t *testing.T) {
	n := 0
	cimtest.CheckFor(t, time.Second, time.Millisecond, func() error {
		n++
		if n < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err := cimtest.Poll(5*time.Millisecond, time.Millisecond, func() error { return errors.New("never") }); err == nil {
		t.Error("Poll did not time out")
	}
}

func TestRepository(t *testing.T) {
	r := cimtest.NewRepository(t)
	for _, ns := range []string{"root", `ROOT\CIMV2`, "root/test", "root/other"} {
		if !r.HasNamespace(ns) {
			t.Errorf("namespace %s missing", ns)
		}
	}
	c, err := r.GetClass("root/test", "tst_derived")
	if err != nil {
		t.Fatal(err)
	}
	if c.SuperClass != "TST_Base" || c.Qualifiers.Text("Provider") != cimtest.DerivedProvider || c.Property("Name") == nil {
		t.Errorf("TST_Derived resolved as %s", c.MOF(false))
	}
	if _, err := r.GetClass("root/test", "nope"); status.Code(err) != status.WBEM_E_NOT_FOUND {
		t.Errorf("missing class: %v", err)
	}
	if _, err := r.GetClass("root/nope", "TST_Widget"); status.Code(err) != status.WBEM_E_INVALID_NAMESPACE {
		t.Errorf("missing namespace: %v", err)
	}
	subs, err := r.ClassNames("root/test", "TST_Base", true)
	if err != nil || strings.Join(subs, ",") != "TST_Derived,TST_Derived2" {
		t.Errorf("subclasses %v, %v", subs, err)
	}
	p, _ := cim.ParsePath(`TST_Widget.Name="W1"`)
	if i, err := r.Instance("root/test", p); err != nil || i.Value("Size").Uint64() != 1 {
		t.Errorf("Instance = %v, %v", i, err)
	}
	p, _ = cim.ParsePath(`TST_Base.Name="d1"`)
	if _, err := r.Instance("root/test", p); status.Code(err) != status.WBEM_E_NOT_FOUND {
		t.Errorf("instance of a subclass found through the base class: %v", err)
	}
	if is, err := r.Instances("root/test", "TST_Base", true); err != nil || len(is) != 3 {
		t.Errorf("Instances(deep) = %d, %v", len(is), err)
	}
	regs, err := r.Instances("root/test", "__MethodProviderRegistration", false)
	if err != nil || len(regs) != 6 {
		t.Errorf("%d registrations, %v", len(regs), err)
	}
	if q, err := r.QualifierDecl("root/test", "implemented"); err != nil || q.Name != "Implemented" {
		t.Errorf("QualifierDecl = %v, %v", q, err)
	}
	if r.RemoveInstance("root/test", p) {
		t.Error("RemoveInstance of a missing instance reported success")
	}
	w2, _ := cim.ParsePath(`TST_Widget.Name="w2"`)
	if !r.RemoveInstance("root/test", w2) {
		t.Error("RemoveInstance(w2) failed")
	}
	if _, err := r.Instance("root/test", w2); status.Code(err) != status.WBEM_E_NOT_FOUND {
		t.Errorf("removed instance still found: %v", err)
	}
}

func TestMux(t *testing.T) {
	c, _ := cimtest.NewRepository(t).GetClass("root/test", "TST_Widget")
	m := cimtest.NewMux().
		Handle("Echo", cimtest.Echo()).
		Handle("TST_Widget.NoInput", cimtest.Fail(status.WBEM_E_NOT_SUPPORTED))
	call := func(method string) (*recorder, error) {
		r := &recorder{}
		in := c.Method(method).NewInParams()
		if in != nil {
			_ = in.Put("sInArg", "hi")
		}
		err := m.ExecMethod(context.Background(), &provider.Call{Class: c, Method: c.Method(method), In: in}, r)
		return r, err
	}
	r, err := call("echo")
	if err != nil || len(r.objs) != 1 || r.objs[0].Value("sOutArg").Text() != "hi" || r.objs[0].Value("ReturnValue").Uint64() != 2 || !r.done {
		t.Errorf("Echo: %v %+v", err, r)
	}
	if _, err := call("NoInput"); status.Code(err) != status.WBEM_E_NOT_SUPPORTED {
		t.Errorf("class pattern: %v", err)
	}
	if _, err := call("Nothing"); status.Code(err) != status.WBEM_E_PROVIDER_NOT_CAPABLE {
		t.Errorf("no pattern: %v", err)
	}
}

func TestBlockerAndParker(t *testing.T) {
	c, _ := cimtest.NewRepository(t).GetClass("root/test", "TST_Widget")
	call := &provider.Call{Class: c, Method: c.Method("NoInput")}
	b := &cimtest.Blocker{ObeyContext: true}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = b.ExecMethod(ctx, call, &recorder{}) }()
	r := &recorder{}
	go func() { defer wg.Done(); _ = b.ExecMethod(context.Background(), call, r) }()
	b.WaitEntered(t, 2, time.Second)
	cancel()
	b.WaitFor(t, time.Second, "ctx", func(_, c, _ int) bool { return c == 1 })
	b.Release()
	wg.Wait()
	if e, c, ret := b.Counts(); e != 2 || c != 1 || ret != 2 || !r.done {
		t.Errorf("counts %d %d %d, done %v", e, c, ret, r.done)
	}

	p := cimtest.NewParker(2)
	r1, r2 := &recorder{}, &recorder{}
	_ = p.ExecMethod(context.Background(), call, r1)
	_ = p.ExecMethod(context.Background(), call, r2)
	p.WaitParked(t, 2, time.Second)
	if r1.done || p.Len() != 2 {
		t.Fatal("parked calls completed by themselves")
	}
	p.Release(nil)
	if !r1.done || !r2.done || len(r1.objs) != 1 || p.Len() != 0 || p.Total() != 2 {
		t.Errorf("Release: %+v %+v", r1, r2)
	}
}

// recorder is a minimal provider.Sink.
type recorder struct {
	mu   sync.Mutex
	objs []*cim.Instance
	done bool
	err  error
}

func (r *recorder) Indicate(objs ...*cim.Instance) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.objs = append(r.objs, objs...)
	return nil
}
func (r *recorder) Progress(uint16, uint16, string) error { return nil }
func (r *recorder) SetStatus(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done, r.err = true, err
}
