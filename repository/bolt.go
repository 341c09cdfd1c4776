package repository

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// Top-level bbolt buckets.
var (
	boltMeta       = []byte("meta")
	boltNamespaces = []byte("ns")
	// boltNSName is the key, inside a namespace's bucket, of the
	// namespace's spelling.
	boltNSName = []byte("name")
)

// boltBackend is the persistent store: one bbolt file.
type boltBackend struct{ db *bolt.DB }

func (b *boltBackend) begin(writable bool) (store, error) {
	tx, err := b.db.Begin(writable)
	if err != nil {
		return nil, err
	}
	return &boltStore{tx: tx}, nil
}

func (b *boltBackend) close() error { return b.db.Close() }

// boltStore is one bbolt transaction. Bucket handles are looked up once per
// namespace and kept for the life of the transaction.
type boltStore struct {
	tx      *bolt.Tx
	handles map[string]*[numBuckets]*bolt.Bucket
}

func (s *boltStore) ns(key string) *[numBuckets]*bolt.Bucket {
	if h, ok := s.handles[key]; ok {
		return h
	}
	if s.handles == nil {
		s.handles = make(map[string]*[numBuckets]*bolt.Bucket)
	}
	var h *[numBuckets]*bolt.Bucket
	if root := s.tx.Bucket(boltNamespaces); root != nil {
		if nb := root.Bucket([]byte(key)); nb != nil {
			h = new([numBuckets]*bolt.Bucket)
			for i := range h {
				h[i] = nb.Bucket(bucketNames[i])
			}
		}
	}
	s.handles[key] = h
	return h
}

func (s *boltStore) bucket(ns string, b bucket) *bolt.Bucket {
	if h := s.ns(ns); h != nil {
		return h[b]
	}
	return nil
}

func (s *boltStore) namespaces() map[string]string {
	out := make(map[string]string)
	root := s.tx.Bucket(boltNamespaces)
	if root == nil {
		return out
	}
	_ = root.ForEachBucket(func(k []byte) error {
		name := root.Bucket(k).Get(boltNSName)
		out[string(k)] = string(name)
		return nil
	})
	return out
}

func (s *boltStore) createNamespace(key, name string) error {
	root, err := s.tx.CreateBucketIfNotExists(boltNamespaces)
	if err != nil {
		return err
	}
	nb, err := root.CreateBucket([]byte(key))
	if err != nil {
		return err
	}
	if err := nb.Put(boltNSName, []byte(name)); err != nil {
		return err
	}
	h := new([numBuckets]*bolt.Bucket)
	for i := range h {
		if h[i], err = nb.CreateBucket(bucketNames[i]); err != nil {
			return err
		}
	}
	if s.handles == nil {
		s.handles = make(map[string]*[numBuckets]*bolt.Bucket)
	}
	s.handles[key] = h
	return nil
}

func (s *boltStore) deleteNamespace(key string) error {
	delete(s.handles, key)
	root := s.tx.Bucket(boltNamespaces)
	if root == nil {
		return nil
	}
	return root.DeleteBucket([]byte(key))
}

func (s *boltStore) get(ns string, b bucket, key []byte) []byte {
	if bk := s.bucket(ns, b); bk != nil {
		return bk.Get(key)
	}
	return nil
}

func (s *boltStore) put(ns string, b bucket, key, val []byte) error {
	bk := s.bucket(ns, b)
	if bk == nil {
		return errNoBucket
	}
	return bk.Put(key, val)
}

func (s *boltStore) del(ns string, b bucket, key []byte) error {
	bk := s.bucket(ns, b)
	if bk == nil {
		return nil
	}
	return bk.Delete(key)
}

func (s *boltStore) scan(ns string, b bucket, prefix []byte, fn func(k, v []byte) bool) {
	bk := s.bucket(ns, b)
	if bk == nil {
		return
	}
	c := bk.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if !fn(k, v) {
			return
		}
	}
}

func (s *boltStore) getMeta(key string) []byte {
	if b := s.tx.Bucket(boltMeta); b != nil {
		return b.Get([]byte(key))
	}
	return nil
}

func (s *boltStore) putMeta(key string, val []byte) error {
	b, err := s.tx.CreateBucketIfNotExists(boltMeta)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), val)
}

func (s *boltStore) commit() error { return s.tx.Commit() }
func (s *boltStore) rollback()     { _ = s.tx.Rollback() }
