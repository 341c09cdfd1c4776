package cimtest

import (
	"os"
	"strconv"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

// --- builders for hand-made classes ---

// Q returns the boolean qualifier name with value TRUE ([Key], [Static]).
func Q(name string) cim.Qualifier { return cim.Qualifier{Name: name, Value: cim.NewBool(true)} }

// QS returns the string qualifier name(value) ([Provider("X")]).
func QS(name, value string) cim.Qualifier {
	return cim.Qualifier{Name: name, Value: cim.NewString(value)}
}

// Prop returns a property declaration.
func Prop(name string, t cim.Type, quals ...cim.Qualifier) *cim.Property {
	return &cim.Property{Name: name, Type: t, Qualifiers: quals}
}

// Key returns a key property declaration.
func Key(name string, t cim.Type) *cim.Property { return Prop(name, t, Q("Key")) }

// In returns an [In] parameter declaration.
func In(name string, t cim.Type) *cim.Parameter {
	return &cim.Parameter{Name: name, Type: t, Qualifiers: cim.Qualifiers{Q("In")}}
}

// InArray returns an [In] array parameter declaration.
func InArray(name string, t cim.Type) *cim.Parameter {
	p := In(name, t)
	p.IsArray = true
	return p
}

// Out returns an [Out] parameter declaration.
func Out(name string, t cim.Type) *cim.Parameter {
	return &cim.Parameter{Name: name, Type: t, Qualifiers: cim.Qualifiers{Q("Out")}}
}

// Method returns a method declaration; ret is cim.TypeNone for void.
func Method(name string, ret cim.Type, quals []cim.Qualifier, params ...*cim.Parameter) *cim.Method {
	return &cim.Method{Name: name, ReturnType: ret, Qualifiers: quals, Parameters: params}
}

// Quals is a shorthand for a qualifier list.
func Quals(qs ...cim.Qualifier) []cim.Qualifier { return qs }

// --- system classes and qualifiers ---

func systemClasses() []*cim.Class {
	abstract := cim.Qualifier{Name: "Abstract", Value: cim.NewBool(true), Flavor: cim.FlavorRestricted}
	key := cim.Qualifier{Name: "Key", Value: cim.NewBool(true), Flavor: cim.FlavorDisableOverride}
	str := func(n string) *cim.Property { return Prop(n, cim.String) }
	return []*cim.Class{
		{Name: "__SystemClass", Qualifiers: cim.Qualifiers{abstract}},
		{Name: cim.ParametersClass, SuperClass: "__SystemClass", Qualifiers: cim.Qualifiers{abstract}},
		{Name: "__NotifyStatus", SuperClass: "__SystemClass", Qualifiers: cim.Qualifiers{abstract},
			Properties: []*cim.Property{Prop("StatusCode", cim.Uint32)}},
		{Name: "__ExtendedStatus", SuperClass: "__NotifyStatus",
			Properties: []*cim.Property{str("Description"), str("Operation"), str("ParameterInfo"), str("ProviderName")}},
		{Name: "__Provider", SuperClass: "__SystemClass", Qualifiers: cim.Qualifiers{abstract},
			Properties: []*cim.Property{Prop("Name", cim.String, key)}},
		{Name: "__Win32Provider", SuperClass: "__Provider",
			Properties: []*cim.Property{str("CLSID"), str("HostingModel"), Prop("Enabled", cim.Boolean)}},
		{Name: "__ProviderRegistration", SuperClass: "__SystemClass", Qualifiers: cim.Qualifiers{abstract},
			Properties: []*cim.Property{{Name: "provider", Type: cim.Reference, RefClass: "__Provider", Qualifiers: cim.Qualifiers{key}}}},
		{Name: "__MethodProviderRegistration", SuperClass: "__ProviderRegistration"},
	}
}

func standardQualifiers() []*cim.QualifierDecl {
	b := func(name string, scopes cim.Scope) *cim.QualifierDecl {
		return &cim.QualifierDecl{Name: name, Type: cim.Boolean, Default: cim.NewBool(false), Scopes: scopes}
	}
	return []*cim.QualifierDecl{
		b("Abstract", cim.ScopeClass|cim.ScopeAssociation|cim.ScopeIndication),
		b("Key", cim.ScopeProperty|cim.ScopeReference),
		b("Static", cim.ScopeMethod|cim.ScopeProperty),
		b("Implemented", cim.ScopeMethod),
		b("Disabled", cim.ScopeMethod),
		b("Bypass_GetObject", cim.ScopeMethod),
		b("Singleton", cim.ScopeClass),
		b("In", cim.ScopeParameter),
		b("Out", cim.ScopeParameter),
		{Name: "ID", Type: cim.Sint32, Scopes: cim.ScopeParameter},
		{Name: "Provider", Type: cim.String, Scopes: cim.ScopeClass},
	}
}

// --- the test model ---

// Names of the test model that NewRepository installs.
const (
	// TestNamespace is the namespace of the test model.
	TestNamespace = "root/test"
	// OtherNamespace is a second, empty namespace.
	OtherNamespace = "root/other"

	// TestProvider serves TST_Widget, TST_Numbered, TST_Multi,
	// TST_Single, TST_Base and TST_Derived2.
	TestProvider = "TestProv"
	// DerivedProvider serves TST_Derived, whose methods override
	// TST_Base's.
	DerivedProvider = "DerivedProv"
	// AuxProvider serves TST_Aux.
	AuxProvider = "AuxProv"
	// ProcessProvider serves TST_Process (methods and instances).
	ProcessProvider = "ProcProv"
	// InitFailProvider is registered for TST_InitFail; tests give it a
	// provider whose Initialize fails.
	InitFailProvider = "InitFailProv"
	// DisabledProvider is registered with Enabled = FALSE (TST_Disabled).
	DisabledProvider = "DisabledProv"
	// GhostProvider is named by TST_Ghost but never registered.
	GhostProvider = "GhostProv"
)

// echoMethod is the Echo method of the WMI SDK sample:
// [Static, Implemented] uint32 Echo([In] string sInArg, [Out] string sOutArg).
func echoMethod() *cim.Method {
	return Method("Echo", cim.Uint32, Quals(Q("Static"), Q("Implemented")), In("sInArg", cim.String), Out("sOutArg", cim.String))
}

// describeMethod is an instance method: [Implemented] uint32
// Describe([In] string Prefix, [Out] string Text).
func describeMethod() *cim.Method {
	return Method("Describe", cim.Uint32, Quals(Q("Implemented")), In("Prefix", cim.String), Out("Text", cim.String))
}

// NewRepository returns an in-memory repository holding root, root/cimv2,
// root/other and the test model in root/test. The model, in MOF terms:
//
//	[Provider("TestProv")] class TST_Widget {
//	    [Key] string Name; uint32 Size;
//	    [Static, Implemented] uint32 Echo([In] string sInArg, [Out] string sOutArg);
//	    [Static, Implemented] uint32 Typed([In] uint32 U, [In] string S, [In] boolean B,
//	                                       [In] sint32 List[], [Out] uint32 UOut);
//	    [Static, Implemented] uint32 NoInput([Out] string Text);
//	    [Static, Implemented] void Nothing();
//	    [Implemented] uint32 Describe([In] string Prefix, [Out] string Text);
//	    [Static] uint32 NotImpl();
//	    [Static, Implemented, Disabled] uint32 Off();
//	};  // instances Name="w1" (Size 1), Name="w2" (Size 2)
//	[Provider("TestProv")] class TST_Numbered { [Key] uint32 Id; Describe; };  // Id=16
//	[Provider("TestProv")] class TST_Multi { [Key] string A; [Key] uint32 B; Describe; };  // A="x",B=1
//	[Provider("TestProv"), Singleton] class TST_Single { Describe; };  // TST_Single=@
//	[Provider("TestProv")] class TST_Base { [Key] string Name;
//	    [Implemented] string WhoAmI(); [Implemented, Bypass_GetObject] string WhoAmIBypass(); };  // "b1"
//	[Provider("DerivedProv")] class TST_Derived : TST_Base {
//	    [Implemented] string WhoAmI(); [Implemented] string WhoAmIBypass(); };  // "d1"
//	class TST_Derived2 : TST_Base { };  // "d2": inherits the implementation
//	class TST_NoProvider { Echo; };  // no Provider qualifier
//	[Provider("GhostProv")] class TST_Ghost { Echo; };  // provider never registered
//	[Provider("InitFailProv")] class TST_InitFail { Echo; };
//	[Provider("DisabledProv")] class TST_Disabled { Echo; };  // registration Enabled = FALSE
//	[Provider("AuxProv")] class TST_Aux { Echo; };
//	[Provider("ProcProv")] class TST_Process { [Key] string Handle;
//	    [Static, Implemented] uint32 Create([In] string CommandLine, [In] string CurrentDirectory,
//	                                        [Out] uint32 ProcessId);
//	    [Implemented] uint32 GetOwner([Out] string User, [Out] string Domain); };
//
// TestProv, DerivedProv, AuxProv, ProcProv and InitFailProv are registered
// (__Win32Provider + __MethodProviderRegistration) with their name as
// CLSID; DisabledProv is registered disabled.
func NewRepository(t testing.TB) *Repository {
	t.Helper()
	r := NewEmptyRepository(t)
	InstallModel(r)
	return r
}

// InstallModel adds root/other and the test model (see NewRepository) to r.
func InstallModel(r *Repository) {
	r.t.Helper()
	ns := TestNamespace
	r.AddNamespace(OtherNamespace)
	r.AddNamespace(ns)
	prov := func(name string) cim.Qualifiers { return cim.Qualifiers{QS("Provider", name)} }

	r.AddClass(ns, &cim.Class{
		Name: "TST_Widget", Qualifiers: prov(TestProvider),
		Properties: []*cim.Property{Key("Name", cim.String), Prop("Size", cim.Uint32)},
		Methods: []*cim.Method{
			echoMethod(),
			Method("Typed", cim.Uint32, Quals(Q("Static"), Q("Implemented")),
				In("U", cim.Uint32), In("S", cim.String), In("B", cim.Boolean), InArray("List", cim.Sint32), Out("UOut", cim.Uint32)),
			Method("NoInput", cim.Uint32, Quals(Q("Static"), Q("Implemented")), Out("Text", cim.String)),
			Method("Nothing", cim.TypeNone, Quals(Q("Static"), Q("Implemented"))),
			describeMethod(),
			Method("NotImpl", cim.Uint32, Quals(Q("Static"))),
			Method("Off", cim.Uint32, Quals(Q("Static"), Q("Implemented"), Q("Disabled"))),
		},
	})
	r.AddInstance(ns, "TST_Widget", map[string]any{"Name": "w1", "Size": uint32(1)})
	r.AddInstance(ns, "TST_Widget", map[string]any{"Name": "w2", "Size": uint32(2)})

	r.AddClass(ns, &cim.Class{Name: "TST_Numbered", Qualifiers: prov(TestProvider),
		Properties: []*cim.Property{Key("Id", cim.Uint32)}, Methods: []*cim.Method{describeMethod()}})
	r.AddInstance(ns, "TST_Numbered", map[string]any{"Id": uint32(16)})

	r.AddClass(ns, &cim.Class{Name: "TST_Multi", Qualifiers: prov(TestProvider),
		Properties: []*cim.Property{Key("A", cim.String), Key("B", cim.Uint32)}, Methods: []*cim.Method{describeMethod()}})
	r.AddInstance(ns, "TST_Multi", map[string]any{"A": "x", "B": uint32(1)})

	r.AddClass(ns, &cim.Class{Name: "TST_Single", Qualifiers: cim.Qualifiers{QS("Provider", TestProvider), Q("Singleton")},
		Properties: []*cim.Property{Prop("Note", cim.String)}, Methods: []*cim.Method{describeMethod()}})
	r.AddInstance(ns, "TST_Single", map[string]any{"Note": "only"})

	whoAmI := func(bypass bool) *cim.Method {
		name, qs := "WhoAmI", Quals(Q("Implemented"))
		if bypass {
			name = "WhoAmIBypass"
			qs = append(qs, Q("Bypass_GetObject"))
		}
		return Method(name, cim.String, qs)
	}
	r.AddClass(ns, &cim.Class{Name: "TST_Base", Qualifiers: prov(TestProvider),
		Properties: []*cim.Property{Key("Name", cim.String)}, Methods: []*cim.Method{whoAmI(false), whoAmI(true)}})
	r.AddClass(ns, &cim.Class{Name: "TST_Derived", SuperClass: "TST_Base", Qualifiers: prov(DerivedProvider),
		Methods: []*cim.Method{Method("WhoAmI", cim.String, Quals(Q("Implemented"))), Method("WhoAmIBypass", cim.String, Quals(Q("Implemented")))}})
	r.AddClass(ns, &cim.Class{Name: "TST_Derived2", SuperClass: "TST_Base"})
	r.AddInstance(ns, "TST_Base", map[string]any{"Name": "b1"})
	r.AddInstance(ns, "TST_Derived", map[string]any{"Name": "d1"})
	r.AddInstance(ns, "TST_Derived2", map[string]any{"Name": "d2"})

	r.AddClass(ns, &cim.Class{Name: "TST_NoProvider", Methods: []*cim.Method{echoMethod()}})
	for class, p := range map[string]string{
		"TST_Ghost": GhostProvider, "TST_InitFail": InitFailProvider,
		"TST_Disabled": DisabledProvider, "TST_Aux": AuxProvider,
	} {
		r.AddClass(ns, &cim.Class{Name: class, Qualifiers: prov(p), Methods: []*cim.Method{echoMethod()}})
	}

	r.AddClass(ns, &cim.Class{
		Name: "TST_Process", Qualifiers: prov(ProcessProvider),
		Properties: []*cim.Property{Key("Handle", cim.String), Prop("Name", cim.String)},
		Methods: []*cim.Method{
			Method("Create", cim.Uint32, Quals(Q("Static"), Q("Implemented")),
				In("CommandLine", cim.String), In("CurrentDirectory", cim.String), Out("ProcessId", cim.Uint32)),
			Method("GetOwner", cim.Uint32, Quals(Q("Implemented")), Out("User", cim.String), Out("Domain", cim.String)),
		},
	})

	for _, p := range []string{TestProvider, DerivedProvider, AuxProvider, ProcessProvider, InitFailProvider} {
		r.RegisterMethodProvider(ns, p, p)
	}
	r.RegisterDisabledProvider(ns, DisabledProvider)
}

// CurrentProcessHandle is the TST_Process key of the test process.
func CurrentProcessHandle() string { return strconv.Itoa(os.Getpid()) }
