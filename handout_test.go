package main

// The student version of the lab, made from the solution (solution
// repository only: `make handout` leaves this file and the rest of
// graderOnlyFiles, parts_test.go, out of what it writes).
//
//	go test -run '^TestHandout$' -handout DIR     write the student version into DIR
//	go test -run '^TestReference$' -update        regenerate reference_test.go
//
// The code students write sits between two marker comments inside a lab
// method, at the end of its body:
//
//	// BEGIN SOLUTION (Assignment 1)
//	// HINT: one product with the bias added to every row: MatMulBias.
//	return MatMulBias(dst, X, l.W, l.B)
//	// END SOLUTION
//
// The handout keeps the method's doc comment (shapes, equation) and the
// HINT lines and replaces the rest of the region by a stub,
//
//	// YOUR CODE HERE (Assignment 1): LinearLayer.Forward, as its comment says.
//	// HINT: one product with the bias added to every row: MatMulBias.
//	panic(notImplemented("LinearLayer.Forward", "Assignment 1"))
//
// then drops the imports only the solution used and formats the file.
//
// The grader's reference copy (reference_test.go) is generated from the
// same files with go/ast: every method of the lab's layer and loss types,
// copied onto a type refT defined as the student's T (the same struct, so
// a student's layer converts to one without copying), with the helpers of
// the solution files they call renamed refX. Its init points `other`
// (parts_test.go) at these, so each graded test takes the parts it does
// not grade from the solution. TestReference fails when the copy is stale.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var handoutOut = flag.String("handout", "", "write the student version of the lab into this directory (new or empty): go test -run '^TestHandout$' -handout DIR")

// handoutDirs are the directories the handout copies whole; of the root's
// files it copies the Go files, go.mod, go.sum, Makefile, README.md,
// .gitignore and .gitattributes. Anything else (CI, build output, data, notes) stays out.
var handoutDirs = []string{"testdata", "docs", "bench"}

// graderOnlyDocs are the files of handoutDirs the handout leaves out: the
// grader's documentation (the gradebook, results.json) and the written
// answer to Assignment 2, not the students', and the goldens of
// golden_test.go (every file under testdata/golden).
var graderOnlyDocs = []string{"docs/grading.md", "docs/assignment2.md", "testdata/golden/"}

// leftOutOfHandout says whether the handout leaves out path (slash-separated,
// relative to the repository): a file of graderOnlyDocs or one under a
// directory of it (a name ending in "/").
func leftOutOfHandout(path string) bool {
	for _, d := range graderOnlyDocs {
		if path == d || strings.HasSuffix(d, "/") && strings.HasPrefix(path, d) {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// Solution regions

// solutionRegion is one solution region of a file.
type solutionRegion struct {
	file       string
	method     string // "LinearLayer.Forward", or the function's name
	assignment string // "Assignment 1"
	begin, end int    // 0-based lines of the BEGIN and END markers
	indent     string // of the BEGIN line
	hints      []string
	code       []string // the lines between the markers that are not HINT lines
}

var (
	beginRE = regexp.MustCompile(`^(\s*)// BEGIN SOLUTION \((Assignment \d+)\)\s*$`)
	endRE   = regexp.MustCompile(`^\s*// END SOLUTION\s*$`)
	hintRE  = regexp.MustCompile(`^\s*// HINT:`)
	// markerRE finds a line that starts like a marker, also one misspelt
	// or misplaced (prose that names the markers is not one).
	markerRE = regexp.MustCompile(`(?m)^\s*//\s*(BEGIN|END)\s+SOLUTION`)
)

// findRegions returns the solution regions of a Go file. A region must lie
// in a function and end it: after END SOLUTION comes only the function's
// closing brace (a stub that panics must be its last statement).
func findRegions(file string, src []byte) ([]solutionRegion, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(src), "\n")
	var regions []solutionRegion
	var cur *solutionRegion
	for i, line := range lines {
		switch {
		case beginRE.MatchString(line):
			if cur != nil {
				return nil, fmt.Errorf("%s:%d: BEGIN SOLUTION inside the region begun on line %d", file, i+1, cur.begin+1)
			}
			m := beginRE.FindStringSubmatch(line)
			fn := enclosingFunc(fset, f, i+1)
			if fn == nil {
				return nil, fmt.Errorf("%s:%d: BEGIN SOLUTION outside a function", file, i+1)
			}
			cur = &solutionRegion{file: file, method: declName(fn), assignment: m[2], begin: i, indent: m[1]}
			if end := fset.Position(fn.Body.Rbrace).Line - 1; end <= i {
				return nil, fmt.Errorf("%s:%d: BEGIN SOLUTION on the function's last line", file, i+1)
			}
		case endRE.MatchString(line):
			if cur == nil {
				return nil, fmt.Errorf("%s:%d: END SOLUTION without BEGIN SOLUTION", file, i+1)
			}
			fn := enclosingFunc(fset, f, cur.begin+1)
			if rb := fset.Position(fn.Body.Rbrace).Line - 1; rb != i+1 || strings.TrimSpace(lines[rb]) != "}" {
				return nil, fmt.Errorf("%s:%d: END SOLUTION must be followed by the closing brace of %s: the region is the end of the method", file, i+1, cur.method)
			}
			cur.end = i
			regions = append(regions, *cur)
			cur = nil
		case markerRE.MatchString(line):
			return nil, fmt.Errorf("%s:%d: a solution marker not of the form \"// BEGIN SOLUTION (Assignment N)\" or \"// END SOLUTION\" on a line of its own: %q", file, i+1, strings.TrimSpace(line))
		case cur != nil && hintRE.MatchString(line):
			cur.hints = append(cur.hints, line)
		case cur != nil:
			cur.code = append(cur.code, line)
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: BEGIN SOLUTION without END SOLUTION", file, cur.begin+1)
	}
	return regions, nil
}

// enclosingFunc returns the function declaration that contains line.
func enclosingFunc(fset *token.FileSet, f *ast.File, line int) *ast.FuncDecl {
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Body != nil &&
			fset.Position(fn.Body.Lbrace).Line < line && line < fset.Position(fn.Body.Rbrace).Line {
			return fn
		}
	}
	return nil
}

// recvTypeName is the name of a method's receiver type, without the *.
func recvTypeName(fn *ast.FuncDecl) string {
	t := fn.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// stubLines is what a region becomes in the student version.
func stubLines(r solutionRegion) []string {
	out := []string{fmt.Sprintf("%s// YOUR CODE HERE (%s): %s, as its comment says.", r.indent, r.assignment, r.method)}
	out = append(out, r.hints...)
	return append(out, fmt.Sprintf("%spanic(notImplemented(%q, %q))", r.indent, r.method, r.assignment))
}

// studentVersion returns the student version of a solution file and its
// regions: every region replaced by its stub, the imports that only the
// solution code used removed, gofmt-formatted.
func studentVersion(file string, src []byte) ([]byte, []solutionRegion, error) {
	regions, err := findRegions(file, src)
	if err != nil {
		return nil, nil, err
	}
	lines := strings.Split(string(src), "\n")
	var out []string
	next := 0
	for _, r := range regions {
		out = append(out, lines[next:r.begin]...)
		out = append(out, stubLines(r)...)
		next = r.end + 1
	}
	out = append(out, lines[next:]...)
	stubbed, err := dropUnusedImports(file, []byte(strings.Join(out, "\n")))
	if err != nil {
		return nil, nil, err
	}
	formatted, err := format.Source(stubbed)
	if err != nil {
		return nil, nil, fmt.Errorf("%s, student version: %v", file, err)
	}
	return formatted, regions, nil
}

// dropUnusedImports removes the import lines of packages that src no
// longer refers to.
func dropUnusedImports(file string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("%s, student version: %v", file, err)
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	drop := map[int]bool{}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == "_" || name == "." || used[name] {
			continue
		}
		if fset.Position(imp.Pos()).Line != fset.Position(imp.End()).Line {
			return nil, fmt.Errorf("%s: import %s spans lines", file, imp.Path.Value)
		}
		drop[fset.Position(imp.Pos()).Line-1] = true
	}
	lines := strings.Split(string(src), "\n")
	var kept []string
	for i, l := range lines {
		if !drop[i] {
			kept = append(kept, l)
		}
	}
	return []byte(strings.Join(kept, "\n")), nil
}

// ---------------------------------------------------------------------------
// The handout

// handoutSummary says what writeHandout wrote.
type handoutSummary struct {
	stubs    map[string][]string // file → the methods stubbed in it
	files    []string            // every file written, relative
	leftOut  []string            // what was not copied
	readmeA2 bool                // the README's Assignment 2 answer was replaced
}

// writeHandout writes the student version of the solution in src into
// out, which must not exist or be empty.
func writeHandout(src, out string) (*handoutSummary, error) {
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty: give a new or empty directory", out)
	}
	absSrc, err1 := filepath.Abs(src)
	absOut, err2 := filepath.Abs(out)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("handout: %v %v", err1, err2)
	}
	if rel, err := filepath.Rel(absSrc, absOut); err == nil && !strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("%s lies inside the solution repository: write the student version elsewhere", out)
	}
	sum := &handoutSummary{stubs: map[string][]string{}}
	entries, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() && slices.Contains(handoutDirs, name):
			keep := func(rel string) bool {
				if leftOutOfHandout(filepath.ToSlash(filepath.Join(name, rel))) {
					return false
				}
				sum.files = append(sum.files, filepath.Join(name, rel))
				return true
			}
			if err := copyDir(filepath.Join(src, name), filepath.Join(out, name), keep); err != nil {
				return nil, err
			}
			continue
		case slices.Contains(graderOnlyFiles, name), e.IsDir(), !e.Type().IsRegular(),
			!strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, ".s") && !slices.Contains([]string{"go.mod", "go.sum", "Makefile", "README.md", ".gitignore", ".gitattributes"}, name):
			if e.IsDir() {
				name += "/"
			}
			sum.leftOut = append(sum.leftOut, name)
			continue
		}
		if name == studentVersionFile {
			return nil, fmt.Errorf("%s marks %s as a student version: make the student version from the solution repository", name, src)
		}
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return nil, err
		}
		switch {
		case slices.Contains(studentFiles, name):
			var regions []solutionRegion
			data, regions, err = studentVersion(name, data)
			if err != nil {
				return nil, err
			}
			for _, r := range regions {
				sum.stubs[name] = append(sum.stubs[name], r.method)
			}
			total += len(regions)
		case name == "README.md":
			// The students' README is its own file: the solution's is the
			// instructor's. It is checked to have Assignment 2 as the task.
			data, err = studentReadme(src)
			if err != nil {
				return nil, err
			}
			sum.readmeA2 = bytes.Contains(data, []byte("\n## Assignment 2\n"))
		case name == "Makefile":
			data, err = handoutMakefile(data)
			if err != nil {
				return nil, err
			}
		case strings.HasSuffix(name, ".go") && markerRE.Match(data):
			return nil, fmt.Errorf("%s has solution markers, but students write only %s", name, strings.Join(studentFiles, ", "))
		}
		if err := writeFileIn(out, name, data); err != nil {
			return nil, err
		}
		sum.files = append(sum.files, name)
	}
	if total == 0 {
		return nil, fmt.Errorf("%s has no solution regions: is it the solution repository (and not already a student version)?", src)
	}
	// The mark of a student version: there a test of the provided code that
	// needs an unwritten lab method skips instead of failing (needLab).
	if err := writeFileIn(out, studentVersionFile, []byte(studentVersionSource)); err != nil {
		return nil, err
	}
	sum.files = append(sum.files, studentVersionFile)
	sort.Strings(sum.files)
	return sum, nil
}

// studentVersionSource is studentVersionFile, the mark of a student
// version (needlab_test.go).
const studentVersionSource = `package main

// This is the students' version of the lab: a test of the provided code
// that needs a lab method not written yet skips, naming the method
// (needLab in needlab_test.go).

func init() { isStudentVersion = true }
`

// TestNoStudentVersionMark: the solution repository is no student version,
// so there needLab fails a test that meets a stub instead of skipping it.
func TestNoStudentVersionMark(t *testing.T) {
	if isStudentVersion {
		t.Errorf("%s marks the solution repository as a student version, so tests that meet a stub skip: remove it", studentVersionFile)
	}
	if _, err := os.Stat(studentVersionFile); err == nil {
		t.Errorf("the solution repository has %s, the student version's mark: remove it", studentVersionFile)
	}
}

// studentReadmeFile is the template of the students' README: the
// handout's README.md is rendered from it by studentReadme.
const studentReadmeFile = "README.student.md"

// labStep is a step of the students' README's "Where to start": a method
// and the tests that check it (a part's tests may check several methods at
// once; the part's own pattern runs them all).
type labStep struct{ method, assignment, run string }

var labSteps = []labStep{
	{"LinearLayer.Forward", "Assignment 1", "^TestLinearForward"},
	{"ReLULayer.Forward", "Assignment 1", "^TestReLUForward"},
	{"SoftmaxLayer.Forward", "Assignment 1", "^TestSoftmaxForward"},
	{"LossCrossEntropy.Forward", "Assignment 1", "^TestCrossEntropyForward"},
	{"LossCrossEntropy.Delta", "Assignment 1", "^TestCrossEntropy"},
	{"SoftmaxLayer.Delta", "Assignment 1", "^TestSoftmaxDelta"},
	{"ReLULayer.Delta", "Assignment 1", "^TestReLU"},
	{"LinearLayer.Delta", "Assignment 1", "^TestLinearDelta"},
	{"LinearLayer.Grad", "Assignment 1", "^TestLinear"},
	{"MLP.Gradient", "Assignment 1", "^TestBackprop"},
	{"SoftmaxLayer.Forward", "Assignment 3", "^TestStableSoftmax|^FuzzStableSoftmax"},
	{"LossCrossEntropyForSoftmaxLogits.Forward", "Assignment 3", "^TestFusedSoftmaxCrossEntropyForward"},
	{"LossCrossEntropyForSoftmaxLogits.Delta", "Assignment 3", "^TestFused"},
}

// studentReadme renders the students' README from studentReadmeFile in
// src: {{methods}} becomes the table of labSteps, {{parts}} the table of
// labParts.
func studentReadme(src string) ([]byte, error) {
	tmpl, err := os.ReadFile(filepath.Join(src, studentReadmeFile))
	if err != nil {
		return nil, fmt.Errorf("the students' README: %v", err)
	}
	var m strings.Builder
	m.WriteString("| | method | file | checked by |\n|---|---|---|---|\n")
	assignment := ""
	for i, st := range labSteps {
		if st.assignment != assignment {
			assignment = st.assignment
			fmt.Fprintf(&m, "| **%s** | | | |\n", assignment)
		}
		what := "`" + st.method + "`"
		if st.assignment == "Assignment 3" && st.method == "SoftmaxLayer.Forward" {
			what += ", made stable"
		}
		fmt.Fprintf(&m, "| %d | %s | `%s` | `%s` |\n", i+1, what, labFile(st.method), tableCell(st.run))
	}
	var p strings.Builder
	p.WriteString("| part | methods | points | `go test -run` |\n|---|---|---|---|\n")
	for _, part := range labParts {
		if part.byHand {
			fmt.Fprintf(&p, "| %s: %s | | %g, by hand | |\n", part.assignment, part.title, part.points)
			continue
		}
		fmt.Fprintf(&p, "| %s: %s | `%s` | %g | `%s` (%d tests) |\n", part.assignment, part.title,
			strings.Join(part.methods, "`, `"), part.points, tableCell(part.run), len(part.tests))
	}
	out := string(tmpl)
	for _, r := range []struct{ key, val string }{{"{{methods}}", strings.TrimSuffix(m.String(), "\n")}, {"{{parts}}", strings.TrimSuffix(p.String(), "\n")}} {
		if strings.Count(out, r.key) != 1 {
			return nil, fmt.Errorf("%s: want %s once", studentReadmeFile, r.key)
		}
		out = strings.Replace(out, r.key, r.val, 1)
	}
	return []byte(out), nil
}

// tableCell escapes the | of a pattern for a Markdown table's cell.
func tableCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// handoutMakefile drops the handout target, the block from the comment
// "# The student version" to the next blank line, from the Makefile: a
// student version makes no handout.
func handoutMakefile(src []byte) ([]byte, error) {
	lines := strings.Split(string(src), "\n")
	var out []string
	block, dropped := false, false
	for _, l := range lines {
		if strings.HasPrefix(l, "# The student version") {
			block = true
		}
		if block {
			dropped = dropped || strings.HasPrefix(l, "handout:")
			block = l != ""
			continue
		}
		out = append(out, l)
	}
	if !dropped {
		return nil, fmt.Errorf("Makefile: no block \"# The student version\" with the handout target, to leave out of the student version")
	}
	return []byte(strings.Join(out, "\n")), nil
}

// TestHandout makes the student version (in a temporary directory, or in
// the one -handout names) and checks it: every solution region is a stub
// that names its method and assignment and keeps its hints; no line of
// solution code is left in any file; the grader-only files are left out;
// the Go files parse and are gofmt-formatted; the regions are exactly the
// methods of the lab's parts; the README's Assignment 2 answer is gone.
// (That it builds with Go 1.22, runs into a stub with a message and grades
// to 0 is checked by TestGradeChecks and .ci/run.)
func TestHandout(t *testing.T) {
	out := *handoutOut
	if out == "" {
		out = filepath.Join(t.TempDir(), "handout")
	}
	sum, err := writeHandout(".", out)
	if err != nil {
		t.Fatal(err)
	}
	checkHandout(t, ".", out, sum)
	if *handoutOut != "" && !t.Failed() {
		var b strings.Builder
		fmt.Fprintf(&b, "student version written to %s: %d files\n", out, len(sum.files))
		for _, f := range studentFiles {
			fmt.Fprintf(&b, "  %s: stubs for %s\n", f, strings.Join(sum.stubs[f], ", "))
		}
		fmt.Fprintf(&b, "  left out: %s\n", strings.Join(sum.leftOut, " "))
		fmt.Fprintf(&b, "students write %s; grade a submission with: make grade SUBMISSION=DIR\n", strings.Join(studentFiles, ", "))
		fmt.Print(b.String())
	}
}

func checkHandout(t *testing.T, src, out string, sum *handoutSummary) {
	t.Helper()
	// The regions: one per lab method, each in exactly one part.
	var regions []solutionRegion
	for _, f := range studentFiles {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		r, err := findRegions(f, data)
		if err != nil {
			t.Fatal(err)
		}
		regions = append(regions, r...)
	}
	inParts := labMethodAssignments() // method → the assignment that first asks for it
	seen := map[string]bool{}
	for _, r := range regions {
		if seen[r.method] {
			t.Errorf("%s: %s has two solution regions; want one per method", r.file, r.method)
		}
		seen[r.method] = true
		switch a, ok := inParts[r.method]; {
		case !ok:
			t.Errorf("%s: the region in %s belongs to no part of labParts", r.file, r.method)
		case a != r.assignment:
			t.Errorf("%s: the region in %s is marked %s; labParts has it in %s", r.file, r.method, r.assignment, a)
		}
		if len(r.hints) == 0 {
			t.Errorf("%s: the region in %s has no HINT line: the stub would say nothing but its doc comment", r.file, r.method)
		}
	}
	for m := range inParts {
		if !seen[m] {
			t.Errorf("labParts grades %s, which has no solution region", m)
		}
	}

	// Every stub, with its method, assignment and hints; no marker left.
	for _, f := range studentFiles {
		data, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		for _, r := range regions {
			if r.file != f {
				continue
			}
			if call := fmt.Sprintf("panic(notImplemented(%q, %q))", r.method, r.assignment); strings.Count(text, call) != 1 {
				t.Errorf("handout %s: %d stubs %s; want 1", f, strings.Count(text, call), call)
			}
			for _, h := range r.hints {
				if !strings.Contains(text, strings.TrimSpace(h)) {
					t.Errorf("handout %s: the hint %q of %s is missing", f, strings.TrimSpace(h), r.method)
				}
			}
		}
	}

	// No solution code: every line of a region that appears nowhere else in
	// the solution repository must appear nowhere in the handout.
	outside := map[string]bool{}
	solution := readTextFiles(t, src)
	for name, text := range solution {
		if slices.Contains(graderOnlyFiles, name) {
			continue // the grader's copies of the solution
		}
		skip := map[int]bool{}
		for _, r := range regions {
			if r.file == name {
				for i := r.begin; i <= r.end; i++ {
					skip[i] = true
				}
			}
		}
		for i, l := range strings.Split(text, "\n") {
			if !skip[i] {
				outside[strings.TrimSpace(l)] = true
			}
		}
	}
	var secret []string
	for _, r := range regions {
		for _, l := range r.code {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "//") && !outside[l] {
				secret = append(secret, l)
			}
		}
	}
	if len(secret) < 30 {
		t.Errorf("only %d lines of the regions are unique to them; want at least 30, or the search below proves little", len(secret))
	}
	handout := readTextFiles(t, out)
	for name, text := range handout {
		for _, l := range strings.Split(text, "\n") {
			l = strings.TrimSpace(l)
			for _, s := range secret {
				if l == s || (len(s) > 15 && strings.Contains(l, s)) {
					t.Errorf("handout %s contains solution code: %q", name, s)
				}
			}
		}
	}

	// What is left out, what is kept.
	for _, f := range graderOnlyFiles {
		if _, ok := handout[f]; ok {
			t.Errorf("handout contains %s, which only the grader may have", f)
		}
		if _, err := os.Stat(filepath.Join(src, f)); err != nil {
			t.Errorf("solution repository: %v", err)
		}
	}
	for _, d := range graderOnlyDocs {
		if _, err := os.Stat(filepath.Join(out, d)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("handout contains %s, which only the grader may have (stat: %v)", d, err)
		}
		if _, err := os.Stat(filepath.Join(src, d)); err != nil {
			t.Errorf("solution repository: %v", err)
		}
	}
	for name := range handout {
		if strings.HasPrefix(name, ".ci") {
			t.Errorf("handout contains %s: the solution repository's CI stays out", name)
		}
	}
	for name := range solution {
		if strings.HasSuffix(name, "_test.go") && !strings.Contains(name, "/") && !slices.Contains(graderOnlyFiles, name) {
			if _, ok := handout[name]; !ok {
				t.Errorf("handout lacks %s: students get every test but the grader's own", name)
			}
		}
	}
	graderNames := map[string]string{}
	for _, f := range graderOnlyFiles {
		for _, n := range topLevelNames(t, filepath.Join(src, f)) {
			graderNames[n] = f
		}
	}
	for name, text := range handout {
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		if markerRE.MatchString(text) {
			t.Errorf("handout %s still has a solution marker", name)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, text, parser.ParseComments)
		if err != nil {
			t.Errorf("handout %s does not parse: %v", name, err)
			continue
		}
		if formatted, err := format.Source([]byte(text)); err != nil || string(formatted) != text {
			t.Errorf("handout %s is not gofmt-formatted", name)
		}
		var visit func(n ast.Node) bool
		visit = func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				ast.Inspect(sel.X, visit)
				return false // sel.Sel is a field or method name
			}
			if id, ok := n.(*ast.Ident); ok {
				if g, ok := graderNames[id.Name]; ok && id.Obj == nil {
					t.Errorf("handout %s:%d uses %s, which only %s declares", name, fset.Position(id.Pos()).Line, id.Name, g)
					delete(graderNames, id.Name)
				}
			}
			return true
		}
		ast.Inspect(f, visit)
	}
	for _, r := range regions {
		if labFile(r.method) != r.file {
			t.Errorf("%s is written in %s, but its stub's message would say %s", r.method, r.file, labFile(r.method))
		}
	}
	checkStudentText(t, handout)
	if !sum.readmeA2 {
		t.Errorf("the README has no \"## Assignment 2\" section to replace: the written answer may be in the handout")
	}
	if strings.Contains(handout["README.md"], "= **p_j − t_j**") {
		t.Errorf("handout README.md still has the written answer to Assignment 2")
	}
}

// giveAways are phrases the student version must not contain: the
// answers of Assignment 2 and of the stability part of Assignment 3, and
// what students have nothing to do with.
var giveAways = regexp.MustCompile(`(?i)\blse\b|log-sum-exp|logsumexp|p − t|p_k − t_k|p_j − t_j|p - t\b|t − p\b|max shift|row max|subtract(s|ing)? the (row )?max|instructor|make handout|reference_test|reference copy`)

// checkStudentText checks the student version's text: no give-away in any
// file (the grader's parts table and the generator's own files aside), a
// README that starts with the two commands that work in a fresh copy and
// shows where to start, and a Makefile without the handout target.
func checkStudentText(t *testing.T, handout map[string]string) {
	t.Helper()
	for name, text := range handout {
		if name == "parts_test.go" || strings.HasPrefix(name, "grade_") { // the grader's own code says what its copy is
			continue
		}
		for i, l := range strings.Split(text, "\n") {
			if m := giveAways.FindString(l); m != "" {
				t.Errorf("handout %s:%d gives away or does not concern students (%q): %s", name, i+1, m, strings.TrimSpace(l))
			}
		}
	}
	readme := handout["README.md"]
	if first := strings.SplitN(readme, "```", 3); len(first) < 3 || !strings.Contains(first[1], "go run . -exp xor") || !strings.Contains(first[1], "go test ./...") {
		t.Errorf("handout README.md does not start with go run . -exp xor and go test ./...")
	}
	for _, st := range labSteps {
		if !strings.Contains(readme, "`"+tableCell(st.run)+"`") {
			t.Errorf("handout README.md does not show the tests of %s (%s)", st.method, st.run)
		}
	}
	if strings.Contains(handout["Makefile"], "handout:") {
		t.Errorf("handout Makefile offers make handout")
	}
}

// TestLabSteps: the students' README's steps cover every lab method of
// every part, in the part's assignment, and each step's pattern runs tests
// of a part that grades its method.
func TestLabSteps(t *testing.T) {
	seen := map[string]bool{}
	for _, st := range labSteps {
		re := regexp.MustCompile(st.run)
		ok := false
		for _, p := range labParts {
			if p.assignment != st.assignment || !slices.Contains(p.methods, st.method) {
				continue
			}
			seen[p.assignment+" "+st.method] = true
			for _, test := range p.tests {
				ok = ok || re.MatchString(test)
			}
		}
		if !ok {
			t.Errorf("step %s (%s): %s runs no test of a part of %s that grades it", st.method, st.assignment, st.run, st.assignment)
		}
	}
	for _, p := range labParts {
		for _, m := range p.methods {
			if !seen[p.assignment+" "+m] {
				t.Errorf("labSteps has no step for %s in %s", m, p.assignment)
			}
		}
	}
}

// readTextFiles returns the text files under dir (the Go files, the
// README, the Makefile, ... everything but .git and binary files), keyed
// by their path relative to dir.
func readTextFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != dir && (n == ".git" || n == "out" || n == "data") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.IndexByte(data, 0) >= 0 {
			return nil // binary
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// topLevelNames returns the names a Go file declares at top level.
func topLevelNames(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name != "init" {
				names = append(names, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					names = append(names, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.Name != "_" {
							names = append(names, n.Name)
						}
					}
				}
			}
		}
	}
	return names
}

// ---------------------------------------------------------------------------
// The grader's reference copy

// refTypes are the lab's types whose methods the reference copies. MLP is
// not among them: no test of another part needs the solution's Gradient.
var refTypes = []string{"LinearLayer", "ReLULayer", "SoftmaxLayer", "LossCrossEntropy", "LossCrossEntropyForSoftmaxLogits"}

// generateReference returns reference_test.go for the solution files in
// dir.
func generateReference(dir string) ([]byte, error) {
	fset := token.NewFileSet()
	var files []*ast.File
	funcs := map[string]*ast.FuncDecl{} // the solution files' functions
	for _, name := range studentFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
				funcs[fn.Name.Name] = fn
			}
		}
	}
	rename := map[string]string{}
	for _, t := range refTypes {
		rename[t] = "ref" + t
	}
	// The methods of refTypes, then the solution files' functions they
	// call (transitively), all with their names mapped by rename.
	var decls []*ast.FuncDecl
	var queue []*ast.FuncDecl
	for _, f := range files {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv != nil && rename[recvTypeName(fn)] != "" {
				decls = append(decls, fn)
				queue = append(queue, fn)
			}
		}
	}
	for len(queue) > 0 {
		fn := queue[0]
		queue = queue[1:]
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if id, ok := call.Fun.(*ast.Ident); ok {
					if g, ok := funcs[id.Name]; ok && rename[id.Name] == "" {
						rename[id.Name] = "ref" + id.Name
						decls = append(decls, g)
						queue = append(queue, g)
					}
				}
			}
			return true
		})
	}
	for _, t := range refTypes {
		found := false
		for _, fn := range decls {
			found = found || (fn.Recv != nil && recvTypeName(fn) == t)
		}
		if !found {
			return nil, fmt.Errorf("no methods of %s in %s", t, strings.Join(studentFiles, ", "))
		}
	}

	var body bytes.Buffer
	usedPkgs := map[string]bool{}
	for _, fn := range decls {
		c := renameFunc(fn, rename, usedPkgs)
		if err := printer.Fprint(&body, fset, c); err != nil {
			return nil, err
		}
		body.WriteString("\n\n")
	}
	var imports []string
	for _, f := range files {
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if usedPkgs[path[strings.LastIndex(path, "/")+1:]] && !slices.Contains(imports, imp.Path.Value) {
				imports = append(imports, imp.Path.Value)
			}
		}
	}
	sort.Strings(imports)

	var b bytes.Buffer
	b.WriteString("// Code generated by go test -run '^TestReference$' -update from the solution\n")
	b.WriteString("// regions of " + strings.Join(studentFiles, ", ") + "; DO NOT EDIT.\n\n")
	b.WriteString("package main\n\n")
	b.WriteString("// The grader's reference copy of the solution (handout_test.go): the\n")
	b.WriteString("// solution's methods on types defined as the student's, so that a graded\n")
	b.WriteString("// test takes the parts it does not grade from the solution. Not in the\n")
	b.WriteString("// student version.\n\n")
	fmt.Fprintf(&b, "import (\n\t%s\n)\n\n", strings.Join(imports, "\n\t"))
	for _, t := range refTypes {
		fmt.Fprintf(&b, "type ref%s %s\n\n", t, t)
	}
	b.WriteString("func init() {\n\tother = partImpls{\n")
	b.WriteString("\t\tsource:       \"the solution's (the grader's reference copy, reference_test.go)\",\n")
	b.WriteString("\t\tlinear:       func(l *LinearLayer) ParamLayer { return (*refLinearLayer)(l) },\n")
	b.WriteString("\t\trelu:         func(l *ReLULayer) Layer { return (*refReLULayer)(l) },\n")
	b.WriteString("\t\tsoftmax:      func(l *SoftmaxLayer) Layer { return (*refSoftmaxLayer)(l) },\n")
	b.WriteString("\t\tcrossEntropy: func(l *LossCrossEntropy) Loss { return (*refLossCrossEntropy)(l) },\n")
	b.WriteString("\t\tfused:        func(l *LossCrossEntropyForSoftmaxLogits) Loss { return (*refLossCrossEntropyForSoftmaxLogits)(l) },\n")
	b.WriteString("\t}\n}\n\n")
	// Where the solution had comments inside a body, the copy has blank
	// lines; those just after { and before } go.
	lines := strings.Split(body.String(), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "" && i > 0 && i+1 < len(lines) &&
			(strings.HasSuffix(lines[i-1], "{") || strings.TrimSpace(lines[i+1]) == "}") {
			continue
		}
		b.WriteString(l + "\n")
	}
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("reference_test.go: %v\n%s", err, b.Bytes())
	}
	return out, nil
}

// renameFunc strips fn's comments, renames its receiver type and the
// identifiers in rename, in place (generateReference parses the files for
// itself), and records in usedPkgs the names x of the x.Y it refers to,
// among them the packages it uses.
func renameFunc(fn *ast.FuncDecl, rename map[string]string, usedPkgs map[string]bool) *ast.FuncDecl {
	fn.Doc = nil
	if r := rename[fn.Name.Name]; r != "" && fn.Recv == nil {
		fn.Name.Name = r
	}
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				usedPkgs[id.Name] = true
			}
			ast.Inspect(n.X, visit)
			return false // n.Sel is a field or method name
		case *ast.Ident:
			if r, ok := rename[n.Name]; ok {
				n.Name = r
			}
		}
		return true
	}
	if fn.Recv != nil {
		ast.Inspect(fn.Recv, visit)
	}
	ast.Inspect(fn.Type, visit)
	ast.Inspect(fn.Body, visit)
	return fn
}

// TestReference checks that reference_test.go is what the solution regions
// generate (-update rewrites it), and that `other` is the reference's.
func TestReference(t *testing.T) {
	want, err := generateReference(".")
	if err != nil {
		t.Fatal(err)
	}
	if *updateRef {
		if err := os.WriteFile("reference_test.go", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile("reference_test.go")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("reference_test.go is not what the solution generates (%v): run go test -run '^TestReference$' -update", err)
	}
}

// ---------------------------------------------------------------------------
// The handout as students meet it

var handoutSuite = flag.Bool("handout.suite", false, "TestHandoutSuite: go test ./... in a fresh student version and in one with Assignment 1 written (a minute or two; .ci/run runs it)")

// plainSoftmax is SoftmaxLayer.Forward as a student may write it for
// Assignment 1: the definition, with no care for large logits.
const plainSoftmax = `	dst = Resize(dst, X.Rows, X.Cols)
	for i := 0; i < X.Rows; i++ {
		s, p := X.Row(i), dst.Row(i)
		sum := 0.0
		for k, v := range s {
			p[k] = math.Exp(v)
			sum += p[k]
		}
		for k := range p {
			p[k] /= sum
		}
	}
	return dst`

// writeAssignment1 writes into out a student version in which Assignment
// 1 is done: its regions hold the solution's code, SoftmaxLayer.Forward the
// plain softmax; the regions of the other assignments are stubs.
func writeAssignment1(t *testing.T, out string) {
	t.Helper()
	if _, err := writeHandout(".", out); err != nil {
		t.Fatal(err)
	}
	for _, f := range studentFiles {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		regions, err := findRegions(f, src)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(src), "\n")
		var res []string
		next := 0
		for _, r := range regions {
			res = append(res, lines[next:r.begin]...)
			switch {
			case r.method == "SoftmaxLayer.Forward":
				res = append(res, plainSoftmax)
			case r.assignment == "Assignment 1":
				res = append(res, r.code...)
			default:
				res = append(res, stubLines(r)...)
			}
			next = r.end + 1
		}
		res = append(res, lines[next:]...)
		data, err := format.Source([]byte(strings.Join(res, "\n")))
		if err != nil {
			t.Fatalf("%s with Assignment 1 written: %v", f, err)
		}
		if err := os.WriteFile(filepath.Join(out, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A student who has done Assignment 1, with a plain softmax, trains XOR to
// 100% with their own code: `go run . -exp xor` in such a student version.
func TestHandoutAssignment1TrainsXOR(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a student version (about 20 s); not in -short")
	}
	dir := t.TempDir()
	lab := filepath.Join(dir, "lab")
	writeAssignment1(t, lab)
	cmd := exec.Command("go", "run", ".", "-exp", "xor", "-q", "-plot=false", "-out", filepath.Join(dir, "out"))
	cmd.Dir = lab
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run . -exp xor after Assignment 1: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "training accuracy 100% (class 0 100.00%, class 1 100.00%)") {
		t.Errorf("go run . -exp xor after Assignment 1 does not train XOR to 100%%:\n%s", out)
	}
}

// goTestEvent is a line of go test -json.
type goTestEvent struct {
	Action, Test, Output string
}

// notImplementedLine is the one line a graded test fails with on a stub.
var notImplementedLine = regexp.MustCompile(`^\s+\w+\.go:\d+: not implemented: ([A-Za-z]+\.[A-Za-z]+) \((Assignment \d)\): write it in (layers|loss|mlp)\.go$`)

// needsLine is the one line a test of the provided code skips with when it
// needs a lab method not written yet (needLab).
var needsLine = regexp.MustCompile(`^\s+\w+\.go:\d+: needs ([A-Za-z]+\.[A-Za-z]+) \((Assignment \d)\), not written yet$`)

// handoutRun is what go test -json ./... printed in a student version:
// for each top-level test that failed or skipped (a subtest counts for its
// top-level test), its output lines other than go test's own; every
// output line; and every test that ran.
type handoutRun struct {
	failed, skipped map[string][]string
	all             []string
	ran             map[string]bool
}

// runHandoutTests runs go test -json ./... in dir.
func runHandoutTests(t *testing.T, dir string) *handoutRun {
	t.Helper()
	cmd := exec.Command("go", "test", "-json", "-count=1", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MNIST_DIR=") // the data set's own tests need the lab's methods anyway
	out, _ := cmd.Output()                       // fails, as it must: the stubs
	outputs := map[string][]string{}
	run := &handoutRun{failed: map[string][]string{}, skipped: map[string][]string{}, ran: map[string]bool{}}
	own := regexp.MustCompile(`^\s*(=== (RUN|PAUSE|CONT|NAME)|--- (FAIL|PASS|SKIP):)`)
	for _, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var e goTestEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("go test -json in %s: %v in %q", dir, err, line)
		}
		top, _, _ := strings.Cut(e.Test, "/")
		if top != "" {
			run.ran[top] = true
		}
		switch e.Action {
		case "output":
			o := strings.TrimRight(e.Output, "\n")
			run.all = append(run.all, o)
			if top != "" && !own.MatchString(o) {
				outputs[top] = append(outputs[top], o)
			}
		case "fail":
			if top != "" {
				run.failed[top] = outputs[top]
			}
		case "skip":
			if top != "" {
				run.skipped[top] = outputs[top]
			}
		}
	}
	if len(run.all) == 0 {
		t.Fatalf("go test -json ./... in %s printed nothing", dir)
	}
	return run
}

// checkHandoutRun checks a go test run of a student version in which the
// assignments in stubbed are stubs (their solution regions), the others
// written:
//   - no panic or stack trace anywhere;
//   - the tests that failed are exactly the graded tests of the stubbed
//     assignments (the parts table; Assignment 2 is graded by hand). Each
//     failed on a stub in one line per (sub)test, "not implemented: M
//     (Assignment N): write it in FILE", unless a method of its part is
//     written (SoftmaxLayer.Forward, written in Assignment 1 and made stable
//     in Assignment 3): then its own checks may fail it;
//   - every other test passed, or skipped in one line naming a stubbed
//     method it needs ("needs M (Assignment N), not written yet"); a skip
//     for another reason (-short, no MNIST_DIR) is logged; no graded test
//     skipped.
func checkHandoutRun(t *testing.T, what string, run *handoutRun, stubbed map[string]bool) {
	t.Helper()
	for _, l := range run.all {
		if strings.HasPrefix(strings.TrimSpace(l), "panic:") || strings.HasPrefix(l, "goroutine ") {
			t.Errorf("%s: go test ./... printed a panic or a stack trace: %q", what, l)
			break
		}
	}
	// writtenIn is the assignment whose region holds a method: the first
	// part that lists it.
	writtenIn := map[string]string{}
	gradedIn := map[string]*labPart{}
	for _, p := range labParts {
		for _, m := range p.methods {
			if _, ok := writtenIn[m]; !ok {
				writtenIn[m] = p.assignment
			}
		}
		for _, test := range p.tests {
			gradedIn[test] = p
		}
	}
	checkLine := func(test, l string, re *regexp.Regexp) bool {
		m := re.FindStringSubmatch(l)
		switch {
		case m == nil:
			return false
		case !stubbed[m[2]]:
			t.Errorf("%s: %s stopped on %s (%s), which is written here: %q", what, test, m[1], m[2], l)
		case writtenIn[m[1]] != m[2]:
			t.Errorf("%s: %s says %s belongs to %s; the parts table says %s", what, test, m[1], m[2], writtenIn[m[1]])
		case re == notImplementedLine && labFile(m[1]) != m[3]+".go":
			t.Errorf("%s: %s says %s is written in %s.go", what, test, m[1], m[3])
		}
		return true
	}
	for test, lines := range run.failed {
		p := gradedIn[test]
		if p == nil || !stubbed[p.assignment] {
			t.Errorf("%s: %s failed; only the graded tests of %s may: %q", what, test, keysOf(stubbed), lines)
			continue
		}
		if len(lines) == 0 {
			t.Errorf("%s: %s failed without a message", what, test)
		}
		ownChecks := false // a method of the part is written: its own checks may fail it
		for _, m := range p.methods {
			ownChecks = ownChecks || !stubbed[writtenIn[m]]
		}
		if ownChecks {
			continue
		}
		for _, l := range lines {
			if !checkLine(test, l, notImplementedLine) {
				t.Errorf("%s: %s failed otherwise than in one line on a stub: %q", what, test, l)
			}
		}
	}
	needs := 0
	for test, lines := range run.skipped {
		if p := gradedIn[test]; p != nil {
			t.Errorf("%s: the graded test %s (%s) skipped: %q", what, test, p.assignment, lines)
			continue
		}
		if len(lines) == 0 {
			t.Errorf("%s: %s skipped without saying why", what, test)
		}
		waits := false
		for _, l := range lines {
			if checkLine(test, l, needsLine) {
				waits = true
			} else {
				t.Logf("%s: %s skipped: %s", what, test, strings.TrimSpace(l))
			}
		}
		if waits {
			needs++
		}
	}
	for _, p := range labParts {
		for _, test := range p.tests {
			_, fail := run.failed[test]
			switch {
			case !run.ran[test]:
				t.Errorf("%s: the graded test %s (%s) did not run", what, test, p.assignment)
			case !p.byHand && stubbed[p.assignment] && !fail:
				t.Errorf("%s: the graded test %s (%s) did not fail", what, test, p.assignment)
			}
		}
	}
	t.Logf("%s: %d tests ran, %d failed (all graded), %d skipped on a method not written yet", what, len(run.ran), len(run.failed), needs)
}

// keysOf returns the keys of m that are true, sorted, joined by " and ".
func keysOf(m map[string]bool) string {
	var ks []string
	for k, v := range m {
		if v {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return strings.Join(ks, " and ")
}

// TestHandoutSuite runs go test ./... as a student does: in a fresh
// student version the tests that fail are exactly the graded ones, each in
// one line naming the method and its file; every other test passes or
// skips in one line naming the method it waits for; nothing panics. With
// Assignment 1 written (a plain softmax), Assignment 1's graded tests pass
// and only Assignment 3's fail.
func TestHandoutSuite(t *testing.T) {
	if !*handoutSuite {
		t.Skip("runs go test ./... in two student versions (a minute or two): go test -run '^TestHandoutSuite$' -handout.suite")
	}
	dir := t.TempDir()
	fresh, a1 := filepath.Join(dir, "fresh"), filepath.Join(dir, "assignment1")
	if _, err := writeHandout(".", fresh); err != nil {
		t.Fatal(err)
	}
	writeAssignment1(t, a1)
	checkHandoutRun(t, "fresh student version", runHandoutTests(t, fresh), map[string]bool{"Assignment 1": true, "Assignment 3": true})
	checkHandoutRun(t, "Assignment 1 written", runHandoutTests(t, a1), map[string]bool{"Assignment 3": true})
}
