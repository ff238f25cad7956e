package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestGradCheckPassesOnOurLayers(t *testing.T) {
	needLab(t, labAll)
	code, out, stderr := runMain("-exp", "gradcheck")
	if code != 0 {
		t.Fatalf("go run . -exp gradcheck: exit code %d; want 0\n%s\n%s", code, out, stderr)
	}
	if n := strings.Count(out, "  ok\n"); n != 12 {
		t.Errorf("got %d rows marked ok; want 12 (2 pipelines × 3 linear layers × W, B):\n%s", n, out)
	}
	for _, want := range []string{"Linear_1    W", "Linear_OUT  B", "LossCrossEntropyForSoftmaxLogits", "all 12 gradients agree"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
}

// buggyLinear is a LinearLayer whose Grad has one of the bugs students
// make.
type buggyLinear struct {
	*LinearLayer
	bug string
}

func (l *buggyLinear) Grad(_ []*Matrix, X, deltaNext *Matrix) []*Matrix {
	g := l.LinearLayer.Grad(nil, X, deltaNext)
	n := float64(X.Rows)
	switch l.bug {
	case "sum, not mean": // forgot the 1/n
		g[0].Scale(n)
		g[1].Scale(n)
	case "dB not averaged":
		g[1].Scale(n)
	case "transposed dW": // δᵀ·X instead of Xᵀ·δ
		t := NewMatrix(g[0].Cols, g[0].Rows)
		for i := 0; i < g[0].Rows; i++ {
			for j := 0; j < g[0].Cols; j++ {
				t.Set(j, i, g[0].At(i, j))
			}
		}
		if t.Rows == g[0].Rows { // a square layer: same shape, wrong values
			copy(g[0].Data, t.Data)
		} else {
			g[0] = t
		}
	case "mean taken twice":
		g[0].Scale(1 / n)
	}
	return g
}

// buggySoftmax forgets the ⟨δ, p⟩ term of the softmax's delta: what a
// student gets who uses only the diagonal of the Jacobian.
type buggySoftmax struct{ *SoftmaxLayer }

func (l *buggySoftmax) Delta(_, Y, deltaNext *Matrix) *Matrix {
	d := NewMatrix(Y.Rows, Y.Cols)
	for i, p := range Y.Data {
		d.Data[i] = p * deltaNext.Data[i]
	}
	return d
}

// TestGradCheckCatchesWrongGradients: the check must fail (exit non-zero,
// FAIL on the broken layer) for each bug, or it cannot catch them.
func TestGradCheckCatchesWrongGradients(t *testing.T) {
	needLab(t, labAll)
	cases := []struct {
		bug       string
		failLayer string // a layer the table must mark FAIL
	}{
		{"sum, not mean", "Linear_2"},
		{"dB not averaged", "Linear_2"},
		{"transposed dW", "Linear_2"},
		{"mean taken twice", "Linear_2"},
		{"softmax delta without ⟨δ,p⟩", "Linear_OUT"},
	}
	for _, c := range cases {
		for _, square := range []bool{false, true} {
			if square && c.bug != "transposed dW" {
				continue
			}
			name := c.bug
			if square {
				name += " (square)"
			}
			t.Run(name, func(t *testing.T) {
				rng := newRNG(5)
				w2 := 6
				if square {
					w2 = 7
				}
				var l2 Layer = NewLinearLayer(7, w2, rng, "Linear_2")
				var sm Layer = NewSoftmaxLayer("Softmax_OUT")
				if strings.HasPrefix(c.bug, "softmax") {
					sm = &buggySoftmax{sm.(*SoftmaxLayer)}
				} else {
					l2 = &buggyLinear{l2.(*LinearLayer), c.bug}
				}
				net := NewMLP(5, []Layer{
					NewLinearLayer(5, 7, rng, "Linear_1"), NewReLULayer("ReLU_1"),
					l2, NewReLULayer("ReLU_2"),
					NewLinearLayer(w2, 4, rng, "Linear_OUT"), sm,
				}, NewLossCrossEntropy("CE"), nil)
				X, T := randomBatch(rng, 8, 5, 4)
				var out bytes.Buffer
				err := runGradCheck(&out, []gradCase{{"buggy", net, X, T}}, defaultGradTol)
				if err == nil {
					t.Fatalf("runGradCheck: got no error; want a failure\n%s", &out)
				}
				found := false
				for _, line := range strings.Split(out.String(), "\n") {
					if strings.HasPrefix(strings.TrimSpace(line), c.failLayer+" ") && strings.HasSuffix(line, "FAIL") {
						found = true
					}
				}
				if !found {
					t.Errorf("no row of %s is marked FAIL:\n%s", c.failLayer, &out)
				}
			})
		}
	}
}

func TestGradCheckExitCode(t *testing.T) {
	needLab(t, labAll)
	// A tolerance no finite-difference estimate meets makes the command fail.
	code, _, stderr := runMain("-exp", "gradcheck", "-tol", "1e-300")
	if code != 1 {
		t.Errorf("-tol 1e-300: exit code %d; want 1", code)
	}
	if !strings.Contains(stderr, "gradient check failed") {
		t.Errorf("stderr %q does not say the check failed", stderr)
	}
}

func TestRelErr(t *testing.T) {
	nan := math.NaN()
	cases := []struct{ a, b, want float64 }{
		{0, 0, 0},
		{1, 1, 0},
		{1, 2, 0.5},
		{1, 1.5, 0.5 / 1.5},
		{-2, 2, 2},
		{0.125, 0.25, 0.25}, // both below the floor 0.5: the difference / 0.5
	}
	for _, c := range cases {
		if got := relErr(c.a, c.b, 0.5); got != c.want {
			t.Errorf("relErr(%g, %g, 0.5) = %g; want %g", c.a, c.b, got, c.want)
		}
	}
	for _, c := range [][2]float64{{nan, 1}, {1, nan}, {nan, nan}, {math.Inf(1), 1}, {math.Inf(1), math.Inf(-1)}} {
		if got := relErr(c[0], c[1], 1e-3); !math.IsInf(got, 1) {
			t.Errorf("relErr(%g, %g) = %g; want +Inf, which no tolerance passes", c[0], c[1], got)
		}
	}
}
