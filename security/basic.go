package security

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"time"
)

// Errors of Authenticator.Authenticate. The transports answer each with
// 401 and a Basic challenge; the log tells them apart.
var (
	// ErrNoCredentials: the request carries neither Basic credentials
	// nor a verified client certificate, and did not come over the Unix
	// socket.
	ErrNoCredentials = errors.New("security: no credentials")
	// ErrRateLimited: too many failed logins for the user or from the
	// source; the password was not checked.
	ErrRateLimited = errors.New("security: too many failed logins, try again later")
	// ErrBasicOverHTTP: Basic credentials over plain HTTP, refused
	// because they would travel in clear text (see
	// AuthenticatorOptions.AllowBasicOverHTTP).
	ErrBasicOverHTTP = errors.New("security: HTTP Basic authentication over plain HTTP is refused; use HTTPS or the Unix socket")
	// ErrNoPasswordLogin: Basic credentials when no password file (or
	// other password verifier) is configured.
	ErrNoPasswordLogin = errors.New("security: password logins are not configured")
	// ErrCertificateName: a verified client certificate without a
	// subject common name.
	ErrCertificateName = errors.New("security: the client certificate has no common name")
)

// Defaults of AuthenticatorOptions.
const (
	DefaultUserFailureBurst   = 5
	DefaultSourceFailureBurst = 20
	DefaultFailureRefill      = time.Minute
	DefaultInitialBackoff     = time.Second
	DefaultMaxBackoff         = time.Minute
)

// PasswordVerifier checks a user name and password and returns the
// user's identity. *PasswordFile implements it; so does the PAM verifier
// of builds with the pam tag.
type PasswordVerifier interface {
	Verify(user, password string) (*Identity, error)
}

var _ PasswordVerifier = (*PasswordFile)(nil)

// AuthenticatorOptions configure NewAuthenticator. The zero value refuses
// everything but Unix-socket peers.
type AuthenticatorOptions struct {
	// Passwords verifies Basic credentials (nil: Basic is refused).
	Passwords PasswordVerifier
	// Users maps the common name of a verified client certificate to a
	// local account; nil leaves certificate users unmapped (UID -1).
	// Client certificates are verified by the TLS layer (the server's
	// tls.Config ClientCAs); the Authenticator only reads the verified
	// chain.
	Users *PasswordFile
	// AllowBasicOverHTTP accepts Basic credentials over plain HTTP from
	// loopback addresses. Basic over plain HTTP from any other address is
	// always refused.
	AllowBasicOverHTTP bool
	// UserFailureBurst and SourceFailureBurst are how many failed logins
	// a user name and a source address may have before they are blocked
	// (defaults 5 and 20); FailureRefill is how long it takes to earn
	// back one (default 1 minute). A blocked name or address waits
	// InitialBackoff (default 1 s), doubled with every further failure up
	// to MaxBackoff (default 1 minute). IPv6 sources count per /64.
	UserFailureBurst   int
	SourceFailureBurst int
	FailureRefill      time.Duration
	InitialBackoff     time.Duration
	MaxBackoff         time.Duration
	// MaxConcurrentVerifications bounds the password comparisons run at
	// once (bcrypt is costly on purpose); default GOMAXPROCS.
	MaxConcurrentVerifications int
	// Logger receives a Warn record for every failed login (user, source,
	// reason); default slog.Default().
	Logger *slog.Logger
}

// Authenticator establishes the identity of HTTP requests, for the
// transports' Authenticate hooks:
//
//   - a request over the Unix socket is its peer (PeerConnContext), and
//     any credentials it carries are ignored;
//   - a request over TLS with a verified client certificate is the
//     certificate's subject common name, mapped like a password-file user;
//   - HTTP Basic credentials are checked against the password verifier,
//     over TLS, or over plain HTTP from loopback when AllowBasicOverHTTP
//     is set;
//   - anything else is refused (ErrNoCredentials).
//
// Failed logins are logged and rate limited per user name and per source
// address. An Authenticator is safe for concurrent use.
type Authenticator struct {
	opts    AuthenticatorOptions
	log     *slog.Logger
	users   *failureLimiter
	sources *failureLimiter
	sem     chan struct{}
	now     func() time.Time
}

// NewAuthenticator returns an Authenticator with opts.
func NewAuthenticator(opts AuthenticatorOptions) *Authenticator {
	if opts.UserFailureBurst <= 0 {
		opts.UserFailureBurst = DefaultUserFailureBurst
	}
	if opts.SourceFailureBurst <= 0 {
		opts.SourceFailureBurst = DefaultSourceFailureBurst
	}
	if opts.FailureRefill <= 0 {
		opts.FailureRefill = DefaultFailureRefill
	}
	if opts.InitialBackoff <= 0 {
		opts.InitialBackoff = DefaultInitialBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MaxBackoff < opts.InitialBackoff {
		opts.MaxBackoff = opts.InitialBackoff
	}
	if opts.MaxConcurrentVerifications <= 0 {
		opts.MaxConcurrentVerifications = runtime.GOMAXPROCS(0)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Authenticator{
		opts:    opts,
		log:     log,
		users:   newFailureLimiter(opts.UserFailureBurst, opts.FailureRefill, opts.InitialBackoff, opts.MaxBackoff, 1<<16),
		sources: newFailureLimiter(opts.SourceFailureBurst, opts.FailureRefill, opts.InitialBackoff, opts.MaxBackoff, 1<<16),
		sem:     make(chan struct{}, opts.MaxConcurrentVerifications),
		now:     time.Now,
	}
}

// Authenticate returns the identity of the caller of r, or an error (see
// the package's Err variables) after logging the failure. Its signature
// is the transports' HandlerOptions.Authenticate.
func (a *Authenticator) Authenticate(r *http.Request) (*Identity, error) {
	if id, ok, err := PeerIdentityFrom(r.Context()); ok {
		if err != nil {
			a.log.Warn("authentication failed", "method", "peercred", "source", "unix", "reason", err.Error())
			return nil, err
		}
		return id, nil
	}
	source := "tcp:" + r.RemoteAddr
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		cn := r.TLS.VerifiedChains[0][0].Subject.CommonName
		if cn == "" {
			a.log.Warn("authentication failed", "method", "cert", "source", source, "reason", ErrCertificateName.Error())
			return nil, ErrCertificateName
		}
		var id *Identity
		if a.opts.Users != nil {
			id = a.opts.Users.MappedIdentity(cn)
		} else {
			id = &Identity{User: cn, UID: -1}
		}
		id.Remote, id.Source, id.Method = true, source, "cert"
		return id, nil
	}
	user, password, ok := r.BasicAuth()
	if !ok {
		if r.Header.Get("Authorization") != "" {
			a.fail("", source, "", "unsupported or malformed Authorization header")
		}
		return nil, ErrNoCredentials
	}
	if r.TLS == nil && !(a.opts.AllowBasicOverHTTP && isLoopback(r.RemoteAddr)) {
		a.fail(user, source, "basic", ErrBasicOverHTTP.Error())
		return nil, ErrBasicOverHTTP
	}
	if a.opts.Passwords == nil {
		a.fail(user, source, "basic", ErrNoPasswordLogin.Error())
		return nil, ErrNoPasswordLogin
	}
	ukey, skey := "u:"+user, "s:"+sourceKey(r.RemoteAddr)
	now := a.now()
	if wait := max(a.users.blocked(now, ukey), a.sources.blocked(now, skey)); wait > 0 {
		a.fail(user, source, "basic", fmt.Sprintf("rate limited for another %s", wait.Round(time.Millisecond)))
		return nil, ErrRateLimited
	}
	if err := a.acquire(r.Context()); err != nil {
		return nil, err
	}
	id, err := a.opts.Passwords.Verify(user, password)
	<-a.sem
	if err != nil {
		a.fail(user, source, "basic", err.Error())
		if !errors.Is(err, ErrBadCredentials) {
			// The verifier is broken (an unusable password file), not
			// the caller: no strike against the user or the source.
			return nil, err
		}
		a.users.fail(a.now(), ukey)
		a.sources.fail(a.now(), skey)
		return nil, ErrBadCredentials
	}
	a.users.succeed(ukey)
	cp := *id
	cp.Remote, cp.Source, cp.Method = true, source, "basic"
	return &cp, nil
}

func (a *Authenticator) acquire(ctx context.Context) error {
	select {
	case a.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fail logs a failed login.
func (a *Authenticator) fail(user, source, method, reason string) {
	if len(user) > 64 {
		user = user[:64] + "…"
	}
	a.log.Warn("authentication failed", "user", user, "source", source, "method", method, "reason", reason)
}

// Guard wraps next with the refusal of Basic credentials over plain HTTP:
// such a request (not from loopback with AllowBasicOverHTTP, not over
// the Unix socket) is answered 403 with a text explaining why, instead of
// the transports' bare 401, so that a user sees what to change. The
// password has travelled in clear text already; the answer tells them so.
func (a *Authenticator) Guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil && hasBasic(r) {
			if _, peer, _ := PeerIdentityFrom(r.Context()); !peer && !(a.opts.AllowBasicOverHTTP && isLoopback(r.RemoteAddr)) {
				user, _, _ := r.BasicAuth()
				a.fail(user, "tcp:"+r.RemoteAddr, "basic", ErrBasicOverHTTP.Error())
				w.Header().Set("Connection", "close")
				http.Error(w, "gowbem: HTTP Basic authentication over plain HTTP is refused, "+
					"because the password travels in clear text (consider it disclosed). "+
					"Use HTTPS (CIM-XML port 5989, WS-Management port 5986) or, locally, the Unix socket.",
					http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func hasBasic(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	return len(h) >= 6 && strings.EqualFold(h[:6], "basic ")
}

// isLoopback reports whether the host of addr ("host:port") is a loopback
// address.
func isLoopback(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return false
		}
		a, err := netip.ParseAddr(host)
		return err == nil && a.Unmap().IsLoopback()
	}
	return ap.Addr().Unmap().IsLoopback()
}

// sourceKey is the rate-limiting key of a remote address: the IPv4
// address, or the /64 of an IPv6 address (one site usually holds a whole
// /64).
func sourceKey(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}
