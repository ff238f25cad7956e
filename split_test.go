package main

import (
	"runtime"
	"strconv"
	"testing"
)

// Train computes the gradient of a big batch in parts side by side
// (batchGradient). It is the same gradient, to the last bits, as one
// Gradient over the whole batch.
func TestSplitGradientIsTheBatchGradient(t *testing.T) {
	needLab(t, labAll)
	rng := newTestRNG(81)
	net := newDeepNet(rng, fused, 20, 7)
	for _, n := range []int{splitMin, splitMin + 3, 2*splitMin + 1} {
		X, T := randMatrix(rng, n, 20), randOneHot(rng, n, 7)
		whole := net.Gradient(nil, X, T)
		parts := map[string][]*Matrix{}
		net.batchGradient(parts, X, T)
		for name, g := range whole {
			for i := range g {
				checkClose(t, "batch of "+strconv.Itoa(n)+", "+name+" "+paramName(i)+" in parts vs whole", parts[name][i], g[i], 1e-13)
			}
		}
	}
}

// A training run whose batches are split gives the same bits on 1, 2 and
// 8 threads: the parts depend on the batch alone and are added in order.
func TestSplitSameBitsOnAnyNumberOfCores(t *testing.T) {
	needLab(t, labAll)
	old := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	run := func(procs int) (*RunInfo, *MLP) {
		runtime.GOMAXPROCS(procs)
		rng := newTestRNG(82)
		net := newDeepNet(rng, fused, 16, 5)
		X, T := randMatrix(rng, 2*splitMin+100, 16), randOneHot(rng, 2*splitMin+100, 5)
		ri, err := Train(net, X, T, TrainConfig{BatchSize: splitMin + 50, Epochs: 2, Eta: 0.05})
		if err != nil {
			t.Fatal(err)
		}
		return ri, net
	}
	a, netA := run(1)
	for _, procs := range []int{2, 8} {
		b, netB := run(procs)
		checkSameRunInfo(t, "split batches on "+strconv.Itoa(procs)+" threads vs 1", b, a)
		checkSameParams(t, "split batches on "+strconv.Itoa(procs)+" threads vs 1", netB, netA)
	}
}
