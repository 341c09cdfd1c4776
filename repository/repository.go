package repository

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the name of the bbolt file inside a repository directory.
const FileName = "repository.db"

// pidFileName names the file, beside the database, in which the process
// that holds the repository open for writing notes its process id, so that
// a second process can say who holds the lock.
const pidFileName = "repository.pid"

// DefaultTimeout is how long Open waits for the file lock by default.
const DefaultTimeout = time.Second

// formatVersion is the version of the on-disk layout (buckets and keys).
// Open refuses files of a newer format.
const formatVersion = 1

// Meta keys.
const (
	metaFormat  = "format"
	metaSystem  = "system-classes"
	metaCreated = "created"
)

// defaultNamespaces are the namespaces a new repository starts with.
var defaultNamespaces = []string{"root", "root/cimv2"}

// Options configures Open.
type Options struct {
	// Timeout is how long Open waits for the lock on the repository file
	// when another process holds it. Zero means DefaultTimeout; a negative
	// value means not to wait at all.
	Timeout time.Duration
	// ReadOnly opens the file with a shared lock: several read-only
	// processes may open a repository at once, but not while a process
	// has it open for writing. Update fails with ErrReadOnly.
	ReadOnly bool
	// NoSync skips the fsync at each commit. Commits stay atomic and a
	// process crash loses nothing, but a power failure or kernel crash may
	// lose the last commits or damage the file. Meant for tests and
	// scratch repositories.
	NoSync bool
}

// Repository is the object store of the object manager: namespaces,
// qualifier declarations, classes and static instances. It is safe for
// concurrent use: reads run in parallel with each other and with one
// writer; writes (Update) are serialized.
//
// Classes are returned resolved (see cim.Resolve) and shared between
// callers: do not modify them. Instances are returned as fresh copies.
type Repository struct {
	be       backend
	path     string // the bbolt file, "" for the in-memory store
	pidFile  string
	readOnly bool

	writeMu  sync.Mutex   // serializes Update
	commitMu sync.RWMutex // commit + cache invalidation vs. the start of a transaction
	ns       atomic.Pointer[nsTable]
	cache    classCache
	closed   atomic.Bool
}

// NewMemory returns a repository held in memory, holding the default
// namespaces and the system classes. It behaves like a persistent one
// (transactions, caching, errors) and is meant for tests and for embedding.
func NewMemory() *Repository {
	r := &Repository{be: newMemBackend()}
	r.ns.Store(newNSTable(map[string]string{}))
	if err := r.init(); err != nil {
		panic("repository: initializing the in-memory store: " + err.Error())
	}
	return r
}

// Open opens the persistent repository in directory dir, creating the
// directory and the file (with the default namespaces and the system
// classes) when they do not exist. The file is dir/repository.db.
//
// Only one process may have a repository open for writing. When another
// process holds it, Open waits up to opts.Timeout and then fails with an
// error that wraps ErrLocked and names the path (and the holder's process
// id when known).
func Open(dir string, opts Options) (*Repository, error) {
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("repository %s: %w", dir, err)
		}
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  timeout,
		ReadOnly: opts.ReadOnly,
		NoSync:   opts.NoSync,
		// A generous initial map means the file rarely needs remapping,
		// which would wait for every open read transaction.
		InitialMmapSize: 64 << 20,
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, lockedError(dir, timeout)
		}
		return nil, fmt.Errorf("repository %s: %w", path, err)
	}
	r := &Repository{be: &boltBackend{db: db}, path: path, readOnly: opts.ReadOnly}
	r.ns.Store(newNSTable(map[string]string{}))
	if err := r.init(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("repository %s: %w", path, err)
	}
	if !opts.ReadOnly {
		r.pidFile = filepath.Join(dir, pidFileName)
		_ = os.WriteFile(r.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	}
	return r, nil
}

// lockedError builds the error for a repository held by another process.
func lockedError(dir string, waited time.Duration) error {
	who := ""
	if b, err := os.ReadFile(filepath.Join(dir, pidFileName)); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 && processAlive(pid) {
			who = fmt.Sprintf(" (pid %d)", pid)
		}
	}
	after := "without waiting"
	if waited > 0 {
		after = "after waiting " + waited.String()
	}
	return fmt.Errorf("%w: %s is in use by another process%s; gave up %s",
		ErrLocked, filepath.Join(dir, FileName), who, after)
}

// processAlive reports whether a process with the id exists (best effort;
// false where the check is not supported).
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}

// init loads the namespace table and, for a new or outdated store, writes
// the format version, the default namespaces and the system classes in
// one transaction.
func (r *Repository) init() error {
	var format, sys uint64
	var names map[string]string
	err := r.View(func(tx *Tx) error {
		format = metaUint(tx.s.getMeta(metaFormat))
		sys = metaUint(tx.s.getMeta(metaSystem))
		names = tx.s.namespaces()
		return nil
	})
	if err != nil {
		return err
	}
	r.ns.Store(newNSTable(names))
	switch {
	case format > formatVersion:
		return fmt.Errorf("file format %d is newer than this program supports (%d)", format, formatVersion)
	case format == formatVersion && sys >= systemClassesVersion:
		return nil
	case r.readOnly:
		if format == 0 {
			return errors.New("not an initialized repository (open it once for writing)")
		}
		return nil // an older system class set; reads still work
	}
	return r.Update(func(tx *Tx) error {
		if format == 0 {
			if err := tx.s.putMeta(metaFormat, []byte(strconv.Itoa(formatVersion))); err != nil {
				return err
			}
			if err := tx.s.putMeta(metaCreated, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
				return err
			}
			for _, ns := range defaultNamespaces {
				if err := tx.CreateNamespace(ns); err != nil {
					return err
				}
			}
		} else {
			for _, key := range sortedKeys(tx.ns.refs) {
				if err := tx.installSystemClasses(tx.ns.refs[key]); err != nil {
					return err
				}
			}
		}
		tx.dirty = true
		return tx.s.putMeta(metaSystem, []byte(strconv.Itoa(systemClassesVersion)))
	})
}

func metaUint(b []byte) uint64 {
	n, _ := strconv.ParseUint(string(b), 10, 64)
	return n
}

// Path returns the path of the repository file, or "" for an in-memory
// repository.
func (r *Repository) Path() string { return r.path }

// Close waits for running transactions, then releases the file and its
// lock. Later calls fail with ErrClosed. Close is idempotent.
func (r *Repository) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	err := r.be.close()
	r.cache.clear()
	if r.pidFile != "" {
		_ = os.Remove(r.pidFile)
	}
	return err
}

// mapErr turns backend errors into repository errors.
func (r *Repository) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, berrors.ErrDatabaseNotOpen), errors.Is(err, errBackendClosed):
		return errClosed()
	case errors.Is(err, berrors.ErrDatabaseReadOnly), errors.Is(err, berrors.ErrTxNotWritable):
		return errReadOnly(r.path)
	}
	var se *status.Error
	if errors.As(err, &se) {
		return err
	}
	return &codedError{sentinel: err, st: status.New(status.WBEM_E_FAILED, "repository %s: %v", r.path, err)}
}

// View runs fn in a read-only transaction: every read in fn sees the same
// committed state. fn must not keep tx after it returns, and must not call
// Update or View of the same repository (use tx instead).
func (r *Repository) View(fn func(tx *Tx) error) error {
	if r.closed.Load() {
		return errClosed()
	}
	r.commitMu.RLock()
	s, err := r.be.begin(false)
	gen := r.cache.generation()
	ns := r.ns.Load()
	r.commitMu.RUnlock()
	if err != nil {
		return r.mapErr(err)
	}
	tx := &Tx{r: r, s: s, ns: ns, gen: gen}
	defer func() {
		tx.done = true
		s.rollback()
		r.cache.addAll(gen, tx.local)
	}()
	return fn(tx)
}

// Update runs fn in a read-write transaction and commits its writes as one
// atomic batch: if fn returns an error or panics, or a write fails,
// nothing of it is stored (a panic is re-raised after the rollback). The
// error of fn is returned as is. Reads through tx see tx's own writes.
// Other readers see either none or all of them.
//
// Updates are serialized; fn should not block on anything but the
// repository. fn must not keep tx after it returns, and must not call
// Update or View of the same repository (use tx instead).
func (r *Repository) Update(fn func(tx *Tx) error) (err error) {
	if r.readOnly {
		return errReadOnly(r.path)
	}
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	if r.closed.Load() {
		return errClosed()
	}
	s, err := r.be.begin(true)
	if err != nil {
		return r.mapErr(err)
	}
	tx := &Tx{r: r, s: s, writable: true, ns: r.ns.Load(), gen: r.cache.generation()}
	committed := false
	defer func() {
		tx.done = true
		if !committed {
			s.rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if tx.err != nil {
		return tx.err
	}
	if !tx.dirty {
		return nil
	}
	r.commitMu.Lock()
	defer r.commitMu.Unlock()
	if err := s.commit(); err != nil {
		return r.mapErr(err)
	}
	committed = true
	r.ns.Store(tx.ns)
	r.cache.commit(tx.reset, tx.stale, tx.local)
	return nil
}

// read runs a read in a read-only transaction.
func read[T any](r *Repository, fn func(tx *Tx) (T, error)) (T, error) {
	var out T
	err := r.View(func(tx *Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

// Namespaces returns the names of all namespaces, sorted
// case-insensitively, with '/' separators and the spelling they were
// created with.
func (r *Repository) Namespaces() []string {
	return append([]string(nil), r.ns.Load().sorted...)
}

// HasNamespace reports whether namespace ns exists. Names compare
// case-insensitively and may use '\' or '/' as separator.
func (r *Repository) HasNamespace(ns string) bool {
	_, ok := r.ns.Load().lookup(ns)
	return ok
}

// NamespaceName returns the stored spelling of namespace ns ("root/CIMV2"
// for "ROOT\cimv2" if it was created so), and whether it exists.
func (r *Repository) NamespaceName(ns string) (string, bool) {
	ref, ok := r.ns.Load().lookup(ns)
	return ref.name, ok
}

// GetClass returns the resolved class name of namespace ns, with every
// inherited feature and its Namespace set. The class is shared: do not
// modify it. Errors: WBEM_E_INVALID_NAMESPACE, WBEM_E_NOT_FOUND.
func (r *Repository) GetClass(ns, name string) (*cim.Class, error) {
	var nbuf, cbuf [64]byte
	nk := appendNSKey(nbuf[:0], ns)
	if _, ok := r.ns.Load().refs[string(nk)]; ok && !r.closed.Load() {
		if c := r.cache.getBytes(nk, appendLower(cbuf[:0], name)); c != nil {
			return c, nil
		}
	}
	return read(r, func(tx *Tx) (*cim.Class, error) { return tx.GetClass(ns, name) })
}

// ClassNames returns the names of the subclasses of super in namespace ns,
// sorted case-insensitively: the direct subclasses, or all descendants when
// deep is true. An empty super means the top-level classes (with deep,
// every class of the namespace). Errors: WBEM_E_INVALID_NAMESPACE,
// WBEM_E_NOT_FOUND (super does not exist).
func (r *Repository) ClassNames(ns, super string, deep bool) ([]string, error) {
	return read(r, func(tx *Tx) ([]string, error) { return tx.ClassNames(ns, super, deep) })
}

// Classes is ClassNames returning the resolved classes.
func (r *Repository) Classes(ns, super string, deep bool) ([]*cim.Class, error) {
	return read(r, func(tx *Tx) ([]*cim.Class, error) { return tx.Classes(ns, super, deep) })
}

// SubclassNames returns the names of the subclasses of class, which must
// exist (WBEM_E_NOT_FOUND otherwise); see ClassNames.
func (r *Repository) SubclassNames(ns, class string, deep bool) ([]string, error) {
	return read(r, func(tx *Tx) ([]string, error) { return tx.SubclassNames(ns, class, deep) })
}

// QualifierDecl returns the declaration of qualifier name in namespace ns.
// Errors: WBEM_E_INVALID_NAMESPACE, WBEM_E_NOT_FOUND.
func (r *Repository) QualifierDecl(ns, name string) (*cim.QualifierDecl, error) {
	return read(r, func(tx *Tx) (*cim.QualifierDecl, error) { return tx.QualifierDecl(ns, name) })
}

// QualifierDecls returns every qualifier declaration of namespace ns,
// sorted case-insensitively by name.
func (r *Repository) QualifierDecls(ns string) ([]*cim.QualifierDecl, error) {
	return read(r, func(tx *Tx) ([]*cim.QualifierDecl, error) { return tx.QualifierDecls(ns) })
}

// Instance returns the static instance that path names in namespace ns
// (see Tx.Instance for how keys are matched). Errors:
// WBEM_E_INVALID_NAMESPACE, WBEM_E_INVALID_CLASS, WBEM_E_INVALID_OBJECT_PATH,
// WBEM_E_NOT_FOUND.
func (r *Repository) Instance(ns string, path *cim.ObjectPath) (*cim.Instance, error) {
	return read(r, func(tx *Tx) (*cim.Instance, error) { return tx.Instance(ns, path) })
}

// Instances returns the static instances of class in namespace ns, and of
// its subclasses when deep is true. Errors: WBEM_E_INVALID_NAMESPACE,
// WBEM_E_INVALID_CLASS.
func (r *Repository) Instances(ns, class string, deep bool) ([]*cim.Instance, error) {
	return read(r, func(tx *Tx) ([]*cim.Instance, error) { return tx.Instances(ns, class, deep) })
}
