package wsman

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchInvokeRequest is a typical WinRM-style invocation of the static
// TestMeth.Echo, with the headers the Windows MI client sends.
var benchInvokeRequest = func() string {
	uri := testURI("TestMeth")
	return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">
  <s:Header>
    <a:To>http://127.0.0.1:5985/wsman</a:To>
    <w:ResourceURI s:mustUnderstand="true">` + uri + `</w:ResourceURI>
    <a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>
    <a:Action s:mustUnderstand="true">` + uri + `/Echo</a:Action>
    <w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize>
    <a:MessageID>uuid:6A1B0D2E-1111-4C3D-9E8F-000000000001</a:MessageID>
    <w:Locale xml:lang="en-US" s:mustUnderstand="false"/>
    <p:DataLocale xml:lang="en-US" s:mustUnderstand="false"/>
    <w:OperationTimeout>PT60.000S</w:OperationTimeout>
  </s:Header>
  <s:Body>
    <p:Echo_INPUT xmlns:p="` + uri + `">
      <p:sInArg>hello, world &amp; friends</p:sInArg>
    </p:Echo_INPUT>
  </s:Body>
</s:Envelope>`
}()

// BenchmarkDecodeInvoke measures decoding an invocation: parsing the
// envelope, the header, the resource URI and the typed in-parameters.
func BenchmarkDecodeInvoke(b *testing.B) {
	om := newFakeCIMOM()
	svc, _ := om.Services(context.Background(), "root/test")
	cls, _ := svc.GetClass(context.Background(), "TestMeth")
	sig := cls.Method("Echo").InSignature()
	src := []byte(benchInvokeRequest)
	buf := make([]byte, len(src))
	var d document
	var env envelope
	var cache resourceCache
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, src)
		if err := d.parse(buf); err != nil {
			b.Fatal(err)
		}
		if f := decodeEnvelope(&d, &env); f != nil {
			b.Fatal(f)
		}
		r, ok := cache.get(env.resourceURI)
		if !ok {
			var f *Fault
			if r, f = parseResourceURI(env.resourceURI, nil, DefaultNamespace); f != nil {
				b.Fatal(f)
			}
			cache.put(env.resourceURI, r)
		}
		td := typedDecoder{ctx: context.Background(), d: &d, cls: svc, res: &r}
		in, err := td.instance(sig, env.payload, "parameter")
		if err != nil || in.Value("sInArg").Text() != "hello, world & friends" {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandlerInvoke measures the handler end to end, in process:
// decoding, dispatch to the fake object manager (an asynchronous call on
// a goroutine) and encoding the response.
func BenchmarkHandlerInvoke(b *testing.B) {
	h, _ := newTestHandler(b, nil)
	h.newMessageID = randomMessageID
	body := []byte(benchInvokeRequest)
	rd := bytes.NewReader(body)
	req := httptest.NewRequest(http.MethodPost, "/wsman", rd)
	req.Header.Set("Content-Type", ContentType)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		req.ContentLength = int64(len(body))
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("HTTP %d", w.code)
		}
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkHTTPInvoke16 measures invocations per second over real HTTP on
// the loopback interface with 16 keep-alive connections (the figure of
// the performance bar). It reports invocations/s.
func BenchmarkHTTPInvoke16(b *testing.B) {
	h, _ := newTestHandler(b, nil)
	h.newMessageID = randomMessageID
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/wsman"
	const conns = 16
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	body := []byte(benchInvokeRequest)
	var next atomic.Int64
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			buf := make([]byte, 4096)
			for next.Add(1) <= int64(b.N) {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", ContentType)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				for {
					if _, err := resp.Body.Read(buf); err != nil {
						break
					}
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d requests failed", failed.Load())
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "invocations/s")
}
