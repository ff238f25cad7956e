package main

// Tests of the MNIST experiment's watch: the breakdown of the naive
// pipeline located and explained, the margin measured.

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// oneLinear is a 2→2 linear layer with W = [[w, 0], [0, 0]], b = 0: the
// input (1, 0) gets the logits (w, 0).
func oneLinear(w float64) *LinearLayer {
	return &LinearLayer{name: "Linear_OUT", W: FromRows([][]float64{{w, 0}, {0, 0}}), B: NewMatrix(1, 2)}
}

// TestMNISTNaiveBreakdownLocated: logits (1000, 0) with the true class 1
// give p_1 = exp(−1000) = 0 in float64. The naive pipeline must stop at
// epoch 1, batch 0, and the diagnosis must name the cause chain: log 0 in
// the loss, −t/0 in its delta, NaN in the softmax delta, a NaN gradient.
func TestMNISTNaiveBreakdownLocated(t *testing.T) {
	needLab(t, labAll)
	X := FromRows([][]float64{{0, 1}, {1, 0}})
	T := FromRows([][]float64{{1, 0}, {0, 1}})
	naive := NewMLP(2, []Layer{oneLinear(1000), NewSoftmaxLayer("Softmax_OUT")}, NewLossCrossEntropy("CE"), nil)
	_, err := Train(naive, X, T, TrainConfig{BatchSize: 2, Epochs: 1, Eta: 0.1})
	de, ok := err.(*DivergenceError)
	if !ok || de.Epoch != 1 || de.Batch != 0 || de.InEvaluation {
		t.Fatalf("Train: got error %v; want a DivergenceError at epoch 1, batch 0", err)
	}
	if got := naive.Layers[0].(*LinearLayer).W.At(0, 0); got != 1000 {
		t.Fatalf("W after the failed step: got %v; want 1000 (the step must not be applied)", got)
	}
	got := diagnoseDivergence(naive, X, T, 2, de)
	t.Log(got)
	for _, want := range []string{
		"epoch 1, batch 0 (training images 0–1)",
		"loss of CE: image 1 (digit 1) has loss inf: log 0",
		"probability 0 (its logit 0 lies 1000 below the largest",
		"delta of CE: image 1, class 1 is −t/p = -inf with p = 0 (division by 0)",
		"delta of Softmax_OUT: image 1 becomes NaN",
		"0·∞ = NaN",
		"gradient dW of Linear_OUT is not finite",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnosis:\n%s\nwant it to contain %q", got, want)
		}
	}

	// The stable pipeline trains the same net without trouble.
	stable := NewMLP(2, []Layer{oneLinear(1000)}, NewLossCrossEntropyForSoftmaxLogits("CE_logits"), []Layer{NewSoftmaxLayer("Softmax_OUT")})
	if _, err := Train(stable, X, T, TrainConfig{BatchSize: 2, Epochs: 3, Eta: 0.1}); err != nil {
		t.Errorf("stable pipeline on the same net: got error %v; want none", err)
	}
}

// With -shuffle the broken batch holds rows in the shuffled order: the
// diagnosis must trace those rows and name them by their place in the
// training set. Only image 3 (logits (1000, 0), true class 1) breaks; in
// batches of 1 it is the batch the shuffled order puts it in.
func TestMNISTNaiveBreakdownShuffled(t *testing.T) {
	needLab(t, labAll)
	X := FromRows([][]float64{{0, 1}, {0, 1}, {0, 1}, {1, 0}})
	T := FromRows([][]float64{{1, 0}, {1, 0}, {1, 0}, {0, 1}})
	naive := NewMLP(2, []Layer{oneLinear(1000), NewSoftmaxLayer("Softmax_OUT")}, NewLossCrossEntropy("CE"), nil)
	_, err := Train(naive, X, T, TrainConfig{BatchSize: 1, Epochs: 1, Eta: 0.1, Shuffle: true, Rand: newRNG(1)})
	de, ok := err.(*DivergenceError)
	if !ok || len(de.Rows) != 1 || de.Rows[0] != 3 {
		t.Fatalf("Train: got error %#v; want a DivergenceError whose batch holds row 3", err)
	}
	got := diagnoseDivergence(naive, X, T, 1, de)
	for _, want := range []string{"shuffled training images, the first of them image 3", "loss of CE: image 3 (digit 1) has loss inf"} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnosis:\n%s\nwant it to contain %q", got, want)
		}
	}
}

// TestMNISTNaiveTinyProbability: p_t ≈ e^−720 is not 0 (float64 goes down
// to e^−745), so the loss is finite, but 1/p overflows in the delta.
func TestMNISTNaiveTinyProbability(t *testing.T) {
	needLab(t, labAll)
	X := FromRows([][]float64{{1, 0}})
	T := FromRows([][]float64{{0, 1}})
	naive := NewMLP(2, []Layer{oneLinear(720), NewSoftmaxLayer("Softmax_OUT")}, NewLossCrossEntropy("CE"), nil)
	steps := traceNonFinite(naive, X, T, func(r int) int { return r })
	if len(steps) == 0 || !strings.Contains(steps[0], "delta of CE") || !strings.Contains(steps[0], "1/p overflows") {
		t.Errorf("trace: got %q; want it to start with the delta of CE and 1/p overflowing", steps)
	}
}

// The margin watch, through Train: the fused pipeline's log p_t comes from
// the logits (finite where p_t underflows), the naive one's from its own
// softmax output (not finite there: what that pipeline computes).
func TestMNISTMarginWatch(t *testing.T) {
	X := FromRows([][]float64{{1, 0}, {0, 1}})
	T := FromRows([][]float64{{0, 1}, {1, 0}})
	for _, naive := range []bool{false, true} {
		t.Run(map[bool]string{false: "fused", true: "naive"}[naive], func(t *testing.T) {
			needLab(t, map[bool][]string{false: labFused, true: labPlain}[naive])
			for _, tc := range []struct {
				big  float64 // logits (big, 0) for image 0 (true class 1), (0, 0) for image 1
				want marginEpoch
			}{
				{3, marginEpoch{Epoch: 0, MaxAbsLogit: 3, MinLogPTrue: -math.Log(1 + math.Exp(3))}},
				// p_t = e^−800 underflows: log p_t is −800 from the logits,
				// not finite from a softmax output.
				{800, marginEpoch{Epoch: 0, MaxAbsLogit: 800, MinLogPTrue: -800}},
			} {
				layers := []Layer{oneLinear(tc.big)}
				var net *MLP
				if naive {
					net = NewMLP(2, append(layers, NewSoftmaxLayer("Softmax_OUT")), NewLossCrossEntropy("CE"), nil)
				} else {
					net = NewMLP(2, layers, NewLossCrossEntropyForSoftmaxLogits("CE_logits"), []Layer{NewSoftmaxLayer("Softmax_OUT")})
				}
				w := newMarginWatch(net)
				cfg := TrainConfig{BatchSize: 1, Epochs: 0, Eta: 0.1, Watch: trainWatch{TrainLogits: w.observe, AfterEpoch: w.afterEpoch}}
				if _, err := Train(net, X, T, cfg); err != nil {
					var de *DivergenceError
					if !errors.As(err, &de) {
						t.Fatal(err)
					}
				}
				if len(w.epochs) != 1 {
					t.Fatalf("logit %g: got %d epochs watched; want 1", tc.big, len(w.epochs))
				}
				got := w.epochs[0]
				if got.Epoch != tc.want.Epoch || got.MaxAbsLogit != tc.want.MaxAbsLogit {
					t.Errorf("logit %g: got %+v; want %+v", tc.big, got, tc.want)
				}
				if naive && tc.big > expOverflow {
					if got.MinLogPTrue > -745 {
						t.Errorf("logit %g: smallest log p_t %g from the softmax output; want −Inf (or NaN from an unshifted softmax): p_t underflows", tc.big, got.MinLogPTrue)
					}
				} else if math.Abs(got.MinLogPTrue-tc.want.MinLogPTrue) > 1e-12 {
					t.Errorf("logit %g: smallest log p_t %g; want %g", tc.big, got.MinLogPTrue, tc.want.MinLogPTrue)
				}
			}
		})
	}
}

func TestMNISTNetArchitecture(t *testing.T) {
	for _, tc := range []struct {
		naive bool
		want  string
	}{
		{false, "Linear_1: Linear 784→64|ReLU_1: ReLU|Linear_2: Linear 64→32|ReLU_2: ReLU|Linear_OUT: Linear 32→10|loss CE_logits: softmax + cross-entropy on logits|output Softmax_OUT: Softmax"},
		{true, "Linear_1: Linear 784→64|ReLU_1: ReLU|Linear_2: Linear 64→32|ReLU_2: ReLU|Linear_OUT: Linear 32→10|Softmax_OUT: Softmax|loss CE: cross-entropy"},
	} {
		lines := strings.Split(strings.TrimSpace(NewMNISTNet([]int{64, 32}, tc.naive, newRNG(1)).String()), "\n")
		for i := range lines {
			lines[i] = strings.TrimSpace(lines[i])
		}
		if got := strings.Join(lines[1:], "|"); got != tc.want {
			t.Errorf("naive %v: got %s; want %s", tc.naive, got, tc.want)
		}
	}
}

// syntheticMNISTDir writes tiny MNIST files (n training, 10 test images,
// labels cycling 0…9) for end-to-end runs without the real data.
func syntheticMNISTDir(t *testing.T, n int) string {
	labels := func(n int) []byte {
		l := make([]byte, n)
		for i := range l {
			l[i] = byte(i % 10)
		}
		return l
	}
	return writeMNIST(t, imagesFile(n), labelsFile(labels(n)...), imagesFile(10), labelsFile(labels(10)...))
}

// A whole MNIST run on synthetic files writes every promised file, shows
// the run on the page with its confusion matrix, and its -save file loads
// back for an evaluation-only run.
func TestMNISTRunWritesFilesAndPage(t *testing.T) {
	needLab(t, labAll)
	data, out := syntheticMNISTDir(t, 40), t.TempDir()
	model := filepath.Join(out, "mnist.json")
	stdout := mustRun(t, "-exp", "mnist", "-data", data, "-epochs", "2", "-batch", "20", "-hidden", "8,8", "-q", "-out", out, "-save", model)
	for _, f := range []string{"mnist.csv", "mnist_weights.csv", "mnist_margin.csv", "mnist_confusion.csv",
		"mnist_acc.svg", "mnist_loss.svg", "mnist_weights.svg", "mnist_digits.png", "mnist.run.json", "index.html", "mnist.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
		if !strings.Contains(stdout, filepath.Join(out, f)) {
			t.Errorf("the run does not list %s among the files it wrote", f)
		}
	}
	page, _ := os.ReadFile(filepath.Join(out, "index.html"))
	for _, want := range []string{`id="mnist"`, "Test set: rows are true classes", "mnist_digits.png"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html does not contain %q", want)
		}
	}
	if !strings.Contains(stdout, "test accuracy per class:") {
		t.Errorf("no per-class accuracy in the summary:\n%s", stdout)
	}
	conf, _ := os.ReadFile(filepath.Join(out, "mnist_confusion.csv"))
	if rows := strings.Count(string(conf), "\n"); rows != 11 {
		t.Errorf("mnist_confusion.csv has %d lines; want a header and 10 rows", rows)
	}

	stdout = mustRun(t, "-exp", "mnist", "-data", data, "-epochs", "0", "-load", model, "-q", "-out", t.TempDir())
	if !strings.Contains(stdout, "continuing from "+model+", trained for 2 epochs") {
		t.Errorf("evaluating a loaded model: got\n%s\nwant it to say it continues from epoch 2", stdout)
	}
}

// An interrupt in the middle of an MNIST run keeps the finished epochs and
// exits 130.
func TestMNISTInterruptKeepsFinishedEpochs(t *testing.T) {
	needLab(t, labAll)
	data, out := syntheticMNISTDir(t, 40), t.TempDir()
	var stdout, stderr bytes.Buffer
	// Two batches an epoch: the 5th Stop call comes before epoch 3.
	code := runWithStop(t, []string{"-exp", "mnist", "-data", data, "-epochs", "10", "-batch", "20", "-hidden", "8", "-q", "-out", out}, &stdout, &stderr, stopAfter(4))
	if code != 130 {
		t.Fatalf("exit code: got %d; want 130\nstderr: %s", code, stderr.String())
	}
	if got := csvLastEpoch(t, filepath.Join(out, "mnist.csv")); got != "2" {
		t.Errorf("mnist.csv ends at epoch %s; want 2", got)
	}
	if !strings.Contains(stderr.String(), "after epoch 2 of 10") {
		t.Errorf("stderr: got %q; want it to say it stopped after epoch 2 of 10", stderr.String())
	}
}

// The digit grid shows the first n/2 test images, then the first
// misclassified ones, each with its prediction and true label.
func TestMNISTDigitSample(t *testing.T) {
	// The identity as the network: the prediction is the larger input.
	net := argmaxNet(2, 2, func(y, x []float64) { copy(y, x) })
	X := FromRows([][]float64{{1, 0}, {1, 0.1}, {0.2, 1}, {1, 0.3}, {0.4, 1}, {0.5, 1}, {1, 0.6}}) // every row its own
	T := FromRows([][]float64{{0, 1}, {1, 0}, {0, 1}, {0, 1}, {0, 1}, {1, 0}, {1, 0}})
	// Predictions 0 0 1 0 1 1 0 against truth 1 0 1 1 1 0 0: rows 3 and 5
	// are the misclassified ones after the first two.
	images, pred, truth := digitSample(net, X, T, 4)
	wantRows, wantPred, wantTruth := []int{0, 1, 3, 5}, []int{0, 0, 0, 1}, []int{1, 0, 1, 0}
	if len(images) != 4 {
		t.Fatalf("got %d images; want 4", len(images))
	}
	for k, r := range wantRows {
		if !slices.Equal(images[k], X.Row(r)) || pred[k] != (shownClass{wantPred[k], true}) || truth[k] != (shownClass{wantTruth[k], true}) {
			t.Errorf("image %d: got row with %v, pred %v, truth %v; want row %d, pred %d, truth %d",
				k, images[k], pred[k], truth[k], r, wantPred[k], wantTruth[k])
		}
	}
}

// TestMNISTKernelHint: a run on amd64 that falls back to the portable
// kernels says why, unless they were asked for; other runs say nothing.
func TestMNISTKernelHint(t *testing.T) {
	cases := []struct {
		kernels, goarch, want string
		hint                  bool
	}{
		{"portable", "amd64", "", true},
		{"portable", "arm64", "", false},         // no assembly there
		{"avx2", "amd64", "", false},             // the assembly runs
		{"avx512", "amd64", "avx2", false},       // the assembly runs
		{"portable", "amd64", "portable", false}, // asked for
	}
	for _, c := range cases {
		got := kernelHint(c.kernels, c.goarch, c.want)
		if (got != "") != c.hint || (c.hint && !strings.Contains(got, "purego")) {
			t.Errorf("kernelHint(%q, %q, %q) = got %q; want a hint: %v", c.kernels, c.goarch, c.want, got, c.hint)
		}
	}
}

// TestMNISTLabelsFollowTheNetwork: a naive network loaded without -naive is
// trained and labelled as the naive one (its files are mnist_naive*).
func TestMNISTLabelsFollowTheNetwork(t *testing.T) {
	needLab(t, labAll)
	data, out := syntheticMNISTDir(t, 20), t.TempDir()
	model := filepath.Join(out, "naive.json")
	mustRun(t, "-exp", "mnist", "-data", data, "-naive", "-hidden", "4", "-epochs", "1", "-q", "-plot=false", "-out", out, "-save", model)
	out2 := t.TempDir()
	code, stdout, stderr := runMain("-exp", "mnist", "-data", data, "-load", model, "-epochs", "1", "-q", "-out", out2)
	if code != 0 || !strings.Contains(stdout, "naive (Softmax layer + plain cross-entropy, Assignment 1) pipeline") {
		t.Errorf("exit code %d; want 0 and the naive pipeline named:\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out2, "mnist_naive.csv")); err != nil {
		t.Errorf("the naive network's run info: %v; want mnist_naive.csv", err)
	}
	if _, err := os.Stat(filepath.Join(out2, "mnist.csv")); err == nil {
		t.Errorf("the naive network's run wrote mnist.csv, the stable pipeline's file")
	}
}

// TestMNISTAppliedStepDiagnosis: with eta 1e308 every gradient is finite
// and every step applied, until the evaluation after the epoch overflows:
// the diagnosis says so rather than that training stopped before a step.
// A step that itself overflows a weight is said to be applied too.
func TestMNISTAppliedStepDiagnosis(t *testing.T) {
	needLab(t, labAll)
	data := syntheticMNISTDir(t, 20)
	code, stdout, _ := runMain("-exp", "mnist", "-data", data, "-eta", "1e308", "-hidden", "4", "-epochs", "1", "-q", "-plot=false", "-out", t.TempDir())
	if code != 1 || !strings.Contains(stdout, "located at the evaluation after epoch 1 (every step of the epoch had a finite gradient and was applied)") ||
		strings.Contains(stdout, "before applying it") {
		t.Errorf("exit code %d; want 1 and a diagnosis that the step was applied:\n%s", code, stdout)
	}
}

func TestMNISTAppliedStepOverflow(t *testing.T) {
	needLab(t, labAll)
	X := FromRows([][]float64{{1, 0}})
	T := FromRows([][]float64{{0, 1}})
	// Logits (1.7e308, 1e308) for the true class 1: finite, and so is the
	// loss and dW = [[1, −1], [0, 0]]; the step takes W[0][1] to 2e308.
	lin := &LinearLayer{name: "Linear_OUT", W: FromRows([][]float64{{1.7e308, 1e308}, {0, 0}}), B: NewMatrix(1, 2)}
	net := NewMLP(2, []Layer{lin}, NewLossCrossEntropyForSoftmaxLogits("CE_logits"), []Layer{NewSoftmaxLayer("Softmax_OUT")})
	_, err := Train(net, X, T, TrainConfig{BatchSize: 1, Epochs: 1, Eta: 1e308})
	de, ok := err.(*DivergenceError)
	if !ok || !de.Applied || de.Batch != 0 || de.InEvaluation {
		t.Fatalf("Train with a step that overflows W: got %v; want a DivergenceError at batch 0 with Applied set", err)
	}
	if got := diagnoseDivergence(net, X, T, 1, de); !strings.Contains(got, "made a parameter overflow, and it was applied") {
		t.Errorf("diagnosis %q; want it to say the step was applied", got)
	}
}
