package native

import (
	"bytes"
	"testing"
)

// FuzzMessage feeds arbitrary lines to the message decoder (the seeds are
// in testdata/fuzz/FuzzMessage). It must not panic, and a message it
// accepts must re-encode to a line that decodes to the same encoding.
func FuzzMessage(f *testing.F) {
	f.Add([]byte(`{"op":"exec","id":1,"ns":"root/default","path":"TestMeth","method":"Echo"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c codec
		var m message
		lines(data, func(line []byte) {
			if err := c.decode(line, &m); err != nil {
				return
			}
			b := appendMessage(nil, &m)
			if bytes.Count(b, []byte{'\n'}) != 1 || b[len(b)-1] != '\n' {
				t.Fatalf("encoding is not one line: %q", b)
			}
			var m2 message
			if err := c.decode(b[:len(b)-1], &m2); err != nil {
				t.Fatalf("re-decoding %s: %v", b, err)
			}
			if b2 := appendMessage(nil, &m2); !bytes.Equal(b, b2) {
				t.Fatalf("encoding not stable:\n%s%s", b, b2)
			}
		})
	})
}
