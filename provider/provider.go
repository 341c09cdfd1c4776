// Package provider is the provider SDK of gowbem: the small interfaces a
// method provider implements, the optional ones for instances and
// initialisation, and the Registry that binds Go providers to the names
// that MOF registrations (__Win32Provider, __MethodProviderRegistration)
// refer to.
//
// A provider sees a Call (the target, the method, the in-parameters, the
// caller) and a Sink. It delivers its out-parameters with Sink.Indicate
// and ends the call with Sink.SetStatus, either before returning from
// ExecMethod or later from any goroutine. The engine, not the provider,
// guarantees the sink contract to the client: exactly one final status,
// callbacks serialised, panics and missing statuses turned into the right
// codes.
package provider

import (
	"context"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// Call describes one method call as the provider sees it.
type Call struct {
	// Namespace is the namespace of the call ("root/cimv2").
	Namespace string
	// PathText is the object path exactly as the client gave it.
	PathText string
	// Path is the parsed target: a class path for static methods called
	// on the class, otherwise the instance path with keys in canonical
	// form.
	Path *cim.ObjectPath
	// Class is the class whose implementation is called (the class of the
	// target instance, or of the class path).
	Class *cim.Class
	// Method is the method's declaration in Class.
	Method *cim.Method
	// Target is the target instance for instance methods when the engine
	// fetched it (nil for static calls and Bypass_GetObject methods).
	Target *cim.Instance
	// In holds the in-parameters; nil when the client sent none. Read it
	// with In.Value(name), which returns NULL for missing parameters.
	In *cim.Instance
	// Flags are the call flags the provider may look at (FlagSendStatus).
	Flags int32
	// Context holds the client's named values, nil when none were given.
	Context *cim.NamedValues
	// Caller is the authenticated caller.
	Caller *security.Identity
	// Services lets the provider call back into the object manager, in the
	// same namespace, as the caller.
	Services wbem.Services
	// Host is the provider host the call runs in, for resource accounting.
	Host Host
}

// Host is the provider host (the isolation unit a provider runs in, WMI's
// WmiPrvSE). Providers account the memory they hold for calls with Alloc
// and Free; a host over its memory quota is stopped: its calls end with
// WBEM_E_QUOTA_VIOLATION and the next call starts a fresh host.
type Host interface {
	// Alloc accounts n bytes; it fails with WBEM_E_QUOTA_VIOLATION when
	// the host goes over its quota (and the host is then stopped).
	Alloc(n int64) error
	// Free returns n accounted bytes.
	Free(n int64)
}

// Arg returns in-parameter name, or NULL when the client did not send it.
func (c *Call) Arg(name string) cim.Value {
	if c.In == nil {
		return cim.Value{}
	}
	return c.In.Value(name)
}

// NewOut returns a fresh out-parameters instance of the called method with
// every property NULL. Methods without out-signature get an error.
func (c *Call) NewOut() (*cim.Instance, error) { return c.Method.NewOutParams() }

// WantsProgress reports whether the client asked for progress reports.
func (c *Call) WantsProgress() bool { return c.Flags&wbem.FlagSendStatus != 0 }

// Sink is where a provider sends results. It is safe to call from any
// goroutine, before or after ExecMethod returns. After the final
// SetStatus (or after the client cancelled) further calls are ignored.
type Sink interface {
	// Indicate delivers out-parameter objects to the client.
	Indicate(objs ...*cim.Instance) error
	// Progress reports progress; it is dropped unless the client asked for
	// it. current and total are the amount done and the whole.
	Progress(current, total uint16, message string) error
	// SetStatus ends the call: nil for success, otherwise an error whose
	// code (status.Code) is the final status; a *status.Error also
	// supplies the extended error fields.
	SetStatus(err error)
}

// MethodProvider executes methods. ExecMethod may finish the call before
// it returns, or return nil and finish it later through the sink (from
// another goroutine). Returning an error without having called SetStatus
// ends the call with that error. ctx is cancelled when the client cancels,
// the call's deadline passes or the server shuts down.
type MethodProvider interface {
	ExecMethod(ctx context.Context, call *Call, sink Sink) error
}

// MethodProviderFunc adapts a function to MethodProvider.
type MethodProviderFunc func(ctx context.Context, call *Call, sink Sink) error

// ExecMethod calls f.
func (f MethodProviderFunc) ExecMethod(ctx context.Context, call *Call, sink Sink) error {
	return f(ctx, call, sink)
}

// Returning adapts a synchronous function that returns the out-parameters
// (nil when there are none) to MethodProvider.
func Returning(f func(ctx context.Context, call *Call) (*cim.Instance, error)) MethodProvider {
	return MethodProviderFunc(func(ctx context.Context, call *Call, sink Sink) error {
		out, err := f(ctx, call)
		if err != nil {
			return err
		}
		if out != nil {
			if err := sink.Indicate(out); err != nil {
				return err
			}
		}
		sink.SetStatus(nil)
		return nil
	})
}

// InstanceProvider serves the instances of dynamic classes, so that
// instance paths can be checked and instance methods called.
type InstanceProvider interface {
	// GetInstance returns the instance at path (keys in canonical form),
	// or an error with WBEM_E_NOT_FOUND.
	GetInstance(ctx context.Context, req *InstanceRequest) (*cim.Instance, error)
	// EnumerateInstances calls yield for each instance of req.Class until
	// yield returns false.
	EnumerateInstances(ctx context.Context, req *InstanceRequest, yield func(*cim.Instance) bool) error
}

// InstanceRequest describes a get or enumerate request.
type InstanceRequest struct {
	Namespace string
	// Class is the class asked for; Path is set for GetInstance.
	Class *cim.Class
	Path  *cim.ObjectPath
	// Caller is the authenticated caller.
	Caller *security.Identity
	// Services lets the provider call back into the object manager.
	Services wbem.Services
	// NewInstance returns an empty instance of a class of the namespace,
	// located in it (Namespace and Server set).
	NewInstance func(className string) (*cim.Instance, error)
}

// Initializer is implemented by providers that need setting up before
// their first call in a namespace. An error makes calls fail with
// WBEM_E_INITIALIZATION_FAILURE.
type Initializer interface {
	Initialize(ctx context.Context, info *InitInfo) error
}

// InitInfo is what Initialize receives.
type InitInfo struct {
	// Name is the provider's registered name; Namespace the namespace it
	// is loaded in.
	Name      string
	Namespace string
	// Services give the provider access to the namespace, as the server.
	Services wbem.Services
}

// Closer is implemented by providers that hold resources to release when
// the server shuts down.
type Closer interface {
	Close() error
}

// NotCapable is the error for operations a provider does not support.
var NotCapable = status.WBEM_E_PROVIDER_NOT_CAPABLE
