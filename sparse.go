package main

// Blank pixels: the first layer's products on images that are mostly
// background.
//
// 81% of MNIST's pixels are blank (byte 0), and standardization maps a
// blank pixel of column c to the same value in every image, base[c] =
// (0 − mean_c)/std_c. Split each row x of the input into that background
// and the few places f(x) where it differs, x = base + Σ_{c ∈ f(x)} d_c·e_c
// with d_c = x_c − base[c], and the first layer's two products need only
// the foreground:
//
//	forward   x·W + b = (b + base·W) + Σ_{c ∈ f(x)} d_c·W[c,:]
//	grad      (Xᵀ·δ)[c,:] = base[c]·Σ_s δ[s,:] + Σ_{s : c ∈ f(x_s)} d_{s,c}·δ[s,:]
//
// b + base·W (what a blank image gives) is computed once per product,
// Σ_s δ[s,:] once per column. With 19% of the pixels in the foreground
// that is about a fifth of the multiply-adds of the dense products, and
// the first layer does 69% of a training epoch's arithmetic.
//
// The foreground is kept the way the files have it: for each image its
// non-blank pixels' columns (2 bytes each) and bytes (1 byte), and a table
// of d for every column and byte value. A batch's foreground then takes
// 3 bytes a pixel to read instead of the 8 of a float64 for every pixel,
// foreground or not: reading the float64 rows of X (18.8 MB a batch) from
// memory was what bounded these products when they read d from X.
//
// The results are the same numbers summed in another order (the dense
// product adds base[c]·W[c,:] and d_c·W[c,:] as one term x_c·W[c,:]), so
// they differ from the dense kernels' in the last bits, as any other order
// would; each element is still one sum in a fixed order, so the results do
// not depend on the number of cores.
//
// Where NaN and ±Inf can arise: as in the dense products, a NaN in W or δ
// makes its whole column of the result NaN (through b + base·W, or
// base[c]·Σ_s δ[s,:]). An infinite weight or δ makes the same elements
// non-finite, but where the dense product has ±Inf this one may have NaN:
// base[c]·Inf and d·Inf can have opposite signs, and Inf − Inf is NaN
// (TestBackgroundNonFinite). base and the table of d are finite
// (withPixelValues checks), so the background brings none of its own.
//
// Only MNIST's loader (and the tests' synthetic images) attach a
// background, to matrices nobody writes afterwards: it describes the
// values as they were when it was attached (checkBackground, a test
// helper, checks that it does, value by value). Views of rows (SliceRows,
// the batches and evaluation chunks) share it; copies (Clone) and all
// other matrices use the dense kernels.

import (
	"math"
	"sync"
)

// background records, for a matrix of images whose pixels were bytes,
// where each row differs from its background row.
type background struct {
	base  []float64 // the value of a blank pixel (byte 0) in each column
	diff  []float64 // diff[256·c + b]: the value of byte b in column c, minus base[c]
	start []int     // row i's foreground is entries start[i] … start[i+1]−1 of:
	cols  []uint16  // their columns, ascending within a row,
	bytes []uint8   // and their bytes (never 0)

	// list holds the d's of the rows [listRow, listRow+listRows) that the
	// last forward product (matMulBackground) listed, kept for an Aᵀ·B of
	// the same rows: in training, Grad follows Forward on the same batch.
	// Its storage is reused by every product on this background (takeList).
	mu                sync.Mutex
	list              *Matrix
	listRow, listRows int
}

// takeList returns the background's list buffer with room for n values,
// or a new one when another product has it. Its capacity is rounded up to
// a power of two, so that it seldom has to grow: MNIST's evaluation chunks
// (2048 images) and training batches (3000) both fit in one of 4 MB, and
// a grown buffer's old storage would stay in a run's peak memory until
// the next collection.
func (bg *background) takeList(n int) *Matrix {
	bg.mu.Lock()
	l := bg.list
	bg.list = nil
	bg.mu.Unlock()
	if l == nil || cap(l.Data) < n {
		c := 1
		for c < n {
			c *= 2
		}
		l = &Matrix{Data: make([]float64, n, c)}
	}
	l.Rows, l.Cols, l.Data = 1, n, l.Data[:n]
	return l
}

// keepList gives the list buffer l back to the background, its values
// being the d's of rows [row, row+rows) (rows 0: of no rows).
func (bg *background) keepList(l *Matrix, row, rows int) {
	bg.mu.Lock()
	if bg.list == nil {
		bg.list, bg.listRow, bg.listRows = l, row, rows
	}
	bg.mu.Unlock()
}

// pixelForeground returns the foreground of n images of cols byte pixels:
// the columns and bytes of the pixels that are not 0. each(from, to, f)
// must call f on the bytes [from, to) of the images one after another
// (pixel c of image i at i·cols + c), a piece at a time, off being where
// piece b starts (idxData.each). It returns nil for more than 65,536
// columns.
func pixelForeground(n, cols int, each func(from, to int, f func(off int, b []byte))) *background {
	if cols > math.MaxUint16+1 || cols == 0 {
		return nil
	}
	bg := &background{start: make([]int, n+1)}
	// First count each image's foreground (in parallel), then size the
	// lists once (MNIST's training set: 9 million pixels, 27 MB) and fill
	// them.
	inParallel(n, func(i0, i1 int) {
		each(i0*cols, i1*cols, func(off int, b []byte) {
			for k, v := range b {
				if v != 0 {
					bg.start[(off+k)/cols+1]++
				}
			}
		})
	})
	for i := 0; i < n; i++ {
		bg.start[i+1] += bg.start[i]
	}
	bg.cols, bg.bytes = make([]uint16, bg.start[n]), make([]uint8, bg.start[n])
	inParallel(n, func(i0, i1 int) {
		k := bg.start[i0]
		each(i0*cols, i1*cols, func(off int, b []byte) {
			for j, v := range b {
				if v != 0 {
					bg.cols[k], bg.bytes[k] = uint16((off+j)%cols), v
					k++
				}
			}
		})
	})
	return bg
}

// maxForeground is the largest share of foreground pixels for which
// withPixelValues attaches a background: per foreground value the
// background kernels do more work than the dense ones do per value (a
// table lookup, and for Aᵀ·B a load and a store of the sum), so on
// images with few blank pixels they would be slower.
const maxForeground = 0.5

// withPixelValues returns a view of X (sharing its storage) that carries
// the foreground bg of X's images (pixelForeground) for the background
// kernels of MatMulBias and MatMulAT; value(c, b) must be X's value for a
// pixel of byte b in column c (checkBackground, in sparse_test.go, tells
// whether it is: a whole pass over X, left to the tests to keep loading
// fast). X must not be written afterwards. It returns X itself, without a
// background, when bg is nil or does not have X's rows, more than
// maxForeground of X's values are foreground, or a value is not finite.
func withPixelValues(X *Matrix, bg *background, value func(c int, b byte) float64) *Matrix {
	if bg == nil || len(bg.start) != X.Rows+1 || float64(bg.start[X.Rows]) > maxForeground*float64(len(X.Data)) {
		return X
	}
	bg.base, bg.diff = make([]float64, X.Cols), make([]float64, 256*X.Cols)
	for c := 0; c < X.Cols; c++ {
		bg.base[c] = value(c, 0)
		for b := 0; b < 256; b++ {
			bg.diff[c*256+b] = value(c, byte(b)) - bg.base[c]
			if !finite(bg.base[c]) || !finite(bg.diff[c*256+b]) {
				return X
			}
		}
	}
	return &Matrix{Rows: X.Rows, Cols: X.Cols, Data: X.Data, bg: bg}
}

// foreground returns the columns and bytes of row i's foreground.
func (m *Matrix) foreground(i int) ([]uint16, []uint8) {
	r := m.bgRow + i
	k0, k1 := m.bg.start[r], m.bg.start[r+1]
	return m.bg.cols[k0:k1], m.bg.bytes[k0:k1]
}

// rowDiffs returns the part of a list of d's for all of m's foreground
// (in the order of its entries, counted from m's row 0) that holds row i's.
func (m *Matrix) rowDiffs(list *Matrix, i int) []float64 {
	first := m.bg.start[m.bgRow]
	return list.Data[m.bg.start[m.bgRow+i]-first : m.bg.start[m.bgRow+i+1]-first]
}

// foregroundCount returns how many values of m differ from its background.
func (m *Matrix) foregroundCount() int {
	return m.bg.start[m.bgRow+m.Rows] - m.bg.start[m.bgRow]
}

// matMulBackground computes dst = A·B + 1·bias for an A with a background
// with the row kernel ks.bgMul. It hands the kernel a list (passed as its
// "bias") that holds, after room for the d's of A's foreground, the row
// s0 = b + base·B from which every row of dst starts; the kernel adds the
// foreground's terms and writes the d's it looks up into the list's
// first part (bgList). The list is then kept with the background for an
// Aᵀ·B of the same rows (matMulATBackground), which saves that product a
// pass of table lookups (6% of a training epoch).
func matMulBackground(ks kernelSet, dst, A, B, bias *Matrix) {
	nnz := A.foregroundCount()
	list := A.bg.takeList(nnz + B.Cols)
	s0 := list.Data[nnz:]
	// b + base·B, every element one sum in ascending order of c.
	if bias != nil {
		copy(s0, bias.Data)
	} else {
		clear(s0)
	}
	for c, v := range A.bg.base {
		axpy(s0, v, B.Row(c))
	}
	if A.Rows > 0 {
		runProduct(ks.bgMul, dst, A, B, list, A.Rows, nnz*B.Cols/A.Rows+B.Cols)
	}
	list.Cols, list.Data = nnz, list.Data[:nnz]
	A.bg.keepList(list, A.bgRow, A.Rows)
}

// bgList returns, for a row kernel of matMulBackground, the part of the
// list that holds row i's d's, and s0.
func bgList(A, list *Matrix, i int) (ds, s0 []float64) {
	return A.rowDiffs(list, i), list.Data[A.foregroundCount():]
}

// matMulATBackground computes dst = Aᵀ·B for an A with a background, in
// two passes. The first lists the foreground's d_{s,c} of all rows in the
// order of the background's entries (bgDiffRows, split by rows), unless
// the forward product of the same rows left that list (matMulBackground).
// The second is the kernel ks.bgAT, split by columns of dst (rows and
// columns swap roles here, so that no two goroutines add into the same
// element), in which every strip of columns walks that list.
func matMulATBackground(ks kernelSet, dst, A, B *Matrix) {
	nnz := A.foregroundCount()
	bg := A.bg
	bg.mu.Lock()
	diffs := bg.list
	if diffs != nil && bg.listRow == A.bgRow && bg.listRows == A.Rows && diffs.Cols == nnz {
		bg.list = nil
	} else {
		diffs = nil
	}
	bg.mu.Unlock()
	if diffs == nil {
		diffs = bg.takeList(nnz)
		runProduct(bgDiffRows, diffs, A, nil, nil, A.Rows, nnz/max(A.Rows, 1)+1)
	}
	runProduct(ks.bgAT, dst, A, B, diffs, dst.Cols, nnz+A.Rows+A.Cols)
	bg.keepList(diffs, 0, 0)
}

// bgDiffRows writes d_{s,c} of the foreground of rows [i0, i1) of A into
// diffs, at the places of their entries (counted from A's row 0).
func bgDiffRows(diffs, A, _, _ *Matrix, i0, i1 int) {
	for i := i0; i < i1; i++ {
		cols, bytes := A.foreground(i)
		d := A.rowDiffs(diffs, i)
		for k, c := range cols {
			d[k] = A.bg.diff[int(c)*256+int(bytes[k])]
		}
	}
}

// bgMulRows is the portable row kernel for A·B with a background: rows
// [i0, i1) of dst are s0 (b + base·B) plus, for each foreground column c
// of the row in ascending order, d_c·B[c,:], added row by row into dst
// (which stays in L1) with B's rows read whole and in order. list is
// matMulBackground's: the d's go into it, s0 comes from it.
func bgMulRows(dst, A, B, list *Matrix, i0, i1 int) {
	m, diff := B.Cols, A.bg.diff
	for i := i0; i < i1; i++ {
		ds, s0 := bgList(A, list, i)
		out := dst.Row(i)
		copy(out, s0)
		cols, bytes := A.foreground(i)
		for k, c := range cols {
			ds[k] = diff[int(c)*256+int(bytes[k])]
			axpy(out, ds[k], B.Data[int(c)*m:int(c)*m+m])
		}
	}
}

// freeStrips recycles the strips of the bgAT kernels, as freeWGs does
// WaitGroups: a training step allocates nothing.
var freeStrips = make(chan []float64, 8)

func getStrip(n int) []float64 {
	select {
	case s := <-freeStrips:
		if cap(s) >= n {
			return s[:n]
		}
	default:
	}
	return make([]float64, n)
}

func putStrip(s []float64) {
	select {
	case freeStrips <- s:
	default:
	}
}

// bgATCols is the portable kernel for Aᵀ·B with a background: columns
// [j0, j1) of dst, 4 at a time, with diffs the list of bgDiffRows. Each
// element (c, j) starts as base[c]·Σ_s B[s,j] and then gets d_{s,c}·B[s,j]
// added for every row s of A (in ascending order) whose foreground has c.
// The sums are kept in a contiguous strip (n rows × 4) and copied into dst
// at the end: in dst, a strip's rows lie 8·m bytes apart (512 for the
// lab's 64 columns), all on 8 of L1's 64 sets.
func bgATCols(dst, A, B, diffs *Matrix, j0, j1 int) {
	m, n, base := B.Cols, dst.Rows, A.bg.base
	strip := getStrip(4 * n)
	defer putStrip(strip)
	for j := j0; j < j1; j += 4 {
		w := min(4, j1-j)
		var sum, b [4]float64
		for s := 0; s < B.Rows; s++ {
			for t, v := range B.Data[s*m+j : s*m+j+w] {
				sum[t] += v
			}
		}
		for c, v := range base {
			o := strip[4*c : 4*c+4 : 4*c+4]
			o[0], o[1], o[2], o[3] = v*sum[0], v*sum[1], v*sum[2], v*sum[3]
		}
		for s := 0; s < A.Rows; s++ {
			copy(b[:w], B.Data[s*m+j:s*m+j+w]) // columns past w: 0, unused
			cols, _ := A.foreground(s)
			ds := A.rowDiffs(diffs, s)
			for k, c := range cols {
				d := ds[k]
				o := strip[4*int(c):]
				o = o[:4:4]
				o[0] += d * b[0]
				o[1] += d * b[1]
				o[2] += d * b[2]
				o[3] += d * b[3]
			}
		}
		for c := 0; c < n; c++ {
			copy(dst.Data[c*m+j:c*m+j+w], strip[4*c:4*c+w])
		}
	}
}
