//go:build !linux

package security

import (
	"errors"
	"net"
)

// peerCred is not implemented on this platform: every Unix-socket
// connection is refused (ErrPeerCredentials).
func peerCred(c *net.UnixConn) (uid, gid int, err error) {
	return 0, 0, errors.New("not supported on this platform")
}
