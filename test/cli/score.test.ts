import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensors, type SafetensorsInput } from '../../src/io/safetensors.js';
import { transferScores } from '../../src/scores/index.js';
import { Rng } from '../../src/util/rng.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pt-score-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 24;
const D = 5;
const rng = new Rng(2, 'score-cli');
const labels = Int32Array.from({ length: N }, (_, i) => i % 3);
const features = Float32Array.from({ length: N * D }, (_, a) => rng.normal() + Math.cos(labels[Math.floor(a / D)] + (a % D)));
const probs = new Float64Array(N * 4);
for (let i = 0; i < N; i++) {
  const raw = [0, 1, 2, 3].map((k) => Math.exp(Math.sin(i * (k + 1))));
  const z = raw.reduce((s, v) => s + v, 0);
  raw.forEach((v, k) => (probs[i * 4 + k] = v / z));
}
const base: Record<string, SafetensorsInput> = {
  features: { shape: [N, D], data: features },
  labels: { shape: [N], data: BigInt64Array.from(labels, (v) => BigInt(v)) },
  sourceProbs: { shape: [N, 4], data: probs },
};

let fileNo = 0;
/** A score file: the base tensors with overrides (null drops one). */
function file(over: Record<string, SafetensorsInput | null> = {}): string {
  const path = join(dir, `f${fileNo++}.safetensors`);
  const tensors = Object.fromEntries(Object.entries({ ...base, ...over }).filter((e): e is [string, SafetensorsInput] => e[1] !== null));
  writeSafetensors(path, tensors);
  return path;
}

describe('paratransfer score', () => {
  it('--json prints one object: the scores, n, d, classes and the k-NN settings, the library’s numbers', async () => {
    const r = await runCli(['score', '--features', file(), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout) as Record<string, number>;
    expect(Object.keys(out)).toEqual(['n', 'd', 'classes', 'logme', 'hscore', 'transrate', 'leep', 'nce', 'knn', 'knnK', 'knnQueries', 'sourceClasses']);
    const lib = transferScores({
      features: { data: features, rows: N, cols: D },
      labels,
      sourceProbs: { data: probs, rows: N, cols: 4 },
    });
    expect(out).toEqual(JSON.parse(JSON.stringify(lib)));
    expect([out.n, out.d, out.classes, out.sourceClasses, out.knnK, out.knnQueries]).toEqual([N, D, 3, 4, 5, N]);
  });

  it('without sourceProbs: no LEEP and NCE; labels in any integer dtype or as floats give the same scores', async () => {
    const outs = [];
    for (const data of [
      Int32Array.from(labels),
      Int16Array.from(labels),
      Int8Array.from(labels),
      Uint8Array.from(labels),
      Uint16Array.from(labels),
      Uint32Array.from(labels),
      BigUint64Array.from(labels, (v) => BigInt(v)),
      Float32Array.from(labels),
    ]) {
      const r = await runCli(['score', '--features', file({ sourceProbs: null, labels: { shape: [N], data } }), '--json']);
      expect(r.stderr).toBe('');
      outs.push(JSON.parse(r.stdout) as Record<string, number>);
    }
    expect(Object.keys(outs[0])).toEqual(['n', 'd', 'classes', 'logme', 'hscore', 'transrate', 'knn', 'knnK', 'knnQueries']);
    for (const o of outs) expect(o).toEqual(outs[0]);
  });

  it('--knn-k and --knn-queries set the baseline', async () => {
    const r = await runCli(['score', '--features', file(), '--json', '--knn-k', '1', '--knn-queries', '10']);
    const out = JSON.parse(r.stdout) as Record<string, number>;
    expect([out.knnK, out.knnQueries]).toEqual([1, 10]);
  });

  it('without --json: a table of every score with its meaning and direction', async () => {
    const path = file();
    const r = await runCli(['score', '--features', path]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`paratransfer score  ${path}: N = ${N} samples, D = ${D} features, 3 classes (source head: 4 classes)`);
    for (const name of ['LogME', 'H-score', 'TransRate', 'LEEP', 'NCE', 'k-NN (k=5)']) {
      const line = lines.find((l) => l.trimStart().startsWith(name));
      expect(line, name).toMatch(/ higher/);
    }
    expect(r.stdout).toMatch(/in \[0, 2\]/);
    expect(r.stdout).toMatch(/Bayesian linear fit/);
  });

  const f32 = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
  it.each([
    ['a missing file', () => join(dir, 'nope.safetensors'), /nope\.safetensors: no such file$/],
    ['not a safetensors file', () => (writeFileSync(join(dir, 'junk.bin'), 'hello world'), join(dir, 'junk.bin')), /junk\.bin: not a valid safetensors file/],
    ['no features', () => file({ features: null }), /: no tensor "features" \(the file has "labels", "sourceProbs"\)$/],
    ['integer features', () => file({ features: { shape: [N, D], data: new Int32Array(N * D) } }), /tensor "features": dtype I32; expected F32 or F64 \[N, D\]$/],
    ['features of rank 3', () => file({ features: { shape: [N, D, 1], data: features } }), /tensor "features": shape \[24, 5, 1\]; expected \[N, D\]$/],
    ['labels of the wrong length', () => file({ labels: { shape: [N - 1], data: new Int32Array(N - 1) } }), /tensor "labels": shape \[23\]; expected \[24\] \(one integer class per row of "features"\)$/],
    ['fractional labels', () => file({ labels: { shape: [N], data: f32(N, (i) => (i === 4 ? 1.5 : i % 3)) } }), /tensor "labels": label 4 is 1\.5; labels must be integer classes 0, 1, 2, …$/],
    ['one class', () => file({ labels: { shape: [N], data: new Uint8Array(N) } }), /tensor "labels": every label is 0: the scores compare classes and need at least 2$/],
    ['a missing class', () => file({ labels: { shape: [N], data: Int32Array.from(labels, (v) => (v === 1 ? 2 : v)) } }), /tensor "labels": class 1 has no samples/],
    ['NaN in features', () => file({ features: { shape: [N, D], data: f32(N * D, (i) => (i === 7 ? NaN : 1)) } }), /tensor "features": value at \[1, 2\] is NaN; every value must be finite$/],
    ['sourceProbs of the wrong width', () => file({ sourceProbs: { shape: [N], data: probs.subarray(0, N) } }), /tensor "sourceProbs": shape \[24\]; expected \[24, Cs\]$/],
    ['sourceProbs not normalised', () => file({ sourceProbs: { shape: [N, 4], data: probs.map((v, i) => (i < 4 ? v * 2 : v)) } }), /tensor "sourceProbs": row 0 sums to 2; each row must be the source head's softmax/],
    ['all-zero features', () => file({ features: { shape: [N, D], data: new Float64Array(N * D) } }), /tensor "features": every value is 0 .*LogME is undefined/],
  ])('%s: one line on stderr naming the file and tensor, exit 1', async (_, make, message) => {
    const r = await runCli(['score', '--features', make(), '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(/^paratransfer: error: /);
    expect(r.stderr.trim()).toMatch(message);
  });

  it.each([
    [['--knn-k', '0'], /^paratransfer: error: --knn-k: must be an integer ≥ 1 \(got "0"\)$/],
    [['--knn-queries', '2.5'], /^paratransfer: error: --knn-queries: must be an integer ≥ 1 \(got "2\.5"\)$/],
  ])('bad flag %j: one line, exit 1', async (flags, message) => {
    const r = await runCli(['score', '--features', file(), ...flags]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(message);
  });

  it('reads the committed fixtures (F32 features, U8 and F32 labels)', async () => {
    const expected = JSON.parse(readFileSync(new URL('../fixtures/scores/expected.json', import.meta.url), 'utf8')) as {
      cases: { file: string; logme: number; knn: number }[];
    };
    const c = expected.cases[2];
    const r = await runCli(['score', '--features', new URL(`../fixtures/scores/${c.file}`, import.meta.url).pathname, '--json']);
    const out = JSON.parse(r.stdout) as Record<string, number>;
    expect(Math.abs(out.logme - c.logme) / Math.abs(c.logme)).toBeLessThan(1e-6);
    expect(out.knn).toBe(c.knn);
  });
});
