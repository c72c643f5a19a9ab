import { gemmABt } from '../kernels/gemm.js';
import { normalCdf } from '../theory/gaussian.js';
import type { Rng } from '../util/rng.js';

/**
 * The population test error: the clean test error of trained weights on the task's whole test distribution,
 * free of the noise of a finite test set (docs/theory.md §8).
 *
 * A test input of task k is ỹ·s in one patch and noise ξ = σ_{p,k}·P⊥g (g ~ N(0, I_d), P⊥ removing the task's
 * signal directions) in each of the other P − 1. The network sees ξ only through its 2m filters, so the noise
 * enters as g_q = W·ξ_q ~ N(0, Σ) with Σ = σ²·W·P⊥·Wᵀ (2m × 2m), independent over the P − 1 noise patches:
 *   f = S(ỹ) + F,   S(ỹ) = (1/m)Σ_r s_r·ReLU(ỹ⟨w_r, s⟩),   F = (1/m)Σ_q Σ_r s_r·ReLU(g_{q,r}),
 * with s_r = +1 for class +1 filters and −1 for class −1 filters; an input is misclassified when sign f ≠ ỹ
 * (f = 0 counts as an error, as in `errorRate`). Both labels are equally likely.
 *
 * The law is sampled by conditional Monte Carlo: each draw is a line g⊥ + λb through the Gaussian along the
 * direction of F's linear part ℓ = (1/m)Σ_q Σ_r s_r g_{q,r} (b = Cov(g, ℓ)/sd ℓ, λ ~ N(0, 1) independent of
 * g⊥). F is piecewise linear in λ, so the probability of an error along the line is an exact sum of normal
 * masses between the roots of F(λ) = −S(ỹ). Each line is an unbiased estimate with far less variance than an
 * indicator of one plain draw (measured 140–10⁴× on trained networks), at O(m²) per line.
 */

/** What the population error needs of one phase: final weights in working coordinates and the test task. */
export interface PopulationInput {
  /** weights [2, m, d], class +1 filters first */
  W: Float64Array;
  m: number;
  /** working dimension of W */
  d: number;
  /** the task's signal patch s = u + v_k */
  signal: Float64Array;
  /** orthonormal directions the test noise is projected away from */
  projectors: readonly Float64Array[];
  /** the task's noise level σ_{p,k} */
  sigmaP: number;
  /** patches per input P (P − 1 of them are noise) */
  patches: number;
}

/** The population clean test error, its Monte Carlo standard error and the number of lines it took. */
export interface PopulationError {
  error: number;
  standardError: number;
  lines: number;
}

/** Lines drawn in every estimate, and the most an estimate may take. */
export const minLines = 10_000;
export const maxLines = 200_000;
const block = 5_000;
/** Plain draws whose precision every estimate must reach before it stops (or reach maxLines). */
export const equivalentDraws = 1_000_000;

/** Σ = σ²·W·(I − Σ_e e·eᵀ)·Wᵀ, 2m × 2m. */
export function noiseCovariance(inp: PopulationInput): Float64Array {
  const { W, m, d, projectors, sigmaP } = inp;
  const R = 2 * m;
  const S = new Float64Array(R * R);
  gemmABt(W, R, W, R, d, S);
  for (const e of projectors) {
    const We = new Float64Array(R);
    gemmABt(W, R, e, 1, d, We);
    for (let i = 0; i < R; i++) for (let j = 0; j < R; j++) S[i * R + j] -= We[i] * We[j];
  }
  const s2 = sigmaP * sigmaP;
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < i; j++) S[i * R + j] = S[j * R + i] = (s2 * (S[i * R + j] + S[j * R + i])) / 2;
    S[i * R + i] = Math.max(0, s2 * S[i * R + i]);
  }
  return S;
}

/** Lower Cholesky factor of a positive semi-definite matrix; a column whose pivot vanishes (rank deficiency) is zero. */
export function choleskyPsd(S: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = S[j * n + j];
    for (let k = 0; k < j; k++) s -= L[j * n + k] * L[j * n + k];
    const piv = s > 1e-12 * S[j * n + j] && s > 0 ? Math.sqrt(s) : 0;
    L[j * n + j] = piv;
    if (piv === 0) continue;
    for (let i = j + 1; i < n; i++) {
      let t = S[i * n + j];
      for (let k = 0; k < j; k++) t -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = t / piv;
    }
  }
  return L;
}

const relu = (x: number) => (x > 0 ? x : 0);

/**
 * P(F(λ) ≤ t) (or P(F(λ) < t) when `strict`) for λ ~ N(0, 1) along one line, F piecewise linear: A + Bλ left of the
 * first breakpoint, and at breakpoint j (in increasing order) A += dA[j], B += dB[j]. The set is a union of intervals
 * between roots of F = t, so only the roots cost a Φ. F can be exactly flat at t (no filter active and no signal: the
 * score is exactly 0, an error for both labels); slopes and levels within `eps` (the line's rounding) count as flat and
 * equal, so the answer does not depend on the last bits of the weights.
 */
function belowMass(count: number, at: Float64Array, dA: Float64Array, dB: Float64Array, A: number, B: number, t: number, strict: boolean, eps: number): number {
  let inside = false;
  let start = 0; // Φ at the left end of the current inside-interval
  let mass = 0;
  let lo = -Infinity;
  const toggle = (x: number) => {
    const p = x === -Infinity ? 0 : normalCdf(x);
    if (inside) mass += p - start;
    else start = p;
    inside = !inside;
  };
  /** Whether F < t (or ≤) just beside x, on the side given: F = A + Bλ; values within eps of t are decided by the slope. */
  const below = (x: number, right: boolean) => {
    if (Math.abs(B) <= eps) return strict ? A < t - eps : A <= t + eps;
    if (!Number.isFinite(x)) return x < 0 ? B > 0 : B < 0;
    const v = A + B * x;
    return Math.abs(v - t) <= eps ? (right ? B < 0 : B > 0) : v < t;
  };
  for (let j = 0; j <= count; j++) {
    const hi = j === count ? Infinity : at[j];
    // The state just right of lo (by continuity it only differs from the carried one where F touches t), then one
    // change inside the segment, at the root, if the state just left of hi differs.
    const now = below(lo, true);
    if (now !== inside) toggle(lo);
    if (below(hi, false) !== now) toggle(Math.min(hi, Math.max(lo, (t - A) / B)));
    if (j === count) break;
    A += dA[j];
    B += dB[j];
    lo = hi;
  }
  return inside ? mass + 1 - start : mass;
}

/** Sort order of keys[0 … n) into idx (insertion sort for the usual few dozen, the built-in stable sort beyond). */
function sortIndices(keys: Float64Array, idx: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) idx[i] = i;
  if (n > 64) {
    const sorted = Array.from(idx.subarray(0, n)).sort((x, y) => keys[x] - keys[y]);
    idx.set(sorted);
    return;
  }
  for (let i = 1; i < n; i++) {
    const v = idx[i];
    const k = keys[v];
    let j = i - 1;
    while (j >= 0 && keys[idx[j]] > k) {
      idx[j + 1] = idx[j];
      j--;
    }
    idx[j + 1] = v;
  }
}

/** The population clean test error of one network on its test task (see the file comment). */
export function populationTestError(inp: PopulationInput, rng: Rng): PopulationError {
  const { W, m, d, signal } = inp;
  const a = new Float64Array(2 * m);
  gemmABt(W, 2 * m, signal, 1, d, a);
  return errorOfLaw({ signal: a, covariance: noiseCovariance(inp), m, patches: inp.patches }, rng);
}

/** The law of a network's score on a test input: signal projections ⟨w_r, s⟩ and the noise projections' Σ. */
export interface ScoreLaw {
  /** ⟨w_r, s⟩ for the 2m filters */
  signal: Float64Array;
  /** Σ, 2m × 2m: covariance of one noise patch's projections on the filters */
  covariance: Float64Array;
  m: number;
  patches: number;
}

/** How many lines an estimate draws: at least `min`, then blocks until the precision of 10⁶ plain draws or `max`. */
export interface LineBudget {
  min: number;
  max: number;
}

/**
 * The clean error of a score law (see the file comment): conditional Monte Carlo along the direction of the
 * score's linear part, each line with its mirror.
 */
export function errorOfLaw(law: ScoreLaw, rng: Rng, budget: LineBudget = { min: minLines, max: maxLines }): PopulationError {
  const { m, signal: a, covariance: S } = law;
  const R = 2 * m;
  const Q = Math.max(0, law.patches - 1);
  const n = Q * R;
  /** c_k = s_r/m of term k (patch-major: term k is filter k mod R of patch ⌊k/R⌋) */
  const c = new Float64Array(Math.max(n, R));
  for (let k = 0; k < c.length; k++) c[k] = (k % R < m ? 1 : -1) / m;

  // Signal scores S(±1); an error is F ≤ −S(+1) for ỹ = +1 and F ≥ −S(−1) for ỹ = −1.
  let tPos = 0;
  let tNeg = 0;
  for (let r = 0; r < R; r++) {
    tPos -= c[r] * relu(a[r]);
    tNeg -= c[r] * relu(-a[r]);
  }

  const L = choleskyPsd(S, R);
  // The line direction: b = Cov(g, ℓ)/sd ℓ with Cov(g_q, ℓ) = Σc for every patch and Var ℓ = Q·cᵀΣc.
  const v = new Float64Array(R);
  let q = 0;
  for (let i = 0; i < R; i++) {
    let s = 0;
    for (let j = 0; j < R; j++) s += S[i * R + j] * c[j];
    v[i] = s;
    q += c[i] * s;
  }
  q *= Q;
  const sdEll = Math.sqrt(q);
  const b = new Float64Array(n);
  if (q > 0) for (let k = 0; k < n; k++) b[k] = v[k % R] / sdEll;

  const z = new Float64Array(R);
  const g = new Float64Array(n);
  const keys = new Float64Array(n);
  const idx = new Int32Array(n);
  const moving = new Int32Array(n);
  const at = new Float64Array(n);
  const dA = new Float64Array(n);
  const dAm = new Float64Array(n);
  const dB = new Float64Array(n);
  const atM = new Float64Array(n);
  const dBm = new Float64Array(n);
  const target = (e: number) => Math.sqrt(Math.max(e * (1 - e), 1e-6) / equivalentDraws);
  let sum = 0;
  let sum2 = 0;
  // Welford's running mean and sum of squared deviations, for the reported standard error: E[x²] − E[x]² cancels
  // badly when the lines' values vary little, and so does not agree across engines whose weights differ in the last bits.
  let wMean = 0;
  let wM2 = 0;
  let count = 0;
  let lines = 0;
  const step = Math.min(block, budget.min);
  while (lines < budget.max) {
    for (let it = 0; it < step; it++) {
      // g = L·z per noise patch; ℓ = cᵀg.
      let ell = 0;
      for (let p = 0; p < Q; p++) {
        for (let i = 0; i < R; i++) z[i] = rng.normal();
        const off = p * R;
        for (let i = 0; i < R; i++) {
          let s = 0;
          const row = i * R;
          for (let j = 0; j <= i; j++) s += L[row + j] * z[j];
          g[off + i] = s;
          ell += c[i] * s;
        }
      }
      const l0 = q > 0 ? ell / sdEll : 0;
      // g⊥ = g − l0·b. Along the line F(λ) = A + Bλ between breakpoints; at λ → −∞ the terms with b < 0 are
      // on. Terms with b = 0 are constant: ReLU(g⊥) on the line, ReLU(−g⊥) on its mirror through −g⊥.
      let A0 = 0;
      let B0 = 0;
      let constant = 0;
      let constantMirror = 0;
      let nm = 0;
      for (let k = 0; k < n; k++) {
        const bk = b[k];
        const gk = g[k] - l0 * bk;
        g[k] = gk;
        if (bk === 0) {
          constant += c[k] * relu(gk);
          constantMirror += c[k] * relu(-gk);
          continue;
        }
        keys[nm] = -gk / bk;
        moving[nm++] = k;
        if (bk < 0) {
          A0 += c[k] * gk;
          B0 += c[k] * bk;
        }
      }
      sortIndices(keys, idx, nm);
      // At its breakpoint a term with b > 0 turns on, one with b < 0 off. The mirror's breakpoints are the
      // same values negated, met in reverse order.
      for (let j = 0; j < nm; j++) {
        const k = moving[idx[j]];
        const sg = b[k] > 0 ? c[k] : -c[k];
        at[j] = keys[idx[j]];
        dA[j] = sg * g[k];
        dB[j] = sg * b[k];
        const jm = nm - 1 - j;
        atM[jm] = -at[j];
        dAm[jm] = -dA[j];
        dBm[jm] = dB[j];
      }
      // The line's rounding: levels and slopes within this of each other are equal.
      let scale = Math.abs(tPos) + Math.abs(tNeg);
      for (let k = 0; k < n; k++) scale += Math.abs(c[k]) * (Math.abs(g[k]) + Math.abs(b[k]));
      const eps = 1e-12 * scale;
      const x =
        (belowMass(nm, at, dA, dB, constant + A0, B0, tPos, false, eps) +
          1 -
          belowMass(nm, at, dA, dB, constant + A0, B0, tNeg, true, eps) +
          belowMass(nm, atM, dAm, dBm, constantMirror - A0, B0, tPos, false, eps) +
          1 -
          belowMass(nm, atM, dAm, dBm, constantMirror - A0, B0, tNeg, true, eps)) /
        4;
      sum += x;
      sum2 += x * x;
      count++;
      const delta = x - wMean;
      wMean += delta / count;
      wM2 += delta * (x - wMean);
    }
    lines += step;
    const mean = sum / lines;
    const se = Math.sqrt(Math.max(0, sum2 / lines - mean * mean) / lines);
    if (lines >= budget.min && se <= target(mean)) break;
  }
  const error = sum / lines;
  // Below 10⁻¹² the lines' spread is rounding (a degenerate law: every line gives the same probability): 0.
  const standardError = Math.sqrt(wM2 / lines / lines);
  return { error, standardError: standardError < 1e-12 ? 0 : standardError, lines };
}
