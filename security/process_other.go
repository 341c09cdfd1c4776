//go:build !unix

package security

import "os/user"

var processIdentity = func() *Identity {
	id := &Identity{UID: -1, Source: "in-process", Method: "local", Admin: true}
	if u, err := user.Current(); err == nil {
		id.User = u.Username
	}
	return id
}()
