// Package acceptance holds the acceptance tests of the two documents that
// define gowbem's mission (../shared/seeds/): the TestMeth.Echo method
// provider of IWbemServices::ExecMethodAsync, and the asynchronous
// Win32_Process.Create script of SWbemServices.ExecMethodAsync. Each test
// follows its document step by step, in-process, against the built-in
// providers; wbemd's tests repeat them over the network.
package acceptance

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/testsupport"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wbem/swbem"
)

// comSink is a C++-style IWbemObjectSink: it records Indicate and
// SetStatus calls in order.
type comSink struct {
	mu       sync.Mutex
	indicate [][]*cim.Instance
	statuses []setStatus
	done     chan struct{}
}

type setStatus struct {
	flags  int32
	hr     status.HRESULT
	param  string
	errObj *cim.Instance
}

func newCOMSink() *comSink { return &comSink{done: make(chan struct{})} }

func (s *comSink) Indicate(objs []*cim.Instance) status.HRESULT {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := make([]*cim.Instance, len(objs))
	for i, o := range objs {
		cp[i] = o.Clone() // the array belongs to the caller: keep copies
	}
	s.indicate = append(s.indicate, cp)
	return status.WBEM_S_NO_ERROR
}

func (s *comSink) SetStatus(flags int32, hr status.HRESULT, param string, errObj *cim.Instance) status.HRESULT {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, setStatus{flags, hr, param, errObj})
	if flags == wbem.StatusComplete {
		close(s.done)
	}
	return status.WBEM_S_NO_ERROR
}

func (s *comSink) wait(t *testing.T) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("no final SetStatus within 10 s")
	}
}

// TestSeedTestMethEcho follows IWbemServices::ExecMethodAsync's example:
// the client calls TestMeth.Echo asynchronously with sInArg; the provider
// gets the class's out-signature, spawns the out-parameters, copies sInArg
// to sOutArg, puts the length in ReturnValue, Indicates the object, then
// SetStatus(0, WBEM_S_NO_ERROR, NULL, NULL).
func TestSeedTestMethEcho(t *testing.T) {
	ctx := context.Background()
	svc, err := testsupport.BuiltinEngine(t).Services(ctx, `root\default`)
	if err != nil {
		t.Fatal(err)
	}
	// The client builds the in-parameters from the method's in-signature.
	class, err := svc.GetClass(ctx, "TestMeth")
	if err != nil {
		t.Fatal(err)
	}
	method := class.Method("Echo")
	if method == nil || !method.IsStatic() {
		t.Fatalf("TestMeth.Echo missing or not static: %+v", method)
	}
	inSig, outSig := method.InSignature(), method.OutSignature()
	if inSig == nil || inSig.Property("sInArg") == nil || len(inSig.Properties) != 1 {
		t.Fatalf("in-signature: %+v", inSig)
	}
	if outSig == nil || outSig.Property("sOutArg") == nil || outSig.Property("ReturnValue") == nil {
		t.Fatalf("out-signature: %+v", outSig)
	}
	in := method.NewInParams()
	if err := in.Put("sInArg", "Hello, WMI"); err != nil {
		t.Fatal(err)
	}

	sink := newCOMSink()
	// The call returns at once with S_OK.
	if err := svc.ExecMethodAsync(ctx, "TestMeth", "Echo", in, 0, nil, sink); err != nil {
		t.Fatalf("ExecMethodAsync: %v", err)
	}
	sink.wait(t)

	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.indicate) != 1 || len(sink.indicate[0]) != 1 {
		t.Fatalf("want one Indicate of one object, got %d calls", len(sink.indicate))
	}
	out := sink.indicate[0][0]
	if out.ClassName() != "__PARAMETERS" {
		t.Errorf("out-parameters class %q, want __PARAMETERS", out.ClassName())
	}
	if got := out.Value("sOutArg").Text(); got != "Hello, WMI" {
		t.Errorf("sOutArg = %q, want the copy of sInArg", got)
	}
	rv := out.Value("ReturnValue")
	if rv.Type() != cim.Uint32 || rv.Uint64() != uint64(len("Hello, WMI")) {
		t.Errorf("ReturnValue = %v (%s), want uint32 %d", rv, rv.Type(), len("Hello, WMI"))
	}
	if len(sink.statuses) != 1 {
		t.Fatalf("want exactly one SetStatus, got %d", len(sink.statuses))
	}
	st := sink.statuses[0]
	if st.flags != wbem.StatusComplete || st.hr != status.WBEM_S_NO_ERROR || st.param != "" || st.errObj != nil {
		t.Errorf("final SetStatus = %+v, want (0, S_OK, NULL, NULL)", st)
	}
	// __PARAMETERS instances have no path (spec §5.1).
	if v := out.Value("__PATH"); !v.IsNull() {
		t.Errorf("__PATH of out-parameters = %v, want NULL", v)
	}
}

// TestSeedWin32ProcessCreateAsync follows SWbemServices.ExecMethodAsync's
// script: connect to root\cimv2, get the Win32_Process class, spawn the
// Create in-parameters, set CommandLine, create a sink, call
// ExecMethodAsync and wait for OnCompleted; OnObjectReady reports
// ReturnValue and ProcessId. The process must really run.
func TestSeedWin32ProcessCreateAsync(t *testing.T) {
	ctx := context.Background()
	// set Services = getobject("winmgmts:root\cimv2")
	raw, err := testsupport.BuiltinEngine(t).Services(ctx, `root\cimv2`)
	if err != nil {
		t.Fatal(err)
	}
	services := swbem.New(ctx, raw)
	// Set oProcess = Services.Get("Win32_Process")
	oProcess, err := services.Get("Win32_Process")
	if err != nil {
		t.Fatal(err)
	}
	// Set oInParams = oProcess.Methods_("Create").InParameters.SpawnInstance_
	create := oProcess.Method("Create")
	if create == nil {
		t.Fatal("Win32_Process has no Create method")
	}
	oInParams := create.InSignature().SpawnInstance()
	// oInParams.CommandLine = "Notepad.exe" — a program every Linux host has.
	if err := oInParams.Put("CommandLine", "sleep 30"); err != nil {
		t.Fatal(err)
	}

	var (
		mu          sync.Mutex
		returnValue cim.Value
		processID   cim.Value
		objects     int
		completed   int
		completedHR status.HRESULT
		bDone       = make(chan struct{})
	)
	asyncCtx := cim.NewNamedValues()
	if err := asyncCtx.Add("CallId", int32(1)); err != nil {
		t.Fatal(err)
	}
	// set Sink = wscript.CreateObject("WbemScripting.SWbemSink", "Sink_")
	sink := &swbem.Sink{
		OnObjectReady: func(oOutParams *cim.Instance, oContext *cim.NamedValues) {
			mu.Lock()
			defer mu.Unlock()
			objects++
			returnValue = oOutParams.Value("ReturnValue")
			processID = oOutParams.Value("ProcessId")
			if oContext != asyncCtx {
				t.Error("OnObjectReady: async context is not the caller's object")
			}
		},
		OnCompleted: func(hr status.HRESULT, lastError *cim.Instance, oContext *cim.NamedValues) {
			mu.Lock()
			defer mu.Unlock()
			completed++
			completedHR = hr
			if oContext != asyncCtx {
				t.Error("OnCompleted: async context is not the caller's object")
			}
			close(bDone)
		},
	}
	// Services.ExecMethodAsync Sink, "Win32_Process", "Create", oInParams
	if err := services.ExecMethodAsync(sink, "Win32_Process", "Create", oInParams, 0, nil, asyncCtx); err != nil {
		t.Fatalf("ExecMethodAsync: %v", err)
	}
	// while not bDone: wscript.sleep 1000
	select {
	case <-bDone:
	case <-time.After(15 * time.Second):
		t.Fatal("OnCompleted not raised within 15 s")
	}

	mu.Lock()
	defer mu.Unlock()
	if objects != 1 || completed != 1 {
		t.Fatalf("OnObjectReady raised %d times, OnCompleted %d times; want 1 and 1", objects, completed)
	}
	if completedHR != 0 {
		t.Fatalf("OnCompleted hresult = %s, want 0", completedHR)
	}
	if returnValue.Uint64() != 0 || returnValue.IsNull() {
		t.Fatalf("ReturnValue = %v, want 0", returnValue)
	}
	pid := processID.Uint64()
	if processID.Type() != cim.Uint32 || pid == 0 {
		t.Fatalf("ProcessId = %v (%s), want a non-zero uint32", processID, processID.Type())
	}
	// The process really runs: /proc/<pid>/cmdline is "sleep 30". The
	// kernel may briefly show an empty command line right after the
	// process starts, so poll for a moment.
	var got string
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		cmdline, err := os.ReadFile("/proc/" + strconv.FormatUint(pid, 10) + "/cmdline")
		if err != nil {
			t.Fatalf("process %d does not run: %v", pid, err)
		}
		got = strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " ")
		if got == "sleep 30" || time.Now().After(deadline) {
			break
		}
	}
	if got != "sleep 30" {
		t.Errorf("process %d runs %q, want %q", pid, got, "sleep 30")
	}
	// Clean up through the same object manager: Terminate on the instance.
	path := `Win32_Process.Handle="` + strconv.FormatUint(pid, 10) + `"`
	term := oProcess.Method("Terminate").NewInParams()
	_ = term.Put("Reason", uint32(0))
	out, err := raw.ExecMethod(ctx, path, "Terminate", term, nil)
	if err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	if rv := out.Value("ReturnValue"); rv.Uint64() != 0 {
		t.Errorf("Terminate ReturnValue = %v, want 0", rv)
	}
}
