// Package loadgen is gowbem's load generator: it drives TestMeth.Echo (or
// any request) against a server over CIM-XML, WS-Management or the native
// protocol and reports calls per second, latency percentiles and errors.
// It can also start the floor — a trivial Go HTTP handler that answers
// every POST with a fixed 600-byte body — and measure it with the same
// client in the same run, so that figures can be quoted as a ratio to
// what any HTTP server can do on the machine.
package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is the outcome of one load run.
type Result struct {
	Name     string
	Calls    int64
	Errors   int64
	Duration time.Duration
	// FirstError is the first error seen, for the report.
	FirstError error
	// Latencies are sampled call durations (at most MaxSamples).
	latencies []time.Duration
}

// MaxSamples bounds the latency samples a run keeps.
const MaxSamples = 200_000

// Rate returns calls per second.
func (r *Result) Rate() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Calls) / r.Duration.Seconds()
}

// Percentile returns the p-th percentile latency (0 < p < 100).
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// String formats the result on one line.
func (r *Result) String() string {
	s := fmt.Sprintf("%-28s %9.0f calls/s  p50 %8s  p99 %8s  calls %d  errors %d",
		r.Name, r.Rate(), r.Percentile(50).Round(time.Microsecond), r.Percentile(99).Round(time.Microsecond), r.Calls, r.Errors)
	if r.FirstError != nil {
		s += "  first error: " + r.FirstError.Error()
	}
	return s
}

// recorder collects calls from many workers.
type recorder struct {
	calls, errors atomic.Int64
	mu            sync.Mutex
	lat           []time.Duration
	first         error
	every         int64
}

func (rc *recorder) record(d time.Duration, err error) {
	n := rc.calls.Add(1)
	if err != nil {
		rc.errors.Add(1)
		rc.mu.Lock()
		if rc.first == nil {
			rc.first = err
		}
		rc.mu.Unlock()
		return
	}
	if n%rc.every == 0 {
		rc.mu.Lock()
		if len(rc.lat) < MaxSamples {
			rc.lat = append(rc.lat, d)
		}
		rc.mu.Unlock()
	}
}

// Run calls call from workers goroutines until d has passed (after a
// warm-up of warm) and returns the result. call must be safe for
// concurrent use; worker is the worker's index.
func Run(ctx context.Context, name string, workers int, warm, d time.Duration, call func(ctx context.Context, worker int) error) *Result {
	rc := &recorder{every: 1}
	var measuring atomic.Bool
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				err := call(ctx, w)
				if ctx.Err() != nil {
					return
				}
				if measuring.Load() {
					rc.record(time.Since(t0), err)
				}
			}
		}()
	}
	select {
	case <-time.After(warm):
	case <-ctx.Done():
	}
	measuring.Store(true)
	start := time.Now()
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	measuring.Store(false)
	elapsed := time.Since(start)
	cancel()
	wg.Wait()
	return &Result{Name: name, Calls: rc.calls.Load(), Errors: rc.errors.Load(), Duration: elapsed,
		FirstError: rc.first, latencies: rc.lat}
}

// HTTPPoster posts a fixed body over one keep-alive connection per worker
// and checks each answer.
type HTTPPoster struct {
	URL     string
	Body    []byte
	Header  http.Header
	Expect  []byte // a byte string every good answer contains
	clients []*http.Client
}

// NewHTTPPoster returns a poster with one pinned connection per worker.
func NewHTTPPoster(url string, body []byte, header http.Header, expect []byte, workers int) *HTTPPoster {
	p := &HTTPPoster{URL: url, Body: body, Header: header, Expect: expect}
	for range workers {
		tr := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true,
			DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
		p.clients = append(p.clients, &http.Client{Transport: tr, Timeout: 30 * time.Second})
	}
	return p
}

// Call posts once from worker w.
func (p *HTTPPoster) Call(ctx context.Context, w int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(p.Body))
	if err != nil {
		return err
	}
	for k, v := range p.Header {
		req.Header[k] = v
	}
	resp, err := p.clients[w].Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	}
	if p.Expect != nil && !bytes.Contains(body, p.Expect) {
		return fmt.Errorf("unexpected answer: %.300s", body)
	}
	return nil
}

// Close closes the idle connections.
func (p *HTTPPoster) Close() {
	for _, c := range p.clients {
		c.CloseIdleConnections()
	}
}

// FloorBody is what the floor server answers: 600 bytes.
var FloorBody = bytes.Repeat([]byte("x"), 600)

// FloorHandler answers every request with FloorBody after reading the
// request body.
func FloorHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write(FloorBody)
	})
}

// StartFloor starts the floor server on 127.0.0.1:0 and returns its URL and
// a stop function.
func StartFloor() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: FloorHandler()}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return "http://" + ln.Addr().String() + "/", func() { _ = srv.Close() }, nil
}

// CIMXMLEcho is the CIM-XML request body of TestMeth.Echo(sInArg="hello")
// in root/default, as wbemcli sends it (untyped PARAMVALUE).
const CIMXMLEcho = `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ><METHODCALL NAME="Echo"><LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"></NAMESPACE><NAMESPACE NAME="default"></NAMESPACE></LOCALNAMESPACEPATH><CLASSNAME NAME="TestMeth"></CLASSNAME></LOCALCLASSPATH><PARAMVALUE NAME="sInArg"><VALUE>hello</VALUE></PARAMVALUE></METHODCALL></SIMPLEREQ></MESSAGE></CIM>`

// CIMXMLHeader returns the HTTP headers of a CIM-XML extrinsic call.
func CIMXMLHeader(method, object string) http.Header {
	return http.Header{
		"Content-Type":       {"application/xml; charset=utf-8"},
		"Cimoperation":       {"MethodCall"},
		"Cimmethod":          {method},
		"Cimobject":          {object},
		"Cimprotocolversion": {"1.0"},
	}
}

// WSManEcho returns the WS-Management envelope invoking TestMeth.Echo in
// root/default at the given endpoint URL.
func WSManEcho(endpoint string) string {
	res := "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/default/TestMeth"
	return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">` +
		`<s:Header><a:To>` + endpoint + `</a:To><w:ResourceURI s:mustUnderstand="true">` + res + `</w:ResourceURI>` +
		`<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
		`<a:Action s:mustUnderstand="true">` + res + `/Echo</a:Action><w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize>` +
		`<a:MessageID>uuid:6E8D9F30-9A4A-4C1E-8F8C-000000000001</a:MessageID><w:OperationTimeout>PT60S</w:OperationTimeout></s:Header>` +
		`<s:Body><p:Echo_INPUT xmlns:p="` + res + `"><p:sInArg>hello</p:sInArg></p:Echo_INPUT></s:Body></s:Envelope>`
}
