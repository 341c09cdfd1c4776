package testmeth

import (
	"context"
	"testing"
	"time"

	"github.com/gowbem/gowbem/providers/internal/providertest"
)

// TestMOFCompiles compiles the module's MOF into a memory repository and
// checks the class, the method and the registration, then serves Echo
// through the compiled class.
func TestMOFCompiles(t *testing.T) {
	r := providertest.Compile(t, &Module)
	providertest.CheckRegistration(t, r, &Module)
	c := providertest.Class(t, r, Namespace, ClassName)
	if got := c.Qualifiers.Text("Provider"); got != ProviderName {
		t.Errorf("Provider qualifier %q", got)
	}
	if c.Qualifiers.Bool("Dynamic") {
		t.Error("TestMeth has only a static method: it must not be Dynamic")
	}
	providertest.CheckMethod(t, c, "Echo", providertest.MethodSignature{
		Qualifiers: []string{"Static", "Implemented"},
		In:         []string{"sInArg:string"},
		Out:        []string{"sOutArg:string", "ReturnValue:uint32"},
	})
	out, _, err := providertest.Exec(context.Background(), New(), echoCall(t, c, ptr("héllo")), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if out.Value("sOutArg").Text() != "héllo" || out.Value("ReturnValue").Uint64() != 5 {
		t.Errorf("Echo through the compiled class: %s", out.MOF())
	}
}
