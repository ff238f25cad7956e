package main

// Writing result files: every file appears whole or not at all.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// prepareOutDir creates dir if needed and checks that files can be written
// there, so that a bad -out fails before any training starts.
func prepareOutDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory %s: %w (choose another with -out)", dir, err)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w (choose another with -out)", dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// writeFileAtomic writes path through write: into a temporary file in the
// same directory, which is renamed over path only when everything was
// written and synced. A failure leaves any earlier file at path untouched.
func writeFileAtomic(path string, write func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
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
