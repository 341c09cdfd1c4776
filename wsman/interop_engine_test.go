package wsman_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/internal/testsupport"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/wsman"
)

// TestInteropPywinrmEngine drives the real engine with its built-in
// providers (TST_Widget in root/test, TestMeth in root/default) through
// the handler with Debian's python3-winrm, as TestInteropPywinrm does
// with the fake object manager.
func TestInteropPywinrmEngine(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is missing (apt-get install python3-winrm): %v", python, err)
	}
	if out, err := exec.Command(python, "-c", "import winrm").CombinedOutput(); err != nil {
		t.Fatalf("the winrm module is missing (apt-get install python3-winrm): %v\n%s", err, out)
	}
	auth := func(r *http.Request) (*security.Identity, error) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "alice" || p != "s3cret" {
			return nil, fmt.Errorf("rejected")
		}
		return &security.Identity{User: u, UID: -1, Remote: true, Method: "basic"}, nil
	}
	h := wsman.NewHandler(wsman.HandlerOptions{Connector: testsupport.BuiltinEngine(t), Authenticate: auth,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	defer srv.Close()
	widget, echo := wsman.ResourceURI("root/test", "TST_Widget"), wsman.ResourceURI("root/default", "TestMeth")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "testdata/winrm_client.py", srv.URL+"/wsman", "alice", "s3cret", widget, echo)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("winrm_client.py: %v\n%s", err, stderr.String())
	}
	var r map[string]any
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("winrm_client.py printed %q: %v", out, err)
	}
	t.Logf("%s", out)
	get := func(path ...string) any {
		var v any = r
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		return v
	}
	if get("identify", "ProductVendor") != "gowbem" {
		t.Errorf("Identify: %v", get("identify"))
	}
	if get("get", "relates") != true || get("get", "props", "Id") != "w1" {
		t.Errorf("Get: %v", get("get"))
	}
	if ids := fmt.Sprint(get("enumerate", "ids")); !strings.Contains(ids, "w1") || !strings.Contains(ids, "w2") {
		t.Errorf("Enumerate: %v", get("enumerate"))
	}
	if get("invoke", "relates") != true || get("invoke", "props", "sOutArg") != "hello from pywinrm & co" ||
		get("invoke", "action") != echo+"/EchoResponse" {
		t.Errorf("Invoke: %v", get("invoke"))
	}
	if msg, _ := get("fault", "message").(string); get("fault", "type") != "WinRMError" ||
		!strings.Contains(msg, "'http_status_code': 500") || !strings.Contains(msg, "fault_subcode") {
		t.Errorf("fault: %v", get("fault"))
	}
	if get("bad_password", "type") != "InvalidCredentialsError" {
		t.Errorf("bad password: %v", get("bad_password"))
	}
}

// BenchmarkHTTPInvokeEngine16 measures TestMeth.Echo invocations per
// second through the handler and the real engine over HTTP on the
// loopback interface, with 16 keep-alive connections.
func BenchmarkHTTPInvokeEngine16(b *testing.B) {
	h := wsman.NewHandler(wsman.HandlerOptions{Connector: testsupport.BuiltinEngine(b), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	defer srv.Close()
	uri := wsman.ResourceURI("root/default", "TestMeth")
	body := []byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:To>` +
		srv.URL + `/wsman</a:To><w:ResourceURI s:mustUnderstand="true">` + uri + `</w:ResourceURI><a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><a:Action s:mustUnderstand="true">` +
		uri + `/Echo</a:Action><w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize><a:MessageID>uuid:6A1B0D2E-1111-4C3D-9E8F-000000000001</a:MessageID><w:OperationTimeout>PT60S</w:OperationTimeout></s:Header><s:Body><p:Echo_INPUT xmlns:p="` +
		uri + `"><p:sInArg>hello</p:sInArg></p:Echo_INPUT></s:Body></s:Envelope>`)
	const conns = 16
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var next, failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/wsman", bytes.NewReader(body))
				req.Header.Set("Content-Type", wsman.ContentType)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d requests failed", failed.Load())
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "invocations/s")
}
