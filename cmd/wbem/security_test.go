package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/systemsecurity"
	"github.com/gowbem/gowbem/providers/testmeth"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/security"
)

// securityServer serves CIM-XML over an engine with namespace security
// (descriptors in a memory repository), TestMeth in root/default and
// __SystemSecurity in every namespace. The Basic user "alice" is an
// ordinary remote user; any other is a remote administrator.
func securityServer(t *testing.T) string {
	t.Helper()
	repo := repository.NewMemory()
	reg := provider.NewRegistry()
	compile := func(m *provider.Module, ns string) {
		if _, err := mof.CompileSource(repo, m.MOFName, m.MOF, mof.CompileOptions{Namespace: ns}); err != nil {
			t.Fatal(err)
		}
	}
	compile(&testmeth.Module, testmeth.Namespace)
	for _, ns := range repo.Namespaces() {
		compile(&systemsecurity.Module, ns)
	}
	for _, m := range []*provider.Module{&testmeth.Module, &systemsecurity.Module} {
		if err := m.Register(reg); err != nil {
			t.Fatal(err)
		}
	}
	authz, err := security.NewNamespaceAuthorizer(security.NamespaceAuthorizerOptions{Store: security.NewRepositorySDStore(repo)})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Options{Repository: repo, Providers: reg, Authorizer: authz,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Shutdown(context.Background()) })
	authn := func(r *http.Request) (*security.Identity, error) {
		user, _, _ := r.BasicAuth()
		id := &security.Identity{User: user, UID: -1, Remote: true, Method: "basic", Source: "tcp:" + r.RemoteAddr}
		id.Admin = user != "alice"
		return id, nil
	}
	srv := httptest.NewServer(cimxml.NewHandler(cimxml.HandlerOptions{Connector: eng, Authenticate: authn}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestSecurityCommands runs wbem security get, set and rights against a
// server with --url.
func TestSecurityCommands(t *testing.T) {
	url := securityServer(t)
	dir := t.TempDir()
	admin := []string{"--url", url, "--user", "admin", "--password", "x"}
	alice := []string{"--url", url, "--user", "alice", "--password", "x"}
	run := func(as []string, args ...string) result {
		return runWBEM(t, nil, append(append([]string{}, as...), args...)...)
	}
	must := func(as []string, args ...string) result {
		t.Helper()
		r := run(as, args...)
		if r.code != 0 {
			t.Fatalf("wbem %s: %s", strings.Join(args, " "), r)
		}
		return r
	}

	if r := must(admin, "security", "rights"); r.stdout != "0x6003F Enable,MethodExecute,FullWrite,PartialWrite,WriteProvider,RemoteAccess,ReadControl,WriteDAC\n" {
		t.Errorf("rights of the admin in root/cimv2: %s", r)
	}
	// alice is remote and has no RemoteAccess: refused, exit status 2.
	if r := run(alice, "security", "rights"); r.code != 2 || !strings.Contains(r.stderr, "WBEM_E_ACCESS_DENIED") {
		t.Errorf("rights of alice: %s", r)
	}
	r := must(admin, "security", "get", "-n", "root/default")
	if !strings.Contains(r.stdout, "inherited from the built-in default of root") || !strings.Contains(r.stdout, "allow Administrators 0x6003F inherit") {
		t.Errorf("get root/default: %s", r)
	}

	// Grant alice remote execute rights on root/default, from the text
	// get printed plus one line.
	sdFile := writeFile(t, dir, "sd.txt", r.stdout+"allow user:alice Enable,MethodExecute,RemoteAccess inherit\n")
	if r := must(admin, "security", "set", "-n", "root/default", sdFile); r.stdout != "security descriptor of root/default set\n" {
		t.Errorf("set: %s", r)
	}
	if r := must(alice, "security", "rights", "-n", "root/default"); r.stdout != "0x23 Enable,MethodExecute,RemoteAccess\n" {
		t.Errorf("rights of alice after the grant: %s", r)
	}
	if r := must(alice, "invoke", "-n", "root/default", "TestMeth", "Echo", "sInArg=hi"); !strings.Contains(r.stdout, "hi") {
		t.Errorf("Echo as alice: %s", r)
	}
	// alice may not read or change the descriptor.
	if r := run(alice, "security", "get", "-n", "root/default"); r.code != 2 || !strings.Contains(r.stderr, "ReadControl") {
		t.Errorf("get as alice: %s", r)
	}
	if r := run(alice, "security", "set", "-n", "root/default", sdFile); r.code != 2 || !strings.Contains(r.stderr, "WriteDAC") {
		t.Errorf("set as alice: %s", r)
	}

	// JSON out and back in.
	r = must(admin, "--json", "security", "get", "-n", "root/default")
	var sd security.SecurityDescriptor
	if err := json.Unmarshal([]byte(r.stdout), &sd); err != nil || len(sd.ACEs) != 2 {
		t.Fatalf("get --json: %v\n%s", err, r)
	}
	must(admin, "security", "set", "-n", "root/default", writeFile(t, dir, "sd.json", r.stdout))
	if r := must(admin, "--json", "security", "rights", "-n", "root/default"); !strings.Contains(r.stdout, `"mask": 393279`) {
		t.Errorf("rights --json: %s", r)
	}

	// A bad file is refused before anything is sent, with its line.
	bad := writeFile(t, dir, "bad.txt", "allow Administrators 0x6003F inherit\nallow alice 0x3\n")
	if r := run(admin, "security", "set", "-n", "root/default", bad); r.code != 1 || !strings.Contains(r.stderr, "line 2") {
		t.Errorf("set with a bad file: %s", r)
	}
	if r := run(admin, "security", "set", "-n", "root/default", writeFile(t, dir, "empty.txt", "# nothing\n")); r.code == 0 || !strings.Contains(r.stderr, "--reset") {
		t.Errorf("set with no ACE: %s", r)
	}
	if r := run(admin, "security", "set", "-n", "root/default"); r.code == 0 {
		t.Errorf("set without a file: %s", r)
	}

	// --reset: root/default inherits from root again; alice is out.
	if r := must(admin, "security", "set", "-n", "root/default", "--reset"); r.stdout != "security descriptor of root/default removed\n" {
		t.Errorf("set --reset: %s", r)
	}
	if r := run(alice, "invoke", "-n", "root/default", "TestMeth", "Echo", "sInArg=hi"); r.code != 2 {
		t.Errorf("Echo as alice after the reset: %s", r)
	}
}
