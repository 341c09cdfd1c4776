package systemsecurity

import (
	"testing"

	"github.com/gowbem/gowbem/providers/internal/providertest"
)

// TestMOFCompiles compiles the module's MOF and checks the class, its
// methods and the registration.
func TestMOFCompiles(t *testing.T) {
	r := providertest.Compile(t, &Module)
	providertest.CheckRegistration(t, r, &Module)
	c := providertest.Class(t, r, Namespace, ClassName)
	if got := c.Qualifiers.Text("Provider"); got != ProviderName {
		t.Errorf("Provider qualifier %q", got)
	}
	if !c.IsSingleton() || !c.Qualifiers.Bool("Dynamic") || c.SuperClass != "" {
		t.Errorf("class qualifiers %v, superclass %q", c.Qualifiers, c.SuperClass)
	}
	providertest.CheckMethod(t, c, MethodGetSD, providertest.MethodSignature{
		Qualifiers: []string{"Implemented"},
		Out:        []string{"SD:string", "ReturnValue:uint32"},
	})
	providertest.CheckMethod(t, c, MethodSetSD, providertest.MethodSignature{
		Qualifiers: []string{"Implemented"},
		In:         []string{"SD:string"},
		Out:        []string{"ReturnValue:uint32"},
	})
	providertest.CheckMethod(t, c, MethodGetCallerAccessRights, providertest.MethodSignature{
		Qualifiers: []string{"Implemented"},
		Out:        []string{"Rights:sint32", "ReturnValue:uint32"},
	})
	for _, m := range c.Methods {
		if m.IsStatic() {
			t.Errorf("%s is static; WMI calls it on __SystemSecurity=@", m.Name)
		}
	}
	regs, err := r.Instances(Namespace, "__InstanceProviderRegistration", false)
	if err != nil || len(regs) != 1 {
		t.Errorf("instance registrations: %v, %v", regs, err)
	}
}
