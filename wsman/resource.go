package wsman

import (
	"bytes"
	"strings"
	"sync"
)

// Resource URI prefixes the handler accepts (WSMAN.md §3.2).
const (
	// PrefixWMI is the WMI form: the namespace and the class follow,
	// as in PrefixWMI + "root/cimv2/Win32_Process".
	PrefixWMI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/"
	// PrefixDMTF is the DMTF form for CIM schema classes: the class
	// follows, the namespace is the __cimnamespace selector.
	PrefixDMTF = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
	// PrefixMSCIM is the form the Windows MI client uses for classes that
	// are not DMTF classes; it works like PrefixDMTF.
	PrefixMSCIM = "http://schemas.microsoft.com/wbem/wscim/1/cim-schema/2/"
)

// NamespaceSelector is the selector that names the namespace of a
// resource URI in the DMTF forms.
const NamespaceSelector = "__cimnamespace"

// ResourceURI returns the WMI-form resource URI of a class:
// PrefixWMI + namespace + "/" + class. Backslashes in namespace become
// slashes.
func ResourceURI(namespace, class string) string {
	return PrefixWMI + strings.Trim(strings.ReplaceAll(namespace, `\`, "/"), "/") + "/" + class
}

// uriStyle is the form of a resource URI.
type uriStyle uint8

const (
	styleWMI uriStyle = iota + 1
	styleDMTF
	styleMSCIM
)

// resource is a parsed resource URI.
type resource struct {
	style     uriStyle
	namespace string // '/'-separated
	class     string
	nsFromURI bool
}

// uriFor returns the resource URI of class in the same form and namespace.
func (r *resource) uriFor(class string) string {
	switch r.style {
	case styleWMI:
		return PrefixWMI + r.namespace + "/" + class
	case styleMSCIM:
		return PrefixMSCIM + class
	}
	return PrefixDMTF + class
}

// needsNamespaceSelector reports whether endpoint references in this form
// carry the namespace as a __cimnamespace selector.
func (r *resource) needsNamespaceSelector() bool { return r.style != styleWMI }

// resourceCache remembers parsed resource URIs of the WMI form, keyed by
// the URI, so that the hot path allocates no strings for them.
type resourceCache struct {
	mu sync.RWMutex
	m  map[string]resource
}

const resourceCacheMax = 4096

func (c *resourceCache) get(uri []byte) (resource, bool) {
	c.mu.RLock()
	r, ok := c.m[string(uri)]
	c.mu.RUnlock()
	return r, ok
}

func (c *resourceCache) put(uri []byte, r resource) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= resourceCacheMax {
		c.m = make(map[string]resource)
	}
	c.m[string(uri)] = r
	c.mu.Unlock()
}

// parseResourceURI parses a resource URI. ns is the value of the
// __cimnamespace selector (nil when absent); defaultNS applies to the
// DMTF forms without it.
func parseResourceURI(uri, ns []byte, defaultNS string) (resource, *Fault) {
	var r resource
	var rest []byte
	switch {
	case hasPrefixFold(uri, PrefixWMI):
		r.style, rest = styleWMI, uri[len(PrefixWMI):]
		k := bytes.LastIndexByte(rest, '/')
		if k <= 0 {
			return r, newFault(SubcodeDestinationUnreachable, DetailInvalidResourceURI,
				"resource URI "+strconvQuote(uri)+" names no namespace and class")
		}
		nsb := rest[:k]
		if !validNamespace(nsb) {
			return r, newFault(SubcodeDestinationUnreachable, DetailInvalidResourceURI,
				"resource URI "+strconvQuote(uri)+" names an invalid namespace")
		}
		r.namespace, r.nsFromURI = string(nsb), true
		rest = rest[k+1:]
	case hasPrefixFold(uri, PrefixDMTF):
		r.style, rest = styleDMTF, uri[len(PrefixDMTF):]
	case hasPrefixFold(uri, PrefixMSCIM):
		r.style, rest = styleMSCIM, uri[len(PrefixMSCIM):]
	default:
		return r, newFault(SubcodeDestinationUnreachable, DetailInvalidResourceURI,
			"resource URI "+strconvQuote(uri)+" is not supported")
	}
	if k := bytes.LastIndexByte(rest, '/'); k >= 0 {
		rest = rest[k+1:]
	}
	if !isIdentifier(rest) {
		return r, newFault(SubcodeDestinationUnreachable, DetailInvalidResourceURI,
			"resource URI "+strconvQuote(uri)+" names no class")
	}
	r.class = string(rest)
	if !r.nsFromURI {
		if ns != nil {
			ns = bytes.Trim(bytes.TrimSpace(ns), `/\`)
			if !validNamespace(ns) {
				return r, newFault(SubcodeInvalidSelectors, DetailInvalidValue,
					"invalid "+NamespaceSelector+" "+strconvQuote(ns))
			}
			r.namespace = string(bytes.ReplaceAll(ns, []byte{'\\'}, []byte{'/'}))
		} else {
			r.namespace = defaultNS
		}
	}
	return r, nil
}

// validNamespace reports whether b is a namespace name: identifiers
// separated by '/' or '\'.
func validNamespace(b []byte) bool {
	if len(b) == 0 || len(b) > 1024 {
		return false
	}
	start := 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '/' || b[i] == '\\' {
			if !isIdentifier(b[start:i]) {
				return false
			}
			start = i + 1
		}
	}
	return true
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && asciiEqualFold(b[:len(prefix)], prefix)
}
