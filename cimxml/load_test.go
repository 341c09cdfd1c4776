package cimxml

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"log/slog"

	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/internal/testsupport"
)

// TestLoadEcho measures Echo invocations per second over loopback HTTP/1.1
// keep-alive connections with a lean raw-socket client (like wrk). It
// runs only with CIMXML_LOAD=1 (it is a measurement, not a test); the
// figures go to docs/BENCHMARKS.md.
func TestLoadEcho(t *testing.T) {
	if os.Getenv("CIMXML_LOAD") == "" {
		t.Skip("set CIMXML_LOAD=1 to measure")
	}
	body := echoBody(t)
	trivial := bytes.Repeat([]byte("x"), 600)
	engineBody := []byte(strings.NewReplacer(`NAME="default"`, `NAME="test"`, "TestMeth", "TST_Widget").Replace(string(body)))
	for _, tc := range []struct {
		name   string
		h      http.Handler
		body   []byte
		object string
	}{
		{"trivial", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Length", "600")
			w.Write(trivial)
		}), body, "root%2Fdefault%3ATestMeth"},
		{"echo (fake Services)", newTestHandler(), body, "root%2Fdefault%3ATestMeth"},
		{"echo (engine + cimtest.Echo provider)", NewHandler(HandlerOptions{Connector: newCimtestEngine(t)}), engineBody, "root%2Ftest%3ATST_Widget"},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: tc.h}
		go srv.Serve(ln)
		for _, conns := range []int{1, 16} {
			n := loadRun(t, ln.Addr().String(), tc.body, tc.object, conns, 3*time.Second)
			t.Logf("%s: %d connections: %.0f requests/s", tc.name, conns, n)
		}
		srv.Close()
	}
}

// newCimtestEngine returns the real engine over the cimtest model
// (namespace root/test, TST_Widget with the WMI SDK's static Echo served
// by cimtest.Echo), shut down when the test ends.
func newCimtestEngine(t *testing.T) *engine.Engine {
	t.Helper()
	return testsupport.NewEngine(t, engine.Options{
		Repository: cimtest.NewRepository(t),
		Providers: cimtest.NewRegistry(t, map[string]any{
			cimtest.TestProvider: cimtest.NewMux().Handle("Echo", cimtest.Echo()),
		}),
		ServerName: "localhost",
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

func loadRun(t *testing.T, addr string, body []byte, object string, conns int, d time.Duration) float64 {
	req := []byte("POST /cimom HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/xml; charset=\"utf-8\"\r\n" +
		"Connection: Keep-Alive, TE\r\nCIMProtocolVersion: 1.0\r\nCIMOperation: MethodCall\r\nCIMMethod: Echo\r\n" +
		"CIMObject: " + object + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	req = append(req, body...)
	var total atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			br := bufio.NewReaderSize(c, 16<<10)
			for time.Now().Before(deadline) {
				if _, err := c.Write(req); err != nil {
					t.Error(err)
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Error(resp.Status)
					return
				}
				total.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(total.Load()) / d.Seconds()
}
