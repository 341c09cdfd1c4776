package cimxml

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addGoldenSeeds adds the golden files matching pattern to the corpus
// (the checked-in corpus is in testdata/fuzz).
func addGoldenSeeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata/golden", pattern))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzDecodeRequest decodes arbitrary requests: no panic, bounded work,
// errors of the two documented kinds, and a decoded request re-encodes to
// a document that decodes to the same call. Each input also goes through
// the whole handler over the fake object manager.
func FuzzDecodeRequest(f *testing.F) {
	addGoldenSeeds(f, "*.req.xml")
	h := newTestHandler()
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeRequest(data)
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) && req == nil {
				t.Fatalf("value error without a request: %v", err)
			}
		}
		if req != nil && err == nil {
			again, err := DecodeRequest(req.AppendTo(nil))
			if err != nil {
				t.Fatalf("re-encoded request does not decode: %v\n%s", err, req.AppendTo(nil))
			}
			if again.Method != req.Method || again.Namespace != req.Namespace || len(again.Params) != len(req.Params) || again.Intrinsic != req.Intrinsic {
				t.Fatalf("round trip changed the request: %+v / %+v", req, again)
			}
		}
		if req != nil {
			hr := httptest.NewRequest(http.MethodPost, "/cimom", strings.NewReader(string(data)))
			hr.Header.Set("CIMOperation", "MethodCall")
			hr.Header.Set("CIMMethod", req.Method)
			obj := req.Namespace
			if !req.Intrinsic {
				obj += ":" + req.Target.Class
			}
			hr.Header.Set("CIMObject", obj)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, hr)
			if rec.Code == 200 {
				if _, err := DecodeResponse(rec.Body.Bytes()); err != nil {
					t.Fatalf("the handler's answer does not decode: %v\n%s", err, rec.Body)
				}
			}
		}
	})
}

// FuzzDecodeResponse decodes arbitrary responses: no panic, and a decoded
// response re-encodes to a document that decodes again.
func FuzzDecodeResponse(f *testing.F) {
	addGoldenSeeds(f, "*.resp.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := DecodeResponse(data)
		if err != nil || resp == nil {
			return
		}
		doc := resp.AppendTo(nil)
		again, err := DecodeResponse(doc)
		if err != nil {
			t.Fatalf("re-encoded response does not decode: %v\n%s\n%s", err, data, doc)
		}
		if again.Method != resp.Method || again.Intrinsic != resp.Intrinsic || (again.Err == nil) != (resp.Err == nil) {
			t.Fatalf("round trip changed the response: %+v / %+v", resp, again)
		}
	})
}
