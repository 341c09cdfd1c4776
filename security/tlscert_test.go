package security

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// TestEnsureSelfSigned checks the certificate made on first start: key
// mode 0600, the loopback names, reuse on the next start, and a client
// that trusts it connects.
func TestEnsureSelfSigned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	certFile, keyFile, err := EnsureSelfSigned(dir, []string{"wbem.example", "192.0.2.9"})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	pem1, _ := os.ReadFile(certFile)
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf := pair.Leaf
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "wbem.example", "192.0.2.9"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("host %s: %v", h, err)
		}
	}
	if leaf.IsCA {
		t.Error("the self-signed certificate must not be a CA")
	}

	// The second start reuses the pair.
	c2, k2, err := EnsureSelfSigned(dir, nil)
	if err != nil || c2 != certFile || k2 != keyFile {
		t.Fatalf("second call: %s %s %v", c2, k2, err)
	}
	pem2, _ := os.ReadFile(certFile)
	if !bytes.Equal(pem1, pem2) {
		t.Error("the certificate was made again")
	}

	// A client that trusts the certificate connects.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem1)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("trusting client: %v", err)
	}
	resp.Body.Close()
	// One that does not is refused.
	if _, err := http.Get(srv.URL); err == nil {
		t.Error("untrusting client connected")
	}

	// A readable key is refused, and so is a broken pair.
	must(t, os.Chmod(keyFile, 0o644))
	var pe *PermissionError
	if _, _, err := EnsureSelfSigned(dir, nil); !errors.As(err, &pe) {
		t.Errorf("readable key: %v", err)
	}
	must(t, os.Chmod(keyFile, 0o600))
	must(t, os.WriteFile(certFile, []byte("junk"), 0o644))
	if _, _, err := EnsureSelfSigned(dir, nil); err == nil {
		t.Error("broken certificate accepted")
	}
	// A missing half makes a new pair.
	must(t, os.Remove(certFile))
	if _, _, err := EnsureSelfSigned(dir, nil); err != nil {
		t.Errorf("missing certificate: %v", err)
	}
}
