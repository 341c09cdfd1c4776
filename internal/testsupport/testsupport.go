// Package testsupport holds helpers shared by gowbem's own tests: an
// engine over a memory repository with provider modules compiled and
// registered as wbemd sets itself up (BuiltinEngine, Engine, NewEngine),
// password files with users (AddUsers), and a TestMain for the tests of
// a command that run its binary (MainWithBinary).
//
// Unlike cimtest, the public test kit, which must not depend on the
// engine, testsupport imports engine, repository, mof, provider,
// providers and security. The tests of those packages (and of the
// packages they import) therefore cannot use it: that would be an import
// cycle.
package testsupport

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/security"
)

// ShutdownTimeout bounds the engine shutdown that NewEngine registers
// with t.Cleanup.
const ShutdownTimeout = 5 * time.Second

// NewEngine returns engine.New(o), failing the test on error. A nil
// o.Logger discards the logs. The engine is shut down (within
// ShutdownTimeout) when the test ends, after the cleanups registered
// later, such as those of servers using the engine.
func NewEngine(t testing.TB, o engine.Options) *engine.Engine {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e, err := engine.New(o)
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		_ = e.Shutdown(ctx)
	})
	return e
}

// Engine returns an engine over a new memory repository into which the
// MOF of each module is compiled, in order, in the module's namespace,
// with the modules' providers registered. opts then change the options
// (Repository, Providers and a discarding Logger are already set, so an
// option may use the repository, e.g. for an authorizer). The engine is
// made and shut down as by NewEngine.
func Engine(t testing.TB, mods []provider.Module, opts ...func(*engine.Options)) *engine.Engine {
	t.Helper()
	repo := repository.NewMemory()
	reg := provider.NewRegistry()
	for i := range mods {
		m := &mods[i]
		if _, err := mof.CompileSource(repo, m.MOFName, m.MOF, mof.CompileOptions{Namespace: m.Namespace}); err != nil {
			t.Fatalf("compiling %s: %v", m.MOFName, err)
		}
		if err := m.Register(reg); err != nil {
			t.Fatalf("registering %s: %v", m.Name, err)
		}
	}
	o := engine.Options{Repository: repo, Providers: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range opts {
		f(&o)
	}
	return NewEngine(t, o)
}

// BuiltinEngine returns Engine(t, providers.BuiltIn(), opts...): the
// real object manager with the built-in providers (TestMeth in
// root/default, Win32_Process in root/cimv2, TST_Widget in root/test,
// __SystemSecurity in root/cimv2) over a memory repository.
func BuiltinEngine(t testing.TB, opts ...func(*engine.Options)) *engine.Engine {
	t.Helper()
	return Engine(t, providers.BuiltIn(), opts...)
}

// User is a login for AddUsers.
type User struct {
	// Name and Password are the credentials.
	Name, Password string
	// Account is the local account the login maps to ("" for none).
	Account string
}

// AddUsers adds users to the password file at path, creating the file
// when it is missing, with bcrypt cost cost (0 means bcrypt.MinCost,
// which keeps tests fast). It fails the test on any error, such as a
// user that is already there.
func AddUsers(t testing.TB, path string, cost int, users ...User) {
	t.Helper()
	if cost == 0 {
		cost = bcrypt.MinCost
	}
	p, err := security.LoadPasswordFile(path, &security.PasswordOptions{Cost: cost})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if err := p.AddUser(u.Name, u.Password, u.Account); err != nil {
			t.Fatal(err)
		}
	}
}

// MainWithBinary is the body of a TestMain for the tests of a command
// that run its binary as a user would: it builds the package in the
// current directory once (go build -o DIR/name .) into a new temporary
// directory DIR, sets *bin to the binary's path, runs the tests, removes
// DIR and exits with the tests' status. When DIR cannot be made or the
// build fails, it says so on stderr and exits with status 1.
func MainWithBinary(m *testing.M, name string, bin *string) {
	dir, err := os.MkdirTemp("", name+"-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*bin = filepath.Join(dir, name)
	build := exec.Command("go", "build", "-o", *bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building %s: %v\n", name, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
