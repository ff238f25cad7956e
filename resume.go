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
	"bytes"
	"crypto/sha256"
	"encoding/csv"
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
	if cache, ok := goCache(); builtByGoRun(arg0, cache, ok) {
		return goRun
	}
	return arg0
}

// builtByGoRun reports whether arg0 is a binary that go run built: go run
// links the program as $WORK/b001/exe/NAME, where $WORK is a directory
// go-build<digits> in the temporary directory (os.TempDir, or GOTMPDIR),
// and deletes it when the program ends; a Go that keeps what go run builds
// keeps it in the build cache, cache (when haveCache).
func builtByGoRun(arg0, cache string, haveCache bool) bool {
	exe := filepath.Dir(arg0)
	work := filepath.Base(filepath.Dir(filepath.Dir(exe)))
	if filepath.Base(exe) == "exe" && strings.HasPrefix(work, "go-build") && strings.Trim(work[len("go-build"):], "0123456789") == "" {
		return true
	}
	if !haveCache || !filepath.IsAbs(arg0) {
		return false
	}
	rel, err := filepath.Rel(cache, arg0)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// goCache is Go's build cache directory: GOCACHE, else go-build in the
// user's cache directory, as the go command has it; ok is false when
// there is none (GOCACHE=off, or no cache directory).
func goCache() (dir string, ok bool) {
	if c := os.Getenv("GOCACHE"); c != "" {
		if c == "off" || !filepath.IsAbs(c) {
			return "", false
		}
		return c, true
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "go-build"), true
	}
	return "", false
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

// ---------------------------------------------------------------------------
// The network: new or restored, saved first.

// loadedModel is the network of -load, read before any work (parseFlags).
type loadedModel struct {
	net  *MLP
	meta ModelMeta
}

// continueRunInfo numbers the epochs of a resumed network's run info, and
// of the divergence that ended its training (trainErr), from the loaded
// network's, so that its CSV and its reports read as a continuation: one
// epoch, one number. (Its weight amplitudes continue when Train gets
// meta.InitMeanAbsW as trainWatch.WeightAmpRef.)
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
func (c settings) savedMeta(meta ModelMeta, net *MLP, ri *RunInfo, rng *RandomState, sums map[string]string) ModelMeta {
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
// Files that must not be the model.

// runFiles returns the files a run of c writes or reads besides the model:
// its result files in -out (the page reads every run record there too,
// see pageRecords; isRunFile catches those) and, for MNIST, the four data
// files under every name they are found by.
func runFiles(c settings) []string {
	var names []string
	switch c.exp {
	case "xor":
		names = []string{"xor.csv", "xor_confusion.csv", "xor_map.svg", "xor_confusion.svg", "xor_acc.svg", "xor_loss.svg", "xor_weights.svg", "xor" + runRecordSuffix}
	case "mnist":
		name := "mnist"
		if c.naive {
			name = "mnist_naive"
		}
		for _, suffix := range []string{".csv", "_weights.csv", "_margin.csv", "_confusion.csv", "_acc.svg", "_loss.svg", "_weights.svg", "_confusion.svg", "_digits.png", runRecordSuffix} {
			names = append(names, name+suffix)
		}
	}
	names = append(names, "index.html")
	var paths []string
	for _, n := range names {
		paths = append(paths, filepath.Join(c.out, n))
	}
	if c.exp == "mnist" {
		dir := mnistDir(c.dataDir)
		for _, f := range mnistFiles {
			// train-images-idx3-ubyte.gz, raw or gzip-compressed, and the
			// dotted names of the common copies (train-images.idx3-ubyte).
			raw := strings.TrimSuffix(f.Name, ".gz")
			dotted := strings.Replace(raw, "-idx", ".idx", 1)
			for _, n := range []string{raw, raw + ".gz", dotted, dotted + ".gz"} {
				paths = append(paths, filepath.Join(dir, n))
			}
		}
	}
	return paths
}

// checkSaveCollision refuses a -save path that is one of the files the run
// writes or reads (runFiles, or any run record in -out, which the page
// reads): the model and that file would overwrite each other, and the
// resume command would point at a lost model.
func checkSaveCollision(c settings) error {
	if sameDir(filepath.Dir(c.save), c.out) && strings.HasSuffix(filepath.Base(c.save), runRecordSuffix) {
		return fmt.Errorf("%s is where run records go (the results page reads every *%s in -out %s): choose another name, e.g. -save %s",
			c.save, runRecordSuffix, c.out, filepath.Join(c.out, c.exp+".json"))
	}
	for _, p := range runFiles(c) {
		if sameEntry(c.save, p) {
			same := ""
			if filepath.Clean(c.save) != filepath.Clean(p) {
				same = " (it is " + p + ")"
			}
			return fmt.Errorf("%s is one of the files this run writes or reads%s: the model and that file would overwrite each other; choose another name, e.g. -save %s",
				c.save, same, filepath.Join(c.out, c.exp+".json"))
		}
	}
	return nil
}

// checkSavePath checks a -save FILE before any work: it must not be a
// directory or another file that is not regular, and its directory must
// exist, unless it is the -out directory out, which is created. (That a
// file can be created there is checkSaveWritable's, once out exists.)
func checkSavePath(path, out string) error {
	if path == "" {
		return errors.New("needs a file name, e.g. -save xor.json")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory: give a file name, e.g. -save %s", path, filepath.Join(path, "model.json"))
	} else if err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s exists and is %s, not a regular file", path, modeName(fi.Mode()))
	}
	dir := filepath.Dir(path)
	if filepath.Clean(dir) == filepath.Clean(out) {
		return nil
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("the directory %s of %s does not exist: create it, or save into -out's directory", dir, path)
	case err != nil:
		return pathProblem("directory", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory, so %s cannot be written", dir, path)
	}
	return nil
}

// checkSaveWritable checks that a file can be created next to path, so
// that a -save into a read-only directory fails before training, not after,
// and removes the temporary files that killed runs left there (a -save
// directory other than -out is one this run writes to as well).
func checkSaveWritable(path string) error {
	if err := checkWritable(filepath.Dir(path)); err != nil {
		return fmt.Errorf("cannot save the model to %s: %w (choose another -save)", path, err)
	}
	removeStaleTemps(filepath.Dir(path))
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

// csvWriter is one CSV of a run: its name in -out and what writes its whole
// content for this run (a header line, then a row per epoch, the epoch first).
type csvWriter struct {
	name  string
	write func(io.Writer) error
}

// csvFile is a CSV a run writes at path. When keep is set, the rows of
// epochs before from of the file now at path (the one the loaded network's
// runs wrote) come between the header and this run's rows.
type csvFile struct {
	csvWriter
	path string
	keep bool
	from int
}

// csvFiles returns the run's CSV files in dir, each kept when the model
// records it, and tells (to w) about those that are not the recorded file.
func csvFiles(w io.Writer, dir string, meta ModelMeta, files []csvWriter) []*csvFile {
	var out []*csvFile
	for _, cw := range files {
		f := &csvFile{csvWriter: cw, path: filepath.Join(dir, cw.name), from: meta.Epochs}
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

// csvJobs write the CSV files.
func csvJobs(out *outputs, files []*csvFile) []outputJob {
	var jobs []outputJob
	for _, f := range files {
		jobs = append(jobs, fileJob(out, f.name, f.writeTo))
	}
	return jobs
}

// writeTo writes the file's content to w: this run's, with the kept rows
// spliced in after its header line.
func (f *csvFile) writeTo(w io.Writer) error {
	var run bytes.Buffer
	if err := f.write(&run); err != nil {
		return err
	}
	bw, rest := bufio.NewWriter(w), run.Bytes()
	if f.keep {
		i := bytes.IndexByte(rest, '\n') + 1 // 0: no header line, nothing to keep
		bw.Write(rest[:i])                   // an error sticks in bw until Flush
		if i > 0 {
			if err := copyRowsBefore(bw, f.path, f.from); err != nil {
				return err
			}
		}
		rest = rest[i:]
	}
	bw.Write(rest)
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

// copyRowsBefore copies the rows of the CSV at path whose epoch (the first
// field) is below from, without its header: read with encoding/csv and
// written again as writeCSV writes them, so the rows of a file a run wrote
// come out as they went in.
func copyRowsBefore(w io.Writer, path string, from int) error {
	f, _, err := openRegular("CSV file", path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1 // the header and the rows need not agree: the rows are copied, not interpreted
	r.ReuseRecord = true
	cw := csv.NewWriter(w)
	for first := true; ; first = false {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if first {
			continue
		}
		if n, err := strconv.Atoi(rec[0]); err != nil || n >= from {
			break
		}
		cw.Write(rec) // an error sticks in cw until Flush
	}
	cw.Flush()
	return cw.Error()
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
