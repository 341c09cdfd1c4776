package repository

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	b    [numBuckets]*memBucket
}

// memBucket is one key space. Its sorted key list is built on the first
// scan and dropped on every change; committed buckets never change, so
// readers share the list.
type memBucket struct {
	m      map[string][]byte
	sorted atomic.Pointer[[]string]
}

func (b *memBucket) keys() []string {
	if k := b.sorted.Load(); k != nil {
		return *k
	}
	k := make([]string, 0, len(b.m))
	for key := range b.m {
		k = append(k, key)
	}
	slices.Sort(k)
	b.sorted.Store(&k)
	return k
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
	ownNS    map[string]bool   // namespaces whose memNS this tx copied
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
		n.b[i] = &memBucket{m: map[string][]byte{}}
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
		return n.b[b].m[string(key)]
	}
	return nil
}

// writableBucket returns the bucket of ns that this transaction may
// change, copying the namespace record and the bucket on first use.
func (s *memStore) writableBucket(ns string, b bucket) *memBucket {
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
		n.b[b] = &memBucket{m: maps.Clone(n.b[b].m)}
		s.own(ns, b)
	}
	return n.b[b]
}

func (s *memStore) put(ns string, b bucket, key, val []byte) error {
	bk := s.writableBucket(ns, b)
	if bk == nil {
		return errNoBucket
	}
	if _, ok := bk.m[string(key)]; !ok {
		bk.sorted.Store(nil)
	}
	bk.m[string(key)] = bytes.Clone(val)
	return nil
}

func (s *memStore) del(ns string, b bucket, key []byte) error {
	if bk := s.writableBucket(ns, b); bk != nil {
		if _, ok := bk.m[string(key)]; ok {
			delete(bk.m, string(key))
			bk.sorted.Store(nil)
		}
	}
	return nil
}

func (s *memStore) scan(ns string, b bucket, prefix []byte, fn func(k, v []byte) bool) {
	n := s.st.ns[ns]
	if n == nil {
		return
	}
	bk := n.b[b]
	keys := bk.keys()
	p := string(prefix)
	i, _ := slices.BinarySearch(keys, p)
	for ; i < len(keys) && strings.HasPrefix(keys[i], p); i++ {
		if !fn([]byte(keys[i]), bk.m[keys[i]]) {
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
