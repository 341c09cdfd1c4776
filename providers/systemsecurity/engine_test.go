package systemsecurity_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimtest"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/systemsecurity"
	"github.com/gowbem/gowbem/providers/testmeth"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// The callers of the tests. alice and carol are ordinary users (uids far
// from the one the tests run as); admin is an administrator on the Unix
// socket.
var (
	alice = &security.Identity{User: "alice", Account: "alice", UID: 70001, GIDs: []int{70001}, Groups: []string{"staff"},
		Source: "unix:/run/wbemd.sock", Method: "peercred"}
	carol = &security.Identity{User: "carol", UID: -1, Remote: true, Source: "tcp:192.0.2.7:50000", Method: "basic"}
	admin = &security.Identity{User: "root", Account: "root", UID: 0, Admin: true, Source: "unix:/run/wbemd.sock", Method: "peercred"}
)

// sysSec is the path of the __SystemSecurity singleton.
const sysSec = "__SystemSecurity=@"

// env is an engine over a memory repository holding TestMeth in
// root/default and __SystemSecurity in root, root/default and root/cimv2
// (as a server compiles it into every namespace), with a
// NamespaceAuthorizer that keeps descriptors in the repository.
type env struct {
	t     *testing.T
	repo  *repository.Repository
	authz *security.NamespaceAuthorizer
	eng   *engine.Engine
}

func newEnv(t *testing.T, opts ...func(*engine.Options)) *env {
	t.Helper()
	repo := repository.NewMemory()
	reg := provider.NewRegistry()
	compile := func(m *provider.Module, ns string) {
		if _, err := mof.CompileSource(repo, m.MOFName, m.MOF, mof.CompileOptions{Namespace: ns}); err != nil {
			t.Fatalf("compiling %s into %s: %v", m.MOFName, ns, err)
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
	o := engine.Options{Repository: repo, Providers: reg, Authorizer: authz,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range opts {
		f(&o)
	}
	e, err := engine.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	return &env{t: t, repo: repo, authz: authz, eng: e}
}

// open opens ns as who.
func (v *env) open(who *security.Identity, ns string) (wbem.Services, error) {
	s, err := v.eng.Services(security.WithIdentity(context.Background(), who), ns)
	if err == nil {
		v.t.Cleanup(func() { _ = s.Close() })
	}
	return s, err
}

// mustOpen opens ns as who, failing the test on error.
func (v *env) mustOpen(who *security.Identity, ns string) wbem.Services {
	v.t.Helper()
	s, err := v.open(who, ns)
	if err != nil {
		v.t.Fatalf("opening %s as %s: %v", ns, who.User, err)
	}
	return s
}

// exec calls path.method synchronously as who on svc; args are name,
// value pairs (a nil value leaves the parameter NULL).
func (v *env) exec(svc wbem.Services, who *security.Identity, path, method string, args ...any) (*cim.Instance, error) {
	v.t.Helper()
	ctx := security.WithIdentity(context.Background(), who)
	var in *cim.Instance
	if len(args) > 0 {
		class := path
		if i := strings.IndexAny(path, ".="); i >= 0 {
			class = path[:i]
		}
		c, err := v.repo.GetClass(svc.Namespace(), class)
		if err != nil {
			v.t.Fatal(err)
		}
		in = c.Method(method).NewInParams()
		for i := 0; i+1 < len(args); i += 2 {
			if args[i+1] == nil {
				continue
			}
			if err := in.Put(args[i].(string), args[i+1]); err != nil {
				v.t.Fatal(err)
			}
		}
	}
	return svc.ExecMethod(ctx, path, method, in, nil)
}

// echo calls TestMeth.Echo in root/default as who on svc.
func (v *env) echo(svc wbem.Services, who *security.Identity) error {
	v.t.Helper()
	out, err := v.exec(svc, who, "TestMeth", "Echo", "sInArg", "hi")
	if err == nil && out.Value("sOutArg").Text() != "hi" {
		v.t.Fatalf("Echo: %s", out.MOF())
	}
	return err
}

// setSD calls SetSD on ns as who; sd nil sends SD NULL.
func (v *env) setSD(who *security.Identity, ns string, sd any) error {
	v.t.Helper()
	svc, err := v.open(who, ns)
	if err != nil {
		return err
	}
	if sd == nil {
		_, err = v.exec(svc, who, sysSec, "SetSD", "SD", nil)
		return err
	}
	_, err = v.exec(svc, who, sysSec, "SetSD", "SD", sd)
	return err
}

// rights calls GetCallerAccessRights on ns as who.
func (v *env) rights(who *security.Identity, ns string) (security.Rights, error) {
	v.t.Helper()
	svc, err := v.open(who, ns)
	if err != nil {
		return 0, err
	}
	out, err := v.exec(svc, who, sysSec, "GetCallerAccessRights")
	if err != nil {
		return 0, err
	}
	if rv := out.Value(cim.ReturnValueName); rv.Uint64() != 0 {
		v.t.Fatalf("ReturnValue %v", rv)
	}
	return security.Rights(uint32(out.Value("Rights").Int64())), nil
}

func wantCode(t *testing.T, err error, want status.HRESULT) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("got %s (%v), want %s", got, err, want)
	}
}

// TestAccessDeniedWithoutMethodExecute: a user with Enable but not
// MethodExecute gets WBEM_E_ACCESS_DENIED as the final status of an
// asynchronous call, with the __ExtendedStatus, and as the return of a
// synchronous one; granting MethodExecute with SetSD lets the very next
// call through, on the same connection; revoking it stops the next one.
func TestAccessDeniedWithoutMethodExecute(t *testing.T) {
	v := newEnv(t)
	// By default alice cannot even connect to root/default.
	_, err := v.open(alice, testmeth.Namespace)
	wantCode(t, err, status.WBEM_E_ACCESS_DENIED)

	base := "allow Administrators 0x6003F inherit\n"
	if err := v.setSD(admin, testmeth.Namespace, base+"allow user:alice Enable"); err != nil {
		t.Fatal(err)
	}
	svc := v.mustOpen(alice, testmeth.Namespace)

	// Asynchronous: accepted, then the final status says no.
	c, _ := svc.GetClass(security.WithIdentity(context.Background(), alice), "TestMeth")
	in := c.Method("Echo").NewInParams()
	_ = in.Put("sInArg", "hi")
	sink := cimtest.NewRecordingSink()
	if err := svc.ExecMethodAsync(security.WithIdentity(context.Background(), alice), "TestMeth", "Echo", in, 0, nil, sink); err != nil {
		t.Fatalf("ExecMethodAsync returned %v; access is checked after the call is accepted", err)
	}
	final := sink.ExpectFinal(t, 5*time.Second, status.WBEM_E_ACCESS_DENIED)
	ext := final.ExtendedStatus()
	if ext == nil || ext.Code != status.WBEM_E_ACCESS_DENIED || ext.Operation != "ExecMethod" ||
		ext.ParameterInfo != "TestMeth" || ext.ProviderName != "Windows Management" ||
		!strings.Contains(ext.Description, "MethodExecute") {
		t.Errorf("__ExtendedStatus %+v", ext)
	}
	if len(sink.Objects()) != 0 {
		t.Error("out-parameters delivered to a refused call")
	}
	// Synchronous.
	err = v.echo(svc, alice)
	wantCode(t, err, status.WBEM_E_ACCESS_DENIED)
	if status.CIMCode(err) != status.CIM_ERR_ACCESS_DENIED {
		t.Errorf("CIM status %v", status.CIMCode(err))
	}

	// Grant, no restart, same connection.
	if err := v.setSD(admin, testmeth.Namespace, base+"allow user:alice Enable,MethodExecute"); err != nil {
		t.Fatal(err)
	}
	if err := v.echo(svc, alice); err != nil {
		t.Fatalf("after the grant: %v", err)
	}
	// Revoke: the next call is refused (DD-36).
	if err := v.setSD(admin, testmeth.Namespace, base+"allow user:alice Enable"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, v.echo(svc, alice), status.WBEM_E_ACCESS_DENIED)
	// Taking Enable away ends reads and calls on open connections too.
	if err := v.setSD(admin, testmeth.Namespace, base); err != nil {
		t.Fatal(err)
	}
	_, err = svc.GetClass(security.WithIdentity(context.Background(), alice), "TestMeth")
	wantCode(t, err, status.WBEM_E_ACCESS_DENIED)
	// Deny beats allow.
	if err := v.setSD(admin, testmeth.Namespace, base+"allow group:staff 0x3\ndeny user:alice MethodExecute"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, v.echo(svc, alice), status.WBEM_E_ACCESS_DENIED)
	if _, err := svc.GetClass(security.WithIdentity(context.Background(), alice), "TestMeth"); err != nil {
		t.Errorf("Enable from the group: %v", err)
	}
}

// TestGetCallerAccessRights checks the rights reported to each caller,
// also to one without MethodExecute.
func TestGetCallerAccessRights(t *testing.T) {
	v := newEnv(t)
	for _, tc := range []struct {
		who  *security.Identity
		ns   string
		want security.Rights
	}{
		{admin, "root/cimv2", 0x6003F},
		{admin, "root/default", 0x6003F},
		{admin, "root", 0x6003F},
		{security.Process(), "root/default", 0x6003F},
		{alice, "root/cimv2", 0x13},
	} {
		got, err := v.rights(tc.who, tc.ns)
		if err != nil || got != tc.want {
			t.Errorf("%s in %s: %s, %v; want %s", tc.who.User, tc.ns, got.Hex(), err, tc.want.Hex())
		}
	}
	// No Enable: no connection, nothing to ask.
	_, err := v.rights(alice, "root/default")
	wantCode(t, err, status.WBEM_E_ACCESS_DENIED)
	_, err = v.rights(carol, "root/cimv2")
	wantCode(t, err, status.WBEM_E_ACCESS_DENIED)
	// Enable alone is enough for GetCallerAccessRights (not for Echo).
	if err := v.setSD(admin, "root/default", "allow Administrators 0x6003F inherit\nallow user:alice Enable"); err != nil {
		t.Fatal(err)
	}
	if got, err := v.rights(alice, "root/default"); err != nil || got != security.Enable {
		t.Errorf("alice with Enable only: %s, %v", got.Hex(), err)
	}
	// Remote access granted to carol on root/cimv2 (added to the default).
	sd := security.DefaultSDs()["root/cimv2"].String() + "allow user:carol RemoteAccess inherit\n"
	if err := v.setSD(admin, "root/cimv2", sd); err != nil {
		t.Fatal(err)
	}
	if got, err := v.rights(carol, "root/cimv2"); err != nil || got != 0x33 {
		t.Errorf("carol remote after the grant: %s, %v", got.Hex(), err)
	}
}

// TestGetSetSD checks the rights GetSD and SetSD need, what they accept
// and return, and that SetSD persists.
func TestGetSetSD(t *testing.T) {
	v := newEnv(t)
	// alice may connect to root/cimv2 but neither read nor change its
	// security.
	svc := v.mustOpen(alice, "root/cimv2")
	_, err := v.exec(svc, alice, sysSec, "GetSD")
	wantCode(t, err, status.WBEM_E_ACCESS_DENIED)
	if !strings.Contains(err.Error(), "ReadControl") {
		t.Errorf("GetSD refusal %q", err)
	}
	err = v.setSD(alice, "root/cimv2", "allow Everyone 0x6003F inherit")
	wantCode(t, err, status.WBEM_E_ACCESS_DENIED)
	if got, _ := v.rights(alice, "root/cimv2"); got != 0x13 {
		t.Fatalf("a refused SetSD changed the rights: %s", got)
	}

	// The admin reads the default.
	asvc := v.mustOpen(admin, "root/cimv2")
	out, err := v.exec(asvc, admin, sysSec, "GetSD")
	if err != nil {
		t.Fatal(err)
	}
	text := out.Value("SD").Text()
	for _, want := range []string{"the built-in default", "allow Administrators 0x6003F inherit", `allow "Authenticated Users" 0x13 inherit`} {
		if !strings.Contains(text, want) {
			t.Errorf("GetSD lacks %q:\n%s", want, text)
		}
	}
	// Invalid descriptors are refused with WBEM_E_INVALID_PARAMETER.
	for _, bad := range []string{"allow nobody 0x1", "allow Everyone 0x100000", "# nothing\n", `{"aces":[]}`, "{"} {
		err := v.setSD(admin, "root/cimv2", bad)
		wantCode(t, err, status.WBEM_E_INVALID_PARAMETER)
	}
	// JSON is accepted; the change is stored in the repository.
	if err := v.setSD(admin, "root/cimv2", `{"aces":[{"type":"allow","trustee":"Administrators","rights":"0x6003F","inherit":true},{"type":"allow","trustee":"group:staff","rights":"Enable,MethodExecute,ReadControl"}]}`); err != nil {
		t.Fatal(err)
	}
	out, err = v.exec(svc, alice, sysSec, "GetSD")
	if err != nil {
		t.Fatalf("GetSD with ReadControl: %v", err)
	}
	if text := out.Value("SD").Text(); !strings.Contains(text, "set on this namespace") || !strings.Contains(text, "allow group:staff 0x20003") {
		t.Errorf("GetSD:\n%s", text)
	}
	insts, err := v.repo.Instances(security.SecurityNamespace, security.NamespaceSecurityClass, false)
	if err != nil || len(insts) != 1 || insts[0].Value("ModifiedBy").Text() != "root" {
		t.Fatalf("stored: %v, %v", insts, err)
	}
	// A new authorizer over the repository (a restart) has it.
	b, err := security.NewNamespaceAuthorizer(security.NamespaceAuthorizerOptions{Store: security.NewRepositorySDStore(v.repo)})
	if err != nil || b.AccessRights(alice, "root/cimv2") != 0x20003 {
		t.Errorf("after a restart: %v", err)
	}
	// SD NULL removes the descriptor: the default is back.
	if err := v.setSD(admin, "root/cimv2", nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := v.rights(alice, "root/cimv2"); got != 0x13 {
		t.Errorf("after the reset: %s", got.Hex())
	}
	// A child namespace inherits.
	if err := v.setSD(admin, "root", "allow Administrators 0x6003F inherit\nallow user:alice 0x3 inherit"); err != nil {
		t.Fatal(err)
	}
	svc = v.mustOpen(alice, "root/default")
	if err := v.echo(svc, alice); err != nil {
		t.Errorf("Echo with rights inherited from root: %v", err)
	}
}

// TestSingleton checks the __SystemSecurity instance.
func TestSingleton(t *testing.T) {
	v := newEnv(t)
	svc := v.mustOpen(alice, "root/cimv2")
	ctx := security.WithIdentity(context.Background(), alice)
	i, err := svc.GetInstance(ctx, sysSec)
	if err != nil || i.ClassName() != systemsecurity.ClassName || !i.Path().Singleton {
		t.Fatalf("GetInstance: %v, %v", i, err)
	}
	all, err := svc.EnumerateInstances(ctx, systemsecurity.ClassName, true)
	if err != nil || len(all) != 1 {
		t.Fatalf("EnumerateInstances: %v, %v", all, err)
	}
	// A class path is not a target for these instance methods.
	_, err = v.exec(svc, alice, systemsecurity.ClassName, "GetCallerAccessRights")
	wantCode(t, err, status.WBEM_E_INVALID_METHOD_PARAMETERS)
}

// TestWithoutAuthorizer: an engine that checks no rights reports every
// right and has no descriptor to read or change.
func TestWithoutAuthorizer(t *testing.T) {
	v := newEnv(t, func(o *engine.Options) { o.Authorizer = nil })
	if got, err := v.rights(alice, "root/default"); err != nil || got != security.KnownRights {
		t.Errorf("rights: %s, %v", got.Hex(), err)
	}
	svc := v.mustOpen(alice, "root/default")
	_, err := v.exec(svc, alice, sysSec, "GetSD")
	wantCode(t, err, status.WBEM_E_NOT_SUPPORTED)
}

// TestCallerRightsProbe: an Authorizer that keeps no descriptors is
// probed right by right.
func TestCallerRightsProbe(t *testing.T) {
	authz := security.AuthorizerFunc(func(_ context.Context, _ *security.Identity, _ string, r security.Rights) error {
		if r&^(security.Enable|security.MethodExecute|security.ReadControl) != 0 {
			return status.WBEM_E_ACCESS_DENIED
		}
		return nil
	})
	got := systemsecurity.CallerRights(context.Background(), authz, alice, "root/x")
	if got != security.Enable|security.MethodExecute|security.ReadControl {
		t.Errorf("probed %s", got)
	}
	v := newEnv(t, func(o *engine.Options) { o.Authorizer = authz })
	svc := v.mustOpen(alice, "root/default")
	_, err := v.exec(svc, alice, sysSec, "GetSD")
	wantCode(t, err, status.WBEM_E_NOT_SUPPORTED)
}
