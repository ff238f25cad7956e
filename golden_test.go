package main

// The lab's runs against recorded outputs (go test -run Golden): every file
// a run writes, its model and what it prints must stay byte for byte what
// testdata/golden holds. After a change that is meant to alter an output,
// rewrite them with
//
//	go test -run '^TestGolden' -update
//
// and read the diff before committing it.

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// goldenRun is one command line whose outputs are recorded. OUT, DATA and
// MODEL in args stand for the run's output directory (one per out name:
// a resumed run continues in its first run's), the data and the model file.
type goldenRun struct {
	name, out string
	args      []string
	lab       []string // the lab methods the run needs (needLab)
}

func goldenRuns() []goldenRun {
	return []goldenRun{
		{"xor", "xor", []string{"-exp", "xor", "-q", "-out", "OUT", "-save", "MODEL"}, labPlain},
		{"xor-resumed", "xor", []string{"-load", "MODEL", "-epochs", "20", "-q", "-out", "OUT"}, labPlain},
		{"spiral", "spiral", []string{"-exp", "spiral", "-epochs", "200", "-q", "-out", "OUT"}, labPlain},
		{"mnist", "mnist", []string{"-exp", "mnist", "-data", "DATA", "-epochs", "3", "-batch", "40", "-hidden", "12,8", "-q", "-out", "OUT", "-save", "MODEL"}, labAll},
		{"mnist-naive", "mnist-naive", []string{"-exp", "mnist", "-data", "DATA", "-epochs", "2", "-batch", "40", "-hidden", "12", "-naive", "-q", "-out", "OUT"}, labAll},
		{"gradcheck", "gradcheck", []string{"-exp", "gradcheck"}, labAll},
	}
}

// goldenMNIST writes a small, learnable stand-in for MNIST: 200 training
// and 60 test images, each a digit's stroke of ones drawn at a place of its
// class, with a fixed speckle of noise.
func goldenMNIST(t *testing.T) string {
	rng := NewRandomState(7)
	images := func(labels []byte) []byte {
		px := make([]byte, len(labels)*mnistPixels)
		for i, c := range labels {
			img := px[i*mnistPixels : (i+1)*mnistPixels]
			for r := 4; r < 24; r++ {
				img[r*28+2+2*int(c)] = 255
			}
			for k := 0; k < 30; k++ {
				img[rng.IntN(mnistPixels)] = byte(rng.IntN(256))
			}
		}
		return idxBytes(idxMagicImages, []uint32{uint32(len(labels)), 28, 28}, px)
	}
	labels := func(n int) []byte {
		l := make([]byte, n)
		for i := range l {
			l[i] = byte(rng.IntN(10))
		}
		return l
	}
	trainLabels, testLabels := labels(200), labels(60)
	return writeMNIST(t, images(trainLabels), labelsFile(trainLabels...), images(testLabels), labelsFile(testLabels...))
}

// goldenNormalize replaces what differs from run to run (where the files
// went, when they were written, how long reading took) by fixed words.
func goldenNormalize(b []byte, dirs map[string]string) []byte {
	for dir, word := range dirs {
		b = bytes.ReplaceAll(b, []byte(dir), []byte(word))
	}
	// The kernels' name: AVX2 and AVX-512 give the same bits.
	b = regexp.MustCompile(`\b(avx2|avx512)\b`).ReplaceAll(b, []byte("KERNELS"))
	b = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`).ReplaceAll(b, []byte("TIME"))
	return regexp.MustCompile(`in \d+(\.\d+)?(ns|µs|ms|s)\b`).ReplaceAll(b, []byte("in DURATION"))
}

func TestGoldenRuns(t *testing.T) {
	if k := KernelName(); k == "portable" {
		// The recorded numbers are the amd64 kernels' (AVX2 and AVX-512 give
		// the same bits); the portable products round differently in the
		// last bits, which .ci/compare-builds bounds instead.
		t.Skipf("the goldens are the amd64 kernels' bits; this build runs the %s kernels", k)
	}
	data := goldenMNIST(t)
	model := filepath.Join(t.TempDir(), "model")
	outs := t.TempDir()
	for _, g := range goldenRuns() {
		t.Run(g.name, func(t *testing.T) {
			needLab(t, g.lab)
			out := filepath.Join(outs, g.out)
			dirs := map[string]string{out: "OUT", data: "DATA", model: "MODEL"}
			args := make([]string, len(g.args))
			for i, a := range g.args {
				args[i] = a
				for dir, word := range dirs {
					if a == word {
						args[i] = dir
					}
				}
			}
			code, stdout, stderr := runMain(args...)
			if code != 0 {
				t.Fatalf("run %q: exit code %d\n%s", g.args, code, stderr)
			}
			got := map[string][]byte{"stdout": goldenNormalize([]byte(stdout), dirs), "stderr": goldenNormalize([]byte(stderr), dirs)}
			entries, _ := os.ReadDir(out)
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(out, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				got[e.Name()] = goldenNormalize(b, dirs)
			}
			if slices.Contains(g.args, "-save") {
				b, err := os.ReadFile(model)
				if err != nil {
					t.Fatal(err)
				}
				got["model.json"] = goldenNormalize(b, dirs)
			}
			compareGolden(t, filepath.Join("testdata", "golden", g.name), got)
		})
	}
}
