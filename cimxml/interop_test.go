package cimxml

import (
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const wbemcliPath = "/usr/bin/wbemcli"

// TestInteropWbemcli runs the real sblim wbemcli (Debian package
// sblim-wbemcli) against the Handler over loopback HTTP. It serves the
// fake object manager of the tests; the engine package has no
// engine.New yet (switch newFakeConnector for it when it has). The test
// fails, rather than skips, when wbemcli is not installed: CI must have
// it (apt-get install sblim-wbemcli).
func TestInteropWbemcli(t *testing.T) {
	if _, err := os.Stat(wbemcliPath); err != nil {
		t.Fatalf("wbemcli is required for this test (apt-get install sblim-wbemcli): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: newTestHandler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/root/default"
	host := ln.Addr().String() + "/root/default"

	run := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(wbemcliPath, args...)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("wbemcli %v: %v", args, err)
		}
		return string(out), code
	}
	tests := []struct {
		args []string
		code int
		want []string // substrings of the output
	}{
		{[]string{"gc", base + ":TST_Widget"}, 0, []string{host + ":TST_Widget", "Id=", "Size=", "Tags=", "Peer=", "Conf="}},
		{[]string{"gcd", base + ":TST_Widget"}, 0, []string{`<CLASS NAME="TST_Widget" SUPERCLASS="TST_Base">`, `<METHOD NAME="Resize" TYPE="uint32">`}},
		{[]string{"ecn", base}, 0, []string{host + ":TestMeth", host + ":TST_Base"}},
		{[]string{"ecn", base + ":TST_Base"}, 0, []string{host + ":TST_Widget"}},
		{[]string{"ein", base + ":TST_Widget"}, 0, []string{host + `:TST_Widget.Id="w1"`, host + `:TST_Widget.Id="w2"`}},
		{[]string{"gi", base + `:TST_Widget.Id="w1"`}, 0, []string{`Id="w1"`, "Size=10", `Tags="a","b c"`}},
		{[]string{"ei", base + ":TST_Widget"}, 0, []string{`Id="w2",Size=20`}},
		{[]string{"cm", base + ":TestMeth", "Echo.sInArg=hello"}, 0, []string{host + ":TestMeth Echo: 0, sOutArg (string): hello"}},
		{[]string{"cm", base + ":TestMeth", `Echo.sInArg="hello world"`}, 0, []string{"sOutArg (string): hello world"}},
		{[]string{"cm", base + `:TST_Widget.Id="w1"`, "Resize.NewSize=20,Force=true"}, 0, []string{"Resize: 0, OldSize (uint32): 10"}},
		{[]string{"cm", base + ":TST_Widget", `EchoTypes.S="a b",B=false,U8=255,S8=-128,U64=18446744073709551615,R32=1.5,R64=-2.5e-300,C16="x",DT="20240101123000.000000+000",SA="a","b c",UA=1,2,Peer=TST_Widget.Id="w2"`}, 0,
			[]string{"EchoTypes: 0", "S (string): a b", "B (boolean): FALSE", "U8 (uint8): 255", "S8 (sint8): -128",
				"U64 (uint64): 18446744073709551615", "R32 (real32): 1.5", "C16 (char16): x", "DT (datetime): 20240101123000.000000+000",
				"SA (string): a,b c", "UA (uint32): 1,2", `Peer (reference):`}},
		{[]string{"cm", base + ":TST_Widget", "NoResult"}, 0, nil},
		// A NULL ReturnValue is left out: wbemcli cannot read the out
		// parameters without one, but it does not crash (it does on an
		// empty RETURNVALUE).
		{[]string{"cm", base + ":TST_Widget", "NullResult"}, 16, []string{"Expecting /METHODRESPONSE, RETURNVALUE or ERROR"}},
		{[]string{"cm", base + `:TST_Widget.Id="w1"`, "Fail.Code=6"}, 16, []string{"(6) CIM_ERR_NOT_FOUND: failing as asked"}},
		{[]string{"cm", base + `:TST_Widget.Id="w1"`, "NotImplemented"}, 16, []string{"(16) CIM_ERR_METHOD_NOT_AVAILABLE"}},
		{[]string{"cm", base + ":TST_Widget", "EchoTypes.U8=256"}, 16, []string{"(4) CIM_ERR_INVALID_PARAMETER"}},
		{[]string{"gc", base + ":NoSuchClass"}, 16, []string{"(5) CIM_ERR_INVALID_CLASS"}},
		{[]string{"gi", base + `:TST_Widget.Id="nope"`}, 16, []string{"(6) CIM_ERR_NOT_FOUND"}},
		{[]string{"ecn", "http://" + ln.Addr().String() + "/root/nowhere"}, 16, []string{"(3) CIM_ERR_INVALID_NAMESPACE"}},
		{[]string{"cm", base + ":TestMeth", "Echo.sInArg=a&b"}, 16, []string{"HTTP"}},
	}
	for _, tc := range tests {
		out, code := run(tc.args...)
		if code != tc.code {
			t.Errorf("wbemcli %s: exit %d, want %d\n%s", strings.Join(tc.args, " "), code, tc.code, out)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("wbemcli %s: output lacks %q:\n%s", strings.Join(tc.args, " "), w, out)
			}
		}
	}
}
