package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
)

// The users of the security middleware tests.
var (
	secAlice = &security.Identity{User: "alice", UID: 70001, Source: "unix:/run/wbemd.sock", Method: "peercred"}
	secBob   = &security.Identity{User: "bob", UID: 70002, Remote: true, Source: "tcp:192.0.2.9:4000", Method: "basic"}
)

func as(id *security.Identity) context.Context { return security.WithIdentity(bg, id) }

// TestPerUserQuota: a user's calls in flight are counted across all its
// connections; over MaxPendingPerUser a call is refused synchronously
// with WBEM_E_QUOTA_VIOLATION and the sink is never called; other users
// and the in-process identity are not affected; the count falls as calls
// end.
func TestPerUserQuota(t *testing.T) {
	p := cimtest.NewParker(16)
	h := newHarness(t, func(c *config) {
		c.providers[cimtest.TestProvider] = p
		c.opts.MaxPendingPerUser = 3
	})
	svc1, svc2 := h.open(as(secAlice)), h.open(as(secAlice))
	in := h.echoIn("x")
	start := func(svc *engine.Services, id *security.Identity) (*cimtest.RecordingSink, error) {
		s := cimtest.NewRecordingSink()
		return s, svc.ExecMethodAsync(as(id), "TST_Widget", "Echo", in, 0, nil, s)
	}
	for i, svc := range []*engine.Services{svc1, svc1, svc2} {
		if _, err := start(svc, secAlice); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	p.WaitParked(t, 3, long)
	if n := h.eng.PendingForUser("alice"); n != 3 {
		t.Errorf("PendingForUser(alice) = %d", n)
	}
	for _, svc := range []*engine.Services{svc1, svc2, h.open(as(secAlice))} {
		s, err := start(svc, secAlice)
		expectCode(t, err, status.WBEM_E_QUOTA_VIOLATION)
		if !strings.Contains(err.Error(), "alice") {
			t.Errorf("message %q does not name the user", err)
		}
		s.ExpectQuiet(t, 20*time.Millisecond)
	}
	// Synchronous calls are counted the same way.
	_, err := svc1.ExecMethod(as(secAlice), "TST_Widget", "Echo", in, nil)
	expectCode(t, err, status.WBEM_E_QUOTA_VIOLATION)
	// Others are not limited by alice's calls.
	if _, err := start(svc1, secBob); err != nil {
		t.Errorf("bob: %v", err)
	}
	for range 4 {
		if _, err := start(svc2, security.Process()); err != nil {
			t.Errorf("in-process: %v", err)
		}
	}
	p.WaitParked(t, 8, long)
	if n := h.eng.PendingForUser("bob"); n != 1 {
		t.Errorf("PendingForUser(bob) = %d", n)
	}
	p.Release(nil)
	h.waitIdle()
	if n := h.eng.PendingForUser("alice"); n != 0 {
		t.Errorf("PendingForUser(alice) after the calls ended = %d", n)
	}
	// Calls that end before reaching the provider, or are cancelled,
	// give their count back too.
	for range 5 {
		h.asyncOn(svc1, "TST_Widget", "NoSuchMethod", nil, 0, nil).ExpectFinal(t, long, status.WBEM_E_INVALID_METHOD)
	}
	s, err := start(svc1, secAlice)
	if err != nil {
		t.Fatal(err)
	}
	p.WaitParked(t, 9, long)
	if err := svc1.CancelAsyncCall(s); err != nil {
		t.Fatal(err)
	}
	if c := s.Wait(t, long); c.HR != status.WBEM_E_CALL_CANCELLED {
		t.Fatalf("final status after the cancel: %v", c)
	}
	h.waitIdle()
	if n := h.eng.PendingForUser("alice"); n != 0 {
		t.Errorf("PendingForUser(alice) after failures and a cancel = %d", n)
	}
	p.Release(nil)
}

// TestPerUserQuotaAllocations: counting a user's call allocates nothing
// once the user has been seen.
func TestPerUserQuotaAllocations(t *testing.T) {
	h := newHarness(t, func(c *config) {
		c.noTrace = true
		c.providers[cimtest.TestProvider] = cimtest.Echo()
	})
	in := h.echoIn("hello")
	var bad atomic.Int64
	allocs := func(id *security.Identity) float64 {
		svc := h.open(as(id))
		ctx := as(id)
		s := &echoSink{done: make(chan struct{}, 1), bad: &bad}
		call := func() {
			if err := svc.ExecMethodAsync(ctx, "TST_Widget", "Echo", in, 0, nil, s); err != nil {
				t.Fatal(err)
			}
			<-s.done
		}
		call()
		return testing.AllocsPerRun(200, call)
	}
	process, user := allocs(security.Process()), allocs(secAlice)
	if user > process {
		t.Errorf("a call of a counted user allocates %.1f times, the in-process one %.1f", user, process)
	}
	if bad.Load() != 0 {
		t.Fatal("wrong results")
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines returns the JSON lines written so far.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// TestAuditLog: one line per method call at its final status, and one
// per synchronous refusal, with who, where, what, the code and the
// duration.
func TestAuditLog(t *testing.T) {
	var buf syncBuffer
	denyAlice := security.AuthorizerFunc(func(_ context.Context, id *security.Identity, ns string, r security.Rights) error {
		if id.User == "alice" && r&security.MethodExecute != 0 {
			return status.New(status.WBEM_E_ACCESS_DENIED, "alice may not execute methods in %s", ns)
		}
		return nil
	})
	h := newHarness(t, func(c *config) {
		c.opts.Audit = slog.New(slog.NewJSONHandler(&buf, nil))
		c.opts.Authorizer = denyAlice
	})
	in := h.echoIn("hi")
	svcBob := h.open(as(secBob))
	if _, err := svcBob.ExecMethod(as(secBob), "TST_Widget", "Echo", in, nil); err != nil {
		t.Fatal(err)
	}
	svcAlice := h.open(as(secAlice))
	s := cimtest.NewRecordingSink()
	if err := svcAlice.ExecMethodAsync(as(secAlice), `TST_Widget.Name="w1"`, "Echo", in, 0, nil, s); err != nil {
		t.Fatal(err)
	}
	s.ExpectFinal(t, long, status.WBEM_E_ACCESS_DENIED)
	err := svcAlice.ExecMethodAsync(as(secAlice), "TST_Widget", "", nil, 0, nil, cimtest.NewRecordingSink())
	expectCode(t, err, status.WBEM_E_INVALID_PARAMETER)
	h.waitIdle()

	lines := buf.lines(t)
	if len(lines) != 3 {
		t.Fatalf("%d audit lines, want 3: %v", len(lines), lines)
	}
	want := []map[string]any{
		{"msg": "ExecMethod", "level": "INFO", "user": "bob", "source": "tcp:192.0.2.9:4000", "namespace": ns,
			"path": "TST_Widget", "method": "Echo", "code": "0x00000000", "status": "WBEM_S_NO_ERROR"},
		{"user": "alice", "source": "unix:/run/wbemd.sock", "namespace": ns, "path": `TST_Widget.Name="w1"`,
			"method": "Echo", "code": "0x80041003", "status": "WBEM_E_ACCESS_DENIED"},
		{"user": "alice", "path": "TST_Widget", "method": "", "code": "0x80041008", "status": "WBEM_E_INVALID_PARAMETER"},
	}
	for i, w := range want {
		for k, v := range w {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %v, want %v (%v)", i, k, lines[i][k], v, lines[i])
			}
		}
		if _, ok := lines[i]["duration"].(float64); !ok {
			t.Errorf("line %d: duration %v", i, lines[i]["duration"])
		}
	}
	if d := lines[0]["duration"].(float64); d <= 0 {
		t.Errorf("duration of a completed call %v", d)
	}
}

// TestMethodRightsAsked: a method call asks the Authorizer for
// MethodExecute, except on __SystemSecurity, where Enable is enough
// (its methods check their own rights); reads ask for Enable.
func TestMethodRightsAsked(t *testing.T) {
	var mu sync.Mutex
	var asked []security.Rights
	record := security.AuthorizerFunc(func(_ context.Context, _ *security.Identity, _ string, r security.Rights) error {
		mu.Lock()
		asked = append(asked, r)
		mu.Unlock()
		return nil
	})
	h := newHarness(t, func(c *config) { c.opts.Authorizer = record })
	take := func() []security.Rights {
		mu.Lock()
		defer mu.Unlock()
		out := asked
		asked = nil
		return out
	}
	take()
	h.final("TST_Widget", "Echo", h.echoIn("x"), 0)
	if got := take(); len(got) != 1 || got[0] != security.MethodExecute {
		t.Errorf("Echo asked for %v", got)
	}
	// The test model has no __SystemSecurity: the call fails after the
	// access check, which asked for Enable only.
	h.final("__SystemSecurity=@", "GetCallerAccessRights", nil, status.WBEM_E_INVALID_CLASS)
	if got := take(); len(got) != 1 || got[0] != security.Enable {
		t.Errorf("__SystemSecurity asked for %v", got)
	}
	if _, err := h.svc.GetClass(bg, "TST_Widget"); err != nil {
		t.Fatal(err)
	}
	if got := take(); len(got) != 1 || got[0] != security.Enable {
		t.Errorf("GetClass asked for %v", got)
	}
	if h.svc.Authorizer() == nil {
		t.Error("Services.Authorizer is nil")
	}
}

// TestAuditQuotaRefusal: calls refused by the per-user quota are audited,
// synchronous and asynchronous alike.
func TestAuditQuotaRefusal(t *testing.T) {
	var buf syncBuffer
	p := cimtest.NewParker(4)
	h := newHarness(t, func(c *config) {
		c.providers[cimtest.TestProvider] = p
		c.opts.MaxPendingPerUser = 1
		c.opts.Audit = slog.New(slog.NewJSONHandler(&buf, nil))
	})
	svc := h.open(as(secAlice))
	in := h.echoIn("x")
	if err := svc.ExecMethodAsync(as(secAlice), "TST_Widget", "Echo", in, 0, nil, cimtest.NewRecordingSink()); err != nil {
		t.Fatal(err)
	}
	p.WaitParked(t, 1, long)
	_, err := svc.ExecMethod(as(secAlice), "TST_Widget", "Echo", in, nil)
	expectCode(t, err, status.WBEM_E_QUOTA_VIOLATION)
	err = svc.ExecMethodAsync(as(secAlice), "TST_Widget", "Echo", in, 0, nil, cimtest.NewRecordingSink())
	expectCode(t, err, status.WBEM_E_QUOTA_VIOLATION)
	lines := buf.lines(t)
	if len(lines) != 2 {
		t.Fatalf("%d audit lines, want 2: %v", len(lines), lines)
	}
	for _, l := range lines {
		if l["user"] != "alice" || l["code"] != "0x8004106C" || l["status"] != "WBEM_E_QUOTA_VIOLATION" || l["method"] != "Echo" {
			t.Errorf("audit line %v", l)
		}
	}
	p.Release(nil)
	h.waitIdle()
	if n := len(buf.lines(t)); n != 3 {
		t.Errorf("%d audit lines after the parked call ended, want 3", n)
	}
}
