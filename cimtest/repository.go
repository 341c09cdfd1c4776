package cimtest

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// Repository is a small in-memory object store for tests: namespaces,
// resolved classes, qualifier declarations and static instances. It has
// the methods the engine needs from a repository (engine.Repository) and
// builder methods that fail the test on error. It is safe for concurrent
// use; build it before handing it to an engine.
//
// It stands in for repository.NewMemory plus the MOF compiler, which are
// meant to replace it behind NewRepository once both exist.
type Repository struct {
	t  testing.TB
	mu sync.RWMutex
	ns map[string]*namespace
}

type namespace struct {
	name      string
	classes   map[string]*cim.Class // lower-case name -> resolved class
	quals     map[string]*cim.QualifierDecl
	instances map[string][]*cim.Instance // lower-case class name -> instances
}

// NewEmptyRepository returns a Repository holding the namespaces root and
// root/cimv2 with the WMI system classes and nothing else. Builder
// methods report errors through t.
func NewEmptyRepository(t testing.TB) *Repository {
	r := &Repository{t: t, ns: make(map[string]*namespace)}
	r.AddNamespace("root")
	r.AddNamespace("root/cimv2")
	return r
}

func nsKey(ns string) string { return strings.ToLower(strings.ReplaceAll(ns, `\`, "/")) }

// AddNamespace creates namespace ns (if missing) with the system classes
// and the standard qualifier declarations.
func (r *Repository) AddNamespace(ns string) {
	r.mu.Lock()
	if _, ok := r.ns[nsKey(ns)]; ok {
		r.mu.Unlock()
		return
	}
	r.ns[nsKey(ns)] = &namespace{
		name:      strings.ReplaceAll(ns, `\`, "/"),
		classes:   make(map[string]*cim.Class),
		quals:     make(map[string]*cim.QualifierDecl),
		instances: make(map[string][]*cim.Instance),
	}
	r.mu.Unlock()
	for _, q := range standardQualifiers() {
		r.AddQualifier(ns, q)
	}
	for _, c := range systemClasses() {
		r.AddClass(ns, c)
	}
}

// AddQualifier stores a qualifier declaration in ns.
func (r *Repository) AddQualifier(ns string, q *cim.QualifierDecl) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.ns[nsKey(ns)]
	if n == nil {
		r.t.Fatalf("cimtest: namespace %s does not exist", ns)
		return
	}
	n.quals[strings.ToLower(q.Name)] = q
}

// AddClass resolves the declared class decl against its superclass (which
// must be stored already), stores it in ns and returns the resolved class.
// A class of the same name is replaced (its subclasses are not
// re-resolved).
func (r *Repository) AddClass(ns string, decl *cim.Class) *cim.Class {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.ns[nsKey(ns)]
	if n == nil {
		r.t.Fatalf("cimtest: namespace %s does not exist", ns)
	}
	var super *cim.Class
	if decl.SuperClass != "" {
		super = n.classes[strings.ToLower(decl.SuperClass)]
		if super == nil {
			r.t.Fatalf("cimtest: class %s: superclass %s is not stored", decl.Name, decl.SuperClass)
		}
	}
	d := decl.Clone()
	d.Namespace = n.name
	c, err := cim.Resolve(d, super)
	if err != nil {
		r.t.Fatalf("cimtest: class %s: %v", decl.Name, err)
	}
	n.classes[strings.ToLower(c.Name)] = c
	return c
}

// NewInstance returns a new instance of class ns:className with the given
// property values (converted with cim.Instance.Put); it is not stored.
func (r *Repository) NewInstance(ns, className string, props map[string]any) *cim.Instance {
	r.t.Helper()
	c, err := r.GetClass(ns, className)
	if err != nil {
		r.t.Fatalf("cimtest: %v", err)
	}
	i := cim.NewInstance(c)
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if err := i.Put(k, props[k]); err != nil {
			r.t.Fatalf("cimtest: %s.%s: %v", className, k, err)
		}
	}
	return i
}

// AddInstance stores a static instance of className in ns, built as
// NewInstance builds it, and returns a copy.
func (r *Repository) AddInstance(ns, className string, props map[string]any) *cim.Instance {
	r.t.Helper()
	i := r.NewInstance(ns, className, props)
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.ns[nsKey(ns)]
	i.Namespace = n.name
	k := strings.ToLower(i.ClassName())
	p := i.Path()
	for idx, old := range n.instances[k] {
		if old.Path().Equal(p) {
			n.instances[k][idx] = i
			return i.Clone()
		}
	}
	n.instances[k] = append(n.instances[k], i)
	return i.Clone()
}

// RemoveInstance deletes the static instance at path from ns and reports
// whether it existed.
func (r *Repository) RemoveInstance(ns string, path *cim.ObjectPath) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.ns[nsKey(ns)]
	if n == nil {
		return false
	}
	k := strings.ToLower(path.Class)
	for idx, old := range n.instances[k] {
		if old.Path().Equal(path) {
			n.instances[k] = slices.Delete(n.instances[k], idx, idx+1)
			return true
		}
	}
	return false
}

// RegisterMethodProvider registers a method provider in ns the way a MOF
// registration does: a __Win32Provider instance with Name name and CLSID
// clsid (left NULL when ""), and a __MethodProviderRegistration pointing
// at it.
func (r *Repository) RegisterMethodProvider(ns, name, clsid string) {
	r.t.Helper()
	r.registerProvider(ns, name, clsid, true)
}

// RegisterDisabledProvider is RegisterMethodProvider with the
// registration's Enabled property FALSE.
func (r *Repository) RegisterDisabledProvider(ns, name string) {
	r.t.Helper()
	r.registerProvider(ns, name, "", false)
}

func (r *Repository) registerProvider(ns, name, clsid string, enabled bool) {
	r.t.Helper()
	props := map[string]any{"Name": name, "Enabled": enabled, "HostingModel": "NetworkServiceHost"}
	if clsid != "" {
		props["CLSID"] = clsid
	}
	r.AddInstance(ns, "__Win32Provider", props)
	ref := &cim.ObjectPath{Class: "__Win32Provider", Keys: []cim.KeyBinding{{Name: "Name", Value: cim.KeyValue{Kind: cim.KeyString, Text: name}}}}
	r.AddInstance(ns, "__MethodProviderRegistration", map[string]any{"Provider": ref})
}

// --- the engine.Repository methods ---

func (r *Repository) namespace(ns string) (*namespace, error) {
	n := r.ns[nsKey(ns)]
	if n == nil {
		return nil, status.New(status.WBEM_E_INVALID_NAMESPACE, "namespace %s does not exist", ns)
	}
	return n, nil
}

// HasNamespace reports whether namespace ns exists (either separator, any
// case).
func (r *Repository) HasNamespace(ns string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.ns[nsKey(ns)]
	return ok
}

// GetClass returns the resolved class name of ns. Errors:
// WBEM_E_INVALID_NAMESPACE, WBEM_E_NOT_FOUND.
func (r *Repository) GetClass(ns, name string) (*cim.Class, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n, err := r.namespace(ns)
	if err != nil {
		return nil, err
	}
	c := n.classes[strings.ToLower(name)]
	if c == nil {
		return nil, status.New(status.WBEM_E_NOT_FOUND, "class %s does not exist", name)
	}
	return c, nil
}

// ClassNames returns the names of the subclasses of super (the top-level
// classes for ""), all descendants when deep, sorted case-insensitively.
func (r *Repository) ClassNames(ns, super string, deep bool) ([]string, error) {
	cs, err := r.Classes(ns, super, deep)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out, nil
}

// Classes is ClassNames returning the resolved classes.
func (r *Repository) Classes(ns, super string, deep bool) ([]*cim.Class, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n, err := r.namespace(ns)
	if err != nil {
		return nil, err
	}
	if super != "" && n.classes[strings.ToLower(super)] == nil {
		return nil, status.New(status.WBEM_E_NOT_FOUND, "class %s does not exist", super)
	}
	var out []*cim.Class
	for _, c := range n.classes {
		switch {
		case super == "" && deep:
			out = append(out, c)
		case super == "":
			if c.SuperClass == "" {
				out = append(out, c)
			}
		case deep:
			if !strings.EqualFold(c.Name, super) && c.IsA(super) {
				out = append(out, c)
			}
		default:
			if strings.EqualFold(c.SuperClass, super) {
				out = append(out, c)
			}
		}
	}
	slices.SortFunc(out, func(a, b *cim.Class) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out, nil
}

// QualifierDecl returns the declaration of qualifier name in ns.
func (r *Repository) QualifierDecl(ns, name string) (*cim.QualifierDecl, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n, err := r.namespace(ns)
	if err != nil {
		return nil, err
	}
	q := n.quals[strings.ToLower(name)]
	if q == nil {
		return nil, status.New(status.WBEM_E_NOT_FOUND, "qualifier %s is not declared", name)
	}
	return q, nil
}

// QualifierDecls returns the qualifier declarations of ns, sorted by name.
func (r *Repository) QualifierDecls(ns string) ([]*cim.QualifierDecl, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n, err := r.namespace(ns)
	if err != nil {
		return nil, err
	}
	out := make([]*cim.QualifierDecl, 0, len(n.quals))
	for _, q := range n.quals {
		out = append(out, q)
	}
	slices.SortFunc(out, func(a, b *cim.QualifierDecl) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out, nil
}

// Instance returns a copy of the static instance of exactly the class path
// names whose keys equal the path's (compared as cim.ObjectPath.Equal
// does). Errors: WBEM_E_INVALID_NAMESPACE, WBEM_E_INVALID_CLASS,
// WBEM_E_NOT_FOUND.
func (r *Repository) Instance(ns string, path *cim.ObjectPath) (*cim.Instance, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n, err := r.namespace(ns)
	if err != nil {
		return nil, err
	}
	k := strings.ToLower(path.Class)
	if n.classes[k] == nil {
		return nil, status.New(status.WBEM_E_INVALID_CLASS, "class %s does not exist", path.Class)
	}
	rel := &cim.ObjectPath{Class: path.Class, Singleton: path.Singleton, Keys: path.Keys}
	for _, i := range n.instances[k] {
		if i.Path().Equal(rel) {
			return i.Clone(), nil
		}
	}
	return nil, status.New(status.WBEM_E_NOT_FOUND, "%s does not exist", rel.RelPath())
}

// Instances returns copies of the static instances of class, and of its
// subclasses when deep. Errors: WBEM_E_INVALID_NAMESPACE,
// WBEM_E_INVALID_CLASS.
func (r *Repository) Instances(ns, class string, deep bool) ([]*cim.Instance, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n, err := r.namespace(ns)
	if err != nil {
		return nil, err
	}
	c := n.classes[strings.ToLower(class)]
	if c == nil {
		return nil, status.New(status.WBEM_E_INVALID_CLASS, "class %s does not exist", class)
	}
	var out []*cim.Instance
	for k, list := range n.instances {
		ic := n.classes[k]
		if !strings.EqualFold(ic.Name, c.Name) && !(deep && ic.IsA(c.Name)) {
			continue
		}
		for _, i := range list {
			out = append(out, i.Clone())
		}
	}
	return out, nil
}
