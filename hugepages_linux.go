package main

import (
	"syscall"
	"unsafe"
)

// adviseHugePages asks Linux to back data with 2 MB pages where it can
// (madvise MADV_HUGEPAGE; numpy does the same for its large arrays). The
// first write to fresh memory costs a page fault per page, and the
// products' walks over a matrix miss the TLB less. It paid most when MNIST
// was held as 440 MB of float64 (4 KB pages made filling it take 0.7 s of
// a run, 2 MB pages a tenth of that); the images are bytes now, and what is
// left for it is the trainer's batch of rows made from them (18.8 MB,
// about 4600 pages of 4 KB, which every product of a step walks) and the
// training set's one-hot labels. Kept for the batch: it costs nothing, and
// 10 pages of 2 MB cover it where 4600 of 4 KB are more than the CPU's
// second-level TLB holds (not measured again: a reasoned choice). Advice only:
// an error (a kernel without transparent huge pages) changes nothing.
func adviseHugePages(data []float64) {
	if len(data) == 0 {
		return
	}
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), len(data)*8), syscall.MADV_HUGEPAGE)
}
