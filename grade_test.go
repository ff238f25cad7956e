package main

// Grading in points (README, "Grading"):
//
//	make grade                        the code in this directory
//	make grade SUBMISSION=DIR         a student's layers.go, loss.go, mlp.go in DIR
//	go test -run '^TestGrade$' -grade DIR     the same without make
//
// The grader copies itself (every Go and assembly file but the student
// files, go.mod, go.sum, testdata/) into a fresh temporary directory, adds the student files from
// the submission and nothing else (an edited test in the submission changes
// nothing), compiles the tests once (go test -c) and runs every graded test
// in a process of its own with a time limit: a panic, an os.Exit or an
// endless loop fails that one test, and every other test still runs. A part
// earns its points in proportion to its tests that pass. The table names,
// for a part that lost points, its first failure and the pitfall that test
// catches; the last line is the score of the automatically graded parts.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	gradeDir        = flag.String("grade", "", "grade the student files ("+strings.Join(studentFiles, ", ")+") in this directory: go test -run '^TestGrade$' -grade DIR")
	gradeReportFile = flag.String("grade.report", "", "with -grade: write the score table into this file instead of stdout")
	gradeTimeout    = flag.Duration("grade.timeout", 20*time.Second, "with -grade: how long one graded test may take")
)

// gradeOptions says what to grade with what.
type gradeOptions struct {
	grader     string        // directory of the grader: the tests and the provided code
	submission string        // directory with the student files
	timeout    time.Duration // per graded test
	progress   io.Writer     // a line per test as it is run (nil: none)
}

// testResult is the outcome of one graded test.
type testResult struct {
	name    string
	passed  bool
	failure string // the first failure, for a test that did not pass
}

// partResult is the outcome of one part.
type partResult struct {
	part  *labPart
	tests []testResult
}

// passed returns how many of the part's tests passed.
func (r partResult) passed() int {
	n := 0
	for _, t := range r.tests {
		if t.passed {
			n++
		}
	}
	return n
}

// points returns the points the part earns: its points times the share of
// its tests that passed, to two decimals (0 for a part graded by hand).
func (r partResult) points() float64 {
	if r.part.byHand || len(r.tests) == 0 {
		return 0
	}
	return math.Round(100*r.part.points*float64(r.passed())/float64(len(r.tests))) / 100
}

// gradeResult is the outcome of grading one submission.
type gradeResult struct {
	submission string
	others     string // whose code a part's tests use for the other parts
	buildError string // the compiler's complaint when the submission did not build
	parts      []partResult
	pitfalls   map[string]string // test → what it catches
}

// score returns the points earned and the points graded automatically.
func (r *gradeResult) score() (got, auto float64) {
	for _, p := range r.parts {
		if !p.part.byHand {
			got += p.points()
			auto += p.part.points
		}
	}
	return math.Round(100*got) / 100, auto
}

// part returns the result of the part with the given id.
func (r *gradeResult) part(id string) partResult {
	for _, p := range r.parts {
		if p.part.id == id {
			return p
		}
	}
	panic("no part " + id)
}

// gradeSubmission grades the student files of opts.submission with the
// grader in opts.grader.
func gradeSubmission(opts gradeOptions) (*gradeResult, error) {
	sub, err := filepath.Abs(opts.submission)
	if err != nil {
		return nil, err
	}
	for _, f := range studentFiles {
		if fi, err := os.Stat(filepath.Join(sub, f)); err != nil || !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("the submission %s has no file %s: a submission is a directory with %s", opts.submission, f, strings.Join(studentFiles, ", "))
		}
	}
	if opts.timeout <= 0 {
		opts.timeout = 20 * time.Second
	}
	tmp, err := os.MkdirTemp("", "backprop-grade-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "src")
	if err := copyGrader(opts.grader, src); err != nil {
		return nil, err
	}
	for _, f := range studentFiles {
		data, err := os.ReadFile(filepath.Join(sub, f))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(src, f), data, 0o644); err != nil {
			return nil, err
		}
	}
	pitfalls, err := testPitfalls(src)
	if err != nil {
		return nil, err
	}
	rep := &gradeResult{submission: sub, others: other.source, pitfalls: pitfalls}
	for _, p := range labParts {
		rep.parts = append(rep.parts, partResult{part: p})
	}

	bin := filepath.Join(tmp, "grader.test")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		rep.buildError = strings.TrimSpace(strings.ReplaceAll(string(out), src+string(filepath.Separator), ""))
		if rep.buildError == "" {
			rep.buildError = err.Error()
		}
		for i := range rep.parts {
			for _, name := range rep.parts[i].part.tests {
				rep.parts[i].tests = append(rep.parts[i].tests, testResult{name: name, failure: "the submission does not build"})
			}
		}
		return rep, nil
	}
	listCtx, listCancel := context.WithTimeout(context.Background(), time.Minute)
	defer listCancel()
	list, err := exec.CommandContext(listCtx, bin, "-test.list", ".").Output()
	if err != nil {
		return nil, fmt.Errorf("listing the grader's tests: %v", err)
	}
	have := map[string]bool{}
	for _, name := range strings.Fields(string(list)) {
		have[name] = true
	}
	for i := range rep.parts {
		for _, name := range rep.parts[i].part.tests {
			if !have[name] {
				return nil, fmt.Errorf("the grader has no test %s (part %s): the parts table is out of date", name, rep.parts[i].part.id)
			}
			res := runGradedTest(bin, src, name, opts.timeout, nil)
			if opts.progress != nil {
				verdict := "ok"
				if !res.passed {
					verdict = "FAIL: " + res.failure
				}
				fmt.Fprintf(opts.progress, "%-55s %s\n", name, verdict)
			}
			rep.parts[i].tests = append(rep.parts[i].tests, res)
		}
	}
	return rep, nil
}

// copyGrader copies the grader in dir (its Go files but the student files,
// go.mod, go.sum and testdata/) into dst.
func copyGrader(dir, dst string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == "testdata" && e.IsDir():
			if err := copyDir(filepath.Join(dir, name), filepath.Join(dst, name)); err != nil {
				return err
			}
		case e.Type().IsRegular() && ((strings.HasSuffix(name, ".go") || strings.HasSuffix(name, ".s")) && !contains(studentFiles, name) || name == "go.mod" || name == "go.sum"):
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyDir copies the regular files under src into dst.
func copyDir(src, dst string) error {
	return filepath.Walk(src, func(path string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
}

// maxTestOutput is how much of a graded test's output is kept: enough for
// its failures, not a student's print loop.
const maxTestOutput = 1 << 20

// limitedBuffer keeps the first maxTestOutput bytes written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxTestOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// runGradedTest runs one test of the compiled grader bin in a process of
// its own, which the testing package stops after timeout (and this, as a
// last resort, kills a little later). env is added to the environment.
func runGradedTest(bin, dir, name string, timeout time.Duration, env []string) testResult {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^"+regexp.QuoteMeta(name)+"$", "-test.v", "-test.count", "1",
		"-test.timeout", timeout.String())
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	killed := ctx.Err() != nil
	return judge(name, out.String(), err, killed, timeout)
}

// fileLineRE matches the start of a t.Error line: "    layers_test.go:123: ".
var fileLineRE = regexp.MustCompile(`^\s+\S+\.go:\d+: `)

// judge decides, from a graded test's -test.v output and exit status,
// whether it passed, and if not, what its first failure was.
func judge(name, out string, runErr error, killed bool, timeout time.Duration) testResult {
	res := testResult{name: name}
	ran := strings.Contains(out, "=== RUN   "+name+"\n") || strings.Contains(out, "=== RUN   "+name+"\r\n")
	pass := strings.Contains(out, "--- PASS: "+name+" (")
	skip := strings.Contains(out, "--- SKIP: ")
	if runErr == nil && ran && pass && !skip {
		res.passed = true
		return res
	}
	lines := strings.Split(out, "\n")
	first := func(match func(string) bool) string {
		for _, l := range lines {
			if match(l) {
				return strings.TrimSpace(l)
			}
		}
		return ""
	}
	switch {
	case killed:
		res.failure = fmt.Sprintf("killed: the test process did not end within %v", timeout+30*time.Second)
	case strings.Contains(out, "panic: test timed out after"):
		res.failure = fmt.Sprintf("did not finish within %v (an endless loop?)", timeout)
	case skip:
		why := first(fileLineRE.MatchString)
		if why == "" {
			why = first(func(l string) bool { return strings.Contains(l, "--- SKIP: ") })
		}
		res.failure = "skipped, which earns nothing: " + why
	case first(fileLineRE.MatchString) != "":
		res.failure = first(fileLineRE.MatchString)
		if msg := regexp.MustCompile(`^\S+\.go:\d+: `).ReplaceAllString(res.failure, ""); strings.HasPrefix(msg, "panic: ") {
			res.failure = msg // catchPanic's: where it was called says nothing
		}
	case first(func(l string) bool { return strings.HasPrefix(l, "panic: ") }) != "":
		res.failure = first(func(l string) bool { return strings.HasPrefix(l, "panic: ") }) + panicSite(out)
	case !ran:
		res.failure = "the test did not run"
	default:
		status := "exit status 0"
		if runErr != nil {
			status = runErr.Error()
		}
		res.failure = fmt.Sprintf("the test process ended (%s) before the test did", status)
		if tail := strings.TrimSpace(out); tail != "" {
			res.failure += ": " + strings.TrimSpace(tail[strings.LastIndex(tail, "\n")+1:])
		}
	}
	if len(res.failure) > 400 {
		res.failure = res.failure[:400] + "…"
	}
	return res
}

// testPitfalls reads, from the test files in dir, what each test catches:
// its "Pitfall:" comment lines, or else the first sentence of its doc
// comment.
func testPitfalls(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := forEachTestFunc(dir, func(_ string, fn *ast.FuncDecl) {
		if fn.Doc == nil {
			return
		}
		var pits []string
		for _, l := range strings.Split(fn.Doc.Text(), "\n") {
			if p, ok := strings.CutPrefix(strings.TrimSpace(l), "Pitfall:"); ok {
				pits = append(pits, strings.TrimSpace(p))
			}
		}
		if len(pits) == 0 {
			s := strings.Join(strings.Fields(fn.Doc.Text()), " ")
			if i := strings.Index(s, ". "); i >= 0 {
				s = s[:i+1]
			}
			pits = append(pits, s)
		}
		out[fn.Name.Name] = strings.Join(pits, "; ")
	})
	return out, err
}

// forEachTestFunc calls f with every Test or Fuzz function of the test
// files in dir.
func forEachTestFunc(dir string, f func(file string, fn *ast.FuncDecl)) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	fset := token.NewFileSet()
	for _, path := range paths {
		file, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil &&
				(strings.HasPrefix(fn.Name.Name, "Test") || strings.HasPrefix(fn.Name.Name, "Fuzz")) {
				f(filepath.Base(path), fn)
			}
		}
	}
	return nil
}

// formatPoints prints 1.5 as "1.5" and 2 as "2".
func formatPoints(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }

// write prints the score table; its last line is "score: P/Q".
func (r *gradeResult) write(w io.Writer) {
	fmt.Fprintf(w, "Grading %s (%s)\n", r.submission, strings.Join(studentFiles, ", "))
	fmt.Fprintf(w, "Each part's tests take the other parts from %s.\n", r.others)
	if r.buildError != "" {
		lines := strings.Split(r.buildError, "\n")
		if len(lines) > 15 {
			lines = append(lines[:15], "…")
		}
		fmt.Fprintf(w, "\nThe submission does not build, so no test can run:\n    %s\n", strings.Join(lines, "\n    "))
	}
	titleW := len("part")
	for _, p := range r.parts {
		titleW = max(titleW, len([]rune(p.part.assignment+"  "+p.part.title)))
	}
	fmt.Fprintf(w, "\n%-*s  %7s  %s\n", titleW, "part", "tests", "points")
	var byHand []string
	for _, p := range r.parts {
		title := p.part.assignment + "  " + p.part.title
		pad := titleW - len([]rune(title))
		if p.part.byHand {
			fmt.Fprintf(w, "%s%*s  %7s  %s\n", title, pad, "", "-", "graded by hand, of "+formatPoints(p.part.points))
			byHand = append(byHand, fmt.Sprintf("%s, %s points", p.part.assignment, formatPoints(p.part.points)))
			continue
		}
		tests := fmt.Sprintf("%d/%d", p.passed(), len(p.tests))
		fmt.Fprintf(w, "%s%*s  %7s  %s of %s\n", title, pad, "", tests, formatPoints(p.points()), formatPoints(p.part.points))
		for _, t := range p.tests {
			if t.passed {
				continue
			}
			fmt.Fprintf(w, "    first failure: %s: %s\n", t.name, t.failure)
			if !strings.Contains(t.failure, "not implemented: ") && r.buildError == "" && r.pitfalls[t.name] != "" {
				fmt.Fprintf(w, "    it catches: %s\n", r.pitfalls[t.name])
			}
			fmt.Fprintf(w, "    check it with: go test -run '%s'\n", p.part.run)
			break
		}
	}
	got, auto := r.score()
	note := ""
	if len(byHand) > 0 {
		note = " (not counted: " + strings.Join(byHand, ", ") + ", graded by hand)"
	}
	fmt.Fprintf(w, "\nscore: %s/%s%s\n", formatPoints(got), formatPoints(auto), note)
}

// TestGrade checks the parts table against the test files (always) and,
// with -grade DIR, grades the student files in DIR and prints the score
// table (or writes it into the file -grade.report names).
func TestGrade(t *testing.T) {
	checkPartsTable(t)
	if *gradeDir == "" {
		return
	}
	if t.Failed() {
		t.Fatal("the parts table is inconsistent: not grading")
	}
	var progress io.Writer
	if testing.Verbose() {
		progress = os.Stderr
	}
	rep, err := gradeSubmission(gradeOptions{grader: ".", submission: *gradeDir, timeout: *gradeTimeout, progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	rep.write(&b)
	if *gradeReportFile != "" {
		if err := os.WriteFile(*gradeReportFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	os.Stdout.Write(b.Bytes())
}

// checkPartsTable checks that the points add up to the lab's 10, that
// every graded test exists, belongs to one part and matches its pattern
// (and every test matching a part's pattern is graded by it), that every
// test of the grading files is either graded or listed as not scored, and
// that every graded test guards against panics and says what it catches.
func checkPartsTable(t *testing.T) {
	t.Helper()
	sum := 0.0
	ids := map[string]bool{}
	for _, p := range labParts {
		sum += p.points
		if ids[p.id] {
			t.Errorf("two parts are named %q", p.id)
		}
		ids[p.id] = true
		if p.byHand != (len(p.tests) == 0) || p.byHand != (len(p.methods) == 0) || p.byHand != (p.run == "") {
			t.Errorf("part %s: byHand %v with %d tests, %d methods and pattern %q: a part is graded by hand or has all three", p.id, p.byHand, len(p.tests), len(p.methods), p.run)
		}
		if !(p.points > 0) {
			t.Errorf("part %s has %v points", p.id, p.points)
		}
	}
	if sum != labTotal {
		t.Errorf("the parts' points add up to %v; want the lab's %d", sum, labTotal)
	}

	type testFunc struct {
		file string
		fn   *ast.FuncDecl
	}
	funcs := map[string]testFunc{}
	if err := forEachTestFunc(".", func(file string, fn *ast.FuncDecl) { funcs[fn.Name.Name] = testFunc{file, fn} }); err != nil {
		t.Fatal(err)
	}
	graded := map[string]string{}
	for _, p := range labParts {
		if p.byHand {
			continue
		}
		re, err := regexp.Compile(p.run)
		if err != nil {
			t.Errorf("part %s: pattern %q: %v", p.id, p.run, err)
			continue
		}
		listed := map[string]bool{}
		for _, name := range p.tests {
			listed[name] = true
			if q, dup := graded[name]; dup {
				t.Errorf("%s is graded by parts %s and %s; want one", name, q, p.id)
			}
			graded[name] = p.id
			tf, ok := funcs[name]
			if !ok {
				t.Errorf("part %s grades %s, which does not exist", p.id, name)
				continue
			}
			if !re.MatchString(name) {
				t.Errorf("part %s grades %s, which its pattern %q does not select", p.id, name, p.run)
			}
			if tf.fn.Doc == nil {
				t.Errorf("%s (part %s) has no doc comment: the score table could not say what it catches", name, p.id)
			}
			if !guardsPanics(tf.fn) {
				t.Errorf("%s (part %s) does not start with defer catchPanic(t) (nor does its f.Fuzz function)", name, p.id)
			}
		}
		for name := range funcs {
			if re.MatchString(name) && !listed[name] {
				t.Errorf("%s matches part %s's pattern %q but is not in its tests: grade it there or rename it", name, p.id, p.run)
			}
		}
	}
	allGraderFiles := true
	for _, f := range graderOnlyFiles {
		if _, err := os.Stat(f); err != nil {
			allGraderFiles = false
		}
	}
	for name, tf := range funcs {
		_, unscored := unscoredTests[name]
		switch {
		case graded[name] != "" && unscored:
			t.Errorf("%s is graded by part %s and listed as not scored", name, graded[name])
		case graded[name] == "" && !unscored && contains(gradingFiles, tf.file):
			t.Errorf("%s (%s) is neither graded by a part nor listed in unscoredTests", name, tf.file)
		}
	}
	if allGraderFiles {
		for name := range unscoredTests {
			if _, ok := funcs[name]; !ok {
				t.Errorf("unscoredTests lists %s, which does not exist", name)
			}
		}
	}
}

// guardsPanics reports whether a test's first statement is
// `defer catchPanic(t)`, or for a fuzz target, its f.Fuzz function's.
func guardsPanics(fn *ast.FuncDecl) bool {
	isGuard := func(body *ast.BlockStmt) bool {
		if body == nil || len(body.List) == 0 {
			return false
		}
		d, ok := body.List[0].(*ast.DeferStmt)
		if !ok {
			return false
		}
		id, ok := d.Call.Fun.(*ast.Ident)
		return ok && id.Name == "catchPanic"
	}
	if strings.HasPrefix(fn.Name.Name, "Test") {
		return isGuard(fn.Body)
	}
	found := false
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Fuzz" && len(call.Args) == 1 {
				if lit, ok := call.Args[0].(*ast.FuncLit); ok {
					found = isGuard(lit.Body)
				}
			}
		}
		return true
	})
	return found
}

// TestGradeReportFormat checks the table on a made-up report: the columns,
// a failed part's first failure and pitfall, the hand-graded part, and the
// score as the last line; and judge on the outputs a test process leaves.
func TestGradeReportFormat(t *testing.T) {
	rep := &gradeResult{submission: "/sub", others: "the solution's", pitfalls: map[string]string{"TestReLUDeltaHand": "ReLU delta tested on `Y >= 0`"}}
	for _, p := range labParts {
		r := partResult{part: p}
		for _, name := range p.tests {
			res := testResult{name: name, passed: true}
			if name == "TestReLUDeltaHand" {
				res = testResult{name: name, failure: "layers_test.go:300: ReLU Delta[0,1] = 2; want 0"}
			}
			r.tests = append(r.tests, res)
		}
		rep.parts = append(rep.parts, r)
	}
	var b bytes.Buffer
	rep.write(&b)
	out := b.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if want := "score: 7.8/8 (not counted: Assignment 2, 2 points, graded by hand)"; lines[len(lines)-1] != want {
		t.Errorf("last line %q; want %q\n%s", lines[len(lines)-1], want, out)
	}
	for _, want := range []string{
		`(?m)^Assignment 1  ReLULayer: Forward, Delta +4/5  0\.8 of 1$`,
		`(?m)^    first failure: TestReLUDeltaHand: layers_test\.go:300: ReLU Delta\[0,1\] = 2; want 0$`,
		"(?m)^    it catches: ReLU delta tested on `Y >= 0`$",
		`(?m)^    check it with: go test -run '\^TestReLU'$`,
		`(?m)^Assignment 2  written analysis.* +- +graded by hand, of 2$`,
		`(?m)^Assignment 1  LinearLayer: Forward, Delta, Grad +7/7  1\.5 of 1\.5$`,
		`(?m)^part +tests  points$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("table lacks a line matching %s:\n%s", want, out)
		}
	}
	if strings.Count(out, "first failure") != 1 {
		t.Errorf("table has %d first failures; want 1 (the ReLU part's):\n%s", strings.Count(out, "first failure"), out)
	}

	exit1 := errors.New("exit status 1")
	for _, c := range []struct {
		out    string
		err    error
		killed bool
		passed bool
		want   string
	}{
		{"=== RUN   TestX\n--- PASS: TestX (0.00s)\nPASS\n", nil, false, true, ""},
		{"=== RUN   TestX\n    layers_test.go:12: panic: not implemented: ReLULayer.Delta (Assignment 1)\n--- FAIL: TestX (0.00s)\nFAIL\n", exit1, false, false,
			"panic: not implemented: ReLULayer.Delta (Assignment 1)"},
		{"=== RUN   TestX\n    layers_test.go:12: Linear Delta[0,0] = 1; want 2\n    layers_test.go:13: more\n--- FAIL: TestX (0.00s)\nFAIL\n", exit1, false, false,
			"layers_test.go:12: Linear Delta[0,0] = 1; want 2"},
		{"=== RUN   TestX\npanic: test timed out after 2s\n", exit1, false, false, "did not finish within 2s (an endless loop?)"},
		{"=== RUN   TestX\n", errors.New("signal: killed"), true, false, "killed: the test process did not end within 32s"},
		{"=== RUN   TestX\npanic: boom\n\ngoroutine 7 [running]:\nbackprop.(*ReLULayer).Delta(...)\n\t/tmp/x/layers.go:17 +0x1d\n", exit1, false, false, "panic: boom (at layers.go:17)"},
		{"=== RUN   TestX\n--- SKIP: TestX (0.00s)\n    x_test.go:3: no data\nPASS\n", nil, false, false, "skipped, which earns nothing: x_test.go:3: no data"},
		{"=== RUN   TestX\nbye\n", nil, false, false, "the test process ended (exit status 0) before the test did: bye"},
		{"PASS\n", nil, false, false, "the test did not run"},
	} {
		got := judge("TestX", c.out, c.err, c.killed, 2*time.Second)
		if got.passed != c.passed || got.failure != c.want {
			t.Errorf("judge(%q) = passed %v, %q; want %v, %q", c.out, got.passed, got.failure, c.passed, c.want)
		}
	}
}

// The helpers of TestCatchPanicKeepsOtherTestsRunning, which runs them in
// processes of their own (they do nothing otherwise).
const panicHelperEnv = "BACKPROP_GRADE_HELPER"

// TestGradeHelper is run by TestCatchPanicKeepsOtherTestsRunning only.
func TestGradeHelper(t *testing.T) {
	switch os.Getenv(panicHelperEnv) {
	case "":
		t.Skip("a helper of TestCatchPanicKeepsOtherTestsRunning, which runs it")
	case "panic":
		t.Run("bad-size", func(t *testing.T) {
			defer catchPanic(t)
			NewLinearLayer(0, 1, nil, "Linear_bad") // panics in layers.go
		})
		t.Run("not-implemented", func(t *testing.T) {
			defer catchPanic(t)
			panic(notImplemented("ReLULayer.Delta", "Assignment 1"))
		})
		t.Run("after", func(t *testing.T) {})
	case "loop":
		for {
			time.Sleep(time.Millisecond)
		}
	case "exit":
		os.Exit(0)
	}
}

// TestCatchPanicKeepsOtherTestsRunning runs, each in a process of its own
// as the grader does, a test whose code panics (twice: a bad size in
// layers.go and a stub), one that never ends and one that calls os.Exit(0), and
// checks what the grader makes of them: the panics fail their subtests
// with the message and the place, the test after them still runs; the
// endless loop fails after its time; the exit is no pass.
func TestCatchPanicKeepsOtherTestsRunning(t *testing.T) {
	if os.Getenv("BACKPROP_EMULATED") != "" {
		// .ci/run runs the arm64 test binary under qemu-user, which does
		// not run the processes it starts; the native runs check this.
		t.Skip("starts test processes: not under CPU emulation (BACKPROP_EMULATED is set)")
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	res := runGradedTest(bin, ".", "TestGradeHelper", 20*time.Second, []string{panicHelperEnv + "=panic"})
	if res.passed || !regexp.MustCompile(`panic: NewLinearLayer "Linear_bad": sizes must be positive.* \(at layers\.go:\d+\)$`).MatchString(res.failure) {
		t.Errorf("a panic in NewLinearLayer: passed %v, first failure %q; want a failure naming the panic and where in layers.go", res.passed, res.failure)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^TestGradeHelper$", "-test.v")
	cmd.Env = append(os.Environ(), panicHelperEnv+"=panic")
	out, _ := cmd.CombinedOutput()
	for _, want := range []string{"not implemented: ReLULayer.Delta (Assignment 1): write it in layers.go", "--- FAIL: TestGradeHelper/not-implemented", "--- PASS: TestGradeHelper/after"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output of the panicking helper lacks %q:\n%s", want, out)
		}
	}
	if res := runGradedTest(bin, ".", "TestGradeHelper", time.Second, []string{panicHelperEnv + "=loop"}); res.passed || res.failure != "did not finish within 1s (an endless loop?)" {
		t.Errorf("an endless loop: passed %v, %q; want a failure after 1s", res.passed, res.failure)
	}
	if res := runGradedTest(bin, ".", "TestGradeHelper", 20*time.Second, []string{panicHelperEnv + "=exit"}); res.passed {
		t.Errorf("os.Exit(0) in a test: passed; want a failure")
	}
}
