package main

// The diagnosis's training step against the lab's Gradient (the tests of
// what it reports are in mnistrun_test.go).

import (
	"slices"
	"testing"
)

// runStep records the training step Gradient computes: the same gradients
// to the bit, each layer's output PropagateTo's up to that layer, the loss
// Evaluate's, and a delta at every layer but the lowest (Gradient computes
// none below the lowest layer with parameters). The network's own
// workspace is left as it was.
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
		if slices.ContainsFunc(net.out, func(m *Matrix) bool { return m != nil }) {
			t.Errorf("%s: runStep wrote into the network's own buffers", name)
		}
		for l, layer := range net.Layers {
			want, err := net.PropagateTo(X, false, layer.Name())
			if err != nil {
				t.Fatal(err)
			}
			checkSame(t, name+": the step's output of "+layer.Name(), s.Z[l+1], want)
		}
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
