import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandJobs, type SweepPlan } from '../../src/sweep/grid.js';
import { loadSweepSpec } from '../../src/sweep/spec.js';
import type { ExperimentConfig } from '../../src/config/schema.js';
import { repoRoot } from '../helpers/cli.js';

/** The shipped held-out methodology (docs/theory.md §9): two specs, disjoint configurations and seeds. */
const load = (name: string) => loadSweepSpec(join(repoRoot, 'examples', name)).plan as SweepPlan<ExperimentConfig>;

describe('examples/theory-fit.yaml and theory-holdout.yaml', () => {
  const fit = load('theory-fit.yaml');
  const holdout = load('theory-holdout.yaml');

  it('each hold ≥ 200 sampled configurations × 3 seeds, every one at α ∈ {0, 0.25, 0.5, 0.75, 1}', () => {
    for (const plan of [fit, holdout]) {
      expect(plan.axes[0].sampled).toBe(true);
      expect(plan.axes[0].values.length).toBeGreaterThanOrEqual(200);
      expect(plan.axes[1]).toEqual({ keys: ['alpha'], values: [[0], [0.25], [0.5], [0.75], [1]] });
      expect(plan.seeds).toHaveLength(3);
    }
  });

  it('span the ranges of the issue', () => {
    const ranges: [keyof ExperimentConfig, number, number][] = [
      ['d', 500, 1e5],
      ['n1', 20, 2000],
      ['n2', 10, 200],
      ['uNorm', 0, 3],
      ['v1Norm', 0, 4],
      ['v2Norm', 0, 4],
      ['vCos', -0.5, 0.5],
      ['sigmaP1', 0.25, 3],
      ['sigmaP2', 0.25, 3],
      ['labelNoise', 0, 0.3],
    ];
    for (const plan of [fit, holdout]) {
      const { points } = expandJobs(plan);
      for (const [key, lo, hi] of ranges) {
        const xs = points.map((p) => p.config[key] as number);
        expect(Math.min(...xs), key).toBeGreaterThanOrEqual(lo);
        expect(Math.max(...xs), key).toBeLessThanOrEqual(hi);
        // the draws cover the range: lowest and highest within a tenth (a log tenth for wide ranges) of the ends
        const span = (v: number) => (lo > 0 && hi / lo > 20 ? Math.log(v) : v);
        const width = span(hi) - span(lo);
        expect(span(Math.min(...xs)) - span(lo), key).toBeLessThan(width / 10);
        expect(span(hi) - span(Math.max(...xs)), key).toBeLessThan(width / 10);
      }
    }
  });

  it('are disjoint: no configuration and no seed in common', () => {
    const key = (c: ExperimentConfig) => JSON.stringify({ ...c, seed: 0, alpha: 0 });
    const fitKeys = new Set(expandJobs(fit).points.map((p) => key(p.config)));
    expect(expandJobs(holdout).points.filter((p) => fitKeys.has(key(p.config)))).toHaveLength(0);
    expect(fit.seeds.filter((s) => holdout.seeds.includes(s))).toEqual([]);
  });
});
