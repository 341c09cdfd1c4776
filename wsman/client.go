package wsman

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// ErrUnauthorized is returned by the client when the server rejects the
// credentials (HTTP 401). It wraps status.WBEM_E_ACCESS_DENIED, so
// errors.Is(err, status.WBEM_E_ACCESS_DENIED) holds for it too.
var ErrUnauthorized error = unauthorizedError{}

type unauthorizedError struct{}

func (unauthorizedError) Error() string {
	return "wsman: the server rejected the credentials (HTTP 401)"
}

func (unauthorizedError) Unwrap() error { return status.WBEM_E_ACCESS_DENIED }

// Client defaults.
const (
	// DefaultClientMaxEnvelopeSize is the MaxEnvelopeSize the client asks
	// for unless ClientOptions says otherwise.
	DefaultClientMaxEnvelopeSize = 512000
	// maxResponseBytes bounds the responses the client reads.
	maxResponseBytes = 256 << 20
	// pullBatch is the MaxElements of the client's enumerations.
	pullBatch = 100
)

// ClientOptions configure Dial.
type ClientOptions struct {
	// User and Password are sent with HTTP Basic authentication when
	// User is not empty.
	User     string
	Password string
	// HTTPClient sends the requests (default: http.DefaultClient).
	HTTPClient *http.Client
	// MaxEnvelopeSize is the largest response envelope the client accepts
	// (default 512000 bytes).
	MaxEnvelopeSize int
	// OperationTimeout is sent with every request; zero means most of the
	// time left until the deadline of the call's context (a fifth, at most
	// 2 s, is kept for the answer to arrive), or 60 s without a deadline.
	OperationTimeout time.Duration
	// Locale is the w:Locale of requests (default "en-US").
	Locale string
}

// Client is a minimal WS-Management client: Identify, Get, Enumerate and
// method invocation against a /wsman endpoint. It is safe for concurrent
// use.
type Client struct {
	endpoint string
	opts     ClientOptions
	hc       *http.Client
}

// Dial returns a client for the endpoint URL (such as
// "http://127.0.0.1:5985/wsman"). It checks the URL but does not connect.
func Dial(endpoint string, opts ClientOptions) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("wsman: invalid endpoint: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("wsman: invalid endpoint %q: want an http or https URL", endpoint)
	}
	if opts.MaxEnvelopeSize <= 0 {
		opts.MaxEnvelopeSize = DefaultClientMaxEnvelopeSize
	}
	if opts.MaxEnvelopeSize < minEnvelopeSize {
		opts.MaxEnvelopeSize = minEnvelopeSize
	}
	if opts.Locale == "" {
		opts.Locale = "en-US"
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{endpoint: endpoint, opts: opts, hc: hc}, nil
}

// IdentifyResponse is the answer to Identify.
type IdentifyResponse struct {
	// ProtocolVersion is the WS-Management namespace the server speaks.
	ProtocolVersion string
	// ProductVendor and ProductVersion name the server; gowbem leaves the
	// version out for anonymous callers.
	ProductVendor  string
	ProductVersion string
	// SecurityProfiles lists the authentication profiles offered.
	SecurityProfiles []string
}

// Object is an instance, out-parameters object or embedded instance as
// the client decodes it, without type information: values are strings,
// nil (xsi:nil), *EPR (references), *Object (embedded instances) and
// []any for elements that repeat (arrays). A one-element array cannot be
// told from a scalar. Datetimes come back in CIM datetime form.
type Object struct {
	// ClassName is the class of the instance (the element name, the
	// xsi:type, or "<Method>_OUTPUT" for out-parameters).
	ClassName string
	// ResourceURI is the namespace of the element: the class's resource
	// URI.
	ResourceURI string
	// Properties are the child elements, in order; repeated elements are
	// collected into one property.
	Properties []Property
	// EPR is the endpoint reference of enumerated items when the
	// enumeration asked for it; an EnumerateEPR item has only this.
	EPR *EPR
}

// Property is one property of an Object.
type Property struct {
	Name  string
	Value any
}

// Get returns the value of the property named name (case-insensitive),
// or nil.
func (o *Object) Get(name string) any {
	for _, p := range o.Properties {
		if strings.EqualFold(p.Name, name) {
			return p.Value
		}
	}
	return nil
}

// Map returns the properties as a map.
func (o *Object) Map() map[string]any {
	m := make(map[string]any, len(o.Properties))
	for _, p := range o.Properties {
		m[p.Name] = p.Value
	}
	return m
}

// EPR is a WS-Addressing endpoint reference to a CIM object: the
// resource URI of its class and the selectors of its keys.
type EPR struct {
	Address     string
	ResourceURI string
	Selectors   []Selector
}

// Selector is one selector of an EPR: a text value or a nested reference.
type Selector struct {
	Name  string
	Value string
	EPR   *EPR
}

// Selector returns the value of the selector named name
// (case-insensitive), or "".
func (e *EPR) Selector(name string) string {
	for _, s := range e.Selectors {
		if strings.EqualFold(s.Name, name) {
			return s.Value
		}
	}
	return ""
}

// Identify asks the server who it is.
func (c *Client) Identify(ctx context.Context) (*IdentifyResponse, error) {
	w := &xw{}
	w.s(`<s:Envelope xmlns:s="` + uriSOAP + `" xmlns:wsmid="` + uriWSMID + `"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`)
	d, body, err := c.roundTrip(ctx, w.b, nil)
	if err != nil {
		return nil, err
	}
	if body < 0 || !d.is(body, nsWSMID, "IdentifyResponse") {
		return nil, errors.New("wsman: the Identify response has no IdentifyResponse")
	}
	r := &IdentifyResponse{}
	for ch := d.nodes[body].first; ch >= 0; ch = d.nodes[ch].next {
		switch string(d.localName(ch)) {
		case "ProtocolVersion":
			r.ProtocolVersion = string(d.trimmed(ch))
		case "ProductVendor":
			r.ProductVendor = string(d.trimmed(ch))
		case "ProductVersion":
			r.ProductVersion = string(d.trimmed(ch))
		case "SecurityProfiles":
			for sp := d.nodes[ch].first; sp >= 0; sp = d.nodes[sp].next {
				r.SecurityProfiles = append(r.SecurityProfiles, string(d.trimmed(sp)))
			}
		}
	}
	return r, nil
}

// Get returns the instance the resource URI and selectors name.
func (c *Client) Get(ctx context.Context, resourceURI string, selectors map[string]string) (*Object, error) {
	msgID := randomMessageID(nil)
	w := c.header(ctx, ActionGet, resourceURI, selectors, msgID)
	w.s(`<s:Body/></s:Envelope>`)
	d, body, err := c.roundTrip(ctx, w.b, msgID)
	if err != nil {
		return nil, err
	}
	if body < 0 {
		return nil, errors.New("wsman: the Get response is empty")
	}
	return decodeObject(d, body), nil
}

// Enumerate returns every instance of the resource URI's class (and its
// subclasses), pulling until the end of the sequence. selectors may
// carry __cimnamespace.
func (c *Client) Enumerate(ctx context.Context, resourceURI string, selectors map[string]string) ([]*Object, error) {
	msgID := randomMessageID(nil)
	w := c.header(ctx, ActionEnumerate, resourceURI, selectors, msgID)
	w.s(`<s:Body><n:Enumerate xmlns:n="` + uriWSEn + `"><w:OptimizeEnumeration/><w:MaxElements>` +
		strconv.Itoa(pullBatch) + `</w:MaxElements></n:Enumerate></s:Body></s:Envelope>`)
	d, body, err := c.roundTrip(ctx, w.b, msgID)
	if err != nil {
		return nil, err
	}
	if body < 0 || !d.is(body, nsWSEn, "EnumerateResponse") {
		return nil, errors.New("wsman: the Enumerate response has no EnumerateResponse")
	}
	var out []*Object
	ectx := ""
	done := false
	readItems := func(body int32, itemsNS uint8) {
		for ch := d.nodes[body].first; ch >= 0; ch = d.nodes[ch].next {
			switch {
			case d.is(ch, nsWSEn, "EnumerationContext"):
				ectx = string(d.trimmed(ch))
			case d.is(ch, itemsNS, "Items"):
				out = append(out, decodeItems(d, ch)...)
			case d.is(ch, itemsNS, "EndOfSequence"):
				done = true
			}
		}
	}
	readItems(body, nsWSMan)
	for !done {
		if ectx == "" {
			return out, errors.New("wsman: the server returned no enumeration context")
		}
		msgID = randomMessageID(nil)
		w := c.header(ctx, ActionPull, resourceURI, selectors, msgID)
		w.s(`<s:Body><n:Pull xmlns:n="` + uriWSEn + `"><n:EnumerationContext>`)
		w.text(ectx)
		w.s(`</n:EnumerationContext><n:MaxElements>` + strconv.Itoa(pullBatch) + `</n:MaxElements></n:Pull></s:Body></s:Envelope>`)
		d, body, err = c.roundTrip(ctx, w.b, msgID)
		if err != nil {
			c.release(ectx, resourceURI, selectors)
			return out, err
		}
		if body < 0 || !d.is(body, nsWSEn, "PullResponse") {
			c.release(ectx, resourceURI, selectors)
			return out, errors.New("wsman: the Pull response has no PullResponse")
		}
		readItems(body, nsWSEn)
	}
	return out, nil
}

// release releases an enumeration context, best effort.
func (c *Client) release(ectx, resourceURI string, selectors map[string]string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgID := randomMessageID(nil)
	w := c.header(ctx, ActionRelease, resourceURI, selectors, msgID)
	w.s(`<s:Body><n:Release xmlns:n="` + uriWSEn + `"><n:EnumerationContext>`)
	w.text(ectx)
	w.s(`</n:EnumerationContext></n:Release></s:Body></s:Envelope>`)
	_, _, _ = c.roundTrip(ctx, w.b, msgID)
}

// decodeItems decodes the children of w:Items or n:Items.
func decodeItems(d *document, items int32) []*Object {
	var out []*Object
	for it := d.nodes[items].first; it >= 0; it = d.nodes[it].next {
		switch {
		case d.is(it, nsWSMan, "Item"):
			var o *Object
			var epr *EPR
			for ch := d.nodes[it].first; ch >= 0; ch = d.nodes[ch].next {
				if d.is(ch, nsWSA, "EndpointReference") {
					epr = decodeEPR(d, ch)
				} else if o == nil {
					o = decodeObject(d, ch)
				}
			}
			if o == nil {
				o = &Object{}
			}
			o.EPR = epr
			out = append(out, o)
		case d.is(it, nsWSA, "EndpointReference"):
			e := decodeEPR(d, it)
			out = append(out, &Object{EPR: e, ResourceURI: e.ResourceURI, ClassName: lastSegment(e.ResourceURI)})
		default:
			out = append(out, decodeObject(d, it))
		}
	}
	return out
}

func lastSegment(s string) string {
	return s[strings.LastIndexByte(s, '/')+1:]
}

// Invoke calls method on the resource: on the instance the selectors
// name, or on the class (a static method) when there are none besides
// __cimnamespace. in holds the in-parameters; their values may be nil
// (NULL), strings, booleans, integers, floats, time.Time, cim.Value,
// *cim.ObjectPath or *EPR (references), *cim.Instance or *Object
// (embedded instances) and slices of those (arrays). The result holds the
// out-parameters and ReturnValue; a fault is returned as a *Fault error.
func (c *Client) Invoke(ctx context.Context, resourceURI, method string, selectors map[string]string, in map[string]any) (*Object, error) {
	if !isIdentifier([]byte(method)) {
		return nil, fmt.Errorf("wsman: invalid method name %q", method)
	}
	msgID := randomMessageID(nil)
	w := c.header(ctx, strings.TrimRight(resourceURI, "/")+"/"+method, resourceURI, selectors, msgID)
	w.s(`<s:Body><p:`)
	w.s(method)
	w.s(`_INPUT xmlns:p="`)
	w.attr(resourceURI)
	w.s(`">`)
	var ns []byte
	if v, ok := selectorValue(selectors, NamespaceSelector); ok {
		ns = []byte(v)
	}
	res, f := parseResourceURI([]byte(resourceURI), ns, DefaultNamespace)
	if f != nil {
		res = resource{style: styleDMTF, namespace: DefaultNamespace}
	}
	ve := valueEncoder{w: w, res: &res}
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		if !isIdentifier([]byte(name)) {
			return nil, fmt.Errorf("wsman: invalid parameter name %q", name)
		}
		if err := encodeArg(&ve, "p", name, in[name]); err != nil {
			return nil, fmt.Errorf("wsman: parameter %s: %w", name, err)
		}
	}
	w.s(`</p:`)
	w.s(method)
	w.s(`_INPUT></s:Body></s:Envelope>`)
	d, body, err := c.roundTrip(ctx, w.b, msgID)
	if err != nil {
		return nil, err
	}
	if body < 0 {
		return nil, errors.New("wsman: the response of " + method + " is empty")
	}
	o := decodeObject(d, body)
	return o, nil
}

func selectorValue(m map[string]string, name string) (string, bool) {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// encodeArg writes one client-side argument value.
func encodeArg(ve *valueEncoder, prefix, name string, x any) error {
	switch x := x.(type) {
	case nil:
		ve.open(prefix, name)
		ve.w.s(` xsi:nil="true"/>`)
		return nil
	case *EPR:
		ve.open(prefix, name)
		ve.w.b = append(ve.w.b, '>')
		writeEPR(ve.w, x, 0)
		ve.close(prefix, name)
		return nil
	case *Object:
		ve.depth++
		ep := "q" + strconv.Itoa(ve.depth)
		ve.open(prefix, name)
		ve.w.s(` xmlns:` + ep + `="`)
		uri := x.ResourceURI
		if uri == "" {
			uri = ve.res.uriFor(x.ClassName)
		}
		ve.w.attr(uri)
		ve.w.s(`" xsi:type="` + ep + `:`)
		ve.w.attr(x.ClassName)
		ve.w.s(`_Type">`)
		for _, p := range x.Properties {
			if err := encodeArg(ve, ep, p.Name, p.Value); err != nil {
				return err
			}
		}
		ve.close(prefix, name)
		ve.depth--
		return nil
	case []any:
		for _, e := range x {
			if _, nested := e.([]any); nested {
				return errors.New("nested arrays are not supported")
			}
			if err := encodeArg(ve, prefix, name, e); err != nil {
				return err
			}
		}
		return nil
	}
	v, err := cim.ValueOf(x)
	if err != nil {
		return err
	}
	if v.IsArray() && v.IsNull() {
		ve.open(prefix, name)
		ve.w.s(` xsi:nil="true"/>`)
		return nil
	}
	ve.property(prefix, name, v, "")
	return nil
}

// writeEPR writes the children of an endpoint reference.
func writeEPR(w *xw, e *EPR, depth int) {
	addr := e.Address
	if addr == "" {
		addr = AnonymousAddress
	}
	w.s("<a:Address>")
	w.text(addr)
	w.s("</a:Address><a:ReferenceParameters><w:ResourceURI>")
	w.text(e.ResourceURI)
	w.s("</w:ResourceURI><w:SelectorSet>")
	for _, s := range e.Selectors {
		w.s(`<w:Selector Name="`)
		w.attr(s.Name)
		w.s(`">`)
		if s.EPR != nil && depth < 8 {
			w.s("<a:EndpointReference>")
			writeEPR(w, s.EPR, depth+1)
			w.s("</a:EndpointReference>")
		} else {
			w.text(s.Value)
		}
		w.s("</w:Selector>")
	}
	w.s("</w:SelectorSet></a:ReferenceParameters>")
}

// header starts a request envelope with its header and returns the
// writer; the caller writes the body.
func (c *Client) header(ctx context.Context, action, resourceURI string, selectors map[string]string, msgID []byte) *xw {
	w := &xw{b: make([]byte, 0, 2048)}
	w.s(`<s:Envelope xmlns:s="` + uriSOAP + `" xmlns:a="` + uriWSA + `" xmlns:w="` + uriWSMan +
		`" xmlns:xsi="` + uriXSI + `" xmlns:cim="` + uriCIM + `"><s:Header><a:To>`)
	w.text(c.endpoint)
	w.s(`</a:To><w:ResourceURI s:mustUnderstand="true">`)
	w.text(resourceURI)
	w.s(`</w:ResourceURI><a:ReplyTo><a:Address s:mustUnderstand="true">` + AnonymousAddress +
		`</a:Address></a:ReplyTo><a:Action s:mustUnderstand="true">`)
	w.text(action)
	w.s(`</a:Action><w:MaxEnvelopeSize s:mustUnderstand="true">`)
	w.b = strconv.AppendInt(w.b, int64(c.opts.MaxEnvelopeSize), 10)
	w.s(`</w:MaxEnvelopeSize><a:MessageID>`)
	w.raw(msgID)
	w.s(`</a:MessageID><w:Locale xml:lang="`)
	w.attr(c.opts.Locale)
	w.s(`" s:mustUnderstand="false"/><w:OperationTimeout>`)
	w.s(formatDuration(c.timeout(ctx)))
	w.s(`</w:OperationTimeout>`)
	if len(selectors) > 0 {
		names := make([]string, 0, len(selectors))
		for k := range selectors {
			names = append(names, k)
		}
		slices.SortFunc(names, func(a, b string) int {
			// __cimnamespace first, then by name.
			an, bn := strings.EqualFold(a, NamespaceSelector), strings.EqualFold(b, NamespaceSelector)
			switch {
			case an && !bn:
				return -1
			case bn && !an:
				return 1
			}
			return strings.Compare(a, b)
		})
		w.s(`<w:SelectorSet>`)
		for _, k := range names {
			w.s(`<w:Selector Name="`)
			w.attr(k)
			w.s(`">`)
			w.text(selectors[k])
			w.s(`</w:Selector>`)
		}
		w.s(`</w:SelectorSet>`)
	}
	w.s(`</s:Header>`)
	return w
}

func (c *Client) timeout(ctx context.Context) time.Duration {
	if c.opts.OperationTimeout > 0 {
		return c.opts.OperationTimeout
	}
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left > 0 {
			// Leave the server time to answer before the deadline.
			return left - min(left/5, 2*time.Second)
		}
		return time.Millisecond
	}
	return DefaultOperationTimeout
}

// roundTrip posts an envelope and returns the parsed response and its
// body's first element (-1 for an empty body). Faults become *Fault
// errors; msgID, when given, must come back as RelatesTo.
func (c *Client) roundTrip(ctx context.Context, envelope, msgID []byte) (*document, int32, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(envelope))
	if err != nil {
		return nil, -1, err
	}
	req.Header.Set("Content-Type", ContentType)
	if c.opts.User != "" {
		req.SetBasicAuth(c.opts.User, c.opts.Password)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, -1, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, -1, ErrUnauthorized
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, -1, err
	}
	if len(data) > maxResponseBytes {
		return nil, -1, errors.New("wsman: the response is too large")
	}
	d := &document{}
	perr := d.parse(data)
	if perr != nil || !d.is(0, nsSOAP, "Envelope") {
		if resp.StatusCode != http.StatusOK {
			return nil, -1, fmt.Errorf("wsman: HTTP %s", resp.Status)
		}
		if perr == nil {
			perr = errors.New("not a SOAP 1.2 envelope")
		}
		return nil, -1, fmt.Errorf("wsman: invalid response: %w", perr)
	}
	header, body := d.child(0, nsSOAP, "Header"), d.child(0, nsSOAP, "Body")
	if body < 0 {
		return nil, -1, errors.New("wsman: the response has no body")
	}
	first := d.nodes[body].first
	if first >= 0 && d.is(first, nsSOAP, "Fault") {
		f := decodeFault(d, header, first)
		f.HTTPStatus = resp.StatusCode
		return nil, -1, f
	}
	if resp.StatusCode != http.StatusOK {
		return nil, -1, fmt.Errorf("wsman: HTTP %s", resp.Status)
	}
	if msgID != nil && header >= 0 {
		if rt := d.child(header, nsWSA, "RelatesTo"); rt < 0 || !bytes.Equal(d.trimmed(rt), msgID) {
			return nil, -1, errors.New("wsman: the response does not relate to the request")
		}
	}
	return d, first, nil
}

// canonicalSubcodes maps the local names of known subcodes to their
// canonical spelling.
var canonicalSubcodes = func() map[string]string {
	m := make(map[string]string, len(subcodes))
	for s := range subcodes {
		m[s[strings.IndexByte(s, ':')+1:]] = s
	}
	return m
}()

// decodeFault decodes an s:Fault.
func decodeFault(d *document, header, fault int32) *Fault {
	f := &Fault{}
	local := func(b []byte) string {
		s := string(bytes.TrimSpace(b))
		return s[strings.IndexByte(s, ':')+1:]
	}
	if header >= 0 {
		if a := d.child(header, nsWSA, "Action"); a >= 0 {
			f.Action = string(d.trimmed(a))
		}
	}
	if code := d.child(fault, nsSOAP, "Code"); code >= 0 {
		if v := d.child(code, nsSOAP, "Value"); v >= 0 {
			f.Code = local(d.text(v))
		}
		if sc := d.child(code, nsSOAP, "Subcode"); sc >= 0 {
			if v := d.child(sc, nsSOAP, "Value"); v >= 0 {
				l := local(d.text(v))
				if c, ok := canonicalSubcodes[l]; ok {
					f.Subcode = c
				} else {
					f.Subcode = string(d.trimmed(v))
				}
			}
		}
	}
	if r := d.child(fault, nsSOAP, "Reason"); r >= 0 {
		if t := d.child(r, nsSOAP, "Text"); t >= 0 {
			f.Reason = string(d.trimmed(t))
		}
	}
	if det := d.child(fault, nsSOAP, "Detail"); det >= 0 {
		for ch := d.nodes[det].first; ch >= 0; ch = d.nodes[ch].next {
			switch {
			case d.is(ch, nsWSMan, "FaultDetail"):
				f.Detail = string(d.trimmed(ch))
			case d.is(ch, nsWSManFault, "WSManFault"):
				if v, ok := d.attrValue(ch, nsNone, "Code"); ok {
					if n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 32); err == nil {
						f.WBEMCode = status.HRESULT(n)
					}
				}
				if m := d.child(ch, nsWSManFault, "Message"); m >= 0 && f.Message == "" && d.nodes[m].first < 0 {
					f.Message = string(d.trimmed(m))
				}
			default:
				if sc := firstChildNamed(d, ch, "CIMStatusCode"); sc >= 0 {
					if n, err := strconv.ParseUint(string(d.trimmed(sc)), 10, 32); err == nil {
						f.CIMStatus = status.CIMStatus(n)
					}
					if m := firstChildNamed(d, ch, "Message"); m >= 0 {
						f.Message = string(d.trimmed(m))
					}
				}
			}
		}
	}
	return f
}

func firstChildNamed(d *document, n int32, local string) int32 {
	for c := d.nodes[n].first; c >= 0; c = d.nodes[c].next {
		if string(d.localName(c)) == local {
			return c
		}
	}
	return -1
}

// decodeObject decodes an element whose children are properties.
func decodeObject(d *document, n int32) *Object {
	o := &Object{ClassName: string(d.localName(n)), ResourceURI: d.namespaceOf(n)}
	if xt, ok := d.attrValue(n, nsXSI, "type"); ok {
		xt = bytes.TrimSpace(xt)
		if k := bytes.IndexByte(xt, ':'); k >= 0 {
			xt = xt[k+1:]
		}
		o.ClassName = string(bytes.TrimSuffix(xt, []byte("_Type")))
	}
	for ch := d.nodes[n].first; ch >= 0; ch = d.nodes[ch].next {
		name := string(d.localName(ch))
		v := decodeAny(d, ch)
		found := false
		for i := range o.Properties {
			if o.Properties[i].Name == name {
				if arr, ok := o.Properties[i].Value.([]any); ok {
					o.Properties[i].Value = append(arr, v)
				} else {
					o.Properties[i].Value = []any{o.Properties[i].Value, v}
				}
				found = true
				break
			}
		}
		if !found {
			o.Properties = append(o.Properties, Property{Name: name, Value: v})
		}
	}
	return o
}

// decodeAny decodes one property element without type information.
func decodeAny(d *document, n int32) any {
	if d.boolAttr(n, nsXSI, "nil") {
		return nil
	}
	first := d.nodes[n].first
	if first < 0 {
		return string(d.text(n))
	}
	if d.child(n, nsWSA, "ReferenceParameters") >= 0 || d.child(n, nsWSA, "EndpointReference") >= 0 {
		return decodeEPR(d, n)
	}
	if d.nodes[first].next < 0 && d.nodes[first].code == nsCIM {
		if v, err := decodeDateTime(d, n); err == nil {
			return v.Text()
		}
		return string(d.trimmed(first))
	}
	return decodeObject(d, n)
}

// decodeEPR decodes the endpoint reference element n holds.
func decodeEPR(d *document, n int32) *EPR {
	return decodeEPRDepth(d, n, 0)
}

func decodeEPRDepth(d *document, n int32, depth int) *EPR {
	if c := d.child(n, nsWSA, "EndpointReference"); c >= 0 {
		n = c
	}
	e := &EPR{}
	if a := d.child(n, nsWSA, "Address"); a >= 0 {
		e.Address = string(d.trimmed(a))
	}
	rp := d.child(n, nsWSA, "ReferenceParameters")
	if rp < 0 {
		return e
	}
	if ru := d.child(rp, nsWSMan, "ResourceURI"); ru >= 0 {
		e.ResourceURI = string(d.trimmed(ru))
	}
	if ss := d.child(rp, nsWSMan, "SelectorSet"); ss >= 0 {
		for s := d.nodes[ss].first; s >= 0; s = d.nodes[s].next {
			name, _ := d.attrValue(s, nsNone, "Name")
			sel := Selector{Name: string(name)}
			if d.nodes[s].first >= 0 && depth < 8 {
				sel.EPR = decodeEPRDepth(d, s, depth+1)
			} else {
				sel.Value = string(d.text(s))
			}
			e.Selectors = append(e.Selectors, sel)
		}
	}
	return e
}
