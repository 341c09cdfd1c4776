package client

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/testsupport"
	"github.com/gowbem/gowbem/native"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/testmeth"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wbem/swbem"
	"github.com/gowbem/gowbem/wbemd"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startServer serves an engine with TestMeth over the native protocol
// and CIM-XML on 127.0.0.1.
func startServer(t *testing.T, auth func(*http.Request) (*security.Identity, error)) *httptest.Server {
	t.Helper()
	eng := testsupport.Engine(t, []provider.Module{testmeth.Module})
	nh := native.NewHandler(native.HandlerOptions{Connector: eng, Logger: quiet(), Authenticate: auth})
	mux := http.NewServeMux()
	mux.Handle(native.Path, nh)
	mux.Handle("POST /cimom", cimxml.NewHandler(cimxml.HandlerOptions{Connector: eng, Authenticate: auth}))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		_ = nh.Close()
		srv.Close()
	})
	return srv
}

// echo calls TestMeth.Echo through svc asynchronously and returns the
// out-parameters.
func echo(t *testing.T, svc wbem.Services, arg string) *cim.Instance {
	t.Helper()
	class, err := svc.GetClass(context.Background(), "TestMeth")
	if err != nil {
		t.Fatalf("GetClass: %v", err)
	}
	in := class.Method("Echo").NewInParams()
	_ = in.Set("sInArg", cim.NewString(arg))
	call, err := wbem.Start(context.Background(), svc, "TestMeth", "Echo", in, 0, nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := call.Wait(ctx)
	if err != nil {
		t.Fatalf("Echo: %v", err)
	}
	return out
}

func connect(t *testing.T, url string, cred *Credentials) wbem.Services {
	t.Helper()
	conn, err := ConnectWith(context.Background(), url, Options{Credentials: cred, Logger: quiet()})
	if err != nil {
		t.Fatalf("Connect(%s): %v", url, err)
	}
	t.Cleanup(func() { _ = conn.(io.Closer).Close() })
	svc, err := conn.Services(context.Background(), testmeth.Namespace)
	if err != nil {
		t.Fatalf("Services: %v", err)
	}
	return svc
}

func TestSchemes(t *testing.T) {
	srv := startServer(t, nil)
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, tc := range []struct {
		url  string
		kind string
	}{
		{"wbem://" + host, "*native.Conn"},
		{"WBEM://" + host + "/", "*native.Conn"},
		{"ws://" + host + native.Path, "*native.Conn"},
		{"ws://" + host, "*native.Conn"},
		{"http://" + host, "*cimxml.Client"},
		{"http://" + host + "/cimom", "*cimxml.Client"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			conn, err := ConnectWith(context.Background(), tc.url, Options{Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.(io.Closer).Close()
			if got := typeName(conn); got != tc.kind {
				t.Fatalf("connector %s, want %s", got, tc.kind)
			}
			svc, err := conn.Services(context.Background(), testmeth.Namespace)
			if err != nil {
				t.Fatal(err)
			}
			if out := echo(t, svc, "héllo"); out.Value("ReturnValue").Uint64() != 5 || out.Value("sOutArg").Text() != "héllo" {
				t.Fatalf("out-parameters %s", out.MOF())
			}
		})
	}
}

func typeName(x any) string {
	switch x.(type) {
	case *native.Conn:
		return "*native.Conn"
	case *cimxml.Client:
		return "*cimxml.Client"
	}
	return "other"
}

func TestBadURLs(t *testing.T) {
	for _, u := range []string{"ftp://host", "wbem://", "::", "host:5988"} {
		if _, err := Connect(context.Background(), u, nil); status.Code(err) != status.WBEM_E_INVALID_PARAMETER {
			t.Errorf("%q: %v", u, err)
		}
	}
	// Nothing listens on port 1.
	if _, err := Connect(context.Background(), "wbem://127.0.0.1:1", nil); status.Code(err) != status.WBEM_E_TRANSPORT_FAILURE {
		t.Errorf("closed port: %v", err)
	}
}

func TestCredentials(t *testing.T) {
	auth := func(r *http.Request) (*security.Identity, error) {
		if u, p, ok := r.BasicAuth(); ok && u == "bob" && p == "pw" {
			return &security.Identity{User: u, Method: "basic", UID: -1}, nil
		}
		return nil, errors.New("denied")
	}
	srv := startServer(t, auth)
	host := strings.TrimPrefix(srv.URL, "http://")
	if _, err := Connect(context.Background(), "wbem://"+host, &Credentials{User: "bob", Password: "no"}); status.Code(err) != status.WBEM_E_ACCESS_DENIED {
		t.Fatalf("wrong password: %v", err)
	}
	svc := connect(t, "wbem://"+host, &Credentials{User: "bob", Password: "pw"})
	echo(t, svc, "x")
	svc = connect(t, "wbem://bob:pw@"+host, nil)
	echo(t, svc, "y")
}

// TestAgainstWbemd runs the engine's Go client API unchanged against a
// real wbemd server: synchronous, semisynchronous and asynchronous calls,
// the scripting facade with its async context, and cancellation.
func TestAgainstWbemd(t *testing.T) {
	dir, err := os.MkdirTemp("", "wbemd") // short: a socket path has a length limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "wbemd.sock")
	// Basic bob:pw on TCP; peer credentials on the Unix socket.
	auth := func(r *http.Request) (*security.Identity, error) {
		if id, ok, err := security.PeerIdentityFrom(r.Context()); ok {
			return id, err
		}
		if u, p, ok := r.BasicAuth(); ok && u == "bob" && p == "pw" {
			return &security.Identity{User: u, Method: "basic", UID: -1}, nil
		}
		return nil, errors.New("denied")
	}
	srv, err := wbemd.New(wbemd.Options{DataDir: dir, CIMXMLAddr: "127.0.0.1:0", WSManAddr: "off",
		CIMXMLSAddr: "off", WSManSAddr: "off", UnixSocket: sock, Authenticate: auth, Logger: quiet(),
		// Transport test: bob may do everything (rights are tested in security and e2e).
		Authorizer:   security.AuthorizerFunc(func(context.Context, *security.Identity, string, security.Rights) error { return nil }),
		WriteTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("wbemd.New: %v", err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-served
	})
	addr := srv.Addrs()[0].String()
	if _, err := Connect(context.Background(), "wbem://"+addr, nil); status.Code(err) != status.WBEM_E_ACCESS_DENIED {
		t.Fatalf("without credentials: %v", err)
	}
	svc := connect(t, "wbem://"+addr, &Credentials{User: "bob", Password: "pw"})
	ctx := context.Background()

	// The Unix socket, with the caller known from its peer credentials.
	usvc := connect(t, "wbem+unix://"+sock, nil)
	if out := echo(t, usvc, "unix"); out.Value("sOutArg").Text() != "unix" {
		t.Fatalf("Echo over the Unix socket: %s", out.MOF())
	}

	out := echo(t, svc, "remote")
	if out.Value("sOutArg").Text() != "remote" || out.Value("ReturnValue").Uint64() != 6 {
		t.Fatalf("async Echo: %s", out.MOF())
	}
	class, err := svc.GetClass(ctx, "TestMeth")
	if err != nil {
		t.Fatal(err)
	}
	in := class.Method("Echo").NewInParams()
	_ = in.Set("sInArg", cim.NewString("sync"))
	if out, err := svc.ExecMethod(ctx, "TestMeth", "Echo", in, nil); err != nil || out.Value("sOutArg").Text() != "sync" {
		t.Fatalf("sync Echo: %v %v", out, err)
	}
	r, err := wbem.ExecMethodSemisync(ctx, svc, "TestMeth", "Echo", in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o, hr := r.GetResultObject(wbem.Infinite); hr != 0 || o.Value("ReturnValue").Uint64() != 4 {
		t.Fatalf("semisync Echo: %v %v", o, hr)
	}

	sw := swbem.New(ctx, svc)
	asyncCtx := cim.NewNamedValues()
	_ = asyncCtx.Add("n", int32(1))
	var mu sync.Mutex
	var gotCtx []*cim.NamedValues
	done := make(chan status.HRESULT, 1)
	sink := &swbem.Sink{
		OnObjectReady: func(_ *cim.Instance, ac *cim.NamedValues) {
			mu.Lock()
			gotCtx = append(gotCtx, ac)
			mu.Unlock()
		},
		OnCompleted: func(hr status.HRESULT, _ *cim.Instance, ac *cim.NamedValues) {
			mu.Lock()
			gotCtx = append(gotCtx, ac)
			mu.Unlock()
			done <- hr
		},
	}
	if err := sw.ExecMethodAsync(sink, "TestMeth", "Echo", in, 0, nil, asyncCtx); err != nil {
		t.Fatal(err)
	}
	select {
	case hr := <-done:
		if hr != 0 {
			t.Fatalf("OnCompleted hr %v", hr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no OnCompleted")
	}
	mu.Lock()
	if len(gotCtx) != 2 || gotCtx[0] != asyncCtx || gotCtx[1] != asyncCtx {
		t.Fatalf("async context not returned: %v", gotCtx)
	}
	mu.Unlock()

	// The connection outlives the server's per-request timeouts.
	time.Sleep(500 * time.Millisecond)
	if out := echo(t, svc, "later"); out.Value("sOutArg").Text() != "later" {
		t.Fatalf("Echo after a pause: %s", out.MOF())
	}

	// Errors keep their codes end to end.
	if _, err := svc.ExecMethod(ctx, "TestMeth", "NoSuch", nil, nil); status.Code(err) != status.WBEM_E_INVALID_METHOD {
		t.Fatalf("unknown method: %v", err)
	}
	if _, err := svc.GetClass(ctx, "NoSuch"); status.Code(err) != status.WBEM_E_NOT_FOUND {
		t.Fatalf("unknown class: %v", err)
	}
}
