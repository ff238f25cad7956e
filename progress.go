package main

// Progress lines of a training run: one for the first, every k-th and the
// last epoch, and, inside an epoch that runs longer than a second (MNIST's
// take a second or two each, longer with wide layers or small batches), a
// batch counter with the time elapsed and the time left of the whole run.
// On a terminal the counter is one line that updates in place; into a file
// or a pipe it is a plain line every few seconds. The time left is called
// "left", never ETA: the progress lines of the spiral runs begin with
// "eta=5", the learning rate.

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	batchLinesAfter = time.Second            // an epoch shows its batches once it has run this long
	ttyInterval     = 250 * time.Millisecond // between updates of the line on a terminal
	plainInterval   = 5 * time.Second        // between plain batch lines elsewhere
)

// trainWatch is everything Train is given besides the lab's settings
// (TrainConfig.Watch): how the program watches and steers a run. The
// pipeline fills it (runState.trainConfig); its zero value watches nothing.
type trainWatch struct {
	// Progress gets the progress lines: one for the first, every
	// ProgressEvery-th (0 means 1) and the last epoch, and inside an epoch
	// that runs longer than a second a batch counter. nil prints nothing.
	Progress      io.Writer
	ProgressEvery int
	Label         string // prefix of progress lines, e.g. "eta=5"
	// FirstEpoch is the epochs the network trained before this run (a
	// resumed one's): progress lines number epochs on from there, as the
	// run's CSV does.
	FirstEpoch int

	// WeightAmpRef, when it has one value per linear layer, replaces the
	// network's mean |W| at the start as the reference of WeightAmp: a
	// resumed network passes its first mean |W| to continue the curve.
	WeightAmpRef []float64

	// Stop, when set, is asked before every batch; once it returns true,
	// training ends at the end of the epoch under way (or at once, before
	// the first batch of an epoch), so that a stop always leaves a network
	// that the run info's last row describes (an interrupt).
	Stop func() bool

	// TrainLogits, when set, sees the logits (the output of the last layer
	// with parameters) of every chunk of the training set as the run info
	// of an epoch is measured: a watch on them costs no extra forward pass.
	// The chunks are evaluated on several goroutines at once: it must be
	// safe for that.
	TrainLogits func(S, T *Matrix)

	// AfterEpoch, when set, is called after the run info of every epoch
	// (0: the initial network) is recorded; an error ends training with it.
	AfterEpoch func(epoch int) error

	clock func() time.Time // time.Now; tests set it to pin the progress lines
}

// stop reports whether training should stop (Stop, when set).
func (w *trainWatch) stop() bool { return w.Stop != nil && w.Stop() }

// afterEpoch calls AfterEpoch, when set.
func (w *trainWatch) afterEpoch(epoch int) error {
	if w.AfterEpoch == nil {
		return nil
	}
	return w.AfterEpoch(epoch)
}

// clockOrNow is the clock of the run: time.Now unless a test set one.
func (w *trainWatch) clockOrNow() func() time.Time {
	if w.clock == nil {
		return time.Now
	}
	return w.clock
}

// meter prints the progress lines of one Train call.
type meter struct {
	w             io.Writer
	tty           bool
	now           func() time.Time
	label         string
	epochs, every int
	first         int // the network's epochs before the run (trainWatch.FirstEpoch)

	start, epochStart, lastBatch time.Time
	shown                        int // length of the batch line on the terminal (0: none)
}

// newMeter returns the meter of a run that started at start, or nil when
// cfg.Watch.Progress is nil (a nil meter prints nothing).
func newMeter(cfg TrainConfig, now func() time.Time, start time.Time) *meter {
	w := cfg.Watch
	if w.Progress == nil {
		return nil
	}
	label := ""
	if w.Label != "" {
		label = w.Label + "  "
	}
	return &meter{w: w.Progress, tty: isTerminal(w.Progress), now: now, label: label,
		epochs: cfg.Epochs, every: max(w.ProgressEvery, 1), first: w.FirstEpoch, start: start}
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	if o, ok := w.(*outWriter); ok {
		w = o.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// beginEpoch is called before an epoch's first batch.
func (m *meter) beginEpoch() {
	if m != nil {
		m.epochStart, m.lastBatch = m.now(), time.Time{}
	}
}

// batch is called after batch done of total of the given epoch.
func (m *meter) batch(epoch, done, total int) {
	if m == nil || done == total {
		return // the epoch's own line follows
	}
	t := m.now()
	interval := plainInterval
	if m.tty {
		interval = ttyInterval
	}
	if t.Sub(m.epochStart) < batchLinesAfter || (!m.lastBatch.IsZero() && t.Sub(m.lastBatch) < interval) {
		return
	}
	m.lastBatch = t
	frac := (float64(epoch-1) + float64(done)/float64(total)) / float64(m.epochs)
	line := fmt.Sprintf("%sepoch %*d/%d  batch %*d/%d  %s elapsed, %s left", m.label, len(strconv.Itoa(m.first+m.epochs)), m.first+epoch, m.first+m.epochs,
		len(strconv.Itoa(total)), done, total, roundDuration(t.Sub(m.start)), timeLeft(t.Sub(m.start), frac))
	if !m.tty {
		fmt.Fprintln(m.w, line)
		return
	}
	fmt.Fprintf(m.w, "\r%s%s", line, strings.Repeat(" ", max(m.shown-len(line), 0)))
	m.shown = len(line)
}

// epoch prints the line of epoch e when it is one to show: the first, every
// k-th and the last.
func (m *meter) epoch(e EpochInfo) {
	if m == nil {
		return
	}
	if m.shown > 0 { // clear the batch line
		fmt.Fprintf(m.w, "\r%s\r", strings.Repeat(" ", m.shown))
		m.shown = 0
	}
	if e.Epoch != 0 && e.Epoch != m.epochs && e.Epoch%m.every != 0 {
		return
	}
	var b strings.Builder
	b.WriteString(m.label)
	fmt.Fprintf(&b, "epoch %*d/%d  loss train %.4f", len(strconv.Itoa(m.first+m.epochs)), m.first+e.Epoch, m.first+m.epochs, e.LossTrain)
	if !math.IsNaN(e.LossTest) || !math.IsNaN(e.AccTest) {
		fmt.Fprintf(&b, " test %.4f", e.LossTest)
	}
	fmt.Fprintf(&b, "  acc train %6.2f%%", 100*e.AccTrain)
	if !math.IsNaN(e.AccTest) {
		fmt.Fprintf(&b, " test %6.2f%%", 100*e.AccTest)
	}
	fmt.Fprintf(&b, "  %s", e.Elapsed.Round(time.Millisecond))
	if e.Epoch > 0 && e.Epoch < m.epochs {
		fmt.Fprintf(&b, ", %s left", timeLeft(e.Elapsed, float64(e.Epoch)/float64(m.epochs)))
	}
	fmt.Fprintln(m.w, b.String())
}

// timeLeft estimates the rest of a run that took elapsed for the fraction
// frac of its work.
func timeLeft(elapsed time.Duration, frac float64) time.Duration {
	if frac <= 0 {
		return 0
	}
	return time.Duration(float64(elapsed) * (1 - frac) / frac).Round(time.Second)
}

// roundDuration rounds to a tenth of a second below a minute, else to the
// second.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

// earlyRiseNote returns one line for the end of a run whose training loss
// rose in its first epochs before it fell (at most a quarter of the
// epochs, and at least the first three, are looked at); ok is false when
// the loss did not. A reader takes such a curve for a broken run; it is a
// step that is large for the data: with few samples an epoch is a few
// steps of eta each, and the first ones overshoot. steps is the number of
// SGD steps per epoch.
func earlyRiseNote(ri *RunInfo, steps int, eta float64) (note string, ok bool) {
	n := len(ri.Epochs)
	if n < 3 {
		return "", false
	}
	look := max(3, (n-1)/4)
	start := ri.Epochs[0]
	peak := start
	for _, e := range ri.Epochs[1:min(n, look+1)] {
		if !finite(e.LossTrain) {
			return "", false
		}
		if e.LossTrain > peak.LossTrain {
			peak = e
		}
	}
	last := ri.Last()
	if peak.Epoch == start.Epoch || !finite(last.LossTrain) || !(last.LossTrain < peak.LossTrain) {
		return "", false
	}
	return fmt.Sprintf("the training loss rose from %.4g (epoch %d) to %.4g (epoch %d) before it fell to %.4g: steps of eta %g, %d per epoch, overshoot at first; more samples or a smaller -eta start more smoothly",
		start.LossTrain, start.Epoch, peak.LossTrain, peak.Epoch, last.LossTrain, eta, steps), true
}
