package mof

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// syntaxCases are valid snippets; their AST dumps are kept in
// testdata/golden/syntax.golden.
var syntaxCases = []struct {
	name string
	src  string
}{
	{"qualifier decl mixed case", `qualifier Foo : boolean = false, scope(any);
QUALIFIER Bar : String[] = {"a", "b"}, Scope(Class, Association, Indication), FLAVOR(EnableOverride, ToSubclass, Translatable);
Qualifier Fixed : uint8[3], Flavor(Restricted);
Qualifier NoScope : sint64 = -1;`},
	{"class features", `[Association, Version("1.0"): ToSubclass Translatable, Description("a" "b")]
class Ex_Assoc as $A : Ex_Base {
	[Key] Ex_Thing REF Antecedent = $thing;
	[Key, Max(1)] Ex_Thing Ref Dependent;
	uInt32 Fixed[5] = {1, 2, 3, 4, 5};
	STRING Names[] = {"x", null};
	datetime When = "20000101000000.000000+000";
	Object Any;
	void Reset();
	string[] List();
	Ex_Thing REF Get([In, Out] Ex_Thing REF p2, [In] string arr[], [In] uint8 n = 3);
	string Class;
};`},
	{"instances", `instance of Ex_A as $a { Name = "a"; };
[Description("i")] instance OF Ex_B {
	Ref = $a;
	Emb = instance of Ex_E { [Key] Id = 1; Inner = instance of Ex_F { x = {1, 2}; }; };
	Embs = {instance of Ex_E { Id = 2; }, $a};
	Empty = {};
	Of = null;
};
instance of Ex_C {};`},
	{"integers", `instance of X {
	a = 0; b = -0; c = +5; d = -5; e = 0x1F; f = -0X1f; g = 101b; h = -11B; i = 017;
	j = 18446744073709551615; k = 18446744073709551616; l = -9223372036854775808;
	m = -9223372036854775809; n = 9223372036854775807; o = 0x8000000000000000; p = 0b;
};`},
	{"reals", `instance of X { a = 1.5e10; b = -.5; c = +0.25; d = 1E-3; e = 2e+5; f = 1e400; g = -1.7976931348623158E+308; };`},
	{"strings and chars", `instance of X {
	s = "a" "b" "c";
	e = "\b\t\n\f\r\"\'\\";
	x = "\x41\X42\x263a\x1-\xD83D\xDE00";
	u = "héllo ✓";
	c1 = 'a'; c2 = '\x0041'; c3 = '\xFFFF'; c4 = '\''; c5 = '\x0'; c6 = 'é';
	b = TRUE; f = False; n = NULL;
};`},
	{"pragmas", `#pragma namespace ("root/x")
#pragma namespace ("\\\\.\\root\\x")
#PRAGMA Locale ("en_US")
#pragma classflags ("forceupdate", "updateonly")
#pragma deleteclass ("Ex_Old", NOFAIL)
#pragma autorecover
#pragma include ("sub/" "file.mof")
#  pragma somethingnew (42, true)`},
	{"comments and odd spacing", "// line comment\n/* block\n comment */class/**/A{string/*x*/B;}; // end\r\nclass\tC\r\n:\r\nA\r\n{\r\n};\rclass D{};"},
	{"unicode identifiers", `class Ex_Café { string Größe; };`},
	{"empty file", ``},
}

func TestSyntaxGolden(t *testing.T) {
	var b strings.Builder
	for _, tc := range syntaxCases {
		f, err := Parse("t.mof", []byte(tc.src), Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		b.WriteString("=== " + tc.name + "\n")
		b.WriteString(dump(f.Productions))
	}
	golden(t, filepath.Join("testdata", "golden", "syntax.golden"), b.String())
}

// TestLiterals checks literal values field by field.
func TestLiterals(t *testing.T) {
	type want struct {
		kind                   LiteralKind
		neg                    bool
		base                   int
		i                      int64
		u                      uint64
		intOverflow, uOverflow bool
		real                   float64
		realOverflow           bool
		str                    string
		char                   uint16
		boolean                bool
	}
	cases := []struct {
		src string
		w   want
	}{
		{"0", want{kind: LitInt, base: 10}},
		{"-0", want{kind: LitInt, base: 10, neg: true}},
		{"+42", want{kind: LitInt, base: 10, i: 42, u: 42}},
		{"-42", want{kind: LitInt, base: 10, neg: true, i: -42, uOverflow: true}},
		{"0x1F", want{kind: LitInt, base: 16, i: 31, u: 31}},
		{"-0x1f", want{kind: LitInt, base: 16, neg: true, i: -31, uOverflow: true}},
		{"101b", want{kind: LitInt, base: 2, i: 5, u: 5}},
		{"017", want{kind: LitInt, base: 8, i: 15, u: 15}},
		{"18446744073709551615", want{kind: LitInt, base: 10, u: math.MaxUint64, intOverflow: true}},
		{"18446744073709551616", want{kind: LitInt, base: 10, intOverflow: true, uOverflow: true}},
		{"-9223372036854775808", want{kind: LitInt, base: 10, neg: true, i: math.MinInt64, uOverflow: true}},
		{"-9223372036854775809", want{kind: LitInt, base: 10, neg: true, intOverflow: true, uOverflow: true}},
		{"0x8000000000000000", want{kind: LitInt, base: 16, u: 1 << 63, intOverflow: true}},
		{"1.5e10", want{kind: LitReal, real: 1.5e10}},
		{"-.5", want{kind: LitReal, real: -0.5}},
		{"1e400", want{kind: LitReal, real: math.Inf(1), realOverflow: true}},
		{`"a" "b"`, want{kind: LitString, str: "ab"}},
		{`"\x41\X263A"`, want{kind: LitString, str: "A☺"}},
		{`"\xD83D\xDE00"`, want{kind: LitString, str: "😀"}},
		{`"\x1Z"`, want{kind: LitString, str: "\x01Z"}},
		{`"\x00410"`, want{kind: LitString, str: "A0"}},
		{`'\xFFFF'`, want{kind: LitChar16, char: 0xFFFF}},
		{`'\x0'`, want{kind: LitChar16}},
		{`'é'`, want{kind: LitChar16, char: 0xE9}},
		{"TRUE", want{kind: LitBool, boolean: true}},
		{"false", want{kind: LitBool}},
		{"Null", want{kind: LitNull}},
	}
	for _, tc := range cases {
		f, err := Parse("t.mof", []byte("instance of X { v = "+tc.src+"; };"), Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		l := f.Productions[0].(*InstanceDecl).Props[0].Value
		w := tc.w
		got := want{kind: l.Kind, neg: l.Neg, base: l.Base, i: l.Int, u: l.Uint, intOverflow: l.IntOverflow, uOverflow: l.UintOverflow,
			real: l.Real, realOverflow: l.RealOverflow, str: l.Str, char: l.Char, boolean: l.Bool}
		if got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.src, got, w)
		}
		if (l.Kind == LitInt || l.Kind == LitReal) && l.Text != tc.src {
			t.Errorf("%s: Text = %q", tc.src, l.Text)
		}
	}
}

// TestErrors checks the exact position and message of errors.
func TestErrors(t *testing.T) {
	deep := func(n int) string {
		var b strings.Builder
		b.WriteString("instance of A {\n")
		for i := 0; i < n; i++ {
			b.WriteString("p = instance of A {\n")
		}
		for i := 0; i < n; i++ {
			b.WriteString("};\n")
		}
		b.WriteString("};\n")
		return b.String()
	}
	deepArrays := "instance of A {\n" + strings.Repeat("p = {instance of A {\n", 40) + strings.Repeat("}};\n", 40) + "};\n"
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"truncated class", "class A {\n  string B;\n", []string{"t.mof:3:1: expected '}' to close class A, found end of file"}},
		{"truncated qualifier", `[Description("x"`, []string{`t.mof:1:17: expected ')' after qualifier value, found end of file`}},
		{"truncated instance", "instance of A {\n p = ", []string{"t.mof:2:6: expected value, found end of file"}},
		{"truncated after class", "class A {}", []string{"t.mof:1:11: expected ';' after class declaration, found end of file"}},
		{"garbage", "@@@ garbage\n", []string{"t.mof:1:1: illegal character '@'"}},
		{"garbage words", "hello world;", []string{`t.mof:1:1: expected class, instance or qualifier declaration or #pragma, found "hello"`}},
		{"binary", "class A\x00\xff\xfe", []string{"t.mof:1:8: illegal NUL byte (binary file?)"}},
		{"invalid utf8 in comment", "// ok\n// \xff\nclass A {};", []string{"t.mof:2:4: invalid UTF-8 encoding"}},
		{"invalid utf8 in string", "instance of A { s = \"a\xc3\"; };", []string{"t.mof:1:23: invalid UTF-8 encoding"}},
		{"unbalanced quote", "[Description(\"abc)]\nclass A {};", []string{"t.mof:1:14: unterminated string literal"}},
		{"unbalanced char quote", "instance of A { c = 'a; };", []string{"t.mof:1:21: unterminated char16 literal"}},
		{"unterminated comment", "class A {};\n/* never closed\nclass B {};", []string{"t.mof:2:1: unterminated comment"}},
		{"unbalanced braces", "class A {\n string B;\n};\n};\n", []string{"t.mof:4:1: expected class, instance or qualifier declaration or #pragma, found '}'"}},
		{"nesting too deep", deep(65), []string{"t.mof:66:5: values nested more than 64 deep"}},
		{"nesting arrays too deep", deepArrays, []string{"t.mof:34:5: values nested more than 64 deep"}},
		{"unknown escape", `instance of A { s = "a\qb"; };`, []string{`t.mof:1:23: unknown escape sequence \q`}},
		{"empty hex escape", `instance of A { s = "\x"; };`, []string{`t.mof:1:22: escape sequence \x has no hexadecimal digits`}},
		{"lone surrogate", `instance of A { s = "\xD800"; };`, []string{`t.mof:1:22: unpaired surrogate in escape sequence \xD800`}},
		{"NUL escape", `instance of A { s = "a\x0"; };`, []string{`t.mof:1:23: string contains U+0000`}},
		{"char16 two chars", `instance of A { c = 'ab'; };`, []string{`t.mof:1:21: char16 literal must hold exactly one character`}},
		{"char16 empty", `instance of A { c = ''; };`, []string{`t.mof:1:21: empty char16 literal`}},
		{"char16 outside BMP", `instance of A { c = '😀'; };`, []string{`t.mof:1:21: character outside the Basic Multilingual Plane in char16 literal`}},
		{"hex without digits", "instance of A { v = 0x; };", []string{"t.mof:1:21: hexadecimal literal has no digits"}},
		{"bad octal", "instance of A { v = 08; };", []string{"t.mof:1:22: invalid digit '8' in octal literal"}},
		{"bad binary", "instance of A { v = 102b; };", []string{"t.mof:1:23: invalid digit '2' in binary literal"}},
		{"junk after number", "instance of A { v = 12abc; };", []string{"t.mof:1:23: invalid character 'a' in numeric literal"}},
		{"lone sign", "instance of A { v = -; };", []string{"t.mof:1:21: unexpected '-'"}},
		{"unknown type", "class A {\n foo x;\n};", []string{`t.mof:2:2: unknown data type "foo" (a reference is written "ClassName REF name")`}},
		{"void property", "class A { void x; };", []string{"t.mof:1:11: void is only allowed as a method return type"}},
		{"void parameter", "class A { uint32 m([in] void x); };", []string{"t.mof:1:25: a parameter cannot be void"}},
		{"missing semicolon", "class A {\n string B\n string C;\n};", []string{`t.mof:3:2: expected ';' after property B, found "string"`}},
		{"nested arrays", "instance of A { v = {1, {2}}; };", []string{"t.mof:1:25: nested arrays are not allowed"}},
		{"bad array size", "class A { string x[-1]; };", []string{"t.mof:1:20: invalid array size -1"}},
		{"include without file", "#pragma include (42)", []string{"t.mof:1:9: #pragma include needs one file name in a string"}},
		{"hash without pragma", "#include \"x.mof\"", []string{`t.mof:1:2: expected pragma after '#', found "include"`}},
		{"qualifier decl bad type", "qualifier Q : widget = 1;", []string{`t.mof:1:15: invalid qualifier type "widget"`}},
		{"qualifier decl bad clause", "qualifier Q : string, Scopes(any);", []string{`t.mof:1:23: expected Scope or Flavor, found "Scopes"`}},
		{"qualifier flavor missing", "[Key: ] class A {};", []string{`t.mof:1:7: expected flavor after ':', found ']'`}},
		{"alias missing name", "instance of A as $ {};", []string{`t.mof:1:18: '$' must be followed by an alias name`}},
		{"as without alias", "instance of A as B {};", []string{`t.mof:1:18: expected alias ($name) after 'as', found "B"`}},
		{"control character", "class A {\x01};", []string{"t.mof:1:10: illegal control character 0x01"}},
		{"several errors recover", "class A {\n foo x;\n uint32 y;\n bar z;\n};\ninstance of A { v = 08; };\n",
			[]string{
				`t.mof:2:2: unknown data type "foo" (a reference is written "ClassName REF name")`,
				`t.mof:4:2: unknown data type "bar" (a reference is written "ClassName REF name")`,
				`t.mof:6:22: invalid digit '8' in octal literal`,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.mof", []byte(tc.src), Options{})
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T is not an ErrorList", err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
			}
		})
	}
}

func TestNestingAtLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("instance of A {\n")
	for i := 0; i < 64; i++ {
		b.WriteString("p = instance of A {\n")
	}
	b.WriteString(strings.Repeat("};\n", 65))
	if _, err := Parse("t.mof", []byte(b.String()), Options{}); err != nil {
		t.Fatalf("64 levels: %v", err)
	}
	if _, err := Parse("t.mof", []byte(b.String()), Options{MaxDepth: 10}); err == nil {
		t.Fatal("MaxDepth 10 not enforced")
	}
}

func TestRecoveryKeepsGoodProductions(t *testing.T) {
	src := "class A {\n foo x;\n uint32 y;\n};\nclass B : A {};\n"
	f, err := Parse("t.mof", []byte(src), Options{})
	if err == nil {
		t.Fatal("no error")
	}
	cs := f.Classes()
	if len(cs) != 2 || cs[0].Name != "A" || len(cs[0].Features) != 1 || cs[0].Features[0].FeatureName() != "y" || cs[1].Super != "A" {
		t.Fatalf("recovered AST wrong:\n%s", dump(f.Productions))
	}
}

func TestErrorCap(t *testing.T) {
	src := strings.Repeat("@\n", 100)
	_, err := Parse("t.mof", []byte(src), Options{MaxErrors: 5})
	list := err.(ErrorList)
	if len(list) != 6 || list[5].Msg != "too many errors" || list[4].Line != 5 {
		t.Fatalf("got %d errors:\n%v", len(list), err)
	}
}

func TestLongString(t *testing.T) {
	const n = 10 << 20
	var b strings.Builder
	b.WriteString("instance of A {\n s = \"")
	b.WriteString(strings.Repeat("x", n/2))
	b.WriteString(`\t`) // forces the unescaping path
	b.WriteString(strings.Repeat("y", n/2))
	b.WriteString("\" \"end\";\n};\n")
	start := time.Now()
	f, err := Parse("big.mof", []byte(b.String()), Options{})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	s := f.Productions[0].(*InstanceDecl).Props[0].Value.Str
	if len(s) != n+1+3 || !strings.HasSuffix(s, "yend") || s[n/2] != '\t' {
		t.Fatalf("string of %d bytes", len(s))
	}
	// Linear time: about 0.05 s here; the bound leaves room for -race and a
	// loaded machine while still catching quadratic behaviour.
	t.Logf("10 MiB string with escapes parsed in %v", elapsed)
	if elapsed > 5*time.Second {
		t.Errorf("10 MiB string took %v", elapsed)
	}
	// The single-literal fast path.
	plain := "instance of A { s = \"" + strings.Repeat("z", n) + "\"; };"
	start = time.Now()
	f, err = Parse("big.mof", []byte(plain), Options{})
	if elapsed := time.Since(start); err != nil || len(f.Productions[0].(*InstanceDecl).Props[0].Value.Str) != n || elapsed > 5*time.Second {
		t.Fatalf("plain 10 MiB string: %v in %v", err, elapsed)
	}

	// Over the limit: a clean error at the literal.
	_, err = Parse("big.mof", []byte(b.String()), Options{MaxStringSize: 1 << 20})
	if err == nil || err.Error() != "big.mof:2:6: string literal longer than 1048576 bytes" {
		t.Fatalf("got %v", err)
	}
	// Adjacent literals adding up past the limit.
	src := "instance of A { s = \"" + strings.Repeat("x", 600) + "\" \"" + strings.Repeat("y", 600) + "\"; };"
	_, err = Parse("t.mof", []byte(src), Options{MaxStringSize: 1000})
	if err == nil || err.Error() != "t.mof:1:21: string longer than 1000 bytes" {
		t.Fatalf("got %v", err)
	}
}

func TestFileTooLarge(t *testing.T) {
	_, err := Parse("t.mof", make([]byte, 2000), Options{MaxFileSize: 1000})
	if err == nil || err.Error() != "t.mof: file is larger than 1000 bytes" {
		t.Fatalf("got %v", err)
	}
}

// TestRandomBytes feeds binary junk: errors with positions, never a panic.
func TestRandomBytes(t *testing.T) {
	seed := uint32(12345)
	for round := 0; round < 200; round++ {
		buf := make([]byte, 1+round*7)
		for i := range buf {
			seed = seed*1664525 + 1013904223
			buf[i] = byte(seed >> 24)
			if seed%5 == 0 {
				buf[i] = 0
			}
		}
		_, err := Parse("bin.mof", buf, Options{})
		if err == nil {
			continue
		}
		for _, e := range err.(ErrorList) {
			if e.File != "bin.mof" || e.Line < 1 || e.Col < 1 {
				t.Fatalf("round %d: error without position: %v", round, e)
			}
		}
	}
}

func TestAccessors(t *testing.T) {
	f, err := Parse("t.mof", []byte(syntaxCases[1].src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := f.Classes()[0]
	if len(c.References()) != 2 || len(c.Properties()) != 5 || len(c.Methods()) != 3 {
		t.Fatalf("%d refs, %d props, %d methods", len(c.References()), len(c.Properties()), len(c.Methods()))
	}
	if c.Position() != (Pos{File: "t.mof", Line: 1, Col: 1}) || c.Features[0].Position().Line != 3 {
		t.Fatalf("positions %v %v", c.Position(), c.Features[0].Position())
	}
	if dt, ok := LookupType("UInt32"); !ok || dt != TypeUint32 || dt.String() != "uint32" {
		t.Fatalf("LookupType(UInt32) = %v, %v", dt, ok)
	}
	if _, ok := LookupType("CIM_Foo"); ok {
		t.Fatal("LookupType(CIM_Foo) ok")
	}
}

func TestNamespaceName(t *testing.T) {
	cases := []struct {
		in   string
		name string
		abs  bool
	}{
		{"root/cimv2", "root/cimv2", true},
		{`\\.\root\cimv2`, "root/cimv2", true},
		{`\\server\ROOT\x`, "ROOT/x", true},
		{"//./root/x/", "root/x", true},
		{`root\default`, "root/default", true},
		{"sub", "sub", false},
		{`sub\deeper`, "sub/deeper", false},
		{"/interop", "interop", true},
	}
	for _, tc := range cases {
		name, abs := NamespaceName(tc.in)
		if name != tc.name || abs != tc.abs {
			t.Errorf("NamespaceName(%q) = %q, %v; want %q, %v", tc.in, name, abs, tc.name, tc.abs)
		}
	}
	// The MOF form of the WMI path, through the parser.
	f, err := Parse("t.mof", []byte(`#pragma namespace ("\\\\.\\root\\x")`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if name, abs := NamespaceName(f.Productions[0].(*Pragma).Value()); name != "root/x" || !abs {
		t.Fatalf("got %q %v", name, abs)
	}
}

// TestInternalErrorNet checks that a bug in the parser (here: a nil intern
// map) is reported as an error rather than crashing the caller.
func TestInternalErrorNet(t *testing.T) {
	o := Options{}.withDefaults()
	errs := &errorSink{max: o.MaxErrors}
	f := &File{Name: "t.mof"}
	parseText(f, []byte("class A {};"), &o, errs, nil)
	if len(errs.list) != 1 || !strings.HasPrefix(errs.list[0].Msg, internalErrorMsg) || errs.list[0].Line != 1 {
		t.Fatalf("got %v", errs.list)
	}
}
