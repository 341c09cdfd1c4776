package mof

import (
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/status"
)

// featuresMOF uses every construct of MOF 2 that the compiler supports,
// on top of baseSchema.
const featuresMOF = `/* Features of the MOF compiler.
   A block comment over two lines. */
#pragma locale ("en_US") // a known pragma that changes nothing

[Indication, Abstract]
class T_Event {
    datetime Time;
};

class T_Alert : T_Event {
    [ValueMap {"0", "1", "0x8000.."}, Values {"Low", "High", "Vendor"}]
    uint16 Severity = 1;
};

[Description("A widget" " made of " "parts")]
class T_Widget : T_Thing {
        [Override("Label"), MaxLen(32)]
    string Label = "widget";
    real32 Ratio = 1.5;
    real64 Precise = -2.5e-3;
    char16 Letter = 'W';
    boolean Flags[] = {true, false};
    sint8 Levels[3] = {-128, 0, 0x7F};
        [EmbeddedInstance("T_Part")]
    string Part;
        [Description("Escapes: \t\"q\"\\\x41")]
    string Escaped = "line1\nline2\ttab \"quoted\" back\\slash \x263A";
        [Override("Get")]
    uint32 Get([In] uint32 Which, [In(false), Out] string Text);
        [Static]
    T_Widget REF Make([In] string Id, [In, Out] uint32 Sizes[],
        [Out, EmbeddedInstance("T_Part")] string Made);
};

class T_Part {
    string Name;
    uint32 Count;
};

instance of T_Widget as $w1 {
    Id = "w1";
    Small = 255;
    Big = 4294967295;
    Signed = -9223372036854775808;
    When = "20240102030405.123456+060";
    Tags = {"a", "b" "c"};
    Part = instance of T_Part { Name = "gear"; Count = 3; };
};

instance of T_Part as $part { Name = "bolt"; Count = 7; };

instance of T_Widget as $w2 {
    Id = "w2";
    Part = $part;
    Label = "second";
};

instance of T_Link {
    Left = $w1;
    Right = $w2;
};

instance of T_Link {
    Left = "T_Thing.Id=\"t1\"";
    Right = "T_Widget.Id=\"w1\"";
};
`

// TestCompileFeatures compiles featuresMOF and checks what it produced:
// classes with inheritance and overrides, an indication, methods with
// parameters, instances with aliases, references to aliases, embedded
// instances, arrays, concatenated strings and escapes.
func TestCompileFeatures(t *testing.T) {
	r := newBaseRepository(t)
	res, err := CompileSource(r, "features.mof", []byte(featuresMOF), CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantClasses := []string{"root/cimv2:T_Event", "root/cimv2:T_Alert", "root/cimv2:T_Widget", "root/cimv2:T_Part"}
	if !slices.Equal(res.Classes, wantClasses) {
		t.Errorf("Classes = %q, want %q", res.Classes, wantClasses)
	}
	if len(res.Qualifiers) != 0 || len(res.Warnings) != 0 {
		t.Errorf("Qualifiers = %q, Warnings = %v, want none", res.Qualifiers, res.Warnings)
	}
	wantInstances := []string{
		`root\cimv2:T_Widget.Id="w1"`,
		`root\cimv2:T_Widget.Id="w2"`,
		`root\cimv2:T_Link.Left="root\\cimv2:T_Widget.Id=\"w1\"",Right="root\\cimv2:T_Widget.Id=\"w2\""`,
		`root\cimv2:T_Link.Left="T_Thing.Id=\"t1\"",Right="T_Widget.Id=\"w1\""`,
	}
	if !slices.Equal(res.Instances, wantInstances) {
		t.Errorf("Instances =\n%s\nwant\n%s", strings.Join(res.Instances, "\n"), strings.Join(wantInstances, "\n"))
	}
	// The aliased T_Part has no key: checked, kept for $part, not stored,
	// and (being aliased) not warned about.
	if len(res.Unstored) != 1 || res.Unstored[0].ClassName() != "T_Part" || res.Unstored[0].Value("Name").Text() != "bolt" {
		t.Errorf("Unstored = %v, want the T_Part bolt", res.Unstored)
	}

	// The indication: Indication propagates, Abstract (Restricted) does not.
	ev := mustClass(t, r, "root/cimv2", "T_Event")
	alert := mustClass(t, r, "root/cimv2", "T_Alert")
	if !ev.IsAbstract() || !ev.Qualifiers.Bool("Indication") {
		t.Errorf("T_Event qualifiers = %v", ev.Qualifiers)
	}
	if alert.IsAbstract() || !alert.Qualifiers.Bool("Indication") || !alert.Qualifiers.Get("Indication").Propagated {
		t.Errorf("T_Alert qualifiers = %v, want Indication propagated and no Abstract", alert.Qualifiers)
	}
	sev := alert.Property("Severity")
	if got := sev.Qualifiers.Strings("ValueMap"); !slices.Equal(got, []string{"0", "1", "0x8000.."}) {
		t.Errorf("Severity ValueMap = %q", got)
	}
	if sev.Default.Uint64() != 1 || sev.Default.Type() != cim.Uint16 {
		t.Errorf("Severity default = %v (%s)", sev.Default, sev.Default.TypeName())
	}

	w := mustClass(t, r, "root/cimv2", "T_Widget")
	if !slices.Equal(w.Derivation, []string{"T_Thing", "T_Base"}) {
		t.Errorf("T_Widget derivation = %q", w.Derivation)
	}
	if got := w.Qualifiers.Text("Description"); got != "A widget made of parts" {
		t.Errorf("Description = %q (adjacent strings concatenate)", got)
	}
	// Properties: inherited first in the superclass's order, overrides in
	// place, then the local ones.
	var names []string
	for _, p := range w.Properties {
		names = append(names, p.Name+"<"+p.ClassOrigin)
	}
	wantNames := []string{"Id<T_Base", "Label<T_Widget", "Small<T_Thing", "Big<T_Thing", "Signed<T_Thing",
		"When<T_Thing", "Tags<T_Thing", "Ratio<T_Widget", "Precise<T_Widget", "Letter<T_Widget",
		"Flags<T_Widget", "Levels<T_Widget", "Part<T_Widget", "Escaped<T_Widget"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("properties<origin =\n%q\nwant\n%q", names, wantNames)
	}
	if id := w.Property("Id"); !id.IsKey() || !id.Propagated {
		t.Errorf("Id: key %v propagated %v", id.IsKey(), id.Propagated)
	}
	label := w.Property("Label")
	if label.Propagated || label.Default.Text() != "widget" || label.Qualifiers.Get("MaxLen").Value.Uint64() != 32 {
		t.Errorf("Label override: %v", label.Qualifiers)
	}
	levels := w.Property("Levels")
	if !levels.IsArray || levels.ArraySize != 3 || levels.Default.Index(0).Int64() != -128 || levels.Default.Index(2).Int64() != 127 {
		t.Errorf("Levels = %v size %d", levels.Default, levels.ArraySize)
	}
	if p := w.Property("Ratio"); p.Type != cim.Real32 || p.Default.Float64() != 1.5 {
		t.Errorf("Ratio = %v", p.Default)
	}
	if p := w.Property("Precise"); p.Default.Float64() != -2.5e-3 {
		t.Errorf("Precise = %v", p.Default)
	}
	if p := w.Property("Letter"); p.Type != cim.Char16 || p.Default.Char16() != 'W' {
		t.Errorf("Letter = %v", p.Default)
	}
	if p := w.Property("Part"); p.Type != cim.Object || p.EmbeddedClass != "T_Part" {
		t.Errorf("Part: %s embedded %q, want object of T_Part", p.Type, p.EmbeddedClass)
	}
	esc := w.Property("Escaped")
	if want := "line1\nline2\ttab \"quoted\" back\\slash \u263A"; esc.Default.Text() != want {
		t.Errorf("Escaped = %q, want %q", esc.Default.Text(), want)
	}
	if want := "Escapes: \t\"q\"\\A"; esc.Qualifiers.Text("Description") != want {
		t.Errorf("Escaped Description = %q, want %q", esc.Qualifiers.Text("Description"), want)
	}

	// Methods: the override keeps its place, In/Out survive.
	if len(w.Methods) != 2 || w.Methods[0].Name != "Get" || w.Methods[1].Name != "Make" {
		t.Fatalf("methods = %v", w.Methods)
	}
	get := w.Method("Get")
	if get.ClassOrigin != "T_Widget" || get.Propagated || get.ReturnType != cim.Uint32 {
		t.Errorf("Get: origin %s propagated %v", get.ClassOrigin, get.Propagated)
	}
	if p := get.Parameter("Text"); p == nil || p.IsIn() || !p.IsOut() {
		t.Errorf("Get.Text: %+v, want out only", p)
	}
	mk := w.Method("Make")
	if !mk.IsStatic() || mk.ReturnType != cim.Reference || mk.ReturnRefClass != "T_Widget" {
		t.Errorf("Make returns %s %s static %v", mk.ReturnType, mk.ReturnRefClass, mk.IsStatic())
	}
	if p := mk.Parameter("Sizes"); p == nil || !p.IsArray || p.Type != cim.Uint32 || !p.IsIn() || !p.IsOut() {
		t.Errorf("Make.Sizes = %+v", p)
	}
	if p := mk.Parameter("Made"); p == nil || p.Type != cim.Object || p.EmbeddedClass != "T_Part" || p.IsIn() || !p.IsOut() {
		t.Errorf("Make.Made = %+v", p)
	}
	// An inherited method keeps its origin in a class that does not
	// override it.
	thing := mustClass(t, r, "root/cimv2", "T_Thing")
	if m := thing.Method("Get"); m == nil || m.ClassOrigin != "T_Thing" {
		t.Errorf("T_Thing.Get = %+v", m)
	}

	// Instances as stored.
	w1 := mustInstance(t, r, "root/cimv2", `T_Widget.Id="w1"`)
	checks := []struct {
		prop string
		want cim.Value
	}{
		{"Small", cim.NewUint8(255)},
		{"Big", cim.NewUint32(math.MaxUint32)},
		{"Signed", cim.NewSint64(math.MinInt64)},
		{"Label", cim.NewString("widget")}, // the class default
		{"Tags", cim.MustArray(cim.String, cim.NewString("a"), cim.NewString("bc"))},
		{"Levels", cim.MustArray(cim.Sint8, cim.NewSint8(-128), cim.NewSint8(0), cim.NewSint8(127))},
	}
	for _, c := range checks {
		if got := w1.Value(c.prop); !cim.Equal(got, c.want) {
			t.Errorf("w1.%s = %v (%s), want %v (%s)", c.prop, got, got.TypeName(), c.want, c.want.TypeName())
		}
	}
	if got := w1.Value("When").Text(); got != "20240102030405.123456+060" {
		t.Errorf("w1.When = %q", got)
	}
	if part := w1.Value("Part").Object(); part == nil || part.ClassName() != "T_Part" || part.Value("Count").Uint64() != 3 {
		t.Errorf("w1.Part = %v", w1.Value("Part"))
	}
	w2 := mustInstance(t, r, "root/cimv2", `T_Widget.Id="w2"`)
	if part := w2.Value("Part").Object(); part == nil || part.Value("Name").Text() != "bolt" {
		t.Errorf("w2.Part = %v, want the aliased $part", w2.Value("Part"))
	}
	links, err := r.Instances("root/cimv2", "T_Link", false)
	if err != nil || len(links) != 2 {
		t.Fatalf("T_Link instances: %d, %v", len(links), err)
	}
	refs := map[string]bool{}
	for _, l := range links {
		left, right := l.Value("Left").Ref(), l.Value("Right").Ref()
		refs[left.Class+"."+left.Keys[0].Value.Text+"->"+right.Class+"."+right.Keys[0].Value.Text] = true
	}
	if !refs["T_Widget.w1->T_Widget.w2"] || !refs["T_Thing.t1->T_Widget.w1"] {
		t.Errorf("links = %v", refs)
	}

	golden(t, filepath.Join("testdata", "golden", "compile", "features_T_Widget.golden"), w.MOF(false)+"\n"+w1.MOF()+"\n"+w2.MOF())
}

func mustClass(t testing.TB, r *repository.Repository, ns, name string) *cim.Class {
	t.Helper()
	c, err := r.GetClass(ns, name)
	if err != nil {
		t.Fatalf("GetClass(%s, %s): %v", ns, name, err)
	}
	return c
}

func mustInstance(t testing.TB, r *repository.Repository, ns, path string) *cim.Instance {
	t.Helper()
	p, err := cim.ParsePath(path)
	if err != nil {
		t.Fatal(err)
	}
	i, err := r.Instance(ns, p)
	if err != nil {
		t.Fatalf("Instance(%s, %s): %v", ns, path, err)
	}
	return i
}

// TestCompileErrors checks that each error is reported at its exact
// file:line:col with a clear message, and that the repository is
// unchanged afterwards, whatever the earlier files and declarations of
// the compilation added.
func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name  string
		files []mofFile
		pos   string // "file:line:col", file relative to the test folder
		msg   string
		code  status.HRESULT // 0: no code expected
	}{
		{
			name:  "undefined superclass",
			files: []mofFile{{"a.mof", "class T_New {\n    string A;\n};\n\nclass T_Bad : T_Nowhere {\n    string B;\n};\n"}},
			pos:   "a.mof:5:1", msg: "superclass T_Nowhere not found", code: status.WBEM_E_INVALID_SUPERCLASS,
		},
		{
			name:  "unknown property in an instance",
			files: []mofFile{{"a.mof", "instance of T_Thing {\n    Id = \"t9\";\n    Colour = \"red\";\n};\n"}},
			pos:   "a.mof:3:5", msg: "class T_Thing has no property Colour",
		},
		{
			name:  "type mismatch: string to uint32",
			files: []mofFile{{"a.mof", "instance of T_Thing {\n    Id = \"t9\";\n    Big = \"12\";\n};\n"}},
			pos:   "a.mof:3:11", msg: "T_Thing.Big: a string value cannot be uint32", code: status.WBEM_E_TYPE_MISMATCH,
		},
		{
			name:  "out of range: 300 to uint8",
			files: []mofFile{{"a.mof", "instance of T_Thing {\n    Id = \"t9\";\n    Small = 300;\n};\n"}},
			pos:   "a.mof:3:13", msg: "value 300 does not fit uint8", code: status.WBEM_E_VALUE_OUT_OF_RANGE,
		},
		{
			name:  "out of range: negative to unsigned default",
			files: []mofFile{{"a.mof", "class T_New {\n    uint16 U = -1;\n};\n"}},
			pos:   "a.mof:2:16", msg: "value -1 does not fit uint16", code: status.WBEM_E_VALUE_OUT_OF_RANGE,
		},
		{
			name:  "out of range: real32",
			files: []mofFile{{"a.mof", "class T_New {\n    real32 R = 1e39;\n};\n"}},
			pos:   "a.mof:2:16", msg: "1e39 does not fit real32", code: status.WBEM_E_VALUE_OUT_OF_RANGE,
		},
		{
			name:  "out of range: real32 just above the largest float32",
			files: []mofFile{{"a.mof", "class T_New {\n    real32 Ok = 3.4028235e+38;\n    real32 R = -3.4028236e+38;\n};\n"}},
			pos:   "a.mof:3:16", msg: "-3.4028236e+38 does not fit real32", code: status.WBEM_E_VALUE_OUT_OF_RANGE,
		},
		{
			name:  "out of range: real64",
			files: []mofFile{{"a.mof", "class T_New {\n    real64 R = 1e309;\n};\n"}},
			pos:   "a.mof:2:16", msg: "1e309 does not fit real64", code: status.WBEM_E_VALUE_OUT_OF_RANGE,
		},
		{
			name:  "integer does not fit 64 bits",
			files: []mofFile{{"a.mof", "instance of T_Thing {\n    Id = \"t9\";\n    Signed = 18446744073709551616;\n};\n"}},
			pos:   "a.mof:3:14", msg: "does not fit 64 bits", code: status.WBEM_E_VALUE_OUT_OF_RANGE,
		},
		{
			name:  "undefined alias",
			files: []mofFile{{"a.mof", "instance of T_Link {\n    Left = \"T_Thing.Id=\\\"t1\\\"\";\n    Right = $nowhere;\n};\n"}},
			pos:   "a.mof:3:13", msg: "alias $nowhere is not defined before its use",
		},
		{
			name:  "alias used before its definition",
			files: []mofFile{{"a.mof", "instance of T_Link {\n    Left = $later;\n    Right = $later;\n};\ninstance of T_Thing as $later { Id = \"t9\"; };\n"}},
			pos:   "a.mof:2:12", msg: "alias $later is not defined before its use",
		},
		{
			name:  "alias defined twice",
			files: []mofFile{{"a.mof", "instance of T_Thing as $x { Id = \"t8\"; };\ninstance of T_Thing as $x { Id = \"t9\"; };\n"}},
			pos:   "a.mof:2:1", msg: "alias $x defined twice",
		},
		{
			name:  "alias of a keyless instance used as a reference",
			files: []mofFile{{"a.mof", "class T_Free { string S; };\ninstance of T_Free as $f { S = \"x\"; };\ninstance of T_Link { Left = $f; Right = $f; };\n"}},
			pos:   "a.mof:3:29", msg: "alias $f names an instance without a path",
		},
		{
			name:  "duplicate property",
			files: []mofFile{{"a.mof", "class T_New {\n    string A;\n    uint32 a;\n};\n"}},
			pos:   "a.mof:3:5", msg: "class T_New declares a twice",
		},
		{
			name:  "property and method of the same name",
			files: []mofFile{{"a.mof", "class T_New {\n    string A;\n    uint32 A();\n};\n"}},
			pos:   "a.mof:3:5", msg: "class T_New declares A twice",
		},
		{
			name:  "property given twice in an instance",
			files: []mofFile{{"a.mof", "instance of T_Thing {\n    Id = \"t9\";\n    Small = 1;\n    SMALL = 2;\n};\n"}},
			pos:   "a.mof:4:5", msg: "instance of T_Thing: property SMALL given twice",
		},
		{
			name:  "duplicate parameter",
			files: []mofFile{{"a.mof", "class T_New {\n    uint32 M([In] string P1,\n             [In] uint32 p1);\n};\n"}},
			pos:   "a.mof:3:14", msg: "method T_New.M: parameter p1 declared twice", code: status.WBEM_E_INVALID_DUPLICATE_PARAMETER,
		},
		{
			name:  "array return type",
			files: []mofFile{{"a.mof", "class T_New {\n    string A;\n    uint32[] M();\n};\n"}},
			pos:   "a.mof:3:5", msg: "method T_New.M returns an array", code: status.WBEMMOF_E_NO_ARRAYS_RETURNED,
		},
		{
			name:  "qualifier type mismatch",
			files: []mofFile{{"a.mof", "class T_New {\n    [MaxLen(\"long\")] string A;\n};\n"}},
			pos:   "a.mof:2:13", msg: "qualifier MaxLen: a string value cannot be uint32", code: status.WBEM_E_TYPE_MISMATCH,
		},
		{
			name:  "qualifier given twice",
			files: []mofFile{{"a.mof", "class T_New {\n    [Description(\"a\"), description(\"b\")] string A;\n};\n"}},
			pos:   "a.mof:2:24", msg: "qualifier description given twice",
		},
		{
			name:  "invalid datetime",
			files: []mofFile{{"a.mof", "instance of T_Thing {\n    Id = \"t9\";\n    When = \"2024-01-02 03:04:05\";\n};\n"}},
			pos:   "a.mof:3:12", msg: "T_Thing.When: ", code: status.WBEM_E_INVALID_SYNTAX,
		},
		{
			name:  "key override not allowed (DisableOverride)",
			files: []mofFile{{"a.mof", "class T_Sub : T_Thing {\n    [Key(false)] string Id;\n};\n"}},
			pos:   "a.mof:1:1", msg: "qualifier Key cannot be overridden", code: status.WBEM_E_UPDATE_OVERRIDE_NOT_ALLOWED,
		},
		{
			name:  "override changes the type",
			files: []mofFile{{"a.mof", "class T_Sub : T_Thing {\n    uint32 Id;\n};\n"}},
			pos:   "a.mof:1:1", msg: "property Id overrides T_Base string with uint32", code: status.WBEM_E_UPDATE_TYPE_MISMATCH,
		},
		{
			name:  "instance of an abstract class",
			files: []mofFile{{"a.mof", "instance of T_Base {\n    Id = \"b1\";\n};\n"}},
			pos:   "a.mof:1:1", msg: "class T_Base is abstract", code: status.WBEM_E_INVALID_OPERATION,
		},
		{
			name:  "instance of an unknown class",
			files: []mofFile{{"a.mof", "\n  instance of T_Ghost {\n    Id = \"b1\";\n};\n"}},
			pos:   "a.mof:2:3", msg: "instance of T_Ghost: no such class in root/cimv2", code: status.WBEM_E_INVALID_CLASS,
		},
		{
			name:  "embedded instance of the wrong class",
			files: []mofFile{{"a.mof", "class T_Holder {\n    [Key] string K;\n    [EmbeddedInstance(\"T_Link\")] string E;\n};\ninstance of T_Holder {\n    K = \"h\";\n    E = instance of T_Thing { Id = \"x\"; };\n};\n"}},
			pos:   "a.mof:7:9", msg: "wants an instance of T_Link, got T_Thing", code: status.WBEM_E_TYPE_MISMATCH,
		},
		{
			name:  "string for an embedded instance",
			files: []mofFile{{"a.mof", "class T_Holder {\n    [Key] string K;\n    [EmbeddedInstance(\"T_Link\")] string E = \"text\";\n};\n"}},
			pos:   "a.mof:3:45", msg: "an embedded instance must be given as instance of ... or an alias", code: status.WBEM_E_TYPE_MISMATCH,
		},
		{
			name:  "key array",
			files: []mofFile{{"a.mof", "class T_New {\n    [Key] string K[];\n};\n"}},
			pos:   "a.mof:1:1", msg: "cannot be a key", code: status.WBEM_E_CANNOT_BE_KEY,
		},
		{
			name:  "unknown qualifier scope",
			files: []mofFile{{"a.mof", "Qualifier Q : boolean = false, Scope(everywhere);\n"}},
			pos:   "a.mof:1:1", msg: `qualifier Q: unknown scope "everywhere"`,
		},
		{
			name:  "syntax error",
			files: []mofFile{{"a.mof", "class T_New {\n    strin A;\n};\n"}},
			pos:   "a.mof:2:5", msg: `unknown data type "strin"`,
		},
		{
			name: "error in the last of several files",
			files: []mofFile{
				{"one.mof", "Qualifier Extra : string = null, Scope(any);\nclass T_One {\n    [Key] string K;\n};\ninstance of T_One { K = \"1\"; };\n"},
				{"two.mof", "#pragma namespace(\"root/two\")\n" + "Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);\n" +
					"class T_Two {\n    [Key] string K;\n};\ninstance of T_Two { K = \"2\"; };\n"},
				{"three.mof", "class T_Three : T_One {\n    string S;\n};\ninstance of T_Three {\n    K = \"3\";\n    S = 3;\n};\n"},
			},
			pos: "three.mof:6:9", msg: "T_Three.S: an integer value cannot be string", code: status.WBEM_E_TYPE_MISMATCH,
		},
		{
			name: "error in an included file",
			files: []mofFile{
				{"main.mof", "class T_Main {\n    [Key] string K;\n};\n#pragma include (\"sub/inc.mof\")\n"},
				{"sub/inc.mof", "// included\ninstance of T_Main {\n    K = \"1\";\n    Nope = 2;\n};\n"},
			},
			pos: "sub/inc.mof:4:5", msg: "class T_Main has no property Nope",
		},
		{
			name:  "classflags createonly on an existing class",
			files: []mofFile{{"a.mof", "class T_New {\n    string A;\n};\n#pragma classflags(\"createonly\")\nclass T_Newer {\n    string A;\n};\nclass T_Thing : T_Base {\n    uint8 Small;\n};\n"}},
			pos:   "a.mof:8:1", msg: `class T_Thing already exists (#pragma classflags("createonly"))`, code: status.WBEM_E_ALREADY_EXISTS,
		},
		{
			name:  "classflags updateonly on a new class",
			files: []mofFile{{"a.mof", "#pragma classflags(\"forceupdate\", \"updateonly\")\nclass T_Thing : T_Base {\n    uint8 Small;\n};\nclass T_New {\n    string A;\n};\n"}},
			pos:   "a.mof:5:1", msg: `class T_New does not exist (#pragma classflags("updateonly"))`, code: status.WBEM_E_NOT_FOUND,
		},
		{
			name:  "classflags createonly and updateonly",
			files: []mofFile{{"a.mof", "#pragma classflags(\"createonly,updateonly\")\n"}},
			pos:   "a.mof:1:1", msg: "createonly and updateonly exclude each other",
		},
		{
			name:  "invalid namespace in a pragma",
			files: []mofFile{{"a.mof", "class T_New {};\n#pragma namespace(\"root/bad name\")\n\nclass T_Else {};\n"}},
			pos:   "a.mof:2:1", msg: `#pragma namespace: `, code: status.WBEM_E_INVALID_NAMESPACE,
		},
		{
			name:  "class in another namespace misses its superclass",
			files: []mofFile{{"a.mof", "#pragma namespace(\"root/other\")\nclass T_Sub : T_Thing {};\n"}},
			pos:   "a.mof:2:1", msg: "superclass T_Thing not found in namespace root/other", code: status.WBEM_E_INVALID_SUPERCLASS,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newBaseRepository(t)
			before := snapshot(t, r)
			dir := t.TempDir()
			paths := writeMOF(t, dir, tc.files...)
			res, err := Compile(r, paths, CompileOptions{})
			if err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			if res != nil {
				t.Errorf("result %+v with an error", res)
			}
			e := firstError(t, err)
			file, rest, _ := strings.Cut(tc.pos, ":")
			wantPos := filepath.Join(dir, filepath.FromSlash(file)) + ":" + rest
			if got := e.Pos().String(); got != wantPos {
				t.Errorf("position %s, want %s", got, wantPos)
			}
			if !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("message %q, want it to contain %q", e.Msg, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), wantPos+": ") {
				t.Errorf("error %q does not start with %q", err, wantPos+": ")
			}
			if tc.code != 0 {
				if got := status.Code(err); got != tc.code {
					t.Errorf("status %v, want %v", got, tc.code)
				}
			}
			if after := snapshot(t, r); after != before {
				t.Errorf("repository changed by a failed compilation: %s", diffLines(before, after))
			}
		})
	}
}

// TestCompileWarnings checks problems that do not stop a compilation.
func TestCompileWarnings(t *testing.T) {
	r := newBaseRepository(t)
	src := "#pragma unknownthing(\"x\")\n" +
		"#pragma deleteclass(\"T_Thing\", NOFAIL)\n" +
		"#pragma classflags(\"sometimes\")\n" +
		"[Undeclared(3)] class T_W {\n    [Key] string K;\n    [Key] string M();\n};\n" +
		"class T_Doc {\n    string Title;\n};\n" +
		"instance of T_Doc { Title = \"no key\"; };\n" +
		"instance of T_W { };\n"
	res, err := CompileSource(r, "w.mof", []byte(src), CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"w.mof:1:1: unknown #pragma unknownthing ignored",
		"w.mof:2:1: #pragma deleteclass is not supported; ignored",
		`w.mof:3:20: unknown class flag "sometimes" ignored`,
		"w.mof:4:2: qualifier Undeclared is used without a declaration in root/cimv2; its type is taken from the value",
		"w.mof:6:6: qualifier Key is not declared for this scope (T_W.M())",
		"w.mof:11:1: instance of T_Doc is not stored: its class has no key property",
		"w.mof:12:1: instance of T_W is not stored: key property K is NULL",
	}
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.Error())
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(res.Unstored) != 2 || res.Unstored[0].ClassName() != "T_Doc" || res.Unstored[1].ClassName() != "T_W" {
		t.Errorf("Unstored = %v", res.Unstored)
	}
	c := mustClass(t, r, "root/cimv2", "T_W")
	if q := c.Qualifiers.Get("Undeclared"); q == nil || q.Value.Type() != cim.Sint64 || q.Value.Int64() != 3 {
		t.Errorf("Undeclared = %+v, want sint64 3", q)
	}
}

// TestCompileNamespacePragma checks the absolute and relative forms of
// #pragma namespace, that namespaces are created, and that every file
// given to Compile starts in the default namespace with its own aliases.
func TestCompileNamespacePragma(t *testing.T) {
	r := newBaseRepository(t)
	dir := t.TempDir()
	quals := "Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);\n"
	paths := writeMOF(t, dir,
		mofFile{"one.mof", `#pragma namespace("root/abs")
` + quals + `class N_A { [Key] string K; };
instance of N_A as $a { K = "abs"; };
#pragma namespace("child")
` + quals + `class N_B { [Key] string K; };
instance of N_B as $b { K = "child"; };
#pragma namespace("\\\\.\\ROOT\\wmi\\deep")
` + quals + `class N_C { [Key] string K; };
#pragma namespace("//server/root/slashes")
class N_D {};
`},
		mofFile{"two.mof", `// starts in the default namespace again, with no aliases
instance of T_Thing as $a { Id = "from-two"; };
#pragma namespace ("/root/abs")
instance of N_A as $b { K = "again"; };
`},
	)
	res, err := Compile(r, paths, CompileOptions{Namespace: `root\test`})
	if err == nil {
		t.Fatalf("compiled T_Thing into root/test, which does not hold it: %+v", res)
	}
	if e := firstError(t, err); e.Line != 2 || e.Col != 1 || !strings.Contains(e.Msg, "no such class in root/test") {
		t.Fatalf("error %v, want two.mof:2:1 no such class in root/test", err)
	}

	res, err = Compile(r, paths, CompileOptions{}) // default root/cimv2
	if err != nil {
		t.Fatal(err)
	}
	// Result names the namespace as the pragma spells it.
	wantClasses := []string{"root/abs:N_A", "root/abs/child:N_B", "ROOT/wmi/deep:N_C", "root/slashes:N_D"}
	if !slices.Equal(res.Classes, wantClasses) {
		t.Errorf("Classes = %q, want %q", res.Classes, wantClasses)
	}
	wantInst := []string{`root\abs:N_A.K="abs"`, `root\abs\child:N_B.K="child"`, `root\cimv2:T_Thing.Id="from-two"`, `root\abs:N_A.K="again"`}
	if !slices.Equal(res.Instances, wantInst) {
		t.Errorf("Instances = %q, want %q", res.Instances, wantInst)
	}
	for _, ns := range []string{"root/abs", "root/abs/child", "root/wmi", "root/wmi/deep", "root/slashes"} {
		if !r.HasNamespace(ns) {
			t.Errorf("namespace %s not created", ns)
		}
	}
	if names, _ := r.ClassNames("root/abs/child", "", false); !slices.Contains(names, "N_B") || slices.Contains(names, "N_A") {
		t.Errorf("root/abs/child classes = %q", names)
	}
	if r.HasNamespace("root/test") {
		t.Error("the failed compilation created root/test")
	}
}

// TestCompileClassFlags checks that createonly lets new classes through
// and updateonly lets existing ones be replaced.
func TestCompileClassFlags(t *testing.T) {
	r := newBaseRepository(t)
	src := `#pragma classflags("createonly")
class T_Fresh { string A; };
#pragma classflags("updateonly")
class T_Thing : T_Base {
    uint8 Small;
    uint32 Big;
    sint64 Signed;
    datetime When;
    string Tags[];
    string Added;
    uint32 Get([In] uint32 Which, [In(false), Out] string Text);
};
`
	res, err := CompileSource(r, "flags.mof", []byte(src), CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"root/cimv2:T_Fresh", "root/cimv2:T_Thing"}; !slices.Equal(res.Classes, want) {
		t.Errorf("Classes = %q", res.Classes)
	}
	if mustClass(t, r, "root/cimv2", "T_Thing").Property("Added") == nil {
		t.Error("T_Thing was not updated")
	}
	// The flags end with the file.
	if _, err := CompileSource(r, "again.mof", []byte("class T_Fresh { string A; };"), CompileOptions{}); err != nil {
		t.Errorf("createonly leaked into the next compilation: %v", err)
	}
}

// TestCompileAliasesPerFile compiles files that define the same alias:
// each file given to Compile has its own aliases.
func TestCompileAliasesPerFile(t *testing.T) {
	r := newBaseRepository(t)
	dir := t.TempDir()
	link := "instance of T_Link { Left = $x; Right = $x; };\n"
	paths := writeMOF(t, dir,
		mofFile{"a.mof", "instance of T_Thing as $x { Id = \"a\"; };\n" + link},
		mofFile{"b.mof", "instance of T_Thing as $x { Id = \"b\"; };\n" + link},
	)
	res, err := Compile(r, paths, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Instances) != 4 {
		t.Fatalf("Instances = %q", res.Instances)
	}
	for i, want := range []string{"a", "b"} {
		p, _ := cim.ParsePath(res.Instances[2*i+1])
		ref, _ := cim.ParsePath(p.Keys[0].Value.Text)
		if got := ref.Keys[0].Value.Text; got != want {
			t.Errorf("link %d refers to %q, want %q", i, got, want)
		}
	}
}

// TestCompileTx compiles into a transaction that the caller rolls back.
func TestCompileTx(t *testing.T) {
	r := newBaseRepository(t)
	before := snapshot(t, r)
	stop := errors.New("roll back")
	err := r.Update(func(tx *repository.Tx) error {
		f, err := Parse("tx.mof", []byte("class T_Tx { [Key] string K; };\ninstance of T_Tx { K = \"1\"; };"), Options{})
		if err != nil {
			return err
		}
		res, err := CompileTx(tx, []*File{f}, CompileOptions{Namespace: "root/tx"})
		if err != nil {
			return err
		}
		if len(res.Classes) != 1 || len(res.Instances) != 1 {
			t.Errorf("result %+v", res)
		}
		if _, err := tx.GetClass("root/tx", "T_Tx"); err != nil {
			t.Errorf("the transaction does not see its class: %v", err)
		}
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Update: %v", err)
	}
	if after := snapshot(t, r); after != before {
		t.Errorf("rolled back compilation changed the repository: %s", diffLines(before, after))
	}
}

// TestCompileIdempotent compiles the same text twice: the second run
// replaces everything with itself and changes nothing.
func TestCompileIdempotent(t *testing.T) {
	r := newBaseRepository(t)
	if _, err := CompileSource(r, "f.mof", []byte(featuresMOF), CompileOptions{}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, r)
	res, err := CompileSource(r, "f.mof", []byte(featuresMOF), CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Classes) != 4 || len(res.Instances) != 4 {
		t.Errorf("second run: %d classes, %d instances", len(res.Classes), len(res.Instances))
	}
	if after := snapshot(t, r); after != before {
		t.Errorf("second compilation changed the repository: %s", diffLines(before, after))
	}
}

// TestCompileNamespaceInstance creates a namespace the WMI way, with an
// instance of __Namespace, then compiles into it.
func TestCompileNamespaceInstance(t *testing.T) {
	r := repository.NewMemory()
	src := "instance of __Namespace { Name = \"made\"; };\n#pragma namespace(\"made\")\nclass M_X {};\n"
	res, err := CompileSource(r, "ns.mof", []byte(src), CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Classes, []string{"root/cimv2/made:M_X"}) || !slices.Equal(res.Instances, []string{`root\cimv2:__Namespace.Name="made"`}) {
		t.Errorf("result %q %q", res.Classes, res.Instances)
	}
	if names, err := r.ClassNames("root/cimv2/made", "", false); err != nil || !slices.Contains(names, "M_X") {
		t.Errorf("root/cimv2/made: %q, %v", names, err)
	}
}
