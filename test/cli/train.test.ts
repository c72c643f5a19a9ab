import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { denseDataset } from '../../src/data/dataset.js';
import { denseEngine } from '../../src/engine/dense.js';
import { getTensor, readSafetensors, writeSafetensors, type SafetensorsInput } from '../../src/io/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pt-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 9, P = 3, d = 7, m = 2;

function randomInputs(seed: number) {
  const rng = new Rng(seed, 'train-cli');
  const X = rng.fillNormal(new Float64Array(N * P * d));
  const y = Float64Array.from({ length: N }, () => rng.sign());
  const W = rng.fillNormal(new Float64Array(2 * m * d), 0.3);
  return { X, y, W };
}

const base = randomInputs(1);
let fileNo = 0;

/** Write a dataset and an init file (overrides replace tensors; `null` drops one); returns their paths. */
function files(
  dataset: Record<string, SafetensorsInput | null> = {},
  init: Record<string, SafetensorsInput | null> = {},
): { data: string; init: string; out: string } {
  const k = fileNo++;
  const clean = (t: Record<string, SafetensorsInput | null>) =>
    Object.fromEntries(Object.entries(t).filter((e): e is [string, SafetensorsInput] => e[1] !== null));
  const data = join(dir, `data${k}.safetensors`);
  const initPath = join(dir, `init${k}.safetensors`);
  writeSafetensors(data, clean({ X: { shape: [N, P, d], data: base.X }, y: { shape: [N], data: base.y }, ...dataset }));
  writeSafetensors(initPath, clean({ W: { shape: [2, m, d], data: base.W }, ...init }));
  return { data, init: initPath, out: join(dir, `out${k}.safetensors`) };
}

const trainArgs = (f: { data: string; init: string; out: string }, lr = '0.5', steps = '12') => [
  'train', '--dataset', f.data, '--init', f.init, '--lr', lr, '--steps', steps, '--out', f.out,
];

describe('paratransfer train', () => {
  it('trains, writes W [2, m, d] F64 with metadata, and prints one JSON object', async () => {
    const f = files();
    const r = await runCli([...trainArgs(f), '--engine', 'dense', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['steps', 'loss', 'initialLoss', 'engine', 'out']);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);

    // The same training in-process, on the plain one-atom-per-patch dataset, gives the same bits.
    const ref = denseEngine.train({
      data: denseDataset(base.X, base.y, N, P, d), W0: base.W, m, lr: 0.5, steps: 12, lossThreshold: 0,
    });
    expect(out).toEqual({
      steps: 12,
      loss: ref.losses[12],
      initialLoss: ref.losses[0],
      engine: 'dense',
      out: f.out,
    });
    expect(ref.losses[12]).toBeLessThan(ref.losses[0]);
    const saved = readSafetensors(f.out);
    const W = getTensor(saved, 'W');
    expect(W.dtype).toBe('F64');
    expect(W.shape).toEqual([2, m, d]);
    expect(W.data).toEqual(ref.W);
    expect(saved.metadata).toMatchObject({
      lr: '0.5', steps: '12', loss: String(ref.losses[12]), engine: 'dense', format: 'paratransfer',
    });
    expect(saved.metadata.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('prints a readable summary; accepts F32 X and integer y; --loss-threshold stops early', async () => {
    const f = files({
      X: { shape: [N, P, d], data: Float32Array.from(base.X) },
      y: { shape: [N], data: Int8Array.from(base.y) },
    });
    const full = denseEngine.train({
      data: denseDataset(Float64Array.from(Float32Array.from(base.X)), base.y, N, P, d),
      W0: base.W, m, lr: 0.5, steps: 40, lossThreshold: 0,
    });
    // a threshold the run crosses between steps 5 and 40
    const eps = (full.losses[5] + full.losses[6]) / 2;
    const r = await runCli([...trainArgs(f, '0.5', '40'), '--loss-threshold', String(eps)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('after 6 steps (stopped early');
    expect(r.stdout).toContain(`written to ${f.out}`);
    const W = getTensor(readSafetensors(f.out), 'W').data;
    const ref = denseEngine.train({
      data: denseDataset(Float64Array.from(Float32Array.from(base.X)), base.y, N, P, d),
      W0: base.W, m, lr: 0.5, steps: 6, lossThreshold: 0,
    });
    expect(W).toEqual(ref.W);
  });

  it('--steps 0 writes the initial weights back unchanged', async () => {
    const f = files();
    const r = await runCli([...trainArgs(f, '1', '0'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).steps).toBe(0);
    expect(getTensor(readSafetensors(f.out), 'W').data).toEqual(base.W);
  });
});

describe('paratransfer train: bad input is one line on stderr, exit 1, and no output file', () => {
  const bad = (shape: number[], n = shape.reduce((a, b) => a * b, 1)) => ({ shape, data: new Float64Array(n) });
  const withAt = (a: Float64Array, i: number, v: number) => {
    const c = Float64Array.from(a);
    c[i] = v;
    return c;
  };
  type Case = [string, () => string[], RegExp];
  const cases: Case[] = [
    ['missing dataset file', () => { const f = files(); rmSync(f.data); return trainArgs(f); }, /data\d+\.safetensors: no such file/],
    ['truncated dataset', () => {
      const f = files();
      const b = readFileSync(f.data);
      writeFileSync(f.data, b.subarray(0, b.length - 5));
      return trainArgs(f);
    }, /data\d+\.safetensors: not a valid safetensors file: .*truncated/],
    ['corrupt init header', () => {
      const f = files();
      const b = readFileSync(f.init);
      b[8] = 0x78; // the JSON header's opening '{' becomes 'x'
      writeFileSync(f.init, b);
      return trainArgs(f);
    }, /init\d+\.safetensors: not a valid safetensors file: header is not valid JSON/],
    ['dataset without X', () => trainArgs(files({ X: null })), /data\d+\.safetensors: no tensor "X" \(the file has "y"\)/],
    ['X of rank 2', () => trainArgs(files({ X: { shape: [N, P * d], data: base.X } })), /tensor "X": shape \[9, 21\], expected \[N, P, d\]/],
    ['X of an integer dtype', () => trainArgs(files({ X: { shape: [N, P, d], data: new Int32Array(N * P * d) } })), /tensor "X": dtype I32, expected F64 \(or F32\)/],
    ['X with NaN', () => trainArgs(files({ X: { shape: [N, P, d], data: withAt(base.X, d * P + d + 2, NaN) } })), /tensor "X": non-finite value NaN at \[1, 1, 2\]/],
    ['N = 0', () => trainArgs(files({ X: bad([0, P, d]), y: bad([0]) })), /tensor "X" has shape \[0, 3, 7\]: N \(samples\) must be ≥ 1/],
    ['P = 0', () => trainArgs(files({ X: bad([N, 0, d]) })), /P \(patches\) must be ≥ 1/],
    ['y value 0', () => trainArgs(files({ y: { shape: [N], data: withAt(base.y, 4, 0) } })), /tensor "y": y\[4\] = 0; labels must be −1 or \+1/],
    ['y value 2 (as U8)', () => trainArgs(files({ y: { shape: [N], data: Uint8Array.from({ length: N }, (_, i) => (i === 0 ? 2 : 1)) } })), /y\[0\] = 2/],
    ['y of the wrong length', () => trainArgs(files({ y: { shape: [N - 1], data: base.y.subarray(1) } })), /tensor "y" has shape \[8\], expected \[9\]/],
    ['W with Infinity', () => trainArgs(files({}, { W: { shape: [2, m, d], data: withAt(base.W, 3, Infinity) } })), /init\d+\.safetensors: tensor "W": non-finite value Infinity/],
    ['W not [2, m, d]', () => trainArgs(files({}, { W: bad([3, m, d]) })), /tensor "W" has shape \[3, 2, 7\], expected \[2, m, d\]/],
    ['m = 0', () => trainArgs(files({}, { W: bad([2, 0, d]) })), /expected \[2, m, d\] with m ≥ 1/],
    ['d of W differs from d of X', () => trainArgs(files({}, { W: bad([2, m, d + 1]) })), /shape mismatch: .*init\d+\.safetensors has W \[2, 2, 8\] \(d = 8\) but .*data\d+\.safetensors has X \[9, 3, 7\] \(d = 7\)/],
    ['lr 0', () => trainArgs(files(), '0'), /--lr: must be a number in \(0, .*\] \(got "0"\)/],
    ['lr negative', () => trainArgs(files(), '-1'), /--lr: must be a number in \(0/],
    ['lr not a number', () => trainArgs(files(), 'fast'), /--lr: .*\(got "fast"\)/],
    ['lr NaN', () => trainArgs(files(), 'NaN'), /--lr: .*\(got "NaN"\)/],
    ['lr Infinity', () => trainArgs(files(), 'Infinity'), /--lr: .*\(got "Infinity"\)/],
    ['steps fractional', () => trainArgs(files(), '0.5', '1.5'), /--steps: must be an integer in \[0, .*\(got "1.5"\)/],
    ['steps negative', () => trainArgs(files(), '0.5', '-3'), /--steps: must be an integer/],
    ['steps empty', () => trainArgs(files(), '0.5', ''), /--steps: .*\(got ""\)/],
    ['loss threshold negative', () => [...trainArgs(files()), '--loss-threshold', '-0.1'], /--loss-threshold: must be a number in \[0/],
    ['unknown engine', () => [...trainArgs(files()), '--engine', 'warp'], /--engine: unknown engine "warp" \(allowed: dense/],
    ['divergence', () => {
      const f = files({ X: { shape: [N, P, d], data: base.X.map((x) => x * 1e160) } });
      return trainArgs(f, '1000000', '50');
    }, /training diverged \(train\): the loss became non-finite at step \d+ with lr=1000000; lower lr/],
  ];

  for (const [what, args, message] of cases) {
    it(what, async () => {
      const argv = args();
      const out = argv[argv.indexOf('--out') + 1];
      const r = await runCli(argv);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.endsWith('\n')).toBe(true);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^paratransfer: error: /);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('an --out that is a directory: error naming it, directory left alone, no temporary file', async () => {
    const f = files();
    const outDir = join(dir, 'out-is-a-dir');
    mkdirSync(outDir);
    writeFileSync(join(outDir, 'keep.txt'), 'keep');
    const r = await runCli([...trainArgs({ ...f, out: outDir })]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`paratransfer: error: ${outDir}: cannot write: it is a directory\n`);
    expect(readdirSync(outDir)).toEqual(['keep.txt']);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a missing required flag is a usage error (exit 1, the paratransfer: prefix) naming the flag', async () => {
    const f = files();
    const r = await runCli(['train', '--dataset', f.data, '--init', f.init, '--lr', '1', '--out', f.out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("paratransfer: error: required option '--steps <T>' not specified\n");
    expect(existsSync(f.out)).toBe(false);
  });
});

describe('run --save then train reproduces the transfer run bit for bit', () => {
  const tiny = ['--set', 'd=50', '--set', 'n1=20', '--set', 'n2=10', '--set', 'nTest=50', '--set', 'm=4', '--set', 'steps=20'];
  const explicit = ['--set', 'sampler=explicit', '--set', 'signalPatch=random', '--set', 'patches=3', '--set', 'labelNoise=0.2', '--set', 'lr=0.7'];
  for (const extra of [[], explicit]) {
    it(`positive-transfer ${extra.filter((a) => a !== '--set').join(' ') || '(tiny)'}`, async () => {
      const save = join(dir, `save${fileNo++}`);
      const run = await runCli(['run', 'positive-transfer', ...tiny, ...extra, '--json', '--save', save]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout) as { config: { lr: number; steps: number; m: number; n2: number; patches: number }; workingDimension: number };
      const { config } = result;
      // the subspace sampler (the default) saves coordinates in the span: 3 + 2·(2m) + N₂ + N₁ dimensions here
      const d = result.workingDimension;
      expect(d).toBe(extra.length ? 50 : 49);
      expect(readdirSync(save).sort()).toEqual([
        'scratch-init.safetensors', 'scratch.safetensors', 'task1-test.safetensors', 'task1-train.safetensors',
        'task2-test.safetensors', 'task2-train.safetensors', 'transfer-init.safetensors', 'transfer.safetensors',
        'upstream.safetensors',
      ]);
      for (const phase of ['upstream', 'transfer-init', 'transfer', 'scratch-init', 'scratch']) {
        const f = readSafetensors(join(save, `${phase}.safetensors`));
        expect(f.metadata.phase).toBe(phase);
        expect(JSON.parse(f.metadata.config)).toEqual(config);
        expect(f.metadata.sampler).toBe(extra.length ? 'explicit' : 'subspace');
        expect(getTensor(f, 'W').shape).toEqual([2, config.m, d]);
      }
      const task2 = readSafetensors(join(save, 'task2-train.safetensors'));
      expect(getTensor(task2, 'X').shape).toEqual([config.n2, config.patches, d]);
      expect(getTensor(task2, 'yTrue').shape).toEqual([config.n2]);

      const out = join(save, 'retrained.safetensors');
      const tr = await runCli([
        'train', '--dataset', join(save, 'task2-train.safetensors'), '--init', join(save, 'transfer-init.safetensors'),
        '--lr', String(config.lr), '--steps', String(config.steps), '--out', out, '--json',
      ]);
      expect(tr.stderr).toBe('');
      expect(tr.code).toBe(0);
      expect(JSON.parse(tr.stdout).steps).toBe(config.steps);
      const mine = getTensor(readSafetensors(out), 'W').data as Float64Array;
      const theirs = getTensor(readSafetensors(join(save, 'transfer.safetensors')), 'W').data as Float64Array;
      const init = getTensor(readSafetensors(join(save, 'transfer-init.safetensors')), 'W').data as Float64Array;
      expect(mine).not.toEqual(init); // training moved the weights
      expect(Buffer.from(mine.buffer).equals(Buffer.from(theirs.buffer))).toBe(true);

      // the scratch run replays from its own initialisation too (run --save writes scratch-init)
      const outScratch = join(save, 'rescratch.safetensors');
      const sc = await runCli([
        'train', '--dataset', join(save, 'task2-train.safetensors'), '--init', join(save, 'scratch-init.safetensors'),
        '--lr', String(config.lr), '--steps', String(config.steps), '--out', outScratch, '--json',
      ]);
      expect(sc.code, sc.stderr).toBe(0);
      const replayed = getTensor(readSafetensors(outScratch), 'W').data as Float64Array;
      const scratch = getTensor(readSafetensors(join(save, 'scratch.safetensors')), 'W').data as Float64Array;
      expect(Buffer.from(replayed.buffer).equals(Buffer.from(scratch.buffer))).toBe(true);
    });
  }
});
