package main

// The grader against the cheats, the broken and the missing (solution
// repository only: the submissions are made from the solution's files and
// the handout's).
//
//	go test -run '^TestGradePrepare$'                          quick: what prepare refuses and stubs
//	go test -run '^TestGradeClass$|^TestGradeLoops$|^TestGradeForgedOutput$' -grade.checks -v    a few minutes (.ci/run)

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// submissionFiles returns the student files of dir (the solution: ".").
func submissionFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range studentFiles {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = string(data)
	}
	return out
}

// writeSubmission writes files (name → content; "" leaves the file out)
// into a new directory dir/name.
func writeSubmission(t *testing.T, dir, name string, files map[string]string) string {
	t.Helper()
	sub := filepath.Join(dir, name)
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, src := range files {
		if src == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(sub, f), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return sub
}

// withFiles returns a copy of base with some files replaced.
func withFiles(base map[string]string, repl map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range repl {
		out[k] = v
	}
	return out
}

// inRegion replaces, in the solution region of method in src, old by
// new (old "": the whole region).
func inRegion(t *testing.T, file, src, method, old, new string) string {
	t.Helper()
	out, err := mutation{fault: method, file: file, method: method, old: old, new: new}.apply([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// handoutFiles makes the handout and returns its student files.
func handoutFiles(t *testing.T) map[string]string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "handout")
	if _, err := writeHandout(".", dir); err != nil {
		t.Fatal(err)
	}
	return submissionFiles(t, dir)
}

// stubCallRE is the handout stub of method.
var stubCallRE = regexp.MustCompile(`panic\(notImplemented\("([A-Za-z.]+)", "Assignment \d"\)\)`)

// initCheat is the init of the issue: it prints a pass for whatever test
// runs and exits before the test does.
const initCheat = `

func init() {
	for _, a := range os.Args {
		if strings.HasPrefix(a, "-test.run=") {
			name := strings.Trim(strings.TrimPrefix(a, "-test.run="), "^$")
			fmt.Printf("=== RUN   %s\n--- PASS: %s (0.00s)\nPASS\n", name, name)
			os.Exit(0)
		}
	}
}
`

// addImports adds imports to a file's import block.
func addImports(src string, paths ...string) string {
	var b strings.Builder
	for _, p := range paths {
		b.WriteString("\t\"" + p + "\"\n")
	}
	return strings.Replace(src, "import (\n", "import (\n"+b.String(), 1)
}

// TestGradePrepare checks what the grader makes of cheating, broken and
// incomplete submissions before any of their code runs.
func TestGradePrepare(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks some thirty submissions, ten seconds: not with -short")
	}
	sol := submissionFiles(t, ".")
	dir := t.TempDir()
	prep := func(t *testing.T, name string, files map[string]string) *preparedSubmission {
		t.Helper()
		ps, err := prepare(".", writeSubmission(t, dir, name, files))
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	wantIssues := func(t *testing.T, ps *preparedSubmission, files map[string]string, methods map[string]string) {
		t.Helper()
		for _, f := range studentFiles {
			got, want := ps.fileIssue[f], files[f]
			if (want == "") != (got == "") || want != "" && !regexp.MustCompile(want).MatchString(got) {
				t.Errorf("%s: not taken because %q; want %q", f, got, want)
			}
		}
		for m := range labMethodAssignments() {
			got, want := ps.methodIssue[m], methods[m]
			if (want == "") != (got == "") || want != "" && !regexp.MustCompile(want).MatchString(got) {
				t.Errorf("%s: issue %q; want %q", m, got, want)
			}
		}
	}

	t.Run("solution", func(t *testing.T) {
		ps := prep(t, "solution", sol)
		wantIssues(t, ps, nil, nil)
		if len(ps.ignored) != 0 {
			t.Errorf("ignored %v; want nothing", ps.ignored)
		}
	})
	t.Run("init that prints PASS and exits", func(t *testing.T) {
		ps := prep(t, "init", withFiles(sol, map[string]string{"mlp.go": addImports(sol["mlp.go"], "os", "strings") + initCheat}))
		wantIssues(t, ps, map[string]string{"mlp.go": `^mlp\.go:\d+: imports "os"; a student file may import only cmp, errors, fmt`}, nil)
		ps = prep(t, "init2", withFiles(sol, map[string]string{"mlp.go": sol["mlp.go"] + "\nfunc init() { panic(\"PASS\") }\n"}))
		wantIssues(t, ps, map[string]string{"mlp.go": `func init: a student file may not declare init functions`}, nil)
	})
	t.Run("package-level initialisers", func(t *testing.T) {
		ps := prep(t, "var", withFiles(sol, map[string]string{"layers.go": sol["layers.go"] + "\nvar bad = NewMatrix(-1, 3)\n"}))
		wantIssues(t, ps, map[string]string{"layers.go": `layers\.go:\d+: a package-level variable initialised by a call \(NewMatrix\)`}, nil)
		ps = prep(t, "var2", withFiles(sol, map[string]string{"loss.go": sol["loss.go"] + "\nvar spin = func() int { for {} }()\n"}))
		wantIssues(t, ps, map[string]string{"loss.go": `package-level variable initialised by a call`}, nil)
		for i, v := range []string{"var zero = 0\nvar inf = 1 / zero", "var ch chan int\nvar never = <-ch", "var xs []int\nvar x = xs[1]", "var p *int\nvar y = *p"} {
			ps = prep(t, fmt.Sprintf("risk%d", i), withFiles(sol, map[string]string{"loss.go": sol["loss.go"] + "\n" + v + "\n"}))
			wantIssues(t, ps, map[string]string{"loss.go": `loss\.go:\d+: a package-level variable initialised by .*, which can panic or block before any test`}, nil)
		}
		ps = prep(t, "var3", withFiles(sol, map[string]string{"loss.go": sol["loss.go"] + "\nvar ok, half, tiny = float64(1), 1.0 / 2, -1e-300\n"}))
		wantIssues(t, ps, nil, nil)
	})
	t.Run("forbidden imports and directives", func(t *testing.T) {
		for _, imp := range []string{"os/exec", "syscall", "unsafe", "reflect", "runtime", "runtime/debug", "plugin", "net/http", "io", "time"} {
			ps := prep(t, "imp-"+strings.ReplaceAll(imp, "/", "-"), withFiles(sol, map[string]string{"loss.go": strings.Replace(sol["loss.go"], "import (\n", "import (\n\t_ \""+imp+"\"\n", 1)}))
			wantIssues(t, ps, map[string]string{"loss.go": `imports "` + regexp.QuoteMeta(imp) + `"`}, nil)
		}
		ps := prep(t, "linkname", withFiles(sol, map[string]string{"loss.go": sol["loss.go"] + "\n//go:linkname x runtime.x\nvar x int\n"}))
		wantIssues(t, ps, map[string]string{"loss.go": `//go: directives`}, nil)
		ps = prep(t, "build", withFiles(sol, map[string]string{"loss.go": "//go:build ignore\n\n" + sol["loss.go"]}))
		wantIssues(t, ps, map[string]string{"loss.go": `build constraints`}, nil)
		ps = prep(t, "line", withFiles(sol, map[string]string{"loss.go": strings.Replace(sol["loss.go"], "\nfunc ", "\n//line tensor.go:1\nfunc ", 1)}))
		wantIssues(t, ps, map[string]string{"loss.go": `//line directives`}, nil)
	})
	t.Run("the grader's reference through other", func(t *testing.T) {
		h := handoutFiles(t)
		cheat := stubCallRE.ReplaceAllStringFunc(h["layers.go"], func(call string) string {
			switch stubCallRE.FindStringSubmatch(call)[1] {
			case "LinearLayer.Forward":
				return "return other.linear(l).Forward(dst, X)"
			case "ReLULayer.Forward":
				return "return other.relu(l).Forward(dst, X)"
			}
			return call
		})
		ps := prep(t, "other", withFiles(h, map[string]string{"layers.go": cheat}))
		wantIssues(t, ps, nil, map[string]string{
			"LinearLayer.Forward": `^does not compile: layers\.go:\d+: undefined: other \(only the grader's tests declare it`,
			"ReLULayer.Forward":   `^does not compile: layers\.go:\d+: undefined: other`,
		})
	})
	t.Run("provided code that writes files or exits", func(t *testing.T) {
		mlp := inRegion(t, "mlp.go", sol["mlp.go"], "MLP.Gradient", "in := X\n", "in := X\n\tremoveStaleTemps(\"..\")\n\tgo processAlive(1)\n")
		ps := prep(t, "calls", withFiles(sol, map[string]string{"mlp.go": mlp}))
		wantIssues(t, ps, nil, map[string]string{"MLP.Gradient": `^mlp\.go:\d+: uses removeStaleTemps of files\.go, which a submission may not call`})
	})
	t.Run("symbolic links, other files, oversize", func(t *testing.T) {
		sub := writeSubmission(t, dir, "links", map[string]string{"mlp.go": sol["mlp.go"], "notes.txt": "x"})
		for _, f := range []string{"layers.go", "loss.go"} {
			abs, _ := filepath.Abs(f)
			if err := os.Symlink(abs, filepath.Join(sub, f)); err != nil {
				t.Skip("no symbolic links here:", err)
			}
		}
		os.WriteFile(filepath.Join(sub, "grade.txt"), []byte("an earlier table"), 0o644)
		ps, err := prepare(".", sub)
		if err != nil {
			t.Fatal(err)
		}
		wantIssues(t, ps, map[string]string{"layers.go": `^layers\.go is a symbolic link`, "loss.go": `^loss\.go is a symbolic link`}, nil)
		if strings.Join(ps.ignored, ",") != "notes.txt" {
			t.Errorf("ignored %v; want [notes.txt] (grade.txt is the grader's own)", ps.ignored)
		}
		if !strings.Contains(string(ps.files["layers.go"]), `panic(notImplemented("LinearLayer.Forward", "Assignment 1"))`) {
			t.Errorf("a layers.go not taken is not graded as the stubs")
		}
		big := sol["loss.go"] + "\n//" + strings.Repeat("x", maxStudentFile) + "\n"
		ps = prep(t, "big", withFiles(sol, map[string]string{"loss.go": big}))
		wantIssues(t, ps, map[string]string{"loss.go": `more than the \d+ a student file may have`}, nil)
	})
	t.Run("compile errors, one method each", func(t *testing.T) {
		files := map[string]string{
			"layers.go": inRegion(t, "layers.go", sol["layers.go"], "SoftmaxLayer.Forward", "sum := 0.0\n", "sum := 0.0\n\t\tunused := 1\n"),
			"loss.go":   inRegion(t, "loss.go", sol["loss.go"], "LossCrossEntropy.Delta", "d := 0.0", "d := 0.0 +"), // a syntax error
			"mlp.go":    inRegion(t, "mlp.go", sol["mlp.go"], "MLP.Gradient", "in := X", "in := X + 1"),
		}
		ps := prep(t, "compile", files)
		wantIssues(t, ps, nil, map[string]string{
			"SoftmaxLayer.Forward":   `^does not compile: layers\.go:\d+: (declared and not used: unused|unused declared and not used)$`,
			"LossCrossEntropy.Delta": `^does not compile: loss\.go:\d+: `,
			"MLP.Gradient":           `^does not compile: mlp\.go:\d+: .*mismatched types|^does not compile: mlp\.go:\d+: .*operator`,
		})
	})
	t.Run("a missing file", func(t *testing.T) {
		ps := prep(t, "missing", withFiles(sol, map[string]string{"loss.go": ""}))
		wantIssues(t, ps, map[string]string{"loss.go": `^loss\.go is missing$`}, nil)
	})
}

// gradeChecksOnly skips a slow end-to-end check unless -grade.checks.
func gradeChecksOnly(t *testing.T) {
	t.Helper()
	if !*gradeChecks {
		t.Skip("grades whole submissions, minutes: go test -run '" + t.Name() + "' -grade.checks -v (.ci/run runs it)")
	}
}

// TestGradeClass grades a class of seven through gradeClass: the
// solution, the handout, the issue's cheats on the handout (an init that
// prints PASS, the grader's reference through other, symbolic links to the
// solution), a compile error in each student file, a missing file, and a
// plain file among the subdirectories; it checks the gradebook cell by cell,
// the tables written beside the submissions, and one results.json field by
// field.
func TestGradeClass(t *testing.T) {
	gradeChecksOnly(t)
	sol := submissionFiles(t, ".")
	h := handoutFiles(t)
	class := t.TempDir()
	writeSubmission(t, class, "a-solution", sol)
	writeSubmission(t, class, "b-handout", h)
	writeSubmission(t, class, "c-init-cheat", withFiles(h, map[string]string{"mlp.go": addImports(h["mlp.go"], "os", "strings") + initCheat}))
	writeSubmission(t, class, "d-other-cheat", withFiles(h, map[string]string{
		"layers.go": stubCallRE.ReplaceAllStringFunc(h["layers.go"], func(call string) string {
			switch m := stubCallRE.FindStringSubmatch(call)[1]; m {
			case "LinearLayer.Forward", "ReLULayer.Forward", "SoftmaxLayer.Forward":
				kind := map[string]string{"LinearLayer.Forward": "linear", "ReLULayer.Forward": "relu", "SoftmaxLayer.Forward": "softmax"}[m]
				return "return other." + kind + "(l).Forward(dst, X)"
			}
			return call
		}),
	}))
	links := writeSubmission(t, class, "e-symlinks", nil)
	for _, f := range studentFiles {
		abs, _ := filepath.Abs(f)
		if err := os.Symlink(abs, filepath.Join(links, f)); err != nil {
			t.Skip("no symbolic links here:", err)
		}
	}
	writeSubmission(t, class, "f-compile-errors", map[string]string{
		"layers.go": inRegion(t, "layers.go", sol["layers.go"], "SoftmaxLayer.Forward", "sum := 0.0\n", "sum := 0.0\n\t\tunused := 1\n"),
		"loss.go":   inRegion(t, "loss.go", sol["loss.go"], "LossCrossEntropyForSoftmaxLogits.Delta", "d[k] = st*(d[k]/sum) - tk", "d[k] = st*(d[k]/sum) - tk +"),
		"mlp.go":    inRegion(t, "mlp.go", sol["mlp.go"], "MLP.Gradient", "in := X", "in := X + 1"),
	})
	writeSubmission(t, class, "g-missing-loss", withFiles(sol, map[string]string{"loss.go": ""}))
	os.WriteFile(filepath.Join(class, "README.txt"), []byte("not a submission"), 0o644)

	gradebook := filepath.Join(t.TempDir(), "gradebook.csv")
	var progress bytes.Buffer
	rows, err := gradeClass(".", class, gradebook, 0, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(progress.String(), "graded "); n != 7 {
		t.Errorf("%d progress lines; want 7:\n%s", n, progress.String())
	}
	data, err := os.ReadFile(gradebook)
	if err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"submission", "linear", "relu", "softmax", "cross-entropy", "backprop", "stable-softmax", "fused", "score", "max_score", "note"},
		{"a-solution", "1.5", "1", "1", "1", "1.5", "1", "1", "8", "8", ""},
		{"b-handout", "0", "0", "0", "0", "0", "0", "0", "0", "8", ""},
		{"c-init-cheat", "0", "0", "0", "0", "0", "0", "0", "0", "8", `^mlp\.go:\d+: imports "os"`},
		{"d-other-cheat", "0", "0", "0", "0", "0", "0", "0", "0", "8", ""},
		{"e-symlinks", "0", "0", "0", "0", "0", "0", "0", "0", "8", `^layers\.go is a symbolic link: .*; loss\.go is a symbolic link: .*; mlp\.go is a symbolic link`},
		{"f-compile-errors", "1.5", "1", "0.5", "1", "0", "0", "0.5", "4.5", "8", ""},
		{"g-missing-loss", "1.5", "1", "1", "0", "1.5", "1", "0", "6", "8", `^loss\.go is missing$`},
	}
	tables := map[string]string{}
	for _, r := range rows {
		tables[r.name] = string(r.table)
	}
	if len(got) != len(want) {
		t.Fatalf("gradebook has %d rows; want %d:\n%s", len(got), len(want), data)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Errorf("row %d has %d cells; want %d: %q", i, len(got[i]), len(want[i]), got[i])
			continue
		}
		for j := range want[i] {
			ok := got[i][j] == want[i][j]
			if j == len(want[i])-1 && i > 0 && want[i][j] != "" {
				ok = regexp.MustCompile(want[i][j]).MatchString(got[i][j])
			}
			if !ok {
				t.Errorf("row %s, column %s: %q; want %q\n%s", want[i][0], want[0][j], got[i][j], want[i][j], tables[want[i][0]])
			}
		}
	}
	for _, name := range []string{"a-solution", "f-compile-errors"} {
		table, err := os.ReadFile(filepath.Join(class, name, "grade.txt"))
		if err != nil || !bytes.Equal(table, []byte(tables[name])) {
			t.Errorf("%s/grade.txt: %v; want the table", name, err)
		}
	}
	if tab := tables["f-compile-errors"]; !regexp.MustCompile(`(?m)^    MLP\.Gradient: 0 of 1\.5: does not compile: mlp\.go:\d+: `).MatchString(tab) {
		t.Errorf("the compile error's table does not name MLP.Gradient's compiler message:\n%s", tab)
	}

	// results.json of the compile errors, field by field.
	var rep *gradeResult
	for _, r := range rows {
		if r.name == "f-compile-errors" {
			rep = r.rep
		}
	}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := writeResults(path, rep); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	var res map[string]any
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("results.json: %v\n%s", err, raw)
	}
	if res["score"] != 4.5 || res["max_score"] != 8.0 || res["visibility"] != "visible" {
		t.Errorf("results.json: score %v, max_score %v, visibility %v; want 4.5, 8, visible", res["score"], res["max_score"], res["visibility"])
	}
	if et, ok := res["execution_time"].(float64); !ok || !(et > 0) {
		t.Errorf("results.json: execution_time %v; want seconds > 0", res["execution_time"])
	}
	tests, _ := res["tests"].([]any)
	if len(tests) != 13 {
		t.Fatalf("results.json has %d tests; want 13, one per graded method (SoftmaxLayer.Forward twice)", len(tests))
	}
	sum := 0.0
	for _, x := range tests {
		tc := x.(map[string]any)
		for _, k := range []string{"name", "score", "max_score", "output", "visibility"} {
			if _, ok := tc[k]; !ok {
				t.Errorf("results.json test %v has no %s", tc["name"], k)
			}
		}
		sum += tc["max_score"].(float64)
		if tc["name"] == "Assignment 1: MLP.Gradient" {
			if tc["score"] != 0.0 || tc["max_score"] != 1.5 || !strings.HasPrefix(tc["output"].(string), "does not compile: mlp.go:") {
				t.Errorf("results.json, MLP.Gradient: %v; want 0 of 1.5, does not compile", tc)
			}
		}
		if tc["name"] == "Assignment 1: LinearLayer.Forward" && (tc["score"] != 0.5 || tc["output"] != "all 2 tests passed") {
			t.Errorf("results.json, LinearLayer.Forward: %v; want 0.5 of 0.5, all 2 tests passed", tc)
		}
	}
	if sum != 8 {
		t.Errorf("results.json: the tests' max_score add up to %v; want 8", sum)
	}
}

// TestGradeLoops grades a submission that loops forever in every method:
// each method's first test runs out of time, the method's other tests are
// not run, and the table is complete (0/8).
func TestGradeLoops(t *testing.T) {
	gradeChecksOnly(t)
	h := handoutFiles(t)
	loops := map[string]string{}
	for f, src := range h {
		loops[f] = stubCallRE.ReplaceAllString(src, "for {\n\t}")
	}
	start := time.Now()
	rep, err := gradeSubmission(gradeOptions{grader: ".", submission: writeSubmission(t, t.TempDir(), "loops", loops), timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.write(&b)
	t.Logf("graded in %v (2 s for each method's tests; the default %v)\n%s", time.Since(start).Round(time.Second), defaultGradeTimeout, b.String())
	if got, _ := rep.score(); got != 0 {
		t.Errorf("score %v; want 0", got)
	}
	for _, p := range rep.parts {
		for _, m := range p.methods {
			timedOut := 0
			for _, r := range m.tests {
				switch {
				case r.timedOut:
					timedOut++
				case !strings.HasPrefix(r.failure, "not run: "):
					t.Errorf("%s, %s: %q; want not run after the first timed out", m.method.name, r.name, r.failure)
				}
			}
			if timedOut != 1 {
				t.Errorf("%s: %d tests ran out of time; want 1", m.method.name, timedOut)
			}
		}
	}
}

// TestGradeForgedOutput grades a LinearLayer.Forward that prints what a
// passing test prints and then never returns, and one that prints it and
// panics: neither passes, since verdicts do not come from the output.
func TestGradeForgedOutput(t *testing.T) {
	gradeChecksOnly(t)
	sol := submissionFiles(t, ".")
	forged := `fmt.Println("--- PASS: TestLinearForwardHand (0.00s)\nPASS\nok")
	for {
	}`
	layers := inRegion(t, "layers.go", sol["layers.go"], "LinearLayer.Forward", "", "\t"+forged)
	layers = inRegion(t, "layers.go", layers, "LinearLayer.Delta", "", "\tfmt.Println(\"--- PASS: TestLinearDeltaHand (0.00s)\\nPASS\")\n\tpanic(\"PASS\")")
	rep, err := gradeSubmission(gradeOptions{grader: ".", submission: writeSubmission(t, t.TempDir(), "forged", withFiles(sol, map[string]string{"layers.go": layers})), timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.write(&b)
	if got := rep.part("linear").points(); got != 0.5 {
		t.Errorf("linear part: %v points; want 0.5 (Grad's only)\n%s", got, b.String())
	}
	if got, _ := rep.score(); got != 7 {
		t.Errorf("score %v; want 7\n%s", got, b.String())
	}
}

// TestGradeMakeQuoting runs make grade-class and make grade with paths
// holding a double quote, a backtick, $(…) and a single quote: neither make
// nor the shell may run any of it, and the grader must get the path as
// written (here: a class directory that does not exist, so it says so).
func TestGradeMakeQuoting(t *testing.T) {
	gradeChecksOnly(t)
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	dir := t.TempDir()
	odd := filepath.Join(dir, "a\"b`touch bt`$(shell touch mk)$$(touch sh)'c d")
	for _, c := range [][]string{
		{"grade-class", "SUBMISSIONS=" + odd, "GRADEBOOK=" + odd + ".csv"},
		{"grade", "SUBMISSION=" + odd, "RESULTS=" + odd + ".json"},
	} {
		cmd := exec.Command("make", "-s", c[0], c[1], c[2])
		cmd.Env = append(os.Environ(), "MAKEFLAGS=")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("make %s with a class directory that does not exist succeeded:\n%s", c[0], out)
		}
		if !strings.Contains(string(out), odd) {
			t.Errorf("make %s: the grader's message does not name the path as given (%q):\n%s", c[0], odd, out)
		}
		for _, f := range []string{"bt", "mk", "sh"} {
			for _, d := range []string{".", dir} {
				if _, err := os.Stat(filepath.Join(d, f)); err == nil {
					os.Remove(filepath.Join(d, f))
					t.Errorf("make %s ran a command from the path: %s/%s exists", c[0], d, f)
				}
			}
		}
	}
}

// TestGradeHelperNamesClash grades nothing: it checks that a student
// helper named like a helper of the tests (mean, mat) is renamed in the
// prepared files, so that the graded build does not fail on it.
func TestGradeHelperNamesClash(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command: not with -short")
	}
	sol := submissionFiles(t, ".")
	layers := sol["layers.go"] + "\nfunc mean(v []float64) float64 { return v[0] }\n\nvar mat = 2.0\n"
	layers = inRegion(t, "layers.go", layers, "LinearLayer.Forward", "", "\t_ = mean([]float64{mat})\n\treturn MatMulBias(dst, X, l.W, l.B)")
	ps, err := prepare(".", writeSubmission(t, t.TempDir(), "clash", withFiles(sol, map[string]string{"layers.go": layers})))
	if err != nil {
		t.Fatal(err)
	}
	got := string(ps.files["layers.go"])
	for _, want := range []string{"func student_mean(v []float64)", "var student_mat = 2.0", "_ = student_mean([]float64{student_mat})"} {
		if !strings.Contains(got, want) {
			t.Errorf("the prepared layers.go lacks %q", want)
		}
	}
	if len(ps.methodIssue) > 0 || len(ps.fileIssue) > 0 {
		t.Errorf("issues %v %v; want none", ps.methodIssue, ps.fileIssue)
	}
}

// TestGradeInterrupted interrupts a grading (SIGINT) while its tests run:
// the grader must end with 130 and leave none of its temporary files.
func TestGradeInterrupted(t *testing.T) {
	gradeChecksOnly(t)
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cmd := exec.Command(bin, "-test.run", "^TestGrade$", "-grade", ".")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	running := false
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline) && !running; time.Sleep(50 * time.Millisecond) {
		m, _ := filepath.Glob(filepath.Join(tmp, "backprop-grade-run-*"))
		running = len(m) > 0
	}
	if !running {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the grading never started its tests:\n%s", out.String())
	}
	cmd.Process.Signal(os.Interrupt)
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit code %d (%v); want 130\n%s", code, err, out.String())
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "backprop-grade-*"))
	if len(left) > 0 {
		t.Errorf("left behind after Ctrl-C: %v", left)
	}
}
