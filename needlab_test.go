package main

// Tests of the provided code and the lab's methods.
//
// In the student version the lab's methods are stubs. A test of the
// provided code (products, data, pictures, files) must not call them: it
// builds its network's output by hand or from the test-only layers below.
// A test that needs the lab's methods to do its work (training XOR, a
// whole run of the command) starts with needLab. In the student version it
// skips there, in one line naming the first of those methods still to
// write,
//
//	needs LinearLayer.Forward (Assignment 1), not written yet
//
// instead of running into the stub: so `go test ./...` in a fresh student
// version fails the lab's graded tests (the parts table, each in one line
// "not implemented: ...") and nothing else, and these tests run as their
// methods get written. In the solution repository a stub is a bug: needLab
// fails the test instead.
//
// The student version is marked by studentVersionFile, written with it;
// the solution repository has no such file (a test there checks it).
// Writing it by hand gains nothing: these tests are not graded.

import (
	"testing"
)

// The lab's methods, by what uses them.
var (
	// labPlain are the methods of Assignment 1's network (XOR, spirals,
	// -naive, the gradient check's first network): a softmax layer and the
	// plain cross-entropy.
	labPlain = []string{"LinearLayer.Forward", "LinearLayer.Delta", "LinearLayer.Grad",
		"ReLULayer.Forward", "ReLULayer.Delta", "SoftmaxLayer.Forward", "SoftmaxLayer.Delta",
		"LossCrossEntropy.Forward", "LossCrossEntropy.Delta", "MLP.Gradient"}
	// labFused are the methods of a network trained on its logits with the
	// fused loss of Assignment 3 (MNIST), the softmax for predictions only.
	labFused = []string{"LinearLayer.Forward", "LinearLayer.Delta", "LinearLayer.Grad",
		"ReLULayer.Forward", "ReLULayer.Delta", "SoftmaxLayer.Forward",
		"LossCrossEntropyForSoftmaxLogits.Forward", "LossCrossEntropyForSoftmaxLogits.Delta", "MLP.Gradient"}
	// labAll are all of them.
	labAll = append(append([]string{}, labPlain...),
		"LossCrossEntropyForSoftmaxLogits.Forward", "LossCrossEntropyForSoftmaxLogits.Delta")
	// labForward are the methods a trained network's predictions use.
	labForward = []string{"LinearLayer.Forward", "ReLULayer.Forward", "SoftmaxLayer.Forward"}
)

// labProbes call each lab method once on a tiny input; a stub panics.
var labProbes = map[string]func(){
	"LinearLayer.Forward": func() { probeLinear().Forward(nil, NewMatrix(1, 2)) },
	"LinearLayer.Delta":   func() { probeLinear().Delta(nil, NewMatrix(1, 2), NewMatrix(1, 2)) },
	"LinearLayer.Grad":    func() { probeLinear().Grad(nil, NewMatrix(1, 2), NewMatrix(1, 2)) },
	"ReLULayer.Forward":   func() { NewReLULayer("r").Forward(nil, NewMatrix(1, 2)) },
	"ReLULayer.Delta":     func() { NewReLULayer("r").Delta(nil, NewMatrix(1, 2), NewMatrix(1, 2)) },
	"SoftmaxLayer.Forward": func() {
		NewSoftmaxLayer("s").Forward(nil, NewMatrix(1, 2))
	},
	"SoftmaxLayer.Delta": func() {
		NewSoftmaxLayer("s").Delta(nil, FromRows([][]float64{{0.5, 0.5}}), NewMatrix(1, 2))
	},
	"LossCrossEntropy.Forward": func() {
		NewLossCrossEntropy("l").Forward(nil, FromRows([][]float64{{0.5, 0.5}}), FromRows([][]float64{{1, 0}}))
	},
	"LossCrossEntropy.Delta": func() {
		NewLossCrossEntropy("l").Delta(nil, FromRows([][]float64{{0.5, 0.5}}), FromRows([][]float64{{1, 0}}))
	},
	"LossCrossEntropyForSoftmaxLogits.Forward": func() {
		NewLossCrossEntropyForSoftmaxLogits("l").Forward(nil, NewMatrix(1, 2), FromRows([][]float64{{1, 0}}))
	},
	"LossCrossEntropyForSoftmaxLogits.Delta": func() {
		NewLossCrossEntropyForSoftmaxLogits("l").Delta(nil, NewMatrix(1, 2), FromRows([][]float64{{1, 0}}))
	},
	"MLP.Gradient": func() {
		// Test-only layers and loss, so that the probe meets no stub but
		// Gradient's own.
		net := NewMLP(2, []Layer{&rowLayer{name: "id", in: 2, out: 2, f: func(y, x []float64) { copy(y, x) }}}, zeroLoss{}, nil)
		net.Gradient(nil, NewMatrix(1, 2), FromRows([][]float64{{1, 0}}))
	},
}

func probeLinear() *LinearLayer {
	return &LinearLayer{name: "l", W: NewMatrix(2, 2), B: NewMatrix(1, 2)}
}

// missingLab returns the stub met first when calling methods, or nil when
// they are all written. Any other panic is left for the test to meet.
func missingLab(methods []string) (stub *notImplementedError) {
	for _, m := range methods {
		probe, ok := labProbes[m]
		if !ok {
			panic("needLab: no probe for " + m)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					stub, _ = r.(*notImplementedError)
				}
			}()
			probe()
		}()
		if stub != nil {
			return stub
		}
	}
	return nil
}

// isStudentVersion is true in the student version only: its init is in
// studentVersionFile.
var isStudentVersion bool

// studentVersionFile is the file, written with the student version, that
// sets isStudentVersion.
const studentVersionFile = "student_test.go"

// needLab stops the test in one line, before it starts, if one of the lab's
// methods it needs is still a stub: a skip in the student version (the
// method is the student's to write), a failure in the solution repository.
func needLab(t testing.TB, methods []string) {
	t.Helper()
	if stub := missingLab(methods); stub != nil {
		if isStudentVersion {
			t.Skipf("needs %s (%s), not written yet", stub.method, stub.assignment)
		}
		t.Fatal(stub.Error())
	}
}

// TestLabProbes: every lab method has a probe, and a probe meets no stub
// but its own method's (or none, where the method is written).
func TestLabProbes(t *testing.T) {
	for _, p := range labParts {
		for _, m := range p.methods {
			if labProbes[m] == nil {
				t.Errorf("no probe for %s in labProbes", m)
			} else if stub := missingLab([]string{m}); stub != nil && stub.method != m {
				t.Errorf("the probe of %s met the stub of %s", m, stub.method)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Test-only layers: a network's output for the tests of the provided code,
// without the lab's methods.

// rowLayer computes each output row from its input row with f (y gets
// out zeros). Its Delta is never used by the tests of the provided code.
type rowLayer struct {
	name    string
	in, out int
	f       func(y, x []float64)
}

func (l *rowLayer) Name() string        { return l.name }
func (l *rowLayer) Dims() (in, out int) { return l.in, l.out }
func (l *rowLayer) String() string      { return l.name + ": test-only" }
func (l *rowLayer) Forward(dst, X *Matrix) *Matrix {
	dst = Resize(dst, X.Rows, l.out)
	for i := 0; i < X.Rows; i++ {
		y := dst.Row(i)
		for k := range y {
			y[k] = 0
		}
		l.f(y, X.Row(i))
	}
	return dst
}
func (l *rowLayer) Delta(dst, Y, deltaNext *Matrix) *Matrix {
	dst = Resize(dst, Y.Rows, l.in)
	dst.Fill(0) // nothing flows back
	return dst
}

// zeroLoss is a test-only loss that is 0 for every sample, with delta 0.
type zeroLoss struct{}

func (zeroLoss) Name() string   { return "zero" }
func (zeroLoss) String() string { return "zero: test-only loss" }
func (zeroLoss) Forward(dst, X, T *Matrix) *Matrix {
	dst = Resize(dst, X.Rows, 1)
	dst.Fill(0)
	return dst
}
func (zeroLoss) Delta(dst, X, T *Matrix) *Matrix {
	dst = Resize(dst, X.Rows, X.Cols)
	dst.Fill(0)
	return dst
}

// argmaxNet is a network of test-only layers whose prediction for a row of
// in inputs is out scores f(x): Linear_1 computes them, Softmax_OUT passes
// them on (the prediction is their argmax either way).
func argmaxNet(in, out int, f func(y, x []float64)) *MLP {
	pass := func(y, x []float64) { copy(y, x) }
	return NewMLP(in, []Layer{&rowLayer{name: "Linear_1", in: in, out: out, f: f}}, zeroLoss{},
		[]Layer{&rowLayer{name: "Softmax_OUT", in: out, out: out, f: pass}})
}
