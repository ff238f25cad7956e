package main

// Tests of the progress lines: a batch counter inside long epochs, plain
// lines into a file, one updating line on a terminal, nothing with -q, and
// the time left called "left" (never ETA, which reads as eta, the
// learning rate).

import (
	"bytes"
	"io"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeClock advances by step every time it is read.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(step); return t }
}

// TestProgressInsideLongEpochs: with every batch taking 0.4 s (a fake
// clock), an epoch of 40 batches shows a batch line every 5 s of it, with
// the time elapsed and left; the epoch lines say "left" too.
func TestProgressInsideLongEpochs(t *testing.T) {
	needLab(t, labPlain)
	rng := newRNG(1)
	X, T := randomBatch(rng, 40, 2, 2)
	var buf bytes.Buffer
	_, err := Train(NewXORNet(rng), X, T, TrainConfig{BatchSize: 1, Epochs: 2, Eta: 0.1, Watch: trainWatch{Progress: &buf, clock: fakeClock(400 * time.Millisecond)}})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "\r") || strings.Contains(out, "ETA") {
		t.Errorf("progress into a buffer has a carriage return or says ETA:\n%q", out)
	}
	batchLine := regexp.MustCompile(`^epoch [12]/2  batch [ 0-9]{2}/40  [0-9.]+s elapsed, [0-9ms]+ left$`)
	var batches, epochs []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		switch {
		case strings.Contains(l, "batch"):
			batches = append(batches, l)
			if !batchLine.MatchString(l) {
				t.Errorf("batch line %q; want e.g. \"epoch 1/2  batch 13/40  6.0s elapsed, 26s left\"", l)
			}
		default:
			epochs = append(epochs, l)
		}
	}
	// 0.4 s a batch: the first line once the epoch has run a second, then
	// one every 5 s, 13 batches apart.
	if len(batches) != 6 || !strings.Contains(batches[0], "batch  3/40") || !strings.Contains(batches[1], "batch 16/40") {
		t.Errorf("batch lines:\n%s\nwant 3 an epoch, at batches 3, 16 and 29", strings.Join(batches, "\n"))
	}
	if len(epochs) != 3 || !strings.HasSuffix(epochs[1], " left") || strings.HasSuffix(epochs[2], " left") {
		t.Errorf("epoch lines:\n%s\nwant epochs 0, 1 (with the time left) and 2", strings.Join(epochs, "\n"))
	}
}

// TestProgressOnATerminal: on a terminal the batch counter is one line
// that each update overwrites (a carriage return, no newline), cleared
// before the epoch's line; a terminal is a character device.
func TestProgressOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	clock := fakeClock(400 * time.Millisecond)
	m := newMeter(TrainConfig{Epochs: 1, Watch: trainWatch{Progress: &buf}}, clock, clock())
	m.tty = true
	m.beginEpoch()
	for b := 1; b <= 10; b++ {
		m.batch(1, b, 10)
	}
	m.epoch(EpochInfo{Epoch: 1})
	lines := strings.Split(buf.String(), "\n")
	if len(lines) != 2 || strings.Count(lines[0], "\r") < 4 || !strings.Contains(lines[0], "batch  9/10") || !strings.HasPrefix(lines[0][strings.LastIndex(lines[0], "\r")+1:], "epoch 1/1  loss train") {
		t.Errorf("terminal output %q; want batch updates after carriage returns, cleared, then the epoch line", buf.String())
	}

	if isTerminal(&buf) {
		t.Error("isTerminal(a buffer) = true")
	}
	f, err := os.CreateTemp(t.TempDir(), "progress")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("isTerminal(a regular file) = true")
	}
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		defer null.Close()
		if !isTerminal(null) {
			t.Errorf("isTerminal(%s) = false; want true (a character device, as a terminal is)", os.DevNull)
		}
	}
}

// TestProgressQuiet: a run shows batch lines in long epochs (a fake clock
// makes every batch take 0.4 s), and -q silences every progress line.
func TestProgressQuiet(t *testing.T) {
	needLab(t, labAll)
	data := syntheticMNISTDir(t, 40)
	for _, quiet := range []bool{false, true} {
		args := []string{"-exp", "mnist", "-data", data, "-epochs", "1", "-batch", "2", "-hidden", "4", "-plot=false", "-out", t.TempDir()}
		if quiet {
			args = append(args, "-q")
		}
		cfg, err := parseFlags(args, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var stdout bytes.Buffer
		r := cfg.newRun(&stdout, io.Discard)
		r.clock = fakeClock(400 * time.Millisecond)
		if _, err := r.run(cfg.exp.run); err != nil {
			t.Fatal(err)
		}
		hasBatches, hasEpochs := strings.Contains(stdout.String(), "  batch "), strings.Contains(stdout.String(), "epoch 0/1")
		if hasBatches == quiet || hasEpochs == quiet {
			t.Errorf("-q %v: batch lines %v, epoch lines %v; want %v and %v:\n%s", quiet, hasBatches, hasEpochs, !quiet, !quiet, &stdout)
		}
	}
}

// TestProgressLabel: the spiral runs' lines start with their eta, and the
// time left is never called ETA next to it.
func TestProgressLabel(t *testing.T) {
	needLab(t, labPlain)
	stdout := mustRun(t, "-exp", "spiral", "-epochs", "200", "-eta", "1", "-plot=false", "-out", t.TempDir())
	lines := regexp.MustCompile(`(?m)^eta=1  epoch 100/200 .* left$`).FindAllString(stdout, -1)
	if len(lines) != 1 || strings.Contains(stdout, "ETA") {
		t.Errorf("spiral progress: got lines %q; want one for epoch 100 that starts with eta=1 and ends with the time left, and no ETA:\n%s", lines, stdout)
	}
}

// A run whose training loss rises in its first epochs and then falls gets
// one line that says why; a falling run, a rise late in the run, or one
// that never comes down again gets none.
func TestEarlyRiseNote(t *testing.T) {
	run := func(losses ...float64) *RunInfo {
		ri := &RunInfo{}
		for i, l := range losses {
			ri.Epochs = append(ri.Epochs, EpochInfo{Epoch: i, LossTrain: l})
		}
		return ri
	}
	note, ok := earlyRiseNote(run(8.301, 11.94, 3.2, 2.1, 1.6), 2, 0.1)
	if !ok {
		t.Errorf("a loss that rose from 8.301 to 11.94 and fell to 1.6: no note")
	}
	for _, want := range []string{"rose from 8.301 (epoch 0) to 11.94 (epoch 1) before it fell to 1.6", "eta 0.1, 2 per epoch", "smaller -eta"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q; want it to say %q", note, want)
		}
	}
	for name, ri := range map[string]*RunInfo{
		"falling":        run(2.3, 1.9, 1.5, 1.2, 1.1, 1.0),
		"rising late":    run(2.3, 1.9, 1.5, 1.2, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.45, 0.5, 0.6, 0.3),
		"never down":     run(2.3, 3.1, 3.5),
		"diverged early": run(2.3, math.Inf(1), 1.0),
		"too short":      run(2.3, 3.1),
	} {
		if got, ok := earlyRiseNote(ri, 20, 0.1); ok || got != "" {
			t.Errorf("%s: note %q; want none", name, got)
		}
	}
}
