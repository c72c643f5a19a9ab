import { indices, type CallOf } from '../wasm/ops.js';
import { gemmKernels, type GemmKernelName, type GemmKernels } from './wasm.js';

/**
 * Typed calls of the dense engine's WebAssembly kernels (assembly/gemm.ts): one interface per kernel's
 * arguments and a builder that lays them out as the call array the kernel table and helper threads run.
 * Pointers are byte offsets into the arena's memory; matrices are row-major.
 */

type Call<K extends GemmKernelName> = CallOf<GemmKernels, K>;
const at = indices(gemmKernels.kernels);

/** Copy `rows` rows of src (rows × K) into panels of R rows interleaved along k, zero past the last row. */
export interface PackPanelsArgs {
  src: number;
  rows: number;
  K: number;
  /** panel height (even) */
  R: number;
  dst: number;
}
export const packPanels = (a: PackPanelsArgs): Call<'packPanels'> => [at.packPanels, a.src, a.rows, a.K, a.R, a.dst];

/** out[i·ldo + j] = Σ_k A[i, k]·B[j, k], A (na rows) packed in panels of 8 rows, B (nb rows) in panels of 2. */
export interface GemmPanelsArgs {
  Ap: number;
  na: number;
  Bp: number;
  nb: number;
  K: number;
  out: number;
  ldo: number;
}
export const gemmPanels = (a: GemmPanelsArgs): Call<'gemmPanels'> => [at.gemmPanels, a.Ap, a.na, a.Bp, a.nb, a.K, a.out, a.ldo];

/** Copy atoms a0 … a0+n−1 (n × K at Z) into the 8-column chunks of the packed Z of all A atoms. */
export interface PackChunksArgs {
  Z: number;
  n: number;
  K: number;
  A: number;
  a0: number;
  dst: number;
}
export const packChunks = (a: PackChunksArgs): Call<'packChunks'> => [at.packChunks, a.Z, a.n, a.K, a.A, a.a0, a.dst];

/** Compress scale·H (rows × na) into rows (start, idx, val) without its zeros; the kernel returns the count. */
export interface CsrRowsArgs {
  H: number;
  rows: number;
  na: number;
  scale: number;
  start: number;
  idx: number;
  val: number;
}
export const csrRows = (a: CsrRowsArgs): Call<'csrRows'> => [at.csrRows, a.H, a.rows, a.na, a.scale, a.start, a.idx, a.val];

/** out[r, k] += Σ_e val[e]·Z[idx[e], k] over row r's entries, for the 8-column chunks chunk0 … chunk1−1. */
export interface GemmAddCsrArgs {
  start: number;
  idx: number;
  val: number;
  rows: number;
  /** Z packed by packChunks */
  ZC: number;
  A: number;
  K: number;
  out: number;
  chunk0: number;
  chunk1: number;
}
export const gemmAddCsr = (a: GemmAddCsrArgs): Call<'gemmAddCsr'> => [
  at.gemmAddCsr,
  a.start,
  a.idx,
  a.val,
  a.rows,
  a.ZC,
  a.A,
  a.K,
  a.out,
  a.chunk0,
  a.chunk1,
];
