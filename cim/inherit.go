package cim

import (
	"slices"
	"strings"

	"github.com/gowbem/gowbem/status"
)

// Resolve builds the resolved form of the declared class decl, whose
// superclass super is already resolved (nil for a root class). The result
// holds the inherited properties and methods first, in the superclass's
// order, then the new local ones; a local feature with the name of an
// inherited one overrides it in place. Qualifiers propagate from the
// superclass and from overridden features according to their flavors
// (ToSubclass, not Restricted) and are marked Propagated.
//
// Errors: a superclass that does not match decl.SuperClass is
// WBEM_E_INVALID_SUPERCLASS; an override that changes a property's type
// is WBEM_E_UPDATE_TYPE_MISMATCH; an override that changes a method's
// signature is WBEM_E_UPDATE_PROPAGATED_METHOD; changing the value of a
// DisableOverride qualifier is WBEM_E_UPDATE_OVERRIDE_NOT_ALLOWED.
func Resolve(decl, super *Class) (*Class, error) {
	if (super == nil) != (decl.SuperClass == "") ||
		(super != nil && !strings.EqualFold(super.Name, decl.SuperClass)) {
		return nil, status.New(status.WBEM_E_INVALID_SUPERCLASS,
			"class %s: superclass %q not given", decl.Name, decl.SuperClass)
	}
	c := &Class{
		Name: decl.Name, SuperClass: decl.SuperClass,
		Namespace: decl.Namespace, Server: decl.Server,
	}
	if super == nil {
		c.Qualifiers = decl.Qualifiers.Clone()
		for _, p := range decl.Properties {
			np := p.Clone()
			np.ClassOrigin, np.Propagated = decl.Name, false
			c.Properties = append(c.Properties, np)
		}
		for _, m := range decl.Methods {
			nm := m.Clone()
			nm.ClassOrigin, nm.Propagated = decl.Name, false
			c.Methods = append(c.Methods, nm)
		}
		c.init()
		return c, nil
	}
	c.SuperClass = super.Name
	c.Derivation = append([]string{super.Name}, super.Derivation...)
	var err error
	if c.Qualifiers, err = mergeQualifiers(super.Qualifiers, decl.Qualifiers, decl.Name); err != nil {
		return nil, err
	}

	// Properties: inherited ones first, overridden in place.
	c.Properties = make([]*Property, 0, len(super.Properties)+len(decl.Properties))
	// Resolved classes are immutable, so inherited features are shallow
	// copies that share values with the superclass.
	for _, p := range super.Properties {
		np := *p
		np.Propagated = true
		np.Qualifiers = propagate(p.Qualifiers)
		c.Properties = append(c.Properties, &np)
	}
	for _, lp := range decl.Properties {
		idx := slices.IndexFunc(c.Properties, func(p *Property) bool { return strings.EqualFold(p.Name, lp.Name) })
		np := lp.Clone()
		np.ClassOrigin, np.Propagated = decl.Name, false
		if idx < 0 {
			c.Properties = append(c.Properties, np)
			continue
		}
		inh := super.Properties[idx]
		if inh.Type != lp.Type || inh.IsArray != lp.IsArray {
			return nil, status.New(status.WBEM_E_UPDATE_TYPE_MISMATCH,
				"class %s: property %s overrides %s %s with %s", decl.Name, lp.Name,
				inh.ClassOrigin, inh.TypeName(), lp.TypeName())
		}
		if np.Qualifiers, err = mergeQualifiers(inh.Qualifiers, lp.Qualifiers, decl.Name+"."+lp.Name); err != nil {
			return nil, err
		}
		if np.Default.IsNull() {
			np.Default = inh.Default.Clone()
		}
		if np.RefClass == "" {
			np.RefClass = inh.RefClass
		}
		if np.EmbeddedClass == "" {
			np.EmbeddedClass = inh.EmbeddedClass
		}
		c.Properties[idx] = np
	}

	// Methods likewise.
	c.Methods = make([]*Method, 0, len(super.Methods)+len(decl.Methods))
	for _, m := range super.Methods {
		nm := &Method{
			Name: m.Name, ReturnType: m.ReturnType, ReturnRefClass: m.ReturnRefClass,
			ReturnEmbeddedClass: m.ReturnEmbeddedClass, ClassOrigin: m.ClassOrigin,
			Propagated: true, Qualifiers: propagate(m.Qualifiers),
			Parameters: make([]*Parameter, len(m.Parameters)),
		}
		for i, p := range m.Parameters {
			np := *p
			np.Qualifiers = propagateKeep(p.Qualifiers)
			nm.Parameters[i] = &np
		}
		c.Methods = append(c.Methods, nm)
	}
	for _, lm := range decl.Methods {
		idx := slices.IndexFunc(c.Methods, func(m *Method) bool { return strings.EqualFold(m.Name, lm.Name) })
		nm := lm.Clone()
		nm.ClassOrigin, nm.Propagated = decl.Name, false
		if idx < 0 {
			c.Methods = append(c.Methods, nm)
			continue
		}
		inh := super.Methods[idx]
		if !sameSignature(inh, lm) {
			return nil, status.New(status.WBEM_E_UPDATE_PROPAGATED_METHOD,
				"class %s: method %s changes the signature declared in %s", decl.Name, lm.Name, inh.ClassOrigin)
		}
		if nm.Qualifiers, err = mergeQualifiers(inh.Qualifiers, lm.Qualifiers, decl.Name+"."+lm.Name); err != nil {
			return nil, err
		}
		c.Methods[idx] = nm
	}
	c.init()
	return c, nil
}

// sameSignature reports whether two declarations of a method agree on the
// return type and the parameters' names, types and array-ness.
func sameSignature(a, b *Method) bool {
	if a.ReturnType != b.ReturnType || len(a.Parameters) != len(b.Parameters) {
		return false
	}
	for i, p := range a.Parameters {
		q := b.Parameters[i]
		if !strings.EqualFold(p.Name, q.Name) || p.Type != q.Type || p.IsArray != q.IsArray {
			return false
		}
	}
	return true
}

// propagate returns the qualifiers of qs that flow to a subclass, marked
// Propagated.
func propagate(qs Qualifiers) Qualifiers {
	var out Qualifiers
	for _, q := range qs {
		if q.Flavor.ToSubclass() {
			q.Propagated = true
			out = append(out, q)
		}
	}
	return out
}

// propagateKeep marks every qualifier propagated (parameters of an
// inherited method keep their qualifiers: In/Out must survive).
func propagateKeep(qs Qualifiers) Qualifiers {
	out := append(Qualifiers(nil), qs...)
	for i := range out {
		out[i].Propagated = true
	}
	return out
}

// mergeQualifiers combines inherited qualifiers with local ones: local
// values replace inherited ones unless the inherited qualifier is
// DisableOverride and the value differs.
func mergeQualifiers(inherited, local Qualifiers, where string) (Qualifiers, error) {
	out := propagate(inherited)
	for _, q := range local {
		if iq := out.Get(q.Name); iq != nil {
			if !iq.Flavor.Overridable() && !Equal(iq.Value, q.Value) && !(q.Value.IsNull() && iq.Value.Bool()) {
				return nil, status.New(status.WBEM_E_UPDATE_OVERRIDE_NOT_ALLOWED,
					"%s: qualifier %s cannot be overridden", where, q.Name)
			}
		}
		q.Value = q.Value.Clone()
		q.Propagated = false
		out.Set(q)
	}
	return out, nil
}
