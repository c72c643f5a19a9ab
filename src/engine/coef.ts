import type { Dataset } from '../data/dataset.js';
import { gemmABt } from '../kernels/gemm.js';
import { rowProducts, type RowProducts } from '../kernels/products.js';
import { scores } from '../model/cnn.js';
import { coefPlan, frozenCounts, frozenEntriesOf } from './cost.js';
import { denseEngine } from './dense.js';
import { descend } from './descent.js';
import { cross, gramOn, ProductCache } from './gram.js';
import type { Engine, FactoredWeights, TrainProblem, TrainResult } from './types.js';
import { materialize } from './weights.js';

/**
 * The coefficient engine: the same gradient descent as the dense engine, computed in the span of the
 * training atoms. Every update of a filter is a combination of the atoms, so W⁽ᵗ⁾ = W⁽⁰⁾ + C⁽ᵗ⁾·Z and
 *   G⁽ᵗ⁾ = W⁽⁰⁾·Zᵀ + C⁽ᵗ⁾·(Z·Zᵀ):
 * after one Gram matrix and one projection of W⁽⁰⁾ a step costs O(m·A²), whatever d is. C is the
 * signal-learning / noise-memorisation decomposition of docs/model.md#training.
 *
 * Frozen filters get no coefficient update. Frozen entries mask each filter's update per coordinate,
 * which leaves the span, but the mask does not change over time, so W⁽ᵗ⁾ = W⁽⁰⁾ + (C⁽ᵗ⁾·Z) ⊙ (1 − F)
 * and filter r sees the restricted Gram matrix K_r = Z·diag(1 − F_r)·Zᵀ: still exact, one A × A matrix
 * per filter (computed over its smaller side of frozen / trainable coordinates).
 */

/** Per filter: the Gram matrix it sees, or null when all its entries are frozen (its G never moves). */
function restrictedGrams(p: TrainProblem, mask: Uint8Array, products: ProductCache): (Float64Array | null)[] {
  const { atoms: Z, numAtoms: A, d } = p.data;
  const R = 2 * p.m;
  const frozen = frozenCounts(mask, R, d);
  const out: (Float64Array | null)[] = [];
  for (let r = 0; r < R; r++) {
    const f = frozen[r];
    if (f === d) {
      out.push(null);
      continue;
    }
    if (f === 0) {
      out.push(products.gram(Z, A, d));
      continue;
    }
    const useFrozen = f < d - f;
    const coords = new Int32Array(useFrozen ? f : d - f);
    let n = 0;
    for (let c = 0; c < d; c++) if ((mask[r * d + c] === 1) === useFrozen) coords[n++] = c;
    const part = gramOn(Z, A, d, coords);
    if (useFrozen) {
      const K = products.gram(Z, A, d);
      for (let i = 0; i < part.length; i++) part[i] = K[i] - part[i];
    }
    out.push(part);
  }
  return out;
}

function addInto(out: Float64Array, x: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] += x[i];
  return out;
}

function train(p: TrainProblem): TrainResult {
  const { data: ds, m } = p;
  const { d, numAtoms: A, atoms: Z } = ds;
  const R = 2 * m;
  const B = p.W0;
  const products = p.products ?? new ProductCache();
  const plan = coefPlan(p);
  const frozenEntries = frozenEntriesOf(p);
  // G − G⁽⁰⁾ = C·K with K = Z·Zᵀ packed once for all steps, or row by row C_r·K_r with frozen entries.
  const rowGrams = frozenEntries ? restrictedGrams(p, frozenEntries, products) : undefined;
  const stepProducts = rowGrams ? undefined : rowProducts(products.gram(Z, A, d), A, A, R);
  const G0 = cross(B, R, Z, A, d);
  const C = new Float64Array(R * A);
  const G = new Float64Array(R * A);
  const H = new Float64Array(R * A);
  const factored: FactoredWeights = { m, d, base: B, atoms: Z, numAtoms: A, coef: C, frozenEntries };

  // Test sets projected once on the span, T·[Z; W⁽⁰⁾]ᵀ in one pass: a checkpoint is then C·(T·Zᵀ) + W⁽⁰⁾·Tᵀ.
  const prepared = new Map<Dataset, { BT: Float64Array; TZ: RowProducts }>();
  if (plan.evalStrategy === 'span' && p.onCheckpoint) {
    for (const T of p.evalSets ?? []) {
      const E = T.numAtoms;
      const { TZ, TB } = products.crossBoth(T.atoms, E, Z, A, B, R, d);
      const BT = new Float64Array(R * E);
      for (let j = 0; j < E; j++) for (let r = 0; r < R; r++) BT[r * E + j] = TB[j * R + r];
      prepared.set(T, { BT, TZ: rowProducts(TZ, E, A, R) });
    }
  }
  // W⁽ᵗ⁾ in ℝ^d, formed at most once per step and only when asked or cheaper.
  let dense: { step: number; W: Float64Array } | undefined;
  const weightsAt = (t: number) => {
    if (dense?.step !== t) dense = { step: t, W: materialize(factored) };
    return dense.W;
  };
  // Probe vectors (the measures' u, v₁, v₂ at every checkpoint) projected on the span once; a copy of
  // the vectors checks, at 1/(R + A) of the cost of projecting again, that they are still the same.
  let probe: { V: Float64Array; BV: Float64Array; VZ: Float64Array } | undefined;
  const sameProbe = (V: Float64Array, count: number) =>
    probe?.V.length === count * d && probe.V.every((x, i) => x === V[i]);
  /** W⁽ᵗ⁾·Vᵀ (R × count) by the cheaper route: the span (W⁽⁰⁾·Vᵀ + C·(V·Zᵀ)) or W⁽ᵗ⁾ itself. */
  const projectAt = (t: number, V: Float64Array, count: number) => {
    const known = sameProbe(V, count);
    const spanCost = known ? R * A * count : (R + A) * count * d;
    const denseCost = (dense?.step === t ? 0 : R * A * d) + R * count * d;
    if (frozenEntries || denseCost <= spanCost) return cross(weightsAt(t), R, V, count, d);
    if (!known) probe = { V: V.slice(0, count * d), BV: cross(B, R, V, count, d), VZ: cross(V, count, Z, A, d) };
    return addInto(cross(C, R, probe!.VZ, count, A), probe!.BV);
  };
  const scoresAt = (t: number, T: Dataset) => {
    const pre = prepared.get(T);
    let GT: Float64Array;
    if (pre) {
      GT = addInto(pre.TZ.multiply(C, R), pre.BT);
    } else {
      GT = projectAt(t, T.atoms, T.numAtoms);
    }
    return scores(GT, m, T);
  };

  const { stepsRun, losses } = descend(p, {
    G,
    H,
    C,
    forward: () => {
      if (rowGrams) {
        for (let r = 0; r < R; r++) {
          const row = G.subarray(r * A, (r + 1) * A);
          const Kr = rowGrams[r];
          if (Kr) gemmABt(C.subarray(r * A, (r + 1) * A), 1, Kr, A, A, row);
          else row.fill(0);
        }
      } else {
        stepProducts!.multiply(C, R, G);
      }
      addInto(G, G0);
    },
    // The weights are C itself: the loop's C −= η·H is the whole step.
    step: () => {},
    views: (t) => ({
      project: (V, count) => projectAt(t, V, count),
      scores: (T) => scoresAt(t, T),
      weights: () => weightsAt(t),
    }),
  });
  // The result's W getter shares this scope: let go of the test sets and probes it no longer needs.
  prepared.clear();
  probe = undefined;
  let W = dense?.step === stepsRun ? dense.W : undefined;
  return {
    get W() {
      return (W ??= materialize(factored));
    },
    coefficients: C,
    losses,
    stepsRun,
    factored,
  };
}

export const coefEngine: Engine = { name: 'coef', train, scores: denseEngine.scores };
