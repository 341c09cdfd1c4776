package mof

import (
	"unicode/utf16"
	"unicode/utf8"
)

// decodeText returns the UTF-8 text of a MOF file. A UTF-8 byte-order mark
// is dropped; UTF-16 (little or big endian) with a byte-order mark, or
// without one when the first two characters are ASCII, is converted to
// UTF-8. UTF-8 is validated later by the lexer, which reports the exact
// position of a bad byte. For bad UTF-16 it returns an error positioned in
// the converted text.
func decodeText(name string, src []byte) ([]byte, *Error) {
	switch {
	case len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF:
		return src[3:], nil
	case len(src) >= 4 && src[0] == 0xFF && src[1] == 0xFE && src[2] == 0 && src[3] == 0,
		len(src) >= 4 && src[0] == 0 && src[1] == 0 && src[2] == 0xFE && src[3] == 0xFF:
		return nil, &Error{File: name, Line: 1, Col: 1, Msg: "UTF-32 encoding is not supported"}
	case len(src) >= 2 && src[0] == 0xFF && src[1] == 0xFE:
		return fromUTF16(name, src[2:], false)
	case len(src) >= 2 && src[0] == 0xFE && src[1] == 0xFF:
		return fromUTF16(name, src[2:], true)
	case len(src) >= 4 && src[0] != 0 && src[1] == 0 && src[2] != 0 && src[3] == 0 && src[0] < 0x80 && src[2] < 0x80:
		return fromUTF16(name, src, false)
	case len(src) >= 4 && src[0] == 0 && src[1] != 0 && src[2] == 0 && src[3] != 0 && src[1] < 0x80 && src[3] < 0x80:
		return fromUTF16(name, src, true)
	}
	return src, nil
}

// fromUTF16 converts UTF-16 to UTF-8.
func fromUTF16(name string, src []byte, bigEndian bool) ([]byte, *Error) {
	out := make([]byte, 0, len(src)/2+len(src)/8+4)
	line, lineStart := 1, 0
	errAt := func(msg string) *Error {
		return &Error{File: name, Line: line, Col: len(out) - lineStart + 1, Msg: msg}
	}
	unit := func(i int) rune {
		if bigEndian {
			return rune(src[i])<<8 | rune(src[i+1])
		}
		return rune(src[i+1])<<8 | rune(src[i])
	}
	n := len(src) &^ 1
	for i := 0; i < n; i += 2 {
		r := unit(i)
		switch {
		case r < 0x80:
			out = append(out, byte(r))
			// Count lines as the lexer does: LF, CRLF or a lone CR.
			if r == '\n' || (r == '\r' && !(i+2 < n && unit(i+2) == '\n')) {
				line++
				lineStart = len(out)
			}
			continue
		case utf16.IsSurrogate(r):
			if r < 0xDC00 && i+3 < n {
				if r2 := unit(i + 2); r2 >= 0xDC00 && r2 <= 0xDFFF {
					out = utf8.AppendRune(out, utf16.DecodeRune(r, r2))
					i += 2
					continue
				}
			}
			return nil, errAt("invalid UTF-16: unpaired surrogate")
		}
		out = utf8.AppendRune(out, r)
	}
	if len(src)%2 != 0 {
		return nil, errAt("invalid UTF-16: odd number of bytes")
	}
	return out, nil
}
