package repository

import (
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// systemClassesVersion is the version of the system class set below. Open
// reinstalls the set in every namespace when the stored version is older,
// so a newer gowbem can extend it.
const systemClassesVersion = 1

// The names of the system classes the repository treats specially.
const (
	// NamespaceClass is the class whose instances stand for the child
	// namespaces of a namespace. Its instances are not stored: they are
	// derived from the namespace table, and putting or deleting one creates
	// or deletes the namespace.
	NamespaceClass = "__Namespace"
	// SystemClass is the root of the WMI system classes.
	SystemClass = "__SystemClass"
)

// Qualifiers of the system classes.
var (
	qAbstract = cim.Qualifier{Name: "Abstract", Value: cim.NewBool(true), Flavor: cim.FlavorRestricted}
	qKey      = cim.Qualifier{Name: "Key", Value: cim.NewBool(true), Flavor: cim.FlavorDisableOverride}
)

func sysProp(name string, t cim.Type, quals ...cim.Qualifier) *cim.Property {
	return &cim.Property{Name: name, Type: t, Qualifiers: quals}
}

func sysDefault(name string, v cim.Value) *cim.Property {
	return &cim.Property{Name: name, Type: v.Type(), Default: v}
}

// systemClasses returns fresh declared forms of the WMI system classes
// that every namespace holds, superclasses first.
func systemClasses() []*cim.Class {
	str := func(name string) *cim.Property { return sysProp(name, cim.String) }
	boolean := func(name string) *cim.Property { return sysProp(name, cim.Boolean) }
	return []*cim.Class{
		{Name: SystemClass, Qualifiers: cim.Qualifiers{qAbstract}},
		{Name: cim.ParametersClass, SuperClass: SystemClass, Qualifiers: cim.Qualifiers{qAbstract}},
		{
			Name: "__NotifyStatus", SuperClass: SystemClass, Qualifiers: cim.Qualifiers{qAbstract},
			Properties: []*cim.Property{sysProp("StatusCode", cim.Uint32)},
		},
		{
			Name: "__ExtendedStatus", SuperClass: "__NotifyStatus",
			Properties: []*cim.Property{str("Description"), str("Operation"), str("ParameterInfo"), str("ProviderName")},
		},
		{
			Name: "__Provider", SuperClass: SystemClass, Qualifiers: cim.Qualifiers{qAbstract},
			Properties: []*cim.Property{sysProp("Name", cim.String, qKey)},
		},
		{
			Name: "__Win32Provider", SuperClass: "__Provider",
			Properties: []*cim.Property{
				str("CLSID"), str("ClientLoadableCLSID"), str("DefaultMachineName"), str("HostingModel"),
				sysDefault("ImpersonationLevel", cim.NewSint32(0)),
				sysDefault("InitializationReentrancy", cim.NewSint32(0)),
				sysProp("InitializationTimeoutInterval", cim.DateTime),
				boolean("InitializeAsAdminFirst"),
				sysProp("OperationTimeoutInterval", cim.DateTime),
				sysDefault("PerLocaleInitialization", cim.NewBool(false)),
				sysDefault("PerUserInitialization", cim.NewBool(false)),
				sysDefault("Pure", cim.NewBool(true)),
				boolean("Enabled"),
				sysProp("UnloadTimeout", cim.DateTime),
				sysProp("Version", cim.Uint32),
				str("SecurityDescriptor"),
				sysProp("Concurrency", cim.Sint32),
				boolean("SupportsExplicitShutdown"), boolean("SupportsExtendedStatus"),
				boolean("SupportsQuotas"), boolean("SupportsSendStatus"),
				boolean("SupportsShutdown"), boolean("SupportsThrottling"),
			},
		},
		{
			Name: "__ProviderRegistration", SuperClass: SystemClass, Qualifiers: cim.Qualifiers{qAbstract},
			Properties: []*cim.Property{{Name: "provider", Type: cim.Reference, RefClass: "__Provider", Qualifiers: cim.Qualifiers{qKey}}},
		},
		{Name: "__MethodProviderRegistration", SuperClass: "__ProviderRegistration"},
		{
			Name: "__ObjectProviderRegistration", SuperClass: "__ProviderRegistration", Qualifiers: cim.Qualifiers{qAbstract},
			Properties: []*cim.Property{
				sysDefault("InteractionType", cim.NewSint32(0)),
				{Name: "QuerySupportLevels", Type: cim.String, IsArray: true},
				sysDefault("SupportsBatching", cim.NewBool(false)),
				sysDefault("SupportsDelete", cim.NewBool(false)),
				sysDefault("SupportsEnumeration", cim.NewBool(false)),
				sysDefault("SupportsGet", cim.NewBool(false)),
				sysDefault("SupportsPut", cim.NewBool(false)),
				sysDefault("SupportsTransactions", cim.NewBool(false)),
			},
		},
		{Name: "__InstanceProviderRegistration", SuperClass: "__ObjectProviderRegistration"},
		{
			Name: NamespaceClass, SuperClass: SystemClass,
			Properties: []*cim.Property{sysProp("Name", cim.String, qKey)},
		},
	}
}

// systemClassNames holds the lower-cased names of the system classes; they
// cannot be replaced or deleted through the Tx API.
var systemClassNames = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range systemClasses() {
		m[strings.ToLower(c.Name)] = true
	}
	return m
}()

// IsSystemClass reports whether name is one of the system classes that
// the repository installs in every namespace (__SystemClass,
// __PARAMETERS, __NotifyStatus, __ExtendedStatus, __Provider,
// __Win32Provider, __ProviderRegistration, __MethodProviderRegistration,
// __ObjectProviderRegistration, __InstanceProviderRegistration,
// __Namespace).
func IsSystemClass(name string) bool { return systemClassNames[strings.ToLower(name)] }
