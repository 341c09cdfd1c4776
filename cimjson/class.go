package cimjson

import (
	"strconv"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// AppendClass appends c as a JSON object: name, superClass, derivation,
// namespace and server (when set), qualifiers, properties and methods,
// each feature with its classOrigin and propagated flag. A nil class is
// null.
func AppendClass(dst []byte, c *cim.Class) []byte {
	if c == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"name":`...)
	dst = AppendString(dst, c.Name)
	if c.SuperClass != "" {
		dst = append(dst, `,"superClass":`...)
		dst = AppendString(dst, c.SuperClass)
	}
	if len(c.Derivation) > 0 {
		dst = append(dst, `,"derivation":`...)
		dst = appendStrings(dst, c.Derivation)
	}
	if c.Namespace != "" {
		dst = append(dst, `,"namespace":`...)
		dst = AppendString(dst, c.Namespace)
	}
	if c.Server != "" {
		dst = append(dst, `,"server":`...)
		dst = AppendString(dst, c.Server)
	}
	dst = appendQualifiers(dst, c.Qualifiers)
	dst = append(dst, `,"properties":`...)
	dst = AppendArray(dst, c.Properties, appendProperty)
	dst = append(dst, `,"methods":`...)
	dst = AppendArray(dst, c.Methods, appendMethod)
	return append(dst, '}')
}

// appendQualifiers appends ,"qualifiers":[...] when qs is not empty.
func appendQualifiers(dst []byte, qs cim.Qualifiers) []byte {
	if len(qs) == 0 {
		return dst
	}
	dst = append(dst, `,"qualifiers":[`...)
	for i := range qs {
		q := &qs[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":`...)
		dst = AppendString(dst, q.Name)
		if !(q.Value.IsNull() && q.Value.Type() == cim.TypeNone && !q.Value.IsArray()) {
			dst = append(dst, ',')
			dst = appendTypeFields(dst, q.Value.Type(), q.Value.IsArray())
			dst = append(dst, `,"value":`...)
			dst = appendData(dst, q.Value, 0)
		}
		if q.Flavor != 0 {
			dst = append(dst, `,"flavor":`...)
			dst = appendStrings(dst, q.Flavor.Keywords())
		}
		if q.Propagated {
			dst = append(dst, `,"propagated":true`...)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendDecl appends the members that describe a declared type.
func appendDecl(dst []byte, t cim.Type, array bool, size int, ref, emb string) []byte {
	dst = appendTypeFields(dst, t, array)
	if size != 0 {
		dst = append(dst, `,"arraySize":`...)
		dst = strconv.AppendInt(dst, int64(size), 10)
	}
	if ref != "" {
		dst = append(dst, `,"refClass":`...)
		dst = AppendString(dst, ref)
	}
	if emb != "" {
		dst = append(dst, `,"embeddedClass":`...)
		dst = AppendString(dst, emb)
	}
	return dst
}

func appendOrigin(dst []byte, origin string, propagated bool) []byte {
	if origin != "" {
		dst = append(dst, `,"classOrigin":`...)
		dst = AppendString(dst, origin)
	}
	if propagated {
		dst = append(dst, `,"propagated":true`...)
	}
	return dst
}

func appendProperty(dst []byte, p *cim.Property) []byte {
	dst = append(dst, `{"name":`...)
	dst = AppendString(dst, p.Name)
	dst = append(dst, ',')
	dst = appendDecl(dst, p.Type, p.IsArray, p.ArraySize, p.RefClass, p.EmbeddedClass)
	dst = appendQualifiers(dst, p.Qualifiers)
	if !(p.Default.IsNull() && p.Default.Type() == cim.TypeNone && !p.Default.IsArray()) {
		dst = append(dst, `,"default":`...)
		dst = AppendValue(dst, p.Default)
	}
	dst = appendOrigin(dst, p.ClassOrigin, p.Propagated)
	return append(dst, '}')
}

func appendMethod(dst []byte, m *cim.Method) []byte {
	dst = append(dst, `{"name":`...)
	dst = AppendString(dst, m.Name)
	dst = append(dst, `,"returnType":"`...)
	dst = append(dst, typeName(m.ReturnType)...)
	dst = append(dst, '"')
	if m.ReturnRefClass != "" {
		dst = append(dst, `,"returnRefClass":`...)
		dst = AppendString(dst, m.ReturnRefClass)
	}
	if m.ReturnEmbeddedClass != "" {
		dst = append(dst, `,"returnEmbeddedClass":`...)
		dst = AppendString(dst, m.ReturnEmbeddedClass)
	}
	dst = appendQualifiers(dst, m.Qualifiers)
	dst = append(dst, `,"parameters":[`...)
	for i, p := range m.Parameters {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":`...)
		dst = AppendString(dst, p.Name)
		dst = append(dst, ',')
		dst = appendDecl(dst, p.Type, p.IsArray, p.ArraySize, p.RefClass, p.EmbeddedClass)
		dst = appendQualifiers(dst, p.Qualifiers)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	dst = appendOrigin(dst, m.ClassOrigin, m.Propagated)
	return append(dst, '}')
}

// DecodeClass decodes a class written by AppendClass (null gives nil).
func DecodeClass(data []byte) (*cim.Class, error) {
	var d Decoder
	return decodeAll(data, d.ReadClass)
}

// ReadClass reads a class (or null, giving nil) from r.
func (d *Decoder) ReadClass(r *Reader) *cim.Class {
	if r.Null() {
		return nil
	}
	c := &cim.Class{}
	for more := r.ObjectStart(); more; more = r.ObjectNext() {
		switch string(r.Key()) {
		case "name":
			c.Name = d.Intern(r.StringBytes())
		case "superClass":
			c.SuperClass = d.Intern(r.StringBytes())
		case "derivation":
			c.Derivation = d.readNames(r)
		case "namespace":
			c.Namespace = d.Intern(r.StringBytes())
		case "server":
			c.Server = d.Intern(r.StringBytes())
		case "qualifiers":
			c.Qualifiers = d.readQualifiers(r)
		case "properties":
			if r.Null() {
				continue
			}
			for more := r.ArrayStart(); more; more = r.ArrayNext() {
				c.Properties = append(c.Properties, d.readProperty(r))
			}
		case "methods":
			if r.Null() {
				continue
			}
			for more := r.ArrayStart(); more; more = r.ArrayNext() {
				c.Methods = append(c.Methods, d.readMethod(r))
			}
		default:
			r.Skip()
		}
	}
	if r.err != nil {
		return nil
	}
	if c.Name == "" {
		r.Fail(status.New(status.WBEM_E_INVALID_PARAMETER, "class without a name"))
		return nil
	}
	return c
}

// ReadClasses reads a JSON array of classes from r.
func (d *Decoder) ReadClasses(r *Reader) []*cim.Class {
	if r.Null() {
		return nil
	}
	var out []*cim.Class
	for more := r.ArrayStart(); more; more = r.ArrayNext() {
		out = append(out, d.ReadClass(r))
	}
	if r.err != nil {
		return nil
	}
	return out
}

func (d *Decoder) readQualifiers(r *Reader) cim.Qualifiers {
	if r.Null() {
		return nil
	}
	var qs cim.Qualifiers
	for more := r.ArrayStart(); more; more = r.ArrayNext() {
		var s slot
		d.readSlot(r, &s, nil, 0)
		if r.err == nil && s.name == "" {
			r.Fail(status.New(status.WBEM_E_INVALID_PARAMETER, "qualifier without a name"))
		}
		qs = append(qs, cim.Qualifier{Name: s.name, Value: s.val, Flavor: s.flavor, Propagated: s.propagated})
	}
	if r.err != nil {
		return nil
	}
	return qs
}

// decl collects the members shared by properties, parameters and
// qualifier declarations.
type decl struct {
	name, ref, emb, origin string
	typ                    cim.Type
	array, propagated      bool
	size                   int
	quals                  cim.Qualifiers
	def                    cim.Value
	scopes                 cim.Scope
	flavor                 cim.Flavor
}

// member reads the value of key into x when key is a declaration member;
// it reports whether it was.
func (d *Decoder) member(r *Reader, key []byte, x *decl) bool {
	switch string(key) {
	case "name":
		x.name = d.Intern(r.StringBytes())
	case "type", "returnType":
		t, ok := parseTypeName(r.StringBytes())
		if !ok && r.err == nil {
			r.failf("unknown type")
		}
		x.typ = t
	case "array":
		x.array = r.Bool()
	case "arraySize":
		n := r.Int64()
		if n < 0 || n > 1<<31-1 {
			r.failf("arraySize out of range")
		}
		x.size = int(n)
	case "refClass", "returnRefClass":
		x.ref = d.Intern(r.StringBytes())
	case "embeddedClass", "returnEmbeddedClass":
		x.emb = d.Intern(r.StringBytes())
	case "classOrigin":
		x.origin = d.Intern(r.StringBytes())
	case "propagated":
		x.propagated = r.Bool()
	case "qualifiers":
		x.quals = d.readQualifiers(r)
	case "default":
		x.def = d.readValue(r, 0)
	case "scopes":
		x.scopes = readScopes(r)
	case "flavor":
		x.flavor = readFlavor(r)
	default:
		return false
	}
	return true
}

func (d *Decoder) readDecl(r *Reader, x *decl, extra func(key []byte) bool) {
	for more := r.ObjectStart(); more; more = r.ObjectNext() {
		key := r.Key()
		if d.member(r, key, x) {
			continue
		}
		if extra == nil || !extra(key) {
			r.Skip()
		}
	}
	if r.err == nil && x.name == "" {
		r.Fail(status.New(status.WBEM_E_INVALID_PARAMETER, "declaration without a name"))
	}
}

func (d *Decoder) readProperty(r *Reader) *cim.Property {
	var x decl
	d.readDecl(r, &x, nil)
	return &cim.Property{
		Name: x.name, Type: x.typ, IsArray: x.array, ArraySize: x.size, RefClass: x.ref,
		EmbeddedClass: x.emb, Qualifiers: x.quals, Default: x.def, ClassOrigin: x.origin,
		Propagated: x.propagated,
	}
}

func (d *Decoder) readMethod(r *Reader) *cim.Method {
	var x decl
	var params []*cim.Parameter
	d.readDecl(r, &x, func(key []byte) bool {
		if string(key) != "parameters" {
			return false
		}
		if r.Null() {
			return true
		}
		for more := r.ArrayStart(); more; more = r.ArrayNext() {
			var p decl
			d.readDecl(r, &p, nil)
			params = append(params, &cim.Parameter{
				Name: p.name, Type: p.typ, IsArray: p.array, ArraySize: p.size,
				RefClass: p.ref, EmbeddedClass: p.emb, Qualifiers: p.quals,
			})
		}
		return true
	})
	return &cim.Method{
		Name: x.name, ReturnType: x.typ, ReturnRefClass: x.ref, ReturnEmbeddedClass: x.emb,
		Parameters: params, Qualifiers: x.quals, ClassOrigin: x.origin, Propagated: x.propagated,
	}
}

// AppendQualifierDecl appends a qualifier declaration: name, type, array,
// arraySize, default, scopes and flavor. A nil declaration is null.
func AppendQualifierDecl(dst []byte, q *cim.QualifierDecl) []byte {
	if q == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"name":`...)
	dst = AppendString(dst, q.Name)
	dst = append(dst, ',')
	dst = appendDecl(dst, q.Type, q.IsArray, q.ArraySize, "", "")
	if !(q.Default.IsNull() && q.Default.Type() == cim.TypeNone && !q.Default.IsArray()) {
		dst = append(dst, `,"default":`...)
		dst = AppendValue(dst, q.Default)
	}
	if q.Scopes != 0 {
		dst = append(dst, `,"scopes":`...)
		dst = appendScopes(dst, q.Scopes)
	}
	if q.Flavor != 0 {
		dst = append(dst, `,"flavor":`...)
		dst = appendStrings(dst, q.Flavor.Keywords())
	}
	return append(dst, '}')
}

// DecodeQualifierDecl decodes a declaration written by
// AppendQualifierDecl (null gives nil).
func DecodeQualifierDecl(data []byte) (*cim.QualifierDecl, error) {
	var d Decoder
	return decodeAll(data, d.ReadQualifierDecl)
}

// ReadQualifierDecl reads a qualifier declaration (or null) from r.
func (d *Decoder) ReadQualifierDecl(r *Reader) *cim.QualifierDecl {
	if r.Null() {
		return nil
	}
	var x decl
	d.readDecl(r, &x, nil)
	if r.err != nil {
		return nil
	}
	return &cim.QualifierDecl{
		Name: x.name, Type: x.typ, IsArray: x.array, ArraySize: x.size, Default: x.def,
		Scopes: x.scopes, Flavor: x.flavor,
	}
}

// ReadQualifierDecls reads a JSON array of qualifier declarations.
func (d *Decoder) ReadQualifierDecls(r *Reader) []*cim.QualifierDecl {
	if r.Null() {
		return nil
	}
	var out []*cim.QualifierDecl
	for more := r.ArrayStart(); more; more = r.ArrayNext() {
		out = append(out, d.ReadQualifierDecl(r))
	}
	if r.err != nil {
		return nil
	}
	return out
}

var scopeNames = []struct {
	s    cim.Scope
	name string
}{
	{cim.ScopeClass, "class"}, {cim.ScopeAssociation, "association"}, {cim.ScopeIndication, "indication"},
	{cim.ScopeProperty, "property"}, {cim.ScopeReference, "reference"}, {cim.ScopeMethod, "method"},
	{cim.ScopeParameter, "parameter"}, {cim.ScopeQualifier, "qualifier"},
}

// appendScopes writes the scope keywords: "any" for every element
// scope, plus "qualifier" when that bit is set too.
func appendScopes(dst []byte, s cim.Scope) []byte {
	dst = append(dst, '[')
	first := true
	add := func(w string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = AppendString(dst, w)
	}
	rest := s
	if s&cim.ScopeAny == cim.ScopeAny {
		add("any")
		rest &^= cim.ScopeAny
	}
	for _, sn := range scopeNames {
		if rest&sn.s != 0 {
			add(sn.name)
			rest &^= sn.s
		}
	}
	if rest != 0 {
		add("0x" + hexUint(uint64(rest)))
	}
	return append(dst, ']')
}

func readScopes(r *Reader) cim.Scope {
	var s cim.Scope
	if r.Null() {
		return 0
	}
	for more := r.ArrayStart(); more; more = r.ArrayNext() {
		w := r.StringBytes()
		if r.err != nil {
			return 0
		}
		if len(w) > 2 && w[0] == '0' && w[1] == 'x' {
			n, ok := parseHex(w[2:])
			if !ok || n > 0xFFFF {
				r.failf("invalid scope %q", w)
				return 0
			}
			s |= cim.Scope(n)
			continue
		}
		b, ok := cim.ParseScope(string(w))
		if !ok {
			r.failf("unknown scope %q", w)
			return 0
		}
		s |= b
	}
	return s
}

func readFlavor(r *Reader) cim.Flavor {
	var f cim.Flavor
	if r.Null() {
		return 0
	}
	for more := r.ArrayStart(); more; more = r.ArrayNext() {
		w := r.StringBytes()
		if r.err != nil {
			return 0
		}
		nf, ok := f.ParseFlavor(string(w))
		if !ok {
			r.failf("unknown flavor %q", w)
			return 0
		}
		f = nf
	}
	return f
}

func hexUint(n uint64) string {
	var b [16]byte
	i := len(b)
	for {
		i--
		b[i] = hexDigits[n&0xF]
		n >>= 4
		if n == 0 {
			return string(b[i:])
		}
	}
}

func parseHex(b []byte) (uint64, bool) {
	var n uint64
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(c)
	}
	return n, true
}
