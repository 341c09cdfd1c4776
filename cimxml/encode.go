package cimxml

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// The encoder appends CIM-XML to a byte slice. It follows the rules that
// strict clients need (CIM-XML.md §0): PROPERTY*, METHOD, PARAMETER*,
// VALUE, PARAMVALUE, RETURNVALUE and IRETURNVALUE are never written as
// empty-element tags, only the attributes of DSP0201 are written, and
// strings are escaped so that every character survives: markup characters
// as entities, carriage returns and other control characters as character
// references (tab and newline stay literal in text). Bytes that are not
// valid UTF-8, NUL, U+FFFE and U+FFFF cannot be carried by XML and become
// U+FFFD.

// xmlDecl starts every document.
const xmlDecl = "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"

// ObjectOptions select what AppendClass and AppendInstance write, as the
// LocalOnly, IncludeQualifiers, IncludeClassOrigin and PropertyList
// parameters of GetClass and GetInstance do.
type ObjectOptions struct {
	// LocalOnly leaves out inherited properties, methods and qualifiers.
	LocalOnly bool
	// IncludeQualifiers writes qualifiers.
	IncludeQualifiers bool
	// IncludeClassOrigin writes CLASSORIGIN (and PROPAGATED).
	IncludeClassOrigin bool
	// PropertyList, when not nil, limits the properties written to those
	// named (case-insensitively); an empty non-nil list writes none.
	PropertyList []string
}

// allOptions writes everything.
var allOptions = ObjectOptions{IncludeQualifiers: true, IncludeClassOrigin: true}

func (o *ObjectOptions) wants(name string) bool {
	if o.PropertyList == nil {
		return true
	}
	for _, n := range o.PropertyList {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 1<<20 {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// escText and escAttr give the replacement of ASCII bytes that need one.
var escText, escAttr [utf8.RuneSelf]string

func init() {
	for c := range 0x20 {
		escText[c] = "&#" + strconv.Itoa(c) + ";"
	}
	escText['\t'], escText['\n'] = "", ""
	escText[0] = "\uFFFD"
	escText['&'], escText['<'], escText['>'] = "&amp;", "&lt;", "&gt;"
	escAttr = escText
	escAttr['\t'], escAttr['\n'] = "&#9;", "&#10;"
	escAttr['"'] = "&quot;"
}

// appendEscaped appends s escaped for text (attr false) or for a
// double-quoted attribute value.
func appendEscaped(b []byte, s string, attr bool) []byte {
	tab := &escText
	if attr {
		tab = &escAttr
	}
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if tab[c] == "" {
				i++
				continue
			}
			b = append(b, s[last:i]...)
			b = append(b, tab[c]...)
			i++
			last = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			b = append(b, s[last:i]...)
			b = append(b, "\uFFFD"...)
			i += n
			last = i
			continue
		}
		i += n
	}
	return append(b, s[last:]...)
}

// appendAttr appends ` name="value"`.
func appendAttr(b []byte, name, value string) []byte {
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, '=', '"')
	b = appendEscaped(b, value, true)
	return append(b, '"')
}

// cimTypeName is the CIM-XML TYPE of a value type: embedded objects are
// strings on the wire.
func cimTypeName(t cim.Type) string {
	if t == cim.Object {
		return "string"
	}
	return t.String()
}

// appendReal formats a real the DSP0201 way: shortest round-tripping
// digits, always with a decimal point, INF, -INF and NaN.
func appendReal(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "INF"...)
	case math.IsInf(f, -1):
		return append(b, "-INF"...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, bits)
	num := b[start:]
	e := -1
	for i, c := range num {
		switch c {
		case '.':
			return b
		case 'e':
			e = i
		}
	}
	if e < 0 {
		return append(b, ".0"...)
	}
	// 1e+21 -> 1.0e+21
	exp := string(num[e:])
	b = append(b[:start+e], ".0"...)
	return append(b, exp...)
}

// appendScalar appends the text of a non-NULL scalar that is not a
// reference or an embedded object.
func appendScalar(b []byte, v cim.Value) []byte {
	switch t := v.Type(); {
	case t == cim.Boolean:
		if v.Bool() {
			return append(b, "TRUE"...)
		}
		return append(b, "FALSE"...)
	case t.IsSigned():
		return strconv.AppendInt(b, v.Int64(), 10)
	case t.IsInteger():
		return strconv.AppendUint(b, v.Uint64(), 10)
	case t == cim.Real32:
		return appendReal(b, v.Float64(), 32)
	case t == cim.Real64:
		return appendReal(b, v.Float64(), 64)
	case t == cim.Char16:
		c := rune(v.Char16())
		if c == 0 || (c >= 0xD800 && c <= 0xDFFF) {
			c = utf8.RuneError
		}
		var tmp [4]byte
		return appendEscaped(b, string(tmp[:utf8.EncodeRune(tmp[:], c)]), false)
	}
	return appendEscaped(b, v.Text(), false)
}

// appendValueElem appends one VALUE element for a non-NULL scalar.
func appendValueElem(b []byte, v cim.Value) []byte {
	b = append(b, "<VALUE>"...)
	if v.Type() == cim.Object {
		b = appendEmbedded(b, v.Object())
	} else {
		b = appendScalar(b, v)
	}
	return append(b, "</VALUE>"...)
}

// appendEmbedded appends the escaped INSTANCE XML of an embedded instance.
func appendEmbedded(b []byte, inst *cim.Instance) []byte {
	tmp := getBuf()
	*tmp = AppendInstance((*tmp)[:0], inst, allOptions)
	b = appendEscaped(b, string(*tmp), false)
	putBuf(tmp)
	return b
}

// AppendValue appends v as VALUE, VALUE.ARRAY (VALUE.NULL for NULL
// items), VALUE.REFERENCE or VALUE.REFARRAY. A NULL value appends nothing.
// Embedded objects are VALUEs holding escaped INSTANCE XML.
func AppendValue(b []byte, v cim.Value) []byte {
	if v.IsNull() {
		return b
	}
	if !v.IsArray() {
		if v.Type() == cim.Reference {
			return AppendReference(b, v.Ref())
		}
		return appendValueElem(b, v)
	}
	if v.Type() == cim.Reference {
		b = append(b, "<VALUE.REFARRAY>"...)
		for _, e := range v.Elems() {
			if e.IsNull() {
				b = append(b, "<VALUE.NULL/>"...)
			} else {
				b = AppendReference(b, e.Ref())
			}
		}
		return append(b, "</VALUE.REFARRAY>"...)
	}
	b = append(b, "<VALUE.ARRAY>"...)
	for _, e := range v.Elems() {
		if e.IsNull() {
			b = append(b, "<VALUE.NULL/>"...)
		} else {
			b = appendValueElem(b, e)
		}
	}
	return append(b, "</VALUE.ARRAY>"...)
}

// AppendReference appends a VALUE.REFERENCE for p, in the form its parts
// call for: INSTANCEPATH or CLASSPATH with server and namespace,
// LOCALINSTANCEPATH or LOCALCLASSPATH with a namespace only, INSTANCENAME
// or CLASSNAME otherwise.
func AppendReference(b []byte, p *cim.ObjectPath) []byte {
	b = append(b, "<VALUE.REFERENCE>"...)
	b = AppendObjectPath(b, p)
	return append(b, "</VALUE.REFERENCE>"...)
}

// AppendObjectPath appends the path element for p (see AppendReference)
// without the VALUE.REFERENCE around it.
func AppendObjectPath(b []byte, p *cim.ObjectPath) []byte {
	inst := p.IsInstance()
	switch {
	case p.Namespace != "" && p.Server != "":
		if inst {
			b = append(b, "<INSTANCEPATH>"...)
		} else {
			b = append(b, "<CLASSPATH>"...)
		}
		b = append(b, "<NAMESPACEPATH><HOST>"...)
		b = appendEscaped(b, p.Server, false)
		b = append(b, "</HOST>"...)
		b = appendLocalNamespace(b, p.Namespace)
		b = append(b, "</NAMESPACEPATH>"...)
		if inst {
			b = AppendInstanceName(b, p)
			return append(b, "</INSTANCEPATH>"...)
		}
		b = appendClassName(b, p.Class)
		return append(b, "</CLASSPATH>"...)
	case p.Namespace != "":
		if inst {
			b = append(b, "<LOCALINSTANCEPATH>"...)
			b = appendLocalNamespace(b, p.Namespace)
			b = AppendInstanceName(b, p)
			return append(b, "</LOCALINSTANCEPATH>"...)
		}
		b = append(b, "<LOCALCLASSPATH>"...)
		b = appendLocalNamespace(b, p.Namespace)
		b = appendClassName(b, p.Class)
		return append(b, "</LOCALCLASSPATH>"...)
	case inst:
		return AppendInstanceName(b, p)
	}
	return appendClassName(b, p.Class)
}

func appendClassName(b []byte, name string) []byte {
	b = append(b, "<CLASSNAME"...)
	b = appendAttr(b, "NAME", name)
	return append(b, "/>"...)
}

// appendLocalNamespace appends LOCALNAMESPACEPATH for "a/b" (or "a\b").
func appendLocalNamespace(b []byte, ns string) []byte {
	b = append(b, "<LOCALNAMESPACEPATH>"...)
	for ns != "" {
		i := strings.IndexAny(ns, `/\`)
		seg := ns
		if i >= 0 {
			seg, ns = ns[:i], ns[i+1:]
		} else {
			ns = ""
		}
		if seg == "" {
			continue
		}
		b = append(b, "<NAMESPACE"...)
		b = appendAttr(b, "NAME", seg)
		b = append(b, "/>"...)
	}
	return append(b, "</LOCALNAMESPACEPATH>"...)
}

// AppendInstanceName appends INSTANCENAME for the class and keys of p
// (server and namespace are not part of it). A reference key whose text
// parses as a path becomes a VALUE.REFERENCE.
func AppendInstanceName(b []byte, p *cim.ObjectPath) []byte {
	b = append(b, "<INSTANCENAME"...)
	b = appendAttr(b, "CLASSNAME", p.Class)
	b = append(b, '>')
	for _, k := range p.Keys {
		if k.Name == "" {
			b = appendKeyValue(b, k.Value)
			continue
		}
		b = append(b, "<KEYBINDING"...)
		b = appendAttr(b, "NAME", k.Name)
		b = append(b, '>')
		b = appendKeyValue(b, k.Value)
		b = append(b, "</KEYBINDING>"...)
	}
	return append(b, "</INSTANCENAME>"...)
}

func appendKeyValue(b []byte, kv cim.KeyValue) []byte {
	vt := "string"
	switch kv.Kind {
	case cim.KeyInt, cim.KeyReal:
		vt = "numeric"
	case cim.KeyBool:
		vt = "boolean"
	case cim.KeyRef:
		p, err := cim.ParsePath(kv.Text)
		if err != nil {
			p, err = cim.ParseURI(kv.Text)
		}
		if err == nil {
			return AppendReference(b, p)
		}
	}
	b = append(b, "<KEYVALUE VALUETYPE=\""...)
	b = append(b, vt...)
	b = append(b, "\">"...)
	b = appendEscaped(b, kv.Text, false)
	return append(b, "</KEYVALUE>"...)
}

// AppendQualifier appends a QUALIFIER element. A NULL boolean (or
// untyped) qualifier is a flag that is set and is written as TRUE.
func AppendQualifier(b []byte, q *cim.Qualifier) []byte {
	v := q.Value
	t := v.Type()
	if v.IsNull() && (t == cim.TypeNone || t == cim.Boolean) && !v.IsArray() {
		v, t = cim.NewBool(true), cim.Boolean
	}
	b = append(b, "<QUALIFIER"...)
	b = appendAttr(b, "NAME", q.Name)
	b = appendAttr(b, "TYPE", cimTypeName(t))
	if q.Propagated {
		b = append(b, ` PROPAGATED="true"`...)
	}
	b = appendFlavor(b, q.Flavor, false)
	b = append(b, '>')
	b = AppendValue(b, v)
	return append(b, "</QUALIFIER>"...)
}

// appendFlavor appends the flavor attributes of QUALIFIER and, with
// toInstance, of QUALIFIER.DECLARATION (which alone carries TOINSTANCE);
// the DTD defaults are left out.
func appendFlavor(b []byte, f cim.Flavor, toInstance bool) []byte {
	if !f.Overridable() {
		b = append(b, ` OVERRIDABLE="false"`...)
	}
	if !f.ToSubclass() {
		b = append(b, ` TOSUBCLASS="false"`...)
	}
	if toInstance && f&cim.FlavorToInstance != 0 {
		b = append(b, ` TOINSTANCE="true"`...)
	}
	if f&cim.FlavorTranslatable != 0 {
		b = append(b, ` TRANSLATABLE="true"`...)
	}
	return b
}

// appendQualifiers appends the qualifiers of an element; with local set
// propagated ones are left out. For embedded-object elements an
// EmbeddedInstance (or EmbeddedObject) qualifier is added when missing, so
// that the string on the wire is known to hold an object.
func appendQualifiers(b []byte, qs cim.Qualifiers, local bool, embedded bool, embClass string) []byte {
	for i := range qs {
		if local && qs[i].Propagated {
			continue
		}
		b = AppendQualifier(b, &qs[i])
	}
	if embedded && !qs.Has("EmbeddedInstance") && !qs.Has("EmbeddedObject") {
		if embClass != "" {
			b = AppendQualifier(b, &cim.Qualifier{Name: "EmbeddedInstance", Value: cim.NewString(embClass)})
		} else {
			b = AppendQualifier(b, &cim.Qualifier{Name: "EmbeddedObject", Value: cim.NewBool(true)})
		}
	}
	return b
}

// inherited reports whether a feature comes from a superclass of class.
func inherited(class, origin string, propagated bool) bool {
	return propagated || (origin != "" && !strings.EqualFold(origin, class))
}

// appendOrigin appends CLASSORIGIN and PROPAGATED.
func appendOrigin(b []byte, origin string, propagated bool) []byte {
	if origin != "" {
		b = appendAttr(b, "CLASSORIGIN", origin)
	}
	if propagated {
		b = append(b, ` PROPAGATED="true"`...)
	}
	return b
}

// appendProperty appends a PROPERTY, PROPERTY.ARRAY or PROPERTY.REFERENCE
// element for p with value v (a class default or an instance value).
func appendProperty(b []byte, p *cim.Property, v cim.Value, opts *ObjectOptions, quals bool) []byte {
	var end string
	switch {
	case p.Type == cim.Reference && !p.IsArray:
		b = append(b, "<PROPERTY.REFERENCE"...)
		b = appendAttr(b, "NAME", p.Name)
		if p.RefClass != "" {
			b = appendAttr(b, "REFERENCECLASS", p.RefClass)
		}
		end = "</PROPERTY.REFERENCE>"
	case p.IsArray:
		b = append(b, "<PROPERTY.ARRAY"...)
		b = appendAttr(b, "NAME", p.Name)
		b = appendAttr(b, "TYPE", cimTypeName(p.Type))
		if p.Type == cim.Reference && p.RefClass != "" {
			// Not in DSP0201, which has no reference-array properties.
			b = appendAttr(b, "REFERENCECLASS", p.RefClass)
		}
		if p.ArraySize > 0 {
			b = appendAttr(b, "ARRAYSIZE", strconv.Itoa(p.ArraySize))
		}
		end = "</PROPERTY.ARRAY>"
	default:
		b = append(b, "<PROPERTY"...)
		b = appendAttr(b, "NAME", p.Name)
		b = appendAttr(b, "TYPE", cimTypeName(p.Type))
		end = "</PROPERTY>"
	}
	if opts.IncludeClassOrigin {
		b = appendOrigin(b, p.ClassOrigin, p.Propagated)
	}
	if p.Type == cim.Object {
		if p.EmbeddedClass != "" {
			b = append(b, ` EMBEDDEDOBJECT="instance"`...)
		} else {
			b = append(b, ` EMBEDDEDOBJECT="object"`...)
		}
	}
	b = append(b, '>')
	if quals {
		b = appendQualifiers(b, p.Qualifiers, opts.LocalOnly, p.Type == cim.Object, p.EmbeddedClass)
	}
	if !v.IsNull() && (v.Type() != p.Type || v.IsArray() != p.IsArray) {
		if c, err := cim.Convert(v, p.Type, p.IsArray); err == nil {
			v = c
		}
	}
	b = AppendValue(b, v)
	return append(b, end...)
}

// AppendClass appends a CLASS element. Embedded-object properties,
// parameters and return values are written as strings with an
// EmbeddedInstance or EmbeddedObject qualifier.
func AppendClass(b []byte, c *cim.Class, opts ObjectOptions) []byte {
	b = append(b, "<CLASS"...)
	b = appendAttr(b, "NAME", c.Name)
	if c.SuperClass != "" {
		b = appendAttr(b, "SUPERCLASS", c.SuperClass)
	}
	b = append(b, '>')
	if opts.IncludeQualifiers {
		b = appendQualifiers(b, c.Qualifiers, opts.LocalOnly, false, "")
	}
	for _, p := range c.Properties {
		if opts.LocalOnly && inherited(c.Name, p.ClassOrigin, p.Propagated) || !opts.wants(p.Name) {
			continue
		}
		b = appendProperty(b, p, p.Default, &opts, opts.IncludeQualifiers)
	}
	for _, m := range c.Methods {
		if opts.LocalOnly && inherited(c.Name, m.ClassOrigin, m.Propagated) {
			continue
		}
		b = appendMethod(b, m, &opts)
	}
	return append(b, "</CLASS>"...)
}

func appendMethod(b []byte, m *cim.Method, opts *ObjectOptions) []byte {
	b = append(b, "<METHOD"...)
	b = appendAttr(b, "NAME", m.Name)
	if m.ReturnType != cim.TypeNone {
		b = appendAttr(b, "TYPE", cimTypeName(m.ReturnType))
		if m.ReturnType == cim.Reference && m.ReturnRefClass != "" {
			b = appendAttr(b, "REFERENCECLASS", m.ReturnRefClass)
		}
	}
	if opts.IncludeClassOrigin {
		b = appendOrigin(b, m.ClassOrigin, m.Propagated)
	}
	b = append(b, '>')
	if opts.IncludeQualifiers {
		b = appendQualifiers(b, m.Qualifiers, opts.LocalOnly, m.ReturnType == cim.Object, m.ReturnEmbeddedClass)
	}
	for _, p := range m.Parameters {
		var end string
		switch {
		case p.Type == cim.Reference && p.IsArray:
			b = append(b, "<PARAMETER.REFARRAY"...)
			b = appendAttr(b, "NAME", p.Name)
			if p.RefClass != "" {
				b = appendAttr(b, "REFERENCECLASS", p.RefClass)
			}
			end = "</PARAMETER.REFARRAY>"
		case p.Type == cim.Reference:
			b = append(b, "<PARAMETER.REFERENCE"...)
			b = appendAttr(b, "NAME", p.Name)
			if p.RefClass != "" {
				b = appendAttr(b, "REFERENCECLASS", p.RefClass)
			}
			end = "</PARAMETER.REFERENCE>"
		case p.IsArray:
			b = append(b, "<PARAMETER.ARRAY"...)
			b = appendAttr(b, "NAME", p.Name)
			b = appendAttr(b, "TYPE", cimTypeName(p.Type))
			end = "</PARAMETER.ARRAY>"
		default:
			b = append(b, "<PARAMETER"...)
			b = appendAttr(b, "NAME", p.Name)
			b = appendAttr(b, "TYPE", cimTypeName(p.Type))
			end = "</PARAMETER>"
		}
		if p.IsArray && p.ArraySize > 0 {
			b = appendAttr(b, "ARRAYSIZE", strconv.Itoa(p.ArraySize))
		}
		b = append(b, '>')
		if opts.IncludeQualifiers {
			// Parameter qualifiers (In, Out) are always written whole:
			// clients need them to know the direction.
			b = appendQualifiers(b, p.Qualifiers, false, p.Type == cim.Object, p.EmbeddedClass)
		}
		b = append(b, end...)
	}
	return append(b, "</METHOD>"...)
}

// AppendInstance appends an INSTANCE element with one PROPERTY per
// property of the instance's class (NULL values as properties without
// VALUE). Embedded objects carry EMBEDDEDOBJECT and the escaped XML of the
// instance. Qualifiers of the class's properties are written only with
// IncludeQualifiers.
func AppendInstance(b []byte, inst *cim.Instance, opts ObjectOptions) []byte {
	c := inst.Class()
	b = append(b, "<INSTANCE"...)
	b = appendAttr(b, "CLASSNAME", c.Name)
	b = append(b, '>')
	for k := range inst.Len() {
		p, v := inst.At(k)
		if opts.LocalOnly && inherited(c.Name, p.ClassOrigin, p.Propagated) || !opts.wants(p.Name) {
			continue
		}
		b = appendProperty(b, p, v, &opts, opts.IncludeQualifiers)
	}
	return append(b, "</INSTANCE>"...)
}

// AppendNamedInstance appends VALUE.NAMEDINSTANCE: the INSTANCENAME from
// the instance's key properties and the INSTANCE.
func AppendNamedInstance(b []byte, inst *cim.Instance, opts ObjectOptions) []byte {
	b = append(b, "<VALUE.NAMEDINSTANCE>"...)
	b = AppendInstanceName(b, inst.Path())
	b = AppendInstance(b, inst, opts)
	return append(b, "</VALUE.NAMEDINSTANCE>"...)
}

// AppendQualifierDecl appends a QUALIFIER.DECLARATION element.
func AppendQualifierDecl(b []byte, q *cim.QualifierDecl) []byte {
	b = append(b, "<QUALIFIER.DECLARATION"...)
	b = appendAttr(b, "NAME", q.Name)
	b = appendAttr(b, "TYPE", cimTypeName(q.Type))
	if q.IsArray {
		b = append(b, ` ISARRAY="true"`...)
		if q.ArraySize > 0 {
			b = appendAttr(b, "ARRAYSIZE", strconv.Itoa(q.ArraySize))
		}
	} else {
		b = append(b, ` ISARRAY="false"`...)
	}
	b = appendFlavor(b, q.Flavor, true)
	b = append(b, '>')
	if q.Scopes&^cim.ScopeQualifier != 0 {
		b = append(b, "<SCOPE"...)
		for _, sa := range scopeAttrs {
			if q.Scopes&sa.scope != 0 {
				b = append(b, ' ')
				b = append(b, sa.name...)
				b = append(b, `="true"`...)
			}
		}
		b = append(b, "/>"...)
	}
	b = AppendValue(b, q.Default)
	return append(b, "</QUALIFIER.DECLARATION>"...)
}

// ---- messages --------------------------------------------------------

// appendMessageStart appends the XML declaration, CIM and MESSAGE start
// tags and the SIMPLEREQ or SIMPLERSP start tag.
func appendMessageStart(b []byte, id string, rsp bool) []byte {
	b = append(b, xmlDecl...)
	b = append(b, `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE`...)
	b = appendAttr(b, "ID", id)
	if rsp {
		return append(b, ` PROTOCOLVERSION="1.0"><SIMPLERSP>`...)
	}
	return append(b, ` PROTOCOLVERSION="1.0"><SIMPLEREQ>`...)
}

func appendMessageEnd(b []byte, rsp bool) []byte {
	if rsp {
		return append(b, "</SIMPLERSP></MESSAGE></CIM>\n"...)
	}
	return append(b, "</SIMPLEREQ></MESSAGE></CIM>\n"...)
}

// appendError appends an ERROR element for err. DESCRIPTION starts with
// the symbolic CIM status name; when the WBEM code is not the one the CIM
// status maps back to, its name follows in parentheses so that gowbem
// clients can restore it.
func appendError(b []byte, err error) []byte {
	c := status.CIMCode(err)
	if c == status.CIM_ERR_OK {
		c = status.CIM_ERR_FAILED
	}
	e := status.AsError(err)
	desc := e.Description
	if desc == "" {
		if desc = e.Code.Message(); desc == "" {
			desc = c.Description()
		}
	}
	b = append(b, `<ERROR CODE="`...)
	b = strconv.AppendUint(b, uint64(c), 10)
	b = append(b, `" DESCRIPTION="`...)
	b = appendEscaped(b, c.String()+": "+desc, true)
	if e.Code.Failed() && e.Code != c.WBEM() && e.Code.CIM() == c {
		if name := e.Code.String(); strings.HasPrefix(name, "WBEM_E_") {
			b = append(b, " ("...)
			b = append(b, name...)
			b = append(b, ')')
		}
	}
	return append(b, `"/>`...)
}

// appendParamValue appends a PARAMVALUE (or, with name "", a RETURNVALUE)
// with PARAMTYPE; embedded objects (always instances in this model) get
// PARAMTYPE string and EmbeddedObject="instance".
func appendParamValue(b []byte, name string, v cim.Value) []byte {
	end := "</PARAMVALUE>"
	if name == "" {
		b = append(b, "<RETURNVALUE"...)
		end = "</RETURNVALUE>"
	} else {
		b = append(b, "<PARAMVALUE"...)
		b = appendAttr(b, "NAME", name)
	}
	if t := v.Type(); t != cim.TypeNone {
		b = appendAttr(b, "PARAMTYPE", cimTypeName(t))
		if t == cim.Object {
			b = append(b, ` EmbeddedObject="instance"`...)
		}
	}
	b = append(b, '>')
	b = AppendValue(b, v)
	return append(b, end...)
}

// AppendMethodResponse appends a complete METHODRESPONSE document for the
// out-parameters out of method (as the request spelled it), or for err
// when it is not nil. The ReturnValue property becomes RETURNVALUE, first;
// every other non-NULL property a PARAMVALUE; NULL out-parameters are left
// out (wbemcli crashes on empty PARAMVALUEs), and so is a NULL
// ReturnValue (it crashes on an empty RETURNVALUE too). A nil out gives an
// empty METHODRESPONSE.
func AppendMethodResponse(b []byte, id, method string, out *cim.Instance, err error) []byte {
	b = appendMessageStart(b, id, true)
	b = append(b, "<METHODRESPONSE"...)
	b = appendAttr(b, "NAME", method)
	b = append(b, '>')
	switch {
	case err != nil:
		b = appendError(b, err)
	case out != nil:
		c := out.Class()
		rv := c.PropertyIndex(cim.ReturnValueName)
		if rv >= 0 {
			// A NULL return value is left out: wbemcli crashes on an
			// empty RETURNVALUE, and DSP0200 makes RETURNVALUE optional.
			if _, v := out.At(rv); !v.IsNull() {
				b = appendParamValue(b, "", v)
			}
		}
		for k := range out.Len() {
			p, v := out.At(k)
			if k == rv || v.IsNull() {
				continue
			}
			b = appendParamValue(b, p.Name, v)
		}
	}
	b = append(b, "</METHODRESPONSE>"...)
	return appendMessageEnd(b, true)
}

// AppendIMethodError appends a complete IMETHODRESPONSE document carrying
// the ERROR for err.
func AppendIMethodError(b []byte, id, method string, err error) []byte {
	b = appendIMethodResponseStart(b, id, method)
	b = appendError(b, err)
	return appendIMethodResponseEnd(b)
}

func appendIMethodResponseStart(b []byte, id, method string) []byte {
	b = appendMessageStart(b, id, true)
	b = append(b, "<IMETHODRESPONSE"...)
	b = appendAttr(b, "NAME", method)
	return append(b, '>')
}

func appendIMethodResponseEnd(b []byte) []byte {
	b = append(b, "</IMETHODRESPONSE>"...)
	return appendMessageEnd(b, true)
}

// AppendTo appends the request as a complete CIM-XML document. A METHODCALL
// targets r.Target (in r.Namespace when the target has no namespace); its
// PARAMVALUEs carry PARAMTYPE when the parameter's Type or value type is
// known. An IMETHODCALL writes reference values as CLASSNAME or
// INSTANCENAME and booleans as TRUE/FALSE.
func (r *Request) AppendTo(b []byte) []byte {
	b = appendMessageStart(b, r.MessageID, false)
	if r.Intrinsic {
		b = append(b, "<IMETHODCALL"...)
		b = appendAttr(b, "NAME", r.Method)
		b = append(b, '>')
		b = appendLocalNamespace(b, r.Namespace)
		for _, p := range r.Params {
			b = append(b, "<IPARAMVALUE"...)
			b = appendAttr(b, "NAME", p.Name)
			b = append(b, '>')
			v := p.Value
			switch {
			case v.IsNull():
			case v.Type() == cim.Reference && !v.IsArray():
				ref := v.Ref()
				if ref.IsInstance() {
					b = AppendInstanceName(b, ref)
				} else {
					b = appendClassName(b, ref.Class)
				}
			case v.Type() == cim.Object && !v.IsArray():
				b = AppendInstance(b, v.Object(), allOptions)
			default:
				b = AppendValue(b, v)
			}
			b = append(b, "</IPARAMVALUE>"...)
		}
		b = append(b, "</IMETHODCALL>"...)
		return appendMessageEnd(b, false)
	}
	b = append(b, "<METHODCALL"...)
	b = appendAttr(b, "NAME", r.Method)
	b = append(b, '>')
	t := r.Target
	if t == nil {
		t = &cim.ObjectPath{}
	}
	ns := t.Namespace
	if ns == "" {
		ns = r.Namespace
	}
	if t.IsInstance() {
		b = append(b, "<LOCALINSTANCEPATH>"...)
		b = appendLocalNamespace(b, ns)
		b = AppendInstanceName(b, t)
		b = append(b, "</LOCALINSTANCEPATH>"...)
	} else {
		b = append(b, "<LOCALCLASSPATH>"...)
		b = appendLocalNamespace(b, ns)
		b = appendClassName(b, t.Class)
		b = append(b, "</LOCALCLASSPATH>"...)
	}
	for _, p := range r.Params {
		v := p.Value
		if p.Type != cim.TypeNone && v.Type() == cim.TypeNone {
			v = cim.Null(p.Type, v.IsArray())
		}
		b = appendParamValue(b, p.Name, v)
	}
	b = append(b, "</METHODCALL>"...)
	return appendMessageEnd(b, false)
}

// AppendTo appends the response as a complete CIM-XML document. A
// METHODRESPONSE holds the ERROR, or the RETURNVALUE (unless ReturnValue is
// NULL) and the non-NULL Params. An IMETHODRESPONSE holds the
// ERROR or, when HasReturn is set, an IRETURNVALUE with the classes, class
// names, instances (as VALUE.NAMEDINSTANCE when InstanceNames runs
// parallel to them), instance names, qualifier declarations and values.
func (r *Response) AppendTo(b []byte) []byte {
	if !r.Intrinsic {
		b = appendMessageStart(b, r.MessageID, true)
		b = append(b, "<METHODRESPONSE"...)
		b = appendAttr(b, "NAME", r.Method)
		b = append(b, '>')
		if r.Err != nil {
			b = appendError(b, r.Err)
		} else {
			if !r.ReturnValue.IsNull() {
				b = appendParamValue(b, "", r.ReturnValue)
			}
			for _, p := range r.Params {
				if !p.Value.IsNull() {
					b = appendParamValue(b, p.Name, p.Value)
				}
			}
		}
		b = append(b, "</METHODRESPONSE>"...)
		return appendMessageEnd(b, true)
	}
	b = appendIMethodResponseStart(b, r.MessageID, r.Method)
	switch {
	case r.Err != nil:
		b = appendError(b, r.Err)
	case r.HasReturn:
		b = append(b, "<IRETURNVALUE>"...)
		for _, c := range r.Classes {
			b = AppendClass(b, c, allOptions)
		}
		for _, n := range r.ClassNames {
			b = appendClassName(b, n)
		}
		named := len(r.Instances) > 0 && len(r.InstanceNames) == len(r.Instances)
		for i, inst := range r.Instances {
			if named {
				b = append(b, "<VALUE.NAMEDINSTANCE>"...)
				b = AppendInstanceName(b, r.InstanceNames[i])
				b = AppendInstance(b, inst, allOptions)
				b = append(b, "</VALUE.NAMEDINSTANCE>"...)
			} else {
				b = AppendInstance(b, inst, allOptions)
			}
		}
		if !named {
			for _, p := range r.InstanceNames {
				b = AppendInstanceName(b, p)
			}
		}
		for _, q := range r.QualifierDecls {
			b = AppendQualifierDecl(b, q)
		}
		for _, v := range r.Values {
			b = AppendValue(b, v)
		}
		b = append(b, "</IRETURNVALUE>"...)
	}
	return appendIMethodResponseEnd(b)
}
