package win32process

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/status"
)

// Values of the scoping properties, as WMI fills them.
const (
	csCreationClassName = "Win32_ComputerSystem"
	osCreationClassName = "Win32_OperatingSystem"
)

// GetInstance implements provider.InstanceProvider: the process whose
// Handle req.Path gives, or WBEM_E_NOT_FOUND.
func (p *Provider) GetInstance(ctx context.Context, req *provider.InstanceRequest) (*cim.Instance, error) {
	if req.Path == nil || !req.Path.IsInstance() {
		return nil, status.New(status.WBEM_E_INVALID_OBJECT_PATH, "GetInstance needs an instance path %s.Handle=\"<pid>\"", ClassName)
	}
	pid, err := pidFromPath(req.Path)
	if err != nil {
		return nil, err
	}
	newInst, err := instanceMaker(req)
	if err != nil {
		return nil, err
	}
	info, err := readProc(pid)
	switch {
	case errors.Is(err, errGone):
		return nil, status.New(status.WBEM_E_NOT_FOUND, "no process %d", pid)
	case err != nil:
		return nil, asStatus(err)
	}
	inst, err := fill(newInst, info, newHostInfo())
	if err != nil {
		return nil, err
	}
	// Keys other than Handle (the DMTF keys of CIM_Process, when the
	// class has them) must name this process too.
	for _, k := range req.Path.Keys {
		if k.Name == "" || strings.EqualFold(k.Name, "Handle") {
			continue
		}
		if v, ok := inst.Get(k.Name); !ok || !strings.EqualFold(v.Text(), k.Value.Text) {
			return nil, status.New(status.WBEM_E_NOT_FOUND, "no instance %s", req.Path.RelPath())
		}
	}
	return inst, nil
}

// EnumerateInstances implements provider.InstanceProvider: one instance
// per process in the process table, in no particular order. Processes
// that end during the enumeration are left out.
func (p *Provider) EnumerateInstances(ctx context.Context, req *provider.InstanceRequest, yield func(*cim.Instance) bool) error {
	newInst, err := instanceMaker(req)
	if err != nil {
		return err
	}
	pids, err := listPIDs()
	if err != nil {
		return asStatus(err)
	}
	host := newHostInfo()
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := readProc(pid)
		if errors.Is(err, errGone) {
			continue
		}
		if err != nil {
			return asStatus(err)
		}
		inst, err := fill(newInst, info, host)
		if err != nil {
			return err
		}
		if !yield(inst) {
			return nil
		}
	}
	return nil
}

// asStatus returns err unchanged when it is a WBEM status, else wrapped
// as WBEM_E_FAILED with its text.
func asStatus(err error) error {
	if isStatus(err) {
		return err
	}
	return status.New(status.WBEM_E_FAILED, "%s: reading the process table: %v", ProviderName, err)
}

// instanceMaker returns a function that creates empty Win32_Process
// instances for req: of req.Class when that is Win32_Process or a
// subclass, else (a request for a superclass such as CIM_Process) of
// Win32_Process as req.NewInstance gives it. Other classes are
// WBEM_E_INVALID_CLASS.
func instanceMaker(req *provider.InstanceRequest) (func() (*cim.Instance, error), error) {
	c := req.Class
	switch {
	case c != nil && c.IsA(ClassName):
		return func() (*cim.Instance, error) {
			inst := cim.NewInstance(c)
			inst.Namespace = req.Namespace
			return inst, nil
		}, nil
	case req.NewInstance != nil && (c == nil || isAncestor(c.Name)):
		return func() (*cim.Instance, error) { return req.NewInstance(ClassName) }, nil
	}
	name := "(none)"
	if c != nil {
		name = c.Name
	}
	return nil, status.New(status.WBEM_E_INVALID_CLASS, "%s serves %s, not %s", ProviderName, ClassName, name)
}

// isAncestor reports whether name is a superclass of Win32_Process.
func isAncestor(name string) bool {
	for _, a := range []string{"CIM_Process", "CIM_LogicalElement", "CIM_ManagedSystemElement"} {
		if strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}

// hostInfo holds the values shared by all instances of one request.
type hostInfo struct {
	csName, osName string
}

func newHostInfo() hostInfo {
	h := hostInfo{osName: osName()}
	h.csName, _ = os.Hostname()
	return h
}

// hundredNS converts a duration to WMI's 100-nanosecond units.
func hundredNS(d time.Duration) uint64 { return uint64(d / 100) }

// fill returns a new instance describing process info.
func fill(newInst func() (*cim.Instance, error), info procInfo, host hostInfo) (*cim.Instance, error) {
	inst, err := newInst()
	if err != nil {
		return nil, err
	}
	str := func(s string, ok bool) cim.Value {
		if !ok {
			return cim.Null(cim.String, false)
		}
		return cim.NewString(s)
	}
	values := []struct {
		name string
		v    cim.Value
	}{
		{"Handle", cim.NewString(strconv.FormatUint(uint64(info.PID), 10))},
		{"ProcessId", cim.NewUint32(info.PID)},
		{"ParentProcessId", cim.NewUint32(info.PPID)},
		{"Name", cim.NewString(info.Comm)},
		{"Caption", cim.NewString(info.Comm)},
		{"Description", cim.NewString(info.Comm)},
		{"CommandLine", str(info.CmdLine, info.HasCmdLine)},
		{"ExecutablePath", str(info.Exe, info.HasExe)},
		{"ThreadCount", cim.NewUint32(info.Threads)},
		{"Priority", cim.NewUint32(basePriority(info.Nice, info.RealTime))},
		{"ExecutionState", cim.NewUint16(executionState(info.State))},
		{"KernelModeTime", cim.NewUint64(hundredNS(info.KernelTime))},
		{"UserModeTime", cim.NewUint64(hundredNS(info.UserTime))},
		{"WorkingSetSize", cim.NewUint64(info.RSS)},
		{"VirtualSize", cim.NewUint64(info.VSize)},
		{"PageFaults", cim.NewUint32(uint32(min(info.Faults, 1<<32-1)))},
		{"SessionId", cim.NewUint32(info.Session)},
		{"CreationClassName", cim.NewString(ClassName)},
		{"CSCreationClassName", cim.NewString(csCreationClassName)},
		{"CSName", str(host.csName, host.csName != "")},
		{"OSCreationClassName", cim.NewString(osCreationClassName)},
		{"OSName", str(host.osName, host.osName != "")},
	}
	for _, nv := range values {
		if err := inst.Set(nv.name, nv.v); err != nil && status.Code(err) != status.WBEM_E_NOT_FOUND {
			// WBEM_E_NOT_FOUND: a reduced class without this property.
			return nil, err
		}
	}
	if !info.Start.IsZero() {
		if err := inst.Set("CreationDate", cim.NewTimestamp(info.Start)); err != nil && status.Code(err) != status.WBEM_E_NOT_FOUND {
			return nil, err
		}
	}
	return inst, nil
}
