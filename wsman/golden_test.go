package wsman

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("response differs from %s (run go test -update after checking):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGoldenExamples runs the requests of WSMAN.md's examples through
// the handler: the responses must match the golden files byte for byte
// and carry every element and value of the example responses.
func TestGoldenExamples(t *testing.T) {
	cases := []struct {
		name, request, example string
		auth                   bool
		code                   int
		ignore                 []string
	}{
		{name: "invoke_Win32_Process_Create", request: "examples/invoke_Win32_Process_Create_request.xml",
			example: "examples/invoke_Win32_Process_Create_response.xml", code: 200,
			ignore: []string{"a:MessageID"}},
		{name: "invoke_instance_method_DMTF", request: "examples/invoke_instance_method_DMTF_request.xml",
			example: "examples/invoke_job_started_4096_response.xml", code: 200,
			ignore: []string{"a:MessageID"}},
		{name: "fault_InvalidParameter", request: "requests/invoke_Create_missing_CommandLine.xml",
			example: "examples/fault_InvalidParameter_with_CIM_Error.xml", code: 500,
			ignore: []string{"a:MessageID", "OwningEntity"}},
		{name: "identify", request: "requests/identify.xml", example: "examples/identify_response.xml",
			auth: true, code: 200, ignore: []string{"ProductVendor", "ProductVersion"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, _ := newTestHandler(t, func(o *HandlerOptions) {
				if c.auth {
					o.Authenticate = basicAuth
				}
			})
			req := readFile(t, filepath.Join("testdata", c.request))
			// The request must decode on its own.
			var d document
			var env envelope
			if err := d.parse([]byte(req)); err != nil {
				t.Fatalf("request does not parse: %v", err)
			}
			if f := decodeEnvelope(&d, &env); f != nil {
				t.Fatalf("request does not decode: %v", f)
			}
			var rec = post(h, req)
			if c.auth {
				rec = post(h, req, "Authorization", "Basic YWxpY2U6czNjcmV0")
			}
			if rec.Code != c.code {
				t.Fatalf("HTTP %d, want %d:\n%s", rec.Code, c.code, rec.Body.String())
			}
			golden(t, c.name+".xml", rec.Body.Bytes())
			mustContainStructure(t, rec.Body.Bytes(), []byte(readFile(t, filepath.Join("testdata", c.example))), c.ignore...)
		})
	}
}
