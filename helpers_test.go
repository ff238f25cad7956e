package main

// Helpers shared by the whole test suite: random test data, the central
// finite-difference gradient, float comparison with "got; want" messages,
// and panic capture. Every gradient test in the suite goes through fdGrad,
// so there is exactly one finite-difference loop to trust.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// fdStep is the step of the central differences. With h = 1e-6 the
// truncation error is O(h²) ≈ 1e-12 and the rounding error is about
// ε·|f|/h ≈ 1e-10·|f|, both far below the 1e-6 tolerance of gradTol.
const fdStep = 1e-6

// gradTol is the largest relative error (see relErr) allowed between an
// analytic gradient or delta and its finite-difference estimate.
const gradTol = 1e-6

// newTestRNG returns a seeded generator, so that every test sees the same
// data on every run.
func newTestRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x7e57))
}

// randMatrix returns a rows×cols matrix of standard normal numbers.
func randMatrix(rng *rand.Rand, rows, cols int) *Matrix {
	m := NewMatrix(rows, cols)
	for i := range m.Data {
		m.Data[i] = rng.NormFloat64()
	}
	return m
}

// randUniform returns a rows×cols matrix uniform in [lo, hi).
func randUniform(rng *rand.Rand, rows, cols int, lo, hi float64) *Matrix {
	m := NewMatrix(rows, cols)
	for i := range m.Data {
		m.Data[i] = lo + (hi-lo)*rng.Float64()
	}
	return m
}

// randAwayFromZero returns numbers with |x| in [0.1, 2) and a random sign:
// ReLU is not differentiable at 0, so a finite difference across the kink
// would not estimate its derivative.
func randAwayFromZero(rng *rand.Rand, rows, cols int) *Matrix {
	m := randUniform(rng, rows, cols, 0.1, 2)
	for i := range m.Data {
		if rng.IntN(2) == 0 {
			m.Data[i] = -m.Data[i]
		}
	}
	return m
}

// randOneHot returns n one-hot rows over k classes.
func randOneHot(rng *rand.Rand, n, k int) *Matrix {
	T := NewMatrix(n, k)
	for i := 0; i < n; i++ {
		T.Set(i, rng.IntN(k), 1)
	}
	return T
}

// stackRows returns [A; B], the rows of A followed by the rows of B.
func stackRows(A, B *Matrix) *Matrix {
	if A.Cols != B.Cols {
		panic(fmt.Sprintf("stackRows: %s and %s", A.Shape(), B.Shape()))
	}
	return NewMatrixFrom(A.Rows+B.Rows, A.Cols, append(append([]float64{}, A.Data...), B.Data...))
}

// sumProduct returns Σ A ⊙ B, the scalar whose gradient with respect to A
// is B: used to turn a layer's output into a scalar "loss" L = Σ Y ⊙ δ,
// so that ∂L/∂X is exactly the delta the layer should send down.
func sumProduct(A, B *Matrix) float64 {
	if A.Rows != B.Rows || A.Cols != B.Cols {
		panic(fmt.Sprintf("sumProduct: %s and %s", A.Shape(), B.Shape()))
	}
	s := 0.0
	for i, a := range A.Data {
		s += a * B.Data[i]
	}
	return s
}

// mean returns the mean of the elements of m.
func mean(m *Matrix) float64 {
	s := 0.0
	for _, v := range m.Data {
		s += v
	}
	return s / float64(len(m.Data))
}

// fdGrad estimates ∂f/∂x for every element of x by central differences
// (finiteDiff in gradcheck.go, with the suite's step).
func fdGrad(x *Matrix, f func(k int) float64) *Matrix { return finiteDiff(x, fdStep, f) }

// relErrTest is relErr with floor 1: relative for large values and absolute
// near zero.
func relErrTest(a, b float64) float64 { return relErr(a, b, 1) }

// maxErrorsShown limits how many wrong elements one comparison reports.
const maxErrorsShown = 5

// checkClose reports every element of got that differs from want by more
// than tol (relErr), naming what is compared and the element's index.
// It returns false when something was wrong.
func checkClose(t *testing.T, what string, got, want *Matrix, tol float64) bool {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil; want a %s matrix", what, want.Shape())
		return false
	}
	if got.Rows != want.Rows || got.Cols != want.Cols || len(got.Data) != len(want.Data) {
		t.Errorf("%s has shape %s (%d values); want %s", what, got.Shape(), len(got.Data), want.Shape())
		return false
	}
	bad := 0
	for k, w := range want.Data {
		g := got.Data[k]
		if e := relErrTest(g, w); !(e <= tol) {
			if bad < maxErrorsShown {
				t.Errorf("%s[%d,%d] = %.17g; want %.17g (relative error %.3g > %.0e)", what, k/want.Cols, k%want.Cols, g, w, e, tol)
			}
			bad++
		}
	}
	if bad > maxErrorsShown {
		t.Errorf("%s: %d of %d elements wrong in all", what, bad, len(want.Data))
	}
	return bad == 0
}

// checkSame reports every element of got that is not bit-identical to want
// (NaNs with the same bits count as equal).
func checkSame(t *testing.T, what string, got, want *Matrix) bool {
	t.Helper()
	if got.Rows != want.Rows || got.Cols != want.Cols || len(got.Data) != len(want.Data) {
		t.Errorf("%s has shape %s; want %s", what, got.Shape(), want.Shape())
		return false
	}
	bad := 0
	for k, w := range want.Data {
		g := got.Data[k]
		if math.Float64bits(g) != math.Float64bits(w) {
			if bad < maxErrorsShown {
				t.Errorf("%s[%d,%d] = %.17g; want %.17g bit for bit", what, k/want.Cols, k%want.Cols, g, w)
			}
			bad++
		}
	}
	if bad > maxErrorsShown {
		t.Errorf("%s: %d of %d elements differ in all", what, bad, len(want.Data))
	}
	return bad == 0
}

// mat is shorthand for FromRows in hand-computed cases.
func mat(rows ...[]float64) *Matrix { return FromRows(rows) }

// panicMessage runs fn and returns what it panicked with, formatted, and
// whether it panicked at all.
func panicMessage(fn func()) (msg string, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			msg, panicked = fmt.Sprint(r), true
		}
	}()
	fn()
	return "", false
}

// newLinear returns a linear layer with the given weights and bias (both
// copied), for hand-computed cases.
func newLinear(name string, W, b *Matrix) *LinearLayer {
	return &LinearLayer{name: name, W: W.Clone(), B: b.Clone()}
}
