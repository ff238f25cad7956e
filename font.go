package main

// A small bitmap font for the text inside PNG pictures (the labels of the
// digit grid), designed for this project: proportional glyphs on a grid of
// 9 rows, the cap height 7 rows, the x-height 5, descenders 2. Drawn with
// every font pixel as a scale×scale square; at scale 2 its capitals are 14
// pixels tall.

import (
	"image"
	"image/color"
)

// fontRows is the height of a line of text in font pixels; fontGlyphs
// holds the glyphs, rows from the top ('#' is ink; missing rows at the end
// are blank). It has the characters the pictures write: digits, lower-case
// letters, space and , : ; ?
const fontRows = 9

var fontGlyphs = map[rune][]string{
	'0': {".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."},
	'1': {"..#..", ".##..", "#.#..", "..#..", "..#..", "..#..", "#####"},
	'2': {".###.", "#...#", "....#", "..##.", ".#...", "#....", "#####"},
	'3': {"####.", "....#", "....#", ".###.", "....#", "....#", "####."},
	'4': {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."},
	'5': {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."},
	'6': {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."},
	'7': {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."},
	'8': {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."},
	'9': {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."},
	'a': {"", "", ".###.", "....#", ".####", "#...#", ".####"},
	'b': {"#....", "#....", "####.", "#...#", "#...#", "#...#", "####."},
	'c': {"", "", ".###", "#...", "#...", "#...", ".###"},
	'd': {"....#", "....#", ".####", "#...#", "#...#", "#...#", ".####"},
	'e': {"", "", ".###.", "#...#", "#####", "#....", ".###."},
	'f': {"..##", ".#..", "####", ".#..", ".#..", ".#..", ".#.."},
	'g': {"", "", ".####", "#...#", "#...#", "#...#", ".####", "....#", ".###."},
	'h': {"#....", "#....", "#.##.", "##..#", "#...#", "#...#", "#...#"},
	'i': {"#", "", "#", "#", "#", "#", "#"},
	'j': {"..#", "", "..#", "..#", "..#", "..#", "..#", "#.#", ".#."},
	'k': {"#...", "#...", "#..#", "#.#.", "##..", "#.#.", "#..#"},
	'l': {"#.", "#.", "#.", "#.", "#.", "#.", ".#"},
	'm': {"", "", "##.#.", "#.#.#", "#.#.#", "#.#.#", "#.#.#"},
	'n': {"", "", "#.##.", "##..#", "#...#", "#...#", "#...#"},
	'o': {"", "", ".###.", "#...#", "#...#", "#...#", ".###."},
	'p': {"", "", "####.", "#...#", "#...#", "#...#", "####.", "#....", "#...."},
	'q': {"", "", ".####", "#...#", "#...#", "#...#", ".####", "....#", "....#"},
	'r': {"", "", "#.##", "##..", "#...", "#...", "#..."},
	's': {"", "", ".###", "#...", ".##.", "...#", "###."},
	't': {".#..", ".#..", "####", ".#..", ".#..", ".#..", "..##"},
	'u': {"", "", "#...#", "#...#", "#...#", "#..##", ".##.#"},
	'v': {"", "", "#...#", "#...#", "#...#", ".#.#.", "..#.."},
	'w': {"", "", "#...#", "#...#", "#.#.#", "#.#.#", ".#.#."},
	'x': {"", "", "#...#", ".#.#.", "..#..", ".#.#.", "#...#"},
	'y': {"", "", "#...#", "#...#", "#...#", "#...#", ".####", "....#", ".###."},
	'z': {"", "", "#####", "...#.", "..#..", ".#...", "#####"},
	' ': {".."},
	',': {"", "", "", "", "", "", "##", ".#", "#."},
	':': {"", "", "#", "", "", "", "#"},
	';': {"", "", ".#", "", "", "", "##", ".#", "#."},
	'?': {".###.", "#...#", "....#", "...#.", "..#..", "", "..#.."},
}

// glyph returns the glyph of r, '?' for a character the font lacks, and
// its width in font pixels.
func glyph(r rune) ([]string, int) {
	g, ok := fontGlyphs[r]
	if !ok {
		g = fontGlyphs['?']
	}
	w := 0
	for _, row := range g {
		w = max(w, len(row))
	}
	return g, w
}

// textWidth is the width of s in pixels at the given scale: the glyphs and
// a blank font pixel between two of them.
func textWidth(s string, scale int) int {
	w := 0
	for i, r := range []rune(s) {
		_, gw := glyph(r)
		if i > 0 {
			w++
		}
		w += gw
	}
	return w * scale
}

// drawText draws s with the top of its line at (x, y), each font pixel
// scale×scale, clipped to the image.
func drawText(img *image.RGBA, x, y, scale int, s string, c color.RGBA) {
	for _, r := range s {
		g, w := glyph(r)
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
		x += (w + 1) * scale
	}
}
