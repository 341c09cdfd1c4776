package cimxml

import (
	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// Values of the CIMError HTTP header (DSP0200 §4.5), sent with HTTP
// 4xx/5xx answers to requests that cannot be processed at all.
const (
	// ErrUnsupportedProtocolVersion: CIMProtocolVersion or the MESSAGE
	// PROTOCOLVERSION is not 1.x (HTTP 501).
	ErrUnsupportedProtocolVersion = "unsupported-protocol-version"
	// ErrMultipleRequests: CIMBatch or MULTIREQ (HTTP 501).
	ErrMultipleRequests = "multiple-requests-unsupported"
	// ErrUnsupportedCIMVersion: CIMVERSION is not 2.x (HTTP 501).
	ErrUnsupportedCIMVersion = "unsupported-cim-version"
	// ErrUnsupportedDTDVersion: DTDVERSION is not 2.x (HTTP 501).
	ErrUnsupportedDTDVersion = "unsupported-dtd-version"
	// ErrNotWellFormed: the body is not well-formed UTF-8 XML, or has a
	// document type declaration (HTTP 400).
	ErrNotWellFormed = "request-not-well-formed"
	// ErrNotValid: well-formed, but not valid CIM-XML, or beyond the
	// nesting and attribute limits (HTTP 400).
	ErrNotValid = "request-not-valid"
	// ErrHeaderMismatch: CIMMethod or CIMObject missing or not matching
	// the body (HTTP 400).
	ErrHeaderMismatch = "header-mismatch"
	// ErrUnsupportedOperation: CIMOperation missing or not MethodCall, or
	// an export request (HTTP 400).
	ErrUnsupportedOperation = "unsupported-operation"
)

// ProtocolError is a request that is not a processable CIM-XML operation:
// malformed XML, invalid CIM-XML, unsupported versions or headers. It is
// answered with HTTP status Status and the CIMError header, not with an
// ERROR element.
type ProtocolError struct {
	// Status is the HTTP status code (400, 413, 501, ...).
	Status int
	// CIMError is the value of the CIMError header ("" for none).
	CIMError string
	// Msg says what is wrong.
	Msg string
}

// Error returns the CIMError value and the message.
func (e *ProtocolError) Error() string {
	if e.CIMError == "" {
		return "cimxml: " + e.Msg
	}
	return "cimxml: " + e.CIMError + ": " + e.Msg
}

func notValid(msg string) *ProtocolError {
	return &ProtocolError{Status: 400, CIMError: ErrNotValid, Msg: msg}
}

// Request is one simple CIM-XML operation request: an extrinsic method
// call (METHODCALL) or an intrinsic one (IMETHODCALL).
type Request struct {
	// MessageID is the MESSAGE ID, echoed in the response.
	MessageID string
	// ProtocolVersion is the MESSAGE PROTOCOLVERSION ("1.0").
	ProtocolVersion string
	// Intrinsic reports an IMETHODCALL.
	Intrinsic bool
	// Method is the method name exactly as sent.
	Method string
	// Namespace is the target namespace with '/' separators ("root/cimv2").
	Namespace string
	// Target is the object of an extrinsic call: a class path or an
	// instance path, with Namespace set. Nil for intrinsic calls.
	Target *cim.ObjectPath
	// Params are the PARAMVALUEs or IPARAMVALUEs in the order sent.
	Params []Param
}

// Param is a PARAMVALUE, IPARAMVALUE or an out-parameter of a
// METHODRESPONSE.
//
// Decoded values are typed when the sender gave a PARAMTYPE (or the
// element implies the type: references, instances). Untyped VALUE text is
// kept as a String value (a string array for VALUE.ARRAY) and typed later
// from the method's declaration. Embedded instances are Object values.
//
// In an IMETHODCALL a Reference value is written as a bare CLASSNAME (a
// class path) or INSTANCENAME (an instance path), as DSP0200 declares
// ClassName and InstanceName; decoding gives them back as references.
type Param struct {
	// Name is the parameter name as sent.
	Name string
	// Type is the PARAMTYPE as sent, TypeNone when there was none.
	Type cim.Type
	// Value is the value; NULL when the element had no content.
	Value cim.Value
}

// Response is one simple CIM-XML operation response.
type Response struct {
	// MessageID is the MESSAGE ID of the request.
	MessageID string
	// Intrinsic reports an IMETHODRESPONSE.
	Intrinsic bool
	// Method is the method name as the request spelled it.
	Method string
	// Err is the ERROR of a failed operation, with the CIM status in
	// CIMStatusOverride and the matching WBEM code in Code.
	Err *status.Error

	// ReturnValue is the RETURNVALUE of a METHODRESPONSE: NULL when there
	// was none (or it was empty); an untyped value (no PARAMTYPE) is a
	// String.
	ReturnValue cim.Value
	// Params are the out-parameters of a METHODRESPONSE in the order sent.
	Params []Param

	// HasReturn reports that an IMETHODRESPONSE had an IRETURNVALUE.
	HasReturn bool
	// Classes holds CLASS elements of the IRETURNVALUE.
	Classes []*cim.Class
	// ClassNames holds CLASSNAME elements of the IRETURNVALUE.
	ClassNames []string
	// Instances holds INSTANCE elements and the instances of
	// VALUE.NAMEDINSTANCE elements of the IRETURNVALUE.
	Instances []*cim.Instance
	// InstanceNames holds INSTANCENAME elements of the IRETURNVALUE and
	// the names of VALUE.NAMEDINSTANCE elements (parallel to Instances).
	InstanceNames []*cim.ObjectPath
	// QualifierDecls holds QUALIFIER.DECLARATION elements.
	QualifierDecls []*cim.QualifierDecl
	// Values holds VALUE, VALUE.ARRAY and VALUE.REFERENCE elements of the
	// IRETURNVALUE (GetProperty), untyped values as String.
	Values []cim.Value
}
