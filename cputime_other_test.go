//go:build !linux

package main

import "time"

// threadCPUTime is Linux's only (cputime_linux_test.go).
func threadCPUTime() (time.Duration, bool) { return 0, false }

// processCPUTime is Linux's only (cputime_linux_test.go).
func processCPUTime() (time.Duration, bool) { return 0, false }
