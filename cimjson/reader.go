package cimjson

import (
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gowbem/gowbem/status"
)

// maxSkipDepth bounds the nesting of JSON values that Skip and Raw walk
// through, so that hostile input cannot exhaust the stack.
const maxSkipDepth = 256

// Reader is a small pull parser over one JSON document held in memory. It
// never allocates for structure: objects are walked with ObjectStart,
// Key and ObjectNext, arrays with ArrayStart and ArrayNext, and scalars
// are read with the typed methods. The first error sticks: every later
// call returns a zero value, and Err reports it.
//
// A Reader is not safe for concurrent use. The zero Reader reads an empty
// document; Reset points it at data.
//
//	for more := r.ObjectStart(); more; more = r.ObjectNext() {
//		switch string(r.Key()) {
//		case "id":
//			id = r.Uint64()
//		default:
//			r.Skip()
//		}
//	}
type Reader struct {
	data    []byte
	pos     int
	err     error
	scratch []byte
}

// NewReader returns a Reader over data.
func NewReader(data []byte) *Reader { return &Reader{data: data} }

// Reset points the reader at data and clears its error.
func (r *Reader) Reset(data []byte) {
	r.data, r.pos, r.err = data, 0, nil
}

// Err returns the first error met, or nil.
func (r *Reader) Err() error { return r.err }

// Offset returns the byte offset of the reader in its data.
func (r *Reader) Offset() int { return r.pos }

// Fail records err as the reader's error unless one is already set. It
// lets decoders built on a Reader report semantic errors through Err.
func (r *Reader) Fail(err error) {
	if r.err == nil && err != nil {
		r.err = err
	}
}

func (r *Reader) failf(format string, args ...any) {
	if r.err == nil {
		e := status.New(status.WBEM_E_INVALID_PARAMETER, format, args...)
		e.Description = "invalid JSON at offset " + strconv.Itoa(r.pos) + ": " + e.Description
		r.err = e
	}
}

func (r *Reader) skipSpace() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// Peek returns the first byte of the next value (after white space), or
// 0 at the end of the data or after an error.
func (r *Reader) Peek() byte {
	if r.err != nil {
		return 0
	}
	r.skipSpace()
	if r.pos >= len(r.data) {
		return 0
	}
	return r.data[r.pos]
}

// End checks that nothing but white space follows the value just read.
func (r *Reader) End() error {
	if r.err == nil {
		r.skipSpace()
		if r.pos != len(r.data) {
			r.failf("unexpected data after the value")
		}
	}
	return r.err
}

func (r *Reader) expect(c byte) bool {
	if r.Peek() != c {
		if r.err == nil {
			if r.pos >= len(r.data) {
				r.failf("unexpected end of data, want %q", c)
			} else {
				r.failf("unexpected %q, want %q", r.data[r.pos], c)
			}
		}
		return false
	}
	r.pos++
	return true
}

// ObjectStart consumes '{' and reports whether a member follows.
func (r *Reader) ObjectStart() bool {
	if !r.expect('{') {
		return false
	}
	if r.Peek() == '}' {
		r.pos++
		return false
	}
	return r.err == nil
}

// Key reads a member name and the ':' after it. The result aliases the
// data or an internal buffer and is valid until the next call.
func (r *Reader) Key() []byte {
	k := r.StringBytes()
	r.expect(':')
	return k
}

// ObjectNext consumes ',' or '}' after a member value and reports
// whether another member follows.
func (r *Reader) ObjectNext() bool {
	switch r.Peek() {
	case ',':
		r.pos++
		if r.Peek() != '"' {
			r.failf("want a member name after ','")
			return false
		}
		return true
	case '}':
		r.pos++
		return false
	}
	r.failf("want ',' or '}' in object")
	return false
}

// ArrayStart consumes '[' and reports whether an element follows.
func (r *Reader) ArrayStart() bool {
	if !r.expect('[') {
		return false
	}
	if r.Peek() == ']' {
		r.pos++
		return false
	}
	return r.err == nil
}

// ArrayNext consumes ',' or ']' after an element and reports whether
// another element follows.
func (r *Reader) ArrayNext() bool {
	switch r.Peek() {
	case ',':
		r.pos++
		return true
	case ']':
		r.pos++
		return false
	}
	r.failf("want ',' or ']' in array")
	return false
}

// Null consumes a null literal and reports whether there was one.
func (r *Reader) Null() bool {
	if r.Peek() == 'n' {
		if r.literal("null") {
			return true
		}
	}
	return false
}

func (r *Reader) literal(word string) bool {
	if len(r.data)-r.pos >= len(word) && string(r.data[r.pos:r.pos+len(word)]) == word {
		r.pos += len(word)
		return true
	}
	r.failf("invalid literal")
	return false
}

// Bool reads true or false.
func (r *Reader) Bool() bool {
	switch r.Peek() {
	case 't':
		return r.literal("true")
	case 'f':
		r.literal("false")
		return false
	}
	r.failf("want a boolean")
	return false
}

// String reads a string value.
func (r *Reader) String() string {
	b := r.StringBytes()
	if r.err != nil {
		return ""
	}
	return string(b)
}

// StringBytes reads a string value without copying when it holds no
// escapes. The result aliases the data or an internal buffer and is
// valid until the next call. Invalid UTF-8 and unpaired surrogate escapes
// become U+FFFD.
func (r *Reader) StringBytes() []byte {
	if r.Peek() != '"' {
		r.failf("want a string")
		return nil
	}
	r.pos++
	start := r.pos
	ascii := true
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch {
		case c == '"':
			s := r.data[start:r.pos]
			r.pos++
			if ascii || utf8.Valid(s) {
				return s
			}
			r.scratch = appendValidUTF8(r.scratch[:0], s)
			return r.scratch
		case c == '\\':
			return r.slowString(start)
		case c < 0x20:
			r.failf("control character in string")
			return nil
		case c >= utf8.RuneSelf:
			ascii = false
		}
		r.pos++
	}
	r.failf("unterminated string")
	return nil
}

func appendValidUTF8(dst, s []byte) []byte {
	for len(s) > 0 {
		c, n := utf8.DecodeRune(s)
		dst = utf8.AppendRune(dst, c)
		s = s[n:]
	}
	return dst
}

// slowString decodes a string with escapes, from start (just after the
// opening quote), into the scratch buffer.
func (r *Reader) slowString(start int) []byte {
	buf := appendValidUTF8(r.scratch[:0], r.data[start:r.pos])
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch {
		case c == '"':
			r.pos++
			r.scratch = buf
			return buf
		case c < 0x20:
			r.failf("control character in string")
			return nil
		case c != '\\':
			j := r.pos + 1
			for j < len(r.data) && r.data[j] != '"' && r.data[j] != '\\' && r.data[j] >= 0x20 {
				j++
			}
			buf = appendValidUTF8(buf, r.data[r.pos:j])
			r.pos = j
			continue
		}
		if r.pos+1 >= len(r.data) {
			break
		}
		e := r.data[r.pos+1]
		r.pos += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			c1, ok := r.hex4()
			if !ok {
				return nil
			}
			rn := rune(c1)
			if utf16.IsSurrogate(rn) {
				rn = utf8.RuneError
				if c1 < 0xDC00 && r.pos+1 < len(r.data) && r.data[r.pos] == '\\' && r.data[r.pos+1] == 'u' {
					save := r.pos
					r.pos += 2
					c2, ok := r.hex4()
					if !ok {
						return nil
					}
					if d := utf16.DecodeRune(rune(c1), rune(c2)); d != utf8.RuneError {
						rn = d
					} else {
						r.pos = save
					}
				}
			}
			buf = utf8.AppendRune(buf, rn)
		default:
			r.pos -= 2
			r.failf("invalid escape in string")
			return nil
		}
	}
	r.failf("unterminated string")
	return nil
}

func (r *Reader) hex4() (uint16, bool) {
	if r.pos+4 > len(r.data) {
		r.failf("short \\u escape")
		return 0, false
	}
	var v uint16
	for _, c := range r.data[r.pos : r.pos+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			r.failf("invalid \\u escape")
			return 0, false
		}
		v = v<<4 | uint16(c)
	}
	r.pos += 4
	return v, true
}

// Number reads a number and returns its text, checked against the JSON
// grammar.
func (r *Reader) Number() []byte {
	c := r.Peek()
	if c != '-' && (c < '0' || c > '9') {
		r.failf("want a number")
		return nil
	}
	start := r.pos
	i := r.pos
	if r.data[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(r.data) && r.data[i] >= '0' && r.data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(r.data) && r.data[i] == '0' {
		i++
	} else if digits() == 0 {
		r.pos = i
		r.failf("invalid number")
		return nil
	}
	if i < len(r.data) && r.data[i] == '.' {
		i++
		if digits() == 0 {
			r.pos = i
			r.failf("invalid number")
			return nil
		}
	}
	if i < len(r.data) && (r.data[i] == 'e' || r.data[i] == 'E') {
		i++
		if i < len(r.data) && (r.data[i] == '+' || r.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			r.pos = i
			r.failf("invalid number")
			return nil
		}
	}
	r.pos = i
	return r.data[start:i]
}

// Uint64 reads a non-negative integer written as a number or as a decimal
// string.
func (r *Reader) Uint64() uint64 {
	neg, mag, ok := r.integer()
	if !ok {
		return 0
	}
	if neg && mag != 0 {
		r.failf("negative value where an unsigned integer is wanted")
		return 0
	}
	return mag
}

// Int64 reads an integer written as a number or as a decimal string.
func (r *Reader) Int64() int64 {
	neg, mag, ok := r.integer()
	if !ok {
		return 0
	}
	if neg {
		if mag > 1<<63 {
			r.failf("integer out of range")
			return 0
		}
		return -int64(mag)
	}
	if mag > math.MaxInt64 {
		r.failf("integer out of range")
		return 0
	}
	return int64(mag)
}

// integer reads an integer as a sign and a magnitude. Numbers must be
// integral (no fraction or exponent); strings hold decimal digits with an
// optional leading '-'.
func (r *Reader) integer() (neg bool, mag uint64, ok bool) {
	var tok []byte
	if r.Peek() == '"' {
		tok = r.StringBytes()
	} else {
		tok = r.Number()
	}
	if r.err != nil {
		return false, 0, false
	}
	mag, neg, ok = parseDecimal(tok)
	if !ok {
		r.failf("%q is not an integer in range", tok)
	}
	return neg, mag, ok
}

// parseDecimal parses [-]digits into a sign and a magnitude.
func parseDecimal(tok []byte) (mag uint64, neg, ok bool) {
	if len(tok) > 0 && tok[0] == '-' {
		neg = true
		tok = tok[1:]
	}
	if len(tok) == 0 || len(tok) > 20 {
		return 0, false, false
	}
	for _, c := range tok {
		if c < '0' || c > '9' {
			return 0, false, false
		}
		d := uint64(c - '0')
		if mag > (math.MaxUint64-d)/10 {
			return 0, false, false
		}
		mag = mag*10 + d
	}
	return mag, neg, true
}

// Float64 reads a number, or one of the strings "NaN", "Infinity" and
// "-Infinity" (or a number in a string), with the precision of bits (32
// or 64).
func (r *Reader) Float64(bits int) float64 {
	var tok []byte
	if r.Peek() == '"' {
		tok = r.StringBytes()
		switch string(tok) {
		case "NaN":
			return math.NaN()
		case "Infinity", "+Infinity":
			return math.Inf(1)
		case "-Infinity":
			return math.Inf(-1)
		}
	} else {
		tok = r.Number()
	}
	if r.err != nil {
		return 0
	}
	f, err := strconv.ParseFloat(string(tok), bits)
	if err != nil {
		r.failf("%q is not a real%d", tok, bits)
		return 0
	}
	return f
}

// Skip skips one value of any kind.
func (r *Reader) Skip() { r.skip(0) }

func (r *Reader) skip(depth int) {
	if depth > maxSkipDepth {
		r.failf("values nested too deeply")
		return
	}
	switch r.Peek() {
	case '{':
		for more := r.ObjectStart(); more; more = r.ObjectNext() {
			r.StringBytes()
			r.expect(':')
			r.skip(depth + 1)
		}
	case '[':
		for more := r.ArrayStart(); more; more = r.ArrayNext() {
			r.skip(depth + 1)
		}
	case '"':
		r.skipString()
	case 't':
		r.literal("true")
	case 'f':
		r.literal("false")
	case 'n':
		r.literal("null")
	case 0:
		if r.err == nil {
			r.failf("unexpected end of data")
		}
	default:
		r.Number()
	}
}

// skipString skips a string without decoding it.
func (r *Reader) skipString() {
	r.pos++
	for r.pos < len(r.data) {
		switch c := r.data[r.pos]; {
		case c == '"':
			r.pos++
			return
		case c == '\\':
			r.pos += 2
			continue
		case c < 0x20:
			r.failf("control character in string")
			return
		}
		r.pos++
	}
	r.failf("unterminated string")
}

// Raw returns the text of the next value, which it skips. The result
// aliases the data.
func (r *Reader) Raw() []byte {
	r.skipSpace()
	start := r.pos
	r.Skip()
	if r.err != nil {
		return nil
	}
	return r.data[start:r.pos]
}
