package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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

func TestTrainStopKeepsFinishedEpochs(t *testing.T) {
	X, T := XORData()
	cases := []struct {
		batch, stopAfter   int
		wantEpochs, wantPB int // recorded epochs after epoch 0; partial batches
	}{
		{4, 3, 3, 0}, // one batch an epoch: a stop after a batch ends an epoch cleanly
		{1, 9, 2, 1}, // four batches an epoch: 2 epochs and 1 batch of the third
		{2, 0, 0, 0}, // before the first batch
	}
	for _, c := range cases {
		net := NewXORNet(newRNG(1))
		ri, err := Train(net, X, T, TrainConfig{BatchSize: c.batch, Epochs: 100, Eta: 0.1, Stop: stopAfter(c.stopAfter)})
		if err != nil {
			t.Fatal(err)
		}
		if !ri.Stopped || ri.Last().Epoch != c.wantEpochs || ri.PartialBatches != c.wantPB {
			t.Errorf("batch %d, stop after %d batches: got Stopped %v, last epoch %d, PartialBatches %d; want true, %d, %d",
				c.batch, c.stopAfter, ri.Stopped, ri.Last().Epoch, ri.PartialBatches, c.wantEpochs, c.wantPB)
		}
	}
}

// TestXORInterruptedSavesAndResumes stops the XOR experiment through the
// config's stop hook (what a signal does), then resumes it from the saved
// model: the resumed network and CSV must equal those of one run without
// the interruption.
func TestXORInterruptedSavesAndResumes(t *testing.T) {
	dir := t.TempDir()
	out1, out2 := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	model := filepath.Join(dir, "xor.json")

	var stdout, stderr bytes.Buffer
	code := runWithStop(t, []string{"-exp", "xor", "-epochs", "50", "-q", "-out", out1, "-save", model}, &stdout, &stderr, stopAfter(20))
	if code != 130 {
		t.Fatalf("interrupted run: exit code %d; want 130\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	for _, want := range []string{"interrupted after epoch 20 of 50", "resume with -load " + model + " -epochs 30"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q does not say %q", stderr.String(), want)
		}
	}
	if got := csvLastEpoch(t, filepath.Join(out1, "xor.csv")); got != "20" {
		t.Errorf("xor.csv of the interrupted run ends at epoch %s; want 20", got)
	}
	_, meta, err := LoadModel(model)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Epochs != 20 || !meta.Stopped {
		t.Errorf("saved meta: got epochs %d, stopped %v; want 20, true", meta.Epochs, meta.Stopped)
	}

	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"-exp", "xor", "-epochs", "30", "-q", "-out", out1, "-load", model, "-save", model}, &stdout, &stderr); code != 0 {
		t.Fatalf("resumed run: exit code %d; want 0\n%s", code, &stderr)
	}
	if code := run([]string{"-exp", "xor", "-epochs", "50", "-q", "-out", out2, "-save", filepath.Join(out2, "xor.json")}, &stdout, &stderr); code != 0 {
		t.Fatalf("uninterrupted run: exit code %d; want 0\n%s", code, &stderr)
	}
	resumed, _ := os.ReadFile(filepath.Join(out1, "xor.csv"))
	whole, _ := os.ReadFile(filepath.Join(out2, "xor.csv"))
	if !bytes.Equal(resumed, whole) {
		t.Errorf("xor.csv of 20 + 30 resumed epochs differs from 50 epochs in one run:\n%s\n---\n%s", resumed, whole)
	}
	a, metaA, _ := LoadModel(model)
	b, _, _ := LoadModel(filepath.Join(out2, "xor.json"))
	for i, pa := range a.paramLayers() {
		for p, m := range pa.Params() {
			if !bytes.Equal(floatBytes(m.Data), floatBytes(b.paramLayers()[i].Params()[p].Data)) {
				t.Errorf("%s param %d: resumed differs from one run", pa.Name(), p)
			}
		}
	}
	if metaA.Epochs != 50 || metaA.Stopped || len(metaA.History) != 2 {
		t.Errorf("resumed meta: got epochs %d, stopped %v, %d runs; want 50, false, 2", metaA.Epochs, metaA.Stopped, len(metaA.History))
	}
}

func floatBytes(v []float64) []byte {
	var b bytes.Buffer
	for _, x := range v {
		b.WriteString(formatFloat(x) + ",")
	}
	return b.Bytes()
}

// runWithStop is run with cfg.stop set: the experiment uses it instead of
// catching signals.
func runWithStop(t *testing.T, args []string, stdout, stderr io.Writer, stop func() bool) int {
	t.Helper()
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		t.Fatalf("parseFlags(%q): %v", args, err)
	}
	cfg.stdout, cfg.stderr, cfg.stop = stdout, stderr, stop
	if err := cfg.exp.run(cfg); err != nil {
		io.WriteString(stderr, "backprop: "+err.Error()+"\n")
		if errors.Is(err, errInterrupted) {
			return 130
		}
		return 1
	}
	return 0
}

// csvLastEpoch checks that a CSV file is whole (header, rows of equal
// width, a final newline) and returns the epoch of its last row.
func csvLastEpoch(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a complete line", path)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "epoch,") {
		t.Fatalf("%s: got %d lines starting %q; want a header and rows", path, len(lines), lines[0])
	}
	width := strings.Count(lines[0], ",")
	for i, l := range lines {
		if strings.Count(l, ",") != width {
			t.Fatalf("%s line %d has %d fields; the header has %d", path, i+1, strings.Count(l, ",")+1, width+1)
		}
	}
	epoch, _, _ := strings.Cut(lines[len(lines)-1], ",")
	return epoch
}

// TestXORInterruptBySignal builds the program, starts a practically endless
// XOR training, sends SIGINT once progress shows, and checks the exit code
// 130, the CSV file and the message.
func TestXORInterruptBySignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send on windows")
	}
	if testing.Short() {
		t.Skip("builds the program; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "backprop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	outDir, model := filepath.Join(dir, "out"), filepath.Join(dir, "xor.json")
	cmd := exec.Command(bin, "-exp", "xor", "-epochs", "100000000", "-out", outDir, "-save", model)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for a progress line after epoch 0: training is under way.
	sc := bufio.NewScanner(stdout)
	var seen []string
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if strings.HasPrefix(sc.Text(), "epoch") && !strings.HasPrefix(strings.TrimLeft(strings.TrimPrefix(sc.Text(), "epoch"), " "), "0/") {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, stdout) // drain, so the program never blocks on output
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the program did not stop within 20 s of SIGINT; output:\n%s", strings.Join(seen, "\n"))
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit: got %v; want exit code 130\nstderr:\n%s", err, &stderr)
	}
	last := csvLastEpoch(t, filepath.Join(outDir, "xor.csv"))
	msg := stderr.String()
	for _, want := range []string{"interrupted after epoch " + last + " of 100000000", "resume with -load " + model + " -epochs"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr does not say %q:\n%s", want, msg)
		}
	}
	if _, meta, err := LoadModel(model); err != nil || last != strconv.Itoa(meta.Epochs) {
		t.Errorf("saved model: got %v, epochs %d; want the epochs of the CSV, %s", err, meta.Epochs, last)
	}
}
