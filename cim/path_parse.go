package cim

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The parser is a hand-written, single-pass scanner over the input bytes.
// Substrings of the input are kept where the canonical text equals the
// written text, so a typical instance path costs one or two allocations.
// It never recurses: a reference key is a quoted string whose inner path
// is parsed only by callers that want it (and by Equal, to a bounded depth).

// ParsePath parses an object path in WMI form (WMI-METHODS.md §6.2):
//
//	[ [ \\server\ ] ns\ns2 : ] Class [ =@ | =value | .Key=value{,Key=value} ]
//
// Either '\' or '/' separates the server and namespace parts, so
// //./root/cimv2:Win32_Process is accepted. Values are double- or
// single-quoted strings (escapes \\ and \" or \' only, DD-19), integers
// ([+-]decimal or 0x hex, DD-20), reals and TRUE/FALSE in any case. The
// server is reported as written; whether it is local, and whether the
// namespace is the bound one (P9, P10), is checked by the engine.
//
// Errors are *PathError: WBEM_E_INVALID_PARAMETER for an empty path (P13),
// WBEM_E_CLASS_NAME_TOO_WIDE and WBEM_E_PROPERTY_NAME_TOO_WIDE for names
// over 255 characters, WBEM_E_INVALID_OBJECT_PATH for everything else,
// including paths over 8192 UTF-16 code units (P12), invalid UTF-8 and
// NUL characters.
func ParsePath(s string) (*ObjectPath, error) {
	p, e := pathParse(s, false)
	if e != nil {
		return nil, e
	}
	return p, nil
}

// ParseURI parses an object path in the DMTF untyped WBEM URI form
// (DSP0207):
//
//	[ scheme "://" authority | "//" authority ] "/" [ ns/ns2 ] ":" Class [ keys ]
//	[ "/" ] ns/ns2 ":" Class [ keys ]
//	[ ":" ] Class [ keys ]
//
// for example //host:5988/root/cimv2:CIM_Foo.Key1="a",Key2=3,
// /root/cimv2:CIM_Foo or root/cimv2:CIM_Foo. The scheme (http, https,
// wbem, …) and any user information before '@' in the authority are
// dropped; Server holds host[:port] as written, an IPv6 host in brackets.
// Only '/' separates namespace parts. Key values follow ParsePath; a
// quoted reference value stays KeyString. %xx sequences are not decoded
// (P14). Errors are as for ParsePath.
func ParseURI(s string) (*ObjectPath, error) {
	p, e := pathParse(s, true)
	if e != nil {
		return nil, e
	}
	return p, nil
}

// ParseNamespace parses a connection-level namespace string (§6.4), such
// as ROOT\CIMV2, //./root/cimv2 or \\localhost\ROOT, into the server as
// written ("" when none) and the namespace with '/' separators. Either
// separator is accepted anywhere. Whether the namespace exists, and
// whether the server is local, are for the caller to check.
//
// Errors are *PathError with code WBEM_E_INVALID_NAMESPACE (empty string,
// leading single separator, empty segment, trailing separator, bad
// characters) or WBEM_E_INVALID_PARAMETER for three leading separators
// (\\\.\ROOT). A server with no namespace after it (\\., \\.\, \\ROOT) is
// WBEM_E_INVALID_NAMESPACE but still returns the server, so that the
// caller can report a remote server first (§6.4 observes
// RPC_S_SERVER_UNAVAILABLE for \\ROOT).
func ParseNamespace(s string) (server, namespace string, err error) {
	code := pathCodeInvalidNamespace
	if s == "" {
		return "", "", pathErr(s, 0, code, "empty namespace")
	}
	if e := pathCheckText(s, code); e != nil {
		return "", "", e
	}
	i := 0
	if pathIsSep(s[0]) {
		if len(s) == 1 || !pathIsSep(s[1]) {
			return "", "", pathErr(s, 0, code, "namespace starts with a separator")
		}
		if len(s) > 2 && pathIsSep(s[2]) {
			return "", "", pathErr(s, 2, pathCodeInvalidParameter, "three leading separators")
		}
		j := pathScanServer(s, 2)
		if j == 2 {
			return "", "", pathUnexpected(s, 2, code, "server name")
		}
		server = s[2:j]
		if j == len(s) {
			return server, "", pathErr(s, j, code, "missing namespace after server name")
		}
		if !pathIsSep(s[j]) {
			return "", "", pathUnexpected(s, j, code, "server name")
		}
		i = j + 1
		if i == len(s) {
			return server, "", pathErr(s, i, code, "missing namespace after server name")
		}
	}
	ns, end, e := pathScanNamespace(s, i, false, code)
	if e != nil {
		return "", "", e
	}
	if end != len(s) {
		return "", "", pathUnexpected(s, end, code, "namespace")
	}
	return server, ns, nil
}

// pathHead collects the parts of a path besides its keys.
type pathHead struct {
	server, ns, class string
	singleton         bool
}

// pathParse parses s in WMI (uri false) or DMTF form. It returns
// *PathError rather than error so that callers cannot wrap a nil pointer
// into a non-nil interface by accident.
func pathParse(s string, uri bool) (*ObjectPath, *PathError) {
	code := pathCodeInvalidObjectPath
	if s == "" {
		return nil, pathErr(s, 0, pathCodeInvalidParameter, "empty path")
	}
	if e := pathCheckText(s, code); e != nil {
		return nil, e
	}
	var h pathHead
	var i int
	var e *PathError
	if uri {
		i, e = h.uriPrefix(s)
	} else {
		i, e = h.wmiPrefix(s)
	}
	if e != nil {
		return nil, e
	}
	var buf [8]KeyBinding
	keys, e := h.objectRef(s, i, buf[:0])
	if e != nil {
		return nil, e
	}
	return h.build(keys), nil
}

// build allocates the result; one key shares the allocation of the path.
func (h *pathHead) build(keys []KeyBinding) *ObjectPath {
	var p *ObjectPath
	switch len(keys) {
	case 0:
		p = new(ObjectPath)
	case 1:
		a := new(struct {
			p ObjectPath
			k [1]KeyBinding
		})
		a.k[0] = keys[0]
		p = &a.p
		p.Keys = a.k[:1:1]
	default:
		p = new(ObjectPath)
		p.Keys = make([]KeyBinding, len(keys))
		copy(p.Keys, keys)
	}
	p.Server, p.Namespace, p.Class, p.Singleton = h.server, h.ns, h.class, h.singleton
	return p
}

// wmiPrefix parses [ sep sep server sep ] [ nspath ":" ] and returns the
// offset of the object reference.
func (h *pathHead) wmiPrefix(s string) (int, *PathError) {
	code := pathCodeInvalidObjectPath
	if pathIsSep(s[0]) {
		if len(s) == 1 || !pathIsSep(s[1]) {
			return 0, pathErr(s, 0, code, "path starts with a single separator")
		}
		j := pathScanServer(s, 2)
		if j == 2 {
			return 0, pathUnexpected(s, 2, code, "server name")
		}
		h.server = s[2:j]
		if j == len(s) {
			return 0, pathErr(s, j, code, "missing separator after server name")
		}
		if !pathIsSep(s[j]) {
			return 0, pathUnexpected(s, j, code, "server name")
		}
		return h.namespaceColon(s, j+1, false)
	}
	j := pathScanIdent(s, 0)
	if j > 0 && j < len(s) && (pathIsSep(s[j]) || s[j] == ':') {
		return h.namespaceColon(s, 0, false)
	}
	return 0, nil
}

// uriPrefix parses the DSP0207 part before the class name.
func (h *pathHead) uriPrefix(s string) (int, *PathError) {
	code := pathCodeInvalidObjectPath
	i := 0
	if j := pathScanScheme(s); j > 0 && strings.HasPrefix(s[j:], "://") {
		i = j + 1
	}
	if strings.HasPrefix(s[i:], "//") {
		i += 2
		end := i + strings.IndexByte(s[i:], '/')
		if end < i {
			return 0, pathErr(s, len(s), code, "missing '/' after authority")
		}
		server, e := pathCheckAuthority(s, i, end)
		if e != nil {
			return 0, e
		}
		h.server = server
		i = end + 1
		if i < len(s) && s[i] == ':' {
			return i + 1, nil
		}
		return h.namespaceColon(s, i, true)
	}
	switch s[0] {
	case '/':
		if len(s) > 1 && s[1] == ':' {
			return 2, nil
		}
		return h.namespaceColon(s, 1, true)
	case ':':
		return 1, nil
	}
	j := pathScanIdent(s, 0)
	if j > 0 && j < len(s) && (s[j] == '/' || s[j] == ':') {
		return h.namespaceColon(s, 0, true)
	}
	return 0, nil
}

// namespaceColon parses a namespace that must be followed by ':'.
func (h *pathHead) namespaceColon(s string, i int, uri bool) (int, *PathError) {
	code := pathCodeInvalidObjectPath
	ns, end, e := pathScanNamespace(s, i, uri, code)
	if e != nil {
		return 0, e
	}
	if end == len(s) {
		return 0, pathErr(s, end, code, "missing ':' after namespace")
	}
	if s[end] != ':' {
		return 0, pathUnexpected(s, end, code, "namespace")
	}
	h.ns = ns
	return end + 1, nil
}

// pathScanNamespace scans ident *(sep ident) from i and returns the
// namespace with '/' separators and the offset after it. With uri set
// only '/' separates.
func pathScanNamespace(s string, i int, uri bool, code uint32) (string, int, *PathError) {
	start := i
	backslash := false
	for {
		j := pathScanIdent(s, i)
		if j == i {
			switch {
			case i == start && (i == len(s) || s[i] == ':'):
				return "", i, pathErr(s, i, code, "missing namespace")
			case i > start && (i == len(s) || s[i] == ':'):
				return "", i, pathErr(s, i-1, code, "trailing separator in namespace")
			case i < len(s) && (s[i] == '/' || (!uri && s[i] == '\\')):
				return "", i, pathErr(s, i, code, "empty namespace segment")
			}
			return "", i, pathUnexpected(s, i, code, "namespace")
		}
		i = j
		if i < len(s) && (s[i] == '/' || (!uri && s[i] == '\\')) {
			backslash = backslash || s[i] == '\\'
			i++
			continue
		}
		break
	}
	ns := s[start:i]
	if backslash {
		ns = strings.ReplaceAll(ns, `\`, "/")
	}
	return ns, i, nil
}

// objectRef parses Class [ "=@" | "=" value | "." binding *("," binding) ]
// from i to the end of s, appending the keys to keys.
func (h *pathHead) objectRef(s string, i int, keys []KeyBinding) ([]KeyBinding, *PathError) {
	code := pathCodeInvalidObjectPath
	j := pathScanIdent(s, i)
	if j == i {
		if i == len(s) {
			return nil, pathErr(s, i, code, "missing class name")
		}
		return nil, pathUnexpected(s, i, code, "class name")
	}
	if j-i > pathMaxName {
		return nil, pathErr(s, i, pathCodeClassNameTooBig, "class name longer than 255 characters")
	}
	h.class = s[i:j]
	i = j
	if i == len(s) {
		return keys, nil
	}
	switch s[i] {
	case '=':
		i++
		if i < len(s) && s[i] == '@' {
			h.singleton = true
			if i+1 != len(s) {
				return nil, pathUnexpected(s, i+1, code, "path after '=@'")
			}
			return keys, nil
		}
		v, end, e := pathValue(s, i)
		if e != nil {
			return nil, e
		}
		if end != len(s) {
			return nil, pathUnexpected(s, end, code, "path after the key value")
		}
		return append(keys, KeyBinding{Value: v}), nil
	case '.':
		return h.bindings(s, i+1, keys)
	}
	return nil, pathUnexpected(s, i, code, "class name")
}

// bindings parses binding *("," binding) up to the end of s.
func (h *pathHead) bindings(s string, i int, keys []KeyBinding) ([]KeyBinding, *PathError) {
	code := pathCodeInvalidObjectPath
	var seen map[string]struct{}
	for {
		j := pathScanIdent(s, i)
		if j == i {
			if i == len(s) {
				return nil, pathErr(s, i, code, "missing key name")
			}
			return nil, pathUnexpected(s, i, code, "key name")
		}
		if j-i > pathMaxName {
			return nil, pathErr(s, i, pathCodePropertyNameTooBig, "key name longer than 255 characters")
		}
		name := s[i:j]
		if pathDuplicate(keys, name, &seen) {
			return nil, pathErr(s, i, code, "duplicate key "+strconv.Quote(name))
		}
		if j == len(s) || s[j] != '=' {
			if j == len(s) {
				return nil, pathErr(s, j, code, "missing '=' after key name")
			}
			return nil, pathUnexpected(s, j, code, "key name")
		}
		v, end, e := pathValue(s, j+1)
		if e != nil {
			return nil, e
		}
		keys = append(keys, KeyBinding{Name: name, Value: v})
		if end == len(s) {
			return keys, nil
		}
		if s[end] != ',' {
			return nil, pathUnexpected(s, end, code, "path after the key value")
		}
		i = end + 1
	}
}

// pathDuplicate reports whether name is already bound in keys. Beyond a
// few keys it switches to a set of lower-cased names (names are ASCII).
func pathDuplicate(keys []KeyBinding, name string, seen *map[string]struct{}) bool {
	const linear = 16
	if len(keys) < linear {
		for _, k := range keys {
			if strings.EqualFold(k.Name, name) {
				return true
			}
		}
		return false
	}
	if *seen == nil {
		*seen = make(map[string]struct{}, 2*len(keys))
		for _, k := range keys {
			(*seen)[strings.ToLower(k.Name)] = struct{}{}
		}
	}
	lower := strings.ToLower(name)
	if _, dup := (*seen)[lower]; dup {
		return true
	}
	(*seen)[lower] = struct{}{}
	return false
}

// pathValue parses one key value starting at i and returns it with the
// offset after it.
func pathValue(s string, i int) (KeyValue, int, *PathError) {
	code := pathCodeInvalidObjectPath
	if i == len(s) {
		return KeyValue{}, i, pathErr(s, i, code, "missing key value")
	}
	if c := s[i]; c == '"' || c == '\'' {
		return pathQuoted(s, i)
	}
	end := i
	for end < len(s) && s[end] != ',' {
		if pathIsSpace(s[end]) {
			return KeyValue{}, end, pathErr(s, end, code, "white space outside a quoted string")
		}
		end++
	}
	tok := s[i:end]
	switch {
	case tok == "":
		return KeyValue{}, i, pathErr(s, i, code, "missing key value")
	case strings.EqualFold(tok, "TRUE"):
		return KeyValue{Kind: KeyBool, Text: "TRUE"}, end, nil
	case strings.EqualFold(tok, "FALSE"):
		return KeyValue{Kind: KeyBool, Text: "FALSE"}, end, nil
	case tok[0] == '@':
		return KeyValue{}, i, pathErr(s, i, code, "'@' is valid only as Class=@")
	}
	v, msg := pathScanNumber(tok)
	if msg != "" {
		return KeyValue{}, i, pathErr(s, i, code, msg)
	}
	return v, end, nil
}

// pathQuoted parses a string quoted with s[i] (DD-19: only \\ and an
// escaped closing quote are valid escapes).
func pathQuoted(s string, i int) (KeyValue, int, *PathError) {
	code := pathCodeInvalidObjectPath
	q := s[i]
	start := i + 1
	j := start
	for j < len(s) && s[j] != q && s[j] != '\\' {
		j++
	}
	if j == len(s) {
		return KeyValue{}, i, pathErr(s, i, code, "unterminated quoted string")
	}
	if s[j] == q {
		return KeyValue{Kind: KeyString, Text: s[start:j]}, j + 1, nil
	}
	var b strings.Builder
	b.Grow(j - start + 16)
	b.WriteString(s[start:j])
	for j < len(s) {
		c := s[j]
		switch c {
		case q:
			return KeyValue{Kind: KeyString, Text: b.String()}, j + 1, nil
		case '\\':
			if j+1 == len(s) {
				return KeyValue{}, i, pathErr(s, i, code, "unterminated quoted string")
			}
			if n := s[j+1]; n != '\\' && n != q {
				return KeyValue{}, j, pathErr(s, j, code, "invalid escape sequence (only \\\\ and \\"+string(q)+" are allowed)")
			}
			b.WriteByte(s[j+1])
			j += 2
		default:
			k := j + 1
			for k < len(s) && s[k] != q && s[k] != '\\' {
				k++
			}
			b.WriteString(s[j:k])
			j = k
		}
	}
	return KeyValue{}, i, pathErr(s, i, code, "unterminated quoted string")
}

// pathNumber canonicalizes a number literal; ok is false when tok is not one.
func pathNumber(tok string) (KeyValue, bool) {
	v, msg := pathScanNumber(tok)
	return v, msg == ""
}

// pathScanNumber parses an integer ([+-]digits, 0x hex) or a real
// ([+-][digits].digits[e[+-]digits] or [+-]digits e[+-]digits) and returns
// it in canonical text, or a message saying what is wrong.
func pathScanNumber(tok string) (KeyValue, string) {
	const bad = "invalid key value (want a quoted string, a number, TRUE or FALSE)"
	if tok == "" {
		return KeyValue{}, bad
	}
	k := 0
	neg := false
	if tok[0] == '+' || tok[0] == '-' {
		neg = tok[0] == '-'
		k = 1
	}
	if len(tok) > k+1 && tok[k] == '0' && (tok[k+1] == 'x' || tok[k+1] == 'X') {
		if k > 0 {
			return KeyValue{}, "sign before a hexadecimal integer"
		}
		digits := tok[2:]
		if digits == "" || !pathAllHex(digits) {
			return KeyValue{}, bad
		}
		n, err := strconv.ParseUint(digits, 16, 64)
		if err != nil {
			return KeyValue{}, "integer out of range"
		}
		return KeyValue{Kind: KeyInt, Text: strconv.FormatUint(n, 10)}, ""
	}
	d := k
	for d < len(tok) && pathIsDigit(tok[d]) {
		d++
	}
	if d == len(tok) {
		if d == k {
			return KeyValue{}, bad
		}
		return pathCanonInt(tok, k, neg)
	}
	// A real: the integer part may be empty when a fraction follows.
	e := d
	if tok[e] == '.' {
		f := e + 1
		for f < len(tok) && pathIsDigit(tok[f]) {
			f++
		}
		if f == e+1 {
			return KeyValue{}, bad
		}
		e = f
	} else if d == k {
		return KeyValue{}, bad
	}
	if e < len(tok) && (tok[e] == 'e' || tok[e] == 'E') {
		x := e + 1
		if x < len(tok) && (tok[x] == '+' || tok[x] == '-') {
			x++
		}
		y := x
		for y < len(tok) && pathIsDigit(tok[y]) {
			y++
		}
		if y == x {
			return KeyValue{}, bad
		}
		e = y
	}
	if e != len(tok) {
		return KeyValue{}, bad
	}
	f, err := strconv.ParseFloat(tok, 64)
	if err != nil || math.IsInf(f, 0) {
		return KeyValue{}, "real out of range"
	}
	return KeyValue{Kind: KeyReal, Text: pathFormatReal(f)}, ""
}

// pathCanonInt canonicalizes the decimal integer tok whose digits start at k.
func pathCanonInt(tok string, k int, neg bool) (KeyValue, string) {
	digits := tok[k:]
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return KeyValue{}, "integer out of range"
	}
	if !neg || n == 0 {
		return KeyValue{Kind: KeyInt, Text: digits}, ""
	}
	if n > 1<<63 {
		return KeyValue{}, "integer out of range"
	}
	text := tok
	if len(digits) != len(tok)-1 {
		text = "-" + digits
	}
	return KeyValue{Kind: KeyInt, Text: text}, ""
}

// pathFormatReal renders f in the shortest form that parses back to f and
// still reads as a real (it has a '.' or an exponent). -0 becomes 0.0.
func pathFormatReal(f float64) string {
	if f == 0 {
		return "0.0"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// pathCheckText rejects invalid UTF-8, NUL and text over WBEM_MAX_PATH
// UTF-16 code units. It stops at the limit, so huge inputs cost little.
func pathCheckText(s string, code uint32) *PathError {
	units := 0
	for i := 0; i < len(s); {
		c := s[i]
		n := 1
		switch {
		case c == 0:
			return pathErr(s, i, code, "NUL character")
		case c >= utf8.RuneSelf:
			var r rune
			r, n = utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return pathErr(s, i, code, "invalid UTF-8")
			}
			if r >= 0x10000 {
				units++
			}
		}
		units++
		if units > pathMaxLen {
			return pathErr(s, i, code, "longer than 8192 characters")
		}
		i += n
	}
	return nil
}

// pathCheckAuthority validates [userinfo "@"] host [":" port] in s[i:end]
// and returns host[:port].
func pathCheckAuthority(s string, i, end int) (string, *PathError) {
	code := pathCodeInvalidObjectPath
	if at := strings.LastIndexByte(s[i:end], '@'); at >= 0 {
		// User information is dropped, but it must be well formed.
		for u := i; u < i+at; u++ {
			if c := s[u]; !pathIsAlnum(c) && strings.IndexByte("-._~%!$&'()*+,;=:", c) < 0 {
				return "", pathUnexpected(s, u, code, "user information")
			}
		}
		i += at + 1
	}
	if i == end {
		return "", pathErr(s, i, code, "missing host name")
	}
	h := i
	if s[h] == '[' {
		h++
		for h < end && s[h] != ']' {
			c := s[h]
			if !pathIsAlnum(c) && c != ':' && c != '.' && c != '%' && c != '-' && c != '_' {
				return "", pathUnexpected(s, h, code, "IPv6 address")
			}
			h++
		}
		if h == end || h == i+1 {
			return "", pathErr(s, i, code, "malformed IPv6 address")
		}
		h++
	} else {
		h = pathScanServer(s, i)
		if h == i {
			return "", pathUnexpected(s, i, code, "host name")
		}
	}
	if h < end {
		if s[h] != ':' {
			return "", pathUnexpected(s, h, code, "host name")
		}
		p := h + 1
		if p == end || end-p > 5 {
			return "", pathErr(s, h, code, "invalid port")
		}
		for q := p; q < end; q++ {
			if !pathIsDigit(s[q]) {
				return "", pathUnexpected(s, q, code, "port")
			}
		}
		if n, _ := strconv.Atoi(s[p:end]); n > 65535 {
			return "", pathErr(s, p, code, "port out of range")
		}
	}
	return s[i:end], nil
}

// pathScanScheme returns the end of a URI scheme at the start of s, or 0.
func pathScanScheme(s string) int {
	if s == "" || !pathIsAlpha(s[0]) {
		return 0
	}
	i := 1
	for i < len(s) && (pathIsAlnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.') {
		i++
	}
	return i
}

// pathScanIdent returns the end of the identifier at i, or i if none:
// (ALPHA / "_") *(ALPHA / DIGIT / "_").
func pathScanIdent(s string, i int) int {
	if i >= len(s) || !(pathIsAlpha(s[i]) || s[i] == '_') {
		return i
	}
	i++
	for i < len(s) && (pathIsAlnum(s[i]) || s[i] == '_') {
		i++
	}
	return i
}

// pathScanServer returns the end of a server name at i: 1*(ALPHA / DIGIT /
// "-" / "_" / "."), which includes ".".
func pathScanServer(s string, i int) int {
	for i < len(s) && (pathIsAlnum(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.') {
		i++
	}
	return i
}

func pathIsSep(c byte) bool   { return c == '\\' || c == '/' }
func pathIsDigit(c byte) bool { return '0' <= c && c <= '9' }
func pathIsAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func pathIsAlnum(c byte) bool { return pathIsAlpha(c) || pathIsDigit(c) }
func pathIsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func pathAllHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !pathIsDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func pathErr(s string, pos int, code uint32, msg string) *PathError {
	return &PathError{Path: s, Pos: pos, Code: code, Msg: msg}
}

// pathUnexpected reports the byte at i, which does not fit where: white
// space gets its own message (P1), so does the end of the input.
func pathUnexpected(s string, i int, code uint32, where string) *PathError {
	switch {
	case i >= len(s):
		return pathErr(s, len(s), code, "unexpected end of input in "+where)
	case pathIsSpace(s[i]):
		return pathErr(s, i, code, "white space outside a quoted string")
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return pathErr(s, i, code, "unexpected "+strconv.QuoteRune(r)+" in "+where)
}
