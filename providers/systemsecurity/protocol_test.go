package systemsecurity_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wsman"
)

// protocolServer serves CIM-XML at /cimom and WS-Management at /wsman
// over v's engine. The Basic user name picks the identity (no password
// check): "alice" is alice, anything else the administrator, both remote
// as over a real network.
func protocolServer(t *testing.T, v *env) *httptest.Server {
	t.Helper()
	authn := func(r *http.Request) (*security.Identity, error) {
		user, _, _ := r.BasicAuth()
		id := *admin
		if user == "alice" {
			id = *alice
		}
		id.Remote, id.Method, id.Source = true, "basic", "tcp:"+r.RemoteAddr
		return &id, nil
	}
	mux := http.NewServeMux()
	mux.Handle("/cimom", cimxml.NewHandler(cimxml.HandlerOptions{Connector: v.eng, Authenticate: authn}))
	mux.Handle("/wsman", wsman.NewHandler(wsman.HandlerOptions{Connector: v.eng, Authenticate: authn}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// echoRequest is the CIM-XML request of TestMeth.Echo("hello") in
// root/default (as wbemcli sends it).
const echoRequest = `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0">
<MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ><METHODCALL NAME="Echo"><LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="default"/></LOCALNAMESPACEPATH><CLASSNAME NAME="TestMeth"/></LOCALCLASSPATH><PARAMVALUE NAME="sInArg"><VALUE>hello</VALUE></PARAMVALUE></METHODCALL></SIMPLEREQ>
</MESSAGE></CIM>`

func postEcho(t *testing.T, url, user string) string {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/cimom", strings.NewReader(echoRequest))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, "x")
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	req.Header.Set("CIMOperation", "MethodCall")
	req.Header.Set("CIMMethod", "Echo")
	req.Header.Set("CIMObject", "root%2Fdefault%3ATestMeth")
	req.Header.Set("CIMProtocolVersion", "1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, body)
	}
	return string(body)
}

// TestProtocols: a caller with Enable but without MethodExecute gets
// CIM_ERR_ACCESS_DENIED (CODE="2") over CIM-XML and the w:AccessDenied
// fault over WS-Management; after a grant through SetSD both work.
func TestProtocols(t *testing.T) {
	v := newEnv(t)
	srv := protocolServer(t, v)
	base := "allow Administrators 0x6003F inherit\n"
	// Over the network alice needs RemoteAccess too.
	if err := v.setSD(admin, "root/default", base+"allow user:alice Enable,RemoteAccess"); err != nil {
		t.Fatal(err)
	}

	body := postEcho(t, srv.URL, "alice")
	if !strings.Contains(body, `<ERROR CODE="2"`) {
		t.Errorf("CIM-XML answer without CODE=\"2\":\n%s", body)
	}
	ws, err := wsman.Dial(srv.URL+"/wsman", wsman.ClientOptions{User: "alice", Password: "x"})
	if err != nil {
		t.Fatal(err)
	}
	uri := wsman.ResourceURI("root/default", "TestMeth")
	_, err = ws.Invoke(context.Background(), uri, "Echo", nil, map[string]any{"sInArg": "hello"})
	var f *wsman.Fault
	if !errors.As(err, &f) || f.Subcode != wsman.SubcodeAccessDenied || f.Code != "Sender" {
		t.Errorf("WS-Man fault %#v (%v), want Sender / %s", f, err, wsman.SubcodeAccessDenied)
	}
	if status.CIMCode(err) != status.CIM_ERR_ACCESS_DENIED {
		t.Errorf("WS-Man fault maps to %v", status.CIMCode(err))
	}

	if err := v.setSD(admin, "root/default", base+"allow user:alice Enable,MethodExecute,RemoteAccess"); err != nil {
		t.Fatal(err)
	}
	if body := postEcho(t, srv.URL, "alice"); strings.Contains(body, "<ERROR") || !strings.Contains(body, "hello") {
		t.Errorf("CIM-XML after the grant:\n%s", body)
	}
	if _, err := ws.Invoke(context.Background(), uri, "Echo", nil, map[string]any{"sInArg": "hello"}); err != nil {
		t.Fatalf("WS-Man after the grant: %v", err)
	}
	// Without RemoteAccess, Enable and MethodExecute are not enough
	// over the network.
	if err := v.setSD(admin, "root/default", base+"allow user:alice Enable,MethodExecute"); err != nil {
		t.Fatal(err)
	}
	if body := postEcho(t, srv.URL, "alice"); !strings.Contains(body, `<ERROR CODE="2"`) {
		t.Errorf("CIM-XML without RemoteAccess:\n%s", body)
	}
}
