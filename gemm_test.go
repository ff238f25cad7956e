package main

// Tests of the products' kernels (go test -run Kernels): every kernel set
// this build and CPU run — the portable one always, the assembly ones on
// amd64 unless built with -tags purego — against naive sums, on shapes
// around every block, panel, piece and chunk boundary; the same bits on any
// number of cores; the assembly sets the same bits as each other; NaN and
// infinities where the naive sums have them. gemm_amd64_test.go checks each
// assembly kernel against its Go twin.

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
)

// runnableSets are the kernel sets this build has and this CPU runs.
func runnableSets() []kernelSet {
	var sets []kernelSet
	for _, ks := range kernelSets {
		if cpuRuns[ks.id] {
			sets = append(sets, ks)
		}
	}
	return sets
}

// withKernels runs f with ks as the kernel set in use.
func withKernels(ks kernelSet, f func()) {
	saved := kernels
	kernels = ks
	defer func() { kernels = saved }()
	f()
}

// productCase is one of the three products (and MatMul), for operands of
// an (n, k) × (k, m) product stored as that product takes them.
type productCase struct {
	name           string
	transA, transB bool
	bias           bool
	run            func(dst, A, B, bias *Matrix) *Matrix
}

var productCases = []productCase{
	{name: "MatMul", run: func(dst, A, B, _ *Matrix) *Matrix { return MatMul(dst, A, B) }},
	{name: "MatMulBias", bias: true, run: MatMulBias},
	{name: "MatMulAT", transA: true, run: func(dst, A, B, _ *Matrix) *Matrix { return MatMulAT(dst, A, B) }},
	{name: "MatMulBT", transB: true, run: func(dst, A, B, _ *Matrix) *Matrix { return MatMulBT(dst, A, B) }},
}

// operands returns random A, B and bias for an n×k by k×m product.
func (pc productCase) operands(seed uint64, n, k, m int) (A, B, bias *Matrix) {
	rng := newTestRNG(seed)
	if pc.transA {
		A = randMatrix(rng, k, n)
	} else {
		A = randMatrix(rng, n, k)
	}
	if pc.transB {
		B = randMatrix(rng, m, k)
	} else {
		B = randMatrix(rng, k, m)
	}
	if pc.bias {
		bias = randMatrix(rng, 1, m)
	}
	return A, B, bias
}

// compute runs the product into a destination full of NaN, so that a
// kernel that reads what it should overwrite is caught.
func (pc productCase) compute(A, B, bias *Matrix, n, m int) *Matrix {
	dst := NewMatrix(n, m)
	dst.Fill(math.NaN())
	return pc.run(dst, A, B, bias)
}

// naiveSums returns want = bias + op(A)·op(B) by the definition, and the
// scale |bias_j| + Σ_p |a(i,p)·b(p,j)| that bounds each element's rounding
// error.
func naiveSums(pc productCase, A, B, bias *Matrix) (want, scale *Matrix) {
	if pc.transA {
		A = transpose(A)
	}
	if pc.transB {
		B = transpose(B)
	}
	n, k, m := A.Rows, A.Cols, B.Cols
	want, scale = NewMatrix(n, m), NewMatrix(n, m)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			s, t := 0.0, 0.0
			if bias != nil {
				s, t = bias.Data[j], math.Abs(bias.Data[j])
			}
			for p := 0; p < k; p++ {
				s += A.At(i, p) * B.At(p, j)
				t += math.Abs(A.At(i, p) * B.At(p, j))
			}
			want.Set(i, j, s)
			scale.Set(i, j, t)
		}
	}
	return want, scale
}

// transpose returns Aᵀ.
func transpose(A *Matrix) *Matrix {
	T := NewMatrix(A.Cols, A.Rows)
	for i := 0; i < A.Rows; i++ {
		for j := 0; j < A.Cols; j++ {
			T.Data[j*A.Rows+i] = A.Data[i*A.Cols+j]
		}
	}
	return T
}

// checkNearNaive reports the first element of a product that is not
// within 1e-12 of the sum of |terms| (scale) of the naive sums (want; both
// from naiveSums).
func checkNearNaive(t *testing.T, what string, got, want, scale *Matrix) {
	t.Helper()
	for i := range want.Data {
		if d := math.Abs(got.Data[i] - want.Data[i]); !(d <= 1e-12*scale.Data[i]+1e-300) {
			t.Errorf("%s: element (%d,%d) = %v; want %v (within 1e-12 of %v)", what, i/want.Cols, i%want.Cols, got.Data[i], want.Data[i], scale.Data[i])
			return
		}
	}
}

// kernelShapes are (n, k, m): degenerate ones; rows around the blocks (1,
// 3, 8 rows) and chunks; columns around the 16-wide panels (narrow last
// panels of 1 to 15); inner dimensions around the 256- and 512-step pieces; and the
// lab's MNIST shapes.
var kernelShapes = [][3]int{
	{1, 1, 1}, {1, 7, 1}, {1, 1, 9}, {9, 1, 1}, {2, 3, 5}, {3, 5, 7}, {4, 4, 4},
	{5, 9, 3}, {7, 17, 15}, {8, 8, 8}, {9, 16, 17}, {11, 33, 16}, {17, 40, 33},
	{24, 31, 32}, {25, 19, 10}, {3, 0, 5}, {0, 4, 3}, {5, 3, 0},
	{131, 67, 37}, {300, 97, 64}, {257, 130, 10}, {203, 64, 65},
	{21, 256, 19}, {21, 257, 16}, {19, 530, 48}, {70, 513, 12},
	{3000, 64, 64}, {3000, 64, 10}, {784, 300, 64},
}

// Every kernel set's products agree with the naive sums within 1e-12 of
// the sum of |terms| (the portable kernel rounds each product and each sum,
// the assembly ones only each fused step, and both sum in another order
// than nobody's: the bound covers either), and every element is written.
func TestKernelsMatchNaive(t *testing.T) {
	for _, ks := range runnableSets() {
		for _, pc := range productCases {
			for si, s := range kernelShapes {
				n, k, m := s[0], s[1], s[2]
				A, B, bias := pc.operands(uint64(si), n, k, m)
				var got *Matrix
				withKernels(ks, func() { got = pc.compute(A, B, bias, n, m) })
				want, scale := naiveSums(pc, A, B, bias)
				checkNearNaive(t, fmt.Sprintf("%s kernels, %s %dx%d·%dx%d", ks.name, pc.name, n, k, k, m), got, want, scale)
			}
		}
	}
}

// The shapes of the tests above take MatMulAT through rowsFlipped (gemm.go)
// in every way it can go: a single column, several buffers' worth of rows,
// a last panel narrower than 16; and through the direct path too.
func TestKernelsFlippedShapesCovered(t *testing.T) {
	var one, steps, narrow, direct bool
	for _, s := range kernelShapes {
		n, m := s[0], s[2]
		if n == 0 || m == 0 || s[1] == 0 {
			continue
		}
		pr := product{dst: &Matrix{Rows: n, Cols: m}, ars: 1, aps: n, bcs: 1, brs: m}
		if !pr.flips() {
			direct = direct || n > 1
			continue
		}
		one = one || m == 1
		steps = steps || n > flipBuf/m/panelW*panelW
		narrow = narrow || n%panelW != 0
	}
	if !one || !steps || !narrow || !direct {
		t.Errorf("kernelShapes: a single column %v, several buffers %v, a narrow last panel %v, the direct path %v; want all", one, steps, narrow, direct)
	}
}

// On one thread a product's rows are not cut into chunks, so a long
// forward product goes through rowsDirect's groups of groupRows (gemm.go):
// every kernel set still agrees with the naive sums, including a last
// group and a last block that are short, and gives the bits it gives in
// chunks on two threads.
func TestKernelsGroupedRows(t *testing.T) {
	old := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	pc := productCases[1] // MatMulBias: b's panels read in place
	for _, s := range [][3]int{{203, 784, 64}, {150, 600, 48}} {
		n, k, m := s[0], s[1], s[2]
		if n*min(pieceK, k) <= groupFrom {
			t.Fatalf("%dx%d·%dx%d is not cut into groups: pick a bigger shape", n, k, k, m)
		}
		A, B, bias := pc.operands(uint64(n), n, k, m)
		want, scale := naiveSums(pc, A, B, bias)
		for _, ks := range runnableSets() {
			var grouped, chunked *Matrix
			runtime.GOMAXPROCS(1)
			withKernels(ks, func() { grouped = pc.compute(A, B, bias, n, m) })
			runtime.GOMAXPROCS(2)
			withKernels(ks, func() { chunked = pc.compute(A, B, bias, n, m) })
			checkNearNaive(t, fmt.Sprintf("%s kernels, %s %dx%d·%dx%d on one thread", ks.name, pc.name, n, k, k, m), grouped, want, scale)
			checkSame(t, fmt.Sprintf("%s kernels, %s %dx%d·%dx%d on one thread vs two", ks.name, pc.name, n, k, k, m), grouped, chunked)
		}
	}
}

// Every kernel set gives the same bits on 1, 2 and 8 threads (the chunks
// differ; each element's sum does not).
func TestKernelsSameBitsOnAnyNumberOfCores(t *testing.T) {
	old := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	shapes := [][3]int{{300, 257, 67}, {200, 64, 64}, {64, 1000, 10}, {1000, 10, 64}, {784, 600, 64}}
	for _, ks := range runnableSets() {
		for _, pc := range productCases {
			for _, s := range shapes {
				A, B, bias := pc.operands(7, s[0], s[1], s[2])
				var one *Matrix
				for _, procs := range []int{1, 2, 8} {
					runtime.GOMAXPROCS(procs)
					var got *Matrix
					withKernels(ks, func() { got = pc.compute(A, B, bias, s[0], s[2]) })
					if one == nil {
						one = got
						continue
					}
					checkSame(t, fmt.Sprintf("%s kernels, %s %dx%d·%dx%d on %d threads vs 1", ks.name, pc.name, s[0], s[1], s[1], s[2], procs), got, one)
				}
			}
		}
	}
}

// The assembly kernel sets compute the same chains of fused multiply-adds,
// so they give the same bits as each other on whole products.
func TestKernelsAssemblySetsAgree(t *testing.T) {
	var fused []kernelSet
	for _, ks := range runnableSets() {
		if ks.id != portableID {
			fused = append(fused, ks)
		}
	}
	if len(fused) < 2 {
		t.Skipf("this CPU runs %d assembly kernel set(s): nothing to compare", len(fused))
	}
	for _, pc := range productCases {
		for si, s := range kernelShapes {
			A, B, bias := pc.operands(uint64(50+si), s[0], s[1], s[2])
			var first *Matrix
			for _, ks := range fused {
				var got *Matrix
				withKernels(ks, func() { got = pc.compute(A, B, bias, s[0], s[2]) })
				if first == nil {
					first = got
					continue
				}
				checkSame(t, fmt.Sprintf("%s vs %s kernels, %s %dx%d·%dx%d", ks.name, fused[0].name, pc.name, s[0], s[1], s[1], s[2]), got, first)
			}
		}
	}
}

// NaN and infinities in the operands reach the same elements as in the
// naive sums, and nowhere else.
func TestKernelsNonFinite(t *testing.T) {
	for _, ks := range runnableSets() {
		for _, pc := range productCases {
			n, k, m := 37, 300, 21
			A, B, bias := pc.operands(9, n, k, m)
			A.Data[5] = math.NaN()
			A.Data[len(A.Data)/2] = math.Inf(1)
			B.Data[len(B.Data)-1] = math.Inf(-1)
			var got *Matrix
			withKernels(ks, func() { got = pc.compute(A, B, bias, n, m) })
			want, _ := naiveSums(pc, A, B, bias)
			for i := range want.Data {
				g, w := got.Data[i], want.Data[i]
				if math.IsNaN(g) != math.IsNaN(w) || (math.IsInf(w, 0) && g != w) || (finite(w) && !finite(g)) {
					t.Errorf("%s kernels, %s: element (%d,%d) = %v; want %v", ks.name, pc.name, i/m, i%m, g, w)
				}
			}
		}
	}
}

// BACKPROP_KERNELS picks a set the CPU runs; empty gives the fastest; an
// unknown name, or a set this build or CPU cannot run, is an error that
// names the sets it runs.
func TestKernelsChosen(t *testing.T) {
	runs := runnableSets()
	fastest := runs[0]
	if got, err := chooseKernels(""); err != nil || got.name != fastest.name {
		t.Errorf("chooseKernels(\"\") = %s, %v; want the fastest this CPU runs, %s", got.name, err, fastest.name)
	}
	for _, ks := range runs {
		if got, err := chooseKernels(ks.name); err != nil || got.name != ks.name {
			t.Errorf("chooseKernels(%q) = %s, %v; want %s", ks.name, got.name, err, ks.name)
		}
	}
	if got, err := chooseKernels("portable"); err != nil || got.id != portableID {
		t.Errorf("chooseKernels(\"portable\") = %s, %v; want portable", got.name, err)
	}
	refused := []string{"garbage", "AVX2", " avx2", "avx"}
	for _, name := range kernelNames {
		if _, err := chooseKernels(name); err != nil {
			refused = append(refused, name) // a set this build or CPU lacks
		}
	}
	for _, name := range refused {
		_, err := chooseKernels(name)
		if err == nil {
			t.Errorf("chooseKernels(%q): no error; want one", name)
			continue
		}
		for _, ks := range runs {
			if !strings.Contains(err.Error(), ks.name) {
				t.Errorf("chooseKernels(%q): %q does not name %s, a set this CPU runs", name, err, ks.name)
			}
		}
		if !strings.Contains(err.Error(), "BACKPROP_KERNELS") {
			t.Errorf("chooseKernels(%q): %q does not name the variable", name, err)
		}
	}
}

// The program refuses to start on a BACKPROP_KERNELS it cannot honour,
// with a usage error (exit code 2) and no stack trace, before any work.
func TestKernelsFromEnvRefused(t *testing.T) {
	needLab(t, labPlain)
	for _, c := range []struct {
		value string
		code  int
	}{{"garbage", 2}, {"", 0}, {runnableSets()[0].name, 0}} {
		t.Setenv("BACKPROP_KERNELS", c.value)
		code, _, stderr := runMain("-exp", "xor", "-epochs", "1", "-q", "-plot=false", "-out", t.TempDir())
		if code != c.code {
			t.Errorf("BACKPROP_KERNELS=%q: exit code %d; want %d\nstderr: %s", c.value, code, c.code, stderr)
		}
		if c.code != 0 && (!strings.Contains(stderr, "BACKPROP_KERNELS") || strings.Contains(stderr, "goroutine")) {
			t.Errorf("BACKPROP_KERNELS=%q: stderr %q; want the variable named, no stack trace", c.value, stderr)
		}
	}
}
