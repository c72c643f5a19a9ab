/**
 * The two GEMM shapes the engines need, over row-major Float64Array, with 4×4 register blocking and
 * no allocation. Each output of `gemmABt` is summed over k in ascending order exactly as the plain
 * triple loop does, so it equals the plain path bit for bit; `gemmAddAB` adds four products at a time.
 */

/** out[i·nb + j] = Σ_k A[i·K + k] · B[j·K + k]   (A: na × K, B: nb × K, out: na × nb). */
export function gemmABt(
  A: Float64Array,
  na: number,
  B: Float64Array,
  nb: number,
  K: number,
  out: Float64Array,
): void {
  const na4 = na - (na % 4);
  const nb4 = nb - (nb % 4);
  for (let i = 0; i < na4; i += 4) {
    const a0 = i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let j = 0; j < nb4; j += 4) {
      const b0 = j * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
        const y0 = B[b0 + k], y1 = B[b1 + k], y2 = B[b2 + k], y3 = B[b3 + k];
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      let o = i * nb + j;
      out[o] = c00; out[o + 1] = c01; out[o + 2] = c02; out[o + 3] = c03;
      o += nb;
      out[o] = c10; out[o + 1] = c11; out[o + 2] = c12; out[o + 3] = c13;
      o += nb;
      out[o] = c20; out[o + 1] = c21; out[o + 2] = c22; out[o + 3] = c23;
      o += nb;
      out[o] = c30; out[o + 1] = c31; out[o + 2] = c32; out[o + 3] = c33;
    }
    for (let j = nb4; j < nb; j++) {
      for (let r = i; r < i + 4; r++) out[r * nb + j] = dotRows(A, r * K, B, j * K, K);
    }
  }
  for (let i = na4; i < na; i++) {
    for (let j = 0; j < nb; j++) out[i * nb + j] = dotRows(A, i * K, B, j * K, K);
  }
}

function dotRows(A: Float64Array, a: number, B: Float64Array, b: number, K: number): number {
  let s = 0;
  for (let k = 0; k < K; k++) s += A[a + k] * B[b + k];
  return s;
}

/**
 * out[i·K + k] += scale · Σ_a H[i·na + a] · Z[a·K + k]   (H: rows × na, Z: na × K, out: rows × K).
 * Blocks of four H entries that are all zero (ReLUs off) are skipped: gradients of ReLU nets are sparse.
 */
export function gemmAddAB(
  H: Float64Array,
  rows: number,
  na: number,
  Z: Float64Array,
  K: number,
  out: Float64Array,
  scale: number,
): void {
  const rows4 = rows - (rows % 4);
  const na4 = na - (na % 4);
  for (let i = 0; i < rows4; i += 4) {
    const o0 = i * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
    const h0 = i * na, h1 = h0 + na, h2 = h1 + na, h3 = h2 + na;
    for (let a = 0; a < na4; a += 4) {
      const p00 = scale * H[h0 + a], p01 = scale * H[h0 + a + 1], p02 = scale * H[h0 + a + 2], p03 = scale * H[h0 + a + 3];
      const p10 = scale * H[h1 + a], p11 = scale * H[h1 + a + 1], p12 = scale * H[h1 + a + 2], p13 = scale * H[h1 + a + 3];
      const p20 = scale * H[h2 + a], p21 = scale * H[h2 + a + 1], p22 = scale * H[h2 + a + 2], p23 = scale * H[h2 + a + 3];
      const p30 = scale * H[h3 + a], p31 = scale * H[h3 + a + 1], p32 = scale * H[h3 + a + 2], p33 = scale * H[h3 + a + 3];
      if (
        p00 === 0 && p01 === 0 && p02 === 0 && p03 === 0 && p10 === 0 && p11 === 0 && p12 === 0 && p13 === 0 &&
        p20 === 0 && p21 === 0 && p22 === 0 && p23 === 0 && p30 === 0 && p31 === 0 && p32 === 0 && p33 === 0
      ) continue;
      const z0 = a * K, z1 = z0 + K, z2 = z1 + K, z3 = z2 + K;
      for (let k = 0; k < K; k++) {
        const y0 = Z[z0 + k], y1 = Z[z1 + k], y2 = Z[z2 + k], y3 = Z[z3 + k];
        out[o0 + k] += p00 * y0 + p01 * y1 + p02 * y2 + p03 * y3;
        out[o1 + k] += p10 * y0 + p11 * y1 + p12 * y2 + p13 * y3;
        out[o2 + k] += p20 * y0 + p21 * y1 + p22 * y2 + p23 * y3;
        out[o3 + k] += p30 * y0 + p31 * y1 + p32 * y2 + p33 * y3;
      }
    }
    for (let a = na4; a < na; a++) {
      for (let r = i; r < i + 4; r++) axpy(scale * H[r * na + a], Z, a * K, out, r * K, K);
    }
  }
  for (let i = rows4; i < rows; i++) {
    for (let a = 0; a < na; a++) axpy(scale * H[i * na + a], Z, a * K, out, i * K, K);
  }
}

function axpy(alpha: number, x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): void {
  if (alpha === 0) return;
  for (let k = 0; k < n; k++) y[yo + k] += alpha * x[xo + k];
}

/** The plain triple loops: the reference every fast path is tested against. */
export const plain = {
  gemmABt(A: Float64Array, na: number, B: Float64Array, nb: number, K: number, out: Float64Array): void {
    for (let i = 0; i < na; i++) for (let j = 0; j < nb; j++) out[i * nb + j] = dotRows(A, i * K, B, j * K, K);
  },
  gemmAddAB(H: Float64Array, rows: number, na: number, Z: Float64Array, K: number, out: Float64Array, scale: number): void {
    for (let i = 0; i < rows; i++) {
      for (let a = 0; a < na; a++) {
        const h = scale * H[i * na + a];
        for (let k = 0; k < K; k++) out[i * K + k] += h * Z[a * K + k];
      }
    }
  },
};
