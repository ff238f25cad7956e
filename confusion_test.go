package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// identityNet predicts the argmax of its 3 inputs: one linear layer with
// W = I and b = 0.
func identityNet() *MLP {
	l := NewLinearLayer(3, 3, newRNG(1), "Linear_1")
	l.W = FromRows([][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}})
	l.B.Fill(0)
	return NewMLP(3, []Layer{l}, NewLossCrossEntropyForSoftmaxLogits("CE"), []Layer{NewSoftmaxLayer("Softmax_OUT")})
}

func TestConfusionCountsHandMadeCase(t *testing.T) {
	X := FromRows([][]float64{
		{1, 0, 0}, // predicted 0
		{0, 2, 0}, // predicted 1
		{0, 0, 3}, // predicted 2
		{5, 0, 0}, // predicted 0
		{math.NaN(), 0, 0},
	})
	T := FromRows([][]float64{
		{1, 0, 0}, // right
		{1, 0, 0}, // class 0 predicted as 1
		{0, 0, 1}, // right
		{0, 0, 1}, // class 2 predicted as 0
		{0, 1, 0}, // class 1, invalid prediction
	})
	c := ConfusionOf(identityNet(), X, T)
	want := [][]int{{1, 1, 0}, {0, 0, 0}, {1, 0, 1}}
	for i := range want {
		for j := range want[i] {
			if c.Counts[i][j] != want[i][j] {
				t.Errorf("Counts[%d][%d]: got %d; want %d", i, j, c.Counts[i][j], want[i][j])
			}
		}
	}
	if c.Invalid[1] != 1 {
		t.Errorf("Invalid[1]: got %d; want 1 (the NaN row)", c.Invalid[1])
	}
	if got := c.ClassAccuracy(0); got != 0.5 {
		t.Errorf("ClassAccuracy(0): got %v; want 0.5", got)
	}
	if got := c.Accuracy(); got != 2.0/5 {
		t.Errorf("Accuracy: got %v; want 0.4", got)
	}
	var b strings.Builder
	if err := c.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	wantCSV := "true\\pred,0,1,2,invalid\n0,1,1,0,0\n1,0,0,0,1\n2,1,0,1,0\n"
	if b.String() != wantCSV {
		t.Errorf("CSV:\ngot  %q\nwant %q", b.String(), wantCSV)
	}
}

// The confusion matrix must agree with the accuracy that training reports.
func TestConfusionAgreesWithRunInfoAccuracy(t *testing.T) {
	X, T := XORData()
	net := NewXORNet(newRNG(1234))
	ri, err := Train(net, X, T, TrainConfig{BatchSize: 4, Epochs: 50, Eta: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ConfusionOf(net, X, T).Accuracy(), ri.Last().AccTrain; got != want {
		t.Errorf("confusion accuracy: got %v; want %v (run info)", got, want)
	}
}

// The page shows each confusion matrix as a table whose cells are shaded
// by their share of the row: green on the diagonal, red off it.
func TestConfusionOnResultsPage(t *testing.T) {
	dir := t.TempDir()
	out := &outputs{dir: dir}
	c := &Confusion{Counts: [][]int{{9, 1}, {0, 0}}, Invalid: []int{0, 2}}
	rec := &runRecord{Experiment: "xor", Title: "XOR", Confusions: []confusionRecord{c.record("Training set")}}
	if err := writeRunPage(out, rec); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	for _, want := range []string{
		"Training set: rows are true classes",
		`<td class="d9">9</td>`, // 9 of 10: the deepest green
		`<td class="o1">1</td>`, // 1 of 10: the palest red
		"<td>0</td>",            // nothing predicted: no shade
		"<th>invalid</th>", "<td>2</td>",
		"<td>90.00%</td>", "td.d9 {",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("index.html does not contain %q", want)
		}
	}
}
