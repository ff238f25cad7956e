package main

// The diagnosis's training step against the lab's Gradient (the tests of
// what it reports are in mnistrun_test.go).

import (
	"testing"
)

// runStep is the training step Gradient computes, message by message: the
// same gradients to the bit, the forward pass Propagate's, the loss
// Evaluate's, and no delta below the lowest layer with parameters (Gradient
// computes none there).
func TestDiagnosisStepIsGradient(t *testing.T) {
	needLab(t, labAll)
	rng := newTestRNG(26)
	oneHot := func(n, k int) *Matrix {
		T := NewMatrix(n, k)
		for i := 0; i < n; i++ {
			T.Set(i, rng.IntN(k), 1)
		}
		return T
	}
	nets := map[string]*MLP{
		"xor (plain)":  NewXORNet(newRNG(1)),
		"mnist":        NewMNISTNet([]int{6, 5}, false, newRNG(2)),
		"mnist -naive": NewMNISTNet([]int{6, 5}, true, newRNG(3)),
	}
	for name, net := range nets {
		X := randMatrix(rng, 7, net.NInputs)
		T := oneHot(7, 2)
		if net.NInputs == mnistPixels {
			T = oneHot(7, 10)
		}
		s := runStep(net, X, T)
		L := len(net.Layers)
		checkSame(t, name+": the step's output", s.Z[L], net.Propagate(X, false))
		checkSame(t, name+": the step's loss", s.Loss, net.Evaluate(X, T))
		grads := net.Gradient(nil, X, T)
		for l, layer := range net.Layers {
			want := grads[layer.Name()]
			if len(s.Grads[l]) != len(want) {
				t.Errorf("%s, %s: %d gradients; Gradient gives %d", name, layer.Name(), len(s.Grads[l]), len(want))
				continue
			}
			for i := range want {
				checkSame(t, name+": gradient "+paramName(i)+" of "+layer.Name(), s.Grads[l][i], want[i])
			}
		}
		if s.Delta[0] != nil || s.Delta[L] == nil || s.Delta[1] == nil {
			t.Errorf("%s: deltas computed at layers %v; want every one but the lowest", name, s.Delta)
		}
	}
}
