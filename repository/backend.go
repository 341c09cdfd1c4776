package repository

// bucket names one of the per-namespace key spaces of a store.
type bucket uint8

// The per-namespace buckets. Keys are lower-cased so that byte order is
// case-insensitive name order.
const (
	// bQualifiers maps a qualifier name to its encoded declaration.
	bQualifiers bucket = iota
	// bClasses maps a class name to its encoded declared class.
	bClasses
	// bChildren maps super + 0x00 + class to the class's spelling; a
	// top-level class is filed under the empty super. It answers "the
	// direct subclasses of X" with one prefix scan.
	bChildren
	// bInstances maps keyroot + 0x00 + canonical keys to an encoded
	// instance (see instkey.go).
	bInstances
	// bInstanceIndex maps class + 0x00 + instance key to nothing: the
	// instances of one class, whatever their key root.
	bInstanceIndex
	numBuckets
)

var bucketNames = [numBuckets][]byte{
	bQualifiers:    []byte("qualifiers"),
	bClasses:       []byte("classes"),
	bChildren:      []byte("children"),
	bInstances:     []byte("instances"),
	bInstanceIndex: []byte("instindex"),
}

// backend is a storage engine: it hands out transactions over a set of
// namespaces, each with the buckets above, plus a small meta key space.
// The bbolt store (bolt.go) and the in-memory store (memory.go) implement
// it; everything else in the package is written against this interface.
type backend interface {
	// begin starts a transaction. Writable transactions are serialized by
	// the caller.
	begin(writable bool) (store, error)
	// close releases the backend; it waits for open transactions.
	close() error
}

// store is one transaction of a backend. Byte slices it returns are valid
// until the transaction ends and must not be modified. Slices passed to put
// must not be modified until then either.
type store interface {
	// namespaces returns the namespaces as lower-cased key -> spelling.
	namespaces() map[string]string
	createNamespace(key, name string) error
	deleteNamespace(key string) error

	// get returns the value of key, or nil when absent (also when the
	// namespace does not exist).
	get(ns string, b bucket, key []byte) []byte
	put(ns string, b bucket, key, val []byte) error
	del(ns string, b bucket, key []byte) error
	// scan calls fn for each key with the prefix, in byte order, until fn
	// returns false. fn must not write to the store.
	scan(ns string, b bucket, prefix []byte, fn func(k, v []byte) bool)

	getMeta(key string) []byte
	putMeta(key string, val []byte) error

	commit() error
	rollback()
}
