//go:build unix

package win32process

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
)

// spawnSupported reports whether Create can start processes here.
const spawnSupported = true

// spawn starts the process spec describes and returns its process ID and
// the ReturnValue. The process runs in a session of its own with standard
// input, output and error on /dev/null; a goroutine waits for it so that
// it never lingers as a zombie.
func (p *Provider) spawn(spec *startSpec) (uint32, uint32) {
	dir := spec.Dir
	if dir != "" && !spec.As.Impersonate {
		// As the server, check the directory here for a precise answer.
		// For another user the child's chdir, done with that user's
		// rights, decides: the server must not reveal what the user could
		// not see.
		fi, err := os.Stat(dir)
		switch {
		case err != nil:
			return 0, pathErrorCode(err)
		case !fi.IsDir():
			return 0, ReturnPathNotFound
		}
	}
	pathEnv, _ := envValue(spec.Env, "PATH")
	prog, rc := p.resolveProgram(spec.Args[0], pathEnv, dir, spec.As)
	if rc != ReturnSuccess {
		return 0, rc
	}
	attr := &syscall.SysProcAttr{Setsid: true}
	if spec.As.Impersonate {
		groups := make([]uint32, len(spec.As.Groups))
		for i, g := range spec.As.Groups {
			groups[i] = uint32(g)
		}
		attr.Credential = &syscall.Credential{Uid: uint32(spec.As.UID), Gid: uint32(spec.As.GID), Groups: groups}
	}
	cmd := &exec.Cmd{
		Path: prog, Args: spec.Args, Dir: dir, Env: spec.Env, SysProcAttr: attr,
		// Stdin, Stdout and Stderr nil: /dev/null.
	}
	if err := cmd.Start(); err != nil {
		return 0, pathErrorCode(err)
	}
	pid := cmd.Process.Pid
	if spec.Startup.SetNice {
		// Best effort, like Windows, which quietly gives a lower class
		// when the caller may not have the one asked for.
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, pid, spec.Startup.Nice)
	}
	if spec.Startup.Suspended {
		_ = cmd.Process.Signal(syscall.SIGSTOP)
	}
	go func() { _ = cmd.Wait() }() // reap: no zombies
	return uint32(pid), ReturnSuccess
}

// pathErrorCode maps an error of stat, chdir or exec to a ReturnValue.
func pathErrorCode(err error) uint32 {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ENOENT, syscall.ENOTDIR, syscall.ELOOP:
			return ReturnPathNotFound
		case syscall.EACCES, syscall.EPERM:
			return ReturnAccessDenied
		}
		return ReturnUnknownFailure
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ReturnPathNotFound
	case errors.Is(err, fs.ErrPermission):
		return ReturnAccessDenied
	}
	return ReturnUnknownFailure
}

// resolveProgram finds the program name of a command line.
//
// A name with a slash is a path, relative to dir (or to the server's
// working directory); it is not searched for. As the server, a missing
// file is ReturnPathNotFound here; for another user, exec decides with
// that user's rights.
//
// A bare name is searched for in the directories of pathEnv, in order;
// empty and relative entries are skipped (so that a program is never
// found in the working directory by accident). The first regular file the
// account may execute wins. When none qualifies the result is
// ReturnAccessDenied if a file of that name was found that the account
// may not execute, else ReturnPathNotFound. For another user, a
// directory counts only when that user may search it and every
// directory above it, so that the answer tells the user no more than a
// shell of their own would.
func (p *Provider) resolveProgram(name, pathEnv, dir string, ra runAs) (string, uint32) {
	if containsSlash(name) {
		path := name
		if !filepath.IsAbs(path) && dir != "" {
			path = filepath.Join(dir, path)
		}
		if !ra.Impersonate {
			if _, err := os.Stat(path); err != nil {
				return "", pathErrorCode(err)
			}
		}
		if !filepath.IsAbs(path) {
			// exec.Cmd would resolve a relative Path against Dir a second
			// time; make it absolute against the server's directory.
			abs, err := filepath.Abs(path)
			if err != nil {
				return "", ReturnUnknownFailure
			}
			path = abs
		}
		return path, ReturnSuccess
	}
	denied := false
	for _, d := range filepath.SplitList(pathEnv) {
		if d == "" || !filepath.IsAbs(d) {
			continue
		}
		if ra.Impersonate && !canSearch(d, ra) {
			continue
		}
		cand := filepath.Join(d, name)
		fi, err := os.Stat(cand)
		if err != nil || fi.IsDir() {
			continue
		}
		if !fi.Mode().IsRegular() {
			denied = true
			continue
		}
		if mayExec(cand, fi, ra) {
			return cand, ReturnSuccess
		}
		denied = true
	}
	if denied {
		return "", ReturnAccessDenied
	}
	return "", ReturnPathNotFound
}

func containsSlash(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return true
		}
	}
	return false
}

// permExec is the owner's execute (search) permission bit; shifted
// right by 3 it is the group's, by 6 the others'.
const permExec = 0o100

// mayExec reports whether the account may execute the regular file path
// (whose Stat is fi): for the server, access(2); for another user, the
// permission bits judged for that user (access control lists are not
// consulted).
func mayExec(path string, fi fs.FileInfo, ra runAs) bool {
	if !ra.Impersonate {
		return syscall.Access(path, 0x1) == nil // X_OK
	}
	return permits(fi, ra, permExec)
}

// canSearch reports whether the user of ra may search directory dir and
// every directory above it, judged by permission bits.
func canSearch(dir string, ra runAs) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || !fi.IsDir() || !permits(fi, ra, permExec) {
			return false
		}
		if d == "/" || d == "." {
			return true
		}
	}
}

// permits reports whether the owner-class permission bit want (such as
// 0o100) is granted to the user of ra on the file fi, by the classic Unix
// rule: the owner bits for the file's owner, else the group bits for a
// member of the file's group, else the other bits. Root may search any
// directory and execute any file with an execute bit.
func permits(fi fs.FileInfo, ra runAs, want fs.FileMode) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	mode := fi.Mode().Perm()
	if ra.UID == 0 {
		return fi.IsDir() || mode&(want|want>>3|want>>6) != 0
	}
	switch {
	case int(st.Uid) == ra.UID:
		return mode&want != 0
	case int(st.Gid) == ra.GID || slices.Contains(ra.Groups, int(st.Gid)):
		return mode&(want>>3) != 0
	}
	return mode&(want>>6) != 0
}
