package main

// The files the program opens and leaves behind. Everything it reads (data,
// models, the run records of -out, the CSVs a resumed run continues) must
// be a regular file: a named pipe would block the open forever and a device
// such as /dev/zero never ends, so anything else is refused with its name
// and what it is. Temporary files carry the process id in their names, so
// that a run can remove those a killed run left and a quit at once can
// remove its own.

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// modeName says what a file that is not regular is.
func modeName(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// pathProblem words an error of os.Stat or os.Open on path, the file of
// the kind what (e.g. "model file").
func pathProblem(what, path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s does not exist", what, path)
	case errors.Is(err, syscall.ELOOP):
		return fmt.Errorf("%s %s is a loop of symbolic links: point it at the real file", what, path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s %s cannot be read: permission denied (is its directory searchable and the file readable?)", what, path)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%s %s: a part of the path is not a directory", what, path)
	}
	return fmt.Errorf("%s %s: %w", what, path, err)
}

// openRegular opens path for reading when it is a regular file (symbolic
// links followed) and returns it with its size. The open itself never
// blocks: it is non-blocking, which a regular file ignores and a named pipe
// swapped in after the check would need, and the open file is checked again.
func openRegular(what, path string) (*os.File, int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, pathProblem(what, path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s %s is %s, not a regular file", what, path, modeName(fi.Mode()))
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, pathProblem(what, path, err)
	}
	if got, err := f.Stat(); err != nil || !got.Mode().IsRegular() || !os.SameFile(fi, got) {
		f.Close()
		return nil, 0, fmt.Errorf("%s %s changed while it was opened: try again", what, path)
	}
	return f, fi.Size(), nil
}

// readRegular reads the regular file at path whole, refusing one larger
// than max bytes before reading it (and reading no more than max + 1 bytes
// of a file that grows meanwhile, or of one whose size the system does not
// tell, as those of /proc).
func readRegular(what, path string, max int64) ([]byte, error) {
	f, size, err := openRegular(what, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > max {
		return nil, fmt.Errorf("%s %s has %d bytes, more than the %d this program reads", what, path, size, max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", what, path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s %s has more than the %d bytes this program reads", what, path, max)
	}
	return data, nil
}

// ---------------------------------------------------------------------------
// Temporary files.

// tempMark is in the name of every temporary file this program makes:
// ".NAME" + tempMark + "PID-RANDOM".
const tempMark = ".tmp-"

// inflight holds the temporary files being written now, for a quit at once.
var inflight = struct {
	sync.Mutex
	names map[string]bool
}{names: map[string]bool{}}

// createTemp creates a temporary file for base in dir, named so that
// removeStaleTemps recognises it, and remembers it until forgetTemp.
func createTemp(dir, base string) (*os.File, error) {
	f, err := os.CreateTemp(dir, "."+base+tempMark+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, err
	}
	inflight.Lock()
	inflight.names[f.Name()] = true
	inflight.Unlock()
	return f, nil
}

// forgetTemp is called once a temporary file is renamed or removed.
func forgetTemp(name string) {
	inflight.Lock()
	delete(inflight.names, name)
	inflight.Unlock()
}

// removeInflightTemps removes every temporary file being written: the
// program is about to quit without finishing them.
func removeInflightTemps() {
	inflight.Lock()
	defer inflight.Unlock()
	for name := range inflight.names {
		os.Remove(name)
		delete(inflight.names, name)
	}
}

// removeStaleTemps removes the temporary files that earlier runs of this
// program left in dir (killed while writing, e.g. by kill -9): those whose
// process is gone, or whose process id is this one's (a container restarts
// its process ids; this run has written nothing yet when it calls this). A
// concurrent run's files stay. It returns the names removed.
func removeStaleTemps(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		pid, ok := tempPID(e.Name())
		if !ok || !e.Type().IsRegular() || (pid != os.Getpid() && processAlive(pid)) {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil {
			removed = append(removed, e.Name())
		}
	}
	return removed
}

// tempPID returns the process id in the name of one of this program's
// temporary files.
func tempPID(name string) (int, bool) {
	i := strings.LastIndex(name, tempMark)
	if !strings.HasPrefix(name, ".") || i < 2 {
		return 0, false
	}
	pid, rnd, ok := strings.Cut(name[i+len(tempMark):], "-")
	n, err := strconv.Atoi(pid)
	if !ok || err != nil || n <= 0 || rnd == "" || strings.Trim(rnd, "0123456789") != "" {
		return 0, false
	}
	return n, true
}

// processAlive reports whether a process with this id exists (signal 0
// checks without sending anything).
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
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

// sameEntry reports whether paths a and b name the same directory entry:
// the same file when both exist (a hard link, another spelling on a
// case-insensitive system), else the same name in the same directory,
// whatever the spelling of the path to it (., .., symbolic links, bind
// mounts: the directories are compared by identity).
func sameEntry(a, b string) bool {
	if fa, err := os.Lstat(a); err == nil {
		if fb, err := os.Lstat(b); err == nil && os.SameFile(fa, fb) {
			return true
		}
	}
	return filepath.Base(a) == filepath.Base(b) && sameDir(filepath.Dir(a), filepath.Dir(b))
}

// sameDir reports whether a and b are the same directory: by identity when
// both exist, else by their absolute, cleaned paths.
func sameDir(a, b string) bool {
	da, errA := os.Stat(a)
	db, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(da, db)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
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
