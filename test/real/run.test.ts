import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realDefaults, validateRealConfig, type RealConfig } from '../../src/real/config.js';
import { loadStudyConfig } from '../../src/config/load.js';
import { realStudy } from '../../src/real/study.js';

const loadRealConfig = (source: string, sets: string[] = []) => loadStudyConfig(realStudy, source, sets);
import { runReal } from '../../src/real/run.js';
import { UserError } from '../../src/util/errors.js';
import { runCli } from '../helpers/cli.js';

/** A small real study: digits 0–2 upstream, 3–4 downstream, the reference CNN; about a second. */
const small: RealConfig = {
  ...realDefaults,
  arch: 'reference',
  upstreamClasses: [0, 1, 2],
  downstreamClasses: [3, 4],
  n1: 100,
  n2: 8,
  nTest: 50,
  epochs1: 3,
  epochs2: 6,
  checkpoints: 3,
};
const smallArgs = [
  '--set', 'arch=reference', '--set', 'upstreamClasses=[0,1,2]', '--set', 'downstreamClasses=[3,4]',
  '--set', 'n1=100', '--set', 'n2=8', '--set', 'nTest=50', '--set', 'epochs1=3', '--set', 'epochs2=6', '--set', 'checkpoints=3',
];

describe('runReal', () => {
  const run = runReal(small);

  it('training on a small real subset reaches a stated accuracy (≥ 90% on 3 digits after 3 epochs of 300 images)', () => {
    expect(run.result.upstream.testAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(run.result.upstream.curve.map((p) => p.epoch)).toEqual([0, 1, 2, 3]);
    expect(run.result.upstream.curve[0].testAccuracy).toBeLessThan(0.7);
    expect(run.result.transfer.testAccuracy).toBeGreaterThan(0.7);
    expect(run.result.scratch.testAccuracy).toBeGreaterThan(0.5);
    expect(run.result.gain).toBeCloseTo(run.result.transfer.testAccuracy - run.result.scratch.testAccuracy, 12);
    expect(run.result.data.downstream).toMatchObject({ dataset: 'mnist', classes: [3, 4], train: 16, test: 100 });
    expect(run.result.inheritance).toMatchObject({ strategy: 'random', head: 'new' });
  });

  it('is deterministic: the same config gives identical results, whatever the thread count', () => {
    const again = runReal(small, { threads: 1 });
    expect(JSON.stringify(again.result)).toBe(JSON.stringify(run.result));
  });

  it('reuses upstream networks across runs that differ only downstream, with identical results', () => {
    const configs: RealConfig[] = [
      { ...small, alpha: 1 }, // upstream trained: the same upstream as `run`
      { ...small, alpha: 0.25, n2: 5 }, // reused
      { ...small, alpha: 1, labelNoise: 0.1 }, // labelNoise reaches upstream data: trained again
    ];
    const reused = configs.map((c) => runReal(c, { threads: 1, reuseUpstream: true }));
    expect(reused[1].timings.upstream).toBe(0);
    expect(reused[2].timings.upstream).toBeGreaterThan(0);
    configs.forEach((c, i) => expect(JSON.stringify(reused[i].result)).toBe(JSON.stringify(runReal(c, { threads: 1 }).result)));
    expect(reused[0].result.upstream).toEqual(run.result.upstream);
  });

  it('transfer and scratch start from the same fresh initialisation when nothing is inherited', () => {
    const r = runReal({ ...small, alpha: 0, epochs1: 1 });
    expect(r.result.inheritance.parameters).toBe(0);
    expect(r.result.transfer).toEqual(r.result.scratch);
  });
});

describe('real-data config', () => {
  it('presets load; --set reads YAML values including lists', () => {
    const c = loadRealConfig('fashion-to-mnist', ['alpha=0.25', 'downstreamClasses=[1, 7]', 'freezeInherited=true']);
    expect(c).toMatchObject({ upstreamData: 'fashion-mnist', alpha: 0.25, downstreamClasses: [1, 7], freezeInherited: true });
  });

  it.each([
    [['alpha=1.5'], /field "alpha": must be a number in \[0, 1\] \(got 1.5\)/],
    [['bogus=1'], /unknown key "bogus"/],
    [['arch=alexnet'], /field "arch": must be one of reference, vgg, resnet, twolayer/],
    [['upstreamClasses=[1]'], /field "upstreamClasses": must list at least 2 classes/],
    [['downstreamClasses=[1,1]'], /field "downstreamClasses": lists a class twice/],
    [['labelNoise=0.9'], /field "labelNoise": must be < 0.800/],
    [['n2=0'], /field "n2": must be an integer in \[1, 1000000\]/],
    [['lr=nan'], /field "lr"/],
  ])('bad value %j is a one-line user error', (sets, message) => {
    expect(() => loadRealConfig('mnist-split', sets)).toThrow(UserError);
    expect(() => loadRealConfig('mnist-split', sets)).toThrow(message);
  });

  it('YAML files hold any subset of the keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paratransfer-realcfg-'));
    const f = join(dir, 'c.yaml');
    writeFileSync(f, 'arch: resnet\nwidth: 4\nupstreamClasses: [0, 1]\n');
    expect(loadRealConfig(f)).toMatchObject({ ...realDefaults, arch: 'resnet', width: 4, upstreamClasses: [0, 1] });
    writeFileSync(f, 'nope: 1\n');
    expect(() => loadRealConfig(f)).toThrow(/unknown key "nope"/);
    expect(() => validateRealConfig({ ...realDefaults, seed: -1 })).toThrow(/field "seed"/);
  });
});

describe('paratransfer real / bench (CLI)', () => {
  it('--json prints the three test accuracies, without timings, byte-identical across runs', async () => {
    const a = await runCli(['real', 'mnist-split', ...smallArgs, '--json']);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const r = JSON.parse(a.stdout);
    for (const ph of ['upstream', 'transfer', 'scratch']) expect(typeof r[ph].testAccuracy).toBe('number');
    expect(r.timings).toBeUndefined();
    const b = await runCli(['real', 'mnist-split', ...smallArgs, '--json', '--threads', '1']);
    expect(b.stdout).toBe(a.stdout);
    const t = await runCli(['real', 'mnist-split', ...smallArgs, '--json', '--timings']);
    expect(JSON.parse(t.stdout).timings.imagesPerSecond).toBeGreaterThan(0);
  });

  it('the summary shows accuracies, the gain and the curves', async () => {
    const r = await runCli(['real', 'mnist-split', ...smallArgs]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/upstream\s+\d+\.\d\d%/);
    expect(r.stdout).toMatch(/transfer gain = acc_transfer − acc_scratch = [+−]\d+\.\d\d points/);
    expect(r.stdout).toMatch(/test accuracy by epoch \(downstream\):\n\s+epoch\s+0\s+2\s+4\s+6/);
  });

  it('bad input: one line on stderr, exit 1', async () => {
    for (const args of [
      ['real', 'mnist-split', '--set', 'downstreamClasses=[5,12]'],
      ['real', 'nonexistent-preset'],
      ['real', 'mnist-split', '--set', 'n2=900', '--set', 'nTest=10'],
      ['bench', 'gpu'],
    ]) {
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      // a long run's estimate (the resource guard) may come first, as a note; the error is one line
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('paratransfer: note: estimated '));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^paratransfer: error: /);
    }
  });

  it('bench cnn --json ends with {"imagesPerSecond": n}', async () => {
    const r = await runCli(['bench', 'cnn', '--json', '--no-torch', '--images', '256']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1]);
    expect(Object.keys(last)).toEqual(['imagesPerSecond']);
    expect(last.imagesPerSecond).toBeGreaterThan(100);
  });

  it('real --list shows presets and defaults', async () => {
    const r = await runCli(['real', '--list']);
    expect(r.stdout).toMatch(/mnist-split/);
    expect(r.stdout).toMatch(/fashion-to-mnist/);
    expect(r.stdout).toMatch(/inheritance: "random"/);
  });
});

describe('runReal on user images', () => {
  it('an architecture that does not fit the images is a one-line user error', async () => {
    const { writeSafetensors } = await import('../../src/io/safetensors.js');
    const dir = mkdtempSync(join(tmpdir(), 'paratransfer-realimg-'));
    const f = join(dir, 'tiny.safetensors');
    const n = 12;
    writeSafetensors(f, {
      X: { shape: [n, 1, 4, 4], data: Float32Array.from({ length: n * 16 }, (_, i) => (i % 7) / 7) },
      y: { shape: [n], data: Int32Array.from({ length: n }, (_, i) => i % 2) },
    });
    const c = { ...small, upstreamData: f, upstreamClasses: [0, 1], n1: 4, nTest: 2 };
    expect(() => runReal({ ...c, arch: 'reference' })).toThrow(UserError);
    expect(() => runReal({ ...c, arch: 'reference' })).toThrow(/arch reference does not fit the 4×4 images of/);
    // The two-layer CNN on 2×2 patches fits; inheriting into 28×28 MNIST works (same channels, new head).
    const r = runReal({ ...c, arch: 'twolayer', patch: 2, m: 3, epochs1: 2, epochs2: 2 });
    expect(r.result.data.upstream.train).toBe(8);
    expect(r.result.inheritance.head).toBe('fixed');
  });
});
