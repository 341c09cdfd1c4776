package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// statusDir is the package directory holding the tables and zz_generated.go.
const statusDir = "../.."

// TestGeneratedUpToDate regenerates zz_generated.go into a temporary directory and compares it
// byte for byte with the committed file.
func TestGeneratedUpToDate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "zz_generated.go")
	if err := run(statusDir, out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(statusDir, "zz_generated.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("zz_generated.go is out of date with codes.tsv or cim_codes.tsv: run `go generate ./status`")
	}
	if !bytes.HasPrefix(got, []byte("// Code generated ")) || !bytes.Contains(got, []byte("DO NOT EDIT.")) {
		t.Error("generated file lacks the standard header")
	}
}

// TestCheckRejects makes sure broken tables are refused.
func TestCheckRejects(t *testing.T) {
	ok := wbemCode{value: 0x80041001, name: "WBEM_E_FAILED", cim: "CIM_ERR_FAILED", message: "m"}
	okS := wbemCode{value: 0, name: "WBEM_S_NO_ERROR", cim: "CIM_ERR_OK", message: "m"}
	cimOK := []cimCode{
		{value: 0, name: "CIM_ERR_OK", wbem: "WBEM_S_NO_ERROR", description: "d"},
		{value: 1, name: "CIM_ERR_FAILED", wbem: "WBEM_E_FAILED", description: "d"},
	}
	with := func(c wbemCode, edit func(*wbemCode)) wbemCode { edit(&c); return c }
	tests := []struct {
		name string
		wbem []wbemCode
		cim  []cimCode
		want string
	}{
		{"duplicate value", []wbemCode{okS, ok, with(ok, func(c *wbemCode) { c.name = "WBEM_E_OTHER" })}, cimOK, "make it an alias"},
		{"duplicate name", []wbemCode{okS, ok, with(ok, func(c *wbemCode) { c.value++ })}, cimOK, "already used"},
		{"scripting clashes with a name", []wbemCode{okS, with(ok, func(c *wbemCode) { c.scripting = "wbem_e_failed" })}, cimOK, "already used"},
		{"error name on success value", []wbemCode{okS, with(ok, func(c *wbemCode) { c.value = 5 })}, cimOK, "success code"},
		{"unknown CIM code", []wbemCode{okS, with(ok, func(c *wbemCode) { c.cim = "CIM_ERR_NOPE" })}, cimOK, "unknown CIM code"},
		{"failure maps to OK", []wbemCode{okS, with(ok, func(c *wbemCode) { c.cim = "CIM_ERR_OK" })}, cimOK, "does not agree"},
		{"unknown WBEM code", []wbemCode{okS, ok}, append(cimOK[:1:1], cimCode{value: 1, name: "CIM_ERR_FAILED", wbem: "WBEM_E_NOPE", description: "d"}), "unknown WBEM code"},
		{"duplicate CIM value", []wbemCode{okS, ok}, append(cimOK, cimCode{value: 1, name: "CIM_ERR_X", wbem: "WBEM_E_FAILED", description: "d"}), "used by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := check(tt.wbem, tt.cim)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("check() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := check([]wbemCode{okS, ok}, cimOK); err != nil {
		t.Errorf("check() of a good table = %v", err)
	}
}

// TestReadTSVRejects makes sure malformed files are refused with their line number.
func TestReadTSVRejects(t *testing.T) {
	header := "hex\tname\taliases\tscripting\tcim\tmessage\n"
	tests := []struct {
		name, text, want string
	}{
		{"no header", "# only a comment\n", "no header"},
		{"wrong header", "hex\tname\n", "header is"},
		{"too few fields", header + "0x80041001\tWBEM_E_FAILED\n", ":2: 2 fields"},
		{"lower-case hex", header + "0x8004100a\tWBEM_E_X\t\t\tCIM_ERR_FAILED\tm\n", "upper-case"},
		{"bad identifier", header + "0x80041001\tWBEM-E\t\t\tCIM_ERR_FAILED\tm\n", "identifier"},
		{"no message", header + "0x80041001\tWBEM_E_FAILED\t\t\tCIM_ERR_FAILED\t\n", "no message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "codes.tsv")
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readWBEM(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("readWBEM() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
