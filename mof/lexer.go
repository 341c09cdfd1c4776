package mof

import (
	"fmt"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tError          // a lexical error, already reported
	tIdent          // identifier or keyword (keywords are contextual)
	tInt            // integer literal, sign included
	tReal           // real literal, sign included
	tString         // string literal, quotes included
	tChar           // char16 literal, quotes included
	tAlias          // $name
	tLBrace
	tRBrace
	tLBrack
	tRBrack
	tLParen
	tRParen
	tSemi
	tComma
	tColon
	tEq
	tHash
)

var tokNames = [...]string{
	tEOF:    "end of file",
	tError:  "invalid token",
	tIdent:  "identifier",
	tInt:    "integer",
	tReal:   "real number",
	tString: "string",
	tChar:   "char16 literal",
	tAlias:  "alias",
	tLBrace: "'{'",
	tRBrace: "'}'",
	tLBrack: "'['",
	tRBrack: "']'",
	tLParen: "'('",
	tRParen: "')'",
	tSemi:   "';'",
	tComma:  "','",
	tColon:  "':'",
	tEq:     "'='",
	tHash:   "'#'",
}

func (k tokKind) String() string {
	if int(k) < len(tokNames) {
		return tokNames[k]
	}
	return "token"
}

// token is one lexical token: a span of the source plus its position.
type token struct {
	kind tokKind
	base uint8 // tInt: 2, 8, 10 or 16
	esc  bool  // tString, tChar: the literal contains a backslash
	off  int   // start offset in src
	end  int   // end offset in src (exclusive)
	line int
	col  int
}

// lexer turns UTF-8 MOF text into tokens. It works on the byte slice
// directly and allocates nothing per token.
type lexer struct {
	src       []byte
	file      string
	off       int // current offset
	line      int // current line (1-based)
	lineStart int // offset of the first byte of the current line
	errs      *errorSink
	maxString int
}

func (l *lexer) init(file string, src []byte, errs *errorSink, maxString int) {
	l.src = src
	l.file = file
	l.off = 0
	l.line = 1
	l.lineStart = 0
	l.errs = errs
	l.maxString = maxString
}

// errorAt reports an error at a line and column.
func (l *lexer) errorAt(line, col int, format string, args ...any) {
	l.errs.add(Pos{File: l.file, Line: line, Col: col}, fmt.Sprintf(format, args...), nil)
}

// errorOff reports an error at an offset on the current line.
func (l *lexer) errorOff(off int, format string, args ...any) {
	l.errorAt(l.line, off-l.lineStart+1, format, args...)
}

// charClass bits.
const (
	cIdentStart = 1 << iota // A-Z a-z _
	cIdentPart              // A-Z a-z _ 0-9
	cDigit                  // 0-9
	cHex                    // 0-9 a-f A-F
	cSpace                  // space, tab, CR, LF, FF, VT
)

var charClass [256]uint8

func init() {
	for c := 'a'; c <= 'z'; c++ {
		charClass[c] |= cIdentStart | cIdentPart
		charClass[c-'a'+'A'] |= cIdentStart | cIdentPart
	}
	charClass['_'] |= cIdentStart | cIdentPart
	for c := '0'; c <= '9'; c++ {
		charClass[c] |= cIdentPart | cDigit | cHex
	}
	for c := 'a'; c <= 'f'; c++ {
		charClass[c] |= cHex
		charClass[c-'a'+'A'] |= cHex
	}
	for _, c := range " \t\r\n\f\v" {
		charClass[c] |= cSpace
	}
}

// isIdentRune reports whether a non-ASCII rune may appear in an identifier
// (DSP0004: U+0080 to U+FFEF).
func isIdentRune(r rune) bool { return r >= 0x80 && r <= 0xFFEF }

// newline records that a line starts at offset off.
func (l *lexer) newline(off int) {
	l.line++
	l.lineStart = off
}

// skipSpace skips white space and comments, reporting an unterminated
// comment and bad UTF-8 inside comments.
func (l *lexer) skipSpace() {
	src := l.src
	for l.off < len(src) {
		c := src[l.off]
		switch {
		case c == '\n':
			l.off++
			l.newline(l.off)
		case c == '\r':
			l.off++
			if l.off < len(src) && src[l.off] == '\n' {
				l.off++
			}
			l.newline(l.off)
		case charClass[c]&cSpace != 0:
			l.off++
		case c == '/' && l.off+1 < len(src) && src[l.off+1] == '/':
			l.off += 2
			for l.off < len(src) && src[l.off] != '\n' && src[l.off] != '\r' {
				if src[l.off] >= 0x80 {
					l.checkRune()
				} else {
					l.off++
				}
			}
		case c == '/' && l.off+1 < len(src) && src[l.off+1] == '*':
			l.blockComment()
		default:
			return
		}
	}
}

// checkRune validates the UTF-8 sequence at l.off, reports an error if it is
// invalid, and advances past it (one byte if invalid). It reports whether
// the sequence was valid.
func (l *lexer) checkRune() bool {
	r, n := utf8.DecodeRune(l.src[l.off:])
	if r == utf8.RuneError && n <= 1 {
		l.errorOff(l.off, "invalid UTF-8 encoding")
		l.off++
		return false
	}
	l.off += n
	return true
}

func (l *lexer) blockComment() {
	src := l.src
	line, col := l.line, l.off-l.lineStart+1
	l.off += 2
	for l.off < len(src) {
		c := src[l.off]
		switch {
		case c == '*' && l.off+1 < len(src) && src[l.off+1] == '/':
			l.off += 2
			return
		case c == '\n':
			l.off++
			l.newline(l.off)
		case c == '\r':
			l.off++
			if l.off < len(src) && src[l.off] == '\n' {
				l.off++
			}
			l.newline(l.off)
		case c >= 0x80:
			l.checkRune()
		default:
			l.off++
		}
	}
	l.errorAt(line, col, "unterminated comment")
}

// next returns the next token.
func (l *lexer) next() token {
	l.skipSpace()
	src := l.src
	t := token{off: l.off, line: l.line, col: l.off - l.lineStart + 1}
	if l.off >= len(src) {
		t.kind = tEOF
		t.end = l.off
		return t
	}
	c := src[l.off]
	switch {
	case charClass[c]&cIdentStart != 0:
		l.off++
		l.identRest()
		t.kind = tIdent
	case charClass[c]&cDigit != 0:
		t.kind, t.base = l.number()
	case c == '+' || c == '-' || c == '.':
		if l.off+1 < len(src) && (charClass[src[l.off+1]]&cDigit != 0 ||
			(c != '.' && src[l.off+1] == '.' && l.off+2 < len(src) && charClass[src[l.off+2]]&cDigit != 0)) {
			t.kind, t.base = l.number()
		} else {
			l.errorOff(l.off, "unexpected %q", c)
			l.off++
			t.kind = tError
		}
	case c == '"':
		t.kind, t.esc = l.quoted('"')
	case c == '\'':
		t.kind, t.esc = l.quoted('\'')
		if t.kind == tString {
			t.kind = tChar
		}
	case c == '$':
		l.off++
		start := l.off
		l.identRest()
		if l.off == start {
			l.errorOff(t.off, "'$' must be followed by an alias name")
			t.kind = tError
		} else {
			t.kind = tAlias
		}
	case c >= 0x80:
		r, n := utf8.DecodeRune(src[l.off:])
		switch {
		case r == utf8.RuneError && n <= 1:
			l.errorOff(l.off, "invalid UTF-8 encoding")
			l.off++
			t.kind = tError
		case isIdentRune(r):
			l.off += n
			l.identRest()
			t.kind = tIdent
		default:
			l.errorOff(l.off, "illegal character %U", r)
			l.off += n
			t.kind = tError
		}
	default:
		l.off++
		switch c {
		case '{':
			t.kind = tLBrace
		case '}':
			t.kind = tRBrace
		case '[':
			t.kind = tLBrack
		case ']':
			t.kind = tRBrack
		case '(':
			t.kind = tLParen
		case ')':
			t.kind = tRParen
		case ';':
			t.kind = tSemi
		case ',':
			t.kind = tComma
		case ':':
			t.kind = tColon
		case '=':
			t.kind = tEq
		case '#':
			t.kind = tHash
		case 0:
			l.errorOff(t.off, "illegal NUL byte (binary file?)")
			t.kind = tError
		default:
			if c < ' ' || c == 0x7f {
				l.errorOff(t.off, "illegal control character %#02x", c)
			} else {
				l.errorOff(t.off, "illegal character %q", c)
			}
			t.kind = tError
		}
	}
	t.end = l.off
	return t
}

// identRest consumes identifier characters.
func (l *lexer) identRest() {
	src := l.src
	for l.off < len(src) {
		c := src[l.off]
		if charClass[c]&cIdentPart != 0 {
			l.off++
			continue
		}
		if c >= 0x80 {
			r, n := utf8.DecodeRune(src[l.off:])
			if isIdentRune(r) && !(r == utf8.RuneError && n <= 1) {
				l.off += n
				continue
			}
		}
		return
	}
}

// number scans a numeric literal with an optional sign:
// decimal, octal (leading 0), hex (0x), binary (suffix b) or real.
func (l *lexer) number() (tokKind, uint8) {
	src := l.src
	start := l.off
	if c := src[l.off]; c == '+' || c == '-' {
		l.off++
	}
	digitsStart := l.off
	kind, base := tInt, uint8(10)
	if src[l.off] == '0' && l.off+1 < len(src) && (src[l.off+1] == 'x' || src[l.off+1] == 'X') {
		l.off += 2
		h := l.off
		for l.off < len(src) && charClass[src[l.off]]&cHex != 0 {
			l.off++
		}
		if l.off == h {
			l.errorOff(start, "hexadecimal literal has no digits")
			l.skipNumberRest()
			return tError, 0
		}
		base = 16
	} else {
		for l.off < len(src) && charClass[src[l.off]]&cDigit != 0 {
			l.off++
		}
		intEnd := l.off
		if l.off < len(src) && src[l.off] == '.' && l.off+1 < len(src) && charClass[src[l.off+1]]&cDigit != 0 {
			kind = tReal
			l.off++
			for l.off < len(src) && charClass[src[l.off]]&cDigit != 0 {
				l.off++
			}
		}
		if l.off < len(src) && (src[l.off] == 'e' || src[l.off] == 'E') {
			e := l.off + 1
			if e < len(src) && (src[e] == '+' || src[e] == '-') {
				e++
			}
			if e < len(src) && charClass[src[e]]&cDigit != 0 {
				kind = tReal
				l.off = e
				for l.off < len(src) && charClass[src[l.off]]&cDigit != 0 {
					l.off++
				}
			}
		}
		if kind == tInt {
			switch {
			case l.off < len(src) && (src[l.off] == 'b' || src[l.off] == 'B') &&
				(l.off+1 >= len(src) || charClass[src[l.off+1]]&cIdentPart == 0):
				for i := digitsStart; i < intEnd; i++ {
					if src[i] != '0' && src[i] != '1' {
						l.errorOff(i, "invalid digit %q in binary literal", src[i])
						l.off++
						return tError, 0
					}
				}
				l.off++
				base = 2
			case src[digitsStart] == '0' && intEnd-digitsStart > 1:
				for i := digitsStart + 1; i < intEnd; i++ {
					if src[i] > '7' {
						l.errorOff(i, "invalid digit %q in octal literal", src[i])
						l.skipNumberRest()
						return tError, 0
					}
				}
				base = 8
			}
		}
	}
	if l.off < len(src) && (charClass[src[l.off]]&cIdentPart != 0 || src[l.off] == '.' || src[l.off] >= 0x80) {
		l.errorOff(l.off, "invalid character %s in numeric literal", quoteByteAt(src, l.off))
		l.skipNumberRest()
		return tError, 0
	}
	return kind, base
}

// skipNumberRest skips the rest of a malformed number.
func (l *lexer) skipNumberRest() {
	for l.off < len(l.src) && (charClass[l.src[l.off]]&cIdentPart != 0 || l.src[l.off] == '.') {
		l.off++
	}
}

func quoteByteAt(src []byte, off int) string {
	r, n := utf8.DecodeRune(src[off:])
	if r == utf8.RuneError && n <= 1 {
		return fmt.Sprintf("%#02x", src[off])
	}
	return fmt.Sprintf("%q", r)
}

// quoted scans a string ('"') or char16 ('\”) literal. Literals end at the
// line; their content is validated as UTF-8 here and unescaped by the
// parser. It returns tString (also for char literals; the caller fixes
// the kind) or tError.
func (l *lexer) quoted(q byte) (tokKind, bool) {
	src := l.src
	start := l.off
	l.off++
	esc := false
	bad := false
	for l.off < len(src) {
		c := src[l.off]
		switch {
		case c == q:
			l.off++
			if bad {
				return tError, esc
			}
			if l.off-start > l.maxString {
				l.errorOff(start, "string literal longer than %d bytes", l.maxString)
				return tError, esc
			}
			return tString, esc
		case c == '\\':
			esc = true
			if l.off+1 < len(src) && src[l.off+1] != '\n' && src[l.off+1] != '\r' {
				l.off += 2
				if src[l.off-1] >= 0x80 {
					l.off-- // let the UTF-8 check see the escaped rune
				}
			} else {
				l.off++
			}
		case c == '\n' || c == '\r':
			goto unterminated
		case c == 0:
			l.errorOff(l.off, "illegal NUL byte in literal (binary file?)")
			bad = true
			l.off++
		case c >= 0x80:
			if !l.checkRune() {
				bad = true
			}
		default:
			l.off++
		}
	}
unterminated:
	if q == '"' {
		l.errorOff(start, "unterminated string literal")
	} else {
		l.errorOff(start, "unterminated char16 literal")
	}
	return tError, esc
}
