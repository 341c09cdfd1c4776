package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"

	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/wbemd"
)

// userFlags are the flags of the user commands.
type userFlags struct {
	file          string
	passwordStdin bool
	cost          int
}

func (f *userFlags) open() (*security.PasswordFile, error) {
	return security.LoadPasswordFile(f.file, &security.PasswordOptions{Cost: f.cost})
}

func newUserCommand(g *globals) *cobra.Command {
	f := &userFlags{}
	c := &cobra.Command{
		Use:   "user",
		Short: "Manage the users wbemd accepts with HTTP Basic (the password file)",
		Long: `Manage the password file of wbemd: the users who may log in with HTTP Basic over
HTTPS, and the local account each one acts as. A user without a local account
is unmapped: it can authenticate but cannot create processes. wbemd notices the
changes at once; it need not be restarted. See docs/SECURITY.md.`,
	}
	pf := c.PersistentFlags()
	pf.StringVar(&f.file, "password-file", filepath.Join(wbemd.DefaultDataDir(), wbemd.PasswordFileName), "password `file`")
	pf.IntVar(&f.cost, "bcrypt-cost", bcrypt.DefaultCost, "bcrypt `cost` of new password hashes")
	c.AddCommand(newUserAddCommand(f), newUserPasswdCommand(f), newUserMapCommand(f), newUserDelCommand(f), newUserListCommand(g, f))
	return c
}

func newUserAddCommand(f *userFlags) *cobra.Command {
	var account string
	var noPassword bool
	c := &cobra.Command{
		Use:   "add NAME [--local-account ACCOUNT] [--password-stdin | --no-password]",
		Short: "Add a user (the password is asked for, or read from standard input)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw := ""
			if !noPassword {
				var err error
				if pw, err = readNewPassword(cmd, f.passwordStdin); err != nil {
					return err
				}
			}
			p, err := f.open()
			if err != nil {
				return err
			}
			if err := p.AddUser(args[0], pw, account); err != nil {
				return err
			}
			warnAccount(cmd, account)
			printf(cmd, "added %s\n", describeUser(args[0], account))
			return nil
		},
	}
	c.Flags().StringVar(&account, "local-account", "", "local `account` the user acts as (default: none, the user cannot create processes)")
	c.Flags().BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	c.Flags().BoolVar(&noPassword, "no-password", false, "add a user without a password (client certificates only)")
	return c
}

func newUserPasswdCommand(f *userFlags) *cobra.Command {
	c := &cobra.Command{
		Use:   "passwd NAME [--password-stdin]",
		Short: "Change a user's password",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := readNewPassword(cmd, f.passwordStdin)
			if err != nil {
				return err
			}
			p, err := f.open()
			if err != nil {
				return err
			}
			if err := p.SetPassword(args[0], pw); err != nil {
				return err
			}
			printf(cmd, "changed the password of %s\n", args[0])
			return nil
		},
	}
	c.Flags().BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	return c
}

func newUserMapCommand(f *userFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "map NAME [ACCOUNT]",
		Short: "Map a user to a local account (no ACCOUNT: unmap)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			account := ""
			if len(args) == 2 {
				account = args[1]
			}
			p, err := f.open()
			if err != nil {
				return err
			}
			if err := p.SetLocalAccount(args[0], account); err != nil {
				return err
			}
			warnAccount(cmd, account)
			printf(cmd, "mapped %s\n", describeUser(args[0], account))
			return nil
		},
	}
}

func newUserDelCommand(f *userFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "del NAME",
		Aliases: []string{"delete", "rm"},
		Short:   "Delete a user",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.open()
			if err != nil {
				return err
			}
			if err := p.DeleteUser(args[0]); err != nil {
				return err
			}
			printf(cmd, "deleted %s\n", args[0])
			return nil
		},
	}
}

func newUserListCommand(g *globals, f *userFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the users: name, local account, password login",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.open()
			if err != nil {
				return err
			}
			users, err := p.Users()
			if err != nil {
				return err
			}
			if g.json {
				if users == nil {
					users = []security.UserInfo{}
				}
				return writeJSON(cmd, users)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tLOCAL ACCOUNT\tPASSWORD")
			for _, u := range users {
				acct := u.LocalAccount
				if acct == "" {
					acct = "-"
				}
				login := "yes"
				if !u.PasswordLogin {
					login = "no (certificate only)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, acct, login)
			}
			return tw.Flush()
		},
	}
}

func describeUser(name, account string) string {
	if account == "" {
		return name + " (unmapped: cannot create processes)"
	}
	return name + " (local account " + account + ")"
}

// warnAccount warns when account does not exist on this machine.
func warnAccount(cmd *cobra.Command, account string) {
	if account == "" {
		return
	}
	if _, err := user.Lookup(account); err != nil {
		cmd.PrintErrf("warning: there is no local account %q here; the user stays unmapped until it exists\n", account)
	}
}

// readNewPassword reads a password: the first line of standard input with
// fromStdin, else twice from the terminal without echo.
func readNewPassword(cmd *cobra.Command, fromStdin bool) (string, error) {
	in := cmd.InOrStdin()
	if fromStdin {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw == "" {
			return "", errors.New("empty password on standard input")
		}
		return pw, nil
	}
	file, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(file.Fd())) {
		return "", errors.New("standard input is not a terminal: use --password-stdin")
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(cmd.ErrOrStderr(), prompt)
		b, err := term.ReadPassword(int(file.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		return string(b), err
	}
	pw, err := ask("New password: ")
	if err != nil {
		return "", err
	}
	if pw == "" {
		return "", errors.New("empty password")
	}
	again, err := ask("Again: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", errors.New("the passwords differ")
	}
	return pw, nil
}
