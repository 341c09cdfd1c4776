package security

import (
	"errors"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// fastOpts makes cheap hashes: the tests are about behaviour, not cost.
var fastOpts = &PasswordOptions{Cost: bcrypt.MinCost, Logger: slog.New(slog.DiscardHandler)}

func loadPF(t *testing.T, path string, opts *PasswordOptions) *PasswordFile {
	t.Helper()
	p, err := LoadPasswordFile(path, opts)
	if err != nil {
		t.Fatalf("LoadPasswordFile: %v", err)
	}
	return p
}

// TestPasswordFileRoundTrip adds, verifies, changes and deletes users and
// checks the file on disk: mode 0600, one line per user, comments kept.
func TestPasswordFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "passwd")
	p := loadPF(t, path, fastOpts)
	if users, err := p.Users(); err != nil || len(users) != 0 {
		t.Fatalf("missing file: %v %v", users, err)
	}
	if _, err := p.Verify("alice", "pw"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("verify against an empty file: %v", err)
	}
	if err := p.AddUser("alice", "s3cret", ""); err != nil {
		t.Fatal(err)
	}
	if err := p.AddUser("carol", "", "root"); err != nil {
		t.Fatal(err)
	}
	if err := p.AddUser("alice", "other", ""); !errors.Is(err, ErrUserExists) {
		t.Fatalf("second alice: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}

	id, err := p.Verify("alice", "s3cret")
	if err != nil {
		t.Fatalf("good password: %v", err)
	}
	if id.User != "alice" || id.UID != -1 || id.Account != "" || !id.Remote || id.Method != "basic" || id.Admin {
		t.Errorf("unmapped identity: %+v", id)
	}
	for _, c := range []struct{ user, pw string }{
		{"alice", "wrong"}, {"alice", ""}, {"bob", "s3cret"}, {"carol", ""}, {"carol", "*"},
		{"alice", strings.Repeat("x", 100)},
	} {
		if _, err := p.Verify(c.user, c.pw); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Verify(%q, %q): %v", c.user, c.pw, err)
		}
	}

	// A comment written by hand survives the rewrites.
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(data, []byte("# kept\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.SetPassword("alice", "n3w"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Verify("alice", "s3cret"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password after SetPassword: %v", err)
	}
	if _, err := p.Verify("alice", "n3w"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := p.SetPassword("nobody", "x"); !errors.Is(err, ErrNoSuchUser) {
		t.Errorf("SetPassword of a stranger: %v", err)
	}
	if err := p.SetLocalAccount("alice", "root"); err != nil {
		t.Fatal(err)
	}
	users, err := p.Users()
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0] != (UserInfo{Name: "alice", LocalAccount: "root", PasswordLogin: true}) ||
		users[1] != (UserInfo{Name: "carol", LocalAccount: "root", PasswordLogin: false}) {
		t.Errorf("Users: %+v", users)
	}
	if err := p.DeleteUser("carol"); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteUser("carol"); !errors.Is(err, ErrNoSuchUser) {
		t.Errorf("second delete: %v", err)
	}
	data, _ = os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "# gowbem password file") ||
		!strings.HasPrefix(lines[1], "alice:$2a$04$") || !strings.HasSuffix(lines[1], ":root") || lines[2] != "# kept" {
		t.Errorf("file:\n%s", data)
	}
	// No temporary file is left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries", len(entries))
	}

	// A second instance (another process) reads the same users, and the
	// first notices the second's changes.
	q := loadPF(t, path, fastOpts)
	if _, err := q.Verify("alice", "n3w"); err != nil {
		t.Errorf("second instance: %v", err)
	}
	if err := q.AddUser("dave", "d", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Verify("dave", "d"); err != nil {
		t.Errorf("change by another instance not seen: %v", err)
	}
	if err := q.DeleteUser("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Verify("alice", "n3w"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("deleted by another instance, still accepted (cache?): %v", err)
	}
}

// TestPasswordFileMapping checks the local-account mapping: root is an
// administrator with UID 0, an unknown account stays unmapped, and admin
// groups make administrators.
func TestPasswordFileMapping(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passwd")
	p := loadPF(t, path, fastOpts)
	must(t, p.AddUser("boss", "pw", "root"))
	must(t, p.AddUser("ghost", "pw", "no-such-account-gowbem"))
	id, err := p.Verify("boss", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != 0 || id.Account != "root" || !id.Admin || len(id.GIDs) == 0 || id.GIDs[0] != 0 {
		t.Errorf("root mapping: %+v", id)
	}
	id, err = p.Verify("ghost", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != -1 || id.Account != "" || id.Admin {
		t.Errorf("unknown account: %+v", id)
	}

	// A non-root account is an administrator only through AdminGroups.
	cur, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	g, err := user.LookupGroupId(cur.Gid)
	if err != nil {
		t.Skip(err)
	}
	must(t, p.AddUser("me", "pw", cur.Username))
	id, _ = p.Verify("me", "pw")
	if id == nil || id.Account != cur.Username || id.UID != os.Getuid() || id.Admin != (os.Getuid() == 0) {
		t.Errorf("own account: %+v", id)
	}
	q := loadPF(t, path, &PasswordOptions{Cost: bcrypt.MinCost, AdminGroups: []string{g.Name}})
	if id, _ := q.Verify("me", "pw"); id == nil || !id.Admin {
		t.Errorf("admin group %s: %+v", g.Name, id)
	}
	if id := q.MappedIdentity("me"); id.UID != os.Getuid() || id.Method != "" {
		t.Errorf("MappedIdentity: %+v", id)
	}
	if id := q.MappedIdentity("stranger"); id.UID != -1 || id.User != "stranger" {
		t.Errorf("MappedIdentity of a stranger: %+v", id)
	}
}

// TestPasswordFilePermissions checks that a file group or others can read
// is refused with a clear error, at load and when it changes later.
func TestPasswordFilePermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passwd")
	p := loadPF(t, path, fastOpts)
	must(t, p.AddUser("alice", "pw", ""))
	must(t, os.Chmod(path, 0o644))
	_, err := LoadPasswordFile(path, fastOpts)
	var pe *PermissionError
	if !errors.As(err, &pe) || pe.Mode != 0o644 || !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Fatalf("world-readable file: %v", err)
	}
	// The loaded instance fails closed once the mode changes.
	if _, err := p.Verify("alice", "pw"); !errors.As(err, &pe) {
		t.Errorf("Verify after chmod 644: %v", err)
	}
	if err := p.AddUser("bob", "pw", ""); !errors.As(err, &pe) {
		t.Errorf("AddUser to a world-readable file: %v", err)
	}
	must(t, os.Chmod(path, 0o640))
	if _, err := LoadPasswordFile(path, fastOpts); !errors.As(err, &pe) {
		t.Errorf("group-readable file: %v", err)
	}
	must(t, os.Chmod(path, 0o400))
	if _, err := p.Verify("alice", "pw"); err != nil {
		t.Errorf("after chmod 400: %v", err)
	}
}

// TestPasswordFileSyntax checks the errors of malformed files.
func TestPasswordFileSyntax(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	for _, c := range []struct{ name, text, want string }{
		{"fields", "alice:x\n", ":1: want name:hash:local-account, found 2 fields"},
		{"hash", "# c\nalice:plain:\n", ":2: user \"alice\": not a bcrypt hash"},
		{"dup", "a:" + string(hash) + ":\na:*:\n", ":2: user \"a\" appears twice"},
		{"space", " a:*:\n", "starts or ends with white space"},
		{"control", "a\x01:*:\n", "contains"},
		{"account", "a:*:r oot\n", "local account \"r oot\""},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "passwd")
			must(t, os.WriteFile(path, []byte(c.text), 0o600))
			_, err := LoadPasswordFile(path, fastOpts)
			var se *PasswordSyntaxError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) || se.Path != path {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "passwd")
	must(t, os.WriteFile(path, []byte("# users\r\n\r\nalice:"+string(hash)+":\r\n"), 0o600))
	p := loadPF(t, path, fastOpts)
	if _, err := p.Verify("alice", "pw"); err != nil {
		t.Errorf("CRLF file: %v", err)
	}
}

// TestVerifyUnknownUserDoesTheWork checks that an unknown user costs a
// bcrypt comparison like a known one (no early return that would tell
// names apart by timing), and that the cache spares the comparison for
// repeated good logins only.
func TestVerifyUnknownUserDoesTheWork(t *testing.T) {
	p := loadPF(t, filepath.Join(t.TempDir(), "passwd"), fastOpts)
	must(t, p.AddUser("alice", "pw", ""))
	n := bcryptCompares.Load()
	_, _ = p.Verify("nobody", "pw")
	_, _ = p.Verify("alice", "wrong")
	if got := bcryptCompares.Load() - n; got != 2 {
		t.Errorf("unknown and wrong: %d comparisons, want 2", got)
	}
	n = bcryptCompares.Load()
	for range 3 {
		if _, err := p.Verify("alice", "pw"); err != nil {
			t.Fatal(err)
		}
	}
	if got := bcryptCompares.Load() - n; got != 1 {
		t.Errorf("three good logins: %d comparisons, want 1 (cache)", got)
	}
	nc := loadPF(t, p.Path(), &PasswordOptions{Cost: bcrypt.MinCost, CacheTTL: -1})
	n = bcryptCompares.Load()
	_, _ = nc.Verify("alice", "pw")
	_, _ = nc.Verify("alice", "pw")
	if got := bcryptCompares.Load() - n; got != 2 {
		t.Errorf("without cache: %d comparisons, want 2", got)
	}
	// The dummy hash has the cost of the file's hashes.
	if c, _ := bcrypt.Cost(p.dummy(p.maxCostLocked())); c != bcrypt.MinCost {
		t.Errorf("dummy cost %d", c)
	}
}

// FuzzParsePasswd checks that the parser never panics and that what it
// accepts is written back in a form it parses to the same users.
func FuzzParsePasswd(f *testing.F) {
	f.Add([]byte("# c\nalice:*:root\n\nbob:*:\n"))
	f.Add([]byte("a:b:c:d\n"))
	f.Add([]byte("x:$2a$04$abcdefghijklmnopqrstuuOrY6wqMHZVv1dFFVwKZmKgPcbI9kD6a:\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, index, err := parsePasswd(data)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, l := range lines {
			if l.name == "" {
				b.WriteString(l.text)
			} else {
				b.WriteString(l.name + ":" + l.hash + ":" + l.account)
			}
			b.WriteByte('\n')
		}
		lines2, index2, err := parsePasswd([]byte(b.String()))
		if err != nil || len(index2) != len(index) {
			t.Fatalf("rewritten file: %v (%d vs %d users)", err, len(index2), len(index))
		}
		for name, i := range index {
			j, ok := index2[name]
			if !ok || lines[i] != lines2[j] {
				t.Fatalf("user %q changed", name)
			}
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
