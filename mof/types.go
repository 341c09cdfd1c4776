package mof

// DataType is a CIM data type as named in MOF.
type DataType uint8

// Data types. TypeObject is WMI's "object"; TypeVoid is only valid as a
// method return type.
const (
	TypeInvalid DataType = iota
	TypeBoolean
	TypeString
	TypeChar16
	TypeDateTime
	TypeUint8
	TypeSint8
	TypeUint16
	TypeSint16
	TypeUint32
	TypeSint32
	TypeUint64
	TypeSint64
	TypeReal32
	TypeReal64
	TypeReference
	TypeObject
	TypeVoid
)

var typeNames = [...]string{
	TypeInvalid:   "invalid",
	TypeBoolean:   "boolean",
	TypeString:    "string",
	TypeChar16:    "char16",
	TypeDateTime:  "datetime",
	TypeUint8:     "uint8",
	TypeSint8:     "sint8",
	TypeUint16:    "uint16",
	TypeSint16:    "sint16",
	TypeUint32:    "uint32",
	TypeSint32:    "sint32",
	TypeUint64:    "uint64",
	TypeSint64:    "sint64",
	TypeReal32:    "real32",
	TypeReal64:    "real64",
	TypeReference: "ref",
	TypeObject:    "object",
	TypeVoid:      "void",
}

// String returns the canonical lower-case MOF name of t ("uint32"), "ref"
// for TypeReference.
func (t DataType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "invalid"
}

// LookupType returns the data type named by a MOF type keyword, ignoring
// case ("UInt32", "STRING"). References are not named by a keyword, so
// LookupType never returns TypeReference; it returns TypeInvalid, false
// for a name that is not a type keyword.
func LookupType(name string) (DataType, bool) {
	for t := TypeBoolean; t <= TypeVoid; t++ {
		if t != TypeReference && equalFoldASCII(name, typeNames[t]) {
			return t, true
		}
	}
	return TypeInvalid, false
}

// lookupTypeBytes is LookupType on a byte slice, without allocating.
func lookupTypeBytes(b []byte) DataType {
	if len(b) < 4 || len(b) > 8 {
		return TypeInvalid
	}
	for t := TypeBoolean; t <= TypeVoid; t++ {
		if t != TypeReference && equalFoldBytes(b, typeNames[t]) {
			return t
		}
	}
	return TypeInvalid
}

// equalFoldASCII reports whether s and t are equal ignoring ASCII case.
func equalFoldASCII(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lowerASCII(s[i]) != lowerASCII(t[i]) {
			return false
		}
	}
	return true
}

// equalFoldBytes reports whether b equals the lower-case ASCII keyword kw
// ignoring ASCII case.
func equalFoldBytes(b []byte, kw string) bool {
	if len(b) != len(kw) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lowerASCII(b[i]) != kw[i] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
