package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// winrmReply is what the script reports about one answer.
type winrmReply struct {
	Relates bool
	Action  string
	Tag     string
	Props   map[string]*string
}

// winrmFault is what the script reports about one failed request.
type winrmFault struct {
	Raised     bool
	Type       string
	Message    string
	HTTPStatus int    `json:"http_status"`
	CIMStatus  string `json:"cim_status"`
	Subcode    string
}

// winrmResult is the JSON object testdata/winrm_e2e.py prints.
type winrmResult struct {
	Version         string `json:"winrm_version"`
	Identify        map[string]*string
	AnonymousInvoke winrmFault `json:"anonymous_invoke"`
	Get             winrmReply
	Enumerate       struct {
		IDs   []string `json:"ids"`
		Pulls int
	}
	Create       winrmReply
	Resize       winrmReply
	GetAfter     winrmReply `json:"get_after"`
	FaultFail6   winrmFault `json:"fault_fail6"`
	FaultResize  winrmFault `json:"fault_resize"`
	FaultMissing winrmFault `json:"fault_missing"`
	Denied       winrmFault
	BadPassword  winrmFault `json:"bad_password"`
}

func (r winrmReply) prop(name string) string {
	if p := r.Props[name]; p != nil {
		return *p
	}
	return "<nil>"
}

// TestWinRM drives wbemd's WS-Management endpoint with Debian's
// python3-winrm (pywinrm 0.3): anonymous Identify, Get and Enumerate of
// TST_Widget, Win32_Process.Create and TST_Widget.Resize, faults with
// their CIM status (a user without rights included), and refused
// credentials.
//
// What pywinrm cannot do: it has no CIM or WS-Transfer API at all (only
// the remote shell), so the script writes the envelopes itself; it
// requires a user name even for Identify (the script removes the
// session's credentials to send it anonymously); and its WinRMError
// carries only the fault's reason, code, subcode and WSManFault code,
// not the CIM_Error detail (the script reads that from the transport
// error the WinRMError was raised from).
func TestWinRM(t *testing.T) {
	requireWinRM(t)
	s := startServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, systemPython, "testdata/winrm_e2e.py", s.wsmanURL(), mainUser, mainPass, bobUser, bobPass)
	cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
	cmd.WaitDelay = time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("winrm_e2e.py: %v\n%s", err, stderr.String())
	}
	var r winrmResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("winrm_e2e.py printed %q: %v", out, err)
	}
	t.Logf("pywinrm %s", r.Version)
	defer func() {
		if t.Failed() {
			t.Logf("winrm_e2e.py printed:\n%s", out)
		}
	}()

	widget := resourceURI("root/test", "TST_Widget")
	process := resourceURI("root/cimv2", "Win32_Process")

	if r.Identify == nil || r.Identify["ProductVendor"] == nil || *r.Identify["ProductVendor"] != "gowbem" ||
		r.Identify["ProtocolVersion"] == nil || *r.Identify["ProtocolVersion"] != nsWSMan {
		t.Errorf("anonymous Identify: %v", r.Identify)
	}
	if _, ok := r.Identify["ProductVersion"]; ok {
		t.Errorf("anonymous Identify tells the product version: %v", r.Identify)
	}
	if !r.AnonymousInvoke.Raised || r.AnonymousInvoke.Type != "InvalidCredentialsError" {
		t.Errorf("anonymous invoke: %+v", r.AnonymousInvoke)
	}
	if !r.Get.Relates || r.Get.Tag != "{"+widget+"}TST_Widget" || r.Get.prop("Id") != "w1" || r.Get.prop("Size") != "10" {
		t.Errorf("Get w1: %+v", r.Get)
	}
	if strings.Join(r.Enumerate.IDs, ",") != "w1,w2" || r.Enumerate.Pulls < 2 {
		t.Errorf("Enumerate: %+v", r.Enumerate)
	}

	if !r.Create.Relates || r.Create.Action != process+"/CreateResponse" || r.Create.Tag != "{"+process+"}Create_OUTPUT" ||
		r.Create.prop("ReturnValue") != "0" {
		t.Errorf("Win32_Process.Create: %+v", r.Create)
	} else if pid, err := strconv.Atoi(r.Create.prop("ProcessId")); err != nil {
		t.Errorf("Win32_Process.Create: ProcessId %q", r.Create.prop("ProcessId"))
	} else {
		checkSleepProcess(t, pid)
	}

	if !r.Resize.Relates || r.Resize.Action != widget+"/ResizeResponse" || r.Resize.Tag != "{"+widget+"}Resize_OUTPUT" ||
		r.Resize.prop("ReturnValue") != "0" || r.Resize.prop("OldSize") != "10" {
		t.Errorf("Resize: %+v", r.Resize)
	}
	if r.GetAfter.prop("Size") != "77" {
		t.Errorf("Get after Resize: %+v", r.GetAfter)
	}

	for _, f := range []struct {
		name            string
		got             winrmFault
		code, subcode   string
		cim, wsmanFault string
	}{
		// WBEM_E_NOT_FOUND 0x80041002 = 2147749890, WBEM_E_INVALID_PARAMETER 0x80041008 = 2147749896.
		{"Fail(6)", r.FaultFail6, "s:Sender", "a:DestinationUnreachable", "6", "2147749890"},
		{"Resize without NewSize", r.FaultResize, "s:Sender", "w:InvalidParameter", "4", "2147749896"},
		{"Resize of a missing widget", r.FaultMissing, "s:Sender", "a:DestinationUnreachable", "6", "2147749890"},
		// Bob is no administrator: under the default namespace security he
		// may not use root/default remotely. WBEM_E_ACCESS_DENIED 0x80041003 = 2147749891.
		{"Echo by a user without rights", r.Denied, "s:Sender", "w:AccessDenied", "2", "2147749891"},
	} {
		g := f.got
		if !g.Raised || g.Type != "WinRMError" || g.HTTPStatus != 500 || g.CIMStatus != f.cim || g.Subcode != f.subcode ||
			!strings.Contains(g.Message, "'fault_code': '"+f.code+"'") ||
			!strings.Contains(g.Message, "'fault_subcode': '"+f.subcode+"'") ||
			!strings.Contains(g.Message, "'wsmanfault_code': '"+f.wsmanFault+"'") ||
			!strings.Contains(g.Message, "'http_status_code': 500") {
			t.Errorf("%s: %+v", f.name, g)
		}
	}
	if !r.BadPassword.Raised || r.BadPassword.Type != "InvalidCredentialsError" {
		t.Errorf("wrong password: %+v", r.BadPassword)
	}
}
