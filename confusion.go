package main

// The confusion matrix of a classifier: how often each true class was
// predicted as each class.

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Confusion counts predictions: Counts[t][p] is the number of samples of
// true class t predicted as class p. Predictions that are not a class (a
// network output with NaN in it) are counted in Invalid[t].
type Confusion struct {
	Counts  [][]int
	Invalid []int
}

// ConfusionOf runs net on X (with the output layers) in chunks and counts
// argmax predictions against the argmax of the targets T.
func ConfusionOf(net *MLP, X, T *Matrix) *Confusion {
	k := T.Cols
	c := &Confusion{Counts: make([][]int, k), Invalid: make([]int, k)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, k)
	}
	var xv, tv Matrix
	for i0 := 0; i0 < X.Rows; i0 += evalChunk {
		i1 := min(i0+evalChunk, X.Rows)
		X.viewRows(&xv, i0, i1)
		T.viewRows(&tv, i0, i1)
		Y := net.forwardBuffered(&xv, net.Layers)
		if len(net.OutputLayers) > 0 {
			Y = net.forwardBuffered(Y, net.OutputLayers)
		}
		for r := 0; r < Y.Rows; r++ {
			t, p := tv.ArgmaxRow(r), Y.ArgmaxRow(r)
			if t < 0 {
				continue // a target row with NaN: not a sample of any class
			}
			if p < 0 || p >= k {
				c.Invalid[t]++
			} else {
				c.Counts[t][p]++
			}
		}
	}
	return c
}

// Total is the number of samples of true class t.
func (c *Confusion) Total(t int) int {
	n := c.Invalid[t]
	for _, v := range c.Counts[t] {
		n += v
	}
	return n
}

// ClassAccuracy is the fraction of the samples of class t predicted as t
// (0 for a class with no samples).
func (c *Confusion) ClassAccuracy(t int) float64 {
	n := c.Total(t)
	if n == 0 {
		return 0
	}
	return float64(c.Counts[t][t]) / float64(n)
}

// Accuracy is the fraction of all samples predicted right.
func (c *Confusion) Accuracy() float64 {
	right, n := 0, 0
	for t := range c.Counts {
		right += c.Counts[t][t]
		n += c.Total(t)
	}
	if n == 0 {
		return 0
	}
	return float64(right) / float64(n)
}

// WriteCSV writes a header row "true\pred,0,1,…,invalid" and one row per
// true class.
func (c *Confusion) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	h := []string{`true\pred`}
	for p := range c.Counts {
		h = append(h, strconv.Itoa(p))
	}
	fmt.Fprintln(bw, strings.Join(append(h, "invalid"), ","))
	for t, row := range c.Counts {
		r := []string{strconv.Itoa(t)}
		for _, v := range row {
			r = append(r, strconv.Itoa(v))
		}
		fmt.Fprintln(bw, strings.Join(append(r, strconv.Itoa(c.Invalid[t])), ","))
	}
	return bw.Flush()
}

// Summary prints the per-class accuracy as one line per class.
func (c *Confusion) Summary(w io.Writer) {
	for t := range c.Counts {
		fmt.Fprintf(w, "  class %d: %6.2f%% of %d right\n", t, 100*c.ClassAccuracy(t), c.Total(t))
	}
}
