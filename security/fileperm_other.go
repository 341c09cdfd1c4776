//go:build !unix

package security

import (
	"fmt"
	"io/fs"
)

// checkPrivate refuses anything but a regular file; permissions are left
// to the platform's access control lists.
func checkPrivate(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("security: %s is not a regular file", path)
	}
	return nil
}

// changeStamp has nothing to add on this platform.
func changeStamp(fi fs.FileInfo) [3]int64 { return [3]int64{} }
