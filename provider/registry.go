package provider

import (
	"slices"
	"strings"
	"sync"

	"github.com/gowbem/gowbem/status"
)

// Factory creates a provider: a value implementing MethodProvider and
// optionally InstanceProvider, Initializer and Closer. The engine calls it
// once per namespace the provider is used in.
type Factory func() (any, error)

// Registry maps provider names to factories. A __Win32Provider instance in
// the repository names a provider by Name (and CLSID); the engine looks
// the CLSID up first, then the Name. A Registry is safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	m  map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{m: make(map[string]Factory)} }

// Register binds name (case-insensitive) to f. Registering a name twice is
// WBEM_E_PROVIDER_ALREADY_REGISTERED.
func (r *Registry) Register(name string, f Factory) error {
	if name == "" || f == nil {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "provider registration needs a name and a factory")
	}
	key := strings.ToLower(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[key]; dup {
		return status.New(status.WBEM_E_PROVIDER_ALREADY_REGISTERED, "provider %s is already registered", name)
	}
	r.m[key] = f
	return nil
}

// Lookup returns the factory registered under name.
func (r *Registry) Lookup(name string) (Factory, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.m[strings.ToLower(name)]
	return f, ok
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.m))
	for k := range r.m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Module bundles a built-in provider: its name, the MOF that declares its
// classes and registers it (__Win32Provider and
// __MethodProviderRegistration), the namespace that MOF belongs in, and
// the factory.
type Module struct {
	// Name is the provider name the MOF registration uses.
	Name string
	// Namespace is where the MOF is compiled ("root/cimv2").
	Namespace string
	// MOFName names the MOF for error messages; MOF is its text.
	MOFName string
	MOF     []byte
	// New creates the provider.
	New Factory
}

// Register adds the module's factory to r.
func (m *Module) Register(r *Registry) error { return r.Register(m.Name, m.New) }
