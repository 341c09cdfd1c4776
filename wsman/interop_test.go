package wsman

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// systemPython is Debian's interpreter, the one that sees python3-winrm
// (the python3 first on PATH may be another build).
const systemPython = "/usr/bin/python3"

// winrmResult is what testdata/winrm_client.py prints.
type winrmResult struct {
	Version  string `json:"winrm_version"`
	Identify map[string]string
	Get      struct {
		Relates bool
		Action  string
		Tag     string
		Props   map[string]*string
	}
	Enumerate struct {
		IDs   []string `json:"ids"`
		Pulls int
	}
	Invoke struct {
		Relates bool
		Action  string
		Tag     string
		Props   map[string]*string
	}
	Fault struct {
		Raised        bool
		Type, Message string
	}
	BadPassword struct {
		Raised        bool
		Type, Message string
	} `json:"bad_password"`
}

// runWinRM runs the pywinrm script against endpoint. It fails the test
// (never skips) when Debian's python3 or its winrm module is missing.
func runWinRM(t *testing.T, endpoint, widgetURI, echoURI string) winrmResult {
	t.Helper()
	if _, err := os.Stat(systemPython); err != nil {
		t.Fatalf("%s is missing (apt-get install python3-winrm): %v", systemPython, err)
	}
	if out, err := exec.Command(systemPython, "-c", "import winrm").CombinedOutput(); err != nil {
		t.Fatalf("the winrm module is missing (apt-get install python3-winrm): %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, systemPython, "testdata/winrm_client.py", endpoint, testUser, testPassword, widgetURI, echoURI)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("winrm_client.py: %v\n%s", err, stderr.String())
	}
	var r winrmResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("winrm_client.py printed %q: %v", out, err)
	}
	t.Logf("pywinrm %s", r.Version)
	return r
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// checkWinRM checks the results of the script; widgetIDs are the ids
// the enumeration of TST_Widget must return.
func checkWinRM(t *testing.T, r winrmResult, widgetURI, echoURI string, widgetIDs []string) {
	t.Helper()
	if r.Identify["ProtocolVersion"] != uriWSMan || r.Identify["ProductVendor"] != "gowbem" {
		t.Errorf("Identify: %v", r.Identify)
	}
	if !r.Get.Relates || r.Get.Action != ActionGetResponse || r.Get.Tag != "{"+widgetURI+"}TST_Widget" ||
		str(r.Get.Props["Id"]) != "w1" || str(r.Get.Props["Size"]) == "<nil>" {
		t.Errorf("Get: %+v", r.Get)
	}
	if strings.Join(r.Enumerate.IDs, ",") != strings.Join(widgetIDs, ",") || r.Enumerate.Pulls < 2 {
		t.Errorf("Enumerate: %+v", r.Enumerate)
	}
	if !r.Invoke.Relates || r.Invoke.Action != echoURI+"/EchoResponse" || r.Invoke.Tag != "{"+echoURI+"}Echo_OUTPUT" ||
		str(r.Invoke.Props["sOutArg"]) != "hello from pywinrm & co" || str(r.Invoke.Props["ReturnValue"]) != "0" {
		t.Errorf("Invoke: %+v", r.Invoke)
	}
	if !r.Fault.Raised || r.Fault.Type != "WinRMError" ||
		!strings.Contains(r.Fault.Message, "'fault_subcode': 'w:InvalidParameter'") ||
		!strings.Contains(r.Fault.Message, "'fault_code': 's:Sender'") ||
		!strings.Contains(r.Fault.Message, "'http_status_code': 500") ||
		!strings.Contains(r.Fault.Message, "'wsmanfault_code': '2147749896'") ||
		!strings.Contains(r.Fault.Message, "CIM_ERR_INVALID_PARAMETER") {
		t.Errorf("fault: %+v", r.Fault)
	}
	if !r.BadPassword.Raised || r.BadPassword.Type != "InvalidCredentialsError" {
		t.Errorf("bad password: %+v", r.BadPassword)
	}
}

// TestInteropPywinrm drives the handler with Debian's python3-winrm over
// plain HTTP on the loopback interface: Identify, Get, Enumerate and Pull,
// a method invocation, a fault and a wrong password.
func TestInteropPywinrm(t *testing.T) {
	h, _ := newTestHandler(t, func(o *HandlerOptions) { o.Authenticate = basicAuth })
	h.newMessageID = randomMessageID
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/wsman" {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	srv.Start()
	defer srv.Close()
	widget, echo := testURI("TST_Widget"), testURI("TestMeth")
	r := runWinRM(t, srv.URL+"/wsman", widget, echo)
	checkWinRM(t, r, widget, echo, []string{"w1", "w2", "w3"})
	if r.Identify["ProductVersion"] != "1.2.3" {
		t.Errorf("Identify: %v", r.Identify)
	}
}
