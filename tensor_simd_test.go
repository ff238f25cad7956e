//go:build goexperiment.simd && amd64

package main

import (
	"math/rand/v2"
	"simd/archsimd"
	"testing"
)

// The assembly micro-kernel computes exactly what the archsimd one does:
// the same FMA chains, so the same bits, for any number of steps, any
// stride of a (4: packed; more: Aᵀ·B reading A in place) and of b, and with the bottom rows of dst repeated (one slice passed
// twice, with the same packed values, as at the edge of a block).
func TestKernelAsmMatchesArchsimd(t *testing.T) {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		t.Skip("this CPU has no AVX2 and FMA: the assembly kernel is never used on it")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct{ steps, lda, ldb int }{{0, 4, 8}, {1, 4, 8}, {2, 5, 9}, {7, 4, 64}, {256, 4, 8}, {300, 13, 10}, {256, 784, 64}} {
		for _, repeat := range []bool{false, true} {
			a := make([]float64, max(tc.steps-1, 0)*tc.lda+4)
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
			if repeat { // rows 2 and 3 are the same row, as packA and quad make them
				for p := 0; p < tc.steps; p++ {
					a[p*tc.lda+3] = a[p*tc.lda+2]
				}
				got[3], want[3] = got[2], want[2]
				copy(want[2], got[2])
			}
			fma4x8(tc.steps, a, tc.lda, b, tc.ldb, got[0], got[1], got[2], got[3])
			fma4x8Go(tc.steps, a, tc.lda, b, tc.ldb, want[0], want[1], want[2], want[3])
			for r := range got {
				for c := range got[r] {
					if got[r][c] != want[r][c] {
						t.Errorf("steps %d, lda %d, ldb %d, repeated rows %v: d%d[%d] = %v (assembly); want %v (archsimd)",
							tc.steps, tc.lda, tc.ldb, repeat, r, c, got[r][c], want[r][c])
					}
				}
			}
		}
	}
}
