import type { CallOf } from '../../wasm/ops.js';
import { GemmNTFlags, kernelIndex as at, type CnnKernels, type KernelName } from './kernels.js';

/**
 * Typed calls of the CNN kernels, in the style of a kernel registry: one interface per kernel's arguments and
 * a builder that lays them out as the call array (an Op) that programs hold. Buffers are element offsets into
 * the heap (0: none, where a buffer is optional); matrices are row-major with leading dimensions ld*. Boolean
 * flags become the kernels' 0/1 words, so a program is the same numbers however it was written.
 */

type Call<K extends KernelName> = CallOf<CnnKernels, K>;
const bit = (b: boolean | undefined) => (b ? 1 : 0);

/** dst[0…n) = value */
export interface FillArgs {
  n: number;
  dst: number;
  value: number;
}
export const fill = (a: FillArgs): Call<'fill'> => [at.fill, a.n, a.dst, a.value];

/** dst = src over n elements */
export interface CopyArgs {
  n: number;
  src: number;
  dst: number;
}
export const copy = (a: CopyArgs): Call<'copy'> => [at.copy, a.n, a.src, a.dst];

/** dst += src over n elements */
export const addTo = (a: CopyArgs): Call<'addTo'> => [at.addTo, a.n, a.src, a.dst];

/** dst = a + b over n elements */
export interface AddArgs {
  n: number;
  a: number;
  b: number;
  dst: number;
}
export const add = (a: AddArgs): Call<'add'> => [at.add, a.n, a.a, a.b, a.dst];

/** The operands of C (+)= op(A) · op(B), C being M × N and the reduction K long. */
interface GemmArgs {
  M: number;
  N: number;
  K: number;
  A: number;
  lda: number;
  B: number;
  ldb: number;
  C: number;
  ldc: number;
}

/**
 * C (+)= A[M,K] · B[K,N], then the fused epilogue of a convolution: C[i, ·] += bias[i] where a bias is given,
 * and C = max(C, 0) with relu.
 */
export interface GemmNNArgs extends GemmArgs {
  accumulate?: boolean;
  /** offset of M biases (0: none) */
  bias?: number;
  relu?: boolean;
}
export const gemmNN = (a: GemmNNArgs): Call<'gemmNN'> => [
  at.gemmNN,
  ...gemmOperands(a),
  bit(a.accumulate),
  a.bias ?? 0,
  bit(a.relu),
];

/**
 * C (+)= A[M,K] · B[N,K]ᵀ, the long reductions of weight gradients, summed in float64 in tmp (M·N float64 =
 * 2·M·N float32 slots, 8-byte aligned). A reduction split into chunks continues the sums of the chunk before
 * (`resume`) and leaves all but the last in tmp (`partial`), so C gets one rounding of the whole sum.
 */
export interface GemmNTArgs extends GemmArgs {
  /** add the result to C */
  accumulate?: boolean;
  /** add to the sums already in tmp instead of starting afresh */
  resume?: boolean;
  /** leave the sums in tmp without writing C */
  partial?: boolean;
  tmp: number;
}
export const gemmNT = (a: GemmNTArgs): Call<'gemmNT'> => [
  at.gemmNT,
  ...gemmOperands(a),
  (a.accumulate ? GemmNTFlags.accumulate : 0) | (a.resume ? GemmNTFlags.resume : 0) | (a.partial ? GemmNTFlags.partial : 0),
  a.tmp,
];

/** C (+)= A[K,M]ᵀ · B[K,N] */
export interface GemmTNArgs extends GemmArgs {
  accumulate?: boolean;
}
export const gemmTN = (a: GemmTNArgs): Call<'gemmTN'> => [at.gemmTN, ...gemmOperands(a), bit(a.accumulate)];

function gemmOperands(a: GemmArgs): [number, number, number, number, number, number, number, number, number] {
  return [a.M, a.N, a.K, a.A, a.lda, a.B, a.ldb, a.C, a.ldc];
}

/**
 * The unfolding of a convolution's input: N images of [C, ldN, H, W] (a chunk of a larger batch of ldN
 * images) ↔ columns [C·kh·kw, N·Ho·Wo].
 */
export interface Im2colArgs {
  C: number;
  N: number;
  ldN: number;
  H: number;
  W: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  Ho: number;
  Wo: number;
  /** the images (im2col) or the columns (col2im) */
  src: number;
  /** the columns (im2col), or the images, added into (col2im) */
  dst: number;
}
const im2colWords = (a: Im2colArgs) => [a.C, a.N, a.ldN, a.H, a.W, a.kh, a.kw, a.stride, a.pad, a.Ho, a.Wo, a.src, a.dst] as const;
export const im2col = (a: Im2colArgs): Call<'im2col'> => [at.im2col, ...im2colWords(a)];
/** The adjoint of im2col: adds the columns back into the images. */
export const col2im = (a: Im2colArgs): Call<'col2im'> => [at.col2im, ...im2colWords(a)];

/** db[c] (+)= Σ_s dy[c, s] over C rows of S (float64 accumulation) */
export interface BiasGradArgs {
  C: number;
  S: number;
  dy: number;
  db: number;
  accumulate?: boolean;
}
export const biasGrad = (a: BiasGradArgs): Call<'biasGrad'> => [at.biasGrad, a.C, a.S, a.dy, a.db, bit(a.accumulate)];

/** y = max(x, 0) over n elements */
export interface ReluArgs {
  n: number;
  x: number;
  y: number;
}
export const relu = (a: ReluArgs): Call<'relu'> => [at.relu, a.n, a.x, a.y];

/** dx (+)= dy · [y > 0] */
export interface ReluBackArgs {
  n: number;
  y: number;
  dy: number;
  dx: number;
  accumulate?: boolean;
}
export const reluBack = (a: ReluBackArgs): Call<'reluBack'> => [at.reluBack, a.n, a.y, a.dy, a.dx, bit(a.accumulate)];

/** 2×2 stride-2 max over P planes of H × W (floor: a last odd row/column is dropped) */
export interface MaxpoolArgs {
  P: number;
  H: number;
  W: number;
  x: number;
  y: number;
}
export const maxpool = (a: MaxpoolArgs): Call<'maxpool'> => [at.maxpool, a.P, a.H, a.W, a.x, a.y];

/** The gradient goes to the first maximum of each window. */
export interface MaxpoolBackArgs extends MaxpoolArgs {
  dy: number;
  dx: number;
  accumulate?: boolean;
}
export const maxpoolBack = (a: MaxpoolBackArgs): Call<'maxpoolBack'> => [
  at.maxpoolBack,
  a.P,
  a.H,
  a.W,
  a.x,
  a.y,
  a.dy,
  a.dx,
  bit(a.accumulate),
];

/** y[p] = scale · Σ_s x[p, s] over P planes of S (a global average pool with scale 1/S) */
export interface GpoolArgs {
  P: number;
  S: number;
  scale: number;
  x: number;
  y: number;
}
export const gpool = (a: GpoolArgs): Call<'gpool'> => [at.gpool, a.P, a.S, a.scale, a.x, a.y];

/** dx[p, s] (+)= scale · dy[p] */
export interface GpoolBackArgs {
  P: number;
  S: number;
  scale: number;
  dy: number;
  dx: number;
  accumulate?: boolean;
}
export const gpoolBack = (a: GpoolBackArgs): Call<'gpoolBack'> => [at.gpoolBack, a.P, a.S, a.scale, a.dy, a.dx, bit(a.accumulate)];

/** dst[o, b, a] = src[o, a, b] */
export interface TransposeArgs {
  O: number;
  A: number;
  B: number;
  src: number;
  dst: number;
}
export const transpose = (a: TransposeArgs): Call<'transpose'> => [at.transpose, a.O, a.A, a.B, a.src, a.dst];

/** Per-sample cross-entropy of logits [K, N] and its gradient scaled by heap[scaleAt]; a label < 0 is padding. */
export interface SoftmaxCEArgs {
  N: number;
  K: number;
  logits: number;
  labels: number;
  dlogits: number;
  losses: number;
  scaleAt: number;
}
export const softmaxCE = (a: SoftmaxCEArgs): Call<'softmaxCE'> => [
  at.softmaxCE,
  a.N,
  a.K,
  a.logits,
  a.labels,
  a.dlogits,
  a.losses,
  a.scaleAt,
];
