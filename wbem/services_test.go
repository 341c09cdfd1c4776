package wbem_test

import (
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// valueSink is a sink of a non-comparable type (a struct holding a slice).
type valueSink struct{ _ []string }

func (valueSink) Indicate([]*cim.Instance) status.HRESULT { return 0 }
func (valueSink) SetStatus(int32, status.HRESULT, string, *cim.Instance) status.HRESULT {
	return 0
}

func TestCheckAsyncArgs(t *testing.T) {
	sink := &wbem.Call{}
	long := strings.Repeat("m", 256)
	tests := []struct {
		name         string
		path, method string
		flags        int32
		sink         wbem.ObjectSink
		want         status.HRESULT
	}{
		{"ok", "TestMeth", "Echo", 0, sink, status.WBEM_S_NO_ERROR},
		{"send status", "TestMeth", "Echo", wbem.FlagSendStatus, sink, status.WBEM_S_NO_ERROR},
		{"nil sink (T3)", "TestMeth", "Echo", 0, nil, status.WBEM_E_INVALID_PARAMETER},
		{"nil sink wins over an empty path", "", "", 0, nil, status.WBEM_E_INVALID_PARAMETER},
		{"empty path", "", "Echo", 0, sink, status.WBEM_E_INVALID_PARAMETER},
		{"empty method", "TestMeth", "", 0, sink, status.WBEM_E_INVALID_PARAMETER},
		{"return immediately (T4)", "TestMeth", "Echo", wbem.FlagReturnImmediately, sink, status.WBEM_E_INVALID_PARAMETER},
		{"amended qualifiers (T4)", "TestMeth", "Echo", wbem.FlagUseAmendedQualifiers, sink, status.WBEM_E_INVALID_PARAMETER},
		{"reserved bit (T4)", "TestMeth", "Echo", 0x1, sink, status.WBEM_E_INVALID_PARAMETER},
		{"method name too wide", "TestMeth", long, 0, sink, status.WBEM_E_METHOD_NAME_TOO_WIDE},
		{"255 characters is fine", "TestMeth", long[:255], 0, sink, status.WBEM_S_NO_ERROR},
		{"non-comparable sink (DD-39)", "TestMeth", "Echo", 0, valueSink{}, status.WBEM_E_INVALID_PARAMETER},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := status.Code(wbem.CheckAsyncArgs(tt.path, tt.method, tt.flags, tt.sink)); got != tt.want {
				t.Errorf("CheckAsyncArgs = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestErrorFromStatus(t *testing.T) {
	if err := wbem.ErrorFromStatus(status.WBEM_S_NO_ERROR, "", nil); err != nil {
		t.Errorf("success gave %v", err)
	}
	obj := cim.NewExtendedStatus(&status.Error{Code: status.WBEM_E_INVALID_CLASS, Description: "no such class",
		Operation: "ExecMethod", ParameterInfo: "Nope", ProviderName: "Windows Management"})
	err := wbem.ErrorFromStatus(status.WBEM_E_INVALID_CLASS, "", obj)
	e := status.AsError(err)
	if e.Code != status.WBEM_E_INVALID_CLASS || e.Description != "no such class" || e.Operation != "ExecMethod" ||
		e.ParameterInfo != "Nope" || e.ProviderName != "Windows Management" {
		t.Errorf("rebuilt error %+v", e)
	}
	if err := wbem.ErrorFromStatus(status.WBEM_E_FAILED, "message only", nil); status.AsError(err).Description != "message only" {
		t.Errorf("message lost: %v", err)
	}
}
