package cimxml

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// tokKind is the kind of an XML token.
type tokKind uint8

const (
	tokNone  tokKind = iota
	tokStart         // a start tag (or an empty-element tag, with scanner.empty set)
	tokEnd           // an end tag (also reported after an empty-element tag)
	tokText          // character data or a CDATA section
	tokEOF           // the end of the document
)

// xattr is one attribute of a start tag. Both slices point into the input.
type xattr struct {
	name []byte
	val  []byte // raw value between the quotes
	// esc reports that val holds '&' or literal whitespace other than
	// spaces, so it must go through attribute-value normalisation.
	esc bool
}

// scanner is a small, non-validating XML 1.0 tokenizer over a byte slice.
// It checks well-formedness (matching tags, attribute syntax, character
// and entity references, one root element), refuses document type
// declarations (so no entity is ever expanded), and bounds the nesting
// depth and the number of attributes per element. It never allocates
// per token: names, attribute values and text are sub-slices of the
// input, decoded on demand by the parser.
type scanner struct {
	buf      []byte
	pos      int
	maxDepth int
	stack    [][]byte // names of the open elements

	// The current token.
	kind    tokKind
	name    []byte  // element name of tokStart and tokEnd
	attrs   []xattr // attributes of tokStart
	empty   bool    // tokStart was an empty-element tag <x/>
	text    []byte  // tokText: raw text
	textRaw bool    // tokText: text needs entity decoding / newline normalisation
	cdata   bool    // tokText: text is a CDATA section (taken literally)

	pendingEnd bool // an empty-element tag's end is still to be reported
	sawRoot    bool
	rootDone   bool
	started    bool // a token other than the BOM has been seen
}

// maxAttrs bounds the attributes of one element; CIM-XML elements have at
// most nine.
const maxAttrs = 32

func (s *scanner) reset(buf []byte, maxDepth int) {
	s.buf = buf
	s.pos = 0
	s.maxDepth = maxDepth
	s.stack = s.stack[:0]
	s.attrs = s.attrs[:0]
	s.kind = tokNone
	s.pendingEnd, s.sawRoot, s.rootDone, s.started = false, false, false, false
	if len(buf) >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF {
		s.pos = 3
	}
}

// depth returns the number of open elements.
func (s *scanner) depth() int { return len(s.stack) }

func (s *scanner) malformed(msg string) error {
	return &ProtocolError{Status: 400, CIMError: ErrNotWellFormed, Msg: msg + " at offset " + strconv.Itoa(s.pos)}
}

// next advances to the next token.
func (s *scanner) next() (tokKind, error) {
	if s.pendingEnd {
		s.pendingEnd = false
		s.kind = tokEnd
		s.pop()
		return tokEnd, nil
	}
	for {
		if s.pos >= len(s.buf) {
			switch {
			case len(s.stack) > 0:
				return tokNone, s.malformed("unexpected end of document inside <" + string(s.stack[len(s.stack)-1]) + ">")
			case !s.sawRoot:
				return tokNone, s.malformed("no root element")
			}
			s.kind = tokEOF
			return tokEOF, nil
		}
		if s.buf[s.pos] != '<' {
			rest := s.buf[s.pos:]
			n := bytes.IndexByte(rest, '<')
			if n < 0 {
				n = len(rest)
			}
			text := rest[:n]
			if len(s.stack) == 0 {
				if !isSpace(text) {
					return tokNone, s.malformed("text outside the root element")
				}
				s.pos += n
				s.started = true
				continue
			}
			raw := false
			if bytes.IndexByte(text, '&') >= 0 {
				if err := checkRefs(text); err != nil {
					return tokNone, s.malformed(err.Error())
				}
				raw = true
			} else if bytes.IndexByte(text, '\r') >= 0 {
				raw = true
			}
			s.pos += n
			s.kind, s.text, s.textRaw, s.cdata = tokText, text, raw, false
			return tokText, nil
		}
		if s.pos+1 >= len(s.buf) {
			return tokNone, s.malformed("unexpected end of document")
		}
		switch s.buf[s.pos+1] {
		case '/':
			return s.endTag()
		case '?':
			if err := s.procInst(); err != nil {
				return tokNone, err
			}
			continue
		case '!':
			rest := s.buf[s.pos:]
			switch {
			case bytes.HasPrefix(rest, []byte("<!--")):
				end := bytes.Index(rest[4:], []byte("-->"))
				if end < 0 {
					return tokNone, s.malformed("unterminated comment")
				}
				s.pos += 4 + end + 3
				s.started = true
				continue
			case bytes.HasPrefix(rest, []byte("<![CDATA[")):
				if len(s.stack) == 0 {
					return tokNone, s.malformed("CDATA section outside the root element")
				}
				end := bytes.Index(rest[9:], []byte("]]>"))
				if end < 0 {
					return tokNone, s.malformed("unterminated CDATA section")
				}
				s.kind, s.text, s.textRaw, s.cdata = tokText, rest[9:9+end], false, true
				s.pos += 9 + end + 3
				return tokText, nil
			case bytes.HasPrefix(rest, []byte("<!DOCTYPE")):
				return tokNone, s.malformed("document type declarations are not accepted")
			}
			return tokNone, s.malformed("invalid markup declaration")
		}
		return s.startTag()
	}
}

func (s *scanner) pop() {
	s.stack = s.stack[:len(s.stack)-1]
	if len(s.stack) == 0 {
		s.rootDone = true
	}
}

// procInst skips a processing instruction; the XML declaration is checked
// (it must come first and name UTF-8, if it names an encoding).
func (s *scanner) procInst() error {
	rest := s.buf[s.pos:]
	end := bytes.Index(rest[2:], []byte("?>"))
	if end < 0 {
		return s.malformed("unterminated processing instruction")
	}
	end += 2
	body := rest[2:end]
	i := 0
	for i < len(body) && isNameByte(body[i], i == 0) {
		i++
	}
	if i == 0 {
		return s.malformed("processing instruction without a target")
	}
	target := body[:i]
	if len(target) == 3 && (target[0]|0x20) == 'x' && (target[1]|0x20) == 'm' && (target[2]|0x20) == 'l' {
		if s.started || !bytes.Equal(target, []byte("xml")) {
			return s.malformed("misplaced XML declaration")
		}
		if enc := pseudoAttr(body[i:], "encoding"); enc != nil {
			e := string(bytes.ToLower(enc))
			if e != "utf-8" && e != "utf8" {
				return &ProtocolError{Status: 400, CIMError: ErrNotWellFormed, Msg: "unsupported encoding " + strconv.Quote(string(enc)) + ": only UTF-8 is accepted"}
			}
		}
	}
	s.pos += end + 2
	s.started = true
	return nil
}

// pseudoAttr finds name="value" in the XML declaration.
func pseudoAttr(b []byte, name string) []byte {
	i := bytes.Index(b, []byte(name))
	if i < 0 {
		return nil
	}
	b = bytes.TrimLeft(b[i+len(name):], " \t\r\n")
	if len(b) == 0 || b[0] != '=' {
		return nil
	}
	b = bytes.TrimLeft(b[1:], " \t\r\n")
	if len(b) == 0 || (b[0] != '"' && b[0] != '\'') {
		return nil
	}
	end := bytes.IndexByte(b[1:], b[0])
	if end < 0 {
		return nil
	}
	return b[1 : 1+end]
}

func (s *scanner) startTag() (tokKind, error) {
	if s.rootDone {
		return tokNone, s.malformed("content after the root element")
	}
	b := s.buf
	i := s.pos + 1
	start := i
	for i < len(b) && isNameByte(b[i], i == start) {
		i++
	}
	if i == start {
		return tokNone, s.malformed("invalid start tag")
	}
	name := b[start:i]
	if len(s.stack) >= s.maxDepth {
		return tokNone, &ProtocolError{Status: 400, CIMError: ErrNotValid, Msg: "elements nested deeper than " + strconv.Itoa(s.maxDepth)}
	}
	s.attrs = s.attrs[:0]
	for {
		ws := i
		for i < len(b) && isSpaceByte(b[i]) {
			i++
		}
		if i >= len(b) {
			return tokNone, s.malformed("unterminated start tag <" + string(name) + ">")
		}
		switch b[i] {
		case '>':
			s.pos = i + 1
			s.push(name, false)
			return tokStart, nil
		case '/':
			if i+1 >= len(b) || b[i+1] != '>' {
				return tokNone, s.malformed("invalid empty-element tag")
			}
			s.pos = i + 2
			s.push(name, true)
			return tokStart, nil
		}
		if i == ws {
			return tokNone, s.malformed("missing white space between attributes")
		}
		an := i
		for i < len(b) && isNameByte(b[i], i == an) {
			i++
		}
		if i == an {
			return tokNone, s.malformed("invalid attribute name")
		}
		aname := b[an:i]
		for i < len(b) && isSpaceByte(b[i]) {
			i++
		}
		if i >= len(b) || b[i] != '=' {
			return tokNone, s.malformed("attribute without a value")
		}
		i++
		for i < len(b) && isSpaceByte(b[i]) {
			i++
		}
		if i >= len(b) || (b[i] != '"' && b[i] != '\'') {
			return tokNone, s.malformed("unquoted attribute value")
		}
		q := b[i]
		i++
		end := bytes.IndexByte(b[i:], q)
		if end < 0 {
			return tokNone, s.malformed("unterminated attribute value")
		}
		val := b[i : i+end]
		i += end + 1
		if bytes.IndexByte(val, '<') >= 0 {
			return tokNone, s.malformed("'<' in attribute value")
		}
		esc := false
		for _, c := range val {
			if c == '&' || c == '\t' || c == '\n' || c == '\r' {
				esc = true
				break
			}
		}
		if esc && bytes.IndexByte(val, '&') >= 0 {
			if err := checkRefs(val); err != nil {
				return tokNone, s.malformed(err.Error())
			}
		}
		if len(s.attrs) >= maxAttrs {
			return tokNone, &ProtocolError{Status: 400, CIMError: ErrNotValid, Msg: "too many attributes on <" + string(name) + ">"}
		}
		for _, a := range s.attrs {
			if bytes.Equal(a.name, aname) {
				return tokNone, s.malformed("duplicate attribute " + string(aname))
			}
		}
		s.attrs = append(s.attrs, xattr{name: aname, val: val, esc: esc})
	}
}

func (s *scanner) push(name []byte, empty bool) {
	s.sawRoot = true
	s.started = true
	s.stack = append(s.stack, name)
	s.kind, s.name, s.empty = tokStart, name, empty
	s.pendingEnd = empty
}

func (s *scanner) endTag() (tokKind, error) {
	b := s.buf
	i := s.pos + 2
	start := i
	for i < len(b) && isNameByte(b[i], i == start) {
		i++
	}
	name := b[start:i]
	for i < len(b) && isSpaceByte(b[i]) {
		i++
	}
	if i >= len(b) || b[i] != '>' || len(name) == 0 {
		return tokNone, s.malformed("invalid end tag")
	}
	if len(s.stack) == 0 || !bytes.Equal(s.stack[len(s.stack)-1], name) {
		return tokNone, s.malformed("unexpected end tag </" + string(name) + ">")
	}
	s.pos = i + 1
	s.kind, s.name = tokEnd, name
	s.pop()
	return tokEnd, nil
}

// isNameByte reports whether c may appear in an XML name (at the start
// when first is set). Bytes of multi-byte UTF-8 sequences are accepted;
// the input has been checked to be valid UTF-8.
func isNameByte(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_', c == ':', c >= 0x80:
		return true
	case '0' <= c && c <= '9', c == '-', c == '.':
		return !first
	}
	return false
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isSpace(b []byte) bool {
	for _, c := range b {
		if !isSpaceByte(c) {
			return false
		}
	}
	return true
}

// checkChars returns the offset of the first byte that does not start a
// valid XML 1.0 character (invalid UTF-8, control characters other than
// tab, newline and carriage return, U+FFFE and U+FFFF), or -1.
func checkChars(b []byte) int {
	i := 0
	for i < len(b) {
		// Eight ASCII bytes at a time while none is a control character.
		if i+8 <= len(b) {
			w := uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
				uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
			const lo, hi = 0x0101010101010101, 0x8080808080808080
			if w&hi == 0 && (w-lo*0x20)&^w&hi == 0 {
				i += 8
				continue
			}
		}
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 || r == 0xFFFE || r == 0xFFFF {
			return i
		}
		i += n
	}
	return -1
}

type refError string

func (e refError) Error() string { return string(e) }

// checkRefs checks the entity and character references of raw text.
func checkRefs(b []byte) error {
	for {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			return nil
		}
		_, n, err := decodeRef(b[i:])
		if err != nil {
			return err
		}
		b = b[i+n:]
	}
}

// decodeRef decodes the reference at the start of b (which begins with
// '&') and returns the character and the length of the reference. Only
// the five predefined entities and character references exist here:
// without a DTD no other entity can be declared.
func decodeRef(b []byte) (rune, int, error) {
	end := bytes.IndexByte(b, ';')
	if end < 0 || end > 12 {
		return 0, 0, refError("invalid reference")
	}
	ref := b[1:end]
	switch string(ref) {
	case "lt":
		return '<', end + 1, nil
	case "gt":
		return '>', end + 1, nil
	case "amp":
		return '&', end + 1, nil
	case "quot":
		return '"', end + 1, nil
	case "apos":
		return '\'', end + 1, nil
	}
	if len(ref) < 2 || ref[0] != '#' {
		return 0, 0, refError("undefined entity &" + string(ref) + ";")
	}
	digits, base := ref[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 {
		return 0, 0, refError("invalid character reference")
	}
	var r rune
	for _, c := range digits {
		var d rune
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, 0, refError("invalid character reference")
		}
		r = r*rune(base) + d
		if r > utf8.MaxRune {
			return 0, 0, refError("character reference out of range")
		}
	}
	// Control characters are accepted as references (as XML 1.1 does) so
	// that strings holding them survive a round trip; NUL, surrogates and
	// non-characters are not.
	if r == 0 || (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
		return 0, 0, refError("character reference to an invalid character")
	}
	return r, end + 1, nil
}

// appendDecoded appends the text b with references replaced and line ends
// normalised (CR LF and lone CR become LF). With attr set it also applies
// attribute-value normalisation (literal tab, CR and LF become spaces).
// b has been checked by checkRefs.
func appendDecoded(dst, b []byte, attr bool) []byte {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '&':
			r, n, _ := decodeRef(b[i:])
			dst = utf8.AppendRune(dst, r)
			i += n - 1
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			if attr {
				dst = append(dst, ' ')
			} else {
				dst = append(dst, '\n')
			}
		case '\t', '\n':
			if attr {
				dst = append(dst, ' ')
			} else {
				dst = append(dst, c)
			}
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
