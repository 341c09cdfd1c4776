// Command gen writes zz_generated.go of package status from the data tables codes.tsv (WBEM
// status codes) and cim_codes.tsv (DMTF CIM status codes). It checks the tables before it writes
// anything: values and names are unique, every mapping names a code that exists, and success and
// failure codes map to success and failure codes of the other family.
//
// It is run by `go generate` in the status directory:
//
//	go run ./internal/gen [-dir .] [-out zz_generated.go]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

func main() {
	dir := flag.String("dir", ".", "directory holding codes.tsv and cim_codes.tsv")
	out := flag.String("out", "zz_generated.go", "file to write")
	flag.Parse()
	if err := run(*dir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run generates the Go source from the tables in dir and writes it to out.
func run(dir, out string) error {
	src, err := generate(dir)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}

// wbemCode is one row of codes.tsv.
type wbemCode struct {
	value     uint32
	name      string
	aliases   []string
	scripting string
	cim       string
	message   string
}

// cimCode is one row of cim_codes.tsv.
type cimCode struct {
	value       uint32
	name        string
	wbem        string
	description string
}

// generate reads and checks the tables in dir and returns the formatted Go source.
func generate(dir string) ([]byte, error) {
	wbem, err := readWBEM(filepath.Join(dir, "codes.tsv"))
	if err != nil {
		return nil, err
	}
	cim, err := readCIM(filepath.Join(dir, "cim_codes.tsv"))
	if err != nil {
		return nil, err
	}
	if err := check(wbem, cim); err != nil {
		return nil, err
	}
	src := render(wbem, cim)
	formatted, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("formatting generated code: %v", err)
	}
	return formatted, nil
}

// readTSV returns the rows of a tab-separated file after its header line, which must equal
// header. Blank lines and lines starting with '#' are skipped. Each row is returned with its
// line number, for error messages.
func readTSV(path string, header []string) (rows [][]string, lines []int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	seenHeader := false
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if !seenHeader {
			if strings.Join(fields, "\t") != strings.Join(header, "\t") {
				return nil, nil, fmt.Errorf("%s:%d: header is %q, want %q", path, n, fields, header)
			}
			seenHeader = true
			continue
		}
		if len(fields) != len(header) {
			return nil, nil, fmt.Errorf("%s:%d: %d fields, want %d", path, n, len(fields), len(header))
		}
		for i, field := range fields {
			fields[i] = strings.TrimSpace(field)
		}
		rows = append(rows, fields)
		lines = append(lines, n)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if !seenHeader {
		return nil, nil, fmt.Errorf("%s: no header line", path)
	}
	return rows, lines, nil
}

var hexValue = regexp.MustCompile(`^0x[0-9A-F]{8}$`)

func readWBEM(path string) ([]wbemCode, error) {
	rows, lines, err := readTSV(path, []string{"hex", "name", "aliases", "scripting", "cim", "message"})
	if err != nil {
		return nil, err
	}
	codes := make([]wbemCode, len(rows))
	for i, r := range rows {
		if !hexValue.MatchString(r[0]) {
			return nil, fmt.Errorf("%s:%d: value %q is not 0x and 8 upper-case hex digits", path, lines[i], r[0])
		}
		v, _ := strconv.ParseUint(r[0][2:], 16, 32)
		c := wbemCode{value: uint32(v), name: r[1], scripting: r[3], cim: r[4], message: r[5]}
		if r[2] != "" {
			c.aliases = strings.Split(r[2], ",")
		}
		for _, id := range append([]string{c.name}, c.aliases...) {
			if !token.IsIdentifier(id) || !token.IsExported(id) {
				return nil, fmt.Errorf("%s:%d: %q is not an exported Go identifier", path, lines[i], id)
			}
		}
		if c.scripting != "" && !token.IsIdentifier(c.scripting) {
			return nil, fmt.Errorf("%s:%d: scripting name %q is not an identifier", path, lines[i], c.scripting)
		}
		if c.message == "" {
			return nil, fmt.Errorf("%s:%d: %s has no message", path, lines[i], c.name)
		}
		codes[i] = c
	}
	return codes, nil
}

func readCIM(path string) ([]cimCode, error) {
	rows, lines, err := readTSV(path, []string{"code", "name", "wbem", "description"})
	if err != nil {
		return nil, err
	}
	codes := make([]cimCode, len(rows))
	for i, r := range rows {
		v, err := strconv.ParseUint(r[0], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: code %q is not a decimal number", path, lines[i], r[0])
		}
		c := cimCode{value: uint32(v), name: r[1], wbem: r[2], description: r[3]}
		if !strings.HasPrefix(c.name, "CIM_ERR_") || !token.IsIdentifier(c.name) {
			return nil, fmt.Errorf("%s:%d: name %q is not a CIM_ERR_* identifier", path, lines[i], c.name)
		}
		if c.description == "" {
			return nil, fmt.Errorf("%s:%d: %s has no description", path, lines[i], c.name)
		}
		codes[i] = c
	}
	return codes, nil
}

func failed(v uint32) bool { return v&0x80000000 != 0 }

// check verifies uniqueness and the mappings between the two tables.
func check(wbem []wbemCode, cim []cimCode) error {
	wbemValue := map[string]uint32{} // C names and aliases
	names := map[string]string{}     // lower-cased C and scripting names, to owner
	values := map[uint32]string{}
	claim := func(name, owner string) error {
		key := strings.ToLower(name)
		if prev, ok := names[key]; ok {
			return fmt.Errorf("name %s of %s is already used by %s", name, owner, prev)
		}
		names[key] = owner
		return nil
	}
	for _, c := range wbem {
		if prev, ok := values[c.value]; ok {
			return fmt.Errorf("%s has the value 0x%08X of %s; make it an alias", c.name, c.value, prev)
		}
		values[c.value] = c.name
		for _, id := range append([]string{c.name}, c.aliases...) {
			if err := claim(id, c.name); err != nil {
				return err
			}
			wbemValue[id] = c.value
			if strings.Contains(id, "_E_") && !failed(c.value) {
				return fmt.Errorf("%s is named as an error but 0x%08X is a success code", id, c.value)
			}
			if strings.Contains(id, "_S_") && failed(c.value) {
				return fmt.Errorf("%s is named as a success but 0x%08X is a failure code", id, c.value)
			}
		}
		if c.scripting != "" {
			if err := claim(c.scripting, c.name); err != nil {
				return err
			}
		}
	}

	cimValue := map[string]uint32{}
	cimValues := map[uint32]string{}
	for _, c := range cim {
		if _, ok := cimValue[c.name]; ok {
			return fmt.Errorf("CIM name %s used twice", c.name)
		}
		if prev, ok := cimValues[c.value]; ok {
			return fmt.Errorf("CIM code %d used by %s and %s", c.value, prev, c.name)
		}
		cimValue[c.name], cimValues[c.value] = c.value, c.name
		v, ok := wbemValue[c.wbem]
		if !ok {
			return fmt.Errorf("%s maps to unknown WBEM code %q", c.name, c.wbem)
		}
		if (c.value == 0) == failed(v) {
			return fmt.Errorf("%s (%d) maps to %s, which does not agree on success", c.name, c.value, c.wbem)
		}
	}
	for _, c := range wbem {
		v, ok := cimValue[c.cim]
		if !ok {
			return fmt.Errorf("%s maps to unknown CIM code %q", c.name, c.cim)
		}
		if (v == 0) == failed(c.value) {
			return fmt.Errorf("%s maps to %s, which does not agree on success", c.name, c.cim)
		}
	}
	return nil
}

// render writes the Go source (not yet formatted).
func render(wbem []wbemCode, cim []cimCode) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("// Code generated by \"go run ./internal/gen\" from codes.tsv and cim_codes.tsv. DO NOT EDIT.\n\n")
	p("package status\n\n")

	p("// WBEM status codes (WBEMSTATUS and the success codes of wbemcli.h), in the order of codes.tsv.\n")
	p("const (\n")
	for _, c := range wbem {
		scripting := "no scripting constant"
		if c.scripting != "" {
			scripting = "scripting " + c.scripting
		}
		p("// %s means %q (%s; %s for CIM callers).\n", c.name, c.message, scripting, c.cim)
		p("%s HRESULT = 0x%08X\n", c.name, c.value)
	}
	p(")\n\n")

	p("// Further C names of the codes above.\n")
	p("const (\n")
	for _, c := range wbem {
		for _, a := range c.aliases {
			p("// %s is another C name of %s.\n", a, c.name)
			p("%s = %s\n", a, c.name)
		}
	}
	p(")\n\n")

	p("// CIM status codes of DMTF DSP0200, in the order of cim_codes.tsv.\n")
	p("const (\n")
	for _, c := range cim {
		p("// %s means %q (%s for WMI-style callers).\n", c.name, c.description, c.wbem)
		p("%s CIMStatus = %d\n", c.name, c.value)
	}
	p(")\n\n")

	p("// hresultTable describes every code of codes.tsv.\n")
	p("var hresultTable = map[HRESULT]hresultEntry{\n")
	for _, c := range wbem {
		p("%s: {%q, %q, %q, %s},\n", c.name, c.name, c.scripting, c.message, c.cim)
	}
	p("}\n\n")

	p("// hresultNames maps every C name, alias and scripting name of codes.tsv to its code.\n")
	p("var hresultNames = map[string]HRESULT{\n")
	for _, c := range wbem {
		for _, id := range append([]string{c.name}, c.aliases...) {
			p("%q: %s,\n", id, id)
		}
		if c.scripting != "" {
			p("%q: %s,\n", c.scripting, c.name)
		}
	}
	p("}\n\n")

	p("// cimTable describes every code of cim_codes.tsv.\n")
	p("var cimTable = map[CIMStatus]cimEntry{\n")
	for _, c := range cim {
		p("%s: {%q, %q, %s},\n", c.name, c.name, c.description, c.wbem)
	}
	p("}\n")
	return b.Bytes()
}
