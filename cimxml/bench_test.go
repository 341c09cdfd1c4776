package cimxml

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

// echoBody is the Echo request wbemcli sends (captured).
func echoBody(tb testing.TB) []byte {
	b, err := os.ReadFile("testdata/golden/wbemcli_cm_echo.req.xml")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func BenchmarkDecodeMethodCall(b *testing.B) {
	body := echoBody(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeMethodCallAllTypes(b *testing.B) {
	body, err := os.ReadFile("testdata/golden/wbemcli_cm_echotypes.req.xml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeMethodResponse(b *testing.B) {
	n := newFakeNS("root/default")
	m := n.classes["testmeth"].Method("Echo")
	out, _ := m.NewOutParams()
	must(out.Set("sOutArg", cim.NewString("hello")))
	must(out.Set(cim.ReturnValueName, cim.NewUint32(0)))
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendMethodResponse(buf[:0], "4711", "Echo", out, nil)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkHandlerEcho is the whole handler round trip for wbemcli's Echo
// request (decode, GetClass, typing, ExecMethod, encode), without the
// network.
func BenchmarkHandlerEcho(b *testing.B) {
	body := echoBody(b)
	h := newTestHandler()
	hdr := http.Header{}
	for k, v := range map[string]string{"Content-Type": `application/xml; charset="utf-8"`, "CIMOperation": "MethodCall",
		"CIMMethod": "Echo", "CIMObject": "root%2Fdefault%3ATestMeth", "CIMProtocolVersion": "1.0"} {
		hdr.Set(k, v)
	}
	req := httptest.NewRequest(http.MethodPost, "/cimom", nil)
	req.Header = hdr
	rd := bytes.NewReader(body)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		req.ContentLength = int64(len(body))
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkServerEcho measures Echo over a real loopback HTTP/1.1
// keep-alive connection (one client goroutine; -cpu and -benchtime as
// wanted; see cmd load tests for the multi-connection figures).
func BenchmarkServerEcho(b *testing.B) {
	body := echoBody(b)
	srv := httptest.NewServer(newTestHandler())
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/cimom", bytes.NewReader(body))
			req.Header["Content-Type"] = []string{`application/xml; charset="utf-8"`}
			req.Header["CIMOperation"] = []string{"MethodCall"}
			req.Header["CIMMethod"] = []string{"Echo"}
			req.Header["CIMObject"] = []string{"root%2Fdefault%3ATestMeth"}
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(data), "hello") {
				b.Fatalf("%d %s", resp.StatusCode, data)
			}
		}
	})
}
