package cimtest

import (
	"fmt"
	"testing"

	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/repository"
)

// ModelMOF is the core of the test model (see NewRepository) in MOF, for
// tests that run over the real repository and MOF compiler: the qualifier
// declarations it needs, TST_Widget (without Typed), TST_Numbered,
// TST_Base, TST_Derived, TST_Derived2, TST_Ghost and TST_Disabled, their
// static instances, and the registrations of TestProv and DerivedProv
// (DisabledProv registered with Enabled = FALSE).
const ModelMOF = `
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier Static : boolean = false, Scope(method, property);
Qualifier Implemented : boolean = false, Scope(method);
Qualifier Disabled : boolean = false, Scope(method);
Qualifier Bypass_GetObject : boolean = false, Scope(method);
Qualifier In : boolean = true, Scope(parameter);
Qualifier Out : boolean = false, Scope(parameter);
Qualifier Provider : string = null, Scope(class);

instance of __Win32Provider as $T { Name = "TestProv"; CLSID = "TestProv"; };
instance of __MethodProviderRegistration { Provider = $T; };
instance of __Win32Provider as $D { Name = "DerivedProv"; CLSID = "DerivedProv"; };
instance of __MethodProviderRegistration { Provider = $D; };
instance of __Win32Provider as $X { Name = "DisabledProv"; Enabled = FALSE; };
instance of __MethodProviderRegistration { Provider = $X; };

[Provider("TestProv")]
class TST_Widget {
	[Key] string Name;
	uint32 Size;
	[Static, Implemented] uint32 Echo([In] string sInArg, [Out] string sOutArg);
	[Static, Implemented] uint32 NoInput([Out] string Text);
	[Static, Implemented] void Nothing();
	[Implemented] uint32 Describe([In] string Prefix, [Out] string Text);
	[Static] uint32 NotImpl();
	[Static, Implemented, Disabled] uint32 Off();
};
instance of TST_Widget { Name = "w1"; Size = 1; };
instance of TST_Widget { Name = "w2"; Size = 2; };

[Provider("TestProv")]
class TST_Numbered {
	[Key] uint32 Id;
	[Implemented] uint32 Describe([In] string Prefix, [Out] string Text);
};
instance of TST_Numbered { Id = 16; };

[Provider("TestProv")]
class TST_Base {
	[Key] string Name;
	[Implemented] string WhoAmI();
	[Implemented, Bypass_GetObject] string WhoAmIBypass();
};
[Provider("DerivedProv")]
class TST_Derived : TST_Base {
	[Implemented] string WhoAmI();
	[Implemented] string WhoAmIBypass();
};
class TST_Derived2 : TST_Base {
};
instance of TST_Base { Name = "b1"; };
instance of TST_Derived { Name = "d1"; };
instance of TST_Derived2 { Name = "d2"; };

[Provider("GhostProv")]
class TST_Ghost {
	[Static, Implemented] uint32 Echo([In] string sInArg, [Out] string sOutArg);
};
[Provider("DisabledProv")]
class TST_Disabled {
	[Static, Implemented] uint32 Echo([In] string sInArg, [Out] string sOutArg);
};
`

// NewMOFRepository returns an in-memory repository (repository.NewMemory)
// with the MOF sources compiled into namespace ns, in order. It fails the
// test on a compilation error.
func NewMOFRepository(t testing.TB, ns string, sources ...string) *repository.Repository {
	t.Helper()
	r := repository.NewMemory()
	t.Cleanup(func() { _ = r.Close() })
	for i, src := range sources {
		if _, err := mof.CompileSource(r, fmt.Sprintf("source%d.mof", i), []byte(src), mof.CompileOptions{Namespace: ns}); err != nil {
			t.Fatalf("cimtest: compiling MOF source %d: %v", i, err)
		}
	}
	return r
}
