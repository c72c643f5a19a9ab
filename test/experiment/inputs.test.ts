import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/presets.js';
import type { ExperimentConfig } from '../../src/config/schema.js';
import { toDense, type SyntheticDataset } from '../../src/data/dataset.js';
import { estimateInputs } from '../../src/experiment/inputs.js';
import { experimentData } from '../../src/experiment/run.js';
import type { TrainingSet } from '../../src/io/trainingset.js';
import { userErrorOf } from '../helpers/errors.js';

/** A training set as `run --save` exports it (X [N, P, d], observed labels y). */
const asFile = (ds: SyntheticDataset, path: string): TrainingSet => ({ path, X: toDense(ds), y: ds.y, n: ds.n, patches: ds.patches, d: ds.d });

function estimates(c: ExperimentConfig, seeds: number[]) {
  return seeds.map((seed) => {
    const data = experimentData({ ...c, seed });
    return estimateInputs(asFile(data.train1, 't1'), asFile(data.train2, 't2')).estimated;
  });
}

const within = (x: number, truth: number, rel: number) => Math.abs(x - truth) <= rel * truth;

describe('data mode: the theory’s inputs estimated from exported training sets (docs/theory.md §12)', () => {
  it.each([
    ['the default config (subspace sampler)', {}],
    ['label noise, larger σ_{p,2} and d', { labelNoise: 0.15, sigmaP2: 1.5, d: 5000, n1: 300, v2Norm: 1.5 }],
    ['explicit vectors, three patches, a random signal patch, correlated v’s', { sampler: 'explicit', d: 600, patches: 3, signalPatch: 'random', uNorm: 1.5, vCos: -0.3, n1: 200 }],
  ] as const)('land within a tenth of the truth (norms, σ) and 0.03 of p (mean over seeds): %s', (_, over) => {
    const c = { ...defaultConfig, ...over } as ExperimentConfig;
    const seeds = [0, 1, 2, 3, 4];
    const es = estimates(c, seeds);
    for (const e of es) {
      for (const key of ['uNorm', 'v1Norm', 'v2Norm', 'sigmaP1', 'sigmaP2', 'd'] as const) expect(within(e[key], c[key], 0.1), `${key}: ${e[key]} vs ${c[key]}`).toBe(true);
      expect(e.n1).toBe(c.n1);
      expect(e.n2).toBe(c.n2);
      expect(e.patches).toBe(c.patches);
    }
    // p: the realised flip rate, unbiased with variance p(1−p)/N; over seeds its mean lands within 0.03
    const meanP = es.reduce((t, e) => t + e.labelNoise, 0) / es.length;
    expect(Math.abs(meanP - c.labelNoise)).toBeLessThanOrEqual(0.03);
    const meanCos = es.reduce((t, e) => t + e.vCos, 0) / es.length;
    expect(Math.abs(meanCos - c.vCos)).toBeLessThan(0.1);
  });

  it('finds p exactly when the flips are what they are: the realised fraction of the training set', () => {
    const c = { ...defaultConfig, labelNoise: 0.2, n1: 400, n2: 100 };
    const data = experimentData(c);
    const e = estimateInputs(asFile(data.train1, 't1'), asFile(data.train2, 't2'));
    const flips = (ds: SyntheticDataset) => ds.y.reduce((t, y, i) => t + (y !== ds.yTrue[i] ? 1 : 0), 0) / ds.n;
    expect(e.tasks[0].flipRate).toBe(flips(data.train1));
    expect(e.tasks[1].flipRate).toBe(flips(data.train2));
    expect(e.tasks.every((t) => t.exact)).toBe(true);
  });

  it('refuses two tasks in different input spaces', () => {
    const a = experimentData({ ...defaultConfig, sampler: 'explicit', d: 50, n1: 10, n2: 10 });
    const b = experimentData({ ...defaultConfig, sampler: 'explicit', d: 60, n1: 10, n2: 10 });
    expect(userErrorOf(() => estimateInputs(asFile(a.train1, 'up.safetensors'), asFile(b.train2, 'down.safetensors')))).toBe(
      'shape mismatch: up.safetensors has d = 50 but down.safetensors has d = 60; both tasks must live in one input space',
    );
  });
});
