package wsman

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
)

// This file holds the append-based XML encoder of the package: responses
// (and the client's requests) are written straight into one byte slice.

// xw is an XML writer appending to b.
type xw struct{ b []byte }

func (w *xw) s(str string) { w.b = append(w.b, str...) }

func (w *xw) raw(b []byte) { w.b = append(w.b, b...) }

// text appends s escaped as character data.
func (w *xw) text(s string) { w.b = appendEscaped(w.b, s, false) }

// textBytes appends b escaped as character data.
func (w *xw) textBytes(b []byte) { w.b = appendEscapedBytes(w.b, b, false) }

// attr appends s escaped as an attribute value (without quotes).
func (w *xw) attr(s string) { w.b = appendEscaped(w.b, s, true) }

func needsEscape(c byte, attr bool) bool {
	switch {
	case c == '&' || c == '<' || c == '>' || c >= 0x80 || c == '\r':
		return true
	case c < 0x20:
		return attr || (c != '\t' && c != '\n')
	case c == '"':
		return attr
	}
	return false
}

// appendEscaped escapes &, <, > (and " in attributes), writes carriage
// returns (and tabs and line feeds in attributes) as character
// references, and replaces what XML 1.0 cannot carry at all — other C0
// controls, U+FFFE, U+FFFF and invalid UTF-8 — with U+FFFD.
func appendEscaped(dst []byte, s string, attr bool) []byte {
	i := 0
	for i < len(s) && !needsEscape(s[i], attr) {
		i++
	}
	dst = append(dst, s[:i]...)
	for i < len(s) {
		c := s[i]
		if c >= 0x80 {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 || r == 0xFFFE || r == 0xFFFF {
				dst = append(dst, "\uFFFD"...)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch {
		case c == '&':
			dst = append(dst, "&amp;"...)
		case c == '<':
			dst = append(dst, "&lt;"...)
		case c == '>':
			dst = append(dst, "&gt;"...)
		case c == '"' && attr:
			dst = append(dst, "&quot;"...)
		case c == '\r':
			dst = append(dst, "&#13;"...)
		case c == '\n' && attr:
			dst = append(dst, "&#10;"...)
		case c == '\t' && attr:
			dst = append(dst, "&#9;"...)
		case c < 0x20 && c != '\t' && c != '\n':
			dst = append(dst, "\uFFFD"...)
		default:
			dst = append(dst, c)
		}
		i++
	}
	return dst
}

func appendEscapedBytes(dst, b []byte, attr bool) []byte {
	for _, c := range b {
		if needsEscape(c, attr) {
			return appendEscaped(dst, string(b), attr)
		}
	}
	return append(dst, b...)
}

// valueEncoder writes CIM values as WS-CIM (DSP0230) elements. The
// envelope must declare the prefixes a, w, xsi and cim.
type valueEncoder struct {
	w   *xw
	res *resource // the form and namespace of resource URIs written
	// nsNamespace is the namespace paths without one are in.
	depth int
}

// property writes one property or parameter: an element per array
// element, xsi:nil for NULL.
func (e *valueEncoder) property(prefix, name string, v cim.Value, embClass string) {
	if v.IsNull() {
		e.open(prefix, name)
		e.w.s(` xsi:nil="true"/>`)
		return
	}
	if v.IsArray() {
		for _, el := range v.Elems() {
			e.scalar(prefix, name, el, embClass)
		}
		return
	}
	e.scalar(prefix, name, v, embClass)
}

func (e *valueEncoder) open(prefix, name string) {
	w := e.w
	w.b = append(w.b, '<')
	w.b = append(w.b, prefix...)
	w.b = append(w.b, ':')
	w.b = append(w.b, name...)
}

func (e *valueEncoder) close(prefix, name string) {
	w := e.w
	w.b = append(w.b, "</"...)
	w.b = append(w.b, prefix...)
	w.b = append(w.b, ':')
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
}

func (e *valueEncoder) scalar(prefix, name string, v cim.Value, embClass string) {
	w := e.w
	if v.IsNull() {
		e.open(prefix, name)
		w.s(` xsi:nil="true"/>`)
		return
	}
	switch v.Type() {
	case cim.Object:
		e.embedded(prefix, name, v.Object())
		return
	case cim.Reference:
		e.open(prefix, name)
		w.b = append(w.b, '>')
		e.epr(v.Ref(), 0)
		e.close(prefix, name)
		return
	}
	e.open(prefix, name)
	w.b = append(w.b, '>')
	e.appendScalar(v)
	e.close(prefix, name)
}

// appendScalar writes the text of a scalar that is not a reference or an
// embedded object.
func (e *valueEncoder) appendScalar(v cim.Value) {
	w := e.w
	switch t := v.Type(); {
	case t == cim.Boolean:
		if v.Bool() {
			w.s("true")
		} else {
			w.s("false")
		}
	case t.IsSigned():
		w.b = strconv.AppendInt(w.b, v.Int64(), 10)
	case t.IsInteger():
		w.b = strconv.AppendUint(w.b, v.Uint64(), 10)
	case t.IsReal():
		w.b = appendReal(w.b, v.Float64(), t.Bits())
	case t == cim.Char16:
		c := rune(v.Char16())
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c >= 0xD800 && c <= 0xDFFF || c == 0xFFFE || c == 0xFFFF {
			c = 0xFFFD
		}
		w.b = appendEscaped(w.b, string(c), false)
	case t == cim.DateTime:
		appendDateTime(w, v.Text())
	default:
		w.text(v.Text())
	}
}

// appendReal writes a real in xs:float / xs:double form.
func appendReal(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "INF"...)
	case math.IsInf(f, -1):
		return append(b, "-INF"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, f, 'G', -1, bits)
}

// appendDateTime writes a CIM datetime as DSP0230 does: timestamps as
// cim:Datetime (xs:dateTime), intervals as cim:Interval (xs:duration), and
// values with wildcards as cim:CIM_DateTime.
func appendDateTime(w *xw, s string) {
	info, err := cim.ParseDateTime(s)
	switch {
	case err != nil || info.Wildcards:
		w.s("<cim:CIM_DateTime>")
		w.text(s)
		w.s("</cim:CIM_DateTime>")
	case info.Interval:
		w.s("<cim:Interval>")
		w.s(formatXSInterval(info.Duration))
		w.s("</cim:Interval>")
	default:
		w.s("<cim:Datetime>")
		w.b = info.Time.AppendFormat(w.b, "2006-01-02T15:04:05.999999Z07:00")
		w.s("</cim:Datetime>")
	}
}

// formatXSInterval renders d as an xs:duration with days, hours, minutes
// and seconds ("P1DT2H3M4.5S").
func formatXSInterval(d time.Duration) string {
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	s := d / time.Second
	d -= s * time.Second
	var b strings.Builder
	b.WriteByte('P')
	b.WriteString(strconv.FormatInt(int64(days), 10))
	b.WriteString("DT")
	b.WriteString(strconv.FormatInt(int64(h), 10))
	b.WriteByte('H')
	b.WriteString(strconv.FormatInt(int64(m), 10))
	b.WriteByte('M')
	b.WriteString(strconv.FormatInt(int64(s), 10))
	if us := d / time.Microsecond; us > 0 {
		frac := strconv.FormatInt(int64(us)+1000000, 10)[1:]
		b.WriteByte('.')
		b.WriteString(strings.TrimRight(frac, "0"))
	}
	b.WriteByte('S')
	return b.String()
}

// embedded writes an embedded instance: the element carries xsi:type
// "<Class>_Type" in the class's resource URI namespace, its children are
// the properties.
func (e *valueEncoder) embedded(prefix, name string, inst *cim.Instance) {
	w := e.w
	e.depth++
	ep := "q" + strconv.Itoa(e.depth)
	e.open(prefix, name)
	w.s(` xmlns:`)
	w.s(ep)
	w.s(`="`)
	w.attr(e.res.uriFor(inst.ClassName()))
	w.s(`" xsi:type="`)
	w.s(ep)
	w.b = append(w.b, ':')
	w.attr(inst.ClassName())
	w.s(`_Type">`)
	e.properties(ep, inst)
	e.close(prefix, name)
	e.depth--
}

// properties writes every property of inst as a child element.
func (e *valueEncoder) properties(prefix string, inst *cim.Instance) {
	for k := 0; k < inst.Len(); k++ {
		p, v := inst.At(k)
		e.property(prefix, p.Name, v, p.EmbeddedClass)
	}
}

// instance writes inst as the element <p:Class xmlns:p="uri">.
func (e *valueEncoder) instance(inst *cim.Instance, uri string) {
	w := e.w
	w.s("<p:")
	w.s(inst.ClassName())
	w.s(` xmlns:p="`)
	w.attr(uri)
	w.s(`">`)
	e.properties("p", inst)
	w.s("</p:")
	w.s(inst.ClassName())
	w.b = append(w.b, '>')
}

// epr writes the a:Address and a:ReferenceParameters of a reference.
func (e *valueEncoder) epr(p *cim.ObjectPath, depth int) {
	w := e.w
	w.s("<a:Address>" + AnonymousAddress + "</a:Address><a:ReferenceParameters><w:ResourceURI>")
	ns := e.res.namespace
	if p.Namespace != "" {
		ns = strings.ReplaceAll(p.Namespace, `\`, "/")
	}
	r := resource{style: e.res.style, namespace: ns}
	w.text(r.uriFor(p.Class))
	w.s("</w:ResourceURI><w:SelectorSet>")
	if r.needsNamespaceSelector() {
		w.s(`<w:Selector Name="` + NamespaceSelector + `">`)
		w.text(ns)
		w.s("</w:Selector>")
	}
	for _, k := range p.Keys {
		w.s(`<w:Selector Name="`)
		w.attr(k.Name)
		w.s(`">`)
		if k.Value.Kind == cim.KeyRef && depth < 8 {
			if sub, err := parsePathAny(k.Value.Text); err == nil {
				w.s("<a:EndpointReference>")
				e.epr(sub, depth+1)
				w.s("</a:EndpointReference>")
				w.s("</w:Selector>")
				continue
			}
		}
		w.text(k.Value.Text)
		w.s("</w:Selector>")
	}
	w.s("</w:SelectorSet></a:ReferenceParameters>")
}

// parsePathAny parses an object path in WMI or DMTF URI form.
func parsePathAny(s string) (*cim.ObjectPath, error) {
	p, err := cim.ParsePath(s)
	if err != nil {
		if q, err2 := cim.ParseURI(s); err2 == nil {
			return q, nil
		}
	}
	return p, err
}
