//go:build unix

package engine_test

import "syscall"

// cpuTime returns the CPU time (user and system) the process has used, in
// nanoseconds: benchmarks report it per call, a figure that stays
// meaningful on a machine shared with other work.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
