package cim

import (
	"slices"
	"strings"

	"github.com/gowbem/gowbem/status"
)

// ParametersClass is the name of the WMI system class that in- and
// out-parameter objects are instances of.
const ParametersClass = "__PARAMETERS"

// ReturnValueName is the out-parameter property that holds a method's
// return value.
const ReturnValueName = "ReturnValue"

// paramIDFlavor is the flavor of the ID qualifier on signature properties:
// WMI reports 0x31 (to instance, not overridable, propagated).
const paramIDFlavor = FlavorToInstance | FlavorDisableOverride | FlavorRestricted

// InSignature returns the in-parameter class of the method (a class named
// __PARAMETERS with one property per input parameter, in ID order), or nil
// when the method has no input parameters (spec §5.1, §5.3). The result is
// built once and shared: do not modify it.
func (m *Method) InSignature() *Class {
	m.buildSignatures()
	return m.in
}

// OutSignature returns the out-parameter class: one property per output
// parameter in ID order, then ReturnValue unless the method is void. It is
// nil for a void method without output parameters.
func (m *Method) OutSignature() *Class {
	m.buildSignatures()
	return m.out
}

// OrderedParameters returns the parameters sorted by their ID qualifier;
// parameters without an ID keep declaration order after those with one.
func (m *Method) OrderedParameters() []*Parameter {
	ps := slices.Clone(m.Parameters)
	slices.SortStableFunc(ps, func(a, b *Parameter) int { return paramID(a) - paramID(b) })
	return ps
}

// paramID returns the ID qualifier of p, or a large number when absent.
func paramID(p *Parameter) int {
	if q := p.Qualifiers.Get("ID"); q != nil && !q.Value.IsNull() {
		return int(q.Value.Int64())
	}
	return 1 << 30
}

func (m *Method) buildSignatures() {
	m.sigOnce.Do(func() {
		var in, out []*Property
		for idx, p := range m.OrderedParameters() {
			id := paramID(p)
			if id == 1<<30 {
				id = idx
			}
			mk := func(dir string) *Property {
				qs := Qualifiers{{Name: dir, Value: NewBool(true), Flavor: FlavorDisableOverride}}
				qs = append(qs, Qualifier{Name: "ID", Value: NewSint32(int32(id)), Flavor: paramIDFlavor, Propagated: true})
				for _, q := range p.Qualifiers {
					switch strings.ToLower(q.Name) {
					case "in", "out", "id":
						continue
					}
					qs = append(qs, q)
				}
				return &Property{
					Name: p.Name, Type: p.Type, IsArray: p.IsArray, ArraySize: p.ArraySize,
					RefClass: p.RefClass, EmbeddedClass: p.EmbeddedClass, Qualifiers: qs,
					ClassOrigin: ParametersClass,
				}
			}
			if p.IsIn() {
				in = append(in, mk("In"))
			}
			if p.IsOut() {
				out = append(out, mk("Out"))
			}
		}
		if m.ReturnType != TypeNone {
			out = append(out, &Property{
				Name: ReturnValueName, Type: m.ReturnType, RefClass: m.ReturnRefClass,
				EmbeddedClass: m.ReturnEmbeddedClass, ClassOrigin: ParametersClass,
				Qualifiers: Qualifiers{{Name: "Out", Value: NewBool(true), Flavor: FlavorDisableOverride}},
			})
		}
		if len(in) > 0 {
			m.in = &Class{Name: ParametersClass, Properties: in}
		}
		if len(out) > 0 {
			m.out = &Class{Name: ParametersClass, Properties: out}
		}
	})
}

// NewOutParams returns a fresh out-parameter instance of the method with
// every property NULL, or an error when the method has no out-signature.
func (m *Method) NewOutParams() (*Instance, error) {
	sig := m.OutSignature()
	if sig == nil {
		return nil, status.New(status.WBEM_E_NOT_FOUND, "method %s has no out-parameters", m.Name)
	}
	return NewInstance(sig), nil
}

// NewInParams returns a fresh in-parameter instance of the method, with
// declared parameter defaults, or nil when the method takes no input.
func (m *Method) NewInParams() *Instance {
	sig := m.InSignature()
	if sig == nil {
		return nil
	}
	return NewInstance(sig)
}
