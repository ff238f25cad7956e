package main

// Decision maps of 2-input classifiers, drawn the way a student would draw
// them with matplotlib: the predicted class over a grid (the lab's
// np.arange with step 0.02 over the data range ±1) as coloured regions with
// their boundaries, axes in data coordinates, the samples on top as markers
// of their true class, misclassified ones ringed, a legend, and a title
// with the accuracy. An SVG: the regions are a PNG embedded in it (base64),
// everything else is vector and text.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"slices"
	"strconv"
)

// Grid of a decision map, as in the lab's plot of a 2-D classifier.
const (
	mapStep   = 0.02 // grid step in data units
	mapMargin = 1.0  // the grid covers the data range ±1
)

// decisionMap is the predicted class at every point of a grid: cell (i, j)
// is the point (X0 + j·Step, Y0 + i·Step); row 0 is the lowest y.
type decisionMap struct {
	X0, Y0, Step float64
	NX, NY       int
	Pred         []shownClass // NY×NX, row-major
	Classes      int
}

// gridCount is how many points np.arange(lo, hi, step) has.
func gridCount(lo, hi, step float64) int {
	return max(1, int(math.Ceil((hi-lo)/step-1e-9)))
}

// mapMaxCells bounds the grid: data spread over more than about 40 units
// would make the map a larger computation than the training.
const mapMaxCells = 4 << 20

// mapGrid returns the grid of X's decision map, spanning X's range
// ±mapMargin, without its predictions.
func mapGrid(X *Matrix) (*decisionMap, error) {
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
	if (xhi-xlo+2*mapMargin)*(yhi-ylo+2*mapMargin)/(mapStep*mapStep) > mapMaxCells {
		return nil, fmt.Errorf("decision map: the samples span [%g, %g] × [%g, %g], too wide for a grid of step %g", xlo, xhi, ylo, yhi, mapStep)
	}
	d := &decisionMap{X0: xlo - mapMargin, Y0: ylo - mapMargin, Step: mapStep}
	d.NX = gridCount(d.X0, xhi+mapMargin, mapStep)
	d.NY = gridCount(d.Y0, yhi+mapMargin, mapStep)
	return d, nil
}

// mapBudget is how many numbers a buffer of the decision map holds: a chunk
// of grid points has mapBudget/width rows for a network whose widest layer
// is width units (8192 rows up to 256 units), so that its three buffers
// stay at 48 MiB however wide a loaded network is (mapNeed counts them).
// (Fewer rows would hardly save time: a 2→400000→2 network's map of
// 22,500 points takes a minute whatever the chunks, as 9·10⁹ hidden units
// are computed.)
const mapBudget = 8192 * 256

// mapRows is the rows of a chunk of grid points for a network whose widest
// layer has widest units.
func mapRows(widest int) int { return max(1, min(8192, mapBudget/max(widest, 1))) }

// computeDecisionMap evaluates net (with its output layers) over the grid
// spanning X's range ±mapMargin, in chunks whose buffers are reused, so
// the memory stays that of mapNeed.
func computeDecisionMap(net *MLP, X *Matrix) (*decisionMap, error) {
	d, err := mapGrid(X)
	if err != nil {
		return nil, err
	}
	d.Pred = make([]shownClass, d.NX*d.NY)
	chunk := mapRows(widestLayer(netWidths(net)))
	G := NewMatrix(0, 2)
	var ws evalWorkspace
	for c0 := 0; c0 < len(d.Pred); c0 += chunk {
		c1 := min(c0+chunk, len(d.Pred))
		G = Resize(G, c1-c0, 2)
		for k := c0; k < c1; k++ {
			G.Set(k-c0, 0, d.X0+float64(k%d.NX)*mapStep)
			G.Set(k-c0, 1, d.Y0+float64(k/d.NX)*mapStep)
		}
		Y := ws.forward(G, net.Layers, nil)
		P := ws.forward(Y, net.OutputLayers, nil)
		d.Classes = P.Cols
		for r := 0; r < P.Rows; r++ {
			d.Pred[c0+r] = classOf(P, r)
		}
	}
	return d, nil
}

// shownClass is the class the pictures and tables show for a row of
// outputs or targets: its argmax, or none (ok false) where the row has a
// NaN, which the decision map draws grey (mapColor) and black
// (sampleColor) and the digit grid labels "predicted ?". Two rows without
// a class show the same (k is then 0).
type shownClass struct {
	k  int
	ok bool
}

func classOf(M *Matrix, r int) shownClass {
	k, ok := M.ArgmaxRow(r)
	return shownClass{k, ok}
}

// String is the class as the XOR table, the divergence diagnosis and the
// maps' data-class attributes write it: −1 for none.
func (c shownClass) String() string {
	if !c.ok {
		return "-1"
	}
	return strconv.Itoa(c.k)
}

// mapColor is the background of a class: its palette colour, lightened;
// grey for none.
func mapColor(c shownClass) color.RGBA {
	if !c.ok {
		return nanGrey
	}
	return mix(paletteColor(c.k), white, 0.65)
}

var (
	nanGrey       = color.RGBA{0xbb, 0xbb, 0xbb, 0xff}
	boundaryColor = color.RGBA{0x44, 0x44, 0x44, 0xff}
)

// sampleColor is a sample's marker: its class's colour, darkened; black
// for none.
func sampleColor(c shownClass) color.RGBA {
	if !c.ok {
		return black
	}
	return mix(paletteColor(c.k), black, 0.35)
}

// raster draws the regions with k×k pixels per grid cell, the highest y
// in the top row, and the boundary between two classes as a line of the
// cell pixels on either side of it. Its palette has grey (NaN), the
// palette's ten class colours and the boundary colour, so the PNG is small.
func (d *decisionMap) raster(k int) *image.Paletted {
	pal := color.Palette{nanGrey}
	for c := range palette {
		pal = append(pal, mapColor(shownClass{c, true}))
	}
	pal = append(pal, boundaryColor)
	img := image.NewPaletted(image.Rect(0, 0, d.NX*k, d.NY*k), pal)
	class := func(i, j int) shownClass { return d.Pred[i*d.NX+j] }
	for y := 0; y < d.NY*k; y++ {
		i := d.NY - 1 - y/k // grid rows rise, image rows go down
		for x := 0; x < d.NX*k; x++ {
			j := x / k
			c := class(i, j)
			edge := (x%k == 0 && j > 0 && class(i, j-1) != c) ||
				(x%k == k-1 && j < d.NX-1 && class(i, j+1) != c) ||
				(y%k == 0 && i < d.NY-1 && class(i+1, j) != c) ||
				(y%k == k-1 && i > 0 && class(i-1, j) != c)
			switch {
			case edge:
				img.Pix[y*img.Stride+x] = uint8(len(pal) - 1)
			case c.ok:
				img.Pix[y*img.Stride+x] = uint8(1 + c.k%len(palette))
			} // else 0: grey
		}
	}
	return img
}

// marker draws the marker of a class centred on (cx, cy) with radius r:
// a shape per class (circle, square, triangle, diamond, triangle down), so
// that the classes stay apart in a grey print; none is a circle.
func (s *svgDoc) marker(c shownClass, cx, cy, r float64, attrs string) {
	switch shape := c.k % 5; shape {
	case 0:
		fmt.Fprintf(s, `<circle cx="%.1f" cy="%.1f" r="%.1f" %s/>`+"\n", cx, cy, r, attrs)
	case 1:
		q := r * 0.89 // the square of the circle's area
		fmt.Fprintf(s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" %s/>`+"\n", cx-q, cy-q, 2*q, 2*q, attrs)
	case 2, 4:
		h := 1.3 * r
		if shape == 4 {
			h = -h
		}
		fmt.Fprintf(s, `<path d="M%.1f %.1fL%.1f %.1fL%.1f %.1fZ" %s/>`+"\n", cx, cy-h, cx+0.87*math.Abs(h), cy+h/2, cx-0.87*math.Abs(h), cy+h/2, attrs)
	case 3:
		q := r * 1.25
		fmt.Fprintf(s, `<path d="M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ" %s/>`+"\n", cx, cy-q, cx+q, cy, cx, cy+q, cx-q, cy, attrs)
	}
}

// mapLegendClasses is how many classes the legend lists by name: with the
// other entries, as many as the picture's height holds.
const mapLegendClasses = 8

// decisionMapSVG writes the decision map of a 2-input classifier as an SVG:
// the predicted class (argmax of net.Propagate(grid, true)) over a grid with
// step 0.02 spanning the data range ±1, a colour per class, and the samples
// (X, T) on top in a darker shade of their true class, misclassified ones
// ringed in red. The title is followed by the accuracy on these samples.
func decisionMapSVG(w io.Writer, net *MLP, X, T *Matrix, title string) error {
	if X.Cols != 2 || net.NInputs != 2 || T.Rows != X.Rows {
		return fmt.Errorf("decision map: needs 2 inputs and one target per sample, got X %s, T %s, a net with %d inputs", X.Shape(), T.Shape(), net.NInputs)
	}
	d, err := computeDecisionMap(net, X)
	if err != nil {
		return err
	}
	P := net.Propagate(X, true)
	right := 0
	for n := 0; n < X.Rows; n++ {
		if t := classOf(T, n); t.ok && classOf(P, n) == t {
			right++
		}
	}
	if X.Rows > 0 {
		title += fmt.Sprintf(": %s right (%d of %d)", pct(float64(right)/float64(X.Rows)), right, X.Rows)
	}

	// The plot area shows the grid's cells whole, at one scale on both axes
	// (a circle stays round), its longer side as tall as the charts' plots.
	ex0, ey0 := d.X0-d.Step/2, d.Y0-d.Step/2
	ex1, ey1 := ex0+float64(d.NX)*d.Step, ey0+float64(d.NY)*d.Step
	scale := (plotB - plotT) / math.Max(ex1-ex0, ey1-ey0) // pixels per data unit
	a := &axes{l: plotL, t: plotT, r: plotL + (ex1-ex0)*scale, b: plotT + (ey1-ey0)*scale, xlabel: "input 1", ylabel: "input 2", yscale: "linear"}
	px := func(x float64) float64 { return a.l + (x-ex0)*scale }
	py := func(y float64) float64 { return a.b - (y-ey0)*scale }
	a.xticks = ticksWithin(ex0, ex1, px)
	a.yticks = ticksWithin(ey0, ey1, py)

	// The raster has about two pixels per screen pixel, so it stays sharp
	// when the browser scales it.
	k := max(2, int(math.Ceil(2*d.Step*scale)))
	var raster bytes.Buffer
	if err := png.Encode(&raster, d.raster(k)); err != nil {
		return err
	}

	s := newSVG(w, title)
	fmt.Fprintf(s, `<image class="regions" x="%.1f" y="%.1f" width="%.1f" height="%.1f" preserveAspectRatio="none" href="data:image/png;base64,%s"/>`+"\n",
		a.l, a.t, a.r-a.l, a.b-a.t, base64.StdEncoding.EncodeToString(raster.Bytes()))
	// Markers and rings are bigger when there are only a few samples
	// (XOR's four), thin among many, so that a cluster of mistakes does not
	// merge into one red blot.
	r, ring, ringW := 3.5, 5.3, 1.2
	if X.Rows < 50 {
		r, ring, ringW = 8, 12, 2.5
	}
	var wrong [][2]float64
	s.WriteString(`<g class="samples" stroke="white" stroke-width="1">` + "\n")
	for n := 0; n < X.Rows; n++ {
		cx, cy := px(X.At(n, 0)), py(X.At(n, 1))
		if !finite(cx) || !finite(cy) {
			continue
		}
		t := classOf(T, n)
		s.marker(t, cx, cy, r, fmt.Sprintf(`class="sample" data-class="%s" fill="%s"`, t, cssColor(sampleColor(t))))
		if classOf(P, n) != t {
			wrong = append(wrong, [2]float64{cx, cy})
		}
	}
	s.WriteString("</g>\n")
	fmt.Fprintf(s, `<g class="misclassified" fill="none" stroke="%s" stroke-width="%g">`+"\n", cssColor(red), ringW)
	for _, c := range wrong {
		fmt.Fprintf(s, `<circle cx="%.1f" cy="%.1f" r="%.1f"/>`+"\n", c[0], c[1], ring)
	}
	s.WriteString("</g>\n")
	s.axes(a)

	// Legend: how to read the map, then a swatch of each class's region
	// with its marker, the ring, and the boundary.
	s.WriteString(`<g class="legend">` + "\n")
	y := s.lines(legendX, plotT+8, legendW, 15, "note", noteAttrs, "Background: the class the net predicts there. Marker: a sample's true class.") + 8
	swatch := func(fill color.RGBA) {
		fmt.Fprintf(s, `<rect x="%d" y="%.1f" width="26" height="18" fill="%s" stroke="#999"/>`+"\n", legendX, y-13, cssColor(fill))
	}
	for k := 0; k < min(d.Classes, mapLegendClasses); k++ {
		c := shownClass{k, true}
		swatch(mapColor(c))
		s.marker(c, legendX+13, y-4, math.Min(r, 5), fmt.Sprintf(`fill="%s" stroke="white"`, cssColor(sampleColor(c))))
		s.text(legendX+34, y, "entry", "", "class "+c.String())
		y += 24
	}
	if d.Classes > mapLegendClasses {
		s.text(legendX+34, y, "entry", "", fmt.Sprintf("… %d classes in all", d.Classes))
		y += 24
	}
	fmt.Fprintf(s, `<circle cx="%d" cy="%.1f" r="7" fill="none" stroke="%s" stroke-width="2"/>`+"\n", legendX+13, y-4, cssColor(red))
	s.text(legendX+34, y, "entry", "", fmt.Sprintf("misclassified: %d", len(wrong)))
	y += 24
	fmt.Fprintf(s, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="1.5"/>`+"\n", legendX, y-4, legendX+26, y-4, cssColor(boundaryColor))
	s.text(legendX+34, y, "entry", "", "class boundary")
	if slices.Contains(d.Pred, shownClass{}) {
		y += 24
		swatch(nanGrey)
		s.text(legendX+34, y, "entry", "", "output is NaN")
	}
	s.WriteString("</g>\n")
	return s.close()
}

// ticksWithin returns round tick values inside [lo, hi], placed by at.
func ticksWithin(lo, hi float64, at func(float64) float64) []tick {
	step := niceStep(hi-lo, 7)
	var ticks []tick
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+step*1e-9; k++ {
		ticks = append(ticks, tick{at(k * step), tickLabel(k*step, step)})
	}
	return ticks
}
