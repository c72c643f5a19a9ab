import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/presets.js';
import { validateConfig } from '../../src/config/load.js';
import type { ExperimentConfig } from '../../src/config/schema.js';
import { subspaceLayout } from '../../src/data/subspace.js';
import { makeWorld, resolveSampler } from '../../src/data/world.js';
import { runExperiment } from '../../src/experiment/run.js';
import { chiSquare, gamma } from '../../src/util/distributions.js';
import { dot } from '../../src/util/math.js';
import { Rng } from '../../src/util/rng.js';

const cfg = (o: Partial<ExperimentConfig>): ExperimentConfig => ({ ...defaultConfig, ...o });

/** Mean and standard error of the mean. */
function moments(xs: number[]) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, v, se: Math.sqrt(v / xs.length) };
}

describe('gamma and χ² samplers', () => {
  for (const df of [1, 3, 40, 1997]) {
    it(`χ²_${df}: mean ν and variance 2ν (20 000 draws, within 5 standard errors)`, () => {
      const rng = new Rng(df, 'chi');
      const xs = Array.from({ length: 20000 }, () => chiSquare(rng, df));
      const m = moments(xs);
      expect(Math.abs(m.mean - df)).toBeLessThan(5 * Math.sqrt((2 * df) / xs.length));
      // the sample variance of χ²_ν has variance (2ν)²·(2/n + 12/(ν·n)) to leading order
      expect(Math.abs(m.v - 2 * df)).toBeLessThan(5 * 2 * df * Math.sqrt(2 / xs.length + 12 / (df * xs.length)));
    });
  }

  it('is deterministic and refuses a non-positive shape', () => {
    const a = new Rng(3, 'g');
    const b = new Rng(3, 'g');
    expect([gamma(a, 0.3), gamma(a, 7)]).toEqual([gamma(b, 0.3), gamma(b, 7)]);
    expect(() => gamma(a, 0)).toThrow(/shape=0/);
  });
});

describe('subspace sampler layout and choice', () => {
  it('works in 3 + min(K, d − 3) dimensions, downstream blocks first', () => {
    const c = cfg({ d: 2000, m: 20, n1: 200, n2: 40, patches: 2 });
    const L = subspaceLayout(c);
    expect(L.blocks).toEqual({
      init2: { offset: 0, size: 40 },
      train2: { offset: 40, size: 40 },
      init1: { offset: 80, size: 40 },
      train1: { offset: 120, size: 200 },
    });
    expect([L.D, L.dims, L.r]).toEqual([1997, 320, 323]);
    expect(subspaceLayout(cfg({ d: 50 })).r).toBe(50);
  });

  it('auto picks subspace except for coordinate-wise inheritance or d < 3; subspace with entries is refused', () => {
    expect(resolveSampler(cfg({}))).toBe('subspace');
    expect(resolveSampler(cfg({ inheritance: 'entries' }))).toBe('explicit');
    expect(resolveSampler(cfg({ d: 2, uNorm: 0, v1Norm: 0, v2Norm: 1 }))).toBe('explicit');
    expect(() => validateConfig(cfg({ sampler: 'subspace', inheritance: 'entries' }))).toThrow(/sampler.*entries/);
    expect(() => validateConfig(cfg({ sampler: 'subspace', d: 2, uNorm: 0, v1Norm: 0, v2Norm: 1 }))).toThrow(
      /sampler.*d ≥ 3/,
    );
  });
});

/**
 * The law of every inner product the training sees, over many seeds: ‖ξ‖² ~ σ²χ²_{d−2} (two directions
 * projected out), ⟨ξ_i, ξ_j⟩ and ⟨ξ_t, ξ_i⟩ (test vs training) with mean 0 and variance σ⁴(d − 2),
 * ⟨w, ξ⟩ with variance σ₀²σ²(d − 2). Checked where K < d − 3 (the residual of test vectors is dropped)
 * and where K > d − 3 (the decomposition fills the whole space).
 */
describe('subspace sampler: the inner products have the explicit law', () => {
  for (const d of [300, 12]) {
    it(`d = ${d}`, () => {
      const base = cfg({ d, m: 2, n1: 6, n2: 5, nTest: 4, patches: 2, sigmaP2: 1.5, sigma0: 0.5, sampler: 'subspace' });
      const sq: number[] = [];
      const cross: number[] = [];
      const testCross: number[] = [];
      const initCross: number[] = [];
      for (let seed = 0; seed < 300; seed++) {
        const w = makeWorld({ ...base, seed });
        const r = w.d;
        const ds = w.train2;
        const test = w.test(2);
        const W = w.init(2);
        const row = (X: Float64Array, a: number) => X.subarray(a * r, (a + 1) * r);
        const xi = (a: number) => row(ds.atoms, ds.firstNoiseAtom + a);
        const ip = (x: Float64Array, y: Float64Array) => dot(x, 0, y, 0, r);
        sq.push(ip(xi(0), xi(0)));
        cross.push(ip(xi(1), xi(2)));
        testCross.push(ip(row(test.atoms, test.firstNoiseAtom), xi(3)));
        initCross.push(ip(row(W, 1), xi(4)));
      }
      const s2 = 1.5 ** 2;
      const n = d - 2;
      const check = (xs: number[], mean: number, variance: number) => {
        const m = moments(xs);
        expect(Math.abs(m.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / xs.length));
        expect(m.v / variance).toBeGreaterThan(0.7);
        expect(m.v / variance).toBeLessThan(1.35);
      };
      check(sq, s2 * n, 2 * s2 * s2 * n);
      check(cross, 0, s2 * s2 * n);
      check(testCross, 0, s2 * s2 * n);
      check(initCross, 0, 0.25 * s2 * n);
    });
  }
});

describe('subspace sampler: experiments', () => {
  it('gives the explicit sampler’s error distribution (300 seeds each, tiny tasks)', () => {
    const base = cfg({ d: 200, m: 2, n1: 10, n2: 8, nTest: 100, steps: 40, uNorm: 1, v1Norm: 1, v2Norm: 1, checkpoints: 2 });
    const errors = (sampler: 'explicit' | 'subspace', o: Partial<ExperimentConfig> = {}) => {
      const scratch: number[] = [];
      const transfer: number[] = [];
      for (let seed = 0; seed < 300; seed++) {
        const r = runExperiment({ ...base, ...o, seed, sampler }).result;
        scratch.push(r.scratch.testError);
        transfer.push(r.transfer.testError);
      }
      return { scratch: moments(scratch), transfer: moments(transfer) };
    };
    const z = (a: ReturnType<typeof errors>, b: ReturnType<typeof errors>, k: 'scratch' | 'transfer') =>
      (a[k].mean - b[k].mean) / Math.hypot(a[k].se, b[k].se);
    const e = errors('explicit');
    const s = errors('subspace');
    expect(Math.abs(z(s, e, 'scratch'))).toBeLessThan(4);
    expect(Math.abs(z(s, e, 'transfer'))).toBeLessThan(4);
    // and the comparison has power: a slightly weaker downstream signal is told apart
    expect(Math.abs(z(errors('subspace', { v2Norm: 0.6 }), e, 'scratch'))).toBeGreaterThan(4);
  });

  it('keeps the scratch baseline independent of upstream settings, and records the working dimension', () => {
    const a = runExperiment(cfg({ d: 5000, n1: 20, n2: 10, nTest: 50, steps: 20, checkpoints: 3 })).result;
    const b = runExperiment(cfg({ d: 5000, n1: 35, n2: 10, nTest: 50, steps: 20, checkpoints: 3, sigmaP1: 2 })).result;
    expect(a.sampler).toBe('subspace');
    expect(a.workingDimension).toBe(3 + 40 + 10 + 40 + 20);
    expect(b.scratch).toEqual(a.scratch);
    expect(b.upstream.trainLoss).not.toEqual(a.upstream.trainLoss);
  });
});
