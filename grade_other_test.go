//go:build !unix

package main

import "os/exec"

// oNoFollow: elsewhere intake's Lstat is the only check for links.
const oNoFollow = 0

func ownProcessGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}
