import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, tensorAsFloat64, writeSafetensors } from '../../src/io/safetensors.js';
import { architecture, type ArchName } from '../../src/real/arch/index.js';
import { realDefaults, type RealConfig } from '../../src/real/config.js';
import { plainBackend, wasmBackend, type Backend } from '../../src/real/nn/backend.js';
import { Model, type ImageShape } from '../../src/real/nn/net.js';
import { serialRunner } from '../../src/real/nn/runner.js';
import { Session, type ImageSet } from '../../src/real/nn/session.js';
import { runReal } from '../../src/real/run.js';
import { loadNetwork, networkFiles, saveRealNetworks } from '../../src/real/weights.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { userErrorOf } from '../helpers/errors.js';

const fixtures = join(repoRoot, 'test', 'fixtures', 'torch');
const dir = mkdtempSync(join(tmpdir(), 'paratransfer-weights-'));
const mnist: ImageShape = { c: 1, h: 28, w: 28 };

/** The logits of a model on images, [N, classes], through the engine's evaluation programs. */
function logitsOf(backend: Backend, model: Model, x: Float32Array): Float64Array {
  const data: ImageSet = { x, y: new Int32Array(x.length / 784), shape: mnist, count: x.length / 784 };
  const runner = serialRunner(backend);
  try {
    return new Session(backend, model, runner, { batch: 8, shards: 2, evalBatch: 6 }).logits(data);
  } finally {
    runner.close();
  }
}

describe('the PyTorch fixture (test/fixtures/torch/make_fixture.py, tools/torch_models.py)', () => {
  const ref = readSafetensors(join(fixtures, 'logits.safetensors'));
  const images = Float32Array.from(tensorAsFloat64(ref.tensors.X));
  const nets: [ArchName, Record<string, number>][] = [
    ['vgg', { width: 4 }],
    ['resnet', { width: 4 }],
    ['reference', {}],
    ['twolayer', { m: 2, patch: 7 }],
  ];

  it.each(nets)('%s: the module PyTorch saved loads, and its logits agree to float32 rounding', (arch, opts) => {
    const expected = tensorAsFloat64(ref.tensors[arch]);
    const scale = Math.max(...expected.map(Math.abs));
    expect(scale).toBeGreaterThan(0.01); // the fixture's logits are not all zero
    for (const backend of [wasmBackend(), plainBackend('float32')]) {
      const model = new Model(backend.heap, architecture(arch, 3, { width: 4, m: 2, patch: 7, ...opts }), mnist);
      loadNetwork(join(fixtures, `${arch}.safetensors`), model, `a ${arch} network`);
      const got = logitsOf(backend, model, images);
      expect(got.length).toBe(expected.length);
      // float32 storage and sums over at most a few thousand terms: relative error ~1e-6 of the logits' scale
      const worst = Math.max(...got.map((g, i) => Math.abs(g - expected[i])));
      expect(worst / scale, `${arch} on ${backend.name}`).toBeLessThan(2e-5);
      expect(worst / scale).toBeGreaterThan(0); // float32 vs float64: agreement is not a copied number
    }
  });
});

/** A small run: digits 0–2 → 3–4 on the VGG net; a second or two. */
const small: RealConfig = {
  ...realDefaults,
  width: 4,
  upstreamClasses: [0, 1, 2],
  downstreamClasses: [3, 4],
  n1: 40,
  n2: 6,
  nTest: 20,
  epochs1: 2,
  epochs2: 4,
  alpha: 0.5,
  checkpoints: 1,
};

describe('real --save and --upstream', () => {
  const run = runReal(small, { threads: 1, keepWeights: true });
  const out = join(dir, 'saved');
  const files = saveRealNetworks(out, run.networks!, small);
  const images = new Float32Array(5 * 784).map((_, i) => ((i * 7919) % 251) / 250);

  it('writes the upstream, transfer (before and after training) and scratch networks with PyTorch names', () => {
    expect(files.map((f) => f.slice(out.length + 1))).toEqual(Object.values(networkFiles));
    const f = readSafetensors(join(out, 'upstream.safetensors'));
    expect(Object.keys(f.tensors)).toEqual([
      'features.0.weight', 'features.0.bias', 'features.2.weight', 'features.2.bias',
      'features.5.weight', 'features.5.bias', 'features.7.weight', 'features.7.bias',
      'classifier.weight', 'classifier.bias',
    ]);
    expect(f.tensors['features.0.weight']).toMatchObject({ dtype: 'F32', shape: [4, 1, 3, 3] });
    expect(f.tensors['classifier.weight'].shape).toEqual([3, 8 * 7 * 7]);
    expect(f.metadata).toMatchObject({ format: 'paratransfer-cnn', phase: 'upstream', arch: 'vgg', classes: '3', input: '1,28,28' });
    expect(JSON.parse(f.metadata.config)).toEqual(small);
    expect(readSafetensors(join(out, 'scratch.safetensors')).tensors['classifier.weight'].shape).toEqual([2, 392]);
  });

  it('save then load gives bitwise equal logits, for every network', () => {
    for (const [phase, file] of Object.entries(networkFiles) as [keyof typeof networkFiles, string][]) {
      const n = run.networks![phase];
      const backend = wasmBackend();
      const kept = new Model(backend.heap, n.layers, n.input);
      kept.load(n.parameters);
      const loaded = new Model(backend.heap, n.layers, n.input);
      loadNetwork(join(out, file), loaded, 'the saved network');
      const a = logitsOf(backend, kept, images);
      const b = logitsOf(backend, loaded, images);
      expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer)), phase).toBe(true);
      expect(new Set(a).size).toBeGreaterThan(5);
    }
  });

  it('--upstream FILE starts from the saved upstream network: transfer and scratch are bitwise those of the run that saved it', () => {
    const again = runReal(small, { threads: 1, upstream: join(out, 'upstream.safetensors') });
    const r = again.result;
    expect(r.upstreamFile?.path).toBe(join(out, 'upstream.safetensors'));
    expect(r.upstreamFile?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.upstream.epochs).toBe(0);
    expect(r.upstream.testAccuracy).toBe(run.result.upstream.testAccuracy);
    expect(JSON.stringify(r.transfer)).toBe(JSON.stringify(run.result.transfer));
    expect(JSON.stringify(r.scratch)).toBe(JSON.stringify(run.result.scratch));
  });

  it.each([
    ['a missing tensor', (t: Record<string, unknown>) => delete t['features.7.bias'], /: no tensor "features\.7\.bias" \(a vgg network of width 4 with 3 classes has features\.0\.weight, /],
    ['a wrong shape', (t: Record<string, { shape: number[]; data: Float32Array }>) => (t['features.0.weight'] = { shape: [8, 1, 3, 3], data: new Float32Array(72) }), /: tensor "features\.0\.weight" has shape \[8,1,3,3\], expected \[4,1,3,3\] for a vgg network of width 4 with 3 classes$/],
    ['an extra tensor', (t: Record<string, unknown>) => (t['features.9.weight'] = { shape: [1], data: new Float32Array(1) }), /: unexpected tensor "features\.9\.weight" for a vgg network/],
    ['an integer tensor', (t: Record<string, unknown>) => (t['classifier.bias'] = { shape: [3], data: new Int32Array(3) }), /: tensor "classifier\.bias" must be F32 or F64, not I32$/],
    ['a non-finite value', (t: Record<string, { shape: number[]; data: Float32Array }>) => (t['classifier.bias'] = { shape: [3], data: Float32Array.of(0, NaN, 0) }), /: tensor "classifier\.bias" has a non-finite value at entry 1$/],
  ])('a file with %s is a one-line error', (name, edit, message) => {
    const f = readSafetensors(join(out, 'upstream.safetensors'));
    const tensors = Object.fromEntries(Object.entries(f.tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data }]));
    edit(tensors as never);
    const path = join(dir, `bad-${name.replace(/ /g, '-')}.safetensors`);
    writeSafetensors(path, tensors);
    expect(userErrorOf(() => runReal(small, { threads: 1, upstream: path }))).toMatch(message);
  });

  it('the CLI: real --save writes the files, real --upstream reads them, bad files exit 1 with one line', async () => {
    const cfg = join(dir, 'small.yaml');
    writeFileSync(cfg, Object.entries(small).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n'));
    const saveDir = join(dir, 'cli');
    const saved = await runCli(['real', cfg, '--save', saveDir, '--json', '--threads', '1']);
    expect(saved.code, saved.stderr).toBe(0);
    expect(JSON.parse(saved.stdout).gain).toBe(run.result.gain);
    // the same config and seed: the same bytes as the library's files
    for (const file of Object.values(networkFiles)) expect(readFileSync(join(saveDir, file)).equals(readFileSync(join(out, file))), file).toBe(true);
    const loaded = await runCli(['real', cfg, '--upstream', join(saveDir, 'upstream.safetensors'), '--threads', '1']);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toMatch(/upstream .*loaded from .*upstream\.safetensors/);
    const bad = join(dir, 'not.safetensors');
    writeFileSync(bad, 'hello');
    const r = await runCli(['real', cfg, '--upstream', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^paratransfer: error: .*not\.safetensors: not a valid safetensors file: .*\n$/);
  });
});
