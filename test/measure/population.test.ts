import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/presets.js';
import { makeWorld } from '../../src/data/world.js';
import { getEngine } from '../../src/engine/registry.js';
import { runExperiment } from '../../src/experiment/run.js';
import { noiseCovariance, populationTestError, type PopulationInput } from '../../src/measure/population.js';
import { Rng } from '../../src/util/rng.js';

const engine = getEngine('auto');

/** Plain Monte Carlo of the same law: draw g ~ N(0, Σ) by Cholesky, score both labels. */
function plainEstimate(inp: PopulationInput, draws: number, rng: Rng): { error: number; se: number } {
  const { W, m, d, signal } = inp;
  const R = 2 * m;
  const S = noiseCovariance(inp);
  // Eigen-free draw: g = W·ξ with ξ ~ σ·P⊥·N(0, I_d), explicitly (independent of the Cholesky path).
  const relu = (x: number) => Math.max(0, x);
  const score = (label: number, xi: Float64Array[]) => {
    let f = 0;
    for (let r = 0; r < R; r++) {
      let sig = 0;
      for (let k = 0; k < d; k++) sig += W[r * d + k] * signal[k];
      let act = relu(label * sig);
      for (const x of xi) {
        let p = 0;
        for (let k = 0; k < d; k++) p += W[r * d + k] * x[k];
        act += relu(p);
      }
      f += (r < m ? 1 : -1) * act;
    }
    return f / m;
  };
  expect(S.length).toBe(R * R);
  let wrong = 0;
  for (let t = 0; t < draws; t++) {
    const label = rng.sign();
    const xi: Float64Array[] = [];
    for (let q = 1; q < inp.patches; q++) {
      const x = rng.fillNormal(new Float64Array(d), inp.sigmaP);
      for (const e of inp.projectors) {
        let p = 0;
        for (let k = 0; k < d; k++) p += x[k] * e[k];
        for (let k = 0; k < d; k++) x[k] -= p * e[k];
      }
      xi.push(x);
    }
    if (Math.sign(score(label, xi)) !== label) wrong++;
  }
  const error = wrong / draws;
  return { error, se: Math.sqrt((error * (1 - error)) / draws) };
}

/** A small random network and task: weights with structure (signal and a shared direction), two projectors. */
function randomInput(m: number, d: number, patches: number, seed: number): PopulationInput {
  const rng = new Rng(seed, 'test');
  const e1 = new Float64Array(d);
  const e2 = new Float64Array(d);
  e1[0] = 1;
  e2[1] = 1;
  const signal = new Float64Array(d);
  signal[0] = 1.2;
  signal[1] = 0.7;
  const W = rng.fillNormal(new Float64Array(2 * m * d), 0.6);
  for (let r = 0; r < 2 * m; r++) W[r * d] += r < m ? 0.5 : -0.5;
  return { W, m, d, signal, projectors: [e1, e2], sigmaP: 0.8, patches };
}

describe('population test error', () => {
  it.each([
    [3, 12, 2],
    [2, 9, 3],
  ])('equals plain Monte Carlo of the test distribution (m = %i, d = %i, P = %i)', (m, d, patches) => {
    const inp = randomInput(m, d, patches, 7);
    const pop = populationTestError(inp, new Rng(1, 'pop'));
    const plain = plainEstimate(inp, 60_000, new Rng(2, 'plain'));
    expect(pop.error).toBeGreaterThan(0.01);
    expect(pop.error).toBeLessThan(0.45);
    expect(Math.abs(pop.error - plain.error)).toBeLessThan(4 * Math.hypot(pop.standardError, plain.se));
    // conditional Monte Carlo: far below the standard error of as many plain draws
    expect(pop.standardError).toBeLessThan(Math.sqrt((pop.error * (1 - pop.error)) / 1e6));
  });

  it('is exact without noise: a network that only sees its signal', () => {
    const inp = randomInput(2, 6, 2, 3);
    const zero = { ...inp, sigmaP: 0 };
    const r = populationTestError(zero, new Rng(0, 'pop'));
    expect(r.standardError).toBe(0);
    expect([0, 0.5, 1]).toContain(r.error);
  });

  it('agrees with a 10⁵-sample explicit test set within its standard error', () => {
    const c = { ...defaultConfig, d: 400, n1: 60, n2: 20, m: 6, steps: 60, nTest: 100_000, checkpoints: 2, uNorm: 1, v2Norm: 0.8, sigmaP2: 1.3 };
    const r = runExperiment(c, { engine }).result;
    for (const phase of ['upstream', 'transfer', 'scratch'] as const) {
      const p = r[phase];
      const testSe = Math.sqrt((p.testError * (1 - p.testError)) / c.nTest);
      expect(p.populationTestErrorSE).toBeGreaterThan(0);
      // at least the precision of 10⁶ plain draws (the estimate stops there)
      expect(p.populationTestErrorSE).toBeLessThanOrEqual(Math.sqrt((p.populationTestError * (1 - p.populationTestError)) / 1e6) * 1.001);
      expect(Math.abs(p.testError - p.populationTestError)).toBeLessThan(3 * Math.hypot(testSe, p.populationTestErrorSE));
    }
    expect(r.scratch.populationTestError).toBeGreaterThan(0.05);
  });

  it('is the same with the explicit sampler (weights in ℝ^d) as by its own law', () => {
    const c = { ...defaultConfig, d: 150, n1: 30, n2: 15, m: 3, steps: 40, nTest: 200, checkpoints: 2, sampler: 'explicit' as const, patches: 3 };
    const run = runExperiment(c, { engine, keepWeights: true });
    const w = makeWorld(c);
    const inp = { W: run.weights!.scratch, m: c.m, d: w.d, signal: w.task2.signal, projectors: w.task2.noiseProjectors, sigmaP: c.sigmaP2, patches: c.patches };
    const again = populationTestError(inp, new Rng(c.seed, 'population:scratch'));
    expect(run.result.scratch.populationTestError).toBe(again.error);
    const plain = plainEstimate(inp, 20_000, new Rng(5, 'plain'));
    expect(Math.abs(again.error - plain.error)).toBeLessThan(4 * Math.hypot(again.standardError, plain.se));
  });
});

describe('phase reuse across α (sweeps)', () => {
  it('gives byte-identical results with and without reusing upstream and scratch', () => {
    const c = { ...defaultConfig, d: 80, n1: 25, n2: 10, nTest: 60, m: 4, steps: 20, checkpoints: 3 };
    for (const alpha of [0.25, 1, 0.5]) {
      const plain = JSON.stringify(runExperiment({ ...c, alpha }, { engine }).result);
      const reused = JSON.stringify(runExperiment({ ...c, alpha }, { engine, reuse: true }).result);
      expect(reused).toBe(plain);
    }
    // a key upstream reads separates the entries
    const other = runExperiment({ ...c, n1: 26 }, { engine, reuse: true }).result;
    expect(JSON.stringify(other)).toBe(JSON.stringify(runExperiment({ ...c, n1: 26 }, { engine }).result));
  });
});
