import { denseDataset, type Dataset } from './dataset.js';

/**
 * Wrap dense X [N, P, d] as a dataset whose dictionary holds every distinct patch once, up to sign
 * (patch = ±atom, the sign in multOf): data with a repeated patch, like the synthetic tasks' signal
 * patch ỹ·s, then costs one atom instead of N per step. Atoms are ordered by how many patches use them
 * (most first; ties in order of first appearance), the layout of the synthetic tasks, so training on
 * an exported task reproduces the original run bit for bit: negating an atom and its multiplier is
 * exact in floating point. With nothing repeated this is `denseDataset` itself.
 */
export function dictionaryDataset(X: Float64Array, y: Float64Array, n: number, patches: number, d: number): Dataset {
  const np = n * patches;
  const rep: number[] = []; // atom → the first patch that is it
  const count: number[] = [];
  const atomOf = new Int32Array(np);
  const multOf = new Float64Array(np);
  const buckets = new Map<number, number[]>();
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);
  const sign = new Float64Array(np);

  for (let p = 0; p < np; p++) {
    const off = p * d;
    let s = 1;
    for (let k = 0; k < d; k++) {
      if (X[off + k] !== 0) {
        s = X[off + k] > 0 ? 1 : -1;
        break;
      }
    }
    sign[p] = s;
    // FNV-1a over the bits of the sign-normalised patch (+0 merges −0 and 0).
    let h = 0x811c9dc5;
    for (let k = 0; k < d; k++) {
      bits[0] = s * X[off + k] + 0;
      h = Math.imul(h ^ words[0], 0x01000193);
      h = Math.imul(h ^ words[1], 0x01000193);
    }
    let bucket = buckets.get(h);
    if (!bucket) buckets.set(h, (bucket = []));
    let found = -1;
    for (const a of bucket) {
      const r = rep[a] * d;
      const mult = s * sign[rep[a]];
      let same = true;
      for (let k = 0; k < d && same; k++) same = X[off + k] === mult * X[r + k];
      if (same) {
        found = a;
        break;
      }
    }
    if (found < 0) {
      found = rep.length;
      rep.push(p);
      count.push(0);
      bucket.push(found);
    }
    count[found]++;
    atomOf[p] = found;
    multOf[p] = s * sign[rep[found]];
  }
  if (rep.length === np) return denseDataset(X, y, n, patches, d);

  const order = rep.map((_, a) => a).sort((a, b) => count[b] - count[a] || a - b);
  const rank = new Int32Array(order.length);
  order.forEach((a, i) => (rank[a] = i));
  const atoms = new Float64Array(order.length * d);
  order.forEach((a, i) => atoms.set(X.subarray(rep[a] * d, (rep[a] + 1) * d), i * d));
  for (let p = 0; p < np; p++) atomOf[p] = rank[atomOf[p]];
  return { n, patches, d, numAtoms: order.length, atoms, atomOf, multOf, y };
}
