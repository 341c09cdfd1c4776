//go:build linux

package win32process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/internal/providertest"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
)

// procState returns the state letter of process pid, or 0 when it does
// not exist.
func procState(pid int) byte {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return 0
	}
	return s[i+2]
}

// waitGone polls until process pid no longer exists: it was reaped, not
// left as a zombie.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	err := providertest.CheckFor(10*time.Second, 10*time.Millisecond, func() error {
		if st := procState(pid); st != 0 {
			return fmt.Errorf("process %d still exists in state %c", pid, st)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// startSleep creates "sleep 30" and registers its termination.
func startSleep(t *testing.T, p *Provider, a createArgs) int {
	t.Helper()
	if a.cmd == nil {
		a.cmd = str("sleep 30")
	}
	rc, pidV := create(t, p, a)
	if rc != 0 {
		t.Fatalf("Create(%q) = %d", *a.cmd, rc)
	}
	pid := int(pidV.Uint64())
	if pid <= 0 {
		t.Fatalf("ProcessId = %v", pidV)
	}
	t.Cleanup(func() {
		if procState(pid) != 0 {
			_, _ = p.kill(pid, 0, true)
			waitGone(t, pid)
		}
	})
	return pid
}

func uidsOf(t *testing.T, pid int) owner {
	t.Helper()
	o, err := readOwner(pid)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestCreateAndTerminate(t *testing.T) {
	p := New()
	pid := startSleep(t, p, createArgs{})
	if procState(pid) == 0 {
		t.Fatalf("process %d does not exist", pid)
	}
	if o := uidsOf(t, pid); int(o.Effective) != os.Geteuid() || int(o.Real) != os.Getuid() {
		t.Errorf("process owned by %+v, want uid %d", o, os.Getuid())
	}
	// Detached: a session of its own.
	info, err := readProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	if int(info.Session) != pid {
		t.Errorf("session %d, want the process's own (%d)", info.Session, pid)
	}
	if info.CmdLine != "sleep 30" {
		t.Errorf("CommandLine %q", info.CmdLine)
	}
	out := instanceCall(t, p, "Terminate", pid, nil, "Reason", uint32(7))
	if rc := returnValue(out); rc != 0 {
		t.Fatalf("Terminate = %d", rc)
	}
	waitGone(t, pid)
}

func TestCreateReapsExitedProcess(t *testing.T) {
	p := New()
	rc, pidV := create(t, p, createArgs{cmd: str("true")})
	if rc != 0 {
		t.Fatalf("Create(true) = %d", rc)
	}
	waitGone(t, int(pidV.Uint64()))
}

func TestCreateReturnCodes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "noexec"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := New()
	tests := []struct {
		name string
		a    createArgs
		rc   uint32
	}{
		{"no CommandLine", createArgs{}, 21},
		{"empty CommandLine", createArgs{cmd: str("")}, 21},
		{"blank CommandLine", createArgs{cmd: str("  \t ")}, 21},
		{"unbalanced quote", createArgs{cmd: str(`sleep "1`)}, 21},
		{"NUL", createArgs{cmd: str("sleep\x001")}, 21},
		{"empty program name", createArgs{cmd: str(`"" 1`)}, 21},
		{"unknown program", createArgs{cmd: str("unknown-program-xyz")}, 9},
		{"unknown Windows program", createArgs{cmd: str("notepad.exe")}, 9},
		{"missing absolute path", createArgs{cmd: str(filepath.Join(dir, "missing"))}, 9},
		{"missing CurrentDirectory", createArgs{cmd: str("true"), dir: str(filepath.Join(dir, "nope"))}, 9},
		{"CurrentDirectory is a file", createArgs{cmd: str("true"), dir: str(file)}, 9},
		{"not executable, by path", createArgs{cmd: str(file)}, 2},
		{"a directory, by path", createArgs{cmd: str(bin)}, 2},
		{"not executable, on PATH", createArgs{cmd: str("noexec"), startup: &startupOpts{env: []string{"PATH=" + bin}}}, 2},
		{"bad PriorityClass", createArgs{cmd: str("true"), startup: &startupOpts{priorityClass: u32(1)}}, 21},
		{"bad environment entry", createArgs{cmd: str("true"), startup: &startupOpts{env: []string{"NOEQUALS"}}}, 21},
		{"unmapped caller", createArgs{cmd: str("true"), caller: &security.Identity{UID: -1, Admin: true}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rc, _ := create(t, p, tt.a); rc != tt.rc {
				t.Errorf("Create = %d, want %d", rc, tt.rc)
			}
		})
	}
}

func TestCreateAsOtherUserFromUnprivilegedServer(t *testing.T) {
	p := New()
	p.serverUID = 4242 // pretend the server is not root
	rc, _ := create(t, p, createArgs{cmd: str("true"), caller: &security.Identity{UID: 4243}})
	if rc != ReturnAccessDenied {
		t.Errorf("Create = %d, want 2", rc)
	}
}

// waitFile polls until path holds want.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	waitFileContent(t, path, want)
}

func TestCreateEnvironmentAndDirectory(t *testing.T) {
	t.Setenv("GOWBEM_SERVER_ONLY", "leak")
	dir := t.TempDir()
	p := New()
	// The block replaces the environment: FOO is set, the server's
	// variables are gone, and PATH is kept so that sh is found.
	rc, _ := create(t, p, createArgs{
		cmd:     str(`sh -c 'echo "$FOO|${GOWBEM_SERVER_ONLY-unset}|$(pwd)" > out.txt'`),
		dir:     str(dir),
		startup: &startupOpts{env: []string{"FOO=bar baz"}},
	})
	if rc != 0 {
		t.Fatalf("Create = %d", rc)
	}
	waitFile(t, filepath.Join(dir, "out.txt"), "bar baz|unset|"+dir+"\n")

	// Without a block the server's environment is inherited.
	rc, _ = create(t, p, createArgs{cmd: str(`sh -c 'echo "$GOWBEM_SERVER_ONLY" > inherited.txt'`), dir: str(dir)})
	if rc != 0 {
		t.Fatalf("Create = %d", rc)
	}
	waitFile(t, filepath.Join(dir, "inherited.txt"), "leak\n")

	// A relative program path is resolved against CurrentDirectory.
	script := filepath.Join(dir, "script.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" > args.txt\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rc, _ = create(t, p, createArgs{cmd: str(`./script.sh "a b" 'c'`), dir: str(dir)})
	if rc != 0 {
		t.Fatalf("Create(./script.sh) = %d", rc)
	}
	waitFile(t, filepath.Join(dir, "args.txt"), "a b c\n")
}

func TestCreateStdioIsDevNull(t *testing.T) {
	p := New()
	pid := startSleep(t, p, createArgs{})
	for fd := range 3 {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd))
		if err != nil {
			t.Skipf("cannot read fd %d: %v", fd, err)
		}
		if target != os.DevNull {
			t.Errorf("fd %d is %s, want %s", fd, target, os.DevNull)
		}
	}
}

func TestCreatePriorityAndSuspended(t *testing.T) {
	p := New()
	pid := startSleep(t, p, createArgs{startup: &startupOpts{priorityClass: u32(64)}})
	if info, err := readProc(pid); err != nil || info.Nice != 19 {
		t.Errorf("Idle: nice %d (%v), want 19", info.Nice, err)
	}
	pid = startSleep(t, p, createArgs{startup: &startupOpts{createFlags: u32(createSuspended)}})
	err := providertest.CheckFor(5*time.Second, 10*time.Millisecond, func() error {
		if st := procState(pid); st != 'T' {
			return fmt.Errorf("state %c, want T (stopped)", st)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if os.Geteuid() == 0 {
		pid = startSleep(t, p, createArgs{startup: &startupOpts{priorityClass: u32(128)}})
		if info, err := readProc(pid); err != nil || info.Nice != -10 {
			t.Errorf("High as root: nice %d (%v), want -10", info.Nice, err)
		}
	}
}

func TestCreateConcurrent(t *testing.T) {
	p := New()
	var wg sync.WaitGroup
	pids := make(chan int, 16)
	for range 16 {
		wg.Go(func() {
			rc, pid := create(t, p, createArgs{cmd: str("true")})
			if rc != 0 {
				t.Errorf("Create = %d", rc)
				return
			}
			pids <- int(pid.Uint64())
		})
	}
	wg.Wait()
	close(pids)
	for pid := range pids {
		waitGone(t, pid)
	}
}

func TestGetOwner(t *testing.T) {
	p := New()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for _, pid := range []int{os.Getpid(), startSleep(t, p, createArgs{})} {
		out := instanceCall(t, p, "GetOwner", pid, nil)
		if rc := returnValue(out); rc != 0 {
			t.Fatalf("GetOwner(%d) = %d", pid, rc)
		}
		if got := out.Value("User").Text(); got != me.Username {
			t.Errorf("User = %q, want %q", got, me.Username)
		}
		if got := out.Value("Domain").Text(); got != host {
			t.Errorf("Domain = %q, want %q", got, host)
		}
		out = instanceCall(t, p, "GetOwnerSid", pid, nil)
		if got, want := out.Value("Sid").Text(), "S-1-22-1-"+strconv.Itoa(os.Geteuid()); got != want || returnValue(out) != 0 {
			t.Errorf("Sid = %q (%d), want %q", got, returnValue(out), want)
		}
	}
	// A process that has gone: ReturnValue 8, NULL User and Domain.
	pid := goneProcess(t)
	out := instanceCall(t, p, "GetOwner", pid, nil)
	if returnValue(out) != ReturnUnknownFailure || !out.Value("User").IsNull() || !out.Value("Domain").IsNull() {
		t.Errorf("GetOwner of a gone process: %s", out.MOF())
	}
	out = instanceCall(t, p, "GetOwnerSid", pid, nil)
	if returnValue(out) != ReturnUnknownFailure || !out.Value("Sid").IsNull() {
		t.Errorf("GetOwnerSid of a gone process: %s", out.MOF())
	}
}

// goneProcess returns the ID of a process that has ended and been reaped.
func goneProcess(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestTerminateErrors(t *testing.T) {
	p := New()
	c := providertest.NewCall(Namespace, processClass, "Terminate", processPath(goneProcess(t)), nil)
	_, _, err := providertest.Exec(context.Background(), p, c, 5*time.Second)
	if status.Code(err) != status.WBEM_E_NOT_FOUND {
		t.Errorf("Terminate of a gone process: %v, want WBEM_E_NOT_FOUND", err)
	}
	c = providertest.NewCall(Namespace, processClass, "Terminate", nil, nil)
	_, _, err = providertest.Exec(context.Background(), p, c, 5*time.Second)
	if status.Code(err) != status.WBEM_E_INVALID_METHOD_PARAMETERS {
		t.Errorf("Terminate on the class: %v", err)
	}
	if rc := returnValue(instanceCall(t, p, "Terminate", os.Getpid(), nil)); rc != ReturnAccessDenied {
		t.Errorf("Terminate of the server itself = %d, want 2", rc)
	}
	// A caller who does not own the process and is not an administrator.
	pid := startSleep(t, p, createArgs{})
	stranger := &security.Identity{UID: os.Getuid() + 12345, User: "stranger"}
	if rc := returnValue(instanceCall(t, p, "Terminate", pid, stranger)); rc != ReturnAccessDenied {
		t.Errorf("Terminate by a stranger = %d, want 2", rc)
	}
	if rc := returnValue(instanceCall(t, p, "Terminate", pid, &security.Identity{UID: -1})); rc != ReturnAccessDenied {
		t.Errorf("Terminate by an unmapped caller = %d, want 2", rc)
	}
	if procState(pid) == 0 {
		t.Fatal("the process was terminated by a caller without the right")
	}
	// The owner may.
	owner := &security.Identity{UID: os.Getuid()}
	if rc := returnValue(instanceCall(t, p, "Terminate", pid, owner)); rc != 0 {
		t.Errorf("Terminate by the owner = %d", rc)
	}
	waitGone(t, pid)
}

func TestInstances(t *testing.T) {
	p := New()
	ctx := context.Background()
	req := &provider.InstanceRequest{Namespace: Namespace, Class: processClass}
	self := os.Getpid()
	exe, _ := os.Executable()
	check := func(inst *cim.Instance) {
		t.Helper()
		if got := inst.Path().String(); got != `root\cimv2:Win32_Process.Handle="`+strconv.Itoa(self)+`"` {
			t.Errorf("path %s", got)
		}
		if got := inst.Value("ProcessId").Uint64(); got != uint64(self) {
			t.Errorf("ProcessId %d", got)
		}
		if got := inst.Value("ParentProcessId").Uint64(); got != uint64(os.Getppid()) {
			t.Errorf("ParentProcessId %d, want %d", got, os.Getppid())
		}
		cd := inst.Value("CreationDate")
		dt, err := cim.ParseDateTime(cd.Text())
		if err != nil || cd.Type() != cim.DateTime {
			t.Fatalf("CreationDate %v: %v", cd, err)
		}
		if age := time.Since(dt.Time); age < -2*time.Second || age > time.Hour {
			t.Errorf("CreationDate %s is %v ago", cd.Text(), age)
		}
		if got := inst.Value("ExecutablePath").Text(); got != exe {
			t.Errorf("ExecutablePath %q, want %q", got, exe)
		}
		if got := inst.Value("CommandLine").Text(); !strings.HasPrefix(got, os.Args[0]) {
			t.Errorf("CommandLine %q", got)
		}
		if got := inst.Value("Name").Text(); got == "" || !strings.HasPrefix(filepath.Base(exe), got) {
			t.Errorf("Name %q for %s", got, exe)
		}
		if inst.Value("ThreadCount").Uint64() < 1 || inst.Value("WorkingSetSize").Uint64() == 0 ||
			inst.Value("VirtualSize").Uint64() == 0 {
			t.Errorf("implausible figures: %s", inst.MOF())
		}
		if got := inst.Value("Priority").Uint64(); got != 8 && got != 6 && got != 4 && got != 10 && got != 13 && got != 24 {
			t.Errorf("Priority %d", got)
		}
		for name, want := range map[string]string{
			"CreationClassName": ClassName, "CSCreationClassName": "Win32_ComputerSystem",
			"OSCreationClassName": "Win32_OperatingSystem",
		} {
			if got := inst.Value(name).Text(); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if inst.Value("OSName").IsNull() || inst.Value("CSName").IsNull() {
			t.Errorf("OSName/CSName missing: %s", inst.MOF())
		}
	}
	found := 0
	total := 0
	err := p.EnumerateInstances(ctx, req, func(inst *cim.Instance) bool {
		total++
		if inst.Value("ProcessId").Uint64() == uint64(self) {
			found++
			check(inst)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if found != 1 || total < 2 {
		t.Fatalf("enumeration: %d processes, test process found %d times", total, found)
	}
	inst, err := p.GetInstance(ctx, &provider.InstanceRequest{Namespace: Namespace, Class: processClass, Path: processPath(self)})
	if err != nil {
		t.Fatal(err)
	}
	check(inst)

	// A full DMTF key set names the process when the other keys match it.
	full := processPath(self)
	for _, k := range []string{"CSName", "OSName", "CreationClassName"} {
		full.Keys = append(full.Keys, cim.KeyBinding{Name: k, Value: cim.KeyValue{Kind: cim.KeyString, Text: inst.Value(k).Text()}})
	}
	if _, err := p.GetInstance(ctx, &provider.InstanceRequest{Namespace: Namespace, Class: processClass, Path: full}); err != nil {
		t.Errorf("GetInstance(%s): %v", full.RelPath(), err)
	}
	full.Keys[len(full.Keys)-1].Value.Text = "Other_Process"
	if _, err := p.GetInstance(ctx, &provider.InstanceRequest{Namespace: Namespace, Class: processClass, Path: full}); status.Code(err) != status.WBEM_E_NOT_FOUND {
		t.Errorf("GetInstance with a key naming another class: %v, want WBEM_E_NOT_FOUND", err)
	}

	for _, h := range []string{"0", "-1", "abc", "01", "self", "2147483647", strconv.Itoa(goneProcess(t))} {
		path := &cim.ObjectPath{Class: ClassName, Keys: []cim.KeyBinding{{Name: "Handle", Value: cim.KeyValue{Kind: cim.KeyString, Text: h}}}}
		_, err := p.GetInstance(ctx, &provider.InstanceRequest{Namespace: Namespace, Class: processClass, Path: path})
		if status.Code(err) != status.WBEM_E_NOT_FOUND {
			t.Errorf("GetInstance(Handle=%q): %v, want WBEM_E_NOT_FOUND", h, err)
		}
	}
	// A request for a superclass yields Win32_Process instances.
	base := &cim.Class{Name: "CIM_Process"}
	n := 0
	err = p.EnumerateInstances(ctx, &provider.InstanceRequest{Namespace: Namespace, Class: base,
		NewInstance: func(name string) (*cim.Instance, error) {
			if name != ClassName {
				return nil, errors.New("unexpected class " + name)
			}
			return cim.NewInstance(processClass), nil
		}}, func(inst *cim.Instance) bool { n++; return n < 3 })
	if err != nil || n != 3 {
		t.Errorf("superclass enumeration: n=%d err=%v", n, err)
	}
	_, err = p.GetInstance(ctx, &provider.InstanceRequest{Namespace: Namespace, Class: &cim.Class{Name: "Win32_Service"}, Path: processPath(self)})
	if status.Code(err) != status.WBEM_E_INVALID_CLASS {
		t.Errorf("foreign class: %v", err)
	}
}

func TestZombieState(t *testing.T) {
	// A child the test does not reap is a zombie; the provider reports
	// it as Terminated.
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	pid := cmd.Process.Pid
	if err := providertest.CheckFor(5*time.Second, 5*time.Millisecond, func() error {
		if procState(pid) != 'Z' {
			return errors.New("not a zombie yet")
		}
		return nil
	}); err != nil {
		t.Skip(err)
	}
	info, err := readProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	if executionState(info.State) != stateTerminated || info.HasCmdLine {
		t.Errorf("zombie: state %c, command line %q (%v)", info.State, info.CmdLine, info.HasCmdLine)
	}
}

// TestImpersonation needs root: it starts processes for another user.
func TestImpersonation(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("impersonation needs a root server")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	caller := &security.Identity{UID: uid, User: "nobody", GIDs: []int{gid}}
	p := New()

	pid := startSleep(t, p, createArgs{caller: caller})
	if o := uidsOf(t, pid); int(o.Real) != uid || int(o.Effective) != uid || int(o.Saved) != uid {
		t.Errorf("process runs as %+v, want %d", o, uid)
	}
	out := instanceCall(t, p, "GetOwner", pid, caller)
	if got := out.Value("User").Text(); got != "nobody" {
		t.Errorf("owner %q, want nobody", got)
	}
	// Another unprivileged user may not terminate it; its owner may.
	if rc := returnValue(instanceCall(t, p, "Terminate", pid, &security.Identity{UID: uid + 1})); rc != ReturnAccessDenied {
		t.Errorf("Terminate by another user = %d", rc)
	}
	if rc := returnValue(instanceCall(t, p, "Terminate", pid, caller)); rc != 0 {
		t.Errorf("Terminate by the owner = %d", rc)
	}
	waitGone(t, pid)

	// The user may not terminate root's processes.
	rootPid := startSleep(t, p, createArgs{})
	if rc := returnValue(instanceCall(t, p, "Terminate", rootPid, caller)); rc != ReturnAccessDenied {
		t.Errorf("Terminate of root's process by nobody = %d", rc)
	}

	// Environment: minimal, describing the user; realtime priority is
	// not granted to a non-administrator.
	// t.TempDir's parent is private to root: use a directory the user
	// can reach.
	shared, err := os.MkdirTemp("", "gowbem-impersonation-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shared) })
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOWBEM_SERVER_ONLY", "leak")
	rc, _ := create(t, p, createArgs{
		cmd:     str(`sh -c 'echo "$(id -u) $USER $LOGNAME $HOME ${GOWBEM_SERVER_ONLY-unset}" > out.txt'`),
		dir:     str(shared),
		caller:  caller,
		startup: nil,
	})
	if rc != 0 {
		t.Fatalf("Create as nobody = %d", rc)
	}
	waitFile(t, filepath.Join(shared, "out.txt"), fmt.Sprintf("%d nobody nobody %s unset\n", uid, nobody.HomeDir))
	pid = startSleep(t, p, createArgs{caller: caller, startup: &startupOpts{priorityClass: u32(256)}})
	if info, err := readProc(pid); err != nil || info.Nice != 0 {
		t.Errorf("Realtime for nobody: nice %d (%v), want 0", info.Nice, err)
	}

	// Paths are judged with the user's rights.
	private := t.TempDir() // 0700, root's
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(private, "prog")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		a    createArgs
		rc   uint32
	}{
		{"unreadable CurrentDirectory", createArgs{cmd: str("true"), dir: str(private)}, ReturnAccessDenied},
		{"program in an unreadable directory", createArgs{cmd: str(prog)}, ReturnAccessDenied},
		{"missing program in an unreadable directory", createArgs{cmd: str(filepath.Join(private, "none"))}, ReturnAccessDenied},
		{"search of an unreadable directory", createArgs{cmd: str("prog"), startup: &startupOpts{env: []string{"PATH=" + private}}}, ReturnPathNotFound},
		{"missing CurrentDirectory", createArgs{cmd: str("true"), dir: str(filepath.Join(shared, "none"))}, ReturnPathNotFound},
	} {
		tt.a.caller = caller
		if rc, _ := create(t, p, tt.a); rc != tt.rc {
			t.Errorf("%s: Create = %d, want %d", tt.name, rc, tt.rc)
		}
	}
}
