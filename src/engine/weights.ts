import { gemmAddAB } from '../kernels/gemm.js';
import type { FactoredWeights, Weights } from './types.js';

/** The dense weights [2, m, d] (a dense input is returned as is). */
export function materialize(w: Weights): Float64Array {
  if (w instanceof Float64Array) return w;
  const out = Float64Array.from(w.base);
  addDelta(w, Int32Array.from({ length: 2 * w.m }, (_, r) => r), w.coef, out);
  return out;
}

/**
 * Rows `rows` of weights whose rows have length d (k × d): for factored weights base rows + coef rows ·
 * atoms (masked where entries are frozen), k·A·d multiply-adds instead of 2m·A·d for all of W.
 */
export function materializeRows(w: Weights, rows: ArrayLike<number>, d: number): Float64Array {
  const k = rows.length;
  const out = new Float64Array(k * d);
  const base = w instanceof Float64Array ? w : w.base;
  for (let i = 0; i < k; i++) out.set(base.subarray(rows[i] * d, (rows[i] + 1) * d), i * d);
  if (w instanceof Float64Array) return out;
  const A = w.numAtoms;
  const C = new Float64Array(k * A);
  for (let i = 0; i < k; i++) C.set(w.coef.subarray(rows[i] * A, (rows[i] + 1) * A), i * A);
  addDelta(w, rows, C, out);
  return out;
}

/** out += (C·Z) ⊙ (1 − frozen) on the given rows (C holds their coefficient rows, out their weights). */
function addDelta(w: FactoredWeights, rows: ArrayLike<number>, C: Float64Array, out: Float64Array): void {
  const { d, numAtoms: A, atoms, frozenEntries } = w;
  const k = rows.length;
  if (!frozenEntries) {
    gemmAddAB(C, k, A, atoms, d, out, 1);
    return;
  }
  const delta = new Float64Array(k * d);
  gemmAddAB(C, k, A, atoms, d, delta, 1);
  for (let i = 0; i < k; i++) {
    const src = rows[i] * d;
    for (let c = 0; c < d; c++) if (!frozenEntries[src + c]) out[i * d + c] += delta[i * d + c];
  }
}
