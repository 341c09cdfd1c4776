// Package repository is the object store of gowbem: namespaces, qualifier
// declarations, classes and static instances.
//
// # Two stores, one Repository
//
// Open returns a Repository kept in one bbolt file, dir/repository.db, the
// default for the object manager. NewMemory returns one kept in memory, for
// tests and embedding. Both sit behind the same small internal interface
// (backend and store: get, put, delete and prefix scans over per-namespace
// buckets) and behave the same: the test suite runs every case against
// both.
//
// # Reading and writing
//
// Reads go through Repository methods (GetClass, ClassNames, Instances, ...)
// or, for several reads that must agree, through View. Writes are batches:
//
//	err := repo.Update(func(tx *repository.Tx) error {
//		if err := tx.CreateNamespace("root/test"); err != nil {
//			return err
//		}
//		_, err := tx.PutClass("root/test", class)
//		return err
//	})
//
// A batch is all or nothing: if the function returns an error or panics,
// nothing of it is stored. The MOF compiler compiles a whole file in one
// Update. Classes are stored in their declared form (local features only)
// and returned resolved (cim.Resolve over the superclass chain); resolved
// classes are cached and shared, and a commit that changes a class drops it
// and all its subclasses from the cache. Instances are stored as their class
// name and property name/value pairs and rebuilt against the current class
// on every read.
//
// Namespaces are created on demand (Tx.CreateNamespace creates the parents
// too); root and root/cimv2 exist from the start. Names compare
// case-insensitively, accept '\' or '/' as separator and keep the spelling
// they were created with. Every namespace holds the WMI system classes
// (__SystemClass, __PARAMETERS, __NotifyStatus, __ExtendedStatus,
// __Provider, __Win32Provider, the provider registrations, __Namespace).
// Instances of __Namespace are not stored: they are the child namespaces.
//
// # On-disk layout
//
// The bbolt file holds two top-level buckets:
//
//	meta                    format -> "1", system-classes -> "1", created -> RFC 3339 time
//	ns                      one bucket per namespace, named by its key
//	  root/cimv2            the key: lower-cased, '/'-separated
//	    name                (a key) the namespace's spelling, "root/CIMV2"
//	    qualifiers          qualifier -> encoded declaration
//	    classes             class -> encoded declared class
//	    children            super 0x00 class -> class spelling ("" super for top-level classes)
//	    instances           keyroot 0x00 canonical keys -> encoded instance
//	    instindex           class 0x00 instance key -> empty
//
// Names in keys are lower-cased, so bbolt's byte order is case-insensitive
// name order and ClassNames needs no decoding. The children index answers
// "direct subclasses of X" with one prefix scan and "all classes" with one
// pass, which is how listing the 1,400 classes of the CIM Schema stays in
// the low milliseconds.
//
// An instance is filed under its key root, the topmost superclass with the
// same key properties (CIM_System for a CIM_ComputerSystem), and its
// canonical keys: the key properties sorted by name, as name=value with
// typed values in canonical text and strings lower-cased. So "5" and 5 name
// the same uint32 key, keys are unique across a key hierarchy, and a path
// naming a superclass finds an instance of a subclass, as in WMI. The
// record encoding (codec.go) is a hand-written, versioned binary format.
//
// # Crash safety and locking
//
// bbolt commits copy-on-write: the new pages are written and synced, then a
// new meta page (checksummed, one of two) is written and synced. A process
// killed at any point leaves the file with either the old or the new meta
// page, so an Update is either fully in the file or not at all and a half
// compiled MOF never shows. The file is always opened with a lock (flock):
// a second process that opens the same repository for writing waits at
// most Options.Timeout (one second by default) and then fails with an
// error wrapping ErrLocked that names the file and, when known, the process
// holding it (from repository.pid beside the file). Read-only opens share
// the lock with each other.
//
// # Concurrency
//
// Repository is safe for concurrent use. Updates are serialized; reads run
// alongside them on consistent snapshots. Lock order: writeMu (one Update
// at a time) before commitMu (commit and cache invalidation against the
// start of a transaction) before the cache's own lock.
package repository
