package security

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/status"
)

// Callers used by the authorisation tests. None runs as the server's
// account (uids far from any real one), so only Admin makes an
// administrator.
var (
	localUser   = &Identity{User: "alice", UID: 70001, Groups: []string{"staff"}, Source: "unix:/run/wbemd.sock", Method: "peercred"}
	localAdmin  = &Identity{User: "root", UID: 0, Admin: true, Source: "unix:/run/wbemd.sock", Method: "peercred"}
	remoteUser  = &Identity{User: "carol", UID: -1, Remote: true, Source: "tcp:192.0.2.7:50000", Method: "basic"}
	remoteAdmin = &Identity{User: "admin", UID: 0, Admin: true, Remote: true, Source: "tcp:192.0.2.8:50000", Method: "basic"}
	anonymous   = &Identity{User: "anonymous", UID: -1, Remote: true, Method: "none"}
)

func newAuthz(t *testing.T, store SDStore) *NamespaceAuthorizer {
	t.Helper()
	a, err := NewNamespaceAuthorizer(NamespaceAuthorizerOptions{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustSD(t *testing.T, text string) *SecurityDescriptor {
	t.Helper()
	sd, err := ParseSD(text)
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

// checkRights compares AccessRights and Authorize for a table.
type rightsCase struct {
	name string
	id   *Identity
	ns   string
	want Rights // AccessRights
	// allowed and denied are rights Authorize must allow and refuse.
	allowed, denied []Rights
}

func checkRights(t *testing.T, a *NamespaceAuthorizer, cases []rightsCase) {
	t.Helper()
	for _, tc := range cases {
		if got := a.AccessRights(tc.id, tc.ns); got != tc.want {
			t.Errorf("%s: AccessRights(%s, %s) = %s (%s), want %s (%s)", tc.name, tc.id.User, tc.ns, got.Hex(), got, tc.want.Hex(), tc.want)
		}
		for _, r := range tc.allowed {
			if err := a.Authorize(context.Background(), tc.id, tc.ns, r); err != nil {
				t.Errorf("%s: Authorize(%s) = %v, want allowed", tc.name, r, err)
			}
		}
		for _, r := range tc.denied {
			err := a.Authorize(context.Background(), tc.id, tc.ns, r)
			if status.Code(err) != status.WBEM_E_ACCESS_DENIED {
				t.Errorf("%s: Authorize(%s) = %v, want WBEM_E_ACCESS_DENIED", tc.name, r, err)
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	a := newAuthz(t, nil)
	checkRights(t, a, []rightsCase{
		{"admin everywhere", localAdmin, "root", AdminRights, []Rights{Enable, MethodExecute, FullWrite, ReadControl, WriteDAC}, nil},
		{"admin in a child", localAdmin, "root/default", AdminRights, []Rights{MethodExecute, WriteDAC}, nil},
		{"admin in cimv2", localAdmin, "root/cimv2", AdminRights, []Rights{MethodExecute}, nil},
		{"admin in the store", localAdmin, SecurityNamespace, AdminRights, []Rights{Enable}, nil},
		{"remote admin (WMI: Remote Enable)", remoteAdmin, "root/cimv2", AdminRights, []Rights{Enable, MethodExecute, WriteDAC}, nil},
		{"user in cimv2", localUser, "root/cimv2", UserRights, []Rights{Enable, MethodExecute, WriteProvider}, []Rights{FullWrite, PartialWrite, ReadControl, WriteDAC}},
		{"user in a child of cimv2", localUser, "root/cimv2/sub", UserRights, []Rights{MethodExecute}, []Rights{WriteDAC}},
		{"user in root", localUser, "root", 0, nil, []Rights{Enable, MethodExecute}},
		{"user in root/default", localUser, "root/default", 0, nil, []Rights{Enable, MethodExecute}},
		{"user in root/test", localUser, "root/test", 0, nil, []Rights{Enable}},
		{"user in the store", localUser, SecurityNamespace, 0, nil, []Rights{Enable}},
		{"remote user: nobody remote until granted", remoteUser, "root/cimv2", UserRights, nil, []Rights{Enable, MethodExecute}},
		{"anonymous", anonymous, "root/cimv2", 0, nil, []Rights{Enable}},
		{"case and separators", localUser, `ROOT\CIMV2`, UserRights, []Rights{MethodExecute}, nil},
		{"in-process", Process(), "root/default", AdminRights, []Rights{MethodExecute, WriteDAC}, nil},
		{"admin in another top-level namespace", localAdmin, "interop", AdminRights, []Rights{MethodExecute}, nil},
		{"user in another top-level namespace", localUser, "interop/x", 0, nil, []Rights{Enable}},
	})
	if a.AccessRights(nil, "root") != 0 || a.Authorize(context.Background(), nil, "root", Enable) == nil {
		t.Error("a nil identity has rights")
	}
}

func TestAccessDeniedError(t *testing.T) {
	a := newAuthz(t, nil)
	err := a.Authorize(context.Background(), localUser, "root/default", MethodExecute)
	var se *status.Error
	if !errors.As(err, &se) || se.Code != status.WBEM_E_ACCESS_DENIED || se.CIM() != status.CIM_ERR_ACCESS_DENIED {
		t.Fatalf("error %#v", err)
	}
	if !strings.Contains(err.Error(), "alice") || !strings.Contains(err.Error(), "MethodExecute") || !strings.Contains(err.Error(), "root/default") {
		t.Errorf("message %q does not say who, what and where", err)
	}
	err = a.Authorize(context.Background(), remoteUser, "root/cimv2", MethodExecute)
	if !strings.Contains(err.Error(), "remotely") {
		t.Errorf("remote refusal %q does not mention remote access", err)
	}
}

func TestInheritance(t *testing.T) {
	a := newAuthz(t, nil)
	// On root: alice may execute everywhere below root that has no
	// descriptor nearer; the non-inherit ACE applies to root only.
	if err := a.SetSD("root", mustSD(t, `
allow Administrators 0x6003F inherit
allow user:alice Enable,MethodExecute inherit
allow group:staff Subscribe
`), localAdmin); err != nil {
		t.Fatal(err)
	}
	checkRights(t, a, []rightsCase{
		{"own ACEs on root", localUser, "root", Enable | MethodExecute | Subscribe, nil, nil},
		{"inherited by root/default", localUser, "root/default", Enable | MethodExecute, []Rights{MethodExecute}, nil},
		{"inherited by a grandchild", localUser, "root/default/a/b", Enable | MethodExecute, nil, nil},
		{"root/cimv2 keeps its default", localUser, "root/cimv2", UserRights, nil, nil},
		{"root/security keeps its default", localUser, SecurityNamespace, 0, nil, []Rights{Enable}},
	})
	// A descriptor of its own on a child replaces what it inherited.
	if err := a.SetSD("root/default", mustSD(t, "allow Administrators 0x6003F inherit\ndeny user:alice MethodExecute inherit\nallow Everyone Enable inherit\n"), localAdmin); err != nil {
		t.Fatal(err)
	}
	checkRights(t, a, []rightsCase{
		{"child's own", localUser, "root/default", Enable, []Rights{Enable}, []Rights{MethodExecute}},
		{"grandchild inherits from the child", localUser, "root/default/a", Enable, nil, []Rights{MethodExecute}},
		{"sibling still inherits from root", localUser, "root/other", Enable | MethodExecute, nil, nil},
	})
	e := a.Effective("root/default/a")
	if !e.Inherited() || e.From != "root/default" || e.Default || len(e.SD.ACEs) != 3 {
		t.Errorf("Effective(root/default/a) = %+v", e)
	}
	if s := e.String(); !strings.Contains(s, "inherited from root/default") {
		t.Errorf("Effective text:\n%s", s)
	}
	// Only inheritable ACEs pass down.
	e = a.Effective("root/x")
	if len(e.SD.ACEs) != 2 || e.From != "root" {
		t.Errorf("Effective(root/x) = %v from %s", e.SD.ACEs, e.From)
	}
	// Removing the child's descriptor: it inherits from root again.
	if err := a.SetSD("root/default", nil, localAdmin); err != nil {
		t.Fatal(err)
	}
	checkRights(t, a, []rightsCase{{"inherits again", localUser, "root/default", Enable | MethodExecute, []Rights{MethodExecute}, nil}})
}

func TestEffectiveDefaults(t *testing.T) {
	a := newAuthz(t, nil)
	e := a.Effective("root/cimv2")
	if e.Inherited() || !e.Default || e.From != "root/cimv2" || !e.SD.Equal(DefaultSDs()["root/cimv2"]) {
		t.Errorf("Effective(root/cimv2) = %+v", e)
	}
	if s := e.String(); !strings.Contains(s, "the built-in default") || !strings.Contains(s, `allow "Authenticated Users" 0x13 inherit`) {
		t.Errorf("text:\n%s", s)
	}
	e = a.Effective(`ROOT\Default`)
	if !e.Inherited() || !e.Default || e.From != "root" || e.Namespace != "ROOT/Default" {
		t.Errorf("Effective(root/default) = %+v", e)
	}
	e = a.Effective("interop")
	if !e.Inherited() || e.From != "root" || !e.Default {
		t.Errorf("Effective(interop) = %+v", e)
	}
	// The text parses back.
	if sd, err := ParseSD(e.String()); err != nil || !sd.Equal(e.SD) {
		t.Errorf("ParseSD(Effective.String()) = %v, %v", sd, err)
	}
}

func TestRemoteNeedsRemoteAccess(t *testing.T) {
	a := newAuthz(t, nil)
	// Granting RemoteAccess alone on root/cimv2 adds to the
	// Authenticated Users ACE of the default.
	sd := DefaultSDs()["root/cimv2"].Clone()
	sd.ACEs = append(sd.ACEs, ACE{Type: Allow, Trustee: UserTrustee("carol"), Rights: RemoteAccess, Inherit: true})
	if err := a.SetSD("root/cimv2", sd, localAdmin); err != nil {
		t.Fatal(err)
	}
	checkRights(t, a, []rightsCase{
		{"granted", remoteUser, "root/cimv2", UserRights | RemoteAccess, []Rights{Enable, MethodExecute}, []Rights{WriteDAC}},
		{"other remote users still not", &Identity{User: "dave", UID: -1, Remote: true, Method: "basic"}, "root/cimv2", UserRights, nil, []Rights{Enable}},
		{"not elsewhere", remoteUser, "root/default", 0, nil, []Rights{Enable}},
	})
	// Removing the administrators' RemoteAccess shuts remote admins
	// out but keeps local ones.
	if err := a.SetSD("root/default", mustSD(t, "allow Administrators 0x6001F inherit"), localAdmin); err != nil {
		t.Fatal(err)
	}
	checkRights(t, a, []rightsCase{
		{"remote admin without RemoteAccess", remoteAdmin, "root/default", 0x6001F, nil, []Rights{Enable}},
		{"local admin", localAdmin, "root/default", 0x6001F, []Rights{MethodExecute}, nil},
	})
}

func TestAdministratorsKeepOwnerRights(t *testing.T) {
	a := newAuthz(t, nil)
	if err := a.SetSD("root/default", mustSD(t, "deny Everyone 0x600FF"), localAdmin); err != nil {
		t.Fatal(err)
	}
	checkRights(t, a, []rightsCase{
		{"admin", localAdmin, "root/default", OwnerRights, []Rights{Enable, ReadControl, WriteDAC}, []Rights{MethodExecute, FullWrite}},
		{"remote admin", remoteAdmin, "root/default", OwnerRights, nil, []Rights{Enable, WriteDAC}},
		{"user", localUser, "root/default", 0, nil, []Rights{Enable}},
	})
	// Enable is needed with every right: ReadControl alone is not enough
	// to get in.
	if err := a.SetSD("root/test", mustSD(t, "allow Administrators 0x6003F\nallow user:alice ReadControl"), localAdmin); err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(context.Background(), localUser, "root/test", ReadControl); err == nil {
		t.Error("ReadControl without Enable was allowed")
	}
}

func TestSetSDAppliesAtOnce(t *testing.T) {
	store := NewMemorySDStore()
	a := newAuthz(t, store)
	ctx := context.Background()
	if err := a.Authorize(ctx, localUser, "root/default", MethodExecute); err == nil {
		t.Fatal("allowed before the grant")
	}
	if err := a.SetSD("root/default", mustSD(t, "allow Administrators 0x6003F inherit\nallow user:alice 0x3"), localAdmin); err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(ctx, localUser, "root/default", MethodExecute); err != nil {
		t.Fatalf("refused right after the grant: %v", err)
	}
	if err := a.SetSD("root/default", mustSD(t, "allow Administrators 0x6003F inherit\nallow user:alice 0x1"), localAdmin); err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(ctx, localUser, "root/default", MethodExecute); err == nil {
		t.Fatal("allowed right after the revocation")
	}
	// A second authorizer over the same store starts from it.
	b := newAuthz(t, store)
	if got := b.AccessRights(localUser, "root/default"); got != Enable {
		t.Errorf("reloaded rights %s", got)
	}
	// Refusals.
	if err := a.SetSD("root/default", &SecurityDescriptor{}, localAdmin); !errors.Is(err, ErrEmptySD) {
		t.Errorf("empty descriptor: %v", err)
	}
	if err := a.SetSD("root/default", &SecurityDescriptor{ACEs: []ACE{{Type: Allow, Trustee: Everyone, Rights: 0x100}}}, localAdmin); err == nil {
		t.Error("invalid descriptor accepted")
	}
	if err := a.SetSD("", mustSD(t, "allow Everyone 1"), localAdmin); err == nil {
		t.Error("empty namespace accepted")
	}
	if got := a.AccessRights(localUser, "root/default"); got != Enable {
		t.Errorf("a refused SetSD changed the rights: %s", got)
	}
}

// failingStore fails every save.
type failingStore struct{ MemorySDStore }

func (*failingStore) SaveSD(string, string, string) error { return errors.New("disk full") }

func TestSetSDStoreFailure(t *testing.T) {
	a := newAuthz(t, &failingStore{MemorySDStore: *NewMemorySDStore()})
	if err := a.SetSD("root/default", mustSD(t, "allow Everyone 0x3"), localAdmin); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("SetSD = %v", err)
	}
	if got := a.AccessRights(localUser, "root/default"); got != 0 {
		t.Errorf("a descriptor that was not stored applies: %s", got)
	}
}

func TestRepositoryStore(t *testing.T) {
	repo := repository.NewMemory()
	store := NewRepositorySDStore(repo)
	a := newAuthz(t, store)
	if repo.HasNamespace(SecurityNamespace) {
		t.Fatal("root/security was created before any descriptor was set")
	}
	sd := mustSD(t, "allow Administrators 0x6003F inherit\nallow \"group:domain users\" Enable,MethodExecute inherit")
	if err := a.SetSD(`ROOT\Default`, sd, localAdmin); err != nil {
		t.Fatal(err)
	}
	insts, err := repo.Instances(SecurityNamespace, NamespaceSecurityClass, false)
	if err != nil || len(insts) != 1 {
		t.Fatalf("stored instances: %v, %v", insts, err)
	}
	i := insts[0]
	if i.Value("Name").Text() != "ROOT/Default" || i.Value("ModifiedBy").Text() != "root" || i.Value("Modified").IsNull() {
		t.Errorf("stored instance: %s", i.MOF())
	}
	if got, err := ParseSD(i.Value("SD").Text()); err != nil || !got.Equal(sd) {
		t.Errorf("stored SD %q: %v", i.Value("SD").Text(), err)
	}
	// Replace, then load in a new authorizer.
	if err := a.SetSD("root/default", mustSD(t, "allow Everyone 0x3"), localAdmin); err != nil {
		t.Fatal(err)
	}
	b := newAuthz(t, store)
	if got := b.AccessRights(localUser, "root/default"); got != Enable|MethodExecute {
		t.Errorf("reloaded: %s", got)
	}
	if insts, _ := repo.Instances(SecurityNamespace, NamespaceSecurityClass, false); len(insts) != 1 {
		t.Errorf("%d instances after replacing", len(insts))
	}
	// Remove.
	if err := b.SetSD("root/default", nil, localAdmin); err != nil {
		t.Fatal(err)
	}
	if insts, _ := repo.Instances(SecurityNamespace, NamespaceSecurityClass, false); len(insts) != 0 {
		t.Errorf("%d instances after removing", len(insts))
	}
	if err := b.SetSD("root/never-set", nil, localAdmin); err != nil {
		t.Errorf("removing a descriptor never set: %v", err)
	}
	if got := newAuthz(t, store).AccessRights(localUser, "root/default"); got != 0 {
		t.Errorf("after removal: %s", got)
	}
}

func TestRepositoryStoreFailsClosed(t *testing.T) {
	repo := repository.NewMemory()
	store := NewRepositorySDStore(repo)
	a := newAuthz(t, store)
	if err := a.SetSD("root/cimv2", mustSD(t, "allow Everyone 0x3"), localAdmin); err != nil {
		t.Fatal(err)
	}
	// Damage the stored text behind the store's back.
	err := repo.Update(func(tx *repository.Tx) error {
		c, err := tx.GetClass(SecurityNamespace, NamespaceSecurityClass)
		if err != nil {
			return err
		}
		i := cim.NewInstance(c)
		if err := i.Set("Name", cim.NewString("root/cimv2")); err != nil {
			return err
		}
		if err := i.Set("SD", cim.NewString("allow Everybody 0x3")); err != nil {
			return err
		}
		_, _, err = tx.PutInstance(SecurityNamespace, i)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The running authorizer still has what it set; Reload sees the
	// damage and fails closed.
	if got := a.AccessRights(localUser, "root/cimv2"); got != Enable|MethodExecute {
		t.Errorf("before Reload: %s", got)
	}
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	checkRights(t, a, []rightsCase{
		{"user", localUser, "root/cimv2", 0, nil, []Rights{Enable}},
		{"admin keeps owner rights", localAdmin, "root/cimv2", OwnerRights, []Rights{WriteDAC}, []Rights{MethodExecute}},
		{"children inherit nothing", localUser, "root/cimv2/x", 0, nil, []Rights{Enable}},
	})
}

func TestMethodRights(t *testing.T) {
	for class, want := range map[string]Rights{
		"__SystemSecurity":  Enable,
		"__systemsecurity":  Enable,
		"TestMeth":          MethodExecute,
		"__SystemSecurityX": MethodExecute,
		"":                  MethodExecute,
	} {
		if got := MethodRights(class); got != want {
			t.Errorf("MethodRights(%q) = %s, want %s", class, got, want)
		}
	}
}

func TestAuthorizeAllocations(t *testing.T) {
	a := newAuthz(t, nil)
	if err := a.SetSD("root/default", mustSD(t, "allow Administrators 0x6003F inherit\nallow group:staff 0x3 inherit"), localAdmin); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := testing.AllocsPerRun(1000, func() {
		if a.Authorize(ctx, localUser, "root/default/child", MethodExecute) != nil {
			t.Fatal("denied")
		}
		if a.Authorize(ctx, localAdmin, "root/cimv2", MethodExecute) != nil {
			t.Fatal("denied")
		}
	})
	if n != 0 {
		t.Errorf("Authorize allocates %.1f times per call", n)
	}
}

func BenchmarkAuthorize(b *testing.B) {
	a, err := NewNamespaceAuthorizer(NamespaceAuthorizerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if a.Authorize(ctx, localUser, "root/cimv2", MethodExecute) != nil {
			b.Fatal("denied")
		}
	}
}
