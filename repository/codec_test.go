package repository

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// scalarTypes are all CIM types but Object (handled apart).
var scalarTypes = []cim.Type{cim.Boolean, cim.Uint8, cim.Sint8, cim.Uint16, cim.Sint16, cim.Uint32,
	cim.Sint32, cim.Uint64, cim.Sint64, cim.Real32, cim.Real64, cim.Char16, cim.String, cim.DateTime, cim.Reference}

// valueGen generates random values, favouring edge cases.
type valueGen struct {
	rng *rand.Rand
	// emb is the class of embedded instances; nil means no Object values.
	emb *cim.Class
}

func (g *valueGen) pick(n int) int { return g.rng.IntN(n) }

// value returns a random value of type t: NULL one time in ten, an array
// with NULL elements when array is true.
func (g *valueGen) value(t cim.Type, array bool, depth int) cim.Value {
	if g.pick(10) == 0 {
		return cim.Null(t, array)
	}
	if !array {
		return g.scalar(t, depth)
	}
	elems := make([]cim.Value, g.pick(6))
	for i := range elems {
		if g.pick(5) == 0 {
			elems[i] = cim.Null(t, false)
		} else {
			elems[i] = g.scalar(t, depth)
		}
	}
	return cim.MustArray(t, elems...)
}

func (g *valueGen) bits() uint64 {
	switch g.pick(4) {
	case 0:
		return 0
	case 1:
		return math.MaxUint64
	case 2:
		return 1 << 63
	}
	return g.rng.Uint64()
}

func (g *valueGen) scalar(t cim.Type, depth int) cim.Value {
	n := g.bits()
	switch t {
	case cim.Boolean:
		return cim.NewBool(n&1 == 1)
	case cim.Uint8:
		return cim.NewUint8(uint8(n))
	case cim.Sint8:
		return cim.NewSint8(int8(n))
	case cim.Uint16:
		return cim.NewUint16(uint16(n))
	case cim.Sint16:
		return cim.NewSint16(int16(n))
	case cim.Uint32:
		return cim.NewUint32(uint32(n))
	case cim.Sint32:
		return cim.NewSint32(int32(n))
	case cim.Uint64:
		return cim.NewUint64(n)
	case cim.Sint64:
		return cim.NewSint64(int64(n))
	case cim.Char16:
		return cim.NewChar16(uint16(n))
	case cim.Real32:
		special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
			float32(math.Copysign(0, -1)), math.MaxFloat32, math.SmallestNonzeroFloat32, -1.5}
		if g.pick(2) == 0 {
			return cim.NewReal32(special[g.pick(len(special))])
		}
		return cim.NewReal32(math.Float32frombits(uint32(g.rng.Uint64())))
	case cim.Real64:
		special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1),
			math.MaxFloat64, math.SmallestNonzeroFloat64, math.Float64frombits(0x7FF8000000000123)}
		if g.pick(2) == 0 {
			return cim.NewReal64(special[g.pick(len(special))])
		}
		return cim.NewReal64(math.Float64frombits(g.rng.Uint64()))
	case cim.String:
		return cim.NewString(g.text())
	case cim.DateTime:
		switch g.pick(3) {
		case 0:
			return cim.NewInterval(time.Duration(g.rng.Int64N(int64(100000 * 24 * time.Hour))))
		case 1:
			v, err := cim.NewDateTime("2024****120000.******+060")
			if err != nil {
				panic(err)
			}
			return v
		}
		ts := time.Unix(g.rng.Int64N(4e9), g.rng.Int64N(1e9)).In(time.FixedZone("", (g.pick(25)-12)*3600))
		return cim.NewTimestamp(ts)
	case cim.Reference:
		return cim.NewReference(g.path())
	case cim.Object:
		if g.emb == nil || depth >= 2 {
			return cim.Null(cim.Object, false)
		}
		return cim.NewObject(g.instance(g.emb, depth+1))
	}
	panic("type " + t.String())
}

func (g *valueGen) text() string {
	parts := []string{"", "a", "Hello, World", "\x00", "ü€😀", `"quoted\"`, strings.Repeat("long ", 50), "\n\t"}
	var b strings.Builder
	for range g.pick(4) {
		b.WriteString(parts[g.pick(len(parts))])
	}
	return b.String()
}

func (g *valueGen) path() *cim.ObjectPath {
	p := &cim.ObjectPath{
		Server:    []string{"", ".", "Host.example"}[g.pick(3)],
		Namespace: []string{"", "root/cimv2", `root\Other`}[g.pick(3)],
		Class:     []string{"CIM_Foo", "x"}[g.pick(2)],
	}
	switch g.pick(4) {
	case 0:
		p.Singleton = true
	case 1:
		p.Keys = []cim.KeyBinding{}
	case 2:
		for i := range g.pick(4) {
			kind := cim.KeyKind(1 + g.pick(5))
			p.Keys = append(p.Keys, cim.KeyBinding{Name: []string{"", "K", "Name"}[i%3], Value: cim.KeyValue{Kind: kind, Text: g.text()}})
		}
	}
	return p
}

// instance returns an instance of c with a random value in every property.
func (g *valueGen) instance(c *cim.Class, depth int) *cim.Instance {
	i := cim.NewInstance(c)
	for k := range i.Len() {
		p, _ := i.At(k)
		if err := i.SetAt(k, g.value(p.Type, p.IsArray, depth)); err != nil {
			panic(err)
		}
	}
	i.Namespace = []string{"", "root/x"}[g.pick(2)]
	return i
}

// allTypesClass has one scalar and one array property per type, plus an
// embedded-instance property of its own class.
func allTypesClass(name string, withKey bool) *cim.Class {
	c := &cim.Class{Name: name}
	if withKey {
		c.Properties = append(c.Properties, keyProp("Id", cim.Uint32))
	}
	for _, t := range scalarTypes {
		c.Properties = append(c.Properties, prop("S_"+t.String(), t), arrayProp("A_"+t.String(), t))
	}
	c.Properties = append(c.Properties,
		&cim.Property{Name: "Obj", Type: cim.Object, EmbeddedClass: "RT_Emb"},
		&cim.Property{Name: "Objs", Type: cim.Object, IsArray: true, EmbeddedClass: "RT_Emb"})
	return c
}

// TestValueRoundTrip encodes and decodes random values of every type and
// checks that they come back exactly.
func TestValueRoundTrip(t *testing.T) {
	emb := allTypesClass("RT_Emb", false)
	emb.Properties = emb.Properties[:len(emb.Properties)-2]
	emb.Properties = append(emb.Properties, &cim.Property{Name: "Child", Type: cim.Object, EmbeddedClass: "RT_Emb"})
	g := &valueGen{rng: rand.New(rand.NewPCG(1, 2)), emb: emb}
	types := append(scalarTypes, cim.Object)
	for iter := range 3000 {
		tp := types[iter%len(types)]
		v := g.value(tp, iter%3 == 0, 0)
		var e encoder
		e.value(v, 0)
		d := decoder{b: e.b}
		if iter%2 == 0 {
			d.lookup = func(name string) *cim.Class {
				if name == "RT_Emb" {
					return emb
				}
				return nil
			}
		}
		got := d.value(0)
		if err := d.done(); err != nil {
			t.Fatalf("%d: decode %s: %v", iter, v, err)
		}
		if !sameValue(v, got) {
			t.Fatalf("%d: round trip changed %s %s\n  into %s %s", iter, v.TypeName(), v, got.TypeName(), got)
		}
	}
	// The untyped NULL too.
	var e encoder
	e.value(cim.Value{}, 0)
	d := decoder{b: e.b}
	if got := d.value(0); !got.IsNull() || got.Type() != cim.TypeNone || d.done() != nil {
		t.Errorf("untyped NULL came back as %s", got.TypeName())
	}
}

// TestInstanceRoundTrip stores random instances of a class with a
// property of every type and reads them back, on both stores.
func TestInstanceRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		const ns = "root/cimv2"
		emb := allTypesClass("RT_Emb", false)
		emb.Properties = emb.Properties[:len(emb.Properties)-2]
		emb.Properties = append(emb.Properties, &cim.Property{Name: "Child", Type: cim.Object, EmbeddedClass: "RT_Emb"})
		putClasses(t, r, ns, emb, allTypesClass("RT_Value", true))
		embClass, _ := r.GetClass(ns, "RT_Emb")
		c, _ := r.GetClass(ns, "RT_Value")
		g := &valueGen{rng: rand.New(rand.NewPCG(3, 4)), emb: embClass}
		want := map[uint32]*cim.Instance{}
		update(t, r, func(tx *Tx) error {
			for id := range uint32(200) {
				inst := g.instance(c, 0)
				if err := inst.SetAt(0, cim.NewUint32(id)); err != nil {
					return err
				}
				inst.Namespace = ns
				want[id] = inst
				if _, _, err := tx.PutInstance(ns, inst); err != nil {
					return err
				}
			}
			return nil
		})
		insts, err := r.Instances(ns, "RT_Value", false)
		if err != nil || len(insts) != len(want) {
			t.Fatalf("Instances: %d, %v", len(insts), err)
		}
		for _, got := range insts {
			w := want[uint32(got.Value("Id").Uint64())]
			if !sameInstance(w, got) {
				for k := range w.Len() {
					p, wv := w.At(k)
					_, gv := got.At(k)
					if !sameValue(wv, gv) {
						t.Errorf("instance %d property %s: stored %s, read %s", got.Value("Id").Uint64(), p.Name, wv, gv)
					}
				}
			}
		}
	})
}

// TestClassRoundTrip checks that a class with every kind of feature
// decodes to the same encoding.
func TestClassRoundTrip(t *testing.T) {
	for _, c := range append(hierarchy(), systemClasses()...) {
		enc := encodeClass(c)
		d, err := decodeClass(enc, "root")
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if !bytes.Equal(encodeClass(d), enc) {
			t.Errorf("%s: re-encoding differs", c.Name)
		}
		if d.MOF(true) != c.MOF(true) {
			t.Errorf("%s: MOF differs:\n%s\n%s", c.Name, c.MOF(true), d.MOF(true))
		}
	}
	q := &cim.QualifierDecl{Name: "ValueMap", Type: cim.String, IsArray: true, ArraySize: 3,
		Default: cim.MustArray(cim.String, cim.NewString("a"), cim.Null(cim.String, false)), Scopes: cim.ScopeAny, Flavor: cim.FlavorTranslatable}
	got, err := decodeQualifierDecl(encodeQualifierDecl(q))
	if err != nil || got.Name != q.Name || got.Type != q.Type || !got.IsArray || got.ArraySize != 3 ||
		!sameValue(got.Default, q.Default) || got.Scopes != q.Scopes || got.Flavor != q.Flavor {
		t.Errorf("qualifier declaration round trip: %+v, %v", got, err)
	}
}

func TestDecodeCorrupt(t *testing.T) {
	enc := encodeClass(hierarchy()[1])
	for i := range enc {
		if _, err := decodeClass(enc[:i], "root"); err == nil {
			t.Fatalf("truncated at %d: no error", i)
		}
	}
	bad := append([]byte(nil), enc...)
	bad[1] = 99
	if _, err := decodeClass(bad, "root"); err == nil {
		t.Error("unknown version accepted")
	}
	if _, err := decodeInstance(enc, nil); err == nil {
		t.Error("class record decoded as instance")
	}
}

// FuzzDecode feeds arbitrary bytes to the record decoders: they must never
// panic, and whatever they accept must re-encode stably.
func FuzzDecode(f *testing.F) {
	for _, c := range hierarchy() {
		f.Add(encodeClass(c))
	}
	for _, c := range systemClasses() {
		f.Add(encodeClass(c))
	}
	f.Add(encodeQualifierDecl(&cim.QualifierDecl{Name: "Q", Type: cim.Uint8, Default: cim.NewUint8(1)}))
	emb := allTypesClass("RT_Emb", false)
	g := &valueGen{rng: rand.New(rand.NewPCG(5, 6)), emb: emb}
	for range 5 {
		f.Add(encodeInstance(g.instance(emb, 0)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := decodeClass(b, "ns"); err == nil {
			e1 := encodeClass(c)
			c2, err := decodeClass(e1, "ns")
			if err != nil || !bytes.Equal(encodeClass(c2), e1) {
				t.Fatalf("class re-encoding unstable: %v", err)
			}
		}
		if q, err := decodeQualifierDecl(b); err == nil {
			_ = encodeQualifierDecl(q)
		}
		if si, err := decodeInstance(b, nil); err == nil {
			inst := rebuild(nil, si.class, si.names, si.values)
			e1 := encodeInstance(inst)
			si2, err := decodeInstance(e1, nil)
			if err != nil {
				t.Fatalf("instance re-decoding: %v", err)
			}
			if e2 := encodeInstance(rebuild(nil, si2.class, si2.names, si2.values)); !bytes.Equal(e1, e2) {
				t.Fatal("instance re-encoding unstable")
			}
		}
	})
}
