import { describe, expect, it } from 'vitest';
import { plainBackend, wasmBackend, type Backend } from '../../src/real/nn/backend.js';
import { kernelIndex, type KernelName } from '../../src/real/nn/kernels.js';
import { Rng } from '../../src/util/rng.js';

/** The same buffers in a plain float32 heap and in the WebAssembly heap. */
interface Buf {
  p: number;
  w: number;
  n: number;
}

class Twin {
  readonly plain: Backend = plainBackend('float32');
  readonly wasm: Backend = wasmBackend();
  private rng = new Rng(7, 'kernels');

  buf(n: number, fill: 'normal' | 'zero' | ((i: number) => number) = 'normal'): Buf {
    const b = { p: this.plain.heap.alloc(n), w: this.wasm.heap.alloc(n), n };
    for (let i = 0; i < n; i++) {
      const v = fill === 'zero' ? 0 : fill === 'normal' ? this.rng.normal() : fill(i);
      this.plain.heap.data[b.p + i] = v;
      this.wasm.heap.data[b.w + i] = v;
    }
    return b;
  }

  call(name: KernelName, ...args: (number | Buf)[]): void {
    const k = kernelIndex[name];
    this.plain.table[k](...args.map((a) => (typeof a === 'number' ? a : a.p)));
    this.wasm.table[k](...args.map((a) => (typeof a === 'number' ? a : a.w)));
  }

  values(b: Buf): [Float32Array, Float32Array] {
    return [
      Float32Array.from(this.plain.heap.data.subarray(b.p, b.p + b.n)),
      Float32Array.from(this.wasm.heap.data.subarray(b.w, b.w + b.n)),
    ];
  }

  /** max |plain − wasm| relative to max(1, max |plain|) */
  diff(b: Buf): number {
    const [x, y] = this.values(b);
    let d = 0;
    let m = 1;
    for (let i = 0; i < x.length; i++) {
      d = Math.max(d, Math.abs(x[i] - y[i]));
      m = Math.max(m, Math.abs(x[i]));
    }
    return d / m;
  }

  expectEqual(b: Buf): void {
    const [x, y] = this.values(b);
    expect(Array.from(y)).toEqual(Array.from(x));
  }
}

describe('WebAssembly kernels equal the plain loops', () => {
  const t = new Twin();
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [4, 8, 9],
    [5, 13, 17],
    [9, 21, 33],
    [16, 37, 144],
    [33, 70, 5],
  ];

  it.each(shapes)('gemmNN / gemmTN / gemmNT at M=%i N=%i K=%i (with and without acc)', (M, N, K) => {
    for (const acc of [0, 1]) {
      const A = t.buf(M * K);
      const B = t.buf(K * N);
      const C = t.buf(M * N);
      t.call('gemmNN', M, N, K, A, K, B, N, C, N, acc, 0, 0);
      expect(t.diff(C)).toBeLessThan(2e-6);
      const bias = t.buf(M);
      t.call('gemmNN', M, N, K, A, K, B, N, C, N, acc, bias, 1);
      expect(t.diff(C)).toBeLessThan(2e-6);
      expect(Math.min(...t.values(C)[1])).toBeGreaterThanOrEqual(0);
      const At = t.buf(K * M);
      t.call('gemmTN', M, N, K, At, M, B, N, C, N, acc);
      expect(t.diff(C)).toBeLessThan(2e-6);
      const Bt = t.buf(N * K);
      const tmp = t.buf(2 * M * N, 'zero');
      t.call('gemmNT', M, N, K, A, K, Bt, K, C, N, acc, tmp);
      expect(t.diff(C)).toBeLessThan(2e-6);
    }
  });

  it('gemm honours leading dimensions (sub-matrices)', () => {
    const [M, N, K] = [6, 11, 7];
    const A = t.buf(M * (K + 3));
    const B = t.buf(K * (N + 5));
    const C = t.buf(M * (N + 2));
    t.call('gemmNN', M, N, K, A, K + 3, B, N + 5, C, N + 2, 0, 0, 0);
    expect(t.diff(C)).toBeLessThan(2e-6);
    const Bt = t.buf(N * (K + 9));
    t.call('gemmNT', M, N, K, A, K + 3, Bt, K + 9, C, N + 2, 1, t.buf(2 * M * N));
    expect(t.diff(C)).toBeLessThan(2e-6);
  });

  it('gemmNT summed over chunks (flags 2 and 4) equals one call', () => {
    const [M, N, K] = [5, 6, 77];
    const A = t.buf(M * K);
    const B = t.buf(N * K);
    const whole = t.buf(M * N);
    const parts = t.buf(M * N, () => 5);
    const tmp = t.buf(2 * M * N);
    t.call('gemmNT', M, N, K, A, K, B, K, whole, N, 0, tmp);
    const cut = [0, 30, 31, 77];
    for (let i = 0; i < 3; i++) {
      const flags = (i > 0 ? 2 : 0) | (i < 2 ? 4 : 0) | 1;
      const o = cut[i];
      t.call('gemmNT', M, N, cut[i + 1] - o, { ...A, p: A.p + o, w: A.w + o }, K, { ...B, p: B.p + o, w: B.w + o }, K, parts, N, flags, tmp);
    }
    const [pw, ww] = t.values(whole);
    const [pp, wp] = t.values(parts);
    for (let i = 0; i < M * N; i++) {
      expect(pp[i]).toBeCloseTo(pw[i] + 5, 5);
      expect(wp[i]).toBeCloseTo(ww[i] + 5, 5);
    }
  });

  it('gemmNT over a long reduction (several float32 chunks) stays within float32 rounding', () => {
    const [M, N, K] = [3, 5, 2000];
    const A = t.buf(M * K);
    const B = t.buf(N * K);
    const C = t.buf(M * N);
    t.call('gemmNT', M, N, K, A, K, B, K, C, N, 0, t.buf(2 * M * N));
    expect(t.diff(C)).toBeLessThan(1e-6 * Math.sqrt(K));
  });

  it.each([
    [1, 1, 5, 5, 3, 1, 0],
    [2, 3, 7, 6, 3, 1, 1],
    [3, 2, 9, 8, 3, 2, 1],
    [2, 2, 8, 8, 1, 2, 0],
    [1, 3, 11, 13, 5, 2, 2],
    [4, 2, 28, 28, 3, 1, 0],
  ])('im2col / col2im at C=%i N=%i H=%i W=%i k=%i stride=%i pad=%i', (C, N, H, W, k, stride, pad) => {
    const Ho = Math.floor((H + 2 * pad - k) / stride) + 1;
    const Wo = Math.floor((W + 2 * pad - k) / stride) + 1;
    const x = t.buf(C * N * H * W);
    const cols = t.buf(C * k * k * N * Ho * Wo, () => 99);
    t.call('im2col', C, N, N, H, W, k, k, stride, pad, Ho, Wo, x, cols);
    t.expectEqual(cols);
    const dx = t.buf(C * N * H * W);
    t.call('col2im', C, N, N, H, W, k, k, stride, pad, Ho, Wo, cols, dx);
    expect(t.diff(dx)).toBeLessThan(1e-6);
    // A chunk of images 1…N−1 of a batch of N + 1 (channel planes N + 1 images apart).
    if (N > 1) {
      const big = t.buf(C * (N + 1) * H * W);
      const part = t.buf(C * k * k * (N - 1) * Ho * Wo);
      t.call('im2col', C, N - 1, N + 1, H, W, k, k, stride, pad, Ho, Wo, { ...big, p: big.p + H * W, w: big.w + H * W }, part);
      t.expectEqual(part);
      t.call('col2im', C, N - 1, N + 1, H, W, k, k, stride, pad, Ho, Wo, part, { ...big, p: big.p + H * W, w: big.w + H * W });
      expect(t.diff(big)).toBeLessThan(1e-6);
    }
  });

  it('element-wise, pooling, layout and loss kernels', () => {
    const n = 103;
    const x = t.buf(n, (i) => (i % 7 === 0 ? 0 : i % 5 === 0 ? -0 : Math.sin(i * 1.3)));
    const y = t.buf(n, 'zero');
    const g = t.buf(n);
    const d = t.buf(n);
    for (const name of ['relu'] as const) {
      t.call(name, n, x, y);
      t.expectEqual(y);
    }
    t.call('reluBack', n, y, g, d, 0);
    t.expectEqual(d);
    t.call('reluBack', n, y, g, d, 1);
    t.expectEqual(d);
    t.call('addTo', n, x, d);
    t.expectEqual(d);
    t.call('add', n, x, g, d);
    t.expectEqual(d);
    t.call('copy', n, g, d);
    t.expectEqual(d);
    t.call('fill', n - 2, d, 0.25);
    t.expectEqual(d);

    const [C, S] = [5, 37];
    const a = t.buf(C * S);
    const db = t.buf(C);
    t.call('biasGrad', C, S, a, db, 1);
    expect(t.diff(db)).toBeLessThan(1e-6);
    const gp = t.buf(C);
    t.call('gpool', C, S, 1 / S, a, gp);
    expect(t.diff(gp)).toBeLessThan(1e-6);
    t.call('gpoolBack', C, S, 1 / S, gp, a, 1);
    expect(t.diff(a)).toBeLessThan(1e-6);

    for (const [P, H, W] of [
      [3, 6, 6],
      [2, 7, 5],
      [4, 11, 11],
      [2, 28, 26],
    ]) {
      const px = t.buf(P * H * W, (i) => Math.round(4 * Math.cos(i)) / 4); // ties inside windows
      const py = t.buf(P * (H >> 1) * (W >> 1));
      t.call('maxpool', P, H, W, px, py);
      t.expectEqual(py);
      const pdy = t.buf(P * (H >> 1) * (W >> 1));
      const pdx = t.buf(P * H * W);
      t.call('maxpoolBack', P, H, W, px, py, pdy, pdx, 0);
      t.expectEqual(pdx);
      t.call('maxpoolBack', P, H, W, px, py, pdy, pdx, 1);
      t.expectEqual(pdx);
    }

    const tr = t.buf(3 * 5 * 7);
    const tt = t.buf(3 * 5 * 7);
    t.call('transpose', 3, 5, 7, tr, tt);
    t.expectEqual(tt);

    const [N, K] = [9, 6];
    const logits = t.buf(K * N, (i) => 3 * Math.sin(i));
    const labels = t.buf(N, (i) => (i === 4 ? -1 : i % K));
    const dl = t.buf(K * N);
    const losses = t.buf(N);
    const scale = t.buf(1, () => 1 / 8);
    t.call('softmaxCE', N, K, logits, labels, dl, losses, scale);
    expect(t.diff(dl)).toBeLessThan(1e-6);
    expect(t.diff(losses)).toBeLessThan(1e-6);
    const [pl] = t.values(losses);
    expect(pl[4]).toBe(0);
    expect(pl[0]).toBeGreaterThan(0);
  });
});
