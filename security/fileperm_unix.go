//go:build unix

package security

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkPrivate refuses a secret file (password file, TLS key) that others
// than its owner can read or write, or that belongs to someone other than
// this process's user or root: either would let another account read the
// secrets or add itself.
func checkPrivate(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("security: %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return &PermissionError{Path: path, Mode: perm, Owner: -1}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := int(st.Uid); uid != 0 && uid != os.Geteuid() {
			return &PermissionError{Path: path, Mode: fi.Mode().Perm(), Owner: uid}
		}
	}
	return nil
}

// changeStamp returns what tells a file's metadata changes apart beyond
// size and modification time: the change time and the owner.
func changeStamp(fi fs.FileInfo) [3]int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		sec, nsec := ctime(st)
		return [3]int64{sec, nsec, int64(st.Uid)}
	}
	return [3]int64{}
}
