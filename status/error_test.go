package status

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"with description", New(WBEM_E_INVALID_CLASS, "no class %s", "TST_Gadget"),
			"WBEM_E_INVALID_CLASS (0x80041010): Class invalid: no class TST_Gadget"},
		{"without description", &Error{Code: WBEM_E_NOT_FOUND},
			"WBEM_E_NOT_FOUND (0x80041002): Object not found"},
		{"unknown code", New(0x80070005, "DCOM said no"), "0x80070005: DCOM said no"},
		{"sentinel", WBEM_E_CALL_CANCELLED, "WBEM_E_CALL_CANCELLED (0x80041032): Async operation cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorsIs(t *testing.T) {
	notFound := New(WBEM_E_NOT_FOUND, "no instance")
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"*Error matches its HRESULT", notFound, WBEM_E_NOT_FOUND, true},
		{"*Error does not match another HRESULT", notFound, WBEM_E_FAILED, false},
		{"wrapped *Error matches", fmt.Errorf("GetObject: %w", notFound), WBEM_E_NOT_FOUND, true},
		{"*Error matches *Error with same Code", notFound, &Error{Code: WBEM_E_NOT_FOUND, Description: "other"}, true},
		{"*Error does not match *Error with other Code", notFound, &Error{Code: WBEM_E_INVALID_CLASS}, false},
		{"*Error does not match nil *Error", notFound, (*Error)(nil), false},
		{"HRESULT matches itself", WBEM_E_NOT_FOUND, WBEM_E_NOT_FOUND, true},
		{"wrapped HRESULT matches", fmt.Errorf("x: %w", WBEM_E_ACCESS_DENIED), WBEM_E_ACCESS_DENIED, true},
		{"HRESULT does not match another", WBEM_E_NOT_FOUND, WBEM_E_FAILED, false},
		{"alias is the same sentinel", WBEM_E_TRANSACTION_CONFLICT, WBEM_E_RESERVED_001, true},
		{"*Error does not match io.EOF", notFound, io.EOF, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Errorf("errors.Is = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want HRESULT
		cim  CIMStatus
	}{
		{"nil", nil, WBEM_S_NO_ERROR, CIM_ERR_OK},
		{"*Error", New(WBEM_E_INVALID_CLASS, "x"), WBEM_E_INVALID_CLASS, CIM_ERR_INVALID_CLASS},
		{"wrapped *Error", fmt.Errorf("a: %w", New(WBEM_E_INVALID_METHOD, "x")), WBEM_E_INVALID_METHOD, CIM_ERR_METHOD_NOT_FOUND},
		{"override", &Error{Code: WBEM_E_TYPE_MISMATCH, CIMStatusOverride: CIM_ERR_TYPE_MISMATCH}, WBEM_E_TYPE_MISMATCH, CIM_ERR_TYPE_MISMATCH},
		{"NewCIM", NewCIM(CIM_ERR_METHOD_NOT_AVAILABLE, "not implemented"), WBEM_E_NOT_SUPPORTED, CIM_ERR_METHOD_NOT_AVAILABLE},
		{"HRESULT", WBEM_E_ACCESS_DENIED, WBEM_E_ACCESS_DENIED, CIM_ERR_ACCESS_DENIED},
		{"wrapped HRESULT", fmt.Errorf("a: %w", WBEM_E_NOT_FOUND), WBEM_E_NOT_FOUND, CIM_ERR_NOT_FOUND},
		{"canceled", context.Canceled, WBEM_E_CALL_CANCELLED, CIM_ERR_FAILED},
		{"wrapped canceled", fmt.Errorf("wait: %w", context.Canceled), WBEM_E_CALL_CANCELLED, CIM_ERR_FAILED},
		{"deadline", context.DeadlineExceeded, WBEM_E_TIMED_OUT, CIM_ERR_FAILED},
		{"other", io.EOF, WBEM_E_FAILED, CIM_ERR_FAILED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.err); got != tt.want {
				t.Errorf("Code = %v, want %v", got, tt.want)
			}
			if got := CIMCode(tt.err); got != tt.cim {
				t.Errorf("CIMCode = %v, want %v", got, tt.cim)
			}
		})
	}
}

func TestAsError(t *testing.T) {
	if AsError(nil) != nil {
		t.Error("AsError(nil) != nil")
	}
	e := New(WBEM_E_NOT_FOUND, "gone")
	if got := AsError(fmt.Errorf("a: %w", e)); got != e {
		t.Errorf("AsError(wrapped) = %v, want the same *Error", got)
	}
	if got := AsError(WBEM_E_ACCESS_DENIED); got.Code != WBEM_E_ACCESS_DENIED || got.Description != "" {
		t.Errorf("AsError(HRESULT) = %+v", got)
	}
	if got := AsError(io.EOF); got.Code != WBEM_E_FAILED || got.Description != "EOF" {
		t.Errorf("AsError(io.EOF) = %+v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := AsError(ctx.Err())
	if got.Code != WBEM_E_CALL_CANCELLED || !errors.Is(got, WBEM_E_CALL_CANCELLED) {
		t.Errorf("AsError(ctx.Err()) = %+v", got)
	}
}
