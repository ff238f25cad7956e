package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withMemoryLimit makes memoryLimit say bytes for the test's duration.
func withMemoryLimit(t *testing.T, bytes int64) {
	old := memoryLimit
	memoryLimit = func() (int64, string) { return bytes, "the test's limit" }
	t.Cleanup(func() { memoryLimit = old })
}

// randomImages returns n images of MNIST's size: 81% of the pixels blank,
// the rest any byte; pixel 0 of every image is 0 and pixel 1 is 255, so
// that two columns have standard deviation 0 and are left as they are.
func randomImages(n int, seed uint64) *idxData {
	rng := rand.New(rand.NewPCG(seed, 3))
	rows := make([][]byte, n)
	for i := range rows {
		rows[i] = make([]byte, mnistPixels)
		for j := 2; j < mnistPixels; j++ {
			if rng.Float64() >= blankShare {
				rows[i][j] = byte(rng.IntN(256))
			}
		}
		rows[i][1] = 255
	}
	return pixelData(rows...)
}

// todaysPixels is the data set as the program held it before it kept the
// bytes: a float64 matrix of standardize(byte/255, mean, std), computed
// here pixel by pixel, without the table.
func todaysPixels(d *idxData, n int, mean, std []float64) *Matrix {
	X := NewMatrix(n, d.itemSize)
	d.each(0, n*d.itemSize, func(off int, b []byte) {
		for k, v := range b {
			j := (off + k) % d.itemSize
			X.Data[off+k] = standardize(float64(pixelLevel[v]), mean[j], std[j])
		}
	})
	return X
}

// sameBits fails the test at the first value of got that is not rows
// rows of want, bit for bit.
func sameBits(t *testing.T, what string, got, want *Matrix, rows []int) {
	t.Helper()
	if got.Rows != len(rows) || got.Cols != want.Cols {
		t.Fatalf("%s: got a %s matrix; want %dx%d", what, got.Shape(), len(rows), want.Cols)
	}
	for r, i := range rows {
		for j, v := range got.Row(r) {
			if w := want.At(i, j); math.Float64bits(v) != math.Float64bits(w) {
				t.Fatalf("%s: row %d (image %d), pixel %d = %v; want %v, bit for bit", what, r, i, j, v, w)
			}
		}
	}
}

func span(i0, i1 int) []int {
	s := make([]int, 0, i1-i0)
	for i := i0; i < i1; i++ {
		s = append(s, i)
	}
	return s
}

// The rows made from the bytes are the float64 pixels the program held
// before, bit for bit: by range (on one core and on all of them, across the
// payload's chunks) and by index (a shuffled epoch's batch).
func TestImageRowsAreTodaysPixels(t *testing.T) {
	// 3000 images are 2.35 MB of bytes: three chunks of the payload, and
	// image 1337 straddles the first two.
	const n = 3000
	d := randomImages(n, 1)
	mean, std := pixelStats(d, n)
	if std[0] != 0 || std[1] != 0 || std[2] == 0 {
		t.Fatalf("std of pixels 0, 1, 2 = %v, %v, %v; want 0, 0 and more than 0", std[0], std[1], std[2])
	}
	want := todaysPixels(d, n, mean, std)
	src := imageRows(d, n, mean, std)
	if src.Len() != n || src.Width() != mnistPixels {
		t.Fatalf("imageRows is %s; want %dx%d", rowsShape(src), n, mnistPixels)
	}
	var r rowReader
	for _, rg := range [][2]int{{0, n}, {0, 1}, {1337, 1338}, {1000, 2000}, {n - 1, n}, {7, 7}} {
		for _, parallel := range []bool{false, true} {
			sameBits(t, fmt.Sprintf("rows [%d, %d), parallel %v", rg[0], rg[1], parallel), r.rangeOf(src, rg[0], rg[1], parallel), want, span(rg[0], rg[1]))
		}
	}
	order := rand.New(rand.NewPCG(2, 2)).Perm(n)
	sameBits(t, "a shuffled order", r.gather(src, order), want, order)
	if fillVector { // and the Go code the vector instructions stand in for
		fillVector = false
		sameBits(t, "rows [0, n) made in Go", r.rangeOf(src, 0, n, true), want, span(0, n))
		fillVector = true
	} else {
		t.Log("the vector fill does not run here: the Go code alone was checked")
	}
	sameBits(t, "standardizedPixels", standardizedPixels(d, n, mean, std), want, span(0, n))
	// The first 1400 images keep two chunks of the payload (and reach no
	// other: the list's array ends with them).
	if few := imageRows(d, 1400, mean, std); len(few.data.chunks) != 2 || cap(few.data.chunks) != 2 {
		t.Errorf("the first 1400 images keep %d chunks of the payload and reach %d; want 2", len(few.data.chunks), cap(few.data.chunks))
	} else {
		sameBits(t, "the first 1400 images", takeRange(few, 1300, 1400), want, span(1300, 1400))
	}
	// A matrix is read in place (a view), and copied when gathered.
	if v := r.rangeOf(want, 10, 20, true); &v.Data[0] != &want.Data[10*mnistPixels] {
		t.Error("rangeOf a matrix copied its rows; want a view of them")
	}
	sameBits(t, "a matrix's rows gathered", r.gather(want, order[:50]), want, order[:50])
}

// Training on the bytes is training on the float64 pixels: the same run
// info and the same weights, bit for bit, with the batches in order (cut
// into parts: batchGradient) and shuffled.
func TestTrainOnImageRowsIsTrainOnMatrix(t *testing.T) {
	needLab(t, labFused)
	const n, nTest = 2500, 300
	d, dt := randomImages(n, 3), randomImages(nTest, 4)
	mean, std := pixelStats(d, n)
	X, Xt := imageRows(d, n, mean, std), imageRows(dt, nTest, mean, std)
	T, Tt := randOneHot(newTestRNG(5), n, mnistClasses), randOneHot(newTestRNG(6), nTest, mnistClasses)
	for _, shuffle := range []bool{false, true} {
		var runs [2]string
		for k, src := range [2][2]RowSource{{X, Xt}, {todaysPixels(d, n, mean, std), todaysPixels(dt, nTest, mean, std)}} {
			net := NewMNISTNet([]int{16, 8}, false, newRNG(7))
			ri, err := Train(net, src[0], T, TrainConfig{BatchSize: 1200, Epochs: 2, Eta: 0.1, Shuffle: shuffle, Rand: newRNG(8),
				XTest: src[1], TTest: Tt})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			ri.WriteCSV(&b)
			for _, l := range net.paramLayers() {
				for _, p := range l.Params() {
					for _, v := range p.Data {
						fmt.Fprintf(&b, "%x ", math.Float64bits(v))
					}
				}
			}
			runs[k] = b.String()
		}
		if runs[0] != runs[1] {
			t.Errorf("shuffle %v: training on the bytes and on the float64 pixels differ:\n%.600s\n%.600s", shuffle, runs[0], runs[1])
		}
	}
}

// Reading a batch of rows made from the bytes allocates nothing once the
// reader's buffer has its size: by range, on all the cores, and by index.
func TestReadingRowsAllocatesNothing(t *testing.T) {
	const n = 3000
	d := randomImages(n, 9)
	mean, std := pixelStats(d, n)
	src := imageRows(d, n, mean, std)
	order := rand.New(rand.NewPCG(2, 2)).Perm(n)
	var r rowReader
	read := func() {
		r.rangeOf(src, 0, n, true)
		r.gather(src, order)
	}
	read()
	if got := testing.AllocsPerRun(5, read); got != 0 {
		t.Errorf("allocations per batch read = %v; want 0", got)
	}
	if got, ok := mallocsOnFourThreads(t, 10, read); ok && got >= 10 {
		t.Errorf("allocations in 10 batch reads on 4 threads = %d; want fewer than 10", got)
	}
}

// blankMNISTDir writes MNIST files whose test set is nTest blank images (a
// gzip file of a few MB that declares them), with 20 training images. With
// BLANK_MNIST_DIR set they are written there and kept, for a run by hand.
func blankMNISTDir(t *testing.T, nTest int) string {
	dir := os.Getenv("BLANK_MNIST_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := [4][]byte{
		gzipBytes(t, imagesFile(20)), gzipBytes(t, labelsFile(make([]byte, 20)...)),
		gzipBomb(t, idxBytes(idxMagicImages, []uint32{uint32(nTest), 28, 28}, nil), nTest*mnistPixels),
		gzipBomb(t, idxBytes(idxMagicLabels, []uint32{uint32(nTest)}, nil), nTest),
	}
	for i, b := range files {
		if err := os.WriteFile(filepath.Join(dir, mnistFiles[i].Name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A test-images file of 2,000,000 blank images (1.57 GB of pixels) is
// weighed at under 2 GB, its bytes and one-hot labels, and refused with that
// estimate where the machine has less. (Its real peak is measured by hand:
// docs/performance.md.)
func TestMNISTTwoMillionImagesEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 1.5 MB gzip file of 1.57 GB of pixels")
	}
	const nTest = 2000000
	dir := blankMNISTDir(t, nTest)
	src, err := openMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// The sum the run weighs, with the lab's settings (the flags' defaults).
	cmd, err := parseFlags([]string{"-exp", "mnist", "-data", dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, n := range src.runNeeds(cmd.settings) {
		total += n.bytes
	}
	if pixels := float64(nTest * mnistPixels); total < pixels || total > 2e9 {
		t.Errorf("the estimate for 2,000,000 test images is %s; want at least their %s of bytes and at most 2 GB", formatBytes(total), formatBytes(pixels))
	}
	t.Logf("estimate: %s", formatBytes(total))

	withMemoryLimit(t, 1<<30)
	code, _, stderr := runMain("-exp", "mnist", "-data", dir, "-epochs", "1", "-q", "-out", t.TempDir())
	if code == 0 {
		t.Fatalf("a run on 2,000,000 test images with 1 GiB to use: exit code 0; want a refusal")
	}
	for _, want := range []string{"would need about 1.", "test images 1.6 GiB", "may use 1.0 GiB"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("a run on 2,000,000 test images with 1 GiB to use: stderr %q; want %q in it", stderr, want)
		}
	}
}

// BenchmarkMNISTEpochRows times an epoch of the lab's MNIST run on the real
// training and test images (MNIST_DIR), read from the bytes (bytes) and
// from the float64 matrix the program held before (matrix), the way Train
// reads them: "train" is one pass of SGD, "eval" the evaluation of both
// sets after it, "epoch" both.
func BenchmarkMNISTEpochRows(b *testing.B) {
	dir := os.Getenv("MNIST_DIR")
	if dir == "" {
		b.Skip("MNIST_DIR is not set")
	}
	d, err := LoadMNIST(dir, 0)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct {
		name     string
		X, XTest RowSource
	}{{"bytes", d.XTrain, d.XTest}, {"matrix", nil, nil}} {
		if !strings.Contains(s.name, benchFilter()) {
			continue
		}
		if s.X == nil { // made only when it is measured: 440 MB
			s.X, s.XTest = takeRange(d.XTrain, 0, d.XTrain.Len()), takeRange(d.XTest, 0, d.XTest.Len())
		}
		train, eval := labEpoch(b, s.X, d.TTrain, s.XTest, d.TTest)
		for _, c := range []struct {
			name string
			run  func()
		}{{"train", train}, {"eval", eval}, {"epoch", func() { train(); eval() }}} {
			b.Run(s.name+"/"+c.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					c.run()
				}
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/epoch")
			})
		}
	}
}

// benchFilter is the -test.bench pattern's part after the benchmark's
// name ("" for all), for a benchmark that skips expensive set-up of the
// sub-benchmarks not asked for.
func benchFilter() string {
	f := flag.Lookup("test.bench")
	if f == nil {
		return ""
	}
	p := f.Value.String()
	if i := strings.Index(p, "/"); i >= 0 {
		p = p[i+1:]
		if j := strings.IndexAny(p, "/|().*"); j >= 0 {
			p = p[:j]
		}
		return p
	}
	return ""
}
