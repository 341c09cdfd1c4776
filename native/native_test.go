package native

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"net/http"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimjson"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wbem/swbem"
)

func TestExecMethodAsyncRemote(t *testing.T) {
	e := newEnv(t, envOptions{})
	remote := services(t, e.dial(t, nil))
	local := e.local(t)
	for _, arg := range []string{"hello", "", "héllo 😀", strings.Repeat("x", 100000)} {
		var outs [2]*cim.Instance
		for i, svc := range []wbem.Services{local, remote} {
			in := inParams(t, svc, "TestMeth", "Echo", map[string]cim.Value{"sInArg": cim.NewString(arg)})
			call, err := wbem.Start(context.Background(), svc, "TestMeth", "Echo", in, 0, nil)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			out, err := waitCall(t, call)
			if err != nil {
				t.Fatalf("Echo(%.20q): %v", arg, err)
			}
			var kinds []wbem.EventKind
			for ev := range call.Events() {
				kinds = append(kinds, ev.Kind)
			}
			if fmt.Sprint(kinds) != fmt.Sprint([]wbem.EventKind{wbem.EventObject, wbem.EventComplete}) {
				t.Fatalf("events %v", kinds)
			}
			outs[i] = out
		}
		if !outs[1].Equal(outs[0]) {
			t.Fatalf("remote out-params %s differ from in-process %s", outs[1].MOF(), outs[0].MOF())
		}
		if got := outs[1].Value("ReturnValue"); got.Type() != cim.Uint32 || got.Uint64() != uint64(testUTF16Len(arg)) {
			t.Fatalf("ReturnValue = %v (%s)", got, got.TypeName())
		}
	}
}

func testUTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

func TestSemisyncRemote(t *testing.T) {
	e := newEnv(t, envOptions{})
	svc := services(t, e.dial(t, nil))
	in := inParams(t, svc, "TestMeth", "Echo", map[string]cim.Value{"sInArg": cim.NewString("abc")})
	r, err := wbem.ExecMethodSemisync(context.Background(), svc, "TestMeth", "Echo", in, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, hr := r.GetCallStatus(wbem.Infinite)
	if hr != 0 || st != 0 {
		t.Fatalf("GetCallStatus = %v, %v", st, hr)
	}
	out, hr := r.GetResultObject(0)
	if hr != 0 || out.Value("sOutArg").Text() != "abc" {
		t.Fatalf("GetResultObject = %v, %v", out, hr)
	}
}

func TestSwbemAsyncContextRemote(t *testing.T) {
	e := newEnv(t, envOptions{})
	svc := swbem.New(context.Background(), services(t, e.dial(t, nil)))
	asyncCtx := cim.NewNamedValues()
	_ = asyncCtx.Add("call", "first")
	nv := cim.NewNamedValues()
	_ = nv.Add("forProvider", uint32(7))

	type got struct {
		obj      *cim.Instance
		hr       status.HRESULT
		objCtx   *cim.NamedValues
		doneCtx  *cim.NamedValues
		progress int
	}
	var mu sync.Mutex
	var g got
	done := make(chan struct{})
	sink := &swbem.Sink{
		OnObjectReady: func(obj *cim.Instance, ac *cim.NamedValues) {
			mu.Lock()
			g.obj, g.objCtx = obj, ac
			mu.Unlock()
		},
		OnProgress: func(upper, cur int, msg string, ac *cim.NamedValues) {
			mu.Lock()
			g.progress++
			mu.Unlock()
		},
		OnCompleted: func(hr status.HRESULT, lastError *cim.Instance, ac *cim.NamedValues) {
			mu.Lock()
			g.hr, g.doneCtx = hr, ac
			mu.Unlock()
			close(done)
		},
	}
	in := inParams(t, services(t, e.dial(t, nil)), "NTest", "Progress",
		map[string]cim.Value{"Steps": cim.NewUint32(3), "Message": cim.NewString("working")})
	if err := svc.ExecMethodAsync(sink, "NTest", "Progress", in, wbem.FlagSendStatus, nv, asyncCtx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("OnCompleted not raised")
	}
	mu.Lock()
	defer mu.Unlock()
	if g.hr != 0 || g.obj == nil || g.obj.Value("ReturnValue").Uint64() != 3 {
		t.Fatalf("hr %v, obj %v", g.hr, g.obj)
	}
	if g.objCtx != asyncCtx || g.doneCtx != asyncCtx {
		t.Fatalf("the async context did not come back untouched")
	}
	if v, _ := asyncCtx.Get("call"); v.Text() != "first" || asyncCtx.Len() != 1 {
		t.Fatalf("async context changed: %v", asyncCtx.Names())
	}
	if g.progress != 3 {
		t.Fatalf("%d progress events, want 3", g.progress)
	}
}

func TestProgressRemote(t *testing.T) {
	e := newEnv(t, envOptions{})
	svc := services(t, e.dial(t, nil))
	in := inParams(t, svc, "NTest", "Progress", map[string]cim.Value{"Steps": cim.NewUint32(5), "Message": cim.NewString("step")})
	for _, flags := range []int32{0, wbem.FlagSendStatus} {
		call, err := wbem.Start(context.Background(), svc, "NTest", "Progress", in, flags, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := waitCall(t, call); err != nil {
			t.Fatal(err)
		}
		var prog []string
		var kinds []wbem.EventKind
		for ev := range call.Events() {
			kinds = append(kinds, ev.Kind)
			if ev.Kind == wbem.EventProgress {
				prog = append(prog, fmt.Sprintf("%d/%d %s", ev.Current, ev.Total, ev.Message))
			}
		}
		if flags == 0 {
			if len(prog) != 0 || len(kinds) != 2 {
				t.Fatalf("without 0x80: events %v", kinds)
			}
			continue
		}
		want := "[1/5 step 2/5 step 3/5 step 4/5 step 5/5 step]"
		if fmt.Sprint(prog) != want {
			t.Fatalf("progress %v, want %s", prog, want)
		}
		if kinds[len(kinds)-2] != wbem.EventObject || kinds[len(kinds)-1] != wbem.EventComplete {
			t.Fatalf("events %v", kinds)
		}
	}
}

func TestCancelReachesProvider(t *testing.T) {
	e := newEnv(t, envOptions{})
	svc := services(t, e.dial(t, nil))
	in := inParams(t, svc, "NTest", "Block", map[string]cim.Value{"Tag": cim.NewString("c1")})
	call, err := wbem.Start(context.Background(), svc, "NTest", "Block", in, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.prov.waitStarted(t, "c1")
	if err := call.Cancel(); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	// The final status is delivered locally, before Cancel returns.
	select {
	case <-call.Done():
	default:
		t.Fatal("no final status when CancelAsyncCall returned")
	}
	_, err = call.Wait(context.Background())
	if status.Code(err) != status.WBEM_E_CALL_CANCELLED {
		t.Fatalf("err = %v, want WBEM_E_CALL_CANCELLED", err)
	}
	if perr := e.prov.waitEnded(t, "c1"); !errors.Is(perr, context.Canceled) {
		t.Fatalf("provider context error %v", perr)
	}
	// A second cancel finds nothing.
	if err := svc.CancelAsyncCall(call); status.Code(err) != status.WBEM_E_NOT_FOUND {
		t.Fatalf("second CancelAsyncCall = %v", err)
	}
	n := 0
	for ev := range call.Events() {
		if ev.Kind == wbem.EventComplete {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d final statuses", n)
	}
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if p := e.eng.Pending(); p != 0 {
			return fmt.Errorf("%d operations pending in the engine", p)
		}
		return nil
	})
}

func TestContextCancelsRemoteCall(t *testing.T) {
	e := newEnv(t, envOptions{})
	svc := services(t, e.dial(t, nil))
	in := inParams(t, svc, "NTest", "Block", map[string]cim.Value{"Tag": cim.NewString("ctx")})
	ctx, cancel := context.WithCancel(context.Background())
	call, err := wbem.Start(ctx, svc, "NTest", "Block", in, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.prov.waitStarted(t, "ctx")
	cancel()
	if _, err := waitCall(t, call); status.Code(err) != status.WBEM_E_CALL_CANCELLED {
		t.Fatalf("err = %v", err)
	}
	e.prov.waitEnded(t, "ctx")
}

func TestConnectionDropCancelsServerCalls(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.dial(t, nil)
	svc := services(t, c)
	var calls []*wbem.Call
	for i := range 3 {
		in := inParams(t, svc, "NTest", "Block", map[string]cim.Value{"Tag": cim.NewString(fmt.Sprint("drop", i))})
		call, err := wbem.Start(context.Background(), svc, "NTest", "Block", in, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, call)
	}
	for i := range 3 {
		e.prov.waitStarted(t, fmt.Sprint("drop", i))
	}
	// Break the connection without a close handshake.
	_ = c.ws.CloseNow()
	for i, call := range calls {
		if _, err := waitCall(t, call); status.Code(err) != status.WBEM_E_TRANSPORT_FAILURE {
			t.Fatalf("call %d: err = %v, want WBEM_E_TRANSPORT_FAILURE", i, err)
		}
		if perr := e.prov.waitEnded(t, fmt.Sprint("drop", i)); !errors.Is(perr, context.Canceled) {
			t.Fatalf("provider %d context error %v", i, perr)
		}
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed")
	}
	// New calls fail at once.
	if _, err := wbem.Start(context.Background(), svc, "TestMeth", "Echo", nil, 0, nil); status.Code(err) != status.WBEM_E_TRANSPORT_FAILURE {
		t.Fatalf("call after drop: %v", err)
	}
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := e.handler.Connections(); n != 0 {
			return fmt.Errorf("%d connections open on the server", n)
		}
		return nil
	})
}

func TestClientCloseCancelsCalls(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.dial(t, nil)
	svc := services(t, c)
	in := inParams(t, svc, "NTest", "Block", map[string]cim.Value{"Tag": cim.NewString("close")})
	call, err := wbem.Start(context.Background(), svc, "NTest", "Block", in, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.prov.waitStarted(t, "close")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := waitCall(t, call); status.Code(err) != status.WBEM_E_CALL_CANCELLED {
		t.Fatalf("err = %v", err)
	}
	e.prov.waitEnded(t, "close")
}

func TestServicesCloseCancelsItsCalls(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.dial(t, nil)
	a, b := services(t, c), services(t, c)
	inA := inParams(t, a, "NTest", "Block", map[string]cim.Value{"Tag": cim.NewString("svcA")})
	inB := inParams(t, b, "NTest", "Block", map[string]cim.Value{"Tag": cim.NewString("svcB")})
	ca, _ := wbem.Start(context.Background(), a, "NTest", "Block", inA, 0, nil)
	cb, _ := wbem.Start(context.Background(), b, "NTest", "Block", inB, 0, nil)
	e.prov.waitStarted(t, "svcA")
	e.prov.waitStarted(t, "svcB")
	_ = a.Close()
	if _, err := waitCall(t, ca); status.Code(err) != status.WBEM_E_CALL_CANCELLED {
		t.Fatalf("err = %v", err)
	}
	e.prov.waitEnded(t, "svcA")
	select {
	case <-cb.Done():
		t.Fatal("closing one Services ended a call of another")
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := a.GetClass(context.Background(), "NTest"); status.Code(err) != status.WBEM_E_INVALID_OPERATION {
		t.Fatalf("GetClass on closed services: %v", err)
	}
	_ = cb.Cancel()
}

func TestArgumentErrorsAreSynchronous(t *testing.T) {
	e := newEnv(t, envOptions{})
	svc := services(t, e.dial(t, nil))
	var sinkCalls atomic.Int32
	sink := &countingSink{calls: &sinkCalls}
	ctx := context.Background()
	tests := []struct {
		name         string
		path, method string
		flags        int32
		sink         wbem.ObjectSink
		want         status.HRESULT
	}{
		{"nil sink", "TestMeth", "Echo", 0, nil, status.WBEM_E_INVALID_PARAMETER},
		{"empty path", "", "Echo", 0, sink, status.WBEM_E_INVALID_PARAMETER},
		{"empty method", "TestMeth", "", 0, sink, status.WBEM_E_INVALID_PARAMETER},
		{"bad flags", "TestMeth", "Echo", wbem.FlagReturnImmediately, sink, status.WBEM_E_INVALID_PARAMETER},
		{"amended", "TestMeth", "Echo", wbem.FlagUseAmendedQualifiers, sink, status.WBEM_E_INVALID_PARAMETER},
		{"long name", "TestMeth", strings.Repeat("m", 256), 0, sink, status.WBEM_E_METHOD_NAME_TOO_WIDE},
		{"value sink", "TestMeth", "Echo", 0, funcSink{}, status.WBEM_E_INVALID_PARAMETER},
	}
	for _, tt := range tests {
		err := svc.ExecMethodAsync(ctx, tt.path, tt.method, nil, tt.flags, nil, tt.sink)
		if status.Code(err) != tt.want {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := svc.CancelAsyncCall(nil); status.Code(err) != status.WBEM_E_INVALID_PARAMETER {
		t.Errorf("CancelAsyncCall(nil) = %v", err)
	}
	if err := svc.CancelAsyncCall(sink); status.Code(err) != status.WBEM_E_NOT_FOUND {
		t.Errorf("CancelAsyncCall(unknown) = %v", err)
	}
	time.Sleep(20 * time.Millisecond)
	if n := sinkCalls.Load(); n != 0 {
		t.Fatalf("sink called %d times", n)
	}
}

type countingSink struct{ calls *atomic.Int32 }

func (s *countingSink) Indicate([]*cim.Instance) status.HRESULT { s.calls.Add(1); return 0 }
func (s *countingSink) SetStatus(int32, status.HRESULT, string, *cim.Instance) status.HRESULT {
	s.calls.Add(1)
	return 0
}

// funcSink is a sink that is not comparable.
type funcSink struct{ _ []int }

func (funcSink) Indicate([]*cim.Instance) status.HRESULT                               { return 0 }
func (funcSink) SetStatus(int32, status.HRESULT, string, *cim.Instance) status.HRESULT { return 0 }

func TestServerErrorsRoundTrip(t *testing.T) {
	e := newEnv(t, envOptions{})
	remote := services(t, e.dial(t, nil))
	local := e.local(t)
	cases := []struct {
		name         string
		path, method string
		vals         map[string]cim.Value
	}{
		{"cim override", "NTest", "Fail", map[string]cim.Value{"CIM": cim.NewUint32(uint32(status.CIM_ERR_METHOD_NOT_AVAILABLE))}},
		{"wbem code", "NTest", "Fail", map[string]cim.Value{"Code": cim.NewUint32(uint32(status.WBEM_E_ACCESS_DENIED))}},
		{"unknown class", "NoSuchClass", "Echo", nil},
		{"unknown method", "TestMeth", "Nope", nil},
		{"bad in-parameter", "TestMeth", "Echo", map[string]cim.Value{"Nope": cim.NewString("x")}},
		{"bad path", `NTest.Name=`, "Echo", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var errs [2]error
			for i, svc := range []wbem.Services{local, remote} {
				var in *cim.Instance
				if tc.vals != nil {
					c := &cim.Class{Name: "__PARAMETERS"}
					for k, v := range tc.vals {
						c.Properties = append(c.Properties, &cim.Property{Name: k, Type: v.Type()})
					}
					in = cim.NewInstance(c)
					for k, v := range tc.vals {
						_ = in.Set(k, v)
					}
				}
				call, err := wbem.Start(context.Background(), svc, tc.path, tc.method, in, 0, nil)
				if err != nil {
					errs[i] = err
					continue
				}
				_, errs[i] = waitCall(t, call)
			}
			le, re := status.AsError(errs[0]), status.AsError(errs[1])
			if le == nil || re == nil {
				t.Fatalf("errors: local %v, remote %v", errs[0], errs[1])
			}
			if *le != *re {
				t.Fatalf("remote error %+v differs from in-process %+v", re, le)
			}
			if status.CIMCode(errs[1]) != status.CIMCode(errs[0]) {
				t.Fatalf("CIM status %v, want %v", status.CIMCode(errs[1]), status.CIMCode(errs[0]))
			}
		})
	}
}

func TestFinalErrorObject(t *testing.T) {
	e := newEnv(t, envOptions{})
	svc := services(t, e.dial(t, nil))
	in := inParams(t, svc, "NTest", "Fail", map[string]cim.Value{"Code": cim.NewUint32(uint32(status.WBEM_E_NOT_SUPPORTED))})
	var got struct {
		hr     status.HRESULT
		errObj *cim.Instance
		goErr  error
	}
	done := make(chan struct{})
	sink := &recSink{onFinal: func(hr status.HRESULT, obj *cim.Instance, goErr error) {
		got.hr, got.errObj, got.goErr = hr, obj, goErr
		close(done)
	}}
	if err := svc.ExecMethodAsync(context.Background(), "NTest", "Fail", in, 0, nil, sink); err != nil {
		t.Fatal(err)
	}
	<-done
	if got.hr != status.WBEM_E_NOT_SUPPORTED || got.errObj == nil || got.errObj.ClassName() != "__ExtendedStatus" {
		t.Fatalf("final %v %v", got.hr, got.errObj)
	}
	if got.errObj.Value("StatusCode").Uint64() != uint64(status.WBEM_E_NOT_SUPPORTED) ||
		got.errObj.Value("ProviderName").Text() != "NativeTestProvider" ||
		got.errObj.Value("Operation").Text() != "ExecMethod" {
		t.Fatalf("error object %s", got.errObj.MOF())
	}
	if status.Code(got.goErr) != status.WBEM_E_NOT_SUPPORTED {
		t.Fatalf("FinalError got %v", got.goErr)
	}
}

// recSink records the final status and checks the sink contract.
type recSink struct {
	mu      sync.Mutex
	in      atomic.Bool
	objects int
	finals  int
	after   int // callbacks after the final
	overlap int // callbacks that overlapped another
	goErr   error
	onFinal func(hr status.HRESULT, obj *cim.Instance, goErr error)
	onObj   func()
}

func (s *recSink) enter() {
	if !s.in.CompareAndSwap(false, true) {
		s.mu.Lock()
		s.overlap++
		s.mu.Unlock()
	}
}

func (s *recSink) Indicate(objs []*cim.Instance) status.HRESULT {
	s.enter()
	defer s.in.Store(false)
	s.mu.Lock()
	if s.finals > 0 {
		s.after++
	}
	s.objects += len(objs)
	f := s.onObj
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return 0
}

func (s *recSink) FinalError(err error) {
	s.mu.Lock()
	s.goErr = err
	s.mu.Unlock()
}

func (s *recSink) SetStatus(flags int32, hr status.HRESULT, param string, obj *cim.Instance) status.HRESULT {
	s.enter()
	defer s.in.Store(false)
	s.mu.Lock()
	if s.finals > 0 {
		s.after++
	}
	var f func(status.HRESULT, *cim.Instance, error)
	if flags == wbem.StatusComplete {
		s.finals++
		f = s.onFinal
	}
	goErr := s.goErr
	s.mu.Unlock()
	if f != nil {
		f(hr, obj, goErr)
	}
	return 0
}

func TestSyncExecMethodRemote(t *testing.T) {
	e := newEnv(t, envOptions{})
	remote := services(t, e.dial(t, nil))
	local := e.local(t)
	for _, svc := range []wbem.Services{local, remote} {
		in := inParams(t, svc, "TestMeth", "Echo", map[string]cim.Value{"sInArg": cim.NewString("sync")})
		out, err := svc.ExecMethod(context.Background(), "TestMeth", "Echo", in, nil)
		if err != nil || out.Value("sOutArg").Text() != "sync" || out.Value("ReturnValue").Uint64() != 4 {
			t.Fatalf("%T: ExecMethod = %v, %v", svc, out, err)
		}
		_, err = svc.ExecMethod(context.Background(), "TestMeth", "Nope", nil, nil)
		if status.Code(err) != status.WBEM_E_INVALID_METHOD {
			t.Fatalf("%T: unknown method: %v", svc, err)
		}
	}
	// A context that ends cancels the synchronous call.
	in := inParams(t, remote, "NTest", "Block", map[string]cim.Value{"Tag": cim.NewString("sync")})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := remote.ExecMethod(ctx, "NTest", "Block", in, nil)
	if c := status.Code(err); c != status.WBEM_E_TIMED_OUT {
		t.Fatalf("ExecMethod past its deadline: %v", err)
	}
	e.prov.waitEnded(t, "sync")
}

func TestTypesRoundTrip(t *testing.T) {
	e := newEnv(t, envOptions{})
	remote := services(t, e.dial(t, nil))
	local := e.local(t)
	item := &cim.Class{Name: "NTestItem", Properties: []*cim.Property{{Name: "Label", Type: cim.String}, {Name: "Big", Type: cim.Uint64}}}
	obj := cim.NewInstance(item)
	_ = obj.Set("Label", cim.NewString("item"))
	_ = obj.Set("Big", cim.NewUint64(math.MaxUint64))
	ref, _ := cim.ParsePath(`root/default:NTest.Name="a\"b"`)
	vals := map[string]cim.Value{
		"B": cim.NewBool(true), "U8": cim.NewUint8(255), "S8": cim.NewSint8(-128),
		"U16": cim.NewUint16(65535), "S16": cim.NewSint16(-32768), "U32": cim.NewUint32(math.MaxUint32),
		"S32": cim.NewSint32(math.MinInt32), "U64": cim.NewUint64(1<<53 + 1), "S64": cim.NewSint64(math.MinInt64),
		"R32": cim.NewReal32(float32(math.Inf(-1))), "R64": cim.NewReal64(math.NaN()), "C16": cim.NewChar16(0xD800),
		"Str": cim.NewString("a\"\\\n\x00é😀"), "DT": cim.NewInterval(36*time.Hour + 5*time.Microsecond),
		"Ref": cim.NewReference(ref), "Obj": cim.NewObject(obj),
		"U64s": cim.MustArray(cim.Uint64, cim.NewUint64(math.MaxUint64), cim.Null(cim.Uint64, false)),
		"Strs": cim.MustArray(cim.String), "R64s": cim.MustArray(cim.Real64, cim.NewReal64(math.Copysign(0, -1)), cim.NewReal64(1e-300)),
	}
	var outs [2]*cim.Instance
	for i, svc := range []wbem.Services{local, remote} {
		in := inParams(t, svc, "NTest", "Types", vals)
		call, err := wbem.Start(context.Background(), svc, "NTest", "Types", in, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if outs[i], err = waitCall(t, call); err != nil {
			t.Fatal(err)
		}
	}
	// NaN is not equal to itself: compare the encodings instead.
	lj, rj := cimjson.AppendInstance(nil, outs[0]), cimjson.AppendInstance(nil, outs[1])
	if !bytes.Equal(lj, rj) {
		t.Fatalf("remote out-parameters differ:\n local %s\nremote %s", lj, rj)
	}
	for name, v := range vals {
		got := outs[1].Value(name)
		if !cim.Equal(got, v) && name != "R64" {
			t.Errorf("%s = %v (%s), want %v (%s)", name, got, got.TypeName(), v, v.TypeName())
		}
	}
	if !math.IsNaN(outs[1].Value("R64").Float64()) {
		t.Errorf("R64 lost its NaN")
	}
}

func TestSyncOperationsRemote(t *testing.T) {
	e := newEnv(t, envOptions{})
	remote := services(t, e.dial(t, nil))
	local := e.local(t)
	ctx := context.Background()
	if remote.Namespace() != local.Namespace() {
		t.Fatalf("Namespace %q, want %q", remote.Namespace(), local.Namespace())
	}
	for _, name := range []string{"TestMeth", "NTest", "NTestItem", "__Win32Provider", "__MethodProviderRegistration"} {
		lc, err := local.GetClass(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := remote.GetClass(ctx, name)
		if err != nil {
			t.Fatalf("GetClass(%s): %v", name, err)
		}
		if a, b := cimjson.AppendClass(nil, lc), cimjson.AppendClass(nil, rc); !bytes.Equal(a, b) {
			t.Fatalf("class %s differs:\n local %s\nremote %s", name, a, b)
		}
		if lc.MOF(false) != rc.MOF(false) {
			t.Fatalf("MOF of %s differs", name)
		}
		// The remote class works as the local one does.
		if m := rc.Method("Echo"); m != nil && (m.InSignature() == nil || m.OutSignature().Property("ReturnValue") == nil) {
			t.Fatalf("signatures of remote %s.Echo", name)
		}
	}
	same := func(what string, l, r any, lerr, rerr error) {
		t.Helper()
		if (lerr == nil) != (rerr == nil) || (lerr != nil && *status.AsError(lerr) != *status.AsError(rerr)) {
			t.Fatalf("%s: errors differ: local %v, remote %v", what, lerr, rerr)
		}
		if fmt.Sprint(l) != fmt.Sprint(r) {
			t.Fatalf("%s: local %v, remote %v", what, l, r)
		}
	}
	ln, lerr := local.EnumerateClassNames(ctx, "", true)
	rn, rerr := remote.EnumerateClassNames(ctx, "", true)
	same("EnumerateClassNames", ln, rn, lerr, rerr)
	ln, lerr = local.EnumerateClassNames(ctx, "__Provider", false)
	rn, rerr = remote.EnumerateClassNames(ctx, "__Provider", false)
	same("EnumerateClassNames(__Provider)", ln, rn, lerr, rerr)
	lcs, lerr := local.EnumerateClasses(ctx, "", false)
	rcs, rerr := remote.EnumerateClasses(ctx, "", false)
	if lerr != nil || rerr != nil || len(lcs) != len(rcs) {
		t.Fatalf("EnumerateClasses: %d %v / %d %v", len(lcs), lerr, len(rcs), rerr)
	}
	for i := range lcs {
		if !bytes.Equal(cimjson.AppendClass(nil, lcs[i]), cimjson.AppendClass(nil, rcs[i])) {
			t.Fatalf("EnumerateClasses: class %s differs", lcs[i].Name)
		}
	}
	_, lerr = local.GetClass(ctx, "NoSuch")
	_, rerr = remote.GetClass(ctx, "NoSuch")
	same("GetClass(NoSuch)", nil, nil, lerr, rerr)

	lq, lerr := local.GetQualifier(ctx, "Description")
	rq, rerr := remote.GetQualifier(ctx, "Description")
	if lerr != nil || rerr != nil || !bytes.Equal(cimjson.AppendQualifierDecl(nil, lq), cimjson.AppendQualifierDecl(nil, rq)) {
		t.Fatalf("GetQualifier: %v %v", lerr, rerr)
	}
	lqs, lerr := local.EnumerateQualifiers(ctx)
	rqs, rerr := remote.EnumerateQualifiers(ctx)
	if lerr != nil || rerr != nil || len(lqs) != len(rqs) || len(lqs) == 0 {
		t.Fatalf("EnumerateQualifiers: %d %v / %d %v", len(lqs), lerr, len(rqs), rerr)
	}
	for i := range lqs {
		if !bytes.Equal(cimjson.AppendQualifierDecl(nil, lqs[i]), cimjson.AppendQualifierDecl(nil, rqs[i])) {
			t.Fatalf("qualifier %s differs", lqs[i].Name)
		}
	}

	lis, lerr := local.EnumerateInstances(ctx, "__Win32Provider", true)
	ris, rerr := remote.EnumerateInstances(ctx, "__Win32Provider", true)
	if lerr != nil || rerr != nil || len(lis) != len(ris) || len(lis) != 2 {
		t.Fatalf("EnumerateInstances: %d %v / %d %v", len(lis), lerr, len(ris), rerr)
	}
	for i := range lis {
		if !lis[i].Equal(ris[i]) || !lis[i].Path().Equal(ris[i].Path()) || lis[i].Path().String() != ris[i].Path().String() {
			t.Fatalf("instance %d: local %s, remote %s", i, lis[i].Path(), ris[i].Path())
		}
	}
	lps, lerr := local.EnumerateInstanceNames(ctx, "__Win32Provider")
	rps, rerr := remote.EnumerateInstanceNames(ctx, "__Win32Provider")
	same("EnumerateInstanceNames", lps, rps, lerr, rerr)
	li, lerr := local.GetInstance(ctx, lps[0].String())
	ri, rerr := remote.GetInstance(ctx, lps[0].String())
	if lerr != nil || rerr != nil || !li.Equal(ri) || li.Value("__PATH").Text() != ri.Value("__PATH").Text() {
		t.Fatalf("GetInstance: %v / %v", lerr, rerr)
	}
	_, lerr = local.GetInstance(ctx, `__Win32Provider.Name="nope"`)
	_, rerr = remote.GetInstance(ctx, `__Win32Provider.Name="nope"`)
	same("GetInstance(nope)", nil, nil, lerr, rerr)
}

func TestOpenUnknownNamespace(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.dial(t, nil)
	_, err := c.Services(context.Background(), "root/nowhere")
	_, lerr := e.eng.Services(context.Background(), "root/nowhere")
	if status.Code(err) != status.WBEM_E_INVALID_NAMESPACE || *status.AsError(err) != *status.AsError(lerr) {
		t.Fatalf("err = %v, in-process %v", err, lerr)
	}
	svc, err := c.Services(context.Background(), `ROOT\Default`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetClass(context.Background(), "TestMeth"); err != nil {
		t.Fatal(err)
	}
}

func TestAuthentication(t *testing.T) {
	auth := func(r *http.Request) (*security.Identity, error) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "alice" || p != "secret" {
			return nil, errors.New("bad credentials")
		}
		return &security.Identity{User: u, Method: "basic", UID: -1}, nil
	}
	e := newEnv(t, envOptions{handler: HandlerOptions{Authenticate: auth}})
	if _, err := Dial(context.Background(), e.url, &DialOptions{User: "alice", Password: "wrong", Logger: quietLogger()}); status.Code(err) != status.WBEM_E_ACCESS_DENIED {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := Dial(context.Background(), e.url, &DialOptions{Logger: quietLogger()}); status.Code(err) != status.WBEM_E_ACCESS_DENIED {
		t.Fatalf("no credentials: %v", err)
	}
	svc := services(t, e.dial(t, &DialOptions{User: "alice", Password: "secret"}))
	out, err := svc.ExecMethod(context.Background(), "NTest", "WhoAmI", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Value("ReturnValue").Text(); !strings.HasPrefix(got, "alice|basic|tcp:127.0.0.1:") {
		t.Fatalf("caller %q", got)
	}

	anon := newEnv(t, envOptions{})
	svc = services(t, anon.dial(t, nil))
	out, err = svc.ExecMethod(context.Background(), "NTest", "WhoAmI", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Value("ReturnValue").Text(); !strings.HasPrefix(got, "anonymous|none|tcp:127.0.0.1:") {
		t.Fatalf("anonymous caller %q", got)
	}
}

func TestCancelFromInsideCallback(t *testing.T) {
	e := newEnv(t, envOptions{})
	svc := services(t, e.dial(t, nil))
	in := inParams(t, svc, "NTest", "Progress", map[string]cim.Value{"Steps": cim.NewUint32(50), "Message": cim.NewString("m")})
	sink := &selfCancelSink{svc: svc, done: make(chan struct{})}
	if err := svc.ExecMethodAsync(context.Background(), "NTest", "Progress", in, wbem.FlagSendStatus, nil, sink); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sink.done:
	case <-time.After(10 * time.Second):
		t.Fatal("no final status")
	}
	time.Sleep(50 * time.Millisecond)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.finals != 1 || sink.final != status.WBEM_E_CALL_CANCELLED || sink.afterFinal != 0 || sink.cancelErr != nil {
		t.Fatalf("finals %d (%v), after %d, cancel error %v", sink.finals, sink.final, sink.afterFinal, sink.cancelErr)
	}
}

// selfCancelSink cancels its call from inside its first progress
// callback: the final status must come after the callback returns.
type selfCancelSink struct {
	svc        wbem.Services
	mu         sync.Mutex
	inCB       bool
	progress   int
	finals     int
	final      status.HRESULT
	afterFinal int
	cancelErr  error
	done       chan struct{}
}

func (s *selfCancelSink) Indicate([]*cim.Instance) status.HRESULT { return 0 }

func (s *selfCancelSink) SetStatus(flags int32, hr status.HRESULT, _ string, _ *cim.Instance) status.HRESULT {
	s.mu.Lock()
	if s.finals > 0 {
		s.afterFinal++
	}
	if flags == wbem.StatusProgress {
		s.progress++
		first := s.progress == 1
		s.inCB = true
		s.mu.Unlock()
		if first {
			s.cancelErr = s.svc.CancelAsyncCall(s)
		}
		s.mu.Lock()
		s.inCB = false
		s.mu.Unlock()
		return 0
	}
	if s.inCB {
		s.afterFinal += 1000 // final delivered during the callback
	}
	s.finals++
	s.final = hr
	s.mu.Unlock()
	close(s.done)
	return 0
}

func TestFailedCallbackCancels(t *testing.T) {
	e := newEnv(t, envOptions{})
	svc := services(t, e.dial(t, nil))
	in := inParams(t, svc, "NTest", "Progress", map[string]cim.Value{"Steps": cim.NewUint32(1000), "Message": cim.NewString("m")})
	done := make(chan status.HRESULT, 1)
	sink := &failingSink{done: done}
	if err := svc.ExecMethodAsync(context.Background(), "NTest", "Progress", in, wbem.FlagSendStatus, nil, sink); err != nil {
		t.Fatal(err)
	}
	select {
	case hr := <-done:
		if hr != status.WBEM_E_CALL_CANCELLED {
			t.Fatalf("final %v", hr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no final")
	}
}

type failingSink struct{ done chan status.HRESULT }

func (s *failingSink) Indicate([]*cim.Instance) status.HRESULT { return status.WBEM_E_FAILED }
func (s *failingSink) SetStatus(flags int32, hr status.HRESULT, _ string, _ *cim.Instance) status.HRESULT {
	if flags == wbem.StatusComplete {
		s.done <- hr
		return 0
	}
	return status.WBEM_E_FAILED
}
