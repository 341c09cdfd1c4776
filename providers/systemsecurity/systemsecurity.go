// Package systemsecurity is the __SystemSecurity provider: WMI's
// per-namespace singleton through which clients read and change the
// namespace security descriptor and ask which rights they have (spec
// §10.1). It is a thin layer over the object manager's Authorizer:
//
//	[Singleton, Dynamic, Provider("SystemSecurityProvider")]
//	class __SystemSecurity {
//	    [Implemented] uint32 GetSD([Out] string SD);
//	    [Implemented] uint32 SetSD([In] string SD);
//	    [Implemented] uint32 GetCallerAccessRights([Out] sint32 Rights);
//	};
//
// Every caller with Enable on the namespace may call the methods (the
// object manager asks for Enable rather than MethodExecute for this
// class, security.MethodRights); the provider then checks ReadControl for
// GetSD and WriteDAC for SetSD with the Authorizer itself. The
// descriptors travel in the text form of security.SecurityDescriptor
// (SetSD also takes JSON). See README.md.
package systemsecurity

import (
	"context"
	_ "embed"
	"errors"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/internal/stdqual"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// ProviderName is the provider name that the registration
// (__Win32Provider.Name) and the Provider qualifier use.
const ProviderName = "SystemSecurityProvider"

// ClassName is the class the provider serves.
const ClassName = security.SystemSecurityClass

// Namespace is the namespace Module names. WMI has __SystemSecurity in
// every namespace, and so should a server: it compiles the module's MOF
// into each of its namespaces (see README.md); Namespace is where the MOF
// goes when it is compiled into one only.
const Namespace = "root/cimv2"

// Names of the methods and their parameters.
const (
	MethodGetSD                 = "GetSD"
	MethodSetSD                 = "SetSD"
	MethodGetCallerAccessRights = "GetCallerAccessRights"
	ParamSD                     = "SD"
	ParamRights                 = "Rights"
)

//go:embed systemsecurity.mof
var classes []byte

// Module bundles the provider: its registration name, the MOF (standard
// qualifiers, __SystemSecurity, __Win32Provider and the instance and
// method registrations) and the factory.
var Module = provider.Module{
	Name:      ProviderName,
	Namespace: Namespace,
	MOFName:   "systemsecurity.mof",
	MOF:       stdqual.Prepend(classes),
	New:       func() (any, error) { return New(), nil },
}

// Provider serves __SystemSecurity. It keeps no state: the descriptors
// belong to the object manager's Authorizer, which it reaches through the
// call's Services. It is safe for concurrent use.
type Provider struct{}

var (
	_ provider.MethodProvider   = (*Provider)(nil)
	_ provider.InstanceProvider = (*Provider)(nil)
)

// New returns a provider.
func New() *Provider { return &Provider{} }

// AuthorizerSource is what the provider needs from the Services of a call
// to find the object manager's Authorizer; the engine's Services
// implement it. A Services without it, or a nil Authorizer, means that
// the object manager does not check rights.
type AuthorizerSource interface {
	Authorizer() security.Authorizer
}

// DescriptorManager is an Authorizer that keeps namespace security
// descriptors; *security.NamespaceAuthorizer implements it. GetSD and
// SetSD need one; GetCallerAccessRights uses AccessRights when there is
// one and probes Authorize right by right otherwise.
type DescriptorManager interface {
	security.Authorizer
	AccessRights(id *security.Identity, ns string) security.Rights
	Effective(ns string) *security.EffectiveSD
	SetSD(ns string, sd *security.SecurityDescriptor, by *security.Identity) error
}

var _ DescriptorManager = (*security.NamespaceAuthorizer)(nil)

// authorizerOf returns the Authorizer behind svc, or nil.
func authorizerOf(svc wbem.Services) security.Authorizer {
	if s, ok := svc.(AuthorizerSource); ok {
		return s.Authorizer()
	}
	return nil
}

// ExecMethod implements provider.MethodProvider. The call finishes before
// ExecMethod returns.
func (p *Provider) ExecMethod(ctx context.Context, call *provider.Call, sink provider.Sink) error {
	authz := authorizerOf(call.Services)
	var name string
	if call.Method != nil {
		name = call.Method.Name
	}
	var (
		out *cim.Instance
		err error
	)
	switch {
	case strings.EqualFold(name, MethodGetCallerAccessRights):
		out, err = p.getCallerAccessRights(ctx, authz, call)
	case strings.EqualFold(name, MethodGetSD):
		out, err = p.getSD(ctx, authz, call)
	case strings.EqualFold(name, MethodSetSD):
		out, err = p.setSD(ctx, authz, call)
	default:
		return status.New(status.WBEM_E_INVALID_METHOD, "class %s has no method %s served by %s", ClassName, name, ProviderName)
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

// CallerRights returns the rights of the caller on namespace ns under
// authz: AccessRights for a DescriptorManager; else every right Authorize
// allows, probed one by one; every known right when authz is nil.
func CallerRights(ctx context.Context, authz security.Authorizer, id *security.Identity, ns string) security.Rights {
	switch a := authz.(type) {
	case nil:
		return security.KnownRights
	case DescriptorManager:
		return a.AccessRights(id, ns)
	}
	var r security.Rights
	for bit := security.Rights(1); bit != 0 && bit <= security.KnownRights; bit <<= 1 {
		if bit&security.KnownRights != 0 && authz.Authorize(ctx, id, ns, bit) == nil {
			r |= bit
		}
	}
	return r
}

// getCallerAccessRights: the caller's rights, for any caller the object
// manager let in (Enable).
func (p *Provider) getCallerAccessRights(ctx context.Context, authz security.Authorizer, call *provider.Call) (*cim.Instance, error) {
	r := CallerRights(ctx, authz, call.Caller, call.Namespace)
	return output(call, ParamRights, cim.NewSint32(int32(r)))
}

// manager returns the DescriptorManager behind authz, after checking that
// the caller has right on the call's namespace.
func manager(ctx context.Context, authz security.Authorizer, call *provider.Call, right security.Rights) (DescriptorManager, error) {
	if authz == nil {
		return nil, status.New(status.WBEM_E_NOT_SUPPORTED, "this object manager does not check namespace rights; there is no security descriptor to read or change")
	}
	if err := authz.Authorize(ctx, call.Caller, call.Namespace, right); err != nil {
		return nil, err
	}
	m, ok := authz.(DescriptorManager)
	if !ok {
		return nil, status.New(status.WBEM_E_NOT_SUPPORTED, "the object manager's authorizer keeps no namespace security descriptors")
	}
	return m, nil
}

// getSD returns the descriptor that applies to the namespace; it needs
// ReadControl.
func (p *Provider) getSD(ctx context.Context, authz security.Authorizer, call *provider.Call) (*cim.Instance, error) {
	m, err := manager(ctx, authz, call, security.ReadControl)
	if err != nil {
		return nil, err
	}
	return output(call, ParamSD, cim.NewString(m.Effective(call.Namespace).String()))
}

// setSD sets or removes the namespace's descriptor; it needs WriteDAC.
func (p *Provider) setSD(ctx context.Context, authz security.Authorizer, call *provider.Call) (*cim.Instance, error) {
	m, err := manager(ctx, authz, call, security.WriteDAC)
	if err != nil {
		return nil, err
	}
	arg := call.Arg(ParamSD)
	var sd *security.SecurityDescriptor
	if !arg.IsNull() {
		if arg.Type() != cim.String || arg.IsArray() {
			return nil, status.New(status.WBEM_E_TYPE_MISMATCH, "%s is %s, want string", ParamSD, arg.TypeName())
		}
		sd, err = security.ParseSDAny(arg.Text())
		if err != nil {
			return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "%s: %v", ParamSD, err)
		}
		if len(sd.ACEs) == 0 {
			return nil, status.New(status.WBEM_E_INVALID_PARAMETER,
				"%s has no ACEs; to remove the namespace's descriptor, call SetSD with SD NULL", ParamSD)
		}
	}
	if err := m.SetSD(call.Namespace, sd, call.Caller); err != nil {
		if errors.Is(err, security.ErrEmptySD) {
			return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "%s: %v", ParamSD, err)
		}
		return nil, status.New(status.WBEM_E_FAILED, "setting the security descriptor of %s: %v", call.Namespace, err)
	}
	return output(call, "", cim.Value{})
}

// output returns the out-parameters of call with ReturnValue 0 and name
// set to v (when name is not empty).
func output(call *provider.Call, name string, v cim.Value) (*cim.Instance, error) {
	out, err := call.NewOut()
	if err != nil {
		return nil, err
	}
	if err := out.Set(cim.ReturnValueName, cim.NewUint32(0)); err != nil {
		return nil, err
	}
	if name != "" {
		if err := out.Set(name, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GetInstance implements provider.InstanceProvider: the singleton
// __SystemSecurity=@ exists in every namespace the class is in.
func (p *Provider) GetInstance(_ context.Context, req *provider.InstanceRequest) (*cim.Instance, error) {
	if req.Path == nil || !req.Path.Singleton || !strings.EqualFold(req.Path.Class, ClassName) {
		return nil, status.New(status.WBEM_E_NOT_FOUND, "the only instance of %s is %s=@", ClassName, ClassName)
	}
	return req.NewInstance(ClassName)
}

// EnumerateInstances implements provider.InstanceProvider: the singleton.
func (p *Provider) EnumerateInstances(_ context.Context, req *provider.InstanceRequest, yield func(*cim.Instance) bool) error {
	if req.Class == nil || !strings.EqualFold(req.Class.Name, ClassName) {
		return nil
	}
	i, err := req.NewInstance(ClassName)
	if err != nil {
		return err
	}
	yield(i)
	return nil
}
