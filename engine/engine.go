// Package engine is the object manager of gowbem: it owns the namespaces
// (through a Repository), checks every method call in the order the spec
// gives, dispatches it to the method provider registered for the class,
// and enforces the sink contract towards the client whatever the provider
// does: exactly one final status, callbacks serialised per call, progress
// only when asked for, cancellation that also cancels the provider's
// context, panics and missing statuses turned into the right codes, and
// bounded concurrency.
//
// The engine knows no wire format. Transports and in-process clients reach
// it through wbem.Services values returned by Engine.Services.
//
// Lock order (outer first): Engine.mu (services set) → a Services
// operation-table shard's mu → op.mu (operation state) → hostsMu / host.loadMu →
// scheduler.mu (worker pools). register takes op.mu under the shard's mu and
// start keeps it through the checks (Authorizer, repository, dispatch
// cache) so that no cancel sees a half-built operation; a slow Authorizer
// therefore delays a cancel of that call. No lock is held while a
// provider or a client sink is called.
package engine

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// Repository is what the engine needs from the object store;
// *repository.Repository implements it.
type Repository interface {
	HasNamespace(ns string) bool
	GetClass(ns, name string) (*cim.Class, error)
	ClassNames(ns, super string, deep bool) ([]string, error)
	Classes(ns, super string, deep bool) ([]*cim.Class, error)
	QualifierDecl(ns, name string) (*cim.QualifierDecl, error)
	QualifierDecls(ns string) ([]*cim.QualifierDecl, error)
	Instance(ns string, path *cim.ObjectPath) (*cim.Instance, error)
	Instances(ns, class string, deep bool) ([]*cim.Instance, error)
}

// Options configures an Engine. Only Repository is required.
type Options struct {
	// Repository holds namespaces, classes, qualifiers, static instances
	// and provider registrations.
	Repository Repository
	// Providers maps the provider names used in registrations to Go
	// factories. Nil means no providers.
	Providers *provider.Registry
	// Authorizer checks namespace rights on every call; nil allows all.
	Authorizer security.Authorizer
	// ServerName is the computer name reported in __SERVER and accepted in
	// object paths; default: the host name.
	ServerName string

	// MaxPendingPerConnection bounds the asynchronous operations one
	// Services value may have outstanding (DD-27); default 1000.
	MaxPendingPerConnection int
	// MaxPending bounds the operations outstanding in the whole engine;
	// default 1,000,000.
	MaxPending int
	// MaxWorkers bounds provider calls executing at once in the whole
	// engine; default 4096. MaxQueue bounds the calls waiting for a worker;
	// default 65536.
	MaxWorkers int
	MaxQueue   int
	// MaxWorkersPerProvider and MaxQueuePerProvider bound one provider
	// host (DD-34: 256 threads per host); defaults 256 and 16384.
	MaxWorkersPerProvider int
	MaxQueuePerProvider   int
	// OperationTimeout ends calls whose provider has not reported a final
	// status within it, with WBEM_E_PROVIDER_TIMED_OUT (DD-31); 0 = none.
	OperationTimeout time.Duration
	// MemoryPerHost bounds the memory a provider host may account through
	// provider.Call.Alloc; over it the host is stopped and its calls end
	// with WBEM_E_QUOTA_VIOLATION (DD-9, DD-34). Default 512 MiB.
	MemoryPerHost int64
	// MaxPendingPerUser bounds the operations one user (Identity.User)
	// may have outstanding across all its connections; a call over it
	// fails at once with WBEM_E_QUOTA_VIOLATION. Default 10,000. Calls
	// of the server's own in-process identity (security.Process()) are
	// not counted; MaxPending bounds them.
	//
	// The memory held by pending results needs no limit of its own: the
	// engine keeps no results (a provider's Indicate goes straight to the
	// client's sink), so a pending call holds its operation record
	// (bounded by the pending limits), what its provider holds (accounted
	// with provider.Host.Alloc, bounded by MemoryPerHost) and what the
	// client's sink or transport buffers (bounded there, e.g. by the
	// native transport's send queue).
	MaxPendingPerUser int

	// Logger receives operational logs; default slog.Default().
	Logger *slog.Logger
	// Trace, when set, receives trace events (provider load, host killed,
	// the _Pre and _Post events around each provider call).
	Trace func(TraceEvent)
	// Audit, when set, receives one line per method call (level Info,
	// message "ExecMethod") just before its final status is delivered, or
	// when it is refused synchronously, with the attributes user, source,
	// namespace, path, method, code (hex), status (name) and duration
	// (from the call to its final status; 0 for a refusal).
	Audit *slog.Logger
}

// TraceEvent is an engine trace event, the counterpart of WMI's
// MSFT_WmiProvider_* troubleshooting events.
type TraceEvent struct {
	Kind      string // "ExecMethodAsyncEvent_Pre", "ExecMethodAsyncEvent_Post", "LoadOperationEvent", "LoadOperationFailureEvent", "InitializationOperationFailureEvent", "HostKilled"
	Namespace string
	Provider  string
	Class     string
	Method    string
	Code      status.HRESULT
	Detail    string
}

// Engine is the object manager. Create it with New; it is safe for
// concurrent use.
type Engine struct {
	opts    Options
	repo    Repository
	log     *slog.Logger
	server  string
	sched   *scheduler
	pending atomic.Int64

	closed   atomic.Bool
	mu       sync.Mutex
	services map[*Services]struct{}

	hostsMu sync.Mutex
	hosts   map[hostKey]*host

	// classPaths caches parsed class paths by text (see parsePath);
	// classPathCount bounds it.
	classPaths     sync.Map
	classPathCount atomic.Int64

	// dispatch caches the resolution of (namespace, class, method) to the
	// implementing class and provider host: map[dispatchKey]*dispatchEntry.
	dispatch sync.Map
	// users counts the calls in flight per user: map[string]*userCount.
	users sync.Map
}

// maxCachedClassPaths bounds the parsed class paths the engine keeps.
const maxCachedClassPaths = 4096

// ErrShuttingDown is returned for calls made after Shutdown began.
var ErrShuttingDown = status.WBEM_E_SHUTTING_DOWN

// New returns an engine over opts.Repository.
func New(opts Options) (*Engine, error) {
	if opts.Repository == nil {
		return nil, errors.New("engine: Options.Repository is required")
	}
	setDefault := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	setDefault(&opts.MaxPendingPerConnection, 1000)
	setDefault(&opts.MaxPending, 1_000_000)
	setDefault(&opts.MaxWorkers, 4096)
	setDefault(&opts.MaxQueue, 65536)
	setDefault(&opts.MaxWorkersPerProvider, 256)
	setDefault(&opts.MaxQueuePerProvider, 16384)
	setDefault(&opts.MaxPendingPerUser, 10_000)
	if opts.MemoryPerHost <= 0 {
		opts.MemoryPerHost = 512 << 20
	}
	if opts.Providers == nil {
		opts.Providers = provider.NewRegistry()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ServerName == "" {
		opts.ServerName, _ = os.Hostname()
		if opts.ServerName == "" {
			opts.ServerName = "localhost"
		}
	}
	e := &Engine{
		opts: opts, repo: opts.Repository, log: opts.Logger, server: opts.ServerName,
		services: make(map[*Services]struct{}),
		hosts:    make(map[hostKey]*host),
	}
	e.sched = newScheduler(opts.MaxWorkers, opts.MaxQueue)
	return e, nil
}

// ServerName returns the computer name the engine reports.
func (e *Engine) ServerName() string { return e.server }

// Services returns the services of namespace ns (either separator, any
// case). Each Services value is one client connection: it has its own
// operation table and outstanding-call quota, and Close cancels its
// calls. An unknown namespace is WBEM_E_INVALID_NAMESPACE; the caller
// needs the Enable right on it.
func (e *Engine) Services(ctx context.Context, ns string) (wbem.Services, error) {
	return e.OpenServices(ctx, ns)
}

// OpenServices is Services returning the concrete type.
func (e *Engine) OpenServices(ctx context.Context, ns string) (*Services, error) {
	name, err := e.resolveNamespace(ns)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, name, security.Enable); err != nil {
		return nil, err
	}
	s := &Services{e: e, ns: name}
	if e.closed.Load() {
		return nil, status.New(status.WBEM_E_SHUTTING_DOWN, "the object manager is shutting down")
	}
	e.mu.Lock()
	e.services[s] = struct{}{}
	e.mu.Unlock()
	return s, nil
}

// resolveNamespace checks a connection-level namespace string (spec §6.4)
// and returns the namespace with '/' separators.
func (e *Engine) resolveNamespace(ns string) (string, error) {
	server, name, err := cim.ParseNamespace(ns)
	if err != nil {
		return "", err
	}
	if server != "" && !e.isLocalServer(server) {
		return "", status.New(status.WBEM_E_NOT_SUPPORTED, "server %s is not this object manager", server)
	}
	if !e.repo.HasNamespace(name) {
		return "", status.New(status.WBEM_E_INVALID_NAMESPACE, "namespace %s does not exist", ns)
	}
	return name, nil
}

// isLocalServer reports whether a server name in a path means this
// machine (P9): ".", "localhost" or the server name, any case.
func (e *Engine) isLocalServer(s string) bool {
	return s == "." || strings.EqualFold(s, "localhost") || strings.EqualFold(s, e.server) ||
		s == "127.0.0.1" || s == "::1"
}

func (e *Engine) authorize(ctx context.Context, ns string, r security.Rights) error {
	if e.opts.Authorizer == nil {
		return nil
	}
	return e.opts.Authorizer.Authorize(ctx, security.IdentityFrom(ctx), ns, r)
}

func (e *Engine) trace(ev TraceEvent) {
	if e.opts.Trace != nil {
		e.opts.Trace(ev)
	}
}

// Invalidate drops cached method dispatch decisions. Call it after
// changing classes or provider registrations in the repository.
func (e *Engine) Invalidate() { e.dispatch.Clear() }

// Pending returns the number of operations outstanding in the engine.
func (e *Engine) Pending() int { return int(e.pending.Load()) }

// Shutdown stops the engine: new calls fail with WBEM_E_SHUTTING_DOWN at
// once, calls in flight may finish until ctx is done, and those still
// pending then end with WBEM_E_SHUTTING_DOWN (their providers' contexts
// are cancelled). Providers implementing provider.Closer are closed.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.closed.Store(true)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
wait:
	for e.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			break wait
		case <-tick.C:
		}
	}
	e.mu.Lock()
	all := make([]*Services, 0, len(e.services))
	for s := range e.services {
		all = append(all, s)
	}
	e.mu.Unlock()
	for _, s := range all {
		s.cancelAll(status.WBEM_E_SHUTTING_DOWN)
	}
	e.sched.close()
	e.hostsMu.Lock()
	hosts := make([]*host, 0, len(e.hosts))
	for _, h := range e.hosts {
		hosts = append(hosts, h)
	}
	e.hosts = make(map[hostKey]*host)
	e.hostsMu.Unlock()
	for _, h := range hosts {
		h.close()
	}
	return ctx.Err()
}

func (e *Engine) shuttingDown() bool { return e.closed.Load() }

// forget removes a closed Services from the engine's set.
func (e *Engine) forget(s *Services) {
	e.mu.Lock()
	delete(e.services, s)
	e.mu.Unlock()
}
