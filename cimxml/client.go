package cimxml

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// DefaultMaxResponseBytes is the default limit on the size of a response
// the client reads.
const DefaultMaxResponseBytes = 64 << 20

// ClientOptions configure a Client.
type ClientOptions struct {
	// HTTPClient sends the requests. When nil the Client builds one from
	// TLSConfig and Timeout; when set, those two are ignored.
	HTTPClient *http.Client
	// TLSConfig is used for https URLs.
	TLSConfig *tls.Config
	// Username and Password, when Username is set, are sent as HTTP Basic
	// credentials with every request (as wbemcli and pywbem do).
	Username, Password string
	// Timeout limits each request, response included; 0 means no limit
	// other than the context's.
	Timeout time.Duration
	// MaxResponseBytes limits the size of a response
	// (DefaultMaxResponseBytes when 0).
	MaxResponseBytes int64
}

// Client is a CIM-XML client (DMTF DSP0200) of one WBEM server. It is a
// wbem.Connector: Services returns the wbem.Services of a namespace, with
// every operation carried out as a CIM-XML request. A Client is safe for
// concurrent use.
type Client struct {
	endpoint string
	host     string // server part of the paths the client returns
	hc       *http.Client
	own      bool // hc was built by Dial
	opts     ClientOptions
	msgID    atomic.Uint64
}

var _ wbem.Connector = (*Client)(nil)

// Dial returns a Client for the server at rawURL: "http://host:port" or
// "https://host:port", optionally with the path the server listens on
// (default "/cimom"). Dial checks the URL and builds the HTTP client; it
// does not contact the server, so an unreachable server shows with the
// first operation.
func Dial(ctx context.Context, rawURL string, opts ClientOptions) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "invalid URL %q: %v", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "URL %q: scheme must be http or https", rawURL)
	}
	if u.Host == "" {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "URL %q has no host", rawURL)
	}
	if u.User != nil && opts.Username == "" {
		opts.Username = u.User.Username()
		opts.Password, _ = u.User.Password()
		u.User = nil
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/cimom"
	}
	u.RawQuery, u.Fragment = "", ""
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	c := &Client{endpoint: u.String(), host: u.Hostname(), hc: opts.HTTPClient, opts: opts}
	if c.hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = opts.TLSConfig
		tr.MaxIdleConnsPerHost = 16
		c.hc = &http.Client{Transport: tr, Timeout: opts.Timeout}
		c.own = true
	}
	c.msgID.Store(1000)
	return c, nil
}

// Close closes the idle connections of a Client whose HTTP client it
// built. Services obtained from it should be closed first.
func (c *Client) Close() error {
	if c.own {
		c.hc.CloseIdleConnections()
	}
	return nil
}

// Services returns the wbem.Services of namespace ns ("root/cimv2" or
// "root\cimv2"). It does not contact the server: a namespace that does
// not exist shows as WBEM_E_INVALID_NAMESPACE from the first operation.
func (c *Client) Services(ctx context.Context, ns string) (wbem.Services, error) {
	ns = strings.Trim(strings.ReplaceAll(ns, `\`, "/"), "/")
	if ns == "" {
		return nil, status.New(status.WBEM_E_INVALID_NAMESPACE, "empty namespace")
	}
	s := &services{c: c, ns: ns, pending: make(map[wbem.ObjectSink][]*asyncOp)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// percentEscape escapes a CIMObject or CIMMethod header value (DSP0200:
// URI %-escaping of UTF-8), leaving unreserved characters and the
// separators '.', '=', ',' as they are for readability.
func percentEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9',
			ch == '-', ch == '_', ch == '.', ch == '~', ch == '=', ch == ',':
			b.WriteByte(ch)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
		}
	}
	return b.String()
}

// roundTrip sends one request and decodes the response. The ERROR of a
// failed operation is returned as the error (*status.Error).
func (c *Client) roundTrip(ctx context.Context, r *Request, object string, keyHint []string) (*Response, error) {
	r.MessageID = strconv.FormatUint(c.msgID.Add(1), 10)
	body := r.AppendTo(make([]byte, 0, 1024))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "%v", err)
	}
	h := req.Header
	h["Content-Type"] = hvContentType
	h["CIMProtocolVersion"] = []string{"1.0"}
	h["CIMOperation"] = []string{"MethodCall"}
	h["CIMMethod"] = []string{percentEscape(r.Method)}
	h["CIMObject"] = []string{percentEscape(object)}
	if c.opts.Username != "" {
		req.SetBasicAuth(c.opts.Username, c.opts.Password)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxResponseBytes+1))
	if err != nil {
		return nil, transportError(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, httpError(resp)
	}
	if int64(len(data)) > c.opts.MaxResponseBytes {
		return nil, status.New(status.WBEM_E_QUOTA_VIOLATION, "response larger than %d bytes", c.opts.MaxResponseBytes)
	}
	out, err := decodeResponse(data, keyHint)
	if err != nil {
		var pe *ProtocolError
		if errors.As(err, &pe) {
			return nil, status.New(status.WBEM_E_TRANSPORT_FAILURE, "invalid response: %v", pe)
		}
		return nil, err
	}
	if out.Intrinsic != r.Intrinsic {
		return nil, status.New(status.WBEM_E_TRANSPORT_FAILURE, "invalid response: answer of the wrong kind")
	}
	if out.Err != nil {
		return out, out.Err
	}
	return out, nil
}

// transportError maps a failed HTTP exchange to a WBEM error.
func transportError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return &status.Error{Code: status.Code(cerr), Description: err.Error()}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return status.New(status.WBEM_E_TIMED_OUT, "%v", err)
	}
	return status.New(status.WBEM_E_TRANSPORT_FAILURE, "%v", err)
}

// httpError maps an HTTP error status to a WBEM error.
func httpError(resp *http.Response) error {
	msg := "HTTP " + resp.Status
	if ce := resp.Header.Get("CIMError"); ce != "" {
		msg += ", CIMError: " + ce
	}
	if d := resp.Header.Get("PGErrorDetail"); d != "" {
		if u, err := url.PathUnescape(d); err == nil {
			d = u
		}
		msg += ": " + d
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return status.New(status.WBEM_E_ACCESS_DENIED, "%s", msg)
	case http.StatusNotImplemented:
		return status.New(status.WBEM_E_NOT_SUPPORTED, "%s", msg)
	}
	return status.New(status.WBEM_E_TRANSPORT_FAILURE, "%s", msg)
}

// services is the wbem.Services of one namespace over CIM-XML.
type services struct {
	c  *Client
	ns string

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	pending map[wbem.ObjectSink][]*asyncOp
}

var _ wbem.Services = (*services)(nil)

// asyncOp is one pending ExecMethodAsync.
type asyncOp struct {
	cancel    context.CancelFunc
	cancelled atomic.Bool
}

func (s *services) Namespace() string { return s.ns }

func (s *services) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return status.New(status.WBEM_E_INVALID_OPERATION, "services of %s are closed", s.ns)
	}
	return nil
}

func boolValue(b bool) cim.Value { return cim.NewBool(b) }

func classRef(name string) cim.Value { return cim.NewReference(&cim.ObjectPath{Class: name}) }

// intrinsic sends an IMETHODCALL in the services' namespace.
func (s *services) intrinsic(ctx context.Context, method string, keyHint []string, params ...Param) (*Response, error) {
	return s.intrinsicIn(ctx, s.ns, method, keyHint, params...)
}

func (s *services) intrinsicIn(ctx context.Context, ns, method string, keyHint []string, params ...Param) (*Response, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	r := &Request{Intrinsic: true, Method: method, Namespace: ns, Params: params}
	return s.c.roundTrip(ctx, r, ns, keyHint)
}

// locateClass sets the location of a returned class.
func (s *services) locateClass(c *cim.Class) {
	c.Namespace, c.Server = s.ns, s.c.host
}

// GetClass implements wbem.Services: GetClass with LocalOnly=FALSE,
// IncludeQualifiers=TRUE and IncludeClassOrigin=TRUE, so that the class
// holds its inherited features. CIM-XML does not carry the derivation:
// SuperClass is set, Derivation is not.
func (s *services) GetClass(ctx context.Context, className string) (*cim.Class, error) {
	resp, err := s.intrinsic(ctx, "GetClass", nil,
		Param{Name: "ClassName", Value: classRef(className)},
		Param{Name: "LocalOnly", Value: boolValue(false)},
		Param{Name: "IncludeQualifiers", Value: boolValue(true)},
		Param{Name: "IncludeClassOrigin", Value: boolValue(true)})
	if err != nil {
		return nil, err
	}
	if len(resp.Classes) != 1 {
		return nil, status.New(status.WBEM_E_TRANSPORT_FAILURE, "GetClass answered %d classes", len(resp.Classes))
	}
	s.locateClass(resp.Classes[0])
	return resp.Classes[0], nil
}

// EnumerateClasses implements wbem.Services.
func (s *services) EnumerateClasses(ctx context.Context, superClass string, deep bool) ([]*cim.Class, error) {
	params := []Param{
		{Name: "DeepInheritance", Value: boolValue(deep)},
		{Name: "LocalOnly", Value: boolValue(false)},
		{Name: "IncludeQualifiers", Value: boolValue(true)},
		{Name: "IncludeClassOrigin", Value: boolValue(true)},
	}
	if superClass != "" {
		params = append([]Param{{Name: "ClassName", Value: classRef(superClass)}}, params...)
	}
	resp, err := s.intrinsic(ctx, "EnumerateClasses", nil, params...)
	if err != nil {
		return nil, err
	}
	for _, c := range resp.Classes {
		s.locateClass(c)
	}
	return resp.Classes, nil
}

// EnumerateClassNames implements wbem.Services.
func (s *services) EnumerateClassNames(ctx context.Context, superClass string, deep bool) ([]string, error) {
	params := []Param{{Name: "DeepInheritance", Value: boolValue(deep)}}
	if superClass != "" {
		params = append([]Param{{Name: "ClassName", Value: classRef(superClass)}}, params...)
	}
	resp, err := s.intrinsic(ctx, "EnumerateClassNames", nil, params...)
	if err != nil {
		return nil, err
	}
	return resp.ClassNames, nil
}

// parsePath parses a WMI path (or a DMTF URI) given to an operation.
func parsePath(path string) (*cim.ObjectPath, error) {
	p, err := cim.ParsePath(path)
	if err != nil {
		if q, uerr := cim.ParseURI(path); uerr == nil {
			return q, nil
		}
		var pe *cim.PathError
		if errors.As(err, &pe) {
			return nil, &status.Error{Code: status.HRESULT(pe.Code), Description: pe.Error()}
		}
		return nil, status.New(status.WBEM_E_INVALID_OBJECT_PATH, "%v", err)
	}
	return p, nil
}

// GetInstance implements wbem.Services. The instance's class is the one
// the XML describes: its properties in the order sent, with the keys of
// path marked Key.
func (s *services) GetInstance(ctx context.Context, path string) (*cim.Instance, error) {
	p, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	if !p.IsInstance() {
		return nil, status.New(status.WBEM_E_INVALID_OBJECT_PATH, "%s is not an instance path", path)
	}
	ns := s.ns
	if p.Namespace != "" {
		ns = p.Namespace
	}
	var keys []string
	for _, k := range p.Keys {
		keys = append(keys, k.Name)
	}
	name := &cim.ObjectPath{Class: p.Class, Keys: p.Keys, Singleton: p.Singleton}
	resp, err := s.intrinsicIn(ctx, ns, "GetInstance", keys,
		Param{Name: "InstanceName", Value: cim.NewReference(name)},
		Param{Name: "LocalOnly", Value: boolValue(false)},
		Param{Name: "IncludeQualifiers", Value: boolValue(false)},
		Param{Name: "IncludeClassOrigin", Value: boolValue(true)})
	if err != nil {
		return nil, err
	}
	if len(resp.Instances) != 1 {
		return nil, status.New(status.WBEM_E_TRANSPORT_FAILURE, "GetInstance answered %d instances", len(resp.Instances))
	}
	inst := resp.Instances[0]
	inst.Namespace, inst.Server = ns, s.c.host
	return inst, nil
}

// EnumerateInstances implements wbem.Services.
func (s *services) EnumerateInstances(ctx context.Context, className string, deep bool) ([]*cim.Instance, error) {
	resp, err := s.intrinsic(ctx, "EnumerateInstances", nil,
		Param{Name: "ClassName", Value: classRef(className)},
		Param{Name: "DeepInheritance", Value: boolValue(deep)},
		Param{Name: "LocalOnly", Value: boolValue(false)},
		Param{Name: "IncludeQualifiers", Value: boolValue(false)},
		Param{Name: "IncludeClassOrigin", Value: boolValue(true)})
	if err != nil {
		return nil, err
	}
	for _, inst := range resp.Instances {
		inst.Namespace, inst.Server = s.ns, s.c.host
	}
	return resp.Instances, nil
}

// EnumerateInstanceNames implements wbem.Services; the paths carry the
// namespace and the server's host name.
func (s *services) EnumerateInstanceNames(ctx context.Context, className string) ([]*cim.ObjectPath, error) {
	resp, err := s.intrinsic(ctx, "EnumerateInstanceNames", nil,
		Param{Name: "ClassName", Value: classRef(className)})
	if err != nil {
		return nil, err
	}
	for _, p := range resp.InstanceNames {
		if p.Namespace == "" {
			p.Namespace, p.Server = s.ns, s.c.host
		}
	}
	return resp.InstanceNames, nil
}

// GetQualifier implements wbem.Services.
func (s *services) GetQualifier(ctx context.Context, name string) (*cim.QualifierDecl, error) {
	resp, err := s.intrinsic(ctx, "GetQualifier", nil, Param{Name: "QualifierName", Value: cim.NewString(name)})
	if err != nil {
		return nil, err
	}
	if len(resp.QualifierDecls) != 1 {
		return nil, status.New(status.WBEM_E_TRANSPORT_FAILURE, "GetQualifier answered %d declarations", len(resp.QualifierDecls))
	}
	return resp.QualifierDecls[0], nil
}

// EnumerateQualifiers implements wbem.Services.
func (s *services) EnumerateQualifiers(ctx context.Context) ([]*cim.QualifierDecl, error) {
	resp, err := s.intrinsic(ctx, "EnumerateQualifiers", nil)
	if err != nil {
		return nil, err
	}
	return resp.QualifierDecls, nil
}

// ExecMethod implements wbem.Services. The non-NULL properties of in are
// sent as typed PARAMVALUEs; wctx cannot be carried by CIM-XML and is
// ignored. The out-parameters come back as an instance of __PARAMETERS
// with the out-parameters in the order sent and ReturnValue last; values
// the server sent without PARAMTYPE are typed from the method's
// declaration (one GetClass). A response without RETURNVALUE and
// out-parameters gives nil.
func (s *services) ExecMethod(ctx context.Context, path, method string, in *cim.Instance, wctx *cim.NamedValues) (*cim.Instance, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.exec(ctx, path, method, in)
}

// exec carries out ExecMethod (without the closed check, which the
// asynchronous form does at its start).
func (s *services) exec(ctx context.Context, path, method string, in *cim.Instance) (*cim.Instance, error) {
	p, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	if method == "" {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "no method name")
	}
	ns := s.ns
	if p.Namespace != "" {
		ns = p.Namespace
	}
	target := &cim.ObjectPath{Namespace: ns, Class: p.Class, Keys: p.Keys, Singleton: p.Singleton}
	r := &Request{Method: method, Namespace: ns, Target: target}
	if in != nil {
		for k := range in.Len() {
			prop, v := in.At(k)
			if !v.IsNull() {
				r.Params = append(r.Params, Param{Name: prop.Name, Type: prop.Type, Value: v})
			}
		}
	}
	resp, err := s.c.roundTrip(ctx, r, ns+":"+target.RelPath(), nil)
	if err != nil {
		return nil, err
	}
	return s.outParams(ctx, ns, p.Class, method, resp)
}

// outParams builds the out-parameters instance of a METHODRESPONSE.
func (s *services) outParams(ctx context.Context, ns, class, method string, resp *Response) (*cim.Instance, error) {
	hasRV := resp.ReturnValue.Type() != cim.TypeNone || !resp.ReturnValue.IsNull()
	if !hasRV && len(resp.Params) == 0 {
		return nil, nil
	}
	untyped := hasRV && resp.ReturnValue.Type() == cim.String
	for _, p := range resp.Params {
		untyped = untyped || p.Type == cim.TypeNone
	}
	var sig *cim.Class
	if untyped {
		if c, err := s.classIn(ctx, ns, class); err == nil {
			if m := c.Method(method); m != nil {
				sig = m.OutSignature()
			}
		}
	}
	var props []*cim.Property
	var vals []cim.Value
	add := func(name string, v cim.Value) {
		prop := &cim.Property{Name: name, Type: v.Type(), IsArray: v.IsArray(), ClassOrigin: cim.ParametersClass}
		if sig != nil {
			if dp := sig.Property(name); dp != nil {
				if tv, err := typeText2(v, dp.Type, dp.IsArray); err == nil {
					v = tv
					prop.Type, prop.IsArray, prop.RefClass, prop.EmbeddedClass = dp.Type, dp.IsArray, dp.RefClass, dp.EmbeddedClass
				}
			}
		}
		if prop.Type == cim.TypeNone {
			prop.Type = cim.String
		}
		props = append(props, prop)
		vals = append(vals, v)
	}
	for _, p := range resp.Params {
		add(p.Name, p.Value)
	}
	if hasRV {
		add(cim.ReturnValueName, resp.ReturnValue)
		props[len(props)-1].Qualifiers = cim.Qualifiers{{Name: "Out", Value: cim.NewBool(true), Flavor: cim.FlavorDisableOverride}}
	}
	out := cim.NewInstance(&cim.Class{Name: cim.ParametersClass, Properties: props})
	for k, v := range vals {
		if err := out.SetAt(k, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// typeText2 types an untyped (String) value as t; typed values are
// converted.
func typeText2(v cim.Value, t cim.Type, array bool) (cim.Value, error) {
	if v.IsNull() {
		return cim.Null(t, array), nil
	}
	if v.Type() != cim.String || t == cim.String {
		return cim.Convert(v, t, array)
	}
	if v.IsArray() != array {
		return cim.Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "array mismatch")
	}
	if !array {
		return parseScalar(t, []byte(v.Text()))
	}
	elems := make([]cim.Value, v.Len())
	for i, e := range v.Elems() {
		if e.IsNull() {
			elems[i] = cim.Null(t, false)
			continue
		}
		c, err := parseScalar(t, []byte(e.Text()))
		if err != nil {
			return cim.Value{}, err
		}
		elems[i] = c
	}
	return cim.NewArray(t, elems)
}

func (s *services) classIn(ctx context.Context, ns, class string) (*cim.Class, error) {
	if strings.EqualFold(ns, s.ns) {
		return s.GetClass(ctx, class)
	}
	other := &services{c: s.c, ns: ns, ctx: s.ctx}
	return other.GetClass(ctx, class)
}

// ExecMethodAsync implements wbem.Services by running the synchronous call
// in a goroutine: the sink gets Indicate with the out-parameters (when
// there are any) and then the final SetStatus. CIM-XML carries neither
// progress nor cancellation: FlagSendStatus is accepted but no progress
// is reported, and cancelling (CancelAsyncCall, ctx, Close) abandons the
// HTTP request while the server may go on running the method. The
// native protocol carries both.
func (s *services) ExecMethodAsync(ctx context.Context, path, method string, in *cim.Instance, flags int32, wctx *cim.NamedValues, sink wbem.ObjectSink) error {
	if sink == nil {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "no sink")
	}
	if flags&^wbem.FlagSendStatus != 0 {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "invalid flags 0x%x", flags)
	}
	if method == "" {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "no method name")
	}
	if _, err := parsePath(path); err != nil {
		return err
	}
	opCtx, cancel := context.WithCancel(ctx)
	op := &asyncOp{cancel: cancel}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		return status.New(status.WBEM_E_INVALID_OPERATION, "services of %s are closed", s.ns)
	}
	s.pending[sink] = append(s.pending[sink], op)
	s.mu.Unlock()
	stop := context.AfterFunc(s.ctx, func() { op.cancelled.Store(true); cancel() })
	if in != nil {
		in = in.Clone()
	}
	go func() {
		defer cancel()
		defer stop()
		out, err := s.exec(opCtx, path, method, in)
		s.unregister(sink, op)
		if op.cancelled.Load() || opCtx.Err() != nil || s.ctx.Err() != nil {
			out, err = nil, status.New(status.WBEM_E_CALL_CANCELLED, "call of %s cancelled", method)
		}
		if err == nil && out != nil {
			sink.Indicate([]*cim.Instance{out})
		}
		var errObj *cim.Instance
		if err != nil {
			errObj = cim.NewExtendedStatus(err)
		}
		sink.SetStatus(wbem.StatusComplete, status.Code(err), "", errObj)
	}()
	return nil
}

func (s *services) unregister(sink wbem.ObjectSink, op *asyncOp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ops := s.pending[sink]
	for i, o := range ops {
		if o == op {
			ops = append(ops[:i], ops[i+1:]...)
			break
		}
	}
	if len(ops) == 0 {
		delete(s.pending, sink)
	} else {
		s.pending[sink] = ops
	}
}

// CancelAsyncCall implements wbem.Services: every pending call of sink is
// abandoned and completes with WBEM_E_CALL_CANCELLED. The server is not
// told (CIM-XML cannot); it may still run the method to its end.
func (s *services) CancelAsyncCall(sink wbem.ObjectSink) error {
	s.mu.Lock()
	ops := s.pending[sink]
	s.mu.Unlock()
	if len(ops) == 0 {
		return status.New(status.WBEM_E_NOT_FOUND, "no pending call for this sink")
	}
	for _, op := range ops {
		op.cancelled.Store(true)
		op.cancel()
	}
	return nil
}

// Close implements wbem.Services: pending asynchronous calls are
// cancelled and further operations fail.
func (s *services) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	return nil
}
