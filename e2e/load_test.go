package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echoLoad keeps well-behaved callers busy while a test abuses the
// server: one goroutine per protocol (native, CIM-XML, WS-Man), each on
// its own connection, calls TestMeth.Echo in a loop and checks the
// answer.
type echoLoad struct {
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	ok       map[string]int
	failures []string
	failed   atomic.Int64
}

// startEchoLoad starts the callers; finish stops them and checks them.
func startEchoLoad(t *testing.T, s *testServer) *echoLoad {
	t.Helper()
	l := &echoLoad{stop: make(chan struct{}), ok: make(map[string]int)}
	_, svc := s.connect(t, s.nativeURL(), mainUser, mainPass, "root/default")
	ctx := timeoutCtx(t, 5*time.Minute)
	in, err := echoIn(ctx, svc, "steady")
	if err != nil {
		t.Fatal(err)
	}
	l.run("native", func(i int) error {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		out, err := svc.ExecMethod(cctx, "TestMeth", "Echo", in, nil)
		if err != nil {
			return err
		}
		if out.Value("sOutArg").Text() != "steady" {
			return fmt.Errorf("sOutArg %v", out.Value("sOutArg"))
		}
		return nil
	})
	// Each HTTP protocol gets a client of its own, so its keep-alive
	// connection is its own.
	httpLoop := func(name, url, body string, header map[string]string, want string) {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1}}
		l.run(name, func(i int) error {
			req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
			if err != nil {
				return err
			}
			for k, v := range header {
				req.Header.Set(k, v)
			}
			req.SetBasicAuth(mainUser, mainPass)
			resp, err := c.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
				return fmt.Errorf("%s: %s", resp.Status, b)
			}
			return nil
		})
	}
	httpLoop("CIM-XML", s.cimxmlURL(), cimxmlEcho("steady"), cimxmlHeaders("Echo", "root/default:TestMeth"),
		`<PARAMVALUE NAME="sOutArg" PARAMTYPE="string"><VALUE>steady</VALUE></PARAMVALUE>`)
	httpLoop("WS-Man", s.wsmanURL(), wsmanEcho(s.wsmanURL(), "steady"), map[string]string{"Content-Type": contentXML},
		`>steady</p:sOutArg>`)
	return l
}

// run calls f in a loop in its own goroutine until stop.
func (l *echoLoad) run(name string, f func(i int) error) {
	l.wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-l.stop:
				return
			default:
			}
			if err := f(i); err != nil {
				l.failed.Add(1)
				l.mu.Lock()
				if len(l.failures) < 10 {
					l.failures = append(l.failures, fmt.Sprintf("%s call %d at %s: %v", name, i, time.Now().Format("15:04:05.000"), err))
				}
				l.mu.Unlock()
			} else {
				l.mu.Lock()
				l.ok[name]++
				l.mu.Unlock()
			}
			// Leave the (few) CPUs to the test's own work.
			time.Sleep(2 * time.Millisecond)
		}
	})
}

// finish stops the callers and fails the test if any call failed or a
// protocol made no call at all.
func (l *echoLoad) finish(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.failed.Load(); n > 0 {
		t.Errorf("%d well-behaved Echo calls failed meanwhile:\n%s", n, strings.Join(l.failures, "\n"))
	}
	for _, name := range []string{"native", "CIM-XML", "WS-Man"} {
		if l.ok[name] == 0 {
			t.Errorf("no %s Echo call completed", name)
		}
	}
	t.Logf("Echo calls served meanwhile: %v", l.ok)
}
