package main

// Tests of the blank-pixel (background) products of sparse.go: they must
// compute the dense products of the same matrix, in every kernel set, on
// row views, with the same bits on any number of cores, and the loader
// must attach a background only when it describes the matrix.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// bytesEach is idxData.each for images held in one slice.
func bytesEach(px []byte) func(from, to int, f func(off int, b []byte)) {
	return func(from, to int, f func(off int, b []byte)) { f(from, px[from:to]) }
}

// randomPixels returns n·cols random bytes, 0 with probability blank, else
// uniform in 1…255.
func randomPixels(rng *rand.Rand, n, cols int, blank float64) []byte {
	px := make([]byte, n*cols)
	for i := range px {
		if rng.Float64() >= blank {
			px[i] = byte(1 + rng.IntN(255))
		}
	}
	return px
}

// pixelImages returns n images of cols byte pixels (blank with
// probability blank), standardized with random statistics the way
// MNIST's are, carrying their background, and the same matrix without it.
func pixelImages(t *testing.T, rng *rand.Rand, n, cols int, blank float64) (X, dense *Matrix) {
	t.Helper()
	px := randomPixels(rng, n, cols, blank)
	mean, std := make([]float64, cols), make([]float64, cols)
	for c := range mean {
		mean[c], std[c] = rng.Float64(), 0.1+rng.Float64()
	}
	mean[0], std[0] = 0, 0 // a column left as it is, as Standardize does for constant pixels
	value := standardizedPixel(mean, std)
	X = NewMatrix(n, cols)
	for i, b := range px {
		X.Data[i] = value(i%cols, b)
	}
	X = withPixelValues(X, pixelForeground(n, cols, bytesEach(px)), value)
	if X.bg == nil && n > 0 {
		t.Fatalf("withPixelValues: got no background for %dx%d images, %.0f%% blank", n, cols, 100*blank)
	}
	if err := X.checkBackground(); err != nil {
		t.Fatalf("the background of %dx%d images: %v", n, cols, err)
	}
	return X, X.Clone()
}

// backgroundScale is the bound on the rounding error of the background
// form of a product: |bias| + Σ_p (|base_p| + |d_p| + |x_p|)·|b_pj|, where
// d_p = x_p − base_p (the dense product's scale is |bias| + Σ_p |x_p·b_pj|;
// the background form adds base·b and d·b, each of which may be larger).
func backgroundScale(X *Matrix, B, bias *Matrix) *Matrix {
	scale := NewMatrix(X.Rows, B.Cols)
	for i := 0; i < X.Rows; i++ {
		for j := 0; j < B.Cols; j++ {
			s := 0.0
			if bias != nil {
				s = math.Abs(bias.Data[j])
			}
			for p, x := range X.Row(i) {
				base := X.bg.base[p]
				s += (math.Abs(base) + math.Abs(x-base) + math.Abs(x)) * math.Abs(B.At(p, j))
			}
			scale.Set(i, j, s)
		}
	}
	return scale
}

// TestBackgroundProductsMatchDense compares MatMulBias and MatMulAT on
// images with a background against the naive sums of the same matrix
// without it, within 1e-12 of backgroundScale, for every kernel set, on
// the whole matrix and on row views that start past row 0.
func TestBackgroundProductsMatchDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := [][3]int{ // images n × cols, and m columns of W (or δ)
		{1, 1, 1}, {3, 5, 7}, {9, 17, 4}, {40, 37, 3}, {33, 64, 33},
		{300, 784, 64}, {257, 100, 10}, {130, 70, 65}, {64, 300, 32},
	}
	for _, ks := range kernelSets() {
		for _, sh := range shapes {
			n, cols, m := sh[0], sh[1], sh[2]
			if testing.Short() && n*cols*m > 1e6 {
				continue // the naive sums of MNIST's shape take a while under -race
			}
			X, dense := pixelImages(t, rng, n, cols, 0.8)
			W, bias, delta := randMatrix(rng, cols, m), randMatrix(rng, 1, m), randMatrix(rng, n, m)
			for _, r := range [][2]int{{0, n}, {n / 3, n}, {n / 2, n/2 + (n+1)/4}} {
				Xv, Dv, delv := X.SliceRows(r[0], r[1]), dense.SliceRows(r[0], r[1]), delta.SliceRows(r[0], r[1])
				if Xv.bg == nil {
					t.Fatalf("SliceRows(%d, %d): the view lost the background", r[0], r[1])
				}
				rows := r[1] - r[0]
				got := NewMatrix(rows, m)
				got.Fill(math.NaN()) // every element must be written
				withKernels(ks, func() { MatMulBias(got, Xv, W, bias) })
				want, _ := naiveSums(rows, cols, m, Dv.At, W.At, bias)
				if i, j, ok := closeTo(got, want, backgroundScale(Xv, W, bias), 1e-12); !ok {
					t.Errorf("%s kernels: MatMulBias on %dx%d images (rows %d–%d) ·%dx%d: element (%d,%d) = got %v; want %v",
						ks.name, n, cols, r[0], r[1], cols, m, i, j, got.At(i, j), want.At(i, j))
				}
				gotT := NewMatrix(cols, m)
				gotT.Fill(math.NaN())
				withKernels(ks, func() { MatMulAT(gotT, Xv, delv) })
				XT, XvT := transpose(Dv), transpose(Xv)
				XvT.bg = nil
				wantT, _ := naiveSums(cols, rows, m, XT.At, delv.At, nil)
				// The scale of Aᵀ·B: the same bound with the roles of i and p swapped.
				scaleT := NewMatrix(cols, m)
				for c := 0; c < cols; c++ {
					base := X.bg.base[c]
					for j := 0; j < m; j++ {
						s := 0.0
						for p := 0; p < rows; p++ {
							x := Dv.At(p, c)
							s += (math.Abs(base) + math.Abs(x-base) + math.Abs(x)) * math.Abs(delv.At(p, j))
						}
						scaleT.Set(c, j, s)
					}
				}
				if i, j, ok := closeTo(gotT, wantT, scaleT, 1e-12); !ok {
					t.Errorf("%s kernels: MatMulAT of %dx%d images (rows %d–%d) and δ %dx%d: element (%d,%d) = got %v; want %v",
						ks.name, n, cols, r[0], r[1], rows, m, i, j, gotT.At(i, j), wantT.At(i, j))
				}
				// That Aᵀ·B used the d's the forward product listed; once
				// more, with nothing listed, it looks them up itself, and
				// must give the same bits.
				again := NewMatrix(cols, m)
				withKernels(ks, func() { MatMulAT(again, Xv, delv) })
				for x := range again.Data {
					if math.Float64bits(again.Data[x]) != math.Float64bits(gotT.Data[x]) {
						t.Errorf("%s kernels: MatMulAT of %dx%d images (rows %d–%d), d's looked up itself: element %d = got %v; want %v (with the forward product's list)",
							ks.name, n, cols, r[0], r[1], x, again.Data[x], gotT.Data[x])
						break
					}
				}
			}
		}
	}
}

// TestBackgroundProductsSameBitsOnAnyNumberOfCores runs both background
// products with one and with eight threads.
func TestBackgroundProductsSameBitsOnAnyNumberOfCores(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	X, _ := pixelImages(t, rng, 3000, 784, 0.81)
	W, bias, delta := randMatrix(rng, 784, 64), randMatrix(rng, 1, 64), randMatrix(rng, 3000, 64)
	for _, ks := range kernelSets() {
		for name, p := range map[string]struct {
			rows, cols int
			run        func(dst *Matrix)
		}{
			"MatMulBias": {3000, 64, func(dst *Matrix) { MatMulBias(dst, X, W, bias) }},
			"MatMulAT":   {784, 64, func(dst *Matrix) { MatMulAT(dst, X, delta) }},
		} {
			var got [2]*Matrix
			for r, procs := range []int{1, 8} {
				got[r] = NewMatrix(p.rows, p.cols)
				prev := runtime.GOMAXPROCS(procs)
				withKernels(ks, func() { p.run(got[r]) })
				runtime.GOMAXPROCS(prev)
			}
			for x := range got[0].Data {
				if math.Float64bits(got[0].Data[x]) != math.Float64bits(got[1].Data[x]) {
					t.Errorf("%s kernels: %s with a background: element %d = got %v with 8 threads; want %v (1 thread)",
						ks.name, name, x, got[1].Data[x], got[0].Data[x])
					break
				}
			}
		}
	}
}

// TestBackgroundNonFinite: a NaN in the weights or in δ makes the same
// elements NaN as in the dense products, and an infinity makes the same
// elements non-finite (where the dense product has ±Inf, the background
// form may have NaN: base·Inf and d·Inf can have opposite signs).
func TestBackgroundNonFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	X, dense := pixelImages(t, rng, 50, 30, 0.8)
	for _, ks := range kernelSets() {
		for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			W, delta := randMatrix(rng, 30, 9), randMatrix(rng, 50, 9)
			W.Set(7, 2, v)
			delta.Set(20, 5, v)
			check := func(what string, got, want *Matrix) {
				for x := range got.Data {
					g, w := got.Data[x], want.Data[x]
					if math.IsNaN(w) != math.IsNaN(g) && (finite(g) || finite(w)) || finite(g) != finite(w) {
						t.Errorf("%s kernels: %s with %v: element %d = got %v; want %v (the dense product's)", ks.name, what, v, x, g, w)
						return
					}
				}
			}
			got, want := NewMatrix(50, 9), NewMatrix(50, 9)
			withKernels(ks, func() { MatMulBias(got, X, W, nil) })
			withKernels(ks, func() { MatMulBias(want, dense, W, nil) })
			check("MatMulBias", got, want)
			gotT, wantT := NewMatrix(30, 9), NewMatrix(30, 9)
			withKernels(ks, func() { MatMulAT(gotT, X, delta) })
			withKernels(ks, func() { MatMulAT(wantT, dense, delta) })
			check("MatMulAT", gotT, wantT)
			if math.IsNaN(v) && !math.IsNaN(got.At(0, 2)) {
				t.Errorf("%s kernels: MatMulBias with a NaN weight: element (0,2) = got %v; want NaN", ks.name, got.At(0, 2))
			}
		}
	}
}

// TestPixelForeground: the foreground of hand-made images, and of the
// same images handed over in pieces that split them anywhere (as the IDX
// reader's chunks do).
func TestPixelForeground(t *testing.T) {
	px := []byte{
		0, 3, 0, 255,
		0, 0, 0, 0,
		128, 0, 0, 0,
	}
	wantStart, wantCols, wantBytes := []int{0, 2, 2, 3}, []uint16{1, 3, 0}, []uint8{3, 255, 128}
	pieces := func(from, to int, f func(off int, b []byte)) {
		for off := from; off < to; off += 3 {
			f(off, px[off:min(off+3, to)])
		}
	}
	for name, each := range map[string]func(from, to int, f func(off int, b []byte)){"whole": bytesEach(px), "pieces of 3": pieces} {
		bg := pixelForeground(3, 4, each)
		for i, w := range wantStart {
			if bg.start[i] != w {
				t.Errorf("%s: start[%d] = got %d; want %d", name, i, bg.start[i], w)
			}
		}
		if len(bg.cols) != len(wantCols) {
			t.Fatalf("%s: got %d foreground pixels; want %d", name, len(bg.cols), len(wantCols))
		}
		for k := range wantCols {
			if bg.cols[k] != wantCols[k] || bg.bytes[k] != wantBytes[k] {
				t.Errorf("%s: entry %d = got column %d, byte %d; want column %d, byte %d", name, k, bg.cols[k], bg.bytes[k], wantCols[k], wantBytes[k])
			}
		}
	}
}

// TestWithPixelValuesRefuses: withPixelValues returns the matrix without
// a background when the table would not be finite, when most pixels are
// foreground, or when the foreground is of other images; and
// checkBackground finds a value changed after the background was made.
func TestWithPixelValuesRefuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	ident := func(c int, b byte) float64 { return float64(b) / 255 }
	images := func(blank float64) (*Matrix, *background) {
		px := randomPixels(rng, 20, 10, blank)
		X := NewMatrix(20, 10)
		for i, b := range px {
			X.Data[i] = ident(i%10, b)
		}
		return X, pixelForeground(20, 10, bytesEach(px))
	}

	X, fg := images(0.8)
	Y := withPixelValues(X, fg, ident)
	if Y.bg == nil {
		t.Fatal("withPixelValues on 80% blank images: got no background; want one")
	}
	if err := Y.checkBackground(); err != nil {
		t.Fatalf("checkBackground on unchanged images: got %v; want nil", err)
	}
	X.Data[17] += 0.5 // written after the background was attached
	if err := Y.checkBackground(); err == nil {
		t.Error("checkBackground on images changed afterwards: got nil; want an error")
	}
	X.Data[17] -= 0.5
	X.Data[13] = ident(0, 77) + 1e-3 // a foreground pixel, or a blank one, changed
	if err := Y.checkBackground(); err == nil {
		t.Error("checkBackground on images changed afterwards: got nil; want an error")
	}

	X, fg = images(0.8)
	inf := func(c int, b byte) float64 {
		if b == 7 {
			return math.Inf(1)
		}
		return float64(b) / 255
	}
	if got := withPixelValues(X, fg, inf); got.bg != nil {
		t.Error("withPixelValues with an infinite value in the table: got a background; want none")
	}
	X, fg = images(0.3)
	if got := withPixelValues(X, fg, ident); got.bg != nil {
		t.Error("withPixelValues with 70% foreground: got a background; want none (the dense kernels are faster)")
	}
	if got := withPixelValues(X, nil, ident); got != X {
		t.Error("withPixelValues with no foreground: got another matrix; want X itself")
	}
	if got := withPixelValues(X.SliceRows(0, 19), fg, ident); got.bg != nil {
		t.Error("withPixelValues with the foreground of 20 images for 19: got a background; want none")
	}
}

// TestMNISTLoadAttachesBackground: LoadMNIST gives the training set its
// background when most pixels are blank (as in the real files), and
// training on them gives the losses of training on the same matrices
// without it (the same numbers summed in another order).
func TestMNISTLoadAttachesBackground(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	images := func(n int) []byte {
		px := make([]byte, n*mnistPixels)
		for i := range px {
			if rng.Float64() >= blankShare {
				px[i] = byte(1 + rng.IntN(255))
			}
		}
		return idxBytes(idxMagicImages, []uint32{uint32(n), 28, 28}, px)
	}
	labels := make([]byte, 300)
	for i := range labels {
		labels[i] = byte(rng.IntN(10))
	}
	dir := writeMNIST(t, images(300), labelsFile(labels...), images(100), labelsFile(labels[:100]...))
	d, err := LoadMNIST(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.XTrain.bg == nil {
		t.Fatal("LoadMNIST on images 81% blank: got no background for the training set; want one")
	}
	if err := d.XTrain.checkBackground(); err != nil {
		t.Fatalf("the training set's background: %v", err)
	}
	cfg := TrainConfig{BatchSize: 50, Epochs: 3, Eta: 0.1, XTest: d.XTest, TTest: d.TTest}
	ri, err := Train(NewMNISTNet([]int{32, 32}, false, newRNG(5)), d.XTrain, d.TTrain, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.XTest = d.XTest.Clone()
	riDense, err := Train(NewMNISTNet([]int{32, 32}, false, newRNG(5)), d.XTrain.Clone(), d.TTrain, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for e := range ri.Epochs {
		got, want := ri.Epochs[e], riDense.Epochs[e]
		if relErrTest(got.LossTrain, want.LossTrain) > 1e-9 || relErrTest(got.LossTest, want.LossTest) > 1e-9 {
			t.Errorf("epoch %d: losses with the background (train %v, test %v); want those without it (%v, %v) to 1e-9",
				e, got.LossTrain, got.LossTest, want.LossTrain, want.LossTest)
		}
	}
}

// checkBackground reports the first value of m that its background does
// not describe: a blank pixel must hold base[c], a foreground pixel a
// value x with x − base[c] = diff[256·c + b] (what the kernels use).
func (m *Matrix) checkBackground() error {
	var first error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
	}
	bg := m.bg
	inParallel(m.Rows, func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			cols, bytes := m.foreground(i)
			k := 0
			for c, v := range m.Row(i) {
				if k < len(cols) && int(cols[k]) == c {
					b := int(bytes[k])
					k++
					if b == 0 || v-bg.base[c] != bg.diff[c*256+b] {
						fail(fmt.Errorf("row %d, column %d holds %v; its background says byte %d, %v + %v", i, c, v, b, bg.base[c], bg.diff[c*256+b]))
						return
					}
				} else if v != bg.base[c] {
					fail(fmt.Errorf("row %d, column %d holds %v; its background says blank, %v", i, c, v, bg.base[c]))
					return
				}
			}
			if k != len(cols) {
				fail(fmt.Errorf("row %d: foreground columns %v not ascending", i, cols))
				return
			}
		}
	})
	return first
}
