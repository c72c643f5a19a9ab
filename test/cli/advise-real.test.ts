import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/** `paratransfer advise --real`: the JSON contract, determinism for a seed, one-line errors (a tiny upstream network). */

const tiny = ['mnist-split', '--set', 'n1=20', '--set', 'epochs1=3', '--set', 'nTest=5', '--set', 'width=4'];

describe('paratransfer advise --real', () => {
  it('--json: decision, recommended α, reason, the statistic per α and every score per layer; the same bytes for the same seed', async () => {
    const args = ['advise', '--real', ...tiny, '--alphas', '0.5,1', '--json'];
    const r = await runCli(args, { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(Object.keys(a)).toEqual(['decision', 'recommendedAlpha', 'alphas', 'reason', 'threshold', 'statistic', 'scores', 'upstream']);
    expect(['transfer', 'scratch']).toContain(a.decision);
    const best = a.alphas.reduce((b: { statistic: number }, x: { statistic: number }) => (x.statistic > b.statistic ? x : b));
    expect(a.statistic).toBe(best.statistic);
    expect(a.recommendedAlpha).toBe(a.statistic > 0 ? best.alpha : 0);
    expect(a.decision).toBe(a.statistic > 0 ? 'transfer' : 'scratch');
    expect(a.alphas.map((x: { alpha: number }) => x.alpha)).toEqual([0.5, 1]);
    // one gap S (the whole upstream network), shared by every α; statistic = α·(S − τ)
    expect(Object.keys(a.alphas[0])).toEqual(['alpha', 'statistic', 'signalGap', 'share']);
    expect(a.alphas[0].signalGap).toBe(a.alphas[1].signalGap);
    for (const x of a.alphas) {
      expect(x.share).toBe(x.alpha);
      expect(x.statistic).toBeCloseTo(x.alpha * (x.signalGap - a.threshold), 5);
    }
    // S is the penultimate R of the upstream network (α = 1 inherits every filter) over the mean of the fresh ones
    const pen = a.scores.layers[a.scores.layers.length - 1];
    expect(a.alphas[1].signalGap).toBeCloseTo(pen.signalUpstream - pen.signalFresh, 5);
    expect(a.scores.layers.map((l: { site: string }) => l.site)).toEqual(['block1', 'block2', 'block3', 'penultimate']);
    for (const l of a.scores.layers) {
      expect(Object.keys(l)).toEqual(['site', 'dims', 'logme', 'hscore', 'transrate', 'knn', 'signalUpstream', 'signalFresh']);
      expect(l.knn).toBeGreaterThanOrEqual(0);
      expect(l.knn).toBeLessThanOrEqual(1);
    }
    expect(a.scores).toMatchObject({ downstreamImages: 25, classes: 5 });
    expect(a.scores.leep).toBeLessThan(0);
    expect(a.scores.nce).toBeLessThanOrEqual(0);
    expect(a.upstream.trained).toBe(true);
    const again = await runCli(args, { timeoutMs: 120_000 });
    expect(again.stdout).toBe(r.stdout);
    const other = await runCli([...args, '--set', 'seed=1'], { timeoutMs: 120_000 });
    expect(other.stdout).not.toBe(r.stdout);
  }, 300_000);

  it('inheritance "layers": one candidate per number of layers and recommendedLayers; the text summary', async () => {
    const r = await runCli(['advise', '--real', ...tiny, '--set', 'inheritance=layers', '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(Object.keys(a).slice(0, 3)).toEqual(['decision', 'recommendedAlpha', 'recommendedLayers']);
    expect(a.alphas.map((x: { layers: number }) => x.layers)).toEqual([1, 2, 3, 4]);
    for (const x of a.alphas) expect(x.statistic).toBeCloseTo(x.signalGap - a.threshold, 5);
    // every layer but the new head inherited: the penultimate features are the upstream network's
    const pen = a.scores.layers[a.scores.layers.length - 1];
    expect(a.alphas[3].signalGap).toBeCloseTo(pen.signalUpstream - pen.signalFresh, 5);
    expect(a.alphas[0].signalGap).not.toBe(a.alphas[3].signalGap);
    if (a.decision === 'scratch') expect(a.recommendedLayers).toBe(0);
    const text = await runCli(['advise', '--real', ...tiny, '--alphas', '1'], { timeoutMs: 120_000 });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/site +dims +LogME +H-score +TransRate +k-NN/);
    expect(text.stdout).toMatch(/decision: (transfer, α = 1|scratch)/);
  }, 300_000);

  it('--simulate: paired fine-tuning runs per α with an interval, and a recommendation from the measurements', async () => {
    const r = await runCli(['advise', '--real', ...tiny, '--set', 'epochs2=20', '--alphas', '0.5,1', '--simulate', '--seeds', '2', '--workers', '0', '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout);
    for (const x of a.alphas) {
      expect(x.measuredGainInterval[0]).toBeLessThanOrEqual(x.measuredGain);
      expect(x.measuredGainInterval[1]).toBeGreaterThanOrEqual(x.measuredGain);
    }
    const best = a.alphas.reduce((b: { measuredGain: number }, x: { measuredGain: number }) => (x.measuredGain > b.measuredGain ? x : b));
    expect(a.recommendedAlpha).toBe(best.measuredGain > 0 ? best.alpha : 0);
    expect(a.reason).toMatch(/^Measured over 2 paired seeds/);
    expect(a.reason).toMatch(/Advisor: /);
  }, 300_000);

  it('--benchmark DIR: every predictor scored on a (tiny) benchmark sweep; the report files; cached advice on a rerun', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-advise-bench-'));
    const spec = join(dir, 'bench.yaml');
    writeFileSync(
      spec,
      [
        'base: mnist-split',
        'set: { n1: 10, epochs1: 2, epochs2: 5, nTest: 5, width: 4, checkpoints: 1 }',
        'grid:',
        '  alpha: [0.5, 1]',
        'zip:',
        '  labelNoise1: [0, 0.8]',
        '  pixelNoise1: [0, 2]',
        'seeds: 2',
      ].join('\n'),
    );
    const out = join(dir, 'runs');
    const sweep = await runCli(['sweep', spec, '--out', out, '--workers', '0', '--no-progress'], { timeoutMs: 120_000 });
    expect(sweep.code, sweep.stderr).toBe(0);
    const r = await runCli(['advise', '--real', '--benchmark', out, '--json', '--no-progress'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(r.stdout);
    expect(b.predictors.map((p: { name: string }) => p.name)).toEqual(['advisor', 'advisor, calibrated', 'LogME', 'H-score', 'TransRate', 'k-NN', 'LEEP', 'NCE']);
    expect(b.groups.map((g: { half: string }) => g.half)).toEqual(['calibration', 'reporting']);
    for (const g of b.groups) expect(g.cases.map((c: { seeds: number }) => c.seeds)).toEqual([2, 2]);
    for (const p of b.predictors) expect(p.regret).toBeGreaterThanOrEqual(0);
    expect(existsSync(join(out, 'advisor-benchmark.md'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'advisor-benchmark.json'), 'utf8'))).toEqual(b);
    const text = await runCli(['advise', '--real', '--benchmark', out, '--no-progress'], { timeoutMs: 60_000 });
    expect(text.stdout).toMatch(/\| advisor \| 0 \|/);
    expect(b.predictors[0].networkAccuracy).toBeUndefined();
    // the advice from both seeds' upstream networks: per-network signs, both advices cached
    const both = await runCli(['advise', '--real', '--benchmark', out, '--seeds', '2', '--json', '--no-progress'], { timeoutMs: 120_000 });
    expect(both.code, both.stderr).toBe(0);
    const b2 = JSON.parse(both.stdout);
    for (const p of b2.predictors) expect(p.networkPairs).toBe(2 * b.predictors.find((q: { name: string }) => q.name === p.name).decisive + 2 * b.predictors.find((q: { name: string }) => q.name === p.name).swappedDecisive);
    expect(readdirSync(join(out, 'advisor')).filter((f) => f.endsWith('.json'))).toHaveLength(4);
    const tooMany = await runCli(['advise', '--real', '--benchmark', out, '--seeds', '3'], { timeoutMs: 60_000 });
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/--seeds: 3 upstream networks asked for, but the sweep in .* has 2 seeds$/m);
  }, 300_000);

  it('bad input: one-line errors naming the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-advise-real-'));
    const cases: [string[], RegExp][] = [
      [['advise', '--real', ...tiny, '--set', 'n2=1'], /n2: the advisor needs at least 2 downstream training images of every class/],
      [['advise', '--real', ...tiny, '--upstream', join(dir, 'missing.safetensors')], /missing\.safetensors/],
      [['advise', '--real', '--benchmark', join(dir, 'nowhere')], /--benchmark: no such directory/],
      [['advise', '--real', 'mnist-split', '--benchmark', dir], /--benchmark: give only the sweep directory/],
      [['advise', '--real', ...tiny, '--set', 'alpha=2'], /alpha.*\[0, 1\]/],
      [['advise', '--benchmark', dir], /--benchmark: the .* advisor has no benchmark/],
      [['advise', '--real'], /advise: give a preset \(mnist-split, .*\) or a config file$/m],
      [['advise', '--real', 'mnist-split', '--dataset', 'x.safetensors'], /cannot estimate its inputs from data/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args, { timeoutMs: 60_000 });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  }, 300_000);
});
