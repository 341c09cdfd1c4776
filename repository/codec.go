package repository

import (
	"encoding/binary"
	"math"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// Record encoding.
//
// Every stored record starts with a tag byte naming its kind and a format
// version byte, then the fields in a fixed order. Counts and unsigned
// integers are uvarints, signed integers zig-zag varints, strings a uvarint
// length then the UTF-8 bytes, booleans one byte. The encoding is written
// by hand with append-style helpers: it needs no reflection and no mirror
// types (the fields of cim.Value are unexported, so gob or JSON would need
// hand-written marshalers anyway), and decoding a class costs little more
// than the allocations of its cim structures.
//
//	class     'C' 1 name super quals nprops prop* nmethods method*
//	prop      name type array arraysize refclass embclass quals default
//	method    name rettype retref retemb quals nparams param*
//	param     name type array arraysize refclass embclass quals
//	quals     n (name flavor propagated value)*
//	qualdecl  'Q' 1 name type array arraysize scopes flavor default
//	instance  'I' 1 object
//	object    class namespace server nprops (name value)*
//	value     hdr payload      hdr = type | 0x20 array | 0x40 not-NULL
//
// A value's payload depends on its type: booleans one byte, unsigned
// integers and char16 a uvarint, signed integers a zig-zag varint, real32
// four and real64 eight little-endian IEEE bytes (so NaN payloads, -0 and
// infinities survive), strings and datetimes a string, references the
// parsed object path (server, namespace, class, singleton, then the key
// count plus one, 0 for a nil key list, and each key's name, kind and text)
// and embedded instances an object. A NULL value has no payload. An array
// is a count followed by one full value per element, so NULL elements keep
// their place.
//
// Only the declared form of a class is stored: ClassOrigin, Propagated and
// the Derivation are recomputed by cim.Resolve when the class is read. A
// decoder meeting a version it does not know fails with ErrCorrupt; a
// later format adds a version and keeps decoding the old one.

// Record tags and the current format version of each record kind.
const (
	tagClass    = 'C'
	tagQualDecl = 'Q'
	tagInstance = 'I'

	recordVersion = 1
)

// Value header bits.
const (
	hdrTypeMask = 0x1F
	hdrArray    = 0x20
	hdrSet      = 0x40
)

// maxNesting bounds how deep embedded instances may nest in one record, so
// that a corrupt record cannot exhaust the stack.
const maxNesting = 64

// errCorrupt is the error for a record that cannot be decoded.
func errCorrupt(what string) error {
	return &codedError{sentinel: ErrCorrupt,
		st: status.New(status.WBEM_E_FAILED, "repository record corrupt: %s", what)}
}

// encoder appends to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) byte(c byte)      { e.b = append(e.b, c) }
func (e *encoder) uvarint(n uint64) { e.b = binary.AppendUvarint(e.b, n) }
func (e *encoder) varint(n int64)   { e.b = binary.AppendVarint(e.b, n) }
func (e *encoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// encodeClass encodes the declared form of c.
func encodeClass(c *cim.Class) []byte {
	e := encoder{b: make([]byte, 0, 256+len(c.Properties)*256)}
	e.byte(tagClass)
	e.byte(recordVersion)
	e.str(c.Name)
	e.str(c.SuperClass)
	e.quals(c.Qualifiers)
	e.uvarint(uint64(len(c.Properties)))
	for _, p := range c.Properties {
		e.str(p.Name)
		e.byte(byte(p.Type))
		e.bool(p.IsArray)
		e.uvarint(uint64(p.ArraySize))
		e.str(p.RefClass)
		e.str(p.EmbeddedClass)
		e.quals(p.Qualifiers)
		e.value(p.Default, 0)
	}
	e.uvarint(uint64(len(c.Methods)))
	for _, m := range c.Methods {
		e.str(m.Name)
		e.byte(byte(m.ReturnType))
		e.str(m.ReturnRefClass)
		e.str(m.ReturnEmbeddedClass)
		e.quals(m.Qualifiers)
		e.uvarint(uint64(len(m.Parameters)))
		for _, p := range m.Parameters {
			e.str(p.Name)
			e.byte(byte(p.Type))
			e.bool(p.IsArray)
			e.uvarint(uint64(p.ArraySize))
			e.str(p.RefClass)
			e.str(p.EmbeddedClass)
			e.quals(p.Qualifiers)
		}
	}
	return e.b
}

func (e *encoder) quals(qs cim.Qualifiers) {
	e.uvarint(uint64(len(qs)))
	for i := range qs {
		q := &qs[i]
		e.str(q.Name)
		e.byte(byte(q.Flavor))
		e.bool(q.Propagated)
		e.value(q.Value, 0)
	}
}

// encodeQualifierDecl encodes a qualifier type declaration.
func encodeQualifierDecl(d *cim.QualifierDecl) []byte {
	e := encoder{b: make([]byte, 0, 64)}
	e.byte(tagQualDecl)
	e.byte(recordVersion)
	e.str(d.Name)
	e.byte(byte(d.Type))
	e.bool(d.IsArray)
	e.uvarint(uint64(d.ArraySize))
	e.uvarint(uint64(d.Scopes))
	e.byte(byte(d.Flavor))
	e.value(d.Default, 0)
	return e.b
}

// encodeInstance encodes an instance as its class name and every property
// as a name/value pair.
func encodeInstance(i *cim.Instance) []byte {
	e := encoder{b: make([]byte, 0, 64+i.Len()*24)}
	e.byte(tagInstance)
	e.byte(recordVersion)
	e.object(i, 0)
	return e.b
}

func (e *encoder) object(i *cim.Instance, depth int) {
	e.str(i.ClassName())
	e.str(i.Namespace)
	e.str(i.Server)
	e.uvarint(uint64(i.Len()))
	for k := 0; k < i.Len(); k++ {
		p, v := i.At(k)
		e.str(p.Name)
		e.value(v, depth)
	}
}

func (e *encoder) path(p *cim.ObjectPath) {
	e.str(p.Server)
	e.str(p.Namespace)
	e.str(p.Class)
	e.bool(p.Singleton)
	if p.Keys == nil {
		e.uvarint(0)
	} else {
		// Count+1 keeps a nil key list apart from an empty one.
		e.uvarint(uint64(len(p.Keys)) + 1)
	}
	for _, k := range p.Keys {
		e.str(k.Name)
		e.byte(byte(k.Value.Kind))
		e.str(k.Value.Text)
	}
}

func (e *encoder) value(v cim.Value, depth int) {
	h := byte(v.Type()) & hdrTypeMask
	if v.IsArray() {
		h |= hdrArray
	}
	if v.IsNull() {
		e.byte(h)
		return
	}
	e.byte(h | hdrSet)
	if v.IsArray() {
		e.uvarint(uint64(v.Len()))
		for _, el := range v.Elems() {
			e.value(el, depth)
		}
		return
	}
	e.scalar(v, depth)
}

func (e *encoder) scalar(v cim.Value, depth int) {
	switch t := v.Type(); {
	case t == cim.Boolean:
		e.bool(v.Bool())
	case t == cim.Char16 || (t.IsInteger() && !t.IsSigned()):
		e.uvarint(v.Uint64())
	case t.IsSigned():
		e.varint(v.Int64())
	case t == cim.Real32:
		e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(float32(v.Float64())))
	case t == cim.Real64:
		e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v.Float64()))
	case t == cim.String || t == cim.DateTime:
		e.str(v.Text())
	case t == cim.Reference:
		e.path(v.Ref())
	case t == cim.Object:
		if depth >= maxNesting {
			// Too deep to read back: store NULL rather than a record that
			// cannot be decoded. Real data never nests this far.
			e.b[len(e.b)-1] &^= hdrSet
			return
		}
		e.object(v.Object(), depth+1)
	}
}

// decoder reads a record. The first error sticks; later reads return zero
// values, so callers check err once at the end.
type decoder struct {
	b   []byte
	err error
	// lookup finds the resolved class of an embedded instance by name; nil
	// means no class is known and one is synthesized from the values.
	lookup func(name string) *cim.Class
	// ns is the namespace spelling set on decoded classes.
	ns string
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = errCorrupt(what)
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("bad boolean")
	return false
}

func (d *decoder) uvarint() uint64 {
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *decoder) varint() int64 {
	n, k := binary.Varint(d.b)
	if k <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[k:]
	return n
}

// count reads a length that must fit the remaining input, each element
// taking at least min bytes.
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)/min) {
		d.fail("bad count")
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("truncated string")
		return ""
	}
	s := intern(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) typ() cim.Type {
	t := cim.Type(d.byte())
	if t != cim.TypeNone && !t.Valid() {
		d.fail("bad type")
	}
	return t
}

func (d *decoder) header(tag byte) {
	if d.byte() != tag {
		d.fail("wrong record kind")
		return
	}
	if v := d.byte(); v != recordVersion && d.err == nil {
		d.fail("unknown record version")
	}
}

func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return d.err
}

// decodeClass decodes a declared class; its Namespace is set to ns.
func decodeClass(b []byte, ns string) (*cim.Class, error) {
	d := decoder{b: b, ns: ns}
	d.header(tagClass)
	c := &cim.Class{Name: d.str(), SuperClass: d.str(), Namespace: ns}
	c.Qualifiers = d.quals()
	if n := d.count(8); n > 0 { // a property takes at least 8 bytes
		props := make([]cim.Property, n)
		c.Properties = make([]*cim.Property, n)
		for i := range props {
			p := &props[i]
			p.Name = d.str()
			p.Type = d.typ()
			p.IsArray = d.bool()
			p.ArraySize = int(d.uvarint())
			p.RefClass = d.str()
			p.EmbeddedClass = d.str()
			p.Qualifiers = d.quals()
			p.Default = d.value(0)
			c.Properties[i] = p
		}
	}
	if n := d.count(6); n > 0 {
		c.Methods = make([]*cim.Method, n)
		for i := range c.Methods {
			m := &cim.Method{}
			m.Name = d.str()
			m.ReturnType = d.typ()
			m.ReturnRefClass = d.str()
			m.ReturnEmbeddedClass = d.str()
			m.Qualifiers = d.quals()
			if np := d.count(7); np > 0 { // a parameter at least 7
				params := make([]cim.Parameter, np)
				m.Parameters = make([]*cim.Parameter, np)
				for j := range params {
					p := &params[j]
					p.Name = d.str()
					p.Type = d.typ()
					p.IsArray = d.bool()
					p.ArraySize = int(d.uvarint())
					p.RefClass = d.str()
					p.EmbeddedClass = d.str()
					p.Qualifiers = d.quals()
					m.Parameters[j] = p
				}
			}
			c.Methods[i] = m
		}
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return c, nil
}

func (d *decoder) quals() cim.Qualifiers {
	n := d.count(4)
	if n == 0 {
		return nil
	}
	qs := make(cim.Qualifiers, n)
	for i := range qs {
		qs[i].Name = d.str()
		qs[i].Flavor = cim.Flavor(d.byte())
		qs[i].Propagated = d.bool()
		qs[i].Value = d.value(0)
	}
	return qs
}

// decodeQualifierDecl decodes a qualifier type declaration.
func decodeQualifierDecl(b []byte) (*cim.QualifierDecl, error) {
	d := decoder{b: b}
	d.header(tagQualDecl)
	q := &cim.QualifierDecl{Name: d.str(), Type: d.typ(), IsArray: d.bool()}
	q.ArraySize = int(d.uvarint())
	q.Scopes = cim.Scope(d.uvarint())
	q.Flavor = cim.Flavor(d.byte())
	q.Default = d.value(0)
	if err := d.done(); err != nil {
		return nil, err
	}
	return q, nil
}

// storedInstance is an instance record before it is rebuilt against its
// class: the class name and the stored name/value pairs.
type storedInstance struct {
	class  string
	names  []string
	values []cim.Value
}

// decodeInstanceClass returns the class name of an instance record without
// decoding the values.
func decodeInstanceClass(b []byte) (string, error) {
	d := decoder{b: b}
	d.header(tagInstance)
	name := d.str()
	return name, d.err
}

// decodeInstance decodes an instance record; embedded instances are
// rebuilt with lookup.
func decodeInstance(b []byte, lookup func(string) *cim.Class) (*storedInstance, error) {
	d := decoder{b: b, lookup: lookup}
	d.header(tagInstance)
	si := d.objectFields(0)
	if err := d.done(); err != nil {
		return nil, err
	}
	return si, nil
}

func (d *decoder) objectFields(depth int) *storedInstance {
	si := &storedInstance{class: d.str()}
	// Namespace and server of a top-level record are ignored (the
	// repository sets them); object() keeps them for embedded instances.
	_, _ = d.str(), d.str()
	n := d.count(2)
	si.names = make([]string, n)
	si.values = make([]cim.Value, n)
	for i := 0; i < n && d.err == nil; i++ {
		si.names[i] = d.str()
		si.values[i] = d.value(depth)
	}
	return si
}

// object decodes an embedded instance and rebuilds it against its class
// (or a class synthesized from the stored values when the class is not
// known).
func (d *decoder) object(depth int) *cim.Instance {
	if depth >= maxNesting {
		d.fail("instances nested too deep")
		return nil
	}
	class, ns, server := d.str(), d.str(), d.str()
	n := d.count(2)
	names := make([]string, n)
	values := make([]cim.Value, n)
	for i := 0; i < n && d.err == nil; i++ {
		names[i] = d.str()
		values[i] = d.value(depth + 1)
	}
	if d.err != nil {
		return nil
	}
	var c *cim.Class
	if d.lookup != nil {
		c = d.lookup(class)
	}
	inst := rebuild(c, class, names, values)
	inst.Namespace, inst.Server = ns, server
	return inst
}

// rebuild makes an instance of c (or of a class synthesized from the
// values when c is nil) with the given property values. Values of
// properties the class no longer has, or that no longer convert to the
// property's type, are dropped; new properties keep their defaults.
func rebuild(c *cim.Class, class string, names []string, values []cim.Value) *cim.Instance {
	if c == nil {
		c = &cim.Class{Name: class, Properties: make([]*cim.Property, len(names))}
		for i, name := range names {
			c.Properties[i] = &cim.Property{Name: name, Type: values[i].Type(), IsArray: values[i].IsArray(), ClassOrigin: class}
		}
	}
	inst := cim.NewInstance(c)
	for i, name := range names {
		k := c.PropertyIndex(name)
		if k < 0 {
			continue
		}
		// SetAt converts (NULLs of any type included); a value that no
		// longer fits the property is dropped.
		_ = inst.SetAt(k, values[i])
	}
	return inst
}

func (d *decoder) path() *cim.ObjectPath {
	p := &cim.ObjectPath{Server: d.str(), Namespace: d.str(), Class: d.str(), Singleton: d.bool()}
	n := d.uvarint()
	if n == 0 {
		return p
	}
	n--
	if n > uint64(len(d.b)/3) {
		d.fail("bad key count")
		return p
	}
	p.Keys = make([]cim.KeyBinding, n)
	for i := range p.Keys {
		p.Keys[i].Name = d.str()
		p.Keys[i].Value.Kind = cim.KeyKind(d.byte())
		p.Keys[i].Value.Text = d.str()
	}
	return p
}

func (d *decoder) value(depth int) cim.Value {
	h := d.byte()
	if d.err != nil {
		return cim.Value{}
	}
	t := cim.Type(h & hdrTypeMask)
	array := h&hdrArray != 0
	if h&^(hdrTypeMask|hdrArray|hdrSet) != 0 || (t != cim.TypeNone && !t.Valid()) {
		d.fail("bad value header")
		return cim.Value{}
	}
	if h&hdrSet == 0 {
		return cim.Null(t, array)
	}
	if t == cim.TypeNone {
		d.fail("typeless value")
		return cim.Value{}
	}
	if !array {
		return d.scalar(t, depth)
	}
	n := d.count(1)
	elems := make([]cim.Value, n)
	for i := range elems {
		elems[i] = d.value(depth)
		if d.err != nil {
			return cim.Value{}
		}
		if elems[i].IsArray() || (elems[i].Type() != t && !elems[i].IsNull()) {
			d.fail("bad array element")
			return cim.Value{}
		}
	}
	v, err := cim.NewArray(t, elems)
	if err != nil {
		d.fail("bad array")
	}
	return v
}

func (d *decoder) scalar(t cim.Type, depth int) cim.Value {
	switch t {
	case cim.Boolean:
		return cim.NewBool(d.bool())
	case cim.Uint8:
		return cim.NewUint8(uint8(d.uvarint()))
	case cim.Uint16:
		return cim.NewUint16(uint16(d.uvarint()))
	case cim.Uint32:
		return cim.NewUint32(uint32(d.uvarint()))
	case cim.Uint64:
		return cim.NewUint64(d.uvarint())
	case cim.Char16:
		return cim.NewChar16(uint16(d.uvarint()))
	case cim.Sint8:
		return cim.NewSint8(int8(d.varint()))
	case cim.Sint16:
		return cim.NewSint16(int16(d.varint()))
	case cim.Sint32:
		return cim.NewSint32(int32(d.varint()))
	case cim.Sint64:
		return cim.NewSint64(d.varint())
	case cim.Real32:
		if len(d.b) < 4 {
			d.fail("truncated real32")
			return cim.Value{}
		}
		f := math.Float32frombits(binary.LittleEndian.Uint32(d.b))
		d.b = d.b[4:]
		return cim.NewReal32(f)
	case cim.Real64:
		if len(d.b) < 8 {
			d.fail("truncated real64")
			return cim.Value{}
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
		d.b = d.b[8:]
		return cim.NewReal64(f)
	case cim.String:
		return cim.NewString(d.str())
	case cim.DateTime:
		s := d.str()
		v, err := cim.NewDateTime(s)
		if err != nil && d.err == nil {
			d.fail("bad datetime")
		}
		return v
	case cim.Reference:
		return cim.NewReference(d.path())
	case cim.Object:
		o := d.object(depth)
		if o == nil {
			return cim.Value{}
		}
		return cim.NewObject(o)
	}
	d.fail("bad type")
	return cim.Value{}
}

// internTable holds the names and short strings that recur in almost
// every class record (qualifier names, common values), so that decoding a
// class does not allocate a new copy of each.
var internTable = func() map[string]string {
	m := make(map[string]string)
	for _, s := range strings.Fields(`Abstract Aggregate Aggregation Association
		ArrayType Bitmap BitValues ClassConstraint Composition Correlatable Counter
		Deprecated Description DisplayName DN EmbeddedInstance EmbeddedObject
		Exception Experimental Gauge ID In Indication IsPUnit Key MappingStrings
		Max MaxLen MaxValue Min MinLen MinValue ModelCorrespondence Nonlocal
		NonlocalType NullValue Octetstring Out Override OverrideValue Propagated
		PropertyConstraint PUnit Read Reference Required Revision Schema Source
		SourceType Static Terminal Units UMLPackagePath ValueMap Values Version
		Weak Write Dynamic Provider Singleton Amendment Locale CLASS Implemented
		Name InstanceID Caption ElementName CreationClassName SystemName
		SystemCreationClassName DeviceID Antecedent Dependent GroupComponent
		PartComponent ManagedElement Other Unknown DMTF Reserved Vendor`) {
		m[s] = s
	}
	for i := 0; i < 100; i++ {
		s := itoa(i)
		m[s] = s
	}
	return m
}()

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return string(rune('0'+i/10)) + string(rune('0'+i%10))
}

// intern returns b as a string, sharing the copy of common names.
func intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) <= 32 {
		if s, ok := internTable[string(b)]; ok {
			return s
		}
	}
	return string(b)
}
