package main

// How the products of tensor.go are computed: one blocking scheme for every
// kernel set, a kernel set per instruction set (the portable Go kernel
// below; AVX2 and AVX-512 assembly in gemm_amd64.s), and the cores shared
// out by parallel.go.
//
// Every product is dst = start + a·b with a n×k, b k×m and start the bias
// row (or 0), whatever the transposes: a(i, p) = a[i·ars + p·aps] and
// b(p, j) = b[p·brs + j·bcs] are read through strides, so Aᵀ·B reads A's
// columns and A·Bᵀ B's rows where they lie.
//
// Blocking. dst's rows are cut into chunks, one goroutine each (parallel.go).
// Within a chunk the inner dimension is walked in pieces (pieceK steps,
// pieceKT for Aᵀ·B, packK when b must be copied) and dst's columns in
// panels of 16; for one piece and one panel, the panel's piece of b is
// read in place when it is 16 contiguous columns of b, and otherwise (a
// transposed b, or a last panel narrower than 16) first copied, padded
// with zeros, into a buffer on the goroutine's stack. Then a kernel adds the
// piece into a block of dst: kernelSet.rows rows at a time, a row at a time
// for the chunk's last few. A block of a narrow last panel is computed in a
// 16-wide buffer and its valid columns copied out. How a chunk meets a's
// memory (groups of rows, prefetching) is at rowsDirect. An Aᵀ·B whose
// result is narrower than a panel is computed through its transpose
// (rowsFlipped).
//
// Arithmetic. Every element of dst is one chain: s = start, then for p =
// 0, 1, …, k−1 in that order, s = s + a(i, p)·b(p, j); between pieces the
// sum waits in dst, which does not change it. The assembly kernels round
// once per step (a fused multiply-add), the portable one twice on amd64 (a
// product, then a sum; Go fuses the two on arm64). Which block, chunk or
// goroutine computes an element never changes its chain, so a kernel set
// gives the same bits on any number of cores and for any chunking, the
// assembly kernels give the same bits as each other, and they differ from
// the portable kernel in the last bits only (gemm_test.go,
// gemm_amd64_test.go; .ci/compare-builds on a whole run).

import (
	"fmt"
	"os"
	"strings"
	"unsafe"
)

const (
	panelW  = 16 // columns of a panel, the width of every kernel's block
	maxRows = 8  // the most rows any kernel set's block has

	// pieceK is the piece length when b's panels are read in place. A
	// piece costs a pass over the block of dst (its sums are loaded and
	// stored again), so long pieces pay although the panel's piece (64
	// KiB) then waits in L2 rather than L1: on the Intel machine an
	// epoch's training ran 5% faster than with 256 steps (800 and 1024:
	// the same as 512).
	pieceK = 512

	// packK is the piece length when b's panels are copied: the copy
	// (packK×16 values, 32 KiB) lives on the stack, which Go zeroes on
	// every call; a 64 KiB one made the small products 10–20% slower.
	packK = 256

	// pieceKT is the piece length when a's rows are its storage's columns
	// (Aᵀ·B): a block then reads a new cache line of A at every step, and
	// short pieces keep a block's lines in L1 while the panels pass them.
	// On the first layer's Xᵀ·δ, one core: 71 GFLOP/s against 52 with 256
	// (16: 59, 32: 71, 48: 76, 64: 71–73, 96: 54; the hidden layers' best
	// at 64).
	pieceKT = 64

	// groupRows is about how many rows of dst go through all panels
	// together when a's rows are read in place (see rowsDirect): one block
	// of the AVX-512 kernel; 32 and 96 were slower. Only when the rows' piece
	// of a has more than groupFrom values (512 KiB): a smaller one stays in
	// L2 between panels anyway, and the hidden layers' forward products
	// (750 rows × 64) ran 10% slower in groups.
	groupRows = 8
	groupFrom = 1 << 16
)

// watchProducts, when set, is called on the goroutine of every product
// before it, with its kind and shape (dst n×m, summed over k), and the
// function it returns after it: BenchmarkMNISTEpochProducts sets it to time
// the products where training and the evaluation run them. nil in the
// program; set and cleared only while no product runs.
var watchProducts func(kind string, n, k, m int) (done func())

// product is one product to compute: dst = start + a·b (see above).
type product struct {
	dst      *Matrix
	a        []float64 // a(i, p) = a[i*ars + p*aps], i < dst.Rows, p < k
	ars, aps int
	b        []float64 // b(p, j) = b[p*brs + j*bcs], j < dst.Cols
	brs, bcs int
	bias     []float64 // start of every row's sums; nil: 0
	k        int
	flip     bool // Aᵀ·B computed through its transpose (rowsFlipped)
}

// aTransposed says whether a's rows are its storage's columns (MatMulAT's
// Aᵀ): a(i, p) and a(i+1, p) lie next to each other, and each step p is a
// row of the storage further on.
func (pr *product) aTransposed() bool { return pr.ars == 1 && pr.aps != 1 }

// A kernel adds one panel piece into r rows × 16 columns of dst: for
// i < r, j < 16,
//
//	c[i·ldc + j] = s + Σ_{p<k} a[i·ars + p·aps] · b[p·ldb + j]
//
// where s = v[j] when v is not nil (the first piece: the bias or zeros),
// else c[i·ldc + j] itself (the sums of the pieces before), each element
// one chain in ascending p; k ≥ 1. A kernel set has a kernel for blocks of
// its rows (r a multiple of them, several blocks in one call) and one for
// a single row (the last rows of a chunk);
// callKernel (gemm_amd64.go, gemm_other.go) calls them directly rather than
// through function values, so that escape analysis can see that the
// buffers of rows stay on the goroutine's stack.

// kernelSet is the kernels of one instruction set.
type kernelSet struct {
	name string
	id   kernelID
	rows int // rows of its block kernel's blocks
}

type kernelID int

const (
	portableID kernelID = iota
	avx2ID
	avx512ID
)

// portableKernels is the reference: plain Go, on every architecture.
var portableKernels = kernelSet{name: "portable", id: portableID, rows: 1}

// kernels is the set in use, chosen once at start-up: the fastest this
// build and CPU run (gemm_amd64.go, gemm_other.go), or the one the
// environment variable BACKPROP_KERNELS names (portable, avx2, avx512).
// A name it cannot honour leaves the fastest set in use here, and the
// program refuses to start (kernelsFromEnv).
var kernels, _ = chooseKernels(os.Getenv("BACKPROP_KERNELS"))

// KernelName says which kernels this binary uses ("portable", "avx2", …).
func KernelName() string { return kernels.name }

// kernelHint tells someone running the long MNIST experiment with the
// portable kernels on amd64 why, when they did not ask for them (want, the
// environment variable BACKPROP_KERNELS): the binary was built with -tags
// purego, or the CPU lacks AVX2 and FMA. Elsewhere it says nothing.
func kernelHint(kernels, goarch, want string) string {
	if kernels != portableKernels.name || goarch != "amd64" || want == "portable" {
		return ""
	}
	return " (no assembly: a -tags purego build, or a CPU without AVX2 and FMA; the products run several times slower)"
}

// kernelNames are the names BACKPROP_KERNELS may give, in any build.
var kernelNames = []string{"avx512", "avx2", "portable"}

// chooseKernels returns the set named by want, or the fastest set this
// build and CPU run when want is empty. A name that is no set's, or a set
// this build or CPU cannot run, is an error naming the sets it can.
func chooseKernels(want string) (kernelSet, error) {
	var runs []string
	var fastest *kernelSet
	for i, ks := range kernelSets {
		if !cpuRuns[ks.id] {
			continue
		}
		if fastest == nil {
			fastest = &kernelSets[i]
		}
		if ks.name == want {
			return ks, nil
		}
		runs = append(runs, ks.name)
	}
	if want == "" {
		return *fastest, nil
	}
	list := strings.Join(runs, ", ")
	for _, name := range kernelNames {
		if name != want {
			continue
		}
		why := "this CPU (or its operating system) does not support it"
		if !builtWith(name) {
			why = "this binary was built without it (-tags purego, or not amd64)"
		}
		return *fastest, fmt.Errorf("BACKPROP_KERNELS=%s: %s; this binary and CPU run %s: set one of them, or unset BACKPROP_KERNELS for the fastest (%s)", want, why, list, fastest.name)
	}
	return *fastest, fmt.Errorf("BACKPROP_KERNELS=%q: no such kernel set; this binary and CPU run %s: set one of them, or unset BACKPROP_KERNELS for the fastest (%s)", want, list, fastest.name)
}

// builtWith reports whether this build has the kernel set named name.
func builtWith(name string) bool {
	for _, ks := range kernelSets {
		if ks.name == name {
			return true
		}
	}
	return false
}

// kernelsFromEnv checks the environment variable BACKPROP_KERNELS, which
// chose the kernels at start-up: nil when it is unset or names a set this
// binary and CPU run, else an error that says which ones they run. The
// program calls it before any work (main.go), so that a mistyped or
// unsupported name stops it instead of running other kernels silently.
func kernelsFromEnv() error {
	_, err := chooseKernels(os.Getenv("BACKPROP_KERNELS"))
	return err
}

// gemm computes a product with the kernels in use, its rows spread over
// the cores.
func gemm(pr product) {
	n, m := pr.dst.Rows, pr.dst.Cols
	if n == 0 || m == 0 {
		return
	}
	if pr.k == 0 { // no terms: every sum is its start
		for i := 0; i < n; i++ {
			if pr.bias != nil {
				copy(pr.dst.Row(i), pr.bias)
			} else {
				clear(pr.dst.Row(i))
			}
		}
		return
	}
	var watched func()
	if watchProducts != nil {
		watched = watchProducts(pr.kind(), n, pr.k, m)
	}
	ks := &kernels
	w := workers()
	switch {
	case pr.flips():
		pr.flip = true
		parallelProduct(pr, ks, flipChunk(n, m, w), w)
	case pr.aTransposed():
		parallelProduct(pr, ks, chunkRowsT(n, ks.rows, w), w)
	default:
		parallelProduct(pr, ks, chunkRows(n, pr.k*m, ks.rows, w), w)
	}
	if watched != nil {
		watched()
	}
}

// kind names a product by the function of tensor.go that asks for it:
// "MatMulAT" (a's rows are its storage's columns), "MatMulBT" (b's columns
// are its storage's rows), "MatMulBias" or "MatMul".
func (pr *product) kind() string {
	switch {
	case pr.aTransposed():
		return "MatMulAT"
	case pr.bcs != 1:
		return "MatMulBT"
	case pr.bias != nil:
		return "MatMulBias"
	}
	return "MatMul"
}

// chunkRows is how many rows of dst one goroutine takes at a time: about
// 4M multiply-adds (tens of microseconds, so that handing a chunk over
// costs little), fewer rows when the inner dimension is long (the chunk's
// rows of a piece stay in L2), at least 4 chunks per core when there are
// enough rows, and a whole number of the kernel's blocks. The results do
// not depend on it (see Arithmetic above).
func chunkRows(n, flopsPerRow, blockRows, workers int) int {
	c := (1<<22 + flopsPerRow - 1) / flopsPerRow
	c = min(c, 128)
	c = min(c, (n+4*workers-1)/(4*workers))
	c = (c + blockRows - 1) / blockRows * blockRows
	return max(c, blockRows)
}

// rows computes rows [i0, i1) of the product with the kernel set ks:
// through its transpose when pr.flip (rowsFlipped), else as it stands
// (rowsDirect).
func (pr *product) rows(ks *kernelSet, i0, i1 int) {
	if pr.flip {
		pr.rowsFlipped(ks, i0, i1)
		return
	}
	pr.rowsDirect(ks, i0, i1)
}

// rowsDirect is rows for a product computed as it stands. (rowsFlipped
// calls it, not rows: a call cycle would make escape analysis move the
// buffers of both to the heap.)
//
// Two ways of walking a's memory, chosen by how a lies; neither changes a
// sum. When a's rows are rows of its storage and their piece is big, the
// rows go in groups of about groupRows, each group through every piece and
// panel before the next, so that the group's piece of a, read from memory
// by the first panel, is still in L1 for the others (the first layer's
// forward product over fresh rows of the data set: 38 → 62 GFLOP/s on one
// core of the Intel machine). When they are its columns (Aᵀ·B), every step
// of a block reads a line of a different row of the storage, more streams
// than the CPU's prefetcher follows, so each piece of a is prefetched row
// by row before the kernels read it (the first layer's Xᵀ·δ over fresh
// rows: 32 → 52 GFLOP/s).
func (pr *product) rowsDirect(ks *kernelSet, i0, i1 int) {
	var packed [packK * panelW]float64 // a copied panel piece of b
	var edge [maxRows * panelW]float64 // a block of a narrow panel
	var start [panelW]float64          // a panel's start of the sums
	m := pr.dst.Cols
	transposed := pr.aTransposed()
	piece, group := pieceK, i1-i0
	switch {
	case transposed:
		piece = pieceKT
	case pr.bcs != 1 || m%panelW != 0:
		// b is copied: shorter pieces, and no groups, which would copy
		// its panels again for every group.
		piece = packK
	case m > panelW && (i1-i0)*min(piece, pr.k) > groupFrom:
		group = (groupRows + ks.rows - 1) / ks.rows * ks.rows
	}
	for g0 := i0; g0 < i1; g0 += group {
		g1 := min(g0+group, i1) // the group's rows
		for p0 := 0; p0 < pr.k; p0 += piece {
			p1 := min(p0+piece, pr.k)
			if transposed {
				for p := p0; p < p1; p++ {
					prefetch(pr.a[p*pr.aps+g0 : p*pr.aps+g1])
				}
			}
			for j := 0; j < m; j += panelW {
				w := min(panelW, m-j)
				b, ldb := pr.panel(packed[:], p0, p1, j, w)
				var v []float64 // nil: carry on from the sums in dst
				if p0 == 0 {
					start = [panelW]float64{}
					if pr.bias != nil {
						copy(start[:w], pr.bias[j:])
					}
					v = start[:]
				}
				for i := g0; i < g1; {
					// Every full block of the group in one call; then its
					// last rows one at a time.
					r := (g1 - i) / ks.rows * ks.rows
					if r == 0 {
						r = 1
					}
					a := pr.a[i*pr.ars+p0*pr.aps:]
					if w == panelW {
						callKernel(ks.id, r, p1-p0, a, pr.ars, pr.aps, b, ldb, pr.dst.Data[i*m+j:], m, v)
						i += r
						continue
					}
					// A narrow panel: a block at a time through a 16-wide buffer.
					r = min(r, ks.rows)
					blk := edge[:r*panelW]
					if v == nil {
						for q := 0; q < r; q++ {
							copy(blk[q*panelW:q*panelW+w], pr.dst.Data[(i+q)*m+j:])
						}
					}
					callKernel(ks.id, r, p1-p0, a, pr.ars, pr.aps, b, ldb, blk, panelW, v)
					for q := 0; q < r; q++ {
						copy(pr.dst.Data[(i+q)*m+j:(i+q)*m+j+w], blk[q*panelW:])
					}
					i += r
				}
			}
		}
	}
}

// panel returns rows [p0, p1) of columns [j, j+w) of b as a kernel reads
// them (row p at b[(p−p0)·ldb :], 16 values): in place when they are 16
// contiguous columns, else copied into buf with ldb 16, zero-padded.
func (pr *product) panel(buf []float64, p0, p1, j, w int) (b []float64, ldb int) {
	if pr.bcs == 1 && w == panelW {
		return pr.b[p0*pr.brs+j:], pr.brs
	}
	buf = buf[:(p1-p0)*panelW]
	for c := 0; c < panelW; c++ {
		if c >= w {
			for p := c; p < len(buf); p += panelW {
				buf[p] = 0
			}
			continue
		}
		src := pr.b[p0*pr.brs+(j+c)*pr.bcs:]
		for p, q := 0, c; q < len(buf); p, q = p+pr.brs, q+panelW {
			buf[q] = src[p]
		}
	}
	return buf, panelW
}

// portableRows is the portable kernel for r rows, a row at a time.
func portableRows(r, k int, a []float64, ars, aps int, b []float64, ldb int, c []float64, ldc int, v []float64) {
	for i := 0; i < r; i++ {
		portableRow(k, a[i*ars:], aps, b, ldb, c[i*ldc:], v)
	}
}

// portableRow adds a panel piece into one row × 16 columns, in strips of
// 6, 6 and 4 columns whose sums stay in registers over the piece. (Go's
// compiler issues a step's multiplies before its adds, so a strip needs a
// register for every sum and every product: 6 + 6 and the element of a fit
// the 15 it leaves free; 8 would spill to the stack on every step.) The
// strips take two steps per turn of their loop, which halves the loop's
// own work (the index updates and bounds checks): 30–45% faster.
func portableRow(k int, a []float64, aps int, b []float64, ldb int, c []float64, v []float64) {
	s := (*[panelW]float64)(c[:panelW])
	if v != nil {
		*s = [panelW]float64(v[:panelW])
	}
	strip6(k, a, aps, b, ldb, (*[6]float64)(s[0:6]))
	strip6(k, a, aps, b[6:], ldb, (*[6]float64)(s[6:12]))
	strip4(k, a, aps, b[12:], ldb, (*[4]float64)(s[12:16]))
}

// strip6 sets s[c] += Σ_{p<k} a[p·aps]·b[p·ldb + c] for c < 6, each sum in
// ascending p.
//
//go:noinline
func strip6(k int, a []float64, aps int, b []float64, ldb int, s *[6]float64) {
	s0, s1, s2, s3, s4, s5 := s[0], s[1], s[2], s[3], s[4], s[5]
	p, ai, bi := 0, 0, 0
	for ; p+1 < k; p, ai, bi = p+2, ai+2*aps, bi+2*ldb {
		x, r := a[ai], b[bi:bi+6:bi+6]
		s0 += x * r[0]
		s1 += x * r[1]
		s2 += x * r[2]
		s3 += x * r[3]
		s4 += x * r[4]
		s5 += x * r[5]
		y, q := a[ai+aps], b[bi+ldb:bi+ldb+6:bi+ldb+6]
		s0 += y * q[0]
		s1 += y * q[1]
		s2 += y * q[2]
		s3 += y * q[3]
		s4 += y * q[4]
		s5 += y * q[5]
	}
	if p < k {
		x, r := a[ai], b[bi:bi+6:bi+6]
		s0 += x * r[0]
		s1 += x * r[1]
		s2 += x * r[2]
		s3 += x * r[3]
		s4 += x * r[4]
		s5 += x * r[5]
	}
	s[0], s[1], s[2], s[3], s[4], s[5] = s0, s1, s2, s3, s4, s5
}

// strip4 is strip6 for 4 columns.
//
//go:noinline
func strip4(k int, a []float64, aps int, b []float64, ldb int, s *[4]float64) {
	s0, s1, s2, s3 := s[0], s[1], s[2], s[3]
	p, ai, bi := 0, 0, 0
	for ; p+1 < k; p, ai, bi = p+2, ai+2*aps, bi+2*ldb {
		x, r := a[ai], b[bi:bi+4:bi+4]
		s0 += x * r[0]
		s1 += x * r[1]
		s2 += x * r[2]
		s3 += x * r[3]
		y, q := a[ai+aps], b[bi+ldb:bi+ldb+4:bi+ldb+4]
		s0 += y * q[0]
		s1 += y * q[1]
		s2 += y * q[2]
		s3 += y * q[3]
	}
	if p < k {
		x, r := a[ai], b[bi:bi+4:bi+4]
		s0 += x * r[0]
		s1 += x * r[1]
		s2 += x * r[2]
		s3 += x * r[3]
	}
	s[0], s[1], s[2], s[3] = s0, s1, s2, s3
}

// checkBlock panics unless a block of r rows of k steps lies inside a, b
// and c: the assembly kernels read and write through raw pointers.
func checkBlock(r, k int, a []float64, ars, aps int, b []float64, ldb int, c []float64, ldc int, v []float64) {
	if k < 1 || len(a) <= (r-1)*ars+(k-1)*aps || len(b) < (k-1)*ldb+panelW || len(c) < (r-1)*ldc+panelW || (v != nil && len(v) < panelW) {
		panicShape("gemm", "the block inside its operands", fmt.Sprintf("a block of %d rows and %d steps", r, k), fmt.Sprintf("operands of %d, %d, %d values", len(a), len(b), len(c)))
	}
}

// overlap reports whether two non-empty slices share an element.
func overlap(a, b []float64) bool {
	a0, a1 := uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&a[len(a)-1]))
	b0, b1 := uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&b[len(b)-1]))
	return a0 <= b1 && b0 <= a1
}

// chunkRowsT is chunkRows for Aᵀ·B. A chunk of its rows reads all of b,
// so the rows of a chunk are at least about 24 (8 blocks of the AVX2
// kernel, 3 of the AVX-512 one), and the chunks a whole number per core: the
// hidden layers' 64 rows in 2 chunks rather than 8 (on one core of the AMD
// machine, the 64 rows in chunks of 9 ran at 36 GFLOP/s, of 33 at 45, of
// 64 at 48: each chunk streams b's 1.5 MB from L3).
func chunkRowsT(n, blockRows, workers int) int {
	q := workers * max(1, n/(24*workers))
	c := (n + q - 1) / q
	c = (c + blockRows - 1) / blockRows * blockRows
	return max(c, blockRows)
}

// flips reports whether a product is computed through its transpose
// (rowsFlipped): an Aᵀ·B whose result is narrower than a panel and whose
// transpose is wider than it.
func (pr *product) flips() bool {
	return pr.aTransposed() && pr.bias == nil && pr.dst.Cols < panelW && pr.dst.Rows > pr.dst.Cols
}

// flipBuf is the size of rowsFlipped's buffer: 16 KiB.
const flipBuf = 2048

// flipChunk is how many rows of dst one goroutine takes at a time when a
// product is flipped (rowsFlipped): a whole number of panels, about the
// same number for every core.
func flipChunk(n, m, workers int) int {
	step := flipBuf / m / panelW * panelW
	q := (n + step - 1) / step
	q = max(workers, (q+workers-1)/workers*workers)
	c := (n + q - 1) / q
	return (c + panelW - 1) / panelW * panelW
}

// rowsFlipped computes rows [i0, i1) of an Aᵀ·B product whose result is
// narrow (m < 16 columns: the output layer's dW = Hᵀ·δ, 64×10) through
// its transpose, dstᵀ = bᵀ·a: dstᵀ has m rows and dst's rows as its
// columns, so it is computed in full 16-wide panels of a read in place
// where dst itself would fill a third of a padded panel with zeros (on one
// core: 22 → 37 GFLOP/s with AVX2, 30 → 55 with AVX-512). The panels go
// into buf, a few at a time, and are copied over transposed. The sums do
// not change: element (i, j) is the chain of a(i, p)·b(p, j) either way,
// and a product of two numbers, fused or not, does not depend on their
// order. (Wide results lose: the first layer's dW ran 20–30% slower.)
func (pr *product) rowsFlipped(ks *kernelSet, i0, i1 int) {
	var buf [flipBuf]float64
	m := pr.dst.Cols
	step := flipBuf / m / panelW * panelW
	d := pr.dst.Data
	for c0 := i0; c0 < i1; c0 += step {
		c := min(step, i1-c0)
		t := Matrix{Rows: m, Cols: c, Data: buf[:m*c]}
		flipped := product{dst: &t, a: pr.b, ars: pr.bcs, aps: pr.brs, b: pr.a[c0*pr.ars:], brs: pr.aps, bcs: pr.ars, k: pr.k}
		flipped.rowsDirect(ks, 0, m)
		for j := 0; j < m; j++ {
			for i, x := range buf[j*c : j*c+c] {
				d[(c0+i)*m+j] = x
			}
		}
	}
}
