package main

// Losses. Forward gives the per-sample loss as an (n, 1) column; Delta gives
// the per-sample ∂ℓ/∂X, NOT divided by n: the 1/n of the mean loss is
// applied once, by the layers' Grad.

import (
	"fmt"
	"math"
)

// Loss is the last module of a network during training.
type Loss interface {
	Name() string
	Forward(X, T *Matrix) *Matrix // per-sample loss, (n, 1)
	Delta(X, T *Matrix) *Matrix   // per-sample dL/dX, (n, classes): not divided by n
}

// intoLoss is the buffer-reusing form of Loss that both losses here have.
type intoLoss interface {
	ForwardInto(dst, X, T *Matrix) *Matrix
	DeltaInto(dst, X, T *Matrix) *Matrix
}

func checkLossShapes(name, what string, X, T *Matrix) {
	if X.Rows != T.Rows || X.Cols != T.Cols {
		panic(fmt.Sprintf("%s %s: X is %s, T is %s, want the same shape", name, what, X.Shape(), T.Shape()))
	}
}

// ---------------------------------------------------------------------------

// LossCrossEntropy is the multinomial cross-entropy ℓ = −Σ_k t_k log x_k of
// probabilities x (the output of a SoftmaxLayer). It is the lab's
// Assignment 1 loss and follows the mathematics with no clipping: when the
// true class gets probability 0 (softmax underflow) the loss is +Inf and the
// delta −Inf. That is exactly why LossCrossEntropyForSoftmaxLogits exists.
type LossCrossEntropy struct{ name string }

func NewLossCrossEntropy(name string) *LossCrossEntropy { return &LossCrossEntropy{name: name} }

func (l *LossCrossEntropy) Name() string   { return l.name }
func (l *LossCrossEntropy) String() string { return l.name + ": cross-entropy" }

func (l *LossCrossEntropy) Forward(X, T *Matrix) *Matrix { return l.ForwardInto(nil, X, T) }

// ForwardInto: ℓ = −Σ_k t_k log x_k. Terms with t_k = 0 contribute nothing
// (the convention 0·log 0 = 0; evaluating them would turn x_k = 0 into
// 0·(−Inf) = NaN). log 0 = −Inf for the true class gives ℓ = +Inf.
func (l *LossCrossEntropy) ForwardInto(dst, X, T *Matrix) *Matrix {
	checkLossShapes(l.name, "Forward", X, T)
	dst = resize(dst, X.Rows, 1)
	for i := 0; i < X.Rows; i++ {
		x, t := X.Row(i), T.Row(i)
		s := 0.0
		for k, tk := range t {
			if tk != 0 {
				s -= tk * math.Log(x[k])
			}
		}
		dst.Data[i] = s
	}
	return dst
}

func (l *LossCrossEntropy) Delta(X, T *Matrix) *Matrix { return l.DeltaInto(nil, X, T) }

// DeltaInto: ∂ℓ/∂x_k = −t_k / x_k. It is 0 where t_k = 0 (that term of ℓ
// is identically 0), and −Inf where the true class has x_k = 0. Passed down
// through the softmax's delta, −Inf meets p = 0 and 0·∞ = NaN spreads.
func (l *LossCrossEntropy) DeltaInto(dst, X, T *Matrix) *Matrix {
	checkLossShapes(l.name, "Delta", X, T)
	dst = resize(dst, X.Rows, X.Cols)
	d := dst.Data[:len(X.Data)]
	t := T.Data[:len(X.Data)]
	for i, x := range X.Data {
		if t[i] != 0 {
			d[i] = -t[i] / x
		} else {
			d[i] = 0
		}
	}
	return dst
}

// ---------------------------------------------------------------------------

// LossCrossEntropyForSoftmaxLogits is softmax followed by cross-entropy as
// one module that takes the logits s (Assignment 2 and 3). Derivation in the
// README. For every row:
//
//	ℓ = Σ_k t_k (lse(s) − s_k),   lse(s) = log Σ_c exp(s_c)
//	∂ℓ/∂s_k = (Σ_c t_c)·p_k − t_k = p_k − t_k for a one-hot (or any
//	          probability) target
//
// Both are finite for any finite logits; neither ever computes log p.
type LossCrossEntropyForSoftmaxLogits struct{ name string }

func NewLossCrossEntropyForSoftmaxLogits(name string) *LossCrossEntropyForSoftmaxLogits {
	return &LossCrossEntropyForSoftmaxLogits{name: name}
}

func (l *LossCrossEntropyForSoftmaxLogits) Name() string { return l.name }
func (l *LossCrossEntropyForSoftmaxLogits) String() string {
	return l.name + ": softmax + cross-entropy on logits"
}

func (l *LossCrossEntropyForSoftmaxLogits) Forward(X, T *Matrix) *Matrix {
	return l.ForwardInto(nil, X, T)
}

// ForwardInto computes ℓ = Σ_k t_k (lse(s) − s_k) stably: with m = max s,
// lse(s) − s_k = (m − s_k) + log Σ_c exp(s_c − m). Every exponent is ≤ 0
// (no overflow) and the sum is ≥ 1 (its largest term is exp(0) = 1), so the
// log is finite and ≥ 0. Writing it as (m − s_k) + … rather than
// lse − s_k also avoids subtracting two huge, nearly equal numbers.
func (l *LossCrossEntropyForSoftmaxLogits) ForwardInto(dst, X, T *Matrix) *Matrix {
	checkLossShapes(l.name, "Forward", X, T)
	dst = resize(dst, X.Rows, 1)
	parallelRows(fusedLossRows, dst, X, T, X.Rows, expCost*X.Cols)
	return dst
}

// fusedLossRows writes the loss of rows [i0, i1) into dst (see ForwardInto).
func fusedLossRows(dst, X, T, _ *Matrix, i0, i1 int) {
	for i := i0; i < i1; i++ {
		s, t := X.Row(i), T.Row(i)
		m := rowMax(s)
		sum := 0.0
		for _, v := range s {
			sum += math.Exp(v - m)
		}
		logSum := math.Log(sum)
		loss := 0.0
		for k, tk := range t {
			if tk != 0 {
				loss += tk * ((m - s[k]) + logSum)
			}
		}
		dst.Data[i] = loss
	}
}

func (l *LossCrossEntropyForSoftmaxLogits) Delta(X, T *Matrix) *Matrix {
	return l.DeltaInto(nil, X, T)
}

// DeltaInto: p_k − t_k (times Σt, which is 1 for the lab's one-hot targets),
// with p the stable softmax of the logits. Each entry lies in [−1, 1]: the
// fused delta cannot blow up the way −t/p can.
func (l *LossCrossEntropyForSoftmaxLogits) DeltaInto(dst, X, T *Matrix) *Matrix {
	checkLossShapes(l.name, "Delta", X, T)
	dst = resize(dst, X.Rows, X.Cols)
	parallelRows(fusedDeltaRows, dst, X, T, X.Rows, expCost*X.Cols)
	return dst
}

// fusedDeltaRows writes the delta of rows [i0, i1) into dst (see DeltaInto).
func fusedDeltaRows(dst, X, T, _ *Matrix, i0, i1 int) {
	for i := i0; i < i1; i++ {
		d, t := dst.Row(i), T.Row(i)
		softmaxRow(d, X.Row(i))
		st := 0.0
		for _, tk := range t {
			st += tk
		}
		for k, tk := range t {
			d[k] = st*d[k] - tk
		}
	}
}

func rowMax(s []float64) float64 {
	m := math.Inf(-1)
	for _, v := range s {
		if v > m {
			m = v
		}
	}
	return m
}
