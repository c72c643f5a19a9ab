/**
 * The two GEMM shapes the engines need, over row-major Float64Array: the TypeScript kernels (register
 * blocked) and the plain loops they are tested against. Every output is summed in exactly the order of the
 * plain loop, so the blocked kernels, the plain loops and the WebAssembly SIMD kernels (src/kernels/wasm.ts)
 * all give the same bits: results do not depend on which path ran.
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
 * Entries with scale·H = 0 are skipped (ReLUs off: gradients of ReLU nets are sparse). Each output adds
 * its products one at a time in ascending a, exactly as the plain loop does (bitwise equal to it and to
 * the WebAssembly kernel); four atoms share one pass over the row to save loads and stores.
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
  const at = new Int32Array(na);
  const hs = new Float64Array(na);
  for (let i = 0; i < rows; i++) {
    let n = 0;
    for (let a = 0; a < na; a++) {
      const h = scale * H[i * na + a];
      if (h !== 0) {
        at[n] = a * K;
        hs[n++] = h;
      }
    }
    const o = i * K;
    let e = 0;
    for (; e + 4 <= n; e += 4) {
      const h0 = hs[e], h1 = hs[e + 1], h2 = hs[e + 2], h3 = hs[e + 3];
      const z0 = at[e], z1 = at[e + 1], z2 = at[e + 2], z3 = at[e + 3];
      // left to right: (((out + h0·z0) + h1·z1) + h2·z2) + h3·z3, the plain loop's order
      for (let k = 0; k < K; k++) out[o + k] = out[o + k] + h0 * Z[z0 + k] + h1 * Z[z1 + k] + h2 * Z[z2 + k] + h3 * Z[z3 + k];
    }
    for (; e < n; e++) {
      const h = hs[e], z = at[e];
      for (let k = 0; k < K; k++) out[o + k] += h * Z[z + k];
    }
  }
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
        if (h === 0) continue; // the definition of the skip: adding 0·z would only turn −0 into +0 (or 0·∞ into NaN)
        for (let k = 0; k < K; k++) out[i * K + k] += h * Z[a * K + k];
      }
    }
  },
};
