// Command wbemd is the gowbem daemon: a WBEM/CIM object manager serving
// CIM-XML, WS-Management and the native streaming API. With no flags it
// runs with embedded defaults: HTTP and HTTPS on 127.0.0.1, a Unix socket
// in the data directory, a self-signed certificate made on first start
// (see package wbemd and docs/SECURITY.md).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gowbem/gowbem/wbemd"
)

// config is the JSON configuration file; flags override it.
type config struct {
	DataDir                 string   `json:"data_dir"`
	CIMXMLAddr              string   `json:"cimxml_addr"`
	WSManAddr               string   `json:"wsman_addr"`
	CIMXMLSAddr             string   `json:"cimxmls_addr"`
	WSManSAddr              string   `json:"wsmans_addr"`
	UnixSocket              string   `json:"unix_socket"`
	UnixSocketMode          string   `json:"unix_socket_mode"`
	TLSCert                 string   `json:"tls_cert"`
	TLSKey                  string   `json:"tls_key"`
	TLSHosts                []string `json:"tls_hosts"`
	ClientCAFile            string   `json:"client_ca_file"`
	PasswordFile            string   `json:"password_file"`
	PAMService              string   `json:"pam_service"`
	AllowBasicOverHTTP      bool     `json:"allow_basic_over_http"`
	AdminGroups             []string `json:"admin_groups"`
	MaxPendingPerConnection int      `json:"max_pending_per_connection"`
	MaxPendingPerUser       int      `json:"max_pending_per_user"`
	AuditLog                string   `json:"audit_log"`
	MaxWorkersPerProvider   int      `json:"max_workers_per_provider"`
	MaxQueuePerProvider     int      `json:"max_queue_per_provider"`
	OperationTimeout        string   `json:"operation_timeout"`
	ReadHeaderTimeout       string   `json:"read_header_timeout"`
	ReadTimeout             string   `json:"read_timeout"`
	WriteTimeout            string   `json:"write_timeout"`
	IdleTimeout             string   `json:"idle_timeout"`
	MaxHeaderBytes          int      `json:"max_header_bytes"`
	LogLevel                string   `json:"log_level"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wbemd:", err)
		os.Exit(1)
	}
}

func run() error {
	var cfg config
	var adminGroups, tlsHosts string
	cfgPath := flag.String("config", "", "JSON configuration `file`")
	flag.StringVar(&cfg.DataDir, "data-dir", "", "data `directory` (default "+wbemd.DefaultDataDir()+")")
	flag.StringVar(&cfg.CIMXMLAddr, "cimxml-addr", "", "CIM-XML HTTP listen `address` (default "+wbemd.DefaultCIMXMLAddr+"; \"off\" disables)")
	flag.StringVar(&cfg.WSManAddr, "wsman-addr", "", "WS-Management HTTP listen `address` (default "+wbemd.DefaultWSManAddr+"; \"off\" disables)")
	flag.StringVar(&cfg.CIMXMLSAddr, "cimxmls-addr", "", "CIM-XML HTTPS listen `address` (default "+wbemd.DefaultCIMXMLSAddr+"; \"off\" disables)")
	flag.StringVar(&cfg.WSManSAddr, "wsmans-addr", "", "WS-Management HTTPS listen `address` (default "+wbemd.DefaultWSManSAddr+"; \"off\" disables)")
	flag.StringVar(&cfg.UnixSocket, "unix-socket", "", "Unix socket `path` (default DATA-DIR/"+wbemd.SocketName+"; \"off\" disables)")
	flag.StringVar(&cfg.UnixSocketMode, "unix-socket-mode", "", "Unix socket permissions, octal `mode` (default 0666)")
	flag.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate `file` (default: self-signed, made in DATA-DIR/tls)")
	flag.StringVar(&cfg.TLSKey, "tls-key", "", "TLS key `file`")
	flag.StringVar(&tlsHosts, "tls-hosts", "", "extra comma-separated `names` for the self-signed certificate")
	flag.StringVar(&cfg.ClientCAFile, "client-ca", "", "PEM `file` of the CAs whose client certificates log users in")
	flag.StringVar(&cfg.PasswordFile, "password-file", "", "Basic users `file` (default DATA-DIR/"+wbemd.PasswordFileName+"; \"off\" disables Basic)")
	flag.StringVar(&cfg.PAMService, "pam-service", "", "check other Basic users with PAM `service` (builds with -tags pam)")
	flag.BoolVar(&cfg.AllowBasicOverHTTP, "allow-basic-over-http", false, "accept Basic credentials over plain HTTP from loopback clients")
	flag.StringVar(&adminGroups, "admin-groups", "", "comma-separated local `groups` whose members are administrators (root always is)")
	flag.StringVar(&cfg.OperationTimeout, "operation-timeout", "", "end provider calls after this `duration` (default: none)")
	flag.StringVar(&cfg.LogLevel, "log-level", "", "log `level`: debug, info, warn, error (default info)")
	flag.StringVar(&cfg.AuditLog, "audit-log", "", "write one JSON line per method call to `file` (\"-\" for stderr)")
	flag.IntVar(&cfg.MaxPendingPerConnection, "max-pending-per-connection", 0, "calls in flight per connection (default 1000)")
	flag.IntVar(&cfg.MaxPendingPerUser, "max-pending-per-user", 0, "calls in flight per user over all connections (default 10000)")
	flag.Parse()
	if adminGroups != "" {
		cfg.AdminGroups = splitList(adminGroups)
	}
	if tlsHosts != "" {
		cfg.TLSHosts = splitList(tlsHosts)
	}
	if *cfgPath != "" {
		if err := loadConfig(*cfgPath, &cfg); err != nil {
			return err
		}
	}
	var level slog.Level
	if cfg.LogLevel != "" {
		if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
			return fmt.Errorf("log level: %w", err)
		}
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	opts := wbemd.Options{
		DataDir: cfg.DataDir, CIMXMLAddr: cfg.CIMXMLAddr, WSManAddr: cfg.WSManAddr,
		CIMXMLSAddr: cfg.CIMXMLSAddr, WSManSAddr: cfg.WSManSAddr, UnixSocket: cfg.UnixSocket,
		TLSCertFile: cfg.TLSCert, TLSKeyFile: cfg.TLSKey, TLSHosts: cfg.TLSHosts,
		ClientCAFile: cfg.ClientCAFile, PasswordFile: cfg.PasswordFile, PAMService: cfg.PAMService,
		AllowBasicOverHTTP: cfg.AllowBasicOverHTTP, AdminGroups: cfg.AdminGroups,
		MaxHeaderBytes: cfg.MaxHeaderBytes, Logger: log,
		MaxPendingPerConnection: cfg.MaxPendingPerConnection,
		MaxPendingPerUser:       cfg.MaxPendingPerUser,
		MaxWorkersPerProvider:   cfg.MaxWorkersPerProvider,
		MaxQueuePerProvider:     cfg.MaxQueuePerProvider,
	}
	switch cfg.AuditLog {
	case "":
	case "-":
		opts.AuditLog = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	default:
		f, err := os.OpenFile(cfg.AuditLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("audit log: %w", err)
		}
		defer f.Close()
		opts.AuditLog = slog.New(slog.NewJSONHandler(f, nil))
	}
	if cfg.UnixSocketMode != "" {
		m, err := strconv.ParseUint(cfg.UnixSocketMode, 8, 32)
		if err != nil || m > 0o777 {
			return fmt.Errorf("unix socket mode %q: want an octal mode such as 0660", cfg.UnixSocketMode)
		}
		opts.UnixSocketMode = fs.FileMode(m)
	}
	for _, d := range []struct {
		name string
		text string
		dst  *time.Duration
	}{
		{"operation timeout", cfg.OperationTimeout, &opts.OperationTimeout},
		{"read header timeout", cfg.ReadHeaderTimeout, &opts.ReadHeaderTimeout},
		{"read timeout", cfg.ReadTimeout, &opts.ReadTimeout},
		{"write timeout", cfg.WriteTimeout, &opts.WriteTimeout},
		{"idle timeout", cfg.IdleTimeout, &opts.IdleTimeout},
	} {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		*d.dst = v
	}
	srv, err := wbemd.New(opts)
	if err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		_ = srv.Shutdown(context.Background())
		return err
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case err := <-errc:
		return err
	case sig := <-sigs:
		log.Info("shutting down", "signal", sig.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return <-errc
}

// loadConfig reads a JSON configuration file; fields already set by
// flags win.
func loadConfig(path string, cfg *config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var file config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	set(&cfg.DataDir, file.DataDir)
	set(&cfg.CIMXMLAddr, file.CIMXMLAddr)
	set(&cfg.WSManAddr, file.WSManAddr)
	set(&cfg.CIMXMLSAddr, file.CIMXMLSAddr)
	set(&cfg.WSManSAddr, file.WSManSAddr)
	set(&cfg.UnixSocket, file.UnixSocket)
	set(&cfg.UnixSocketMode, file.UnixSocketMode)
	set(&cfg.TLSCert, file.TLSCert)
	set(&cfg.TLSKey, file.TLSKey)
	set(&cfg.ClientCAFile, file.ClientCAFile)
	set(&cfg.PasswordFile, file.PasswordFile)
	set(&cfg.PAMService, file.PAMService)
	set(&cfg.OperationTimeout, file.OperationTimeout)
	set(&cfg.ReadHeaderTimeout, file.ReadHeaderTimeout)
	set(&cfg.ReadTimeout, file.ReadTimeout)
	set(&cfg.WriteTimeout, file.WriteTimeout)
	set(&cfg.IdleTimeout, file.IdleTimeout)
	set(&cfg.LogLevel, file.LogLevel)
	if cfg.TLSHosts == nil {
		cfg.TLSHosts = file.TLSHosts
	}
	if cfg.AdminGroups == nil {
		cfg.AdminGroups = file.AdminGroups
	}
	cfg.AllowBasicOverHTTP = cfg.AllowBasicOverHTTP || file.AllowBasicOverHTTP
	set(&cfg.AuditLog, file.AuditLog)
	if cfg.MaxPendingPerConnection == 0 {
		cfg.MaxPendingPerConnection = file.MaxPendingPerConnection
	}
	if cfg.MaxPendingPerUser == 0 {
		cfg.MaxPendingPerUser = file.MaxPendingPerUser
	}
	cfg.MaxWorkersPerProvider = file.MaxWorkersPerProvider
	cfg.MaxQueuePerProvider = file.MaxQueuePerProvider
	cfg.MaxHeaderBytes = file.MaxHeaderBytes
	return nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
