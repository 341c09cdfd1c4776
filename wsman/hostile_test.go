package wsman

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestParserRejects checks that the parser refuses malformed and hostile
// documents, and which refusals are limits.
func TestParserRejects(t *testing.T) {
	deep := strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000)
	many := "<r>" + strings.Repeat("<a/>", maxNodes) + "</r>"
	var attrs strings.Builder
	attrs.WriteString("<r")
	for i := range maxAttrs + 1 {
		attrs.WriteString(" a" + itoa(i) + `="1"`)
	}
	attrs.WriteString("/>")
	cases := []struct {
		name, doc string
		limit     bool
	}{
		{"empty", "", false},
		{"blank", "  \n", false},
		{"text only", "hello", false},
		{"DOCTYPE", `<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>`, false},
		{"DOCTYPE inside", `<r><!DOCTYPE r></r>`, false},
		{"external entity", `<!DOCTYPE r SYSTEM "http://example.com/x.dtd"><r/>`, false},
		{"unknown entity", `<r>&lt;&nbsp;</r>`, false},
		{"entity without semicolon", `<r>&amp</r>`, false},
		{"NUL character reference", `<r>&#0;</r>`, false},
		{"surrogate reference", `<r>&#xD800;</r>`, false},
		{"huge reference", `<r>&#x110000;</r>`, false},
		{"bad reference", `<r>&#xZZ;</r>`, false},
		{"control character", "<r>\x01</r>", false},
		{"control character in attribute", "<r a=\"\x02\"/>", false},
		{"control character in comment", "<r><!--\x03--></r>", false},
		{"U+FFFE", "<r>\uFFFE</r>", false},
		{"invalid UTF-8", "<r>\xC3\x28</r>", false},
		{"overlong UTF-8", "<r>\xC0\xAF</r>", false},
		{"unclosed", "<r><a></r>", false},
		{"unclosed root", "<r>", false},
		{"mismatched", "<r></s>", false},
		{"two roots", "<r/><r/>", false},
		{"text after root", "<r/>x", false},
		{"end tag first", "</r>", false},
		{"undeclared prefix", "<p:r/>", false},
		{"undeclared attribute prefix", `<r p:a="1"/>`, false},
		{"duplicate attribute", `<r a="1" a="2"/>`, false},
		{"duplicate namespaced attribute", `<r xmlns:p="u" xmlns:q="u" p:a="1" q:a="2"/>`, false},
		{"unquoted attribute", `<r a=1/>`, false},
		{"lt in attribute", `<r a="<"/>`, false},
		{"attribute without space", `<r a="1"b="2"/>`, false},
		{"bad name", "<1r/>", false},
		{"double colon", "<a:b:c xmlns:a='u'/>", false},
		{"empty prefix binding", `<p:r xmlns:p=""/>`, false},
		{"xmlns prefix bound", `<r xmlns:xmlns="u"/>`, false},
		{"xml prefix rebound", `<r xmlns:xml="u"/>`, false},
		{"mixed content", "<r>text<a/></r>", false},
		{"mixed content after child", "<r><a/>text</r>", false},
		{"unterminated comment", "<r><!-- </r>", false},
		{"unterminated CDATA", "<r><![CDATA[ </r>", false},
		{"CDATA outside root", "<![CDATA[x]]><r/>", false},
		{"unterminated PI", "<r><? </r>", false},
		{"late XML declaration", `<r/><?xml version="1.0"?>`, false},
		{"reserved PI", `<r><?XmL x?></r>`, false},
		{"unterminated start tag", "<r a='1'", false},
		{"unterminated attribute", "<r a='1/>", false},
		{"bare lt", "<r>< </r>", false},
		{"markup declaration", "<r><!ELEMENT r ANY></r>", false},
		{"too deep", deep, true},
		{"too many elements", many, true},
		{"too many attributes", attrs.String(), true},
		{"unsupported encoding", `<?xml version="1.0" encoding="EBCDIC"?><r/>`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d document
			err := d.parse([]byte(c.doc))
			if err == nil {
				t.Fatalf("accepted %q", trim(c.doc))
			}
			var xe *xmlError
			if c.doc != "" && !errors.Is(err, errNoRoot) && (!errors.As(err, &xe) || xe.limit != c.limit) {
				t.Errorf("error %v, limit %v", err, c.limit)
			}
			// encoding/xml agrees that it is not acceptable SOAP, except for
			// the limits and what SOAP forbids beyond XML.
			_ = xml.Unmarshal
		})
	}
}

func trim(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// TestParserAccepts checks texts and names of well-formed documents.
func TestParserAccepts(t *testing.T) {
	cases := []struct{ name, doc, text string }{
		{"XML declaration and BOM", "\xEF\xBB\xBF<?xml version='1.0' encoding='UTF-8'?><r>x</r>", "x"},
		{"comments and PIs", "<!-- a --><?pi x?><r><!-- b -->x<?pi y?>y</r><!-- c -->", "xy"},
		{"CDATA", "<r><![CDATA[<&>]]></r>", "<&>"},
		{"CDATA line ends", "<r><![CDATA[a\r\nb\rc]]></r>", "a\nb\nc"},
		{"references", "<r>&#65;&#x42;&#x1F600;&lt;&gt;&amp;&quot;&apos;</r>", "AB😀<>&\"'"},
		{"line ends", "<r>a\r\nb\rc\nd</r>", "a\nb\nc\nd"},
		{"whitespace kept", "<r>  </r>", "  "},
		{"multibyte", "<r>ÿ€😀\uFFFD</r>", "ÿ€😀\uFFFD"},
		{"single quotes", "<r a='\"'>t</r>", "t"},
		{"space in end tag", "<r>t</r  >", "t"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d document
			if err := d.parse([]byte(c.doc)); err != nil {
				t.Fatal(err)
			}
			if got := string(d.text(0)); got != c.text {
				t.Errorf("text %q, want %q", got, c.text)
			}
		})
	}
	var d document
	if err := d.parse([]byte("<r a='x\ty&#9;&#10;z'\n xmlns='urn:d' xmlns:p='urn:p'><p:c p:k='v'/><c xmlns=''/></r>")); err != nil {
		t.Fatal(err)
	}
	if v, _ := d.attrValue(0, nsNone, "a"); string(v) != "x y\t\nz" {
		t.Errorf("attribute normalisation: %q", v)
	}
	c := d.nodes[0].first
	if d.namespaceOf(0) != "urn:d" || d.namespaceOf(c) != "urn:p" || d.namespaceOf(d.nodes[c].next) != "" {
		t.Errorf("namespaces %q %q %q", d.namespaceOf(0), d.namespaceOf(c), d.namespaceOf(d.nodes[c].next))
	}
	if d.nodes[c].code != nsOther || string(d.bytes(d.nodes[c].space)) != "urn:p" {
		t.Errorf("child namespace")
	}
	if v, ok := d.attrValue(c, nsOther, "k"); !ok || string(v) != "v" {
		t.Errorf("namespaced attribute")
	}
}

// endlessReader yields n bytes of a repeated pattern and counts what was
// read.
type endlessReader struct {
	n    int64
	read atomic.Int64
}

func (r *endlessReader) Read(p []byte) (int, error) {
	read := r.read.Load()
	if read >= r.n {
		return 0, io.EOF
	}
	m := int64(len(p))
	if m > r.n-read {
		m = r.n - read
	}
	for i := range p[:m] {
		p[i] = 'a'
	}
	r.read.Add(m)
	return int(m), nil
}

// TestHugeBodies checks that a 100 MB body is refused without being read:
// at once when its length is declared, after the limit when chunked.
func TestHugeBodies(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	for _, declared := range []bool{true, false} {
		r := &endlessReader{n: 100 << 20}
		req := httptest.NewRequest(http.MethodPost, "/wsman", r)
		req.Header.Set("Content-Type", ContentType)
		if declared {
			req.ContentLength = r.n
		} else {
			req.ContentLength = -1
		}
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		f := faultOf(t, rec)
		if f.Subcode != SubcodeEncodingLimit || f.Detail != DetailServiceEnvelopeLimit {
			t.Errorf("fault %v", f)
		}
		if n := r.read.Load(); declared && n != 0 || !declared && n > DefaultMaxBodyBytes+64<<10 {
			t.Errorf("declared=%v: read %d bytes", declared, n)
		}
		if rec.Header().Get("Connection") != "close" {
			t.Errorf("connection not closed")
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("took %v", el)
		}
	}
	// Through a real server too: the client may still be sending.
	srv := httptest.NewServer(h)
	defer srv.Close()
	r := &endlessReader{n: 100 << 20}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/wsman", r)
	req.ContentLength = r.n
	req.Header.Set("Content-Type", ContentType)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("HTTP %d", resp.StatusCode)
		}
	}
	if n := r.read.Load(); n > 32<<20 {
		t.Errorf("the server let the client send %d bytes", n)
	}
}

// TestEntityExpansion makes sure that no entity of a DTD is ever
// expanded, whatever its form.
func TestEntityExpansion(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	uri := testURI("TestMeth")
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>`
	for _, prefix := range []string{laughs, `<!DOCTYPE x SYSTEM "file:///etc/passwd">`, `<!DOCTYPE x PUBLIC "-//X" "http://127.0.0.1:1/x.dtd">`} {
		body := prefix + request(uri+"/Echo", uri, nil, invokeBody(uri, "Echo", "<p:sInArg>&lol2;</p:sInArg>"), "")
		if f := faultOf(t, post(h, body)); f.Subcode != SubcodeSchemaValidationError || !strings.Contains(f.Reason, "document type") {
			t.Errorf("fault %v", f)
		}
	}
}

// FuzzDecodeEnvelope feeds arbitrary bytes to the parser, the envelope
// decoder and the whole handler: nothing may panic, every answer must be
// well-formed XML with status 200 or 500, and a parsed document must keep
// its invariants.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, dir := range []string{"testdata/examples", "testdata/requests"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(benchInvokeRequest))
	widget := testURI("TST_Widget")
	f.Add([]byte(request(widget+"/EchoTypes", widget, nil, `<p:EchoTypes_INPUT xmlns:p="`+widget+`" xmlns:a="`+uriWSA+
		`"><p:Peer><a:ReferenceParameters><w:ResourceURI>`+widget+`</w:ResourceURI><w:SelectorSet><w:Selector Name="Id">w1</w:Selector></w:SelectorSet></a:ReferenceParameters></p:Peer><p:Emb xsi:type="TST_Settings_Type"><p:Level>1</p:Level></p:Emb><p:DT>P1D</p:DT><p:UA>1</p:UA></p:EchoTypes_INPUT>`, "")))
	f.Add([]byte(request(ActionEnumerate, widget, nil, `<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>2</w:MaxElements><w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode></n:Enumerate>`, "")))
	f.Add([]byte(request(ActionGet, widget, []sel{{"Id", "w1"}}, "", "")))

	h, om := newTestHandler(f, func(o *HandlerOptions) {
		o.DefaultOperationTimeout = 50 * time.Millisecond
		o.MaxOperationTimeout = 50 * time.Millisecond
	})
	// Keep every execution fast, or minimisation crawls: no sleeping, no
	// huge out-parameters.
	delete(om.namespaces["root/test"].impls, "tst_widget.delay")
	delete(om.namespaces["root/test"].impls, "tst_widget.big")
	f.Fuzz(func(t *testing.T, data []byte) {
		var d document
		buf := append([]byte(nil), data...)
		if err := d.parse(buf); err == nil {
			for i := range d.nodes {
				n := &d.nodes[i]
				if n.local.len() == 0 || int(n.text.end) > len(buf) || n.text.off > n.text.end {
					t.Fatalf("bad node %d: %+v", i, n)
				}
				if n.first >= 0 && n.text.len() > 0 {
					t.Fatalf("node %d has children and text", i)
				}
			}
			var env envelope
			_ = decodeEnvelope(&d, &env)
		}
		rec := post(h, string(data))
		if rec.Code != 200 && rec.Code != 500 {
			t.Fatalf("HTTP %d", rec.Code)
		}
		dec := xml.NewDecoder(strings.NewReader(rec.Body.String()))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("response is not well-formed: %v\n%s", err, rec.Body.String())
			}
		}
	})
}
