import { csrRows, gemmAddCsr, gemmPanels, packChunks, packPanels } from './calls.js';
import { gemmABt, gemmAddAB } from './gemm.js';
import { parallelRanges, useHelpers } from './threads.js';
import { Arena } from './wasm.js';

/**
 * The products the engines repeat, with their operands kept where the fastest available kernels want them:
 * in a WebAssembly arena, packed once, when WebAssembly SIMD is available; in ordinary typed arrays with the
 * TypeScript kernels otherwise. Both paths give the same bits (see src/kernels/gemm.ts).
 */

/** Panel heights of assembly/gemm.ts: A in panels of 8 rows, B in panels of 2 rows. */
const MR = 8;
const NR = 2;
/** Rows copied into the arena per staging pass (a multiple of MR and NR, so panels never straddle two). */
const STAGE_ROWS = 64;
/** B larger than this (packed) is not kept in the arena but packed block by block at every product. */
let residentLimit = 256 * 2 ** 20;
const F64 = 8;
const I32 = 4;
const roundUp = (n: number, r: number) => Math.ceil(n / r) * r;

/**
 * The two products of gradient descent over fixed atoms Z (A × K) for `rows` filters W (rows × K):
 * forward G = W·Zᵀ (rows × A) and backward W += scale·H·Z, skipping zero entries of H (ReLU gradients are
 * sparse). W, G and H are views that stay valid for the object's life; the caller reads and writes them
 * between calls (W is trained in place).
 */
export interface AtomProducts {
  readonly W: Float64Array;
  readonly G: Float64Array;
  readonly H: Float64Array;
  forward(): void;
  backward(scale: number): void;
}

/** B (nb × K) prepared once for repeated products A·Bᵀ with up to `maxRows` rows of A. */
export interface RowProducts {
  /** out = A·Bᵀ (na × nb, row-major); `out` is allocated when not given */
  multiply(A: Float64Array, na: number, out?: Float64Array): Float64Array;
}

/** Products over fixed atoms Z (A × K, row-major) for `rows` filters; W starts as zeros. */
export function atomProducts(Z: Float64Array, A: number, K: number, rows: number): AtomProducts {
  return wasmAtomProducts(Z, A, K, rows) ?? tsAtomProducts(Z, A, K, rows);
}

/** Set the size above which rowProducts streams B instead of keeping it packed (for tests); returns the old one. */
export function setResidentLimit(bytes: number): number {
  const old = residentLimit;
  residentLimit = bytes;
  return old;
}

/** Repeated products against B (nb × K, row-major), for A of at most maxRows rows. */
export function rowProducts(B: Float64Array, nb: number, K: number, maxRows: number): RowProducts {
  return wasmRowProducts(B, nb, K, maxRows) ?? tsRowProducts(B, nb, K, maxRows);
}

/** Below this many multiply-adds a one-off product runs in TypeScript: an arena would cost more than it saves. */
const SMALL_PRODUCT = 1 << 18;

/** out = A·Bᵀ once (A: na × K, B: nb × K), with the fastest kernels available. */
export function gemmABtFast(
  A: Float64Array,
  na: number,
  B: Float64Array,
  nb: number,
  K: number,
  out: Float64Array = new Float64Array(na * nb),
): Float64Array {
  if (na * nb * K < SMALL_PRODUCT) {
    gemmABt(A, na, B, nb, K, out);
    return out;
  }
  return rowProducts(B, nb, K, na).multiply(A, na, out);
}

function tsAtomProducts(Z: Float64Array, A: number, K: number, rows: number): AtomProducts {
  const W = new Float64Array(rows * K);
  const G = new Float64Array(rows * A);
  const H = new Float64Array(rows * A);
  return {
    W,
    G,
    H,
    forward: () => gemmABt(W, rows, Z, A, K, G),
    backward: (scale) => gemmAddAB(H, rows, A, Z, K, W, scale),
  };
}

function tsRowProducts(B: Float64Array, nb: number, K: number, maxRows: number): RowProducts {
  return {
    multiply(A, na, out = new Float64Array(na * nb)) {
      checkRows(na, maxRows);
      gemmABt(A, na, B, nb, K, out);
      return out;
    },
  };
}

function checkRows(na: number, maxRows: number): void {
  if (na > maxRows) throw new RangeError(`rowProducts: ${na} rows of A, prepared for at most ${maxRows}`);
}

/** Copy the rows of src into the arena's `stage` block, STAGE_ROWS at a time, and let `pack` place them. */
function staged<B extends string>(
  arena: Arena<B | 'stage'>,
  src: Float64Array,
  rows: number,
  K: number,
  pack: (r0: number, n: number) => void,
): void {
  for (let r0 = 0; r0 < rows; r0 += STAGE_ROWS) {
    const n = Math.min(STAGE_ROWS, rows - r0);
    arena.f64('stage', n * K).set(src.subarray(r0 * K, (r0 + n) * K));
    pack(r0, n);
  }
}

function wasmAtomProducts(Z: Float64Array, A: number, K: number, rows: number): AtomProducts | null {
  const arena = Arena.create(
    {
      W: rows * K * F64,
      Wp: roundUp(rows, MR) * K * F64,
      Zp: roundUp(A, NR) * K * F64,
      Zc: A * K * F64,
      G: rows * A * F64,
      H: rows * A * F64,
      start: (rows + 1) * I32,
      idx: rows * A * I32,
      val: rows * A * F64,
      stage: Math.min(STAGE_ROWS, A) * K * F64,
    },
    useHelpers(rows * A * K),
  );
  if (!arena) return null;
  const at = arena.at;
  const chunks = (K >> 3) + 1; // with the K mod 8 tail
  staged(arena, Z, A, K, (r0, n) => {
    arena.call(packPanels({ src: at.stage, rows: n, K, R: NR, dst: at.Zp + r0 * K * F64 }));
    arena.call(packChunks({ Z: at.stage, n, K, A, a0: r0, dst: at.Zc }));
  });
  return {
    W: arena.f64('W', rows * K),
    G: arena.f64('G', rows * A),
    H: arena.f64('H', rows * A),
    forward() {
      arena.call(packPanels({ src: at.W, rows, K, R: MR, dst: at.Wp }));
      // threads take disjoint panels of atoms (columns of G)
      panelProduct(arena, at.Wp, rows, at.Zp, A, K, at.G, A);
    },
    backward(scale) {
      const nnz = arena.call(csrRows({ H: at.H, rows, na: A, scale, start: at.start, idx: at.idx, val: at.val })) as number;
      // threads take disjoint chunks of 8 columns of W
      parallelRanges(arena, chunks, nnz * K, (c0, c1) =>
        gemmAddCsr({ start: at.start, idx: at.idx, val: at.val, rows, ZC: at.Zc, A, K, out: at.W, chunk0: c0, chunk1: c1 }),
      );
    },
  };
}

/** out (ldo) = A·Bᵀ from packed panels, the panels of B split between the threads. */
function panelProduct<T extends string>(
  arena: Arena<T>,
  Ap: number,
  na: number,
  Bp: number,
  nb: number,
  K: number,
  out: number,
  ldo: number,
): void {
  parallelRanges(arena, Math.ceil(nb / NR), na * nb * K, (q0, q1) =>
    gemmPanels({ Ap, na, Bp: Bp + q0 * NR * K * F64, nb: Math.min(nb, q1 * NR) - q0 * NR, K, out: out + q0 * NR * F64, ldo }),
  );
}

function wasmRowProducts(B: Float64Array, nb: number, K: number, maxRows: number): RowProducts | null {
  // Keep B packed in the arena when that is affordable; otherwise pack it block by block at each product.
  const resident = roundUp(nb, NR) * K * F64 <= residentLimit;
  const arena = Arena.create(
    {
      Bp: (resident ? roundUp(nb, NR) : STAGE_ROWS) * K * F64,
      A: maxRows * K * F64,
      Ap: roundUp(maxRows, MR) * K * F64,
      out: maxRows * nb * F64,
      stage: Math.min(STAGE_ROWS, nb) * K * F64,
    },
    useHelpers(maxRows * nb * K),
  );
  if (!arena) return null;
  const at = arena.at;
  const packB = (r0: number, n: number) =>
    arena.call(packPanels({ src: at.stage, rows: n, K, R: NR, dst: at.Bp + (resident ? r0 * K * F64 : 0) }));
  if (resident) staged(arena, B, nb, K, packB);
  return {
    multiply(Ain, na, out = new Float64Array(na * nb)) {
      checkRows(na, maxRows);
      arena.f64('A', na * K).set(Ain.subarray(0, na * K));
      arena.call(packPanels({ src: at.A, rows: na, K, R: MR, dst: at.Ap }));
      if (resident) panelProduct(arena, at.Ap, na, at.Bp, nb, K, at.out, nb);
      else {
        staged(arena, B, nb, K, (r0, n) => {
          packB(r0, n);
          panelProduct(arena, at.Ap, na, at.Bp, n, K, at.out + r0 * F64, nb);
        });
      }
      out.set(arena.f64('out', na * nb));
      return out;
    },
  };
}
