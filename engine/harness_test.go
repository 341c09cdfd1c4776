package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

const (
	ns = cimtest.TestNamespace
	// long bounds waits for things that must happen; they happen in
	// microseconds, so only a broken engine ever waits this long.
	long = 5 * time.Second
	// serverName is the engine's computer name in the tests.
	serverName = "TESTHOST"
)

var bg = context.Background()

// harness is one engine over the test model, with the test providers.
type harness struct {
	t    testing.TB
	repo *cimtest.Repository
	eng  *engine.Engine
	svc  *engine.Services
	// mux serves TestProv; derived serves DerivedProv; aux serves AuxProv.
	mux, derived, aux *cimtest.Mux

	tr *traceLog
}

// traceLog records the engine's trace events.
type traceLog struct {
	mu     sync.Mutex
	events []engine.TraceEvent
}

// with returns a copy of h that reports failures to t (for subtests).
func (h *harness) with(t testing.TB) *harness {
	c := *h
	c.t = t
	return &c
}

// config adjusts a harness before the engine starts.
type config struct {
	opts      engine.Options
	providers map[string]any // replaces the default provider of a name; nil value removes it
	repo      func(*cimtest.Repository)
	noTrace   bool // do not record trace events (benchmarks)
}

// newHarness starts an engine over a fresh test model. By default TestProv
// serves Echo (Echo), Describe (the target's key and Prefix),
// WhoAmI/WhoAmIBypass (provider and class names), NoInput, Nothing,
// Typed (echoes U); DerivedProv serves WhoAmI/WhoAmIBypass; AuxProv Echo;
// ProcProv is the TST_Process fake; InitFailProv fails Initialize.
func newHarness(t testing.TB, cfgs ...func(*config)) *harness {
	t.Helper()
	h := &harness{t: t, repo: cimtest.NewRepository(t), tr: &traceLog{}}
	h.repo.AddNamespace("root/default")
	whoAmI := func(name string) provider.MethodProvider {
		return provider.MethodProviderFunc(func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
			return cimtest.Return(name+":"+call.Class.Name, nil).ExecMethod(ctx, call, sink)
		})
	}
	h.mux = cimtest.NewMux().
		Handle("Echo", cimtest.Echo()).
		Handle("Describe", provider.MethodProviderFunc(describe)).
		Handle("WhoAmI", whoAmI(cimtest.TestProvider)).
		Handle("WhoAmIBypass", whoAmI(cimtest.TestProvider)).
		Handle("NoInput", cimtest.Return(uint32(0), map[string]any{"Text": "none"})).
		Handle("Nothing", cimtest.Succeed()).
		HandleFunc("Typed", func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
			return cimtest.Return(uint32(0), map[string]any{"UOut": call.Arg("U")}).ExecMethod(ctx, call, sink)
		})
	h.derived = cimtest.NewMux().
		Handle("WhoAmI", whoAmI(cimtest.DerivedProvider)).
		Handle("WhoAmIBypass", whoAmI(cimtest.DerivedProvider))
	h.aux = cimtest.NewMux().Handle("Echo", cimtest.Echo())
	c := &config{
		opts: engine.Options{ServerName: serverName, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		providers: map[string]any{
			cimtest.TestProvider:     h.mux,
			cimtest.DerivedProvider:  h.derived,
			cimtest.AuxProvider:      h.aux,
			cimtest.ProcessProvider:  &procProvider{},
			cimtest.InitFailProvider: &cimtest.InitFailing{Err: errors.New("no hardware here")},
			cimtest.DisabledProvider: cimtest.NewMux().Handle("Echo", cimtest.Echo()),
		},
	}
	for _, f := range cfgs {
		f(c)
	}
	if c.repo != nil {
		c.repo(h.repo)
	}
	provs := map[string]any{}
	for k, v := range c.providers {
		if v != nil {
			provs[k] = v
		}
	}
	c.opts.Repository = h.repo
	c.opts.Providers = cimtest.NewRegistry(t, provs)
	if userTrace := c.opts.Trace; !c.noTrace {
		c.opts.Trace = func(ev engine.TraceEvent) {
			h.tr.mu.Lock()
			h.tr.events = append(h.tr.events, ev)
			h.tr.mu.Unlock()
			if userTrace != nil {
				userTrace(ev)
			}
		}
	}
	e, err := engine.New(c.opts)
	if err != nil {
		t.Fatal(err)
	}
	h.eng = e
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(bg)
		cancel()
		_ = e.Shutdown(ctx)
	})
	h.svc = h.open(bg)
	return h
}

// open opens another connection to root/test.
func (h *harness) open(ctx context.Context) *engine.Services {
	h.t.Helper()
	s, err := h.eng.OpenServices(ctx, ns)
	if err != nil {
		h.t.Fatalf("OpenServices(%s): %v", ns, err)
	}
	return s
}

// describe serves Describe: ReturnValue 0, Text = Prefix + the canonical
// relative path the provider was given + the target's class.
func describe(ctx context.Context, call *provider.Call, sink provider.Sink) error {
	target := "<nil>"
	if call.Target != nil {
		target = call.Target.ClassName()
	}
	text := call.Arg("Prefix").Text() + call.Path.RelPath() + " target=" + target
	return cimtest.Return(uint32(0), map[string]any{"Text": text}).ExecMethod(ctx, call, sink)
}

// async starts path.method on h.svc and returns its recording sink; a
// start-up error fails the test.
func (h *harness) async(path, method string, in *cim.Instance, flags int32) *cimtest.RecordingSink {
	h.t.Helper()
	return h.asyncOn(h.svc, path, method, in, flags, nil)
}

func (h *harness) asyncOn(svc wbem.Services, path, method string, in *cim.Instance, flags int32, wctx *cim.NamedValues) *cimtest.RecordingSink {
	h.t.Helper()
	s := cimtest.NewRecordingSink()
	if err := svc.ExecMethodAsync(bg, path, method, in, flags, wctx, s); err != nil {
		h.t.Fatalf("ExecMethodAsync(%s, %s): %v", path, method, err)
	}
	return s
}

// final runs path.method asynchronously and expects final status want.
func (h *harness) final(path, method string, in *cim.Instance, want status.HRESULT) cimtest.Callback {
	h.t.Helper()
	return h.async(path, method, in, 0).ExpectFinal(h.t, long, want)
}

// inParams returns in-parameters of class.method with the given values.
func (h *harness) inParams(class, method string, vals map[string]any) *cim.Instance {
	h.t.Helper()
	c, err := h.repo.GetClass(ns, class)
	if err != nil {
		h.t.Fatal(err)
	}
	m := c.Method(method)
	if m == nil {
		h.t.Fatalf("no method %s.%s", class, method)
	}
	in := m.NewInParams()
	for k, v := range vals {
		if err := in.Put(k, v); err != nil {
			h.t.Fatalf("in-parameter %s: %v", k, err)
		}
	}
	return in
}

// echoIn returns Echo's in-parameters with sInArg = s.
func (h *harness) echoIn(s string) *cim.Instance {
	return h.inParams("TST_Widget", "Echo", map[string]any{"sInArg": s})
}

// tracesOf returns the trace events of a kind.
func (h *harness) tracesOf(kind string) []engine.TraceEvent {
	h.tr.mu.Lock()
	defer h.tr.mu.Unlock()
	var out []engine.TraceEvent
	for _, ev := range h.tr.events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// waitTrace waits until n trace events of kind have been seen.
func (h *harness) waitTrace(kind string, n int) []engine.TraceEvent {
	h.t.Helper()
	var evs []engine.TraceEvent
	cimtest.CheckFor(h.t, long, time.Millisecond, func() error {
		evs = h.tracesOf(kind)
		if len(evs) < n {
			return errors.New(kind + " trace events missing")
		}
		return nil
	})
	return evs
}

// waitIdle waits until the engine has no pending operation.
func (h *harness) waitIdle() {
	h.t.Helper()
	cimtest.CheckFor(h.t, long, time.Millisecond, func() error {
		if n := h.eng.Pending(); n != 0 {
			return fmt.Errorf("%d operations still pending", n)
		}
		return nil
	})
}

// expectCode fails the test unless err carries code want.
func expectCode(t testing.TB, err error, want status.HRESULT) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("got %s (%v), want %s (%v)", got.Hex(), err, want.Hex(), want)
	}
}

// expectExtended checks the fields of a final status's error object.
func expectExtended(t testing.TB, c cimtest.Callback, providerName, paramInfo string) *status.Error {
	t.Helper()
	e := c.ExtendedStatus()
	if e == nil {
		t.Fatalf("final status %v has no __ExtendedStatus", c)
		return nil
	}
	if e.Operation != "ExecMethod" {
		t.Errorf("Operation = %q, want ExecMethod", e.Operation)
	}
	if e.ProviderName != providerName {
		t.Errorf("ProviderName = %q, want %q", e.ProviderName, providerName)
	}
	if e.ParameterInfo != paramInfo {
		t.Errorf("ParameterInfo = %q, want %q", e.ParameterInfo, paramInfo)
	}
	if e.Code != c.HR {
		t.Errorf("StatusCode = %s, want %s", e.Code.Hex(), c.HR.Hex())
	}
	return e
}

// retval returns an out-parameters object's ReturnValue as uint64.
func retval(t testing.TB, out *cim.Instance) uint64 {
	t.Helper()
	if out == nil {
		t.Fatal("no out-parameters")
	}
	v := out.Value(cim.ReturnValueName)
	if v.IsNull() {
		t.Fatalf("ReturnValue is NULL in %s", out.MOF())
	}
	return v.Uint64()
}

// procProvider is a fake of the Win32_Process provider for TST_Process:
// it serves the current process as the only instance, Create with the
// ReturnValue mapping of spec §11.2 (21 for no command line, 9 for a
// command that cannot be found, 0 and a process id otherwise; nothing is
// started) and GetOwner.
type procProvider struct{}

var (
	_ provider.MethodProvider   = (*procProvider)(nil)
	_ provider.InstanceProvider = (*procProvider)(nil)
)

func (*procProvider) ExecMethod(ctx context.Context, call *provider.Call, sink provider.Sink) error {
	switch strings.ToLower(call.Method.Name) {
	case "create":
		cmd := call.Arg("CommandLine")
		switch {
		case cmd.IsNull() || cmd.Text() == "":
			return cimtest.Return(uint32(21), nil).ExecMethod(ctx, call, sink)
		case strings.Contains(cmd.Text(), "unknown"):
			return cimtest.Return(uint32(9), nil).ExecMethod(ctx, call, sink)
		}
		return cimtest.Return(uint32(0), map[string]any{"ProcessId": uint32(os.Getpid())}).ExecMethod(ctx, call, sink)
	case "getowner":
		if call.Target == nil {
			return status.New(status.WBEM_E_INVALID_PARAMETER, "GetOwner needs its target instance")
		}
		host, _ := os.Hostname()
		user := call.Caller.User
		if user == "" {
			user = "nobody"
		}
		return cimtest.Return(uint32(0), map[string]any{"User": user, "Domain": host}).ExecMethod(ctx, call, sink)
	}
	return provider.NotCapable
}

func (*procProvider) GetInstance(ctx context.Context, req *provider.InstanceRequest) (*cim.Instance, error) {
	kv, ok := req.Path.Key("Handle")
	if !ok || kv.Text != cimtest.CurrentProcessHandle() {
		return nil, status.New(status.WBEM_E_NOT_FOUND, "no process %s", kv.Text)
	}
	return procInstance(req)
}

func (*procProvider) EnumerateInstances(ctx context.Context, req *provider.InstanceRequest, yield func(*cim.Instance) bool) error {
	i, err := procInstance(req)
	if err != nil {
		return err
	}
	yield(i)
	return nil
}

func procInstance(req *provider.InstanceRequest) (*cim.Instance, error) {
	i, err := req.NewInstance("TST_Process")
	if err != nil {
		return nil, err
	}
	if err := i.Put("Handle", cimtest.CurrentProcessHandle()); err != nil {
		return nil, err
	}
	return i, i.Put("Name", "engine.test")
}

// denyExecute is an Authorizer that grants everything but MethodExecute.
var denyExecute = security.AuthorizerFunc(func(ctx context.Context, id *security.Identity, ns string, r security.Rights) error {
	if r&security.MethodExecute != 0 {
		return status.New(status.WBEM_E_ACCESS_DENIED, "%s may not execute methods in %s", id.User, ns)
	}
	return nil
})
