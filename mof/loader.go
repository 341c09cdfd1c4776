package mof

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Parse parses one MOF file held in memory. name is used in positions.
// Include pragmas are kept but not followed (Pragma.Include stays nil).
// src may be UTF-8 (with or without a byte-order mark) or UTF-16 with a
// byte-order mark.
//
// Parse returns the file, holding every production that parsed, and a
// non-nil error (an ErrorList) if anything was wrong. It never panics.
func Parse(name string, src []byte, opts Options) (*File, error) {
	o := opts.withDefaults()
	errs := &errorSink{max: o.MaxErrors}
	f := parseSource(name, src, &o, errs, make(map[string]string))
	return f, errs.list.Err()
}

// parseSource checks the size, decodes the encoding and parses.
func parseSource(name string, src []byte, o *Options, errs *errorSink, names map[string]string) *File {
	f := &File{Name: name}
	if int64(len(src)) > o.MaxFileSize {
		errs.add(Pos{File: name}, fmt.Sprintf("file is larger than %d bytes", o.MaxFileSize), nil)
		return f
	}
	text, e := decodeText(name, src)
	if e != nil {
		errs.add(e.Pos(), e.Msg, nil)
		return f
	}
	parseText(f, text, o, errs, names)
	return f
}

// ParseFile reads and parses the MOF file at path and, recursively, the
// files it includes with #pragma include. An include is resolved relative
// to the directory of the including file; when no file has the exact name,
// a file whose name differs only in case is used. Each file is read once:
// including it again links the same *File.
//
// ParseFile returns every file read, the entry file first, then the others
// in the order their include pragmas are met (depth first). The include
// pragmas link the included files (Pragma.Include), so files[0].All()
// yields all productions in source order with includes expanded.
//
// Errors — a file that cannot be read, a limit exceeded, an include cycle
// (reported with the chain of files, such as "a.mof -> b.mof -> a.mof"),
// or a syntax error — are returned together as an ErrorList, along with
// whatever parsed. ParseFile never panics.
func ParseFile(path string, opts Options) ([]*File, error) {
	o := opts.withDefaults()
	ld := &loader{
		opts:  o,
		errs:  &errorSink{max: o.MaxErrors},
		names: make(map[string]string),
		done:  make(map[string]*File),
		dirs:  make(map[string][]string),
	}
	if o.FS != nil {
		ld.sys = fsys{o.FS}
		path = strings.TrimPrefix(filepath.ToSlash(path), "./")
	} else {
		cwd, _ := os.Getwd()
		ld.sys = osys{cwd: cwd}
	}
	ld.load(path, Pos{}, nil, "", "")
	return ld.files, ld.errs.list.Err()
}

// fileSystem abstracts the operating system and an fs.FS for the loader.
type fileSystem interface {
	open(name string) (fs.File, error)
	readDirNames(dir string) ([]string, error)
	join(dir, rel string) (string, error) // rel is slash-separated
	dir(name string) string
	root() string           // the root directory
	key(name string) string // identity of a file, for cycle detection
}

type osys struct{ cwd string }

func (osys) open(name string) (fs.File, error) { return os.Open(name) }
func (osys) readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}
func (osys) join(dir, rel string) (string, error) {
	p := filepath.FromSlash(rel)
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	return filepath.Join(dir, p), nil
}
func (osys) dir(name string) string { return filepath.Dir(name) }
func (osys) root() string           { return string(filepath.Separator) }
func (s osys) key(name string) string {
	if filepath.IsAbs(name) || s.cwd == "" {
		return filepath.Clean(name)
	}
	return filepath.Join(s.cwd, name)
}

type fsys struct{ fsys fs.FS }

func (s fsys) open(name string) (fs.File, error) { return s.fsys.Open(name) }
func (s fsys) readDirNames(dir string) ([]string, error) {
	ents, err := fs.ReadDir(s.fsys, dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}
func (fsys) join(dir, rel string) (string, error) {
	var p string
	if strings.HasPrefix(rel, "/") {
		p = path.Clean(strings.TrimLeft(rel, "/"))
	} else {
		p = path.Join(dir, rel)
	}
	if !fs.ValidPath(p) {
		return "", errors.New("include path leaves the file system")
	}
	return p, nil
}
func (fsys) dir(name string) string { return path.Dir(name) }
func (fsys) root() string           { return "." }
func (fsys) key(name string) string { return path.Clean(name) }

// loader follows includes for ParseFile.
type loader struct {
	opts  Options
	sys   fileSystem
	errs  *errorSink
	names map[string]string
	files []*File
	done  map[string]*File    // by key: files already parsed
	dirs  map[string][]string // directory listings for case-insensitive lookup
	total int64
}

// load reads and parses the file name, included from the position at
// (zero for the entry file), with stack holding the keys and names of the
// including files. For an include, dir and rel are the including file's
// directory and the name as written, for the case-insensitive fallback
// when name does not exist.
func (ld *loader) load(name string, at Pos, stack []string, dir, rel string) *File {
	if ld.errs.full {
		return nil
	}
	errPos := at
	if !errPos.IsValid() {
		errPos = Pos{File: name}
	}
	key := ld.sys.key(name)
	for i := 0; i < len(stack); i += 2 {
		if stack[i] == key {
			chain := make([]string, 0, len(stack)/2+1)
			for j := i + 1; j < len(stack); j += 2 {
				chain = append(chain, stack[j])
			}
			chain = append(chain, name)
			ld.errs.add(errPos, "include cycle: "+strings.Join(chain, " -> "), nil)
			return nil
		}
	}
	if f, ok := ld.done[key]; ok {
		return f
	}
	if len(stack)/2 > ld.opts.MaxIncludeDepth {
		ld.errs.add(errPos, fmt.Sprintf("includes nested more than %d deep", ld.opts.MaxIncludeDepth), nil)
		return nil
	}
	src, err := ld.read(name)
	if rel != "" && errors.Is(err, fs.ErrNotExist) {
		if alt, ferr := ld.resolveFold(dir, rel); ferr == nil {
			return ld.load(alt, at, stack, "", "")
		}
	}
	if err != nil {
		var le *Error
		msg, cause := "", err
		if errors.As(err, &le) {
			msg, cause = le.Msg, nil
		} else {
			msg = unwrapPathError(err).Error()
		}
		if at.IsValid() {
			ld.errs.add(errPos, fmt.Sprintf("cannot include %q: %s", rel, msg), cause)
		} else {
			ld.errs.add(errPos, "cannot read: "+msg, cause)
		}
		return nil
	}
	f := parseSource(name, src, &ld.opts, ld.errs, ld.names)
	ld.done[key] = f
	ld.files = append(ld.files, f)
	stack = append(stack, key, name)
	here := ld.sys.dir(name)
	for _, prod := range f.Productions {
		pr, ok := prod.(*Pragma)
		if !ok || !pr.Is("include") {
			continue
		}
		rel := strings.ReplaceAll(pr.Value(), "\\", "/")
		target, err := ld.sys.join(here, rel)
		if err != nil {
			ld.errs.add(pr.Pos, fmt.Sprintf("cannot include %q: %v", pr.Value(), err), err)
			continue
		}
		pr.Include = ld.load(target, pr.Pos, stack, here, rel)
	}
	return f
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// read reads a whole file within the size limits.
func (ld *loader) read(name string) ([]byte, error) {
	f, err := ld.sys.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	limit := ld.opts.MaxFileSize
	if rest := ld.opts.MaxTotalSize - ld.total; rest < limit {
		limit = rest
	}
	var buf []byte
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, &Error{Msg: "is a directory"}
		}
		if st.Size() > ld.opts.MaxFileSize {
			return nil, &Error{Msg: fmt.Sprintf("file is larger than %d bytes", ld.opts.MaxFileSize)}
		}
		if st.Size() > 0 && st.Size() <= limit {
			buf = make([]byte, 0, st.Size()+1)
		}
	}
	buf, err = readAllLimit(f, buf, limit)
	if err != nil {
		return nil, err
	}
	if int64(len(buf)) > limit {
		if limit < ld.opts.MaxFileSize {
			return nil, &Error{Msg: fmt.Sprintf("input larger than %d bytes in all", ld.opts.MaxTotalSize)}
		}
		return nil, &Error{Msg: fmt.Sprintf("file is larger than %d bytes", ld.opts.MaxFileSize)}
	}
	ld.total += int64(len(buf))
	return buf, nil
}

// readAllLimit reads r to the end or until more than limit bytes were read.
func readAllLimit(r io.Reader, buf []byte, limit int64) ([]byte, error) {
	if buf == nil {
		buf = make([]byte, 0, 4096)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf, nil
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// resolveFold finds the file named rel (slash-separated) relative to dir
// ignoring case, component by component; a component whose exact name
// exists is taken as is.
func (ld *loader) resolveFold(dir, rel string) (string, error) {
	var err error
	cur := dir
	if strings.HasPrefix(rel, "/") {
		cur = ld.sys.root()
	}
	for _, c := range strings.Split(rel, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			if cur, err = ld.sys.join(cur, ".."); err != nil {
				return "", err
			}
			continue
		}
		names, ok := ld.dirs[cur]
		if !ok {
			names, _ = ld.sys.readDirNames(cur)
			sort.Strings(names)
			ld.dirs[cur] = names
		}
		match := ""
		for _, n := range names {
			if n == c {
				match = n
				break
			}
			if match == "" && strings.EqualFold(n, c) {
				match = n
			}
		}
		if match == "" {
			return "", fs.ErrNotExist
		}
		if cur, err = ld.sys.join(cur, match); err != nil {
			return "", err
		}
	}
	return cur, nil
}
