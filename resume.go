package main

// Resuming: a stopped run says the one command that continues it, -load
// restores the settings the saved network was trained with, and the
// resumed run's files read as those of one run without the stop.
//
// Every CSV a run writes is recorded in the saved model by its SHA-256. A
// run that resumes from the model keeps the earlier epochs' rows of each
// CSV in -out that is still the file recorded (and only then: another
// run's file, or one changed since, is written afresh, and the run says
// so). With -shuffle the model also holds the generator's state after the
// last epoch, so that the resumed run draws the permutations the
// uninterrupted run would have drawn.

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// progName is how the resume command names the program: as it was started
// (main sets it), "go run ." for a binary that go run built and will delete.
var progName = "backprop"

// goRun is how the program is named when go run started it.
const goRun = "go run ."

// commandName returns the name to print for a program started as arg0:
// its path as typed, or "go run ." for a binary that go run built.
func commandName(arg0 string) string {
	if builtByGoRun(arg0, goCache()) {
		return goRun
	}
	return arg0
}

// builtByGoRun reports whether arg0 is a binary that go run built: go run
// links the program as $WORK/b001/exe/NAME, where $WORK is a directory
// go-build<digits> in the temporary directory (os.TempDir, or GOTMPDIR),
// and deletes it when the program ends; a Go that keeps what go run builds
// keeps it in the build cache, cache.
func builtByGoRun(arg0, cache string) bool {
	exe := filepath.Dir(arg0)
	work := filepath.Base(filepath.Dir(filepath.Dir(exe)))
	if filepath.Base(exe) == "exe" && strings.HasPrefix(work, "go-build") && strings.Trim(work[len("go-build"):], "0123456789") == "" {
		return true
	}
	if cache == "" || !filepath.IsAbs(arg0) {
		return false
	}
	rel, err := filepath.Rel(cache, arg0)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// goCache is Go's build cache directory: GOCACHE, else go-build in the
// user's cache directory, as the go command has it ("": none).
func goCache() string {
	if c := os.Getenv("GOCACHE"); c != "" {
		if c == "off" || !filepath.IsAbs(c) {
			return ""
		}
		return c
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "go-build")
	}
	return ""
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// resumeCommand is the command line that continues this run for the
// epochs left, from the network it saved: the settings that shaped the run
// come back from the model, the rest (where to write, what to show) is
// given again.
func (c settings) resumeCommand(left int) string {
	args := []string{"-exp", c.exp, "-load", c.save, "-save", c.save, "-epochs", strconv.Itoa(left)}
	if c.out != defaultOut {
		args = append(args, "-out", c.out)
	}
	if c.exp == "mnist" {
		if d := mnistDir(c.dataDir); d != defaultDataDir {
			args = append(args, "-data", d)
		}
	}
	if c.quiet {
		args = append(args, "-q")
	}
	if !c.plot {
		args = append(args, "-plot=false")
	}
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	prog := progName // as typed: "my bin/bp" is one word
	if prog != goRun {
		prog = shellQuote(prog)
	}
	return prog + " " + strings.Join(args, " ")
}

// stoppedError is the error of a run that a signal stopped after done of
// its total epochs, a network that had trained before epochs before it.
func (c *runState) stoppedError(before, done, total int) error {
	// The network's epoch, as the CSV numbers it; this run's count too
	// when it continued an earlier one.
	where := fmt.Sprintf("after epoch %d of %d", before+done, before+total)
	if before > 0 {
		where = fmt.Sprintf("after epoch %d of %d (this run's %d of %d)", before+done, before+total, done, total)
	}
	switch {
	case c.save == "":
		return fmt.Errorf("%w %s; to be able to resume, run with -save FILE", errInterrupted, where)
	case !c.saved:
		return fmt.Errorf("%w %s; the network could not be saved to %s (see above), so this run cannot be resumed", errInterrupted, where, c.save)
	}
	return fmt.Errorf("%w %s; resume with: %s", errInterrupted, where, c.resumeCommand(total-done))
}

// runError is how a run of an experiment that saves models ends: stopped
// by a signal (with the command that resumes it), reached by one after
// training, diverged, or with files that could not be written; nil when
// none of these happened. meta is the loaded network's (its epochs come
// before this run's).
func (c *runState) runError(in *interrupter, ri *RunInfo, meta ModelMeta, trainErr, writeErr error) error {
	var errs []error
	switch {
	case ri.Stopped:
		errs = append(errs, c.stoppedError(meta.Epochs, ri.Last().Epoch-meta.Epochs, c.epochs))
	case in.signaled() != nil:
		errs = append(errs, fmt.Errorf("%w after training had finished: every epoch was trained", errInterrupted))
	}
	return errors.Join(append(errs, trainErr, writeErr)...)
}

// modelJobs is the job that saves the network, the first of a run's
// outputs: none without -save, and none for a network that diverged, which
// the run says: its weights are not finite (JSON cannot hold them) or, when
// the step that failed was not applied, those of the middle of an epoch,
// which no resumed run could continue as one run would.
func (c *runState) modelJobs(net *MLP, meta ModelMeta, ri *RunInfo, rng *RandomState, csvs []*csvFile, trainErr error) []outputJob {
	if c.save == "" {
		return nil
	}
	if trainErr != nil {
		fmt.Fprintf(c.stdout, "the network diverged (in the middle of an epoch, or to non-finite weights): it is not saved to %s\n", c.save)
		return nil
	}
	sums := map[string]string{}
	for _, f := range csvs {
		if sum, err := f.sum(); err == nil { // else its write fails too, and says why
			sums[filepath.Base(f.path)] = sum
		}
	}
	return []outputJob{c.saveJob(net, c.savedMeta(meta, net, ri, rng, sums))}
}

// ---------------------------------------------------------------------------
// The network: new or restored, saved first.

// loadedModel is the network of -load, read before any work (parseFlags).
type loadedModel struct {
	net  *MLP
	meta ModelMeta
}

// startNet returns the network an experiment trains: the loaded one,
// checked to fit data of nInputs inputs and nClasses classes, or else a new
// one from newNet (which draws from rng). meta describes the network's
// past (zero epochs for a new one). A loaded network that shuffled hands
// its generator's state to rng.
func (c *runState) startNet(exp string, newNet func() *MLP, rng *RandomState, nInputs, nClasses int) (*MLP, ModelMeta, error) {
	if c.loaded == nil {
		net := newNet()
		meta := ModelMeta{Experiment: exp}
		for _, l := range net.Layers {
			if ll, ok := l.(*LinearLayer); ok {
				meta.InitMeanAbsW = append(meta.InitMeanAbsW, ll.W.MeanAbs())
			}
		}
		return net, meta, nil
	}
	net, meta := c.loaded.net, c.loaded.meta
	if err := CheckModelFits(net, nInputs, nClasses); err != nil {
		return nil, meta, fmt.Errorf("-load %s: %v (saved by experiment %q; this is -exp %s)", c.load, err, meta.Experiment, exp)
	}
	if meta.Epochs > maxEpochs-c.epochs {
		return nil, meta, fmt.Errorf("-load %s: the network has trained %d epochs, and %d more would pass the %d a network may have", c.load, meta.Epochs, c.epochs, maxEpochs)
	}
	if meta.Experiment != exp {
		fmt.Fprintf(c.stdout, "note: %s was saved by experiment %q, this is %q\n", c.load, meta.Experiment, exp)
	}
	if c.shuffle {
		if meta.RNG != nil && meta.Shuffle && uint64(c.seed) == meta.Seed {
			meta.RNG.restore(rng)
		} else {
			fmt.Fprintf(c.stdout, "note: the loaded network's run did not shuffle with seed %d: the shuffling starts afresh from that seed\n", c.seed)
		}
	}
	return net, meta, nil
}

// continueRunInfo numbers the epochs of a resumed network's run info, and
// of the divergence that ended its training (trainErr), from the loaded
// network's, so that its CSV and its reports read as a continuation: one
// epoch, one number. (Its weight amplitudes continue when Train gets
// meta.InitMeanAbsW as TrainConfig.WeightAmpRef.)
func continueRunInfo(ri *RunInfo, meta ModelMeta, trainErr error) {
	for i := range ri.Epochs {
		ri.Epochs[i].Epoch += meta.Epochs
	}
	var de *DivergenceError
	if errors.As(trainErr, &de) {
		de.Epoch += meta.Epochs
	}
}

// savedMeta is meta brought up to date by this run: its finished epochs
// (ri), its settings, the generator's state when it shuffled, the
// checksums of the CSVs it writes (sums), whether it was stopped.
func (c *runState) savedMeta(meta ModelMeta, net *MLP, ri *RunInfo, rng *RandomState, sums map[string]string) ModelMeta {
	trained := len(ri.Epochs) - 1 // the first record is the starting network
	meta.Epochs += trained
	meta.Batch, meta.Eta, meta.Seed, meta.Shuffle = c.batch, c.eta, uint64(c.seed), c.shuffle
	if c.exp == "mnist" {
		meta.Limit, meta.Hidden, meta.Pipeline = c.limit, hiddenOf(net), pipelineOf(net)
	}
	meta.RNG = nil
	if c.shuffle {
		meta.RNG = rngStateOf(rng)
	}
	meta.Files = sums
	meta.Stopped, meta.Note = ri.Stopped, ""
	if ri.Stopped {
		meta.Note = fmt.Sprintf("stopped by a signal after epoch %d, %d epochs before the end of its run", meta.Epochs, c.epochs-trained)
	}
	if trained > 0 {
		meta.History = append(meta.History, ModelRun{Epochs: trained, Batch: c.batch, Eta: c.eta, Seed: uint64(c.seed), Shuffle: c.shuffle, Limit: meta.Limit})
	}
	return meta
}

// saveJob is the output job that writes net to c.save with meta.
func (c *runState) saveJob(net *MLP, meta ModelMeta) outputJob {
	return outputJob{name: c.save, write: func() error {
		if err := SaveModel(c.save, net, meta); err != nil {
			return err
		}
		c.saved = true
		fmt.Fprintf(c.stdout, "saved the network after epoch %d to %s\n", meta.Epochs, c.save)
		return nil
	}}
}

// CheckModelFits reports whether a network takes nInputs inputs and gives
// nClasses outputs, e.g. before a model saved by the XOR experiment is
// trained on MNIST.
func CheckModelFits(net *MLP, nInputs, nClasses int) error {
	if net.NInputs != nInputs {
		return fmt.Errorf("the model takes %d inputs, but the data has %d: it was made for another data set", net.NInputs, nInputs)
	}
	width := net.NInputs
	for _, l := range net.Layers {
		if s, ok := l.(sizedLayer); ok {
			_, width = s.Dims()
		}
	}
	if width != nClasses {
		return fmt.Errorf("the model has %d outputs, but the data has %d classes: it was made for another data set", width, nClasses)
	}
	for _, l := range net.OutputLayers {
		if s, ok := l.(sizedLayer); ok {
			_, width = s.Dims()
		}
	}
	if width != nClasses {
		return fmt.Errorf("the model's output layers give %d values, but the data has %d classes", width, nClasses)
	}
	return nil
}

// ---------------------------------------------------------------------------
// The generator's state.

// rngState is a RandomState as the model file holds it.
type rngState struct {
	Key   []uint32 `json:"key"` // the Mersenne Twister's 624 words
	Pos   int      `json:"pos"` // the next word to temper (624: twist first)
	Gauss *float64 `json:"gauss,omitempty"`
}

func rngStateOf(r *RandomState) *rngState {
	s := &rngState{Key: append([]uint32(nil), r.key[:]...), Pos: r.pos}
	if r.hasGauss {
		g := r.gauss
		s.Gauss = &g
	}
	return s
}

// restore puts the state into r.
func (s *rngState) restore(r *RandomState) {
	copy(r.key[:], s.Key)
	r.pos = s.Pos
	r.hasGauss = s.Gauss != nil
	if s.Gauss != nil {
		r.gauss = *s.Gauss
	}
}

func (s *rngState) check() error {
	if len(s.Key) != mtN || s.Pos < 0 || s.Pos > mtN {
		return fmt.Errorf("meta rng has %d key words and position %d, want %d words and a position from 0 to %d", len(s.Key), s.Pos, mtN, mtN)
	}
	return nil
}

// ---------------------------------------------------------------------------
// CSVs that continue.

// csvFile is a CSV a run writes: write gives its whole content for this
// run (a header line, then a row per epoch, the epoch first). When keep is
// set, the rows of epochs before from of the file now at path (the one the
// loaded network's runs wrote) come between the header and this run's rows.
type csvFile struct {
	path  string
	write func(w io.Writer) error
	keep  bool
	from  int
}

// csvFiles returns the run's CSV files, each kept when the model records
// it, and tells (to w) about those that are not the recorded file.
func (c *runState) csvFiles(w io.Writer, meta ModelMeta, files []csvWriter) []*csvFile {
	var out []*csvFile
	for _, cw := range files {
		f := &csvFile{path: filepath.Join(c.out, cw.name), write: cw.write, from: meta.Epochs}
		if want := meta.Files[cw.name]; want != "" {
			if got, err := fileSHA256(f.path); err == nil && got == want {
				f.keep = true
			} else {
				fmt.Fprintf(w, "note: %s is not the file the loaded network's run wrote (missing or changed): it starts at epoch %d\n", f.path, meta.Epochs)
			}
		}
		out = append(out, f)
	}
	return out
}

// writeTo writes the file's content to w.
func (f *csvFile) writeTo(w io.Writer) error {
	bw := bufio.NewWriter(w)
	h := &afterHeader{w: bw}
	if f.keep {
		h.insert = func() error { return copyRowsBefore(bw, f.path, f.from) }
	}
	if err := f.write(h); err != nil {
		return err
	}
	if h.err != nil {
		return h.err
	}
	return bw.Flush()
}

// sum is the SHA-256 of the file's content, recorded in the model.
func (f *csvFile) sum() (string, error) {
	h := sha256.New()
	if err := f.writeTo(h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// afterHeader passes writes through to w, calling insert right after the
// first line.
type afterHeader struct {
	w      io.Writer
	insert func() error
	done   bool
	err    error
}

func (a *afterHeader) Write(p []byte) (int, error) {
	if a.done || a.insert == nil {
		return a.w.Write(p)
	}
	i := strings.IndexByte(string(p), '\n')
	if i < 0 {
		return a.w.Write(p)
	}
	if _, err := a.w.Write(p[:i+1]); err != nil {
		return 0, err
	}
	a.done = true
	if a.err = a.insert(); a.err != nil {
		return 0, a.err
	}
	n, err := a.w.Write(p[i+1:])
	return i + 1 + n, err
}

// copyRowsBefore copies the rows of the CSV at path whose epoch (the first
// field) is below from, without its header.
func copyRowsBefore(w io.Writer, path string, from int) error {
	f, _, err := openRegular("CSV file", path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		epoch, _, _ := strings.Cut(sc.Text(), ",")
		if n, err := strconv.Atoi(epoch); err != nil || n >= from {
			break
		}
		if _, err := fmt.Fprintln(w, sc.Text()); err != nil {
			return err
		}
	}
	return sc.Err()
}

// fileSHA256 returns the hex SHA-256 of the regular file at path.
func fileSHA256(path string) (string, error) {
	f, _, err := openRegular("file", path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
