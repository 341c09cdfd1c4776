package cimjson

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// MaxNesting is the default limit on embedded objects within embedded
// objects (WMI's WBEM_MAX_OBJECT_NESTING). The encoder writes null for
// objects nested deeper (which only a cyclic instance graph can reach);
// the decoder refuses them.
const MaxNesting = 64

// typeName returns the JSON name of t: the MOF spelling, "void" for
// TypeNone.
func typeName(t cim.Type) string { return t.String() }

// parseTypeName parses a type name as typeName writes it, and the other
// spellings cim.ParseType accepts.
func parseTypeName(b []byte) (cim.Type, bool) {
	switch string(b) {
	case "boolean":
		return cim.Boolean, true
	case "uint8":
		return cim.Uint8, true
	case "sint8":
		return cim.Sint8, true
	case "uint16":
		return cim.Uint16, true
	case "sint16":
		return cim.Sint16, true
	case "uint32":
		return cim.Uint32, true
	case "sint32":
		return cim.Sint32, true
	case "uint64":
		return cim.Uint64, true
	case "sint64":
		return cim.Sint64, true
	case "real32":
		return cim.Real32, true
	case "real64":
		return cim.Real64, true
	case "char16":
		return cim.Char16, true
	case "string":
		return cim.String, true
	case "datetime":
		return cim.DateTime, true
	case "reference":
		return cim.Reference, true
	case "object":
		return cim.Object, true
	case "void":
		return cim.TypeNone, true
	}
	return cim.ParseType(string(b))
}

// AppendValue appends v: null for an untyped NULL, otherwise an object
// {"type":"uint32","value":5}, with "array":true for arrays. See the
// package documentation for how each type's value is written.
func AppendValue(dst []byte, v cim.Value) []byte {
	if v.IsNull() && v.Type() == cim.TypeNone && !v.IsArray() {
		return append(dst, "null"...)
	}
	dst = append(dst, '{')
	dst = appendTypeFields(dst, v.Type(), v.IsArray())
	dst = append(dst, `,"value":`...)
	dst = appendData(dst, v, 0)
	return append(dst, '}')
}

// appendTypeFields appends "type":"t" and, for arrays, ,"array":true.
func appendTypeFields(dst []byte, t cim.Type, array bool) []byte {
	dst = append(dst, `"type":"`...)
	dst = append(dst, typeName(t)...)
	dst = append(dst, '"')
	if array {
		dst = append(dst, `,"array":true`...)
	}
	return dst
}

// appendData appends the JSON form of v's data (without its type).
func appendData(dst []byte, v cim.Value, depth int) []byte {
	if v.IsNull() {
		return append(dst, "null"...)
	}
	if v.IsArray() {
		dst = append(dst, '[')
		for i, e := range v.Elems() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendScalar(dst, e, depth)
		}
		return append(dst, ']')
	}
	return appendScalar(dst, v, depth)
}

func appendScalar(dst []byte, v cim.Value, depth int) []byte {
	if v.IsNull() {
		return append(dst, "null"...)
	}
	switch t := v.Type(); t {
	case cim.Boolean:
		if v.Bool() {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case cim.Uint8, cim.Uint16, cim.Uint32:
		return strconv.AppendUint(dst, v.Uint64(), 10)
	case cim.Sint8, cim.Sint16, cim.Sint32:
		return strconv.AppendInt(dst, v.Int64(), 10)
	case cim.Uint64:
		dst = append(dst, '"')
		dst = strconv.AppendUint(dst, v.Uint64(), 10)
		return append(dst, '"')
	case cim.Sint64:
		dst = append(dst, '"')
		dst = strconv.AppendInt(dst, v.Int64(), 10)
		return append(dst, '"')
	case cim.Real32:
		return AppendFloat(dst, v.Float64(), 32)
	case cim.Real64:
		return AppendFloat(dst, v.Float64(), 64)
	case cim.Char16:
		c := v.Char16()
		if c >= 0xD800 && c <= 0xDFFF {
			// A lone surrogate has no UTF-8 form: write the code unit.
			return strconv.AppendUint(dst, uint64(c), 10)
		}
		return AppendString(dst, string(rune(c)))
	case cim.String, cim.DateTime:
		return AppendString(dst, v.Text())
	case cim.Reference:
		return AppendString(dst, v.Ref().String())
	case cim.Object:
		if depth >= MaxNesting {
			return append(dst, "null"...)
		}
		return appendInstance(dst, v.Object(), depth+1)
	}
	return append(dst, "null"...)
}

// DecodeValue decodes a value written by AppendValue. It also accepts a
// bare JSON scalar or array, whose type it infers (see the package
// documentation).
func DecodeValue(data []byte) (cim.Value, error) {
	var d Decoder
	return d.Value(data)
}

// Value decodes a value written by AppendValue (see DecodeValue).
func (d *Decoder) Value(data []byte) (cim.Value, error) {
	return decodeAll(data, d.ReadValue)
}

// decodeAll reads one JSON document from data with read and checks that
// nothing but white space follows it.
func decodeAll[T any](data []byte, read func(*Reader) T) (T, error) {
	r := Reader{data: data}
	v := read(&r)
	if err := r.End(); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// ReadValue reads a value (see DecodeValue) from r.
func (d *Decoder) ReadValue(r *Reader) cim.Value {
	return d.readValue(r, 0)
}

func (d *Decoder) readValue(r *Reader, depth int) cim.Value {
	switch r.Peek() {
	case 'n':
		r.Null()
		return cim.Value{}
	case '{':
		var s slot
		d.readSlot(r, &s, nil, depth)
		return s.val
	}
	return d.loose(r)
}

// slot is a typed value as JSON writes it: an object with "type",
// optional "array" and "value", plus the other members that properties,
// qualifiers and named values carry.
type slot struct {
	name       string
	typ        cim.Type
	typed      bool
	array      bool
	val        cim.Value
	key        bool
	refClass   string
	embClass   string
	flavor     cim.Flavor
	propagated bool
}

// readSlot reads a slot object into s. hint, when not nil, supplies the
// type of a slot written without one.
func (d *Decoder) readSlot(r *Reader, s *slot, hint *cim.Property, depth int) {
	var raw []byte
	hasVal := false
	for more := r.ObjectStart(); more; more = r.ObjectNext() {
		switch string(r.Key()) {
		case "type":
			t, ok := parseTypeName(r.StringBytes())
			if !ok && r.err == nil {
				r.failf("unknown type")
			}
			s.typ, s.typed = t, true
		case "array":
			s.array = r.Bool()
		case "value":
			// Decoded at the end: "array" (or "type") may follow it.
			hasVal = true
			raw = r.Raw()
		case "name":
			s.name = d.Intern(r.StringBytes())
		case "key":
			s.key = r.Bool()
		case "refClass":
			s.refClass = d.Intern(r.StringBytes())
		case "embeddedClass":
			s.embClass = d.Intern(r.StringBytes())
		case "flavor":
			s.flavor = readFlavor(r)
		case "propagated":
			s.propagated = r.Bool()
		default:
			r.Skip()
		}
	}
	if r.err != nil {
		return
	}
	if !s.typed && hint != nil {
		s.typ, s.array, s.typed = hint.Type, hint.IsArray, true
	}
	switch {
	case !hasVal:
		s.val = cim.Null(s.typ, s.array)
	case s.typed:
		sub := Reader{data: raw}
		s.val = d.readData(&sub, s.typ, s.array, depth)
		r.Fail(sub.err)
	default:
		sub := Reader{data: raw}
		s.val = d.loose(&sub)
		r.Fail(sub.err)
		s.typ, s.array, s.typed = s.val.Type(), s.val.IsArray(), true
	}
}

// readData reads the data of a value of type t (array when array).
func (d *Decoder) readData(r *Reader, t cim.Type, array bool, depth int) cim.Value {
	if r.Null() {
		return cim.Null(t, array)
	}
	if !array {
		return d.readScalar(r, t, depth)
	}
	start := len(d.elems)
	for more := r.ArrayStart(); more; more = r.ArrayNext() {
		var e cim.Value
		if r.Null() {
			e = cim.Null(t, false)
		} else {
			e = d.readScalar(r, t, depth)
		}
		d.elems = append(d.elems, e)
	}
	elems := make([]cim.Value, len(d.elems)-start)
	copy(elems, d.elems[start:])
	clear(d.elems[start:])
	d.elems = d.elems[:start]
	if r.err != nil {
		return cim.Value{}
	}
	v, err := cim.NewArray(t, elems)
	r.Fail(err)
	return v
}

func (d *Decoder) readScalar(r *Reader, t cim.Type, depth int) cim.Value {
	if r.Null() {
		return cim.Null(t, false)
	}
	switch t {
	case cim.Boolean:
		return cim.NewBool(r.Bool())
	case cim.Uint8, cim.Uint16, cim.Uint32, cim.Uint64:
		neg, mag, ok := valueInteger(r, t)
		if !ok {
			return cim.Value{}
		}
		if (neg && mag != 0) || mag > maxUnsigned(t) {
			r.Fail(status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "value does not fit %s", t))
			return cim.Value{}
		}
		switch t {
		case cim.Uint8:
			return cim.NewUint8(uint8(mag))
		case cim.Uint16:
			return cim.NewUint16(uint16(mag))
		case cim.Uint32:
			return cim.NewUint32(uint32(mag))
		}
		return cim.NewUint64(mag)
	case cim.Sint8, cim.Sint16, cim.Sint32, cim.Sint64:
		neg, mag, ok := valueInteger(r, t)
		if !ok {
			return cim.Value{}
		}
		limit := uint64(1)<<(t.Bits()-1) - 1
		if neg {
			limit++
		}
		if mag > limit {
			r.Fail(status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "value does not fit %s", t))
			return cim.Value{}
		}
		n := int64(mag)
		if neg {
			n = -n // for mag == 1<<63 this wraps to MinInt64, as wanted
		}
		switch t {
		case cim.Sint8:
			return cim.NewSint8(int8(n))
		case cim.Sint16:
			return cim.NewSint16(int16(n))
		case cim.Sint32:
			return cim.NewSint32(int32(n))
		}
		return cim.NewSint64(n)
	case cim.Real32:
		f := r.Float64(32)
		return cim.NewReal32(float32(f))
	case cim.Real64:
		return cim.NewReal64(r.Float64(64))
	case cim.Char16:
		if r.Peek() != '"' {
			n := r.Uint64()
			if n > math.MaxUint16 {
				r.Fail(status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "char16 code unit %d out of range", n))
				return cim.Value{}
			}
			return cim.NewChar16(uint16(n))
		}
		b := r.StringBytes()
		c, n := utf8.DecodeRune(b)
		if r.err == nil && (n == 0 || n != len(b) || c > 0xFFFF) {
			r.Fail(status.New(status.WBEM_E_TYPE_MISMATCH, "char16 wants one character of the Basic Multilingual Plane"))
			return cim.Value{}
		}
		return cim.NewChar16(uint16(c))
	case cim.String:
		return cim.NewString(r.String())
	case cim.DateTime:
		s := r.String()
		if r.err != nil {
			return cim.Value{}
		}
		v, err := cim.NewDateTime(s)
		r.Fail(err)
		return v
	case cim.Reference:
		s := r.String()
		if r.err != nil {
			return cim.Value{}
		}
		v, err := cim.ParseValue(cim.Reference, s)
		r.Fail(err)
		return v
	case cim.Object:
		i := d.readInstance(r, depth+1)
		if i == nil {
			return cim.Null(cim.Object, false)
		}
		return cim.NewObject(i)
	}
	r.Fail(status.New(status.WBEM_E_TYPE_MISMATCH, "a value of type %s cannot hold data", t))
	return cim.Value{}
}

// valueInteger reads the integer of a value of integer type t as
// Reader.integer does, except that a decimal integer too large even for
// 64 bits is refused like any integer outside t's range, with
// WBEM_E_VALUE_OUT_OF_RANGE (docs/PROTOCOL.md §6.2, §8), not as invalid
// JSON.
func valueInteger(r *Reader, t cim.Type) (neg bool, mag uint64, ok bool) {
	var tok []byte
	if r.Peek() == '"' {
		tok = r.StringBytes()
	} else {
		tok = r.Number()
	}
	if r.err != nil {
		return false, 0, false
	}
	if mag, neg, ok = parseDecimal(tok); ok {
		return neg, mag, true
	}
	digits := tok
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	decimal := len(digits) > 0
	for _, c := range digits {
		decimal = decimal && '0' <= c && c <= '9'
	}
	if decimal {
		r.Fail(status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "value does not fit %s", t))
	} else {
		r.failf("%q is not an integer in range", tok)
	}
	return false, 0, false
}

func maxUnsigned(t cim.Type) uint64 {
	return math.MaxUint64 >> (64 - t.Bits())
}

// loose reads a bare JSON value and infers its CIM type: string for
// strings, boolean for true and false, sint64 for integers (uint64 above
// the sint64 range), real64 for other numbers, and for arrays the type
// that fits every element. null is an untyped NULL.
func (d *Decoder) loose(r *Reader) cim.Value {
	switch r.Peek() {
	case 'n':
		r.Null()
		return cim.Value{}
	case '[':
	default:
		return looseScalar(r)
	}
	var elems []cim.Value
	t := cim.TypeNone
	for more := r.ArrayStart(); more; more = r.ArrayNext() {
		if r.Null() {
			elems = append(elems, cim.Value{})
			continue
		}
		e := looseScalar(r)
		if r.err != nil {
			return cim.Value{}
		}
		switch {
		case t == cim.TypeNone || t == e.Type():
			t = e.Type()
		case t.IsNumeric() && e.Type().IsNumeric():
			t = widen(t, e.Type())
		default:
			r.Fail(status.New(status.WBEM_E_TYPE_MISMATCH, "array mixes %s and %s elements", t, e.Type()))
			return cim.Value{}
		}
		elems = append(elems, e)
	}
	if r.err != nil {
		return cim.Value{}
	}
	if t == cim.TypeNone {
		t = cim.String
	}
	for i, e := range elems {
		if e.IsNull() {
			elems[i] = cim.Null(t, false)
			continue
		}
		c, err := cim.Convert(e, t, false)
		if err != nil {
			r.Fail(err)
			return cim.Value{}
		}
		elems[i] = c
	}
	v, err := cim.NewArray(t, elems)
	r.Fail(err)
	return v
}

// widen returns the numeric type that holds values of a and b.
func widen(a, b cim.Type) cim.Type {
	if a == cim.Real64 || b == cim.Real64 {
		return cim.Real64
	}
	if a == cim.Uint64 || b == cim.Uint64 {
		// Converting a negative element then fails: no integer type
		// holds both, and real64 would round.
		return cim.Uint64
	}
	return cim.Sint64
}

func looseScalar(r *Reader) cim.Value {
	switch r.Peek() {
	case '"':
		return cim.NewString(r.String())
	case 't', 'f':
		return cim.NewBool(r.Bool())
	case '{', '[':
		r.failf("nested value where a scalar is wanted")
		return cim.Value{}
	}
	tok := r.Number()
	if r.err != nil {
		return cim.Value{}
	}
	if mag, neg, ok := parseDecimal(tok); ok {
		switch {
		case neg && mag <= 1<<63:
			return cim.NewSint64(-int64(mag))
		case !neg && mag <= math.MaxInt64:
			return cim.NewSint64(int64(mag))
		case !neg:
			return cim.NewUint64(mag)
		}
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		r.Fail(status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "number %s out of range", tok))
		return cim.Value{}
	}
	return cim.NewReal64(f)
}
