import { describe, expect, it } from 'vitest';
import { plainBackend } from '../../src/real/nn/backend.js';
import { chunksOf } from '../../src/real/nn/layers.js';
import { Model, type LayerSpec, type ImageShape } from '../../src/real/nn/net.js';
import { compileShard, type Shard } from '../../src/real/nn/shard.js';
import { Rng } from '../../src/util/rng.js';

/**
 * Central finite differences of the batch-mean cross-entropy in float64, against the backward programs:
 * every parameter entry and every input entry. Returns the largest relative error.
 */
function gradcheck(layers: LayerSpec[], input: ImageShape, N: number, columnBudget?: number, mutate?: (s: Shard) => void): number {
  const backend = plainBackend('float64');
  const model = new Model(backend.heap, layers, input);
  const rng = new Rng(3, 'gradcheck');
  model.init(rng);
  // Non-zero biases, so that bias paths are exercised away from 0.
  for (const p of model.params) if (p.role === 'bias') model.view(p).forEach((_, i, a) => (a[i] = 0.1 * rng.normal()));
  const shard = compileShard(model, N, { inputGrad: true, columnBudget });
  mutate?.(shard);
  const h = () => backend.heap.data;
  const nIn = input.c * input.h * input.w * N;
  for (let i = 0; i < nIn; i++) h()[shard.input + i] = rng.normal();
  for (let n = 0; n < N; n++) h()[shard.labels + n] = n % model.classes;
  h()[shard.scaleAt] = 1 / N;
  const loss = () => {
    backend.run(shard.forward);
    backend.run(shard.backward);
    let s = 0;
    for (let n = 0; n < N; n++) s += h()[shard.losses + n];
    return s / N;
  };
  loss();
  const analytic: [number, number][] = []; // [offset of the value, analytic gradient]
  model.params.forEach((p, j) => {
    if (p.fixed) return;
    for (let i = 0; i < p.size; i++) analytic.push([p.offset + i, h()[shard.grads[j] + i]]);
  });
  for (let i = 0; i < nIn; i++) analytic.push([shard.input + i, h()[shard.inputGrad + i]]);
  const eps = 1e-6;
  let worst = 0;
  for (const [at, g] of analytic) {
    const v = h()[at];
    h()[at] = v + eps;
    const up = loss();
    h()[at] = v - eps;
    const down = loss();
    h()[at] = v;
    const fd = (up - down) / (2 * eps);
    worst = Math.max(worst, Math.abs(fd - g) / Math.max(1e-3, Math.abs(fd) + Math.abs(g)));
  }
  return worst;
}

describe('finite-difference gradient checks (float64)', () => {
  const img = { c: 2, h: 7, w: 6 };
  it('conv (stride 1, no padding) + flatten + linear', () => {
    expect(gradcheck([{ kind: 'conv', out: 3, k: 3 }, { kind: 'flatten' }, { kind: 'linear', out: 4 }], img, 3)).toBeLessThan(1e-6);
  });
  it('conv with stride 2 and padding + ReLU + global average pool + linear', () => {
    const net: LayerSpec[] = [
      { kind: 'conv', out: 4, k: 3, stride: 2, pad: 1 },
      { kind: 'relu' },
      { kind: 'gap' },
      { kind: 'linear', out: 3 },
    ];
    expect(gradcheck(net, img, 3)).toBeLessThan(1e-6);
  });
  it('convolutions computed in chunks of images (columns recomputed in the backward pass)', () => {
    const net: LayerSpec[] = [
      { kind: 'conv', out: 3, k: 3, pad: 1 },
      { kind: 'relu' },
      { kind: 'conv', out: 2, k: 3, stride: 2 },
      { kind: 'gap' },
      { kind: 'linear', out: 3 },
    ];
    // 18·42 column floats per image of the first conv: a budget of 1600 gives chunks of 2 images.
    expect(chunksOf(18 * 42, 5, 1600)).toEqual([[0, 2], [2, 2], [4, 1]]);
    expect(gradcheck(net, img, 5, 1600)).toBeLessThan(1e-6);
  });
  it('2×2 max-pool on an odd-sized input', () => {
    const net: LayerSpec[] = [{ kind: 'conv', out: 3, k: 2 }, { kind: 'maxpool' }, { kind: 'flatten' }, { kind: 'linear', out: 3 }];
    expect(gradcheck(net, { c: 1, h: 8, w: 8 }, 2)).toBeLessThan(1e-6);
  });
  it('residual block (identity shortcut) and 1×1 projection with stride', () => {
    const net: LayerSpec[] = [
      { kind: 'conv', out: 3, k: 3, pad: 1 }, // 0
      { kind: 'relu' }, // 1
      { kind: 'conv', out: 3, k: 3, pad: 1 }, // 2
      { kind: 'relu' }, // 3
      { kind: 'conv', out: 3, k: 3, pad: 1 }, // 4
      { kind: 'add', inputs: [4, 1] }, // 5: the shortcut gets two gradients
      { kind: 'relu' }, // 6
      { kind: 'conv', out: 4, k: 3, stride: 2, pad: 1 }, // 7
      { kind: 'conv', out: 4, k: 1, stride: 2, input: 6 }, // 8: projection
      { kind: 'add', inputs: [7, 8] }, // 9
      { kind: 'gap', sum: true },
      { kind: 'linear', out: 3 },
    ];
    expect(gradcheck(net, img, 2)).toBeLessThan(1e-6);
  });
  it('hidden linear layers with ReLU, and an input read twice', () => {
    const net: LayerSpec[] = [
      { kind: 'add', inputs: [-1, -1] },
      { kind: 'flatten' },
      { kind: 'linear', out: 5 },
      { kind: 'relu' },
      { kind: 'linear', out: 3 },
    ];
    expect(gradcheck(net, { c: 1, h: 3, w: 4 }, 4)).toBeLessThan(1e-6);
  });
  it('a tensor read by flatten and by a pool (accumulated gradients through every path)', () => {
    const net: LayerSpec[] = [
      { kind: 'conv', out: 2, k: 3 }, // 0
      { kind: 'flatten', input: 0 }, // 1
      { kind: 'linear', out: 3 }, // 2
      { kind: 'gap', input: 0 }, // 3
      { kind: 'linear', out: 3 }, // 4
      { kind: 'add', inputs: [2, 4] }, // 5
    ];
    expect(gradcheck(net, { c: 1, h: 5, w: 5 }, 2)).toBeLessThan(1e-6);
  });
  it('patch convolution with a fixed class-sum head (the two-layer CNN)', () => {
    const fixed = new Float64Array(2 * 6);
    for (let j = 0; j < 2; j++) for (let r = 0; r < 3; r++) fixed[j * 6 + j * 3 + r] = 1 / 3;
    const net: LayerSpec[] = [
      { kind: 'conv', out: 6, k: 3, stride: 3 },
      { kind: 'relu' },
      { kind: 'gap', sum: true },
      { kind: 'linear', out: 2, fixed },
    ];
    expect(gradcheck(net, { c: 1, h: 6, w: 6 }, 3)).toBeLessThan(1e-6);
  });
  it('detects a wrong gradient (the check can fail)', () => {
    const net: LayerSpec[] = [{ kind: 'conv', out: 2, k: 2 }, { kind: 'flatten' }, { kind: 'linear', out: 2 }];
    expect(gradcheck(net, { c: 1, h: 3, w: 3 }, 2)).toBeLessThan(1e-6);
    // Drop the last backward op (the input gradient's col2im): the check must notice.
    expect(gradcheck(net, { c: 1, h: 3, w: 3 }, 2, undefined, (s) => void s.backward.pop())).toBeGreaterThan(0.1);
  });
});
