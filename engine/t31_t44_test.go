package engine_test

// Acceptance scenarios T31–T44 of WMI-METHODS.md §15: synchronous calls
// of a Win32_Process-like class, method signatures, in-parameter checks,
// paths, contexts, scripting, quotas and shutdown.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem/swbem"
)

// T31: synchronous Create with empty in-parameters: S_OK, ReturnValue 21.
func TestT31_SyncCreateEmpty(t *testing.T) {
	h := newHarness(t)
	out, err := h.svc.ExecMethod(bg, "TST_Process", "Create", h.inParams("TST_Process", "Create", nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rv := retval(t, out); rv != 21 {
		t.Errorf("ReturnValue = %d, want 21", rv)
	}
	// NULL in-parameters are the same for the provider (§5.4).
	out, err = h.svc.ExecMethod(bg, "TST_Process", "Create", nil, nil)
	if err != nil || retval(t, out) != 21 {
		t.Errorf("Create(NULL) = %v, %v", out, err)
	}
}

// T32: Create of an unknown program: S_OK, ReturnValue 9, ProcessId NULL
// of type uint32 (every out-parameter is present, §5.5).
func TestT32_SyncCreateUnknown(t *testing.T) {
	h := newHarness(t)
	out, err := h.svc.ExecMethod(bg, "TST_Process", "Create",
		h.inParams("TST_Process", "Create", map[string]any{"CommandLine": "unknown.exe"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rv := retval(t, out); rv != 9 {
		t.Errorf("ReturnValue = %d, want 9", rv)
	}
	pid, ok := out.Get("ProcessId")
	if !ok || !pid.IsNull() || pid.Type() != cim.Uint32 {
		t.Errorf("ProcessId = %v (present %v, type %v), want a NULL uint32", pid, ok, pid.Type())
	}
}

// T33: Create of a valid command: S_OK, ReturnValue 0, ProcessId ≠ 0.
// (The fake provider starts nothing; the engine's part is the delivery.)
func TestT33_SyncCreateValid(t *testing.T) {
	h := newHarness(t)
	out, err := h.svc.ExecMethod(bg, "TST_Process", "Create",
		h.inParams("TST_Process", "Create", map[string]any{"CommandLine": "true"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rv := retval(t, out); rv != 0 {
		t.Errorf("ReturnValue = %d, want 0", rv)
	}
	if pid := out.Value("ProcessId"); pid.IsNull() || pid.Uint64() == 0 {
		t.Errorf("ProcessId = %v", pid)
	}
}

// T34: GetOwner on the current process through a relative and a full
// path: ReturnValue 0 and the User and Domain strings; the out-parameters'
// ID qualifiers are 0 and 1 with flavor 0x31; ReturnValue has no ID.
func TestT34_GetOwner(t *testing.T) {
	h := newHarness(t)
	rel := `TST_Process.Handle="` + cimtest.CurrentProcessHandle() + `"`
	for _, path := range []string{
		rel,
		`\\.\root\test:` + rel,
		`\\` + serverName + `\ROOT\test:` + rel,
		`//localhost/root/test:` + rel,
		`TST_Process="` + cimtest.CurrentProcessHandle() + `"`,
	} {
		t.Run(path, func(t *testing.T) {
			out, err := h.svc.ExecMethod(bg, path, "GetOwner", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rv := retval(t, out); rv != 0 {
				t.Errorf("ReturnValue = %d", rv)
			}
			if out.Value("User").Text() == "" || out.Value("Domain").Text() == "" {
				t.Errorf("User/Domain missing: %s", out.MOF())
			}
			for i, name := range []string{"User", "Domain"} {
				q := out.Class().Property(name).Qualifiers.Get("ID")
				if q == nil || q.Value.Int64() != int64(i) || q.WMIFlavor() != 0x31 {
					t.Errorf("%s: ID qualifier %+v, want value %d flavor 0x31", name, q, i)
				}
			}
			if q := out.Class().Property(cim.ReturnValueName).Qualifiers.Get("ID"); q != nil {
				t.Errorf("ReturnValue has an ID qualifier %+v", q)
			}
		})
	}
}

// T35: GetMethod("unknown") finds nothing (the COM form's
// WBEM_E_NOT_FOUND with NULL signatures is a nil *cim.Method here).
func TestT35_GetMethodUnknown(t *testing.T) {
	h := newHarness(t)
	c, err := h.svc.GetClass(bg, "TST_Process")
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Method("unknown"); m != nil {
		t.Errorf("GetMethod(unknown) found %s", m.Name)
	}
}

// T36: GetMethod("getowner") matches case-insensitively; GetOwner has no
// in-signature and the out-signature User, Domain, ReturnValue.
func TestT36_GetMethodGetOwner(t *testing.T) {
	h := newHarness(t)
	c, err := h.svc.GetClass(bg, "tst_process")
	if err != nil {
		t.Fatal(err)
	}
	m := c.Method("getowner")
	if m == nil {
		t.Fatal("GetMethod(getowner) found nothing")
	}
	if m.InSignature() != nil || m.NewInParams() != nil {
		t.Errorf("GetOwner has an in-signature")
	}
	var names []string
	for _, p := range m.OutSignature().Properties {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "User,Domain,ReturnValue" {
		t.Errorf("out-signature %v", names)
	}
}

// paramsInstance builds an in-parameters object of an ad-hoc
// __PARAMETERS class, as a client that did not use the signature would.
func paramsInstance(t testing.TB, vals ...any) *cim.Instance {
	t.Helper()
	c := &cim.Class{Name: cim.ParametersClass}
	for i := 0; i < len(vals); i += 2 {
		v, err := cim.ValueOf(vals[i+1])
		if err != nil {
			t.Fatal(err)
		}
		c.Properties = append(c.Properties, &cim.Property{Name: vals[i].(string), Type: v.Type(), IsArray: v.IsArray()})
	}
	in := cim.NewInstance(c)
	for i := 0; i < len(vals); i += 2 {
		if err := in.Put(vals[i].(string), vals[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

// T37: in-parameters with a property the in-signature lacks →
// WBEM_E_INVALID_METHOD_PARAMETERS (DD-17); the provider is not called.
func TestT37_ExtraInParam(t *testing.T) {
	h := newHarness(t)
	called := false
	h.mux.HandleFunc("Echo", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		called = true
		return cimtest.Echo().ExecMethod(ctx, call, sink)
	})
	for _, in := range []*cim.Instance{
		paramsInstance(t, "sInArg", "x", "Extra", "y"),
		paramsInstance(t, "Bogus", uint32(1)),
	} {
		c := h.final("TST_Widget", "Echo", in, status.WBEM_E_INVALID_METHOD_PARAMETERS)
		expectExtended(t, c, "Windows Management", "TST_Widget")
	}
	h.waitIdle()
	if called {
		t.Error("the provider was called with invalid in-parameters")
	}
}

// T38: an in-parameter of another CIM type → WBEM_E_TYPE_MISMATCH
// (DD-17), while compatible integers are converted.
func TestT38_InParamTypeMismatch(t *testing.T) {
	h := newHarness(t)
	for _, in := range []*cim.Instance{
		paramsInstance(t, "U", "5"),
		paramsInstance(t, "S", uint32(5)),
		paramsInstance(t, "B", "true"),
		paramsInstance(t, "List", int32(1)),
		paramsInstance(t, "U", []uint32{1, 2}),
	} {
		h.final("TST_Widget", "Typed", in, status.WBEM_E_TYPE_MISMATCH)
	}
	out, err := h.svc.ExecMethod(bg, "TST_Widget", "Typed", paramsInstance(t, "U", int32(7)), nil)
	if err != nil || out.Value("UOut").Uint64() != 7 {
		t.Errorf("sint32 7 for uint32: %v, %v", out, err)
	}
}

// The rest of §5.4: in-parameter shape checks (DD-17), table-driven.
func TestInParamShape(t *testing.T) {
	h := newHarness(t)
	var seen *provider.Call
	h.mux.HandleFunc("Typed", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		seen = call
		return cimtest.Return(uint32(0), map[string]any{"UOut": call.Arg("U")}).ExecMethod(ctx, call, sink)
	})
	tests := []struct {
		name   string
		method string
		in     *cim.Instance
		want   status.HRESULT
		wantU  any // for Typed successes: the U the provider sees
	}{
		{"extra property", "Echo", paramsInstance(t, "sInArg", "x", "Extra", "y"), status.WBEM_E_INVALID_METHOD_PARAMETERS, nil},
		{"only an unknown property", "Echo", paramsInstance(t, "Bogus", uint32(1)), status.WBEM_E_INVALID_METHOD_PARAMETERS, nil},
		{"string for uint32", "Typed", paramsInstance(t, "U", "5"), status.WBEM_E_TYPE_MISMATCH, nil},
		{"uint32 for string", "Typed", paramsInstance(t, "S", uint32(5)), status.WBEM_E_TYPE_MISMATCH, nil},
		{"string for boolean", "Typed", paramsInstance(t, "B", "true"), status.WBEM_E_TYPE_MISMATCH, nil},
		{"scalar for array", "Typed", paramsInstance(t, "List", int32(1)), status.WBEM_E_TYPE_MISMATCH, nil},
		{"array for scalar", "Typed", paramsInstance(t, "U", []uint32{1, 2}), status.WBEM_E_TYPE_MISMATCH, nil},
		{"sint32 for uint32 converts", "Typed", paramsInstance(t, "U", int32(7)), 0, uint32(7)},
		{"uint8 for uint32 converts", "Typed", paramsInstance(t, "U", uint8(200)), 0, uint32(200)},
		{"case-insensitive names", "Typed", paramsInstance(t, "u", uint32(9), "s", "x", "b", true), 0, uint32(9)},
		{"NULL property allowed", "Typed", paramsInstance(t, "U", nil), 0, nil},
		{"NULL in-params allowed", "Typed", nil, 0, nil},
		{"signature instance", "Typed", h.inParams("TST_Widget", "Typed", map[string]any{"U": uint32(3), "List": []int32{1, -1}}), 0, uint32(3)},
		{"in-params for a method without inputs", "NoInput", paramsInstance(t), status.WBEM_E_INVALID_METHOD_PARAMETERS, nil},
		{"in-params for a void method", "Nothing", h.echoIn("x"), status.WBEM_E_INVALID_METHOD_PARAMETERS, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			s := h.with(t).async("TST_Widget", tc.method, tc.in, 0)
			c := s.ExpectFinal(t, long, tc.want)
			if tc.want.Failed() {
				expectExtended(t, c, "Windows Management", "TST_Widget")
				return
			}
			if tc.method != "Typed" {
				return
			}
			if seen == nil {
				t.Fatal("provider not called")
			}
			u := seen.Arg("U")
			if tc.wantU == nil {
				if !u.IsNull() {
					t.Errorf("provider saw U = %v, want NULL", u)
				}
				if tc.in == nil && seen.In != nil {
					t.Errorf("provider got in-parameters %s for NULL", seen.In.MOF())
				}
				return
			}
			if u.Type() != cim.Uint32 || u.Interface() != tc.wantU {
				t.Errorf("provider saw U = %v (%v), want uint32 %v", u, u.Type(), tc.wantU)
			}
		})
	}
	// Out of range is not silently truncated.
	s := h.async("TST_Widget", "Typed", paramsInstance(t, "U", int32(-1)), 0)
	if c := s.Wait(t, long); !c.HR.Failed() {
		t.Errorf("sint32 -1 for a uint32 parameter accepted: %v", c)
	}
}

// T39: paths (§6.3, §6.7) and namespace strings (§6.4) as the engine sees
// them: server and namespace checks, key-set checks, canonical keys.
func TestT39_Paths(t *testing.T) {
	h := newHarness(t)
	// Describe reports the canonical relative path the provider got.
	ok := func(path, class, rel string) {
		t.Helper()
		t.Run(path, func(t *testing.T) {
			out, err := h.svc.ExecMethod(bg, path, "Describe", nil, nil)
			if err != nil {
				t.Fatalf("ExecMethod: %v", err)
			}
			want := rel + " target=" + class
			if got := out.Value("Text").Text(); got != want {
				t.Errorf("provider saw %q, want %q", got, want)
			}
		})
	}
	ok(`TST_Widget.Name="w1"`, "TST_Widget", `TST_Widget.Name="w1"`)
	ok(`tst_widget.NAME='w1'`, "TST_Widget", `TST_Widget.Name="w1"`)
	ok(`TST_Widget="w1"`, "TST_Widget", `TST_Widget.Name="w1"`)
	ok(`\\.\root\test:TST_Widget.Name="w1"`, "TST_Widget", `TST_Widget.Name="w1"`)
	ok(`//./root/test:TST_Widget.Name="w1"`, "TST_Widget", `TST_Widget.Name="w1"`)
	ok(`\\LOCALHOST\ROOT\TEST:TST_Widget.Name="w1"`, "TST_Widget", `TST_Widget.Name="w1"`)
	ok(`\\testhost\root/test:TST_Widget.Name="w1"`, "TST_Widget", `TST_Widget.Name="w1"`)
	ok(`root\test:TST_Widget.Name="w1"`, "TST_Widget", `TST_Widget.Name="w1"`)
	ok(`TST_Numbered.Id=0x10`, "TST_Numbered", `TST_Numbered.Id=16`)
	ok(`TST_Numbered.Id="16"`, "TST_Numbered", `TST_Numbered.Id=16`)
	ok(`TST_Numbered=16`, "TST_Numbered", `TST_Numbered.Id=16`)
	ok(`TST_Multi.B=1,A="x"`, "TST_Multi", `TST_Multi.A="x",B=1`)
	ok(`TST_Multi.a="x",b=0x1`, "TST_Multi", `TST_Multi.A="x",B=1`)
	ok(`TST_Single=@`, "TST_Single", `TST_Single=@`)

	bad := func(path string, want status.HRESULT) {
		t.Helper()
		t.Run(path, func(t *testing.T) {
			c := h.with(t).final(path, "Describe", nil, want)
			expectExtended(t, c, "Windows Management", path)
		})
	}
	bad(`\\OTHERHOST\root\test:TST_Widget.Name="w1"`, status.WBEM_E_NOT_SUPPORTED)
	bad(`\\OTHERHOST\root\test:TST_Widget`, status.WBEM_E_NOT_SUPPORTED)
	bad(`\\.\root\cimv2:TST_Widget.Name="w1"`, status.WBEM_E_INVALID_NAMESPACE)
	bad(`\\.\root\other:TST_Widget.Name="w1"`, status.WBEM_E_INVALID_NAMESPACE)
	bad(`root\nowhere:TST_Widget.Name="w1"`, status.WBEM_E_INVALID_NAMESPACE)
	bad(`TST_Multi.A="x"`, status.WBEM_E_INVALID_OBJECT_PATH)             // missing key
	bad(`TST_Multi.A="x",B=1,C=2`, status.WBEM_E_INVALID_OBJECT_PATH)     // extra key
	bad(`TST_Multi.A="x",A="y"`, status.WBEM_E_INVALID_OBJECT_PATH)       // duplicate
	bad(`TST_Multi="x"`, status.WBEM_E_INVALID_OBJECT_PATH)               // unnamed, two keys
	bad(`TST_Widget.Name="w1",Size=1`, status.WBEM_E_INVALID_OBJECT_PATH) // non-key property
	bad(`TST_Widget.Size=1`, status.WBEM_E_INVALID_OBJECT_PATH)           // wrong key
	bad(`TST_Numbered.Id="abc"`, status.WBEM_E_INVALID_OBJECT_PATH)       // not coercible
	bad(`TST_Numbered.Id=-1`, status.WBEM_E_INVALID_OBJECT_PATH)          // out of range
	bad(`TST_Widget=@`, status.WBEM_E_INVALID_OBJECT_PATH)                // not a singleton
	bad(`TST_Widget.Name="c:\windows"`, status.WBEM_E_INVALID_OBJECT_PATH)
	bad(`TST_Widget = "w1"`, status.WBEM_E_INVALID_OBJECT_PATH)

	// The §6.7 vectors at the parser.
	p, err := cim.ParsePath(`MyClass.IntVal=33,StrVal="AAA"`)
	q, err2 := cim.ParsePath(`myclass.strval="AAA",INTVAL=33`)
	if err != nil || err2 != nil || !p.Equal(q) {
		t.Errorf("§6.7 equal paths: %v %v", err, err2)
	}
	for in, want := range map[string]string{
		`Win32_Directory.Name="c:\\windows"`: `c:\windows`,
		`Foo.Bar="a\"b"`:                     `a"b`,
		`Win32_Service='Alerter'`:            `Alerter`,
	} {
		p, err := cim.ParsePath(in)
		if err != nil || len(p.Keys) != 1 || p.Keys[0].Value.Text != want {
			t.Errorf("ParsePath(%s) = %+v, %v; want key value %q", in, p, err, want)
		}
	}
	if p, err := cim.ParsePath(`X.K=0x10`); err != nil || p.RelPath() != `X.K=16` {
		t.Errorf("X.K=0x10 = %v, %v", p, err)
	}
	if p, err := cim.ParsePath(`__SystemSecurity=@`); err != nil || !p.Singleton {
		t.Errorf("singleton: %v, %v", p, err)
	}

	// §6.4: connection-level namespace strings.
	for _, s := range []string{`ROOT\CIMV2`, `ROOT/CIMV2`, `root\default`, `ROOT`, `\\.\ROOT`, `//.\ROOT`,
		`\\./ROOT`, `//./ROOT`, `\/.\ROOT`, `\\localhost\ROOT`, `\\LOCALHOST\ROOT`, `\\TESTHOST\root\test`} {
		if _, err := h.eng.Services(bg, s); err != nil {
			t.Errorf("Services(%s): %v", s, err)
		}
	}
	for _, s := range []string{``, `\`, `\\`, `\\.`, `\ROOT`, `NONE`, `ROOT\NONE`, `\\.\NONE`, `root\cimv0`,
		`\\.\`, `ROOT\\CIMV2`, `ROOT\CIMV2\`} {
		_, err := h.eng.Services(bg, s)
		expectCode(t, err, status.WBEM_E_INVALID_NAMESPACE)
	}
	_, err = h.eng.Services(bg, `\\\.\ROOT`)
	expectCode(t, err, status.WBEM_E_INVALID_PARAMETER)
	_, err = h.eng.Services(bg, `\\OTHERHOST\ROOT`)
	expectCode(t, err, status.WBEM_E_NOT_SUPPORTED)
	for _, s := range []string{`\\ROOT`, `\\.ROOT`} { // Windows: RPC_S_SERVER_UNAVAILABLE
		if _, err := h.eng.Services(bg, s); err == nil {
			t.Errorf("Services(%s) succeeded", s)
		}
	}
}

// T40: context objects (§7.1) and their forwarding to the provider,
// unchanged and by identity (A13).
func TestT40_Context(t *testing.T) {
	nv := cim.NewNamedValues()
	expectCode(t, nv.Set("name", cim.Value{}), status.WBEM_E_INVALID_PARAMETER)
	expectCode(t, nv.Set("", cim.NewSint32(1)), status.WBEM_E_INVALID_PARAMETER)
	_, err := nv.Get("")
	expectCode(t, err, status.WBEM_E_INVALID_PARAMETER)
	_, err = nv.Get("missing")
	expectCode(t, err, status.WBEM_E_NOT_FOUND)
	if err := nv.Set("name", cim.NewString("a")); err != nil {
		t.Fatal(err)
	}
	if err := nv.Set("NAME", cim.NewString("b")); err != nil {
		t.Fatal(err)
	}
	if v, err := nv.Get("Name"); err != nil || v.Text() != "b" || nv.Len() != 1 {
		t.Errorf("case-insensitive overwrite: %v, %v, len %d", v, err, nv.Len())
	}
	if err := nv.Add("__ProviderArchitecture", int32(64)); err != nil {
		t.Fatal(err)
	}
	if err := nv.Add("list", []int32{1, 2}); err != nil {
		t.Fatal(err)
	}

	h := newHarness(t)
	got := make(chan *cim.NamedValues, 2)
	h.mux.HandleFunc("Nothing", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		got <- call.Context
		sink.SetStatus(nil)
		return nil
	})
	h.asyncOn(h.svc, "TST_Widget", "Nothing", nil, 0, nv).ExpectFinal(t, long, 0)
	if c := <-got; c != nv {
		t.Errorf("provider got context %p, want the caller's %p", c, nv)
	}
	h.async("TST_Widget", "Nothing", nil, 0).ExpectFinal(t, long, 0)
	if c := <-got; c != nil {
		t.Errorf("provider got context %v for none", c)
	}
	if v, _ := nv.Get("name"); v.Text() != "b" || nv.Len() != 3 {
		t.Errorf("the engine changed the context")
	}
}

// T41: scripting ExecMethodAsync with an async context: the same object
// (identity) comes back in OnObjectReady and OnCompleted; it never
// reaches the provider, the named-value set does.
func TestT41_ScriptingAsyncContext(t *testing.T) {
	h := newHarness(t)
	provCtx := make(chan *cim.NamedValues, 4)
	h.mux.HandleFunc("Echo", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		provCtx <- call.Context
		return cimtest.Echo().ExecMethod(ctx, call, sink)
	})
	type event struct {
		kind string
		obj  *cim.Instance
		hr   status.HRESULT
		ctx  *cim.NamedValues
	}
	events := make(chan event, 16)
	sink := &swbem.Sink{
		OnObjectReady: func(o *cim.Instance, ac *cim.NamedValues) { events <- event{kind: "ready", obj: o, ctx: ac} },
		OnCompleted: func(hr status.HRESULT, e *cim.Instance, ac *cim.NamedValues) {
			events <- event{kind: "completed", obj: e, hr: hr, ctx: ac}
		},
	}
	svc := swbem.New(bg, h.svc)
	named := cim.NewNamedValues()
	_ = named.Add("forProvider", true)
	actx1, actx2 := cim.NewNamedValues(), cim.NewNamedValues()
	_ = actx1.Add("CallId", int32(1))
	_ = actx2.Add("CallId", int32(2))
	if err := svc.ExecMethodAsync(sink, "TST_Widget", "Echo", h.echoIn("one"), 0, named, actx1); err != nil {
		t.Fatal(err)
	}
	if err := svc.ExecMethodAsync(sink, "TST_Nope", "Echo", nil, 0, nil, actx2); err != nil {
		t.Fatal(err)
	}
	seen := map[*cim.NamedValues][]string{}
	for completed := 0; completed < 2; {
		select {
		case ev := <-events:
			seen[ev.ctx] = append(seen[ev.ctx], ev.kind)
			if ev.kind == "completed" {
				completed++
				switch ev.ctx {
				case actx1:
					if ev.hr != 0 || ev.obj != nil {
						t.Errorf("call 1 completed with %s, %v", ev.hr.Hex(), ev.obj)
					}
				case actx2:
					if ev.hr != status.WBEM_E_INVALID_CLASS || ev.obj == nil || ev.obj.ClassName() != "__ExtendedStatus" {
						t.Errorf("call 2 completed with %s, %v", ev.hr.Hex(), ev.obj)
					}
				}
			} else if ev.ctx == actx1 && ev.obj.Value("sOutArg").Text() != "one" {
				t.Errorf("OnObjectReady object %s", ev.obj.MOF())
			}
		case <-time.After(long):
			t.Fatalf("events so far: %v", seen)
		}
	}
	if fmt.Sprint(seen[actx1]) != "[ready completed]" || fmt.Sprint(seen[actx2]) != "[completed]" || len(seen) != 2 {
		t.Errorf("events by async context: %v", seen)
	}
	if c := <-provCtx; c != named {
		t.Errorf("provider got context %p, want the named-value set %p", c, named)
	}
	// A call that cannot start raises no event.
	expectCode(t, svc.ExecMethodAsync(sink, "", "Echo", nil, 0, nil, actx1), status.WBEM_E_INVALID_PARAMETER)
	expectCode(t, svc.ExecMethodAsync(nil, "TST_Widget", "Echo", nil, 0, nil, actx1), status.WBEM_E_INVALID_PARAMETER)
	h.waitIdle()
	if len(events) != 0 {
		t.Errorf("events after a failed start: %d", len(events))
	}
}

// T42: scripting Sink.Cancel raises OnCompleted(0x80041032, i.e.
// -2147217358) once for each pending call of the sink, and only those.
func TestT42_ScriptingCancel(t *testing.T) {
	h := newHarness(t)
	p := cimtest.NewParker(3)
	h.mux.Handle("Echo", p)
	type done struct {
		hr  status.HRESULT
		ctx *cim.NamedValues
	}
	completed := make(chan done, 8)
	mk := func() *swbem.Sink {
		return &swbem.Sink{OnCompleted: func(hr status.HRESULT, _ *cim.Instance, ac *cim.NamedValues) {
			completed <- done{hr, ac}
		}}
	}
	sink, other := mk(), mk()
	svc := swbem.New(bg, h.svc)
	ctxs := []*cim.NamedValues{cim.NewNamedValues(), cim.NewNamedValues()}
	for _, ac := range ctxs {
		if err := svc.ExecMethodAsync(sink, "TST_Widget", "Echo", h.echoIn("x"), 0, nil, ac); err != nil {
			t.Fatal(err)
		}
	}
	otherCtx := cim.NewNamedValues()
	if err := svc.ExecMethodAsync(other, "TST_Widget", "Echo", h.echoIn("x"), 0, nil, otherCtx); err != nil {
		t.Fatal(err)
	}
	p.WaitParked(t, 3, long)
	if err := sink.Cancel(); err != nil {
		t.Fatal(err)
	}
	got := map[*cim.NamedValues]int{}
	for range 2 {
		select {
		case d := <-completed:
			if d.hr.Signed() != -2147217358 {
				t.Errorf("OnCompleted(%d), want -2147217358", d.hr.Signed())
			}
			got[d.ctx]++
		case <-time.After(long):
			t.Fatal("OnCompleted missing")
		}
	}
	if got[ctxs[0]] != 1 || got[ctxs[1]] != 1 {
		t.Errorf("OnCompleted per async context: %v", got)
	}
	if err := sink.Cancel(); err != nil {
		t.Errorf("second Cancel: %v", err)
	}
	if len(completed) != 0 {
		t.Errorf("the other sink's call was cancelled too")
	}
	p.Release(nil)
	select {
	case d := <-completed:
		if d.ctx != otherCtx || d.hr != 0 {
			t.Errorf("other call completed with %s", d.hr.Hex())
		}
	case <-time.After(long):
		t.Fatal("the other sink's call did not complete")
	}
	h.waitIdle()
	if len(completed) != 0 {
		t.Errorf("cancelled calls completed again")
	}
}

// T43: a host going over MemoryPerHost is stopped: its call in flight
// ends with WBEM_E_QUOTA_VIOLATION, a "HostKilled" trace event is
// emitted, and the next call gets a fresh host.
func TestT43_HostMemoryQuota(t *testing.T) {
	h := newHarness(t, func(c *config) { c.opts.MemoryPerHost = 1 << 20 })
	p := cimtest.NewParker(1)
	h.mux.Handle("Echo", p)
	// NoInput holds 512 KiB while it runs; Nothing keeps 1 MiB.
	h.mux.HandleFunc("NoInput", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		if err := call.Host.Alloc(512 << 10); err != nil {
			return err
		}
		call.Host.Free(512 << 10)
		sink.SetStatus(nil)
		return nil
	})
	h.mux.Handle("Nothing", cimtest.AllocThen(1<<20, cimtest.Succeed()))
	// The in-flight call's sink makes a new call as soon as its final
	// status arrives: that call must already get a fresh host.
	inflight := cimtest.NewRecordingSink()
	next := make(chan error, 1)
	inflight.OnStatus(func(flags int32, hr status.HRESULT) {
		_, err := h.svc.ExecMethod(bg, "TST_Widget", "NoInput", nil, nil)
		next <- err
	})
	if err := h.svc.ExecMethodAsync(bg, "TST_Widget", "Echo", h.echoIn("x"), 0, nil, inflight); err != nil {
		t.Fatal(err)
	}
	p.WaitParked(t, 1, long)
	aux := h.async("TST_Aux", "Echo", h.echoIn("x"), 0)
	aux.ExpectFinal(t, long, 0)
	h.final("TST_Widget", "Nothing", nil, 0) // 1 MiB: the whole quota
	c := h.final("TST_Widget", "NoInput", nil, status.WBEM_E_QUOTA_VIOLATION)
	expectExtended(t, c, cimtest.TestProvider, "TST_Widget")
	c = inflight.ExpectFinal(t, long, status.WBEM_E_QUOTA_VIOLATION)
	expectExtended(t, c, cimtest.TestProvider, "TST_Widget")
	if err := <-next; err != nil {
		t.Errorf("call made right after the host was stopped: %v", err)
	}
	evs := h.waitTrace("HostKilled", 1)
	if evs[0].Provider != cimtest.TestProvider || evs[0].Code != status.WBEM_E_QUOTA_VIOLATION || evs[0].Namespace != ns {
		t.Errorf("HostKilled event %+v", evs[0])
	}
	// The parked call's late completion is dropped.
	p.Release(nil)
	inflight.ExpectContract(t)
	// A fresh host serves the next call with a fresh account, however
	// soon it comes after the final status.
	for range 5 {
		h.final("TST_Widget", "NoInput", nil, 0)
		h.final("TST_Widget", "Nothing", nil, 0)
		h.final("TST_Widget", "NoInput", nil, status.WBEM_E_QUOTA_VIOLATION)
	}
	if n := len(h.tracesOf("HostKilled")); n != 6 {
		t.Errorf("%d HostKilled events, want 6", n)
	}
	if len(aux.Calls()) != 2 {
		t.Errorf("another host's call was affected: %v", aux.Calls())
	}
}

// closingMux is a Mux that records Close.
type closingMux struct {
	*cimtest.Mux
	closed chan struct{}
}

func (c *closingMux) Close() error { close(c.closed); return nil }

// T44: Shutdown: new calls fail with WBEM_E_SHUTTING_DOWN at once; a call
// still pending when Shutdown's context ends gets the final
// WBEM_E_SHUTTING_DOWN and its provider's context is cancelled; providers
// are closed.
func TestT44_ShutdownPending(t *testing.T) {
	cm := &closingMux{Mux: cimtest.NewMux(), closed: make(chan struct{})}
	h := newHarness(t, func(c *config) { c.providers[cimtest.TestProvider] = cm })
	b := &cimtest.Blocker{ObeyContext: true}
	t.Cleanup(b.Release)
	cm.Handle("Echo", b)
	cm.Handle("NoInput", cimtest.Succeed())
	h.final("TST_Widget", "NoInput", nil, 0)
	pending := h.async("TST_Widget", "Echo", h.echoIn("x"), 0)
	b.WaitEntered(t, 1, long)

	ctx, cancel := context.WithTimeout(bg, 200*time.Millisecond)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- h.eng.Shutdown(ctx) }()
	cimtest.CheckFor(t, long, time.Millisecond, func() error {
		err := h.svc.ExecMethodAsync(bg, "TST_Widget", "NoInput", nil, 0, nil, cimtest.NewRecordingSink())
		if status.Code(err) != status.WBEM_E_SHUTTING_DOWN {
			return fmt.Errorf("new call during shutdown: %v", err)
		}
		return nil
	})
	if _, err := h.svc.ExecMethod(bg, "TST_Widget", "NoInput", nil, nil); status.Code(err) != status.WBEM_E_SHUTTING_DOWN {
		t.Errorf("sync call during shutdown: %v", err)
	}
	if _, err := h.eng.Services(bg, ns); status.Code(err) != status.WBEM_E_SHUTTING_DOWN {
		t.Errorf("Services during shutdown: %v", err)
	}
	if len(pending.Calls()) != 0 {
		t.Errorf("the pending call ended before Shutdown's context: %v", pending.Calls())
	}
	c := pending.ExpectFinal(t, long, status.WBEM_E_SHUTTING_DOWN)
	if c.At.Before(time.Now().Add(-long)) {
		t.Error("impossible timestamp")
	}
	select {
	case err := <-shut:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown = %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(long):
		t.Fatal("Shutdown did not return")
	}
	b.WaitFor(t, long, "provider context cancelled", func(_, c, _ int) bool { return c == 1 })
	select {
	case <-cm.closed:
	case <-time.After(long):
		t.Error("the provider was not closed")
	}
	pending.ExpectContract(t)
	if h.eng.Pending() != 0 {
		t.Errorf("%d pending after Shutdown", h.eng.Pending())
	}
}

// TestShutdownIdle: Shutdown with nothing pending returns at once with nil.
func TestShutdownIdle(t *testing.T) {
	h := newHarness(t)
	h.final("TST_Widget", "Echo", h.echoIn("x"), 0)
	start := time.Now()
	if err := h.eng.Shutdown(bg); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("idle Shutdown took %v", d)
	}
	expectCode(t, h.svc.ExecMethodAsync(bg, "TST_Widget", "Echo", nil, 0, nil, cimtest.NewRecordingSink()), engine.ErrShuttingDown)
}
