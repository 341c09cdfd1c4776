package mof

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/repository"
)

// mustNotPanic runs compile and fails the test if it panics, if its error
// is not a list of positioned errors, or if a failed compilation changed
// r (whose snapshot before the call is before).
func mustNotPanic(t *testing.T, r *repository.Repository, before string, compile func() error) error {
	t.Helper()
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("Compile panicked: %v", p)
			}
		}()
		err = compile()
	}()
	if err == nil {
		return nil
	}
	for _, e := range firstErrors(t, err) {
		if e.File == "" || e.Msg == "" {
			t.Fatalf("error without a file or message: %#v", e)
		}
	}
	if after := snapshot(t, r); after != before {
		t.Fatalf("failed compilation changed the repository: %s", diffLines(before, after))
	}
	return err
}

func firstErrors(t testing.TB, err error) ErrorList {
	t.Helper()
	var l ErrorList
	if !errors.As(err, &l) || len(l) == 0 {
		t.Fatalf("error %T %q is not an ErrorList", err, err)
	}
	return l
}

// TestCompileTruncated compiles every prefix of a MOF text that uses
// every construct: no panic, every error positioned, and a failure leaves
// the repository as it was. A sample goes through files and Compile.
func TestCompileTruncated(t *testing.T) {
	base := snapshot(t, newBaseRepository(t))
	dir := t.TempDir()
	src := featuresMOF
	step := 1
	if testing.Short() {
		step = 11
	}
	failed := 0
	for n := 0; n <= len(src); n += step {
		prefix := []byte(src[:n])
		r := newBaseRepository(t)
		compile := func() error {
			_, err := CompileSource(r, "cut.mof", prefix, CompileOptions{})
			return err
		}
		if n%23 == 0 {
			paths := writeMOF(t, dir, mofFile{fmt.Sprintf("cut%d.mof", n), string(prefix)})
			compile = func() error {
				_, err := Compile(r, paths, CompileOptions{})
				return err
			}
		}
		if err := mustNotPanic(t, r, base, compile); err != nil {
			failed++
			if e := firstError(t, err); e.Line < 1 || e.Col < 1 {
				t.Fatalf("prefix of %d bytes: error without a line: %v", n, err)
			}
		}
	}
	if failed == 0 {
		t.Error("every prefix compiled")
	}
}

// TestCompileGarbage feeds random bytes and random token soup to Compile.
func TestCompileGarbage(t *testing.T) {
	r := newBaseRepository(t)
	before := snapshot(t, r)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	tokens := []string{"class", "instance", "of", "Qualifier", "#pragma", "namespace", "include", "(", ")", "{", "}",
		"[", "]", ";", ",", ":", "=", "$x", "as", "ref", "REF", "T_Thing", "T_Base", "T_Link", "Id", "Small", "Key",
		"string", "uint8", `"s"`, "'c'", "0x7F", "-1", "1.5e3", "true", "null", "/*", "*/", "//", "\n", " ", `"`, "'",
		`\`, "\x00", "\xff", "\xfe"}
	n := 400
	if testing.Short() {
		n = 60
	}
	for i := range n {
		var b []byte
		if i%2 == 0 {
			b = make([]byte, rng.IntN(400))
			for j := range b {
				b[j] = byte(rng.UintN(256))
			}
		} else {
			var sb strings.Builder
			for range rng.IntN(80) {
				sb.WriteString(tokens[rng.IntN(len(tokens))])
				sb.WriteByte(' ')
			}
			b = []byte(sb.String())
		}
		paths := writeMOF(t, dir, mofFile{fmt.Sprintf("g%d.mof", i), string(b)})
		err := mustNotPanic(t, r, before, func() error {
			_, err := Compile(r, paths, CompileOptions{Namespace: "root/garbage"})
			return err
		})
		if err == nil && r.HasNamespace("root/garbage") {
			// Random text that compiles (empty, or comments only) must
			// not have left anything either.
			before = snapshot(t, r)
		}
	}
}

// TestCompileBadInput checks inputs that must fail cleanly (or, for a
// large string, succeed) without a panic.
func TestCompileBadInput(t *testing.T) {
	t.Run("binary file", func(t *testing.T) {
		r := newBaseRepository(t)
		before := snapshot(t, r)
		exe, err := os.Executable() // the test binary itself
		if err != nil {
			t.Fatal(err)
		}
		err = mustNotPanic(t, r, before, func() error {
			_, err := Compile(r, []string{exe}, CompileOptions{})
			return err
		})
		if err == nil {
			t.Error("the test binary compiled")
		}
		// The start of an ELF file.
		dir := t.TempDir()
		paths := writeMOF(t, dir, mofFile{"elf.mof", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x03\x00>\x00"})
		err = mustNotPanic(t, r, before, func() error {
			_, err := Compile(r, paths, CompileOptions{})
			return err
		})
		if e := firstError(t, err); e.Line != 1 || e.Col != 1 || e.Msg != "illegal control character 0x7f" {
			t.Errorf("error %v, want elf.mof:1:1: illegal control character 0x7f", err)
		}
		// Text with a NUL byte.
		paths = writeMOF(t, dir, mofFile{"nul.mof", "class A {};\n\x00\x01\x02"})
		err = mustNotPanic(t, r, before, func() error {
			_, err := Compile(r, paths, CompileOptions{})
			return err
		})
		if e := firstError(t, err); e.Line != 2 || e.Col != 1 || !strings.Contains(e.Msg, "binary file?") {
			t.Errorf("error %v, want nul.mof:2:1 naming a binary file", err)
		}
		// Bytes that look like UTF-16 but are not.
		paths = writeMOF(t, dir, mofFile{"utf16.mof", "\xff\xfec\x00l\x00\x00\xd8"})
		err = mustNotPanic(t, r, before, func() error {
			_, err := Compile(r, paths, CompileOptions{})
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "invalid UTF-16") {
			t.Errorf("error %v, want invalid UTF-16", err)
		}
	})

	t.Run("10 MB string literal", func(t *testing.T) {
		r := newBaseRepository(t)
		before := snapshot(t, r)
		big := strings.Repeat("0123456789abcdef", 10<<20/16)
		src := "class T_Big {\n    [Key] string K;\n    string S;\n};\ninstance of T_Big {\n    K = \"k\";\n    S = \"" +
			big[:len(big)/2] + "\"\n        \"" + big[len(big)/2:] + "\";\n};\n"
		paths := writeMOF(t, t.TempDir(), mofFile{"big.mof", src})
		// Over the string limit: a positioned error, nothing stored.
		err := mustNotPanic(t, r, before, func() error {
			_, err := Compile(r, paths, CompileOptions{Parse: Options{MaxStringSize: 1 << 20}})
			return err
		})
		if e := firstError(t, err); e.Line != 7 || !strings.Contains(e.Msg, "longer than") {
			t.Errorf("error %v, want one at line 7 about the length", err)
		}
		// Within the default limit (16 MiB): stored intact.
		if _, err := Compile(r, paths, CompileOptions{}); err != nil {
			t.Fatal(err)
		}
		got := mustInstance(t, r, "root/cimv2", `T_Big.K="k"`).Value("S").Text()
		if got != big {
			t.Errorf("stored string has %d bytes, want %d", len(got), len(big))
		}
	})

	t.Run("deep include cycle", func(t *testing.T) {
		r := newBaseRepository(t)
		before := snapshot(t, r)
		dir := t.TempDir()
		const depth = 12
		var files []mofFile
		for i := range depth {
			files = append(files, mofFile{fmt.Sprintf("c%02d.mof", i),
				fmt.Sprintf("class T_C%d { string S; };\n#pragma include (\"c%02d.mof\")\n", i, (i+1)%depth)})
		}
		paths := writeMOF(t, dir, files...)
		err := mustNotPanic(t, r, before, func() error {
			_, err := Compile(r, paths[:1], CompileOptions{})
			return err
		})
		e := firstError(t, err)
		var chain []string
		for i := 0; i <= depth; i++ {
			chain = append(chain, filepath.Join(dir, fmt.Sprintf("c%02d.mof", i%depth)))
		}
		want := "include cycle: " + strings.Join(chain, " -> ")
		if e.Msg != want || e.File != paths[depth-1] || e.Line != 2 || e.Col != 1 {
			t.Errorf("error %v\nwant %s:2:1: %s", err, paths[depth-1], want)
		}
	})

	t.Run("includes nested too deep", func(t *testing.T) {
		r := newBaseRepository(t)
		before := snapshot(t, r)
		dir := t.TempDir()
		var files []mofFile
		for i := range 10 {
			files = append(files, mofFile{fmt.Sprintf("d%d.mof", i), fmt.Sprintf("#pragma include (\"d%d.mof\")\n", i+1)})
		}
		files = append(files, mofFile{"d10.mof", "class T_Deep {};\n"})
		paths := writeMOF(t, dir, files...)
		err := mustNotPanic(t, r, before, func() error {
			_, err := Compile(r, paths[:1], CompileOptions{Parse: Options{MaxIncludeDepth: 5}})
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "includes nested more than 5 deep") {
			t.Errorf("error %v", err)
		}
		if _, err := Compile(r, paths[:1], CompileOptions{}); err != nil {
			t.Errorf("within the default depth: %v", err)
		}
	})

	t.Run("paths with unbalanced quotes", func(t *testing.T) {
		r := newBaseRepository(t)
		before := snapshot(t, r)
		dir := t.TempDir()
		// A missing file whose name has a stray quote.
		missing := filepath.Join(dir, `we"ird.mof`)
		err := mustNotPanic(t, r, before, func() error {
			_, err := Compile(r, []string{missing}, CompileOptions{})
			return err
		})
		if e := firstError(t, err); e.File != missing || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v, want %s: cannot read: no such file", err, missing)
		}
		// Includes whose string is unterminated, or names a file with a
		// quote that does not exist.
		for _, src := range []string{
			"#pragma include (\"sub/unbalanced.mof)\nclass T_X {};\n",
			"#pragma include (\"sub\\\"x.mof\")\nclass T_X {};\n",
			"#pragma include ('x.mof')\n",
			"#pragma include (\"\")\n",
			"#pragma include (\"" + strings.Repeat("../", 200) + "x.mof\")\n",
		} {
			paths := writeMOF(t, dir, mofFile{"inc.mof", src})
			err := mustNotPanic(t, r, before, func() error {
				_, err := Compile(r, paths, CompileOptions{})
				return err
			})
			if e := firstError(t, err); e.File != paths[0] || e.Line != 1 {
				t.Errorf("%q: error %v, want one at %s:1", src, err, paths[0])
			}
		}
		// A file whose name has a quote compiles like any other.
		odd := writeMOF(t, dir, mofFile{`it's "odd.mof`, "class T_Odd {};\n"}, mofFile{"incodd.mof", "#pragma include (\"it's \\\"odd.mof\")\n"})
		if res, err := Compile(r, odd[1:], CompileOptions{}); err != nil || len(res.Classes) != 1 {
			t.Errorf("include of a name with quotes: %v", err)
		}
	})

	t.Run("empty input", func(t *testing.T) {
		r := newBaseRepository(t)
		before := snapshot(t, r)
		for _, src := range []string{"", "// only a comment", "/* unterminated", "\ufeff", ";;;"} {
			paths := writeMOF(t, t.TempDir(), mofFile{"e.mof", src})
			res, err := Compile(r, paths, CompileOptions{})
			if err == nil && (len(res.Classes)+len(res.Instances)+len(res.Qualifiers) != 0 || snapshot(t, r) != before) {
				t.Errorf("%q changed the repository", src)
			}
		}
		if res, err := Compile(r, nil, CompileOptions{}); err != nil || res == nil {
			t.Errorf("no files: %v, %v", res, err)
		}
	})
}
