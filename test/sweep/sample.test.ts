import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticStudy } from '../../src/experiment/study.js';
import { expandJobs } from '../../src/sweep/grid.js';
import { runRecords, runTable } from '../../src/sweep/export.js';
import { InlineQueue } from '../../src/sweep/queue.js';
import { runSweeps } from '../../src/sweep/run.js';
import { loadSweepSpec, parseSweepSpec } from '../../src/sweep/spec.js';
import { SweepStore } from '../../src/sweep/store.js';
import { sweepReport } from '../../src/report/sweep.js';
import { userErrorOf } from '../helpers/errors.js';

const keys = `    uNorm: { uniform: [0, 3] }
    n1: { logUniform: [20, 2000], integer: true }
    alpha: { choice: [0, 0.25, 0.5, 0.75, 1] }
    sigmaP1: { logUniform: [0.25, 3] }
    inheritance: { choice: [random, first] }
`;
const spec = (n: number, seed: number, extra = '') => `sample:\n  n: ${n}\n  seed: ${seed}\n  keys:\n${keys}${extra}`;
const specError = (text: string) => userErrorOf(() => parseSweepSpec(text, 'spec.yaml'));

describe('sample: random configurations in a sweep spec', () => {
  it('draws reproducibly from its own seed, one axis of the plan', () => {
    const a = parseSweepSpec(spec(50, 7));
    const b = parseSweepSpec(spec(50, 7));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.axes).toHaveLength(1);
    expect(a.axes[0]).toMatchObject({ keys: ['uNorm', 'n1', 'alpha', 'sigmaP1', 'inheritance'], sampled: true });
    expect(a.axes[0].values).toHaveLength(50);
    const other = parseSweepSpec(spec(50, 8));
    expect(JSON.stringify(other.axes)).not.toBe(JSON.stringify(a.axes));
    // the sample's seed, not the runs' seeds: seeds only change the jobs
    expect(parseSweepSpec(spec(50, 7) + 'seeds: [4, 9]\n').axes).toEqual(a.axes);
  });

  it('stays within range: integers where asked, choices from the list, log-uniform spread over the decades', () => {
    const plan = parseSweepSpec(spec(400, 1));
    const col = (k: number) => plan.axes[0].values.map((row) => row[k]);
    const u = col(0) as number[];
    const n1 = col(1) as number[];
    const s1 = col(3) as number[];
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThanOrEqual(3);
    expect(Math.max(...u) - Math.min(...u)).toBeGreaterThan(2.8);
    expect(n1.every((x) => Number.isInteger(x) && x >= 20 && x <= 2000)).toBe(true);
    // log-uniform: about a third of the draws in each decade of [20, 2000] (20–200, 200–2000: half each)
    const low = n1.filter((x) => x < 200).length / n1.length;
    expect(low).toBeGreaterThan(0.4);
    expect(low).toBeLessThan(0.6);
    expect(s1.every((x) => x >= 0.25 && x <= 3)).toBe(true);
    expect(new Set(col(2))).toEqual(new Set([0, 0.25, 0.5, 0.75, 1]));
    expect(new Set(col(4))).toEqual(new Set(['random', 'first']));
    // uniform: mean near the middle (SE of the mean of 400 draws of U[0, 3] is 0.043)
    expect(Math.abs(u.reduce((t, x) => t + x, 0) / u.length - 1.5)).toBeLessThan(0.2);
  });

  it('extends: raising n keeps the first draws, adding a key leaves the others alone', () => {
    const small = parseSweepSpec(spec(20, 3)).axes[0].values;
    const big = parseSweepSpec(spec(60, 3)).axes[0].values;
    expect(big.slice(0, 20)).toEqual(small);
    const more = parseSweepSpec(spec(20, 3) + '    v1Norm: { uniform: [0, 4] }\n').axes[0].values;
    expect(more.map((r) => r.slice(0, 5))).toEqual(small);
  });

  it('crosses with grid axes (the sample first) and rounds integer keys as ranges do', () => {
    const plan = parseSweepSpec(`sample:\n  n: 4\n  seed: 2\n  keys:\n    d: { logUniform: [500, 100000] }\n    uNorm: { uniform: [0, 3] }\ngrid:\n  alpha: [0, 1]\nseeds: 2\n`);
    expect(plan.axes.map((a) => a.keys)).toEqual([['d', 'uNorm'], ['alpha']]);
    const { points, jobs } = expandJobs(plan);
    expect(points).toHaveLength(8);
    expect(jobs).toHaveLength(16);
    expect(points.every((p) => Number.isInteger(p.config.d))).toBe(true);
    // α innermost: consecutive points share the sampled configuration (a pooled run reuses upstream and scratch)
    expect(points[0].values.d).toBe(points[1].values.d);
  });

  it.each([
    ['sample: 3\n', /field "sample": must be a mapping with keys n, seed and keys/],
    ['sample: { n: 0, seed: 1, keys: { uNorm: { uniform: [0, 1] } } }\n', /field "sample\.n": must be a positive integer/],
    ['sample: { n: 2, keys: { uNorm: { uniform: [0, 1] } } }\n', /field "sample\.seed": must be a non-negative integer/],
    ['sample: { n: 2, seed: 1, keys: {} }\n', /field "sample\.keys": must name at least one config key/],
    ['sample: { n: 2, seed: 1, keys: { uNorm: { uniform: [0, 1] } }, extra: 1 }\n', /field "sample": unknown key "extra" \(allowed: n, seed, keys\)/],
    ['sample: { n: 2, seed: 1, keys: { uNorm: 0.5 } }\n', /field "sample\.keys\.uNorm": must be \{ uniform: \[a, b\] \}, \{ logUniform: \[a, b\] \} or \{ choice: \[values\] \}/],
    ['sample: { n: 2, seed: 1, keys: { uNorm: { normal: [0, 1] } } }\n', /field "sample\.keys\.uNorm": unknown key "normal" \(allowed: uniform, logUniform, choice, integer\)/],
    ['sample: { n: 2, seed: 1, keys: { uNorm: { uniform: [1, 0] } } }\n', /field "sample\.keys\.uNorm\.uniform": must be \[a, b\]: two numbers with a ≤ b/],
    ['sample: { n: 2, seed: 1, keys: { uNorm: { uniform: [0, 1], logUniform: [1, 2] } } }\n', /field "sample\.keys\.uNorm": must be \{ uniform/],
    ['sample: { n: 2, seed: 1, keys: { sigmaP1: { logUniform: [0, 1] } } }\n', /field "sample\.keys\.sigmaP1\.logUniform": must be \[a, b\]: two positive numbers/],
    ['sample: { n: 2, seed: 1, keys: { alpha: { uniform: [0, 2] } } }\n', /field "sample\.keys\.alpha\.uniform\.1": must be a number in \[0, 1\] \(got 2\)/],
    ['sample: { n: 2, seed: 1, keys: { n1: { logUniform: [0.4, 20] } } }\n', /field "sample\.keys\.n1\.logUniform\.0": must be an integer in \[1, 10000000\] \(got 0\.4, rounded to 0\)/],
    ['sample: { n: 2, seed: 1, keys: { uNorm: { uniform: [0, 1], integer: yes } } }\n', /field "sample\.keys\.uNorm\.integer": must be true or false/],
    ['sample: { n: 2, seed: 1, keys: { alpha: { choice: [0, 1], integer: true } } }\n', /field "sample\.keys\.alpha\.integer": applies to uniform and logUniform draws, not to choice/],
    ['sample: { n: 2, seed: 1, keys: { alpha: { choice: [] } } }\n', /field "sample\.keys\.alpha\.choice": must be a non-empty list of values/],
    ['sample: { n: 2, seed: 1, keys: { inheritance: { choice: [random, sideways] } } }\n', /field "sample\.keys\.inheritance\.choice\.1": must be one of random, first, entries \(got "sideways"\)/],
    ['sample: { n: 2, seed: 1, keys: { inheritance: { uniform: [0, 1] } } }\n', /field "sample\.keys\.inheritance": a uniform draw needs a numeric key; use choice/],
    ['sample: { n: 2, seed: 1, keys: { alpah: { uniform: [0, 1] } } }\n', /field "sample\.keys\.alpah": unknown synthetic config key "alpah"/],
    ['sample: { n: 2, seed: 1, keys: { seed: { uniform: [0, 1] } } }\n', /field "sample\.keys\.seed": the seed is set by "seeds:"/],
    ['sample: { n: 2, seed: 1, keys: { alpha: { uniform: [0, 1] } } }\ngrid: { alpha: [0, 1] }\n', /field "grid\.alpha": "alpha" is already an axis/],
    ['set: { alpha: 1 }\nsample: { n: 2, seed: 1, keys: { alpha: { uniform: [0, 1] } } }\n', /field "sample\.keys\.alpha": "alpha" is also given in set/],
    ['sample: { n: 5, seed: 1, keys: { alpha: { choice: [0, 1] } } }\n', /field "sample": draws \d and \d give the same configuration \(alpha=\d\); lower n or widen the distributions/],
  ])('refuses %j in one line naming the field', (text, pattern) => {
    expect(specError(text)).toMatch(pattern);
  });

  it('runs through the store, resumes, extends, exports and reports like a grid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-sample-'));
    const text = (n: number) =>
      `name: sampled\nset: { d: 100, n2: 10, nTest: 60, m: 3, steps: 15, checkpoints: 2 }\nsample:\n  n: ${n}\n  seed: 5\n  keys:\n    uNorm: { uniform: [0.5, 2] }\n    n1: { logUniform: [10, 40], integer: true }\ngrid:\n  alpha: [0, 1]\nseeds: 1\n`;
    writeFileSync(join(dir, 's3.yaml'), text(3));
    writeFileSync(join(dir, 's4.yaml'), text(4));
    const out = join(dir, 'out');
    const run = async (file: string) => {
      const { plan, text: t } = loadSweepSpec(join(dir, file));
      const store = SweepStore.open(out);
      try {
        const notes = store.attach(plan, t, 'auto', 'test');
        const summary = await runSweeps([{ plan, store }], new InlineQueue(), { engine: 'auto', version: 'test' });
        return { plan, notes, summary, rows: runTable(syntheticStudy, runRecords(plan, store.runs())) };
      } finally {
        store.close();
      }
    };
    const first = await run('s3.yaml');
    expect(first.summary).toMatchObject({ runs: 6, executed: 6 });
    const again = await run('s3.yaml');
    expect(again.summary).toMatchObject({ runs: 6, skipped: 6, executed: 0 });
    const more = await run('s4.yaml');
    expect(more.notes).toContain('extending the stored sweep from 6 to 8 runs');
    expect(more.summary).toMatchObject({ runs: 8, skipped: 6, executed: 2 });
    expect(more.rows.rows).toHaveLength(8);
    expect(more.rows.columns).toContain('scratch.populationTestError');
    const report = await sweepReport({ dir: out, version: 'test' });
    expect(report.runs).toBe(8);
  });
});
