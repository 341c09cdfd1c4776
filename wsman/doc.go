// Package wsman is the WS-Management transport of gowbem: SOAP 1.2
// envelopes POSTed over HTTP to /wsman, served through a wbem.Connector,
// and a small client for them.
//
// NewHandler returns the server side. It implements Identify (served to
// anonymous callers too), Get (WS-Transfer), Enumerate, Pull and Release
// (WS-Enumeration, with optimized enumeration and the EnumerateEPR and
// EnumerateObjectAndEPR modes; contexts live server-side with an expiry
// and a cap) and the invocation of CIM methods as DSP0227 and the WMI
// plugin of WinRM define it: the action is the resource URI followed by
// "/" and the method name, the selectors name the target instance (none
// for a static call on the class) and the body is a <Method>_INPUT
// element with one child per in-parameter, typed from the method's
// declaration. The answer is a <Method>_OUTPUT element with the
// out-parameters and then ReturnValue.
//
// Resource URIs are accepted in the three forms of WSMAN.md §3.2: the WMI
// form PrefixWMI + "root/cimv2/Win32_Process", and the DMTF forms
// PrefixDMTF + class and PrefixMSCIM + class, whose namespace is the
// __cimnamespace selector (HandlerOptions.DefaultNamespace when absent).
//
// Failures are SOAP faults (HTTP 500) with the DSP0226 subcode chosen
// from the CIM status of the error, a CIM_Error instance carrying the CIM
// status code and message, and a WinRM WSManFault whose Code is the WBEM
// status code. A request that fails authentication is answered 401 with a
// Basic challenge.
//
// Requests are parsed by the package's own strict XML parser: document
// type declarations (and so every custom or external entity) are
// rejected, as are invalid UTF-8, mixed content, elements nested deeper
// than HandlerOptions.MaxEnvelopeDepth and bodies larger than
// HandlerOptions.MaxBodyBytes (refused without being read). UTF-16 bodies
// (with a byte-order mark or a UTF-16 charset) are accepted; responses are
// always UTF-8.
//
// Dial returns the client: Identify, Get, Enumerate (with all its pulls)
// and Invoke, returning untyped Objects whose values are strings, nested
// Objects, endpoint references (*EPR), nil and slices of those.
package wsman
