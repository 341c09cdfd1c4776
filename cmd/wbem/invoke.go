package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimjson"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

func newMethodCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "method [-n NAMESPACE] PATH METHOD",
		Short: "Show a method's in- and out-parameter signatures (__PARAMETERS)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			// With the built-in providers, as invoke: their classes
			// (TestMeth, TST_Widget...) exist only once their MOF is
			// compiled.
			s, err := g.connect(cmd.Context(), g.ns("root/cimv2"), true)
			if err != nil {
				return err
			}
			defer s.Close()
			m, err := lookupMethod(cmd, s.svc, args[0], args[1])
			if err != nil {
				return err
			}
			in, out := m.InSignature(), m.OutSignature()
			if g.json {
				var b []byte
				b = append(b, `{"method":`...)
				b = cimjson.AppendString(b, m.Name)
				b = append(b, `,"static":`...)
				b = append(b, fmt.Sprint(m.IsStatic())...)
				b = append(b, `,"in":`...)
				b = appendSig(b, in)
				b = append(b, `,"out":`...)
				b = appendSig(b, out)
				b = append(b, '}')
				return writeRaw(cmd, b)
			}
			printf(cmd, "%s %s (static: %v)\n", m.ReturnType, m.Name, m.IsStatic())
			for _, sig := range []struct {
				name string
				c    *cim.Class
			}{{"in", in}, {"out", out}} {
				if sig.c == nil {
					printf(cmd, "%s: none\n", sig.name)
					continue
				}
				printf(cmd, "%s:\n", sig.name)
				for _, p := range sig.c.Properties {
					id := ""
					if q := p.Qualifiers.Get("ID"); q != nil {
						id = fmt.Sprintf(" [ID %d]", q.Value.Int64())
					}
					printf(cmd, "  %-10s %s%s\n", p.TypeName(), p.Name, id)
				}
			}
			return nil
		},
	}
}

func appendSig(b []byte, c *cim.Class) []byte {
	if c == nil {
		return append(b, "null"...)
	}
	return cimjson.AppendClass(b, c)
}

// lookupMethod finds the method named by PATH and METHOD.
func lookupMethod(cmd *cobra.Command, svc wbem.Services, path, method string) (*cim.Method, error) {
	return lookupMethodIn(cmd.Context(), svc, path, method)
}

// lookupMethodIn finds the method named by path and method.
func lookupMethodIn(ctx context.Context, svc wbem.Services, path, method string) (*cim.Method, error) {
	p, err := cim.ParsePath(path)
	if err != nil {
		return nil, err
	}
	c, err := svc.GetClass(ctx, p.Class)
	if err != nil {
		return nil, err
	}
	m := c.Method(method)
	if m == nil {
		return nil, status.New(status.WBEM_E_INVALID_METHOD, "class %s has no method %s", c.Name, method)
	}
	return m, nil
}

// buildInParams types NAME=VALUE arguments from the method signature.
// Array parameters take comma-separated values.
func buildInParams(m *cim.Method, args []string) (*cim.Instance, error) {
	if len(args) == 0 {
		return nil, nil
	}
	in := m.NewInParams()
	if in == nil {
		return nil, status.New(status.WBEM_E_INVALID_METHOD_PARAMETERS, "method %s takes no in-parameters", m.Name)
	}
	for _, a := range args {
		name, text, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("argument %q: want NAME=VALUE", a)
		}
		p := in.Class().Property(name)
		if p == nil {
			return nil, status.New(status.WBEM_E_INVALID_METHOD_PARAMETERS, "method %s has no in-parameter %s", m.Name, name)
		}
		var v cim.Value
		var err error
		if p.IsArray {
			var elems []cim.Value
			if text != "" {
				for _, part := range strings.Split(text, ",") {
					e, err := cim.ParseValue(p.Type, part)
					if err != nil {
						return nil, fmt.Errorf("parameter %s: %w", name, err)
					}
					elems = append(elems, e)
				}
			}
			v, err = cim.NewArray(p.Type, elems)
		} else {
			v, err = cim.ParseValue(p.Type, text)
		}
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", name, err)
		}
		if err := in.Set(name, v); err != nil {
			return nil, err
		}
	}
	return in, nil
}

func newInvokeCommand(g *globals) *cobra.Command {
	var async, sendStatus bool
	c := &cobra.Command{
		Use:   "invoke [-n NAMESPACE] PATH METHOD [NAME=VALUE ...]",
		Short: "Invoke a method and print its out-parameters and the final status",
		Long: `Invoke a method. Parameters are typed from the method's signature; array
parameters take comma-separated values. With --async the call runs through
ExecMethodAsync; --status also asks for progress, shown as a live line.
Ctrl-C cancels the call (on the server too, over the native protocol).`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := g.connect(ctx, g.ns("root/cimv2"), true)
			if err != nil {
				return err
			}
			defer s.Close()
			m, err := lookupMethod(cmd, s.svc, args[0], args[1])
			if err != nil {
				return err
			}
			in, err := buildInParams(m, args[2:])
			if err != nil {
				return err
			}
			var flags int32
			if sendStatus {
				flags = wbem.FlagSendStatus
				async = true
			}
			if !async {
				out, err := s.svc.ExecMethod(ctx, args[0], args[1], in, nil)
				return report(cmd, g, out, err)
			}
			call, err := wbem.Start(ctx, s.svc, args[0], args[1], in, flags, nil)
			if err != nil {
				return err
			}
			stop := cancelOnInterrupt(cmd, call)
			defer stop()
			tty := term.IsTerminal(1)
			var out *cim.Instance
			var final error
			for ev := range call.Events() {
				switch ev.Kind {
				case wbem.EventObject:
					if out == nil {
						out = ev.Object
					}
				case wbem.EventProgress:
					line := progressLine(ev)
					if tty && !g.json {
						fmt.Fprintf(cmd.ErrOrStderr(), "\r%s", line)
					} else {
						fmt.Fprintln(cmd.ErrOrStderr(), line)
					}
				case wbem.EventComplete:
					final = ev.Err
				}
			}
			if tty && !g.json {
				fmt.Fprintln(cmd.ErrOrStderr())
			}
			return report(cmd, g, out, final)
		},
	}
	c.Flags().BoolVar(&async, "async", false, "call through ExecMethodAsync")
	c.Flags().BoolVar(&sendStatus, "status", false, "ask for progress (implies --async)")
	return c
}

// cancelOnInterrupt cancels call when the command's context ends (Ctrl-C).
func cancelOnInterrupt(cmd *cobra.Command, call *wbem.Call) func() {
	done := make(chan struct{})
	go func() {
		select {
		case <-cmd.Context().Done():
			_ = call.Cancel()
		case <-done:
		}
	}()
	return func() { close(done) }
}

func progressLine(ev wbem.Event) string {
	const width = 30
	filled := 0
	if ev.Total > 0 {
		filled = int(ev.Current) * width / int(ev.Total)
		if filled > width {
			filled = width
		}
	}
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	line := fmt.Sprintf("[%s] %d/%d", bar, ev.Current, ev.Total)
	if ev.Message != "" {
		line += " " + ev.Message
	}
	return line
}

// report prints the out-parameters and the final status; a failed status
// is returned as the command's error.
func report(cmd *cobra.Command, g *globals, out *cim.Instance, err error) error {
	hr := status.Code(err)
	if g.json {
		var b []byte
		b = append(b, `{"out":`...)
		if out != nil {
			b = cimjson.AppendInstance(b, out)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, fmt.Sprintf(`,"status":{"code":%d,"hex":"0x%08X","name":%q}`, uint32(hr), uint32(hr), hr.String())...)
		if err != nil {
			b = append(b, `,"error":`...)
			b = cimjson.AppendString(b, err.Error())
		}
		b = append(b, '}')
		if werr := writeRaw(cmd, b); werr != nil {
			return werr
		}
		return err
	}
	if out != nil {
		printf(cmd, "%s", out.MOF())
	}
	printf(cmd, "status: 0x%08X %s\n", uint32(hr), hr.String())
	return err
}
