package repository

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

func TestNamespaces(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		if got, want := r.Namespaces(), []string{"root", "root/cimv2"}; !slices.Equal(got, want) {
			t.Fatalf("fresh Namespaces() = %q, want %q", got, want)
		}
		for _, ns := range []string{"root", "ROOT", `root\cimv2`, "Root/CIMV2", "/root/cimv2/", `\\root\\`} {
			if !r.HasNamespace(ns) {
				t.Errorf("HasNamespace(%q) = false", ns)
			}
		}
		for _, ns := range []string{"", "rootx", "root/cimv", "cimv2", "root//cimv2"} {
			if r.HasNamespace(ns) {
				t.Errorf("HasNamespace(%q) = true", ns)
			}
		}

		update(t, r, func(tx *Tx) error { return tx.CreateNamespace(`ROOT\Test\Deep`) })
		update(t, r, func(tx *Tx) error { return tx.CreateNamespace("root/test/deep") }) // idempotent
		update(t, r, func(tx *Tx) error { return tx.CreateNamespace("interop") })
		want := []string{"interop", "root", "root/cimv2", "root/Test", "root/Test/Deep"}
		if got := r.Namespaces(); !slices.Equal(got, want) {
			t.Fatalf("Namespaces() = %q, want %q", got, want)
		}
		if name, ok := r.NamespaceName(`ROOT\TEST\deep`); !ok || name != "root/Test/Deep" {
			t.Errorf("NamespaceName = %q, %v", name, ok)
		}

		// Every namespace has the system classes.
		for _, ns := range want {
			for _, c := range []string{"__SystemClass", "__Namespace", "__Win32Provider", "__ExtendedStatus", "__PARAMETERS"} {
				if _, err := r.GetClass(ns, c); err != nil {
					t.Errorf("GetClass(%s, %s): %v", ns, c, err)
				}
			}
		}
		c, err := r.GetClass(`root\test\DEEP`, "__instanceproviderregistration")
		wantCode(t, err, 0)
		if c.Namespace != "root/Test/Deep" || c.Name != "__InstanceProviderRegistration" {
			t.Errorf("class located at %q as %q", c.Namespace, c.Name)
		}
		if !c.IsA("__ProviderRegistration") || c.Property("provider") == nil || !c.Property("provider").IsKey() {
			t.Errorf("__InstanceProviderRegistration: derivation %v, props %s", c.Derivation, propNames(c))
		}

		errCases := []struct {
			name string
			fn   func(tx *Tx) error
			code status.HRESULT
		}{
			{"empty", func(tx *Tx) error { return tx.CreateNamespace("") }, status.WBEM_E_INVALID_NAMESPACE},
			{"empty component", func(tx *Tx) error { return tx.CreateNamespace("root//x") }, status.WBEM_E_INVALID_NAMESPACE},
			{"bad character", func(tx *Tx) error { return tx.CreateNamespace("root/a:b") }, status.WBEM_E_INVALID_NAMESPACE},
			{"delete root", func(tx *Tx) error { return tx.DeleteNamespace("ROOT") }, status.WBEM_E_INVALID_OPERATION},
			{"delete missing", func(tx *Tx) error { return tx.DeleteNamespace("root/none") }, status.WBEM_E_INVALID_NAMESPACE},
			{"class in missing ns", func(tx *Tx) error { _, err := tx.GetClass("root/none", "x"); return err }, status.WBEM_E_INVALID_NAMESPACE},
		}
		for _, tc := range errCases {
			t.Run(tc.name, func(t *testing.T) { wantCode(t, r.Update(tc.fn), tc.code) })
		}
		_, err = r.GetClass("nowhere", "__SystemClass")
		wantCode(t, err, status.WBEM_E_INVALID_NAMESPACE)

		// Deleting a namespace deletes its children and its content.
		putClasses(t, r, "root/test/deep", newClass("X_Deep", ""))
		update(t, r, func(tx *Tx) error { return tx.DeleteNamespace("Root/Test") })
		if got, want := r.Namespaces(), []string{"interop", "root", "root/cimv2"}; !slices.Equal(got, want) {
			t.Fatalf("after delete Namespaces() = %q, want %q", got, want)
		}
		_, err = r.GetClass("root/test/deep", "X_Deep")
		wantCode(t, err, status.WBEM_E_INVALID_NAMESPACE)
		update(t, r, func(tx *Tx) error { return tx.CreateNamespace("root/test/deep") })
		_, err = r.GetClass("root/test/deep", "X_Deep")
		wantCode(t, err, status.WBEM_E_NOT_FOUND)
	})
}

func TestNamespaceInstances(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		nsClass, err := r.GetClass("root", NamespaceClass)
		wantCode(t, err, 0)
		update(t, r, func(tx *Tx) error {
			path, created, err := tx.PutInstance("root", newInst(t, nsClass, "Name", "Extra"))
			if err != nil {
				return err
			}
			if !created || path.String() != `root:__Namespace.Name="Extra"` {
				t.Errorf("PutInstance(__Namespace) = %s, %v", path, created)
			}
			_, created, err = tx.PutInstance("root", newInst(t, nsClass, "Name", "extra"))
			if created {
				t.Error("second __Namespace put reported created")
			}
			return err
		})
		if !r.HasNamespace("root/extra") {
			t.Fatal("root/Extra not created")
		}
		insts, err := r.Instances("root", NamespaceClass, false)
		wantCode(t, err, 0)
		var names []string
		for _, i := range insts {
			names = append(names, i.Value("Name").Text())
		}
		if want := []string{"cimv2", "Extra"}; !slices.Equal(names, want) {
			t.Errorf("__Namespace instances = %q, want %q", names, want)
		}
		// Deep enumeration of __SystemClass includes them.
		insts, err = r.Instances("root", SystemClass, true)
		wantCode(t, err, 0)
		if len(insts) != 2 {
			t.Errorf("deep __SystemClass instances: %d, want 2", len(insts))
		}
		i, err := r.Instance("root", mustParsePath(t, `__NAMESPACE.name="EXTRA"`))
		wantCode(t, err, 0)
		if i.Value("Name").Text() != "Extra" || i.Namespace != "root" {
			t.Errorf("Instance = %s in %s", i.Value("Name"), i.Namespace)
		}
		_, err = r.Instance("root", mustParsePath(t, `__Namespace.Name="none"`))
		wantCode(t, err, status.WBEM_E_NOT_FOUND)

		update(t, r, func(tx *Tx) error {
			return tx.DeleteInstance("root", mustParsePath(t, `__Namespace="extra"`))
		})
		if r.HasNamespace("root/extra") {
			t.Fatal("root/Extra not deleted")
		}
		err = r.Update(func(tx *Tx) error {
			_, _, err := tx.PutInstance("root", newInst(t, nsClass, "Name", "a/b"))
			return err
		})
		wantCode(t, err, status.WBEM_E_INVALID_NAMESPACE)
	})
}

// hierarchy is Base (abstract, key Id, Name, method Ping) <- Derived
// (overrides Name, adds Extra and Stop) <- Leaf.
func hierarchy() []*cim.Class {
	base := abstract(newClass("T_Base", "",
		keyProp("Id", cim.Uint32),
		prop("Name", cim.String, cim.Qualifier{Name: "Description", Value: cim.NewString("the name")}),
		&cim.Property{Name: "Level", Type: cim.Uint8, Default: cim.NewUint8(3)},
	))
	base.Qualifiers = append(base.Qualifiers, cim.Qualifier{Name: "Version", Value: cim.NewString("1.0")})
	base.Methods = []*cim.Method{{Name: "Ping", ReturnType: cim.Uint32,
		Parameters: []*cim.Parameter{{Name: "Count", Type: cim.Uint32, Qualifiers: cim.Qualifiers{{Name: "In", Value: cim.NewBool(true)}}}}}}
	derived := newClass("T_Derived", "T_Base",
		prop("Name", cim.String, cim.Qualifier{Name: "MaxLen", Value: cim.NewUint32(64)}),
		prop("Extra", cim.Sint64),
	)
	derived.Methods = []*cim.Method{{Name: "Stop", ReturnType: cim.TypeNone}}
	leaf := newClass("T_Leaf", "T_Derived", prop("LeafProp", cim.Boolean))
	return []*cim.Class{base, derived, leaf}
}

func TestClassResolve(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		update(t, r, func(tx *Tx) error {
			for _, c := range hierarchy() {
				created, err := tx.PutClass("root/cimv2", c)
				if err != nil || !created {
					t.Fatalf("PutClass(%s) = %v, %v", c.Name, created, err)
				}
				// The transaction sees its own writes.
				if _, err := tx.GetClass("ROOT/CIMV2", c.Name); err != nil {
					t.Fatalf("tx.GetClass(%s): %v", c.Name, err)
				}
			}
			return nil
		})
		type propWant struct {
			name, origin string
			propagated   bool
		}
		tests := []struct {
			class      string
			derivation []string
			props      []propWant
			methods    []string
			abstract   bool
		}{
			{"T_Base", nil, []propWant{{"Id", "T_Base", false}, {"Name", "T_Base", false}, {"Level", "T_Base", false}}, []string{"Ping"}, true},
			{"t_derived", []string{"T_Base"}, []propWant{{"Id", "T_Base", true}, {"Name", "T_Derived", false}, {"Level", "T_Base", true}, {"Extra", "T_Derived", false}}, []string{"Ping", "Stop"}, false},
			{"T_LEAF", []string{"T_Derived", "T_Base"}, []propWant{{"Id", "T_Base", true}, {"Name", "T_Derived", true}, {"Level", "T_Base", true}, {"Extra", "T_Derived", true}, {"LeafProp", "T_Leaf", false}}, []string{"Ping", "Stop"}, false},
		}
		for _, tc := range tests {
			t.Run(tc.class, func(t *testing.T) {
				c, err := r.GetClass("root/cimv2", tc.class)
				wantCode(t, err, 0)
				if c.Namespace != "root/cimv2" || !strings.EqualFold(c.Name, tc.class) {
					t.Errorf("class %s in %s", c.Name, c.Namespace)
				}
				if !slices.Equal(c.Derivation, tc.derivation) {
					t.Errorf("Derivation = %q, want %q", c.Derivation, tc.derivation)
				}
				if c.IsAbstract() != tc.abstract {
					t.Errorf("IsAbstract = %v", c.IsAbstract())
				}
				if len(c.Properties) != len(tc.props) {
					t.Fatalf("properties %s", propNames(c))
				}
				for i, w := range tc.props {
					p := c.Properties[i]
					if p.Name != w.name || p.ClassOrigin != w.origin || p.Propagated != w.propagated {
						t.Errorf("property %d = %s origin %s propagated %v, want %+v", i, p.Name, p.ClassOrigin, p.Propagated, w)
					}
				}
				var ms []string
				for _, m := range c.Methods {
					ms = append(ms, m.Name)
				}
				if !slices.Equal(ms, tc.methods) {
					t.Errorf("methods %q, want %q", ms, tc.methods)
				}
				if k := c.Keys(); len(k) != 1 || k[0].Name != "Id" {
					t.Errorf("keys %v", k)
				}
				if d := c.Property("Level").Default; d.Uint64() != 3 {
					t.Errorf("Level default %v", d)
				}
			})
		}
		leaf, _ := r.GetClass("root/cimv2", "T_Leaf")
		name := leaf.Property("Name")
		if !name.Qualifiers.Has("MaxLen") || !name.Qualifiers.Has("Description") {
			t.Errorf("Leaf.Name qualifiers %v", name.Qualifiers)
		}
		if leaf.Qualifiers.Has("Abstract") || !leaf.Qualifiers.Has("Version") {
			t.Errorf("Leaf qualifiers %v (Abstract is restricted, Version propagates)", leaf.Qualifiers)
		}
		if m := leaf.Method("ping"); m == nil || m.ClassOrigin != "T_Base" || !m.Propagated || m.InSignature() == nil {
			t.Errorf("Leaf.Ping = %+v", m)
		}

		// Passing a resolved class back stores the same declared form.
		update(t, r, func(tx *Tx) error {
			created, err := tx.PutClass("root/cimv2", leaf)
			if created {
				t.Error("re-put reported created")
			}
			return err
		})
		again, _ := r.GetClass("root/cimv2", "T_Leaf")
		if propNames(again) != propNames(leaf) || again.MOF(false) != leaf.MOF(false) {
			t.Errorf("round trip through PutClass changed the class:\n%s\n%s", leaf.MOF(false), again.MOF(false))
		}
	})
}

func TestPutClassErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		putClasses(t, r, "root/cimv2", hierarchy()...)
		withMethod := newClass("E_M", "")
		withMethod.Methods = []*cim.Method{{Name: "M", ReturnType: cim.Uint32}, {Name: "m", ReturnType: cim.Uint32}}
		bigDefault := &cim.Property{Name: "P", Type: cim.Uint8, Default: cim.NewUint32(300)}
		tests := []struct {
			name  string
			class *cim.Class
			code  status.HRESULT
		}{
			{"missing superclass", newClass("E_A", "E_None"), status.WBEM_E_INVALID_SUPERCLASS},
			{"own superclass", newClass("E_A", "e_a"), status.WBEM_E_INVALID_SUPERCLASS},
			{"cycle", newClass("T_Base", "T_Leaf"), status.WBEM_E_INVALID_SUPERCLASS},
			{"type override", newClass("E_B", "T_Base", prop("Name", cim.Uint32)), status.WBEM_E_UPDATE_TYPE_MISMATCH},
			{"bad name", newClass("E B", ""), status.WBEM_E_INVALID_PARAMETER},
			{"bad property name", newClass("E_C", "", prop("1x", cim.String)), status.WBEM_E_INVALID_PARAMETER},
			{"duplicate property", newClass("E_C", "", prop("P", cim.String), prop("p", cim.Uint8)), status.WBEM_E_INVALID_PARAMETER},
			{"duplicate method", withMethod, status.WBEM_E_INVALID_PARAMETER},
			{"bad type", newClass("E_C", "", prop("P", cim.Type(99))), status.WBEM_E_INVALID_PROPERTY_TYPE},
			{"default out of range", newClass("E_C", "", bigDefault), status.WBEM_E_TYPE_MISMATCH},
			{"array key", newClass("E_C", "", &cim.Property{Name: "K", Type: cim.String, IsArray: true, Qualifiers: cim.Qualifiers{keyQual}}), status.WBEM_E_CANNOT_BE_KEY},
			{"system class", newClass("__Win32Provider", "__Provider"), status.WBEM_E_INVALID_OPERATION},
			{"disable override", newClass("E_D", "T_Base", prop("Id", cim.Uint32, cim.Qualifier{Name: "Key", Value: cim.NewBool(false)})), status.WBEM_E_UPDATE_OVERRIDE_NOT_ALLOWED},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				err := r.Update(func(tx *Tx) error {
					_, err := tx.PutClass("root/cimv2", tc.class)
					return err
				})
				wantCode(t, err, tc.code)
			})
		}
		// A failed PutClass leaves the transaction usable.
		update(t, r, func(tx *Tx) error {
			if _, err := tx.PutClass("root/cimv2", newClass("E_A", "E_None")); err == nil {
				t.Error("no error")
			}
			_, err := tx.PutClass("root/cimv2", newClass("E_Ok", ""))
			return err
		})
		if _, err := r.GetClass("root/cimv2", "E_Ok"); err != nil {
			t.Fatal(err)
		}
		_, err := r.GetClass("root/cimv2", "E_A")
		wantCode(t, err, status.WBEM_E_NOT_FOUND)
	})
}

func TestClassNames(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		update(t, r, func(tx *Tx) error { return tx.CreateNamespace("root/names") })
		putClasses(t, r, "root/names",
			newClass("b_Top", ""), newClass("A_Top", ""), newClass("c_top", ""),
			newClass("A_Kid2", "A_Top"), newClass("a_kid1", "A_Top"),
			newClass("A_Grand", "a_kid1"), newClass("B_Kid", "b_top"),
		)
		sys := []string{"__ExtendedStatus", "__InstanceProviderRegistration", "__MethodProviderRegistration",
			"__Namespace", "__NotifyStatus", "__ObjectProviderRegistration", "__PARAMETERS", "__Provider",
			"__ProviderRegistration", "__SystemClass", "__Win32Provider"}
		tests := []struct {
			super string
			deep  bool
			want  []string
		}{
			{"", false, []string{"__SystemClass", "A_Top", "b_Top", "c_top"}},
			{"", true, append(slices.Clone(sys), "A_Grand", "a_kid1", "A_Kid2", "A_Top", "B_Kid", "b_Top", "c_top")},
			{"a_top", false, []string{"a_kid1", "A_Kid2"}},
			{"A_TOP", true, []string{"A_Grand", "a_kid1", "A_Kid2"}},
			{"A_Grand", true, []string{}},
			{"c_top", false, []string{}},
		}
		for _, tc := range tests {
			got, err := r.ClassNames("root/names", tc.super, tc.deep)
			wantCode(t, err, 0)
			// "__" sorts before letters; compare case-insensitively sorted lists.
			if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("ClassNames(%q, %v) = %q, want %q", tc.super, tc.deep, got, tc.want)
			}
			classes, err := r.Classes("root/names", tc.super, tc.deep)
			wantCode(t, err, 0)
			for i, c := range classes {
				if c.Name != got[i] {
					t.Errorf("Classes[%d] = %s, want %s", i, c.Name, got[i])
				}
			}
		}
		_, err := r.ClassNames("root/names", "None", false)
		wantCode(t, err, status.WBEM_E_NOT_FOUND)
		_, err = r.SubclassNames("root/names", "None", true)
		wantCode(t, err, status.WBEM_E_NOT_FOUND)
		_, err = r.SubclassNames("root/names", "", true)
		wantCode(t, err, status.WBEM_E_INVALID_PARAMETER)
		got, err := r.SubclassNames("root/names", "a_top", true)
		if err != nil || len(got) != 3 {
			t.Errorf("SubclassNames = %q, %v", got, err)
		}
	})
}

func TestDeleteClass(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		putClasses(t, r, "root/cimv2", hierarchy()...)
		leaf, _ := r.GetClass("root/cimv2", "T_Leaf")
		update(t, r, func(tx *Tx) error {
			_, _, err := tx.PutInstance("root/cimv2", newInst(t, leaf, "Id", uint32(1)))
			return err
		})
		tests := []struct {
			class string
			code  status.HRESULT
		}{
			{"T_Base", status.WBEM_E_CLASS_HAS_CHILDREN},
			{"t_derived", status.WBEM_E_CLASS_HAS_CHILDREN},
			{"T_Leaf", status.WBEM_E_CLASS_HAS_INSTANCES},
			{"T_None", status.WBEM_E_NOT_FOUND},
			{"__Namespace", status.WBEM_E_INVALID_OPERATION},
		}
		for _, tc := range tests {
			t.Run(tc.class, func(t *testing.T) {
				wantCode(t, r.Update(func(tx *Tx) error { return tx.DeleteClass("root/cimv2", tc.class) }), tc.code)
			})
		}
		update(t, r, func(tx *Tx) error {
			if err := tx.DeleteInstance("root/cimv2", mustParsePath(t, "T_Leaf.Id=1")); err != nil {
				return err
			}
			for _, c := range []string{"t_leaf", "T_Derived", "T_Base"} {
				if err := tx.DeleteClass("root/cimv2", c); err != nil {
					return err
				}
			}
			return nil
		})
		for _, c := range []string{"T_Leaf", "T_Derived", "T_Base"} {
			_, err := r.GetClass("root/cimv2", c)
			wantCode(t, err, status.WBEM_E_NOT_FOUND)
		}
		names, _ := r.ClassNames("root/cimv2", "", false)
		if !slices.Equal(names, []string{"__SystemClass"}) {
			t.Errorf("top-level classes after delete: %q", names)
		}
	})
}

func TestInstances(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		const ns = "root/cimv2"
		putClasses(t, r, ns, append(hierarchy(),
			newClass("T_Str", "", keyProp("K", cim.String), prop("V", cim.Uint32)),
			newClass("T_Multi", "", keyProp("A", cim.String), keyProp("B", cim.Sint16), keyProp("C", cim.Boolean)),
			newClass("T_Ref", "", &cim.Property{Name: "R", Type: cim.Reference, RefClass: "T_Str", Qualifiers: cim.Qualifiers{keyQual}}),
			&cim.Class{Name: "T_Single", Qualifiers: cim.Qualifiers{{Name: "Singleton", Value: cim.NewBool(true)}}, Properties: []*cim.Property{prop("V", cim.Uint32)}},
			newClass("T_NoKey", "", prop("V", cim.Uint32)),
			newClass("T_Other", "T_Base"),
		)...)
		get := func(name string) *cim.Class {
			c, err := r.GetClass(ns, name)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		derived, leaf, base := get("T_Derived"), get("T_Leaf"), get("T_Base")

		update(t, r, func(tx *Tx) error {
			puts := []struct {
				inst    *cim.Instance
				path    string
				created bool
			}{
				{newInst(t, derived, "Id", uint32(5), "Name", "five"), `root\cimv2:T_Derived.Id=5`, true},
				{newInst(t, leaf, "Id", uint32(6), "Name", "six", "LeafProp", true), `root\cimv2:T_Leaf.Id=6`, true},
				{newInst(t, derived, "Id", uint32(5), "Name", "FIVE"), `root\cimv2:T_Derived.Id=5`, false},
				{newInst(t, get("T_Str"), "K", "Hello", "V", uint32(1)), `root\cimv2:T_Str.K="Hello"`, true},
				{newInst(t, get("T_Str"), "K", "HELLO", "V", uint32(2)), `root\cimv2:T_Str.K="HELLO"`, false},
				{newInst(t, get("T_Multi"), "A", "x,y=\"z\"", "B", int16(-3), "C", false), `root\cimv2:T_Multi.A="x,y=\"z\"",B=-3,C=FALSE`, true},
				{newInst(t, get("T_Single"), "V", uint32(9)), `root\cimv2:T_Single=@`, true},
			}
			for _, p := range puts {
				path, created, err := tx.PutInstance("ROOT/cimv2", p.inst)
				if err != nil {
					return err
				}
				if path.String() != p.path || created != p.created {
					t.Errorf("PutInstance = %s, %v; want %s, %v", path, created, p.path, p.created)
				}
			}
			// The transaction sees its own instances.
			i, err := tx.Instance(ns, mustParsePath(t, "T_Leaf.Id=6"))
			if err != nil || i.Value("Name").Text() != "six" {
				t.Errorf("tx.Instance: %v, %v", i, err)
			}
			return nil
		})

		refTarget := `\\.\root\cimv2:T_Str.K="hello"`
		update(t, r, func(tx *Tx) error {
			_, _, err := tx.PutInstance(ns, newInst(t, get("T_Ref"), "R", mustParsePath(t, refTarget)))
			return err
		})

		lookups := []struct {
			path      string
			code      status.HRESULT
			class     string
			prop, val string
		}{
			{`T_Derived.Id=5`, 0, "T_Derived", "Name", "FIVE"},
			{`T_Derived.Id="5"`, 0, "T_Derived", "Name", "FIVE"},
			{`t_derived.ID=0x5`, 0, "T_Derived", "Name", "FIVE"},
			{`T_Derived=5`, 0, "T_Derived", "Name", "FIVE"},
			{`T_Base.Id=5`, 0, "T_Derived", "Name", "FIVE"},  // superclass path finds the subclass instance
			{`T_Base.Id=6`, 0, "T_Leaf", "LeafProp", "TRUE"}, // two levels down
			{`T_Leaf.Id=5`, status.WBEM_E_NOT_FOUND, "", "", ""},
			{`T_Other.Id=5`, status.WBEM_E_NOT_FOUND, "", "", ""},
			{`T_Derived.Id=7`, status.WBEM_E_NOT_FOUND, "", "", ""},
			{`T_Derived.Id="x"`, status.WBEM_E_INVALID_OBJECT_PATH, "", "", ""},
			{`T_Derived.Id=-1`, status.WBEM_E_INVALID_OBJECT_PATH, "", "", ""},
			{`T_Derived.Name="x"`, status.WBEM_E_INVALID_OBJECT_PATH, "", "", ""},
			{`T_Derived`, status.WBEM_E_INVALID_OBJECT_PATH, "", "", ""},
			{`T_Derived=@`, status.WBEM_E_INVALID_OBJECT_PATH, "", "", ""},
			{`T_Missing.Id=5`, status.WBEM_E_INVALID_CLASS, "", "", ""},
			{`T_Str.K="hello"`, 0, "T_Str", "V", "2"},
			{`T_Str="HeLLo"`, 0, "T_Str", "V", "2"},
			{`T_Multi.C=false,b="-3",A="X,Y=\"Z\""`, 0, "T_Multi", "B", "-3"},
			{`T_Multi.A="x,y=\"z\"",B=-3`, status.WBEM_E_INVALID_OBJECT_PATH, "", "", ""},
			{`T_Single=@`, 0, "T_Single", "V", "9"},
			{`T_Single`, 0, "T_Single", "V", "9"},
			{`T_Ref.R="T_Str.K=\"HELLO\""`, 0, "T_Ref", "", ""},
			{`T_Ref.R="root/cimv2:T_Str.K=\"hello\""`, 0, "T_Ref", "", ""},
			{`T_Ref.R="\\\\LOCALHOST\\root\\cimv2:T_Str.K=\"hello\""`, 0, "T_Ref", "", ""},
			{`T_Ref.R="root/other:T_Str.K=\"hello\""`, status.WBEM_E_NOT_FOUND, "", "", ""},
		}
		for _, tc := range lookups {
			t.Run(tc.path, func(t *testing.T) {
				i, err := r.Instance(ns, mustParsePath(t, tc.path))
				wantCode(t, err, tc.code)
				if err != nil {
					return
				}
				if i.ClassName() != tc.class || i.Namespace != ns {
					t.Errorf("got instance of %s in %s", i.ClassName(), i.Namespace)
				}
				if tc.prop != "" && i.Value(tc.prop).String() != tc.val && i.Value(tc.prop).Text() != tc.val {
					t.Errorf("%s = %s, want %s", tc.prop, i.Value(tc.prop), tc.val)
				}
			})
		}
		ref, _ := r.Instance(ns, mustParsePath(t, `T_Ref.R="T_Str.K=\"hello\""`))
		if got := ref.Value("R").Ref().String(); got != refTarget {
			t.Errorf("reference stored as %s, want %s", got, refTarget)
		}
		d, _ := r.Instance(ns, mustParsePath(t, "T_Derived.Id=5"))
		if d.Value("Level").Uint64() != 3 {
			t.Errorf("default Level = %v", d.Value("Level"))
		}

		enum := []struct {
			class string
			deep  bool
			want  []string
		}{
			{"T_Base", false, nil},
			{"T_Base", true, []string{"T_Derived.Id=5", "T_Leaf.Id=6"}},
			{"T_Derived", false, []string{"T_Derived.Id=5"}},
			{"T_Derived", true, []string{"T_Derived.Id=5", "T_Leaf.Id=6"}},
			{"t_leaf", true, []string{"T_Leaf.Id=6"}},
		}
		for _, tc := range enum {
			insts, err := r.Instances(ns, tc.class, tc.deep)
			wantCode(t, err, 0)
			var got []string
			for _, i := range insts {
				got = append(got, i.Path().RelPath())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Instances(%s, %v) = %q, want %q", tc.class, tc.deep, got, tc.want)
			}
		}
		_, err := r.Instances(ns, "T_Missing", false)
		wantCode(t, err, status.WBEM_E_INVALID_CLASS)

		errs := []struct {
			name string
			inst func() *cim.Instance
			code status.HRESULT
		}{
			{"abstract", func() *cim.Instance { return newInst(t, base, "Id", uint32(1)) }, status.WBEM_E_INVALID_OPERATION},
			{"null key", func() *cim.Instance { return newInst(t, derived, "Name", "x") }, status.WBEM_E_ILLEGAL_NULL},
			{"no key", func() *cim.Instance { return newInst(t, get("T_NoKey"), "V", uint32(1)) }, status.WBEM_E_NO_KEY},
			{"same keys, other class", func() *cim.Instance { return newInst(t, get("T_Other"), "Id", uint32(5)) }, status.WBEM_E_ALREADY_EXISTS},
			{"unknown class", func() *cim.Instance {
				return newInst(t, &cim.Class{Name: "T_Missing", Properties: []*cim.Property{keyProp("K", cim.String)}}, "K", "x")
			}, status.WBEM_E_INVALID_CLASS},
			{"unknown property", func() *cim.Instance {
				c := &cim.Class{Name: "T_Str", Properties: []*cim.Property{keyProp("K", cim.String), prop("Nope", cim.String)}}
				return newInst(t, c, "K", "x")
			}, status.WBEM_E_INVALID_PROPERTY},
			{"type mismatch", func() *cim.Instance {
				c := &cim.Class{Name: "T_Str", Properties: []*cim.Property{keyProp("K", cim.String), prop("V", cim.String)}}
				return newInst(t, c, "K", "x", "V", "not a number")
			}, status.WBEM_E_TYPE_MISMATCH},
		}
		for _, tc := range errs {
			t.Run(tc.name, func(t *testing.T) {
				err := r.Update(func(tx *Tx) error {
					_, _, err := tx.PutInstance(ns, tc.inst())
					return err
				})
				wantCode(t, err, tc.code)
			})
		}

		// An instance built from a stale class with a value of another
		// type is converted to the stored property type.
		stale := &cim.Class{Name: "T_Str", Properties: []*cim.Property{keyProp("K", cim.String), prop("V", cim.Uint64)}}
		update(t, r, func(tx *Tx) error {
			_, _, err := tx.PutInstance(ns, newInst(t, stale, "K", "conv", "V", uint64(42)))
			return err
		})
		conv, _ := r.Instance(ns, mustParsePath(t, `T_Str.K="conv"`))
		if v := conv.Value("V"); v.Type() != cim.Uint32 || v.Uint64() != 42 {
			t.Errorf("converted V = %s %v", v.TypeName(), v)
		}

		wantCode(t, r.Update(func(tx *Tx) error {
			return tx.DeleteInstance(ns, mustParsePath(t, "T_Other.Id=5"))
		}), status.WBEM_E_NOT_FOUND)
		update(t, r, func(tx *Tx) error { return tx.DeleteInstance(ns, mustParsePath(t, "T_Base.Id=5")) })
		_, err = r.Instance(ns, mustParsePath(t, "T_Derived.Id=5"))
		wantCode(t, err, status.WBEM_E_NOT_FOUND)
		wantCode(t, r.Update(func(tx *Tx) error {
			return tx.DeleteInstance(ns, mustParsePath(t, "T_Derived.Id=5"))
		}), status.WBEM_E_NOT_FOUND)
	})
}

func TestQualifierDecls(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		decls := []*cim.QualifierDecl{
			{Name: "Key", Type: cim.Boolean, Default: cim.NewBool(false), Scopes: cim.ScopeProperty | cim.ScopeReference, Flavor: cim.FlavorDisableOverride},
			{Name: "ValueMap", Type: cim.String, IsArray: true, Scopes: cim.ScopeProperty | cim.ScopeMethod | cim.ScopeParameter},
			{Name: "MaxLen", Type: cim.Uint32, Default: cim.NewSint64(7), Scopes: cim.ScopeProperty},
			{Name: "description", Type: cim.String, Scopes: cim.ScopeAny, Flavor: cim.FlavorTranslatable},
		}
		update(t, r, func(tx *Tx) error {
			for _, d := range decls {
				if err := tx.PutQualifierDecl("root", d); err != nil {
					return err
				}
			}
			return nil
		})
		all, err := r.QualifierDecls("root")
		wantCode(t, err, 0)
		var names []string
		for _, d := range all {
			names = append(names, d.Name)
		}
		if want := []string{"description", "Key", "MaxLen", "ValueMap"}; !slices.Equal(names, want) {
			t.Errorf("QualifierDecls = %q, want %q", names, want)
		}
		m, err := r.QualifierDecl("root", "MAXLEN")
		wantCode(t, err, 0)
		if m.Default.Type() != cim.Uint32 || m.Default.Uint64() != 7 || m.Scopes != cim.ScopeProperty {
			t.Errorf("MaxLen = %+v", m)
		}
		v, _ := r.QualifierDecl("root", "valuemap")
		if !v.IsArray || !v.Default.IsNull() || !v.Default.IsArray() || v.Default.Type() != cim.String {
			t.Errorf("ValueMap = %+v", v)
		}
		_, err = r.QualifierDecl("root/cimv2", "Key")
		wantCode(t, err, status.WBEM_E_NOT_FOUND)
		for _, tc := range []struct {
			d    *cim.QualifierDecl
			code status.HRESULT
		}{
			{&cim.QualifierDecl{Name: "Bad Name", Type: cim.Boolean}, status.WBEM_E_INVALID_PARAMETER},
			{&cim.QualifierDecl{Name: "R", Type: cim.Reference}, status.WBEM_E_INVALID_QUALIFIER_TYPE},
			{&cim.QualifierDecl{Name: "D", Type: cim.Uint8, Default: cim.NewString("x")}, status.WBEM_E_INVALID_QUALIFIER_TYPE},
		} {
			wantCode(t, r.Update(func(tx *Tx) error { return tx.PutQualifierDecl("root", tc.d) }), tc.code)
		}
		update(t, r, func(tx *Tx) error { return tx.DeleteQualifierDecl("root", "key") })
		_, err = r.QualifierDecl("root", "Key")
		wantCode(t, err, status.WBEM_E_NOT_FOUND)
		wantCode(t, r.Update(func(tx *Tx) error { return tx.DeleteQualifierDecl("root", "key") }), status.WBEM_E_NOT_FOUND)
	})
}

var errStop = errors.New("stop here")

func TestAllOrNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		putClasses(t, r, "root/cimv2", newClass("T_Keep", "", keyProp("K", cim.String)))
		keep, _ := r.GetClass("root/cimv2", "T_Keep")
		batch := func(tx *Tx) {
			if err := tx.CreateNamespace("root/half"); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.PutClass("root/half", newClass("T_Half", "")); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.PutClass("root/cimv2", newClass("T_Keep", "", keyProp("K", cim.String), prop("New", cim.String))); err != nil {
				t.Fatal(err)
			}
			if _, _, err := tx.PutInstance("root/cimv2", newInst(t, keep, "K", "a")); err != nil {
				t.Fatal(err)
			}
			if err := tx.PutQualifierDecl("root/cimv2", &cim.QualifierDecl{Name: "Q", Type: cim.Boolean}); err != nil {
				t.Fatal(err)
			}
		}
		check := func(t *testing.T) {
			t.Helper()
			if r.HasNamespace("root/half") {
				t.Error("namespace of a failed batch exists")
			}
			c, err := r.GetClass("root/cimv2", "T_Keep")
			if err != nil || c.Property("New") != nil {
				t.Errorf("class change of a failed batch visible: %v", err)
			}
			if insts, _ := r.Instances("root/cimv2", "T_Keep", false); len(insts) != 0 {
				t.Errorf("%d instances of a failed batch", len(insts))
			}
			if _, err := r.QualifierDecl("root/cimv2", "Q"); err == nil {
				t.Error("qualifier of a failed batch exists")
			}
		}
		t.Run("error", func(t *testing.T) {
			err := r.Update(func(tx *Tx) error {
				batch(tx)
				return errStop
			})
			if err != errStop {
				t.Fatalf("Update returned %v, want the function's error", err)
			}
			check(t)
		})
		t.Run("panic", func(t *testing.T) {
			func() {
				defer func() {
					if p := recover(); p != "boom" {
						t.Fatalf("recovered %v", p)
					}
				}()
				_ = r.Update(func(tx *Tx) error {
					batch(tx)
					panic("boom")
				})
			}()
			check(t)
			// The repository still works after a panic.
			update(t, r, func(tx *Tx) error { return tx.CreateNamespace("root/after") })
		})
		t.Run("tx after return", func(t *testing.T) {
			var saved *Tx
			update(t, r, func(tx *Tx) error { saved = tx; return nil })
			wantCode(t, saved.CreateNamespace("root/late"), status.WBEM_E_INVALID_OPERATION)
			_, err := saved.GetClass("root", "__SystemClass")
			wantCode(t, err, status.WBEM_E_INVALID_OPERATION)
		})
		t.Run("write in view", func(t *testing.T) {
			err := r.View(func(tx *Tx) error { return tx.CreateNamespace("root/view") })
			wantCode(t, err, status.WBEM_E_INVALID_OPERATION)
		})
	})
}

func TestCacheInvalidation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		const ns = "root/cimv2"
		putClasses(t, r, ns, newClass("C_Base", "", keyProp("Id", cim.Uint32), prop("A", cim.String)),
			newClass("C_Mid", "C_Base", prop("M", cim.String)),
			newClass("C_Leaf", "C_Mid", prop("L", cim.String)),
			newClass("C_Other", "", prop("O", cim.String)))
		// Warm the cache.
		for _, c := range []string{"C_Base", "C_Mid", "C_Leaf", "C_Other"} {
			if _, err := r.GetClass(ns, c); err != nil {
				t.Fatal(err)
			}
		}
		other1, _ := r.GetClass(ns, "C_Other")
		leaf1, _ := r.GetClass(ns, "C_Leaf")
		if leaf2, _ := r.GetClass(ns, "C_Leaf"); leaf2 != leaf1 {
			t.Error("second GetClass did not come from the cache")
		}
		putClasses(t, r, ns, newClass("C_Base", "", keyProp("Id", cim.Uint32), prop("A", cim.String), prop("B", cim.Uint8)))
		leaf, _ := r.GetClass(ns, "C_Leaf")
		if got := propNames(leaf); got != "Id,A,B,M,L" {
			t.Errorf("C_Leaf after superclass change: %s", got)
		}
		if other, _ := r.GetClass(ns, "C_Other"); other != other1 {
			t.Error("unrelated class dropped from the cache")
		}
		classes, _ := r.Classes(ns, "C_Base", true)
		for _, c := range classes {
			if c.Property("B") == nil {
				t.Errorf("%s lacks B", c.Name)
			}
		}
		// Re-parent C_Leaf onto C_Other.
		putClasses(t, r, ns, newClass("C_Leaf", "C_Other", prop("L", cim.String)))
		leaf, _ = r.GetClass(ns, "C_Leaf")
		if got := propNames(leaf); got != "O,L" || !slices.Equal(leaf.Derivation, []string{"C_Other"}) {
			t.Errorf("re-parented C_Leaf: %s %v", got, leaf.Derivation)
		}
		if names, _ := r.ClassNames(ns, "C_Mid", false); len(names) != 0 {
			t.Errorf("C_Mid still has subclasses %q", names)
		}
		if names, _ := r.ClassNames(ns, "C_Other", false); !slices.Equal(names, []string{"C_Leaf"}) {
			t.Errorf("C_Other subclasses %q", names)
		}
		// A change in a failed batch leaves the cache alone.
		_ = r.Update(func(tx *Tx) error {
			if _, err := tx.PutClass(ns, newClass("C_Other", "", prop("Changed", cim.String), prop("O", cim.String))); err != nil {
				t.Fatal(err)
			}
			if c, _ := tx.GetClass(ns, "C_Leaf"); propNames(c) != "Changed,O,L" {
				t.Errorf("in-tx C_Leaf: %s", propNames(c))
			}
			return errStop
		})
		if leaf, _ = r.GetClass(ns, "C_Leaf"); propNames(leaf) != "O,L" {
			t.Errorf("C_Leaf after failed batch: %s", propNames(leaf))
		}
	})
}

func TestReplaceClassChecks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		const ns = "root/cimv2"
		putClasses(t, r, ns, newClass("R_Base", "", keyProp("Id", cim.Uint32), prop("P", cim.String)),
			newClass("R_Sub", "R_Base", prop("P", cim.String, cim.Qualifier{Name: "MaxLen", Value: cim.NewUint32(3)})),
			newClass("R_Inst", "", keyProp("K", cim.String)))
		inst, _ := r.GetClass(ns, "R_Inst")
		update(t, r, func(tx *Tx) error {
			_, _, err := tx.PutInstance(ns, newInst(t, inst, "K", "x"))
			return err
		})
		tests := []struct {
			name  string
			class *cim.Class
			code  status.HRESULT
		}{
			{"breaks subclass override", newClass("R_Base", "", keyProp("Id", cim.Uint32), prop("P", cim.Uint32)), status.WBEM_E_CLASS_HAS_CHILDREN},
			{"changes keys with instances", newClass("R_Inst", "", keyProp("K", cim.String), keyProp("K2", cim.String)), status.WBEM_E_CLASS_HAS_INSTANCES},
			{"becomes abstract with instances", abstract(newClass("R_Inst", "", keyProp("K", cim.String))), status.WBEM_E_CLASS_HAS_INSTANCES},
			{"adds a property", newClass("R_Inst", "", keyProp("K", cim.String), prop("New", cim.Uint8)), 0},
			{"drops P from base and sub keeps its own", newClass("R_Base", "", keyProp("Id", cim.Uint32)), 0},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				err := r.Update(func(tx *Tx) error {
					created, err := tx.PutClass(ns, tc.class)
					if created {
						t.Error("replacement reported created")
					}
					return err
				})
				wantCode(t, err, tc.code)
			})
		}
		i, err := r.Instance(ns, mustParsePath(t, `R_Inst.K="x"`))
		wantCode(t, err, 0)
		if v := i.Value("New"); !v.IsNull() || v.Type() != cim.Uint8 {
			t.Errorf("new property on an old instance: %s", v.TypeName())
		}
	})
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	update(t, r, func(tx *Tx) error { return tx.CreateNamespace(`Root\Persist`) })
	putClasses(t, r, "root/persist", hierarchy()...)
	leaf, _ := r.GetClass("root/persist", "T_Leaf")
	update(t, r, func(tx *Tx) error {
		_, _, err := tx.PutInstance("root/persist", newInst(t, leaf, "Id", uint32(1), "Name", "one"))
		return err
	})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = r.GetClass("root/persist", "T_Leaf")
	if !errors.Is(err, ErrClosed) || status.Code(err) != status.WBEM_E_SHUTTING_DOWN {
		t.Errorf("GetClass after Close: %v", err)
	}
	if err := r.Update(func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close: %v", err)
	}

	for _, ro := range []bool{false, true} {
		r, err := Open(dir, Options{ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"root", "root/cimv2", "root/Persist"}
		if ro {
			want = append(want, "root/x") // created by the writable pass
		}
		if got := r.Namespaces(); !slices.Equal(got, want) {
			t.Errorf("reopened Namespaces() = %q", got)
		}
		i, err := r.Instance("root/persist", mustParsePath(t, "T_Base.Id=1"))
		if err != nil || i.Value("Name").Text() != "one" || i.ClassName() != "T_Leaf" {
			t.Errorf("reopened Instance: %v %v", i, err)
		}
		err = r.Update(func(tx *Tx) error { return tx.CreateNamespace("root/x") })
		if ro && (!errors.Is(err, ErrReadOnly) || status.Code(err) != status.WBEM_E_ACCESS_DENIED) {
			t.Errorf("Update on read-only repository: %v", err)
		}
		if !ro && err != nil {
			t.Error(err)
		}
		_ = r.Close()
	}
	if _, err := Open(t.TempDir(), Options{ReadOnly: true}); err == nil {
		t.Error("read-only open of an empty directory succeeded")
	}
}

func TestLockedInProcess(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = Open(dir, Options{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second Open: %v", err)
	}
	_, err = Open(dir, Options{ReadOnly: true, Timeout: -1})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("read-only Open while held for writing: %v", err)
	}
}
