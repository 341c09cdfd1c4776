package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/client"
	"github.com/gowbem/gowbem/loadgen"
	"github.com/gowbem/gowbem/wbem"
)

func newBenchCommand(g *globals) *cobra.Command {
	var (
		protocol  string
		conns     int
		inflight  int
		duration  time.Duration
		warm      time.Duration
		withFloor bool
		serve     string
	)
	c := &cobra.Command{
		Use:   "bench --url URL [--protocol cimxml|wsman|native] [--conns N] [--inflight N] [--duration D] [--floor]",
		Short: "Load a server with TestMeth.Echo and report calls/s and latency",
		Long: `Load a running wbemd with TestMeth.Echo(sInArg="hello") in root/default.

cimxml and wsman post fixed requests over --conns keep-alive connections
(one call in flight on each). native multiplexes --inflight calls over one
connection. --floor also measures, in the same run and with the same
client, a trivial Go HTTP handler answering every POST with 600 bytes, and
prints each figure as a ratio to it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if serve != "" {
				return serveFloor(cmd, serve)
			}
			if g.url == "" {
				return fmt.Errorf("bench needs --url")
			}
			ctx := cmd.Context()
			u, err := url.Parse(g.url)
			if err != nil {
				return err
			}
			var floor *loadgen.Result
			if withFloor && protocol != "native" {
				furl, stop, err := loadgen.StartFloor()
				if err != nil {
					return err
				}
				p := loadgen.NewHTTPPoster(furl, []byte(loadgen.CIMXMLEcho), nil, loadgen.FloorBody[:16], conns)
				floor = loadgen.Run(ctx, fmt.Sprintf("floor (%d conns)", conns), conns, warm, duration, p.Call)
				p.Close()
				stop()
				if !g.json {
					printf(cmd, "%s\n", floor)
				}
			}
			var res *loadgen.Result
			switch protocol {
			case "floor":
				// A floor server in another process (wbem bench --serve-floor).
				p := loadgen.NewHTTPPoster("http://"+u.Host+"/", []byte(loadgen.CIMXMLEcho), nil, loadgen.FloorBody[:16], conns)
				defer p.Close()
				res = loadgen.Run(ctx, fmt.Sprintf("floor process (%d conns)", conns), conns, warm, duration, p.Call)
			case "cimxml":
				target := "http://" + u.Host + "/cimom"
				hdr := loadgen.CIMXMLHeader("Echo", "root%2Fdefault%3ATestMeth")
				g.basicAuth(hdr)
				p := loadgen.NewHTTPPoster(target, []byte(loadgen.CIMXMLEcho), hdr, []byte(`<VALUE>5</VALUE>`), conns)
				defer p.Close()
				res = loadgen.Run(ctx, fmt.Sprintf("cimxml (%d conns)", conns), conns, warm, duration, p.Call)
			case "wsman":
				target := "http://" + u.Host + "/wsman"
				hdr := http.Header{"Content-Type": {"application/soap+xml;charset=UTF-8"}}
				g.basicAuth(hdr)
				p := loadgen.NewHTTPPoster(target, []byte(loadgen.WSManEcho(target)), hdr, []byte(`ReturnValue>5<`), conns)
				defer p.Close()
				res = loadgen.Run(ctx, fmt.Sprintf("wsman (%d conns)", conns), conns, warm, duration, p.Call)
			case "native":
				nu := "wbem://" + u.Host
				conn, err := client.Connect(ctx, nu, &client.Credentials{User: g.user, Password: g.password})
				if err != nil {
					return err
				}
				svc, err := conn.Services(ctx, "root/default")
				if err != nil {
					return err
				}
				defer svc.Close()
				in, err := echoIn(ctx, svc)
				if err != nil {
					return err
				}
				res = loadgen.Run(ctx, fmt.Sprintf("native (1 conn, %d in flight)", inflight), inflight, warm, duration,
					func(ctx context.Context, _ int) error {
						out, err := svc.ExecMethod(ctx, "TestMeth", "Echo", in, nil)
						if err != nil {
							return err
						}
						if rv := out.Value("ReturnValue"); rv.Uint64() != 5 {
							return fmt.Errorf("ReturnValue %v, want 5", rv)
						}
						return nil
					})
			default:
				return fmt.Errorf("unknown protocol %q (cimxml, wsman, native)", protocol)
			}
			if g.json {
				out := map[string]any{"result": benchJSON(res)}
				if floor != nil {
					out["floor"] = benchJSON(floor)
					if floor.Rate() > 0 {
						out["ratio_to_floor"] = res.Rate() / floor.Rate()
					}
				}
				if err := writeJSON(cmd, out); err != nil {
					return err
				}
			} else {
				line := res.String()
				if floor != nil && floor.Rate() > 0 {
					line += fmt.Sprintf("  = %.2f x floor", res.Rate()/floor.Rate())
				}
				printf(cmd, "%s\n", line)
			}
			if res.Errors > 0 {
				return fmt.Errorf("%d of %d calls failed", res.Errors, res.Calls)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&protocol, "protocol", "cimxml", "protocol: cimxml, wsman, native, or floor (a --serve-floor process)")
	f.IntVar(&conns, "conns", 1, "HTTP connections (cimxml, wsman, floor)")
	f.IntVar(&inflight, "inflight", 256, "calls in flight on the one native connection")
	f.DurationVar(&duration, "duration", 10*time.Second, "measuring time")
	f.DurationVar(&warm, "warmup", 1*time.Second, "warm-up time before measuring")
	f.BoolVar(&withFloor, "floor", false, "also measure the trivial-handler floor in the same run")
	f.StringVar(&serve, "serve-floor", "", "only serve the floor handler on `addr` until interrupted (for wrk)")
	return c
}

// echoIn builds the in-parameters of TestMeth.Echo("hello").
func echoIn(ctx context.Context, svc wbem.Services) (*cim.Instance, error) {
	m, err := lookupMethodIn(ctx, svc, "TestMeth", "Echo")
	if err != nil {
		return nil, err
	}
	in := m.NewInParams()
	if err := in.Set("sInArg", cim.NewString("hello")); err != nil {
		return nil, err
	}
	return in, nil
}

// serveFloor serves the trivial floor handler on addr until the command's
// context ends, so that external load generators (wrk) can measure it.
func serveFloor(cmd *cobra.Command, addr string) error {
	srv := &http.Server{Addr: addr, Handler: loadgen.FloorHandler()}
	go func() {
		<-cmd.Context().Done()
		_ = srv.Close()
	}()
	printf(cmd, "floor handler on http://%s/\n", addr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

// basicAuth adds the --user/--password credentials to hdr.
func (g *globals) basicAuth(hdr http.Header) {
	if g.user == "" {
		return
	}
	r := http.Request{Header: hdr}
	r.SetBasicAuth(g.user, g.password)
}

// benchJSON is the JSON form of a load result.
func benchJSON(r *loadgen.Result) map[string]any {
	m := map[string]any{
		"name": r.Name, "calls": r.Calls, "errors": r.Errors, "seconds": r.Duration.Seconds(),
		"calls_per_second": r.Rate(), "p50_us": r.Percentile(50).Microseconds(), "p99_us": r.Percentile(99).Microseconds(),
	}
	if r.FirstError != nil {
		m["first_error"] = r.FirstError.Error()
	}
	return m
}
