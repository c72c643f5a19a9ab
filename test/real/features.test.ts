import { describe, expect, it } from 'vitest';
import { resnet, vgg, referenceCnn, twoLayer } from '../../src/real/arch/index.js';
import { extractFeatures, featureSites } from '../../src/real/features.js';
import { plainBackend, wasmBackend, type Backend } from '../../src/real/nn/backend.js';
import { Model, type LayerSpec } from '../../src/real/nn/net.js';
import type { ImageSet } from '../../src/real/nn/session.js';
import { Rng } from '../../src/util/rng.js';

const shape = { c: 2, h: 8, w: 8 };
const net: LayerSpec[] = [
  { kind: 'conv', out: 3, k: 3, pad: 1 },
  { kind: 'relu' },
  { kind: 'maxpool' },
  { kind: 'conv', out: 4, k: 3 },
  { kind: 'relu' },
  { kind: 'gap' },
  { kind: 'linear', out: 5 },
];

function images(n: number, seed = 3): ImageSet {
  const rng = new Rng(seed, 'images');
  return {
    x: Float32Array.from({ length: n * 128 }, () => rng.uniform()),
    y: Int32Array.from({ length: n }, (_, i) => i % 5),
    shape,
    count: n,
  };
}

function model(backend: Backend): Model {
  const m = new Model(backend.heap, net, shape);
  m.init(new Rng(7, 'init'));
  // non-zero biases, so a missing bias would show
  for (const p of m.params) if (p.role === 'bias') m.view(p).set(Array.from({ length: p.size }, (_, i) => 0.05 * (i - 1)));
  return m;
}

/** A plain float64 forward of the test network, image by image: every layer's output as [c][h·w] arrays. */
function naiveForward(m: Model, x: Float32Array, at: number): number[][][] {
  const param = (name: string) => Array.from(m.view(m.params.find((p) => p.name === name)!));
  let a: number[][] = [0, 1].map((c) => Array.from(x.subarray(at + c * 64, at + (c + 1) * 64)));
  let h = 8;
  const outs: number[][][] = [];
  const conv = (w: number[], b: number[], co: number, pad: number) => {
    const ci = a.length;
    const ho = h + 2 * pad - 2;
    const out = Array.from({ length: co }, (_, o) =>
      Array.from({ length: ho * ho }, (_, pos) => {
        const [r, c] = [Math.floor(pos / ho), pos % ho];
        let s = b[o];
        for (let i = 0; i < ci; i++) {
          for (let dr = 0; dr < 3; dr++) {
            for (let dc = 0; dc < 3; dc++) {
              const rr = r + dr - pad;
              const cc = c + dc - pad;
              if (rr >= 0 && rr < h && cc >= 0 && cc < h) s += w[((o * ci + i) * 3 + dr) * 3 + dc] * a[i][rr * h + cc];
            }
          }
        }
        return s;
      }),
    );
    h = ho;
    return out;
  };
  a = conv(param('conv1.weight'), param('conv1.bias'), 3, 1);
  outs.push(a);
  a = a.map((ch) => ch.map((v) => Math.max(v, 0)));
  outs.push(a);
  const hp = h / 2;
  a = a.map((ch) =>
    Array.from({ length: hp * hp }, (_, pos) => {
      const [r, c] = [Math.floor(pos / hp), pos % hp];
      return Math.max(ch[2 * r * h + 2 * c], ch[2 * r * h + 2 * c + 1], ch[(2 * r + 1) * h + 2 * c], ch[(2 * r + 1) * h + 2 * c + 1]);
    }),
  );
  h = hp;
  outs.push(a);
  a = conv(param('conv2.weight'), param('conv2.bias'), 4, 0);
  outs.push(a);
  a = a.map((ch) => ch.map((v) => Math.max(v, 0)));
  outs.push(a);
  a = a.map((ch) => [ch.reduce((s, v) => s + v, 0) / ch.length]);
  outs.push(a);
  const w = param('linear1.weight');
  const b = param('linear1.bias');
  outs.push(Array.from({ length: 5 }, (_, o) => [b[o] + a.reduce((s, ch, i) => s + w[o * 4 + i] * ch[0], 0)]));
  return outs;
}

describe('features of a network for the scores', () => {
  it('sites: the outputs the weight layers read, the last being the head input', () => {
    const m = model(plainBackend('float64'));
    expect(featureSites(m).map(({ layer, name, kind, shape: s }) => [layer, name, kind, `${s.c}×${s.h}×${s.w}`])).toEqual([
      [2, 'block1', 'maxpool', '3×4×4'],
      [5, 'penultimate', 'gap', '4×1×1'],
    ]);
    const heap = plainBackend('float32').heap;
    const names = (layers: LayerSpec[], s = { c: 1, h: 28, w: 28 }) => featureSites(new Model(heap, layers, s)).map((f) => `${f.name}:${f.kind}`);
    expect(names(referenceCnn(10))).toEqual(['block1:maxpool', 'penultimate:flatten']);
    expect(names(vgg(10, 8))).toEqual(['block1:relu', 'block2:maxpool', 'block3:relu', 'penultimate:flatten']);
    expect(names(resnet(10, 4))).toEqual([
      'block1:relu', // stem
      'block2:relu', // inside residual block 1
      'block3:relu', // after block 1
      'block4:relu',
      'block5:relu',
      'block6:relu',
      'penultimate:gap',
    ]);
    expect(names(twoLayer(2, 3, 7))).toEqual(['penultimate:gap']);
  });

  it('equal a plain float64 forward pass, layer by layer, and the softmax of its logits', () => {
    const backend = plainBackend('float64');
    const m = model(backend);
    const data = images(11);
    const f = extractFeatures(backend, m, data, { batch: 4 }); // the last batch is partial
    expect(f.count).toBe(11);
    expect(f.classes).toBe(5);
    expect(f.layers.map((l) => [l.name, l.dims, l.data.length, l.data.constructor.name])).toEqual([
      ['block1', 48, 11 * 48, 'Float64Array'],
      ['penultimate', 4, 11 * 4, 'Float64Array'],
    ]);
    let err = 0;
    for (let n = 0; n < 11; n++) {
      const outs = naiveForward(m, data.x, n * 128);
      for (const l of f.layers) {
        const expected = outs[l.layer].flat();
        for (let j = 0; j < l.dims; j++) err = Math.max(err, Math.abs(l.data[n * l.dims + j] - expected[j]));
      }
      const logits = outs[6].flat();
      const top = Math.max(...logits);
      const z = logits.reduce((s, v) => s + Math.exp(v - top), 0);
      for (let k = 0; k < 5; k++) err = Math.max(err, Math.abs(f.probs[n * 5 + k] - Math.exp(logits[k] - top) / z));
    }
    expect(err).toBeLessThan(1e-12);
    for (let n = 0; n < 11; n++) expect(f.probs.subarray(n * 5, n * 5 + 5).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
  });

  it('are deterministic, and on the plain backend the same bits whatever the batch size', () => {
    const backend = plainBackend('float64');
    const m = model(backend);
    const data = images(13);
    const a = extractFeatures(backend, m, data, { batch: 5 });
    const b = extractFeatures(backend, m, data, { batch: 5 });
    const c = extractFeatures(backend, m, data, { batch: 64 });
    for (const other of [b, c]) {
      other.layers.forEach((l, i) => expect(l.data).toEqual(a.layers[i].data));
      expect(other.probs).toEqual(a.probs);
    }
  });

  it('on the WebAssembly backend (float32) agree with the float64 forward to float32 rounding; sites can be chosen', () => {
    const wasm = wasmBackend();
    const plain = plainBackend('float64');
    const mw = model(wasm);
    const mp = model(plain);
    mp.load(mw.snapshot()); // the same float32-representable parameters
    const data = images(9);
    const fw = extractFeatures(wasm, mw, data, { batch: 4, sites: ['penultimate'] });
    const fp = extractFeatures(plain, mp, data, { sites: ['penultimate'] });
    expect(fw.layers.map((l) => l.name)).toEqual(['penultimate']);
    expect(fw.layers[0].data).toBeInstanceOf(Float32Array);
    let err = 0;
    fw.layers[0].data.forEach((v, i) => (err = Math.max(err, Math.abs(v - fp.layers[0].data[i]))));
    expect(err).toBeLessThan(1e-5);
    fw.probs.forEach((v, i) => expect(Math.abs(v - fp.probs[i])).toBeLessThan(1e-5));
    expect(() => extractFeatures(plain, mp, data, { sites: ['block9'] })).toThrow(/no feature site "block9" \(the network has block1, penultimate\)/);
  });
});
