// Command wbem is the gowbem command-line tool: it compiles MOF into a
// repository, lists and shows classes and instances, shows method
// signatures and invokes methods (synchronously or asynchronously with
// live progress), either in-process on a repository folder or against a
// running wbemd with --url.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/gowbem/gowbem/status"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cmd := newRootCommand()
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "wbem:", err)
	var se *status.Error
	var hr status.HRESULT
	switch {
	case errors.As(err, &se), errors.As(err, &hr):
		os.Exit(2)
	default:
		os.Exit(1)
	}
}
