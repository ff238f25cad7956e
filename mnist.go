package main

// MNIST: reading the IDX files without trusting them, finding them on disk,
// and the lab's preprocessing, as its template does it.
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
// reading what is there. The four headers are read and checked against
// each other (and the memory they declare against the machine's) before any
// payload is decoded.

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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

// idxFile is an IDX file whose header has been read and checked: what src
// yields next is its payload of count items of itemSize bytes. One on disk
// (openIDX) has its path, and is open as f.
type idxFile struct {
	path                    string
	f                       *os.File
	src                     io.Reader
	kind, what              string // "file" or "gzip file"; "images" or "labels"
	count, itemSize, hdrLen int
}

// readIDX reads an IDX file of unsigned bytes whose header has the given
// magic from r, which holds size bytes in all (the file's length): raw, or
// gzip-compressed, as told by the gzip magic bytes 0x1f 0x8b (never by the
// name). Image files must hold 28×28 images. Errors describe the problem
// but not the file; openIDX adds its name.
func readIDX(r io.Reader, size int64, magic uint32) (*idxData, error) {
	s, err := readIDXHeader(r, size, magic)
	if err != nil {
		return nil, err
	}
	return s.payload()
}

// readIDXHeader reads and checks the header of an IDX file (see readIDX),
// allocating nothing of the size it declares: the payload is read only by
// payload, once the caller has weighed the count.
func readIDXHeader(r io.Reader, size int64, magic uint32) (*idxFile, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	s := &idxFile{src: br, kind: "file", what: "labels", itemSize: 1}
	limit := size // the most bytes the IDX content can have
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("not a valid gzip file: %v", err)
		}
		s.src, s.kind = zr, "gzip file"
		limit = maxDeflateRatio * size
	}
	dims := 1
	if magic == idxMagicImages {
		dims, s.what, s.itemSize = 3, "images", mnistPixels
	}
	s.hdrLen = 4 + 4*dims
	var hdr [16]byte
	if n, err := io.ReadFull(s.src, hdr[:4]); err != nil {
		return nil, fmt.Errorf("truncated header: %s", readFailure(err, n, s.hdrLen))
	}
	if got := binary.BigEndian.Uint32(hdr[:4]); got != magic {
		return nil, fmt.Errorf("magic number 0x%08x, want 0x%08x (IDX %s)%s", got, magic, s.what, magicHint(got))
	}
	if n, err := io.ReadFull(s.src, hdr[4:s.hdrLen]); err != nil {
		return nil, fmt.Errorf("truncated header: %s", readFailure(err, 4+n, s.hdrLen))
	}
	count := int64(binary.BigEndian.Uint32(hdr[4:8]))
	if dims == 3 {
		rows, cols := binary.BigEndian.Uint32(hdr[8:12]), binary.BigEndian.Uint32(hdr[12:16])
		if rows != mnistSide || cols != mnistSide {
			return nil, fmt.Errorf("images are %d×%d pixels, want %d×%d", rows, cols, mnistSide, mnistSide)
		}
	}
	if count == 0 {
		return nil, fmt.Errorf("the header declares 0 %s: the file holds no data", s.what)
	}
	want := count * int64(s.itemSize)
	if avail := limit - int64(s.hdrLen); want > avail {
		if s.kind == "file" {
			return nil, fmt.Errorf("the header declares %d %s (%d bytes) but only %d bytes follow it", count, s.what, want, avail)
		}
		return nil, fmt.Errorf("the header declares %d %s (%d bytes), more than a %d-byte gzip file can hold (at most %d bytes)", count, s.what, want, size, limit)
	}
	if want > math.MaxInt {
		return nil, fmt.Errorf("the header declares %d %s (%d bytes), more than this machine can address", count, s.what, want)
	}
	s.count = int(count)
	return s, nil
}

// payload reads the items the header declared, a chunk at a time (see
// idxChunk), and checks that nothing follows them: no more is decompressed
// than the header declares, plus one byte to see that the data ends there.
func (s *idxFile) payload() (*idxData, error) {
	want := int64(s.count) * int64(s.itemSize)
	d := &idxData{count: s.count, itemSize: s.itemSize}
	for got := int64(0); got < want; {
		c := make([]byte, min(want-got, idxChunk))
		n, err := io.ReadFull(s.src, c)
		got += int64(n)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("truncated: the header declares %d %s (%d bytes) but only %d bytes follow it", s.count, s.what, want, got)
			}
			return nil, fmt.Errorf("reading %s after %d bytes: %v", s.what, int64(s.hdrLen)+got, err)
		}
		d.chunks = append(d.chunks, c)
	}
	// Anything after the declared items means the header is wrong. Reading
	// to the end also makes gzip check its CRC-32 and length trailer.
	var extra [1]byte
	if n, err := io.ReadFull(s.src, extra[:]); n > 0 {
		return nil, fmt.Errorf("data after the %d %s the header declares: the count is wrong or the file is damaged", s.count, s.what)
	} else if err != io.EOF {
		return nil, fmt.Errorf("%s is damaged after the %d %s: %v", s.kind, s.count, s.what, err)
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

// openIDX opens the IDX file at path (a regular file: anything else is
// refused without blocking) and reads its header; every error names the
// file.
func openIDX(path string, magic uint32) (*idxFile, error) {
	f, size, err := openRegular("MNIST file", path)
	if err != nil {
		return nil, err
	}
	s, err := readIDXHeader(f, size, magic)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.path, s.f = path, f
	return s, nil
}

// read reads the payload and closes the file.
func (x *idxFile) read() (*idxData, error) {
	defer x.f.Close()
	d, err := x.payload()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", x.path, err)
	}
	return d, nil
}

// ---------------------------------------------------------------------------
// Where the files are.

// defaultDataDir is where the MNIST files are looked for without -data
// and $MNIST_DIR.
var defaultDataDir = filepath.Join("data", "mnist")

// mnistDir is where the MNIST files are looked for: the -data flag, else
// $MNIST_DIR, else defaultDataDir.
func mnistDir(flagDir string) string {
	if flagDir != "" {
		return flagDir
	}
	if d := os.Getenv("MNIST_DIR"); d != "" {
		return d
	}
	return defaultDataDir
}

// mnistNames are the names a file of mnistFiles is looked for under, in
// this order: the mirrors' name (train-images-idx3-ubyte.gz), unpacked
// without .gz, and the dotted name of the common copies
// (train-images.idx3-ubyte), with or without .gz. The name does not decide
// how the file is read: its content does (gzip's magic bytes, readIDX).
func mnistNames(canonical string) []string {
	raw := strings.TrimSuffix(canonical, ".gz")
	names := []string{canonical, raw}
	if i := strings.LastIndex(raw, "-idx"); i >= 0 {
		dotted := raw[:i] + "." + raw[i+1:]
		names = append(names, dotted+".gz", dotted)
	}
	return names
}

// findMNISTFile returns the path of f in dir under the first of its names
// (mnistNames) that exists; found is false if none does. Some unpacked
// copies hold each file in a directory of its own name
// (train-images-idx3-ubyte/train-images-idx3-ubyte): that counts too. A
// directory of such a name without the file is returned when nothing else
// is found, for opening it to say what it is.
func findMNISTFile(dir string, f mnistFile) (path string, found bool, err error) {
	notFile := ""
	for _, name := range mnistNames(f.Name) {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return "", false, pathProblem("MNIST file", p, err)
		case fi.IsDir():
			inner := filepath.Join(p, name)
			if fi, err := os.Stat(inner); err == nil && !fi.IsDir() {
				return inner, true, nil
			}
			if notFile == "" {
				notFile = p
			}
			continue
		}
		return p, true, nil
	}
	return notFile, notFile != "", nil
}

// findMNIST returns the paths of files in dir, in their order, or an
// error that says which are missing and how to get them. A directory that
// cannot be used (a loop of symbolic links, not searchable, not a
// directory) and files under names that are not read get messages of
// their own.
func findMNIST(dir string, files []mnistFile) ([]string, error) {
	if err := checkDataDir(dir); err != nil {
		return nil, err
	}
	var paths, missing []string
	for _, f := range files {
		p, found, err := findMNISTFile(dir, f)
		if err != nil {
			return nil, err
		}
		if !found {
			missing = append(missing, f.Name)
		}
		paths = append(paths, p)
	}
	if len(missing) == 0 {
		return paths, nil
	}
	if found := otherNames(dir, missing); len(found) > 0 {
		return nil, fmt.Errorf("the MNIST files in %s have other names than the ones this program reads:\n  %s\n"+
			"Rename them (gzip-compressed or not, the content decides; the names read are %s and the like).",
			dir, strings.Join(found, "\n  "), strings.Join(mnistNames(files[0].Name), ", "))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "MNIST files missing in %s: %s", dir, strings.Join(missing, ", "))
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(&b, " (the directory does not exist)")
	}
	fmt.Fprintf(&b, "\n\nThe experiment needs these four files (SHA-256 of each, as the mirrors serve them):\n")
	for _, f := range files {
		fmt.Fprintf(&b, "  %s  %s\n", f.SHA256, f.Name)
	}
	fmt.Fprintf(&b, "\nThey may also be unpacked (without .gz) or named as in common copies\n")
	fmt.Fprintf(&b, "(train-images.idx3-ubyte, ...). Either copy them into %s (or point -data DIR\n", dir)
	fmt.Fprintf(&b, "or $MNIST_DIR at a directory that has them: the way on an air-gapped machine;\n")
	fmt.Fprintf(&b, "check with sha256sum), or add -download to fetch them from a public mirror\n")
	fmt.Fprintf(&b, "(needs internet access).")
	return nil, errors.New(b.String())
}

// checkDataDir checks that dir, when it exists, is a directory whose
// entries can be looked up.
func checkDataDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // the missing files' message says so
	case errors.Is(err, syscall.ELOOP):
		return fmt.Errorf("MNIST directory %s is a loop of symbolic links: point -data (or $MNIST_DIR) at the real directory", dir)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("MNIST directory %s cannot be reached: permission denied on a directory of its path", dir)
	case err != nil:
		return fmt.Errorf("MNIST directory %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("MNIST directory %s is %s, not a directory: point -data at the directory that holds the four files", dir, modeName(fi.Mode()))
	}
	// "dir/." is looked up inside dir: that needs the search (x) permission.
	if _, err := os.Stat(dir + string(os.PathSeparator) + "."); errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("MNIST directory %s cannot be searched (permission denied): its files cannot be opened; give it the x permission (chmod +x %s) or copy the files elsewhere", dir, dir)
	}
	return nil
}

// otherNames lists the files in dir that look like the missing ones under
// a name that is not read (in capitals, with underscores), as "found X:
// rename it to Y".
func otherNames(dir string, missing []string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	norm := func(name string) string {
		name = strings.TrimSuffix(strings.ToLower(name), ".gz")
		return strings.NewReplacer(".", "-", "_", "-").Replace(name)
	}
	var found []string
	for _, m := range missing {
		for _, e := range entries {
			if norm(e.Name()) == norm(m) {
				found = append(found, fmt.Sprintf("found %s: rename it to %s", e.Name(), m))
			}
		}
	}
	return found
}

// ---------------------------------------------------------------------------
// The data set and its preprocessing.

// MNIST is the data set after the lab's preprocessing: standardized pixels
// X (n, 784), held as the files' bytes and made into float64 a batch at a
// time (imageRows), and one-hot targets T (n, 10).
type MNIST struct {
	XTrain, XTest *byteRows
	TTrain, TTest *Matrix
	TrainTotal    int // images in the training file (XTrain may hold fewer: limit)

	// Mean and Std are the per-pixel statistics of the training images
	// that standardized both sets (Std 0: a pixel left as it was).
	Mean, Std []float64
}

// Pixels undoes the standardization of one image row, giving its pixels
// in [0, 1] again (for pictures).
func (d *MNIST) Pixels(x []float64) []float64 {
	p := make([]float64, len(x))
	for j, v := range x {
		p[j] = v
		if d.Std[j] > 0 {
			p[j] = v*d.Std[j] + d.Mean[j]
		}
	}
	return p
}

// LoadMNIST reads the four files from dir and preprocesses them as the lab
// does. limit > 0 keeps only the first limit training images (the whole file
// is still read and checked); the standardization statistics come from the
// images kept. The memory the data needs is weighed before any of it is
// decoded.
func LoadMNIST(dir string, limit int) (*MNIST, error) {
	src, err := openMNIST(dir)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	if err := checkMemory(src.dataNeeds(limit), "train on fewer images with -limit N, or use smaller files"); err != nil {
		return nil, fmt.Errorf("MNIST files in %s: %w", dir, err)
	}
	return src.load(limit)
}

// mnistSet is the image file and the label file of one set, open, their
// headers read.
type mnistSet struct{ images, labels *idxFile }

// mnistSource is the four files of a data set, open, their headers read
// and checked against each other: nothing of their payload is decoded yet.
type mnistSource struct{ train, test mnistSet }

// openMNIST opens the four files in dir and reads their headers, labels
// first: a label header is 8 bytes, and no image is decoded before its
// file's count is known to match its labels'.
func openMNIST(dir string) (*mnistSource, error) {
	paths, err := findMNIST(dir, mnistFiles)
	if err != nil {
		return nil, err
	}
	s := &mnistSource{}
	sets := []*mnistSet{&s.train, &s.test} // in mnistFiles: images, then labels
	for i, set := range sets {
		if set.labels, err = openIDX(paths[2*i+1], idxMagicLabels); err == nil {
			set.images, err = openIDX(paths[2*i], idxMagicImages)
		}
		if err != nil {
			s.Close()
			return nil, err
		}
	}
	for _, set := range sets {
		if set.images.count != set.labels.count {
			s.Close()
			return nil, fmt.Errorf("%s holds %d images but %s holds %d labels: they must match", set.images.path, set.images.count, set.labels.path, set.labels.count)
		}
	}
	return s, nil
}

// Close closes the four files (closing one that is read already does no
// harm).
func (s *mnistSource) Close() {
	for _, f := range []*idxFile{s.train.images, s.train.labels, s.test.images, s.test.labels} {
		if f != nil {
			f.f.Close()
		}
	}
}

// used is the number of training images a run with this -limit trains on.
func (s *mnistSource) used(limit int) int {
	if limit > 0 {
		return min(limit, s.train.images.count)
	}
	return s.train.images.count
}

// dataNeeds is the memory of the data set as the headers declare it: the
// files' bytes, which are kept (one a pixel; the labels only while they
// are made one-hot), the one-hot labels of the images used, as float64,
// and the rows the evaluation makes at a time, a chunk per core (the
// trainer's batch is in netNeeds).
func (s *mnistSource) dataNeeds(limit int) []memNeed {
	n, nTest := float64(s.used(limit)), float64(s.test.images.count)
	return []memNeed{
		{"training images", float64(s.train.images.count)*(mnistPixels+1) + n*mnistClasses*8},
		{"test images", nTest * (mnistPixels + 1 + mnistClasses*8)},
		{"evaluation rows", float64(workers()) * evalChunk * mnistPixels * 8},
	}
}

// load decodes the data set and preprocesses it (see LoadMNIST).
func (s *mnistSource) load(limit int) (*MNIST, error) {
	trainImages, TTrain, err := s.train.load(limit)
	if err != nil {
		return nil, err
	}
	testImages, TTest, err := s.test.load(0)
	if err != nil {
		return nil, err
	}
	mean, std := pixelStats(trainImages, TTrain.Rows)
	return &MNIST{XTrain: imageRows(trainImages, TTrain.Rows, mean, std), TTrain: TTrain,
		XTest: imageRows(testImages, TTest.Rows, mean, std), TTest: TTest,
		TrainTotal: s.train.images.count, Mean: mean, Std: std}, nil
}

// load reads the labels, then the images (a bad label fails before the
// images are decoded), and returns the images' bytes and the first limit
// (all if limit ≤ 0) labels, one-hot.
func (set mnistSet) load(limit int) (*idxData, *Matrix, error) {
	labels, err := set.labels.read()
	if err != nil {
		return nil, nil, err
	}
	n := labels.count
	if limit > 0 {
		n = min(n, limit)
	}
	T, err := oneHotIDX(labels, n)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", set.labels.path, err)
	}
	images, err := set.images.read()
	if err != nil {
		return nil, nil, err
	}
	return images, T, nil
}

// oneHotIDX checks that every label is a digit 0–9 and returns the first n
// labels one-hot, (n, 10).
func oneHotIDX(labels *idxData, n int) (*Matrix, error) {
	T := NewMatrix(n, mnistClasses)
	var bad error
	labels.each(0, labels.count, func(off int, b []byte) {
		for i, v := range b {
			switch {
			case bad != nil:
				return
			case v >= mnistClasses:
				bad = fmt.Errorf("label %d (0-based) is %d, want a digit 0–9", off+i, v)
			case off+i < n:
				T.Set(off+i, int(v), 1)
			}
		}
	})
	return T, bad
}

// pixelLevel is x = byte/255 for every byte value, computed as the lab's
// template computes it: in float32 (see standardize).
var pixelLevel = func() (v [256]float32) {
	for b := range v {
		v[b] = float32(b) / 255
	}
	return v
}()

// pixelStats returns the mean and the population standard deviation of
// every pixel (column) over the first n images, as the lab's template
// computes them: on x = byte/255, in float64, each column summed down the
// images in order, first for the mean, then the squared deviations from it
// (the one-pass E[x²] − E[x]² cancels badly when the deviation is small).
// It reads the bytes, 47 MB for MNIST's training set, not the float64
// pixels, eight times as many. The columns are shared out over the cores,
// a range of them each; every column is still summed in the same order, so
// the statistics do not depend on the number of cores.
func pixelStats(images *idxData, n int) (mean, std []float64) {
	cols := images.itemSize
	mean, std = make([]float64, cols), make([]float64, cols)
	if n == 0 {
		return mean, std
	}
	// Each image's bytes j0…j1−1, in order: f gets the column of b[0].
	down := func(j0, j1 int, f func(j int, b []byte)) {
		for i := 0; i < n; i++ {
			images.each(i*cols+j0, i*cols+j1, func(off int, b []byte) { f(off-i*cols, b) })
		}
	}
	// One range of columns per core: a range reads its part of every image,
	// so short ranges would walk the whole file for a few columns each.
	parallelFor(cols, (cols+workers()-1)/workers(), func(_, j0, j1 int) {
		down(j0, j1, func(j int, b []byte) {
			for k, v := range b {
				mean[j+k] += float64(pixelLevel[v])
			}
		})
		for j := j0; j < j1; j++ {
			mean[j] /= float64(n)
		}
		down(j0, j1, func(j int, b []byte) {
			for k, v := range b {
				d := float64(pixelLevel[v]) - mean[j+k]
				std[j+k] += float64(d * d) // rounded before the sum, as numpy's x*x then sum
			}
		})
		for j := j0; j < j1; j++ {
			std[j] = math.Sqrt(std[j] / float64(n))
		}
	})
	return mean, std
}

// imageRows returns the first n images as a RowSource of the lab's
// preprocessed pixels, standardize(byte/255, mean, std) per pixel, made
// from the bytes when they are read (byteRows). Of the payload only the
// chunks that hold the n images are kept.
func imageRows(images *idxData, n int, mean, std []float64) *byteRows {
	cols := images.itemSize
	s := &byteRows{n: n, cols: cols, level: &pixelLevel, shift: make([]float32, cols), scale: make([]float32, cols)}
	for j := range s.shift {
		// standardize in byteRows' terms; a pixel left as it was is
		// (x − 0)/1, exactly x.
		s.shift[j], s.scale[j] = 0, 1
		if std[j] > 0 {
			s.shift[j], s.scale[j] = float32(mean[j]), float32(std[j])
		}
	}
	kept := *images
	kept.count = n
	// A copy of the chunk list, not a shorter view of it: the view's array
	// would still reach the chunks past n, and keep them from the collector.
	kept.chunks = slices.Clone(kept.chunks[:(n*cols+idxChunk-1)/idxChunk])
	s.data = &kept
	return s
}

// standardizedPixels returns the first n images as an (n, pixels) matrix
// of the values imageRows makes: the data set as float64, which the
// program no longer holds (tests and benchmarks compare with it).
func standardizedPixels(images *idxData, n int, mean, std []float64) *Matrix {
	return takeRange(imageRows(images, n, mean, std), 0, n)
}

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
