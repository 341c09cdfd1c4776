package engine

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// Services is the engine's wbem.Services for one namespace and one client
// connection. It keeps the connection's table of asynchronous operations
// (keyed by sink, for CancelAsyncCall) and its outstanding-call quota.
type Services struct {
	e  *Engine
	ns string
	// noCalls marks the Services a provider gets during Initialize: it
	// reads, but starts no method calls.
	noCalls bool

	// The operation table is sharded by sink so that goroutines calling
	// through one connection do not all queue on one lock.
	shards  [opShards]opShard
	pending atomic.Int64
	closed  atomic.Bool
}

// opShards is the number of shards of an operation table.
const opShards = 8

// opShard is one shard of a Services operation table: the pending
// operations of the sinks that hash to it, each sink's operations in a
// list through op.nextSameSink.
type opShard struct {
	mu     sync.Mutex
	bySink map[wbem.ObjectSink]*op
	_      [48]byte // keep shards on separate cache lines
}

// shard returns the shard of sink: by pointer for pointer sinks (the
// usual case, DD-39), shard 0 for other comparable values, whose equal
// copies must meet in one shard.
func (s *Services) shard(sink wbem.ObjectSink) *opShard {
	if reflect.TypeOf(sink).Kind() != reflect.Pointer {
		return &s.shards[0]
	}
	p := uintptr((*[2]unsafe.Pointer)(unsafe.Pointer(&sink))[1])
	return &s.shards[(p>>4^p>>10)%opShards]
}

var _ wbem.Services = (*Services)(nil)

// Namespace implements wbem.Services.
func (s *Services) Namespace() string { return s.ns }

// --- operation table ---

// register adds o to the table, enforcing the per-connection and engine
// quotas (DD-27). On success it returns with o.mu held, taken before o
// became visible in the table: the caller finishes setting o up and
// unlocks it, so that a concurrent cancel never sees a half-built op.
func (s *Services) register(o *op) error {
	e := s.e
	if s.noCalls {
		return status.New(status.WBEM_E_INVALID_OPERATION, "method calls are not available during provider initialisation")
	}
	if e.pending.Add(1) > int64(e.opts.MaxPending) {
		e.pending.Add(-1)
		return errQuota("engine pending")
	}
	if s.pending.Add(1) > int64(e.opts.MaxPendingPerConnection) {
		s.pending.Add(-1)
		e.pending.Add(-1)
		return errQuota("connection pending")
	}
	sh := s.shard(o.sink)
	sh.mu.Lock()
	if s.closed.Load() {
		sh.mu.Unlock()
		s.pending.Add(-1)
		e.pending.Add(-1)
		return status.New(status.WBEM_E_INVALID_OPERATION, "the services object is closed")
	}
	if sh.bySink == nil {
		sh.bySink = make(map[wbem.ObjectSink]*op)
	}
	o.mu.Lock()
	o.nextSameSink = sh.bySink[o.sink]
	sh.bySink[o.sink] = o
	sh.mu.Unlock()
	return nil
}

// unregister removes o from the table.
func (s *Services) unregister(o *op) {
	sh := s.shard(o.sink)
	sh.mu.Lock()
	head := sh.bySink[o.sink]
	if head == o {
		if o.nextSameSink == nil {
			delete(sh.bySink, o.sink)
		} else {
			sh.bySink[o.sink] = o.nextSameSink
		}
	} else {
		for p := head; p != nil; p = p.nextSameSink {
			if p.nextSameSink == o {
				p.nextSameSink = o.nextSameSink
				break
			}
		}
	}
	o.nextSameSink = nil
	sh.mu.Unlock()
	s.pending.Add(-1)
	s.e.pending.Add(-1)
	s.e.releaseUser(o)
}

// ops returns the pending operations.
func (s *Services) ops() []*op {
	out := make([]*op, 0, s.pending.Load())
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, head := range sh.bySink {
			for o := head; o != nil; o = o.nextSameSink {
				out = append(out, o)
			}
		}
		sh.mu.Unlock()
	}
	return out
}

func (s *Services) cancelAll(code status.HRESULT) {
	// Nothing pending: skip the shards (CIM-XML and WS-Man close a
	// Services after every request). A call registering concurrently
	// counted itself before this load, or sees closed under its shard's
	// lock and is refused.
	if s.pending.Load() == 0 {
		return
	}
	for _, o := range s.ops() {
		o.cancel(code)
	}
}

// CancelAsyncCall implements wbem.Services (spec §2.6): every pending
// operation of sink gets one final SetStatus(WBEM_E_CALL_CANCELLED) and
// its provider context is cancelled; the provider is not otherwise told
// (a provider that ignores its context runs to completion and its later
// callbacks are dropped). It does not wait for a callback in progress.
func (s *Services) CancelAsyncCall(sink wbem.ObjectSink) error {
	if err := wbem.CheckSink(sink); err != nil {
		return err
	}
	sh := s.shard(sink)
	sh.mu.Lock()
	var list []*op
	for o := sh.bySink[sink]; o != nil; o = o.nextSameSink {
		list = append(list, o)
	}
	sh.mu.Unlock()
	if len(list) == 0 {
		return status.New(status.WBEM_E_NOT_FOUND, "no pending call uses this sink")
	}
	for _, o := range list {
		o.cancel(status.WBEM_E_CALL_CANCELLED)
	}
	return nil
}

// Close implements wbem.Services: pending calls end with
// WBEM_E_CALL_CANCELLED and further calls fail.
func (s *Services) Close() error {
	// Calls that registered before closed was set are in the table by the
	// time ops takes each shard's lock, so cancelAll reaches them.
	s.closed.Store(true)
	s.cancelAll(status.WBEM_E_CALL_CANCELLED)
	s.e.forget(s)
	return nil
}

// --- method execution ---

// ExecMethodAsync implements wbem.Services (spec §13.1).
func (s *Services) ExecMethodAsync(ctx context.Context, path, method string, in *cim.Instance, flags int32, wctx *cim.NamedValues, sink wbem.ObjectSink) error {
	if err := s.checkAsync(path, method, flags, sink); err != nil {
		if s.e.opts.Audit != nil {
			s.e.audit(security.IdentityFrom(ctx), s.ns, path, method, status.Code(err), 0)
		}
		return err
	}
	return s.start(ctx, path, method, in, flags, wctx, sink, false)
}

// checkAsync performs the argument checks of ExecMethodAsync (step 1,
// answered synchronously: A2).
func (s *Services) checkAsync(path, method string, flags int32, sink wbem.ObjectSink) error {
	if err := wbem.CheckAsyncArgs(path, method, flags, sink); err != nil {
		return err
	}
	if s.e.shuttingDown() {
		return status.New(status.WBEM_E_SHUTTING_DOWN, "the object manager is shutting down")
	}
	return nil
}

// start registers the operation, performs the checks that need no
// provider (steps 4–9) and hands the call to a worker of its provider
// host. Check failures become the final status, delivered asynchronously.
//
// With inline set (synchronous callers), the call runs on the calling
// goroutine when a worker slot is free, before start returns.
func (s *Services) start(ctx context.Context, path, method string, in *cim.Instance, flags int32, wctx *cim.NamedValues, sink wbem.ObjectSink, inline bool) error {
	o := &op{
		svc: s, sink: sink, flags: flags, sendStatus: flags&wbem.FlagSendStatus != 0,
		pathText: path, method: method, caller: ctx,
	}
	if s.e.opts.Audit != nil {
		o.started = time.Now()
	}
	if err := s.e.admitUser(o); err != nil {
		return s.e.refused(o, err)
	}
	if err := s.register(o); err != nil {
		s.e.releaseUser(o)
		return s.e.refused(o, err)
	}
	// o.mu is held until o is set up: a cancel, the timer or the context
	// watch that get at o meanwhile wait for it.
	if err := s.prepare(ctx, o, in, wctx); err != nil {
		o.mu.Unlock()
		go o.SetStatus(err)
		return nil
	}
	if t := s.e.opts.OperationTimeout; t > 0 {
		o.started = time.Now()
		o.timer = time.AfterFunc(t, func() { o.cancel(status.WBEM_E_PROVIDER_TIMED_OUT) })
	}
	if ctx.Done() != nil {
		o.stopWatch = context.AfterFunc(ctx, func() { o.cancel(status.WBEM_E_CALL_CANCELLED) })
	}
	if inline {
		o.mu.Unlock()
		if s.e.sched.runInline(o.host, o) {
			return nil
		}
		o.mu.Lock()
	}
	if err := s.e.sched.submit(o.host, o); err != nil {
		if o.finalSent {
			// Cancelled while o.mu was released for runInline: the
			// sink already has its final status and o is unregistered.
			o.mu.Unlock()
			return nil
		}
		// Refused: o never started. Mark it ended so that a timer or
		// watch firing now does nothing, and keep the sink untouched (A2).
		o.finalSent, o.cancelled = true, true
		o.cancelCtxLocked(context.Canceled)
		stop, t := o.stopWatch, o.timer
		o.mu.Unlock()
		if stop != nil {
			stop()
		}
		if t != nil {
			t.Stop()
		}
		s.unregister(o)
		return s.e.refused(o, err)
	}
	o.mu.Unlock()
	return nil
}

// prepare performs steps 4–9 and 11 of spec §13.1 and fills o.call.
func (s *Services) prepare(ctx context.Context, o *op, in *cim.Instance, wctx *cim.NamedValues) error {
	p, err := s.parsePath(o.pathText)
	if err != nil {
		return err
	}
	if err := s.e.authorize(ctx, s.ns, security.MethodRights(p.Class)); err != nil {
		return err
	}
	ent, err := s.e.resolveDispatch(s.ns, p.Class, o.method)
	if err != nil {
		return err
	}
	if len(p.Keys) > 0 || p.Singleton {
		if p, err = normalizeKeys(ent.class, p); err != nil {
			return err
		}
	}
	if ent.method == nil {
		return ent.err
	}
	if ent.err != nil && status.Code(ent.err) == status.WBEM_E_METHOD_DISABLED {
		return ent.err
	}
	isClassPath := len(p.Keys) == 0 && !p.Singleton
	if isClassPath && !ent.method.IsStatic() {
		return status.New(status.WBEM_E_INVALID_METHOD_PARAMETERS,
			"method %s.%s is not static; call it on an instance path", ent.class.Name, ent.method.Name)
	}
	inParams, err := checkInParams(ent.method, in)
	if err != nil {
		return err
	}
	o.entry = ent
	o.host = ent.host
	o.call = provider.Call{
		Namespace: s.ns, PathText: o.pathText, Path: p, Class: ent.class, Method: ent.method,
		In: inParams, Flags: o.flags & wbem.FlagSendStatus, Context: wctx,
		Caller: security.IdentityFrom(ctx), Services: s,
	}
	if ent.err != nil && (isClassPath || ent.bypass) {
		// Nothing to fetch: the resolution error stands.
		return ent.err
	}
	if o.host == nil {
		// The implementing class may differ for the target's own class;
		// prepareTarget decides on the worker. Queue on a placeholder.
		o.host = s.e.hostFor(s.ns, "")
	}
	return nil
}

// parsePath parses an object path and checks its server and namespace
// against this connection (P9, P10).
//
// Parsed class paths (no keys) are cached by their text: they are the
// common case of static method calls, and the cached value is shared, so
// nothing may modify a path returned here.
func (s *Services) parsePath(text string) (*cim.ObjectPath, error) {
	var p *cim.ObjectPath
	if v, ok := s.e.classPaths.Load(text); ok {
		p = v.(*cim.ObjectPath)
	} else {
		var err error
		if p, err = cim.ParsePath(text); err != nil {
			return nil, err
		}
		if len(p.Keys) == 0 && !p.Singleton && len(text) <= 512 && s.e.classPathCount.Add(1) <= maxCachedClassPaths {
			s.e.classPaths.Store(text, p)
		}
	}
	if p.Server != "" && !s.e.isLocalServer(p.Server) {
		return nil, status.New(status.WBEM_E_NOT_SUPPORTED, "server %s is not this object manager", p.Server)
	}
	if p.Namespace != "" && !sameNamespace(p.Namespace, s.ns) {
		return nil, status.New(status.WBEM_E_INVALID_NAMESPACE, "namespace %s is not %s", p.Namespace, s.ns)
	}
	return p, nil
}

func sameNamespace(a, b string) bool {
	return strings.EqualFold(strings.ReplaceAll(a, `\`, "/"), strings.ReplaceAll(b, `\`, "/"))
}

// prepareTarget runs on the worker: for an instance path it fetches the
// target (spec §13.1 step 10), switches to the target's own class when it
// is a subclass, and settles the implementing class and host.
func (o *op) prepareTarget() error {
	c := &o.call
	p := c.Path
	if len(p.Keys) == 0 && !p.Singleton {
		return o.entry.err
	}
	if o.entry.bypass {
		return o.entry.err
	}
	s := o.svc
	target, err := s.getInstance(o, p, c.Class)
	if err != nil {
		return err
	}
	c.Target = target
	if !strings.EqualFold(target.ClassName(), c.Class.Name) {
		ent, err := s.e.resolveDispatch(s.ns, target.ClassName(), c.Method.Name)
		if err != nil {
			return err
		}
		if ent.method == nil {
			return ent.err
		}
		o.entry = ent
		c.Class, c.Method = ent.class, ent.method
		if ent.host != nil {
			o.mu.Lock()
			o.host = ent.host
			o.mu.Unlock()
		}
	}
	if o.entry.err != nil {
		return o.entry.err
	}
	o.mu.Lock()
	o.host = o.entry.host
	o.mu.Unlock()
	return nil
}

// ExecMethod implements wbem.Services: the synchronous mode, built on the
// asynchronous one (spec §13.2). If ctx ends first, the call is cancelled.
func (s *Services) ExecMethod(ctx context.Context, path, method string, in *cim.Instance, wctx *cim.NamedValues) (*cim.Instance, error) {
	if err := wbem.CheckCallArgs(path, method); err != nil {
		return nil, err
	}
	if s.e.shuttingDown() {
		return nil, status.New(status.WBEM_E_SHUTTING_DOWN, "the object manager is shutting down")
	}
	c := &syncSink{done: make(chan struct{})}
	if err := s.start(ctx, path, method, in, 0, wctx, c, true); err != nil {
		return nil, err
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		_ = s.CancelAsyncCall(c)
		<-c.done
	}
	return c.out, c.err
}

// syncSink collects the result of a synchronous call: the first
// out-parameters object and the final error (the engine's own error
// value, through FinalError).
type syncSink struct {
	out  *cim.Instance
	err  error
	done chan struct{}
}

// Indicate implements wbem.ObjectSink. The engine serialises callbacks of
// one call, so no lock is needed.
func (c *syncSink) Indicate(objs []*cim.Instance) status.HRESULT {
	if c.out == nil && len(objs) > 0 {
		c.out = objs[0]
	}
	return status.WBEM_S_NO_ERROR
}

// FinalError implements wbem.FinalErrorReceiver.
func (c *syncSink) FinalError(err error) { c.err = err }

// SetStatus implements wbem.ObjectSink.
func (c *syncSink) SetStatus(flags int32, hr status.HRESULT, param string, errObj *cim.Instance) status.HRESULT {
	if flags != wbem.StatusComplete {
		return status.WBEM_S_NO_ERROR
	}
	if hr.Failed() {
		if c.err == nil {
			c.err = wbem.ErrorFromStatus(hr, param, errObj)
		}
		c.out = nil // DD-18: a failed call has no out-parameters
	} else {
		c.err = nil
	}
	close(c.done)
	return status.WBEM_S_NO_ERROR
}

// --- reads ---

// GetClass implements wbem.Services.
func (s *Services) GetClass(ctx context.Context, className string) (*cim.Class, error) {
	if err := s.e.authorize(ctx, s.ns, security.Enable); err != nil {
		return nil, err
	}
	c, err := s.e.repo.GetClass(s.ns, className)
	if err != nil {
		return nil, classErr(err, className)
	}
	return c, nil
}

func classErr(err error, className string) error {
	if status.Code(err) == status.WBEM_E_NOT_FOUND {
		return status.New(status.WBEM_E_NOT_FOUND, "class %s does not exist", className)
	}
	return err
}

// EnumerateClasses implements wbem.Services.
func (s *Services) EnumerateClasses(ctx context.Context, superClass string, deep bool) ([]*cim.Class, error) {
	if err := s.e.authorize(ctx, s.ns, security.Enable); err != nil {
		return nil, err
	}
	cs, err := s.e.repo.Classes(s.ns, superClass, deep)
	return cs, classErr(err, superClass)
}

// EnumerateClassNames implements wbem.Services.
func (s *Services) EnumerateClassNames(ctx context.Context, superClass string, deep bool) ([]string, error) {
	if err := s.e.authorize(ctx, s.ns, security.Enable); err != nil {
		return nil, err
	}
	ns, err := s.e.repo.ClassNames(s.ns, superClass, deep)
	return ns, classErr(err, superClass)
}

// GetQualifier implements wbem.Services.
func (s *Services) GetQualifier(ctx context.Context, name string) (*cim.QualifierDecl, error) {
	if err := s.e.authorize(ctx, s.ns, security.Enable); err != nil {
		return nil, err
	}
	return s.e.repo.QualifierDecl(s.ns, name)
}

// EnumerateQualifiers implements wbem.Services.
func (s *Services) EnumerateQualifiers(ctx context.Context) ([]*cim.QualifierDecl, error) {
	if err := s.e.authorize(ctx, s.ns, security.Enable); err != nil {
		return nil, err
	}
	return s.e.repo.QualifierDecls(s.ns)
}

// GetInstance implements wbem.Services: static instances come from the
// repository, instances of provider-backed classes from their instance
// provider.
func (s *Services) GetInstance(ctx context.Context, path string) (*cim.Instance, error) {
	if err := s.e.authorize(ctx, s.ns, security.Enable); err != nil {
		return nil, err
	}
	p, err := s.parsePath(path)
	if err != nil {
		return nil, err
	}
	class, err := s.e.repo.GetClass(s.ns, p.Class)
	if err != nil {
		return nil, status.New(status.WBEM_E_INVALID_CLASS, "class %s does not exist", p.Class)
	}
	if len(p.Keys) == 0 && !p.Singleton {
		return nil, status.New(status.WBEM_E_INVALID_OBJECT_PATH, "%s is a class path, not an instance path", path)
	}
	if p, err = normalizeKeys(class, p); err != nil {
		return nil, err
	}
	return s.getInstance(ctx, p, class)
}

// instanceHost returns the loaded host serving instances of class, or nil
// for classes whose instances are static.
func (s *Services) instanceHost(class *cim.Class) (*host, error) {
	name := class.Qualifiers.Text("Provider")
	if name == "" {
		return nil, nil
	}
	h := s.e.hostFor(s.ns, name)
	if err := h.load(); err != nil {
		return nil, err
	}
	if h.instances == nil {
		return nil, nil
	}
	return h, nil
}

// getInstance fetches the instance at p (keys normalised) of class.
func (s *Services) getInstance(ctx context.Context, p *cim.ObjectPath, class *cim.Class) (*cim.Instance, error) {
	h, err := s.instanceHost(class)
	if err != nil {
		return nil, err
	}
	if h != nil {
		inst, err := h.instances.GetInstance(ctx, s.instanceRequest(ctx, class, p))
		if err != nil {
			return nil, err
		}
		if inst == nil {
			return nil, status.New(status.WBEM_E_NOT_FOUND, "%s does not exist", p.RelPath())
		}
		s.locate(inst)
		return inst, nil
	}
	inst, err := s.e.repo.Instance(s.ns, p)
	if err == nil {
		s.locate(inst)
		return inst, nil
	}
	// The path may name a base class of the instance's class.
	subs, _ := s.e.repo.ClassNames(s.ns, class.Name, true)
	for _, sub := range subs {
		q := p.Clone()
		q.Class = sub
		if inst, err2 := s.e.repo.Instance(s.ns, q); err2 == nil {
			s.locate(inst)
			return inst, nil
		}
	}
	return nil, status.New(status.WBEM_E_NOT_FOUND, "%s does not exist", p.RelPath())
}

func (s *Services) locate(inst *cim.Instance) {
	if inst.Namespace == "" {
		inst.Namespace = s.ns
	}
	if inst.Server == "" {
		inst.Server = s.e.server
	}
}

func (s *Services) instanceRequest(ctx context.Context, class *cim.Class, p *cim.ObjectPath) *provider.InstanceRequest {
	return &provider.InstanceRequest{
		Namespace: s.ns, Class: class, Path: p, Caller: security.IdentityFrom(ctx), Services: s,
		NewInstance: func(name string) (*cim.Instance, error) {
			c, err := s.e.repo.GetClass(s.ns, name)
			if err != nil {
				return nil, status.New(status.WBEM_E_INVALID_CLASS, "class %s does not exist", name)
			}
			i := cim.NewInstance(c)
			s.locate(i)
			return i, nil
		},
	}
}

// EnumerateInstances implements wbem.Services. Instances of the class and
// of every subclass are returned; with deep false, only the class's own.
func (s *Services) EnumerateInstances(ctx context.Context, className string, deep bool) ([]*cim.Instance, error) {
	if err := s.e.authorize(ctx, s.ns, security.Enable); err != nil {
		return nil, err
	}
	class, err := s.e.repo.GetClass(s.ns, className)
	if err != nil {
		return nil, status.New(status.WBEM_E_INVALID_CLASS, "class %s does not exist", className)
	}
	classes := []*cim.Class{class}
	if deep {
		subs, err := s.e.repo.Classes(s.ns, class.Name, true)
		if err != nil {
			return nil, err
		}
		classes = append(classes, subs...)
	}
	var out []*cim.Instance
	for _, c := range classes {
		h, err := s.instanceHost(c)
		if err != nil {
			return nil, err
		}
		if h == nil {
			insts, err := s.e.repo.Instances(s.ns, c.Name, false)
			if err != nil {
				return nil, err
			}
			for _, i := range insts {
				s.locate(i)
			}
			out = append(out, insts...)
			continue
		}
		err = h.instances.EnumerateInstances(ctx, s.instanceRequest(ctx, c, nil), func(i *cim.Instance) bool {
			if strings.EqualFold(i.ClassName(), c.Name) {
				s.locate(i)
				out = append(out, i)
			}
			return ctx.Err() == nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EnumerateInstanceNames implements wbem.Services.
func (s *Services) EnumerateInstanceNames(ctx context.Context, className string) ([]*cim.ObjectPath, error) {
	insts, err := s.EnumerateInstances(ctx, className, true)
	if err != nil {
		return nil, err
	}
	out := make([]*cim.ObjectPath, len(insts))
	for i, inst := range insts {
		out[i] = inst.Path()
	}
	return out, nil
}
