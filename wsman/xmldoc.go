package wsman

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// This file holds the XML parser of the package: a small, strict,
// single-pass parser that turns a SOAP envelope into a compact tree of
// nodes. Every name and text of the tree is a span of the input buffer;
// character data is decoded in place (entity references and line ends only
// ever shrink), so parsing allocates nothing once the arenas of a pooled
// document have grown.
//
// It accepts the XML 1.0 subset SOAP allows: elements, attributes,
// namespaces, character and the five predefined entity references, CDATA
// sections, comments and processing instructions. It rejects document type
// declarations (and with them every external or custom entity), mixed
// content, undeclared prefixes, duplicate attributes, characters XML
// forbids, invalid UTF-8 and trees deeper or larger than its limits.

// Namespace codes: the namespaces the package looks for are interned when
// they are declared, so that matching a name is an integer comparison.
const (
	nsNone       uint8 = iota // no namespace
	nsOther                   // a namespace the package does not know; see node.space
	nsSOAP                    // SOAP 1.2 envelope
	nsWSA                     // WS-Addressing 2004/08
	nsWSMan                   // DMTF WS-Management
	nsWSEn                    // WS-Enumeration 2004/09
	nsWSMID                   // WS-Management identity
	nsMSWSMan                 // Microsoft WS-Management extensions
	nsXSI                     // XML Schema instance
	nsCIM                     // DMTF WS-CIM common (datetime wrappers)
	nsWSMB                    // DMTF CIM binding
	nsWSManFault              // Microsoft WSManFault
	nsXML                     // the xml prefix
	nsXMLNS                   // the xmlns prefix
)

// Namespace URIs.
const (
	uriSOAP       = "http://www.w3.org/2003/05/soap-envelope"
	uriWSA        = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	uriWSMan      = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	uriWSEn       = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
	uriWSMID      = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
	uriMSWSMan    = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
	uriXSI        = "http://www.w3.org/2001/XMLSchema-instance"
	uriCIM        = "http://schemas.dmtf.org/wbem/wscim/1/common"
	uriWSMB       = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
	uriWSManFault = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
	uriXML        = "http://www.w3.org/XML/1998/namespace"
	uriXMLNS      = "http://www.w3.org/2000/xmlns/"
)

var knownNamespaces = [...]struct {
	code uint8
	uri  string
}{
	{nsSOAP, uriSOAP}, {nsWSA, uriWSA}, {nsWSMan, uriWSMan}, {nsWSEn, uriWSEn},
	{nsWSMID, uriWSMID}, {nsMSWSMan, uriMSWSMan}, {nsXSI, uriXSI}, {nsCIM, uriCIM},
	{nsWSMB, uriWSMB}, {nsWSManFault, uriWSManFault}, {nsXML, uriXML}, {nsXMLNS, uriXMLNS},
}

func namespaceCode(uri []byte) uint8 {
	if len(uri) == 0 {
		return nsNone
	}
	for _, k := range knownNamespaces {
		if len(k.uri) == len(uri) && string(uri) == k.uri {
			return k.code
		}
	}
	return nsOther
}

// Parser limits that are not options: the number of elements of one
// document and of attributes on one element.
const (
	defaultMaxDepth = 64
	maxNodes        = 1 << 17
	maxAttrs        = 128
)

// span is a slice buf[off:end] of the document's buffer.
type span struct{ off, end uint32 }

func (s span) len() int { return int(s.end - s.off) }

// node is one element.
type node struct {
	code  uint8 // namespace code
	space span  // namespace URI (for nsOther)
	qname span  // the name as written, for matching the end tag
	local span  // the local part of qname
	text  span  // decoded character data (empty when the element has children)
	first int32 // first child, or -1
	last  int32 // last child, or -1
	next  int32 // next sibling, or -1
	attr  int32 // first attribute in document.attrs
	nattr int32
}

// attr is one attribute (namespace declarations excluded).
type attr struct {
	code  uint8
	space span
	local span
	value span
}

type nsDecl struct {
	prefix span // empty for the default namespace
	code   uint8
	uri    span
	depth  int32
}

// document is a parsed XML document. Its zero value is ready to parse; a
// document is reused from a pool between requests.
type document struct {
	buf      []byte
	nodes    []node
	attrs    []attr
	decls    []nsDecl
	stack    []int32
	maxDepth int
}

// xmlError is a well-formedness or limit error at a byte offset.
type xmlError struct {
	off   int
	msg   string
	limit bool // a limit of the parser, not malformed input
}

func (e *xmlError) Error() string {
	return "XML error at offset " + strconv.Itoa(e.off) + ": " + e.msg
}

var errNoRoot = &xmlError{msg: "no root element"}

func (d *document) fail(off int, msg string) error { return &xmlError{off: off, msg: msg} }

// parse parses buf, which the document takes over and modifies (character
// data is decoded in place). The root element is node 0.
func (d *document) parse(buf []byte) error {
	d.buf = buf
	d.nodes = d.nodes[:0]
	d.attrs = d.attrs[:0]
	d.decls = d.decls[:0]
	d.stack = d.stack[:0]
	if d.maxDepth <= 0 {
		d.maxDepth = defaultMaxDepth
	}
	if len(buf) > 1<<31 {
		return &xmlError{msg: "document too large", limit: true}
	}
	if !utf8.Valid(buf) {
		return d.fail(invalidUTF8Offset(buf), "invalid UTF-8")
	}
	i := 0
	if bytes.HasPrefix(buf, []byte("\xEF\xBB\xBF")) {
		i = 3
	}
	rootDone := false
	for i < len(buf) {
		if buf[i] != '<' {
			j, err := d.charData(i, rootDone)
			if err != nil {
				return err
			}
			i = j
			continue
		}
		if i+1 >= len(buf) {
			return d.fail(i, "unexpected end of input")
		}
		var err error
		switch buf[i+1] {
		case '?':
			i, err = d.procInst(i)
		case '!':
			switch {
			case bytes.HasPrefix(buf[i:], []byte("<!--")):
				end := bytes.Index(buf[i+4:], []byte("-->"))
				if end < 0 {
					return d.fail(i, "unterminated comment")
				}
				if err := checkChars(buf[i+4:i+4+end], i+4); err != nil {
					return err
				}
				i += 4 + end + 3
			case bytes.HasPrefix(buf[i:], []byte("<![CDATA[")):
				if len(d.stack) == 0 {
					return d.fail(i, "CDATA section outside the root element")
				}
				end := bytes.Index(buf[i+9:], []byte("]]>"))
				if end < 0 {
					return d.fail(i, "unterminated CDATA section")
				}
				start := i + 9
				w, err := d.decodeRaw(start, start+end)
				if err != nil {
					return err
				}
				if err := d.addText(start, w); err != nil {
					return err
				}
				i = start + end + 3
			case bytes.HasPrefix(buf[i:], []byte("<!DOCTYPE")):
				return d.fail(i, "document type declarations are not allowed")
			default:
				return d.fail(i, "unexpected markup declaration")
			}
		case '/':
			i, err = d.endTag(i)
			if err == nil && len(d.stack) == 0 {
				rootDone = true
			}
		default:
			if rootDone {
				return d.fail(i, "content after the root element")
			}
			var empty bool
			i, empty, err = d.startTag(i)
			if err == nil && empty && len(d.stack) == 0 {
				rootDone = true
			}
		}
		if err != nil {
			return err
		}
	}
	if len(d.stack) > 0 {
		return d.fail(len(buf), "unclosed element "+string(d.bytes(d.nodes[d.stack[len(d.stack)-1]].qname)))
	}
	if !rootDone {
		return errNoRoot
	}
	return nil
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// checkChars rejects characters XML 1.0 forbids: C0 controls other than
// tab, line feed and carriage return, and U+FFFE / U+FFFF (input is valid
// UTF-8, so surrogates cannot occur).
func checkChars(b []byte, off int) error {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return &xmlError{off: off + i, msg: "character not allowed in XML"}
		}
		if c == 0xEF && i+2 < len(b) && b[i+1] == 0xBF && (b[i+2] == 0xBE || b[i+2] == 0xBF) {
			return &xmlError{off: off + i, msg: "character not allowed in XML"}
		}
	}
	return nil
}

func (d *document) procInst(i int) (int, error) {
	buf := d.buf
	end := bytes.Index(buf[i+2:], []byte("?>"))
	if end < 0 {
		return 0, d.fail(i, "unterminated processing instruction")
	}
	body := buf[i+2 : i+2+end]
	if err := checkChars(body, i+2); err != nil {
		return 0, err
	}
	n := nameLen(body)
	if n == 0 {
		return 0, d.fail(i, "processing instruction without target")
	}
	if n == 3 && string(body[:3]) == "xml" {
		if i != 0 && !(i == 3 && bytes.HasPrefix(buf, []byte("\xEF\xBB\xBF"))) {
			return 0, d.fail(i, "XML declaration not at the start")
		}
		if enc := pseudoAttr(body[3:], "encoding"); enc != nil && !asciiEqualFold(enc, "utf-8") &&
			!asciiEqualFold(enc, "utf8") && !asciiEqualFold(enc, "utf-16") &&
			!asciiEqualFold(enc, "utf-16le") && !asciiEqualFold(enc, "utf-16be") {
			return 0, &xmlError{off: i, msg: "unsupported encoding " + strconv.Quote(string(enc)), limit: true}
		}
	} else if n == 3 && asciiEqualFold(body[:3], "xml") {
		return 0, d.fail(i, "reserved processing instruction target")
	}
	return i + 2 + end + 2, nil
}

// pseudoAttr finds name="value" in an XML declaration.
func pseudoAttr(b []byte, name string) []byte {
	k := bytes.Index(b, []byte(name))
	if k < 0 {
		return nil
	}
	b = bytes.TrimLeft(b[k+len(name):], " \t\r\n")
	if len(b) == 0 || b[0] != '=' {
		return nil
	}
	b = bytes.TrimLeft(b[1:], " \t\r\n")
	if len(b) < 2 || (b[0] != '"' && b[0] != '\'') {
		return nil
	}
	q := b[0]
	e := bytes.IndexByte(b[1:], q)
	if e < 0 {
		return nil
	}
	return b[1 : 1+e]
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c, d := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

func isNameChar(c byte) bool {
	return isNameStart(c) || '0' <= c && c <= '9' || c == '-' || c == '.'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// nameLen returns the length of the XML name at the start of b (0 if none).
func nameLen(b []byte) int {
	if len(b) == 0 || !isNameStart(b[0]) {
		return 0
	}
	n := 1
	for n < len(b) && isNameChar(b[n]) {
		n++
	}
	return n
}

// splitQName returns the prefix and local part of a qualified name, or
// ok=false when the name has more than one colon or an empty part.
func splitQName(q span, buf []byte) (prefix, local span, ok bool) {
	b := buf[q.off:q.end]
	c := bytes.IndexByte(b, ':')
	if c < 0 {
		return span{q.off, q.off}, q, true
	}
	if c == 0 || c == len(b)-1 || bytes.IndexByte(b[c+1:], ':') >= 0 {
		return span{}, span{}, false
	}
	return span{q.off, q.off + uint32(c)}, span{q.off + uint32(c) + 1, q.end}, true
}

func (d *document) startTag(i int) (int, bool, error) {
	buf := d.buf
	start := i
	i++
	n := nameLen(buf[i:])
	if n == 0 {
		return 0, false, d.fail(i, "invalid element name")
	}
	if len(d.stack) >= d.maxDepth {
		return 0, false, &xmlError{off: start, msg: "elements nested too deeply", limit: true}
	}
	if len(d.nodes) >= maxNodes {
		return 0, false, &xmlError{off: start, msg: "too many elements", limit: true}
	}
	qname := span{uint32(i), uint32(i + n)}
	i += n
	depth := int32(len(d.stack) + 1)
	firstAttr := len(d.attrs)
	empty := false
	for {
		sp := i
		for i < len(buf) && isSpace(buf[i]) {
			i++
		}
		if i >= len(buf) {
			return 0, false, d.fail(start, "unterminated start tag")
		}
		if buf[i] == '>' {
			i++
			break
		}
		if buf[i] == '/' {
			if i+1 >= len(buf) || buf[i+1] != '>' {
				return 0, false, d.fail(i, "expected '>'")
			}
			i += 2
			empty = true
			break
		}
		if sp == i {
			return 0, false, d.fail(i, "expected white space before attribute")
		}
		an := nameLen(buf[i:])
		if an == 0 {
			return 0, false, d.fail(i, "invalid attribute name")
		}
		aname := span{uint32(i), uint32(i + an)}
		i += an
		for i < len(buf) && isSpace(buf[i]) {
			i++
		}
		if i >= len(buf) || buf[i] != '=' {
			return 0, false, d.fail(i, "expected '=' after attribute name")
		}
		i++
		for i < len(buf) && isSpace(buf[i]) {
			i++
		}
		if i >= len(buf) || (buf[i] != '"' && buf[i] != '\'') {
			return 0, false, d.fail(i, "expected quoted attribute value")
		}
		q := buf[i]
		i++
		e := bytes.IndexByte(buf[i:], q)
		if e < 0 {
			return 0, false, d.fail(i, "unterminated attribute value")
		}
		vend, err := d.decodeText(i, i+e, true)
		if err != nil {
			return 0, false, err
		}
		if len(d.attrs)-firstAttr >= maxAttrs {
			return 0, false, &xmlError{off: i, msg: "too many attributes", limit: true}
		}
		// Keep the raw qualified name in local for now; resolved below.
		d.attrs = append(d.attrs, attr{local: aname, value: span{uint32(i), uint32(vend)}})
		i += e + 1
	}
	// Namespace declarations first: they apply to the element and all of
	// its attributes wherever they appear in the tag.
	for k := firstAttr; k < len(d.attrs); k++ {
		a := &d.attrs[k]
		qb := buf[a.local.off:a.local.end]
		switch {
		case string(qb) == "xmlns":
			code := namespaceCode(d.bytes(a.value))
			if code == nsXML || code == nsXMLNS {
				return 0, false, d.fail(int(a.local.off), "reserved namespace bound to the default prefix")
			}
			d.decls = append(d.decls, nsDecl{prefix: span{a.local.off, a.local.off}, code: code, uri: a.value, depth: depth})
			a.code = nsXMLNS
		case len(qb) > 6 && string(qb[:6]) == "xmlns:":
			p := span{a.local.off + 6, a.local.end}
			if bytes.IndexByte(d.bytes(p), ':') >= 0 {
				return 0, false, d.fail(int(p.off), "invalid namespace prefix")
			}
			if a.value.len() == 0 {
				return 0, false, d.fail(int(a.value.off), "empty namespace name for a prefix")
			}
			code := namespaceCode(d.bytes(a.value))
			pb := d.bytes(p)
			isXML := string(pb) == "xml"
			if string(pb) == "xmlns" || isXML != (code == nsXML) || code == nsXMLNS {
				return 0, false, d.fail(int(p.off), "reserved namespace prefix or name")
			}
			d.decls = append(d.decls, nsDecl{prefix: p, code: code, uri: a.value, depth: depth})
			a.code = nsXMLNS
		}
	}
	// Resolve attribute names, dropping the declarations.
	w := firstAttr
	for k := firstAttr; k < len(d.attrs); k++ {
		a := d.attrs[k]
		if a.code == nsXMLNS {
			continue
		}
		prefix, local, ok := splitQName(a.local, buf)
		if !ok {
			return 0, false, d.fail(int(a.local.off), "invalid qualified attribute name")
		}
		a.local = local
		if prefix.len() > 0 {
			code, uri, ok := d.lookup(prefix)
			if !ok {
				return 0, false, d.fail(int(prefix.off), "undeclared namespace prefix "+strconv.Quote(string(d.bytes(prefix))))
			}
			a.code, a.space = code, uri
		}
		for j := firstAttr; j < w; j++ {
			b := &d.attrs[j]
			if b.code == a.code && bytes.Equal(d.bytes(b.local), d.bytes(local)) &&
				(a.code != nsOther || bytes.Equal(d.bytes(b.space), d.bytes(a.space))) {
				return 0, false, d.fail(int(a.local.off), "duplicate attribute")
			}
		}
		d.attrs[w] = a
		w++
	}
	d.attrs = d.attrs[:w]
	prefix, local, ok := splitQName(qname, buf)
	if !ok {
		return 0, false, d.fail(int(qname.off), "invalid qualified element name")
	}
	code, uri, found := d.lookup(prefix)
	if !found {
		return 0, false, d.fail(int(prefix.off), "undeclared namespace prefix "+strconv.Quote(string(d.bytes(prefix))))
	}
	idx := int32(len(d.nodes))
	d.nodes = append(d.nodes, node{
		code: code, space: uri, qname: qname, local: local,
		first: -1, last: -1, next: -1, attr: int32(firstAttr), nattr: int32(w - firstAttr),
	})
	if len(d.stack) > 0 {
		p := &d.nodes[d.stack[len(d.stack)-1]]
		if p.text.len() > 0 {
			if !isBlank(d.bytes(p.text)) {
				return 0, false, d.fail(start, "mixed content is not allowed")
			}
			p.text = span{}
		}
		if p.last >= 0 {
			d.nodes[p.last].next = idx
		} else {
			p.first = idx
		}
		p.last = idx
	}
	if empty {
		d.popDecls(depth)
	} else {
		d.stack = append(d.stack, idx)
	}
	return i, empty, nil
}

// lookup resolves a prefix (empty for the default namespace).
func (d *document) lookup(prefix span) (uint8, span, bool) {
	pb := d.bytes(prefix)
	for k := len(d.decls) - 1; k >= 0; k-- {
		if bytes.Equal(d.bytes(d.decls[k].prefix), pb) {
			if d.decls[k].uri.len() == 0 {
				return nsNone, span{}, true // xmlns="" undeclares the default
			}
			return d.decls[k].code, d.decls[k].uri, true
		}
	}
	if len(pb) == 0 {
		return nsNone, span{}, true
	}
	if string(pb) == "xml" {
		return nsXML, span{}, true
	}
	return 0, span{}, false
}

func (d *document) popDecls(depth int32) {
	k := len(d.decls)
	for k > 0 && d.decls[k-1].depth >= depth {
		k--
	}
	d.decls = d.decls[:k]
}

func (d *document) endTag(i int) (int, error) {
	buf := d.buf
	start := i
	i += 2
	n := nameLen(buf[i:])
	if n == 0 {
		return 0, d.fail(i, "invalid end tag")
	}
	name := buf[i : i+n]
	i += n
	for i < len(buf) && isSpace(buf[i]) {
		i++
	}
	if i >= len(buf) || buf[i] != '>' {
		return 0, d.fail(i, "expected '>'")
	}
	if len(d.stack) == 0 {
		return 0, d.fail(start, "end tag without start tag")
	}
	top := d.stack[len(d.stack)-1]
	if !bytes.Equal(d.bytes(d.nodes[top].qname), name) {
		return 0, d.fail(start, "end tag "+strconv.Quote(string(name))+" does not match "+
			strconv.Quote(string(d.bytes(d.nodes[top].qname))))
	}
	d.popDecls(int32(len(d.stack)))
	d.stack = d.stack[:len(d.stack)-1]
	return i + 1, nil
}

// charData handles the text from i to the next '<'.
func (d *document) charData(i int, rootDone bool) (int, error) {
	buf := d.buf
	e := bytes.IndexByte(buf[i:], '<')
	if e < 0 {
		e = len(buf) - i
	}
	end := i + e
	if len(d.stack) == 0 {
		if !isBlank(buf[i:end]) {
			return 0, d.fail(i, "text outside the root element")
		}
		return end, nil
	}
	w, err := d.decodeText(i, end, false)
	if err != nil {
		return 0, err
	}
	if err := d.addText(i, w); err != nil {
		return 0, err
	}
	return end, nil
}

// addText appends the decoded text buf[start:end] to the open element.
func (d *document) addText(start, end int) error {
	if start == end {
		return nil
	}
	n := &d.nodes[d.stack[len(d.stack)-1]]
	if n.first >= 0 {
		if !isBlank(d.buf[start:end]) {
			return d.fail(start, "mixed content is not allowed")
		}
		return nil
	}
	if n.text.len() == 0 {
		n.text = span{uint32(start), uint32(end)}
		return nil
	}
	// Only markup (comments, CDATA delimiters, processing instructions)
	// lies between the element's text so far and this segment: move the
	// segment down over it.
	m := copy(d.buf[n.text.end:], d.buf[start:end])
	n.text.end += uint32(m)
	return nil
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// decodeText decodes the character data buf[i:end] in place: entity and
// character references, line-end normalisation and, for attribute values,
// white-space normalisation. It returns the end of the decoded text.
func (d *document) decodeText(i, end int, attrValue bool) (int, error) {
	buf := d.buf
	// Fast path: nothing to decode.
	k := i
	for k < end {
		c := buf[k]
		if c == '&' || c == '\r' || c == 0xEF || c == '<' {
			break
		}
		if c < 0x20 && (attrValue || c != '\t' && c != '\n') {
			break
		}
		k++
	}
	if k == end {
		return end, nil
	}
	w := k
	for r := k; r < end; {
		c := buf[r]
		switch {
		case c == '&':
			semi := bytes.IndexByte(buf[r:end], ';')
			if semi < 0 {
				return 0, d.fail(r, "unterminated entity reference")
			}
			ref := buf[r+1 : r+semi]
			var ch rune
			switch string(ref) {
			case "lt":
				ch = '<'
			case "gt":
				ch = '>'
			case "amp":
				ch = '&'
			case "quot":
				ch = '"'
			case "apos":
				ch = '\''
			default:
				v, ok := charRef(ref)
				if !ok {
					return 0, d.fail(r, "unknown entity or invalid character reference "+strconv.Quote(string(ref)))
				}
				ch = v
			}
			w += utf8.EncodeRune(buf[w:], ch)
			r += semi + 1
			continue
		case c == '\r':
			if attrValue {
				buf[w] = ' '
			} else {
				buf[w] = '\n'
			}
			w++
			r++
			if r < end && buf[r] == '\n' {
				r++
			}
			continue
		case c < 0x20:
			if c != '\t' && c != '\n' {
				return 0, d.fail(r, "character not allowed in XML")
			}
			if attrValue {
				c = ' '
			}
		case c == '<':
			return 0, d.fail(r, "'<' in attribute value")
		case c == 0xEF && r+2 < end && buf[r+1] == 0xBF && (buf[r+2] == 0xBE || buf[r+2] == 0xBF):
			return 0, d.fail(r, "character not allowed in XML")
		}
		buf[w] = c
		w++
		r++
	}
	return w, nil
}

// decodeRaw normalises line ends of CDATA content in place.
func (d *document) decodeRaw(i, end int) (int, error) {
	buf := d.buf
	if err := checkChars(buf[i:end], i); err != nil {
		return 0, err
	}
	if bytes.IndexByte(buf[i:end], '\r') < 0 {
		return end, nil
	}
	w := i
	for r := i; r < end; r++ {
		if buf[r] == '\r' {
			buf[w] = '\n'
			w++
			if r+1 < end && buf[r+1] == '\n' {
				r++
			}
			continue
		}
		buf[w] = buf[r]
		w++
	}
	return w, nil
}

// charRef parses the body of a character reference ("#65", "#x41").
func charRef(ref []byte) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	ref = ref[1:]
	base := 10
	if ref[0] == 'x' {
		base, ref = 16, ref[1:]
	}
	if len(ref) == 0 || len(ref) > 8 {
		return 0, false
	}
	var v int64
	for _, c := range ref {
		var dgt int64
		switch {
		case '0' <= c && c <= '9':
			dgt = int64(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			dgt = int64(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			dgt = int64(c-'A') + 10
		default:
			return 0, false
		}
		v = v*int64(base) + dgt
	}
	r := rune(v)
	switch {
	case r == '\t' || r == '\n' || r == '\r':
	case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF, r > 0x10FFFF:
		return 0, false
	}
	return r, true
}

// Accessors.

func (d *document) bytes(s span) []byte { return d.buf[s.off:s.end] }

func (d *document) str(s span) string { return string(d.buf[s.off:s.end]) }

// is reports whether node n is the element {code}local.
func (d *document) is(n int32, code uint8, local string) bool {
	nd := &d.nodes[n]
	return nd.code == code && string(d.buf[nd.local.off:nd.local.end]) == local
}

// localName returns the local name of node n.
func (d *document) localName(n int32) []byte { return d.bytes(d.nodes[n].local) }

// text returns the character data of node n, as written.
func (d *document) text(n int32) []byte { return d.bytes(d.nodes[n].text) }

// trimmed returns the character data of node n without surrounding white
// space.
func (d *document) trimmed(n int32) []byte { return bytes.TrimSpace(d.text(n)) }

// child returns the first child {code}local of n, or -1.
func (d *document) child(n int32, code uint8, local string) int32 {
	for c := d.nodes[n].first; c >= 0; c = d.nodes[c].next {
		if d.is(c, code, local) {
			return c
		}
	}
	return -1
}

// attrValue returns the value of attribute {code}local of n.
func (d *document) attrValue(n int32, code uint8, local string) ([]byte, bool) {
	nd := &d.nodes[n]
	for k := nd.attr; k < nd.attr+nd.nattr; k++ {
		a := &d.attrs[k]
		if a.code == code && string(d.buf[a.local.off:a.local.end]) == local {
			return d.buf[a.value.off:a.value.end], true
		}
	}
	return nil, false
}

// boolAttr reports whether attribute {code}local of n is an xs:boolean
// true.
func (d *document) boolAttr(n int32, code uint8, local string) bool {
	v, ok := d.attrValue(n, code, local)
	if !ok {
		return false
	}
	v = bytes.TrimSpace(v)
	return string(v) == "true" || string(v) == "1"
}
