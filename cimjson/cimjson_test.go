package cimjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// gen produces random CIM data for the property-based round trips.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

var allTypes = []cim.Type{
	cim.Boolean, cim.Uint8, cim.Sint8, cim.Uint16, cim.Sint16, cim.Uint32, cim.Sint32,
	cim.Uint64, cim.Sint64, cim.Real32, cim.Real64, cim.Char16, cim.String, cim.DateTime,
	cim.Reference, cim.Object,
}

func (g *gen) text() string {
	pieces := []string{"", "a", "hello", `"quoted"`, `back\slash`, "line\nfeed", "tab\t", "\x00nul",
		"\x1f", "é", "日本語", "😀", "\u2028", "</script>", "\x7f", "ﬀ", " "}
	var b strings.Builder
	for range g.r.IntN(4) {
		b.WriteString(pieces[g.r.IntN(len(pieces))])
	}
	if g.r.IntN(4) == 0 {
		for range g.r.IntN(8) {
			b.WriteRune(rune(g.r.IntN(0x10FFFF)))
		}
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}

func (g *gen) name() string {
	names := []string{"A", "Name", "sInArg", "ReturnValue", "Key1", "Über", "x_y_z", "P" + fmt.Sprint(g.r.IntN(100))}
	return names[g.r.IntN(len(names))]
}

func (g *gen) path() *cim.ObjectPath {
	p := &cim.ObjectPath{Class: "CIM_" + strings.ReplaceAll(g.name(), "Ü", "U")}
	switch g.r.IntN(3) {
	case 1:
		p.Namespace = "root/cimv2"
	case 2:
		p.Namespace = "root/default"
		p.Server = "srv"
	}
	switch g.r.IntN(4) {
	case 0:
	case 1:
		p.Singleton = true
	default:
		p.Keys = []cim.KeyBinding{
			{Name: "Name", Value: cim.KeyValue{Kind: cim.KeyString, Text: strings.ReplaceAll(g.text(), "\x00", "0")}},
			{Name: "Id", Value: cim.KeyValue{Kind: cim.KeyInt, Text: fmt.Sprint(g.r.Int64() - math.MaxInt64/2)}},
		}
	}
	return p
}

func (g *gen) float64() float64 {
	switch g.r.IntN(8) {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(1)
	case 2:
		return math.Inf(-1)
	case 3:
		return math.Copysign(0, -1)
	case 4:
		return math.SmallestNonzeroFloat64 * float64(g.r.IntN(10))
	case 5:
		return math.MaxFloat64 / float64(1+g.r.IntN(10))
	}
	return math.Float64frombits(g.r.Uint64()&^(0x7FF<<52) | uint64(g.r.IntN(0x7FE)+1)<<52)
}

func (g *gen) float32() float32 {
	switch g.r.IntN(6) {
	case 0:
		return float32(math.NaN())
	case 1:
		return float32(math.Inf(-1))
	case 2:
		return math.SmallestNonzeroFloat32
	case 3:
		return math.MaxFloat32
	}
	return math.Float32frombits(g.r.Uint32()&^(0xFF<<23) | uint32(g.r.IntN(0xFE)+1)<<23)
}

func (g *gen) scalar(t cim.Type, depth int) cim.Value {
	switch t {
	case cim.Boolean:
		return cim.NewBool(g.r.IntN(2) == 0)
	case cim.Uint8:
		return cim.NewUint8(uint8(g.r.Uint32()))
	case cim.Sint8:
		return cim.NewSint8(int8(g.r.Uint32()))
	case cim.Uint16:
		return cim.NewUint16(uint16(g.r.Uint32()))
	case cim.Sint16:
		return cim.NewSint16(int16(g.r.Uint32()))
	case cim.Uint32:
		return cim.NewUint32(g.r.Uint32())
	case cim.Sint32:
		return cim.NewSint32(int32(g.r.Uint32()))
	case cim.Uint64:
		return cim.NewUint64([]uint64{0, 1 << 53, 1<<53 + 1, math.MaxUint64, g.r.Uint64()}[g.r.IntN(5)])
	case cim.Sint64:
		return cim.NewSint64([]int64{0, -1 << 53, 1<<53 + 1, math.MinInt64, math.MaxInt64, int64(g.r.Uint64())}[g.r.IntN(6)])
	case cim.Real32:
		return cim.NewReal32(g.float32())
	case cim.Real64:
		return cim.NewReal64(g.float64())
	case cim.Char16:
		return cim.NewChar16([]uint16{0, 'A', '"', '\\', '\n', 0xD800, 0xDFFF, 0xFFFF, 0xFFFD, uint16(g.r.Uint32())}[g.r.IntN(10)])
	case cim.String:
		return cim.NewString(g.text())
	case cim.DateTime:
		if g.r.IntN(2) == 0 {
			return cim.NewInterval(time.Duration(g.r.Int64N(int64(1000 * 24 * time.Hour))))
		}
		return cim.NewTimestamp(time.Unix(g.r.Int64N(4e9), int64(g.r.IntN(1e9))).In(time.FixedZone("", 60*(g.r.IntN(1440)-720))))
	case cim.Reference:
		return cim.NewReference(g.path())
	case cim.Object:
		if depth > 2 {
			return cim.Null(cim.Object, false)
		}
		return cim.NewObject(g.instance(depth + 1))
	}
	panic("type " + t.String())
}

func (g *gen) value(t cim.Type, depth int) cim.Value {
	switch g.r.IntN(6) {
	case 0:
		return cim.Null(t, g.r.IntN(2) == 0)
	case 1:
		elems := make([]cim.Value, g.r.IntN(5))
		for i := range elems {
			if g.r.IntN(4) == 0 {
				elems[i] = cim.Null(t, false)
			} else {
				elems[i] = g.scalar(t, depth)
			}
		}
		return cim.MustArray(t, elems...)
	}
	return g.scalar(t, depth)
}

func (g *gen) class() *cim.Class {
	c := &cim.Class{Name: "GEN_" + g.name()}
	if g.r.IntN(2) == 0 {
		c.Derivation = []string{"GEN_Base", "GEN_Root"}
		c.SuperClass = "GEN_Base"
	}
	seen := map[string]bool{}
	for range g.r.IntN(6) {
		n := g.name()
		if seen[strings.ToLower(n)] {
			continue
		}
		seen[strings.ToLower(n)] = true
		t := allTypes[g.r.IntN(len(allTypes))]
		p := &cim.Property{Name: n, Type: t, IsArray: g.r.IntN(3) == 0, ClassOrigin: c.Name}
		if t == cim.Reference {
			p.RefClass = "CIM_Thing"
		}
		if g.r.IntN(4) == 0 && !p.IsArray && t != cim.Object {
			p.Qualifiers = cim.Qualifiers{{Name: "Key", Value: cim.NewBool(true), Flavor: cim.FlavorDisableOverride}}
		}
		c.Properties = append(c.Properties, p)
	}
	return c
}

func (g *gen) instance(depth int) *cim.Instance {
	c := g.class()
	i := cim.NewInstance(c)
	for k, p := range c.Properties {
		var v cim.Value
		if p.IsArray && g.r.IntN(5) > 0 {
			elems := make([]cim.Value, g.r.IntN(4))
			for j := range elems {
				elems[j] = g.scalar(p.Type, depth)
			}
			v = cim.MustArray(p.Type, elems...)
		} else if !p.IsArray && g.r.IntN(5) > 0 {
			v = g.scalar(p.Type, depth)
		} else {
			v = cim.Null(p.Type, p.IsArray)
		}
		if err := i.SetAt(k, v); err != nil {
			panic(err)
		}
	}
	if g.r.IntN(2) == 0 {
		i.Namespace, i.Server = "root/cimv2", "host"
	}
	return i
}

// checkJSON checks that b is valid JSON on one line.
func checkJSON(t *testing.T, b []byte) {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	if bytes.IndexByte(b, '\n') >= 0 {
		t.Fatalf("JSON holds a raw line feed: %q", b)
	}
}

func TestValueRoundTrip(t *testing.T) {
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			g := newGen(uint64(typ) + 1)
			for i := range 400 {
				v := g.value(typ, 0)
				b := AppendValue(nil, v)
				checkJSON(t, b)
				got, err := DecodeValue(b)
				if err != nil {
					t.Fatalf("case %d: decode %s: %v", i, b, err)
				}
				if !cim.Equal(got, v) && !(typ.IsReal() && sameNaN(got, v)) {
					t.Fatalf("case %d: got %v (%s), want %v (%s)\njson: %s", i, got, got.TypeName(), v, v.TypeName(), b)
				}
				if b2 := AppendValue(nil, got); !bytes.Equal(b, b2) {
					t.Fatalf("case %d: re-encoding differs:\n%s\n%s", i, b, b2)
				}
			}
		})
	}
}

// sameNaN reports whether a and b are the same shape with NaN in the same
// places (the payload of a NaN is not kept).
func sameNaN(a, b cim.Value) bool {
	if a.Type() != b.Type() || a.IsArray() != b.IsArray() || a.IsNull() != b.IsNull() || a.Len() != b.Len() {
		return false
	}
	eq := func(x, y cim.Value) bool {
		if x.IsNull() || y.IsNull() {
			return x.IsNull() == y.IsNull()
		}
		fx, fy := x.Float64(), y.Float64()
		return fx == fy && math.Signbit(fx) == math.Signbit(fy) || math.IsNaN(fx) && math.IsNaN(fy)
	}
	if !a.IsArray() {
		return eq(a, b)
	}
	for i := range a.Len() {
		if !eq(a.Index(i), b.Index(i)) {
			return false
		}
	}
	return true
}

func TestUntypedNull(t *testing.T) {
	b := AppendValue(nil, cim.Value{})
	if string(b) != "null" {
		t.Fatalf("untyped NULL = %s", b)
	}
	v, err := DecodeValue(b)
	if err != nil || !cim.Equal(v, cim.Value{}) {
		t.Fatalf("decode null = %v, %v", v, err)
	}
	v2 := cim.Null(cim.TypeNone, true)
	b = AppendValue(nil, v2)
	if v, err := DecodeValue(b); err != nil || !cim.Equal(v, v2) {
		t.Fatalf("untyped NULL array %s = %v, %v", b, v, err)
	}
}

func TestInstanceRoundTrip(t *testing.T) {
	g := newGen(42)
	var d Decoder
	for i := range 500 {
		inst := g.instance(0)
		b := AppendInstance(nil, inst)
		checkJSON(t, b)
		got, err := d.Instance(b)
		if err != nil {
			t.Fatalf("case %d: decode %s: %v", i, b, err)
		}
		if !got.Equal(inst) {
			if !instancesEqualNaN(got, inst) {
				t.Fatalf("case %d:\n got %s\nwant %s\njson %s", i, got.MOF(), inst.MOF(), b)
			}
		}
		if got.Namespace != inst.Namespace || got.Server != inst.Server {
			t.Fatalf("case %d: location %q %q", i, got.Namespace, got.Server)
		}
		if !got.Path().Equal(inst.Path()) {
			t.Fatalf("case %d: path %s, want %s", i, got.Path(), inst.Path())
		}
		if b2 := AppendInstance(nil, got); !bytes.Equal(b, b2) {
			t.Fatalf("case %d: re-encoding differs:\n%s\n%s", i, b, b2)
		}
	}
}

func instancesEqualNaN(a, b *cim.Instance) bool {
	if a.ClassName() != b.ClassName() || a.Len() != b.Len() {
		return false
	}
	for k := range a.Len() {
		_, va := a.At(k)
		_, vb := b.At(k)
		if !cim.Equal(va, vb) && !sameNaN(va, vb) {
			if va.Type() == cim.Object && !va.IsArray() && !va.IsNull() && !vb.IsNull() &&
				instancesEqualNaN(va.Object(), vb.Object()) {
				continue
			}
			return false
		}
	}
	return true
}

func TestParametersGolden(t *testing.T) {
	m := &cim.Method{Name: "Echo", ReturnType: cim.Uint32, Parameters: []*cim.Parameter{
		{Name: "sInArg", Type: cim.String, Qualifiers: cim.Qualifiers{{Name: "In", Value: cim.NewBool(true)}}},
		{Name: "sOutArg", Type: cim.String, Qualifiers: cim.Qualifiers{{Name: "Out", Value: cim.NewBool(true)}}},
	}}
	out, err := m.NewOutParams()
	if err != nil {
		t.Fatal(err)
	}
	_ = out.Set("sOutArg", cim.NewString("hello"))
	_ = out.Set("ReturnValue", cim.NewUint32(5))
	got := string(AppendInstance(nil, out))
	want := `{"class":"__PARAMETERS","properties":{"sOutArg":{"type":"string","value":"hello"},"ReturnValue":{"type":"uint32","value":5}}}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestResolver(t *testing.T) {
	class := &cim.Class{Name: "TST_R", Properties: []*cim.Property{
		{Name: "Name", Type: cim.String, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.NewBool(true)}}},
		{Name: "Count", Type: cim.Uint32, Default: cim.NewUint32(7)},
		{Name: "When", Type: cim.DateTime},
	}}
	resolve := func(name string) *cim.Class {
		if strings.EqualFold(name, "TST_R") {
			return class
		}
		return nil
	}
	tests := []struct {
		name, json string
		want       map[string]cim.Value
		code       status.HRESULT
	}{
		{"typed", `{"class":"TST_R","properties":{"Name":{"type":"string","value":"a"},"Count":{"type":"uint32","value":3}}}`,
			map[string]cim.Value{"Name": cim.NewString("a"), "Count": cim.NewUint32(3)}, 0},
		{"converted", `{"class":"TST_R","properties":{"Count":{"type":"sint64","value":"9"}}}`,
			map[string]cim.Value{"Count": cim.NewUint32(9)}, 0},
		{"loose with class", `{"class":"TST_R","properties":{"Count":4,"When":"00000001000000.000000:000"}}`,
			map[string]cim.Value{"Count": cim.NewUint32(4)}, 0},
		{"properties first", `{"properties":{"Count":{"type":"uint32","value":1}},"class":"TST_R"}`,
			map[string]cim.Value{"Count": cim.NewUint32(1)}, 0},
		{"default kept", `{"class":"TST_R","properties":{}}`, map[string]cim.Value{"Count": cim.NewUint32(7)}, 0},
		{"unknown property", `{"class":"TST_R","properties":{"Nope":1}}`, nil, status.WBEM_E_NOT_FOUND},
		{"out of range", `{"class":"TST_R","properties":{"Count":-1}}`, nil, status.WBEM_E_VALUE_OUT_OF_RANGE},
		{"bad datetime", `{"class":"TST_R","properties":{"When":"yesterday"}}`, nil, status.WBEM_E_INVALID_PARAMETER},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, err := DecodeInstance([]byte(tt.json), resolve)
			if tt.code != 0 {
				if err == nil {
					t.Fatalf("decoded %v, want error %v", i.MOF(), tt.code)
				}
				if c := status.Code(err); c != tt.code && tt.code != status.WBEM_E_INVALID_PARAMETER {
					t.Fatalf("err = %v, want %v", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if i.Class() != class {
				t.Fatalf("instance not built on the resolved class")
			}
			for k, v := range tt.want {
				if got := i.Value(k); !cim.Equal(got, v) {
					t.Errorf("%s = %v (%s), want %v", k, got, got.TypeName(), v)
				}
			}
		})
	}
}

func TestLooseInput(t *testing.T) {
	tests := []struct {
		in   string
		want cim.Value
	}{
		{`"x"`, cim.NewString("x")},
		{`true`, cim.NewBool(true)},
		{`-5`, cim.NewSint64(-5)},
		{`18446744073709551615`, cim.NewUint64(math.MaxUint64)},
		{`-9223372036854775808`, cim.NewSint64(math.MinInt64)},
		{`1.5`, cim.NewReal64(1.5)},
		{`1e3`, cim.NewReal64(1000)},
		{`[1,2,null]`, cim.MustArray(cim.Sint64, cim.NewSint64(1), cim.NewSint64(2), cim.Null(cim.Sint64, false))},
		{`[1,2.5]`, cim.MustArray(cim.Real64, cim.NewReal64(1), cim.NewReal64(2.5))},
		{`[]`, cim.MustArray(cim.String)},
		{`{"type":"uint8","value":"255"}`, cim.NewUint8(255)},
		{`{"value":5,"type":"uint16"}`, cim.NewUint16(5)},
		{`{"type":"real32","value":"NaN"}`, cim.NewReal32(float32(math.NaN()))},
		{`{"type":"char16","value":65}`, cim.NewChar16('A')},
		{`{"type":"string","value":"\ud83d\ude00 \u00e9"}`, cim.NewString("😀 é")},
		{`{"type":"string","value":"\ud800x"}`, cim.NewString("\uFFFDx")},
		{`{"type":"sint8","array":true,"value":[-128,127,null]}`, cim.MustArray(cim.Sint8, cim.NewSint8(-128), cim.NewSint8(127), cim.Null(cim.Sint8, false))},
	}
	for _, tt := range tests {
		got, err := DecodeValue([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if !cim.Equal(got, tt.want) && !sameNaN(got, tt.want) {
			t.Errorf("%s = %v (%s), want %v (%s)", tt.in, got, got.TypeName(), tt.want, tt.want.TypeName())
		}
	}
}

func TestHostileInput(t *testing.T) {
	deep := strings.Repeat(`{"type":"object","value":{"class":"X","properties":{"p":`, 100) + "null" + strings.Repeat("}}}", 100)
	bad := []string{
		``, `{`, `[`, `"`, `{"type":"uint8","value":256}`, `{"type":"uint8","value":-1}`,
		`{"type":"sint8","value":128}`, `{"type":"uint64","value":"18446744073709551616"}`,
		`{"type":"sint64","value":"-9223372036854775809"}`, `{"type":"uint32","value":1.5}`,
		`{"type":"uint32","value":1e2}`, `{"type":"real32","value":1e40}`, `{"type":"boolean","value":1}`,
		`{"type":"char16","value":"ab"}`, `{"type":"char16","value":""}`, `{"type":"char16","value":"😀"}`,
		`{"type":"char16","value":65536}`, `{"type":"nope","value":1}`, `{"type":"string","value":"a\u00"}`,
		`{"type":"string","value":"a` + "\x01" + `"}`, `{"type":"string","value":"\q"}`,
		`{"type":"reference","value":""}`, `{"type":"reference","value":"::"}`,
		`{"type":"datetime","value":"2024"}`, `{"type":"string","value":"x"} extra`,
		`{"type":"object","value":{"properties":{}}}`, `{"type":"object","value":5}`,
		`{"type":"uint8","array":true,"value":[1,"x"]}`, `{"type":"uint8","array":true,"value":[[1]]}`,
		`[1,"a"]`, `[-1,18446744073709551615]`, `{"a" 1}`, `{,}`, `[1,]`, `{"a":1,}`, `01`, `-`, `1.`, `1e`,
		`tru`, `nul`, `{"type":"void","value":5}`, deep, strings.Repeat("[", 10000),
		`{"type":"object","value":{"class":"X","properties":{"a":1,"A":2}}}`,
	}
	for _, in := range bad {
		if v, err := DecodeValue([]byte(in)); err == nil {
			t.Errorf("%.60q decoded to %v, want an error", in, v)
		} else if status.Code(err) == status.WBEM_S_NO_ERROR || !status.Code(err).Failed() {
			t.Errorf("%.60q: error without a failure code: %v", in, err)
		}
	}
}

func testClass() *cim.Class {
	q := func(name string, v cim.Value, f cim.Flavor, prop bool) cim.Qualifier {
		return cim.Qualifier{Name: name, Value: v, Flavor: f, Propagated: prop}
	}
	return &cim.Class{
		Name: "TST_Widget", SuperClass: "CIM_Base", Derivation: []string{"CIM_Base", "CIM_Root"},
		Namespace: "root/cimv2", Server: "host",
		Qualifiers: cim.Qualifiers{
			q("Provider", cim.NewString("TstProv"), 0, false),
			q("Description", cim.NewString("A \"widget\"\nwith text"), cim.FlavorTranslatable|cim.FlavorAmended, true),
			q("Flag", cim.Value{}, cim.FlavorRestricted|cim.FlavorToInstance|cim.FlavorDisableOverride, false),
			q("ValueMap", cim.MustArray(cim.String, cim.NewString("0"), cim.Null(cim.String, false)), 0, false),
		},
		Properties: []*cim.Property{
			{Name: "Name", Type: cim.String, Qualifiers: cim.Qualifiers{q("Key", cim.NewBool(true), cim.FlavorDisableOverride, true)},
				ClassOrigin: "CIM_Root", Propagated: true},
			{Name: "Size", Type: cim.Uint64, Default: cim.NewUint64(1 << 60), ClassOrigin: "TST_Widget"},
			{Name: "Fixed", Type: cim.Sint16, IsArray: true, ArraySize: 4, Default: cim.MustArray(cim.Sint16, cim.NewSint16(-1)), ClassOrigin: "TST_Widget"},
			{Name: "Owner", Type: cim.Reference, RefClass: "CIM_Person", ClassOrigin: "TST_Widget"},
			{Name: "Doc", Type: cim.Object, EmbeddedClass: "CIM_Doc", ClassOrigin: "TST_Widget", Default: cim.Null(cim.Object, false)},
			{Name: "Ratio", Type: cim.Real32, Default: cim.NewReal32(0.1), ClassOrigin: "TST_Widget"},
		},
		Methods: []*cim.Method{
			{Name: "Echo", ReturnType: cim.Uint32, ClassOrigin: "TST_Widget",
				Qualifiers: cim.Qualifiers{q("Static", cim.NewBool(true), 0, false), q("Implemented", cim.NewBool(true), 0, false)},
				Parameters: []*cim.Parameter{
					{Name: "sInArg", Type: cim.String, Qualifiers: cim.Qualifiers{q("In", cim.NewBool(true), 0, false), q("ID", cim.NewSint32(0), 0, false)}},
					{Name: "Items", Type: cim.Reference, IsArray: true, ArraySize: 2, RefClass: "CIM_Item", Qualifiers: cim.Qualifiers{q("In", cim.NewBool(true), 0, false)}},
					{Name: "sOutArg", Type: cim.String, Qualifiers: cim.Qualifiers{q("Out", cim.NewBool(true), 0, false)}},
					{Name: "Obj", Type: cim.Object, EmbeddedClass: "CIM_Doc", Qualifiers: cim.Qualifiers{q("Out", cim.NewBool(true), 0, false)}},
				}},
			{Name: "Reset", ReturnType: cim.TypeNone, ClassOrigin: "CIM_Base", Propagated: true},
			{Name: "Find", ReturnType: cim.Reference, ReturnRefClass: "CIM_Item", ClassOrigin: "TST_Widget"},
			{Name: "Doc", ReturnType: cim.Object, ReturnEmbeddedClass: "CIM_Doc", ClassOrigin: "TST_Widget"},
		},
	}
}

func TestClassRoundTrip(t *testing.T) {
	c := testClass()
	b := AppendClass(nil, c)
	checkJSON(t, b)
	got, err := DecodeClass(b)
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	if b2 := AppendClass(nil, got); !bytes.Equal(b, b2) {
		t.Fatalf("re-encoding differs:\n%s\n%s", b, b2)
	}
	if got.MOF(false) != c.MOF(false) {
		t.Fatalf("MOF differs:\n%s\n%s", got.MOF(false), c.MOF(false))
	}
	checkClassEqual(t, got, c)
	// Signatures built from the decoded class match.
	m := got.Method("Echo")
	if in := m.InSignature(); in == nil || in.Property("Items") == nil || !in.Property("Items").IsArray {
		t.Fatalf("in-signature of decoded method is wrong")
	}
}

// checkClassEqual compares every exported field of two classes.
func checkClassEqual(t *testing.T, got, want *cim.Class) {
	t.Helper()
	eqQ := func(where string, a, b cim.Qualifiers) {
		if len(a) != len(b) {
			t.Fatalf("%s: %d qualifiers, want %d", where, len(a), len(b))
		}
		for i := range a {
			if a[i].Name != b[i].Name || a[i].Flavor != b[i].Flavor || a[i].Propagated != b[i].Propagated || !cim.Equal(a[i].Value, b[i].Value) {
				t.Fatalf("%s: qualifier %+v, want %+v", where, a[i], b[i])
			}
		}
	}
	if got.Name != want.Name || got.SuperClass != want.SuperClass || got.Namespace != want.Namespace ||
		got.Server != want.Server || strings.Join(got.Derivation, ",") != strings.Join(want.Derivation, ",") {
		t.Fatalf("class header differs: %+v", got)
	}
	eqQ("class", got.Qualifiers, want.Qualifiers)
	if len(got.Properties) != len(want.Properties) || len(got.Methods) != len(want.Methods) {
		t.Fatalf("feature counts differ")
	}
	for i, p := range want.Properties {
		g := got.Properties[i]
		if g.Name != p.Name || g.Type != p.Type || g.IsArray != p.IsArray || g.ArraySize != p.ArraySize ||
			g.RefClass != p.RefClass || g.EmbeddedClass != p.EmbeddedClass || g.ClassOrigin != p.ClassOrigin ||
			g.Propagated != p.Propagated || !cim.Equal(g.Default, p.Default) {
			t.Fatalf("property %s differs: %+v", p.Name, g)
		}
		eqQ(p.Name, g.Qualifiers, p.Qualifiers)
	}
	for i, m := range want.Methods {
		g := got.Methods[i]
		if g.Name != m.Name || g.ReturnType != m.ReturnType || g.ReturnRefClass != m.ReturnRefClass ||
			g.ReturnEmbeddedClass != m.ReturnEmbeddedClass || g.ClassOrigin != m.ClassOrigin ||
			g.Propagated != m.Propagated || len(g.Parameters) != len(m.Parameters) {
			t.Fatalf("method %s differs: %+v", m.Name, g)
		}
		eqQ(m.Name, g.Qualifiers, m.Qualifiers)
		for j, p := range m.Parameters {
			gp := g.Parameters[j]
			if gp.Name != p.Name || gp.Type != p.Type || gp.IsArray != p.IsArray || gp.ArraySize != p.ArraySize ||
				gp.RefClass != p.RefClass || gp.EmbeddedClass != p.EmbeddedClass {
				t.Fatalf("parameter %s.%s differs: %+v", m.Name, p.Name, gp)
			}
			eqQ(m.Name+"."+p.Name, gp.Qualifiers, p.Qualifiers)
		}
	}
}

func TestQualifierDeclRoundTrip(t *testing.T) {
	decls := []*cim.QualifierDecl{
		{Name: "Key", Type: cim.Boolean, Default: cim.NewBool(false), Scopes: cim.ScopeProperty | cim.ScopeReference, Flavor: cim.FlavorDisableOverride},
		{Name: "ValueMap", Type: cim.String, IsArray: true, Scopes: cim.ScopeAny | cim.ScopeQualifier},
		{Name: "Fixed", Type: cim.Uint8, IsArray: true, ArraySize: 3, Default: cim.Null(cim.Uint8, true), Scopes: cim.ScopeClass, Flavor: cim.FlavorTranslatable | cim.FlavorRestricted},
		{Name: "Bare", Type: cim.Real64},
	}
	for _, q := range decls {
		b := AppendQualifierDecl(nil, q)
		checkJSON(t, b)
		got, err := DecodeQualifierDecl(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if got.Name != q.Name || got.Type != q.Type || got.IsArray != q.IsArray || got.ArraySize != q.ArraySize ||
			!cim.Equal(got.Default, q.Default) || got.Scopes != q.Scopes || got.Flavor != q.Flavor {
			t.Fatalf("got %+v, want %+v (json %s)", got, q, b)
		}
	}
}

func TestErrorRoundTrip(t *testing.T) {
	errs := []*status.Error{
		{Code: status.WBEM_E_NOT_FOUND},
		{Code: status.WBEM_E_CALL_CANCELLED, Description: "d\n\"x\"", Operation: "ExecMethod", ParameterInfo: `TestMeth.k="1"`, ProviderName: "P"},
		status.NewCIM(status.CIM_ERR_METHOD_NOT_AVAILABLE, "not here"),
		{Code: 0x80070005, CIMStatusOverride: 99},
	}
	for _, e := range errs {
		b := AppendError(nil, e)
		checkJSON(t, b)
		got, err := DecodeError(b)
		if err != nil {
			t.Fatal(err)
		}
		if *got != *e {
			t.Fatalf("got %+v, want %+v", got, e)
		}
	}
	if got, err := DecodeError([]byte(`{"code":"WBEM_E_FAILED"}`)); err != nil || got.Code != status.WBEM_E_FAILED {
		t.Fatalf("named code: %v %v", got, err)
	}
	if got, err := DecodeError([]byte(`{"code":-2147217407}`)); err != nil || got.Code != status.WBEM_E_FAILED {
		t.Fatalf("signed code: %v %v", got, err)
	}
	if string(AppendError(nil, nil)) != "null" {
		t.Fatal("nil error")
	}
}

func TestNamedValuesRoundTrip(t *testing.T) {
	g := newGen(7)
	nv := cim.NewNamedValues()
	for i, typ := range allTypes {
		v := g.scalar(typ, 0)
		if typ.IsReal() {
			v = cim.NewReal64(1.25)
		}
		if err := nv.Set(fmt.Sprintf("v%d", i), v); err != nil {
			t.Fatal(err)
		}
	}
	b := AppendNamedValues(nil, nv)
	checkJSON(t, b)
	got, err := DecodeNamedValues(b)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Names(), ",") != strings.Join(nv.Names(), ",") {
		t.Fatalf("names %v", got.Names())
	}
	for name, v := range nv.All {
		if gv, _ := got.Get(name); !cim.Equal(gv, v) {
			t.Fatalf("%s = %v, want %v", name, gv, v)
		}
	}
	loose, err := DecodeNamedValues([]byte(`{"a":"x","b":{"type":"uint8","value":1}}`))
	if err != nil || loose.Len() != 2 {
		t.Fatalf("loose form: %v %v", loose, err)
	}
	if _, err := DecodeNamedValues([]byte(`[{"name":"a","value":null}]`)); err == nil {
		t.Fatal("NULL context value accepted")
	}
}

func TestPathRoundTrip(t *testing.T) {
	g := newGen(9)
	for range 200 {
		p := g.path()
		b := AppendPath(nil, p)
		checkJSON(t, b)
		got, err := DecodePath(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !got.Equal(p) || got.String() != p.String() {
			t.Fatalf("got %s, want %s", got, p)
		}
	}
}

func TestInvalidUTF8Replaced(t *testing.T) {
	b := AppendValue(nil, cim.NewString("a\xffb"))
	v, err := DecodeValue(b)
	if err != nil || v.Text() != "a\uFFFDb" {
		t.Fatalf("got %q, %v", v.Text(), err)
	}
	v, err = DecodeValue([]byte("\"a\xffb\""))
	if err != nil || v.Text() != "a\uFFFDb" {
		t.Fatalf("raw invalid UTF-8: got %q, %v", v.Text(), err)
	}
}

func TestReaderNoAllocs(t *testing.T) {
	data := []byte(`{"op":"exec","id":12345,"ns":"root/default","flags":128,"deep":true,"list":[1,2,3]}`)
	var r Reader
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(data)
		for more := r.ObjectStart(); more; more = r.ObjectNext() {
			switch string(r.Key()) {
			case "id", "flags":
				r.Uint64()
			case "deep":
				r.Bool()
			case "ns", "op":
				r.StringBytes()
			default:
				r.Skip()
			}
		}
		if r.End() != nil {
			panic(r.Err())
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per read", allocs)
	}
}

func BenchmarkEncodeOutParams(b *testing.B) {
	out := outParams()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendInstance(buf[:0], out)
	}
}

func BenchmarkDecodeOutParams(b *testing.B) {
	data := AppendInstance(nil, outParams())
	var d Decoder
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Instance(data); err != nil {
			b.Fatal(err)
		}
	}
}

func outParams() *cim.Instance {
	c := &cim.Class{Name: "__PARAMETERS", Properties: []*cim.Property{
		{Name: "sOutArg", Type: cim.String}, {Name: "ReturnValue", Type: cim.Uint32},
	}}
	i := cim.NewInstance(c)
	_ = i.SetAt(0, cim.NewString("hello, world"))
	_ = i.SetAt(1, cim.NewUint32(12))
	return i
}

func TestMemberOrderFree(t *testing.T) {
	v, err := DecodeValue([]byte(`{"value":[1,null,3],"array":true,"type":"uint8"}`))
	if err != nil || !cim.Equal(v, cim.MustArray(cim.Uint8, cim.NewUint8(1), cim.Null(cim.Uint8, false), cim.NewUint8(3))) {
		t.Fatalf("got %v, %v", v, err)
	}
	i, err := DecodeInstance([]byte(`{"properties":{"k":{"value":"a","key":true,"type":"string"}},"class":"X"}`), nil)
	if err != nil || i.ClassName() != "X" || i.Path().String() != `X.k="a"` {
		t.Fatalf("got %v, %v", i, err)
	}
}
