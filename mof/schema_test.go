package mof

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// The shared folder sits beside the repository: /work/main/mof -> /work/shared.
const (
	schemaDir      = "../../shared/cim-schema/2.32.0"
	schemaEntry    = schemaDir + "/cim_schema_2.32.0.mof"
	samplesDir     = "../../shared/mof-samples"
	conformanceMOF = "../../shared/conformance/tst_methods.mof"
)

// Figures of the DMTF CIM Schema 2.32.0 as shipped.
const (
	schemaFilesIncluded  = 1421 // the entry file and the 1420 distinct files it includes
	schemaClassesEntry   = 1418 // classes reached from the entry file
	schemaFilesOnDisk    = 1425 // four files under User/ are not included by the entry file
	schemaClassesOnDisk  = 1422
	schemaQualifierDecls = 57 + 14 // qualifiers.mof + qualifiers_optional.mof
)

// mustExist fails (never skips) when shared test data is missing: CI
// clones the repository with shared/ beside it.
func mustExist(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("test data missing (shared/ must sit beside the repository): %v", err)
	}
}

func TestCIMSchemaEntry(t *testing.T) {
	mustExist(t, schemaEntry)
	files, err := ParseFile(schemaEntry, Options{})
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	if len(files) != schemaFilesIncluded {
		t.Errorf("files = %d, want %d", len(files), schemaFilesIncluded)
	}
	if files[0].Name != schemaEntry {
		t.Errorf("files[0] = %s, want the entry file", files[0].Name)
	}
	if got := filepath.Base(files[1].Name); got != "qualifiers.mof" {
		t.Errorf("files[1] = %s, want qualifiers.mof (include order)", got)
	}
	var classes, quals, pragmas int
	names := map[string]bool{}
	for p := range files[0].All() {
		switch p := p.(type) {
		case *ClassDecl:
			classes++
			if names[strings.ToLower(p.Name)] {
				t.Errorf("%s: class %s declared twice", p.Pos, p.Name)
			}
			names[strings.ToLower(p.Name)] = true
		case *QualifierDecl:
			quals++
		case *Pragma:
			pragmas++
			if p.Is("include") && p.Include == nil {
				t.Errorf("%s: include %q not linked", p.Pos, p.Value())
			}
		}
	}
	t.Logf("CIM Schema 2.32.0: %d files, %d classes, %d qualifier declarations, %d pragmas", len(files), classes, quals, pragmas)
	if classes != schemaClassesEntry {
		t.Errorf("classes = %d, want %d", classes, schemaClassesEntry)
	}
	if quals != schemaQualifierDecls {
		t.Errorf("qualifier declarations = %d, want %d", quals, schemaQualifierDecls)
	}
	// Spot checks on well-known classes.
	for _, f := range files {
		for _, c := range f.Classes() {
			switch c.Name {
			case "CIM_ManagedElement":
				if c.Super != "" || len(c.Properties()) != 4 || !hasQualifier(c.Qualifiers, "Abstract") {
					t.Errorf("CIM_ManagedElement: super %q, %d properties", c.Super, len(c.Properties()))
				}
			case "CIM_Component":
				if !hasQualifier(c.Qualifiers, "Association") || len(c.References()) != 2 {
					t.Errorf("CIM_Component: %d references", len(c.References()))
				}
			case "CIM_ComputerSystem":
				if c.Super != "CIM_System" {
					t.Errorf("CIM_ComputerSystem super = %q", c.Super)
				}
			}
		}
	}
}

func hasQualifier(qs []*Qualifier, name string) bool {
	for _, q := range qs {
		if strings.EqualFold(q.Name, name) {
			return true
		}
	}
	return false
}

// TestCIMSchemaEveryFile parses each file of the schema on its own,
// including the four the entry file does not include.
func TestCIMSchemaEveryFile(t *testing.T) {
	mustExist(t, schemaDir)
	var paths []string
	err := filepath.WalkDir(schemaDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".mof") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != schemaFilesOnDisk {
		t.Errorf("found %d .mof files, want %d", len(paths), schemaFilesOnDisk)
	}
	classes := 0
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(p, src, Options{})
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		classes += len(f.Classes())
	}
	if classes != schemaClassesOnDisk {
		t.Errorf("classes = %d, want %d", classes, schemaClassesOnDisk)
	}
}

// TestSamples parses the real-world samples and the conformance model and
// compares their AST with golden files.
func TestSamples(t *testing.T) {
	mustExist(t, samplesDir)
	mustExist(t, conformanceMOF)
	paths, err := filepath.Glob(filepath.Join(samplesDir, "*.mof"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 8 {
		t.Fatalf("found %d samples in %s, want at least 8", len(paths), samplesDir)
	}
	paths = append(paths, conformanceMOF)
	for _, p := range paths {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			files, err := ParseFile(p, Options{})
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			var b strings.Builder
			for _, f := range files {
				b.WriteString("file " + filepath.Base(f.Name) + "\n")
				b.WriteString(dump(f.Productions))
			}
			golden(t, filepath.Join("testdata", "golden", strings.TrimSuffix(name, ".mof")+".golden"), b.String())
		})
	}
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run go test -update to accept)", path, i+1, g, w)
			}
		}
	}
}

func BenchmarkParseCIMSchema(b *testing.B) {
	mustExist(b, schemaEntry)
	var size int64
	_ = filepath.WalkDir(schemaDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
			}
		}
		return nil
	})
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		files, err := ParseFile(schemaEntry, Options{})
		if err != nil || len(files) != schemaFilesIncluded {
			b.Fatalf("%d files, %v", len(files), err)
		}
	}
}

// BenchmarkParseInMemory measures the lexer and parser alone on the schema
// held in memory.
func BenchmarkParseInMemory(b *testing.B) {
	mustExist(b, schemaDir)
	var srcs [][]byte
	var size int64
	_ = filepath.WalkDir(schemaDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".mof") {
			src, _ := os.ReadFile(p)
			srcs = append(srcs, src)
			size += int64(len(src))
		}
		return nil
	})
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, src := range srcs {
			if _, err := Parse("x.mof", src, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
