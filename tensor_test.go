package main

// Tests of the matrix type and the three products (go test -run MatMul):
// every product against a naive triple loop (naiveSums, gemm_test.go), on shapes from
// 1×1 to larger than a chunk, bit-identical on 1 and 8 threads, and the
// panics on a shape mismatch.

import (
	"math"
	"strings"
	"testing"
)

// MatMulBias with a nil bias is MatMul.
func TestMatMulBiasNil(t *testing.T) {
	rng := newTestRNG(8)
	A, B := randMatrix(rng, 5, 3), randMatrix(rng, 3, 4)
	a, b := NewMatrix(5, 4), NewMatrix(5, 4)
	MatMul(a, A, B)
	MatMulBias(b, A, B, nil)
	checkSame(t, "MatMulBias(nil bias) vs MatMul", b, a)
}

// A shape mismatch is a programmer error: it panics with a message that
// names the shapes involved.
func TestMatMulShapeMismatchPanics(t *testing.T) {
	cases := []struct {
		name  string
		run   func()
		shape []string // substrings the message must contain
	}{
		{"MatMul inner sizes", func() { MatMul(NewMatrix(3, 6), NewMatrix(3, 4), NewMatrix(5, 6)) }, []string{"3x4", "5x6"}},
		{"MatMulBias bias", func() { MatMulBias(NewMatrix(3, 6), NewMatrix(3, 4), NewMatrix(4, 6), NewMatrix(1, 5)) }, []string{"1x5", "4x6"}},
		{"MatMulAT inner sizes", func() { MatMulAT(NewMatrix(3, 6), NewMatrix(4, 3), NewMatrix(5, 6)) }, []string{"4x3", "5x6"}},
		{"MatMulBT inner sizes", func() { MatMulBT(NewMatrix(3, 6), NewMatrix(3, 4), NewMatrix(6, 5)) }, []string{"3x4", "6x5"}},
	}
	for _, c := range cases {
		msg, ok := panicMessage(c.run)
		if !ok {
			t.Errorf("%s: no panic; want a panic naming %v", c.name, c.shape)
			continue
		}
		for _, s := range c.shape {
			if !strings.Contains(msg, s) {
				t.Errorf("%s: panic %q does not name the shape %s", c.name, msg, s)
			}
		}
	}
}

// A destination of another shape is resized: reusing its storage when it
// can hold the result (the training loop's last, smaller batch), else a
// new matrix; nil gives a new one.
func TestMatMulResizesDestination(t *testing.T) {
	rng := newTestRNG(10)
	A, B := randMatrix(rng, 3, 4), randMatrix(rng, 4, 6)
	want, _ := naiveSums(productCases[0], A, B, nil)
	big := NewMatrix(5, 5) // 25 values: room for 3×6
	for _, c := range []struct {
		name  string
		dst   *Matrix
		reuse bool
	}{{"nil", nil, false}, {"too small", NewMatrix(2, 2), false}, {"other shape, room enough", big, true}} {
		got := MatMul(c.dst, A, B)
		if got.Rows != 3 || got.Cols != 6 {
			t.Errorf("MatMul into %s dst: got a %s result; want 3x6", c.name, got.Shape())
			continue
		}
		if reused := c.dst != nil && got == c.dst && &got.Data[0] == &big.Data[0]; reused != c.reuse {
			t.Errorf("MatMul into %s dst: reused its storage %v; want %v", c.name, reused, c.reuse)
		}
		checkClose(t, "MatMul into "+c.name+" dst", got, want, 1e-12)
	}
}

// The kernels write dst while reading A and B, so a dst that shares
// storage with an operand is refused.
func TestMatMulAliasedDestinationPanics(t *testing.T) {
	A := randMatrix(newTestRNG(9), 4, 4)
	if _, ok := panicMessage(func() { MatMul(A, A, NewMatrix(4, 4)) }); !ok {
		t.Errorf("MatMul(A, A, B): no panic; want a panic (dst shares storage with A)")
	}
}

// ---------------------------------------------------------------------------
// The matrix type's small helpers.

// mean |W| of [1 −1; 2 −2] is (1+1+2+2)/4 = 1.5, whereas |mean W| = 0.
func TestMatrixMeanAbs(t *testing.T) {
	if got := mat([]float64{1, -1}, []float64{2, -2}).MeanAbs(); got != 1.5 {
		t.Errorf("MeanAbs([1 -1; 2 -2]) = %v; want 1.5 (the mean of |w|, not |mean w| = 0)", got)
	}
	if got := NewMatrix(0, 3).MeanAbs(); got != 0 {
		t.Errorf("MeanAbs(empty) = %v; want 0", got)
	}
}

func TestMatrixArgmaxRow(t *testing.T) {
	m := mat([]float64{1, 3, 3}, []float64{-1, -2, -3}, []float64{0, math.NaN(), 5})
	for i, want := range []int{1, 0, -1} {
		if got := m.ArgmaxRow(i); got != want {
			t.Errorf("ArgmaxRow(%d) of %v = %d; want %d", i, m.Row(i), got, want)
		}
	}
}

func TestMatrixSliceRowsSharesStorage(t *testing.T) {
	m := mat([]float64{1, 2}, []float64{3, 4}, []float64{5, 6})
	v := m.SliceRows(1, 3)
	if v.Rows != 2 || v.Cols != 2 || v.At(0, 0) != 3 || v.At(1, 1) != 6 {
		t.Fatalf("SliceRows(1, 3) = %s %v; want 2x2 [3 4 5 6]", v.Shape(), v.Data)
	}
	v.Set(0, 0, 30)
	if m.At(1, 0) != 30 {
		t.Errorf("after setting the view's (0,0), m(1,0) = %v; want 30 (a view shares storage)", m.At(1, 0))
	}
	if _, ok := panicMessage(func() { m.SliceRows(2, 4) }); !ok {
		t.Errorf("SliceRows(2, 4) of a 3-row matrix: no panic; want one")
	}
}

func TestMatrixConstructors(t *testing.T) {
	if _, ok := panicMessage(func() { NewMatrixFrom(2, 3, make([]float64, 5)) }); !ok {
		t.Errorf("NewMatrixFrom(2, 3, 5 values): no panic; want one")
	}
	if _, ok := panicMessage(func() { FromRows([][]float64{{1, 2}, {3}}) }); !ok {
		t.Errorf("FromRows with ragged rows: no panic; want one")
	}
	c := mat([]float64{1, 2})
	d := c.Clone()
	d.Data[0] = 9
	if c.Data[0] != 1 {
		t.Errorf("changing a Clone changed the original: %v; want [1 2]", c.Data)
	}
}
