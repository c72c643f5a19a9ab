import { cnnWasm } from '../../wasm/generated/cnn.js';
import type { KernelSet } from '../../wasm/module.js';
import { indices, type KernelFn } from '../../wasm/ops.js';

/**
 * The kernel contract of the real-data CNN engine. Every tensor lives in one flat heap (a Float32Array over
 * WebAssembly memory, or a plain Float32Array/Float64Array); kernels take element offsets into that heap and
 * sizes, never objects, so the same program (a list of kernel calls, built by calls.ts) runs on the plain JS
 * kernels, on the WebAssembly SIMD kernels (assembly/cnn) and on a helper thread that shares the memory.
 *
 * Layout: activations are channel-major, [C, N, H, W] ("CNHW"), so a convolution over a whole batch is one
 * GEMM: out[Co, N·Ho·Wo] = W[Co, Ci·kh·kw] · cols[Ci·kh·kw, N·Ho·Wo]. A linear layer is the 1×1 case on
 * [I, N] features. Matrices are row-major with explicit leading dimensions. Flags are 0/1 numbers here (the
 * ABI); calls.ts names them.
 */
export interface CnnKernels {
  fill(n: number, dst: number, value: number): void;
  copy(n: number, src: number, dst: number): void;
  addTo(n: number, src: number, dst: number): void;
  add(n: number, a: number, b: number, dst: number): void;
  gemmNN(M: number, N: number, K: number, A: number, lda: number, B: number, ldb: number, C: number, ldc: number, acc: number, bias: number, relu: number): void;
  gemmNT(M: number, N: number, K: number, A: number, lda: number, B: number, ldb: number, C: number, ldc: number, flags: number, tmp: number): void;
  gemmTN(M: number, N: number, K: number, A: number, lda: number, B: number, ldb: number, C: number, ldc: number, acc: number): void;
  im2col(C: number, N: number, ldN: number, H: number, W: number, kh: number, kw: number, stride: number, pad: number, Ho: number, Wo: number, src: number, dst: number): void;
  col2im(C: number, N: number, ldN: number, H: number, W: number, kh: number, kw: number, stride: number, pad: number, Ho: number, Wo: number, cols: number, dst: number): void;
  biasGrad(C: number, S: number, dy: number, db: number, acc: number): void;
  relu(n: number, x: number, y: number): void;
  reluBack(n: number, y: number, dy: number, dx: number, acc: number): void;
  maxpool(P: number, H: number, W: number, x: number, y: number): void;
  maxpoolBack(P: number, H: number, W: number, x: number, y: number, dy: number, dx: number, acc: number): void;
  gpool(P: number, S: number, scale: number, x: number, y: number): void;
  gpoolBack(P: number, S: number, scale: number, dy: number, dx: number, acc: number): void;
  transpose(O: number, A: number, B: number, src: number, dst: number): void;
  softmaxCE(N: number, K: number, logits: number, labels: number, dlogits: number, losses: number, scaleAt: number): void;
}

/** The kernels in call-table order (an Op's first word indexes this list). */
export const kernelNames = [
  'fill',
  'copy',
  'addTo',
  'add',
  'gemmNN',
  'gemmNT',
  'gemmTN',
  'im2col',
  'col2im',
  'biasGrad',
  'relu',
  'reluBack',
  'maxpool',
  'maxpoolBack',
  'gpool',
  'gpoolBack',
  'transpose',
  'softmaxCE',
] as const satisfies readonly (keyof CnnKernels)[];

export type KernelName = (typeof kernelNames)[number];

/** gemmNT's flag bits: add to C; continue the float64 sums in tmp; leave them there without writing C. */
export const GemmNTFlags = { accumulate: 1, resume: 2, partial: 4 } as const;
export const kernelIndex = indices(kernelNames);

/** The SIMD kernels (float32), on a heap shared with the helper threads. */
export const cnnKernels: KernelSet<KernelName> = { name: 'cnn', binary: cnnWasm, kernels: kernelNames };

/** A kernel table as an array in kernelNames order. */
export function tableArray(t: CnnKernels): KernelFn[] {
  return kernelNames.map((n) => t[n] as KernelFn);
}
