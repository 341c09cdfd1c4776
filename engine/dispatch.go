package engine

import (
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// dispatchKey identifies a method of a class in a namespace, with names
// spelled as the caller spelled them (a second spelling gets its own
// entry, so look-ups never allocate).
type dispatchKey struct{ ns, class, method string }

// dispatchEntry is the cached resolution of a method call on a class:
// spec §13.1 steps 6, 7, 10 (Implemented walk) and 11 (provider name).
type dispatchEntry struct {
	class  *cim.Class
	method *cim.Method
	// err is the resolution failure to report, if any (method unknown,
	// disabled, not implemented, provider not found).
	err error
	// impl is the class whose Implemented method runs; host its provider.
	impl *cim.Class
	host *host
	// bypass is the method's Bypass_GetObject qualifier.
	bypass bool
}

// resolveDispatch returns the dispatch entry for class.method in ns,
// from the cache when possible. A missing class is WBEM_E_INVALID_CLASS
// (not cached, so a class compiled later is found).
func (e *Engine) resolveDispatch(ns, className, method string) (*dispatchEntry, error) {
	k := dispatchKey{ns, className, method}
	if v, ok := e.dispatch.Load(k); ok {
		return v.(*dispatchEntry), nil
	}
	class, err := e.repo.GetClass(ns, className)
	if err != nil {
		if status.Code(err) == status.WBEM_E_INVALID_NAMESPACE {
			return nil, err
		}
		return nil, status.New(status.WBEM_E_INVALID_CLASS, "class %s does not exist in %s", className, ns)
	}
	ent := &dispatchEntry{class: class}
	ent.method = class.Method(method)
	switch {
	case ent.method == nil:
		ent.err = status.New(status.WBEM_E_INVALID_METHOD, "class %s has no method %s", class.Name, method)
	case ent.method.Qualifiers.Bool("Disabled"):
		ent.err = status.New(status.WBEM_E_METHOD_DISABLED, "method %s.%s is disabled", class.Name, ent.method.Name)
	default:
		ent.bypass = ent.method.Qualifiers.Bool("Bypass_GetObject")
		ent.impl, ent.err = e.implementingClass(ns, class, ent.method.Name)
		if ent.err == nil {
			name := ent.impl.Qualifiers.Text("Provider")
			if name == "" {
				ent.err = status.New(status.WBEM_E_PROVIDER_NOT_FOUND, "class %s names no provider", ent.impl.Name)
			} else {
				ent.host = e.hostFor(ns, name)
			}
		}
	}
	e.dispatch.Store(k, ent)
	return ent, nil
}

// implementingClass walks from class up the derivation chain to the first
// class that declares method with its own Implemented qualifier (spec
// §5.2, §13.1 step 10).
func (e *Engine) implementingClass(ns string, class *cim.Class, method string) (*cim.Class, error) {
	for c := class; c != nil; {
		m := c.Method(method)
		if m == nil {
			break
		}
		if q := m.Qualifiers.Get("Implemented"); q != nil && !q.Propagated && m.Qualifiers.Bool("Implemented") {
			return c, nil
		}
		if c.SuperClass == "" {
			break
		}
		super, err := e.repo.GetClass(ns, c.SuperClass)
		if err != nil {
			return nil, status.New(status.WBEM_E_INVALID_CLASS, "superclass %s of %s is missing", c.SuperClass, c.Name)
		}
		c = super
	}
	return nil, status.New(status.WBEM_E_METHOD_NOT_IMPLEMENTED,
		"method %s.%s has no implementation ([Implemented]) in its class chain", class.Name, method)
}

// normalizeKeys checks an instance path's keys against the class (P6,
// P7) and returns the path with key names spelled as declared and values
// in canonical form. A class path is returned unchanged.
func normalizeKeys(class *cim.Class, p *cim.ObjectPath) (*cim.ObjectPath, error) {
	bad := func(format string, args ...any) error {
		return status.New(status.WBEM_E_INVALID_OBJECT_PATH, format, args...)
	}
	if p.Singleton {
		if !class.IsSingleton() {
			return nil, bad("class %s is not a singleton", class.Name)
		}
		return p, nil
	}
	if len(p.Keys) == 0 {
		return p, nil
	}
	keys := class.Keys()
	if len(keys) == 0 {
		return nil, bad("class %s has no key properties", class.Name)
	}
	out := &cim.ObjectPath{Server: p.Server, Namespace: p.Namespace, Class: class.Name, Keys: make([]cim.KeyBinding, 0, len(keys))}
	if len(p.Keys) == 1 && p.Keys[0].Name == "" {
		if len(keys) != 1 {
			return nil, bad("class %s has %d keys; the unnamed key form needs exactly one", class.Name, len(keys))
		}
		v, err := typedKey(keys[0], p.Keys[0].Value)
		if err != nil {
			return nil, err
		}
		out.Keys = append(out.Keys, cim.KeyBinding{Name: keys[0].Name, Value: v})
		return out, nil
	}
	if len(p.Keys) != len(keys) {
		return nil, bad("path has %d keys, class %s has %d", len(p.Keys), class.Name, len(keys))
	}
	for _, k := range keys {
		var found *cim.KeyBinding
		for i := range p.Keys {
			if strings.EqualFold(p.Keys[i].Name, k.Name) {
				if found != nil {
					return nil, bad("key %s given twice", k.Name)
				}
				found = &p.Keys[i]
			}
		}
		if found == nil {
			return nil, bad("key %s of class %s is missing", k.Name, class.Name)
		}
		v, err := typedKey(k, found.Value)
		if err != nil {
			return nil, err
		}
		out.Keys = append(out.Keys, cim.KeyBinding{Name: k.Name, Value: v})
	}
	return out, nil
}

// typedKey converts an untyped key literal to the key property's type and
// back to its canonical literal (P7).
func typedKey(k *cim.Property, kv cim.KeyValue) (cim.KeyValue, error) {
	if k.Type == cim.String {
		return cim.KeyValue{Kind: cim.KeyString, Text: kv.Text}, nil
	}
	v, err := cim.ParseValue(k.Type, kv.Text)
	if err != nil {
		return cim.KeyValue{}, status.New(status.WBEM_E_INVALID_OBJECT_PATH,
			"key %s: %q is not a valid %s", k.Name, kv.Text, k.Type)
	}
	return cim.KeyValueOf(v), nil
}

// checkInParams validates the in-parameters against the method's
// in-signature (spec §5.4, DD-17) and returns an instance of the
// signature class holding them, converted to the declared types.
func checkInParams(m *cim.Method, in *cim.Instance) (*cim.Instance, error) {
	if in == nil {
		return nil, nil
	}
	sig := m.InSignature()
	if sig == nil {
		return nil, status.New(status.WBEM_E_INVALID_METHOD_PARAMETERS, "method %s takes no in-parameters", m.Name)
	}
	if in.Class() == sig {
		return in, nil // built from our own signature: already typed
	}
	out := cim.NewInstance(sig)
	for k := 0; k < in.Len(); k++ {
		p, v := in.At(k)
		idx := sig.PropertyIndex(p.Name)
		if idx < 0 {
			return nil, status.New(status.WBEM_E_INVALID_METHOD_PARAMETERS, "method %s has no in-parameter %s", m.Name, p.Name)
		}
		if v.IsNull() {
			continue
		}
		if err := out.SetAt(idx, v); err != nil {
			if status.Code(err) == status.WBEM_E_VALUE_OUT_OF_RANGE {
				return nil, err
			}
			e := status.AsError(err)
			return nil, status.New(status.WBEM_E_TYPE_MISMATCH, "in-parameter %s: %s", p.Name, e.Description)
		}
	}
	return out, nil
}
