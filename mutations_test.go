package main

// The grader against the solution, the handout and the faults students
// make (solution repository only: these hold pieces of the solution, so
// the handout leaves this file out).
//
//	go test -run '^TestGradeChecks$' -grade.checks -v      (.ci/run runs it)
//
// Each mutation is one typical student fault, applied to the solution
// region of one method: grading the mutated solution must cost points in
// the fault's own part and in no other. The solution itself must grade
// full marks, and the handout 0 with every graded test failing on a stub
// of its own part.

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var gradeChecks = flag.Bool("grade.checks", false, "TestGradeChecks: grade the solution, the handout and every mutation (a few minutes)")

// mutation is one student fault: in the solution region of method (in
// file), old replaced by new (old empty: the region's whole code replaced
// by new). part is the part that must lose points.
type mutation struct {
	fault        string
	file, method string
	old, new     string
	part         string
	timeout      time.Duration // per test, when not the default
}

var mutations = []mutation{
	{
		fault: "softmax over the wrong axis (each column normalised)", file: "layers.go", method: "SoftmaxLayer.Forward", part: "stable-softmax",
		new: `	dst = Resize(dst, X.Rows, X.Cols)
	for j := 0; j < X.Cols; j++ {
		m := math.Inf(-1)
		for i := 0; i < X.Rows; i++ {
			m = max(m, X.At(i, j))
		}
		sum := 0.0
		for i := 0; i < X.Rows; i++ {
			dst.Set(i, j, math.Exp(X.At(i, j)-m))
			sum += dst.At(i, j)
		}
		for i := 0; i < X.Rows; i++ {
			dst.Set(i, j, dst.At(i, j)/sum)
		}
	}
	return dst`,
	},
	{
		fault: "softmax's max taken over the whole batch", file: "layers.go", method: "SoftmaxLayer.Forward", part: "stable-softmax",
		old: "for _, v := range s {\n\t\t\tm = max(m, v)", new: "for _, v := range X.Data {\n\t\t\tm = max(m, v)",
	},
	{
		fault: "no max shift", file: "layers.go", method: "SoftmaxLayer.Forward", part: "stable-softmax",
		old: "p[k] = math.Exp(v - m)", new: "p[k] = math.Exp(v)",
	},
	{
		fault: "a softmax forward that overwrites its input", file: "layers.go", method: "SoftmaxLayer.Forward", part: "stable-softmax",
		old: "dst = Resize(dst, X.Rows, X.Cols)", new: "dst = X",
	},
	{
		fault: "fused delta applied to the logits without the softmax (s − t)", file: "loss.go", method: "LossCrossEntropyForSoftmaxLogits.Delta", part: "fused",
		old: "d[k] = st*(d[k]/sum) - tk", new: "d[k] = s[k] - tk",
	},
	{
		fault: "a fused delta of the wrong form (t − p)", file: "loss.go", method: "LossCrossEntropyForSoftmaxLogits.Delta", part: "fused",
		old: "d[k] = st*(d[k]/sum) - tk", new: "d[k] = tk - st*(d[k]/sum)",
	},
	{
		fault: "log-sum-exp with the max never added back", file: "loss.go", method: "LossCrossEntropyForSoftmaxLogits.Forward", part: "fused",
		old: "loss += tk * ((m - s[k]) + logSum)", new: "loss += tk * (logSum - s[k])",
	},
	{
		fault: "the batch mean taken twice (the loss delta divided by n)", file: "loss.go", method: "LossCrossEntropy.Delta", part: "cross-entropy",
		old: "d = -t / x", new: "d = -t / x / float64(X.Rows)",
	},
	{
		fault: "the per-sample loss divided by the class count", file: "loss.go", method: "LossCrossEntropy.Forward", part: "cross-entropy",
		old: "dst.Data[i] = s", new: "dst.Data[i] = s / float64(X.Cols)",
	},
	{
		fault: "the batch mean taken twice (dW divided by n twice)", file: "layers.go", method: "LinearLayer.Grad", part: "linear",
		old: "dst[0].Div(n)", new: "dst[0].Div(n * n)",
	},
	{
		fault: "ReLU delta tested on Y >= 0", file: "layers.go", method: "ReLULayer.Delta", part: "relu",
		old: "if !(y > 0) {", new: "if !(y >= 0) {",
	},
	{
		fault: "a ReLU forward that overwrites its input", file: "layers.go", method: "ReLULayer.Forward", part: "relu",
		new: `	for i, x := range X.Data {
		X.Data[i] = max(x, 0)
	}
	return X`,
	},
	{
		fault: "softmax delta from the Jacobian's diagonal only", file: "layers.go", method: "SoftmaxLayer.Delta", part: "softmax-delta",
		old: "d[k] = pk * (dn[k] - inner)", new: "d[k] = pk * dn[k]",
	},
	{
		fault: "backpropagation hands Delta the layer's input instead of its output", file: "mlp.go", method: "MLP.Gradient", part: "backprop",
		old: "n.Layers[l].Delta(n.delta[l], n.out[l], d)", new: "n.Layers[l].Delta(n.delta[l], input, d)",
	},
	{
		fault: "a panic (index out of range) in ReLULayer.Delta", file: "layers.go", method: "ReLULayer.Delta", part: "relu",
		old: "dst = Resize(dst, Y.Rows, Y.Cols)", new: "dst = Resize(dst, Y.Rows, Y.Cols)\n\t_ = Y.Data[len(Y.Data)]",
	},
	{
		fault: "an endless loop in LinearLayer.Grad", file: "layers.go", method: "LinearLayer.Grad", part: "linear", timeout: 3 * time.Second,
		old: "n := float64(X.Rows)", new: "for X.Rows > 0 {\n\t}\n\tn := float64(X.Rows)",
	},
}

// apply returns the mutated file, with src the solution's.
func (m mutation) apply(src []byte) ([]byte, error) {
	regions, err := findRegions(m.file, src)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(src), "\n")
	for _, r := range regions {
		if r.method != m.method {
			continue
		}
		body := strings.Join(lines[r.begin+1:r.end], "\n")
		var mutated string
		if m.old == "" {
			mutated = m.new
		} else {
			if n := strings.Count(body, m.old); n != 1 {
				return nil, fmt.Errorf("%q: the region of %s has %d copies of %q; want 1 (has the solution changed?)", m.fault, m.method, n, m.old)
			}
			mutated = strings.Replace(body, m.old, m.new, 1)
		}
		out := append(append(append([]string{}, lines[:r.begin+1]...), mutated), lines[r.end:]...)
		return []byte(strings.Join(out, "\n")), nil
	}
	return nil, fmt.Errorf("%q: %s has no solution region in %s", m.fault, m.method, m.file)
}

// mutatedSubmission writes the solution's student files, one of them with
// m applied, into a new directory.
func mutatedSubmission(t *testing.T, m mutation) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range studentFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if f == m.file {
			if data, err = m.apply(data); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestMutationsApply checks, quickly, that every mutation still applies to
// the solution (exactly one match in its method's region), changes it,
// names a part that grades that method, and leaves a file that parses;
// and that the faults cover the pitfalls the grading must catch.
func TestMutationsApply(t *testing.T) {
	parts := map[string]*labPart{}
	for _, p := range labParts {
		parts[p.id] = p
	}
	for _, m := range mutations {
		src, err := os.ReadFile(m.file)
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.apply(src)
		if err != nil {
			t.Error(err)
			continue
		}
		if string(out) == string(src) {
			t.Errorf("%q changes nothing", m.fault)
		}
		if _, err := findRegions(m.file, out); err != nil {
			t.Errorf("%q: the mutated %s: %v", m.fault, m.file, err)
		}
		if p := parts[m.part]; p == nil || !contains(p.methods, m.method) {
			t.Errorf("%q: part %q does not grade %s", m.fault, m.part, m.method)
		}
	}
	for _, want := range []string{"wrong axis", "no max shift", "without the softmax", "batch mean taken twice", "Y >= 0", "overwrites its input", "wrong form", "panic", "endless loop"} {
		found := false
		for _, m := range mutations {
			found = found || strings.Contains(m.fault, want)
		}
		if !found {
			t.Errorf("no mutation for the fault %q", want)
		}
	}
}

// TestGradeChecks grades the solution (full marks), the handout (0, every
// graded test failing on a stub of its own part's methods) and every
// mutation (points lost in its own part only).
func TestGradeChecks(t *testing.T) {
	if !*gradeChecks {
		t.Skip("grades the solution, the handout and every mutation, a few minutes: go test -run '^TestGradeChecks$' -grade.checks -v (.ci/run runs it)")
	}
	grade := func(t *testing.T, dir string, timeout time.Duration) *gradeResult {
		t.Helper()
		rep, err := gradeSubmission(gradeOptions{grader: ".", submission: dir, timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		if rep.buildError != "" {
			t.Fatalf("does not build:\n%s", rep.buildError)
		}
		return rep
	}
	table := func(rep *gradeResult) string {
		var b strings.Builder
		rep.write(&b)
		return b.String()
	}

	t.Run("solution", func(t *testing.T) {
		rep := grade(t, ".", 0)
		for _, p := range rep.parts {
			if !p.part.byHand && p.points() != p.part.points {
				t.Errorf("part %s: %v of %v points; want full marks", p.part.id, p.points(), p.part.points)
			}
		}
		if got, auto := rep.score(); got != auto || auto != labTotal-2 {
			t.Errorf("score %v/%v; want 8/8\n%s", got, auto, table(rep))
		}
	})

	t.Run("handout", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "handout")
		if _, err := writeHandout(".", dir); err != nil {
			t.Fatal(err)
		}
		rep := grade(t, dir, 0)
		for _, p := range rep.parts {
			if p.part.byHand {
				continue
			}
			if p.points() != 0 {
				t.Errorf("part %s: %v points for the handout; want 0", p.part.id, p.points())
			}
			for _, m := range p.methods {
				for _, r := range m.tests {
					onStub := strings.Contains(r.failure, fmt.Sprintf("not implemented: %s (", m.method.name))
					if r.passed || !onStub {
						t.Errorf("part %s, %s: passed %v, %q; want a failure on the stub of %s", p.part.id, r.name, r.passed, r.failure, m.method.name)
					}
				}
			}
		}
		if got, _ := rep.score(); got != 0 {
			t.Errorf("score %v; want 0\n%s", got, table(rep))
		}
	})

	for _, m := range mutations {
		t.Run(m.fault, func(t *testing.T) {
			rep := grade(t, mutatedSubmission(t, m), m.timeout)
			for _, p := range rep.parts {
				switch {
				case p.part.byHand:
				case p.part.id == m.part && !(p.points() < p.part.points):
					t.Errorf("part %s: %v of %v points; want fewer: the fault lives here\n%s", p.part.id, p.points(), p.part.points, table(rep))
				case p.part.id != m.part && p.points() != p.part.points:
					t.Errorf("part %s: %v of %v points; want full marks: the fault is in part %s\n%s", p.part.id, p.points(), p.part.points, m.part, table(rep))
				}
			}
			r := rep.part(m.part)
			for _, mr := range r.methods {
				if f, failed := mr.firstFailure(); failed {
					t.Logf("%s: %v of %v points in part %s; %s lost %v, first failure %s: %s", m.fault, r.points(), r.part.points, m.part, mr.method.name, mr.method.points(r.part), f.name, f.failure)
				}
				if mr.method.name != m.method && !mr.passed() {
					t.Errorf("%s lost its points, but the fault is in %s\n%s", mr.method.name, m.method, table(rep))
				}
			}
		})
	}
}
