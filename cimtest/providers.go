package cimtest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/status"
)

// NewRegistry returns a provider registry binding each name to a factory
// that returns the given provider value (a provider.MethodProvider,
// optionally with the other provider interfaces). It fails the test on a
// registration error.
func NewRegistry(t testing.TB, providers map[string]any) *provider.Registry {
	t.Helper()
	r := provider.NewRegistry()
	for name, p := range providers {
		if err := r.Register(name, func() (any, error) { return p, nil }); err != nil {
			t.Fatalf("cimtest: %v", err)
		}
	}
	return r
}

// Mux is a method provider that dispatches calls by method name, the way
// http.ServeMux dispatches requests by path. A pattern is "Method" or
// "Class.Method" (the latter wins); names compare case-insensitively.
// Calls with no matching pattern fail with WBEM_E_PROVIDER_NOT_CAPABLE.
// Register everything before the first call.
type Mux struct {
	m map[string]provider.MethodProvider
}

var _ provider.MethodProvider = (*Mux)(nil)

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{m: make(map[string]provider.MethodProvider)} }

// Handle registers p for pattern and returns m.
func (m *Mux) Handle(pattern string, p provider.MethodProvider) *Mux {
	m.m[strings.ToLower(pattern)] = p
	return m
}

// HandleFunc registers f for pattern and returns m.
func (m *Mux) HandleFunc(pattern string, f func(ctx context.Context, call *provider.Call, sink provider.Sink) error) *Mux {
	return m.Handle(pattern, provider.MethodProviderFunc(f))
}

// ExecMethod implements provider.MethodProvider.
func (m *Mux) ExecMethod(ctx context.Context, call *provider.Call, sink provider.Sink) error {
	if p := m.m[strings.ToLower(call.Class.Name+"."+call.Method.Name)]; p != nil {
		return p.ExecMethod(ctx, call, sink)
	}
	if p := m.m[strings.ToLower(call.Method.Name)]; p != nil {
		return p.ExecMethod(ctx, call, sink)
	}
	return status.New(status.WBEM_E_PROVIDER_NOT_CAPABLE, "no handler for %s.%s", call.Class.Name, call.Method.Name)
}

// utf16Len returns the length of s in UTF-16 code units.
func utf16Len(s string) uint32 {
	n := uint32(0)
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// Echo returns the Echo method of the WMI SDK sample: it copies the
// string in-parameter sInArg to sOutArg and returns its length in UTF-16
// code units as ReturnValue, then reports success.
func Echo() provider.MethodProvider { return echo{} }

type echo struct{}

func (echo) ExecMethod(ctx context.Context, call *provider.Call, sink provider.Sink) error {
	out, err := call.Method.NewOutParams()
	if err != nil {
		return err
	}
	s := call.Arg("sInArg")
	if err := out.Set("sOutArg", s); err != nil {
		return err
	}
	if err := out.Set(cim.ReturnValueName, cim.NewUint32(utf16Len(s.Text()))); err != nil {
		return err
	}
	if err := sink.Indicate(out); err != nil {
		return err
	}
	sink.SetStatus(nil)
	return nil
}

// Return returns a provider that indicates the method's out-parameters
// with ReturnValue rv and the given out-parameter values, then reports
// success.
func Return(rv any, outs map[string]any) provider.MethodProvider {
	return provider.MethodProviderFunc(func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		out, err := OutParams(call, rv, outs)
		if err != nil {
			return err
		}
		if out != nil {
			if err := sink.Indicate(out); err != nil {
				return err
			}
		}
		sink.SetStatus(nil)
		return nil
	})
}

// OutParams builds the out-parameters of call's method: ReturnValue rv
// (skipped when nil or the method is void) and the given values. It
// returns nil for a method without out-signature.
func OutParams(call *provider.Call, rv any, outs map[string]any) (*cim.Instance, error) {
	if call.Method.OutSignature() == nil {
		return nil, nil
	}
	out, err := call.Method.NewOutParams()
	if err != nil {
		return nil, err
	}
	if rv != nil && call.Method.ReturnType != cim.TypeNone {
		if err := out.Put(cim.ReturnValueName, rv); err != nil {
			return nil, err
		}
	}
	for k, v := range outs {
		if err := out.Put(k, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Succeed returns a provider that reports success without indicating
// anything.
func Succeed() provider.MethodProvider {
	return provider.MethodProviderFunc(func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		sink.SetStatus(nil)
		return nil
	})
}

// Fail returns a provider that returns err from ExecMethod without ever
// calling SetStatus (spec DD-30).
func Fail(err error) provider.MethodProvider {
	return provider.MethodProviderFunc(func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		return err
	})
}

// IndicateThenFail returns a provider that indicates out-parameters with
// ReturnValue 0 and then ends the call with SetStatus(err).
func IndicateThenFail(err error) provider.MethodProvider {
	return provider.MethodProviderFunc(func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		out, e := OutParams(call, uint32(0), nil)
		if e != nil {
			return e
		}
		if out != nil {
			_ = sink.Indicate(out)
		}
		sink.SetStatus(err)
		return nil
	})
}

// Panic returns a provider that panics with v.
func Panic(v any) provider.MethodProvider {
	return provider.MethodProviderFunc(func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		panic(v)
	})
}

// Unruly returns a provider that breaks every rule of the sink after a
// correct result: it indicates out-parameters (ReturnValue 0), reports
// success, then reports a second final status (second), indicates again,
// reports progress, and returns an error from ExecMethod. The engine
// must pass on only the first Indicate and the first final status.
func Unruly(second error) provider.MethodProvider {
	return provider.MethodProviderFunc(func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		out, err := OutParams(call, uint32(0), nil)
		if err != nil {
			return err
		}
		_ = sink.Indicate(out)
		sink.SetStatus(nil)
		sink.SetStatus(second)
		_ = sink.Indicate(out.Clone())
		_ = sink.Progress(1, 2, "late")
		return status.New(status.WBEM_E_FAILED, "error returned after the final status")
	})
}

// ProgressStep is one progress report of Progress.
type ProgressStep struct {
	Current, Total uint16
	Message        string
}

// Progress returns a provider that reports the given progress steps and
// then runs then.
func Progress(then provider.MethodProvider, steps ...ProgressStep) provider.MethodProvider {
	return provider.MethodProviderFunc(func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		for _, s := range steps {
			if err := sink.Progress(s.Current, s.Total, s.Message); err != nil {
				return err
			}
		}
		return then.ExecMethod(ctx, call, sink)
	})
}

// AllocThen returns a provider that accounts n bytes with call.Host.Alloc
// and, if that succeeds, runs then. An Alloc failure is returned.
func AllocThen(n int64, then provider.MethodProvider) provider.MethodProvider {
	return provider.MethodProviderFunc(func(ctx context.Context, call *provider.Call, sink provider.Sink) error {
		if call.Host == nil {
			return errors.New("cimtest: call has no Host")
		}
		if err := call.Host.Alloc(n); err != nil {
			return err
		}
		return then.ExecMethod(ctx, call, sink)
	})
}

// InitFailing is a provider whose Initialize fails with Err.
type InitFailing struct {
	Err error
}

var (
	_ provider.MethodProvider = (*InitFailing)(nil)
	_ provider.Initializer    = (*InitFailing)(nil)
)

// Initialize implements provider.Initializer.
func (p *InitFailing) Initialize(ctx context.Context, info *provider.InitInfo) error { return p.Err }

// ExecMethod implements provider.MethodProvider; it is never reached.
func (p *InitFailing) ExecMethod(ctx context.Context, call *provider.Call, sink provider.Sink) error {
	sink.SetStatus(nil)
	return nil
}

// Blocker is a provider that blocks in ExecMethod until released, then
// runs Then (Succeed when nil). With ObeyContext it also returns
// when its context is cancelled, returning the context's error. It
// records how many calls entered and how many saw their context end.
type Blocker struct {
	// Then runs after Release; nil means Succeed.
	Then provider.MethodProvider
	// ObeyContext makes a blocked call return when ctx is done.
	ObeyContext bool

	once     sync.Once
	release  chan struct{}
	mu       sync.Mutex
	entered  int
	ctxEnded int
	returned int
	ctxErrs  []error
	changed  chan struct{}
}

var _ provider.MethodProvider = (*Blocker)(nil)

func (b *Blocker) init() {
	b.once.Do(func() {
		b.release = make(chan struct{})
		b.changed = make(chan struct{})
	})
}

func (b *Blocker) bump(f func()) {
	b.mu.Lock()
	f()
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// ExecMethod implements provider.MethodProvider.
func (b *Blocker) ExecMethod(ctx context.Context, call *provider.Call, sink provider.Sink) error {
	b.init()
	b.bump(func() { b.entered++ })
	defer b.bump(func() { b.returned++ })
	var done <-chan struct{}
	if b.ObeyContext {
		done = ctx.Done()
	}
	select {
	case <-b.release:
	case <-done:
		b.bump(func() { b.ctxEnded++; b.ctxErrs = append(b.ctxErrs, ctx.Err()) })
		return ctx.Err()
	}
	if ctx.Err() != nil {
		b.bump(func() { b.ctxEnded++; b.ctxErrs = append(b.ctxErrs, ctx.Err()) })
	}
	then := b.Then
	if then == nil {
		then = Succeed()
	}
	return then.ExecMethod(ctx, call, sink)
}

// Release lets every blocked call, and every later one, go on.
func (b *Blocker) Release() {
	b.init()
	select {
	case <-b.release:
	default:
		close(b.release)
	}
}

// Counts returns how many calls entered ExecMethod, how many saw their
// context end, and how many returned.
func (b *Blocker) Counts() (entered, ctxEnded, returned int) {
	b.init()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.entered, b.ctxEnded, b.returned
}

// ContextErrors returns the ctx.Err() values the calls saw.
func (b *Blocker) ContextErrors() []error {
	b.init()
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]error(nil), b.ctxErrs...)
}

// WaitFor waits up to timeout until cond, called with the counts under
// the Blocker's lock, returns true; it fails the test otherwise.
func (b *Blocker) WaitFor(t testing.TB, timeout time.Duration, what string, cond func(entered, ctxEnded, returned int) bool) {
	t.Helper()
	b.init()
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	for {
		b.mu.Lock()
		ok := cond(b.entered, b.ctxEnded, b.returned)
		ch := b.changed
		e, c, r := b.entered, b.ctxEnded, b.returned
		b.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-tm.C:
			t.Fatalf("blocker: %s not reached within %v (entered %d, ctx ended %d, returned %d)", what, timeout, e, c, r)
		}
	}
}

// WaitEntered waits until n calls have entered ExecMethod.
func (b *Blocker) WaitEntered(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	b.WaitFor(t, timeout, "entered", func(e, _, _ int) bool { return e >= n })
}

// Parked is a call held by a Parker.
type Parked struct {
	Ctx  context.Context
	Call *provider.Call
	Sink provider.Sink
}

// Parker is an asynchronous provider that never completes a call by
// itself: ExecMethod stores the call and its sink and returns nil. Tests
// complete the calls later, from their own goroutine, with Release.
type Parker struct {
	mu      sync.Mutex
	parked  []Parked
	total   int
	changed chan struct{}
}

var _ provider.MethodProvider = (*Parker)(nil)

// NewParker returns a Parker with room for n calls.
func NewParker(n int) *Parker {
	return &Parker{parked: make([]Parked, 0, n), changed: make(chan struct{})}
}

// ExecMethod implements provider.MethodProvider.
func (p *Parker) ExecMethod(ctx context.Context, call *provider.Call, sink provider.Sink) error {
	p.mu.Lock()
	p.parked = append(p.parked, Parked{ctx, call, sink})
	p.total++
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	return nil
}

// Len returns the number of calls parked now.
func (p *Parker) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.parked)
}

// Total returns the number of calls ever parked.
func (p *Parker) Total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// WaitParked waits up to timeout until n calls have been parked in total.
func (p *Parker) WaitParked(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	for {
		p.mu.Lock()
		got, ch := p.total, p.changed
		p.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-tm.C:
			t.Fatalf("parker: %d of %d calls parked within %v", got, n, timeout)
		}
	}
}

// Take removes and returns the parked calls.
func (p *Parker) Take() []Parked {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.parked
	p.parked = nil
	return out
}

// Release removes every parked call and completes it with f, or with
// Parked.Succeed when f is nil.
func (p *Parker) Release(f func(Parked)) {
	for _, c := range p.Take() {
		if f == nil {
			c.Succeed()
			continue
		}
		f(c)
	}
}

// Succeed completes the call: it indicates out-parameters with
// ReturnValue 0 (when the method has an out-signature) and reports
// success.
func (c Parked) Succeed() {
	if out, err := OutParams(c.Call, uint32(0), nil); err == nil && out != nil {
		_ = c.Sink.Indicate(out)
	}
	c.Sink.SetStatus(nil)
}

// Run completes the call with provider p, as if p had been called.
func (c Parked) Run(p provider.MethodProvider) error { return p.ExecMethod(c.Ctx, c.Call, c.Sink) }
