import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/presets.js';
import { makeFrame } from '../../src/data/frame.js';
import { makeTask, sampleTask } from '../../src/data/task.js';
import { denseEngine } from '../../src/engine/dense.js';
import { gemmABt, gemmAddAB, plain } from '../../src/kernels/gemm.js';
import { atomProducts, gemmABtFast, rowProducts, setResidentLimit } from '../../src/kernels/products.js';
import { helperCalls, setKernelThreads } from '../../src/kernels/threads.js';
import { setWasmKernels, wasmKernelsAvailable } from '../../src/kernels/wasm.js';
import { Rng } from '../../src/util/rng.js';

/**
 * Every GEMM path — TypeScript blocked, WebAssembly SIMD, plain loops — sums each output in the same order,
 * so they must agree bit for bit (not merely to a tolerance) on random inputs, including sizes that are not
 * multiples of any block (rows 1, 3, 5, 17; K off the 8-column chunks) and gradients with zero entries.
 */

function random(rng: Rng, n: number, zeroFraction = 0): Float64Array {
  const x = rng.fillNormal(new Float64Array(n));
  if (zeroFraction > 0) for (let i = 0; i < n; i++) if (rng.uniform() < zeroFraction) x[i] = 0;
  return x;
}

/** The first index where a and b differ as bit patterns (−0 ≠ +0, NaN = NaN), or −1. */
function firstBitDifference(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

// [rows of A, rows of B, K]: block remainders in every dimension, K below, at and across the 8-column chunks
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [5, 3, 8],
  [17, 9, 9],
  [8, 2, 16],
  [9, 17, 33],
  [40, 41, 100],
  [2, 1, 0],
];

afterEach(() => {
  setWasmKernels(true);
  setKernelThreads(2);
});

describe('GEMM kernels', () => {
  it('runs the WebAssembly SIMD kernels on Node 20 (so the comparisons below test them)', () => {
    expect(wasmKernelsAvailable()).toBe(true);
    setWasmKernels(false);
    expect(wasmKernelsAvailable()).toBe(false);
  });

  it('gemmABt: TypeScript blocked, WebAssembly and plain give the same bits', () => {
    const rng = new Rng(1, 'abt');
    for (const [na, nb, K] of shapes) {
      const A = random(rng, na * K);
      const B = random(rng, nb * K);
      const want = new Float64Array(na * nb);
      plain.gemmABt(A, na, B, nb, K, want);
      const ts = new Float64Array(na * nb);
      gemmABt(A, na, B, nb, K, ts);
      expect(firstBitDifference(ts, want), `ts ${na}×${nb}×${K}`).toBe(-1);
      expect(firstBitDifference(rowProducts(B, nb, K, na).multiply(A, na), want), `wasm ${na}×${nb}×${K}`).toBe(-1);
      expect(firstBitDifference(gemmABtFast(A, na, B, nb, K), want), `fast ${na}×${nb}×${K}`).toBe(-1);
      if (na * nb > 0 && K > 0) expect(want.some((v) => v !== 0)).toBe(true);
    }
  });

  it('gemmAddAB: sparse H, TypeScript blocked and plain give the same bits', () => {
    const rng = new Rng(2, 'addab');
    for (const [rows, na, K] of shapes) {
      const H = random(rng, rows * na, 0.5);
      const Z = random(rng, na * K);
      const W0 = random(rng, rows * K);
      const want = Float64Array.from(W0);
      plain.gemmAddAB(H, rows, na, Z, K, want, -0.7);
      const ts = Float64Array.from(W0);
      gemmAddAB(H, rows, na, Z, K, ts, -0.7);
      expect(firstBitDifference(ts, want), `${rows}×${na}×${K}`).toBe(-1);
      if (H.some((h) => h !== 0) && K > 0) expect(firstBitDifference(want, W0)).not.toBe(-1);
    }
  });

  it('skips zero gradient entries, so a 0·∞ atom coordinate leaves W finite', () => {
    const Z = Float64Array.from([Infinity, 1, 2, 3]);
    const H = Float64Array.from([0, 1]);
    const W = new Float64Array(2);
    plain.gemmAddAB(H, 1, 2, Z, 2, W, 1);
    expect(Array.from(W)).toEqual([2, 3]);
    const p = atomProducts(Z, 2, 2, 1);
    p.H.set(H);
    p.backward(1);
    expect(Array.from(p.W)).toEqual([2, 3]);
  });

  for (const wasm of [true, false]) {
    it(`atomProducts (${wasm ? 'WebAssembly' : 'TypeScript'}): repeated forward/backward equal the plain loops bitwise`, () => {
      setWasmKernels(wasm);
      const rng = new Rng(3, 'atoms');
      for (const [rows, A, K] of shapes) {
        const Z = random(rng, A * K);
        const p = atomProducts(Z, A, K, rows);
        const W = random(rng, rows * K);
        p.W.set(W);
        const G = new Float64Array(rows * A);
        for (let step = 0; step < 3; step++) {
          p.forward();
          plain.gemmABt(W, rows, Z, A, K, G);
          expect(firstBitDifference(p.G, G), `G ${rows}×${A}×${K} step ${step}`).toBe(-1);
          const H = random(rng, rows * A, 0.6);
          p.H.set(H);
          p.backward(-0.3);
          plain.gemmAddAB(H, rows, A, Z, K, W, -0.3);
          expect(firstBitDifference(p.W, W), `W ${rows}×${A}×${K} step ${step}`).toBe(-1);
        }
      }
    });
  }

  it('rowProducts: B packed once serves repeated products of up to maxRows rows', () => {
    const rng = new Rng(4, 'rows');
    const [nb, K] = [21, 19];
    const B = random(rng, nb * K);
    const rp = rowProducts(B, nb, K, 10);
    for (const na of [10, 1, 7]) {
      const A = random(rng, na * K);
      const want = new Float64Array(na * nb);
      plain.gemmABt(A, na, B, nb, K, want);
      expect(firstBitDifference(rp.multiply(A, na), want)).toBe(-1);
    }
    expect(() => rp.multiply(random(rng, 11 * K), 11)).toThrow(/at most 10/);
  });

  it('rowProducts streams a B too large to keep packed, block by block, with the same bits', () => {
    const rng = new Rng(5, 'stream');
    const [na, nb, K] = [9, 151, 13]; // three staging blocks of 64 rows, the last one odd
    const A = random(rng, na * K);
    const B = random(rng, nb * K);
    const want = new Float64Array(na * nb);
    plain.gemmABt(A, na, B, nb, K, want);
    const old = setResidentLimit(0);
    try {
      const rp = rowProducts(B, nb, K, na);
      expect(firstBitDifference(rp.multiply(A, na), want)).toBe(-1);
      expect(firstBitDifference(rp.multiply(A, na), want)).toBe(-1);
    } finally {
      setResidentLimit(old);
    }
  });

  it('the dense engine gives the same bits with and without WebAssembly (freezing included)', () => {
    const c = { ...defaultConfig, d: 37, m: 5, seed: 7, labelNoise: 0.1 };
    const ds = sampleTask(makeTask(makeFrame(c), c, 1), 23, new Rng(7, 'train'));
    const W0 = new Rng(7, 'init').fillNormal(new Float64Array(2 * c.m * c.d), 0.1);
    const mask = new Uint8Array(2 * c.m).map((_, r) => (r % 3 === 0 ? 1 : 0));
    const run = (wasm: boolean) => {
      setWasmKernels(wasm);
      const test: number[][] = [];
      const result = denseEngine.train({
        data: ds,
        W0,
        m: c.m,
        lr: 0.5,
        steps: 25,
        lossThreshold: 0,
        freeze: { kind: 'rows', mask },
        checkpoints: [0, 10],
        onCheckpoint: (s) => test.push(Array.from(s.scores(ds)), Array.from(s.project(ds.atoms, 2))),
      });
      return { result, test };
    };
    const fast = run(true);
    const ts = run(false);
    expect(fast.result.stepsRun).toBe(25);
    expect(fast.test).toHaveLength(6);
    expect(firstBitDifference(fast.result.W, ts.result.W)).toBe(-1);
    expect(firstBitDifference(fast.result.losses, ts.result.losses)).toBe(-1);
    expect(firstBitDifference(fast.result.coefficients, ts.result.coefficients)).toBe(-1);
    expect(fast.test).toEqual(ts.test);
    expect(fast.result.losses[25]).toBeLessThan(fast.result.losses[0]);
    // the returned weights are a copy, not a view that a later run could overwrite
    const again = run(true);
    expect(firstBitDifference(again.result.W, fast.result.W)).toBe(-1);
  });

  it('two threads give the same bits as one (forward, backward and row products split between threads)', () => {
    const rng = new Rng(6, 'threads');
    const [rows, A, K] = [24, 301, 333]; // above the hand-off threshold in both products; K has a tail
    const Z = random(rng, A * K);
    const W0 = random(rng, rows * K, 0);
    const Hs = [0, 1, 2].map(() => random(rng, rows * A, 0.5));
    const test = random(rng, 200 * K);
    const run = (threads: number) => {
      setKernelThreads(threads);
      const p = atomProducts(Z, A, K, rows);
      p.W.set(W0);
      const Gs: Float64Array[] = [];
      for (const H of Hs) {
        p.forward();
        Gs.push(Float64Array.from(p.G));
        p.H.set(H);
        p.backward(-0.2);
      }
      const scored = rowProducts(test, 200, K, rows).multiply(p.W, rows);
      return { W: Float64Array.from(p.W), Gs, scored };
    };
    const before = helperCalls();
    const two = run(2);
    expect(helperCalls() - before).toBeGreaterThanOrEqual(7); // 3 forward, 3 backward, 1 product
    const mid = helperCalls();
    const one = run(1);
    expect(helperCalls()).toBe(mid);
    expect(firstBitDifference(two.W, one.W)).toBe(-1);
    two.Gs.forEach((G, i) => expect(firstBitDifference(G, one.Gs[i])).toBe(-1));
    expect(firstBitDifference(two.scored, one.scored)).toBe(-1);
    // and both equal the plain loops
    const W = Float64Array.from(W0);
    const G = new Float64Array(rows * A);
    Hs.forEach((H) => {
      plain.gemmABt(W, rows, Z, A, K, G);
      plain.gemmAddAB(H, rows, A, Z, K, W, -0.2);
    });
    expect(firstBitDifference(two.W, W)).toBe(-1);
  });
});
