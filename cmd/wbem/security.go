package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/security"
)

// systemSecurityPath is the object the security commands call methods
// on, in the namespace they manage.
const systemSecurityPath = "__SystemSecurity=@"

func newSecurityCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "security",
		Short: "Show and change namespace security (__SystemSecurity: GetSD, SetSD, GetCallerAccessRights)",
		Long: `Show and change the security descriptor of a namespace: who may connect,
read, call methods, write, use it remotely and manage its security. These
commands call the methods of __SystemSecurity=@ in the namespace, in-process
on the repository or against a server with --url.

A security descriptor has one ACE per line:

    allow Administrators 0x6003F inherit
    allow "Authenticated Users" Enable,MethodExecute,WriteProvider inherit
    allow user:alice Enable,MethodExecute,RemoteAccess
    deny group:guests MethodExecute inherit

Rights: Enable 0x1, MethodExecute 0x2, FullWrite 0x4, PartialWrite 0x8,
WriteProvider 0x10, RemoteAccess 0x20, Subscribe 0x40, Publish 0x80,
ReadControl 0x20000, WriteDAC 0x40000. "inherit" makes an ACE apply to the
child namespaces. A deny wins over every allow. See docs/SECURITY.md.`,
	}
	cmd.AddCommand(newSecurityGetCommand(g), newSecuritySetCommand(g), newSecurityRightsCommand(g))
	return cmd
}

func newSecurityGetCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "get [-n NAMESPACE]",
		Short: "Print the security descriptor that applies to a namespace (needs ReadControl)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ns := g.ns("root/cimv2")
			out, err := g.systemSecurity(cmd.Context(), ns, "GetSD", nil)
			if err != nil {
				return err
			}
			text := out.Value("SD").Text()
			if g.json {
				sd, err := security.ParseSD(text)
				if err != nil {
					return fmt.Errorf("the server's security descriptor does not parse: %w", err)
				}
				return writeJSON(cmd, sd)
			}
			printf(cmd, "%s", text)
			return nil
		},
	}
}

func newSecuritySetCommand(g *globals) *cobra.Command {
	var reset bool
	cmd := &cobra.Command{
		Use:   "set [-n NAMESPACE] FILE|- | --reset",
		Short: "Set the security descriptor of a namespace from a file, or - for stdin (needs WriteDAC)",
		Long: `Set the security descriptor of a namespace from FILE (- reads stdin), in
the text form "wbem security get" prints, or as JSON ("wbem security get
--json"). It replaces the descriptor the namespace inherited or had by
default, and applies to the next call. --reset removes the namespace's own
descriptor instead: it inherits from its parent again, or gets its built-in
default back.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if reset {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ns := g.ns("root/cimv2")
			var sd *string
			if !reset {
				text, err := readSDFile(cmd, args[0])
				if err != nil {
					return err
				}
				// Check locally first, for an error message with the
				// line number before anything is sent.
				parsed, err := security.ParseSDAny(text)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				if len(parsed.ACEs) == 0 {
					return fmt.Errorf("%s: no ACEs; use --reset to remove the namespace's descriptor", args[0])
				}
				sd = &text
			}
			if _, err := g.systemSecurity(cmd.Context(), ns, "SetSD", sd); err != nil {
				return err
			}
			if reset {
				printf(cmd, "security descriptor of %s removed\n", ns)
			} else {
				printf(cmd, "security descriptor of %s set\n", ns)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&reset, "reset", false, "remove the namespace's own descriptor (inherit again)")
	return cmd
}

// readSDFile reads a descriptor from a file or, for "-", stdin.
func readSDFile(cmd *cobra.Command, name string) (string, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), security.MaxSDText+1))
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return "", err
	}
	if len(b) > security.MaxSDText {
		return "", fmt.Errorf("%s: longer than %d bytes", name, security.MaxSDText)
	}
	return string(b), nil
}

func newSecurityRightsCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rights [-n NAMESPACE]",
		Short: "Print the rights you have on a namespace (GetCallerAccessRights)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ns := g.ns("root/cimv2")
			out, err := g.systemSecurity(cmd.Context(), ns, "GetCallerAccessRights", nil)
			if err != nil {
				return err
			}
			v := out.Value("Rights")
			if v.IsNull() {
				return errors.New("GetCallerAccessRights returned no Rights")
			}
			r := security.Rights(uint32(v.Int64()))
			if g.json {
				return writeJSON(cmd, struct {
					Namespace string          `json:"namespace"`
					Mask      uint32          `json:"mask"`
					Rights    security.Rights `json:"rights"`
				}{ns, uint32(r), r})
			}
			printf(cmd, "%s %s\n", r.Hex(), r)
			return nil
		},
	}
}

// systemSecurity calls method on __SystemSecurity=@ in namespace ns with
// SD as its only in-parameter when sd is not nil, and returns the
// out-parameters.
func (g *globals) systemSecurity(ctx context.Context, ns, method string, sd *string) (*cim.Instance, error) {
	s, err := g.connect(ctx, ns, true)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var in *cim.Instance
	if sd != nil {
		m, err := lookupMethodIn(ctx, s.svc, systemSecurityPath, method)
		if err != nil {
			return nil, err
		}
		in = m.NewInParams()
		if err := in.Set("SD", cim.NewString(*sd)); err != nil {
			return nil, err
		}
	}
	out, err := s.svc.ExecMethod(ctx, systemSecurityPath, method, in, nil)
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, fmt.Errorf("%s returned no out-parameters", method)
	}
	if rv := out.Value(cim.ReturnValueName); !rv.IsNull() && rv.Uint64() != 0 {
		return nil, fmt.Errorf("%s failed with ReturnValue %d", method, rv.Uint64())
	}
	return out, nil
}
