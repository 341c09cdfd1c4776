//go:build linux

package win32process

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procSupported reports whether this platform has a process table the
// provider can read.
const procSupported = true

// procRoot is where the proc file system is mounted.
const procRoot = "/proc"

// userHZ is the unit of the tick counts in /proc/<pid>/stat: USER_HZ,
// which the kernel fixes at 100 for its user-space interfaces on every
// architecture Go supports (the kernel's internal HZ may differ). Using
// the constant avoids sysconf(_SC_CLK_TCK) and cgo.
const userHZ = 100

// tick is the duration of one USER_HZ tick.
const tick = time.Second / userHZ

// bootTime returns when the system booted (the btime line of /proc/stat,
// whole seconds), read once.
var bootTime = sync.OnceValues(func() (time.Time, error) {
	data, err := os.ReadFile(procRoot + "/stat")
	if err != nil {
		return time.Time{}, err
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "btime "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
			if err != nil {
				return time.Time{}, err
			}
			return time.Unix(n, 0), nil
		}
	}
	return time.Time{}, errors.New("no btime in /proc/stat")
})

// listPIDs returns the IDs of all processes (thread-group leaders).
func listPIDs() ([]int, error) {
	f, err := os.Open(procRoot)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, ok := parsePID(n); ok {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// gone maps the errors of reading a vanished process's files to errGone.
func gone(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return errGone
	}
	return err
}

// readProc reads what the provider reports about process pid. A process
// that does not exist is errGone.
func readProc(pid int) (procInfo, error) {
	dir := procRoot + "/" + strconv.Itoa(pid)
	data, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return procInfo{}, gone(err)
	}
	info, err := parseStat(data)
	if err != nil {
		return procInfo{}, err
	}
	if int(info.PID) != pid {
		return procInfo{}, errGone
	}
	if bt, err := bootTime(); err == nil {
		info.Start = bt.Add(info.SinceBoot)
	}
	if cmd, err := os.ReadFile(dir + "/cmdline"); err == nil && len(cmd) > 0 {
		cmd = bytes.TrimRight(cmd, "\x00")
		info.CmdLine = string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))
		info.HasCmdLine = true
	}
	if exe, err := os.Readlink(dir + "/exe"); err == nil {
		info.Exe, info.HasExe = exe, true
	}
	return info, nil
}

// parseStat parses the contents of /proc/<pid>/stat. It sets SinceBoot,
// not Start, which needs the boot time.
func parseStat(data []byte) (procInfo, error) {
	s := string(data)
	open := strings.IndexByte(s, '(')
	closing := strings.LastIndexByte(s, ')')
	if open < 1 || closing < open {
		return procInfo{}, errors.New("malformed stat line")
	}
	var info procInfo
	pid, err := strconv.ParseUint(strings.TrimSpace(s[:open]), 10, 32)
	if err != nil {
		return procInfo{}, errors.New("malformed stat line: pid")
	}
	info.PID = uint32(pid)
	info.Comm = s[open+1 : closing]
	// f[i] is field i+3 of proc(5): the fields after "pid (comm)".
	f := strings.Fields(s[closing+1:])
	if len(f) < 22 {
		return procInfo{}, errors.New("malformed stat line: too few fields")
	}
	num := func(field int) uint64 {
		n, _ := strconv.ParseUint(f[field-3], 10, 64)
		return n
	}
	signed := func(field int) int64 {
		n, _ := strconv.ParseInt(f[field-3], 10, 64)
		return n
	}
	if len(f[0]) > 0 {
		info.State = f[0][0]
	}
	info.PPID = uint32(num(4))
	info.Session = uint32(num(6))
	info.Faults = num(10) + num(12)
	info.UserTime = time.Duration(num(14)) * tick
	info.KernelTime = time.Duration(num(15)) * tick
	info.RealTime = signed(18) < 0 // priority is -1 - rt_priority for real-time policies
	info.Nice = int(signed(19))
	info.Threads = uint32(num(20))
	info.SinceBoot = time.Duration(num(22)) * tick
	info.VSize = num(23)
	info.RSS = num(24) * uint64(os.Getpagesize())
	return info, nil
}

// readOwner returns the user IDs of process pid (the Uid line of
// /proc/<pid>/status).
func readOwner(pid int) (owner, error) {
	data, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return owner{}, gone(err)
	}
	for line := range strings.Lines(string(data)) {
		rest, ok := strings.CutPrefix(line, "Uid:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 3 {
			break
		}
		var ids [3]uint32
		for i := range ids {
			n, err := strconv.ParseUint(f[i], 10, 32)
			if err != nil {
				return owner{}, errors.New("malformed Uid line in status")
			}
			ids[i] = uint32(n)
		}
		return owner{Real: ids[0], Effective: ids[1], Saved: ids[2]}, nil
	}
	return owner{}, errors.New("no Uid line in status")
}

// osName returns the operating system's name for Win32_Process.OSName:
// PRETTY_NAME of os-release, else "Linux <kernel release>".
var osName = sync.OnceValue(func() string {
	for _, file := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(data)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "PRETTY_NAME="); ok {
				if u, err := strconv.Unquote(v); err == nil {
					v = u
				} else {
					v = strings.Trim(v, `"'`)
				}
				if v != "" {
					return v
				}
			}
		}
	}
	if rel, err := os.ReadFile(procRoot + "/sys/kernel/osrelease"); err == nil {
		return "Linux " + strings.TrimSpace(string(rel))
	}
	return "Linux"
})
