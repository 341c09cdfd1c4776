// Package wbemd is the gowbem daemon as a library: Options, New, Serve and
// Shutdown. A Server owns a repository (bbolt, in its data directory), the
// engine with the built-in providers, and the listeners that carry
// CIM-XML (POST /cimom), WS-Management (POST /wsman) and the native
// streaming API (/gowbem/v1, WebSocket): plain HTTP on loopback, HTTPS,
// and a Unix domain socket whose callers the kernel identifies. Every
// request is authenticated (see Options and docs/SECURITY.md). cmd/wbemd
// is a thin main around it, and tests embed it directly.
package wbemd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/native"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers"
	"github.com/gowbem/gowbem/providers/systemsecurity"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/wsman"
)

// Options configures a Server. The zero Options runs with the embedded
// defaults: data under DefaultDataDir(); CIM-XML on 127.0.0.1:5988 (HTTP)
// and 127.0.0.1:5989 (HTTPS); WS-Management on 127.0.0.1:5985 (HTTP) and
// 127.0.0.1:5986 (HTTPS); the Unix socket DataDir/wbemd.sock; the native
// API on all of them; a self-signed certificate made on first start;
// Basic logins from DataDir/passwd over HTTPS only; the built-in
// providers.
type Options struct {
	// DataDir holds the repository, the password file, the self-signed
	// certificate and the Unix socket; default DefaultDataDir().
	DataDir string
	// RepositoryDir overrides the repository folder (default
	// DataDir/repository).
	RepositoryDir string
	// CIMXMLAddr, WSManAddr are the plain-HTTP listen addresses; "off"
	// disables one. Both serve the native API at /gowbem/v1 as well.
	// Plain HTTP carries no password unless AllowBasicOverHTTP is set and
	// the client is on loopback, so these default to 127.0.0.1.
	CIMXMLAddr string
	WSManAddr  string
	// CIMXMLSAddr and WSManSAddr are the HTTPS listen addresses (defaults
	// 127.0.0.1:5989 and 127.0.0.1:5986; "off" disables one). They serve
	// the native API too (wbems://).
	CIMXMLSAddr string
	WSManSAddr  string
	// TLSCertFile and TLSKeyFile are the HTTPS certificate and key. When
	// both are empty, a self-signed pair is made in DataDir/tls on first
	// start and reused after (security.EnsureSelfSigned).
	TLSCertFile, TLSKeyFile string
	// TLSHosts are extra host names and addresses for the self-signed
	// certificate (localhost, 127.0.0.1, ::1 and the host name are always
	// in it). They only count when the certificate is made.
	TLSHosts []string
	// ClientCAFile is a PEM bundle of the CAs whose client certificates
	// authenticate HTTPS callers (the subject common name is the user,
	// mapped through the password file). Empty: no client certificates.
	ClientCAFile string
	// UnixSocket is the path of the Unix domain socket (default
	// DataDir/wbemd.sock; "off" disables it). Callers on it are identified
	// by their peer credentials, without a password.
	UnixSocket string
	// UnixSocketMode is the socket's permission bits (default 0666: every
	// local account may connect, as itself). The directory it is in must
	// let callers through too.
	UnixSocketMode fs.FileMode
	// PasswordFile is the file of HTTP Basic users (default
	// DataDir/passwd; "off" disables Basic). A missing file has no
	// users; `wbem user add` creates it. It is reread when it changes.
	PasswordFile string
	// PAMService, when set, checks Basic logins of users who are not in
	// the password file with PAM under that service name; the user is
	// then the local account of that name. Needs a build with the pam tag.
	PAMService string
	// AllowBasicOverHTTP accepts Basic credentials over plain HTTP from
	// loopback clients (never from other addresses). Off by default:
	// passwords then only travel over HTTPS.
	AllowBasicOverHTTP bool
	// AdminGroups are the local groups whose members are administrators
	// (Identity.Admin); the root account always is. Default none.
	AdminGroups []string
	// Authenticate, when set, replaces the built-in authentication (peer
	// credentials, client certificates, Basic) for every protocol. For
	// embedding and tests; it must refuse what it does not know.
	Authenticate func(*http.Request) (*security.Identity, error)
	// Modules are the providers to register and whose MOF to compile;
	// nil means providers.BuiltIn().
	Modules []provider.Module
	// Authorizer decides namespace rights; nil means the namespace security
	// descriptors kept in the repository (security.NamespaceAuthorizer,
	// editable with `wbem security set`).
	Authorizer security.Authorizer
	// AuditLog, when set, gets one line per method call.
	AuditLog *slog.Logger
	// MaxPendingPerUser bounds one user's calls in flight across all
	// connections; 0 takes the engine's default.
	MaxPendingPerUser int
	// Engine limits; zero values take the engine's defaults.
	MaxPendingPerConnection int
	MaxWorkersPerProvider   int
	MaxQueuePerProvider     int
	OperationTimeout        time.Duration
	// ReadHeaderTimeout bounds the TLS handshake and the request headers
	// (default 10 s); ReadTimeout bounds reading a request body (default
	// 60 s); WriteTimeout bounds writing a response once the handler has
	// started it (default 60 s; the time a provider takes is not counted,
	// see OperationTimeout for that); IdleTimeout closes keep-alive
	// connections idle that long (default 120 s). Negative disables one.
	// WebSocket connections of the native API have their own keep-alive.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// MaxHeaderBytes bounds the request headers (default 64 KiB).
	MaxHeaderBytes int
	// Logger receives structured logs; default slog.Default().
	Logger *slog.Logger
}

// Listener kinds, in the order Addrs and TLSAddrs report them.
const (
	kindCIMXML = iota
	kindWSMan
	kindCIMXMLS
	kindWSManS
	kindUnix
)

// listener is one open listener.
type listener struct {
	ln   net.Listener
	kind int
}

// Server is a running (or ready to run) gowbem daemon.
type Server struct {
	opts    Options
	log     *slog.Logger
	repo    *repository.Repository
	engine  *engine.Engine
	mux     *http.ServeMux
	handler http.Handler
	native  *native.Handler

	authOnce sync.Once
	auth     *security.Authenticator
	authErr  error

	mu        sync.Mutex
	listeners []listener
	servers   []*http.Server
	tlsConfig *tls.Config
	ready     atomic.Bool
}

// DefaultDataDir returns /var/lib/gowbem for root and the user's data
// directory ($XDG_DATA_HOME/gowbem, else ~/.local/share/gowbem) otherwise.
func DefaultDataDir() string {
	if d := os.Getenv("WBEMD_DATA_DIR"); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/var/lib/gowbem"
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "gowbem")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "gowbem")
	}
	return filepath.Join(os.TempDir(), "gowbem")
}

// Defaults of Options.
const (
	DefaultCIMXMLAddr        = "127.0.0.1:5988"
	DefaultWSManAddr         = "127.0.0.1:5985"
	DefaultCIMXMLSAddr       = "127.0.0.1:5989"
	DefaultWSManSAddr        = "127.0.0.1:5986"
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	// SocketName is the file name of the Unix socket in the data
	// directory.
	SocketName = "wbemd.sock"
	// PasswordFileName is the file name of the password file in the data
	// directory.
	PasswordFileName = "passwd"
)

// Realm is the realm of the Basic challenges of CIM-XML and WS-Management.
const Realm = "wbemd"

// New opens the repository, compiles the modules' MOF into it, registers
// the providers and builds the engine and protocol handlers. It does not
// listen yet (see Listen and Serve), and it reads no credentials: the
// password file and certificates are loaded by Listen.
func New(opts Options) (*Server, error) {
	if opts.DataDir == "" {
		opts.DataDir = DefaultDataDir()
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&opts.CIMXMLAddr, DefaultCIMXMLAddr)
	def(&opts.WSManAddr, DefaultWSManAddr)
	def(&opts.CIMXMLSAddr, DefaultCIMXMLSAddr)
	def(&opts.WSManSAddr, DefaultWSManSAddr)
	def(&opts.UnixSocket, filepath.Join(opts.DataDir, SocketName))
	def(&opts.PasswordFile, filepath.Join(opts.DataDir, PasswordFileName))
	if (opts.TLSCertFile == "") != (opts.TLSKeyFile == "") {
		return nil, errors.New("wbemd: TLSCertFile and TLSKeyFile go together")
	}
	dur := func(p *time.Duration, v time.Duration) {
		switch {
		case *p == 0:
			*p = v
		case *p < 0:
			*p = 0
		}
	}
	dur(&opts.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	dur(&opts.ReadTimeout, DefaultReadTimeout)
	dur(&opts.WriteTimeout, DefaultWriteTimeout)
	dur(&opts.IdleTimeout, DefaultIdleTimeout)
	if opts.MaxHeaderBytes <= 0 {
		opts.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if opts.UnixSocketMode == 0 {
		opts.UnixSocketMode = security.DefaultSocketMode
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Modules == nil {
		opts.Modules = providers.BuiltIn()
	}
	if opts.RepositoryDir == "" {
		opts.RepositoryDir = filepath.Join(opts.DataDir, "repository")
	}
	if err := os.MkdirAll(opts.RepositoryDir, 0o700); err != nil {
		return nil, fmt.Errorf("wbemd: data directory: %w", err)
	}
	repo, err := repository.Open(opts.RepositoryDir, repository.Options{})
	if err != nil {
		return nil, fmt.Errorf("wbemd: %w", err)
	}
	reg := provider.NewRegistry()
	for i := range opts.Modules {
		m := &opts.Modules[i]
		if err := m.Register(reg); err != nil {
			repo.Close()
			return nil, fmt.Errorf("wbemd: provider %s: %w", m.Name, err)
		}
		if strings.EqualFold(m.Name, systemsecurity.ProviderName) {
			continue // compiled into every namespace below
		}
		if _, err := mof.CompileSource(repo, m.MOFName, m.MOF, mof.CompileOptions{Namespace: m.Namespace, KeepExisting: keepDMTF}); err != nil {
			repo.Close()
			return nil, fmt.Errorf("wbemd: compiling %s: %w", m.MOFName, err)
		}
	}
	// __SystemSecurity lives in every namespace, as in WMI.
	for _, m := range opts.Modules {
		if !strings.EqualFold(m.Name, systemsecurity.ProviderName) {
			continue
		}
		for _, ns := range repo.Namespaces() {
			if _, err := mof.CompileSource(repo, m.MOFName, m.MOF, mof.CompileOptions{Namespace: ns, KeepExisting: keepDMTF}); err != nil {
				repo.Close()
				return nil, fmt.Errorf("wbemd: compiling %s into %s: %w", m.MOFName, ns, err)
			}
		}
	}
	authz := opts.Authorizer
	if authz == nil {
		a, err := security.NewNamespaceAuthorizer(security.NamespaceAuthorizerOptions{Store: security.NewRepositorySDStore(repo), Logger: opts.Logger})
		if err != nil {
			repo.Close()
			return nil, fmt.Errorf("wbemd: %w", err)
		}
		authz = a
	}
	eng, err := engine.New(engine.Options{
		Repository: repo, Providers: reg, Logger: opts.Logger,
		Authorizer: authz, Audit: opts.AuditLog, MaxPendingPerUser: opts.MaxPendingPerUser,
		MaxPendingPerConnection: opts.MaxPendingPerConnection,
		MaxWorkersPerProvider:   opts.MaxWorkersPerProvider,
		MaxQueuePerProvider:     opts.MaxQueuePerProvider,
		OperationTimeout:        opts.OperationTimeout,
	})
	if err != nil {
		repo.Close()
		return nil, err
	}
	s := &Server{opts: opts, log: opts.Logger, repo: repo, engine: eng, mux: http.NewServeMux()}
	authn := s.authenticate
	if opts.Authenticate != nil {
		authn = opts.Authenticate
	}
	cx := cimxml.NewHandler(cimxml.HandlerOptions{Connector: eng, Logger: opts.Logger, Authenticate: authn, Realm: Realm})
	s.mux.Handle("POST /cimom", cx)
	s.mux.Handle("M-POST /cimom", cx)
	s.mux.Handle("POST /wsman", wsman.NewHandler(wsman.HandlerOptions{Connector: eng, Logger: opts.Logger, Authenticate: authn}))
	s.native = native.NewHandler(native.HandlerOptions{Connector: eng, Logger: opts.Logger, Authenticate: authn})
	s.mux.Handle(native.Path, s.native)
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	s.handler = s.limits(s.guard(s.mux))
	return s, nil
}

// authenticator builds the Authenticator (once): the password file, PAM,
// the mapping of certificate users.
func (s *Server) authenticator() (*security.Authenticator, error) {
	s.authOnce.Do(func() {
		ao := security.AuthenticatorOptions{AllowBasicOverHTTP: s.opts.AllowBasicOverHTTP, Logger: s.log}
		var pf *security.PasswordFile
		if s.opts.PasswordFile != "off" {
			var err error
			pf, err = security.LoadPasswordFile(s.opts.PasswordFile, &security.PasswordOptions{AdminGroups: s.opts.AdminGroups, Logger: s.log, RecheckInterval: time.Second})
			if err != nil {
				s.authErr = fmt.Errorf("wbemd: %w", err)
				return
			}
			ao.Passwords, ao.Users = pf, pf
		}
		if s.opts.PAMService != "" {
			pam, err := security.NewPAMVerifier(s.opts.PAMService, s.opts.AdminGroups)
			if err != nil {
				s.authErr = fmt.Errorf("wbemd: %w", err)
				return
			}
			ao.Passwords = security.FirstKnown(pf, pam)
		}
		s.auth = security.NewAuthenticator(ao)
	})
	return s.auth, s.authErr
}

// authenticate is the transports' Authenticate hook.
func (s *Server) authenticate(r *http.Request) (*security.Identity, error) {
	a, err := s.authenticator()
	if err != nil {
		return nil, err
	}
	return a.Authenticate(r)
}

// guard refuses Basic credentials over plain HTTP with an explanation
// (security.Authenticator.Guard), unless Options.Authenticate replaces
// the built-in authentication.
func (s *Server) guard(next http.Handler) http.Handler {
	if s.opts.Authenticate != nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := s.authenticator()
		if err != nil {
			s.log.Error("authentication unavailable", "err", err)
			http.Error(w, "authentication unavailable", http.StatusInternalServerError)
			return
		}
		a.Guard(next).ServeHTTP(w, r)
	})
}

// keepDMTF keeps DMTF classes (CIM_*) that exist in the repository when
// a built-in provider's MOF declares its own subset of them, so that a
// CIM Schema the user compiled is never replaced.
func keepDMTF(_, class string) bool { return strings.HasPrefix(strings.ToUpper(class), "CIM_") }

// Engine returns the server's object manager (for in-process use).
func (s *Server) Engine() *engine.Engine { return s.engine }

// Repository returns the server's repository.
func (s *Server) Repository() *repository.Repository { return s.repo }

// Handler returns the HTTP handler serving every protocol, with the
// server's authentication and request time limits.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen loads the credentials (password file, certificates; a missing
// self-signed certificate is made) and opens the configured listeners
// (an address ending in ":0" gets a free port; see Addrs, TLSAddrs and
// UnixAddr).
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listeners) > 0 {
		return errors.New("wbemd: already listening")
	}
	if s.opts.Authenticate == nil {
		if _, err := s.authenticator(); err != nil {
			return err
		}
	}
	want := []struct {
		addr string
		kind int
	}{
		{s.opts.CIMXMLAddr, kindCIMXML}, {s.opts.WSManAddr, kindWSMan},
		{s.opts.CIMXMLSAddr, kindCIMXMLS}, {s.opts.WSManSAddr, kindWSManS},
		{s.opts.UnixSocket, kindUnix},
	}
	var lns []listener
	fail := func(err error) error {
		for _, l := range lns {
			l.ln.Close()
		}
		return err
	}
	for _, w := range want {
		if w.addr == "off" {
			continue
		}
		var ln net.Listener
		var err error
		switch w.kind {
		case kindUnix:
			ln, err = security.ListenUnix(w.addr, s.opts.UnixSocketMode)
		case kindCIMXMLS, kindWSManS:
			if s.tlsConfig == nil {
				if s.tlsConfig, err = s.serverTLS(); err != nil {
					return fail(err)
				}
			}
			ln, err = net.Listen("tcp", w.addr)
		default:
			ln, err = net.Listen("tcp", w.addr)
		}
		if err != nil {
			return fail(fmt.Errorf("wbemd: listen %s: %w", w.addr, err))
		}
		lns = append(lns, listener{ln: ln, kind: w.kind})
	}
	s.listeners = lns
	return nil
}

// serverTLS loads (or makes) the certificate and the client CAs.
func (s *Server) serverTLS() (*tls.Config, error) {
	certFile, keyFile := s.opts.TLSCertFile, s.opts.TLSKeyFile
	if certFile == "" {
		var err error
		certFile, keyFile, err = security.EnsureSelfSigned(filepath.Join(s.opts.DataDir, "tls"), s.opts.TLSHosts)
		if err != nil {
			return nil, fmt.Errorf("wbemd: %w", err)
		}
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("wbemd: TLS certificate: %w", err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{pair},
		MinVersion:   tls.VersionTLS12,
		// HTTP/1.1 only: the native API upgrades to WebSocket, and no
		// WBEM client speaks HTTP/2.
		NextProtos: []string{"http/1.1"},
	}
	if s.opts.ClientCAFile != "" {
		pool, err := security.LoadCertPool(s.opts.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("wbemd: client CAs: %w", err)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// addrs returns the addresses of the listeners of the given kinds.
func (s *Server) addrs(kinds ...int) []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Addr
	for _, l := range s.listeners {
		if slices.Contains(kinds, l.kind) {
			out = append(out, l.ln.Addr())
		}
	}
	return out
}

// Addrs returns the plain-HTTP addresses the server listens on, CIM-XML
// first (see TLSAddrs and UnixAddr for the others).
func (s *Server) Addrs() []net.Addr { return s.addrs(kindCIMXML, kindWSMan) }

// TLSAddrs returns the HTTPS addresses the server listens on, CIM-XML
// first.
func (s *Server) TLSAddrs() []net.Addr { return s.addrs(kindCIMXMLS, kindWSManS) }

// UnixAddr returns the path of the Unix socket the server listens on, or
// "" when it does not.
func (s *Server) UnixAddr() string {
	if a := s.addrs(kindUnix); len(a) > 0 {
		return a[0].String()
	}
	return ""
}

// TLSConfig returns a copy of the HTTPS configuration (nil before Listen,
// or without HTTPS listeners). Its Certificates[0].Leaf is the server's
// certificate, for clients that pin it.
func (s *Server) TLSConfig() *tls.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tlsConfig == nil {
		return nil
	}
	return s.tlsConfig.Clone()
}

// Serve listens (if Listen was not called) and serves until Shutdown. It
// returns nil after a graceful shutdown.
func (s *Server) Serve() error {
	s.mu.Lock()
	need := len(s.listeners) == 0
	s.mu.Unlock()
	if need {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	errc := make(chan error, len(s.listeners))
	for _, l := range s.listeners {
		hs := &http.Server{
			Handler:           s.handler,
			ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
			IdleTimeout:       s.opts.IdleTimeout,
			MaxHeaderBytes:    s.opts.MaxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		}
		ln := l.ln
		proto := "http"
		switch l.kind {
		case kindUnix:
			hs.ConnContext = security.PeerConnContext(ln.Addr().String(), s.opts.AdminGroups)
			proto = "unix"
		case kindCIMXMLS, kindWSManS:
			ln = tls.NewListener(ln, s.tlsConfig)
			proto = "https"
		}
		s.servers = append(s.servers, hs)
		go func() { errc <- hs.Serve(ln) }()
		s.log.Info("listening", "addr", l.ln.Addr().String(), "protocol", proto)
	}
	n := len(s.listeners)
	s.mu.Unlock()
	s.ready.Store(true)
	var first error
	for range n {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) && first == nil {
			first = err
		}
	}
	return first
}

// Ready reports whether the server is serving.
func (s *Server) Ready() bool { return s.ready.Load() }

// Shutdown stops accepting connections, lets calls in flight finish until
// ctx is done, ends the rest with WBEM_E_SHUTTING_DOWN and closes the
// repository.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	err := s.engine.Shutdown(ctx)
	s.mu.Lock()
	servers := s.servers
	listeners := s.listeners
	s.mu.Unlock()
	for _, hs := range servers {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = hs.Shutdown(sctx)
		cancel()
	}
	// http.Server.Shutdown leaves hijacked WebSocket connections open: the
	// engine has ended every call by now, so close them.
	_ = s.native.Close()
	if len(servers) == 0 {
		// Listen without Serve: close the listeners (and remove the
		// socket) here.
		for _, l := range listeners {
			l.ln.Close()
		}
	}
	if cerr := s.repo.Close(); err == nil || errors.Is(err, context.DeadlineExceeded) {
		if cerr != nil {
			return cerr
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
