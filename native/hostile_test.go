package native

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gowbem/gowbem/status"
)

// rawConn is a test client that speaks the protocol by hand.
type rawConn struct {
	ws    *websocket.Conn
	codec codec
	queue [][]byte
	stash []*message
}

func dialRaw(t *testing.T, e *env) *rawConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, e.url, &websocket.DialOptions{Subprotocols: []string{Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(-1)
	t.Cleanup(func() { _ = ws.CloseNow() })
	r := &rawConn{ws: ws}
	if m := r.next(t); m.op != opHello || m.version != Version || m.maxInFlight == 0 {
		t.Fatalf("first message %+v, want hello", m)
	}
	return r
}

func (r *rawConn) send(t *testing.T, lines ...string) {
	t.Helper()
	if err := r.ws.Write(context.Background(), websocket.MessageText, []byte(strings.Join(lines, "\n"))); err != nil {
		t.Fatal(err)
	}
}

// next returns the next message from the server.
func (r *rawConn) next(t *testing.T) *message {
	t.Helper()
	for len(r.queue) == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, data, err := r.ws.Read(ctx)
		cancel()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		lines(data, func(l []byte) { r.queue = append(r.queue, append([]byte(nil), l...)) })
	}
	line := r.queue[0]
	r.queue = r.queue[1:]
	var m message
	if err := r.codec.decode(line, &m); err != nil {
		t.Fatalf("undecodable message from the server %s: %v", line, err)
	}
	return &m
}

// expect returns the next message for id (messages for other ids are
// kept for later) and checks its op and status.
func (r *rawConn) expect(t *testing.T, id uint64, op op, hr status.HRESULT) *message {
	t.Helper()
	var m *message
	for i, s := range r.stash {
		if s.id == id {
			m = s
			r.stash = append(r.stash[:i], r.stash[i+1:]...)
			break
		}
	}
	for m == nil {
		n := r.next(t)
		if n.id == id {
			m = n
		} else {
			r.stash = append(r.stash, n)
		}
	}
	if m.op != op || m.hr != hr {
		t.Fatalf("id %d: got %s %v (%v), want %s %v", id, m.op, m.hr, m.err, op, hr)
	}
	return m
}

func TestHostileMessages(t *testing.T) {
	e := newEnv(t, envOptions{handler: HandlerOptions{MaxMessageSize: 64 << 10}})
	r := dialRaw(t, e)
	bad := status.WBEM_E_INVALID_PARAMETER
	echo := func(id string) string {
		return `{"op":"exec","id":` + id + `,"ns":"root/default","path":"TestMeth","method":"Echo","in":{"class":"__PARAMETERS","properties":{"sInArg":"abc"}}}`
	}

	r.send(t, `not json`)
	r.expect(t, 0, opComplete, bad)
	r.send(t, `{"op":"exec","id":5,"ns":"root/default","path":"TestMeth","method":"Echo","in":{"class":"__PARAMETERS","properties":{"sInArg":{"type":"uint8","value":300}}}}`)
	r.expect(t, 5, opComplete, status.WBEM_E_VALUE_OUT_OF_RANGE)
	r.send(t, `{"op":"bogus","id":6}`)
	r.expect(t, 6, opComplete, bad)
	r.send(t, `{"op":"exec","ns":"root/default","path":"TestMeth","method":"Echo"}`)
	r.expect(t, 0, opComplete, bad)
	r.send(t, `{"op":"object","id":9,"objects":[]}`)
	r.expect(t, 9, opComplete, bad)
	r.send(t, `{"op":"cancel","id":9007199254740993}`)
	r.expect(t, 0, opComplete, bad)
	r.send(t, `{"op":"exec","id":10,"ns":"root/nowhere","path":"TestMeth","method":"Echo"}`)
	r.expect(t, 10, opComplete, status.WBEM_E_INVALID_NAMESPACE)
	r.send(t, `{"op":"exec","id":11,"path":"TestMeth","method":"Echo"}`)
	r.expect(t, 11, opComplete, status.WBEM_E_INVALID_NAMESPACE)
	r.send(t, `{"op":"execMethod","id":12,"ns":"root/default","path":"TestMeth","method":"Echo","flags":16}`)
	r.expect(t, 12, opComplete, bad)
	r.send(t, `{"op":"exec","id":13,"ns":"root/default","path":"TestMeth","method":"Echo","flags":1}`)
	r.expect(t, 13, opComplete, bad)
	deep := `{"op":"exec","id":14,"ns":"root/default","path":"TestMeth","method":"Echo","in":` +
		strings.Repeat(`{"class":"X","properties":{"p":{"type":"object","value":`, 100) + "null" + strings.Repeat("}}}", 100) + `}`
	r.send(t, deep)
	r.expect(t, 14, opComplete, bad)
	r.send(t, `{"op":"getClass","id":15,"ns":"root/default","class":"NoSuch"}`)
	r.expect(t, 15, opComplete, status.WBEM_E_NOT_FOUND)
	r.send(t, `{"op":"getClass","id":16,"ns":"root/default","class":{"name":"X"}}`)
	r.expect(t, 16, opComplete, status.WBEM_E_NOT_FOUND)
	if err := r.ws.Write(context.Background(), websocket.MessageBinary, []byte{0xff, 0, 1, 2, '\n', '{'}); err != nil {
		t.Fatal(err)
	}
	r.expect(t, 0, opComplete, bad)
	r.expect(t, 0, opComplete, bad)

	// A duplicate id while the first request is pending.
	r.send(t, `{"op":"exec","id":20,"ns":"root/default","path":"NTest","method":"Gate"}`)
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if e.prov.atGate.Load() == 0 {
			return errors.New("Gate not entered")
		}
		return nil
	})
	r.send(t, `{"op":"exec","id":20,"ns":"root/default","path":"TestMeth","method":"Echo"}`)
	r.expect(t, 0, opComplete, bad)
	r.send(t, `{"op":"cancel","id":20}`, `{"op":"cancel","id":20}`, `{"op":"cancel","id":999}`)
	r.expect(t, 20, opComplete, status.WBEM_E_CALL_CANCELLED)

	// Several messages in one frame, with blank lines and CRLF.
	r.send(t, "", echo("30")+"\r", "   ", echo("31"), "")
	r.expect(t, 30, opObject, 0)
	r.expect(t, 30, opComplete, 0)
	r.expect(t, 31, opObject, 0)
	r.expect(t, 31, opComplete, 0)

	// Loose and typed in-parameters give the same answer.
	r.send(t, `{"op":"execMethod","id":40,"ns":"root/default","path":"TestMeth","method":"Echo","in":{"class":"__PARAMETERS","properties":{"sInArg":{"type":"string","value":"héllo"}}}}`)
	m := r.expect(t, 40, opResult, 0)
	if m.instance.Value("ReturnValue").Uint64() != 5 || m.instance.Value("sOutArg").Text() != "héllo" {
		t.Fatalf("execMethod result %s", m.instance.MOF())
	}

	// A message over the limit closes the connection with 1009.
	// (The server may close while the message is still being written.)
	werr := r.ws.Write(context.Background(), websocket.MessageText, []byte(strings.Repeat(" ", 100<<10)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := r.ws.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusMessageTooBig && werr == nil {
				t.Fatalf("read after an oversized message: %v", err)
			}
			break
		}
	}
	// The server is still serving others.
	r2 := dialRaw(t, e)
	r2.send(t, echo("1"))
	r2.expect(t, 1, opObject, 0)
	r2.expect(t, 1, opComplete, 0)
}

func TestNoSubprotocolAccepted(t *testing.T) {
	e := newEnv(t, envOptions{})
	ws, _, err := websocket.Dial(context.Background(), e.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	_, data, err := ws.Read(context.Background())
	if err != nil || !strings.Contains(string(data), `"op":"hello"`) {
		t.Fatalf("hello: %s %v", data, err)
	}
}
