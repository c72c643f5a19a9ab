import { gemmABt } from '../kernels/gemm.js';
import { log } from '../util/detmath.js';

/**
 * The dense float64 linear algebra the transferability scores need, by hand: Gram matrices, a symmetric
 * eigensolver that returns eigenvalues and the eigenvectors' inner products with a few given vectors, and
 * (rank-revealing) Cholesky factorisations. Matrices are row-major Float64Arrays. Only IEEE-exact operations,
 * √ and the project's deterministic log: the same bits on every JavaScript engine.
 */

const EPS = 2 ** -52;

/** √(a² + b²) without overflow or underflow; deterministic (Math.hypot's rounding is left to the engine). */
export function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  const big = Math.max(x, y);
  if (big === 0) return 0;
  const r = Math.min(x, y) / big;
  return big * Math.sqrt(1 + r * r);
}

/** A·Aᵀ for A with `rows` rows of `cols` values: rows × rows, symmetric (each half computed once). */
export function gramOfRows(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * rows);
  const block = 32;
  const tmp = new Float64Array(block * rows);
  for (let i0 = 0; i0 < rows; i0 += block) {
    const b = Math.min(block, rows - i0);
    const rest = rows - i0;
    // rows i0…i0+b of A against rows i0…end: the upper triangle of this block row
    gemmABt(a.subarray(i0 * cols), b, a.subarray(i0 * cols), rest, cols, tmp);
    for (let i = 0; i < b; i++) {
      for (let j = i; j < rest; j++) {
        const v = tmp[i * rest + j];
        out[(i0 + i) * rows + i0 + j] = v;
        out[(i0 + j) * rows + i0 + i] = v;
      }
    }
  }
  return out;
}

/** The transpose of a rows × cols matrix (cols × rows). */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/** AᵀA for A with `rows` rows of `cols` values: cols × cols. */
export function gramOfColumns(a: Float64Array, rows: number, cols: number): Float64Array {
  return gramOfRows(transpose(a, rows, cols), cols, rows);
}

export interface SymmetricEigen {
  /** the eigenvalues, ascending */
  values: Float64Array;
  /**
   * Uᵀ·B (n × c, row-major) for the B given: row j holds the inner products of eigenvector j (of `values[j]`)
   * with the columns of B. With B = I (c = n) its rows are the eigenvectors.
   */
  projected: Float64Array;
}

/**
 * Eigenvalues of the symmetric n × n matrix A, and Uᵀ·B for an n × c matrix B (c = 0: none), without forming
 * the eigenvectors U unless asked (B = I). Householder reduction to tridiagonal form, then implicit symmetric
 * QR steps with Wilkinson shifts (Golub & Van Loan, Matrix Computations, §8.3), both applied to B as they go.
 *
 * Cost: about (2/3)·n³ multiply-adds for the reduction (n = 512: a few tenths of a second; n = 2000: about
 * 10 s), O(n²) for the eigenvalues, ~6·c·n² for the projection; memory n² + n·c. Meant for n up to a few
 * thousand (unblocked: a LAPACK-style blocked reduction would be the next step beyond). Eigenvalues are accurate to a few ulps of ‖A‖ (backward stable), so eigenvalues below ‖A‖·2⁻⁵²
 * are noise: callers decide what counts as zero. Only the lower triangle of A is read (A is symmetric).
 */
export function symmetricEigen(a: Float64Array, n: number, b?: Float64Array, c = 0): SymmetricEigen {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: ${a.length} values for a ${n} × ${n} matrix`);
  if (b && b.length !== n * c) throw new RangeError(`symmetricEigen: B has ${b.length} values, not ${n} × ${c}`);
  const A = Float64Array.from(a);
  const P = b ? Float64Array.from(b) : new Float64Array(0);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  tridiagonalize(A, n, d, e, P, c);
  tridiagonalQr(d, e, P, c);
  return sortAscending(d, P, c);
}

/**
 * Householder tridiagonalisation in place, on the lower triangle only: on return d is the diagonal and e the
 * off-diagonal of T = QᵀAQ, and P ← QᵀP. Step k reflects column k's entries below the diagonal onto one entry.
 * Each step's rank-2 update is applied lazily, in the same pass over the lower triangle as the next step's
 * product A₂₂·v: one sweep of memory per step instead of two (the matrix outgrows the caches from n ≈ 500).
 */
function tridiagonalize(A: Float64Array, n: number, d: Float64Array, e: Float64Array, P: Float64Array, c: number) {
  let v = new Float64Array(n);
  let w = new Float64Array(n);
  // the pending update A ← A − vp·wpᵀ − wp·vpᵀ of the previous step (on indices ≥ its m0); none at first
  let vp = new Float64Array(n);
  let wp = new Float64Array(n);
  const pw = new Float64Array(c);
  for (let k = 0; k + 2 < n; k++) {
    const m0 = k + 1; // the reflector acts on indices m0…n−1
    for (let i = k; i < n; i++) A[i * n + k] -= vp[i] * wp[k] + wp[i] * vp[k]; // column k, brought up to date
    d[k] = A[k * n + k];
    let scale = 0;
    for (let i = m0; i < n; i++) scale = Math.max(scale, Math.abs(A[i * n + k]));
    v.fill(0);
    w.fill(0);
    if (scale > 0) {
      let ss = 0;
      for (let i = m0; i < n; i++) {
        v[i] = A[i * n + k] / scale;
        ss += v[i] * v[i];
      }
      const norm = Math.sqrt(ss);
      const alpha = v[m0] > 0 ? -norm : norm; // x ↦ alpha·e₁, sign chosen so v₀ = x₀ − alpha does not cancel
      e[k] = alpha * scale;
      v[m0] -= alpha;
    } else {
      e[k] = 0;
    }
    // One pass over the trailing lower triangle: apply the pending update, and sum A₂₂·v (each stored entry
    // serves row i and, by symmetry, row j).
    for (let i = m0; i < n; i++) {
      const r = i * n;
      const vi = v[i];
      const vpi = vp[i];
      const wpi = wp[i];
      let s = 0;
      for (let j = m0; j <= i; j++) {
        const a = A[r + j] - (vpi * wp[j] + wpi * vp[j]);
        A[r + j] = a;
        s += a * v[j];
        if (j < i) w[j] += a * vi;
      }
      w[i] += s;
    }
    if (scale === 0) {
      vp.fill(0);
      wp.fill(0);
      continue; // nothing to reflect: no update pending
    }
    let vv = 0;
    for (let i = m0; i < n; i++) vv += v[i] * v[i];
    const beta = 2 / vv;
    // w = β·A₂₂v − (β²/2)(vᵀA₂₂v)·v; then A₂₂ ← A₂₂ − v·wᵀ − w·vᵀ (= H·A₂₂·H with H = I − β·v·vᵀ), pending
    let pv = 0;
    for (let i = m0; i < n; i++) {
      w[i] *= beta;
      pv += w[i] * v[i];
    }
    const half = (beta / 2) * pv;
    for (let i = m0; i < n; i++) w[i] -= half * v[i];
    if (c > 0) {
      // P ← H·P on rows m0…n−1
      pw.fill(0);
      for (let i = m0; i < n; i++) {
        const vi = v[i];
        if (vi !== 0) for (let j = 0; j < c; j++) pw[j] += vi * P[i * c + j];
      }
      for (let j = 0; j < c; j++) pw[j] *= beta;
      for (let i = m0; i < n; i++) {
        const vi = v[i];
        if (vi !== 0) for (let j = 0; j < c; j++) P[i * c + j] -= vi * pw[j];
      }
    }
    [vp, v] = [v, vp];
    [wp, w] = [w, wp];
  }
  // the last 2 × 2 block, brought up to date
  for (let i = Math.max(n - 2, 0); i < n; i++) {
    for (let j = Math.max(n - 2, 0); j <= i; j++) A[i * n + j] -= vp[i] * wp[j] + wp[i] * vp[j];
  }
  if (n >= 2) {
    d[n - 2] = A[(n - 2) * n + n - 2];
    e[n - 2] = A[(n - 1) * n + n - 2];
  }
  if (n >= 1) d[n - 1] = A[n * n - 1];
}

/** A negligible off-diagonal entry: below one ulp of its two diagonal neighbours. */
const negligible = (e: number, d1: number, d2: number) => Math.abs(e) <= EPS * (Math.abs(d1) + Math.abs(d2));

/**
 * Diagonalise the symmetric tridiagonal (d, e) in place by implicit QR steps with Wilkinson shifts on the
 * bottom unreduced block, deflating negligible off-diagonal entries; each Givens rotation also rotates the
 * matching rows of P.
 */
function tridiagonalQr(d: Float64Array, e: Float64Array, P: Float64Array, c: number) {
  const n = d.length;
  let hi = n - 1;
  let steps = 0;
  while (hi > 0) {
    if (negligible(e[hi - 1], d[hi - 1], d[hi])) {
      e[hi - 1] = 0;
      hi--;
      continue;
    }
    let lo = hi - 1;
    while (lo > 0 && !negligible(e[lo - 1], d[lo - 1], d[lo])) lo--;
    if (lo > 0) e[lo - 1] = 0;
    if (++steps > 30 * n) throw new Error(`symmetricEigen: no convergence after ${steps} QR steps`);
    qrStep(d, e, lo, hi, P, c);
  }
}

/** One implicit symmetric QR step on the unreduced block lo…hi (Golub & Van Loan, Algorithm 8.3.2). */
function qrStep(d: Float64Array, e: Float64Array, lo: number, hi: number, P: Float64Array, c: number) {
  // Wilkinson shift: the eigenvalue of the trailing 2 × 2 block closer to its last diagonal entry
  const t = e[hi - 1];
  const half = (d[hi - 1] - d[hi]) / 2;
  const den = half + (half >= 0 ? 1 : -1) * hypot(half, t);
  const mu = d[hi] - (t / den) * t;
  let x = d[lo] - mu;
  let z = e[lo];
  for (let k = lo; k < hi; k++) {
    // the rotation R = [c s; −s c] on (k, k+1) with R·[x; z] = [r; 0]; T ← R·T·Rᵀ chases the bulge down
    const r = hypot(x, z);
    const cs = r === 0 ? 1 : x / r;
    const sn = r === 0 ? 0 : z / r;
    if (k > lo) e[k - 1] = r;
    const a = d[k];
    const b = e[k];
    const g = d[k + 1];
    d[k] = cs * cs * a + 2 * cs * sn * b + sn * sn * g;
    d[k + 1] = sn * sn * a - 2 * cs * sn * b + cs * cs * g;
    e[k] = cs * sn * (g - a) + (cs * cs - sn * sn) * b;
    if (k + 1 < hi) {
      z = sn * e[k + 1];
      e[k + 1] *= cs;
      x = e[k];
    }
    if (c > 0) {
      const r0 = k * c;
      const r1 = r0 + c;
      for (let j = 0; j < c; j++) {
        const p = P[r0 + j];
        const q = P[r1 + j];
        P[r0 + j] = cs * p + sn * q;
        P[r1 + j] = cs * q - sn * p;
      }
    }
  }
}

function sortAscending(d: Float64Array, P: Float64Array, c: number): SymmetricEigen {
  const n = d.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[i] - d[j] || i - j);
  const values = new Float64Array(n);
  const projected = new Float64Array(n * c);
  order.forEach((from, to) => {
    values[to] = d[from];
    projected.set(P.subarray(from * c, (from + 1) * c), to * c);
  });
  return { values, projected };
}

/**
 * A rank-revealing Cholesky factorisation of a symmetric positive semi-definite m × m matrix G: G ≈ L·Lᵀ with
 * L of r columns (row i of L, in G's order, at l[i·m … i·m + r)), pivoting on the largest remaining diagonal
 * entry (the first on ties) and stopping once it is at most `floor` (what remains is rounding noise or below
 * the caller's resolution). Cost about m·r² multiply-adds.
 */
export function pivotedCholesky(g: Float64Array, m: number, floor: number): { l: Float64Array; rank: number } {
  const l = new Float64Array(m * m);
  const diag = new Float64Array(m);
  for (let i = 0; i < m; i++) diag[i] = g[i * m + i];
  const perm = Int32Array.from({ length: m }, (_, i) => i);
  let rank = 0;
  for (; rank < m; rank++) {
    let p = rank;
    for (let i = rank + 1; i < m; i++) if (diag[perm[i]] > diag[perm[p]]) p = i;
    const pivot = diag[perm[p]];
    if (!(pivot > floor)) break;
    [perm[rank], perm[p]] = [perm[p], perm[rank]];
    const pk = perm[rank];
    const lkk = Math.sqrt(pivot);
    l[pk * m + rank] = lkk;
    for (let i = rank + 1; i < m; i++) {
      const pi = perm[i];
      let s = g[pi * m + pk];
      for (let j = 0; j < rank; j++) s -= l[pi * m + j] * l[pk * m + j];
      const lik = s / lkk;
      l[pi * m + rank] = lik;
      diag[pi] -= lik * lik;
    }
  }
  return { l, rank };
}

/** log det M of a symmetric positive definite m × m matrix by Cholesky (m³/3 multiply-adds). */
export function logDetSpd(M: Float64Array, m: number): number {
  const L = Float64Array.from(M);
  let logdet = 0;
  for (let j = 0; j < m; j++) {
    const rj = j * m;
    let s = L[rj + j];
    for (let k = 0; k < j; k++) s -= L[rj + k] * L[rj + k];
    if (!(s > 0)) throw new Error(`logDetSpd: the matrix is not positive definite (pivot ${j} is ${s})`);
    const ljj = Math.sqrt(s);
    L[rj + j] = ljj;
    logdet += 2 * log(ljj);
    for (let i = j + 1; i < m; i++) {
      const ri = i * m;
      let t = L[ri + j];
      for (let k = 0; k < j; k++) t -= L[ri + k] * L[rj + k];
      L[ri + j] = t / ljj;
    }
  }
  return logdet;
}
