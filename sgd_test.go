package main

// Tests of training (go test -run 'SGD|XOR'): the run info, the order of
// the batches, divergence, the CSV output, the weight amplitudes,
// determinism, and the lab's XOR experiment.

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// checkSameRunInfo reports any difference between two run infos, bit for
// bit, ignoring the wall-clock times.
func checkSameRunInfo(t *testing.T, what string, got, want *RunInfo) {
	t.Helper()
	if len(got.Epochs) != len(want.Epochs) {
		t.Errorf("%s: %d epochs recorded; want %d", what, len(got.Epochs), len(want.Epochs))
		return
	}
	same := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	for i, w := range want.Epochs {
		g := got.Epochs[i]
		if g.Epoch != w.Epoch || !same(g.LossTrain, w.LossTrain) || !same(g.AccTrain, w.AccTrain) ||
			!same(g.LossTest, w.LossTest) || !same(g.AccTest, w.AccTest) || fmt.Sprint(g.WeightAmp) != fmt.Sprint(w.WeightAmp) {
			t.Errorf("%s: epoch %d = %+v; want %+v bit for bit", what, i, g, w)
			return
		}
		for l := range w.WeightAmp {
			if !same(g.WeightAmp[l], w.WeightAmp[l]) {
				t.Errorf("%s: epoch %d WeightAmp[%d] = %.17g; want %.17g bit for bit", what, i, l, g.WeightAmp[l], w.WeightAmp[l])
			}
		}
	}
}

// checkSameParams reports any parameter of a that differs from the
// same-position parameter of b, bit for bit.
func checkSameParams(t *testing.T, what string, a, b *MLP) {
	t.Helper()
	pa, pb := a.paramLayers(), b.paramLayers()
	for l := range pa {
		for i, p := range pa[l].Params() {
			checkSame(t, fmt.Sprintf("%s: layer %s parameter %s", what, pa[l].Name(), paramName(i)[1:]), p, pb[l].Params()[i])
		}
	}
}

// cloneNet returns a copy of net, a network made by newDeepNet with
// pipeline p: the same architecture and the same parameters.
func cloneNet(net *MLP, p pipeline) *MLP {
	params := net.paramLayers()
	classes := params[len(params)-1].(*LinearLayer).W.Cols
	c := newDeepNet(newTestRNG(0), p, net.NInputs, classes)
	copyWeights(c, net)
	return c
}

// Run info holds epochs 0..E, epoch 0 being the untrained network; the
// losses are the mean of Evaluate (the TRAINING network's output, logits
// for the fused loss) and the accuracies come from Propagate(X, true).
// The lab's template got this wrong for the fused loss.
//
// Pitfall: softmax applied twice (fused loss plus a Softmax layer in training)
// (in the run info: the loss must be computed on the training output)
func TestSGDRunInfo(t *testing.T) {
	needLab(t, labAll)
	const epochs = 5
	for _, p := range []pipeline{naive, fused} {
		for _, withTest := range []bool{false, true} {
			name := fmt.Sprintf("%v, test set %v", p, withTest)
			rng := newTestRNG(60)
			net := newDeepNet(rng, p, 3, 4)
			X, T := randMatrix(rng, 23, 3), randOneHot(rng, 23, 4)
			Xt, Tt := randMatrix(rng, 9, 3), randOneHot(rng, 9, 4)
			cfg := TrainConfig{BatchSize: 5, Epochs: epochs, Eta: 0.05}
			if withTest {
				cfg.XTest, cfg.TTest = Xt, Tt
			}
			loss0, acc0 := mean(net.Evaluate(X, T)), accuracy(net, X, T)
			ri, err := Train(net, X, T, cfg)
			if err != nil {
				t.Fatalf("%s: Train: %v", name, err)
			}
			if len(ri.Epochs) != epochs+1 {
				t.Fatalf("%s: %d epochs recorded; want %d (0..%d)", name, len(ri.Epochs), epochs+1, epochs)
			}
			for i, e := range ri.Epochs {
				if e.Epoch != i {
					t.Errorf("%s: Epochs[%d].Epoch = %d; want %d", name, i, e.Epoch, i)
				}
				if len(e.WeightAmp) != 3 {
					t.Errorf("%s: epoch %d has %d weight amplitudes; want 3", name, i, len(e.WeightAmp))
				}
				if got := math.IsNaN(e.LossTest) || math.IsNaN(e.AccTest); got == withTest {
					t.Errorf("%s: epoch %d test loss %v, accuracy %v; want NaN exactly when there is no test set", name, i, e.LossTest, e.AccTest)
				}
			}
			if fmt.Sprint(ri.Linear) != "[Linear_1 Linear_2 Linear_OUT]" || ri.HasTest != withTest {
				t.Errorf("%s: Linear = %v, HasTest = %v; want [Linear_1 Linear_2 Linear_OUT], %v", name, ri.Linear, ri.HasTest, withTest)
			}
			first, last := ri.Epochs[0], ri.Last()
			if relErrTest(first.LossTrain, loss0) > 1e-14 || first.AccTrain != acc0 {
				t.Errorf("%s: epoch 0 loss %v, accuracy %v; want %v, %v (mean Evaluate and accuracy of the untrained net)", name, first.LossTrain, first.AccTrain, loss0, acc0)
			}
			if l, a := mean(net.Evaluate(X, T)), accuracy(net, X, T); relErrTest(last.LossTrain, l) > 1e-14 || last.AccTrain != a {
				t.Errorf("%s: last epoch loss %v, accuracy %v; want %v, %v (mean Evaluate and accuracy of the trained net)", name, last.LossTrain, last.AccTrain, l, a)
			}
			if withTest {
				if l, a := mean(net.Evaluate(Xt, Tt)), accuracy(net, Xt, Tt); relErrTest(last.LossTest, l) > 1e-14 || last.AccTest != a {
					t.Errorf("%s: last epoch test loss %v, accuracy %v; want %v, %v", name, last.LossTest, last.AccTest, l, a)
				}
			}
		}
	}
}

// accuracy is the fraction of rows whose predicted class (argmax of
// Propagate(X, true)) is the target's.
func accuracy(net *MLP, X, T *Matrix) float64 {
	P := net.Propagate(X, true)
	c := 0
	for i := 0; i < X.Rows; i++ {
		k, ok := P.ArgmaxRow(i)
		if t, tok := T.ArgmaxRow(i); ok && tok && k == t {
			c++
		}
	}
	return float64(c) / float64(X.Rows)
}

// Training lowers the loss on a small problem.
func TestSGDLossDecreases(t *testing.T) {
	needLab(t, labAll)
	for _, p := range []pipeline{naive, fused} {
		rng := newTestRNG(61)
		net := newDeepNet(rng, p, 3, 2)
		X := randMatrix(rng, 40, 3)
		T := NewMatrix(40, 2)
		for i := 0; i < 40; i++ { // class: is x0 + x1 positive? (learnable)
			if X.At(i, 0)+X.At(i, 1) > 0 {
				T.Set(i, 1, 1)
			} else {
				T.Set(i, 0, 1)
			}
		}
		ri, err := Train(net, X, T, TrainConfig{BatchSize: 8, Epochs: 60, Eta: 0.1})
		if err != nil {
			t.Fatalf("%v: Train: %v", p, err)
		}
		first, last := ri.Epochs[0], ri.Last()
		if !(last.LossTrain < 0.5*first.LossTrain) || !(last.AccTrain >= 0.9) {
			t.Errorf("%v: after 60 epochs loss %.4g, accuracy %.2f; want below half the initial loss %.4g and accuracy ≥ 0.9", p, last.LossTrain, last.AccTrain, first.LossTrain)
		}
	}
}

// A step that makes a gradient, a parameter or the training loss
// non-finite ends training with a *DivergenceError; the run info keeps the
// epochs finished before it, and a bad gradient is never applied.
//
// Pitfall: divergence (eta = 5 on spirals) turned silently into a number instead of being reported
func TestSGDDivergence(t *testing.T) {
	needLab(t, labPlain)
	cases := []struct {
		name          string
		batch         int
		eta           float64
		wantBatch     bool // found in a batch (true) or by the evaluation after the epoch
		wantWhatMatch string
	}{
		// Batches of one: the first step blows the weights up, the next
		// sample's softmax underflows and −1/0 meets 0: a NaN gradient.
		{"gradient", 1, 1000, true, "gradient"},
		// One batch per epoch: the step is finite, the loss after it is
		// log 0 = −Inf.
		{"loss", 4, 1000, false, "loss"},
	}
	for _, c := range cases {
		X, T := XORData()
		net := NewXORNet(newRNG(1234))
		var before []*Matrix // the parameters after the last applied step
		snapshot := func() bool {
			before = before[:0]
			for _, l := range net.paramLayers() {
				for _, p := range l.Params() {
					before = append(before, p.Clone())
				}
			}
			return false
		}
		snapshot()
		ri, err := Train(net, X, T, TrainConfig{BatchSize: c.batch, Epochs: 20, Eta: c.eta, Watch: trainWatch{Stop: snapshot}})
		var de *DivergenceError
		if !errors.As(err, &de) {
			t.Errorf("%s: eta %g: Train error = %v; want a *DivergenceError", c.name, c.eta, err)
			continue
		}
		if ri == nil {
			t.Errorf("%s: run info is nil; want the epochs finished before the divergence", c.name)
			continue
		}
		if !strings.Contains(de.Error(), "diverged") || !strings.Contains(de.What, c.wantWhatMatch) || de.InEvaluation == c.wantBatch {
			t.Errorf("%s: error %q (Batch %d, InEvaluation %v); want a divergence of the %s", c.name, de, de.Batch, de.InEvaluation, c.wantWhatMatch)
		}
		finished := de.Epoch // epochs 0..Epoch−1
		if de.InEvaluation {
			finished++ // and the evaluated epoch whose loss is not finite
		}
		if len(ri.Epochs) != finished {
			t.Errorf("%s: %d epochs recorded after %q; want %d", c.name, len(ri.Epochs), de, finished)
		}
		for _, e := range ri.Epochs[:de.Epoch] {
			if math.IsNaN(e.LossTrain) || math.IsInf(e.LossTrain, 0) {
				t.Errorf("%s: epoch %d before the divergence has loss %v; want finite", c.name, e.Epoch, e.LossTrain)
			}
		}
		if c.wantBatch {
			// The bad gradient was not applied: the parameters are those
			// after the last good step, all finite.
			i := 0
			for _, l := range net.paramLayers() {
				for j, p := range l.Params() {
					checkSame(t, fmt.Sprintf("%s: %s parameter %s after the divergence", c.name, l.Name(), paramName(j)[1:]), p, before[i])
					i++
				}
			}
		}
	}
}

// WriteCSV: the header, then one row per recorded epoch, values that read
// back exactly; WriteWeightsCSV: epoch and one column per linear layer.
func TestSGDWriteCSV(t *testing.T) {
	needLab(t, labPlain)
	X, T := XORData()
	net := NewXORNet(newRNG(1234))
	ri, err := Train(net, X, T, TrainConfig{BatchSize: 4, Epochs: 7, Eta: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ri.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("WriteCSV output is not CSV: %v", err)
	}
	const header = "epoch,loss_train,acc_train,loss_test,acc_test,wamp_Linear_1,wamp_Linear_OUT"
	if got := strings.Join(rows[0], ","); got != header {
		t.Errorf("CSV header = %q; want %q", got, header)
	}
	if len(rows) != 1+8 {
		t.Fatalf("CSV has %d rows; want a header and 8 (epochs 0..7)", len(rows))
	}
	for i, e := range ri.Epochs {
		r := rows[i+1]
		want := []float64{float64(e.Epoch), e.LossTrain, e.AccTrain, e.LossTest, e.AccTest}
		want = append(want, e.WeightAmp...)
		if len(r) != len(want) {
			t.Errorf("CSV row %d has %d fields; want %d", i+1, len(r), len(want))
			continue
		}
		for j, w := range want {
			g, err := strconv.ParseFloat(r[j], 64)
			if err != nil || math.Float64bits(g) != math.Float64bits(w) && !(math.IsNaN(g) && math.IsNaN(w)) {
				t.Errorf("CSV row %d column %s = %q; want %v", i+1, rows[0][j], r[j], w)
			}
		}
	}
	if rows[1][0] != "0" || rows[1][5] != "1" || rows[1][6] != "1" || rows[1][3] != "nan" {
		t.Errorf("CSV row of epoch 0 = %v; want epoch 0, weight amplitudes 1 and nan for the missing test set", rows[1])
	}

	buf.Reset()
	if err := ri.WriteWeightsCSV(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 9 || lines[0] != "epoch,Linear_1,Linear_OUT" || lines[1] != "0,1,1" {
		t.Errorf("WriteWeightsCSV = %d lines starting %q; want 9 lines starting \"epoch,Linear_1,Linear_OUT\", \"0,1,1\"", len(lines), lines[:min(2, len(lines))])
	}
}

// The weight amplitude is mean |W| divided by its initial value. The
// initial weights here have mean 0 (so |mean W| would give 0/0) and
// mean |W| = 9/8 for Linear_1 and 1 for Linear_OUT, worked out below.
//
// Pitfall: weight metric |mean W| instead of mean |W|
func TestSGDWeightAmpIsMeanAbs(t *testing.T) {
	needLab(t, labPlain)
	X, T := XORData()
	net := NewXORNet(newRNG(1))
	l1, lo := net.Layers[0].(*LinearLayer), net.Layers[2].(*LinearLayer)
	// |1|+|−1|+|2|+|−2|+|0.5|+|−0.5|+|1|+|−1| = 9, over 8 weights: 9/8.
	l1.W = mat([]float64{1, -1, 2, -2}, []float64{0.5, -0.5, 1, -1})
	// (1+1+0.5+0.5+1.5+1.5+1+1)/8 = 1.
	lo.W = mat([]float64{1, -1}, []float64{-0.5, 0.5}, []float64{1.5, -1.5}, []float64{1, -1})
	init := []float64{9.0 / 8, 1}

	// meanAbs by hand; snapshots[e] is taken after e steps (one step per
	// epoch): by Stop, which Train asks before every batch, and after Train.
	var snapshots [][]float64
	snapshot := func() {
		var a []float64
		for _, l := range []*LinearLayer{l1, lo} {
			s := 0.0
			for _, w := range l.W.Data {
				s += math.Abs(w)
			}
			a = append(a, s/float64(len(l.W.Data)))
		}
		snapshots = append(snapshots, a)
	}
	ri, err := Train(net, X, T, TrainConfig{BatchSize: 4, Epochs: 3, Eta: 0.5, Watch: trainWatch{Stop: func() bool {
		snapshot()
		return false
	}}})
	if err != nil {
		t.Fatal(err)
	}
	snapshot()
	for l, a := range ri.Epochs[0].WeightAmp {
		if a != 1 {
			t.Errorf("epoch 0 weight amplitude of %s = %v; want exactly 1", ri.Linear[l], a)
		}
	}
	for e := 1; e <= 3; e++ {
		for l, a := range ri.Epochs[e].WeightAmp {
			if want := snapshots[e][l] / init[l]; relErrTest(a, want) > 1e-15 {
				t.Errorf("epoch %d weight amplitude of %s = %.17g; want mean|W| / initial = %.17g", e, ri.Linear[l], a, want)
			}
		}
	}
}

// Batches are taken in order, without shuffling, the last one possibly
// smaller: one epoch of Train equals Gradient + UpdateParams on
// consecutive slices of the data, bit for bit.
func TestSGDBatchesInOrder(t *testing.T) {
	needLab(t, labAll)
	const n, eta = 8, 0.3
	for _, batch := range []int{4, 3} { // 4+4 and 3+3+2
		rng := newTestRNG(62)
		trained := newDeepNet(rng, fused, 3, 2)
		manual, reversed := cloneNet(trained, fused), cloneNet(trained, fused)
		X, T := randMatrix(rng, n, 3), randOneHot(rng, n, 2)
		if _, err := Train(trained, X, T, TrainConfig{BatchSize: batch, Epochs: 1, Eta: eta}); err != nil {
			t.Fatal(err)
		}
		step := func(net *MLP, i0 int) {
			i1 := min(i0+batch, n)
			g := net.Gradient(nil, X.SliceRows(i0, i1), T.SliceRows(i0, i1))
			for _, l := range net.paramLayers() {
				d := g[l.Name()]
				for _, m := range d {
					m.Scale(-eta)
				}
				l.UpdateParams(d)
			}
		}
		var starts []int
		for i0 := 0; i0 < n; i0 += batch {
			starts = append(starts, i0)
		}
		for _, i0 := range starts {
			step(manual, i0)
		}
		checkSameParams(t, fmt.Sprintf("batch %d: Train vs steps on rows in order", batch), trained, manual)

		// The same steps in the opposite order end elsewhere: the check
		// above can tell the order apart.
		for i := len(starts) - 1; i >= 0; i-- {
			step(reversed, starts[i])
		}
		if reversed.paramLayers()[0].Params()[0].At(0, 0) == trained.paramLayers()[0].Params()[0].At(0, 0) {
			t.Errorf("batch %d: the batches in reverse order gave the same W[0,0]; the test cannot see the order", batch)
		}
	}
}

// Shuffling with a seed is repeatable, and it does reorder.
func TestSGDShuffleRepeatable(t *testing.T) {
	needLab(t, labAll)
	run := func(shuffle bool, seed uint32) (*RunInfo, *MLP) {
		rng := newTestRNG(63)
		net := newDeepNet(rng, fused, 3, 2)
		X, T := randMatrix(rng, 20, 3), randOneHot(rng, 20, 2)
		ri, err := Train(net, X, T, TrainConfig{BatchSize: 3, Epochs: 4, Eta: 0.1, Shuffle: shuffle, Rand: newRNG(seed)})
		if err != nil {
			t.Fatal(err)
		}
		return ri, net
	}
	a, netA := run(true, 7)
	b, netB := run(true, 7)
	checkSameRunInfo(t, "shuffled twice with seed 7", b, a)
	checkSameParams(t, "shuffled twice with seed 7", netB, netA)
	c, _ := run(false, 7)
	d, _ := run(true, 8)
	if c.Last().LossTrain == a.Last().LossTrain || d.Last().LossTrain == a.Last().LossTrain {
		t.Errorf("final loss %v with seed 7, %v unshuffled, %v with seed 8; want three different values", a.Last().LossTrain, c.Last().LossTrain, d.Last().LossTrain)
	}
}

// The same seed gives bit-identical training, also on 1 or 8 threads.
func TestSGDDeterministic(t *testing.T) {
	needLab(t, labAll)
	// Big enough that the products are split over goroutines: a 128-row
	// batch through 32×32 layers is cut into 16-row chunks (chunkRows).
	run := func() (*RunInfo, *MLP) {
		rng := newTestRNG(64)
		l1, l2 := NewLinearLayer(32, 32, rng, "Linear_1"), NewLinearLayer(32, 32, rng, "Linear_2")
		lo := NewLinearLayer(32, 10, rng, "Linear_OUT")
		net := NewMLP(32, []Layer{l1, NewReLULayer("ReLU_1"), l2, NewReLULayer("ReLU_2"), lo},
			NewLossCrossEntropyForSoftmaxLogits("CE_fused"), []Layer{NewSoftmaxLayer("Softmax_OUT")})
		X, T := randMatrix(rng, 256, 32), randOneHot(rng, 256, 10)
		ri, err := Train(net, X, T, TrainConfig{BatchSize: 128, Epochs: 3, Eta: 0.05, XTest: X, TTest: T})
		if err != nil {
			t.Fatal(err)
		}
		return ri, net
	}
	a, netA := run()
	b, netB := run()
	checkSameRunInfo(t, "second run, same seed", b, a)
	checkSameParams(t, "second run, same seed", netB, netA)

	old := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	runtime.GOMAXPROCS(1)
	c, netC := run()
	runtime.GOMAXPROCS(8)
	d, netD := run()
	checkSameRunInfo(t, "GOMAXPROCS 8 vs 1", d, c)
	checkSameParams(t, "GOMAXPROCS 8 vs 1", netD, netC)
	checkSameRunInfo(t, "GOMAXPROCS 1 vs default", c, a)
}

// An epoch takes ⌈n/batch⌉ steps, also with a batch near the largest int,
// where n + batch − 1 overflows.
func TestSGDBatchesPerEpoch(t *testing.T) {
	for _, c := range []struct{ n, batch, want int }{
		{1, 1, 1}, {4, 1, 4}, {9, 3, 3}, {10, 3, 4}, {60000, 3000, 20}, {2500, 3000, 1}, {60000, math.MaxInt, 1}, {math.MaxInt, math.MaxInt, 1},
	} {
		if got := batchesPerEpoch(c.n, c.batch); got != c.want {
			t.Errorf("batchesPerEpoch(%d, %d) = %d; want %d", c.n, c.batch, got, c.want)
		}
	}
}

// Train checks its settings and returns an error, never panics.
func TestSGDRejectsBadConfig(t *testing.T) {
	X, T := XORData()
	ok := TrainConfig{BatchSize: 4, Epochs: 1, Eta: 0.1}
	cases := []struct {
		name string
		X, T *Matrix
		cfg  func(c *TrainConfig)
		want string
	}{
		{"batch 0", X, T, func(c *TrainConfig) { c.BatchSize = 0 }, "batch"},
		{"epochs -1", X, T, func(c *TrainConfig) { c.Epochs = -1 }, "epochs"},
		{"eta 0", X, T, func(c *TrainConfig) { c.Eta = 0 }, "eta"},
		{"eta -1", X, T, func(c *TrainConfig) { c.Eta = -1 }, "eta"},
		{"eta NaN", X, T, func(c *TrainConfig) { c.Eta = math.NaN() }, "eta"},
		{"eta Inf", X, T, func(c *TrainConfig) { c.Eta = math.Inf(1) }, "eta"},
		{"empty set", NewMatrix(0, 2), NewMatrix(0, 2), func(*TrainConfig) {}, "empty"},
		{"wrong width", NewMatrix(4, 3), T, func(*TrainConfig) {}, "4×3"},
		{"T rows", X, NewMatrix(3, 2), func(*TrainConfig) {}, "3×2"},
		{"test X only", X, T, func(c *TrainConfig) { c.XTest = X }, "XTest"},
		{"test width", X, T, func(c *TrainConfig) { c.XTest, c.TTest = NewMatrix(4, 3), T }, "4×3"},
	}
	for _, c := range cases {
		cfg := ok
		c.cfg(&cfg)
		var ri *RunInfo
		var err error
		if msg, panicked := panicMessage(func() { ri, err = Train(NewXORNet(newRNG(1)), c.X, c.T, cfg) }); panicked {
			t.Errorf("%s: Train panicked: %s; want an error", c.name, msg)
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Train = %v, %v; want an error mentioning %q", c.name, ri, err, c.want)
		}
	}
}

// Progress lines: the first, every k-th and the last epoch.
func TestSGDProgress(t *testing.T) {
	needLab(t, labPlain)
	X, T := XORData()
	var buf bytes.Buffer
	if _, err := Train(NewXORNet(newRNG(1)), X, T, TrainConfig{BatchSize: 4, Epochs: 5, Eta: 0.1, Watch: trainWatch{Progress: &buf, ProgressEvery: 2, Label: "xor"}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var got []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "xor  epoch ") {
			t.Errorf("progress line %q; want it to start with the label and the epoch", l)
		}
		got = append(got, strings.Fields(l)[2])
	}
	if want := "[0/5 2/5 4/5 5/5]"; fmt.Sprint(got) != want {
		t.Errorf("progress printed epochs %v; want %s", got, want)
	}
}

// The lab's XOR experiment (seed 1234, batch 4, eta 0.1, 100 epochs) ends
// where the lab's numpy run ends. The expected numbers were printed by the
// lab's numpy recipe with the same settings (repr of each float): its
// initial weights, drawn from np.random.RandomState(1234), bit for bit; its
// losses to 1e-12 relative (the products and exp round in another order);
// its accuracies exactly (all four right from epoch 59 on).
func TestXORTrainsTo100Percent(t *testing.T) {
	needLab(t, labPlain)
	X, T := XORData()
	net := NewXORNet(newRNG(1234))
	wantW := [][]float64{
		{0.47143516373249306, -1.1909756947064645, 1.4327069684260973, -0.3126518960917129,
			-0.7205887333650116, 0.8871629403077386, 0.8595884137174165, -0.6365235044173491},
		{0.011099011162140116, -1.585817739169542, 0.8131980595561691, 0.7014117589695301,
			0.6741019556570526, -1.4292429898658596, -0.23622837080384426, 0.0014979100327193952},
	}
	for l, pl := range net.paramLayers() {
		for i, w := range pl.Params()[0].Data {
			if w != wantW[l][i] {
				t.Errorf("%s: initial W[%d] = %v; want numpy's %v", pl.Name(), i, w, wantW[l][i])
			}
		}
	}
	ri, err := Train(net, X, T, TrainConfig{BatchSize: 4, Epochs: 100, Eta: 0.1})
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	for _, c := range []struct {
		epoch     int
		loss, acc float64
	}{{0, 2.950945274505023, 0.5}, {1, 2.365435845212568, 0.5}, {50, 0.5922386668676296, 0.75}, {59, math.NaN(), 1}, {100, 0.39451574876674433, 1}} {
		e := ri.Epochs[c.epoch]
		if !math.IsNaN(c.loss) && relErr(e.LossTrain, c.loss, 0) > 1e-12 {
			t.Errorf("XOR epoch %d: loss %.17g; want numpy's %.17g (1e-12 relative)", c.epoch, e.LossTrain, c.loss)
		}
		if e.AccTrain != c.acc {
			t.Errorf("XOR epoch %d: training accuracy %v; want numpy's %v", c.epoch, e.AccTrain, c.acc)
		}
	}
	if e := ri.Epochs[58]; e.AccTrain == 1 {
		t.Errorf("XOR: all four points right at epoch 58 already; numpy first gets there at epoch 59")
	}
	P := net.Propagate(X, true)
	wantP := []float64{0.32278625720582665, 0.6772137427941733, 0.6267240771576881, 0.3732759228423119,
		0.7296393017738828, 0.2703606982261172, 0.3335837355863789, 0.6664162644136211}
	for i, p := range P.Data {
		if relErr(p, wantP[i], 0) > 1e-12 {
			t.Errorf("XOR after 100 epochs: Propagate(X)[%d] = %.17g; want numpy's %.17g", i, p, wantP[i])
		}
	}
}
