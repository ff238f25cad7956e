package main

// The lab's random numbers. The lab's template seeds one numpy generator,
// np.random.RandomState(1234), and draws the initial weights and the spiral
// data from it; RandomState draws exactly the same numbers, so that a seed
// means here what it means in the lab and a student can hold their numpy
// run against this one number by number.
//
// numpy's legacy generator is built from three published algorithms:
//
//   - the Mersenne Twister MT19937 (Matsumoto and Nishimura, 1998), seeded
//     from a 32-bit integer by the recurrence of the authors' 2002 reference
//     code: key[0] = seed, key[i] = 1812433253·(key[i−1] ⊕ key[i−1]≫30) + i;
//   - a double in [0, 1) with all 53 bits random, from two 32-bit outputs:
//     (a≫5 · 2²⁶ + b≫6) / 2⁵³;
//   - normal draws by Marsaglia's polar method, which makes two normals at a
//     time: the first is returned, the second kept for the next call (across
//     calls of any size, until the generator is seeded again).
//
// The one place where the numbers can differ from numpy's is the logarithm
// in the polar method. numpy calls the C library's log, which rounds all but
// about one argument in a thousand correctly; Go's math.Log is accurate to
// one unit in the last place but rounds otherwise in about 3% of the polar
// method's arguments (seen against numpy on 10 million draws). So the polar
// method here uses correctLog, a logarithm rounded correctly (to the nearest
// double), which agrees with the C library's wherever that one is right:
// the draws then differ from numpy's only where the C library's log is off
// by its last bit (README, "Same seed, same numbers").

import (
	"fmt"
	"math"
)

// NormalSource is where NewLinearLayer draws its weights: both
// *math/rand/v2.Rand and *RandomState have this method.
type NormalSource interface {
	NormFloat64() float64 // a draw from the standard normal N(0, 1)
}

// The constants of MT19937, from its definition.
const (
	mtN         = 624
	mtM         = 397
	mtMatrixA   = 0x9908b0df // the twist's matrix, as its last row
	mtUpperMask = 0x80000000
	mtLowerMask = 0x7fffffff
)

// RandomState is numpy's np.random.RandomState(seed): the same uniform and
// normal draws, in the same order. Not safe for use by several goroutines.
type RandomState struct {
	key [mtN]uint32
	pos int // next word of key to temper; mtN: twist first

	hasGauss bool    // the polar method's second normal is waiting
	gauss    float64 // that normal
}

// NewRandomState returns a generator seeded as RandomState(seed).
func NewRandomState(seed uint32) *RandomState {
	r := &RandomState{}
	r.Seed(seed)
	return r
}

// CheckSeed returns an error for a seed that numpy's RandomState refuses:
// it takes integers from 0 to 2³² − 1.
func CheckSeed(seed int64) error {
	if seed < 0 || seed > math.MaxUint32 {
		return fmt.Errorf("%d is not a seed numpy's RandomState takes: want a whole number from 0 to %d", seed, uint32(math.MaxUint32))
	}
	return nil
}

// Seed restarts the generator at seed, forgetting a kept normal.
func (r *RandomState) Seed(seed uint32) {
	r.key[0] = seed
	for i := 1; i < mtN; i++ {
		prev := r.key[i-1]
		r.key[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	r.pos = mtN
	r.hasGauss, r.gauss = false, 0
}

// twist computes the next 624 words of the state at once.
func (r *RandomState) twist() {
	k := &r.key
	for i := 0; i < mtN; i++ {
		y := k[i]&mtUpperMask | k[(i+1)%mtN]&mtLowerMask
		v := k[(i+mtM)%mtN] ^ y>>1
		if y&1 != 0 {
			v ^= mtMatrixA
		}
		k[i] = v
	}
	r.pos = 0
}

// Uint32 returns the next 32-bit output of MT19937.
func (r *RandomState) Uint32() uint32 {
	if r.pos >= mtN {
		r.twist()
	}
	y := r.key[r.pos]
	r.pos++
	// Tempering: spreads the state's bits over the output.
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// Float64 is numpy's random_sample(): a uniform double in [0, 1) made of
// 27 + 26 random bits, exactly representable, so no rounding is involved.
func (r *RandomState) Float64() float64 {
	a, b := r.Uint32()>>5, r.Uint32()>>6
	return (float64(a)*(1<<26) + float64(b)) / (1 << 53)
}

// NormFloat64 is numpy's legacy standard_normal() (randn): Marsaglia's polar
// method. A point (x1, x2) uniform in the square [−1, 1)² is drawn until it
// falls inside the unit circle (and off its centre); then with r² its squared
// radius, f = √(−2·ln r² / r²) makes f·x1 and f·x2 two independent normals.
// f·x2 is returned and f·x1 kept for the next call.
//
// The explicit float64 conversions keep each product rounded on its own, as
// numpy's C code does: Go may otherwise fuse x·x + y into one FMA on arm64.
func (r *RandomState) NormFloat64() float64 {
	if r.hasGauss {
		r.hasGauss = false
		return r.gauss
	}
	var x1, x2, r2 float64
	for {
		x1 = 2*r.Float64() - 1
		x2 = 2*r.Float64() - 1
		r2 = float64(x1*x1) + float64(x2*x2)
		if r2 < 1 && r2 != 0 {
			break
		}
	}
	f := math.Sqrt(-2 * correctLog(r2) / r2)
	r.gauss, r.hasGauss = f*x1, true
	return f * x2
}

// intUpTo returns a uniform integer in [0, max] (max included), as numpy's
// legacy bounded draws make it: the 32-bit outputs are masked to the
// smallest all-ones mask covering max and drawn again until one is ≤ max,
// so that every value is equally likely. max must be below 2³².
func (r *RandomState) intUpTo(max uint32) uint32 {
	if max == 0 {
		return 0
	}
	mask := max
	for s := uint(1); s < 32; s *= 2 {
		mask |= mask >> s
	}
	for {
		if v := r.Uint32() & mask; v <= max {
			return v
		}
	}
}

// IntN returns a uniform integer in [0, n), as numpy's legacy
// randint(0, n) draws it (for n up to 2³²).
func (r *RandomState) IntN(n int) int {
	if n < 1 || uint64(n) > 1<<32 {
		panic(fmt.Sprintf("RandomState.IntN: n is %d, want 1 to 2³²", n))
	}
	return int(r.intUpTo(uint32(n - 1)))
}

// Shuffle permutes [0, n) as numpy's RandomState.shuffle permutes a
// sequence of length n: from the last position down to 1, position i is
// swapped with a uniform j in [0, i]. RandomState.permutation(n) is
// Shuffle applied to 0, 1, …, n−1.
func (r *RandomState) Shuffle(n int, swap func(i, j int)) {
	if n > 0 && uint64(n) > math.MaxUint32 { // n ≤ 0: nothing to shuffle
		panic(fmt.Sprintf("RandomState.Shuffle: %d elements, at most %d", n, uint32(math.MaxUint32)))
	}
	for i := n - 1; i > 0; i-- {
		swap(i, int(r.intUpTo(uint32(i))))
	}
}

// ---------------------------------------------------------------------------
// A correctly rounded natural logarithm, for the polar method.
//
// It computes ln x to about 106 bits with double-double arithmetic (a value
// held as an unevaluated sum hi + lo of two doubles, Dekker's and Knuth's
// error-free sums and products) and rounds that once, so the result is the
// double nearest to ln x unless ln x lies within about 2⁻¹⁰⁰ of a halfway
// point between two doubles. The method:
//
//	x = m·2ᵉ with m in [√½, √2)
//	ln m = 2·atanh(s) = 2s·(1 + s²/3 + s⁴/5 + …),  s = (m − 1)/(m + 1), |s| < 0.172
//	ln x = e·ln 2 + ln m
//
// With z = s² < 0.0295, the series' terms fall below 2⁻¹⁰⁶ after z²².

// dd is the double-double hi + lo, with |lo| at most half an ulp of hi.
type dd struct{ hi, lo float64 }

// twoSum returns a + b exactly as a double-double (Knuth).
func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

// fastTwoSum is twoSum for |a| ≥ |b| (Dekker).
func fastTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

// twoProd returns a·b exactly: the fused multiply-add recovers the
// rounding error of the product. The conversion keeps the product rounded
// where it is later added to something: Go fuses x·y + z into one FMA on
// arm64 otherwise, and the error term would no longer match.
func twoProd(a, b float64) dd {
	p := float64(a * b)
	return dd{p, math.FMA(a, b, -p)}
}

func (x dd) add(y dd) dd {
	s, t := twoSum(x.hi, y.hi), twoSum(x.lo, y.lo)
	s = fastTwoSum(s.hi, s.lo+t.hi)
	return fastTwoSum(s.hi, s.lo+t.lo)
}

// mul drops only the product of the two low parts (below 2⁻¹⁰⁶ of the
// result). The conversions keep the cross terms rounded one by one on
// every architecture, so the bits do not depend on FMA fusion.
func (x dd) mul(y dd) dd {
	p := twoProd(x.hi, y.hi)
	return fastTwoSum(p.hi, p.lo+float64(x.hi*y.lo)+float64(x.lo*y.hi))
}

// ddRecip is 1/n for a small integer n as a double-double: the remainder
// 1 − hi·n is exact with a fused multiply-add.
func ddRecip(n float64) dd {
	hi := 1 / n
	return dd{hi, math.FMA(-hi, n, 1) / n}
}

// ln2 is ln 2 as a double-double: its first 53 bits and the next 53.
var ln2 = dd{0x1.62e42fefa39efp-01, 0x1.abc9e3b39803fp-56}

// atanhCoef[k] = 1/(2k+1), the coefficients of the series above.
var atanhCoef = func() (c [23]dd) {
	for k := range c {
		c[k] = ddRecip(float64(2*k + 1))
	}
	return c
}()

// correctLog returns ln x rounded to the nearest double, for positive
// normal x (the polar method's r² is one); other x go to math.Log.
func correctLog(x float64) float64 {
	if !(x >= 0x1p-1022) || math.IsInf(x, 1) {
		return math.Log(x)
	}
	m, e := math.Frexp(x) // x = m·2ᵉ, m in [½, 1)
	if m < math.Sqrt2/2 {
		m, e = 2*m, e-1
	}
	// s = (m − 1)/(m + 1): m − 1 is exact (m is within a factor 2 of 1),
	// m + 1 is kept exact as a double-double, and the quotient gets its
	// low part from the remainder of the division.
	num, den := m-1, twoSum(m, 1)
	sh := num / den.hi
	r := math.FMA(-sh, den.hi, num) - float64(sh*den.lo)
	s := fastTwoSum(sh, r/den.hi)
	z := s.mul(s)
	p := atanhCoef[len(atanhCoef)-1]
	for k := len(atanhCoef) - 2; k >= 0; k-- {
		p = p.mul(z).add(atanhCoef[k])
	}
	lnm := s.mul(p)
	lnm = dd{2 * lnm.hi, 2 * lnm.lo}
	fe := float64(e)
	eln2 := twoProd(fe, ln2.hi).add(dd{float64(fe * ln2.lo), 0})
	return eln2.add(lnm).hi
}
