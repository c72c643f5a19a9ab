import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { presetConfigOf } from '../../src/config/validate.js';
import { realConfigs, type RealConfig } from '../../src/real/config.js';
import { armAxes, arms, matchedAlpha, realClaims, realSweeps, verdictOf } from '../../src/real/reproduction.js';
import { realStudy } from '../../src/real/study.js';
import { reproduce } from '../../src/report/reproduce.js';
import { expandJobs } from '../../src/sweep/grid.js';
import type { SweepSummary, SweepTarget } from '../../src/sweep/run.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { stringify } from 'yaml';

/**
 * The real study's reproduction without training: every job gets a made-up result whose gain follows a known rule,
 * so the claims' verdicts, the tables and the report can be checked exactly. (The measured study is docs/real-data.md.)
 */
function fakeResult(c: RealConfig) {
  const sign = c.labelNoise1 >= 0.5 || c.pixelNoise1 >= 3 ? -1 : 1;
  // seed-to-seed spread of ±0.5 points around the rule
  const wobble = (((c.seed * 7919) % 11) - 5) / 1000;
  // layers: as if α were the share of the first k layers' parameters (about 0.17 for k = 2), and 1 point worse
  const alpha = c.inheritance === 'layers' ? 0.15 : c.alpha;
  let gain = sign * 0.02 * alpha * (1 + Math.log10(c.n1 / 10)) * (10 / c.n2) + wobble;
  if (c.l2sp > 0 || c.shrink > 0) gain += 0.03;
  if (c.inheritance === 'layers') gain -= 0.01;
  const scratch = 0.7;
  const phase = (acc: number) => ({ testAccuracy: acc, testLoss: 1 - acc, trainAccuracy: 1, trainLoss: 0.01, epochs: 10, steps: 10, curve: [] });
  const task = { dataset: 'mnist', classes: [0, 1], classNames: ['0', '1'], train: 10, test: 10, flippedLabels: 0 };
  return {
    config: c,
    architecture: { name: c.arch, description: 'vgg', parameters: 1000 },
    data: { upstream: task, downstream: task },
    upstream: phase(0.98),
    transfer: phase(scratch + gain),
    scratch: phase(scratch),
    gain,
    inheritance: { strategy: c.inheritance, parameters: 100, total: 1000, head: 'new', layers: [] },
  };
}

async function fakeExecute(targets: SweepTarget[]): Promise<SweepSummary> {
  let runs = 0;
  for (const { plan, store } of targets) {
    for (const job of expandJobs(plan).jobs) {
      runs++;
      store.put(job, { id: job.id, result: JSON.stringify(fakeResult(job.config as RealConfig)), seconds: 0.5 }, 'cnn', 'test');
    }
  }
  return { runs, skipped: 0, executed: runs, failures: [] };
}

describe('the real-image reproduction (reproduce --real)', () => {
  it('its named sweeps are valid plans of the real-data study; the presets differ only in upstream keys', () => {
    for (const mode of ['quick', 'full'] as const) {
      const sweeps = realSweeps(mode);
      expect(sweeps.map((s) => s.name)).toEqual(['presets', 'alpha', 'n1', 'pixel-noise', 'label-noise', 'n2', 'layers-vs-random', 'mitigations']);
      for (const s of sweeps) {
        const plan = parseSweepSpec(stringify(s.spec), s.name);
        expect(plan.family).toBe('real');
        expect(plan.seeds.length).toBeGreaterThanOrEqual(mode === 'full' ? 10 : 3);
      }
    }
    const upstreamOnly = ['upstreamData', 'upstreamClasses', 'upstreamMixData', 'upstreamMix', 'n1', 'labelNoise1', 'pixelNoise1', 'epochs1'];
    expect(Object.keys(armAxes()).length).toBeGreaterThan(0);
    for (const k of Object.keys(armAxes())) expect(upstreamOnly).toContain(k);
    const pos = presetConfigOf(realConfigs, arms.positive)!;
    const neg = presetConfigOf(realConfigs, arms.negative)!;
    expect(pos.freezeInherited).toBe(false);
    expect(neg.freezeInherited).toBe(false);
  });

  it('random inheritance at the matched α copies about as many parameters as the first k layers', () => {
    const c = presetConfigOf(realConfigs, arms.positive)!;
    // VGG width 8, body: conv1 80, conv2 584, conv3 1168, conv4 2320 parameters
    // one filter of every layer (10 + 73 + 73 + 145 = 301) is already more than conv1's 80: no α matches the first layer
    expect(matchedAlpha(c, 1)).toBe(0);
    const a2 = matchedAlpha(c, 2);
    expect(a2).toBeGreaterThan(0.1);
    expect(a2).toBeLessThan(0.25);
    expect(a2).toBe(10 / 64);
    expect(matchedAlpha(c, 3)).toBe(28 / 64);
  });

  it('verdicts: established on the claimed side, contradicted on the other, else not established', () => {
    expect(verdictOf({ n: 10, mean: 0.03, lo: 0.01, hi: 0.05 }, 1)).toBe('established');
    expect(verdictOf({ n: 10, mean: 0.03, lo: 0.01, hi: 0.05 }, -1)).toBe('contradicted');
    expect(verdictOf({ n: 10, mean: 0.01, lo: -0.01, hi: 0.03 }, 1)).toBe('not established');
    expect(verdictOf({ n: 1, mean: 0.01, lo: null, hi: null }, 1)).toBe('not established');
  });

  it('runs every sweep, draws its figures and writes the claims with their verdicts into report.html', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'pt-real-reproduce-')), 'real');
    const r = await reproduce({ study: realStudy, out, mode: 'quick', engine: 'cnn', version: 'test', execute: fakeExecute });
    expect(r.line).toMatch(/^\d+ of \d+ claims established$/);
    for (const f of ['presets-gain', 'alpha-accuracy', 'alpha-gain', 'n1-gain', 'layers-vs-random-gain', 'mitigations-gain']) {
      expect(existsSync(join(out, 'figures', `${f}.svg`)), f).toBe(true);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Partial parameter transfer on real images');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const claims = realClaims(r.sweeps as never);
    const verdict = (text: RegExp) => claims.find((c) => text.test(c.claim))?.verdict;
    expect(verdict(/^mnist-split transfers positively/)).toBe('established');
    expect(verdict(/^mnist-negative transfers negatively/)).toBe('established');
    expect(verdict(/rises with N₁/)).toBe('established');
    expect(verdict(/\(mnist-split: more positive\)/)).toBe('established');
    expect(verdict(/\(mnist-negative: more negative\)/)).toBe('established');
    expect(verdict(/shrinks as N₂ grows/)).toBe('established');
    expect(verdict(/falls with upstream label noise/)).toBe('established');
    expect(verdict(/random α-inheritance vs the first 2 layers/)).toBe('random better');
    for (const c of claims) expect(html).toContain(c.verdict);
    expect(html).toMatch(/L2-SP λ = 1/);
  });
});
