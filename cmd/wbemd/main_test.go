package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/client"
	"github.com/gowbem/gowbem/internal/testsupport"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbemd"
)

// wbemdBin is the daemon binary TestMain builds for the tests.
var wbemdBin string

// TestMain builds wbemd once; the tests run it as a child process.
func TestMain(m *testing.M) { testsupport.MainWithBinary(m, "wbemd", &wbemdBin) }

// shortTempDir returns a fresh directory with a short path (a Unix
// socket path has a length limit), removed when the test ends.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "wbemd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// freeAddr returns a loopback address with a port that was free a moment
// ago (listened on, then closed).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// writeConfig writes cfg as a JSON configuration file and returns its
// path.
func writeConfig(t *testing.T, cfg map[string]any) string {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wbemd.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// offExcept returns the configuration with every listener off and the
// data directory set; the caller turns on what it needs.
func offExcept(dataDir string) map[string]any {
	return map[string]any{
		"data_dir": dataDir, "cimxml_addr": "off", "wsman_addr": "off",
		"cimxmls_addr": "off", "wsmans_addr": "off", "unix_socket": "off",
	}
}

// runWbemd runs wbemd to completion (within 30 seconds) and returns its
// combined output and exit code.
func runWbemd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wbemdBin, args...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("wbemd %s: still running after 30s\n%s", strings.Join(args, " "), out)
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	default:
		t.Fatalf("wbemd %s: %v", strings.Join(args, " "), err)
	}
	return "", -1
}

// daemon is a wbemd child process with its logs (stderr).
type daemon struct {
	cmd  *exec.Cmd
	logs *cimtest.LogBuffer
	done chan struct{} // closed when the process has been waited for
	err  error         // the result of Wait, once done is closed
}

// startDaemon starts wbemd with args. The process is killed (if still
// running) when the test ends; its logs are printed if the test failed.
func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	d := &daemon{cmd: exec.Command(wbemdBin, args...), logs: &cimtest.LogBuffer{}, done: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = d.logs, d.logs
	d.cmd.WaitDelay = 5 * time.Second
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting wbemd: %v", err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			_ = d.cmd.Process.Kill()
			select {
			case <-d.done:
			case <-time.After(10 * time.Second):
				t.Errorf("wbemd (pid %d) did not end after SIGKILL", d.cmd.Process.Pid)
			}
		}
		if t.Failed() {
			t.Logf("wbemd logs:\n%s", d.logs.String())
		}
	})
	return d
}

// logLine is the part of a wbemd JSON log line the tests read.
type logLine struct {
	Msg      string `json:"msg"`
	Addr     string `json:"addr"`
	Protocol string `json:"protocol"`
}

// lines returns the JSON log lines written so far (other lines skipped).
func (d *daemon) lines() []logLine {
	var out []logLine
	sc := bufio.NewScanner(strings.NewReader(d.logs.String()))
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) == nil {
			out = append(out, l)
		}
	}
	return out
}

// listening waits (at most 20 seconds) until wbemd has logged n
// "listening" lines and returns them, failing the test if wbemd exits
// first.
func (d *daemon) listening(t *testing.T, n int) []logLine {
	t.Helper()
	var got []logLine
	cimtest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		select {
		case <-d.done:
			t.Fatalf("wbemd exited before listening: %v\n%s", d.err, d.logs.String())
		default:
		}
		got = got[:0]
		for _, l := range d.lines() {
			if l.Msg == "listening" {
				got = append(got, l)
			}
		}
		if len(got) < n {
			return fmt.Errorf("%d of %d listeners logged", len(got), n)
		}
		return nil
	})
	return got
}

// stop sends SIGTERM and returns the exit code, failing the test unless
// wbemd ends within timeout.
func (d *daemon) stop(t *testing.T, timeout time.Duration) int {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-d.done:
	case <-time.After(timeout):
		t.Fatalf("wbemd still running %v after SIGTERM", timeout)
	}
	var ee *exec.ExitError
	switch {
	case d.err == nil:
		return 0
	case errors.As(d.err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("wbemd: %v", d.err)
	return -1
}

// TestHelp: --help exits 0 and describes the flags.
func TestHelp(t *testing.T) {
	out, code := runWbemd(t, "--help")
	if code != 0 {
		t.Fatalf("wbemd --help: exit %d\n%s", code, out)
	}
	for _, flag := range []string{"-config", "-data-dir", "-cimxml-addr", "-wsman-addr", "-cimxmls-addr",
		"-wsmans-addr", "-unix-socket", "-password-file", "-audit-log", "-log-level"} {
		if !strings.Contains(out, flag) {
			t.Errorf("wbemd --help does not list %s:\n%s", flag, out)
		}
	}
}

// TestConfigUnknownField: a configuration file with a field wbemd does
// not know is refused before anything starts, naming the field.
func TestConfigUnknownField(t *testing.T) {
	cfg := offExcept(shortTempDir(t))
	cfg["cimxml_addr"] = freeAddr(t)
	cfg["no_such_setting"] = true
	path := writeConfig(t, cfg)
	out, code := runWbemd(t, "--config", path)
	if code == 0 {
		t.Fatalf("wbemd accepted an unknown field: exit 0\n%s", out)
	}
	if !strings.Contains(out, path) || !strings.Contains(out, `unknown field "no_such_setting"`) {
		t.Errorf("the message does not name the file and the field:\n%s", out)
	}
	if strings.Contains(out, `"listening"`) {
		t.Errorf("wbemd started listening:\n%s", out)
	}
}

// TestConfigFile: the addresses and the data directory come from the
// configuration file.
func TestConfigFile(t *testing.T) {
	dir := shortTempDir(t)
	addr := freeAddr(t)
	cfg := offExcept(dir)
	cfg["cimxml_addr"] = addr
	d := startDaemon(t, "--config", writeConfig(t, cfg))
	got := d.listening(t, 1)
	if len(got) != 1 || got[0].Addr != addr || got[0].Protocol != "http" {
		t.Fatalf("listening on %+v, want only http %s", got, addr)
	}
	if _, err := os.Stat(filepath.Join(dir, wbemd.SocketName)); err == nil {
		t.Errorf("the Unix socket exists although the configuration turns it off")
	}
	if code := d.stop(t, 15*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
}

// TestFlagsOverrideConfig: a flag wins over the same setting in the
// configuration file; the settings only the file has still apply.
func TestFlagsOverrideConfig(t *testing.T) {
	fromFile, fromFlag := freeAddr(t), freeAddr(t)
	cfg := offExcept(shortTempDir(t))
	cfg["cimxml_addr"] = fromFile
	d := startDaemon(t, "--config", writeConfig(t, cfg), "--cimxml-addr", fromFlag)
	got := d.listening(t, 1)
	if len(got) != 1 || got[0].Addr != fromFlag {
		t.Fatalf("listening on %+v, want only %s (the flag), not %s (the file)", got, fromFlag, fromFile)
	}
	if code := d.stop(t, 15*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
}

// TestReadyAndGracefulShutdown: wbemd answers GET /readyz with 200 once
// it listens, and SIGTERM makes it shut down and exit 0 within seconds.
func TestReadyAndGracefulShutdown(t *testing.T) {
	addr := freeAddr(t)
	d := startDaemon(t, "--data-dir", shortTempDir(t), "--cimxml-addr", addr, "--wsman-addr", "off",
		"--cimxmls-addr", "off", "--wsmans-addr", "off", "--unix-socket", "off")
	d.listening(t, 1)
	hc := &http.Client{Timeout: 5 * time.Second}
	cimtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		resp, err := hc.Get("http://" + addr + "/readyz")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /readyz: %d %s", resp.StatusCode, body)
		}
		return nil
	})
	start := time.Now()
	if code := d.stop(t, 10*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
	t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	shuttingDown := false
	for _, l := range d.lines() {
		shuttingDown = shuttingDown || l.Msg == "shutting down"
	}
	if !shuttingDown {
		t.Errorf("no \"shutting down\" log line:\n%s", d.logs.String())
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Errorf("%s still accepts connections after wbemd exited", addr)
	}
}

// TestAuditLog: with --audit-log, a method call over the Unix socket
// (with the Go client) writes one JSON line naming the caller, the
// namespace, the method and the status code.
func TestAuditLog(t *testing.T) {
	dir := shortTempDir(t)
	audit := filepath.Join(dir, "audit.log")
	d := startDaemon(t, "--data-dir", dir, "--cimxml-addr", "off", "--wsman-addr", "off",
		"--cimxmls-addr", "off", "--wsmans-addr", "off", "--audit-log", audit)
	if got := d.listening(t, 1); got[0].Protocol != "unix" {
		t.Fatalf("listening on %+v, want the Unix socket", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := client.ConnectWith(ctx, "wbem+unix://"+filepath.Join(dir, wbemd.SocketName),
		client.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("connecting over the Unix socket: %v", err)
	}
	defer conn.(io.Closer).Close()
	svc, err := conn.Services(ctx, "root/default")
	if err != nil {
		t.Fatal(err)
	}
	class, err := svc.GetClass(ctx, "TestMeth")
	if err != nil {
		t.Fatal(err)
	}
	in := class.Method("Echo").NewInParams()
	if err := in.Set("sInArg", cim.NewString("audited")); err != nil {
		t.Fatal(err)
	}
	out, err := svc.ExecMethod(ctx, "TestMeth", "Echo", in, nil)
	if err != nil {
		t.Fatalf("TestMeth.Echo: %v", err)
	}
	if got := out.Value("sOutArg").Text(); got != "audited" {
		t.Fatalf("sOutArg = %q", got)
	}

	type auditLine struct {
		Msg, User, Namespace, Method, Code string
	}
	var lines []auditLine
	cimtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		data, err := os.ReadFile(audit)
		if err != nil {
			return err
		}
		lines = lines[:0]
		for l := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
			var a auditLine
			if err := json.Unmarshal([]byte(l), &a); err != nil {
				return fmt.Errorf("audit line %q: %v", l, err)
			}
			lines = append(lines, a)
		}
		if len(lines) == 0 {
			return errors.New("no audit line yet")
		}
		return nil
	})
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	want := auditLine{Msg: "ExecMethod", User: me.Username, Namespace: "root/default", Method: "Echo",
		Code: status.WBEM_S_NO_ERROR.Hex()}
	if len(lines) != 1 || lines[0] != want {
		t.Errorf("audit log %+v, want one line %+v", lines, want)
	}
	if code := d.stop(t, 15*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
}
