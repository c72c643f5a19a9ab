import type { Dataset } from '../data/dataset.js';
import { atomProducts, gemmABtFast, rowProducts, type RowProducts } from '../kernels/products.js';
import { scores } from '../model/cnn.js';
import { descend } from './descent.js';
import type { Engine, TrainProblem, TrainResult } from './types.js';

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
  const { data: ds, m } = p;
  const { d, numAtoms: A } = ds;
  const rows = 2 * m;
  const products = atomProducts(ds.atoms, A, d, rows);
  const { W, G, H } = products;
  W.set(p.W0);
  const C = new Float64Array(rows * A);
  const frozenEntries = p.freeze?.kind === 'entries' ? p.freeze.mask : undefined;
  const W0 = frozenEntries ? p.W0 : undefined;
  // Sets scored at checkpoints (the test set, every time) are packed once per run; datasets are immutable.
  const packed = new WeakMap<Dataset, RowProducts>();
  const scoresAt = (other: Dataset) => {
    let rp = packed.get(other);
    if (!rp) packed.set(other, (rp = rowProducts(other.atoms, other.numAtoms, other.d, rows)));
    return scores(rp.multiply(W, rows), m, other);
  };

  const { stepsRun, losses } = descend(p, {
    G,
    H,
    C,
    forward: () => products.forward(),
    step: (eta) => {
      products.backward(-eta);
      if (frozenEntries && W0) {
        for (let e = 0; e < W.length; e++) if (frozenEntries[e]) W[e] = W0[e];
      }
    },
    views: () => ({
      project: (vectors, count) => gemmABtFast(W, rows, vectors, count, d),
      scores: scoresAt,
      weights: () => W,
    }),
  });
  // W lives in the products' memory: hand out a copy
  return { W: Float64Array.from(W), coefficients: C, losses, stepsRun };
}

export const denseEngine: Engine = { name: 'dense', train, scores: denseScores };
