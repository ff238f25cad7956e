package main

// The layers of the lab. Each one answers three messages:
//
//	Forward(X)            z^{l+1} = f(z^l)                       the forward message
//	Delta(Y, δ^{l+1})     δ^l = Σ_j δ_j^{l+1} ∂z_j^{l+1}/∂z^l   eq. (1), per sample
//	Grad(X, δ^{l+1})      ∂L/∂w = Σ_j δ_j^{l+1} ∂z_j^{l+1}/∂w   eq. (2), batch mean
//
// Conventions, as in the lab's template: a batch has one sample per row;
// Delta gets this layer's OUTPUT Y, never its input; deltas are per sample
// and Grad averages over the batch, so SGD follows the gradient of the mean
// loss. No message modifies its arguments.
//
// Every message writes its result into dst and returns it, as the products
// of tensor.go do: dst belongs to the caller, who may pass a matrix of any
// size (it is resized, reusing its storage when that is large enough) or
// nil (a new matrix is made). So layer.Forward(nil, X) is the lab's
// layer.forward(X), and the MLP passes its own buffers so that a training
// step allocates nothing. Resize(dst, rows, cols) gives a matrix to write.
//
// What the lab asks students to write is the end of each of the lab's
// methods; each method's comment says what it computes and with what
// shapes.

import (
	"fmt"
	"math"
)

// Layer is a module of the network.
type Layer interface {
	Name() string
	// Forward: X is (n, in); returns the output (n, out) in dst.
	Forward(dst, X *Matrix) *Matrix
	// Delta: Y is this layer's output (n, out), deltaNext = ∂L/∂Y (n, out);
	// returns ∂L/∂X (n, in) in dst.
	Delta(dst, Y, deltaNext *Matrix) *Matrix
}

// ParamLayer is a layer with parameters that SGD updates.
type ParamLayer interface {
	Layer
	Params() []*Matrix // [W, B]
	// Grad: X is this layer's input (n, in), deltaNext (n, out); returns
	// [dW, dB], the gradient averaged over the n samples, in dst (a slice
	// of two matrices, or nil).
	Grad(dst []*Matrix, X, deltaNext *Matrix) []*Matrix
	UpdateParams(dtheta []*Matrix) // adds dtheta to the parameters
}

// sizedLayer is a layer that fixes its input and output widths; the others
// (ReLU, softmax) keep the width they are given.
type sizedLayer interface {
	Dims() (in, out int)
}

// ---------------------------------------------------------------------------

// LinearLayer computes Z = X·W + b.
type LinearLayer struct {
	name string
	W    *Matrix // (nInputs, nUnits)
	B    *Matrix // (1, nUnits)
}

// NewLinearLayer draws W from N(0, 2/nInputs) (He initialisation, made for
// ReLU networks: it keeps the variance of the activations roughly constant
// from layer to layer) and sets every bias to 1 so that the ReLUs above
// start switched on, as the lab's template does. W is filled row by row,
// as numpy fills an (nInputs, nUnits) array: with a *RandomState seeded
// like the lab's, the weights are the lab's.
func NewLinearLayer(nInputs, nUnits int, rng NormalSource, name string) *LinearLayer {
	if nInputs < 1 || nUnits < 1 {
		panic(fmt.Sprintf("NewLinearLayer %q: sizes must be positive, got %d inputs, %d units", name, nInputs, nUnits))
	}
	l := &LinearLayer{name: name, W: NewMatrix(nInputs, nUnits), B: NewMatrix(1, nUnits)}
	std := math.Sqrt(2 / float64(nInputs))
	for i := range l.W.Data {
		l.W.Data[i] = std * rng.NormFloat64() // numpy: loc + scale·gauss, loc = 0
	}
	l.B.Fill(1)
	return l
}

func (l *LinearLayer) Name() string      { return l.name }
func (l *LinearLayer) Dims() (int, int)  { return l.W.Rows, l.W.Cols }
func (l *LinearLayer) Params() []*Matrix { return []*Matrix{l.W, l.B} }
func (l *LinearLayer) String() string {
	return fmt.Sprintf("%s: Linear %d→%d", l.name, l.W.Rows, l.W.Cols)
}

// Forward: X is (n, in); returns Z = X·W + b, (n, out), the bias added to
// every row.
func (l *LinearLayer) Forward(dst, X *Matrix) *Matrix {
	// BEGIN SOLUTION (Assignment 1)
	// HINT: one product with the bias added to every row: MatMulBias.
	return MatMulBias(dst, X, l.W, l.B)
	// END SOLUTION
}

// Delta: deltaNext = ∂L/∂Z is (n, out); returns ∂L/∂X, (n, in), per
// sample. Y is not needed.
func (l *LinearLayer) Delta(dst, Y, deltaNext *Matrix) *Matrix {
	// BEGIN SOLUTION (Assignment 1)
	// HINT: a product with the transpose of W: MatMulBT.
	// δ = deltaNext·Wᵀ, since ∂z_j/∂x_i = W_ij.
	return MatMulBT(dst, deltaNext, l.W)
	// END SOLUTION
}

// Grad: X is (n, in), deltaNext = ∂L/∂Z (n, out); returns [dW, db], the
// gradient of the mean loss over the batch with respect to W, (in, out),
// and b, (1, out).
func (l *LinearLayer) Grad(dst []*Matrix, X, deltaNext *Matrix) []*Matrix {
	if len(dst) != 2 {
		dst = make([]*Matrix, 2)
	}
	// BEGIN SOLUTION (Assignment 1)
	// HINT: the products MatMulAT and ColSums sum over the batch; Div makes the sums means.
	// ∂z_j/∂W_ij = x_i and ∂z_j/∂b_j = 1, so dW = Xᵀ·δ / n and db = the
	// column means of δ.
	n := float64(X.Rows)
	dst[0] = MatMulAT(dst[0], X, deltaNext)
	dst[0].Div(n) // numpy divides by n; multiplying by 1/n rounds otherwise now and then
	dst[1] = ColSums(dst[1], deltaNext)
	dst[1].Div(n)
	return dst
	// END SOLUTION
}

// UpdateParams adds [dW, dB] to [W, B].
func (l *LinearLayer) UpdateParams(dtheta []*Matrix) {
	if len(dtheta) != 2 || dtheta[0].Rows != l.W.Rows || dtheta[0].Cols != l.W.Cols || dtheta[1].Rows != 1 || dtheta[1].Cols != l.B.Cols {
		got := []string{fmt.Sprintf("dtheta has %d matrices", len(dtheta))}
		if len(dtheta) == 2 {
			got = []string{operand("dW", dtheta[0]), operand("dB", dtheta[1])}
		}
		panicShape(l.name+" UpdateParams", "[dW, dB] of shapes ["+l.W.Shape()+", "+l.B.Shape()+"]", got...)
	}
	l.W.Add(dtheta[0])
	l.B.Add(dtheta[1])
}

// ---------------------------------------------------------------------------

// ReLULayer computes max(0, x) elementwise.
type ReLULayer struct{ name string }

func NewReLULayer(name string) *ReLULayer { return &ReLULayer{name: name} }

func (l *ReLULayer) Name() string   { return l.name }
func (l *ReLULayer) String() string { return l.name + ": ReLU" }

// Forward: X is (n, k); returns max(0, X), (n, k). A NaN input stays NaN
// (as numpy's maximum keeps it) instead of quietly becoming 0, so that a
// diverging network is noticed.
func (l *ReLULayer) Forward(dst, X *Matrix) *Matrix {
	// BEGIN SOLUTION (Assignment 1)
	// HINT: Resize(dst, X.Rows, X.Cols) gives the matrix to write; a NaN input must stay NaN.
	dst = Resize(dst, X.Rows, X.Cols)
	y := dst.Data[:len(X.Data)]
	for i, x := range X.Data {
		y[i] = max(x, 0)
	}
	return dst
	// END SOLUTION
}

// Delta: Y = max(0, X) is (n, k), deltaNext = ∂L/∂Y (n, k); returns
// ∂L/∂X, (n, k). The derivative of max(0, x) at x = 0 is taken as 0.
func (l *ReLULayer) Delta(dst, Y, deltaNext *Matrix) *Matrix {
	// BEGIN SOLUTION (Assignment 1)
	// HINT: this layer gets its output Y, not its input: tell from Y where each unit was on.
	// ∂y/∂x is 1 where y > 0 and 0 elsewhere: δ passes through where the
	// unit was on. The test is Y > 0, not Y ≥ 0: a unit whose output is 0
	// was switched off (its input was ≤ 0).
	dst = Resize(dst, Y.Rows, Y.Cols)
	dn, d := deltaNext.Data[:len(Y.Data)], dst.Data[:len(Y.Data)]
	for i, y := range Y.Data {
		// Written as a choice between two values, which the compiler
		// turns into a conditional move: a jump on the sign of y is a coin
		// toss that the CPU mispredicts half the time (5× slower here).
		v := math.Float64bits(dn[i])
		if !(y > 0) {
			v = 0
		}
		d[i] = math.Float64frombits(v)
	}
	return dst
	// END SOLUTION
}

// ---------------------------------------------------------------------------

// SoftmaxLayer computes p_k = exp(s_k) / Σ_c exp(s_c) for every row.
type SoftmaxLayer struct{ name string }

func NewSoftmaxLayer(name string) *SoftmaxLayer { return &SoftmaxLayer{name: name} }

func (l *SoftmaxLayer) Name() string   { return l.name }
func (l *SoftmaxLayer) String() string { return l.name + ": Softmax" }

// Forward: X is (n, k) logits; returns the softmax of every row, (n, k).
// Assignment 1 asks for the softmax as defined; Assignment 3 for one that
// stays finite, a probability vector per row, for logits of any finite size,
// also in a batch whose rows lie far apart.
func (l *SoftmaxLayer) Forward(dst, X *Matrix) *Matrix {
	// BEGIN SOLUTION (Assignment 1)
	// HINT: row by row: X.Row(i) and dst.Row(i) are the i-th rows, math.Exp the exponential.
	//
	// Computed stably (Assignment 3). Softmax is invariant to adding a
	// constant c to every input of a row (the factor e^c cancels between
	// numerator and denominator: README, Assignment 2), so m = max_k s_k is
	// subtracted first. Then every exponent s_k − m is ≤ 0, so exp cannot
	// overflow (it overflows float64 above ≈ 709.78), and the largest term
	// is exp(0) = 1, so the denominator is ≥ 1: no division by 0 even when
	// every other term underflows to 0. Without the shift, logits of 1000
	// give Inf/Inf = NaN. The maximum is taken per row: a row whose logits
	// lie far below the batch's maximum would otherwise underflow to 0/0.
	// Infinite inputs are outside this: a +Inf logit makes s − m = Inf − Inf
	// = NaN, and a row of all −Inf is NaN as well. A NaN input gives a NaN
	// row.
	dst = Resize(dst, X.Rows, X.Cols)
	for i := 0; i < X.Rows; i++ {
		s, p := X.Row(i), dst.Row(i)
		m := math.Inf(-1)
		for _, v := range s {
			m = max(m, v)
		}
		sum := 0.0
		for k, v := range s {
			p[k] = math.Exp(v - m)
			sum += p[k]
		}
		for k := range p {
			p[k] /= sum // numpy's E / ΣE: a division, not a product with 1/ΣE
		}
	}
	return dst
	// END SOLUTION
}

// Delta: Y is the softmax output p (n, k), deltaNext = ∂L/∂p (n, k);
// returns ∂L/∂s, (n, k), per sample.
func (l *SoftmaxLayer) Delta(dst, Y, deltaNext *Matrix) *Matrix {
	// BEGIN SOLUTION (Assignment 1)
	// HINT: row by row, from the Jacobian of one row; the k×k matrix itself need not be formed.
	// The Jacobian of a row is ∂p_j/∂s_i = p_j(δ_ij − p_i), so
	// δ_i = Σ_j δ'_j p_j(δ_ij − p_i) = p_i(δ'_i − ⟨δ', p⟩): first the inner
	// product, then one pass.
	dst = Resize(dst, Y.Rows, Y.Cols)
	for i := 0; i < Y.Rows; i++ {
		p, dn, d := Y.Row(i), deltaNext.Row(i), dst.Row(i)
		inner := 0.0
		for k, pk := range p {
			inner += dn[k] * pk
		}
		for k, pk := range p {
			d[k] = pk * (dn[k] - inner)
		}
	}
	return dst
	// END SOLUTION
}
