package main

// The matrix type and the three products that backpropagation needs.
//
//	forward:  Z = X·W + b          MatMulBias (MatMul when there is no bias)
//	delta:    δ_in = δ_out·Wᵀ      MatMulBT
//	grad:     dW = Xᵀ·δ_out / n    MatMulAT
//
// Every product writes into a destination the caller owns, so that training
// can reuse its buffers from batch to batch instead of allocating.
//
// Determinism: each output element is computed by exactly one goroutine, as
// bias (or 0) + a₀b₀ + a₁b₁ + … in ascending order of the inner index, and
// the split of the output into chunks depends only on the shapes, never on
// GOMAXPROCS. The same inputs therefore give bit-identical outputs on any
// number of cores.
//
// Kernels: the portable row kernels below are the default and the
// reference. A build with GOEXPERIMENT=simd on amd64 (Go 1.26+) adds
// tensor_simd.go, which swaps in AVX2 (or AVX-512) kernels at start-up when
// the CPU has them; they add the same terms in the same order but with
// fused multiply-adds, so their results differ from the portable ones in the
// last bits (KernelName says which kernels run).

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Matrix is a dense row-major matrix: element (i, j) is Data[i*Cols+j].
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// NewMatrix returns a rows×cols matrix of zeros.
func NewMatrix(rows, cols int) *Matrix {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("NewMatrix: negative shape %dx%d", rows, cols))
	}
	return &Matrix{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
}

// NewMatrixFrom wraps data (not copied) as a rows×cols matrix.
func NewMatrixFrom(rows, cols int, data []float64) *Matrix {
	if rows < 0 || cols < 0 || len(data) != rows*cols {
		panic(fmt.Sprintf("NewMatrixFrom: %d values do not fill a %dx%d matrix", len(data), rows, cols))
	}
	return &Matrix{Rows: rows, Cols: cols, Data: data}
}

// FromRows copies a slice of equally long rows into a new matrix.
func FromRows(rows [][]float64) *Matrix {
	if len(rows) == 0 {
		return NewMatrix(0, 0)
	}
	m := NewMatrix(len(rows), len(rows[0]))
	for i, r := range rows {
		if len(r) != m.Cols {
			panic(fmt.Sprintf("FromRows: row %d has %d values, row 0 has %d", i, len(r), m.Cols))
		}
		copy(m.Row(i), r)
	}
	return m
}

// At returns element (i, j).
func (m *Matrix) At(i, j int) float64 { return m.Data[i*m.Cols+j] }

// Set sets element (i, j).
func (m *Matrix) Set(i, j int, v float64) { m.Data[i*m.Cols+j] = v }

// Row returns row i as a slice sharing m's storage.
func (m *Matrix) Row(i int) []float64 {
	return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols]
}

// Shape formats the shape as "rows×cols" for error messages.
func (m *Matrix) Shape() string {
	if m == nil {
		return "nil"
	}
	return fmt.Sprintf("%dx%d", m.Rows, m.Cols)
}

// Clone returns a deep copy.
func (m *Matrix) Clone() *Matrix {
	c := NewMatrix(m.Rows, m.Cols)
	copy(c.Data, m.Data)
	return c
}

// SliceRows returns rows [i0, i1) as a matrix sharing m's storage.
func (m *Matrix) SliceRows(i0, i1 int) *Matrix {
	v := &Matrix{}
	m.viewRows(v, i0, i1)
	return v
}

// viewRows points v at rows [i0, i1) of m without allocating.
func (m *Matrix) viewRows(v *Matrix, i0, i1 int) {
	if i0 < 0 || i1 > m.Rows || i0 > i1 {
		panic(fmt.Sprintf("rows [%d, %d) out of range for a %s matrix", i0, i1, m.Shape()))
	}
	v.Rows, v.Cols = i1-i0, m.Cols
	v.Data = m.Data[i0*m.Cols : i1*m.Cols : i1*m.Cols]
}

// Fill sets every element to v.
func (m *Matrix) Fill(v float64) {
	for i := range m.Data {
		m.Data[i] = v
	}
}

// Scale multiplies every element by s.
func (m *Matrix) Scale(s float64) {
	for i := range m.Data {
		m.Data[i] *= s
	}
}

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// AllFinite reports whether no element is NaN or ±Inf.
func (m *Matrix) AllFinite() bool {
	for _, v := range m.Data {
		if !finite(v) {
			return false
		}
	}
	return true
}

// MeanAbs returns the mean absolute value of the elements (0 for an empty matrix).
func (m *Matrix) MeanAbs() float64 {
	if len(m.Data) == 0 {
		return 0
	}
	s := 0.0
	for _, v := range m.Data {
		s += math.Abs(v)
	}
	return s / float64(len(m.Data))
}

// ArgmaxRow returns the index of the largest element of row i (the first one
// on ties). A NaN anywhere in the row makes the result -1, so that a broken
// network is never counted as a correct prediction.
func (m *Matrix) ArgmaxRow(i int) int {
	r := m.Row(i)
	best := 0
	for j, v := range r {
		if v != v {
			return -1
		}
		if v > r[best] {
			best = j
		}
	}
	if len(r) == 0 {
		return -1
	}
	return best
}

// resize returns m reshaped to rows×cols, reusing its storage when it is large
// enough and allocating otherwise (also when m is nil). Contents are undefined.
func resize(m *Matrix, rows, cols int) *Matrix {
	if m == nil {
		return NewMatrix(rows, cols)
	}
	if cap(m.Data) < rows*cols {
		m.Data = make([]float64, rows*cols)
	}
	m.Rows, m.Cols = rows, cols
	m.Data = m.Data[:rows*cols]
	return m
}

// ---------------------------------------------------------------------------
// Products.

// MatMul computes dst = A·B; A is n×k, B is k×m, dst must be n×m.
func MatMul(dst, A, B *Matrix) { MatMulBias(dst, A, B, nil) }

// MatMulBias computes dst = A·B + 1·bias, adding the 1×m row bias to every
// row (the linear layer's forward pass in one sweep). bias may be nil.
func MatMulBias(dst, A, B, bias *Matrix) {
	if A.Cols != B.Rows || dst.Rows != A.Rows || dst.Cols != B.Cols {
		panic(fmt.Sprintf("MatMul: A is %s, B is %s: want A n×k, B k×m, dst n×m, dst is %s", A.Shape(), B.Shape(), dst.Shape()))
	}
	if bias != nil && (bias.Rows != 1 || bias.Cols != B.Cols) {
		panic(fmt.Sprintf("MatMulBias: bias is %s, want 1x%d for B %s", bias.Shape(), B.Cols, B.Shape()))
	}
	checkDistinct("MatMul", dst, A, B)
	runProduct(kernels.matMul, dst, A, B, bias, A.Rows, A.Cols*B.Cols)
}

// MatMulAT computes dst = Aᵀ·B; A is k×n, B is k×m, dst must be n×m.
func MatMulAT(dst, A, B *Matrix) {
	if A.Rows != B.Rows || dst.Rows != A.Cols || dst.Cols != B.Cols {
		panic(fmt.Sprintf("MatMulAT: A is %s, B is %s: want A k×n, B k×m, dst n×m, dst is %s", A.Shape(), B.Shape(), dst.Shape()))
	}
	checkDistinct("MatMulAT", dst, A, B)
	runProduct(kernels.matMulAT, dst, A, B, nil, A.Cols, A.Rows*B.Cols)
}

// MatMulBT computes dst = A·Bᵀ; A is n×k, B is m×k, dst must be n×m.
func MatMulBT(dst, A, B *Matrix) {
	if A.Cols != B.Cols || dst.Rows != A.Rows || dst.Cols != B.Rows {
		panic(fmt.Sprintf("MatMulBT: A is %s, B is %s: want A n×k, B m×k, dst n×m, dst is %s", A.Shape(), B.Shape(), dst.Shape()))
	}
	checkDistinct("MatMulBT", dst, A, B)
	runProduct(kernels.matMulBT, dst, A, B, nil, A.Rows, A.Cols*B.Rows)
}

// checkDistinct panics when dst shares storage with an operand: the kernels
// write dst while still reading A and B.
func checkDistinct(op string, dst, A, B *Matrix) {
	if len(dst.Data) == 0 {
		return
	}
	for _, x := range []*Matrix{A, B} {
		if len(x.Data) > 0 && &x.Data[0] == &dst.Data[0] {
			panic(op + ": dst must not share storage with an operand")
		}
	}
}

// rowKernel computes output rows [i0, i1) of one product.
type rowKernel func(dst, A, B, bias *Matrix, i0, i1 int)

// kernelSet holds the row kernels in use. The portable ones below are the
// default; a SIMD build replaces them at start-up when the CPU allows.
type kernelSet struct {
	name                       string
	matMul, matMulAT, matMulBT rowKernel
}

var portableKernels = kernelSet{
	name:     "portable",
	matMul:   matMulRows,
	matMulAT: matMulATRows,
	matMulBT: matMulBTRows,
}

var kernels = portableKernels

// KernelName says which kernels this binary uses ("portable", "avx2", …).
func KernelName() string { return kernels.name }

// The three row kernels below share one plan. The output is cut into blocks
// of 2 rows × 4 columns, and the 8 sums of a block are kept in local
// variables (registers) while the inner index p runs over the whole length:
// each loaded element of A serves four columns and each loaded element of B
// serves two rows, and dst is written once per block instead of once per
// multiply-add. Every sum starts at the bias (or 0) and adds its products
// in ascending p, exactly the naive loop's order; so an element's value
// does not depend on which block computes it, nor on where chunks start.
//
// Edges: when the rows run out, the second row of a block repeats the
// first (it computes the same values and stores them to the same place);
// the last m mod 4 columns are done one at a time.

// rowPair returns rows i and i+1 of M, or row i twice when i+1 is past
// the chunk's end i1. Both have the same length, which lets the compiler
// drop the bounds checks in the inner loops.
func rowPair(M *Matrix, i, i1 int) (r0, r1 []float64) {
	r0 = M.Row(i)
	return r0, M.Row(min(i+1, i1-1))[:len(r0)]
}

// matMulRows: dst[i,j] = bias[j] + Σ_p A[i,p]·B[p,j] for i in [i0, i1).
func matMulRows(dst, A, B, bias *Matrix, i0, i1 int) {
	m := B.Cols
	start := func(j int) float64 { // a sum's starting value
		if bias == nil {
			return 0
		}
		return bias.Data[j]
	}
	for i := i0; i < i1; i += 2 {
		a0, a1 := rowPair(A, i, i1)
		d0, d1 := rowPair(dst, i, i1)
		j := 0
		for ; j+4 <= m; j += 4 {
			s00, s01, s02, s03 := start(j), start(j+1), start(j+2), start(j+3)
			s10, s11, s12, s13 := s00, s01, s02, s03
			q := j // B[p, j:j+4] is B.Data[q : q+4]
			for p, x0 := range a0 {
				x1 := a1[p]
				b := B.Data[q : q+4 : q+4]
				q += m
				s00 += x0 * b[0]
				s01 += x0 * b[1]
				s02 += x0 * b[2]
				s03 += x0 * b[3]
				s10 += x1 * b[0]
				s11 += x1 * b[1]
				s12 += x1 * b[2]
				s13 += x1 * b[3]
			}
			d0[j], d0[j+1], d0[j+2], d0[j+3] = s00, s01, s02, s03
			d1[j], d1[j+1], d1[j+2], d1[j+3] = s10, s11, s12, s13
		}
		for ; j < m; j++ {
			s0, s1 := start(j), start(j)
			q := j
			for p, x0 := range a0 {
				y := B.Data[q]
				q += m
				s0 += x0 * y
				s1 += a1[p] * y
			}
			d0[j], d1[j] = s0, s1
		}
	}
}

// innerBlock is the length of the pieces matMulATRows cuts the inner
// dimension into. It walks down columns of both A and B, one cache line per
// step; piece by piece, the lines of a piece (256 rows of the chunk's
// columns of A, and of B) stay in cache while the sums of the whole chunk
// are advanced, instead of coming from memory again for every block. The
// sums carry over from piece to piece in dst, which does not change them.
const innerBlock = 256

// matMulATRows: dst[i,j] = Σ_p A[p,i]·B[p,j] for i in [i0, i1). Row i of
// dst is column i of A: a step of p reads A[p,i] and A[p,i+1], side by
// side in row p.
func matMulATRows(dst, A, B, _ *Matrix, i0, i1 int) {
	n, m := A.Cols, B.Cols
	for i := i0; i < i1; i++ {
		clear(dst.Row(i))
	}
	for p0 := 0; p0 < A.Rows; p0 += innerBlock {
		p1 := min(p0+innerBlock, A.Rows)
		for i := i0; i < i1; i += 2 {
			di := min(i+1, i1-1) - i // column i+di of A is the block's second (0 at the edge)
			d0, d1 := rowPair(dst, i, i1)
			j := 0
			for ; j+4 <= m; j += 4 {
				s00, s01, s02, s03 := d0[j], d0[j+1], d0[j+2], d0[j+3]
				s10, s11, s12, s13 := d1[j], d1[j+1], d1[j+2], d1[j+3]
				qa, qb := p0*n+i, p0*m+j // A[p,i] is A.Data[qa], B[p, j:j+4] is B.Data[qb : qb+4]
				for p := p0; p < p1; p++ {
					x0, x1 := A.Data[qa], A.Data[qa+di]
					b := B.Data[qb : qb+4 : qb+4]
					qa += n
					qb += m
					s00 += x0 * b[0]
					s01 += x0 * b[1]
					s02 += x0 * b[2]
					s03 += x0 * b[3]
					s10 += x1 * b[0]
					s11 += x1 * b[1]
					s12 += x1 * b[2]
					s13 += x1 * b[3]
				}
				d0[j], d0[j+1], d0[j+2], d0[j+3] = s00, s01, s02, s03
				d1[j], d1[j+1], d1[j+2], d1[j+3] = s10, s11, s12, s13
			}
			for ; j < m; j++ {
				s0, s1 := d0[j], d1[j]
				for p := p0; p < p1; p++ {
					y := B.Data[p*m+j]
					s0 += A.Data[p*n+i] * y
					s1 += A.Data[p*n+i+di] * y
				}
				d0[j], d1[j] = s0, s1
			}
		}
	}
}

// matMulBTRows: dst[i,j] = Σ_p A[i,p]·B[j,p] for i in [i0, i1): dot
// products of two rows of A with four rows of B, all read contiguously.
func matMulBTRows(dst, A, B, _ *Matrix, i0, i1 int) {
	m := B.Rows
	for i := i0; i < i1; i += 2 {
		a0, a1 := rowPair(A, i, i1)
		d0, d1 := rowPair(dst, i, i1)
		j := 0
		for ; j+4 <= m; j += 4 {
			b0, b1, b2, b3 := B.Row(j)[:len(a0)], B.Row(j + 1)[:len(a0)], B.Row(j + 2)[:len(a0)], B.Row(j + 3)[:len(a0)]
			var s00, s01, s02, s03, s10, s11, s12, s13 float64
			for p, x0 := range a0 {
				x1 := a1[p]
				s00 += x0 * b0[p]
				s01 += x0 * b1[p]
				s02 += x0 * b2[p]
				s03 += x0 * b3[p]
				s10 += x1 * b0[p]
				s11 += x1 * b1[p]
				s12 += x1 * b2[p]
				s13 += x1 * b3[p]
			}
			d0[j], d0[j+1], d0[j+2], d0[j+3] = s00, s01, s02, s03
			d1[j], d1[j+1], d1[j+2], d1[j+3] = s10, s11, s12, s13
		}
		for ; j < m; j++ {
			d0[j], d1[j] = dot(a0, B.Row(j)), dot(a1, B.Row(j))
		}
	}
}

// axpy: d += a·b.
func axpy(d []float64, a float64, b []float64) {
	d = d[:len(b)]
	for j, bj := range b {
		d[j] += a * bj
	}
}

func dot(a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	for p, ap := range a {
		s += ap * b[p]
	}
	return s
}

// ---------------------------------------------------------------------------
// Splitting a product over goroutines.

// task is one chunk of output rows of one product.
type task struct {
	kernel          rowKernel
	dst, a, b, bias *Matrix
	i0, i1          int
	wg              *sync.WaitGroup
}

var (
	poolOnce sync.Once
	tasks    chan task
	// freeWGs recycles the WaitGroups of finished products, so that a
	// product allocates nothing (a WaitGroup handed to another goroutine
	// would escape to the heap). A sync.Pool would do the same but may
	// allocate again after a garbage collection or a GOMAXPROCS change.
	freeWGs = make(chan *sync.WaitGroup, 64)
)

// startWorkers starts one worker per CPU. They only ever run chunks; how
// many run at once is bounded by GOMAXPROCS like any goroutine.
func startWorkers() {
	tasks = make(chan task, 256)
	for w := 0; w < runtime.NumCPU(); w++ {
		go func() {
			for t := range tasks {
				t.kernel(t.dst, t.a, t.b, t.bias, t.i0, t.i1)
				t.wg.Done()
			}
		}()
	}
}

// Work below these sizes is done on the calling goroutine: handing it to
// another costs more than it saves.
const (
	minParallelFlops = 1 << 16 // multiply-adds in the whole product
	minChunkFlops    = 1 << 15 // multiply-adds in one chunk
	rowAlign         = 8       // chunk boundaries are multiples of this
)

// chunkRows returns how many output rows one chunk gets. It depends only
// on the shape of the product, never on GOMAXPROCS, which is what makes the
// results the same on any number of cores.
func chunkRows(rows, flopsPerRow int) int {
	c := rows / 32 // enough chunks to balance a few cores
	if flopsPerRow > 0 && c*flopsPerRow < minChunkFlops {
		c = minChunkFlops / flopsPerRow
	}
	c = (c + rowAlign - 1) / rowAlign * rowAlign
	if c < rowAlign {
		c = rowAlign
	}
	return c
}

// parallelRows runs f on rows [0, rows) in the same chunks as the products
// (chosen by shape only), for row-wise work worth spreading over the cores:
// the activations and the softmax. f(dst, A, B, nil, i0, i1) must write
// rows [i0, i1) of dst and touch nothing else. costPerRow is the work of a
// row in multiply-adds, roughly (expCost per exp).
func parallelRows(f rowKernel, dst, A, B *Matrix, rows, costPerRow int) {
	runProduct(f, dst, A, B, nil, rows, costPerRow)
}

// expCost is what one math.Exp costs in multiply-adds, to size chunks.
const expCost = 20

// runProduct computes rows [0, rows) of a product with kernel, in chunks.
func runProduct(kernel rowKernel, dst, A, B, bias *Matrix, rows, flopsPerRow int) {
	if rows*flopsPerRow < minParallelFlops || runtime.GOMAXPROCS(0) == 1 {
		kernel(dst, A, B, bias, 0, rows)
		return
	}
	poolOnce.Do(startWorkers)
	step := chunkRows(rows, flopsPerRow)
	var wg *sync.WaitGroup
	select {
	case wg = <-freeWGs:
	default:
		wg = new(sync.WaitGroup)
	}
	// The caller takes the first chunk itself; the others go to workers.
	for i0 := step; i0 < rows; i0 += step {
		wg.Add(1)
		tasks <- task{kernel, dst, A, B, bias, i0, min(i0+step, rows), wg}
	}
	kernel(dst, A, B, bias, 0, min(step, rows))
	wg.Wait()
	select {
	case freeWGs <- wg:
	default: // enough spares already
	}
}
