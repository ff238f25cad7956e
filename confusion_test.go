package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// identityNet predicts the argmax of its 3 inputs (test-only layers: the
// confusion counts are provided code, tested without the lab's methods).
func identityNet() *MLP {
	return argmaxNet(3, 3, func(y, x []float64) { copy(y, x) })
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
	if got, want := fmt.Sprint(c.Counts), "[[1 1 0] [0 0 0] [1 0 1]]"; got != want {
		t.Errorf("Counts: got %s; want %s", got, want)
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
	needLab(t, labPlain)
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

// The caption names the commonest mistake, or says there is none. (The
// pictures of these matrices are recorded: TestPlotGoldens.)
func TestConfusionCaption(t *testing.T) {
	for _, tc := range []struct {
		c    *Confusion
		want string
	}{
		{&Confusion{Counts: [][]int{{50, 1, 0}, {0, 40, 10}, {2, 0, 30}}, Invalid: []int{0, 0, 3}},
			"Test set: rows are true classes, columns predictions; the darkest red cell is the commonest mistake (here 1 predicted as 2, 10 of 50)."},
		{&Confusion{Counts: [][]int{{3, 1}, {0, 2}}, Invalid: []int{0, 0}}, "(here 0 predicted as 1, 1 of 4)."},
		{&Confusion{Counts: [][]int{{3, 0}, {0, 2}}, Invalid: []int{0, 0}}, "(there is none)."},
		{&Confusion{Counts: [][]int{{0, 0}, {0, 0}}, Invalid: []int{5, 4}}, "(here 0 with a NaN output, 5 of 5)."},
		{&Confusion{}, "(there is none)."},
	} {
		if got := tc.c.Caption("Test set"); !strings.HasSuffix(got, tc.want) {
			t.Errorf("caption of %v (NaN outputs %v):\ngot  %q\nwant it to end %q", tc.c.Counts, tc.c.Invalid, got, tc.want)
		}
	}
}

// Every run shows its confusion matrix as a picture beside the CSV, with a
// caption that says what the rows and columns are.
func TestConfusionOnResultsPage(t *testing.T) {
	needLab(t, labPlain)
	dir := t.TempDir()
	mustRun(t, "-exp", "xor", "-epochs", "300", "-q", "-out", dir)
	for _, f := range []string{"xor_confusion.csv", "xor_confusion.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	for _, want := range []string{
		`<img src="xor_confusion.svg"`,
		"The four points: rows are true classes, columns predictions; the darkest red cell is the commonest mistake (there is none).",
		`<a href="xor_confusion.csv">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("index.html does not contain %q", want)
		}
	}
}

// Matrices drawn side by side share the red scale of their mistakes: with
// the end of the scale at the largest mistake of all of them, 2 mistakes
// are faint next to 100, instead of as red as 100 are in their own picture.
func TestConfusionSharedScale(t *testing.T) {
	few := &Confusion{Counts: [][]int{{98, 2}, {0, 100}}, Invalid: []int{0, 0}}
	fill := func(n int, f float64) string {
		c, _ := cellShade(wrongRed, n, f)
		return `fill="` + cssColor(c) + `"`
	}
	var own, shared bytes.Buffer
	if err := few.WriteSVG(&own, "own"); err != nil {
		t.Fatal(err)
	}
	if err := few.WriteSVGShared(&shared, "shared", 100); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(own.String(), fill(2, 1)) {
		t.Errorf("own scale: the cell of 2 mistakes is not at the red end (%s)", fill(2, 1))
	}
	if !strings.Contains(shared.String(), fill(2, 0.02)) || strings.Contains(shared.String(), fill(2, 1)) {
		t.Errorf("scale shared up to 100: the cell of 2 mistakes is not at 2/100 of it (%s)", fill(2, 0.02))
	}
	if !strings.Contains(shared.String(), "beside") || !strings.Contains(shared.String(), ">100</text>") {
		t.Errorf("scale shared up to 100: the legend does not say so")
	}
	// A scale below the picture's own largest mistake changes nothing.
	var low bytes.Buffer
	if err := few.WriteSVGShared(&low, "own", 1); err != nil {
		t.Fatal(err)
	}
	if low.String() != own.String() {
		t.Errorf("a shared scale below the picture's largest mistake changed the picture")
	}
}
