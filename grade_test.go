package main

// Grading in points (README, "Grading"):
//
//	make grade                        the code in this directory
//	make grade SUBMISSION=DIR         a student's layers.go, loss.go, mlp.go in DIR
//	make grade-class SUBMISSIONS=DIR GRADEBOOK=FILE.csv    a class
//	go test -run '^TestGrade$' -grade DIR     the same without make
//
// A submission is first prepared (grade_source_test.go: intake, the rules
// of the source, compilation with the provided code only, stubs for what
// does not compile), then built and run (grade_run_test.go: each method's
// graded tests in a process of their own, verdicts on a channel student code cannot
// write). Each method of a part earns its share of the part's points when
// all its tests pass (parts_test.go). The table names, for a method that
// lost its points, its first failure and a typical cause; the last line is
// the score of the automatically graded parts.

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
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	gradeDir        = flag.String("grade", "", "grade the student files ("+strings.Join(studentFiles, ", ")+") in this directory: go test -run '^TestGrade$' -grade DIR")
	gradeReportFile = flag.String("grade.report", "", "with -grade: write the score table into this file instead of stdout")
	gradeResults    = flag.String("grade.results", "", "with -grade: also write Gradescope's results.json into this file")
	gradeTimeout    = flag.Duration("grade.timeout", defaultGradeTimeout, "how long one method's graded tests may take together (one process)")
	gradeClassDir   = flag.String("grade.class", "", "grade every subdirectory of this directory (one per student): go test -run '^TestGrade$' -grade.class DIR -grade.gradebook FILE.csv")
	gradeGradebook  = flag.String("grade.gradebook", "", "with -grade.class: the gradebook CSV to write")
)

// defaultGradeTimeout is the time limit of the process that runs one
// method's graded tests: the slowest test takes a tenth of a second; 8 s
// leaves room for a loaded machine, and keeps a
// submission that loops in every method within 3 minutes on 2 cores.
const defaultGradeTimeout = 8 * time.Second

// gradeOptions says what to grade with what.
type gradeOptions struct {
	grader     string        // directory of the grader: the tests and the provided code
	submission string        // directory with the student files
	timeout    time.Duration // per method: the limit of the process that runs its graded tests
	progress   io.Writer     // a line per test as it is run (nil: none)
}

// testResult is the outcome of one graded test or subtest.
type testResult struct {
	name     string
	passed   bool
	timedOut bool
	failure  string // the first failure, for a test that did not pass
}

// methodResult is the outcome of one graded method.
type methodResult struct {
	method gradedMethod
	issue  string // why it was graded as a stub (does not compile, file not taken)
	tests  []testResult
}

// passed reports whether the method earns its share: every test passed.
func (m methodResult) passed() bool {
	if m.issue != "" || len(m.tests) == 0 {
		return false
	}
	for _, t := range m.tests {
		if !t.passed {
			return false
		}
	}
	return true
}

// firstFailure is the method's first failed test.
func (m methodResult) firstFailure() (testResult, bool) {
	for _, t := range m.tests {
		if !t.passed {
			return t, true
		}
	}
	return testResult{}, false
}

// partResult is the outcome of one part.
type partResult struct {
	part    *labPart
	methods []methodResult
	notes   []testResult // tests of behaviour the lab does not ask for: no points
}

// testsPassed returns how many of the part's graded tests passed, of how
// many.
func (r partResult) testsPassed() (passed, total int) {
	for _, m := range r.methods {
		for _, t := range m.tests {
			total++
			if t.passed {
				passed++
			}
		}
	}
	return passed, total
}

// points returns the points the part earns: the shares of its methods that
// passed, to two decimals (0 for a part graded by hand).
func (r partResult) points() float64 {
	if r.part.byHand {
		return 0
	}
	got := 0.0
	for _, m := range r.methods {
		if m.passed() {
			got += m.method.points(r.part)
		}
	}
	return math.Round(100*got) / 100
}

// gradeResult is the outcome of grading one submission.
type gradeResult struct {
	submission string
	others     string // whose code a part's tests use for the other parts
	fileIssue  map[string]string
	ignored    []string
	buildError string // the compiler's complaint when the prepared submission did not build
	parts      []partResult
	pitfalls   map[string]string // test → what it catches
	elapsed    time.Duration
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
// grader in opts.grader. An error means it could not be graded at all.
func gradeSubmission(opts gradeOptions) (*gradeResult, error) {
	start := time.Now()
	watchSignals()
	grader, err := filepath.Abs(opts.grader)
	if err != nil {
		return nil, err
	}
	sub, err := filepath.Abs(opts.submission)
	if err != nil {
		return nil, err
	}
	if opts.timeout <= 0 {
		opts.timeout = defaultGradeTimeout
	}
	ps, err := prepare(grader, sub)
	if err != nil {
		return nil, err
	}
	pitfalls, err := testPitfalls(grader)
	if err != nil {
		return nil, err
	}
	rep := &gradeResult{submission: sub, others: other.source, pitfalls: pitfalls, fileIssue: ps.fileIssue}
	if sub != grader {
		rep.ignored = ps.ignored
	}

	binDir, removeBin, err := tempDir("backprop-grade-bin-")
	if err != nil {
		return nil, err
	}
	defer removeBin()
	bin := filepath.Join(binDir, "grader.test")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	rep.buildError, err = buildGraded(grader, ps, bin)
	if err != nil {
		return nil, err
	}
	var results map[string]testResult
	if rep.buildError == "" {
		dir, removeDir, err := scratchDir(grader)
		if err != nil {
			return nil, err
		}
		defer removeDir()
		results = runUnits(bin, dir, ps, opts.timeout, opts.progress)
	}
	for _, p := range labParts {
		pr := partResult{part: p}
		for _, m := range p.graded {
			mr := methodResult{method: m, issue: ps.methodIssue[m.name]}
			for _, u := range m.tests {
				res, ok := results[u]
				switch {
				case rep.buildError != "":
					res = testResult{name: u, failure: "the submission does not build"}
				case !ok:
					res = testResult{name: u, failure: "the test did not run"}
				}
				mr.tests = append(mr.tests, res)
			}
			pr.methods = append(pr.methods, mr)
		}
		for _, u := range p.notes {
			if res, ok := results[u]; ok {
				pr.notes = append(pr.notes, res)
			}
		}
		rep.parts = append(rep.parts, pr)
	}
	rep.elapsed = time.Since(start)
	return rep, nil
}

// copyDir copies the regular files under src into dst, only those keep
// accepts (given each one's path relative to src) when keep is not nil.
func copyDir(src, dst string, keep func(rel string) bool) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil || keep != nil && !keep(rel) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return writeFileIn(dst, rel, data)
	})
}

// writeFileIn writes data to the file rel under dir, making its directories.
func writeFileIn(dir, rel string, data []byte) error {
	path := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
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
		res.failure = fmt.Sprintf("killed: the test process did not end within %v", timeout+10*time.Second)
		res.timedOut = true
	case strings.Contains(out, "panic: test timed out after"):
		res.failure = fmt.Sprintf("did not finish within %v (an endless loop?)", timeout)
		res.timedOut = true
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
	for _, f := range studentFiles {
		if why := r.fileIssue[f]; why != "" {
			fmt.Fprintf(w, "Not taken: %s (its methods are graded as stubs).\n", why)
		}
	}
	if len(r.ignored) > 0 {
		names := r.ignored
		if len(names) > 8 {
			names = append(names[:8:8], fmt.Sprintf("and %d more", len(r.ignored)-8))
		}
		fmt.Fprintf(w, "Ignored (a submission is %s only): %s\n", strings.Join(studentFiles, ", "), strings.Join(names, ", "))
	}
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
		passed, total := p.testsPassed()
		fmt.Fprintf(w, "%s%*s  %7s  %s of %s\n", title, pad, "", fmt.Sprintf("%d/%d", passed, total), formatPoints(p.points()), formatPoints(p.part.points))
		lost := false
		for _, m := range p.methods {
			if m.passed() {
				continue
			}
			lost = true
			pts := formatPoints(m.method.points(p.part))
			if m.issue != "" {
				fmt.Fprintf(w, "    %s: 0 of %s: %s\n", m.method.name, pts, m.issue)
				continue
			}
			t, _ := m.firstFailure()
			fmt.Fprintf(w, "    %s: 0 of %s: first failure %s: %s\n", m.method.name, pts, t.name, t.failure)
			top, _, _ := strings.Cut(t.name, "/")
			if why := r.pitfalls[top]; why != "" && r.buildError == "" && !t.timedOut &&
				!strings.Contains(t.failure, "not implemented: ") && !strings.HasPrefix(t.failure, "panic: ") && !strings.HasPrefix(t.failure, "not run") {
				fmt.Fprintf(w, "      a typical cause of this failure (not a diagnosis): %s\n", why)
			}
		}
		if lost {
			fmt.Fprintf(w, "    check it with: go test -run '%s'\n", p.part.run)
		}
		for _, n := range p.notes {
			if !n.passed && !strings.Contains(n.failure, "not implemented: ") && !strings.HasPrefix(n.failure, "not run") {
				top, _, _ := strings.Cut(n.name, "/")
				fmt.Fprintf(w, "    note, costs nothing: %s: %s", n.name, n.failure)
				if why := r.pitfalls[top]; why != "" {
					fmt.Fprintf(w, " (%s)", why)
				}
				fmt.Fprintln(w)
			}
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
// table (or writes it into the file -grade.report names, and Gradescope's
// results.json into -grade.results); with -grade.class DIR, grades a class.
func TestGrade(t *testing.T) {
	checkPartsTable(t)
	if *gradeDir == "" && *gradeClassDir == "" {
		return
	}
	if t.Failed() {
		t.Fatal("the parts table is inconsistent: not grading")
	}
	if *gradeClassDir != "" {
		if *gradeGradebook == "" {
			t.Fatal("-grade.class needs -grade.gradebook FILE.csv (make grade-class SUBMISSIONS=DIR GRADEBOOK=FILE.csv)")
		}
		rows, err := gradeClass(".", *gradeClassDir, *gradeGradebook, *gradeTimeout, os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%d submissions graded: tables in %s/<name>/grade.txt, gradebook %s\n", len(rows), *gradeClassDir, *gradeGradebook)
		return
	}
	var progress io.Writer
	if testing.Verbose() {
		progress = os.Stderr
	}
	rep, err := gradeSubmission(gradeOptions{grader: ".", submission: *gradeDir, timeout: *gradeTimeout, progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if *gradeResults != "" {
		if err := writeResults(*gradeResults, rep); err != nil {
			t.Fatalf("results.json: %v", err)
		}
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
	units := map[string]string{}
	for _, p := range labParts {
		shares := 0.0
		for _, m := range p.graded {
			shares += m.share
			if !(m.share > 0) || len(m.tests) == 0 {
				t.Errorf("part %s, %s: share %v with %d tests; want a positive share and tests", p.id, m.name, m.share, len(m.tests))
			}
			for _, u := range m.tests {
				if q, dup := units[u]; dup {
					t.Errorf("%s is listed for %s and %s; want one method", u, q, m.name)
				}
				units[u] = m.name
			}
		}
		if !p.byHand && math.Abs(shares-1) > 1e-9 {
			t.Errorf("part %s: the methods' shares add up to %v; want 1", p.id, shares)
		}
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
			if !slices.Contains(gradedTestFiles, tf.file) {
				t.Errorf("%s (part %s) is in %s, which is not among the files the grader builds (gradedTestFiles)", name, p.id, tf.file)
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
		case graded[name] == "" && !unscored && slices.Contains(gradingFiles, tf.file):
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
// a method that lost its share with its first failure and typical cause, a
// method that does not compile, a note that costs nothing, the
// hand-graded part, and the score as the last line; and judge on the
// outputs a test process leaves.
func TestGradeReportFormat(t *testing.T) {
	rep := &gradeResult{submission: "/sub", others: "the solution's", fileIssue: map[string]string{},
		pitfalls: map[string]string{"TestReLUDeltaHand": "ReLU delta tested on `Y >= 0`", "TestReLUForwardKeepsNaN": "NaN kept"}}
	for _, p := range labParts {
		r := partResult{part: p}
		for _, m := range p.graded {
			mr := methodResult{method: m}
			if m.name == "LossCrossEntropyForSoftmaxLogits.Delta" {
				mr.issue = "does not compile: loss.go:140: declared and not used: x"
			}
			for _, name := range m.tests {
				res := testResult{name: name, passed: true}
				if name == "TestReLUDeltaHand" {
					res = testResult{name: name, failure: "layers_test.go:300: ReLU Delta[0,1] = 2; want 0"}
				}
				mr.tests = append(mr.tests, res)
			}
			r.methods = append(r.methods, mr)
		}
		for _, n := range p.notes {
			r.notes = append(r.notes, testResult{name: n, failure: "layers_test.go:9: ReLU Forward(NaN) = 0; want NaN"})
		}
		rep.parts = append(rep.parts, r)
	}
	var b bytes.Buffer
	rep.write(&b)
	out := b.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if want := "score: 7/8 (not counted: Assignment 2, 2 points, graded by hand)"; lines[len(lines)-1] != want {
		t.Errorf("last line %q; want %q\n%s", lines[len(lines)-1], want, out)
	}
	for _, want := range []string{
		`(?m)^Assignment 1  ReLULayer: Forward, Delta +4/5  0\.5 of 1$`,
		`(?m)^    ReLULayer\.Delta: 0 of 0\.5: first failure TestReLUDeltaHand: layers_test\.go:300: ReLU Delta\[0,1\] = 2; want 0$`,
		"(?m)^      a typical cause of this failure \\(not a diagnosis\\): ReLU delta tested on `Y >= 0`$",
		`(?m)^    check it with: go test -run '\^TestReLU'$`,
		`(?m)^    note, costs nothing: TestReLUForwardKeepsNaN: layers_test\.go:9: ReLU Forward\(NaN\) = 0; want NaN \(NaN kept\)$`,
		`(?m)^    LossCrossEntropyForSoftmaxLogits\.Delta: 0 of 0\.5: does not compile: loss\.go:140: declared and not used: x$`,
		`(?m)^Assignment 2  written analysis.* +- +graded by hand, of 2$`,
		`(?m)^Assignment 1  LinearLayer: Forward, Delta, Grad +9/9  1\.5 of 1\.5$`,
		`(?m)^part +tests  points$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("table lacks a line matching %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "first failure"); n != 1 {
		t.Errorf("table has %d first failures; want 1 (ReLULayer.Delta's):\n%s", n, out)
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
		{"=== RUN   TestX\n", errors.New("signal: killed"), true, false, "killed: the test process did not end within 12s"},
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
	case "child":
		// A process left behind to rewrite reports: the grader must kill it.
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			t.Skip("no sleep command:", err)
		}
		os.WriteFile(os.Getenv(panicHelperEnv+"_PIDFILE"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
		os.Exit(0)
	}
}

// TestCatchPanicKeepsOtherTestsRunning runs, each in a process of its own
// as the grader does, a test whose code panics (twice: a bad size in
// layers.go and a stub) and one that never ends, and checks what the
// grader makes of them: the panics fail their subtests with the message
// and the place, the test after them still runs; the endless loop fails
// after its time. (A verdict comes only from the graded build's TestMain,
// which this binary lacks; TestGradeForgedOutput checks that a forged line
// is no pass, and a student file cannot import os to exit.)
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
	res := runUnit(bin, ".", "TestGradeHelper", 20*time.Second, []string{panicHelperEnv + "=panic"})
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
	if res := runUnit(bin, ".", "TestGradeHelper", time.Second, []string{panicHelperEnv + "=loop"}); res.passed || res.failure != "did not finish within 1s (an endless loop?)" {
		t.Errorf("an endless loop: passed %v, %q; want a failure after 1s", res.passed, res.failure)
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	runUnit(bin, ".", "TestGradeHelper", 20*time.Second, []string{panicHelperEnv + "=child", panicHelperEnv + "_PIDFILE=" + pidFile})
	if data, err := os.ReadFile(pidFile); err == nil {
		pid, _ := strconv.Atoi(string(data))
		alive := true
		for i := 0; i < 50 && alive; i++ {
			alive = processAlive(pid)
			if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(stat), ") Z ") {
				alive = false // killed, waiting to be reaped by a parent that does not reap
			}
			time.Sleep(20 * time.Millisecond)
		}
		if alive && runtime.GOOS != "windows" {
			t.Errorf("the process %d a graded test left behind is still running", pid)
		}
	}
}
