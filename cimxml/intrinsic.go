package cimxml

import (
	"context"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// intrinsicOp is one supported intrinsic operation: it appends the content
// of IRETURNVALUE.
type intrinsicOp func(ctx context.Context, svc wbem.Services, req *Request, b []byte) ([]byte, error)

var intrinsicOps = []struct {
	name string
	run  intrinsicOp
}{
	{"GetClass", opGetClass},
	{"EnumerateClasses", opEnumerateClasses},
	{"EnumerateClassNames", opEnumerateClassNames},
	{"GetInstance", opGetInstance},
	{"EnumerateInstances", opEnumerateInstances},
	{"EnumerateInstanceNames", opEnumerateInstanceNames},
	{"GetQualifier", opGetQualifier},
	{"EnumerateQualifiers", opEnumerateQualifiers},
}

// intrinsic runs an IMETHODCALL and appends the IMETHODRESPONSE document.
func (h *Handler) intrinsic(ctx context.Context, b []byte, req *Request) []byte {
	var run intrinsicOp
	for _, op := range intrinsicOps {
		if strings.EqualFold(op.name, req.Method) {
			run = op.run
			break
		}
	}
	if run == nil {
		return AppendIMethodError(b, req.MessageID, req.Method,
			status.NewCIM(status.CIM_ERR_NOT_SUPPORTED, "operation %s is not supported", req.Method))
	}
	svc, err := h.opts.Connector.Services(ctx, req.Namespace)
	if err != nil {
		return AppendIMethodError(b, req.MessageID, req.Method, err)
	}
	defer svc.Close()
	start := len(b)
	b = appendIMethodResponseStart(b, req.MessageID, req.Method)
	b = append(b, "<IRETURNVALUE>"...)
	b, err = run(ctx, svc, req, b)
	if err != nil {
		return AppendIMethodError(b[:start], req.MessageID, req.Method, err)
	}
	b = append(b, "</IRETURNVALUE>"...)
	return appendIMethodResponseEnd(b)
}

// param returns the IPARAMVALUE named name (case-insensitively).
func (r *Request) param(name string) (cim.Value, bool) {
	for i := range r.Params {
		if strings.EqualFold(r.Params[i].Name, name) {
			return r.Params[i].Value, true
		}
	}
	return cim.Value{}, false
}

func badParam(name, format string, args ...any) error {
	return status.NewCIM(status.CIM_ERR_INVALID_PARAMETER, "%s: "+format, append([]any{name}, args...)...)
}

// boolParam reads a boolean IPARAMVALUE (TRUE/FALSE in any case).
func boolParam(req *Request, name string, def bool) (bool, error) {
	v, ok := req.param(name)
	if !ok || v.IsNull() {
		return def, nil
	}
	switch {
	case v.Type() == cim.Boolean && !v.IsArray():
		return v.Bool(), nil
	case v.Type() == cim.String && !v.IsArray():
		switch strings.ToLower(strings.TrimSpace(v.Text())) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, badParam(name, "not a boolean")
}

// classParam reads a ClassName IPARAMVALUE; required params must be
// present and not NULL.
func classParam(req *Request, name string, required bool) (string, error) {
	v, ok := req.param(name)
	if !ok || v.IsNull() {
		if required {
			return "", badParam(name, "missing")
		}
		return "", nil
	}
	switch {
	case v.Type() == cim.Reference && !v.IsArray() && v.Ref().IsClass():
		return v.Ref().Class, nil
	case v.Type() == cim.String && !v.IsArray() && v.Text() != "":
		return v.Text(), nil
	}
	return "", badParam(name, "not a class name")
}

// enumParams reads the ClassName and DeepInheritance IPARAMVALUEs of the
// enumeration operations; required and deepDefault are as for classParam
// and boolParam.
func enumParams(req *Request, required, deepDefault bool) (name string, deep bool, err error) {
	if name, err = classParam(req, "ClassName", required); err != nil {
		return "", false, err
	}
	if deep, err = boolParam(req, "DeepInheritance", deepDefault); err != nil {
		return "", false, err
	}
	return name, deep, nil
}

// propertyList reads PropertyList: nil when absent or NULL.
func propertyList(req *Request) ([]string, error) {
	v, ok := req.param("PropertyList")
	if !ok || v.IsNull() {
		return nil, nil
	}
	if !v.IsArray() || v.Type() != cim.String {
		return nil, badParam("PropertyList", "not a string array")
	}
	out := make([]string, 0, v.Len())
	for _, e := range v.Elems() {
		if !e.IsNull() {
			out = append(out, e.Text())
		}
	}
	return out, nil
}

// objectOptions reads LocalOnly, IncludeQualifiers, IncludeClassOrigin and
// PropertyList with the given defaults.
func objectOptions(req *Request, local, quals, origin bool) (ObjectOptions, error) {
	var o ObjectOptions
	var err error
	if o.LocalOnly, err = boolParam(req, "LocalOnly", local); err != nil {
		return o, err
	}
	if o.IncludeQualifiers, err = boolParam(req, "IncludeQualifiers", quals); err != nil {
		return o, err
	}
	if o.IncludeClassOrigin, err = boolParam(req, "IncludeClassOrigin", origin); err != nil {
		return o, err
	}
	o.PropertyList, err = propertyList(req)
	return o, err
}

func opGetClass(ctx context.Context, svc wbem.Services, req *Request, b []byte) ([]byte, error) {
	name, err := classParam(req, "ClassName", true)
	if err != nil {
		return b, err
	}
	opts, err := objectOptions(req, true, true, false)
	if err != nil {
		return b, err
	}
	c, err := svc.GetClass(ctx, name)
	if err != nil {
		return b, err
	}
	return AppendClass(b, c, opts), nil
}

func opEnumerateClasses(ctx context.Context, svc wbem.Services, req *Request, b []byte) ([]byte, error) {
	name, deep, err := enumParams(req, false, false)
	if err != nil {
		return b, err
	}
	opts, err := objectOptions(req, true, true, false)
	if err != nil {
		return b, err
	}
	cs, err := svc.EnumerateClasses(ctx, name, deep)
	if err != nil {
		return b, err
	}
	for _, c := range cs {
		b = AppendClass(b, c, opts)
	}
	return b, nil
}

func opEnumerateClassNames(ctx context.Context, svc wbem.Services, req *Request, b []byte) ([]byte, error) {
	name, deep, err := enumParams(req, false, false)
	if err != nil {
		return b, err
	}
	names, err := svc.EnumerateClassNames(ctx, name, deep)
	if err != nil {
		return b, err
	}
	for _, n := range names {
		b = appendClassName(b, n)
	}
	return b, nil
}

// instanceOptions reads the options of the instance operations. LocalOnly
// is deprecated for instances (DSP0200) and ignored: every property is
// sent.
func instanceOptions(req *Request) (ObjectOptions, error) {
	o, err := objectOptions(req, false, false, false)
	o.LocalOnly = false
	return o, err
}

func opGetInstance(ctx context.Context, svc wbem.Services, req *Request, b []byte) ([]byte, error) {
	v, ok := req.param("InstanceName")
	if !ok || v.IsNull() || v.Type() != cim.Reference || v.IsArray() || !v.Ref().IsInstance() {
		return b, badParam("InstanceName", "missing or not an instance name")
	}
	opts, err := instanceOptions(req)
	if err != nil {
		return b, err
	}
	inst, err := svc.GetInstance(ctx, v.Ref().RelPath())
	if err != nil {
		return b, err
	}
	return AppendInstance(b, inst, opts), nil
}

func opEnumerateInstances(ctx context.Context, svc wbem.Services, req *Request, b []byte) ([]byte, error) {
	name, deep, err := enumParams(req, true, true)
	if err != nil {
		return b, err
	}
	opts, err := instanceOptions(req)
	if err != nil {
		return b, err
	}
	insts, err := svc.EnumerateInstances(ctx, name, deep)
	if err != nil {
		return b, err
	}
	for _, inst := range insts {
		b = AppendNamedInstance(b, inst, opts)
	}
	return b, nil
}

func opEnumerateInstanceNames(ctx context.Context, svc wbem.Services, req *Request, b []byte) ([]byte, error) {
	name, err := classParam(req, "ClassName", true)
	if err != nil {
		return b, err
	}
	paths, err := svc.EnumerateInstanceNames(ctx, name)
	if err != nil {
		return b, err
	}
	for _, p := range paths {
		b = AppendInstanceName(b, p)
	}
	return b, nil
}

func opGetQualifier(ctx context.Context, svc wbem.Services, req *Request, b []byte) ([]byte, error) {
	v, ok := req.param("QualifierName")
	if !ok || v.IsNull() || v.Type() != cim.String || v.IsArray() {
		return b, badParam("QualifierName", "missing or not a string")
	}
	q, err := svc.GetQualifier(ctx, v.Text())
	if err != nil {
		return b, err
	}
	return AppendQualifierDecl(b, q), nil
}

func opEnumerateQualifiers(ctx context.Context, svc wbem.Services, req *Request, b []byte) ([]byte, error) {
	qs, err := svc.EnumerateQualifiers(ctx)
	if err != nil {
		return b, err
	}
	for _, q := range qs {
		b = AppendQualifierDecl(b, q)
	}
	return b, nil
}
