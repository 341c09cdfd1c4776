package cim

import (
	"errors"

	"github.com/gowbem/gowbem/status"
)

// ExtendedStatusClass is the WMI __ExtendedStatus error class (spec §8.4),
// resolved, derived from __NotifyStatus.
var ExtendedStatusClass = func() *Class {
	str := func(name string) *Property {
		return &Property{Name: name, Type: String, ClassOrigin: "__ExtendedStatus"}
	}
	c := &Class{
		Name:       "__ExtendedStatus",
		SuperClass: "__NotifyStatus",
		Derivation: []string{"__NotifyStatus", "__SystemClass"},
		Properties: []*Property{
			{Name: "StatusCode", Type: Uint32, ClassOrigin: "__NotifyStatus", Propagated: true},
			str("Description"), str("Operation"), str("ParameterInfo"), str("ProviderName"),
		},
	}
	return c
}()

// NewExtendedStatus returns an __ExtendedStatus instance describing err:
// StatusCode is the WBEM code, and Description, Operation, ParameterInfo
// and ProviderName come from a *status.Error when err carries one.
func NewExtendedStatus(err error) *Instance {
	i := NewInstance(ExtendedStatusClass)
	_ = i.SetAt(0, NewUint32(uint32(status.Code(err))))
	var se *status.Error
	if errors.As(err, &se) {
		for k, s := range []string{se.Description, se.Operation, se.ParameterInfo, se.ProviderName} {
			if s != "" {
				_ = i.SetAt(k+1, NewString(s))
			}
		}
	}
	return i
}

// ErrorFromExtendedStatus rebuilds a *status.Error from an
// __ExtendedStatus instance (the inverse of NewExtendedStatus), using code
// when the instance has no StatusCode.
func ErrorFromExtendedStatus(code status.HRESULT, i *Instance) *status.Error {
	e := &status.Error{Code: code}
	if i == nil {
		return e
	}
	if v := i.Value("StatusCode"); !v.IsNull() && code == 0 {
		e.Code = status.HRESULT(v.Uint64())
	}
	e.Description = i.Value("Description").Text()
	e.Operation = i.Value("Operation").Text()
	e.ParameterInfo = i.Value("ParameterInfo").Text()
	e.ProviderName = i.Value("ProviderName").Text()
	return e
}
