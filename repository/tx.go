package repository

import (
	"bytes"
	"slices"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// Tx is a repository transaction, handed to the function given to
// Repository.Update (read-write) or Repository.View (read-only). Reads see
// the transaction's own uncommitted writes. A Tx is not safe for
// concurrent use and is dead once its function returns.
//
// Every write method checks everything it can before it writes, so a
// method that fails leaves the transaction as it was and the caller may
// go on (a MOF compiler reporting several errors, say). Only a failure of
// the storage itself spoils the transaction: Update then returns that
// error and stores nothing.
type Tx struct {
	r        *Repository
	s        store
	writable bool
	done     bool
	dirty    bool  // something was written
	err      error // sticky storage failure
	ns       *nsTable
	gen      uint64 // cache generation at the start

	// local holds the classes resolved in this transaction, valid for its
	// state; stale the classes changed (with their descendants), which
	// must not be taken from the committed cache and are dropped from it
	// at commit; reset the namespaces created or deleted, whose committed
	// cache is ignored and dropped.
	local map[string]map[string]*cim.Class
	stale map[string]map[string]bool
	reset map[string]bool
}

// check fails when the transaction is finished or, for writes, read-only
// or spoiled.
func (tx *Tx) check(write bool) error {
	switch {
	case tx.done:
		return errTxDone()
	case write && !tx.writable:
		return errTxReadOnly()
	case write && tx.err != nil:
		return tx.err
	}
	return nil
}

// fail records a storage failure; the transaction will not commit.
func (tx *Tx) fail(err error) error {
	err = tx.r.mapErr(err)
	if tx.err == nil {
		tx.err = err
	}
	return err
}

func (tx *Tx) put(n nsRef, b bucket, key, val []byte) error {
	if err := tx.s.put(n.key, b, key, val); err != nil {
		return tx.fail(err)
	}
	tx.dirty = true
	return nil
}

func (tx *Tx) del(n nsRef, b bucket, key []byte) error {
	if err := tx.s.del(n.key, b, key); err != nil {
		return tx.fail(err)
	}
	tx.dirty = true
	return nil
}

// namespace finds namespace ns or fails with WBEM_E_INVALID_NAMESPACE.
func (tx *Tx) namespace(ns string) (nsRef, error) {
	ref, ok := tx.ns.lookup(ns)
	if !ok {
		return nsRef{}, status.New(status.WBEM_E_INVALID_NAMESPACE, "namespace %s does not exist", ns)
	}
	return ref, nil
}

// Namespaces returns the names of all namespaces as the transaction sees
// them (see Repository.Namespaces).
func (tx *Tx) Namespaces() []string { return slices.Clone(tx.ns.sorted) }

// HasNamespace reports whether namespace ns exists in the transaction's
// view (see Repository.HasNamespace).
func (tx *Tx) HasNamespace(ns string) bool {
	_, ok := tx.ns.lookup(ns)
	return ok
}

// CreateNamespace creates namespace ns and any missing parents, each with
// the system classes. Existing namespaces are left alone (it is
// idempotent); a new one keeps the spelling given here, under the stored
// spelling of its parent. Components must be non-empty and made of
// letters, digits, '_', '-' and '.' (WBEM_E_INVALID_NAMESPACE).
func (tx *Tx) CreateNamespace(ns string) error {
	if err := tx.check(true); err != nil {
		return err
	}
	comps, err := splitNamespace(ns)
	if err != nil {
		return err
	}
	parent := ""
	for i := range comps {
		key := lower(strings.Join(comps[:i+1], "/"))
		if ref, ok := tx.ns.refs[key]; ok {
			parent = ref.name
			continue
		}
		name := comps[i]
		if parent != "" {
			name = parent + "/" + comps[i]
		}
		if err := tx.s.createNamespace(key, name); err != nil {
			return tx.fail(err)
		}
		tx.dirty = true
		tx.ns = tx.ns.with(key, name)
		tx.resetNS(key)
		if err := tx.installSystemClasses(nsRef{key: key, name: name}); err != nil {
			return tx.fail(err)
		}
		parent = name
	}
	return nil
}

// DeleteNamespace deletes namespace ns with everything in it, including
// its child namespaces (as WMI does when a __Namespace instance is
// deleted). The root namespace cannot be deleted
// (WBEM_E_INVALID_OPERATION); a namespace that does not exist is
// WBEM_E_INVALID_NAMESPACE.
func (tx *Tx) DeleteNamespace(ns string) error {
	if err := tx.check(true); err != nil {
		return err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return err
	}
	if n.key == "root" {
		return status.New(status.WBEM_E_INVALID_OPERATION, "the root namespace cannot be deleted")
	}
	var victims []string
	for k := range tx.ns.refs {
		if k == n.key || strings.HasPrefix(k, n.key+"/") {
			victims = append(victims, k)
		}
	}
	for _, k := range victims {
		if err := tx.s.deleteNamespace(k); err != nil {
			return tx.fail(err)
		}
		tx.resetNS(k)
	}
	tx.dirty = true
	tx.ns = tx.ns.without(victims...)
	return nil
}

// resetNS marks namespace key as created or deleted in this transaction.
func (tx *Tx) resetNS(key string) {
	if tx.reset == nil {
		tx.reset = make(map[string]bool)
	}
	tx.reset[key] = true
	delete(tx.local, key)
	delete(tx.stale, key)
}

// installSystemClasses puts the system classes into namespace n.
func (tx *Tx) installSystemClasses(n nsRef) error {
	for _, c := range systemClasses() {
		if _, err := tx.putClass(n, c, true); err != nil {
			return err
		}
	}
	return nil
}

// --- classes ---------------------------------------------------------------

// maxDepth bounds superclass chains, so that corrupt data with a cycle
// cannot loop.
const maxDepth = 256

func errClassNotFound(name, ns string) error {
	return status.New(status.WBEM_E_NOT_FOUND, "class %s not found in namespace %s", name, ns)
}

func errNoSuchClass(name, ns string) error {
	return status.New(status.WBEM_E_INVALID_CLASS, "class %s not found in namespace %s", name, ns)
}

// class returns the resolved class with key ckey in namespace n, or nil
// when there is none.
func (tx *Tx) class(n nsRef, ckey string) (*cim.Class, error) {
	return tx.classDepth(n, ckey, 0)
}

func (tx *Tx) classDepth(n nsRef, ckey string, depth int) (*cim.Class, error) {
	if c := tx.local[n.key][ckey]; c != nil {
		return c, nil
	}
	if !tx.reset[n.key] && !tx.stale[n.key][ckey] {
		if c := tx.r.cache.get(n.key, ckey, tx.gen); c != nil {
			return c, nil
		}
	}
	raw := tx.s.get(n.key, bClasses, []byte(ckey))
	if raw == nil {
		return nil, nil
	}
	if depth > maxDepth {
		return nil, errCorrupt("superclass chain of " + ckey + " too long")
	}
	decl, err := decodeClass(raw, n.name)
	if err != nil {
		return nil, err
	}
	var super *cim.Class
	if decl.SuperClass != "" {
		if super, err = tx.classDepth(n, lower(decl.SuperClass), depth+1); err != nil {
			return nil, err
		}
		if super == nil {
			return nil, errCorrupt("superclass " + decl.SuperClass + " of " + decl.Name + " missing")
		}
	}
	c, err := cim.Resolve(decl, super)
	if err != nil {
		return nil, err
	}
	tx.setLocal(n.key, ckey, c)
	return c, nil
}

func (tx *Tx) setLocal(ns, ckey string, c *cim.Class) {
	if tx.local == nil {
		tx.local = make(map[string]map[string]*cim.Class)
	}
	m := tx.local[ns]
	if m == nil {
		m = make(map[string]*cim.Class)
		tx.local[ns] = m
	}
	m[ckey] = c
}

// invalidate forgets the resolved forms of the classes with the given keys
// in namespace ns, in this transaction and, at commit, in the cache.
func (tx *Tx) invalidate(ns string, keys ...string) {
	if tx.stale == nil {
		tx.stale = make(map[string]map[string]bool)
	}
	m := tx.stale[ns]
	if m == nil {
		m = make(map[string]bool)
		tx.stale[ns] = m
	}
	for _, k := range keys {
		delete(tx.local[ns], k)
		m[k] = true
	}
}

// GetClass returns the resolved class name in namespace ns (see
// Repository.GetClass); it sees the transaction's writes. The class is
// shared: do not modify it.
func (tx *Tx) GetClass(ns, name string) (*cim.Class, error) {
	if err := tx.check(false); err != nil {
		return nil, err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return nil, err
	}
	c, err := tx.class(n, lower(name))
	if err == nil && c == nil {
		err = errClassNotFound(name, n.name)
	}
	return c, err
}

// child is one entry of the children index.
type child struct{ key, name string }

// children returns the direct subclasses of the class with key ckey ("" for
// the top-level classes), in key order.
func (tx *Tx) children(n nsRef, ckey string) []child {
	prefix := make([]byte, 0, len(ckey)+1)
	prefix = append(append(prefix, ckey...), 0)
	var out []child
	tx.s.scan(n.key, bChildren, prefix, func(k, v []byte) bool {
		out = append(out, child{key: string(k[len(prefix):]), name: string(v)})
		return true
	})
	return out
}

// descendants returns every subclass of ckey, breadth first (so each class
// comes after its superclass).
func (tx *Tx) descendants(n nsRef, ckey string) []child {
	var out []child
	queue := []string{ckey}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		for _, c := range tx.children(n, k) {
			out = append(out, c)
			queue = append(queue, c.key)
		}
	}
	return out
}

// allClasses returns every class of the namespace from the children index.
func (tx *Tx) allClasses(n nsRef) []child {
	var out []child
	tx.s.scan(n.key, bChildren, nil, func(k, v []byte) bool {
		i := bytes.IndexByte(k, 0)
		out = append(out, child{key: string(k[i+1:]), name: string(v)})
		return true
	})
	return out
}

func sortChildren(cs []child) {
	slices.SortFunc(cs, func(a, b child) int { return strings.Compare(a.key, b.key) })
}

// subclasses lists the subclasses of super (see ClassNames).
func (tx *Tx) subclasses(ns, super string, deep bool) (nsRef, []child, error) {
	if err := tx.check(false); err != nil {
		return nsRef{}, nil, err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return n, nil, err
	}
	skey := lower(super)
	if super != "" && tx.s.get(n.key, bClasses, []byte(skey)) == nil {
		return n, nil, errClassNotFound(super, n.name)
	}
	var cs []child
	switch {
	case !deep:
		cs = tx.children(n, skey) // already in key order
	case super == "":
		cs = tx.allClasses(n)
		sortChildren(cs)
	default:
		cs = tx.descendants(n, skey)
		sortChildren(cs)
	}
	return n, cs, nil
}

// ClassNames returns class names as Repository.ClassNames does.
func (tx *Tx) ClassNames(ns, super string, deep bool) ([]string, error) {
	_, cs, err := tx.subclasses(ns, super, deep)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.name
	}
	return out, nil
}

// Classes returns resolved classes as Repository.Classes does.
func (tx *Tx) Classes(ns, super string, deep bool) ([]*cim.Class, error) {
	n, cs, err := tx.subclasses(ns, super, deep)
	if err != nil {
		return nil, err
	}
	out := make([]*cim.Class, 0, len(cs))
	for _, ch := range cs {
		c, err := tx.class(n, ch.key)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, errCorrupt("class " + ch.name + " listed in the index but missing")
		}
		out = append(out, c)
	}
	return out, nil
}

// SubclassNames returns the subclasses of class, which must exist, as
// Repository.SubclassNames does.
func (tx *Tx) SubclassNames(ns, class string, deep bool) ([]string, error) {
	if class == "" {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "SubclassNames needs a class name")
	}
	return tx.ClassNames(ns, class, deep)
}

// PutClass stores class decl in namespace ns, creating it or replacing the
// class of the same name, and reports whether it was created.
//
// decl is the declared form: the class's own qualifiers, properties and
// methods, overrides included. Features and qualifiers marked Propagated
// are ignored, so a resolved class (as GetClass returns it) may be passed
// back too. decl is not modified or retained.
//
// The superclass must exist (WBEM_E_INVALID_SUPERCLASS). The class is
// resolved against it to validate it, and errors of cim.Resolve are
// returned as they are (WBEM_E_UPDATE_TYPE_MISMATCH, ...). Names must be
// CIM identifiers and types valid (WBEM_E_INVALID_PARAMETER,
// WBEM_E_INVALID_PROPERTY_TYPE), defaults must convert to their property's
// type (WBEM_E_TYPE_MISMATCH), and key properties cannot be arrays or
// embedded objects (WBEM_E_CANNOT_BE_KEY).
//
// Replacing a class is allowed when every subclass still resolves against
// the new form (WBEM_E_CLASS_HAS_CHILDREN otherwise) and, when the class
// or a subclass has instances, the key properties stay the same and the
// class does not become abstract (WBEM_E_CLASS_HAS_INSTANCES). The
// superclass may change, but not to a subclass of the class itself
// (WBEM_E_INVALID_SUPERCLASS). Storing a class identical to the stored one
// changes nothing. The system classes cannot be replaced
// (WBEM_E_INVALID_OPERATION).
func (tx *Tx) PutClass(ns string, decl *cim.Class) (created bool, err error) {
	if err := tx.check(true); err != nil {
		return false, err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return false, err
	}
	if decl == nil {
		return false, status.New(status.WBEM_E_INVALID_PARAMETER, "PutClass: nil class")
	}
	return tx.putClass(n, decl, false)
}

func (tx *Tx) putClass(n nsRef, decl *cim.Class, system bool) (bool, error) {
	if !system && IsSystemClass(decl.Name) {
		return false, status.New(status.WBEM_E_INVALID_OPERATION, "system class %s cannot be changed", decl.Name)
	}
	d, err := declaredForm(decl, n.name)
	if err != nil {
		return false, err
	}
	ckey := lower(d.Name)
	enc := encodeClass(d)
	oldRaw := tx.s.get(n.key, bClasses, []byte(ckey))
	if oldRaw != nil && string(oldRaw) == string(enc) {
		return false, nil
	}
	var super *cim.Class
	if d.SuperClass != "" {
		if super, err = tx.class(n, lower(d.SuperClass)); err != nil {
			return false, err
		}
		if super == nil {
			return false, status.New(status.WBEM_E_INVALID_SUPERCLASS,
				"class %s: superclass %s not found in namespace %s", d.Name, d.SuperClass, n.name)
		}
		if super.IsA(d.Name) {
			return false, status.New(status.WBEM_E_INVALID_SUPERCLASS,
				"class %s: superclass %s derives from %s", d.Name, d.SuperClass, d.Name)
		}
	}
	resolved, err := cim.Resolve(d, super)
	if err != nil {
		return false, err
	}
	if err := checkKeys(resolved); err != nil {
		return false, err
	}
	superKey := lower(d.SuperClass)

	if oldRaw == nil {
		if err := tx.put(n, bClasses, []byte(ckey), enc); err != nil {
			return false, err
		}
		if err := tx.put(n, bChildren, childKey(superKey, ckey), []byte(d.Name)); err != nil {
			return false, err
		}
		tx.invalidate(n.key, ckey)
		tx.setLocal(n.key, ckey, resolved)
		return true, nil
	}

	// Replacing: resolve every subclass against the new form first.
	old, err := tx.class(n, ckey)
	if err != nil {
		return false, err
	}
	desc := tx.descendants(n, ckey)
	fresh := map[string]*cim.Class{ckey: resolved}
	for _, ch := range desc {
		raw := tx.s.get(n.key, bClasses, []byte(ch.key))
		if raw == nil {
			return false, errCorrupt("class " + ch.name + " listed in the index but missing")
		}
		sd, err := decodeClass(raw, n.name)
		if err != nil {
			return false, err
		}
		rc, err := cim.Resolve(sd, fresh[lower(sd.SuperClass)])
		if err == nil {
			err = checkKeys(rc)
		}
		if err != nil {
			return false, status.New(status.WBEM_E_CLASS_HAS_CHILDREN,
				"class %s: the change would invalidate subclass %s: %v", d.Name, ch.name, err)
		}
		fresh[ch.key] = rc
	}
	if err := tx.checkInstancesSurvive(n, old, ckey, desc, fresh); err != nil {
		return false, err
	}

	if err := tx.put(n, bClasses, []byte(ckey), enc); err != nil {
		return false, err
	}
	if oldSuper := lower(old.SuperClass); oldSuper != superKey {
		if err := tx.del(n, bChildren, childKey(oldSuper, ckey)); err != nil {
			return false, err
		}
	}
	// Rewritten even when the superclass stays, to pick up a new spelling.
	if err := tx.put(n, bChildren, childKey(superKey, ckey), []byte(d.Name)); err != nil {
		return false, err
	}
	keys := make([]string, 0, len(fresh))
	for k := range fresh {
		keys = append(keys, k)
	}
	tx.invalidate(n.key, keys...)
	for k, c := range fresh {
		tx.setLocal(n.key, k, c)
	}
	return false, nil
}

// checkInstancesSurvive refuses a class change that would orphan stored
// instances: for the class and each subclass with instances, the key
// properties and the key root must stay, and the class must not become
// abstract.
func (tx *Tx) checkInstancesSurvive(n nsRef, old *cim.Class, ckey string, desc []child, fresh map[string]*cim.Class) error {
	affected := append([]child{{key: ckey, name: old.Name}}, desc...)
	for _, ch := range affected {
		if !tx.hasInstances(n, ch.key) {
			continue
		}
		before, err := tx.class(n, ch.key)
		if err != nil {
			return err
		}
		after := fresh[ch.key]
		rootBefore, err := tx.keyRoot(n, before, nil)
		if err != nil {
			return err
		}
		rootAfter, err := tx.keyRoot(n, after, fresh)
		if err != nil {
			return err
		}
		if after.IsAbstract() || keySignature(before) != keySignature(after) || rootBefore != rootAfter {
			return status.New(status.WBEM_E_CLASS_HAS_INSTANCES,
				"class %s: the change would invalidate the instances of %s (keys or abstractness changed)", old.Name, ch.name)
		}
	}
	return nil
}

// hasInstances reports whether class ckey has stored instances of its own.
func (tx *Tx) hasInstances(n nsRef, ckey string) bool {
	found := false
	tx.s.scan(n.key, bInstanceIndex, childKey(ckey, ""), func(k, v []byte) bool {
		found = true
		return false
	})
	return found
}

// childKey is the children-index key super + 0x00 + class.
func childKey(super, class string) []byte {
	b := make([]byte, 0, len(super)+1+len(class))
	b = append(b, super...)
	b = append(b, 0)
	return append(b, class...)
}

// checkKeys refuses key properties that cannot be keys.
func checkKeys(c *cim.Class) error {
	for _, p := range c.Keys() {
		if p.IsArray || p.Type == cim.Object {
			return status.New(status.WBEM_E_CANNOT_BE_KEY,
				"class %s: property %s (%s) cannot be a key", c.Name, p.Name, p.TypeName())
		}
	}
	return nil
}

// declaredForm validates decl and returns its declared form for storing:
// propagated features and qualifiers dropped, defaults converted to the
// declared types, Namespace set to ns.
func declaredForm(decl *cim.Class, ns string) (*cim.Class, error) {
	bad := func(format string, args ...any) error {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "class %s: "+format, append([]any{decl.Name}, args...)...)
	}
	if !validName(decl.Name) {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "invalid class name %q", decl.Name)
	}
	if decl.SuperClass != "" && (!validName(decl.SuperClass) || strings.EqualFold(decl.SuperClass, decl.Name)) {
		return nil, status.New(status.WBEM_E_INVALID_SUPERCLASS, "class %s: invalid superclass %q", decl.Name, decl.SuperClass)
	}
	d := &cim.Class{Name: decl.Name, SuperClass: decl.SuperClass, Namespace: ns, Qualifiers: localQualifiers(decl.Qualifiers)}
	if err := checkQualifiers(d.Qualifiers, decl.Name); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(decl.Properties)+len(decl.Methods))
	for _, p := range decl.Properties {
		if p == nil || p.Propagated {
			continue
		}
		where := decl.Name + "." + p.Name
		if !validName(p.Name) {
			return nil, bad("invalid property name %q", p.Name)
		}
		if seen[lower(p.Name)] {
			return nil, bad("property %s declared twice", p.Name)
		}
		seen[lower(p.Name)] = true
		if !p.Type.Valid() {
			return nil, status.New(status.WBEM_E_INVALID_PROPERTY_TYPE, "%s: invalid type", where)
		}
		qs := localQualifiers(p.Qualifiers)
		if err := checkQualifiers(qs, where); err != nil {
			return nil, err
		}
		def := p.Default
		if !def.IsNull() && (def.Type() != p.Type || def.IsArray() != p.IsArray) {
			v, err := cim.Convert(def, p.Type, p.IsArray)
			if err != nil {
				return nil, status.New(status.WBEM_E_TYPE_MISMATCH, "%s: default value: %v", where, err)
			}
			def = v
		}
		if len(qs) != len(p.Qualifiers) || !cim.Equal(def, p.Default) {
			c := *p
			c.Qualifiers, c.Default = qs, def
			p = &c
		}
		d.Properties = append(d.Properties, p)
	}
	clear(seen)
	for _, m := range decl.Methods {
		if m == nil || m.Propagated {
			continue
		}
		where := decl.Name + "." + m.Name
		if !validName(m.Name) {
			return nil, bad("invalid method name %q", m.Name)
		}
		if seen[lower(m.Name)] {
			return nil, bad("method %s declared twice", m.Name)
		}
		seen[lower(m.Name)] = true
		if m.ReturnType != cim.TypeNone && !m.ReturnType.Valid() {
			return nil, status.New(status.WBEM_E_INVALID_PROPERTY_TYPE, "%s: invalid return type", where)
		}
		qs := localQualifiers(m.Qualifiers)
		if err := checkQualifiers(qs, where); err != nil {
			return nil, err
		}
		params := make(map[string]bool, len(m.Parameters))
		for _, p := range m.Parameters {
			if p == nil || !validName(p.Name) {
				return nil, bad("method %s: invalid parameter", m.Name)
			}
			if params[lower(p.Name)] {
				return nil, bad("method %s: parameter %s declared twice", m.Name, p.Name)
			}
			params[lower(p.Name)] = true
			if !p.Type.Valid() {
				return nil, status.New(status.WBEM_E_INVALID_PROPERTY_TYPE, "%s(%s): invalid type", where, p.Name)
			}
			if err := checkQualifiers(p.Qualifiers, where+"("+p.Name+")"); err != nil {
				return nil, err
			}
		}
		if len(qs) != len(m.Qualifiers) {
			m = m.Clone()
			m.Qualifiers = qs
		}
		d.Methods = append(d.Methods, m)
	}
	return d, nil
}

// localQualifiers returns qs without the propagated qualifiers.
func localQualifiers(qs cim.Qualifiers) cim.Qualifiers {
	for i := range qs {
		if qs[i].Propagated {
			out := make(cim.Qualifiers, 0, len(qs))
			for _, q := range qs {
				if !q.Propagated {
					out = append(out, q)
				}
			}
			return out
		}
	}
	return qs
}

func checkQualifiers(qs cim.Qualifiers, where string) error {
	for i := range qs {
		if !validName(qs[i].Name) {
			return status.New(status.WBEM_E_INVALID_QUALIFIER, "%s: invalid qualifier name %q", where, qs[i].Name)
		}
	}
	return nil
}

// DeleteClass deletes class name from namespace ns. A class with
// subclasses is refused with WBEM_E_CLASS_HAS_CHILDREN, one with instances
// of its own with WBEM_E_CLASS_HAS_INSTANCES; a missing class is
// WBEM_E_NOT_FOUND and a system class WBEM_E_INVALID_OPERATION.
func (tx *Tx) DeleteClass(ns, name string) error {
	if err := tx.check(true); err != nil {
		return err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return err
	}
	ckey := lower(name)
	raw := tx.s.get(n.key, bClasses, []byte(ckey))
	if raw == nil {
		return errClassNotFound(name, n.name)
	}
	if IsSystemClass(name) {
		return status.New(status.WBEM_E_INVALID_OPERATION, "system class %s cannot be deleted", name)
	}
	if kids := tx.children(n, ckey); len(kids) > 0 {
		return status.New(status.WBEM_E_CLASS_HAS_CHILDREN,
			"class %s has %d subclasses (%s first)", name, len(kids), kids[0].name)
	}
	if tx.hasInstances(n, ckey) {
		return status.New(status.WBEM_E_CLASS_HAS_INSTANCES, "class %s has instances", name)
	}
	decl, err := decodeClass(raw, n.name)
	if err != nil {
		return err
	}
	if err := tx.del(n, bClasses, []byte(ckey)); err != nil {
		return err
	}
	if err := tx.del(n, bChildren, childKey(lower(decl.SuperClass), ckey)); err != nil {
		return err
	}
	tx.invalidate(n.key, ckey)
	return nil
}

// --- qualifier declarations -------------------------------------------------

// PutQualifierDecl stores qualifier declaration d in namespace ns,
// replacing one of the same name. The name must be an identifier
// (WBEM_E_INVALID_PARAMETER); the type must be valid and not a reference
// or object, and the default must convert to it
// (WBEM_E_INVALID_QUALIFIER_TYPE). Classes already stored are not
// re-checked against the new declaration.
func (tx *Tx) PutQualifierDecl(ns string, d *cim.QualifierDecl) error {
	if err := tx.check(true); err != nil {
		return err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return err
	}
	if d == nil || !validName(d.Name) {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "invalid qualifier declaration")
	}
	if !d.Type.Valid() || d.Type == cim.Reference || d.Type == cim.Object {
		return status.New(status.WBEM_E_INVALID_QUALIFIER_TYPE, "qualifier %s: type %s not allowed", d.Name, d.Type)
	}
	c := *d
	if c.Default, err = cim.Convert(d.Default, d.Type, d.IsArray); err != nil {
		return status.New(status.WBEM_E_INVALID_QUALIFIER_TYPE, "qualifier %s: default value: %v", d.Name, err)
	}
	return tx.put(n, bQualifiers, []byte(lower(d.Name)), encodeQualifierDecl(&c))
}

// DeleteQualifierDecl deletes the declaration of qualifier name
// (WBEM_E_NOT_FOUND when there is none). Classes using the qualifier are
// not checked.
func (tx *Tx) DeleteQualifierDecl(ns, name string) error {
	if err := tx.check(true); err != nil {
		return err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return err
	}
	key := []byte(lower(name))
	if tx.s.get(n.key, bQualifiers, key) == nil {
		return status.New(status.WBEM_E_NOT_FOUND, "qualifier %s not declared in namespace %s", name, n.name)
	}
	return tx.del(n, bQualifiers, key)
}

// QualifierDecl returns the declaration of qualifier name in namespace ns
// (WBEM_E_NOT_FOUND when there is none).
func (tx *Tx) QualifierDecl(ns, name string) (*cim.QualifierDecl, error) {
	if err := tx.check(false); err != nil {
		return nil, err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return nil, err
	}
	raw := tx.s.get(n.key, bQualifiers, []byte(lower(name)))
	if raw == nil {
		return nil, status.New(status.WBEM_E_NOT_FOUND, "qualifier %s not declared in namespace %s", name, n.name)
	}
	return decodeQualifierDecl(raw)
}

// QualifierDecls returns every qualifier declaration of namespace ns,
// sorted case-insensitively by name.
func (tx *Tx) QualifierDecls(ns string) ([]*cim.QualifierDecl, error) {
	if err := tx.check(false); err != nil {
		return nil, err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return nil, err
	}
	var out []*cim.QualifierDecl
	tx.s.scan(n.key, bQualifiers, nil, func(_, v []byte) bool {
		var q *cim.QualifierDecl
		if q, err = decodeQualifierDecl(v); err != nil {
			return false
		}
		out = append(out, q)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
