package win32process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/internal/providertest"
	"github.com/gowbem/gowbem/security"
)

func flag(name string) cim.Qualifier { return cim.Qualifier{Name: name, Value: cim.NewBool(true)} }

func prop(name string, t cim.Type, quals ...cim.Qualifier) *cim.Property {
	return &cim.Property{Name: name, Type: t, Qualifiers: quals}
}

func par(name string, t cim.Type, dir string) *cim.Parameter {
	return &cim.Parameter{Name: name, Type: t, Qualifiers: cim.Qualifiers{flag(dir)}}
}

// startupClass is Win32_ProcessStartup as win32process.mof declares it.
var startupClass = &cim.Class{
	Name: "Win32_ProcessStartup", SuperClass: "Win32_MethodParameterClass",
	Derivation: []string{"Win32_MethodParameterClass"},
	Properties: []*cim.Property{
		prop("CreateFlags", cim.Uint32),
		{Name: "EnvironmentVariables", Type: cim.String, IsArray: true},
		{Name: "ErrorMode", Type: cim.Uint16, Default: cim.NewUint16(1)},
		prop("FillAttribute", cim.Uint32), prop("PriorityClass", cim.Uint32),
		prop("ShowWindow", cim.Uint16), prop("Title", cim.String), prop("WinstationDesktop", cim.String),
		prop("X", cim.Uint32), prop("XCountChars", cim.Uint32), prop("XSize", cim.Uint32),
		prop("Y", cim.Uint32), prop("YCountChars", cim.Uint32), prop("YSize", cim.Uint32),
	},
}

// processClass is the resolved Win32_Process as win32process.mof
// declares it.
var processClass = func() *cim.Class {
	psi := par("ProcessStartupInformation", cim.Object, "In")
	psi.EmbeddedClass = "Win32_ProcessStartup"
	m := func(name string, static bool, params ...*cim.Parameter) *cim.Method {
		qs := cim.Qualifiers{flag("Implemented")}
		if static {
			qs = append(qs, flag("Static"))
		}
		return &cim.Method{Name: name, ReturnType: cim.Uint32, Qualifiers: qs, Parameters: params}
	}
	return &cim.Class{
		Name: ClassName, SuperClass: "CIM_Process", Namespace: Namespace,
		Derivation: []string{"CIM_Process", "CIM_LogicalElement", "CIM_ManagedSystemElement"},
		Qualifiers: cim.Qualifiers{flag("Dynamic"), {Name: "Provider", Value: cim.NewString(ProviderName)}},
		Properties: []*cim.Property{
			prop("Caption", cim.String), prop("Description", cim.String), prop("InstallDate", cim.DateTime),
			prop("Name", cim.String), prop("Status", cim.String),
			prop("CSCreationClassName", cim.String), prop("CSName", cim.String),
			prop("OSCreationClassName", cim.String), prop("OSName", cim.String),
			prop("CreationClassName", cim.String), prop("Handle", cim.String, flag("Key")),
			prop("Priority", cim.Uint32), prop("ExecutionState", cim.Uint16),
			prop("CreationDate", cim.DateTime), prop("TerminationDate", cim.DateTime),
			prop("KernelModeTime", cim.Uint64), prop("UserModeTime", cim.Uint64), prop("WorkingSetSize", cim.Uint64),
			prop("ProcessId", cim.Uint32), prop("ParentProcessId", cim.Uint32),
			prop("CommandLine", cim.String), prop("ExecutablePath", cim.String),
			prop("ThreadCount", cim.Uint32), prop("VirtualSize", cim.Uint64),
			prop("PageFaults", cim.Uint32), prop("SessionId", cim.Uint32),
		},
		Methods: []*cim.Method{
			m("Create", true, par("CommandLine", cim.String, "In"), par("CurrentDirectory", cim.String, "In"),
				psi, par("ProcessId", cim.Uint32, "Out")),
			m("Terminate", false, par("Reason", cim.Uint32, "In")),
			m("GetOwner", false, par("User", cim.String, "Out"), par("Domain", cim.String, "Out")),
			m("GetOwnerSid", false, par("Sid", cim.String, "Out")),
		},
	}
}()

func processPath(pid int) *cim.ObjectPath {
	return &cim.ObjectPath{Namespace: Namespace, Class: ClassName, Keys: []cim.KeyBinding{
		{Name: "Handle", Value: cim.KeyValue{Kind: cim.KeyString, Text: itoa(pid)}},
	}}
}

func itoa(n int) string { return cim.KeyValueOf(cim.NewSint64(int64(n))).Text }

// startupOpts describes a Win32_ProcessStartup; nil fields stay NULL.
type startupOpts struct {
	env           []string
	priorityClass *uint32
	createFlags   *uint32
}

func (o *startupOpts) instance(t *testing.T) *cim.Instance {
	t.Helper()
	inst := cim.NewInstance(startupClass)
	if o.env != nil {
		vs := make([]cim.Value, len(o.env))
		for i, e := range o.env {
			vs[i] = cim.NewString(e)
		}
		if err := inst.Set("EnvironmentVariables", cim.MustArray(cim.String, vs...)); err != nil {
			t.Fatal(err)
		}
	}
	if o.priorityClass != nil {
		_ = inst.Set("PriorityClass", cim.NewUint32(*o.priorityClass))
	}
	if o.createFlags != nil {
		_ = inst.Set("CreateFlags", cim.NewUint32(*o.createFlags))
	}
	return inst
}

func u32(n uint32) *uint32 { return &n }

// createArgs are the in-parameters of a Create call; nil means NULL.
type createArgs struct {
	cmd, dir *string
	startup  *startupOpts
	caller   *security.Identity
}

func str(s string) *string { return &s }

func run(t *testing.T, p *Provider, c *provider.Call) *cim.Instance {
	t.Helper()
	out, rec, err := providertest.Exec(context.Background(), p, c, 10*time.Second)
	if errors.Is(err, providertest.ErrTimeout) {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatalf("%s: %v", c.Method.Name, err)
	}
	if v := rec.Violations(); v != nil {
		t.Fatal(v)
	}
	return out
}

// create calls Win32_Process.Create and returns ReturnValue and
// ProcessId.
func create(t *testing.T, p *Provider, a createArgs) (uint32, cim.Value) {
	t.Helper()
	in := processClass.Method("Create").NewInParams()
	if a.cmd != nil {
		_ = in.Set("CommandLine", cim.NewString(*a.cmd))
	}
	if a.dir != nil {
		_ = in.Set("CurrentDirectory", cim.NewString(*a.dir))
	}
	if a.startup != nil {
		if err := in.Set("ProcessStartupInformation", cim.NewObject(a.startup.instance(t))); err != nil {
			t.Fatal(err)
		}
	}
	c := providertest.NewCall(Namespace, processClass, "Create", nil, in)
	if a.caller != nil {
		c.Caller = a.caller
	}
	out := run(t, p, c)
	rv := out.Value("ReturnValue")
	if rv.IsNull() || rv.Type() != cim.Uint32 {
		t.Fatalf("ReturnValue = %v", rv)
	}
	pid := out.Value("ProcessId")
	if pid.Type() != cim.Uint32 {
		t.Fatalf("ProcessId has type %s, want uint32 (also when NULL)", pid.TypeName())
	}
	if rv.Uint64() != 0 && !pid.IsNull() {
		t.Fatalf("failed Create (%d) returned ProcessId %v", rv.Uint64(), pid)
	}
	return uint32(rv.Uint64()), pid
}

// instanceCall calls an instance method of Win32_Process on pid.
func instanceCall(t *testing.T, p *Provider, method string, pid int, caller *security.Identity, args ...any) *cim.Instance {
	t.Helper()
	m := processClass.Method(method)
	in := m.NewInParams()
	for i := 0; i < len(args); i += 2 {
		v, err := cim.ValueOf(args[i+1])
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Set(args[i].(string), v); err != nil {
			t.Fatal(err)
		}
	}
	c := providertest.NewCall(Namespace, processClass, method, processPath(pid), in)
	if caller != nil {
		c.Caller = caller
	}
	return run(t, p, c)
}

func returnValue(out *cim.Instance) uint32 { return uint32(out.Value("ReturnValue").Uint64()) }

// waitFileContent polls until path holds want.
func waitFileContent(t *testing.T, path, want string) {
	t.Helper()
	err := providertest.CheckFor(10*time.Second, 10*time.Millisecond, func() error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if string(data) != want {
			return fmt.Errorf("%s holds %q, want %q", path, data, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
