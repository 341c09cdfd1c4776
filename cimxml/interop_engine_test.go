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

// TestInteropWbemcliEngine runs wbemcli against the Handler serving the
// real engine over the cimtest model (namespace root/test, TST_Widget with
// the WMI SDK's static Echo). Like TestInteropWbemcli it fails when
// wbemcli is missing.
func TestInteropWbemcliEngine(t *testing.T) {
	if _, err := os.Stat(wbemcliPath); err != nil {
		t.Fatalf("wbemcli is required for this test (apt-get install sblim-wbemcli): %v", err)
	}
	e := newCimtestEngine(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: NewHandler(HandlerOptions{Connector: e}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/root/test"
	host := ln.Addr().String() + "/root/test"

	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"gc", base + ":TST_Widget"}, 0, []string{host + ":TST_Widget", "Name=", "Size="}},
		{[]string{"gcd", base + ":TST_Widget"}, 0, []string{`<CLASS NAME="TST_Widget"`, `<METHOD NAME="Echo" TYPE="uint32">`}},
		{[]string{"ecn", base}, 0, []string{host + ":TST_Widget"}},
		{[]string{"ein", base + ":TST_Widget"}, 0, []string{host + `:TST_Widget.Name="w1"`, host + `:TST_Widget.Name="w2"`}},
		{[]string{"gi", base + `:TST_Widget.Name="w1"`}, 0, []string{`Name="w1"`, "Size=1"}},
		{[]string{"cm", base + ":TST_Widget", "Echo.sInArg=hello"}, 0, []string{host + ":TST_Widget Echo: 5, sOutArg (string): hello"}}, // cimtest.Echo returns the length
		{[]string{"cm", base + ":TST_Widget", "NotImpl"}, 16, []string{"CIM_ERR_"}},
		{[]string{"cm", base + ":TST_Nope", "Echo.sInArg=x"}, 16, []string{"CIM_ERR_"}},
	}
	for _, tc := range tests {
		cmd := exec.Command(wbemcliPath, tc.args...)
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("wbemcli %s: exit %d, want %d\n%s", strings.Join(tc.args, " "), code, tc.code, out)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("wbemcli %s: output lacks %q:\n%s", strings.Join(tc.args, " "), w, out)
			}
		}
	}
}
