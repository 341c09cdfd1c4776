package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/internal/testsupport"
	"github.com/gowbem/gowbem/wbemd"
)

// TestCreateRunsAsCaller: a remote user mapped to a throw-away local
// account calls Win32_Process.Create over CIM-XML; the process runs with
// that account's uid and gid, not the server's. An unmapped user gets
// ReturnValue 2 (access denied). Needs root (CI runs as root), as wbemd
// must be root to start processes as another user.
func TestCreateRunsAsCaller(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("wbemd must run as root to start processes as another user")
	}
	account := fmt.Sprintf("gowbeme2e%d", os.Getpid()%100000)
	_ = exec.Command("userdel", account).Run() // a leftover of an aborted run
	if out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", account).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v: %s", account, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("userdel", account).Run() })
	u, err := user.Lookup(account)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)

	s := startServer(t, func(o *wbemd.Options) {})
	testsupport.AddUsers(t, filepath.Join(s.dir, wbemd.PasswordFileName), 0,
		testsupport.User{Name: "carol", Password: "carol-pw", Account: account},
		testsupport.User{Name: "unmapped", Password: "unmapped-pw"})
	setSD(t, s, "root/cimv2", "allow Administrators 0x6003F inherit\n"+
		"allow user:carol Enable,MethodExecute,RemoteAccess\n"+
		"allow user:unmapped Enable,MethodExecute,RemoteAccess\n")

	create := func(who, pass string) (rc, pid string) {
		t.Helper()
		// The password file is re-read when it changes; allow for that.
		var body string
		checkFor(t, 5*time.Second, 20*time.Millisecond, func() error {
			r := post(t, s.cimxmlURL(), who, pass, cimxmlHeaders("Create", "root%2Fcimv2%3AWin32_Process"),
				strings.NewReader(cimxmlCall("root/cimv2", "Win32_Process", "Create",
					`<PARAMVALUE NAME="CommandLine"><VALUE>sleep 30</VALUE></PARAMVALUE>`)))
			if r.code != 200 || !strings.Contains(r.body, "<RETURNVALUE") {
				return fmt.Errorf("HTTP %d: %.300s", r.code, r.body)
			}
			body = r.body
			return nil
		})
		rc = between(body, `<RETURNVALUE PARAMTYPE="uint32"><VALUE>`, "<")
		pid = between(body, `<PARAMVALUE NAME="ProcessId" PARAMTYPE="uint32"><VALUE>`, "<")
		return rc, pid
	}

	rc, pid := create("carol", "carol-pw")
	if rc != "0" || pid == "" {
		t.Fatalf("Create as carol: ReturnValue %q, ProcessId %q", rc, pid)
	}
	n, _ := strconv.Atoi(pid)
	t.Cleanup(func() { _ = syscall.Kill(n, syscall.SIGKILL) })
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/"+pid, &st); err != nil {
		t.Fatalf("process %s does not run: %v", pid, err)
	}
	if int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("process %s runs as uid %d gid %d, want %s's %d/%d", pid, st.Uid, st.Gid, account, uid, gid)
	}

	if rc, pid := create("unmapped", "unmapped-pw"); rc != "2" || pid != "" {
		t.Errorf("Create by an unmapped user: ReturnValue %q, ProcessId %q; want 2 and none", rc, pid)
	}
}

// between returns the text after prefix up to end, or "".
func between(s, prefix, end string) string {
	i := strings.Index(s, prefix)
	if i < 0 {
		return ""
	}
	s = s[i+len(prefix):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return ""
}
