package mof

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
)

// declIndex holds the class declarations of the parsed schema by
// lower-case name, to check the compiled classes against the source.
type declIndex map[string]*ClassDecl

func parseSchemaDecls(t testing.TB) declIndex {
	t.Helper()
	files, err := ParseFile(schemaEntry, Options{})
	if err != nil {
		t.Fatal(err)
	}
	idx := declIndex{}
	for p := range files[0].All() {
		if c, ok := p.(*ClassDecl); ok {
			idx[strings.ToLower(c.Name)] = c
		}
	}
	return idx
}

// chain returns the declarations from the root class down to name.
func (idx declIndex) chain(name string) []*ClassDecl {
	var out []*ClassDecl
	for d := idx[strings.ToLower(name)]; d != nil; d = idx[strings.ToLower(d.Super)] {
		out = append([]*ClassDecl{d}, out...)
		if d.Super == "" {
			break
		}
	}
	return out
}

// expectedFeature is what the source says about one feature of a class:
// the class that declared it last (its origin) and whether any class of
// the chain made it a key.
type expectedFeature struct {
	name, origin string
	key          bool
}

// expected computes the properties and methods class name must have,
// inherited ones first in the superclass's order, overrides in place.
func (idx declIndex) expected(name string) (props, methods []expectedFeature) {
	add := func(list []expectedFeature, fname, origin string, key bool) []expectedFeature {
		for i := range list {
			if strings.EqualFold(list[i].name, fname) {
				list[i].origin = origin
				list[i].key = list[i].key || key
				return list
			}
		}
		return append(list, expectedFeature{fname, origin, key})
	}
	for _, d := range idx.chain(name) {
		for _, f := range d.Features {
			switch f := f.(type) {
			case *PropertyDecl:
				props = add(props, f.Name, d.Name, hasQualifier(f.Qualifiers, "Key"))
			case *MethodDecl:
				methods = add(methods, f.Name, d.Name, false)
			}
		}
	}
	return props, methods
}

// TestCompileCIMSchema compiles the whole DMTF CIM Schema 2.32.0 into a
// fresh bbolt repository and checks every class against its source
// (superclass chain, properties and methods with their origin, keys),
// then well-known classes in detail, then the same after reopening the
// file read-only.
func TestCompileCIMSchema(t *testing.T) {
	mustExist(t, schemaEntry)
	dir := t.TempDir()
	r, err := repository.Open(dir, repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	system, err := r.ClassNames("root/cimv2", "", true)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compile(r, []string{schemaEntry}, CompileOptions{})
	if err != nil {
		t.Fatalf("compiling the CIM Schema: %v", err)
	}
	if len(res.Classes) != schemaClassesEntry || len(res.Qualifiers) != schemaQualifierDecls ||
		len(res.Instances) != 0 || len(res.Warnings) != 0 || len(res.Unstored) != 0 {
		t.Errorf("result: %d classes (want %d), %d qualifiers (want %d), %d instances, %d warnings %v, %d unstored",
			len(res.Classes), schemaClassesEntry, len(res.Qualifiers), schemaQualifierDecls,
			len(res.Instances), len(res.Warnings), res.Warnings, len(res.Unstored))
	}
	checkCIMSchema(t, r, len(system))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	// The same, read back from the file by a read-only open.
	ro, err := repository.Open(dir, repository.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	checkCIMSchema(t, ro, len(system))
}

func checkCIMSchema(t *testing.T, r *repository.Repository, systemClasses int) {
	t.Helper()
	const ns = "root/cimv2"
	all, err := r.ClassNames(ns, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != schemaClassesEntry+systemClasses {
		t.Errorf("%d classes deep, want %d + %d system classes", len(all), schemaClassesEntry, systemClasses)
	}
	if qs, err := r.QualifierDecls(ns); err != nil || len(qs) != schemaQualifierDecls {
		t.Errorf("%d qualifier declarations, %v", len(qs), err)
	}

	// Every class against its source.
	idx := parseSchemaDecls(t)
	if len(idx) != schemaClassesEntry {
		t.Fatalf("%d declarations", len(idx))
	}
	bad := 0
	for _, d := range idx {
		c, err := r.GetClass(ns, d.Name)
		if err != nil {
			t.Errorf("%s: %v", d.Name, err)
			continue
		}
		var wantDeriv []string
		chain := idx.chain(d.Name)
		for i := len(chain) - 2; i >= 0; i-- {
			wantDeriv = append(wantDeriv, chain[i].Name)
		}
		if c.Name != d.Name || !strings.EqualFold(c.SuperClass, d.Super) || !equalFoldSlices(c.Derivation, wantDeriv) {
			t.Errorf("%s: name %s super %q derivation %q, want super %q derivation %q", d.Name, c.Name, c.SuperClass, c.Derivation, d.Super, wantDeriv)
			bad++
		}
		props, methods := idx.expected(d.Name)
		if len(c.Properties) != len(props) || len(c.Methods) != len(methods) {
			t.Errorf("%s: %d properties and %d methods, want %d and %d", d.Name, len(c.Properties), len(c.Methods), len(props), len(methods))
			bad++
			continue
		}
		for i, p := range c.Properties {
			w := props[i]
			if !strings.EqualFold(p.Name, w.name) || !strings.EqualFold(p.ClassOrigin, w.origin) || p.IsKey() != w.key ||
				p.Propagated != !strings.EqualFold(w.origin, d.Name) {
				t.Errorf("%s.%s: origin %s key %v propagated %v, want %s.%s origin %s key %v",
					d.Name, p.Name, p.ClassOrigin, p.IsKey(), p.Propagated, d.Name, w.name, w.origin, w.key)
				bad++
			}
		}
		for i, m := range c.Methods {
			w := methods[i]
			if !strings.EqualFold(m.Name, w.name) || !strings.EqualFold(m.ClassOrigin, w.origin) {
				t.Errorf("%s.%s(): origin %s, want %s() from %s", d.Name, m.Name, m.ClassOrigin, w.name, w.origin)
				bad++
			}
		}
		// Abstract is Restricted: a class is abstract only when it says so.
		if c.IsAbstract() != hasQualifier(d.Qualifiers, "Abstract") {
			t.Errorf("%s: abstract %v", d.Name, c.IsAbstract())
			bad++
		}
		if bad > 20 {
			t.Fatal("too many differences")
		}
	}

	// Hierarchies.
	cs := mustClass(t, r, ns, "CIM_ComputerSystem")
	if want := []string{"CIM_System", "CIM_EnabledLogicalElement", "CIM_LogicalElement", "CIM_ManagedSystemElement", "CIM_ManagedElement"}; !slices.Equal(cs.Derivation, want) {
		t.Errorf("CIM_ComputerSystem derivation %q, want %q", cs.Derivation, want)
	}
	if !cs.IsA("CIM_ManagedElement") || cs.Dynasty() != "CIM_ManagedElement" {
		t.Errorf("CIM_ComputerSystem dynasty %s", cs.Dynasty())
	}
	for super, want := range map[string][2]int{ // direct and deep subclasses
		"CIM_ManagedElement": {46, 810},
		"CIM_Dependency":     {178, 326},
		"CIM_Indication":     {3, 16},
		"CIM_Job":            {2, 2},
		"CIM_Error":          {0, 0},
	} {
		direct, err1 := r.ClassNames(ns, super, false)
		deep, err2 := r.ClassNames(ns, super, true)
		if err1 != nil || err2 != nil || len(direct) != want[0] || len(deep) != want[1] {
			t.Errorf("%s: %d direct and %d deep subclasses (%v, %v), want %d and %d", super, len(direct), len(deep), err1, err2, want[0], want[1])
		}
	}
	deep, _ := r.ClassNames(ns, "CIM_ManagedElement", true)
	for _, n := range []string{"CIM_ManagedSystemElement", "CIM_LogicalElement", "CIM_System", "CIM_ComputerSystem", "CIM_ConcreteJob"} {
		if !slices.Contains(deep, n) {
			t.Errorf("%s is not below CIM_ManagedElement", n)
		}
	}

	// Inherited properties with their origin; keys propagated.
	for name, origin := range map[string]string{
		"InstanceID": "CIM_ManagedElement", "Caption": "CIM_ManagedElement", "ElementName": "CIM_ManagedElement",
		"OperationalStatus": "CIM_ManagedSystemElement", "EnabledState": "CIM_EnabledLogicalElement",
		"CreationClassName": "CIM_System", "Name": "CIM_System", "Dedicated": "CIM_ComputerSystem",
	} {
		p := cs.Property(name)
		if p == nil || p.ClassOrigin != origin || p.Propagated != (origin != "CIM_ComputerSystem") {
			t.Errorf("CIM_ComputerSystem.%s = %+v, want origin %s", name, p, origin)
		}
	}
	var keys []string
	for _, k := range cs.Keys() {
		keys = append(keys, k.Name)
		if q := k.Qualifiers.Get("Key"); q == nil || !q.Propagated || q.Flavor.Overridable() {
			t.Errorf("CIM_ComputerSystem.%s Key qualifier %+v, want propagated, DisableOverride", k.Name, q)
		}
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"CreationClassName", "Name"}) {
		t.Errorf("CIM_ComputerSystem keys %q", keys)
	}
	if cs.IsAbstract() || cs.Qualifiers.Has("Abstract") {
		t.Errorf("CIM_ComputerSystem qualifiers %v: Abstract is Restricted and must not be inherited", cs.Qualifiers)
	}
	me := mustClass(t, r, ns, "CIM_ManagedElement")
	if q := me.Qualifiers.Get("Abstract"); q == nil || q.Flavor.ToSubclass() || q.Propagated {
		t.Errorf("CIM_ManagedElement Abstract = %+v, want local and Restricted", q)
	}
	if q := me.Property("Caption").Qualifiers.Get("Description"); q == nil || q.Flavor&cim.FlavorTranslatable == 0 {
		t.Errorf("Description flavor %+v, want Translatable", q)
	}
	if q := cs.Property("Caption").Qualifiers.Get("MaxLen"); q == nil || q.Value.Uint64() != 64 || !q.Propagated {
		t.Errorf("inherited MaxLen %+v", q)
	}

	// ValueMap arrays.
	os := cs.Property("OperationalStatus")
	vm, vals := os.Qualifiers.Strings("ValueMap"), os.Qualifiers.Strings("Values")
	if len(vm) != 22 || vm[0] != "0" || vm[19] != "19" || vm[20] != ".." || vm[21] != "0x8000.." ||
		len(vals) != 22 || vals[2] != "OK" || vals[19] != "Relocating" {
		t.Errorf("OperationalStatus ValueMap %q Values %q", vm, vals)
	}
	if !os.IsArray || os.Type != cim.Uint16 || os.Qualifiers.Text("ArrayType") != "Indexed" {
		t.Errorf("OperationalStatus %s ArrayType %q", os.TypeName(), os.Qualifiers.Text("ArrayType"))
	}

	// Associations: two REF keys.
	dep := mustClass(t, r, ns, "CIM_Dependency")
	if !dep.IsAssociation() || !dep.IsAbstract() || len(dep.Properties) != 2 {
		t.Fatalf("CIM_Dependency: association %v, %d properties", dep.IsAssociation(), len(dep.Properties))
	}
	for i, name := range []string{"Antecedent", "Dependent"} {
		p := dep.Properties[i]
		if p.Name != name || p.Type != cim.Reference || p.RefClass != "CIM_ManagedElement" || !p.IsKey() {
			t.Errorf("CIM_Dependency.%s: %s key %v", p.Name, p.TypeName(), p.IsKey())
		}
	}
	hs := mustClass(t, r, ns, "CIM_HostedService")
	if !hs.IsAssociation() || !hs.IsA("CIM_Dependency") || hs.Property("Antecedent").RefClass != "CIM_System" ||
		hs.Property("Antecedent").ClassOrigin != "CIM_HostedService" || len(hs.Keys()) != 2 {
		t.Errorf("CIM_HostedService antecedent %s origin %s", hs.Property("Antecedent").TypeName(), hs.Property("Antecedent").ClassOrigin)
	}

	// Indications.
	im := mustClass(t, r, ns, "CIM_InstModification")
	if !im.Qualifiers.Bool("Indication") || !im.IsA("CIM_Indication") || im.Property("PreviousInstance") == nil ||
		im.Property("PreviousInstance").Type != cim.Object {
		t.Errorf("CIM_InstModification: %v", im.Qualifiers)
	}

	// Methods: inherited, declared, with In/Out parameters and embedded
	// instances.
	cj := mustClass(t, r, ns, "CIM_ConcreteJob")
	for name, origin := range map[string]string{
		"KillJob": "CIM_Job", "RequestStateChange": "CIM_ConcreteJob", "GetError": "CIM_ConcreteJob", "GetErrors": "CIM_ConcreteJob",
	} {
		if m := cj.Method(name); m == nil || m.ClassOrigin != origin || m.Propagated != (origin != "CIM_ConcreteJob") {
			t.Errorf("CIM_ConcreteJob.%s = %+v, want from %s", name, m, origin)
		}
	}
	rsc := cj.Method("RequestStateChange")
	if rsc.ReturnType != cim.Uint32 || len(rsc.Parameters) != 2 {
		t.Fatalf("RequestStateChange returns %s with %d parameters", rsc.ReturnType, len(rsc.Parameters))
	}
	if p := rsc.Parameter("RequestedState"); p.Type != cim.Uint16 || !p.IsIn() || p.IsOut() ||
		!slices.Equal(p.Qualifiers.Strings("ValueMap"), []string{"2", "3", "4", "5", "6", "7..32767", "32768..65535"}) {
		t.Errorf("RequestedState %s in %v out %v ValueMap %q", p.TypeName(), p.IsIn(), p.IsOut(), p.Qualifiers.Strings("ValueMap"))
	}
	if p := rsc.Parameter("TimeoutPeriod"); p.Type != cim.DateTime || !p.IsIn() {
		t.Errorf("TimeoutPeriod %s", p.TypeName())
	}
	if vm := rsc.Qualifiers.Strings("ValueMap"); len(vm) == 0 || vm[0] != "0" {
		t.Errorf("RequestStateChange return ValueMap %q", vm)
	}
	errs := cj.Method("GetErrors").Parameter("Errors")
	if errs == nil || errs.Type != cim.Object || !errs.IsArray || errs.EmbeddedClass != "CIM_Error" || errs.IsIn() || !errs.IsOut() {
		t.Errorf("GetErrors.Errors = %+v, want out object[] of CIM_Error", errs)
	}
	if e := cj.Method("GetError").Parameter("Error"); e == nil || e.Type != cim.Object || e.IsArray || e.EmbeddedClass != "CIM_Error" {
		t.Errorf("GetError.Error = %+v", e)
	}
	// An inherited method keeps its parameters' qualifiers.
	if p := cs.Method("RequestStateChange").Parameter("Job"); p == nil || p.Type != cim.Reference || p.RefClass != "CIM_ConcreteJob" || !p.IsOut() || p.IsIn() {
		t.Errorf("CIM_ComputerSystem.RequestStateChange.Job = %+v", p)
	}
	if m := cs.Method("RequestStateChange"); m.ClassOrigin != "CIM_EnabledLogicalElement" || !m.Propagated {
		t.Errorf("CIM_ComputerSystem.RequestStateChange origin %s", m.ClassOrigin)
	}
	if out := cj.Method("GetErrors").OutSignature(); out == nil || out.Property("Errors") == nil || out.Property("ReturnValue") == nil {
		t.Errorf("GetErrors out signature %v", out)
	}
}

func equalFoldSlices(a, b []string) bool {
	return slices.EqualFunc(a, b, strings.EqualFold)
}

// BenchmarkCompileCIMSchema compiles the whole CIM Schema 2.32.0 (parse,
// compile, one fsync'd commit) into a fresh bbolt repository per
// iteration, with the default Options (NoSync false).
func BenchmarkCompileCIMSchema(b *testing.B) {
	mustExist(b, schemaEntry)
	root := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		dir, err := os.MkdirTemp(root, "repo")
		if err != nil {
			b.Fatal(err)
		}
		r, err := repository.Open(dir, repository.Options{NoSync: false})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := Compile(r, []string{schemaEntry}, CompileOptions{})
		if err != nil || len(res.Classes) != schemaClassesEntry {
			b.Fatalf("%v", err)
		}
		b.StopTimer()
		r.Close()
		os.RemoveAll(dir)
		b.StartTimer()
	}
}

// BenchmarkListClassesDeep lists every class of root/cimv2 holding the
// CIM Schema: "open" opens the bbolt file read-only, lists and closes it
// (what "wbem classes --deep" does); "warm" lists on an open repository.
func BenchmarkListClassesDeep(b *testing.B) {
	mustExist(b, schemaEntry)
	dir := b.TempDir()
	r, err := repository.Open(dir, repository.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Compile(r, []string{schemaEntry}, CompileOptions{}); err != nil {
		b.Fatal(err)
	}
	r.Close()
	want := schemaClassesEntry
	b.Run("open", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := repository.Open(dir, repository.Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			names, err := r.ClassNames("root/cimv2", "", true)
			if err != nil || len(names) < want {
				b.Fatalf("%d names, %v", len(names), err)
			}
			r.Close()
		}
	})
	b.Run("warm", func(b *testing.B) {
		r, err := repository.Open(dir, repository.Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		b.ReportAllocs()
		for b.Loop() {
			names, err := r.ClassNames("root/cimv2", "", true)
			if err != nil || len(names) < want {
				b.Fatalf("%d names, %v", len(names), err)
			}
		}
	})
}
