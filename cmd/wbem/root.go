package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gowbem/gowbem/client"
	"github.com/gowbem/gowbem/engine"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wbemd"
)

// globals are the flags every command shares.
type globals struct {
	repository string
	namespace  string
	url        string
	user       string
	password   string
	json       bool
}

func newRootCommand() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "wbem",
		Short:         "gowbem command-line tool: MOF, classes, instances and method calls",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.repository, "repository", defaultRepository(), "repository `dir` for in-process use (env WBEM_REPOSITORY)")
	pf.StringVarP(&g.namespace, "namespace", "n", "", "`namespace` (default root/cimv2)")
	pf.StringVar(&g.url, "url", os.Getenv("WBEM_URL"), "server `URL`: http(s)://host:5988 (CIM-XML), wbem://host:5988 or wbems://host:5989 (native), wbem+unix:///path/wbemd.sock (native, local) (env WBEM_URL)")
	pf.StringVar(&g.user, "user", os.Getenv("WBEM_USER"), "user name for --url")
	pf.StringVar(&g.password, "password", os.Getenv("WBEM_PASSWORD"), "password for --url")
	pf.BoolVar(&g.json, "json", false, "print JSON")
	root.AddCommand(
		newMofcompCommand(g),
		newClassesCommand(g),
		newGetClassCommand(g),
		newInstancesCommand(g),
		newMethodCommand(g),
		newInvokeCommand(g),
		newBenchCommand(g),
		newUserCommand(g),
		newSecurityCommand(g),
	)
	return root
}

func defaultRepository() string {
	if d := os.Getenv("WBEM_REPOSITORY"); d != "" {
		return d
	}
	return filepath.Join(wbemd.DefaultDataDir(), "repository")
}

func (g *globals) ns(def string) string {
	if g.namespace != "" {
		return g.namespace
	}
	return def
}

// session is an open connection: remote, or an in-process engine over the
// repository folder.
type session struct {
	svc     wbem.Services
	closers []io.Closer
}

func (s *session) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		_ = s.closers[i].Close()
	}
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// connect opens the services of namespace ns. Remote with --url;
// otherwise in-process on the repository. withProviders compiles the
// built-in providers' MOF into the repository and registers them (what
// wbemd does at start), which method calls need.
func (g *globals) connect(ctx context.Context, ns string, withProviders bool) (*session, error) {
	if g.url != "" {
		conn, err := client.Connect(ctx, g.url, &client.Credentials{User: g.user, Password: g.password})
		if err != nil {
			return nil, err
		}
		svc, err := conn.Services(ctx, ns)
		if err != nil {
			if c, ok := conn.(io.Closer); ok {
				_ = c.Close()
			}
			return nil, err
		}
		s := &session{svc: svc}
		if c, ok := conn.(io.Closer); ok {
			s.closers = append(s.closers, c)
		}
		return s, nil
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if withProviders {
		srv, err := wbemd.New(wbemd.Options{RepositoryDir: g.repository, Logger: quiet})
		if err != nil {
			return nil, err
		}
		s := &session{closers: []io.Closer{closerFunc(func() error { return srv.Shutdown(context.Background()) })}}
		svc, err := srv.Engine().Services(ctx, ns)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.svc = svc
		return s, nil
	}
	repo, err := repository.Open(g.repository, repository.Options{})
	if err != nil {
		return nil, err
	}
	reg := provider.NewRegistry()
	for _, m := range providers.BuiltIn() {
		_ = m.Register(reg)
	}
	eng, err := engine.New(engine.Options{Repository: repo, Providers: reg, Logger: quiet})
	if err != nil {
		repo.Close()
		return nil, err
	}
	svc, err := eng.Services(ctx, ns)
	if err != nil {
		repo.Close()
		return nil, err
	}
	return &session{svc: svc, closers: []io.Closer{repo, closerFunc(func() error { return eng.Shutdown(context.Background()) })}}, nil
}

func printf(cmd *cobra.Command, format string, args ...any) {
	fmt.Fprintf(cmd.OutOrStdout(), format, args...)
}
