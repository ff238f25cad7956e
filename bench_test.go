package main

// Benchmarks (no data files needed): the products on the lab's MNIST
// shapes in GFLOP/s, and one epoch of the lab's MNIST network on synthetic
// data of MNIST's size in seconds, each with every kernel set this CPU
// runs; bench/numpy_matmul.py times numpy on the same product shapes.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"
)

// benchShapes are the products of one training step of the lab's MNIST
// network with batch 3000: n×k·k×m for MatMul, and the shapes of A and B
// as they are passed to MatMulAT and MatMulBT.
var benchShapes = []struct {
	op      string
	n, k, m int // dst is n×m, summed over k
}{
	{"MatMulBias", 3000, 784, 64}, // forward, first layer
	{"MatMulBias", 3000, 64, 64},  // forward, hidden layers
	{"MatMulBias", 3000, 64, 10},  // forward, output layer
	{"MatMulAT", 784, 3000, 64},   // dW of the first layer: Xᵀ·δ
	{"MatMulAT", 64, 3000, 64},    // dW of a hidden layer
	{"MatMulAT", 64, 3000, 10},    // dW of the output layer
	{"MatMulBT", 3000, 64, 64},    // δ through a hidden layer: δ·Wᵀ
	{"MatMulBT", 3000, 10, 64},    // δ through the output layer
}

// BenchmarkProduct reports each product's GFLOP/s in its fastest run
// ("GFLOP/s", as bench/numpy_matmul.py reports numpy's best of 30: on a
// shared machine the fastest run is the one nothing else interrupted) and
// over all runs ("mean-GFLOP/s"). On Linux it also reports "cpu-GFLOP/s",
// per second of CPU time, which a busy machine does not change as it
// changes the wall time: with GOMAXPROCS=1 the CPU time of the fastest run,
// one core's speed (numpy_matmul.py --cpu with OPENBLAS_NUM_THREADS=1 is
// numpy's); with more, the process's CPU time over all runs on all cores.
func BenchmarkProduct(b *testing.B) {
	for _, ks := range runnableSets() {
		b.Run(ks.name, func(b *testing.B) { withKernels(ks, func() { benchProducts(b) }) })
	}
}

func benchProducts(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range benchShapes {
		var A, B, bias *Matrix
		var run func(dst *Matrix)
		var name string
		switch s.op {
		case "MatMulBias":
			A, B, bias = randMatrix(rng, s.n, s.k), randMatrix(rng, s.k, s.m), randMatrix(rng, 1, s.m)
			run = func(dst *Matrix) { MatMulBias(dst, A, B, bias) }
			name = fmt.Sprintf("%s/%dx%d·%dx%d", s.op, s.n, s.k, s.k, s.m)
		case "MatMulAT":
			A, B = randMatrix(rng, s.k, s.n), randMatrix(rng, s.k, s.m)
			run = func(dst *Matrix) { MatMulAT(dst, A, B) }
			name = fmt.Sprintf("%s/(%dx%d)ᵀ·%dx%d", s.op, s.k, s.n, s.k, s.m)
		case "MatMulBT":
			A, B = randMatrix(rng, s.n, s.k), randMatrix(rng, s.m, s.k)
			run = func(dst *Matrix) { MatMulBT(dst, A, B) }
			name = fmt.Sprintf("%s/%dx%d·(%dx%d)ᵀ", s.op, s.n, s.k, s.m, s.k)
		}
		dst := NewMatrix(s.n, s.m)
		b.Run(name, func(b *testing.B) {
			// On one thread the product runs on this goroutine, kept on
			// its OS thread, whose CPU time is then its own.
			oneCore := runtime.GOMAXPROCS(0) == 1
			if oneCore {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			run(dst)
			best, bestCPU := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
			p0, _ := processCPUTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c0, _ := threadCPUTime()
				t0 := time.Now()
				run(dst)
				best = min(best, time.Since(t0))
				c1, _ := threadCPUTime()
				bestCPU = min(bestCPU, c1-c0)
			}
			flops := 2 * float64(s.n) * float64(s.k) * float64(s.m)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "mean-GFLOP/s")
			b.ReportMetric(flops/best.Seconds()/1e9, "GFLOP/s")
			p1, ok := processCPUTime()
			switch {
			case oneCore && bestCPU > 0:
				b.ReportMetric(flops/bestCPU.Seconds()/1e9, "cpu-GFLOP/s")
			case !oneCore && ok && p1 > p0:
				b.ReportMetric(flops*float64(b.N)/(p1-p0).Seconds()/1e9, "cpu-GFLOP/s")
			}
		})
	}
}

// BenchmarkMNISTEpoch times the lab's MNIST run (784-64x5-10, fused loss,
// batch 3000, eta 0.1) on synthetic images of MNIST's size
// (syntheticMNIST), with every kernel set this CPU runs: "train" is one
// pass of SGD over the 60000 training samples, "eval" the evaluation Train
// does after every epoch (loss and accuracy on the 60000 training and the
// 10000 test samples), "epoch" both. On Linux, cpu-s/epoch is the CPU time
// the process used per epoch on all its cores: the work, which other jobs
// on a busy machine do not change as they change the wall time.
func BenchmarkMNISTEpoch(b *testing.B) {
	X, T, XTest, TTest := syntheticMNIST()
	runtime.GC() // the garbage of making the data is not the epoch's
	for _, ks := range runnableSets() {
		train, eval := labEpoch(b, X, T, XTest, TTest)
		for _, c := range []struct {
			name string
			run  func()
		}{
			{"train", train},
			{"eval", eval},
			{"epoch", func() { train(); eval() }},
		} {
			b.Run(ks.name+"/"+c.name, func(b *testing.B) {
				c0, ok := processCPUTime()
				withKernels(ks, func() {
					for i := 0; i < b.N; i++ {
						c.run()
					}
				})
				c1, _ := processCPUTime()
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/epoch")
				if ok {
					b.ReportMetric((c1-c0).Seconds()/float64(b.N), "cpu-s/epoch")
				}
			})
		}
	}
}

// labEpoch returns, for a new network of the lab's MNIST run (784-64x5-10,
// fused loss, batch 3000, eta 0.1), one pass of SGD over X as Train makes
// it (train) and the evaluation of both sets Train does after an epoch
// (eval).
func labEpoch(b *testing.B, X RowSource, T *Matrix, XTest RowSource, TTest *Matrix) (train, eval func()) {
	const batch, eta = 3000, 0.1
	net := labMNISTNet(1234)
	params := net.paramLayers()
	grads := map[string][]*Matrix{}
	var rows rowReader
	var tb Matrix
	n := X.Len()
	train = func() {
		for i0 := 0; i0 < n; i0 += batch {
			i1 := min(i0+batch, n)
			T.viewRows(&tb, i0, i1)
			if de := net.sgdStep(grads, rows.rangeOf(X, i0, i1, true), &tb, eta, params); de != nil {
				b.Fatalf("training diverged: %s", de.What)
			}
		}
	}
	eval = func() {
		net.evalStats(X, T, nil)
		net.evalStats(XTest, TTest, nil)
	}
	return train, eval
}

// BenchmarkFirstLayerFreshRows times the first layer's products on one part
// of a training batch (750 rows) as training meets them: "fresh" takes the
// next 750 rows of a matrix of the training set's size every time, so that
// the rows come from memory, "cached" the same rows every time. Run it
// with GOMAXPROCS=1: the products of a part run on one goroutine.
func BenchmarkFirstLayerFreshRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	X := randMatrix(rng, 60000, 784)
	W, bias, D := randMatrix(rng, 784, 64), randMatrix(rng, 1, 64), randMatrix(rng, 750, 64)
	Z, dW := NewMatrix(750, 64), NewMatrix(784, 64)
	var xv Matrix
	for _, ks := range runnableSets() {
		for _, op := range []string{"forward", "grad"} {
			for _, fresh := range []bool{true, false} {
				name := fmt.Sprintf("%s/%s/%s", ks.name, op, map[bool]string{true: "fresh", false: "cached"}[fresh])
				b.Run(name, func(b *testing.B) {
					withKernels(ks, func() {
						for i, r := 0, 0; i < b.N; i++ {
							X.viewRows(&xv, r, r+750)
							if op == "forward" {
								MatMulBias(Z, &xv, W, bias)
							} else {
								MatMulAT(dW, &xv, D)
							}
							if fresh {
								r = (r + 750) % X.Rows
							}
						}
					})
					b.ReportMetric(2*750*784*64*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkMNISTEpochProducts is BenchmarkMNISTEpoch's "epoch" with the
// kernels in use (BACKPROP_KERNELS chooses), every product timed by the
// CPU time of the thread that computes it (training's parts and the
// evaluation's chunks compute their products on their own goroutine, so
// that thread's time is the product's): "products-cpu-s/epoch" is their
// sum, "other-cpu-s/epoch" the rest of the process's CPU time (the lab's
// layers and loss, the sums of the parts, the update, the scheduler), and
// the log has one line per product shape as training and the evaluation
// meet it, with its CPU time per epoch and its GFLOP per CPU-second. Linux
// only (the other systems have no thread clock here).
func BenchmarkMNISTEpochProducts(b *testing.B) {
	if _, ok := threadCPUTime(); !ok {
		b.Skip("no thread CPU clock on this system")
	}
	X, T, XTest, TTest := syntheticMNIST()
	runtime.GC()
	train, eval := labEpoch(b, X, T, XTest, TTest)
	epoch := func() { train(); eval() }
	epoch() // the buffers get their sizes
	type shape struct {
		kind    string
		n, k, m int
	}
	var mu sync.Mutex
	cpu := map[shape]float64{}  // seconds
	flop := map[shape]float64{} // multiply-adds ×2
	watchProducts = func(kind string, n, k, m int) func() {
		runtime.LockOSThread() // the product's thread, whose clock is read
		c0, _ := threadCPUTime()
		return func() {
			c1, _ := threadCPUTime()
			runtime.UnlockOSThread()
			mu.Lock()
			cpu[shape{kind, n, k, m}] += (c1 - c0).Seconds()
			flop[shape{kind, n, k, m}] += 2 * float64(n) * float64(k) * float64(m)
			mu.Unlock()
		}
	}
	defer func() { watchProducts = nil }()
	b.ResetTimer()
	p0, _ := processCPUTime()
	for i := 0; i < b.N; i++ {
		epoch()
	}
	p1, _ := processCPUTime()
	b.StopTimer()
	watchProducts = nil
	var shapes []shape
	products := 0.0
	for s, t := range cpu {
		shapes = append(shapes, s)
		products += t
	}
	sort.Slice(shapes, func(i, j int) bool { return cpu[shapes[i]] > cpu[shapes[j]] })
	all := (p1 - p0).Seconds()
	for _, s := range shapes {
		t := cpu[s]
		b.Logf("%-10s %4dx%-4d·%4dx%-3d %6.3f cpu-s/epoch %5.1f%% %5.1f GFLOP/cpu-s", s.kind, s.n, s.k, s.k, s.m, t/float64(b.N), 100*t/all, flop[s]/t/1e9)
	}
	b.ReportMetric(all/float64(b.N), "cpu-s/epoch")
	b.ReportMetric(products/float64(b.N), "products-cpu-s/epoch")
	b.ReportMetric((all-products)/float64(b.N), "other-cpu-s/epoch")
}
