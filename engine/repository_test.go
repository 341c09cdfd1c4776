package engine_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/status"
)

// The engine over the real repository and MOF compiler, with the core of
// the test model compiled from cimtest.ModelMOF: the same answers as over
// the test double.
func TestOverRealRepository(t *testing.T) {
	repo := cimtest.NewMOFRepository(t, ns, cimtest.ModelMOF)
	whoAmI := func(name string) provider.MethodProvider {
		return provider.MethodProviderFunc(func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
			return cimtest.Return(name+":"+call.Class.Name, nil).ExecMethod(ctx, call, sink)
		})
	}
	mux := cimtest.NewMux().
		Handle("Echo", cimtest.Echo()).
		Handle("Describe", provider.MethodProviderFunc(describe)).
		Handle("WhoAmI", whoAmI(cimtest.TestProvider)).
		Handle("WhoAmIBypass", whoAmI(cimtest.TestProvider))
	derived := cimtest.NewMux().
		Handle("WhoAmI", whoAmI(cimtest.DerivedProvider)).
		Handle("WhoAmIBypass", whoAmI(cimtest.DerivedProvider))
	e, err := engine.New(engine.Options{
		Repository: repo, ServerName: serverName,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Providers: cimtest.NewRegistry(t, map[string]any{
			cimtest.TestProvider: mux, cimtest.DerivedProvider: derived,
			cimtest.DisabledProvider: cimtest.NewMux().Handle("Echo", cimtest.Echo()),
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(bg)
		cancel()
		_ = e.Shutdown(ctx)
	})
	svc, err := e.OpenServices(bg, `ROOT\TEST`)
	if err != nil {
		t.Fatal(err)
	}
	ok := []struct{ path, method, want string }{
		{`TST_Widget`, "Echo", ""},
		{`TST_Widget.Name="w1"`, "Describe", `TST_Widget.Name="w1" target=TST_Widget`},
		{`\\.\root\test:TST_Widget="w2"`, "Describe", `TST_Widget.Name="w2" target=TST_Widget`},
		{`TST_Numbered.Id=0x10`, "Describe", `TST_Numbered.Id=16 target=TST_Numbered`},
		{`TST_Base.Name="d1"`, "WhoAmI", "DerivedProv:TST_Derived"},
		{`TST_Base.Name="d2"`, "WhoAmI", "TestProv:TST_Derived2"},
		{`TST_Base.Name="b1"`, "WhoAmI", "TestProv:TST_Base"},
		{`TST_Base.Name="d1"`, "WhoAmIBypass", "TestProv:TST_Base"},
	}
	for _, tc := range ok {
		t.Run(tc.path+"."+tc.method, func(t *testing.T) {
			in := (*cim.Instance)(nil)
			if tc.method == "Echo" {
				c, _ := repo.GetClass(ns, "TST_Widget")
				in = c.Method("Echo").NewInParams()
				_ = in.Put("sInArg", "abc")
			}
			out, err := svc.ExecMethod(bg, tc.path, tc.method, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			switch tc.method {
			case "Echo":
				if retval(t, out) != 3 {
					t.Errorf("Echo: %s", out.MOF())
				}
				return
			case "Describe":
				got = out.Value("Text").Text()
			default:
				got = out.Value(cim.ReturnValueName).Text()
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	bad := []struct {
		path, method string
		want         status.HRESULT
	}{
		{`TST_Widget.Name="nope"`, "Describe", status.WBEM_E_NOT_FOUND},
		{`TST_Widget`, "NotImpl", status.WBEM_E_METHOD_NOT_IMPLEMENTED},
		{`TST_Widget`, "Off", status.WBEM_E_METHOD_DISABLED},
		{`TST_Widget`, "Nope", status.WBEM_E_INVALID_METHOD},
		{`TST_Widget`, "Describe", status.WBEM_E_INVALID_METHOD_PARAMETERS},
		{`TST_Nope`, "Echo", status.WBEM_E_INVALID_CLASS},
		{`TST_Ghost`, "Echo", status.WBEM_E_PROVIDER_NOT_FOUND},
		{`TST_Disabled`, "Echo", status.WBEM_E_PROVIDER_DISABLED},
		{`TST_Widget.Size=1`, "Describe", status.WBEM_E_INVALID_OBJECT_PATH},
		{`\\.\root\cimv2:TST_Widget`, "Echo", status.WBEM_E_INVALID_NAMESPACE},
	}
	for _, tc := range bad {
		t.Run(tc.path+"."+tc.method, func(t *testing.T) {
			s := cimtest.NewRecordingSink()
			if err := svc.ExecMethodAsync(bg, tc.path, tc.method, nil, 0, nil, s); err != nil {
				t.Fatal(err)
			}
			s.ExpectFinal(t, long, tc.want)
		})
	}
}
