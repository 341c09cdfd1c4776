//go:build pam && linux && cgo

package security

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPAM checks logins of a throw-away local account through a PAM
// service of pam_unix alone (root only: it creates both).
func TestPAM(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	name := fmt.Sprintf("gowbempam%d", rand.IntN(1000000))
	if out, err := exec.Command("useradd", "--system", "--no-create-home", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("userdel", name).Run() })
	chpw := exec.Command("chpasswd")
	chpw.Stdin = strings.NewReader(name + ":Pam-s3cret\n")
	if out, err := chpw.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v\n%s", err, out)
	}
	service := name
	conf := "/etc/pam.d/" + service
	must(t, os.WriteFile(conf, []byte("auth required pam_unix.so\naccount required pam_unix.so\n"), 0o644))
	t.Cleanup(func() { os.Remove(conf) })

	v, err := NewPAMVerifier(service, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := v.Verify(name, "Pam-s3cret")
	if err != nil || id.User != name || id.Account != name || id.UID <= 0 || id.Admin || id.Method != "basic" {
		t.Fatalf("good password: %+v %v", id, err)
	}
	for _, c := range [][2]string{{name, "wrong"}, {"no-such-user-gowbem", "x"}, {name, ""}} {
		if _, err := v.Verify(c[0], c[1]); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Verify(%q, %q): %v", c[0], c[1], err)
		}
	}
	// Users in the password file go to the file, others to PAM.
	p := loadPF(t, t.TempDir()+"/passwd", fastOpts)
	must(t, p.AddUser("alice", "pw", ""))
	both := FirstKnown(p, v)
	if id, err := both.Verify("alice", "pw"); err != nil || id.User != "alice" {
		t.Errorf("file user through FirstKnown: %+v %v", id, err)
	}
	if id, err := both.Verify(name, "Pam-s3cret"); err != nil || id.Account != name {
		t.Errorf("PAM user through FirstKnown: %+v %v", id, err)
	}
}
