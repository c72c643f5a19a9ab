import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { builtinClassCounts } from '../../src/real/data/catalog.js';
import { openSource } from '../../src/real/data/sources.js';
import { realDefaults, validateRealConfig } from '../../src/real/config.js';
import { makeImageTask, type ImageTaskSpec } from '../../src/real/data/tasks.js';
import { UserError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'paratransfer-real-'));
const spec = (o: Partial<ImageTaskSpec>): ImageTaskSpec => ({ data: 'mnist', classes: [0, 1], nTrain: 20, nTest: 10, labelNoise: 0, ...o });

/** Images as strings, to compare sets of images. */
function imageKeys(x: Float32Array, n: number, chw: number): string[] {
  return Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * chw, (i + 1) * chw)).join(','));
}

describe('packaged datasets', () => {
  it('mnist: 28×28×1 digits in [0, 1], per-class counts of the package', () => {
    const s = openSource('mnist');
    expect(s.shape).toEqual({ c: 1, h: 28, w: 28 });
    expect(s.classes).toBe(10);
    expect(s.pool(5).length / 784).toBe(863);
    expect(s.pool(1).length / 784).toBe(1127);
    const p = s.pool(0);
    expect(Math.min(...p.subarray(0, 784 * 50))).toBe(0);
    expect(Math.max(...p.subarray(0, 784 * 50))).toBeLessThanOrEqual(1);
    expect(Math.max(...p.subarray(0, 784 * 50))).toBeGreaterThan(0.9);
  });

  it('fashion-mnist: bytes scaled to [0, 1], empty entries of the package skipped', () => {
    const s = openSource('fashion-mnist');
    expect(s.classNames[9]).toBe('Ankle boot');
    const p = s.pool(0); // 7002 entries, two of them empty
    expect(p.length / 784).toBe(7000);
    expect(Math.max(...p.subarray(0, 784 * 20))).toBeLessThanOrEqual(1);
    expect(Math.max(...p.subarray(0, 784 * 20))).toBeGreaterThan(0.9);
  });

  it('the catalog of class sizes (config validation reads it) is what the packages hold', () => {
    for (const [name, counts] of Object.entries(builtinClassCounts)) {
      const s = openSource(name);
      expect(Array.from({ length: s.classes }, (_, k) => s.pool(k).length / 784), name).toEqual(counts);
    }
  });

  it('configs that ask a shipped dataset for more images than a class holds fail at validation, naming the field', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ n1: 700 }, /^config: field "n1": too large: mnist class 2 has 991 images, fewer than n1 = 700 training \+ nTest = 300 test images \(got 700\)$/],
      [{ n2: 600, downstreamClasses: [5, 6] }, /field "n2": too large: mnist class 5 has 863 images, fewer than n2 = 600/],
      [{ nTest: 900, n1: 10, n2: 5 }, /field "nTest": too large: mnist class 5 has 863 images, no more than nTest = 900 test images/],
      [{ upstreamData: 'fashion-mnist', upstreamMixData: 'mnist', upstreamMix: 0.9, n1: 800 }, /field "upstreamMix": too large: mnist class 0 has 1001 images, fewer than round\(upstreamMix·n1\) = 720 mixed-in/],
      [{ upstreamClasses: [0, 12] }, /field "upstreamClasses": class 12 does not exist in mnist \(classes 0–9\)/],
    ];
    for (const [o, re] of bad) {
      const e = (() => {
        try {
          validateRealConfig({ ...realDefaults, ...o });
        } catch (err) {
          return (err as Error).message;
        }
        return '';
      })();
      expect(e.split('\n'), JSON.stringify(o)).toHaveLength(1);
      expect(e, JSON.stringify(o)).toMatch(re);
    }
    // the limit itself passes (680 + 300 = 980, mnist class 4); a mixed upstream draws only its share from the main dataset
    expect(() => validateRealConfig({ ...realDefaults, n1: 680 })).not.toThrow();
    expect(() => validateRealConfig({ ...realDefaults, n1: 1200, upstreamMix: 0.5, upstreamMixData: 'fashion-mnist' })).not.toThrow();
    expect(() => validateRealConfig({ ...realDefaults, upstreamData: 'fashion-mnist', n1: 6700 })).not.toThrow();
  });

  it('unknown dataset names are user errors listing the choices', () => {
    expect(() => openSource('cifar10')).toThrow(/expected mnist or fashion-mnist, or a path to a \.safetensors file/);
  });
});

describe('tasks', () => {
  it('labels follow the class list; train and test are disjoint; a larger N only adds images', () => {
    const t = makeImageTask(spec({ classes: [7, 3, 9] }), 0, 'upstream');
    expect(t.train.count).toBe(60);
    expect(t.test.count).toBe(30);
    expect(t.classNames).toEqual(['7', '3', '9']);
    expect(Array.from(t.train.y.subarray(0, 20)).every((y) => y === 0)).toBe(true);
    expect(Array.from(t.train.y.subarray(20, 40)).every((y) => y === 1)).toBe(true);
    const train = new Set(imageKeys(t.train.x, 60, 784));
    for (const k of imageKeys(t.test.x, 30, 784)) expect(train.has(k)).toBe(false);
    const big = makeImageTask(spec({ classes: [7, 3, 9], nTrain: 30 }), 0, 'upstream');
    const bigTrain = new Set(imageKeys(big.train.x, 90, 784));
    for (const k of train) expect(bigTrain.has(k)).toBe(true);
    expect(imageKeys(big.test.x, 30, 784)).toEqual(imageKeys(t.test.x, 30, 784));
    const other = makeImageTask(spec({ classes: [7, 3, 9] }), 1, 'upstream');
    expect(imageKeys(other.test.x, 30, 784)).not.toEqual(imageKeys(t.test.x, 30, 784));
  });

  it('label noise flips about p of the training labels to other classes, never the test labels', () => {
    const clean = makeImageTask(spec({ classes: [0, 1, 2, 3, 4], nTrain: 200 }), 0, 'downstream');
    const noisy = makeImageTask(spec({ classes: [0, 1, 2, 3, 4], nTrain: 200, labelNoise: 0.3 }), 0, 'downstream');
    let flips = 0;
    for (let i = 0; i < 1000; i++) if (clean.train.y[i] !== noisy.train.y[i]) flips++;
    expect(flips).toBe(noisy.flipped);
    expect(flips / 1000).toBeGreaterThan(0.26);
    expect(flips / 1000).toBeLessThan(0.34);
    expect(Array.from(noisy.test.y)).toEqual(Array.from(clean.test.y));
    expect(Math.max(...noisy.train.y)).toBe(4);
  });

  it.each([
    [spec({ classes: [0, 10] }), /class 10 does not exist in mnist \(classes 0–9\)/],
    [spec({ classes: [5, 6], nTrain: 800, nTest: 100 }), /mnist class 5 has 863 images, too few for 800 training \+ 100 test images/],
    [spec({ classes: [2, 2] }), /class 2 is listed twice/],
    [spec({ classes: [4] }), /at least 2 classes/],
  ])('bad task %#: one-line user error', (s, message) => {
    expect(() => makeImageTask(s, 0, 'upstream')).toThrow(UserError);
    expect(() => makeImageTask(s, 0, 'upstream')).toThrow(message);
  });
});

describe('user images in safetensors', () => {
  const file = join(dir, 'images.safetensors');
  const X = Float32Array.from({ length: 12 * 2 * 4 * 4 }, (_, i) => (i % 17) / 17);
  writeSafetensors(file, { X: { shape: [12, 2, 4, 4], data: X }, y: { shape: [12], data: BigInt64Array.from({ length: 12 }, (_, i) => BigInt(i % 3)) } });

  it('X [N, C, H, W] and integer y become per-class pools', () => {
    const s = openSource(file);
    expect(s.shape).toEqual({ c: 2, h: 4, w: 4 });
    expect(s.classes).toBe(3);
    expect(s.pool(1).length).toBe(4 * 32);
    expect(Array.from(s.pool(1).subarray(0, 32))).toEqual(Array.from(X.subarray(32, 64)));
    const t = makeImageTask(spec({ data: file, classes: [2, 0], nTrain: 3, nTest: 1 }), 0, 'upstream');
    expect(t.train.shape).toEqual({ c: 2, h: 4, w: 4 });
  });

  it('U8 images are scaled by 1/255', () => {
    const f = join(dir, 'u8.safetensors');
    writeSafetensors(f, { X: { shape: [2, 1, 1, 2], data: Uint8Array.from([0, 255, 51, 102]) }, y: { shape: [2], data: Int32Array.from([0, 1]) } });
    expect(Array.from(openSource(f).pool(1))).toEqual([0.2, 0.4].map(Math.fround));
  });

  const bad: [string, () => void, RegExp][] = [
    ['float labels', () => writeSafetensors(join(dir, 'b1.safetensors'), { X: { shape: [2, 1, 2, 2], data: new Float32Array(8) }, y: { shape: [2], data: new Float32Array(2) } }), /"y" must hold integer classes/],
    ['mismatched N', () => writeSafetensors(join(dir, 'b2.safetensors'), { X: { shape: [3, 1, 2, 2], data: new Float32Array(12) }, y: { shape: [2], data: new Int32Array(2) } }), /"y" has shape \[2\], expected \[3\]/],
    ['X not 4-d', () => writeSafetensors(join(dir, 'b3.safetensors'), { X: { shape: [2, 4], data: new Float32Array(8) }, y: { shape: [2], data: new Int32Array(2) } }), /expected 4 dimensions \[N, C, H, W\]/],
    ['no y', () => writeSafetensors(join(dir, 'b4.safetensors'), { X: { shape: [2, 1, 2, 2], data: new Float32Array(8) } }), /no tensor "y"/],
    ['negative label', () => writeSafetensors(join(dir, 'b5.safetensors'), { X: { shape: [2, 1, 2, 2], data: new Float32Array(8) }, y: { shape: [2], data: Int32Array.from([0, -1]) } }), /label y\[1\] = -1/],
    ['NaN pixel', () => writeSafetensors(join(dir, 'b6.safetensors'), { X: { shape: [1, 1, 1, 2], data: Float32Array.from([0, NaN]) }, y: { shape: [1], data: Int32Array.from([0]) } }), /non-finite value/],
  ];
  it.each(bad.map((b, i) => [b[0], i]))('%s: a one-line user error naming the file', (_, i) => {
    const [, write, message] = bad[i as number];
    write();
    const f = join(dir, `b${(i as number) + 1}.safetensors`);
    expect(() => openSource(f)).toThrow(UserError);
    expect(() => openSource(f)).toThrow(message);
  });

  it('a truncated file and a missing file are user errors', () => {
    const f = join(dir, 'cut.safetensors');
    writeFileSync(f, readFileSync(file).subarray(0, 100));
    expect(() => openSource(f)).toThrow(UserError);
    expect(() => openSource(join(dir, 'missing.safetensors'))).toThrow(/no such file/);
  });
});
