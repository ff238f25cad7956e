package main

// Tests of the MLP and backpropagation (go test -run '^TestBackprop'): the
// gradient of whole networks against central finite differences of the
// mean loss, for both pipelines of the lab, plus the network's plumbing.

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// pipeline is how a classifier's output meets its loss.
type pipeline int

const (
	// naive: a Softmax layer ends the network, trained with the plain
	// cross-entropy on probabilities (Assignment 1).
	naive pipeline = iota
	// fused: the network ends with logits, trained with the fused loss;
	// the Softmax is an output layer, used only for predictions
	// (Assignments 2 and 3).
	fused
	// squares: as fused, with a test-only loss of the logits in place of
	// the fused loss (halfSquares): a network that ends with logits, and a
	// softmax for predictions only, that needs nothing of Assignment 3.
	squares
)

func (p pipeline) String() string {
	return [...]string{"Softmax+CrossEntropy", "fused loss", "logits+half squares"}[p]
}

// halfSquares is a test-only loss of the logits x and targets t,
// ℓ = ½ Σ_k (x_k − t_k)² per sample, whose delta is x − t. It lets the
// Backprop tests check backpropagation through a network that ends with
// logits (the softmax an output layer, outside the backward pass) with
// Assignment 1 alone.
type halfSquares struct{}

func (halfSquares) Name() string   { return "half_squares" }
func (halfSquares) String() string { return "half_squares: test-only loss" }
func (halfSquares) Forward(dst, X, T *Matrix) *Matrix {
	dst = Resize(dst, X.Rows, 1)
	for r := 0; r < X.Rows; r++ {
		sum := 0.0
		for k, x := range X.Row(r) {
			d := x - T.Row(r)[k]
			sum += d * d
		}
		dst.Data[r] = sum / 2
	}
	return dst
}
func (halfSquares) Delta(dst, X, T *Matrix) *Matrix {
	dst = Resize(dst, X.Rows, X.Cols)
	for i, x := range X.Data {
		dst.Data[i] = x - T.Data[i]
	}
	return dst
}

// newDeepNet returns an MLP with three linear layers and two ReLUs,
// in → 6 → 5 → classes, with random weights AND biases (so that some
// ReLUs are off and their gating is tested too), made of the student's
// own layers.
func newDeepNet(rng *rand.Rand, p pipeline, in, classes int) *MLP {
	return buildDeepNet(rng, p, in, classes, ownImpls)
}

// newOtherDeepNet is newDeepNet made of other's layers and losses
// (parts_test.go): the network whose backpropagation (the student's
// MLP.Gradient) the Backprop tests check.
func newOtherDeepNet(rng *rand.Rand, p pipeline, in, classes int) *MLP {
	return buildDeepNet(rng, p, in, classes, other)
}

func buildDeepNet(rng *rand.Rand, p pipeline, in, classes int, impl partImpls) *MLP {
	l1 := NewLinearLayer(in, 6, rng, "Linear_1")
	l2 := NewLinearLayer(6, 5, rng, "Linear_2")
	l3 := NewLinearLayer(5, classes, rng, "Linear_OUT")
	for _, l := range []*LinearLayer{l1, l2, l3} {
		l.B = randMatrix(rng, 1, l.B.Cols)
	}
	layers := []Layer{impl.linear(l1), impl.relu(NewReLULayer("ReLU_1")), impl.linear(l2), impl.relu(NewReLULayer("ReLU_2")), impl.linear(l3)}
	softmax := impl.softmax(NewSoftmaxLayer("Softmax_OUT"))
	switch p {
	case naive:
		return NewMLP(in, append(layers, softmax), impl.crossEntropy(NewLossCrossEntropy("CE")), nil)
	case squares:
		return NewMLP(in, layers, halfSquares{}, []Layer{softmax})
	}
	return NewMLP(in, layers, impl.fused(NewLossCrossEntropyForSoftmaxLogits("CE_fused")), []Layer{softmax})
}

// copyWeights makes the parameters of every layer of dst equal to those of
// the same-named layer of src (copied, not shared).
func copyWeights(dst, src *MLP) {
	for _, s := range src.paramLayers() {
		for _, d := range dst.paramLayers() {
			if d.Name() != s.Name() {
				continue
			}
			for i, p := range s.Params() {
				q := d.Params()[i]
				if q.Rows != p.Rows || q.Cols != p.Cols {
					panic(fmt.Sprintf("copyWeights: %s parameter %d is %s in dst and %s in src", s.Name(), i, q.Shape(), p.Shape()))
				}
				copy(q.Data, p.Data)
			}
		}
	}
}

// MLP.Gradient against central finite differences of the mean loss,
// mean(Evaluate(X, T)), for every parameter of every layer, in a network
// that ends with a Softmax layer and the plain cross-entropy (the softmax's
// Delta reads its output: handing Delta a layer's input shows here) and in
// one that ends with logits, its softmax an output layer that the backward
// pass must leave out (the test-only halfSquares loss: the fused loss is
// Assignment 3's). The layers and the cross-entropy come from `other`: this
// checks backpropagation alone, with Assignment 1's pieces.
//
// Pitfall: the batch mean taken twice (loss delta divided by n and grad divided again)
// (batch 7: a gradient divided by n twice is 7 times too small)
func TestBackpropFiniteDifferences(t *testing.T) {
	defer catchPanic(t)
	for _, p := range []pipeline{naive, squares} {
		for _, n := range []int{1, 7} {
			t.Run(fmt.Sprintf("%v/batch%d", p, n), func(t *testing.T) {
				defer catchPanic(t)
				rng := newTestRNG(uint64(20 + 10*int(p) + n))
				net := newOtherDeepNet(rng, p, 4, 3)
				X, T := randMatrix(rng, n, 4), randOneHot(rng, n, 3)
				X.Scale(2)
				grads := net.Gradient(nil, X, T)
				checked := 0
				for _, pl := range net.paramLayers() {
					g, ok := grads[pl.Name()]
					if !ok || len(g) != len(pl.Params()) {
						t.Errorf("Gradient[%q] = %d matrices; want %d", pl.Name(), len(g), len(pl.Params()))
						continue
					}
					for i, param := range pl.Params() {
						want := fdGrad(param, func(int) float64 { return mean(net.Evaluate(X, T)) })
						checkClose(t, fmt.Sprintf("Gradient[%q] %s", pl.Name(), paramName(i)), g[i], want, gradTol)
						checked++
					}
				}
				if checked != 6 {
					t.Errorf("checked %d parameter matrices; want 6 (W and B of 3 linear layers)", checked)
				}
				if n > 1 {
					requireSomeReLUsOff(t, net, X)
				}
			})
		}
	}
}

// requireSomeReLUsOff fails the test when no ReLU unit is off for X: the
// gradient check would then not have tested the ReLUs' gating.
func requireSomeReLUsOff(t *testing.T, net *MLP, X *Matrix) {
	t.Helper()
	for _, name := range []string{"ReLU_1", "ReLU_2"} {
		Y, err := net.PropagateTo(X, false, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, y := range Y.Data {
			if y == 0 {
				return
			}
		}
	}
	t.Errorf("test data: every ReLU unit is on, so their gating went untested; choose other data")
}

// Gradient returns one entry per layer with parameters, keyed by its name,
// shaped like the parameters, and writes them into the map it is given
// (SGD passes the same map every step); later calls do not change an
// earlier result; a map of stale matrices of the wrong size gives the same
// gradient as none.
//
// Pitfall: forward or delta overwriting its input (X or T after Gradient)
func TestBackpropGradientKeysAndCopies(t *testing.T) {
	defer catchPanic(t)
	rng := newTestRNG(41)
	net := newOtherDeepNet(rng, naive, 4, 3)
	X, T := randMatrix(rng, 5, 4), randOneHot(rng, 5, 3)
	X0, T0 := X.Clone(), T.Clone()
	g := net.Gradient(nil, X, T)
	if len(g) != 3 {
		t.Errorf("Gradient has %d entries; want 3 (Linear_1, Linear_2, Linear_OUT)", len(g))
	}
	kept := map[string][]*Matrix{}
	for _, l := range net.Layers {
		pl, ok := l.(ParamLayer)
		if !ok {
			if _, has := g[l.Name()]; has {
				t.Errorf("Gradient has an entry for %q, which has no parameters", l.Name())
			}
			continue
		}
		for i, p := range pl.Params() {
			if len(g[l.Name()]) <= i {
				t.Errorf("Gradient[%q] has %d matrices; want %d", l.Name(), len(g[l.Name()]), len(pl.Params()))
				break
			}
			if d := g[l.Name()][i]; d.Rows != p.Rows || d.Cols != p.Cols {
				t.Errorf("Gradient[%q] %s is %s; want %s like the parameter", l.Name(), paramName(i), d.Shape(), p.Shape())
			}
			kept[l.Name()] = append(kept[l.Name()], g[l.Name()][i].Clone())
		}
	}
	checkSame(t, "X after Gradient", X, X0)
	checkSame(t, "T after Gradient", T, T0)
	net.Gradient(nil, randMatrix(rng, 5, 4), randOneHot(rng, 5, 3))
	for name, k := range kept {
		for i := range k {
			checkSame(t, fmt.Sprintf("first Gradient[%q] %s after a second call", name, paramName(i)), g[name][i], k[i])
		}
	}
	given := map[string][]*Matrix{}
	for name := range kept {
		given[name] = []*Matrix{dirty(), dirty()}
	}
	net.Gradient(given, X, T)
	for name, k := range kept {
		if len(given[name]) != len(k) {
			t.Errorf("the map passed to Gradient has %d matrices for %q afterwards; want %d: Gradient writes into it", len(given[name]), name, len(k))
			continue
		}
		for i := range k {
			checkSame(t, fmt.Sprintf("Gradient(a map of stale matrices)[%q] %s", name, paramName(i)), given[name][i], k[i])
		}
	}
}

// BuildMLP rejects malformed networks with an error that says what is
// wrong; NewMLP panics with it. Provided code, not scored.
func TestMLPBuildErrors(t *testing.T) {
	rng := newTestRNG(42)
	ce := NewLossCrossEntropy("CE")
	cases := []struct {
		name   string
		in     int
		layers []Layer
		loss   Loss
		out    []Layer
		want   []string
	}{
		{"duplicate names", 2, []Layer{NewLinearLayer(2, 3, rng, "L"), NewReLULayer("L")}, ce, nil, []string{`"L"`, "unique"}},
		{"duplicate with an output layer", 2, []Layer{NewLinearLayer(2, 3, rng, "Linear_1"), NewSoftmaxLayer("S")}, ce, []Layer{NewSoftmaxLayer("S")}, []string{`"S"`, "unique"}},
		{"width mismatch", 2, []Layer{NewLinearLayer(2, 3, rng, "Linear_1"), NewReLULayer("ReLU_1"), NewLinearLayer(4, 2, rng, "Linear_2")}, ce, nil, []string{`"Linear_2"`, "4", "3"}},
		{"wrong input width", 5, []Layer{NewLinearLayer(2, 3, rng, "Linear_1")}, ce, nil, []string{`"Linear_1"`, "2", "5"}},
		{"no layers", 2, nil, ce, nil, []string{"no layers"}},
		{"no loss", 2, []Layer{NewReLULayer("R")}, nil, nil, []string{"no loss"}},
		{"no inputs", 0, []Layer{NewReLULayer("R")}, ce, nil, []string{"nInputs", "0"}},
		{"nil layer", 2, []Layer{NewReLULayer("R"), nil}, ce, nil, []string{"nil"}},
	}
	for _, c := range cases {
		net, err := BuildMLP(c.in, c.layers, c.loss, c.out)
		if err == nil {
			t.Errorf("%s: BuildMLP = %v, nil; want an error", c.name, net)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %s", c.name, err, w)
			}
		}
		msg, ok := panicMessage(func() { NewMLP(c.in, c.layers, c.loss, c.out) })
		if !ok || !strings.Contains(msg, err.Error()) {
			t.Errorf("%s: NewMLP panic %q (panicked: %v); want a panic with %q", c.name, msg, ok, err)
		}
	}
}

// PropagateTo stops after the named layer; output layers are added only
// when asked for. Provided code, not scored.
func TestMLPPropagateTo(t *testing.T) {
	rng := newTestRNG(43)
	// Test-only layers, each of its own simple map: PropagateTo is
	// provided code, tested without the lab's methods.
	row := func(name string, in, out int, f func(y, x []float64)) Layer {
		return &rowLayer{name: name, in: in, out: out, f: f}
	}
	softmax := row("Softmax_OUT", 3, 3, func(y, x []float64) {
		for k := range y {
			y[k] = 3 * x[k]
		}
	})
	net := NewMLP(4, []Layer{
		row("Linear_1", 4, 3, func(y, x []float64) { copy(y, x) }),
		row("Linear_2", 3, 3, func(y, x []float64) {
			for k := range y {
				y[k] = x[k] + float64(k)
			}
		}),
		row("Linear_OUT", 3, 3, func(y, x []float64) { y[0], y[1], y[2] = x[2], x[0], x[1] }),
	}, zeroLoss{}, []Layer{softmax})
	X := randMatrix(rng, 5, 4)
	want := X
	for _, l := range net.Layers[:2] {
		want = l.Forward(nil, want)
	}
	got, err := net.PropagateTo(X, true, "Linear_2")
	if err != nil {
		t.Fatalf("PropagateTo(Linear_2): %v", err)
	}
	checkSame(t, "PropagateTo(Linear_2)", got, want)
	if _, err := net.PropagateTo(X, true, "Linear_9"); err == nil || !strings.Contains(err.Error(), "Linear_9") {
		t.Errorf("PropagateTo(Linear_9) error = %v; want one naming Linear_9", err)
	}
	if _, err := net.PropagateTo(NewMatrix(5, 3), false, ""); err == nil || !strings.Contains(err.Error(), "5×3") {
		t.Errorf("PropagateTo(5×3 input to a 4-input net) error = %v; want one naming 5×3", err)
	}
	logits := net.Propagate(X, false)
	checkSame(t, "Propagate(X, true)", net.Propagate(X, true), softmax.Forward(nil, logits))
	s := net.String()
	for _, name := range []string{"Linear_1", "Linear_2", "Linear_OUT", "zero", "Softmax_OUT"} {
		if !strings.Contains(s, name) {
			t.Errorf("String() does not show %s:\n%s", name, s)
		}
	}
}
