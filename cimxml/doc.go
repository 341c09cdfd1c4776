// Package cimxml is gowbem's CIM-XML transport: CIM operations over HTTP
// as DMTF DSP0200 (the protocol) and DSP0201 (the XML) define them, on the
// server side and on the client side.
//
// The server side is Handler, an http.Handler for POST (and M-POST) of
// simple requests. It decodes the request, opens the Services of the
// request's namespace through a wbem.Connector with the caller's identity
// in the context (package security), runs the operation and encodes the
// answer. Extrinsic method calls are typed from the class: wbemcli sends
// untyped PARAMVALUEs, so the handler reads the method's in-signature
// (GetClass) and converts each value to the declared type; undeclared
// parameters and values that do not convert are CIM_ERR_INVALID_PARAMETER.
// The intrinsic operations a method-calling client needs are served too
// (GetClass, EnumerateClasses, EnumerateClassNames, GetInstance,
// EnumerateInstances, EnumerateInstanceNames, GetQualifier,
// EnumerateQualifiers); every other one is CIM_ERR_NOT_SUPPORTED.
//
// The client side is Client, a wbem.Connector whose Services carry every
// wbem.Services operation as a CIM-XML request. ExecMethodAsync runs the
// synchronous call in a goroutine and drives the sink; CIM-XML carries
// neither progress nor cancellation to the server (the native protocol
// does), so cancelling only abandons the HTTP request.
//
// The codec is shared by both sides and usable on its own: the Append*
// functions and Request.AppendTo / Response.AppendTo write CIM-XML into a
// byte slice, the Decode* functions read it. Decoding is a hand-written,
// non-validating XML tokenizer (no reflection, no encoding/xml) under a
// recursive-descent parser: it refuses document type declarations (so no
// entity is ever expanded), invalid UTF-8 and characters XML does not
// allow, and bounds nesting (embedded objects included), attributes per
// element and, in the handler, the body size. Encoding follows what strict
// clients need (CIM-XML.md §0): RETURNVALUE with PARAMTYPE first, no
// empty-element tags for the elements wbemcli cannot read, no NULL out
// parameters, no attributes outside DSP0201, ERROR DESCRIPTION starting
// with the CIM_ERR_ name.
//
// Operation errors travel as ERROR elements in HTTP 200 answers; requests
// that cannot be processed get HTTP 4xx/5xx with the CIMError header
// (ProtocolError). The CIM status of an error is status.CIMCode(err); when
// the WBEM code is not the one the CIM status maps back to, its name
// follows the description in parentheses, which this package's client
// reads back, so that WMI-style callers see the exact WBEM code across
// CIM-XML.
package cimxml
