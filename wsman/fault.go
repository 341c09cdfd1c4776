package wsman

import (
	"context"
	"errors"
	"strings"

	"github.com/gowbem/gowbem/status"
)

// Fault subcodes (DSP0226 §14, WS-Addressing, WS-Enumeration), spelled
// as they appear on the wire: the prefixes w, a and n are bound to the
// WS-Management, WS-Addressing and WS-Enumeration namespaces.
const (
	SubcodeAccessDenied                     = "w:AccessDenied"
	SubcodeAlreadyExists                    = "w:AlreadyExists"
	SubcodeConcurrency                      = "w:Concurrency"
	SubcodeEncodingLimit                    = "w:EncodingLimit"
	SubcodeInternalError                    = "w:InternalError"
	SubcodeInvalidParameter                 = "w:InvalidParameter"
	SubcodeInvalidSelectors                 = "w:InvalidSelectors"
	SubcodeQuotaLimit                       = "w:QuotaLimit"
	SubcodeSchemaValidationError            = "w:SchemaValidationError"
	SubcodeTimedOut                         = "w:TimedOut"
	SubcodeUnsupportedFeature               = "w:UnsupportedFeature"
	SubcodeActionNotSupported               = "a:ActionNotSupported"
	SubcodeDestinationUnreachable           = "a:DestinationUnreachable"
	SubcodeInvalidMessageInformationHeader  = "a:InvalidMessageInformationHeader"
	SubcodeMessageInformationHeaderRequired = "a:MessageInformationHeaderRequired"
	SubcodeInvalidEnumerationContext        = "n:InvalidEnumerationContext"
	SubcodeCannotProcessFilter              = "n:CannotProcessFilter"
	SubcodeFilteringNotSupported            = "n:FilteringNotSupported"
)

// Fault detail URIs (DSP0226 §14.6), carried in w:FaultDetail.
const (
	faultDetailBase = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"

	DetailActionMismatch        = faultDetailBase + "ActionMismatch"
	DetailInvalidResourceURI    = faultDetailBase + "InvalidResourceURI"
	DetailInsufficientSelectors = faultDetailBase + "InsufficientSelectors"
	DetailUnexpectedSelectors   = faultDetailBase + "UnexpectedSelectors"
	DetailTypeMismatch          = faultDetailBase + "TypeMismatch"
	DetailInvalidValue          = faultDetailBase + "InvalidValue"
	DetailDuplicateSelectors    = faultDetailBase + "DuplicateSelectors"
	DetailMaxEnvelopeSize       = faultDetailBase + "MaxEnvelopeSize"
	DetailMinimumEnvelopeLimit  = faultDetailBase + "MinimumEnvelopeLimit"
	DetailServiceEnvelopeLimit  = faultDetailBase + "ServiceEnvelopeLimit"
	DetailCharacterSet          = faultDetailBase + "CharacterSet"
	DetailAddressingMode        = faultDetailBase + "AddressingMode"
	DetailOptionSet             = faultDetailBase + "OptionSet"
	DetailEnumerationMode       = faultDetailBase + "EnumerationMode"
	DetailFilteringRequired     = faultDetailBase + "FilteringRequired"
)

// Fault action URIs.
const (
	actionWSManFault = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
	actionWSAFault   = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"
	actionWSEnFault  = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault"
)

// Fault is a WS-Management fault. The server answers every failed request
// with one (HTTP 500, SOAP 1.2 s:Fault); the client returns the faults it
// receives as *Fault errors.
//
// A Fault unwraps to a *status.Error carrying its WBEM and CIM codes, so
// errors.Is(err, status.WBEM_E_NOT_FOUND) and status.CIMCode(err) work on
// the errors of the client.
type Fault struct {
	// Code is the SOAP fault code without prefix: "Sender", "Receiver",
	// "MustUnderstand" or "VersionMismatch".
	Code string
	// Subcode is the subcode with its conventional prefix, one of the
	// Subcode constants, or "" when there is none. The client maps the
	// prefixes a server used onto w, a and n.
	Subcode string
	// Reason is the human-readable s:Reason text.
	Reason string
	// Detail is the w:FaultDetail URI, or "".
	Detail string
	// CIMStatus is the CIMStatusCode of the CIM_Error in the fault detail,
	// CIM_ERR_OK when there is none.
	CIMStatus status.CIMStatus
	// WBEMCode is the Code of the WSManFault in the fault detail. gowbem
	// servers put the WBEM status code there, as the WMI plugin of WinRM
	// does for WMI errors.
	WBEMCode status.HRESULT
	// Message is the CIM_Error Message (or the WSManFault message): the
	// error description without the code name.
	Message string
	// Action is the wsa:Action of the fault message.
	Action string
	// HTTPStatus is the HTTP status code of the response; set by the
	// client.
	HTTPStatus int

	// notUnderstood is the header a MustUnderstand fault is about.
	notUnderstood qname
}

// qname is a namespace-qualified name.
type qname struct{ space, local string }

// Error returns the fault as text: "wsman fault w:InvalidParameter:
// reason".
func (f *Fault) Error() string {
	var b strings.Builder
	b.WriteString("wsman fault ")
	if f.Subcode != "" {
		b.WriteString(f.Subcode)
	} else {
		b.WriteString("s:")
		b.WriteString(f.Code)
	}
	if f.Reason != "" {
		b.WriteString(": ")
		b.WriteString(f.Reason)
	}
	return b.String()
}

// Unwrap returns the status error the fault stands for: the WBEM code of
// the fault detail (or the one the CIM status maps to) with the CIM
// status as override and the message as description.
func (f *Fault) Unwrap() error {
	code := f.WBEMCode
	if code == 0 || !code.Failed() {
		if f.CIMStatus != status.CIM_ERR_OK {
			code = f.CIMStatus.WBEM()
		} else {
			code = subcodeInfo(f.Subcode).wbem
		}
	}
	msg := f.Message
	if msg == "" {
		msg = f.Reason
	}
	return &status.Error{Code: code, Description: msg, CIMStatusOverride: f.CIMStatus}
}

// subcodeEntry describes a subcode: its SOAP code, the action of the
// fault message and the codes that stand for it when no CIM error caused
// it.
type subcodeEntry struct {
	code   string
	action string
	cim    status.CIMStatus
	wbem   status.HRESULT
}

var subcodes = map[string]subcodeEntry{
	SubcodeAccessDenied:                     {"Sender", actionWSManFault, status.CIM_ERR_ACCESS_DENIED, status.WBEM_E_ACCESS_DENIED},
	SubcodeAlreadyExists:                    {"Sender", actionWSManFault, status.CIM_ERR_ALREADY_EXISTS, status.WBEM_E_ALREADY_EXISTS},
	SubcodeConcurrency:                      {"Receiver", actionWSManFault, status.CIM_ERR_FAILED, status.WBEM_E_FAILED},
	SubcodeEncodingLimit:                    {"Sender", actionWSManFault, status.CIM_ERR_SERVER_LIMITS_EXCEEDED, status.WBEM_E_QUOTA_VIOLATION},
	SubcodeInternalError:                    {"Receiver", actionWSManFault, status.CIM_ERR_FAILED, status.WBEM_E_FAILED},
	SubcodeInvalidParameter:                 {"Sender", actionWSManFault, status.CIM_ERR_INVALID_PARAMETER, status.WBEM_E_INVALID_PARAMETER},
	SubcodeInvalidSelectors:                 {"Sender", actionWSManFault, status.CIM_ERR_INVALID_PARAMETER, status.WBEM_E_INVALID_OBJECT_PATH},
	SubcodeQuotaLimit:                       {"Sender", actionWSManFault, status.CIM_ERR_SERVER_LIMITS_EXCEEDED, status.WBEM_E_QUOTA_VIOLATION},
	SubcodeSchemaValidationError:            {"Sender", actionWSManFault, status.CIM_ERR_FAILED, status.WBEM_E_INVALID_SYNTAX},
	SubcodeTimedOut:                         {"Receiver", actionWSManFault, status.CIM_ERR_FAILED, status.WBEM_E_TIMED_OUT},
	SubcodeUnsupportedFeature:               {"Sender", actionWSManFault, status.CIM_ERR_NOT_SUPPORTED, status.WBEM_E_NOT_SUPPORTED},
	SubcodeActionNotSupported:               {"Sender", actionWSAFault, status.CIM_ERR_NOT_SUPPORTED, status.WBEM_E_NOT_SUPPORTED},
	SubcodeDestinationUnreachable:           {"Sender", actionWSAFault, status.CIM_ERR_NOT_FOUND, status.WBEM_E_NOT_FOUND},
	SubcodeInvalidMessageInformationHeader:  {"Sender", actionWSAFault, status.CIM_ERR_INVALID_PARAMETER, status.WBEM_E_INVALID_PARAMETER},
	SubcodeMessageInformationHeaderRequired: {"Sender", actionWSAFault, status.CIM_ERR_INVALID_PARAMETER, status.WBEM_E_INVALID_PARAMETER},
	SubcodeInvalidEnumerationContext:        {"Receiver", actionWSEnFault, status.CIM_ERR_INVALID_ENUMERATION_CONTEXT, status.WBEM_E_INVALID_PARAMETER},
	SubcodeCannotProcessFilter:              {"Sender", actionWSEnFault, status.CIM_ERR_INVALID_QUERY, status.WBEM_E_INVALID_QUERY},
	SubcodeFilteringNotSupported:            {"Sender", actionWSEnFault, status.CIM_ERR_FILTERED_ENUMERATION_NOT_SUPPORTED, status.WBEM_E_NOT_SUPPORTED},
}

func subcodeInfo(sub string) subcodeEntry {
	if e, ok := subcodes[sub]; ok {
		return e
	}
	return subcodeEntry{"Sender", actionWSAFault, status.CIM_ERR_FAILED, status.WBEM_E_FAILED}
}

// newFault returns a protocol fault (one that no CIM error caused) with
// the codes of its subcode.
func newFault(sub, detail, reason string) *Fault {
	e := subcodeInfo(sub)
	return &Fault{
		Code: e.code, Subcode: sub, Reason: reason, Message: reason, Detail: detail,
		CIMStatus: e.cim, WBEMCode: e.wbem, Action: e.action,
	}
}

// mustUnderstandFault is the s:MustUnderstand fault for a header.
func mustUnderstandFault(h qname) *Fault {
	return &Fault{
		Code: "MustUnderstand", Reason: "header " + h.local + " is not understood",
		Message: "header " + h.local + " is not understood", Action: actionWSAFault,
		CIMStatus: status.CIM_ERR_NOT_SUPPORTED, WBEMCode: status.WBEM_E_NOT_SUPPORTED, notUnderstood: h,
	}
}

// op is the operation a fault happened in; it picks the subcode of some
// CIM errors.
type op uint8

const (
	opNone op = iota
	opIdentify
	opGet
	opEnumerate
	opPull
	opRelease
	opInvoke
)

// faultFromError maps an error of the object manager (or of argument
// decoding) to a fault, following CimToWsmResponseMapper: the CIM status
// picks the subcode, the fault carries the CIM status and the WBEM code.
func faultFromError(err error, o op) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	se := status.AsError(err)
	code := se.Code
	cimCode := status.CIMCode(err)
	desc := se.Description
	if desc == "" {
		desc = code.Message()
		if desc == "" {
			desc = cimCode.Description()
		}
	}
	var sub, detail string
	switch {
	case code == status.WBEM_E_TIMED_OUT || errors.Is(err, context.DeadlineExceeded):
		sub = SubcodeTimedOut
	case code == status.WBEM_E_QUOTA_VIOLATION:
		sub = SubcodeQuotaLimit
	default:
		switch cimCode {
		case status.CIM_ERR_ACCESS_DENIED:
			sub = SubcodeAccessDenied
		case status.CIM_ERR_ALREADY_EXISTS:
			sub = SubcodeAlreadyExists
		case status.CIM_ERR_INVALID_CLASS:
			sub, detail = SubcodeDestinationUnreachable, DetailInvalidResourceURI
		case status.CIM_ERR_INVALID_NAMESPACE, status.CIM_ERR_NOT_FOUND:
			sub = SubcodeDestinationUnreachable
		case status.CIM_ERR_INVALID_PARAMETER:
			if o == opGet {
				sub, detail = SubcodeInvalidSelectors, DetailInvalidValue
			} else {
				sub, detail = SubcodeInvalidParameter, DetailInvalidValue
			}
		case status.CIM_ERR_INVALID_QUERY, status.CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED:
			sub = SubcodeCannotProcessFilter
		case status.CIM_ERR_NOT_SUPPORTED:
			sub, detail = SubcodeActionNotSupported, DetailActionMismatch
		case status.CIM_ERR_INVALID_ENUMERATION_CONTEXT:
			sub = SubcodeInvalidEnumerationContext
		case status.CIM_ERR_SERVER_LIMITS_EXCEEDED:
			sub = SubcodeQuotaLimit
		default:
			sub = SubcodeInternalError
		}
	}
	e := subcodeInfo(sub)
	return &Fault{
		Code: e.code, Subcode: sub, Detail: detail, Action: e.action,
		Reason:    cimCode.String() + ": " + desc,
		Message:   desc,
		CIMStatus: cimCode, WBEMCode: code,
	}
}
