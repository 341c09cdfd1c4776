package status

import (
	"strconv"
	"testing"
)

// FuzzParseHRESULT checks that ParseHRESULT never panics and that whatever it accepts comes
// back unchanged through the hex, decimal, signed and name forms. Seeds are in
// testdata/fuzz/FuzzParseHRESULT.
func FuzzParseHRESULT(f *testing.F) {
	f.Add("WBEM_E_FAILED")
	f.Add("0x80041001")
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := ParseHRESULT(s)
		if !ok {
			if h != 0 {
				t.Errorf("ParseHRESULT(%q) = %s, false; want 0 on failure", s, h.Hex())
			}
			return
		}
		for _, form := range []string{h.Hex(), h.String(), strconv.FormatUint(uint64(h), 10),
			strconv.Itoa(int(h.Signed()))} {
			if got, ok := ParseHRESULT(form); !ok || got != h {
				t.Errorf("ParseHRESULT(%q) = %s, %v; want %s (from %q)", form, got.Hex(), ok, h.Hex(), s)
			}
		}
	})
}
