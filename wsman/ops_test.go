package wsman

import (
	"context"
	"errors"
	"math"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// startServer serves a test handler over HTTP and returns a client for
// it.
func startServer(t *testing.T, mod func(*HandlerOptions)) (*Client, *handler) {
	t.Helper()
	h, _ := newTestHandler(t, mod)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := Dial(srv.URL+"/wsman", ClientOptions{User: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	return c, h
}

func TestClientIdentify(t *testing.T) {
	c, _ := startServer(t, func(o *HandlerOptions) { o.Authenticate = basicAuth })
	id, err := c.Identify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &IdentifyResponse{ProtocolVersion: uriWSMan, ProductVendor: "gowbem", ProductVersion: "1.2.3",
		SecurityProfiles: []string{"http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic"}}
	if !reflect.DeepEqual(id, want) {
		t.Errorf("Identify = %+v", id)
	}
}

func TestClientWrongPassword(t *testing.T) {
	c, _ := startServer(t, func(o *HandlerOptions) { o.Authenticate = basicAuth })
	c.opts.Password = "wrong"
	_, err := c.Invoke(context.Background(), testURI("TestMeth"), "Echo", nil, map[string]any{"sInArg": "x"})
	if !errors.Is(err, ErrUnauthorized) || !errors.Is(err, status.WBEM_E_ACCESS_DENIED) {
		t.Fatalf("err = %v", err)
	}
}

func TestClientGet(t *testing.T) {
	c, _ := startServer(t, nil)
	ctx := context.Background()
	o, err := c.Get(ctx, testURI("TST_Widget"), map[string]string{"id": "w1"})
	if err != nil {
		t.Fatal(err)
	}
	if o.ClassName != "TST_Widget" || o.ResourceURI != testURI("TST_Widget") {
		t.Errorf("object %s %s", o.ClassName, o.ResourceURI)
	}
	want := map[string]any{
		"Id": "w1", "Size": "10", "Tags": []any{"red", "round"},
		"Created": "20240102030405.000000+060", "Settings": nil,
	}
	if !reflect.DeepEqual(o.Map(), want) {
		t.Errorf("Get = %#v", o.Map())
	}
	// The DMTF form with the namespace selector reaches the same instance.
	o, err = c.Get(ctx, PrefixDMTF+"TST_Widget", map[string]string{"__cimnamespace": "root/test", "Id": "w2"})
	if err != nil || o.Get("size") != "20" {
		t.Fatalf("Get DMTF = %v, %v", o, err)
	}
	// A subclass instance comes back with its own class and URI.
	o, err = c.Get(ctx, testURI("TST_Widget"), map[string]string{"Id": "w3"})
	if err != nil || o.ClassName != "TST_BigWidget" || o.ResourceURI != testURI("TST_BigWidget") || o.Get("Weight") != "1.5" {
		t.Fatalf("Get subclass = %+v, %v", o, err)
	}
	_, err = c.Get(ctx, testURI("TST_Widget"), map[string]string{"Id": "w9"})
	var f *Fault
	if !errors.As(err, &f) || f.Subcode != SubcodeDestinationUnreachable || f.HTTPStatus != 500 ||
		!errors.Is(err, status.WBEM_E_NOT_FOUND) {
		t.Fatalf("Get missing = %v", err)
	}
}

func TestClientEnumerate(t *testing.T) {
	c, h := startServer(t, nil)
	ctx := context.Background()
	objs, err := c.Enumerate(ctx, testURI("TST_Widget"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range objs {
		ids = append(ids, o.Get("Id").(string)+":"+o.ClassName)
	}
	if strings.Join(ids, ",") != "w1:TST_Widget,w2:TST_Widget,w3:TST_BigWidget" {
		t.Errorf("Enumerate = %v", ids)
	}
	if n := h.enum.len(); n != 0 {
		t.Errorf("%d contexts left open", n)
	}
	// An empty enumeration, optimized and not.
	objs, err = c.Enumerate(ctx, testURI("TestMeth"), nil)
	if err != nil || len(objs) != 0 {
		t.Errorf("empty Enumerate = %v, %v", objs, err)
	}
	rec := post(h, request(ActionEnumerate, testURI("TestMeth"), nil, "<n:Enumerate/>", ""))
	d, resp := okBody(t, rec)
	ec := string(d.trimmed(d.child(resp, nsWSEn, "EnumerationContext")))
	rec = post(h, request(ActionPull, testURI("TestMeth"), nil, "<n:Pull><n:EnumerationContext>"+ec+"</n:EnumerationContext></n:Pull>", ""))
	if d, resp := okBody(t, rec); d.child(resp, nsWSEn, "EndOfSequence") < 0 {
		t.Errorf("empty non-optimized enumeration:\n%s", rec.Body.String())
	}
	_, err = c.Enumerate(ctx, testURI("TST_Nothing"), nil)
	if !errors.Is(err, status.WBEM_E_NOT_FOUND) && status.CIMCode(err) != status.CIM_ERR_INVALID_CLASS {
		t.Errorf("Enumerate unknown class = %v", err)
	}
}

// TestEnumeratePull drives Enumerate, Pull and Release with raw
// envelopes: batches, modes, owners, expiry and the cap.
func TestEnumeratePull(t *testing.T) {
	widget := testURI("TST_Widget")
	h, _ := newTestHandler(t, func(o *HandlerOptions) {
		o.Authenticate = basicAuth
		o.MaxEnumerationContexts = 2
	})
	alice, bob := []string{"Authorization", "Basic YWxpY2U6czNjcmV0"}, []string{"Authorization", "Basic Ym9iOmh1bnRlcjI="}
	enumerate := func(body string, who []string) (*document, int32) {
		t.Helper()
		return okBody(t, post(h, request(ActionEnumerate, widget, nil, body, ""), who...))
	}
	ctxOf := func(d *document, n int32) string {
		c := d.child(n, nsWSEn, "EnumerationContext")
		if c < 0 {
			return ""
		}
		return string(d.trimmed(c))
	}
	pull := func(ctx string, max int, who []string) string {
		return request(ActionPull, widget, nil, "<n:Pull><n:EnumerationContext>"+ctx+
			"</n:EnumerationContext><n:MaxElements>"+itoa(max)+"</n:MaxElements></n:Pull>", "")
	}

	// Plain Enumerate returns only a context; Pull one at a time.
	d, resp := enumerate("<n:Enumerate/>", alice)
	ec := ctxOf(d, resp)
	if !strings.HasPrefix(ec, "uuid:") || d.child(resp, nsWSMan, "Items") >= 0 {
		t.Fatalf("EnumerateResponse without optimisation: %q", ec)
	}
	// Bob cannot pull Alice's context.
	if f := faultOf(t, post(h, pull(ec, 1, bob), bob...)); f.Subcode != SubcodeInvalidEnumerationContext {
		t.Errorf("foreign pull: %v", f)
	}
	var got []string
	for i := 0; ; i++ {
		rec := post(h, pull(ec, 2, alice), alice...)
		d, resp := okBody(t, rec)
		if !d.is(resp, nsWSEn, "PullResponse") {
			t.Fatalf("not a PullResponse:\n%s", rec.Body.String())
		}
		for _, o := range decodeItems(d, d.child(resp, nsWSEn, "Items")) {
			got = append(got, o.Get("Id").(string))
		}
		if d.child(resp, nsWSEn, "EndOfSequence") >= 0 {
			if ctxOf(d, resp) != "" {
				t.Errorf("context after the end of the sequence")
			}
			break
		}
		if ctxOf(d, resp) != ec {
			t.Errorf("context changed")
		}
		if i > 3 {
			t.Fatal("no end of sequence")
		}
	}
	if strings.Join(got, ",") != "w1,w2,w3" {
		t.Errorf("pulled %v", got)
	}
	// The context is gone after the last pull.
	if f := faultOf(t, post(h, pull(ec, 1, alice), alice...)); f.Subcode != SubcodeInvalidEnumerationContext {
		t.Errorf("pull after the end: %v", f)
	}

	// Optimized enumeration with EPRs: one item in the response, the rest
	// to pull; Release ends it.
	d, resp = enumerate(`<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>1</w:MaxElements><w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode></n:Enumerate>`, alice)
	items := decodeItems(d, d.child(resp, nsWSMan, "Items"))
	if len(items) != 1 || items[0].Get("Id") != "w1" || items[0].EPR == nil ||
		items[0].EPR.ResourceURI != widget || items[0].EPR.Selector("Id") != "w1" || d.child(resp, nsWSMan, "EndOfSequence") >= 0 {
		t.Fatalf("optimized EnumerateResponse: %+v", items)
	}
	ec = ctxOf(d, resp)
	rel := request(ActionRelease, widget, nil, "<n:Release><n:EnumerationContext>"+ec+"</n:EnumerationContext></n:Release>", "")
	if f := faultOf(t, post(h, rel, bob...)); f.Subcode != SubcodeInvalidEnumerationContext {
		t.Errorf("foreign release: %v", f)
	}
	rec := post(h, rel, alice...)
	if d, b := okBody(t, rec); b >= 0 || !strings.Contains(rec.Body.String(), ActionReleaseResponse) {
		t.Errorf("ReleaseResponse:\n%s %v", rec.Body.String(), d)
	}
	if f := faultOf(t, post(h, rel, alice...)); f.Subcode != SubcodeInvalidEnumerationContext {
		t.Errorf("second release: %v", f)
	}

	// EPR mode, everything at once: no context kept.
	d, resp = enumerate(`<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements><w:EnumerationMode>EnumerateEPR</w:EnumerationMode></n:Enumerate>`, alice)
	items = decodeItems(d, d.child(resp, nsWSMan, "Items"))
	if len(items) != 3 || items[2].EPR.Selector("Id") != "w3" || items[2].ClassName != "TST_BigWidget" ||
		d.child(resp, nsWSMan, "EndOfSequence") < 0 {
		t.Fatalf("EPR enumeration: %+v", items)
	}
	if h.enum.len() != 0 {
		t.Errorf("context kept after a complete optimized enumeration")
	}

	// The cap: two open contexts, the third is a QuotaLimit fault.
	enumerate("<n:Enumerate/>", alice)
	enumerate("<n:Enumerate/>", bob)
	if f := faultOf(t, post(h, request(ActionEnumerate, widget, nil, "<n:Enumerate/>", ""), alice...)); f.Subcode != SubcodeQuotaLimit {
		t.Errorf("over the cap: %v", f)
	}
	// Expiry frees them.
	h.enum.now = func() time.Time { return time.Now().Add(time.Hour) }
	enumerate("<n:Enumerate/>", alice)
	if n := h.enum.len(); n != 1 {
		t.Errorf("%d contexts after expiry, want 1", n)
	}
}

// TestEnumerateMaxEnvelopeSize checks that a Pull returns only as many
// items as fit the client's MaxEnvelopeSize.
func TestEnumerateMaxEnvelopeSize(t *testing.T) {
	h, om := newTestHandler(t, nil)
	ns := om.namespaces["root/test"]
	for i := range 40 {
		ns.instance("TST_Widget", map[string]any{"Id": "big" + itoa(i), "Tags": []string{strings.Repeat("t", 500)}})
	}
	widget := testURI("TST_Widget")
	limit := "<w:MaxEnvelopeSize>8192</w:MaxEnvelopeSize>"
	rec := post(h, request(ActionEnumerate, widget, nil, `<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements></n:Enumerate>`, limit))
	d, resp := okBody(t, rec)
	n := len(decodeItems(d, d.child(resp, nsWSMan, "Items")))
	if rec.Body.Len() > 8192 || n == 0 || n >= 43 {
		t.Fatalf("%d items in %d bytes", n, rec.Body.Len())
	}
	total := n
	ec := string(d.trimmed(d.child(resp, nsWSEn, "EnumerationContext")))
	for {
		rec := post(h, request(ActionPull, widget, nil, "<n:Pull><n:EnumerationContext>"+ec+
			"</n:EnumerationContext><n:MaxElements>100</n:MaxElements></n:Pull>", limit))
		d, resp := okBody(t, rec)
		if rec.Body.Len() > 8192 {
			t.Fatalf("%d bytes", rec.Body.Len())
		}
		total += len(decodeItems(d, d.child(resp, nsWSEn, "Items")))
		if d.child(resp, nsWSEn, "EndOfSequence") >= 0 {
			break
		}
	}
	if total != 43 {
		t.Errorf("%d items, want 43", total)
	}
	// An item larger than the envelope is an EncodingLimit fault.
	ns.instance("TST_Widget", map[string]any{"Id": "huge", "Tags": []string{strings.Repeat("h", 9000)}})
	rec = post(h, request(ActionEnumerate, testURI("TST_Widget"), nil,
		`<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements></n:Enumerate>`, limit))
	d, resp = okBody(t, rec)
	ec = string(d.trimmed(d.child(resp, nsWSEn, "EnumerationContext")))
	for i := 0; i < 50; i++ {
		rec := post(h, request(ActionPull, widget, nil, "<n:Pull><n:EnumerationContext>"+ec+
			"</n:EnumerationContext><n:MaxElements>100</n:MaxElements></n:Pull>", limit))
		if rec.Code == 500 {
			if f := faultOf(t, rec); f.Subcode != SubcodeEncodingLimit || f.Detail != DetailMaxEnvelopeSize {
				t.Fatalf("fault %v", f)
			}
			return
		}
	}
	t.Fatal("no EncodingLimit fault for a huge item")
}

// TestClientEnumerateFailure checks that the client releases the context
// of an enumeration whose Pull fails.
func TestClientEnumerateFailure(t *testing.T) {
	h, om := newTestHandler(t, nil)
	ns := om.namespaces["root/test"]
	for i := range 150 {
		ns.instance("TST_Widget", map[string]any{"Id": "n" + itoa(i)})
	}
	ns.instance("TST_Widget", map[string]any{"Id": "huge", "Tags": []string{strings.Repeat("h", 9000)}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	c, _ := Dial(srv.URL+"/wsman", ClientOptions{MaxEnvelopeSize: 8192})
	_, err := c.Enumerate(context.Background(), testURI("TST_Widget"), nil)
	var f *Fault
	if !errors.As(err, &f) || f.Subcode != SubcodeEncodingLimit {
		t.Fatalf("err = %v", err)
	}
	if n := h.enum.len(); n != 0 {
		t.Errorf("%d contexts left open", n)
	}
	if ErrUnauthorized.Error() == "" || errors.Is(f, ErrUnauthorized) {
		t.Error("ErrUnauthorized")
	}
}

// TestReferenceKeys checks references as keys: written as nested
// endpoint references in selectors, and read back from them.
func TestReferenceKeys(t *testing.T) {
	c, _ := startServer(t, nil)
	ctx := context.Background()
	objs, err := c.Enumerate(ctx, testURI("TST_Link"), nil)
	if err != nil || len(objs) != 1 {
		t.Fatalf("Enumerate = %v, %v", objs, err)
	}
	left, _ := objs[0].Get("Left").(*EPR)
	if left == nil || left.Selector("Id") != "w1" || objs[0].Get("Weight") != "-3" {
		t.Fatalf("link = %+v", objs[0])
	}
	// Get by a selector that holds an endpoint reference.
	h, _ := newTestHandler(t, nil)
	link := testURI("TST_Link")
	eprSel := `<a:EndpointReference><a:Address>` + AnonymousAddress + `</a:Address><a:ReferenceParameters><w:ResourceURI>` + testURI("TST_Widget") +
		`</w:ResourceURI><w:SelectorSet><w:Selector Name="Id">w1</w:Selector></w:SelectorSet></a:ReferenceParameters></a:EndpointReference>`
	rec := post(h, request(ActionGet, link, []sel{{"Left", eprSel}, {"Tag", "a"}}, "", ""))
	if !strings.Contains(rec.Body.String(), `<w:Selector Name="Id">w1</w:Selector>`) || rec.Code != 200 {
		t.Fatalf("Get link:\n%s", rec.Body.String())
	}
	// The enumeration's EPRs nest the reference key.
	rec = post(h, request(ActionEnumerate, link, nil, `<n:Enumerate><w:OptimizeEnumeration/><w:EnumerationMode>EnumerateEPR</w:EnumerationMode></n:Enumerate>`, ""))
	if !strings.Contains(rec.Body.String(), `<w:Selector Name="Left"><a:EndpointReference><a:Address>`) {
		t.Errorf("EPR enumeration:\n%s", rec.Body.String())
	}
	// A text value for a reference key is a type mismatch.
	if f := faultOf(t, post(h, request(ActionGet, link, []sel{{"Left", "w1"}, {"Tag", "a"}}, "", ""))); f.Subcode != SubcodeDestinationUnreachable && f.Subcode != SubcodeInvalidSelectors {
		t.Errorf("text reference key: %v", f)
	}
}

func TestClientInvoke(t *testing.T) {
	c, _ := startServer(t, func(o *HandlerOptions) { o.Authenticate = basicAuth })
	ctx := context.Background()
	out, err := c.Invoke(ctx, testURI("TestMeth"), "Echo", nil, map[string]any{"sInArg": "héllo <&> \"world\""})
	if err != nil {
		t.Fatal(err)
	}
	if out.ClassName != "Echo_OUTPUT" || out.Get("sOutArg") != "héllo <&> \"world\"" || out.Get("ReturnValue") != "0" {
		t.Errorf("Echo = %+v", out)
	}
	// Instance method with a selector.
	out, err = c.Invoke(ctx, testURI("TST_Widget"), "Resize", map[string]string{"Id": "w2"},
		map[string]any{"NewSize": uint32(25), "Force": true})
	if err != nil || out.Get("OldSize") != "20" {
		t.Fatalf("Resize = %+v, %v", out, err)
	}
	// A reference out-parameter comes back as an EPR.
	out, err = c.Invoke(ctx, testURI("TST_Widget"), "Create", nil, map[string]any{"Id": "w7", "Size": 7})
	if err != nil {
		t.Fatal(err)
	}
	epr, ok := out.Get("Widget").(*EPR)
	if !ok || epr.ResourceURI != testURI("TST_Widget") || epr.Selector("Id") != "w7" || epr.Address != AnonymousAddress {
		t.Errorf("Create = %+v", out.Get("Widget"))
	}
	// A fault.
	_, err = c.Invoke(ctx, testURI("TST_Widget"), "Create", nil, nil)
	var f *Fault
	if !errors.As(err, &f) || f.Subcode != SubcodeInvalidParameter || f.CIMStatus != status.CIM_ERR_INVALID_PARAMETER ||
		f.Message != "Id is required" || f.WBEMCode != status.WBEM_E_INVALID_PARAMETER {
		t.Errorf("Create without Id = %#v", err)
	}
	// Context deadline becomes the OperationTimeout.
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err = c.Invoke(dctx, testURI("TST_Widget"), "Delay", nil, map[string]any{"Seconds": 30})
	if !errors.As(err, &f) || f.Subcode != SubcodeTimedOut {
		t.Errorf("Delay = %v", err)
	}
	if _, err := c.Invoke(ctx, testURI("TestMeth"), "bad name", nil, nil); err == nil {
		t.Error("invalid method name accepted")
	}
}

func TestDial(t *testing.T) {
	for _, u := range []string{"", "ftp://x/wsman", "http:///wsman", "://"} {
		if _, err := Dial(u, ClientOptions{}); err == nil {
			t.Errorf("Dial(%q) succeeded", u)
		}
	}
}

// TestTypedParameters sends every CIM type through EchoTypes with the Go
// client and checks the values that come back.
func TestTypedParameters(t *testing.T) {
	c, _ := startServer(t, nil)
	dt := "20230405060708.123456-300"
	in := map[string]any{
		"S": "  spaced\ttext\r\n ", "B": true, "U8": uint8(255), "S8": int8(-128), "U16": uint16(65535),
		"S16": int16(-32768), "U32": uint32(4294967295), "S32": int32(-2147483648),
		"U64": uint64(18446744073709551615), "S64": int64(-9223372036854775808),
		"R32": float32(1.5), "R64": math.Inf(-1), "C16": cim.NewChar16('é'),
		"DT": cim.Value(mustDT(dt)), "SA": []string{"a", "", "c"}, "UA": []uint32{1, 2, 3},
		"Peer":  &cim.ObjectPath{Class: "TST_Widget", Keys: []cim.KeyBinding{{Name: "Id", Value: cim.KeyValue{Kind: cim.KeyString, Text: "w1"}}}},
		"Peers": []any{&EPR{ResourceURI: testURI("TST_Widget"), Selectors: []Selector{{Name: "Id", Value: "w2"}}}, nil},
		"Emb": &Object{ClassName: "TST_Settings", Properties: []Property{{"Level", "3"}, {"Name", "n"},
			{"Child", &Object{ClassName: "TST_SpecialSettings", Properties: []Property{{"Level", "4"}, {"Extra", []any{"1", "2"}}}}}}},
		"Embs": []any{&Object{ClassName: "TST_Settings", Properties: []Property{{"Level", "5"}}}},
	}
	out, err := c.Invoke(context.Background(), testURI("TST_Widget"), "EchoTypes", nil, in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"S": "  spaced\ttext\r\n ", "B": "true", "U8": "255", "S8": "-128", "U16": "65535", "S16": "-32768",
		"U32": "4294967295", "S32": "-2147483648", "U64": "18446744073709551615", "S64": "-9223372036854775808",
		"R32": "1.5", "R64": "-INF", "C16": "é", "DT": dt, "SA": []any{"a", "", "c"}, "UA": []any{"1", "2", "3"},
		"ReturnValue": "0",
	}
	for k, v := range want {
		if got := out.Get(k); !reflect.DeepEqual(got, v) {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	peer, _ := out.Get("Peer").(*EPR)
	if peer == nil || peer.ResourceURI != testURI("TST_Widget") || peer.Selector("Id") != "w1" {
		t.Errorf("Peer = %+v", out.Get("Peer"))
	}
	peers, _ := out.Get("Peers").([]any)
	if len(peers) != 2 || peers[0].(*EPR).Selector("Id") != "w2" || peers[1] != nil {
		t.Errorf("Peers = %#v", out.Get("Peers"))
	}
	emb, _ := out.Get("Emb").(*Object)
	if emb == nil || emb.ClassName != "TST_Settings" || emb.Get("Level") != "3" || emb.Get("Name") != "n" {
		t.Fatalf("Emb = %+v", out.Get("Emb"))
	}
	child, _ := emb.Get("Child").(*Object)
	if child == nil || child.ClassName != "TST_SpecialSettings" || !reflect.DeepEqual(child.Get("Extra"), []any{"1", "2"}) {
		t.Errorf("Emb.Child = %+v", emb.Get("Child"))
	}
	embs, _ := out.Get("Embs").(*Object) // one element: indistinguishable from a scalar
	if embs == nil || embs.Get("Level") != "5" {
		t.Errorf("Embs = %#v", out.Get("Embs"))
	}
}

func mustDT(s string) cim.Value {
	v, err := cim.NewDateTime(s)
	if err != nil {
		panic(err)
	}
	return v
}

// TestTypedDecoding checks the wire forms the decoder accepts for each
// type, with raw envelopes.
func TestTypedDecoding(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	widget := testURI("TST_Widget")
	cases := []struct {
		name, params string
		want         []string // substrings of the response
		fault        string
	}{
		{"booleans", "<p:B> 1 </p:B>", []string{"<p:B>true</p:B>"}, ""},
		{"boolean false", "<p:B>FALSE</p:B>", []string{"<p:B>false</p:B>"}, ""},
		{"bad boolean", "<p:B>yes</p:B>", nil, SubcodeInvalidParameter},
		{"hex integer", "<p:U32>0x10</p:U32>", []string{"<p:U32>16</p:U32>"}, ""},
		{"plus sign", "<p:S32>+7</p:S32>", []string{"<p:S32>7</p:S32>"}, ""},
		{"leading zero", "<p:U8>007</p:U8>", []string{"<p:U8>7</p:U8>"}, ""},
		{"negative unsigned", "<p:U8>-1</p:U8>", nil, SubcodeInvalidParameter},
		{"sint8 overflow", "<p:S8>128</p:S8>", nil, SubcodeInvalidParameter},
		{"uint64 overflow", "<p:U64>18446744073709551616</p:U64>", nil, SubcodeInvalidParameter},
		{"real exponent", "<p:R64>1e300</p:R64>", []string{"<p:R64>1E+300</p:R64>"}, ""},
		{"real NaN", "<p:R32>NaN</p:R32>", []string{"<p:R32>NaN</p:R32>"}, ""},
		{"real32 overflow", "<p:R32>1e300</p:R32>", nil, SubcodeInvalidParameter},
		{"char16 space", "<p:C16> </p:C16>", []string{"<p:C16> </p:C16>"}, ""},
		{"char16 too long", "<p:C16>ab</p:C16>", nil, SubcodeInvalidParameter},
		{"char16 outside the BMP", "<p:C16>😀</p:C16>", nil, SubcodeInvalidParameter},
		{"string entities", "<p:S>&lt;&#x41;&#66;&amp;&quot;&apos;&gt;</p:S>", []string{"<p:S>&lt;AB&amp;\"'&gt;</p:S>"}, ""},
		{"string CDATA", "<p:S><![CDATA[<raw>&]]>tail</p:S>", []string{"<p:S>&lt;raw&gt;&amp;tail</p:S>"}, ""},
		{"string CRLF", "<p:S>a\r\nb\rc</p:S>", []string{"<p:S>a\nb\nc</p:S>"}, ""},
		{"string comment", "<p:S>a<!-- x -->b</p:S>", []string{"<p:S>ab</p:S>"}, ""},
		{"empty string", "<p:S></p:S>", []string{"<p:S></p:S>"}, ""},
		{"nil", `<p:S xsi:nil="true"/>`, []string{`<p:S xsi:nil="true"/>`}, ""},
		{"CIM datetime", "<p:DT>20230405060708.123456+060</p:DT>", []string{"<cim:Datetime>2023-04-05T06:07:08.123456+01:00</cim:Datetime>"}, ""},
		{"cim:Datetime", `<p:DT><cim:Datetime xmlns:cim="` + uriCIM + `">2023-04-05T06:07:08Z</cim:Datetime></p:DT>`,
			[]string{"<cim:Datetime>2023-04-05T06:07:08Z</cim:Datetime>"}, ""},
		{"cim:Date", `<p:DT><cim:Date xmlns:cim="` + uriCIM + `">2023-04-05</cim:Date></p:DT>`,
			[]string{"<cim:Datetime>2023-04-05T00:00:00Z</cim:Datetime>"}, ""},
		{"cim:Time", `<p:DT><cim:Time xmlns:cim="` + uriCIM + `">06:07:08+02:00</cim:Time></p:DT>`,
			[]string{"<cim:CIM_DateTime>********060708.000000+120</cim:CIM_DateTime>"}, ""},
		{"cim:Interval", `<p:DT><cim:Interval xmlns:cim="` + uriCIM + `">P1DT2H3M4.5S</cim:Interval></p:DT>`,
			[]string{"<cim:Interval>P1DT2H3M4.5S</cim:Interval>"}, ""},
		{"interval text", "<p:DT>00000001020304.500000:000</p:DT>", []string{"<cim:Interval>P1DT2H3M4.5S</cim:Interval>"}, ""},
		{"xs:duration text", "<p:DT>PT90M</p:DT>", []string{"<cim:Interval>P0DT1H30M0S</cim:Interval>"}, ""},
		{"xs:dateTime text", "<p:DT>2023-04-05T06:07:08-05:00</p:DT>", []string{"<cim:Datetime>2023-04-05T06:07:08-05:00</cim:Datetime>"}, ""},
		{"wildcard datetime", "<p:DT>2023**********.******+000</p:DT>", []string{"<cim:CIM_DateTime>2023**********.******+000</cim:CIM_DateTime>"}, ""},
		{"bad datetime", "<p:DT>yesterday</p:DT>", nil, SubcodeInvalidParameter},
		{"array", "<p:UA>1</p:UA><p:S>x</p:S><p:UA>2</p:UA>", []string{"<p:UA>1</p:UA><p:UA>2</p:UA>"}, ""},
		{"array nil element", `<p:SA>a</p:SA><p:SA xsi:nil="true"/>`, []string{`<p:SA>a</p:SA><p:SA xsi:nil="true"/>`}, ""},
		{"nil array", `<p:SA xsi:nil="true"/>`, []string{`<p:SA xsi:nil="true"/>`}, ""},
		{"bad array element", "<p:UA>1</p:UA><p:UA>x</p:UA>", nil, SubcodeInvalidParameter},
		{"reference EPR", `<p:Peer><a:Address>` + AnonymousAddress + `</a:Address><a:ReferenceParameters><w:ResourceURI>` + widget +
			`</w:ResourceURI><w:SelectorSet><w:Selector Name="Id">w1</w:Selector></w:SelectorSet></a:ReferenceParameters></p:Peer>`,
			[]string{`<w:ResourceURI>` + widget + `</w:ResourceURI><w:SelectorSet><w:Selector Name="Id">w1</w:Selector>`}, ""},
		{"reference wrapped EPR", `<p:Peer><a:EndpointReference><a:ReferenceParameters><w:ResourceURI>` + PrefixDMTF +
			`TST_Widget</w:ResourceURI><w:SelectorSet><w:Selector Name="__cimnamespace">root/cimv2</w:Selector><w:Selector Name="Id">w1</w:Selector></w:SelectorSet></a:ReferenceParameters></a:EndpointReference></p:Peer>`,
			[]string{`<w:ResourceURI>` + PrefixWMI + `root/cimv2/TST_Widget</w:ResourceURI>`}, ""},
		{"reference path text", `<p:Peer>TST_Widget.Id="w2"</p:Peer>`, []string{`<w:Selector Name="Id">w2</w:Selector>`}, ""},
		{"reference without parameters", `<p:Peer><a:Address>x</a:Address></p:Peer>`, nil, SubcodeInvalidParameter},
		{"reference bad URI", `<p:Peer><a:ReferenceParameters><w:ResourceURI>urn:x</w:ResourceURI></a:ReferenceParameters></p:Peer>`, nil, SubcodeInvalidParameter},
		{"embedded", `<p:Emb xsi:type="p:TST_Settings_Type"><p:Level>2</p:Level></p:Emb>`,
			[]string{`xsi:type="q1:TST_Settings_Type"><q1:Level>2</q1:Level><q1:Name xsi:nil="true"/>`}, ""},
		{"embedded without xsi:type", `<p:Emb><p:Name>x</p:Name></p:Emb>`, []string{`<q1:Name>x</q1:Name>`}, ""},
		{"embedded subclass", `<p:Emb xsi:type="TST_SpecialSettings_Type"><p:Extra>1</p:Extra></p:Emb>`,
			[]string{`xsi:type="q1:TST_SpecialSettings_Type"`, `<q1:Extra>1</q1:Extra>`}, ""},
		{"embedded wrong class", `<p:Emb xsi:type="TST_Widget_Type"><p:Id>1</p:Id></p:Emb>`, nil, SubcodeInvalidParameter},
		{"embedded unknown class", `<p:Emb xsi:type="TST_Nope_Type"/>`, nil, SubcodeInvalidParameter},
		{"embedded unknown property", `<p:Emb><p:Color>x</p:Color></p:Emb>`, nil, SubcodeInvalidParameter},
		{"embedded as text", `<p:Emb>instance of TST_Settings {};</p:Emb>`, nil, SubcodeInvalidParameter},
		{"embedded nested", `<p:Emb><p:Child xsi:type="TST_Settings_Type"><p:Level>9</p:Level></p:Child></p:Emb>`,
			[]string{`<q2:Level>9</q2:Level>`}, ""},
		{"embedded nil", `<p:Emb xsi:nil="1"/>`, []string{`<p:Emb xsi:nil="true"/>`}, ""},
		{"case-insensitive names", "<p:u32>5</p:u32>", []string{"<p:U32>5</p:U32>"}, ""},
		{"default namespace", `<U16 xmlns="urn:any">9</U16>`, []string{"<p:U16>9</p:U16>"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := `<p:EchoTypes_INPUT xmlns:p="` + widget + `" xmlns:a="` + uriWSA + `" xmlns:w="` + uriWSMan + `">` + c.params + `</p:EchoTypes_INPUT>`
			rec := post(h, request(widget+"/EchoTypes", widget, nil, body, ""))
			if c.fault != "" {
				if f := faultOf(t, rec); f.Subcode != c.fault {
					t.Errorf("fault %v, want %s", f, c.fault)
				}
				return
			}
			okBody(t, rec)
			for _, w := range c.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("response lacks %s:\n%s", w, rec.Body.String())
				}
			}
		})
	}
}

// TestSelectorTyping checks that selectors are typed by the key
// properties and matched case-insensitively.
func TestSelectorTyping(t *testing.T) {
	c, _ := startServer(t, nil)
	ctx := context.Background()
	o, err := c.Get(ctx, PrefixWMI+"root/cimv2/CIM_ComputerSystem", map[string]string{"name": "host1", "CREATIONCLASSNAME": "CIM_ComputerSystem"})
	if err != nil || o.Get("Name") != "host1" {
		t.Fatalf("Get = %+v, %v", o, err)
	}
	// The Job EPR of the 4096 example points at an instance that Get finds.
	out, err := c.Invoke(ctx, PrefixDMTF+"CIM_ComputerSystem", "RequestStateChange",
		map[string]string{"__cimnamespace": "root/cimv2", "CreationClassName": "CIM_ComputerSystem", "Name": "host1"},
		map[string]any{"RequestedState": 3, "TimeoutPeriod": 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	job := out.Get("Job").(*EPR)
	sels := map[string]string{}
	for _, s := range job.Selectors {
		sels[s.Name] = s.Value
	}
	o, err = c.Get(ctx, job.ResourceURI, sels)
	if err != nil || o.Get("JobState") != "4" {
		t.Fatalf("Get job = %+v, %v", o, err)
	}
}

// TestUTF16 checks that UTF-16 request bodies are decoded.
func TestUTF16(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	uri := testURI("TestMeth")
	body := `<?xml version="1.0" encoding="utf-16"?>` + request(uri+"/Echo", uri, nil, invokeBody(uri, "Echo", "<p:sInArg>ü€😀</p:sInArg>"), "")
	enc := func(bigEndian, bom bool) string {
		var b []byte
		if bom {
			if bigEndian {
				b = append(b, 0xFE, 0xFF)
			} else {
				b = append(b, 0xFF, 0xFE)
			}
		}
		for _, r := range body {
			var units []uint16
			if r >= 0x10000 {
				r -= 0x10000
				units = []uint16{uint16(0xD800 + r>>10), uint16(0xDC00 + r&0x3FF)}
			} else {
				units = []uint16{uint16(r)}
			}
			for _, u := range units {
				if bigEndian {
					b = append(b, byte(u>>8), byte(u))
				} else {
					b = append(b, byte(u), byte(u>>8))
				}
			}
		}
		return string(b)
	}
	for _, c := range []struct {
		name    string
		body    string
		charset string
	}{
		{"LE with BOM", enc(false, true), "UTF-16"},
		{"BE with BOM", enc(true, true), "utf-8"},
		{"LE by charset", enc(false, false), "utf-16"},
		{"BE by charset", enc(true, false), "UTF-16BE"},
	} {
		rec := post(h, c.body, "Content-Type", "application/soap+xml;charset="+c.charset)
		if !strings.Contains(rec.Body.String(), "<p:sOutArg>ü€😀</p:sOutArg>") {
			t.Errorf("%s:\n%s", c.name, rec.Body.String())
		}
	}
	// A lone surrogate is refused.
	bad := enc(false, true)[:40] + "\x00\xD8" + "A\x00"
	if f := faultOf(t, post(h, bad)); f.Subcode != SubcodeSchemaValidationError {
		t.Errorf("lone surrogate: %v", f)
	}
}

// TestEnumStoreConcurrency checks that a context in use by one Pull is
// refused to another with w:Concurrency.
func TestEnumStoreConcurrency(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	ec := &enumContext{owner: "anonymous", items: nil}
	if !h.enum.add(ec) {
		t.Fatal("add failed")
	}
	got, busy := h.enum.acquire([]byte(ec.id), "anonymous")
	if got != ec || busy {
		t.Fatal("acquire failed")
	}
	widget := testURI("TST_Widget")
	rec := post(h, request(ActionPull, widget, nil, "<n:Pull><n:EnumerationContext>"+ec.id+"</n:EnumerationContext></n:Pull>", ""))
	if f := faultOf(t, rec); f.Subcode != SubcodeConcurrency {
		t.Errorf("fault %v", f)
	}
	h.enum.release(ec, false)
	rec = post(h, request(ActionPull, widget, nil, "<n:Pull><n:EnumerationContext>"+ec.id+"</n:EnumerationContext></n:Pull>", ""))
	d, resp := okBody(t, rec)
	if d.child(resp, nsWSEn, "EndOfSequence") < 0 || h.enum.len() != 0 {
		t.Errorf("empty pull:\n%s", rec.Body.String())
	}
}
