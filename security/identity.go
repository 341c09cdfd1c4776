// Package security holds who is calling: the caller's identity as the
// transports establish it, carried through a call in its context.Context,
// and the namespace access rights of WMI (spec §10).
package security

import (
	"context"
)

// Identity is an authenticated caller.
type Identity struct {
	// User is the user name (a local account, or a remote user name).
	User string
	// Account is the local account the caller acts as: the peer's account
	// on the Unix socket, the account a remote user is mapped to in the
	// password file. It is empty for an unmapped remote user (UID -1).
	Account string
	// UID and GIDs are the local account's ids when known (Unix peer
	// credentials, or a mapped remote user); UID is -1 when unknown.
	UID  int
	GIDs []int
	// Groups are group names used by namespace security descriptors.
	Groups []string
	// Admin reports an administrator: the local root account, or a member
	// of a configured admin group (none by default; docs/SECURITY.md).
	Admin bool
	// Remote reports a caller that came over the network rather than a
	// local socket or in-process.
	Remote bool
	// Source describes where the call came from ("in-process",
	// "unix:/run/wbemd.sock", "tcp:127.0.0.1:54321").
	Source string
	// Method is the authentication method ("local", "basic", "peercred",
	// "cert", "none").
	Method string
}

// Process returns the identity of in-process callers: the account the
// process runs as, with administrator rights when it is root.
func Process() *Identity {
	return processIdentity
}

type identityKey struct{}

// WithIdentity returns a context that carries id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity carried by ctx, or the in-process
// identity when there is none.
func IdentityFrom(ctx context.Context) *Identity {
	if id, ok := ctx.Value(identityKey{}).(*Identity); ok && id != nil {
		return id
	}
	return processIdentity
}
