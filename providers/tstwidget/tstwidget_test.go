package tstwidget

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/internal/providertest"
	"github.com/gowbem/gowbem/status"
)

func q(name string, v cim.Value) cim.Qualifier { return cim.Qualifier{Name: name, Value: v} }
func flag(name string) cim.Qualifier           { return q(name, cim.NewBool(true)) }

// Parameter directions as tst_methods.mof writes them.
const (
	in      = iota // [In]
	inOut          // [In, Out]
	outOnly        // [In (false), Out]
)

func param(name string, t cim.Type, dir int) *cim.Parameter {
	p := &cim.Parameter{Name: name, Type: t}
	switch dir {
	case in:
		p.Qualifiers = cim.Qualifiers{flag("In")}
	case inOut:
		p.Qualifiers = cim.Qualifiers{flag("In"), flag("Out")}
	case outOnly:
		p.Qualifiers = cim.Qualifiers{q("In", cim.NewBool(false)), flag("Out")}
	}
	if t == cim.Reference {
		p.RefClass = ClassName
	}
	return p
}

func arrayParam(name string, t cim.Type) *cim.Parameter {
	p := param(name, t, inOut)
	p.IsArray = true
	return p
}

func method(name string, static bool, params ...*cim.Parameter) *cim.Method {
	qs := cim.Qualifiers{flag("Implemented")}
	if static {
		qs = append(qs, flag("Static"))
	}
	return &cim.Method{Name: name, ReturnType: cim.Uint32, Qualifiers: qs, Parameters: params}
}

var settingsClass = &cim.Class{Name: "TST_Settings", Properties: []*cim.Property{
	{Name: "Level", Type: cim.Uint8, ClassOrigin: "TST_Settings"},
	{Name: "Name", Type: cim.String, ClassOrigin: "TST_Settings"},
}}

// widgetClass builds TST_Widget as tstwidget.mof declares it.
func widgetClass() *cim.Class {
	emb := param("Emb", cim.Object, inOut)
	emb.EmbeddedClass = "TST_Settings"
	emb.Qualifiers = append(emb.Qualifiers, q("EmbeddedInstance", cim.NewString("TST_Settings")))
	return &cim.Class{
		Name:       ClassName,
		Namespace:  Namespace,
		Qualifiers: cim.Qualifiers{flag("Dynamic"), q("Provider", cim.NewString(ProviderName))},
		Properties: []*cim.Property{
			{Name: "Id", Type: cim.String, Qualifiers: cim.Qualifiers{flag("Key")}, ClassOrigin: ClassName},
			{Name: "Size", Type: cim.Uint32, ClassOrigin: ClassName},
		},
		Methods: []*cim.Method{
			method("Resize", false, param("NewSize", cim.Uint32, in), param("Force", cim.Boolean, in), param("OldSize", cim.Uint32, outOnly)),
			method("Create", true, param("Id", cim.String, in), param("Size", cim.Uint32, in), param("Widget", cim.Reference, outOnly)),
			method("EchoTypes", true,
				param("S", cim.String, inOut), param("B", cim.Boolean, inOut),
				param("U8", cim.Uint8, inOut), param("S8", cim.Sint8, inOut),
				param("U16", cim.Uint16, inOut), param("S16", cim.Sint16, inOut),
				param("U32", cim.Uint32, inOut), param("S32", cim.Sint32, inOut),
				param("U64", cim.Uint64, inOut), param("S64", cim.Sint64, inOut),
				param("R32", cim.Real32, inOut), param("R64", cim.Real64, inOut),
				param("C16", cim.Char16, inOut), param("DT", cim.DateTime, inOut),
				arrayParam("SA", cim.String), arrayParam("UA", cim.Uint32),
				param("Peer", cim.Reference, inOut), arrayParam("Peers", cim.Reference),
				emb),
			method("Delay", true, param("Seconds", cim.Uint32, in), param("Slept", cim.Uint32, outOnly)),
			method("Fail", false, param("Code", cim.Uint32, in)),
			method("NotImplemented", false),
		},
	}
}

func widgetPath(id string) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, Class: ClassName,
		Keys: []cim.KeyBinding{{Name: "Id", Value: cim.KeyValue{Kind: cim.KeyString, Text: id}}}}
}

// call builds a call of method with the given in-parameters (name, value
// pairs) on path (nil: the class).
func call(t *testing.T, c *cim.Class, name string, path *cim.ObjectPath, args ...any) *provider.Call {
	t.Helper()
	m := c.Method(name)
	if m == nil {
		t.Fatalf("no method %s", name)
	}
	var inst *cim.Instance
	if len(args) > 0 {
		inst = m.NewInParams()
		for i := 0; i < len(args); i += 2 {
			v, ok := args[i+1].(cim.Value)
			if !ok {
				var err error
				if v, err = cim.ValueOf(args[i+1]); err != nil {
					t.Fatal(err)
				}
			}
			if err := inst.Set(args[i].(string), v); err != nil {
				t.Fatalf("set %s: %v", args[i], err)
			}
		}
	}
	return providertest.NewCall(Namespace, c, name, path, inst)
}

func exec(t *testing.T, p *Provider, c *provider.Call) (*cim.Instance, error) {
	t.Helper()
	out, rec, err := providertest.Exec(context.Background(), p, c, 5*time.Second)
	if errors.Is(err, providertest.ErrTimeout) {
		t.Fatal(err)
	}
	if v := rec.Violations(); v != nil {
		t.Fatal(v)
	}
	if err == nil {
		if out == nil {
			t.Fatal("success without out-parameters")
		}
		if rv := out.Value("ReturnValue"); rv.IsNull() || rv.Uint64() != 0 {
			t.Fatalf("ReturnValue = %v, want 0", rv)
		}
	}
	return out, err
}

// wantErr checks both code families of err.
func wantErr(t *testing.T, err error, wbem status.HRESULT, cimCode status.CIMStatus) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", wbem)
	}
	if got := status.Code(err); got != wbem {
		t.Errorf("WBEM code = %v, want %v (%v)", got, wbem, err)
	}
	if got := status.CIMCode(err); got != cimCode {
		t.Errorf("CIM code = %v, want %v (%v)", got, cimCode, err)
	}
}

func getSize(t *testing.T, p *Provider, c *cim.Class, id string) uint32 {
	t.Helper()
	inst, err := p.GetInstance(context.Background(), &provider.InstanceRequest{Namespace: Namespace, Class: c, Path: widgetPath(id)})
	if err != nil {
		t.Fatalf("GetInstance(%s): %v", id, err)
	}
	return uint32(inst.Value("Size").Uint64())
}

func TestResize(t *testing.T) {
	c := widgetClass()
	p := New()
	out, err := exec(t, p, call(t, c, "Resize", widgetPath("w1"), "NewSize", uint32(15), "Force", true))
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Value("OldSize"); got.Type() != cim.Uint32 || got.Uint64() != 10 {
		t.Errorf("OldSize = %v, want 10", got)
	}
	if got := getSize(t, p, c, "w1"); got != 15 {
		t.Errorf("Size after Resize = %d, want 15", got)
	}
	// Keys compare case-insensitively; the second resize reports the first.
	out, err = exec(t, p, call(t, c, "Resize", widgetPath("W1"), "NewSize", uint32(3)))
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Value("OldSize").Uint64(); got != 15 {
		t.Errorf("OldSize = %d, want 15", got)
	}
	if got := getSize(t, p, c, "w2"); got != 20 {
		t.Errorf("w2 changed: %d", got)
	}
}

func TestResizeErrors(t *testing.T) {
	c := widgetClass()
	tests := []struct {
		name string
		call *provider.Call
		wbem status.HRESULT
		cim  status.CIMStatus
	}{
		{"NewSize missing", call(t, c, "Resize", widgetPath("w1"), "Force", true),
			status.WBEM_E_INVALID_PARAMETER, status.CIM_ERR_INVALID_PARAMETER},
		{"no in-parameters at all", call(t, c, "Resize", widgetPath("w1")),
			status.WBEM_E_INVALID_PARAMETER, status.CIM_ERR_INVALID_PARAMETER},
		{"missing instance", call(t, c, "Resize", widgetPath("w9"), "NewSize", uint32(1)),
			status.WBEM_E_NOT_FOUND, status.CIM_ERR_NOT_FOUND},
		{"class path", call(t, c, "Resize", nil, "NewSize", uint32(1)),
			status.WBEM_E_INVALID_METHOD_PARAMETERS, status.CIM_ERR_INVALID_PARAMETER},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New()
			_, err := exec(t, p, tt.call)
			wantErr(t, err, tt.wbem, tt.cim)
			if got := p.Widgets(); fmt.Sprint(got) != "[{w1 10} {w2 20}]" {
				t.Errorf("state changed: %v", got)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	c := widgetClass()
	p := New()
	out, err := exec(t, p, call(t, c, "Create", nil, "Id", "w7", "Size", uint32(70)))
	if err != nil {
		t.Fatal(err)
	}
	ref := out.Value("Widget")
	if ref.Type() != cim.Reference || ref.Ref() == nil {
		t.Fatalf("Widget = %v (%s), want a reference", ref, ref.TypeName())
	}
	if got, want := ref.Ref().String(), `root\test:TST_Widget.Id="w7"`; got != want {
		t.Errorf("Widget = %s, want %s", got, want)
	}
	if !ref.Ref().Equal(widgetPath("w7")) {
		t.Errorf("Widget %s does not equal %s", ref.Ref(), widgetPath("w7"))
	}
	// Create is virtual: the widget is not stored.
	if len(p.Widgets()) != 2 {
		t.Errorf("Create stored a widget: %v", p.Widgets())
	}
	// A static method may be called through an instance path.
	if _, err := exec(t, p, call(t, c, "Create", widgetPath("w1"), "Id", `a "quoted" \ id`)); err != nil {
		t.Fatal(err)
	}
	_, err = exec(t, p, call(t, c, "Create", nil, "Size", uint32(1)))
	wantErr(t, err, status.WBEM_E_INVALID_PARAMETER, status.CIM_ERR_INVALID_PARAMETER)
}

func TestEchoTypes(t *testing.T) {
	c := widgetClass()
	dt, err := cim.NewDateTime("20240102030405.123456+060")
	if err != nil {
		t.Fatal(err)
	}
	settings := cim.NewInstance(settingsClass)
	_ = settings.Set("Level", cim.NewUint8(3))
	_ = settings.Set("Name", cim.NewString("fast"))
	all := []any{
		"S", "text", "B", true,
		"U8", cim.NewUint8(255), "S8", cim.NewSint8(-128),
		"U16", cim.NewUint16(65535), "S16", cim.NewSint16(-32768),
		"U32", cim.NewUint32(4294967295), "S32", cim.NewSint32(-2147483648),
		"U64", cim.NewUint64(18446744073709551615), "S64", cim.NewSint64(-9223372036854775808),
		"R32", cim.NewReal32(1.5), "R64", cim.NewReal64(-2.25e300),
		"C16", cim.NewChar16('Ω'), "DT", dt,
		"SA", cim.MustArray(cim.String, cim.NewString("a"), cim.NewString(""), cim.Null(cim.String, false)),
		"UA", cim.MustArray(cim.Uint32, cim.NewUint32(1), cim.NewUint32(2)),
		"Peer", cim.NewReference(widgetPath("w1")),
		"Peers", cim.MustArray(cim.Reference, cim.NewReference(widgetPath("w1")), cim.NewReference(widgetPath("w2"))),
		"Emb", cim.NewObject(settings),
	}
	t.Run("all", func(t *testing.T) {
		cl := call(t, c, "EchoTypes", nil, all...)
		out, err := exec(t, New(), cl)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(all); i += 2 {
			name := all[i].(string)
			want := cl.In.Value(name)
			got := out.Value(name)
			if !cim.Equal(got, want) {
				t.Errorf("%s = %v (%s), want %v (%s)", name, got, got.TypeName(), want, want.TypeName())
			}
		}
		// The echo is a copy: changing it leaves the input alone.
		_ = out.Value("Emb").Object().Set("Level", cim.NewUint8(9))
		if settings.Value("Level").Uint64() != 3 {
			t.Error("the echoed embedded instance shares state with the input")
		}
	})
	t.Run("some", func(t *testing.T) {
		out, err := exec(t, New(), call(t, c, "EchoTypes", nil, "U8", cim.NewUint8(7), "SA", cim.MustArray(cim.String)))
		if err != nil {
			t.Fatal(err)
		}
		for k := range out.Len() {
			prop, v := out.At(k)
			switch prop.Name {
			case "U8":
				if v.Uint64() != 7 || v.Type() != cim.Uint8 {
					t.Errorf("U8 = %v", v)
				}
			case "SA":
				if v.IsNull() || !v.IsArray() || v.Len() != 0 {
					t.Errorf("SA = %v, want an empty array", v)
				}
			case "ReturnValue":
			default:
				if !v.IsNull() {
					t.Errorf("%s = %v, want NULL (not given)", prop.Name, v)
				}
			}
		}
	})
	t.Run("none", func(t *testing.T) {
		out, err := exec(t, New(), call(t, c, "EchoTypes", nil))
		if err != nil {
			t.Fatal(err)
		}
		if out.Value("S").IsNull() != true {
			t.Errorf("S = %v, want NULL", out.Value("S"))
		}
	})
}

func TestFail(t *testing.T) {
	c := widgetClass()
	p := New()
	for code := status.CIMStatus(1); code <= 17; code++ {
		_, err := exec(t, p, call(t, c, "Fail", widgetPath("w2"), "Code", uint32(code)))
		wantErr(t, err, code.WBEM(), code)
	}
	for _, code := range []uint32{0, 18, 19, 20, 1000} {
		_, err := exec(t, p, call(t, c, "Fail", widgetPath("w2"), "Code", code))
		wantErr(t, err, status.WBEM_E_INVALID_PARAMETER, status.CIM_ERR_INVALID_PARAMETER)
	}
	_, err := exec(t, p, call(t, c, "Fail", widgetPath("w2")))
	wantErr(t, err, status.WBEM_E_INVALID_PARAMETER, status.CIM_ERR_INVALID_PARAMETER)
	_, err = exec(t, p, call(t, c, "Fail", widgetPath("nope"), "Code", uint32(1)))
	wantErr(t, err, status.WBEM_E_NOT_FOUND, status.CIM_ERR_NOT_FOUND)
	_, err = exec(t, p, call(t, c, "Fail", nil, "Code", uint32(1)))
	wantErr(t, err, status.WBEM_E_INVALID_METHOD_PARAMETERS, status.CIM_ERR_INVALID_PARAMETER)
}

func TestNotImplementedAndUnknown(t *testing.T) {
	c := widgetClass()
	p := New()
	_, err := exec(t, p, call(t, c, "NotImplemented", widgetPath("w1")))
	wantErr(t, err, status.WBEM_E_NOT_SUPPORTED, status.CIM_ERR_METHOD_NOT_AVAILABLE)
	_, err = exec(t, p, call(t, c, "NotImplemented", nil))
	wantErr(t, err, status.WBEM_E_INVALID_METHOD_PARAMETERS, status.CIM_ERR_INVALID_PARAMETER)

	c.Methods = append(c.Methods, method("Bogus", true))
	_, err = exec(t, p, call(t, c, "Bogus", nil))
	wantErr(t, err, status.WBEM_E_INVALID_METHOD, status.CIM_ERR_METHOD_NOT_FOUND)
}

func TestDelay(t *testing.T) {
	c := widgetClass()
	p := New()
	defer p.Close()

	t.Run("zero", func(t *testing.T) {
		out, err := exec(t, p, call(t, c, "Delay", nil, "Seconds", uint32(0)))
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Value("Slept"); got.IsNull() || got.Uint64() != 0 {
			t.Errorf("Slept = %v", got)
		}
	})
	t.Run("missing Seconds", func(t *testing.T) {
		_, err := exec(t, p, call(t, c, "Delay", nil))
		wantErr(t, err, status.WBEM_E_INVALID_PARAMETER, status.CIM_ERR_INVALID_PARAMETER)
	})
	t.Run("progress", func(t *testing.T) {
		start := time.Now()
		cl := providertest.WithProgress(call(t, c, "Delay", nil, "Seconds", uint32(2)))
		out, rec, err := providertest.Exec(context.Background(), p, cl, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < 2*time.Second {
			t.Errorf("Delay(2) took %v", el)
		}
		if got := out.Value("Slept").Uint64(); got != 2 {
			t.Errorf("Slept = %d, want 2", got)
		}
		reps := rec.ProgressReports()
		if len(reps) != 1 || reps[0] != (providertest.ProgressReport{Current: 1, Total: 2, Message: "slept 1 of 2 s"}) {
			t.Errorf("progress = %+v, want one report 1/2", reps)
		}
		if err := rec.Violations(); err != nil {
			t.Error(err)
		}
	})
	t.Run("no progress unless asked", func(t *testing.T) {
		_, rec, err := providertest.Exec(context.Background(), p, call(t, c, "Delay", nil, "Seconds", uint32(2)), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(rec.ProgressReports()); n != 0 {
			t.Errorf("%d progress reports without FlagSendStatus", n)
		}
	})
}

func TestDelayConcurrent(t *testing.T) {
	c := widgetClass()
	p := New()
	defer p.Close()
	const n = 20
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, _, err := providertest.Exec(context.Background(), p, call(t, c, "Delay", nil, "Seconds", uint32(1)), 10*time.Second)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	// Serialised calls would take n seconds.
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("%d concurrent Delay(1) calls took %v", n, el)
	}
}

func TestDelayReturnsBeforeFinishing(t *testing.T) {
	c := widgetClass()
	p := New()
	rec := providertest.NewRecorder()
	start := time.Now()
	if err := p.ExecMethod(context.Background(), call(t, c, "Delay", nil, "Seconds", uint32(5)), rec); err != nil {
		t.Fatal(err)
	}
	// A blocking Delay would take 5 s here.
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("ExecMethod blocked for %v", el)
	}
	select {
	case <-rec.Done():
		t.Fatalf("Delay(5) finished early: %v", rec.Err())
	default:
	}
	p.Close()
	select {
	case <-rec.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Delay never finished")
	}
}

func TestDelayCancel(t *testing.T) {
	c := widgetClass()
	p := New()
	defer p.Close()

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, rec, err := providertest.Exec(ctx, p, call(t, c, "Delay", nil, "Seconds", uint32(60)), 5*time.Second)
		wantErr(t, err, status.WBEM_E_CALL_CANCELLED, status.WBEM_E_CALL_CANCELLED.CIM())
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("cancellation took %v", el)
		}
		if len(rec.Objects()) != 0 {
			t.Error("a cancelled Delay indicated out-parameters")
		}
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, _, err := providertest.Exec(ctx, p, call(t, c, "Delay", nil, "Seconds", uint32(60)), 5*time.Second)
		if status.Code(err) != status.WBEM_E_TIMED_OUT {
			t.Errorf("err = %v, want WBEM_E_TIMED_OUT", err)
		}
	})
	t.Run("cause", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		time.AfterFunc(50*time.Millisecond, func() { cancel(status.WBEM_E_SHUTTING_DOWN) })
		_, _, err := providertest.Exec(ctx, p, call(t, c, "Delay", nil, "Seconds", uint32(60)), 5*time.Second)
		if status.Code(err) != status.WBEM_E_SHUTTING_DOWN {
			t.Errorf("err = %v, want WBEM_E_SHUTTING_DOWN", err)
		}
	})
}

func TestCloseEndsDelay(t *testing.T) {
	c := widgetClass()
	p := New()
	rec := providertest.NewRecorder()
	if err := p.ExecMethod(context.Background(), call(t, c, "Delay", nil, "Seconds", uint32(60)), rec); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if status.Code(rec.Err()) != status.WBEM_E_SHUTTING_DOWN {
		t.Errorf("final status %v, want WBEM_E_SHUTTING_DOWN", rec.Err())
	}
	// After Close, new Delay calls are refused.
	_, err := exec(t, p, call(t, c, "Delay", nil, "Seconds", uint32(0)))
	if status.Code(err) != status.WBEM_E_SHUTTING_DOWN {
		t.Errorf("Delay after Close: %v", err)
	}
}

func TestProgressScale(t *testing.T) {
	for _, tt := range []struct {
		done, total uint32
		cur, tot    uint16
	}{
		{1, 2, 1, 2}, {65535, 65535, 65535, 65535}, {1, 131070, 0, 65535}, {65535, 131070, 32767, 65535},
	} {
		if cur, tot := progressScale(tt.done, tt.total); cur != tt.cur || tot != tt.tot {
			t.Errorf("progressScale(%d, %d) = %d, %d; want %d, %d", tt.done, tt.total, cur, tot, tt.cur, tt.tot)
		}
	}
}

func TestInstances(t *testing.T) {
	c := widgetClass()
	p := New()
	ctx := context.Background()
	req := &provider.InstanceRequest{Namespace: Namespace, Class: c}
	var got []string
	err := p.EnumerateInstances(ctx, req, func(i *cim.Instance) bool {
		got = append(got, i.Path().String()+"="+i.Value("Size").String())
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[root\test:TST_Widget.Id="w1"=10 root\test:TST_Widget.Id="w2"=20]`; fmt.Sprint(got) != want {
		t.Errorf("instances = %v, want %s", got, want)
	}
	n := 0
	if err := p.EnumerateInstances(ctx, req, func(*cim.Instance) bool { n++; return false }); err != nil || n != 1 {
		t.Errorf("stopping enumeration: n=%d err=%v", n, err)
	}

	_, err = p.GetInstance(ctx, &provider.InstanceRequest{Namespace: Namespace, Class: c, Path: widgetPath("zz")})
	wantErr(t, err, status.WBEM_E_NOT_FOUND, status.CIM_ERR_NOT_FOUND)
	other := &cim.Class{Name: "TST_Other"}
	_, err = p.GetInstance(ctx, &provider.InstanceRequest{Namespace: Namespace, Class: other, Path: widgetPath("w1")})
	wantErr(t, err, status.WBEM_E_INVALID_CLASS, status.CIM_ERR_INVALID_CLASS)

	// With only NewInstance (no class in the request).
	inst, err := p.GetInstance(ctx, &provider.InstanceRequest{Namespace: Namespace, Path: widgetPath("w2"),
		NewInstance: func(name string) (*cim.Instance, error) {
			if !strings.EqualFold(name, ClassName) {
				return nil, status.New(status.WBEM_E_INVALID_CLASS, "%s", name)
			}
			i := cim.NewInstance(c)
			i.Namespace = Namespace
			return i, nil
		}})
	if err != nil || inst.Value("Size").Uint64() != 20 {
		t.Fatalf("GetInstance via NewInstance: %v, %v", inst, err)
	}
}

// TestConcurrentResize runs resizes and reads together (for -race) and
// checks that no update is lost.
func TestConcurrentResize(t *testing.T) {
	c := widgetClass()
	p := New()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				if _, err := exec(t, p, call(t, c, "Resize", widgetPath("w1"), "NewSize", uint32(g*100+i))); err != nil {
					t.Error(err)
					return
				}
				getSize(t, p, c, "w1")
			}
		})
	}
	wg.Wait()
	// Each resize returned the previous size; the final size is the last
	// value of one of the goroutines.
	if s := getSize(t, p, c, "w1"); s%100 != 49 {
		t.Errorf("final size %d is not the last write of a goroutine", s)
	}
}

func TestModule(t *testing.T) {
	if Module.Name != ProviderName || Module.Namespace != "root/test" {
		t.Fatalf("Module = %+v", Module)
	}
	mof := string(Module.MOF)
	for _, want := range []string{
		"Qualifier Key", "Qualifier EmbeddedInstance", "Qualifier Implemented", "Qualifier Dynamic",
		`Name         = "TST_WidgetProvider"`, "instance of __MethodProviderRegistration",
		"instance of __InstanceProviderRegistration", `[Dynamic, Provider ("TST_WidgetProvider")`,
		"class TST_Settings", "uint32 NotImplemented();",
	} {
		if !strings.Contains(mof, want) {
			t.Errorf("module MOF lacks %q", want)
		}
	}
	if strings.Contains(mof, "instance of TST_Widget") {
		t.Error("the MOF must not hold static TST_Widget instances: the provider owns them")
	}
	// Every method of the model is declared Implemented.
	if n := strings.Count(mof, "Implemented,"); n != 6 {
		t.Errorf("%d methods marked Implemented, want 6", n)
	}
	v, err := Module.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, ok := range []bool{is[provider.MethodProvider](v), is[provider.InstanceProvider](v), is[provider.Closer](v)} {
		if !ok {
			t.Fatalf("Module.New returned %T, which lacks an interface", v)
		}
	}
}

func is[T any](v any) bool { _, ok := v.(T); return ok }
