package status

import (
	"context"
	"errors"
	"fmt"
)

// Error is a failure with a WBEM code and the fields of the extended error object
// __ExtendedStatus (WMI-METHODS.md §8.4).
type Error struct {
	// Code is the WBEM status code; it becomes __ExtendedStatus.StatusCode.
	Code HRESULT
	// Description is free text from the provider or the core.
	Description string
	// Operation names the operation in progress, such as "ExecMethod".
	Operation string
	// ParameterInfo names the offending parameter, such as the object path as supplied.
	ParameterInfo string
	// ProviderName names the provider, or "Windows Management" when none was involved.
	ProviderName string
	// CIMStatusOverride is the CIM status code CIM-XML and WS-Management callers see;
	// CIM_ERR_OK (0) means Code.CIM().
	CIMStatusOverride CIMStatus
}

// New returns an Error with code and a Description formatted from format and args as by
// fmt.Sprintf.
func New(code HRESULT, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...)}
}

// NewCIM returns an Error for the CIM status code c: its Code is c.WBEM() and its
// CIMStatusOverride is c, so that both families see the exact code. The Description is
// formatted from format and args as by fmt.Sprintf.
func NewCIM(c CIMStatus, format string, args ...any) *Error {
	return &Error{Code: c.WBEM(), Description: fmt.Sprintf(format, args...), CIMStatusOverride: c}
}

// Error returns the code's name, hex value and message followed by the Description, such as
// "WBEM_E_INVALID_CLASS (0x80041010): Class invalid: no class TST_Gadget".
func (e *Error) Error() string {
	if e.Description == "" {
		return e.Code.Error()
	}
	return e.Code.Error() + ": " + e.Description
}

// Is reports whether target is the HRESULT e.Code or an *Error with the same Code, so that
// errors.Is(err, WBEM_E_NOT_FOUND) matches an *Error with that code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case HRESULT:
		return e.Code == t
	case *Error:
		return t != nil && e.Code == t.Code
	}
	return false
}

// CIM returns the CIM status code of e: CIMStatusOverride when set, else Code.CIM().
func (e *Error) CIM() CIMStatus {
	if e.CIMStatusOverride != CIM_ERR_OK {
		return e.CIMStatusOverride
	}
	return e.Code.CIM()
}

// Code returns the WBEM code of err: WBEM_S_NO_ERROR for nil, the Code of an *Error or the
// HRESULT found in err's chain, WBEM_E_CALL_CANCELLED for context.Canceled,
// WBEM_E_TIMED_OUT for context.DeadlineExceeded, and WBEM_E_FAILED for anything else.
func Code(err error) HRESULT {
	// Fast paths without errors.As, whose targets escape to the heap.
	switch e := err.(type) {
	case nil:
		return WBEM_S_NO_ERROR
	case HRESULT:
		return e
	case *Error:
		return e.Code
	}
	var e *Error
	var h HRESULT
	switch {
	case err == nil:
		return WBEM_S_NO_ERROR
	case errors.As(err, &e):
		return e.Code
	case errors.As(err, &h):
		return h
	case errors.Is(err, context.Canceled):
		return WBEM_E_CALL_CANCELLED
	case errors.Is(err, context.DeadlineExceeded):
		return WBEM_E_TIMED_OUT
	}
	return WBEM_E_FAILED
}

// CIMCode returns the CIM status code of err: CIM_ERR_OK for nil, the CIM status of an *Error
// in err's chain (which honours CIMStatusOverride), and otherwise Code(err).CIM().
func CIMCode(err error) CIMStatus {
	var e *Error
	if errors.As(err, &e) {
		return e.CIM()
	}
	return Code(err).CIM()
}

// AsError returns err as an *Error: nil for nil, the *Error in err's chain when there is one,
// and otherwise a new Error with Code(err) whose Description is err's text (empty when err is
// an HRESULT, whose text the Code already gives).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if h, ok := err.(HRESULT); ok {
		return &Error{Code: h}
	}
	return &Error{Code: Code(err), Description: err.Error()}
}
