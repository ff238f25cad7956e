package main

// Pictures, with the standard library only. Every chart, decision map and
// confusion matrix is an SVG of one size (figW × figH) in the same fonts,
// so that the results page can show them in a grid of equal cells at about
// their natural size. This file has what they share and the line charts;
// decisionmap.go draws the maps, confusion.go the matrices, digits.go the
// grid of digit images (a PNG, lettered with the bitmap font of font.go).

import (
	"bufio"
	"fmt"
	"html"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// palette holds the colours of series and classes, in order: distinct for
// the colour-blind too (after Okabe and Ito's set), dark enough for lines
// on white.
var palette = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x00, 0x9E, 0x73, 0xff}, // green
	{0xCC, 0x79, 0xA7, 0xff}, // purple
	{0xD5, 0x5E, 0x00, 0xff}, // vermilion
	{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	{0x8C, 0x6D, 0x31, 0xff}, // brown
	{0x33, 0x33, 0x33, 0xff}, // near black
	{0xB8, 0xA9, 0x00, 0xff}, // olive
	{0x99, 0x99, 0x99, 0xff}, // grey
}

func paletteColor(i int) color.RGBA { return palette[i%len(palette)] }

func cssColor(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// mix returns a + f·(b − a) per channel: f = 0 is a, f = 1 is b.
func mix(a, b color.RGBA, f float64) color.RGBA {
	m := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 0xff}
}

var (
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
	black = color.RGBA{0, 0, 0, 0xff}
	red   = color.RGBA{0xd0, 0x10, 0x10, 0xff}
)

// ---------------------------------------------------------------------------
// What every SVG picture shares.

// Size and lettering of every SVG picture. The page shows two of them side
// by side in a 1280 px window at about 0.95 of this size, where the 12 px
// tick labels still read as 11 px.
const (
	figW, figH = 600, 420
	fontSans   = "Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
	titleSize  = 16
	textSize   = 13 // axis labels, legend
	tickSize   = 12 // tick labels, notes, counts
	// charW is a generous estimate of the average width of a character at
	// textSize, for wrapping text into a column (SVG cannot wrap).
	charW = 7
)

// The attributes of the small text: tick and class labels in dark grey,
// notes in a lighter grey.
var (
	tickAttrs = fmt.Sprintf(`font-size="%d" fill="#333"`, tickSize)
	noteAttrs = fmt.Sprintf(`font-size="%d" fill="#555"`, tickSize)
)

// The plot area of charts and maps, in pixels, and the column right of it
// that holds the legend and notes.
const (
	plotL, plotT = 64, 44
	plotR, plotB = 400, 360
	legendX      = plotR + 18
	legendW      = figW - 8 - legendX
)

// svgDoc writes one SVG picture: open it with newSVG, close it with close.
type svgDoc struct{ *bufio.Writer }

// newSVG starts a picture with a white background and title on top.
func newSVG(w io.Writer, title string) *svgDoc {
	s := &svgDoc{bufio.NewWriter(w)}
	fmt.Fprintf(s, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s" font-size="%d">
<rect width="100%%" height="100%%" fill="white"/>
`, figW, figH, figW, figH, fontSans, textSize)
	s.text(figW/2, 26, "title", fmt.Sprintf(`font-size="%d" font-weight="bold" text-anchor="middle"`, titleSize), title)
	return s
}

// text writes one line of text at (x, y), the baseline's left end unless
// attrs anchor it elsewhere; class names it for the tests. Text and
// attribute values are escaped by html.EscapeString: its five escapes
// (&amp; &lt; &gt; &#39; &#34;) are XML's as well.
func (s *svgDoc) text(x, y float64, class, attrs, t string) {
	fmt.Fprintf(s, `<text class="%s" x="%.1f" y="%.1f" %s>%s</text>`+"\n", class, x, y, attrs, html.EscapeString(t))
}

// lines writes t wrapped at spaces into a column of width w from (x, y)
// on (a word longer than the column gets a line of its own), one line
// every step pixels (at least one, so that an empty legend entry still
// takes its row), and returns the y below the last line.
func (s *svgDoc) lines(x, y, w, step float64, class, attrs, t string) float64 {
	line := ""
	for _, word := range strings.Fields(t) {
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= int(w/charW):
			line += " " + word
		default:
			s.text(x, y, class, attrs, line)
			y += step
			line = word
		}
	}
	s.text(x, y, class, attrs, line)
	return y + step
}

func (s *svgDoc) close() error {
	s.WriteString("</svg>\n")
	return s.Flush()
}

// tick is a tick mark: where it sits on its axis, in pixels, and its label.
type tick struct {
	at    float64
	label string
}

// axes frame the plot area (l, t)–(r, b): a box, tick marks and their labels
// outside it, the axis labels. yscale ("linear" or "log") is written into
// the group for readers and tests.
type axes struct {
	l, t, r, b     float64
	xticks, yticks []tick
	xlabel, ylabel string
	yscale         string
}

// grid draws light lines across the plot area at the ticks; draw it before
// the data.
func (s *svgDoc) grid(a *axes) {
	s.WriteString(`<g class="grid" stroke="#e4e4e4" stroke-width="1">` + "\n")
	for _, t := range a.xticks {
		fmt.Fprintf(s, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", t.at, a.t, t.at, a.b)
	}
	for _, t := range a.yticks {
		fmt.Fprintf(s, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", a.l, t.at, a.r, t.at)
	}
	s.WriteString("</g>\n")
}

// axes draws the frame, ticks and labels; draw it after the data, so that
// the frame is on top.
func (s *svgDoc) axes(a *axes) {
	fmt.Fprintf(s, `<g class="axes" data-yscale="%s">`+"\n", a.yscale)
	fmt.Fprintf(s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`+"\n", a.l, a.t, a.r-a.l, a.b-a.t)
	s.WriteString(`<g stroke="#333">` + "\n")
	for _, t := range a.xticks {
		fmt.Fprintf(s, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", t.at, a.b, t.at, a.b+5)
	}
	for _, t := range a.yticks {
		fmt.Fprintf(s, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", a.l-5, t.at, a.l, t.at)
	}
	s.WriteString("</g>\n")
	for _, t := range a.xticks {
		s.text(t.at, a.b+18, "tick x", tickAttrs+` text-anchor="middle"`, t.label)
	}
	for _, t := range a.yticks {
		s.text(a.l-8, t.at+4, "tick y", tickAttrs+` text-anchor="end"`, t.label)
	}
	s.text((a.l+a.r)/2, a.b+38, "xlabel", `text-anchor="middle"`, a.xlabel)
	fmt.Fprintf(s, `<text class="ylabel" transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", (a.t+a.b)/2, html.EscapeString(a.ylabel))
	s.WriteString("</g>\n")
}

// niceStep returns a round step (1, 2 or 5 times a power of ten) that cuts
// span into about n intervals.
func niceStep(span float64, n int) float64 {
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// niceRange widens [lo, hi] to multiples of a round step of at least
// minStep (0: any) and returns the tick values. An empty or degenerate
// range is widened first; values beyond ±1e300 are cut there, so that the
// span stays finite.
func niceRange(lo, hi float64, n int, minStep float64) (nlo, nhi float64, ticks []float64) {
	lo, hi = math.Max(lo, -1e300), math.Min(hi, 1e300)
	if !(lo < hi) {
		d := math.Max(math.Abs(lo)*0.1, 0.5)
		lo, hi = lo-d, hi+d
	}
	step := math.Max(niceStep(hi-lo, n), minStep)
	nlo, nhi = math.Floor(lo/step+1e-9)*step, math.Ceil(hi/step-1e-9)*step
	for k := 0; ; k++ {
		v := nlo + float64(k)*step
		if v > nhi+step*1e-9 {
			break
		}
		ticks = append(ticks, v)
	}
	return nlo, nhi, ticks
}

// logRange widens [lo, hi] (0 < lo < hi) to values 1, 2 or 5 times a power
// of ten and returns the tick values: every such value in between when the
// range spans at most three decades, else powers of ten only, each one up
// to six decades and every k-th beyond. Values are kept within 1e-300 …
// 1e300.
func logRange(lo, hi float64) (nlo, nhi float64, ticks []float64) {
	lo, hi = math.Max(lo, 1e-300), math.Min(hi, 1e300)
	if !(hi > lo) {
		hi = lo * 10
	}
	mant, every := []float64{1, 2, 5}, 1
	if d := math.Log10(hi) - math.Log10(lo); d > 3 {
		mant, every = []float64{1}, int(math.Ceil(d/6))
	}
	// Candidates m·10^k, k on multiples of every, from 10^k0 ≤ lo to
	// 10^k1 ≥ hi; the range runs from the last one ≤ lo to the first ≥ hi.
	k0 := int(math.Floor(math.Log10(lo)))
	k0 -= ((k0 % every) + every) % every
	k1 := int(math.Ceil(math.Log10(hi)))
	var cand []float64
	for k := k0; k < k1+every; k += every {
		for _, m := range mant {
			cand = append(cand, m*math.Pow10(k))
		}
	}
	i0, i1 := 0, len(cand)-1
	for i, v := range cand {
		if v <= lo*(1+1e-9) {
			i0 = i
		}
		if v >= hi*(1-1e-9) && i < i1 {
			i1 = i
		}
	}
	return cand[i0], cand[i1], cand[i0 : i1+1]
}

// tickLabel formats v with as many decimals as the step needs.
func tickLabel(v, step float64) string {
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-") // no "-0"
	}
	return s
}

// logTickLabel formats a tick value of a log axis: 0.05, 1, 2000, 1e-06.
func logTickLabel(v float64) string {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64) // 0.30000000000000004 is 0.3
	if r >= 1e-4 && r < 1e6 {
		return strconv.FormatFloat(r, 'f', -1, 64)
	}
	return strconv.FormatFloat(r, 'g', 3, 64)
}

// ---------------------------------------------------------------------------
// Line charts.

// Series is one line of a chart: the points (X[i], Y[i]). A non-finite
// value breaks the line there (a gap), it is never drawn.
type Series struct {
	Name string
	X, Y []float64
}

// LineChart is an SVG line chart with axes, round tick values, axis
// labels, a title and a legend. Series take the palette's colours and the
// dash patterns of lineDashes in order, so that they stay apart in grey.
// Where a series alternates every epoch its zigzag is drawn as a shaded
// band between its two values, and a note under the legend says so.
type LineChart struct {
	Title, XLabel, YLabel string
	Series                []Series
	// YMin, YMax fix the y range when YMin < YMax (e.g. 0–100 for an
	// accuracy in percent); otherwise it is fitted to the finite data.
	YMin, YMax float64
	// AutoLogY asks for a logarithmic y axis when the positive finite values
	// span more than a decade: a loss that falls from 10 to 0.3 leaves all
	// but its first epochs flat on a linear axis. Values ≤ 0 are then gaps,
	// and a note counts them.
	AutoLogY bool
}

// lineDashes are the dash patterns of the series in order (the first is
// solid).
var lineDashes = []string{"", "8 4", "2 3", "10 3 2 3", "16 4", "4 4"}

func dashAttr(k int) string {
	if d := lineDashes[k%len(lineDashes)]; d != "" {
		return ` stroke-dasharray="` + d + `"`
	}
	return ""
}

// epochSeries makes a series of one figure of every recorded epoch.
func epochSeries(name string, ri *RunInfo, f func(EpochInfo) float64) Series {
	s := Series{Name: name, X: make([]float64, len(ri.Epochs)), Y: make([]float64, len(ri.Epochs))}
	for i, e := range ri.Epochs {
		s.X[i], s.Y[i] = float64(e.Epoch), f(e)
	}
	return s
}

// accuracyChart shows the training and (when recorded) test accuracy per
// epoch, in percent.
func accuracyChart(ri *RunInfo, title string) *LineChart {
	c := &LineChart{Title: title, XLabel: "epoch", YLabel: "accuracy (%)", YMin: 0, YMax: 100}
	c.Series = append(c.Series, epochSeries("training set", ri, func(e EpochInfo) float64 { return 100 * e.AccTrain }))
	if ri.HasTest {
		c.Series = append(c.Series, epochSeries("test set", ri, func(e EpochInfo) float64 { return 100 * e.AccTest }))
	}
	return c
}

// lossChart shows the mean training and (when recorded) test loss per
// epoch, on a log axis when it spans more than a decade.
func lossChart(ri *RunInfo, title string) *LineChart {
	c := &LineChart{Title: title, XLabel: "epoch", YLabel: "mean loss", AutoLogY: true}
	c.Series = append(c.Series, epochSeries("training set", ri, func(e EpochInfo) float64 { return e.LossTrain }))
	if ri.HasTest {
		c.Series = append(c.Series, epochSeries("test set", ri, func(e EpochInfo) float64 { return e.LossTest }))
	}
	return c
}

// weightChart shows, per linear layer, the mean |W| after every epoch
// divided by its initial value (the lab's optional plot of Assignment 3;
// every line starts at 1). Set Title to name the run.
func weightChart(ri *RunInfo) *LineChart {
	c := &LineChart{Title: "Mean |W| per linear layer, relative to the initial net", XLabel: "epoch", YLabel: "mean |W| / initial mean |W|"}
	for l, name := range ri.Linear {
		c.Series = append(c.Series, epochSeries(name, ri, func(e EpochInfo) float64 {
			if l < len(e.WeightAmp) {
				return e.WeightAmp[l]
			}
			return math.NaN()
		}))
	}
	return c
}

// point is a point of a series in pixels; x is kept in data units too, for
// the notes.
type point struct{ x, px, py float64 }

// Where a line counts as alternating: at a turn it comes down to a point
// and goes up after it (or the reverse) by at least minSwing pixels each
// way (a smaller zigzag hides in the line's width), and minTurns turns in
// a row make a stretch that alternates every epoch. Two stretches at most
// mergeGap points apart are one, with a hiccup.
const (
	minSwing = 3
	minTurns = 8
	mergeGap = 2
)

// alternations returns the stretches of p that alternate, as index ranges
// [i, j] of points: the turns and the point on either side.
func alternations(p []point) [][2]int {
	var out [][2]int
	run := 0 // turns in a row ending at the point before i
	for i := 1; i <= len(p); i++ {
		turn := false
		if i < len(p)-1 {
			d0, d1 := p[i].py-p[i-1].py, p[i+1].py-p[i].py
			turn = d0*d1 < 0 && math.Abs(d0) >= minSwing && math.Abs(d1) >= minSwing
		}
		if turn {
			run++
			continue
		}
		if run >= minTurns {
			if n := len(out); n > 0 && i-run-1-out[n-1][1] <= mergeGap {
				out[n-1][1] = i
			} else {
				out = append(out, [2]int{i - run - 1, i})
			}
		}
		run = 0
	}
	return out
}

// WriteSVG writes the chart as a standalone SVG document.
func (c *LineChart) WriteSVG(w io.Writer) error {
	// Data range over the finite points only, and over the positive ones
	// for a log axis.
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	plo, phi := math.Inf(1), math.Inf(-1)
	xStep := 1.0 // integer x (epochs) get integer ticks
	for _, s := range c.Series {
		for i := range s.X {
			if s.X[i] != math.Trunc(s.X[i]) {
				xStep = 0
			}
			if i < len(s.Y) && finite(s.X[i]) && finite(s.Y[i]) {
				xlo, xhi = math.Min(xlo, s.X[i]), math.Max(xhi, s.X[i])
				ylo, yhi = math.Min(ylo, s.Y[i]), math.Max(yhi, s.Y[i])
				if s.Y[i] > 0 {
					plo, phi = math.Min(plo, s.Y[i]), math.Max(phi, s.Y[i])
				}
			}
		}
	}
	empty := math.IsInf(xlo, 1)
	if empty {
		xlo, xhi, ylo, yhi = 0, 1, 0, 1
	}
	logY := c.AutoLogY && phi > 10*plo
	a := &axes{l: plotL, t: plotT, r: plotR, b: plotB, xlabel: c.XLabel, ylabel: c.YLabel, yscale: "linear"}
	xlo, xhi, xt := niceRange(xlo, xhi, 6, xStep)
	// x/span − lo/span rather than (x − lo)/span: a value near ±MaxFloat64
	// less a bound would overflow to ±Inf.
	px := func(x float64) float64 { return plotL + (x/(xhi-xlo)-xlo/(xhi-xlo))*(plotR-plotL) }
	var py func(float64) float64
	if logY {
		lo, hi, yt := logRange(plo, phi)
		llo, lhi := math.Log10(lo), math.Log10(hi)
		py = func(y float64) float64 { return plotB - (math.Log10(y)-llo)/(lhi-llo)*(plotB-plotT) }
		for _, v := range yt {
			a.yticks = append(a.yticks, tick{py(v), logTickLabel(v)})
		}
		a.ylabel += " (log scale)"
		a.yscale = "log"
	} else {
		if c.YMin < c.YMax {
			ylo, yhi = c.YMin, c.YMax
		}
		lo, hi, yt := niceRange(ylo, yhi, 5, 0)
		py = func(y float64) float64 { return plotB - (y/(hi-lo)-lo/(hi-lo))*(plotB-plotT) }
		for _, v := range yt {
			a.yticks = append(a.yticks, tick{py(v), tickLabel(v, yt[1]-yt[0])})
		}
	}
	for _, v := range xt {
		a.xticks = append(a.xticks, tick{px(v), tickLabel(v, xt[1]-xt[0])})
	}

	s := newSVG(w, c.Title)
	s.grid(a)
	if empty {
		s.text((plotL+plotR)/2, (plotT+plotB)/2, "note", `text-anchor="middle" fill="#999"`, "no finite data")
	}

	// The series: each unbroken stretch of drawable points is a polyline,
	// clipped to the plot area (a fixed y range may cut a line), except
	// where it alternates: there a band.
	fmt.Fprintf(s, `<clipPath id="plotarea"><rect x="%d" y="%d" width="%d" height="%d"/></clipPath>`+"\n", plotL, plotT-2, plotR-plotL, plotB-plotT+4)
	var alternating []string // "name: epochs" of every series with a band
	hidden := 0              // values ≤ 0 on the log axis
	for k, ser := range c.Series {
		col := cssColor(paletteColor(k))
		fmt.Fprintf(s, `<g class="series" data-name="%s" clip-path="url(#plotarea)" fill="none" stroke="%s" stroke-width="1.8" stroke-linejoin="round"%s>`+"\n", html.EscapeString(ser.Name), col, dashAttr(k))
		var pts []point
		var stretches []string
		flush := func() {
			from := 0
			for _, st := range alternations(pts) {
				s.polyline(pts[from : st[0]+1])
				s.band(pts[st[0]:st[1]+1], col)
				stretches = append(stretches, fmt.Sprintf("%g–%g", pts[st[0]].x, pts[st[1]].x))
				from = st[1]
			}
			if rest := pts[from:]; len(rest) == 1 && from == 0 {
				// a lone point between gaps: a dot, so it is not lost
				fmt.Fprintf(s, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s" stroke="none"/>`+"\n", rest[0].px, rest[0].py, col)
			} else {
				s.polyline(rest)
			}
			pts = pts[:0]
		}
		for i := range ser.X {
			ok := i < len(ser.Y) && finite(ser.X[i]) && finite(ser.Y[i])
			if ok && logY && ser.Y[i] <= 0 {
				ok = false
				hidden++
			}
			if ok {
				pts = append(pts, point{ser.X[i], px(ser.X[i]), py(ser.Y[i])})
			} else {
				flush()
			}
		}
		flush()
		s.WriteString("</g>\n")
		if len(stretches) > 0 {
			if len(stretches) > 3 {
				stretches = append(stretches[:3], "…")
			}
			alternating = append(alternating, ser.Name+": "+strings.Join(stretches, ", "))
		}
	}
	var notes []string
	if len(alternating) > 0 {
		notes = append([]string{"Shaded: the line alternates every epoch between the band's edges, in epochs"}, alternating...)
	}
	if hidden > 0 {
		notes = append(notes, fmt.Sprintf("%d values ≤ 0 are not drawn on the log axis.", hidden))
	}
	s.axes(a)

	// Legend and notes, right of the plot area.
	s.WriteString(`<g class="legend">` + "\n")
	y := float64(plotT + 8)
	for k, ser := range c.Series {
		fmt.Fprintf(s, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="2.5"%s/>`+"\n", legendX, y-4, legendX+24, y-4, cssColor(paletteColor(k)), dashAttr(k))
		y = s.lines(legendX+30, y, legendW-30, 16, "entry", "", ser.Name) + 4
	}
	y += 6
	for _, n := range notes {
		y = s.lines(legendX, y, legendW, 15, "note", noteAttrs, n) + 4
	}
	s.WriteString("</g>\n")
	return s.close()
}

// polyline draws p as one line (nothing for fewer than two points).
func (s *svgDoc) polyline(p []point) {
	if len(p) >= 2 {
		s.WriteString(`<polyline class="line" points="`)
		s.points(p)
	}
}

// points ends an element with the points attribute of p: "x,y x,y …".
func (s *svgDoc) points(p []point) {
	for i, q := range p {
		if i > 0 {
			s.WriteByte(' ')
		}
		fmt.Fprintf(s, "%.1f,%.1f", q.px, q.py)
	}
	s.WriteString(`"/>` + "\n")
}

// band draws a stretch that alternates as the band between its upper and
// lower envelope (at each point the extremes of it and its neighbours in
// the stretch): shaded, with both edges in the series' line style.
func (s *svgDoc) band(p []point, col string) {
	up, down := make([]point, len(p)), make([]point, len(p))
	for i := range p {
		up[i], down[i] = p[i], p[i]
		for j := max(0, i-1); j <= min(len(p)-1, i+1); j++ {
			up[i].py, down[i].py = math.Min(up[i].py, p[j].py), math.Max(down[i].py, p[j].py)
		}
	}
	outline := slices.Clone(up)
	for i := len(down) - 1; i >= 0; i-- {
		outline = append(outline, down[i])
	}
	s.WriteString(`<polygon class="band" stroke="none" fill="` + col + `" fill-opacity="0.25" points="`)
	s.points(outline)
	s.polyline(up)
	s.polyline(down)
}
