//go:build amd64 && !purego

package main

// The machine's peak of fused multiply-adds, for BenchmarkFMAPeak: the
// products' GFLOP/s are read as a fraction of it (docs/performance.md).

// fmaChainsAVX2 runs n rounds of 12 independent chains of 4-wide fused
// multiply-adds (fmapeak_amd64.s): 96·n floating-point operations. Twelve
// chains hide the multiply-add's latency (4 cycles) on CPUs that start two
// a cycle, so its time is the CPU's issue rate alone.
//
//go:noescape
func fmaChainsAVX2(n int)

// fmaChainsAVX512 is fmaChainsAVX2 with 8-wide registers and 24 chains:
// 384·n floating-point operations.
//
//go:noescape
func fmaChainsAVX512(n int)
