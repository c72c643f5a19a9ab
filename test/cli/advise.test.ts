import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/** The `--json` contract of `paratransfer advise` (the shape, exactly these keys in this order). */
function checkShape(a: Record<string, unknown>, opts: { measured?: boolean; estimated?: boolean } = {}): void {
  expect(Object.keys(a)).toEqual(['decision', 'recommendedAlpha', 'predictedScratchError', 'alphas', 'reason', ...(opts.estimated ? ['estimated'] : [])]);
  expect(['transfer', 'scratch']).toContain(a.decision);
  expect(typeof a.recommendedAlpha).toBe('number');
  if (a.decision === 'scratch') expect(a.recommendedAlpha).toBe(0);
  expect(a.predictedScratchError).toBeGreaterThanOrEqual(0);
  expect(typeof a.reason).toBe('string');
  for (const x of a.alphas as Record<string, unknown>[]) {
    const keys = ['alpha', 'predictedGain', 'predictedTransferError'];
    if (opts.measured && x.alpha !== 0) keys.push('measuredGain', 'measuredGainInterval');
    expect(Object.keys(x)).toEqual(keys);
    if (opts.measured && x.alpha !== 0) {
      const [lo, hi] = x.measuredGainInterval as number[];
      expect(lo).toBeLessThanOrEqual(x.measuredGain as number);
      expect(hi).toBeGreaterThanOrEqual(x.measuredGain as number);
    }
  }
}

const small = ['--set', 'd=300', '--set', 'n1=60', '--set', 'n2=20', '--set', 'm=6', '--set', 'steps=60', '--set', 'nTest=200', '--set', 'checkpoints=2'];

describe('paratransfer advise', () => {
  it('config mode: a decision, the recommended α, the predictions per α and the reason, in under a second of theory', async () => {
    const t0 = performance.now();
    const r = await runCli(['advise', 'positive-transfer', '--json']);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as Record<string, unknown> & { alphas: { alpha: number; predictedGain: number }[] };
    checkShape(a);
    expect(a.alphas.map((x) => x.alpha)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(a.decision).toBe('transfer');
    const best = a.alphas.reduce((b, x) => (x.predictedGain > b.predictedGain ? x : b));
    expect(a.recommendedAlpha).toBe(best.alpha);
    expect(a.reason).toMatch(/shared signal/);
    expect(a.reason).toMatch(/Nearest regime boundary/);
    expect(seconds).toBeLessThan(20); // the process; the theory itself takes well under a second unloaded
    const text = await runCli(['advise', 'positive-transfer', '--alphas', '0,0.5,1']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/decision: transfer, α = /);
  });

  it('recommends scratch (α = 0) when no α helps', async () => {
    const r = await runCli(['advise', 'no-shared-signal', '--alphas', '0:0.25:1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout);
    checkShape(a);
    expect(a).toMatchObject({ decision: 'scratch', recommendedAlpha: 0 });
    expect(a.alphas.map((x: { alpha: number }) => x.alpha)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('--simulate: the measured gain with a 95% interval per α, and a recommendation from the measurements', async () => {
    const r = await runCli(['advise', 'positive-transfer', ...small, '--alphas', '0,1', '--simulate', '--seeds', '2', '--workers', '0', '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout);
    checkShape(a, { measured: true });
    const one = a.alphas.find((x: { alpha: number }) => x.alpha === 1);
    expect(a.decision).toBe(one.measuredGain > 0 ? 'transfer' : 'scratch');
    expect(a.reason).toMatch(/^Measured over 2 paired seeds/);
  });

  describe('data mode', () => {
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pt-advise-'));
      const r = await runCli(['run', 'positive-transfer', '--set', 'labelNoise=0.1', '--set', 'steps=10', '--set', 'checkpoints=2', '--save', dir, '--json']);
      expect(r.code, r.stderr).toBe(0);
    });

    it('estimates the inputs from the two training sets and advises on them', async () => {
      const r = await runCli(['advise', '--dataset', join(dir, 'task2-train.safetensors'), '--upstream-dataset', join(dir, 'task1-train.safetensors'), '--alphas', '0,0.5,1', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const a = JSON.parse(r.stdout);
      checkShape(a, { estimated: true });
      expect(Object.keys(a.estimated)).toEqual(['uNorm', 'v1Norm', 'v2Norm', 'vCos', 'sigmaP1', 'sigmaP2', 'labelNoise', 'n1', 'n2', 'd', 'patches']);
      expect(a.estimated).toMatchObject({ n1: 200, n2: 40, patches: 2 });
      expect(Math.abs(a.estimated.uNorm - 2)).toBeLessThan(0.2);
      expect(Math.abs(a.estimated.d - 2000)).toBeLessThan(200);
    });

    it.each([
      [['--dataset', 'T2.safetensors'], /^paratransfer: error: --dataset needs --upstream-dataset/],
      [['--upstream-dataset', 'T1.safetensors'], /^paratransfer: error: --upstream-dataset needs --dataset/],
      [['--dataset', 'nope.safetensors', '--upstream-dataset', 'nope1.safetensors'], /^paratransfer: error: nope1\.safetensors: no such file$/],
      [['--set', 'uNorm=1'], /^paratransfer: error: --set uNorm: estimated from the data in data mode; drop it$/],
    ])('refuses %j in one line', async (extra, pattern) => {
      const args = ['advise', ...(extra[0] === '--set' ? ['--dataset', join(dir, 'task2-train.safetensors'), '--upstream-dataset', join(dir, 'task1-train.safetensors')] : []), ...extra];
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(pattern);
    });

    it('refuses a file without the data layout in one line', async () => {
      const bad = join(dir, 'weights.safetensors');
      const r = await runCli(['advise', '--dataset', join(dir, 'transfer.safetensors'), '--upstream-dataset', join(dir, 'task1-train.safetensors')]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/transfer\.safetensors: no tensor "X" \(the file has "W"\)$/);
      writeFileSync(bad, 'not a safetensors file');
      const r2 = await runCli(['advise', '--dataset', bad, '--upstream-dataset', join(dir, 'task1-train.safetensors')]);
      expect(r2.code).toBe(1);
      expect(r2.stderr.trim().split('\n')).toHaveLength(1);
      expect(r2.stderr).toMatch(/weights\.safetensors: not a valid safetensors file/);
    });
  });

  it.each([
    [[], /^paratransfer: error: advise: give a preset \(positive-transfer, negative-transfer, no-shared-signal\) or a config file, or --dataset/],
    [['nope'], /^paratransfer: error: "nope" is neither a preset/],
    [['positive-transfer', '--dataset', 'x.safetensors'], /^paratransfer: error: advise: give a preset or config file, or --dataset with --upstream-dataset, not both$/],
    [['positive-transfer', '--set', 'alpah=1'], /^paratransfer: error: .*alpah/],
    [['positive-transfer', '--set', 'uNorm=-1'], /^paratransfer: error: .*field "uNorm": must be a number in \[0, 1000000\]/],
    [['positive-transfer', '--alphas', '0,2'], /^paratransfer: error: --alphas: 2 is not a number in \[0, 1\]/],
    [['positive-transfer', '--alphas', '0,,1'], /^paratransfer: error: --alphas: empty value/],
    [['positive-transfer', '--alphas', 'a,b'], /^paratransfer: error: --alphas: a is not a number in \[0, 1\]/],
    [['positive-transfer', '--alphas', '0.5,0.5'], /^paratransfer: error: --alphas: a value is listed twice/],
    [['positive-transfer', '--alphas', '1:0.1:0'], /^paratransfer: error: --alphas: a range a:step:b needs numbers with step > 0 and b ≥ a/],
    [['positive-transfer', '--seeds', '3'], /^paratransfer: error: --seeds: only with --simulate$/],
    [['positive-transfer', '--simulate', '--seeds', '1'], /^paratransfer: error: --seeds: must be an integer in \[2, 1000\]/],
    [['positive-transfer', '--simulate', '--seeds', 'x'], /^paratransfer: error: --seeds: must be an integer/],
    [['positive-transfer', '--engine', 'dense'], /^paratransfer: error: --engine: only with --simulate$/],
    [['positive-transfer', '--simulate', '--engine', 'warp'], /^paratransfer: error: --engine: unknown engine "warp"/],
    [['positive-transfer', '--simulate', '--workers', '-1'], /^paratransfer: error: --workers: must be an integer in \[0, 1024\]/],
  ])('refuses %j in one line', async (args, pattern) => {
    const r = await runCli(['advise', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(pattern);
  });
});
