//go:build goexperiment.simd && amd64

package main

// SIMD kernels for the three products, for builds with GOEXPERIMENT=simd on
// amd64 (Go 1.26+: the simd/archsimd package exists only in such builds;
// the portable build never compiles this file). init picks them by CPU:
//
//	AVX-512        "avx512": 4×16 register blocks of Float64x8
//	AVX2 and FMA   "avx2":   4×8 register blocks of Float64x4, the full
//	               blocks in assembly (tensor_simd_amd64.s, see fma4x8asm)
//	otherwise      the portable kernels of tensor.go stay
//
// NOTE: the AVX-512 micro-kernel fma4x16 has never run: the machine it was
// developed on (a 2-core AMD EPYC) has AVX2 and FMA but no AVX-512. The
// rest of the avx512 set (16-wide packing, panels, edges) is tested there
// with fma4x16 emulated by two 8-wide halves (TestKernelsAVX512Emulated);
// on an AVX-512 CPU TestKernelsMatchNaive checks the whole set.
//
// Arithmetic. Every output element is computed as one chain of fused
// multiply-adds in ascending order of the inner index p, starting from the
// bias (or 0): s ← fma(a_p, b_p, s). A vector lane holds one output element,
// so vectorizing across columns changes nothing in that chain, and the
// edges (fewer rows or columns than a block) run the same chain. An element's
// bits therefore do not depend on the block, the chunk or the number of
// threads that compute it, and the avx2 and avx512 paths agree bit for bit.
// They differ from the portable kernels, which round the product and the
// sum separately, in the last bits (within 1e-12 relative; see
// TestKernelsMatchNaive).
//
// Blocking. The micro-kernels keep a block of 4 rows × one panel (8 or 16
// columns) of dst in registers over up to kc steps of p, loading each row
// of the panel of B once per step and broadcasting one element of A per
// row. A group of rows goes over the panels of B one after the other, so a
// piece of kc rows of A stays in cache while the panels pass by. The left
// factor is read where it lies (for Aᵀ·B a step's four values are side by
// side in a row of A); only a last block of fewer than 4 rows is packed,
// on the goroutine's stack. The right factor of A·B and A·Bᵀ (a layer's
// weights) is copied once per product into contiguous panels (packB,
// below); that of Aᵀ·B (δ, as big as A) is read where it lies.

import (
	"math"
	"os"
	"simd/archsimd"
)

func init() {
	kernels = pickKernels(os.Getenv("BACKPROP_KERNELS"), archsimd.X86.AVX512(), archsimd.X86.AVX2() && archsimd.X86.FMA())
}

// pickKernels returns the fastest kernel set the CPU runs (avx512 needs
// AVX-512, avx2 needs AVX2 and FMA), or the one named by want (the
// environment variable BACKPROP_KERNELS: portable, avx2 or avx512) when the
// CPU runs it: a way to compare the sets in one build, and to step around
// the avx512 set, which has never run on the machine it was written on.
// Any other value of want is ignored.
func pickKernels(want string, avx512, avx2 bool) kernelSet {
	switch {
	case want == "portable":
		return portableKernels
	case want == "avx2" && avx2:
		return simdKernelSet("avx2", false)
	case avx512:
		return simdKernelSet("avx512", true)
	case avx2:
		return simdKernelSet("avx2", false)
	}
	return portableKernels
}

// kc is the length of the pieces of the inner dimension.
const kc = 256

// panel adds Σ_p a(r, p)·b[p*ldb+c] to d_r[c] for the four rows r and the
// w columns c of one panel (w at most the panel width: 16 when avx512, else
// 8), p over steps, as FMA chains in ascending p; a(r, p) is
// a[r*ars + p*lda] (see the micro-kernels). It calls the micro-kernels
// directly (not through a function value) so that escape analysis sees
// that the packing buffers stay on the stack.
func panel(avx512 bool, steps int, a []float64, ars, lda int, b []float64, ldb, w int, over bool, d0, d1, d2, d3 []float64) {
	if avx512 {
		panelAVX512(steps, a, ars, lda, b, ldb, w, over, d0, d1, d2, d3)
	} else {
		panelAVX2(steps, a, ars, lda, b, ldb, w, over, d0, d1, d2, d3)
	}
}

func simdKernelSet(name string, avx512 bool) kernelSet {
	width, pack, packT := 8, packRows8, packRowsT8
	if avx512 {
		width, pack, packT = 16, packRows16, packRowsT16
	}
	// A·B and A·Bᵀ are the same product once the right factor is packed
	// (A·Bᵀ has no bias: runProduct passes nil).
	packed := func(dst, A, P, bias *Matrix, i0, i1 int) {
		startRows(dst, bias, i0, i1)
		simdRows(avx512, width, dst, A, A.Cols, 1, P, true, i0, i1)
	}
	return kernelSet{
		name:   name,
		matMul: packed,
		matMulAT: func(dst, A, B, _ *Matrix, i0, i1 int) {
			startRows(dst, nil, i0, i1)
			simdRows(avx512, width, dst, A, 1, A.Cols, B, false, i0, i1)
		},
		matMulBT: packed,
		packB: func(B *Matrix, bT bool) *Matrix {
			k, m := B.Rows, B.Cols
			if bT {
				k, m = m, k
			}
			P := getPacked(k, m)
			if bT {
				runProduct(packT, P, B, nil, nil, B.Rows, B.Cols)
			} else {
				runProduct(pack, P, B, nil, nil, B.Rows, B.Cols)
			}
			return P
		},
		freeB:     putPacked,
		relu:      simdReLURows,
		reluDelta: simdReLUDeltaRows,
		bgMul:     simdBgMulRows,
		bgAT:      simdBgATCols,
	}
}

// simdReLURows is reluRows 4 elements at a time: x where x > 0 or x is
// NaN, else +0, as a mask on x's bits. (archsimd's Max would do for the
// numbers, but which operand VMAXPD returns for a NaN depends on the
// order the compiler gives the operands.) The last len%4 elements go
// through relu, as in reluRows. Same results as reluRows
// (TestReLUKernelsMatchPortable).
func simdReLURows(dst, X, _, _ *Matrix, i0, i1 int) {
	defer archsimd.ClearAVXUpperBits()
	x := X.Data[i0*X.Cols : i1*X.Cols]
	y := dst.Data[i0*X.Cols : i1*X.Cols][:len(x)]
	zero := archsimd.BroadcastFloat64x4(0)
	n := len(x) / 4 * 4
	for i := 0; i < n; i += 4 {
		v := archsimd.LoadFloat64x4((*[4]float64)(x[i : i+4]))
		keep := v.Greater(zero).Or(v.NotEqual(v)) // x > 0, or NaN
		v.Masked(keep).Store((*[4]float64)(y[i : i+4]))
	}
	for i := n; i < len(x); i++ {
		y[i] = relu(x[i])
	}
}

// simdReLUDeltaRows is reluDeltaRows 4 elements at a time: δ where
// y > 0, else +0 (the last len%4 through reluDelta).
func simdReLUDeltaRows(dst, Y, deltaNext, _ *Matrix, i0, i1 int) {
	defer archsimd.ClearAVXUpperBits()
	y := Y.Data[i0*Y.Cols : i1*Y.Cols]
	d := dst.Data[i0*Y.Cols : i1*Y.Cols][:len(y)]
	dn := deltaNext.Data[i0*Y.Cols : i1*Y.Cols][:len(y)]
	zero := archsimd.BroadcastFloat64x4(0)
	n := len(y) / 4 * 4
	for i := 0; i < n; i += 4 {
		on := archsimd.LoadFloat64x4((*[4]float64)(y[i : i+4])).Greater(zero)
		archsimd.LoadFloat64x4((*[4]float64)(dn[i : i+4])).Masked(on).Store((*[4]float64)(d[i : i+4]))
	}
	for i := n; i < len(y); i++ {
		d[i] = reluDelta(y[i], dn[i])
	}
}

// ---------------------------------------------------------------------------
// The right factor, packed.
//
// Before A·B or A·Bᵀ, the right factor b (k×m: B, or Bᵀ) is copied
// once into panels of width columns (the last panel narrower when width
// does not divide m), one after the other, each holding its k rows
// contiguously: element (p, j+c) of the panel starting at column j is at
// P.Data[j*k + p*w + c], w the panel's width. A kernel call then reads
// its kc rows of a panel as one contiguous block. Read in place, these
// rows lie 8·m bytes apart: 512 bytes for the lab's 64 columns, which
// maps all of them onto 8 of the 64 sets of a 32 KiB L1 cache, so a panel
// piece (16 KiB) never stayed in L1 while the row blocks passed it. Packed,
// the forward product of the first layer ran ~1.2× faster on one core. The
// copy costs k·m moves per product against n·k·m multiply-adds.

// freePacked recycles packed factors, as freeWGs does WaitGroups: after
// the first products a training step allocates nothing.
var freePacked = make(chan *Matrix, 8)

// getPacked returns a k×m matrix for a packed factor, its values unset and
// its Data with room for 3 more values.
func getPacked(k, m int) *Matrix {
	var P *Matrix
	select {
	case P = <-freePacked:
	default:
		P = new(Matrix)
	}
	if cap(P.Data) < k*m+3 {
		// 3 spare values past the last panel, so that the edge kernel's
		// 4-wide loads of a narrow last panel stay inside the allocation
		// (see fma4x4Over).
		P.Data = make([]float64, k*m+3)
	}
	P.Rows, P.Cols, P.Data = k, m, P.Data[:k*m]
	return P
}

// putPacked gives P back for the next product.
func putPacked(P *Matrix) {
	select {
	case freePacked <- P:
	default: // enough spares already
	}
}

// packRows copies rows [p0, p1) of B (k×m) into the panels of P (see
// above). As a rowKernel (packRows8, packRows16) it runs in chunks of rows
// of B on the product's workers; the chunks write disjoint parts of P.
func packRows(width int, P, B *Matrix, p0, p1 int) {
	k, m := B.Rows, B.Cols
	for j := 0; j < m; j += width {
		w := min(width, m-j)
		panel := P.Data[j*k : (j+w)*k]
		for p := p0; p < p1; p++ {
			copy(panel[p*w:(p+1)*w], B.Data[p*m+j:p*m+j+w])
		}
	}
}

// packRowsT copies rows [r0, r1) of B (m×k) into the panels of P, which
// holds Bᵀ: row r of B is column r of Bᵀ.
func packRowsT(width int, P, B *Matrix, r0, r1 int) {
	m, k := B.Rows, B.Cols
	for r := r0; r < r1; r++ {
		j := r / width * width
		w, c := min(width, m-j), r-j
		panel := P.Data[j*k : (j+w)*k]
		for p, v := range B.Row(r) {
			panel[p*w+c] = v
		}
	}
}

func packRows8(P, B, _, _ *Matrix, i0, i1 int)   { packRows(8, P, B, i0, i1) }
func packRows16(P, B, _, _ *Matrix, i0, i1 int)  { packRows(16, P, B, i0, i1) }
func packRowsT8(P, B, _, _ *Matrix, i0, i1 int)  { packRowsT(8, P, B, i0, i1) }
func packRowsT16(P, B, _, _ *Matrix, i0, i1 int) { packRowsT(16, P, B, i0, i1) }

// group is how many rows of dst go over the panels of B together.
const group = 32

// packTail copies the left factor a(i, p) for the last rows i of [g0, g1),
// fewer than 4, and p in [pc, pe) into pack as one block of 4 rows: a(g0+r,
// pc+p) at pack[4p + r], rows from g1 on repeating row g1−1 (they compute
// the same values into the same place, see quad). a(i, p) is
// A.Data[i*rs + p*ps]: rs, ps = k, 1 for A·B and 1, n for Aᵀ·B. Full
// blocks of 4 rows are read in place (simdRows).
func packTail(pack []float64, A *Matrix, rs, ps, g0, g1, pc, pe int) {
	for r := 0; r < 4; r++ {
		src := min(g0+r, g1-1)*rs + pc*ps
		for p := 0; p < pe-pc; p++ {
			pack[4*p+r] = A.Data[src+p*ps]
		}
	}
}

// quad returns the four rows of dst starting at i, columns [j, j+w); rows
// from i1 on repeat row i1−1, as in packTail.
func quad(dst *Matrix, i, i1, j, w int) (d0, d1, d2, d3 []float64) {
	row := func(r int) []float64 { return dst.Row(min(r, i1-1))[j : j+w] }
	return row(i), row(i + 1), row(i + 2), row(i + 3)
}

// simdRows computes rows [i0, i1) of dst += a·b over an inner dimension
// of length k, where a(i, p) is A.Data[i*rs + p*ps] and b (k×m) is P,
// packed when packed, else row-major. Loop order: groups of rows, then kc-pieces of
// the inner dimension, then panels of columns, then blocks of 4 rows.
// Rows with no columns (m = 0) or an empty inner dimension leave dst as
// startRows set it.
//
// The left factor is read in place, a(i, p) = A.Data[i*rs + p*ps], by
// every block of 4 rows; only a last block of fewer than 4 rows is packed,
// its missing rows repeating the last one (packTail). For Aᵀ·B, packing the
// blocks (as the kernels first did) read A down its columns, one short
// piece per 4 KiB page: a quarter of a training epoch.
func simdRows(avx512 bool, width int, dst, A *Matrix, rs, ps int, P *Matrix, packed bool, i0, i1 int) {
	// The Go compiler does not yet emit VZEROUPPER after 256- and 512-bit
	// code. Without it, the legacy-SSE code that follows (math.Exp's
	// assembly, for one) pays for the dirty upper register halves: math.Exp
	// in the softmax ran several times slower in the SIMD build.
	defer archsimd.ClearAVXUpperBits()
	var pack [4 * kc]float64
	k, m := P.Rows, P.Cols
	for g0 := i0; g0 < i1; g0 += group {
		g1 := min(g0+group, i1)
		full := g0 + (g1-g0)/4*4 // a block starting here has fewer than 4 rows
		for pc := 0; pc < k; pc += kc {
			pe := min(pc+kc, k)
			l := pe - pc
			if full < g1 {
				packTail(pack[:], A, rs, ps, full, g1, pc, pe)
			}
			for j := 0; j < m; j += width {
				w := min(width, m-j)
				// Row p of the panel is at b[(p-pc)*ldb:].
				b, ldb := P.Data[pc*m+j:], m
				if packed {
					b, ldb = P.Data[j*k+pc*w:(j+w)*k], w
				}
				i := g0
				if w == 8 && !avx512 && full > g0 {
					// The full blocks in one call of the assembly kernel.
					fma4x8blocks(l, A.Data[g0*rs+pc*ps:], rs, ps, 4*rs, b, ldb, dst.Data[g0*m+j:], m, (full-g0)/4)
					i = full
				}
				for ; i < g1; i += 4 {
					a, ars, lda := pack[:], 1, 4 // the short last block, packed
					if i < full {
						a, ars, lda = A.Data[i*rs+pc*ps:], rs, ps
					}
					d0, d1, d2, d3 := quad(dst, i, g1, j, w)
					panel(avx512, l, a, ars, lda, b, ldb, w, packed, d0, d1, d2, d3)
				}
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Micro-kernels.
//
// They all get the same arguments: steps; a, where the value of the left
// factor for row r of the block at step p is a[r*ars + p*lda] (a packed
// block has ars, lda = 1, 4; A read in place has ars, lda = k, 1 for A·B
// and 1, n for Aᵀ·B); b, the panel of the right factor, its row p at
// b[p*ldb:]; and d0…d3, 4 rows of dst, to which they add the products.
//
// simd/archsimd's MulAdd(x, y, z) = x·y + z compiles to VFMADD213PD, which
// overwrites x. Broadcasting the element of a afresh for every MulAdd
// (rather than once per step) makes x a value that dies there, so the
// compiler needs no register copies to keep it.

// panelAVX2 handles a panel of up to 8 columns with 4-wide vectors. over
// says that a row of b may be read 4 values wide past w (a packed factor,
// see fma4x4Over).
func panelAVX2(steps int, a []float64, ars, lda int, b []float64, ldb, w int, over bool, d0, d1, d2, d3 []float64) {
	switch {
	case w == 8:
		fma4x8(steps, a, ars, lda, b, ldb, d0, d1, d2, d3)
	case w > 4:
		fma4x4(steps, a, ars, lda, b, ldb, d0, d1, d2, d3)
		fmaEdge(steps, a, ars, lda, b[4:], ldb, w-4, over, d0[4:], d1[4:], d2[4:], d3[4:])
	default:
		fmaEdge(steps, a, ars, lda, b, ldb, w, over, d0, d1, d2, d3)
	}
}

// fmaEdge: 4 rows × w ≤ 4 columns, with fma4x4 when w = 4, else with
// fma4x4Over when b may be read past w, else with fmaTail.
func fmaEdge(steps int, a []float64, ars, lda int, b []float64, ldb, w int, over bool, d0, d1, d2, d3 []float64) {
	switch {
	case w == 4:
		fma4x4(steps, a, ars, lda, b, ldb, d0, d1, d2, d3)
	case over:
		fma4x4Over(steps, a, ars, lda, b, ldb, w, d0, d1, d2, d3)
	default:
		fmaTail(steps, a, ars, lda, b, ldb, w, d0, d1, d2, d3)
	}
}

// fma4x4Over: 4 rows × w < 4 columns with full 4-wide vectors, for a
// packed right factor: each step loads 4 values of b from the row's first
// (the values past w belong to the next row, or to the 3 spare values
// getPacked leaves after the last panel: b's capacity covers them), and the
// 4 rows of dst are copied into and out of 4-wide temporaries, since the
// values past w there belong to other rows of dst. The lanes past w are
// computed and dropped, so the bits are fmaTail's.
func fma4x4Over(steps int, a []float64, ars, lda int, b []float64, ldb, w int, d0, d1, d2, d3 []float64) {
	var t [4][4]float64
	copy(t[0][:], d0[:w])
	copy(t[1][:], d1[:w])
	copy(t[2][:], d2[:w])
	copy(t[3][:], d3[:w])
	fma4x4(steps, a, ars, lda, b, ldb, t[0][:], t[1][:], t[2][:], t[3][:])
	// Rows repeated at the bottom edge share storage and hold the same
	// values, so the order of the copies does not matter.
	copy(d3[:w], t[3][:])
	copy(d2[:w], t[2][:])
	copy(d1[:w], t[1][:])
	copy(d0[:w], t[0][:])
}

// fma4x8 adds 4 rows × 8 columns, the full panel of the AVX2 path, with
// the assembly kernel fma4x8asm (tensor_simd_amd64.s), after checking that
// it stays inside the slices. It computes exactly what fma4x8Go does, at
// about twice the speed (see fma4x8asm for why).
func fma4x8(steps int, a []float64, ars, lda int, b []float64, ldb int, d0, d1, d2, d3 []float64) {
	_, _, _, _ = d0[7], d1[7], d2[7], d3[7]
	if steps <= 0 {
		return
	}
	_, _ = a[3*ars+(steps-1)*lda], b[(steps-1)*ldb+7] // the last step's values
	fma4x8asm(&a[0], ars, lda, &b[0], ldb, steps, &d0[0], &d1[0], &d2[0], &d3[0])
}

// fma4x8blocks runs fma4x8 for nblk blocks of 4 rows against one panel of
// b (8 columns): block q reads a from a[q*ablk:] and adds into the rows
// d[(4q + r)*ldd:][:8], r = 0 … 3, with the assembly kernel of the same
// name, after checking that it stays inside the slices.
func fma4x8blocks(steps int, a []float64, ars, lda, ablk int, b []float64, ldb int, d []float64, ldd, nblk int) {
	if nblk <= 0 || steps <= 0 {
		return
	}
	_ = d[(4*nblk-1)*ldd+7]
	_, _ = a[(nblk-1)*ablk+3*ars+(steps-1)*lda], b[(steps-1)*ldb+7] // the last step's values
	fma4x8blocksAsm(&a[0], ars, lda, ablk, &b[0], ldb, steps, &d[0], ldd, nblk)
}

// fma4x8blocksAsm is fma4x8blocks in tensor_simd_amd64.s.
//
//go:noescape
func fma4x8blocksAsm(a *float64, ars, lda, ablk int, b *float64, ldb, steps int, d *float64, ldd, nblk int)

// fma4x8asm is in tensor_simd_amd64.s.
//
//go:noescape
func fma4x8asm(a *float64, ars, lda int, b *float64, ldb, steps int, d0, d1, d2, d3 *float64)

// fma4x8Go: 4 rows × 8 columns in 8 accumulators (two Float64x4 per row),
// in Go with archsimd. The reference that fma4x8asm is tested against; it
// runs at about 40% of the core's FMA peak (README, Speed).
func fma4x8Go(steps int, a []float64, ars, lda int, b []float64, ldb int, d0, d1, d2, d3 []float64) {
	d0, d1, d2, d3 = d0[:8], d1[:8], d2[:8], d3[:8]
	c00, c01 := archsimd.LoadFloat64x4Slice(d0[0:4]), archsimd.LoadFloat64x4Slice(d0[4:8])
	c10, c11 := archsimd.LoadFloat64x4Slice(d1[0:4]), archsimd.LoadFloat64x4Slice(d1[4:8])
	c20, c21 := archsimd.LoadFloat64x4Slice(d2[0:4]), archsimd.LoadFloat64x4Slice(d2[4:8])
	c30, c31 := archsimd.LoadFloat64x4Slice(d3[0:4]), archsimd.LoadFloat64x4Slice(d3[4:8])
	for p, r, q := 0, 0, 0; p < steps; p, r, q = p+1, r+lda, q+ldb {
		x := [4]float64{a[r], a[r+ars], a[r+2*ars], a[r+3*ars]}
		bp := b[q : q+8 : q+8]
		b0 := archsimd.LoadFloat64x4((*[4]float64)(bp[0:4]))
		b1 := archsimd.LoadFloat64x4((*[4]float64)(bp[4:8]))
		c00 = archsimd.BroadcastFloat64x4(x[0]).MulAdd(b0, c00)
		c01 = archsimd.BroadcastFloat64x4(x[0]).MulAdd(b1, c01)
		c10 = archsimd.BroadcastFloat64x4(x[1]).MulAdd(b0, c10)
		c11 = archsimd.BroadcastFloat64x4(x[1]).MulAdd(b1, c11)
		c20 = archsimd.BroadcastFloat64x4(x[2]).MulAdd(b0, c20)
		c21 = archsimd.BroadcastFloat64x4(x[2]).MulAdd(b1, c21)
		c30 = archsimd.BroadcastFloat64x4(x[3]).MulAdd(b0, c30)
		c31 = archsimd.BroadcastFloat64x4(x[3]).MulAdd(b1, c31)
	}
	// Rows repeated at the bottom edge share storage and hold the same
	// values, so the order of the stores does not matter.
	c30.StoreSlice(d3[0:4])
	c31.StoreSlice(d3[4:8])
	c20.StoreSlice(d2[0:4])
	c21.StoreSlice(d2[4:8])
	c10.StoreSlice(d1[0:4])
	c11.StoreSlice(d1[4:8])
	c00.StoreSlice(d0[0:4])
	c01.StoreSlice(d0[4:8])
}

// fma4x4: 4 rows × 4 columns, one Float64x4 per row (a narrower edge
// goes through fmaEdge). b's row p is read as b[p*ldb:][:4], which may
// reach into b's capacity (see fma4x4Over).
func fma4x4(steps int, a []float64, ars, lda int, b []float64, ldb int, d0, d1, d2, d3 []float64) {
	d0, d1, d2, d3 = d0[:4], d1[:4], d2[:4], d3[:4]
	c0, c1 := archsimd.LoadFloat64x4Slice(d0), archsimd.LoadFloat64x4Slice(d1)
	c2, c3 := archsimd.LoadFloat64x4Slice(d2), archsimd.LoadFloat64x4Slice(d3)
	for p, r, q := 0, 0, 0; p < steps; p, r, q = p+1, r+lda, q+ldb {
		x := [4]float64{a[r], a[r+ars], a[r+2*ars], a[r+3*ars]}
		bv := archsimd.LoadFloat64x4((*[4]float64)(b[q : q+4]))
		c0 = archsimd.BroadcastFloat64x4(x[0]).MulAdd(bv, c0)
		c1 = archsimd.BroadcastFloat64x4(x[1]).MulAdd(bv, c1)
		c2 = archsimd.BroadcastFloat64x4(x[2]).MulAdd(bv, c2)
		c3 = archsimd.BroadcastFloat64x4(x[3]).MulAdd(bv, c3)
	}
	c3.StoreSlice(d3)
	c2.StoreSlice(d2)
	c1.StoreSlice(d1)
	c0.StoreSlice(d0)
}

// fmaTail: 4 rows × w < 4 columns (the last 2 of the lab's 10 classes)
// when b is read in place (Aᵀ·B's δ, whose rows cannot be read past w at
// the end of its storage), one scalar chain per element. math.FMA rounds once, as a vector lane
// does, so the bits are those of the vector kernels. archsimd's partial
// loads and stores (LoadFloat64x4SlicePart) would compute the same, but
// they take a *[4]float64 of the shorter slice, which the race detector's
// pointer checks (checkptr) reject when the slice ends its allocation: the
// SIMD build crashed under go test -race.
func fmaTail(steps int, a []float64, ars, lda int, b []float64, ldb, w int, d0, d1, d2, d3 []float64) {
	for c := 0; c < w; c++ {
		s0, s1, s2, s3 := d0[c], d1[c], d2[c], d3[c]
		for p, r, q := 0, 0, c; p < steps; p, r, q = p+1, r+lda, q+ldb {
			bv := b[q]
			s0 = math.FMA(a[r], bv, s0)
			s1 = math.FMA(a[r+ars], bv, s1)
			s2 = math.FMA(a[r+2*ars], bv, s2)
			s3 = math.FMA(a[r+3*ars], bv, s3)
		}
		// Rows repeated at the bottom edge share storage and hold the
		// same values, so the order of the stores does not matter.
		d3[c], d2[c], d1[c], d0[c] = s3, s2, s1, s0
	}
}

// emulateAVX512, set by tests only, makes panelAVX512 run a full panel as
// two halves of 8 columns with fma4x8Go instead of fma4x16: the same FMA
// chains, so the same bits, without AVX-512 instructions. The avx512 set's
// packing, panel and edge code then runs on CPUs without AVX-512
// (TestKernelsAVX512Emulated); only fma4x16 itself stays untested there.
var emulateAVX512 bool

// panelAVX512 handles a panel of up to 16 columns: 8-wide vectors for a
// full panel, the AVX2 micro-kernels (which every AVX-512 CPU runs) for a
// partial one.
func panelAVX512(steps int, a []float64, ars, lda int, b []float64, ldb, w int, over bool, d0, d1, d2, d3 []float64) {
	if w == 16 && emulateAVX512 {
		fma4x8Go(steps, a, ars, lda, b, ldb, d0, d1, d2, d3)
		fma4x8Go(steps, a, ars, lda, b[8:], ldb, d0[8:], d1[8:], d2[8:], d3[8:])
		return
	}
	if w == 16 {
		fma4x16(steps, a, ars, lda, b, ldb, d0, d1, d2, d3)
		return
	}
	for c := 0; c < w; c += 8 {
		panelAVX2(steps, a, ars, lda, b[c:], ldb, min(8, w-c), over, d0[c:], d1[c:], d2[c:], d3[c:])
	}
}

// fma4x16: 4 rows × 16 columns in 8 accumulators (two Float64x8 per row).
// UNTESTED: no AVX-512 on the development machine (see emulateAVX512).
func fma4x16(steps int, a []float64, ars, lda int, b []float64, ldb int, d0, d1, d2, d3 []float64) {
	d0, d1, d2, d3 = d0[:16], d1[:16], d2[:16], d3[:16]
	c00, c01 := archsimd.LoadFloat64x8Slice(d0[0:8]), archsimd.LoadFloat64x8Slice(d0[8:16])
	c10, c11 := archsimd.LoadFloat64x8Slice(d1[0:8]), archsimd.LoadFloat64x8Slice(d1[8:16])
	c20, c21 := archsimd.LoadFloat64x8Slice(d2[0:8]), archsimd.LoadFloat64x8Slice(d2[8:16])
	c30, c31 := archsimd.LoadFloat64x8Slice(d3[0:8]), archsimd.LoadFloat64x8Slice(d3[8:16])
	for p, r, q := 0, 0, 0; p < steps; p, r, q = p+1, r+lda, q+ldb {
		x := [4]float64{a[r], a[r+ars], a[r+2*ars], a[r+3*ars]}
		bp := b[q : q+16 : q+16]
		b0 := archsimd.LoadFloat64x8((*[8]float64)(bp[0:8]))
		b1 := archsimd.LoadFloat64x8((*[8]float64)(bp[8:16]))
		c00 = archsimd.BroadcastFloat64x8(x[0]).MulAdd(b0, c00)
		c01 = archsimd.BroadcastFloat64x8(x[0]).MulAdd(b1, c01)
		c10 = archsimd.BroadcastFloat64x8(x[1]).MulAdd(b0, c10)
		c11 = archsimd.BroadcastFloat64x8(x[1]).MulAdd(b1, c11)
		c20 = archsimd.BroadcastFloat64x8(x[2]).MulAdd(b0, c20)
		c21 = archsimd.BroadcastFloat64x8(x[2]).MulAdd(b1, c21)
		c30 = archsimd.BroadcastFloat64x8(x[3]).MulAdd(b0, c30)
		c31 = archsimd.BroadcastFloat64x8(x[3]).MulAdd(b1, c31)
	}
	c30.StoreSlice(d3[0:8])
	c31.StoreSlice(d3[8:16])
	c20.StoreSlice(d2[0:8])
	c21.StoreSlice(d2[8:16])
	c10.StoreSlice(d1[0:8])
	c11.StoreSlice(d1[8:16])
	c00.StoreSlice(d0[0:8])
	c01.StoreSlice(d0[8:16])
}
