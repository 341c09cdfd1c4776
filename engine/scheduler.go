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
}

func newScheduler(maxRunning, maxQueue int) *scheduler {
	return &scheduler{maxRunning: maxRunning, maxQueue: maxQueue}
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
		s.mu.Unlock()
		go s.work(h, o)
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

// work runs o, then further queued calls, then retires.
func (s *scheduler) work(h *host, o *op) {
outer:
	for {
		o.run()
		s.mu.Lock()
		if h.q.len() > 0 {
			o = h.q.pop()
			s.queued--
			s.mu.Unlock()
			continue
		}
		h.q.running--
		s.running--
		// Hand the engine-wide slot to a host that waits for one.
		for len(s.waiting) > 0 {
			w := s.waiting[0]
			s.waiting = s.waiting[1:]
			w.q.waiting = false
			if w.q.len() == 0 || w.q.running >= w.q.maxRunning {
				continue
			}
			next := w.q.pop()
			s.queued--
			w.q.running++
			s.running++
			if w.q.len() > 0 && w.q.running < w.q.maxRunning {
				w.q.waiting = true
				s.waiting = append(s.waiting, w)
			}
			h, o = w, next
			s.mu.Unlock()
			continue outer
		}
		s.mu.Unlock()
		return
	}
}
