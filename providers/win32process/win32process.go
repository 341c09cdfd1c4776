// Package win32process is the CIMWin32 provider of Win32_Process for
// namespace root/cimv2: WMI's reference method provider (WMI-METHODS.md
// §11) on Unix. It serves the live process table as Win32_Process
// instances, named like WMI's by process ID (Win32_Process.Handle="1234"),
// and the methods
//
//   - Create (static): starts a program without a shell, detached, as the
//     caller, and returns its process ID;
//   - Terminate: kills a process (SIGKILL);
//   - GetOwner and GetOwnerSid: the user who owns a process.
//
// Method outcomes are ReturnValue codes, as in WMI (ReturnSuccess,
// ReturnAccessDenied, ...); failures of the call itself (a process that
// does not exist, a platform without support) are WBEM status codes.
//
// The process table is read from /proc and is available on Linux only;
// elsewhere instance operations, Terminate and the owner methods fail
// with WBEM_E_NOT_SUPPORTED. Create works on every Unix system. README.md
// records the decisions that map WMI's Windows semantics onto Unix.
package win32process

import (
	"context"
	_ "embed"
	"os"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/internal/stdqual"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
)

// ProviderName is the provider name that the module's registration
// (__Win32Provider.Name) and Win32_Process's Provider qualifier use, as
// in WMI.
const ProviderName = "CIMWin32"

// Namespace is the namespace the module's MOF is compiled into.
const Namespace = "root/cimv2"

// ClassName is the class the provider serves.
const ClassName = "Win32_Process"

// Return codes of Create, Terminate, GetOwner and GetOwnerSid: the
// ReturnValue of the out-parameters (WMI-METHODS.md §11.2, DD-37).
const (
	// ReturnSuccess means the method did what was asked.
	ReturnSuccess uint32 = 0
	// ReturnAccessDenied means the caller may not do this, or the
	// operating system refused (EACCES, EPERM).
	ReturnAccessDenied uint32 = 2
	// ReturnInsufficientPrivilege means a required privilege is missing.
	// This provider does not enforce privileges and never returns it.
	ReturnInsufficientPrivilege uint32 = 3
	// ReturnUnknownFailure means any other failure.
	ReturnUnknownFailure uint32 = 8
	// ReturnPathNotFound means the program or the working directory does
	// not exist.
	ReturnPathNotFound uint32 = 9
	// ReturnInvalidParameter means a parameter is missing or malformed.
	ReturnInvalidParameter uint32 = 21
)

//go:embed win32process.mof
var classes []byte

// Module bundles the CIMWin32 provider: its registration name, the MOF
// (standard qualifiers, CIM_ManagedSystemElement, CIM_LogicalElement,
// CIM_Process, Win32_MethodParameterClass, Win32_ProcessStartup,
// Win32_Process and the provider registration) for namespace root/cimv2,
// and the factory.
var Module = provider.Module{
	Name:      ProviderName,
	Namespace: Namespace,
	MOFName:   "win32process.mof",
	MOF:       stdqual.Prepend(classes),
	New:       func() (any, error) { return New(), nil },
}

// Provider serves Win32_Process. It is safe for concurrent use. Create
// it with New.
type Provider struct {
	// serverUID is the effective user ID of the server.
	serverUID int
	// lookupAccount finds a local account by user ID (os/user; replaced
	// in tests).
	lookupAccount func(uid int) (account, error)
}

var (
	_ provider.MethodProvider   = (*Provider)(nil)
	_ provider.InstanceProvider = (*Provider)(nil)
)

// New returns a Win32_Process provider acting for the server's effective
// user.
func New() *Provider {
	return &Provider{serverUID: os.Geteuid(), lookupAccount: lookupAccount}
}

// ExecMethod implements provider.MethodProvider. Every method finishes
// before ExecMethod returns: Create returns once the new process has
// started, without waiting for it to end.
func (p *Provider) ExecMethod(ctx context.Context, call *provider.Call, sink provider.Sink) error {
	if call.Method == nil {
		return status.New(status.WBEM_E_INVALID_METHOD, "no method given")
	}
	var (
		out *cim.Instance
		err error
	)
	switch name := call.Method.Name; {
	case strings.EqualFold(name, "Create"):
		out, err = p.create(call)
	case strings.EqualFold(name, "Terminate"):
		out, err = p.terminate(call)
	case strings.EqualFold(name, "GetOwner"):
		out, err = p.getOwner(call)
	case strings.EqualFold(name, "GetOwnerSid"):
		out, err = p.getOwnerSid(call)
	default:
		return status.New(status.WBEM_E_INVALID_METHOD, "%s does not implement %s.%s", ProviderName, ClassName, name)
	}
	if err != nil {
		return err
	}
	if err := sink.Indicate(out); err != nil {
		return err
	}
	sink.SetStatus(nil)
	return nil
}

// newOut returns the out-parameters of call with ReturnValue rc.
func newOut(call *provider.Call, rc uint32) (*cim.Instance, error) {
	out, err := call.NewOut()
	if err != nil {
		return nil, err
	}
	return out, out.Set(cim.ReturnValueName, cim.NewUint32(rc))
}

// caller returns the identity of the call's caller; the server's own
// identity when the engine gave none.
func caller(call *provider.Call) *security.Identity {
	if call.Caller != nil {
		return call.Caller
	}
	return security.Process()
}
