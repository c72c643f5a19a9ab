import type { Dataset } from '../data/dataset.js';
import { gemmABt, gemmAddAB } from '../kernels/gemm.js';
import { lossAndGradCoefficients, scores } from '../model/cnn.js';
import { DivergenceError } from '../util/errors.js';
import type { Engine, TrainProblem, TrainResult, TrainState } from './types.js';

/**
 * The dense engine: gradient descent in ℝ^d. Each step is two GEMMs over the distinct training
 * patches: G = W·Zᵀ (forward) and W −= η·H·Z (backward), O(m·A·d) per step.
 */
function preacts(W: Float64Array, m: number, ds: Dataset, out = new Float64Array(2 * m * ds.numAtoms)) {
  gemmABt(W, 2 * m, ds.atoms, ds.numAtoms, ds.d, out);
  return out;
}

function denseScores(W: Float64Array, m: number, ds: Dataset): Float64Array {
  return scores(preacts(W, m, ds), m, ds);
}

function train(p: TrainProblem): TrainResult {
  const { data: ds, m, lr, steps } = p;
  const { d, numAtoms: A } = ds;
  const rows = 2 * m;
  const W = Float64Array.from(p.W0);
  const C = new Float64Array(rows * A);
  const G = new Float64Array(rows * A);
  const H = new Float64Array(rows * A);
  const f = new Float64Array(ds.n);
  const losses: number[] = [];
  const checkpoints = new Set(p.checkpoints ?? []);
  const frozenRows = p.freeze?.kind === 'rows' ? p.freeze.mask : undefined;
  const frozenEntries = p.freeze?.kind === 'entries' ? p.freeze.mask : undefined;
  const W0 = frozenEntries ? p.W0 : undefined;

  for (let t = 0; ; t++) {
    gemmABt(W, rows, ds.atoms, A, d, G);
    const L = lossAndGradCoefficients(G, m, ds, H, f);
    if (!Number.isFinite(L)) throw new DivergenceError(lr, t, p.phase ?? 'training');
    losses.push(L);
    const final = t >= steps || L <= p.lossThreshold;
    if (p.onCheckpoint && (final || checkpoints.has(t))) {
      const state: TrainState = {
        step: t,
        loss: L,
        final,
        preacts: G,
        coefficients: C,
        project(vectors, count) {
          const out = new Float64Array(rows * count);
          gemmABt(W, rows, vectors, count, d, out);
          return out;
        },
        scores: (other) => denseScores(W, m, other),
        weights: () => W,
      };
      p.onCheckpoint(state);
    }
    if (final) return { W, coefficients: C, losses: Float64Array.from(losses), stepsRun: t };
    if (frozenRows) {
      for (let r = 0; r < rows; r++) if (frozenRows[r]) H.fill(0, r * A, (r + 1) * A);
    }
    gemmAddAB(H, rows, A, ds.atoms, d, W, -lr);
    for (let i = 0; i < C.length; i++) C[i] -= lr * H[i];
    if (frozenEntries && W0) {
      for (let e = 0; e < W.length; e++) if (frozenEntries[e]) W[e] = W0[e];
    }
    p.onStep?.(t + 1);
  }
}

export const denseEngine: Engine = { name: 'dense', train, scores: denseScores };
