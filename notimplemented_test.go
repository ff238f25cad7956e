package main

import (
	"bytes"
	"testing"
)

// A stub's panic becomes, in the command, "backprop: not implemented: …"
// and exit code 1 (run defers recoverNotImplemented); any other panic goes
// on.
func TestNotImplementedMessage(t *testing.T) {
	var stderr bytes.Buffer
	code := func() (code int) {
		defer recoverNotImplemented(&stderr, &code)
		panic(notImplemented("LinearLayer.Forward", "Assignment 1"))
	}()
	if want := "backprop: not implemented: LinearLayer.Forward (Assignment 1): write it in layers.go\n"; code != 1 || stderr.String() != want {
		t.Errorf("a stub's panic: exit code %d, stderr %q; want 1, %q", code, stderr.String(), want)
	}
	msg, ok := panicMessage(func() {
		func() (code int) {
			defer recoverNotImplemented(&stderr, &code)
			panic("index out of range")
		}()
	})
	if !ok || msg != "index out of range" {
		t.Errorf("another panic: %q (panicked: %v); want it to go on as it was", msg, ok)
	}
}
