//go:build !linux

package win32process

import (
	"runtime"

	"github.com/gowbem/gowbem/status"
)

// procSupported reports whether this platform has a process table the
// provider can read.
const procSupported = false

// errNoProcTable is the error of every process-table operation on
// platforms without /proc.
var errNoProcTable = status.New(status.WBEM_E_NOT_SUPPORTED,
	"%s: reading the process table is implemented for Linux only, not %s", ProviderName, runtime.GOOS)

func listPIDs() ([]int, error)       { return nil, errNoProcTable }
func readProc(int) (procInfo, error) { return procInfo{}, errNoProcTable }
func readOwner(int) (owner, error)   { return owner{}, errNoProcTable }
func osName() string                 { return runtime.GOOS }
