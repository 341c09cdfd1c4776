package native

import (
	"context"
	"errors"
	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/internal/testsupport"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/testmeth"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// testNS is the namespace of the test classes: TestMeth and NTest.
const testNS = "root/default"

// ntestMOF declares NTest, served by testProvider. It is compiled after
// testmeth's MOF, which declares the standard qualifiers in root/default.
const ntestMOF = `
instance of __Win32Provider as $P
{
    Name = "NativeTestProvider";
};

instance of __MethodProviderRegistration
{
    Provider = $P;
};

class NTestItem {
    string Label;
    uint64 Big;
};

    [Provider ("NativeTestProvider"), Description ("Test class of the native protocol")]
class NTest {
        [Key]
    string Name;

        [Static, Implemented]
    uint32 Echo([In] string sInArg, [Out] string sOutArg);

        [Static, Implemented, Description ("Reports progress Steps times, then returns Steps.")]
    uint32 Progress([In] uint32 Steps, [In] string Message);

        [Static, Implemented, Description ("Blocks until cancelled or released.")]
    uint32 Block([In] string Tag);

        [Static, Implemented, Description ("Fails with WBEM code Code, or with CIM status CIM when set.")]
    uint32 Fail([In] uint32 Code, [In] uint32 CIM);

        [Static, Implemented]
    string WhoAmI();

        [Static, Implemented, Description ("Waits until the test opens the gate.")]
    uint32 Gate();

        [Static, Implemented, Description ("Indicates Count objects of Size bytes each.")]
    uint32 Flood([In] uint32 Count, [In] uint32 Size);

        [Static, Implemented, Description ("Copies every in-parameter to the out-parameter of the same name.")]
    uint32 Types(
        [In, Out] boolean B,
        [In, Out] uint8 U8,
        [In, Out] sint8 S8,
        [In, Out] uint16 U16,
        [In, Out] sint16 S16,
        [In, Out] uint32 U32,
        [In, Out] sint32 S32,
        [In, Out] uint64 U64,
        [In, Out] sint64 S64,
        [In, Out] real32 R32,
        [In, Out] real64 R64,
        [In, Out] char16 C16,
        [In, Out] string Str,
        [In, Out] datetime DT,
        [In, Out] NTest ref Ref,
        [In, Out, EmbeddedInstance ("NTestItem")] string Obj,
        [In, Out] uint64 U64s[],
        [In, Out] string Strs[],
        [In, Out] real64 R64s[]);
};
`

// testProvider serves NTest. Block calls register by tag so that tests
// can see them start and see their context end.
type testProvider struct {
	mu      sync.Mutex
	started map[string]chan struct{}
	ended   map[string]chan error
	release chan struct{}
	gate    chan struct{}
	atGate  atomic.Int64
}

func newTestProvider() *testProvider {
	return &testProvider{started: map[string]chan struct{}{}, ended: map[string]chan error{},
		release: make(chan struct{}), gate: make(chan struct{})}
}

func (p *testProvider) chans(tag string) (chan struct{}, chan error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started[tag] == nil {
		p.started[tag] = make(chan struct{})
		p.ended[tag] = make(chan error, 1)
	}
	return p.started[tag], p.ended[tag]
}

// waitStarted waits until the Block call with tag has started.
func (p *testProvider) waitStarted(t testing.TB, tag string) {
	t.Helper()
	started, _ := p.chans(tag)
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatalf("Block(%q) did not start", tag)
	}
}

// waitEnded waits until the Block call with tag has seen its context end
// and returns the context's error.
func (p *testProvider) waitEnded(t testing.TB, tag string) error {
	t.Helper()
	_, ended := p.chans(tag)
	select {
	case err := <-ended:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("Block(%q) was not cancelled", tag)
	}
	return nil
}

func (p *testProvider) ExecMethod(ctx context.Context, call *provider.Call, sink provider.Sink) error {
	out, _ := call.NewOut()
	set := func(name string, v cim.Value) error { return out.Set(name, v) }
	switch strings.ToLower(call.Method.Name) {
	case "echo":
		arg := call.Arg("sInArg")
		if err := set("sOutArg", arg); err != nil {
			return err
		}
		_ = set("ReturnValue", cim.NewUint32(testmeth.UTF16Len(arg.Text())))
	case "progress":
		n := uint16(call.Arg("Steps").Uint64())
		for i := uint16(1); i <= n; i++ {
			if err := sink.Progress(i, n, call.Arg("Message").Text()); err != nil {
				return err
			}
		}
		_ = set("ReturnValue", cim.NewUint32(uint32(n)))
	case "block":
		tag := call.Arg("Tag").Text()
		started, ended := p.chans(tag)
		close(started)
		select {
		case <-ctx.Done():
			ended <- ctx.Err()
			return ctx.Err()
		case <-p.release:
		}
		_ = set("ReturnValue", cim.NewUint32(0))
	case "gate":
		p.atGate.Add(1)
		select {
		case <-p.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		_ = set("ReturnValue", cim.NewUint32(7))
	case "fail":
		if c := call.Arg("CIM"); !c.IsNull() && c.Uint64() != 0 {
			return status.NewCIM(status.CIMStatus(c.Uint64()), "failing with CIM status %d", c.Uint64())
		}
		return status.New(status.HRESULT(call.Arg("Code").Uint64()), "failing as asked")
	case "whoami":
		id := call.Caller
		_ = set("ReturnValue", cim.NewString(id.User+"|"+id.Method+"|"+id.Source))
	case "flood":
		n, size := int(call.Arg("Count").Uint64()), int(call.Arg("Size").Uint64())
		for i := 0; i < n && ctx.Err() == nil; i++ {
			if err := sink.Indicate(padded(uint32(i), size)); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			_, ended := p.chans("flood")
			select {
			case ended <- err:
			default:
			}
			return err
		}
		_ = set("ReturnValue", cim.NewUint32(uint32(n)))
	case "types":
		if call.In != nil {
			for k := 0; k < call.In.Len(); k++ {
				prop, v := call.In.At(k)
				if err := set(prop.Name, v); err != nil {
					return err
				}
			}
		}
		_ = set("ReturnValue", cim.NewUint32(1))
	default:
		return status.New(status.WBEM_E_INVALID_METHOD, "no method %s", call.Method.Name)
	}
	if err := sink.Indicate(out); err != nil {
		return err
	}
	sink.SetStatus(nil)
	return nil
}

var paddedClass = &cim.Class{Name: "__PARAMETERS", Properties: []*cim.Property{
	{Name: "ReturnValue", Type: cim.Uint32}, {Name: "Padding", Type: cim.String},
}}

// padded returns an out-parameters-like instance carrying size bytes of
// text, for the flooding test.
func padded(n uint32, size int) *cim.Instance {
	i := cim.NewInstance(paddedClass)
	_ = i.SetAt(0, cim.NewUint32(n))
	_ = i.SetAt(1, cim.NewString(strings.Repeat("x", size)))
	return i
}

// env is a test server: an engine over an in-memory repository with
// TestMeth and NTest, served on 127.0.0.1.
type env struct {
	eng     *engine.Engine
	prov    *testProvider
	handler *Handler
	srv     *httptest.Server
	url     string
}

type envOptions struct {
	engine  engine.Options
	handler HandlerOptions
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	prov := newTestProvider()
	ntest := provider.Module{Name: "NativeTestProvider", Namespace: testNS, MOFName: "ntest.mof", MOF: []byte(ntestMOF),
		New: func() (any, error) { return prov, nil }}
	eng := testsupport.Engine(t, []provider.Module{testmeth.Module, ntest}, func(eo *engine.Options) {
		repo, reg, quiet := eo.Repository, eo.Providers, eo.Logger
		*eo = o.engine
		eo.Repository, eo.Providers = repo, reg
		if eo.Logger == nil {
			eo.Logger = quiet
		}
	})
	ho := o.handler
	ho.Connector = eng
	if ho.Logger == nil {
		ho.Logger = quietLogger()
	}
	h := NewHandler(ho)
	mux := http.NewServeMux()
	mux.Handle(Path, h)
	srv := httptest.NewServer(mux)
	e := &env{eng: eng, prov: prov, handler: h, srv: srv, url: "ws" + strings.TrimPrefix(srv.URL, "http") + Path}
	t.Cleanup(func() {
		prov.releaseAll()
		_ = h.Close()
		srv.Close()
	})
	return e
}

func (p *testProvider) releaseAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.release:
	default:
		close(p.release)
	}
	select {
	case <-p.gate:
	default:
		close(p.gate)
	}
}

// dial connects a client to e.
func (e *env) dial(t testing.TB, opts *DialOptions) *Conn {
	t.Helper()
	if opts == nil {
		opts = &DialOptions{}
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, e.url, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// services opens the test namespace over c.
func services(t testing.TB, c wbem.Connector) wbem.Services {
	t.Helper()
	svc, err := c.Services(context.Background(), testNS)
	if err != nil {
		t.Fatalf("Services: %v", err)
	}
	return svc
}

// local returns the in-process services of the test namespace.
func (e *env) local(t testing.TB) wbem.Services {
	t.Helper()
	svc, err := e.eng.Services(security.WithIdentity(context.Background(), &security.Identity{User: "anonymous", Remote: true, Method: "none", UID: -1}), testNS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	return svc
}

// inParams returns in-parameters for class.method built from the class
// the services report, with values set by name.
func inParams(t testing.TB, svc wbem.Services, class, method string, vals map[string]cim.Value) *cim.Instance {
	t.Helper()
	c, err := svc.GetClass(context.Background(), class)
	if err != nil {
		t.Fatal(err)
	}
	m := c.Method(method)
	if m == nil {
		t.Fatalf("no method %s.%s", class, method)
	}
	in := m.NewInParams()
	for k, v := range vals {
		if err := in.Set(k, v); err != nil {
			t.Fatalf("in-parameter %s: %v", k, err)
		}
	}
	return in
}

// checkFor polls f until it returns nil or the timeout passes.
func checkFor(t testing.TB, timeout, interval time.Duration, f func() error) {
	t.Helper()
	cimtest.CheckFor(t, timeout, interval, f)
}

// waitCall waits for a call with a timeout.
func waitCall(t testing.TB, c *wbem.Call) (*cim.Instance, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := c.Wait(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call did not complete")
	}
	return out, err
}
