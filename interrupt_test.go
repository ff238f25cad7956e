package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stopAfter returns a Stop function that asks to stop on its (n+1)-th call,
// i.e. after n batches.
func stopAfter(n int) func() bool {
	calls := 0
	return func() bool { calls++; return calls > n }
}

// Stop ends training at the end of the epoch under way, is not asked again
// once it said stop, and the epochs done are kept.
func TestTrainStopKeepsFinishedEpochs(t *testing.T) {
	needLab(t, labPlain)
	X, T := XORData()
	cases := []struct {
		batch, stopAfter int
		wantEpochs       int // recorded epochs after epoch 0
	}{
		{4, 3, 3}, // one batch an epoch: a stop after a batch ends an epoch cleanly
		{1, 9, 3}, // four batches an epoch: asked during the third, which is finished
		{2, 0, 0}, // before the first batch
		{1, 5, 2}, // asked before the second batch of epoch 2
	}
	for _, c := range cases {
		net := NewXORNet(newRNG(1))
		calls, stop := 0, stopAfter(c.stopAfter)
		ri, err := Train(net, X, T, TrainConfig{BatchSize: c.batch, Epochs: 100, Eta: 0.1, Watch: trainWatch{Stop: func() bool { calls++; return stop() }}})
		if err != nil {
			t.Fatal(err)
		}
		if !ri.Stopped || ri.Last().Epoch != c.wantEpochs || len(ri.Epochs) != c.wantEpochs+1 || calls != c.stopAfter+1 {
			t.Errorf("batch %d, stop after %d batches: got Stopped %v, last epoch %d of %d recorded, %d calls; want true, %d, epochs 0 to it, %d (not asked again once it said stop)",
				c.batch, c.stopAfter, ri.Stopped, ri.Last().Epoch, len(ri.Epochs), calls, c.wantEpochs, c.stopAfter+1)
		}
		// The network is the one the last row describes.
		if loss, _ := net.evalStats(X, T, nil); loss != ri.Last().LossTrain {
			t.Errorf("batch %d, stop after %d batches: the network's loss is %v, the last row's %v; want the same", c.batch, c.stopAfter, loss, ri.Last().LossTrain)
		}
	}
}

// TestResumeIsOneRun stops runs through the run state's stop hook (what a
// signal does), mid-epoch where an epoch has several batches, then runs the
// printed resume command as it stands: every CSV must be byte for byte what
// one uninterrupted run writes, the network the same bit for bit, and the
// summary of the stopped run must describe the network it saved.
func TestResumeIsOneRun(t *testing.T) {
	needLab(t, labAll)
	data := syntheticMNISTDir(t, 40)
	cases := []struct {
		name  string
		args  []string // without -out and -save
		stop  int      // batches before the stop is asked
		files []string
	}{
		// One batch an epoch: the stop falls between two epochs.
		{"xor", []string{"-exp", "xor", "-epochs", "50", "-shuffle"}, 20, []string{"xor.csv"}},
		// Two batches an epoch, shuffled, settings that are not the
		// defaults: asked in the middle of epoch 21, which is finished.
		{"xor mid-epoch", []string{"-exp", "xor", "-epochs", "50", "-batch", "2", "-eta", "0.05", "-shuffle", "-seed", "7"}, 41, []string{"xor.csv"}},
		// Three batches an epoch on 30 of 40 images: asked in epoch 3.
		{"mnist mid-epoch", []string{"-exp", "mnist", "-data", data, "-epochs", "6", "-batch", "10", "-limit", "30", "-hidden", "8,6", "-eta", "0.05", "-shuffle", "-naive"}, 7,
			[]string{"mnist_naive.csv", "mnist_naive_weights.csv", "mnist_naive_margin.csv"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			stopped, whole := filepath.Join(dir, "stopped"), filepath.Join(dir, "whole")
			model := filepath.Join(stopped, "model.json")
			var stdout, stderr bytes.Buffer
			args := append(append([]string{}, c.args...), "-q", "-out", stopped, "-save", model)
			if code := runWithStop(t, args, &stdout, &stderr, stopAfter(c.stop)); code != 130 {
				t.Fatalf("stopped run: exit code %d; want 130\n%s", code, &stderr)
			}
			_, cmd, ok := strings.Cut(stderr.String(), "resume with: ")
			if !ok {
				t.Fatalf("the stopped run prints no resume command:\n%s", &stderr)
			}
			words := shellWords(t, strings.TrimSpace(cmd))
			if words[0] != "backprop" || words[1] != "-exp" {
				t.Fatalf("resume command %q; want it to start with backprop -exp", cmd)
			}
			// What the stopped run says about its network is what the last
			// row of its CSV says.
			if c.name == "mnist mid-epoch" {
				rows := csvRows(t, filepath.Join(stopped, c.files[0]))
				last := rows[len(rows)-1]
				acc, _ := strconv.ParseFloat(last[4], 64)
				if want := fmt.Sprintf("after %s epochs: accuracy train", last[0]); !strings.Contains(stdout.String(), want) ||
					!strings.Contains(stdout.String(), fmt.Sprintf("test %.2f%%", 100*acc)) {
					t.Errorf("the stopped run's summary does not describe the network of its last row %v:\n%s", last, &stdout)
				}
			}

			stdout.Reset()
			stderr.Reset()
			if code := run(words[1:], &stdout, &stderr); code != 0 {
				t.Fatalf("the resume command %q: exit code %d; want 0\n%s", cmd, code, &stderr)
			}
			args = append(append([]string{}, c.args...), "-q", "-out", whole, "-save", filepath.Join(whole, "model.json"))
			if code := run(args, &bytes.Buffer{}, &stderr); code != 0 {
				t.Fatalf("uninterrupted run: exit code %d; want 0\n%s", code, &stderr)
			}
			for _, f := range c.files {
				resumed, _ := os.ReadFile(filepath.Join(stopped, f))
				one, err := os.ReadFile(filepath.Join(whole, f))
				if err != nil || !bytes.Equal(resumed, one) {
					t.Errorf("%s after stop and resume differs from one run (err %v):\n%s\n---\n%s", f, err, resumed, one)
				}
			}
			a, metaA, errA := LoadModel(model)
			b, metaB, errB := LoadModel(filepath.Join(whole, "model.json"))
			if errA != nil || errB != nil {
				t.Fatal(errA, errB)
			}
			checkSameParams(t, "resumed vs one run", a, b)
			if metaA.Epochs != metaB.Epochs || metaA.Stopped || len(metaA.History) != 2 || fmt.Sprint(metaA.Files) != fmt.Sprint(metaB.Files) {
				t.Errorf("resumed meta: got epochs %d, stopped %v, %d runs, files %v; want %d, false, 2, %v",
					metaA.Epochs, metaA.Stopped, len(metaA.History), metaA.Files, metaB.Epochs, metaB.Files)
			}
		})
	}
}

// TestResumeRestoresSettings: -load takes the settings the network was
// trained with, a flag that differs overrides one and says so, and a flag
// that would change the loaded network's shape is a usage error.
func TestResumeRestoresSettings(t *testing.T) {
	needLab(t, labAll)
	dir := t.TempDir()
	data := syntheticMNISTDir(t, 40)
	model := filepath.Join(dir, "m.json")
	mustRun(t, "-exp", "mnist", "-data", data, "-epochs", "1", "-batch", "7", "-eta", "0.03", "-limit", "20",
		"-hidden", "5", "-naive", "-shuffle", "-seed", "9", "-q", "-plot=false", "-out", dir, "-save", model)
	cfg, err := parseFlags([]string{"-load", model, "-epochs", "0", "-out", dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.exp.name != "mnist" || cfg.batch != 7 || cfg.eta != 0.03 || cfg.limit != 20 || fmt.Sprint(cfg.hidden) != "[5]" || !cfg.naive || !cfg.shuffle || cfg.seed != 9 || len(cfg.notes) != 0 {
		t.Errorf("-load restored exp %s, batch %d, eta %v, limit %d, hidden %v, naive %v, shuffle %v, seed %d, notes %q; want mnist, 7, 0.03, 20, [5], true, true, 9, none",
			cfg.exp.name, cfg.batch, cfg.eta, cfg.limit, cfg.hidden, cfg.naive, cfg.shuffle, cfg.seed, cfg.notes)
	}
	code, stdout, _ := runMain("-load", model, "-epochs", "1", "-eta", "0.04", "-limit", "10", "-data", data, "-q", "-plot=false", "-out", dir)
	for _, want := range []string{"note: -eta 0.04 overrides 0.03, the loaded network's", "note: -limit 10 overrides 20, the loaded network's", "10 of 40 training images", "naive"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("-load with -eta 0.04 -limit 10: exit code %d; want 0 and %q in:\n%s", code, want, stdout)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-hidden", "8"}, "-hidden 8 does not match the loaded network, whose hidden widths are 5"},
		{[]string{"-naive=false"}, "-naive=false does not match the loaded network, which is the naive pipeline"},
	} {
		code, _, stderr := runMain(append([]string{"-load", model, "-out", dir}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("-load with %q: exit code %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

// TestResumeKeepsOnlyTheRecordedFiles: a CSV in -out that is not the file
// the loaded network's run wrote (changed since) is written afresh, from
// the loaded network's epoch on, and the run says so.
func TestResumeKeepsOnlyTheRecordedFiles(t *testing.T) {
	needLab(t, labAll)
	dir := t.TempDir()
	model := filepath.Join(dir, "m.json")
	mustRun(t, "-epochs", "5", "-q", "-plot=false", "-out", dir, "-save", model)
	xorCSV := filepath.Join(dir, "xor.csv")
	f, _ := os.OpenFile(xorCSV, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("99,edited by hand\n")
	f.Close()
	code, stdout, stderr := runMain("-load", model, "-epochs", "3", "-q", "-plot=false", "-out", dir)
	if code != 0 || !strings.Contains(stdout, "note: "+xorCSV+" is not the file the loaded network's run wrote (missing or changed): it starts at epoch 5") {
		t.Errorf("resume onto a changed xor.csv: exit code %d; want 0 and a note saying it starts at epoch 5:\n%s%s", code, stdout, stderr)
	}
	if first := csvRows(t, xorCSV)[1]; first[0] != "5" {
		t.Errorf("xor.csv starts at epoch %s; want 5", first[0])
	}
}

// shellWords splits a command line as a POSIX shell does for the quoting
// shellQuote writes (plain words, single quotes, a backslash before a
// quote).
func shellWords(t *testing.T, s string) []string {
	var words []string
	var w strings.Builder
	inWord, quoted, escaped := false, false, false
	for _, r := range s {
		switch {
		case escaped:
			w.WriteRune(r)
			escaped = false
		case !quoted && r == '\\':
			escaped, inWord = true, true
		case quoted && r == '\'':
			quoted = false
		case quoted:
			w.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// runWithStop is run with runState.stop set: the experiment uses it instead of
// catching signals.
func runWithStop(t *testing.T, args []string, stdout, stderr io.Writer, stop func() bool) int {
	t.Helper()
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		t.Fatalf("parseFlags(%q): %v", args, err)
	}
	r := cfg.newRun(stdout, stderr)
	r.stop = stop
	if _, err := r.run(cfg.exp.run); err != nil {
		io.WriteString(stderr, "backprop: "+err.Error()+"\n")
		if errors.Is(err, errInterrupted) {
			return 130
		}
		return 1
	}
	return 0
}

// csvRows checks that the CSV at path is whole (a header, rows of its
// width, a final newline) and returns its records, the header first.
func csvRows(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || !bytes.HasSuffix(data, []byte("\n")) || len(rows) < 2 {
		t.Fatalf("%s (%d bytes): %v; want a header, rows of its width and a final newline", path, len(data), err)
	}
	return rows
}

// csvLastEpoch returns the epoch of the last row of a whole CSV whose
// first column is the epoch.
func csvLastEpoch(t *testing.T, path string) string {
	t.Helper()
	rows := csvRows(t, path)
	if rows[0][0] != "epoch" {
		t.Fatalf("%s starts with %q; want the epoch first", path, rows[0])
	}
	return rows[len(rows)-1][0]
}

// The test binary doubles as the program: started with BACKPROP_TEST_MAIN=1
// it runs main (init below) instead of the tests, so that the signal tests
// send real signals to a separate process running exactly the program's
// code, without a go build. BACKPROP_TEST_WRITE_DELAY holds it before each
// file it writes, saying which on stderr, so that a test can send a signal
// while the files are being written.
func init() {
	if os.Getenv("BACKPROP_TEST_MAIN") != "1" {
		return
	}
	if d, err := time.ParseDuration(os.Getenv("BACKPROP_TEST_WRITE_DELAY")); err == nil && d > 0 {
		beforeWriteHook = func(path string) {
			fmt.Fprintf(os.Stderr, "test hook: writing %s\n", path)
			time.Sleep(d)
		}
	}
	main()
}

// child is the program started as a separate process (see init).
type child struct {
	t      *testing.T
	cmd    *exec.Cmd
	lines  chan string // stdout and stderr, line by line
	output strings.Builder
	done   chan error
}

// skipProcesses skips a test that starts the program as a process and
// signals it: with -short, under emulation, and on windows (no signals).
func skipProcesses(t *testing.T) {
	if runtime.GOOS == "windows" || testing.Short() || os.Getenv("BACKPROP_EMULATED") != "" {
		t.Skip("starts the program as a process and signals it; skipped with -short, emulated and on windows")
	}
}

// startChild starts the program with args; writeDelay > 0 holds it before
// every file it writes.
func startChild(t *testing.T, writeDelay time.Duration, args ...string) *child {
	t.Helper()
	skipProcesses(t)
	c := &child{t: t, cmd: exec.Command(os.Args[0], args...), lines: make(chan string, 1<<16), done: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), "BACKPROP_TEST_MAIN=1", "BACKPROP_TEST_WRITE_DELAY="+writeDelay.String())
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c.cmd.Stdout, c.cmd.Stderr = pw, pw
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case c.lines <- sc.Text():
			default: // nobody waits for lines any more: drop them
			}
		}
		close(c.lines)
		c.done <- c.cmd.Wait()
	}()
	t.Cleanup(func() { c.cmd.Process.Kill() })
	return c
}

// waitFor reads the output up to a line that contains s.
func (c *child) waitFor(s string) {
	c.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("the program ended without printing %q; output:\n%s", s, c.output.String())
			}
			c.output.WriteString(l + "\n")
			if strings.Contains(l, s) {
				return
			}
		case <-timeout:
			c.t.Fatalf("no %q within 20 s; output:\n%s", s, c.output.String())
		}
	}
}

func (c *child) signal(s os.Signal) {
	if err := c.cmd.Process.Signal(s); err != nil {
		c.t.Fatal(err)
	}
}

// wait waits for the end and returns the exit code and all output.
func (c *child) wait() (int, string) {
	c.t.Helper()
	for {
		select {
		case l, ok := <-c.lines:
			if ok {
				c.output.WriteString(l + "\n")
				continue
			}
			err := <-c.done
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				c.t.Fatal(err)
			}
			return c.cmd.ProcessState.ExitCode(), c.output.String()
		case <-time.After(20 * time.Second):
			c.cmd.Process.Kill()
			c.t.Fatalf("the program did not end within 20 s; output:\n%s", c.output.String())
		}
	}
}

// TestInterruptBySignal stops the program with SIGINT, SIGTERM and SIGHUP
// during training: it finishes the epoch, saves the network, writes its
// files and exits with 130, 143 or 129. The resume command it prints, run as it
// stands, gives the xor.csv of one uninterrupted run, byte for byte.
func TestInterruptBySignal(t *testing.T) {
	needLab(t, labPlain)
	for _, c := range []struct {
		sig  os.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}, {syscall.SIGHUP, 129}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out, model := filepath.Join(dir, "out dir"), filepath.Join(dir, "xor.json") // a space, to be quoted
			ch := startChild(t, 0, "-exp", "xor", "-epochs", "20000", "-batch", "2", "-shuffle", "-plot=false", "-out", out, "-save", model)
			ch.waitFor("10/20000  loss") // epoch 10: training is under way
			ch.signal(c.sig)
			code, output := ch.wait()
			if code != c.code {
				t.Fatalf("exit code %d; want %d\n%s", code, c.code, output)
			}
			last := csvLastEpoch(t, filepath.Join(out, "xor.csv"))
			if _, meta, err := LoadModel(model); err != nil || strconv.Itoa(meta.Epochs) != last || !meta.Stopped {
				t.Errorf("saved model: %v, epochs %d, stopped %v; want the epochs of the CSV, %s, and stopped", err, meta.Epochs, meta.Stopped, last)
			}
			for _, want := range []string{"training stops at the end of the current epoch", "interrupted after epoch " + last + " of 20000", "resume with: "} {
				if !strings.Contains(output, want) {
					t.Errorf("the output does not say %q:\n%s", want, output)
				}
			}
			_, cmd, _ := strings.Cut(output, "resume with: ")
			words := shellWords(t, strings.TrimSpace(cmd))
			if words[0] != os.Args[0] {
				t.Fatalf("the resume command names the program %q; want %q, as it was started", words[0], os.Args[0])
			}
			resumed := startChild(t, 0, words[1:]...)
			if code, output := resumed.wait(); code != 0 {
				t.Fatalf("the resume command %q: exit code %d; want 0\n%s", cmd, code, output)
			}
			whole := filepath.Join(dir, "whole")
			mustRun(t, "-exp", "xor", "-epochs", "20000", "-batch", "2", "-shuffle", "-q", "-plot=false", "-out", whole)
			a, _ := os.ReadFile(filepath.Join(out, "xor.csv"))
			b, _ := os.ReadFile(filepath.Join(whole, "xor.csv"))
			if !bytes.Equal(a, b) {
				t.Errorf("xor.csv stopped by %v at epoch %s and resumed (%d bytes) differs from one run (%d bytes)", c.sig, last, len(a), len(b))
			}
		})
	}
}

// TestInterruptWhileWriting: a first signal while the files are written
// lets every file be written (exit 130); a second one quits at once,
// saying which files are not written, and leaves no temporary file.
func TestInterruptWhileWriting(t *testing.T) {
	needLab(t, labAll)
	files := []string{"xor.json", "xor.csv", "xor_confusion.csv", "xor_map.svg", "xor_confusion.svg", "xor_acc.svg", "xor_loss.svg", "xor_weights.svg", "xor.run.json", "index.html"}
	t.Run("once", func(t *testing.T) {
		out := t.TempDir()
		ch := startChild(t, 50*time.Millisecond, "-epochs", "20", "-q", "-out", out, "-save", filepath.Join(out, "xor.json"))
		ch.waitFor("test hook: writing " + filepath.Join(out, "xor.json"))
		ch.signal(syscall.SIGINT)
		code, output := ch.wait()
		if code != 130 || !strings.Contains(output, "interrupted while writing the files: finishing them") {
			t.Errorf("exit code %d; want 130 and the message that writing goes on:\n%s", code, output)
		}
		for _, f := range files {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("%s was not written: %v", f, err)
			}
		}
	})
	t.Run("twice", func(t *testing.T) {
		out := t.TempDir()
		ch := startChild(t, 200*time.Millisecond, "-epochs", "20", "-q", "-out", out, "-save", filepath.Join(out, "xor.json"))
		ch.waitFor("test hook: writing " + filepath.Join(out, "xor_confusion.csv"))
		ch.signal(syscall.SIGINT)
		ch.waitFor("interrupted while writing")
		ch.signal(syscall.SIGINT)
		code, output := ch.wait()
		_, notWritten, _ := strings.Cut(output, "not written: ")
		if code != 130 || !strings.Contains(output, "interrupted again: quitting at once") {
			t.Fatalf("exit code %d; want 130 and the message that it quits at once:\n%s", code, output)
		}
		// Each file is either written or listed as not written: the model
		// and xor.csv were written before the first signal, the page
		// comes last.
		for i, f := range files {
			_, err := os.Stat(filepath.Join(out, f))
			written, listed := err == nil, strings.Contains(notWritten, filepath.Join(out, f))
			if written == listed || (i < 2 && !written) || (i == len(files)-1 && written) {
				t.Errorf("%s: written %v, listed as not written %v; want one of the two, the model and xor.csv written, index.html not:\n%s", f, written, listed, output)
			}
		}
		if names, _ := filepath.Glob(filepath.Join(out, ".*")); len(names) > 0 {
			t.Errorf("a quit at once left temporary files: %v", names)
		}
	})
}

// TestInterruptTwiceDuringTraining: the second signal quits at once, in
// the middle of the epoch that the first let go on, and says that the
// network is not saved. (Wide layers make an epoch last about a second.)
func TestInterruptTwiceDuringTraining(t *testing.T) {
	needLab(t, labAll)
	out := t.TempDir()
	model := filepath.Join(out, "m.json")
	ch := startChild(t, 0, "-exp", "mnist", "-data", syntheticMNISTDir(t, 300), "-hidden", "1000,1000", "-batch", "10", "-epochs", "5", "-out", out, "-save", model)
	ch.waitFor("epoch 0/5  loss")
	ch.signal(syscall.SIGINT)
	ch.waitFor("training stops at the end of the current epoch")
	ch.signal(syscall.SIGINT)
	code, output := ch.wait()
	if code != 130 || !strings.Contains(output, "quitting at once; the network of this run is not saved to "+model) {
		t.Errorf("exit code %d; want 130 and that the network is not saved:\n%s", code, output)
	}
	if _, err := os.Stat(model); err == nil {
		t.Errorf("%s was written; want nothing written after a quit at once during training", model)
	}
}

// A signal that comes after an experiment returned with every file
// written, but before the program stops catching signals, still ends the
// run with the signal's exit code and says that nothing is missing.
func TestSignalAfterTheRunHadFinished(t *testing.T) {
	experiments = append(experiments, &experiment{name: "signal-late", run: func(r *runState) error {
		r.startInterrupts().handle(syscall.SIGTERM)
		return nil
	}})
	t.Cleanup(func() { experiments = experiments[:len(experiments)-1] })
	code, _, stderr := runMain("-exp", "signal-late", "-out", t.TempDir())
	if code != 143 || !strings.Contains(stderr, "after the run had finished: every file is written") {
		t.Errorf("exit code %d, stderr %q; want 143 and that every file is written", code, stderr)
	}
}

// TestKilledRunLeavesNoTemporaryFile: a run killed (SIGKILL, which no
// program can catch) while writing leaves its temporary file; the next run
// in the same -out removes it, and leaves those of a live process alone.
func TestKilledRunLeavesNoTemporaryFile(t *testing.T) {
	needLab(t, labAll)
	out := t.TempDir()
	ch := startChild(t, time.Minute, "-epochs", "1", "-q", "-out", out)
	ch.waitFor("test hook: writing")
	ch.signal(syscall.SIGKILL)
	ch.wait()
	left, _ := filepath.Glob(filepath.Join(out, ".xor.csv.tmp-*"))
	if len(left) != 1 {
		t.Fatalf("after kill -9: temporary files %v; want the one of xor.csv", left)
	}
	live := filepath.Join(out, ".xor.csv.tmp-1-123") // process 1 lives as long as the system
	os.WriteFile(live, nil, 0o644)
	mustRun(t, "-epochs", "1", "-q", "-plot=false", "-out", out)
	if _, err := os.Stat(left[0]); err == nil {
		t.Errorf("the next run left %s, the killed run's temporary file", left[0])
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the next run removed %s, which a live process may be writing", live)
	}
}

// TestResumeCommandQuoting: the program is named as it was started (go run
// builds it in a temporary exe directory that it deletes: then "go run ."),
// and every argument a shell would split or expand is quoted.
func TestResumeCommandQuoting(t *testing.T) {
	cache := filepath.Join(string(filepath.Separator)+"home", "me", ".cache", "go-build")
	for arg0, want := range map[string]bool{
		"./backprop": false, "/usr/local/bin/backprop": false, "backprop": false, "my bin/bp": false,
		"/tmp/go-build123456/b001/exe/backprop":          true,
		"/var/tmp/x/go-build98/b001/exe/backprop":        true, // GOTMPDIR
		"/home/me/go-builds/b001/exe/backprop":           false,
		"/tmp/go-build123456/b001/backprop.test":         false, // go test's binary runs as itself
		filepath.Join(cache, "3f", "3f9a-d", "backprop"): true,  // a go run kept in the build cache
		filepath.Join(cache+"x", "backprop"):             false,
	} {
		if got := builtByGoRun(filepath.FromSlash(arg0), cache, true); got != want {
			t.Errorf("builtByGoRun(%q, %q) = %v; want %v", arg0, cache, got, want)
		}
	}
	// Without a build cache (GOCACHE=off) only go run's work directory counts.
	if builtByGoRun(filepath.Join(cache, "3f", "backprop"), cache, false) {
		t.Errorf("a binary under %s counted as go run's with no build cache", cache)
	}
	if got := commandName("./bp"); got != "./bp" {
		t.Errorf("commandName(%q) = %q; want it as typed", "./bp", got)
	}
	// The whole command reads back as the words it was made of, the
	// program's path among them.
	defer func(p string) { progName = p }(progName)
	for _, prog := range []string{"/home/me/my bin/bp", "./it's", "go run ."} {
		progName = prog
		c := settings{exp: "mnist", save: "my models/m $(x).json", out: "o`k`", dataDir: `d "1"`, plot: true}
		want := []string{prog, "-exp", "mnist", "-load", c.save, "-save", c.save, "-epochs", "7", "-out", c.out, "-data", c.dataDir}
		if prog == "go run ." {
			want = append([]string{"go", "run", "."}, want[1:]...)
		}
		if got := shellWords(t, c.resumeCommand(7)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("resumeCommand with the program %q = %s; a shell reads it as %q, want %q", prog, c.resumeCommand(7), got, want)
		}
		if runtime.GOOS == "windows" {
			continue
		}
		// And a real shell, which would run $(x) or `k` if left unquoted.
		words, err := exec.Command("sh", "-c", "set -- "+c.resumeCommand(7)+"; printf '%s\\0' \"$@\"").Output()
		if got := strings.Split(strings.TrimSuffix(string(words), "\x00"), "\x00"); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("resumeCommand with the program %q = %s; sh reads it as %q (%v), want %q", prog, c.resumeCommand(7), got, err, want)
		}
	}
	for s, want := range map[string]string{"out/x.json": "out/x.json", "my out": "'my out'", "it's": `'it'\''s'`, "": "''", "$HOME": "'$HOME'"} {
		if got := shellQuote(s); got != want {
			t.Errorf("shellQuote(%q) = %s; want %s", s, got, want)
		}
		if words := shellWords(t, "x "+shellQuote(s)); len(words) != 2 || words[1] != s {
			t.Errorf("shellQuote(%q) = %s does not read back as one word: %q", s, shellQuote(s), words)
		}
	}
}

// TestClosedOutputDoesNotStopTheRun: the program's standard output is a
// pipe whose reader exits (`| tee log`, and Ctrl-C kills tee first), and
// in one case its standard error too (a closed terminal). The program is
// not killed by SIGPIPE: it drops what it cannot write, finishes the
// epoch, saves the network and writes its files, and its exit code says
// what happened: the signal's, or 1 for a run that went to its end with
// its output cut.
func TestClosedOutputDoesNotStopTheRun(t *testing.T) {
	needLab(t, labPlain)
	skipProcesses(t)
	for _, c := range []struct {
		name        string
		epochs      string
		sig         os.Signal // nil: none, the run goes to its end
		closeStderr bool
		code        int
	}{
		{"SIGINT", "200000", syscall.SIGINT, false, 130},
		{"SIGTERM", "200000", syscall.SIGTERM, false, 143},
		{"SIGHUP, stderr closed too", "200000", syscall.SIGHUP, true, 129},
		{"no signal", "30000", nil, false, 1}, // 200 KB of progress lines: more than a pipe holds
		{"no signal, stderr closed too", "30000", nil, true, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			model := filepath.Join(out, "xor.json")
			cmd := exec.Command(os.Args[0], "-exp", "xor", "-epochs", c.epochs, "-batch", "2", "-out", out, "-save", model)
			cmd.Env = append(os.Environ(), "BACKPROP_TEST_MAIN=1")
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = pw, &stderr
			var er, ew *os.File
			if c.closeStderr {
				if er, ew, err = os.Pipe(); err != nil {
					t.Fatal(err)
				}
				cmd.Stderr = ew
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			pw.Close()
			if ew != nil {
				ew.Close()
			}
			// Read up to the first progress line, then the reader exits.
			sc := bufio.NewScanner(pr)
			for sc.Scan() && !strings.Contains(sc.Text(), "10/"+c.epochs+"  loss") {
			}
			pr.Close()
			if er != nil {
				er.Close()
			}
			if c.sig != nil {
				time.Sleep(200 * time.Millisecond) // progress lines go on: the program writes into the closed pipe
				cmd.Process.Signal(c.sig)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("the program did not end within 30 s; stderr:\n%s", stderr.String())
			}
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				t.Fatalf("the program was killed by %v; want it to drop its output and exit %d\n%s", ws.Signal(), c.code, stderr.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != c.code {
				t.Fatalf("exit code %d; want %d\n%s", code, c.code, stderr.String())
			}
			last := csvLastEpoch(t, filepath.Join(out, "xor.csv"))
			if _, meta, err := LoadModel(model); err != nil || strconv.Itoa(meta.Epochs) != last {
				t.Errorf("saved model: %v, epochs %d; want the epochs of the CSV, %s", err, meta.Epochs, last)
			}
			if c.sig == nil && last != c.epochs {
				t.Errorf("xor.csv ends at epoch %s; want the run's end, %s", last, c.epochs)
			}
			for _, f := range []string{"xor_map.svg", "index.html"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Errorf("%s was not written: %v", f, err)
				}
			}
			if !c.closeStderr && !strings.Contains(stderr.String(), "standard output could not be written") {
				t.Errorf("stderr does not say that the output was cut:\n%s", stderr.String())
			}
		})
	}
}

// TestResumedRunNumbersEpochsOverall: a resumed run that breaks down
// reports the epoch as its CSV numbers it, in the message, the located
// breakdown and the run record; a resumed run stopped by a signal says
// the network's epoch and its own count.
func TestResumedRunNumbersEpochsOverall(t *testing.T) {
	needLab(t, labAll)
	data := syntheticMNISTDir(t, 300)
	out := t.TempDir()
	model := filepath.Join(out, "m.json")
	mustRun(t, "-exp", "mnist", "-naive", "-data", data, "-hidden", "32", "-epochs", "2", "-q", "-out", out, "-save", model)
	// A step of 1000 breaks the naive pipeline in the resumed run's first
	// epoch: the network's third.
	code, stdout, stderr := runMain("-load", model, "-data", data, "-eta", "1000", "-epochs", "3", "-q", "-out", out)
	if code != 1 {
		t.Fatalf("resumed with -eta 1000: exit code %d; want 1 (diverged)\n%s%s", code, stdout, stderr)
	}
	last := csvLastEpoch(t, filepath.Join(out, "mnist_naive.csv"))
	record, _ := os.ReadFile(filepath.Join(out, "mnist_naive.run.json"))
	for what, text := range map[string]string{"stdout": stdout, "stderr": stderr, "the run record": string(record)} {
		for _, m := range regexp.MustCompile(`(?:at|after) epoch (\d+)`).FindAllStringSubmatch(text, -1) {
			if m[1] != last {
				t.Errorf("%s says %q; the CSV's last row, the epoch that broke down, is epoch %s:\n%s", what, m[0], last, text)
			}
		}
	}
	if last != "3" || !strings.Contains(stdout, "BREAKDOWN: diverged at epoch 3") {
		t.Errorf("the CSV ends at epoch %s; want the breakdown at epoch 3, reported as such:\n%s", last, stdout)
	}

	// The progress lines count on from the loaded network's epochs.
	xm := filepath.Join(out, "xor.json")
	mustRun(t, "-epochs", "3", "-q", "-plot=false", "-out", out, "-save", xm)
	_, stdout, _ = runMain("-load", xm, "-epochs", "2", "-plot=false", "-out", out)
	if !strings.Contains(stdout, "\nepoch 3/5  loss") || !strings.Contains(stdout, "\nepoch 5/5  loss") {
		t.Errorf("an XOR network of 3 epochs trained for 2 more: the progress lines do not go from epoch 3/5 to 5/5:\n%s", stdout)
	}

	c := &runState{settings: settings{exp: "xor", save: "m.json"}, saved: true}
	if err := c.stoppedError(10, 3, 5).Error(); !strings.Contains(err, "after epoch 13 of 15 (this run's 3 of 5)") {
		t.Errorf("a run of 5 epochs after 10, stopped after its third: %q; want the network's epoch 13 of 15 and the run's 3 of 5", err)
	}
}

// TestStaleTemporaryFilesOfTheSaveDirectory: a run killed while it saved
// into a -save directory other than -out left its temporary file there;
// the next run that saves there removes it (and leaves a live process's).
func TestStaleTemporaryFilesOfTheSaveDirectory(t *testing.T) {
	needLab(t, labPlain)
	dir, out := t.TempDir(), t.TempDir()
	dead := filepath.Join(dir, ".m.json.tmp-2147483646-123") // no process has this id
	live := filepath.Join(dir, ".m.json.tmp-1-123")          // process 1 lives as long as the system
	for _, f := range []string{dead, live} {
		if err := os.WriteFile(f, []byte("half a model"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, "-epochs", "1", "-q", "-plot=false", "-out", out, "-save", filepath.Join(dir, "m.json"))
	if _, err := os.Stat(dead); err == nil {
		t.Errorf("the run that saved into %s left %s, a killed run's temporary file", dir, filepath.Base(dead))
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the run removed %s, which a live process may be writing", filepath.Base(live))
	}
}

// TestGoRunNamesItself: under go run, the flag error's pointer to -h and
// the usage say "go run .", not the binary's path in a temporary
// directory. (It builds the program once: skipped with -short.)
func TestGoRunNamesItself(t *testing.T) {
	if testing.Short() || os.Getenv("BACKPROP_EMULATED") != "" {
		t.Skip("builds the program with go run; skipped with -short")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	for args, want := range map[string]string{
		"-nope": "(go run . -h lists every flag and experiment)",
		"-h":    "Usage: go run . -exp NAME [flags]",
	} {
		out, _ := exec.Command(goCmd, "run", ".", args).CombinedOutput()
		if !strings.Contains(string(out), want) || strings.Contains(string(out), "go-build") {
			t.Errorf("go run . %s: the output does not say %q (or names the build directory):\n%s", args, want, out)
		}
	}
}
