package mof

import (
	"strconv"
	"strings"
)

// Pos is a position in a MOF source file. Line and Col are 1-based; Col
// counts bytes of the UTF-8 text (for a UTF-16 file, of the text after
// conversion to UTF-8). The zero Pos means "no position".
type Pos struct {
	File string // file name as given to Parse or ParseFile, or as resolved for an include
	Line int
	Col  int
}

// IsValid reports whether p names a line.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String returns "file:line:col", "file" when p has no line, or "-" for the
// zero Pos.
func (p Pos) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Line))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Col))
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// Error is one error found while reading or parsing MOF. It prints as
// "file:line:col: message" (or "file: message" when the error concerns a
// whole file and has no line, such as an entry file that cannot be opened).
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
	// Err is the underlying error, if any (for example an fs.PathError when
	// a file cannot be read); Unwrap returns it.
	Err error
}

// Pos returns the position of the error.
func (e *Error) Pos() Pos { return Pos{File: e.File, Line: e.Line, Col: e.Col} }

// Error returns "file:line:col: message", or the message alone when the
// error has no position.
func (e *Error) Error() string {
	p := e.Pos()
	if p == (Pos{}) {
		return e.Msg
	}
	return p.String() + ": " + e.Msg
}

// Unwrap returns the underlying error, or nil.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is a list of errors in the order they were found. Parse and
// ParseFile return a non-empty ErrorList as their error.
type ErrorList []*Error

// Error returns the errors one per line.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the errors of the list, so that errors.Is and errors.As see
// each of them.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Err returns l as an error, or nil if l is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// errorSink collects errors for one Parse or ParseFile call, up to a cap.
type errorSink struct {
	list ErrorList
	max  int
	full bool // the cap was reached; parsing stops
}

// add records an error unless an error was already recorded on the same line
// of the same file (follow-on errors are noise) or the cap was reached.
func (s *errorSink) add(p Pos, msg string, err error) {
	if s.full {
		return
	}
	if n := len(s.list); n > 0 && p.Line > 0 {
		last := s.list[n-1]
		if last.File == p.File && last.Line == p.Line {
			return
		}
	}
	if len(s.list) >= s.max {
		s.list = append(s.list, &Error{File: p.File, Line: p.Line, Col: p.Col, Msg: "too many errors"})
		s.full = true
		return
	}
	s.list = append(s.list, &Error{File: p.File, Line: p.Line, Col: p.Col, Msg: msg, Err: err})
}
