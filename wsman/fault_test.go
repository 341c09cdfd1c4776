package wsman

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/status"
)

// TestFaults covers every fault the handler raises: the subcode, the
// fault detail, the CIM status of the CIM_Error and the fault action.
func TestFaults(t *testing.T) {
	widget := testURI("TST_Widget")
	invoke := func(method, params string, sels ...sel) string {
		return request(widget+"/"+method, widget, sels, invokeBody(widget, method, params), "")
	}
	get := func(uri string, sels ...sel) string { return request(ActionGet, uri, sels, "", "") }
	cases := []struct {
		name    string
		body    string
		hdr     []string
		mod     func(*HandlerOptions)
		code    string // SOAP code
		subcode string
		detail  string
		cim     status.CIMStatus
	}{
		{name: "unknown namespace", body: request(PrefixWMI+"root/nope/TestMeth/Echo", PrefixWMI+"root/nope/TestMeth", nil,
			invokeBody(PrefixWMI+"root/nope/TestMeth", "Echo", ""), ""),
			code: "Sender", subcode: SubcodeDestinationUnreachable, cim: status.CIM_ERR_INVALID_NAMESPACE},
		{name: "unknown class", body: invoke2(testURI("TST_Nothing"), "Echo", ""),
			code: "Sender", subcode: SubcodeDestinationUnreachable, detail: DetailInvalidResourceURI, cim: status.CIM_ERR_NOT_FOUND},
		{name: "unsupported resource URI", body: invoke2("http://example.com/wbem/Foo", "Echo", ""),
			code: "Sender", subcode: SubcodeDestinationUnreachable, detail: DetailInvalidResourceURI},
		{name: "shell action", body: request("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
			"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd", nil, "", ""),
			code: "Sender", subcode: SubcodeActionNotSupported, detail: DetailActionMismatch},
		{name: "resource URI without class", body: invoke2(PrefixWMI+"root", "Echo", ""),
			code: "Sender", subcode: SubcodeDestinationUnreachable, detail: DetailInvalidResourceURI},
		{name: "missing resource URI", body: request(widget+"/Create", "", nil, invokeBody(widget, "Create", ""), ""),
			code: "Sender", subcode: SubcodeDestinationUnreachable, detail: DetailInvalidResourceURI},
		{name: "bad namespace selector", body: request(PrefixDMTF+"TST_Widget/Create", PrefixDMTF+"TST_Widget",
			[]sel{{"__cimnamespace", "root//x"}}, invokeBody(PrefixDMTF+"TST_Widget", "Create", ""), ""),
			code: "Sender", subcode: SubcodeInvalidSelectors, detail: DetailInvalidValue},
		{name: "unknown method", body: invoke("Explode", ""),
			code: "Sender", subcode: SubcodeActionNotSupported, detail: DetailActionMismatch, cim: status.CIM_ERR_METHOD_NOT_FOUND},
		{name: "unknown action", body: request("http://schemas.xmlsoap.org/ws/2004/09/transfer/Put", widget, nil, "", ""),
			code: "Sender", subcode: SubcodeActionNotSupported, detail: DetailActionMismatch},
		{name: "action without method", body: request("urn:nothing", widget, nil, "", ""),
			code: "Sender", subcode: SubcodeActionNotSupported, detail: DetailActionMismatch},
		{name: "missing action", body: request("", widget, nil, invokeBody(widget, "Create", ""), ""),
			code: "Sender", subcode: SubcodeMessageInformationHeaderRequired},
		{name: "duplicate action", body: request(widget+"/Create", widget, nil, invokeBody(widget, "Create", ""),
			`<a:Action>`+widget+`/Create</a:Action>`),
			code: "Sender", subcode: SubcodeInvalidMessageInformationHeader},
		{name: "wrong INPUT element", body: request(widget+"/Create", widget, nil, invokeBody(widget, "Resize", ""), ""),
			code: "Sender", subcode: SubcodeSchemaValidationError},
		{name: "two body elements", body: request(widget+"/Create", widget, nil, invokeBody(widget, "Create", "")+"<x/>", ""),
			code: "Sender", subcode: SubcodeSchemaValidationError},
		{name: "unknown parameter", body: invoke("Create", "<p:Color>red</p:Color>"),
			code: "Sender", subcode: SubcodeInvalidParameter, detail: DetailInvalidValue, cim: status.CIM_ERR_INVALID_PARAMETER},
		{name: "parameter twice", body: invoke("Create", "<p:Id>a</p:Id><p:Id>b</p:Id>"),
			code: "Sender", subcode: SubcodeInvalidParameter, detail: DetailInvalidValue, cim: status.CIM_ERR_INVALID_PARAMETER},
		{name: "ill-typed parameter", body: invoke("Create", "<p:Id>a</p:Id><p:Size>big</p:Size>"),
			code: "Sender", subcode: SubcodeInvalidParameter, detail: DetailInvalidValue, cim: status.CIM_ERR_INVALID_PARAMETER},
		{name: "out-of-range parameter", body: invoke("Create", "<p:Id>a</p:Id><p:Size>4294967296</p:Size>"),
			code: "Sender", subcode: SubcodeInvalidParameter, detail: DetailInvalidValue, cim: status.CIM_ERR_INVALID_PARAMETER},
		{name: "element in a string parameter", body: invoke("Create", "<p:Id><p:x/></p:Id>"),
			code: "Sender", subcode: SubcodeInvalidParameter, detail: DetailInvalidValue, cim: status.CIM_ERR_INVALID_PARAMETER},
		{name: "parameters for a method without any", body: invoke("NotImplemented", "<p:X>1</p:X>", sel{"Id", "w1"}),
			code: "Sender", subcode: SubcodeInvalidParameter},
		{name: "provider: invalid parameter", body: invoke("Create", ""),
			code: "Sender", subcode: SubcodeInvalidParameter, detail: DetailInvalidValue, cim: status.CIM_ERR_INVALID_PARAMETER},
		{name: "provider: access denied", body: invoke("Fail", "<p:Code>2</p:Code>", sel{"Id", "w1"}),
			code: "Sender", subcode: SubcodeAccessDenied, cim: status.CIM_ERR_ACCESS_DENIED},
		{name: "provider: not found", body: invoke("Fail", "<p:Code>6</p:Code>", sel{"Id", "w1"}),
			code: "Sender", subcode: SubcodeDestinationUnreachable, cim: status.CIM_ERR_NOT_FOUND},
		{name: "provider: failed", body: invoke("Fail", "<p:Code>1</p:Code>", sel{"Id", "w1"}),
			code: "Receiver", subcode: SubcodeInternalError, cim: status.CIM_ERR_FAILED},
		{name: "provider: not supported", body: invoke("Fail", "<p:Code>7</p:Code>", sel{"Id", "w1"}),
			code: "Sender", subcode: SubcodeActionNotSupported, detail: DetailActionMismatch, cim: status.CIM_ERR_NOT_SUPPORTED},
		{name: "provider: already exists", body: invoke("Fail", "<p:Code>11</p:Code>", sel{"Id", "w1"}),
			code: "Sender", subcode: SubcodeAlreadyExists, cim: status.CIM_ERR_ALREADY_EXISTS},
		{name: "provider: invalid query", body: invoke("Fail", "<p:Code>15</p:Code>", sel{"Id", "w1"}),
			code: "Sender", subcode: SubcodeCannotProcessFilter, cim: status.CIM_ERR_INVALID_QUERY},
		{name: "provider: limits exceeded", body: invoke("Fail", "<p:Code>27</p:Code>", sel{"Id", "w1"}),
			code: "Sender", subcode: SubcodeQuotaLimit},
		{name: "not implemented", body: invoke("NotImplemented", "", sel{"Id", "w1"}),
			code: "Receiver", subcode: SubcodeInternalError, cim: status.CIM_ERR_METHOD_NOT_AVAILABLE},
		{name: "invoke on a missing instance", body: invoke("Resize", "<p:NewSize>1</p:NewSize>", sel{"Id", "w9"}),
			code: "Sender", subcode: SubcodeDestinationUnreachable, cim: status.CIM_ERR_NOT_FOUND},
		{name: "invoke with an unknown selector", body: invoke("Resize", "", sel{"Id", "w1"}, sel{"Color", "red"}),
			code: "Sender", subcode: SubcodeInvalidSelectors, detail: DetailUnexpectedSelectors},
		{name: "get: unknown selector", body: get(widget, sel{"Id", "w1"}, sel{"Size", "10"}),
			code: "Sender", subcode: SubcodeInvalidSelectors, detail: DetailUnexpectedSelectors},
		{name: "get: no selectors", body: get(widget),
			code: "Sender", subcode: SubcodeInvalidSelectors, detail: DetailInsufficientSelectors},
		{name: "get: missing key", body: get(PrefixWMI+"root/cimv2/CIM_ComputerSystem", sel{"Name", "host1"}),
			code: "Sender", subcode: SubcodeInvalidSelectors, detail: DetailInsufficientSelectors},
		{name: "get: ill-typed key", body: get(PrefixWMI+"root/cimv2/CIM_ComputerSystem",
			sel{"CreationClassName", "CIM_ComputerSystem"}, sel{"Name", `<a:EndpointReference><a:ReferenceParameters><w:ResourceURI>` + widget + `</w:ResourceURI></a:ReferenceParameters></a:EndpointReference>`}),
			code: "Sender", subcode: SubcodeInvalidSelectors, detail: DetailTypeMismatch},
		{name: "get: duplicate selector", body: get(widget, sel{"Id", "w1"}, sel{"id", "w2"}),
			code: "Sender", subcode: SubcodeInvalidSelectors, detail: DetailDuplicateSelectors},
		{name: "get: selector without name", body: get(widget, sel{"", "w1"}),
			code: "Sender", subcode: SubcodeInvalidSelectors, detail: DetailInvalidValue},
		{name: "get: not found", body: get(widget, sel{"Id", "w9"}),
			code: "Sender", subcode: SubcodeDestinationUnreachable, cim: status.CIM_ERR_NOT_FOUND},
		{name: "timed out", body: request(widget+"/Delay", widget, nil, invokeBody(widget, "Delay", "<p:Seconds>30</p:Seconds>"),
			"<w:OperationTimeout>PT0.2S</w:OperationTimeout>"),
			code: "Receiver", subcode: SubcodeTimedOut},
		{name: "invalid OperationTimeout", body: request(widget+"/Delay", widget, nil, "", "<w:OperationTimeout>60</w:OperationTimeout>"),
			code: "Sender", subcode: SubcodeInvalidMessageInformationHeader},
		{name: "pull: unknown context", body: request(ActionPull, widget, nil,
			"<n:Pull><n:EnumerationContext>uuid:nope</n:EnumerationContext></n:Pull>", ""),
			code: "Receiver", subcode: SubcodeInvalidEnumerationContext, cim: status.CIM_ERR_INVALID_ENUMERATION_CONTEXT},
		{name: "pull: no context", body: request(ActionPull, widget, nil, "<n:Pull/>", ""),
			code: "Sender", subcode: SubcodeSchemaValidationError},
		{name: "release: unknown context", body: request(ActionRelease, widget, nil,
			"<n:Release><n:EnumerationContext>uuid:nope</n:EnumerationContext></n:Release>", ""),
			code: "Receiver", subcode: SubcodeInvalidEnumerationContext},
		{name: "enumerate: filter", body: request(ActionEnumerate, widget, nil,
			`<n:Enumerate><w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">SELECT * FROM TST_Widget</w:Filter></n:Enumerate>`, ""),
			code: "Sender", subcode: SubcodeFilteringNotSupported},
		{name: "enumerate: mode", body: request(ActionEnumerate, widget, nil,
			`<n:Enumerate><w:EnumerationMode>EnumerateEverything</w:EnumerationMode></n:Enumerate>`, ""),
			code: "Sender", subcode: SubcodeUnsupportedFeature, detail: DetailEnumerationMode},
		{name: "enumerate: bad MaxElements", body: request(ActionEnumerate, widget, nil,
			`<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>0</w:MaxElements></n:Enumerate>`, ""),
			code: "Sender", subcode: SubcodeSchemaValidationError},
		{name: "enumerate: unknown class", body: request(ActionEnumerate, testURI("TST_None"), nil, `<n:Enumerate/>`, ""),
			code: "Sender", subcode: SubcodeDestinationUnreachable, detail: DetailInvalidResourceURI, cim: status.CIM_ERR_INVALID_CLASS},
		{name: "enumerate: wrong body", body: request(ActionEnumerate, widget, nil, `<n:Pull/>`, ""),
			code: "Sender", subcode: SubcodeSchemaValidationError},
		{name: "mustUnderstand header", body: request(widget+"/Create", widget, nil, "",
			`<x:Secret xmlns:x="urn:x" s:mustUnderstand="true">1</x:Secret>`),
			code: "MustUnderstand"},
		{name: "mustUnderstand FragmentTransfer", body: request(ActionGet, widget, []sel{{"Id", "w1"}}, "",
			`<w:FragmentTransfer s:mustUnderstand="true">Size</w:FragmentTransfer>`),
			code: "MustUnderstand"},
		{name: "MustComply option", body: request(ActionGet, widget, []sel{{"Id", "w1"}}, "",
			`<w:OptionSet><w:Option Name="Weird" MustComply="true">1</w:Option></w:OptionSet>`),
			code: "Sender", subcode: SubcodeUnsupportedFeature, detail: DetailOptionSet},
		{name: "SOAP 1.1", body: `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>`,
			code: "VersionMismatch"},
		{name: "not an envelope", body: `<x/>`, code: "Sender", subcode: SubcodeSchemaValidationError},
		{name: "no body", body: `<s:Envelope xmlns:s="` + uriSOAP + `"><s:Header/></s:Envelope>`,
			code: "Sender", subcode: SubcodeSchemaValidationError},
		{name: "malformed XML", body: `<s:Envelope xmlns:s="` + uriSOAP + `"><s:Body></s:Envelope>`,
			code: "Sender", subcode: SubcodeSchemaValidationError},
		{name: "DOCTYPE", body: `<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="` + uriSOAP + `"><s:Body>&x;</s:Body></s:Envelope>`,
			code: "Sender", subcode: SubcodeSchemaValidationError},
		{name: "invalid UTF-8", body: invoke("Create", "<p:Id>\xff\xfe</p:Id>"),
			code: "Sender", subcode: SubcodeSchemaValidationError},
		{name: "unsupported charset", body: invoke("Create", ""), hdr: []string{"Content-Type", "application/soap+xml;charset=ISO-8859-1"},
			code: "Sender", subcode: SubcodeEncodingLimit, detail: DetailCharacterSet},
		{name: "unsupported XML encoding", body: `<?xml version="1.0" encoding="ISO-8859-1"?><s:Envelope xmlns:s="` + uriSOAP + `"><s:Body/></s:Envelope>`,
			code: "Sender", subcode: SubcodeEncodingLimit},
		{name: "too deep", body: invoke("Create", strings.Repeat("<p:x>", 100)+strings.Repeat("</p:x>", 100)),
			code: "Sender", subcode: SubcodeEncodingLimit},
		{name: "too large", body: invoke("Create", "<p:Id>"+strings.Repeat("x", 5000)+"</p:Id>"),
			mod:  func(o *HandlerOptions) { o.MaxBodyBytes = 4096 },
			code: "Sender", subcode: SubcodeEncodingLimit, detail: DetailServiceEnvelopeLimit},
		{name: "MaxEnvelopeSize below minimum", body: request(ActionGet, widget, []sel{{"Id", "w1"}}, "",
			"<w:MaxEnvelopeSize>100</w:MaxEnvelopeSize>"),
			code: "Sender", subcode: SubcodeEncodingLimit, detail: DetailMinimumEnvelopeLimit},
		{name: "response over MaxEnvelopeSize", body: request(widget+"/Big", widget, nil, invokeBody(widget, "Big", "<p:N>20000</p:N>"),
			"<w:MaxEnvelopeSize>10000</w:MaxEnvelopeSize>"),
			code: "Sender", subcode: SubcodeEncodingLimit, detail: DetailMaxEnvelopeSize},
		{name: "no object manager", body: invoke("Create", ""), mod: func(o *HandlerOptions) { o.Connector = nil },
			code: "Receiver", subcode: SubcodeInternalError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, _ := newTestHandler(t, c.mod)
			rec := post(h, c.body, c.hdr...)
			f := faultOf(t, rec)
			if f.Code != c.code || f.Subcode != c.subcode {
				t.Fatalf("fault %s/%s (%s), want %s/%s\n%s", f.Code, f.Subcode, f.Reason, c.code, c.subcode, rec.Body.String())
			}
			if f.Detail != c.detail {
				t.Errorf("detail %q, want %q", f.Detail, c.detail)
			}
			if c.cim != 0 && f.CIMStatus != c.cim {
				t.Errorf("CIM status %v, want %v (%s)", f.CIMStatus, c.cim, f.Reason)
			}
			if f.WBEMCode == 0 || !f.WBEMCode.Failed() {
				t.Errorf("WSManFault code %v is not a failure", f.WBEMCode)
			}
			if f.Reason == "" || f.Message == "" {
				t.Errorf("empty reason or message: %+v", f)
			}
			wantAction := subcodeInfo(c.subcode).action
			if c.subcode == "" {
				wantAction = actionWSAFault
			}
			if f.Action != wantAction {
				t.Errorf("fault action %q, want %q", f.Action, wantAction)
			}
			if !strings.Contains(rec.Body.String(), "<a:RelatesTo>uuid:11111111-2222-3333-4444-555555555555</a:RelatesTo>") &&
				strings.Contains(c.body, "uuid:11111111") && c.subcode != SubcodeSchemaValidationError && c.subcode != SubcodeEncodingLimit {
				t.Errorf("fault does not relate to the request:\n%s", rec.Body.String())
			}
		})
	}
}

// invoke2 composes an invocation of method on uri with no selectors.
func invoke2(uri, method, params string) string {
	return request(uri+"/"+method, uri, nil, invokeBody(uri, method, params), "")
}

func TestMustUnderstandNotUnderstood(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	widget := testURI("TST_Widget")
	rec := post(h, request(widget+"/Create", widget, nil, "", `<x:Secret xmlns:x="urn:x" s:mustUnderstand="1">1</x:Secret>`))
	if !strings.Contains(rec.Body.String(), `<s:NotUnderstood qname="nu:Secret" xmlns:nu="urn:x"/>`) {
		t.Errorf("no NotUnderstood header:\n%s", rec.Body.String())
	}
	// Headers that are not mustUnderstand are ignored.
	rec = post(h, request(ActionGet, widget, []sel{{"Id", "w1"}}, "",
		`<x:Secret xmlns:x="urn:x" s:mustUnderstand="false">1</x:Secret><w:OptionSet><w:Option Name="wmi:__MI_OPERATIONOPTIONS_CHANNELVALUE" MustComply="true">1</w:Option></w:OptionSet>`))
	okBody(t, rec)
}

func TestHTTPErrors(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	req := httptest.NewRequest(http.MethodGet, "/wsman", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Errorf("GET: %d %v", rec.Code, rec.Header())
	}
	rec = post(h, "<x/>", "Content-Type", "application/json")
	if rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("JSON: %d", rec.Code)
	}
}

// TestAuthentication checks the 401 answers, anonymous Identify and the
// identity that reaches the provider.
func TestAuthentication(t *testing.T) {
	h, _ := newTestHandler(t, func(o *HandlerOptions) { o.Authenticate = basicAuth })
	widget := testURI("TST_Widget")
	whoami := invoke2(widget, "Whoami", "")
	for _, auth := range []string{"", "Basic YWxpY2U6d3Jvbmc=" /* alice:wrong */, "Basic !!!"} {
		rec := post(h, whoami, "Authorization", auth)
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != `Basic realm="wbemd"` || rec.Body.Len() != 0 {
			t.Errorf("auth %q: %d %v %q", auth, rec.Code, rec.Header(), rec.Body.String())
		}
	}
	// A broken request of an unauthenticated client is 401 too, not a fault.
	if rec := post(h, "<broken"); rec.Code != http.StatusUnauthorized {
		t.Errorf("broken unauthenticated request: %d", rec.Code)
	}
	// A large unauthenticated request is refused unread.
	if rec := post(h, invoke2(widget, "Create", "<p:Id>"+strings.Repeat("x", 100<<10)+"</p:Id>")); rec.Code != http.StatusUnauthorized {
		t.Errorf("large unauthenticated request: %d", rec.Code)
	}
	// Identify is served anonymously, without the product version.
	identify := readFile(t, "testdata/requests/identify.xml")
	rec := post(h, identify)
	d, body := okBody(t, rec)
	if !d.is(body, nsWSMID, "IdentifyResponse") || d.child(body, nsWSMID, "ProductVersion") >= 0 ||
		d.child(body, nsWSMID, "ProductVendor") < 0 {
		t.Errorf("anonymous Identify:\n%s", rec.Body.String())
	}
	rec = post(h, identify, "Authorization", "Basic YWxpY2U6czNjcmV0")
	d, body = okBody(t, rec)
	if v := d.child(body, nsWSMID, "ProductVersion"); v < 0 || string(d.trimmed(v)) != "1.2.3" {
		t.Errorf("authenticated Identify:\n%s", rec.Body.String())
	}
	// The identity reaches the provider.
	rec = post(h, whoami, "Authorization", "Basic YWxpY2U6czNjcmV0")
	if !strings.Contains(rec.Body.String(), "<p:ReturnValue>alice</p:ReturnValue>") {
		t.Errorf("Whoami:\n%s", rec.Body.String())
	}
	// Without Authenticate everybody is anonymous.
	h2, _ := newTestHandler(t, nil)
	rec = post(h2, whoami)
	if !strings.Contains(rec.Body.String(), "<p:ReturnValue>anonymous</p:ReturnValue>") {
		t.Errorf("anonymous Whoami:\n%s", rec.Body.String())
	}
}

// TestFaultUnwrap checks that client faults work with errors.Is and
// status.CIMCode.
func TestFaultUnwrap(t *testing.T) {
	f := &Fault{Code: "Sender", Subcode: SubcodeDestinationUnreachable, Reason: "CIM_ERR_NOT_FOUND: gone",
		Message: "gone", CIMStatus: status.CIM_ERR_NOT_FOUND, WBEMCode: status.WBEM_E_NOT_FOUND}
	var err error = f
	if !errors.Is(err, status.WBEM_E_NOT_FOUND) || status.CIMCode(err) != status.CIM_ERR_NOT_FOUND {
		t.Errorf("unwrap: %v %v", status.Code(err), status.CIMCode(err))
	}
	if f.Error() != "wsman fault a:DestinationUnreachable: CIM_ERR_NOT_FOUND: gone" {
		t.Errorf("Error() = %q", f.Error())
	}
	mu := &Fault{Code: "MustUnderstand"}
	if !strings.Contains(mu.Error(), "s:MustUnderstand") {
		t.Errorf("Error() = %q", mu.Error())
	}
	// Without WSManFault code the CIM status decides.
	g := &Fault{Subcode: SubcodeInvalidParameter, CIMStatus: status.CIM_ERR_INVALID_PARAMETER}
	if !errors.Is(g, status.WBEM_E_INVALID_PARAMETER) {
		t.Errorf("unwrap by CIM status: %v", status.Code(g))
	}
	h := &Fault{Subcode: SubcodeTimedOut}
	if !errors.Is(h, status.WBEM_E_TIMED_OUT) {
		t.Errorf("unwrap by subcode: %v", status.Code(h))
	}
}

// TestTimeoutCancelsProvider checks that an expired OperationTimeout
// cancels the provider's context.
func TestTimeoutCancelsProvider(t *testing.T) {
	h, om := newTestHandler(t, nil)
	om.delayUnit = time.Hour
	widget := testURI("TST_Widget")
	start := time.Now()
	rec := post(h, request(widget+"/Delay", widget, nil, invokeBody(widget, "Delay", "<p:Seconds>1</p:Seconds>"),
		"<w:OperationTimeout>PT0.1S</w:OperationTimeout>"))
	if f := faultOf(t, rec); f.Subcode != SubcodeTimedOut {
		t.Fatalf("fault %v", f)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %v", el)
	}
	// A short delay within the timeout completes.
	om.delayUnit = time.Millisecond
	rec = post(h, request(widget+"/Delay", widget, nil, invokeBody(widget, "Delay", "<p:Seconds>5</p:Seconds>"),
		"<w:OperationTimeout>PT10S</w:OperationTimeout>"))
	if !bytes.Contains(rec.Body.Bytes(), []byte("<p:Slept>5</p:Slept>")) {
		t.Errorf("Delay:\n%s", rec.Body.String())
	}
}
