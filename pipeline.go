package main

// The run pipeline: every experiment's run goes through the steps of
// main.go's sketch, in that order. An experiment brings only what is its
// own (xor.go, mnistrun.go: a trainPlan; spiral.go: a comparePlan, the
// variant for several trainings side by side); the pipeline does the rest:
//
//	interrupts → data → network (new or restored, fit check) → memory
//	check → header → Train (progress, stop) → run info continued → the
//	model saved first → CSVs (continued), pictures and page → summary →
//	resume line and run error
//
// The helpers of these steps live below it, on plain values: resume.go
// (the network restored and saved, the CSVs continued, the files -save must
// not be, the resume line), interrupt.go (signals), output.go (each file
// whole).

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// runState is one run in the pipeline: its settings and what the run holds
// besides them.
type runState struct {
	settings
	stdout io.Writer    // progress and results
	stderr io.Writer    // interrupt messages
	loaded *loadedModel // the network of -load, read while parsing (nil: none)
	notes  []string     // what the run says first (flags that override a loaded network's settings)
	// stop, when set (by tests), replaces the signal handling of the
	// interrupter: training stops when it returns true.
	stop  func() bool
	clock func() time.Time // tests set it to pin the progress lines (trainWatch.clock)
	intr  *interrupter     // the run's, from startInterrupts
	saved bool             // the network was saved to -save
}

// run carries the run through do (an experiment's entry in main.go's
// table) and ends it: the signals are released, and a signal that came
// after the run had said all it had to say still stops it. It returns the
// run's error and the signal that stopped it (nil: none, or a test's stop).
func (r *runState) run(do func(*runState) error) (os.Signal, error) {
	if err := r.prepareFiles(); err != nil {
		return nil, err
	}
	for _, n := range r.notes {
		fmt.Fprintf(r.stdout, "note: %s\n", n)
	}
	err := do(r)
	if r.intr == nil {
		return nil, err
	}
	r.intr.release()
	if err == nil && r.intr.signaled() != nil {
		err = fmt.Errorf("%w after the run had finished: every file is written", errInterrupted)
	}
	return r.intr.signaled(), err
}

// prepareFiles makes the output directory (when the experiment writes
// files) and checks that -save can be written, before any work; a problem
// is the command line's, a *usageError.
func (r *runState) prepareFiles() error {
	if r.writes {
		if err := prepareOutDir(r.out); err != nil {
			return &usageError{err.Error()}
		}
	}
	if r.save == "" {
		return nil
	}
	if err := checkSaveCollision(r.settings); err != nil {
		return &usageError{"-save: " + err.Error()}
	}
	if err := checkSaveWritable(r.save); err != nil {
		return &usageError{"-save: " + err.Error()}
	}
	return nil
}

// startInterrupts starts catching signals for the run (unless a test set
// r.stop: then only r.stop stops training); run releases them.
func (r *runState) startInterrupts() *interrupter {
	r.intr = newInterrupter(r.stderr, r.save, r.stop)
	return r.intr
}

// trainConfig is the lab's settings of one training with eta, shuffled by
// rng, watched with progress lines (none with -q) every every epochs,
// labelled, and the interrupter's stop.
func (r *runState) trainConfig(d *trainData, eta float64, rng *RandomState, every int, label string) TrainConfig {
	w := trainWatch{ProgressEvery: every, Label: label, Stop: r.intr.stop, clock: r.clock}
	if !r.quiet {
		w.Progress = r.stdout
	}
	return TrainConfig{BatchSize: r.batch, Epochs: r.epochs, Eta: eta, Shuffle: r.shuffle, Rand: rng,
		XTest: d.XTest, TTest: d.TTest, Watch: w}
}

// newRNG returns the generator every experiment draws from, as the lab's
// np.random.RandomState(seed): the same seed gives the lab's numbers.
func newRNG(seed uint32) *RandomState { return NewRandomState(seed) }

// trainData is a training experiment's data: the training set and the test
// set (nil when there is none).
type trainData struct {
	X, XTest RowSource
	T, TTest *Matrix
}

// trained is what training left, handed to the experiment's steps after it.
type trained struct {
	net      *MLP
	ri       *RunInfo         // epochs numbered on from the loaded network's
	diverged *DivergenceError // what ended training (nil: it did not diverge)
	conf     *Confusion       // on the test set, or the training set when there is none
	notes    []string         // what report said, for the page
}

// trainPlan is what a training experiment that takes -load and -save brings
// to the pipeline (xor.go, mnistrun.go): its data, its network, its lines,
// files and pictures. Optional steps are nil.
type trainPlan struct {
	name string // the model's experiment and the files' prefix: xor, mnist, mnist_naive
	// data reads the data set, saying what it read. It weighs what the run
	// will hold before reading when the data are the bulk of it (MNIST).
	data   func(w io.Writer) (*trainData, error)
	newNet func(rng NormalSource) *MLP // a new network, its weights drawn from rng
	// weigh checks what training net (a loaded one may have any widths)
	// will hold, before it starts.
	weigh  func(net *MLP) error
	header func(w io.Writer) // the lines before the network
	every  int               // a progress line every every epochs (0: each)
	// watch adds the experiment's watchers of training (TrainLogits,
	// AfterEpoch) to w, whose FirstEpoch is set.
	watch func(net *MLP, w *trainWatch)
	// evaluated prints what a run that only evaluates a loaded network
	// (-epochs 0) shows; the run then writes no file but -save's copy.
	// nil: such a run writes its files as any other.
	evaluated func(w io.Writer, t *trained)
	csvs      func(t *trained) []csvWriter // the CSVs, per epoch, in order
	// report prints the figures before the files are written and returns
	// the notes of the page; summary prints after the files are written.
	report   func(w io.Writer, t *trained) []string
	pictures func(out *outputs, t *trained) []outputJob
	summary  func(w io.Writer, t *trained)
}

// errStoppedBeforeTraining is the error of a run stopped while it loaded;
// errSignaledAfterTraining that of one a signal reached after its last
// epoch, which it did not cut short.
var (
	errStoppedBeforeTraining = fmt.Errorf("%w before training started: nothing was trained or written", errInterrupted)
	errSignaledAfterTraining = fmt.Errorf("%w after training had finished: every epoch was trained", errInterrupted)
)

// train carries a training experiment through the pipeline.
func (r *runState) train(p *trainPlan) error {
	// Interrupts, data, network (new or restored), memory, header.
	in := r.startInterrupts()
	d, err := p.data(r.stdout)
	if err != nil {
		return err
	}
	rng := newRNG(r.seed)
	net, meta, err := r.startNet(p.name, p.newNet, rng, d)
	if err != nil {
		return err
	}
	if p.weigh != nil {
		if err := p.weigh(net); err != nil {
			return err
		}
	}
	p.header(r.stdout)
	if r.loaded != nil {
		fmt.Fprintf(r.stdout, "continuing from %s, trained for %d epochs\n", r.load, meta.Epochs)
	}
	fmt.Fprint(r.stdout, net)
	if in.stopped.Load() {
		return errStoppedBeforeTraining
	}

	// Train: progress lines, interrupts, the experiment's watchers.
	cfg := r.trainConfig(d, r.eta, rng, p.every, "")
	cfg.Watch.WeightAmpRef, cfg.Watch.FirstEpoch = meta.InitMeanAbsW, meta.Epochs
	if p.watch != nil {
		p.watch(net, &cfg.Watch)
	}
	in.setPhase(phaseTraining)
	ri, trainErr := Train(net, d.X, d.T, cfg)
	if ri == nil {
		return trainErr
	}
	t := &trained{net: net, ri: ri}
	if trainErr != nil && !errors.As(trainErr, &t.diverged) {
		return trainErr
	}
	continueRunInfo(ri, meta, trainErr) // a resumed network's epochs come first
	last := ri.Last()
	if p.evaluated != nil && r.loaded != nil && r.epochs == 0 {
		// Only evaluating a saved network: show the row its run's CSV
		// ended with, and leave that CSV alone.
		fmt.Fprintln(r.stdout)
		writeCSV(r.stdout, ri.CSVHeader(), ri.CSVRow(last))
		fmt.Fprintln(r.stdout)
		p.evaluated(r.stdout, t)
		if r.save == "" {
			return nil
		}
		// -save makes a copy: the same network and past, the CSVs it
		// records still those of its run (this one writes none).
		return writeOutputs(in, []outputJob{r.saveJob(net, r.savedMeta(meta, net, ri, rng, meta.Files))})
	}

	// The figures, then the files: the model first, the CSVs (continued),
	// pictures and page.
	out := &outputs{dir: r.out}
	csvs := csvFiles(r.stdout, r.out, meta, p.csvs(t))
	if d.XTest != nil { // the confusion matrix is of the test set, else of the training set
		t.conf = ConfusionOf(net, d.XTest, d.TTest)
	} else {
		t.conf = ConfusionOf(net, d.X, d.T)
	}
	if p.report != nil {
		t.notes = p.report(r.stdout, t)
	}
	jobs := r.modelJobs(net, meta, ri, rng, csvs, trainErr) // the model first
	jobs = append(jobs, csvJobs(out, csvs)...)
	jobs = append(jobs, fileJob(out, p.name+"_confusion.csv", t.conf.WriteCSV))
	if r.plot {
		jobs = append(jobs, p.pictures(out, t)...)
	}
	writeErr := writeOutputs(in, jobs)

	// Summary, resume line and the run's error.
	for _, f := range csvs {
		if f.keep {
			fmt.Fprintf(r.stdout, "%s continues the file of the loaded network's run: epochs 0 to %d\n", f.path, last.Epoch)
		}
	}
	if p.summary != nil {
		p.summary(r.stdout, t)
	}
	out.list(r.stdout)
	return r.runError(in, ri, meta, trainErr, writeErr)
}

// comparePlan is the pipeline's variant for an experiment that compares
// learning rates (spiral.go): one data set, a fresh network trained for
// each rate, side by side. Nothing is loaded or saved, so no CSV continues;
// a stop ends the comparison after the training it cut short.
type comparePlan struct {
	etas []float64
	// data returns the data set, having weighed what every training holds.
	data   func(w io.Writer) (*trainData, error)
	newNet func(rng NormalSource) *MLP
	header func(w io.Writer)
	every  int // a progress line every every epochs
	// judge takes one rate's training (err: its divergence) and returns its
	// files; an error is a bad configuration, which ends the run.
	judge func(out *outputs, eta float64, net *MLP, ri *RunInfo, err error) ([]outputJob, error)
	// files are the comparison's own, after every training; summary prints
	// after the files are written and returns the run's error (every rate
	// diverged), which counts when no signal stopped the run.
	files   func(out *outputs) []outputJob
	summary func(w io.Writer) error
}

// afterEachTraining, when set, is called after each training of a
// comparison. Only tests set it (a signal between two trainings); the
// program leaves it nil.
var afterEachTraining func(in *interrupter)

// compare carries a comparison of learning rates through the pipeline.
func (r *runState) compare(p *comparePlan) error {
	// Interrupts, data (weighed), header.
	in := r.startInterrupts()
	d, err := p.data(r.stdout)
	if err != nil {
		return err
	}
	p.header(r.stdout)
	if in.stopped.Load() {
		return errStoppedBeforeTraining
	}
	// Train a fresh network per rate, each judged and its files queued.
	in.setPhase(phaseTraining)
	out := &outputs{dir: r.out}
	var jobs []outputJob
	var last float64         // the rate trained last
	var stopped *RunInfo     // the training an interrupt cut short
	var notStarted []float64 // the rates after a stop
	for i, eta := range p.etas {
		// A stop in the last epoch of the training before. (Before the
		// first, Train itself stops, so that one rate was started.)
		if i > 0 && in.stopped.Load() {
			notStarted = p.etas[i:]
			break
		}
		rng := newRNG(r.seed)
		net := p.newNet(rng)
		ri, err := Train(net, d.X, d.T, r.trainConfig(d, eta, rng, p.every, "eta="+etaLabel(eta)))
		if ri == nil {
			return err
		}
		j, err := p.judge(out, eta, net, ri, err)
		if err != nil {
			return err
		}
		jobs = append(jobs, j...)
		last = eta
		if ri.Stopped {
			stopped = ri
			break // the remaining rates are not started
		}
		if afterEachTraining != nil {
			afterEachTraining(in)
		}
	}
	// The files, then the summary and the run's error.
	jobs = append(jobs, p.files(out)...)
	writeErr := writeOutputs(in, jobs)
	fmt.Fprintln(r.stdout)
	verdict := p.summary(r.stdout)
	out.list(r.stdout)
	var runErr error
	switch {
	case stopped != nil:
		runErr = fmt.Errorf("%w during eta=%s after epoch %d of %d; the files above hold every finished epoch (the whole experiment takes seconds: run it again to finish)",
			errInterrupted, etaLabel(last), stopped.Last().Epoch, r.epochs)
	case notStarted != nil:
		runErr = fmt.Errorf("%w after eta=%s had finished; eta %s not started (the whole experiment takes seconds: run it again to finish)",
			errInterrupted, etaLabel(last), joinEtas(notStarted))
	case in.signaled() != nil:
		runErr = errSignaledAfterTraining
	default:
		runErr = verdict
	}
	return errors.Join(runErr, writeErr)
}

// ---------------------------------------------------------------------------
// The network, new or restored; the model saved first; the CSVs continued;
// how a run ends.

// startNet returns the network an experiment trains: the loaded one,
// checked to fit the data d, or else a new one from newNet, drawn from rng.
// meta describes the network's past (zero epochs for a new one). A loaded
// network that shuffled hands its generator's state to rng.
func (r *runState) startNet(exp string, newNet func(NormalSource) *MLP, rng *RandomState, d *trainData) (*MLP, ModelMeta, error) {
	if r.loaded == nil {
		net := newNet(rng)
		meta := ModelMeta{Experiment: exp}
		for _, l := range net.Layers {
			if ll, ok := l.(*LinearLayer); ok {
				meta.InitMeanAbsW = append(meta.InitMeanAbsW, ll.W.MeanAbs())
			}
		}
		return net, meta, nil
	}
	net, meta := r.loaded.net, r.loaded.meta
	if err := CheckModelFits(net, d.X.Width(), d.T.Cols); err != nil {
		return nil, meta, fmt.Errorf("-load %s: %v (saved by experiment %q; this is -exp %s)", r.load, err, meta.Experiment, exp)
	}
	if meta.Epochs > maxEpochs-r.epochs {
		return nil, meta, fmt.Errorf("-load %s: the network has trained %d epochs, and %d more would pass the %d a network may have", r.load, meta.Epochs, r.epochs, maxEpochs)
	}
	if meta.Experiment != exp {
		fmt.Fprintf(r.stdout, "note: %s was saved by experiment %q, this is %q\n", r.load, meta.Experiment, exp)
	}
	if r.shuffle {
		if meta.RNG != nil && meta.Shuffle && uint64(r.seed) == meta.Seed {
			meta.RNG.restore(rng)
		} else {
			fmt.Fprintf(r.stdout, "note: the loaded network's run did not shuffle with seed %d: the shuffling starts afresh from that seed\n", r.seed)
		}
	}
	return net, meta, nil
}

// saveJob is the output job that writes net to r.save with meta.
func (r *runState) saveJob(net *MLP, meta ModelMeta) outputJob {
	return outputJob{name: r.save, write: func() error {
		if err := SaveModel(r.save, net, meta); err != nil {
			return err
		}
		r.saved = true
		fmt.Fprintf(r.stdout, "saved the network after epoch %d to %s\n", meta.Epochs, r.save)
		return nil
	}}
}

// stoppedError is the error of a run that a signal stopped after done of
// its total epochs, a network that had trained before epochs before it.
func (r *runState) stoppedError(before, done, total int) error {
	// The network's epoch, as the CSV numbers it; this run's count too
	// when it continued an earlier one.
	where := fmt.Sprintf("after epoch %d of %d", before+done, before+total)
	if before > 0 {
		where = fmt.Sprintf("after epoch %d of %d (this run's %d of %d)", before+done, before+total, done, total)
	}
	switch {
	case r.save == "":
		return fmt.Errorf("%w %s; to be able to resume, run with -save FILE", errInterrupted, where)
	case !r.saved:
		return fmt.Errorf("%w %s; the network could not be saved to %s (see above), so this run cannot be resumed", errInterrupted, where, r.save)
	}
	return fmt.Errorf("%w %s; resume with: %s", errInterrupted, where, r.resumeCommand(total-done))
}

// runError is how a run of an experiment that saves models ends: stopped
// by a signal (with the command that resumes it), reached by one after
// training, diverged, or with files that could not be written; nil when
// none of these happened. meta is the loaded network's (its epochs come
// before this run's).
func (r *runState) runError(in *interrupter, ri *RunInfo, meta ModelMeta, trainErr, writeErr error) error {
	var errs []error
	switch {
	case ri.Stopped:
		errs = append(errs, r.stoppedError(meta.Epochs, ri.Last().Epoch-meta.Epochs, r.epochs))
	case in.signaled() != nil:
		errs = append(errs, errSignaledAfterTraining)
	}
	return errors.Join(append(errs, trainErr, writeErr)...)
}

// modelJobs is the job that saves the network, the first of a run's
// outputs: none without -save, and none for a network that diverged, which
// the run says: its weights are not finite (JSON cannot hold them) or, when
// the step that failed was not applied, those of the middle of an epoch,
// which no resumed run could continue as one run would.
func (r *runState) modelJobs(net *MLP, meta ModelMeta, ri *RunInfo, rng *RandomState, csvs []*csvFile, trainErr error) []outputJob {
	if r.save == "" {
		return nil
	}
	if trainErr != nil {
		fmt.Fprintf(r.stdout, "the network diverged (in the middle of an epoch, or to non-finite weights): it is not saved to %s\n", r.save)
		return nil
	}
	sums := map[string]string{}
	for _, f := range csvs {
		if sum, err := f.sum(); err == nil { // else its write fails too, and says why
			sums[filepath.Base(f.path)] = sum
		}
	}
	return []outputJob{r.saveJob(net, r.savedMeta(meta, net, ri, rng, sums))}
}
