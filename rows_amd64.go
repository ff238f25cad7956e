//go:build amd64 && !purego

package main

// fillFloat32AVX2 makes n values (n a multiple of 8) of a byteRows row
// whose level is byte/255 (rows_amd64.s): d[k] = float64((float32(b[k])/255
// − shift[k]) / scale[k]), eight at a time, each operation rounded to
// float32 as the Go code rounds it, so that the values are the same bits.
//
//go:noescape
func fillFloat32AVX2(d *float64, b *byte, n int, shift, scale *float32)

// fillVector reports whether fillRun may use fillFloat32AVX2: the CPU
// runs the AVX2 kernels (gemm_amd64.go). Tests turn it off to check the
// Go code.
var fillVector = cpuRuns[avx2ID]

// fillFast makes the first values of a run whose level is byte/255 with
// vector instructions, eight at a time, and returns how many it made.
func fillFast(d []float64, b []byte, shift, scale []float32) int {
	n := len(b) &^ 7
	if !fillVector || n == 0 {
		return 0
	}
	_, _, _ = d[n-1], shift[n-1], scale[n-1]
	fillFloat32AVX2(&d[0], &b[0], n, &shift[0], &scale[0])
	return n
}
