package repository

import (
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gowbem/gowbem/status"
)

// lower returns the storage key of a name: the name lower-cased. Names
// already in lower case are returned without allocating.
func lower(s string) string { return strings.ToLower(s) }

// appendLower appends the lower-cased s to dst (ASCII fast path), for
// look-ups that should not allocate.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return append(dst[:len(dst)-i], strings.ToLower(s)...)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendNSKey appends the key of namespace ns to dst: lower-cased, '\'
// turned into '/', leading and trailing separators dropped. It does not
// validate the name (the key of an invalid name matches no namespace).
func appendNSKey(dst []byte, ns string) []byte {
	start := len(dst)
	dst = appendLower(dst, ns)
	for i := start; i < len(dst); i++ {
		if dst[i] == '\\' {
			dst[i] = '/'
		}
	}
	k := dst[start:]
	for len(k) > 0 && k[0] == '/' {
		k = k[1:]
	}
	for len(k) > 0 && k[len(k)-1] == '/' {
		k = k[:len(k)-1]
	}
	n := copy(dst[start:], k)
	return dst[:start+n]
}

// splitNamespace checks a namespace name and returns its components with
// their spelling. Either separator is accepted; leading and trailing
// separators are ignored. Components must be non-empty and made of
// letters, digits, '_', '-' and '.'.
func splitNamespace(ns string) ([]string, error) {
	s := strings.Trim(strings.ReplaceAll(ns, `\`, "/"), "/")
	if s == "" {
		return nil, status.New(status.WBEM_E_INVALID_NAMESPACE, "empty namespace name")
	}
	comps := strings.Split(s, "/")
	for _, c := range comps {
		if c == "" {
			return nil, status.New(status.WBEM_E_INVALID_NAMESPACE, "namespace %q has an empty component", ns)
		}
		for _, r := range c {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.') {
				return nil, status.New(status.WBEM_E_INVALID_NAMESPACE, "namespace %q: character %q not allowed", ns, r)
			}
		}
	}
	return comps, nil
}

// validName reports whether s is a CIM identifier (class, property, method,
// parameter or qualifier name): a letter or '_' followed by letters, digits
// and '_'.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r)) {
			continue
		}
		return false
	}
	return true
}

// nsRef names one namespace: its key and its stored spelling.
type nsRef struct{ key, name string }

// nsTable is the set of namespaces by key, plus the spellings in key
// order. A table is immutable once published; writers derive a copy.
type nsTable struct {
	refs   map[string]nsRef
	sorted []string
}

// newNSTable builds a table from key -> spelling.
func newNSTable(m map[string]string) *nsTable {
	t := &nsTable{refs: make(map[string]nsRef, len(m))}
	for k, v := range m {
		t.refs[k] = nsRef{key: k, name: v}
	}
	t.sort()
	return t
}

func (t *nsTable) sort() {
	keys := sortedKeys(t.refs)
	t.sorted = make([]string, len(keys))
	for i, k := range keys {
		t.sorted[i] = t.refs[k].name
	}
}

// lookup finds a namespace by name (any case, either separator).
func (t *nsTable) lookup(ns string) (nsRef, bool) {
	var buf [64]byte
	ref, ok := t.refs[string(appendNSKey(buf[:0], ns))]
	return ref, ok
}

func (t *nsTable) with(key, name string) *nsTable {
	n := &nsTable{refs: maps.Clone(t.refs)}
	n.refs[key] = nsRef{key: key, name: name}
	n.sort()
	return n
}

func (t *nsTable) without(keys ...string) *nsTable {
	n := &nsTable{refs: maps.Clone(t.refs)}
	for _, k := range keys {
		delete(n.refs, k)
	}
	n.sort()
	return n
}

// sortedKeys returns the keys of m in byte order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
