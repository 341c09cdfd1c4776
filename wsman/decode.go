package wsman

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// classGetter looks classes up; wbem.Services is one.
type classGetter interface {
	GetClass(ctx context.Context, className string) (*cim.Class, error)
}

// typedDecoder turns elements of a request into typed CIM values, using
// the declared types of method parameters and class properties.
type typedDecoder struct {
	ctx context.Context
	d   *document
	cls classGetter
	res *resource
	// scratch is reused for the array elements of one instance.
	arrays []pendingArray
}

type pendingArray struct {
	k     int
	elems []cim.Value
	nils  int
}

// paramError is an in-parameter (or embedded property) that does not fit
// its declaration: CIM_ERR_INVALID_PARAMETER with the WBEM code of the
// cause.
func paramError(err error, what string) error {
	se := status.AsError(err)
	return &status.Error{
		Code:              se.Code,
		Description:       what + ": " + se.Description,
		CIMStatusOverride: status.CIM_ERR_INVALID_PARAMETER,
	}
}

func newParamError(code status.HRESULT, msg string) error {
	return &status.Error{Code: code, Description: msg, CIMStatusOverride: status.CIM_ERR_INVALID_PARAMETER}
}

// propIndex finds the property named name in c, case-insensitively.
func propIndex(c *cim.Class, name []byte) int {
	for k, p := range c.Properties {
		if len(p.Name) == len(name) && asciiEqualFoldStr(name, p.Name) {
			return k
		}
	}
	for k, p := range c.Properties {
		if strings.EqualFold(p.Name, string(name)) {
			return k
		}
	}
	return -1
}

func asciiEqualFoldStr(b []byte, s string) bool {
	for i := 0; i < len(b); i++ {
		c, d := b[i], s[i]
		if c == d {
			continue
		}
		if c|0x20 != d|0x20 || c|0x20 < 'a' || c|0x20 > 'z' {
			return false
		}
	}
	return true
}

// instance decodes the children of element parent as the properties of
// a new instance of c (an in-parameter signature or an embedded class).
// kind names the children in messages ("parameter", "property").
func (td *typedDecoder) instance(c *cim.Class, parent int32, kind string) (*cim.Instance, error) {
	d := td.d
	inst := cim.NewInstance(c)
	base := len(td.arrays)
	defer func() { td.arrays = td.arrays[:base] }()
	var seen uint64
	var seenMore map[int]bool
	for ch := d.nodes[parent].first; ch >= 0; ch = d.nodes[ch].next {
		name := d.localName(ch)
		k := propIndex(c, name)
		if k < 0 {
			if c.Name == cim.ParametersClass {
				return nil, newParamError(status.WBEM_E_INVALID_PARAMETER, "unknown "+kind+" "+strconvQuote(name))
			}
			return nil, newParamError(status.WBEM_E_INVALID_PARAMETER, "class "+c.Name+" has no "+kind+" "+strconvQuote(name))
		}
		p := c.Properties[k]
		if p.IsArray {
			v, isNil, err := td.value(ch, p.Type, p.EmbeddedClass, kind+" "+p.Name)
			if err != nil {
				return nil, err
			}
			j := base
			for ; j < len(td.arrays); j++ {
				if td.arrays[j].k == k {
					break
				}
			}
			if j == len(td.arrays) {
				td.arrays = append(td.arrays, pendingArray{k: k, elems: make([]cim.Value, 0, 4)})
			}
			td.arrays[j].elems = append(td.arrays[j].elems, v)
			if isNil {
				td.arrays[j].nils++
			}
			continue
		}
		if k < 64 {
			if seen&(1<<k) != 0 {
				return nil, newParamError(status.WBEM_E_INVALID_PARAMETER, kind+" "+p.Name+" given more than once")
			}
			seen |= 1 << k
		} else {
			if seenMore == nil {
				seenMore = map[int]bool{}
			}
			if seenMore[k] {
				return nil, newParamError(status.WBEM_E_INVALID_PARAMETER, kind+" "+p.Name+" given more than once")
			}
			seenMore[k] = true
		}
		v, _, err := td.value(ch, p.Type, p.EmbeddedClass, kind+" "+p.Name)
		if err != nil {
			return nil, err
		}
		if err := inst.SetAt(k, v); err != nil {
			return nil, paramError(err, kind+" "+p.Name)
		}
	}
	for _, a := range td.arrays[base:] {
		p := c.Properties[a.k]
		var v cim.Value
		if len(a.elems) == 1 && a.nils == 1 {
			v = cim.Null(p.Type, true)
		} else {
			var err error
			v, err = cim.NewArray(p.Type, a.elems)
			if err != nil {
				return nil, paramError(err, kind+" "+p.Name)
			}
		}
		if err := inst.SetAt(a.k, v); err != nil {
			return nil, paramError(err, kind+" "+p.Name)
		}
	}
	return inst, nil
}

// value decodes one element as a scalar of type t. isNil reports an
// explicit xsi:nil.
func (td *typedDecoder) value(n int32, t cim.Type, embClass, what string) (v cim.Value, isNil bool, err error) {
	d := td.d
	if d.boolAttr(n, nsXSI, "nil") {
		return cim.Null(t, false), true, nil
	}
	hasChildren := d.nodes[n].first >= 0
	switch t {
	case cim.Reference:
		if hasChildren {
			p, err := td.epr(n, 0)
			if err != nil {
				return v, false, paramError(err, what)
			}
			return cim.NewReference(p), false, nil
		}
		v, err = cim.ParseValue(cim.Reference, string(d.trimmed(n)))
	case cim.Object:
		if !hasChildren && len(d.trimmed(n)) > 0 {
			return v, false, newParamError(status.WBEM_E_TYPE_MISMATCH, what+": an embedded instance must be given as elements")
		}
		inst, err := td.embedded(n, embClass, what)
		if err != nil {
			return v, false, err
		}
		return cim.NewObject(inst), false, nil
	case cim.DateTime:
		v, err = decodeDateTime(d, n)
	default:
		if hasChildren {
			return v, false, newParamError(status.WBEM_E_TYPE_MISMATCH, what+": element content where a "+t.String()+" value is expected")
		}
		switch {
		case t == cim.String:
			v = cim.NewString(string(d.text(n)))
		case t == cim.Char16:
			txt := d.text(n)
			if len(bytes.TrimSpace(txt)) > 0 && utf8RuneCount(txt) != 1 {
				txt = bytes.TrimSpace(txt)
			}
			v, err = cim.ParseValue(t, string(txt))
		case t == cim.Boolean:
			switch txt := d.trimmed(n); string(txt) {
			case "1":
				v = cim.NewBool(true)
			case "0":
				v = cim.NewBool(false)
			default:
				v, err = cim.ParseValue(t, string(txt))
			}
		default:
			v, err = parseNumber(t, d.trimmed(n))
		}
	}
	if err != nil {
		return v, false, paramError(err, what)
	}
	return v, false, nil
}

func utf8RuneCount(b []byte) int { return len([]rune(string(b))) }

// parseNumber parses an integer or real, avoiding the allocation of a
// string for short decimal integers.
func parseNumber(t cim.Type, b []byte) (cim.Value, error) {
	if t.IsInteger() && len(b) > 0 && len(b) <= 18 {
		neg := b[0] == '-'
		digits := b
		if neg || b[0] == '+' {
			digits = b[1:]
		}
		if len(digits) > 0 && !(len(digits) > 1 && digits[0] == '0') {
			var n int64
			ok := true
			for _, c := range digits {
				if c < '0' || c > '9' {
					ok = false
					break
				}
				n = n*10 + int64(c-'0')
			}
			if ok {
				if neg {
					return cim.Convert(cim.NewSint64(-n), t, false)
				}
				return cim.Convert(cim.NewUint64(uint64(n)), t, false)
			}
		}
	}
	return cim.ParseValue(t, string(b))
}

// embedded decodes an embedded instance: its class is the xsi:type
// ("p:Class_Type") or else the declared class.
func (td *typedDecoder) embedded(n int32, declared, what string) (*cim.Instance, error) {
	d := td.d
	name := declared
	if xt, ok := d.attrValue(n, nsXSI, "type"); ok {
		xt = bytes.TrimSpace(xt)
		if k := bytes.IndexByte(xt, ':'); k >= 0 {
			xt = xt[k+1:]
		}
		xt = bytes.TrimSuffix(xt, []byte("_Type"))
		if !isIdentifier(xt) {
			return nil, newParamError(status.WBEM_E_INVALID_PARAMETER, what+": invalid xsi:type")
		}
		name = string(xt)
	}
	if name == "" {
		return nil, newParamError(status.WBEM_E_INVALID_PARAMETER, what+": the class of the embedded instance is unknown (no xsi:type)")
	}
	if td.cls == nil {
		return nil, newParamError(status.WBEM_E_INVALID_CLASS, what+": no class information")
	}
	c, err := td.cls.GetClass(td.ctx, name)
	if err != nil {
		return nil, paramError(err, what+": class "+name)
	}
	if declared != "" && !c.IsA(declared) {
		return nil, newParamError(status.WBEM_E_TYPE_MISMATCH, what+": "+c.Name+" is not a "+declared)
	}
	return td.instance(c, n, "property")
}

// epr decodes an endpoint reference held by element n (its children are
// a:Address and a:ReferenceParameters, or one a:EndpointReference).
func (td *typedDecoder) epr(n int32, depth int) (*cim.ObjectPath, error) {
	d := td.d
	if depth > 8 {
		return nil, newParamError(status.WBEM_E_INVALID_PARAMETER, "endpoint references nested too deeply")
	}
	if c := d.child(n, nsWSA, "EndpointReference"); c >= 0 {
		n = c
	}
	rp := d.child(n, nsWSA, "ReferenceParameters")
	if rp < 0 {
		return nil, newParamError(status.WBEM_E_INVALID_PARAMETER, "endpoint reference without ReferenceParameters")
	}
	ru := d.child(rp, nsWSMan, "ResourceURI")
	if ru < 0 {
		return nil, newParamError(status.WBEM_E_INVALID_PARAMETER, "endpoint reference without ResourceURI")
	}
	var sels []selector
	if ss := d.child(rp, nsWSMan, "SelectorSet"); ss >= 0 {
		var f *Fault
		if sels, f = decodeSelectors(d, ss, nil); f != nil {
			return nil, newParamError(status.WBEM_E_INVALID_PARAMETER, f.Reason)
		}
	}
	var nsSel []byte
	for _, s := range sels {
		if asciiEqualFold(s.name, NamespaceSelector) {
			nsSel = s.value
		}
	}
	r, f := parseResourceURI(d.trimmed(ru), nsSel, td.res.namespace)
	if f != nil {
		return nil, newParamError(status.WBEM_E_INVALID_PARAMETER, f.Reason)
	}
	var c *cim.Class
	if td.cls != nil && strings.EqualFold(r.namespace, td.res.namespace) {
		c, _ = td.cls.GetClass(td.ctx, r.class)
	}
	p, f := td.buildPath(c, &r, sels, false, depth)
	if f != nil {
		return nil, newParamError(status.WBEM_E_INVALID_PARAMETER, f.Reason)
	}
	if !strings.EqualFold(r.namespace, td.res.namespace) {
		p.Namespace = r.namespace
	}
	return p, nil
}

// buildPath builds the object path that selectors name. With a class, key
// values are typed by the key properties, names take the class's spelling
// and, when strict, unknown and missing keys are InvalidSelectors faults.
// Without keys the path is the class path (or Class=@ for a singleton).
func (td *typedDecoder) buildPath(c *cim.Class, r *resource, sels []selector, strict bool, depth int) (*cim.ObjectPath, *Fault) {
	d := td.d
	p := &cim.ObjectPath{Class: r.class}
	if c != nil {
		p.Class = c.Name
	}
	nkeys := 0
	for _, s := range sels {
		if asciiEqualFold(s.name, NamespaceSelector) {
			continue
		}
		nkeys++
	}
	if nkeys == 0 {
		if c != nil && c.IsSingleton() {
			p.Singleton = true
		}
		return p, nil
	}
	p.Keys = make([]cim.KeyBinding, 0, nkeys)
	for _, s := range sels {
		if asciiEqualFold(s.name, NamespaceSelector) {
			continue
		}
		var prop *cim.Property
		name := string(s.name)
		if c != nil {
			if k := propIndex(c, s.name); k >= 0 && c.Properties[k].IsKey() {
				prop = c.Properties[k]
				name = prop.Name
			} else if strict {
				return nil, newFault(SubcodeInvalidSelectors, DetailUnexpectedSelectors,
					"selector "+strconvQuote(s.name)+" is not a key of "+c.Name)
			}
		}
		var kv cim.KeyValue
		switch {
		case s.epr >= 0:
			sub, err := td.epr(s.epr, depth+1)
			if err != nil {
				return nil, newFault(SubcodeInvalidSelectors, DetailInvalidValue, "selector "+name+": "+status.AsError(err).Description)
			}
			if prop != nil && prop.Type != cim.Reference {
				return nil, newFault(SubcodeInvalidSelectors, DetailTypeMismatch, "selector "+name+" is not a reference")
			}
			kv = cim.KeyValue{Kind: cim.KeyRef, Text: sub.String()}
		case prop != nil && prop.Type != cim.String:
			txt := s.value
			if prop.Type != cim.Char16 {
				txt = bytes.TrimSpace(txt)
			}
			var v cim.Value
			var err error
			if prop.Type.IsInteger() || prop.Type.IsReal() {
				v, err = parseNumber(prop.Type, txt)
			} else {
				v, err = cim.ParseValue(prop.Type, string(txt))
			}
			if err != nil {
				return nil, newFault(SubcodeInvalidSelectors, DetailTypeMismatch,
					"selector "+name+": "+strconvQuote(txt)+" is not a valid "+prop.Type.String())
			}
			kv = cim.KeyValueOf(v)
		default:
			kv = cim.KeyValue{Kind: cim.KeyString, Text: string(s.value)}
		}
		p.Keys = append(p.Keys, cim.KeyBinding{Name: name, Value: kv})
	}
	if strict && c != nil {
		for _, k := range c.Keys() {
			if _, ok := p.Key(k.Name); !ok {
				return nil, newFault(SubcodeInvalidSelectors, DetailInsufficientSelectors, "key "+k.Name+" of "+c.Name+" is missing")
			}
		}
	}
	_ = d
	return p, nil
}

// decodeDateTime decodes a datetime element: a DSP0230 wrapper
// (cim:Datetime, cim:Date, cim:Time, cim:Interval, cim:CIM_DateTime) or
// text in CIM datetime, xs:dateTime or xs:duration form.
func decodeDateTime(d *document, n int32) (cim.Value, error) {
	if c := d.nodes[n].first; c >= 0 {
		if d.nodes[c].next >= 0 {
			return cim.Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "more than one element in a datetime")
		}
		txt := string(d.trimmed(c))
		switch string(d.localName(c)) {
		case "Datetime":
			return parseXSDateTime(txt)
		case "Date":
			t, err := parseXSTime(txt, "2006-01-02")
			if err != nil {
				return cim.Value{}, err
			}
			return cim.NewTimestamp(t), nil
		case "Time":
			t, err := parseXSTime(txt, "15:04:05")
			if err != nil {
				return cim.Value{}, err
			}
			s := cim.FormatTimestamp(t)
			return cim.NewDateTime("********" + s[8:])
		case "Interval":
			dur, ok := parseDuration([]byte(txt))
			if !ok {
				return cim.Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "%q is not an xs:duration", txt)
			}
			return cim.NewInterval(dur), nil
		case "CIM_DateTime":
			return cim.NewDateTime(txt)
		}
		return cim.Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "unexpected element %s in a datetime", d.localName(c))
	}
	txt := string(d.trimmed(n))
	if v, err := cim.NewDateTime(txt); err == nil {
		return v, nil
	}
	if strings.HasPrefix(txt, "P") {
		if dur, ok := parseDuration([]byte(txt)); ok {
			return cim.NewInterval(dur), nil
		}
	}
	if v, err := parseXSDateTime(txt); err == nil {
		return v, nil
	}
	return cim.Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "%q is not a datetime", txt)
}

func parseXSDateTime(s string) (cim.Value, error) {
	t, err := parseXSTime(s, "2006-01-02T15:04:05")
	if err != nil {
		return cim.Value{}, err
	}
	return cim.NewTimestamp(t), nil
}

// parseXSTime parses an XML Schema date or time with an optional
// fraction and zone; values without a zone are taken as UTC.
func parseXSTime(s, layout string) (time.Time, error) {
	for _, l := range []string{layout + "Z07:00", layout} {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, status.New(status.WBEM_E_TYPE_MISMATCH, "%q is not a valid xs:%s", s, map[bool]string{true: "dateTime", false: "date or time"}[len(layout) > 10])
}
