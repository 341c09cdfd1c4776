package cim

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// The golden files are rewritten with `go test ./cim -run Path -update`.
// The flag is registered here only if no other test file of the package
// has registered it already (package-level flag variables are initialised
// before init functions run).
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata")
	}
}

func pathUpdateGolden() bool {
	f := flag.Lookup("update")
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	b, _ := g.Get().(bool)
	return b
}

func pkv(kind KeyKind, text string) KeyValue { return KeyValue{Kind: kind, Text: text} }

func pkb(name string, kind KeyKind, text string) KeyBinding {
	return KeyBinding{Name: name, Value: pkv(kind, text)}
}

// pathWantErr checks that err is a *PathError with the given code and
// position (pos < 0: any position).
func pathWantErr(t *testing.T, in string, err error, code uint32, pos int) {
	t.Helper()
	var pe *PathError
	if !errors.As(err, &pe) {
		t.Fatalf("parse %q: error = %v, want *PathError with code %#x", in, err, code)
	}
	if pe.Code != code {
		t.Errorf("parse %q: code = %#x, want %#x (%v)", in, pe.Code, code, pe)
	}
	if pos >= 0 && pe.Pos != pos {
		t.Errorf("parse %q: pos = %d, want %d (%v)", in, pe.Pos, pos, pe)
	}
	if pe.Pos < 0 || pe.Pos > len(in) {
		t.Errorf("parse %q: pos %d outside the input", in, pe.Pos)
	}
	if pe.Path != in {
		t.Errorf("parse %q: PathError.Path = %q", in, pe.Path)
	}
	if !strings.Contains(pe.Error(), "at offset "+strconv.Itoa(pe.Pos)+": ") {
		t.Errorf("parse %q: Error() = %q lacks the offset", in, pe.Error())
	}
}

type pathCase struct {
	name string
	in   string
	want *ObjectPath // nil: an error is expected
	code uint32
	pos  int
}

// pathVectors holds the test vectors of WMI-METHODS.md §6.7 (and the forms
// of §6.1). Rows whose expected result needs engine context (the bound
// namespace, whether a server is local) check what the parser reports for
// the engine to decide on; their names say so.
var pathVectors = []pathCase{
	{name: "6.7/class path", in: `Win32_Process`,
		want: &ObjectPath{Class: "Win32_Process"}},
	{name: "6.7/string key", in: `Win32_Process.Handle="1234"`,
		want: &ObjectPath{Class: "Win32_Process", Keys: []KeyBinding{pkb("Handle", KeyString, "1234")}}},
	{name: "6.7/unnamed single key (engine resolves to DeviceID)", in: `Win32_LogicalDisk="C:"`,
		want: &ObjectPath{Class: "Win32_LogicalDisk", Keys: []KeyBinding{pkb("", KeyString, "C:")}}},
	{name: "6.7/whitespace around = (P1)", in: `Win32_LogicalDisk = "C:"`,
		code: pathCodeInvalidObjectPath, pos: 17},
	{name: "6.7/single-quoted unnamed key (engine resolves to Name)", in: `Win32_Service='Alerter'`,
		want: &ObjectPath{Class: "Win32_Service", Keys: []KeyBinding{pkb("", KeyString, "Alerter")}}},
	{name: "6.7/multiple keys", in: `MyClass.IntVal=33,StrVal="AAA"`,
		want: &ObjectPath{Class: "MyClass", Keys: []KeyBinding{pkb("IntVal", KeyInt, "33"), pkb("StrVal", KeyString, "AAA")}}},
	{name: "6.7/singleton", in: `__SystemSecurity=@`,
		want: &ObjectPath{Class: "__SystemSecurity", Singleton: true}},
	{name: "6.7/local full path (engine: bound to root\\cimv2, ok)", in: `\\.\root\cimv2:Win32_Process.Handle="4"`,
		want: &ObjectPath{Server: ".", Namespace: "root/cimv2", Class: "Win32_Process", Keys: []KeyBinding{pkb("Handle", KeyString, "4")}}},
	{name: "6.7/forward slashes", in: `//./root/cimv2:Win32_Process`,
		want: &ObjectPath{Server: ".", Namespace: "root/cimv2", Class: "Win32_Process"}},
	{name: "6.7/remote server (engine: WBEM_E_NOT_SUPPORTED)", in: `\\OTHERHOST\root\cimv2:Win32_Process`,
		want: &ObjectPath{Server: "OTHERHOST", Namespace: "root/cimv2", Class: "Win32_Process"}},
	{name: "6.7/foreign namespace (engine: WBEM_E_INVALID_NAMESPACE)", in: `\\.\root\default:Win32_Process`,
		want: &ObjectPath{Server: ".", Namespace: "root/default", Class: "Win32_Process"}},
	{name: "6.7/namespace path without colon (P11)", in: `\\.\root\cimv2`,
		code: pathCodeInvalidObjectPath, pos: 14},
	{name: "6.7/escaped backslash", in: `Win32_Directory.Name="c:\\windows"`,
		want: &ObjectPath{Class: "Win32_Directory", Keys: []KeyBinding{pkb("Name", KeyString, `c:\windows`)}}},
	{name: "6.7/invalid escape (DD-19)", in: `Win32_Directory.Name="c:\windows"`,
		code: pathCodeInvalidObjectPath, pos: 24},
	{name: "6.7/escaped quote", in: `Foo.Bar="a\"b"`,
		want: &ObjectPath{Class: "Foo", Keys: []KeyBinding{pkb("Bar", KeyString, `a"b`)}}},
	{name: "6.7/hex integer (DD-20)", in: `X.K=0x10`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyInt, "16")}}},
	{name: "6.7/boolean", in: `X.Flag=true`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("Flag", KeyBool, "TRUE")}}},

	// §6.1 forms not covered above.
	{name: "6.1/full instance path", in: `\\Machine1\root\cimv2:Win32_LogicalDisk.DeviceID="C:"`,
		want: &ObjectPath{Server: "Machine1", Namespace: "root/cimv2", Class: "Win32_LogicalDisk", Keys: []KeyBinding{pkb("DeviceID", KeyString, "C:")}}},
	{name: "6.1/full class path keeps spelling", in: `\\Admin\Root\CimV2:Win32_LogicalDisk`,
		want: &ObjectPath{Server: "Admin", Namespace: "Root/CimV2", Class: "Win32_LogicalDisk"}},
	{name: "6.1/namespace without server", in: `root\cimv2:Win32_Process`,
		want: &ObjectPath{Namespace: "root/cimv2", Class: "Win32_Process"}},
	{name: "6.1/unnamed integer key", in: `ComPort=2`,
		want: &ObjectPath{Class: "ComPort", Keys: []KeyBinding{pkb("", KeyInt, "2")}}},
	{name: "6.1/two integer keys", in: `MyOtherClass.FirstKey=1,SecondKey=2`,
		want: &ObjectPath{Class: "MyOtherClass", Keys: []KeyBinding{pkb("FirstKey", KeyInt, "1"), pkb("SecondKey", KeyInt, "2")}}},
	{name: "6.1/mixed separators", in: `\/.\root/cimv2:X`,
		want: &ObjectPath{Server: ".", Namespace: "root/cimv2", Class: "X"}},

	// Lexical details.
	{name: "lex/negative integer", in: `X.K=-5`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyInt, "-5")}}},
	{name: "lex/plus sign and leading zeros", in: `X.K=+007`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyInt, "7")}}},
	{name: "lex/negative zero", in: `X.K=-000`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyInt, "0")}}},
	{name: "lex/negative leading zeros", in: `X.K=-0042`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyInt, "-42")}}},
	{name: "lex/max uint64", in: `X.K=18446744073709551615`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyInt, "18446744073709551615")}}},
	{name: "lex/min int64", in: `X.K=-9223372036854775808`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyInt, "-9223372036854775808")}}},
	{name: "lex/max hex", in: `X.K=0XFFFFFFFFFFFFFFFF`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyInt, "18446744073709551615")}}},
	{name: "lex/real", in: `X.K=1.5`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyReal, "1.5")}}},
	{name: "lex/real exponent", in: `X.K=-2.50E+3`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyReal, "-2500.0")}}},
	{name: "lex/real fraction only", in: `X.K=.25`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyReal, "0.25")}}},
	{name: "lex/false any case", in: `X.K=fAlSe`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyBool, "FALSE")}}},
	{name: "lex/single quotes with escapes", in: `X.K='it\'s \\ "ok"'`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyString, `it's \ "ok"`)}}},
	{name: "lex/whitespace and separators inside quotes", in: `X.K=" a, b=c:d\\e/f "`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyString, ` a, b=c:d\e/f `)}}},
	{name: "lex/empty string", in: `X.K=""`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyString, "")}}},
	{name: "lex/unicode string", in: `X.K="日本語 🙂"`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyString, "日本語 🙂")}}},
	{name: "lex/percent not decoded (P14)", in: `X.K="a%20b"`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyString, "a%20b")}}},
	{name: "lex/datetime stays a string", in: `X.K="20240101000000.000000+000"`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyString, "20240101000000.000000+000")}}},
	{name: "lex/system class", in: `__Namespace.Name="cimv2"`,
		want: &ObjectPath{Class: "__Namespace", Keys: []KeyBinding{pkb("Name", KeyString, "cimv2")}}},
	{name: "lex/server with dots and dashes", in: `\\my-host.example_1.com\root:X`,
		want: &ObjectPath{Server: "my-host.example_1.com", Namespace: "root", Class: "X"}},

	// Errors.
	{name: "err/empty path (P13)", in: ``, code: pathCodeInvalidParameter, pos: 0},
	{name: "err/leading space", in: ` X`, code: pathCodeInvalidObjectPath, pos: 0},
	{name: "err/trailing space", in: `X.K=1 `, code: pathCodeInvalidObjectPath, pos: 5},
	{name: "err/space after comma", in: `X.A=1, B=2`, code: pathCodeInvalidObjectPath, pos: 6},
	{name: "err/space in namespace", in: `root\ cimv2:X`, code: pathCodeInvalidObjectPath, pos: 5},
	{name: "err/unterminated string", in: `X.K="abc`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/unterminated single quote", in: `X.K='abc"`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/lone backslash at end of string", in: `X.K="abc\`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/escaped single quote in double quotes", in: `X.K="it\'s"`, code: pathCodeInvalidObjectPath, pos: 7},
	{name: "err/escaped double quote in single quotes", in: `X.K='a\"b'`, code: pathCodeInvalidObjectPath, pos: 6},
	{name: "err/missing colon after namespace (P11)", in: `root\cimv2`, code: pathCodeInvalidObjectPath, pos: 10},
	{name: "err/server without terminator (P11)", in: `\\.`, code: pathCodeInvalidObjectPath, pos: 3},
	{name: "err/server only", in: `\\server\`, code: pathCodeInvalidObjectPath, pos: 9},
	{name: "err/empty server", in: `\\\root:X`, code: pathCodeInvalidObjectPath, pos: 2},
	{name: "err/single leading separator", in: `\root:X`, code: pathCodeInvalidObjectPath, pos: 0},
	{name: "err/empty namespace segment", in: `root\\cimv2:X`, code: pathCodeInvalidObjectPath, pos: 5},
	{name: "err/trailing namespace separator", in: `root\cimv2\:X`, code: pathCodeInvalidObjectPath, pos: 10},
	{name: "err/missing namespace after server", in: `\\.\:X`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/missing class", in: `root:`, code: pathCodeInvalidObjectPath, pos: 5},
	{name: "err/class starts with digit", in: `1X`, code: pathCodeInvalidObjectPath, pos: 0},
	{name: "err/colon without namespace", in: `:X`, code: pathCodeInvalidObjectPath, pos: 0},
	{name: "err/two colons", in: `root:a:X`, code: pathCodeInvalidObjectPath, pos: 6},
	{name: "err/dot without keys", in: `X.`, code: pathCodeInvalidObjectPath, pos: 2},
	{name: "err/missing value", in: `X.K=`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/missing value before comma", in: `X.K=,L=1`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/missing =", in: `X.K`, code: pathCodeInvalidObjectPath, pos: 3},
	{name: "err/trailing comma", in: `X.K=1,`, code: pathCodeInvalidObjectPath, pos: 6},
	{name: "err/duplicate key", in: `X.K=1,k=2`, code: pathCodeInvalidObjectPath, pos: 6},
	{name: "err/at as key value", in: `X.K=@`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/garbage after singleton", in: `X=@@`, code: pathCodeInvalidObjectPath, pos: 3},
	{name: "err/two unnamed values", in: `X="a","b"`, code: pathCodeInvalidObjectPath, pos: 5},
	{name: "err/bare word value", in: `X.K=abc`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/uint64 overflow", in: `X.K=18446744073709551616`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/int64 underflow", in: `X.K=-9223372036854775809`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/hex overflow", in: `X.K=0x10000000000000000`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/signed hex", in: `X.K=-0x10`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/empty hex", in: `X.K=0x`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/real without fraction digits", in: `X.K=1.`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/real overflow", in: `X.K=1e999`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/quote after number", in: `X.K=1"a"`, code: pathCodeInvalidObjectPath, pos: 4},
	{name: "err/text after quoted value", in: `X.K="a"b`, code: pathCodeInvalidObjectPath, pos: 7},
	{name: "err/invalid UTF-8", in: "X.K=\"a\xffb\"", code: pathCodeInvalidObjectPath, pos: 6},
	{name: "err/NUL", in: "X.K=\"a\x00b\"", code: pathCodeInvalidObjectPath, pos: 6},
	{name: "err/non-ASCII class name", in: `Klasse_Ä`, code: pathCodeInvalidObjectPath, pos: 7},
	{name: "err/class name too wide (P12)", in: strings.Repeat("C", 256),
		code: pathCodeClassNameTooBig, pos: 0},
	{name: "err/key name too wide (P12)", in: "X.A=1," + strings.Repeat("K", 256) + "=1",
		code: pathCodePropertyNameTooBig, pos: 6},
	{name: "err/path too long (P12)", in: `X.K="` + strings.Repeat("a", 8190) + `"`,
		code: pathCodeInvalidObjectPath, pos: 8192},
	{name: "err/path too long in UTF-16 units", in: `X.K="` + strings.Repeat("🙂", 4094) + `"`,
		code: pathCodeInvalidObjectPath, pos: 5 + 4*4093},
	{name: "err/URI authority in WMI form", in: `//host:5988/root:X`, code: pathCodeInvalidObjectPath, pos: 6},

	// Limits that pass.
	{name: "limit/class name of 255", in: strings.Repeat("C", 255),
		want: &ObjectPath{Class: strings.Repeat("C", 255)}},
	{name: "limit/path of 8192", in: `X.K="` + strings.Repeat("a", 8186) + `"`,
		want: &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("K", KeyString, strings.Repeat("a", 8186))}}},
}

func TestParsePathVectors(t *testing.T) {
	for _, tc := range pathVectors {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePath(tc.in)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("ParsePath(%q) = %+v, want error %#x", tc.in, p, tc.code)
				}
				if p != nil {
					t.Errorf("ParsePath(%q) returned a path with an error", tc.in)
				}
				pathWantErr(t, tc.in, err, tc.code, tc.pos)
				return
			}
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(p, tc.want) {
				t.Fatalf("ParsePath(%q)\n got %+v\nwant %+v", tc.in, p, tc.want)
			}
			pathCheckRoundTrip(t, p)
		})
	}
}

// pathCheckRoundTrip formats p in both forms and parses the results again.
func pathCheckRoundTrip(t *testing.T, p *ObjectPath) {
	t.Helper()
	rel := p.RelPath()
	for _, form := range []struct {
		name   string
		format func(*ObjectPath) string
		parse  func(string) (*ObjectPath, error)
	}{
		{"String", (*ObjectPath).String, ParsePath},
		{"RelPath", (*ObjectPath).RelPath, ParsePath},
		{"URI", (*ObjectPath).URI, ParseURI},
	} {
		s := form.format(p)
		q, err := form.parse(s)
		if err != nil {
			t.Fatalf("%s() = %q does not parse: %v", form.name, s, err)
		}
		if !p.Equal(q) || !q.Equal(p) {
			t.Fatalf("%s() = %q parses to %+v, not equal to %+v", form.name, s, q, p)
		}
		if got := q.RelPath(); got != rel {
			t.Fatalf("%s() = %q: RelPath %q after parsing, %q before", form.name, s, got, rel)
		}
		if again := form.format(q); again != s {
			t.Fatalf("%s() not stable: %q then %q", form.name, s, again)
		}
	}
}

// The REF example of §6.1: the key values are full paths, quoted with their
// own '\' and '"' escaped; they parse again as paths.
func TestPathRefKeys(t *testing.T) {
	const in = `Win32_LogicalDiskToPartition.Antecedent="\\\\PC\\root\\cimv2:Win32_DiskPartition.DeviceID=\"Disk #0, Partition #1\"",Dependent="\\\\PC\\root\\cimv2:Win32_LogicalDisk.DeviceID=\"C:\""`
	p, err := ParsePath(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Keys) != 2 {
		t.Fatalf("keys = %+v", p.Keys)
	}
	if got := p.RelPath(); got != in {
		t.Fatalf("RelPath()\n got %s\nwant %s", got, in)
	}
	wantRefs := map[string]*ObjectPath{
		"antecedent": {Server: "PC", Namespace: "root/cimv2", Class: "Win32_DiskPartition",
			Keys: []KeyBinding{pkb("DeviceID", KeyString, "Disk #0, Partition #1")}},
		"DEPENDENT": {Server: "PC", Namespace: "root/cimv2", Class: "Win32_LogicalDisk",
			Keys: []KeyBinding{pkb("DeviceID", KeyString, "C:")}},
	}
	for name, want := range wantRefs {
		v, ok := p.Key(name)
		if !ok || v.Kind != KeyString {
			t.Fatalf("Key(%q) = %+v, %v", name, v, ok)
		}
		ref, err := ParsePath(v.Text)
		if err != nil {
			t.Fatalf("key %s = %q does not parse: %v", name, v.Text, err)
		}
		if !reflect.DeepEqual(ref, want) {
			t.Fatalf("key %s parses to %+v, want %+v", name, ref, want)
		}
		if ref.String() != v.Text {
			t.Fatalf("key %s: String() = %q, want %q", name, ref.String(), v.Text)
		}
	}
	q, err := ParsePath(p.RelPath())
	if err != nil || !p.Equal(q) {
		t.Fatalf("RelPath does not round trip: %v", err)
	}

	// Typed as references (as the engine does), differently spelled inner
	// paths compare as paths.
	typed := p.Clone()
	for i := range typed.Keys {
		typed.Keys[i].Value.Kind = KeyRef
	}
	other, err := ParsePath(`Win32_LogicalDiskToPartition.Dependent='//pc/ROOT/CIMV2:win32_logicaldisk="c:"',Antecedent="\\\\PC\\root\\cimv2:Win32_DiskPartition.DeviceID='Disk #0, Partition #1'"`)
	if err != nil {
		t.Fatal(err)
	}
	if !typed.Equal(other) || !other.Equal(typed) {
		t.Fatalf("typed reference keys do not compare as paths")
	}
	if p.Equal(other) {
		t.Fatalf("untyped string keys compared as paths")
	}
	if got := typed.RelPath(); got != in {
		t.Fatalf("RelPath of KeyRef keys = %s", got)
	}
}

// §6.4: connection-level namespace strings.
func TestPathParseNamespace(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		server   string
		ns       string
		code     uint32 // 0: success
		pos      int
		serverOn bool // the server is reported despite the error
	}{
		{name: "ROOT\\CIMV2", in: `ROOT\CIMV2`, ns: "ROOT/CIMV2"},
		{name: "ROOT/CIMV2", in: `ROOT/CIMV2`, ns: "ROOT/CIMV2"},
		{name: "root\\default", in: `root\default`, ns: "root/default"},
		{name: "ROOT", in: `ROOT`, ns: "ROOT"},
		{name: `\\.\ROOT`, in: `\\.\ROOT`, server: ".", ns: "ROOT"},
		{name: `//.\ROOT`, in: `//.\ROOT`, server: ".", ns: "ROOT"},
		{name: `\\./ROOT`, in: `\\./ROOT`, server: ".", ns: "ROOT"},
		{name: `//./ROOT`, in: `//./ROOT`, server: ".", ns: "ROOT"},
		{name: `\/.\ROOT`, in: `\/.\ROOT`, server: ".", ns: "ROOT"},
		{name: `\\localhost\ROOT`, in: `\\localhost\ROOT`, server: "localhost", ns: "ROOT"},
		{name: `\\LOCALHOST\ROOT`, in: `\\LOCALHOST\ROOT`, server: "LOCALHOST", ns: "ROOT"},
		{name: "empty", in: ``, code: pathCodeInvalidNamespace, pos: 0},
		{name: `\`, in: `\`, code: pathCodeInvalidNamespace, pos: 0},
		{name: `\\`, in: `\\`, code: pathCodeInvalidNamespace, pos: 2},
		{name: `\\.`, in: `\\.`, server: ".", code: pathCodeInvalidNamespace, pos: 3, serverOn: true},
		{name: `\ROOT`, in: `\ROOT`, code: pathCodeInvalidNamespace, pos: 0},
		// NONE, ROOT\NONE, \\.\NONE and root\cimv0 are WBEM_E_INVALID_NAMESPACE
		// on Windows because they do not exist: the engine checks that.
		{name: "NONE (engine: does not exist)", in: `NONE`, ns: "NONE"},
		{name: "ROOT\\NONE (engine: does not exist)", in: `ROOT\NONE`, ns: "ROOT/NONE"},
		{name: "\\\\.\\NONE (engine: does not exist)", in: `\\.\NONE`, server: ".", ns: "NONE"},
		{name: "root\\cimv0 (engine: does not exist)", in: `root\cimv0`, ns: "root/cimv0"},
		{name: `\\.\`, in: `\\.\`, server: ".", code: pathCodeInvalidNamespace, pos: 4, serverOn: true},
		{name: "empty segment", in: `ROOT\\CIMV2`, code: pathCodeInvalidNamespace, pos: 5},
		{name: "trailing separator", in: `ROOT\CIMV2\`, code: pathCodeInvalidNamespace, pos: 10},
		{name: `\\\.\ROOT`, in: `\\\.\ROOT`, code: pathCodeInvalidParameter, pos: 2},
		// \\ROOT and \\.ROOT are server names (RPC_S_SERVER_UNAVAILABLE on
		// Windows): the server is reported for the engine to reject first.
		{name: `\\ROOT (engine: remote server)`, in: `\\ROOT`, server: "ROOT", code: pathCodeInvalidNamespace, pos: 6, serverOn: true},
		{name: `\\.ROOT (engine: remote server)`, in: `\\.ROOT`, server: ".ROOT", code: pathCodeInvalidNamespace, pos: 7, serverOn: true},
		{name: "colon", in: `root:x`, code: pathCodeInvalidNamespace, pos: 4},
		{name: "space", in: `root\ cimv2`, code: pathCodeInvalidNamespace, pos: 5},
		{name: "bad server char", in: `\\a b\root`, code: pathCodeInvalidNamespace, pos: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			server, ns, err := ParseNamespace(tc.in)
			if tc.code != 0 {
				if err == nil {
					t.Fatalf("ParseNamespace(%q) = %q, %q, want error %#x", tc.in, server, ns, tc.code)
				}
				pathWantErr(t, tc.in, err, tc.code, tc.pos)
				if tc.serverOn && server != tc.server {
					t.Errorf("server = %q, want %q", server, tc.server)
				}
				if !tc.serverOn && server != "" || ns != "" {
					t.Errorf("ParseNamespace(%q) = %q, %q with an error", tc.in, server, ns)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNamespace(%q): %v", tc.in, err)
			}
			if server != tc.server || ns != tc.ns {
				t.Fatalf("ParseNamespace(%q) = %q, %q, want %q, %q", tc.in, server, ns, tc.server, tc.ns)
			}
		})
	}
	if _, _, err := ParseNamespace(strings.Repeat("a", 9000)); err == nil {
		t.Fatal("overlong namespace accepted")
	}
}

// DSP0207 untyped WBEM URIs.
func TestPathParseURI(t *testing.T) {
	tests := []pathCase{
		{name: "full", in: `//host:5988/root/cimv2:CIM_Foo.Key1="a",Key2=3`,
			want: &ObjectPath{Server: "host:5988", Namespace: "root/cimv2", Class: "CIM_Foo",
				Keys: []KeyBinding{pkb("Key1", KeyString, "a"), pkb("Key2", KeyInt, "3")}}},
		{name: "local with slash", in: `/root/cimv2:CIM_Foo`,
			want: &ObjectPath{Namespace: "root/cimv2", Class: "CIM_Foo"}},
		{name: "local without slash", in: `root/cimv2:CIM_Foo`,
			want: &ObjectPath{Namespace: "root/cimv2", Class: "CIM_Foo"}},
		{name: "scheme and user info", in: `https://jdd:te%20st@acme.com:5989/cimv2/test:CIM_RegisteredProfile.InstanceID="acme.1"`,
			want: &ObjectPath{Server: "acme.com:5989", Namespace: "cimv2/test", Class: "CIM_RegisteredProfile",
				Keys: []KeyBinding{pkb("InstanceID", KeyString, "acme.1")}}},
		{name: "dotted scheme", in: `cimxml.wbem://h/root:C`,
			want: &ObjectPath{Server: "h", Namespace: "root", Class: "C"}},
		{name: "IPv6", in: `//[fe80::1%25eth0]:5989/root:C`,
			want: &ObjectPath{Server: "[fe80::1%25eth0]:5989", Namespace: "root", Class: "C"}},
		{name: "server without namespace", in: `//h/:C.K=1`,
			want: &ObjectPath{Server: "h", Class: "C", Keys: []KeyBinding{pkb("K", KeyInt, "1")}}},
		{name: "no namespace with slash", in: `/:C.K=1`,
			want: &ObjectPath{Class: "C", Keys: []KeyBinding{pkb("K", KeyInt, "1")}}},
		{name: "no namespace", in: `:C.K=1`,
			want: &ObjectPath{Class: "C", Keys: []KeyBinding{pkb("K", KeyInt, "1")}}},
		{name: "relative", in: `C.K=1.5,L=true,M='x'`,
			want: &ObjectPath{Class: "C", Keys: []KeyBinding{pkb("K", KeyReal, "1.5"), pkb("L", KeyBool, "TRUE"), pkb("M", KeyString, "x")}}},
		{name: "reference key", in: `/root:A.Ref="/root:B.K=\"v\""`,
			want: &ObjectPath{Namespace: "root", Class: "A", Keys: []KeyBinding{pkb("Ref", KeyString, `/root:B.K="v"`)}}},
		{name: "singleton", in: `/root:S=@`,
			want: &ObjectPath{Namespace: "root", Class: "S", Singleton: true}},
		{name: "err/empty", in: ``, code: pathCodeInvalidParameter, pos: 0},
		{name: "err/backslash separator", in: `root\cimv2:C`, code: pathCodeInvalidObjectPath, pos: 4},
		{name: "err/missing colon", in: `/root/cimv2`, code: pathCodeInvalidObjectPath, pos: 11},
		{name: "err/no slash after authority", in: `//host:5988`, code: pathCodeInvalidObjectPath, pos: 11},
		{name: "err/bad port", in: `//host:59a/root:C`, code: pathCodeInvalidObjectPath, pos: 9},
		{name: "err/port out of range", in: `//host:65536/root:C`, code: pathCodeInvalidObjectPath, pos: 7},
		{name: "err/empty port", in: `//host:/root:C`, code: pathCodeInvalidObjectPath, pos: 6},
		{name: "err/empty host", in: `///root:C`, code: pathCodeInvalidObjectPath, pos: 2},
		{name: "err/bad user info", in: `//a b@h/root:C`, code: pathCodeInvalidObjectPath, pos: 3},
		{name: "err/unclosed IPv6", in: `//[::1/root:C`, code: pathCodeInvalidObjectPath, pos: 2},
		{name: "err/trailing slash", in: `/root/:C`, code: pathCodeInvalidObjectPath, pos: 5},
		{name: "err/empty segment", in: `/root//x:C`, code: pathCodeInvalidObjectPath, pos: 6},
		{name: "err/slash class", in: `/C.K=1`, code: pathCodeInvalidObjectPath, pos: 2},
		{name: "err/space", in: `/root:C.K= 1`, code: pathCodeInvalidObjectPath, pos: 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseURI(tc.in)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("ParseURI(%q) = %+v, want error %#x", tc.in, p, tc.code)
				}
				pathWantErr(t, tc.in, err, tc.code, tc.pos)
				return
			}
			if err != nil {
				t.Fatalf("ParseURI(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(p, tc.want) {
				t.Fatalf("ParseURI(%q)\n got %+v\nwant %+v", tc.in, p, tc.want)
			}
			q, err := ParseURI(p.URI())
			if err != nil || !p.Equal(q) || q.RelPath() != p.RelPath() {
				t.Fatalf("URI() = %q does not round trip: %v", p.URI(), err)
			}
		})
	}
}

// Spellings of one object give one canonical RelPath and compare Equal.
func TestPathCanonical(t *testing.T) {
	groups := []struct {
		rel       string
		spellings []string
	}{
		{`MyClass.IntVal=33,StrVal="AAA"`, []string{
			`MyClass.IntVal=33,StrVal="AAA"`,
			`MyClass.StrVal="AAA",IntVal=33`,
			`MyClass.StrVal='AAA',IntVal=0x21`,
			`MyClass.IntVal=+033,StrVal='AAA'`,
			`root\cimv2:MyClass.StrVal="AAA",IntVal=33`,
			`\\.\root\cimv2:MyClass.IntVal=0X21,StrVal="AAA"`,
		}},
		{`X.a=TRUE,B=FALSE,c=-7`, []string{
			`X.c=-7,B=false,a=true`,
			`X.B=False,c=-0007,a=tRUE`,
		}},
		{`X.K="it's \"q\" \\"`, []string{
			`X.K="it's \"q\" \\"`,
			`X.K='it\'s "q" \\'`,
		}},
		{`X.K=1.5`, []string{`X.K=1.5`, `X.K=1.50`, `X.K=15e-1`, `X.K=+0.15E1`}},
		{`X="v"`, []string{`X="v"`, `X='v'`}},
		{`X=16`, []string{`X=16`, `X=0x10`, `X=016`}},
		{`X=@`, []string{`X=@`, `r:X=@`, `//h/r:X=@`}},
		{`Win32_Process`, []string{`Win32_Process`, `root/cimv2:Win32_Process`}},
	}
	for _, g := range groups {
		t.Run(g.rel, func(t *testing.T) {
			var first *ObjectPath
			for _, s := range g.spellings {
				p, err := ParsePath(s)
				if err != nil {
					t.Fatalf("ParsePath(%q): %v", s, err)
				}
				if got := p.RelPath(); got != g.rel {
					t.Errorf("ParsePath(%q).RelPath() = %q, want %q", s, got, g.rel)
				}
				if first == nil {
					first = p
				} else if !first.Equal(p) || !p.Equal(first) {
					t.Errorf("%q and %q are not Equal", g.spellings[0], s)
				}
			}
		})
	}

	// Case differences compare Equal (P8), but RelPath keeps the spelling
	// of names and string values: the engine renders names from the class.
	a, _ := ParsePath(`MyClass.IntVal=33,StrVal="AAA"`)
	b, _ := ParsePath(`myclass.strval="aaa",INTVAL=33`)
	if !a.Equal(b) || !b.Equal(a) {
		t.Fatal("case-different paths are not Equal")
	}
	if got := b.RelPath(); got != `myclass.INTVAL=33,strval="aaa"` {
		t.Fatalf("RelPath = %q", got)
	}
}

func TestPathEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{a: `\\.\root\cimv2:X.K=1`, b: `//LOCALHOST/ROOT/CIMV2:x.k=1`, want: true},
		{a: `\\.\root\cimv2:X.K=1`, b: `root\cimv2:X.K=1`, want: true}, // no server: local (P10)
		{a: `\\.\root\cimv2:X.K=1`, b: `X.K=1`, want: true},            // relative: location not compared
		{a: `\\.\root\cimv2:X.K=1`, b: `\\other\root\cimv2:X.K=1`, want: false},
		{a: `root\cimv2:X.K=1`, b: `\\other\root\cimv2:X.K=1`, want: false},
		{a: `\\A\root:X`, b: `\\a\ROOT:X`, want: true},
		{a: `\\.\root\cimv2:X`, b: `\\.\root\default:X`, want: false},
		{a: `\\.\root\cimv2:X`, b: `\\.\root\cimv2\sub:X`, want: false},
		{a: `X.K="abc"`, b: `X.K="ABC"`, want: true},
		{a: `X.K="abc"`, b: `X.K="abcd"`, want: false},
		{a: `X.K="5"`, b: `X.K=5`, want: false}, // untyped: kinds differ
		{a: `X.K=5`, b: `X.K=5.0`, want: false},
		{a: `X.K=TRUE`, b: `X.K="TRUE"`, want: false},
		{a: `X.K=5`, b: `X.K=0x5`, want: true},
		{a: `X.K=1`, b: `X.K=1,L=2`, want: false},
		{a: `X.K=1,L=2`, b: `X.K=1,M=2`, want: false},
		{a: `X.K=1`, b: `Y.K=1`, want: false},
		{a: `X`, b: `X=@`, want: false},
		{a: `X`, b: `X.K=1`, want: false},
		{a: `X="C:"`, b: `X.DeviceID="c:"`, want: true}, // unnamed single key
		{a: `X="C:"`, b: `X.DeviceID="D:"`, want: false},
		{a: `X=@`, b: `x=@`, want: true},
		{a: `X.K=1e3`, b: `X.K=1000.0`, want: true},
	}
	for _, tc := range tests {
		a, err := ParsePath(tc.a)
		if err != nil {
			t.Fatalf("%q: %v", tc.a, err)
		}
		b, err := ParsePath(tc.b)
		if err != nil {
			t.Fatalf("%q: %v", tc.b, err)
		}
		if got := a.Equal(b); got != tc.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := b.Equal(a); got != tc.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tc.b, tc.a, got, tc.want)
		}
	}
	var nilPath *ObjectPath
	x := &ObjectPath{Class: "X"}
	if !nilPath.Equal(nil) || nilPath.Equal(x) || x.Equal(nil) {
		t.Error("nil handling")
	}
	// Hand-built paths with duplicate names do not fool the key matching.
	d1 := &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("A", KeyInt, "1"), pkb("A", KeyInt, "1")}}
	d2 := &ObjectPath{Class: "X", Keys: []KeyBinding{pkb("A", KeyInt, "1"), pkb("B", KeyInt, "1")}}
	if d1.Equal(d2) || d2.Equal(d1) {
		t.Error("duplicate keys compared equal")
	}
	// Namespaces given with backslashes by hand.
	n1 := &ObjectPath{Namespace: `root\cimv2`, Class: "X"}
	n2 := &ObjectPath{Namespace: `ROOT/CIMV2`, Class: "X"}
	if !n1.Equal(n2) {
		t.Error("namespace separators")
	}
	// Escaping doubles the backslashes at every level, so the 8192-character
	// limit caps valid nesting at about 11 levels; deeper chains compare as
	// strings.
	for _, n := range []int{10, 18} {
		deep := pathNested(n, "v")
		if !deep.Equal(pathNested(n, "V")) {
			t.Errorf("reference chain of %d not equal to itself", n)
		}
		if deep.Equal(pathNested(n, "w")) {
			t.Errorf("reference chains of %d with different leaves are equal", n)
		}
	}
}

// pathNested builds a path whose reference key nests n levels deep, with a
// string key of value leaf at the bottom.
func pathNested(n int, leaf string) *ObjectPath {
	p := &ObjectPath{Class: "Leaf", Keys: []KeyBinding{pkb("K", KeyString, leaf)}}
	for range n {
		p = &ObjectPath{Namespace: "root", Class: "Node", Keys: []KeyBinding{{Name: "Ref", Value: KeyValue{Kind: KeyRef, Text: p.String()}}}}
	}
	return p
}

func TestPathAccessors(t *testing.T) {
	p, err := ParsePath(`\\.\root\cimv2:Win32_Process.Handle="4"`)
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsInstance() || p.IsClass() {
		t.Error("instance path: IsInstance/IsClass")
	}
	if v, ok := p.Key("HANDLE"); !ok || v != pkv(KeyString, "4") {
		t.Errorf("Key(HANDLE) = %+v, %v", v, ok)
	}
	if _, ok := p.Key("Other"); ok {
		t.Error("Key(Other) found")
	}
	c, _ := ParsePath(`Win32_Process`)
	if !c.IsClass() || c.IsInstance() {
		t.Error("class path: IsInstance/IsClass")
	}
	s, _ := ParsePath(`__SystemSecurity=@`)
	if s.IsClass() || !s.IsInstance() {
		t.Error("singleton: IsInstance/IsClass")
	}
	u, _ := ParsePath(`X="v"`)
	if v, ok := u.Key(""); !ok || v.Text != "v" {
		t.Error(`Key("") of the unnamed form`)
	}
	var nilPath *ObjectPath
	if nilPath.IsClass() || nilPath.IsInstance() || nilPath.Clone() != nil || nilPath.RelPath() != "" {
		t.Error("nil receivers")
	}

	// Clone is deep.
	q := p.Clone()
	q.Keys[0].Value.Text = "5"
	if p.Keys[0].Value.Text != "4" {
		t.Error("Clone shares keys")
	}
	if !reflect.DeepEqual(c.Clone(), c) || c.Clone().Keys != nil {
		t.Error("Clone of a class path")
	}

	// WithNamespace.
	w := p.WithNamespace("", `ROOT\Default`)
	if w.Server != "" || w.Namespace != "ROOT/Default" || p.Namespace != "root/cimv2" {
		t.Errorf("WithNamespace: %+v (original %+v)", w, p)
	}
	if got := w.String(); got != `ROOT\Default:Win32_Process.Handle="4"` {
		t.Errorf("String() = %s", got)
	}
	if got := w.URI(); got != `ROOT/Default:Win32_Process.Handle="4"` {
		t.Errorf("URI() = %s", got)
	}
	w = p.WithNamespace("HOST", "root/x")
	if got := w.String(); got != `\\HOST\root\x:Win32_Process.Handle="4"` {
		t.Errorf("String() = %s", got)
	}
	if got := w.URI(); got != `//HOST/root/x:Win32_Process.Handle="4"` {
		t.Errorf("URI() = %s", got)
	}
	// A server without a namespace is dropped by String, kept by URI.
	w = p.WithNamespace("HOST", "")
	if got := w.String(); got != `Win32_Process.Handle="4"` {
		t.Errorf("String() = %s", got)
	}
	if got := w.URI(); got != `//HOST/:Win32_Process.Handle="4"` {
		t.Errorf("URI() = %s", got)
	}

	// Hand-built values that do not fit their kind render quoted, so the
	// output always parses (no key injection).
	h := &ObjectPath{Class: "X", Keys: []KeyBinding{
		pkb("I", KeyInt, `1,J=2`), pkb("R", KeyReal, "x"), pkb("B", KeyBool, "yes"), pkb("Z", 0, "z"), pkb("H", KeyInt, "0x1f"),
	}}
	want := `X.B="yes",H=31,I="1,J=2",R="x",Z="z"`
	if got := h.RelPath(); got != want {
		t.Errorf("RelPath() = %s, want %s", got, want)
	}
	if _, err := ParsePath(h.RelPath()); err != nil {
		t.Error(err)
	}
	if KeyString.String() != "string" || KeyKind(9).String() != "KeyKind(9)" {
		t.Error("KeyKind.String")
	}
}

// TestPathGolden renders a fixed set of inputs in all forms; the golden
// file makes canonical-form changes visible in review.
func TestPathGolden(t *testing.T) {
	inputs := []struct{ form, in string }{}
	for _, tc := range pathVectors {
		if len(tc.in) < 200 {
			inputs = append(inputs, struct{ form, in string }{"wmi", tc.in})
		}
	}
	for _, s := range []string{
		`//host:5988/root/cimv2:CIM_Foo.Key2=3,Key1="a"`,
		`/root/cimv2:CIM_Foo`,
		`root/cimv2:CIM_Foo`,
		`https://u@h/root:C.b=FALSE,A=0x0,c=-0`,
		`/:C.Z=1e21,Y=1e-7,X=0.1,W=-0.0`,
		`/root:A.Ref="/root:B.K=\"v\""`,
	} {
		inputs = append(inputs, struct{ form, in string }{"uri", s})
	}
	var b strings.Builder
	b.WriteString("# form\tinput\n#\tRelPath | String | URI   or   ERROR code pos message\n")
	for _, x := range inputs {
		var p *ObjectPath
		var err error
		if x.form == "uri" {
			p, err = ParseURI(x.in)
		} else {
			p, err = ParsePath(x.in)
		}
		fmt.Fprintf(&b, "%s\t%s\n", x.form, strconv.Quote(x.in))
		if err != nil {
			pe := err.(*PathError)
			fmt.Fprintf(&b, "\tERROR %#x %d %s\n", pe.Code, pe.Pos, pe.Msg)
			continue
		}
		fmt.Fprintf(&b, "\t%s | %s | %s\n", p.RelPath(), p.String(), p.URI())
	}
	golden := filepath.Join("testdata", "path", "canonical.golden")
	if pathUpdateGolden() {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got %s\nwant %s\n(run with -update if the change is intended)", golden, i+1, g, w)
			}
		}
	}
}

// pathGen generates random valid paths.
type pathGen struct{ r *rand.Rand }

func (g pathGen) ident(max int) string {
	const first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
	const rest = first + "0123456789"
	n := 1 + g.r.IntN(max)
	b := make([]byte, n)
	b[0] = first[g.r.IntN(len(first))]
	for i := 1; i < n; i++ {
		b[i] = rest[g.r.IntN(len(rest))]
	}
	return string(b)
}

var pathGenRunes = []rune(`abcXYZ019 "'\\/:.,=@%{}()[]` + "\téß日本🙂\u00a0\u200b")

func (g pathGen) text() string {
	n := g.r.IntN(12)
	var b strings.Builder
	for range n {
		b.WriteRune(pathGenRunes[g.r.IntN(len(pathGenRunes))])
	}
	return b.String()
}

func (g pathGen) value(depth int, uri bool) KeyValue {
	switch g.r.IntN(7) {
	case 0:
		return pkv(KeyInt, strconv.FormatInt(g.r.Int64()>>g.r.IntN(63), 10))
	case 1:
		return pkv(KeyInt, strconv.FormatUint(g.r.Uint64()>>g.r.IntN(64), 10))
	case 2:
		f := math.Float64frombits(g.r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = g.r.NormFloat64()
		}
		return pkv(KeyReal, strconv.FormatFloat(f, 'g', -1, 64))
	case 3:
		if g.r.IntN(2) == 0 {
			return pkv(KeyBool, "TRUE")
		}
		return pkv(KeyBool, "FALSE")
	case 4, 5:
		if depth < 3 {
			inner := g.path(depth+1, uri)
			kind := KeyString
			if g.r.IntN(2) == 0 {
				kind = KeyRef
			}
			if uri {
				return pkv(kind, inner.URI())
			}
			return pkv(kind, inner.String())
		}
	}
	return pkv(KeyString, g.text())
}

func (g pathGen) path(depth int, uri bool) *ObjectPath {
	p := &ObjectPath{Class: g.ident(20)}
	if g.r.IntN(3) > 0 {
		segs := make([]string, 1+g.r.IntN(3))
		for i := range segs {
			segs[i] = g.ident(8)
		}
		p.Namespace = strings.Join(segs, "/")
		switch g.r.IntN(4) {
		case 0:
			p.Server = "."
		case 1:
			p.Server = g.ident(10) + ".example-1.com"
		case 2:
			if uri {
				p.Server = "[::1]:5989"
			}
		}
	}
	switch g.r.IntN(6) {
	case 0: // class path
	case 1:
		p.Singleton = true
	case 2:
		p.Keys = []KeyBinding{{Value: g.value(depth, uri)}}
	default:
		n := 1 + g.r.IntN(5)
		seen := map[string]bool{}
		for len(p.Keys) < n {
			name := g.ident(12)
			if seen[strings.ToLower(name)] {
				continue
			}
			seen[strings.ToLower(name)] = true
			p.Keys = append(p.Keys, KeyBinding{Name: name, Value: g.value(depth, uri)})
		}
	}
	return p
}

// Property: random valid paths survive String/URI and parsing again.
func TestPathRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(2024, 6))
	g := pathGen{r}
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		uri := i%2 == 1
		p := g.path(0, uri)
		var s string
		var q *ObjectPath
		var err error
		if uri {
			s = p.URI()
			q, err = ParseURI(s)
		} else {
			s = p.String()
			q, err = ParsePath(s)
		}
		if len(s) > pathMaxLen {
			continue
		}
		if err != nil {
			t.Fatalf("case %d: %q does not parse: %v", i, s, err)
		}
		if !p.Equal(q) || !q.Equal(p) {
			t.Fatalf("case %d: %q parses to %+v, not Equal to %+v", i, s, q, p)
		}
		if p.RelPath() != q.RelPath() {
			t.Fatalf("case %d: RelPath %q vs %q", i, p.RelPath(), q.RelPath())
		}
		if !uri && p.Namespace != "" && q.Namespace != p.Namespace {
			t.Fatalf("case %d: namespace %q vs %q", i, q.Namespace, p.Namespace)
		}
		// Reference values parse again as paths.
		for _, k := range p.Keys {
			if k.Value.Kind != KeyRef {
				continue
			}
			v, ok := q.Key(k.Name)
			if !ok {
				t.Fatalf("case %d: key %q lost", i, k.Name)
			}
			parse := ParsePath
			if uri {
				parse = ParseURI
			}
			if _, err := parse(v.Text); err != nil {
				t.Fatalf("case %d: reference %q does not parse: %v", i, v.Text, err)
			}
		}
	}
}

// The parser must reject, never panic on, hostile input.
func TestPathHostileInput(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	garbage := make([]byte, 1<<20)
	for i := range garbage {
		garbage[i] = byte(r.UintN(256))
	}
	deep := pathNested(10, "v").String()
	inputs := []string{
		string(garbage),
		strings.Repeat(`"`, 1<<20),
		strings.Repeat(`\`, 1<<20),
		`X.K="` + strings.Repeat(`\`, 5000),
		`X.K='` + strings.Repeat(`\'`, 3000),
		`X.K="` + strings.Repeat(`\\`, 3000) + `"`,
		strings.Repeat("a\\", 4000) + ":X",
		"X.K=\"\xc3\x28\"",
		"\xed\xa0\x80",
		"X." + strings.Repeat("a=1,", 2000) + "b=1",
		"X." + strings.Repeat("abcdefgh=1,", 700) + "b=1",
		deep,
		pathNested(18, "v").String(),
		strings.Repeat(`X.K="`, 2000),
		"//" + strings.Repeat("[", 5000),
		"//" + strings.Repeat("@", 5000) + "/:X",
		`\\`,
		`//`,
		`/`,
		`:`,
		`.`,
		`=`,
		`X=`,
		`X=@`,
	}
	for _, s := range inputs {
		for _, parse := range []func(string) (*ObjectPath, error){ParsePath, ParseURI} {
			func() {
				defer func() {
					if e := recover(); e != nil {
						t.Fatalf("panic on %.60q: %v", s, e)
					}
				}()
				p, err := parse(s)
				if err == nil {
					pathCheckRoundTrip(t, p)
				}
				_, _, _ = ParseNamespace(s)
			}()
		}
	}
	// The deep chain is flat to the parser: one key holding a long string.
	p, err := ParsePath(deep)
	if err != nil {
		t.Fatalf("deep chain: %v", err)
	}
	if len(p.Keys) != 1 {
		t.Fatalf("deep chain keys: %+v", p.Keys)
	}
	// Many duplicate-free keys parse; a late duplicate is found.
	var b strings.Builder
	b.WriteString("X.")
	for i := range 500 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "k%d=%d", i, i)
	}
	if _, err := ParsePath(b.String()); err != nil {
		t.Fatalf("500 keys: %v", err)
	}
	b.WriteString(",K17=1")
	_, err = ParsePath(b.String())
	pathWantErr(t, b.String(), err, pathCodeInvalidObjectPath, b.Len()-5)
}

func TestPathAllocs(t *testing.T) {
	for _, tc := range []struct {
		in  string
		max float64
	}{
		{`\\.\root\cimv2:Win32_Process.Handle="4242"`, 3},
		{`//./root/cimv2:Win32_Process.Handle="4242"`, 3},
		{`TestMeth`, 1},
		{`X.A=1,B="b",C=TRUE`, 3},
	} {
		n := testing.AllocsPerRun(100, func() {
			if _, err := ParsePath(tc.in); err != nil {
				t.Fatal(err)
			}
		})
		if n > tc.max {
			t.Errorf("ParsePath(%q): %v allocations, want <= %v", tc.in, n, tc.max)
		}
	}
}

// pathFuzzSeeds are shared by both fuzz targets (the files under
// testdata/fuzz add more).
var pathFuzzSeeds = []string{
	`Win32_Process`,
	`Win32_Process.Handle="1234"`,
	`Win32_LogicalDisk="C:"`,
	`Win32_Service='Alerter'`,
	`MyClass.IntVal=33,StrVal="AAA"`,
	`__SystemSecurity=@`,
	`\\.\root\cimv2:Win32_Process.Handle="4"`,
	`//./root/cimv2:Win32_Process`,
	`Win32_Directory.Name="c:\\windows"`,
	`Foo.Bar="a\"b"`,
	`X.K=0x10`,
	`X.Flag=true`,
	`X.K=-1.5e-3`,
	`//host:5988/root/cimv2:CIM_Foo.Key1="a",Key2=3`,
	`/root/cimv2:CIM_Foo`,
	`https://u:p@[::1]:5989/root:C=@`,
	`Win32_LogicalDiskToPartition.Antecedent="\\\\PC\\root\\cimv2:Win32_DiskPartition.DeviceID=\"Disk #0, Partition #1\"",Dependent="\\\\PC\\root\\cimv2:Win32_LogicalDisk.DeviceID=\"C:\""`,
	`Win32_LogicalDisk = "C:"`,
	`X.K="unterminated`,
}

// pathFuzzCheck is the fuzz property: no panic, and a path that parses
// formats to text that parses again to an Equal path with the same
// RelPath, in both forms.
func pathFuzzCheck(t *testing.T, s string, parse func(string) (*ObjectPath, error)) {
	p, err := parse(s)
	if err != nil {
		var pe *PathError
		if !errors.As(err, &pe) || pe.Pos < 0 || pe.Pos > len(s) || pe.Code == 0 {
			t.Fatalf("bad error for %q: %#v", s, err)
		}
		return
	}
	if !utf8.ValidString(s) {
		t.Fatalf("accepted invalid UTF-8 %q", s)
	}
	forms := []struct {
		format func(*ObjectPath) string
		parse  func(string) (*ObjectPath, error)
	}{
		{(*ObjectPath).URI, ParseURI},
		{(*ObjectPath).RelPath, ParsePath},
	}
	// String() needs a WMI server name; DSP0207 allows ports and IPv6.
	if !strings.ContainsAny(p.Server, ":[]") {
		forms = append(forms, struct {
			format func(*ObjectPath) string
			parse  func(string) (*ObjectPath, error)
		}{(*ObjectPath).String, ParsePath})
	}
	for _, f := range forms {
		out := f.format(p)
		q, err := f.parse(out)
		if err != nil {
			t.Fatalf("%q parsed, formatted to %q, which fails: %v", s, out, err)
		}
		if !p.Equal(q) || !q.Equal(p) {
			t.Fatalf("%q → %q: not Equal: %+v vs %+v", s, out, p, q)
		}
		if p.RelPath() != q.RelPath() {
			t.Fatalf("%q → %q: RelPath %q vs %q", s, out, p.RelPath(), q.RelPath())
		}
		if f.format(q) != out {
			t.Fatalf("%q: format not stable: %q vs %q", s, out, f.format(q))
		}
	}
	for _, k := range p.Keys {
		if k.Value.Kind == KeyString {
			// Reference-looking values may be parsed by callers; that must not panic.
			_, _ = ParsePath(k.Value.Text)
			_, _ = ParseURI(k.Value.Text)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range pathFuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pathFuzzCheck(t, s, ParsePath)
		_, _, _ = ParseNamespace(s)
	})
}

func FuzzParseURI(f *testing.F) {
	for _, s := range pathFuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pathFuzzCheck(t, s, ParseURI)
	})
}

func BenchmarkParsePath(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"instance", `\\.\root\cimv2:Win32_Process.Handle="4242"`},
		{"class", `TestMeth`},
		{"ref", `Win32_LogicalDiskToPartition.Antecedent="\\\\PC\\root\\cimv2:Win32_DiskPartition.DeviceID=\"Disk #0, Partition #1\"",Dependent="\\\\PC\\root\\cimv2:Win32_LogicalDisk.DeviceID=\"C:\""`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			for b.Loop() {
				if _, err := ParsePath(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPathRelPath(b *testing.B) {
	p, err := ParsePath(`\\.\root\cimv2:MyClass.StrVal="AAA",IntVal=33`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.RelPath()
	}
}
