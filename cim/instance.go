package cim

import (
	"strconv"
	"strings"

	"github.com/gowbem/gowbem/status"
)

// Instance is an instance of a resolved class: one value per class
// property, in the class's property order. An Instance is not safe for
// concurrent modification; Clone it to hand a copy to another goroutine.
type Instance struct {
	class  *Class
	values []Value
	// Namespace and Server locate the instance (for __PATH); empty for
	// instances that have no path, such as __PARAMETERS.
	Namespace string
	Server    string
}

// NewInstance returns an instance of c with every property NULL except
// those with a declared default, which take it (WMI SpawnInstance).
func NewInstance(c *Class) *Instance {
	i := &Instance{class: c, values: make([]Value, len(c.Properties))}
	for k, p := range c.Properties {
		if p.Default.IsNull() {
			i.values[k] = Value{typ: p.Type, array: p.IsArray}
		} else {
			i.values[k] = p.Default.Clone()
		}
	}
	return i
}

// SpawnInstance returns a new instance of the class (see NewInstance).
func (c *Class) SpawnInstance() *Instance { return NewInstance(c) }

// Class returns the class of the instance.
func (i *Instance) Class() *Class { return i.class }

// ClassName returns the name of the instance's class.
func (i *Instance) ClassName() string { return i.class.Name }

// Len returns the number of properties.
func (i *Instance) Len() int { return len(i.values) }

// At returns the property definition and value at index k.
func (i *Instance) At(k int) (*Property, Value) { return i.class.Properties[k], i.values[k] }

// Get returns the value of the property named name (case-insensitive).
// System properties (__CLASS, __PATH, ...) are computed. The second result
// is false when the class has no such property.
func (i *Instance) Get(name string) (Value, bool) {
	if k := i.class.PropertyIndex(name); k >= 0 {
		return i.values[k], true
	}
	if strings.HasPrefix(name, "__") {
		return i.systemProperty(name)
	}
	return Value{}, false
}

// Value returns the value of property name, or NULL when there is none.
func (i *Instance) Value(name string) Value {
	v, _ := i.Get(name)
	return v
}

// Set stores v in the property named name, converting it to the declared
// type (see Convert). Unknown names give WBEM_E_NOT_FOUND; system
// properties are read-only (WBEM_E_READ_ONLY); incompatible values give
// WBEM_E_TYPE_MISMATCH or WBEM_E_VALUE_OUT_OF_RANGE.
func (i *Instance) Set(name string, v Value) error {
	k := i.class.PropertyIndex(name)
	if k < 0 {
		if strings.HasPrefix(name, "__") {
			return status.New(status.WBEM_E_READ_ONLY, "system property %s is read-only", name)
		}
		return status.New(status.WBEM_E_NOT_FOUND, "class %s has no property %s", i.class.Name, name)
	}
	return i.SetAt(k, v)
}

// SetAt stores v in the property at index k, converting it as Set does.
func (i *Instance) SetAt(k int, v Value) error {
	p := i.class.Properties[k]
	if v.typ != p.Type || v.array != p.IsArray {
		c, err := Convert(v, p.Type, p.IsArray)
		if err != nil {
			return prefixError(err, "property "+p.Name)
		}
		v = c
	}
	if p.Type == Object && p.EmbeddedClass != "" && v.set {
		if err := checkEmbedded(v, p.EmbeddedClass, p.Name); err != nil {
			return err
		}
	}
	i.values[k] = v
	return nil
}

func checkEmbedded(v Value, class, name string) error {
	check := func(e Value) error {
		if o := e.Object(); o != nil && !o.class.IsA(class) {
			return status.New(status.WBEM_E_TYPE_MISMATCH,
				"property %s wants an instance of %s, got %s", name, class, o.class.Name)
		}
		return nil
	}
	if !v.array {
		return check(v)
	}
	for _, e := range v.arr {
		if err := check(e); err != nil {
			return err
		}
	}
	return nil
}

// Put converts the Go value x with ValueOf and stores it with Set.
func (i *Instance) Put(name string, x any) error {
	v, err := ValueOf(x)
	if err != nil {
		return err
	}
	if v.typ == TypeNone && !v.set {
		// An untyped NULL takes the property's type.
		k := i.class.PropertyIndex(name)
		if k < 0 {
			return i.Set(name, v)
		}
		p := i.class.Properties[k]
		v = Null(p.Type, p.IsArray)
	}
	return i.Set(name, v)
}

// Path returns the object path of the instance built from its key
// properties: a singleton renders Class=@, a keyless class a class path.
// String keys (also datetime, char16, references) are quoted; references
// keep their full path text.
func (i *Instance) Path() *ObjectPath {
	p := &ObjectPath{Server: i.Server, Namespace: i.Namespace, Class: i.class.Name}
	if i.class.IsSingleton() {
		p.Singleton = true
		return p
	}
	i.class.init()
	for _, k := range i.class.keys {
		prop := i.class.Properties[k]
		p.Keys = append(p.Keys, KeyBinding{Name: prop.Name, Value: KeyValueOf(i.values[k])})
	}
	return p
}

// KeyValueOf converts a typed value to the untyped key literal used in
// object paths.
func KeyValueOf(v Value) KeyValue {
	switch {
	case v.typ.IsInteger():
		if v.typ.IsSigned() {
			return KeyValue{Kind: KeyInt, Text: strconv.FormatInt(int64(v.num), 10)}
		}
		return KeyValue{Kind: KeyInt, Text: strconv.FormatUint(v.num, 10)}
	case v.typ.IsReal():
		return KeyValue{Kind: KeyReal, Text: v.String()}
	case v.typ == Boolean:
		if v.Bool() {
			return KeyValue{Kind: KeyBool, Text: "TRUE"}
		}
		return KeyValue{Kind: KeyBool, Text: "FALSE"}
	case v.typ == Reference:
		return KeyValue{Kind: KeyRef, Text: v.Text()}
	}
	return KeyValue{Kind: KeyString, Text: v.Text()}
}

// Clone returns a deep copy of the instance.
func (i *Instance) Clone() *Instance {
	n := &Instance{class: i.class, values: make([]Value, len(i.values)), Namespace: i.Namespace, Server: i.Server}
	for k, v := range i.values {
		n.values[k] = v.Clone()
	}
	return n
}

// Equal reports whether two instances have the same class name and
// property values. A nil instance equals only nil.
func (i *Instance) Equal(o *Instance) bool {
	if i == nil || o == nil {
		return i == o
	}
	if !strings.EqualFold(i.class.Name, o.class.Name) || len(i.values) != len(o.values) {
		return false
	}
	for k, v := range i.values {
		j := o.class.PropertyIndex(i.class.Properties[k].Name)
		if j < 0 || !Equal(v, o.values[j]) {
			return false
		}
	}
	return true
}

// PropertyNames returns the names of the class's properties in order.
func (i *Instance) PropertyNames() []string {
	out := make([]string, len(i.class.Properties))
	for k, p := range i.class.Properties {
		out[k] = p.Name
	}
	return out
}

// systemProperty computes the WMI system properties of an instance.
func (i *Instance) systemProperty(name string) (Value, bool) {
	c := i.class
	isParams := strings.EqualFold(c.Name, ParametersClass)
	switch strings.ToUpper(name) {
	case "__CLASS":
		return NewString(c.Name), true
	case "__GENUS":
		return NewSint32(2), true
	case "__SUPERCLASS":
		if c.SuperClass == "" {
			return Null(String, false), true
		}
		return NewString(c.SuperClass), true
	case "__DYNASTY":
		return NewString(c.Dynasty()), true
	case "__DERIVATION":
		d := make([]Value, len(c.Derivation))
		for k, s := range c.Derivation {
			d[k] = NewString(s)
		}
		return Value{typ: String, array: true, set: true, arr: d}, true
	case "__PROPERTY_COUNT":
		return NewSint32(int32(len(c.Properties))), true
	case "__RELPATH":
		if isParams {
			return Null(String, false), true
		}
		return NewString(i.Path().RelPath()), true
	case "__PATH":
		if isParams || i.Namespace == "" {
			return Null(String, false), true
		}
		return NewString(i.Path().String()), true
	case "__NAMESPACE":
		if isParams || i.Namespace == "" {
			return Null(String, false), true
		}
		return NewString(strings.ReplaceAll(i.Namespace, "/", `\`)), true
	case "__SERVER":
		if isParams || i.Server == "" {
			return Null(String, false), true
		}
		return NewString(i.Server), true
	}
	return Value{}, false
}

// SystemPropertyNames lists the WMI system properties an instance exposes.
var SystemPropertyNames = []string{
	"__GENUS", "__CLASS", "__SUPERCLASS", "__DYNASTY", "__RELPATH",
	"__PROPERTY_COUNT", "__DERIVATION", "__SERVER", "__NAMESPACE", "__PATH",
}

// prefixError returns err with prefix added to its description, keeping
// its code.
func prefixError(err error, prefix string) error {
	e := *status.AsError(err)
	e.Description = prefix + ": " + e.Description
	return &e
}
