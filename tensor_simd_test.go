//go:build goexperiment.simd && amd64

package main

import (
	"math"
	"math/rand/v2"
	"simd/archsimd"
	"testing"
)

// The assembly micro-kernel computes exactly what the archsimd one does:
// the same FMA chains, so the same bits, for any number of steps, any
// layout of a (packed; A·B or Aᵀ·B reading A in place), any stride of b,
// and with the bottom rows of dst repeated (one slice passed twice, with
// the same packed values, as at the edge of a block).
func TestKernelAsmMatchesArchsimd(t *testing.T) {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		t.Skip("this CPU has no AVX2 and FMA: the assembly kernel is never used on it")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct{ steps, ars, lda, ldb int }{
		{0, 1, 4, 8}, {1, 1, 4, 8}, {2, 1, 5, 9}, {7, 1, 4, 64}, {256, 1, 4, 8}, // packed, and odd strides
		{300, 1, 13, 10}, {256, 1, 784, 64}, // Aᵀ·B in place: the 4 values of a step side by side
		{256, 784, 1, 64}, {64, 70, 1, 8}, // A·B in place: 4 rows of A
	} {
		for _, repeat := range []bool{false, true} {
			a := make([]float64, 3*tc.ars+max(tc.steps-1, 0)*tc.lda+1)
			for i := range a {
				a[i] = rng.NormFloat64()
			}
			b := make([]float64, max(tc.steps-1, 0)*tc.ldb+8)
			for i := range b {
				b[i] = rng.NormFloat64()
			}
			var got, want [4][]float64
			for r := range got {
				got[r] = make([]float64, 8)
				for c := range got[r] {
					got[r][c] = rng.NormFloat64()
				}
				want[r] = append([]float64(nil), got[r]...)
			}
			if repeat { // rows 2 and 3 are the same row, as packTail and quad make them
				for p := 0; p < tc.steps; p++ {
					a[3*tc.ars+p*tc.lda] = a[2*tc.ars+p*tc.lda]
				}
				got[3], want[3] = got[2], want[2]
			}
			fma4x8(tc.steps, a, tc.ars, tc.lda, b, tc.ldb, got[0], got[1], got[2], got[3])
			fma4x8Go(tc.steps, a, tc.ars, tc.lda, b, tc.ldb, want[0], want[1], want[2], want[3])
			for r := range got {
				for c := range got[r] {
					if got[r][c] != want[r][c] {
						t.Errorf("steps %d, ars %d, lda %d, ldb %d, repeated rows %v: d%d[%d] = %v (assembly); want %v (archsimd)",
							tc.steps, tc.ars, tc.lda, tc.ldb, repeat, r, c, got[r][c], want[r][c])
					}
				}
			}
		}
	}
}

// The multi-block assembly kernel computes, block by block, what the
// archsimd kernel does: the same bits, for A read in place as A·B and Aᵀ·B
// read it, any stride of b and of d, and any number of blocks and steps.
func TestKernelBlocksMatchArchsimd(t *testing.T) {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		t.Skip("this CPU has no AVX2 and FMA: the assembly kernel is never used on it")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, tc := range []struct{ steps, ars, lda, ablk, ldb, ldd, nblk int }{
		{0, 1, 4, 4, 8, 8, 2},         // no steps: d unchanged
		{1, 1, 4, 4, 8, 8, 1},         // one step, one block
		{64, 64, 1, 256, 8, 64, 8},    // A·B, hidden layer: rows of A 64 apart, packed b
		{256, 784, 1, 3136, 8, 64, 3}, // A·B, first layer
		{300, 1, 784, 4, 64, 64, 5},   // Aᵀ·B: a step's 4 values side by side, b in place
		{10, 10, 1, 40, 8, 70, 4},     // A·Bᵀ through the output layer (k = 10), odd ldd
		{7, 3, 2, 13, 9, 11, 2},       // odd strides everywhere
	} {
		a := make([]float64, max(tc.nblk-1, 0)*tc.ablk+3*tc.ars+max(tc.steps-1, 0)*tc.lda+1)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		b := make([]float64, max(tc.steps-1, 0)*tc.ldb+8)
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		got := make([]float64, max(4*tc.nblk-1, 0)*tc.ldd+8)
		for i := range got {
			got[i] = rng.NormFloat64()
		}
		want := append([]float64(nil), got...)
		fma4x8blocks(tc.steps, a, tc.ars, tc.lda, tc.ablk, b, tc.ldb, got, tc.ldd, tc.nblk)
		for q := 0; q < tc.nblk; q++ {
			row := func(r int) []float64 { return want[(4*q+r)*tc.ldd:][:8] }
			fma4x8Go(tc.steps, a[q*tc.ablk:], tc.ars, tc.lda, b, tc.ldb, row(0), row(1), row(2), row(3))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%+v: d[%d] (row %d, column %d) = %v (assembly); want %v (archsimd, block by block)",
					tc, i, i/tc.ldd, i%tc.ldd, got[i], want[i])
			}
		}
	}
}

// The avx512 kernel set, its 16-wide micro-kernel emulated with two
// 8-wide halves (see emulateAVX512), matches the naive sums, and gives the
// avx2 set's results bit for bit: 16-wide packing, panels and edges are
// checked on a CPU without AVX-512. fma4x16 itself needs one to run.
func TestKernelsAVX512Emulated(t *testing.T) {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		t.Skip("this CPU has no AVX2 and FMA: the emulation runs on the avx2 kernels")
	}
	emulateAVX512 = true
	defer func() { emulateAVX512 = false }()
	avx512, avx2 := simdKernelSet("avx512", true), simdKernelSet("avx2", false)
	checkAgainstNaive(t, avx512)
	rng := rand.New(rand.NewPCG(15, 16))
	for _, sh := range kernelShapes {
		n, k, m := sh[0], sh[1], sh[2]
		A, B, bias := randMatrix(rng, n, k), randMatrix(rng, k, m), randMatrix(rng, 1, m)
		AT, BT := transpose(A), transpose(B)
		for _, c := range []struct {
			name string
			run  func(dst *Matrix)
		}{
			{"MatMulBias", func(dst *Matrix) { MatMulBias(dst, A, B, bias) }},
			{"MatMulAT", func(dst *Matrix) { MatMulAT(dst, AT, B) }},
			{"MatMulBT", func(dst *Matrix) { MatMulBT(dst, A, BT) }},
		} {
			got, want := NewMatrix(n, m), NewMatrix(n, m)
			withKernels(avx512, func() { c.run(got) })
			withKernels(avx2, func() { c.run(want) })
			for i, v := range got.Data {
				if v != want.Data[i] {
					t.Errorf("%s %dx%d·%dx%d: element (%d,%d) = %v (avx512, emulated); want %v (avx2)",
						c.name, n, k, k, m, i/m, i%m, v, want.Data[i])
					break
				}
			}
		}
	}
}

// The 4-wide ReLU kernels give the portable ones' results: the same bits
// for numbers (−0 and negatives to +0, +Inf kept), NaN kept as NaN, on
// rows of every length around the vector width.
func TestReLUKernelsMatchPortable(t *testing.T) {
	if !archsimd.X86.AVX2() {
		t.Skip("this CPU has no AVX2: the SIMD kernels are never used on it")
	}
	special := []float64{math.NaN(), math.Copysign(0, -1), 0, -1, 1, math.Inf(1), math.Inf(-1),
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, -math.MaxFloat64, math.MaxFloat64}
	rng := rand.New(rand.NewPCG(17, 18))
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
	}
	for _, sh := range [][2]int{{1, 1}, {1, 3}, {1, 4}, {2, 5}, {3, 7}, {5, 64}, {7, 10}, {300, 13}} {
		rows, cols := sh[0], sh[1]
		X, D := randMatrix(rng, rows, cols), randMatrix(rng, rows, cols)
		for i := range X.Data {
			if rng.IntN(3) == 0 {
				X.Data[i] = special[rng.IntN(len(special))]
			}
		}
		for _, c := range []struct {
			name           string
			simd, portable rowKernel
			B              *Matrix
		}{
			{"forward", simdReLURows, reluRows, nil},
			{"delta", simdReLUDeltaRows, reluDeltaRows, D},
		} {
			got, want := NewMatrix(rows, cols), NewMatrix(rows, cols)
			got.Fill(42)
			c.simd(got, X, c.B, nil, 0, rows)
			c.portable(want, X, c.B, nil, 0, rows)
			for i := range got.Data {
				if !same(got.Data[i], want.Data[i]) {
					t.Errorf("%s %dx%d: element %d (input %v) = %v (SIMD); want %v (portable)",
						c.name, rows, cols, i, X.Data[i], got.Data[i], want.Data[i])
				}
			}
		}
	}
}

// BACKPROP_KERNELS picks a kernel set the CPU runs; without it, or when the
// CPU cannot run the one asked for, the fastest the CPU runs is taken.
func TestKernelsPickedByCPUAndEnvironment(t *testing.T) {
	for _, tc := range []struct {
		want         string
		avx512, avx2 bool
		got          string
	}{
		{"", true, true, "avx512"},
		{"", false, true, "avx2"},
		{"", false, false, "portable"},
		{"portable", true, true, "portable"},
		{"avx2", true, true, "avx2"},
		{"avx2", false, false, "portable"},
		{"avx512", false, true, "avx2"},
		{"sse", false, true, "avx2"},
	} {
		if got := pickKernels(tc.want, tc.avx512, tc.avx2).name; got != tc.got {
			t.Errorf("BACKPROP_KERNELS=%q, AVX-512 %v, AVX2+FMA %v: got %s; want %s", tc.want, tc.avx512, tc.avx2, got, tc.got)
		}
	}
}
