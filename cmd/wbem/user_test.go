package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/security"
)

// runWithStdin runs wbem with stdin as its standard input.
func runWithStdin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wbemBin, args...)
	cmd.Env = cleanEnv(t)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("wbem %q: %v", args, err)
	}
	return res
}

// TestUserCommands manages a password file with wbem user and checks it
// with the security package, as wbemd reads it.
func TestUserCommands(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data", "passwd")
	pf := []string{"--password-file", file, "--bcrypt-cost", "4"}
	run := func(stdin string, args ...string) result {
		t.Helper()
		return runWithStdin(t, stdin, append(append([]string{"user"}, args...), pf...)...)
	}
	r := run("s3cret\n", "add", "alice", "--local-account", "root", "--password-stdin")
	if r.code != 0 || r.stdout != "added alice (local account root)\n" {
		t.Fatalf("add: %s", r)
	}
	r = run("pw\n", "add", "monitor", "--password-stdin")
	if r.code != 0 || !strings.Contains(r.stdout, "unmapped: cannot create processes") {
		t.Fatalf("add unmapped: %s", r)
	}
	if r = run("", "add", "carol", "--no-password", "--local-account", "no-such-account-gowbem"); r.code != 0 ||
		!strings.Contains(r.stderr, `warning: there is no local account "no-such-account-gowbem"`) {
		t.Errorf("add certificate-only user: %s", r)
	}
	if r = run("x\n", "add", "alice", "--password-stdin"); r.code == 0 || !strings.Contains(r.stderr, "user already exists") {
		t.Errorf("second alice: %s", r)
	}
	if r = run("", "add", "bob"); r.code == 0 || !strings.Contains(r.stderr, "use --password-stdin") {
		t.Errorf("no terminal: %s", r)
	}
	if r = run("\n", "add", "bob", "--password-stdin"); r.code == 0 || !strings.Contains(r.stderr, "empty password") {
		t.Errorf("empty password: %s", r)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v %v", fi, err)
	}

	r = run("", "list")
	want := "NAME     LOCAL ACCOUNT           PASSWORD\nalice    root                    yes\nmonitor  -                       yes\ncarol    no-such-account-gowbem  no (certificate only)\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("list: %s\nwant:\n%s", r, want)
	}
	r = runWithStdin(t, "", append([]string{"--json", "user", "list"}, pf...)...)
	var users []security.UserInfo
	if err := json.Unmarshal([]byte(r.stdout), &users); err != nil || len(users) != 3 || users[1].Name != "monitor" {
		t.Errorf("list --json: %v %s", err, r)
	}

	if r = run("n3w\n", "passwd", "alice", "--password-stdin"); r.code != 0 {
		t.Errorf("passwd: %s", r)
	}
	if r = run("x\n", "passwd", "nobody", "--password-stdin"); r.code == 0 || !strings.Contains(r.stderr, "no such user") {
		t.Errorf("passwd of a stranger: %s", r)
	}
	if r = run("", "map", "monitor", "root"); r.code != 0 {
		t.Errorf("map: %s", r)
	}
	if r = run("", "del", "carol"); r.code != 0 || r.stdout != "deleted carol\n" {
		t.Errorf("del: %s", r)
	}

	p, err := security.LoadPasswordFile(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := p.Verify("alice", "n3w"); err != nil || id.UID != 0 {
		t.Errorf("alice after passwd: %+v %v", id, err)
	}
	if _, err := p.Verify("alice", "s3cret"); err == nil {
		t.Error("old password still works")
	}
	if id, err := p.Verify("monitor", "pw"); err != nil || id.Account != "root" {
		t.Errorf("monitor after map: %+v %v", id, err)
	}
	if users, _ := p.Users(); len(users) != 2 {
		t.Errorf("users after del: %+v", users)
	}
	// A world-readable file is refused with the fix in the message.
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if r = run("", "list"); r.code == 0 || !strings.Contains(r.stderr, "chmod 600") {
		t.Errorf("list of a world-readable file: %s", r)
	}
}
