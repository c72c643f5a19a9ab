import { rowProducts } from '../kernels/products.js';

/**
 * Gram and cross-Gram matrices of atom sets: the only d-dimensional work of the coefficient engine.
 * All products go through `rowProducts` (the WebAssembly SIMD kernels where available, the TypeScript
 * ones otherwise: the same bits): the second operand is packed once and the first streamed through in
 * blocks of rows, so no product holds more than a block of a large set (a test set) twice.
 */

/** Rows of the streamed operand per product call. */
const STREAM_ROWS = 64;
/**
 * Coordinates per block when rows are long: the kernels keep panels of whole rows, which stop fitting in
 * cache as d grows (at d = 10⁵ a panel of 8 rows is 6.4 MB); products over blocks of 4096 coordinates,
 * summed block by block, ran 2–2.7× faster there. Rows up to twice this long are not split.
 */
const K_BLOCK = 4096;

/** out = X·Yᵀ (nx × ny) with Y packed once and X streamed in blocks of rows. */
function streamed(X: Float64Array, nx: number, Y: Float64Array, ny: number, d: number, out: Float64Array): Float64Array {
  if (nx === 0 || ny === 0) return out;
  if (d > 2 * K_BLOCK) return streamedBlocks(X, nx, Y, ny, d, out);
  const rp = rowProducts(Y, ny, d, Math.min(STREAM_ROWS, nx));
  for (let i0 = 0; i0 < nx; i0 += STREAM_ROWS) {
    const n = Math.min(STREAM_ROWS, nx - i0);
    rp.multiply(X.subarray(i0 * d, (i0 + n) * d), n, out.subarray(i0 * ny, (i0 + n) * ny));
  }
  return out;
}

/** `streamed` over blocks of K_BLOCK coordinates, the partial products added in block order. */
function streamedBlocks(X: Float64Array, nx: number, Y: Float64Array, ny: number, d: number, out: Float64Array): Float64Array {
  out.fill(0, 0, nx * ny);
  const rows = Math.min(STREAM_ROWS, nx);
  const Yk = new Float64Array(ny * K_BLOCK);
  const Xk = new Float64Array(rows * K_BLOCK);
  const part = new Float64Array(rows * ny);
  for (let k0 = 0; k0 < d; k0 += K_BLOCK) {
    const w = Math.min(K_BLOCK, d - k0);
    for (let j = 0; j < ny; j++) Yk.set(Y.subarray(j * d + k0, j * d + k0 + w), j * w);
    const rp = rowProducts(Yk.subarray(0, ny * w), ny, w, rows);
    for (let i0 = 0; i0 < nx; i0 += STREAM_ROWS) {
      const n = Math.min(STREAM_ROWS, nx - i0);
      for (let i = 0; i < n; i++) Xk.set(X.subarray((i0 + i) * d + k0, (i0 + i) * d + k0 + w), i * w);
      rp.multiply(Xk.subarray(0, n * w), n, part);
      const o = i0 * ny;
      for (let e = 0; e < n * ny; e++) out[o + e] += part[e];
    }
  }
  return out;
}

/** Row block of the triangular Gram loop: small enough to skip most of the upper triangle. */
const GRAM_BLOCK = 64;

/**
 * Multiply-adds of `gram(·, A, d)`: the lower block triangle, Σ over row blocks [i0, i0 + n) of n·(i0 + n),
 * in closed form (q full blocks of B rows give B²·q(q+1)/2, then the last r rows r·(qB + r)), so that pricing
 * a config never loops over its samples.
 */
export function gramCost(A: number, d: number): number {
  const B = GRAM_BLOCK;
  const q = Math.floor(A / B);
  const r = A - q * B;
  return ((B * B * q * (q + 1)) / 2 + r * (q * B + r)) * d;
}

/**
 * K = Z·Zᵀ (A × A) for Z (A × d), exactly symmetric: the lower block triangle is computed by row
 * blocks and mirrored, which saves close to half the multiply-adds of a full product.
 */
export function gram(Z: Float64Array, A: number, d: number, out = new Float64Array(A * A)): Float64Array {
  const tmp = new Float64Array(Math.min(GRAM_BLOCK, A) * A);
  for (let i0 = 0; i0 < A; i0 += GRAM_BLOCK) {
    const ni = Math.min(GRAM_BLOCK, A - i0);
    const nj = i0 + ni;
    streamed(Z.subarray(i0 * d, nj * d), ni, Z.subarray(0, nj * d), nj, d, tmp);
    for (let i = 0; i < ni; i++) {
      const a = i0 + i;
      for (let b = 0; b <= a; b++) {
        const v = tmp[i * nj + b];
        out[a * A + b] = v;
        out[b * A + a] = v;
      }
    }
  }
  return out;
}

/**
 * X·Yᵀ (nx × ny) for X (nx × d), Y (ny × d). The smaller set is the packed operand and a transposed
 * product is transposed back: every entry is the same sum of the same products either way (so the
 * bits do not depend on the order; up to 2·4096 coordinates they are the plain loop's).
 */
export function cross(X: Float64Array, nx: number, Y: Float64Array, ny: number, d: number): Float64Array {
  if (ny <= nx) return streamed(X, nx, Y, ny, d, new Float64Array(nx * ny));
  const YX = streamed(Y, ny, X, nx, d, new Float64Array(nx * ny));
  const out = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) out[i * ny + j] = YX[j * nx + i];
  return out;
}

/** Z_S·Z_Sᵀ over the coordinates S of each atom (the Gram matrix restricted to S), exactly symmetric. */
export function gramOn(Z: Float64Array, A: number, d: number, coords: Int32Array): Float64Array {
  const s = coords.length;
  const ZS = new Float64Array(A * s);
  for (let a = 0; a < A; a++) {
    const src = a * d;
    const dst = a * s;
    for (let k = 0; k < s; k++) ZS[dst + k] = Z[src + coords[k]];
  }
  return gram(ZS, A, s);
}

/**
 * Memo of inner products between dataset atoms (Gram matrices Z·Zᵀ and cross products T·Zᵀ), keyed by
 * the atom arrays themselves: transfer and scratch train on the same atoms and are tested on the same
 * test set, so they share both. Valid while those arrays are not modified (datasets are values here);
 * the entries live as long as the arrays do.
 */
export class ProductCache {
  private readonly grams = new WeakMap<Float64Array, Float64Array>();
  private readonly crosses = new WeakMap<Float64Array, WeakMap<Float64Array, Float64Array>>();

  gram(Z: Float64Array, A: number, d: number): Float64Array {
    let K = this.grams.get(Z);
    if (!K) this.grams.set(Z, (K = gram(Z, A, d)));
    return K;
  }

  /**
   * T·Zᵀ (nt × nz, memoised) and T·Bᵀ (nt × nb): one pass over the large T against [Z; B] when T·Zᵀ is
   * not known yet, else T·Bᵀ alone.
   */
  crossBoth(
    T: Float64Array,
    nt: number,
    Z: Float64Array,
    nz: number,
    B: Float64Array,
    nb: number,
    d: number,
  ): { TZ: Float64Array; TB: Float64Array } {
    let row = this.crosses.get(T);
    if (!row) this.crosses.set(T, (row = new WeakMap()));
    const known = row.get(Z);
    if (known) return { TZ: known, TB: cross(T, nt, B, nb, d) };
    const ZB = new Float64Array((nz + nb) * d);
    ZB.set(Z.subarray(0, nz * d));
    ZB.set(B.subarray(0, nb * d), nz * d);
    const P = cross(T, nt, ZB, nz + nb, d);
    const w = nz + nb;
    const TZ = new Float64Array(nt * nz);
    const TB = new Float64Array(nt * nb);
    for (let i = 0; i < nt; i++) {
      TZ.set(P.subarray(i * w, i * w + nz), i * nz);
      TB.set(P.subarray(i * w + nz, (i + 1) * w), i * nb);
    }
    row.set(Z, TZ);
    return { TZ, TB };
  }
}
