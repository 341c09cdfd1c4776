package status

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// specRow is one row of testdata/wbemstatus_table.txt, a copy of WMI-METHODS.md §8.2.
type specRow struct {
	names                 []string
	hex, unsigned, signed string
	scripting             string // as printed: "(none)" and "(sic)" kept
	line                  int
}

func readSpecTable(t *testing.T) []specRow {
	t.Helper()
	f, err := os.Open("testdata/wbemstatus_table.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []specRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			f := strings.Split(line, "\t")
			if len(f) != 5 {
				t.Fatalf("wbemstatus_table.txt:%d: %d fields, want 5", n, len(f))
			}
			rows = append(rows, specRow{strings.Split(f[0], " / "), f[1], f[2], f[3], f[4], n})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestWBEMStatusTable is T45: for every row of §8.2 the names, hex, unsigned and signed values
// and the scripting name of the generated code match exactly.
func TestWBEMStatusTable(t *testing.T) {
	rows := readSpecTable(t)
	if len(rows) != 130 {
		t.Fatalf("spec table has %d rows, want 130", len(rows))
	}
	inSpec := map[HRESULT]bool{}
	for _, r := range rows {
		t.Run(r.names[0], func(t *testing.T) {
			h, ok := ParseHRESULT(r.hex)
			if !ok {
				t.Fatalf("ParseHRESULT(%q) failed", r.hex)
			}
			inSpec[h] = true
			for _, name := range r.names {
				if got, ok := hresultNames[name]; !ok || got != h {
					t.Errorf("constant %s = %v, %v; want %s", name, got.Hex(), ok, r.hex)
				}
			}
			if got := h.String(); got != r.names[0] {
				t.Errorf("String() = %q, want %q", got, r.names[0])
			}
			if got := h.Hex(); got != r.hex {
				t.Errorf("Hex() = %q, want %q", got, r.hex)
			}
			if got := strconv.FormatUint(uint64(h), 10); got != r.unsigned {
				t.Errorf("unsigned = %s, want %s", got, r.unsigned)
			}
			if got := strconv.Itoa(int(h.Signed())); got != r.signed {
				t.Errorf("Signed() = %s, want %s", got, r.signed)
			}
			want := strings.TrimSuffix(r.scripting, " (sic)")
			if want == "(none)" {
				want = ""
			}
			if got := h.ScriptingName(); got != want {
				t.Errorf("ScriptingName() = %q, want %q", got, want)
			}
			if !h.Failed() || h.Succeeded() {
				t.Errorf("%s is not a failure", h)
			}
			if h.Message() == "" {
				t.Errorf("%s has no message", h)
			}
		})
	}
	// The other way round: every generated failure code is in §8.2, except the WBEMMOF codes.
	for h, e := range hresultTable {
		if h.Failed() && !inSpec[h] && !strings.HasPrefix(e.name, "WBEMMOF_E_") {
			t.Errorf("%s (%s) is not in §8.2", e.name, h.Hex())
		}
	}
}

// TestScriptingQuirks checks rules E5 and E6 of §8.1.
func TestScriptingQuirks(t *testing.T) {
	tests := []struct {
		code      HRESULT
		name      string
		scripting string
	}{
		{WBEM_E_VETO_DELETE, "WBEM_E_VETO_DELETE", "wbemErrVetoPut"},
		{WBEM_E_VETO_PUT, "WBEM_E_VETO_PUT", "wbemErrVetoDelete"},
		{WBEM_E_RETRY_LATER, "WBEM_E_RETRY_LATER", "wbemErrTimedout"},
		{WBEM_E_RESOURCE_CONTENTION, "WBEM_E_RESOURCE_CONTENTION", "wbemErrResetToDefault"},
		{WBEM_E_TIMED_OUT, "WBEM_E_TIMED_OUT", "wbemErrTimeout"},
		{WBEM_E_MISSING_PARAMETER_ID, "WBEM_E_MISSING_PARAMETER_ID", "wbemErrMissingParameter"},
		{WBEM_E_PROVIDER_TIMED_OUT, "WBEM_E_PROVIDER_TIMED_OUT", ""},
		{WBEM_E_NO_KEY, "WBEM_E_NO_KEY", ""},
		{WBEM_E_PROVIDER_DISABLED, "WBEM_E_PROVIDER_DISABLED", ""},
		{WBEM_S_NO_ERROR, "WBEM_S_NO_ERROR", "wbemNoErr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.code.String(); got != tt.name {
				t.Errorf("String() = %q, want %q", got, tt.name)
			}
			if got := tt.code.ScriptingName(); got != tt.scripting {
				t.Errorf("ScriptingName() = %q, want %q", got, tt.scripting)
			}
			if tt.scripting != "" {
				if got, ok := ParseHRESULT(tt.scripting); !ok || got != tt.code {
					t.Errorf("ParseHRESULT(%q) = %v, %v; want %v", tt.scripting, got, ok, tt.code)
				}
			}
		})
	}
	if WBEM_E_VETO_DELETE != 0x80041079 || WBEM_E_RETRY_LATER != 0x80043001 ||
		WBEM_E_TIMED_OUT != 0x80041069 || WBEM_E_MISSING_PARAMETER_ID != 0x80041036 {
		t.Error("E5 constants have the wrong values")
	}
	if WBEM_E_PROVIDER_ALREADY_REGISTERED != 0x80041084 { // E4: the header value
		t.Error("WBEM_E_PROVIDER_ALREADY_REGISTERED is not 0x80041084")
	}
}

// TestSuccessCodes checks the success codes of §1.4 and the two WBEMMOF codes of §5.2.
func TestSuccessCodes(t *testing.T) {
	tests := []struct {
		code HRESULT
		want uint32
		name string
	}{
		{WBEM_S_NO_ERROR, 0, "WBEM_S_NO_ERROR"},
		{WBEM_NO_ERROR, 0, "WBEM_S_NO_ERROR"},
		{WBEM_S_SAME, 0, "WBEM_S_NO_ERROR"},
		{WBEM_S_INITIALIZED, 0, "WBEM_S_NO_ERROR"},
		{WBEM_S_FALSE, 1, "WBEM_S_FALSE"},
		{WBEM_S_ALREADY_EXISTS, 0x40001, "WBEM_S_ALREADY_EXISTS"},
		{WBEM_S_RESET_TO_DEFAULT, 0x40002, "WBEM_S_RESET_TO_DEFAULT"},
		{WBEM_S_DIFFERENT, 0x40003, "WBEM_S_DIFFERENT"},
		{WBEM_S_TIMEDOUT, 0x40004, "WBEM_S_TIMEDOUT"},
		{WBEM_S_NO_MORE_DATA, 0x40005, "WBEM_S_NO_MORE_DATA"},
		{WBEM_S_OPERATION_CANCELLED, 0x40006, "WBEM_S_OPERATION_CANCELLED"},
		{WBEM_S_PENDING, 0x40007, "WBEM_S_PENDING"},
		{WBEM_S_DUPLICATE_OBJECTS, 0x40008, "WBEM_S_DUPLICATE_OBJECTS"},
		{WBEM_S_ACCESS_DENIED, 0x40009, "WBEM_S_ACCESS_DENIED"},
		{WBEM_S_PARTIAL_RESULTS, 0x40010, "WBEM_S_PARTIAL_RESULTS"},
		{WBEM_S_SOURCE_NOT_AVAILABLE, 0x40017, "WBEM_S_SOURCE_NOT_AVAILABLE"},
		{WBEM_S_LIMITED_SERVICE, 0x43001, "WBEM_S_LIMITED_SERVICE"},
		{WBEM_S_INDIRECTLY_UPDATED, 0x43002, "WBEM_S_INDIRECTLY_UPDATED"},
		{WBEMMOF_E_NO_ARRAYS_RETURNED, 0x80044026, "WBEMMOF_E_NO_ARRAYS_RETURNED"},
		{WBEMMOF_E_MUST_BE_IN_OR_OUT, 0x80044027, "WBEMMOF_E_MUST_BE_IN_OR_OUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if uint32(tt.code) != tt.want {
				t.Errorf("value = %s, want 0x%08X", tt.code.Hex(), tt.want)
			}
			if got := tt.code.String(); got != tt.name {
				t.Errorf("String() = %q, want %q", got, tt.name)
			}
			if failed := tt.want&0x80000000 != 0; tt.code.Failed() != failed {
				t.Errorf("Failed() = %v, want %v", tt.code.Failed(), failed)
			}
			if tt.code.Succeeded() && tt.code.CIM() != CIM_ERR_OK {
				t.Errorf("CIM() = %v, want CIM_ERR_OK", tt.code.CIM())
			}
		})
	}
}

func TestHRESULTMethods(t *testing.T) {
	tests := []struct {
		name                     string
		code                     HRESULT
		failed                   bool
		str, hex, msg, errorText string
		signed                   int32
	}{
		{"known failure", WBEM_E_FAILED, true, "WBEM_E_FAILED", "0x80041001", "Unspecified failure",
			"WBEM_E_FAILED (0x80041001): Unspecified failure", -2147217407},
		{"known success", WBEM_S_TIMEDOUT, false, "WBEM_S_TIMEDOUT", "0x00040004",
			"Timeout expired before the operation completed",
			"WBEM_S_TIMEDOUT (0x00040004): Timeout expired before the operation completed", 0x40004},
		{"unknown failure", 0x80070005, true, "0x80070005", "0x80070005", "", "0x80070005", -2147024891},
		{"unknown success", 0x00000002, false, "0x00000002", "0x00000002", "", "0x00000002", 2},
		{"all bits", 0xFFFFFFFF, true, "0xFFFFFFFF", "0xFFFFFFFF", "", "0xFFFFFFFF", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.code
			if h.Failed() != tt.failed || h.Succeeded() == tt.failed {
				t.Errorf("Failed() = %v, Succeeded() = %v; want failed %v", h.Failed(), h.Succeeded(), tt.failed)
			}
			if got := h.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			if got := h.Hex(); got != tt.hex {
				t.Errorf("Hex() = %q, want %q", got, tt.hex)
			}
			if got := h.Message(); got != tt.msg {
				t.Errorf("Message() = %q, want %q", got, tt.msg)
			}
			if got := h.Error(); got != tt.errorText {
				t.Errorf("Error() = %q, want %q", got, tt.errorText)
			}
			if got := h.Signed(); got != tt.signed {
				t.Errorf("Signed() = %d, want %d", got, tt.signed)
			}
		})
	}
}

// TestProgress checks the progress encoding of §3.2 (T19: (3,10) is 0x000A0003).
func TestProgress(t *testing.T) {
	tests := []struct {
		current, total uint16
		want           HRESULT
	}{
		{3, 10, 0x000A0003},
		{0, 0, 0},
		{0xFFFF, 0, 0x0000FFFF},
		{0, 0xFFFF, 0xFFFF0000},
		{0xFFFF, 0xFFFF, 0xFFFFFFFF},
		{1, 1, 0x00010001},
	}
	for _, tt := range tests {
		h := MakeProgress(tt.current, tt.total)
		if h != tt.want {
			t.Errorf("MakeProgress(%d, %d) = %s, want %s", tt.current, tt.total, h.Hex(), tt.want.Hex())
		}
		if c, n := SplitProgress(h); c != tt.current || n != tt.total {
			t.Errorf("SplitProgress(%s) = %d, %d; want %d, %d", h.Hex(), c, n, tt.current, tt.total)
		}
	}
}

func TestParseHRESULT(t *testing.T) {
	tests := []struct {
		in   string
		want HRESULT
		ok   bool
	}{
		{"WBEM_E_FAILED", WBEM_E_FAILED, true},
		{"wbem_e_failed", WBEM_E_FAILED, true},
		{"  WBEM_E_NOT_FOUND\t", WBEM_E_NOT_FOUND, true},
		{"wbemErrFailed", WBEM_E_FAILED, true},
		{"WBEMERRFAILED", WBEM_E_FAILED, true},
		{"wbemErrTimeout", WBEM_E_TIMED_OUT, true},
		{"wbemErrTimedout", WBEM_E_RETRY_LATER, true},
		{"wbemErrVetoPut", WBEM_E_VETO_DELETE, true},
		{"WBEM_E_TRANSACTION_CONFLICT", WBEM_E_RESERVED_001, true},
		{"WBEM_S_INITIALIZED", WBEM_S_NO_ERROR, true},
		{"wbemNoErr", WBEM_S_NO_ERROR, true},
		{"0x80041001", WBEM_E_FAILED, true},
		{"0X80041001", WBEM_E_FAILED, true},
		{"0x8004100a", WBEM_E_CRITICAL_ERROR, true},
		{"0x0", WBEM_S_NO_ERROR, true},
		{"0x40004", WBEM_S_TIMEDOUT, true},
		{"0xFFFFFFFF", 0xFFFFFFFF, true},
		{"2147749889", WBEM_E_FAILED, true},
		{"-2147217407", WBEM_E_FAILED, true},
		{"0", WBEM_S_NO_ERROR, true},
		{"4294967295", 0xFFFFFFFF, true},
		{"-2147483648", 0x80000000, true},
		{"0x80070005", 0x80070005, true},
		{"", 0, false},
		{"0x", 0, false},
		{"0x100000000", 0, false},
		{"0x8004_1001", 0, false},
		{"4294967296", 0, false},
		{"-2147483649", 0, false},
		{"-0x80041001", 0, false},
		{"+1", 0, false},
		{"WBEM_E_NO_SUCH_CODE", 0, false},
		{"wbemErrFailedX", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseHRESULT(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseHRESULT(%q) = %s, %v; want %s, %v", tt.in, got.Hex(), ok, tt.want.Hex(), tt.ok)
		}
	}
}

// TestParseHRESULTRoundTrip parses every form of every known code back to the code.
func TestParseHRESULTRoundTrip(t *testing.T) {
	for h, e := range hresultTable {
		forms := []string{e.name, h.String(), h.Hex(), strconv.FormatUint(uint64(h), 10),
			strconv.Itoa(int(h.Signed())), strings.ToLower(e.name)}
		if e.scripting != "" {
			forms = append(forms, e.scripting)
		}
		for _, s := range forms {
			if got, ok := ParseHRESULT(s); !ok || got != h {
				t.Errorf("ParseHRESULT(%q) = %s, %v; want %s", s, got.Hex(), ok, h.Hex())
			}
		}
	}
	for name, h := range hresultNames {
		if got, ok := ParseHRESULT(name); !ok || got != h {
			t.Errorf("ParseHRESULT(%q) = %s, %v; want %s", name, got.Hex(), ok, h.Hex())
		}
	}
}
