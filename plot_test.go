package main

// Tests of the pictures and the results page (provided code, tested
// without the lab's methods). Every picture is drawn from made-up data and
// compared with the files recorded under testdata/plot (TestPlotGoldens;
// -update rewrites them); the other tests check what a recorded file
// cannot: a map against its network, ranges and ticks over many inputs,
// errors, and the page of real runs.

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// svgElem is an element of a parsed SVG picture: its name, attributes and
// text, and the attributes of the <g> groups around it, outermost first.
type svgElem struct {
	name   string
	attr   map[string]string
	text   string
	groups []map[string]string
}

// group returns the attributes of the innermost enclosing group of the
// given class, or nil.
func (e svgElem) group(class string) map[string]string {
	for i := len(e.groups) - 1; i >= 0; i-- {
		if e.groups[i]["class"] == class {
			return e.groups[i]
		}
	}
	return nil
}

// parseSVG parses an SVG document completely (any syntax error fails the
// test) and returns its elements in document order.
func parseSVG(t *testing.T, doc []byte) []svgElem {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var out []svgElem
	var groups []map[string]string
	var open []int // indices into out of the open elements
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse as XML: %v\n%s", err, doc)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			attr := map[string]string{}
			for _, a := range el.Attr {
				attr[a.Name.Local] = a.Value
			}
			out = append(out, svgElem{name: el.Name.Local, attr: attr, groups: append([]map[string]string(nil), groups...)})
			open = append(open, len(out)-1)
			if el.Name.Local == "g" {
				groups = append(groups, attr)
			}
		case xml.EndElement:
			if el.Name.Local == "g" {
				groups = groups[:len(groups)-1]
			}
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				out[open[len(open)-1]].text += string(el)
			}
		}
	}
	if len(out) == 0 || out[0].name != "svg" {
		t.Fatalf("no <svg> root element")
	}
	return out
}

// selectSVG returns the elements for which keep is true.
func selectSVG(es []svgElem, keep func(svgElem) bool) []svgElem {
	var out []svgElem
	for _, e := range es {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// checkPoints checks that every point of a polyline or polygon is a
// finite x,y pair.
func checkPoints(t *testing.T, e svgElem) {
	t.Helper()
	for _, p := range strings.Fields(e.attr["points"]) {
		var x, y float64
		if _, err := fmt.Sscanf(p, "%g,%g", &x, &y); err != nil || !finite(x) || !finite(y) {
			t.Fatalf("%s point %q is not a finite x,y pair", e.name, p)
		}
	}
}

// Printed in grey, the series are told apart by their dash patterns.
func TestLineChartGreyPrint(t *testing.T) {
	c := &LineChart{Title: "styles"}
	for k := range lineDashes {
		c.Series = append(c.Series, Series{Name: fmt.Sprint(k), X: []float64{0, 1}, Y: []float64{float64(k), float64(k)}})
	}
	var buf bytes.Buffer
	if err := c.WriteSVG(&buf); err != nil {
		t.Fatal(err)
	}
	es := parseSVG(t, buf.Bytes())
	seen, series := map[string]bool{}, 0
	for _, e := range es {
		if e.name == "g" && e.attr["class"] == "series" {
			series++
			if dash := e.attr["stroke-dasharray"]; seen[dash] {
				t.Errorf("series %s has the dash pattern %q of an earlier one; want each of the first %d apart", e.attr["data-name"], dash, len(lineDashes))
			}
			seen[e.attr["stroke-dasharray"]] = true
		}
		if e.group("series") != nil && e.attr["points"] != "" {
			checkPoints(t, e)
		}
	}
	legend := selectSVG(es, func(e svgElem) bool { return e.name == "line" && e.group("legend") != nil })
	if series != len(lineDashes) || len(legend) != len(lineDashes) {
		t.Fatalf("%d series groups and %d legend lines; want %d of each", series, len(legend), len(lineDashes))
	}
	for k, l := range legend {
		if l.attr["stroke-dasharray"] != lineDashes[k] {
			t.Errorf("legend line %d dashed %q; want %q like its series", k, l.attr["stroke-dasharray"], lineDashes[k])
		}
	}
}

func TestLineChartLogRange(t *testing.T) {
	for _, tc := range []struct {
		lo, hi         float64
		wantLo, wantHi float64
		wantTicks      string
	}{
		{0.09, 2.6, 0.05, 5, "[0.05 0.1 0.2 0.5 1 2 5]"},
		{0.3, 12, 0.2, 20, "[0.2 0.5 1 2 5 10 20]"},
		{1, 100, 1, 100, "[1 2 5 10 20 50 100]"},
		{0.011, 11, 0.01, 20, "[0.01 0.02 0.05 0.1 0.2 0.5 1 2 5 10 20]"},
		{1e-5, 1e5, 1e-6, 1e6, "[1e-06 0.0001 0.01 1 100 10000 1e+06]"},
		{1e-320, 1e308, 1e-300, 1e300, ""}, // clamped; the ticks are not checked
	} {
		lo, hi, ticks := logRange(tc.lo, tc.hi)
		if relErr(lo, tc.wantLo, 1e-300) > 1e-12 || relErr(hi, tc.wantHi, 1e-300) > 1e-12 {
			t.Errorf("logRange(%g, %g) = [%g, %g]; want [%g, %g]", tc.lo, tc.hi, lo, hi, tc.wantLo, tc.wantHi)
		}
		var labels []string
		for _, v := range ticks {
			labels = append(labels, logTickLabel(v))
		}
		if got := "[" + strings.Join(labels, " ") + "]"; tc.wantTicks != "" && got != tc.wantTicks {
			t.Errorf("logRange(%g, %g) ticks %s; want %s", tc.lo, tc.hi, got, tc.wantTicks)
		}
		if len(ticks) < 2 || len(ticks) > 12 {
			t.Errorf("logRange(%g, %g): %d ticks; want 2 to 12", tc.lo, tc.hi, len(ticks))
		}
	}
}

func TestLineChartNiceRange(t *testing.T) {
	tests := []struct {
		lo, hi   float64
		wantLo   float64
		wantHi   float64
		wantStep float64
	}{
		{0, 1000, 0, 1000, 200},
		{0, 231, 0, 250, 50},
		{0.0417, 2.6092, 0, 3, 1},
		{0, 100, 0, 100, 20},
		{0.78, 5.2, 0, 6, 1},
		{-3.2, 0.4, -4, 1, 1},
		{1, 1, 0.4, 1.6, 0.2}, // widened to [0.5, 1.5] first
	}
	for _, tc := range tests {
		lo, hi, ticks := niceRange(tc.lo, tc.hi, 5, 0)
		step := ticks[1] - ticks[0]
		if math.Abs(lo-tc.wantLo) > 1e-12 || math.Abs(hi-tc.wantHi) > 1e-12 || math.Abs(step-tc.wantStep) > 1e-12 {
			t.Errorf("niceRange(%v, %v) = [%v, %v] step %v; want [%v, %v] step %v", tc.lo, tc.hi, lo, hi, step, tc.wantLo, tc.wantHi, tc.wantStep)
		}
		if ticks[0] != lo || math.Abs(ticks[len(ticks)-1]-hi) > 1e-9 {
			t.Errorf("niceRange(%v, %v): ticks %v do not span [%v, %v]", tc.lo, tc.hi, ticks, lo, hi)
		}
	}
	// Epochs 0 and 1: integer ticks only.
	if _, _, ticks := niceRange(0, 1, 6, 1); fmt.Sprint(ticks) != "[0 1]" {
		t.Errorf("niceRange(0, 1, 6, minStep 1) ticks = %v; want [0 1]", ticks)
	}
	for _, tc := range []struct {
		v, step float64
		want    string
	}{{0, 0.5, "0.0"}, {-1e-17, 0.2, "0.0"}, {2.5, 0.5, "2.5"}, {1000, 200, "1000"}, {0.05, 0.01, "0.05"}} {
		if got := tickLabel(tc.v, tc.step); got != tc.want {
			t.Errorf("tickLabel(%v, %v) = %q; want %q", tc.v, tc.step, got, tc.want)
		}
	}
}

// mapRaster returns the raster of class regions embedded in a decision
// map.
func mapRaster(t *testing.T, es []svgElem) (image.Image, svgElem) {
	t.Helper()
	for _, e := range es {
		if e.name == "image" && e.attr["class"] == "regions" {
			data, ok := strings.CutPrefix(e.attr["href"], "data:image/png;base64,")
			if !ok {
				t.Fatalf("regions image refers to %.40q; want an embedded PNG", e.attr["href"])
			}
			raw, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("embedded regions are not a PNG: %v", err)
			}
			return img, e
		}
	}
	t.Fatal("decision map has no regions image")
	return nil, svgElem{}
}

func attrFloat(t *testing.T, e svgElem, name string) float64 {
	t.Helper()
	var v float64
	if _, err := fmt.Sscanf(e.attr[name], "%g", &v); err != nil {
		t.Fatalf("<%s> attribute %s=%q is not a number", e.name, name, e.attr[name])
	}
	return v
}

// TestDecisionMapSVG checks the map against the network, which its
// golden (TestPlotGoldens, map_spirals.svg) cannot: the raster of regions
// has the colour of the class the network predicts at each grid point,
// the axes are in data coordinates, and exactly the misclassified samples
// are ringed.
func TestDecisionMapSVG(t *testing.T) {
	X, T, _, _ := SpiralSets(1234)
	net := spiralMapNet()
	var buf bytes.Buffer
	if err := decisionMapSVG(&buf, net, X, T, "Spirals"); err != nil {
		t.Fatal(err)
	}
	es := parseSVG(t, buf.Bytes())
	d, err := computeDecisionMap(net, X)
	if err != nil {
		t.Fatal(err)
	}
	// The grid spans the data range ±1 with step 0.02.
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i := 0; i < X.Rows; i++ {
		xlo, xhi = math.Min(xlo, X.At(i, 0)), math.Max(xhi, X.At(i, 0))
		ylo, yhi = math.Min(ylo, X.At(i, 1)), math.Max(yhi, X.At(i, 1))
	}
	if d.X0 != xlo-1 || d.Y0 != ylo-1 || d.Step != 0.02 ||
		d.X0+float64(d.NX-1)*d.Step >= xhi+1 || d.X0+float64(d.NX)*d.Step < xhi+1-1e-9 ||
		d.Y0+float64(d.NY-1)*d.Step >= yhi+1 || d.Y0+float64(d.NY)*d.Step < yhi+1-1e-9 {
		t.Errorf("grid x from %v (%d points), y from %v (%d points), step %v; want np.arange over [%v, %v) and [%v, %v) with step 0.02",
			d.X0, d.NX, d.Y0, d.NY, d.Step, xlo-1, xhi+1, ylo-1, yhi+1)
	}

	// The regions: k×k raster pixels per cell, the highest row on top; away
	// from the boundary lines each shows the class the net predicts there.
	img, im := mapRaster(t, es)
	k := img.Bounds().Dx() / d.NX
	if b := img.Bounds(); k < 2 || b.Dx() != d.NX*k || b.Dy() != d.NY*k {
		t.Fatalf("regions are %dx%d pixels; want %d×%d cells of k ≥ 2 px", b.Dx(), b.Dy(), d.NX, d.NY)
	}
	checked, seen := 0, map[shownClass]bool{}
	for i := 1; i < d.NY-1; i += 7 {
		for j := 1; j < d.NX-1; j += 7 {
			want := classOf(net.Propagate(FromRows([][]float64{{d.X0 + float64(j)*d.Step, d.Y0 + float64(i)*d.Step}}), true), 0)
			inside := true
			for _, n := range [][2]int{{i - 1, j}, {i + 1, j}, {i, j - 1}, {i, j + 1}} {
				inside = inside && d.Pred[n[0]*d.NX+n[1]] == want
			}
			if !inside {
				continue
			}
			got := color.RGBAModel.Convert(img.At(j*k+k/2, (d.NY-1-i)*k+k/2)).(color.RGBA)
			if got != mapColor(want) {
				t.Fatalf("cell (%d, %d) has colour %v; want %v (class %v)", i, j, got, mapColor(want), want)
			}
			checked++
			seen[want] = true
		}
	}
	if checked < 500 || len(seen) != 3 {
		t.Errorf("checked %d grid points showing classes %v; want at least 500 showing all 3", checked, seen)
	}

	// The axes are in data coordinates: a sample's marker sits where the
	// tick labels say its coordinates are.
	x0, y0 := attrFloat(t, im, "x"), attrFloat(t, im, "y")
	wpx, hpx := attrFloat(t, im, "width"), attrFloat(t, im, "height")
	ex0, ey1 := d.X0-d.Step/2, d.Y0+(float64(d.NY)-0.5)*d.Step
	scale := wpx / (float64(d.NX) * d.Step)
	if math.Abs(hpx/(float64(d.NY)*d.Step)-scale) > 1e-2 {
		t.Errorf("map is %.1f×%.1f px for %d×%d cells; want one scale on both axes", wpx, hpx, d.NX, d.NY)
	}
	ticks := selectSVG(es, func(e svgElem) bool { return e.name == "text" && strings.HasPrefix(e.attr["class"], "tick") })
	var xticks, yticks int
	for _, tk := range ticks {
		var v float64
		if _, err := fmt.Sscanf(tk.text, "%g", &v); err != nil {
			t.Fatalf("tick label %q is not a number", tk.text)
		}
		switch tk.attr["class"] {
		case "tick x":
			xticks++
			if want := x0 + (v-ex0)*scale; math.Abs(attrFloat(t, tk, "x")-want) > 0.6 {
				t.Errorf("x tick %q at %v px; want %.1f", tk.text, tk.attr["x"], want)
			}
		case "tick y":
			yticks++
			if want := y0 + (ey1-v)*scale + 4; math.Abs(attrFloat(t, tk, "y")-want) > 0.6 {
				t.Errorf("y tick %q at %v px; want %.1f", tk.text, tk.attr["y"], want)
			}
		}
	}
	if xticks < 4 || yticks < 4 {
		t.Errorf("%d x and %d y tick labels; want at least 4 each", xticks, yticks)
	}

	// Samples: one marker each, of its true class, where its coordinates
	// are; rings exactly around the misclassified.
	P := net.Propagate(X, true)
	samples := selectSVG(es, func(e svgElem) bool { return e.group("samples") != nil && e.attr["class"] == "sample" })
	if len(samples) != X.Rows {
		t.Fatalf("%d sample markers; want %d", len(samples), X.Rows)
	}
	wrong := 0
	for n, m := range samples {
		if want := fmt.Sprint(classOf(T, n)); m.attr["data-class"] != want {
			t.Errorf("sample %d marked as class %s; want %s", n, m.attr["data-class"], want)
		}
		if m.name == "circle" {
			if cx := attrFloat(t, m, "cx"); math.Abs(cx-(x0+(X.At(n, 0)-ex0)*scale)) > 0.1 {
				t.Errorf("sample %d (x = %.3f) drawn at %.1f px; want %.1f", n, X.At(n, 0), cx, x0+(X.At(n, 0)-ex0)*scale)
			}
		}
		if classOf(P, n) != classOf(T, n) {
			wrong++
		}
	}
	rings := selectSVG(es, func(e svgElem) bool { return e.name == "circle" && e.group("misclassified") != nil })
	if len(rings) != wrong || wrong == 0 {
		t.Errorf("%d rings; want %d, one per misclassified sample (and this net should make some mistakes)", len(rings), wrong)
	}
}

// XOR's four points: (0,0) is where the ticks labelled 0 meet.
func TestDecisionMapXOR(t *testing.T) {
	X, T := XORData()
	// Any 2-class net does: the test is where the samples are drawn.
	var a bytes.Buffer
	if err := decisionMapSVG(&a, xorMapNet(), X, T, "XOR"); err != nil {
		t.Fatal(err)
	}
	es := parseSVG(t, a.Bytes())
	var zeroX, zeroY float64
	for _, e := range es {
		var v float64
		if _, err := fmt.Sscanf(e.text, "%g", &v); err == nil && v == 0 && e.name == "text" {
			switch e.attr["class"] {
			case "tick x":
				zeroX = attrFloat(t, e, "x")
			case "tick y":
				zeroY = attrFloat(t, e, "y") - 4
			}
		}
	}
	first := selectSVG(es, func(e svgElem) bool { return e.attr["class"] == "sample" })[0] // the point (0, 0), class 1: a square
	cx := attrFloat(t, first, "x") + attrFloat(t, first, "width")/2
	cy := attrFloat(t, first, "y") + attrFloat(t, first, "height")/2
	if math.Abs(cx-zeroX) > 0.2 || math.Abs(cy-zeroY) > 0.2 {
		t.Errorf("sample (0, 0) drawn at (%.1f, %.1f); the ticks labelled 0 are at (%.1f, %.1f)", cx, cy, zeroX, zeroY)
	}
}

func TestDecisionMapOddInput(t *testing.T) {
	// Test-only layers: the maps are provided code. The first input
	// decides the class. (The odd inputs that give a map are pictures of
	// TestPlotGoldens.)
	net := argmaxNet(2, 2, func(y, x []float64) { y[0] = x[0] })
	for _, tc := range []struct {
		name    string
		X, T    *Matrix
		wantErr string
	}{
		{"three inputs", FromRows([][]float64{{0, 0, 0}}), FromRows([][]float64{{1, 0}}), "needs 2 inputs"},
		{"targets missing", FromRows([][]float64{{0, 0}}), NewMatrix(0, 2), "one target per sample"},
		{"too wide", FromRows([][]float64{{0, 0}, {1e6, 1e6}}), FromRows([][]float64{{1, 0}, {0, 1}}), "too wide"},
		{"overflowing", FromRows([][]float64{{-math.MaxFloat64, 0}, {math.MaxFloat64, 0}}), FromRows([][]float64{{1, 0}, {0, 1}}), "too wide"},
	} {
		if err := decisionMapSVG(io.Discard, net, tc.X, tc.T, tc.name); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v; want one mentioning %q", tc.name, err, tc.wantErr)
		}
	}
}

// digitTestImages are n synthetic "digits": a vertical bar at a different
// column each, in different value ranges (scaled per image).
func digitTestImages(n int) [][]float64 {
	var images [][]float64
	for k := 0; k < n; k++ {
		im := make([]float64, 784)
		for p := range im {
			im[p] = -3 + float64(k)
			if p%28 == 4+3*k {
				im[p] = 10 * float64(k+1)
			}
		}
		images = append(images, im)
	}
	return images
}

// The digit grid's pictures are in TestPlotGoldens; its errors here.
func TestDigitGridPNG(t *testing.T) {
	images := digitTestImages(7)
	truth := []shownClass{{0, true}, {1, true}, {2, true}, {3, true}, {4, true}, {5, true}, {6, true}}
	pred := []shownClass{{0, true}, {1, true}, {9, true}, {3, true}, {4, true}, {}, {6, true}}
	for _, tc := range []struct {
		name         string
		images       [][]float64
		pred, truth  []shownClass
		cols         int
		wantInErrMsg string
	}{
		{"no columns", images, pred, truth, 0, "cols"},
		{"no images", nil, nil, nil, 3, "no images"},
		{"short image", [][]float64{make([]float64, 783)}, nil, nil, 1, "783"},
		{"labels missing", images, pred, truth[:3], 3, "true labels"},
		{"predictions only", images, pred, nil, 3, "without true labels"},
	} {
		err := digitGridPNG(io.Discard, tc.images, tc.pred, tc.truth, tc.cols)
		if err == nil || !strings.Contains(err.Error(), tc.wantInErrMsg) {
			t.Errorf("%s: error %v; want one mentioning %q", tc.name, err, tc.wantInErrMsg)
		}
	}
}

// The bitmap font: every glyph fits its rows, is made of '.' and '#', and
// the characters the grid writes are all there (no '?' stand-ins).
func TestDigitGridFont(t *testing.T) {
	for r, g := range fontGlyphs {
		if len(g) == 0 || len(g) > fontRows {
			t.Errorf("glyph %q has %d rows; want 1 to %d", r, len(g), fontRows)
		}
		_, w := glyph(r)
		for i, row := range g {
			if strings.Trim(row, ".#") != "" || (row != "" && len(row) != w) {
				t.Errorf("glyph %q row %d is %q; want %d of '.' and '#' (or empty)", r, i, row, w)
			}
		}
	}
	for _, r := range "0123456789abcdefghijklmnopqrstuvwxyz ,:;?" {
		if _, ok := fontGlyphs[r]; !ok {
			t.Errorf("font has no glyph %q", r)
		}
	}
	if got, want := textWidth("7, predicted 9", 2), 2*(5+2+2+5+4+5+5+1+4+4+5+5+2+5+13); got != want {
		t.Errorf(`textWidth("7, predicted 9", 2) = %d; want %d`, got, want)
	}
}

// parseHTML reads an HTML page with encoding/xml, strictly: the page is
// well-formed XML too (every element closed, <meta … /> included; XML's
// entities only), and a page that is not fails the test. It returns the
// elements' names, every src and href, and the class of the first element
// inside each grid.
func parseHTML(t *testing.T, page []byte) (elements map[string]int, refs, gridFirst []string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(page))
	elements = map[string]int{}
	gridOpened := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("index.html does not parse: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			elements[el.Name.Local]++
			class := ""
			for _, a := range el.Attr {
				switch a.Name.Local {
				case "src", "href":
					refs = append(refs, a.Value)
				case "class":
					class = a.Value
				}
			}
			if gridOpened {
				gridFirst = append(gridFirst, el.Name.Local+"."+class)
			}
			gridOpened = class == "grid"
		}
	}
	return elements, refs, gridFirst
}

func TestIndexHTML(t *testing.T) {
	needLab(t, labAll)
	dir := t.TempDir()
	stdout := mustRun(t, "-exp", "xor", "-epochs", "5", "-q", "-out", dir) + mustRun(t, "-exp", "spiral", "-epochs", "5", "-q", "-out", dir)
	// Every file a run lists as written exists.
	listed := 0
	for _, line := range strings.Split(stdout, "\n") {
		if p, ok := strings.CutPrefix(line, "  "+dir); ok {
			listed++
			if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
				t.Errorf("listed file %s: %v", p, err)
			}
		}
	}
	if listed == 0 {
		t.Errorf("the runs list no file they wrote under %s:\n%s", dir, stdout)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	elements, refs, gridFirst := parseHTML(t, page)
	for _, el := range []string{"html", "head", "style", "body", "table", "img", "figure", "figcaption"} {
		if elements[el] == 0 {
			t.Errorf("index.html has no <%s>", el)
		}
	}
	if elements["figcaption"] != elements["figure"] {
		t.Errorf("index.html: %d figures, %d captions; want a caption under every picture", elements["figure"], elements["figcaption"])
	}
	for _, el := range []string{"script", "link", "iframe", "object", "embed"} {
		if elements[el] != 0 {
			t.Errorf("index.html has %d <%s>; want none (an offline page without scripts)", elements[el], el)
		}
	}
	// Nothing from outside: no URLs, no fonts, no imports, anywhere.
	for _, bad := range []string{"http:", "https:", "//", "@import", "@font-face", "url("} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("index.html contains %q; want nothing loaded from outside the directory", bad)
		}
	}
	files := map[string]bool{}
	for _, r := range refs {
		if strings.HasPrefix(r, "#") {
			continue
		}
		if strings.Contains(r, ":") || strings.Contains(r, "/") {
			t.Errorf("index.html references %q; want only files in the out directory", r)
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, r)); err != nil {
			t.Errorf("index.html references %q, which does not exist", r)
		}
		files[r] = true
	}
	for _, want := range []string{"xor_map.svg", "xor_confusion.svg", "xor_acc.svg", "xor_loss.svg", "xor_weights.svg", "xor.csv",
		"spiral_test_acc.svg", "spiral_eta1_map.svg", "spiral_eta1_confusion.svg", "spiral_eta5_loss.svg", "spiral_eta0.2_weights.svg", "spiral.csv"} {
		if !files[want] {
			t.Errorf("index.html does not show %s; want every picture of both runs", want)
		}
	}
	// The pictures themselves load nothing either (a map's raster is
	// embedded).
	for f := range files {
		if !strings.HasSuffix(f, ".svg") {
			continue
		}
		doc, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		checkSelfContained(t, f, doc)
	}
	for _, want := range []string{"XOR", "Spirals: three learning rates", "best test acc", "rows are true classes"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("index.html does not contain %q", want)
		}
	}
	// The summary comes first: XOR's five pictures and the spirals' first
	// group of five (two charts, three matrices) share a two-column grid
	// with it; the spirals' groups of four have none.
	if got, want := strings.Join(gridFirst, " "), "div.summary div.summary figure. figure. figure."; got != want {
		t.Errorf("first cells of the grids: %s; want %s", got, want)
	}
}

// -plot=false writes the CSV only.
func TestPlotFlagOff(t *testing.T) {
	needLab(t, labPlain)
	dir := t.TempDir()
	stdout := mustRun(t, "-exp", "spiral", "-epochs", "3", "-q", "-plot=false", "-out", dir)
	names := dirNames(t, dir)
	want := []string{"spiral.csv", "spiral_eta0.2_confusion.csv", "spiral_eta1_confusion.csv", "spiral_eta5_confusion.csv"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("-plot=false wrote %v; want %v", names, want)
	}
	for _, n := range want {
		if !strings.Contains(stdout, "\n  "+filepath.Join(dir, n)+"\n") {
			t.Errorf("the run does not list the file %s it wrote:\n%s", n, stdout)
		}
	}
}

// geomSeries is n values falling (or rising) geometrically from from to to.
func geomSeries(from, to float64, n int) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = from * math.Pow(to/from, float64(i)/float64(n-1))
	}
	return y
}

// countTo is 0, 1, …, n−1: the epochs of a chart.
func countTo(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i)
	}
	return x
}

// chartRunInfo is the run info of 20 epochs of a network with two linear
// layers, made up; every series has one point per epoch.
func chartRunInfo() *RunInfo {
	ri := &RunInfo{Linear: []string{"Linear_1", "Linear_OUT"}, HasTest: true}
	for e := 0; e <= 20; e++ {
		x := float64(e)
		ri.Epochs = append(ri.Epochs, EpochInfo{Epoch: e, LossTrain: 0.7 * math.Exp(-x/8), AccTrain: 0.5 + 0.025*x,
			LossTest: 0.75 * math.Exp(-x/9), AccTest: 0.5 + 0.02*x, WeightAmp: []float64{1 + 0.01*x, 1 + 0.03*x}})
	}
	return ri
}

// spiralMapNet classifies a point of the plane into three classes by its
// angle, turning with its radius as the spirals do (test-only layers: the
// map is provided code, tested without the lab's methods).
func spiralMapNet() *MLP {
	return argmaxNet(2, 3, func(y, x []float64) {
		a := math.Atan2(x[1], x[0]) - 1.6*math.Hypot(x[0], x[1])
		k := int(math.Floor(3*(a/(2*math.Pi)+2))) % 3
		y[k] = 1
	})
}

// xorMapNet predicts XOR itself (test-only layers).
func xorMapNet() *MLP {
	return argmaxNet(2, 2, func(y, x []float64) {
		if (x[0] > 0.5) == (x[1] > 0.5) {
			y[1] = 1
		} else {
			y[0] = 1
		}
	})
}

// plotPictures are the pictures of TestPlotGoldens, by file name: made-up
// data (test-only layers), each drawn by the writer a run uses.
func plotPictures() map[string]func(io.Writer) error {
	nan, inf := math.NaN(), math.Inf(1)
	ri := chartRunInfo()
	charts := map[string]*LineChart{
		// Accuracy in percent on a fixed 0–100 axis; one polyline of 21
		// points per series.
		"chart_acc": accuracyChart(ri, "acc"), "chart_loss": lossChart(ri, "loss"), "chart_weights": weightChart(ri),
		// A NaN and an Inf are gaps (pieces of 2, 2 and 1 points), an
		// all-NaN series draws nothing, the title is escaped, and huge
		// values stay on the picture.
		"chart_nonfinite": {Title: `a <title> & "quotes"`, XLabel: "x", YLabel: "y", Series: []Series{
			{Name: "gap", X: []float64{0, 1, 2, 3, 4, 5, 6}, Y: []float64{1, 2, nan, 3, 4, inf, 5}},
			{Name: "all missing", X: []float64{0, 1}, Y: []float64{nan, nan}},
			{Name: "huge", X: []float64{0, 1, 2}, Y: []float64{1e300, -1e300, 0}},
			{Name: "beyond", X: []float64{0, 1}, Y: []float64{math.MaxFloat64, -math.MaxFloat64}},
			{Name: "short Y", X: []float64{0, 1, 2}, Y: []float64{1}},
		}},
		// Odd charts still have axes with ticks.
		"chart_empty":     {Title: "empty"},
		"chart_no_points": {Title: "no points", AutoLogY: true, Series: []Series{{Name: "none"}}},
		"chart_one_epoch": {Title: "one", AutoLogY: true, Series: []Series{{Name: "a", X: []float64{0}, Y: []float64{2.5}}}},
		"chart_all_equal": {Title: "flat", Series: []Series{{Name: "a", X: []float64{0, 1, 2}, Y: []float64{7, 7, 7}}}},
		"chart_all_zero":  {Title: "zero", AutoLogY: true, Series: []Series{{Name: "a", X: []float64{0, 1, 2}, Y: []float64{0, 0, 0}}}},
	}
	// A loss that spans more than a decade goes on a log axis, labelled
	// (log scale), with ticks at 1-2-5 or at whole decades; a value ≤ 0
	// cannot, and is a gap that a note counts.
	for name, tc := range map[string]struct {
		y    []float64
		auto bool
	}{
		"three_decades": {geomSeries(11, 0.011, 50), true}, "mnist_like": {geomSeries(12, 0.3, 50), true},
		"less_than_a_decade": {geomSeries(2.6, 0.4, 50), true}, "not_asked_for": {geomSeries(11, 0.011, 50), false},
		"zero_and_negative": {append(geomSeries(10, 0.01, 20), 0, -1), true}, "ten_decades": {geomSeries(1e5, 1e-5, 50), true},
	} {
		charts["chart_log_"+name] = &LineChart{Title: name, YLabel: "mean loss", AutoLogY: tc.auto,
			Series: []Series{{Name: "training set", X: countTo(len(tc.y)), Y: tc.y}}}
	}
	// A line that alternates every epoch is drawn as a band, and a note
	// says so (zigzag from epoch 0, late from 499); a smooth line, or one
	// whose zigzag is under a pixel (tiny), is a line.
	n := 1001
	smooth, zigzag, tiny, late := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range smooth {
		sign := float64(1 - 2*(i%2))
		smooth[i] = 40 + 40*float64(i)/float64(n)
		zigzag[i] = 60 + 3*sign // 6 points of 100: 20 px on the chart
		tiny[i] = 30 + 0.2*sign
		if i >= 500 {
			late[i] = 50 + 4*sign
		} else {
			late[i] = 50
		}
	}
	charts["chart_alternating"] = &LineChart{Title: "acc", YMin: 0, YMax: 100, Series: []Series{
		{Name: "smooth", X: countTo(n), Y: smooth}, {Name: "zigzag", X: countTo(n), Y: zigzag},
		{Name: "tiny", X: countTo(n), Y: tiny}, {Name: "late", X: countTo(n), Y: late},
	}}

	pictures := map[string]func(io.Writer) error{}
	for name, c := range charts {
		pictures[name+".svg"] = c.WriteSVG
	}
	drawMap := func(net *MLP, X, T *Matrix, title string) func(io.Writer) error {
		return func(w io.Writer) error { return decisionMapSVG(w, net, X, T, title) }
	}
	X, T, _, _ := SpiralSets(1234)
	pictures["map_spirals.svg"] = drawMap(spiralMapNet(), X, T, "Spirals")
	X, T = XORData()
	pictures["map_xor.svg"] = drawMap(xorMapNet(), X, T, "XOR")
	// Twelve classes: more than the legend names.
	wide := argmaxNet(2, 12, func(y, x []float64) {
		for k := range y {
			y[k] = math.Sin(float64(k+1) * (x[0] + 2*x[1]))
		}
	})
	pictures["map_twelve_classes.svg"] = drawMap(wide, randMatrix(newTestRNG(1), 40, 2), randOneHot(newTestRNG(2), 40, 12), "twelve classes")
	first := argmaxNet(2, 2, func(y, x []float64) { y[0] = x[0] })
	pictures["map_no_samples.svg"] = drawMap(first, NewMatrix(0, 2), NewMatrix(0, 2), "no samples")
	pictures["map_nan_sample.svg"] = drawMap(first, FromRows([][]float64{{math.NaN(), 0}, {1, 1}}), FromRows([][]float64{{1, 0}, {0, 1}}), "a sample not a number")
	// Seven digits, 2 and 5 misclassified (5 with no valid prediction): red
	// frames and labels; the bar of each image black on white.
	pictures["digits.png"] = func(w io.Writer) error {
		pred := []shownClass{{0, true}, {1, true}, {9, true}, {3, true}, {4, true}, {}, {6, true}}
		truth := []shownClass{{0, true}, {1, true}, {2, true}, {3, true}, {4, true}, {5, true}, {6, true}}
		return digitGridPNG(w, digitTestImages(7), pred, truth, 3)
	}
	pictures["digits_unlabelled_nan.png"] = func(w io.Writer) error {
		im := digitTestImages(1)
		im[0][3] = math.NaN()
		return digitGridPNG(w, im, nil, nil, 16)
	}
	// Confusion matrices: every count in its cell, the diagonal green by
	// the class accuracy, the mistakes red relative to the largest one (a
	// single mistake faint but there), a NaN column only when there are
	// NaN outputs; a picture even without classes.
	for name, c := range map[string]*Confusion{
		"test_set":   {Counts: [][]int{{50, 1, 0}, {0, 40, 10}, {2, 0, 30}}, Invalid: []int{0, 0, 3}},
		"no_nan":     {Counts: [][]int{{3, 1}, {0, 2}}, Invalid: []int{0, 0}},
		"all_right":  {Counts: [][]int{{3, 0}, {0, 2}}, Invalid: []int{0, 0}},
		"all_nan":    {Counts: [][]int{{0, 0}, {0, 0}}, Invalid: []int{5, 4}},
		"no_classes": {},
	} {
		title := strings.ReplaceAll(name, "_", " ")
		pictures["confusion_"+name+".svg"] = func(w io.Writer) error { return c.WriteSVG(w, title) }
	}
	return pictures
}

// pageRecords are the run records of the page of TestPlotGoldens: every
// part of a record, text that must be escaped (<, &, quotes), a group of
// pictures and a wide one, a picture whose file is missing, a record that
// points outside the directory, and one that is not JSON.
var pageRecords = map[string]string{
	"a.run.json": `{"experiment":"a","title":"A <b>run</b> & \"quotes\"","written":"2026-01-02T03:04:05Z",
		"settings":[{"name":"network","value":"Linear_1 (2→4) <script>"},{"name":"eta","value":"0.1"}],
		"header":["epochs","loss & more"],"rows":[["100","0.25"]],"notes":["a note with <tags> & ampersands"],
		"pictures":[{"file":"a_map.svg","caption":"the map, \"quoted\""},{"file":"a_loss.svg","caption":"loss","group":"η = 0.1 & more"},
			{"file":"a_acc.svg","caption":"accuracy","group":"η = 0.1 & more"},{"file":"a_digits.png","caption":"digits","wide":true},
			{"file":"gone.svg","caption":"not there"}],
		"files":["a.csv"]}`,
	"odd.run.json":    `{"experiment":"odd","title":"Odd","pictures":[{"file":"../etc/passwd"}],"files":["/etc/passwd"]}`,
	"broken.run.json": `{not json`,
}

// What a picture must not hold: a number that is not finite in an
// attribute or a text (where "NaN" alone may name the column of NaN
// outputs), a reference to anything outside it (svgRef: the start of every
// href).
var (
	nonFiniteAttr = regexp.MustCompile(`NaN|Inf|inf`)
	nonFiniteText = regexp.MustCompile(`NaN%|Inf|\binf`)
	svgRef        = regexp.MustCompile(`href="([^"]{0,12})`)
)

// checkSelfContained checks that the SVG picture doc loads nothing from
// outside itself: its one reference, if any, is its embedded raster (a
// decision map's regions).
func checkSelfContained(t *testing.T, name string, doc []byte) {
	t.Helper()
	if refs := svgRef.FindAllStringSubmatch(string(doc), -1); len(refs) > 1 ||
		len(refs) == 1 && !strings.HasPrefix(refs[0][1], "data:") {
		t.Errorf("%s refers to %q; want nothing outside the picture but its embedded raster", name, refs)
	}
}

// TestPlotGoldens draws every picture of plotPictures and compares it with
// testdata/plot (go test -run '^TestPlot' -update rewrites them: look at
// the pictures before committing). Whatever is recorded, every SVG must
// parse as XML, hold finite numbers only and load nothing from outside
// itself but its embedded raster.
func TestPlotGoldens(t *testing.T) {
	got := map[string][]byte{}
	for name, draw := range plotPictures() {
		var buf bytes.Buffer
		if err := draw(&buf); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got[name] = buf.Bytes()
		if !strings.HasSuffix(name, ".svg") {
			continue
		}
		// Numbers are attributes (coordinates, sizes) and texts (ticks,
		// percentages); a text may name NaN outputs.
		for _, e := range parseSVG(t, buf.Bytes()) {
			for k, v := range e.attr {
				if nonFiniteAttr.MatchString(v) {
					t.Errorf("%s: <%s %s=%q>; want only finite numbers", name, e.name, k, v)
				}
			}
			if nonFiniteText.MatchString(e.text) {
				t.Errorf("%s: <%s> %q; want only finite numbers", name, e.name, e.text)
			}
		}
		checkSelfContained(t, name, buf.Bytes())
	}
	// The results page of the records above, in a directory whose name
	// would be a pattern to a glob.
	dir := filepath.Join(t.TempDir(), "out[1]*?")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"a_map.svg": nil, "a_loss.svg": nil, "a_acc.svg": nil, "a_digits.png": nil, "a.csv": nil}
	for name, data := range pageRecords {
		files[name] = []byte(data)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var page bytes.Buffer
	if err := writeIndex(&page, dir); err != nil {
		t.Fatal(err)
	}
	parseHTML(t, page.Bytes())
	got["index.html"] = page.Bytes()
	compareGolden(t, filepath.Join("testdata", "plot"), got)
}
