package main

// The layers of the lab. Each one answers three messages (LAB.md, §1):
//
//	Forward(X)            z^{l+1} = f(z^l)                       the forward message
//	Delta(Y, δ^{l+1})     δ^l = Σ_j δ_j^{l+1} ∂z_j^{l+1}/∂z^l   eq. (1), per sample
//	Grad(X, δ^{l+1})      ∂L/∂w = Σ_j δ_j^{l+1} ∂z_j^{l+1}/∂w   eq. (2), batch mean
//
// Conventions (TEMPLATE.md): a batch has one sample per row; Delta gets this
// layer's OUTPUT Y (the lab's template does the same), never its input;
// deltas are per sample and Grad averages over the batch, so SGD follows the
// gradient of the mean loss. No message modifies its arguments.
//
// Every message also has an ...Into form that writes into a buffer the
// caller owns (allocating only when that buffer is nil or too small); the
// MLP uses those so that a training step allocates nothing.

import (
	"fmt"
	"math"
)

// Layer is a module of the network.
type Layer interface {
	Name() string
	Forward(X *Matrix) *Matrix          // X (n, in) → (n, out)
	Delta(Y, deltaNext *Matrix) *Matrix // Y: this layer's output (n, out); deltaNext (n, out) → (n, in)
}

// ParamLayer is a layer with parameters that SGD updates.
type ParamLayer interface {
	Layer
	Params() []*Matrix                   // [W, B]
	Grad(X, deltaNext *Matrix) []*Matrix // [dW, dB], averaged over the n samples
	UpdateParams(dtheta []*Matrix)       // adds dtheta to the parameters
}

// intoLayer is the buffer-reusing form of Layer that all layers here have.
type intoLayer interface {
	ForwardInto(dst, X *Matrix) *Matrix
	DeltaInto(dst, Y, deltaNext *Matrix) *Matrix
}

// intoParamLayer is the buffer-reusing form of ParamLayer.Grad.
type intoParamLayer interface {
	GradInto(dst []*Matrix, X, deltaNext *Matrix) []*Matrix
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

func (l *LinearLayer) checkInput(what string, X *Matrix) {
	if X.Cols != l.W.Rows {
		panic(fmt.Sprintf("%s %s: input is %s, want n×%d", l.name, what, X.Shape(), l.W.Rows))
	}
}

func (l *LinearLayer) Forward(X *Matrix) *Matrix { return l.ForwardInto(nil, X) }

// ForwardInto: Z = X·W + b, the bias added inside the product.
func (l *LinearLayer) ForwardInto(dst, X *Matrix) *Matrix {
	l.checkInput("Forward", X)
	dst = resize(dst, X.Rows, l.W.Cols)
	MatMulBias(dst, X, l.W, l.B)
	return dst
}

func (l *LinearLayer) Delta(Y, deltaNext *Matrix) *Matrix { return l.DeltaInto(nil, Y, deltaNext) }

// DeltaInto: ∂z_j/∂x_i = W_ij, so δ_in = δ_out·Wᵀ. Y is not needed.
func (l *LinearLayer) DeltaInto(dst, _, deltaNext *Matrix) *Matrix {
	if deltaNext.Cols != l.W.Cols {
		panic(fmt.Sprintf("%s Delta: deltaNext is %s, want n×%d", l.name, deltaNext.Shape(), l.W.Cols))
	}
	dst = resize(dst, deltaNext.Rows, l.W.Rows)
	MatMulBT(dst, deltaNext, l.W)
	return dst
}

func (l *LinearLayer) Grad(X, deltaNext *Matrix) []*Matrix { return l.GradInto(nil, X, deltaNext) }

// GradInto: ∂z_j/∂W_ij = x_i and ∂z_j/∂b_j = 1, so for the batch mean
// dW = Xᵀ·δ / n and db = the column means of δ.
func (l *LinearLayer) GradInto(dst []*Matrix, X, deltaNext *Matrix) []*Matrix {
	l.checkInput("Grad", X)
	if deltaNext.Cols != l.W.Cols || deltaNext.Rows != X.Rows {
		panic(fmt.Sprintf("%s Grad: X is %s, deltaNext is %s, want n×%d and n×%d", l.name, X.Shape(), deltaNext.Shape(), l.W.Rows, l.W.Cols))
	}
	if len(dst) != 2 {
		dst = make([]*Matrix, 2)
	}
	dW := resize(dst[0], l.W.Rows, l.W.Cols)
	dB := resize(dst[1], 1, l.W.Cols)
	dst[0], dst[1] = dW, dB
	n := X.Rows
	if n == 0 {
		dW.Fill(0)
		dB.Fill(0)
		return dst
	}
	MatMulAT(dW, X, deltaNext)
	dB.Fill(0)
	for i := 0; i < n; i++ {
		axpy(dB.Data, 1, deltaNext.Row(i))
	}
	// Divided by n, as numpy's X.T @ δ / n and mean do: multiplying by
	// 1/n would round differently in the last bit now and then.
	for _, m := range [...]*Matrix{dW, dB} {
		for i := range m.Data {
			m.Data[i] /= float64(n)
		}
	}
	return dst
}

// UpdateParams adds [dW, dB] to [W, B].
func (l *LinearLayer) UpdateParams(dtheta []*Matrix) {
	if len(dtheta) != 2 || dtheta[0].Rows != l.W.Rows || dtheta[0].Cols != l.W.Cols || dtheta[1].Rows != 1 || dtheta[1].Cols != l.B.Cols {
		panic(fmt.Sprintf("%s UpdateParams: want [%s, %s]", l.name, l.W.Shape(), l.B.Shape()))
	}
	axpy(l.W.Data, 1, dtheta[0].Data)
	axpy(l.B.Data, 1, dtheta[1].Data)
}

// ---------------------------------------------------------------------------

// ReLULayer computes max(0, x) elementwise.
type ReLULayer struct{ name string }

func NewReLULayer(name string) *ReLULayer { return &ReLULayer{name: name} }

func (l *ReLULayer) Name() string   { return l.name }
func (l *ReLULayer) String() string { return l.name + ": ReLU" }

func (l *ReLULayer) Forward(X *Matrix) *Matrix { return l.ForwardInto(nil, X) }

// ForwardInto writes max(0, x). A NaN input stays NaN (as numpy's maximum
// does) instead of quietly becoming 0, so a diverging network is noticed.
func (l *ReLULayer) ForwardInto(dst, X *Matrix) *Matrix {
	dst = resize(dst, X.Rows, X.Cols)
	parallelRows(kernels.relu, dst, X, nil, X.Rows, X.Cols)
	return dst
}

// reluRows writes rows [i0, i1) of max(0, X) into dst. It is the portable
// kernel; the SIMD build swaps in a 4-wide one with the same results
// (kernels.relu, see tensor_simd.go).
func reluRows(dst, X, _, _ *Matrix, i0, i1 int) {
	x := X.Data[i0*X.Cols : i1*X.Cols]
	y := dst.Data[i0*X.Cols : i1*X.Cols][:len(x)]
	for i, v := range x {
		y[i] = relu(v)
	}
}

// relu is max(v, 0). Go's max keeps NaN and turns −0 into 0, and compiles
// without a branch: a branch on the sign of a pre-activation is a coin toss
// that the CPU mispredicts half the time (reluRows ran 4× slower with one).
func relu(v float64) float64 { return max(v, 0) }

func (l *ReLULayer) Delta(Y, deltaNext *Matrix) *Matrix { return l.DeltaInto(nil, Y, deltaNext) }

// DeltaInto passes δ where the unit was on. The test is Y > 0, not Y ≥ 0:
// a unit whose output is 0 was switched off (its input was ≤ 0), and the
// derivative of max(0, x) is taken as 0 there.
func (l *ReLULayer) DeltaInto(dst, Y, deltaNext *Matrix) *Matrix {
	if Y.Rows != deltaNext.Rows || Y.Cols != deltaNext.Cols {
		panic(fmt.Sprintf("%s Delta: Y is %s, deltaNext is %s, want the same shape", l.name, Y.Shape(), deltaNext.Shape()))
	}
	dst = resize(dst, Y.Rows, Y.Cols)
	parallelRows(kernels.reluDelta, dst, Y, deltaNext, Y.Rows, Y.Cols)
	return dst
}

// reluDeltaRows writes rows [i0, i1) of deltaNext masked by Y > 0 into dst
// (the portable kernel; kernels.reluDelta).
func reluDeltaRows(dst, Y, deltaNext, _ *Matrix, i0, i1 int) {
	y := Y.Data[i0*Y.Cols : i1*Y.Cols]
	d := dst.Data[i0*Y.Cols : i1*Y.Cols][:len(y)]
	dn := deltaNext.Data[i0*Y.Cols : i1*Y.Cols][:len(y)]
	for i, v := range y {
		d[i] = reluDelta(v, dn[i])
	}
}

// reluDelta is δ where the unit was on (y > 0), else +0, selected with a
// bit mask (the compiler turns the if into a conditional move) rather than
// a branch the CPU would mispredict half the time.
func reluDelta(y, delta float64) float64 {
	var on uint64
	if y > 0 {
		on = ^uint64(0)
	}
	return math.Float64frombits(math.Float64bits(delta) & on)
}

// ---------------------------------------------------------------------------

// SoftmaxLayer computes p_k = exp(s_k) / Σ_c exp(s_c) for every row.
type SoftmaxLayer struct{ name string }

// NewSoftmaxLayer returns a numerically stable softmax (row max subtracted).
func NewSoftmaxLayer(name string) *SoftmaxLayer { return &SoftmaxLayer{name: name} }

func (l *SoftmaxLayer) Name() string   { return l.name }
func (l *SoftmaxLayer) String() string { return l.name + ": Softmax" }

func (l *SoftmaxLayer) Forward(X *Matrix) *Matrix { return l.ForwardInto(nil, X) }

// ForwardInto applies softmaxRow to every row.
func (l *SoftmaxLayer) ForwardInto(dst, X *Matrix) *Matrix {
	dst = resize(dst, X.Rows, X.Cols)
	parallelRows(softmaxRows, dst, X, nil, X.Rows, expCost*X.Cols)
	return dst
}

func softmaxRows(dst, X, _, _ *Matrix, i0, i1 int) {
	for i := i0; i < i1; i++ {
		softmaxRow(dst.Row(i), X.Row(i))
	}
}

// softmaxRow writes softmax(s) into p.
//
// Softmax is invariant to adding a constant c to every input (the factor e^c
// cancels between numerator and denominator: README, Assignment 2), so we
// subtract m = max_k s_k first. Then every exponent s_k − m is ≤ 0, so
// exp cannot overflow (exp overflows float64 above ≈ 709.78), and the
// largest term is exp(0) = 1, so the denominator is ≥ 1: no division by 0
// even when every other term underflows to 0. Without the shift, logits of
// 1000 give Inf/Inf = NaN.
//
// Infinite inputs are outside this: a +Inf logit makes s − m = Inf − Inf =
// NaN, and a row of all −Inf is NaN as well. A NaN input gives a NaN row.
func softmaxRow(p, s []float64) {
	if len(s) == 0 {
		return
	}
	p = p[:len(s)]
	m := rowMax(s)
	sum := 0.0
	for k, v := range s {
		e := math.Exp(v - m)
		p[k] = e
		sum += e
	}
	for k := range p {
		p[k] /= sum // numpy's E / ΣE: a division, not a product with 1/ΣE
	}
}

func (l *SoftmaxLayer) Delta(Y, deltaNext *Matrix) *Matrix { return l.DeltaInto(nil, Y, deltaNext) }

// DeltaInto: the Jacobian is ∂p_j/∂s_i = p_j(δ_ij − p_i), so
// δ_i = Σ_j δ'_j p_j(δ_ij − p_i) = p_i(δ'_i − ⟨δ', p⟩), computed row by row
// without forming the K×K Jacobian.
func (l *SoftmaxLayer) DeltaInto(dst, Y, deltaNext *Matrix) *Matrix {
	if Y.Rows != deltaNext.Rows || Y.Cols != deltaNext.Cols {
		panic(fmt.Sprintf("%s Delta: Y is %s, deltaNext is %s, want the same shape", l.name, Y.Shape(), deltaNext.Shape()))
	}
	dst = resize(dst, Y.Rows, Y.Cols)
	for i := 0; i < Y.Rows; i++ {
		p, dn, d := Y.Row(i), deltaNext.Row(i), dst.Row(i)
		inner := dot(dn, p)
		for k, pk := range p {
			d[k] = pk * (dn[k] - inner)
		}
	}
	return dst
}
