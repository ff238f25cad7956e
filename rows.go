package main

// Rows made on demand: a data set's inputs as the trainer and the
// evaluation read them, a batch or a chunk of rows at a time.
//
// Two kinds of set stand behind it. A *Matrix holds its rows as float64
// (XOR, the spirals, any set built in code): a reader gets views of them,
// nothing is copied. A byteRows holds one byte a value (MNIST's pixels, as
// the files hold them) and makes its rows into float64 only when they are
// read: 47 MB for MNIST's training set instead of 376 MB.

import "fmt"

// RowSource is a data set's inputs, one row per sample, read a range of
// rows at a time.
type RowSource interface {
	Len() int   // the number of rows
	Width() int // the values in a row
	// FillRows writes rows [i0, i1) into dst, one after another:
	// dst holds (i1−i0)·Width() values. Several goroutines may fill from
	// one source at once.
	FillRows(dst []float64, i0, i1 int)
}

// Len, Width and FillRows make a matrix a RowSource of its own rows.
func (m *Matrix) Len() int   { return m.Rows }
func (m *Matrix) Width() int { return m.Cols }
func (m *Matrix) FillRows(dst []float64, i0, i1 int) {
	copy(dst[:(i1-i0)*m.Cols], m.Data[i0*m.Cols:i1*m.Cols])
}

// rowsShape formats a source's shape as "rows×cols" for error messages.
func rowsShape(src RowSource) string {
	if m, ok := src.(*Matrix); ok {
		return m.Shape() // nil-safe
	}
	return shapeOf(src.Len(), src.Width())
}

// nilRows is src, or nil when src is a nil *Matrix (which, put in a
// RowSource, would not compare equal to nil).
func nilRows(src RowSource) RowSource {
	if m, ok := src.(*Matrix); ok && m == nil {
		return nil
	}
	return src
}

// takeRows returns rows idx of src as a new matrix: for diagnostics and
// pictures, which are made once; the trainer and the evaluation read their
// rows through a rowReader, which allocates nothing.
func takeRows(src RowSource, idx ...int) *Matrix {
	m := NewMatrix(len(idx), src.Width())
	for r, i := range idx {
		src.FillRows(m.Row(r), i, i+1)
	}
	return m
}

// takeRange returns rows [i0, i1) of src as a new matrix (see takeRows).
func takeRange(src RowSource, i0, i1 int) *Matrix {
	m := NewMatrix(i1-i0, src.Width())
	src.FillRows(m.Data, i0, i1)
	return m
}

// rowReader is one reader's buffers for the rows it takes from a
// RowSource: a view header for a matrix's rows, and storage of its own for
// rows that are made. The two are kept apart, so that rows made for one
// source never overwrite a matrix that was viewed before. Once made has its
// size, reading allocates nothing.
type rowReader struct {
	view Matrix
	made *Matrix

	// The job of a fill spread over the cores (fill): its source, the
	// first row (or the rows, idx) it makes, and its func, made once.
	src RowSource
	i0  int
	idx []int
	run func(worker, r0, r1 int)
}

// fillChunk is how many rows a goroutine of a parallel fill makes at a
// time: a piece of a batch of MNIST rows (200 KB of float64) per turn.
const fillChunk = 32

// rangeOf returns rows [i0, i1) of src: a view when src is a matrix, else
// rows made into the reader's storage, on all the cores when parallel is
// set (and the cores are free: inside another parallel job it runs on the
// caller's goroutine). The result is valid until the next read.
func (r *rowReader) rangeOf(src RowSource, i0, i1 int, parallel bool) *Matrix {
	if m, ok := src.(*Matrix); ok {
		m.viewRows(&r.view, i0, i1)
		return &r.view
	}
	r.made = Resize(r.made, i1-i0, src.Width())
	if parallel {
		r.fill(src, i0, nil)
	} else {
		src.FillRows(r.made.Data, i0, i1)
	}
	return r.made
}

// gather returns rows idx of src, in that order, made into the reader's
// storage (a matrix's rows are copied) on all the cores; see rangeOf.
func (r *rowReader) gather(src RowSource, idx []int) *Matrix {
	r.made = Resize(r.made, len(idx), src.Width())
	r.fill(src, 0, idx)
	return r.made
}

// fill makes r.made's rows from src's rows i0, i0+1, … (or, when idx is
// not nil, its rows idx), in pieces of fillChunk rows shared out over the
// cores. Each row is made in the same way whichever goroutine makes it, so
// the rows do not depend on the number of cores.
func (r *rowReader) fill(src RowSource, i0 int, idx []int) {
	r.src, r.i0, r.idx = src, i0, idx
	if r.run == nil {
		r.run = func(_, r0, r1 int) {
			w, dst := r.src.Width(), r.made.Data
			if r.idx == nil {
				r.src.FillRows(dst[r0*w:r1*w], r.i0+r0, r.i0+r1)
				return
			}
			for k := r0; k < r1; k++ {
				i := r.idx[k]
				r.src.FillRows(dst[k*w:(k+1)*w], i, i+1)
			}
		}
	}
	parallelFor(r.made.Rows, fillChunk, r.run)
	r.src, r.idx = nil, nil // drop the references to the data
}

// byteRows is a data set held as bytes, one a value, whose rows are made
// into float64 when they are read: byte b in column j is the float32
// (level[b] − shift[j]) / scale[j], converted to float64. (For MNIST,
// level is byte/255 and shift and scale are each pixel's mean and
// standard deviation: the lab's preprocessing, in float32 as its template
// does it, so that the conversion to float64 changes no bit.)
//
// The arithmetic is done as the rows are made, a subtraction and a
// division a value, from 7 KB of tables that stay in the L1 cache. A table
// of every (byte, column) value, 784 KB for MNIST, was as slow inside the
// evaluation as the division in Go: the products between two chunks push
// it out of the L2 cache. The division is what costs, so it is done eight
// values at a time where the CPU can (fillRun).
type byteRows struct {
	n, cols      int
	data         *idxData // row i is bytes i·cols … (i+1)·cols of the payload
	level        *[256]float32
	shift, scale []float32
}

func (s *byteRows) Len() int   { return s.n }
func (s *byteRows) Width() int { return s.cols }

// FillRows makes rows [i0, i1) into dst, a piece of a chunk of the payload
// at a time (a row may straddle two chunks).
func (s *byteRows) FillRows(dst []float64, i0, i1 int) {
	cols := s.cols
	if i0 < 0 || i1 > s.n || i0 > i1 {
		panicShape("FillRows", fmt.Sprintf("0 ≤ i0 ≤ i1 ≤ %d", s.n), fmt.Sprintf("rows [%d, %d)", i0, i1), "the source is "+shapeOf(s.n, s.cols))
	}
	s.data.each(i0*cols, i1*cols, func(off int, c []byte) {
		d := dst[off-i0*cols:][:len(c)]
		// c in runs that end with a row: the column follows off.
		for j := off % cols; len(c) > 0; j = 0 {
			m := min(len(c), cols-j)
			s.fillRun(d[:m], c[:m], j)
			c, d = c[m:], d[m:]
		}
	})
}

// fillRun makes the values b of one row, from column j on, into d: with
// MNIST's level, eight at a time with vector instructions where the CPU
// has them (rows_amd64.s: the division a value cost the evaluation a third
// of its time in Go), and the rest here.
func (s *byteRows) fillRun(d []float64, b []byte, j int) {
	shift, scale, level := s.shift[j:], s.scale[j:], s.level
	shift, scale, d = shift[:len(b)], scale[:len(b)], d[:len(b)]
	k := 0
	if level == &pixelLevel {
		k = fillFast(d, b, shift, scale)
	}
	for ; k < len(b); k++ {
		d[k] = float64((level[b[k]] - shift[k]) / scale[k])
	}
}
