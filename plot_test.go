package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// svgSeries parses an SVG document completely (any syntax error fails the
// test) and returns, per series group in order, its name and the number of
// points of each of its polylines; a lone dot counts as a polyline of one.
type parsedSeries struct {
	name  string
	lines []int
}

func parseSVG(t *testing.T, doc []byte) (series []parsedSeries, texts []string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var cur *parsedSeries
	inText := false
	sawSVG := false
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
			switch el.Name.Local {
			case "svg":
				sawSVG = true
			case "g":
				if attr["class"] == "series" {
					series = append(series, parsedSeries{name: attr["data-name"]})
					cur = &series[len(series)-1]
				}
			case "polyline":
				if cur == nil {
					t.Fatalf("polyline outside a series group")
				}
				n := 0
				for _, p := range strings.Fields(attr["points"]) {
					var x, y float64
					if _, err := fmt.Sscanf(p, "%g,%g", &x, &y); err != nil || !finite(x) || !finite(y) {
						t.Fatalf("polyline point %q is not a finite x,y pair", p)
					}
					n++
				}
				cur.lines = append(cur.lines, n)
			case "circle":
				if cur != nil {
					cur.lines = append(cur.lines, 1)
				}
			case "text":
				inText = true
			}
		case xml.EndElement:
			if el.Name.Local == "g" {
				cur = nil
			}
			if el.Name.Local == "text" {
				inText = false
			}
		case xml.CharData:
			if inText {
				texts = append(texts, string(el))
			}
		}
	}
	if !sawSVG {
		t.Fatalf("no <svg> element")
	}
	return series, texts
}

func TestLineChartSVG(t *testing.T) {
	// A real run: XOR for 20 epochs; every series has one point per epoch.
	X, T := XORData()
	ri, err := Train(NewXORNet(newRNG(1234)), X, T, TrainConfig{BatchSize: 4, Epochs: 20, Eta: 0.1, XTest: X, TTest: T})
	if err != nil {
		t.Fatal(err)
	}
	charts := map[string]*LineChart{"accuracy": accuracyChart(ri, "acc"), "loss": lossChart(ri, "loss"), "weights": weightChart(ri)}
	wantNames := map[string][]string{
		"accuracy": {"training set", "test set"},
		"loss":     {"training set", "test set"},
		"weights":  {"Linear_1", "Linear_OUT"},
	}
	for name, c := range charts {
		var buf bytes.Buffer
		if err := c.WriteSVG(&buf); err != nil {
			t.Fatal(err)
		}
		series, texts := parseSVG(t, buf.Bytes())
		if len(series) != len(wantNames[name]) {
			t.Fatalf("%s chart: %d series; want %d", name, len(series), len(wantNames[name]))
		}
		for i, s := range series {
			if s.name != wantNames[name][i] {
				t.Errorf("%s chart: series %d is %q; want %q", name, i, s.name, wantNames[name][i])
			}
			if len(s.lines) != 1 || s.lines[0] != 21 {
				t.Errorf("%s chart, series %q: polylines with %v points; want one polyline of 21 (epochs 0..20)", name, s.name, s.lines)
			}
		}
		all := strings.Join(texts, "|")
		for _, want := range append([]string{c.Title, c.XLabel, c.YLabel}, wantNames[name]...) {
			if !strings.Contains(all, want) {
				t.Errorf("%s chart: no text %q (title, axis labels, legend); texts: %q", name, want, texts)
			}
		}
	}
}

func TestLineChartNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	c := &LineChart{Title: `a <title> & "quotes"`, XLabel: "x", YLabel: "y", Series: []Series{
		{Name: "gap", X: []float64{0, 1, 2, 3, 4, 5, 6}, Y: []float64{1, 2, nan, 3, 4, inf, 5}},
		{Name: "all missing", X: []float64{0, 1}, Y: []float64{nan, nan}},
		{Name: "huge", X: []float64{0, 1, 2}, Y: []float64{1e300, -1e300, 0}, Dashed: true},
	}}
	var buf bytes.Buffer
	if err := c.WriteSVG(&buf); err != nil {
		t.Fatal(err)
	}
	series, _ := parseSVG(t, buf.Bytes())
	if len(series) != 3 {
		t.Fatalf("%d series; want 3", len(series))
	}
	if got := fmt.Sprint(series[0].lines); got != "[2 2 1]" {
		t.Errorf("series with NaN at 2 and Inf at 5: pieces of %s points; want [2 2 1]", got)
	}
	if len(series[1].lines) != 0 {
		t.Errorf("all-NaN series drew %v; want nothing", series[1].lines)
	}
	for _, bad := range []string{"NaN", "Inf", "inf"} {
		if bytes.Contains(buf.Bytes(), []byte(bad)) {
			t.Errorf("SVG contains %q; want only finite numbers", bad)
		}
	}
	// An empty chart still is a valid document.
	buf.Reset()
	if err := (&LineChart{Title: "empty"}).WriteSVG(&buf); err != nil {
		t.Fatal(err)
	}
	parseSVG(t, buf.Bytes())
}

func TestNiceRange(t *testing.T) {
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

// TestDecisionMapPNG checks the map against the network: at grid points
// away from the sample markers, the pixel's colour is that of the class the
// network predicts for that point on its own.
func TestDecisionMapPNG(t *testing.T) {
	X, T, _, _ := SpiralSets(1234)
	net := NewSpiralNet(newRNG(1234))
	if _, err := Train(net, X, T, TrainConfig{BatchSize: 300, Epochs: 300, Eta: 1}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := decisionMapPNG(&buf, net, X, T); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("decision map is not a PNG: %v", err)
	}
	d := computeDecisionMap(net, X)
	s := d.cellPixels()
	if b := img.Bounds(); b.Dx() != d.NX*s || b.Dy() != d.NY*s {
		t.Fatalf("map is %dx%d pixels; want %dx%d (%dx%d cells of %d px)", b.Dx(), b.Dy(), d.NX*s, d.NY*s, d.NX, d.NY, s)
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
	r := markerRadius(X.Rows) + 3
	checked, seen := 0, map[int]bool{}
	for i := 0; i < d.NY; i += 7 {
		for j := 0; j < d.NX; j += 7 {
			x, y := d.X0+float64(j)*d.Step, d.Y0+float64(i)*d.Step
			px, py := d.pixel(x, y)
			near := false
			for n := 0; n < X.Rows && !near; n++ {
				sx, sy := d.pixel(X.At(n, 0), X.At(n, 1))
				near = math.Hypot(px-sx, py-sy) < r
			}
			if near {
				continue
			}
			want := net.Propagate(FromRows([][]float64{{x, y}}), true).ArgmaxRow(0)
			got := color.RGBAModel.Convert(img.At(int(px), int(py))).(color.RGBA)
			if got != mapColor(want) {
				t.Fatalf("pixel (%d, %d) for point (%.2f, %.2f) has colour %v; want %v (class %d)", int(px), int(py), x, y, got, mapColor(want), want)
			}
			checked++
			seen[want] = true
		}
	}
	if checked < 500 || len(seen) != 3 {
		t.Errorf("checked %d grid points showing classes %v; want at least 500 showing all 3", checked, seen)
	}
	// A sample's centre shows its true class, darkened.
	for _, n := range []int{50, 150, 250} {
		px, py := d.pixel(X.At(n, 0), X.At(n, 1))
		got := color.RGBAModel.Convert(img.At(int(px), int(py))).(color.RGBA)
		if want := sampleColor(T.ArgmaxRow(n)); got != want {
			t.Errorf("centre of sample %d has colour %v; want %v (class %d, dark)", n, got, want, T.ArgmaxRow(n))
		}
	}
}

func TestDigitGridPNG(t *testing.T) {
	// Seven synthetic "digits": a vertical bar at a different column each,
	// in different value ranges (scaled per image).
	var images [][]float64
	for n := 0; n < 7; n++ {
		im := make([]float64, 784)
		for p := range im {
			im[p] = -3 + float64(n)
			if p%28 == 4+3*n {
				im[p] = 10 * float64(n+1)
			}
		}
		images = append(images, im)
	}
	truth := []int{0, 1, 2, 3, 4, 5, 6}
	pred := []int{0, 1, 9, 3, 4, -1, 6} // 2 and 5 wrong
	var buf bytes.Buffer
	if err := digitGridPNG(&buf, images, pred, truth, 3); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("digit grid is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 3*digitTileW+digitGap || b.Dy() != 3*digitTileH+digitGap {
		t.Fatalf("grid is %dx%d; want %dx%d (3 columns, 3 rows of tiles)", b.Dx(), b.Dy(), 3*digitTileW+digitGap, 3*digitTileH+digitGap)
	}
	at := func(x, y int) color.RGBA { return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) }
	for n := range images {
		x0, y0 := digitGap+(n%3)*digitTileW, digitGap+(n/3)*digitTileH
		frame := at(x0+1, y0+1)
		if wrong := pred[n] != truth[n]; (frame == red) != wrong {
			t.Errorf("image %d (pred %d, true %d): frame colour %v; want red only when misclassified", n, pred[n], truth[n], frame)
		}
		// The bar (the image's maximum) is black, the rest white.
		bx := x0 + digitFrame + (4+3*n)*digitScale
		by := y0 + digitFrame + 10*digitScale
		if got := at(bx, by); got != black {
			t.Errorf("image %d: bar pixel %v; want black", n, got)
		}
		if got := at(bx+2*digitScale, by); got != white {
			t.Errorf("image %d: background pixel %v; want white", n, got)
		}
		// Some label ink under the image.
		ink := 0
		side := digitSide*digitScale + 2*digitFrame
		for y := y0 + side; y < y0+side+digitLabelH; y++ {
			for x := x0; x < x0+side; x++ {
				if c := at(x, y); c != white {
					ink++
				}
			}
		}
		if ink < 20 {
			t.Errorf("image %d: %d label pixels; want the label drawn", n, ink)
		}
	}
	for _, tc := range []struct {
		name         string
		images       [][]float64
		pred, truth  []int
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

// parseHTML reads an HTML page with encoding/xml (our page is well-formed
// XML too) and returns the elements' names and every src and href.
func parseHTML(t *testing.T, page []byte) (elements map[string]int, refs []string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(page))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	elements = map[string]int{}
	depth := 0
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
			depth++
			elements[el.Name.Local]++
			for _, a := range el.Attr {
				if a.Name.Local == "src" || a.Name.Local == "href" {
					refs = append(refs, a.Value)
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		t.Errorf("index.html: %d elements left open; want all closed", depth)
	}
	return elements, refs
}

func TestIndexHTML(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{
		{"-exp", "xor", "-epochs", "5", "-q", "-out", dir},
		{"-exp", "spiral", "-epochs", "5", "-q", "-out", dir},
	} {
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("run %v: exit code %d, stderr %q", args, code, stderr.String())
		}
	}
	// Every file a run lists as written exists.
	for _, line := range strings.Split(stdout.String(), "\n") {
		if p, ok := strings.CutPrefix(line, "  "+dir); ok {
			if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
				t.Errorf("listed file %s: %v", p, err)
			}
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	elements, refs := parseHTML(t, page)
	for _, el := range []string{"html", "head", "style", "body", "table", "img"} {
		if elements[el] == 0 {
			t.Errorf("index.html has no <%s>", el)
		}
	}
	for _, el := range []string{"script", "link", "iframe"} {
		if elements[el] != 0 {
			t.Errorf("index.html has %d <%s>; want none (an offline page without scripts)", elements[el], el)
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
	for _, want := range []string{"xor_map.png", "xor_acc.svg", "xor_loss.svg", "xor_weights.svg", "xor.csv",
		"spiral_test_acc.svg", "spiral_eta1_map.png", "spiral_eta5_loss.svg", "spiral_eta0.2_weights.svg", "spiral.csv"} {
		if !files[want] {
			t.Errorf("index.html does not show %s; want every picture of both runs", want)
		}
	}
	for _, want := range []string{"XOR", "Spirals: three learning rates", "best test acc"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("index.html does not contain %q", want)
		}
	}

	// A broken record is shown as a problem, a record pointing at a missing
	// or outside file does not produce a link, and the other runs stay.
	os.WriteFile(filepath.Join(dir, "broken.run.json"), []byte("{not json"), 0o644)
	os.WriteFile(filepath.Join(dir, "odd.run.json"), []byte(`{"experiment":"odd","title":"Odd","pictures":[{"file":"gone.png"},{"file":"../etc/passwd"}],"files":["/etc/passwd"]}`), 0o644)
	var buf bytes.Buffer
	if err := writeIndex(&buf, dir); err != nil {
		t.Fatal(err)
	}
	_, refs = parseHTML(t, buf.Bytes())
	for _, r := range refs {
		if !strings.HasPrefix(r, "#") {
			if _, err := os.Stat(filepath.Join(dir, r)); err != nil || strings.Contains(r, "/") {
				t.Errorf("page with a bad record references %q; want only existing files in the directory", r)
			}
		}
	}
	for _, want := range []string{"broken.run.json: not a run record", "Missing files", "gone.png", "spiral_eta1_map.png"} {
		if !bytes.Contains(buf.Bytes(), []byte(want)) {
			t.Errorf("page with a bad record does not contain %q", want)
		}
	}
}

// -plot=false writes the CSV only.
func TestPlotFlagOff(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-exp", "spiral", "-epochs", "3", "-q", "-plot=false", "-out", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, stderr.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if !strings.HasSuffix(e.Name(), ".csv") {
			t.Errorf("-plot=false wrote %s; want CSV files only", e.Name())
		}
	}
	want := []string{"spiral.csv", "spiral_eta0.2_confusion.csv", "spiral_eta1_confusion.csv", "spiral_eta5_confusion.csv"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("-plot=false wrote %v; want %v", names, want)
	}
	for _, n := range want {
		if !strings.Contains(stdout.String(), "\n  "+filepath.Join(dir, n)+"\n") {
			t.Errorf("the run does not list the file %s it wrote:\n%s", n, stdout.String())
		}
	}
}
