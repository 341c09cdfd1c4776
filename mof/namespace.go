package mof

import "strings"

// NamespaceName normalises the argument of a namespace pragma into a
// slash-separated CIM namespace name. It accepts the DMTF form "root/cimv2"
// and the WMI forms "\\\\.\\root\\cimv2" (a MOF string, so "\\.\root\cimv2"
// once unescaped), "//./root/cimv2", "\\server\root" and "root\cimv2".
// A server part is dropped.
//
// absolute reports whether the name is absolute: it named a server, began
// with a slash, or its first element is "root" (in any case). Otherwise it
// is relative to the current namespace, as WMI reads "#pragma
// namespace("sub")"; the compiler decides what to do with it.
func NamespaceName(arg string) (name string, absolute bool) {
	s := strings.ReplaceAll(strings.TrimSpace(arg), "\\", "/")
	if strings.HasPrefix(s, "//") {
		absolute = true
		s = s[2:]
		if i := strings.IndexByte(s, '/'); i >= 0 {
			s = s[i+1:]
		} else {
			s = ""
		}
	} else if strings.HasPrefix(s, "/") {
		absolute = true
	}
	parts := strings.Split(s, "/")
	out := parts[:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	if len(out) > 0 && strings.EqualFold(out[0], "root") {
		absolute = true
	}
	return strings.Join(out, "/"), absolute
}
