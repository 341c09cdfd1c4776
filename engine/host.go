package engine

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
)

// hostKey names a provider host: one provider in one namespace.
type hostKey struct{ ns, name string }

// host is a loaded provider in a namespace: WMI's provider host. It owns
// the provider value, its worker and queue limits, and its memory
// account.
type host struct {
	e    *Engine
	key  hostKey
	ns   string
	name string

	q hostQueue // guarded by e.sched.mu

	ready     atomic.Bool
	loadMu    sync.Mutex
	impl      any
	methods   provider.MethodProvider
	instances provider.InstanceProvider
	closed    bool // guarded by loadMu: the host is stopped for good

	mem    atomic.Int64
	killed atomic.Bool
}

// hostFor returns the host of provider name in namespace ns, creating an
// unloaded one on first use.
func (e *Engine) hostFor(ns, name string) *host {
	k := hostKey{strings.ToLower(ns), strings.ToLower(name)}
	e.hostsMu.Lock()
	defer e.hostsMu.Unlock()
	h := e.hosts[k]
	if h == nil || h.killed.Load() {
		h = &host{e: e, key: k, ns: ns, name: name}
		h.q.maxRunning = e.opts.MaxWorkersPerProvider
		h.q.maxQueue = e.opts.MaxQueuePerProvider
		e.hosts[k] = h
	}
	return h
}

// load creates and initialises the provider on first use (spec §9.5):
// it finds the __Win32Provider registration, checks that a method
// registration exists, creates the provider from the registry and calls
// Initialize. Failures are not cached: the next call tries again.
func (h *host) load() error {
	if h.ready.Load() {
		return nil
	}
	h.loadMu.Lock()
	defer h.loadMu.Unlock()
	if h.ready.Load() {
		return nil
	}
	e := h.e
	if h.closed {
		if h.killed.Load() {
			return status.New(status.WBEM_E_QUOTA_VIOLATION, "provider host %s was stopped", h.name)
		}
		return status.New(status.WBEM_E_SHUTTING_DOWN, "provider host %s is closed", h.name)
	}
	reg, err := e.registration(h.ns, h.name)
	if err != nil {
		e.trace(TraceEvent{Kind: "LoadOperationFailureEvent", Namespace: h.ns, Provider: h.name, Code: status.Code(err), Detail: err.Error()})
		return err
	}
	factory, ok := e.opts.Providers.Lookup(reg.clsid)
	if !ok {
		factory, ok = e.opts.Providers.Lookup(h.name)
	}
	if !ok {
		err := status.New(status.WBEM_E_PROVIDER_LOAD_FAILURE, "no provider %s (CLSID %s) is built into this server", h.name, reg.clsid)
		e.trace(TraceEvent{Kind: "LoadOperationFailureEvent", Namespace: h.ns, Provider: h.name, Code: err.Code, Detail: err.Error()})
		return err
	}
	impl, err := factory()
	if err != nil {
		e.trace(TraceEvent{Kind: "LoadOperationFailureEvent", Namespace: h.ns, Provider: h.name, Code: status.WBEM_E_PROVIDER_LOAD_FAILURE, Detail: err.Error()})
		return status.New(status.WBEM_E_PROVIDER_LOAD_FAILURE, "provider %s could not be created: %v", h.name, err)
	}
	if in, ok := impl.(provider.Initializer); ok {
		svc := &Services{e: e, ns: h.ns, noCalls: true}
		ctx := security.WithIdentity(context.Background(), security.Process())
		if err := in.Initialize(ctx, &provider.InitInfo{Name: h.name, Namespace: h.ns, Services: svc}); err != nil {
			e.trace(TraceEvent{Kind: "InitializationOperationFailureEvent", Namespace: h.ns, Provider: h.name, Code: status.WBEM_E_INITIALIZATION_FAILURE, Detail: err.Error()})
			if c, ok := impl.(provider.Closer); ok {
				_ = c.Close()
			}
			return status.New(status.WBEM_E_INITIALIZATION_FAILURE, "provider %s failed to initialize: %v", h.name, err)
		}
	}
	h.impl = impl
	h.methods, _ = impl.(provider.MethodProvider)
	h.instances, _ = impl.(provider.InstanceProvider)
	h.ready.Store(true)
	e.trace(TraceEvent{Kind: "LoadOperationEvent", Namespace: h.ns, Provider: h.name})
	return nil
}

// registrationInfo is what the engine reads from __Win32Provider.
type registrationInfo struct {
	clsid string
}

// registration looks up the __Win32Provider instance named name in ns and
// checks that a __MethodProviderRegistration refers to it.
func (e *Engine) registration(ns, name string) (*registrationInfo, error) {
	p := &cim.ObjectPath{Class: "__Win32Provider", Keys: []cim.KeyBinding{{Name: "Name", Value: cim.KeyValue{Kind: cim.KeyString, Text: name}}}}
	inst, err := e.repo.Instance(ns, p)
	if err != nil {
		return nil, status.New(status.WBEM_E_PROVIDER_NOT_FOUND, "provider %s is not registered in %s (no __Win32Provider)", name, ns)
	}
	if v := inst.Value("Enabled"); !v.IsNull() && !v.Bool() {
		return nil, status.New(status.WBEM_E_PROVIDER_DISABLED, "provider %s is disabled", name)
	}
	regs, err := e.repo.Instances(ns, "__MethodProviderRegistration", true)
	if err != nil {
		return nil, status.New(status.WBEM_E_PROVIDER_NOT_FOUND, "provider %s has no method registration: %v", name, err)
	}
	found := false
	for _, r := range regs {
		ref := r.Value("Provider").Ref()
		if ref == nil {
			continue
		}
		if kv, ok := ref.Key("Name"); ok && strings.EqualFold(kv.Text, name) {
			found = true
			break
		}
	}
	if !found {
		return nil, status.New(status.WBEM_E_PROVIDER_NOT_FOUND, "provider %s has no __MethodProviderRegistration", name)
	}
	return &registrationInfo{clsid: inst.Value("CLSID").Text()}, nil
}

// Alloc implements provider.Host: it accounts n bytes and stops the host
// when it goes over MemoryPerHost (DD-9).
func (h *host) Alloc(n int64) error {
	if h.mem.Add(n) > h.e.opts.MemoryPerHost {
		h.kill("MemoryPerHost", h.mem.Load())
		return status.New(status.WBEM_E_QUOTA_VIOLATION, "provider host %s is over its memory quota", h.name)
	}
	return nil
}

// Free implements provider.Host.
func (h *host) Free(n int64) { h.mem.Add(-n) }

// kill stops the host for a quota violation: its calls end with
// WBEM_E_QUOTA_VIOLATION, the provider is closed, and the next call gets
// a fresh host.
func (h *host) kill(quota string, value int64) {
	if !h.killed.CompareAndSwap(false, true) {
		return
	}
	e := h.e
	e.log.Warn("provider host stopped: quota reached", "provider", h.name, "namespace", h.ns, "quota", quota, "value", value, "max", e.opts.MemoryPerHost)
	e.trace(TraceEvent{Kind: "HostKilled", Namespace: h.ns, Provider: h.name, Code: status.WBEM_E_QUOTA_VIOLATION,
		Detail: quota})
	e.hostsMu.Lock()
	if e.hosts[h.key] == h {
		delete(e.hosts, h.key)
	}
	e.hostsMu.Unlock()
	// Forget cached dispatch to h before any final status goes out: a
	// client may call again from its sink, and must get a fresh host.
	e.dispatch.Clear()
	e.mu.Lock()
	all := make([]*Services, 0, len(e.services))
	for s := range e.services {
		all = append(all, s)
	}
	e.mu.Unlock()
	for _, s := range all {
		for _, o := range s.ops() {
			if o.onHost(h) {
				o.cancel(status.WBEM_E_QUOTA_VIOLATION)
			}
		}
	}
	h.close()
}

// close releases the provider and stops the host for good. The provider
// fields are left as they are: workers that loaded the host before may
// still be reading them, without a lock.
func (h *host) close() {
	h.loadMu.Lock()
	defer h.loadMu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	h.ready.Store(false)
	if c, ok := h.impl.(provider.Closer); ok {
		if err := c.Close(); err != nil {
			h.e.log.Warn("provider close failed", "provider", h.name, "err", err)
		}
	}
}
