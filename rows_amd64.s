//go:build amd64 && !purego

#include "textflag.h"

// func fillFloat32AVX2(d *float64, b *byte, n int, shift, scale *float32)
//
// Eight values a step: the bytes widened to int32 and converted to float32
// (exact), divided by 255, shift subtracted, divided by scale (each
// operation rounded to float32, as Go's float32 arithmetic rounds it), then
// widened to float64 (exact). Go's operand order: VDIVPS X, Y, Z is Z = Y/X.
TEXT ·fillFloat32AVX2(SB), NOSPLIT, $0-40
	MOVQ d+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ shift+24(FP), R8
	MOVQ scale+32(FP), R9
	MOVL $0x437f0000, AX // 255.0 as float32
	VMOVD AX, X15
	VBROADCASTSS X15, Y15

loop:
	CMPQ CX, $8
	JLT  done
	VPMOVZXBD    (SI), Y0
	VCVTDQ2PS    Y0, Y0
	VDIVPS       Y15, Y0, Y0
	VSUBPS       (R8), Y0, Y0
	VDIVPS       (R9), Y0, Y0
	VCVTPS2PD    X0, Y1
	VEXTRACTF128 $1, Y0, X2
	VCVTPS2PD    X2, Y2
	VMOVUPD      Y1, (DI)
	VMOVUPD      Y2, 32(DI)
	ADDQ $8, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $64, DI
	SUBQ $8, CX
	JMP  loop

done:
	VZEROUPPER
	RET
