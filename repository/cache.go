package repository

import (
	"sync"

	"github.com/gowbem/gowbem/cim"
)

// classCache holds resolved classes of committed state, per namespace key
// and class key. Resolved classes are immutable and shared.
//
// Consistency: the generation gen counts commits that changed classes or
// namespaces. A transaction notes gen when it starts (under
// Repository.commitMu, so its snapshot and gen agree); it uses cache
// entries only while gen is unchanged and adds the classes it resolved
// only if gen is still the same. A commit removes the entries it
// invalidated and bumps gen, under commitMu, right after the store
// commits. So the cache never holds a class older than the committed
// state, and a reader never mixes a newer cached superclass with an older
// snapshot.
type classCache struct {
	mu  sync.RWMutex
	gen uint64
	ns  map[string]map[string]*cim.Class
}

// get returns the cached class if the cache is still at generation gen.
func (c *classCache) get(ns, key string, gen uint64) *cim.Class {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.gen != gen {
		return nil
	}
	return c.ns[ns][key]
}

// getBytes is get for keys held in byte slices (no allocation).
func (c *classCache) getBytes(ns, key []byte) *cim.Class {
	c.mu.RLock()
	cl := c.ns[string(ns)][string(key)]
	c.mu.RUnlock()
	return cl
}

func (c *classCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// addAll adds the classes a read transaction resolved, unless a commit
// happened since it started.
func (c *classCache) addAll(gen uint64, local map[string]map[string]*cim.Class) {
	if len(local) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	c.insert(local)
}

func (c *classCache) insert(local map[string]map[string]*cim.Class) {
	if c.ns == nil {
		c.ns = make(map[string]map[string]*cim.Class)
	}
	for ns, classes := range local {
		m := c.ns[ns]
		if m == nil {
			m = make(map[string]*cim.Class, len(classes))
			c.ns[ns] = m
		}
		for k, cl := range classes {
			m[k] = cl
		}
	}
}

// commit applies a committed write transaction: it drops the namespaces in
// reset and the classes in stale, moves to the next generation, and adds
// the classes the transaction resolved (all valid for the new state).
func (c *classCache) commit(reset map[string]bool, stale map[string]map[string]bool, local map[string]map[string]*cim.Class) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ns := range reset {
		delete(c.ns, ns)
	}
	for ns, keys := range stale {
		m := c.ns[ns]
		for k := range keys {
			delete(m, k)
		}
	}
	c.gen++
	c.insert(local)
}

// clear empties the cache.
func (c *classCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ns = nil
	c.gen++
}
