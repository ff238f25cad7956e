//go:build unix

package main

// Tests of hostile inputs: named pipes and devices where files belong,
// data sets that declare far more than they hold or than the machine has,
// and widths and epochs that would not fit. Nothing here may hang, panic or
// allocate more than a few megabytes (the memory limit is the test's).

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within fails the test when f does not return within d (a hang).
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: no return within %v (it hangs)", what, d)
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("cannot make a named pipe here: %v", err)
	}
}

// TestNotRegularFilesAreRefused puts a named pipe, a link to /dev/zero and
// a directory where the program reads files: each is refused at once with
// its name and what it is.
func TestNotRegularFilesAreRefused(t *testing.T) {
	needLab(t, labAll)
	for _, kind := range []string{"fifo", "device", "directory"} {
		t.Run(kind, func(t *testing.T) {
			make := func(path string) {
				switch kind {
				case "fifo":
					mkfifo(t, path)
				case "device":
					if err := os.Symlink("/dev/zero", path); err != nil {
						t.Fatal(err)
					}
				default:
					os.Mkdir(path, 0o755)
				}
			}
			want := map[string]string{"fifo": "is a named pipe (FIFO), not a regular file", "device": "is a device, not a regular file", "directory": "is a directory"}[kind]

			// An MNIST file.
			data := syntheticMNISTDir(t, 20)
			images := filepath.Join(data, mnistFiles[2].Name)
			os.Remove(images)
			make(images)
			var err error
			within(t, 10*time.Second, "LoadMNIST", func() { _, err = LoadMNIST(data, 0) })
			if err == nil || !strings.Contains(err.Error(), images) || !strings.Contains(err.Error(), want) {
				t.Errorf("LoadMNIST with %s as %s: got %v; want the file named and %q", kind, images, err, want)
			}

			// A model to load.
			model := filepath.Join(t.TempDir(), "m.json")
			make(model)
			var code int
			var stderr string
			within(t, 10*time.Second, "-load", func() { code, _, stderr = runMain("-load", model, "-out", t.TempDir()) })
			if code != 2 || !strings.Contains(stderr, model) || !strings.Contains(stderr, strings.TrimSuffix(want, ", not a regular file")) {
				t.Errorf("-load %s (%s): exit code %d, stderr %q; want 2, the file and %q", model, kind, code, stderr, want)
			}

			// A run record in -out: the page is rebuilt without it, and
			// says why.
			out := t.TempDir()
			make(filepath.Join(out, "bad.run.json"))
			within(t, 10*time.Second, "rebuilding the page", func() { code, _, stderr = runMain("-epochs", "1", "-q", "-out", out) })
			page, _ := os.ReadFile(filepath.Join(out, "index.html"))
			if code != 0 || !strings.Contains(string(page), "bad.run.json") || !strings.Contains(string(page), "XOR") {
				t.Errorf("-out with a %s named bad.run.json: exit code %d (%s); want 0 and a page with the XOR run and a problem naming bad.run.json:\n%s", kind, code, stderr, page)
			}
		})
	}
}

// TestMNISTBombsAreWeighedFirst: a 770 KB test-images file that declares a
// million blank images (784 MB of bytes, and 80 MB of one-hot labels) is
// refused with the estimate and a limit below it before any of it is decoded, and a training
// images bomb whose label file declares another count is refused for the
// mismatch before its images are decoded.
func TestMNISTBombsAreWeighedFirst(t *testing.T) {
	const million = 1000000
	imagesHdr := idxBytes(idxMagicImages, []uint32{million, 28, 28}, nil)
	labelsHdr := idxBytes(idxMagicLabels, []uint32{million}, nil)
	small := func(i int) []byte { return gzipBytes(t, [][]byte{imagesFile(20), labelsFile(make([]byte, 20)...)}[i]) }

	t.Run("test set", func(t *testing.T) {
		bomb := gzipBomb(t, imagesHdr, million*mnistPixels)
		dir := writeFiles(t, [4][]byte{small(0), small(1), bomb, gzipBomb(t, labelsHdr, million)})
		withMemoryLimit(t, 512<<20)
		var err error
		if got := allocated(func() { _, err = LoadMNIST(dir, 0) }); got > 16<<20 {
			t.Errorf("refusing the bomb allocated %d bytes; want under 16 MiB", got)
		}
		for _, want := range []string{"would need about 8", "test images 824.9 MiB", "may use 512.0 MiB (the test's limit)"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("LoadMNIST with a %d-byte file of a million test images: got %v; want %q", len(bomb), err, want)
			}
		}
	})
	t.Run("training set", func(t *testing.T) {
		dir := writeFiles(t, [4][]byte{gzipBomb(t, imagesHdr, million*mnistPixels), gzipBytes(t, labelsFile(make([]byte, 60000)...)), small(0), small(1)})
		var err error
		if got := allocated(func() { _, err = LoadMNIST(dir, 0) }); got > 16<<20 {
			t.Errorf("refusing the bomb allocated %d bytes; want under 16 MiB", got)
		}
		if err == nil || !strings.Contains(err.Error(), "holds 1000000 images but") || !strings.Contains(err.Error(), "holds 60000 labels") {
			t.Errorf("LoadMNIST with a million training images and 60000 labels: got %v; want the mismatch", err)
		}
	})
}

// TestRunsThatCannotFitAreRefused: widths, epochs and data whose memory
// exceeds the limit are refused before training, with the estimate, the
// limit and what to change, never a "fatal error: runtime: out of memory".
func TestRunsThatCannotFitAreRefused(t *testing.T) {
	withMemoryLimit(t, 8<<30)
	// The evaluation's buffers are a set per goroutine: the estimate below
	// is for 2.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	data := syntheticMNISTDir(t, 20)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"-exp", "mnist", "-data", data, "-hidden", "65536,65536"}, []string{"would need about 295.7 GiB", "network (weights, gradients, saved copy) 295.5 GiB", "may use 8.0 GiB (the test's limit)", "-hidden"}},
		{[]string{"-exp", "xor", "-epochs", "2000000000"}, []string{"run info of every epoch", "may use 8.0 GiB", "train fewer epochs"}},
		{[]string{"-exp", "spiral", "-epochs", "20000000"}, []string{"run info of every epoch", "train fewer epochs"}},
	}
	for _, c := range cases {
		var code int
		var stdout, stderr string
		if got := allocated(func() { code, stdout, stderr = runMain(append(c.args, "-q", "-out", t.TempDir())...) }); got > 64<<20 {
			t.Errorf("run %q allocated %d bytes to refuse; want under 64 MiB", c.args, got)
		}
		for _, w := range c.want {
			if code != 1 || !strings.Contains(stderr, w) {
				t.Errorf("run %q: exit code %d, stderr %q; want 1 and %q", c.args, code, stderr, w)
			}
		}
		if strings.Contains(stdout, "epoch 0/") {
			t.Errorf("run %q trained before refusing:\n%s", c.args, stdout)
		}
	}
}

// TestModelLargerThanTheLimit: a model file larger than maxModelBytes (a
// sparse file: no disk is used) is refused before it is read.
func TestModelLargerThanTheLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(maxModelBytes + 1)
	f.Close()
	var lerr error
	if got := allocated(func() { _, _, lerr = LoadModel(path) }); got > 1<<20 {
		t.Errorf("refusing a %d-byte model allocated %d bytes; want under 1 MiB (nothing read)", maxModelBytes+1, got)
	}
	if lerr == nil || !strings.Contains(lerr.Error(), path) || !strings.Contains(lerr.Error(), "more than the 1073741824 of any model") {
		t.Errorf("LoadModel of a file over the limit: got %v; want the file and the limit", lerr)
	}
	// Under the limit but over the machine's memory: refused as well.
	f, _ = os.Create(path)
	f.Truncate(64 << 20)
	f.Close()
	withMemoryLimit(t, 128<<20)
	if _, _, lerr = LoadModel(path); lerr == nil || !strings.Contains(lerr.Error(), "reading the model file 384.0 MiB") {
		t.Errorf("LoadModel of a 64 MiB file with 128 MiB of memory: got %v; want the estimate", lerr)
	}
}

// TestModelShortRowsAllocateNothing: a model whose linear layer declares
// 100000 inputs and 100000 units, with 100000 empty rows of W (half a
// megabyte of JSON), is refused for the rows before an 80 GB matrix is
// allocated.
func TestModelShortRowsAllocateNothing(t *testing.T) {
	const n = 100000
	var b strings.Builder
	b.WriteString(`{"format": "backprop-mlp", "version": 2, "meta": {"experiment": "x", "epochs": 0, "batch": 1, "eta": 1, "seed": 1}, "inputs": 100000,
  "layers": [{"kind": "linear", "name": "L", "inputs": 100000, "units": 100000, "W": [[]`)
	b.WriteString(strings.Repeat(",[]", n-1))
	b.WriteString(`], "B": [0` + strings.Repeat(",0", n-1) + `]}], "loss": {"kind": "softmax-cross-entropy", "name": "CE"}, "output_layers": []}`)
	var err error
	if got := allocated(func() { _, _, err = decodeModel(strings.NewReader(b.String()), "short.json") }); got > 64<<20 {
		t.Errorf("refusing the model allocated %d bytes; want under 64 MiB", got)
	}
	if err == nil || !strings.Contains(err.Error(), "row 0 of W has 0 values, want 100000") {
		t.Errorf("decodeModel: got %v; want the short row named", err)
	}
}

// wideXORModel saves an XOR network 2→width→2 (a valid model file of any
// size) and returns its path.
func wideXORModel(t *testing.T, width int) string {
	t.Helper()
	net := NewMLP(2, []Layer{
		NewLinearLayer(2, width, NewRandomState(1), "Linear_1"),
		NewReLULayer("ReLU_1"),
		NewLinearLayer(width, 2, NewRandomState(2), "Linear_OUT"),
		NewSoftmaxLayer("Softmax_OUT"),
	}, NewLossCrossEntropy("CE"), nil)
	for i := range net.Layers[2].(*LinearLayer).W.Data { // logits of order 1: a finite loss
		net.Layers[2].(*LinearLayer).W.Data[i] /= float64(width)
	}
	path := filepath.Join(t.TempDir(), "wide.json")
	if err := SaveModel(path, net, ModelMeta{Experiment: "xor", Batch: 4, Eta: 1e-3}); err != nil {
		t.Fatal(err)
	}
	return path
}

// heapGrowth runs f and returns how much the heap obtained from the system
// grew meanwhile: at least the peak of what f held at once (HeapSys does
// not shrink when memory is returned).
func heapGrowth(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	if after.HeapSys < before.HeapSys {
		return 0
	}
	return after.HeapSys - before.HeapSys
}

// TestWideNetworkRunsWithinItsEstimate: a valid model of a wide network
// loaded by the XOR experiment runs within the memory its estimate counts
// (the decision map's and the evaluation's chunks shrink as the network
// widens) or is refused with the estimate: never "fatal error: runtime:
// out of memory". 2→10000→2 with its pictures (the decision map had
// taken 2.5 GB), 2→400000→2 without (its map alone computes 9·10⁹ hidden
// units: a minute).
func TestWideNetworkRunsWithinItsEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks of millions of weights; skipped with -short")
	}
	needLab(t, labPlain)
	t.Run("10000", func(t *testing.T) { wideRun(t, 10000, true) })
	t.Run("400000", func(t *testing.T) { wideRun(t, 400000, false) })
}

func wideRun(t *testing.T, width int, plot bool) {
	model := wideXORModel(t, width)
	widths := []int{2, width, 2}
	X, _ := XORData()
	needs := append(netNeeds(widths, 4, 4), runInfoNeed(1, 2))
	if plot {
		grid, _ := mapGrid(X)
		needs = append(needs, mapNeed(widths, grid.NX*grid.NY))
	}
	estimate := 0.0
	for _, n := range needs {
		estimate += n.bytes
	}
	// Chunks that shrink as the network widens: a modest estimate.
	if plot && estimate > 160<<20 {
		t.Errorf("2→%d→2: the run's estimate is %s; want a modest one, under 160 MiB", width, formatBytes(estimate))
	}
	out := t.TempDir()
	args := []string{"-load", model, "-epochs", "1", "-q", "-out", out, "-plot=" + strconv.FormatBool(plot)}
	var code int
	var stderr string
	grew := heapGrowth(func() {
		within(t, 2*time.Minute, fmt.Sprintf("2→%d→2", width), func() { code, _, stderr = runMain(args...) })
	})
	if code != 0 {
		t.Fatalf("2→%d→2, %q: exit code %d\n%s", width, args, code, stderr)
	}
	// The heap may grow to twice what is live before a collection.
	if float64(grew) > 2*estimate+32<<20 {
		t.Errorf("2→%d→2, %q: the heap grew by %s; the run's estimate is %s", width, args, formatBytes(float64(grew)), formatBytes(estimate))
	}
	if _, err := os.Stat(filepath.Join(out, "xor_map.svg")); plot && err != nil {
		t.Errorf("2→%d→2: no decision map: %v", width, err)
	}
	// Refused with the estimate where it cannot fit.
	withMemoryLimit(t, int64(estimate/2))
	code, _, stderr = runMain(args...)
	// (The model file alone may be refused first, with its own estimate.)
	refused := strings.Contains(stderr, "this run would need about "+formatBytes(estimate)) || strings.Contains(stderr, "this model is too large for this machine")
	if code != 1 || !refused || plot && !strings.Contains(stderr, "decision map") {
		t.Errorf("2→%d→2 with half the memory it needs: exit code %d, stderr %q; want 1 and the estimate, %s", width, code, stderr, formatBytes(estimate))
	}
}
