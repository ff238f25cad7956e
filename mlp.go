package main

// The multilayer perceptron and backpropagation (Assignment 1: Gradient).
//
// A network is its layers, Layers[0] first, and a loss on the output of
// the last one. Output layers (the Softmax after a network trained with
// the fused loss) are used only for predictions: by Propagate, and by the
// evaluation's accuracy.

import (
	"errors"
	"fmt"
	"strings"
)

// MLP is a network: a stack of layers, a loss for training, and optional
// output layers for evaluation. An MLP reuses internal buffers across calls
// of Gradient, so one MLP must not be trained from two goroutines at once.
type MLP struct {
	NInputs      int
	Layers       []Layer
	Loss         Loss
	OutputLayers []Layer

	firstParam int // index of the lowest layer with parameters (len(Layers): none)
	lastParam  int // index of the highest: its output is the logits (-1: none)

	// The workspace: buffers that Gradient and evalPass reuse from batch to
	// batch, so that training allocates nothing once they have their sizes.
	out       []*Matrix // out[l] = output of Layers[l] (Gradient)
	delta     []*Matrix // delta[l] = δ at the input of Layers[l] (Gradient)
	lossDelta *Matrix   // the loss's delta (Gradient)
	evalWS    []*evalWorkspace
	split     *batchSplit // batchGradient's, made on first use
	batchT    Matrix      // Train's view of a batch's targets, reused
}

// NewMLP builds a network and panics if it is malformed (see BuildMLP for
// the checks). Use BuildMLP to get the problem as an error instead.
func NewMLP(nInputs int, layers []Layer, loss Loss, outputLayers []Layer) *MLP {
	n, err := BuildMLP(nInputs, layers, loss, outputLayers)
	if err != nil {
		panic("NewMLP: " + err.Error())
	}
	return n
}

// BuildMLP builds a network, checking that it has layers and a loss, that
// no layer is nil, that layer names are unique (the gradient is a map keyed
// by name), and that the widths of sized layers chain from nInputs.
func BuildMLP(nInputs int, layers []Layer, loss Loss, outputLayers []Layer) (*MLP, error) {
	if nInputs < 1 {
		return nil, fmt.Errorf("nInputs must be positive, got %d", nInputs)
	}
	if len(layers) == 0 {
		return nil, errors.New("the network has no layers")
	}
	if loss == nil {
		return nil, errors.New("the network has no loss")
	}
	seen := map[string]int{}
	width := nInputs
	all := append(append([]Layer{}, layers...), outputLayers...)
	for i, l := range all {
		if l == nil {
			return nil, fmt.Errorf("layer %d is nil", i)
		}
		if j, dup := seen[l.Name()]; dup {
			return nil, fmt.Errorf("layers %d and %d are both named %q: layer names must be unique", j, i, l.Name())
		}
		seen[l.Name()] = i
		if s, ok := l.(sizedLayer); ok {
			in, out := s.Dims()
			if in != width {
				return nil, fmt.Errorf("layer %q takes %d inputs but gets %d", l.Name(), in, width)
			}
			width = out
		}
	}
	n := &MLP{
		NInputs:      nInputs,
		Layers:       layers,
		Loss:         loss,
		OutputLayers: outputLayers,
		firstParam:   len(layers),
		lastParam:    -1,
		out:          make([]*Matrix, len(layers)),
		delta:        make([]*Matrix, len(layers)),
	}
	for i, l := range layers {
		if _, ok := l.(ParamLayer); ok {
			if n.firstParam == len(layers) {
				n.firstParam = i
			}
			n.lastParam = i
		}
	}
	return n, nil
}

// String prints the architecture, one layer a line.
func (n *MLP) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "MLP with %d inputs\n", n.NInputs)
	for _, l := range n.Layers {
		fmt.Fprintf(&b, "  %v\n", l)
	}
	fmt.Fprintf(&b, "  loss %v\n", n.Loss)
	for _, l := range n.OutputLayers {
		fmt.Fprintf(&b, "  output %v\n", l)
	}
	return b.String()
}

// Propagate computes the network's output for X, through the output layers
// too when outputLayers is true. The result is newly allocated.
func (n *MLP) Propagate(X *Matrix, outputLayers bool) *Matrix {
	Y, err := n.PropagateTo(X, outputLayers, "")
	if err != nil {
		panic(err)
	}
	return Y
}

// PropagateTo is the lab's propagate(X, output_layers, last_layer): like
// Propagate, but stops after the layer named lastLayer ("" for all).
func (n *MLP) PropagateTo(X *Matrix, outputLayers bool, lastLayer string) (*Matrix, error) {
	if X.Cols != n.NInputs {
		return nil, fmt.Errorf("propagate: X is %s, the network takes n×%d", X.Shape(), n.NInputs)
	}
	layers := n.Layers
	if outputLayers {
		layers = append(append([]Layer{}, n.Layers...), n.OutputLayers...)
	}
	Y := X
	for _, l := range layers {
		Y = l.Forward(nil, Y)
		if l.Name() == lastLayer {
			return Y, nil
		}
	}
	if lastLayer != "" {
		return nil, fmt.Errorf("propagate: no layer named %q", lastLayer)
	}
	if Y == X {
		Y = X.Clone()
	}
	return Y, nil
}

// Evaluate returns the per-sample loss (n, 1) of the network's training
// output, Propagate(X, false), against the targets T.
func (n *MLP) Evaluate(X, T *Matrix) *Matrix {
	return n.Loss.Forward(nil, n.Propagate(X, false), T)
}

// Gradient runs backpropagation on the batch X (n, inputs) with targets
// T (n, classes) and returns, for every layer with parameters, the gradient
// of the mean loss over the batch with respect to its parameters ([dW, dB]),
// keyed by layer name. The gradients are written into grads, which belongs
// to the caller (nil: a new map of new matrices), so that a training loop
// that passes the same map every step allocates nothing.
func (n *MLP) Gradient(grads map[string][]*Matrix, X, T *Matrix) map[string][]*Matrix {
	if X.Cols != n.NInputs || X.Rows != T.Rows {
		panic(fmt.Sprintf("Gradient: X is %s and T is %s: want n×%d and n×classes", X.Shape(), T.Shape(), n.NInputs))
	}
	if grads == nil {
		grads = map[string][]*Matrix{}
	}
	// BEGIN SOLUTION (Assignment 1)
	// HINT: the workspace: n.out[l] for the output of Layers[l], n.lossDelta and n.delta[l] for the deltas; n.firstParam is the lowest layer with parameters.
	//
	// Data flow of one training step:
	//
	//	X ─Layers[0].Forward→ Z₁ ─Layers[1].Forward→ Z₂ … → Z_L ─Loss→ ℓ
	//	                                                    δ_L = Loss.Delta(Z_L, T)
	//	for l = L−1 … 0:   grad_l = Layers[l].Grad(Z_l, δ_{l+1})   (if it has parameters)
	//	                   δ_l    = Layers[l].Delta(Z_{l+1}, δ_{l+1})
	//
	// where Z₀ = X and Z_{l+1} is the output of Layers[l]: forward, keeping
	// every layer's output; then the loss's delta (per sample: Grad does the
	// batch mean); then backward from the top. The δ below the lowest layer
	// with parameters is never used, so it is not computed.
	in := X
	for l, layer := range n.Layers {
		n.out[l] = layer.Forward(n.out[l], in)
		in = n.out[l]
	}
	n.lossDelta = n.Loss.Delta(n.lossDelta, in, T)
	d := n.lossDelta
	for l := len(n.Layers) - 1; l >= n.firstParam; l-- {
		input := X
		if l > 0 {
			input = n.out[l-1]
		}
		if pl, ok := n.Layers[l].(ParamLayer); ok {
			grads[pl.Name()] = pl.Grad(grads[pl.Name()], input, d)
		}
		if l > n.firstParam {
			n.delta[l] = n.Layers[l].Delta(n.delta[l], n.out[l], d)
			d = n.delta[l]
		}
	}
	return grads
	// END SOLUTION
}

// evalChunk is how many rows the evaluation pushes through the network at
// once: big enough for the products to run at full speed, and small
// enough that the chunk's rows of the input (256 × MNIST's 784 pixels:
// 1.6 MB) stay in a core's L2 cache while the first layer's product passes
// over them; with 1024 rows the evaluation took 11% longer. A goroutine's
// buffers stay small instead of a copy of the data set per layer, and the
// chunks of a set share the cores out evenly.
const evalChunk = 256

// evalWorkspace is the buffers of one goroutine of evalPass.
type evalWorkspace struct {
	bufs [3]*Matrix // layer outputs, in turn
	loss *Matrix
	x    rowReader // the chunk's rows of X
	t    Matrix    // and of T
}

// evalStats returns the mean loss (as Evaluate computes it) and the
// accuracy (argmax of Propagate(X, true) against argmax of T) over the whole
// set. atLogits, when not nil, also sees the logits of every chunk (see
// evalPass), so a caller can watch them without a second forward pass. The
// chunks' sums are added in the order of the chunks, whichever goroutine
// computed them, so the result does not depend on the number of cores.
func (n *MLP) evalStats(X RowSource, T *Matrix, atLogits func(S, T *Matrix)) (meanLoss, acc float64) {
	if X.Len() == 0 {
		return 0, 0
	}
	rows := n.evalRows() // evalPass's chunks
	chunks := (X.Len() + rows - 1) / rows
	sums, rights := make([]float64, chunks), make([]int, chunks)
	n.evalPass(X, T, func(i0 int, S, L, P, T *Matrix) {
		if atLogits != nil {
			atLogits(S, T)
		}
		c := i0 / rows
		for _, v := range L.Data {
			sums[c] += v
		}
		for r := 0; r < P.Rows; r++ {
			if k := P.ArgmaxRow(r); k >= 0 && k == T.ArgmaxRow(r) {
				rights[c]++
			}
		}
	})
	lossSum, correct := 0.0, 0
	for c := range sums {
		lossSum += sums[c]
		correct += rights[c]
	}
	return lossSum / float64(X.Len()), float64(correct) / float64(X.Len())
}

// evalPass pushes X through the network in chunks of evalChunk rows, the
// chunks spread over the cores, each goroutine with buffers of its own: the
// one chunked forward pass behind evalStats, ConfusionOf, the margin watch
// and the digit sample. For every chunk, at gets i0, the chunk's first row
// in X; S, the output of the last layer with parameters (the logits, before
// any softmax inside the network); L, the per-sample loss (n, 1) as
// Evaluate computes it; P, the output of Propagate(X, true); and T, the
// chunk's targets. The matrices are views into buffers that the next chunk
// overwrites, and at may run on several goroutines at once: it must write
// only what belongs to its chunk. X's rows are read a chunk at a time: rows
// made on demand are made by the goroutine that uses them, into its own
// buffer, where the first layer finds them in cache.
func (n *MLP) evalPass(X RowSource, T *Matrix, at func(i0 int, S, L, P, T *Matrix)) {
	for len(n.evalWS) < workers() {
		n.evalWS = append(n.evalWS, &evalWorkspace{})
	}
	split := n.lastParam + 1 // Layers[:split] compute the logits
	rows := n.evalRows()     // evalChunk, fewer for a wide network
	chunks := (X.Len() + rows - 1) / rows
	parallelFor(chunks, 1, func(w, c0, c1 int) {
		ws := n.evalWS[w]
		for c := c0; c < c1; c++ {
			i0, i1 := c*rows, min((c+1)*rows, X.Len())
			x := ws.x.rangeOf(X, i0, i1, false)
			T.viewRows(&ws.t, i0, i1)
			S := ws.forward(x, n.Layers[:split], nil)
			Y := ws.forward(S, n.Layers[split:], S)
			ws.loss = n.Loss.Forward(ws.loss, Y, &ws.t)
			P := ws.forward(Y, n.OutputLayers, S)
			at(i0, S, ws.loss, P, &ws.t)
		}
	})
}

// forward pushes X through layers, each into a buffer of the workspace
// that is neither its input nor keep (the logits, which at still needs).
func (ws *evalWorkspace) forward(X *Matrix, layers []Layer, keep *Matrix) *Matrix {
	for _, l := range layers {
		b := 0
		for ws.bufs[b] != nil && (ws.bufs[b] == X || ws.bufs[b] == keep) {
			b++
		}
		ws.bufs[b] = l.Forward(ws.bufs[b], X)
		X = ws.bufs[b]
	}
	return X
}

// paramLayers returns the layers that have parameters, in order.
func (n *MLP) paramLayers() []ParamLayer {
	var out []ParamLayer
	for _, l := range n.Layers {
		if pl, ok := l.(ParamLayer); ok {
			out = append(out, pl)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// The trainer's gradient of a big batch, in parts side by side.

// Train's batch gradient: a batch of at least splitMin rows is cut into
// splitParts parts of (nearly) equal size, whose gradients are computed side
// by side on the cores — each with Gradient, the lab's backpropagation, on a
// shadow of the network: the same layers and loss, a workspace of its own,
// one per goroutine of the job (a goroutine that takes a second part
// writes into buffers still in its cache: training ran 9% faster than with
// a shadow per part, on two cores) — and then added as Σ_s (n_s/n)·g_s,
// the gradient of the mean loss over the whole batch again. So the lab's
// elementwise code (ReLU, the losses) runs on all the cores in training
// too, not only the products. The number of
// parts and where they are cut depend on the batch alone, and the parts are
// added in order, so the result does not depend on the number of cores; it
// differs from one Gradient over the whole batch in the last bits (the sums
// over the batch are grouped by part).
const (
	splitParts = 4
	splitMin   = 1024
)

// batchSplit is the workspace of batchGradient.
type batchSplit struct {
	shadows [splitParts]*MLP // one per goroutine of the job: there are at most splitParts
	grads   [splitParts]map[string][]*Matrix
	xs      [splitParts]Matrix // the parts' rows of X and T
	ts      [splitParts]Matrix
	run     func(worker, s0, s1 int) // made once, so that a step allocates nothing
	sized   int                      // the part size every shadow's buffers hold
}

// batchGradient writes the gradient of the mean loss over the batch (X, T)
// into grads, as Gradient does, with a big batch computed in parts (above).
func (n *MLP) batchGradient(grads map[string][]*Matrix, X, T *Matrix) {
	if X.Rows < splitMin {
		n.Gradient(grads, X, T)
		return
	}
	if n.split == nil {
		sp := &batchSplit{}
		for s := range sp.shadows {
			sp.shadows[s] = &MLP{NInputs: n.NInputs, Layers: n.Layers, Loss: n.Loss, OutputLayers: n.OutputLayers,
				firstParam: n.firstParam, lastParam: n.lastParam,
				out: make([]*Matrix, len(n.Layers)), delta: make([]*Matrix, len(n.Layers))}
			sp.grads[s] = map[string][]*Matrix{}
		}
		sp.run = func(w, s0, s1 int) {
			for s := s0; s < s1; s++ {
				sp.grads[s] = sp.shadows[w].Gradient(sp.grads[s], &sp.xs[s], &sp.ts[s])
			}
		}
		n.split = sp
	}
	sp := n.split
	big := 0 // the largest part
	for s := range sp.xs {
		i0, i1 := s*X.Rows/splitParts, (s+1)*X.Rows/splitParts
		X.viewRows(&sp.xs[s], i0, i1)
		T.viewRows(&sp.ts[s], i0, i1)
		if sp.xs[s].Rows > sp.xs[big].Rows {
			big = s
		}
	}
	if sp.xs[big].Rows > sp.sized {
		// Which goroutine takes which part changes from step to step, so a
		// shadow could be used for the first time, or get a larger part,
		// in any later step and allocate its buffers then. Size all of
		// them now, on the largest part (its gradient is computed again
		// below): afterwards a step allocates nothing.
		for _, sh := range sp.shadows {
			sh.Gradient(sp.grads[big], &sp.xs[big], &sp.ts[big])
		}
		sp.sized = sp.xs[big].Rows
	}
	parallelFor(splitParts, 1, sp.run)
	for _, l := range n.Layers {
		pl, ok := l.(ParamLayer)
		if !ok {
			continue
		}
		name := pl.Name()
		g := grads[name]
		if len(g) != len(sp.grads[0][name]) {
			g = make([]*Matrix, len(sp.grads[0][name]))
		}
		for i := range g {
			first := sp.grads[0][name][i]
			g[i] = Resize(g[i], first.Rows, first.Cols)
			clear(g[i].Data)
			for s := range sp.xs {
				w := float64(sp.xs[s].Rows) / float64(X.Rows)
				axpy(g[i].Data, w, sp.grads[s][name][i].Data)
			}
		}
		grads[name] = g
	}
}
