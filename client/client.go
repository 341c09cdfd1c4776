// Package client connects to a remote gowbem (or other WBEM) server and
// returns a wbem.Connector, so that code written against wbem.Services
// runs unchanged against the in-process engine or a remote wbemd:
//
//	conn, err := client.Connect(ctx, "wbem://server:5988", &client.Credentials{User: "u", Password: "p"})
//	svc, err := conn.Services(ctx, "root/cimv2")
//	call, err := wbem.Start(ctx, svc, `TestMeth`, "Echo", in, wbem.FlagSendStatus, nil)
//
// The URL scheme chooses the transport:
//
//   - wbem://host[:port] and wbems://host[:port]: the native streaming
//     protocol (package native) over WebSocket (ws:// and wss://) at
//     native.Path; the port defaults to 5988 and 5989.
//   - ws:// and wss://: the native protocol at the URL given (native.Path
//     when it has no path).
//   - http:// and https://: CIM-XML (package cimxml) at /cimom unless the
//     URL has a path.
//   - wbem+unix:///path/to/wbemd.sock: the native protocol over wbemd's
//     Unix domain socket, where the server knows the caller from the
//     socket's peer credentials (no password).
//
// The native protocol carries every operation of wbem.Services, with the
// full asynchronous semantics of ExecMethodAsync (progress, cancellation
// that reaches the provider, exactly one final status); see
// docs/PROTOCOL.md. The returned Connector is also an io.Closer; close it
// when done.
package client

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/native"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// Default ports of the wbem:// and wbems:// schemes.
const (
	// DefaultPort is the port of wbem:// URLs without one.
	DefaultPort = "5988"
	// DefaultTLSPort is the port of wbems:// URLs without one.
	DefaultTLSPort = "5989"
)

// Credentials are the user name and password sent as HTTP Basic
// authentication (on the WebSocket handshake for the native protocol, on
// every request for CIM-XML).
type Credentials struct {
	// User is the user name.
	User string
	// Password is the user's password.
	Password string
}

// Options configures ConnectWith. The zero value is usable.
type Options struct {
	// Credentials authenticate the caller; nil connects anonymously (or
	// with credentials given in the URL's user information).
	Credentials *Credentials
	// TLSConfig is used for wbems://, wss:// and https:// (ignored when
	// HTTPClient is set).
	TLSConfig *tls.Config
	// HTTPClient, when set, carries the handshake (native) or the requests
	// (CIM-XML).
	HTTPClient *http.Client
	// Timeout bounds each CIM-XML request; 0 means only the context's.
	Timeout time.Duration
	// Native tunes the native protocol; its credentials and TLS settings
	// are taken from the fields above when they are empty.
	Native native.DialOptions
	// Logger receives connection-level logs of the native protocol.
	Logger *slog.Logger
}

// Connect connects to the server at rawURL (see the package
// documentation for the schemes) with cred (nil for none).
func Connect(ctx context.Context, rawURL string, cred *Credentials) (wbem.Connector, error) {
	return ConnectWith(ctx, rawURL, Options{Credentials: cred})
}

// ConnectWith is Connect with options. The returned Connector implements
// io.Closer.
func ConnectWith(ctx context.Context, rawURL string, opts Options) (wbem.Connector, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "invalid URL %q: %v", rawURL, err)
	}
	if strings.EqualFold(u.Scheme, "wbem+unix") {
		return dialUnix(ctx, u, opts)
	}
	if u.Host == "" {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "URL %q has no host", rawURL)
	}
	user, password := "", ""
	if opts.Credentials != nil {
		user, password = opts.Credentials.User, opts.Credentials.Password
	}
	switch scheme := strings.ToLower(u.Scheme); scheme {
	case "wbem", "wbems", "ws", "wss":
		if scheme == "wbem" || scheme == "wbems" {
			if u.Port() == "" {
				port := DefaultPort
				if scheme == "wbems" {
					port = DefaultTLSPort
				}
				u.Host = net.JoinHostPort(u.Hostname(), port)
			}
			u.Scheme = map[string]string{"wbem": "ws", "wbems": "wss"}[scheme]
			if u.Path == "" || u.Path == "/" {
				u.Path = native.Path
			}
		}
		no := opts.Native
		if no.User == "" {
			no.User, no.Password = user, password
		}
		if no.TLSConfig == nil {
			no.TLSConfig = opts.TLSConfig
		}
		if no.HTTPClient == nil {
			no.HTTPClient = opts.HTTPClient
		}
		if no.Logger == nil {
			no.Logger = opts.Logger
		}
		c, err := native.Dial(ctx, u.String(), &no)
		if err != nil {
			return nil, err
		}
		return c, nil
	case "http", "https":
		c, err := cimxml.Dial(ctx, u.String(), cimxml.ClientOptions{
			HTTPClient: opts.HTTPClient, TLSConfig: opts.TLSConfig,
			Username: user, Password: password, Timeout: opts.Timeout,
		})
		if err != nil {
			return nil, err
		}
		return c, nil
	default:
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER,
			"URL %q: scheme must be wbem, wbems, ws, wss, http or https", rawURL)
	}
}

// Interface guards: both transports' connectors can be closed.
var (
	_ io.Closer = (*native.Conn)(nil)
	_ io.Closer = (*cimxml.Client)(nil)
)

// dialUnix connects to the native protocol over a Unix domain socket.
func dialUnix(ctx context.Context, u *url.URL, opts Options) (wbem.Connector, error) {
	sock := u.Path
	if sock == "" {
		return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "URL %q names no socket", u.String())
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}
	no := opts.Native
	if no.User == "" && opts.Credentials != nil {
		no.User, no.Password = opts.Credentials.User, opts.Credentials.Password
	}
	no.HTTPClient = &http.Client{Transport: tr}
	if no.Logger == nil {
		no.Logger = opts.Logger
	}
	c, err := native.Dial(ctx, "ws://localhost"+native.Path, &no)
	if err != nil {
		return nil, err
	}
	return c, nil
}
