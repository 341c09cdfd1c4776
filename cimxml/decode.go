package cimxml

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// DefaultMaxDepth is the default bound on element nesting, counted across
// embedded objects too.
const DefaultMaxDepth = 64

// maxEmbedLevels bounds how many embedded objects may nest in one another.
const maxEmbedLevels = 8

// elemID identifies a CIM-XML element name.
type elemID uint8

const (
	eUnknown elemID = iota
	eCIM
	eMESSAGE
	eSIMPLEREQ
	eMULTIREQ
	eSIMPLERSP
	eMULTIRSP
	eSIMPLEEXPREQ
	eMULTIEXPREQ
	eMETHODCALL
	eIMETHODCALL
	eMETHODRESPONSE
	eIMETHODRESPONSE
	eCORRELATOR
	eLOCALNAMESPACEPATH
	eNAMESPACEPATH
	eNAMESPACE
	eHOST
	eLOCALINSTANCEPATH
	eLOCALCLASSPATH
	eINSTANCEPATH
	eCLASSPATH
	eOBJECTPATH
	eINSTANCENAME
	eCLASSNAME
	eKEYBINDING
	eKEYVALUE
	ePARAMVALUE
	eIPARAMVALUE
	eRETURNVALUE
	eIRETURNVALUE
	eERROR
	eVALUE
	eVALUEARRAY
	eVALUEREFERENCE
	eVALUEREFARRAY
	eVALUENULL
	eVALUENAMEDINSTANCE
	eVALUEOBJECT
	eVALUEOBJECTWITHPATH
	eVALUEOBJECTWITHLOCALPATH
	eVALUEINSTANCEWITHPATH
	eCLASS
	eINSTANCE
	ePROPERTY
	ePROPERTYARRAY
	ePROPERTYREFERENCE
	eMETHOD
	ePARAMETER
	ePARAMETERARRAY
	ePARAMETERREFERENCE
	ePARAMETERREFARRAY
	eQUALIFIER
	eQUALIFIERDECLARATION
	eSCOPE
)

// elemOf maps an element name to its id (eUnknown for others). The
// switch on string(b) does not allocate.
func elemOf(b []byte) elemID {
	switch string(b) {
	case "CIM":
		return eCIM
	case "MESSAGE":
		return eMESSAGE
	case "SIMPLEREQ":
		return eSIMPLEREQ
	case "MULTIREQ":
		return eMULTIREQ
	case "SIMPLERSP":
		return eSIMPLERSP
	case "MULTIRSP":
		return eMULTIRSP
	case "SIMPLEEXPREQ":
		return eSIMPLEEXPREQ
	case "MULTIEXPREQ":
		return eMULTIEXPREQ
	case "METHODCALL":
		return eMETHODCALL
	case "IMETHODCALL":
		return eIMETHODCALL
	case "METHODRESPONSE":
		return eMETHODRESPONSE
	case "IMETHODRESPONSE":
		return eIMETHODRESPONSE
	case "CORRELATOR":
		return eCORRELATOR
	case "LOCALNAMESPACEPATH":
		return eLOCALNAMESPACEPATH
	case "NAMESPACEPATH":
		return eNAMESPACEPATH
	case "NAMESPACE":
		return eNAMESPACE
	case "HOST":
		return eHOST
	case "LOCALINSTANCEPATH":
		return eLOCALINSTANCEPATH
	case "LOCALCLASSPATH":
		return eLOCALCLASSPATH
	case "INSTANCEPATH":
		return eINSTANCEPATH
	case "CLASSPATH":
		return eCLASSPATH
	case "OBJECTPATH":
		return eOBJECTPATH
	case "INSTANCENAME":
		return eINSTANCENAME
	case "CLASSNAME":
		return eCLASSNAME
	case "KEYBINDING":
		return eKEYBINDING
	case "KEYVALUE":
		return eKEYVALUE
	case "PARAMVALUE":
		return ePARAMVALUE
	case "IPARAMVALUE":
		return eIPARAMVALUE
	case "RETURNVALUE":
		return eRETURNVALUE
	case "IRETURNVALUE":
		return eIRETURNVALUE
	case "ERROR":
		return eERROR
	case "VALUE":
		return eVALUE
	case "VALUE.ARRAY":
		return eVALUEARRAY
	case "VALUE.REFERENCE":
		return eVALUEREFERENCE
	case "VALUE.REFARRAY":
		return eVALUEREFARRAY
	case "VALUE.NULL":
		return eVALUENULL
	case "VALUE.NAMEDINSTANCE":
		return eVALUENAMEDINSTANCE
	case "VALUE.OBJECT":
		return eVALUEOBJECT
	case "VALUE.OBJECTWITHPATH":
		return eVALUEOBJECTWITHPATH
	case "VALUE.OBJECTWITHLOCALPATH":
		return eVALUEOBJECTWITHLOCALPATH
	case "VALUE.INSTANCEWITHPATH":
		return eVALUEINSTANCEWITHPATH
	case "CLASS":
		return eCLASS
	case "INSTANCE":
		return eINSTANCE
	case "PROPERTY":
		return ePROPERTY
	case "PROPERTY.ARRAY":
		return ePROPERTYARRAY
	case "PROPERTY.REFERENCE":
		return ePROPERTYREFERENCE
	case "METHOD":
		return eMETHOD
	case "PARAMETER":
		return ePARAMETER
	case "PARAMETER.ARRAY":
		return ePARAMETERARRAY
	case "PARAMETER.REFERENCE":
		return ePARAMETERREFERENCE
	case "PARAMETER.REFARRAY":
		return ePARAMETERREFARRAY
	case "QUALIFIER":
		return eQUALIFIER
	case "QUALIFIER.DECLARATION":
		return eQUALIFIERDECLARATION
	case "SCOPE":
		return eSCOPE
	}
	return eUnknown
}

// names interns the short strings that repeat from request to request
// (element NAME attributes, class names, namespaces), so that decoding
// them does not allocate. The table is copied on write and stops growing
// at internMax entries.
var names internTable

const internMax = 4096

type internTable struct {
	m  atomic.Pointer[map[string]string]
	mu sync.Mutex
}

func (t *internTable) get(b []byte) string {
	if len(b) > 64 {
		return string(b)
	}
	if m := t.m.Load(); m != nil {
		if s, ok := (*m)[string(b)]; ok {
			return s
		}
	}
	s := string(b)
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.m.Load()
	if old != nil && len(*old) >= internMax {
		return s
	}
	n := make(map[string]string, 1+func() int {
		if old == nil {
			return 0
		}
		return len(*old)
	}())
	if old != nil {
		for k, v := range *old {
			n[k] = v
		}
	}
	n[s] = s
	t.m.Store(&n)
	return s
}

// decoder parses CIM-XML documents by recursive descent over the scanner's
// tokens. Structural problems are *ProtocolError values that stop the
// parse; problems with a value (a number out of range, a bad boolean) are
// recorded as the first value error and parsing goes on, so that the
// caller can still answer the request with an ERROR element.
type decoder struct {
	s       scanner
	scratch []byte
	nsBuf   []byte
	embed   int   // embedded-object nesting level of this document
	valErr  error // first value error
	synth   map[string]*cim.Class
	keyHint []string // key property names for instances without a name
}

var decoderPool = sync.Pool{New: func() any { return new(decoder) }}

func getDecoder() *decoder {
	d := decoderPool.Get().(*decoder)
	d.embed, d.valErr, d.keyHint = 0, nil, nil
	clear(d.synth)
	return d
}

func putDecoder(d *decoder) {
	if cap(d.scratch) > 64<<10 {
		d.scratch = nil
	}
	d.s.buf = nil
	d.s.stack = d.s.stack[:0]
	d.keyHint = nil
	clear(d.synth)
	decoderPool.Put(d)
}

// fail records a value error; the first one wins. Errors are turned into
// CIM_ERR_INVALID_PARAMETER keeping their WBEM code.
func (d *decoder) fail(err error) {
	if d.valErr != nil || err == nil {
		return
	}
	e := *status.AsError(err)
	e.CIMStatusOverride = status.CIM_ERR_INVALID_PARAMETER
	d.valErr = &e
}

func (d *decoder) failf(format string, args ...any) {
	d.fail(status.New(status.WBEM_E_INVALID_PARAMETER, format, args...))
}

// begin checks the characters of data and positions the scanner on the
// root element, which it returns.
func (d *decoder) begin(data []byte, maxDepth int) (elemID, error) {
	if i := checkChars(data); i >= 0 {
		return eUnknown, &ProtocolError{Status: 400, CIMError: ErrNotWellFormed,
			Msg: "invalid UTF-8 or a character not allowed in XML at offset " + strconv.Itoa(i)}
	}
	if maxDepth <= 0 {
		return eUnknown, notValid("elements nested too deeply")
	}
	d.s.reset(data, maxDepth)
	for {
		k, err := d.s.next()
		if err != nil {
			return eUnknown, err
		}
		if k == tokStart {
			return elemOf(d.s.name), nil
		}
	}
}

// finish checks that nothing but white space, comments and processing
// instructions follows the root element.
func (d *decoder) finish() error {
	k, err := d.s.next()
	if err != nil {
		return err
	}
	if k != tokEOF {
		return d.s.malformed("content after the root element")
	}
	return nil
}

// child advances to the next child element of the current element and
// returns its id, or ok false at the current element's end tag. White
// space between elements is skipped; other text is invalid.
func (d *decoder) child() (id elemID, ok bool, err error) {
	for {
		k, err := d.s.next()
		if err != nil {
			return eUnknown, false, err
		}
		switch k {
		case tokStart:
			return elemOf(d.s.name), true, nil
		case tokEnd:
			return eUnknown, false, nil
		case tokText:
			if d.s.cdata || !isSpace(d.s.text) {
				return eUnknown, false, notValid("unexpected text in <" + d.parentName() + ">")
			}
		}
	}
}

func (d *decoder) parentName() string {
	if n := len(d.s.stack); n > 0 {
		return string(d.s.stack[n-1])
	}
	return ""
}

// unexpected is the error for a child element that does not belong.
func (d *decoder) unexpected() error {
	parent := ""
	if n := len(d.s.stack); n > 1 {
		parent = string(d.s.stack[n-2])
	}
	return notValid("unexpected element <" + string(d.s.name) + "> in <" + parent + ">")
}

// skip consumes the rest of the current element.
func (d *decoder) skip() error {
	depth := 1
	for depth > 0 {
		k, err := d.s.next()
		if err != nil {
			return err
		}
		switch k {
		case tokStart:
			depth++
		case tokEnd:
			depth--
		}
	}
	return nil
}

// eachChild calls fn with the id of each child element of the current
// element in turn, positioned on that child, through the current
// element's end tag. It stops at the first error, the scanner's or fn's.
func (d *decoder) eachChild(fn func(id elemID) error) error {
	for {
		id, ok, err := d.child()
		if err != nil || !ok {
			return err
		}
		if err := fn(id); err != nil {
			return err
		}
	}
}

// noChildren consumes the rest of an element that must be empty (white
// space allowed).
func (d *decoder) noChildren() error {
	if _, ok, err := d.child(); err != nil {
		return err
	} else if ok {
		return d.unexpected()
	}
	return nil
}

// textContent reads the character data of the current element through its
// end tag. The result aliases the input or the decoder's scratch buffer
// and is valid until the next call.
func (d *decoder) textContent() ([]byte, error) {
	var first []byte
	firstRaw, n := false, 0
	d.scratch = d.scratch[:0]
	for {
		k, err := d.s.next()
		if err != nil {
			return nil, err
		}
		switch k {
		case tokEnd:
			switch {
			case n == 0:
				return nil, nil
			case n == 1 && !firstRaw:
				return first, nil
			case n == 1:
				d.scratch = appendDecoded(d.scratch[:0], first, false)
			}
			return d.scratch, nil
		case tokStart:
			return nil, notValid("unexpected element <" + string(d.s.name) + "> in <" + string(d.s.stack[len(d.s.stack)-2]) + ">")
		case tokText:
			raw := d.s.textRaw && !d.s.cdata
			switch n {
			case 0:
				first, firstRaw = d.s.text, raw
			case 1:
				if firstRaw {
					d.scratch = appendDecoded(d.scratch, first, false)
				} else {
					d.scratch = append(d.scratch, first...)
				}
				fallthrough
			default:
				if raw {
					d.scratch = appendDecoded(d.scratch, d.s.text, false)
				} else {
					d.scratch = append(d.scratch, d.s.text...)
				}
			}
			n++
		}
	}
}

// text reads the character data of the current element as a string.
func (d *decoder) text() (string, error) {
	b, err := d.textContent()
	return string(b), err
}

// attr returns the raw attribute name of the current start tag.
func (d *decoder) attr(name string) (xattr, bool) {
	for _, a := range d.s.attrs {
		if string(a.name) == name {
			return a, true
		}
	}
	return xattr{}, false
}

// attrStr returns the decoded value of attribute name.
func (d *decoder) attrStr(name string) (string, bool) {
	a, ok := d.attr(name)
	if !ok {
		return "", false
	}
	if !a.esc {
		return string(a.val), true
	}
	d.scratch = appendDecoded(d.scratch[:0], a.val, true)
	return string(d.scratch), true
}

// attrBytes returns the decoded value of attribute name; the result is
// valid until the next call.
func (d *decoder) attrBytes(name string) ([]byte, bool) {
	a, ok := d.attr(name)
	if !ok {
		return nil, false
	}
	if !a.esc {
		return a.val, true
	}
	d.scratch = appendDecoded(d.scratch[:0], a.val, true)
	return d.scratch, true
}

// required returns attribute name or a validity error. The value is
// interned: required attributes are names.
func (d *decoder) required(name string) (string, error) {
	v, ok := d.attrBytes(name)
	if !ok {
		return "", notValid("<" + string(d.s.name) + "> lacks the " + name + " attribute")
	}
	return names.get(v), nil
}

// boolAttr reads a "true"/"false" attribute (any case) with a default.
func (d *decoder) boolAttr(name string, def bool) bool {
	v, ok := d.attrBytes(name)
	if !ok {
		return def
	}
	switch {
	case bytes.EqualFold(bytes.TrimSpace(v), []byte("true")):
		return true
	case bytes.EqualFold(bytes.TrimSpace(v), []byte("false")):
		return false
	}
	d.failf("attribute %s of <%s> is not a boolean: %q", name, d.s.name, v)
	return def
}

// embeddedAttr reads EmbeddedObject (or the older EMBEDDEDOBJECT).
func (d *decoder) embeddedAttr() bool {
	v, ok := d.attrBytes("EmbeddedObject")
	if !ok {
		v, ok = d.attrBytes("EMBEDDEDOBJECT")
	}
	return ok && (bytes.EqualFold(v, []byte("instance")) || bytes.EqualFold(v, []byte("object")))
}

// typeAttr reads a CIM type attribute (TYPE or PARAMTYPE); ok is false
// when it is absent. An unknown type is a value error, reported as String.
func (d *decoder) typeAttr(name string) (cim.Type, bool) {
	v, ok := d.attrBytes(name)
	if !ok {
		return cim.TypeNone, false
	}
	if t, ok := parseTypeName(v); ok {
		return t, true
	}
	d.failf("unknown %s %q", name, v)
	return cim.String, true
}

// parseTypeName parses a CIM-XML type name; "instance" and "object" are
// embedded objects.
func parseTypeName(v []byte) (cim.Type, bool) {
	switch string(v) {
	case "string":
		return cim.String, true
	case "uint32":
		return cim.Uint32, true
	case "boolean":
		return cim.Boolean, true
	case "instance":
		return cim.Object, true
	}
	return cim.ParseType(string(v))
}

// ---- values ----------------------------------------------------------

// scalar converts the text of a VALUE to type t. An error is recorded and
// gives NULL.
func (d *decoder) scalar(t cim.Type, text []byte) cim.Value {
	v, err := parseScalar(t, text)
	if err != nil {
		d.fail(err)
		return cim.Null(t, false)
	}
	return v
}

// parseScalar parses the text form of a non-object scalar of type t.
func parseScalar(t cim.Type, text []byte) (cim.Value, error) {
	switch t {
	case cim.String:
		return cim.NewString(string(text)), nil
	case cim.Uint32, cim.Uint8, cim.Uint16, cim.Uint64:
		// Fast path for plain decimal digits.
		if n, ok := plainUint(text); ok {
			switch {
			case t == cim.Uint8 && n <= math.MaxUint8:
				return cim.NewUint8(uint8(n)), nil
			case t == cim.Uint16 && n <= math.MaxUint16:
				return cim.NewUint16(uint16(n)), nil
			case t == cim.Uint32 && n <= math.MaxUint32:
				return cim.NewUint32(uint32(n)), nil
			case t == cim.Uint64:
				return cim.NewUint64(n), nil
			}
		}
	case cim.Real32:
		s := strings.TrimSpace(string(text))
		f, err := strconv.ParseFloat(s, 32)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return cim.Value{}, status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "%q does not fit real32", s)
			}
			return cim.Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "%q is not a real32", s)
		}
		return cim.NewReal32(float32(f)), nil
	case cim.Object:
		return cim.Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "an embedded object needs its XML")
	}
	return cim.ParseValue(t, string(text))
}

// plainUint parses up to 19 decimal digits.
func plainUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// valueOf converts the text of a VALUE element: typed when known, an
// embedded object when embedded is set or t is Object, else an untyped
// String.
func (d *decoder) valueOf(t cim.Type, typed, embedded bool, text []byte) cim.Value {
	if embedded || t == cim.Object {
		inst, err := d.embedded(text)
		if err != nil {
			d.fail(err)
			return cim.Null(cim.Object, false)
		}
		return cim.NewObject(inst)
	}
	if !typed {
		return cim.NewString(string(text))
	}
	return d.scalar(t, text)
}

// value parses the content of a VALUE element.
func (d *decoder) value(t cim.Type, typed, embedded bool) (cim.Value, error) {
	if d.s.empty {
		if _, err := d.s.next(); err != nil {
			return cim.Value{}, err
		}
		return d.valueOf(t, typed, embedded, nil), nil
	}
	text, err := d.textContent()
	if err != nil {
		return cim.Value{}, err
	}
	return d.valueOf(t, typed, embedded, text), nil
}

// valueArray parses the content of a VALUE.ARRAY element. An empty-element
// <VALUE/> item is NULL (pywbem writes NULL items so), <VALUE></VALUE> is
// an empty string.
func (d *decoder) valueArray(t cim.Type, typed, embedded bool) (cim.Value, error) {
	et := t
	if !typed {
		et = cim.String
	}
	if embedded {
		et = cim.Object
	}
	var elems []cim.Value
	err := d.eachChild(func(id elemID) error {
		switch id {
		case eVALUE:
			if d.s.empty {
				if _, err := d.s.next(); err != nil {
					return err
				}
				elems = append(elems, cim.Null(et, false))
				return nil
			}
			text, err := d.textContent()
			if err != nil {
				return err
			}
			elems = append(elems, d.valueOf(et, typed, embedded, text))
		case eVALUENULL:
			if err := d.skip(); err != nil {
				return err
			}
			elems = append(elems, cim.Null(et, false))
		default:
			return d.unexpected()
		}
		return nil
	})
	if err != nil {
		return cim.Value{}, err
	}
	if elems == nil {
		elems = []cim.Value{}
	}
	v, err := cim.NewArray(et, elems)
	if err != nil {
		d.fail(err)
		return cim.Null(et, true), nil
	}
	return v, nil
}

// refArray parses the content of a VALUE.REFARRAY element.
func (d *decoder) refArray() (cim.Value, error) {
	elems := []cim.Value{}
	err := d.eachChild(func(id elemID) error {
		switch id {
		case eVALUEREFERENCE:
			p, err := d.reference()
			if err != nil {
				return err
			}
			elems = append(elems, cim.NewReference(p))
		case eVALUENULL:
			if err := d.skip(); err != nil {
				return err
			}
			elems = append(elems, cim.Null(cim.Reference, false))
		default:
			return d.unexpected()
		}
		return nil
	})
	if err != nil {
		return cim.Value{}, err
	}
	return cim.MustArray(cim.Reference, elems...), nil
}

// embedded decodes an embedded instance from the (unescaped) text of a
// VALUE. Its depth counts against the enclosing document's limit.
func (d *decoder) embedded(text []byte) (*cim.Instance, error) {
	if d.embed >= maxEmbedLevels {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "embedded objects nested deeper than %d", maxEmbedLevels)
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "empty embedded object")
	}
	sub := getDecoder()
	defer putDecoder(sub)
	sub.embed = d.embed + 1
	// The text lives in d.scratch or the input, which the sub-decoder
	// does not touch, and everything it keeps is copied out.
	root, err := sub.begin(text, d.s.maxDepth-d.s.depth())
	if err != nil {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "embedded object: %v", err)
	}
	var inst *cim.Instance
	switch root {
	case eINSTANCE:
		inst, err = sub.instance()
	case eVALUENAMEDINSTANCE:
		_, inst, err = sub.namedInstance()
	case eCLASS:
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "embedded classes are not supported")
	default:
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "embedded object is <%s>, want <INSTANCE>", sub.s.name)
	}
	if err == nil {
		err = sub.finish()
	}
	if err != nil {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "embedded object: %v", err)
	}
	if sub.valErr != nil {
		return nil, sub.valErr
	}
	return inst, nil
}

// ---- paths -----------------------------------------------------------

// localNamespace parses LOCALNAMESPACEPATH content into "a/b/c".
func (d *decoder) localNamespace() (string, error) {
	d.nsBuf = d.nsBuf[:0]
	err := d.eachChild(func(id elemID) error {
		if id != eNAMESPACE {
			return d.unexpected()
		}
		name, ok := d.attrBytes("NAME")
		if !ok || len(name) == 0 {
			return notValid("<NAMESPACE> lacks the NAME attribute")
		}
		if len(d.nsBuf) > 0 {
			d.nsBuf = append(d.nsBuf, '/')
		}
		d.nsBuf = append(d.nsBuf, name...)
		return d.noChildren()
	})
	if err != nil {
		return "", err
	}
	if len(d.nsBuf) == 0 {
		return "", notValid("empty <LOCALNAMESPACEPATH>")
	}
	return names.get(d.nsBuf), nil
}

// namespacePath parses NAMESPACEPATH content (HOST, LOCALNAMESPACEPATH).
func (d *decoder) namespacePath() (host, ns string, err error) {
	err = d.eachChild(func(id elemID) error {
		var err error
		switch id {
		case eHOST:
			host, err = d.text()
		case eLOCALNAMESPACEPATH:
			ns, err = d.localNamespace()
		default:
			return d.unexpected()
		}
		return err
	})
	if err != nil {
		return "", "", err
	}
	if ns == "" {
		return "", "", notValid("<NAMESPACEPATH> lacks <LOCALNAMESPACEPATH>")
	}
	return strings.TrimSpace(host), ns, nil
}

// className parses a CLASSNAME element.
func (d *decoder) className() (string, error) {
	name, err := d.required("NAME")
	if err != nil {
		return "", err
	}
	return name, d.noChildren()
}

// instanceName parses INSTANCENAME into a path without namespace. With no
// keys at all it names a singleton.
func (d *decoder) instanceName() (*cim.ObjectPath, error) {
	cls, err := d.required("CLASSNAME")
	if err != nil {
		return nil, err
	}
	p := &cim.ObjectPath{Class: cls}
	err = d.eachChild(func(id elemID) error {
		switch id {
		case eKEYBINDING:
			name, err := d.required("NAME")
			if err != nil {
				return err
			}
			kv, err := d.keyBindingValue()
			if err != nil {
				return err
			}
			p.Keys = append(p.Keys, cim.KeyBinding{Name: name, Value: kv})
		case eKEYVALUE:
			kv, err := d.keyValue()
			if err != nil {
				return err
			}
			p.Keys = append(p.Keys, cim.KeyBinding{Value: kv})
		case eVALUEREFERENCE:
			r, err := d.reference()
			if err != nil {
				return err
			}
			p.Keys = append(p.Keys, cim.KeyBinding{Value: cim.KeyValue{Kind: cim.KeyRef, Text: r.String()}})
		default:
			return d.unexpected()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range p.Keys {
		if p.Keys[i].Name == "" && len(p.Keys) > 1 {
			return nil, notValid("<INSTANCENAME> mixes an unnamed key with others")
		}
	}
	if len(p.Keys) == 0 {
		p.Singleton = true
	}
	return p, nil
}

// keyBindingValue parses the content of KEYBINDING: KEYVALUE or
// VALUE.REFERENCE.
func (d *decoder) keyBindingValue() (cim.KeyValue, error) {
	var kv cim.KeyValue
	seen := false
	err := d.eachChild(func(id elemID) error {
		if seen {
			return d.unexpected()
		}
		seen = true
		switch id {
		case eKEYVALUE:
			var err error
			kv, err = d.keyValue()
			return err
		case eVALUEREFERENCE:
			r, err := d.reference()
			if err != nil {
				return err
			}
			kv = cim.KeyValue{Kind: cim.KeyRef, Text: r.String()}
			return nil
		}
		return d.unexpected()
	})
	if err != nil {
		return kv, err
	}
	if !seen {
		return kv, notValid("empty <KEYBINDING>")
	}
	return kv, nil
}

// keyValue parses a KEYVALUE element.
func (d *decoder) keyValue() (cim.KeyValue, error) {
	kind := cim.KeyString
	if v, ok := d.attrBytes("VALUETYPE"); ok {
		switch {
		case bytes.EqualFold(v, []byte("string")):
		case bytes.EqualFold(v, []byte("boolean")):
			kind = cim.KeyBool
		case bytes.EqualFold(v, []byte("numeric")):
			kind = cim.KeyInt
		default:
			d.failf("unknown KEYVALUE VALUETYPE %q", v)
		}
	}
	typ, typed := d.typeAttr("TYPE")
	text, err := d.textContent()
	if err != nil {
		return cim.KeyValue{}, err
	}
	switch kind {
	case cim.KeyBool:
		switch t := bytes.TrimSpace(text); {
		case bytes.EqualFold(t, []byte("true")):
			return cim.KeyValue{Kind: cim.KeyBool, Text: "TRUE"}, nil
		case bytes.EqualFold(t, []byte("false")):
			return cim.KeyValue{Kind: cim.KeyBool, Text: "FALSE"}, nil
		}
		d.failf("key value %q is not a boolean", text)
		return cim.KeyValue{Kind: cim.KeyBool, Text: "FALSE"}, nil
	case cim.KeyInt:
		kv, err := numericKey(string(bytes.TrimSpace(text)), typ, typed)
		if err != nil {
			d.fail(err)
		}
		return kv, nil
	}
	return cim.KeyValue{Kind: cim.KeyString, Text: string(text)}, nil
}

// numericKey canonicalises a numeric key value, checking it against its
// TYPE when one was given.
func numericKey(s string, t cim.Type, typed bool) (cim.KeyValue, error) {
	if typed && t.IsNumeric() {
		v, err := cim.ParseValue(t, s)
		if err != nil {
			return cim.KeyValue{Kind: cim.KeyString, Text: s}, err
		}
		return cim.KeyValueOf(v), nil
	}
	isReal := false
	if !strings.HasPrefix(strings.TrimLeft(s, "+-"), "0x") && !strings.HasPrefix(strings.TrimLeft(s, "+-"), "0X") {
		isReal = strings.ContainsAny(s, ".eEnN")
	}
	var v cim.Value
	var err error
	switch {
	case isReal:
		v, err = cim.ParseValue(cim.Real64, s)
	case strings.HasPrefix(s, "-"):
		v, err = cim.ParseValue(cim.Sint64, s)
	default:
		v, err = cim.ParseValue(cim.Uint64, s)
	}
	if err != nil {
		return cim.KeyValue{Kind: cim.KeyString, Text: s}, err
	}
	return cim.KeyValueOf(v), nil
}

// reference parses VALUE.REFERENCE content: one of CLASSPATH,
// LOCALCLASSPATH, CLASSNAME, INSTANCEPATH, LOCALINSTANCEPATH or
// INSTANCENAME.
func (d *decoder) reference() (*cim.ObjectPath, error) {
	id, ok, err := d.child()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notValid("empty <VALUE.REFERENCE>")
	}
	p, err := d.pathElement(id)
	if err != nil {
		return nil, err
	}
	return p, d.noChildren()
}

// pathElement parses one of the six path elements (the current element).
func (d *decoder) pathElement(id elemID) (*cim.ObjectPath, error) {
	switch id {
	case eCLASSNAME:
		name, err := d.className()
		if err != nil {
			return nil, err
		}
		return &cim.ObjectPath{Class: name}, nil
	case eINSTANCENAME:
		return d.instanceName()
	case eCLASSPATH, eLOCALCLASSPATH, eINSTANCEPATH, eLOCALINSTANCEPATH:
		var host, ns string
		var p *cim.ObjectPath
		err := d.eachChild(func(cid elemID) error {
			var err error
			switch {
			case cid == eNAMESPACEPATH && (id == eCLASSPATH || id == eINSTANCEPATH):
				host, ns, err = d.namespacePath()
			case cid == eLOCALNAMESPACEPATH && (id == eLOCALCLASSPATH || id == eLOCALINSTANCEPATH):
				ns, err = d.localNamespace()
			case cid == eCLASSNAME && (id == eCLASSPATH || id == eLOCALCLASSPATH) && p == nil:
				var name string
				name, err = d.className()
				p = &cim.ObjectPath{Class: name}
			case cid == eINSTANCENAME && (id == eINSTANCEPATH || id == eLOCALINSTANCEPATH) && p == nil:
				p, err = d.instanceName()
			default:
				return d.unexpected()
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if p == nil || ns == "" {
			return nil, notValid("incomplete <" + string(d.s.name) + ">")
		}
		p.Server, p.Namespace = host, ns
		return p, nil
	case eOBJECTPATH:
		cid, ok, err := d.child()
		if err != nil {
			return nil, err
		}
		if !ok || (cid != eINSTANCEPATH && cid != eCLASSPATH) {
			return nil, notValid("invalid <OBJECTPATH>")
		}
		p, err := d.pathElement(cid)
		if err != nil {
			return nil, err
		}
		return p, d.noChildren()
	}
	return nil, d.unexpected()
}

// ---- qualifiers, classes, instances ----------------------------------

// qualifier parses a QUALIFIER element.
func (d *decoder) qualifier() (cim.Qualifier, error) {
	var q cim.Qualifier
	var err error
	if q.Name, err = d.required("NAME"); err != nil {
		return q, err
	}
	t, typed := d.typeAttr("TYPE")
	if !typed {
		t = cim.String
	}
	q.Propagated = d.boolAttr("PROPAGATED", false)
	q.Flavor = d.flavor()
	q.Value = cim.Null(t, false)
	err = d.eachChild(func(id elemID) error {
		var err error
		switch id {
		case eVALUE:
			q.Value, err = d.value(t, true, false)
		case eVALUEARRAY:
			q.Value, err = d.valueArray(t, true, false)
		default:
			return d.unexpected()
		}
		return err
	})
	return q, err
}

// appendQualifier parses a QUALIFIER element and appends it to *qs.
func (d *decoder) appendQualifier(qs *cim.Qualifiers) error {
	q, err := d.qualifier()
	if err != nil {
		return err
	}
	*qs = append(*qs, q)
	return nil
}

// flavor reads the flavor attributes of QUALIFIER and QUALIFIER.DECLARATION.
func (d *decoder) flavor() cim.Flavor {
	var f cim.Flavor
	if !d.boolAttr("OVERRIDABLE", true) {
		f |= cim.FlavorDisableOverride
	}
	if !d.boolAttr("TOSUBCLASS", true) {
		f |= cim.FlavorRestricted
	}
	if d.boolAttr("TOINSTANCE", false) {
		f |= cim.FlavorToInstance
	}
	if d.boolAttr("TRANSLATABLE", false) {
		f |= cim.FlavorTranslatable
	}
	return f
}

// embeddedQualifier reports whether qs mark an embedded object, with the
// class named by EmbeddedInstance.
func embeddedQualifier(qs cim.Qualifiers) (bool, string) {
	if q := qs.Get("EmbeddedInstance"); q != nil && !q.Value.IsNull() {
		return true, q.Value.Text()
	}
	if qs.Bool("EmbeddedObject") && qs.Has("EmbeddedObject") {
		return true, ""
	}
	return false, ""
}

// property parses PROPERTY, PROPERTY.ARRAY or PROPERTY.REFERENCE and
// returns the declaration and the value.
func (d *decoder) property(id elemID) (*cim.Property, cim.Value, error) {
	p := &cim.Property{}
	var err error
	if p.Name, err = d.required("NAME"); err != nil {
		return nil, cim.Value{}, err
	}
	p.ClassOrigin, _ = d.attrStr("CLASSORIGIN")
	p.Propagated = d.boolAttr("PROPAGATED", false)
	emb := false
	switch id {
	case ePROPERTYREFERENCE:
		p.Type = cim.Reference
		p.RefClass, _ = d.attrStr("REFERENCECLASS")
	default:
		t, typed := d.typeAttr("TYPE")
		if !typed {
			t = cim.String
		}
		p.Type = t
		p.IsArray = id == ePROPERTYARRAY
		if p.IsArray {
			p.ArraySize = d.arraySize()
		}
		emb = d.embeddedAttr()
		if t == cim.Reference && p.IsArray {
			p.RefClass, _ = d.attrStr("REFERENCECLASS")
		}
	}
	val := cim.Null(p.Type, p.IsArray)
	hasVal := false
	err = d.eachChild(func(cid elemID) error {
		if cid == eQUALIFIER && !hasVal {
			return d.appendQualifier(&p.Qualifiers)
		}
		if hasVal {
			return d.unexpected()
		}
		// Embedded objects are known from the attribute or, in class
		// definitions, from the qualifiers that precede the value.
		if !emb && p.Type == cim.String {
			emb, p.EmbeddedClass = embeddedQualifier(p.Qualifiers)
		}
		hasVal = true
		var err error
		switch {
		case cid == eVALUE && id == ePROPERTY:
			val, err = d.value(p.Type, true, emb)
		case cid == eVALUEARRAY && id == ePROPERTYARRAY:
			val, err = d.valueArray(p.Type, true, emb)
		case cid == eVALUEREFERENCE && id == ePROPERTYREFERENCE:
			var r *cim.ObjectPath
			if r, err = d.reference(); err == nil {
				val = cim.NewReference(r)
			}
		case cid == eVALUEREFARRAY && id == ePROPERTYARRAY && p.Type == cim.Reference:
			val, err = d.refArray()
		default:
			return d.unexpected()
		}
		return err
	})
	if err != nil {
		return nil, val, err
	}
	if !emb && p.Type == cim.String {
		emb, p.EmbeddedClass = embeddedQualifier(p.Qualifiers)
	} else if emb && p.EmbeddedClass == "" {
		_, p.EmbeddedClass = embeddedQualifier(p.Qualifiers)
	}
	if emb {
		p.Type = cim.Object
		if val.IsNull() {
			val = cim.Null(cim.Object, p.IsArray)
		}
	}
	return p, val, nil
}

// arraySize reads ARRAYSIZE (0 when absent or invalid).
func (d *decoder) arraySize() int {
	v, ok := d.attrBytes("ARRAYSIZE")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(v)))
	if err != nil || n < 0 {
		d.failf("invalid ARRAYSIZE %q", v)
		return 0
	}
	return n
}

// instance parses an INSTANCE element into an instance of a class built
// from the properties it carries (CIM-XML instances are self-describing).
// Properties named in d.keyHint are marked Key.
func (d *decoder) instance() (*cim.Instance, error) {
	cls, err := d.required("CLASSNAME")
	if err != nil {
		return nil, err
	}
	var props []*cim.Property
	var vals []cim.Value
	var quals cim.Qualifiers
	err = d.eachChild(func(id elemID) error {
		switch id {
		case eQUALIFIER:
			return d.appendQualifier(&quals)
		case ePROPERTY, ePROPERTYARRAY, ePROPERTYREFERENCE:
			p, v, err := d.property(id)
			if err != nil {
				return err
			}
			for _, o := range props {
				if strings.EqualFold(o.Name, p.Name) {
					return notValid("duplicate property " + p.Name + " in instance of " + cls)
				}
			}
			props = append(props, p)
			vals = append(vals, v)
			return nil
		}
		return d.unexpected()
	})
	if err != nil {
		return nil, err
	}
	c := d.instanceClass(cls, props, quals)
	inst := cim.NewInstance(c)
	for k, v := range vals {
		if !v.IsNull() {
			if err := inst.SetAt(k, v); err != nil {
				d.fail(err)
			}
		}
	}
	return inst, nil
}

// instanceClass returns the class for a decoded instance, sharing one
// class between instances of the same shape within a document.
func (d *decoder) instanceClass(name string, props []*cim.Property, quals cim.Qualifiers) *cim.Class {
	for _, k := range d.keyHint {
		for _, p := range props {
			if strings.EqualFold(p.Name, k) && !p.Qualifiers.Has("Key") {
				p.Qualifiers = append(p.Qualifiers, cim.Qualifier{Name: "Key", Value: cim.NewBool(true),
					Flavor: cim.FlavorDisableOverride})
			}
		}
	}
	if quals == nil {
		if c, ok := d.synth[strings.ToLower(name)]; ok && sameShape(c.Properties, props) {
			return c
		}
	}
	c := &cim.Class{Name: name, Properties: props, Qualifiers: quals}
	if quals == nil {
		if d.synth == nil {
			d.synth = make(map[string]*cim.Class)
		}
		d.synth[strings.ToLower(name)] = c
	}
	return c
}

func sameShape(a, b []*cim.Property) bool {
	if len(a) != len(b) {
		return false
	}
	for i, p := range a {
		q := b[i]
		if p.Name != q.Name || p.Type != q.Type || p.IsArray != q.IsArray || p.RefClass != q.RefClass ||
			p.EmbeddedClass != q.EmbeddedClass || p.ClassOrigin != q.ClassOrigin ||
			p.Propagated != q.Propagated || p.IsKey() != q.IsKey() || len(p.Qualifiers) != len(q.Qualifiers) {
			return false
		}
		if len(p.Qualifiers) > 0 && !(len(p.Qualifiers) == 1 && p.IsKey()) {
			return false
		}
	}
	return true
}

// namedInstance parses VALUE.NAMEDINSTANCE (INSTANCENAME, INSTANCE); the
// keys of the name mark the key properties of the instance's class.
func (d *decoder) namedInstance() (*cim.ObjectPath, *cim.Instance, error) {
	var p *cim.ObjectPath
	var inst *cim.Instance
	err := d.eachChild(func(id elemID) error {
		var err error
		switch {
		case id == eINSTANCENAME && p == nil && inst == nil:
			p, err = d.instanceName()
		case (id == eINSTANCEPATH || id == eLOCALINSTANCEPATH) && p == nil && inst == nil:
			p, err = d.pathElement(id)
		case id == eINSTANCE && inst == nil:
			hint := d.keyHint
			if p != nil {
				d.keyHint = d.keyHint[:0:0]
				for _, k := range p.Keys {
					d.keyHint = append(d.keyHint, k.Name)
				}
			}
			inst, err = d.instance()
			d.keyHint = hint
		default:
			return d.unexpected()
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if p == nil || inst == nil {
		return nil, nil, notValid("incomplete <" + string(d.s.name) + ">")
	}
	return p, inst, nil
}

// class parses a CLASS element.
func (d *decoder) class() (*cim.Class, error) {
	c := &cim.Class{}
	var err error
	if c.Name, err = d.required("NAME"); err != nil {
		return nil, err
	}
	c.SuperClass, _ = d.attrStr("SUPERCLASS")
	err = d.eachChild(func(id elemID) error {
		switch id {
		case eQUALIFIER:
			return d.appendQualifier(&c.Qualifiers)
		case ePROPERTY, ePROPERTYARRAY, ePROPERTYREFERENCE:
			p, v, err := d.property(id)
			if err != nil {
				return err
			}
			p.Default = v
			c.Properties = append(c.Properties, p)
			return nil
		case eMETHOD:
			m, err := d.method()
			if err != nil {
				return err
			}
			c.Methods = append(c.Methods, m)
			return nil
		}
		return d.unexpected()
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// method parses a METHOD element.
func (d *decoder) method() (*cim.Method, error) {
	m := &cim.Method{}
	var err error
	if m.Name, err = d.required("NAME"); err != nil {
		return nil, err
	}
	if t, ok := d.typeAttr("TYPE"); ok {
		m.ReturnType = t
	}
	m.ReturnRefClass, _ = d.attrStr("REFERENCECLASS")
	m.ClassOrigin, _ = d.attrStr("CLASSORIGIN")
	m.Propagated = d.boolAttr("PROPAGATED", false)
	err = d.eachChild(func(id elemID) error {
		switch id {
		case eQUALIFIER:
			return d.appendQualifier(&m.Qualifiers)
		case ePARAMETER, ePARAMETERARRAY, ePARAMETERREFERENCE, ePARAMETERREFARRAY:
			p, err := d.parameter(id)
			if err != nil {
				return err
			}
			m.Parameters = append(m.Parameters, p)
			return nil
		}
		return d.unexpected()
	})
	if err != nil {
		return nil, err
	}
	if m.ReturnType == cim.String {
		if emb, cls := embeddedQualifier(m.Qualifiers); emb {
			m.ReturnType, m.ReturnEmbeddedClass = cim.Object, cls
		}
	}
	return m, nil
}

// parameter parses PARAMETER, PARAMETER.ARRAY, PARAMETER.REFERENCE or
// PARAMETER.REFARRAY.
func (d *decoder) parameter(id elemID) (*cim.Parameter, error) {
	p := &cim.Parameter{}
	var err error
	if p.Name, err = d.required("NAME"); err != nil {
		return nil, err
	}
	switch id {
	case ePARAMETERREFERENCE, ePARAMETERREFARRAY:
		p.Type = cim.Reference
		p.RefClass, _ = d.attrStr("REFERENCECLASS")
	default:
		t, ok := d.typeAttr("TYPE")
		if !ok {
			t = cim.String
		}
		p.Type = t
	}
	if id == ePARAMETERARRAY || id == ePARAMETERREFARRAY {
		p.IsArray = true
		p.ArraySize = d.arraySize()
	}
	err = d.eachChild(func(cid elemID) error {
		if cid != eQUALIFIER {
			return d.unexpected()
		}
		return d.appendQualifier(&p.Qualifiers)
	})
	if err != nil {
		return nil, err
	}
	if p.Type == cim.String {
		if emb, cls := embeddedQualifier(p.Qualifiers); emb {
			p.Type, p.EmbeddedClass = cim.Object, cls
		}
	}
	return p, nil
}

var scopeAttrs = []struct {
	name  string
	scope cim.Scope
}{
	{"CLASS", cim.ScopeClass}, {"ASSOCIATION", cim.ScopeAssociation}, {"REFERENCE", cim.ScopeReference},
	{"PROPERTY", cim.ScopeProperty}, {"METHOD", cim.ScopeMethod}, {"PARAMETER", cim.ScopeParameter},
	{"INDICATION", cim.ScopeIndication},
}

// qualifierDecl parses a QUALIFIER.DECLARATION element.
func (d *decoder) qualifierDecl() (*cim.QualifierDecl, error) {
	q := &cim.QualifierDecl{}
	var err error
	if q.Name, err = d.required("NAME"); err != nil {
		return nil, err
	}
	t, ok := d.typeAttr("TYPE")
	if !ok {
		return nil, notValid("<QUALIFIER.DECLARATION> lacks the TYPE attribute")
	}
	q.Type = t
	q.IsArray = d.boolAttr("ISARRAY", false)
	q.ArraySize = d.arraySize()
	q.Flavor = d.flavor()
	q.Default = cim.Null(t, q.IsArray)
	err = d.eachChild(func(id elemID) error {
		var err error
		switch id {
		case eSCOPE:
			for _, sa := range scopeAttrs {
				if d.boolAttr(sa.name, false) {
					q.Scopes |= sa.scope
				}
			}
			err = d.noChildren()
		case eVALUE:
			q.Default, err = d.value(t, true, false)
		case eVALUEARRAY:
			q.Default, err = d.valueArray(t, true, false)
			q.IsArray = true
		default:
			return d.unexpected()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// ---- parameters ------------------------------------------------------

// param parses PARAMVALUE, IPARAMVALUE or RETURNVALUE (without NAME).
func (d *decoder) param(id elemID) (Param, error) {
	var p Param
	var err error
	if id != eRETURNVALUE {
		if p.Name, err = d.required("NAME"); err != nil {
			return p, err
		}
		if p.Name == "" {
			// An empty name would be taken for the return value.
			return p, notValid("<" + string(d.s.name) + "> has an empty NAME")
		}
	}
	if d.valErr == nil {
		defer func() {
			if d.valErr != nil {
				e := d.valErr.(*status.Error)
				e.Description = "parameter " + p.Name + ": " + e.Description
			}
		}()
	}
	t, typed := d.typeAttr("PARAMTYPE")
	emb := d.embeddedAttr() || t == cim.Object
	if typed {
		if emb {
			t = cim.Object
		}
		p.Type = t
		p.Value = cim.Null(t, false)
	}
	seen := false
	err = d.eachChild(func(cid elemID) error {
		if seen {
			return d.unexpected()
		}
		seen = true
		var err error
		switch cid {
		case eVALUE:
			p.Value, err = d.value(t, typed, emb)
		case eVALUEARRAY:
			p.Value, err = d.valueArray(t, typed, emb)
		case eVALUEREFERENCE:
			var r *cim.ObjectPath
			if r, err = d.reference(); err == nil {
				p.Value = cim.NewReference(r)
			}
		case eVALUEREFARRAY:
			p.Value, err = d.refArray()
		case eCLASSNAME, eINSTANCENAME:
			var r *cim.ObjectPath
			if r, err = d.pathElement(cid); err == nil {
				p.Value = cim.NewReference(r)
			}
		case eINSTANCE:
			var inst *cim.Instance
			if inst, err = d.instance(); err == nil {
				p.Value = cim.NewObject(inst)
			}
		case eVALUENAMEDINSTANCE:
			var inst *cim.Instance
			var path *cim.ObjectPath
			if path, inst, err = d.namedInstance(); err == nil {
				inst.Namespace, inst.Server = path.Namespace, path.Server
				p.Value = cim.NewObject(inst)
			}
		case eCLASS, eQUALIFIERDECLARATION:
			// Arguments of class and qualifier operations, which are not
			// supported; checked for validity and dropped.
			if cid == eCLASS {
				_, err = d.class()
			} else {
				_, err = d.qualifierDecl()
			}
			if id != eIPARAMVALUE {
				d.failf("parameter %s: embedded classes are not supported", p.Name)
			}
		case eVALUENULL:
			err = d.skip()
		default:
			return d.unexpected()
		}
		return err
	})
	if err != nil {
		return p, err
	}
	if typed && !p.Value.IsNull() && p.Value.Type() != t {
		d.failf("parameter %s: PARAMTYPE %s does not match a %s value", p.Name, t, p.Value.TypeName())
	}
	return p, nil
}

// appendParam parses a PARAMVALUE or IPARAMVALUE element (id) and appends
// it to *ps.
func (d *decoder) appendParam(id elemID, ps *[]Param) error {
	p, err := d.param(id)
	if err != nil {
		return err
	}
	*ps = append(*ps, p)
	return nil
}

// ---- messages --------------------------------------------------------

// message parses CIM and MESSAGE and positions the decoder on the child of
// MESSAGE, whose id it returns.
func (d *decoder) message(root elemID) (id string, protocol string, body elemID, err error) {
	if root != eCIM {
		return "", "", 0, notValid("root element is <" + string(d.s.name) + ">, want <CIM>")
	}
	cv, ok := d.attrBytes("CIMVERSION")
	if !ok {
		return "", "", 0, notValid("<CIM> lacks CIMVERSION")
	}
	if !bytes.HasPrefix(cv, []byte("2.")) && !bytes.Equal(cv, []byte("2")) {
		return "", "", 0, &ProtocolError{Status: 501, CIMError: ErrUnsupportedCIMVersion, Msg: "CIMVERSION " + strconv.Quote(string(cv))}
	}
	dv, ok := d.attrBytes("DTDVERSION")
	if !ok {
		return "", "", 0, notValid("<CIM> lacks DTDVERSION")
	}
	if !bytes.HasPrefix(dv, []byte("2.")) && !bytes.Equal(dv, []byte("2")) {
		return "", "", 0, &ProtocolError{Status: 501, CIMError: ErrUnsupportedDTDVersion, Msg: "DTDVERSION " + strconv.Quote(string(dv))}
	}
	cid, ok, err := d.child()
	if err != nil {
		return "", "", 0, err
	}
	if !ok || cid != eMESSAGE {
		return "", "", 0, notValid("<CIM> must hold <MESSAGE>")
	}
	id, ok = d.attrStr("ID")
	if !ok {
		return "", "", 0, notValid("<MESSAGE> lacks the ID attribute")
	}
	pv, ok := d.attrBytes("PROTOCOLVERSION")
	if !ok {
		return "", "", 0, notValid("<MESSAGE> lacks PROTOCOLVERSION")
	}
	if !supportedProtocol(pv) {
		return "", "", 0, &ProtocolError{Status: 501, CIMError: ErrUnsupportedProtocolVersion, Msg: "PROTOCOLVERSION " + strconv.Quote(string(pv))}
	}
	protocol = names.get(pv)
	body, ok, err = d.child()
	if err != nil {
		return "", "", 0, err
	}
	if !ok {
		return "", "", 0, notValid("empty <MESSAGE>")
	}
	return id, protocol, body, nil
}

// supportedProtocol accepts protocol versions 1.x.
func supportedProtocol(v []byte) bool {
	v = bytes.TrimSpace(v)
	return bytes.Equal(v, []byte("1")) || bytes.HasPrefix(v, []byte("1."))
}

// closeMessage consumes the end tags of MESSAGE and CIM and the end of
// the document.
func (d *decoder) closeMessage() error {
	for range 2 {
		if err := d.noChildren(); err != nil {
			return err
		}
	}
	return d.finish()
}

// request parses a whole request document.
func (d *decoder) request(data []byte, maxDepth int) (*Request, error) {
	root, err := d.begin(data, maxDepth)
	if err != nil {
		return nil, err
	}
	req := &Request{}
	var body elemID
	if req.MessageID, req.ProtocolVersion, body, err = d.message(root); err != nil {
		return nil, err
	}
	switch body {
	case eSIMPLEREQ:
	case eMULTIREQ:
		return nil, &ProtocolError{Status: 501, CIMError: ErrMultipleRequests, Msg: "multiple requests are not supported"}
	case eSIMPLEEXPREQ, eMULTIEXPREQ:
		return nil, &ProtocolError{Status: 400, CIMError: ErrUnsupportedOperation, Msg: "export requests are not accepted here"}
	default:
		return nil, d.unexpected()
	}
	call := false
	err = d.eachChild(func(id elemID) error {
		switch {
		case id == eCORRELATOR:
			return d.skip()
		case id == eMETHODCALL && !call:
			call = true
			return d.methodCall(req)
		case id == eIMETHODCALL && !call:
			call = true
			req.Intrinsic = true
			return d.imethodCall(req)
		}
		return d.unexpected()
	})
	if err != nil {
		return nil, err
	}
	if !call {
		return nil, notValid("<SIMPLEREQ> holds no method call")
	}
	if err := d.closeMessage(); err != nil {
		return nil, err
	}
	return req, nil
}

func (d *decoder) methodCall(req *Request) error {
	var err error
	if req.Method, err = d.required("NAME"); err != nil {
		return err
	}
	err = d.eachChild(func(id elemID) error {
		var err error
		switch {
		case (id == eLOCALINSTANCEPATH || id == eLOCALCLASSPATH) && req.Target == nil:
			if req.Target, err = d.pathElement(id); err != nil {
				return err
			}
			req.Namespace = req.Target.Namespace
			return nil
		case id == ePARAMVALUE:
			return d.appendParam(id, &req.Params)
		}
		return d.unexpected()
	})
	if err != nil {
		return err
	}
	if req.Target == nil {
		return notValid("<METHODCALL> lacks LOCALINSTANCEPATH or LOCALCLASSPATH")
	}
	return nil
}

func (d *decoder) imethodCall(req *Request) error {
	var err error
	if req.Method, err = d.required("NAME"); err != nil {
		return err
	}
	err = d.eachChild(func(id elemID) error {
		var err error
		switch {
		case id == eLOCALNAMESPACEPATH && req.Namespace == "":
			req.Namespace, err = d.localNamespace()
			return err
		case id == eIPARAMVALUE:
			return d.appendParam(id, &req.Params)
		}
		return d.unexpected()
	})
	if err != nil {
		return err
	}
	if req.Namespace == "" {
		return notValid("<IMETHODCALL> lacks LOCALNAMESPACEPATH")
	}
	return nil
}

// response parses a whole response document.
func (d *decoder) response(data []byte, maxDepth int) (*Response, error) {
	root, err := d.begin(data, maxDepth)
	if err != nil {
		return nil, err
	}
	resp := &Response{}
	var body elemID
	if resp.MessageID, _, body, err = d.message(root); err != nil {
		return nil, err
	}
	if body != eSIMPLERSP {
		return nil, notValid("<MESSAGE> holds <" + string(d.s.name) + ">, want <SIMPLERSP>")
	}
	id, ok, err := d.child()
	if err != nil {
		return nil, err
	}
	switch {
	case ok && id == eMETHODRESPONSE:
		err = d.methodResponse(resp)
	case ok && id == eIMETHODRESPONSE:
		resp.Intrinsic = true
		err = d.methodResponse(resp)
	default:
		return nil, notValid("<SIMPLERSP> must hold METHODRESPONSE or IMETHODRESPONSE")
	}
	if err != nil {
		return nil, err
	}
	if err := d.noChildren(); err != nil {
		return nil, err
	}
	if err := d.closeMessage(); err != nil {
		return nil, err
	}
	return resp, nil
}

// methodResponse parses METHODRESPONSE or, when resp.Intrinsic is set,
// IMETHODRESPONSE: they differ only in their return value element.
func (d *decoder) methodResponse(resp *Response) error {
	var err error
	if resp.Method, err = d.required("NAME"); err != nil {
		return err
	}
	return d.eachChild(func(id elemID) error {
		var err error
		switch {
		case id == eERROR && resp.Err == nil:
			resp.Err, err = d.errorElem()
		case id == eRETURNVALUE && !resp.Intrinsic:
			var p Param
			p, err = d.param(id)
			resp.ReturnValue = p.Value
		case id == eIRETURNVALUE && resp.Intrinsic && !resp.HasReturn:
			resp.HasReturn = true
			err = d.ireturn(resp)
		case id == ePARAMVALUE:
			var p Param
			p, err = d.param(id)
			resp.Params = append(resp.Params, p)
		default:
			return d.unexpected()
		}
		return err
	})
}

// ireturn parses the content of IRETURNVALUE.
func (d *decoder) ireturn(resp *Response) error {
	return d.eachChild(func(id elemID) error {
		var err error
		switch id {
		case eCLASSNAME:
			var n string
			if n, err = d.className(); err == nil {
				resp.ClassNames = append(resp.ClassNames, n)
			}
		case eINSTANCENAME, eINSTANCEPATH, eOBJECTPATH:
			var p *cim.ObjectPath
			if p, err = d.pathElement(id); err == nil {
				resp.InstanceNames = append(resp.InstanceNames, p)
			}
		case eCLASS:
			var c *cim.Class
			if c, err = d.class(); err == nil {
				resp.Classes = append(resp.Classes, c)
			}
		case eINSTANCE:
			var inst *cim.Instance
			if inst, err = d.instance(); err == nil {
				resp.Instances = append(resp.Instances, inst)
			}
		case eVALUENAMEDINSTANCE, eVALUEINSTANCEWITHPATH:
			var p *cim.ObjectPath
			var inst *cim.Instance
			if p, inst, err = d.namedInstance(); err == nil {
				resp.Instances = append(resp.Instances, inst)
				resp.InstanceNames = append(resp.InstanceNames, p)
			}
		case eVALUEOBJECT, eVALUEOBJECTWITHPATH, eVALUEOBJECTWITHLOCALPATH:
			err = d.valueObject(resp)
		case eQUALIFIERDECLARATION:
			var q *cim.QualifierDecl
			if q, err = d.qualifierDecl(); err == nil {
				resp.QualifierDecls = append(resp.QualifierDecls, q)
			}
		case eVALUE:
			var v cim.Value
			if v, err = d.value(cim.String, false, false); err == nil {
				resp.Values = append(resp.Values, v)
			}
		case eVALUEARRAY:
			var v cim.Value
			if v, err = d.valueArray(cim.String, false, false); err == nil {
				resp.Values = append(resp.Values, v)
			}
		case eVALUEREFERENCE:
			var p *cim.ObjectPath
			if p, err = d.reference(); err == nil {
				resp.Values = append(resp.Values, cim.NewReference(p))
			}
		default:
			return d.unexpected()
		}
		return err
	})
}

// valueObject parses VALUE.OBJECT, VALUE.OBJECTWITHPATH and
// VALUE.OBJECTWITHLOCALPATH: an optional path and a CLASS or INSTANCE.
func (d *decoder) valueObject(resp *Response) error {
	var path *cim.ObjectPath
	return d.eachChild(func(id elemID) error {
		var err error
		switch id {
		case eCLASSPATH, eLOCALCLASSPATH, eINSTANCEPATH, eLOCALINSTANCEPATH:
			path, err = d.pathElement(id)
		case eCLASS:
			var c *cim.Class
			if c, err = d.class(); err == nil {
				resp.Classes = append(resp.Classes, c)
			}
		case eINSTANCE:
			hint := d.keyHint
			if path != nil {
				d.keyHint = nil
				for _, k := range path.Keys {
					d.keyHint = append(d.keyHint, k.Name)
				}
			}
			var inst *cim.Instance
			inst, err = d.instance()
			d.keyHint = hint
			if err == nil {
				resp.Instances = append(resp.Instances, inst)
				if path != nil {
					resp.InstanceNames = append(resp.InstanceNames, path)
				}
			}
		default:
			return d.unexpected()
		}
		return err
	})
}

// errorElem parses an ERROR element (CIM_Error instances inside are
// checked and dropped).
func (d *decoder) errorElem() (*status.Error, error) {
	code, ok := d.attrBytes("CODE")
	if !ok {
		return nil, notValid("<ERROR> lacks CODE")
	}
	n, err := strconv.ParseUint(string(bytes.TrimSpace(code)), 10, 32)
	if err != nil {
		return nil, notValid("<ERROR> CODE " + strconv.Quote(string(code)) + " is not a number")
	}
	desc, _ := d.attrStr("DESCRIPTION")
	err = d.eachChild(func(id elemID) error {
		if id != eINSTANCE {
			return d.unexpected()
		}
		_, err := d.instance()
		return err
	})
	if err != nil {
		return nil, err
	}
	return errorFromCIM(status.CIMStatus(n), desc), nil
}

// errorFromCIM rebuilds an error from an ERROR element: the symbolic name
// that starts DESCRIPTION is removed, and a trailing "(WBEM_E_…)" written
// by a gowbem server restores the exact WBEM code.
func errorFromCIM(c status.CIMStatus, desc string) *status.Error {
	e := &status.Error{Code: c.WBEM(), CIMStatusOverride: c}
	if c == status.CIM_ERR_OK {
		e.Code = status.WBEM_E_FAILED
	}
	desc = strings.TrimPrefix(desc, c.String()+": ")
	if desc == c.String() {
		desc = ""
	}
	if strings.HasSuffix(desc, ")") {
		if i := strings.LastIndex(desc, " (WBEM_E_"); i >= 0 {
			if h, ok := status.ParseHRESULT(desc[i+2 : len(desc)-1]); ok && h.CIM() == c {
				e.Code = h
				desc = desc[:i]
			}
		}
	}
	e.Description = desc
	return e
}

// ---- exported entry points -------------------------------------------

// DecodeRequest decodes a CIM-XML request document. A *ProtocolError
// means the request cannot be processed (answer it with the HTTP status
// and CIMError header it names). A *status.Error means a value in an
// otherwise valid request is wrong (a number out of range, say); the
// Request is returned too, so that the error can be answered with an
// ERROR element.
func DecodeRequest(data []byte) (*Request, error) {
	return decodeRequest(data, DefaultMaxDepth)
}

func decodeRequest(data []byte, maxDepth int) (*Request, error) {
	d := getDecoder()
	defer putDecoder(d)
	req, err := d.request(data, maxDepth)
	if err != nil {
		return nil, err
	}
	if d.valErr != nil {
		return req, d.valErr
	}
	return req, nil
}

// DecodeResponse decodes a CIM-XML response document. Errors are as for
// DecodeRequest; the ERROR of a failed operation is not an error here but
// Response.Err.
func DecodeResponse(data []byte) (*Response, error) {
	return decodeResponse(data, nil)
}

func decodeResponse(data []byte, keyHint []string) (*Response, error) {
	d := getDecoder()
	defer putDecoder(d)
	d.keyHint = keyHint
	resp, err := d.response(data, DefaultMaxDepth)
	if err != nil {
		return nil, err
	}
	if d.valErr != nil {
		return resp, d.valErr
	}
	return resp, nil
}

// decodeFragment decodes a document whose root element is one of want.
func decodeFragment[T any](data []byte, parse func(d *decoder, root elemID) (T, error), want ...elemID) (T, error) {
	var zero T
	d := getDecoder()
	defer putDecoder(d)
	root, err := d.begin(data, DefaultMaxDepth)
	if err != nil {
		return zero, err
	}
	found := false
	for _, w := range want {
		found = found || w == root
	}
	if !found {
		return zero, notValid("unexpected root element <" + string(d.s.name) + ">")
	}
	v, err := parse(d, root)
	if err != nil {
		return zero, err
	}
	if err := d.finish(); err != nil {
		return zero, err
	}
	if d.valErr != nil {
		return zero, d.valErr
	}
	return v, nil
}

// DecodeClass decodes a CLASS element. The class holds what the XML
// carries: SuperClass but no Derivation; string properties, parameters and
// methods qualified EmbeddedInstance or EmbeddedObject become Object.
func DecodeClass(data []byte) (*cim.Class, error) {
	return decodeFragment(data, func(d *decoder, _ elemID) (*cim.Class, error) { return d.class() }, eCLASS)
}

// DecodeInstance decodes an INSTANCE (or VALUE.NAMEDINSTANCE) element. The
// instance's class is built from the properties the XML carries, with the
// key properties of a VALUE.NAMEDINSTANCE marked Key.
func DecodeInstance(data []byte) (*cim.Instance, error) {
	return decodeFragment(data, func(d *decoder, root elemID) (*cim.Instance, error) {
		if root == eINSTANCE {
			return d.instance()
		}
		p, inst, err := d.namedInstance()
		if err == nil {
			inst.Namespace, inst.Server = p.Namespace, p.Server
		}
		return inst, err
	}, eINSTANCE, eVALUENAMEDINSTANCE)
}

// DecodeQualifierDecl decodes a QUALIFIER.DECLARATION element.
func DecodeQualifierDecl(data []byte) (*cim.QualifierDecl, error) {
	return decodeFragment(data, func(d *decoder, _ elemID) (*cim.QualifierDecl, error) { return d.qualifierDecl() }, eQUALIFIERDECLARATION)
}

// DecodeValue decodes a VALUE, VALUE.ARRAY, VALUE.REFERENCE, VALUE.REFARRAY
// or VALUE.NULL element as a value of type t. With t TypeNone VALUE text
// stays an untyped String; with t Object the text is an embedded instance.
// A reference value may also be given as any path element (INSTANCENAME,
// LOCALINSTANCEPATH, CLASSPATH, ...).
func DecodeValue(data []byte, t cim.Type) (cim.Value, error) {
	return decodeFragment(data, func(d *decoder, root elemID) (cim.Value, error) {
		typed := t != cim.TypeNone
		switch root {
		case eVALUE:
			return d.value(t, typed, false)
		case eVALUEARRAY:
			if t == cim.Reference {
				return cim.Value{}, notValid("reference arrays are VALUE.REFARRAY")
			}
			return d.valueArray(t, typed, false)
		case eVALUEREFERENCE:
			p, err := d.reference()
			return cim.NewReference(p), err
		case eVALUEREFARRAY:
			return d.refArray()
		case eVALUENULL:
			return cim.Null(t, false), d.skip()
		}
		p, err := d.pathElement(root)
		return cim.NewReference(p), err
	}, eVALUE, eVALUEARRAY, eVALUEREFERENCE, eVALUEREFARRAY, eVALUENULL,
		eINSTANCENAME, eINSTANCEPATH, eLOCALINSTANCEPATH, eCLASSNAME, eCLASSPATH, eLOCALCLASSPATH)
}
