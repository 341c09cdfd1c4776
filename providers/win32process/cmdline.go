package win32process

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// SyntaxError reports a command line that SplitCommandLine cannot split.
// Create answers such a command line with ReturnValue 21 (invalid
// parameter).
type SyntaxError struct {
	// Offset is the byte offset of the problem: the opening quote of an
	// unterminated quoted string, or the NUL byte.
	Offset int
	// Msg says what is wrong.
	Msg string
}

// Error returns "command line: <Msg> at offset <Offset>".
func (e *SyntaxError) Error() string {
	return "command line: " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

// isBlank reports whether c separates arguments outside quotes.
func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// SplitCommandLine splits a command line into the program and its
// arguments the way a POSIX shell splits words, without running a shell
// and without any expansion. The rules, exactly:
//
//   - Outside quotes, blanks (space, tab, newline, carriage return,
//     vertical tab, form feed) separate arguments; runs of blanks count
//     as one, and leading and trailing blanks are ignored.
//   - Single quotes: everything up to the next single quote is taken
//     literally, backslashes included.
//   - Double quotes: everything up to the next unescaped double quote is
//     taken literally, except that a backslash before one of " \ $ ` is
//     removed (keeping that character), and a backslash before a newline
//     removes both. Any other backslash is kept, so "C:\Program Files" stays
//     as written.
//   - Outside quotes, a backslash takes the next character literally
//     (a blank, a quote, a backslash...) and is removed; a backslash
//     before a newline removes both; a backslash at the very end is kept.
//   - Quoted and unquoted parts next to each other join into one
//     argument (a"b c"'d' is the single argument ab cd), and a pair of
//     quotes with nothing between them is an empty argument.
//   - Nothing else is special: $VAR, ~, *, ?, ;, |, &, <, > and
//     parentheses are ordinary characters. To use a shell, run one:
//     sh -c 'echo $HOME > out'.
//
// An unterminated quote or a NUL byte (which no argument can hold) is a
// *SyntaxError. A command line of only blanks gives no arguments and no
// error.
func SplitCommandLine(s string) ([]string, error) {
	var (
		args []string
		b    strings.Builder
		in   bool // inside an argument
	)
	end := func() {
		if in {
			args = append(args, b.String())
			b.Reset()
			in = false
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0:
			return nil, &SyntaxError{Offset: i, Msg: "NUL byte"}
		case isBlank(c):
			end()
			i++
		case c == '\'':
			in = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, &SyntaxError{Offset: i, Msg: "unterminated single quote"}
			}
			part := s[i+1 : i+1+j]
			if k := strings.IndexByte(part, 0); k >= 0 {
				return nil, &SyntaxError{Offset: i + 1 + k, Msg: "NUL byte"}
			}
			b.WriteString(part)
			i += j + 2
		case c == '"':
			in = true
			n, err := doubleQuoted(s, i, &b)
			if err != nil {
				return nil, err
			}
			i = n
		case c == '\\':
			in = true
			switch {
			case i+1 == len(s):
				b.WriteByte('\\')
				i++
			case s[i+1] == '\n':
				i += 2
			case s[i+1] == 0:
				return nil, &SyntaxError{Offset: i + 1, Msg: "NUL byte"}
			default:
				_, size := utf8.DecodeRuneInString(s[i+1:])
				b.WriteString(s[i+1 : i+1+size])
				i += 1 + size
			}
		default:
			in = true
			b.WriteByte(c)
			i++
		}
	}
	end()
	return args, nil
}

// doubleQuoted copies the double-quoted string that starts at s[open]
// into b and returns the offset after its closing quote.
func doubleQuoted(s string, open int, b *strings.Builder) (int, error) {
	for i := open + 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return i + 1, nil
		case 0:
			return 0, &SyntaxError{Offset: i, Msg: "NUL byte"}
		case '\\':
			if i+1 < len(s) {
				switch s[i+1] {
				case '"', '\\', '$', '`':
					b.WriteByte(s[i+1])
					i++
					continue
				case '\n':
					i++
					continue
				}
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return 0, &SyntaxError{Offset: open, Msg: "unterminated double quote"}
}

// JoinCommandLine is the inverse of SplitCommandLine: it quotes each
// argument as needed and joins them with spaces, so that
// SplitCommandLine(JoinCommandLine(args)) == args. Arguments made only of
// letters, digits and the characters _ @ % + = : , . / - are written as
// they are; others are put in single quotes, and a single quote inside
// one is written as a quote that ends the quoted part, a backslash and a
// quote, and a quote that starts a new quoted part. The empty argument is
// a pair of single quotes. An argument holding a NUL byte cannot be
// written and is a *SyntaxError (its Offset counts from the start of that
// argument).
func JoinCommandLine(args []string) (string, error) {
	var b strings.Builder
	for n, a := range args {
		if k := strings.IndexByte(a, 0); k >= 0 {
			return "", &SyntaxError{Offset: k, Msg: "argument " + strconv.Itoa(n) + " holds a NUL byte"}
		}
		if n > 0 {
			b.WriteByte(' ')
		}
		if a != "" && isPlain(a) {
			b.WriteString(a)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(a, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String(), nil
}

// isPlain reports whether a needs no quoting.
func isPlain(a string) bool {
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("_@%+=:,./-", c) >= 0:
		default:
			return false
		}
	}
	return true
}
