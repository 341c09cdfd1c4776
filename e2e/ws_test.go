package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gowbem/gowbem/native"
)

// wsConn is a native-protocol client written by hand over a raw
// WebSocket, for what the Go client never does: choosing request ids,
// cancelling ids it does not own, sending garbage.
type wsConn struct {
	ws    *websocket.Conn
	queue []map[string]any
	stash []map[string]any
}

// dialWS opens a raw native connection to the server's CIM-XML port as
// user (no credentials when user is empty). It returns the handshake
// response's status with the error when the server refuses.
func dialWS(t *testing.T, s *testServer, user, password string) (*wsConn, int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{}
	if user != "" {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
	}
	ws, resp, err := websocket.Dial(ctx, "ws://"+s.cimxmlAddr()+native.Path, &websocket.DialOptions{
		HTTPHeader:   h,
		Subprotocols: []string{native.Subprotocol},
		HTTPClient:   &http.Client{Transport: &http.Transport{Proxy: nil}},
	})
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
			if code == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		}
		return nil, code, err
	}
	ws.SetReadLimit(64 << 20)
	t.Cleanup(func() { _ = ws.CloseNow() })
	c := &wsConn{ws: ws}
	if m := c.next(t, 10*time.Second); m == nil || m["op"] != "hello" {
		t.Fatalf("first message %v, want hello", m)
	}
	return c, http.StatusSwitchingProtocols, nil
}

// mustDialWS is dialWS that fails the test when the server refuses.
func mustDialWS(t *testing.T, s *testServer, user, password string) *wsConn {
	t.Helper()
	c, code, err := dialWS(t, s, user, password)
	if err != nil {
		t.Fatalf("native handshake as %q: %d %v", user, code, err)
	}
	return c
}

// send writes lines as one WebSocket message.
func (c *wsConn) send(t *testing.T, lines ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(strings.Join(lines, "\n"))); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// next returns the next protocol message, or nil when none arrives
// within d. (A read that times out closes the WebSocket connection: only
// wait for nothing as the connection's last use.)
func (c *wsConn) next(t *testing.T, d time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(d)
	for len(c.queue) == 0 {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		_, data, err := c.ws.Read(ctx)
		cancel()
		if err != nil {
			if time.Now().After(deadline) {
				return nil
			}
			t.Fatalf("read: %v", err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			var m map[string]any
			d := json.NewDecoder(bytes.NewReader(line))
			d.UseNumber()
			if err := d.Decode(&m); err != nil {
				t.Fatalf("undecodable message from the server %s: %v", line, err)
			}
			c.queue = append(c.queue, m)
		}
	}
	m := c.queue[0]
	c.queue = c.queue[1:]
	return m
}

// expect returns the next message for request id (others are kept for
// later), failing the test when none comes within d.
func (c *wsConn) expect(t *testing.T, id int64, d time.Duration) map[string]any {
	t.Helper()
	for i, m := range c.stash {
		if msgID(m) == id {
			c.stash = append(c.stash[:i], c.stash[i+1:]...)
			return m
		}
	}
	deadline := time.Now().Add(d)
	for {
		m := c.next(t, time.Until(deadline))
		if m == nil {
			t.Fatalf("no message for id %d within %v", id, d)
		}
		if msgID(m) == id {
			return m
		}
		c.stash = append(c.stash, m)
	}
}

// msgID is the id of a message (-1 when it has none).
func msgID(m map[string]any) int64 {
	n, ok := m["id"].(json.Number)
	if !ok {
		return -1
	}
	v, err := n.Int64()
	if err != nil {
		return -1
	}
	return v
}

// msgHR is the hr of a complete message.
func msgHR(m map[string]any) uint32 {
	n, _ := m["hr"].(json.Number)
	v, _ := n.Int64()
	return uint32(v)
}

// outValue digs the value of property name out of an object message's
// first object (loose or typed form).
func outValue(m map[string]any, name string) string {
	objs, _ := m["objects"].([]any)
	if len(objs) == 0 {
		return "<no object>"
	}
	o, _ := objs[0].(map[string]any)
	props, _ := o["properties"].(map[string]any)
	p, ok := props[name]
	if !ok {
		return "<missing>"
	}
	if pm, ok := p.(map[string]any); ok {
		p = pm["value"]
	}
	b, _ := json.Marshal(p)
	return strings.Trim(string(b), `"`)
}
