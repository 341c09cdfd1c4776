package wsman

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// enumContext is one open enumeration: the instances that remain to be
// pulled, held server-side until the client pulls the last one, releases
// the context or lets it expire.
type enumContext struct {
	id      string
	owner   string // the user who opened it; only they may pull
	res     resource
	uri     string // the resource URI of the enumerated class, as requested
	mode    int
	items   []*cim.Instance
	pos     int
	expires time.Time
	busy    bool // a Pull is using it
}

// enumStore holds the open enumeration contexts, at most max of them,
// each expiring ttl after its last use.
type enumStore struct {
	mu        sync.Mutex
	m         map[string]*enumContext
	max       int
	ttl       time.Duration
	now       func() time.Time
	lastSweep time.Time
}

func newEnumStore(max int, ttl time.Duration) *enumStore {
	return &enumStore{m: make(map[string]*enumContext), max: max, ttl: ttl, now: time.Now}
}

// newContextID returns a fresh, unguessable context id.
func newContextID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0F | 0x40
	b[8] = b[8]&0x3F | 0x80
	return "uuid:" + string(appendUUID(nil, b))
}

// add stores ec and gives it an id; it fails when the store is full.
func (s *enumStore) add(ec *enumContext) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.m) >= s.max || now.Sub(s.lastSweep) > s.ttl/4 {
		s.sweep(now)
	}
	if len(s.m) >= s.max {
		return false
	}
	ec.id = newContextID()
	ec.expires = now.Add(s.ttl)
	s.m[ec.id] = ec
	return true
}

func (s *enumStore) sweep(now time.Time) {
	s.lastSweep = now
	for id, ec := range s.m {
		if !ec.busy && now.After(ec.expires) {
			delete(s.m, id)
		}
	}
}

// acquire returns the context id names for owner and marks it busy; the
// caller gives it back with release. ok is false for unknown, expired and
// foreign contexts; busy reports a context another Pull is using.
func (s *enumStore) acquire(id []byte, owner string) (ec *enumContext, busy bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ec = s.m[string(id)]
	if ec == nil || ec.owner != owner {
		return nil, false
	}
	if now := s.now(); now.After(ec.expires) && !ec.busy {
		delete(s.m, ec.id)
		return nil, false
	}
	if ec.busy {
		return nil, true
	}
	ec.busy = true
	return ec, false
}

// release gives back a context acquire returned, deleting it when the
// enumeration is over.
func (s *enumStore) release(ec *enumContext, done bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ec.busy = false
	if done {
		delete(s.m, ec.id)
		return
	}
	ec.expires = s.now().Add(s.ttl)
}

// remove deletes the context id names for owner and reports whether it
// existed.
func (s *enumStore) remove(id []byte, owner string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ec := s.m[string(id)]
	if ec == nil || ec.owner != owner {
		return false
	}
	delete(s.m, ec.id)
	return true
}

// len returns the number of open contexts.
func (s *enumStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
