package native

import (
	"bytes"
	"context"
	"sync"

	"github.com/gowbem/gowbem/status"
)

// maxBatch is the size above which the writer splits the queued messages
// into several WebSocket messages (at line boundaries). A single larger
// message goes alone.
const maxBatch = 256 << 10

// maxSpare is the largest buffer the outbox keeps for reuse.
const maxSpare = 1 << 20

// outbox is the bounded, coalescing send queue of one connection.
// Producers append whole messages (each ending in '\n'); one writer
// goroutine takes everything queued at once and writes it as one
// WebSocket message (or a few, for large batches), so that under load
// many protocol messages share a frame and a system call.
//
// The bound counts bytes queued and being written. push refuses a message
// that would pass it (unless the queue is empty, so that one large
// message always fits); pushForce ignores it (final statuses, whose
// number the in-flight limit bounds); pushWait waits for room.
type outbox struct {
	mu      sync.Mutex
	buf     []byte
	spare   []byte
	pending int
	limit   int
	closed  bool
	wake    chan struct{} // cap 1: the queue became non-empty, or closed
	room    chan struct{} // closed and replaced when a write completes
	done    chan struct{} // closed when the writer has returned
	err     error         // why the writer stopped
	scratch sync.Pool     // *[]byte encode buffers
}

func newOutbox(limit int) *outbox {
	return &outbox{
		limit: limit,
		wake:  make(chan struct{}, 1),
		room:  make(chan struct{}),
		done:  make(chan struct{}),
	}
}

// getBuf returns an empty encode buffer; putBuf gives it back.
func (o *outbox) getBuf() *[]byte {
	if b, ok := o.scratch.Get().(*[]byte); ok {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, 512)
	return &b
}

func (o *outbox) putBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		o.scratch.Put(b)
	}
}

// push queues msg unless the queue is over its limit; it reports whether
// it did. A closed outbox accepts and drops everything.
func (o *outbox) push(msg []byte) (ok, closed bool) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return true, true
	}
	if o.pending > 0 && o.pending+len(msg) > o.limit {
		o.mu.Unlock()
		return false, false
	}
	o.appendLocked(msg)
	return true, false
}

// pushForce queues msg whatever the limit.
func (o *outbox) pushForce(msg []byte) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.appendLocked(msg)
}

// pushWait queues msg, waiting for room while the queue is over its
// limit. It fails when ctx ends first or the outbox is closed.
func (o *outbox) pushWait(ctx context.Context, msg []byte) error {
	for {
		o.mu.Lock()
		if o.closed {
			err := o.err
			o.mu.Unlock()
			return status.New(status.WBEM_E_TRANSPORT_FAILURE, "connection closed: %v", err)
		}
		if o.pending == 0 || o.pending+len(msg) <= o.limit {
			o.appendLocked(msg)
			return nil
		}
		room := o.room
		o.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return status.New(status.WBEM_E_CALL_CANCELLED, "waiting to send: %v", ctx.Err())
		}
	}
}

// appendLocked appends msg and wakes the writer; o.mu is held and is
// released.
func (o *outbox) appendLocked(msg []byte) {
	wasEmpty := len(o.buf) == 0
	o.buf = append(o.buf, msg...)
	o.pending += len(msg)
	o.mu.Unlock()
	if wasEmpty {
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
}

// close stops the outbox: queued messages that the writer has not taken
// are dropped, and further pushes are dropped too.
func (o *outbox) close(err error) {
	o.mu.Lock()
	if !o.closed {
		o.closed = true
		o.err = err
		o.buf = nil
		close(o.room)
	}
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// run is the writer loop: it writes batches with write until the outbox
// is closed or write fails, and returns the error.
func (o *outbox) run(write func([]byte) error) error {
	defer close(o.done)
	for {
		o.mu.Lock()
		for len(o.buf) == 0 && !o.closed {
			o.mu.Unlock()
			<-o.wake
			o.mu.Lock()
		}
		if o.closed {
			err := o.err
			o.mu.Unlock()
			return err
		}
		batch := o.buf
		o.buf = o.spare[:0]
		o.spare = nil
		o.mu.Unlock()

		err := writeBatch(batch, write)

		o.mu.Lock()
		o.pending -= len(batch)
		if cap(batch) <= maxSpare {
			o.spare = batch[:0]
		}
		if !o.closed {
			close(o.room)
			o.room = make(chan struct{})
		}
		o.mu.Unlock()
		if err != nil {
			o.close(err)
			return err
		}
	}
}

// writeBatch writes batch as WebSocket messages of about maxBatch bytes,
// split at line ends.
func writeBatch(batch []byte, write func([]byte) error) error {
	for len(batch) > 0 {
		n := len(batch)
		if n > maxBatch {
			if i := bytes.LastIndexByte(batch[:maxBatch], '\n'); i >= 0 {
				n = i + 1
			} else if i := bytes.IndexByte(batch[maxBatch:], '\n'); i >= 0 {
				n = maxBatch + i + 1
			}
		}
		if err := write(batch[:n]); err != nil {
			return err
		}
		batch = batch[n:]
	}
	return nil
}
