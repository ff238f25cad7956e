package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
)

// A signal while the data are read stops a run before training, in either
// form of the pipeline: nothing is trained or written, and the run says so
// (the comparison of learning rates once indexed its empty list of results
// here).
func TestPipelineStopWhileLoading(t *testing.T) {
	needLab(t, labPlain)
	for _, exp := range []string{"xor", "spiral"} {
		out := t.TempDir()
		cmd, err := parseFlags([]string{"-exp", exp, "-epochs", "5", "-q", "-out", out}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		r := cmd.newRun(&stdout, &stderr)
		r.stop = func() bool { return false }
		signal := func() { r.intr.handle(syscall.SIGINT) } // as the signal's goroutine would
		var do func(*runState) error
		switch exp {
		case "xor":
			p := xorPlan(r.settings)
			data := p.data
			p.data = func(w io.Writer) (*trainData, error) { signal(); return data(w) }
			do = func(r *runState) error { return r.train(p) }
		case "spiral":
			p := spiralPlan(r.settings)
			data := p.data
			p.data = func(w io.Writer) (*trainData, error) { signal(); return data(w) }
			do = func(r *runState) error { return r.compare(p) }
		}
		_, err = r.run(do)
		if !errors.Is(err, errInterrupted) || !strings.Contains(err.Error(), "before training started: nothing was trained or written") {
			t.Errorf("-exp %s, a signal while loading: error %v; want that it stopped before training", exp, err)
		}
		if !strings.Contains(stderr.String(), "stopping before training starts") {
			t.Errorf("-exp %s: stderr %q; want the interrupter's message for the loading phase", exp, &stderr)
		}
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Errorf("-exp %s: %d files in -out; want none written", exp, len(entries))
		}
	}
}
