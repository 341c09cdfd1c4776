package win32process

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSplitCommandLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		err  string // substring of the error; "" for none
		off  int    // error offset
	}{
		{name: "empty", in: "", want: nil},
		{name: "blanks only", in: " \t\r\n\v\f ", want: nil},
		{name: "one word", in: "notepad.exe", want: []string{"notepad.exe"}},
		{name: "words and runs of blanks", in: "  sleep \t 30\n", want: []string{"sleep", "30"}},
		{name: "double quotes group", in: `echo "hello world"`, want: []string{"echo", "hello world"}},
		{name: "single quotes group", in: `echo 'hello world'`, want: []string{"echo", "hello world"}},
		{name: "single quotes keep backslashes", in: `printf 'a\nb\'`, want: []string{"printf", `a\nb\`}},
		{name: "double quotes escapes", in: `x "a\"b\\c\$d\` + "`" + `e"`, want: []string{"x", `a"b\c$d` + "`e"}},
		{name: "double quotes keep other backslashes", in: `run "C:\Program Files\app.exe"`, want: []string{"run", `C:\Program Files\app.exe`}},
		{name: "double quotes line continuation", in: "x \"a\\\nb\"", want: []string{"x", "ab"}},
		{name: "single quote inside double quotes", in: `say "it's"`, want: []string{"say", "it's"}},
		{name: "double quote inside single quotes", in: `say '"hi"'`, want: []string{"say", `"hi"`}},
		{name: "backslash escapes blank", in: `ls my\ file`, want: []string{"ls", "my file"}},
		{name: "backslash escapes quotes", in: `echo \"x\' \\`, want: []string{"echo", `"x'`, `\`}},
		{name: "backslash escapes a multibyte rune", in: `a\é`, want: []string{"aé"}},
		{name: "backslash newline joins", in: "ab\\\ncd ef", want: []string{"abcd", "ef"}},
		{name: "trailing backslash is kept", in: `dir C:\`, want: []string{"dir", `C:\`}},
		{name: "unquoted Windows path loses backslashes", in: `C:\dir\prog`, want: []string{"C:dirprog"}},
		{name: "adjacent parts join", in: `a"b c"'d'e`, want: []string{"ab cde"}},
		{name: "empty arguments", in: `prog "" '' x""`, want: []string{"prog", "", "", "x"}},
		{name: "no expansion", in: `echo $HOME ~ * ; | & > < ( )`, want: []string{"echo", "$HOME", "~", "*", ";", "|", "&", ">", "<", "(", ")"}},
		{name: "sh -c", in: `sh -c 'echo $FOO > out'`, want: []string{"sh", "-c", "echo $FOO > out"}},
		{name: "utf-8", in: "écho '日本' ü", want: []string{"écho", "日本", "ü"}},
		{name: "unterminated double", in: `echo "abc`, err: "unterminated double quote", off: 5},
		{name: "unterminated single", in: `echo x'abc`, err: "unterminated single quote", off: 6},
		{name: "escaped closing quote", in: `echo "abc\"`, err: "unterminated double quote", off: 5},
		{name: "NUL", in: "a\x00b", err: "NUL byte", off: 1},
		{name: "NUL in single quotes", in: "'a\x00'", err: "NUL byte", off: 2},
		{name: "NUL in double quotes", in: "\"a\x00\"", err: "NUL byte", off: 2},
		{name: "NUL after backslash", in: "a\\\x00", err: "NUL byte", off: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitCommandLine(tt.in)
			if tt.err != "" {
				var se *SyntaxError
				if !errors.As(err, &se) || !strings.Contains(se.Msg, tt.err) || se.Offset != tt.off {
					t.Fatalf("SplitCommandLine(%q) = %q, %v; want error %q at %d", tt.in, got, err, tt.err, tt.off)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("SplitCommandLine(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestJoinCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"sleep", "30"}, "sleep 30"},
		{[]string{"/usr/bin/env", "A=b", "x@y:1,2%3+4.5-6_7"}, "/usr/bin/env A=b x@y:1,2%3+4.5-6_7"},
		{[]string{"echo", ""}, "echo ''"},
		{[]string{"echo", "a b"}, "echo 'a b'"},
		{[]string{"echo", "it's"}, `echo 'it'\''s'`},
		{[]string{"x", `$HOME\n"`}, `x '$HOME\n"'`},
	}
	for _, tt := range tests {
		got, err := JoinCommandLine(tt.args)
		if err != nil || got != tt.want {
			t.Errorf("JoinCommandLine(%q) = %q, %v; want %q", tt.args, got, err, tt.want)
		}
		back, err := SplitCommandLine(got)
		if err != nil || !slices.Equal(back, tt.args) {
			t.Errorf("SplitCommandLine(%q) = %q, %v; want %q", got, back, err, tt.args)
		}
	}
	var se *SyntaxError
	if _, err := JoinCommandLine([]string{"ok", "a\x00b"}); !errors.As(err, &se) || se.Offset != 1 {
		t.Errorf("NUL argument: %v", err)
	}
}

// FuzzSplitCommandLine checks that SplitCommandLine never panics, never
// returns an argument holding NUL, and that JoinCommandLine gives back
// a command line that splits into the same arguments. Seeds are in
// testdata/fuzz/FuzzSplitCommandLine.
func FuzzSplitCommandLine(f *testing.F) {
	f.Add(`sh -c 'echo "$FOO" > out'`)
	f.Fuzz(func(t *testing.T, s string) {
		args, err := SplitCommandLine(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset >= len(s) {
				t.Fatalf("SplitCommandLine(%q): bad error %v", s, err)
			}
			return
		}
		if !strings.ContainsAny(s, "'\"\\") {
			if want := strings.FieldsFunc(s, func(r rune) bool { return r < 0x80 && isBlank(byte(r)) }); !slices.Equal(args, want) {
				t.Fatalf("SplitCommandLine(%q) = %q; without quotes want %q", s, args, want)
			}
		}
		for _, a := range args {
			if strings.IndexByte(a, 0) >= 0 {
				t.Fatalf("SplitCommandLine(%q) gave an argument with NUL: %q", s, a)
			}
		}
		line, err := JoinCommandLine(args)
		if err != nil {
			t.Fatalf("JoinCommandLine(%q): %v", args, err)
		}
		back, err := SplitCommandLine(line)
		if err != nil || !slices.Equal(back, args) {
			t.Fatalf("round trip of %q: %q -> %q -> %q, %v", s, args, line, back, err)
		}
	})
}
