package mof

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf16"
)

func TestIncludeCycleOnDisk(t *testing.T) {
	files, err := ParseFile("testdata/include/cycle/a.mof", Options{})
	want := "testdata/include/cycle/b.mof:2:1: include cycle: testdata/include/cycle/a.mof -> testdata/include/cycle/b.mof -> testdata/include/cycle/a.mof"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if len(files) != 2 {
		t.Fatalf("%d files", len(files))
	}
}

func TestIncludeCaseFoldOnDisk(t *testing.T) {
	files, err := ParseFile("testdata/include/casefold/main.mof", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[1].Name != "testdata/include/casefold/Sub/lower.mof" {
		t.Fatalf("files %v", fileNames(files))
	}
	// Namespace pragmas apply in source order across includes.
	var got []string
	ns := ""
	for p := range files[0].All() {
		switch p := p.(type) {
		case *Pragma:
			if p.Is("namespace") {
				ns = p.Value()
			}
		case *ClassDecl:
			got = append(got, p.Name+"@"+ns)
		}
	}
	if strings.Join(got, " ") != "Lower@root/second Top@root/second" {
		t.Fatalf("order: %v", got)
	}
}

func fileNames(files []*File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

func TestIncludes(t *testing.T) {
	cases := []struct {
		name  string
		fs    fstest.MapFS
		entry string
		opts  Options
		files []string // names of files returned, in order
		order string   // class names from All(), in order
		err   string
	}{
		{
			name: "nested and relative",
			fs: fstest.MapFS{
				"main.mof":       {Data: []byte("#pragma include (\"a/x.mof\")\nclass M {};\n#pragma include (\"b.mof\")\n")},
				"a/x.mof":        {Data: []byte("#pragma include (\"../c.mof\")\n#pragma include (\"y/z.mof\")\nclass X {};\n")},
				"a/y/z.mof":      {Data: []byte("class Z {};\n")},
				"b.mof":          {Data: []byte("class B {};\n")},
				"c.mof":          {Data: []byte("class C {};\n")},
				"unused/nop.mof": {Data: []byte("garbage")},
			},
			entry: "main.mof",
			files: []string{"main.mof", "a/x.mof", "c.mof", "a/y/z.mof", "b.mof"},
			order: "C Z X M B",
		},
		{
			name: "backslashes and case",
			fs: fstest.MapFS{
				"main.mof":     {Data: []byte("#pragma include (\"SUB\\\\File.MOF\")\n")},
				"sub/file.mof": {Data: []byte("class F {};")},
			},
			entry: "main.mof",
			files: []string{"main.mof", "sub/file.mof"},
			order: "F",
		},
		{
			name: "exact name preferred",
			fs: fstest.MapFS{
				"main.mof": {Data: []byte("#pragma include (\"X.mof\")\n")},
				"X.mof":    {Data: []byte("class Upper {};")},
				"x.mof":    {Data: []byte("class Lower {};")},
			},
			entry: "main.mof",
			files: []string{"main.mof", "X.mof"},
			order: "Upper",
		},
		{
			name: "diamond read once",
			fs: fstest.MapFS{
				"main.mof": {Data: []byte("#pragma include (\"a.mof\")\n#pragma include (\"b.mof\")\n")},
				"a.mof":    {Data: []byte("#pragma include (\"q.mof\")\nclass A {};")},
				"b.mof":    {Data: []byte("#pragma include (\"q.mof\")\nclass B {};")},
				"q.mof":    {Data: []byte("class Q {};")},
			},
			entry: "main.mof",
			files: []string{"main.mof", "a.mof", "q.mof", "b.mof"},
			order: "Q A Q B",
		},
		{
			name: "cycle",
			fs: fstest.MapFS{
				"a.mof": {Data: []byte("#pragma include (\"b.mof\")\nclass A {};")},
				"b.mof": {Data: []byte("class B {};\n#pragma include (\"a.mof\")\n")},
			},
			entry: "a.mof",
			files: []string{"a.mof", "b.mof"},
			order: "B A",
			err:   "b.mof:2:1: include cycle: a.mof -> b.mof -> a.mof",
		},
		{
			name: "self include",
			fs: fstest.MapFS{
				"a.mof": {Data: []byte("#pragma include (\"./A.mof\")\n")},
			},
			entry: "a.mof",
			files: []string{"a.mof"},
			err:   "a.mof:1:1: include cycle: a.mof -> a.mof",
		},
		{
			name: "missing include",
			fs: fstest.MapFS{
				"a.mof": {Data: []byte("class A {};\n  #pragma include (\"nope.mof\")\nclass B {};")},
			},
			entry: "a.mof",
			files: []string{"a.mof"},
			order: "A B",
			err:   `a.mof:2:3: cannot include "nope.mof": file does not exist`,
		},
		{
			name:  "missing entry",
			fs:    fstest.MapFS{},
			entry: "a.mof",
			err:   "a.mof: cannot read: file does not exist",
		},
		{
			name: "leaves the file system",
			fs: fstest.MapFS{
				"a.mof": {Data: []byte("#pragma include (\"../x.mof\")\n")},
			},
			entry: "a.mof",
			files: []string{"a.mof"},
			err:   `a.mof:1:1: cannot include "../x.mof": include path leaves the file system`,
		},
		{
			name: "include depth",
			fs: func() fstest.MapFS {
				m := fstest.MapFS{}
				for i := 0; i < 10; i++ {
					m[fmt.Sprintf("f%d.mof", i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf("#pragma include (\"f%d.mof\")\n", i+1))}
				}
				m["f10.mof"] = &fstest.MapFile{Data: []byte("class Deep {};")}
				return m
			}(),
			entry: "f0.mof",
			opts:  Options{MaxIncludeDepth: 3},
			files: []string{"f0.mof", "f1.mof", "f2.mof", "f3.mof"},
			err:   "f3.mof:1:1: includes nested more than 3 deep",
		},
		{
			name: "total size",
			fs: fstest.MapFS{
				"a.mof": {Data: []byte("#pragma include (\"b.mof\")\n" + strings.Repeat(" ", 60))},
				"b.mof": {Data: []byte("class B {};" + strings.Repeat(" ", 60))},
			},
			entry: "a.mof",
			opts:  Options{MaxTotalSize: 100},
			files: []string{"a.mof"},
			err:   `a.mof:1:1: cannot include "b.mof": input larger than 100 bytes in all`,
		},
		{
			name: "file size",
			fs: fstest.MapFS{
				"a.mof": {Data: []byte("#pragma include (\"b.mof\")\n")},
				"b.mof": {Data: []byte("class B {};" + strings.Repeat(" ", 60))},
			},
			entry: "a.mof",
			opts:  Options{MaxFileSize: 50},
			files: []string{"a.mof"},
			err:   `a.mof:1:1: cannot include "b.mof": file is larger than 50 bytes`,
		},
		{
			name: "error in included file",
			fs: fstest.MapFS{
				"a.mof": {Data: []byte("#pragma include (\"b.mof\")\nclass A {};")},
				"b.mof": {Data: []byte("\n\nclass B { foo x; };")},
			},
			entry: "a.mof",
			files: []string{"a.mof", "b.mof"},
			order: "B A",
			err:   `b.mof:3:11: unknown data type "foo" (a reference is written "ClassName REF name")`,
		},
		{
			name: "directory",
			fs: fstest.MapFS{
				"a.mof":     {Data: []byte("#pragma include (\"d\")\n")},
				"d/inner.x": {Data: []byte("")},
			},
			entry: "a.mof",
			files: []string{"a.mof"},
			err:   `a.mof:1:1: cannot include "d": is a directory`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.FS = tc.fs
			files, err := ParseFile(tc.entry, opts)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.err {
				t.Errorf("error\n got %s\nwant %s", got, tc.err)
			}
			if g, w := strings.Join(fileNames(files), " "), strings.Join(tc.files, " "); g != w {
				t.Errorf("files\n got %s\nwant %s", g, w)
			}
			if len(files) > 0 {
				var order []string
				for p := range files[0].All() {
					if c, ok := p.(*ClassDecl); ok {
						order = append(order, c.Name)
					}
				}
				if g := strings.Join(order, " "); g != tc.order {
					t.Errorf("order\n got %s\nwant %s", g, tc.order)
				}
			}
		})
	}
}

func TestParseFileErrorUnwrap(t *testing.T) {
	_, err := ParseFile("testdata/does-not-exist.mof", Options{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.File != "testdata/does-not-exist.mof" {
		t.Fatalf("errors.As: %v", e)
	}
}

func TestAllStopsEarly(t *testing.T) {
	f, err := Parse("t.mof", []byte("class A {}; class B {}; class C {};"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range f.All() {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatal(n)
	}
}

func utf16Bytes(s string, bigEndian, bom bool) []byte {
	var b bytes.Buffer
	var order binary.ByteOrder = binary.LittleEndian
	if bigEndian {
		order = binary.BigEndian
	}
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	for _, u := range units {
		_ = binary.Write(&b, order, u)
	}
	return b.Bytes()
}

func TestEncodings(t *testing.T) {
	const src = "// ünïcödé comment 😀\nclass A { [Description(\"ça\")] string B; };\n"
	cases := []struct {
		name string
		data []byte
		err  string
	}{
		{"utf-8", []byte(src), ""},
		{"utf-8 bom", append([]byte{0xEF, 0xBB, 0xBF}, src...), ""},
		{"utf-16le bom", utf16Bytes(src, false, true), ""},
		{"utf-16be bom", utf16Bytes(src, true, true), ""},
		{"utf-16le no bom", utf16Bytes(src, false, false), ""},
		{"utf-16be no bom", utf16Bytes(src, true, false), ""},
		{"utf-16 odd length", append(utf16Bytes(src, false, true), 'x'), "t.mof:3:1: invalid UTF-16: odd number of bytes"},
		{"utf-16 lone surrogate", append(utf16Bytes("class A {};\nclass", false, true), 0x00, 0xD8, 'x', 0), "t.mof:2:6: invalid UTF-16: unpaired surrogate"},
		{"utf-32", []byte{0xFF, 0xFE, 0, 0, 'c', 0, 0, 0}, "t.mof:1:1: UTF-32 encoding is not supported"},
		{"latin-1", []byte("class A { [Description(\"\xe7a\")] string B; };"), "t.mof:1:25: invalid UTF-8 encoding"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("t.mof", tc.data, Options{})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.err {
				t.Fatalf("got %q, want %q", got, tc.err)
			}
			if err != nil {
				return
			}
			c := f.Classes()[0]
			if c.Name != "A" || c.Pos.Line != 2 || c.Features[0].(*PropertyDecl).Qualifiers[0].Value.Str != "ça" {
				t.Fatalf("bad AST:\n%s", dump(f.Productions))
			}
		})
	}
}
