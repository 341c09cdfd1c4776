package repository

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
)

var errNoBucket = errors.New("namespace bucket missing")

// memBackend is the in-memory store. A committed state is immutable; a
// write transaction copies the namespace table and, on first write, the
// one bucket map it changes, and commit publishes the new state with one
// pointer swap. Readers keep the state they started with.
type memBackend struct {
	mu     sync.Mutex
	state  *memState
	closed bool
}

type memState struct {
	meta map[string][]byte
	ns   map[string]*memNS
}

type memNS struct {
	name string
	b    [numBuckets]map[string][]byte
}

func newMemBackend() *memBackend {
	return &memBackend{state: &memState{meta: map[string][]byte{}, ns: map[string]*memNS{}}}
}

func (m *memBackend) begin(writable bool) (store, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errBackendClosed
	}
	st := m.state
	if !writable {
		return &memStore{st: st}, nil
	}
	w := &memState{meta: st.meta, ns: maps.Clone(st.ns)}
	return &memStore{be: m, st: w, writable: true, ownNS: map[string]bool{}}, nil
}

func (m *memBackend) close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

var errBackendClosed = errors.New("backend closed")

// memStore is one transaction of the in-memory store.
type memStore struct {
	be       *memBackend
	st       *memState
	writable bool
	done     bool
	ownMeta  bool
	ownNS    map[string]bool // namespaces whose memNS this tx copied
	ownB     map[nsBucket]bool // buckets whose map this tx copied
}

type nsBucket struct {
	ns string
	b  bucket
}

func (s *memStore) namespaces() map[string]string {
	out := make(map[string]string, len(s.st.ns))
	for k, n := range s.st.ns {
		out[k] = n.name
	}
	return out
}

func (s *memStore) createNamespace(key, name string) error {
	n := &memNS{name: name}
	for i := range n.b {
		n.b[i] = map[string][]byte{}
	}
	s.st.ns[key] = n
	s.ownNS[key] = true
	for b := range numBuckets {
		s.own(key, b)
	}
	return nil
}

func (s *memStore) own(ns string, b bucket) {
	if s.ownB == nil {
		s.ownB = map[nsBucket]bool{}
	}
	s.ownB[nsBucket{ns, b}] = true
}

func (s *memStore) owned(ns string, b bucket) bool { return s.ownB[nsBucket{ns, b}] }

func (s *memStore) deleteNamespace(key string) error {
	delete(s.st.ns, key)
	delete(s.ownNS, key)
	for b := range numBuckets {
		delete(s.ownB, nsBucket{key, b})
	}
	return nil
}

func (s *memStore) get(ns string, b bucket, key []byte) []byte {
	if n := s.st.ns[ns]; n != nil {
		return n.b[b][string(key)]
	}
	return nil
}

// writableBucket returns the bucket map of ns that this transaction may change,
// copying the namespace record and the map on first use.
func (s *memStore) writableBucket(ns string, b bucket) map[string][]byte {
	n := s.st.ns[ns]
	if n == nil {
		return nil
	}
	if !s.ownNS[ns] {
		c := *n
		n = &c
		s.st.ns[ns] = n
		s.ownNS[ns] = true
	}
	if !s.owned(ns, b) {
		n.b[b] = maps.Clone(n.b[b])
		s.own(ns, b)
	}
	return n.b[b]
}

func (s *memStore) put(ns string, b bucket, key, val []byte) error {
	m := s.writableBucket(ns, b)
	if m == nil {
		return errNoBucket
	}
	m[string(key)] = bytes.Clone(val)
	return nil
}

func (s *memStore) del(ns string, b bucket, key []byte) error {
	if m := s.writableBucket(ns, b); m != nil {
		delete(m, string(key))
	}
	return nil
}

func (s *memStore) scan(ns string, b bucket, prefix []byte, fn func(k, v []byte) bool) {
	n := s.st.ns[ns]
	if n == nil {
		return
	}
	m := n.b[b]
	p := string(prefix)
	var keys []string
	for k := range m {
		if strings.HasPrefix(k, p) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !fn([]byte(k), m[k]) {
			return
		}
	}
}

func (s *memStore) getMeta(key string) []byte { return s.st.meta[key] }

func (s *memStore) putMeta(key string, val []byte) error {
	if !s.ownMeta {
		s.st.meta = maps.Clone(s.st.meta)
		s.ownMeta = true
	}
	s.st.meta[key] = bytes.Clone(val)
	return nil
}

func (s *memStore) commit() error {
	if s.done {
		return errors.New("transaction finished")
	}
	s.done = true
	s.be.mu.Lock()
	defer s.be.mu.Unlock()
	if s.be.closed {
		return errBackendClosed
	}
	s.be.state = s.st
	return nil
}

func (s *memStore) rollback() { s.done = true }
