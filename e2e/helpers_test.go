package e2e

import (
	"context"
	"errors"
	"fmt"
	"github.com/gowbem/gowbem/cimtest"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/client"
	"github.com/gowbem/gowbem/internal/testsupport"
	"github.com/gowbem/gowbem/providers"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wbemd"
)

// The users of every test server's password file. The main user is
// mapped to the account running the tests (so that Win32_Process.Create
// may start processes as it); bob is a second login, mapped to "nobody"
// when that account exists.
const (
	mainUser = "e2e"
	mainPass = "e2e-Secret-1"
	bobUser  = "bob"
	bobPass  = "bob-Secret-2"
)

// Paths of the external clients. Debian's python3 is the one that sees
// python3-winrm (the python3 first on PATH may be another build).
const (
	wbemcliPath  = "/usr/bin/wbemcli"
	systemPython = "/usr/bin/python3"
)

// logBuffer collects a server's logs (safe for concurrent writes).
type logBuffer = cimtest.LogBuffer

// testServer is a running wbemd with its data directory and logs.
type testServer struct {
	*wbemd.Server
	dir  string
	logs *logBuffer
}

// startServer starts a real wbemd in-process: every listener on a free
// loopback port (CIM-XML and WS-Man over HTTP and HTTPS, the Unix socket
// in a fresh data directory), a password file with mainUser and bobUser,
// Basic allowed over plain HTTP from loopback, and the built-in providers
// plus the E2E_Probe module. mod may change the options. The server is
// shut down when the test ends; its logs are printed if the test failed.
func startServer(t *testing.T, mod func(*wbemd.Options)) *testServer {
	t.Helper()
	dir := t.TempDir()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	bobAccount := ""
	if _, err := user.Lookup("nobody"); err == nil {
		bobAccount = "nobody"
	}
	testsupport.AddUsers(t, filepath.Join(dir, wbemd.PasswordFileName), 0,
		testsupport.User{Name: mainUser, Password: mainPass, Account: me.Username},
		testsupport.User{Name: bobUser, Password: bobPass, Account: bobAccount})
	logs := &logBuffer{}
	opts := wbemd.Options{
		DataDir:     dir,
		CIMXMLAddr:  "127.0.0.1:0",
		WSManAddr:   "127.0.0.1:0",
		CIMXMLSAddr: "127.0.0.1:0",
		WSManSAddr:  "127.0.0.1:0",
		// Basic over plain HTTP is accepted from loopback only; every
		// client here is on loopback.
		AllowBasicOverHTTP: true,
		Modules:            append(providers.BuiltIn(), probeModule),
		Logger:             slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	if mod != nil {
		mod(&opts)
	}
	s, err := wbemd.New(opts)
	if err != nil {
		t.Fatalf("wbemd.New: %v", err)
	}
	if err := s.Listen(); err != nil {
		_ = s.Shutdown(context.Background())
		t.Fatalf("Listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if !s.Ready() {
			return errors.New("not ready")
		}
		return nil
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return after Shutdown")
		}
		if t.Failed() {
			l := logs.String()
			if len(l) > 16<<10 {
				l = "…" + l[len(l)-16<<10:]
			}
			t.Logf("server logs:\n%s", l)
		}
	})
	return &testServer{Server: s, dir: dir, logs: logs}
}

// checkFor polls f every interval until it returns nil, failing the test
// after timeout.
func checkFor(t *testing.T, timeout, interval time.Duration, f func() error) {
	t.Helper()
	cimtest.CheckFor(t, timeout, interval, f)
}

// Addresses of the listeners.
func (s *testServer) cimxmlAddr() string  { return s.Addrs()[0].String() }
func (s *testServer) wsmanAddr() string   { return s.Addrs()[1].String() }
func (s *testServer) cimxmlsAddr() string { return s.TLSAddrs()[0].String() }

// cimxmlURL is the CIM-XML endpoint over plain HTTP.
func (s *testServer) cimxmlURL() string { return "http://" + s.cimxmlAddr() + "/cimom" }

// wsmanURL is the WS-Management endpoint over plain HTTP.
func (s *testServer) wsmanURL() string { return "http://" + s.wsmanAddr() + "/wsman" }

// nativeURL is the wbem:// URL of the native protocol on the CIM-XML
// port.
func (s *testServer) nativeURL() string { return "wbem://" + s.cimxmlAddr() }

// unixURL is the wbem+unix:// URL of the native protocol on the Unix
// socket.
func (s *testServer) unixURL() string { return "wbem+unix://" + s.UnixAddr() }

// connect opens a native connection as user (over TCP with Basic) and
// returns the services of ns; both are closed when the test ends.
func (s *testServer) connect(t *testing.T, rawURL, user, password, ns string) (wbem.Connector, wbem.Services) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cred *client.Credentials
	if user != "" {
		cred = &client.Credentials{User: user, Password: password}
	}
	conn, err := client.Connect(ctx, rawURL, cred)
	if err != nil {
		t.Fatalf("connecting to %s as %q: %v", rawURL, user, err)
	}
	t.Cleanup(func() { _ = conn.(io.Closer).Close() })
	svc, err := conn.Services(ctx, ns)
	if err != nil {
		t.Fatalf("opening %s at %s: %v", ns, rawURL, err)
	}
	return conn, svc
}

// timeoutCtx returns a context that ends after d or with the test.
func timeoutCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// httpClient is a plain HTTP client with a time bound for the raw
// requests of the tests.
var httpClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}}

// response is a raw HTTP answer.
type response struct {
	code   int
	header http.Header
	body   string
}

// post sends body to url with the given headers (Basic credentials when
// user is not empty) and returns the answer.
func post(t *testing.T, url, user, password string, header map[string]string, body io.Reader) response {
	t.Helper()
	return postWith(t, httpClient, url, user, password, header, body)
}

// postWith is post with HTTP client c.
func postWith(t *testing.T, c *http.Client, url, user, password string, header map[string]string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return response{resp.StatusCode, resp.Header, string(b)}
}

// cimxmlHeaders are the headers of a CIM-XML extrinsic call of method on
// object (as wbemcli sends them: the object percent-encoded).
func cimxmlHeaders(method, object string) map[string]string {
	return map[string]string{
		"Content-Type":       `application/xml; charset="utf-8"`,
		"CIMProtocolVersion": "1.0",
		"CIMOperation":       "MethodCall",
		"CIMMethod":          method,
		"CIMObject":          strings.NewReplacer("/", "%2F", ":", "%3A").Replace(object),
	}
}

// cimxmlCall is the body of a CIM-XML extrinsic call of method on the
// class path ns:class, with raw PARAMVALUE elements.
func cimxmlCall(ns, class, method, params string) string {
	var nsx strings.Builder
	for _, seg := range strings.Split(ns, "/") {
		fmt.Fprintf(&nsx, `<NAMESPACE NAME="%s"/>`, seg)
	}
	return `<?xml version="1.0" encoding="utf-8"?>` +
		`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
		`<METHODCALL NAME="` + method + `"><LOCALCLASSPATH><LOCALNAMESPACEPATH>` + nsx.String() +
		`</LOCALNAMESPACEPATH><CLASSNAME NAME="` + class + `"/></LOCALCLASSPATH>` + params +
		`</METHODCALL></SIMPLEREQ></MESSAGE></CIM>`
}

// cimxmlEcho is a CIM-XML call of TestMeth.Echo(sInArg=value), value
// already XML-escaped.
func cimxmlEcho(value string) string {
	return cimxmlCall("root/default", "TestMeth", "Echo", `<PARAMVALUE NAME="sInArg"><VALUE>`+value+`</VALUE></PARAMVALUE>`)
}

// WS-Management namespaces and URIs.
const (
	nsSOAP     = "http://www.w3.org/2003/05/soap-envelope"
	nsAddr     = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSMan    = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	anonymous  = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	wmiPrefix  = "http://schemas.microsoft.com/wbem/wsman/1/wmi/"
	contentXML = "application/soap+xml;charset=UTF-8"
)

// resourceURI is the WMI-style resource URI of ns:class.
func resourceURI(ns, class string) string { return wmiPrefix + ns + "/" + class }

// wsmanInvoke is a WS-Management envelope invoking method on the
// resource uri with raw body children and optional selectors.
func wsmanInvoke(to, uri, method, children string, selectors map[string]string) string {
	var sels strings.Builder
	if len(selectors) > 0 {
		sels.WriteString("<w:SelectorSet>")
		for k, v := range selectors {
			fmt.Fprintf(&sels, `<w:Selector Name="%s">%s</w:Selector>`, k, v)
		}
		sels.WriteString("</w:SelectorSet>")
	}
	return `<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:a="` + nsAddr + `" xmlns:w="` + nsWSMan + `">` +
		`<s:Header><a:To>` + to + `</a:To><w:ResourceURI s:mustUnderstand="true">` + uri + `</w:ResourceURI>` +
		`<a:ReplyTo><a:Address s:mustUnderstand="true">` + anonymous + `</a:Address></a:ReplyTo>` +
		`<a:Action s:mustUnderstand="true">` + uri + "/" + method + `</a:Action>` +
		`<a:MessageID>uuid:6A1B0D2E-1111-4C3D-9E8F-000000000001</a:MessageID>` +
		`<w:OperationTimeout>PT30S</w:OperationTimeout>` + sels.String() + `</s:Header>` +
		`<s:Body><p:` + method + `_INPUT xmlns:p="` + uri + `">` + children + `</p:` + method + `_INPUT></s:Body></s:Envelope>`
}

// wsmanEcho is a WS-Management invocation of TestMeth.Echo.
func wsmanEcho(to, value string) string {
	return wsmanInvoke(to, resourceURI("root/default", "TestMeth"), "Echo", "<p:sInArg>"+value+"</p:sInArg>", nil)
}

// runCmd runs a program with a time bound and returns its combined
// output and exit code (-1 when it could not run or was killed).
func runCmd(t *testing.T, timeout time.Duration, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case ctx.Err() != nil:
		t.Fatalf("%s %s: no answer within %v\n%s", name, strings.Join(args, " "), timeout, out)
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	return "", -1
}

// requireWbemcli fails the test when sblim-wbemcli is not installed.
func requireWbemcli(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(wbemcliPath); err != nil {
		t.Fatalf("sblim-wbemcli is required for this test (apt-get install sblim-wbemcli): %v", err)
	}
}

// requireWinRM fails the test when Debian's python3 or its winrm module
// is missing.
func requireWinRM(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(systemPython); err != nil {
		t.Fatalf("%s is required for this test (apt-get install python3-winrm): %v", systemPython, err)
	}
	if out, code := runCmd(t, 30*time.Second, systemPython, "-c", "import winrm"); code != 0 {
		t.Fatalf("the winrm module is required for this test (apt-get install python3-winrm): exit %d\n%s", code, out)
	}
}

// echoIn returns the in-parameters of TestMeth.Echo.
func echoIn(ctx context.Context, svc wbem.Services, arg string) (*cim.Instance, error) {
	c, err := svc.GetClass(ctx, "TestMeth")
	if err != nil {
		return nil, err
	}
	in := c.Method("Echo").NewInParams()
	return in, in.Set("sInArg", cim.NewString(arg))
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
