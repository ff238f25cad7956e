package main

// Interrupts: Ctrl-C (SIGINT) or SIGTERM during training stops it cleanly.
// The first signal lets the current batch finish; the experiment then
// writes its files for every finished epoch, saves the model when -save is
// given, says how to resume, and the program exits with code 130. A second
// signal exits at once.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// errInterrupted is wrapped by an experiment's error when a signal stopped
// it; run turns it into exit code 130.
var errInterrupted = errors.New("interrupted")

// newInterrupter starts catching SIGINT and SIGTERM. stop reports whether a
// signal has arrived (for TrainConfig.Stop); release restores the default
// behaviour. A second signal ends the program at once with code 130.
func newInterrupter(stderr io.Writer) (stop func() bool, release func()) {
	var stopped atomic.Bool
	sig := make(chan os.Signal, 2)
	done := make(chan struct{})
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sig:
		case <-done:
			return
		}
		stopped.Store(true)
		fmt.Fprintln(stderr, "\nbackprop: interrupted: finishing the current batch, then writing what is done (interrupt again to quit at once, losing it)")
		select {
		case <-sig:
			fmt.Fprintln(stderr, "backprop: interrupted again: quitting without writing")
			os.Exit(130)
		case <-done:
		}
	}()
	var once atomic.Bool
	release = func() {
		if once.CompareAndSwap(false, true) {
			signal.Stop(sig)
			close(done)
		}
	}
	return stopped.Load, release
}

// interrupter returns the stop function an experiment passes to Train and
// the function to call when training is over. Tests set cfg.stop instead
// of sending signals.
func (c *config) interrupter() (stop func() bool, release func()) {
	if c.stop != nil {
		return c.stop, func() {}
	}
	if c.stderr == nil { // a config built by hand, not by run
		return newInterrupter(os.Stderr)
	}
	return newInterrupter(c.stderr)
}

// stoppedError is the error an experiment returns when training was
// interrupted after done of total epochs. resume is the -load file that
// holds the network ("" when -save was not given).
func stoppedError(ri *RunInfo, done, total int, resume string) error {
	where := ""
	if ri.PartialBatches > 0 {
		where = fmt.Sprintf(" (and %d batches of epoch %d, which the files do not show)", ri.PartialBatches, done+1)
	}
	if resume == "" {
		return fmt.Errorf("%w after epoch %d of %d%s; to be able to resume, run with -save FILE", errInterrupted, done, total, where)
	}
	return fmt.Errorf("%w after epoch %d of %d%s; resume with -load %s -epochs %d", errInterrupted, done, total, where, resume, total-done)
}
