package security

import "context"

// Rights is a mask of WMI namespace access rights (WBEM_SECURITY_FLAGS,
// spec §10.1).
type Rights uint32

// Namespace access rights.
const (
	// Enable allows connecting and reading (WBEM_ENABLE).
	Enable Rights = 0x1
	// MethodExecute allows executing methods (WBEM_METHOD_EXECUTE).
	MethodExecute Rights = 0x2
	// FullWrite allows writing classes and instances (WBEM_FULL_WRITE_REP).
	FullWrite Rights = 0x4
	// PartialWrite allows writing static instances (WBEM_PARTIAL_WRITE_REP).
	PartialWrite Rights = 0x8
	// WriteProvider allows writing through providers (WBEM_WRITE_PROVIDER).
	WriteProvider Rights = 0x10
	// RemoteAccess allows all of the above remotely (WBEM_REMOTE_ACCESS).
	RemoteAccess Rights = 0x20
	// Subscribe allows subscribing to events (WBEM_RIGHT_SUBSCRIBE).
	Subscribe Rights = 0x40
	// Publish allows publishing events (WBEM_RIGHT_PUBLISH).
	Publish Rights = 0x80
	// ReadControl allows reading the namespace security (READ_CONTROL).
	ReadControl Rights = 0x20000
	// WriteDAC allows changing the namespace security (WRITE_DAC).
	WriteDAC Rights = 0x40000
)

// Authorizer decides whether the caller may use rights on a namespace.
// It returns nil to allow, or an error carrying WBEM_E_ACCESS_DENIED (or
// WBEM_E_ENCRYPTED_CONNECTION_REQUIRED). It is consulted on every call, so
// changes apply at once.
type Authorizer interface {
	Authorize(ctx context.Context, id *Identity, namespace string, rights Rights) error
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, id *Identity, namespace string, rights Rights) error

// Authorize calls f.
func (f AuthorizerFunc) Authorize(ctx context.Context, id *Identity, namespace string, rights Rights) error {
	return f(ctx, id, namespace, rights)
}
