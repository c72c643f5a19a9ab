import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tiny = ['--set', 'd=80', '--set', 'n1=30', '--set', 'n2=12', '--set', 'nTest=100', '--set', 'm=4', '--set', 'steps=30'];

describe('paratransfer run (CLI)', () => {
  it('--json prints one object with the contract fields, byte-identical for the same seed', async () => {
    const a = await runCli(['run', 'positive-transfer', ...tiny, '--json']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.trim().split('\n')).toHaveLength(1);
    const r = JSON.parse(a.stdout);
    for (const ph of ['upstream', 'transfer', 'scratch']) expect(typeof r[ph].testError).toBe('number');
    expect(r.gain).toBeCloseTo(r.scratch.testError - r.transfer.testError, 15);
    expect(r.timings).toBeUndefined();
    const b = await runCli(['run', 'positive-transfer', ...tiny, '--json']);
    expect(b.stdout).toBe(a.stdout);
    const t = await runCli(['run', 'positive-transfer', ...tiny, '--json', '--timings']);
    expect(Object.keys(JSON.parse(t.stdout).timings)).toEqual(['upstream', 'transfer', 'scratch']);
  });

  it('gives the same result with every engine', async () => {
    const outs = await Promise.all(
      ['dense', 'coef', 'auto'].map((e) => runCli(['run', 'negative-transfer', ...tiny, '--json', '--engine', e])),
    );
    const errs = outs.map((o) => {
      const r = JSON.parse(o.stdout);
      return [r.upstream.testError, r.transfer.testError, r.scratch.testError];
    });
    expect(errs[1]).toEqual(errs[0]);
    expect(errs[2]).toEqual(errs[0]);
  });

  it('prints a readable summary with the gain, the theory and feature learning (no bar when not a TTY)', async () => {
    const r = await runCli(['run', 'positive-transfer', ...tiny]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/transfer gain Δ = err_scratch − err_transfer = [+−]\d+\.\d\d points \(one seed: not a verdict\)/);
    expect(r.stdout).toMatch(/one seed \(seed 0\) cannot tell the seed-to-seed spread/);
    expect(r.stdout).not.toMatch(/positive transfer$|NEGATIVE transfer/m);
    expect(r.stdout).toMatch(/theory \(docs\/theory\.md\): Γ = -?\d+\.\d{3} → (positive|negative|neutral) transfer predicted/);
    expect(r.stdout).toMatch(/transfer inherited/);
    expect(r.stdout).toMatch(/transfer fresh/);
    expect(r.stdout.split('\n')[0]).toMatch(/^paratransfer run positive-transfer {2}\(engine auto:\w+, subspace sampler, \d+ dims, seed 0\)$/);
  });

  const bad: [string, string[], RegExp][] = [
    ['alpha out of range', ['--set', 'alpha=1.5'], /field "alpha": must be a number in \[0, 1\] \(got 1\.5\)/],
    ['label noise ≥ 1/2', ['--set', 'labelNoise=0.5'], /field "labelNoise": must be a number in \[0, 0\.5\)/],
    ['d too small', ['--set', 'd=2'], /field "d": must be an integer in \[4, 10000000\]/],
    ['d far too small (one line, not two)', ['--set', 'd=1'], /^paratransfer: error: preset positive-transfer with --set: field "d": must be an integer in \[4, 10000000\]: .*\(got 1\)\n$/],
    ['n1 < 1', ['--set', 'n1=0'], /field "n1": must be an integer in \[1, /],
    ['NaN', ['--set', 'sigma0=nan'], /field "sigma0": .*\(got NaN\)/],
    ['wrong type', ['--set', 'freezeInherited=3'], /field "freezeInherited": must be true or false/],
    ['unknown key', ['--set', 'beta=1'], /unknown key "beta"/],
    ['unknown engine', ['--engine', 'gpu'], /unknown engine "gpu"/],
  ];
  for (const [name, args, re] of bad) {
    it(`bad input: ${name} → one line, exit 1, nothing written`, async () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'pt-run-bad-')), 'out');
      const r = await runCli(['run', 'positive-transfer', ...tiny, ...args, '--json', '--save', dir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(dir)).toBe(false);
    });
  }

  it('unknown preset or missing file', async () => {
    const r = await runCli(['run', 'no-such-preset']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"no-such-preset" is neither a preset .* nor an existing config file/);
  });

  it('presets lists every preset with its settings', async () => {
    const r = await runCli(['presets', '--json']);
    const list = JSON.parse(r.stdout) as { name: string; config: Record<string, unknown> }[];
    expect(list.map((p) => p.name)).toEqual(expect.arrayContaining(['positive-transfer', 'negative-transfer']));
    expect(list.find((p) => p.name === 'negative-transfer')!.config).toMatchObject({ uNorm: 0.3, v1Norm: 4, v2Norm: 2.5, n1: 800 });
  });
});
