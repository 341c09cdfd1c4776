package mof

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/repository"
)

// baseSchema is a small schema the compiler tests build on: the qualifier
// declarations they use (with the DMTF flavors) and a few classes.
const baseSchema = `// The base schema of the compiler tests.
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier Abstract : boolean = false, Scope(class, association, indication), Flavor(EnableOverride, Restricted);
Qualifier Association : boolean = false, Scope(association), Flavor(DisableOverride, ToSubclass);
Qualifier Indication : boolean = false, Scope(class, indication), Flavor(DisableOverride, ToSubclass);
Qualifier Description : string = null, Scope(any), Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier Override : string = null, Scope(property, reference, method), Flavor(EnableOverride, Restricted);
Qualifier In : boolean = true, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Out : boolean = false, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Static : boolean = false, Scope(property, method), Flavor(DisableOverride, ToSubclass);
Qualifier ValueMap : string[], Scope(property, method, parameter), Flavor(EnableOverride, ToSubclass);
Qualifier Values : string[], Scope(property, method, parameter), Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier MaxLen : uint32 = null, Scope(property, method, parameter), Flavor(EnableOverride, ToSubclass);
Qualifier EmbeddedInstance : string = null, Scope(property, method, parameter), Flavor(EnableOverride, ToSubclass);
Qualifier EmbeddedObject : boolean = false, Scope(property, method, parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Counter : boolean = false, Scope(property, method, parameter), Flavor(EnableOverride, ToSubclass);

[Abstract, Description("The root class of the tests.")]
class T_Base {
    [Key] string Id;
    string Label = "none";
};

class T_Thing : T_Base {
    uint8 Small;
    uint32 Big;
    sint64 Signed;
    datetime When;
    string Tags[];
    uint32 Get([In] uint32 Which, [In(false), Out] string Text);
};

[Association]
class T_Link {
    [Key] T_Thing REF Left;
    [Key] T_Thing REF Right;
};

instance of T_Thing { Id = "t1"; Small = 1; };
instance of T_Thing { Id = "t2"; Small = 2; };
`

// newBaseRepository returns a memory repository holding baseSchema in
// root/cimv2.
func newBaseRepository(t testing.TB) *repository.Repository {
	t.Helper()
	r := repository.NewMemory()
	if _, err := CompileSource(r, "base.mof", []byte(baseSchema), CompileOptions{}); err != nil {
		t.Fatalf("base schema: %v", err)
	}
	return r
}

// mofFile is a MOF file to write for a test: a slash-separated name
// relative to the test's folder, and the text.
type mofFile struct {
	name, src string
}

// writeMOF writes files into dir and returns their paths in order.
func writeMOF(t testing.TB, dir string, files ...mofFile) []string {
	t.Helper()
	paths := make([]string, len(files))
	for i, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.src), 0o644); err != nil {
			t.Fatal(err)
		}
		paths[i] = p
	}
	return paths
}

// snapshot renders everything a repository holds that MOF can change:
// the namespaces, and in each the qualifier declarations, every class in
// its declared form and every static instance. Two equal snapshots mean
// the repository is unchanged.
func snapshot(t testing.TB, r *repository.Repository) string {
	t.Helper()
	var b strings.Builder
	err := r.View(func(tx *repository.Tx) error {
		for _, ns := range tx.Namespaces() {
			fmt.Fprintf(&b, "namespace %s\n", ns)
			qs, err := tx.QualifierDecls(ns)
			if err != nil {
				return err
			}
			for _, q := range qs {
				fmt.Fprintf(&b, "qualifier %s : %s array=%v default=%v scopes=%v flavor=%v\n",
					q.Name, q.Type, q.IsArray, q.Default, q.Scopes.Keywords(), q.Flavor.Keywords())
			}
			names, err := tx.ClassNames(ns, "", true)
			if err != nil {
				return err
			}
			for _, n := range names {
				c, err := tx.GetClass(ns, n)
				if err != nil {
					return err
				}
				b.WriteString(c.MOF(true))
				insts, err := tx.Instances(ns, n, false)
				if err != nil {
					return err
				}
				for _, i := range insts {
					b.WriteString(i.MOF())
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return b.String()
}

// firstError returns the first positioned error in err, or fails.
func firstError(t testing.TB, err error) *Error {
	t.Helper()
	var l ErrorList
	if !errors.As(err, &l) || len(l) == 0 {
		t.Fatalf("error %T %q is not an ErrorList", err, err)
	}
	return l[0]
}

// diffLines returns the first line where a and b differ, for failure
// messages about large texts.
func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n-%s\n+%s", i+1, x, y)
		}
	}
	return "no difference"
}
