package cimjson

import (
	"strconv"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// AppendPath appends p as a JSON string holding its WMI form
// (ObjectPath.String). A nil path is null.
func AppendPath(dst []byte, p *cim.ObjectPath) []byte {
	if p == nil {
		return append(dst, "null"...)
	}
	return AppendString(dst, p.String())
}

// DecodePath decodes a path written by AppendPath (null gives nil). The
// WMI form and the DMTF URI form are accepted.
func DecodePath(data []byte) (*cim.ObjectPath, error) {
	return decodeAll(data, ReadPath)
}

// ReadPath reads a path string (or null, giving nil) from r.
func ReadPath(r *Reader) *cim.ObjectPath {
	if r.Null() {
		return nil
	}
	s := r.String()
	if r.err != nil {
		return nil
	}
	p, err := cim.ParsePath(s)
	if err != nil {
		if q, uerr := cim.ParseURI(s); uerr == nil {
			return q
		}
		r.Fail(err)
		return nil
	}
	return p
}

// AppendNamedValues appends a named-value set (a WMI context object) as
// an array of {"name":..., "type":..., "value":...} in insertion order. A
// nil set is null.
func AppendNamedValues(dst []byte, nv *cim.NamedValues) []byte {
	if nv == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	i := 0
	for name, v := range nv.All {
		if i > 0 {
			dst = append(dst, ',')
		}
		i++
		dst = append(dst, `{"name":`...)
		dst = AppendString(dst, name)
		dst = append(dst, ',')
		dst = appendTypeFields(dst, v.Type(), v.IsArray())
		dst = append(dst, `,"value":`...)
		dst = appendData(dst, v, 0)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// DecodeNamedValues decodes a set written by AppendNamedValues (null
// gives nil).
func DecodeNamedValues(data []byte) (*cim.NamedValues, error) {
	var d Decoder
	return decodeAll(data, d.ReadNamedValues)
}

// ReadNamedValues reads a named-value set (or null, giving nil) from r.
// In the loose input form an object {"name": value, ...} is accepted too.
func (d *Decoder) ReadNamedValues(r *Reader) *cim.NamedValues {
	if r.Null() {
		return nil
	}
	nv := cim.NewNamedValues()
	if r.Peek() == '{' {
		for more := r.ObjectStart(); more; more = r.ObjectNext() {
			var s slot
			s.name = d.Intern(r.Key())
			if r.Peek() == '{' {
				d.readSlot(r, &s, nil, 0)
			} else {
				s.val = d.loose(r)
			}
			if r.err == nil {
				r.Fail(nv.Set(s.name, s.val))
			}
		}
		if r.err != nil {
			return nil
		}
		return nv
	}
	for more := r.ArrayStart(); more; more = r.ArrayNext() {
		var s slot
		d.readSlot(r, &s, nil, 0)
		if r.err == nil {
			r.Fail(nv.Set(s.name, s.val))
		}
	}
	if r.err != nil {
		return nil
	}
	return nv
}

// AppendError appends err as a status error object: "code" (the WBEM
// HRESULT as an unsigned number), "name" (its C name, informative),
// "description", "operation", "parameterInfo", "providerName" (each when
// set) and "cimStatus" when the error carries an explicit CIM status
// code (status.Error.CIMStatusOverride). A nil error is null.
func AppendError(dst []byte, err error) []byte {
	e := status.AsError(err)
	if e == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"code":`...)
	dst = strconv.AppendUint(dst, uint64(e.Code), 10)
	dst = append(dst, `,"name":`...)
	dst = AppendString(dst, e.Code.String())
	for _, f := range [...]struct{ k, v string }{
		{"description", e.Description}, {"operation", e.Operation},
		{"parameterInfo", e.ParameterInfo}, {"providerName", e.ProviderName},
	} {
		if f.v != "" {
			dst = append(dst, ',')
			dst = appendKey(dst, f.k)
			dst = AppendString(dst, f.v)
		}
	}
	if e.CIMStatusOverride != status.CIM_ERR_OK {
		dst = append(dst, `,"cimStatus":`...)
		dst = strconv.AppendUint(dst, uint64(e.CIMStatusOverride), 10)
	}
	return append(dst, '}')
}

// DecodeError decodes an error written by AppendError (null gives nil).
func DecodeError(data []byte) (*status.Error, error) {
	return decodeAll(data, ReadError)
}

// ReadError reads a status error object (or null, giving nil) from r.
// "code" may be a number or a string that status.ParseHRESULT accepts.
func ReadError(r *Reader) *status.Error {
	if r.Null() {
		return nil
	}
	e := &status.Error{}
	for more := r.ObjectStart(); more; more = r.ObjectNext() {
		switch string(r.Key()) {
		case "code":
			e.Code = readHRESULT(r)
		case "description":
			e.Description = r.String()
		case "operation":
			e.Operation = r.String()
		case "parameterInfo":
			e.ParameterInfo = r.String()
		case "providerName":
			e.ProviderName = r.String()
		case "cimStatus":
			n := r.Uint64()
			if n > 1<<32-1 {
				r.failf("cimStatus out of range")
			}
			e.CIMStatusOverride = status.CIMStatus(n)
		default:
			r.Skip()
		}
	}
	if r.err != nil {
		return nil
	}
	return e
}

// ReadHRESULT reads an HRESULT written as an unsigned or signed 32-bit
// number, or as a string status.ParseHRESULT accepts.
func ReadHRESULT(r *Reader) status.HRESULT { return readHRESULT(r) }

func readHRESULT(r *Reader) status.HRESULT {
	if r.Peek() == '"' {
		s := r.StringBytes()
		if r.err != nil {
			return 0
		}
		h, ok := status.ParseHRESULT(string(s))
		if !ok {
			r.failf("%q is not a status code", s)
		}
		return h
	}
	n := r.Int64()
	if n < -1<<31 || n > 1<<32-1 {
		r.failf("status code out of range")
		return 0
	}
	return status.HRESULT(uint32(n))
}
