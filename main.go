// Command backprop is the lab on backpropagation for multilayer perceptrons
// (SML, computer lab): layers with forward, delta and grad messages, an MLP
// with backpropagation, SGD, and the lab's experiments, writing CSV.
//
//	go run . -exp xor
//	go run . -exp spiral
//	go run . -exp mnist [-data DIR] [-download] [-limit N] [-hidden 64,64] [-naive]
//
// One run as the code reads, with the file of each step:
//
//	flags                                main.go parseFlags
//	→ settings, a plain value            settings.go (a -load's network is read and
//	                                     its settings restored while parsing)
//	→ the experiment's own part          xor.go, spiral.go, mnistrun.go: data,
//	                                     network, lines, pictures (gradcheck.go
//	                                     trains nothing: it prints its table)
//	→ the pipeline                       pipeline.go runState.run, .train
//	                                     (spiral's learning rates side by side:
//	                                     .compare)
//	    -out made, -save checked         pipeline.go prepareFiles (a usage error)
//	    interrupts caught                interrupt.go
//	    data                             the experiment's (mnist.go reads MNIST)
//	    network, new or restored         pipeline.go startNet
//	    memory check, header             limits.go; the experiment's lines
//	    train (progress, interrupts)     sgd.go Train, watched (progress.go)
//	    run info continued               resume.go continueRunInfo
//	    the model saved first            pipeline.go modelJobs, model.go
//	    CSVs, pictures, page             resume.go (CSVs continued), plot.go,
//	                                     page.go, each file whole (output.go)
//	    summary, resume line, run error  the experiment's; pipeline.go runError
//	→ exit code                          main.go run
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// command is what parseFlags makes of the command line: the experiment,
// its settings, and, with -load, the network read and what the run says
// first (the flags that override its settings).
type command struct {
	exp *experiment
	settings
	loaded *loadedModel
	notes  []string
}

// newRun is the run c asks for, its output going to stdout and stderr.
func (c *command) newRun(stdout, stderr io.Writer) *runState {
	return &runState{settings: c.settings, stdout: stdout, stderr: stderr, loaded: c.loaded, notes: c.notes}
}

// experiment is one of the lab's experiments with its default settings
// (the lab's template).
type experiment struct {
	name   string
	about  string
	epochs int
	batch  int
	eta    string // as shown in -h
	etaVal float64
	run    func(r *runState) error // the experiment's entry to the pipeline
	train  bool                    // takes -epochs, -batch, -eta
	models bool                    // takes -save and -load
}

var experiments = []*experiment{
	{name: "xor", about: "2-4-2 net on the four XOR points", epochs: 100, batch: 4, eta: "0.1", etaVal: 0.1, run: runXOR, train: true, models: true},
	{name: "spiral", about: "2-10-3 net on three spirals, for eta 0.2, 1 and 5", epochs: 1000, batch: 300, eta: "0.2,1,5", etaVal: 0, run: runSpiral, train: true},
	{name: "mnist", about: "784-64x5-10 net on MNIST with the fused loss", epochs: 100, batch: 3000, eta: "0.1", etaVal: 0.1, run: runMNIST, train: true, models: true},
	{name: "gradcheck", about: "checks Gradient against finite differences on small random nets (flags: -seed, -tol)", run: runGradCheckExp},
}

// modelExperiments names the experiments that take -save and -load.
func modelExperiments() string {
	var with []string
	for _, x := range experiments {
		if x.models {
			with = append(with, x.name)
		}
	}
	return strings.Join(with, ", ")
}

// The results page lists the runs in the order of the table.
func init() {
	for i, e := range experiments {
		experimentRank[e.name] = i
	}
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
	progName = commandName(os.Args[0])
	// A write to a pipe whose reader has gone (`| tee log`, and Ctrl-C
	// kills tee first) would kill the program by SIGPIPE, before it saved
	// anything. Ignored, such a write returns an error instead, and
	// outWriter drops the output from there on.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit code: 0 success, 1 a
// failure while running (or output that could not be written), 2 a usage
// error, 130 stopped by SIGINT (Ctrl-C), 143 by SIGTERM and 129 by SIGHUP
// (the shell's codes for a death by these signals).
func run(args []string, stdout, stderr io.Writer) (code int) {
	out, errOut := &outWriter{w: stdout}, &outWriter{w: stderr}
	stdout, stderr = out, errOut
	defer func() { code = lostOutput(code, out, errOut) }()
	defer recoverNotImplemented(stderr, &code) // the student version's stubs: a message, exit code 1
	// failed says why the run failed and returns its exit code: 2 for a
	// usage error (the flags, or -out and -save found unusable before any
	// work), which points at -h; 1 for any other, before or while running.
	failed := func(err error) int {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "backprop: %v\n(%s -h lists every flag and experiment)\n", err, progName)
			return 2
		}
		fmt.Fprintf(stderr, "backprop: %v\n", err)
		return 1
	}
	cmd, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return failed(err)
	}
	if err := kernelsFromEnv(); err != nil { // gemm.go
		fmt.Fprintf(stderr, "backprop: %v\n", err)
		return 2
	}
	sig, err := cmd.newRun(stdout, stderr).run(cmd.exp.run) // pipeline.go
	if errors.Is(err, errInterrupted) {
		fmt.Fprintf(stderr, "backprop: %v\n", err)
		return signalCode(sig)
	}
	if err != nil {
		return failed(err)
	}
	return 0
}

// flagExamples says, for every flag, what value it wants.
var flagExamples = map[string]string{
	"exp": "a name, e.g. -exp xor", "epochs": "a whole number, e.g. -epochs 300",
	"batch": "a whole number, e.g. -batch 32", "eta": "a number, e.g. -eta 0.5",
	"seed": "a whole number from 0 to 4294967295, e.g. -seed 42", "out": "a directory, e.g. -out results",
	"q": "nothing: -q (or -q=true, -q=false)", "shuffle": "nothing: -shuffle (or -shuffle=false)", "tol": "a number, e.g. -tol 1e-6",
	"save": "a file name, e.g. -save xor.json", "load": "a file name, e.g. -load xor.json",
	"plot": "nothing: -plot (or -plot=false)", "data": "a directory, e.g. -data data/mnist",
	"download": "nothing: -download (or -download=false)", "limit": "a whole number of images, e.g. -limit 5000",
	"hidden": "widths separated by commas, e.g. -hidden 64,64", "naive": "nothing: -naive (or -naive=false)",
}

// parseFlags parses and validates every flag before any work is done, reads
// the network of -load and restores its settings. A problem with the
// command line is a *usageError; -h prints the usage to stderr and returns
// flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (*command, error) {
	fs := flag.NewFlagSet("backprop", flag.ContinueOnError)
	// The flag package's own messages ("parse error") are replaced by
	// flagProblem's.
	fs.SetOutput(io.Discard)
	names := make([]string, len(experiments))
	for i, e := range experiments {
		names[i] = e.name
	}
	exp := fs.String("exp", "xor", "experiment: "+strings.Join(names, " | ")+" (with -load: the saved network's)")
	epochs := fs.Int("epochs", 0, "training epochs (default: the experiment's, see below); 0 only evaluates")
	batch := fs.Int("batch", 0, "mini-batch size (default: the experiment's, or the loaded network's)")
	eta := fs.Float64("eta", 0, "learning rate, a positive number (default: the experiment's, or the loaded network's)")
	seed := fs.Int64("seed", 1234, "seed of the random numbers (weights, data, shuffling), 0 to 4294967295 as numpy's RandomState takes")
	out := fs.String("out", defaultOut, "directory for the result files (CSV, pictures, index.html)")
	quiet := fs.Bool("q", false, "quiet: no progress lines")
	shuffle := fs.Bool("shuffle", false, "reorder the training samples every epoch (as numpy's rng.permutation); the lab takes batches in order")
	save := fs.String("save", "", "write the trained network to `FILE` (JSON, see README; also when Ctrl-C stops training)")
	load := fs.String("load", "", "start from the network in `FILE` (written by -save) with the settings it was trained with")
	tol := fs.Float64("tol", defaultGradTol, "-exp gradcheck: the largest relative error that passes")
	plot := fs.Bool("plot", true, "write pictures (SVG charts, PNG maps) and out/index.html; -plot=false writes CSV only")
	dataDir := fs.String("data", "", "mnist: directory with the four MNIST files (default: $MNIST_DIR, else ./data/mnist)")
	download := fs.Bool("download", false, "mnist: fetch missing MNIST files from a public mirror into the data directory")
	limit := fs.Int("limit", 0, "mnist: train on the first N training images only (0: all 60000)")
	hidden := fs.String("hidden", "64,64,64,64,64", "mnist: widths of the hidden layers, comma separated")
	naive := fs.Bool("naive", false, "mnist: train the Assignment 1 pipeline (Softmax layer + plain cross-entropy) and locate its breakdown")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "Usage: %s -exp NAME [flags]\n\nTrains the lab's multilayer perceptrons with backpropagation and SGD.\n\nFlags:\n", progName)
			fs.SetOutput(stderr) // only for the flag list: parse errors are ours
			fs.PrintDefaults()
			fmt.Fprintf(stderr, "\nExperiments and their defaults (seed 1234):\n")
			for _, e := range experiments {
				if !e.train {
					fmt.Fprintf(stderr, "  %-9s %s\n", e.name, e.about)
					continue
				}
				fmt.Fprintf(stderr, "  %-9s %s: epochs %d, batch %d, eta %s\n", e.name, e.about, e.epochs, e.batch, e.eta)
			}
			return nil, err
		}
		return nil, &usageError{flagProblem(fs, err)}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	usageErr := func(format string, a ...any) (*command, error) {
		return nil, &usageError{fmt.Sprintf(format, a...)}
	}
	if fs.NArg() > 0 {
		if findExperiment(fs.Arg(0)) != nil {
			return usageErr("unexpected argument %q: the experiment is a flag, -exp %s", fs.Arg(0), fs.Arg(0))
		}
		return usageErr("unexpected argument %q: every setting is a flag with its value, e.g. -epochs 300 (a yes/no flag is -q or -q=false)", fs.Arg(0))
	}
	if set["exp"] && set["load"] { // refused before the file is read, which may take a while
		if e := findExperiment(*exp); e != nil && !e.models {
			return usageErr("-load is not available for -exp %s (a saved model is one network; it works with -exp %s)", e.name, modelExperiments())
		}
	}
	var loaded *loadedModel
	if set["load"] {
		if *load == "" {
			return usageErr("-load needs the name of a file written by -save")
		}
		if err := checkModelPath(*load); err != nil {
			return usageErr("-load: %v", err)
		}
		net, meta, err := LoadModel(*load)
		if err != nil {
			return nil, err
		}
		loaded = &loadedModel{net: net, meta: meta}
		if !set["exp"] {
			*exp, _ = strings.CutSuffix(meta.Experiment, "_naive") // mnist_naive is -exp mnist
			if e := findExperiment(*exp); e == nil || !e.models {
				*exp = "xor"
			}
		}
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
	if set["save"] && !e.models { // -load was refused before its file was read, or chose the experiment
		return usageErr("-save is not available for -exp %s (a saved model is one network; it works with -exp %s)", e.name, modelExperiments())
	}
	if set["tol"] && e.name != "gradcheck" {
		return usageErr("-tol applies only to -exp gradcheck")
	}
	for _, name := range []string{"out", "plot"} {
		if set[name] && e.name == "gradcheck" {
			return usageErr("-%s does not apply to -exp gradcheck, which writes no file: it prints its table", name)
		}
	}
	if !(*tol > 0) || math.IsInf(*tol, 0) {
		return usageErr("-tol must be a positive finite number, got %v", *tol)
	}
	if err := CheckSeed(*seed); err != nil {
		return usageErr("-seed %v", err)
	}
	cmd := &command{exp: e, loaded: loaded, settings: settings{exp: e.name, epochs: e.epochs, batch: e.batch, eta: e.etaVal, seed: uint32(*seed), out: *out, writes: e.train, quiet: *quiet, shuffle: *shuffle, tol: *tol, plot: *plot, load: *load}}
	if set["epochs"] {
		if *epochs < 0 || *epochs > maxEpochs {
			return usageErr("-epochs must be from 0 to %d, got %d", maxEpochs, *epochs)
		}
		cmd.epochs = *epochs
	}
	if set["batch"] {
		if *batch < 1 {
			return usageErr("-batch must be at least 1, got %d", *batch)
		}
		cmd.batch = *batch
	}
	if set["eta"] {
		if !(*eta > 0) || math.IsInf(*eta, 0) {
			return usageErr("-eta must be a positive finite number, got %v", *eta)
		}
		cmd.eta, cmd.etaSet = *eta, true
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
	cmd.dataDir, cmd.download, cmd.limit, cmd.hidden, cmd.naive = *dataDir, *download, *limit, h, *naive
	if loaded != nil {
		notes, err := restore(&cmd.settings, loaded, set)
		if err != nil {
			return nil, err
		}
		cmd.notes = notes
	}
	if cmd.epochs == 0 && e.train && !set["save"] {
		// Settings of training that nothing uses (with -save they are
		// recorded in the model, for the run that resumes it).
		ignored := []string{"batch", "shuffle", "eta"}
		if e.name == "spiral" {
			ignored = ignored[:2] // -eta picks the spiral run to evaluate
		}
		for _, name := range ignored {
			if !set[name] {
				continue
			}
			cmd.notes = slices.DeleteFunc(cmd.notes, func(n string) bool {
				return strings.HasPrefix(n, "-"+name+" ") // "-eta 0.5 overrides 0.1, the loaded network's" says otherwise
			})
			cmd.notes = append(cmd.notes, fmt.Sprintf("-%s is ignored: -epochs 0 trains nothing, it only evaluates", name))
		}
	}
	if set["save"] {
		if err := checkSavePath(*save, *out); err != nil {
			return usageErr("-save: %v", err)
		}
		cmd.save = *save
	}
	if e.name != "gradcheck" { // gradcheck writes nothing
		if *out == "" {
			return usageErr("-out must name a directory, e.g. -out results")
		}
		if fi, err := os.Stat(*out); err == nil && !fi.IsDir() {
			return usageErr("-out %s is %s, not a directory: choose a directory (it is created if needed)", *out, modeName(fi.Mode()))
		}
	}
	return cmd, nil
}

// restore takes into c the settings a loaded network was trained with for
// every flag not given (set), and returns notes on the flags that override
// them. The shape of the network (-hidden, -naive) is the loaded one's: a
// flag that asks for another is a usage error.
func restore(c *settings, m *loadedModel, set map[string]bool) (notes []string, err error) {
	meta := m.meta
	take := func(flag string, given, saved string, apply func()) {
		switch {
		case !set[flag]:
			apply()
		case given != saved:
			notes = append(notes, fmt.Sprintf("-%s %s overrides %s, the loaded network's", flag, given, saved))
		}
	}
	if meta.Batch > 0 {
		take("batch", strconv.Itoa(c.batch), strconv.Itoa(meta.Batch), func() { c.batch = meta.Batch })
	}
	if meta.Eta > 0 {
		take("eta", etaLabel(c.eta), etaLabel(meta.Eta), func() { c.eta = meta.Eta })
	}
	take("seed", strconv.Itoa(int(c.seed)), strconv.FormatUint(meta.Seed, 10), func() { c.seed = uint32(meta.Seed) })
	take("shuffle", strconv.FormatBool(c.shuffle), strconv.FormatBool(meta.Shuffle), func() { c.shuffle = meta.Shuffle })
	if c.exp != "mnist" {
		return notes, nil
	}
	take("limit", strconv.Itoa(c.limit), strconv.Itoa(meta.Limit), func() { c.limit = meta.Limit })
	hidden, naive := hiddenOf(m.net), pipelineOf(m.net) == "naive"
	if set["hidden"] && fmt.Sprint(c.hidden) != fmt.Sprint(hidden) {
		return nil, &usageError{fmt.Sprintf("-hidden %s does not match the loaded network, whose hidden widths are %s: a loaded network keeps its layers (leave -hidden out)", joinInts(c.hidden), joinInts(hidden))}
	}
	if set["naive"] && c.naive != naive {
		return nil, &usageError{fmt.Sprintf("-naive=%v does not match the loaded network, which is the %s pipeline: a loaded network keeps its layers and loss (leave -naive out)", c.naive, pipelineOf(m.net))}
	}
	c.hidden, c.naive = hidden, naive
	return notes, nil
}

// joinInts writes widths as -hidden takes them: 64,64.
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
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

// flagProblem rewrites an error of the flag package in words that say what
// to do: "-epochs abc: want a whole number, e.g. -epochs 300" rather than
// `invalid value "abc" for flag -epochs: parse error`.
func flagProblem(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		if s, ok := suggestFlag(fs, name); ok {
			return fmt.Sprintf("unknown flag -%s: did you mean -%s?", name, s)
		}
		return fmt.Sprintf("unknown flag -%s", name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Sprintf("-%s needs a value: %s", name, flagExamples[name])
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
			return fmt.Sprintf("-%s %s is out of range: want %s", name, value, flagExamples[name])
		}
		return fmt.Sprintf("-%s %s: want %s", name, value, flagExamples[name])
	}
	return msg
}

// suggestFlag returns the defined flag closest to a misspelt name, if one
// is close enough to suggest.
func suggestFlag(fs *flag.FlagSet, name string) (string, bool) {
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
	return best, best != ""
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
