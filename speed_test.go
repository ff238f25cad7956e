package main

// The training step's allocation count, on the lab's MNIST network. The
// network and synthetic data of MNIST's size are shared with bench_test.go.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"testing"
)

// labMNISTNet is the lab's MNIST network (784-64x5-10, fused loss).
func labMNISTNet(seed uint64) *MLP {
	return NewMNISTNet([]int{64, 64, 64, 64, 64}, false, newRNG(uint32(seed)))
}

// blankShare is the share of MNIST's pixels that are blank (byte 0): 81%
// of the training images' values, 81% of the test images'.
const blankShare = 0.81

// syntheticImages returns n random "images" of 784 byte pixels, blank
// with probability blankShare, else one of MNIST's four commonest bytes
// 252–255 (37% of its foreground) or uniform in 1…251, standardized as
// MNIST's are (with their own statistics); random one-hot labels over
// the 10 classes.
func syntheticImages(n int, seed uint64) (X, T *Matrix) {
	rng := rand.New(rand.NewPCG(seed, 2))
	rows := make([][]byte, n)
	for i := range rows {
		rows[i] = make([]byte, 784)
		for j := range rows[i] {
			switch r := rng.Float64(); {
			case r < blankShare:
			case r < blankShare+0.37*(1-blankShare):
				rows[i][j] = byte(252 + rng.IntN(4))
			default:
				rows[i][j] = byte(1 + rng.IntN(251))
			}
		}
	}
	T = NewMatrix(n, 10)
	for i := 0; i < n; i++ {
		T.Set(i, rng.IntN(10), 1)
	}
	d := pixelData(rows...)
	mean, std := pixelStats(d, n)
	return standardizedPixels(d, n, mean, std), T
}

var (
	mnistOnce                              sync.Once
	mnistX, mnistT, mnistXTest, mnistTTest *Matrix
)

// syntheticMNIST returns a training set of 60000 and a test set of 10000
// synthetic images like MNIST's (syntheticImages), made once per test
// binary.
func syntheticMNIST() (X, T, XTest, TTest *Matrix) {
	mnistOnce.Do(func() {
		mnistX, mnistT = syntheticImages(60000, 1)
		mnistXTest, mnistTTest = syntheticImages(10000, 2)
	})
	return mnistX, mnistT, mnistXTest, mnistTTest
}

// raceDetector is true in builds with -race (race_test.go).
var raceDetector bool

// TestTrainingStepAllocatesNothing checks that one SGD step (backprop and
// the update, as Train does it) allocates nothing once the first step has
// sized the buffers, with every kernel set this CPU runs, on a batch of 256
// and on one big enough to be computed in parts (batchGradient).
func TestTrainingStepAllocatesNothing(t *testing.T) {
	needLab(t, labAll)
	for _, n := range []int{256, splitMin} {
		X, T := syntheticImages(n, 3)
		for _, ks := range runnableSets() {
			withKernels(ks, func() { checkStepAllocatesNothing(t, fmt.Sprintf("batch of %d, %s kernels", n, ks.name), X, T) })
		}
	}
}

func checkStepAllocatesNothing(t *testing.T, what string, X, T *Matrix) {
	net := labMNISTNet(1234)
	params := net.paramLayers()
	grads := map[string][]*Matrix{}
	step := func() {
		if de := net.sgdStep(grads, X, T, 0.1, params); de != nil {
			t.Fatalf("sgdStep: %s", de.What)
		}
	}
	step() // sizes the buffers
	// AllocsPerRun runs with GOMAXPROCS 1, where the products stay on the
	// calling goroutine.
	if got := testing.AllocsPerRun(5, step); got != 0 {
		t.Errorf("%s: allocations per training step = got %v; want 0", what, got)
	}
	// With several threads the products are handed to the workers. The
	// runtime itself may allocate now and then (a new thread, a semaphore
	// queue entry), so this counts over many steps and wants fewer than one
	// per step: anything the step itself allocates would be at least one.
	// Under -race the detector's runtime allocates about once a step on
	// its own; the count is then checked by the runs without -race (CI
	// runs both).
	if got, ok := mallocsOnFourThreads(t, 10, step); ok && got >= 10 {
		t.Errorf("%s: allocations in 10 training steps on 4 threads = got %d; want fewer than 10", what, got)
	}
}

// mallocsOnFourThreads runs f once to warm up, then n times with
// GOMAXPROCS 4, and returns how many allocations the n runs made: less than
// n means f itself allocates nothing (the runtime's own goroutines may
// allocate now and then). ok is false where the count means nothing,
// under -race or CPU emulation.
func mallocsOnFourThreads(t *testing.T, n int, f func()) (mallocs uint64, ok bool) {
	t.Helper()
	if raceDetector {
		t.Log("multi-threaded allocation count not checked under -race: the race detector allocates for its own bookkeeping")
		return 0, false
	}
	// Likewise under CPU emulation (CI runs the arm64 build under
	// qemu-user and says so with BACKPROP_EMULATED), where the runtime's
	// threads are slow and uneven and it allocated 2–3 times a step on its
	// own, one run in three.
	if os.Getenv("BACKPROP_EMULATED") != "" {
		t.Log("multi-threaded allocation count not checked under emulation (BACKPROP_EMULATED is set)")
		return 0, false
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		f()
	}
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs, true
}
