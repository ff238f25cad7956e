package main

// Locating a breakdown: when training meets a value that is not finite
// (a DivergenceError), the batch is run again one message at a time, each
// result kept, and the first NaN or infinity is named with its cause and
// the way it spread (the MNIST run prints this; the naive pipeline of
// Assignment 1 is where it happens).

import (
	"fmt"
	"math"
	"strings"
)

// backpropStep is one training step as the network's Gradient computes it,
// every message's result kept: Z[0] = X and Z[l+1] the output of
// Layers[l]; Delta[L] the loss's delta and Delta[l] the delta Layers[l]
// returned (nil where Gradient asked for none: below the lowest layer with
// parameters, where it is never used); Grads[l] the gradient of a layer
// with parameters. Loss is the per-sample loss, which a step does not need
// but a diagnosis does.
type backpropStep struct {
	Z     []*Matrix   // L+1 of them
	Loss  *Matrix     // (n, 1)
	Delta []*Matrix   // L+1 of them
	Grads [][]*Matrix // L of them, nil for a layer without parameters
}

// runStep computes a training step of net on the batch (X, T) with net's
// own Gradient (the lab's, or a student's), run on a copy of the network
// whose layers and loss are taps: each passes a message on to the real
// layer, with a result made anew (nil dst), and records the result in the
// step. So the diagnosis follows whatever Gradient does, in its order, and
// holds no second copy of backpropagation; net's workspace is left alone.
func runStep(net *MLP, X, T *Matrix) *backpropStep {
	L := len(net.Layers)
	s := &backpropStep{Z: make([]*Matrix, L+1), Delta: make([]*Matrix, L+1), Grads: make([][]*Matrix, L)}
	s.Z[0] = X
	layers := make([]Layer, L)
	for l, layer := range net.Layers {
		t := tap{l: l, s: s}
		if pl, ok := layer.(ParamLayer); ok {
			layers[l] = paramTap{pl, t}
		} else {
			layers[l] = layerTap{layer, t}
		}
	}
	net.shadow(layers, lossTap{net.Loss, s}).Gradient(nil, X, T)
	s.Loss = net.Loss.Forward(nil, s.Z[L], T)
	return s
}

// tap records the results of the messages that layer l of a step answers.
type tap struct {
	l int
	s *backpropStep
}

func (t tap) forward(Y *Matrix) *Matrix { t.s.Z[t.l+1] = Y; return Y }
func (t tap) delta(D *Matrix) *Matrix   { t.s.Delta[t.l] = D; return D }

// layerTap and paramTap are the taps of a layer without and with
// parameters (a Gradient tells them apart as it tells the layers apart).
type layerTap struct {
	Layer
	t tap
}

func (r layerTap) Forward(_, X *Matrix) *Matrix { return r.t.forward(r.Layer.Forward(nil, X)) }
func (r layerTap) Delta(_, Y, deltaNext *Matrix) *Matrix {
	return r.t.delta(r.Layer.Delta(nil, Y, deltaNext))
}

type paramTap struct {
	ParamLayer
	t tap
}

func (r paramTap) Forward(_, X *Matrix) *Matrix { return r.t.forward(r.ParamLayer.Forward(nil, X)) }
func (r paramTap) Delta(_, Y, deltaNext *Matrix) *Matrix {
	return r.t.delta(r.ParamLayer.Delta(nil, Y, deltaNext))
}
func (r paramTap) Grad(_ []*Matrix, X, deltaNext *Matrix) []*Matrix {
	g := r.ParamLayer.Grad(nil, X, deltaNext)
	r.t.s.Grads[r.t.l] = g
	return g
}

// lossTap records the loss's delta, Delta[L].
type lossTap struct {
	Loss
	s *backpropStep
}

func (r lossTap) Delta(_, Y, T *Matrix) *Matrix {
	D := r.Loss.Delta(nil, Y, T)
	r.s.Delta[len(r.s.Delta)-1] = D
	return D
}

// diagnoseDivergence finds the first non-finite value behind de. Train stops
// before applying a step whose gradient is not finite, so net is exactly
// as it was when the batch went in: the batch is run again as that step,
// every message's result kept (runStep), and the first non-finite value is
// described with its cause.
func diagnoseDivergence(net *MLP, X RowSource, T *Matrix, batch int, de *DivergenceError) string {
	where := fmt.Sprintf("epoch %d, batch %d", de.Epoch, de.Batch)
	i0, i1 := 0, X.Len()
	if !de.InEvaluation {
		i0, i1 = de.Batch*batch, min((de.Batch+1)*batch, X.Len())
	} else {
		where = fmt.Sprintf("the evaluation after epoch %d (every step of the epoch had a finite gradient and was applied)", de.Epoch)
	}
	if de.Applied && !de.InEvaluation {
		return fmt.Sprintf("located at %s: the gradient was finite, but the step (−eta times it) made a parameter overflow, and it was applied: %s; the network holds that value now", where, de.What)
	}
	if de.Rows != nil { // a shuffled batch: its rows, gathered again
		image := func(r int) int { return de.Rows[r] }
		if steps := traceNonFinite(net, takeRows(X, de.Rows...), gatherRows(nil, T, de.Rows), image); len(steps) > 0 {
			steps[len(steps)-1] += stoppedBefore(steps)
			return fmt.Sprintf("located at %s (%d shuffled training images, the first of them image %d):\n  %s", where, len(de.Rows), de.Rows[0], strings.Join(steps, "\n  then "))
		}
	} else {
		// A batch in order, or the evaluation, which covers the whole
		// training set: trace it a batch at a time, up to the first batch
		// with a non-finite value.
		for j0 := i0; j0 < i1; j0 += batch {
			j1 := min(j0+batch, i1)
			image := func(r int) int { return j0 + r }
			if steps := traceNonFinite(net, takeRange(X, j0, j1), T.SliceRows(j0, j1), image); len(steps) > 0 {
				if !de.InEvaluation {
					steps[len(steps)-1] += stoppedBefore(steps)
				}
				return fmt.Sprintf("located at %s (training images %d–%d):\n  %s", where, j0, j1-1, strings.Join(steps, "\n  then "))
			}
		}
	}
	return fmt.Sprintf("located at %s: every value is finite when it is run again, so the step itself overflowed: %s", where, de.What)
}

// stoppedBefore is what to add to a trace of a training step whose last
// step is a gradient: Train stops before applying a non-finite gradient.
func stoppedBefore(steps []string) string {
	if strings.HasPrefix(steps[len(steps)-1], "gradient ") {
		return ": training stopped before applying it"
	}
	return ""
}

// traceNonFinite runs (X, T) through net as one training step (runStep)
// and returns the chain of non-finite values: the first one with its
// cause, then how it spread, up to the first gradient it reached. image(r)
// is the number of row r in the training set.
func traceNonFinite(net *MLP, X, T *Matrix, image func(r int) int) []string {
	s := runStep(net, X, T)
	L := len(net.Layers)
	var steps []string
	for l, layer := range net.Layers {
		if r, k, ok := firstNonFinite(s.Z[l+1]); ok {
			steps = append(steps, fmt.Sprintf("forward of %s: image %d, unit %d is %s (%s)", layer.Name(), image(r), k,
				formatFloat(s.Z[l+1].At(r, k)), forwardCause(layer, s.Z[l], r)))
			break
		}
	}
	var logits *Matrix // the input of a Softmax layer feeding the loss, if any
	if L >= 2 {
		if _, ok := net.Layers[L-1].(*SoftmaxLayer); ok {
			logits = s.Z[L-1]
		}
	}
	if r, _, ok := firstNonFinite(s.Loss); ok && len(steps) == 0 {
		steps = append(steps, lossCause(net.Loss, s.Z[L], T, logits, r, image, s.Loss.Data[r]))
	}
	if r, k, ok := firstNonFinite(s.Delta[L]); ok && allFiniteRow(s.Z[L], r) {
		steps = append(steps, lossDeltaCause(net.Loss, s.Delta[L], s.Z[L], r, k, image))
	}
	for l := L - 1; l >= 0; l-- {
		layer := net.Layers[l]
		for i, g := range s.Grads[l] {
			if !g.AllFinite() {
				return append(steps, fmt.Sprintf("gradient %s of %s is not finite", paramName(i), layer.Name()))
			}
		}
		if s.Delta[l] == nil { // below the lowest layer with parameters: training does not compute it
			continue
		}
		if r, k, ok := firstNonFinite(s.Delta[l]); ok {
			_, soft := layer.(*SoftmaxLayer)
			switch {
			case allFiniteRow(s.Delta[l+1], r):
				steps = append(steps, fmt.Sprintf("delta of %s: image %d, unit %d is %s from finite values (overflow in the product)", layer.Name(), image(r), k, formatFloat(s.Delta[l].At(r, k))))
			case soft:
				steps = append(steps, softmaxDeltaCause(layer, s.Z[l+1], s.Delta[l+1], T, r, image))
			}
		}
	}
	return steps
}

// lossDeltaCause explains a non-finite entry of the plain cross-entropy's
// delta −t_k/p_k: a division by 0, or 1/p overflowing for a tiny p.
func lossDeltaCause(loss Loss, d, P *Matrix, r, k int, image func(int) int) string {
	if _, plain := loss.(*LossCrossEntropy); !plain {
		return fmt.Sprintf("delta of %s: image %d, class %d is %s from finite logits", loss.Name(), image(r), k, formatFloat(d.At(r, k)))
	}
	p := P.At(r, k)
	why := "division by 0"
	if p != 0 {
		why = fmt.Sprintf("1/p overflows: p is below e^-%.2f", expOverflow)
	}
	return fmt.Sprintf("delta of %s: image %d, class %d is −t/p = %s with p = %s (%s)", loss.Name(), image(r), k, formatFloat(d.At(r, k)), formatFloat(p), why)
}

// softmaxDeltaCause explains how the softmax delta p_k(δ'_k − ⟨δ', p⟩)
// turns δ' = −Inf at the true class t into NaN for the whole row.
func softmaxDeltaCause(layer Layer, P, d, T *Matrix, r int, image func(int) int) string {
	t, _ := T.ArgmaxRow(r) // a class: the row's delta −t/p is −Inf there, which needs t ≠ 0
	pt := P.At(r, t)
	how := fmt.Sprintf("⟨δ', p⟩ = −Inf·%s = −Inf, then δ'_t − ⟨δ', p⟩ = −Inf − (−Inf) = NaN", formatFloat(pt))
	if pt == 0 {
		how = "⟨δ', p⟩ has the term −Inf·p_t = −Inf·0: 0·∞ = NaN"
	}
	return fmt.Sprintf("delta of %s: image %d becomes NaN: p_k(δ'_k − ⟨δ', p⟩) with δ'_t = %s: %s, and NaN spreads to every class and every layer below",
		layer.Name(), image(r), formatFloat(d.At(r, t)), how)
}

// forwardCause explains a non-finite output of layer for row r.
func forwardCause(layer Layer, in *Matrix, r int) string {
	if !allFiniteRow(in, r) {
		return "its input is already not finite"
	}
	switch layer.(type) {
	case *LinearLayer:
		return fmt.Sprintf("overflow in x·W + b: the input's largest |value| is %.4g", maxAbs(in.Row(r)))
	case *SoftmaxLayer:
		return "exp overflow"
	}
	return "overflow"
}

// lossCause explains a non-finite plain cross-entropy: the true class got
// probability 0, so −log p = +Inf.
func lossCause(loss Loss, P, T, logits *Matrix, r int, image func(int) int, v float64) string {
	k, ok := T.ArgmaxRow(r)
	s := fmt.Sprintf("loss of %s: image %d (digit %v) has loss %s", loss.Name(), image(r), classOf(T, r), formatFloat(v))
	if !ok || !allFiniteRow(P, r) {
		return s + ": its probabilities are not finite"
	}
	p := P.At(r, k)
	s += fmt.Sprintf(": log 0, because the softmax gave its true class probability %s", formatFloat(p))
	if logits != nil {
		row := logits.Row(r)
		gap := rowMax(row) - row[k]
		s += fmt.Sprintf(" (its logit %.6g lies %.6g below the largest, %.6g, and exp(−%.6g) underflows to 0 below e^−745.13)", row[k], gap, rowMax(row), gap)
	}
	return s
}

// firstNonFinite returns the position of the first NaN or ±Inf of m.
func firstNonFinite(m *Matrix) (r, k int, ok bool) {
	for i, v := range m.Data {
		if !finite(v) {
			return i / m.Cols, i % m.Cols, true
		}
	}
	return 0, 0, false
}

// allFiniteRow reports whether row r of m has no NaN or ±Inf.
func allFiniteRow(m *Matrix, r int) bool { return m.SliceRows(r, r+1).AllFinite() }

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}
