package cim

import (
	"strings"

	"github.com/gowbem/gowbem/status"
)

// NamedValues is an ordered set of named values with case-insensitive
// names: the WMI context object (IWbemContext, SWbemNamedValueSet). The
// object manager hands a call's NamedValues to the provider unchanged and
// never interprets it. The zero value is an empty set; a nil *NamedValues
// is an empty, read-only set.
type NamedValues struct {
	names  []string
	values []Value
}

// NewNamedValues returns an empty set.
func NewNamedValues() *NamedValues { return &NamedValues{} }

func (n *NamedValues) find(name string) int {
	if n == nil {
		return -1
	}
	for i, s := range n.names {
		if strings.EqualFold(s, name) {
			return i
		}
	}
	return -1
}

// Set adds a value or replaces the value of the same name (the original
// spelling of the name is kept). An empty name or a NULL value is
// WBEM_E_INVALID_PARAMETER (IWbemContext::SetValue with NULL).
func (n *NamedValues) Set(name string, v Value) error {
	if name == "" {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "context value needs a name")
	}
	if v.IsNull() && v.Type() == TypeNone {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "context value %s is NULL", name)
	}
	if i := n.find(name); i >= 0 {
		n.values[i] = v
		return nil
	}
	n.names = append(n.names, name)
	n.values = append(n.values, v)
	return nil
}

// Add converts x with ValueOf and sets it (SWbemNamedValueSet.Add).
func (n *NamedValues) Add(name string, x any) error {
	v, err := ValueOf(x)
	if err != nil {
		return err
	}
	return n.Set(name, v)
}

// Get returns the value named name; a missing name is WBEM_E_NOT_FOUND and
// an empty name WBEM_E_INVALID_PARAMETER.
func (n *NamedValues) Get(name string) (Value, error) {
	if name == "" {
		return Value{}, status.New(status.WBEM_E_INVALID_PARAMETER, "context value needs a name")
	}
	i := n.find(name)
	if i < 0 {
		return Value{}, status.New(status.WBEM_E_NOT_FOUND, "no context value %s", name)
	}
	return n.values[i], nil
}

// Delete removes the value named name; a missing name is WBEM_E_NOT_FOUND.
func (n *NamedValues) Delete(name string) error {
	i := n.find(name)
	if i < 0 {
		return status.New(status.WBEM_E_NOT_FOUND, "no context value %s", name)
	}
	n.names = append(n.names[:i], n.names[i+1:]...)
	n.values = append(n.values[:i], n.values[i+1:]...)
	return nil
}

// DeleteAll removes every value.
func (n *NamedValues) DeleteAll() {
	if n != nil {
		n.names, n.values = nil, nil
	}
}

// Len returns the number of values.
func (n *NamedValues) Len() int {
	if n == nil {
		return 0
	}
	return len(n.names)
}

// Names returns the names in insertion order.
func (n *NamedValues) Names() []string {
	if n == nil {
		return nil
	}
	return append([]string(nil), n.names...)
}

// All calls yield for each name and value in insertion order.
func (n *NamedValues) All(yield func(name string, v Value) bool) {
	if n == nil {
		return
	}
	for i, s := range n.names {
		if !yield(s, n.values[i]) {
			return
		}
	}
}

// Clone returns a deep copy (nil for nil).
func (n *NamedValues) Clone() *NamedValues {
	if n == nil {
		return nil
	}
	c := &NamedValues{names: append([]string(nil), n.names...), values: make([]Value, len(n.values))}
	for i, v := range n.values {
		c.values[i] = v.Clone()
	}
	return c
}
