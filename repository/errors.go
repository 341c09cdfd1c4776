package repository

import (
	"errors"

	"github.com/gowbem/gowbem/status"
)

// ErrLocked is returned by Open when another process holds the repository
// file and the lock did not come free within Options.Timeout.
var ErrLocked = errors.New("repository locked")

// ErrClosed is returned by every call on a Repository after Close. It
// carries the status code WBEM_E_SHUTTING_DOWN.
var ErrClosed = errors.New("repository closed")

// ErrReadOnly is returned by Update on a repository opened with
// Options.ReadOnly. It carries the status code WBEM_E_ACCESS_DENIED.
var ErrReadOnly = errors.New("repository is read-only")

// ErrCorrupt is returned when a stored record cannot be decoded. It
// carries the status code WBEM_E_FAILED.
var ErrCorrupt = errors.New("repository record corrupt")

// codedError joins one of the sentinels above with a status code, so that
// both errors.Is(err, ErrClosed) and status.Code(err) work.
type codedError struct {
	sentinel error
	st       *status.Error
}

func (e *codedError) Error() string   { return e.st.Error() }
func (e *codedError) Unwrap() []error { return []error{e.sentinel, e.st} }

func errClosed() error {
	return &codedError{sentinel: ErrClosed, st: status.New(status.WBEM_E_SHUTTING_DOWN, "the repository is closed")}
}

func errReadOnly(path string) error {
	return &codedError{sentinel: ErrReadOnly, st: status.New(status.WBEM_E_ACCESS_DENIED, "the repository %s is open read-only", path)}
}

// errTxDone is the error of a Tx method called after its Update or View
// returned.
func errTxDone() error {
	return status.New(status.WBEM_E_INVALID_OPERATION, "repository transaction already finished")
}

func errTxReadOnly() error {
	return status.New(status.WBEM_E_INVALID_OPERATION, "write in a read-only repository transaction (use Update)")
}
