package security

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"
)

// ErrPeerCredentials is the error of a Unix-socket connection whose peer
// credentials could not be read (or a platform without them).
var ErrPeerCredentials = errors.New("security: peer credentials unavailable")

// DefaultSocketMode is the default mode of the Unix socket: every local
// account may connect, and each is identified by the kernel as itself.
const DefaultSocketMode fs.FileMode = 0o666

// ListenUnix listens on the Unix domain socket path with the given
// permissions (DefaultSocketMode when 0). The parent directory is created
// (0755) when missing. A stale socket left by a crashed server is
// removed; a socket another server still answers on is an error, and so
// is a path that is not a socket. The socket file is removed when the
// listener is closed.
func ListenUnix(path string, mode fs.FileMode) (*net.UnixListener, error) {
	if mode == 0 {
		mode = DefaultSocketMode
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("security: socket directory: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("security: %s exists and is not a socket", path)
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("security: %s: another server is listening there", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("security: removing the stale socket: %w", err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(true)
	if err := os.Chmod(path, mode); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

type peerKey struct{}

// peerInfo is what ConnContext stores for a Unix-socket connection.
type peerInfo struct {
	id  *Identity
	err error
}

// PeerConnContext returns a function for http.Server.ConnContext that
// reads the peer credentials of every connection accepted on the Unix
// socket path (see PeerIdentity) and stores them in the connection's
// context, where PeerIdentityFrom (and so Authenticator.Authenticate)
// finds them for each request. Other connections pass unchanged.
func PeerConnContext(path string, adminGroups []string) func(context.Context, net.Conn) context.Context {
	return func(ctx context.Context, c net.Conn) context.Context {
		uc, ok := c.(*net.UnixConn)
		if !ok {
			return ctx
		}
		id, err := PeerIdentity(uc, path, adminGroups)
		return context.WithValue(ctx, peerKey{}, &peerInfo{id: id, err: err})
	}
}

// PeerIdentityFrom returns the peer identity PeerConnContext stored in
// ctx. ok is false for a connection that did not come over a Unix socket;
// err is set when the peer credentials could not be read (the request
// must then be refused).
func PeerIdentityFrom(ctx context.Context) (id *Identity, ok bool, err error) {
	p, ok := ctx.Value(peerKey{}).(*peerInfo)
	if !ok {
		return nil, false, nil
	}
	if p.err != nil {
		return nil, true, p.err
	}
	cp := *p.id
	return &cp, true, nil
}

// PeerIdentity returns the identity of the process at the other end of c,
// from the credentials the kernel recorded when it connected: User (the
// account name, or the uid in decimal when it has none), UID, GIDs (the
// peer's group first, then the account's groups), Groups, Admin (uid 0 or
// a member of adminGroups), Remote false, Source "unix:"+path, Method
// "peercred".
func PeerIdentity(c *net.UnixConn, path string, adminGroups []string) (*Identity, error) {
	uid, gid, err := peerCred(c)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPeerCredentials, err)
	}
	id := &Identity{UID: uid, Source: "unix:" + path, Method: "peercred"}
	if a, err := accounts.byUID(uid); err == nil {
		a.apply(id, adminGroups)
		id.User = a.name
		if len(id.GIDs) == 0 || id.GIDs[0] != gid {
			gids := []int{gid}
			for _, g := range id.GIDs {
				if g != gid {
					gids = append(gids, g)
				}
			}
			id.GIDs = gids
			id.Groups = groupNames(gids)
			id.Admin = isAdmin(uid, id.Groups, adminGroups)
		}
	} else {
		id.User = fmt.Sprint(uid)
		id.GIDs = []int{gid}
		id.Groups = groupNames(id.GIDs)
		id.Admin = isAdmin(uid, id.Groups, adminGroups)
	}
	return id, nil
}
