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
func (c *config) resumeCommand(left int) string {
	args := []string{"-exp", c.exp.name, "-load", c.save, "-save", c.save, "-epochs", strconv.Itoa(left)}
	if c.out != defaultOut {
		args = append(args, "-out", c.out)
	}
	if c.exp.name == "mnist" {
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
func (c *config) stoppedError(before, done, total int) error {
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
func (c *config) runError(in *interrupter, ri *RunInfo, meta ModelMeta, trainErr, writeErr error) error {
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
func (c *config) modelJobs(net *MLP, meta ModelMeta, ri *RunInfo, rng *RandomState, csvs []*csvFile, trainErr error) []outputJob {
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
func (c *config) csvFiles(w io.Writer, meta ModelMeta, files map[string]func(io.Writer) error, order []string) []*csvFile {
	var out []*csvFile
	for _, name := range order {
		f := &csvFile{path: filepath.Join(c.out, name), write: files[name], from: meta.Epochs}
		if want := meta.Files[name]; want != "" {
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
