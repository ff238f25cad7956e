package main

// Tests of the matrix type and the products' interface (go test -run
// 'MatMul|Matrix|ShapePanics'): a destination resized or refused when it
// shares an operand's storage, a nil bias, the matrix methods, and the
// panics on a shape mismatch (TestShapePanicsHaveOneForm, which checks each
// message whole). The products' sums themselves are checked against naive
// sums (naiveSums), on shapes from 1×1 to larger than a chunk and on 1, 2
// and 8 threads, in gemm_test.go (go test -run Kernels).

import (
	"math"
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
	m := mat([]float64{1, 3, 3}, []float64{-1, -2, -3}, []float64{0, math.NaN(), 5}, []float64{math.NaN(), 1, 2})
	for i, want := range []struct {
		k  int
		ok bool
	}{{1, true}, {0, true}, {0, false}, {0, false}} {
		if k, ok := m.ArgmaxRow(i); k != want.k || ok != want.ok {
			t.Errorf("ArgmaxRow(%d) of %v = %d, %v; want %d, %v", i, m.Row(i), k, ok, want.k, want.ok)
		}
	}
	if k, ok := NewMatrix(2, 0).ArgmaxRow(1); k != 0 || ok {
		t.Errorf("ArgmaxRow of a row without columns = %d, %v; want 0, false", k, ok)
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

// A Clone is a copy. (The constructors' panics are rows of
// TestShapePanicsHaveOneForm.)
func TestMatrixClone(t *testing.T) {
	c := mat([]float64{1, 2})
	d := c.Clone()
	d.Data[0] = 9
	if c.Data[0] != 1 {
		t.Errorf("changing a Clone changed the original: %v; want [1 2]", c.Data)
	}
}

// Every shape panic of the matrices, the products, the layers, the losses
// and the network has one form (panicShape): the operation, what it got
// with shapes spelt n×k, and what it wants.
func TestShapePanicsHaveOneForm(t *testing.T) {
	lin := NewLinearLayer(2, 4, newTestRNG(1), "Linear_1")
	net := NewMLP(2, []Layer{lin}, NewLossCrossEntropyForSoftmaxLogits("CE"), nil)
	cases := []struct {
		run  func()
		want string
	}{
		{func() { NewMatrix(-1, 3) }, "NewMatrix: the shape is -1×3: want no negative size"},
		{func() { Resize(nil, 2, -3) }, "Resize: the shape is 2×-3: want no negative size"},
		{func() { NewMatrixFrom(2, 3, make([]float64, 5)) }, "NewMatrixFrom: data has 5 values: want the values of a 2×3 matrix"},
		{func() { FromRows([][]float64{{1, 2}, {3}}) }, "FromRows: row 1 has 1 values: want 2, as row 0 has"},
		{func() { NewMatrix(3, 2).SliceRows(1, 5) }, "SliceRows: rows [1, 5), m is 3×2: want 0 ≤ i0 ≤ i1 ≤ 3"},
		{func() { NewMatrix(2, 3).Add(NewMatrix(3, 2)) }, "Add: m is 2×3, B is 3×2: want the same shape"},
		{func() { MatMul(nil, NewMatrix(3, 4), NewMatrix(5, 6)) }, "MatMul: A is 3×4, B is 5×6: want A n×k and B k×m"},
		{func() { MatMulBias(nil, NewMatrix(3, 4), NewMatrix(4, 6), NewMatrix(1, 5)) }, "MatMulBias: bias is 1×5, B is 4×6: want bias 1×6 for that B"},
		{func() { MatMulAT(nil, NewMatrix(4, 3), NewMatrix(5, 6)) }, "MatMulAT: A is 4×3, B is 5×6: want A k×n and B k×m"},
		{func() { MatMulBT(nil, NewMatrix(3, 4), NewMatrix(6, 5)) }, "MatMulBT: A is 3×4, B is 6×5: want A n×k and B m×k"},
		{func() { lin.UpdateParams([]*Matrix{NewMatrix(2, 4)}) }, "Linear_1 UpdateParams: dtheta has 1 matrices: want [dW, dB] of shapes [2×4, 1×4]"},
		{func() { lin.UpdateParams([]*Matrix{NewMatrix(2, 3), NewMatrix(1, 3)}) }, "Linear_1 UpdateParams: dW is 2×3, dB is 1×3: want [dW, dB] of shapes [2×4, 1×4]"},
		{func() { net.Loss.Forward(nil, NewMatrix(4, 3), NewMatrix(4, 2)) }, "CE Forward: X is 4×3, T is 4×2: want the same shape"},
		{func() { net.Loss.Delta(nil, NewMatrix(4, 3), NewMatrix(5, 3)) }, "CE Delta: X is 4×3, T is 5×3: want the same shape"},
		{func() { net.Gradient(nil, NewMatrix(3, 2), NewMatrix(4, 4)) }, "Gradient: X is 3×2, T is 4×4: want X n×2 and T n×classes"},
	}
	for _, c := range cases {
		if got, ok := panicMessage(c.run); got != c.want {
			t.Errorf("panic %q (panicked: %v); want %q", got, ok, c.want)
		}
	}
}
