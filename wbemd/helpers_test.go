package wbemd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"github.com/gowbem/gowbem/cimtest"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/testsupport"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
)

// whoMOF declares Test_WhoAmI in root/default, where the built-in TestMeth
// module has compiled the standard qualifiers. Who returns the caller as
// the engine hands it to providers; Sleep takes its time (for the
// timeout tests).
const whoMOF = `
instance of __Win32Provider as $P
{
    Name  = "GowbemTestWhoAmI";
    CLSID = "{6B1F2A57-3C52-4D0E-9F57-6A3B7E3C2F11}";
    HostingModel = "NetworkServiceHostOrSelfHost";
};

instance of __MethodProviderRegistration
{
    Provider = $P;
};

    [Provider ("GowbemTestWhoAmI")]
class Test_WhoAmI
{
        [Static, Implemented]
    string Who([Out] sint32 UID, [Out] string Method, [Out] boolean Remote,
        [Out] boolean Admin, [Out] string Source);
        [Static, Implemented]
    uint32 Sleep([In] uint32 Milliseconds);
};
`

var whoModule = provider.Module{
	Name: "GowbemTestWhoAmI", Namespace: "root/default", MOFName: "whoami.mof", MOF: []byte(whoMOF),
	New: func() (any, error) {
		return provider.Returning(func(ctx context.Context, call *provider.Call) (*cim.Instance, error) {
			out, err := call.NewOut()
			if err != nil {
				return nil, err
			}
			switch strings.ToLower(call.Method.Name) {
			case "who":
				id := call.Caller
				for name, v := range map[string]cim.Value{
					cim.ReturnValueName: cim.NewString(id.User), "UID": cim.NewSint32(int32(id.UID)),
					"Method": cim.NewString(id.Method), "Remote": cim.NewBool(id.Remote),
					"Admin": cim.NewBool(id.Admin), "Source": cim.NewString(id.Source),
				} {
					if err := out.Set(name, v); err != nil {
						return nil, err
					}
				}
			case "sleep":
				select {
				case <-time.After(time.Duration(call.Arg("Milliseconds").Int64()) * time.Millisecond):
				case <-ctx.Done():
					return nil, status.New(status.WBEM_E_CALL_CANCELLED, "cancelled: %v", ctx.Err())
				}
				if err := out.Set(cim.ReturnValueName, cim.NewUint32(0)); err != nil {
					return nil, err
				}
			}
			return out, nil
		}), nil
	},
}

// logBuffer collects a server's logs.
type logBuffer = cimtest.LogBuffer

// testServer is a running Server with its logs.
type testServer struct {
	*Server
	logs *logBuffer
	dir  string
}

// runServer starts a server on free loopback ports with a fresh data
// directory (unless mod sets one) and stops it when the test ends.
func runServer(t *testing.T, mod func(*Options)) *testServer {
	t.Helper()
	logs := &logBuffer{}
	opts := Options{
		DataDir: t.TempDir(), CIMXMLAddr: "127.0.0.1:0", WSManAddr: "127.0.0.1:0",
		CIMXMLSAddr: "127.0.0.1:0", WSManSAddr: "127.0.0.1:0",
		Modules: append(providers.BuiltIn(), whoModule),
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		// These tests are about authentication and transports: every
		// authenticated caller may do everything. Namespace rights are
		// tested in security, engine and e2e.
		Authorizer: allowAll,
	}
	if mod != nil {
		mod(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Listen(); err != nil {
		_ = s.Shutdown(context.Background())
		t.Fatalf("Listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if !s.Ready() {
			return errNotYet
		}
		return nil
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &testServer{Server: s, logs: logs, dir: opts.DataDir}
}

type notYet struct{}

func (notYet) Error() string { return "not yet" }

var errNotYet error = notYet{}

// checkFor polls f every interval until it returns nil, failing the test
// after timeout.
func checkFor(t *testing.T, timeout, interval time.Duration, f func() error) {
	t.Helper()
	cimtest.CheckFor(t, timeout, interval, f)
}

// addUser adds a user to the server's password file (cheap hashes unless
// cost says otherwise).
func (s *testServer) addUser(t *testing.T, name, password, account string, cost int) {
	t.Helper()
	testsupport.AddUsers(t, filepath.Join(s.dir, PasswordFileName), cost,
		testsupport.User{Name: name, Password: password, Account: account})
}

// trustingClient returns an HTTP client that trusts the server's
// certificate (and presents certs, when given).
func (s *testServer) trustingClient(t *testing.T, certs ...tls.Certificate) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(s.dir, "tls", security.SelfSignedCertFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate")
	}
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs}},
		Timeout:   30 * time.Second,
	}
}

// unixClient returns an HTTP client whose connections go to the server's
// Unix socket.
func (s *testServer) unixClient() *http.Client {
	path := s.UnixAddr()
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}, Timeout: 30 * time.Second}
}

// The URLs of the listeners.
func (s *testServer) cimxmlURL() string  { return "http://" + s.Addrs()[0].String() + "/cimom" }
func (s *testServer) wsmanURL() string   { return "http://" + s.Addrs()[1].String() + "/wsman" }
func (s *testServer) cimxmlsURL() string { return "https://" + s.TLSAddrs()[0].String() + "/cimom" }
func (s *testServer) wsmansURL() string  { return "https://" + s.TLSAddrs()[1].String() + "/wsman" }

// cimxmlWho is a CIM-XML request for Test_WhoAmI.Who.
func cimxmlWho(url, user, password string) *http.Request {
	body := `<?xml version="1.0" encoding="utf-8"?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ>
<METHODCALL NAME="Who"><LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="default"/></LOCALNAMESPACEPATH><CLASSNAME NAME="Test_WhoAmI"/></LOCALCLASSPATH></METHODCALL>
</SIMPLEREQ></MESSAGE></CIM>`
	r, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	r.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	r.Header.Set("CIMOperation", "MethodCall")
	r.Header.Set("CIMMethod", "Who")
	r.Header.Set("CIMObject", "root%2Fdefault%3ATest_WhoAmI")
	if user != "" {
		r.SetBasicAuth(user, password)
	}
	return r
}

// wsmanWho is a WS-Management request for Test_WhoAmI.Who.
func wsmanWho(url, user, password string) *http.Request {
	const res = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/default/Test_WhoAmI"
	body := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">
<s:Header><a:To>` + url + `</a:To><w:ResourceURI s:mustUnderstand="true">` + res + `</w:ResourceURI>
<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>
<a:Action s:mustUnderstand="true">` + res + `/Who</a:Action><a:MessageID>uuid:00000000-0000-0000-0000-000000000001</a:MessageID></s:Header>
<s:Body><p:Who_INPUT xmlns:p="` + res + `"/></s:Body></s:Envelope>`
	r, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	if user != "" {
		r.SetBasicAuth(user, password)
	}
	return r
}

// wsmanIdentify is an anonymous WS-Management Identify.
func wsmanIdentify(url string) *http.Request {
	body := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`
	r, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	return r
}

// do sends r and returns the status, the headers and the body.
func do(t *testing.T, c *http.Client, r *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// whoOverCIMXML calls Test_WhoAmI.Who with the CIM-XML client and returns
// the out-parameters.
func whoOverCIMXML(t *testing.T, url string, opts cimxml.ClientOptions) *cim.Instance {
	t.Helper()
	ctx := context.Background()
	c, err := cimxml.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	svc, err := c.Services(ctx, "root/default")
	if err != nil {
		t.Fatal(err)
	}
	out, err := svc.ExecMethod(ctx, "Test_WhoAmI", "Who", nil, nil)
	if err != nil {
		t.Fatalf("Who over CIM-XML: %v", err)
	}
	return out
}

// allowAll grants every right to every caller.
var allowAll = security.AuthorizerFunc(func(context.Context, *security.Identity, string, security.Rights) error { return nil })
