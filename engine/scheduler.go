package engine

import (
	"sync"

	"github.com/gowbem/gowbem/status"
)

// scheduler bounds the provider calls that execute at once and the calls
// waiting for a worker, per provider host and in the whole engine. A
// worker is a goroutine that runs provider calls; it keeps running calls
// from its host's queue before it retires, and hands its engine-wide slot
// to a host that waits for one.
type scheduler struct {
	mu         sync.Mutex
	running    int
	maxRunning int
	queued     int
	maxQueue   int
	// waiting lists hosts that have queued calls and room for a worker,
	// but found the engine-wide limit reached.
	waiting []*host
	// idle holds parked workers, most recently parked last. Reusing a
	// worker saves a goroutine start and its stack growth per call.
	idle   []*worker
	closed bool
}

// maxIdleWorkers bounds the parked workers kept for reuse.
const maxIdleWorkers = 256

// worker is a long-lived goroutine that runs provider calls.
type worker struct{ next chan workItem }

// workItem hands a call to a parked worker; a zero item stops it.
type workItem struct {
	h *host
	o *op
}

func newScheduler(maxRunning, maxQueue int) *scheduler {
	return &scheduler{maxRunning: maxRunning, maxQueue: maxQueue}
}

// close stops the parked workers; busy ones stop when they finish.
func (s *scheduler) close() {
	s.mu.Lock()
	s.closed = true
	idle := s.idle
	s.idle = nil
	s.mu.Unlock()
	for _, w := range idle {
		close(w.next)
	}
}

// dispatch runs o on a parked worker or a new one; s.mu is held and is
// released.
func (s *scheduler) dispatch(h *host, o *op) {
	if n := len(s.idle); n > 0 {
		w := s.idle[n-1]
		s.idle[n-1] = nil
		s.idle = s.idle[:n-1]
		s.mu.Unlock()
		w.next <- workItem{h, o}
		return
	}
	s.mu.Unlock()
	go s.work(&worker{next: make(chan workItem, 1)}, h, o)
}

// hostQueue is the per-host part of the scheduler state; scheduler.mu
// guards it.
type hostQueue struct {
	running    int
	maxRunning int
	queue      []*op
	head       int
	maxQueue   int
	waiting    bool
}

func (q *hostQueue) len() int { return len(q.queue) - q.head }

func (q *hostQueue) pop() *op {
	o := q.queue[q.head]
	q.queue[q.head] = nil
	q.head++
	if q.head == len(q.queue) {
		q.queue, q.head = q.queue[:0], 0
	}
	return o
}

// errQuota is the admission failure when every limit is reached.
func errQuota(what string) error {
	return status.New(status.WBEM_E_QUOTA_VIOLATION, "too many calls in flight (%s limit reached)", what)
}

// submit runs o on a worker of h now, or queues it. It fails with
// WBEM_E_QUOTA_VIOLATION when both the worker and the queue limits are
// reached.
func (s *scheduler) submit(h *host, o *op) error {
	s.mu.Lock()
	q := &h.q
	if q.running < q.maxRunning && s.running < s.maxRunning && q.len() == 0 {
		q.running++
		s.running++
		s.dispatch(h, o)
		return nil
	}
	if q.len() >= q.maxQueue {
		s.mu.Unlock()
		return errQuota("provider queue")
	}
	if s.queued >= s.maxQueue {
		s.mu.Unlock()
		return errQuota("engine queue")
	}
	q.queue = append(q.queue, o)
	s.queued++
	if q.running < q.maxRunning && !q.waiting {
		q.waiting = true
		s.waiting = append(s.waiting, h)
	}
	s.mu.Unlock()
	return nil
}

// next is called with s.mu held after a call ran on a worker slot of h.
// It returns the next call for that slot — from h's queue, or from a host
// waiting for an engine-wide slot — or releases the slot and returns nil.
// s.mu stays held.
func (s *scheduler) next(h *host) (*host, *op) {
	if h.q.len() > 0 {
		s.queued--
		return h, h.q.pop()
	}
	h.q.running--
	s.running--
	for len(s.waiting) > 0 {
		wh := s.waiting[0]
		s.waiting = s.waiting[1:]
		wh.q.waiting = false
		if wh.q.len() == 0 || wh.q.running >= wh.q.maxRunning {
			continue
		}
		o := wh.q.pop()
		s.queued--
		wh.q.running++
		s.running++
		if wh.q.len() > 0 && wh.q.running < wh.q.maxRunning {
			wh.q.waiting = true
			s.waiting = append(s.waiting, wh)
		}
		return wh, o
	}
	return nil, nil
}

// work runs o, then the calls next hands its slot; then it parks for
// reuse, or retires.
func (s *scheduler) work(w *worker, h *host, o *op) {
	for {
		o.run()
		s.mu.Lock()
		if nh, no := s.next(h); no != nil {
			s.mu.Unlock()
			h, o = nh, no
			continue
		}
		if s.closed || len(s.idle) >= maxIdleWorkers {
			s.mu.Unlock()
			return
		}
		s.idle = append(s.idle, w)
		s.mu.Unlock()
		item, ok := <-w.next
		if !ok {
			return
		}
		h, o = item.h, item.o
	}
}

// runInline runs o on the calling goroutine when h and the engine have a
// free worker slot and nothing is queued before it, and reports whether
// it did. Synchronous callers block anyway, so running their call here
// saves two goroutine hand-offs; the slot counts against the same limits
// as a worker's.
func (s *scheduler) runInline(h *host, o *op) bool {
	s.mu.Lock()
	q := &h.q
	if q.running >= q.maxRunning || s.running >= s.maxRunning || q.len() > 0 {
		s.mu.Unlock()
		return false
	}
	q.running++
	s.running++
	s.mu.Unlock()
	o.run()
	s.mu.Lock()
	if nh, no := s.next(h); no != nil {
		s.dispatch(nh, no) // the slot passes to a worker
		return true
	}
	s.mu.Unlock()
	return true
}
