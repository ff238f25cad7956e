package main

// MNIST: reading the IDX files without trusting them, finding them on disk,
// and the lab's preprocessing (TEMPLATE.md, "Datasets").
//
// IDX (the format of the four MNIST files) is a big-endian header followed
// by unsigned bytes:
//
//	images: magic 0x00000803, count, rows, cols, then count·rows·cols pixels
//	labels: magic 0x00000801, count,             then count labels
//
// The reader validates the header before allocating anything and never
// allocates more than the bytes that have actually arrived: a header that
// declares 2³¹ images fails at once, and a truncated file fails after
// reading what is there.

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// mnistFile is one of the four files of the data set as the public mirrors
// serve it (gzip-compressed), with its SHA-256 and size.
type mnistFile struct {
	Name   string
	SHA256 string
	Size   int64
}

// mnistFiles are the four files, training set first.
var mnistFiles = []mnistFile{
	{"train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422},
	{"train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881},
	{"t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877},
	{"t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542},
}

const (
	idxMagicImages = 0x00000803 // unsigned bytes, 3 dimensions (count, rows, cols)
	idxMagicLabels = 0x00000801 // unsigned bytes, 1 dimension (count)
	mnistSide      = 28
	mnistPixels    = mnistSide * mnistSide
	mnistClasses   = 10

	// maxDeflateRatio bounds how far deflate can expand its input: at best
	// a 258-byte match costs about 2 bits, so one compressed byte never
	// yields more than 1032 bytes. A gzip file of s bytes therefore holds
	// at most 1032·s bytes, which exposes an absurd declared count at once.
	maxDeflateRatio = 1032

	// idxChunk is how much the reader asks for at a time: memory grows by
	// at most this much beyond the data that has really arrived.
	idxChunk = 1 << 20
)

// idxData is the payload of an IDX file: count items of itemSize bytes,
// kept in the chunks it was read in (so it is never copied to be grown).
type idxData struct {
	count, itemSize int
	chunks          [][]byte
}

// each calls f on bytes [from, to) of the payload, in order, a piece of
// a chunk at a time; off is where b starts in the payload. Every chunk but
// the last holds idxChunk bytes (readIDX).
func (d *idxData) each(from, to int, f func(off int, b []byte)) {
	for off := from; off < to; {
		b := d.chunks[off/idxChunk][off%idxChunk:]
		b = b[:min(len(b), to-off)]
		f(off, b)
		off += len(b)
	}
}

// readIDX reads an IDX file of unsigned bytes whose header has the given
// magic from r, which holds size bytes in all (the file's length): raw, or
// gzip-compressed, as told by the gzip magic bytes 0x1f 0x8b (never by the
// name). Image files must hold 28×28 images. Errors describe the problem
// but not the file; readIDXFile adds its name.
func readIDX(r io.Reader, size int64, magic uint32) (*idxData, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	limit := size // the most bytes the IDX content can have
	kind := "file"
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("not a valid gzip file: %v", err)
		}
		defer zr.Close()
		src, kind = zr, "gzip file"
		limit = maxDeflateRatio * size
	}

	dims, what, itemSize := 1, "labels", 1
	if magic == idxMagicImages {
		dims, what, itemSize = 3, "images", mnistPixels
	}
	hdrLen := 4 + 4*dims
	var hdr [16]byte
	if n, err := io.ReadFull(src, hdr[:4]); err != nil {
		return nil, fmt.Errorf("truncated header: %s", readFailure(err, n, hdrLen))
	}
	if got := binary.BigEndian.Uint32(hdr[:4]); got != magic {
		return nil, fmt.Errorf("magic number 0x%08x, want 0x%08x (IDX %s)%s", got, magic, what, magicHint(got))
	}
	if n, err := io.ReadFull(src, hdr[4:hdrLen]); err != nil {
		return nil, fmt.Errorf("truncated header: %s", readFailure(err, 4+n, hdrLen))
	}
	count := int64(binary.BigEndian.Uint32(hdr[4:8]))
	if dims == 3 {
		rows, cols := binary.BigEndian.Uint32(hdr[8:12]), binary.BigEndian.Uint32(hdr[12:16])
		if rows != mnistSide || cols != mnistSide {
			return nil, fmt.Errorf("images are %d×%d pixels, want %d×%d", rows, cols, mnistSide, mnistSide)
		}
	}
	if count == 0 {
		return nil, fmt.Errorf("the header declares 0 %s: the file holds no data", what)
	}
	want := count * int64(itemSize)
	if avail := limit - int64(hdrLen); want > avail {
		if kind == "file" {
			return nil, fmt.Errorf("the header declares %d %s (%d bytes) but only %d bytes follow it", count, what, want, avail)
		}
		return nil, fmt.Errorf("the header declares %d %s (%d bytes), more than a %d-byte gzip file can hold (at most %d bytes)", count, what, want, size, limit)
	}

	// Read the payload in chunks, allocating each only when the previous
	// one is full, so memory follows the data that really arrives.
	d := &idxData{count: int(count), itemSize: itemSize}
	for got := int64(0); got < want; {
		c := make([]byte, min(want-got, idxChunk))
		n, err := io.ReadFull(src, c)
		got += int64(n)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("truncated: the header declares %d %s (%d bytes) but only %d bytes follow it", count, what, want, got)
			}
			return nil, fmt.Errorf("reading %s after %d bytes: %v", what, int64(hdrLen)+got, err)
		}
		d.chunks = append(d.chunks, c)
	}
	// Anything after the declared items means the header is wrong. Reading
	// to the end also makes gzip check its CRC-32 and length trailer.
	var extra [1]byte
	if n, err := io.ReadFull(src, extra[:]); n > 0 {
		return nil, fmt.Errorf("data after the %d %s the header declares: the count is wrong or the file is damaged", count, what)
	} else if err != io.EOF {
		return nil, fmt.Errorf("%s is damaged after the %d %s: %v", kind, count, what, err)
	}
	return d, nil
}

// readFailure describes a short read of want bytes of which got arrived.
func readFailure(err error, got, want int) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Sprintf("%d of %d bytes", got, want)
	}
	return fmt.Sprintf("after %d of %d bytes: %v", got, want, err)
}

// magicHint recognises the usual mix-ups behind a wrong magic number.
func magicHint(got uint32) string {
	switch got {
	case idxMagicImages:
		return ": this is an image file"
	case idxMagicLabels:
		return ": this is a label file"
	}
	if got>>16 == 0x1f8b {
		return ": damaged gzip data"
	}
	return ""
}

// readIDXFile is readIDX on the file at path; every error names the file.
func readIDXFile(path string, magic uint32) (*idxData, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, want an IDX file", path)
	}
	d, err := readIDX(f, st.Size(), magic)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// ---------------------------------------------------------------------------
// Where the files are.

// mnistDir is where the MNIST files are looked for: the -data flag, else
// $MNIST_DIR, else ./data/mnist.
func mnistDir(flagDir string) string {
	if flagDir != "" {
		return flagDir
	}
	if d := os.Getenv("MNIST_DIR"); d != "" {
		return d
	}
	return filepath.Join("data", "mnist")
}

// missingMNIST returns an error that says which files are missing from dir
// and how to get them, or nil when all four are there.
func missingMNIST(dir string, files []mnistFile) error {
	var missing []string
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err != nil {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "MNIST files missing in %s: %s\n\n", dir, strings.Join(missing, ", "))
	fmt.Fprintf(&b, "The experiment needs these four files (SHA-256 of each):\n")
	for _, f := range files {
		fmt.Fprintf(&b, "  %s  %s\n", f.SHA256, f.Name)
	}
	fmt.Fprintf(&b, "\nEither copy them into %s (or point -data DIR or $MNIST_DIR at a directory\n", dir)
	fmt.Fprintf(&b, "that has them: the way on an air-gapped machine; check with sha256sum), or add\n")
	fmt.Fprintf(&b, "-download to fetch them from a public mirror (needs internet access).")
	return errors.New(b.String())
}

// ---------------------------------------------------------------------------
// The data set and its preprocessing.

// MNIST is the data set after the lab's preprocessing: standardized pixels
// X (n, 784) and one-hot targets T (n, 10).
type MNIST struct {
	XTrain, TTrain *Matrix
	XTest, TTest   *Matrix
	TrainTotal     int // images in the training file (XTrain may hold fewer: limit)

	// Mean and Std are the per-pixel statistics of the training images
	// that standardized both sets (Std 0: a pixel left as it was).
	Mean, Std []float64
}

// Pixels undoes the standardization of one image row, giving its pixels
// in [0, 1] again (for pictures).
func (d *MNIST) Pixels(x []float64) []float64 {
	p := make([]float64, len(x))
	for j, v := range x {
		if d.Std[j] > 0 {
			p[j] = v*d.Std[j] + d.Mean[j]
		} else {
			p[j] = v
		}
	}
	return p
}

// LoadMNIST reads the four files from dir and preprocesses them as the lab
// does. limit > 0 keeps only the first limit training images (the whole file
// is still read and checked); the standardization statistics come from the
// images kept.
func LoadMNIST(dir string, limit int) (*MNIST, error) {
	if err := missingMNIST(dir, mnistFiles); err != nil {
		return nil, err
	}
	path := func(i int) string { return filepath.Join(dir, mnistFiles[i].Name) }
	XTrain, TTrain, total, err := loadMNISTPair(path(0), path(1), limit)
	if err != nil {
		return nil, err
	}
	// The training set's raw bytes (47 MB) are garbage now, but the
	// collector would only notice after the heap had grown well past the
	// 376 MB of float64 pixels. Handing them back to the system here keeps
	// the peak memory of a run near the size of the data itself.
	debug.FreeOSMemory()
	XTest, TTest, _, err := loadMNISTPair(path(2), path(3), 0)
	if err != nil {
		return nil, err
	}
	mean, std := Standardize(XTrain, XTest)
	// The test set's raw bytes and the loading's other garbage go back to
	// the system too, before training starts: a run's peak memory.
	debug.FreeOSMemory()
	return &MNIST{XTrain: XTrain, TTrain: TTrain, XTest: XTest, TTest: TTest, TrainTotal: total, Mean: mean, Std: std}, nil
}

// loadMNISTPair reads an image file and its label file, checks that they
// match, and returns the first limit (all if limit ≤ 0) images scaled to
// [0, 1] and their one-hot targets.
func loadMNISTPair(imagesPath, labelsPath string, limit int) (X, T *Matrix, total int, err error) {
	images, err := readIDXFile(imagesPath, idxMagicImages)
	if err != nil {
		return nil, nil, 0, err
	}
	labels, err := readIDXFile(labelsPath, idxMagicLabels)
	if err != nil {
		return nil, nil, 0, err
	}
	if images.count != labels.count {
		return nil, nil, 0, fmt.Errorf("%s holds %d images but %s holds %d labels: they must match", imagesPath, images.count, labelsPath, labels.count)
	}
	n := images.count
	if limit > 0 {
		n = min(n, limit)
	}
	T, err = oneHotIDX(labels, n)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %w", labelsPath, err)
	}
	return pixelsToMatrix(images, n), T, images.count, nil
}

// oneHotIDX checks that every label is a digit 0–9 and returns the first n
// labels one-hot, (n, 10).
func oneHotIDX(labels *idxData, n int) (*Matrix, error) {
	T := NewMatrix(n, mnistClasses)
	var bad error
	labels.each(0, labels.count, func(off int, b []byte) {
		for i, v := range b {
			if bad != nil {
				return
			}
			if v >= mnistClasses {
				bad = fmt.Errorf("label %d (0-based) is %d, want a digit 0–9", off+i, v)
				return
			}
			if off+i < n {
				T.Set(off+i, int(v), 1)
			}
		}
	})
	return T, bad
}

// pixelsToMatrix converts the first n images to float64 in [0, 1] (the
// lab's /255), straight into the final (n, 784) matrix. The work is split
// over the cores: most of it is not the arithmetic but the system handing
// over and zeroing 376 MB of fresh memory page by page as it is first
// written, which runs in parallel too.
func pixelsToMatrix(images *idxData, n int) *Matrix {
	X := NewMatrix(n, mnistPixels)
	var scale [256]float64 // v/255 for every byte value, computed as the lab does
	for v := range scale {
		scale[v] = float64(float32(v) / 255) // in float32, as the template: see standardize
	}
	parallelFor(n, loadChunk, func(_, i0, i1 int) {
		images.each(i0*mnistPixels, i1*mnistPixels, func(off int, b []byte) {
			dst := X.Data[off : off+len(b)]
			for i, v := range b {
				dst[i] = scale[v]
			}
		})
	})
	return X
}

// loadChunk is how many images (or columns) a goroutine converts or
// standardizes at a time: each element is computed in the same way
// wherever the ranges fall.
const loadChunk = 1024

// standardize returns (v − mean)/std, or v where std is 0.
//
// It is computed in float32, as the lab's template computes it: the template
// keeps the pixels as float32 (x/255 in float32), computes each pixel's mean
// and standard deviation in float64, rounds them to float32 and standardizes
// in float32; the lab's float64 runs convert the result to float64 only
// then. Doing the same here gives the template's inputs to the bit, so that
// a run's losses agree with numpy's to about 1e-12 instead of about 1e-8 (a
// float32 rounding of every pixel). The network itself computes in float64.
func standardize(v, mean, std float64) float64 {
	if std > 0 {
		return float64((float32(v) - float32(mean)) / float32(std))
	}
	return v
}

// Standardize shifts and scales every column (pixel) of train to mean 0
// and population standard deviation 1, and applies the same shift and scale,
// the training set's, to each of others. Columns whose standard deviation
// is 0 (pixels that are constant in the training set, such as the corners
// of MNIST) are left alone: dividing by 0 would make them NaN. Works in
// place and returns the statistics.
func Standardize(train *Matrix, others ...*Matrix) (mean, std []float64) {
	cols := train.Cols
	mean, std = make([]float64, cols), make([]float64, cols)
	if train.Rows == 0 {
		return mean, std
	}
	// Two passes (mean, then squared deviations from it): the one-pass
	// E[x²] − E[x]² cancels badly when the deviation is small. The columns
	// are split over the cores; each column is still summed down the rows
	// in order, so the statistics do not depend on the number of cores.
	n := float64(train.Rows)
	// One range of columns per core: a range reads its part of every row,
	// so short ranges would walk the whole matrix for a few columns each.
	parallelFor(cols, (cols+workers()-1)/workers(), func(_, j0, j1 int) {
		for i := 0; i < train.Rows; i++ {
			r := train.Row(i)[j0:j1]
			for j, v := range r {
				mean[j0+j] += v
			}
		}
		for j := j0; j < j1; j++ {
			mean[j] /= n
		}
		for i := 0; i < train.Rows; i++ {
			r := train.Row(i)[j0:j1]
			for j, v := range r {
				d := v - mean[j0+j]
				std[j0+j] += float64(d * d) // rounded before the sum, as numpy's x*x then sum
			}
		}
		for j := j0; j < j1; j++ {
			std[j] = math.Sqrt(std[j] / n)
		}
	})
	for _, m := range append([]*Matrix{train}, others...) {
		if m.Cols != cols {
			panic(fmt.Sprintf("Standardize: matrix is %s, the training set %s", m.Shape(), train.Shape()))
		}
		parallelFor(m.Rows, loadChunk, func(_, i0, i1 int) {
			for i := i0; i < i1; i++ {
				r := m.Row(i)
				for j, v := range r {
					r[j] = standardize(v, mean[j], std[j])
				}
			}
		})
	}
	return mean, std
}
