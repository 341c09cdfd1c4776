package mof

import (
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, hang or report an
// error without a position, and that parsing is deterministic. The seed
// corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte("class A { string B; };"))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{MaxDepth: 16, MaxErrors: 5}
		file, err := Parse("fuzz.mof", data, opts)
		if file == nil {
			t.Fatal("nil file")
		}
		if err != nil {
			list, ok := err.(ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("error %T %v", err, err)
			}
			for _, e := range list {
				if e.File != "fuzz.mof" || e.Line < 1 || e.Col < 1 || e.Msg == "" {
					t.Fatalf("error without position: %#v", e)
				}
				if strings.HasPrefix(e.Msg, internalErrorMsg) {
					t.Fatalf("parser bug: %v", e)
				}
			}
		}
		d1 := dump(file.Productions)
		file2, _ := Parse("fuzz.mof", data, opts)
		if d2 := dump(file2.Productions); d1 != d2 {
			t.Fatalf("non-deterministic parse:\n%s\n---\n%s", d1, d2)
		}
	})
}
