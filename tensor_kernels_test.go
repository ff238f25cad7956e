package main

// Tests of the product kernels: every kernel set this build can run (the
// portable one always, a SIMD one when the build and the CPU have it)
// against a naive triple loop, and bit-identity across GOMAXPROCS. The
// same tests run in the portable and in the GOEXPERIMENT=simd build.

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// kernelSets returns the kernel sets to test: the active one and, when it
// is not the portable one, the portable one as well.
func kernelSets() []kernelSet {
	if kernels.name == portableKernels.name {
		return []kernelSet{kernels}
	}
	return []kernelSet{kernels, portableKernels}
}

// withKernels runs f with ks as the active kernel set.
func withKernels(ks kernelSet, f func()) {
	saved := kernels
	kernels = ks
	defer func() { kernels = saved }()
	f()
}

// naiveSums returns want[i][j] = bias_j + Σ_p a(i,p)·b(p,j) and the
// scale |bias_j| + Σ_p |a(i,p)·b(p,j)| that bounds its rounding error.
func naiveSums(n, k, m int, a, b func(i, p int) float64, bias *Matrix) (want, scale *Matrix) {
	want, scale = NewMatrix(n, m), NewMatrix(n, m)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			s, t := 0.0, 0.0
			if bias != nil {
				s, t = bias.Data[j], math.Abs(bias.Data[j])
			}
			for p := 0; p < k; p++ {
				s += a(i, p) * b(p, j)
				t += math.Abs(a(i, p) * b(p, j))
			}
			want.Set(i, j, s)
			scale.Set(i, j, t)
		}
	}
	return want, scale
}

// kernelShapes are (n, k, m) of an n×k times k×m product: the degenerate
// ones, sizes on both sides of the SIMD register blocks (4 rows) and
// vector widths (4, 8) and of the portable panels (6 columns), and shapes
// big enough to be split over goroutines.
var kernelShapes = [][3]int{
	{1, 1, 1}, {1, 7, 1}, {1, 1, 9}, {9, 1, 1}, {1, 13, 11}, {13, 11, 1},
	{2, 3, 5}, {3, 5, 7}, {4, 4, 4}, {5, 9, 3}, {7, 17, 15}, {8, 8, 8},
	{9, 16, 17}, {12, 33, 13}, {16, 31, 24}, {17, 40, 33}, {31, 65, 12},
	{33, 19, 10}, {3, 0, 5}, {0, 4, 3},
	{131, 67, 37}, {300, 97, 64}, {257, 130, 10}, {203, 64, 65},
	{21, 530, 19}, {70, 257, 12}, // inner dimension past one and two kc-pieces of the SIMD kernels
	// around the portable kernels' panels (6 columns, 256 steps), row
	// groups (64) and transposed columns (32)
	{65, 256, 6}, {64, 513, 7}, {129, 255, 13}, {33, 300, 5}, {32, 31, 4},
}

// TestKernelsMatchNaive compares MatMul, MatMulBias, MatMulAT and MatMulBT
// with a naive loop. Rounding makes the results differ in the last bits
// (fused multiply-adds round once, and the SIMD kernels may sum in another
// order), so the test allows 1e-12 relative to the sum of the magnitudes of
// the terms, |bias| + Σ|a·b|: the honest scale of a dot product's rounding
// error, which a plain relative error is not when terms cancel. The
// portable kernels promise the naive loop's very order of operations, so
// on amd64 (where Go never fuses a multiply and an add) they must match it
// bit for bit.
func TestKernelsMatchNaive(t *testing.T) {
	t.Logf("active kernels: %s", KernelName())
	for _, ks := range kernelSets() {
		checkAgainstNaive(t, ks)
	}
}

// checkAgainstNaive runs the products with the kernel set ks on
// kernelShapes and compares them with naive sums (see
// TestKernelsMatchNaive).
func checkAgainstNaive(t *testing.T, ks kernelSet) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range kernelShapes {
		n, k, m := sh[0], sh[1], sh[2]
		A, B := randMatrix(rng, n, k), randMatrix(rng, k, m)
		bias := randMatrix(rng, 1, m)
		AT, BT := transpose(A), transpose(B)
		at := func(M *Matrix) func(i, p int) float64 { return M.At }
		cases := []struct {
			name       string
			run        func(dst *Matrix)
			want, scal *Matrix
		}{
			{name: "MatMul", run: func(dst *Matrix) { MatMul(dst, A, B) }},
			{name: "MatMulBias", run: func(dst *Matrix) { MatMulBias(dst, A, B, bias) }},
			{name: "MatMulAT", run: func(dst *Matrix) { MatMulAT(dst, AT, B) }},
			{name: "MatMulBT", run: func(dst *Matrix) { MatMulBT(dst, A, BT) }},
		}
		want, scale := naiveSums(n, k, m, at(A), at(B), nil)
		wantB, scaleB := naiveSums(n, k, m, at(A), at(B), bias)
		for _, c := range cases {
			w, s := want, scale
			if c.name == "MatMulBias" {
				w, s = wantB, scaleB
			}
			dst := NewMatrix(n, m)
			dst.Fill(math.NaN()) // every element must be written
			withKernels(ks, func() { c.run(dst) })
			tol := 1e-12
			if ks.name == portableKernels.name && runtime.GOARCH == "amd64" {
				tol = 0
			}
			if i, j, ok := closeTo(dst, w, s, tol); !ok {
				t.Errorf("%s kernels: %s %dx%d·%dx%d: element (%d,%d) = got %v; want %v (±%.3g)",
					ks.name, c.name, n, k, k, m, i, j, dst.At(i, j), w.At(i, j), tol*s.At(i, j))
			}
		}
	}
}

// closeTo reports the first element where |got − want| > tol·scale (NaN
// included), or ok.
func closeTo(got, want, scale *Matrix, tol float64) (i, j int, ok bool) {
	for i = 0; i < got.Rows; i++ {
		for j = 0; j < got.Cols; j++ {
			if !(math.Abs(got.At(i, j)-want.At(i, j)) <= tol*scale.At(i, j)) {
				return i, j, false
			}
		}
	}
	return 0, 0, true
}

// TestKernelsBitIdenticalAcrossGOMAXPROCS runs each product with one and
// with eight threads: the chunks, and so the bits, must not change.
func TestKernelsBitIdenticalAcrossGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := [][3]int{{517, 97, 61}, {300, 784, 64}, {1000, 64, 10}, {203, 64, 65}}
	for _, ks := range kernelSets() {
		for _, sh := range shapes {
			n, k, m := sh[0], sh[1], sh[2]
			A, B, bias := randMatrix(rng, n, k), randMatrix(rng, k, m), randMatrix(rng, 1, m)
			AT, BT := transpose(A), transpose(B)
			products := map[string]func(dst *Matrix){
				"MatMulBias": func(dst *Matrix) { MatMulBias(dst, A, B, bias) },
				"MatMulAT":   func(dst *Matrix) { MatMulAT(dst, AT, B) },
				"MatMulBT":   func(dst *Matrix) { MatMulBT(dst, A, BT) },
			}
			for name, run := range products {
				var got [2]*Matrix
				for r, procs := range []int{1, 8} {
					got[r] = NewMatrix(n, m)
					prev := runtime.GOMAXPROCS(procs)
					withKernels(ks, func() { run(got[r]) })
					runtime.GOMAXPROCS(prev)
				}
				for x := range got[0].Data {
					if math.Float64bits(got[0].Data[x]) != math.Float64bits(got[1].Data[x]) {
						t.Errorf("%s kernels: %s %dx%d·%dx%d: element %d = got %v with 8 threads; want %v (1 thread)",
							ks.name, name, n, k, k, m, x, got[1].Data[x], got[0].Data[x])
						break
					}
				}
			}
		}
	}
}
