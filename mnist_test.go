package main

// Tests of the MNIST part: the IDX reader on hand-built files (raw and
// gzip), the preprocessing, the missing-files message, the flags, and, when
// MNIST_DIR points at the real files, a short training run.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// idxBytes builds an IDX file: magic, then the header values, then payload.
func idxBytes(magic uint32, header []uint32, payload []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	binary.Write(&b, binary.BigEndian, header)
	b.Write(payload)
	return b.Bytes()
}

func gzipBytes(t testing.TB, raw []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// imagesFile is an IDX image file of n 28×28 images whose pixel i is byte(i).
func imagesFile(n int) []byte {
	px := make([]byte, n*mnistPixels)
	for i := range px {
		px[i] = byte(i)
	}
	return idxBytes(idxMagicImages, []uint32{uint32(n), 28, 28}, px)
}

func labelsFile(labels ...byte) []byte {
	return idxBytes(idxMagicLabels, []uint32{uint32(len(labels))}, labels)
}

func TestMNISTReadIDX(t *testing.T) {
	good := imagesFile(3)
	tests := []struct {
		name  string
		file  []byte
		magic uint32
		want  string // substring of the error; "" for success
	}{
		{"images", good, idxMagicImages, ""},
		{"labels", labelsFile(0, 9, 5), idxMagicLabels, ""},
		{"empty file", nil, idxMagicImages, "truncated header: 0 of 16 bytes"},
		{"truncated magic", good[:3], idxMagicImages, "truncated header: 3 of 16 bytes"},
		{"truncated header", good[:10], idxMagicImages, "truncated header: 10 of 16 bytes"},
		{"truncated label header", labelsFile(1)[:6], idxMagicLabels, "truncated header: 6 of 8 bytes"},
		{"truncated body", good[:len(good)-1], idxMagicImages, "2352 bytes"},
		{"trailing data", append(append([]byte{}, good...), 0), idxMagicImages, "data after the 3 images"},
		{"labels for images", labelsFile(1, 2), idxMagicImages, "magic number 0x00000801, want 0x00000803 (IDX images): this is a label file"},
		{"images for labels", good, idxMagicLabels, "this is an image file"},
		{"wrong magic", idxBytes(0x00000d03, []uint32{1, 28, 28}, make([]byte, 784)), idxMagicImages, "magic number 0x00000d03"},
		{"wrong rows", idxBytes(idxMagicImages, []uint32{1, 27, 28}, make([]byte, 756)), idxMagicImages, "images are 27×28 pixels, want 28×28"},
		{"wrong cols", idxBytes(idxMagicImages, []uint32{1, 28, 32}, make([]byte, 896)), idxMagicImages, "images are 28×32 pixels"},
		{"zero images", idxBytes(idxMagicImages, []uint32{0, 28, 28}, nil), idxMagicImages, "declares 0 images"},
		{"zero labels", labelsFile(), idxMagicLabels, "declares 0 labels"},
		{"huge count", idxBytes(idxMagicImages, []uint32{1 << 31, 28, 28}, make([]byte, 784)), idxMagicImages, "declares 2147483648 images"},
		{"count too large by one", idxBytes(idxMagicLabels, []uint32{4}, []byte{1, 2, 3}), idxMagicLabels, "4 labels"},
	}
	for _, tc := range tests {
		for _, enc := range []string{"raw", "gzip"} {
			t.Run(tc.name+"/"+enc, func(t *testing.T) {
				file := tc.file
				if enc == "gzip" {
					file = gzipBytes(t, file)
				}
				d, err := readIDX(bytes.NewReader(file), int64(len(file)), tc.magic)
				if tc.want == "" {
					if err != nil {
						t.Fatalf("readIDX: got error %v; want none", err)
					}
					return
				}
				if err == nil {
					t.Fatalf("readIDX: got %d items and no error; want an error containing %q", d.count, tc.want)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("readIDX: got error %q; want it to contain %q", err, tc.want)
				}
			})
		}
	}
}

// TestMNISTReadIDXPayload checks the bytes read back, in both encodings and
// across several read chunks.
func TestMNISTReadIDXPayload(t *testing.T) {
	n := idxChunk/mnistPixels + 2 // spans two chunks
	raw := imagesFile(n)
	for _, file := range [][]byte{raw, gzipBytes(t, raw)} {
		d, err := readIDX(bytes.NewReader(file), int64(len(file)), idxMagicImages)
		if err != nil {
			t.Fatal(err)
		}
		if d.count != n || len(d.chunks) != 2 {
			t.Fatalf("got %d images in %d chunks; want %d in 2", d.count, len(d.chunks), n)
		}
		zero := make([]float64, mnistPixels) // mean and std 0: the pixels as they are
		X := standardizedPixels(d, n, zero, zero)
		for _, i := range []int{0, 1, 255, 256, idxChunk - 1, idxChunk, n*mnistPixels - 1} {
			// The template's pixels: byte/255 in float32.
			if got, want := X.Data[i], float64(float32(byte(i))/255); got != want {
				t.Errorf("pixel %d: got %v; want %v (byte %d / 255 in float32)", i, got, want, byte(i))
			}
		}
	}
}

// TestMNISTReadIDXHugeCountFailsFast: a header that declares 2³¹−1 images
// must be refused before anything of that size is allocated, for raw and
// for gzip files, also when the gzip data would go on and on.
func TestMNISTReadIDXHugeCountFailsFast(t *testing.T) {
	hdr := idxBytes(idxMagicImages, []uint32{1<<31 - 1, 28, 28}, nil)
	body := append(hdr, make([]byte, 4<<20)...) // 4 MiB of zeros: compresses ~1000:1
	for name, file := range map[string][]byte{"raw": hdr, "gzip": gzipBytes(t, body)} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := readIDX(bytes.NewReader(file), int64(len(file)), idxMagicImages)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "declares 2147483647 images") {
			t.Errorf("%s: got error %v; want one about the declared count", name, err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
			t.Errorf("%s: allocated %d bytes to refuse the file; want under 64 MiB", name, got)
		}
	}
}

func TestMNISTReadIDXDamagedGzip(t *testing.T) {
	file := gzipBytes(t, labelsFile(1, 2, 3))
	file[len(file)-5] ^= 0xff // the CRC-32 in the trailer
	_, err := readIDX(bytes.NewReader(file), int64(len(file)), idxMagicLabels)
	if err == nil || !strings.Contains(err.Error(), "gzip file is damaged") {
		t.Errorf("got error %v; want gzip file is damaged", err)
	}
	bad := []byte{0x1f, 0x8b, 0, 0}
	if _, err := readIDX(bytes.NewReader(bad), 4, idxMagicLabels); err == nil || !strings.Contains(err.Error(), "not a valid gzip file") {
		t.Errorf("got error %v; want not a valid gzip file", err)
	}
}

// gzipBomb returns a gzip file that decompresses to header and then n zero
// bytes: one member for the header, then copies of one member of 1 MiB of
// zeros (gzip readers read concurrent members as one stream), so that it
// is built in milliseconds. Deflate packs the zeros about 1000:1, as far
// as it goes: the file's size alone does not betray the count.
func gzipBomb(t *testing.T, header []byte, n int) []byte {
	b := bytes.NewBuffer(gzipBytes(t, header))
	block := gzipBytes(t, make([]byte, 1<<20))
	for ; n >= 1<<20; n -= 1 << 20 {
		b.Write(block)
	}
	b.Write(gzipBytes(t, make([]byte, n)))
	return b.Bytes()
}

// writeFiles writes raw (already encoded) MNIST files into a directory.
func writeFiles(t *testing.T, files [4][]byte) string {
	dir := t.TempDir()
	for i, b := range files {
		if err := os.WriteFile(filepath.Join(dir, mnistFiles[i].Name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeMNIST writes the four files into a new directory, gzip-compressed.
func writeMNIST(t *testing.T, trainImages, trainLabels, testImages, testLabels []byte) string {
	return writeFiles(t, [4][]byte{gzipBytes(t, trainImages), gzipBytes(t, trainLabels), gzipBytes(t, testImages), gzipBytes(t, testLabels)})
}

func TestMNISTLoadErrorsNameTheFile(t *testing.T) {
	tests := []struct {
		name     string
		files    [4][]byte
		wantFile string
		want     string
	}{
		{"count mismatch", [4][]byte{imagesFile(3), labelsFile(1, 2), imagesFile(1), labelsFile(1)}, "train-labels-idx1-ubyte.gz holds 2 labels", "train-images-idx3-ubyte.gz holds 3 images"},
		{"label 10", [4][]byte{imagesFile(2), labelsFile(1, 2), imagesFile(2), labelsFile(3, 10)}, "t10k-labels-idx1-ubyte.gz", "label 1 (0-based) is 10, want a digit 0–9"},
		{"truncated test images", [4][]byte{imagesFile(2), labelsFile(1, 2), imagesFile(2)[:100], labelsFile(3, 4)}, "t10k-images-idx3-ubyte.gz", "truncated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeMNIST(t, tc.files[0], tc.files[1], tc.files[2], tc.files[3])
			_, err := LoadMNIST(dir, 0)
			if err == nil {
				t.Fatalf("LoadMNIST: got no error; want %q", tc.want)
			}
			for _, want := range []string{tc.wantFile, tc.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("LoadMNIST: got error %q; want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestMNISTLoadRawAndLimit(t *testing.T) {
	// Raw (uncompressed) files under the .gz names: the gzip magic decides.
	dir := writeFiles(t, [4][]byte{imagesFile(5), labelsFile(0, 1, 2, 3, 4), imagesFile(2), labelsFile(9, 8)})
	d, err := LoadMNIST(dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	if rowsShape(d.XTrain) != "3×784" || d.TTrain.Shape() != "3×10" || rowsShape(d.XTest) != "2×784" || d.TrainTotal != 5 {
		t.Fatalf("got XTrain %s, TTrain %s, XTest %s, total %d; want 3×784, 3×10, 2×784, 5", rowsShape(d.XTrain), d.TTrain.Shape(), rowsShape(d.XTest), d.TrainTotal)
	}
	for i, want := range []int{0, 1, 2} {
		if got, _ := d.TTrain.ArgmaxRow(i); got != want {
			t.Errorf("training label %d: got %d; want %d", i, got, want)
		}
	}
	if got, _ := d.TTest.ArgmaxRow(1); got != 8 {
		t.Errorf("test label 1: got %d; want 8", got)
	}
}

func TestMNISTMissingFiles(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadMNIST(dir, 0)
	if err == nil {
		t.Fatal("LoadMNIST on an empty directory: got no error")
	}
	for _, f := range mnistFiles {
		for _, want := range []string{f.Name, f.SHA256} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("got error %q; want it to list %s", err, want)
			}
		}
	}
	for _, want := range []string{dir, "copy them into", "-download", "$MNIST_DIR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got error %q; want it to say %q", err, want)
		}
	}
}

func TestMNISTDataDir(t *testing.T) {
	t.Setenv("MNIST_DIR", "")
	if got, want := mnistDir(""), filepath.Join("data", "mnist"); got != want {
		t.Errorf("mnistDir(\"\") without $MNIST_DIR: got %q; want %q", got, want)
	}
	t.Setenv("MNIST_DIR", "/env/dir")
	if got := mnistDir(""); got != "/env/dir" {
		t.Errorf("mnistDir(\"\") with $MNIST_DIR: got %q; want /env/dir", got)
	}
	if got := mnistDir("/flag/dir"); got != "/flag/dir" {
		t.Errorf("mnistDir(\"/flag/dir\"): got %q; want /flag/dir", got)
	}
}

// pixelData returns the payload of an IDX image file whose images are the
// given rows of bytes, in idxChunk pieces as readIDX leaves it.
func pixelData(rows ...[]byte) *idxData {
	var all []byte
	for _, r := range rows {
		all = append(all, r...)
	}
	d := &idxData{count: len(rows), itemSize: len(rows[0])}
	for len(all) > idxChunk {
		d.chunks, all = append(d.chunks, all[:idxChunk]), all[idxChunk:]
	}
	d.chunks = append(d.chunks, all)
	return d
}

// TestMNISTStandardize on a hand-made set of three images of three pixels:
// pixel 0 is 0.2, 0.4, 0.6 (bytes 51, 102, 153: mean 0.4, population std
// 0.2·√(2/3)), pixel 1 is constant (left alone), pixel 2 is 0, 1, 0 (mean
// 1/3, std √2/3). Pixels are byte/255 in float32, the statistics float64,
// and the standardized values computed in float32 as the lab's template
// computes them: float32 numbers within float32's precision of the exact
// ones.
func TestMNISTStandardize(t *testing.T) {
	train := pixelData([]byte{51, 128, 0}, []byte{102, 128, 255}, []byte{153, 128, 0})
	test := pixelData([]byte{102, 200, 255})
	mean, std := pixelStats(train, 3)
	s0, s2 := 0.2*math.Sqrt(2.0/3), math.Sqrt(2)/3
	wantMean, wantStd := []float64{0.4, 128.0 / 255, 1.0 / 3}, []float64{s0, 0, s2}
	for j := range wantMean {
		if math.Abs(mean[j]-wantMean[j]) > 1e-7 || math.Abs(std[j]-wantStd[j]) > 1e-7 {
			t.Errorf("pixel %d: got mean %v, std %v; want %v, %v (to float32's precision)", j, mean[j], std[j], wantMean[j], wantStd[j])
		}
	}
	if std[1] != 0 {
		t.Errorf("pixel 1 is constant: got std %v; want exactly 0", std[1])
	}
	check := func(set string, X *Matrix, i, j int, want float64) {
		t.Helper()
		got := X.At(i, j)
		if math.Abs(got-want) > 3e-7*math.Max(1, math.Abs(want)) {
			t.Errorf("%s (%d, %d): got %v; want %v (to float32's precision)", set, i, j, got, want)
		}
		if float64(float32(got)) != got {
			t.Errorf("%s (%d, %d): got %v, not a float32 number; want the template's float32 arithmetic", set, i, j, got)
		}
	}
	X := standardizedPixels(train, 3, mean, std)
	for i, row := range [][]float64{{-0.2 / s0, 128.0 / 255, -1 / 3.0 / s2}, {0, 128.0 / 255, 2 / 3.0 / s2}, {0.2 / s0, 128.0 / 255, -1 / 3.0 / s2}} {
		for j, want := range row {
			check("train", X, i, j, want)
		}
	}
	// The test set gets the training statistics, and its constant pixel
	// stays as it was (200/255) even though it is not 128/255.
	Xt := standardizedPixels(test, 1, mean, std)
	for j, want := range []float64{0, 200.0 / 255, 2 / 3.0 / s2} {
		check("test", Xt, 0, j, want)
	}
}

func TestMNISTFlags(t *testing.T) {
	// The mistakes in MNIST's flags are rows of TestFlagsUserMistakes.
	var stderr bytes.Buffer
	cfg, err := parseFlags([]string{"-exp", "mnist", "-hidden", "32, 16", "-limit", "500", "-naive", "-data", "d", "-out", t.TempDir()}, &stderr)
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if len(cfg.hidden) != 2 || cfg.hidden[0] != 32 || cfg.hidden[1] != 16 || cfg.limit != 500 || !cfg.naive || cfg.dataDir != "d" {
		t.Errorf("parseFlags: got hidden %v, limit %d, naive %v, data %q; want [32 16], 500, true, d", cfg.hidden, cfg.limit, cfg.naive, cfg.dataDir)
	}
}

// TestMNISTMissingDataExitCode: a missing data set is a failure (exit 1)
// whose message lists the files, and nothing is trained.
func TestMNISTMissingDataExitCode(t *testing.T) {
	code, _, stderr := runMain("-exp", "mnist", "-data", t.TempDir(), "-out", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "train-images-idx3-ubyte.gz") {
		t.Errorf("got exit code %d and stderr %q; want 1 and the list of files", code, stderr)
	}
}

// TestMNISTIntegration trains the lab's network for one epoch on the first
// 10,000 real training images (batch 100) and expects more than 85% test
// accuracy. It needs the real files: set MNIST_DIR (CI does); -short skips it.
func TestMNISTIntegration(t *testing.T) {
	dir := os.Getenv("MNIST_DIR")
	if dir == "" {
		t.Skip("MNIST_DIR is not set: this test needs the four MNIST files (see README, MNIST)")
	}
	if testing.Short() {
		t.Skip("-short: this test trains on 10,000 real images (seconds, minutes under -race)")
	}
	d, err := LoadMNIST(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The standardized pixels are the lab's template's to the bit (float32
	// arithmetic, training statistics): values printed by its numpy recipe.
	for _, c := range []struct {
		set  string
		X    RowSource
		i, j int
		want float64
	}{
		{"training", d.XTrain, 0, 0, 0}, {"training", d.XTrain, 0, 152, -0.5846603512763977},
		{"training", d.XTrain, 0, 350, -0.17757566273212433}, {"training", d.XTrain, 1, 400, 1.7191345691680908},
		{"training", d.XTrain, 59999, 500, -0.1683337688446045}, {"training", d.XTrain, 12345, 628, 1.160302996635437},
		{"test", d.XTest, 0, 210, -1.2021883726119995}, {"test", d.XTest, 9999, 300, -0.7013242244720459},
	} {
		if got := takeRows(c.X, c.i).At(0, c.j); got != c.want {
			t.Errorf("%s image %d, pixel %d after standardization = %v; want numpy's %v", c.set, c.i, c.j, got, c.want)
		}
	}
	X, T := *d.XTrain, d.TTrain.SliceRows(0, 10000) // the first 10,000 images, as bytes
	X.n = 10000
	net := NewMNISTNet([]int{64, 64, 64, 64, 64}, false, newRNG(1234))
	ri, err := Train(net, &X, T, TrainConfig{BatchSize: 100, Epochs: 1, Eta: 0.1, XTest: d.XTest, TTest: d.TTest})
	if err != nil {
		t.Fatal(err)
	}
	acc := ri.Last().AccTest
	t.Logf("test accuracy after one epoch on 10,000 images: %.2f%%", 100*acc)
	if acc <= 0.85 {
		t.Errorf("test accuracy after one epoch on 10,000 images: got %.2f%%; want more than 85%%", 100*acc)
	}
}

// FuzzReadIDX: whatever the bytes, readIDX returns an error or a payload of
// exactly count items of the right size, never panics, and never holds
// more than the input can yield. The seeds in testdata/fuzz/FuzzReadIDX
// (valid, truncated, huge-count and damaged files, raw and gzip) run with
// plain go test.
func FuzzReadIDX(f *testing.F) {
	f.Add(labelsFile(3, 1, 4), false)
	f.Add(gzipBytes(f, labelsFile(1, 5)), false)
	f.Add(imagesFile(1), true)
	f.Fuzz(func(t *testing.T, file []byte, images bool) {
		magic, itemSize := uint32(idxMagicLabels), 1
		if images {
			magic, itemSize = idxMagicImages, mnistPixels
		}
		d, err := readIDX(bytes.NewReader(file), int64(len(file)), magic)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		total := 0
		for _, c := range d.chunks {
			total += len(c)
		}
		if d.count < 1 || d.itemSize != itemSize || total != d.count*itemSize {
			t.Fatalf("got count %d, item size %d, %d payload bytes; want count ≥ 1 and count·%d bytes", d.count, d.itemSize, total, itemSize)
		}
		if int64(total) > maxDeflateRatio*int64(len(file)) {
			t.Fatalf("got %d payload bytes from a %d-byte file", total, len(file))
		}
	})
}

// BenchmarkMNISTLoad reads, checks and standardizes all four real files
// (target: well under a second). Needs MNIST_DIR.
func BenchmarkMNISTLoad(b *testing.B) {
	dir := os.Getenv("MNIST_DIR")
	if dir == "" {
		b.Skip("MNIST_DIR is not set")
	}
	for i := 0; i < b.N; i++ {
		if _, err := LoadMNIST(dir, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/load")
}

// The statistics and the standardization split their work over the cores;
// the result must not depend on how many there are. 1400 images of 784
// pixels span two of the reader's pieces.
func TestMNISTStandardizeSameBitsOnAnyNumberOfCores(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rows := make([][]byte, 1400)
	for i := range rows {
		rows[i] = make([]byte, mnistPixels)
		for j := range rows[i] {
			if rng.IntN(5) == 0 {
				rows[i][j] = byte(rng.IntN(256))
			}
		}
	}
	d := pixelData(rows...)
	var ref *Matrix
	for _, procs := range []int{1, 2, 3, 8} {
		old := runtime.GOMAXPROCS(procs)
		mean, std := pixelStats(d, len(rows))
		X := standardizedPixels(d, len(rows), mean, std)
		runtime.GOMAXPROCS(old)
		if ref == nil {
			ref = X
			continue
		}
		checkSame(t, "standardized pixels on "+strconv.Itoa(procs)+" cores vs 1", X, ref)
	}
}

// TestMNISTDataDirProblems: a directory that is a loop of symbolic links,
// not a directory, or that holds the files under names that are not read
// (in capitals, with underscores) gets a message of its own, not "MNIST
// files missing". (A directory without the search permission:
// TestPermissionErrors, which runs as a user that permissions bind.)
func TestMNISTDataDirProblems(t *testing.T) {
	base := t.TempDir()
	loop := filepath.Join(base, "loop")
	os.Symlink(loop+"2", loop)
	os.Symlink(loop, loop+"2")
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o644)
	renamed := t.TempDir()
	for i, b := range [][]byte{imagesFile(2), labelsFile(1, 2), imagesFile(1), labelsFile(3)} {
		name := strings.ToUpper(strings.TrimSuffix(mnistFiles[i].Name, ".gz"))
		if i == 0 {
			name = "train_images_idx3_ubyte"
		}
		os.WriteFile(filepath.Join(renamed, name), b, 0o644)
	}
	fileLoop := syntheticMNISTDir(t, 20)
	p := filepath.Join(fileLoop, mnistFiles[3].Name)
	os.Remove(p)
	os.Symlink(p, p)
	cases := []struct {
		dir  string
		want []string
	}{
		{loop, []string{"MNIST directory " + loop + " is a loop of symbolic links"}},
		{file, []string{"MNIST directory " + file + " is a file, not a directory"}},
		{renamed, []string{"have other names", "found train_images_idx3_ubyte: rename it to train-images-idx3-ubyte.gz", "found T10K-LABELS-IDX1-UBYTE: rename it to t10k-labels-idx1-ubyte.gz", "the content decides"}},
		{fileLoop, []string{"MNIST file " + p + " is a loop of symbolic links"}},
	}
	for _, c := range cases {
		_, err := LoadMNIST(c.dir, 0)
		for _, want := range c.want {
			if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "files missing") {
				t.Errorf("LoadMNIST(%s): got %v; want its own message, %q", c.dir, err, want)
			}
		}
	}
}

// MNIST as it is found: each file gzip-compressed or raw, under the
// mirrors' name, unpacked without .gz, or dotted as in common copies
// (train-images.idx3-ubyte, with or without .gz), or in a directory of its
// own name; the content decides how it is read, and every layout loads the
// same data.
func TestMNISTFoundUnderCommonNames(t *testing.T) {
	raw := [][]byte{imagesFile(3), labelsFile(1, 2, 3), imagesFile(2), labelsFile(4, 5)}
	write := func(t *testing.T, dir, name string, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := LoadMNIST(writeMNIST(t, raw[0], raw[1], raw[2], raw[3]), 0)
	if err != nil {
		t.Fatal(err)
	}
	layouts := map[string]func(i int, name string) (string, []byte){
		"raw under the .gz name": func(i int, n string) (string, []byte) { return n, raw[i] },
		"unpacked":               func(i int, n string) (string, []byte) { return strings.TrimSuffix(n, ".gz"), raw[i] },
		"unpacked but gzip":      func(i int, n string) (string, []byte) { return strings.TrimSuffix(n, ".gz"), gzipBytes(t, raw[i]) },
		"dotted": func(i int, n string) (string, []byte) {
			return strings.Replace(strings.TrimSuffix(n, ".gz"), "-idx", ".idx", 1), raw[i]
		},
		"dotted .gz": func(i int, n string) (string, []byte) {
			return strings.Replace(n, "-idx", ".idx", 1), gzipBytes(t, raw[i])
		},
		"each in a directory of its name": func(i int, n string) (string, []byte) {
			n = strings.TrimSuffix(n, ".gz")
			return filepath.Join(n, n), raw[i]
		},
		"mixed": func(i int, n string) (string, []byte) {
			switch i {
			case 0:
				return "train-images.idx3-ubyte", raw[i]
			case 1:
				return n, gzipBytes(t, raw[i])
			case 2:
				return "t10k-images-idx3-ubyte", raw[i]
			}
			return "t10k-labels.idx1-ubyte.gz", gzipBytes(t, raw[i])
		},
	}
	for name, layout := range layouts {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for i, f := range mnistFiles {
				n, b := layout(i, f.Name)
				write(t, dir, n, b)
			}
			got, err := LoadMNIST(dir, 0)
			if err != nil {
				t.Fatalf("LoadMNIST: %v", err)
			}
			checkSame(t, "training images", takeRange(got.XTrain, 0, got.XTrain.Len()), takeRange(want.XTrain, 0, want.XTrain.Len()))
			checkSame(t, "training targets", got.TTrain, want.TTrain)
			checkSame(t, "test images", takeRange(got.XTest, 0, got.XTest.Len()), takeRange(want.XTest, 0, want.XTest.Len()))
			checkSame(t, "test targets", got.TTest, want.TTest)
		})
	}
}
