import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tiny = ['--set', 'd=80', '--set', 'n1=30', '--set', 'n2=12', '--set', 'nTest=200', '--set', 'm=4', '--set', 'steps=30'];

describe('run --seeds K', () => {
  it('--json: one result per seed, each the single run of that seed; the gain interval and the verdict', async () => {
    const r = await runCli(['run', 'positive-transfer', ...tiny, '--set', 'seed=4', '--seeds', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['runs', 'seeds', 'gain', 'verdict', 'theory']);
    expect(out.seeds).toEqual([4, 5, 6]);
    expect(out.runs.map((x: { config: { seed: number } }) => x.config.seed)).toEqual([4, 5, 6]);
    expect(Object.keys(out.gain)).toEqual(['mean', 'low', 'high']);
    const gains = out.runs.map((x: { gain: number }) => x.gain);
    expect(out.gain.mean).toBeCloseTo(gains.reduce((a: number, b: number) => a + b, 0) / 3, 15);
    expect(out.gain.low).toBeLessThanOrEqual(out.gain.mean);
    expect(out.gain.high).toBeGreaterThanOrEqual(out.gain.mean);
    const expected = out.gain.low > 0 ? 'positive' : out.gain.high < 0 ? 'negative' : 'not significant';
    expect(out.verdict).toBe(expected);
    expect(out.theory.regime).toBe('positive');
    // each run is byte for byte the single run of its seed (worker threads change nothing)
    const single = await runCli(['run', 'positive-transfer', ...tiny, '--set', 'seed=5', '--json']);
    const { theory: _theory, ...alone } = JSON.parse(single.stdout);
    expect(JSON.stringify(out.runs[1])).toBe(JSON.stringify(alone));
  });

  it('says "not significant" when the interval includes 0 (α = 0: transfer is scratch, the gain is exactly 0)', async () => {
    const r = await runCli(['run', 'positive-transfer', ...tiny, '--set', 'alpha=0', '--seeds', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.gain).toEqual({ mean: 0, low: 0, high: 0 });
    expect(out.verdict).toBe('not significant');
  });

  it('prints per-seed gains, the interval, the verdict and, under 3 seeds, the note', async () => {
    const r = await runCli(['run', 'positive-transfer', ...tiny, '--seeds', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^paratransfer run positive-transfer --seeds 2 {2}\(seeds 0–1/);
    expect(r.stdout).toMatch(/^ +0 +\d+\.\d\d% +\d+\.\d\d% +\d+\.\d\d% +[+−]\d+\.\d\d$/m);
    expect(r.stdout).toMatch(/95% interval \[[+−]\d+\.\d\d, [+−]\d+\.\d\d\] over 2 seeds/);
    expect(r.stdout).toMatch(/^ {2}verdict: (positive transfer|NEGATIVE transfer|not significant \(the 95% interval includes 0\))$/m);
    expect(r.stdout).toMatch(/note: fewer than 3 seeds/);
  });

  it('works for every study through the same interface (real data, tiny)', async () => {
    const small = ['--set', 'n1=10', '--set', 'n2=5', '--set', 'nTest=10', '--set', 'epochs1=1', '--set', 'epochs2=1', '--set', 'checkpoints=1'];
    const r = await runCli(['real', 'mnist-split', ...small, '--seeds', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.runs).toHaveLength(2);
    expect(out.runs[1].config.seed).toBe(1);
    expect(out.verdict).toMatch(/^(positive|negative|not significant)$/);
    expect(out.theory).toBeUndefined();
  });

  it('refuses a bad count and --save in one line', async () => {
    for (const k of ['0', '2.5', 'x']) {
      const r = await runCli(['run', 'positive-transfer', '--seeds', k]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`paratransfer: error: --seeds: must be an integer in [1, 10000] (got ${k})\n`);
    }
    const s = await runCli(['run', 'positive-transfer', '--seeds', '2', '--save', '/tmp/nowhere-pt']);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/^paratransfer: error: --save writes one run/);
  });
});
