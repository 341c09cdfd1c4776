package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// setSD sets the security descriptor of namespace ns (text form) through
// __SystemSecurity.SetSD, called by the main user (an administrator:
// mapped to the account running the tests, root here, or, over the Unix
// socket, the server's own account) on the Unix socket.
func setSD(t *testing.T, s *testServer, ns, sd string) {
	t.Helper()
	ctx := timeoutCtx(t, 20*time.Second)
	_, svc := s.connect(t, s.unixURL(), "", "", ns)
	c, err := svc.GetClass(ctx, "__SystemSecurity")
	if err != nil {
		t.Fatal(err)
	}
	in := c.Method("SetSD").NewInParams()
	if err := in.Set("SD", cim.NewString(sd)); err != nil {
		t.Fatal(err)
	}
	out, err := svc.ExecMethod(ctx, "__SystemSecurity=@", "SetSD", in, nil)
	if err != nil || out.Value("ReturnValue").Uint64() != 0 {
		t.Fatalf("SetSD on %s: %v %v", ns, out, err)
	}
}

// grantBob lets bob connect remotely to ns and execute methods there,
// keeping the administrators' full rights.
func grantBob(t *testing.T, s *testServer, ns string) {
	t.Helper()
	setSD(t, s, ns, "allow Administrators 0x6003F inherit\nallow user:bob Enable,MethodExecute,RemoteAccess\n")
}

// TestAuthorization checks namespace security end to end: bob, a
// non-administrator (mapped to "nobody") logging in remotely with Basic,
// is refused TestMeth.Echo in root/default under the default descriptors
// (administrators only), and still when granted Enable and RemoteAccess
// without MethodExecute (he may then read the class, not call its
// method): CIM_ERR_ACCESS_DENIED (2) over CIM-XML (raw and with
// wbemcli), the w:AccessDenied fault over WS-Man, WBEM_E_ACCESS_DENIED
// (0x80041003) over the native protocol. Granted MethodExecute, he is
// served on all three. The main user, an administrator, is served
// throughout.
func TestAuthorization(t *testing.T) {
	requireWbemcli(t)
	s := startServer(t, nil)
	addr := s.cimxmlAddr()
	echoURL := func(user, pass string) string {
		return "http://" + user + ":" + pass + "@" + addr + "/root/default:TestMeth"
	}
	check := func(t *testing.T, user, pass string, allowed, canRead bool) {
		t.Helper()
		// CIM-XML.
		r := post(t, s.cimxmlURL(), user, pass, cimxmlHeaders("Echo", "root/default:TestMeth"), strings.NewReader(cimxmlEcho("authz")))
		if allowed {
			if r.code != 200 || !strings.Contains(r.body, "<VALUE>authz</VALUE>") {
				t.Errorf("CIM-XML as %s: %d %s", user, r.code, r.body)
			}
		} else if r.code != 200 || !strings.Contains(r.body, `<ERROR CODE="2" DESCRIPTION="CIM_ERR_ACCESS_DENIED: `) {
			t.Errorf("CIM-XML as %s: %d %s, want CIM_ERR_ACCESS_DENIED", user, r.code, r.body)
		}
		// WS-Man.
		r = post(t, s.wsmanURL(), user, pass, map[string]string{"Content-Type": contentXML}, strings.NewReader(wsmanEcho(s.wsmanURL(), "authz")))
		if allowed {
			if r.code != 200 || !strings.Contains(r.body, ">authz</p:sOutArg>") {
				t.Errorf("WS-Man as %s: %d %s", user, r.code, r.body)
			}
		} else if r.code != http.StatusInternalServerError || !strings.Contains(r.body, "<s:Subcode><s:Value>w:AccessDenied</s:Value>") ||
			!strings.Contains(r.body, `<p:CIMStatusCode xsi:type="cim:cimUnsignedInt">2</p:CIMStatusCode>`) {
			t.Errorf("WS-Man as %s: %d %s, want the AccessDenied fault", user, r.code, r.body)
		}
		// Native.
		ws := mustDialWS(t, s, user, pass)
		ws.send(t, `{"op":"exec","id":1,"ns":"root/default","path":"TestMeth","method":"Echo","in":{"class":"__PARAMETERS","properties":{"sInArg":"authz"}}}`)
		m := ws.expect(t, 1, 10*time.Second)
		if allowed {
			if m["op"] != "object" || outValue(m, "sOutArg") != "authz" {
				t.Errorf("native as %s: %v", user, m)
			}
		} else if m["op"] != "complete" || msgHR(m) != 0x80041003 || msgHR(m) != uint32(status.WBEM_E_ACCESS_DENIED) {
			t.Errorf("native as %s: %v, want WBEM_E_ACCESS_DENIED", user, m)
		}
		// wbemcli: gc needs only to read; cm also to execute.
		out, code := runCmd(t, 30*time.Second, wbemcliPath, "gc", echoURL(user, pass))
		if canRead != (code == 0) || (!canRead && !strings.Contains(out, cimErr(status.CIM_ERR_ACCESS_DENIED))) {
			t.Errorf("wbemcli gc as %s: exit %d\n%s", user, code, out)
		}
		out, code = runCmd(t, 30*time.Second, wbemcliPath, "cm", echoURL(user, pass), "Echo.sInArg=authz")
		if allowed != (code == 0) || (!allowed && !strings.Contains(out, cimErr(status.CIM_ERR_ACCESS_DENIED))) {
			t.Errorf("wbemcli cm as %s: exit %d\n%s", user, code, out)
		}
	}

	t.Run("default descriptors", func(t *testing.T) {
		check(t, mainUser, mainPass, true, true)
		check(t, bobUser, bobPass, false, false)
	})
	t.Run("without MethodExecute", func(t *testing.T) {
		setSD(t, s, "root/default", "allow Administrators 0x6003F inherit\nallow user:bob Enable,RemoteAccess\n")
		check(t, mainUser, mainPass, true, true)
		check(t, bobUser, bobPass, false, true)
	})
	t.Run("with MethodExecute", func(t *testing.T) {
		grantBob(t, s, "root/default")
		check(t, mainUser, mainPass, true, true)
		check(t, bobUser, bobPass, true, true)
	})
	t.Run("deny", func(t *testing.T) {
		setSD(t, s, "root/default", "allow Administrators 0x6003F inherit\nallow user:bob Enable,MethodExecute,RemoteAccess\ndeny user:bob MethodExecute\n")
		check(t, bobUser, bobPass, false, true)
	})
}
