// Command backprop is the lab on backpropagation for multilayer perceptrons
// (SML, computer lab): layers with forward, delta and grad messages, an MLP
// with backpropagation, SGD, and the lab's experiments, writing CSV.
//
//	go run . -exp xor
//	go run . -exp spiral
//	go run . -exp mnist [-data DIR] [-download] [-limit N] [-hidden 64,64] [-naive]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// config is what the command line asks for, after validation.
type config struct {
	exp    *experiment
	epochs int
	batch  int
	eta    float64
	etaSet bool // -eta was given (spiral then runs that eta only)
	seed   uint64
	out    string
	quiet  bool
	stdout io.Writer // progress and results

	// MNIST only.
	dataDir  string // -data; "" means $MNIST_DIR, else ./data/mnist
	download bool   // fetch missing files from a public mirror
	limit    int    // train on the first limit images (0: all)
	hidden   []int  // hidden layer widths
	naive    bool   // Assignment 1 pipeline: Softmax layer + plain cross-entropy
}

// experiment is one of the lab's experiments with its default settings
// (TEMPLATE.md, "Experiments").
type experiment struct {
	name   string
	about  string
	epochs int
	batch  int
	eta    string // as shown in -h
	etaVal float64
	run    func(cfg *config) error // nil: not available yet
}

var experiments = []*experiment{
	{name: "xor", about: "2-4-2 net on the four XOR points", epochs: 100, batch: 4, eta: "0.1", etaVal: 0.1, run: runXOR},
	{name: "spiral", about: "2-10-3 net on three spirals, for eta 0.2, 1 and 5", epochs: 1000, batch: 300, eta: "0.2,1,5", etaVal: 0},
	{name: "mnist", about: "784-64x5-10 net on MNIST with the fused loss", epochs: 100, batch: 3000, eta: "0.1", etaVal: 0.1, run: runMNIST},
}

func findExperiment(name string) *experiment {
	for _, e := range experiments {
		if e.name == name {
			return e
		}
	}
	return nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit code: 0 success, 1 a
// failure while running, 2 a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	cfg.stdout = stdout
	if err := cfg.exp.run(cfg); err != nil {
		fmt.Fprintf(stderr, "backprop: %v\n", err)
		return 1
	}
	return 0
}

// parseFlags parses and validates every flag before any work is done. On a
// usage error it prints the problem and the usage to stderr.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("backprop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	names := make([]string, len(experiments))
	for i, e := range experiments {
		names[i] = e.name
	}
	exp := fs.String("exp", "xor", "experiment: "+strings.Join(names, " | "))
	epochs := fs.Int("epochs", -1, "training epochs (default: the experiment's, see below); 0 only evaluates")
	batch := fs.Int("batch", -1, "mini-batch size (default: the experiment's)")
	eta := fs.Float64("eta", 0, "learning rate, a positive number (default: the experiment's)")
	seed := fs.Uint64("seed", 1234, "seed of the random numbers (weights, data, shuffling)")
	out := fs.String("out", "out", "directory for the CSV files")
	quiet := fs.Bool("q", false, "quiet: no per-epoch progress lines")
	dataDir := fs.String("data", "", "mnist: directory with the four MNIST files (default: $MNIST_DIR, else ./data/mnist)")
	download := fs.Bool("download", false, "mnist: fetch missing MNIST files from a public mirror into the data directory")
	limit := fs.Int("limit", 0, "mnist: train on the first N training images only (0: all 60000)")
	hidden := fs.String("hidden", "64,64,64,64,64", "mnist: widths of the hidden layers, comma separated")
	naive := fs.Bool("naive", false, "mnist: train the Assignment 1 pipeline (Softmax layer + plain cross-entropy) and locate its breakdown")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run . -exp NAME [flags]\n\nTrains the lab's multilayer perceptrons with backpropagation and SGD.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nExperiments and their defaults (seed 1234):\n")
		for _, e := range experiments {
			status := ""
			if e.run == nil {
				status = "  (not available yet)"
			}
			fmt.Fprintf(stderr, "  %-7s %s: epochs %d, batch %d, eta %s%s\n", e.name, e.about, e.epochs, e.batch, e.eta, status)
		}
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	usageErr := func(format string, a ...any) (*config, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintf(stderr, "backprop: %v\n\n", err)
		fs.Usage()
		return nil, err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q: every setting is a flag, e.g. -exp %s", fs.Arg(0), fs.Arg(0))
	}
	e := findExperiment(*exp)
	if e == nil {
		return usageErr("unknown experiment %q: choose one of %s", *exp, strings.Join(names, ", "))
	}
	if e.run == nil {
		return usageErr("experiment %q is not available yet in this version", e.name)
	}
	cfg := &config{exp: e, epochs: e.epochs, batch: e.batch, eta: e.etaVal, seed: *seed, out: *out, quiet: *quiet}
	if set["epochs"] {
		if *epochs < 0 {
			return usageErr("-epochs must be 0 or more, got %d", *epochs)
		}
		cfg.epochs = *epochs
	}
	if set["batch"] {
		if *batch < 1 {
			return usageErr("-batch must be at least 1, got %d", *batch)
		}
		cfg.batch = *batch
	}
	if set["eta"] {
		if !(*eta > 0) || math.IsInf(*eta, 0) {
			return usageErr("-eta must be a positive finite number, got %v", *eta)
		}
		cfg.eta, cfg.etaSet = *eta, true
	}
	if *out == "" {
		return usageErr("-out must name a directory")
	}
	for _, name := range []string{"data", "download", "limit", "hidden", "naive"} {
		if set[name] && e.name != "mnist" {
			return usageErr("-%s applies to -exp mnist only", name)
		}
	}
	if set["data"] && *dataDir == "" {
		return usageErr("-data must name a directory")
	}
	if *limit < 0 {
		return usageErr("-limit must be 0 (all) or more, got %d", *limit)
	}
	h, err := parseHidden(*hidden)
	if err != nil {
		return usageErr("-hidden %q: %v", *hidden, err)
	}
	cfg.dataDir, cfg.download, cfg.limit, cfg.hidden, cfg.naive = *dataDir, *download, *limit, h, *naive
	return cfg, nil
}

// parseHidden parses hidden layer widths such as "64,64,64": positive
// integers separated by commas.
func parseHidden(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("want at least one width, e.g. 64,64")
	}
	var widths []int
	for i, f := range strings.Split(s, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || w < 1 {
			return nil, fmt.Errorf("width %d is %q: want a positive integer", i+1, f)
		}
		if w > 1<<16 {
			return nil, fmt.Errorf("width %d is %d: at most %d", i+1, w, 1<<16)
		}
		widths = append(widths, w)
	}
	return widths, nil
}

// progress is where per-epoch lines go: nowhere with -q.
func (c *config) progress() io.Writer {
	if c.quiet {
		return nil
	}
	return c.stdout
}

// newRNG returns the generator every experiment draws from: PCG seeded
// with seed, so that runs are repeatable.
func newRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}
