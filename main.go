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
	etaSet bool   // -eta was given (spiral then runs that eta only)
	seed   uint32 // numpy's RandomState takes seeds from 0 to 2³² − 1
	out    string
	quiet  bool
	// shuffle reorders the training samples every epoch, drawing from
	// the generator that drew the weights (the lab: batches in order).
	shuffle bool
	tol     float64   // -exp gradcheck: the largest relative error that passes
	save    string    // -save FILE: write the trained network there ("": don't)
	load    string    // -load FILE: start from this network instead of a new one
	plot    bool      // write pictures (SVG, PNG) and the HTML page
	stdout  io.Writer // progress and results
	stderr  io.Writer // interrupt messages
	// stop, when set (by tests), replaces the signal handling of
	// cfg.interrupter: training stops when it returns true.
	stop func() bool

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
	run    func(cfg *config) error
	train  bool // takes -epochs, -batch, -eta
	models bool // takes -save and -load
}

var experiments = []*experiment{
	{name: "xor", about: "2-4-2 net on the four XOR points", epochs: 100, batch: 4, eta: "0.1", etaVal: 0.1, run: runXOR, train: true, models: true},
	{name: "spiral", about: "2-10-3 net on three spirals, for eta 0.2, 1 and 5", epochs: 1000, batch: 300, eta: "0.2,1,5", etaVal: 0, run: runSpiral, train: true},
	{name: "mnist", about: "784-64x5-10 net on MNIST with the fused loss", epochs: 100, batch: 3000, eta: "0.1", etaVal: 0.1, run: runMNIST, train: true, models: true},
	{name: "gradcheck", about: "checks Gradient against finite differences on small random nets (flags: -seed, -tol)", run: runGradCheckExp},
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
// failure while running, 2 a usage error, 130 interrupted (Ctrl-C; the
// shell's code for a death by SIGINT).
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer recoverNotImplemented(stderr, &code) // the student version's stubs: a message, exit code 1
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	cfg.stdout, cfg.stderr = stdout, stderr
	if err := cfg.exp.run(cfg); err != nil {
		fmt.Fprintf(stderr, "backprop: %v\n", err)
		if errors.Is(err, errInterrupted) {
			return 130
		}
		return 1
	}
	return 0
}

// parseFlags parses and validates every flag before any work is done. On a
// usage error it prints the problem and the usage to stderr.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("backprop", flag.ContinueOnError)
	// The flag package's own messages ("parse error") are replaced by
	// flagProblem's, printed before the usage like every usage error here.
	fs.SetOutput(io.Discard)
	names := make([]string, len(experiments))
	for i, e := range experiments {
		names[i] = e.name
	}
	exp := fs.String("exp", "xor", "experiment: "+strings.Join(names, " | "))
	epochs := fs.Int("epochs", 0, "training epochs (default: the experiment's, see below); 0 only evaluates")
	batch := fs.Int("batch", 0, "mini-batch size (default: the experiment's)")
	eta := fs.Float64("eta", 0, "learning rate, a positive number (default: the experiment's)")
	seed := fs.Int64("seed", 1234, "seed of the random numbers (weights, data, shuffling), 0 to 4294967295 as numpy's RandomState takes")
	out := fs.String("out", "out", "directory for the result files (CSV, pictures, index.html)")
	quiet := fs.Bool("q", false, "quiet: no per-epoch progress lines")
	shuffle := fs.Bool("shuffle", false, "reorder the training samples every epoch (as numpy's rng.permutation); the lab takes batches in order")
	save := fs.String("save", "", "write the trained network to `FILE` (JSON, see README; also when Ctrl-C stops training)")
	load := fs.String("load", "", "start from the network in `FILE` (written by -save) instead of a new one")
	tol := fs.Float64("tol", defaultGradTol, "-exp gradcheck: the largest relative error that passes")
	plot := fs.Bool("plot", true, "write pictures (SVG charts, PNG maps) and out/index.html; -plot=false writes CSV only")
	dataDir := fs.String("data", "", "mnist: directory with the four MNIST files (default: $MNIST_DIR, else ./data/mnist)")
	download := fs.Bool("download", false, "mnist: fetch missing MNIST files from a public mirror into the data directory")
	limit := fs.Int("limit", 0, "mnist: train on the first N training images only (0: all 60000)")
	hidden := fs.String("hidden", "64,64,64,64,64", "mnist: widths of the hidden layers, comma separated")
	naive := fs.Bool("naive", false, "mnist: train the Assignment 1 pipeline (Softmax layer + plain cross-entropy) and locate its breakdown")
	printUsage := func() {
		fmt.Fprintf(stderr, "Usage: go run . -exp NAME [flags]\n\nTrains the lab's multilayer perceptrons with backpropagation and SGD.\n\nFlags:\n")
		fs.SetOutput(stderr) // only for the flag list: parse errors are ours
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		fmt.Fprintf(stderr, "\nExperiments and their defaults (seed 1234):\n")
		for _, e := range experiments {
			if !e.train {
				fmt.Fprintf(stderr, "  %-9s %s\n", e.name, e.about)
				continue
			}
			fmt.Fprintf(stderr, "  %-9s %s: epochs %d, batch %d, eta %s\n", e.name, e.about, e.epochs, e.batch, e.eta)
		}
	}
	fs.Usage = func() {} // parse errors are printed below
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage()
			return nil, err
		}
		err = errors.New(flagProblem(fs, err))
		fmt.Fprintf(stderr, "backprop: %v\n\n", err)
		printUsage()
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	usageErr := func(format string, a ...any) (*config, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintf(stderr, "backprop: %v\n\n", err)
		printUsage()
		return nil, err
	}
	if fs.NArg() > 0 {
		if findExperiment(fs.Arg(0)) != nil {
			return usageErr("unexpected argument %q: the experiment is a flag, -exp %s", fs.Arg(0), fs.Arg(0))
		}
		return usageErr("unexpected argument %q: every setting is a flag with its value, e.g. -epochs 300 (a yes/no flag is -q or -q=false)", fs.Arg(0))
	}
	e := findExperiment(*exp)
	if e == nil {
		return usageErr("unknown experiment %q: choose one of %s", *exp, strings.Join(names, ", "))
	}
	for _, name := range []string{"epochs", "batch", "eta", "q", "shuffle"} {
		if set[name] && !e.train {
			return usageErr("-%s does not apply to -exp %s, which trains nothing", name, e.name)
		}
	}
	for _, name := range []string{"save", "load"} {
		if set[name] && !e.models {
			var with []string
			for _, x := range experiments {
				if x.models {
					with = append(with, x.name)
				}
			}
			return usageErr("-%s is not available for -exp %s (a saved model is one network; it works with -exp %s)", name, e.name, strings.Join(with, ", "))
		}
	}
	if set["tol"] && e.name != "gradcheck" {
		return usageErr("-tol applies only to -exp gradcheck")
	}
	if !(*tol > 0) || math.IsInf(*tol, 0) {
		return usageErr("-tol must be a positive finite number, got %v", *tol)
	}
	if err := CheckSeed(*seed); err != nil {
		return usageErr("-seed %v", err)
	}
	cfg := &config{exp: e, epochs: e.epochs, batch: e.batch, eta: e.etaVal, seed: uint32(*seed), out: *out, quiet: *quiet, shuffle: *shuffle, tol: *tol, plot: *plot}
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
		return usageErr("-out must name a directory, e.g. -out results")
	}
	if fi, err := os.Stat(*out); err == nil && !fi.IsDir() {
		return usageErr("-out %s is a file, not a directory: choose a directory (it is created if needed)", *out)
	}
	if set["load"] {
		if *load == "" {
			return usageErr("-load needs the name of a file written by -save")
		}
		if err := checkModelPath(*load); err != nil {
			return usageErr("-load: %v", err)
		}
		cfg.load = *load
	}
	if set["save"] {
		if err := checkSavePath(*save, *out); err != nil {
			return usageErr("-save: %v", err)
		}
		cfg.save = *save
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

// newRNG returns the generator every experiment draws from, as the lab's
// np.random.RandomState(seed): the same seed gives the lab's numbers.
func newRNG(seed uint32) *RandomState { return NewRandomState(seed) }

// flagProblem rewrites an error of the flag package in words that say what
// to do: "-epochs abc: want a whole number, e.g. -epochs 300" rather than
// `invalid value "abc" for flag -epochs: parse error`.
func flagProblem(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	examples := map[string]string{
		"exp": "a name, e.g. -exp xor", "epochs": "a whole number, e.g. -epochs 300",
		"batch": "a whole number, e.g. -batch 32", "eta": "a number, e.g. -eta 0.5",
		"seed": "a whole number from 0 to 4294967295, e.g. -seed 42", "out": "a directory, e.g. -out results",
		"q": "nothing: -q (or -q=true, -q=false)", "shuffle": "nothing: -shuffle (or -shuffle=false)", "tol": "a number, e.g. -tol 1e-6",
		"save": "a file name, e.g. -save xor.json", "load": "a file name, e.g. -load xor.json",
	}
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		if s := suggestFlag(fs, name); s != "" {
			return fmt.Sprintf("unknown flag -%s: did you mean -%s?", name, s)
		}
		return fmt.Sprintf("unknown flag -%s (go run . -h lists the flags)", name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Sprintf("-%s needs a value: %s", name, examples[name])
	}
	// invalid value "abc" for flag -epochs: parse error
	// invalid boolean value "yes" for -q: parse error
	var value, name string
	if i := strings.Index(msg, " for flag -"); i >= 0 && strings.HasPrefix(msg, "invalid value ") {
		value, name = msg[len("invalid value "):i], msg[i+len(" for flag -"):]
	} else if i := strings.Index(msg, " for -"); i >= 0 && strings.HasPrefix(msg, "invalid boolean value ") {
		value, name = msg[len("invalid boolean value "):i], msg[i+len(" for -"):]
	}
	if name != "" {
		name, reason, _ := strings.Cut(name, ": ")
		if reason == "value out of range" {
			return fmt.Sprintf("-%s %s is out of range: want %s", name, value, examples[name])
		}
		return fmt.Sprintf("-%s %s: want %s", name, value, examples[name])
	}
	return msg
}

// suggestFlag returns the defined flag closest to a misspelt name, or "".
func suggestFlag(fs *flag.FlagSet, name string) string {
	best, bestDist := "", 3 // more than two edits away is no suggestion
	fs.VisitAll(func(f *flag.Flag) {
		d := editDistance(strings.ToLower(name), f.Name)
		if strings.HasPrefix(f.Name, strings.ToLower(name)) || strings.HasPrefix(strings.ToLower(name), f.Name) {
			d = min(d, 1)
		}
		if d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
