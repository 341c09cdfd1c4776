package security

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// logBuffer collects log output for the tests.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newTestAuth(t *testing.T, cost int, mod func(*AuthenticatorOptions)) (*Authenticator, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	p := loadPF(t, filepath.Join(t.TempDir(), "passwd"), &PasswordOptions{Cost: cost, Logger: log})
	must(t, p.AddUser("alice", "s3cret", ""))
	opts := AuthenticatorOptions{Passwords: p, Users: p, Logger: log}
	if mod != nil {
		mod(&opts)
	}
	return NewAuthenticator(opts), logs
}

func basicRequest(remote, user, pw string, tlsOn bool) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/cimom", nil)
	r.RemoteAddr = remote
	if user != "" {
		r.SetBasicAuth(user, pw)
	}
	if tlsOn {
		r.TLS = &tls.ConnectionState{HandshakeComplete: true}
	} else {
		r.TLS = nil
	}
	return r
}

// TestAuthenticateBasicPolicy checks Basic over TLS, and its refusal over
// plain HTTP unless the client is on loopback and AllowBasicOverHTTP is
// set.
func TestAuthenticateBasicPolicy(t *testing.T) {
	a, logs := newTestAuth(t, bcrypt.MinCost, nil)
	id, err := a.Authenticate(basicRequest("192.0.2.7:4000", "alice", "s3cret", true))
	if err != nil || id.User != "alice" || id.Method != "basic" || !id.Remote || id.Source != "tcp:192.0.2.7:4000" || id.UID != -1 {
		t.Fatalf("Basic over TLS: %+v %v", id, err)
	}
	if _, err := a.Authenticate(basicRequest("192.0.2.7:4000", "", "", true)); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("no credentials: %v", err)
	}
	for _, remote := range []string{"127.0.0.1:4000", "[::1]:4000", "192.0.2.7:4000"} {
		if _, err := a.Authenticate(basicRequest(remote, "alice", "s3cret", false)); !errors.Is(err, ErrBasicOverHTTP) {
			t.Errorf("plain HTTP from %s: %v", remote, err)
		}
	}
	if !strings.Contains(logs.String(), "reason=\"security: HTTP Basic authentication over plain HTTP is refused") {
		t.Errorf("refusal not logged:\n%s", logs)
	}
	b, _ := newTestAuth(t, bcrypt.MinCost, func(o *AuthenticatorOptions) { o.AllowBasicOverHTTP = true })
	for _, remote := range []string{"127.0.0.1:4000", "127.9.9.9:1", "[::1]:4000", "[::ffff:127.0.0.1]:5"} {
		if _, err := b.Authenticate(basicRequest(remote, "alice", "s3cret", false)); err != nil {
			t.Errorf("allowed plain HTTP from %s: %v", remote, err)
		}
	}
	if _, err := b.Authenticate(basicRequest("192.0.2.7:4000", "alice", "s3cret", false)); !errors.Is(err, ErrBasicOverHTTP) {
		t.Errorf("plain HTTP from a remote address with AllowBasicOverHTTP: %v", err)
	}

	// Guard answers 403 with an explanation and never calls the handler.
	called := false
	h := a.Guard(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, basicRequest("127.0.0.1:4000", "alice", "s3cret", false))
	if rec.Code != http.StatusForbidden || called || !strings.Contains(rec.Body.String(), "Use HTTPS") {
		t.Errorf("Guard: %d %q called=%v", rec.Code, rec.Body.String(), called)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, basicRequest("127.0.0.1:4000", "alice", "s3cret", true))
	if !called {
		t.Error("Guard stopped a TLS request")
	}
}

// TestAuthenticateRateLimit checks that after five wrong passwords the
// sixth attempt is refused at once, without a bcrypt comparison (and so
// much faster), even with the right password; that every failure is
// logged; and that the block ends.
func TestAuthenticateRateLimit(t *testing.T) {
	a, logs := newTestAuth(t, bcrypt.DefaultCost, func(o *AuthenticatorOptions) {
		o.InitialBackoff = 300 * time.Millisecond
	})
	var slowest time.Duration
	for i := range 5 {
		start := time.Now()
		if _, err := a.Authenticate(basicRequest("192.0.2.7:4000", "alice", "wrong", true)); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		slowest = max(slowest, time.Since(start))
	}
	n := bcryptCompares.Load()
	start := time.Now()
	_, err := a.Authenticate(basicRequest("192.0.2.7:4000", "alice", "s3cret", true))
	took := time.Since(start)
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("sixth attempt: %v", err)
	}
	if bcryptCompares.Load() != n {
		t.Error("the sixth attempt ran bcrypt")
	}
	if took > slowest/4 && took > 5*time.Millisecond {
		t.Errorf("the refused attempt took %v, a checked one %v", took, slowest)
	}
	// Another user from another address is not affected.
	p := a.opts.Users
	must(t, p.AddUser("bob", "pw", ""))
	if _, err := a.Authenticate(basicRequest("192.0.2.8:4000", "bob", "pw", true)); err != nil {
		t.Errorf("bob: %v", err)
	}
	out := logs.String()
	if c := strings.Count(out, "msg=\"authentication failed\" user=alice source=tcp:192.0.2.7:4000 method=basic"); c != 6 {
		t.Errorf("%d failures logged, want 6:\n%s", c, out)
	}
	if !strings.Contains(out, "reason=\"rate limited for another") {
		t.Errorf("rate limiting not logged:\n%s", out)
	}
	time.Sleep(350 * time.Millisecond)
	if _, err := a.Authenticate(basicRequest("192.0.2.7:4000", "alice", "s3cret", true)); err != nil {
		t.Errorf("after the back-off: %v", err)
	}
}

// TestFailureLimiter checks the bucket: burst, exponential back-off
// capped at max, refill, and the source key of IPv6 addresses.
func TestFailureLimiter(t *testing.T) {
	l := newFailureLimiter(3, time.Minute, time.Second, 8*time.Second, 100)
	now := time.Unix(1000, 0)
	for range 2 {
		l.fail(now, "k")
		if l.blocked(now, "k") != 0 {
			t.Fatal("blocked before the burst is used")
		}
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	for i, w := range want {
		l.fail(now, "k")
		if got := l.blocked(now, "k", "other"); got != w {
			t.Fatalf("strike %d: blocked %v, want %v", i+1, got, w)
		}
		now = now.Add(w)
		if l.blocked(now, "k") != 0 {
			t.Fatalf("strike %d: still blocked after %v", i+1, w)
		}
	}
	// A quiet period refills the bucket and resets the back-off.
	now = now.Add(3 * time.Minute)
	l.fail(now, "k")
	if l.blocked(now, "k") != 0 {
		t.Error("blocked after the refill")
	}
	l.succeed("k")
	if len(l.m) != 0 {
		t.Error("success kept the key")
	}
	// The table stays bounded.
	small := newFailureLimiter(1, time.Minute, time.Second, time.Second, 10)
	for i := range 100 {
		small.fail(now, string(rune('a'+i)))
	}
	if len(small.m) > 10 {
		t.Errorf("%d keys tracked", len(small.m))
	}
	for addr, key := range map[string]string{
		"192.0.2.1:5":              "192.0.2.1",
		"[2001:db8:1:2:3::4]:5":    "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::]:80": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.1]:5":     "192.0.2.1",
	} {
		if got := sourceKey(addr); got != key {
			t.Errorf("sourceKey(%s) = %s, want %s", addr, got, key)
		}
	}
}

// TestAuthenticateCertificate checks the identity of a verified client
// certificate: the common name, mapped through the password file.
func TestAuthenticateCertificate(t *testing.T) {
	a, _ := newTestAuth(t, bcrypt.MinCost, nil)
	must(t, a.opts.Users.AddUser("carol", "", "root"))
	r := basicRequest("192.0.2.7:4000", "", "", true)
	r.TLS.VerifiedChains = [][]*x509.Certificate{{{Subject: pkix.Name{CommonName: "carol"}}}}
	id, err := a.Authenticate(r)
	if err != nil || id.User != "carol" || id.Method != "cert" || id.UID != 0 || !id.Remote || id.Source != "tcp:192.0.2.7:4000" {
		t.Errorf("mapped certificate user: %+v %v", id, err)
	}
	r.TLS.VerifiedChains[0][0].Subject.CommonName = "dave"
	id, err = a.Authenticate(r)
	if err != nil || id.User != "dave" || id.UID != -1 {
		t.Errorf("unmapped certificate user: %+v %v", id, err)
	}
	r.TLS.VerifiedChains[0][0].Subject.CommonName = ""
	if _, err := a.Authenticate(r); !errors.Is(err, ErrCertificateName) {
		t.Errorf("no common name: %v", err)
	}
	// An unverified certificate counts for nothing.
	r = basicRequest("192.0.2.7:4000", "", "", true)
	r.TLS.PeerCertificates = []*x509.Certificate{{Subject: pkix.Name{CommonName: "carol"}}}
	if _, err := a.Authenticate(r); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("unverified certificate: %v", err)
	}
}
