import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/presets.js';
import { denseDataset, toDense } from '../../src/data/dataset.js';
import { dictionaryDataset } from '../../src/data/dictionary.js';
import { makeFrame } from '../../src/data/frame.js';
import { makeTask, sampleTask } from '../../src/data/task.js';
import { denseEngine } from '../../src/engine/dense.js';
import { Rng } from '../../src/util/rng.js';

const sameBits = (a: Float64Array, b: Float64Array) =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('dictionaryDataset', () => {
  it('with nothing repeated it is the plain one-atom-per-patch dataset', () => {
    const X = new Rng(1, 'dict').fillNormal(new Float64Array(6 * 2 * 5));
    const y = Float64Array.of(1, -1, 1, 1, -1, -1);
    const ds = dictionaryDataset(X, y, 6, 2, 5);
    expect(ds.numAtoms).toBe(12);
    expect(ds.atoms).toBe(X);
    expect(Array.from(ds.atomOf)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('stores repeated patches once up to sign, most used first, and expands back to X exactly', () => {
    const d = 4;
    const s = Float64Array.of(0.5, -1, 0, 2);
    const a = Float64Array.of(3, 1, -1, 0.25);
    const zero = Float64Array.of(0, -0, 0, 0);
    const near = Float64Array.of(0.5, -1, 0, 2 + 2 ** -50); // differs from s in the last bit only
    const neg = (v: Float64Array) => v.map((x) => -x);
    // 4 samples × 3 patches
    const patches = [a, s, zero, neg(s), near, neg(a), zero, s, s, neg(zero), a, neg(s)];
    const X = new Float64Array(patches.length * d);
    patches.forEach((p, i) => X.set(p, i * d));
    const ds = dictionaryDataset(X, Float64Array.of(1, -1, 1, -1), 4, 3, d);
    // atoms: s (5 uses) first, then a (3), zero (3: ties keep first appearance), near (1)
    expect(ds.numAtoms).toBe(4);
    expect(Array.from(ds.atoms.subarray(0, d))).toEqual(Array.from(s));
    expect(Array.from(ds.atoms.subarray(d, 2 * d))).toEqual(Array.from(a));
    expect(Array.from(ds.atomOf)).toEqual([1, 0, 2, 0, 3, 1, 2, 0, 0, 2, 1, 0]);
    expect(Array.from(ds.multOf)).toEqual([1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 1, -1]);
    const back = toDense(ds);
    for (let i = 0; i < X.length; i++) expect(back[i] === X[i]).toBe(true);
  });

  it('training on it equals training on the plain dataset (to rounding) on data with repeats', () => {
    const rng = new Rng(2, 'dict');
    const n = 13, P = 3, d = 11, m = 3;
    const X = rng.fillNormal(new Float64Array(n * P * d));
    const y = Float64Array.from({ length: n }, () => rng.sign());
    const s = rng.fillNormal(new Float64Array(d));
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) X[(i * P + (i % P)) * d + k] = y[i] * s[k];
    for (let i = 0; i < n; i += 4) X.copyWithin((i * P + 2) * d, (i * P + 1) * d, (i * P + 2) * d); // duplicates in a sample
    const W0 = rng.fillNormal(new Float64Array(2 * m * d), 0.2);
    const problem = { W0, m, lr: 0.8, steps: 25, lossThreshold: 0 };
    const dict = dictionaryDataset(X, y, n, P, d);
    expect(dict.numAtoms).toBeLessThan(n * P - n);
    const fast = denseEngine.train({ ...problem, data: dict });
    const plain = denseEngine.train({ ...problem, data: denseDataset(X, y, n, P, d) });
    let diff = 0, size = 0;
    for (let i = 0; i < W0.length; i++) {
      diff = Math.max(diff, Math.abs(fast.W[i] - plain.W[i]));
      size = Math.max(size, Math.abs(plain.W[i] - W0[i]));
    }
    expect(size).toBeGreaterThan(0.1);
    expect(diff / size).toBeLessThan(1e-12);
    for (let t = 0; t <= 25; t++) expect(fast.losses[t]).toBeCloseTo(plain.losses[t], 13);
  });

  for (const signalPatch of ['first', 'random'] as const) {
    it(`rebuilds the synthetic layout (signalPatch ${signalPatch}), so training reproduces it bit for bit`, () => {
      const c = { ...defaultConfig, d: 40, patches: 3, labelNoise: 0.2, signalPatch, seed: 5 };
      const task = makeTask(makeFrame(c), c, 2);
      const syn = sampleTask(task, 15, new Rng(c.seed, 'train2'));
      const dict = dictionaryDataset(toDense(syn), syn.y, syn.n, syn.patches, syn.d);
      expect(dict.numAtoms).toBe(syn.numAtoms);
      expect(Array.from(dict.atomOf)).toEqual(Array.from(syn.atomOf));
      const W0 = new Rng(c.seed, 'init').fillNormal(new Float64Array(2 * 4 * c.d), 0.05);
      const problem = { W0, m: 4, lr: 1, steps: 30, lossThreshold: 0 };
      const a = denseEngine.train({ ...problem, data: syn });
      const b = denseEngine.train({ ...problem, data: dict });
      expect(sameBits(a.W, b.W)).toBe(true);
      expect(sameBits(a.losses, b.losses)).toBe(true);
      expect(a.losses[30]).toBeLessThan(a.losses[0]);
    });
  }
});
