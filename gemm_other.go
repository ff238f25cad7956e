//go:build purego || !amd64

package main

// Without assembly (the purego build tag, or an architecture other than
// amd64) the products run the portable kernel.

var kernelSets = []kernelSet{portableKernels}

var cpuRuns = map[kernelID]bool{portableID: true}

// prefetch does nothing here: Go has no prefetch instruction.
func prefetch([]float64) {}

func callKernel(_ kernelID, r, k int, a []float64, ars, aps int, b []float64, ldb int, c []float64, ldc int, v []float64) {
	portableRows(r, k, a, ars, aps, b, ldb, c, ldc, v)
}
