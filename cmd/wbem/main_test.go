package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/internal/testsupport"
)

// The shared test data sits beside the repository: /work/main/cmd/wbem ->
// /work/shared.
const (
	sharedDir   = "../../../shared"
	schemaEntry = sharedDir + "/cim-schema/2.32.0/cim_schema_2.32.0.mof"
	tstMethods  = sharedDir + "/conformance/tst_methods.mof"
)

// wbemBin is the wbem binary built once by TestMain in a temporary
// folder (testRoot) removed when the tests end.
var wbemBin string

// testRoot is the temporary folder of wbemBin.
func testRoot() string { return filepath.Dir(wbemBin) }

// TestMain builds the command once; the tests run it as a subprocess, as
// a user would.
func TestMain(m *testing.M) { testsupport.MainWithBinary(m, "wbem", &wbemBin) }

// result is what one run of the binary produced.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// cleanEnv is the environment of the tests' runs: the caller's, without
// any WBEM_ variable, and with the server's data directory in a temporary
// folder so that nothing can touch a real repository.
func cleanEnv(t *testing.T) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "WBEM_") || strings.HasPrefix(kv, "WBEMD_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "WBEMD_DATA_DIR="+t.TempDir())
}

// runWBEM runs the binary with args and the extra environment variables.
func runWBEM(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wbemBin, args...)
	cmd.Env = append(cleanEnv(t), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("wbem %q: %v", args, err)
	}
	return res
}

// mustRun runs wbem and fails the test unless it exits with 0.
func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := runWBEM(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("wbem %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// writeFile writes a file under dir and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustExist(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("test data missing (shared/ must sit beside the repository): %v", err)
	}
}

// schemaRepo holds a repository folder with the CIM Schema 2.32 in
// root/cimv2, compiled once with "wbem mofcomp" and copied for each test.
var schemaRepo struct {
	once sync.Once
	dir  string
	res  result
}

// cimSchemaRepository returns a fresh copy of the repository holding the
// CIM Schema.
func cimSchemaRepository(t *testing.T) string {
	t.Helper()
	mustExist(t, schemaEntry)
	schemaRepo.once.Do(func() {
		schemaRepo.dir = filepath.Join(testRoot(), "schema-repo")
		schemaRepo.res = runWBEM(t, nil, "--repository", schemaRepo.dir, "mofcomp", schemaEntry)
	})
	if schemaRepo.res.code != 0 {
		t.Fatalf("mofcomp of the CIM Schema: %s", schemaRepo.res)
	}
	dst := filepath.Join(t.TempDir(), "repo")
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(filepath.Join(schemaRepo.dir, "repository.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out, err := os.Create(filepath.Join(dst, "repository.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, src); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
