/**
 * Deterministic exp, log and log1p: the same bits on every JavaScript engine.
 *
 * Math.exp/log/log1p are not required to be correctly rounded, and V8 versions (Node vs Chromium vs an
 * older worker) differ in the last bit for some inputs, which breaks byte-identical results. These are
 * ports of Sun's fdlibm 5.3 (e_exp.c, e_log.c, s_log1p.c; freely redistributable, with the fixes of
 * FreeBSD msun) using only IEEE-exact operations: + − × ÷, comparisons and reading/writing the 32-bit
 * halves of a double. The error is below 1 ulp (fdlibm's bound), so the result is the correctly rounded
 * value or its neighbour — and always the same one.
 */

// Scratch double whose two 32-bit words are read and written for frexp/ldexp-style steps.
const scratchF = new Float64Array(1);
const scratchI = new Int32Array(scratchF.buffer);
// Word order of a double in memory; every current platform is little-endian, but checking is cheap.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** High 32-bit word of x (sign, exponent, top 20 mantissa bits), as a signed integer like fdlibm's. */
function highWord(x: number): number {
  scratchF[0] = x;
  return scratchI[HI];
}

/** The double with high word `hi` and low word `lo` (both taken modulo 2³²). */
function fromWords(hi: number, lo: number): number {
  scratchI[HI] = hi;
  scratchI[LO] = lo;
  return scratchF[0];
}

/** x with its high word replaced by `hi` (low word kept). */
function withHighWord(x: number, hi: number): number {
  scratchF[0] = x;
  scratchI[HI] = hi;
  return scratchF[0];
}

const LN2_HI = 6.93147180369123816490e-1; // 0x3fe62e42 fee00000: k·LN2_HI is exact for |k| < 2¹¹
const LN2_LO = 1.90821492927058770002e-10; // 0x3dea39ef 35793c76
const TWO54 = 1.8014398509481984e16; // 2⁵⁴

// e_exp.c: exp(x) = 2^k · exp(r), x = k·ln2 + r, |r| ≤ ln2/2, exp(r) from a Remez fit of r·(e^r+1)/(e^r−1).
const INV_LN2 = 1.44269504088896338700; // 0x3ff71547 652b82fe
const O_THRESHOLD = 7.09782712893383973096e2; // above: exp overflows
const U_THRESHOLD = -7.45133219101941108420e2; // below: exp underflows to 0
const TWOM1000 = 9.33263618503218878990e-302; // 2⁻¹⁰⁰⁰
const P1 = 1.66666666666666019037e-1;
const P2 = -2.77777777770155933842e-3;
const P3 = 6.61375632143793436117e-5;
const P4 = -1.65339022054652515390e-6;
const P5 = 4.13813679705723846039e-8;
const E = 2.718281828459045; // exp(1) correctly rounded (fdlibm's own value is 1 ulp above)

/** e^x, fdlibm e_exp.c. */
export function exp(x: number): number {
  const hx = highWord(x) & 0x7fffffff; // high word of |x|
  const negative = x < 0;

  if (hx >= 0x40862e42) {
    // |x| ≥ 709.78…: NaN, ±∞, overflow or underflow
    if (x !== x) return x;
    if (x > O_THRESHOLD) return Infinity;
    if (x < U_THRESHOLD) return 0;
  }
  if (x === 1) return E;

  let k = 0;
  let hi = 0;
  let lo = 0;
  if (hx > 0x3fd62e42) {
    // |x| > ln2/2: reduce
    if (hx < 0x3ff0a2b2) {
      // |x| < 1.5·ln2: k = ±1
      k = negative ? -1 : 1;
      hi = negative ? x + LN2_HI : x - LN2_HI;
      lo = negative ? -LN2_LO : LN2_LO;
    } else {
      k = (INV_LN2 * x + (negative ? -0.5 : 0.5)) | 0; // truncation, as C's (int)
      hi = x - k * LN2_HI;
      lo = k * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    // |x| < 2⁻²⁸: e^x rounds to 1 + x (also exp(±0) = 1)
    return 1 + x;
  }

  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - (lo - (x * c) / (2 - c) - hi);
  // y·2^k: 2^k as a double (exact scaling), in two factors where 2^k itself is not a normal double.
  if (k >= -1021) {
    if (k === 1024) return y * 2 * fromWords(0x7fe00000, 0);
    return y * fromWords((0x3ff + k) << 20, 0);
  }
  return y * fromWords((0x3ff + k + 1000) << 20, 0) * TWOM1000;
}

// log(1+f) = 2s + s·R(s²), s = f/(2+f): Remez coefficients of R, the same in e_log.c (Lg1–7) and s_log1p.c (Lp1–7).
const LG1 = 6.666666666666735130e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;

/** Natural logarithm, fdlibm e_log.c: x = 2^k·(1+f) with √2/2 < 1+f < √2, log(1+f) by a series in s = f/(2+f). */
export function log(x: number): number {
  scratchF[0] = x;
  let hx = scratchI[HI];
  const lx = scratchI[LO];

  let k = 0;
  if (hx < 0x00100000) {
    // x < 2⁻¹⁰²² (including negatives, ±0 and subnormals)
    if (((hx & 0x7fffffff) | lx) === 0) return -Infinity; // log(±0)
    if (hx < 0) return NaN; // log(negative)
    k -= 54;
    x *= TWO54; // subnormal: scale up (exact)
    hx = highWord(x);
  }
  if (hx >= 0x7ff00000) return x + x; // +∞ or NaN
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000; // mantissa ≥ √2: normalise x/2 instead of x
  x = withHighWord(x, hx | (i ^ 0x3ff00000));
  k += i >> 20;
  const f = x - 1;
  const dk = k;

  if ((0x000fffff & (2 + hx)) < 3) {
    // −2⁻²⁰ ≤ f < 2⁻²⁰
    if (f === 0) return k === 0 ? 0 : dk * LN2_HI + dk * LN2_LO;
    const R = f * f * (0.5 - 0.3333333333333333 * f);
    return k === 0 ? f - R : dk * LN2_HI - (R - dk * LN2_LO - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const R = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
    // 1+f far from 1: the ½f² split keeps the error below 1 ulp
    const hfsq = 0.5 * f * f;
    return k === 0 ? f - (hfsq - s * (hfsq + R)) : dk * LN2_HI - (hfsq - (s * (hfsq + R) + dk * LN2_LO) - f);
  }
  return k === 0 ? f - s * (f - R) : dk * LN2_HI - (s * (f - R) - dk * LN2_LO - f);
}

/** log(1 + x), accurate for small x: fdlibm s_log1p.c (with FreeBSD's threshold fix). */
export function log1p(x: number): number {
  const hx = highWord(x);
  const ax = hx & 0x7fffffff;

  let k = 1;
  let f = 0;
  let hu = 0;
  let c = 0;
  if (hx < 0x3fda827a) {
    // 1 + x < √2 (or x negative)
    if (ax >= 0x3ff00000) {
      // x ≤ −1 (or NaN with the sign bit set)
      if (x === -1) return -Infinity;
      return NaN;
    }
    if (ax < 0x3e200000) {
      // |x| < 2⁻²⁹
      if (ax < 0x3c900000) return x; // |x| < 2⁻⁵⁴ (keeps ±0)
      return x - x * x * 0.5;
    }
    if (hx > 0 || hx <= (0xbfd2bec4 | 0)) {
      // √2/2 ≤ 1 + x < √2: no reduction
      k = 0;
      f = x;
      hu = 1;
    }
  }
  if (hx >= 0x7ff00000) return x + x; // +∞ or NaN

  if (k !== 0) {
    let u: number;
    if (hx < 0x43400000) {
      // x < 2⁵³: 1 + x is rounded; c carries the rounding error, relative to u
      u = 1 + x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1 - (u - x) : x - (u - 1);
      c /= u;
    } else {
      u = x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    if (hu < 0x6a09e) {
      u = withHighWord(u, hu | 0x3ff00000); // normalise u
    } else {
      k += 1;
      u = withHighWord(u, hu | 0x3fe00000); // normalise u/2
      hu = (0x00100000 - hu) >> 2;
    }
    f = u - 1;
  }

  const hfsq = 0.5 * f * f;
  if (hu === 0) {
    // |f| < 2⁻²⁰
    if (f === 0) return k === 0 ? 0 : k * LN2_HI + (c + k * LN2_LO);
    const R = hfsq * (1 - 0.6666666666666666 * f);
    return k === 0 ? f - R : k * LN2_HI - (R - (k * LN2_LO + c) - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  const R = z * (LG1 + z * (LG2 + z * (LG3 + z * (LG4 + z * (LG5 + z * (LG6 + z * LG7))))));
  return k === 0 ? f - (hfsq - s * (hfsq + R)) : k * LN2_HI - (hfsq - (s * (hfsq + R) + (k * LN2_LO + c)) - f);
}
