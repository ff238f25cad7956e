//go:build amd64 && !purego

package main

// The assembly kernels of gemm_amd64.s and how one is chosen: at start-up,
// by what the CPU (and the operating system, which must save the wider
// registers) supports, asked with CPUID and XGETBV.
//
//	avx512  AVX-512F: blocks of 8 rows × 16 columns, two 8-wide registers a row
//	avx2    AVX2 and FMA: blocks of 3 rows × 16 columns, four 4-wide registers a row
//	        (both: a single row × 16 for the last rows of a chunk)
//
// -tags purego leaves this file and the assembly out (gemm_other.go).

// The kernels' contract is gemm.go's ("A kernel adds"), with pointers for
// the slices; v is nil to carry on from the sums in c. The block kernels
// take nblk ≥ 1 blocks of rows in one call.

//go:noescape
func gemm8x16AVX512(k int, a *float64, ars, aps int, b *float64, ldb int, c *float64, ldc int, v *float64, nblk int)

//go:noescape
func gemm1x16AVX512(k int, a *float64, ars, aps int, b *float64, ldb int, c *float64, ldc int, v *float64)

//go:noescape
func gemm3x16AVX2(k int, a *float64, ars, aps int, b *float64, ldb int, c *float64, ldc int, v *float64, nblk int)

//go:noescape
func gemm1x16AVX2(k int, a *float64, ars, aps int, b *float64, ldb int, c *float64, ldc int, v *float64)

//go:noescape
func prefetchLines(p *float64, n int)

// prefetch asks the CPU to bring s's cache lines into L2 (a hint: it
// changes no value).
func prefetch(s []float64) {
	if len(s) > 0 {
		prefetchLines(&s[0], len(s))
	}
}

func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// kernelSets are the sets of this build, fastest first.
var kernelSets = []kernelSet{
	{name: "avx512", id: avx512ID, rows: 8},
	{name: "avx2", id: avx2ID, rows: 3},
	portableKernels,
}

// cpuRuns reports which sets this CPU runs.
var cpuRuns = func() map[kernelID]bool {
	runs := map[kernelID]bool{portableID: true}
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return runs
	}
	_, _, ecx1, _ := cpuid(1, 0)
	fma, osxsave, avx := ecx1&(1<<12) != 0, ecx1&(1<<27) != 0, ecx1&(1<<28) != 0
	if !osxsave || !avx || !fma {
		return runs
	}
	xcr0, _ := xgetbv()
	_, ebx7, _, _ := cpuid(7, 0)
	// XCR0: bits 1, 2 (SSE and AVX state) for 256-bit registers; 5, 6, 7
	// (opmask, the upper halves of Z0–Z15, Z16–Z31) for 512-bit ones.
	if xcr0&0x6 == 0x6 && ebx7&(1<<5) != 0 {
		runs[avx2ID] = true
		if xcr0&0xe0 == 0xe0 && ebx7&(1<<16) != 0 {
			runs[avx512ID] = true
		}
	}
	return runs
}()

// callKernel runs kernel set id's kernel for r rows (nb blocks of its
// block kernel, or its single-row kernel when r is 1), after checking that
// they lie inside their operands.
func callKernel(id kernelID, r, k int, a []float64, ars, aps int, b []float64, ldb int, c []float64, ldc int, v []float64) {
	if id == portableID {
		portableRows(r, k, a, ars, aps, b, ldb, c, ldc, v)
		return
	}
	checkBlock(r, k, a, ars, aps, b, ldb, c, ldc, v)
	var vp *float64
	if v != nil {
		vp = &v[0]
	}
	switch {
	case r == 1 && id == avx512ID:
		gemm1x16AVX512(k, &a[0], ars, aps, &b[0], ldb, &c[0], ldc, vp)
	case r == 1:
		gemm1x16AVX2(k, &a[0], ars, aps, &b[0], ldb, &c[0], ldc, vp)
	case id == avx512ID:
		gemm8x16AVX512(k, &a[0], ars, aps, &b[0], ldb, &c[0], ldc, vp, r/8)
	default:
		gemm3x16AVX2(k, &a[0], ars, aps, &b[0], ldb, &c[0], ldc, vp, r/3)
	}
}
