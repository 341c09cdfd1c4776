package cimtest

import (
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
