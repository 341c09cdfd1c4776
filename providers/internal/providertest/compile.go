package providertest

import (
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/repository"
)

// Compile compiles the MOF of module m into a new memory repository, in
// the module's namespace, and fails the test on any error or warning.
func Compile(t testing.TB, m *provider.Module) *repository.Repository {
	t.Helper()
	r := repository.NewMemory()
	res, err := mof.CompileSource(r, m.MOFName, m.MOF, mof.CompileOptions{Namespace: m.Namespace})
	if err != nil {
		t.Fatalf("compiling %s: %v", m.MOFName, err)
	}
	for _, w := range res.Warnings {
		t.Errorf("compiling %s: warning: %v", m.MOFName, w)
	}
	if len(res.Unstored) > 0 {
		t.Errorf("compiling %s: %d instances without a path", m.MOFName, len(res.Unstored))
	}
	return r
}

// Class returns class name of namespace ns in r, failing the test when it
// is missing.
func Class(t testing.TB, r *repository.Repository, ns, name string) *cim.Class {
	t.Helper()
	c, err := r.GetClass(ns, name)
	if err != nil {
		t.Fatalf("class %s: %v", name, err)
	}
	return c
}

// CheckRegistration checks that r holds the __Win32Provider instance of
// module m and a __MethodProviderRegistration referring to it.
func CheckRegistration(t testing.TB, r *repository.Repository, m *provider.Module) {
	t.Helper()
	provPath := &cim.ObjectPath{Class: "__Win32Provider", Keys: []cim.KeyBinding{
		{Name: "Name", Value: cim.KeyValue{Kind: cim.KeyString, Text: m.Name}},
	}}
	p, err := r.Instance(m.Namespace, provPath)
	if err != nil {
		t.Fatalf("__Win32Provider %s: %v", m.Name, err)
	}
	if p.Value("CLSID").IsNull() || p.Value("HostingModel").Text() != "NetworkServiceHostOrSelfHost" {
		t.Errorf("__Win32Provider: %s", p.MOF())
	}
	regs, err := r.Instances(m.Namespace, "__MethodProviderRegistration", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range regs {
		if ref := reg.Value("Provider").Ref(); ref != nil && ref.Equal(provPath) {
			return
		}
	}
	t.Errorf("no __MethodProviderRegistration for %s among %d", m.Name, len(regs))
}

// MethodSignature describes a method for CheckMethod: the qualifiers that
// must be true, and the in- and out-signature properties in order as
// "name:type" ("ReturnValue:uint32" last in Out).
type MethodSignature struct {
	Qualifiers []string
	In, Out    []string
}

// CheckMethod checks the qualifiers and the signatures of method name of
// class c.
func CheckMethod(t testing.TB, c *cim.Class, name string, want MethodSignature) {
	t.Helper()
	m := c.Method(name)
	if m == nil {
		t.Fatalf("%s has no method %s", c.Name, name)
	}
	for _, q := range want.Qualifiers {
		if !m.Qualifiers.Bool(q) {
			t.Errorf("%s.%s is not [%s]", c.Name, name, q)
		}
	}
	sig := func(s *cim.Class) []string {
		if s == nil {
			return nil
		}
		var out []string
		for _, p := range s.Properties {
			out = append(out, p.Name+":"+p.TypeName())
		}
		return out
	}
	if got := sig(m.InSignature()); !equal(got, want.In) {
		t.Errorf("%s.%s in-signature %q, want %q", c.Name, name, got, want.In)
	}
	if got := sig(m.OutSignature()); !equal(got, want.Out) {
		t.Errorf("%s.%s out-signature %q, want %q", c.Name, name, got, want.Out)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
