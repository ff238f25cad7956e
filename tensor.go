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

// matMulRows: dst[i,:] = bias + Σ_p A[i,p]·B[p,:] for i in [i0, i1), four
// rows at a time so that each row of B loaded from cache serves four rows.
func matMulRows(dst, A, B, bias *Matrix, i0, i1 int) {
	k, m := A.Cols, B.Cols
	for i := i0; i < i1; i++ {
		d := dst.Row(i)
		if bias != nil {
			copy(d, bias.Data)
		} else {
			clear(d)
		}
	}
	i := i0
	for ; i+4 <= i1; i += 4 {
		a0, a1, a2, a3 := A.Row(i), A.Row(i+1), A.Row(i+2), A.Row(i+3)
		d0, d1, d2, d3 := dst.Row(i), dst.Row(i+1), dst.Row(i+2), dst.Row(i+3)
		for p := 0; p < k; p++ {
			axpy4(d0, d1, d2, d3, a0[p], a1[p], a2[p], a3[p], B.Data[p*m:(p+1)*m])
		}
	}
	for ; i < i1; i++ {
		a, d := A.Row(i), dst.Row(i)
		for p := 0; p < k; p++ {
			axpy(d, a[p], B.Data[p*m:(p+1)*m])
		}
	}
}

// matMulATRows: dst[i,:] = Σ_p A[p,i]·B[p,:] for i in [i0, i1). Walking p in
// the outer loop reads A and B row by row (contiguously) while the dst rows
// of this chunk stay in cache.
func matMulATRows(dst, A, B, _ *Matrix, i0, i1 int) {
	n, m := A.Cols, B.Cols
	for i := i0; i < i1; i++ {
		clear(dst.Row(i))
	}
	for p := 0; p < A.Rows; p++ {
		a := A.Data[p*n : (p+1)*n]
		b := B.Data[p*m : (p+1)*m]
		i := i0
		for ; i+4 <= i1; i += 4 {
			axpy4(dst.Row(i), dst.Row(i+1), dst.Row(i+2), dst.Row(i+3), a[i], a[i+1], a[i+2], a[i+3], b)
		}
		for ; i < i1; i++ {
			axpy(dst.Row(i), a[i], b)
		}
	}
}

// matMulBTRows: dst[i,j] = ⟨A[i,:], B[j,:]⟩ for i in [i0, i1): dot products
// of contiguous rows, four columns of dst at a time.
func matMulBTRows(dst, A, B, _ *Matrix, i0, i1 int) {
	m := B.Rows
	for i := i0; i < i1; i++ {
		a, d := A.Row(i), dst.Row(i)
		j := 0
		for ; j+4 <= m; j += 4 {
			d[j], d[j+1], d[j+2], d[j+3] = dot4(a, B.Row(j), B.Row(j+1), B.Row(j+2), B.Row(j+3))
		}
		for ; j < m; j++ {
			d[j] = dot(a, B.Row(j))
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

// axpy4: dr += ar·b for four rows r at once.
func axpy4(d0, d1, d2, d3 []float64, a0, a1, a2, a3 float64, b []float64) {
	d0, d1, d2, d3 = d0[:len(b)], d1[:len(b)], d2[:len(b)], d3[:len(b)]
	for j, bj := range b {
		d0[j] += a0 * bj
		d1[j] += a1 * bj
		d2[j] += a2 * bj
		d3[j] += a3 * bj
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

func dot4(a, b0, b1, b2, b3 []float64) (s0, s1, s2, s3 float64) {
	b0, b1, b2, b3 = b0[:len(a)], b1[:len(a)], b2[:len(a)], b3[:len(a)]
	for p, ap := range a {
		s0 += ap * b0[p]
		s1 += ap * b1[p]
		s2 += ap * b2[p]
		s3 += ap * b3[p]
	}
	return
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
	wgPool   = sync.Pool{New: func() any { return new(sync.WaitGroup) }}
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

// runProduct computes rows [0, rows) of a product with kernel, in chunks.
func runProduct(kernel rowKernel, dst, A, B, bias *Matrix, rows, flopsPerRow int) {
	if rows*flopsPerRow < minParallelFlops || runtime.GOMAXPROCS(0) == 1 {
		kernel(dst, A, B, bias, 0, rows)
		return
	}
	poolOnce.Do(startWorkers)
	step := chunkRows(rows, flopsPerRow)
	wg := wgPool.Get().(*sync.WaitGroup)
	// The caller takes the first chunk itself; the others go to workers.
	for i0 := step; i0 < rows; i0 += step {
		wg.Add(1)
		tasks <- task{kernel, dst, A, B, bias, i0, min(i0+step, rows), wg}
	}
	kernel(dst, A, B, bias, 0, min(step, rows))
	wg.Wait()
	wgPool.Put(wg)
}
