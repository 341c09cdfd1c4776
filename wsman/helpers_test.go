package wsman

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gowbem/gowbem/security"
)

const (
	testUser     = "alice"
	testPassword = "s3cret"
)

// basicAuth is the Authenticate of the tests: Basic alice/s3cret (and
// bob/hunter2) or an error.
func basicAuth(r *http.Request) (*security.Identity, error) {
	u, p, ok := r.BasicAuth()
	if !ok {
		return nil, fmt.Errorf("no credentials")
	}
	if (u == testUser && p == testPassword) || (u == "bob" && p == "hunter2") {
		return &security.Identity{User: u, UID: -1, Remote: true, Method: "basic", Source: "tcp:" + r.RemoteAddr}, nil
	}
	return nil, fmt.Errorf("wrong credentials for %q", u)
}

// newTestHandler returns a handler over a fresh fake object manager with
// deterministic message ids.
func newTestHandler(t testing.TB, mod func(*HandlerOptions)) (*handler, *fakeCIMOM) {
	t.Helper()
	om := newFakeCIMOM()
	opts := HandlerOptions{Connector: om, ProductVersion: "1.2.3", Logger: discardLogger()}
	if mod != nil {
		mod(&opts)
	}
	h := NewHandler(opts).(*handler)
	var n atomic.Uint64
	h.newMessageID = func(dst []byte) []byte {
		return append(dst, fmt.Sprintf("uuid:00000000-0000-4000-8000-%012d", n.Add(1))...)
	}
	h.machine = "testhost"
	return h, om
}

// post sends body to h and returns the recorded response.
func post(h http.Handler, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/wsman", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// sel is a selector of a test request.
type sel struct{ name, value string }

// request composes a request envelope.
func request(action, uri string, sels []sel, body string, extraHeader string) string {
	var b strings.Builder
	b.WriteString(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
	b.WriteString(`<s:Header><a:To>http://127.0.0.1:5985/wsman</a:To>`)
	if uri != "" {
		b.WriteString(`<w:ResourceURI s:mustUnderstand="true">` + uri + `</w:ResourceURI>`)
	}
	b.WriteString(`<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>`)
	if action != "" {
		b.WriteString(`<a:Action s:mustUnderstand="true">` + action + `</a:Action>`)
	}
	b.WriteString(`<a:MessageID>uuid:11111111-2222-3333-4444-555555555555</a:MessageID>`)
	if len(sels) > 0 {
		b.WriteString(`<w:SelectorSet>`)
		for _, s := range sels {
			if strings.HasPrefix(s.value, "<") {
				b.WriteString(`<w:Selector Name="` + s.name + `">` + s.value + `</w:Selector>`)
			} else {
				b.WriteString(`<w:Selector Name="` + s.name + `">` + xmlEscape(s.value) + `</w:Selector>`)
			}
		}
		b.WriteString(`</w:SelectorSet>`)
	}
	b.WriteString(extraHeader)
	b.WriteString(`</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`)
	return b.String()
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// invokeBody is the <Method>_INPUT body for uri.
func invokeBody(uri, method, params string) string {
	return `<p:` + method + `_INPUT xmlns:p="` + uri + `">` + params + `</p:` + method + `_INPUT>`
}

// testURI is the WMI-form resource URI of a class in root/test.
func testURI(class string) string { return PrefixWMI + "root/test/" + class }

// flatten renders an XML document as sorted lines "path = text", one per
// element with text, using encoding/xml (independent of the package's
// parser). Namespace URIs are abbreviated; attributes listed in keyAttrs
// become part of the path.
func flatten(t testing.TB, data []byte) []string {
	t.Helper()
	abbrev := map[string]string{
		uriSOAP: "s", uriWSA: "a", uriWSMan: "w", uriWSEn: "n", uriWSMID: "wsmid",
		uriXSI: "xsi", uriCIM: "cim", uriWSMB: "wsmb", uriWSManFault: "f",
	}
	name := func(n xml.Name) string {
		if a, ok := abbrev[n.Space]; ok {
			return a + ":" + n.Local
		}
		if n.Space == "" {
			return n.Local
		}
		return "{" + n.Space + "}" + n.Local
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var path []string
	var text []string
	var lines []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, data)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			seg := name(tok.Name)
			for _, a := range tok.Attr {
				switch {
				case a.Name.Local == "Name" && a.Name.Space == "":
					seg += "[@Name=" + a.Value + "]"
				case a.Name.Local == "nil" && a.Name.Space == uriXSI:
					seg += "[@nil=" + a.Value + "]"
				case a.Name.Local == "Code" && a.Name.Space == "":
					seg += "[@Code=" + a.Value + "]"
				}
			}
			path = append(path, seg)
			text = append(text, "")
			lines = append(lines, strings.Join(path, "/"))
		case xml.CharData:
			if len(text) > 0 {
				text[len(text)-1] += string(tok)
			}
		case xml.EndElement:
			if s := strings.TrimSpace(text[len(text)-1]); s != "" {
				lines = append(lines, strings.Join(path, "/")+" = "+s)
			}
			path = path[:len(path)-1]
			text = text[:len(text)-1]
		}
	}
	sort.Strings(lines)
	return lines
}

// mustContainStructure checks that every line of want (an example) is in
// got (ours), except the values of paths ending in one of ignoreValues,
// whose presence only is checked.
func mustContainStructure(t *testing.T, got, want []byte, ignoreValues ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range flatten(t, got) {
		have[l] = true
		if k := strings.Index(l, " = "); k >= 0 {
			have[l[:k]] = true
		}
	}
	for _, l := range flatten(t, want) {
		check := l
		for _, ig := range ignoreValues {
			if k := strings.Index(l, " = "); k >= 0 && strings.HasSuffix(l[:k], ig) {
				check = l[:k]
			}
		}
		if !have[check] {
			t.Errorf("our response lacks %q\nours:\n%s", check, strings.Join(flatten(t, got), "\n"))
		}
	}
}

// faultOf decodes a fault response with the client's decoder.
func faultOf(t testing.TB, rec *httptest.ResponseRecorder) *Fault {
	t.Helper()
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("HTTP %d, want 500; body:\n%s", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != ContentType {
		t.Errorf("Content-Type %q", ct)
	}
	flatten(t, rec.Body.Bytes()) // well-formed
	d := &document{}
	if err := d.parse(append([]byte(nil), rec.Body.Bytes()...)); err != nil {
		t.Fatalf("cannot parse the fault: %v", err)
	}
	body := d.child(0, nsSOAP, "Body")
	f := d.nodes[body].first
	if f < 0 || !d.is(f, nsSOAP, "Fault") {
		t.Fatalf("no fault in:\n%s", rec.Body.String())
	}
	return decodeFault(d, d.child(0, nsSOAP, "Header"), f)
}

// okBody checks for a 200 answer and returns its body element parsed.
func okBody(t testing.TB, rec *httptest.ResponseRecorder) (*document, int32) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d, want 200; body:\n%s", rec.Code, rec.Body.String())
	}
	flatten(t, rec.Body.Bytes())
	d := &document{}
	if err := d.parse(append([]byte(nil), rec.Body.Bytes()...)); err != nil {
		t.Fatalf("cannot parse the response: %v", err)
	}
	body := d.child(0, nsSOAP, "Body")
	return d, d.nodes[body].first
}

func itoa(n int) string { return strconv.Itoa(n) }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
