/**
 * WebAssembly SIMD (f64x2) kernels of the dense engine, compiled by AssemblyScript (`node assembly/build.mjs`).
 *
 * The host lays memory out (src/kernels/wasm.ts): every pointer is a byte offset into this module's memory,
 * and nothing here allocates. The two lanes of a vector always hold two *different* outputs, never two halves
 * of one sum, so every output is summed in exactly the order of the plain loops of src/kernels/gemm.ts and
 * the results are bitwise equal to them (and to the TypeScript fallback) on every machine.
 */

/**
 * Copy `rows` rows of `src` (rows × K, row-major) into panels of R rows (R even) interleaved along k:
 * panel p holds dst[p·R·K + k·R + i] = src[(p·R + i)·K + k], zero beyond the last row.
 * Rows go two at a time, so each vector store writes one (row i, row i+1) pair of a k.
 */
export function packPanels(src: usize, rows: i32, K: i32, R: i32, dst: usize): void {
  const panels = (rows + R - 1) / R;
  const step = <usize>R * 8;
  const K2 = K & ~1;
  for (let p = 0; p < panels; p++) {
    const base = dst + <usize>p * <usize>R * <usize>K * 8;
    for (let i = 0; i < R; i += 2) {
      const r = p * R + i;
      const s0 = src + <usize>r * <usize>K * 8;
      const s1 = s0 + <usize>K * 8;
      let d = base + <usize>i * 8;
      if (r + 1 < rows) {
        for (let k = 0; k < K2; k += 2) {
          const x = v128.load(s0 + <usize>k * 8);
          const y = v128.load(s1 + <usize>k * 8);
          v128.store(d, f64x2.shuffle(x, y, 0, 2));
          v128.store(d + step, f64x2.shuffle(x, y, 1, 3));
          d += 2 * step;
        }
        if (K2 < K) {
          store<f64>(d, load<f64>(s0 + <usize>K2 * 8));
          store<f64>(d, load<f64>(s1 + <usize>K2 * 8), 8);
        }
      } else if (r < rows) {
        // the last row, paired with a zero row
        for (let k = 0; k < K; k++) {
          store<f64>(d, load<f64>(s0 + <usize>k * 8));
          store<f64>(d, 0, 8);
          d += step;
        }
      } else {
        for (let k = 0; k < K; k++) {
          v128.store(d, f64x2.splat(0));
          d += step;
        }
      }
    }
  }
}

function put(out: usize, ldo: i32, na: i32, nb: i32, i: i32, j: i32, v: v128): void {
  if (j >= nb) return;
  if (i < na) store<f64>(out + (<usize>i * <usize>ldo + <usize>j) * 8, f64x2.extract_lane(v, 0));
  if (i + 1 < na) store<f64>(out + (<usize>(i + 1) * <usize>ldo + <usize>j) * 8, f64x2.extract_lane(v, 1));
}

/**
 * out[i·ldo + j] = Σ_k A[i, k]·B[j, k] for A packed in panels of 8 rows and B in panels of 2 rows
 * (packPanels). The 8 × 2 block keeps 8 accumulators and 6 operands in the 15 vector registers that
 * V8 allocates on x64; wider blocks spill an accumulator to the stack and run slower.
 */
export function gemmPanels(Ap: usize, na: i32, Bp: usize, nb: i32, K: i32, out: usize, ldo: i32): void {
  const aPanels = (na + 7) >> 3;
  const bPanels = (nb + 1) >> 1;
  const aStride = <usize>K * 64;
  const bStride = <usize>K * 16;
  // B outer: a panel of B (2·K doubles) stays in L1 while the panels of A stream from L2.
  for (let q = 0; q < bPanels; q++) {
    const j = q * 2;
    for (let p = 0; p < aPanels; p++) {
      let a = Ap + <usize>p * aStride;
      let b = Bp + <usize>q * bStride;
      const end = b + bStride;
      let c00 = f64x2.splat(0);
      let c01 = f64x2.splat(0);
      let c10 = f64x2.splat(0);
      let c11 = f64x2.splat(0);
      let c20 = f64x2.splat(0);
      let c21 = f64x2.splat(0);
      let c30 = f64x2.splat(0);
      let c31 = f64x2.splat(0);
      while (b < end) {
        const y0 = v128.load64_splat(b);
        const y1 = v128.load64_splat(b, 8);
        const x0 = v128.load(a);
        const x1 = v128.load(a, 16);
        const x2 = v128.load(a, 32);
        const x3 = v128.load(a, 48);
        c00 = f64x2.add(c00, f64x2.mul(x0, y0));
        c01 = f64x2.add(c01, f64x2.mul(x0, y1));
        c10 = f64x2.add(c10, f64x2.mul(x1, y0));
        c11 = f64x2.add(c11, f64x2.mul(x1, y1));
        c20 = f64x2.add(c20, f64x2.mul(x2, y0));
        c21 = f64x2.add(c21, f64x2.mul(x2, y1));
        c30 = f64x2.add(c30, f64x2.mul(x3, y0));
        c31 = f64x2.add(c31, f64x2.mul(x3, y1));
        a += 64;
        b += 16;
      }
      const i = p * 8;
      put(out, ldo, na, nb, i, j, c00);
      put(out, ldo, na, nb, i, j + 1, c01);
      put(out, ldo, na, nb, i + 2, j, c10);
      put(out, ldo, na, nb, i + 2, j + 1, c11);
      put(out, ldo, na, nb, i + 4, j, c20);
      put(out, ldo, na, nb, i + 4, j + 1, c21);
      put(out, ldo, na, nb, i + 6, j, c30);
      put(out, ldo, na, nb, i + 6, j + 1, c31);
    }
  }
}

/**
 * Copy atoms a0 … a0+n−1 of Z (given as n × K at `Z`) into chunks of 8 columns of the packed Z of all A atoms:
 * chunk c holds dst[(c·A + a)·8 + t] = Z[a, 8c + t], so the slice of every atom that gemmAddCsr needs for
 * one chunk is contiguous (A·64 bytes, L1-resident). The K mod 8 tail columns follow as an A × (K mod 8) block.
 */
export function packChunks(Z: usize, n: i32, K: i32, A: i32, a0: i32, dst: usize): void {
  const chunks = K >> 3;
  const tail = K & 7;
  for (let c = 0; c < chunks; c++) {
    for (let a = 0; a < n; a++) {
      const to = dst + (<usize>c * <usize>A + <usize>(a0 + a)) * 64;
      memory.copy(to, Z + (<usize>a * <usize>K + <usize>c * 8) * 8, 64);
    }
  }
  const t0 = dst + <usize>chunks * <usize>A * 64;
  for (let a = 0; a < n; a++) {
    const to = t0 + <usize>(a0 + a) * <usize>tail * 8;
    memory.copy(to, Z + (<usize>a * <usize>K + <usize>chunks * 8) * 8, <usize>tail * 8);
  }
}

/**
 * Compress scale·H (rows × na) row by row into (start, idx, val): the entries of row r are
 * start[r] … start[r+1]−1, in ascending column order. Zeros are dropped (ReLU gradients are sparse).
 * Returns the number of entries kept.
 */
export function csrRows(H: usize, rows: i32, na: i32, scale: f64, start: usize, idx: usize, val: usize): i32 {
  let e = 0;
  for (let r = 0; r < rows; r++) {
    store<i32>(start + <usize>r * 4, e);
    const row = H + <usize>r * <usize>na * 8;
    for (let a = 0; a < na; a++) {
      const h = scale * load<f64>(row + <usize>a * 8);
      if (h != 0) {
        store<i32>(idx + <usize>e * 4, a);
        store<f64>(val + <usize>e * 8, h);
        e++;
      }
    }
  }
  store<i32>(start + <usize>rows * 4, e);
  return e;
}

/**
 * out[r, k] += Σ_e val[e]·Z[idx[e], k] over the entries e of row r (csrRows), with Z packed by packChunks,
 * for the columns of chunks chunk0 … chunk1−1; chunk K>>3, when chunk1 passes it, is the K mod 8 tail.
 * The sum runs over e in order, added into out one product at a time, as the plain loop does; only the loop
 * nest differs: a chunk of 8 columns of every row is finished while that chunk of Z sits in L1.
 * Threads take disjoint chunk ranges.
 */
export function gemmAddCsr(
  start: usize,
  idx: usize,
  val: usize,
  rows: i32,
  ZC: usize,
  A: i32,
  K: i32,
  out: usize,
  chunk0: i32,
  chunk1: i32,
): void {
  const rowBytes = <usize>K * 8;
  const chunks = K >> 3;
  for (let c = chunk0; c < min(chunk1, chunks); c++) {
    const zc = ZC + <usize>c * <usize>A * 64;
    for (let r = 0; r < rows; r++) {
      const o = out + <usize>r * rowBytes + <usize>c * 64;
      let s0 = v128.load(o);
      let s1 = v128.load(o, 16);
      let s2 = v128.load(o, 32);
      let s3 = v128.load(o, 48);
      const e0 = <usize>load<i32>(start + <usize>r * 4);
      let iv = idx + e0 * 4;
      let vv = val + e0 * 8;
      const vend = val + <usize>load<i32>(start + <usize>(r + 1) * 4) * 8;
      while (vv < vend) {
        const h = v128.load64_splat(vv);
        const z = zc + (<usize>load<i32>(iv) << 6);
        s0 = f64x2.add(s0, f64x2.mul(h, v128.load(z)));
        s1 = f64x2.add(s1, f64x2.mul(h, v128.load(z, 16)));
        s2 = f64x2.add(s2, f64x2.mul(h, v128.load(z, 32)));
        s3 = f64x2.add(s3, f64x2.mul(h, v128.load(z, 48)));
        vv += 8;
        iv += 4;
      }
      v128.store(o, s0);
      v128.store(o, s1, 16);
      v128.store(o, s2, 32);
      v128.store(o, s3, 48);
    }
  }
  const tail = K & 7;
  if (tail == 0 || chunk1 <= chunks || chunk0 > chunks) return;
  const zt = ZC + <usize>chunks * <usize>A * 64;
  for (let r = 0; r < rows; r++) {
    const o = out + <usize>r * rowBytes + <usize>chunks * 64;
    const e1 = load<i32>(start + <usize>(r + 1) * 4);
    for (let e = load<i32>(start + <usize>r * 4); e < e1; e++) {
      const h = load<f64>(val + <usize>e * 8);
      const z = zt + <usize>load<i32>(idx + <usize>e * 4) * <usize>tail * 8;
      for (let t = 0; t < tail; t++) {
        const p = o + <usize>t * 8;
        store<f64>(p, load<f64>(p) + h * load<f64>(z + <usize>t * 8));
      }
    }
  }
}
