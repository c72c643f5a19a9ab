import { describe, expect, it } from 'vitest';
import { plainBackend, wasmBackend, type Backend, type WasmBackend } from '../../src/real/nn/backend.js';
import { fill } from '../../src/real/nn/calls.js';
import { Model, type LayerSpec } from '../../src/real/nn/net.js';
import { Optimizer, type OptimizerConfig } from '../../src/real/nn/optim.js';
import { serialRunner, threadedRunner } from '../../src/real/nn/runner.js';
import { Session, type ImageSet } from '../../src/real/nn/session.js';
import { Rng } from '../../src/util/rng.js';

const shape = { c: 1, h: 12, w: 12 };
const net: LayerSpec[] = [
  { kind: 'conv', out: 4, k: 3, pad: 1 },
  { kind: 'relu' },
  { kind: 'maxpool' },
  { kind: 'conv', out: 6, k: 3 },
  { kind: 'relu' },
  { kind: 'gap' },
  { kind: 'linear', out: 3 },
];

/** Noise images with a bright class-dependent row: learnable in a few steps. */
function toyData(n: number, seed = 1): ImageSet {
  const rng = new Rng(seed, 'toy');
  const x = new Float32Array(n * 144);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let p = 0; p < 144; p++) x[i * 144 + p] = 0.3 * rng.uniform();
    for (let p = 0; p < 12; p++) x[i * 144 + (2 + 4 * y[i]) * 12 + p] = 1;
  }
  return { x, y, shape, count: n };
}

interface Trained {
  params: Float64Array;
  losses: number[];
  accuracy: number;
}

function train(backend: Backend, threads: number, opt: OptimizerConfig, steps = 12): Trained {
  const runner = backend.name === 'wasm' ? threadedRunner(backend as WasmBackend, threads) : serialRunner(backend);
  try {
    const model = new Model(backend.heap, net, shape);
    model.init(new Rng(5, 'init'));
    const data = toyData(90);
    const session = new Session(backend, model, runner, { batch: 16, shards: 2, evalBatch: 32 });
    const optimizer = new Optimizer(model, opt);
    const order = new Rng(5, 'order').sample(90, 90);
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const from = (s * 16) % 80;
      losses.push(session.step(data, order, from, Math.min(90, from + 16), optimizer));
    }
    return { params: model.snapshot(), losses, accuracy: session.evaluate(data).accuracy };
  } finally {
    runner.close();
  }
}

const sgd: OptimizerConfig = { kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-3 };

describe('CNN engine', () => {
  it('a failing program in the worker thread surfaces its error on the main thread', () => {
    const backend = wasmBackend();
    const runner = threadedRunner(backend, 2);
    try {
      const ok = runner.register([fill({ n: 4, dst: backend.heap.alloc(4), value: 1 })]);
      const bad = runner.register([fill({ n: 16, dst: 2 ** 28, value: 1 })]); // byte 2^30: outside the memory
      runner.run([ok, ok]);
      expect(() => runner.run([ok, bad])).toThrow(/out of bounds/);
      runner.run([ok, ok]); // still usable
    } finally {
      runner.close();
    }
  });

  it('learns a toy task (the loss falls, the accuracy rises)', () => {
    const r = train(wasmBackend(), 1, sgd, 30);
    expect(r.losses[r.losses.length - 1]).toBeLessThan(0.5 * r.losses[0]);
    expect(r.accuracy).toBeGreaterThan(0.9);
  });

  it('is bitwise deterministic: repeated runs and 1 vs 2 threads give the same parameters', () => {
    const a = train(wasmBackend(), 1, sgd);
    const b = train(wasmBackend(), 1, sgd);
    const c = train(wasmBackend(), 2, sgd);
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
    expect(Array.from(c.params)).toEqual(Array.from(a.params));
    expect(c.losses).toEqual(a.losses);
  });

  it('WebAssembly training follows the plain float32 loops', () => {
    const w = train(wasmBackend(), 2, sgd);
    const p = train(plainBackend('float32'), 1, sgd);
    for (let i = 0; i < w.losses.length; i++) expect(Math.abs(w.losses[i] - p.losses[i])).toBeLessThan(1e-4 * (1 + p.losses[i]));
    let d = 0;
    for (let i = 0; i < w.params.length; i++) d = Math.max(d, Math.abs(w.params[i] - p.params[i]));
    expect(d).toBeLessThan(1e-3);
  });

  it('the gradient of a padded batch is the mean of the per-sample gradients (float64)', () => {
    const backend = plainBackend('float64');
    const runner = serialRunner(backend);
    const model = new Model(backend.heap, net, shape);
    model.init(new Rng(2));
    const data = toyData(5);
    const order = [0, 1, 2, 3, 4];
    // A batch of 5 in a session of 8 (two shards of 4: the second has one sample and three paddings).
    const big = new Session(backend, model, runner, { batch: 8, shards: 2 });
    const lossAll = big.gradient(data, order, 0, 5);
    const all = model.params.map((p, j) => Float64Array.from(backend.heap.data.subarray(big.grads[j], big.grads[j] + p.size)));
    const one = new Session(backend, model, runner, { batch: 1, shards: 1 });
    const mean = model.params.map((p) => new Float64Array(p.size));
    let lossMean = 0;
    for (let i = 0; i < 5; i++) {
      lossMean += one.gradient(data, order, i, i + 1) / 5;
      model.params.forEach((p, j) => {
        for (let e = 0; e < p.size; e++) mean[j][e] += backend.heap.data[one.grads[j] + e] / 5;
      });
    }
    expect(lossAll).toBeCloseTo(lossMean, 12);
    model.params.forEach((p, j) => {
      for (let e = 0; e < p.size; e++) expect(all[j][e]).toBeCloseTo(mean[j][e], 12);
    });
  });

  it.each([
    ['sgd', { kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.01 }],
    ['adam', { kind: 'adam', lr: 0.01, momentum: 0, weightDecay: 0.01 }],
  ] as [string, OptimizerConfig][])('%s follows its update rule; frozen entries stay bitwise fixed', (_, cfg) => {
    const backend = plainBackend('float64');
    const model = new Model(backend.heap, [{ kind: 'flatten' }, { kind: 'linear', out: 2 }], { c: 1, h: 1, w: 3 });
    model.init(new Rng(4));
    const [w, b] = model.params;
    const mask = Uint8Array.from([1, 0, 1, 1, 1, 0]); // freeze w[1] and w[5]
    const opt = new Optimizer(model, cfg, [mask, null]);
    const gw = backend.heap.alloc(6);
    const gb = backend.heap.alloc(2);
    const h = backend.heap.data;
    const p0 = Array.from(model.view(w));
    const g1 = [0.5, -1, 2, 0.25, -0.5, 3];
    const g2 = [-0.5, 1, 1, 0.5, 0.5, -1];
    const expected = p0.slice();
    const m1 = new Array(6).fill(0);
    const m2 = new Array(6).fill(0);
    [g1, g2].forEach((g, t) => {
      h.set(g, gw);
      h.set([0, 0], gb);
      for (let i = 0; i < 6; i++) {
        if (!mask[i]) continue;
        const gi = g[i] + cfg.weightDecay * expected[i];
        if (cfg.kind === 'sgd') {
          m1[i] = cfg.momentum * m1[i] + gi;
          expected[i] -= cfg.lr * m1[i];
        } else {
          m1[i] = 0.9 * m1[i] + 0.1 * gi;
          m2[i] = 0.999 * m2[i] + 0.001 * gi * gi;
          const mh = m1[i] / (1 - 0.9 ** (t + 1));
          const vh = m2[i] / (1 - 0.999 ** (t + 1));
          expected[i] -= (cfg.lr * mh) / (Math.sqrt(vh) + 1e-8);
        }
      }
      opt.step([gw, gb]);
    });
    const after = Array.from(model.view(w));
    for (let i = 0; i < 6; i++) expect(after[i]).toBeCloseTo(expected[i], 12);
    expect(after[1]).toBe(p0[1]);
    expect(after[5]).toBe(p0[5]);
    expect(after[0]).not.toBe(p0[0]);
    expect(Array.from(model.view(b))).toEqual([0, 0]); // zero gradient, zero weights: no decay either
  });
});
