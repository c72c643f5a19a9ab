import type { Dataset } from '../data/dataset.js';
import { logistic, logisticDeriv } from '../util/math.js';

/**
 * The two-layer ReLU CNN of docs/model.md#network, written over pre-activations: G[r·A + a] = ⟨w_r, atom_a⟩ for the
 * 2m filters (rows 0…m−1: class +1, rows m…2m−1: class −1). Every engine computes G its own way;
 * the network itself is this file.
 *   f(W, x_i) = (1/m) Σ_r Σ_q [σ(c_iq·G[r, a_iq]) − σ(c_iq·G[m+r, a_iq])],  σ = ReLU.
 */

/** f(W, x_i) for every sample i. */
export function scores(G: Float64Array, m: number, ds: Dataset, out = new Float64Array(ds.n)): Float64Array {
  const { n, patches: P, numAtoms: A } = ds;
  for (let i = 0; i < n; i++) {
    let pos = 0;
    let neg = 0;
    for (let q = 0; q < P; q++) {
      const a = ds.atomOf[i * P + q];
      const c = ds.multOf[i * P + q];
      for (let r = 0; r < m; r++) {
        const zp = c * G[r * A + a];
        if (zp > 0) pos += zp;
        const zn = c * G[(m + r) * A + a];
        if (zn > 0) neg += zn;
      }
    }
    out[i] = (pos - neg) / m;
  }
  return out;
}

/** L(W) = (1/N) Σ_i ℓ(y_i f_i), logistic loss computed stably. */
export function loss(f: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < f.length; i++) s += logistic(y[i] * f[i]);
  return s / f.length;
}

/**
 * The loss at G and the gradient's coefficients on the atoms: ∇_{w_r} L = Σ_a H[r·A + a] · atom_a, with
 *   H[r, a] = (1/N) Σ_{(i,q): a_iq = a} ℓ'(y_i f_i) · y_i · (j_r/m) · c_iq · 1[c_iq G[r, a] > 0]   (σ'(0) = 0).
 */
export function lossAndGradCoefficients(
  G: Float64Array,
  m: number,
  ds: Dataset,
  H: Float64Array,
  f = new Float64Array(ds.n),
): number {
  const { n, patches: P, numAtoms: A, y } = ds;
  scores(G, m, ds, f);
  H.fill(0);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const z = y[i] * f[i];
    // ℓ(+∞) = 0 would hide overflowed weights: an infinite or NaN score is divergence.
    total += Number.isFinite(z) ? logistic(z) : NaN;
    const g = (logisticDeriv(z) * y[i]) / (n * m);
    for (let q = 0; q < P; q++) {
      const a = ds.atomOf[i * P + q];
      const c = ds.multOf[i * P + q];
      const gc = g * c;
      for (let r = 0; r < m; r++) {
        if (c * G[r * A + a] > 0) H[r * A + a] += gc;
        if (c * G[(m + r) * A + a] > 0) H[(m + r) * A + a] -= gc;
      }
    }
  }
  return total / n;
}

/** Fraction of samples whose sign(f) differs from the label (f = 0 counts as an error). */
export function errorRate(f: Float64Array, labels: Float64Array): number {
  let wrong = 0;
  for (let i = 0; i < f.length; i++) if (Math.sign(f[i]) !== labels[i]) wrong++;
  return wrong / f.length;
}
