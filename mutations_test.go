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
	"slices"
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
	alsoPart     string        // another part that may lose points (the method is graded in both)
	timeout      time.Duration // the limit of each method's process (gradeOptions.timeout), when not the default
}

var mutations = []mutation{
	{
		fault: "softmax over the wrong axis (each column normalised)", file: "layers.go", method: "SoftmaxLayer.Forward", part: "softmax", alsoPart: "stable-softmax",
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
		fault: "a softmax forward that overwrites its input", file: "layers.go", method: "SoftmaxLayer.Forward", part: "softmax", alsoPart: "stable-softmax",
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
		fault: "softmax delta from the Jacobian's diagonal only", file: "layers.go", method: "SoftmaxLayer.Delta", part: "softmax",
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

// mutatedSubmission writes the solution's student files, with each of
// ms (a fault, or a set of correct variants) applied, into a new directory.
func mutatedSubmission(t *testing.T, ms ...mutation) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range studentFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.file == f {
				if data, err = m.apply(data); err != nil {
					t.Fatal(err)
				}
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
		if p := parts[m.part]; p == nil || !slices.Contains(p.methods, m.method) {
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
					// A test may meet the stub of another method of its part
					// first (the softmax's Delta tests run its Forward).
					onStub := false
					for _, name := range p.part.methods {
						onStub = onStub || strings.Contains(r.failure, fmt.Sprintf("not implemented: %s (", name))
					}
					if r.passed || !onStub {
						t.Errorf("part %s, %s: passed %v, %q; want a failure on a stub of %s", p.part.id, r.name, r.passed, r.failure, strings.Join(p.part.methods, " or "))
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
				case p.part.id != m.part && p.part.id != m.alsoPart && p.points() != p.part.points:
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

// variants are correct methods written otherwise than the solution, the
// ways students write them: each set is one submission (the solution's
// files with these regions replaced) that must score full marks
// (TestGradeFairness).
var variantSets = [][]mutation{
	{
		{fault: "the template's literal loss −Σ t log x (0·log 0 = NaN for a wrong class with p = 0)", file: "loss.go", method: "LossCrossEntropy.Forward",
			new: `	dst = Resize(dst, X.Rows, 1)
	for i := 0; i < X.Rows; i++ {
		s := 0.0
		for k := 0; k < X.Cols; k++ {
			s += T.At(i, k) * math.Log(X.At(i, k))
		}
		dst.Data[i] = -s
	}
	return dst`},
		{fault: "the template's literal delta −T/X (0/0 = NaN for a wrong class with p = 0)", file: "loss.go", method: "LossCrossEntropy.Delta",
			new: `	dst = Resize(dst, X.Rows, X.Cols)
	for i := range X.Data {
		dst.Data[i] = -T.Data[i] / X.Data[i]
	}
	return dst`},
		{fault: "an if-style ReLU (NaN in, 0 out)", file: "layers.go", method: "ReLULayer.Forward",
			new: `	dst = Resize(dst, X.Rows, X.Cols)
	for i, x := range X.Data {
		if x > 0 {
			dst.Data[i] = x
		} else {
			dst.Data[i] = 0
		}
	}
	return dst`},
		{fault: "an if-style ReLU delta", file: "layers.go", method: "ReLULayer.Delta",
			new: `	dst = Resize(dst, Y.Rows, Y.Cols)
	for i := range Y.Data {
		if Y.Data[i] > 0 {
			dst.Data[i] = deltaNext.Data[i]
		} else {
			dst.Data[i] = 0
		}
	}
	return dst`},
		{fault: "softmax multiplied by 1/Σ instead of divided by Σ", file: "layers.go", method: "SoftmaxLayer.Forward",
			new: `	dst = Resize(dst, X.Rows, X.Cols)
	for i := 0; i < X.Rows; i++ {
		m := X.At(i, 0)
		for k := 1; k < X.Cols; k++ {
			if X.At(i, k) > m {
				m = X.At(i, k)
			}
		}
		sum := 0.0
		for k := 0; k < X.Cols; k++ {
			e := math.Exp(X.At(i, k) - m)
			dst.Set(i, k, e)
			sum += e
		}
		inv := 1 / sum
		for k := 0; k < X.Cols; k++ {
			dst.Set(i, k, dst.At(i, k)*inv)
		}
	}
	return dst`},
		{fault: "the softmax delta through the explicit k×k Jacobian", file: "layers.go", method: "SoftmaxLayer.Delta",
			new: `	dst = Resize(dst, Y.Rows, Y.Cols)
	k := Y.Cols
	J := NewMatrix(k, k)
	for i := 0; i < Y.Rows; i++ {
		p := Y.Row(i)
		for a := 0; a < k; a++ {
			for b := 0; b < k; b++ {
				kron := 0.0
				if a == b {
					kron = 1
				}
				J.Set(a, b, p[b]*(kron-p[a])) // ∂p_b/∂s_a
			}
		}
		for a := 0; a < k; a++ {
			s := 0.0
			for b := 0; b < k; b++ {
				s += J.At(a, b) * deltaNext.At(i, b)
			}
			dst.Set(i, a, s)
		}
	}
	return dst`},
		{fault: "dW and dB multiplied by 1/n", file: "layers.go", method: "LinearLayer.Grad",
			new: `	dst[0] = MatMulAT(dst[0], X, deltaNext)
	dst[0].Scale(1 / float64(X.Rows))
	dst[1] = ColSums(dst[1], deltaNext)
	dst[1].Scale(1 / float64(X.Rows))
	return dst`},
		{fault: "the fused loss as the template writes it, log Σ exp(s) − Σ t s, stably", file: "loss.go", method: "LossCrossEntropyForSoftmaxLogits.Forward",
			new: `	dst = Resize(dst, X.Rows, 1)
	for i := 0; i < X.Rows; i++ {
		s := X.Row(i)
		m := s[0]
		for _, v := range s {
			if v > m {
				m = v
			}
		}
		sum := 0.0
		for _, v := range s {
			sum += math.Exp(v - m)
		}
		lse := m + math.Log(sum)
		ts := 0.0
		for k, v := range s {
			ts += T.At(i, k) * v
		}
		dst.Data[i] = lse - ts
	}
	return dst`},
		{fault: "the fused delta as softmax(s) − t", file: "loss.go", method: "LossCrossEntropyForSoftmaxLogits.Delta",
			new: `	P := NewSoftmaxLayer("p").Forward(nil, X)
	dst = Resize(dst, X.Rows, X.Cols)
	for i := range P.Data {
		dst.Data[i] = P.Data[i] - T.Data[i]
	}
	return dst`},
		{fault: "a Gradient that makes new slices for every layer", file: "mlp.go", method: "MLP.Gradient",
			new: `	outs := []*Matrix{X}
	for _, layer := range n.Layers {
		outs = append(outs, layer.Forward(nil, outs[len(outs)-1]))
	}
	d := n.Loss.Delta(nil, outs[len(outs)-1], T)
	for l := len(n.Layers) - 1; l >= 0; l-- {
		if pl, ok := n.Layers[l].(ParamLayer); ok {
			grads[pl.Name()] = pl.Grad(nil, outs[l], d)
		}
		if l > 0 {
			d = n.Layers[l].Delta(nil, outs[l+1], d)
		}
	}
	return grads`},
	},
	{
		{fault: "a linear forward that allocates its result", file: "layers.go", method: "LinearLayer.Forward",
			new: `	return MatMulBias(nil, X, l.W, l.B)`},
		{fault: "a linear delta that allocates its result", file: "layers.go", method: "LinearLayer.Delta",
			new: `	return MatMulBT(nil, deltaNext, l.W)`},
		{fault: "a linear grad that allocates its result", file: "layers.go", method: "LinearLayer.Grad",
			new: `	n := float64(X.Rows)
	dW := MatMulAT(nil, X, deltaNext)
	dW.Div(n)
	dB := ColSums(nil, deltaNext)
	dB.Div(n)
	return []*Matrix{dW, dB}`},
		{fault: "a ReLU forward that allocates its result", file: "layers.go", method: "ReLULayer.Forward",
			new: `	out := NewMatrix(X.Rows, X.Cols)
	for i, x := range X.Data {
		out.Data[i] = max(x, 0)
	}
	return out`},
		{fault: "a ReLU delta as δ ⊙ [Y > 0], allocating", file: "layers.go", method: "ReLULayer.Delta",
			new: `	out := NewMatrix(Y.Rows, Y.Cols)
	for i, y := range Y.Data {
		if y > 0 {
			out.Data[i] = deltaNext.Data[i] * 1
		}
	}
	return out`},
		{fault: "a softmax forward that allocates, one row slice at a time", file: "layers.go", method: "SoftmaxLayer.Forward",
			new: `	out := NewMatrix(X.Rows, X.Cols)
	for i := 0; i < X.Rows; i++ {
		s := X.Row(i)
		m := math.Inf(-1)
		for _, v := range s {
			m = math.Max(m, v)
		}
		e := make([]float64, len(s))
		sum := 0.0
		for k, v := range s {
			e[k] = math.Exp(v - m)
			sum += e[k]
		}
		for k := range e {
			out.Set(i, k, e[k]/sum)
		}
	}
	return out`},
		{fault: "a softmax delta that allocates", file: "layers.go", method: "SoftmaxLayer.Delta",
			new: `	out := NewMatrix(Y.Rows, Y.Cols)
	for i := 0; i < Y.Rows; i++ {
		dot := 0.0
		for k := 0; k < Y.Cols; k++ {
			dot += Y.At(i, k) * deltaNext.At(i, k)
		}
		for k := 0; k < Y.Cols; k++ {
			out.Set(i, k, Y.At(i, k)*deltaNext.At(i, k)-Y.At(i, k)*dot)
		}
	}
	return out`},
		{fault: "a cross-entropy that allocates and skips t = 0", file: "loss.go", method: "LossCrossEntropy.Forward",
			new: `	out := NewMatrix(X.Rows, 1)
	for i := 0; i < X.Rows; i++ {
		for k := 0; k < X.Cols; k++ {
			if T.At(i, k) > 0 {
				out.Data[i] -= T.At(i, k) * math.Log(X.At(i, k))
			}
		}
	}
	return out`},
		{fault: "a cross-entropy delta that allocates", file: "loss.go", method: "LossCrossEntropy.Delta",
			new: `	out := NewMatrix(X.Rows, X.Cols)
	for i := range out.Data {
		if T.Data[i] != 0 {
			out.Data[i] = -T.Data[i] / X.Data[i]
		}
	}
	return out`},
		{fault: "a Gradient that returns a new map", file: "mlp.go", method: "MLP.Gradient",
			new: `	out := map[string][]*Matrix{}
	acts := make([]*Matrix, len(n.Layers)+1)
	acts[0] = X
	for l, layer := range n.Layers {
		acts[l+1] = layer.Forward(nil, acts[l])
	}
	delta := n.Loss.Delta(nil, acts[len(n.Layers)], T)
	for l := len(n.Layers) - 1; l >= 0; l-- {
		if pl, ok := n.Layers[l].(ParamLayer); ok {
			g := pl.Grad(nil, acts[l], delta)
			out[pl.Name()] = g
			grads[pl.Name()] = g
		}
		delta = n.Layers[l].Delta(nil, acts[l+1], delta)
	}
	return out`},
	},
}

// TestGradeFairness grades each set of correct variants: every method
// keeps its points, whatever the notes say.
func TestGradeFairness(t *testing.T) {
	gradeChecksOnly(t)
	for i, set := range variantSets {
		t.Run(fmt.Sprintf("set%d", i+1), func(t *testing.T) {
			rep, err := gradeSubmission(gradeOptions{grader: ".", submission: mutatedSubmission(t, set...)})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			rep.write(&b)
			if got, auto := rep.score(); got != auto {
				t.Errorf("correct variants score %v/%v; want full marks:\n%s", got, auto, b.String())
			}
		})
	}
}
