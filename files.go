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
// concurrent run's files stay.
func removeStaleTemps(dir string) {
	entries, _ := os.ReadDir(dir) // an unreadable dir: nothing to remove
	for _, e := range entries {
		pid, ok := tempPID(e.Name())
		if !ok || !e.Type().IsRegular() || (pid != os.Getpid() && processAlive(pid)) {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
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
