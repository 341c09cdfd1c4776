package wsman

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// Defaults of HandlerOptions.
const (
	DefaultMaxBodyBytes           = 4 << 20
	DefaultMaxEnvelopeDepth       = 64
	DefaultMaxEnumerationContexts = 1024
	DefaultEnumerationExpiry      = 5 * time.Minute
	DefaultOperationTimeout       = 60 * time.Second
	DefaultMaxOperationTimeout    = 10 * time.Minute
	DefaultNamespace              = "root/cimv2"
)

// ProductVendor is the vendor Identify reports.
const ProductVendor = "gowbem"

// BasicRealm is the realm of the Basic challenge of 401 answers.
const BasicRealm = "wbemd"

// ContentType is the media type of every SOAP message the package writes.
const ContentType = "application/soap+xml;charset=UTF-8"

// Limits of the handler that are not options.
const (
	// unauthBodyLimit bounds what an unauthenticated client may send: just
	// enough for an Identify.
	unauthBodyLimit = 64 << 10
	// maxPullElements caps MaxElements of Enumerate and Pull.
	maxPullElements = 10000
	// pooledBufferMax is the largest buffer kept for reuse.
	pooledBufferMax = 1 << 20
)

// HandlerOptions configure NewHandler. Only Connector is required.
type HandlerOptions struct {
	// Connector opens the services of a namespace for each request.
	Connector wbem.Connector
	// Authenticate establishes the caller from the HTTP request (Basic
	// credentials, a client certificate). When it returns an error the
	// request is answered 401 with a Basic challenge; only Identify is
	// served anonymously then. A nil identity counts as an error. Nil
	// Authenticate makes every caller anonymous:
	// {User: "anonymous", Remote: true, Method: "none", UID: -1}.
	Authenticate func(*http.Request) (*security.Identity, error)
	// MaxBodyBytes bounds the request body (default 4 MiB). Larger bodies
	// are refused with a w:EncodingLimit fault without being read.
	MaxBodyBytes int64
	// MaxEnvelopeDepth bounds the nesting of elements (default 64).
	MaxEnvelopeDepth int
	// MaxEnumerationContexts bounds the enumerations open at once
	// (default 1024); beyond it Enumerate faults with w:QuotaLimit.
	MaxEnumerationContexts int
	// EnumerationExpiry is how long an enumeration context lives after
	// its last use (default 5 minutes).
	EnumerationExpiry time.Duration
	// DefaultOperationTimeout applies to requests without
	// w:OperationTimeout (default 60 s).
	DefaultOperationTimeout time.Duration
	// MaxOperationTimeout caps the w:OperationTimeout of requests
	// (default 10 minutes).
	MaxOperationTimeout time.Duration
	// DefaultNamespace is the namespace of DMTF-form resource URIs without
	// a __cimnamespace selector (default "root/cimv2").
	DefaultNamespace string
	// ProductVersion is what Identify reports to authenticated callers
	// (default: the module version from the build information).
	ProductVersion string
	// Logger receives failures of the handler (default: slog.Default()).
	Logger *slog.Logger
}

// handler is the http.Handler NewHandler returns.
type handler struct {
	opts      HandlerOptions
	log       *slog.Logger
	enum      *enumStore
	resources resourceCache
	machine   string
	// newMessageID appends a fresh message id; tests replace it.
	newMessageID func([]byte) []byte
	// anonymousVersion reports ProductVersion to anonymous callers too.
	anonymousVersion bool
}

// NewHandler returns the WS-Management handler: it serves POST requests
// carrying SOAP 1.2 envelopes (mount it at /wsman) with Identify, Get,
// Enumerate, Pull, Release and the invocation of CIM methods, through the
// services opts.Connector opens.
func NewHandler(opts HandlerOptions) http.Handler {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxEnvelopeDepth <= 0 {
		opts.MaxEnvelopeDepth = DefaultMaxEnvelopeDepth
	}
	if opts.MaxEnumerationContexts <= 0 {
		opts.MaxEnumerationContexts = DefaultMaxEnumerationContexts
	}
	if opts.EnumerationExpiry <= 0 {
		opts.EnumerationExpiry = DefaultEnumerationExpiry
	}
	if opts.DefaultOperationTimeout <= 0 {
		opts.DefaultOperationTimeout = DefaultOperationTimeout
	}
	if opts.MaxOperationTimeout <= 0 {
		opts.MaxOperationTimeout = DefaultMaxOperationTimeout
	}
	if opts.MaxOperationTimeout < opts.DefaultOperationTimeout {
		opts.MaxOperationTimeout = opts.DefaultOperationTimeout
	}
	if opts.DefaultNamespace == "" {
		opts.DefaultNamespace = DefaultNamespace
	}
	if opts.ProductVersion == "" {
		opts.ProductVersion = moduleVersion()
	}
	h := &handler{
		opts:         opts,
		log:          opts.Logger,
		enum:         newEnumStore(opts.MaxEnumerationContexts, opts.EnumerationExpiry),
		newMessageID: randomMessageID,
		machine:      hostname(),
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.anonymousVersion = opts.Authenticate == nil
	return h
}

func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == "github.com/gowbem/gowbem" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, m := range bi.Deps {
			if m.Path == "github.com/gowbem/gowbem" {
				return m.Version
			}
		}
	}
	return "devel"
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "localhost"
	}
	return h
}

// randomMessageID appends "uuid:" and a random (version 4) UUID.
func randomMessageID(dst []byte) []byte {
	var b [16]byte
	x, y := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(x >> (8 * i))
		b[8+i] = byte(y >> (8 * i))
	}
	b[6] = b[6]&0x0F | 0x40
	b[8] = b[8]&0x3F | 0x80
	dst = append(dst, "uuid:"...)
	return appendUUID(dst, b)
}

func appendUUID(dst []byte, b [16]byte) []byte {
	const hex = "0123456789abcdef"
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hex[c>>4], hex[c&0xF])
	}
	return dst
}

// reqState is the reusable state of one request.
type reqState struct {
	body []byte
	alt  []byte // transcoded UTF-16 bodies
	doc  document
	env  envelope
	out  xw
}

var statePool = sync.Pool{New: func() any { return new(reqState) }}

func (st *reqState) release() {
	if cap(st.body) > pooledBufferMax {
		st.body = nil
	}
	if cap(st.alt) > pooledBufferMax {
		st.alt = nil
	}
	if cap(st.out.b) > pooledBufferMax {
		st.out.b = nil
	}
	if cap(st.doc.nodes) > 1<<14 {
		st.doc.nodes = nil
		st.doc.attrs = nil
	}
	st.doc.buf = nil
	st.env = envelope{selectors: st.env.selectors[:0]}
	statePool.Put(st)
}

var errTooLarge = errors.New("request body too large")

// charset of a request body.
const (
	charsetUTF8 = iota
	charsetUTF16LE
	charsetUTF16BE
	charsetUnsupported
)

// contentType checks the media type and returns the charset.
func contentType(ct string) (cs int, ok bool) {
	if ct == "" {
		return charsetUTF8, true
	}
	mt, params, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	if !strings.EqualFold(mt, "application/soap+xml") && !strings.EqualFold(mt, "text/xml") && !strings.EqualFold(mt, "application/xml") {
		return 0, false
	}
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		p = strings.TrimSpace(p)
		if len(p) < 8 || !strings.EqualFold(p[:8], "charset=") {
			continue
		}
		v := strings.Trim(strings.TrimSpace(p[8:]), `"`)
		switch {
		case strings.EqualFold(v, "utf-8"), strings.EqualFold(v, "utf8"):
			return charsetUTF8, true
		case strings.EqualFold(v, "utf-16"), strings.EqualFold(v, "utf-16le"):
			return charsetUTF16LE, true
		case strings.EqualFold(v, "utf-16be"):
			return charsetUTF16BE, true
		}
		return charsetUnsupported, true
	}
	return charsetUTF8, true
}

// ServeHTTP serves one WS-Management request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "WS-Management requests are POSTed", http.StatusMethodNotAllowed)
		return
	}
	cs, ok := contentType(r.Header.Get("Content-Type"))
	if !ok {
		http.Error(w, "WS-Management requests are application/soap+xml", http.StatusUnsupportedMediaType)
		return
	}
	var id *security.Identity
	authFailed := false
	if h.opts.Authenticate != nil {
		var err error
		id, err = h.opts.Authenticate(r)
		if err != nil || id == nil {
			authFailed = true
			id = nil
		}
	} else {
		id = anonymousIdentity(r)
	}
	limit := h.opts.MaxBodyBytes
	if authFailed && limit > unauthBodyLimit {
		limit = unauthBodyLimit
	}

	st := statePool.Get().(*reqState)
	defer st.release()
	st.out.b = st.out.b[:0]

	if r.ContentLength > limit {
		if authFailed {
			h.unauthorized(w)
			return
		}
		w.Header().Set("Connection", "close")
		h.writeFault(w, st, newFault(SubcodeEncodingLimit, DetailServiceEnvelopeLimit,
			"the request is larger than the limit of "+strconv.FormatInt(limit, 10)+" bytes"), nil)
		return
	}
	body, err := readBody(r.Body, r.ContentLength, limit, st.body[:0])
	st.body = body[:0]
	if err != nil {
		if authFailed {
			h.unauthorized(w)
			return
		}
		if errors.Is(err, errTooLarge) {
			w.Header().Set("Connection", "close")
			h.writeFault(w, st, newFault(SubcodeEncodingLimit, DetailServiceEnvelopeLimit,
				"the request is larger than the limit of "+strconv.FormatInt(limit, 10)+" bytes"), nil)
			return
		}
		// The client went away or sent a broken body.
		http.Error(w, "cannot read the request body", http.StatusBadRequest)
		return
	}
	body, f := h.transcode(st, body, cs)
	if f == nil {
		st.doc.maxDepth = h.opts.MaxEnvelopeDepth
		if err := st.doc.parse(body); err != nil {
			var xe *xmlError
			if errors.As(err, &xe) && xe.limit {
				f = newFault(SubcodeEncodingLimit, "", err.Error())
			} else {
				f = newFault(SubcodeSchemaValidationError, "", err.Error())
			}
		} else {
			f = decodeEnvelope(&st.doc, &st.env)
		}
	}
	env := &st.env
	if authFailed && (f != nil || env.op != opIdentify) {
		h.unauthorized(w)
		return
	}
	if f != nil {
		h.writeFault(w, st, f, env.messageID)
		return
	}
	if authFailed {
		id = anonymousIdentity(r)
	}
	ctx := security.WithIdentity(r.Context(), id)
	f = h.serve(ctx, st, id, authFailed)
	if f != nil {
		h.writeFault(w, st, f, env.messageID)
		return
	}
	writeResponse(w, http.StatusOK, st.out.b)
}

func anonymousIdentity(r *http.Request) *security.Identity {
	return &security.Identity{User: "anonymous", Remote: true, Method: "none", UID: -1, Source: "tcp:" + r.RemoteAddr}
}

func (h *handler) unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="`+BasicRealm+`"`)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}

func writeResponse(w http.ResponseWriter, code int, body []byte) {
	hd := w.Header()
	hd["Content-Type"] = contentTypeHeader
	hd["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

var contentTypeHeader = []string{ContentType}

// readBody reads at most limit bytes of r into buf.
func readBody(r io.Reader, n, limit int64, buf []byte) ([]byte, error) {
	if n > limit {
		return buf, errTooLarge
	}
	if n >= 0 {
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return buf[:0], err
		}
		return buf, nil
	}
	if cap(buf) < 4096 {
		buf = make([]byte, 0, 4096)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		end := cap(buf)
		if int64(end) > limit+1 {
			end = int(limit + 1)
		}
		m, err := r.Read(buf[len(buf):end])
		buf = buf[:len(buf)+m]
		if int64(len(buf)) > limit {
			return buf[:0], errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf[:0], err
		}
	}
}

// transcode turns a UTF-16 body (by byte-order mark or charset) into
// UTF-8.
func (h *handler) transcode(st *reqState, body []byte, cs int) ([]byte, *Fault) {
	switch {
	case len(body) >= 2 && body[0] == 0xFF && body[1] == 0xFE:
		cs, body = charsetUTF16LE, body[2:]
	case len(body) >= 2 && body[0] == 0xFE && body[1] == 0xFF:
		cs, body = charsetUTF16BE, body[2:]
	case cs == charsetUnsupported:
		return nil, newFault(SubcodeEncodingLimit, DetailCharacterSet, "the character set of the request is not supported")
	case cs == charsetUTF16LE || cs == charsetUTF16BE:
		// No byte-order mark: trust the charset.
	default:
		return body, nil
	}
	out, ok := utf16ToUTF8(st.alt[:0], body, cs == charsetUTF16BE)
	st.alt = out[:0]
	if !ok {
		return nil, newFault(SubcodeSchemaValidationError, "", "invalid UTF-16 in the request")
	}
	return out, nil
}

func utf16ToUTF8(dst, b []byte, bigEndian bool) ([]byte, bool) {
	if len(b)%2 != 0 {
		return dst, false
	}
	unit := func(i int) uint16 {
		if bigEndian {
			return uint16(b[i])<<8 | uint16(b[i+1])
		}
		return uint16(b[i+1])<<8 | uint16(b[i])
	}
	for i := 0; i < len(b); i += 2 {
		u := unit(i)
		r := rune(u)
		switch {
		case utf16.IsSurrogate(r):
			if u >= 0xDC00 || i+3 >= len(b) {
				return dst, false
			}
			r = utf16.DecodeRune(r, rune(unit(i+2)))
			if r == 0xFFFD {
				return dst, false
			}
			i += 2
		}
		dst = appendRune(dst, r)
	}
	return dst, true
}

func appendRune(dst []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(dst, byte(r))
	case r < 0x800:
		return append(dst, 0xC0|byte(r>>6), 0x80|byte(r)&0x3F)
	case r < 0x10000:
		return append(dst, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	}
	return append(dst, 0xF0|byte(r>>18), 0x80|byte(r>>12)&0x3F, 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
}

// serve runs the decoded request and writes the response envelope into
// st.out, or returns the fault to answer with.
func (h *handler) serve(ctx context.Context, st *reqState, id *security.Identity, anonymous bool) (f *Fault) {
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("wsman: panic serving a request", "panic", p, "stack", string(debug.Stack()))
			f = newFault(SubcodeInternalError, "", "internal error")
		}
	}()
	env := &st.env
	if env.op == opIdentify {
		h.identify(st, anonymous && !h.anonymousVersion)
		return nil
	}
	timeout := h.opts.DefaultOperationTimeout
	if env.hasTimeout {
		timeout = min(env.timeout, h.opts.MaxOperationTimeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch env.op {
	case opGet:
		return h.get(ctx, st)
	case opEnumerate:
		return h.enumerate(ctx, st, id)
	case opPull:
		return h.pull(st, id)
	case opRelease:
		return h.releaseEnum(st, id)
	case opInvoke:
		return h.invoke(ctx, st)
	}
	return newFault(SubcodeActionNotSupported, DetailActionMismatch, "unsupported operation")
}

// begin writes the start of a response envelope up to the opening of the
// body. action is written followed by suffix.
func (h *handler) begin(st *reqState, action []byte, suffix string, extraNS string) {
	w := &st.out
	w.s(`<s:Envelope xmlns:s="` + uriSOAP + `" xmlns:a="` + uriWSA + `" xmlns:w="` + uriWSMan + `"`)
	w.s(extraNS)
	w.s(`><s:Header><a:To>` + AnonymousAddress + `</a:To><a:Action>`)
	w.textBytes(action)
	w.s(suffix)
	w.s(`</a:Action><a:MessageID>`)
	w.b = h.newMessageID(w.b)
	w.s(`</a:MessageID>`)
	if len(st.env.messageID) > 0 {
		w.s(`<a:RelatesTo>`)
		w.textBytes(st.env.messageID)
		w.s(`</a:RelatesTo>`)
	}
	w.s(`</s:Header><s:Body>`)
}

const (
	nsDeclValues = ` xmlns:xsi="` + uriXSI + `" xmlns:cim="` + uriCIM + `"`
	nsDeclEnum   = ` xmlns:n="` + uriWSEn + `"` + nsDeclValues
	envelopeEnd  = `</s:Body></s:Envelope>`
)

// identify writes the IdentifyResponse. ProductVersion is left out for
// anonymous callers.
func (h *handler) identify(st *reqState, hideVersion bool) {
	w := &st.out
	w.s(`<s:Envelope xmlns:s="` + uriSOAP + `" xmlns:wsmid="` + uriWSMID + `" xmlns:wsmb="` + uriWSMB + `"`)
	if len(st.env.messageID) > 0 {
		w.s(` xmlns:a="` + uriWSA + `"><s:Header><a:MessageID>`)
		w.b = h.newMessageID(w.b)
		w.s(`</a:MessageID><a:RelatesTo>`)
		w.textBytes(st.env.messageID)
		w.s(`</a:RelatesTo></s:Header>`)
	} else {
		w.s(`><s:Header/>`)
	}
	w.s(`<s:Body><wsmid:IdentifyResponse><wsmid:ProtocolVersion>` + uriWSMan + `</wsmid:ProtocolVersion>`)
	w.s(`<wsmid:ProductVendor>` + ProductVendor + `</wsmid:ProductVendor>`)
	if !hideVersion {
		w.s(`<wsmid:ProductVersion>`)
		w.text(h.opts.ProductVersion)
		w.s(`</wsmid:ProductVersion>`)
	}
	if h.opts.Authenticate != nil {
		w.s(`<wsmid:SecurityProfiles><wsmid:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic</wsmid:SecurityProfileName></wsmid:SecurityProfiles>`)
	}
	w.s(`<wsmb:Capability_FaultIncludesCIMError/></wsmid:IdentifyResponse>` + envelopeEnd)
}

// resource parses the request's resource URI, from the cache when it can.
func (h *handler) resource(env *envelope) (resource, *Fault) {
	var ns []byte
	for _, s := range env.selectors {
		if asciiEqualFold(s.name, NamespaceSelector) {
			ns = s.value
			if ns == nil {
				ns = []byte{}
			}
		}
	}
	uri := env.resourceURI
	if ns == nil {
		if r, ok := h.resources.get(uri); ok {
			return r, nil
		}
	}
	r, f := parseResourceURI(uri, ns, h.opts.DefaultNamespace)
	if f == nil && ns == nil {
		h.resources.put(uri, r)
	}
	return r, f
}

// open parses the resource and opens the services of its namespace.
func (h *handler) open(ctx context.Context, env *envelope) (resource, wbem.Services, *Fault) {
	r, f := h.resource(env)
	if f != nil {
		return r, nil, f
	}
	if h.opts.Connector == nil {
		return r, nil, newFault(SubcodeInternalError, "", "no object manager is connected")
	}
	svc, err := h.opts.Connector.Services(ctx, r.namespace)
	if err != nil {
		return r, nil, faultFromError(err, env.op)
	}
	return r, svc, nil
}

// getClass looks the class up, mapping a missing class to
// DestinationUnreachable with InvalidResourceURI.
func getClass(ctx context.Context, svc wbem.Services, r *resource, o op) (*cim.Class, *Fault) {
	c, err := svc.GetClass(ctx, r.class)
	if err != nil {
		f := faultFromError(err, o)
		if f.CIMStatus == status.CIM_ERR_NOT_FOUND || f.CIMStatus == status.CIM_ERR_INVALID_CLASS {
			f.Subcode, f.Detail = SubcodeDestinationUnreachable, DetailInvalidResourceURI
			f.Code, f.Action = "Sender", actionWSAFault
		}
		return nil, f
	}
	return c, nil
}

// findMethod finds a method by name, case-insensitively.
func findMethod(c *cim.Class, name []byte) *cim.Method {
	for _, m := range c.Methods {
		if len(m.Name) == len(name) && asciiEqualFoldStr(name, m.Name) {
			return m
		}
	}
	return nil
}

func (h *handler) invoke(ctx context.Context, st *reqState) *Fault {
	env := &st.env
	d := &st.doc
	r, svc, f := h.open(ctx, env)
	if f != nil {
		return f
	}
	defer svc.Close()
	cls, f := getClass(ctx, svc, &r, opInvoke)
	if f != nil {
		return f
	}
	m := findMethod(cls, env.method)
	if m == nil {
		f := newFault(SubcodeActionNotSupported, DetailActionMismatch,
			"class "+cls.Name+" has no method "+string(env.method))
		f.CIMStatus, f.WBEMCode = status.CIM_ERR_METHOD_NOT_FOUND, status.WBEM_E_INVALID_METHOD
		f.Reason = status.CIM_ERR_METHOD_NOT_FOUND.String() + ": " + f.Message
		return f
	}
	td := typedDecoder{ctx: ctx, d: d, cls: svc, res: &r}
	path, f := td.buildPath(cls, &r, env.selectors, true, 0)
	if f != nil {
		return f
	}
	var in *cim.Instance
	if p := env.payload; p >= 0 {
		ln := d.localName(p)
		if !bytes.HasSuffix(ln, []byte("_INPUT")) || !asciiEqualFoldStr(ln[:len(ln)-6], m.Name) || len(ln)-6 != len(m.Name) {
			return newFault(SubcodeSchemaValidationError, "",
				"the body must be a "+m.Name+"_INPUT element, not "+strconvQuote(ln))
		}
		if sig := m.InSignature(); sig != nil {
			var err error
			if in, err = td.instance(sig, p, "parameter"); err != nil {
				return faultFromError(err, opInvoke)
			}
		} else if d.nodes[p].first >= 0 {
			return newFault(SubcodeInvalidParameter, "", "method "+m.Name+" takes no parameters")
		}
	}
	sink := newCallSink()
	if err := svc.ExecMethodAsync(ctx, path.RelPath(), m.Name, in, 0, nil, sink); err != nil {
		return faultFromError(err, opInvoke)
	}
	select {
	case <-sink.done:
	case <-ctx.Done():
		_ = svc.CancelAsyncCall(sink)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return newFault(SubcodeTimedOut, "", "the operation did not complete within the OperationTimeout")
		}
		return faultFromError(ctx.Err(), opInvoke)
	}
	if sink.err != nil {
		return faultFromError(sink.err, opInvoke)
	}
	h.begin(st, env.action, "Response", nsDeclValues)
	w := &st.out
	w.s("<p:")
	w.raw(env.method)
	w.s(`_OUTPUT xmlns:p="`)
	w.textBytes(env.resourceURI)
	w.s(`">`)
	if out := sink.out; out != nil {
		ve := valueEncoder{w: w, res: &r}
		ret := -1
		for k := 0; k < out.Len(); k++ {
			p, v := out.At(k)
			if strings.EqualFold(p.Name, cim.ReturnValueName) {
				ret = k
				continue
			}
			ve.property("p", p.Name, v, p.EmbeddedClass)
		}
		if ret >= 0 {
			p, v := out.At(ret)
			if !v.IsNull() {
				ve.property("p", cim.ReturnValueName, v, p.EmbeddedClass)
			}
		}
	}
	w.s("</p:")
	w.raw(env.method)
	w.s("_OUTPUT>" + envelopeEnd)
	return h.checkEnvelopeSize(st)
}

// checkEnvelopeSize faults when the response exceeds the client's
// MaxEnvelopeSize.
func (h *handler) checkEnvelopeSize(st *reqState) *Fault {
	if m := st.env.maxEnvelope; m > 0 && len(st.out.b) > m {
		st.out.b = st.out.b[:0]
		return newFault(SubcodeEncodingLimit, DetailMaxEnvelopeSize,
			"the response is larger than the MaxEnvelopeSize of "+strconv.Itoa(m)+" bytes")
	}
	return nil
}

// callSink is the ObjectSink of one invocation: it keeps the first
// out-parameters object and the final status.
type callSink struct {
	mu       sync.Mutex
	out      *cim.Instance
	err      error
	finished bool
	done     chan struct{}
}

func newCallSink() *callSink { return &callSink{done: make(chan struct{})} }

// Indicate keeps a copy of the first object delivered.
func (s *callSink) Indicate(objs []*cim.Instance) status.HRESULT {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.finished && s.out == nil && len(objs) > 0 && objs[0] != nil {
		s.out = objs[0].Clone()
	}
	return status.WBEM_S_NO_ERROR
}

// SetStatus records the final status; progress reports are ignored.
func (s *callSink) SetStatus(flags int32, hr status.HRESULT, param string, errObj *cim.Instance) status.HRESULT {
	if flags != wbem.StatusComplete {
		return status.WBEM_S_NO_ERROR
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return status.WBEM_S_NO_ERROR
	}
	s.finished = true
	if hr.Failed() && s.err == nil {
		e := cim.ErrorFromExtendedStatus(hr, errObj)
		if e.Description == "" {
			e.Description = param
		}
		s.err = e
	}
	if !hr.Failed() {
		s.err = nil
	}
	close(s.done)
	return status.WBEM_S_NO_ERROR
}

// FinalError implements wbem.FinalErrorReceiver: an in-process engine
// hands over its own error, which keeps the exact CIM status.
func (s *callSink) FinalError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.finished {
		s.err = err
	}
}

func (h *handler) get(ctx context.Context, st *reqState) *Fault {
	env := &st.env
	r, svc, f := h.open(ctx, env)
	if f != nil {
		return f
	}
	defer svc.Close()
	cls, f := getClass(ctx, svc, &r, opGet)
	if f != nil {
		return f
	}
	td := typedDecoder{ctx: ctx, d: &st.doc, cls: svc, res: &r}
	path, f := td.buildPath(cls, &r, env.selectors, true, 0)
	if f != nil {
		return f
	}
	if !path.IsInstance() {
		return newFault(SubcodeInvalidSelectors, DetailInsufficientSelectors, "Get needs the key selectors of "+cls.Name)
	}
	inst, err := svc.GetInstance(ctx, path.RelPath())
	if err != nil {
		return faultFromError(err, opGet)
	}
	h.begin(st, []byte(ActionGetResponse), "", nsDeclValues)
	ve := valueEncoder{w: &st.out, res: &r}
	ve.instance(inst, h.itemURI(env.resourceURI, &r, inst))
	st.out.s(envelopeEnd)
	return h.checkEnvelopeSize(st)
}

// itemURI is the resource URI an instance is written with: the request's
// for instances of the requested class, the same form for subclasses.
func (h *handler) itemURI(requested []byte, r *resource, inst *cim.Instance) string {
	if inst.ClassName() == r.class || len(inst.ClassName()) == len(r.class) && asciiEqualFoldStr([]byte(inst.ClassName()), r.class) {
		return string(requested)
	}
	return r.uriFor(inst.ClassName())
}

// enumerateRequest is the decoded body of an Enumerate.
type enumerateRequest struct {
	optimize bool
	max      int
	mode     int
}

func (h *handler) decodeEnumerate(d *document, body int32) (enumerateRequest, *Fault) {
	req := enumerateRequest{max: 1, mode: modeObject}
	for c := d.nodes[body].first; c >= 0; c = d.nodes[c].next {
		switch {
		case d.is(c, nsWSMan, "OptimizeEnumeration"):
			req.optimize = true
		case d.is(c, nsWSMan, "MaxElements"):
			n, err := strconv.Atoi(string(d.trimmed(c)))
			if err != nil || n < 1 {
				return req, newFault(SubcodeSchemaValidationError, "", "invalid MaxElements "+strconvQuote(d.trimmed(c)))
			}
			req.max = min(n, maxPullElements)
		case d.is(c, nsWSMan, "EnumerationMode"):
			switch string(d.trimmed(c)) {
			case "EnumerateObjectAndEPR":
				req.mode = modeObjectAndEPR
			case "EnumerateEPR":
				req.mode = modeEPR
			default:
				return req, newFault(SubcodeUnsupportedFeature, DetailEnumerationMode, "unsupported EnumerationMode "+strconvQuote(d.trimmed(c)))
			}
		case d.is(c, nsWSMan, "Filter"), d.is(c, nsWSEn, "Filter"):
			return req, newFault(SubcodeFilteringNotSupported, "", "filtered enumerations are not supported")
		case d.is(c, nsWSEn, "EndTo"):
			return req, newFault(SubcodeUnsupportedFeature, DetailAddressingMode, "EndTo is not supported")
		}
	}
	return req, nil
}

func (h *handler) enumerate(ctx context.Context, st *reqState, id *security.Identity) *Fault {
	env := &st.env
	req, f := h.decodeEnumerate(&st.doc, env.payload)
	if f != nil {
		return f
	}
	r, svc, f := h.open(ctx, env)
	if f != nil {
		return f
	}
	defer svc.Close()
	items, err := svc.EnumerateInstances(ctx, r.class, true)
	if err != nil {
		f := faultFromError(err, opEnumerate)
		if f.CIMStatus == status.CIM_ERR_INVALID_CLASS || f.CIMStatus == status.CIM_ERR_NOT_FOUND {
			f.Subcode, f.Detail = SubcodeDestinationUnreachable, DetailInvalidResourceURI
			f.Code, f.Action = "Sender", actionWSAFault
		}
		return f
	}
	ec := &enumContext{owner: id.User, res: r, uri: string(env.resourceURI), mode: req.mode, items: items}
	h.begin(st, []byte(ActionEnumerateResponse), "", nsDeclEnum)
	w := &st.out
	w.s("<n:EnumerateResponse>")
	ctxAt := len(w.b)
	w.s("<n:EnumerationContext></n:EnumerationContext>")
	// Without optimisation the items always come by Pull, so a context is
	// kept even for an empty enumeration.
	done := false
	if req.optimize {
		w.s("<w:Items>")
		n, f := h.writeItems(st, ec, req.max, len("</w:Items><w:EndOfSequence/></n:EnumerateResponse>"+envelopeEnd))
		if f != nil {
			return f
		}
		ec.pos = n
		done = ec.pos == len(items)
		w.s("</w:Items>")
		if done {
			w.s("<w:EndOfSequence/>")
		}
	}
	w.s("</n:EnumerateResponse>" + envelopeEnd)
	if !done {
		if !h.enum.add(ec) {
			st.out.b = st.out.b[:0]
			return newFault(SubcodeQuotaLimit, "", "too many open enumerations")
		}
		// Insert the context id now that it exists.
		tail := append([]byte(nil), w.b[ctxAt+len("<n:EnumerationContext>"):]...)
		w.b = w.b[:ctxAt+len("<n:EnumerationContext>")]
		w.s(ec.id)
		w.raw(tail)
	}
	return nil
}

// writeItems writes up to max items of ec from ec.pos, as many as fit the
// client's MaxEnvelopeSize with reserve bytes still to come, and returns
// how many it wrote.
func (h *handler) writeItems(st *reqState, ec *enumContext, max, reserve int) (int, *Fault) {
	w := &st.out
	limit := st.env.maxEnvelope
	ve := valueEncoder{w: w, res: &ec.res}
	n := 0
	for ec.pos+n < len(ec.items) && n < max {
		inst := ec.items[ec.pos+n]
		mark := len(w.b)
		switch ec.mode {
		case modeObject:
			ve.instance(inst, h.itemURI([]byte(ec.uri), &ec.res, inst))
		case modeObjectAndEPR:
			w.s("<w:Item>")
			ve.instance(inst, h.itemURI([]byte(ec.uri), &ec.res, inst))
			w.s("<a:EndpointReference>")
			ve.epr(instancePath(inst, &ec.res), 0)
			w.s("</a:EndpointReference></w:Item>")
		case modeEPR:
			w.s("<a:EndpointReference>")
			ve.epr(instancePath(inst, &ec.res), 0)
			w.s("</a:EndpointReference>")
		}
		if limit > 0 && len(w.b)+reserve+64 > limit {
			w.b = w.b[:mark]
			if n == 0 {
				w.b = w.b[:0]
				return 0, newFault(SubcodeEncodingLimit, DetailMaxEnvelopeSize,
					"an item is larger than the MaxEnvelopeSize of "+strconv.Itoa(limit)+" bytes")
			}
			break
		}
		n++
	}
	return n, nil
}

// instancePath is the path of inst for an endpoint reference, located in
// the enumeration's namespace when it has none.
func instancePath(inst *cim.Instance, r *resource) *cim.ObjectPath {
	p := inst.Path()
	if p.Namespace == "" {
		p.Namespace = r.namespace
	}
	return p
}

// enumerationContextOf returns the n:EnumerationContext of a Pull or
// Release body.
func enumerationContextOf(d *document, body int32) ([]byte, *Fault) {
	c := d.child(body, nsWSEn, "EnumerationContext")
	if c < 0 {
		return nil, newFault(SubcodeSchemaValidationError, "", "the EnumerationContext is missing")
	}
	return d.trimmed(c), nil
}

func (h *handler) pull(st *reqState, id *security.Identity) *Fault {
	env := &st.env
	d := &st.doc
	ctxID, f := enumerationContextOf(d, env.payload)
	if f != nil {
		return f
	}
	max := 1
	if c := d.child(env.payload, nsWSEn, "MaxElements"); c >= 0 {
		n, err := strconv.Atoi(string(d.trimmed(c)))
		if err != nil || n < 1 {
			return newFault(SubcodeSchemaValidationError, "", "invalid MaxElements "+strconvQuote(d.trimmed(c)))
		}
		max = min(n, maxPullElements)
	}
	ec, busy := h.enum.acquire(ctxID, id.User)
	if busy {
		return newFault(SubcodeConcurrency, "", "another Pull is using the enumeration context")
	}
	if ec == nil {
		return newFault(SubcodeInvalidEnumerationContext, "", "the enumeration context is unknown or has expired")
	}
	h.begin(st, []byte(ActionPullResponse), "", nsDeclEnum)
	w := &st.out
	w.s("<n:PullResponse>")
	ctxAt := len(w.b)
	w.s("<n:EnumerationContext>")
	w.text(ec.id)
	w.s("</n:EnumerationContext><n:Items>")
	n, f := h.writeItems(st, ec, max, len("</n:Items><n:EndOfSequence/></n:PullResponse>"+envelopeEnd))
	if f != nil {
		h.enum.release(ec, false)
		return f
	}
	ec.pos += n
	done := ec.pos == len(ec.items)
	w.s("</n:Items>")
	if done {
		w.s("<n:EndOfSequence/>")
		// No context once the sequence has ended.
		k := bytes.Index(w.b[ctxAt:], []byte("<n:Items>"))
		w.b = append(w.b[:ctxAt], w.b[ctxAt+k:]...)
	}
	w.s("</n:PullResponse>" + envelopeEnd)
	h.enum.release(ec, done)
	return nil
}

func (h *handler) releaseEnum(st *reqState, id *security.Identity) *Fault {
	ctxID, f := enumerationContextOf(&st.doc, st.env.payload)
	if f != nil {
		return f
	}
	if !h.enum.remove(ctxID, id.User) {
		return newFault(SubcodeInvalidEnumerationContext, "", "the enumeration context is unknown or has expired")
	}
	h.begin(st, []byte(ActionReleaseResponse), "", "")
	st.out.s(envelopeEnd)
	return nil
}

// writeFault writes f as an HTTP 500 SOAP fault.
func (h *handler) writeFault(w http.ResponseWriter, st *reqState, f *Fault, relatesTo []byte) {
	st.out.b = appendFault(st.out.b[:0], f, relatesTo, h.newMessageID, h.machine)
	if f.Subcode == SubcodeInternalError {
		h.log.Warn("wsman: internal error", "reason", f.Reason)
	} else {
		h.log.Debug("wsman: fault", "subcode", f.Subcode, "reason", f.Reason)
	}
	writeResponse(w, http.StatusInternalServerError, st.out.b)
}

// appendFault appends the fault envelope of f.
func appendFault(dst []byte, f *Fault, relatesTo []byte, newID func([]byte) []byte, machine string) []byte {
	w := &xw{b: dst}
	w.s(`<s:Envelope xmlns:s="` + uriSOAP + `" xmlns:a="` + uriWSA + `" xmlns:w="` + uriWSMan + `" xmlns:n="` + uriWSEn + `"><s:Header>`)
	if f.notUnderstood.local != "" {
		w.s(`<s:NotUnderstood qname="nu:`)
		w.attr(f.notUnderstood.local)
		w.s(`" xmlns:nu="`)
		w.attr(f.notUnderstood.space)
		w.s(`"/>`)
	}
	w.s(`<a:To>` + AnonymousAddress + `</a:To><a:Action>`)
	action := f.Action
	if action == "" {
		action = subcodeInfo(f.Subcode).action
	}
	w.text(action)
	w.s(`</a:Action><a:MessageID>`)
	w.b = newID(w.b)
	w.s(`</a:MessageID>`)
	if len(relatesTo) > 0 {
		w.s(`<a:RelatesTo>`)
		w.textBytes(relatesTo)
		w.s(`</a:RelatesTo>`)
	}
	w.s(`</s:Header><s:Body><s:Fault><s:Code><s:Value>s:`)
	w.text(f.Code)
	w.s(`</s:Value>`)
	if f.Subcode != "" {
		w.s(`<s:Subcode><s:Value>`)
		w.text(f.Subcode)
		w.s(`</s:Value></s:Subcode>`)
	}
	w.s(`</s:Code><s:Reason><s:Text xml:lang="en-US">`)
	w.text(f.Reason)
	w.s(`</s:Text></s:Reason><s:Detail>`)
	if f.Detail != "" {
		w.s(`<w:FaultDetail>`)
		w.text(f.Detail)
		w.s(`</w:FaultDetail>`)
	}
	msg := f.Message
	if msg == "" {
		msg = f.Reason
	}
	w.s(`<p:CIM_Error xmlns:p="` + PrefixDMTF + `CIM_Error" xmlns:wsmb="` + uriWSMB + `" xmlns:xsi="` + uriXSI + `" xmlns:cim="` + uriCIM + `" wsmb:IsCIM_Error="true">`)
	w.s(`<p:CIMStatusCode xsi:type="cim:cimUnsignedInt">`)
	w.b = strconv.AppendUint(w.b, uint64(f.CIMStatus), 10)
	w.s(`</p:CIMStatusCode><p:CIMStatusCodeDescription xsi:type="cim:cimString">`)
	w.text(f.CIMStatus.Description())
	w.s(`</p:CIMStatusCodeDescription><p:Message xsi:type="cim:cimString">`)
	w.text(msg)
	w.s(`</p:Message><p:MessageID xsi:type="cim:cimString">`)
	w.text(f.WBEMCode.String())
	w.s(`</p:MessageID><p:OwningEntity xsi:type="cim:cimString">` + ProductVendor + `</p:OwningEntity>`)
	w.s(`<p:PerceivedSeverity xsi:type="cim:cimUnsignedInt">7</p:PerceivedSeverity>`)
	w.s(`<p:ProbableCause xsi:type="cim:cimUnsignedInt">0</p:ProbableCause></p:CIM_Error>`)
	w.s(`<f:WSManFault xmlns:f="` + uriWSManFault + `" Code="`)
	w.b = strconv.AppendUint(w.b, uint64(uint32(f.WBEMCode)), 10)
	w.s(`" Machine="`)
	w.attr(machine)
	w.s(`"><f:Message>`)
	w.text(msg)
	w.s(`</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`)
	return w.b
}
