//go:build amd64 && !purego

#include "textflag.h"

// The kernels of gemm_amd64.go: each adds a panel piece of b into blocks
// of c (gemm.go, "A kernel adds"), every element one chain of fused
// multiply-adds in ascending p. Go's operand order is reversed from
// Intel's: VFMADD231PD X, Y, Z is Z += Y·X.
//
// Registers, in all four: CX steps left; SI a's row 0 at the step (BX its
// row stride, DX its step stride, both in bytes; R13 = 3·BX); DI b's row
// at the step (R8 its stride); R10 c's row 0 (R11 its stride, R12 = 3·R11);
// AX v, or 0 to start from c. The block kernels take nblk blocks of rows
// one after the other in one call (a and c move on by a block's rows, b
// starts over): a call through Go for every block cost as much as a tenth
// of the hidden layers' products, whose pieces are short.

// ARGS loads the arguments shared by the kernels.
#define ARGS \
	MOVQ a+8(FP), SI \
	MOVQ ars+16(FP), BX \
	SHLQ $3, BX \
	MOVQ aps+24(FP), DX \
	SHLQ $3, DX \
	MOVQ ldb+40(FP), R8 \
	SHLQ $3, R8 \
	MOVQ c+48(FP), R10 \
	MOVQ ldc+56(FP), R11 \
	SHLQ $3, R11 \
	MOVQ v+64(FP), AX \
	LEAQ (BX)(BX*2), R13 \
	LEAQ (R11)(R11*2), R12

// BLOCK starts a block: the steps and b from the arguments.
#define BLOCK \
	MOVQ k+0(FP), CX \
	MOVQ b+32(FP), DI

// func gemm8x16AVX512(k int, a *float64, ars, aps int, b *float64, ldb int, c *float64, ldc int, v *float64, nblk int)
//
// Z0–Z15: the sums, row r in Z(2r) (columns 0–7) and Z(2r+1) (8–15);
// Z16, Z17 b's row; Z18–Z25 a(r, p) broadcast; R9 a's row 4 (c's row 4
// before and after the steps); R14 a's row 0 at the block's first step;
// R15 blocks left.
TEXT ·gemm8x16AVX512(SB), NOSPLIT, $0-80
	ARGS
	MOVQ nblk+72(FP), R15
	MOVQ SI, R14
block8:
	BLOCK
	MOVQ R14, SI
	TESTQ AX, AX
	JZ    fromc8
	VMOVUPD (AX), Z0
	VMOVUPD 64(AX), Z1
	VMOVAPD Z0, Z2
	VMOVAPD Z1, Z3
	VMOVAPD Z0, Z4
	VMOVAPD Z1, Z5
	VMOVAPD Z0, Z6
	VMOVAPD Z1, Z7
	VMOVAPD Z0, Z8
	VMOVAPD Z1, Z9
	VMOVAPD Z0, Z10
	VMOVAPD Z1, Z11
	VMOVAPD Z0, Z12
	VMOVAPD Z1, Z13
	VMOVAPD Z0, Z14
	VMOVAPD Z1, Z15
	JMP start8
fromc8:
	LEAQ (R10)(R11*4), R9
	VMOVUPD (R10), Z0
	VMOVUPD 64(R10), Z1
	VMOVUPD (R10)(R11*1), Z2
	VMOVUPD 64(R10)(R11*1), Z3
	VMOVUPD (R10)(R11*2), Z4
	VMOVUPD 64(R10)(R11*2), Z5
	VMOVUPD (R10)(R12*1), Z6
	VMOVUPD 64(R10)(R12*1), Z7
	VMOVUPD (R9), Z8
	VMOVUPD 64(R9), Z9
	VMOVUPD (R9)(R11*1), Z10
	VMOVUPD 64(R9)(R11*1), Z11
	VMOVUPD (R9)(R11*2), Z12
	VMOVUPD 64(R9)(R11*2), Z13
	VMOVUPD (R9)(R12*1), Z14
	VMOVUPD 64(R9)(R12*1), Z15
start8:
	LEAQ (SI)(BX*4), R9
loop8:
	VMOVUPD (DI), Z16
	VMOVUPD 64(DI), Z17
	VBROADCASTSD (SI), Z18
	VFMADD231PD Z16, Z18, Z0
	VFMADD231PD Z17, Z18, Z1
	VBROADCASTSD (SI)(BX*1), Z19
	VFMADD231PD Z16, Z19, Z2
	VFMADD231PD Z17, Z19, Z3
	VBROADCASTSD (SI)(BX*2), Z20
	VFMADD231PD Z16, Z20, Z4
	VFMADD231PD Z17, Z20, Z5
	VBROADCASTSD (SI)(R13*1), Z21
	VFMADD231PD Z16, Z21, Z6
	VFMADD231PD Z17, Z21, Z7
	VBROADCASTSD (R9), Z22
	VFMADD231PD Z16, Z22, Z8
	VFMADD231PD Z17, Z22, Z9
	VBROADCASTSD (R9)(BX*1), Z23
	VFMADD231PD Z16, Z23, Z10
	VFMADD231PD Z17, Z23, Z11
	VBROADCASTSD (R9)(BX*2), Z24
	VFMADD231PD Z16, Z24, Z12
	VFMADD231PD Z17, Z24, Z13
	VBROADCASTSD (R9)(R13*1), Z25
	VFMADD231PD Z16, Z25, Z14
	VFMADD231PD Z17, Z25, Z15
	ADDQ DX, SI
	ADDQ DX, R9
	ADDQ R8, DI
	DECQ CX
	JNZ  loop8
	LEAQ (R10)(R11*4), R9
	VMOVUPD Z0, (R10)
	VMOVUPD Z1, 64(R10)
	VMOVUPD Z2, (R10)(R11*1)
	VMOVUPD Z3, 64(R10)(R11*1)
	VMOVUPD Z4, (R10)(R11*2)
	VMOVUPD Z5, 64(R10)(R11*2)
	VMOVUPD Z6, (R10)(R12*1)
	VMOVUPD Z7, 64(R10)(R12*1)
	VMOVUPD Z8, (R9)
	VMOVUPD Z9, 64(R9)
	VMOVUPD Z10, (R9)(R11*1)
	VMOVUPD Z11, 64(R9)(R11*1)
	VMOVUPD Z12, (R9)(R11*2)
	VMOVUPD Z13, 64(R9)(R11*2)
	VMOVUPD Z14, (R9)(R12*1)
	VMOVUPD Z15, 64(R9)(R12*1)
	LEAQ (R14)(BX*8), R14
	LEAQ (R10)(R11*8), R10
	DECQ R15
	JNZ  block8
	VZEROUPPER
	RET

// func gemm1x16AVX512(k int, a *float64, ars, aps int, b *float64, ldb int, c *float64, ldc int, v *float64)
//
// Z0, Z1: the sums; Z2 a(0, p) broadcast.
TEXT ·gemm1x16AVX512(SB), NOSPLIT, $0-72
	ARGS
	BLOCK
	TESTQ AX, AX
	JZ    fromc1z
	VMOVUPD (AX), Z0
	VMOVUPD 64(AX), Z1
	JMP   loop1z
fromc1z:
	VMOVUPD (R10), Z0
	VMOVUPD 64(R10), Z1
loop1z:
	VBROADCASTSD (SI), Z2
	VFMADD231PD (DI), Z2, Z0
	VFMADD231PD 64(DI), Z2, Z1
	ADDQ DX, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  loop1z
	VMOVUPD Z0, (R10)
	VMOVUPD Z1, 64(R10)
	VZEROUPPER
	RET

// func gemm3x16AVX2(k int, a *float64, ars, aps int, b *float64, ldb int, c *float64, ldc int, v *float64, nblk int)
//
// Y0–Y11: the sums, row r in Y(4r)…Y(4r+3); Y12–Y14 a(r, p) broadcast;
// Y15 a quarter of b's row at a time; R14 a's row 0 at the block's first
// step; R15 blocks left.
TEXT ·gemm3x16AVX2(SB), NOSPLIT, $0-80
	ARGS
	MOVQ nblk+72(FP), R15
	MOVQ SI, R14
block3:
	BLOCK
	MOVQ R14, SI
	TESTQ AX, AX
	JZ    fromc3
	VMOVUPD (AX), Y0
	VMOVUPD 32(AX), Y1
	VMOVUPD 64(AX), Y2
	VMOVUPD 96(AX), Y3
	VMOVAPD Y0, Y4
	VMOVAPD Y1, Y5
	VMOVAPD Y2, Y6
	VMOVAPD Y3, Y7
	VMOVAPD Y0, Y8
	VMOVAPD Y1, Y9
	VMOVAPD Y2, Y10
	VMOVAPD Y3, Y11
	JMP loop3
fromc3:
	VMOVUPD (R10), Y0
	VMOVUPD 32(R10), Y1
	VMOVUPD 64(R10), Y2
	VMOVUPD 96(R10), Y3
	VMOVUPD (R10)(R11*1), Y4
	VMOVUPD 32(R10)(R11*1), Y5
	VMOVUPD 64(R10)(R11*1), Y6
	VMOVUPD 96(R10)(R11*1), Y7
	VMOVUPD (R10)(R11*2), Y8
	VMOVUPD 32(R10)(R11*2), Y9
	VMOVUPD 64(R10)(R11*2), Y10
	VMOVUPD 96(R10)(R11*2), Y11
loop3:
	VBROADCASTSD (SI), Y12
	VBROADCASTSD (SI)(BX*1), Y13
	VBROADCASTSD (SI)(BX*2), Y14
	VMOVUPD (DI), Y15
	VFMADD231PD Y15, Y12, Y0
	VFMADD231PD Y15, Y13, Y4
	VFMADD231PD Y15, Y14, Y8
	VMOVUPD 32(DI), Y15
	VFMADD231PD Y15, Y12, Y1
	VFMADD231PD Y15, Y13, Y5
	VFMADD231PD Y15, Y14, Y9
	VMOVUPD 64(DI), Y15
	VFMADD231PD Y15, Y12, Y2
	VFMADD231PD Y15, Y13, Y6
	VFMADD231PD Y15, Y14, Y10
	VMOVUPD 96(DI), Y15
	VFMADD231PD Y15, Y12, Y3
	VFMADD231PD Y15, Y13, Y7
	VFMADD231PD Y15, Y14, Y11
	ADDQ DX, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  loop3
	VMOVUPD Y0, (R10)
	VMOVUPD Y1, 32(R10)
	VMOVUPD Y2, 64(R10)
	VMOVUPD Y3, 96(R10)
	VMOVUPD Y4, (R10)(R11*1)
	VMOVUPD Y5, 32(R10)(R11*1)
	VMOVUPD Y6, 64(R10)(R11*1)
	VMOVUPD Y7, 96(R10)(R11*1)
	VMOVUPD Y8, (R10)(R11*2)
	VMOVUPD Y9, 32(R10)(R11*2)
	VMOVUPD Y10, 64(R10)(R11*2)
	VMOVUPD Y11, 96(R10)(R11*2)
	ADDQ R13, R14
	ADDQ R12, R10
	DECQ R15
	JNZ  block3
	VZEROUPPER
	RET

// func gemm1x16AVX2(k int, a *float64, ars, aps int, b *float64, ldb int, c *float64, ldc int, v *float64)
//
// Y0–Y3: the sums; Y4 a(0, p) broadcast.
TEXT ·gemm1x16AVX2(SB), NOSPLIT, $0-72
	ARGS
	BLOCK
	TESTQ AX, AX
	JZ    fromc1y
	VMOVUPD (AX), Y0
	VMOVUPD 32(AX), Y1
	VMOVUPD 64(AX), Y2
	VMOVUPD 96(AX), Y3
	JMP loop1y
fromc1y:
	VMOVUPD (R10), Y0
	VMOVUPD 32(R10), Y1
	VMOVUPD 64(R10), Y2
	VMOVUPD 96(R10), Y3
loop1y:
	VBROADCASTSD (SI), Y4
	VFMADD231PD (DI), Y4, Y0
	VFMADD231PD 32(DI), Y4, Y1
	VFMADD231PD 64(DI), Y4, Y2
	VFMADD231PD 96(DI), Y4, Y3
	ADDQ DX, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  loop1y
	VMOVUPD Y0, (R10)
	VMOVUPD Y1, 32(R10)
	VMOVUPD Y2, 64(R10)
	VMOVUPD Y3, 96(R10)
	VZEROUPPER
	RET

// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32): XCR0, the register state the
// operating system saves.
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func prefetchLines(p *float64, n int)
//
// Asks for the cache lines of p[0:n] (n ≥ 1) to be brought into L2.
TEXT ·prefetchLines(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	LEAQ (SI)(CX*8), CX
prefetch:
	PREFETCHT1 (SI)
	ADDQ $64, SI
	CMPQ SI, CX
	JB   prefetch
	RET
