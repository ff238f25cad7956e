package main

// The confusion matrix of a classifier: how often each true class was
// predicted as each class.

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
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
	var mu sync.Mutex // the chunks are counted on several goroutines
	net.evalPass(X, T, func(_ int, _, _, P, T *Matrix) {
		mu.Lock()
		defer mu.Unlock()
		for r := 0; r < P.Rows; r++ {
			t, p := T.ArgmaxRow(r), P.ArgmaxRow(r)
			if t < 0 {
				continue // a target row with NaN: not a sample of any class
			}
			if p < 0 || p >= k {
				c.Invalid[t]++
			} else {
				c.Counts[t][p]++
			}
		}
	})
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

// Summary prints the per-class accuracy, one line per class.
func (c *Confusion) Summary(w io.Writer) {
	for t := range c.Counts {
		fmt.Fprintf(w, "  class %d: %6.2f%% of %d right\n", t, 100*c.ClassAccuracy(t), c.Total(t))
	}
}

// ClassAccuracies is the per-class accuracy on one line:
// "class 0 99.00%, class 1 98.00%, …".
func (c *Confusion) ClassAccuracies() string {
	parts := make([]string, len(c.Counts))
	for t := range c.Counts {
		parts[t] = fmt.Sprintf("class %d %s", t, pct(c.ClassAccuracy(t)))
	}
	return strings.Join(parts, ", ")
}

// confusionRecord is a confusion matrix as a run record keeps it for the
// results page.
type confusionRecord struct {
	Title   string  `json:"title"`
	Counts  [][]int `json:"counts"`
	Invalid []int   `json:"invalid"`
}

func (c *Confusion) record(title string) confusionRecord {
	return confusionRecord{Title: title, Counts: c.Counts, Invalid: c.Invalid}
}

// pageConfusion is a confusion matrix laid out for the page: every cell
// carries a shade class, green on the diagonal and red off it, deeper for
// a larger share of its row (its true class).
type pageConfusion struct {
	Title      string
	Classes    []int
	Rows       []pageConfusionRow
	HasInvalid bool
}

type pageConfusionRow struct {
	Class   int
	Cells   []pageCell
	Invalid int
	Acc     string
}

type pageCell struct {
	N     int
	Shade string // CSS class: d1…d9 (diagonal), o1…o9 (off it), "" for 0
}

// shadeLevels is the number of shades per colour.
const shadeLevels = 9

func (r confusionRecord) page() pageConfusion {
	pc := pageConfusion{Title: r.Title}
	c := &Confusion{Counts: r.Counts, Invalid: r.Invalid}
	if len(c.Invalid) != len(c.Counts) {
		c.Invalid = make([]int, len(c.Counts))
	}
	for t, row := range r.Counts {
		pc.Classes = append(pc.Classes, t)
		total := c.Total(t)
		pr := pageConfusionRow{Class: t, Invalid: c.Invalid[t], Acc: pct(c.ClassAccuracy(t))}
		for p, n := range row {
			cell := pageCell{N: n}
			if n > 0 && total > 0 {
				level := int(math.Ceil(float64(shadeLevels) * float64(n) / float64(total)))
				kind := "o"
				if p == t {
					kind = "d"
				}
				cell.Shade = fmt.Sprintf("%s%d", kind, min(max(level, 1), shadeLevels))
			}
			pr.Cells = append(pr.Cells, cell)
		}
		if c.Invalid[t] > 0 {
			pc.HasInvalid = true
		}
		pc.Rows = append(pc.Rows, pr)
	}
	return pc
}

// confusionCSS styles the shade classes of pageCell.
func confusionCSS() string {
	var b strings.Builder
	for l := 1; l <= shadeLevels; l++ {
		a := 0.1 + 0.8*float64(l)/shadeLevels
		fmt.Fprintf(&b, "td.d%d { background: rgba(46, 125, 50, %.2f); }\n", l, a)
		fmt.Fprintf(&b, "td.o%d { background: rgba(198, 40, 40, %.2f); }\n", l, a)
	}
	return b.String()
}
