package security

import (
	"sync"
	"time"
)

// failureLimiter limits failed logins per key (a user name or a source
// address). Each key has a token bucket of burst failures that refills one
// token per refill interval; a failure that empties the bucket, and every
// failure while it is empty, blocks the key for a back-off that starts at
// base and doubles up to max. A blocked key is refused at once, without
// checking its password. The back-off level falls back to zero when the
// bucket is full again.
type failureLimiter struct {
	burst  float64
	refill time.Duration
	base   time.Duration
	max    time.Duration
	size   int // the most keys tracked

	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	tokens  float64
	last    time.Time // when tokens was last brought up to date
	strikes int       // failures with an empty bucket, for the back-off
	until   time.Time // blocked until then
}

func newFailureLimiter(burst int, refill, base, max time.Duration, size int) *failureLimiter {
	return &failureLimiter{burst: float64(burst), refill: refill, base: base, max: max, size: size, m: make(map[string]*bucket)}
}

// update refills b up to now.
func (l *failureLimiter) update(b *bucket, now time.Time) {
	if l.refill > 0 {
		b.tokens += float64(now.Sub(b.last)) / float64(l.refill)
	}
	if b.tokens >= l.burst {
		b.tokens = l.burst
		b.strikes = 0
	}
	b.last = now
}

// blocked returns how much longer the first blocked key stays blocked (0
// when none is).
func (l *failureLimiter) blocked(now time.Time, keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		if b, ok := l.m[k]; ok && now.Before(b.until) {
			wait = max(wait, b.until.Sub(now))
		}
	}
	return wait
}

// fail records a failure of each key.
func (l *failureLimiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		b, ok := l.m[k]
		if !ok {
			l.makeRoom(now)
			b = &bucket{tokens: l.burst, last: now}
			l.m[k] = b
		}
		l.update(b, now)
		if b.tokens >= 1 {
			b.tokens--
			if b.tokens >= 1 {
				continue
			}
		}
		b.strikes++
		d := l.base
		for i := 1; i < b.strikes && d < l.max; i++ {
			d *= 2
		}
		b.until = now.Add(min(d, l.max))
	}
}

// succeed forgets the failures of key.
func (l *failureLimiter) succeed(key string) {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
}

// makeRoom drops keys whose bucket is full again; when that is not enough
// it drops every key that is not blocked, and as a last resort all.
func (l *failureLimiter) makeRoom(now time.Time) {
	if len(l.m) < l.size {
		return
	}
	for k, b := range l.m {
		l.update(b, now)
		if b.tokens >= l.burst && !now.Before(b.until) {
			delete(l.m, k)
		}
	}
	if len(l.m) < l.size {
		return
	}
	for k, b := range l.m {
		if !now.Before(b.until) {
			delete(l.m, k)
		}
	}
	if len(l.m) >= l.size {
		clear(l.m)
	}
}
