package main

// The multilayer perceptron and backpropagation (Assignment 1: Gradient).
//
// A network is its layers, Layers[0] first, and a loss on the output of
// the last one. Output layers (the Softmax after a network trained with
// the fused loss) are used only for predictions: by Propagate, and by the
// evaluation's accuracy. The machinery around the lab lives beside it: the
// evaluation of a whole data set in evaluate.go, the gradient of a big batch
// in parts in batches.go, the training loop in sgd.go.

import (
	"errors"
	"fmt"
	"strconv"
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

	// Gradient's workspace: buffers reused from batch to batch, so that
	// training allocates nothing once they have their sizes.
	out       []*Matrix // out[l] = output of Layers[l]
	delta     []*Matrix // delta[l] = δ at the input of Layers[l]
	lossDelta *Matrix   // the loss's delta

	// The buffers of the machinery around the lab, made on first use: the
	// evaluation in chunks (evaluate.go) and the batch gradient in parts
	// (batches.go).
	evalWS []*evalWorkspace
	split  *batchSplit
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
		panicShape("Gradient", "X n×"+strconv.Itoa(n.NInputs)+" and T n×classes", operand("X", X), operand("T", T))
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
