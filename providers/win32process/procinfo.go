package win32process

import (
	"errors"
	"strconv"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// procInfo is what the provider reads about one process.
type procInfo struct {
	PID, PPID uint32
	// Comm is the kernel's command name (at most 15 bytes).
	Comm string
	// State is the one-letter state of /proc/<pid>/stat (R, S, D, Z, T...).
	State byte
	// CmdLine is the argument vector joined by spaces; HasCmdLine is
	// false for kernel threads and zombies, which have none.
	CmdLine    string
	HasCmdLine bool
	// Exe is the program file; HasExe is false when it cannot be read.
	Exe    string
	HasExe bool
	// Start is when the process started; SinceBoot is the same instant
	// counted from the system's boot.
	Start     time.Time
	SinceBoot time.Duration
	// UserTime and KernelTime are the processor times used.
	UserTime, KernelTime time.Duration
	// Nice is the nice value; RealTime is set for real-time scheduling.
	Nice     int
	RealTime bool
	Threads  uint32
	// VSize and RSS are the virtual and resident sizes in bytes.
	VSize, RSS uint64
	// Faults counts minor and major page faults.
	Faults  uint64
	Session uint32
}

// owner holds the user IDs of a process.
type owner struct {
	// Real, Effective and Saved are the process's real, effective and
	// saved set-user IDs.
	Real, Effective, Saved uint32
}

// errGone reports a process that does not exist (any more).
var errGone = errors.New("no such process")

// maxPID bounds the process IDs the provider accepts: kill(2) treats
// negative IDs as process groups, so a PID must be a positive int32.
const maxPID = 1<<31 - 1

// parsePID parses a Handle: a decimal process ID from 1 to maxPID with
// no sign, blanks or leading zeros, so that every process has exactly
// one Handle and no Handle can name a process group or "self".
func parsePID(s string) (int, bool) {
	if s == "" || len(s) > 10 || s[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 || n > maxPID {
		return 0, false
	}
	return int(n), true
}

// pidFromPath returns the process ID a Win32_Process instance path names.
// A class path is WBEM_E_INVALID_METHOD_PARAMETERS (a non-static method
// called on the class, DD-14); a path whose Handle is not a valid process
// ID names no process: WBEM_E_NOT_FOUND.
func pidFromPath(path *cim.ObjectPath) (int, error) {
	if path == nil || len(path.Keys) == 0 {
		return 0, status.New(status.WBEM_E_INVALID_METHOD_PARAMETERS,
			"call the method on an instance: %s.Handle=\"<pid>\"", ClassName)
	}
	var text string
	switch k, ok := path.Key("Handle"); {
	case ok:
		text = k.Text
	case len(path.Keys) == 1 && path.Keys[0].Name == "":
		text = path.Keys[0].Value.Text
	default:
		return 0, status.New(status.WBEM_E_NOT_FOUND, "%s is named by its Handle: no instance %s", ClassName, path.RelPath())
	}
	pid, ok := parsePID(text)
	if !ok {
		return 0, status.New(status.WBEM_E_NOT_FOUND, "no process with Handle %q", text)
	}
	return pid, nil
}

// Windows base priorities of the priority classes, reported as
// Win32_Process.Priority.
const (
	basePriorityIdle        = 4
	basePriorityBelowNormal = 6
	basePriorityNormal      = 8
	basePriorityAboveNormal = 10
	basePriorityHigh        = 13
	basePriorityRealtime    = 24
)

// basePriority maps a nice value to the Windows base priority of the
// nearest priority class, so that WMI clients see the familiar numbers
// (8 for a normal process). The bands are centred on the nice values
// that Create gives each class (see niceOfPriorityClass).
func basePriority(nice int, realTime bool) uint32 {
	switch {
	case realTime || nice <= -15:
		return basePriorityRealtime
	case nice <= -8:
		return basePriorityHigh
	case nice <= -3:
		return basePriorityAboveNormal
	case nice < 5:
		return basePriorityNormal
	case nice < 15:
		return basePriorityBelowNormal
	}
	return basePriorityIdle
}

// CIM_Process.ExecutionState values.
const (
	stateUnknown    = 0
	stateRunning    = 3
	stateBlocked    = 4
	stateTerminated = 7
	stateStopped    = 8
)

// executionState maps a Linux process state letter to
// CIM_Process.ExecutionState.
func executionState(s byte) uint16 {
	switch s {
	case 'R':
		return stateRunning
	case 'S', 'D', 'I', 'W':
		return stateBlocked
	case 'Z', 'X', 'x':
		return stateTerminated
	case 'T', 't':
		return stateStopped
	}
	return stateUnknown
}
