import { rowProducts } from '../kernels/products.js';
import { FeatureAnalysis } from './analysis.js';
import { checkCount, type Matrix } from './input.js';

/** Options of the k-NN baseline. */
export interface KnnOptions {
  /** neighbours that vote (default 5; at most N − 1 are used) */
  k?: number;
  /** at most this many samples are classified (default 1000); above, evenly spaced ones are */
  queries?: number;
}

export const KNN_K = 5;
export const KNN_QUERIES = 1000;

/** The samples classified: all N, or Q evenly spaced ones (sample ⌊j·N/Q⌋ for j < Q). */
export function knnQueries(n: number, queries = KNN_QUERIES): Int32Array {
  const q = Math.min(n, checkCount(queries, 'knn queries'));
  return Int32Array.from({ length: q }, (_, j) => Math.floor((j * n) / q));
}

/**
 * Leave-one-out k-nearest-neighbour accuracy on the features: a plain baseline. Each query sample is classified
 * by the majority label of its k nearest other samples in squared Euclidean distance (ties in distance: the
 * lower sample index first; ties in the vote: the class of the nearest neighbour among the tied classes).
 * Higher is better. Exact for N ≤ `queries`; above, measured on `queries` evenly spaced samples (each still
 * searched against all N).
 *
 * Cost: Q·N·D multiply-adds (distances through ‖a‖² − 2a·b on the centred features, by the SIMD kernels where
 * WebAssembly has them) and Q·N·k comparisons.
 */
export function knnOf(a: FeatureAnalysis, opts: KnnOptions = {}): number {
  const { n, d, centred: z, labels: y, classes } = a;
  const k = Math.min(checkCount(opts.k ?? KNN_K, 'knn k'), n - 1);
  const picks = knnQueries(n, opts.queries);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += z[i * d + j] * z[i * d + j];
    norms[i] = s;
  }
  const block = 64;
  const rows = new Float64Array(block * d);
  const dots = new Float64Array(block * n);
  const products = rowProducts(z, n, d, block); // the WebAssembly kernels where available: the same bits
  const bestKey = new Float64Array(k);
  const bestAt = new Int32Array(k);
  const votes = new Int32Array(classes);
  let correct = 0;
  for (let q0 = 0; q0 < picks.length; q0 += block) {
    const b = Math.min(block, picks.length - q0);
    for (let r = 0; r < b; r++) rows.set(z.subarray(picks[q0 + r] * d, (picks[q0 + r] + 1) * d), r * d);
    products.multiply(rows, b, dots);
    for (let r = 0; r < b; r++) {
      const self = picks[q0 + r];
      // the k smallest ‖zⱼ‖² − 2·zᵢ·zⱼ (the distance up to ‖zᵢ‖²), in order, by insertion
      let found = 0;
      for (let j = 0; j < n; j++) {
        if (j === self) continue;
        const key = norms[j] - 2 * dots[r * n + j];
        if (found === k && !(key < bestKey[k - 1])) continue; // equal keys: the earlier index stays
        let at = found < k ? found++ : k - 1;
        while (at > 0 && key < bestKey[at - 1]) {
          bestKey[at] = bestKey[at - 1];
          bestAt[at] = bestAt[at - 1];
          at--;
        }
        bestKey[at] = key;
        bestAt[at] = j;
      }
      votes.fill(0);
      let top = 0;
      for (let m = 0; m < k; m++) top = Math.max(top, ++votes[y[bestAt[m]]]);
      let predicted = -1;
      for (let m = 0; m < k && predicted < 0; m++) if (votes[y[bestAt[m]]] === top) predicted = y[bestAt[m]];
      if (predicted === y[self]) correct++;
    }
  }
  return correct / picks.length;
}

/** k-NN leave-one-out accuracy of features [N, D] for integer labels 0…C−1 (see knnOf). */
export function knnAccuracy(features: Matrix, labels: ArrayLike<number>, opts: KnnOptions = {}): number {
  return knnOf(new FeatureAnalysis(features, labels), opts);
}
