package cimjson

import (
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// Limits of the decoder's caches, so that hostile input cannot make them
// grow without bound.
const (
	maxInterned   = 4096
	maxInternLen  = 64
	maxSynthetics = 1024
)

// Decoder decodes the JSON forms of this package. It keeps caches that
// make decoding a stream of similar messages cheap: interned names, and
// the synthetic classes built for instances whose class Resolve does not
// supply. A Decoder is not safe for concurrent use; the zero Decoder is
// ready to use.
type Decoder struct {
	// Resolve, when set, returns the class to build instances of
	// className against (the JSON values are converted to the declared
	// types, and properties the class lacks are errors). Returning nil,
	// or a nil Resolve, gives a synthetic class made from the JSON: the
	// properties in the order written, with their types, Key qualifiers,
	// reference and embedded classes, and the derivation.
	Resolve func(className string) *cim.Class
	// MaxNesting limits embedded objects within embedded objects;
	// default MaxNesting.
	MaxNesting int

	names  map[string]string
	synth  map[string]*cim.Class
	keyBuf []byte
	slots  []slot
	elems  []cim.Value
}

// Intern returns b as a string, sharing one copy of short strings that
// recur (names of classes, properties, methods, namespaces).
func (d *Decoder) Intern(b []byte) string {
	if len(b) > maxInternLen {
		return string(b)
	}
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	if d.names == nil || len(d.names) >= maxInterned {
		d.names = make(map[string]string)
	}
	s := string(b)
	d.names[s] = s
	return s
}

func (d *Decoder) maxNesting() int {
	if d.MaxNesting > 0 {
		return d.MaxNesting
	}
	return MaxNesting
}

// AppendInstance appends i as {"class":..., "properties":{...}}: each
// property a member {"type":..., "value":...} with "array":true for
// arrays, "key":true for keys, "refClass" and "embeddedClass" when the
// class declares them. "namespace", "server" and "derivation" are written
// when not empty. A nil instance is null.
func AppendInstance(dst []byte, i *cim.Instance) []byte {
	return appendInstance(dst, i, 0)
}

func appendInstance(dst []byte, i *cim.Instance, depth int) []byte {
	if i == nil {
		return append(dst, "null"...)
	}
	c := i.Class()
	dst = append(dst, `{"class":`...)
	dst = AppendString(dst, c.Name)
	if i.Namespace != "" {
		dst = append(dst, `,"namespace":`...)
		dst = AppendString(dst, i.Namespace)
	}
	if i.Server != "" {
		dst = append(dst, `,"server":`...)
		dst = AppendString(dst, i.Server)
	}
	if len(c.Derivation) > 0 {
		dst = append(dst, `,"derivation":`...)
		dst = appendStrings(dst, c.Derivation)
	}
	dst = append(dst, `,"properties":{`...)
	for k := 0; k < i.Len(); k++ {
		p, v := i.At(k)
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = appendKey(dst, p.Name)
		dst = append(dst, '{')
		dst = appendTypeFields(dst, p.Type, p.IsArray)
		if p.IsKey() {
			dst = append(dst, `,"key":true`...)
		}
		if p.RefClass != "" {
			dst = append(dst, `,"refClass":`...)
			dst = AppendString(dst, p.RefClass)
		}
		if p.EmbeddedClass != "" {
			dst = append(dst, `,"embeddedClass":`...)
			dst = AppendString(dst, p.EmbeddedClass)
		}
		dst = append(dst, `,"value":`...)
		dst = appendData(dst, v, depth)
		dst = append(dst, '}')
	}
	return append(dst, "}}"...)
}

func appendStrings(dst []byte, ss []string) []byte {
	return AppendArray(dst, ss, AppendString)
}

// DecodeInstance decodes an instance written by AppendInstance. resolve
// may be nil; see Decoder.Resolve. null decodes to a nil instance.
func DecodeInstance(data []byte, resolve func(className string) *cim.Class) (*cim.Instance, error) {
	d := Decoder{Resolve: resolve}
	return d.Instance(data)
}

// Instance decodes an instance written by AppendInstance (null gives nil).
func (d *Decoder) Instance(data []byte) (*cim.Instance, error) {
	return decodeAll(data, d.ReadInstance)
}

// ReadInstance reads an instance (or null, giving nil) from r.
func (d *Decoder) ReadInstance(r *Reader) *cim.Instance {
	return d.readInstance(r, 0)
}

// ReadInstances reads a JSON array of instances from r.
func (d *Decoder) ReadInstances(r *Reader) []*cim.Instance {
	if r.Null() {
		return nil
	}
	var out []*cim.Instance
	for more := r.ArrayStart(); more; more = r.ArrayNext() {
		out = append(out, d.readInstance(r, 0))
	}
	if r.err != nil {
		return nil
	}
	return out
}

func (d *Decoder) readInstance(r *Reader, depth int) *cim.Instance {
	if r.Null() {
		return nil
	}
	if depth > d.maxNesting() {
		r.Fail(status.New(status.WBEM_E_INVALID_PARAMETER, "embedded objects nested more than %d deep", d.maxNesting()))
		return nil
	}
	var (
		className, ns, server string
		deriv                 []string
		raw                   []byte
		class                 *cim.Class
		haveProps             bool
	)
	start := len(d.slots)
	defer func() {
		clear(d.slots[start:])
		d.slots = d.slots[:start]
	}()
	for more := r.ObjectStart(); more; more = r.ObjectNext() {
		switch string(r.Key()) {
		case "class":
			className = d.Intern(r.StringBytes())
		case "namespace":
			ns = d.Intern(r.StringBytes())
		case "server":
			server = d.Intern(r.StringBytes())
		case "derivation":
			deriv = d.readNames(r)
		case "properties":
			haveProps = true
			if className == "" {
				raw = r.Raw()
				continue
			}
			class = d.resolve(className)
			d.readProperties(r, class, depth)
		default:
			r.Skip()
		}
	}
	if r.err != nil {
		return nil
	}
	if className == "" {
		r.Fail(status.New(status.WBEM_E_INVALID_PARAMETER, "instance without a class name"))
		return nil
	}
	if raw != nil {
		class = d.resolve(className)
		sub := Reader{data: raw}
		d.readProperties(&sub, class, depth)
		if sub.err != nil {
			r.Fail(sub.err)
			return nil
		}
	} else if !haveProps {
		class = d.resolve(className)
	}
	slots := d.slots[start:]
	var inst *cim.Instance
	if class != nil {
		inst = cim.NewInstance(class)
		for k := range slots {
			s := &slots[k]
			if err := inst.Set(s.name, s.val); err != nil {
				r.Fail(err)
				return nil
			}
		}
	} else {
		class = d.synthetic(className, deriv, slots)
		if class == nil {
			r.Fail(status.New(status.WBEM_E_INVALID_PARAMETER, "instance of %s names a property twice", className))
			return nil
		}
		inst = cim.NewInstance(class)
		for k := range slots {
			if err := inst.SetAt(k, slots[k].val); err != nil {
				r.Fail(err)
				return nil
			}
		}
	}
	inst.Namespace, inst.Server = ns, server
	return inst
}

func (d *Decoder) resolve(name string) *cim.Class {
	if d.Resolve == nil {
		return nil
	}
	return d.Resolve(name)
}

// readProperties reads the "properties" object into d.slots. A member is
// a slot object or, in the loose input form, a bare JSON value.
func (d *Decoder) readProperties(r *Reader, class *cim.Class, depth int) {
	for more := r.ObjectStart(); more; more = r.ObjectNext() {
		var s slot
		s.name = d.Intern(r.Key())
		var hint *cim.Property
		if class != nil {
			hint = class.Property(s.name)
		}
		if r.Peek() == '{' {
			d.readSlot(r, &s, hint, depth)
		} else if hint != nil {
			s.val = d.readData(r, hint.Type, hint.IsArray, depth)
		} else {
			s.val = d.loose(r)
		}
		if !s.typed {
			s.typ, s.array = s.val.Type(), s.val.IsArray()
		}
		if r.err != nil {
			return
		}
		d.slots = append(d.slots, s)
	}
}

func (d *Decoder) readNames(r *Reader) []string {
	if r.Null() {
		return nil
	}
	var out []string
	for more := r.ArrayStart(); more; more = r.ArrayNext() {
		out = append(out, d.Intern(r.StringBytes()))
	}
	return out
}

// synthetic returns the class that the properties in slots describe,
// from the cache when an identical one was built before. It returns nil
// when two properties share a name.
func (d *Decoder) synthetic(name string, deriv []string, slots []slot) *cim.Class {
	k := append(d.keyBuf[:0], name...)
	for _, s := range deriv {
		k = append(k, 0)
		k = append(k, s...)
	}
	k = append(k, 1)
	for i := range slots {
		s := &slots[i]
		flags := byte(0)
		if s.array {
			flags |= 1
		}
		if s.key {
			flags |= 2
		}
		k = append(k, s.name...)
		k = append(k, 0, byte(s.typ), flags)
		k = append(k, s.refClass...)
		k = append(k, 0)
		k = append(k, s.embClass...)
		k = append(k, 0)
	}
	d.keyBuf = k
	if c, ok := d.synth[string(k)]; ok {
		return c
	}
	c := &cim.Class{Name: name, Derivation: deriv, Properties: make([]*cim.Property, len(slots))}
	if len(deriv) > 0 {
		c.SuperClass = deriv[0]
	}
	for i := range slots {
		s := &slots[i]
		for _, p := range c.Properties[:i] {
			if strings.EqualFold(p.Name, s.name) {
				return nil
			}
		}
		p := &cim.Property{Name: s.name, Type: s.typ, IsArray: s.array, RefClass: s.refClass,
			EmbeddedClass: s.embClass, ClassOrigin: name}
		if s.key {
			p.Qualifiers = cim.Qualifiers{{Name: "Key", Value: cim.NewBool(true), Flavor: cim.FlavorDisableOverride}}
		}
		c.Properties[i] = p
	}
	if d.synth == nil || len(d.synth) >= maxSynthetics {
		d.synth = make(map[string]*cim.Class)
	}
	d.synth[string(k)] = c
	return c
}
