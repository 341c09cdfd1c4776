package status

import "strconv"

// CIMStatus is a CIM status code of DMTF DSP0200: the ERROR CODE of a CIM-XML response and
// the status of a WS-Management CIM_Error. CIM_ERR_OK (0) means success.
type CIMStatus uint32

// cimEntry describes one known CIMStatus; the generated cimTable holds one per code.
type cimEntry struct {
	name        string  // the CIM_ERR_* name
	description string  // what the code means
	wbem        HRESULT // the WBEM code a WMI-style caller sees
}

// String returns the name of c, such as "CIM_ERR_NOT_FOUND", or "CIMStatus(n)" when c is
// unknown.
func (c CIMStatus) String() string {
	if e, ok := cimTable[c]; ok {
		return e.name
	}
	return "CIMStatus(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// Description returns what c means, or "" when c is unknown.
func (c CIMStatus) Description() string { return cimTable[c].description }

// WBEM returns the WBEM code that a WMI-style caller sees for c, such as WBEM_E_NOT_FOUND for
// CIM_ERR_NOT_FOUND. Unknown codes map to WBEM_E_FAILED.
func (c CIMStatus) WBEM() HRESULT {
	if e, ok := cimTable[c]; ok {
		return e.wbem
	}
	return WBEM_E_FAILED
}
