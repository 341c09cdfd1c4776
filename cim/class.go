package cim

import (
	"strings"
	"sync"
)

// Class is a CIM class. A class as declared (in MOF, or as stored) holds
// only its local features; a resolved class (see Resolve) holds every
// feature it has, inherited ones first, each with its ClassOrigin.
//
// A resolved class is immutable once published: share it freely between
// goroutines and do not modify it. Use Clone to derive a changed copy.
type Class struct {
	Name       string
	SuperClass string
	Qualifiers Qualifiers
	Properties []*Property
	Methods    []*Method

	// Derivation lists the superclass chain, nearest first (WMI
	// __DERIVATION). Set on resolved classes.
	Derivation []string
	// Namespace and Server locate the class; set by the repository.
	Namespace string
	Server    string

	index    map[string]int // lower-case property name -> index
	keys     []int          // indexes of key properties
	initOnce sync.Once
}

// Property is a property (or reference) of a class.
type Property struct {
	Name    string
	Type    Type
	IsArray bool
	// ArraySize is the fixed size of a fixed-size array, 0 otherwise.
	ArraySize int
	// RefClass is the class of a reference property.
	RefClass string
	// EmbeddedClass is the class of an embedded-object property (from the
	// EmbeddedInstance or EmbeddedObject qualifier).
	EmbeddedClass string
	Qualifiers    Qualifiers
	// Default is the initializer declared in MOF, NULL if none.
	Default Value
	// ClassOrigin is the class that first declared the property.
	ClassOrigin string
	// Propagated reports that the property was inherited unchanged.
	Propagated bool
}

// IsKey reports whether the property carries the Key qualifier.
func (p *Property) IsKey() bool { return p.Qualifiers.Bool("Key") }

// TypeName returns the MOF type of the property ("uint32[]", "CIM_Foo ref").
func (p *Property) TypeName() string {
	return typeText(p.Type, p.IsArray, p.RefClass)
}

func typeText(t Type, array bool, ref string) string {
	s := t.String()
	if t == Reference && ref != "" {
		s = ref + " ref"
	}
	if array {
		s += "[]"
	}
	return s
}

// Clone returns a deep copy of the property.
func (p *Property) Clone() *Property {
	c := *p
	c.Qualifiers = p.Qualifiers.Clone()
	c.Default = p.Default.Clone()
	return &c
}

// Method is a method of a class.
type Method struct {
	Name string
	// ReturnType is the type of the return value; TypeNone means void.
	ReturnType     Type
	ReturnRefClass string
	// ReturnEmbeddedClass is set for methods returning an embedded object.
	ReturnEmbeddedClass string
	Parameters          []*Parameter
	Qualifiers          Qualifiers
	ClassOrigin         string
	Propagated          bool

	sigOnce sync.Once
	in, out *Class
}

// IsStatic reports whether the method carries the Static qualifier.
func (m *Method) IsStatic() bool { return m.Qualifiers.Bool("Static") }

// Parameter returns the parameter named name (case-insensitive), or nil.
func (m *Method) Parameter(name string) *Parameter {
	for _, p := range m.Parameters {
		if strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}

// Clone returns a deep copy of the method.
func (m *Method) Clone() *Method {
	c := &Method{
		Name: m.Name, ReturnType: m.ReturnType, ReturnRefClass: m.ReturnRefClass,
		ReturnEmbeddedClass: m.ReturnEmbeddedClass, Qualifiers: m.Qualifiers.Clone(),
		ClassOrigin: m.ClassOrigin, Propagated: m.Propagated,
	}
	c.Parameters = make([]*Parameter, len(m.Parameters))
	for i, p := range m.Parameters {
		c.Parameters[i] = p.Clone()
	}
	return c
}

// Parameter is a method parameter.
type Parameter struct {
	Name          string
	Type          Type
	IsArray       bool
	ArraySize     int
	RefClass      string
	EmbeddedClass string
	Qualifiers    Qualifiers
}

// IsIn reports whether the parameter passes a value into the method. A
// parameter with neither In nor Out qualifier is an input (DSP0004: In
// defaults to true); one marked only Out is not (WMI practice, and what
// CIM Schema authors mean by [Out]).
func (p *Parameter) IsIn() bool {
	if q := p.Qualifiers.Get("In"); q != nil {
		return p.Qualifiers.Bool("In")
	}
	return !p.Qualifiers.Has("Out")
}

// IsOut reports whether the parameter returns a value.
func (p *Parameter) IsOut() bool { return p.Qualifiers.Bool("Out") }

// TypeName returns the MOF type of the parameter.
func (p *Parameter) TypeName() string { return typeText(p.Type, p.IsArray, p.RefClass) }

// Clone returns a deep copy of the parameter.
func (p *Parameter) Clone() *Parameter {
	c := *p
	c.Qualifiers = p.Qualifiers.Clone()
	return &c
}

func (c *Class) init() {
	c.initOnce.Do(func() {
		c.index = make(map[string]int, len(c.Properties))
		for i, p := range c.Properties {
			c.index[strings.ToLower(p.Name)] = i
			if p.IsKey() {
				c.keys = append(c.keys, i)
			}
		}
	})
}

// PropertyIndex returns the index of the property named name
// (case-insensitive) in c.Properties, or -1.
func (c *Class) PropertyIndex(name string) int {
	// Short classes: a scan with EqualFold beats lower-casing the name.
	if len(c.Properties) <= 8 {
		for i, p := range c.Properties {
			if strings.EqualFold(p.Name, name) {
				return i
			}
		}
		return -1
	}
	c.init()
	if i, ok := c.index[name]; ok {
		return i
	}
	if i, ok := c.index[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// Property returns the property named name (case-insensitive), or nil.
func (c *Class) Property(name string) *Property {
	if i := c.PropertyIndex(name); i >= 0 {
		return c.Properties[i]
	}
	return nil
}

// Method returns the method named name (case-insensitive), or nil.
func (c *Class) Method(name string) *Method {
	for _, m := range c.Methods {
		if strings.EqualFold(m.Name, name) {
			return m
		}
	}
	return nil
}

// Keys returns the key properties of the class in declaration order.
func (c *Class) Keys() []*Property {
	c.init()
	out := make([]*Property, len(c.keys))
	for i, k := range c.keys {
		out[i] = c.Properties[k]
	}
	return out
}

// IsAbstract reports whether the class carries the Abstract qualifier.
func (c *Class) IsAbstract() bool { return c.Qualifiers.Bool("Abstract") }

// IsAssociation reports whether the class carries the Association qualifier.
func (c *Class) IsAssociation() bool { return c.Qualifiers.Bool("Association") }

// IsSingleton reports whether the class carries the Singleton qualifier.
func (c *Class) IsSingleton() bool { return c.Qualifiers.Bool("Singleton") }

// IsA reports whether the class is name or derives from it.
func (c *Class) IsA(name string) bool {
	if strings.EqualFold(c.Name, name) {
		return true
	}
	for _, d := range c.Derivation {
		if strings.EqualFold(d, name) {
			return true
		}
	}
	return false
}

// Dynasty returns the top-most class of the derivation chain.
func (c *Class) Dynasty() string {
	if len(c.Derivation) > 0 {
		return c.Derivation[len(c.Derivation)-1]
	}
	return c.Name
}

// Path returns the class path of c (namespace and server included when
// known).
func (c *Class) Path() *ObjectPath {
	return &ObjectPath{Server: c.Server, Namespace: c.Namespace, Class: c.Name}
}

// Clone returns a deep, unpublished copy of the class.
func (c *Class) Clone() *Class {
	n := &Class{
		Name: c.Name, SuperClass: c.SuperClass, Qualifiers: c.Qualifiers.Clone(),
		Derivation: append([]string(nil), c.Derivation...), Namespace: c.Namespace, Server: c.Server,
	}
	n.Properties = make([]*Property, len(c.Properties))
	for i, p := range c.Properties {
		n.Properties[i] = p.Clone()
	}
	n.Methods = make([]*Method, len(c.Methods))
	for i, m := range c.Methods {
		n.Methods[i] = m.Clone()
	}
	return n
}
