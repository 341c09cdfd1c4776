// Package providers lists gowbem's built-in providers. Each lives in its
// own package with its MOF and a README: testmeth (TestMeth.Echo, the WMI
// SDK sample, in root/default), win32process (Win32_Process on the host
// OS, in root/cimv2), tstwidget (the TST_Widget conformance model, in
// root/test) and systemsecurity (__SystemSecurity: namespace security,
// which a server compiles into every namespace).
package providers

import (
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/systemsecurity"
	"github.com/gowbem/gowbem/providers/testmeth"
	"github.com/gowbem/gowbem/providers/tstwidget"
	"github.com/gowbem/gowbem/providers/win32process"
)

// BuiltIn returns the built-in provider modules, in compile order.
func BuiltIn() []provider.Module {
	return []provider.Module{testmeth.Module, win32process.Module, tstwidget.Module, systemsecurity.Module}
}
