package cim

import "strings"

// Type is a CIM intrinsic data type. Whether a value or property is an array
// is kept separately (see Value.IsArray and Property.IsArray).
type Type uint8

// The CIM intrinsic types. TypeNone is the zero value; as a method return
// type it means void.
const (
	TypeNone Type = iota
	Boolean
	Uint8
	Sint8
	Uint16
	Sint16
	Uint32
	Sint32
	Uint64
	Sint64
	Real32
	Real64
	Char16
	String
	DateTime
	Reference
	// Object is an embedded object or instance. DMTF MOF declares such
	// elements as string with an EmbeddedInstance or EmbeddedObject
	// qualifier; the model keeps them as Object with the class name in
	// EmbeddedClass.
	Object
	typeCount
)

var typeNames = [typeCount]string{
	TypeNone:  "void",
	Boolean:   "boolean",
	Uint8:     "uint8",
	Sint8:     "sint8",
	Uint16:    "uint16",
	Sint16:    "sint16",
	Uint32:    "uint32",
	Sint32:    "sint32",
	Uint64:    "uint64",
	Sint64:    "sint64",
	Real32:    "real32",
	Real64:    "real64",
	Char16:    "char16",
	String:    "string",
	DateTime:  "datetime",
	Reference: "reference",
	Object:    "object",
}

// String returns the MOF spelling of the type ("uint32", "datetime", ...).
func (t Type) String() string {
	if t < typeCount {
		return typeNames[t]
	}
	return "invalid"
}

// Valid reports whether t names a CIM data type (void excluded).
func (t Type) Valid() bool { return t > TypeNone && t < typeCount }

// IsInteger reports whether t is one of the eight integer types.
func (t Type) IsInteger() bool { return t >= Uint8 && t <= Sint64 }

// IsSigned reports whether t is a signed integer type.
func (t Type) IsSigned() bool { return t == Sint8 || t == Sint16 || t == Sint32 || t == Sint64 }

// IsReal reports whether t is real32 or real64.
func (t Type) IsReal() bool { return t == Real32 || t == Real64 }

// IsNumeric reports whether t is an integer or real type.
func (t Type) IsNumeric() bool { return t.IsInteger() || t.IsReal() }

// Bits returns the width in bits of a numeric or char16 type, or 0.
func (t Type) Bits() int {
	switch t {
	case Uint8, Sint8:
		return 8
	case Uint16, Sint16, Char16:
		return 16
	case Uint32, Sint32, Real32:
		return 32
	case Uint64, Sint64, Real64:
		return 64
	}
	return 0
}

// ParseType parses a MOF or CIM-XML type name, case-insensitively. It
// accepts "ref" and "reference" for references and "object" for embedded
// objects. It returns false for unknown names and for "void".
func ParseType(s string) (Type, bool) {
	switch strings.ToLower(s) {
	case "boolean", "bool":
		return Boolean, true
	case "uint8":
		return Uint8, true
	case "sint8":
		return Sint8, true
	case "uint16":
		return Uint16, true
	case "sint16":
		return Sint16, true
	case "uint32":
		return Uint32, true
	case "sint32":
		return Sint32, true
	case "uint64":
		return Uint64, true
	case "sint64":
		return Sint64, true
	case "real32":
		return Real32, true
	case "real64":
		return Real64, true
	case "char16":
		return Char16, true
	case "string":
		return String, true
	case "datetime":
		return DateTime, true
	case "ref", "reference":
		return Reference, true
	case "object":
		return Object, true
	}
	return TypeNone, false
}

// CIMTypeArrayFlag is the WMI CIM_FLAG_ARRAY bit of a CIMTYPE value.
const CIMTypeArrayFlag = 0x2000

var wmiTypeCodes = [typeCount]uint16{
	TypeNone: 0, Sint8: 16, Uint8: 17, Sint16: 2, Uint16: 18, Sint32: 3, Uint32: 19,
	Sint64: 20, Uint64: 21, Real32: 4, Real64: 5, Boolean: 11, String: 8,
	DateTime: 101, Reference: 102, Char16: 103, Object: 13,
}

// WMICode returns the WMI CIMTYPE_ENUMERATION value of the type (spec §1.5),
// with CIM_FLAG_ARRAY added when array is true.
func (t Type) WMICode(array bool) uint16 {
	if t >= typeCount {
		return 0xFFF
	}
	c := wmiTypeCodes[t]
	if array {
		c |= CIMTypeArrayFlag
	}
	return c
}

// TypeFromWMICode is the inverse of WMICode.
func TypeFromWMICode(code uint16) (t Type, array bool, ok bool) {
	array = code&CIMTypeArrayFlag != 0
	code &^= CIMTypeArrayFlag
	for i, c := range wmiTypeCodes {
		if c == code && Type(i) != TypeNone {
			return Type(i), array, true
		}
	}
	return TypeNone, false, false
}
