//go:build goexperiment.simd && amd64

package main

// The background kernels of sparse.go with 4-wide fused multiply-adds, for
// the SIMD build. Every element is the same chain as in bgMulRows and
// bgATCols (start value, then the foreground's terms in ascending order),
// each step one fused multiply-add, so the vector lanes and the scalar
// edges (math.FMA) give the same bits, and the results differ from the
// portable kernels' in the last bits only.

import (
	"math"
	"simd/archsimd"
)

// simdBgMulRows is bgMulRows with fused multiply-adds: 32 columns at a
// time in assembly (eight 4-wide sums in registers over all of a row's
// foreground), the first 32 with bgRow32, which looks the d's up in the
// table as it goes and lists them, the others with bgRow32List, which
// reads them from that list; the rest 4 at a time in archsimd Go, then
// one at a time.
func simdBgMulRows(dst, A, B, list *Matrix, i0, i1 int) {
	defer archsimd.ClearAVXUpperBits()
	m, diff := B.Cols, A.bg.diff
	for i := i0; i < i1; i++ {
		cols, bytes := A.foreground(i)
		ds, s0 := bgList(A, list, i)
		out := dst.Row(i)
		copy(out, s0)
		j := 0
		if m >= 32 {
			bgRow32(out[0:32], ds, diff, B.Data, m, cols, bytes)
			j = 32
		} else {
			// Scalar code, and no 256-bit code has run since the last
			// VZEROUPPER: no AVX–SSE transitions.
			for k, c := range cols {
				ds[k] = diff[int(c)*256+int(bytes[k])]
			}
		}
		for ; j+32 <= m; j += 32 {
			bgRow32List(out[j:j+32], ds, B.Data[j:], m, cols)
		}
		if j < m {
			bgAddNarrow(out, ds, B, cols, j)
		}
	}
}

// bgRow32 runs the assembly kernel bgRow32Asm (tensor_simd_amd64.s) after
// checking that it stays inside the slices: out has 32 values, bytes and
// ds as many as cols, and the last (largest: the columns ascend) column c
// has its 256 entries in diff and its row w[c·ldw : c·ldw+32].
func bgRow32(out, ds, diff, w []float64, ldw int, cols []uint16, bytes []uint8) {
	if len(cols) == 0 {
		return
	}
	last := int(cols[len(cols)-1])
	_, _, _, _, _ = out[31], bytes[len(cols)-1], ds[len(cols)-1], diff[256*last+255], w[last*ldw+31]
	bgRow32Asm(&out[0], &ds[0], &diff[0], &w[0], ldw, &cols[0], &bytes[0], len(cols))
}

// bgRow32List runs bgRow32ListAsm after the same checks, d read from ds.
func bgRow32List(out, ds, w []float64, ldw int, cols []uint16) {
	if len(cols) == 0 {
		return
	}
	_, _, _ = out[31], ds[len(cols)-1], w[int(cols[len(cols)-1])*ldw+31]
	bgRow32ListAsm(&out[0], &ds[0], &w[0], ldw, &cols[0], len(cols))
}

// bgRow32Asm and bgRow32ListAsm are in tensor_simd_amd64.s.
//
//go:noescape
func bgRow32Asm(out, ds, diff, w *float64, ldw int, cols *uint16, bytes *uint8, n int)

//go:noescape
func bgRow32ListAsm(out, ds, w *float64, ldw int, cols *uint16, n int)

// bgAddNarrow adds ds[k]·B[cols[k], j:m] to out[j:m], 4 columns at a
// time and then one at a time, with the chains of the assembly kernels
// (math.FMA rounds once, like a vector lane).
func bgAddNarrow(out, ds []float64, B *Matrix, cols []uint16, j int) {
	m := B.Cols
	ds = ds[:len(cols)]
	for ; j+4 <= m; j += 4 {
		o := archsimd.LoadFloat64x4((*[4]float64)(out[j : j+4]))
		for k, c := range cols {
			o = archsimd.BroadcastFloat64x4(ds[k]).MulAdd(archsimd.LoadFloat64x4((*[4]float64)(B.Data[int(c)*m+j:][:4])), o)
		}
		o.Store((*[4]float64)(out[j : j+4]))
	}
	archsimd.ClearAVXUpperBits()
	for ; j < m; j++ {
		o := out[j]
		for k, c := range cols {
			o = math.FMA(ds[k], B.Data[int(c)*m+j], o)
		}
		out[j] = o
	}
}

// simdBgATCols is bgATCols with strips of 8 columns in two Float64x4 per
// foreground value (a narrower last strip as scalar math.FMA chains).
func simdBgATCols(dst, A, B, diffs *Matrix, j0, j1 int) {
	defer archsimd.ClearAVXUpperBits()
	m, n, base := B.Cols, dst.Rows, A.bg.base
	strip := getStrip(8 * n)
	defer putStrip(strip)
	for j := j0; j < j1; j += 8 {
		w := min(8, j1-j)
		if w < 8 {
			bgATNarrow(dst, A, B, diffs, strip, j, w)
			continue
		}
		sum0, sum1 := archsimd.BroadcastFloat64x4(0), archsimd.BroadcastFloat64x4(0)
		for s := 0; s < B.Rows; s++ {
			b := B.Data[s*m+j : s*m+j+8 : s*m+j+8]
			sum0 = sum0.Add(archsimd.LoadFloat64x4((*[4]float64)(b[0:4])))
			sum1 = sum1.Add(archsimd.LoadFloat64x4((*[4]float64)(b[4:8])))
		}
		for c, v := range base {
			o := strip[8*c : 8*c+8 : 8*c+8]
			archsimd.BroadcastFloat64x4(v).Mul(sum0).Store((*[4]float64)(o[0:4]))
			archsimd.BroadcastFloat64x4(v).Mul(sum1).Store((*[4]float64)(o[4:8]))
		}
		for s := 0; s < A.Rows; s++ {
			cols, _ := A.foreground(s)
			bgStrip8(strip, A.rowDiffs(diffs, s), cols, B.Data[s*m+j:s*m+j+8])
		}
		for c := 0; c < n; c++ {
			copy(dst.Data[c*m+j:c*m+j+8], strip[8*c:8*c+8])
		}
	}
}

// bgStrip8 runs the assembly kernel bgStrip8Asm (tensor_simd_amd64.s)
// after checking that it stays inside the slices: b has 8 values, ds as
// many as cols, and the strip a row of 8 for the last (largest) column.
func bgStrip8(strip, ds []float64, cols []uint16, b []float64) {
	if len(cols) == 0 {
		return
	}
	_, _, _ = b[7], ds[len(cols)-1], strip[8*int(cols[len(cols)-1])+7]
	bgStrip8Asm(&strip[0], &ds[0], &cols[0], len(cols), &b[0])
}

// bgStrip8Asm is in tensor_simd_amd64.s.
//
//go:noescape
func bgStrip8Asm(strip, ds *float64, cols *uint16, n int, b *float64)

// bgATNarrow computes a last strip of w < 8 columns of simdBgATCols as
// scalar chains: the sums of B's columns, the start values and the fused
// multiply-adds of the vector lanes, one element at a time.
func bgATNarrow(dst, A, B, diffs *Matrix, strip []float64, j, w int) {
	m, n, base := B.Cols, dst.Rows, A.bg.base
	for t := 0; t < w; t++ {
		sum := 0.0
		for s := 0; s < B.Rows; s++ {
			sum += B.Data[s*m+j+t]
		}
		for c, v := range base {
			strip[c] = v * sum
		}
		for s := 0; s < A.Rows; s++ {
			b := B.Data[s*m+j+t]
			cols, _ := A.foreground(s)
			ds := A.rowDiffs(diffs, s)
			for k, c := range cols {
				strip[c] = math.FMA(ds[k], b, strip[c])
			}
		}
		for c := 0; c < n; c++ {
			dst.Data[c*m+j+t] = strip[c]
		}
	}
}
