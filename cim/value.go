package cim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gowbem/gowbem/status"
)

// Value is a typed CIM value: a scalar or an array of one CIM type, or
// NULL. The zero Value is an untyped NULL. Values are small and are passed
// by value; scalars never allocate.
//
// Storage: integers, booleans, char16 and reals live in num (reals as IEEE
// bits); strings and datetimes in str; references and embedded objects in
// ptr; array elements in arr.
type Value struct {
	typ   Type
	array bool
	set   bool
	num   uint64
	str   string
	ptr   any
	arr   []Value
}

// Null returns a NULL value of type t (array when array is true).
func Null(t Type, array bool) Value { return Value{typ: t, array: array} }

// NewBool returns a boolean value.
func NewBool(b bool) Value {
	v := Value{typ: Boolean, set: true}
	if b {
		v.num = 1
	}
	return v
}

// NewUint8 returns a uint8 value.
func NewUint8(n uint8) Value { return Value{typ: Uint8, set: true, num: uint64(n)} }

// NewSint8 returns a sint8 value.
func NewSint8(n int8) Value { return Value{typ: Sint8, set: true, num: uint64(int64(n))} }

// NewUint16 returns a uint16 value.
func NewUint16(n uint16) Value { return Value{typ: Uint16, set: true, num: uint64(n)} }

// NewSint16 returns a sint16 value.
func NewSint16(n int16) Value { return Value{typ: Sint16, set: true, num: uint64(int64(n))} }

// NewUint32 returns a uint32 value.
func NewUint32(n uint32) Value { return Value{typ: Uint32, set: true, num: uint64(n)} }

// NewSint32 returns a sint32 value.
func NewSint32(n int32) Value { return Value{typ: Sint32, set: true, num: uint64(int64(n))} }

// NewUint64 returns a uint64 value.
func NewUint64(n uint64) Value { return Value{typ: Uint64, set: true, num: n} }

// NewSint64 returns a sint64 value.
func NewSint64(n int64) Value { return Value{typ: Sint64, set: true, num: uint64(n)} }

// NewReal32 returns a real32 value.
func NewReal32(f float32) Value {
	return Value{typ: Real32, set: true, num: math.Float64bits(float64(f))}
}

// NewReal64 returns a real64 value.
func NewReal64(f float64) Value { return Value{typ: Real64, set: true, num: math.Float64bits(f)} }

// NewChar16 returns a char16 value holding one UCS-2 code unit.
func NewChar16(c uint16) Value { return Value{typ: Char16, set: true, num: uint64(c)} }

// NewString returns a string value.
func NewString(s string) Value { return Value{typ: String, set: true, str: s} }

// NewDateTime returns a datetime value after checking the CIM datetime
// syntax (timestamp or interval, see ParseDateTime).
func NewDateTime(s string) (Value, error) {
	if _, err := ParseDateTime(s); err != nil {
		return Value{}, err
	}
	return Value{typ: DateTime, set: true, str: s}, nil
}

// NewTimestamp returns a datetime value for the instant t.
func NewTimestamp(t time.Time) Value {
	return Value{typ: DateTime, set: true, str: FormatTimestamp(t)}
}

// NewInterval returns a datetime interval value for d.
func NewInterval(d time.Duration) Value {
	return Value{typ: DateTime, set: true, str: FormatInterval(d)}
}

// NewReference returns a reference value. A nil path gives a NULL reference.
func NewReference(p *ObjectPath) Value {
	if p == nil {
		return Null(Reference, false)
	}
	return Value{typ: Reference, set: true, ptr: p}
}

// NewObject returns an embedded-instance value. A nil instance gives NULL.
func NewObject(o *Instance) Value {
	if o == nil {
		return Null(Object, false)
	}
	return Value{typ: Object, set: true, ptr: o}
}

// NewArray returns an array value of element type t. Every element must be
// a non-array value of type t or NULL; NULL elements are allowed.
func NewArray(t Type, elems []Value) (Value, error) {
	for i, e := range elems {
		if e.array || (e.set && e.typ != t) {
			return Value{}, status.New(status.WBEM_E_TYPE_MISMATCH,
				"array element %d is %s, want %s", i, e.TypeName(), t)
		}
		if !e.set {
			elems[i].typ = t
		}
	}
	return Value{typ: t, array: true, set: true, arr: elems}, nil
}

// MustArray is NewArray for elements known to be of the right type; it
// panics on a type error and is meant for literals in code and tests.
func MustArray(t Type, elems ...Value) Value {
	v, err := NewArray(t, elems)
	if err != nil {
		panic(err)
	}
	return v
}

// Type returns the CIM type of the value (the element type for arrays).
func (v Value) Type() Type { return v.typ }

// IsArray reports whether v is an array value.
func (v Value) IsArray() bool { return v.array }

// IsNull reports whether v is NULL.
func (v Value) IsNull() bool { return !v.set }

// TypeName returns the type as MOF writes it, with "[]" for arrays.
func (v Value) TypeName() string {
	if v.array {
		return v.typ.String() + "[]"
	}
	return v.typ.String()
}

// Bool returns the boolean value (false for NULL or other types).
func (v Value) Bool() bool { return v.set && v.typ == Boolean && v.num != 0 }

// Uint64 returns an integer or char16 value as uint64 (two's complement
// for negative signed values).
func (v Value) Uint64() uint64 { return v.num }

// Int64 returns an integer value as int64. Unsigned 64-bit values above
// math.MaxInt64 wrap.
func (v Value) Int64() int64 {
	switch v.typ {
	case Sint8, Sint16, Sint32, Sint64:
		return int64(v.num)
	case Real32, Real64:
		return int64(math.Float64frombits(v.num))
	}
	return int64(v.num)
}

// Float64 returns a numeric value as float64.
func (v Value) Float64() float64 {
	switch {
	case v.typ.IsReal():
		return math.Float64frombits(v.num)
	case v.typ.IsSigned():
		return float64(int64(v.num))
	}
	return float64(v.num)
}

// Char16 returns the UCS-2 code unit of a char16 value.
func (v Value) Char16() uint16 { return uint16(v.num) }

// Text returns the string of a string or datetime value, the character of
// a char16 value and the WMI path of a reference; "" otherwise.
func (v Value) Text() string {
	switch v.typ {
	case String, DateTime:
		return v.str
	case Char16:
		if v.set {
			return string(rune(v.num))
		}
	case Reference:
		if p := v.Ref(); p != nil {
			return p.String()
		}
	}
	return v.str
}

// Ref returns the object path of a reference value, or nil.
func (v Value) Ref() *ObjectPath {
	p, _ := v.ptr.(*ObjectPath)
	return p
}

// Object returns the instance of an embedded-object value, or nil.
func (v Value) Object() *Instance {
	o, _ := v.ptr.(*Instance)
	return o
}

// Len returns the number of elements of an array value (0 for NULL).
func (v Value) Len() int { return len(v.arr) }

// Elems returns the elements of an array value. The slice is shared; do
// not modify it.
func (v Value) Elems() []Value { return v.arr }

// Index returns element i of an array value.
func (v Value) Index(i int) Value { return v.arr[i] }

// Interface returns the value as a native Go value: nil for NULL, bool,
// uint8..int64, float32, float64, uint16 for char16 (as Char16Rune is
// ambiguous), string for strings and datetimes, *ObjectPath, *Instance, or
// a slice of those for arrays ([]any when elements may be NULL).
func (v Value) Interface() any {
	if !v.set {
		return nil
	}
	if v.array {
		out := make([]any, len(v.arr))
		for i, e := range v.arr {
			out[i] = e.Interface()
		}
		return out
	}
	switch v.typ {
	case Boolean:
		return v.num != 0
	case Uint8:
		return uint8(v.num)
	case Sint8:
		return int8(v.num)
	case Uint16:
		return uint16(v.num)
	case Sint16:
		return int16(v.num)
	case Uint32:
		return uint32(v.num)
	case Sint32:
		return int32(v.num)
	case Uint64:
		return v.num
	case Sint64:
		return int64(v.num)
	case Real32:
		return float32(math.Float64frombits(v.num))
	case Real64:
		return math.Float64frombits(v.num)
	case Char16:
		return uint16(v.num)
	case String, DateTime:
		return v.str
	case Reference, Object:
		return v.ptr
	}
	return nil
}

// Equal reports whether a and b have the same type, array-ness and value.
// Reference values compare with ObjectPath.Equal, embedded objects by
// content.
func Equal(a, b Value) bool {
	if a.typ != b.typ || a.array != b.array || a.set != b.set {
		return false
	}
	if !a.set {
		return true
	}
	if a.array {
		if len(a.arr) != len(b.arr) {
			return false
		}
		for i := range a.arr {
			if !Equal(a.arr[i], b.arr[i]) {
				return false
			}
		}
		return true
	}
	switch a.typ {
	case String, DateTime:
		return a.str == b.str
	case Reference:
		return a.Ref().Equal(b.Ref())
	case Object:
		return a.Object().Equal(b.Object())
	}
	return a.num == b.num
}

// String renders the value as a MOF literal: strings quoted and escaped,
// arrays in braces, NULL as "NULL", references as quoted paths, embedded
// instances as nested "instance of" text.
func (v Value) String() string {
	var b strings.Builder
	v.writeMOF(&b, "")
	return b.String()
}

func (v Value) writeMOF(b *strings.Builder, indent string) {
	if !v.set {
		b.WriteString("NULL")
		return
	}
	if v.array {
		b.WriteByte('{')
		for i, e := range v.arr {
			if i > 0 {
				b.WriteString(", ")
			}
			e.writeMOF(b, indent)
		}
		b.WriteByte('}')
		return
	}
	switch v.typ {
	case Boolean:
		if v.num != 0 {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case Uint8, Uint16, Uint32, Uint64:
		b.WriteString(strconv.FormatUint(v.num, 10))
	case Sint8, Sint16, Sint32, Sint64:
		b.WriteString(strconv.FormatInt(int64(v.num), 10))
	case Real32:
		b.WriteString(formatReal(math.Float64frombits(v.num), 32))
	case Real64:
		b.WriteString(formatReal(math.Float64frombits(v.num), 64))
	case Char16:
		b.WriteByte('\'')
		c := rune(v.num)
		if c < 0x20 || c == '\'' || c == '\\' || c >= 0xD800 && c <= 0xDFFF {
			fmt.Fprintf(b, "\\x%04X", c)
		} else {
			b.WriteRune(c)
		}
		b.WriteByte('\'')
	case String, DateTime:
		writeMOFString(b, v.str)
	case Reference:
		writeMOFString(b, v.Ref().String())
	case Object:
		v.Object().writeMOF(b, indent)
	}
}

func formatReal(f float64, bits int) string {
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if !strings.ContainsAny(s, ".eEnN") {
		s += ".0"
	}
	return s
}

// writeMOFString writes s as a double-quoted MOF string literal.
func writeMOFString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == utf8.RuneError {
				fmt.Fprintf(b, "\\x%04X", r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// Clone returns a deep copy of v: arrays and embedded instances are copied,
// so the copy can be changed without touching v.
func (v Value) Clone() Value {
	if v.array && v.arr != nil {
		arr := make([]Value, len(v.arr))
		for i, e := range v.arr {
			arr[i] = e.Clone()
		}
		v.arr = arr
	}
	switch p := v.ptr.(type) {
	case *Instance:
		v.ptr = p.Clone()
	case *ObjectPath:
		v.ptr = p.Clone()
	}
	return v
}
