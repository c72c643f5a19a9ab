import type { Dataset } from '../data/dataset.js';
import { atomProducts, gemmABtFast, rowProducts, type RowProducts } from '../kernels/products.js';
import { lossAndGradCoefficients, scores } from '../model/cnn.js';
import { DivergenceError } from '../util/errors.js';
import type { Engine, TrainProblem, TrainResult, TrainState } from './types.js';

/**
 * The dense engine: gradient descent in ℝ^d. Each step is two GEMMs over the distinct training
 * patches: G = W·Zᵀ (forward) and W −= η·H·Z (backward), O(m·A·d) per step. The products run on the
 * WebAssembly SIMD kernels with W, G, H and the packed atoms resident in their memory (src/kernels/
 * products.ts), or on the TypeScript kernels where WebAssembly is unavailable: the same bits either way.
 */
function denseScores(W: Float64Array, m: number, ds: Dataset): Float64Array {
  return scores(gemmABtFast(W, 2 * m, ds.atoms, ds.numAtoms, ds.d), m, ds);
}

function train(p: TrainProblem): TrainResult {
  const { data: ds, m, lr, steps } = p;
  const { d, numAtoms: A } = ds;
  const rows = 2 * m;
  const products = atomProducts(ds.atoms, A, d, rows);
  const { W, G, H } = products;
  W.set(p.W0);
  const C = new Float64Array(rows * A);
  const f = new Float64Array(ds.n);
  const losses: number[] = [];
  const checkpoints = new Set(p.checkpoints ?? []);
  const frozenRows = p.freeze?.kind === 'rows' ? p.freeze.mask : undefined;
  const frozenEntries = p.freeze?.kind === 'entries' ? p.freeze.mask : undefined;
  const W0 = frozenEntries ? p.W0 : undefined;
  // Sets scored at checkpoints (the test set, every time) are packed once per run; datasets are immutable.
  const packed = new WeakMap<Dataset, RowProducts>();
  const scoresAt = (other: Dataset) => {
    let rp = packed.get(other);
    if (!rp) packed.set(other, (rp = rowProducts(other.atoms, other.numAtoms, other.d, rows)));
    return scores(rp.multiply(W, rows), m, other);
  };

  for (let t = 0; ; t++) {
    products.forward();
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
        project: (vectors, count) => gemmABtFast(W, rows, vectors, count, d),
        scores: scoresAt,
        weights: () => W,
      };
      p.onCheckpoint(state);
    }
    // W lives in the products' memory: hand out a copy
    if (final) return { W: Float64Array.from(W), coefficients: C, losses: Float64Array.from(losses), stepsRun: t };
    if (frozenRows) {
      for (let r = 0; r < rows; r++) if (frozenRows[r]) H.fill(0, r * A, (r + 1) * A);
    }
    products.backward(-lr);
    for (let i = 0; i < C.length; i++) C[i] -= lr * H[i];
    if (frozenEntries && W0) {
      for (let e = 0; e < W.length; e++) if (frozenEntries[e]) W[e] = W0[e];
    }
    p.onStep?.(t + 1);
  }
}

export const denseEngine: Engine = { name: 'dense', train, scores: denseScores };
