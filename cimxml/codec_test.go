package cimxml

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

func compareQualifiers(t *testing.T, where string, got, want cim.Qualifiers) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d qualifiers, want %d (%v / %v)", where, len(got), len(want), got, want)
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || !cim.Equal(g.Value, w.Value) || g.Flavor&^cim.FlavorToInstance != w.Flavor&^cim.FlavorToInstance || g.Propagated != w.Propagated {
			t.Errorf("%s: qualifier %+v, want %+v", where, g, w)
		}
	}
}

// compareClass compares a decoded class with the original (everything
// CIM-XML carries).
func compareClass(t *testing.T, got, want *cim.Class) {
	t.Helper()
	if got.Name != want.Name || got.SuperClass != want.SuperClass {
		t.Fatalf("class %s : %s, want %s : %s", got.Name, got.SuperClass, want.Name, want.SuperClass)
	}
	compareQualifiers(t, got.Name, got.Qualifiers, want.Qualifiers)
	if len(got.Properties) != len(want.Properties) {
		t.Fatalf("%s: %d properties, want %d", got.Name, len(got.Properties), len(want.Properties))
	}
	for i, w := range want.Properties {
		g := got.Properties[i]
		if g.Name != w.Name || g.Type != w.Type || g.IsArray != w.IsArray || g.RefClass != w.RefClass ||
			g.EmbeddedClass != w.EmbeddedClass || g.ClassOrigin != w.ClassOrigin || g.Propagated != w.Propagated ||
			g.ArraySize != w.ArraySize || !(cim.Equal(g.Default, w.Default) || g.Default.IsNull() && w.Default.IsNull()) {
			t.Errorf("%s: property %+v, want %+v", got.Name, g, w)
		}
		compareQualifiers(t, got.Name+"."+w.Name, g.Qualifiers, w.Qualifiers)
	}
	if len(got.Methods) != len(want.Methods) {
		t.Fatalf("%s: %d methods, want %d", got.Name, len(got.Methods), len(want.Methods))
	}
	for i, w := range want.Methods {
		g := got.Methods[i]
		if g.Name != w.Name || g.ReturnType != w.ReturnType || g.ClassOrigin != w.ClassOrigin || g.Propagated != w.Propagated ||
			len(g.Parameters) != len(w.Parameters) {
			t.Errorf("%s: method %s %v %s %v, want %s %v %s %v", got.Name, g.Name, g.ReturnType, g.ClassOrigin, g.Propagated,
				w.Name, w.ReturnType, w.ClassOrigin, w.Propagated)
			continue
		}
		compareQualifiers(t, got.Name+"."+w.Name, g.Qualifiers, w.Qualifiers)
		for j, wp := range w.Parameters {
			gp := g.Parameters[j]
			if gp.Name != wp.Name || gp.Type != wp.Type || gp.IsArray != wp.IsArray || gp.RefClass != wp.RefClass ||
				gp.EmbeddedClass != wp.EmbeddedClass || gp.ArraySize != wp.ArraySize || gp.IsIn() != wp.IsIn() || gp.IsOut() != wp.IsOut() {
				t.Errorf("%s.%s: parameter %+v, want %+v", got.Name, w.Name, gp, wp)
			}
			compareQualifiers(t, got.Name+"."+w.Name+"."+wp.Name, gp.Qualifiers, wp.Qualifiers)
		}
	}
}

func TestRoundTripClasses(t *testing.T) {
	n := newFakeNS("root/default")
	for _, name := range n.order {
		c := n.classes[strings.ToLower(name)]
		doc := AppendClass(nil, c, allOptions)
		got, err := DecodeClass(doc)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, doc)
		}
		compareClass(t, got, c)
		// Decoding and encoding again gives the same bytes.
		if again := AppendClass(nil, got, allOptions); string(again) != string(doc) {
			t.Errorf("%s: re-encoding differs:\n%s\n%s", name, doc, again)
		}
	}
	// LocalOnly leaves out inherited features and qualifiers.
	w := n.classes["tst_widget"]
	got, err := DecodeClass(AppendClass(nil, w, ObjectOptions{LocalOnly: true, IncludeQualifiers: true}))
	if err != nil {
		t.Fatal(err)
	}
	if got.Property("Id") != nil || got.Method("Ping") != nil || got.Property("Size") == nil || got.Method("Resize") == nil {
		t.Errorf("LocalOnly kept inherited features: %v", got.Properties)
	}
	got, _ = DecodeClass(AppendClass(nil, w, ObjectOptions{PropertyList: []string{"size"}}))
	if len(got.Properties) != 1 || len(got.Qualifiers) != 0 || got.Properties[0].ClassOrigin != "" {
		t.Errorf("PropertyList / no qualifiers / no class origin: %+v", got)
	}
}

func TestRoundTripInstances(t *testing.T) {
	n := newFakeNS("root/default")
	for _, inst := range n.instances {
		doc := AppendNamedInstance(nil, inst, allOptions)
		got, err := DecodeInstance(doc)
		if err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		if !got.Equal(inst) {
			t.Errorf("instance:\n got %v\nwant %v", got, inst)
		}
		if got.Path().RelPath() != inst.Path().RelPath() {
			t.Errorf("path %s, want %s", got.Path().RelPath(), inst.Path().RelPath())
		}
		doc = AppendInstance(nil, inst, ObjectOptions{})
		got, err = DecodeInstance(doc)
		if err != nil || !got.Equal(inst) {
			t.Errorf("INSTANCE: %v %v", got, err)
		}
	}
}

func TestRoundTripQualifierDecls(t *testing.T) {
	for _, q := range newFakeNS("x").quals {
		got, err := DecodeQualifierDecl(AppendQualifierDecl(nil, q))
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != q.Name || got.Type != q.Type || got.IsArray != q.IsArray || got.Scopes != q.Scopes ||
			got.Flavor != q.Flavor || !cim.Equal(got.Default, q.Default) {
			t.Errorf("got %+v, want %+v", got, q)
		}
	}
	all := &cim.QualifierDecl{Name: "Any", Type: cim.Sint32, IsArray: true, ArraySize: 3, Scopes: cim.ScopeAny,
		Flavor: cim.FlavorRestricted | cim.FlavorToInstance, Default: cim.MustArray(cim.Sint32, cim.NewSint32(-1))}
	got, err := DecodeQualifierDecl(AppendQualifierDecl(nil, all))
	if err != nil || got.Scopes != cim.ScopeAny || got.ArraySize != 3 || got.Flavor != all.Flavor || !cim.Equal(got.Default, all.Default) {
		t.Errorf("got %+v %v", got, err)
	}
}

func key(name string, kind cim.KeyKind, text string) cim.KeyBinding {
	return cim.KeyBinding{Name: name, Value: cim.KeyValue{Kind: kind, Text: text}}
}

// testValues has values of every type, with the edge cases of each.
func testValues() []cim.Value {
	dt1, _ := cim.NewDateTime("20240229235960.999999-720")
	dt2, _ := cim.NewDateTime("99999999235959.999999:000")
	dt3, _ := cim.NewDateTime("2024**********.******+000")
	inst := newFakeNS("x").instances[0]
	vals := []cim.Value{
		cim.NewBool(true), cim.NewBool(false),
		cim.NewUint8(0), cim.NewUint8(255), cim.NewSint8(-128), cim.NewSint8(127),
		cim.NewUint16(65535), cim.NewSint16(-32768), cim.NewUint32(math.MaxUint32), cim.NewSint32(math.MinInt32),
		cim.NewUint64(math.MaxUint64), cim.NewSint64(math.MinInt64), cim.NewSint64(math.MaxInt64),
		cim.NewReal32(0.1), cim.NewReal32(math.MaxFloat32), cim.NewReal32(math.SmallestNonzeroFloat32), cim.NewReal32(-0),
		cim.NewReal32(16777217), cim.NewReal32(1e-10),
		cim.NewReal64(0.1), cim.NewReal64(1e21), cim.NewReal64(123456789.125), cim.NewReal64(math.MaxFloat64),
		cim.NewReal64(math.SmallestNonzeroFloat64), cim.NewReal64(math.Inf(1)), cim.NewReal64(math.Inf(-1)), cim.NewReal64(-2.5e-300),
		cim.NewChar16('a'), cim.NewChar16('<'), cim.NewChar16('&'), cim.NewChar16(0xE9), cim.NewChar16(0xFFFD), cim.NewChar16('\t'),
		cim.NewString(""), cim.NewString(" leading and trailing "), cim.NewString("<>&\"'"), cim.NewString("a\r\nb\rc\nd\te"),
		cim.NewString("ctl\x01\x1f\x7f"), cim.NewString("ünïcødé ✓ 😀"), cim.NewString("]]>"), cim.NewString("&amp;"),
		dt1, dt2, dt3,
		cim.NewObject(inst),
		cim.MustArray(cim.String), cim.MustArray(cim.String, cim.NewString("a"), cim.Null(cim.String, false), cim.NewString("")),
		cim.MustArray(cim.Uint8, cim.NewUint8(1), cim.NewUint8(2)), cim.MustArray(cim.Boolean, cim.NewBool(true), cim.NewBool(false)),
		cim.MustArray(cim.Real64, cim.NewReal64(math.Inf(1)), cim.NewReal64(-1.5)), cim.MustArray(cim.DateTime, dt1),
		cim.MustArray(cim.Char16, cim.NewChar16('x')), cim.MustArray(cim.Sint64, cim.NewSint64(-1)),
		cim.MustArray(cim.Object, cim.NewObject(inst), cim.Null(cim.Object, false)),
	}
	for _, p := range testPaths() {
		vals = append(vals, cim.NewReference(p))
	}
	vals = append(vals, cim.MustArray(cim.Reference, cim.NewReference(testPaths()[0]), cim.Null(cim.Reference, false), cim.NewReference(testPaths()[3])))
	return vals
}

// testPaths has a path of every form CIM-XML can carry.
func testPaths() []*cim.ObjectPath {
	ref := `\\srv\root\cimv2:TST_Widget.Id="w\"1"`
	return []*cim.ObjectPath{
		{Server: "127.0.0.1", Namespace: "root/cimv2", Class: "TST_Widget", Keys: []cim.KeyBinding{key("Id", cim.KeyString, "w1")}}, // INSTANCEPATH
		{Namespace: "root/cimv2", Class: "TST_Widget", Keys: []cim.KeyBinding{key("Id", cim.KeyString, "w<&>")}},                    // LOCALINSTANCEPATH
		{Class: "TST_Widget", Keys: []cim.KeyBinding{key("Id", cim.KeyString, "w1")}},                                               // INSTANCENAME
		{Server: "host.example", Namespace: "root/a/b", Class: "CIM_Foo"},                                                           // CLASSPATH
		{Namespace: "root/cimv2", Class: "CIM_Foo"},                                                                                 // LOCALCLASSPATH
		{Class: "CIM_Foo"}, // CLASSNAME
		{Class: "Multi", Keys: []cim.KeyBinding{key("A", cim.KeyInt, "-5"), key("B", cim.KeyBool, "TRUE"), key("C", cim.KeyReal, "1.5"),
			key("D", cim.KeyString, ""), key("E", cim.KeyInt, "18446744073709551615"), key("R", cim.KeyRef, ref)}},
		{Class: "Single", Singleton: true},
		{Class: "Unnamed", Keys: []cim.KeyBinding{key("", cim.KeyString, "v")}},
	}
}

func TestRoundTripValues(t *testing.T) {
	for _, v := range testValues() {
		doc := AppendValue(nil, v)
		got, err := DecodeValue(doc, v.Type())
		if err != nil {
			t.Errorf("%s %v: %v\n%s", v.TypeName(), v, err, doc)
			continue
		}
		if !cim.Equal(got, v) {
			t.Errorf("%s: got %v, want %v\n%s", v.TypeName(), got, v, doc)
		}
		// Reals must round-trip bit for bit (Equal compares bits).
		if v.Type().IsReal() && !v.IsArray() && math.Float64bits(got.Float64()) != math.Float64bits(v.Float64()) {
			t.Errorf("real %v came back as %v", v, got)
		}
	}
	// NaN is not equal to itself: compare by text.
	doc := AppendValue(nil, cim.NewReal64(math.NaN()))
	if got, err := DecodeValue(doc, cim.Real64); err != nil || !math.IsNaN(got.Float64()) {
		t.Errorf("NaN: %v %v", got, err)
	}
	if string(doc) != "<VALUE>NaN</VALUE>" {
		t.Errorf("NaN written as %s", doc)
	}
}

func TestReferenceForms(t *testing.T) {
	forms := []string{"INSTANCEPATH", "LOCALINSTANCEPATH", "INSTANCENAME", "CLASSPATH", "LOCALCLASSPATH", "CLASSNAME"}
	for i, p := range testPaths()[:6] {
		doc := string(AppendReference(nil, p))
		if !strings.HasPrefix(doc, "<VALUE.REFERENCE><"+forms[i]+">") && !strings.HasPrefix(doc, "<VALUE.REFERENCE><"+forms[i]+" ") {
			t.Errorf("%s written as %s", forms[i], doc)
		}
	}
	// The forms other clients write, whitespace and all.
	inputs := map[string]string{
		`<VALUE.REFERENCE> <INSTANCENAME CLASSNAME="C"> <KEYBINDING NAME="k"> <KEYVALUE VALUETYPE="numeric" TYPE="uint8"> 0x10 </KEYVALUE> </KEYBINDING> </INSTANCENAME> </VALUE.REFERENCE>`: `C.k=16`,
		`<VALUE.REFERENCE><INSTANCENAME CLASSNAME="C"><KEYBINDING NAME="k"><KEYVALUE>plain</KEYVALUE></KEYBINDING></INSTANCENAME></VALUE.REFERENCE>`:                                         `C.k="plain"`,
		`<VALUE.REFERENCE><INSTANCENAME CLASSNAME="C"><KEYBINDING NAME="k"><KEYVALUE VALUETYPE="boolean">true</KEYVALUE></KEYBINDING></INSTANCENAME></VALUE.REFERENCE>`:                      `C.k=TRUE`,
		`<VALUE.REFERENCE><INSTANCENAME CLASSNAME="C"><KEYVALUE VALUETYPE="numeric">-7</KEYVALUE></INSTANCENAME></VALUE.REFERENCE>`:                                                          `C=-7`,
		`<VALUE.REFERENCE><INSTANCENAME CLASSNAME="C"><KEYBINDING NAME="r"><VALUE.REFERENCE><CLASSNAME NAME="D"/></VALUE.REFERENCE></KEYBINDING></INSTANCENAME></VALUE.REFERENCE>`:           `C.r="D"`,
		`<LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/></LOCALNAMESPACEPATH><CLASSNAME NAME="X"/></LOCALCLASSPATH>`:                                                            `root:X`,
	}
	for in, want := range inputs {
		v, err := DecodeValue([]byte(in), cim.Reference)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := v.Ref().String(); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

func TestRoundTripMessages(t *testing.T) {
	vals := testValues()
	var params []Param
	for i, v := range vals {
		params = append(params, Param{Name: "p" + string(rune('A'+i%26)) + string(rune('a'+i/26)), Type: v.Type(), Value: v})
	}
	req := &Request{MessageID: "77", Method: "Do", Namespace: "root/x", Params: params,
		Target: &cim.ObjectPath{Namespace: "root/x", Class: "C", Keys: []cim.KeyBinding{key("k", cim.KeyInt, "5")}}}
	got, err := DecodeRequest(req.AppendTo(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got.MessageID != "77" || got.Method != "Do" || got.Namespace != "root/x" || got.Target.RelPath() != "C.k=5" || len(got.Params) != len(params) {
		t.Fatalf("request %+v", got)
	}
	for i, p := range params {
		if g := got.Params[i]; g.Name != p.Name || g.Type != p.Type || !cim.Equal(g.Value, p.Value) {
			t.Errorf("param %s: got %v (%s), want %v (%s)", p.Name, g.Value, g.Value.TypeName(), p.Value, p.Value.TypeName())
		}
	}

	ireq := &Request{MessageID: "1", Intrinsic: true, Method: "GetInstance", Namespace: "root/cimv2", Params: []Param{
		{Name: "InstanceName", Value: cim.NewReference(testPaths()[2])},
		{Name: "ClassName", Value: cim.NewReference(&cim.ObjectPath{Class: "CIM_Foo"})},
		{Name: "LocalOnly", Value: cim.NewBool(false)},
		{Name: "PropertyList", Value: cim.MustArray(cim.String, cim.NewString("A"))},
	}}
	got, err = DecodeRequest(ireq.AppendTo(nil))
	if err != nil || !got.Intrinsic || len(got.Params) != 4 {
		t.Fatalf("intrinsic request %+v %v", got, err)
	}
	if p := got.Params[0].Value.Ref(); p == nil || p.RelPath() != `TST_Widget.Id="w1"` {
		t.Errorf("InstanceName %v", got.Params[0].Value)
	}
	if p := got.Params[1].Value.Ref(); p == nil || !p.IsClass() {
		t.Errorf("ClassName %v", got.Params[1].Value)
	}
	if v := got.Params[2].Value; v.Text() != "FALSE" {
		t.Errorf("LocalOnly %v", v)
	}

	n := newFakeNS("root/x")
	resp := &Response{MessageID: "5", Method: "Do", ReturnValue: cim.NewUint32(7), Params: params}
	gr, err := DecodeResponse(resp.AppendTo(nil))
	if err != nil {
		t.Fatal(err)
	}
	if gr.Method != "Do" || gr.Intrinsic || !cim.Equal(gr.ReturnValue, resp.ReturnValue) || len(gr.Params) != len(params) {
		t.Fatalf("response %+v", gr)
	}
	iresp := &Response{MessageID: "5", Intrinsic: true, Method: "EnumerateInstances", HasReturn: true,
		Instances: n.instances, InstanceNames: []*cim.ObjectPath{n.instances[0].Path(), n.instances[1].Path()}}
	gr, err = DecodeResponse(iresp.AppendTo(nil))
	if err != nil || len(gr.Instances) != 2 || len(gr.InstanceNames) != 2 || !gr.Instances[0].Equal(n.instances[0]) {
		t.Errorf("named instances %+v %v", gr, err)
	}
	iresp = &Response{MessageID: "5", Intrinsic: true, Method: "X", HasReturn: true, ClassNames: []string{"A", "B"},
		Classes: []*cim.Class{n.classes["testmeth"]}, QualifierDecls: n.quals, Values: []cim.Value{cim.NewString("v")}}
	gr, err = DecodeResponse(iresp.AppendTo(nil))
	if err != nil || len(gr.ClassNames) != 2 || len(gr.Classes) != 1 || len(gr.QualifierDecls) != 3 || len(gr.Values) != 1 {
		t.Errorf("mixed IRETURNVALUE %+v %v", gr, err)
	}
}

func TestErrorRoundTrip(t *testing.T) {
	tests := []error{
		status.New(status.WBEM_E_NOT_FOUND, "no such thing"),
		status.New(status.WBEM_E_TYPE_MISMATCH, `bad "type" <here>`),
		status.NewCIM(status.CIM_ERR_METHOD_NOT_AVAILABLE, "not here"),
		status.WBEM_E_ACCESS_DENIED,
		errors.New("plain failure"),
		status.NewCIM(status.CIM_ERR_SERVER_IS_SHUTTING_DOWN, "bye"),
	}
	for _, e := range tests {
		r, err := DecodeResponse(AppendMethodResponse(nil, "1", "M", nil, e))
		if err != nil {
			t.Fatal(err)
		}
		want := status.AsError(e)
		if r.Err == nil || r.Err.CIM() != status.CIMCode(e) || r.Err.Code != want.Code {
			t.Errorf("%v: got %+v", e, r.Err)
			continue
		}
		wantDesc := want.Description
		if wantDesc == "" {
			wantDesc = want.Code.Message()
		}
		if r.Err.Description != wantDesc {
			t.Errorf("%v: description %q, want %q", e, r.Err.Description, wantDesc)
		}
	}
}

func TestEncodeEscaping(t *testing.T) {
	got := string(appendEscaped(nil, "a<b>&\"\r\n\t\x01\xff\x00", false))
	if want := "a&lt;b&gt;&amp;\"&#13;\n\t&#1;\uFFFD\uFFFD"; got != want {
		t.Errorf("text: %q, want %q", got, want)
	}
	got = string(appendEscaped(nil, "a<\"\r\n\t", true))
	if want := "a&lt;&quot;&#13;&#10;&#9;"; got != want {
		t.Errorf("attribute: %q, want %q", got, want)
	}
	for f, want := range map[float64]string{1: "1.0", 1e21: "1.0e+21", -0.5: "-0.5", 1e-7: "1.0e-07", math.Inf(-1): "-INF"} {
		if got := string(appendReal(nil, f, 64)); got != want {
			t.Errorf("%v written as %s, want %s", f, got, want)
		}
	}
}

func TestDecodeLeniency(t *testing.T) {
	// Attribute-value normalisation, CDATA, comments, BOM, pywbem's
	// EMBEDDEDOBJECT spelling and <VALUE/> array items.
	doc := "\xEF\xBB\xBF<?xml version='1.0'?><!-- hi --><VALUE.ARRAY><VALUE><![CDATA[<raw>&]]>tail</VALUE><VALUE/><VALUE></VALUE></VALUE.ARRAY>"
	v, err := DecodeValue([]byte(doc), cim.String)
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() != 3 || v.Index(0).Text() != "<raw>&tail" || !v.Index(1).IsNull() || v.Index(2).Text() != "" || v.Index(2).IsNull() {
		t.Errorf("got %v", v)
	}
	inst, err := DecodeInstance([]byte(`<INSTANCE CLASSNAME="A"><PROPERTY NAME="e" TYPE="string" EMBEDDEDOBJECT="object"><VALUE>&lt;INSTANCE CLASSNAME="B"&gt;&lt;/INSTANCE&gt;</VALUE></PROPERTY><PROPERTY NAME="n&#10;x" TYPE="boolean"><VALUE> true </VALUE></PROPERTY></INSTANCE>`))
	if err != nil {
		t.Fatal(err)
	}
	if o := inst.Value("e").Object(); o == nil || o.ClassName() != "B" || !inst.Value("n\nx").Bool() {
		t.Errorf("got %v", inst)
	}
	if _, err := DecodeValue([]byte(`<VALUE>1</VALUE><VALUE>2</VALUE>`), cim.Uint8); err == nil {
		t.Error("two roots accepted")
	}
	var pe *ProtocolError
	if _, err := DecodeValue([]byte(`<VALUE a="1" a="1">x</VALUE>`), cim.String); !errors.As(err, &pe) || pe.CIMError != ErrNotWellFormed {
		t.Errorf("duplicate attribute: %v", err)
	}
	if _, err := DecodeValue([]byte(`<VALUE>300</VALUE>`), cim.Uint8); !errors.Is(err, status.WBEM_E_VALUE_OUT_OF_RANGE) || status.CIMCode(err) != status.CIM_ERR_INVALID_PARAMETER {
		t.Errorf("out of range: %v", err)
	}
}

// TestEmbeddedNesting checks that embedded objects cannot nest without
// bound.
func TestEmbeddedNesting(t *testing.T) {
	inner := `<INSTANCE CLASSNAME="X"></INSTANCE>`
	for range 12 {
		inner = `<INSTANCE CLASSNAME="X"><PROPERTY NAME="e" TYPE="string" EMBEDDEDOBJECT="instance"><VALUE>` +
			string(appendEscaped(nil, inner, false)) + `</VALUE></PROPERTY></INSTANCE>`
	}
	if _, err := DecodeInstance([]byte(inner)); err == nil {
		t.Error("12 levels of embedded objects accepted")
	}
}

// TestCheckChars compares the word-at-a-time character check with a plain
// one on random input.
func TestCheckChars(t *testing.T) {
	slow := func(b []byte) int {
		for i := 0; i < len(b); {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
				return i
			}
			i += n
		}
		return -1
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab <>&\t\n\r\x00\x01\x1f\x7f\xc3\xa9\xef\xbf\xbe\xff")
	for range 20000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(4) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = byte('a' + rng.IntN(26))
			}
		}
		if got, want := checkChars(b), slow(b); got != want {
			t.Fatalf("%q: %d, want %d", b, got, want)
		}
	}
}
