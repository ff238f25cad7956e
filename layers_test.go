package main

// Tests of the layers' and losses' messages (Assignments 1 to 3):
//
//	go test -run Linear                       LinearLayer
//	go test -run ReLU                         ReLULayer
//	go test -run Softmax                      SoftmaxLayer and the fused loss
//	go test -run CrossEntropy                 both cross-entropy losses
//	go test -run FusedSoftmaxCrossEntropy     LossCrossEntropyForSoftmaxLogits
//
// Every message has a hand-computed case and a central finite-difference
// check on random inputs. Delta is checked as the gradient of the scalar
// L = Σ Forward(X) ⊙ δ_next with respect to X (whose gradient is exactly the
// δ_in the layer must send down); Grad as the gradient of the batch MEAN of
// that L; a loss's Delta as the gradient of each sample's own loss.

import (
	"math"
	"strings"
	"testing"
)

// ---------------------------------------------------------------------------
// Shared checks, used by the per-layer tests below.

// checkDeltaFD checks l.Delta(nil, Forward(X), δ_next) against finite differences
// of L(X) = Σ Forward(X) ⊙ δ_next. Delta gets the layer's OUTPUT.
func checkDeltaFD(t *testing.T, l Layer, X, deltaNext *Matrix) {
	t.Helper()
	got := l.Delta(nil, l.Forward(nil, X), deltaNext)
	want := fdGrad(X, func(int) float64 { return sumProduct(l.Forward(nil, X), deltaNext) })
	checkClose(t, l.Name()+" Delta (vs finite differences)", got, want, gradTol)
}

// checkGradFD checks every matrix of l.Grad(nil, X, δ_next) against finite
// differences, with respect to that parameter, of the batch mean
// (1/n) Σ Forward(X) ⊙ δ_next.
func checkGradFD(t *testing.T, l ParamLayer, X, deltaNext *Matrix) {
	t.Helper()
	got := l.Grad(nil, X, deltaNext)
	params := l.Params()
	if len(got) != len(params) {
		t.Fatalf("%s Grad returned %d matrices; want %d (one per parameter)", l.Name(), len(got), len(params))
	}
	n := float64(X.Rows)
	for i, p := range params {
		want := fdGrad(p, func(int) float64 { return sumProduct(l.Forward(nil, X), deltaNext) / n })
		checkClose(t, l.Name()+" Grad "+paramName(i)+" (vs finite differences of the batch mean)", got[i], want, gradTol)
	}
}

// checkLossFD checks loss.Delta(nil, X, T) against finite differences of each
// sample's own loss: δ[i,j] = ∂ℓ_i/∂X[i,j], per sample, not divided by n.
func checkLossFD(t *testing.T, loss Loss, X, T *Matrix) {
	t.Helper()
	got := loss.Delta(nil, X, T)
	want := fdGrad(X, func(k int) float64 { return loss.Forward(nil, X, T).Data[k/X.Cols] })
	checkClose(t, loss.Name()+" Delta (vs finite differences of each sample's loss)", got, want, gradTol)
}

// checkLayerLeavesArgs checks that Forward, Delta and (for a ParamLayer)
// Grad leave their arguments and the layer's parameters unchanged, and
// that a destination handed in (dirty, of the wrong size) gives the same
// results as none.
func checkLayerLeavesArgs(t *testing.T, l Layer, X, deltaNext *Matrix) {
	t.Helper()
	X0, d0 := X.Clone(), deltaNext.Clone()
	var p0 []*Matrix
	pl, isParam := l.(ParamLayer)
	if isParam {
		for _, p := range pl.Params() {
			p0 = append(p0, p.Clone())
		}
	}
	Y := l.Forward(nil, X)
	checkSame(t, l.Name()+" Forward: X afterwards", X, X0)
	Y0 := Y.Clone()
	dIn := l.Delta(nil, Y, deltaNext)
	checkSame(t, l.Name()+" Delta: Y afterwards", Y, Y0)
	checkSame(t, l.Name()+" Delta: deltaNext afterwards", deltaNext, d0)
	var grads []*Matrix
	if isParam {
		grads = pl.Grad(nil, X, deltaNext)
		checkSame(t, l.Name()+" Grad: X afterwards", X, X0)
		checkSame(t, l.Name()+" Grad: deltaNext afterwards", deltaNext, d0)
		for i, p := range pl.Params() {
			checkSame(t, l.Name()+" parameter "+paramName(i)[1:]+" after Forward, Delta and Grad", p, p0[i])
		}
	}

	// A destination full of NaN (the caller's buffer from an earlier
	// batch) gives the same results: every element is written.
	dirty := func() *Matrix { m := NewMatrix(3, 50); m.Fill(math.NaN()); return m }
	checkSame(t, l.Name()+" Forward(dirty dst)", l.Forward(dirty(), X), Y)
	checkSame(t, l.Name()+" Delta(dirty dst)", l.Delta(dirty(), Y, deltaNext), dIn)
	if isParam {
		got := pl.Grad([]*Matrix{dirty(), dirty()}, X, deltaNext)
		for i := range grads {
			checkSame(t, l.Name()+" Grad(dirty dst) "+paramName(i), got[i], grads[i])
		}
	}
}

// checkLossLeavesArgs is checkLayerLeavesArgs for a loss.
func checkLossLeavesArgs(t *testing.T, loss Loss, X, T *Matrix) {
	t.Helper()
	X0, T0 := X.Clone(), T.Clone()
	fw := loss.Forward(nil, X, T)
	checkSame(t, loss.Name()+" Forward: X afterwards", X, X0)
	checkSame(t, loss.Name()+" Forward: T afterwards", T, T0)
	d := loss.Delta(nil, X, T)
	checkSame(t, loss.Name()+" Delta: X afterwards", X, X0)
	checkSame(t, loss.Name()+" Delta: T afterwards", T, T0)
	dirty := NewMatrix(7, 9)
	dirty.Fill(math.NaN())
	checkSame(t, loss.Name()+" Forward(dirty dst)", loss.Forward(dirty, X, T), fw)
	dirty = NewMatrix(7, 9)
	dirty.Fill(math.NaN())
	checkSame(t, loss.Name()+" Delta(dirty dst)", loss.Delta(dirty, X, T), d)
}

// ---------------------------------------------------------------------------
// LinearLayer

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
func TestLinearHand(t *testing.T) {
	l := newLinear("Linear_hand", mat([]float64{1, 2}, []float64{3, 4}), mat([]float64{0.5, -1}))
	X := mat([]float64{1, 2}, []float64{-1, 0})
	dNext := mat([]float64{1, 0}, []float64{0, 2})

	checkClose(t, "Linear Forward", l.Forward(nil, X), mat([]float64{7.5, 9}, []float64{-0.5, -3}), 1e-15)
	checkClose(t, "Linear Delta", l.Delta(nil, l.Forward(nil, X), dNext), mat([]float64{1, 3}, []float64{4, 8}), 1e-15)
	g := l.Grad(nil, X, dNext)
	if len(g) != 2 {
		t.Fatalf("Linear Grad returned %d matrices; want 2 ([dW, dB])", len(g))
	}
	checkClose(t, "Linear Grad dW", g[0], mat([]float64{0.5, -1}, []float64{1, 0}), 1e-15)
	checkClose(t, "Linear Grad dB", g[1], mat([]float64{0.5, 1}), 1e-15)

	// UpdateParams adds: W + dW, b + dB.
	l.UpdateParams(g)
	checkClose(t, "Linear W after UpdateParams(Grad)", l.W, mat([]float64{1.5, 1}, []float64{4, 4}), 1e-15)
	checkClose(t, "Linear B after UpdateParams(Grad)", l.B, mat([]float64{1, 0}), 1e-15)
}

func TestLinearDeltaFiniteDifferences(t *testing.T) {
	rng := newTestRNG(1)
	for _, s := range []struct{ n, in, out int }{{1, 1, 1}, {1, 3, 2}, {5, 4, 3}, {7, 6, 9}} {
		l := NewLinearLayer(s.in, s.out, rng, "Linear_fd")
		checkDeltaFD(t, l, randMatrix(rng, s.n, s.in), randMatrix(rng, s.n, s.out))
	}
}

func TestLinearGradFiniteDifferences(t *testing.T) {
	rng := newTestRNG(2)
	for _, s := range []struct{ n, in, out int }{{1, 1, 1}, {1, 3, 2}, {5, 4, 3}, {7, 6, 9}} {
		l := NewLinearLayer(s.in, s.out, rng, "Linear_fd")
		l.B = randMatrix(rng, 1, s.out) // not all ones, so dB is not hidden by symmetry
		checkGradFD(t, l, randMatrix(rng, s.n, s.in), randMatrix(rng, s.n, s.out))
	}
}

// Grad is the batch MEAN: the same samples twice give the same gradient.
//
// Pitfall: the batch mean taken twice (loss delta divided by n and grad divided again)
// (here: Grad must divide by n exactly once; TestCrossEntropyDeltaFiniteDifferences
// checks that the losses' deltas are not divided at all).
func TestLinearGradAveragesOverBatch(t *testing.T) {
	rng := newTestRNG(3)
	l := NewLinearLayer(4, 3, rng, "Linear_avg")
	X, d := randMatrix(rng, 5, 4), randMatrix(rng, 5, 3)
	once := l.Grad(nil, X, d)
	twice := l.Grad(nil, stackRows(X, X), stackRows(d, d))
	for i := range once {
		checkClose(t, "Linear Grad "+paramName(i)+" on [X; X] vs on X", twice[i], once[i], 1e-13)
	}
}

// Pitfall: forward or delta overwriting its input (LinearLayer)
func TestLinearLeavesArgumentsUnchanged(t *testing.T) {
	rng := newTestRNG(4)
	l := NewLinearLayer(4, 3, rng, "Linear_pure")
	checkLayerLeavesArgs(t, l, randMatrix(rng, 6, 4), randMatrix(rng, 6, 3))
}

// He initialisation: W ~ N(0, 2/n_in), biases 1 (TEMPLATE.md).
func TestLinearInit(t *testing.T) {
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

// ---------------------------------------------------------------------------
// ReLULayer

// The hand case: X = [−2 0 3 −0.5 0.25] → Forward = [0 0 3 0 0.25].
// δ_next = [1 2 3 4 5] passes only where the unit is on (Y > 0):
// Delta = [0 0 3 0 5]. The second entry has Y = 0 exactly.
//
// Pitfall: ReLU delta tested on `Y >= 0`
func TestReLUHand(t *testing.T) {
	l := NewReLULayer("ReLU_hand")
	X := mat([]float64{-2, 0, 3, -0.5, 0.25})
	Y := l.Forward(nil, X)
	checkClose(t, "ReLU Forward", Y, mat([]float64{0, 0, 3, 0, 0.25}), 0)
	got := l.Delta(nil, Y, mat([]float64{1, 2, 3, 4, 5}))
	checkClose(t, "ReLU Delta (Y = 0 is off: δ must be 0 there)", got, mat([]float64{0, 0, 3, 0, 5}), 0)
}

// A NaN coming in must stay NaN, so a diverging network is noticed instead
// of being quietly switched off.
func TestReLUForwardKeepsNaN(t *testing.T) {
	Y := NewReLULayer("ReLU_nan").Forward(nil, mat([]float64{math.NaN(), 1}))
	if !math.IsNaN(Y.Data[0]) {
		t.Errorf("ReLU Forward(NaN) = %v; want NaN", Y.Data[0])
	}
}

func TestReLUDeltaFiniteDifferences(t *testing.T) {
	rng := newTestRNG(6)
	for _, s := range []struct{ n, k int }{{1, 1}, {1, 5}, {7, 4}} {
		// Inputs away from 0: the finite difference must not cross the kink.
		checkDeltaFD(t, NewReLULayer("ReLU_fd"), randAwayFromZero(rng, s.n, s.k), randMatrix(rng, s.n, s.k))
	}
}

// Pitfall: forward or delta overwriting its input (ReLULayer)
func TestReLULeavesArgumentsUnchanged(t *testing.T) {
	rng := newTestRNG(7)
	checkLayerLeavesArgs(t, NewReLULayer("ReLU_pure"), randAwayFromZero(rng, 6, 4), randMatrix(rng, 6, 4))
}

// ---------------------------------------------------------------------------
// SoftmaxLayer

// The hand case: exp(0), exp(ln 2), exp(ln 5) are 1, 2, 5 with sum 8, so
// softmax([0, ln 2, ln 5]) = [1/8, 2/8, 5/8]. The same logits + 1000 give
// the same row (shift invariance; without the max shift exp(1000) = Inf and
// the row is NaN). A row [3 3 3] gives [1/3 1/3 1/3]. Softmax over the
// columns instead of the rows would mix the rows and get all three wrong.
//
// Pitfall: no max shift (overflow at logit 1000)
// Pitfall: softmax or its max taken over the wrong axis or the whole batch (wrong axis)
func TestSoftmaxForwardHand(t *testing.T) {
	l := NewSoftmaxLayer("Softmax_hand")
	ln2, ln5 := math.Log(2), math.Log(5)
	got := l.Forward(nil, mat(
		[]float64{0, ln2, ln5},
		[]float64{1000, 1000 + ln2, 1000 + ln5},
		[]float64{3, 3, 3},
	))
	want := mat(
		[]float64{1.0 / 8, 2.0 / 8, 5.0 / 8},
		[]float64{1.0 / 8, 2.0 / 8, 5.0 / 8},
		[]float64{1.0 / 3, 1.0 / 3, 1.0 / 3},
	)
	// 1e-12: ln 2 + 1000 is rounded to a multiple of 2^-43 ≈ 1e-13.
	checkClose(t, "Softmax Forward", got, want, 1e-12)
}

// The hand case: Delta = Y ⊙ (δ_next − ⟨δ_next, Y⟩) row by row.
//
//	Y = [0.25 0.75], δ_next = [1 0]: ⟨δ_next, Y⟩ = 0.25,
//	  Delta = [0.25·(1 − 0.25), 0.75·(0 − 0.25)] = [0.1875, −0.1875]
//	Y = [0.5 0.5], δ_next = [2 2]: ⟨⟩ = 2, Delta = [0, 0]
//	  (a constant δ_next is a shift of the logits, which softmax ignores)
func TestSoftmaxDeltaHand(t *testing.T) {
	l := NewSoftmaxLayer("Softmax_hand")
	got := l.Delta(nil, mat([]float64{0.25, 0.75}, []float64{0.5, 0.5}), mat([]float64{1, 0}, []float64{2, 2}))
	checkClose(t, "Softmax Delta", got, mat([]float64{0.1875, -0.1875}, []float64{0, 0}), 1e-15)
}

func TestSoftmaxDeltaFiniteDifferences(t *testing.T) {
	rng := newTestRNG(8)
	for _, s := range []struct{ n, k int }{{1, 1}, {1, 2}, {1, 5}, {7, 3}, {4, 10}} {
		X := randMatrix(rng, s.n, s.k)
		X.Scale(3)
		checkDeltaFD(t, NewSoftmaxLayer("Softmax_fd"), X, randMatrix(rng, s.n, s.k))
	}
}

// Assignment 2: softmax(s + c) = softmax(s) for any constant c.
func TestSoftmaxShiftInvariance(t *testing.T) {
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
// Pitfall: no max shift (overflow at logit 1000)
func TestSoftmaxLargeLogits(t *testing.T) {
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

// One batch with rows of very different scale: the max must be taken per
// row. With the max of the whole batch (1e4) the second row would be
// exp(−1e4)/Σ = 0/0 = NaN; softmax of [a, a−1] is [e/(1+e), 1/(1+e)] for
// any a.
//
// Pitfall: softmax or its max taken over the wrong axis or the whole batch (whole batch)
func TestSoftmaxRowsOfDifferentScale(t *testing.T) {
	S := mat([]float64{1e4, 1e4 - 1}, []float64{0, -1}, []float64{-1e4, -1e4 - 1})
	p0 := math.E / (1 + math.E) // 0.7310585786300049
	want := mat([]float64{p0, 1 - p0}, []float64{p0, 1 - p0}, []float64{p0, 1 - p0})
	checkClose(t, "Softmax Forward with rows of different scale", NewSoftmaxLayer("Softmax_rows").Forward(nil, S), want, 1e-12)
}

// Pitfall: forward or delta overwriting its input (SoftmaxLayer)
func TestSoftmaxLeavesArgumentsUnchanged(t *testing.T) {
	rng := newTestRNG(11)
	checkLayerLeavesArgs(t, NewSoftmaxLayer("Softmax_pure"), randMatrix(rng, 6, 4), randMatrix(rng, 6, 4))
}

// FuzzSoftmaxRowInvariants checks, for any finite logits, that softmax
// gives a probability vector (every entry finite, in [0, 1], the row sum
// within 1e-12 of 1) whose largest entry sits at the largest logit. The
// seed corpus is in testdata/fuzz/FuzzSoftmaxRowInvariants, so plain
// `go test` runs it; `go test -fuzz FuzzSoftmax` searches for more.
func FuzzSoftmaxRowInvariants(f *testing.F) {
	f.Add(0.0, 0.0, 0.0, 0.0)
	f.Add(1000.0, -1000.0, 0.5, 709.8)
	f.Fuzz(func(t *testing.T, a, b, c, d float64) {
		s := []float64{a, b, c, d}
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return // the invariants are claimed for finite logits only
			}
		}
		S := mat(s)
		P := NewSoftmaxLayer("Softmax_fuzz").Forward(nil, S)
		checkProbRows(t, "Softmax Forward", S, P, 1e-12)
		// Argmax preserved: exp is increasing, so the largest logit gets
		// a largest probability (others may tie with it after rounding).
		k := S.ArgmaxRow(0)
		for j, p := range P.Row(0) {
			if p > P.At(0, k) {
				t.Errorf("softmax(%v) = %v: p[%d] > p[%d], but logit %d is the largest", s, P.Row(0), j, k, k)
			}
		}
	})
}

// ---------------------------------------------------------------------------
// LossCrossEntropy (plain, on probabilities)

// The hand case: ℓ = −Σ_k t_k log x_k per sample, shape (n, 1).
//
//	X = [0.25 0.75], T = [0 1]: ℓ = −log 0.75 = 0.2876820724517809
//	X = [0.5 0.5],   T = [1 0]: ℓ = −log 0.5  = 0.6931471805599453
//	Delta = −T / X = [0 −4/3; −2 0], per sample (not divided by n = 2)
//
// Pitfall: per-sample loss of the wrong shape or divided by the class count
func TestCrossEntropyHand(t *testing.T) {
	l := NewLossCrossEntropy("CE_hand")
	X := mat([]float64{0.25, 0.75}, []float64{0.5, 0.5})
	T := mat([]float64{0, 1}, []float64{1, 0})
	checkClose(t, "CrossEntropy Forward (per-sample loss, n×1)", l.Forward(nil, X, T), mat([]float64{0.2876820724517809}, []float64{0.6931471805599453}), 1e-15)
	checkClose(t, "CrossEntropy Delta", l.Delta(nil, X, T), mat([]float64{0, -4.0 / 3}, []float64{-2, 0}), 1e-15)
}

// The plain loss has no clipping: a true class with probability 0 gives
// ℓ = +Inf and δ = −Inf, which is why the fused loss exists. A wrong class
// with probability 0 contributes nothing (0·log 0 = 0), not NaN.
func TestCrossEntropyZeroProbability(t *testing.T) {
	l := NewLossCrossEntropy("CE_zero")
	X := mat([]float64{1, 0}, []float64{1, 0})
	T := mat([]float64{0, 1}, []float64{1, 0})
	loss, d := l.Forward(nil, X, T), l.Delta(nil, X, T)
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
	rng := newTestRNG(12)
	for _, s := range []struct{ n, k int }{{1, 2}, {7, 3}, {4, 10}} {
		// Probabilities bounded away from 0, so ±h keeps log finite.
		X := randUniform(rng, s.n, s.k, 0.05, 1)
		checkLossFD(t, NewLossCrossEntropy("CE_fd"), X, randOneHot(rng, s.n, s.k))
	}
}

// Pitfall: forward or delta overwriting its input (LossCrossEntropy)
func TestCrossEntropyLeavesArgumentsUnchanged(t *testing.T) {
	rng := newTestRNG(13)
	checkLossLeavesArgs(t, NewLossCrossEntropy("CE_pure"), randUniform(rng, 5, 3, 0.05, 1), randOneHot(rng, 5, 3))
}

// ---------------------------------------------------------------------------
// LossCrossEntropyForSoftmaxLogits (fused, on logits)

// The hand case: ℓ = log Σ_c exp(s_c) − Σ_k t_k s_k, δ = softmax(s) − t.
//
//	s = [0, ln 3], t = [0 1]: p = [1/4, 3/4],
//	    ℓ = ln 4 − ln 3 = ln(4/3) = 0.28768207245178096, δ = [0.25, −0.25]
//	s = [1000, 1000 + ln 3], t = [1 0]: p = [1/4, 3/4],
//	    ℓ = (1000 + ln 4) − 1000 = ln 4 = 1.3862943611198906, δ = [−0.75, 0.75]
//	s = [−1000, −1000], t = [0 1]: p = [1/2, 1/2], ℓ = ln 2, δ = [0.5, −0.5]
//
// A log-sum-exp that subtracts the max and forgets to add it back is off by
// 1000 in the second row; a delta s − t without the softmax gets every row
// wrong.
//
// Pitfall: log-sum-exp with the max never added back
// Pitfall: fused delta applied to logits without the softmax
func TestFusedSoftmaxCrossEntropyHand(t *testing.T) {
	l := NewLossCrossEntropyForSoftmaxLogits("CE_fused_hand")
	ln3 := math.Log(3)
	S := mat([]float64{0, ln3}, []float64{1000, 1000 + ln3}, []float64{-1000, -1000})
	T := mat([]float64{0, 1}, []float64{1, 0}, []float64{0, 1})
	// 1e-12: 1000 + ln 3 is rounded to a multiple of 2^-43 ≈ 1e-13.
	checkClose(t, "FusedSoftmaxCrossEntropy Forward", l.Forward(nil, S, T),
		mat([]float64{math.Log(4.0 / 3)}, []float64{math.Log(4)}, []float64{math.Log(2)}), 1e-12)
	checkClose(t, "FusedSoftmaxCrossEntropy Delta", l.Delta(nil, S, T),
		mat([]float64{0.25, -0.25}, []float64{-0.75, 0.75}, []float64{0.5, -0.5}), 1e-12)
}

func TestFusedSoftmaxCrossEntropyDeltaFiniteDifferences(t *testing.T) {
	rng := newTestRNG(14)
	for _, s := range []struct{ n, k int }{{1, 2}, {7, 3}, {4, 10}} {
		S := randMatrix(rng, s.n, s.k)
		S.Scale(3)
		checkLossFD(t, NewLossCrossEntropyForSoftmaxLogits("CE_fused_fd"), S, randOneHot(rng, s.n, s.k))
	}
}

// Where both are finite, the fused loss equals Softmax + LossCrossEntropy.
func TestFusedSoftmaxCrossEntropyMatchesPair(t *testing.T) {
	rng := newTestRNG(15)
	S := randMatrix(rng, 9, 5)
	S.Scale(4)
	T := randOneHot(rng, 9, 5)
	sm, ce := NewSoftmaxLayer("Softmax"), NewLossCrossEntropy("CE")
	fused := NewLossCrossEntropyForSoftmaxLogits("CE_fused")
	P := sm.Forward(nil, S)
	pairLoss := ce.Forward(nil, P, T)
	pairDelta := sm.Delta(nil, P, ce.Delta(nil, P, T))
	if !pairLoss.AllFinite() || !pairDelta.AllFinite() {
		t.Fatalf("test data too extreme: Softmax + CrossEntropy are not finite")
	}
	checkClose(t, "fused Forward vs Softmax + CrossEntropy", fused.Forward(nil, S, T), pairLoss, 1e-12)
	checkClose(t, "fused Delta vs Softmax Delta of CrossEntropy Delta", fused.Delta(nil, S, T), pairDelta, 1e-12)
}

// Where the pair breaks down (the true class's probability underflows to
// 0: log 0 = −Inf, −1/0 = −Inf, and 0·∞ = NaN in the softmax's delta) the
// fused loss stays finite and exact.
//
//	s = [1e4, −1e4], t = [0 1]: ℓ = log(e^{1e4} + e^{−1e4}) + 1e4 = 2e4
//	    (to double precision), δ = p − t = [1, −1]
//
// The batch mixes rows of very different scale, so a max taken over the
// whole batch (1e4) instead of per row would make the other rows' sums 0
// and their losses −Inf or NaN.
//
// Pitfall: softmax or its max taken over the wrong axis or the whole batch (fused loss)
func TestFusedSoftmaxCrossEntropyStaysFinite(t *testing.T) {
	ln3 := math.Log(3)
	S := mat([]float64{1e4, -1e4}, []float64{0, ln3}, []float64{-1e4, -1e4 + ln3})
	T := mat([]float64{0, 1}, []float64{0, 1}, []float64{0, 1})
	wantLoss := mat([]float64{2e4}, []float64{math.Log(4.0 / 3)}, []float64{math.Log(4.0 / 3)})
	wantDelta := mat([]float64{1, -1}, []float64{0.25, -0.25}, []float64{0.25, -0.25})

	// First show that the naive pair does break down on row 0.
	sm, ce := NewSoftmaxLayer("Softmax"), NewLossCrossEntropy("CE")
	P := sm.Forward(nil, S)
	if pl, pd := ce.Forward(nil, P, T), sm.Delta(nil, P, ce.Delta(nil, P, T)); !math.IsInf(pl.Data[0], 1) || !math.IsNaN(pd.At(0, 0)) {
		t.Errorf("Softmax + CrossEntropy on [1e4, -1e4]: loss %v, delta %v; want +Inf and NaN (the breakdown the fused loss avoids)", pl.Data[0], pd.Row(0))
	}

	fused := NewLossCrossEntropyForSoftmaxLogits("CE_fused")
	loss, delta := fused.Forward(nil, S, T), fused.Delta(nil, S, T)
	if !loss.AllFinite() || !delta.AllFinite() {
		t.Errorf("fused loss %v, delta %v; want all finite", loss.Data, delta.Data)
	}
	// Rows 1 and 2 differ by −1e4, whose rounding of ln 3 is ≈ 1e-12.
	checkClose(t, "fused Forward", loss, wantLoss, 1e-11)
	checkClose(t, "fused Delta", delta, wantDelta, 1e-11)
}

// Pitfall: forward or delta overwriting its input (LossCrossEntropyForSoftmaxLogits)
func TestFusedSoftmaxCrossEntropyLeavesArgumentsUnchanged(t *testing.T) {
	rng := newTestRNG(16)
	checkLossLeavesArgs(t, NewLossCrossEntropyForSoftmaxLogits("CE_fused_pure"), randMatrix(rng, 5, 3), randOneHot(rng, 5, 3))
}

// Both losses return an (n, 1) column and panic, naming both shapes, when X
// and T do not match.
//
// Pitfall: per-sample loss of the wrong shape or divided by the class count (shape, both losses)
func TestCrossEntropyShapes(t *testing.T) {
	for _, l := range []Loss{NewLossCrossEntropy("CE"), NewLossCrossEntropyForSoftmaxLogits("CE_fused")} {
		X := NewMatrix(4, 3)
		X.Fill(1.0 / 3)
		T := randOneHot(newTestRNG(17), 4, 3)
		if got := l.Forward(nil, X, T); got.Rows != 4 || got.Cols != 1 {
			t.Errorf("%s Forward of a 4x3 batch has shape %s; want 4x1 (one loss per sample)", l.Name(), got.Shape())
		}
		if got := l.Delta(nil, X, T); got.Rows != 4 || got.Cols != 3 {
			t.Errorf("%s Delta of a 4x3 batch has shape %s; want 4x3", l.Name(), got.Shape())
		}
		msg, ok := panicMessage(func() { l.Forward(nil, X, NewMatrix(4, 2)) })
		if !ok || !strings.Contains(msg, "4x3") || !strings.Contains(msg, "4x2") {
			t.Errorf("%s Forward(4x3, 4x2): panic %q (panicked: %v); want a panic naming 4x3 and 4x2", l.Name(), msg, ok)
		}
	}
}
