package main

// Writing result files: every file appears whole or not at all, and the
// files of a run are written one after the other, each whatever happened
// to the ones before it.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// prepareOutDir creates dir if needed, checks that files can be written
// there, so that a bad -out fails before any training starts, and removes
// the temporary files that killed runs left there.
func prepareOutDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory %s: %w (choose another with -out)", dir, err)
	}
	if err := checkWritable(dir); err != nil {
		return fmt.Errorf("output directory %s is not writable: %w (choose another with -out)", dir, err)
	}
	removeStaleTemps(dir)
	return nil
}

// checkWritable creates and removes a file in dir.
func checkWritable(dir string) error {
	f, err := createTemp(dir, "backprop-probe")
	if err != nil {
		return err
	}
	f.Close()
	os.Remove(f.Name())
	forgetTemp(f.Name())
	return nil
}

// writeFileAtomic writes path through write: into a temporary file in the
// same directory, which is renamed over path only when everything was
// written and synced. A failure leaves any earlier file at path untouched.
func writeFileAtomic(path string, write func(w io.Writer) error) (err error) {
	f, err := createTemp(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
		forgetTemp(tmp)
	}()
	if beforeWriteHook != nil {
		beforeWriteHook(path)
	}
	if err = write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// beforeWriteHook, when set, is called before each file is written. Only
// the signal tests set it (in the test binary), to hold the program in its
// writing phase while they send signals.
var beforeWriteHook func(path string)

// outputs writes the files of one run into dir and remembers them, so that
// the run can list what it wrote.
type outputs struct {
	dir     string
	written []string
}

// write writes dir/name atomically through f.
func (o *outputs) write(name string, f func(io.Writer) error) error {
	p := filepath.Join(o.dir, name)
	if err := writeFileAtomic(p, f); err != nil {
		return err
	}
	o.written = append(o.written, p)
	return nil
}

// list prints the files written, one a line.
func (o *outputs) list(w io.Writer) {
	if len(o.written) == 0 {
		return
	}
	if len(o.written) == 1 {
		fmt.Fprintln(w, "wrote 1 file:")
	} else {
		fmt.Fprintf(w, "wrote %d files:\n", len(o.written))
	}
	for _, p := range o.written {
		fmt.Fprintf(w, "  %s\n", p)
	}
}

// outputJob is one file (or a group written together, as a run record and
// the page) of the end of a run.
type outputJob struct {
	name  string // as the user knows it, e.g. the path
	write func() error
}

// writeOutputs runs the jobs in order. A failing job does not stop the
// others; the error tells every failure. While this runs, the interrupter
// knows which files are still to come (for the message of a quit at once).
func writeOutputs(in *interrupter, jobs []outputJob) error {
	var errs []string
	for i, j := range jobs {
		names := make([]string, 0, len(jobs)-i)
		for _, r := range jobs[i:] {
			names = append(names, r.name)
		}
		in.setPending(names)
		if err := j.write(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	in.setPending(nil)
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s (every other file was written)", errs[0])
	}
	return fmt.Errorf("%d files could not be written (every other file was):\n  %s", len(errs), strings.Join(errs, "\n  "))
}

// fileJob writes the file name into out's directory through f.
func fileJob(out *outputs, name string, f func(io.Writer) error) outputJob {
	return outputJob{name: filepath.Join(out.dir, name), write: func() error { return out.write(name, f) }}
}

// outWriter is the run's standard output or error. The first write that
// fails (a pipe whose reader has gone, a closed terminal, a full disk) is
// remembered and everything after it is dropped: what cannot be shown
// never stops a run, which goes on to save the network and write its
// files. The interrupter writes from a goroutine of its own: hence the lock.
type outWriter struct {
	w   io.Writer
	mu  sync.Mutex
	err error // the first write error
}

func (o *outWriter) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		if _, err := o.w.Write(p); err != nil {
			o.err = err
		}
	}
	return len(p), nil
}

// failed returns the first write error, or nil.
func (o *outWriter) failed() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// lostOutput is the exit code of a run that ended with code when some of
// its output could not be written: a run that otherwise succeeded fails
// (exit 1), since what it printed is incomplete; a stop by signal or a
// failure keeps its code. It says so on stderr, when stderr still works.
func lostOutput(code int, stdout, stderr *outWriter) int {
	err := stdout.failed()
	if err == nil {
		if stderr.failed() == nil || code != 0 {
			return code
		}
		return 1 // stderr is gone: nothing to say it on
	}
	fmt.Fprintf(stderr, "backprop: standard output could not be written (%v): the rest of it was dropped, and the run went on to its end regardless\n", err)
	if code == 0 {
		return 1
	}
	return code
}
