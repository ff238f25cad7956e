package main

// Pictures, with the standard library only: SVG line charts (convergence,
// learning-rate comparison, weight amplitudes), PNG decision maps of 2-D
// classifiers, and a PNG grid of digit images.

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
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
// SVG line charts.

// Series is one line of a chart: the points (X[i], Y[i]). A non-finite
// value breaks the line there (a gap), it is never drawn.
type Series struct {
	Name   string
	X, Y   []float64
	Dashed bool
}

// LineChart is an SVG line chart with axes, round tick values, axis
// labels, a title and a legend. Series take the palette's colours in order.
type LineChart struct {
	Title, XLabel, YLabel string
	Series                []Series
	// YMin, YMax fix the y range when YMin < YMax (e.g. 0–100 for an
	// accuracy in percent); otherwise it is fitted to the finite data.
	YMin, YMax float64
}

// Chart geometry in SVG user units (pixels). The width grows with the
// longest legend entry.
const (
	chartH             = 420
	plotL, plotR       = 70, 540 // plot area, x
	plotT, plotB       = 44, 370 // plot area, y
	legendX, legendRow = 556, 20
	legendCharW        = 7 // a generous estimate of a 12 px character's width
)

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

// lossChart shows the mean training and (when recorded) test loss per epoch.
func lossChart(ri *RunInfo, title string) *LineChart {
	c := &LineChart{Title: title, XLabel: "epoch", YLabel: "mean loss"}
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
// minStep (0: any) and returns the ticks. An empty or degenerate range is
// widened first.
func niceRange(lo, hi float64, n int, minStep float64) (nlo, nhi float64, ticks []float64) {
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

// xmlEscape escapes text for SVG and HTML.
func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")
	return r.Replace(s)
}

// WriteSVG writes the chart as a standalone SVG document.
func (c *LineChart) WriteSVG(w io.Writer) error {
	// Data range over the finite points only.
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	xStep := 1.0 // integer x (epochs) get integer ticks
	for _, s := range c.Series {
		for i := range s.X {
			if s.X[i] != math.Trunc(s.X[i]) {
				xStep = 0
			}
			if i < len(s.Y) && finite(s.X[i]) && finite(s.Y[i]) {
				xlo, xhi = math.Min(xlo, s.X[i]), math.Max(xhi, s.X[i])
				ylo, yhi = math.Min(ylo, s.Y[i]), math.Max(yhi, s.Y[i])
			}
		}
	}
	empty := math.IsInf(xlo, 1)
	if empty {
		xlo, xhi, ylo, yhi = 0, 1, 0, 1
	}
	if c.YMin < c.YMax {
		ylo, yhi = c.YMin, c.YMax
	}
	xlo, xhi, xticks := niceRange(xlo, xhi, 6, xStep)
	ylo, yhi, yticks := niceRange(ylo, yhi, 5, 0)
	px := func(x float64) float64 { return plotL + (x-xlo)/(xhi-xlo)*(plotR-plotL) }
	py := func(y float64) float64 { return plotB - (y-ylo)/(yhi-ylo)*(plotB-plotT) }

	chartW := legendX + 30 + 10
	for _, s := range c.Series {
		chartW = max(chartW, legendX+30+legendCharW*len([]rune(s.Name))+10)
	}

	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">
<rect width="100%%" height="100%%" fill="white"/>
<text x="%d" y="24" font-size="15" font-weight="bold" text-anchor="middle">%s</text>
`, chartW, chartH, chartW, chartH, (plotL+plotR)/2, xmlEscape(c.Title))

	// Grid and ticks.
	b.WriteString(`<g class="grid" stroke="#e4e4e4" stroke-width="1">` + "\n")
	for _, t := range xticks {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`+"\n", px(t), plotT, px(t), plotB)
	}
	for _, t := range yticks {
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`+"\n", plotL, py(t), plotR, py(t))
	}
	b.WriteString("</g>\n")
	b.WriteString(`<g class="axes" stroke="#333" stroke-width="1">` + "\n")
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d"/>`+"\n", plotL, plotB, plotR, plotB)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d"/>`+"\n", plotL, plotT, plotL, plotB)
	for _, t := range xticks {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`+"\n", px(t), plotB, px(t), plotB+5)
	}
	for _, t := range yticks {
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`+"\n", plotL-5, py(t), plotL, py(t))
	}
	b.WriteString("</g>\n")
	b.WriteString(`<g class="ticklabels" fill="#333">` + "\n")
	for _, t := range xticks {
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px(t), plotB+19, tickLabel(t, xticks[1]-xticks[0]))
	}
	for _, t := range yticks {
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", plotL-8, py(t)+4, tickLabel(t, yticks[1]-yticks[0]))
	}
	b.WriteString("</g>\n")
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", (plotL+plotR)/2, plotB+40, xmlEscape(c.XLabel))
	fmt.Fprintf(b, `<text transform="translate(18 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", (plotT+plotB)/2, xmlEscape(c.YLabel))
	if empty {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" fill="#999">no finite data</text>`+"\n", (plotL+plotR)/2, (plotT+plotB)/2)
	}

	// The series: one polyline per unbroken stretch of finite points,
	// clipped to the plot area (a fixed y range may cut a line).
	fmt.Fprintf(b, `<clipPath id="plotarea"><rect x="%d" y="%d" width="%d" height="%d"/></clipPath>`+"\n", plotL, plotT-2, plotR-plotL, plotB-plotT+4)
	for k, s := range c.Series {
		col := cssColor(paletteColor(k))
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(b, `<g class="series" data-name="%s" clip-path="url(#plotarea)" fill="none" stroke="%s" stroke-width="1.8" stroke-linejoin="round"%s>`+"\n", xmlEscape(s.Name), col, dash)
		var pts [][2]float64
		flush := func() {
			switch len(pts) {
			case 0:
			case 1: // a lone point between gaps: a dot, so it is not lost
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="2" fill="%s" stroke="none"/>`+"\n", pts[0][0], pts[0][1], col)
			default:
				b.WriteString(`<polyline points="`)
				for i, p := range pts {
					if i > 0 {
						b.WriteByte(' ')
					}
					fmt.Fprintf(b, "%.1f,%.1f", p[0], p[1])
				}
				b.WriteString(`"/>` + "\n")
			}
			pts = pts[:0]
		}
		for i := range s.X {
			if i < len(s.Y) && finite(s.X[i]) && finite(s.Y[i]) {
				pts = append(pts, [2]float64{px(s.X[i]), py(s.Y[i])})
			} else {
				flush()
			}
		}
		flush()
		b.WriteString("</g>\n")
	}

	// Legend, right of the plot area.
	b.WriteString(`<g class="legend">` + "\n")
	for k, s := range c.Series {
		y := plotT + 8 + k*legendRow
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2.5"%s/>`+"\n", legendX, y, legendX+24, y, cssColor(paletteColor(k)), dash)
		fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", legendX+30, y+4, xmlEscape(s.Name))
	}
	b.WriteString("</g>\n</svg>\n")
	return b.Flush()
}

// ---------------------------------------------------------------------------
// Decision maps.

// Grid of a decision map, as in the lab's plot of a 2-D classifier.
const (
	mapStep   = 0.02 // grid step in data units
	mapMargin = 1.0  // the grid covers the data range ±1
	mapPixels = 600  // the longer side is scaled up to at least this
)

// decisionMap is the predicted class at every point of a grid: cell (i, j)
// is the point (X0 + j·Step, Y0 + i·Step); row 0 is the lowest y.
type decisionMap struct {
	X0, Y0, Step float64
	NX, NY       int
	Pred         []int // NY×NX, row-major; -1 where the output is NaN
	Classes      int
}

// gridCount is how many points np.arange(lo, hi, step) has.
func gridCount(lo, hi, step float64) int {
	return max(1, int(math.Ceil((hi-lo)/step-1e-9)))
}

// computeDecisionMap evaluates net (with its output layers) over the grid
// spanning X's range ±mapMargin, in chunks so the buffers stay small.
func computeDecisionMap(net *MLP, X *Matrix) *decisionMap {
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i := 0; i < X.Rows; i++ {
		x, y := X.At(i, 0), X.At(i, 1)
		if finite(x) && finite(y) {
			xlo, xhi, ylo, yhi = math.Min(xlo, x), math.Max(xhi, x), math.Min(ylo, y), math.Max(yhi, y)
		}
	}
	if math.IsInf(xlo, 1) {
		xlo, xhi, ylo, yhi = 0, 0, 0, 0
	}
	d := &decisionMap{X0: xlo - mapMargin, Y0: ylo - mapMargin, Step: mapStep}
	d.NX = gridCount(d.X0, xhi+mapMargin, mapStep)
	d.NY = gridCount(d.Y0, yhi+mapMargin, mapStep)
	d.Pred = make([]int, d.NX*d.NY)
	const chunk = 8192
	G := NewMatrix(0, 2)
	for c0 := 0; c0 < len(d.Pred); c0 += chunk {
		c1 := min(c0+chunk, len(d.Pred))
		G = Resize(G, c1-c0, 2)
		for k := c0; k < c1; k++ {
			G.Set(k-c0, 0, d.X0+float64(k%d.NX)*mapStep)
			G.Set(k-c0, 1, d.Y0+float64(k/d.NX)*mapStep)
		}
		P := net.Propagate(G, true)
		d.Classes = P.Cols
		for r := 0; r < P.Rows; r++ {
			d.Pred[c0+r] = P.ArgmaxRow(r)
		}
	}
	return d
}

// cellPixels is the side of one grid cell in pixels.
func (d *decisionMap) cellPixels() int {
	return max(1, (mapPixels+max(d.NX, d.NY)-1)/max(d.NX, d.NY))
}

// pixel returns the image position of the data point (x, y).
func (d *decisionMap) pixel(x, y float64) (px, py float64) {
	s := float64(d.cellPixels())
	return (x-d.X0)/d.Step*s + s/2, float64(d.NY)*s - ((y-d.Y0)/d.Step*s + s/2)
}

// mapColor is the background of a class: its palette colour, lightened.
// A NaN output (class -1) is grey.
func mapColor(class int) color.RGBA {
	if class < 0 {
		return color.RGBA{0xbb, 0xbb, 0xbb, 0xff}
	}
	return mix(paletteColor(class), white, 0.65)
}

// sampleColor is a sample's marker: its class's colour, darkened.
func sampleColor(class int) color.RGBA {
	if class < 0 {
		return black
	}
	return mix(paletteColor(class), black, 0.35)
}

// markerRadius is the radius of a sample's disk in pixels: bigger when
// there are only a few samples (XOR's four).
func markerRadius(samples int) float64 {
	if samples < 50 {
		return 9
	}
	return 4.5
}

// render draws the map, then the samples (X, T) on top as disks in a dark
// shade of their true class with a white rim.
func (d *decisionMap) render(X, T *Matrix) *image.RGBA {
	s := d.cellPixels()
	img := image.NewRGBA(image.Rect(0, 0, d.NX*s, d.NY*s))
	// Grid row i (y rising) is image rows (NY−1−i)·s … (NY−i)·s − 1: the
	// image's y runs downwards. Draw the first pixel row of each grid row,
	// then copy it to the other s − 1.
	for i := 0; i < d.NY; i++ {
		top := (d.NY - 1 - i) * s
		row := img.Pix[top*img.Stride : top*img.Stride+d.NX*s*4]
		for j := 0; j < d.NX; j++ {
			c := mapColor(d.Pred[i*d.NX+j])
			for k := j * s * 4; k < (j+1)*s*4; k += 4 {
				row[k], row[k+1], row[k+2], row[k+3] = c.R, c.G, c.B, c.A
			}
		}
		for py := top + 1; py < top+s; py++ {
			copy(img.Pix[py*img.Stride:], row)
		}
	}
	r := markerRadius(X.Rows)
	for n := 0; n < X.Rows; n++ {
		cx, cy := d.pixel(X.At(n, 0), X.At(n, 1))
		if !finite(cx) || !finite(cy) {
			continue
		}
		fill := sampleColor(T.ArgmaxRow(n))
		disk(img, cx, cy, r+1, white)
		disk(img, cx, cy, r, fill)
	}
	return img
}

// disk fills the pixels whose centres lie within r of (cx, cy).
func disk(img *image.RGBA, cx, cy, r float64, c color.RGBA) {
	b := img.Bounds()
	for py := max(b.Min.Y, int(cy-r)-1); py <= min(b.Max.Y-1, int(cy+r)+1); py++ {
		for px := max(b.Min.X, int(cx-r)-1); px <= min(b.Max.X-1, int(cx+r)+1); px++ {
			dx, dy := float64(px)+0.5-cx, float64(py)+0.5-cy
			if dx*dx+dy*dy <= r*r {
				img.SetRGBA(px, py, c)
			}
		}
	}
}

// decisionMapPNG writes the decision map of a 2-input classifier as a PNG:
// the predicted class (argmax of net.Propagate(grid, true)) over a grid with
// step 0.02 spanning the data range ±1, a colour per class, and the samples
// (X, T) drawn on top in a darker shade of their true class.
func decisionMapPNG(w io.Writer, net *MLP, X, T *Matrix) error {
	if X.Cols != 2 || net.NInputs != 2 || T.Rows != X.Rows {
		return fmt.Errorf("decision map: needs 2 inputs and one target per sample, got X %s, T %s, a net with %d inputs", X.Shape(), T.Shape(), net.NInputs)
	}
	return png.Encode(w, computeDecisionMap(net, X).render(X, T))
}

// ---------------------------------------------------------------------------
// Digit grids.

// font3x5 draws the digits, '/' and '?' in 3×5 pixels ('#' is ink).
var font3x5 = map[rune][5]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"},
	'1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"},
	'3': {"###", "..#", ".##", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"},
	'5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"},
	'7': {"###", "..#", ".#.", ".#.", ".#."},
	'8': {"###", "#.#", "###", "#.#", "###"},
	'9': {"###", "#.#", "###", "..#", "###"},
	'/': {"..#", "..#", ".#.", "#..", "#.."},
	'?': {"##.", "..#", ".#.", "...", ".#."},
}

// drawText draws s in the 3×5 font at (x, y), each font pixel scale×scale;
// unknown characters are drawn as '?'.
func drawText(img *image.RGBA, x, y, scale int, s string, c color.RGBA) {
	for _, r := range s {
		g, ok := font3x5[r]
		if !ok {
			g = font3x5['?']
		}
		for gy, row := range g {
			for gx, p := range row {
				if p != '#' {
					continue
				}
				for dy := 0; dy < scale; dy++ {
					for dx := 0; dx < scale; dx++ {
						img.SetRGBA(x+gx*scale+dx, y+gy*scale+dy, c)
					}
				}
			}
		}
		x += 4 * scale
	}
}

// Layout of a digit grid's tile, in pixels.
const (
	digitSide   = 28
	digitScale  = 2
	digitFrame  = 3  // frame around the image (red when misclassified)
	digitLabelH = 16 // strip under the image for "pred/true"
	digitGap    = 4
	digitTileW  = digitSide*digitScale + 2*digitFrame + digitGap
	digitTileH  = digitSide*digitScale + 2*digitFrame + digitLabelH + digitGap
)

// digitGridPNG writes a grid of 28×28 images, cols per row, each with
// "predicted/true" written under it; misclassified ones (pred ≠ truth) are
// framed and labelled in red. Each image has 784 values in any range,
// scaled per image so its smallest value is white and its largest black.
// pred may be nil (then only the true label is written); truth may be nil
// only together with pred.
func digitGridPNG(w io.Writer, images [][]float64, pred, truth []int, cols int) error {
	switch {
	case cols < 1:
		return fmt.Errorf("digit grid: cols must be at least 1, got %d", cols)
	case len(images) == 0:
		return fmt.Errorf("digit grid: no images")
	case truth != nil && len(truth) != len(images):
		return fmt.Errorf("digit grid: %d images but %d true labels", len(images), len(truth))
	case pred != nil && len(pred) != len(images):
		return fmt.Errorf("digit grid: %d images but %d predictions", len(images), len(pred))
	case pred != nil && truth == nil:
		return fmt.Errorf("digit grid: predictions without true labels")
	}
	for i, im := range images {
		if len(im) != digitSide*digitSide {
			return fmt.Errorf("digit grid: image %d has %d values, want %d", i, len(im), digitSide*digitSide)
		}
	}
	cols = min(cols, len(images))
	rows := (len(images) + cols - 1) / cols
	img := image.NewRGBA(image.Rect(0, 0, cols*digitTileW+digitGap, rows*digitTileH+digitGap))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	frameOK := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	for n, im := range images {
		x0 := digitGap + (n%cols)*digitTileW
		y0 := digitGap + (n/cols)*digitTileH
		wrong := pred != nil && pred[n] != truth[n]
		fc := frameOK
		if wrong {
			fc = red
		}
		side := digitSide*digitScale + 2*digitFrame
		for y := y0; y < y0+side; y++ {
			for x := x0; x < x0+side; x++ {
				img.SetRGBA(x, y, fc)
			}
		}
		// Scale per image over its finite values; a NaN pixel is drawn red.
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range im {
			if finite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		for p, v := range im {
			c := white
			switch {
			case !finite(v):
				c = red
			case hi > lo:
				g := uint8(math.Round(255 * (1 - (v-lo)/(hi-lo))))
				c = color.RGBA{g, g, g, 0xff}
			}
			px := x0 + digitFrame + (p%digitSide)*digitScale
			py := y0 + digitFrame + (p/digitSide)*digitScale
			for dy := 0; dy < digitScale; dy++ {
				for dx := 0; dx < digitScale; dx++ {
					img.SetRGBA(px+dx, py+dy, c)
				}
			}
		}
		if truth != nil {
			label := strconv.Itoa(truth[n])
			if pred != nil {
				label = predLabel(pred[n]) + "/" + label
			}
			lc := black
			if wrong {
				lc = red
			}
			tw := 4*2*len(label) - 2
			drawText(img, x0+(side-tw)/2, y0+side+3, 2, label, lc)
		}
	}
	return png.Encode(w, img)
}

func predLabel(p int) string {
	if p < 0 {
		return "?"
	}
	return strconv.Itoa(p)
}
