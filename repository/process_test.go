package repository

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	bolt "go.etcd.io/bbolt"
)

// Environment of the helper process.
const (
	helperEnvDir  = "GOWBEM_REPOSITORY_HELPER_DIR"
	helperEnvMode = "GOWBEM_REPOSITORY_HELPER_MODE"
)

// Shape of one batch written by the helper.
const (
	crashInstances = 300
	crashNS        = "root/crash"
)

// TestHelperProcess is not a test: it is the child process the tests below
// start (the test binary re-executed with helperEnvMode set).
//
//	write: writes batches in a loop, printing "committed N" after each
//	hold:  opens the repository, prints "ready" and waits to be killed
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnvMode)
	if mode == "" {
		t.Skip("helper process only")
	}
	dir := os.Getenv(helperEnvDir)
	r, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	switch mode {
	case "hold":
		fmt.Println("ready")
		time.Sleep(time.Minute)
	case "write":
		n := 0
		if names, err := r.ClassNames(crashNS, "", false); err == nil {
			n = len(names) - 1 // minus __SystemClass
		}
		for ; ; n++ {
			if err := r.Update(func(tx *Tx) error { return writeBatch(tx, n) }); err != nil {
				fmt.Println("update:", err)
				os.Exit(2)
			}
			fmt.Println("committed", n)
		}
	}
	os.Exit(0)
}

// writeBatch writes batch n: class Batch_n, its instances, and the counter
// singleton set to n.
func writeBatch(tx *Tx, n int) error {
	if err := tx.CreateNamespace(crashNS); err != nil {
		return err
	}
	if n == 0 {
		counter := &cim.Class{Name: "Counter", Qualifiers: cim.Qualifiers{{Name: "Singleton", Value: cim.NewBool(true)}},
			Properties: []*cim.Property{prop("Last", cim.Uint32)}}
		if _, err := tx.PutClass("root", counter); err != nil {
			return err
		}
	}
	name := fmt.Sprintf("Batch_%05d", n)
	if _, err := tx.PutClass(crashNS, newClass(name, "", keyProp("Id", cim.Uint32), prop("Data", cim.String))); err != nil {
		return err
	}
	c, err := tx.GetClass(crashNS, name)
	if err != nil {
		return err
	}
	data := strings.Repeat(name, 20)
	for i := range crashInstances {
		inst := cim.NewInstance(c)
		_ = inst.Set("Id", cim.NewUint32(uint32(i)))
		_ = inst.Set("Data", cim.NewString(data))
		if _, _, err := tx.PutInstance(crashNS, inst); err != nil {
			return err
		}
	}
	cc, err := tx.GetClass("root", "Counter")
	if err != nil {
		return err
	}
	inst := cim.NewInstance(cc)
	_ = inst.Set("Last", cim.NewUint32(uint32(n)))
	_, _, err = tx.PutInstance("root", inst)
	return err
}

// startHelper starts the helper process in mode on dir and returns it with
// a reader of its output.
func startHelper(t *testing.T, mode, dir string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnvMode+"="+mode, helperEnvDir+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewScanner(out)
}

// TestCrashMidWrite kills (SIGKILL) a process that writes batches in a
// loop and checks, after each kill, that the file opens and holds every
// committed batch complete and no part of the interrupted one.
func TestCrashMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	lastReported := -1
	for round := range 6 {
		cmd, out := startHelper(t, "write", dir)
		seen := 0
		var prev time.Time
		var batch time.Duration // how long one batch takes
		for out.Scan() {
			line := out.Text()
			var n int
			if _, err := fmt.Sscanf(line, "committed %d", &n); err != nil {
				t.Fatalf("helper said %q", line)
			}
			lastReported = n
			if now := time.Now(); !prev.IsZero() {
				batch = now.Sub(prev)
			}
			prev = time.Now()
			if seen++; seen == 3 {
				break
			}
		}
		if seen < 3 {
			t.Fatalf("helper stopped early: %v", out.Err())
		}
		// Kill it without warning somewhere inside the next batch.
		time.Sleep(time.Duration(rng.Int64N(int64(batch) + 1)))
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		for out.Scan() { // lines printed before the kill
			if n, err := strconv.Atoi(strings.TrimPrefix(out.Text(), "committed ")); err == nil {
				lastReported = n
			}
		}
		_ = cmd.Wait()

		last := checkBatches(t, dir)
		if last < lastReported || last > lastReported+1 {
			t.Fatalf("round %d: %d batches stored, last reported commit %d", round, last+1, lastReported)
		}
		t.Logf("round %d: a batch takes %v; killed after %d batches (%d reported)", round, batch, last+1, lastReported+1)
	}
}

// checkBatches opens the repository, verifies bbolt's structure and the
// batches, and returns the number of the last batch.
func checkBatches(t *testing.T, dir string) int {
	t.Helper()
	r, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer r.Close()
	err = r.be.(*boltBackend).db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatalf("bbolt check: %v", err)
	}
	names, err := r.ClassNames(crashNS, "", false)
	if err != nil {
		t.Fatal(err)
	}
	batches := names[:0]
	for _, n := range names {
		if strings.HasPrefix(n, "Batch_") {
			batches = append(batches, n)
		}
	}
	for i, name := range batches {
		if want := fmt.Sprintf("Batch_%05d", i); name != want {
			t.Fatalf("batch %d is %s", i, name)
		}
		insts, err := r.Instances(crashNS, name, false)
		if err != nil || len(insts) != crashInstances {
			t.Fatalf("%s: %d instances, %v", name, len(insts), err)
		}
	}
	counter, err := r.Instance("root", &cim.ObjectPath{Class: "Counter", Singleton: true})
	if err != nil {
		t.Fatal(err)
	}
	if last := int(counter.Value("Last").Uint64()); last != len(batches)-1 {
		t.Fatalf("counter says batch %d, %d batches stored", last, len(batches))
	}
	return len(batches) - 1
}

// TestLockedByOtherProcess checks that a second process gets ErrLocked,
// naming the holder, within the timeout.
func TestLockedByOtherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	cmd, out := startHelper(t, "hold", dir)
	if !out.Scan() || out.Text() != "ready" {
		t.Fatalf("helper: %q %v", out.Text(), out.Err())
	}
	start := time.Now()
	_, err := Open(dir, Options{Timeout: 200 * time.Millisecond})
	took := time.Since(start)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Open: %v", err)
	}
	if took > 2*time.Second {
		t.Errorf("Open took %v", took)
	}
	if want := fmt.Sprintf("pid %d", cmd.Process.Pid); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
	t.Log(err)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	r, err := Open(dir, Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open after the holder died: %v", err)
	}
	_ = r.Close()
}
