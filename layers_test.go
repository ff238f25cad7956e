package main

// Tests of the layers' and losses' messages (Assignments 1 and 3), one lab
// part per prefix (parts_test.go):
//
//	go test -run '^TestLinear'                       LinearLayer
//	go test -run '^TestReLU'                         ReLULayer
//	go test -run '^TestSoftmax'                      SoftmaxLayer (Assignment 1)
//	go test -run '^TestStableSoftmax|^FuzzStable'    SoftmaxLayer.Forward, stable (Assignment 3)
//	go test -run '^TestCrossEntropy'                 LossCrossEntropy
//	go test -run '^TestFused'                        LossCrossEntropyForSoftmaxLogits
//
// Every message has a hand-computed case and a central finite-difference
// check on random inputs, and leaves its arguments unchanged. What these
// checks share is a table, one row per layer or loss (layerCases,
// lossCases); each method keeps a test of its own (its name, its pitfall),
// which runs the shared check on its row, so that the grader scores each
// method by its own tests. Delta is checked as the gradient of the scalar
// L = Σ Forward(X) ⊙ δ_next with respect to X (whose gradient is exactly the
// δ_in the layer must send down); Grad as the gradient of the batch MEAN of
// that L; a loss's Delta as the gradient of each sample's own loss. The
// Forward those checks differentiate, and every other message a test needs
// besides the one it grades, comes from `other` (parts_test.go): the
// solution's when the grader runs the tests, so a fault costs points only
// in its own part.

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// ---------------------------------------------------------------------------
// Shared checks, used by the per-layer tests below.

// checkDeltaFD checks l.Delta(nil, Y, δ_next), Y = fwd.Forward(X), against
// finite differences of L(X) = Σ fwd.Forward(X) ⊙ δ_next. Delta gets the
// layer's OUTPUT. fwd is the same layer answered by other's methods, so
// only l's Delta is under test.
func checkDeltaFD(t *testing.T, l, fwd Layer, X, deltaNext *Matrix) {
	t.Helper()
	got := l.Delta(nil, fwd.Forward(nil, X), deltaNext)
	want := fdGrad(X, func(int) float64 { return sumProduct(fwd.Forward(nil, X), deltaNext) })
	checkClose(t, l.Name()+" Delta (vs finite differences)", got, want, gradTol)
}

// checkGradFD checks every matrix of l.Grad(nil, X, δ_next) against finite
// differences, with respect to that parameter, of the batch mean
// (1/n) Σ fwd.Forward(X) ⊙ δ_next; fwd shares l's parameters.
func checkGradFD(t *testing.T, l ParamLayer, fwd Layer, X, deltaNext *Matrix) {
	t.Helper()
	got := l.Grad(nil, X, deltaNext)
	params := l.Params()
	if len(got) != len(params) {
		t.Fatalf("%s Grad returned %d matrices; want %d (one per parameter)", l.Name(), len(got), len(params))
	}
	n := float64(X.Rows)
	for i, p := range params {
		want := fdGrad(p, func(int) float64 { return sumProduct(fwd.Forward(nil, X), deltaNext) / n })
		checkClose(t, l.Name()+" Grad "+paramName(i)+" (vs finite differences of the batch mean)", got[i], want, gradTol)
	}
}

// checkLossFD checks l.Delta(nil, X, T) against finite differences of each
// sample's own loss fwd.Forward: δ[i,j] = ∂ℓ_i/∂X[i,j], per sample, not
// divided by n.
func checkLossFD(t *testing.T, l, fwd Loss, X, T *Matrix) {
	t.Helper()
	got := l.Delta(nil, X, T)
	want := fdGrad(X, func(k int) float64 { return fwd.Forward(nil, X, T).Data[k/X.Cols] })
	checkClose(t, l.Name()+" Delta (vs finite differences of each sample's loss)", got, want, gradTol)
}

// dirty returns a matrix of the wrong size full of NaN: a caller's buffer
// from an earlier batch, handed in as the destination.
func dirty() *Matrix { m := NewMatrix(3, 50); m.Fill(math.NaN()); return m }

// checkForwardPure checks that l.Forward leaves X unchanged, that a later
// call (on X2) leaves the earlier result unchanged (it belongs to the
// caller), and that a destination handed in gives the same result as
// none: every element is written.
func checkForwardPure(t *testing.T, l Layer, X, X2 *Matrix) {
	t.Helper()
	X0 := X.Clone()
	Y := l.Forward(nil, X)
	checkSame(t, l.Name()+" Forward: X afterwards", X, X0)
	Y0 := Y.Clone()
	l.Forward(nil, X2)
	checkSame(t, l.Name()+" Forward's result after a second Forward", Y, Y0)
	checkSame(t, l.Name()+" Forward(dirty dst)", l.Forward(dirty(), X), Y0)
}

// checkDeltaPure is checkForwardPure for Delta: Y and deltaNext are left
// unchanged.
func checkDeltaPure(t *testing.T, l Layer, Y, deltaNext, Y2, deltaNext2 *Matrix) {
	t.Helper()
	Y0, d0 := Y.Clone(), deltaNext.Clone()
	D := l.Delta(nil, Y, deltaNext)
	checkSame(t, l.Name()+" Delta: Y afterwards", Y, Y0)
	checkSame(t, l.Name()+" Delta: deltaNext afterwards", deltaNext, d0)
	D0 := D.Clone()
	l.Delta(nil, Y2, deltaNext2)
	checkSame(t, l.Name()+" Delta's result after a second Delta", D, D0)
	checkSame(t, l.Name()+" Delta(dirty dst)", l.Delta(dirty(), Y, deltaNext), D0)
}

// checkGradPure is checkForwardPure for Grad: X, deltaNext and the
// layer's parameters are left unchanged.
func checkGradPure(t *testing.T, l ParamLayer, X, deltaNext, X2, deltaNext2 *Matrix) {
	t.Helper()
	X0, d0 := X.Clone(), deltaNext.Clone()
	var p0 []*Matrix
	for _, p := range l.Params() {
		p0 = append(p0, p.Clone())
	}
	g := l.Grad(nil, X, deltaNext)
	checkSame(t, l.Name()+" Grad: X afterwards", X, X0)
	checkSame(t, l.Name()+" Grad: deltaNext afterwards", deltaNext, d0)
	for i, p := range l.Params() {
		checkSame(t, l.Name()+" parameter "+paramName(i)[1:]+" after Grad", p, p0[i])
	}
	if len(g) != len(p0) {
		t.Fatalf("%s Grad returned %d matrices; want %d", l.Name(), len(g), len(p0))
	}
	var g0 []*Matrix
	for _, m := range g {
		g0 = append(g0, m.Clone())
	}
	l.Grad(nil, X2, deltaNext2)
	for i := range g {
		checkSame(t, l.Name()+" Grad "+paramName(i)+" after a second Grad", g[i], g0[i])
	}
	got := l.Grad([]*Matrix{dirty(), dirty()}, X, deltaNext)
	for i := range g0 {
		if i < len(got) {
			checkSame(t, l.Name()+" Grad(dirty dst) "+paramName(i), got[i], g0[i])
		}
	}
}

// checkLossPure is checkForwardPure for a loss's Forward and Delta, one
// subtest each (each method is graded on its own).
func checkLossPure(t *testing.T, l Loss, X, T, X2, T2 *Matrix) {
	t.Helper()
	X0, T0 := X.Clone(), T.Clone()
	for _, m := range []struct {
		name string
		f    func(dst, X, T *Matrix) *Matrix
	}{{"Forward", l.Forward}, {"Delta", l.Delta}} {
		t.Run(m.name, func(t *testing.T) {
			defer catchPanic(t)
			got := m.f(nil, X, T)
			checkSame(t, l.Name()+" "+m.name+": X afterwards", X, X0)
			checkSame(t, l.Name()+" "+m.name+": T afterwards", T, T0)
			kept := got.Clone()
			m.f(nil, X2, T2)
			checkSame(t, l.Name()+" "+m.name+"'s result after a second call", got, kept)
			checkSame(t, l.Name()+" "+m.name+"(dirty dst)", m.f(dirty(), X, T), kept)
			copy(X.Data, X0.Data) // a message that changed them must not fail the next one
			copy(T.Data, T0.Data)
		})
	}
}

// ---------------------------------------------------------------------------
// The layers as tables: what the per-layer tests below share.

// layerCase is a layer of the lab as the shared checks use it: a
// hand-computed case of its Forward and Delta, how to make it and draw
// its inputs for the finite-difference and argument checks, and their
// seeds and shapes.
type layerCase struct {
	// The hand case: Forward(fwdX) = fwdY; Delta(deltaY, deltaNext) = delta.
	fwdX, fwdY, deltaY, deltaNext, delta *Matrix
	fwdTol, deltaTol                     float64
	deltaNote                            string // said after "Delta" in a failure

	fdSeed   uint64                                           // Delta against finite differences, on each of
	fdShapes [][3]int                                         // these (n, in, out)
	pureSeed uint64                                           // arguments unchanged: batches of 6 and 2 rows of
	pure     [2]int                                           // (in, out)
	hand     func() Layer                                     // the layer of the hand case
	input    func(rng *rand.Rand, n, in int) *Matrix          // an input where the layer is differentiable
	make     func(rng *rand.Rand, in, out int) (l, fwd Layer) // l under test, fwd the same layer answered by other's methods
}

// layerCases are the layers by name (the hand cases are worked out in the
// comments of their tests below).
var layerCases = map[string]layerCase{
	"Linear": {
		fwdX: mat([]float64{1, 2}, []float64{-1, 0}), fwdY: mat([]float64{7.5, 9}, []float64{-0.5, -3}),
		deltaY: mat([]float64{7.5, 9}, []float64{-0.5, -3}), deltaNext: mat([]float64{1, 0}, []float64{0, 2}),
		delta: mat([]float64{1, 3}, []float64{4, 8}), fwdTol: 1e-15, deltaTol: 1e-15,
		fdSeed: 1, fdShapes: [][3]int{{1, 1, 1}, {1, 3, 2}, {5, 4, 3}, {7, 6, 9}}, pureSeed: 4, pure: [2]int{4, 3},
		input: randMatrix,
		hand:  func() Layer { return linearHand() },
		make: func(rng *rand.Rand, in, out int) (Layer, Layer) {
			l := NewLinearLayer(in, out, rng, "Linear")
			return l, otherLinear(l)
		},
	},
	"ReLU": {
		fwdX: mat([]float64{-2, 0, 3, -0.5, 0.25}), fwdY: mat([]float64{0, 0, 3, 0, 0.25}),
		deltaY: mat([]float64{0, 0, 3, 0, 0.25}), deltaNext: mat([]float64{1, 2, 3, 4, 5}),
		delta: mat([]float64{0, 0, 3, 0, 5}), deltaNote: " (Y = 0 is off: δ must be 0 there)",
		fdSeed: 6, fdShapes: [][3]int{{1, 1, 1}, {1, 5, 5}, {7, 4, 4}}, pureSeed: 7, pure: [2]int{4, 4},
		// Inputs away from 0: the finite difference must not cross the kink.
		input: randAwayFromZero,
		hand:  func() Layer { return NewReLULayer("ReLU_hand") },
		make:  func(*rand.Rand, int, int) (Layer, Layer) { return NewReLULayer("ReLU"), otherReLU("ReLU") },
	},
	"Softmax": {
		fwdX:   mat([]float64{0, math.Log(2), math.Log(5)}, []float64{-math.Log(5), math.Log(2) - math.Log(5), 0}, []float64{3, 3, 3}),
		fwdY:   mat([]float64{1.0 / 8, 2.0 / 8, 5.0 / 8}, []float64{1.0 / 8, 2.0 / 8, 5.0 / 8}, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}),
		deltaY: mat([]float64{0.25, 0.75}, []float64{0.5, 0.5}), deltaNext: mat([]float64{1, 0}, []float64{2, 2}),
		delta: mat([]float64{0.1875, -0.1875}, []float64{0, 0}), fwdTol: 1e-12, deltaTol: 1e-15,
		fdSeed: 8, fdShapes: [][3]int{{1, 1, 1}, {1, 2, 2}, {1, 5, 5}, {7, 3, 3}, {4, 10, 10}}, pureSeed: 11, pure: [2]int{4, 4},
		input: func(rng *rand.Rand, n, k int) *Matrix { X := randMatrix(rng, n, k); X.Scale(3); return X },
		hand:  func() Layer { return NewSoftmaxLayer("Softmax_hand") },
		make:  func(*rand.Rand, int, int) (Layer, Layer) { return NewSoftmaxLayer("Softmax"), otherSoftmax("Softmax") },
	},
}

// checkHand checks a layer's method on its hand case.
func checkHand(t *testing.T, name, method string) {
	t.Helper()
	c := layerCases[name]
	l := c.hand()
	switch method {
	case "Forward": // on copies: the table outlives a method that writes its arguments
		checkClose(t, name+" Forward", l.Forward(nil, c.fwdX.Clone()), c.fwdY, c.fwdTol)
	case "Delta":
		checkClose(t, name+" Delta"+c.deltaNote, l.Delta(nil, c.deltaY.Clone(), c.deltaNext.Clone()), c.delta, c.deltaTol)
	default:
		t.Fatalf("checkHand: no hand case of %s.%s", name, method)
	}
}

// checkDeltaFDOf checks a layer's Delta against finite differences
// (checkDeltaFD) on each of its shapes.
func checkDeltaFDOf(t *testing.T, name string) {
	t.Helper()
	c := layerCases[name]
	rng := newTestRNG(c.fdSeed)
	for _, s := range c.fdShapes {
		l, fwd := c.make(rng, s[1], s[2])
		checkDeltaFD(t, l, fwd, c.input(rng, s[0], s[1]), randMatrix(rng, s[0], s[2]))
	}
}

// checkPure checks that a layer's method leaves its arguments unchanged
// (checkForwardPure, checkDeltaPure, checkGradPure), on fresh inputs.
func checkPure(t *testing.T, name, method string) {
	t.Helper()
	c := layerCases[name]
	rng := newTestRNG(c.pureSeed)
	l, fwd := c.make(rng, c.pure[0], c.pure[1])
	in, out := c.pure[0], c.pure[1]
	X, X2, d, d2 := c.input(rng, 6, in), c.input(rng, 2, in), randMatrix(rng, 6, out), randMatrix(rng, 2, out)
	switch method {
	case "Forward":
		checkForwardPure(t, l, X, X2)
	case "Delta":
		checkDeltaPure(t, l, fwd.Forward(nil, X), d, fwd.Forward(nil, X2), d2)
	case "Grad":
		checkGradPure(t, l.(ParamLayer), X, d, X2, d2)
	default:
		t.Fatalf("checkPure: no method %s.%s", name, method)
	}
}

// checkPureEach runs checkPure for each method, one subtest each (each
// method is graded on its own).
func checkPureEach(t *testing.T, name string, methods ...string) {
	t.Helper()
	for _, m := range methods {
		t.Run(m, func(t *testing.T) {
			defer catchPanic(t)
			checkPure(t, name, m)
		})
	}
}

// lossCase is a loss as the shared checks use it: a hand-computed case
// (the per-sample losses and the delta of hand's X and T), how to make it
// and draw its inputs, and the seeds of its finite-difference (on each of
// lossFDShapes) and argument checks.
type lossCase struct {
	hand             func() (X, T *Matrix)
	loss, delta      *Matrix
	tol              float64
	lossNote         string // said after "Forward" in a failure
	fdSeed, pureSeed uint64
	input            func(rng *rand.Rand, n, k int) *Matrix
	make             func() (l, fwd Loss) // l under test, fwd answered by other's methods
}

// lossFDShapes are the (n, classes) of the losses' finite-difference checks.
var lossFDShapes = [][2]int{{1, 2}, {7, 3}, {4, 10}}

var lossCases = map[string]lossCase{
	"CrossEntropy": {hand: crossEntropyHand, tol: 1e-15, lossNote: " (per-sample loss, n×1)",
		loss: mat([]float64{0.2876820724517809}, []float64{0.6931471805599453}), delta: mat([]float64{0, -4.0 / 3}, []float64{-2, 0}),
		fdSeed: 12, pureSeed: 13,
		// Probabilities bounded away from 0, so ±h keeps log finite.
		input: func(rng *rand.Rand, n, k int) *Matrix { return randUniform(rng, n, k, 0.05, 1) },
		make:  func() (Loss, Loss) { return NewLossCrossEntropy("CE"), otherCrossEntropy("CE") }},
	// 1e-12: 1000 + ln 3 is rounded to a multiple of 2^-43 ≈ 1e-13.
	"FusedSoftmaxCrossEntropy": {hand: fusedHand, tol: 1e-12,
		loss:   mat([]float64{math.Log(4.0 / 3)}, []float64{math.Log(4)}, []float64{math.Log(2)}),
		delta:  mat([]float64{0.25, -0.25}, []float64{-0.75, 0.75}, []float64{0.5, -0.5}),
		fdSeed: 14, pureSeed: 16,
		input: layerCases["Softmax"].input,
		make: func() (Loss, Loss) {
			return NewLossCrossEntropyForSoftmaxLogits("CE_fused"), otherFused("CE_fused")
		}},
}

// checkLossHand checks a loss's method on its hand case.
func checkLossHand(t *testing.T, name, method string) {
	t.Helper()
	c := lossCases[name]
	l, _ := c.make()
	X, T := c.hand()
	switch method {
	case "Forward":
		checkClose(t, name+" Forward"+c.lossNote, l.Forward(nil, X, T), c.loss, c.tol)
	case "Delta":
		checkClose(t, name+" Delta", l.Delta(nil, X, T), c.delta, c.tol)
	default:
		t.Fatalf("checkLossHand: no hand case of %s.%s", name, method)
	}
}

// checkLossFDOf checks a loss's Delta against finite differences
// (checkLossFD) on each of lossFDShapes.
func checkLossFDOf(t *testing.T, name string) {
	t.Helper()
	c := lossCases[name]
	rng := newTestRNG(c.fdSeed)
	for _, s := range lossFDShapes {
		l, fwd := c.make()
		checkLossFD(t, l, fwd, c.input(rng, s[0], s[1]), randOneHot(rng, s[0], s[1]))
	}
}

// checkLossPureOf runs checkLossPure on a loss, on batches of 5 and 2 rows
// of 3 classes.
func checkLossPureOf(t *testing.T, name string) {
	t.Helper()
	c := lossCases[name]
	rng := newTestRNG(c.pureSeed)
	l, _ := c.make()
	checkLossPure(t, l, c.input(rng, 5, 3), randOneHot(rng, 5, 3), c.input(rng, 2, 3), randOneHot(rng, 2, 3))
}

// ---------------------------------------------------------------------------
// LinearLayer (Assignment 1)

// The hand case, worked out:
//
//	X = [ 1 2 ]   W = [ 1 2 ]   b = [ 0.5 −1 ]
//	    [−1 0 ]       [ 3 4 ]
//
//	Forward = X·W + b:  row 0: [1·1+2·3+0.5, 1·2+2·4−1] = [7.5, 9]
//	                    row 1: [−1·1+0.5,   −1·2−1]    = [−0.5, −3]
//	δ_next = [1 0; 0 2]
//	Delta = δ_next·Wᵀ:  row 0: [1·1+0·2, 1·3+0·4] = [1, 3]
//	                    row 1: [0·1+2·2, 0·3+2·4] = [4, 8]
//	Grad: Xᵀ·δ_next = [1·1+(−1)·0, 1·0+(−1)·2; 2·1+0·0, 2·0+0·2] = [1 −2; 2 0]
//	      dW = that / n (n = 2) = [0.5 −1; 1 0]
//	      dB = column means of δ_next = [(1+0)/2, (0+2)/2] = [0.5, 1]
//
// linearHand is its layer; X, Forward and δ_next are layerCases["Linear"]'s.
func linearHand() *LinearLayer {
	return newLinear("Linear_hand", mat([]float64{1, 2}, []float64{3, 4}), mat([]float64{0.5, -1}))
}

// Forward is X·W with b added to every row (the hand case above).
//
// Pitfall: the bias left out or added to every column instead of every row, or W·X for X·W
func TestLinearForwardHand(t *testing.T) {
	defer catchPanic(t)
	checkHand(t, "Linear", "Forward")
}

// Delta is δ_next·Wᵀ (the hand case above; W is square, so a product with W
// instead of Wᵀ has the right shape and wrong values).
//
// Pitfall: δ·W instead of δ·Wᵀ
func TestLinearDeltaHand(t *testing.T) {
	defer catchPanic(t)
	checkHand(t, "Linear", "Delta")
}

// Grad is [Xᵀ·δ / n, column means of δ] (the hand case above).
//
// Pitfall: the batch's sum instead of its mean (no 1/n), or δᵀ·X for Xᵀ·δ
func TestLinearGradHand(t *testing.T) {
	defer catchPanic(t)
	c := layerCases["Linear"]
	g := linearHand().Grad(nil, c.fwdX.Clone(), c.deltaNext.Clone())
	if len(g) != 2 {
		t.Fatalf("Linear Grad returned %d matrices; want 2 ([dW, dB])", len(g))
	}
	checkClose(t, "Linear Grad dW", g[0], mat([]float64{0.5, -1}, []float64{1, 0}), 1e-15)
	checkClose(t, "Linear Grad dB", g[1], mat([]float64{0.5, 1}), 1e-15)
}

// Pitfall: Delta computed from the layer's output instead of from δ_next and W
func TestLinearDeltaFiniteDifferences(t *testing.T) {
	defer catchPanic(t)
	checkDeltaFDOf(t, "Linear")
}

// Pitfall: dB not averaged over the batch, or dW transposed
func TestLinearGradFiniteDifferences(t *testing.T) {
	defer catchPanic(t)
	rng := newTestRNG(2)
	for _, s := range layerCases["Linear"].fdShapes {
		n, in, out := s[0], s[1], s[2]
		l := NewLinearLayer(in, out, rng, "Linear_fd")
		l.B = randMatrix(rng, 1, out) // not all ones, so dB is not hidden by symmetry
		checkGradFD(t, l, otherLinear(l), randMatrix(rng, n, in), randMatrix(rng, n, out))
	}
}

// Grad is the batch MEAN: the same samples twice give the same gradient.
//
// Pitfall: the batch mean taken twice (loss delta divided by n and grad divided again)
// (here: Grad must divide by n exactly once; TestCrossEntropyDeltaFiniteDifferences
// checks that the losses' deltas are not divided at all).
func TestLinearGradAveragesOverBatch(t *testing.T) {
	defer catchPanic(t)
	rng := newTestRNG(3)
	l := NewLinearLayer(4, 3, rng, "Linear_avg")
	X, d := randMatrix(rng, 5, 4), randMatrix(rng, 5, 3)
	once := l.Grad(nil, X, d)
	twice := l.Grad(nil, stackRows(X, X), stackRows(d, d))
	if len(once) != 2 || len(twice) != 2 {
		t.Fatalf("Linear Grad returned %d and %d matrices; want 2 ([dW, dB])", len(once), len(twice))
	}
	for i := range once {
		checkClose(t, "Linear Grad "+paramName(i)+" on [X; X] vs on X", twice[i], once[i], 1e-13)
	}
}

// Pitfall: forward or delta overwriting its input (LinearLayer)
func TestLinearLeavesArgumentsUnchanged(t *testing.T) {
	defer catchPanic(t)
	checkPureEach(t, "Linear", "Forward", "Delta", "Grad")
}

// He initialisation: W ~ N(0, 2/n_in), biases 1 (the lab's template). Provided
// code, not scored.
func TestNewLinearLayerInit(t *testing.T) {
	const in, out = 784, 64
	l := NewLinearLayer(in, out, newTestRNG(5), "Linear_init")
	if l.W.Rows != in || l.W.Cols != out || l.B.Rows != 1 || l.B.Cols != out {
		t.Fatalf("W is %s and B is %s; want %dx%d and 1x%d", l.W.Shape(), l.B.Shape(), in, out, out)
	}
	for j, b := range l.B.Data {
		if b != 1 {
			t.Errorf("B[%d] = %v; want 1 (the ReLUs above start switched on)", j, b)
		}
	}
	m := mean(l.W)
	v := 0.0
	for _, w := range l.W.Data {
		v += (w - m) * (w - m)
	}
	std := math.Sqrt(v / float64(len(l.W.Data)))
	// With 50176 draws the sample std is within 1% of the true one with
	// overwhelming probability (its own std is about 0.3%).
	if want := math.Sqrt(2.0 / in); math.Abs(std-want) > 0.03*want || math.Abs(m) > 0.03*want {
		t.Errorf("W has mean %.4g and std %.4g; want mean 0 and std sqrt(2/%d) = %.4g", m, std, in, want)
	}
}

// UpdateParams adds: W + dW, b + dB. Provided code, not scored.
func TestUpdateParamsAdds(t *testing.T) {
	l := linearHand()
	l.UpdateParams([]*Matrix{mat([]float64{0.5, -1}, []float64{1, 0}), mat([]float64{0.5, 1})})
	checkClose(t, "Linear W after UpdateParams", l.W, mat([]float64{1.5, 1}, []float64{4, 4}), 1e-15)
	checkClose(t, "Linear B after UpdateParams", l.B, mat([]float64{1, 0}), 1e-15)
}

// ---------------------------------------------------------------------------
// ReLULayer (Assignment 1)

// The hand case: X = [−2 0 3 −0.5 0.25] → Forward = [0 0 3 0 0.25].
//
// Pitfall: max(x, 0) taken as |x|, or negative inputs passed through
func TestReLUForwardHand(t *testing.T) {
	defer catchPanic(t)
	checkHand(t, "ReLU", "Forward")
}

// A NaN coming in must stay NaN, so a diverging network is noticed instead
// of being quietly switched off.
//
// Pitfall: divergence turned silently into a number (NaN → 0 in the ReLU)
func TestReLUForwardKeepsNaN(t *testing.T) {
	defer catchPanic(t)
	Y := NewReLULayer("ReLU_nan").Forward(nil, mat([]float64{math.NaN(), 1}))
	if !math.IsNaN(Y.Data[0]) {
		t.Errorf("ReLU Forward(NaN) = %v; want NaN", Y.Data[0])
	}
}

// The hand case: Y = [0 0 3 0 0.25] (the output of TestReLUForwardHand);
// δ_next = [1 2 3 4 5] passes only where the unit is on (Y > 0):
// Delta = [0 0 3 0 5]. The second entry has Y = 0 exactly.
//
// Pitfall: ReLU delta tested on `Y >= 0`
func TestReLUDeltaHand(t *testing.T) {
	defer catchPanic(t)
	checkHand(t, "ReLU", "Delta")
}

// Pitfall: δ multiplied by Y instead of gated by Y > 0
func TestReLUDeltaFiniteDifferences(t *testing.T) {
	defer catchPanic(t)
	checkDeltaFDOf(t, "ReLU")
}

// Pitfall: forward or delta overwriting its input (ReLULayer)
func TestReLULeavesArgumentsUnchanged(t *testing.T) {
	defer catchPanic(t)
	checkPureEach(t, "ReLU", "Forward", "Delta")
}

// ---------------------------------------------------------------------------
// SoftmaxLayer.Delta (Assignment 1)

// The hand case: Delta = Y ⊙ (δ_next − ⟨δ_next, Y⟩) row by row.
//
//	Y = [0.25 0.75], δ_next = [1 0]: ⟨δ_next, Y⟩ = 0.25,
//	  Delta = [0.25·(1 − 0.25), 0.75·(0 − 0.25)] = [0.1875, −0.1875]
//	Y = [0.5 0.5], δ_next = [2 2]: ⟨⟩ = 2, Delta = [0, 0]
//	  (a constant δ_next is a shift of the logits, which softmax ignores)
//
// Pitfall: softmax delta from the Jacobian's diagonal only (Y ⊙ δ, no ⟨δ, Y⟩ term)
func TestSoftmaxDeltaHand(t *testing.T) {
	defer catchPanic(t)
	checkHand(t, "Softmax", "Delta")
}

// Pitfall: the inner product ⟨δ, Y⟩ taken over the whole batch or a column instead of each row
func TestSoftmaxDeltaFiniteDifferences(t *testing.T) {
	defer catchPanic(t)
	checkDeltaFDOf(t, "Softmax")
}

// Pitfall: forward or delta overwriting its input (SoftmaxLayer.Delta)
func TestSoftmaxDeltaLeavesArgumentsUnchanged(t *testing.T) {
	defer catchPanic(t)
	checkPure(t, "Softmax", "Delta")
}

// ---------------------------------------------------------------------------
// SoftmaxLayer.Forward (Assignment 1), stable (Assignment 3: the
// TestStableSoftmax tests)

// The hand case: exp(0), exp(ln 2), exp(ln 5) are 1, 2, 5 with sum 8, so
// softmax([0, ln 2, ln 5]) = [1/8, 2/8, 5/8]. The same logits − ln 5 give
// the same row. A row [3 3 3] gives [1/3 1/3 1/3]. Softmax over the
// columns instead of the rows would mix the rows and get all three wrong.
//
// Pitfall: softmax or its max taken over the wrong axis or the whole batch (wrong axis)
func TestSoftmaxForwardHand(t *testing.T) {
	defer catchPanic(t)
	// Logits of moderate size: a plain softmax passes (Assignment 1); the
	// TestStableSoftmax tests grade its stability (Assignment 3).
	checkHand(t, "Softmax", "Forward")
}

// Assignment 2: softmax(s + c) = softmax(s) for any constant c.
//
// Pitfall: exp overflowing at large logits (logit 1000)
func TestStableSoftmaxShiftInvariance(t *testing.T) {
	defer catchPanic(t)
	rng := newTestRNG(9)
	l := NewSoftmaxLayer("Softmax_shift")
	S := randMatrix(rng, 5, 4)
	S.Scale(3)
	want := l.Forward(nil, S)
	for _, c := range []float64{-1e4, -1000, -1, -1e-3, 0, 0.5, 1, 100, 700, 710, 1000, 1e4} {
		Sc := S.Clone()
		for i := range Sc.Data {
			Sc.Data[i] += c
		}
		// s + c is rounded to the spacing of c (≈ 2e-12 for c = 1e4),
		// which moves the probabilities by about as much.
		checkClose(t, "softmax(s + "+formatFloat(c)+") vs softmax(s)", l.Forward(nil, Sc), want, 1e-10)
	}
}

// checkProbRows reports any row of P that is not a probability vector:
// every entry finite and in [0, 1], the row summing to 1 within tol.
func checkProbRows(t *testing.T, what string, S, P *Matrix, tol float64) {
	t.Helper()
	if P.Rows != S.Rows || P.Cols != S.Cols {
		t.Errorf("%s has shape %s; want %s like the logits", what, P.Shape(), S.Shape())
		return
	}
	for i := 0; i < P.Rows; i++ {
		sum := 0.0
		for j, p := range P.Row(i) {
			if !(p >= 0 && p <= 1) {
				t.Errorf("%s row %d (logits %v): p[%d] = %v; want a finite number in [0, 1]", what, i, S.Row(i), j, p)
			}
			sum += p
		}
		if !(math.Abs(sum-1) <= tol) {
			t.Errorf("%s row %d (logits %v): sum = %.17g; want 1 within %.0e", what, i, S.Row(i), sum, tol)
		}
	}
}

// Logits up to ±1e4 (exp overflows above 709.78 and underflows below
// −745): every row is still a probability vector.
//
// Pitfall: exp overflowing at large logits (logit 1000)
func TestStableSoftmaxLargeLogits(t *testing.T) {
	defer catchPanic(t)
	rng := newTestRNG(10)
	S := randUniform(rng, 50, 6, -1e4, 1e4)
	edge := mat(
		[]float64{1e4, 1e4, 1e4, 1e4, 1e4, 1e4},
		[]float64{-1e4, -1e4, -1e4, -1e4, -1e4, -1e4},
		[]float64{1e4, -1e4, 0, 0, 0, 0},
		[]float64{-1e4, -1e4, -1e4, -1e4, -1e4, 1e4},
		[]float64{1000, 999, 998, 0, -1000, 710},
		[]float64{-745, -746, -800, -1000, -1e4, -750},
	)
	S = stackRows(S, edge)
	checkProbRows(t, "Softmax Forward", S, NewSoftmaxLayer("Softmax_big").Forward(nil, S), 1e-12)
	// The row [1e4, −1e4, 0, …] puts all the mass on its first entry.
	if p := NewSoftmaxLayer("s").Forward(nil, mat([]float64{1e4, -1e4, 0})); p.At(0, 0) != 1 {
		t.Errorf("softmax([1e4, -1e4, 0]) = %v; want [1 0 0]", p.Data)
	}
}

// One batch with rows of very different scale: each row is a probability
// vector on its own, whatever the others hold; softmax of [a, a−1] is
// [e/(1+e), 1/(1+e)] for any a.
//
// Pitfall: softmax or its max taken over the wrong axis or the whole batch (whole batch)
func TestStableSoftmaxRowsOfDifferentScale(t *testing.T) {
	defer catchPanic(t)
	S := mat([]float64{1e4, 1e4 - 1}, []float64{0, -1}, []float64{-1e4, -1e4 - 1})
	p0 := math.E / (1 + math.E) // 0.7310585786300049
	want := mat([]float64{p0, 1 - p0}, []float64{p0, 1 - p0}, []float64{p0, 1 - p0})
	checkClose(t, "Softmax Forward with rows of different scale", NewSoftmaxLayer("Softmax_rows").Forward(nil, S), want, 1e-12)
}

// Pitfall: forward or delta overwriting its input (SoftmaxLayer.Forward)
func TestSoftmaxForwardLeavesArgumentsUnchanged(t *testing.T) {
	defer catchPanic(t)
	checkPure(t, "Softmax", "Forward")
}

// FuzzStableSoftmaxRowInvariants checks, for any finite logits, that softmax
// gives a probability vector (every entry finite, in [0, 1], the row sum
// within 1e-12 of 1) whose largest entry sits at the largest logit. The
// seed corpus is in testdata/fuzz/FuzzStableSoftmaxRowInvariants, so plain
// `go test` runs it; `go test -fuzz FuzzStableSoftmax` searches for more.
//
// Pitfall: exp overflowing at large logits (logit 1000)
func FuzzStableSoftmaxRowInvariants(f *testing.F) {
	f.Add(0.0, 0.0, 0.0, 0.0)
	f.Add(1000.0, -1000.0, 0.5, 709.8)
	f.Fuzz(func(t *testing.T, a, b, c, d float64) {
		defer catchPanic(t)
		s := []float64{a, b, c, d}
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return // the invariants are claimed for finite logits only
			}
		}
		S := mat(s)
		P := NewSoftmaxLayer("Softmax_fuzz").Forward(nil, S)
		checkProbRows(t, "Softmax Forward", S, P, 1e-12)
		if t.Failed() {
			return
		}
		// Argmax preserved: exp is increasing, so the largest logit gets
		// a largest probability (others may tie with it after rounding).
		k, _ := S.ArgmaxRow(0) // the logits are finite
		for j, p := range P.Row(0) {
			if p > P.At(0, k) {
				t.Errorf("softmax(%v) = %v: p[%d] > p[%d], but logit %d is the largest", s, P.Row(0), j, k, k)
			}
		}
	})
}

// ---------------------------------------------------------------------------
// LossCrossEntropy, plain, on probabilities (Assignment 1)

// The hand case: ℓ = −Σ_k t_k log x_k per sample, shape (n, 1).
//
//	X = [0.25 0.75], T = [0 1]: ℓ = −log 0.75 = 0.2876820724517809
//	X = [0.5 0.5],   T = [1 0]: ℓ = −log 0.5  = 0.6931471805599453
//	Delta = −T / X = [0 −4/3; −2 0], per sample (not divided by n = 2)
func crossEntropyHand() (X, T *Matrix) {
	return mat([]float64{0.25, 0.75}, []float64{0.5, 0.5}), mat([]float64{0, 1}, []float64{1, 0})
}

// Pitfall: per-sample loss of the wrong shape or divided by the class count
func TestCrossEntropyForwardHand(t *testing.T) {
	defer catchPanic(t)
	checkLossHand(t, "CrossEntropy", "Forward")
}

// Pitfall: the batch mean taken twice (loss delta divided by n and grad divided again)
// (here the delta of the hand case, n = 2)
func TestCrossEntropyDeltaHand(t *testing.T) {
	defer catchPanic(t)
	checkLossHand(t, "CrossEntropy", "Delta")
}

// The plain loss has no clipping: a true class with probability 0 gives
// ℓ = +Inf and δ = −Inf, which is why the fused loss exists. A wrong class
// with probability 0 contributes nothing (0·log 0 = 0), not NaN.
//
// Pitfall: divergence turned silently into a number (log clipped, or 0·log 0 = NaN)
func TestCrossEntropyZeroProbability(t *testing.T) {
	defer catchPanic(t)
	l := NewLossCrossEntropy("CE_zero")
	X := mat([]float64{1, 0}, []float64{1, 0})
	T := mat([]float64{0, 1}, []float64{1, 0})
	loss, d := l.Forward(nil, X, T), l.Delta(nil, X, T)
	if loss.Rows != 2 || loss.Cols != 1 || d.Rows != 2 || d.Cols != 2 {
		t.Fatalf("loss is %s and delta %s; want 2x1 and 2x2", loss.Shape(), d.Shape())
	}
	if !math.IsInf(loss.Data[0], 1) || !math.IsInf(d.At(0, 1), -1) {
		t.Errorf("true class with p = 0: loss %v, delta %v; want loss +Inf and delta[1] -Inf", loss.Data[0], d.Row(0))
	}
	if loss.Data[1] != 0 || d.At(1, 0) != -1 || d.At(1, 1) != 0 {
		t.Errorf("wrong class with p = 0: loss %v, delta %v; want loss 0 and delta [-1 0]", loss.Data[1], d.Row(1))
	}
}

// Pitfall: the batch mean taken twice (loss delta divided by n and grad divided again)
// (the delta must be the per-sample derivative: n = 7 here)
func TestCrossEntropyDeltaFiniteDifferences(t *testing.T) {
	defer catchPanic(t)
	checkLossFDOf(t, "CrossEntropy")
}

// Pitfall: forward or delta overwriting its input (LossCrossEntropy)
func TestCrossEntropyLeavesArgumentsUnchanged(t *testing.T) {
	defer catchPanic(t)
	checkLossPureOf(t, "CrossEntropy")
}

// checkLossShapesOf checks that a loss returns an (n, 1) column from
// Forward and an (n, classes) delta, and that both panic, naming both
// shapes, when X and T do not match; one subtest per method.
func checkLossShapesOf(t *testing.T, l Loss) {
	t.Helper()
	X := NewMatrix(4, 3)
	X.Fill(1.0 / 3)
	T := randOneHot(newTestRNG(17), 4, 3)
	t.Run("Forward", func(t *testing.T) {
		defer catchPanic(t)
		if got := l.Forward(nil, X, T); got.Rows != 4 || got.Cols != 1 {
			t.Errorf("%s Forward of a 4x3 batch has shape %s; want 4x1 (one loss per sample)", l.Name(), got.Shape())
		}
		msg, ok := panicMessage(func() { l.Forward(nil, X, NewMatrix(4, 2)) })
		if !ok || !strings.Contains(msg, "4×3") || !strings.Contains(msg, "4×2") {
			t.Errorf("%s Forward(4×3, 4×2): panic %q (panicked: %v); want a panic naming 4×3 and 4×2", l.Name(), msg, ok)
		}
	})
	t.Run("Delta", func(t *testing.T) {
		defer catchPanic(t)
		if got := l.Delta(nil, X, T); got.Rows != 4 || got.Cols != 3 {
			t.Errorf("%s Delta of a 4x3 batch has shape %s; want 4x3", l.Name(), got.Shape())
		}
	})
}

// Pitfall: per-sample loss of the wrong shape or divided by the class count (shape)
func TestCrossEntropyShapes(t *testing.T) {
	defer catchPanic(t)
	checkLossShapesOf(t, NewLossCrossEntropy("CE"))
}

// ---------------------------------------------------------------------------
// LossCrossEntropyForSoftmaxLogits, fused, on logits (Assignment 3)

// The hand case, from the definitions: p = softmax(s), ℓ = −Σ_k t_k log p_k,
// δ = ∂ℓ/∂s.
//
//	s = [0, ln 3], t = [0 1]: p = [1/4, 3/4],
//	    ℓ = −ln(3/4) = 0.28768207245178096, δ = [0.25, −0.25]
//	s = [1000, 1000 + ln 3], t = [1 0]: p = [1/4, 3/4],
//	    ℓ = −ln(1/4) = 1.3862943611198906, δ = [−0.75, 0.75]
//	s = [−1000, −1000], t = [0 1]: p = [1/2, 1/2], ℓ = ln 2, δ = [0.5, −0.5]
func fusedHand() (S, T *Matrix) {
	ln3 := math.Log(3)
	return mat([]float64{0, ln3}, []float64{1000, 1000 + ln3}, []float64{-1000, -1000}),
		mat([]float64{0, 1}, []float64{1, 0}, []float64{0, 1})
}

// The second row's logits are near 1000: a loss that is off by them, or
// that overflows there, fails.
//
// Pitfall: the loss off by the row's largest logit
// Pitfall: exp overflowing at large logits (logit 1000)
func TestFusedSoftmaxCrossEntropyForwardHand(t *testing.T) {
	defer catchPanic(t)
	checkLossHand(t, "FusedSoftmaxCrossEntropy", "Forward")
}

// A delta computed without the softmax gets every row of the hand case wrong.
//
// Pitfall: fused delta applied to logits without the softmax
// Pitfall: a fused delta of the wrong form (its sign flipped, or the plain cross-entropy's delta)
func TestFusedSoftmaxCrossEntropyDeltaHand(t *testing.T) {
	defer catchPanic(t)
	checkLossHand(t, "FusedSoftmaxCrossEntropy", "Delta")
}

// Pitfall: a fused delta of the wrong form (its sign flipped, or the plain cross-entropy's delta)
func TestFusedSoftmaxCrossEntropyDeltaFiniteDifferences(t *testing.T) {
	defer catchPanic(t)
	checkLossFDOf(t, "FusedSoftmaxCrossEntropy")
}

// Where both are finite, the fused loss equals Softmax + LossCrossEntropy
// (those two from `other`).
//
// Pitfall: softmax applied twice (the fused loss given probabilities, or taking a softmax of its softmax)
func TestFusedSoftmaxCrossEntropyMatchesPair(t *testing.T) {
	defer catchPanic(t)
	rng := newTestRNG(15)
	S := randMatrix(rng, 9, 5)
	S.Scale(4)
	T := randOneHot(rng, 9, 5)
	sm, ce := otherSoftmax("Softmax"), otherCrossEntropy("CE")
	fused := NewLossCrossEntropyForSoftmaxLogits("CE_fused")
	P := sm.Forward(nil, S)
	pairLoss := ce.Forward(nil, P, T)
	pairDelta := sm.Delta(nil, P, ce.Delta(nil, P, T))
	if !pairLoss.AllFinite() || !pairDelta.AllFinite() {
		t.Fatalf("test data too extreme: Softmax + CrossEntropy are not finite")
	}
	t.Run("Forward", func(t *testing.T) {
		defer catchPanic(t)
		checkClose(t, "fused Forward vs Softmax + CrossEntropy", fused.Forward(nil, S, T), pairLoss, 1e-12)
	})
	t.Run("Delta", func(t *testing.T) {
		defer catchPanic(t)
		checkClose(t, "fused Delta vs Softmax Delta of CrossEntropy Delta", fused.Delta(nil, S, T), pairDelta, 1e-12)
	})
}

// In a network, with the same weights, the fused pipeline (logits, the
// fused loss, a Softmax output layer) and the naive one (a Softmax layer
// and the plain cross-entropy) are the same function: equal loss, equal
// predictions, and the fused network's training output is the logits. The
// network is other's but for the fused loss, the student's own. (Their
// gradients agree when the deltas at the logits do: MatchesPair above;
// backpropagation through a network that ends with logits is checked by
// TestBackpropFiniteDifferences.)
//
// Pitfall: softmax applied twice (fused loss plus a Softmax layer in training)
func TestFusedSoftmaxCrossEntropyInNetwork(t *testing.T) {
	defer catchPanic(t)
	ownFused := other
	ownFused.fused = ownImpls.fused
	rng := newTestRNG(40)
	a := newOtherDeepNet(rng, naive, 4, 3)
	b := buildDeepNet(rng, fused, 4, 3, ownFused)
	copyWeights(b, a)
	X, T := randMatrix(rng, 7, 4), randOneHot(rng, 7, 3)

	checkClose(t, "fused Evaluate vs naive Evaluate", b.Evaluate(X, T), a.Evaluate(X, T), 1e-12)
	checkClose(t, "fused Propagate(X, true) vs naive", b.Propagate(X, true), a.Propagate(X, true), 1e-12)
	logits, err := a.PropagateTo(X, false, "Linear_OUT")
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "fused Propagate(X, false) (the logits, no softmax)", b.Propagate(X, false), logits, 0)
}

// Where the pair breaks down (the true class's probability underflows to
// 0: log 0 = −Inf, −1/0 = −Inf, and 0·∞ = NaN in the softmax's delta) the
// fused loss stays finite and exact.
//
//	s = [1e4, −1e4], t = [0 1]: p₂ = e^{−2e4} to double precision, so
//	    ℓ = −log p₂ = 2e4 and δ = [1, −1]
//
// The batch mixes rows of very different scale: each row's loss is finite
// and exact on its own, whatever the others hold.
//
// Pitfall: softmax or its max taken over the wrong axis or the whole batch (fused loss)
func TestFusedSoftmaxCrossEntropyStaysFinite(t *testing.T) {
	defer catchPanic(t)
	ln3 := math.Log(3)
	S := mat([]float64{1e4, -1e4}, []float64{0, ln3}, []float64{-1e4, -1e4 + ln3})
	T := mat([]float64{0, 1}, []float64{0, 1}, []float64{0, 1})
	wantLoss := mat([]float64{2e4}, []float64{math.Log(4.0 / 3)}, []float64{math.Log(4.0 / 3)})
	wantDelta := mat([]float64{1, -1}, []float64{0.25, -0.25}, []float64{0.25, -0.25})

	// First show that the naive pair does break down on row 0.
	sm, ce := otherSoftmax("Softmax"), otherCrossEntropy("CE")
	P := sm.Forward(nil, S)
	if pl, pd := ce.Forward(nil, P, T), sm.Delta(nil, P, ce.Delta(nil, P, T)); !math.IsInf(pl.Data[0], 1) || !math.IsNaN(pd.At(0, 0)) {
		t.Errorf("Softmax + CrossEntropy on [1e4, -1e4]: loss %v, delta %v; want +Inf and NaN (the breakdown the fused loss avoids)", pl.Data[0], pd.Row(0))
	}

	fused := NewLossCrossEntropyForSoftmaxLogits("CE_fused")
	// Rows 1 and 2 differ by −1e4, whose rounding of ln 3 is ≈ 1e-12.
	t.Run("Forward", func(t *testing.T) {
		defer catchPanic(t)
		if loss := fused.Forward(nil, S, T); !loss.AllFinite() {
			t.Errorf("fused loss %v; want all finite", loss.Data)
		} else {
			checkClose(t, "fused Forward", loss, wantLoss, 1e-11)
		}
	})
	t.Run("Delta", func(t *testing.T) {
		defer catchPanic(t)
		if delta := fused.Delta(nil, S, T); !delta.AllFinite() {
			t.Errorf("fused delta %v; want all finite", delta.Data)
		} else {
			checkClose(t, "fused Delta", delta, wantDelta, 1e-11)
		}
	})
}

// Pitfall: forward or delta overwriting its input (LossCrossEntropyForSoftmaxLogits)
func TestFusedSoftmaxCrossEntropyLeavesArgumentsUnchanged(t *testing.T) {
	defer catchPanic(t)
	checkLossPureOf(t, "FusedSoftmaxCrossEntropy")
}

// Pitfall: per-sample loss of the wrong shape or divided by the class count (shape, fused loss)
func TestFusedSoftmaxCrossEntropyShapes(t *testing.T) {
	defer catchPanic(t)
	checkLossShapesOf(t, NewLossCrossEntropyForSoftmaxLogits("CE_fused"))
}
