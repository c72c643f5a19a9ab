import { describe, expect, it } from 'vitest';
import { denseDataset, type Dataset } from '../../src/data/dataset.js';
import { lossAndGradCoefficients, loss, scores } from '../../src/model/cnn.js';
import { plain } from '../../src/kernels/gemm.js';
import { Rng } from '../../src/util/rng.js';
import { defaultConfig } from '../../src/config/presets.js';
import { makeFrame } from '../../src/data/frame.js';
import { makeTask, sampleTask } from '../../src/data/task.js';

function lossAt(W: Float64Array, m: number, ds: Dataset): number {
  const G = new Float64Array(2 * m * ds.numAtoms);
  plain.gemmABt(W, 2 * m, ds.atoms, ds.numAtoms, ds.d, G);
  return loss(scores(G, m, ds), ds.y);
}

function analyticGradient(W: Float64Array, m: number, ds: Dataset): Float64Array {
  const A = ds.numAtoms;
  const G = new Float64Array(2 * m * A);
  plain.gemmABt(W, 2 * m, ds.atoms, A, ds.d, G);
  const H = new Float64Array(2 * m * A);
  lossAndGradCoefficients(G, m, ds, H);
  const grad = new Float64Array(W.length);
  plain.gemmAddAB(H, 2 * m, A, ds.atoms, ds.d, grad, 1);
  return grad;
}

function checkFiniteDifferences(W: Float64Array, m: number, ds: Dataset) {
  const grad = analyticGradient(W, m, ds);
  const h = 1e-6;
  let worst = 0;
  for (let e = 0; e < W.length; e++) {
    const keep = W[e];
    W[e] = keep + h;
    const lp = lossAt(W, m, ds);
    W[e] = keep - h;
    const lm = lossAt(W, m, ds);
    W[e] = keep;
    const fd = (lp - lm) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - grad[e]) / Math.max(1e-6, Math.abs(fd) + Math.abs(grad[e])));
  }
  return { worst, gradNorm: Math.hypot(...grad) };
}

describe('gradient of the logistic loss of the two-layer ReLU CNN', () => {
  it('matches central finite differences on arbitrary data', () => {
    for (const [n, P, d, m, seed] of [
      [5, 2, 7, 3, 1],
      [6, 3, 5, 2, 2],
      [3, 4, 9, 1, 3],
    ]) {
      const rng = new Rng(seed, 'fd');
      const X = rng.fillNormal(new Float64Array(n * P * d));
      const y = Float64Array.from({ length: n }, () => rng.sign());
      const ds = denseDataset(X, y, n, P, d);
      const W = rng.fillNormal(new Float64Array(2 * m * d), 0.5);
      const { worst, gradNorm } = checkFiniteDifferences(W, m, ds);
      expect(gradNorm).toBeGreaterThan(1e-3);
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('matches finite differences on synthetic data with a shared signal atom (±ỹ·s)', () => {
    const c = { ...defaultConfig, d: 12, m: 3, patches: 3, seed: 4, labelNoise: 0.2 };
    const task = makeTask(makeFrame(c), c, 1);
    const ds = sampleTask(task, 8, new Rng(4, 'train'));
    const rng = new Rng(5, 'w');
    const W = rng.fillNormal(new Float64Array(2 * c.m * c.d), 0.7);
    const { worst, gradNorm } = checkFiniteDifferences(W, c.m, ds);
    expect(gradNorm).toBeGreaterThan(1e-3);
    expect(worst).toBeLessThan(1e-6);
  });

  it('uses σ′(0) = 0: a filter orthogonal to every patch gets no gradient', () => {
    const d = 4;
    const X = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0]); // one sample, P = 2
    const ds = denseDataset(X, new Float64Array([1]), 1, 2, d);
    const W = new Float64Array(2 * d);
    W.set([0, 0, 1, 0], 0); // class +1 filter ⟂ both patches
    W.set([0, 0, 0, 1], d);
    const grad = analyticGradient(W, 1, ds);
    expect([...grad]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
