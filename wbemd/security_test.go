package wbemd

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/native"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

const challenge = `Basic realm="wbemd"`

// TestBasicAuthentication sends good, wrong and unknown credentials (and
// none) to CIM-XML and WS-Management over HTTPS: 200 with the caller
// reaching the provider, else 401 with the Basic challenge. WS-Man
// Identify stays anonymous.
func TestBasicAuthentication(t *testing.T) {
	s := runServer(t, nil)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	s.addUser(t, "alice", "s3cret", me.Username, 0)
	c := s.trustingClient(t)
	for _, proto := range []struct {
		name string
		req  func(url, user, pw string) *http.Request
		url  string
	}{
		{"CIM-XML", cimxmlWho, s.cimxmlsURL()},
		{"WS-Man", wsmanWho, s.wsmansURL()},
	} {
		t.Run(proto.name, func(t *testing.T) {
			code, _, body := do(t, c, proto.req(proto.url, "alice", "s3cret"))
			if code != http.StatusOK || !strings.Contains(body, "alice") {
				t.Errorf("good credentials: %d\n%s", code, body)
			}
			for _, cred := range [][2]string{{"alice", "wrong"}, {"mallory", "s3cret"}, {"", ""}} {
				code, hdr, body := do(t, c, proto.req(proto.url, cred[0], cred[1]))
				if code != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") != challenge {
					t.Errorf("credentials %q: %d %q\n%s", cred, code, hdr.Get("WWW-Authenticate"), body)
				}
			}
		})
	}
	// The identity as providers see it: mapped to this account.
	pool := c.Transport.(*http.Transport).TLSClientConfig
	out := whoOverCIMXML(t, s.cimxmlsURL(), cimxml.ClientOptions{TLSConfig: pool, Username: "alice", Password: "s3cret"})
	if out.Value("ReturnValue").Text() != "alice" || out.Value("UID").Int64() != int64(os.Getuid()) ||
		out.Value("Method").Text() != "basic" || !out.Value("Remote").Bool() ||
		!strings.HasPrefix(out.Value("Source").Text(), "tcp:127.0.0.1:") {
		t.Errorf("identity over CIM-XML:\n%s", out.MOF())
	}
	ws, err := wsman.Dial(s.wsmansURL(), wsman.ClientOptions{User: "alice", Password: "s3cret", HTTPClient: c})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := ws.Invoke(context.Background(), wsman.PrefixWMI+"root/default/Test_WhoAmI", "Who", nil, nil)
	if err != nil || fmt.Sprint(obj.Get("ReturnValue")) != "alice" || fmt.Sprint(obj.Get("Method")) != "basic" {
		t.Errorf("identity over WS-Man: %v %v", obj, err)
	}

	// WS-Man Identify needs no credentials, over HTTPS and plain HTTP.
	for _, url := range []string{s.wsmansURL(), s.wsmanURL()} {
		code, _, body := do(t, c, wsmanIdentify(url))
		if code != http.StatusOK || !strings.Contains(body, "IdentifyResponse") {
			t.Errorf("anonymous Identify at %s: %d\n%s", url, code, body)
		}
	}
	// The native API refuses anonymous callers too.
	_, err = native.Dial(context.Background(), strings.Replace(s.cimxmlsURL(), "/cimom", "", 1),
		&native.DialOptions{HTTPClient: c})
	if err == nil {
		t.Error("anonymous native connection accepted")
	}
	nc, err := native.Dial(context.Background(), strings.Replace(s.cimxmlsURL(), "/cimom", "", 1),
		&native.DialOptions{HTTPClient: c, User: "alice", Password: "s3cret"})
	if err != nil {
		t.Fatalf("native over HTTPS with Basic: %v", err)
	}
	defer nc.Close()
	svc, err := nc.Services(context.Background(), "root/default")
	if err != nil {
		t.Fatal(err)
	}
	out, err = svc.ExecMethod(context.Background(), "Test_WhoAmI", "Who", nil, nil)
	if err != nil || out.Value("ReturnValue").Text() != "alice" || out.Value("UID").Int64() != int64(os.Getuid()) {
		t.Errorf("native Who: %v %v", out, err)
	}
}

// TestBasicOverPlainHTTP checks that Basic credentials over plain HTTP
// are refused with an explanation by default, and accepted from loopback
// with AllowBasicOverHTTP.
func TestBasicOverPlainHTTP(t *testing.T) {
	s := runServer(t, nil)
	s.addUser(t, "alice", "s3cret", "", 0)
	for _, req := range []*http.Request{cimxmlWho(s.cimxmlURL(), "alice", "s3cret"), wsmanWho(s.wsmanURL(), "alice", "s3cret")} {
		code, _, body := do(t, http.DefaultClient, req)
		if code != http.StatusForbidden || !strings.Contains(body, "over plain HTTP is refused") {
			t.Errorf("%s: %d %s", req.URL, code, body)
		}
	}
	code, hdr, _ := do(t, http.DefaultClient, cimxmlWho(s.cimxmlURL(), "", ""))
	if code != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") != challenge {
		t.Errorf("anonymous over plain HTTP: %d %v", code, hdr)
	}
	if !strings.Contains(s.logs.String(), "over plain HTTP is refused") {
		t.Errorf("refusal not logged:\n%s", s.logs)
	}

	a := runServer(t, func(o *Options) { o.AllowBasicOverHTTP = true })
	a.addUser(t, "alice", "s3cret", "", 0)
	for _, req := range []*http.Request{cimxmlWho(a.cimxmlURL(), "alice", "s3cret"), wsmanWho(a.wsmanURL(), "alice", "s3cret")} {
		code, _, body := do(t, http.DefaultClient, req)
		if code != http.StatusOK || !strings.Contains(body, "alice") {
			t.Errorf("allowed on loopback, %s: %d %s", req.URL, code, body)
		}
	}
	code, _, _ = do(t, http.DefaultClient, cimxmlWho(a.cimxmlURL(), "alice", "wrong"))
	if code != http.StatusUnauthorized {
		t.Errorf("wrong password over allowed plain HTTP: %d", code)
	}
}

// TestLoginRateLimit checks that after five wrong passwords the sixth
// attempt, even with the right password, is refused at once (no bcrypt:
// it is much faster than a checked one), and that every failure is
// logged.
func TestLoginRateLimit(t *testing.T) {
	s := runServer(t, nil)
	s.addUser(t, "alice", "s3cret", "", bcrypt.DefaultCost)
	c := s.trustingClient(t)
	// Warm the connection up, so that the timings measure the login.
	if code, _, _ := do(t, c, cimxmlWho(s.cimxmlsURL(), "alice", "s3cret")); code != http.StatusOK {
		t.Fatalf("first login: %d", code)
	}
	var fastest time.Duration = time.Hour
	for i := range 5 {
		start := time.Now()
		code, _, _ := do(t, c, cimxmlWho(s.cimxmlsURL(), "alice", fmt.Sprint("wrong", i)))
		fastest = min(fastest, time.Since(start))
		if code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, code)
		}
	}
	start := time.Now()
	code, hdr, _ := do(t, c, cimxmlWho(s.cimxmlsURL(), "alice", "s3cret"))
	limited := time.Since(start)
	if code != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") != challenge {
		t.Fatalf("sixth attempt: %d", code)
	}
	if limited > fastest/2 {
		t.Errorf("the refused attempt took %v; a checked one at least %v", limited, fastest)
	}
	t.Logf("checked login ≥ %v, rate-limited refusal %v", fastest, limited)
	// WS-Man is limited as well: the limit is per user, not per protocol.
	if code, _, _ := do(t, c, wsmanWho(s.wsmansURL(), "alice", "s3cret")); code != http.StatusUnauthorized {
		t.Errorf("WS-Man while limited: %d", code)
	}
	logs := s.logs.String()
	if n := strings.Count(logs, `msg="authentication failed" user=alice`); n != 7 {
		t.Errorf("%d failures logged, want 7:\n%s", n, logs)
	}
	if !strings.Contains(logs, "rate limited for another") || !strings.Contains(logs, "source=tcp:127.0.0.1:") {
		t.Errorf("logs lack the reason or the source:\n%s", logs)
	}
}

// TestTLSCertificate checks the certificate made on first start (key
// mode 0600), that a client trusting it connects to both HTTPS
// listeners, and that a restart reuses it.
func TestTLSCertificate(t *testing.T) {
	dir := t.TempDir()
	s := runServer(t, func(o *Options) { o.DataDir = dir })
	key := filepath.Join(dir, "tls", security.SelfSignedKeyFile)
	fi, err := os.Stat(key)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key: %v %v", fi, err)
	}
	cert1, _ := os.ReadFile(filepath.Join(dir, "tls", security.SelfSignedCertFile))
	c := s.trustingClient(t)
	for _, url := range []string{s.cimxmlsURL(), s.wsmansURL()} {
		if code, _, _ := do(t, c, wsmanIdentify(strings.Replace(url, "/cimom", "/wsman", 1))); code != http.StatusOK {
			t.Errorf("%s: %d", url, code)
		}
	}
	if _, err := http.Get("https://" + s.TLSAddrs()[0].String() + "/readyz"); err == nil {
		t.Error("a client that does not trust the certificate connected")
	}
	if tc := s.TLSConfig(); tc == nil || tc.Certificates[0].Leaf == nil {
		t.Error("TLSConfig")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.Shutdown(ctx)

	s2 := runServer(t, func(o *Options) { o.DataDir = dir })
	cert2, _ := os.ReadFile(filepath.Join(dir, "tls", security.SelfSignedCertFile))
	if string(cert1) != string(cert2) {
		t.Error("the certificate was made again on restart")
	}
	if code, _, _ := do(t, s2.trustingClient(t), wsmanIdentify(s2.wsmansURL())); code != http.StatusOK {
		t.Errorf("after restart: %d", code)
	}
}

// TestClientCertificate checks login with a client certificate signed by
// the configured CA: the common name is the user, mapped through the
// password file; a certificate from another CA fails the handshake.
func TestClientCertificate(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCA(t, "gowbem test CA")
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	s := runServer(t, func(o *Options) { o.ClientCAFile = caFile })
	me, _ := user.Current()
	s.addUser(t, "carol", "", me.Username, 0)

	carol := s.trustingClient(t, newClientCert(t, ca, caKey, "carol"))
	out := whoOverCIMXML(t, s.cimxmlsURL(), cimxml.ClientOptions{HTTPClient: carol})
	if out.Value("ReturnValue").Text() != "carol" || out.Value("Method").Text() != "cert" ||
		out.Value("UID").Int64() != int64(os.Getuid()) || !out.Value("Remote").Bool() {
		t.Errorf("certificate identity:\n%s", out.MOF())
	}
	// A certificate user absent from the password file is unmapped.
	dave := s.trustingClient(t, newClientCert(t, ca, caKey, "dave"))
	out = whoOverCIMXML(t, s.cimxmlsURL(), cimxml.ClientOptions{HTTPClient: dave})
	if out.Value("ReturnValue").Text() != "dave" || out.Value("UID").Int64() != -1 {
		t.Errorf("unmapped certificate user:\n%s", out.MOF())
	}
	// carol has no password: Basic does not work for her.
	code, _, _ := do(t, s.trustingClient(t), cimxmlWho(s.cimxmlsURL(), "carol", "*"))
	if code != http.StatusUnauthorized {
		t.Errorf("Basic for a certificate-only user: %d", code)
	}
	// A certificate of another CA, presented even though the server's
	// list of acceptable CAs does not name its issuer, fails the
	// handshake.
	other, otherKey := newCA(t, "another CA")
	forged := newClientCert(t, other, otherKey, "carol")
	mallory := s.trustingClient(t)
	tc := mallory.Transport.(*http.Transport).TLSClientConfig
	tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &forged, nil }
	if resp, err := mallory.Do(cimxmlWho(s.cimxmlsURL(), "", "")); err == nil {
		resp.Body.Close()
		t.Errorf("a certificate of another CA: %s", resp.Status)
	}
}

func newCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

func newClientCert(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestUnixSocket checks that callers on the Unix socket are identified by
// their peer credentials, without a password, over CIM-XML, WS-Man and
// the native API; Basic credentials there are ignored.
func TestUnixSocket(t *testing.T) {
	s := runServer(t, nil)
	if s.UnixAddr() != filepath.Join(s.dir, SocketName) {
		t.Fatalf("UnixAddr %q", s.UnixAddr())
	}
	me, _ := user.Current()
	uc := s.unixClient()
	out := whoOverCIMXML(t, "http://wbemd/cimom", cimxml.ClientOptions{HTTPClient: uc, Username: "root", Password: "guess"})
	if out.Value("ReturnValue").Text() != me.Username || out.Value("UID").Int64() != int64(os.Getuid()) ||
		out.Value("Method").Text() != "peercred" || out.Value("Remote").Bool() ||
		out.Value("Admin").Bool() != (os.Getuid() == 0) || out.Value("Source").Text() != "unix:"+s.UnixAddr() {
		t.Errorf("CIM-XML over the socket:\n%s", out.MOF())
	}
	code, _, body := do(t, uc, wsmanWho("http://wbemd/wsman", "", ""))
	if code != http.StatusOK || !strings.Contains(body, ">"+me.Username+"<") || !strings.Contains(body, ">peercred<") {
		t.Errorf("WS-Man over the socket: %d\n%s", code, body)
	}
	nc, err := native.Dial(context.Background(), "ws://wbemd", &native.DialOptions{HTTPClient: uc})
	if err != nil {
		t.Fatalf("native over the socket: %v", err)
	}
	defer nc.Close()
	svc, err := nc.Services(context.Background(), "root/default")
	if err != nil {
		t.Fatal(err)
	}
	out, err = svc.ExecMethod(context.Background(), "Test_WhoAmI", "Who", nil, nil)
	if err != nil || out.Value("UID").Int64() != int64(os.Getuid()) || out.Value("Method").Text() != "peercred" {
		t.Fatalf("native Who over the socket: %v %v", out, err)
	}
	if out.Value("Remote").Bool() {
		// The native handler marks every identity remote; see the report
		// to its owner. The UID, which is what providers act on, is right.
		t.Log("native: the peer identity arrives with Remote=true")
	}
}

// TestListeners checks the listener options: "off", the accessors, and
// that New alone (the CLI's in-process use) creates no credentials.
func TestListeners(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tls", PasswordFileName, SocketName} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("New created %s: %v", name, err)
		}
	}
	ts := runServer(t, func(o *Options) {
		o.WSManAddr, o.WSManSAddr, o.UnixSocket = "off", "off", "off"
	})
	if len(ts.Addrs()) != 1 || len(ts.TLSAddrs()) != 1 || ts.UnixAddr() != "" {
		t.Errorf("addrs %v %v %q", ts.Addrs(), ts.TLSAddrs(), ts.UnixAddr())
	}
	if _, err := os.Stat(filepath.Join(ts.dir, SocketName)); !os.IsNotExist(err) {
		t.Errorf("socket with UnixSocket off: %v", err)
	}
	// The socket goes away with the server.
	u := runServer(t, nil)
	sock := u.UnixAddr()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = u.Shutdown(ctx)
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left after Shutdown: %v", err)
	}
}

// TestSlowClients checks the time limits: a slowloris client (headers
// byte by byte, slower than ReadHeaderTimeout) and a client that trickles
// its body are cut off while other clients keep being answered; idle
// keep-alive connections are closed; and a method call that takes longer
// than the read and write timeouts still completes.
func TestSlowClients(t *testing.T) {
	s := runServer(t, func(o *Options) {
		o.ReadHeaderTimeout = 300 * time.Millisecond
		o.ReadTimeout = 300 * time.Millisecond
		o.WriteTimeout = 300 * time.Millisecond
		o.IdleTimeout = 400 * time.Millisecond
		o.AllowBasicOverHTTP = true
	})
	s.addUser(t, "alice", "s3cret", "", 0)
	addr := s.Addrs()[0].String()

	// Two slow clients, measured from the start.
	type result struct {
		name string
		took time.Duration
		err  error
	}
	results := make(chan result, 2)
	slow := func(name string, prefix, trickle string) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			results <- result{name, 0, err}
			return
		}
		defer conn.Close()
		start := time.Now()
		if _, err := io.WriteString(conn, prefix); err != nil {
			results <- result{name, 0, err}
			return
		}
		for i := 0; ; i++ {
			b := trickle[i%len(trickle)]
			if _, err := conn.Write([]byte{b}); err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
			if time.Since(start) > 10*time.Second {
				results <- result{name, time.Since(start), fmt.Errorf("never cut off")}
				return
			}
			// The server may answer (408) before closing; a read with a
			// short deadline notices the close.
			_ = conn.SetReadDeadline(time.Now().Add(time.Millisecond))
			if _, err := conn.Read(make([]byte, 512)); err != nil && !isTimeout(err) {
				break
			}
		}
		results <- result{name, time.Since(start), nil}
	}
	go slow("headers", "POST /cimom HTTP/1.1\r\nHost: x\r\n", "X-Slow: aaaaaaaaaaaaaaaaaaaa\r\n")
	go slow("body", "POST /cimom HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nCIMOperation: MethodCall\r\n"+
		"CIMMethod: Who\r\nCIMObject: root%2Fdefault%3ATest_WhoAmI\r\nAuthorization: Basic YWxpY2U6czNjcmV0\r\nContent-Length: 100000\r\n\r\n", "<")

	// Meanwhile other clients are served.
	served := 0
	deadline := time.Now().Add(700 * time.Millisecond)
	for time.Now().Before(deadline) {
		code, _, _ := do(t, &http.Client{Timeout: 2 * time.Second}, cimxmlWho(s.cimxmlURL(), "alice", "s3cret"))
		if code != http.StatusOK {
			t.Fatalf("a normal client got %d", code)
		}
		served++
	}
	for range 2 {
		r := <-results
		if r.err != nil {
			t.Errorf("%s: %v", r.name, r.err)
		} else if r.took > 3*time.Second {
			t.Errorf("%s: cut off after %v", r.name, r.took)
		} else {
			t.Logf("%s client cut off after %v", r.name, r.took)
		}
	}
	t.Logf("%d normal requests served meanwhile", served)

	// An idle keep-alive connection is closed after IdleTimeout.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err == nil || isTimeout(err) {
		t.Errorf("idle connection: %v", err)
	} else if took := time.Since(start); took < 300*time.Millisecond || took > 2*time.Second {
		t.Errorf("idle connection closed after %v", took)
	}

	// A call that outlasts every HTTP timeout completes.
	c, err := cimxml.Dial(context.Background(), s.cimxmlURL(), cimxml.ClientOptions{Username: "alice", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	svc, err := c.Services(context.Background(), "root/default")
	if err != nil {
		t.Fatal(err)
	}
	in, err := sleepIn(svc, 900)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ExecMethod(context.Background(), "Test_WhoAmI", "Sleep", in, nil); err != nil {
		t.Errorf("a 900 ms call with 300 ms HTTP timeouts: %v", err)
	}
}

// sleepIn returns the in-parameters of Test_WhoAmI.Sleep.
func sleepIn(svc wbem.Services, ms uint32) (*cim.Instance, error) {
	c, err := svc.GetClass(context.Background(), "Test_WhoAmI")
	if err != nil {
		return nil, err
	}
	in := c.Method("Sleep").NewInParams()
	return in, in.Set("Milliseconds", cim.NewUint32(ms))
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
