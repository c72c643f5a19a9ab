import { add, addTo, biasGrad, col2im, copy, fill, gemmNN, gemmNT, gemmTN, gpool, gpoolBack, im2col, maxpool, maxpoolBack, relu, reluBack, transpose, type Im2colArgs } from './calls.js';
import { inputsOf, size, type LayerSpec, type Model, type ParamLayer, type ImageShape } from './net.js';
import type { LayerSite, ShardContext } from './shard.js';

/**
 * How each kind of layer compiles into a shard's programs: its forward calls, and its backward calls, which
 * write the gradient of each input through `c.into` (the first writer stores, later ones add). The shared
 * bookkeeping — buffers, the order of layers, which gradients exist — is compileShard's (shard.ts).
 */
export interface LayerCompiler<L extends LayerSpec = LayerSpec> {
  forward(c: ShardContext, l: L, at: LayerSite): void;
  backward(c: ShardContext, l: L, at: LayerSite): void;
}

const isDirect = (pl: ParamLayer) => pl.k === 1 && pl.stride === 1 && pl.pad === 0;

/**
 * Images per im2col chunk: a chunk's columns (Kc·Ho·Wo floats per image) stay within a cache-sized budget,
 * so the GEMMs read them from L2 instead of memory. A function of shapes only (results stay deterministic).
 */
export const COLUMN_BUDGET = 131072;

/** [first image, images] of each chunk of a batch of N, for per-image column size `perImage`. */
export function chunksOf(perImage: number, N: number, budget = COLUMN_BUDGET): [number, number][] {
  const per = Math.max(1, Math.min(N, Math.floor(budget / perImage)));
  const out: [number, number][] = [];
  for (let n0 = 0; n0 < N; n0 += per) out.push([n0, Math.min(per, N - n0)]);
  return out;
}

/** Floats of the column buffer that the chunked convolutions of a shard of N share (0: none needs one). */
export function columnFloats(model: Model, N: number, budget: number): number {
  let floats = 0;
  for (const pl of model.paramLayers) {
    if (isDirect(pl)) continue;
    const j = inputsOf(pl.spec, pl.layer)[0];
    const x = j === -1 ? model.input : model.shapes[j];
    const S = model.shapes[pl.layer].h * model.shapes[pl.layer].w;
    const Kc = x.c * pl.k * pl.k;
    floats = Math.max(floats, Kc * S * chunksOf(Kc * S, N, budget)[0][1]);
  }
  return floats;
}

/** The im2col / col2im arguments of chunk [·, m images) of a convolution over a batch of N. */
function unfold(pl: ParamLayer, x: ImageShape, s: ImageShape, m: number, N: number, src: number, dst: number): Im2colArgs {
  return { C: x.c, N: m, ldN: N, H: x.h, W: x.w, kh: pl.k, kw: pl.k, stride: pl.stride, pad: pl.pad, Ho: s.h, Wo: s.w, src, dst };
}

/**
 * conv and linear (a 1×1 convolution on flat features): one GEMM per chunk of images over their im2col
 * columns, or one GEMM straight on the input when the convolution is 1×1 (direct). Bias and a fused ReLU
 * run in the GEMM's epilogue.
 */
const weighted: LayerCompiler<Extract<LayerSpec, { kind: 'conv' | 'linear' }>> = {
  forward(c, _l, { i, s, x, xAt, y }) {
    const pl = c.paramLayer(i);
    const Kc = x.c * pl.k * pl.k;
    const S = s.h * s.w;
    const NS = c.N * S;
    // A ReLU that is the only reader of this output is fused into the GEMM: both layers share one buffer,
    // which holds the ReLU's output (nothing reads the pre-activation: ReLU's backward uses its output).
    const fuse = c.fusedRelu.has(i + 1);
    if (fuse) c.fusedOut.set(i + 1, y);
    const epilogue = { bias: pl.bias ? pl.bias.offset : 0, relu: fuse };
    const W = pl.weight.offset;
    if (isDirect(pl)) {
      c.fwd.push(gemmNN({ M: s.c, N: NS, K: Kc, A: W, lda: Kc, B: xAt, ldb: NS, C: y, ldc: NS, ...epilogue }));
      return;
    }
    const chunks = chunksOf(Kc * S, c.N, c.budget);
    // One chunk: keep the columns for the backward pass; several: recompute them there.
    const cols = chunks.length === 1 ? c.heap.alloc(Kc * NS) : c.colBuf;
    c.kept.set(i, chunks.length === 1 ? cols : 0);
    for (const [n0, m] of chunks) {
      c.fwd.push(im2col(unfold(pl, x, s, m, c.N, xAt + n0 * x.h * x.w, cols)));
      c.fwd.push(gemmNN({ M: s.c, N: m * S, K: Kc, A: W, lda: Kc, B: cols, ldb: m * S, C: y + n0 * S, ldc: NS, ...epilogue }));
    }
  },
  backward(c, _l, { i, s, ins, x, xAt, dy }) {
    const pl = c.paramLayer(i);
    const N = c.N;
    const Kc = x.c * pl.k * pl.k;
    const S = s.h * s.w;
    const NS = N * S;
    const W = pl.weight.offset;
    const gW = c.gradOf(pl.weight);
    if (pl.bias) c.bwd.push(biasGrad({ C: s.c, S: NS, dy, db: c.gradOf(pl.bias) }));
    if (isDirect(pl)) {
      if (gW) c.bwd.push(gemmNT({ M: s.c, N: Kc, K: NS, A: dy, lda: NS, B: xAt, ldb: NS, C: gW, ldc: Kc, tmp: c.ntTmp }));
      c.into(ins[0], (dx, accumulate) =>
        c.bwd.push(gemmTN({ M: Kc, N: NS, K: s.c, A: W, lda: Kc, B: dy, ldb: NS, C: dx, ldc: NS, accumulate })),
      );
      return;
    }
    const chunks = chunksOf(Kc * S, N, c.budget);
    let dx = 0;
    c.into(ins[0], (g, accumulate) => {
      dx = g;
      if (!accumulate) c.bwd.push(fill({ n: size(x) * N, dst: g, value: 0 })); // col2im adds
    });
    chunks.forEach(([n0, m], ci) => {
      let cols = c.kept.get(i)!;
      if (!cols) {
        cols = c.colBuf;
        c.bwd.push(im2col(unfold(pl, x, s, m, N, xAt + n0 * x.h * x.w, cols)));
      }
      const dyc = dy + n0 * S;
      // The weight gradient sums over every chunk in float64 and is rounded once, after the last.
      const sums = { resume: ci > 0, partial: ci < chunks.length - 1 };
      if (gW) c.bwd.push(gemmNT({ M: s.c, N: Kc, K: m * S, A: dyc, lda: NS, B: cols, ldb: m * S, C: gW, ldc: Kc, ...sums, tmp: c.ntTmp }));
      if (dx) {
        c.bwd.push(gemmTN({ M: Kc, N: m * S, K: s.c, A: W, lda: Kc, B: dyc, ldb: NS, C: c.dcols, ldc: m * S }));
        c.bwd.push(col2im(unfold(pl, x, s, m, N, c.dcols, dx + n0 * x.h * x.w)));
      }
    });
  },
};

const reluLayer: LayerCompiler = {
  forward(c, _l, { i, n, xAt, y }) {
    if (!c.fusedRelu.has(i)) c.fwd.push(relu({ n, x: xAt, y }));
  },
  backward(c, _l, { ins, n, y, dy }) {
    c.into(ins[0], (dx, accumulate) => c.bwd.push(reluBack({ n, y, dy, dx, accumulate })));
  },
};

const maxpoolLayer: LayerCompiler = {
  forward(c, _l, { x, xAt, y }) {
    c.fwd.push(maxpool({ P: x.c * c.N, H: x.h, W: x.w, x: xAt, y }));
  },
  backward(c, _l, { ins, x, xAt, y, dy }) {
    c.into(ins[0], (dx, accumulate) => c.bwd.push(maxpoolBack({ P: x.c * c.N, H: x.h, W: x.w, x: xAt, y, dy, dx, accumulate })));
  },
};

/** global average (or sum) pooling over positions */
const gapLayer: LayerCompiler<Extract<LayerSpec, { kind: 'gap' }>> = {
  forward(c, l, { x, xAt, y }) {
    c.fwd.push(gpool({ P: x.c * c.N, S: x.h * x.w, scale: l.sum ? 1 : 1 / (x.h * x.w), x: xAt, y }));
  },
  backward(c, l, { ins, x, dy }) {
    const scale = l.sum ? 1 : 1 / (x.h * x.w);
    c.into(ins[0], (dx, accumulate) => c.bwd.push(gpoolBack({ P: x.c * c.N, S: x.h * x.w, scale, dy, dx, accumulate })));
  },
};

/** [C, N, H·W] → [C·H·W, N] features */
const flattenLayer: LayerCompiler = {
  forward(c, _l, { x, xAt, y }) {
    c.fwd.push(transpose({ O: x.c, A: c.N, B: x.h * x.w, src: xAt, dst: y }));
  },
  backward(c, _l, { ins, n, x, dy }) {
    c.into(ins[0], (dx, accumulate) => {
      const back = (dst: number) => transpose({ O: x.c, A: x.h * x.w, B: c.N, src: dy, dst });
      if (!accumulate) c.bwd.push(back(dx));
      else {
        const tmp = c.heap.alloc(n); // rare (the flattened tensor has another reader): its own scratch
        c.bwd.push(back(tmp), addTo({ n, src: tmp, dst: dx }));
      }
    });
  },
};

/** the residual sum of two outputs */
const addLayer: LayerCompiler = {
  forward(c, _l, { ins, n, xAt, y }) {
    c.fwd.push(add({ n, a: xAt, b: c.valOf(ins[1]), dst: y }));
  },
  backward(c, _l, { ins, n, dy }) {
    for (const j of ins) c.into(j, (dx, accumulate) => c.bwd.push((accumulate ? addTo : copy)({ n, src: dy, dst: dx })));
  },
};

const compilers: { [K in LayerSpec['kind']]: LayerCompiler<Extract<LayerSpec, { kind: K }>> } = {
  conv: weighted,
  linear: weighted,
  relu: reluLayer,
  maxpool: maxpoolLayer,
  gap: gapLayer,
  flatten: flattenLayer,
  add: addLayer,
};

/** The compiler of a layer's kind. */
export function compilerOf(l: LayerSpec): LayerCompiler {
  return compilers[l.kind] as LayerCompiler;
}
