package security

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// whoServer serves, on a fresh Unix socket, the identity Authenticate
// finds for each request, as JSON.
func whoServer(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "test.sock")
	ln, err := ListenUnix(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := NewAuthenticator(AuthenticatorOptions{})
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := a.Authenticate(r)
			if err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			_ = json.NewEncoder(w).Encode(id)
		}),
		ConnContext:       PeerConnContext(path, nil),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return path
}

// unixGet sends GET / over the socket at path, with Basic credentials.
func unixGet(path string) (*Identity, error) {
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}, Timeout: 10 * time.Second}
	req, _ := http.NewRequest(http.MethodGet, "http://wbemd/", nil)
	req.SetBasicAuth("root", "guess") // ignored: the peer credentials win
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, body)
	}
	var id Identity
	return &id, json.Unmarshal(body, &id)
}

// TestPeerCredentials checks the identity of a client on the Unix socket:
// this process's uid and account, not remote, method peercred.
func TestPeerCredentials(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peer credentials are read on Linux only")
	}
	path := whoServer(t, t.TempDir())
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != DefaultSocketMode || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket: %v %v", fi, err)
	}
	id, err := unixGet(path)
	if err != nil {
		t.Fatal(err)
	}
	me, _ := user.Current()
	if id.UID != os.Getuid() || id.User != me.Username || id.Account != me.Username || id.Remote ||
		id.Method != "peercred" || id.Source != "unix:"+path || len(id.GIDs) == 0 || id.GIDs[0] != os.Getgid() ||
		id.Admin != (os.Getuid() == 0) {
		t.Errorf("peer identity: %+v", id)
	}
}

// TestListenUnix checks the socket's file handling: a stale socket is
// replaced, a live one or another file is not, and closing removes it.
func TestListenUnix(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run", "s.sock")
	ln, err := ListenUnix(path, 0o660)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi == nil || fi.Mode().Perm() != 0o660 {
		t.Errorf("mode: %v", fi)
	}
	if _, err := ListenUnix(path, 0); err == nil || !strings.Contains(err.Error(), "another server") {
		t.Errorf("second listener on a live socket: %v", err)
	}
	ln.Close()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket left after Close: %v", err)
	}
	// A stale socket (its server died without removing it).
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	ln, err = ListenUnix(path, 0)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	ln.Close()
	other := filepath.Join(dir, "file")
	must(t, os.WriteFile(other, nil, 0o600))
	if _, err := ListenUnix(other, 0); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("over a regular file: %v", err)
	}
}

// TestPeerCredentialsOtherUser runs a client as a throw-away system user
// (when the tests run as root, as CI does) and checks that the server
// sees that user's uid.
func TestPeerCredentialsOtherUser(t *testing.T) {
	if runtime.GOOS != "linux" || os.Getuid() != 0 {
		t.Skip("needs root on Linux to create a user")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("no useradd")
	}
	name := fmt.Sprintf("gowbemtest%d", rand.IntN(1000000))
	if out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v\n%s", name, err, out)
		}
	})
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	// The uid may be one an earlier run's user had: forget what the
	// account cache remembers of it.
	accounts.mu.Lock()
	clear(accounts.m)
	accounts.mu.Unlock()
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)

	// The child is this test binary, copied where the user can run it.
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		_ = os.Chmod(d, 0o755)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "helper.test")
	data, err := os.ReadFile(self)
	must(t, err)
	must(t, os.WriteFile(bin, data, 0o755))
	path := whoServer(t, dir)

	cmd := exec.Command(bin, "-test.run=^TestPeerHelper$")
	cmd.Env = []string{"GOWBEM_PEER_HELPER=" + path, "PATH=/usr/bin:/bin"}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper as %s: %v\n%s", name, err, out)
	}
	line := ""
	for l := range strings.SplitSeq(string(out), "\n") {
		if strings.HasPrefix(l, "IDENTITY ") {
			line = strings.TrimPrefix(l, "IDENTITY ")
		}
	}
	var id Identity
	if err := json.Unmarshal([]byte(line), &id); err != nil {
		t.Fatalf("helper output: %v\n%s", err, out)
	}
	if id.UID != uid || id.User != name || id.Account != name || id.Admin || id.Remote || id.Method != "peercred" ||
		len(id.GIDs) == 0 || id.GIDs[0] != gid {
		t.Errorf("identity of %s (uid %d): %+v", name, uid, id)
	}
}

// TestPeerHelper is the child of TestPeerCredentialsOtherUser: it asks the
// server at $GOWBEM_PEER_HELPER who it is and prints the answer.
func TestPeerHelper(t *testing.T) {
	path := os.Getenv("GOWBEM_PEER_HELPER")
	if path == "" {
		t.Skip("helper process only")
	}
	id, err := unixGet(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(id)
	fmt.Printf("IDENTITY %s\n", b)
}
