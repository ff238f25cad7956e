package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mustRun runs the program with args, stops the test unless it exits with
// 0, and returns its stdout.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runMain(args...)
	if code != 0 {
		t.Fatalf("run %q: exit code %d\n%s", args, code, stderr)
	}
	return stdout
}

// TestFlagsUserMistakes walks the flags as a new user would get them wrong: each
// mistake must give its exit code (2 usage, 1 failure) and a message that
// says what is wrong and what to do, never a Go stack trace; a usage error
// does no work and is one message and a line pointing at -h.
func TestFlagsUserMistakes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.txt")
	empty := filepath.Join(dir, "empty.json")
	notModel := filepath.Join(dir, "xor.csv")
	fused := filepath.Join(dir, "fused.json")
	os.WriteFile(file, []byte("hello\n"), 0o644)
	os.WriteFile(empty, nil, 0o644)
	os.WriteFile(notModel, []byte("epoch,loss_train\n0,1\n"), 0o644)
	if err := SaveModel(fused, testNets(t)["fused"], ModelMeta{Experiment: "mnist"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	// A model whose epochs are near 2⁶³ (a sum of epochs would overflow),
	// and one a few epochs short of the most a network may have.
	huge, full := filepath.Join(dir, "huge.json"), filepath.Join(dir, "full.json")
	os.WriteFile(huge, []byte(strings.Replace(validModel, `"epochs": 3`, `"epochs": 9223372036854775000`, 1)), 0o644)
	os.WriteFile(full, []byte(strings.Replace(validModel, `"epochs": 3`, `"epochs": 2147483000`, 1)), 0o644)

	cases := []struct {
		name string
		args []string
		code int
		want []string // in stderr
	}{
		{"help", []string{"-h"}, 0, []string{"Usage:", "-save FILE", "gradcheck"}},
		{"non-number epochs", []string{"-epochs", "abc"}, 2, []string{`-epochs "abc": want a whole number, e.g. -epochs 300`}},
		{"fractional epochs", []string{"-epochs", "2.5"}, 2, []string{"-epochs", "whole number"}},
		{"negative epochs", []string{"-epochs", "-3"}, 2, []string{"-epochs must be from 0 to 2147483647, got -3"}},
		{"epochs past int32", []string{"-epochs", "2147483648"}, 2, []string{"-epochs must be from 0 to 2147483647"}},
		{"huge batch", []string{"-batch", "99999999999999999999"}, 2, []string{"out of range"}},
		{"zero batch", []string{"-batch", "0"}, 2, []string{"-batch must be at least 1"}},
		{"negative batch", []string{"-batch", "-4"}, 2, []string{"-batch must be at least 1"}},
		{"eta text", []string{"-eta", "fast"}, 2, []string{`-eta "fast": want a number`}},
		{"eta zero", []string{"-eta", "0"}, 2, []string{"-eta must be a positive finite number"}},
		{"eta NaN", []string{"-eta", "NaN"}, 2, []string{"-eta must be a positive finite number"}},
		{"eta negative", []string{"-eta", "-1"}, 2, []string{"-eta must be a positive finite number"}},
		{"eta Inf", []string{"-eta", "Inf"}, 2, []string{"-eta must be a positive finite number"}},
		{"eta -Inf", []string{"-eta", "-Inf"}, 2, []string{"-eta must be a positive finite number"}},
		{"negative seed", []string{"-seed", "-1"}, 2, []string{"-seed -1", "numpy's RandomState", "from 0 to 4294967295"}},
		{"seed of 2^32", []string{"-seed", "4294967296"}, 2, []string{"-seed 4294967296", "from 0 to 4294967295"}},
		{"seed beyond int64", []string{"-seed", "99999999999999999999"}, 2, []string{"-seed \"99999999999999999999\" is out of range", "from 0 to 4294967295"}},
		{"misspelt flag", []string{"-epoch", "5"}, 2, []string{"unknown flag -epoch: did you mean -epochs?"}},
		{"capitalised flag", []string{"-Eta", "0.5"}, 2, []string{"did you mean -eta?"}},
		{"unknown flag", []string{"-verbose"}, 2, []string{"unknown flag -verbose", "-h"}},
		{"missing value", []string{"-out"}, 2, []string{"-out needs a value"}},
		{"missing save value", []string{"-save"}, 2, []string{"-save needs a value: a file name"}},
		{"bool with a word", []string{"-q", "yes"}, 2, []string{`unexpected argument "yes"`, "-q=false"}},
		{"experiment as argument", []string{"xor"}, 2, []string{`unexpected argument "xor"`, "-exp xor"}},
		{"argument after a flag", []string{"-exp", "xor", "spiral"}, 2, []string{`unexpected argument "spiral"`}},
		{"unknown experiment", []string{"-exp", "XOR"}, 2, []string{`unknown experiment "XOR"`, "xor, spiral"}},
		{"empty out", []string{"-out", ""}, 2, []string{"-out must name a directory"}},
		{"out is a file", []string{"-out", file}, 2, []string{file + " is a file, not a directory"}},
		{"out under a file", []string{"-out", filepath.Join(file, "sub")}, 2, []string{"choose another with -out"}},
		{"gradcheck with epochs", []string{"-exp", "gradcheck", "-epochs", "5"}, 2, []string{"-epochs does not apply to -exp gradcheck"}},
		{"gradcheck with save", []string{"-exp", "gradcheck", "-save", "x.json"}, 2, []string{"-save is not available for -exp gradcheck"}},
		// Refused before the file is looked at (it does not exist here).
		{"spiral with load", []string{"-exp", "spiral", "-load", "no-such-model.json"}, 2, []string{"-load is not available for -exp spiral", "xor, mnist"}},
		{"tol for xor", []string{"-tol", "1e-3"}, 2, []string{"-tol applies only to -exp gradcheck"}},
		{"tol zero", []string{"-exp", "gradcheck", "-tol", "0"}, 2, []string{"-tol must be a positive finite number"}},
		{"load missing", []string{"-load", filepath.Join(dir, "nope.json")}, 2, []string{"nope.json does not exist", "-save FILE"}},
		{"load empty name", []string{"-load", ""}, 2, []string{"-load needs the name of a file"}},
		{"load a directory", []string{"-load", dir}, 2, []string{dir + " is a directory"}},
		{"load an empty file", []string{"-load", empty, "-out", out}, 1, []string{empty, "the file is empty"}},
		{"load a CSV", []string{"-load", notModel, "-out", out}, 1, []string{notModel, "not valid JSON at line 1"}},
		{"load another net", []string{"-exp", "xor", "-load", fused, "-out", out}, 1, []string{fused, "takes 5 inputs, but the data has 2", `saved by experiment "mnist"`}},
		{"load epochs near 2^63", []string{"-load", huge, "-out", out}, 1, []string{huge, "meta epochs is 9223372036854775000, want 0 to 2147483647"}},
		{"load epochs near 2^63 for mnist", []string{"-exp", "mnist", "-load", huge, "-out", out}, 1, []string{huge, "meta epochs is 9223372036854775000"}},
		{"load epochs that would pass the most", []string{"-load", full, "-epochs", "1000", "-out", out}, 1, []string{"trained 2147483000 epochs, and 1000 more would pass the 2147483647"}},
		{"save into a directory", []string{"-save", dir}, 2, []string{dir + " is a directory: give a file name"}},
		{"save into a missing directory", []string{"-save", filepath.Join(dir, "no", "x.json")}, 2, []string{"does not exist: create it"}},
		{"save under a file", []string{"-save", filepath.Join(file, "x.json")}, 2, []string{"not a directory"}},
		{"zero width", []string{"-exp", "mnist", "-hidden", "64,0"}, 2, []string{`-hidden "64,0": width 2 is "0": want a positive integer`}},
		{"empty width", []string{"-exp", "mnist", "-hidden", "64,,64"}, 2, []string{`width 2 is "": want a positive integer`}},
		{"width text", []string{"-exp", "mnist", "-hidden", "a"}, 2, []string{`width 1 is "a": want a positive integer`}},
		{"no widths", []string{"-exp", "mnist", "-hidden", ""}, 2, []string{"want at least one width, e.g. 64,64"}},
		{"negative limit", []string{"-exp", "mnist", "-limit", "-1"}, 2, []string{"-limit must be 0 (all) or more, got -1"}},
		{"empty data", []string{"-exp", "mnist", "-data", ""}, 2, []string{"-data must name a directory"}},
		{"naive for xor", []string{"-exp", "xor", "-naive"}, 2, []string{"-naive applies to -exp mnist only"}},
		{"limit for xor", []string{"-exp", "xor", "-limit", "10"}, 2, []string{"-limit applies to -exp mnist only"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(c.args, &stdout, &stderr)
			if code != c.code {
				t.Errorf("run(%q): exit code %d; want %d\nstderr:\n%s", c.args, code, c.code, &stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("run(%q): stderr does not say %q:\n%s", c.args, w, &stderr)
				}
			}
			if s := stderr.String(); strings.Contains(s, "goroutine ") || strings.Contains(s, "panic") {
				t.Errorf("run(%q): a stack trace reached the user:\n%s", c.args, s)
			}
			if c.code == 2 && stdout.Len() > 0 {
				t.Errorf("run(%q): a usage error did work, stdout:\n%s", c.args, &stdout)
			}
			// A usage error is its message and a line pointing at -h, not the whole usage.
			if lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n"); c.code == 2 &&
				(len(lines) != 2 || lines[1] != "(backprop -h lists every flag and experiment)" || strings.Contains(stderr.String(), "Usage:")) {
				t.Errorf("run(%q): stderr is not the message and a line pointing at -h:\n%s", c.args, &stderr)
			}
		})
	}
}

// TestPermissionErrors needs a directory the program may not write to.
// Root may write anywhere, so as root (as in the lab's containers) there is
// nothing to test and it is skipped; CI, which runs as root, therefore runs
// it a second time as the user nobody and fails unless it passed there
// (.ci/run).
func TestPermissionErrors(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, which ignores file permissions (.ci/run runs this test as nobody)")
	}
	dir := t.TempDir()
	ro := filepath.Join(dir, "readonly")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret.json")
	if err := SaveModel(secret, NewXORNet(newRNG(1)), ModelMeta{}); err != nil {
		t.Fatal(err)
	}
	os.Chmod(secret, 0)
	// An MNIST directory without the search permission: its files are
	// listed but cannot be opened.
	data := syntheticMNISTDir(t, 20)
	if err := os.Chmod(data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(data, 0o755) })
	out := filepath.Join(dir, "out")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-epochs", "1", "-out", filepath.Join(ro, "out")}, 2, "choose another with -out"},
		{[]string{"-epochs", "1", "-out", ro}, 2, "not writable"},
		{[]string{"-epochs", "1", "-out", out, "-save", filepath.Join(ro, "x.json")}, 2, "choose another -save"},
		{[]string{"-exp", "mnist", "-data", data, "-epochs", "1", "-out", out, "-save", filepath.Join(ro, "x.json")}, 2, "choose another -save"},
		{[]string{"-epochs", "1", "-out", out, "-load", secret}, 1, "permission denied"},
		{[]string{"-exp", "mnist", "-data", data, "-epochs", "1", "-out", out}, 1, "cannot be searched (permission denied)"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("run(%q): exit code %d, stderr %q; want %d and %q", c.args, code, &stderr, c.code, c.want)
		}
		if strings.Contains(stdout.String(), "epoch") {
			t.Errorf("run(%q) trained before it failed:\n%s", c.args, &stdout)
		}
	}
}

// TestXORLoadEvaluatesOnly: -load with -epochs 0 prints the row the saved
// run's CSV ended with and leaves that CSV alone.
func TestXORLoadEvaluatesOnly(t *testing.T) {
	needLab(t, labPlain)
	dir := t.TempDir()
	model := filepath.Join(dir, "xor.json")
	mustRun(t, "-epochs", "300", "-q", "-out", dir, "-save", model)
	csv, _ := os.ReadFile(filepath.Join(dir, "xor.csv"))
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	lastRow := lines[len(lines)-1]

	stdout := mustRun(t, "-epochs", "0", "-q", "-out", dir, "-load", model)
	if !strings.Contains(stdout, "\n"+lastRow+"\n") {
		t.Errorf("-load -epochs 0 does not print the last row of the saved run, %q:\n%s", lastRow, stdout)
	}
	if !strings.Contains(stdout, "after 300 epochs") {
		t.Errorf("output does not say the network was trained for 300 epochs:\n%s", stdout)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "xor.csv")); !bytes.Equal(after, csv) {
		t.Errorf("evaluating a loaded network changed xor.csv")
	}
}

// TestFlagsEveryErrorHasAHint: every flag that -h lists, given without its
// value (or a yes/no flag given a word), is a usage error whose message
// says what the flag wants.
func TestFlagsEveryErrorHasAHint(t *testing.T) {
	var usage bytes.Buffer
	if _, err := parseFlags([]string{"-h"}, &usage); err == nil {
		t.Fatal("-h: no flag.ErrHelp")
	}
	flags := regexp.MustCompile(`(?m)^  -(\w+)( \w+)?`).FindAllStringSubmatch(usage.String(), -1)
	if len(flags) < 17 {
		t.Fatalf("-h lists %d flags; want every one:\n%s", len(flags), &usage)
	}
	for _, f := range flags {
		name, isBool := f[1], f[2] == ""
		args, want := []string{"-" + name}, regexp.MustCompile(`^-`+name+` needs a value: \S.*\S$`)
		if isBool {
			args, want = []string{"-" + name + "=maybe"}, regexp.MustCompile(`^-`+name+` "maybe": want nothing: -`+name+`\b.*\)$`)
		}
		_, err := parseFlags(args, io.Discard)
		var ue *usageError
		if !errors.As(err, &ue) || !want.MatchString(err.Error()) {
			t.Errorf("parseFlags(%q): got %v; want a usage error matching %s", args, err, want)
		}
	}
}

// TestOutputFailureSavesTheRest: a result file that cannot be written (here
// a directory stands where xor.csv goes) fails the run with its name, after
// the network was saved and every other file written.
func TestOutputFailureSavesTheRest(t *testing.T) {
	needLab(t, labAll)
	out := t.TempDir()
	os.MkdirAll(filepath.Join(out, "xor.csv", "in the way"), 0o755)
	model := filepath.Join(out, "xor.json")
	code, stdout, stderr := runMain("-epochs", "5", "-q", "-out", out, "-save", model)
	if code != 1 || !strings.Contains(stderr, filepath.Join(out, "xor.csv")) || !strings.Contains(stderr, "(every other file was written)") {
		t.Errorf("exit code %d, stderr %q; want 1 and xor.csv named as the one file not written", code, stderr)
	}
	if _, meta, err := LoadModel(model); err != nil || meta.Epochs != 5 {
		t.Errorf("the model: %v, %d epochs; want it saved after 5 epochs", err, meta.Epochs)
	}
	for _, f := range []string{"xor_confusion.csv", "xor_map.svg", "xor_loss.svg", "index.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil || !strings.Contains(stdout, f) {
			t.Errorf("%s: %v; want it written and listed", f, err)
		}
	}
}

// TestSaveNeverCollides: -save is refused, before any work, when it names
// one of the files the run writes or reads (however the path is spelt:
// through a symbolic link to -out, with ./ in it, as another run's record
// that the page reads, as a data file), also when -load decides the
// experiment; an -epochs 0 run that evaluates a loaded network saves its
// copy. And the list of the run's files is the list of what runs write.
func TestSaveNeverCollides(t *testing.T) {
	needLab(t, labAll)
	dir := t.TempDir()
	out := filepath.Join(dir, "o")
	model := filepath.Join(dir, "m.json")
	mustRun(t, "-epochs", "20", "-q", "-out", out, "-save", model)
	csv, _ := os.ReadFile(filepath.Join(out, "xor.csv"))
	link := filepath.Join(dir, "link")
	if err := os.Symlink(out, link); err != nil {
		t.Fatal(err)
	}
	data := syntheticMNISTDir(t, 30)
	for _, args := range [][]string{
		{"-out", out, "-save", filepath.Join(out, "xor.csv")},
		{"-out", out, "-save", filepath.Join(out, "index.html")},
		{"-out", out, "-save", filepath.Join(out, "xor.run.json")},
		{"-out", out, "-save", filepath.Join(out, "spiral.run.json")},
		{"-out", out, "-save", filepath.Join(link, ".", "xor.csv")},
		{"-out", link, "-save", filepath.Join(out, "xor_map.svg")},
		{"-out", out, "-load", model, "-save", filepath.Join(out, "xor_confusion.csv")},
		{"-out", out, "-load", model, "-epochs", "0", "-save", filepath.Join(out, "xor.csv")},
		{"-exp", "mnist", "-data", data, "-out", out, "-save", filepath.Join(out, "mnist_digits.png")},
		{"-exp", "mnist", "-data", data, "-naive", "-out", out, "-save", filepath.Join(out, "mnist_naive_margin.csv")},
		{"-exp", "mnist", "-data", data, "-out", out, "-save", filepath.Join(data, "train-images-idx3-ubyte.gz")},
		{"-exp", "mnist", "-data", data, "-out", out, "-save", filepath.Join(data, "t10k-labels.idx1-ubyte")},
	} {
		code, stdout, stderr := runMain(args...)
		if code != 2 || !strings.Contains(stderr, "is one of the files this run writes or reads") && !strings.Contains(stderr, "is where run records go") {
			t.Errorf("run %q: exit code %d, stderr %q; want 2 and that the model would overwrite a file of the run", args, code, stderr)
		}
		if stdout != "" {
			t.Errorf("run %q did work before refusing -save:\n%s", args, stdout)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(out, "xor.csv")); !bytes.Equal(after, csv) {
		t.Errorf("a refused -save changed xor.csv")
	}

	// -epochs 0 evaluates the loaded network and saves the copy.
	cp := filepath.Join(dir, "copy.json")
	mustRun(t, "-out", out, "-load", model, "-epochs", "0", "-save", cp)
	net, meta, err := LoadModel(cp)
	net0, meta0, _ := LoadModel(model)
	if err != nil || meta.Epochs != meta0.Epochs || fmt.Sprint(meta.Files) != fmt.Sprint(meta0.Files) {
		t.Fatalf("the copy saved by -epochs 0: %v, epochs %d, files %v; want the loaded network, %d epochs, files %v", err, meta.Epochs, meta.Files, meta0.Epochs, meta0.Files)
	}
	checkSameParams(t, "the copy saved by -epochs 0", net, net0)

	// Every file a run writes is in runFiles.
	for _, args := range [][]string{
		{"-out", filepath.Join(dir, "x"), "-epochs", "2", "-q"},
		{"-exp", "mnist", "-data", data, "-out", filepath.Join(dir, "m"), "-epochs", "1", "-q"},
		{"-exp", "mnist", "-naive", "-data", data, "-out", filepath.Join(dir, "n"), "-epochs", "1", "-q"},
	} {
		cfg, err := parseFlags(args, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		mustRun(t, args...)
		listed := map[string]bool{}
		for _, p := range runFiles(cfg.settings) {
			listed[p] = true
		}
		entries, _ := os.ReadDir(cfg.out)
		for _, e := range entries {
			if !listed[filepath.Join(cfg.out, e.Name())] {
				t.Errorf("run %q wrote %s, which runFiles does not list: -save could overwrite it", args, e.Name())
			}
		}
	}
}

// TestIgnoredFlagsAreNamed: a flag that an experiment would ignore is
// refused (gradcheck writes no file: -out, -plot) or named as ignored
// (training settings with -epochs 0, which only evaluates).
func TestIgnoredFlagsAreNamed(t *testing.T) {
	for _, args := range [][]string{{"-exp", "gradcheck", "-out", "x"}, {"-exp", "gradcheck", "-plot=false"}} {
		code, stdout, stderr := runMain(args...)
		if code != 2 || !strings.Contains(stderr, "does not apply to -exp gradcheck, which writes no file") || stdout != "" {
			t.Errorf("run %q: exit code %d, stderr %q; want 2 and that gradcheck writes no file", args, code, stderr)
		}
	}
	needLab(t, labPlain) // the rest trains XOR
	dir := t.TempDir()
	model := filepath.Join(dir, "m.json")
	mustRun(t, "-epochs", "3", "-q", "-out", dir, "-save", model)
	for _, c := range []struct {
		args    []string
		ignored []string
	}{
		{[]string{"-epochs", "0", "-eta", "0.5", "-batch", "2"}, []string{"-eta", "-batch"}},
		{[]string{"-epochs", "0", "-load", model, "-eta", "0.5", "-shuffle"}, []string{"-eta", "-shuffle"}},
		{[]string{"-exp", "spiral", "-epochs", "0", "-eta", "1", "-batch", "30"}, []string{"-batch"}},
	} {
		stdout := mustRun(t, append(c.args, "-q", "-plot=false", "-out", dir)...)
		for _, f := range c.ignored {
			if !strings.Contains(stdout, "note: "+f+" is ignored: -epochs 0 trains nothing") {
				t.Errorf("run %q does not say that %s is ignored:\n%s", c.args, f, stdout)
			}
			if strings.Contains(stdout, "note: "+f+" 0.5 overrides") {
				t.Errorf("run %q says that the ignored %s overrides the loaded network's:\n%s", c.args, f, stdout)
			}
		}
		if c.args[1] == "spiral" && strings.Contains(stdout, "-eta is ignored") {
			t.Errorf("run %q calls -eta ignored; it picks the spiral run:\n%s", c.args, stdout)
		}
	}
}
