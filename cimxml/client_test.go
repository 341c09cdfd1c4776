package cimxml

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// startServer runs a Handler over the fake object manager on a loopback
// HTTP server and returns a connected Client.
func startServer(t *testing.T, opts HandlerOptions, copts ClientOptions) (*Client, *fakeConnector) {
	t.Helper()
	conn := newFakeConnector()
	if opts.Connector == nil {
		opts.Connector = conn
	}
	srv := httptest.NewServer(NewHandler(opts))
	t.Cleanup(srv.Close)
	c, err := Dial(context.Background(), srv.URL, copts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, conn
}

func openServices(t *testing.T, c *Client, ns string) wbem.Services {
	t.Helper()
	s, err := c.Services(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestClientIntrinsic(t *testing.T) {
	c, conn := startServer(t, HandlerOptions{}, ClientOptions{})
	s := openServices(t, c, `root\default`)
	ctx := context.Background()
	want := conn.ns["root/default"]

	cls, err := s.GetClass(ctx, "TST_Widget")
	if err != nil {
		t.Fatal(err)
	}
	compareClass(t, cls, want.classes["tst_widget"])
	if cls.Namespace != "root/default" {
		t.Errorf("class namespace %q", cls.Namespace)
	}
	if _, err := s.GetClass(ctx, "Nope"); !errors.Is(err, status.WBEM_E_INVALID_CLASS) {
		t.Errorf("missing class: %v", err)
	}

	names, err := s.EnumerateClassNames(ctx, "", false)
	if err != nil || len(names) != 3 {
		t.Errorf("top-level class names %v %v", names, err)
	}
	names, err = s.EnumerateClassNames(ctx, "TST_Base", true)
	if err != nil || len(names) != 1 || names[0] != "TST_Widget" {
		t.Errorf("subclasses %v %v", names, err)
	}
	classes, err := s.EnumerateClasses(ctx, "", true)
	if err != nil || len(classes) != 4 {
		t.Fatalf("classes %d %v", len(classes), err)
	}
	for _, c := range classes {
		compareClass(t, c, want.classes[lower8(c.Name)])
	}

	inst, err := s.GetInstance(ctx, `TST_Widget.Id="w1"`)
	if err != nil {
		t.Fatal(err)
	}
	if !inst.Equal(want.instances[0]) {
		t.Errorf("GetInstance:\n got %v\nwant %v", inst, want.instances[0])
	}
	if p := inst.Path(); p.RelPath() != `TST_Widget.Id="w1"` || inst.Namespace != "root/default" {
		t.Errorf("instance path %s in %q", p.RelPath(), inst.Namespace)
	}
	conf := inst.Value("Conf").Object()
	if conf == nil || conf.Value("Name").Text() != `fast & "loud" <x>` {
		t.Errorf("embedded instance %v", conf)
	}
	if _, err := s.GetInstance(ctx, `TST_Widget.Id="nope"`); !errors.Is(err, status.WBEM_E_NOT_FOUND) {
		t.Errorf("missing instance: %v", err)
	}

	insts, err := s.EnumerateInstances(ctx, "TST_Widget", true)
	if err != nil || len(insts) != 2 {
		t.Fatalf("instances %d %v", len(insts), err)
	}
	for i := range insts {
		if !insts[i].Equal(want.instances[i]) {
			t.Errorf("instance %d:\n got %v\nwant %v", i, insts[i], want.instances[i])
		}
		if got, w := insts[i].Path().RelPath(), want.instances[i].Path().RelPath(); got != w {
			t.Errorf("path %s, want %s", got, w)
		}
	}
	paths, err := s.EnumerateInstanceNames(ctx, "TST_Base")
	if err != nil || len(paths) != 2 || paths[1].RelPath() != `TST_Widget.Id="w2"` || paths[1].Namespace != "root/default" {
		t.Errorf("names %v %v", paths, err)
	}

	q, err := s.GetQualifier(ctx, "key")
	if err != nil || q.Name != "Key" || q.Type != cim.Boolean || q.Scopes != cim.ScopeProperty|cim.ScopeReference || q.Flavor.Overridable() {
		t.Errorf("qualifier %+v %v", q, err)
	}
	qs, err := s.EnumerateQualifiers(ctx)
	if err != nil || len(qs) != 3 || !qs[2].IsArray || qs[1].Flavor&cim.FlavorTranslatable == 0 {
		t.Errorf("qualifiers %v %v", qs, err)
	}

	bad := openServices(t, c, "root/nowhere")
	if _, err := bad.GetClass(ctx, "TST_Widget"); !errors.Is(err, status.WBEM_E_INVALID_NAMESPACE) {
		t.Errorf("bad namespace: %v", err)
	}
}

func lower8(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lower(c)
	}
	return string(b)
}

func TestClientExecMethod(t *testing.T) {
	c, conn := startServer(t, HandlerOptions{}, ClientOptions{})
	s := openServices(t, c, "root/default")
	ctx := context.Background()
	w := conn.ns["root/default"].classes["tst_widget"]

	echo := conn.ns["root/default"].classes["testmeth"].Method("Echo")
	in := echo.NewInParams()
	must(in.Put("sInArg", "hello & <goodbye>"))
	out, err := s.ExecMethod(ctx, "TestMeth", "Echo", in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Value("sOutArg").Text(); got != "hello & <goodbye>" {
		t.Errorf("sOutArg %q", got)
	}
	if rv := out.Value("ReturnValue"); rv.Type() != cim.Uint32 || rv.Uint64() != 0 {
		t.Errorf("ReturnValue %v", rv)
	}

	// Every type through EchoTypes, compared value by value.
	m := w.Method("EchoTypes")
	in = m.NewInParams()
	settings := cim.NewInstance(conn.ns["root/default"].classes["tst_settings"])
	must(settings.Put("Level", uint8(9)))
	must(settings.Put("Name", "x\r\ny\tz"))
	dt, _ := cim.NewDateTime("20240101123000.000000+060")
	vals := map[string]cim.Value{
		"S": cim.NewString("a<b>&\"'\r\n\t\u00e9\U0001F600"), "B": cim.NewBool(false), "U8": cim.NewUint8(255),
		"S8": cim.NewSint8(-128), "U16": cim.NewUint16(65535), "S16": cim.NewSint16(-32768),
		"U32": cim.NewUint32(4294967295), "S32": cim.NewSint32(-2147483648), "U64": cim.NewUint64(18446744073709551615),
		"S64": cim.NewSint64(-9223372036854775808), "R32": cim.NewReal32(0.1), "R64": cim.NewReal64(1e-310),
		"C16": cim.NewChar16('\u00e9'), "DT": dt,
		"SA": cim.MustArray(cim.String, cim.NewString(""), cim.Null(cim.String, false), cim.NewString("b")),
		"UA": cim.MustArray(cim.Uint32), "BA": cim.MustArray(cim.Boolean, cim.NewBool(true)),
		"RA":    cim.MustArray(cim.Real64, cim.NewReal64(3.25)),
		"Peer":  cim.NewReference(&cim.ObjectPath{Server: "h", Namespace: "root/default", Class: "TST_Widget", Keys: []cim.KeyBinding{{Name: "Id", Value: cim.KeyValue{Kind: cim.KeyString, Text: "w2"}}}}),
		"Peers": cim.MustArray(cim.Reference, cim.NewReference(&cim.ObjectPath{Class: "TST_Widget", Keys: []cim.KeyBinding{{Name: "Id", Value: cim.KeyValue{Kind: cim.KeyString, Text: "w1"}}}})),
		"Emb":   cim.NewObject(settings),
	}
	for k, v := range vals {
		must(in.Set(k, v))
	}
	out, err = s.ExecMethod(ctx, `TST_Widget`, "EchoTypes", in, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range vals {
		got := out.Value(k)
		if !cim.Equal(got, v) {
			t.Errorf("%s: got %v (%s), want %v (%s)", k, got, got.TypeName(), v, v.TypeName())
		}
	}

	// Instance method changing state, seen by GetInstance.
	in = w.Method("Resize").NewInParams()
	must(in.Put("NewSize", uint32(77)))
	out, err = s.ExecMethod(ctx, `root/default:TST_Widget.Id="w2"`, "Resize", in, nil)
	if err != nil || out.Value("OldSize").Uint64() != 20 {
		t.Fatalf("Resize: %v %v", out, err)
	}
	inst, err := s.GetInstance(ctx, `TST_Widget.Id="w2"`)
	if err != nil || inst.Value("Size").Uint64() != 77 {
		t.Errorf("after Resize: %v %v", inst, err)
	}

	// Errors keep their codes.
	tests := []struct {
		path, method string
		in           *cim.Instance
		want         status.HRESULT
		cim          status.CIMStatus
	}{
		{`TST_Widget.Id="w1"`, "Nope", nil, status.WBEM_E_INVALID_METHOD, status.CIM_ERR_METHOD_NOT_FOUND},
		{`TST_Widget.Id="w1"`, "NotImplemented", nil, status.WBEM_E_NOT_SUPPORTED, status.CIM_ERR_METHOD_NOT_AVAILABLE},
		{`TST_Widget`, "Resize", nil, status.WBEM_E_INVALID_METHOD_PARAMETERS, status.CIM_ERR_INVALID_PARAMETER},
		{`Nope`, "Echo", nil, status.WBEM_E_INVALID_CLASS, status.CIM_ERR_INVALID_CLASS},
		{`TST_Widget.Id="zz"`, "Resize", func() *cim.Instance {
			i := w.Method("Resize").NewInParams()
			must(i.Put("NewSize", uint32(1)))
			return i
		}(), status.WBEM_E_NOT_FOUND, status.CIM_ERR_NOT_FOUND},
		{`TST_Widget.Id="w1"`, "Fail", func() *cim.Instance {
			i := w.Method("Fail").NewInParams()
			must(i.Put("Code", uint32(13)))
			return i
		}(), status.WBEM_E_TYPE_MISMATCH, status.CIM_ERR_TYPE_MISMATCH},
	}
	for _, tc := range tests {
		_, err := s.ExecMethod(ctx, tc.path, tc.method, tc.in, nil)
		if !errors.Is(err, tc.want) || status.CIMCode(err) != tc.cim {
			t.Errorf("%s.%s: %v (cim %v), want %v / %v", tc.path, tc.method, err, status.CIMCode(err), tc.want, tc.cim)
		}
	}

	// A method without out-parameters answers an empty METHODRESPONSE.
	out, err = s.ExecMethod(ctx, "TST_Widget", "NoResult", nil, nil)
	if err != nil || out != nil {
		t.Errorf("NoResult: %v %v", out, err)
	}
}

// recordingSink records the callbacks of an asynchronous call.
type recordingSink struct {
	mu      sync.Mutex
	objs    []*cim.Instance
	final   []status.HRESULT
	errObjs []*cim.Instance
	done    chan struct{}
}

func newSink() *recordingSink { return &recordingSink{done: make(chan struct{})} }

func (r *recordingSink) Indicate(objs []*cim.Instance) status.HRESULT {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.objs = append(r.objs, objs...)
	return status.WBEM_S_NO_ERROR
}

func (r *recordingSink) SetStatus(flags int32, hr status.HRESULT, param string, errObj *cim.Instance) status.HRESULT {
	r.mu.Lock()
	defer r.mu.Unlock()
	if flags == wbem.StatusComplete {
		r.final = append(r.final, hr)
		r.errObjs = append(r.errObjs, errObj)
		if len(r.final) == 1 {
			close(r.done)
		}
	}
	return status.WBEM_S_NO_ERROR
}

func (r *recordingSink) wait(t *testing.T) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatal("no final status")
	}
	time.Sleep(10 * time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.final) != 1 {
		t.Errorf("%d final statuses", len(r.final))
	}
}

func TestClientAsync(t *testing.T) {
	c, conn := startServer(t, HandlerOptions{}, ClientOptions{})
	s := openServices(t, c, "root/default")
	ctx := context.Background()
	w := conn.ns["root/default"].classes["tst_widget"]

	sink := newSink()
	in := conn.ns["root/default"].classes["testmeth"].Method("Echo").NewInParams()
	must(in.Put("sInArg", "async"))
	if err := s.ExecMethodAsync(ctx, "TestMeth", "Echo", in, wbem.FlagSendStatus, nil, sink); err != nil {
		t.Fatal(err)
	}
	sink.wait(t)
	if len(sink.objs) != 1 || sink.objs[0].Value("sOutArg").Text() != "async" || sink.final[0] != status.WBEM_S_NO_ERROR {
		t.Errorf("async echo: %v %v", sink.objs, sink.final)
	}

	// The Go form of an asynchronous call works on top of it.
	call, err := wbem.Start(ctx, s, "TestMeth", "Echo", in, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := call.Wait(ctx)
	if err != nil || out.Value("sOutArg").Text() != "async" {
		t.Errorf("Start/Wait: %v %v", out, err)
	}

	// Failures reach the sink with an error object.
	sink = newSink()
	if err := s.ExecMethodAsync(ctx, `TST_Widget.Id="w1"`, "Nope", nil, 0, nil, sink); err != nil {
		t.Fatal(err)
	}
	sink.wait(t)
	if sink.final[0] != status.WBEM_E_INVALID_METHOD || len(sink.objs) != 0 || sink.errObjs[0] == nil {
		t.Errorf("async failure: %v %v", sink.final, sink.objs)
	}

	// Argument errors come back at once.
	if err := s.ExecMethodAsync(ctx, "", "Echo", nil, 0, nil, newSink()); err == nil {
		t.Error("empty path accepted")
	}
	if err := s.ExecMethodAsync(ctx, "TestMeth", "Echo", nil, 0x10, nil, newSink()); !errors.Is(err, status.WBEM_E_INVALID_PARAMETER) {
		t.Errorf("bad flags: %v", err)
	}
	if err := s.CancelAsyncCall(newSink()); !errors.Is(err, status.WBEM_E_NOT_FOUND) {
		t.Errorf("unknown sink: %v", err)
	}

	// Cancelling abandons the request: the sink gets WBEM_E_CALL_CANCELLED
	// at once, long before the method would end.
	sink = newSink()
	in = w.Method("Delay").NewInParams()
	must(in.Put("Millis", uint32(5000)))
	start := time.Now()
	if err := s.ExecMethodAsync(ctx, "TST_Widget", "Delay", in, 0, nil, sink); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.CancelAsyncCall(sink); err != nil {
		t.Fatal(err)
	}
	sink.wait(t)
	if sink.final[0] != status.WBEM_E_CALL_CANCELLED || time.Since(start) > 3*time.Second {
		t.Errorf("cancel: %v after %v", sink.final, time.Since(start))
	}

	// Close cancels pending calls and refuses new ones.
	s2 := openServices(t, c, "root/default")
	sink = newSink()
	if err := s2.ExecMethodAsync(ctx, "TST_Widget", "Delay", in, 0, nil, sink); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	sink.wait(t)
	if sink.final[0] != status.WBEM_E_CALL_CANCELLED {
		t.Errorf("close: %v", sink.final)
	}
	if _, err := s2.GetClass(ctx, "TestMeth"); err == nil {
		t.Error("closed services still work")
	}
}

func TestClientAuth(t *testing.T) {
	auth := BasicAuth(func(ctx context.Context, user, pass string) (*security.Identity, error) {
		if user == "bob" && pass == "pw" {
			return &security.Identity{User: "bob", UID: -1, Method: "basic", Remote: true}, nil
		}
		return nil, errors.New("no")
	})
	c, _ := startServer(t, HandlerOptions{Authenticate: auth}, ClientOptions{Username: "bob", Password: "pw"})
	if _, err := openServices(t, c, "root/default").GetClass(context.Background(), "TestMeth"); err != nil {
		t.Errorf("with credentials: %v", err)
	}
	c, _ = startServer(t, HandlerOptions{Authenticate: auth}, ClientOptions{Username: "bob", Password: "wrong"})
	if _, err := openServices(t, c, "root/default").GetClass(context.Background(), "TestMeth"); !errors.Is(err, status.WBEM_E_ACCESS_DENIED) {
		t.Errorf("wrong password: %v", err)
	}
}

func TestClientTransportErrors(t *testing.T) {
	if _, err := Dial(context.Background(), "ftp://x", ClientOptions{}); err == nil {
		t.Error("ftp accepted")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<not-cim/>"))
	}))
	defer srv.Close()
	c, err := Dial(context.Background(), srv.URL, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := openServices(t, c, "root/default")
	if _, err := s.GetClass(context.Background(), "X"); !errors.Is(err, status.WBEM_E_TRANSPORT_FAILURE) {
		t.Errorf("garbage answer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.GetClass(ctx, "X"); !errors.Is(err, status.WBEM_E_CALL_CANCELLED) {
		t.Errorf("cancelled: %v", err)
	}
	c2, _ := Dial(context.Background(), "http://127.0.0.1:1", ClientOptions{Timeout: time.Second})
	if _, err := openServices(t, c2, "root/default").GetClass(context.Background(), "X"); !errors.Is(err, status.WBEM_E_TRANSPORT_FAILURE) {
		t.Errorf("refused: %v", err)
	}
}
