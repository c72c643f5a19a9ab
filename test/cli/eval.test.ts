import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { runCli } from '../helpers/cli.js';

const tiny = ['--set', 'd=80', '--set', 'n1=30', '--set', 'n2=12', '--set', 'nTest=300', '--set', 'm=4', '--set', 'steps=30'];
const dir = mkdtempSync(join(tmpdir(), 'pt-eval-'));
let n = 0;

interface Saved {
  dir: string;
  result: Record<'upstream' | 'transfer' | 'scratch', { testError: number; testErrorNoisy: number }>;
}

async function saved(extra: string[]): Promise<Saved> {
  const save = join(dir, `run${n++}`);
  const r = await runCli(['run', 'positive-transfer', ...tiny, ...extra, '--json', '--save', save]);
  expect(r.code, r.stderr).toBe(0);
  return { dir: save, result: JSON.parse(r.stdout) };
}

const evalJson = async (dataset: string, weights: string) => {
  const r = await runCli(['eval', '--dataset', dataset, '--weights', weights, '--json']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { testError: number; testErrorNoisy?: number; labels: string; samples: number; errors: number; interval: number[] };
};

describe('paratransfer eval: the test error of saved weights on saved data, exactly as run measured it', () => {
  const configs: [string, string[]][] = [
    ['subspace sampler (default)', []],
    ['explicit sampler, 3 patches, random signal patch, label noise', ['--set', 'sampler=explicit', '--set', 'patches=3', '--set', 'signalPatch=random', '--set', 'labelNoise=0.2']],
    ['dense engine, negative-transfer signals', ['--engine', 'dense', '--set', 'uNorm=0.3', '--set', 'v1Norm=4', '--set', 'v2Norm=2.5']],
    ['frozen inherited entries', ['--set', 'inheritance=entries', '--set', 'freezeInherited=true', '--set', 'alpha=0.7']],
  ];
  for (const [name, extra] of configs) {
    it(name, async () => {
      const s = await saved(extra);
      for (const [phase, task] of [['upstream', 1], ['transfer', 2], ['scratch', 2]] as const) {
        const e = await evalJson(join(s.dir, `task${task}-test.safetensors`), join(s.dir, `${phase}.safetensors`));
        // bit for bit: the same fraction of the same test samples
        expect(e.testError, phase).toBe(s.result[phase].testError);
        expect(e.testErrorNoisy, phase).toBe(s.result[phase].testErrorNoisy);
        expect(e.labels).toBe('yTrue');
        expect(e.samples).toBe(300);
        expect(e.errors).toBe(Math.round(e.testError * 300));
        expect(e.interval[0]).toBeLessThanOrEqual(e.testError);
        expect(e.interval[1]).toBeGreaterThanOrEqual(e.testError);
      }
    });
  }

  it('measures against y when the file has no yTrue, and prints a readable line', async () => {
    const d = 3;
    const X = new Float64Array([1, 0, 0, 0, 1, 0, /**/ -1, 0, 0, 0, 0, 1, /**/ 0, 1, 0, 1, 0, 0, /**/ 0, 0, 1, 0, -1, 0]);
    const data = join(dir, 'plain.safetensors');
    writeSafetensors(data, { X: { shape: [4, 2, d], data: X }, y: { shape: [4], data: new Float64Array([1, -1, 1, -1]) } });
    // one filter per class, along e₁: f(x) = relu⟨e₁, x₁⟩ + relu⟨e₁, x₂⟩ − relu⟨−e₁, …⟩
    const weights = join(dir, 'w.safetensors');
    writeSafetensors(weights, { W: { shape: [2, 1, d], data: new Float64Array([1, 0, 0, -1, 0, 0]) } });
    const e = await evalJson(data, weights);
    // scores 1, −1, 1, 0 → the last (f = 0) counts as an error
    expect(e).toEqual({ testError: 0.25, labels: 'y', samples: 4, errors: 1, interval: [expect.any(Number), expect.any(Number)] });
    const text = await runCli(['eval', '--dataset', data, '--weights', weights]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/test error 25\.00% {2}\(1 of 4 wrong, against the labels y \(the file has no yTrue\); 95% interval/);
  });

  it('refuses mismatched files in one line naming them', async () => {
    const s = await saved([]);
    const w = join(dir, 'w3.safetensors');
    writeSafetensors(w, { W: { shape: [2, 1, 3], data: new Float64Array(6) } });
    const bad = await runCli(['eval', '--dataset', join(s.dir, 'task2-test.safetensors'), '--weights', w]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^paratransfer: error: shape mismatch: .*w3\.safetensors has W \[2, 1, 3\] \(d = 3\) but .*task2-test\.safetensors has X/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const missing = await runCli(['eval', '--dataset', join(s.dir, 'task2-test.safetensors')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("paratransfer: error: required option '--weights <file>' not specified\n");
  });
});
