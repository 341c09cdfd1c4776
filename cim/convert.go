package cim

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gowbem/gowbem/status"
)

// Convert returns v converted to type t (array when array is true). It is
// used wherever a value meets a declared type: setting a property,
// checking method in-parameters, typing untyped protocol values.
//
// Allowed conversions: integer to integer and integer to real when the
// value fits (WBEM_E_VALUE_OUT_OF_RANGE otherwise), integral reals to
// integers, real64 to real32 within range, integer to char16 and back,
// string to datetime / reference / char16 when the text parses. NULL
// converts to NULL of any type. Anything else, including scalar to array,
// is WBEM_E_TYPE_MISMATCH. An embedded object keeps its instance (class
// compatibility needs the class hierarchy and is checked by the caller).
func Convert(v Value, t Type, array bool) (Value, error) {
	if !v.set {
		return Null(t, array), nil
	}
	if v.typ == t && v.array == array {
		return v, nil
	}
	if v.array != array {
		return Value{}, mismatch(v, t, array)
	}
	if array {
		out := make([]Value, len(v.arr))
		for i, e := range v.arr {
			c, err := Convert(e, t, false)
			if err != nil {
				return Value{}, err
			}
			out[i] = c
		}
		return Value{typ: t, array: true, set: true, arr: out}, nil
	}
	switch {
	case t.IsInteger() && (v.typ.IsInteger() || v.typ == Char16):
		return intToInt(v, t)
	case t.IsInteger() && v.typ.IsReal():
		f := v.Float64()
		if f != math.Trunc(f) {
			return Value{}, mismatch(v, t, array)
		}
		if t.IsSigned() {
			if f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
				return Value{}, outOfRange(v, t)
			}
			return intToInt(NewSint64(int64(f)), t)
		}
		if f < 0 || f >= 1.8446744073709551616e19 {
			return Value{}, outOfRange(v, t)
		}
		return intToInt(NewUint64(uint64(f)), t)
	case t.IsReal() && (v.typ.IsNumeric()):
		f := v.Float64()
		if t == Real32 {
			if !math.IsInf(f, 0) && math.IsInf(float64(float32(f)), 0) {
				return Value{}, outOfRange(v, t)
			}
			return NewReal32(float32(f)), nil
		}
		return NewReal64(f), nil
	case t == Char16 && v.typ.IsInteger():
		c, err := intToInt(v, Uint16)
		if err != nil {
			return Value{}, err
		}
		return NewChar16(uint16(c.num)), nil
	case v.typ == String && (t == DateTime || t == Reference || t == Char16):
		return ParseValue(t, v.str)
	case v.typ == DateTime && t == String:
		return NewString(v.str), nil
	}
	return Value{}, mismatch(v, t, array)
}

func mismatch(v Value, t Type, array bool) error {
	want := t.String()
	if array {
		want += "[]"
	}
	return status.New(status.WBEM_E_TYPE_MISMATCH, "cannot use %s value as %s", v.TypeName(), want)
}

func outOfRange(v Value, t Type) error {
	return status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "value %s does not fit %s", v.String(), t)
}

// intRange returns the bounds of integer type t as (min int64, max uint64).
func intRange(t Type) (int64, uint64) {
	switch t {
	case Uint8:
		return 0, math.MaxUint8
	case Sint8:
		return math.MinInt8, math.MaxInt8
	case Uint16, Char16:
		return 0, math.MaxUint16
	case Sint16:
		return math.MinInt16, math.MaxInt16
	case Uint32:
		return 0, math.MaxUint32
	case Sint32:
		return math.MinInt32, math.MaxInt32
	case Uint64:
		return 0, math.MaxUint64
	}
	return math.MinInt64, math.MaxInt64
}

func intToInt(v Value, t Type) (Value, error) {
	lo, hi := intRange(t)
	if v.typ.IsSigned() {
		n := int64(v.num)
		if n < lo || (n >= 0 && uint64(n) > hi) {
			return Value{}, outOfRange(v, t)
		}
	} else if v.num > hi {
		return Value{}, outOfRange(v, t)
	}
	return Value{typ: t, set: true, num: truncate(v.num, t)}, nil
}

// truncate keeps the two's-complement bits of n that type t holds,
// sign-extended for signed types, so stored values stay canonical.
func truncate(n uint64, t Type) uint64 {
	switch t {
	case Uint8:
		return uint64(uint8(n))
	case Sint8:
		return uint64(int64(int8(n)))
	case Uint16, Char16:
		return uint64(uint16(n))
	case Sint16:
		return uint64(int64(int16(n)))
	case Uint32:
		return uint64(uint32(n))
	case Sint32:
		return uint64(int64(int32(n)))
	}
	return n
}

// ParseValue parses the textual form of a scalar value of type t, as
// protocols and the command line carry it: booleans "true"/"false" in any
// case, integers in decimal (with optional sign) or 0x hexadecimal, reals,
// a single character for char16, datetime strings, object paths (WMI or
// DMTF URI form) for references. Strings are taken as they are. Embedded
// objects cannot be parsed from text (WBEM_E_TYPE_MISMATCH).
func ParseValue(t Type, s string) (Value, error) {
	switch {
	case t == Boolean:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return NewBool(true), nil
		case "false":
			return NewBool(false), nil
		}
		return Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "%q is not a boolean", s)
	case t.IsInteger():
		return parseInteger(t, strings.TrimSpace(s))
	case t.IsReal():
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return Value{}, status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "%q does not fit %s", s, t)
			}
			return Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "%q is not a %s", s, t)
		}
		return Convert(NewReal64(f), t, false)
	case t == Char16:
		if utf8.RuneCountInString(s) != 1 {
			return Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "%q is not a single character", s)
		}
		r, _ := utf8.DecodeRuneInString(s)
		if r > 0xFFFF {
			// Outside the BMP: char16 holds one UCS-2 code unit only.
			return Value{}, status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "%q does not fit char16", s)
		}
		return NewChar16(uint16(r)), nil
	case t == String:
		return NewString(s), nil
	case t == DateTime:
		return NewDateTime(s)
	case t == Reference:
		p, err := ParsePath(s)
		if err != nil {
			var uerr error
			if p, uerr = ParseURI(s); uerr != nil {
				return Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "%q is not an object path: %v", s, err)
			}
		}
		return NewReference(p), nil
	}
	return Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "cannot parse a %s value from text", t)
}

func parseInteger(t Type, s string) (Value, error) {
	neg := false
	body := s
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	base := 10
	if len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		base, body = 16, body[2:]
	}
	if body == "" || body[0] == '+' || body[0] == '-' {
		return Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "%q is not an integer", s)
	}
	u, err := strconv.ParseUint(body, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return Value{}, status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "%q does not fit %s", s, t)
		}
		return Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "%q is not an integer", s)
	}
	var v Value
	if neg {
		if u > 1<<63 {
			return Value{}, status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "%q does not fit %s", s, t)
		}
		v = NewSint64(-int64(u))
	} else {
		v = NewUint64(u)
	}
	return intToInt(v, t)
}

// ValueOf converts a native Go value to a CIM value: bool, the sized
// integer types, int (as sint64), uint (as uint64), float32, float64,
// string, time.Time (timestamp), time.Duration (interval), *ObjectPath,
// *Instance, Value itself, nil (untyped NULL) and slices of those.
func ValueOf(x any) (Value, error) {
	switch x := x.(type) {
	case nil:
		return Value{}, nil
	case Value:
		return x, nil
	case bool:
		return NewBool(x), nil
	case uint8:
		return NewUint8(x), nil
	case int8:
		return NewSint8(x), nil
	case uint16:
		return NewUint16(x), nil
	case int16:
		return NewSint16(x), nil
	case uint32:
		return NewUint32(x), nil
	case int32:
		return NewSint32(x), nil
	case uint64:
		return NewUint64(x), nil
	case int64:
		return NewSint64(x), nil
	case int:
		return NewSint64(int64(x)), nil
	case uint:
		return NewUint64(uint64(x)), nil
	case float32:
		return NewReal32(x), nil
	case float64:
		return NewReal64(x), nil
	case string:
		return NewString(x), nil
	case time.Time:
		return NewTimestamp(x), nil
	case time.Duration:
		return NewInterval(x), nil
	case *ObjectPath:
		return NewReference(x), nil
	case *Instance:
		return NewObject(x), nil
	case []string:
		return sliceOf(x, NewString, String)
	case []bool:
		return sliceOf(x, NewBool, Boolean)
	case []uint8:
		return sliceOf(x, NewUint8, Uint8)
	case []uint16:
		return sliceOf(x, NewUint16, Uint16)
	case []uint32:
		return sliceOf(x, NewUint32, Uint32)
	case []uint64:
		return sliceOf(x, NewUint64, Uint64)
	case []int8:
		return sliceOf(x, NewSint8, Sint8)
	case []int16:
		return sliceOf(x, NewSint16, Sint16)
	case []int32:
		return sliceOf(x, NewSint32, Sint32)
	case []int64:
		return sliceOf(x, NewSint64, Sint64)
	case []float32:
		return sliceOf(x, NewReal32, Real32)
	case []float64:
		return sliceOf(x, NewReal64, Real64)
	case []*ObjectPath:
		return sliceOf(x, NewReference, Reference)
	case []*Instance:
		return sliceOf(x, NewObject, Object)
	case []Value:
		if len(x) == 0 {
			return Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "empty []Value has no element type")
		}
		return NewArray(x[0].typ, x)
	}
	return Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "no CIM type for Go type %T", x)
}

func sliceOf[T any](xs []T, f func(T) Value, t Type) (Value, error) {
	out := make([]Value, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return Value{typ: t, array: true, set: true, arr: out}, nil
}
