package native

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimjson"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// Path is the HTTP path the native protocol is served at.
const Path = "/gowbem/v1"

// Subprotocol is the WebSocket subprotocol of this version of the
// protocol. Clients offer it in Sec-WebSocket-Protocol; the server
// accepts clients that offer none too.
const Subprotocol = "gowbem.v1"

// Version is the protocol version the server announces in its hello
// message.
const Version = 1

// Defaults of HandlerOptions.
const (
	// DefaultMaxMessageSize bounds a WebSocket message from a client.
	DefaultMaxMessageSize = 4 << 20
	// DefaultMaxResultSize bounds one protocol message to a client.
	DefaultMaxResultSize = 64 << 20
	// DefaultMaxInFlight bounds the pending requests of a connection.
	DefaultMaxInFlight = 16384
	// DefaultSendQueueBytes bounds the bytes queued for one peer.
	DefaultSendQueueBytes = 16 << 20
	// DefaultPingInterval is how often a peer is pinged.
	DefaultPingInterval = 30 * time.Second
	// DefaultWriteTimeout is how long a write to a client may take.
	DefaultWriteTimeout = 60 * time.Second
)

// maxServicesPerConn bounds the namespaces one connection may open.
const maxServicesPerConn = 256

// HandlerOptions configures a Handler. Only Connector is required.
type HandlerOptions struct {
	// Connector opens the services of a namespace for a connection; the
	// engine (engine.Engine) implements it. Each connection gets its own
	// Services per namespace, so the engine's per-connection quota applies
	// per WebSocket connection.
	Connector wbem.Connector
	// Logger receives connection-level logs; default slog.Default().
	Logger *slog.Logger
	// Authenticate establishes the caller's identity from the WebSocket
	// handshake request (for example HTTP Basic credentials). An error
	// refuses the connection with 401 Unauthorized. Nil admits everyone
	// as the anonymous remote identity.
	Authenticate func(*http.Request) (*security.Identity, error)
	// MaxMessageSize bounds a WebSocket message from a client; a larger
	// one closes the connection with status 1009. Default 4 MiB.
	MaxMessageSize int64
	// MaxResultSize bounds one message to a client (a sync result or an
	// object); a larger one fails its request with
	// WBEM_E_QUOTA_VIOLATION. Default 64 MiB.
	MaxResultSize int
	// MaxInFlight bounds the requests of one connection that have not
	// completed; more are refused with WBEM_E_QUOTA_VIOLATION. Default
	// 16384.
	MaxInFlight int
	// SendQueueBytes bounds the bytes queued for a client (see the
	// package documentation on backpressure). Default 16 MiB.
	SendQueueBytes int
	// PingInterval is how often an idle-looking connection is pinged;
	// a ping unanswered for another interval closes the connection.
	// Default 30 s; negative disables pings.
	PingInterval time.Duration
	// WriteTimeout closes a connection whose client has not accepted a
	// write for that long. Default 60 s.
	WriteTimeout time.Duration
	// OriginPatterns lists the browser origins allowed besides the
	// server's own host (see websocket.AcceptOptions).
	OriginPatterns []string
}

// Handler serves the native protocol over WebSocket. Mount it at Path.
// It is safe for concurrent use.
type Handler struct {
	opts HandlerOptions
	log  *slog.Logger

	mu     sync.Mutex
	conns  map[*serverConn]struct{}
	closed bool
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler with opts (zero values take the defaults).
func NewHandler(opts HandlerOptions) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	if opts.MaxResultSize <= 0 {
		opts.MaxResultSize = DefaultMaxResultSize
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.SendQueueBytes <= 0 {
		opts.SendQueueBytes = DefaultSendQueueBytes
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = DefaultPingInterval
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	return &Handler{opts: opts, log: opts.Logger, conns: make(map[*serverConn]struct{})}
}

// anonymous returns the identity of unauthenticated remote callers.
func anonymous(r *http.Request) *security.Identity {
	return &security.Identity{User: "anonymous", Remote: true, Method: "none", UID: -1, Source: "tcp:" + r.RemoteAddr}
}

// ServeHTTP upgrades the request to a WebSocket connection and serves it
// until either side closes it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.opts.Connector == nil {
		http.Error(w, "native protocol: no object manager", http.StatusServiceUnavailable)
		return
	}
	var id *security.Identity
	if h.opts.Authenticate == nil {
		id = anonymous(r)
	} else {
		var err error
		id, err = h.opts.Authenticate(r)
		if err != nil || id == nil {
			h.log.Info("native: authentication failed", "remote", r.RemoteAddr, "err", err)
			w.Header().Set("WWW-Authenticate", `Basic realm="wbemd", charset="UTF-8"`)
			http.Error(w, "authentication failed", http.StatusUnauthorized)
			return
		}
		if id.Source == "" {
			// The authenticator decides whether the caller is remote
			// (a Unix-socket caller is not); only the source is filled in.
			cp := *id
			cp.Source = "tcp:" + r.RemoteAddr
			id = &cp
		}
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:    []string{Subprotocol},
		OriginPatterns:  h.opts.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		h.log.Info("native: handshake failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	c := h.newConn(ws, id)
	if c == nil {
		_ = ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	c.serve()
}

// Close closes every connection; their pending calls are cancelled.
// Later connections are refused. http.Server.Shutdown does not close
// WebSocket connections, so servers call Close (or register it with
// http.Server.RegisterOnShutdown).
func (h *Handler) Close() error {
	h.mu.Lock()
	h.closed = true
	conns := make([]*serverConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close(websocket.StatusGoingAway, "server shutting down")
		<-c.finished
	}
	return nil
}

// Connections returns the number of open connections.
func (h *Handler) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// serverConn is one client connection.
type serverConn struct {
	h        *Handler
	ws       *websocket.Conn
	id       *security.Identity
	ctx      context.Context // identity; cancelled at teardown
	cancel   context.CancelFunc
	execCtx  context.Context // identity; never cancelled (Services.Close ends calls)
	out      *outbox
	hardMax  int
	finished chan struct{}

	writeStart atomic.Int64 // unix nanoseconds a write began, 0 when idle

	mu       sync.Mutex
	calls    map[uint64]*serverCall
	services map[string]wbem.Services
	closed   bool
}

func (h *Handler) newConn(ws *websocket.Conn, id *security.Identity) *serverConn {
	ctx, cancel := context.WithCancel(security.WithIdentity(context.Background(), id))
	c := &serverConn{
		h: h, ws: ws, id: id, ctx: ctx, cancel: cancel,
		execCtx:  security.WithIdentity(context.Background(), id),
		out:      newOutbox(h.opts.SendQueueBytes),
		hardMax:  4*h.opts.SendQueueBytes + 1<<20,
		finished: make(chan struct{}),
		calls:    make(map[uint64]*serverCall),
		services: make(map[string]wbem.Services),
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		cancel()
		return nil
	}
	h.conns[c] = struct{}{}
	return c
}

func (c *serverConn) serve() {
	defer close(c.finished)
	opts := &c.h.opts
	c.ws.SetReadLimit(opts.MaxMessageSize)
	go func() {
		err := c.out.run(func(b []byte) error {
			c.writeStart.Store(time.Now().UnixNano())
			err := c.ws.Write(context.Background(), websocket.MessageText, b)
			c.writeStart.Store(0)
			return err
		})
		if err != nil {
			_ = c.ws.CloseNow()
		}
	}()
	stopKeepalive := c.keepalive()
	hello := message{op: opHello, version: Version, server: "gowbem",
		maxMessageSize: opts.MaxMessageSize, maxInFlight: int64(opts.MaxInFlight)}
	c.out.pushForce(appendMessage(nil, &hello))

	err := c.readLoop()
	stopKeepalive()
	c.teardown(err)
}

// keepalive starts the pinger and the write watchdog; it returns a
// function that stops them.
func (c *serverConn) keepalive() func() {
	opts := &c.h.opts
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		period := opts.WriteTimeout / 4
		if opts.PingInterval > 0 && opts.PingInterval/4 < period {
			period = opts.PingInterval / 4
		}
		period = max(period, 50*time.Millisecond)
		t := time.NewTicker(period)
		defer t.Stop()
		lastPing := time.Now()
		var pinging atomic.Bool
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				if ws := c.writeStart.Load(); ws != 0 && now.Sub(time.Unix(0, ws)) > opts.WriteTimeout {
					c.h.log.Info("native: client stopped reading; closing", "user", c.id.User, "source", c.id.Source)
					_ = c.ws.CloseNow()
					return
				}
				if opts.PingInterval > 0 && now.Sub(lastPing) >= opts.PingInterval && !pinging.Load() {
					lastPing = now
					pinging.Store(true)
					go func() {
						defer pinging.Store(false)
						ctx, cancel := context.WithTimeout(c.ctx, opts.PingInterval)
						defer cancel()
						if err := c.ws.Ping(ctx); err != nil && c.ctx.Err() == nil {
							c.h.log.Info("native: ping failed; closing", "source", c.id.Source, "err", err)
							_ = c.ws.CloseNow()
						}
					}()
				}
			}
		}
	})
	return func() {
		close(stop)
		wg.Wait()
	}
}

// readLoop reads and handles messages until the connection fails.
func (c *serverConn) readLoop() error {
	var (
		buf   []byte
		m     message
		codec codec
	)
	for {
		if err := c.waitRoom(); err != nil {
			return err
		}
		var err error
		buf, err = readWS(c.ws, buf)
		if err != nil {
			return err
		}
		lines(buf, func(line []byte) {
			err := codec.decode(line, &m)
			if err != nil {
				c.protocolError(&m, err)
				return
			}
			c.handle(&m)
		})
		if cap(buf) > maxSpare {
			buf = nil
		}
	}
}

// waitRoom holds the reader back while the client has not taken what
// the server sent it: a client that does not read cannot make the
// server queue without bound. The write watchdog ends the wait for a
// client that never reads again.
func (c *serverConn) waitRoom() error {
	o := c.out
	for {
		o.mu.Lock()
		if o.closed {
			err := o.err
			o.mu.Unlock()
			if err == nil {
				err = io.EOF
			}
			return err
		}
		if o.pending <= o.limit {
			o.mu.Unlock()
			return nil
		}
		room := o.room
		o.mu.Unlock()
		<-room
	}
}

// readWS reads the next WebSocket message into buf.
func readWS(ws *websocket.Conn, buf []byte) ([]byte, error) {
	_, r, err := ws.Reader(context.Background())
	if err != nil {
		return buf, err
	}
	if cap(buf) < 32<<10 {
		buf = make([]byte, 0, 32<<10)
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// teardown ends the connection: pending calls are cancelled (the
// providers' contexts too) and nothing more is sent.
func (c *serverConn) teardown(err error) {
	c.out.close(err)
	_ = c.ws.CloseNow()
	c.mu.Lock()
	c.closed = true
	svcs := make([]wbem.Services, 0, len(c.services))
	for _, s := range c.services {
		svcs = append(svcs, s)
	}
	c.mu.Unlock()
	c.cancel()
	for _, s := range svcs {
		_ = s.Close()
	}
	<-c.out.done
	h := c.h
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	if err != nil && websocket.CloseStatus(err) == -1 && !errors.Is(err, io.EOF) {
		h.log.Debug("native: connection ended", "user", c.id.User, "source", c.id.Source, "err", err)
	}
}

// protocolError answers a message that could not be decoded: against its
// id when it has one that is not in use, else as a connection-level
// error (id 0).
func (c *serverConn) protocolError(m *message, err error) {
	id := m.id
	if id != 0 {
		c.mu.Lock()
		_, busy := c.calls[id]
		c.mu.Unlock()
		if busy || (m.op != opNone && !m.op.isRequest()) {
			id = 0
		}
	}
	c.sendError(id, err, id == 0)
}

// sendError sends the final status err for request id. Connection-level
// errors (id 0) are dropped when the send queue is full.
func (c *serverConn) sendError(id uint64, err error, droppable bool) {
	m := message{op: opComplete, id: id, hr: status.Code(err), err: status.AsError(err)}
	bp := c.out.getBuf()
	*bp = appendMessage(*bp, &m)
	if droppable {
		c.out.push(*bp)
	} else {
		c.pushFinal(*bp)
	}
	c.out.putBuf(bp)
}

// pushFinal queues a final message whatever the soft limit; past the hard
// limit the connection is closed as a client that does not read.
func (c *serverConn) pushFinal(b []byte) {
	o := c.out
	o.mu.Lock()
	over := o.pending > c.hardMax
	o.mu.Unlock()
	if over {
		c.h.log.Info("native: send queue overflow; closing", "source", c.id.Source)
		o.close(status.New(status.WBEM_E_QUOTA_VIOLATION, "send queue overflow"))
		_ = c.ws.CloseNow()
		return
	}
	o.pushForce(b)
}

// handle serves one decoded message.
func (c *serverConn) handle(m *message) {
	if !m.op.isRequest() {
		c.sendError(m.id, status.New(status.WBEM_E_INVALID_PARAMETER, "%s is not a request", m.op), m.id == 0)
		return
	}
	if m.op == opCancel {
		c.cancelCall(m.id)
		return
	}
	svc, err := c.servicesFor(m.ns)
	if err != nil {
		c.sendError(m.id, err, false)
		return
	}
	if m.op == opOpen {
		res := message{op: opResult, id: m.id, res: resNamespace, ns: svc.Namespace()}
		bp := c.out.getBuf()
		*bp = appendMessage(*bp, &res)
		c.pushFinal(*bp)
		c.out.putBuf(bp)
		return
	}
	call := &serverCall{c: c, id: m.id, op: m.op, svc: svc}
	if m.op != opExec && m.op != opExecMethod {
		var ctx context.Context
		ctx, call.cancel = context.WithCancel(c.ctx)
		if !c.register(call) {
			call.cancel()
			return
		}
		req := *m
		go c.runSync(ctx, call, &req)
		return
	}
	flags := m.flags
	if m.op == opExecMethod && flags != 0 {
		c.sendError(m.id, status.New(status.WBEM_E_INVALID_PARAMETER, "execMethod flags must be 0"), false)
		return
	}
	if !c.register(call) {
		return
	}
	if err := svc.ExecMethodAsync(c.execCtx, m.path, m.method, m.in, flags, m.context, call); err != nil {
		c.unregister(call)
		c.sendError(m.id, err, false)
	}
}

// register adds call to the table; on failure it answers the request and
// returns false.
func (c *serverConn) register(call *serverCall) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	if _, dup := c.calls[call.id]; dup {
		c.mu.Unlock()
		c.sendError(0, status.New(status.WBEM_E_INVALID_PARAMETER, "request id %d is already in use", call.id), true)
		return false
	}
	if len(c.calls) >= c.h.opts.MaxInFlight {
		c.mu.Unlock()
		c.sendError(call.id, status.New(status.WBEM_E_QUOTA_VIOLATION,
			"too many requests in flight on this connection (limit %d)", c.h.opts.MaxInFlight), false)
		return false
	}
	c.calls[call.id] = call
	c.mu.Unlock()
	return true
}

// unregister removes call from the table, if it is still there.
func (c *serverConn) unregister(call *serverCall) {
	c.mu.Lock()
	if c.calls[call.id] == call {
		delete(c.calls, call.id)
	}
	c.mu.Unlock()
}

// cancelCall cancels the pending request id; an unknown id (already
// complete) is ignored.
func (c *serverConn) cancelCall(id uint64) {
	c.mu.Lock()
	call := c.calls[id]
	c.mu.Unlock()
	if call == nil {
		return
	}
	if call.cancel != nil {
		call.cancel()
		return
	}
	_ = call.svc.CancelAsyncCall(call)
}

// servicesFor returns the connection's services of namespace ns, opening
// them on first use.
func (c *serverConn) servicesFor(ns string) (wbem.Services, error) {
	if ns == "" {
		return nil, status.New(status.WBEM_E_INVALID_NAMESPACE, "request without a namespace")
	}
	key := strings.ToLower(strings.ReplaceAll(ns, `\`, "/"))
	c.mu.Lock()
	svc := c.services[key]
	n := len(c.services)
	c.mu.Unlock()
	if svc != nil {
		return svc, nil
	}
	if n >= maxServicesPerConn {
		return nil, status.New(status.WBEM_E_QUOTA_VIOLATION, "too many namespaces open on this connection")
	}
	svc, err := c.h.opts.Connector.Services(c.execCtx, ns)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = svc.Close()
		return nil, status.New(status.WBEM_E_TRANSPORT_FAILURE, "connection closed")
	}
	if old := c.services[key]; old != nil {
		c.mu.Unlock()
		_ = svc.Close()
		return old, nil
	}
	c.services[key] = svc
	c.mu.Unlock()
	return svc, nil
}

// runSync runs a synchronous operation on its own goroutine and sends its
// result.
func (c *serverConn) runSync(ctx context.Context, call *serverCall, req *message) {
	defer call.cancel()
	svc := call.svc
	res := message{op: opResult, id: req.id}
	var err error
	switch req.op {
	case opGetClass:
		res.res = resClass
		res.resClass, err = svc.GetClass(ctx, req.class)
	case opEnumerateClasses:
		res.res = resClasses
		res.classes, err = svc.EnumerateClasses(ctx, req.class, req.deep)
	case opEnumerateClassNames:
		res.res = resNames
		res.names, err = svc.EnumerateClassNames(ctx, req.class, req.deep)
	case opGetInstance:
		res.res = resInstance
		res.instance, err = svc.GetInstance(ctx, req.path)
	case opEnumerateInstances:
		res.res = resInstances
		res.instances, err = svc.EnumerateInstances(ctx, req.class, req.deep)
	case opEnumerateInstanceNames:
		res.res = resPaths
		res.paths, err = svc.EnumerateInstanceNames(ctx, req.class)
	case opGetQualifier:
		res.res = resQualifier
		res.qualifier, err = svc.GetQualifier(ctx, req.name)
	case opEnumerateQualifiers:
		res.res = resQualifiers
		res.qualifiers, err = svc.EnumerateQualifiers(ctx)
	default:
		err = status.New(status.WBEM_E_INVALID_PARAMETER, "%s is not supported", req.op)
	}
	c.unregister(call)
	if err == nil && ctx.Err() != nil {
		err = status.New(status.WBEM_E_CALL_CANCELLED, "request cancelled by the client")
	}
	if err != nil {
		c.sendError(req.id, err, false)
		return
	}
	b := appendMessage(nil, &res)
	if len(b) > c.h.opts.MaxResultSize {
		c.sendError(req.id, status.New(status.WBEM_E_QUOTA_VIOLATION,
			"result of %d bytes exceeds the %d-byte limit", len(b), c.h.opts.MaxResultSize), false)
		return
	}
	if err := c.out.pushWait(c.ctx, b); err != nil {
		return // the connection is closing
	}
}

// serverCall is the sink of one request (a pointer per call, so that
// CancelAsyncCall cancels exactly this call).
type serverCall struct {
	c      *serverConn
	id     uint64
	op     op
	svc    wbem.Services
	cancel context.CancelFunc // synchronous operations

	quota  atomic.Bool
	goErr  error
	out    []byte // execMethod: the encoded out-parameters
	hasOut bool
}

var (
	_ wbem.ObjectSink         = (*serverCall)(nil)
	_ wbem.FinalErrorReceiver = (*serverCall)(nil)
)

// Indicate sends the objects to the client (for execMethod, keeps the
// first as the result). A client that does not read fast enough fails
// the call with WBEM_E_QUOTA_VIOLATION.
func (s *serverCall) Indicate(objs []*cim.Instance) status.HRESULT {
	c := s.c
	if s.op == opExecMethod {
		if !s.hasOut && len(objs) > 0 {
			s.out = cimjson.AppendInstance(s.out[:0], objs[0])
			s.hasOut = true
		}
		return status.WBEM_S_NO_ERROR
	}
	m := message{op: opObject, id: s.id, objects: objs}
	bp := c.out.getBuf()
	*bp = appendMessage(*bp, &m)
	ok := len(*bp) <= c.h.opts.MaxResultSize
	if ok {
		ok, _ = c.out.push(*bp)
	}
	c.out.putBuf(bp)
	if !ok {
		s.quota.Store(true)
		return status.WBEM_E_QUOTA_VIOLATION
	}
	return status.WBEM_S_NO_ERROR
}

// FinalError keeps the Go error of a failed call, which carries details
// (the exact CIM status) that the error object cannot.
func (s *serverCall) FinalError(err error) { s.goErr = err }

// SetStatus sends progress reports and the final status.
func (s *serverCall) SetStatus(flags int32, hr status.HRESULT, param string, errObj *cim.Instance) status.HRESULT {
	c := s.c
	switch flags {
	case wbem.StatusProgress:
		cur, total := status.SplitProgress(hr)
		m := message{op: opProgress, id: s.id, current: cur, total: total, text: param}
		bp := c.out.getBuf()
		*bp = appendMessage(*bp, &m)
		ok, _ := c.out.push(*bp)
		c.out.putBuf(bp)
		if !ok {
			s.quota.Store(true)
			return status.WBEM_E_QUOTA_VIOLATION
		}
		return status.WBEM_S_NO_ERROR
	case wbem.StatusComplete:
	default:
		return status.WBEM_E_INVALID_PARAMETER
	}
	c.unregister(s)
	m := message{op: opComplete, id: s.id, hr: hr, param: param}
	if hr.Failed() {
		if s.goErr != nil {
			m.err = status.AsError(s.goErr)
		} else {
			m.err = status.AsError(wbem.ErrorFromStatus(hr, param, errObj))
		}
		m.errObj = errObj
		if s.quota.Load() {
			e := *m.err
			e.Code = status.WBEM_E_QUOTA_VIOLATION
			e.Description = "the client does not read results fast enough (send queue full)"
			e.CIMStatusOverride = 0
			m.hr, m.err = e.Code, &e
			if errObj != nil {
				m.errObj = cim.NewExtendedStatus(&e)
			}
		}
	}
	if s.op == opExecMethod && !m.hr.Failed() && len(s.out) > c.h.opts.MaxResultSize {
		m.hr = status.WBEM_E_QUOTA_VIOLATION
		m.err = status.New(m.hr, "out-parameters of %d bytes exceed the %d-byte limit", len(s.out), c.h.opts.MaxResultSize)
	}
	bp := c.out.getBuf()
	if s.op == opExecMethod && !m.hr.Failed() {
		*bp = append(*bp, `{"op":"result","id":`...)
		*bp = appendUint(*bp, s.id)
		*bp = append(*bp, `,"out":`...)
		if s.hasOut {
			*bp = append(*bp, s.out...)
		} else {
			*bp = append(*bp, "null"...)
		}
		*bp = append(*bp, "}\n"...)
	} else {
		*bp = appendMessage(*bp, &m)
	}
	c.pushFinal(*bp)
	c.out.putBuf(bp)
	return status.WBEM_S_NO_ERROR
}

func appendUint(dst []byte, n uint64) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return append(dst, b[i:]...)
		}
	}
}
