import type { Heap } from './heap.js';
import { GemmNTFlags, type CnnKernels } from './kernels.js';

/**
 * The reference kernels: plain loops over the heap, every sum accumulated in float64 (JS numbers) and
 * rounded once on store. They define what the fast kernels must compute, and in a float64 heap they are
 * the engine of the finite-difference gradient checks.
 */
export function plainKernels(heap: Heap): CnnKernels {
  // gemmNT's float64 sums, kept here by tmp offset (a float32 heap could not hold them exactly).
  const sums = new Map<number, Float64Array>();
  return {
    fill(n, dst, value) {
      heap.data.fill(value, dst, dst + n);
    },
    copy(n, src, dst) {
      const h = heap.data;
      h.copyWithin(dst, src, src + n);
    },
    addTo(n, src, dst) {
      const h = heap.data;
      for (let i = 0; i < n; i++) h[dst + i] += h[src + i];
    },
    add(n, a, b, dst) {
      const h = heap.data;
      for (let i = 0; i < n; i++) h[dst + i] = h[a + i] + h[b + i];
    },
    gemmNN(M, N, K, A, lda, B, ldb, C, ldc, acc, bias, relu) {
      const h = heap.data;
      for (let i = 0; i < M; i++) {
        const b = bias ? h[bias + i] : 0;
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += h[A + i * lda + k] * h[B + k * ldb + j];
          const c = C + i * ldc + j;
          const v = (acc ? h[c] + s : s) + b;
          h[c] = relu && !(v > 0) ? 0 : v;
        }
      }
    },
    gemmNT(M, N, K, A, lda, B, ldb, C, ldc, flags, tmp) {
      const h = heap.data;
      let t = sums.get(tmp);
      if (!t || t.length !== M * N || !(flags & GemmNTFlags.resume)) sums.set(tmp, (t = new Float64Array(M * N)));
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += h[A + i * lda + k] * h[B + j * ldb + k];
          t[i * N + j] += s;
        }
      }
      if (flags & GemmNTFlags.partial) return;
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          const c = C + i * ldc + j;
          h[c] = flags & GemmNTFlags.accumulate ? h[c] + t[i * N + j] : t[i * N + j];
        }
      }
    },
    gemmTN(M, N, K, A, lda, B, ldb, C, ldc, acc) {
      const h = heap.data;
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += h[A + k * lda + i] * h[B + k * ldb + j];
          const c = C + i * ldc + j;
          h[c] = acc ? h[c] + s : s;
        }
      }
    },
    im2col(C, N, ldN, H, W, kh, kw, stride, pad, Ho, Wo, src, dst) {
      const h = heap.data;
      const cols = N * Ho * Wo;
      for (let c = 0; c < C; c++) {
        for (let ki = 0; ki < kh; ki++) {
          for (let kj = 0; kj < kw; kj++) {
            const row = dst + ((c * kh + ki) * kw + kj) * cols;
            for (let n = 0; n < N; n++) {
              for (let oh = 0; oh < Ho; oh++) {
                const ih = oh * stride - pad + ki;
                for (let ow = 0; ow < Wo; ow++) {
                  const iw = ow * stride - pad + kj;
                  const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
                  h[row + (n * Ho + oh) * Wo + ow] = inside ? h[src + ((c * ldN + n) * H + ih) * W + iw] : 0;
                }
              }
            }
          }
        }
      }
    },
    col2im(C, N, ldN, H, W, kh, kw, stride, pad, Ho, Wo, colsAt, dst) {
      const h = heap.data;
      const cols = N * Ho * Wo;
      for (let c = 0; c < C; c++) {
        for (let ki = 0; ki < kh; ki++) {
          for (let kj = 0; kj < kw; kj++) {
            const row = colsAt + ((c * kh + ki) * kw + kj) * cols;
            for (let n = 0; n < N; n++) {
              for (let oh = 0; oh < Ho; oh++) {
                const ih = oh * stride - pad + ki;
                if (ih < 0 || ih >= H) continue;
                for (let ow = 0; ow < Wo; ow++) {
                  const iw = ow * stride - pad + kj;
                  if (iw < 0 || iw >= W) continue;
                  h[dst + ((c * ldN + n) * H + ih) * W + iw] += h[row + (n * Ho + oh) * Wo + ow];
                }
              }
            }
          }
        }
      }
    },
    biasGrad(C, S, dy, db, acc) {
      const h = heap.data;
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let i = 0; i < S; i++) s += h[dy + c * S + i];
        h[db + c] = acc ? h[db + c] + s : s;
      }
    },
    relu(n, x, y) {
      const h = heap.data;
      for (let i = 0; i < n; i++) h[y + i] = h[x + i] > 0 ? h[x + i] : 0;
    },
    reluBack(n, y, dy, dx, acc) {
      const h = heap.data;
      for (let i = 0; i < n; i++) {
        const g = h[y + i] > 0 ? h[dy + i] : 0;
        h[dx + i] = acc ? h[dx + i] + g : g;
      }
    },
    maxpool(P, H, W, x, y) {
      const h = heap.data;
      const Ho = H >> 1;
      const Wo = W >> 1;
      for (let p = 0; p < P; p++) {
        for (let oh = 0; oh < Ho; oh++) {
          for (let ow = 0; ow < Wo; ow++) {
            const a = x + (p * H + 2 * oh) * W + 2 * ow;
            h[y + (p * Ho + oh) * Wo + ow] = Math.max(h[a], h[a + 1], h[a + W], h[a + W + 1]);
          }
        }
      }
    },
    maxpoolBack(P, H, W, x, y, dy, dx, acc) {
      const h = heap.data;
      const Ho = H >> 1;
      const Wo = W >> 1;
      if (!acc) h.fill(0, dx, dx + P * H * W);
      for (let p = 0; p < P; p++) {
        for (let oh = 0; oh < Ho; oh++) {
          for (let ow = 0; ow < Wo; ow++) {
            const o = (p * Ho + oh) * Wo + ow;
            const a = (p * H + 2 * oh) * W + 2 * ow;
            const m = h[y + o];
            const at = h[x + a] === m ? a : h[x + a + 1] === m ? a + 1 : h[x + a + W] === m ? a + W : a + W + 1;
            h[dx + at] += h[dy + o];
          }
        }
      }
    },
    gpool(P, S, scale, x, y) {
      const h = heap.data;
      for (let p = 0; p < P; p++) {
        let s = 0;
        for (let i = 0; i < S; i++) s += h[x + p * S + i];
        h[y + p] = scale * s;
      }
    },
    gpoolBack(P, S, scale, dy, dx, acc) {
      const h = heap.data;
      for (let p = 0; p < P; p++) {
        const g = scale * h[dy + p];
        for (let i = 0; i < S; i++) {
          const at = dx + p * S + i;
          h[at] = acc ? h[at] + g : g;
        }
      }
    },
    transpose(O, A, B, src, dst) {
      const h = heap.data;
      for (let o = 0; o < O; o++) {
        for (let a = 0; a < A; a++) {
          for (let b = 0; b < B; b++) h[dst + (o * B + b) * A + a] = h[src + (o * A + a) * B + b];
        }
      }
    },
    softmaxCE(N, K, logits, labels, dlogits, losses, scaleAt) {
      const h = heap.data;
      const scale = h[scaleAt];
      for (let n = 0; n < N; n++) {
        const y = h[labels + n];
        if (y < 0) {
          h[losses + n] = 0;
          for (let k = 0; k < K; k++) h[dlogits + k * N + n] = 0;
          continue;
        }
        let m = -Infinity;
        for (let k = 0; k < K; k++) m = Math.max(m, h[logits + k * N + n]);
        let se = 0;
        for (let k = 0; k < K; k++) se += Math.exp(h[logits + k * N + n] - m);
        const lse = m + Math.log(se);
        h[losses + n] = lse - h[logits + y * N + n];
        for (let k = 0; k < K; k++) {
          const p = Math.exp(h[logits + k * N + n] - lse);
          h[dlogits + k * N + n] = (p - (k === y ? 1 : 0)) * scale;
        }
      }
    },
  };
}
