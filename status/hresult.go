package status

import (
	"fmt"
	"strconv"
	"strings"
)

// HRESULT is a 32-bit WBEM status code. Bit 31 set means failure; WMI's own codes live in
// facility 4 (0x8004xxxx errors, 0x0004xxxx success with information). Codes of other
// facilities pass through unchanged. An HRESULT is an error, so the constants serve as
// sentinel errors for errors.Is.
type HRESULT uint32

// hresultEntry describes one known HRESULT; the generated hresultTable holds one per code.
type hresultEntry struct {
	name      string    // the C constant
	scripting string    // the WbemErrorEnum constant, "" when there is none
	message   string    // what the code means
	cim       CIMStatus // the CIM status code it maps to
}

// Failed reports whether h is a failure code (bit 31 set).
func (h HRESULT) Failed() bool { return h&0x80000000 != 0 }

// Succeeded reports whether h is a success code (bit 31 clear).
func (h HRESULT) Succeeded() bool { return !h.Failed() }

// String returns the C name of h, such as "WBEM_E_FAILED", or its Hex form when h is unknown.
func (h HRESULT) String() string {
	if e, ok := hresultTable[h]; ok {
		return e.name
	}
	return h.Hex()
}

// Error returns the C name, the hex value and the message of h, such as
// "WBEM_E_NOT_FOUND (0x80041002): Object not found", or only the hex value when h is unknown.
func (h HRESULT) Error() string {
	if e, ok := hresultTable[h]; ok {
		return e.name + " (" + h.Hex() + "): " + e.message
	}
	return h.Hex()
}

// Message returns what h means, such as "Unspecified failure", or "" when h is unknown.
func (h HRESULT) Message() string { return hresultTable[h].message }

// ScriptingName returns the scripting constant (WbemErrorEnum) of h, such as "wbemErrFailed",
// or "" when h has none.
func (h HRESULT) ScriptingName() string { return hresultTable[h].scripting }

// Signed returns h as a signed 32-bit number, the form VBScript shows in Err.Number
// (-2147217407 for 0x80041001).
func (h HRESULT) Signed() int32 { return int32(h) }

// Hex returns h as "0x" followed by 8 upper-case hex digits, such as "0x80041001".
func (h HRESULT) Hex() string { return fmt.Sprintf("0x%08X", uint32(h)) }

// CIM returns the CIM status code that a CIM-XML or WS-Management caller sees for h. Unknown
// failure codes map to CIM_ERR_FAILED and unknown success codes to CIM_ERR_OK.
func (h HRESULT) CIM() CIMStatus {
	if e, ok := hresultTable[h]; ok {
		return e.cim
	}
	if h.Failed() {
		return CIM_ERR_FAILED
	}
	return CIM_ERR_OK
}

// MakeProgress returns the hResult of a progress report (SetStatus with WBEM_STATUS_PROGRESS):
// the amount of progress so far in the low word and the total in the high word.
func MakeProgress(current, total uint16) HRESULT {
	return HRESULT(uint32(total)<<16 | uint32(current))
}

// SplitProgress returns the amount of progress so far (low word) and the total (high word) of a
// progress report made by MakeProgress.
func SplitProgress(h HRESULT) (current, total uint16) {
	return uint16(h), uint16(h >> 16)
}

// ParseHRESULT parses s as a C name or alias ("WBEM_E_FAILED"), a scripting name
// ("wbemErrFailed"), a hex number ("0x80041001"), an unsigned decimal ("2147749889") or a signed
// decimal ("-2147217407"). Names are matched without regard to case; surrounding space is
// ignored. It reports false when s is none of these.
func ParseHRESULT(s string) (HRESULT, bool) {
	s = strings.TrimSpace(s)
	if h, ok := hresultNames[s]; ok {
		return h, true
	}
	if hex, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		v, err := strconv.ParseUint(hex, 16, 32)
		if err != nil {
			return 0, false
		}
		return HRESULT(v), true
	}
	if v, err := strconv.ParseUint(s, 10, 32); err == nil {
		return HRESULT(v), true
	}
	if v, err := strconv.ParseInt(s, 10, 32); err == nil && v < 0 {
		return HRESULT(int32(v)), true
	}
	for name, h := range hresultNames {
		if strings.EqualFold(name, s) {
			return h, true
		}
	}
	return 0, false
}
