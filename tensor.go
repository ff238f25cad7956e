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

	// bg, when not nil, says where each row differs from a background
	// row, and bgRow which of its rows is row 0 here (see sparse.go).
	bg    *background
	bgRow int
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
	v.bg, v.bgRow = m.bg, m.bgRow+i0
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

// Resize returns dst as a rows×cols matrix to write into: dst itself when
// its storage can hold rows×cols values (its contents are then whatever
// was there), else (also when dst is nil) a new matrix of zeros. Every
// message of the lab and every product sizes its destination with it, so a
// caller that passes the same buffer every batch allocates nothing.
func Resize(dst *Matrix, rows, cols int) *Matrix {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("Resize: negative shape %dx%d", rows, cols))
	}
	if dst == nil || cap(dst.Data) < rows*cols {
		return NewMatrix(rows, cols)
	}
	dst.Rows, dst.Cols = rows, cols
	dst.Data = dst.Data[:rows*cols]
	return dst
}

// Div divides every element by s (numpy's m / s).
func (m *Matrix) Div(s float64) {
	for i := range m.Data {
		m.Data[i] /= s
	}
}

// Add adds B to m element by element; B must have m's shape.
func (m *Matrix) Add(B *Matrix) {
	if B.Rows != m.Rows || B.Cols != m.Cols {
		panic(fmt.Sprintf("Add: m is %s, B is %s: want the same shape", m.Shape(), B.Shape()))
	}
	axpy(m.Data, 1, B.Data)
}

// ColSums returns the sum of every column of A, a 1×cols row, in dst
// (numpy's A.sum(axis=0)): each column summed down the rows in order.
func ColSums(dst, A *Matrix) *Matrix {
	dst = Resize(dst, 1, A.Cols)
	clear(dst.Data)
	for i := 0; i < A.Rows; i++ {
		axpy(dst.Data, 1, A.Row(i))
	}
	return dst
}

// ---------------------------------------------------------------------------
// Products.

// MatMul returns A·B in dst (sized by Resize); A is n×k, B is k×m.
func MatMul(dst, A, B *Matrix) *Matrix { return MatMulBias(dst, A, B, nil) }

// MatMulBias returns A·B + 1·bias in dst (sized by Resize), adding the 1×m
// row bias to every row (the linear layer's forward pass in one sweep); A is
// n×k, B is k×m, bias may be nil.
func MatMulBias(dst, A, B, bias *Matrix) *Matrix {
	if A.Cols != B.Rows {
		panic(fmt.Sprintf("MatMul: A is %s, B is %s: want A n×k and B k×m", A.Shape(), B.Shape()))
	}
	dst = Resize(dst, A.Rows, B.Cols)
	if bias != nil && (bias.Rows != 1 || bias.Cols != B.Cols) {
		panic(fmt.Sprintf("MatMulBias: bias is %s, want 1x%d for B %s", bias.Shape(), B.Cols, B.Shape()))
	}
	checkDistinct("MatMul", dst, A, B)
	ks := kernels
	if A.bg != nil {
		matMulBackground(ks, dst, A, B, bias)
		return dst
	}
	runWith(ks, ks.matMul, dst, A, B, false, bias, A.Rows, A.Cols*B.Cols)
	return dst
}

// MatMulAT returns Aᵀ·B in dst (sized by Resize); A is k×n, B is k×m.
func MatMulAT(dst, A, B *Matrix) *Matrix {
	if A.Rows != B.Rows {
		panic(fmt.Sprintf("MatMulAT: A is %s, B is %s: want A k×n and B k×m", A.Shape(), B.Shape()))
	}
	dst = Resize(dst, A.Cols, B.Cols)
	checkDistinct("MatMulAT", dst, A, B)
	if A.bg != nil {
		matMulATBackground(kernels, dst, A, B)
		return dst
	}
	// B is read where it lies, by every kernel set: here it is δ, as big
	// as the product's left factor, and packing it cost more than it saved.
	runProduct(kernels.matMulAT, dst, A, B, nil, A.Cols, A.Rows*B.Cols)
	return dst
}

// MatMulBT returns A·Bᵀ in dst (sized by Resize); A is n×k, B is m×k.
func MatMulBT(dst, A, B *Matrix) *Matrix {
	if A.Cols != B.Cols {
		panic(fmt.Sprintf("MatMulBT: A is %s, B is %s: want A n×k and B m×k", A.Shape(), B.Shape()))
	}
	dst = Resize(dst, A.Rows, B.Rows)
	checkDistinct("MatMulBT", dst, A, B)
	ks := kernels
	runWith(ks, ks.matMulBT, dst, A, B, true, nil, A.Rows, A.Cols*B.Rows)
	return dst
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
	// packB, when not nil, copies the right factor b of A·B or A·Bᵀ (B,
	// or Bᵀ when bT) once into the layout matMul and matMulBT read, and
	// returns that copy, which is then passed to them in place of B; freeB
	// gives its storage back after the product. The portable kernels read
	// B where it lies and need neither.
	packB func(B *Matrix, bT bool) *Matrix
	freeB func(*Matrix)
	// bgMul and bgAT compute A·B and Aᵀ·B when A has a background
	// (sparse.go): bgMul rows of dst, bgAT columns.
	bgMul, bgAT rowKernel
}

// runWith runs one product with the kernel set ks: the right factor
// packed first when ks wants it, then the rows in chunks.
func runWith(ks kernelSet, kernel rowKernel, dst, A, B *Matrix, bT bool, bias *Matrix, rows, flopsPerRow int) {
	if ks.packB != nil {
		P := ks.packB(B, bT)
		defer ks.freeB(P)
		B = P
	}
	runProduct(kernel, dst, A, B, bias, rows, flopsPerRow)
}

var portableKernels = kernelSet{
	name:     "portable",
	matMul:   matMulRows,
	matMulAT: matMulATRows,
	matMulBT: matMulBTRows,
	bgMul:    bgMulRows,
	bgAT:     bgATCols,
}

var kernels = portableKernels

// KernelName says which kernels this binary uses ("portable", "avx2", …).
func KernelName() string { return kernels.name }

// The three row kernels below share one plan. Each output element is one
// sum, started at the bias (or 0), to which its products are added in
// ascending order of the inner index p, exactly the naive loop's order;
// so an element's value does not depend on which block computes it, nor on
// where chunks start.
//
// The output is cut into strips of panelW = 6 columns. For a strip and a
// piece [p0, p1) of the inner dimension (at most panelK = 256 long), the
// needed part of B is first copied into a contiguous panel, bp[p][c]
// (12 KiB: it stays in L1 while the rows of a group pass it); then each
// output row walks one contiguous row of A against the panel with its
// 6 sums in registers (kern6: 6 accumulators + 6 products + 1 element of A
// fit the 15 usable XMM registers, so nothing is spilled, and each step is
// a load of A and 6 load-multiply-add triples with no bounds checks). Go's
// compiler issues all of a step's multiplies before its adds, so a block
// needs a register for every sum and every product: the 2×4 block these
// kernels used before (8 + 8 + 2) spilled to the stack on every step and
// ran at 0.6 multiply-adds per cycle; this plan is 1.4–1.9× faster
// (BenchmarkProduct). kern6 and kern4 are kept out of line so that their
// loops get the registers to themselves. The sums carry over from piece
// to piece through dst, which does not change them. A last strip narrower
// than 6 is padded with zeros in the panel; the padding lanes are computed
// (kern4 when they are at most 4 wide) but never stored.

const (
	panelW   = 6   // columns of a panel, and sums in registers per row
	panelK   = 256 // inner-dimension piece: a panel is panelK×panelW
	rowGroup = 64  // rows of A·B and A·Bᵀ walked per panel (A's piece stays in L2)
	atRows   = 32  // columns of A transposed at a time by matMulATRows
)

type bPanel = [panelK][panelW]float64

// packPanel sets bp[p][c] = src[off + p*stride + c] for c < w and 0 for
// w ≤ c < panelW: rows of a strip of B (A·B, Aᵀ·B).
func packPanel(bp [][panelW]float64, src []float64, off, stride, w int) {
	if w == panelW {
		for p := range bp {
			s := src[off : off+panelW : off+panelW]
			d := &bp[p]
			d[0], d[1], d[2], d[3], d[4], d[5] = s[0], s[1], s[2], s[3], s[4], s[5]
			off += stride
		}
		return
	}
	for p := range bp {
		d := &bp[p]
		*d = [panelW]float64{}
		copy(d[:w], src[off:off+w])
		off += stride
	}
}

// packPanelT sets bp[p][c] = B[j+c, p0+p] for c < w and 0 beyond: the
// columns of Bᵀ are rows of B (A·Bᵀ).
func packPanelT(bp [][panelW]float64, B *Matrix, j, p0, w int) {
	for c := 0; c < panelW; c++ {
		if c >= w {
			for p := range bp {
				bp[p][c] = 0
			}
			continue
		}
		for p, v := range B.Row(j + c)[p0 : p0+len(bp)] {
			bp[p][c] = v
		}
	}
}

// kern6 sets s[c] += Σ_p a[p]·bp[p][c] for c = 0..5, each sum in
// ascending p.
//
//go:noinline
func kern6(a []float64, bp [][panelW]float64, s *[panelW]float64) {
	bp = bp[:len(a)]
	s0, s1, s2, s3, s4, s5 := s[0], s[1], s[2], s[3], s[4], s[5]
	for p, x := range a {
		b := &bp[p]
		s0 += x * b[0]
		s1 += x * b[1]
		s2 += x * b[2]
		s3 += x * b[3]
		s4 += x * b[4]
		s5 += x * b[5]
	}
	s[0], s[1], s[2], s[3], s[4], s[5] = s0, s1, s2, s3, s4, s5
}

// kern4 is kern6 for the first 4 columns only (a narrow last strip).
//
//go:noinline
func kern4(a []float64, bp [][panelW]float64, s *[panelW]float64) {
	bp = bp[:len(a)]
	s0, s1, s2, s3 := s[0], s[1], s[2], s[3]
	for p, x := range a {
		b := &bp[p]
		s0 += x * b[0]
		s1 += x * b[1]
		s2 += x * b[2]
		s3 += x * b[3]
	}
	s[0], s[1], s[2], s[3] = s0, s1, s2, s3
}

// panelMul runs rows rows of A against the panel bp (len(bp) steps): row r
// reads a[ao + r·as :][:len(bp)] and updates the w ≤ panelW sums at
// d[do + r·ds :][:w], starting from those sums when acc, else from start.
func panelMul(d []float64, do, ds int, a []float64, ao, as int, bp [][panelW]float64, rows, w int, start *[panelW]float64, acc bool) {
	kl := len(bp)
	var s [panelW]float64
	for r := 0; r < rows; r++ {
		if w == panelW { // the common case, without calls to copy
			d6 := (*[panelW]float64)(d[do : do+panelW])
			if acc {
				s = *d6
			} else {
				s = *start
			}
			kern6(a[ao:ao+kl], bp, &s)
			*d6 = s
		} else {
			dr := d[do : do+w]
			if acc {
				copy(s[:], dr)
			} else {
				s = *start
			}
			if w > 4 {
				kern6(a[ao:ao+kl], bp, &s)
			} else {
				kern4(a[ao:ao+kl], bp, &s)
			}
			copy(dr, s[:w])
		}
		ao += as
		do += ds
	}
}

// matMulRows: dst[i,j] = bias[j] + Σ_p A[i,p]·B[p,j] for i in [i0, i1).
func matMulRows(dst, A, B, bias *Matrix, i0, i1 int) {
	rowsAgainstPanels(dst, A, B, bias, false, i0, i1)
}

// matMulBTRows: dst[i,j] = Σ_p A[i,p]·B[j,p] for i in [i0, i1).
func matMulBTRows(dst, A, B, _ *Matrix, i0, i1 int) {
	rowsAgainstPanels(dst, A, B, nil, true, i0, i1)
}

// rowsAgainstPanels computes rows [i0, i1) of dst = bias + A·b, where b is
// B, or Bᵀ when bT (its panels are then gathered from rows of B): groups
// of rows, pieces of the inner dimension, strips of columns, and each row
// of the group against the strip's panel.
func rowsAgainstPanels(dst, A, B, bias *Matrix, bT bool, i0, i1 int) {
	k, m := A.Cols, dst.Cols
	if k == 0 {
		startRows(dst, bias, i0, i1)
		return
	}
	var buf bPanel
	for g0 := i0; g0 < i1; g0 += rowGroup {
		g1 := min(g0+rowGroup, i1)
		for p0 := 0; p0 < k; p0 += panelK {
			p1 := min(p0+panelK, k)
			bp := buf[:p1-p0]
			for j := 0; j < m; j += panelW {
				w := min(panelW, m-j)
				if bT {
					packPanelT(bp, B, j, p0, w)
				} else {
					packPanel(bp, B.Data, p0*m+j, m, w)
				}
				var start [panelW]float64
				if bias != nil {
					copy(start[:w], bias.Data[j:])
				}
				panelMul(dst.Data, g0*m+j, m, A.Data, g0*k+p0, k, bp, g1-g0, w, &start, p0 > 0)
			}
		}
	}
}

// startRows sets rows [i0, i1) of dst to the bias (or 0): the start of
// every element's chain, which the SIMD kernels then accumulate into (the
// portable ones keep their sums in registers and need it only when the
// inner dimension is empty). The bias
// goes into the first row, and the rows filled so far are then copied
// onto the next ones, doubling each time: a few long copies instead of a
// short one per row, whose calls cost 3–4% of a training run.
func startRows(dst, bias *Matrix, i0, i1 int) {
	rows := dst.Data[i0*dst.Cols : i1*dst.Cols]
	if bias == nil || len(rows) == 0 {
		clear(rows)
		return
	}
	filled := copy(rows, bias.Data)
	for filled < len(rows) {
		filled += copy(rows[filled:], rows[:filled])
	}
}

// matMulATRows: dst[i,j] = Σ_p A[p,i]·B[p,j] for i in [i0, i1). Row i of
// dst is column i of A: for each piece of the inner dimension, up to
// atRows of these columns are first copied into rows of at.
func matMulATRows(dst, A, B, _ *Matrix, i0, i1 int) {
	k, n, m := A.Rows, A.Cols, B.Cols
	if k == 0 {
		startRows(dst, nil, i0, i1)
		return
	}
	var buf bPanel
	var at [atRows * panelK]float64
	var zero [panelW]float64
	for g0 := i0; g0 < i1; g0 += atRows {
		g1 := min(g0+atRows, i1)
		for p0 := 0; p0 < k; p0 += panelK {
			p1 := min(p0+panelK, k)
			kl := p1 - p0
			bp := buf[:kl]
			for i := g0; i < g1; i++ {
				// Column i of A down the piece, into row i−g0 of at: the
				// writes run along at, and the lines of A read for one
				// column are still in cache for the next.
				col := at[(i-g0)*kl : (i-g0+1)*kl]
				q := p0*n + i
				for o := range col {
					col[o] = A.Data[q]
					q += n
				}
			}
			for j := 0; j < m; j += panelW {
				w := min(panelW, m-j)
				packPanel(bp, B.Data, p0*m+j, m, w)
				panelMul(dst.Data, g0*m+j, m, at[:], 0, kl, bp, g1-g0, w, &zero, p0 > 0)
			}
		}
	}
}

// rowMax returns the largest element of s, ignoring NaN (−Inf for none).
func rowMax(s []float64) float64 {
	m := math.Inf(-1)
	for _, v := range s {
		if v > m {
			m = v
		}
	}
	return m
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
