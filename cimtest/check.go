package cimtest

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// CheckFor calls f every interval until it returns nil, and fails the test
// with f's last error when timeout passes first. It is the bounded,
// polling replacement for time.Sleep in tests.
func CheckFor(t testing.TB, timeout, interval time.Duration, f func() error) {
	t.Helper()
	if err := Poll(timeout, interval, f); err != nil {
		t.Fatalf("condition not met after %v: %v", timeout, err)
	}
}

// Poll calls f every interval until it returns nil or timeout passes, and
// returns f's last error (nil on success). It is CheckFor for code that
// cannot fail a test directly, such as a goroutine.
func Poll(timeout, interval time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(interval)
	}
}

// LogBuffer is a goroutine-safe buffer for capturing a server's logs in
// tests (slog handlers write to it from many goroutines).
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
