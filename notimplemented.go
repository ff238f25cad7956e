package main

// A method of the lab not written yet panics with
// notImplemented("LinearLayer.Forward", "Assignment 1"). The command turns
// that panic into a message and exit code 1 (run defers
// recoverNotImplemented), and the tests into the failure of the test that
// ran into it, in one line, so that an unfinished lab says what is missing
// and where instead of printing a stack trace.

import (
	"fmt"
	"io"
	"strings"
)

// notImplementedError is the panic value of a stub: the lab's method and
// the assignment that asks for it.
type notImplementedError struct {
	method     string // e.g. "LinearLayer.Forward"
	assignment string // e.g. "Assignment 1"
}

func (e *notImplementedError) Error() string {
	return fmt.Sprintf("not implemented: %s (%s): write it in %s", e.method, e.assignment, labFile(e.method))
}

// labFile is the file a lab method is written in, by its type: the
// layers in layers.go, the losses in loss.go, the network in mlp.go.
func labFile(method string) string {
	switch {
	case strings.HasPrefix(method, "Loss"):
		return "loss.go"
	case strings.HasPrefix(method, "MLP."):
		return "mlp.go"
	}
	return "layers.go"
}

// notImplemented returns the value a stub panics with.
func notImplemented(method, assignment string) error {
	return &notImplementedError{method: method, assignment: assignment}
}

// recoverNotImplemented, deferred by run, turns a stub's panic into
// "backprop: not implemented: LinearLayer.Forward (Assignment 1): write it
// in layers.go" on
// stderr and exit code 1. Any other panic goes on as it was (with its
// stack trace): it is a bug, not a missing part of the lab.
func recoverNotImplemented(stderr io.Writer, code *int) {
	r := recover()
	if r == nil {
		return
	}
	if e, ok := r.(*notImplementedError); ok {
		fmt.Fprintf(stderr, "backprop: %v\n", e)
		*code = 1
		return
	}
	panic(r)
}
