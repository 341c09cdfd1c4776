//go:build unix

package security

import (
	"os"
	"os/user"
)

var processIdentity = func() *Identity {
	id := &Identity{UID: os.Getuid(), GIDs: []int{os.Getgid()}, Source: "in-process", Method: "local"}
	id.Admin = id.UID == 0
	if u, err := user.Current(); err == nil {
		id.User = u.Username
		id.Account = u.Username
	}
	return id
}()
