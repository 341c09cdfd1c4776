// Package status holds the status codes of gowbem: the WBEM codes of WMI (HRESULT, facility 4,
// such as WBEM_E_NOT_FOUND = 0x80041002), the CIM status codes of DMTF DSP0200 (CIMStatus, such
// as CIM_ERR_NOT_FOUND = 6), the mapping between the two families, and an Error type carrying a
// code with the fields of __ExtendedStatus.
//
// The codes are data: codes.tsv and cim_codes.tsv are the one place where a code, its names, its
// message and its mapping are written down. The constants and lookup tables in zz_generated.go
// are generated from them by internal/gen; edit the tables and run `go generate ./status`.
//
// HRESULT values are errors themselves, so they serve as sentinels:
//
//	if errors.Is(err, status.WBEM_E_NOT_FOUND) { ... }
//
// Mapping WBEM codes to CIM status codes (HRESULT.CIM) is many-to-one and stays within the codes
// 1..17 that every CIM-XML client knows. The decisions where the sources leave a choice:
//
//   - WBEM_E_INVALID_PARAMETER, WBEM_E_INVALID_METHOD_PARAMETERS, WBEM_E_TYPE_MISMATCH,
//     WBEM_E_VALUE_OUT_OF_RANGE, WBEM_E_ILLEGAL_NULL, WBEM_E_INVALID_OBJECT,
//     WBEM_E_INVALID_OBJECT_PATH and the *_NAME_TOO_WIDE codes map to CIM_ERR_INVALID_PARAMETER,
//     because a method in-parameter of the wrong type is CIM_ERR_INVALID_PARAMETER for DMTF
//     servers (PROVIDER.md) and WMI reports it as WBEM_E_TYPE_MISMATCH.
//   - WBEM_E_NOT_SUPPORTED maps to CIM_ERR_NOT_SUPPORTED. The codes that say a method or its
//     provider cannot run here (WBEM_E_METHOD_NOT_IMPLEMENTED, WBEM_E_METHOD_DISABLED,
//     WBEM_E_PROVIDER_NOT_CAPABLE, WBEM_E_PROVIDER_NOT_FOUND, WBEM_E_PROVIDER_DISABLED) map to
//     CIM_ERR_METHOD_NOT_AVAILABLE; WBEM_E_INVALID_METHOD maps to CIM_ERR_METHOD_NOT_FOUND.
//   - WBEM_E_INVALID_PROPERTY maps to CIM_ERR_NO_SUCH_PROPERTY; WBEM_E_ACCESS_DENIED,
//     WBEM_E_PRIVILEGE_NOT_HELD and WBEM_E_ENCRYPTED_CONNECTION_REQUIRED to CIM_ERR_ACCESS_DENIED.
//   - Other failures map to CIM_ERR_FAILED and success codes to CIM_ERR_OK.
//
// The reverse mapping (CIMStatus.WBEM) is the one TST_Widget.Fail uses. It follows PROVIDER.md
// in mapping CIM_ERR_METHOD_NOT_AVAILABLE to WBEM_E_NOT_SUPPORTED, and maps
// CIM_ERR_NO_SUCH_PROPERTY to WBEM_E_INVALID_PROPERTY so that the code survives the round trip.
// Two codes do not survive it, CIM_ERR_TYPE_MISMATCH and CIM_ERR_METHOD_NOT_AVAILABLE: an Error
// made by NewCIM keeps the exact CIM status in CIMStatusOverride.
package status

//go:generate go run ./internal/gen
