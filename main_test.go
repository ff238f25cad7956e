package main

// Tests of the command line (go test -run Flags): every bad value is a
// usage error (exit 2) that names the problem and points at -h, before any
// work is done; -h documents every flag; the XOR run writes its CSV.

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runMain runs the program with args and returns its exit code, stdout
// and stderr.
func runMain(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// -h documents every flag and every experiment and exits 0.
func TestFlagsHelp(t *testing.T) {
	code, _, stderr := runMain("-h")
	if code != 0 {
		t.Errorf("run -h: exit code %d; want 0", code)
	}
	for _, f := range []string{"-exp", "-epochs", "-batch", "-eta", "-seed", "-out", "-q"} {
		if !regexp.MustCompile(`(?m)^\s+` + f + `\b`).MatchString(stderr) {
			t.Errorf("run -h: the usage does not document %s:\n%s", f, stderr)
		}
	}
	for _, e := range experiments {
		if !strings.Contains(stderr, e.name) {
			t.Errorf("run -h: the usage does not list the experiment %s", e.name)
		}
	}
}

// The XOR run trains, prints the predictions table and writes xor.csv
// (header + epochs 0..300).
func TestFlagsXORRun(t *testing.T) {
	needLab(t, labPlain)
	dir := t.TempDir()
	code, stdout, stderr := runMain("-exp", "xor", "-epochs", "300", "-q", "-out", dir)
	if code != 0 {
		t.Fatalf("run -exp xor -epochs 300: exit code %d; want 0\nstderr: %s", code, stderr)
	}
	for _, want := range []string{"p(class 0)", "p(class 1)", "predicted", "true", "training accuracy 100%"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout does not contain %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "epoch  ") || strings.Contains(stdout, "✗") {
		t.Errorf("stdout has progress lines despite -q, or a wrong prediction:\n%s", stdout)
	}
	data, err := os.ReadFile(filepath.Join(dir, "xor.csv"))
	if err != nil {
		t.Fatalf("xor.csv: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if want := "epoch,loss_train,acc_train,loss_test,acc_test,wamp_Linear_1,wamp_Linear_OUT"; lines[0] != want {
		t.Errorf("xor.csv header = %q; want %q", lines[0], want)
	}
	if len(lines) != 1+301 {
		t.Errorf("xor.csv has %d lines; want a header and 301 rows (epochs 0..300)", len(lines))
	}
	if !strings.HasPrefix(lines[len(lines)-1], "300,") {
		t.Errorf("xor.csv last row = %q; want epoch 300", lines[len(lines)-1])
	}
}

// An output directory that cannot be created is a usage error (exit 2, as
// the README says) that names the directory, found before training.
func TestFlagsBadOutputDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(file, "sub")
	code, stdout, stderr := runMain("-exp", "xor", "-q", "-out", bad)
	if code != 2 || !strings.Contains(stderr, bad) || !strings.Contains(stderr, "choose another with -out") {
		t.Errorf("run -out %s (under a file): exit code %d, stderr %q; want 2, the directory named and what to do", bad, code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q; want nothing (the directory is checked before training)", stdout)
	}
}
