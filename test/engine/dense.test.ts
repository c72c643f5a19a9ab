import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/presets.js';
import { toDense, type Dataset } from '../../src/data/dataset.js';
import { makeFrame } from '../../src/data/frame.js';
import { makeTask, sampleTask } from '../../src/data/task.js';
import { denseEngine } from '../../src/engine/dense.js';
import { DivergenceError } from '../../src/util/errors.js';
import { logistic, logisticDeriv } from '../../src/util/math.js';
import { Rng } from '../../src/util/rng.js';
import { relDiff } from '../helpers/numeric.js';

/** Plain GD straight from docs/model.md#training: per sample, per patch, per filter, in ℝ^d, no atom dictionary. */
function plainGD(X: Float64Array, y: Float64Array, n: number, P: number, d: number, W0: Float64Array, m: number, lr: number, steps: number) {
  const W = Float64Array.from(W0);
  const losses: number[] = [];
  for (let t = 0; t <= steps; t++) {
    const act = new Float64Array(2 * m * n * P);
    const f = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < 2 * m; r++) {
        for (let q = 0; q < P; q++) {
          let s = 0;
          for (let k = 0; k < d; k++) s += W[r * d + k] * X[(i * P + q) * d + k];
          act[(r * n + i) * P + q] = s;
          f[i] += ((r < m ? 1 : -1) * Math.max(0, s)) / m;
        }
      }
    }
    let L = 0;
    for (let i = 0; i < n; i++) L += logistic(y[i] * f[i]);
    losses.push(L / n);
    if (t === steps) break;
    const grad = new Float64Array(W.length);
    for (let i = 0; i < n; i++) {
      const g = (logisticDeriv(y[i] * f[i]) * y[i]) / n;
      for (let r = 0; r < 2 * m; r++) {
        for (let q = 0; q < P; q++) {
          if (act[(r * n + i) * P + q] <= 0) continue;
          const c = (g * (r < m ? 1 : -1)) / m;
          for (let k = 0; k < d; k++) grad[r * d + k] += c * X[(i * P + q) * d + k];
        }
      }
    }
    for (let e = 0; e < W.length; e++) W[e] -= lr * grad[e];
  }
  return { W, losses };
}

function synthetic(seed: number, n = 12, d = 30, patches = 3): Dataset {
  const c = { ...defaultConfig, d, patches, seed, labelNoise: 0.1, signalPatch: 'random' as const };
  return sampleTask(makeTask(makeFrame(c), c, 1), n, new Rng(seed, 'train'));
}


describe('dense engine', () => {
  it('equals plain per-patch gradient descent on synthetic data (shared signal atom, odd sizes)', () => {
    for (const [seed, m] of [
      [1, 3],
      [2, 5],
    ]) {
      const ds = synthetic(seed);
      const W0 = new Rng(seed, 'init').fillNormal(new Float64Array(2 * m * ds.d), 0.1);
      const got = denseEngine.train({ data: ds, W0, m, lr: 0.7, steps: 15, lossThreshold: 0 });
      const want = plainGD(toDense(ds), ds.y, ds.n, ds.patches, ds.d, W0, m, 0.7, 15);
      expect(got.stepsRun).toBe(15);
      expect(relDiff(got.W, want.W)).toBeLessThan(1e-12);
      expect(relDiff(got.losses, want.losses)).toBeLessThan(1e-12);
      expect(want.losses[15]).toBeLessThan(want.losses[0]);
    }
  });

  it('tracks the coefficients exactly: W = W0 + C·Z', () => {
    const ds = synthetic(3);
    const m = 4;
    const W0 = new Rng(3, 'init').fillNormal(new Float64Array(2 * m * ds.d), 0.1);
    const r = denseEngine.train({ data: ds, W0, m, lr: 1, steps: 10, lossThreshold: 0 });
    const W = Float64Array.from(W0);
    for (let row = 0; row < 2 * m; row++)
      for (let a = 0; a < ds.numAtoms; a++)
        for (let k = 0; k < ds.d; k++) W[row * ds.d + k] += r.coefficients[row * ds.numAtoms + a] * ds.atoms[a * ds.d + k];
    expect(relDiff(W, r.W)).toBeLessThan(1e-12);
  });

  it('keeps frozen filters and frozen entries bitwise fixed, and trains the rest', () => {
    const ds = synthetic(4);
    const m = 3;
    const W0 = new Rng(4, 'init').fillNormal(new Float64Array(2 * m * ds.d), 0.1);
    const rows = new Uint8Array([1, 0, 0, 0, 1, 0]);
    const r1 = denseEngine.train({ data: ds, W0, m, lr: 1, steps: 5, lossThreshold: 0, freeze: { kind: 'rows', mask: rows } });
    for (let row = 0; row < 2 * m; row++) {
      const same = r1.W.subarray(row * ds.d, (row + 1) * ds.d).every((x, k) => x === W0[row * ds.d + k]);
      expect(same).toBe(rows[row] === 1);
    }
    const entries = new Uint8Array(W0.length).map((_, e) => (e % 3 === 0 ? 1 : 0));
    const r2 = denseEngine.train({ data: ds, W0, m, lr: 1, steps: 5, lossThreshold: 0, freeze: { kind: 'entries', mask: entries } });
    let moved = 0;
    for (let e = 0; e < W0.length; e++) {
      if (entries[e]) expect(r2.W[e]).toBe(W0[e]);
      else if (r2.W[e] !== W0[e]) moved++;
    }
    expect(moved).toBeGreaterThan(W0.length / 3);
  });

  it('stops once the loss reaches the threshold', () => {
    const ds = synthetic(5);
    const m = 3;
    const W0 = new Rng(5, 'init').fillNormal(new Float64Array(2 * m * ds.d), 0.1);
    const r = denseEngine.train({ data: ds, W0, m, lr: 1, steps: 1000, lossThreshold: 0.3 });
    expect(r.stepsRun).toBeLessThan(1000);
    expect(r.losses[r.stepsRun]).toBeLessThanOrEqual(0.3);
    expect(r.losses[r.stepsRun - 1]).toBeGreaterThan(0.3);
  });

  it('reports divergence as an error naming lr', () => {
    const ds = synthetic(6);
    const m = 2;
    const W0 = new Rng(6, 'init').fillNormal(new Float64Array(2 * m * ds.d), 1);
    expect(() => denseEngine.train({ data: ds, W0, m, lr: 1e308, steps: 50, lossThreshold: 0, phase: 'upstream' })).toThrow(
      DivergenceError,
    );
    expect(() => denseEngine.train({ data: ds, W0, m, lr: 1e308, steps: 50, lossThreshold: 0 })).toThrow(/lr=1e\+308/);
  });

  it('reports every requested checkpoint and the last step', () => {
    const ds = synthetic(7);
    const m = 2;
    const W0 = new Rng(7, 'init').fillNormal(new Float64Array(2 * m * ds.d), 0.1);
    const seen: number[] = [];
    denseEngine.train({
      data: ds,
      W0,
      m,
      lr: 1,
      steps: 9,
      lossThreshold: 0,
      checkpoints: [0, 2, 5],
      onCheckpoint: (s) => seen.push(s.step),
    });
    expect(seen).toEqual([0, 2, 5, 9]);
  });
});
