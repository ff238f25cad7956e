package main

// Interrupts: Ctrl-C (SIGINT), SIGTERM or SIGHUP (a closed terminal, a
// dropped ssh connection) stops a run cleanly, in every
// phase of it, until its last file is written:
//
//   - before training (reading the data): the run stops before training;
//   - during training: training stops at the end of the current epoch, so
//     that the files and the saved network agree (an MNIST epoch takes a
//     second or two); then the network is saved first, the files are
//     written, and the message says how to resume;
//   - while the files are written: writing goes on until every file is
//     there.
//
// The program then exits with 130 after SIGINT, 143 after SIGTERM and 129
// after SIGHUP (the shell's codes for a death by these signals: 128 + the
// signal's number). Messages that cannot be written (the terminal is gone,
// or the pipe's reader: SIGPIPE is ignored, see main) are dropped.
// A second signal, in any phase, quits at once, saying what is not written,
// and removes the temporary file being written.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// errInterrupted is wrapped by an experiment's error when a signal stopped
// it; run turns it into exit code 130 (143 for SIGTERM, 129 for SIGHUP).
var errInterrupted = errors.New("interrupted")

// The phases of a run, for the interrupter's messages.
const (
	phaseLoading = iota
	phaseTraining
	phaseWriting
)

// interrupter catches SIGINT, SIGTERM and SIGHUP for one run.
type interrupter struct {
	stderr io.Writer
	save   string      // -save FILE ("": the network is not saved)
	test   func() bool // runState.stop: tests stop training through it, without signals

	stopped atomic.Bool // a signal arrived: stop at the next chance

	mu      sync.Mutex
	first   os.Signal // the first signal (nil: none yet)
	phase   int
	pending []string // files still to be written (phaseWriting)

	sig  chan os.Signal
	done chan struct{}
}

// newInterrupter starts catching signals for a run that saves the network
// to save ("": none), its messages going to stderr, unless test is set
// (by tests): then only test stops training. Call release when the last
// file is written.
func newInterrupter(stderr io.Writer, save string, test func() bool) *interrupter {
	in := &interrupter{stderr: stderr, save: save, test: test, done: make(chan struct{})}
	if test != nil {
		return in
	}
	sig := make(chan os.Signal, 2) // the goroutine's own: release clears in.sig
	in.sig = sig
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for {
			select {
			case s := <-sig:
				in.handle(s)
			case <-in.done:
				return
			}
		}
	}()
	return in
}

// stop reports whether training should stop (trainWatch.Stop).
func (in *interrupter) stop() bool {
	return in.stopped.Load() || (in.test != nil && in.test())
}

// setPhase tells the interrupter where the run is.
func (in *interrupter) setPhase(p int) {
	in.mu.Lock()
	in.phase = p
	in.mu.Unlock()
}

// setPending tells the interrupter which files are still to be written:
// the run is in its writing phase from the first call on.
func (in *interrupter) setPending(names []string) {
	in.mu.Lock()
	in.phase, in.pending = phaseWriting, names
	in.mu.Unlock()
}

// signaled returns the first signal that arrived, or nil.
func (in *interrupter) signaled() os.Signal {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.first
}

// release stops catching signals: the default behaviour returns.
func (in *interrupter) release() {
	if in.sig != nil {
		signal.Stop(in.sig)
		close(in.done)
		in.sig = nil
	}
}

// handle is what a signal does.
func (in *interrupter) handle(s os.Signal) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.first == nil {
		in.first = s
		in.stopped.Store(true)
		fmt.Fprintf(in.stderr, "\nbackprop: %s\n", in.firstMessage())
		return
	}
	var lost string
	switch {
	case in.phase == phaseWriting && len(in.pending) == 0:
		lost = "every file was written"
	case in.phase == phaseWriting:
		lost = "not written: " + strings.Join(in.pending, ", ")
	case in.phase == phaseTraining && in.save != "":
		lost = "the network of this run is not saved to " + in.save + ", and no file is written"
	case in.phase == phaseTraining:
		lost = "no file is written"
	default:
		lost = "nothing was trained or written"
	}
	fmt.Fprintf(in.stderr, "backprop: interrupted again: quitting at once; %s\n", lost)
	removeInflightTemps()
	os.Exit(signalCode(in.first))
}

// firstMessage says what the first signal does in the current phase.
func (in *interrupter) firstMessage() string {
	switch in.phase {
	case phaseLoading:
		return "interrupted: stopping before training starts (interrupt again to quit at once)"
	case phaseTraining:
		then := "the files are written"
		if in.save != "" {
			then = "the network is saved to " + in.save + " and the files are written"
		}
		return "interrupted: training stops at the end of the current epoch; then " + then + " (interrupt again to quit at once, losing them)"
	}
	if len(in.pending) == 0 {
		return "interrupted after the files were written"
	}
	return "interrupted while writing the files: finishing them (interrupt again to quit at once, leaving out " + strings.Join(in.pending, ", ") + ")"
}

// signalCode is the exit code after a stop by signal s (nil: a test's stop).
func signalCode(s os.Signal) int {
	switch s {
	case syscall.SIGTERM:
		return 128 + int(syscall.SIGTERM)
	case syscall.SIGHUP:
		return 128 + int(syscall.SIGHUP)
	}
	return 130
}
