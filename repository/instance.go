package repository

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// Instance keys.
//
// An instance is stored under its key root: the topmost class of its
// superclass chain that has the same key properties as the instance's
// class (for CIM_ComputerSystem, whose keys CreationClassName and Name come
// from CIM_System, that is CIM_System). The storage key is
//
//	keyroot 0x00 canonical-keys
//
// where canonical-keys lists the key properties sorted by lower-cased name
// as name=value pairs separated by ',', with typed values in canonical
// text: integers in decimal, reals in shortest form, booleans true/false,
// strings, datetimes, char16 and references quoted and lower-cased (key
// strings compare case-insensitively), references with a local server and
// the instance's own namespace dropped. A singleton's canonical keys are
// "@".
//
// Filing instances under the key root makes keys unique across a key
// hierarchy and lets a path naming a superclass (CIM_System.Name=...) find
// an instance of a subclass, as WMI does. A second index, class 0x00
// storage-key, lists the instances of each class.

// keySignature describes the key properties of c: their lower-cased names
// and types, sorted; "@" for a singleton.
func keySignature(c *cim.Class) string {
	if c.IsSingleton() {
		return "@"
	}
	keys := c.Keys()
	parts := make([]string, len(keys))
	for i, p := range keys {
		parts[i] = lower(p.Name) + ":" + p.TypeName()
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// keyRoot returns the lower-cased name of the key root of c. Superclasses
// are looked up in over first, then in the transaction.
func (tx *Tx) keyRoot(n nsRef, c *cim.Class, over map[string]*cim.Class) (string, error) {
	sig := keySignature(c)
	root := c
	// WMI system classes identify instances per class: a method and an
	// instance registration of one provider are two objects.
	if sig != "@" && !IsSystemClass(c.Name) {
		for depth := 0; root.SuperClass != "" && depth < maxDepth; depth++ {
			skey := lower(root.SuperClass)
			sc := over[skey]
			if sc == nil {
				var err error
				if sc, err = tx.class(n, skey); err != nil {
					return "", err
				}
				if sc == nil {
					return "", errCorrupt("superclass " + root.SuperClass + " missing")
				}
			}
			if keySignature(sc) != sig {
				break
			}
			root = sc
		}
	}
	return lower(root.Name), nil
}

// canonicalValue appends the canonical key text of v (see above).
func canonicalValue(b []byte, v cim.Value, ns string) []byte {
	switch t := v.Type(); {
	case t == cim.Boolean:
		return strconv.AppendBool(b, v.Bool())
	case t.IsSigned():
		return strconv.AppendInt(b, v.Int64(), 10)
	case t.IsInteger():
		return strconv.AppendUint(b, v.Uint64(), 10)
	case t.IsReal():
		f := v.Float64()
		if f == 0 {
			f = 0 // -0 and +0 are one key
		}
		if math.IsNaN(f) {
			return append(b, "nan"...)
		}
		return strconv.AppendFloat(b, f, 'g', -1, t.Bits())
	case t == cim.Reference:
		return strconv.AppendQuote(b, lower(canonicalRef(v.Ref(), ns)))
	}
	return strconv.AppendQuote(b, lower(v.Text()))
}

// canonicalRef renders a reference key: a local server and the instance's
// own namespace are dropped, so that the forms one instance may be named by
// agree.
func canonicalRef(p *cim.ObjectPath, ns string) string {
	if p == nil {
		return ""
	}
	q := p.Clone()
	if q.Server == "" || q.Server == "." || strings.EqualFold(q.Server, "localhost") {
		q.Server = ""
	}
	if q.Server == "" && strings.EqualFold(strings.ReplaceAll(q.Namespace, `\`, "/"), ns) {
		q.Namespace = ""
	}
	return q.String()
}

// storageKey builds keyroot 0x00 canonical-keys from the key values that
// value returns for each key property of c.
func (tx *Tx) storageKey(n nsRef, c *cim.Class, value func(p *cim.Property) (cim.Value, error)) ([]byte, error) {
	root, err := tx.keyRoot(n, c, nil)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(root)+32)
	b = append(append(b, root...), 0)
	if c.IsSingleton() {
		return append(b, '@'), nil
	}
	keys := c.Keys()
	names := make([]string, len(keys))
	order := make([]int, len(keys))
	for i, p := range keys {
		names[i], order[i] = lower(p.Name), i
	}
	slices.SortFunc(order, func(x, y int) int { return strings.Compare(names[x], names[y]) })
	for i, k := range order {
		p := keys[k]
		v, err := value(p)
		if err != nil {
			return nil, err
		}
		if v.IsNull() {
			return nil, status.New(status.WBEM_E_ILLEGAL_NULL, "key property %s of %s is NULL", p.Name, c.Name)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(b, names[k]...), '=')
		b = canonicalValue(b, v, n.name)
	}
	return b, nil
}

// pathKey types the keys of path against class c and returns the storage
// key. Keys match by name case-insensitively; the unnamed key of
// Class="v" matches a class with one key. Values are converted to the key
// property's type ("5" and 5 are the same uint32 key). A path whose keys
// do not fit the class is WBEM_E_INVALID_OBJECT_PATH.
func (tx *Tx) pathKey(n nsRef, c *cim.Class, path *cim.ObjectPath) ([]byte, error) {
	bad := func(format string, args ...any) error {
		return status.New(status.WBEM_E_INVALID_OBJECT_PATH, "%s: "+format, append([]any{path.String()}, args...)...)
	}
	if c.IsSingleton() {
		if len(path.Keys) > 0 {
			return nil, bad("class %s is a singleton", c.Name)
		}
		return tx.storageKey(n, c, nil)
	}
	if path.Singleton {
		return nil, bad("class %s is not a singleton", c.Name)
	}
	keys := c.Keys()
	if len(keys) == 0 {
		return nil, bad("class %s has no key properties", c.Name)
	}
	if len(path.Keys) != len(keys) {
		return nil, bad("class %s has %d key properties, the path gives %d", c.Name, len(keys), len(path.Keys))
	}
	unnamed := len(keys) == 1 && path.Keys[0].Name == ""
	return tx.storageKey(n, c, func(p *cim.Property) (cim.Value, error) {
		var kv cim.KeyValue
		if unnamed {
			kv = path.Keys[0].Value
		} else {
			var ok bool
			if kv, ok = path.Key(p.Name); !ok {
				return cim.Value{}, bad("key %s missing", p.Name)
			}
		}
		v, err := keyValue(kv, p)
		if err != nil {
			return cim.Value{}, bad("key %s: %v", p.Name, err)
		}
		return v, nil
	})
}

// keyValue converts an untyped path key to the type of key property p.
func keyValue(kv cim.KeyValue, p *cim.Property) (cim.Value, error) {
	if p.Type == cim.String {
		return cim.NewString(kv.Text), nil
	}
	return cim.ParseValue(p.Type, kv.Text)
}

// Instance returns the static instance that path names in namespace ns.
// The path's class must exist (WBEM_E_INVALID_CLASS); it may be a
// superclass of the instance's class with the same keys. Keys are matched
// as ObjectPath.Equal does (names and string values case-insensitively),
// after converting each to the type of its key property. The path's server
// and namespace are not looked at. A path that does not fit the class is
// WBEM_E_INVALID_OBJECT_PATH; no such instance, WBEM_E_NOT_FOUND.
//
// Instances of __Namespace stand for the child namespaces of ns.
func (tx *Tx) Instance(ns string, path *cim.ObjectPath) (*cim.Instance, error) {
	if err := tx.check(false); err != nil {
		return nil, err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return nil, err
	}
	if path == nil || path.Class == "" {
		return nil, status.New(status.WBEM_E_INVALID_OBJECT_PATH, "no class in instance path")
	}
	c, err := tx.class(n, lower(path.Class))
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errNoSuchClass(path.Class, n.name)
	}
	if strings.EqualFold(c.Name, NamespaceClass) {
		child, err := tx.childNamespace(n, c, path)
		if err != nil {
			return nil, err
		}
		return tx.namespaceInstance(n, c, child), nil
	}
	pk, err := tx.pathKey(n, c, path)
	if err != nil {
		return nil, err
	}
	raw := tx.s.get(n.key, bInstances, pk)
	if raw == nil {
		return nil, errNoInstance(path)
	}
	inst, err := tx.decodeInstance(n, raw)
	if err != nil {
		return nil, err
	}
	if !inst.Class().IsA(c.Name) {
		return nil, errNoInstance(path)
	}
	return inst, nil
}

func errNoInstance(path *cim.ObjectPath) error {
	return status.New(status.WBEM_E_NOT_FOUND, "instance %s not found", path.RelPath())
}

// decodeInstance rebuilds a stored instance against the current class.
func (tx *Tx) decodeInstance(n nsRef, raw []byte) (*cim.Instance, error) {
	var lerr error
	lookup := func(name string) *cim.Class {
		c, err := tx.class(n, lower(name))
		if err != nil && lerr == nil {
			lerr = err
		}
		return c
	}
	si, err := decodeInstance(raw, lookup)
	if err == nil {
		err = lerr
	}
	if err != nil {
		return nil, err
	}
	c, err := tx.class(n, lower(si.class))
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errCorrupt("class " + si.class + " of a stored instance missing")
	}
	inst := rebuild(c, si.class, si.names, si.values)
	inst.Namespace = n.name
	return inst, nil
}

// Instances returns the static instances of class in namespace ns (see
// Repository.Instances): those of class itself, then, when deep is true,
// those of each subclass, breadth first. Instances of __Namespace (and,
// deep, of __SystemClass) include one per child namespace.
func (tx *Tx) Instances(ns, class string, deep bool) ([]*cim.Instance, error) {
	if err := tx.check(false); err != nil {
		return nil, err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return nil, err
	}
	ckey := lower(class)
	c, err := tx.class(n, ckey)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errNoSuchClass(class, n.name)
	}
	classes := []string{ckey}
	if deep {
		for _, ch := range tx.descendants(n, ckey) {
			classes = append(classes, ch.key)
		}
	}
	var out []*cim.Instance
	for _, k := range classes {
		if k == lower(NamespaceClass) {
			nc, err := tx.class(n, k)
			if err != nil {
				return nil, err
			}
			for _, child := range tx.childNamespaces(n) {
				out = append(out, tx.namespaceInstance(n, nc, child))
			}
			continue
		}
		var pks [][]byte
		prefix := childKey(k, "")
		tx.s.scan(n.key, bInstanceIndex, prefix, func(key, _ []byte) bool {
			pks = append(pks, append([]byte(nil), key[len(prefix):]...))
			return true
		})
		for _, pk := range pks {
			raw := tx.s.get(n.key, bInstances, pk)
			if raw == nil {
				return nil, errCorrupt("indexed instance missing")
			}
			inst, err := tx.decodeInstance(n, raw)
			if err != nil {
				return nil, err
			}
			out = append(out, inst)
		}
	}
	return out, nil
}

// PutInstance stores inst in namespace ns, replacing the instance with the
// same keys, and returns its path (with the namespace set) and whether it
// was created. The instance is rebuilt against the class as stored: its
// values are converted to the current property types, and properties it
// lacks take their defaults.
//
// Errors: the class must exist (WBEM_E_INVALID_CLASS), not be abstract
// (WBEM_E_INVALID_OPERATION) and have key properties or be a singleton
// (WBEM_E_NO_KEY); every key property must be non-NULL
// (WBEM_E_ILLEGAL_NULL); a property the class does not have is
// WBEM_E_INVALID_PROPERTY, a value that does not convert
// WBEM_E_TYPE_MISMATCH or WBEM_E_VALUE_OUT_OF_RANGE; an instance of
// another class with the same keys (in the same key hierarchy) is
// WBEM_E_ALREADY_EXISTS.
//
// Putting an instance of __Namespace creates the child namespace it names.
func (tx *Tx) PutInstance(ns string, inst *cim.Instance) (path *cim.ObjectPath, created bool, err error) {
	if err := tx.check(true); err != nil {
		return nil, false, err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return nil, false, err
	}
	if inst == nil || inst.Class() == nil {
		return nil, false, status.New(status.WBEM_E_INVALID_PARAMETER, "PutInstance: nil instance")
	}
	c, err := tx.class(n, lower(inst.ClassName()))
	if err != nil {
		return nil, false, err
	}
	if c == nil {
		return nil, false, errNoSuchClass(inst.ClassName(), n.name)
	}
	if c.IsAbstract() {
		return nil, false, status.New(status.WBEM_E_INVALID_OPERATION, "class %s is abstract", c.Name)
	}
	if !c.IsSingleton() && len(c.Keys()) == 0 {
		return nil, false, status.New(status.WBEM_E_NO_KEY, "class %s has no key properties", c.Name)
	}
	ni := cim.NewInstance(c)
	for k := 0; k < inst.Len(); k++ {
		p, v := inst.At(k)
		j := c.PropertyIndex(p.Name)
		if j < 0 {
			return nil, false, status.New(status.WBEM_E_INVALID_PROPERTY, "class %s has no property %s", c.Name, p.Name)
		}
		if err := ni.SetAt(j, v); err != nil {
			return nil, false, err
		}
	}
	if strings.EqualFold(c.Name, NamespaceClass) {
		return tx.putNamespaceInstance(n, ni)
	}
	pk, err := tx.storageKey(n, c, func(p *cim.Property) (cim.Value, error) { return ni.Value(p.Name), nil })
	if err != nil {
		return nil, false, err
	}
	old := tx.s.get(n.key, bInstances, pk)
	if old != nil {
		oc, err := decodeInstanceClass(old)
		if err != nil {
			return nil, false, err
		}
		if !strings.EqualFold(oc, c.Name) {
			return nil, false, status.New(status.WBEM_E_ALREADY_EXISTS,
				"an instance of %s with the same keys exists", oc)
		}
	}
	if err := tx.put(n, bInstances, pk, encodeInstance(ni)); err != nil {
		return nil, false, err
	}
	if old == nil {
		if err := tx.put(n, bInstanceIndex, indexKey(c.Name, pk), []byte{}); err != nil {
			return nil, false, err
		}
	}
	ni.Namespace = n.name
	return ni.Path(), old == nil, nil
}

func indexKey(class string, pk []byte) []byte {
	return append(childKey(lower(class), ""), pk...)
}

// DeleteInstance deletes the static instance that path names (matched as
// Instance matches it). Errors as for Instance. Deleting an instance of
// __Namespace deletes that child namespace with everything in it.
func (tx *Tx) DeleteInstance(ns string, path *cim.ObjectPath) error {
	if err := tx.check(true); err != nil {
		return err
	}
	n, err := tx.namespace(ns)
	if err != nil {
		return err
	}
	if path == nil || path.Class == "" {
		return status.New(status.WBEM_E_INVALID_OBJECT_PATH, "no class in instance path")
	}
	c, err := tx.class(n, lower(path.Class))
	if err != nil {
		return err
	}
	if c == nil {
		return errNoSuchClass(path.Class, n.name)
	}
	if strings.EqualFold(c.Name, NamespaceClass) {
		child, err := tx.childNamespace(n, c, path)
		if err != nil {
			return err
		}
		return tx.DeleteNamespace(child.name)
	}
	pk, err := tx.pathKey(n, c, path)
	if err != nil {
		return err
	}
	raw := tx.s.get(n.key, bInstances, pk)
	if raw == nil {
		return errNoInstance(path)
	}
	actual, err := decodeInstanceClass(raw)
	if err != nil {
		return err
	}
	ac, err := tx.class(n, lower(actual))
	if err != nil {
		return err
	}
	if ac == nil || !ac.IsA(c.Name) {
		return errNoInstance(path)
	}
	if err := tx.del(n, bInstances, pk); err != nil {
		return err
	}
	return tx.del(n, bInstanceIndex, indexKey(actual, pk))
}

// --- __Namespace --------------------------------------------------------------

// childNamespaces returns the direct children of namespace n.
func (tx *Tx) childNamespaces(n nsRef) []nsRef {
	var out []nsRef
	prefix := n.key + "/"
	for _, k := range sortedKeys(tx.ns.refs) {
		if strings.HasPrefix(k, prefix) && !strings.Contains(k[len(prefix):], "/") {
			out = append(out, tx.ns.refs[k])
		}
	}
	return out
}

// namespaceInstance returns the __Namespace instance standing for child.
func (tx *Tx) namespaceInstance(n nsRef, c *cim.Class, child nsRef) *cim.Instance {
	inst := cim.NewInstance(c)
	_ = inst.Set("Name", cim.NewString(child.name[strings.LastIndexByte(child.name, '/')+1:]))
	inst.Namespace = n.name
	return inst
}

// childNamespace finds the child namespace a __Namespace path names.
func (tx *Tx) childNamespace(n nsRef, c *cim.Class, path *cim.ObjectPath) (nsRef, error) {
	if _, err := tx.pathKey(n, c, path); err != nil { // validates the keys
		return nsRef{}, err
	}
	kv, ok := path.Key("Name")
	if !ok {
		kv = path.Keys[0].Value
	}
	child, ok := tx.ns.lookup(n.key + "/" + kv.Text)
	if !ok || strings.ContainsAny(kv.Text, `/\`) {
		return nsRef{}, errNoInstance(path)
	}
	return child, nil
}

// putNamespaceInstance creates the child namespace a __Namespace instance
// names.
func (tx *Tx) putNamespaceInstance(n nsRef, inst *cim.Instance) (*cim.ObjectPath, bool, error) {
	v := inst.Value("Name")
	if v.IsNull() {
		return nil, false, status.New(status.WBEM_E_ILLEGAL_NULL, "key property Name of %s is NULL", NamespaceClass)
	}
	name := v.Text()
	if comps, err := splitNamespace(name); err != nil || len(comps) != 1 {
		return nil, false, status.New(status.WBEM_E_INVALID_NAMESPACE, "invalid namespace name %q", name)
	}
	full := n.name + "/" + name
	existed := tx.HasNamespace(full)
	if err := tx.CreateNamespace(full); err != nil {
		return nil, false, err
	}
	inst.Namespace = n.name
	return inst.Path(), !existed, nil
}
