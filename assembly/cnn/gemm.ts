// GEMM kernels of the CNN engine (AssemblyScript → WebAssembly SIMD, float32).
// Arguments are element offsets into the shared heap; see src/real/nn/kernels.ts for the contract.
// Register budget: V8 gives a wasm function 15 usable xmm registers, so tiles keep ≤ 11 vectors live.

/**
 * C (+)= A·B where A(i, k) is at A + i·rsA + k·csA (bytes), B is [K, N] and C is [M, N]; then the epilogue
 * of a convolution: + bias[i] per row (pbias ≠ 0), and max(·, 0) if relu (pmax(0, x) = 0 < x ? x : 0).
 */
function gemmXN(
  M: i32,
  N: i32,
  K: i32,
  pa: usize,
  rsA: usize,
  csA: usize,
  pb: usize,
  sb: usize,
  pc: usize,
  sc: usize,
  acc: i32,
  pbias: usize,
  relu: i32,
): void {
  const rs2 = rsA << 1;
  const rs3 = rs2 + rsA;
  const zero = f32x4.splat(0);
  // Without bias, the bias loads read zeros from a tiny zero block at address 0 (never written).
  const bstep: usize = pbias ? 4 : 0;
  let j = 0;
  // Panels of 8 columns: every 4-row block of A reuses the panel from L1.
  for (; j + 8 <= N; j += 8) {
    const bj = pb + (<usize>j << 2);
    const cj = pc + (<usize>j << 2);
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      let c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
      let a = pa + <usize>i * rsA;
      let b = bj;
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(b);
        const b1 = v128.load(b, 16);
        let av = v128.load32_splat(a);
        c00 = f32x4.add(c00, f32x4.mul(av, b0));
        c01 = f32x4.add(c01, f32x4.mul(av, b1));
        av = v128.load32_splat(a + rsA);
        c10 = f32x4.add(c10, f32x4.mul(av, b0));
        c11 = f32x4.add(c11, f32x4.mul(av, b1));
        av = v128.load32_splat(a + rs2);
        c20 = f32x4.add(c20, f32x4.mul(av, b0));
        c21 = f32x4.add(c21, f32x4.mul(av, b1));
        av = v128.load32_splat(a + rs3);
        c30 = f32x4.add(c30, f32x4.mul(av, b0));
        c31 = f32x4.add(c31, f32x4.mul(av, b1));
        a += csA;
        b += sb;
      }
      const c = cj + <usize>i * sc;
      if (acc) {
        c00 = f32x4.add(c00, v128.load(c));
        c01 = f32x4.add(c01, v128.load(c, 16));
        c10 = f32x4.add(c10, v128.load(c + sc));
        c11 = f32x4.add(c11, v128.load(c + sc, 16));
        c20 = f32x4.add(c20, v128.load(c + 2 * sc));
        c21 = f32x4.add(c21, v128.load(c + 2 * sc, 16));
        c30 = f32x4.add(c30, v128.load(c + 3 * sc));
        c31 = f32x4.add(c31, v128.load(c + 3 * sc, 16));
      }
      const bi = pbias + <usize>i * bstep;
      let bv = v128.load32_splat(bi);
      c00 = f32x4.add(c00, bv);
      c01 = f32x4.add(c01, bv);
      bv = v128.load32_splat(bi + bstep);
      c10 = f32x4.add(c10, bv);
      c11 = f32x4.add(c11, bv);
      bv = v128.load32_splat(bi + 2 * bstep);
      c20 = f32x4.add(c20, bv);
      c21 = f32x4.add(c21, bv);
      bv = v128.load32_splat(bi + 3 * bstep);
      c30 = f32x4.add(c30, bv);
      c31 = f32x4.add(c31, bv);
      if (relu) {
        c00 = f32x4.pmax(zero, c00);
        c01 = f32x4.pmax(zero, c01);
        c10 = f32x4.pmax(zero, c10);
        c11 = f32x4.pmax(zero, c11);
        c20 = f32x4.pmax(zero, c20);
        c21 = f32x4.pmax(zero, c21);
        c30 = f32x4.pmax(zero, c30);
        c31 = f32x4.pmax(zero, c31);
      }
      v128.store(c, c00);
      v128.store(c, c01, 16);
      v128.store(c + sc, c10);
      v128.store(c + sc, c11, 16);
      v128.store(c + 2 * sc, c20);
      v128.store(c + 2 * sc, c21, 16);
      v128.store(c + 3 * sc, c30);
      v128.store(c + 3 * sc, c31, 16);
    }
    for (; i < M; i++) {
      let c0 = zero, c1 = zero;
      let a = pa + <usize>i * rsA;
      let b = bj;
      for (let k = 0; k < K; k++) {
        const av = v128.load32_splat(a);
        c0 = f32x4.add(c0, f32x4.mul(av, v128.load(b)));
        c1 = f32x4.add(c1, f32x4.mul(av, v128.load(b, 16)));
        a += csA;
        b += sb;
      }
      const c = cj + <usize>i * sc;
      if (acc) {
        c0 = f32x4.add(c0, v128.load(c));
        c1 = f32x4.add(c1, v128.load(c, 16));
      }
      const bv = v128.load32_splat(pbias + <usize>i * bstep);
      c0 = f32x4.add(c0, bv);
      c1 = f32x4.add(c1, bv);
      if (relu) {
        c0 = f32x4.pmax(zero, c0);
        c1 = f32x4.pmax(zero, c1);
      }
      v128.store(c, c0);
      v128.store(c, c1, 16);
    }
  }
  for (; j + 4 <= N; j += 4) {
    const bj = pb + (<usize>j << 2);
    const cj = pc + (<usize>j << 2);
    for (let i = 0; i < M; i++) {
      let c0 = zero;
      let a = pa + <usize>i * rsA;
      let b = bj;
      for (let k = 0; k < K; k++) {
        c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(a), v128.load(b)));
        a += csA;
        b += sb;
      }
      const c = cj + <usize>i * sc;
      if (acc) c0 = f32x4.add(c0, v128.load(c));
      c0 = f32x4.add(c0, v128.load32_splat(pbias + <usize>i * bstep));
      if (relu) c0 = f32x4.pmax(zero, c0);
      v128.store(c, c0);
    }
  }
  for (; j < N; j++) {
    for (let i = 0; i < M; i++) {
      let s: f32 = 0;
      let a = pa + <usize>i * rsA;
      let b = pb + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        s += load<f32>(a) * load<f32>(b);
        a += csA;
        b += sb;
      }
      const c = pc + <usize>i * sc + (<usize>j << 2);
      const v = (acc ? load<f32>(c) + s : s) + load<f32>(pbias + <usize>i * bstep);
      store<f32>(c, relu && !(v > 0) ? 0 : v);
    }
  }
}

export function gemmNN(
  M: i32,
  N: i32,
  K: i32,
  A: i32,
  lda: i32,
  B: i32,
  ldb: i32,
  C: i32,
  ldc: i32,
  acc: i32,
  bias: i32,
  relu: i32,
): void {
  const pc = <usize>C << 2;
  const sc = <usize>ldc << 2;
  gemmXN(M, N, K, <usize>A << 2, <usize>lda << 2, 4, <usize>B << 2, <usize>ldb << 2, pc, sc, acc, <usize>bias << 2, relu);
}

export function gemmTN(M: i32, N: i32, K: i32, A: i32, lda: i32, B: i32, ldb: i32, C: i32, ldc: i32, acc: i32): void {
  gemmXN(M, N, K, <usize>A << 2, 4, <usize>lda << 2, <usize>B << 2, <usize>ldb << 2, <usize>C << 2, <usize>ldc << 2, acc, 0, 0);
}

function hsum(v: v128): f64 {
  return (
    <f64>f32x4.extract_lane(v, 0) +
    <f64>f32x4.extract_lane(v, 1) +
    (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3))
  );
}

/** Dot product of n floats in float32 lanes (n ≤ a chunk, so float32 error stays small). */
function dot1(n: i32, a: usize, b: usize): f64 {
  let v = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    v = f32x4.add(v, f32x4.mul(v128.load(a), v128.load(b)));
    a += 16;
    b += 16;
  }
  let s = hsum(v);
  for (; k < n; k++) {
    s += <f64>(load<f32>(a) * load<f32>(b));
    a += 4;
    b += 4;
  }
  return s;
}

/** rows of the reduction handled per pass: partial sums of this many terms stay float32, the rest float64 */
const KC: i32 = 512;

/**
 * C (+)= A[M,K] · B[N,K]ᵀ: the long reductions (weight gradients sum over batch × positions). The k range
 * is cut into chunks that stay in cache; each chunk's float32 partial sums are added into a float64
 * accumulator (tmp: M·N float64, 8-byte aligned), which is rounded into C once at the end.
 * flags: 1 adds to C; 2 continues the sums in tmp (no zeroing); 4 stops before writing C.
 */
export function gemmNT(
  M: i32,
  N: i32,
  K: i32,
  A: i32,
  lda: i32,
  B: i32,
  ldb: i32,
  C: i32,
  ldc: i32,
  flags: i32,
  tmp: i32,
): void {
  const pa = <usize>A << 2;
  const pb = <usize>B << 2;
  const sa = <usize>lda << 2;
  const sb = <usize>ldb << 2;
  const t = <usize>tmp << 2;
  const sn = <usize>N << 3;
  if (!(flags & 2)) memory.fill(t, 0, <usize>M * sn);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kn = min(KC, K - k0);
    const kn4 = kn & ~3;
    const ko = <usize>k0 << 2;
    let i = 0;
    for (; i + 2 <= M; i += 2) {
      const a0 = pa + <usize>i * sa + ko;
      const a1 = a0 + sa;
      const t0 = t + <usize>i * sn;
      const t1 = t0 + sn;
      let j = 0;
      for (; j + 4 <= N; j += 4) {
        const b0 = pb + <usize>j * sb + ko;
        const b1 = b0 + sb;
        const b2 = b1 + sb;
        const b3 = b2 + sb;
        let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        for (let k = 0; k < kn4; k += 4) {
          const o = <usize>k << 2;
          const x0 = v128.load(a0 + o);
          const x1 = v128.load(a1 + o);
          let y = v128.load(b0 + o);
          c00 = f32x4.add(c00, f32x4.mul(x0, y));
          c10 = f32x4.add(c10, f32x4.mul(x1, y));
          y = v128.load(b1 + o);
          c01 = f32x4.add(c01, f32x4.mul(x0, y));
          c11 = f32x4.add(c11, f32x4.mul(x1, y));
          y = v128.load(b2 + o);
          c02 = f32x4.add(c02, f32x4.mul(x0, y));
          c12 = f32x4.add(c12, f32x4.mul(x1, y));
          y = v128.load(b3 + o);
          c03 = f32x4.add(c03, f32x4.mul(x0, y));
          c13 = f32x4.add(c13, f32x4.mul(x1, y));
        }
        const tj0 = t0 + (<usize>j << 3);
        const tj1 = t1 + (<usize>j << 3);
        store<f64>(tj0, load<f64>(tj0) + hsum(c00));
        store<f64>(tj0 + 8, load<f64>(tj0 + 8) + hsum(c01));
        store<f64>(tj0 + 16, load<f64>(tj0 + 16) + hsum(c02));
        store<f64>(tj0 + 24, load<f64>(tj0 + 24) + hsum(c03));
        store<f64>(tj1, load<f64>(tj1) + hsum(c10));
        store<f64>(tj1 + 8, load<f64>(tj1 + 8) + hsum(c11));
        store<f64>(tj1 + 16, load<f64>(tj1 + 16) + hsum(c12));
        store<f64>(tj1 + 24, load<f64>(tj1 + 24) + hsum(c13));
        if (kn4 < kn) {
          const o = <usize>kn4 << 2;
          const r = kn - kn4;
          for (let q = 0; q < 4; q++) {
            const bq = b0 + <usize>q * sb + o;
            store<f64>(tj0 + (<usize>q << 3), load<f64>(tj0 + (<usize>q << 3)) + dot1(r, a0 + o, bq));
            store<f64>(tj1 + (<usize>q << 3), load<f64>(tj1 + (<usize>q << 3)) + dot1(r, a1 + o, bq));
          }
        }
      }
      for (; j < N; j++) {
        const bj = pb + <usize>j * sb + ko;
        const tj = <usize>j << 3;
        store<f64>(t0 + tj, load<f64>(t0 + tj) + dot1(kn, a0, bj));
        store<f64>(t1 + tj, load<f64>(t1 + tj) + dot1(kn, a1, bj));
      }
    }
    for (; i < M; i++) {
      const ai = pa + <usize>i * sa + ko;
      const ti = t + <usize>i * sn;
      for (let j = 0; j < N; j++) {
        const tj = ti + (<usize>j << 3);
        store<f64>(tj, load<f64>(tj) + dot1(kn, ai, pb + <usize>j * sb + ko));
      }
    }
  }
  if (flags & 4) return;
  const acc = flags & 1;
  const pc = <usize>C << 2;
  const sc = <usize>ldc << 2;
  for (let i = 0; i < M; i++) {
    const ci = pc + <usize>i * sc;
    const ti = t + <usize>i * sn;
    for (let j = 0; j < N; j++) {
      const c = ci + (<usize>j << 2);
      const s = load<f64>(ti + (<usize>j << 3));
      store<f32>(c, <f32>(acc ? <f64>load<f32>(c) + s : s));
    }
  }
}
