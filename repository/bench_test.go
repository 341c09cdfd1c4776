package repository

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

// syntheticSchema returns n declared classes shaped like the DMTF CIM
// Schema 2.32 (about 1,400 classes, 4.3 MB of MOF): a few dozen roots,
// hierarchies up to eight levels deep, three or four local properties per
// class with long Description qualifiers, one in three with
// ValueMap/Values arrays, one in ten overriding an inherited property, one
// in five with a method. Superclasses come first.
func syntheticSchema(n int) []*cim.Class {
	rng := rand.New(rand.NewPCG(42, 1))
	words := strings.Fields(`the of a managed element system logical device that is used to
		represent and property value instance class association which for can be in this
		describes capabilities settings state enabled service provides information`)
	text := func(nwords int) cim.Value {
		var b strings.Builder
		for i := range nwords {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[rng.IntN(len(words))])
		}
		return cim.NewString(b.String())
	}
	desc := func(nwords int) cim.Qualifier {
		return cim.Qualifier{Name: "Description", Value: text(nwords), Flavor: cim.FlavorTranslatable}
	}
	types := []cim.Type{cim.String, cim.String, cim.String, cim.Uint16, cim.Uint32, cim.Boolean, cim.DateTime, cim.Uint64}
	classes := make([]*cim.Class, n)
	depth := make([]int, n)
	for i := range classes {
		c := &cim.Class{Name: fmt.Sprintf("CIM_Synthetic%04d", i)}
		parent := -1
		if i > 0 && rng.IntN(40) != 0 {
			for {
				parent = rng.IntN(i)
				if depth[parent] < 7 {
					break
				}
			}
			c.SuperClass = classes[parent].Name
			depth[i] = depth[parent] + 1
		}
		c.Qualifiers = cim.Qualifiers{
			{Name: "Version", Value: cim.NewString("2.32.0"), Flavor: cim.FlavorTranslatable},
			{Name: "UMLPackagePath", Value: cim.NewString("CIM::Synthetic::Package")},
			desc(40 + rng.IntN(80)),
		}
		if rng.IntN(5) == 0 {
			c.Qualifiers = append(c.Qualifiers, qAbstract)
		}
		if parent < 0 {
			c.Properties = append(c.Properties, &cim.Property{Name: "InstanceID", Type: cim.String,
				Qualifiers: cim.Qualifiers{keyQual, desc(150)}})
		}
		for j := range 1 + rng.IntN(6) {
			p := &cim.Property{Name: fmt.Sprintf("Prop%d_%d", i, j), Type: types[rng.IntN(len(types))],
				Qualifiers: cim.Qualifiers{desc(30 + rng.IntN(60))}}
			if rng.IntN(3) == 0 {
				p.Type = cim.Uint16
				var vm, vs []cim.Value
				for k := range 10 {
					vm = append(vm, cim.NewString(fmt.Sprint(k)))
					vs = append(vs, text(2))
				}
				p.Qualifiers = append(p.Qualifiers,
					cim.Qualifier{Name: "ValueMap", Value: cim.MustArray(cim.String, vm...)},
					cim.Qualifier{Name: "Values", Value: cim.MustArray(cim.String, vs...), Flavor: cim.FlavorTranslatable},
					cim.Qualifier{Name: "ModelCorrespondence", Value: cim.MustArray(cim.String, cim.NewString("CIM_Synthetic.Other"))})
			}
			c.Properties = append(c.Properties, p)
		}
		if parent >= 0 && rng.IntN(10) == 0 && len(classes[parent].Properties) > 0 {
			inh := classes[parent].Properties[0]
			c.Properties = append(c.Properties, &cim.Property{Name: inh.Name, Type: inh.Type, IsArray: inh.IsArray,
				Qualifiers: cim.Qualifiers{{Name: "Override", Value: cim.NewString(inh.Name)}, desc(40)}})
		}
		if rng.IntN(5) == 0 {
			m := &cim.Method{Name: fmt.Sprintf("Method%d", i), ReturnType: cim.Uint32,
				Qualifiers: cim.Qualifiers{desc(60)}}
			for k := range 2 + rng.IntN(3) {
				dir := []string{"In", "Out"}[k%2]
				m.Parameters = append(m.Parameters, &cim.Parameter{Name: fmt.Sprintf("Arg%d", k), Type: types[rng.IntN(len(types))],
					Qualifiers: cim.Qualifiers{{Name: dir, Value: cim.NewBool(true)}, desc(20)}})
			}
			c.Methods = append(c.Methods, m)
		}
		classes[i] = c
	}
	return classes
}

const benchClasses = 1400

func putAll(tb testing.TB, r *Repository, classes []*cim.Class) {
	err := r.Update(func(tx *Tx) error {
		for _, c := range classes {
			if _, err := tx.PutClass("root/cimv2", c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkPutClasses1400 stores a 1,400-class hierarchy into a new bbolt
// repository in one Update (commit and fsync included).
func BenchmarkPutClasses1400(b *testing.B) {
	classes := syntheticSchema(benchClasses)
	size := 0
	for _, c := range classes {
		size += len(encodeClass(c))
	}
	for b.Loop() {
		b.StopTimer()
		r, err := Open(b.TempDir(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		putAll(b, r, classes)
		b.StopTimer()
		_ = r.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(size), "encoded-bytes")
}

// BenchmarkPutClasses1400Memory is BenchmarkPutClasses1400 on the
// in-memory store.
func BenchmarkPutClasses1400Memory(b *testing.B) {
	classes := syntheticSchema(benchClasses)
	for b.Loop() {
		putAll(b, NewMemory(), classes)
	}
}

func benchRepo(b *testing.B) string {
	dir := b.TempDir()
	r, err := Open(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	putAll(b, r, syntheticSchema(benchClasses))
	if err := r.Close(); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkOpenAndListDeep opens a bbolt repository holding 1,400 classes
// and lists every class name (what `wbem classes --deep` does).
func BenchmarkOpenAndListDeep(b *testing.B) {
	dir := benchRepo(b)
	for b.Loop() {
		r, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		names, err := r.ClassNames("root/cimv2", "", true)
		if err != nil || len(names) < benchClasses {
			b.Fatal(len(names), err)
		}
		_ = r.Close()
	}
}

// BenchmarkOpenAndClassesDeep opens the repository and resolves every
// class (a cold cache: decoding plus cim.Resolve for each).
func BenchmarkOpenAndClassesDeep(b *testing.B) {
	dir := benchRepo(b)
	for b.Loop() {
		r, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		classes, err := r.Classes("root/cimv2", "", true)
		if err != nil || len(classes) < benchClasses {
			b.Fatal(len(classes), err)
		}
		_ = r.Close()
	}
}

// BenchmarkGetClassCached reads the deepest class from the cache.
func BenchmarkGetClassCached(b *testing.B) {
	r, err := Open(benchRepo(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	classes, _ := r.Classes("root/cimv2", "", true)
	deepest := classes[0]
	for _, c := range classes {
		if len(c.Derivation) > len(deepest.Derivation) {
			deepest = c
		}
	}
	name := strings.ToUpper(deepest.Name) // case-insensitive look-up path
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.GetClass(`ROOT\CIMV2`, name); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetClassCachedParallel is BenchmarkGetClassCached from all CPUs.
func BenchmarkGetClassCachedParallel(b *testing.B) {
	r := NewMemory()
	putAll(b, r, syntheticSchema(benchClasses))
	if _, err := r.GetClass("root/cimv2", "CIM_Synthetic1399"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.GetClass("root/cimv2", "CIM_Synthetic1399"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPutInstance stores 1,000 instances in one Update.
func BenchmarkPutInstance(b *testing.B) {
	r, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	putClasses(b, r, "root/cimv2", newClass("B_Inst", "", keyProp("Id", cim.Uint32), prop("Name", cim.String), prop("V", cim.Uint64)))
	c, _ := r.GetClass("root/cimv2", "B_Inst")
	for b.Loop() {
		err := r.Update(func(tx *Tx) error {
			for i := range 1000 {
				inst := cim.NewInstance(c)
				_ = inst.SetAt(0, cim.NewUint32(uint32(i)))
				_ = inst.SetAt(1, cim.NewString("instance name"))
				_ = inst.SetAt(2, cim.NewUint64(uint64(i)*7))
				if _, _, err := tx.PutInstance("root/cimv2", inst); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// TestSyntheticSchema checks that the benchmark schema compiles on both
// stores and lists back complete.
func TestSyntheticSchema(t *testing.T) {
	classes := syntheticSchema(300)
	forEachBackend(t, func(t *testing.T, r *Repository) {
		putAll(t, r, classes)
		names, err := r.ClassNames("root/cimv2", "", true)
		if err != nil || len(names) != 300+len(systemClasses()) {
			t.Fatalf("%d names, %v", len(names), err)
		}
		// Storing the same schema again is a no-op.
		putAll(t, r, classes)
		all, err := r.Classes("root/cimv2", "", true)
		if err != nil || len(all) != len(names) {
			t.Fatalf("%d classes, %v", len(all), err)
		}
	})
}
