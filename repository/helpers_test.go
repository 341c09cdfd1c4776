package repository

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// forEachBackend runs fn against a fresh in-memory repository and a fresh
// bbolt repository.
func forEachBackend(t *testing.T, fn func(t *testing.T, r *Repository)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) {
		r := NewMemory()
		t.Cleanup(func() { _ = r.Close() })
		fn(t, r)
	})
	t.Run("bbolt", func(t *testing.T) {
		r, err := Open(t.TempDir(), Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		fn(t, r)
	})
}

var keyQual = cim.Qualifier{Name: "Key", Value: cim.NewBool(true), Flavor: cim.FlavorDisableOverride}

func prop(name string, t cim.Type, quals ...cim.Qualifier) *cim.Property {
	return &cim.Property{Name: name, Type: t, Qualifiers: quals}
}

func arrayProp(name string, t cim.Type) *cim.Property {
	return &cim.Property{Name: name, Type: t, IsArray: true}
}

func keyProp(name string, t cim.Type) *cim.Property { return prop(name, t, keyQual) }

func newClass(name, super string, props ...*cim.Property) *cim.Class {
	return &cim.Class{Name: name, SuperClass: super, Properties: props}
}

func abstract(c *cim.Class) *cim.Class {
	c.Qualifiers = append(c.Qualifiers, qAbstract)
	return c
}

func update(t testing.TB, r *Repository, fn func(tx *Tx) error) {
	t.Helper()
	if err := r.Update(fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func putClasses(t testing.TB, r *Repository, ns string, classes ...*cim.Class) {
	t.Helper()
	update(t, r, func(tx *Tx) error {
		for _, c := range classes {
			if _, err := tx.PutClass(ns, c); err != nil {
				return err
			}
		}
		return nil
	})
}

// wantCode fails unless err carries the status code want (nil for no
// error).
func wantCode(t *testing.T, err error, want status.HRESULT) {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %v", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want code %v", err, want)
	}
}

// newInst builds an instance of c with the given property values.
func newInst(t testing.TB, c *cim.Class, kv ...any) *cim.Instance {
	t.Helper()
	i := cim.NewInstance(c)
	for k := 0; k < len(kv); k += 2 {
		if err := i.Put(kv[k].(string), kv[k+1]); err != nil {
			t.Fatalf("Put %s: %v", kv[k], err)
		}
	}
	return i
}

func mustParsePath(t testing.TB, s string) *cim.ObjectPath {
	t.Helper()
	p, err := cim.ParsePath(s)
	if err != nil {
		t.Fatalf("ParsePath(%q): %v", s, err)
	}
	return p
}

func propNames(c *cim.Class) string {
	var s []string
	for _, p := range c.Properties {
		s = append(s, p.Name)
	}
	return strings.Join(s, ",")
}

// sameValue compares two values exactly: types, NULLs, bits of reals,
// reference paths field by field and embedded instances recursively.
func sameValue(a, b cim.Value) bool {
	if a.Type() != b.Type() || a.IsArray() != b.IsArray() || a.IsNull() != b.IsNull() {
		return false
	}
	if a.IsNull() {
		return true
	}
	if a.IsArray() {
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	}
	switch a.Type() {
	case cim.Real32, cim.Real64:
		return math.Float64bits(a.Float64()) == math.Float64bits(b.Float64())
	case cim.Reference:
		return samePath(a.Ref(), b.Ref())
	case cim.Object:
		return sameInstance(a.Object(), b.Object())
	case cim.String, cim.DateTime:
		return a.Text() == b.Text()
	}
	return a.Uint64() == b.Uint64() && a.Bool() == b.Bool()
}

func samePath(a, b *cim.ObjectPath) bool {
	if a.Server != b.Server || a.Namespace != b.Namespace || a.Class != b.Class ||
		a.Singleton != b.Singleton || len(a.Keys) != len(b.Keys) || (a.Keys == nil) != (b.Keys == nil) {
		return false
	}
	for i := range a.Keys {
		if a.Keys[i] != b.Keys[i] {
			return false
		}
	}
	return true
}

func sameInstance(a, b *cim.Instance) bool {
	if a.ClassName() != b.ClassName() || a.Len() != b.Len() || a.Namespace != b.Namespace || a.Server != b.Server {
		return false
	}
	for k := range a.Len() {
		pa, va := a.At(k)
		pb, vb := b.At(k)
		if pa.Name != pb.Name || !sameValue(va, vb) {
			return false
		}
	}
	return true
}
