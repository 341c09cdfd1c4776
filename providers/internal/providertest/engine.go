package providertest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

// Engine compiles the MOF of the modules into one memory repository,
// registers their providers and returns an engine over them, as the
// server does at start. The engine is shut down when the test ends.
func Engine(t testing.TB, mods ...*provider.Module) *engine.Engine {
	t.Helper()
	repo := repository.NewMemory()
	reg := provider.NewRegistry()
	for _, m := range mods {
		if _, err := mof.CompileSource(repo, m.MOFName, m.MOF, mof.CompileOptions{Namespace: m.Namespace}); err != nil {
			t.Fatalf("compiling %s: %v", m.MOFName, err)
		}
		if err := m.Register(reg); err != nil {
			t.Fatal(err)
		}
	}
	e, err := engine.New(engine.Options{
		Repository: repo, Providers: reg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	return e
}

// Services returns the services of namespace ns of e for the caller ctx
// carries.
func Services(ctx context.Context, t testing.TB, e *engine.Engine, ns string) wbem.Services {
	t.Helper()
	s, err := e.Services(ctx, ns)
	if err != nil {
		t.Fatalf("services of %s: %v", ns, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// InParams returns in-parameters of class.method built from args (name,
// Go value pairs converted with cim.ValueOf, or cim.Value), fetching the
// class through svc; nil when args is empty.
func InParams(ctx context.Context, t testing.TB, svc wbem.Services, class, method string, args ...any) *cim.Instance {
	t.Helper()
	if len(args) == 0 {
		return nil
	}
	c, err := svc.GetClass(ctx, class)
	if err != nil {
		t.Fatalf("class %s: %v", class, err)
	}
	m := c.Method(method)
	if m == nil {
		t.Fatalf("%s has no method %s", class, method)
	}
	in := m.NewInParams()
	for i := 0; i+1 < len(args); i += 2 {
		name := args[i].(string)
		v, ok := args[i+1].(cim.Value)
		if !ok {
			if v, err = cim.ValueOf(args[i+1]); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if err := in.Set(name, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return in
}
