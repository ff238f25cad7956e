package main

// The gradient check (go run . -exp gradcheck): backpropagation against
// central finite differences, for a small random network of each loss
// pipeline. It is the lab's hint made into a command: after changing a
// layer, run it and see which gradient went wrong.
//
// How a gradient is checked. The loss L(θ) is the mean loss over a batch,
// the quantity whose gradient MLP.Gradient returns. For every parameter θ_i
//
//	fd_i = (L(θ + h·e_i) − L(θ − h·e_i)) / 2h
//
// differs from ∂L/∂θ_i by about h²·L'''/6 (the even terms of the Taylor
// series cancel) plus the rounding error of L, a few ulps of L divided by
// 2h. With h = 1e-5 both are around 1e-10 for the lab's losses, far below
// the error of any real bug.
//
// Where ReLU is involved the loss has kinks; a perturbation that crosses
// one makes fd meaningless. With random inputs a pre-activation lies
// within h of 0 with probability ~1e-5, so in practice this does not occur.

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

const (
	// gradCheckH is the finite-difference step.
	gradCheckH = 1e-5
	// gradCheckFloor is the smallest denominator of the relative error.
	// Entries of the gradient smaller than this are compared absolutely:
	// finite differences resolve them only to ~1e-10, which would be a
	// large relative error of a gradient entry of 1e-6 that is right.
	gradCheckFloor = 1e-3
	// defaultGradTol is the largest relative error that passes.
	defaultGradTol = 1e-6
)

// meanLoss is the mean over the batch of the network's per-sample loss:
// the function whose gradient MLP.Gradient computes.
func meanLoss(net *MLP, X, T *Matrix) float64 {
	l := net.Evaluate(X, T)
	s := 0.0
	for _, v := range l.Data {
		s += v
	}
	return s / float64(l.Rows)
}

// finiteDiff returns the central finite-difference estimate
// (f(p + h e_k) − f(p − h e_k)) / 2h of ∂f/∂p_k for every element k of p,
// which it perturbs in place; f receives k (a loss test uses it to pick the
// sample whose loss moves) and must read p. Each element is restored to its
// exact original value before the next one is perturbed, so every estimate
// starts from the same parameters. The division is by the step actually
// taken: p_k ± h is rounded to a float64.
func finiteDiff(p *Matrix, h float64, f func(k int) float64) *Matrix {
	g := NewMatrix(p.Rows, p.Cols)
	for k, v := range p.Data {
		hi, lo := v+h, v-h
		p.Data[k] = hi
		fPlus := f(k)
		p.Data[k] = lo
		fMinus := f(k)
		p.Data[k] = v
		g.Data[k] = (fPlus - fMinus) / (hi - lo)
	}
	return g
}

// relErr is |a − b| / max(|a|, |b|, floor): relative for large values and
// absolute below floor, where a relative error means nothing. Equal values
// agree (0); otherwise a NaN or an infinity on either side gives +Inf, which
// no tolerance passes.
func relErr(a, b, floor float64) float64 {
	if a == b {
		return 0
	}
	if !finite(a) || !finite(b) {
		return math.Inf(1)
	}
	return math.Abs(a-b) / math.Max(floor, math.Max(math.Abs(a), math.Abs(b)))
}

// paramCheck is the result for one parameter matrix of one layer.
type paramCheck struct {
	Layer, Param string
	Shape        string  // of the parameter
	MaxRelErr    float64 // over the elements; +Inf when the gradient is NaN or infinite
	Row, Col     int     // where it is largest (the first such element)
	Grad, FD     float64 // the two values there
	Problem      string  // set when the gradient is missing or misshapen
}

// checkGradients compares net.Gradient(nil, X, T) with finite differences of the
// mean loss for every parameter of every layer that has parameters.
func checkGradients(net *MLP, X, T *Matrix) []paramCheck {
	grads := net.Gradient(nil, X, T)
	loss := func(int) float64 { return meanLoss(net, X, T) }
	var out []paramCheck
	for _, l := range net.paramLayers() {
		for p, param := range l.Params() {
			// The table spells a shape 5x7, as its recorded output does
			// (messages spell it 5×7: Matrix.Shape).
			c := paramCheck{Layer: l.Name(), Param: paramName(p)[1:], Shape: fmt.Sprintf("%dx%d", param.Rows, param.Cols)}
			g := grads[l.Name()]
			switch {
			case p >= len(g):
				c.Problem = fmt.Sprintf("Gradient returned %d matrices for this layer", len(g))
			case g[p].Rows != param.Rows || g[p].Cols != param.Cols:
				c.Problem = fmt.Sprintf("Gradient has shape %s", g[p].Shape())
			}
			fd := finiteDiff(param, gradCheckH, loss)
			if c.Problem == "" {
				for i, a := range g[p].Data {
					e := relErr(a, fd.Data[i], gradCheckFloor)
					if e > c.MaxRelErr || i == 0 {
						c.MaxRelErr, c.Row, c.Col, c.Grad, c.FD = e, i/param.Cols, i%param.Cols, a, fd.Data[i]
					}
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// gradCase is one network and batch for the gradient check.
type gradCase struct {
	Title string
	Net   *MLP
	X, T  *Matrix
}

// gradCheckCases are the lab's two loss pipelines on a small 5-7-6-4 ReLU
// network, each with a random batch of 8 samples.
func gradCheckCases(seed uint32) []gradCase {
	rng := newRNG(seed)
	hidden := func() []Layer {
		return []Layer{
			NewLinearLayer(5, 7, rng, "Linear_1"), NewReLULayer("ReLU_1"),
			NewLinearLayer(7, 6, rng, "Linear_2"), NewReLULayer("ReLU_2"),
			NewLinearLayer(6, 4, rng, "Linear_OUT"),
		}
	}
	plain := NewMLP(5, append(hidden(), NewSoftmaxLayer("Softmax_OUT")), NewLossCrossEntropy("CE"), nil)
	fused := NewMLP(5, hidden(), NewLossCrossEntropyForSoftmaxLogits("CE_logits"), []Layer{NewSoftmaxLayer("Softmax_OUT")})
	X1, T1 := randomBatch(rng, 8, 5, 4)
	X2, T2 := randomBatch(rng, 8, 5, 4)
	return []gradCase{
		{"Softmax layer + LossCrossEntropy (Assignment 1)", plain, X1, T1},
		{"LossCrossEntropyForSoftmaxLogits, Softmax as output layer (Assignment 3)", fused, X2, T2},
	}
}

// randomBatch returns n inputs drawn from N(0, 1) and random one-hot targets.
func randomBatch(rng *RandomState, n, in, classes int) (X, T *Matrix) {
	X, T = NewMatrix(n, in), NewMatrix(n, classes)
	for i := range X.Data {
		X.Data[i] = rng.NormFloat64()
	}
	for i := 0; i < n; i++ {
		T.Set(i, rng.IntN(classes), 1)
	}
	return X, T
}

// runGradCheck checks every case, prints a table per case and returns an
// error when any gradient is off by more than tol.
func runGradCheck(w io.Writer, cases []gradCase, tol float64) error {
	fmt.Fprintf(w, "Gradient check: MLP.Gradient (backpropagation) against central finite\n")
	fmt.Fprintf(w, "differences of the mean loss, step h = %g.\n", gradCheckH)
	fmt.Fprintf(w, "rel. error = |grad − fd| / max(|grad|, |fd|, %g); tolerance %g\n", gradCheckFloor, tol)
	failed, total := 0, 0
	for _, c := range cases {
		fmt.Fprintf(w, "\n%s, %d samples\n%v", c.Title, c.X.Rows, c.Net)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  layer\tparam\tshape\tmax rel. error\tat (row, col)\tgrad there\tfd there\t")
		for _, r := range checkGradients(c.Net, c.X, c.T) {
			total++
			verdict := "ok"
			if r.Problem != "" || !(r.MaxRelErr <= tol) { // a NaN would fail too
				verdict = "FAIL"
				failed++
			}
			if r.Problem != "" {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t\t\t\t%s\n", r.Layer, r.Param, r.Shape, r.Problem, verdict)
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%.1e\t(%d, %d)\t% .6e\t% .6e\t%s\n",
				r.Layer, r.Param, r.Shape, r.MaxRelErr, r.Row, r.Col, r.Grad, r.FD, verdict)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	if failed > 0 {
		return fmt.Errorf("gradient check failed: %d of %d gradients differ from finite differences by more than %g (marked FAIL above)", failed, total, tol)
	}
	fmt.Fprintf(w, "all %d gradients agree with finite differences within %g\n", total, tol)
	return nil
}

// runGradCheckExp is the experiment's entry in main.go's table: it trains
// nothing and writes no file, so it takes of the pipeline only its run.
func runGradCheckExp(r *runState) error {
	return runGradCheck(r.stdout, gradCheckCases(r.seed), r.tol)
}
