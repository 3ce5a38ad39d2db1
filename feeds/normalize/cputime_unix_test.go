//go:build unix

package normalize_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system, all threads, so the garbage
// collector's work too) the process has used. On a shared, noisy machine it
// says more about what ingest costs than wall-clock ns/op does.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
