package mof

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// intLiteral fills the integer fields of lit from the token text.
func intLiteral(lit *Literal, text []byte, base uint8) {
	lit.Base = int(base)
	digits := text
	if len(digits) > 0 && (digits[0] == '+' || digits[0] == '-') {
		lit.Neg = digits[0] == '-'
		digits = digits[1:]
	}
	switch base {
	case 16:
		digits = digits[2:]
	case 2:
		digits = digits[:len(digits)-1]
	case 8:
		digits = digits[1:]
	}
	var mag uint64
	overflow := false
	b := uint64(base)
	for _, c := range digits {
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		default:
			d = uint64(c-'A') + 10
		}
		if mag > (math.MaxUint64-d)/b {
			overflow = true
			continue
		}
		mag = mag*b + d
	}
	switch {
	case overflow:
		lit.UintOverflow, lit.IntOverflow = true, true
	case lit.Neg:
		lit.UintOverflow = mag != 0
		if mag <= 1<<63 {
			lit.Int = -int64(mag) // -(1<<63) wraps to MinInt64, as wanted
		} else {
			lit.IntOverflow = true
		}
	default:
		lit.Uint = mag
		if mag <= math.MaxInt64 {
			lit.Int = int64(mag)
		} else {
			lit.IntOverflow = true
		}
	}
}

// realLiteral fills the real fields of lit from its Text.
func realLiteral(lit *Literal) error {
	f, err := strconv.ParseFloat(lit.Text, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			lit.Real = f
			lit.RealOverflow = math.IsInf(f, 0)
			return nil
		}
		return err
	}
	lit.Real = f
	return nil
}

// escapeError is an error inside a string or char16 literal at byte offset
// off of the literal's text (which starts with the quote).
type escapeError struct {
	off int
	msg string
}

// unescapeInto appends the content of the quoted literal raw (quotes
// included) to b, resolving escapes. It returns an error for an unknown
// escape, a surrogate that is not part of a pair, or a NUL character.
func unescapeInto(b *strings.Builder, raw []byte) *escapeError {
	s := raw[1 : len(raw)-1]
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '\\' {
			j++
		}
		b.Write(s[i:j])
		if j == len(s) {
			break
		}
		r, n, e := decodeEscape(s, j)
		if e != nil {
			e.off++ // account for the opening quote
			return e
		}
		if r >= 0xD800 && r <= 0xDBFF {
			// A high surrogate: combine with a following low surrogate escape.
			if j+n < len(s) && s[j+n] == '\\' {
				r2, n2, e2 := decodeEscape(s, j+n)
				if e2 == nil && r2 >= 0xDC00 && r2 <= 0xDFFF {
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					n += n2
				}
			}
		}
		if r >= 0xD800 && r <= 0xDFFF {
			return &escapeError{j + 1, "unpaired surrogate in escape sequence " + string(s[j:j+n])}
		}
		if r == 0 {
			return &escapeError{j + 1, "string contains U+0000"}
		}
		b.WriteRune(r)
		i = j + n
	}
	return nil
}

// decodeEscape decodes the escape sequence starting with the backslash at
// s[i]. It returns the character and the length of the sequence.
func decodeEscape(s []byte, i int) (rune, int, *escapeError) {
	if i+1 >= len(s) {
		return 0, 0, &escapeError{i, "incomplete escape sequence"}
	}
	switch c := s[i+1]; c {
	case 'b':
		return '\b', 2, nil
	case 't':
		return '\t', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'f':
		return '\f', 2, nil
	case 'r':
		return '\r', 2, nil
	case '"', '\'', '\\':
		return rune(c), 2, nil
	case 'x', 'X':
		var r rune
		j := i + 2
		for j < len(s) && j < i+6 && charClass[s[j]]&cHex != 0 {
			r = r<<4 | rune(hexVal(s[j]))
			j++
		}
		if j == i+2 {
			return 0, 0, &escapeError{i, "escape sequence \\" + string(c) + " has no hexadecimal digits"}
		}
		return r, j - i, nil
	default:
		r, _ := utf8.DecodeRune(s[i+1:])
		return 0, 0, &escapeError{i, "unknown escape sequence \\" + string(r)}
	}
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// char16Value decodes a char16 literal (quotes included).
func char16Value(raw []byte) (uint16, *escapeError) {
	s := raw[1 : len(raw)-1]
	if len(s) == 0 {
		return 0, &escapeError{0, "empty char16 literal"}
	}
	var r rune
	var n int
	if s[0] == '\\' {
		var e *escapeError
		r, n, e = decodeEscape(s, 0)
		if e != nil {
			e.off++
			return 0, e
		}
	} else {
		r, n = utf8.DecodeRune(s)
	}
	if n != len(s) {
		return 0, &escapeError{0, "char16 literal must hold exactly one character"}
	}
	if r > 0xFFFF {
		return 0, &escapeError{0, "character outside the Basic Multilingual Plane in char16 literal"}
	}
	return uint16(r), nil
}
