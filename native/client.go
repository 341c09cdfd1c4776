package native

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// Defaults of DialOptions.
const (
	// DefaultClientMaxMessageSize bounds a WebSocket message from the
	// server.
	DefaultClientMaxMessageSize = 128 << 20
	// DefaultDispatchQueue bounds the events queued for sinks.
	DefaultDispatchQueue = 65536
)

// DialOptions configures Dial. The zero value is usable.
type DialOptions struct {
	// User and Password, when User is set, are sent as HTTP Basic
	// credentials on the WebSocket handshake.
	User, Password string
	// TLSConfig configures wss:// connections (ignored when HTTPClient is
	// set).
	TLSConfig *tls.Config
	// HTTPClient performs the handshake; default a client with TLSConfig.
	HTTPClient *http.Client
	// Header holds extra handshake headers.
	Header http.Header
	// MaxMessageSize bounds a WebSocket message from the server; default
	// 128 MiB.
	MaxMessageSize int64
	// SendQueueBytes bounds the bytes queued for the server: calls wait
	// (and respect their context) while it is full. Default 16 MiB.
	SendQueueBytes int
	// DispatchQueue bounds the results queued for sinks: when a sink is
	// slow the connection stops reading, which in turn makes the server
	// hold results back (and, if that lasts, fail calls with
	// WBEM_E_QUOTA_VIOLATION). Default 65536 events.
	DispatchQueue int
	// PingInterval is how often the server is pinged; a ping unanswered
	// for another interval closes the connection. Default 30 s; negative
	// disables pings.
	PingInterval time.Duration
	// Logger receives connection-level logs; default slog.Default().
	Logger *slog.Logger
}

// Conn is a client connection to a server speaking the native protocol.
// It implements wbem.Connector: Services gives the services of a
// namespace, with every operation of wbem.Services carried over the one
// connection. A Conn is safe for concurrent use.
type Conn struct {
	ws   *websocket.Conn
	opts DialOptions
	log  *slog.Logger
	out  *outbox
	disp *dispatcher

	nextID atomic.Uint64

	mu        sync.Mutex
	calls     map[uint64]*clientCall
	closed    bool
	closeCode status.HRESULT // the final status of calls ended by the close
	err       error          // why the connection ended

	serverLimits atomic.Pointer[ServerInfo]
	readerDone   chan struct{}
	done         chan struct{}
}

var (
	_ wbem.Connector = (*Conn)(nil)
	_ io.Closer      = (*Conn)(nil)
)

// ServerInfo is what the server announced in its hello message.
type ServerInfo struct {
	// Version is the protocol version (1).
	Version int64
	// Server names the server software.
	Server string
	// MaxMessageSize bounds the WebSocket messages the server accepts.
	MaxMessageSize int64
	// MaxInFlight bounds the requests pending on one connection.
	MaxInFlight int64
}

// Dial connects to the native protocol endpoint at rawURL: ws:// or
// wss:// (http:// and https:// are taken as ws:// and wss://, wbem://
// and wbems:// too). Without a path, Path is used.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, error) {
	var o DialOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultClientMaxMessageSize
	}
	if o.SendQueueBytes <= 0 {
		o.SendQueueBytes = DefaultSendQueueBytes
	}
	if o.DispatchQueue <= 0 {
		o.DispatchQueue = DefaultDispatchQueue
	}
	if o.PingInterval == 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "invalid URL %q: %v", rawURL, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "ws", "http", "wbem":
		u.Scheme = "ws"
	case "wss", "https", "wbems":
		u.Scheme = "wss"
	default:
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "URL scheme %q is not ws, wss, wbem or wbems", u.Scheme)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = Path
	}
	header := http.Header{}
	for k, v := range o.Header {
		header[k] = v
	}
	if o.User != "" {
		header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(o.User+":"+o.Password)))
	} else if u.User != nil {
		pw, _ := u.User.Password()
		header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
	}
	u.User = nil
	hc := o.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if o.TLSConfig != nil {
			tr.TLSClientConfig = o.TLSConfig.Clone()
		}
		hc = &http.Client{Transport: tr}
	}
	ws, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPClient:      hc,
		HTTPHeader:      header,
		Subprotocols:    []string{Subprotocol},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		if resp != nil {
			switch resp.StatusCode {
			case http.StatusUnauthorized, http.StatusForbidden:
				return nil, status.New(status.WBEM_E_ACCESS_DENIED, "%s: %s", u.Redacted(), resp.Status)
			case http.StatusNotFound:
				return nil, status.New(status.WBEM_E_NOT_SUPPORTED, "%s: no native protocol endpoint (%s)", u.Redacted(), resp.Status)
			}
		}
		return nil, status.New(status.WBEM_E_TRANSPORT_FAILURE, "connecting to %s: %v", u.Redacted(), err)
	}
	ws.SetReadLimit(o.MaxMessageSize)
	c := &Conn{
		ws: ws, opts: o, log: o.Logger,
		out:        newOutbox(o.SendQueueBytes),
		disp:       newDispatcher(o.DispatchQueue),
		calls:      make(map[uint64]*clientCall),
		readerDone: make(chan struct{}),
		done:       make(chan struct{}),
	}
	go func() {
		if err := c.out.run(func(b []byte) error {
			return ws.Write(context.Background(), websocket.MessageText, b)
		}); err != nil {
			_ = ws.CloseNow()
		}
	}()
	go func() {
		c.disp.run(c.deliver)
		close(c.done)
	}()
	go c.readLoop()
	if o.PingInterval > 0 {
		go c.pinger(o.PingInterval)
	}
	return c, nil
}

// Services implements wbem.Connector: it opens namespace ns on the
// server (checking that it exists and that the connection's user may
// use it) and returns its services. The identity in ctx is not used: the
// server knows the caller from the connection's credentials.
func (c *Conn) Services(ctx context.Context, ns string) (wbem.Services, error) {
	s := &clientServices{c: c, ns: ns, bySink: make(map[wbem.ObjectSink]*clientCall)}
	m, err := s.roundTrip(ctx, &message{op: opOpen})
	if err != nil {
		return nil, err
	}
	if m.ns != "" {
		s.ns = m.ns
	}
	return s, nil
}

// Close closes the connection. Pending asynchronous calls end with
// WBEM_E_CALL_CANCELLED (delivered to their sinks asynchronously; see
// Done), synchronous ones return it, and the server cancels them too.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closeCode == 0 {
		c.closeCode = status.WBEM_E_CALL_CANCELLED
	}
	c.mu.Unlock()
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	<-c.readerDone
	return nil
}

// Done returns a channel that is closed when the connection has ended and
// every pending call has had its final status delivered.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended, or nil while it is open.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// ServerInfo returns what the server announced when the connection
// opened, or nil when its hello has not arrived yet.
func (c *Conn) ServerInfo() *ServerInfo { return c.serverLimits.Load() }

// Pending returns the number of requests waiting for a reply.
func (c *Conn) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

func (c *Conn) pinger(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.readerDone:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), every)
			err := c.ws.Ping(ctx)
			cancel()
			if err != nil {
				select {
				case <-c.readerDone:
				default:
					c.log.Info("native: server does not answer pings; closing", "err", err)
					_ = c.ws.CloseNow()
				}
				return
			}
		}
	}
}

// register adds call to the table under a new id.
func (c *Conn) register(call *clientCall) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.closedError()
	}
	call.id = c.nextID.Add(1)
	c.calls[call.id] = call
	return nil
}

func (c *Conn) closedError() error {
	if c.closeCode == status.WBEM_E_CALL_CANCELLED {
		return status.New(status.WBEM_E_TRANSPORT_FAILURE, "the connection is closed")
	}
	return status.New(status.WBEM_E_TRANSPORT_FAILURE, "the connection to the server is lost: %v", c.err)
}

// forget removes call from the table; it reports whether it was there.
func (c *Conn) forget(call *clientCall) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls[call.id] == call {
		delete(c.calls, call.id)
		return true
	}
	return false
}

// sendCancel tells the server to cancel request id.
func (c *Conn) sendCancel(id uint64) {
	m := message{op: opCancel, id: id}
	bp := c.out.getBuf()
	*bp = appendMessage(*bp, &m)
	c.out.pushForce(*bp)
	c.out.putBuf(bp)
}

// readLoop reads the server's messages and routes them: replies to
// synchronous requests straight to their callers, events of asynchronous
// calls to the dispatcher, which calls the sinks.
func (c *Conn) readLoop() {
	var (
		buf   []byte
		m     message
		codec codec
		batch []event
		err   error
	)
	for {
		buf, err = readWS(c.ws, buf)
		if err != nil {
			break
		}
		lines(buf, func(line []byte) {
			if err := codec.decode(line, &m); err != nil {
				c.log.Warn("native: undecodable message from the server", "err", err)
				if m.id == 0 {
					return
				}
				// End the call it was meant for rather than leave it
				// waiting for a final status that will not come.
				m = message{op: opComplete, id: m.id, hr: status.WBEM_E_INVALID_STREAM,
					err: status.New(status.WBEM_E_INVALID_STREAM, "undecodable message from the server: %v", err)}
			}
			batch = c.route(&m, batch)
		})
		if len(batch) > 0 {
			c.disp.push(batch, false)
			clear(batch)
			batch = batch[:0]
		}
		if cap(buf) > maxSpare {
			buf = nil
		}
	}
	c.shutdown(err)
}

// route handles one message from the server.
func (c *Conn) route(m *message, batch []event) []event {
	switch m.op {
	case opHello:
		c.serverLimits.Store(&ServerInfo{Version: m.version, Server: m.server,
			MaxMessageSize: m.maxMessageSize, MaxInFlight: m.maxInFlight})
		return batch
	case opObject, opProgress, opComplete, opResult:
	default:
		c.log.Warn("native: unexpected message from the server", "op", m.op.String())
		return batch
	}
	if m.id == 0 {
		c.log.Warn("native: the server reports a protocol error", "err", m.err)
		return batch
	}
	final := m.op == opComplete || m.op == opResult
	c.mu.Lock()
	call := c.calls[m.id]
	if call != nil && final {
		delete(c.calls, m.id)
	}
	c.mu.Unlock()
	if call == nil {
		return batch // cancelled locally, or unknown
	}
	if call.sync {
		if final {
			reply := *m
			call.reply <- &reply
		}
		return batch
	}
	switch m.op {
	case opObject:
		return append(batch, event{call: call, kind: evObject, objs: m.objects})
	case opProgress:
		return append(batch, event{call: call, kind: evProgress, cur: m.current, total: m.total, text: m.text})
	case opComplete:
		return append(batch, event{call: call, kind: evComplete, hr: m.hr, text: m.param, err: m.err, errObj: m.errObj})
	}
	// A result for an exec request: end the call rather than leave it
	// waiting.
	return append(batch, event{call: call, kind: evComplete, hr: status.WBEM_E_INVALID_STREAM,
		err: status.New(status.WBEM_E_INVALID_STREAM, "the server answered an exec request with a result")})
}

// shutdown ends every pending call once the connection has ended.
func (c *Conn) shutdown(err error) {
	c.mu.Lock()
	c.closed = true
	code := c.closeCode
	if code == 0 {
		code = status.WBEM_E_TRANSPORT_FAILURE
		c.closeCode = code
	}
	if err == nil {
		err = io.EOF
	}
	c.err = err
	var async []*clientCall
	var sync []*clientCall
	for _, call := range c.calls {
		if call.sync {
			sync = append(sync, call)
		} else {
			async = append(async, call)
		}
	}
	c.calls = map[uint64]*clientCall{}
	c.mu.Unlock()
	c.out.close(err)
	_ = c.ws.CloseNow()
	var final *status.Error
	if code == status.WBEM_E_CALL_CANCELLED {
		final = status.New(code, "the connection was closed by the client")
	} else {
		final = status.New(code, "the connection to the server is lost: %v", err)
	}
	for _, call := range sync {
		call.reply <- &message{op: opComplete, id: call.id, hr: code, err: final}
	}
	c.disp.push([]event{{kind: evLost, hr: code, err: final, lost: async}}, true)
	c.disp.close()
	close(c.readerDone)
	if code != status.WBEM_E_CALL_CANCELLED && !errors.Is(err, io.EOF) {
		c.log.Info("native: connection lost", "err", err)
	}
}

// deliver runs on the dispatcher goroutine: it makes the sink callbacks
// of one event.
func (c *Conn) deliver(ev *event) {
	call := ev.call
	switch ev.kind {
	case evObject:
		if call.enter() {
			call.leave(call.sink.Indicate(ev.objs))
		}
	case evProgress:
		if call.sendStatus && call.enter() {
			call.leave(call.sink.SetStatus(wbem.StatusProgress, status.MakeProgress(ev.cur, ev.total), ev.text, nil))
		}
	case evComplete:
		call.complete(ev.hr, ev.text, ev.err, ev.errObj)
	case evLost:
		for _, call := range ev.lost {
			call.cancel(ev.hr, ev.err, false)
		}
	}
}

// event kinds.
const (
	evObject uint8 = iota + 1
	evProgress
	evComplete
	evLost
)

// event is one thing to tell a sink.
type event struct {
	call       *clientCall
	kind       uint8
	cur, total uint16
	hr         status.HRESULT
	objs       []*cim.Instance
	text       string
	err        *status.Error
	errObj     *cim.Instance
	lost       []*clientCall
}

// dispatcher runs sink callbacks on one goroutine, in the order the
// events arrived, so that the connection's reader never waits for a sink
// and a sink may call the connection's synchronous operations.
type dispatcher struct {
	mu     sync.Mutex
	q      []event
	spare  []event
	max    int
	closed bool
	wake   chan struct{}
	room   chan struct{}
}

func newDispatcher(max int) *dispatcher {
	return &dispatcher{max: max, wake: make(chan struct{}, 1), room: make(chan struct{})}
}

// push queues evs, waiting while the queue is full unless force is set.
func (d *dispatcher) push(evs []event, force bool) {
	d.mu.Lock()
	for len(d.q) >= d.max && !d.closed && !force {
		room := d.room
		d.mu.Unlock()
		<-room
		d.mu.Lock()
	}
	wasEmpty := len(d.q) == 0
	d.q = append(d.q, evs...)
	d.mu.Unlock()
	if wasEmpty {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

// close makes run return once the queue is empty.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) run(deliver func(*event)) {
	for {
		d.mu.Lock()
		for len(d.q) == 0 && !d.closed {
			d.mu.Unlock()
			<-d.wake
			d.mu.Lock()
		}
		if len(d.q) == 0 {
			d.mu.Unlock()
			return
		}
		batch := d.q
		d.q = d.spare[:0]
		d.spare = nil
		close(d.room)
		d.room = make(chan struct{})
		d.mu.Unlock()
		for i := range batch {
			deliver(&batch[i])
		}
		clear(batch)
		d.mu.Lock()
		if cap(batch) <= 4*d.max {
			d.spare = batch[:0]
		}
		d.mu.Unlock()
	}
}

// clientServices is the wbem.Services of one namespace over a Conn.
type clientServices struct {
	c  *Conn
	ns string

	mu     sync.Mutex
	bySink map[wbem.ObjectSink]*clientCall // list heads, linked by prev/next
	closed bool
}

var _ wbem.Services = (*clientServices)(nil)

// clientCall is one request: a synchronous one waits on reply; an
// asynchronous one drives its sink through the state machine of the
// engine's operations (spec §2.5): exactly one final status, callbacks
// serialised, a cancel never waits for a callback in progress.
type clientCall struct {
	c          *Conn
	svc        *clientServices
	id         uint64
	sync       bool
	reply      chan *message
	sink       wbem.ObjectSink
	path       string
	sendStatus bool

	mu         sync.Mutex
	inCallback bool
	cancelled  bool
	finalSent  bool
	cancelCode status.HRESULT
	cancelErr  *status.Error
	stopWatch  func() bool
	linked     bool
	prev, next *clientCall // the svc.bySink list of the same sink
}

// Namespace implements wbem.Services.
func (s *clientServices) Namespace() string { return s.ns }

// link adds call to the sink table; it fails when the services are
// closed.
func (s *clientServices) link(call *clientCall) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return status.New(status.WBEM_E_INVALID_OPERATION, "the services object is closed")
	}
	head := s.bySink[call.sink]
	call.next = head
	if head != nil {
		head.prev = call
	}
	s.bySink[call.sink] = call
	call.linked = true
	return nil
}

// unlink removes call from the sink table.
func (s *clientServices) unlink(call *clientCall) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !call.linked {
		return
	}
	call.linked = false
	if call.prev != nil {
		call.prev.next = call.next
	} else if call.next != nil {
		s.bySink[call.sink] = call.next
	} else {
		delete(s.bySink, call.sink)
	}
	if call.next != nil {
		call.next.prev = call.prev
	}
	call.prev, call.next = nil, nil
}

// ExecMethodAsync implements wbem.Services. The call is queued for the
// server and the method returns at once; argument errors found locally
// are returned and the sink is never called. Errors the server finds when
// starting the call (an unknown class, the quota) arrive as the final
// status. Cancelling ctx cancels the call like CancelAsyncCall.
func (s *clientServices) ExecMethodAsync(ctx context.Context, path, method string, in *cim.Instance, flags int32, wctx *cim.NamedValues, sink wbem.ObjectSink) error {
	if err := wbem.CheckAsyncArgs(path, method, flags, sink); err != nil {
		return err
	}
	c := s.c
	call := &clientCall{c: c, svc: s, sink: sink, path: path, sendStatus: flags&wbem.FlagSendStatus != 0}
	if err := c.register(call); err != nil {
		return err
	}
	if err := s.link(call); err != nil {
		c.forget(call)
		return err
	}
	m := message{op: opExec, id: call.id, ns: s.ns, path: path, method: method, in: in, flags: flags, context: wctx}
	bp := c.out.getBuf()
	*bp = appendMessage(*bp, &m)
	err := c.out.pushWait(ctx, *bp)
	c.out.putBuf(bp)
	if err != nil {
		if !c.forget(call) {
			// The connection ended meanwhile and has taken the call:
			// its sink gets the final status, so this start succeeded.
			return nil
		}
		s.unlink(call)
		return err
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() {
			call.cancel(status.WBEM_E_CALL_CANCELLED, nil, true)
		})
		call.mu.Lock()
		if call.finalSent {
			call.mu.Unlock()
			stop()
		} else {
			call.stopWatch = stop
			call.mu.Unlock()
		}
	}
	return nil
}

// enter claims the right to call the sink; false when the call has
// ended or is being cancelled.
func (k *clientCall) enter() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cancelled || k.finalSent {
		return false
	}
	k.inCallback = true
	return true
}

// leave ends a callback: a failed callback cancels the call (A11), and a
// cancel that came during the callback is completed here (DD-10).
func (k *clientCall) leave(hr status.HRESULT) {
	k.mu.Lock()
	k.inCallback = false
	notify := false
	if hr.Failed() && !k.cancelled {
		k.cancelled = true
		k.cancelCode = status.WBEM_E_CALL_CANCELLED
		notify = true
	}
	if !k.cancelled || k.finalSent {
		k.mu.Unlock()
		return
	}
	k.finalSent = true
	k.inCallback = true
	code, err := k.cancelCode, k.cancelErr
	k.mu.Unlock()
	if notify && k.c.forget(k) {
		k.c.sendCancel(k.id)
	}
	k.deliverFinal(code, "", err, nil)
}

// complete delivers the server's final status, unless the call has
// already ended locally.
func (k *clientCall) complete(hr status.HRESULT, param string, err *status.Error, errObj *cim.Instance) {
	k.mu.Lock()
	if k.finalSent {
		k.mu.Unlock()
		return
	}
	k.finalSent = true
	k.cancelled = true
	k.inCallback = true
	k.mu.Unlock()
	k.deliverFinal(hr, param, err, errObj)
}

// cancel ends the call with code locally; notify also asks the server
// to cancel it. It never waits for a callback in progress. It reports
// whether the call was still pending.
func (k *clientCall) cancel(code status.HRESULT, err *status.Error, notify bool) bool {
	k.mu.Lock()
	if k.finalSent {
		k.mu.Unlock()
		return false
	}
	if k.cancelled {
		k.mu.Unlock()
		return true // already cancelled; the final follows the callback
	}
	k.cancelled = true
	k.cancelCode, k.cancelErr = code, err
	deliver := !k.inCallback
	if deliver {
		k.finalSent = true
		k.inCallback = true
	}
	k.mu.Unlock()
	if notify && k.c.forget(k) {
		k.c.sendCancel(k.id)
	}
	if deliver {
		k.deliverFinal(code, "", err, nil)
	}
	return true
}

// deliverFinal makes the one final callback and releases the call.
func (k *clientCall) deliverFinal(hr status.HRESULT, param string, err *status.Error, errObj *cim.Instance) {
	if hr.Failed() {
		if err == nil {
			if hr == status.WBEM_E_CALL_CANCELLED && errObj == nil {
				err = &status.Error{Code: hr, Description: "call cancelled by the client",
					Operation: "ExecMethod", ParameterInfo: k.path}
			} else {
				err = status.AsError(wbem.ErrorFromStatus(hr, param, errObj))
			}
		}
		if errObj == nil {
			errObj = cim.NewExtendedStatus(err)
		}
		if r, ok := k.sink.(wbem.FinalErrorReceiver); ok {
			r.FinalError(err)
		}
	} else {
		errObj = nil
	}
	k.sink.SetStatus(wbem.StatusComplete, hr, param, errObj)
	k.mu.Lock()
	k.inCallback = false
	stop := k.stopWatch
	k.stopWatch = nil
	k.mu.Unlock()
	if stop != nil {
		stop()
	}
	k.svc.unlink(k)
}

// CancelAsyncCall implements wbem.Services: every pending call of sink on
// these services gets its final WBEM_E_CALL_CANCELLED at once (the
// server's own final status for it is then dropped), and the server is
// asked to cancel it, which cancels the provider's context.
func (s *clientServices) CancelAsyncCall(sink wbem.ObjectSink) error {
	if err := wbem.CheckSink(sink); err != nil {
		return err
	}
	s.mu.Lock()
	var list []*clientCall
	for k := s.bySink[sink]; k != nil; k = k.next {
		list = append(list, k)
	}
	s.mu.Unlock()
	found := false
	for _, k := range list {
		if k.cancel(status.WBEM_E_CALL_CANCELLED, nil, true) {
			found = true
		}
	}
	if !found {
		return status.New(status.WBEM_E_NOT_FOUND, "no pending call uses this sink")
	}
	return nil
}

// Close implements wbem.Services: pending calls end with
// WBEM_E_CALL_CANCELLED and further calls fail. The connection stays
// open (close it with Conn.Close).
func (s *clientServices) Close() error {
	s.mu.Lock()
	s.closed = true
	var list []*clientCall
	for _, head := range s.bySink {
		for k := head; k != nil; k = k.next {
			list = append(list, k)
		}
	}
	s.mu.Unlock()
	for _, k := range list {
		k.cancel(status.WBEM_E_CALL_CANCELLED, nil, true)
	}
	return nil
}

// roundTrip sends a synchronous request and waits for its reply. If ctx
// ends first, the server is asked to cancel the request and the error is
// WBEM_E_CALL_CANCELLED (WBEM_E_TIMED_OUT for a deadline).
func (s *clientServices) roundTrip(ctx context.Context, req *message) (*message, error) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, status.New(status.WBEM_E_INVALID_OPERATION, "the services object is closed")
	}
	c := s.c
	call := &clientCall{c: c, svc: s, sync: true, reply: make(chan *message, 1)}
	if err := c.register(call); err != nil {
		return nil, err
	}
	req.id, req.ns = call.id, s.ns
	bp := c.out.getBuf()
	*bp = appendMessage(*bp, req)
	err := c.out.pushWait(ctx, *bp)
	c.out.putBuf(bp)
	var m *message
	if err != nil {
		if c.forget(call) {
			return nil, err
		}
		// The connection ended meanwhile and answers the call.
		m = <-call.reply
	} else {
		select {
		case m = <-call.reply:
		case <-ctx.Done():
			if !c.forget(call) {
				m = <-call.reply // the reply won the race
				break
			}
			c.sendCancel(call.id)
			code := status.WBEM_E_CALL_CANCELLED
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				code = status.WBEM_E_TIMED_OUT
			}
			return nil, status.New(code, "%s: %v", req.op, ctx.Err())
		}
	}
	if m.op == opComplete {
		if m.err != nil {
			e := *m.err
			if e.Code == 0 {
				e.Code = m.hr
			}
			return nil, &e
		}
		if m.hr.Failed() {
			return nil, &status.Error{Code: m.hr}
		}
		return nil, status.New(status.WBEM_E_INVALID_STREAM, "the server answered %s without a result", req.op)
	}
	return m, nil
}

// GetClass implements wbem.Services.
func (s *clientServices) GetClass(ctx context.Context, className string) (*cim.Class, error) {
	m, err := s.roundTrip(ctx, &message{op: opGetClass, class: className})
	if err != nil {
		return nil, err
	}
	if m.resClass == nil {
		return nil, status.New(status.WBEM_E_INVALID_STREAM, "getClass result without a class")
	}
	return m.resClass, nil
}

// EnumerateClasses implements wbem.Services.
func (s *clientServices) EnumerateClasses(ctx context.Context, superClass string, deep bool) ([]*cim.Class, error) {
	m, err := s.roundTrip(ctx, &message{op: opEnumerateClasses, class: superClass, deep: deep})
	if err != nil {
		return nil, err
	}
	return m.classes, nil
}

// EnumerateClassNames implements wbem.Services.
func (s *clientServices) EnumerateClassNames(ctx context.Context, superClass string, deep bool) ([]string, error) {
	m, err := s.roundTrip(ctx, &message{op: opEnumerateClassNames, class: superClass, deep: deep})
	if err != nil {
		return nil, err
	}
	return m.names, nil
}

// GetInstance implements wbem.Services. The instance is built on a class
// made from what the server sent (property types and keys); use GetClass
// for the full class.
func (s *clientServices) GetInstance(ctx context.Context, path string) (*cim.Instance, error) {
	m, err := s.roundTrip(ctx, &message{op: opGetInstance, path: path})
	if err != nil {
		return nil, err
	}
	if m.instance == nil {
		return nil, status.New(status.WBEM_E_INVALID_STREAM, "getInstance result without an instance")
	}
	return m.instance, nil
}

// EnumerateInstances implements wbem.Services.
func (s *clientServices) EnumerateInstances(ctx context.Context, className string, deep bool) ([]*cim.Instance, error) {
	m, err := s.roundTrip(ctx, &message{op: opEnumerateInstances, class: className, deep: deep})
	if err != nil {
		return nil, err
	}
	return m.instances, nil
}

// EnumerateInstanceNames implements wbem.Services.
func (s *clientServices) EnumerateInstanceNames(ctx context.Context, className string) ([]*cim.ObjectPath, error) {
	m, err := s.roundTrip(ctx, &message{op: opEnumerateInstanceNames, class: className})
	if err != nil {
		return nil, err
	}
	return m.paths, nil
}

// GetQualifier implements wbem.Services.
func (s *clientServices) GetQualifier(ctx context.Context, name string) (*cim.QualifierDecl, error) {
	m, err := s.roundTrip(ctx, &message{op: opGetQualifier, name: name})
	if err != nil {
		return nil, err
	}
	if m.qualifier == nil {
		return nil, status.New(status.WBEM_E_INVALID_STREAM, "getQualifier result without a declaration")
	}
	return m.qualifier, nil
}

// EnumerateQualifiers implements wbem.Services.
func (s *clientServices) EnumerateQualifiers(ctx context.Context) ([]*cim.QualifierDecl, error) {
	m, err := s.roundTrip(ctx, &message{op: opEnumerateQualifiers})
	if err != nil {
		return nil, err
	}
	return m.qualifiers, nil
}

// ExecMethod implements wbem.Services: the synchronous mode, one request
// and one reply over the connection.
func (s *clientServices) ExecMethod(ctx context.Context, path, method string, in *cim.Instance, wctx *cim.NamedValues) (*cim.Instance, error) {
	switch {
	case path == "":
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "object path is empty")
	case method == "":
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "method name is empty")
	}
	m, err := s.roundTrip(ctx, &message{op: opExecMethod, path: path, method: method, in: in, context: wctx})
	if err != nil {
		return nil, err
	}
	return m.instance, nil
}
