package win32process

import (
	"os"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/providers/internal/providertest"
)

// TestMOFCompiles compiles the module's MOF into a memory repository and
// checks the class hierarchy, the keys, the methods and the
// registration.
func TestMOFCompiles(t *testing.T) {
	r := providertest.Compile(t, &Module)
	providertest.CheckRegistration(t, r, &Module)
	c := providertest.Class(t, r, Namespace, ClassName)
	if got := c.Derivation; len(got) != 3 || got[0] != "CIM_Process" || got[1] != "CIM_LogicalElement" || got[2] != "CIM_ManagedSystemElement" {
		t.Errorf("derivation %v", got)
	}
	if !c.Qualifiers.Bool("Dynamic") || c.Qualifiers.Text("Provider") != ProviderName {
		t.Errorf("qualifiers %v", c.Qualifiers)
	}
	if keys := c.Keys(); len(keys) != 1 || keys[0].Name != "Handle" {
		t.Errorf("keys %v, want Handle alone", keys)
	}
	// Every property the provider fills exists with the type it uses
	// (fill ignores missing properties, so check here).
	want := map[string]string{
		"Handle": "string", "ProcessId": "uint32", "ParentProcessId": "uint32", "Name": "string",
		"Caption": "string", "Description": "string", "CommandLine": "string", "ExecutablePath": "string",
		"CreationDate": "datetime", "WorkingSetSize": "uint64", "ThreadCount": "uint32", "Priority": "uint32",
		"KernelModeTime": "uint64", "UserModeTime": "uint64", "VirtualSize": "uint64", "PageFaults": "uint32",
		"SessionId": "uint32", "Status": "string", "CSName": "string", "OSName": "string",
		"CreationClassName": "string", "CSCreationClassName": "string", "OSCreationClassName": "string",
		"InstallDate": "datetime", "ExecutionState": "uint16", "TerminationDate": "datetime",
	}
	for name, typ := range want {
		if p := c.Property(name); p == nil || p.TypeName() != typ {
			t.Errorf("property %s: %v, want %s", name, p, typ)
		}
	}
	if u := c.Property("KernelModeTime").Qualifiers.Text("Units"); u != "100 nanoseconds" {
		t.Errorf("KernelModeTime units %q", u)
	}
	create := c.Method("Create")
	providertest.CheckMethod(t, c, "Create", providertest.MethodSignature{
		Qualifiers: []string{"Static", "Constructor", "Implemented"},
		In:         []string{"CommandLine:string", "CurrentDirectory:string", "ProcessStartupInformation:object"},
		Out:        []string{"ProcessId:uint32", "ReturnValue:uint32"},
	})
	if got := create.Qualifiers.Strings("ValueMap"); len(got) != 7 || got[5] != "21" || got[6] != ".." {
		t.Errorf("Create ValueMap %v", got)
	}
	if got := create.Qualifiers.Strings("Privileges"); len(got) != 3 {
		t.Errorf("Create Privileges %v", got)
	}
	if emb := create.Parameter("ProcessStartupInformation").EmbeddedClass; emb != "Win32_ProcessStartup" {
		t.Errorf("ProcessStartupInformation embeds %q", emb)
	}
	providertest.CheckMethod(t, c, "Terminate", providertest.MethodSignature{
		Qualifiers: []string{"Destructor", "Implemented"},
		In:         []string{"Reason:uint32"}, Out: []string{"ReturnValue:uint32"},
	})
	providertest.CheckMethod(t, c, "GetOwner", providertest.MethodSignature{
		Qualifiers: []string{"Implemented"}, Out: []string{"User:string", "Domain:string", "ReturnValue:uint32"},
	})
	providertest.CheckMethod(t, c, "GetOwnerSid", providertest.MethodSignature{
		Qualifiers: []string{"Implemented"}, Out: []string{"Sid:string", "ReturnValue:uint32"},
	})
	startup := providertest.Class(t, r, Namespace, "Win32_ProcessStartup")
	if startup.IsAbstract() {
		t.Error("Win32_ProcessStartup must be concrete so that clients can spawn it")
	}
	if p := startup.Property("EnvironmentVariables"); p == nil || p.TypeName() != "string[]" {
		t.Errorf("EnvironmentVariables: %v", p)
	}
	if d := startup.Property("ErrorMode").Default; d.Uint64() != 1 {
		t.Errorf("ErrorMode default %v", d)
	}

	if !procSupported || !spawnSupported {
		return
	}
	// The provider works with the compiled classes: Create with an
	// embedded Win32_ProcessStartup, then the instance.
	p := New()
	dir := t.TempDir()
	si := cim.NewInstance(startup)
	if err := si.Set("EnvironmentVariables", cim.MustArray(cim.String, cim.NewString("X=compiled"))); err != nil {
		t.Fatal(err)
	}
	in := create.NewInParams()
	_ = in.Set("CommandLine", cim.NewString(`sh -c 'echo $X > x.txt'`))
	_ = in.Set("CurrentDirectory", cim.NewString(dir))
	if err := in.Set("ProcessStartupInformation", cim.NewObject(si)); err != nil {
		t.Fatal(err)
	}
	out := run(t, p, providertest.NewCall(Namespace, c, "Create", nil, in))
	if returnValue(out) != 0 {
		t.Fatalf("Create: %s", out.MOF())
	}
	waitFileContent(t, dir+"/x.txt", "compiled\n")
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
}
