package main

// The matrix type and the three products that backpropagation needs: the
// students' numpy.
//
//	forward:  Z = X·W + b          MatMulBias (MatMul when there is no bias)
//	delta:    δ_in = δ_out·Wᵀ      MatMulBT
//	grad:     dW = Xᵀ·δ_out / n    MatMulAT
//
// Every product writes into a destination the caller owns, sized by Resize,
// so that training can reuse its buffers from batch to batch instead of
// allocating. How the products are computed (blocking, kernels, cores) is in
// gemm.go.

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Matrix is a dense row-major matrix: element (i, j) is Data[i*Cols+j].
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// NewMatrix returns a rows×cols matrix of zeros.
func NewMatrix(rows, cols int) *Matrix {
	if rows < 0 || cols < 0 {
		panicShape("NewMatrix", "no negative size", "the shape is "+shapeOf(rows, cols))
	}
	m := &Matrix{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
	if len(m.Data) >= hugeMatrix {
		adviseHugePages(m.Data)
	}
	return m
}

// hugeMatrix is the size (in elements, 4 MB) from which a new matrix asks
// for huge pages (hugepages_linux.go): the big batches, and data sets held
// as float64.
const hugeMatrix = 1 << 19

// NewMatrixFrom wraps data (not copied) as a rows×cols matrix.
func NewMatrixFrom(rows, cols int, data []float64) *Matrix {
	if rows < 0 || cols < 0 || len(data) != rows*cols {
		panicShape("NewMatrixFrom", "the values of a "+shapeOf(rows, cols)+" matrix", fmt.Sprintf("data has %d values", len(data)))
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
			panicShape("FromRows", fmt.Sprintf("%d, as row 0 has", m.Cols), fmt.Sprintf("row %d has %d values", i, len(r)))
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

// Shape formats the shape as "rows×cols" ("nil" for none), as every
// message names a shape.
func (m *Matrix) Shape() string {
	if m == nil {
		return "nil"
	}
	return shapeOf(m.Rows, m.Cols)
}

// shapeOf formats a shape as every message names one: "3×4".
func shapeOf(rows, cols int) string { return strconv.Itoa(rows) + "×" + strconv.Itoa(cols) }

// panicShape panics with a shape mismatch, a programming error, in the one
// form every such message of the matrices, the products, the layers, the
// losses and the network has: the operation, what it got, what it wants.
//
//	MatMul: A is 3×4, B is 5×6: want A n×k and B k×m
//
// got are the operands, each as operand spells it, or a phrase where the
// problem is not a matrix ("data has 5 values").
func panicShape(op, want string, got ...string) {
	panic(op + ": " + strings.Join(got, ", ") + ": want " + want)
}

// operand names a matrix and its shape for panicShape: "A is 3×4".
func operand(name string, m *Matrix) string { return name + " is " + m.Shape() }

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
		panicShape("SliceRows", fmt.Sprintf("0 ≤ i0 ≤ i1 ≤ %d", m.Rows), fmt.Sprintf("rows [%d, %d)", i0, i1), operand("m", m))
	}
	v.Rows, v.Cols = i1-i0, m.Cols
	v.Data = m.Data[i0*m.Cols : i1*m.Cols : i1*m.Cols]
}

// Resize returns dst as a rows×cols matrix to write into: dst itself when
// its storage can hold rows×cols values (its contents are then whatever
// was there), else (also when dst is nil) a new matrix of zeros. Every
// message of the lab and every product sizes its destination with it, so a
// caller that passes the same buffer every batch allocates nothing.
func Resize(dst *Matrix, rows, cols int) *Matrix {
	if rows < 0 || cols < 0 {
		panicShape("Resize", "no negative size", "the shape is "+shapeOf(rows, cols))
	}
	if dst == nil || cap(dst.Data) < rows*cols {
		return NewMatrix(rows, cols)
	}
	dst.Rows, dst.Cols = rows, cols
	dst.Data = dst.Data[:rows*cols]
	return dst
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

// Div divides every element by s (numpy's m / s).
func (m *Matrix) Div(s float64) {
	for i := range m.Data {
		m.Data[i] /= s
	}
}

// Add adds B to m element by element; B must have m's shape.
func (m *Matrix) Add(B *Matrix) {
	if B.Rows != m.Rows || B.Cols != m.Cols {
		panicShape("Add", "the same shape", operand("m", m), operand("B", B))
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
// on ties) and true; false when the row has no largest element: a NaN
// anywhere in it (so that a broken network is never counted as a correct
// prediction), or no columns.
func (m *Matrix) ArgmaxRow(i int) (k int, ok bool) {
	r := m.Row(i)
	if len(r) == 0 {
		return 0, false
	}
	best := 0
	for j, v := range r {
		if v != v {
			return 0, false
		}
		if v > r[best] {
			best = j
		}
	}
	return best, true
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

// ---------------------------------------------------------------------------
// Products.

// MatMul returns A·B in dst (sized by Resize); A is n×k, B is k×m.
func MatMul(dst, A, B *Matrix) *Matrix { return MatMulBias(dst, A, B, nil) }

// MatMulBias returns A·B + 1·bias in dst (sized by Resize), adding the 1×m
// row bias to every row (the linear layer's forward pass in one sweep); A is
// n×k, B is k×m, bias may be nil.
func MatMulBias(dst, A, B, bias *Matrix) *Matrix {
	if A.Cols != B.Rows {
		panicShape("MatMul", "A n×k and B k×m", operand("A", A), operand("B", B))
	}
	var b []float64
	if bias != nil {
		if bias.Rows != 1 || bias.Cols != B.Cols {
			panicShape("MatMulBias", "bias "+shapeOf(1, B.Cols)+" for that B", operand("bias", bias), operand("B", B))
		}
		b = bias.Data
	}
	dst = Resize(dst, A.Rows, B.Cols)
	checkDistinct("MatMul", dst, A, B, bias)
	gemm(product{dst: dst, a: A.Data, ars: A.Cols, aps: 1, b: B.Data, brs: B.Cols, bcs: 1, bias: b, k: A.Cols})
	return dst
}

// MatMulAT returns Aᵀ·B in dst (sized by Resize); A is k×n, B is k×m.
func MatMulAT(dst, A, B *Matrix) *Matrix {
	if A.Rows != B.Rows {
		panicShape("MatMulAT", "A k×n and B k×m", operand("A", A), operand("B", B))
	}
	dst = Resize(dst, A.Cols, B.Cols)
	checkDistinct("MatMulAT", dst, A, B, nil)
	// Row i of dst is column i of A: a(i, p) = A[p, i].
	gemm(product{dst: dst, a: A.Data, ars: 1, aps: A.Cols, b: B.Data, brs: B.Cols, bcs: 1, k: A.Rows})
	return dst
}

// MatMulBT returns A·Bᵀ in dst (sized by Resize); A is n×k, B is m×k.
func MatMulBT(dst, A, B *Matrix) *Matrix {
	if A.Cols != B.Cols {
		panicShape("MatMulBT", "A n×k and B m×k", operand("A", A), operand("B", B))
	}
	dst = Resize(dst, A.Rows, B.Rows)
	checkDistinct("MatMulBT", dst, A, B, nil)
	// Bᵀ(p, j) = B[j, p].
	gemm(product{dst: dst, a: A.Data, ars: A.Cols, aps: 1, b: B.Data, brs: 1, bcs: B.Cols, k: A.Cols})
	return dst
}

// checkDistinct panics when dst shares storage with an operand: the kernels
// write dst while still reading the operands.
func checkDistinct(op string, dst, A, B, bias *Matrix) {
	if len(dst.Data) == 0 {
		return
	}
	for _, x := range []*Matrix{A, B, bias} {
		if x != nil && len(x.Data) > 0 && overlap(x.Data, dst.Data) {
			panic(op + ": dst must not share storage with an operand")
		}
	}
}
