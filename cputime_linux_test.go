package main

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPUTime is the CPU time the calling OS thread has used (Linux's
// CLOCK_THREAD_CPUTIME_ID): unlike wall time, it does not count the time
// the thread waited while other processes ran, so one core's speed can be
// measured on a busy machine. ok is false when the clock cannot be read.
func threadCPUTime() (t time.Duration, ok bool) {
	const clockThreadCPUTimeID = 3
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}

// processCPUTime is the CPU time the whole process has used, in user and
// system mode, on every core.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
