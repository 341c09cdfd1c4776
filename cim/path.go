package cim

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gowbem/gowbem/status"
)

// Status codes used by the path parser. They are the WBEM HRESULTs of
// WMI-METHODS.md §8.2; the status package names them, this file keeps the
// numbers so that the model does not depend on it.
const (
	pathCodeInvalidParameter   uint32 = 0x80041008 // WBEM_E_INVALID_PARAMETER
	pathCodeInvalidNamespace   uint32 = 0x8004100E // WBEM_E_INVALID_NAMESPACE
	pathCodeInvalidObjectPath  uint32 = 0x8004103A // WBEM_E_INVALID_OBJECT_PATH
	pathCodePropertyNameTooBig uint32 = 0x80041073 // WBEM_E_PROPERTY_NAME_TOO_WIDE
	pathCodeClassNameTooBig    uint32 = 0x80041074 // WBEM_E_CLASS_NAME_TOO_WIDE
)

// Limits of §6.3 P12 and §1.6.
const (
	pathMaxLen  = 8192 // WBEM_MAX_PATH, in UTF-16 code units
	pathMaxName = 255  // class and key names
	// pathMaxRefDepth bounds how deep Equal follows reference keys that are
	// themselves paths; deeper levels compare as plain strings.
	pathMaxRefDepth = 16
)

// KeyKind says how a key value was written in the path.
type KeyKind uint8

// The key kinds. Parsing never yields KeyRef: a reference is written as a
// quoted path, which the parser cannot tell from a string before the keys
// are typed against the class.
const (
	// KeyString is a quoted value; datetimes and references are written so too.
	KeyString KeyKind = iota + 1
	// KeyInt is a signed or unsigned integer, decimal or 0x hexadecimal on
	// input, decimal in KeyValue.Text.
	KeyInt
	// KeyReal is a real number such as 1.5 or -2e10.
	KeyReal
	// KeyBool is TRUE or FALSE (any case on input).
	KeyBool
	// KeyRef is a reference: Text holds the referenced object's path. It is
	// set by callers after typing the keys against the class.
	KeyRef
)

// String returns the kind's name, for messages and tests.
func (k KeyKind) String() string {
	switch k {
	case KeyString:
		return "string"
	case KeyInt:
		return "int"
	case KeyReal:
		return "real"
	case KeyBool:
		return "bool"
	case KeyRef:
		return "ref"
	}
	return "KeyKind(" + strconv.Itoa(int(k)) + ")"
}

// KeyValue is one untyped key literal.
type KeyValue struct {
	Kind KeyKind
	// Text is the unescaped string for KeyString and KeyRef, the canonical
	// decimal for KeyInt ("16" for 0x10, "-5"), the shortest round-tripping
	// decimal for KeyReal (always with a '.' or an exponent), and "TRUE" or
	// "FALSE" for KeyBool.
	Text string
}

// KeyBinding is one Name=Value pair of an instance path. Name is "" for the
// unnamed single-key form Class="v".
type KeyBinding struct {
	Name  string
	Value KeyValue
}

// ObjectPath is a parsed, untyped object path (WMI-METHODS.md §6). Keys are
// kept as written; typing them against the class is the engine's job.
type ObjectPath struct {
	Server    string       // "" when not given; "." kept as written
	Namespace string       // "" when relative; '/' separators, e.g. "root/cimv2", spelling kept
	Class     string       // class name as written
	Singleton bool         // Class=@
	Keys      []KeyBinding // nil for a class path; one entry with Name "" for Class="v"
}

// PathError reports a malformed object path or namespace string.
type PathError struct {
	Path string // the input as given
	Pos  int    // byte offset of the problem in Path
	Code uint32 // the WBEM HRESULT, e.g. 0x8004103A WBEM_E_INVALID_OBJECT_PATH
	Msg  string // what is wrong, without the offset
}

// Error returns "invalid object path at offset N: msg" ("invalid namespace
// …" for WBEM_E_INVALID_NAMESPACE).
func (e *PathError) Error() string {
	what := "invalid object path"
	if e.Code == pathCodeInvalidNamespace {
		what = "invalid namespace"
	}
	return what + " at offset " + strconv.Itoa(e.Pos) + ": " + e.Msg
}

// IsClass reports whether p names a class (no keys, not a singleton).
func (p *ObjectPath) IsClass() bool {
	return p != nil && p.Class != "" && !p.Singleton && len(p.Keys) == 0
}

// IsInstance reports whether p names an instance (keys or Class=@).
func (p *ObjectPath) IsInstance() bool {
	return p != nil && (p.Singleton || len(p.Keys) > 0)
}

// Key returns the value of the key named name, compared case-insensitively.
// The unnamed key of Class="v" is found under "".
func (p *ObjectPath) Key(name string) (KeyValue, bool) {
	if p == nil {
		return KeyValue{}, false
	}
	for _, k := range p.Keys {
		if strings.EqualFold(k.Name, name) {
			return k.Value, true
		}
	}
	return KeyValue{}, false
}

// Clone returns a deep copy of p (nil for nil).
func (p *ObjectPath) Clone() *ObjectPath {
	if p == nil {
		return nil
	}
	c := *p
	if p.Keys != nil {
		c.Keys = slices.Clone(p.Keys)
	}
	return &c
}

// WithNamespace returns a copy of p with the given server and namespace.
// Backslashes in ns are stored as '/'. Neither is validated.
func (p *ObjectPath) WithNamespace(server, ns string) *ObjectPath {
	c := p.Clone()
	if c == nil {
		c = new(ObjectPath)
	}
	c.Server = server
	c.Namespace = strings.ReplaceAll(ns, `\`, "/")
	return c
}

// RelPath returns the canonical relative path (§6.5, DD-26): keys sorted
// case-insensitively by name, strings, datetimes and references
// double-quoted with '\' and '"' escaped, integers in decimal, reals in
// shortest form, booleans TRUE/FALSE, Class=@ for a singleton and the bare
// class name for a class path. The unnamed key renders as Class="v". Names
// keep their spelling. A value whose Text does not fit its Kind (possible
// only for hand-built paths) renders as a quoted string, so the result
// always parses back.
func (p *ObjectPath) RelPath() string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	b.Grow(p.relLen())
	p.writeRel(&b)
	return b.String()
}

// String returns the full WMI form \\server\ns\with\backslashes:RelPath.
// The machine part is left out when Server is "" and everything but the
// relative path when Namespace is "".
func (p *ObjectPath) String() string {
	if p == nil {
		return ""
	}
	if p.Namespace == "" {
		return p.RelPath()
	}
	var b strings.Builder
	b.Grow(len(p.Server) + len(p.Namespace) + 4 + p.relLen())
	if p.Server != "" {
		b.WriteString(`\\`)
		b.WriteString(p.Server)
		b.WriteByte('\\')
	}
	pathWriteNS(&b, p.Namespace, '\\')
	b.WriteByte(':')
	p.writeRel(&b)
	return b.String()
}

// URI returns the DMTF untyped WBEM URI form (DSP0207):
// //server/root/cimv2:RelPath, or root/cimv2:RelPath without a server, or
// the relative path alone without a namespace. With a server but no
// namespace it is //server/:RelPath.
func (p *ObjectPath) URI() string {
	if p == nil {
		return ""
	}
	if p.Server == "" && p.Namespace == "" {
		return p.RelPath()
	}
	var b strings.Builder
	b.Grow(len(p.Server) + len(p.Namespace) + 4 + p.relLen())
	if p.Server != "" {
		b.WriteString("//")
		b.WriteString(p.Server)
		b.WriteByte('/')
	}
	pathWriteNS(&b, p.Namespace, '/')
	b.WriteByte(':')
	p.writeRel(&b)
	return b.String()
}

func pathWriteNS(b *strings.Builder, ns string, sep byte) {
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		if c == '/' || c == '\\' {
			c = sep
		}
		b.WriteByte(c)
	}
}

// relLen estimates the length of the relative path, for Grow.
func (p *ObjectPath) relLen() int {
	n := len(p.Class) + 2
	for _, k := range p.Keys {
		n += len(k.Name) + len(k.Value.Text) + 4
	}
	return n
}

func (p *ObjectPath) writeRel(b *strings.Builder) {
	b.WriteString(p.Class)
	switch {
	case p.Singleton:
		b.WriteString("=@")
	case len(p.Keys) == 1 && p.Keys[0].Name == "":
		b.WriteByte('=')
		pathWriteValue(b, p.Keys[0].Value)
	case len(p.Keys) > 0:
		keys := p.Keys
		if len(keys) > 1 && !slices.IsSortedFunc(keys, pathCompareKeys) {
			keys = slices.Clone(keys)
			slices.SortStableFunc(keys, pathCompareKeys)
		}
		for i, k := range keys {
			if i == 0 {
				b.WriteByte('.')
			} else {
				b.WriteByte(',')
			}
			b.WriteString(k.Name)
			b.WriteByte('=')
			pathWriteValue(b, k.Value)
		}
	}
}

func pathCompareKeys(a, b KeyBinding) int {
	if c := pathCompareFold(a.Name, b.Name); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// pathCompareFold orders two strings case-insensitively (by lower-cased
// runes) without allocating.
func pathCompareFold(a, b string) int {
	for a != "" && b != "" {
		var ra, rb rune
		if a[0] < utf8.RuneSelf && b[0] < utf8.RuneSelf {
			ra, rb = rune(a[0]), rune(b[0])
			a, b = a[1:], b[1:]
			if 'A' <= ra && ra <= 'Z' {
				ra += 'a' - 'A'
			}
			if 'A' <= rb && rb <= 'Z' {
				rb += 'a' - 'A'
			}
		} else {
			var na, nb int
			ra, na = utf8.DecodeRuneInString(a)
			rb, nb = utf8.DecodeRuneInString(b)
			a, b = a[na:], b[nb:]
			ra, rb = unicode.ToLower(ra), unicode.ToLower(rb)
		}
		if ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

func pathWriteValue(b *strings.Builder, v KeyValue) {
	switch v.Kind {
	case KeyInt:
		if n, ok := pathNumber(v.Text); ok && n.Kind == KeyInt {
			b.WriteString(n.Text)
			return
		}
	case KeyReal:
		if n, ok := pathNumber(v.Text); ok && n.Kind == KeyReal {
			b.WriteString(n.Text)
			return
		}
	case KeyBool:
		switch {
		case strings.EqualFold(v.Text, "TRUE"):
			b.WriteString("TRUE")
			return
		case strings.EqualFold(v.Text, "FALSE"):
			b.WriteString("FALSE")
			return
		}
	}
	b.WriteByte('"')
	s := v.Text
	for {
		i := strings.IndexAny(s, `\"`)
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteByte('\\')
		b.WriteByte(s[i])
		s = s[i+1:]
	}
	b.WriteString(s)
	b.WriteByte('"')
}

// Equal reports whether p and q name the same object, following §6.3 P8:
//
//   - class names, key names, server and namespace compare
//     case-insensitively, and '\' equals '/' in namespaces;
//   - key order does not matter; the unnamed key of Class="v" matches the
//     single key of the other path whatever its name;
//   - string values compare case-insensitively; integers, reals and
//     booleans by value; a KeyRef value compares as a path (to a depth of
//     16, then as a string) with a string or reference value on the other
//     side. Values of different kind groups (string/ref, int, real, bool)
//     never match: the parser is untyped, the engine coerces keys first;
//   - server and namespace are compared only when both paths carry a
//     namespace; a path without one is relative and matches any location.
//     With namespaces on both sides a missing server, ".", and "localhost"
//     all mean the local machine (P10), other servers compare by name.
//
// Because a relative path matches any location, Equal is not transitive
// across paths with and without namespaces. Two nil paths are equal.
func (p *ObjectPath) Equal(q *ObjectPath) bool {
	return pathEqual(p, q, 0)
}

func pathEqual(p, q *ObjectPath, depth int) bool {
	if p == nil || q == nil {
		return p == q
	}
	if !strings.EqualFold(p.Class, q.Class) || p.Singleton != q.Singleton {
		return false
	}
	if p.Namespace != "" && q.Namespace != "" {
		if !pathServerEqual(p.Server, q.Server) || !pathNamespaceEqual(p.Namespace, q.Namespace) {
			return false
		}
	}
	if p.Singleton {
		return true
	}
	if len(p.Keys) != len(q.Keys) {
		return false
	}
	if len(p.Keys) == 1 && (p.Keys[0].Name == "" || q.Keys[0].Name == "") {
		return pathValueEqual(p.Keys[0].Value, q.Keys[0].Value, depth)
	}
	return pathKeysIn(p.Keys, q.Keys, depth) && pathKeysIn(q.Keys, p.Keys, depth)
}

// pathKeysIn reports whether every binding of a has an equal binding in b.
func pathKeysIn(a, b []KeyBinding, depth int) bool {
next:
	for _, ka := range a {
		for _, kb := range b {
			if strings.EqualFold(ka.Name, kb.Name) {
				if !pathValueEqual(ka.Value, kb.Value, depth) {
					return false
				}
				continue next
			}
		}
		return false
	}
	return true
}

func pathIsLocal(server string) bool {
	return server == "" || server == "." || strings.EqualFold(server, "localhost")
}

func pathServerEqual(a, b string) bool {
	la, lb := pathIsLocal(a), pathIsLocal(b)
	if la || lb {
		return la == lb
	}
	return strings.EqualFold(a, b)
}

func pathNamespaceEqual(a, b string) bool {
	if strings.IndexByte(a, '\\') >= 0 {
		a = strings.ReplaceAll(a, `\`, "/")
	}
	if strings.IndexByte(b, '\\') >= 0 {
		b = strings.ReplaceAll(b, `\`, "/")
	}
	return strings.EqualFold(a, b)
}

// pathKindGroup folds the kinds that may stand for one another.
func pathKindGroup(k KeyKind) KeyKind {
	switch k {
	case KeyInt, KeyReal, KeyBool:
		return k
	}
	return KeyString
}

func pathValueEqual(a, b KeyValue, depth int) bool {
	ga, gb := pathKindGroup(a.Kind), pathKindGroup(b.Kind)
	if ga != gb {
		return false
	}
	switch ga {
	case KeyInt, KeyReal:
		na, oka := pathNumber(a.Text)
		nb, okb := pathNumber(b.Text)
		if oka && okb {
			if ga == KeyReal {
				fa, _ := strconv.ParseFloat(na.Text, 64)
				fb, _ := strconv.ParseFloat(nb.Text, 64)
				return fa == fb
			}
			return na == nb
		}
	case KeyString:
		if (a.Kind == KeyRef || b.Kind == KeyRef) && depth < pathMaxRefDepth {
			pa, erra := pathParseAny(a.Text)
			pb, errb := pathParseAny(b.Text)
			if erra == nil && errb == nil {
				return pathEqual(pa, pb, depth+1)
			}
		}
	}
	return strings.EqualFold(a.Text, b.Text)
}

// pathParseAny parses a reference value written in either form.
func pathParseAny(s string) (*ObjectPath, error) {
	p, err := ParsePath(s)
	if err != nil {
		if q, err2 := ParseURI(s); err2 == nil {
			return q, nil
		}
	}
	return p, err
}

// Unwrap returns the WBEM code of the error as a status.HRESULT, so that
// status.Code and errors.Is(err, status.WBEM_E_INVALID_OBJECT_PATH) see it.
func (e *PathError) Unwrap() error { return status.HRESULT(e.Code) }
