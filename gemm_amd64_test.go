//go:build amd64 && !purego

package main

import (
	"math"
	"testing"
)

// twinKernel is the Go twin of the assembly kernels: the contract of
// gemm.go ("A kernel adds") for r rows, written out with math.FMA, which
// rounds once per step as VFMADD231PD does. Each assembly kernel must give
// its bits exactly.
func twinKernel(r, k int, a []float64, ars, aps int, b []float64, ldb int, c []float64, ldc int, v []float64) {
	for i := 0; i < r; i++ {
		for j := 0; j < panelW; j++ {
			s := c[i*ldc+j]
			if v != nil {
				s = v[j]
			}
			for p := 0; p < k; p++ {
				s = math.FMA(a[i*ars+p*aps], b[p*ldb+j], s)
			}
			c[i*ldc+j] = s
		}
	}
}

// Each assembly kernel, for one block, for several blocks in one call and
// for a single row, starting from
// a vector or from the sums in c, with strides as each product uses them
// (a's rows or its columns in place, b in place or packed), gives the
// twin's bits, and writes nothing outside its block.
func TestKernelsMatchTwin(t *testing.T) {
	rng := newTestRNG(77)
	for _, ks := range runnableSets() {
		if ks.id == portableID {
			continue
		}
		for _, r := range []int{ks.rows, 3 * ks.rows, 1} {
			for _, k := range []int{1, 2, 7, 64, 255, 256, 600} {
				for _, layout := range []struct{ ars, aps, ldb, ldc int }{
					{k, 1, panelW, panelW}, // A·B rows of a, a packed panel
					{1, 37, 64, 64},        // Aᵀ·B: a's columns, b and c in place
					{k + 3, 1, 80, 19},     // odd strides
				} {
					for _, fromV := range []bool{true, false} {
						a := randMatrix(rng, 1, (r-1)*layout.ars+(k-1)*layout.aps+1).Data
						b := randMatrix(rng, 1, (k-1)*layout.ldb+panelW).Data
						c := randMatrix(rng, 1, (r-1)*layout.ldc+panelW+layout.ldc).Data // a row past the block
						var v []float64
						if fromV {
							v = randMatrix(rng, 1, panelW).Data
						}
						want := append([]float64(nil), c...)
						twinKernel(r, k, a, layout.ars, layout.aps, b, layout.ldb, want, layout.ldc, v)
						got := append([]float64(nil), c...)
						callKernel(ks.id, r, k, a, layout.ars, layout.aps, b, layout.ldb, got, layout.ldc, v)
						for i := range want {
							if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
								t.Errorf("%s kernel, %d rows, %d steps, strides %+v, from v %v: c[%d] = %v; want the twin's %v",
									ks.name, r, k, layout, fromV, i, got[i], want[i])
								break
							}
						}
					}
				}
			}
		}
	}
}
