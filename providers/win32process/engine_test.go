//go:build linux

package win32process_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/providers/internal/providertest"
	"github.com/gowbem/gowbem/providers/win32process"
	"github.com/gowbem/gowbem/status"
)

// TestThroughEngine runs the observed Windows behaviour of §11 (T31-T34)
// through the engine, with the module's MOF compiled into a repository.
func TestThroughEngine(t *testing.T) {
	ctx := context.Background()
	e := providertest.Engine(t, &win32process.Module)
	svc := providertest.Services(ctx, t, e, win32process.Namespace)
	create := func(in *cim.Instance) *cim.Instance {
		t.Helper()
		out, err := svc.ExecMethod(ctx, "Win32_Process", "Create", in, nil)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		return out
	}
	rv := func(out *cim.Instance) uint64 { return out.Value("ReturnValue").Uint64() }

	// T31: spawned in-parameters with nothing set.
	c, err := svc.GetClass(ctx, "Win32_Process")
	if err != nil {
		t.Fatal(err)
	}
	if out := create(c.Method("Create").NewInParams()); rv(out) != 21 {
		t.Errorf("empty in-parameters: %s", out.MOF())
	}
	// T32: an unknown program; ProcessId NULL but typed.
	out := create(providertest.InParams(ctx, t, svc, "Win32_Process", "Create", "CommandLine", "unknown"))
	if pid := out.Value("ProcessId"); rv(out) != 9 || !pid.IsNull() || pid.Type() != cim.Uint32 {
		t.Errorf("unknown program: %s", out.MOF())
	}
	// T33: a valid command.
	out = create(providertest.InParams(ctx, t, svc, "Win32_Process", "Create", "CommandLine", "sleep 30"))
	pid := int(out.Value("ProcessId").Uint64())
	if rv(out) != 0 || pid == 0 {
		t.Fatalf("sleep 30: %s", out.MOF())
	}
	path := `Win32_Process.Handle="` + strconv.Itoa(pid) + `"`
	inst, err := svc.GetInstance(ctx, path)
	if err != nil || inst.Value("CommandLine").Text() != "sleep 30" || inst.Value("ParentProcessId").Uint64() != uint64(os.Getpid()) {
		t.Fatalf("GetInstance(%s): %v %v", path, inst, err)
	}
	// T34: GetOwner through a relative and a full path.
	host, _ := os.Hostname()
	for _, p := range []string{path, `\\` + host + `\ROOT\CIMV2:` + path} {
		out, err := svc.ExecMethod(ctx, p, "GetOwner", nil, nil)
		if err != nil || rv(out) != 0 || out.Value("User").IsNull() || out.Value("Domain").Text() != host {
			t.Errorf("GetOwner(%s): %v %v", p, out, err)
		}
	}
	out, err = svc.ExecMethod(ctx, path, "Terminate", providertest.InParams(ctx, t, svc, "Win32_Process", "Terminate", "Reason", uint32(1)), nil)
	if err != nil || rv(out) != 0 {
		t.Fatalf("Terminate: %v %v", out, err)
	}
	err = providertest.CheckFor(10*time.Second, 10*time.Millisecond, func() error {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			return errors.New("still there")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("process %d was not reaped: %v", pid, err)
	}
	// The process is gone: the engine's instance check fails first.
	if _, err := svc.ExecMethod(ctx, path, "GetOwner", nil, nil); status.Code(err) != status.WBEM_E_NOT_FOUND {
		t.Errorf("GetOwner of a gone process: %v", err)
	}
	insts, err := svc.EnumerateInstances(ctx, "Win32_Process", true)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, i := range insts {
		if i.Value("ProcessId").Uint64() == uint64(os.Getpid()) {
			found = true
		}
	}
	if !found {
		t.Errorf("the test process is not among %d processes", len(insts))
	}
}
