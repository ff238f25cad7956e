//go:build goexperiment.simd && amd64

#include "textflag.h"

// STEP_4X8 is one step p of a 4×8 block, the loop body of both kernels
// below: with SI at a's value for row 0 at step p (rows BX bytes apart,
// R13 = 3·BX) and DI at row p of b's panel, it adds a(r, p)·b[p, 0:8] to
// the accumulators Y(2r), Y(2r+1) of row r, then moves SI on by DX bytes
// (a's step) and DI by R8 (b's row). VFMADD231PD Y8, Y10, Y0 is
// Y0 += Y10·Y8 (Go's operand order is reversed).
#define STEP_4X8 \
	VMOVUPD (DI), Y8 \
	VMOVUPD 32(DI), Y9 \
	VBROADCASTSD (SI), Y10 \
	VFMADD231PD Y8, Y10, Y0 \
	VFMADD231PD Y9, Y10, Y1 \
	VBROADCASTSD (SI)(BX*1), Y11 \
	VFMADD231PD Y8, Y11, Y2 \
	VFMADD231PD Y9, Y11, Y3 \
	VBROADCASTSD (SI)(BX*2), Y12 \
	VFMADD231PD Y8, Y12, Y4 \
	VFMADD231PD Y9, Y12, Y5 \
	VBROADCASTSD (SI)(R13*1), Y13 \
	VFMADD231PD Y8, Y13, Y6 \
	VFMADD231PD Y9, Y13, Y7 \
	ADDQ DX, SI \
	ADDQ R8, DI

// func fma4x8asm(a *float64, ars, lda int, b *float64, ldb, steps int, d0, d1, d2, d3 *float64)
//
// The AVX2 micro-kernel of tensor_simd.go (fma4x8) in assembly: the same
// arithmetic, written so that nothing but the FMAs and their loads is left
// in the loop. For p = 0 … steps−1, row r = 0 … 3 and column c = 0 … 7:
//
//	d_r[c] = fma(a[r·ars + p·lda], b[p·ldb + c], d_r[c])
//
// The 8 sums stay in Y0…Y7 (two 4-wide halves per row) for all the steps.
// VFMADD231PD adds the product into the accumulator in place (Go's
// archsimd MulAdd compiles to VFMADD213PD, which overwrites a factor, and
// the compiler then spends 12 register moves a step putting things back),
// and VBROADCASTSD reads a's value straight from memory: 2 loads of b,
// 4 broadcasts, 8 FMAs and 3 loop instructions a step. Each sum is one
// chain of fused multiply-adds in ascending p, exactly as in fma4x8, so the
// results are the same to the bit (TestKernelAsmMatchesArchsimd).
//
// The caller (fma4x8 in tensor_simd.go) checks that every address read or
// written lies inside its slices.
TEXT ·fma4x8asm(SB), NOSPLIT, $0-80
	MOVQ a+0(FP), SI
	MOVQ ars+8(FP), BX
	SHLQ $3, BX                  // from one row of a to the next, in bytes
	LEAQ (BX)(BX*2), R13         // three rows
	MOVQ lda+16(FP), DX
	SHLQ $3, DX                  // from one step of a to the next, in bytes
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R8
	SHLQ $3, R8                  // row stride of b in bytes
	MOVQ steps+40(FP), CX
	MOVQ d0+48(FP), R9
	MOVQ d1+56(FP), R10
	MOVQ d2+64(FP), R11
	MOVQ d3+72(FP), R12
	VMOVUPD (R9), Y0
	VMOVUPD 32(R9), Y1
	VMOVUPD (R10), Y2
	VMOVUPD 32(R10), Y3
	VMOVUPD (R11), Y4
	VMOVUPD 32(R11), Y5
	VMOVUPD (R12), Y6
	VMOVUPD 32(R12), Y7
	TESTQ CX, CX
	JEQ done

loop:
	STEP_4X8
	DECQ CX
	JNE loop

done:
	// Rows repeated at the bottom edge share storage and hold the same
	// values, so the order of the stores does not matter.
	VMOVUPD Y0, (R9)
	VMOVUPD Y1, 32(R9)
	VMOVUPD Y2, (R10)
	VMOVUPD Y3, 32(R10)
	VMOVUPD Y4, (R11)
	VMOVUPD Y5, 32(R11)
	VMOVUPD Y6, (R12)
	VMOVUPD Y7, 32(R12)
	VZEROUPPER
	RET

// func fma4x8blocksAsm(a *float64, ars, lda, ablk int, b *float64, ldb, steps int, d *float64, ldd, nblk int)
//
// fma4x8asm for nblk blocks of 4 rows one after the other, against the same
// panel of b: block q reads a from a + q·ablk and adds into the rows
// d + (4q + r)·ldd, r = 0 … 3 (all counts in float64s). The same FMA chains
// as nblk calls of fma4x8asm, so the same bits (TestKernelBlocksMatchArchsimd);
// one call per group of rows instead of one per block saves the Go code
// around each call (slices, bounds checks), which cost as much as a
// quarter of a 64-step call's FMAs on the hidden layers' products.
//
// The caller (fma4x8blocks in tensor_simd.go) checks that every address
// read or written lies inside its slices.
TEXT ·fma4x8blocksAsm(SB), NOSPLIT, $0-80
	MOVQ ars+8(FP), BX
	SHLQ $3, BX                  // from one row of a to the next, in bytes
	LEAQ (BX)(BX*2), R13         // three rows
	MOVQ lda+16(FP), DX
	SHLQ $3, DX                  // from one step of a to the next, in bytes
	MOVQ ldb+40(FP), R8
	SHLQ $3, R8                  // row stride of b in bytes
	MOVQ a+0(FP), R11            // a of the current block
	MOVQ d+56(FP), R9            // row 0 of the current block of d
	MOVQ ldd+64(FP), R10
	SHLQ $3, R10                 // row stride of d in bytes
	MOVQ nblk+72(FP), AX
	TESTQ AX, AX
	JEQ end

block:
	LEAQ (R10)(R10*2), R12
	ADDQ R9, R12                 // row 3 of the block of d
	VMOVUPD (R9), Y0
	VMOVUPD 32(R9), Y1
	VMOVUPD (R9)(R10*1), Y2
	VMOVUPD 32(R9)(R10*1), Y3
	VMOVUPD (R9)(R10*2), Y4
	VMOVUPD 32(R9)(R10*2), Y5
	VMOVUPD (R12), Y6
	VMOVUPD 32(R12), Y7
	MOVQ R11, SI
	MOVQ b+32(FP), DI
	MOVQ steps+48(FP), CX
	TESTQ CX, CX
	JEQ store

loop:
	STEP_4X8
	DECQ CX
	JNE loop

store:
	VMOVUPD Y0, (R9)
	VMOVUPD Y1, 32(R9)
	VMOVUPD Y2, (R9)(R10*1)
	VMOVUPD Y3, 32(R9)(R10*1)
	VMOVUPD Y4, (R9)(R10*2)
	VMOVUPD Y5, 32(R9)(R10*2)
	VMOVUPD Y6, (R12)
	VMOVUPD Y7, 32(R12)
	MOVQ ablk+24(FP), SI
	SHLQ $3, SI
	ADDQ SI, R11                 // a of the next block
	LEAQ (R9)(R10*4), R9         // d of the next block
	DECQ AX
	JNE block

end:
	VZEROUPPER
	RET

// LOAD_ROW32, FMA_ROW32 and STORE_ROW32 are the parts the two background
// row kernels below share: 32 sums of a row of out (at DI) in Y0…Y7,
// loaded, given d·w[c, 0:32] with d in Y8 and row c of w at AX, and
// stored back.
#define LOAD_ROW32 \
	VMOVUPD (DI), Y0 \
	VMOVUPD 32(DI), Y1 \
	VMOVUPD 64(DI), Y2 \
	VMOVUPD 96(DI), Y3 \
	VMOVUPD 128(DI), Y4 \
	VMOVUPD 160(DI), Y5 \
	VMOVUPD 192(DI), Y6 \
	VMOVUPD 224(DI), Y7

#define FMA_ROW32 \
	VFMADD231PD (AX), Y8, Y0 \
	VFMADD231PD 32(AX), Y8, Y1 \
	VFMADD231PD 64(AX), Y8, Y2 \
	VFMADD231PD 96(AX), Y8, Y3 \
	VFMADD231PD 128(AX), Y8, Y4 \
	VFMADD231PD 160(AX), Y8, Y5 \
	VFMADD231PD 192(AX), Y8, Y6 \
	VFMADD231PD 224(AX), Y8, Y7

#define STORE_ROW32 \
	VMOVUPD Y0, (DI) \
	VMOVUPD Y1, 32(DI) \
	VMOVUPD Y2, 64(DI) \
	VMOVUPD Y3, 96(DI) \
	VMOVUPD Y4, 128(DI) \
	VMOVUPD Y5, 160(DI) \
	VMOVUPD Y6, 192(DI) \
	VMOVUPD Y7, 224(DI)

// func bgRow32Asm(out, ds, diff, w *float64, ldw int, cols *uint16, bytes *uint8, n int)
//
// The background product's inner loop (simdBgMulRows in sparse_simd.go)
// for 32 columns: for k = 0 … n−1, with c = cols[k] and d = diff[256·c +
// bytes[k]],
//
//	ds[k] = d
//	out[0:32] = fma(d, w[c·ldw : c·ldw+32], out[0:32])
//
// The 32 sums stay in Y0…Y7 for all of the row's foreground; d is
// broadcast straight from the table (looking it up here, among the
// multiply-adds, was 7% faster than a pass of lookups first), and each
// FMA reads its four values of w from memory: 19 instructions for 8 FMAs.
// The same chains as bgRow32ListAsm's and bgAddNarrow's, so the same
// bits. The caller checks that every address lies inside its slices.
TEXT ·bgRow32Asm(SB), NOSPLIT, $0-64
	MOVQ out+0(FP), DI
	MOVQ ds+8(FP), R13
	MOVQ diff+16(FP), SI
	MOVQ w+24(FP), R9
	MOVQ ldw+32(FP), R10
	SHLQ $3, R10                 // bytes from one row of w to the next
	MOVQ cols+40(FP), R11
	MOVQ bytes+48(FP), R12
	MOVQ n+56(FP), CX
	LOAD_ROW32
	TESTQ CX, CX
	JEQ rowdone

rowloop:
	MOVWQZX (R11), AX            // c
	MOVBQZX (R12), DX            // its byte
	MOVQ AX, BX
	SHLQ $8, BX
	ADDQ DX, BX                  // 256·c + byte
	VBROADCASTSD (SI)(BX*8), Y8  // d
	VMOVSD X8, (R13)             // ds[k] = d
	IMULQ R10, AX
	ADDQ R9, AX                  // row c of w
	FMA_ROW32
	ADDQ $2, R11
	INCQ R12
	ADDQ $8, R13
	DECQ CX
	JNE rowloop

rowdone:
	STORE_ROW32
	VZEROUPPER
	RET

// func bgRow32ListAsm(out, ds, w *float64, ldw int, cols *uint16, n int)
//
// bgRow32Asm with d read from the list ds that it wrote: for the next 32
// columns of the same row.
TEXT ·bgRow32ListAsm(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ ds+8(FP), SI
	MOVQ w+16(FP), R9
	MOVQ ldw+24(FP), R10
	SHLQ $3, R10                 // bytes from one row of w to the next
	MOVQ cols+32(FP), R11
	MOVQ n+40(FP), CX
	LOAD_ROW32
	TESTQ CX, CX
	JEQ listdone

listloop:
	MOVWQZX (R11), AX            // c
	IMULQ R10, AX
	ADDQ R9, AX                  // row c of w
	VBROADCASTSD (SI), Y8        // ds[k]
	FMA_ROW32
	ADDQ $2, R11
	ADDQ $8, SI
	DECQ CX
	JNE listloop

listdone:
	STORE_ROW32
	VZEROUPPER
	RET

// func bgStrip8Asm(strip, ds *float64, cols *uint16, n int, b *float64)
//
// The inner loop of the background kernel for Aᵀ·B (simdBgATCols in
// sparse_simd.go), for one row s of A and a strip of 8 columns: for
// k = 0 … n−1, with c = cols[k],
//
//	strip[8c : 8c+8] = fma(ds[k], b[0:8], strip[8c : 8c+8])
//
// b (δ's row s, 8 values) stays in Y0 and Y1. The same chains as the
// scalar ones of bgATNarrow (one fused multiply-add per step), so the same
// bits. The caller checks that every address lies inside its slices.
TEXT ·bgStrip8Asm(SB), NOSPLIT, $0-40
	MOVQ strip+0(FP), DI
	MOVQ ds+8(FP), SI
	MOVQ cols+16(FP), R11
	MOVQ n+24(FP), CX
	MOVQ b+32(FP), AX
	VMOVUPD (AX), Y0
	VMOVUPD 32(AX), Y1
	TESTQ CX, CX
	JEQ stripdone

striploop:
	MOVWQZX (R11), AX            // c
	SHLQ $6, AX
	ADDQ DI, AX                  // row c of the strip
	VBROADCASTSD (SI), Y8        // ds[k]
	VMOVUPD (AX), Y2
	VMOVUPD 32(AX), Y3
	VFMADD231PD Y0, Y8, Y2
	VFMADD231PD Y1, Y8, Y3
	VMOVUPD Y2, (AX)
	VMOVUPD Y3, 32(AX)
	ADDQ $2, R11
	ADDQ $8, SI
	DECQ CX
	JNE striploop

stripdone:
	VZEROUPPER
	RET
