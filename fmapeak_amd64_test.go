//go:build amd64 && !purego

package main

import (
	"math"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkFMAPeak measures the machine's peak of fused multiply-adds with
// each assembly set this CPU runs: independent chains (fmaChainsAVX2,
// fmaChainsAVX512) on GOMAXPROCS goroutines at once, as the products run.
// BenchmarkProduct's GFLOP/s divided by this are the fractions of the peak
// in docs/performance.md; like them, "GFLOP/s" is the fastest run's.
func BenchmarkFMAPeak(b *testing.B) {
	for _, c := range []struct {
		id     kernelID
		name   string
		flops  float64 // per round
		chains func(n int)
	}{
		{avx2ID, "avx2", 96, fmaChainsAVX2},
		{avx512ID, "avx512", 384, fmaChainsAVX512},
	} {
		if !cpuRuns[c.id] {
			continue
		}
		b.Run(c.name, func(b *testing.B) {
			const rounds = 1 << 16 // about 30 µs a call
			g := runtime.GOMAXPROCS(0)
			var wg sync.WaitGroup
			best := time.Duration(math.MaxInt64)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				wg.Add(g)
				for w := 0; w < g; w++ {
					go func() { c.chains(rounds); wg.Done() }()
				}
				wg.Wait()
				best = min(best, time.Since(t0))
			}
			flops := float64(g) * rounds * c.flops
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "mean-GFLOP/s")
			b.ReportMetric(flops/best.Seconds()/1e9, "GFLOP/s")
			if g == 1 {
				// One core, by the CPU time of a run on this thread.
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				bestCPU := time.Duration(math.MaxInt64)
				for i := 0; i < b.N; i++ {
					c0, ok := threadCPUTime()
					c.chains(rounds)
					c1, _ := threadCPUTime()
					if !ok {
						return
					}
					bestCPU = min(bestCPU, c1-c0)
				}
				b.ReportMetric(flops/bestCPU.Seconds()/1e9, "cpu-GFLOP/s")
			}
		})
	}
}

// The chains run and return (the benchmark's figures mean nothing if they
// do not; their sums are never read).
func TestFMAChainsRun(t *testing.T) {
	fmaChainsAVX2(0)
	fmaChainsAVX2(3)
	if cpuRuns[avx512ID] {
		fmaChainsAVX512(0)
		fmaChainsAVX512(3)
	}
}
