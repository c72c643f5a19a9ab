/**
 * Small statistics for aggregating seeds: Student-t intervals for gains (any sign), and intervals for fractions
 * (test errors, accuracies) that stay in [0, 1]: the Wilson score interval, on the test set's size for one run and
 * on an effective number of trials over seeds (docs/sweeps.md, "Intervals").
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error < 1e-13 on the range used here). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(x, a, b)) / a
    : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (bisection on the CDF: exact to double precision, fast enough for tables). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`studentTQuantile: p=${p}, df=${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  if (p === 0.5) return 0;
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A mean with its 95% interval over n values (null bounds with fewer than two). */
export interface Interval {
  n: number;
  mean: number | null;
  /** 95% t-interval mean ± t₀.₉₇₅,ₙ₋₁ · s/√n; null for fewer than two values */
  lo: number | null;
  hi: number | null;
}

const tCache = new Map<string, number>();

/** The two-sided `level` quantile of Student's t with `df` degrees of freedom, cached (tables ask for few). */
function tQuantile(level: number, df: number): number {
  const key = `${df}:${level}`;
  let t = tCache.get(key);
  if (t === undefined) tCache.set(key, (t = studentTQuantile(0.5 + level / 2, df)));
  return t;
}

/** Mean and 95% Student-t interval of the finite values (nulls and non-finite values are left out). */
export function tInterval(values: readonly (number | null)[], level = 0.95): Interval {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const n = xs.length;
  if (!n) return { n, mean: null, lo: null, hi: null };
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / n;
  if (n < 2) return { n, mean, lo: null, hi: null };
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  const se = Math.sqrt(ss / (n - 1) / n);
  const t = tQuantile(level, n - 1);
  return { n, mean, lo: mean - t * se, hi: mean + t * se };
}

/**
 * The p-quantile of the standard normal distribution (Wichura's algorithm AS 241, relative error about 1e-16).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p=${p}`);
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((r * 2509.0809287301227 + 33430.57558358813) * r + 67265.7709270087) * r + 45921.95393154987) * r +
          13731.69376550946) * r + 1971.5909503065513) * r + 133.14166789178438) * r + 3.3871328727963665)) /
      (((((((r * 5226.495278852546 + 28729.085735721943) * r + 39307.89580009271) * r + 21213.794301586597) * r +
        5394.196021424751) * r + 687.1870074920579) * r + 42.31333070160091) * r + 1)
    );
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x =
      (((((((r * 0.0007745450142783414 + 0.022723844989269184) * r + 0.2417807251774506) * r + 1.2704582524523684) * r +
        3.6478483247632045) * r + 5.769497221460691) * r + 4.630337846156546) * r + 1.4234371107496835) /
      (((((((r * 1.0507500716444169e-9 + 0.0005475938084995345) * r + 0.015198666563616457) * r + 0.14810397642748008) * r +
        0.6897673349851) * r + 1.6763848301838038) * r + 2.053191626637759) * r + 1);
  } else {
    r -= 5;
    x =
      (((((((r * 2.0103343992922881e-7 + 2.7115555687434876e-5) * r + 0.0012426609473880784) * r + 0.026532189526576124) * r +
        0.29656057182850487) * r + 1.7848265399172913) * r + 5.463784911164114) * r + 6.657904643501103) /
      (((((((r * 2.0442631033899397e-15 + 1.421511758316446e-7) * r + 1.8463183175100548e-5) * r + 0.0007868691311456133) * r +
        0.014875361290850615) * r + 0.1369298809227358) * r + 0.599832206555888) * r + 1);
  }
  return q < 0 ? -x : x;
}

/**
 * The Wilson score interval of a proportion p̂ observed over `trials` (not necessarily an integer: an effective
 * number of trials), with the quantile z (default: the normal one of `level`). Always inside [0, 1], and never
 * degenerate at p̂ = 0 or 1, unlike p̂ ± z·√(p̂(1−p̂)/n).
 */
export function wilsonInterval(p: number, trials: number, level = 0.95, z = normalQuantile(0.5 + level / 2)): { lo: number; hi: number } {
  if (!(trials > 0) || !(p >= 0 && p <= 1)) throw new RangeError(`wilsonInterval: p=${p}, trials=${trials}`);
  const z2n = (z * z) / trials;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / trials + (z2n / trials) / 4);
  // at p̂ = 0 (or 1) the bound is exactly 0 (or 1); rounding would leave 1e-17
  return { lo: p === 0 ? 0 : Math.max(0, centre - half), hi: p === 1 ? 1 : Math.min(1, centre + half) };
}

/**
 * Mean and 95% interval of fractions (errors, accuracies: each in [0, 1]), one per seed, each measured on `trials`
 * test samples when that is known. The interval stays in [0, 1]:
 * - one value: the Wilson interval of that run's test set (binomial sampling error only);
 * - several: the Wilson interval on the effective number of trials n_eff = p̂(1−p̂)/se², where se is the
 *   seed-to-seed standard error of the mean (it holds the test sampling error and the training randomness), with
 *   Student's t quantile on n − 1 degrees of freedom (as survey statistics do with a design effect). Where the
 *   mean is far from 0 and 1 this is the t-interval mean ± t·se; near them it bends to stay inside. n_eff never
 *   exceeds the pooled test samples n·trials (no interval narrower than the test sets allow); when every seed
 *   gives the same value, the pooled test samples are all there is (trials unknown: one per seed).
 */
export function fractionInterval(values: readonly (number | null)[], trials?: number, level = 0.95): Interval {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const n = xs.length;
  if (!n) return { n, mean: null, lo: null, hi: null };
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = Math.min(1, Math.max(0, sum / n));
  const pooled = n * (trials !== undefined && trials > 0 ? trials : 1);
  if (n < 2) {
    if (trials === undefined || !(trials > 0)) return { n, mean, lo: null, hi: null };
    return { n, mean, ...wilsonInterval(mean, trials, level) };
  }
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  const se2 = ss / (n - 1) / n;
  const spread = mean * (1 - mean);
  // With a spread to go on, its uncertainty takes Student's quantile; without one (every seed alike) the binomial
  // variance of the pooled test samples is the one used, and is known: the normal quantile.
  if (se2 > 0 && spread > 0 && spread / se2 < pooled) {
    return { n, mean, ...wilsonInterval(mean, spread / se2, level, tQuantile(level, n - 1)) };
  }
  return { n, mean, ...wilsonInterval(mean, pooled, level) };
}

/**
 * The thresholds t that best separate positive from negative points by `value > t ⟺ positive`: among the midpoints
 * between distinct sorted values and one below and above them all, those with the most points on their side
 * (ascending), and that count. Callers choose among ties by their own rule.
 */
export function separatingThresholds(points: readonly { value: number; positive: boolean }[]): { tied: number[]; correct: number } {
  const values = [...new Set(points.map((p) => p.value))].sort((a, b) => a - b);
  if (!values.length) return { tied: [], correct: 0 };
  const candidates = [values[0] - 1, ...values.slice(1).map((v, i) => (v + values[i]) / 2), values[values.length - 1] + 1];
  const scores = candidates.map((t) => points.filter((p) => p.value > t === p.positive).length);
  const correct = Math.max(...scores);
  return { tied: candidates.filter((_, i) => scores[i] === correct), correct };
}
