import { logistic, logisticDeriv } from '../util/math.js';

/**
 * The reduced gradient descent of docs/theory.md §2–4: the exact GD of the two-layer ReLU CNN written on the inner
 * products it reads — a filter's projection A_r = ⟨w_r, s⟩ on the signal patch and B_{r,a} = ⟨w_r, ξ_a⟩ on each
 * training noise patch — with two replacements that make it cost O(m·K) per step whatever N and d are:
 *
 *  - distinct noise vectors of ℝ^d are nearly orthogonal: ‖ξ‖² is σ²·(d − k) and an inner product between two of
 *    them is a Gaussian of variance σ⁴·d. So B_{r,a} = b_{r,a} + ρ_{r,a} + X_{r,a}: its initial value, the filter's
 *    own memorisation of ξ_a (ρ grows by η‖ξ‖²/(Nm)·g_i·y_i·j_r while the ReLU is on), and the cross-talk from the
 *    memorisation of every other patch, X_{r,a} = z_{r,a}·√(Σ_b ρ²_{r,b}/d) with a fixed standard normal z;
 *  - the N training samples are K weighted nodes (clean and flipped, both classes), each standing for its share of
 *    the samples: sums over samples are weighted sums over nodes.
 *
 * The signal projection moves by η‖s‖²/(Nm)·j_r·Σ_i g_i·y_i·ỹ_i while the ReLU of ỹ_i·A_r is on (noise patches
 * are orthogonal to the signal of their task). Everything else is exactly the GD of model/cnn.ts.
 */

/** One training phase of the reduced model. */
export interface ReducedPhase {
  /** filters per class followed (representatives) */
  m: number;
  /** filters per class of the network: each moves by η/(N·m) of its gradient */
  mReal: number;
  /** patches per input; P − 1 noise patches per sample */
  patches: number;
  /** the real sample count N (the loss averages over it) */
  n: number;
  d: number;
  lr: number;
  steps: number;
  lossThreshold: number;
  /** ‖s‖² of the task's signal patch */
  signal2: number;
  /** ‖ξ‖² of one of its noise patches */
  noise2: number;
  nodes: Nodes;
  /** initial A_r (2m) */
  A0: Float64Array;
  /** initial b_{r,a} (2m × K·(P − 1), row-major) */
  B0: Float64Array;
  /** fixed standard normals of the cross-talk, like B0 */
  cross: Float64Array;
  /** rows that do not train (frozen inherited filters) */
  frozen?: Uint8Array;
  /** called at every step with the loss (diagnostics) */
  onStep?: (t: number, loss: number, A: Float64Array, rho: Float64Array) => void;
}

/** The sample nodes: observed and true labels, and the number of samples each stands for. */
export interface Nodes {
  count: number;
  y: Float64Array;
  yTrue: Float64Array;
  weight: Float64Array;
}

/** Where a reduced phase ends. */
export interface ReducedState {
  /** A_r at the end */
  A: Float64Array;
  /** ρ_{r,a}: each filter's own memorisation of each node's noise patches (units of ⟨w, ξ⟩) */
  rho: Float64Array;
  /** X_{r,a}: the cross-talk on each at the end, the other patches' memorisation seen by this one */
  cross: Float64Array;
  /** training loss at the end, and steps run */
  loss: number;
  stepsRun: number;
}

/** Clean nodes per class, and flipped nodes per class (weights follow p, so the layout never changes with p). */
export const cleanNodes = 8;
export const flippedNodes = 4;

/** How many training samples are clean and flipped in each class (true label +1, −1). */
export interface SampleCounts {
  cleanPos: number;
  flippedPos: number;
  cleanNeg: number;
  flippedNeg: number;
}

/** The expected counts: N/2 per class, a fraction p of them flipped. */
export const expectedCounts = (n: number, p: number): SampleCounts => ({
  cleanPos: (n * (1 - p)) / 2,
  flippedPos: (n * p) / 2,
  cleanNeg: (n * (1 - p)) / 2,
  flippedNeg: (n * p) / 2,
});

/** The node layout for given counts: per class, clean then flipped nodes, each standing for its share. */
export function makeNodes(counts: SampleCounts): Nodes {
  const count = 2 * (cleanNodes + flippedNodes);
  const y = new Float64Array(count);
  const yTrue = new Float64Array(count);
  const weight = new Float64Array(count);
  let i = 0;
  for (const label of [1, -1]) {
    const clean = label > 0 ? counts.cleanPos : counts.cleanNeg;
    const flipped = label > 0 ? counts.flippedPos : counts.flippedNeg;
    for (let k = 0; k < cleanNodes; k++, i++) {
      yTrue[i] = label;
      y[i] = label;
      weight[i] = clean / cleanNodes;
    }
    for (let k = 0; k < flippedNodes; k++, i++) {
      yTrue[i] = label;
      y[i] = -label;
      weight[i] = flipped / flippedNodes;
    }
  }
  return { count, y, yTrue, weight };
}

/** Steps with every gradient weight changing by less than this (relative) may be taken several at once. */
const smoothChange = 0.05;

/**
 * Run a reduced phase: full-batch GD on (A, ρ), stopping at `steps` or once the loss is ≤ lossThreshold. Where the
 * dynamics has become slow (every gradient weight g_i changed by < 0.2% in the last step) h steps are taken as one
 * with the current gradient, h chosen so that g would change by ≤ 2% (and h ≤ 1 + t/10): Euler steps of the same
 * flow, so long runs (T ≫ 10³) cost what short ones do. Once every g_i is below 10⁻¹², nothing moves any more.
 */
export function trainReduced(ph: ReducedPhase): ReducedState {
  const { m, nodes, d, lr } = ph;
  const R = 2 * m;
  const K = nodes.count;
  const Q = Math.max(0, ph.patches - 1);
  const KQ = K * Q;
  const A = Float64Array.from(ph.A0);
  const rho = new Float64Array(R * KQ);
  const B = new Float64Array(R * KQ);
  const g = new Float64Array(K);
  const gPrev = new Float64Array(K);
  const rateA = (lr * ph.signal2) / (ph.n * ph.mReal);
  const rateB = (lr * ph.noise2) / (ph.n * ph.mReal);
  const { weight, y, yTrue } = nodes;
  // Nodes that stand for no sample (flipped nodes without label noise) take no part.
  const live = Int32Array.from({ length: K }, (_, i) => i).filter((i) => weight[i] > 0);
  let loss = 0;
  let t = 0;
  let first = true;
  for (;;) {
    // B = b + ρ + cross-talk, its scale per filter √(Σ over every real noise patch of ρ²/d).
    for (let r = 0; r < R; r++) {
      const off = r * KQ;
      let s = 0;
      for (const i of live) {
        const w = weight[i];
        for (let q = 0; q < Q; q++) {
          const x = rho[off + i * Q + q];
          s += w * x * x;
        }
      }
      const scale = Math.sqrt(s / d);
      for (const i of live) {
        for (let q = 0; q < Q; q++) {
          const a = off + i * Q + q;
          B[a] = ph.B0[a] + rho[a] + ph.cross[a] * scale;
        }
      }
    }
    loss = 0;
    let gMax = 0;
    let change = 0;
    for (const i of live) {
      let f = 0;
      const yt = yTrue[i];
      for (let r = 0; r < R; r++) {
        const sa = yt * A[r];
        let act = sa > 0 ? sa : 0;
        const off = r * KQ + i * Q;
        for (let q = 0; q < Q; q++) {
          const b = B[off + q];
          if (b > 0) act += b;
        }
        f += r < m ? act : -act;
      }
      const z = (y[i] * f) / m;
      loss += weight[i] * logistic(z);
      const gi = -logisticDeriv(z);
      if (!first) change = Math.max(change, Math.abs(gi - gPrev[i]) / Math.max(gPrev[i], 1e-300));
      gPrev[i] = g[i] = gi;
      gMax = Math.max(gMax, gi);
    }
    loss /= ph.n;
    ph.onStep?.(t, loss, A, rho);
    if (!Number.isFinite(loss) || t >= ph.steps || loss <= ph.lossThreshold || gMax < 1e-12) break;
    let h = 1;
    if (!first && change < smoothChange) h = Math.max(1, Math.min(Math.floor(smoothChange / Math.max(change, 1e-12)), ph.steps - t));
    first = false;
    for (let r = 0; r < R; r++) {
      if (ph.frozen?.[r]) continue;
      const j = r < m ? h : -h;
      let dA = 0;
      for (const i of live) if (yTrue[i] * A[r] > 0) dA += weight[i] * g[i] * y[i] * yTrue[i];
      const off = r * KQ;
      for (const i of live) {
        const step = rateB * j * g[i] * y[i];
        for (let q = 0; q < Q; q++) if (B[off + i * Q + q] > 0) rho[off + i * Q + q] += step;
      }
      A[r] += rateA * j * dA;
    }
    t += h;
  }
  const cross = new Float64Array(R * KQ);
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (const i of live) for (let q = 0; q < Q; q++) s += weight[i] * rho[r * KQ + i * Q + q] ** 2;
    const scale = Math.sqrt(s / d);
    for (let a = 0; a < KQ; a++) cross[r * KQ + a] = ph.cross[r * KQ + a] * scale;
  }
  return { A, rho, cross, loss, stepsRun: Math.min(t, ph.steps) };
}
