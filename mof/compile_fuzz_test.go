package mof

import (
	"strings"
	"sync"
	"testing"

	"github.com/gowbem/gowbem/repository"
)

// fuzzRepo is the repository FuzzCompile compiles into: baseSchema in
// root/cimv2. It is rebuilt after every input that compiled, so that
// inputs do not pile up, and kept across inputs that failed (which must
// not have changed it).
var fuzzRepo struct {
	sync.Mutex
	r    *repository.Repository
	snap string
}

// FuzzCompile compiles arbitrary MOF into a memory repository holding a
// small schema. Properties: Compile never panics; a failure is a list of
// errors each positioned in the input; and a failed compilation leaves
// the repository exactly as it was. The seed corpus is in
// testdata/fuzz/FuzzCompile. Minimizing a new input that widened coverage
// re-runs it thousands of times, so keep that short:
//
//	go test ./mof -run '^$' -fuzz FuzzCompile -fuzztime 60s -fuzzminimizetime 2s
func FuzzCompile(f *testing.F) {
	f.Add([]byte(featuresMOF))
	f.Add([]byte("instance of T_Thing as $a { Id = \"x\"; Small = 300; };"))
	f.Add([]byte("#pragma namespace(\"sub\")\nQualifier Key : boolean = false, Scope(property);\nclass A { [Key] string K; };\ninstance of A { K = \"k\"; };"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRepo.Lock()
		defer fuzzRepo.Unlock()
		if fuzzRepo.r == nil {
			fuzzRepo.r = newBaseRepository(t)
			fuzzRepo.snap = snapshot(t, fuzzRepo.r)
		}
		r := fuzzRepo.r
		opts := CompileOptions{Parse: Options{MaxDepth: 16, MaxErrors: 5}}
		res, err := CompileSource(r, "fuzz.mof", data, opts)
		if err == nil {
			if res == nil {
				t.Fatal("nil result without an error")
			}
			for _, w := range res.Warnings {
				if w.File != "fuzz.mof" || w.Line < 1 || w.Col < 1 {
					t.Fatalf("warning without a position: %#v", w)
				}
			}
			fuzzRepo.r = nil // start the next input from the base schema
			return
		}
		if res != nil {
			t.Fatalf("result %+v with error %v", res, err)
		}
		list := firstErrors(t, err)
		for _, e := range list {
			if e.File != "fuzz.mof" || e.Line < 1 || e.Col < 1 || e.Msg == "" {
				t.Fatalf("error without a position: %#v (%v)", e, err)
			}
			if strings.HasPrefix(e.Msg, internalErrorMsg) {
				t.Fatalf("parser bug: %v", e)
			}
		}
		if _, perr := Parse("fuzz.mof", data, opts.Parse); perr != nil {
			return // a syntax error: CompileSource never opened a transaction
		}
		if after := snapshot(t, r); after != fuzzRepo.snap {
			t.Fatalf("failed compilation (%v) changed the repository: %s", err, diffLines(fuzzRepo.snap, after))
		}
	})
}
