package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbemd"
)

// billionLaughs is an XML prolog whose entity &lol9; expands to 10^9
// "lol"s.
const billionLaughs = `<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
`

// stripProlog removes the <?xml ...?> declaration of an XML text.
func stripProlog(s string) string {
	if i := strings.Index(s, "?>"); strings.HasPrefix(s, "<?xml") && i > 0 {
		return s[i+2:]
	}
	return s
}

// TestHostileInputs feeds the running wbemd hostile input on every
// protocol while well-behaved callers keep calling TestMeth.Echo on
// their own connections (native, CIM-XML, WS-Man); none of their calls
// may fail, and every hostile request must end in a clean error: the
// right HTTP status, SOAP fault or CIM/WBEM status, fast.
func TestHostileInputs(t *testing.T) {
	s := startServer(t, func(o *wbemd.Options) {
		o.ReadHeaderTimeout = 500 * time.Millisecond
		o.ReadTimeout = 3 * time.Second
	})
	load := startEchoLoad(t, s)
	defer load.finish(t)

	cimxml := func(t *testing.T, method, object, body string) response {
		t.Helper()
		return post(t, s.cimxmlURL(), mainUser, mainPass, cimxmlHeaders(method, object), strings.NewReader(body))
	}
	wantCIMXMLError := func(t *testing.T, r response, code int, cimError, detail string) {
		t.Helper()
		if r.code != code || r.header.Get("CIMError") != cimError || !strings.Contains(r.header.Get("PGErrorDetail")+r.body, detail) {
			t.Errorf("got %d CIMError=%q PGErrorDetail=%q %q; want %d %q %q", r.code, r.header.Get("CIMError"),
				r.header.Get("PGErrorDetail"), r.body, code, cimError, detail)
		}
	}
	wsman := func(t *testing.T, body string) response {
		t.Helper()
		return post(t, s.wsmanURL(), mainUser, mainPass, map[string]string{"Content-Type": contentXML}, strings.NewReader(body))
	}
	wantFault := func(t *testing.T, r response, subcode, reason string) {
		t.Helper()
		if r.code != http.StatusInternalServerError || !strings.Contains(r.body, "<s:Subcode><s:Value>"+subcode+"</s:Value>") ||
			!strings.Contains(r.body, reason) {
			t.Errorf("got %d %s; want a %s fault with %q", r.code, r.body, subcode, reason)
		}
	}
	ws := mustDialWS(t, s, mainUser, mainPass)
	nextID := int64(100)
	native := func(t *testing.T, line string) map[string]any {
		t.Helper()
		nextID++
		ws.send(t, fmt.Sprintf(line, nextID))
		return ws.expect(t, nextID, 10*time.Second)
	}
	wantHR := func(t *testing.T, m map[string]any, hr status.HRESULT) {
		t.Helper()
		if m["op"] != "complete" || msgHR(m) != uint32(hr) {
			t.Errorf("got %v, want complete with %v", m, hr)
		}
	}
	echoLine := func(arg string) string {
		return `{"op":"exec","id":%d,"ns":"root/default","path":"TestMeth","method":"Echo","in":{"class":"__PARAMETERS","properties":{"sInArg":` + arg + `}}}`
	}
	resizeLine := func(newSize string) string {
		return `{"op":"exec","id":%d,"ns":"root/test","path":"TST_Widget.Id=\"w1\"","method":"Resize","in":{"class":"__PARAMETERS","properties":{"NewSize":` + newSize + `}}}`
	}
	wsmanResize := func(newSize string) string {
		return wsmanInvoke(s.wsmanURL(), resourceURI("root/test", "TST_Widget"), "Resize", "<p:NewSize>"+newSize+"</p:NewSize>", map[string]string{"Id": "w1"})
	}
	cimxmlResize := func(newSize string) string {
		return strings.Replace(cimxmlCall("root/test", "TST_Widget", "Resize", `<PARAMVALUE NAME="NewSize"><VALUE>`+newSize+`</VALUE></PARAMVALUE>`),
			`<LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="test"/></LOCALNAMESPACEPATH><CLASSNAME NAME="TST_Widget"/></LOCALCLASSPATH>`,
			`<LOCALINSTANCEPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="test"/></LOCALNAMESPACEPATH>`+
				`<INSTANCENAME CLASSNAME="TST_Widget"><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="string">w1</KEYVALUE></KEYBINDING></INSTANCENAME></LOCALINSTANCEPATH>`, 1)
	}

	t.Run("billion laughs", func(t *testing.T) {
		start := time.Now()
		wantCIMXMLError(t, cimxml(t, "Echo", "root/default:TestMeth", billionLaughs+stripProlog(cimxmlEcho("&lol9;"))),
			400, "request-not-well-formed", "document type declarations are not accepted")
		wantFault(t, wsman(t, billionLaughs+wsmanEcho(s.wsmanURL(), "&lol9;")), "w:SchemaValidationError", "document type declarations are not allowed")
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("refusing the entities took %v", took)
		}
	})

	t.Run("100 MB body", func(t *testing.T) {
		const total = 100 << 20
		auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(mainUser+":"+mainPass)) + "\r\n"
		cimxmlHead := "POST /cimom HTTP/1.1\r\nHost: e2e\r\n" + auth + "Content-Type: application/xml; charset=\"utf-8\"\r\n" +
			"CIMOperation: MethodCall\r\nCIMMethod: Echo\r\nCIMObject: root%2Fdefault%3ATestMeth\r\n"
		wsmanHead := "POST /wsman HTTP/1.1\r\nHost: e2e\r\n" + auth + "Content-Type: " + contentXML + "\r\n"
		for _, tc := range []struct {
			name, addr, head string
			chunked          bool
			code             int
			want             string
		}{
			{"CIM-XML Content-Length", s.cimxmlAddr(), cimxmlHead, false, 413, "request body larger than 4194304 bytes"},
			{"CIM-XML chunked", s.cimxmlAddr(), cimxmlHead, true, 413, "request body larger than 4194304 bytes"},
			{"WS-Man Content-Length", s.wsmanAddr(), wsmanHead, false, 500, "<s:Value>w:EncodingLimit</s:Value>"},
			{"WS-Man chunked", s.wsmanAddr(), wsmanHead, true, 500, "<s:Value>w:EncodingLimit</s:Value>"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, body, sent := streamBody(t, tc.addr, tc.head, tc.chunked, total)
				if code != tc.code || !strings.Contains(body, tc.want) {
					t.Errorf("%d %q, want %d %q", code, body, tc.code, tc.want)
				}
				// The server refuses after at most its 4 MiB limit; what
				// the kernel's socket buffers took on top is bounded too.
				if sent > 32<<20 {
					t.Errorf("the server took %d MiB of the body before refusing it", sent>>20)
				}
				t.Logf("refused with %d after %.1f MiB sent", code, float64(sent)/(1<<20))
			})
		}
	})

	t.Run("10000-deep nesting", func(t *testing.T) {
		deep := strings.Repeat("<VALUE.ARRAY>", 10000) + strings.Repeat("</VALUE.ARRAY>", 10000)
		wantCIMXMLError(t, cimxml(t, "Echo", "root/default:TestMeth",
			cimxmlCall("root/default", "TestMeth", "Echo", `<PARAMVALUE NAME="sInArg">`+deep+`</PARAMVALUE>`)),
			400, "request-not-valid", "VALUE.ARRAY")
		deep = strings.Repeat("<p:x>", 10000) + strings.Repeat("</p:x>", 10000)
		wantFault(t, wsman(t, wsmanEcho(s.wsmanURL(), deep)), "w:EncodingLimit", "nested too deeply")
		// JSON arrays and embedded objects on the native API.
		wantHR(t, native(t, echoLine(strings.Repeat("[", 10000)+strings.Repeat("]", 10000))), status.WBEM_E_INVALID_PARAMETER)
		obj := strings.Repeat(`{"type":"object","value":{"class":"X","properties":{"p":`, 10000) + "null" + strings.Repeat("}}}", 10000)
		wantHR(t, native(t, echoLine(obj)), status.WBEM_E_INVALID_PARAMETER)
	})

	t.Run("invalid UTF-8", func(t *testing.T) {
		wantCIMXMLError(t, cimxml(t, "Echo", "root/default:TestMeth", cimxmlEcho("a\xff\xfeb")), 400, "request-not-well-formed", "invalid UTF-8")
		wantFault(t, wsman(t, wsmanEcho(s.wsmanURL(), "a\xff\xfeb")), "w:SchemaValidationError", "invalid UTF-8")
		// The native API's JSON reader replaces each bad byte with U+FFFD
		// (cimjson, documented in its reader), as the protocol asks of
		// senders (docs/PROTOCOL.md §6.2); the call goes through.
		m := native(t, echoLine(`"a`+"\xff\xfe"+`b"`))
		if m["op"] != "object" || outValue(m, "sOutArg") != "a\uFFFD\uFFFDb" || outValue(m, "ReturnValue") != "4" {
			t.Errorf("invalid UTF-8 in a native request: %v", m)
		}
		wantHR(t, ws.expect(t, nextID, 10*time.Second), 0)
	})

	t.Run("huge numbers", func(t *testing.T) {
		r := cimxml(t, "Resize", `root/test:TST_Widget.Id="w1"`, cimxmlResize("99999999999999999999"))
		if r.code != 200 || !strings.Contains(r.body, `<ERROR CODE="4" DESCRIPTION="CIM_ERR_INVALID_PARAMETER: `) || !strings.Contains(r.body, "does not fit uint32") {
			t.Errorf("CIM-XML: %d %s", r.code, r.body)
		}
		wantFault(t, wsman(t, wsmanResize("99999999999999999999")), "w:InvalidParameter", "does not fit uint32")
		wantFault(t, wsman(t, wsmanResize("1"+strings.Repeat("0", 100000))), "w:InvalidParameter", "does not fit uint32")
		// Typed: refused like any integer outside uint32 (it was "invalid
		// JSON", WBEM_E_INVALID_PARAMETER, before the fix in cimjson).
		wantHR(t, native(t, resizeLine(`{"type":"uint32","value":99999999999999999999}`)), status.WBEM_E_VALUE_OUT_OF_RANGE)
		wantHR(t, native(t, resizeLine(`{"type":"uint32","value":"-99999999999999999999"}`)), status.WBEM_E_VALUE_OUT_OF_RANGE)
		wantHR(t, native(t, resizeLine(`{"type":"uint32","value":4294967296}`)), status.WBEM_E_VALUE_OUT_OF_RANGE)
		// Loose, it is a real64 (1e+20) that does not fit the declared uint32.
		wantHR(t, native(t, resizeLine(`99999999999999999999`)), status.WBEM_E_VALUE_OUT_OF_RANGE)
		wantHR(t, native(t, resizeLine(`1e999`)), status.WBEM_E_VALUE_OUT_OF_RANGE)
		wantHR(t, native(t, resizeLine(`-1`)), status.WBEM_E_VALUE_OUT_OF_RANGE)
		// w1 is unchanged.
		r = post(t, s.cimxmlURL(), mainUser, mainPass, map[string]string{
			"Content-Type": `application/xml; charset="utf-8"`, "CIMOperation": "MethodCall", "CIMMethod": "GetInstance", "CIMObject": "root%2Ftest",
		}, strings.NewReader(`<?xml version="1.0" encoding="utf-8"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ>`+
			`<IMETHODCALL NAME="GetInstance"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="test"/></LOCALNAMESPACEPATH>`+
			`<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="TST_Widget"><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="string">w1</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>`+
			`</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`))
		if !strings.Contains(r.body, `<PROPERTY NAME="Size" TYPE="uint32"><VALUE>10</VALUE></PROPERTY>`) {
			t.Errorf("w1 after the refused calls: %s", r.body)
		}
	})

	t.Run("truncated bodies", func(t *testing.T) {
		full := cimxmlEcho("cut short")
		wantCIMXMLError(t, cimxml(t, "Echo", "root/default:TestMeth", full[:len(full)/2]), 400, "request-not-well-formed", "")
		wantFault(t, wsman(t, wsmanEcho(s.wsmanURL(), "cut")[:300]), "w:SchemaValidationError", "")
		// A body shorter than its Content-Length: the client stops
		// sending (half-close) before the end.
		auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(mainUser+":"+mainPass)) + "\r\n"
		for _, tc := range []struct {
			name, addr, head string
			code             int
		}{
			{"CIM-XML", s.cimxmlAddr(), "POST /cimom HTTP/1.1\r\nHost: e2e\r\n" + auth + "Content-Type: application/xml; charset=\"utf-8\"\r\n" +
				"CIMOperation: MethodCall\r\nCIMMethod: Echo\r\nCIMObject: root%2Fdefault%3ATestMeth\r\n", 400},
			{"WS-Man", s.wsmanAddr(), "POST /wsman HTTP/1.1\r\nHost: e2e\r\n" + auth + "Content-Type: " + contentXML + "\r\n", 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, body := shortBody(t, tc.addr, tc.head, full[:100], len(full))
				if code != tc.code {
					t.Errorf("%d %q, want %d", code, body, tc.code)
				}
			})
		}
		// JSON messages cut short on the native API: the error goes to the
		// request's id when the server got that far, else to id 0.
		ws.send(t, `{"op":"exec","id":77,"ns":"root/default","path":"TestMe`)
		wantHR(t, ws.expect(t, 77, 10*time.Second), status.WBEM_E_INVALID_PARAMETER)
		ws.send(t, `{"op":"exec","i`)
		wantHR(t, ws.expect(t, 0, 10*time.Second), status.WBEM_E_INVALID_PARAMETER)
	})

	t.Run("slowloris", func(t *testing.T) {
		// Headers byte by byte, slower than ReadHeaderTimeout, on the
		// CIM-XML and the WS-Man ports at once.
		errs := make(chan error, 2)
		for _, addr := range []string{s.cimxmlAddr(), s.wsmanAddr()} {
			go func() { errs <- slowloris(addr, 500*time.Millisecond) }()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("WebSocket 10 MB frame", func(t *testing.T) {
		c := mustDialWS(t, s, mainUser, mainPass)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		werr := c.ws.Write(ctx, websocket.MessageText, bytes.Repeat([]byte(" "), 10<<20))
		var rerr error
		for rerr == nil {
			_, _, rerr = c.ws.Read(ctx)
		}
		if st := websocket.CloseStatus(rerr); st != websocket.StatusMessageTooBig && werr == nil {
			t.Errorf("after a 10 MB message: %v (status %v), want close 1009", rerr, st)
		}
		t.Logf("write: %v; read: %v", werr, rerr)
	})

	t.Run("garbage JSON", func(t *testing.T) {
		bad := status.WBEM_E_INVALID_PARAMETER
		for _, g := range []string{`not json`, `{"op":`, `[1,2,3]`, `"exec"`, `{"op":"exec","id":"seven"}`, `{}`, `{"op":"exec","id":-1}`, "\x00\x01\x02"} {
			ws.send(t, g)
			wantHR(t, ws.expect(t, 0, 10*time.Second), bad)
		}
		wantHR(t, native(t, `{"op":"launchMissiles","id":%d}`), bad)
		wantHR(t, native(t, `{"op":"exec","id":%d,"ns":"root/default","path":"TestMeth","method":"Echo","flags":3}`), bad)
		wantHR(t, native(t, `{"op":"exec","id":%d,"ns":"root/default","path":"TestMeth","method":"Echo","in":{"class":"__PARAMETERS","properties":{"sInArg":{"type":"uint8","value":300}}}}`), status.WBEM_E_VALUE_OUT_OF_RANGE)
		// The connection still works.
		m := native(t, echoLine(`"still here"`))
		if m["op"] != "object" || outValue(m, "sOutArg") != "still here" {
			t.Errorf("Echo after the garbage: %v", m)
		}
		if m := ws.expect(t, nextID, 10*time.Second); m["op"] != "complete" || msgHR(m) != 0 {
			t.Errorf("Echo after the garbage: %v", m)
		}
	})
}

// streamBody sends a request with head (request line and headers, without
// the empty line) and a body of total bytes, chunked or with a
// Content-Length, over a raw connection to addr, as fast as the server
// takes it, stopping when the server has answered or stops reading. It
// returns the status and body of the answer and how many body bytes were
// written.
func streamBody(t *testing.T, addr, head string, chunked bool, total int64) (int, string, int64) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if chunked {
		head += "Transfer-Encoding: chunked\r\n\r\n"
	} else {
		head += fmt.Sprintf("Content-Length: %d\r\n\r\n", total)
	}
	type answer struct {
		code int
		body string
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answers <- answer{err: err}
			return
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		answers <- answer{code: resp.StatusCode, body: string(b)}
	}()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("<"), 64<<10)
	if chunked {
		chunk = append(append([]byte(fmt.Sprintf("%x\r\n", len(chunk))), chunk...), "\r\n"...)
	}
	var sent int64
	var got *answer
write:
	for sent < total {
		select {
		case a := <-answers:
			got = &a
			break write
		default:
		}
		// A server that neither reads nor answers would block us: that
		// is a failure, not a hang.
		_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		n, err := conn.Write(chunk)
		sent += int64(n)
		if err != nil {
			if isTimeout(err) {
				t.Errorf("the server stopped reading without answering after %d bytes", sent)
			}
			break
		}
	}
	if got == nil {
		select {
		case a := <-answers:
			got = &a
		case <-time.After(20 * time.Second):
			t.Fatalf("no answer after %d bytes", sent)
		}
	}
	if got.err != nil {
		t.Fatalf("reading the answer after %d bytes: %v", sent, got.err)
	}
	return got.code, got.body, sent
}

// shortBody sends head with a Content-Length of length but only body,
// then half-closes the connection, and returns the server's answer.
func shortBody(t *testing.T, addr, head, body string, length int) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "%sContent-Length: %d\r\n\r\n%s", head, length, body); err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a truncated body: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

// slowloris sends request headers one byte every 50 ms to addr and
// returns an error unless the server cuts the connection off within a
// bound of its header timeout.
func slowloris(addr string, headerTimeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	start := time.Now()
	head := "POST /cimom HTTP/1.1\r\nHost: e2e\r\nX-Slow: " + strings.Repeat("a", 1000)
	buf := make([]byte, 512)
	for i := 0; ; i++ {
		if _, err := conn.Write([]byte{head[i%len(head)]}); err != nil {
			break
		}
		// The server may answer (408) before closing: a short read
		// notices either.
		_ = conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := conn.Read(buf); err != nil && !isTimeout(err) {
			break
		}
		if time.Since(start) > 10*headerTimeout+5*time.Second {
			return fmt.Errorf("slowloris on %s: still connected after %v", addr, time.Since(start))
		}
	}
	if took := time.Since(start); took > 4*headerTimeout+2*time.Second {
		return fmt.Errorf("slowloris on %s: cut off only after %v", addr, took)
	}
	return nil
}
