import type { ExperimentConfig } from '../config/schema.js';
import { readTrainingSet, type TrainingSet } from '../io/trainingset.js';
import { UserError } from '../util/errors.js';

/**
 * Data mode of `paratransfer advise` (docs/theory.md §12): the theory's inputs estimated from the two training sets
 * X [N, P, d], y (observed labels only). Under the data model of docs/model.md each input is ỹ·s_k in one patch and
 * noise σ_k·P⊥g in the others, the noise of Task k projected away from u and v_k. So:
 *
 *  - the signal patch of every sample is exactly ±s_k: patches that are multiples of one vector (found exactly; a
 *    label-weighted mean decides for data that does not follow the model), ‖s_k‖ exactly;
 *  - ỹ_i = sign⟨patch, s_k⟩ with s_k oriented so that most observed labels agree: p̂ = fraction of y_i ≠ ỹ_i (the
 *    realised flip rate: unbiased for p, variance p(1−p)/N);
 *  - noise norms and inner products: E‖ξ‖² = σ²(d − 2), E⟨ξ_i, ξ_j⟩² = σ⁴(d − 2), so d̂ − 2 = (mean ‖ξ‖²)²/mean⟨ξ_i, ξ_j⟩²
 *    (both tasks pooled) and σ̂_k² = mean ‖ξ‖²/(d̂ − 2): the law of inner products is the same in ℝ^d and in the
 *    subspace sampler's coordinates, so d is found even where the file holds fewer coordinates;
 *  - the shared signal: s₁ = u + v₁, s₂ = u + v₂ give ‖s₁‖², ‖s₂‖², ⟨s₁, s₂⟩ = ‖u‖² + cos·‖v₁‖‖v₂‖ — one short —
 *    and Task 1's noise, blind to u and v₁, still sees v₂'s part off span(u, v₁): E⟨ξ¹, s₂⟩²/σ₁² = (1 − cos²)‖v₂‖²,
 *    and likewise E⟨ξ², s₁⟩²/σ₂² = (1 − cos²)‖v₁‖². Each of the two is linear in ‖u‖² once the others are substituted;
 *    ‖u‖² is their precision-weighted solution, then ‖v_k‖² = ‖s_k‖² − ‖u‖² and cos follows.
 */

/** What data mode estimates (the config keys the issue names, plus P). */
export interface EstimatedInputs {
  uNorm: number;
  v1Norm: number;
  v2Norm: number;
  vCos: number;
  sigmaP1: number;
  sigmaP2: number;
  labelNoise: number;
  n1: number;
  n2: number;
  d: number;
  patches: number;
}

/** One task's own estimates. */
export interface TaskEstimate {
  n: number;
  patches: number;
  /** s_k oriented by the labels (in the file's coordinates) */
  signal: Float64Array;
  /** whether the signal patches were found exactly (all multiples of one vector) */
  exact: boolean;
  flipRate: number;
  /** mean ‖ξ‖² over noise patches */
  noiseNorm2: number;
  /** mean ⟨ξ_i, ξ_j⟩² over pairs, and the number of pairs */
  pairSquare: number;
  pairs: number;
  /** noise patches, as offsets into X */
  noise: number[];
}

const dot = (a: Float64Array, ao: number, b: Float64Array, bo: number, d: number) => {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[ao + k] * b[bo + k];
  return s;
};

/** At most this many pairs of noise patches go into mean⟨ξ_i, ξ_j⟩² (consecutive pairs first, then strides). */
const maxPairs = 40_000;

/** The signal patch of each sample: exact multiples of one vector when the data follows the model, else the label-weighted mean decides. */
function signalPatches(t: TrainingSet): { index: Int32Array; exact: boolean } {
  const { X, y, n, patches: P, d } = t;
  const norm2 = (i: number, q: number) => dot(X, (i * P + q) * d, X, (i * P + q) * d, d);
  // A candidate from sample 0: the patches of every sample that are multiples of it (|cos| = 1 to rounding).
  for (let q0 = 0; q0 < P; q0++) {
    const c0 = q0 * d;
    const cc = norm2(0, q0);
    const index = new Int32Array(n).fill(-1);
    let found = 0;
    for (let i = 0; i < n; i++) {
      for (let q = 0; q < P; q++) {
        const xx = norm2(i, q);
        const match = cc === 0 ? xx === 0 : Math.abs(Math.abs(dot(X, (i * P + q) * d, X, c0, d)) - Math.sqrt(xx * cc)) <= 1e-9 * Math.sqrt(xx * cc);
        if (match) {
          index[i] = q;
          found++;
          break;
        }
      }
    }
    if (found === n && (n > 1 || P === 1)) return { index, exact: true };
  }
  // Not the model's data: the patch most aligned with the label-weighted mean of all patches.
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let q = 0; q < P; q++) for (let k = 0; k < d; k++) mean[k] += y[i] * X[(i * P + q) * d + k];
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -1;
    for (let q = 0; q < P; q++) {
      const a = Math.abs(dot(X, (i * P + q) * d, mean, 0, d));
      if (a > best) {
        best = a;
        index[i] = q;
      }
    }
  }
  return { index, exact: false };
}

/** Estimates of one task from its training set. */
export function estimateTask(t: TrainingSet): TaskEstimate {
  const { X, y, n, patches: P, d } = t;
  if (P < 2) throw new UserError(`${t.path}: tensor "X" has P = 1 patch; the data model needs a signal patch and at least one noise patch`);
  const { index, exact } = signalPatches(t);
  // s_k: the signal patch of a sample, oriented so that most observed labels agree with ỹ = sign⟨patch, s⟩.
  const signal = new Float64Array(d);
  let ref = -1;
  for (let i = 0; i < n && ref < 0; i++) if (dot(X, (i * P + index[i]) * d, X, (i * P + index[i]) * d, d) > 0) ref = i;
  let agree = 0;
  const yTrue = new Float64Array(n);
  if (ref >= 0) {
    const r0 = (ref * P + index[ref]) * d;
    for (let i = 0; i < n; i++) {
      yTrue[i] = dot(X, (i * P + index[i]) * d, X, r0, d) >= 0 ? 1 : -1;
      if (yTrue[i] === y[i]) agree++;
    }
    const orient = agree >= n - agree ? 1 : -1;
    // With the orientation fixed, s = ỹ_i·patch_i (exact data: every sample gives the same vector).
    for (let i = 0; i < n; i++) {
      const w = (orient * yTrue[i]) / n;
      for (let k = 0; k < d; k++) signal[k] += w * X[(i * P + index[i]) * d + k];
    }
    if (orient < 0) agree = n - agree;
  } else {
    agree = n; // no signal at all: every label is as good as any (p cannot be told)
  }
  const noise: number[] = [];
  for (let i = 0; i < n; i++) for (let q = 0; q < P; q++) if (q !== index[i]) noise.push((i * P + q) * d);
  let noiseNorm2 = 0;
  for (const o of noise) noiseNorm2 += dot(X, o, X, o, d);
  noiseNorm2 /= Math.max(1, noise.length);
  let pairSquare = 0;
  let pairs = 0;
  const K = noise.length;
  for (let stride = 1; stride < K && pairs < maxPairs; stride++) {
    for (let i = 0; i + stride < K && pairs < maxPairs; i++) {
      const v = dot(X, noise[i], X, noise[i + stride], d);
      pairSquare += v * v;
      pairs++;
    }
  }
  return { n, patches: P, signal, exact, flipRate: (n - agree) / n, noiseNorm2, pairSquare: pairs ? pairSquare / pairs : 0, pairs, noise };
}

/** The theory's inputs from the two training sets (see the file comment for each estimator). */
export function estimateInputs(t1: TrainingSet, t2: TrainingSet): { estimated: EstimatedInputs; tasks: [TaskEstimate, TaskEstimate] } {
  if (t1.d !== t2.d) {
    throw new UserError(`shape mismatch: ${t1.path} has d = ${t1.d} but ${t2.path} has d = ${t2.d}; both tasks must live in one input space`);
  }
  if (t1.patches !== t2.patches) {
    throw new UserError(`shape mismatch: ${t1.path} has P = ${t1.patches} patches but ${t2.path} has P = ${t2.patches}`);
  }
  const e1 = estimateTask(t1);
  const e2 = estimateTask(t2);
  const d = t1.d;
  // d − 2 from both tasks, each weighted by its pairs.
  const dm2 = (e: TaskEstimate) => (e.pairSquare > 0 ? (e.noiseNorm2 * e.noiseNorm2) / e.pairSquare : NaN);
  const w = [e1, e2].map((e) => (Number.isFinite(dm2(e)) ? e.pairs : 0));
  const dEff = w[0] + w[1] > 0 ? (w[0] * (dm2(e1) || 0) + w[1] * (dm2(e2) || 0)) / (w[0] + w[1]) : d - 2;
  const dHat = Math.max(3, Math.round(dEff + 2));
  const sigma = (e: TaskEstimate) => Math.sqrt(e.noiseNorm2 / Math.max(1, dHat - 2));
  const sigmaP1 = sigma(e1);
  const sigmaP2 = sigma(e2);

  const S1 = dot(e1.signal, 0, e1.signal, 0, d);
  const S2 = dot(e2.signal, 0, e2.signal, 0, d);
  const C = dot(e1.signal, 0, e2.signal, 0, d);
  // a = E⟨ξ¹, s₂⟩²/σ₁² = (1 − cos²)‖v₂‖², b = E⟨ξ², s₁⟩²/σ₂² = (1 − cos²)‖v₁‖²
  const seen = (t: TrainingSet, e: TaskEstimate, s: Float64Array, sig: number) => {
    let v = 0;
    for (const o of e.noise) v += dot(t.X, o, s, 0, d) ** 2;
    return e.noise.length && sig > 0 ? v / e.noise.length / (sig * sig) : 0;
  };
  const a = seen(t1, e1, e2.signal, sigmaP1);
  const b = seen(t2, e2, e1.signal, sigmaP2);
  // Each gives ‖u‖² = x linearly: x·(2C − S₁ − S₂ + a) = C² − S₁S₂ + S₁·a (and the same with S₂, b).
  const eqA = { den: 2 * C - S1 - S2 + a, num: C * C - S1 * S2 + S1 * a, n: e1.noise.length };
  const eqB = { den: 2 * C - S1 - S2 + b, num: C * C - S1 * S2 + S2 * b, n: e2.noise.length };
  const solve = (weights: [number, number]) => {
    const den = weights[0] * eqA.den * eqA.den + weights[1] * eqB.den * eqB.den;
    return den > 1e-12 * Math.max(1, S1 * S1 + S2 * S2) ? (weights[0] * eqA.num * eqA.den + weights[1] * eqB.num * eqB.den) / den : C;
  };
  // Precision weights: the residual of equation a moves by (S₁ − x)·δa with Var(a) ≈ 2a²/n (likewise b).
  let x = solve([1, 1]);
  for (let it = 0; it < 2; it++) {
    const va = (2 * Math.max(a, 1e-12) ** 2) / Math.max(1, eqA.n);
    const vb = (2 * Math.max(b, 1e-12) ** 2) / Math.max(1, eqB.n);
    const wa = 1 / (Math.max(S1 - x, 1e-12) ** 2 * va);
    const wb = 1 / (Math.max(S2 - x, 1e-12) ** 2 * vb);
    x = solve([wa / (wa + wb), wb / (wa + wb)]);
  }
  const u2 = Math.min(Math.max(0, x), S1, S2);
  const v1 = Math.sqrt(Math.max(0, S1 - u2));
  const v2 = Math.sqrt(Math.max(0, S2 - u2));
  const vCos = v1 > 0 && v2 > 0 ? Math.max(-1, Math.min(1, (C - u2) / (v1 * v2))) : 0;
  const pooledFlips = (e1.flipRate * e1.n + e2.flipRate * e2.n) / (e1.n + e2.n);
  return {
    estimated: {
      uNorm: Math.sqrt(u2),
      v1Norm: v1,
      v2Norm: v2,
      vCos,
      sigmaP1,
      sigmaP2,
      // one p for both tasks (the model's); each task's own is in `tasks`
      labelNoise: Math.min(0.49, pooledFlips),
      n1: t1.n,
      n2: t2.n,
      d: dHat,
      patches: t1.patches,
    },
    tasks: [e1, e2],
  };
}

/** The estimated keys as a config over `base` (the theory's other inputs: m, steps, η, σ₀ … keep their values). */
export function estimatedConfig(base: ExperimentConfig, e: EstimatedInputs): ExperimentConfig {
  return { ...base, ...e };
}

/** Data mode from files: the two training sets read and checked (one-line errors), then `estimateInputs`. */
export function estimateFromFiles(files: { downstream: string; upstream: string }): EstimatedInputs {
  return estimateInputs(readTrainingSet(files.upstream), readTrainingSet(files.downstream)).estimated;
}
