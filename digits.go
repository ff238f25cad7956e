package main

// The grid of digit images: 28×28 images, each with its true class under
// it, misclassified ones framed red and labelled "7, predicted 9".

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
)

// Layout of a digit grid, in pixels. The labels are in the bitmap font at
// scale 2 (capitals 14 px tall), legible when the page shows the grid at
// its natural size, as it does.
const (
	digitSide   = mnistSide
	digitScale  = 3 // each image pixel is 3×3
	digitFrame  = 3 // frame around the image: red when misclassified
	digitBox    = digitSide*digitScale + 2*digitFrame
	digitGap    = 12 // between tiles (two labels stay apart) and around the grid
	labelScale  = 2
	digitLabelH = 4 + fontRows*labelScale // the label line under an image
	digitTileH  = digitBox + digitLabelH
)

var (
	frameRight = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	inkGrey    = color.RGBA{0x55, 0x55, 0x55, 0xff}
)

// digitLabel is the text under image n: its true class, and for a
// misclassified one also the prediction ("?" for none: a NaN output); ""
// without labels.
func digitLabel(n int, pred, truth []shownClass) string {
	switch {
	case truth == nil:
		return ""
	case pred == nil || pred[n] == truth[n]:
		return truth[n].String()
	case !pred[n].ok:
		return truth[n].String() + ", predicted ?"
	}
	return fmt.Sprintf("%v, predicted %v", truth[n], pred[n])
}

// digitGridPNG writes a grid of 28×28 images, cols per row, each with its
// true class written under it; misclassified ones (pred ≠ truth) are
// framed and labelled in red with the prediction too, and a header line
// says so. Each image has 784 values in any range, scaled per image so its
// smallest value is white and its largest black. pred may be nil (then
// only the true label is written); truth may be nil only together with
// pred.
func digitGridPNG(w io.Writer, images [][]float64, pred, truth []shownClass, cols int) error {
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
	header := ""
	switch {
	case pred != nil:
		header = "under each image its true class; framed red: misclassified, with the prediction"
	case truth != nil:
		header = "under each image its true class"
	}
	// Tiles cols across, each tileW wide (the widest of the image and its
	// label), under the header line.
	cols = min(cols, len(images))
	rows := (len(images) + cols - 1) / cols
	tileW, headerH := digitBox, 0
	for n := range images {
		tileW = max(tileW, textWidth(digitLabel(n, pred, truth), labelScale))
	}
	if header != "" {
		headerH = digitGap + fontRows*labelScale
	}
	width := max(cols*(tileW+digitGap)+digitGap, textWidth(header, labelScale)+2*digitGap)
	img := image.NewRGBA(image.Rect(0, 0, width, headerH+rows*(digitTileH+digitGap)+digitGap))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	drawText(img, digitGap, digitGap, labelScale, header, inkGrey)
	for n, im := range images {
		x0, y0 := digitGap+(n%cols)*(tileW+digitGap), headerH+digitGap+(n/cols)*(digitTileH+digitGap)
		bx := x0 + (tileW-digitBox)/2 // the image centred in its tile
		fc, lc := frameRight, black   // frame and label
		if pred != nil && pred[n] != truth[n] {
			fc, lc = red, red
		}
		for y := y0; y < y0+digitBox; y++ {
			for x := bx; x < bx+digitBox; x++ {
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
			px := bx + digitFrame + (p%digitSide)*digitScale
			py := y0 + digitFrame + (p/digitSide)*digitScale
			for dy := 0; dy < digitScale; dy++ {
				for dx := 0; dx < digitScale; dx++ {
					img.SetRGBA(px+dx, py+dy, c)
				}
			}
		}
		label := digitLabel(n, pred, truth)
		drawText(img, x0+(tileW-textWidth(label, labelScale))/2, y0+digitBox+4, labelScale, label, lc)
	}
	return png.Encode(w, img)
}
