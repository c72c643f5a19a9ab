/**
 * The kernel contract of the real-data CNN engine. Every tensor lives in one flat heap (a Float32Array over
 * WebAssembly memory, or a plain Float32Array/Float64Array); kernels take element offsets into that heap and
 * sizes, never objects, so the same program (a list of kernel calls) runs on the plain JS kernels, on the
 * WebAssembly SIMD kernels and in a worker thread that shares the memory.
 *
 * Layout: activations are channel-major, [C, N, H, W] ("CNHW"), so a convolution over a whole batch is one
 * GEMM: out[Co, N·Ho·Wo] = W[Co, Ci·kh·kw] · cols[Ci·kh·kw, N·Ho·Wo]. A linear layer is the 1×1 case on
 * [I, N] features. Matrices are row-major with explicit leading dimensions. `acc` = 1 adds to the output.
 */
export const kernelNames = [
  /** fill(n, dst, value) */
  'fill',
  /** copy(n, src, dst) */
  'copy',
  /** addTo(n, src, dst): dst += src */
  'addTo',
  /** add(n, a, b, dst): dst = a + b */
  'add',
  /**
   * gemmNN(M, N, K, A, lda, B, ldb, C, ldc, acc, bias, relu): C (+)= A[M,K] · B[K,N], then (the fused epilogue
   * of a convolution) C[i, ·] += bias[i] if bias ≠ 0, and C = max(C, 0) if relu = 1
   */
  'gemmNN',
  /**
   * gemmNT(M, N, K, A, lda, B, ldb, C, ldc, flags, tmp): C (+)= A[M,K] · B[N,K]ᵀ, the long reductions of weight
   * gradients, summed in float64 in tmp (M·N float64 = 2·M·N float32 slots, 8-byte aligned). flags: 1 adds to
   * C; 2 continues the sums already in tmp; 4 leaves them in tmp without writing C (a reduction in chunks).
   */
  'gemmNT',
  /** gemmTN(M, N, K, A, lda, B, ldb, C, ldc, acc): C (+)= A[K,M]ᵀ · B[K,N] */
  'gemmTN',
  /**
   * im2col(C, N, ldN, H, W, kh, kw, stride, pad, Ho, Wo, src, dst): N images of [C, ldN, H, W] (a chunk of a
   * larger batch of ldN images) → [C·kh·kw, N·Ho·Wo]
   */
  'im2col',
  /** col2im(C, N, ldN, H, W, kh, kw, stride, pad, Ho, Wo, cols, dst): the adjoint of im2col, adds into dst */
  'col2im',
  /** biasGrad(C, S, dy, db, acc): db[c] (+)= Σ_s dy[c, s] (float64 accumulation) */
  'biasGrad',
  /** relu(n, x, y): y = max(x, 0) */
  'relu',
  /** reluBack(n, y, dy, dx, acc): dx (+)= dy · [y > 0] */
  'reluBack',
  /** maxpool(P, H, W, x, y): 2×2 stride-2 max over P planes (floor: a last odd row/column is dropped) */
  'maxpool',
  /** maxpoolBack(P, H, W, x, y, dy, dx, acc): the gradient goes to the first maximum of each window */
  'maxpoolBack',
  /** gpool(P, S, scale, x, y): y[p] = scale · Σ_s x[p, s] (global average pool with scale 1/S) */
  'gpool',
  /** gpoolBack(P, S, scale, dy, dx, acc): dx[p, s] (+)= scale · dy[p] */
  'gpoolBack',
  /** transpose(O, A, B, src, dst): dst[o, b, a] = src[o, a, b] */
  'transpose',
  /** softmaxCE(N, K, logits, labels, dlogits, losses, scaleAt): logits [K, N]; label < 0 means padding */
  'softmaxCE',
] as const;

export type KernelName = (typeof kernelNames)[number];
export type KernelFn = (...args: number[]) => void;
export type KernelTable = Record<KernelName, KernelFn>;

export const kernelIndex = Object.fromEntries(kernelNames.map((n, i) => [n, i])) as Record<KernelName, number>;

/** One call: [kernel index, ...arguments]. */
export type Op = number[];

export function op(name: KernelName, ...args: number[]): Op {
  return [kernelIndex[name], ...args];
}

/** Run a program on a kernel table given as an array indexed like kernelNames. */
export function runOps(table: readonly KernelFn[], ops: readonly Op[]): void {
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    const f = table[o[0]];
    switch (o.length) {
      case 4:
        f(o[1], o[2], o[3]);
        break;
      case 5:
        f(o[1], o[2], o[3], o[4]);
        break;
      case 6:
        f(o[1], o[2], o[3], o[4], o[5]);
        break;
      case 7:
        f(o[1], o[2], o[3], o[4], o[5], o[6]);
        break;
      case 8:
        f(o[1], o[2], o[3], o[4], o[5], o[6], o[7]);
        break;
      case 9:
        f(o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8]);
        break;
      case 11:
        f(o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10]);
        break;
      case 13:
        f(o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11], o[12]);
        break;
      case 12:
        f(o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11]);
        break;
      case 14:
        f(o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11], o[12], o[13]);
        break;
      default:
        f(...o.slice(1));
    }
  }
}

/** The table as an array in kernelNames order. */
export function tableArray(t: KernelTable): KernelFn[] {
  return kernelNames.map((n) => t[n]);
}
