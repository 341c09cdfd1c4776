// Package testmeth is the TestMeth method provider: the class and the
// Echo method of the WMI SDK's IWbemServices::ExecMethodAsync sample,
// served in namespace root/default. It is the smallest possible method
// provider and the target of gowbem's method-call throughput benchmark,
// so its one method is written to be lean: parameter positions are
// looked up once per signature class and cached, and each call allocates
// one out-parameters instance and nothing else.
//
// The class, as its MOF (testmeth.mof) declares it:
//
//	[Provider("TestMethProvider")]
//	class TestMeth {
//	    [Static, Implemented] uint32 Echo([In] string sInArg, [Out] string sOutArg);
//	};
//
// Echo copies sInArg to sOutArg and returns the length of sInArg in
// UTF-16 code units, which is what the sample's wcslen counts.
package testmeth

import (
	"context"
	_ "embed"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/internal/stdqual"
	"github.com/gowbem/gowbem/status"
)

// ProviderName is the provider name that TestMeth's registration
// (__Win32Provider.Name) and Provider qualifier use.
const ProviderName = "TestMethProvider"

// Namespace is the namespace the module's MOF is compiled into.
const Namespace = "root/default"

// ClassName is the name of the class the provider serves.
const ClassName = "TestMeth"

// Names of Echo and its parameters.
const (
	methodEcho = "Echo"
	paramIn    = "sInArg"
	paramOut   = "sOutArg"
)

//go:embed testmeth.mof
var classes []byte

// Module bundles the TestMeth provider: its registration name, the MOF
// (standard qualifiers, TestMeth, __Win32Provider and
// __MethodProviderRegistration) for namespace root/default, and the
// factory.
var Module = provider.Module{
	Name:      ProviderName,
	Namespace: Namespace,
	MOFName:   "testmeth.mof",
	MOF:       stdqual.Prepend(classes),
	New:       func() (any, error) { return New(), nil },
}

// Provider implements TestMeth.Echo. It is safe for concurrent use; the
// zero value is ready to use.
type Provider struct {
	// layout caches where Echo's parameters sit in the last seen in- and
	// out-signature classes.
	layout atomic.Pointer[layout]
}

var _ provider.MethodProvider = (*Provider)(nil)

// layout holds property indexes of Echo's parameters in one pair of
// signature classes. An index is -1 when the class lacks the property.
type layout struct {
	in, out     *cim.Class
	inArg       int
	outArg, ret int
}

// New returns a TestMeth provider.
func New() *Provider { return new(Provider) }

// ExecMethod implements provider.MethodProvider. It serves Echo and
// answers any other method with WBEM_E_INVALID_METHOD. The call is
// finished before ExecMethod returns.
func (p *Provider) ExecMethod(_ context.Context, call *provider.Call, sink provider.Sink) error {
	if call.Method == nil || !strings.EqualFold(call.Method.Name, methodEcho) {
		return status.New(status.WBEM_E_INVALID_METHOD, "class %s has no method %s served by %s",
			ClassName, methodName(call), ProviderName)
	}
	out, err := p.Echo(call)
	if err != nil {
		return err
	}
	if err := sink.Indicate(out); err != nil {
		return err
	}
	sink.SetStatus(nil)
	return nil
}

func methodName(call *provider.Call) string {
	if call.Method == nil {
		return "(none)"
	}
	return call.Method.Name
}

// Echo executes TestMeth.Echo for call and returns its out-parameters:
// sOutArg is a copy of the in-parameter sInArg and ReturnValue its length
// in UTF-16 code units (see UTF16Len). A NULL or missing sInArg gives a
// NULL sOutArg and ReturnValue 0. An sInArg that is not a string is
// WBEM_E_TYPE_MISMATCH.
func (p *Provider) Echo(call *provider.Call) (*cim.Instance, error) {
	sig := call.Method.OutSignature()
	if sig == nil {
		return nil, status.New(status.WBEM_E_INVALID_METHOD_PARAMETERS, "method %s declares no out-parameters", call.Method.Name)
	}
	l := p.layoutFor(call.In, sig)
	out := cim.NewInstance(sig)
	var arg cim.Value
	if l.inArg >= 0 {
		_, arg = call.In.At(l.inArg)
	}
	if arg.IsNull() {
		if l.ret >= 0 {
			if err := out.SetAt(l.ret, cim.NewUint32(0)); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if arg.Type() != cim.String || arg.IsArray() {
		return nil, status.New(status.WBEM_E_TYPE_MISMATCH, "%s is %s, want string", paramIn, arg.TypeName())
	}
	if l.outArg >= 0 {
		if err := out.SetAt(l.outArg, arg); err != nil {
			return nil, err
		}
	}
	if l.ret >= 0 {
		if err := out.SetAt(l.ret, cim.NewUint32(UTF16Len(arg.Text()))); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// layoutFor returns the parameter indexes for the class of in (nil when
// the client sent no in-parameters) and the out-signature out, computing
// and caching them when they differ from the cached ones.
func (p *Provider) layoutFor(in *cim.Instance, out *cim.Class) *layout {
	var inClass *cim.Class
	if in != nil {
		inClass = in.Class()
	}
	if l := p.layout.Load(); l != nil && l.in == inClass && l.out == out {
		return l
	}
	l := &layout{in: inClass, out: out, inArg: -1}
	if inClass != nil {
		l.inArg = inClass.PropertyIndex(paramIn)
	}
	l.outArg = out.PropertyIndex(paramOut)
	l.ret = out.PropertyIndex(cim.ReturnValueName)
	p.layout.Store(l)
	return l
}

// UTF16Len returns the length of s in UTF-16 code units, which is what
// wcslen returns for the same text on Windows: one unit per character of
// the Basic Multilingual Plane, two (a surrogate pair) for each character
// above U+FFFF. Each byte of s that is not part of valid UTF-8 counts as
// one unit, as it becomes one U+FFFD when the text is converted to
// UTF-16. The result saturates at the largest uint32.
func UTF16Len(s string) uint32 {
	n := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
		i += size
	}
	if uint64(n) > uint64(^uint32(0)) {
		return ^uint32(0)
	}
	return uint32(n)
}
