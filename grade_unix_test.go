//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// oNoFollow makes opening a symbolic link fail.
const oNoFollow = syscall.O_NOFOLLOW

// ownProcessGroup puts a graded test in a process group of its own, so
// that killGroup ends everything it may have left behind.
func ownProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killGroup kills the process group of a graded test.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
