package main

// Losses. Forward gives the per-sample loss as an (n, 1) column; Delta gives
// the per-sample ∂ℓ/∂X, NOT divided by n: the 1/n of the mean loss is
// applied once, by the layers' Grad. Like the layers' messages, both write
// into dst and return it (nil: a new matrix).

import (
	"math"
)

// Loss is the last module of a network during training.
type Loss interface {
	Name() string
	Forward(dst, X, T *Matrix) *Matrix // per-sample loss, (n, 1)
	Delta(dst, X, T *Matrix) *Matrix   // per-sample dL/dX, (n, classes): not divided by n
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

// Forward: X (n, k) are probabilities, T (n, k) one-hot targets; returns
// ℓ = −Σ_k t_k log x_k per sample, (n, 1). Terms with t_k = 0 contribute
// nothing (the convention 0·log 0 = 0; evaluating them would turn x_k = 0
// into 0·(−Inf) = NaN). log 0 = −Inf for the true class gives ℓ = +Inf.
func (l *LossCrossEntropy) Forward(dst, X, T *Matrix) *Matrix {
	checkLossShapes(l.name, "Forward", X, T)
	// BEGIN SOLUTION (Assignment 1)
	// HINT: one value per row: Resize(dst, X.Rows, 1); skip the terms with t_k = 0.
	dst = Resize(dst, X.Rows, 1)
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
	// END SOLUTION
}

// Delta: returns ∂ℓ/∂X per sample, (n, k), with no clipping: 0 where
// t_k = 0 (that term of ℓ is identically 0), and −Inf where the true class
// has probability x_k = 0.
func (l *LossCrossEntropy) Delta(dst, X, T *Matrix) *Matrix {
	checkLossShapes(l.name, "Delta", X, T)
	// BEGIN SOLUTION (Assignment 1)
	// HINT: element by element; per sample, not divided by n (Grad averages).
	// ∂ℓ/∂x_k = −t_k / x_k. Passed down through the softmax's delta, −Inf
	// meets p = 0 and 0·∞ = NaN spreads.
	dst = Resize(dst, X.Rows, X.Cols)
	for i, x := range X.Data {
		d := 0.0
		if t := T.Data[i]; t != 0 {
			d = -t / x
		}
		dst.Data[i] = d
	}
	return dst
	// END SOLUTION
}

// ---------------------------------------------------------------------------

// LossCrossEntropyForSoftmaxLogits is softmax followed by cross-entropy as
// one module that takes the logits s (Assignment 2 derives its messages,
// Assignment 3 implements them). Its loss and delta are those of a
// SoftmaxLayer followed by LossCrossEntropy, and finite for any finite
// logits.
type LossCrossEntropyForSoftmaxLogits struct{ name string }

func NewLossCrossEntropyForSoftmaxLogits(name string) *LossCrossEntropyForSoftmaxLogits {
	return &LossCrossEntropyForSoftmaxLogits{name: name}
}

func (l *LossCrossEntropyForSoftmaxLogits) Name() string { return l.name }
func (l *LossCrossEntropyForSoftmaxLogits) String() string {
	return l.name + ": softmax + cross-entropy on logits"
}

// Forward: X (n, k) are logits, T (n, k) one-hot targets; returns the
// cross-entropy of the softmax of each row, ℓ per sample, (n, 1), finite for
// any finite logits.
func (l *LossCrossEntropyForSoftmaxLogits) Forward(dst, X, T *Matrix) *Matrix {
	checkLossShapes(l.name, "Forward", X, T)
	// BEGIN SOLUTION (Assignment 3)
	// HINT: row by row, the forward message you derived in Assignment 2.
	// ℓ = Σ_k t_k (lse(s) − s_k), lse(s) = log Σ_c exp(s_c), computed
	// stably: with m = max s, lse(s) − s_k = (m − s_k) + log Σ_c exp(s_c − m).
	// Every exponent is ≤ 0 (no overflow) and the sum is ≥ 1 (its largest
	// term is exp(0) = 1), so the log is finite and ≥ 0. Writing it as
	// (m − s_k) + … rather than lse − s_k also avoids subtracting two huge,
	// nearly equal numbers. It never computes log p.
	dst = Resize(dst, X.Rows, 1)
	for i := 0; i < X.Rows; i++ {
		s, t := X.Row(i), T.Row(i)
		m := math.Inf(-1)
		for _, v := range s {
			m = max(m, v)
		}
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
	return dst
	// END SOLUTION
}

// Delta: returns ∂ℓ/∂s per sample, (n, k), finite for any finite logits
// and not divided by n.
func (l *LossCrossEntropyForSoftmaxLogits) Delta(dst, X, T *Matrix) *Matrix {
	checkLossShapes(l.name, "Delta", X, T)
	// BEGIN SOLUTION (Assignment 3)
	// HINT: row by row, the backward message you derived in Assignment 2.
	// ∂ℓ/∂s_k = (Σ_c t_c)·p_k − t_k, with p the stable softmax of the
	// logits (Σt is 1 for the lab's one-hot targets). Each entry lies in
	// [−1, 1]: the fused delta cannot blow up the way −t/p can.
	dst = Resize(dst, X.Rows, X.Cols)
	for i := 0; i < X.Rows; i++ {
		s, t, d := X.Row(i), T.Row(i), dst.Row(i)
		m := math.Inf(-1)
		for _, v := range s {
			m = max(m, v)
		}
		sum, st := 0.0, 0.0
		for k, v := range s {
			d[k] = math.Exp(v - m)
			sum += d[k]
			st += t[k]
		}
		for k, tk := range t {
			d[k] = st*(d[k]/sum) - tk
		}
	}
	return dst
	// END SOLUTION
}

// checkLossShapes panics unless the outputs X and the targets T have the
// same shape: a programming error, named with both shapes.
func checkLossShapes(name, what string, X, T *Matrix) {
	if X.Rows != T.Rows || X.Cols != T.Cols {
		panicShape(name+" "+what, "the same shape", operand("X", X), operand("T", T))
	}
}
