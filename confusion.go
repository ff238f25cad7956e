package main

// The confusion matrix of a classifier: how often each true class was
// predicted as each class.

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
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
func ConfusionOf(net *MLP, X RowSource, T *Matrix) *Confusion {
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
			t, ok := T.ArgmaxRow(r)
			if !ok {
				continue // a target row with NaN: not a sample of any class
			}
			if p, ok := P.ArgmaxRow(r); !ok || p >= k {
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
	h := []string{`true\pred`}
	for p := range c.Counts {
		h = append(h, strconv.Itoa(p))
	}
	rows := make([][]string, len(c.Counts))
	for t, row := range c.Counts {
		r := []string{strconv.Itoa(t)}
		for _, v := range row {
			r = append(r, strconv.Itoa(v))
		}
		rows[t] = append(r, strconv.Itoa(c.Invalid[t]))
	}
	return writeCSV(w, append(h, "invalid"), rows...)
}

// Summary prints the per-class accuracy, one line per class. tabwriter
// lines the percentages up after the widest "class k:"; a percentage has
// at most 6 characters (100.00), so fmt right-aligns it in those (tabwriter
// aligns all of a table's columns one way, and the labels go left).
func (c *Confusion) Summary(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for t := range c.Counts {
		fmt.Fprintf(tw, "  class %d:\t%6.2f%% of %d right\n", t, 100*c.ClassAccuracy(t), c.Total(t))
	}
	tw.Flush()
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

// mistake is one cell off the diagonal: N samples of true class T
// predicted as P (none: the output was NaN).
type mistake struct {
	T int
	P shownClass
	N int
}

func (m mistake) String() string {
	if !m.P.ok {
		return fmt.Sprintf("%d with a NaN output", m.T)
	}
	return fmt.Sprintf("%d predicted as %v", m.T, m.P)
}

// largestMistake is the fullest cell off the diagonal, the invalid column
// included (the first one on ties); N is 0 when there is no mistake.
func (c *Confusion) largestMistake() mistake {
	var m mistake
	for t, row := range c.Counts {
		for p, n := range row {
			if p != t && n > m.N {
				m = mistake{t, shownClass{p, true}, n}
			}
		}
		if c.Invalid[t] > m.N {
			m = mistake{t, shownClass{}, c.Invalid[t]}
		}
	}
	return m
}

// Caption is the page's line under the picture of the matrix of set (e.g.
// "Test set"): how to read it and where to look.
func (c *Confusion) Caption(set string) string {
	where := "there is none"
	if m := c.largestMistake(); m.N > 0 {
		where = fmt.Sprintf("here %s, %d of %d", m, m.N, c.Total(m.T))
	}
	return fmt.Sprintf("%s: rows are true classes, columns predictions; the darkest red cell is the commonest mistake (%s).", set, where)
}

// Colours of the matrix: the diagonal in green, deeper for a larger share
// of its row (the class accuracy); the mistakes in red, deeper for a
// larger count relative to the largest mistake. Shading the mistakes by
// their share of the row, as one would at first, makes 106 confusions of
// 982 look like a single one next to a diagonal near 1; relative to the
// largest mistake, the pattern of the confusions shows.
var (
	rightGreen = color.RGBA{46, 125, 50, 0xff}
	wrongRed   = color.RGBA{198, 40, 40, 0xff}
)

// cellShade is the colour of a cell at fraction f (in [0, 1]) of its
// scale's end, and whether its text should be white. Any count above zero
// gets at least a faint tint, so that no mistake is invisible.
func cellShade(end color.RGBA, n int, f float64) (color.RGBA, bool) {
	if n == 0 {
		return white, false
	}
	f = 0.08 + 0.92*math.Min(math.Max(f, 0), 1)
	return mix(white, end, f), f > 0.55
}

// WriteSVG draws the matrix: a cell per true class (row) and prediction
// (column) with its count, a column of NaN outputs when there are any,
// the class accuracy right of each row, and the two colour scales. The
// title is followed by the accuracy.
func (c *Confusion) WriteSVG(w io.Writer, title string) error {
	return c.WriteSVGShared(w, title, 0)
}

// WriteSVGShared is WriteSVG with the mistakes' red scale ending at
// shared, the largest mistake of the matrices drawn beside this one (0:
// this one's own), so that the same count has the same colour in each:
// otherwise 2 mistakes of 100 in one picture are as red as 100 of 100 in
// the next.
func (c *Confusion) WriteSVGShared(w io.Writer, title string, shared int) error {
	k := len(c.Counts)
	cols := k // and a column of NaN outputs when there are any
	if slices.ContainsFunc(c.Invalid, func(n int) bool { return n > 0 }) {
		cols++
	}
	s := newSVG(w, fmt.Sprintf("%s, %s right", title, pct(c.Accuracy())))
	if k == 0 {
		s.text(figW/2, figH/2, "note", `text-anchor="middle" fill="#999"`, "no classes")
		return s.close()
	}
	// Cells as large as fit left of the legend with the accuracy column
	// (10 classes and NaN: 26 px), at most 80 px.
	const ml, mt = 84.0, 64.0
	cell := math.Floor(math.Min(80, math.Min((figH-mt-64)/float64(k), 290/float64(cols))))
	mr, mb := ml+cell*float64(cols), mt+cell*float64(k)
	largest := c.largestMistake()
	scaleEnd := max(largest.N, shared, 1)
	// The counts' font: four digits ("1135") fill 0.9 of a cell.
	size := math.Max(6, math.Min(titleSize, math.Floor(0.42*cell)))
	count := fmt.Sprintf(`font-size="%g" text-anchor="middle"`, size)
	s.WriteString(`<g class="cells" stroke="#ccc">` + "\n")
	for t, row := range c.Counts {
		total := c.Total(t)
		for p := 0; p < cols; p++ {
			n, end, of := c.Invalid[t], wrongRed, scaleEnd
			if p < k {
				n = row[p]
			}
			if p == t {
				end, of = rightGreen, max(total, 1)
			}
			fill, light := cellShade(end, n, float64(n)/float64(of))
			x, y := ml+float64(p)*cell, mt+float64(t)*cell
			fmt.Fprintf(s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x, y, cell, cell, cssColor(fill))
			ink := "#222"
			if light {
				ink = "white"
			}
			s.text(x+cell/2, y+cell/2+size/3, "count", count+` stroke="none" fill="`+ink+`"`, strconv.Itoa(n))
		}
	}
	s.WriteString("</g>\n")

	// Class labels, axis labels, and the class accuracy right of each row.
	for p := 0; p < cols; p++ {
		l := strconv.Itoa(p)
		if p == k {
			l = "NaN"
		}
		s.text(ml+(float64(p)+0.5)*cell, mb+16, "tick x", tickAttrs+` text-anchor="middle"`, l)
	}
	s.text(mr+6, mt-8, "tick", tickAttrs, "right")
	for t := range c.Counts {
		y := mt + (float64(t)+0.5)*cell + 4
		s.text(ml-8, y, "tick y", tickAttrs+` text-anchor="end"`, strconv.Itoa(t))
		s.text(mr+6, y, "accuracy", tickAttrs, pct(c.ClassAccuracy(t)))
	}
	s.text((ml+mr)/2, mb+38, "xlabel", `text-anchor="middle"`, "predicted class")
	fmt.Fprintf(s, `<text class="ylabel" transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle">true class</text>`+"\n", ml-34, (mt+mb)/2)

	// The two colour scales and the commonest mistake.
	lx, y := float64(figW-170), mt+4
	scale := func(id string, end color.RGBA, text, lo, hi string) {
		y = s.lines(lx, y, 162, 15, "note", noteAttrs, text)
		fmt.Fprintf(s, `<linearGradient id="%s"><stop offset="0" stop-color="%s"/><stop offset="1" stop-color="%s"/></linearGradient>`+"\n", id, cssColor(mix(white, end, 0.08)), cssColor(end))
		fmt.Fprintf(s, `<rect x="%.1f" y="%.1f" width="120" height="12" fill="url(#%s)" stroke="#ccc"/>`+"\n", lx, y-6, id)
		s.text(lx, y+20, "tick", tickAttrs, lo)
		s.text(lx+120, y+20, "tick", tickAttrs+` text-anchor="end"`, hi)
		y += 44
	}
	s.WriteString(`<g class="legend">` + "\n")
	scale("scale-right", rightGreen, "Diagonal: the share of the class predicted right.", "0%", "100%")
	switch {
	case shared > largest.N:
		scale("scale-wrong", wrongRed, "Off it: the count, on one scale with the matrices beside this one.", "1", strconv.Itoa(shared))
	case largest.N > 0:
		scale("scale-wrong", wrongRed, "Off it: the count, relative to the commonest mistake.", "1", strconv.Itoa(largest.N))
	}
	commonest := "No mistakes."
	if largest.N > 0 {
		commonest = fmt.Sprintf("The commonest mistake: %s, %d of %d.", largest, largest.N, c.Total(largest.T))
	}
	s.lines(lx, y, 162, 15, "note", noteAttrs, commonest)
	s.WriteString("</g>\n")
	return s.close()
}
