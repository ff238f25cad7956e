//go:build goexperiment.simd && amd64

#include "textflag.h"

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
	VMOVUPD (DI), Y8             // b[p, 0:4]
	VMOVUPD 32(DI), Y9           // b[p, 4:8]
	VBROADCASTSD (SI), Y10       // a of row 0 at step p, in all 4 lanes
	VFMADD231PD Y8, Y10, Y0      // Y0 += Y10·Y8 (Go's operand order is reversed)
	VFMADD231PD Y9, Y10, Y1
	VBROADCASTSD (SI)(BX*1), Y11 // row 1
	VFMADD231PD Y8, Y11, Y2
	VFMADD231PD Y9, Y11, Y3
	VBROADCASTSD (SI)(BX*2), Y12 // row 2
	VFMADD231PD Y8, Y12, Y4
	VFMADD231PD Y9, Y12, Y5
	VBROADCASTSD (SI)(R13*1), Y13 // row 3
	VFMADD231PD Y8, Y13, Y6
	VFMADD231PD Y9, Y13, Y7
	ADDQ DX, SI                  // next step of a
	ADDQ R8, DI                  // next row of b
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
