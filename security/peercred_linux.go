//go:build linux

package security

import (
	"net"

	"golang.org/x/sys/unix"
)

// peerCred reads SO_PEERCRED: the uid and gid of the peer at the
// time it connected.
func peerCred(c *net.UnixConn) (uid, gid int, err error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var cred *unix.Ucred
	var serr error
	if err := raw.Control(func(fd uintptr) {
		cred, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, 0, err
	}
	if serr != nil {
		return 0, 0, serr
	}
	return int(cred.Uid), int(cred.Gid), nil
}
