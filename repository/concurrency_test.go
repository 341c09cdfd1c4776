package repository

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

// TestConcurrentReadersAndWriter runs readers while a writer replaces a
// superclass and adds instances, batch after batch. Every snapshot must be
// consistent: the subclass matches the superclass of the same snapshot,
// and batch g has exactly g instances. Run with -race.
func TestConcurrentReadersAndWriter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		const ns = "root/cimv2"
		base := func(g int) *cim.Class {
			return newClass("K_Base", "", keyProp("Id", cim.Uint32), prop(fmt.Sprintf("V%d", g), cim.String))
		}
		putClasses(t, r, ns, base(0), newClass("K_Sub", "K_Base", prop("S", cim.String)))

		check := func(tx *Tx) error {
			b, err := tx.GetClass(ns, "K_Base")
			if err != nil {
				return err
			}
			s, err := tx.GetClass(ns, "K_Sub")
			if err != nil {
				return err
			}
			if got, want := propNames(s), propNames(b)+",S"; got != want {
				return fmt.Errorf("snapshot mixes versions: K_Sub %s, K_Base %s", got, want)
			}
			g, _ := strconv.Atoi(strings.TrimPrefix(b.Properties[1].Name, "V"))
			insts, err := tx.Instances(ns, "K_Base", true)
			if err != nil {
				return err
			}
			if len(insts) != g {
				return fmt.Errorf("batch %d has %d instances", g, len(insts))
			}
			for _, i := range insts {
				if i.Len() != 3 {
					return fmt.Errorf("instance with %d properties", i.Len())
				}
			}
			return nil
		}

		stop := make(chan struct{})
		errs := make(chan error, 16)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if err := r.View(check); err != nil {
						errs <- err
						return
					}
					s, err := r.GetClass(ns, "K_Sub")
					if err == nil && len(s.Properties) != 3 {
						err = fmt.Errorf("K_Sub has %s", propNames(s))
					}
					if err == nil {
						_, err = r.ClassNames(ns, "", true)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		for g := 1; g <= 60; g++ {
			err := r.Update(func(tx *Tx) error {
				if _, err := tx.PutClass(ns, base(g)); err != nil {
					return err
				}
				sub, err := tx.GetClass(ns, "K_Sub")
				if err != nil {
					return err
				}
				_, _, err = tx.PutInstance(ns, newInst(t, sub, "Id", uint32(g), "S", "x"))
				if err != nil {
					return err
				}
				return check(tx)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if err := r.View(check); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCacheStaleReader pins the cache protocol down deterministically: a
// reader whose snapshot predates a commit resolves the old class, and must
// not put it into the cache after the commit.
func TestCacheStaleReader(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *Repository) {
		const ns = "root/cimv2"
		putClasses(t, r, ns, newClass("S_Base", "", prop("A", cim.String)), newClass("S_Sub", "S_Base"))
		r.cache.clear()
		err := r.View(func(tx *Tx) error {
			// A writer commits while this snapshot is open (another
			// goroutine, as a real writer would be).
			done := make(chan error)
			go func() {
				done <- r.Update(func(w *Tx) error {
					_, err := w.PutClass(ns, newClass("S_Base", "", prop("B", cim.String)))
					return err
				})
			}()
			if err := <-done; err != nil {
				return err
			}
			old, err := tx.GetClass(ns, "S_Sub")
			if err == nil && propNames(old) != "A" {
				t.Errorf("snapshot sees S_Sub %s", propNames(old))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if c, _ := r.GetClass(ns, "S_Sub"); propNames(c) != "B" {
			t.Errorf("S_Sub after the commit: %s", propNames(c))
		}
	})
}
