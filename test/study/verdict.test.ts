import { describe, expect, it } from 'vitest';
import { syntheticStudy } from '../../src/experiment/study.js';
import type { ExperimentResult } from '../../src/experiment/run.js';
import { defaultConfig } from '../../src/config/presets.js';
import { formatSeeds, gainInterval, plural, summarizeSeeds, verdictOf, verdictText } from '../../src/study/verdict.js';
import { studentTQuantile } from '../../src/sweep/stats.js';

describe('the verdict rule', () => {
  it('says positive or negative only when the 95% interval excludes 0', () => {
    expect(verdictOf({ low: 0.001, high: 0.2 })).toBe('positive');
    expect(verdictOf({ low: -0.3, high: -0.0001 })).toBe('negative');
    expect(verdictOf({ low: -0.01, high: 0.2 })).toBe('not significant');
    expect(verdictOf({ low: 0, high: 0.2 })).toBe('not significant'); // touching 0 does not exclude it
    expect(verdictOf({ low: null, high: null })).toBe('not significant'); // one seed: no interval
    expect(verdictText('negative')).toBe('NEGATIVE transfer');
    expect(verdictText('not significant')).toMatch(/^not significant/);
    expect([plural('error'), plural('accuracy')]).toEqual(['errors', 'accuracies']);
  });

  it('takes the gain interval from Student t over the seeds', () => {
    const g = gainInterval([0.02, 0.03, 0.025]);
    const half = (studentTQuantile(0.975, 2) * 0.005) / Math.sqrt(3);
    expect(g.mean).toBeCloseTo(0.025, 15);
    expect(g.low).toBeCloseTo(0.025 - half, 12);
    expect(g.high).toBeCloseTo(0.025 + half, 12);
    expect(verdictOf(g)).toBe('positive');
    // the same mean with a wider spread: the interval reaches below 0
    expect(verdictOf(gainInterval([0.01, 0.03, 0.035]))).toBe('not significant');
    // a consistent sign on two seeds is not enough when they scatter: t₀.₉₇₅,₁ = 12.7
    expect(verdictOf(gainInterval([0.01, 0.05]))).toBe('not significant');
    expect(gainInterval([0.04])).toEqual({ mean: 0.04, low: null, high: null, n: 1 });
  });
});

/** A synthetic result with just what the summary reads. */
function fake(seed: number, transfer: number, scratch: number): ExperimentResult {
  const phase = (testError: number) => ({ testError, populationTestError: testError, populationTestErrorSE: 0.001, testErrorNoisy: testError, trainLoss: 0.01, stepsRun: 300, checkpoints: [] });
  return {
    config: { ...defaultConfig, nTest: 1000, seed },
    engine: 'auto:coef',
    sampler: 'subspace',
    workingDimension: 323,
    upstream: phase(0.001),
    transfer: phase(transfer),
    scratch: phase(scratch),
    gain: scratch - transfer,
    inheritance: { strategy: 'random', filtersPerClass: 10, parameters: 100 },
  };
}

describe('the --seeds summary', () => {
  it('lists every seed, the means with intervals inside [0, 100%], the gain interval and the verdict', () => {
    const s = summarizeSeeds([fake(0, 0.05, 0.14), fake(1, 0.04, 0.13), fake(2, 0.06, 0.15)]);
    expect(s.seeds).toEqual([0, 1, 2]);
    expect(s.verdict).toBe('positive');
    const text = formatSeeds(syntheticStudy, s, 'positive-transfer');
    expect(text).toMatch(/^paratransfer run positive-transfer --seeds 3 {2}\(seeds 0–2/);
    expect(text).toMatch(/^ {2}seed {2}upstream error +transfer error +scratch error +gain \(points\)$/m);
    expect(text).toMatch(/^ {5}1 +0\.10% +4\.00% +13\.00% +\+9\.00$/m);
    expect(text).toMatch(/^ {2}mean +0\.10% +5\.00% +14\.00% +\+9\.00$/m);
    expect(text).toMatch(/95% interval \[\+9\.00, \+9\.00\] over 3 seeds/);
    expect(text).toMatch(/verdict: positive transfer/);
    expect(text).toMatch(/theory: Γ = 0\.607 → positive transfer predicted; the measurement agrees/);
    expect(text).not.toMatch(/fewer than 3 seeds/);
    for (const m of text.matchAll(/\[(-?\d+\.\d\d), (-?\d+\.\d\d)\]/g)) {
      expect(Number(m[1])).toBeGreaterThanOrEqual(0);
      expect(Number(m[2])).toBeLessThanOrEqual(100);
    }
  });

  it('says not significant, and carries the note, with two scattered seeds', () => {
    const s = summarizeSeeds([fake(0, 0.05, 0.04), fake(1, 0.03, 0.05)]);
    expect(s.verdict).toBe('not significant');
    const text = formatSeeds(syntheticStudy, s, 'x.yaml');
    expect(text).toMatch(/verdict: not significant \(the 95% interval includes 0\)/);
    expect(text).toMatch(/note: fewer than 3 seeds/);
    expect(text).toMatch(/the measurement cannot confirm or contradict it/);
  });
});
