import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/presets.js';
import type { ExperimentConfig } from '../../src/config/schema.js';
import {
  alphaCurves,
  measuredPoints,
  regretTable,
  scoreTheory,
  spearman,
  type CheckedTheory,
  type MeasuredPoint,
  type SyntheticRecord,
} from '../../src/report/heldout.js';
import { runCli } from '../helpers/cli.js';

/** A stored run with just what the check reads. */
function record(config: Partial<ExperimentConfig>, seed: number, scratch: number, transfer: number): SyntheticRecord {
  const phase = (e: number) => ({ testError: e + 0.01, populationTestError: e, populationTestErrorSE: 0, testErrorNoisy: e, trainLoss: 0, stepsRun: 1, checkpoints: [] });
  return {
    point: 0,
    seed,
    id: `${seed}`,
    engine: 'test',
    config: { ...defaultConfig, ...config, seed },
    result: { upstream: phase(0), transfer: phase(transfer), scratch: phase(scratch), gain: scratch - transfer } as unknown as SyntheticRecord['result'],
  };
}

describe('the held-out check (docs/theory.md §9)', () => {
  it('averages each configuration over its seeds, with the population test error', () => {
    const pts = measuredPoints([record({ alpha: 0.5 }, 0, 0.2, 0.1), record({ alpha: 0.5 }, 1, 0.3, 0.1), record({ alpha: 1 }, 0, 0.2, 0.3)]);
    expect(pts).toHaveLength(2);
    expect(pts[0]).toMatchObject({ seeds: 2, scratch: 0.25, transfer: 0.1 });
    expect(pts[0].gain).toBeCloseTo(0.15, 12);
    expect(pts[1].gain).toBeCloseTo(-0.1, 12);
  });

  it('scores a theory: sign agreement on decisive points, Spearman of the gains, MAE of each error', () => {
    const pts: MeasuredPoint[] = [0.3, 0.5, 0.7, 1].map((alpha, i) => ({
      config: { ...defaultConfig, alpha, uNorm: 1 + i },
      seeds: 3,
      scratch: 0.2,
      transfer: 0.2 - [0.05, -0.03, 0.005, 0.1][i],
      gain: [0.05, -0.03, 0.005, 0.1][i],
    }));
    const exact: CheckedTheory = {
      name: 'exact',
      predict: (c) => {
        const p = pts.find((x) => x.config.uNorm === c.uNorm)!;
        return { scratch: p.scratch, transfer: p.transfer, gain: p.gain, regime: p.gain > 0 ? 'positive' : 'negative' };
      },
      recommend: () => 1,
    };
    const s = scoreTheory(exact, pts);
    expect(s).toMatchObject({ points: 4, decisive: 3, signAgree: 3, maeScratch: 0, maeTransfer: 0 });
    expect(s.spearmanGain).toBeCloseTo(1, 12);
    const wrong: CheckedTheory = { ...exact, predict: (c) => ({ ...exact.predict(c), regime: 'negative', transfer: exact.predict(c).transfer + 0.02 }) };
    const w = scoreTheory(wrong, pts);
    expect(w.signAgree).toBe(1); // only the negative point agrees
    expect(w.maeTransfer).toBeCloseTo(0.02, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 1, 2], [5, 5, 6])).toBeCloseTo(1, 12);
  });

  it('computes regret against the best α (α = 0 counts as 0) for each policy', () => {
    const gains = [
      [0.04, 0.06, 0.05, 0.02], // best α = 0.5: 0.06
      [-0.02, -0.05, -0.03, -0.01], // best: never transfer (0)
    ];
    const pts: MeasuredPoint[] = [];
    gains.forEach((g, c) => {
      pts.push({ config: { ...defaultConfig, uNorm: c, alpha: 0 }, seeds: 1, scratch: 0.2, transfer: 0.2, gain: 0 });
      [0.25, 0.5, 0.75, 1].forEach((alpha, i) => pts.push({ config: { ...defaultConfig, uNorm: c, alpha }, seeds: 1, scratch: 0.2, transfer: 0.2 - g[i], gain: g[i] }));
    });
    const curves = alphaCurves(pts);
    expect(curves).toHaveLength(2);
    const [one, half, never] = regretTable(curves, [
      { name: 'always 1', alpha: () => 1 },
      { name: 'always 0.5', alpha: () => 0.5 },
      { name: 'never', alpha: () => 0 },
    ]);
    expect(one.meanRegret).toBeCloseTo((0.06 - 0.02 + 0.01) / 2, 12);
    expect(half.meanRegret).toBeCloseTo((0 + 0.05) / 2, 12);
    expect(half.withinTolerance).toBe(0.5);
    expect(never.meanRegret).toBeCloseTo(0.06 / 2, 12);
    expect(never.meanGain).toBe(0);
  });
});

describe('paratransfer theory-check', () => {
  const sweep = (name: string, sampleSeed: number, seed: number) =>
    `name: ${name}\nset: { d: 150, n2: 10, nTest: 60, m: 4, steps: 25, checkpoints: 2 }\nsample:\n  n: 3\n  seed: ${sampleSeed}\n  keys:\n    uNorm: { uniform: [0, 3] }\n    n1: { logUniform: [10, 40], integer: true }\n    labelNoise: { uniform: [0, 0.2] }\ngrid:\n  alpha: [0, 0.25, 0.5, 0.75, 1]\nseeds: [${seed}]\n`;

  it('prints both theories on both sets and the regret table; --json and --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-check-'));
    writeFileSync(join(dir, 'fit.yaml'), sweep('fit', 1, 0));
    writeFileSync(join(dir, 'hold.yaml'), sweep('hold', 2, 100));
    for (const n of ['fit', 'hold']) {
      const r = await runCli(['sweep', join(dir, `${n}.yaml`), '--out', join(dir, n), '--workers', '2'], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
    }
    const r = await runCli(['theory-check', join(dir, 'fit'), join(dir, 'hold'), '--out', join(dir, 'check')], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^fit set \(15 configurations × α\):/);
    expect(r.stdout).toMatch(/held-out set \(15 configurations × α\):\n.*\n {2}Γ theory \(old\).*\n {2}reduced dynamics \(current\)/);
    expect(r.stdout).toMatch(/advisor on the held-out set \(3 configurations measured at α = 0, 0.25, 0.5, 0.75, 1\):/);
    for (const p of ['advisor \\(current theory\\)', 'always α = 1', 'always α = 0.5', 'never transfer']) expect(r.stdout).toMatch(new RegExp(p));
    expect(r.stdout).toMatch(/share 0 configurations and no seeds \(disjoint\)/);
    for (const f of ['calibration-holdout.svg', 'calibration-fit.png', 'theory-check.txt', 'theory-check.json']) expect(existsSync(join(dir, 'check', f)), f).toBe(true);
    const j = await runCli(['theory-check', join(dir, 'fit'), join(dir, 'hold'), '--json']);
    const o = JSON.parse(j.stdout);
    expect(Object.keys(o)).toEqual(['fit', 'holdout', 'overlap']);
    expect(o.holdout.scores.map((s: { theory: string }) => s.theory)).toEqual(['Γ theory (old)', 'reduced dynamics (current)']);
    expect(o.holdout.regret).toHaveLength(5);
    // the same store twice is not a held-out check, and says so
    const same = await runCli(['theory-check', join(dir, 'fit'), join(dir, 'fit')]);
    expect(same.stdout).toMatch(/share 15 configurations and seeds 0 — NOT disjoint/);
  });

  it('refuses what is not a synthetic sweep directory in one line', async () => {
    const r = await runCli(['theory-check', '/nonexistent-fit', '/nonexistent-hold']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/\/nonexistent-fit: no results\.sqlite here/);
  });
});

describe('the reproduce report', () => {
  it('carries the held-out section: both theories, the regret table, disjointness', async () => {
    const { heldoutCheck } = await import('../../src/report/heldout.js');
    const { reportHtml } = await import('../../src/report/html.js');
    const recs = (seed: number, u: number) => [0, 0.25, 0.5, 0.75, 1].map((alpha) => record({ alpha, uNorm: u }, seed, 0.2, alpha ? 0.15 : 0.2));
    const check = heldoutCheck([...recs(0, 1), ...recs(1, 1)], [...recs(100, 2)]);
    const html = reportHtml({ mode: 'quick', version: 't', engine: 'auto', seconds: 1, sections: [], agreement: null, heldout: check, bayesTolerance: 0.01, failures: 0 });
    expect(html).toContain('<h2 id="heldout">Held-out check of the theory</h2>');
    expect(html).toContain('The two sets share no configuration and no seed.');
    expect(html).toMatch(/<td>Γ theory \(old\)<\/td>/);
    expect(html).toMatch(/<td>reduced dynamics \(current\)<\/td>/);
    expect(html).toMatch(/<td>never transfer \(α = 0\)<\/td><td>0\.050<\/td><td>0\.0%<\/td>/);
  });
});

describe('the paper reproduction’s held-out check', () => {
  it('scores each theory sweep once: its calibration figure and the report read the same scores', async () => {
    const { currentTheory, gammaTheory, scoresOn } = await import('../../src/report/heldout.js');
    const { paperReproduction, theorySweeps } = await import('../../src/report/paper.js');
    const recs = (seed: number, u: number) => [0, 0.25, 0.5, 0.75, 1].map((alpha) => record({ alpha, uNorm: u }, seed, 0.2, alpha ? 0.15 : 0.2));
    const [fitSweep, holdSweep] = theorySweeps('quick');
    const done = (sweep: typeof fitSweep, records: SyntheticRecord[]) =>
      ({ sweep, plan: { base: defaultConfig }, records, agg: { columns: [], rows: [] } }) as unknown as Parameters<typeof paperReproduction.figures>[0];
    const fit = done(fitSweep, [...recs(0, 1), ...recs(1, 1)]);
    const hold = done(holdSweep, recs(100, 2));
    const figures = [fit, hold].flatMap((d) => paperReproduction.figures(d, undefined));
    expect(figures.map((f) => f.name)).toEqual(['calibration-fit', 'calibration-holdout']);
    const first = scoresOn(hold.records as SyntheticRecord[], [gammaTheory, currentTheory]);
    expect(scoresOn(hold.records as SyntheticRecord[], [gammaTheory, currentTheory])).toEqual(first);
    for (const [i, s] of scoresOn(hold.records as SyntheticRecord[], [gammaTheory, currentTheory]).entries()) expect(s).toBe(first[i]);
    const { html, summary } = paperReproduction.report({
      mode: 'quick',
      version: 't',
      engine: 'auto',
      seconds: 1,
      sections: [],
      sweeps: [fit, hold],
      predictor: undefined,
      customPredictor: false,
      bayesTolerance: 0.01,
      failures: 0,
    });
    expect(html).toContain('<h2 id="heldout">Held-out check of the theory</h2>');
    expect(html).toMatch(/<td>reduced dynamics \(current\)<\/td>/);
    // every made-up held-out gain is the same, so its rank correlation is undefined
    expect(summary).toBe('held out: sign 100.0% of 4 decisive points, Spearman NaN');
  });
});
