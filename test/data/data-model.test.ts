import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/presets.js';
import type { ExperimentConfig } from '../../src/config/schema.js';
import { toDense } from '../../src/data/dataset.js';
import { makeFrame } from '../../src/data/frame.js';
import { makeTask, sampleTask } from '../../src/data/task.js';
import { dot } from '../../src/util/math.js';
import { Rng } from '../../src/util/rng.js';

const cfg = (o: Partial<ExperimentConfig>): ExperimentConfig => ({ ...defaultConfig, ...o });
const norm = (v: Float64Array) => Math.sqrt(dot(v, 0, v, 0, v.length));

describe('direction frame (docs/model.md#directions)', () => {
  for (const basis of ['random', 'canonical'] as const) {
    it(`${basis}: u ⟂ v₁, u ⟂ v₂, cos(v₁, v₂) = vCos, norms as configured`, () => {
      const c = cfg({ d: 50, uNorm: 1.5, v1Norm: 2, v2Norm: 0.7, vCos: 0.3, basis, seed: 7 });
      const f = makeFrame(c);
      expect(norm(f.u)).toBeCloseTo(1.5, 12);
      expect(norm(f.v1)).toBeCloseTo(2, 12);
      expect(norm(f.v2)).toBeCloseTo(0.7, 12);
      expect(Math.abs(dot(f.u, 0, f.v1, 0, 50))).toBeLessThan(1e-12);
      expect(Math.abs(dot(f.u, 0, f.v2, 0, 50))).toBeLessThan(1e-12);
      expect(dot(f.v1, 0, f.v2, 0, 50) / (2 * 0.7)).toBeCloseTo(0.3, 12);
    });
  }

  it('draws the random frame from the seed, and keeps it when a norm is swept through 0', () => {
    const a = makeFrame(cfg({ d: 30, seed: 1 }));
    const b = makeFrame(cfg({ d: 30, seed: 2 }));
    const c = makeFrame(cfg({ d: 30, seed: 1, uNorm: 0 }));
    expect(dot(a.eU, 0, b.eU, 0, 30)).not.toBeCloseTo(1, 3);
    expect([...c.eV1]).toEqual([...a.eV1]);
    expect(norm(c.u)).toBe(0);
  });

  it('places only the needed directions when d < 3', () => {
    const f = makeFrame(cfg({ d: 2, uNorm: 0, v1Norm: 0, v2Norm: 1 }));
    expect(norm(f.v2)).toBeCloseTo(1, 12);
  });
});

describe('task sampling (docs/model.md#samples)', () => {
  const c = cfg({ d: 40, uNorm: 1, v1Norm: 1.5, v2Norm: 2, sigmaP1: 0.8, patches: 3, seed: 3 });
  const frame = makeFrame(c);
  const task = makeTask(frame, c, 2);

  it('puts ỹ·(u + v_k) in the signal patch and noise ⟂ u, v_k elsewhere', () => {
    const ds = sampleTask(task, 50, new Rng(1, 't'));
    const X = toDense(ds);
    const { d, patches: P } = ds;
    for (let i = 0; i < ds.n; i++) {
      for (let k = 0; k < d; k++) expect(X[(i * P) * d + k]).toBe(ds.yTrue[i] * (frame.u[k] + frame.v2[k]));
      for (let q = 1; q < P; q++) {
        const off = (i * P + q) * d;
        expect(Math.abs(dot(X, off, frame.u, 0, d))).toBeLessThan(1e-12);
        expect(Math.abs(dot(X, off, frame.v2, 0, d))).toBeLessThan(1e-12);
        // v₁ is not projected out of Task 2's noise (only u and v₂ are)
      }
    }
  });

  it('noise covariance is σ²(I − e_u e_uᵀ − e_v e_vᵀ)', () => {
    const small = cfg({ d: 5, uNorm: 1, v1Norm: 1, v2Norm: 1, sigmaP1: 1.5, basis: 'random', seed: 9 });
    const f = makeFrame(small);
    const t = makeTask(f, small, 1);
    const n = 40000;
    const ds = sampleTask(t, n, new Rng(2, 'cov'));
    const d = 5;
    const cov = new Float64Array(d * d);
    for (let a = ds.firstNoiseAtom; a < ds.numAtoms; a++) {
      for (let r = 0; r < d; r++) for (let s = 0; s < d; s++) cov[r * d + s] += ds.atoms[a * d + r] * ds.atoms[a * d + s];
    }
    for (let r = 0; r < d; r++) {
      for (let s = 0; s < d; s++) {
        const want = 2.25 * ((r === s ? 1 : 0) - f.eU[r] * f.eU[s] - f.eV1[r] * f.eV1[s]);
        // standard error of a covariance entry ≈ σ²·√(2/n) ≈ 0.016
        expect(Math.abs(cov[r * d + s] / n - want)).toBeLessThan(0.07);
      }
    }
  });

  it('flips labels with probability p and keeps ỹ balanced', () => {
    const t = makeTask(frame, cfg({ ...c, labelNoise: 0.2 }), 1);
    const n = 20000;
    const ds = sampleTask(t, n, new Rng(5, 'flip'));
    let flips = 0;
    let pos = 0;
    for (let i = 0; i < n; i++) {
      if (ds.y[i] !== ds.yTrue[i]) flips++;
      if (ds.yTrue[i] > 0) pos++;
    }
    const se = Math.sqrt((0.2 * 0.8) / n);
    expect(Math.abs(flips / n - 0.2)).toBeLessThan(4 * se);
    expect(Math.abs(pos / n - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / n));
  });

  it('places the signal patch uniformly with signalPatch: random', () => {
    const t = makeTask(frame, cfg({ ...c, signalPatch: 'random' }), 1);
    const n = 6000;
    const ds = sampleTask(t, n, new Rng(6, 'pos'));
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) for (let q = 0; q < 3; q++) if (ds.atomOf[i * 3 + q] === 0) counts[q]++;
    expect(counts.reduce((a, b) => a + b)).toBe(n);
    for (const k of counts) expect(Math.abs(k / n - 1 / 3)).toBeLessThan(4 * Math.sqrt(2 / 9 / n));
  });

  it('label noise changes labels only: the inputs are the same random numbers', () => {
    const t0 = makeTask(frame, cfg({ ...c, labelNoise: 0 }), 1);
    const a = sampleTask(t0, 30, new Rng(8, 's'));
    const b = sampleTask(t0, 30, new Rng(8, 's'), 0.3);
    expect([...a.atoms]).toEqual([...b.atoms]);
    expect([...a.yTrue]).toEqual([...b.yTrue]);
    expect([...a.y]).not.toEqual([...b.y]);
  });
});

describe('Rng', () => {
  it('is reproducible per (seed, stream) and independent across streams', () => {
    const a = new Rng(42, 'x');
    const b = new Rng(42, 'x');
    const c = new Rng(42, 'y');
    const va = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(va);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(va);
  });

  it('draws standard normals with mean 0 and variance 1', () => {
    const r = new Rng(1, 'n');
    const n = 100000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
  });

  it('samples k distinct indices uniformly', () => {
    const r = new Rng(3, 's');
    const counts = new Array(10).fill(0);
    for (let t = 0; t < 5000; t++) {
      const s = r.sample(10, 3);
      expect(new Set(s).size).toBe(3);
      for (const i of s) counts[i]++;
    }
    for (const k of counts) expect(Math.abs(k / 5000 - 0.3)).toBeLessThan(4 * Math.sqrt(0.21 / 5000));
  });
});
