package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/client"
	"github.com/gowbem/gowbem/status"
)

// TestAuthentication checks every protocol's refusal of callers without
// credentials and with a wrong password (or an unknown user): HTTP 401
// with a Basic challenge for CIM-XML and WS-Management (over HTTP and
// HTTPS) and for the native protocol's WebSocket handshake, which the Go
// client reports as WBEM_E_ACCESS_DENIED. Anonymous WS-Man Identify is
// the one thing allowed. The right password works throughout: the
// failures (fewer than the rate limit's burst per user) lock nobody out.
func TestAuthentication(t *testing.T) {
	s := startServer(t, nil)
	leaf := s.TLSConfig().Certificates[0].Leaf
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	tlsClient := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}}}
	do := func(t *testing.T, c *http.Client, url, user, password string, header map[string]string, body string) response {
		t.Helper()
		return postWith(t, c, url, user, password, header, strings.NewReader(body))
	}

	https := func(addr string) string { return "https://" + addr }
	for _, p := range []struct {
		name   string
		c      *http.Client
		url    string
		header map[string]string
		body   string
		ok     string
	}{
		{"CIM-XML over HTTP", httpClient, s.cimxmlURL(), cimxmlHeaders("Echo", "root/default:TestMeth"), cimxmlEcho("auth"), "<VALUE>auth</VALUE>"},
		{"CIM-XML over HTTPS", tlsClient, https(s.cimxmlsAddr()) + "/cimom", cimxmlHeaders("Echo", "root/default:TestMeth"), cimxmlEcho("auth"), "<VALUE>auth</VALUE>"},
		{"WS-Man over HTTP", httpClient, s.wsmanURL(), map[string]string{"Content-Type": contentXML}, wsmanEcho(s.wsmanURL(), "auth"), ">auth</p:sOutArg>"},
		{"WS-Man over HTTPS", tlsClient, https(s.TLSAddrs()[1].String()) + "/wsman", map[string]string{"Content-Type": contentXML},
			wsmanEcho(https(s.TLSAddrs()[1].String())+"/wsman", "auth"), ">auth</p:sOutArg>"},
	} {
		t.Run(p.name, func(t *testing.T) {
			for _, cred := range []struct{ what, user, password string }{
				{"no credentials", "", ""},
				{"wrong password", mainUser, "wrong"},
			} {
				r := do(t, p.c, p.url, cred.user, cred.password, p.header, p.body)
				if r.code != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != `Basic realm="wbemd"` || strings.Contains(r.body, "auth<") {
					t.Errorf("%s: %d %q %q", cred.what, r.code, r.header.Get("WWW-Authenticate"), r.body)
				}
			}
			if r := do(t, p.c, p.url, mainUser, mainPass, p.header, p.body); r.code != http.StatusOK || !strings.Contains(r.body, p.ok) {
				t.Errorf("right password: %d %s", r.code, r.body)
			}
		})
	}

	t.Run("unknown user", func(t *testing.T) {
		r := do(t, httpClient, s.cimxmlURL(), "mallory", mainPass, cimxmlHeaders("Echo", "root/default:TestMeth"), cimxmlEcho("x"))
		if r.code != http.StatusUnauthorized {
			t.Errorf("%d %s", r.code, r.body)
		}
	})

	t.Run("WS-Man Identify", func(t *testing.T) {
		ident := `<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`
		r := do(t, httpClient, s.wsmanURL(), "", "", map[string]string{"Content-Type": contentXML}, ident)
		if r.code != http.StatusOK || !strings.Contains(r.body, "IdentifyResponse") || !strings.Contains(r.body, ">gowbem<") {
			t.Errorf("anonymous Identify: %d %s", r.code, r.body)
		}
	})

	t.Run("native handshake", func(t *testing.T) {
		if _, code, err := dialWS(t, s, "", ""); err == nil || code != http.StatusUnauthorized {
			t.Errorf("no credentials: %d %v", code, err)
		}
		if _, code, err := dialWS(t, s, bobUser, "wrong"); err == nil || code != http.StatusUnauthorized {
			t.Errorf("wrong password: %d %v", code, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, cred := range []*client.Credentials{nil, {User: bobUser, Password: "wrong"}} {
			conn, err := client.Connect(ctx, s.nativeURL(), cred)
			if err == nil {
				_ = conn.(interface{ Close() error }).Close()
			}
			if status.Code(err) != status.WBEM_E_ACCESS_DENIED {
				t.Errorf("client.Connect with %v: %v, want WBEM_E_ACCESS_DENIED", cred, err)
			}
		}
		// The right passwords. (Bob may log in, but under the default
		// namespace security he may not use root/default remotely: see
		// TestAuthorization.)
		mustDialWS(t, s, bobUser, bobPass)
		c := mustDialWS(t, s, mainUser, mainPass)
		c.send(t, `{"op":"execMethod","id":1,"ns":"root/default","path":"TestMeth","method":"Echo","in":{"class":"__PARAMETERS","properties":{"sInArg":"main"}}}`)
		if m := c.expect(t, 1, 10*time.Second); m["op"] != "result" {
			t.Errorf("Echo: %v", m)
		}
	})

	// Nobody was locked out by the failures above.
	t.Run("still open", func(t *testing.T) {
		r := do(t, httpClient, s.cimxmlURL(), mainUser, mainPass, cimxmlHeaders("Echo", "root/default:TestMeth"), cimxmlEcho("after"))
		if r.code != http.StatusOK || !strings.Contains(r.body, "<VALUE>after</VALUE>") {
			t.Errorf("%d %s", r.code, r.body)
		}
	})
}
