// Element-wise, pooling, layout and loss kernels of the CNN engine (float32 storage, float64 sums).
// Arguments are element offsets into the shared heap; see src/real/nn/kernels.ts for the contract.

export function fill(n: i32, dst: i32, value: f32): void {
  let p = <usize>dst << 2;
  const end = p + (<usize>n << 2);
  const v = f32x4.splat(value);
  for (; p + 16 <= end; p += 16) v128.store(p, v);
  for (; p < end; p += 4) store<f32>(p, value);
}

export function copy(n: i32, src: i32, dst: i32): void {
  memory.copy(<usize>dst << 2, <usize>src << 2, <usize>n << 2);
}

export function addTo(n: i32, src: i32, dst: i32): void {
  let s = <usize>src << 2;
  let d = <usize>dst << 2;
  const end = d + (<usize>n << 2);
  for (; d + 16 <= end; d += 16, s += 16) v128.store(d, f32x4.add(v128.load(d), v128.load(s)));
  for (; d < end; d += 4, s += 4) store<f32>(d, load<f32>(d) + load<f32>(s));
}

export function add(n: i32, a: i32, b: i32, dst: i32): void {
  let x = <usize>a << 2;
  let y = <usize>b << 2;
  let d = <usize>dst << 2;
  const end = d + (<usize>n << 2);
  for (; d + 16 <= end; d += 16, x += 16, y += 16) v128.store(d, f32x4.add(v128.load(x), v128.load(y)));
  for (; d < end; d += 4, x += 4, y += 4) store<f32>(d, load<f32>(x) + load<f32>(y));
}

/** N images of [C, ldN, H, W] → [C·kh·kw, N·Ho·Wo]; out-of-image positions are 0. */
export function im2col(
  C: i32,
  N: i32,
  ldN: i32,
  H: i32,
  W: i32,
  kh: i32,
  kw: i32,
  stride: i32,
  pad: i32,
  Ho: i32,
  Wo: i32,
  src: i32,
  dst: i32,
): void {
  let d = <usize>dst << 2;
  for (let c = 0; c < C; c++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        // Output columns whose input column is inside the image: ow in [lo, hi).
        const lo = min(Wo, max(0, (pad - kj + stride - 1) / stride));
        const hi = max(lo, min(Wo, (W + pad - kj + stride - 1) / stride));
        for (let n = 0; n < N; n++) {
          const plane = (<usize>src << 2) + ((<usize>(c * ldN + n) * <usize>(H * W)) << 2);
          for (let oh = 0; oh < Ho; oh++) {
            const ih = oh * stride - pad + ki;
            if (ih < 0 || ih >= H) {
              memory.fill(d, 0, <usize>Wo << 2);
              d += <usize>Wo << 2;
              continue;
            }
            let ow = 0;
            for (; ow < lo; ow++, d += 4) store<f32>(d, 0);
            let s = plane + (<usize>(ih * W + lo * stride - pad + kj) << 2);
            if (stride == 1) {
              const n4 = hi - lo;
              let q = 0;
              for (; q + 4 <= n4; q += 4, d += 16, s += 16) v128.store(d, v128.load(s));
              for (; q < n4; q++, d += 4, s += 4) store<f32>(d, load<f32>(s));
              ow = hi;
            } else {
              const step = <usize>stride << 2;
              for (ow = lo; ow < hi; ow++, d += 4, s += step) store<f32>(d, load<f32>(s));
            }
            for (; ow < Wo; ow++, d += 4) store<f32>(d, 0);
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: every column entry is added into the input position it was read from. */
export function col2im(
  C: i32,
  N: i32,
  ldN: i32,
  H: i32,
  W: i32,
  kh: i32,
  kw: i32,
  stride: i32,
  pad: i32,
  Ho: i32,
  Wo: i32,
  cols: i32,
  dst: i32,
): void {
  let s = <usize>cols << 2;
  for (let c = 0; c < C; c++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const lo = min(Wo, max(0, (pad - kj + stride - 1) / stride));
        const hi = max(lo, min(Wo, (W + pad - kj + stride - 1) / stride));
        for (let n = 0; n < N; n++) {
          const plane = (<usize>dst << 2) + ((<usize>(c * ldN + n) * <usize>(H * W)) << 2);
          for (let oh = 0; oh < Ho; oh++) {
            const ih = oh * stride - pad + ki;
            if (ih < 0 || ih >= H) {
              s += <usize>Wo << 2;
              continue;
            }
            let d = plane + (<usize>(ih * W + lo * stride - pad + kj) << 2);
            let r = s + (<usize>lo << 2);
            if (stride == 1) {
              const n4 = hi - lo;
              let q = 0;
              for (; q + 4 <= n4; q += 4, d += 16, r += 16) v128.store(d, f32x4.add(v128.load(d), v128.load(r)));
              for (; q < n4; q++, d += 4, r += 4) store<f32>(d, load<f32>(d) + load<f32>(r));
            } else {
              const step = <usize>stride << 2;
              for (let ow = lo; ow < hi; ow++, d += step, r += 4) store<f32>(d, load<f32>(d) + load<f32>(r));
            }
            s += <usize>Wo << 2;
          }
        }
      }
    }
  }
}

/** Sum of n floats: float32 lanes over chunks of 256, float64 across chunks. */
function sum(p: usize, n: i32): f64 {
  let total: f64 = 0;
  let k = 0;
  while (k < n) {
    const end = min(n, k + 256);
    let v = f32x4.splat(0);
    for (; k + 4 <= end; k += 4, p += 16) v = f32x4.add(v, v128.load(p));
    total +=
      <f64>f32x4.extract_lane(v, 0) +
      <f64>f32x4.extract_lane(v, 1) +
      (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3));
    for (; k < end; k++, p += 4) total += <f64>load<f32>(p);
  }
  return total;
}

export function biasGrad(C: i32, S: i32, dy: i32, db: i32, acc: i32): void {
  for (let c = 0; c < C; c++) {
    const s = sum((<usize>dy << 2) + (<usize>c * S << 2), S);
    const d = (<usize>db << 2) + (<usize>c << 2);
    store<f32>(d, <f32>(acc ? <f64>load<f32>(d) + s : s));
  }
}

export function relu(n: i32, x: i32, y: i32): void {
  let s = <usize>x << 2;
  let d = <usize>y << 2;
  const end = d + (<usize>n << 2);
  const z = f32x4.splat(0);
  // pmax(0, x) = 0 < x ? x : 0, the plain kernel's rule (also for −0 and NaN).
  for (; d + 16 <= end; d += 16, s += 16) v128.store(d, f32x4.pmax(z, v128.load(s)));
  for (; d < end; d += 4, s += 4) {
    const v = load<f32>(s);
    store<f32>(d, v > 0 ? v : 0);
  }
}

export function reluBack(n: i32, y: i32, dy: i32, dx: i32, acc: i32): void {
  let a = <usize>y << 2;
  let g = <usize>dy << 2;
  let d = <usize>dx << 2;
  const end = d + (<usize>n << 2);
  const z = f32x4.splat(0);
  if (acc) {
    for (; d + 16 <= end; d += 16, a += 16, g += 16) {
      const m = f32x4.gt(v128.load(a), z);
      v128.store(d, f32x4.add(v128.load(d), v128.and(v128.load(g), m)));
    }
    for (; d < end; d += 4, a += 4, g += 4) store<f32>(d, load<f32>(d) + (load<f32>(a) > 0 ? load<f32>(g) : 0));
  } else {
    for (; d + 16 <= end; d += 16, a += 16, g += 16) {
      v128.store(d, v128.and(v128.load(g), f32x4.gt(v128.load(a), z)));
    }
    for (; d < end; d += 4, a += 4, g += 4) store<f32>(d, load<f32>(a) > 0 ? load<f32>(g) : 0);
  }
}

export function maxpool(P: i32, H: i32, W: i32, x: i32, y: i32): void {
  const Ho = H >> 1;
  const Wo = W >> 1;
  let d = <usize>y << 2;
  const row = <usize>W << 2;
  for (let p = 0; p < P; p++) {
    for (let oh = 0; oh < Ho; oh++) {
      let a = (<usize>x << 2) + (<usize>((p * H + 2 * oh) * W) << 2);
      let ow = 0;
      // Four outputs from 2 × 8 inputs: max of the two rows, then of even and odd columns.
      for (; ow + 4 <= Wo; ow += 4, a += 32, d += 16) {
        const m0 = f32x4.max(v128.load(a), v128.load(a + row));
        const m1 = f32x4.max(v128.load(a, 16), v128.load(a + row, 16));
        v128.store(d, f32x4.max(v128.shuffle<f32>(m0, m1, 0, 2, 4, 6), v128.shuffle<f32>(m0, m1, 1, 3, 5, 7)));
      }
      for (; ow < Wo; ow++, a += 8, d += 4) {
        store<f32>(d, max(max(load<f32>(a), load<f32>(a, 4)), max(load<f32>(a + row), load<f32>(a + row, 4))));
      }
    }
  }
}

/** The gradient of each window goes to its first maximum (row-major), as in the plain kernel. */
export function maxpoolBack(P: i32, H: i32, W: i32, x: i32, y: i32, dy: i32, dx: i32, acc: i32): void {
  const Ho = H >> 1;
  const Wo = W >> 1;
  // A dropped last row or column gets no gradient; the windows below cover everything else.
  if (!acc && ((H | W) & 1)) memory.fill(<usize>dx << 2, 0, <usize>(P * H * W) << 2);
  const row = <usize>W << 2;
  const zero = f32x4.splat(0);
  let o: usize = 0; // output index in bytes
  for (let p = 0; p < P; p++) {
    for (let oh = 0; oh < Ho; oh++) {
      const base = <usize>((p * H + 2 * oh) * W) << 2;
      let xa = (<usize>x << 2) + base;
      let da = (<usize>dx << 2) + base;
      let ow = 0;
      for (; ow + 4 <= Wo; ow += 4, xa += 32, da += 32, o += 16) {
        const a0 = v128.load(xa);
        const a1 = v128.load(xa, 16);
        const b0 = v128.load(xa + row);
        const b1 = v128.load(xa + row, 16);
        const m = v128.load((<usize>y << 2) + o);
        const g = v128.load((<usize>dy << 2) + o);
        const t0 = f32x4.eq(v128.shuffle<f32>(a0, a1, 0, 2, 4, 6), m);
        const t1 = v128.andnot(f32x4.eq(v128.shuffle<f32>(a0, a1, 1, 3, 5, 7), m), t0);
        let seen = v128.or(t0, t1);
        const t2 = v128.andnot(f32x4.eq(v128.shuffle<f32>(b0, b1, 0, 2, 4, 6), m), seen);
        seen = v128.or(seen, t2);
        const g0 = v128.and(g, t0);
        const g1 = v128.and(g, t1);
        const g2 = v128.and(g, t2);
        const g3 = v128.andnot(g, seen);
        let r0 = v128.shuffle<f32>(g0, g1, 0, 4, 1, 5);
        let r1 = v128.shuffle<f32>(g0, g1, 2, 6, 3, 7);
        let r2 = v128.shuffle<f32>(g2, g3, 0, 4, 1, 5);
        let r3 = v128.shuffle<f32>(g2, g3, 2, 6, 3, 7);
        // 0 + g, not g: the plain kernel adds into zeros (so −0 becomes +0 there too).
        const d0 = acc ? v128.load(da) : zero;
        const d1 = acc ? v128.load(da, 16) : zero;
        const d2 = acc ? v128.load(da + row) : zero;
        const d3 = acc ? v128.load(da + row, 16) : zero;
        r0 = f32x4.add(d0, r0);
        r1 = f32x4.add(d1, r1);
        r2 = f32x4.add(d2, r2);
        r3 = f32x4.add(d3, r3);
        v128.store(da, r0);
        v128.store(da, r1, 16);
        v128.store(da + row, r2);
        v128.store(da + row, r3, 16);
      }
      for (; ow < Wo; ow++, xa += 8, da += 8, o += 4) {
        const m = load<f32>((<usize>y << 2) + o);
        const at: usize =
          load<f32>(xa) == m ? 0 : load<f32>(xa, 4) == m ? 4 : load<f32>(xa + row) == m ? row : row + 4;
        if (!acc) {
          store<f32>(da, 0);
          store<f32>(da, 0, 4);
          store<f32>(da + row, 0);
          store<f32>(da + row, 0, 4);
        }
        store<f32>(da + at, load<f32>(da + at) + load<f32>((<usize>dy << 2) + o));
      }
    }
  }
}

export function gpool(P: i32, S: i32, scale: f64, x: i32, y: i32): void {
  for (let p = 0; p < P; p++) {
    const s = sum((<usize>x << 2) + (<usize>(p * S) << 2), S);
    store<f32>((<usize>y << 2) + (<usize>p << 2), <f32>(scale * s));
  }
}

export function gpoolBack(P: i32, S: i32, scale: f64, dy: i32, dx: i32, acc: i32): void {
  let d = <usize>dx << 2;
  for (let p = 0; p < P; p++) {
    const g = <f32>(scale * <f64>load<f32>((<usize>dy << 2) + (<usize>p << 2)));
    const end = d + (<usize>S << 2);
    if (acc) for (; d < end; d += 4) store<f32>(d, load<f32>(d) + g);
    else for (; d < end; d += 4) store<f32>(d, g);
  }
}

/** dst[o, b, a] = src[o, a, b] */
export function transpose(O: i32, A: i32, B: i32, src: i32, dst: i32): void {
  for (let o = 0; o < O; o++) {
    const s0 = (<usize>src << 2) + (<usize>(o * A * B) << 2);
    const d0 = (<usize>dst << 2) + (<usize>(o * A * B) << 2);
    for (let a = 0; a < A; a++) {
      const s = s0 + (<usize>(a * B) << 2);
      for (let b = 0; b < B; b++) store<f32>(d0 + (<usize>(b * A + a) << 2), load<f32>(s + (<usize>b << 2)));
    }
  }
}

/** Softmax cross-entropy on class-major logits [K, N]; per-sample losses and scaled gradients. */
export function softmaxCE(N: i32, K: i32, logits: i32, labels: i32, dlogits: i32, losses: i32, scaleAt: i32): void {
  const scale = <f64>load<f32>(<usize>scaleAt << 2);
  const L = <usize>logits << 2;
  const D = <usize>dlogits << 2;
  const sk = <usize>N << 2;
  for (let n = 0; n < N; n++) {
    const y = <i32>load<f32>((<usize>labels << 2) + (<usize>n << 2));
    const col = <usize>n << 2;
    if (y < 0) {
      store<f32>((<usize>losses << 2) + col, 0);
      for (let k = 0; k < K; k++) store<f32>(D + <usize>k * sk + col, 0);
      continue;
    }
    let m: f64 = -Infinity;
    for (let k = 0; k < K; k++) m = max(m, <f64>load<f32>(L + <usize>k * sk + col));
    let se: f64 = 0;
    for (let k = 0; k < K; k++) se += Math.exp(<f64>load<f32>(L + <usize>k * sk + col) - m);
    const lse = m + Math.log(se);
    store<f32>((<usize>losses << 2) + col, <f32>(lse - <f64>load<f32>(L + <usize>y * sk + col)));
    for (let k = 0; k < K; k++) {
      const p = Math.exp(<f64>load<f32>(L + <usize>k * sk + col) - lse);
      store<f32>(D + <usize>k * sk + col, <f32>((p - (k == y ? 1.0 : 0.0)) * scale));
    }
  }
}
