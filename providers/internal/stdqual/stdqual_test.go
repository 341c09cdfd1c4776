package stdqual_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/providers/internal/stdqual"
	"github.com/gowbem/gowbem/repository"
)

// tstQualifiers are the declarations of shared/conformance/tst_methods.mof.
const tstQualifiers = `
Qualifier Key : boolean = false, Scope(property, reference),
    Flavor(DisableOverride, ToSubclass);
Qualifier In : boolean = true, Scope(parameter),
    Flavor(DisableOverride, ToSubclass);
Qualifier Out : boolean = false, Scope(parameter),
    Flavor(DisableOverride, ToSubclass);
Qualifier Static : boolean = false, Scope(property, method),
    Flavor(DisableOverride, ToSubclass);
Qualifier Description : string = null, Scope(any),
    Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier EmbeddedInstance : string = null, Scope(property, method, parameter),
    Flavor(EnableOverride, ToSubclass);
`

func TestDeclarations(t *testing.T) {
	f, err := mof.Parse("qualifiers.mof", stdqual.MOF(), mof.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range f.Productions {
		q, ok := p.(*mof.QualifierDecl)
		if !ok {
			t.Errorf("unexpected production %T", p)
			continue
		}
		key := strings.ToLower(q.Name)
		if seen[key] {
			t.Errorf("qualifier %s declared twice", q.Name)
		}
		seen[key] = true
	}
	for _, name := range []string{
		"Key", "In", "Out", "Static", "Implemented", "Description", "Provider", "Dynamic", "Abstract",
		"EmbeddedInstance", "EmbeddedObject", "ID", "ValueMap", "Values", "Privileges", "Constructor",
		"Destructor", "MappingStrings", "Override", "Required", "Units", "Association", "Singleton",
		"Disabled", "Bypass_GetObject", "CIMTYPE", "MaxLen", "Optional",
	} {
		if !seen[strings.ToLower(name)] {
			t.Errorf("qualifier %s is not declared", name)
		}
	}
}

// TestRedeclaration compiles the declarations twice, as two modules that
// share a namespace do, and together with those of tst_methods.mof: the
// repeated identical declarations must be accepted.
func TestRedeclaration(t *testing.T) {
	r := repository.NewMemory()
	for i, src := range [][]byte{stdqual.MOF(), stdqual.MOF(), []byte(tstQualifiers)} {
		if _, err := mof.CompileSource(r, "unit.mof", src, mof.CompileOptions{Namespace: "root/x"}); err != nil {
			t.Fatalf("compilation %d: %v", i, err)
		}
	}
	decls, err := r.QualifierDecls("root/x")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(stdqual.MOF(), []byte("\nQualifier ")); len(decls) != n {
		t.Errorf("%d declarations stored, the file has %d", len(decls), n)
	}
}

func TestPrepend(t *testing.T) {
	got := stdqual.Prepend([]byte("class X {};\n"))
	if !bytes.HasPrefix(got, stdqual.MOF()) || !bytes.HasSuffix(got, []byte("\nclass X {};\n")) {
		t.Errorf("Prepend: %q", got[len(got)-40:])
	}
	m := stdqual.MOF()
	m[0] = 'X'
	if stdqual.MOF()[0] == 'X' {
		t.Error("MOF returned the shared slice")
	}
}
