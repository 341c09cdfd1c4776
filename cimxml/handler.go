package cimxml

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// DefaultMaxBodyBytes is the default limit on the size of a request body.
const DefaultMaxBodyBytes = 4 << 20

// ErrNoCredentials is returned by the function BasicAuth builds when a
// request carries no Basic credentials.
var ErrNoCredentials = errors.New("cimxml: no credentials")

// HandlerOptions configure a Handler.
type HandlerOptions struct {
	// Connector opens the Services of the namespace a request names.
	Connector wbem.Connector
	// Authenticate establishes the caller's identity. A nil function makes
	// every caller anonymous ({User: "anonymous", Remote: true, Method:
	// "none", UID: -1}). An error answers 401 with a Basic challenge.
	Authenticate func(*http.Request) (*security.Identity, error)
	// Realm is the realm of the Basic challenge ("gowbem" when empty).
	Realm string
	// MaxBodyBytes limits the request body (DefaultMaxBodyBytes when 0);
	// larger requests get 413.
	MaxBodyBytes int64
	// MaxDepth limits element nesting, embedded objects included
	// (DefaultMaxDepth when 0).
	MaxDepth int
	// Logger receives protocol errors (Debug) and failures (Warn, Error).
	// Nil discards them.
	Logger *slog.Logger
}

// Handler serves CIM-XML operations over HTTP (DMTF DSP0200): POST (and
// M-POST with the DSP0200 extension header) of a simple request to any
// path. It supports the extrinsic method call and the intrinsic
// operations GetClass, EnumerateClasses, EnumerateClassNames, GetInstance,
// EnumerateInstances, EnumerateInstanceNames, GetQualifier and
// EnumerateQualifiers; others are answered with CIM_ERR_NOT_SUPPORTED.
//
// Errors of an operation are ERROR elements in an HTTP 200 response;
// requests that cannot be processed get HTTP 4xx/5xx with a CIMError
// header. A Handler is safe for concurrent use.
type Handler struct {
	opts HandlerOptions
	log  *slog.Logger
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler for opts.
func NewHandler(opts HandlerOptions) *Handler {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.Realm == "" {
		opts.Realm = "gowbem"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{opts: opts, log: log}
}

// BasicAuth returns an Authenticate function for HandlerOptions that reads
// HTTP Basic credentials and asks check for the identity. A request
// without credentials fails with ErrNoCredentials.
func BasicAuth(check func(ctx context.Context, user, password string) (*security.Identity, error)) func(*http.Request) (*security.Identity, error) {
	return func(r *http.Request) (*security.Identity, error) {
		user, pass, ok := r.BasicAuth()
		if !ok {
			return nil, ErrNoCredentials
		}
		id, err := check(r.Context(), user, pass)
		if err != nil {
			return nil, err
		}
		if id == nil {
			return nil, errors.New("cimxml: no identity for " + user)
		}
		return id, nil
	}
}

// Preset header values (keys are written as given, not canonicalised).
var (
	hvContentType    = []string{`application/xml; charset="utf-8"`}
	hvMethodResponse = []string{"MethodResponse"}
)

// headers reads the CIM headers, with the M-POST prefix when there is one.
type headers struct {
	h      http.Header
	prefix string // "" for POST, "NN-" for M-POST
}

func (hs headers) get(canonical, name string) (string, bool) {
	key := canonical
	if hs.prefix != "" {
		key = textproto.CanonicalMIMEHeaderKey(hs.prefix + name)
	}
	v, ok := hs.h[key]
	if !ok || len(v) == 0 {
		return "", ok
	}
	return strings.TrimSpace(v[0]), true
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hs := headers{h: r.Header}
	switch r.Method {
	case http.MethodPost:
	case "M-POST":
		prefix, perr := manPrefix(r.Header)
		if perr != nil {
			h.fail(w, hs, perr)
			return
		}
		hs.prefix = prefix
	default:
		w.Header().Set("Allow", "POST, M-POST")
		http.Error(w, "CIM-XML requests are POSTed", http.StatusMethodNotAllowed)
		return
	}
	id, err := h.identity(r)
	if err != nil {
		h.log.Debug("cimxml: authentication failed", "remote", r.RemoteAddr, "err", err)
		w.Header().Set("WWW-Authenticate", `Basic realm="`+h.opts.Realm+`"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
		return
	}
	if perr := h.checkHeaders(hs); perr != nil {
		h.fail(w, hs, perr)
		return
	}
	method, _ := hs.get("Cimmethod", "CIMMethod")
	object, _ := hs.get("Cimobject", "CIMObject")

	buf := getBuf()
	defer putBuf(buf)
	body, perr := h.readBody(r, (*buf)[:0])
	*buf = body
	if perr != nil {
		h.fail(w, hs, perr)
		return
	}
	req, err := decodeRequest(body, h.opts.MaxDepth)
	var valErr error
	if err != nil {
		var pe *ProtocolError
		if errors.As(err, &pe) {
			h.fail(w, hs, pe)
			return
		}
		valErr = err
	}
	if perr := checkRequestHeaders(req, method, object); perr != nil {
		h.fail(w, hs, perr)
		return
	}

	ctx := security.WithIdentity(r.Context(), id)
	out := getBuf()
	defer putBuf(out)
	*out = h.dispatch(ctx, (*out)[:0], req, valErr)

	wh := w.Header()
	wh["Content-Type"] = hvContentType
	if hs.prefix != "" {
		wh["Ext"] = []string{""}
		wh[hs.prefix+"CIMOperation"] = hvMethodResponse
	} else {
		wh["CIMOperation"] = hvMethodResponse
	}
	if len(*out) > 2000 {
		// Smaller bodies fit net/http's buffer, which then sets
		// Content-Length itself; larger ones must not be chunked.
		wh["Content-Length"] = []string{strconv.Itoa(len(*out))}
	}
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(*out); err != nil {
		h.log.Debug("cimxml: writing the response", "remote", r.RemoteAddr, "err", err)
	}
}

// identity authenticates the request.
func (h *Handler) identity(r *http.Request) (*security.Identity, error) {
	if h.opts.Authenticate == nil {
		return &security.Identity{User: "anonymous", Remote: true, Method: "none", UID: -1,
			Source: "tcp:" + r.RemoteAddr}, nil
	}
	id, err := h.opts.Authenticate(r)
	if err == nil && id == nil {
		err = errors.New("no identity")
	}
	return id, err
}

// manPrefix checks the Man header of an M-POST and returns the header
// prefix it declares ("NN-").
func manPrefix(hdr http.Header) (string, *ProtocolError) {
	man := hdr.Get("Man")
	if man == "" {
		return "", notValid("M-POST without a Man header")
	}
	for decl := range strings.SplitSeq(man, ",") {
		parts := strings.Split(decl, ";")
		uri := strings.Trim(strings.TrimSpace(parts[0]), `"`)
		if !strings.EqualFold(uri, "http://www.dmtf.org/cim/mapping/http/v1.0") {
			continue
		}
		for _, p := range parts[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "ns") {
				v = strings.TrimSpace(v)
				if _, err := strconv.Atoi(v); err == nil && len(v) <= 4 {
					return v + "-", nil
				}
			}
		}
		return "", notValid("Man header without a valid ns")
	}
	return "", &ProtocolError{Status: http.StatusNotExtended, Msg: "M-POST without the CIM mapping extension"}
}

// checkHeaders checks the CIM headers that do not depend on the body.
func (h *Handler) checkHeaders(hs headers) *ProtocolError {
	if _, ok := hs.get("Cimexport", "CIMExport"); ok {
		return &ProtocolError{Status: 400, CIMError: ErrUnsupportedOperation, Msg: "this is not a CIM listener"}
	}
	op, _ := hs.get("Cimoperation", "CIMOperation")
	if !strings.EqualFold(op, "MethodCall") {
		return &ProtocolError{Status: 400, CIMError: ErrUnsupportedOperation, Msg: "CIMOperation must be MethodCall"}
	}
	if v, ok := hs.get("Cimprotocolversion", "CIMProtocolVersion"); ok && v != "" && !supportedProtocol([]byte(v)) {
		return &ProtocolError{Status: 501, CIMError: ErrUnsupportedProtocolVersion, Msg: "CIMProtocolVersion " + strconv.Quote(v)}
	}
	if _, ok := hs.get("Cimbatch", "CIMBatch"); ok {
		return &ProtocolError{Status: 501, CIMError: ErrMultipleRequests, Msg: "batched requests are not supported"}
	}
	if v, ok := hs.get("Cimmethod", "CIMMethod"); !ok || v == "" {
		return &ProtocolError{Status: 400, CIMError: ErrHeaderMismatch, Msg: "CIMMethod header missing"}
	}
	if v, ok := hs.get("Cimobject", "CIMObject"); !ok || v == "" {
		return &ProtocolError{Status: 400, CIMError: ErrHeaderMismatch, Msg: "CIMObject header missing"}
	}
	if ct := hs.h["Content-Type"]; len(ct) > 0 && !xmlContentType(ct[0]) {
		return &ProtocolError{Status: 400, CIMError: ErrNotValid, Msg: "Content-Type " + strconv.Quote(ct[0]) + " is not UTF-8 XML"}
	}
	return nil
}

// xmlContentType accepts application/xml and text/xml with no charset or
// UTF-8.
func xmlContentType(ct string) bool {
	media, params, _ := strings.Cut(ct, ";")
	media = strings.TrimSpace(media)
	if !strings.EqualFold(media, "application/xml") && !strings.EqualFold(media, "text/xml") {
		return false
	}
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "charset") {
			v = strings.Trim(strings.TrimSpace(v), `"'`)
			if !strings.EqualFold(v, "utf-8") && !strings.EqualFold(v, "utf8") {
				return false
			}
		}
	}
	return true
}

// readBody reads the request body into b, within the size limit.
func (h *Handler) readBody(r *http.Request, b []byte) ([]byte, *ProtocolError) {
	max := h.opts.MaxBodyBytes
	tooLarge := func() *ProtocolError {
		return &ProtocolError{Status: http.StatusRequestEntityTooLarge, Msg: "request body larger than " + strconv.FormatInt(max, 10) + " bytes"}
	}
	if r.ContentLength > max {
		return b, tooLarge()
	}
	if r.ContentLength >= 0 {
		n := int(r.ContentLength)
		if cap(b) < n {
			b = make([]byte, n)
		}
		b = b[:n]
		if _, err := io.ReadFull(r.Body, b); err != nil {
			return b, &ProtocolError{Status: 400, CIMError: ErrNotWellFormed, Msg: "reading the body: " + err.Error()}
		}
		return b, nil
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		room := b[len(b):cap(b)]
		if int64(len(b)+len(room)) > max+1 {
			room = room[:max+1-int64(len(b))]
		}
		n, err := r.Body.Read(room)
		b = b[:len(b)+n]
		if int64(len(b)) > max {
			return b, tooLarge()
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, &ProtocolError{Status: 400, CIMError: ErrNotWellFormed, Msg: "reading the body: " + err.Error()}
		}
	}
}

// fail answers a request that cannot be processed.
func (h *Handler) fail(w http.ResponseWriter, hs headers, pe *ProtocolError) {
	h.log.Debug("cimxml: request refused", "status", pe.Status, "cimerror", pe.CIMError, "msg", pe.Msg)
	wh := w.Header()
	if pe.CIMError != "" {
		if hs.prefix != "" {
			wh["Ext"] = []string{""}
			wh[hs.prefix+"CIMError"] = []string{pe.CIMError}
		} else {
			wh["CIMError"] = []string{pe.CIMError}
		}
	}
	wh["PGErrorDetail"] = []string{url.PathEscape(pe.Msg)}
	if pe.Status == http.StatusRequestEntityTooLarge {
		wh["Connection"] = []string{"close"}
	}
	http.Error(w, pe.Msg, pe.Status)
}

// unescapeHeader percent-decodes a header value into dst, keeping it as
// it is when it is not validly encoded.
func unescapeHeader(dst []byte, v string) []byte {
	dst = dst[:0]
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' {
			if i+2 >= len(v) || unhex(v[i+1]) < 0 || unhex(v[i+2]) < 0 {
				return append(dst[:0], v...)
			}
			c = byte(unhex(v[i+1])<<4 | unhex(v[i+2]))
			i += 2
		}
		dst = append(dst, c)
	}
	return dst
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// sameNamespace compares namespaces case-insensitively, '\' matching '/'
// and outer separators ignored.
func sameNamespace(a []byte, b string) bool {
	a = bytes.Trim(a, `/\`)
	b = strings.Trim(b, `/\`)
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if ca == '\\' {
			ca = '/'
		}
		if cb == '\\' {
			cb = '/'
		}
		if ca != cb && lower(ca) != lower(cb) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// checkRequestHeaders compares CIMMethod and CIMObject with the body. The
// keys of an extrinsic CIMObject are not compared (wbemcli -t sends them
// garbled); namespace and class must match.
func checkRequestHeaders(req *Request, method, object string) *ProtocolError {
	var mbuf, obuf [256]byte
	m := unescapeHeader(mbuf[:0], method)
	obj := unescapeHeader(obuf[:0], object)
	mismatch := func(what string) *ProtocolError {
		return &ProtocolError{Status: 400, CIMError: ErrHeaderMismatch, Msg: what + " header does not match the request"}
	}
	if req.Intrinsic {
		if !bytes.EqualFold(m, []byte(req.Method)) {
			return mismatch("CIMMethod")
		}
		if !sameNamespace(obj, req.Namespace) {
			return mismatch("CIMObject")
		}
		return nil
	}
	if string(m) != req.Method {
		return mismatch("CIMMethod")
	}
	ns, rest, ok := bytes.Cut(obj, []byte(":"))
	if !ok || !sameNamespace(ns, req.Namespace) {
		return mismatch("CIMObject")
	}
	cls := rest
	if i := bytes.IndexAny(rest, ".="); i >= 0 {
		cls = rest[:i]
	}
	if !bytes.EqualFold(bytes.TrimSpace(cls), []byte(req.Target.Class)) {
		return mismatch("CIMObject")
	}
	return nil
}

// dispatch runs the operation and appends the response document to b.
func (h *Handler) dispatch(ctx context.Context, b []byte, req *Request, valErr error) (out []byte) {
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("cimxml: panic serving a request", "method", req.Method, "panic", p)
			err := status.New(status.WBEM_E_FAILED, "internal error: %v", p)
			if req.Intrinsic {
				out = AppendIMethodError(b[:0], req.MessageID, req.Method, err)
			} else {
				out = AppendMethodResponse(b[:0], req.MessageID, req.Method, nil, err)
			}
		}
	}()
	if req.Intrinsic {
		if valErr != nil {
			return AppendIMethodError(b, req.MessageID, req.Method, valErr)
		}
		return h.intrinsic(ctx, b, req)
	}
	if valErr != nil {
		return AppendMethodResponse(b, req.MessageID, req.Method, nil, valErr)
	}
	params, err := h.extrinsic(ctx, req)
	return AppendMethodResponse(b, req.MessageID, req.Method, params, err)
}

// extrinsic runs a METHODCALL.
func (h *Handler) extrinsic(ctx context.Context, req *Request) (*cim.Instance, error) {
	svc, err := h.opts.Connector.Services(ctx, req.Namespace)
	if err != nil {
		return nil, err
	}
	defer svc.Close()
	in, err := h.inParams(ctx, svc, req)
	if err != nil {
		return nil, err
	}
	return svc.ExecMethod(ctx, req.Target.RelPath(), req.Method, in, nil)
}

// invalidParam returns err as CIM_ERR_INVALID_PARAMETER, keeping its WBEM
// code, with the parameter named.
func invalidParam(name string, err error) error {
	e := *status.AsError(err)
	if e.Description == "" {
		e.Description = e.Code.Message()
	}
	e.Description = "parameter " + name + ": " + e.Description
	e.CIMStatusOverride = status.CIM_ERR_INVALID_PARAMETER
	return &e
}

// inParams builds the in-parameters instance of the call from the
// method's in-signature, typing untyped values from the declaration.
// Parameters the method does not declare as input are
// CIM_ERR_INVALID_PARAMETER.
func (h *Handler) inParams(ctx context.Context, svc wbem.Services, req *Request) (*cim.Instance, error) {
	if len(req.Params) == 0 {
		return nil, nil
	}
	cls, err := svc.GetClass(ctx, req.Target.Class)
	if err != nil {
		return nil, err
	}
	m := cls.Method(req.Method)
	if m == nil {
		return nil, status.New(status.WBEM_E_INVALID_METHOD, "class %s has no method %s", cls.Name, req.Method)
	}
	in := m.NewInParams()
	for _, p := range req.Params {
		k := -1
		if in != nil {
			k = in.Class().PropertyIndex(p.Name)
		}
		if k < 0 {
			return nil, status.NewCIM(status.CIM_ERR_INVALID_PARAMETER, "method %s has no in-parameter %s", m.Name, p.Name)
		}
		prop := in.Class().Properties[k]
		v, err := h.typeParam(ctx, svc, p.Value, prop.Type, prop.IsArray)
		if err == nil {
			err = in.SetAt(k, v)
		}
		if err != nil {
			return nil, invalidParam(p.Name, err)
		}
	}
	return in, nil
}

// typeParam converts a decoded parameter value to the declared type.
// Untyped text is parsed as the declared type; embedded instances are
// rebuilt on their real class when the namespace knows it.
func (h *Handler) typeParam(ctx context.Context, svc wbem.Services, v cim.Value, t cim.Type, array bool) (cim.Value, error) {
	if v.IsNull() {
		return cim.Null(t, array), nil
	}
	if v.IsArray() != array {
		return cim.Value{}, status.New(status.WBEM_E_TYPE_MISMATCH, "got a %s value, want %s", v.TypeName(), typeText(t, array))
	}
	if array {
		elems := make([]cim.Value, v.Len())
		for i, e := range v.Elems() {
			c, err := h.typeParam(ctx, svc, e, t, false)
			if err != nil {
				return cim.Value{}, fmt.Errorf("element %d: %w", i, err)
			}
			elems[i] = c
		}
		return cim.NewArray(t, elems)
	}
	switch {
	case t == cim.Object && v.Type() == cim.String:
		inst, err := decodeEmbeddedText(v.Text(), h.opts.MaxDepth)
		if err != nil {
			return cim.Value{}, err
		}
		return cim.NewObject(h.rebind(ctx, svc, inst, 0)), nil
	case t == cim.Object && v.Type() == cim.Object:
		return cim.NewObject(h.rebind(ctx, svc, v.Object(), 0)), nil
	case v.Type() == cim.String && t != cim.String:
		return parseScalar(t, []byte(v.Text()))
	}
	return cim.Convert(v, t, false)
}

func typeText(t cim.Type, array bool) string {
	if array {
		return t.String() + "[]"
	}
	return t.String()
}

// decodeEmbeddedText decodes an embedded instance given as text.
func decodeEmbeddedText(text string, maxDepth int) (*cim.Instance, error) {
	d := getDecoder()
	defer putDecoder(d)
	d.s.maxDepth = maxDepth
	return d.embedded([]byte(text))
}

// rebind moves a decoded instance (whose class the XML described) onto
// the namespace's definition of its class, so that providers see the real
// class with its keys and derivation. When the class is unknown, or a
// value does not fit it, the decoded instance is kept as it is.
func (h *Handler) rebind(ctx context.Context, svc wbem.Services, inst *cim.Instance, depth int) *cim.Instance {
	if inst == nil || depth > maxEmbedLevels {
		return inst
	}
	cls, err := svc.GetClass(ctx, inst.ClassName())
	if err != nil {
		return inst
	}
	n := cim.NewInstance(cls)
	for k := range inst.Len() {
		p, v := inst.At(k)
		if v.IsNull() {
			continue
		}
		if v.Type() == cim.Object && !v.IsArray() {
			v = cim.NewObject(h.rebind(ctx, svc, v.Object(), depth+1))
		}
		if err := n.Set(p.Name, v); err != nil {
			return inst
		}
	}
	n.Namespace, n.Server = inst.Namespace, inst.Server
	return n
}
