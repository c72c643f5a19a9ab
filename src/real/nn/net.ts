import type { Rng } from '../../util/rng.js';
import type { Heap } from './heap.js';
import { op, type Op } from './kernels.js';

/**
 * A network is a list of layers; each reads the output of an earlier layer (default: the previous one;
 * -1 is the network input) and the last one produces the logits. Layers with parameters: `conv` (filters
 * [Co, Ci, k, k] and bias [Co]) and `linear` (weights [O, I], bias [O]; it runs as a 1×1 convolution on
 * flat features). `add` is the residual sum of two earlier outputs.
 */
export type LayerSpec =
  | {
      kind: 'conv';
      out: number;
      k: number;
      stride?: number;
      pad?: number;
      input?: number;
      name?: string;
      /** default true */
      bias?: boolean;
      /** multiplies the He initialisation (e.g. < 1 on the last convolution of a residual branch) */
      initScale?: number;
    }
  | {
      kind: 'linear';
      out: number;
      input?: number;
      name?: string;
      /** fixed weights [O, I] that never train (the theory's second layer); no bias */
      fixed?: Float64Array;
    }
  | { kind: 'relu'; input?: number }
  | { kind: 'maxpool'; input?: number }
  | { kind: 'gap'; input?: number; /** sum instead of mean over positions */ sum?: boolean }
  | { kind: 'flatten'; input?: number }
  | { kind: 'add'; inputs: [number, number] };

export interface Shape {
  c: number;
  h: number;
  w: number;
}

export interface Param {
  /** e.g. "conv1.weight" */
  name: string;
  /** index of the layer in the spec */
  layer: number;
  role: 'weight' | 'bias';
  /** [Co, Ci, k, k], [O, I] or [Co] */
  shape: number[];
  /** filters (output units) = shape[0]; a filter's entries are contiguous */
  rows: number;
  offset: number;
  size: number;
  fanIn: number;
  /** never trained and never inherited (fixed by the architecture) */
  fixed: boolean;
  /** the layer is the classifier head (its rows are the classes) */
  head: boolean;
}

interface ParamLayer {
  layer: number;
  spec: Extract<LayerSpec, { kind: 'conv' | 'linear' }>;
  k: number;
  stride: number;
  pad: number;
  weight: Param;
  bias: Param | null;
}

export function inputsOf(spec: LayerSpec, i: number): number[] {
  if (spec.kind === 'add') return spec.inputs;
  return [spec.input ?? i - 1];
}

/** Output shape of every layer; throws on a wiring or shape error (a programming error, not user input). */
export function inferShapes(layers: readonly LayerSpec[], input: Shape): Shape[] {
  const shapes: Shape[] = [];
  const at = (j: number, i: number): Shape => {
    if (j < -1 || j >= i) throw new Error(`layer ${i} reads layer ${j}, which is not before it`);
    return j === -1 ? input : shapes[j];
  };
  layers.forEach((l, i) => {
    const [x] = inputsOf(l, i).map((j) => at(j, i));
    let s: Shape;
    switch (l.kind) {
      case 'conv': {
        const st = l.stride ?? 1;
        const p = l.pad ?? 0;
        const h = Math.floor((x.h + 2 * p - l.k) / st) + 1;
        const w = Math.floor((x.w + 2 * p - l.k) / st) + 1;
        if (h < 1 || w < 1) throw new Error(`layer ${i} (conv ${l.k}×${l.k}): input ${x.h}×${x.w} is too small`);
        s = { c: l.out, h, w };
        break;
      }
      case 'linear':
        if (x.h !== 1 || x.w !== 1) throw new Error(`layer ${i} (linear) needs flat input; add flatten or gap`);
        if (l.fixed && l.fixed.length !== l.out * x.c) throw new Error(`layer ${i}: fixed weights have wrong size`);
        s = { c: l.out, h: 1, w: 1 };
        break;
      case 'relu':
        s = x;
        break;
      case 'maxpool':
        if (x.h < 2 || x.w < 2) throw new Error(`layer ${i} (maxpool): input ${x.h}×${x.w} is too small`);
        s = { c: x.c, h: x.h >> 1, w: x.w >> 1 };
        break;
      case 'gap':
        s = { c: x.c, h: 1, w: 1 };
        break;
      case 'flatten':
        s = { c: x.c * x.h * x.w, h: 1, w: 1 };
        break;
      case 'add': {
        const y = at(l.inputs[1], i);
        if (x.c !== y.c || x.h !== y.h || x.w !== y.w) throw new Error(`layer ${i} (add): shapes differ`);
        s = x;
        break;
      }
    }
    shapes.push(s);
  });
  return shapes;
}

const size = (s: Shape) => s.c * s.h * s.w;

/** The parameters of a network, allocated once in a heap and shared by every compiled batch program. */
export class Model {
  readonly shapes: Shape[];
  readonly params: Param[] = [];
  readonly paramLayers: ParamLayer[] = [];
  readonly classes: number;

  constructor(
    readonly heap: Heap,
    readonly layers: readonly LayerSpec[],
    readonly input: Shape,
  ) {
    this.shapes = inferShapes(layers, input);
    const last = this.shapes[this.shapes.length - 1];
    if (last.h !== 1 || last.w !== 1) throw new Error('the last layer must produce flat logits');
    this.classes = last.c;
    let conv = 0;
    let lin = 0;
    const lastParamLayer = layers.reduce((a, l, i) => (l.kind === 'conv' || l.kind === 'linear' ? i : a), -1);
    layers.forEach((l, i) => {
      if (l.kind !== 'conv' && l.kind !== 'linear') return;
      const x = i === 0 ? input : this.shapes[inputsOf(l, i)[0]];
      const k = l.kind === 'conv' ? l.k : 1;
      const name = l.name ?? (l.kind === 'conv' ? `conv${++conv}` : `linear${++lin}`);
      const fanIn = x.c * k * k;
      const fixed = l.kind === 'linear' && l.fixed !== undefined;
      const hasBias = !fixed && !(l.kind === 'conv' && l.bias === false);
      const head = i === lastParamLayer;
      const mk = (role: 'weight' | 'bias', shape: number[]): Param => {
        const n = shape.reduce((a, b) => a * b, 1);
        const p: Param = { name: `${name}.${role}`, layer: i, role, shape, rows: shape[0], offset: heap.alloc(n), size: n, fanIn, fixed, head };
        this.params.push(p);
        return p;
      };
      const weight = mk('weight', l.kind === 'conv' ? [l.out, x.c, k, k] : [l.out, x.c]);
      const bias = hasBias ? mk('bias', [l.out]) : null;
      this.paramLayers.push({
        layer: i,
        spec: l,
        k,
        stride: l.kind === 'conv' ? (l.stride ?? 1) : 1,
        pad: l.kind === 'conv' ? (l.pad ?? 0) : 0,
        weight,
        bias,
      });
    });
  }

  /** The current values of a parameter (a view: re-fetch after any allocation). */
  view(p: Param): Float32Array | Float64Array {
    return this.heap.data.subarray(p.offset, p.offset + p.size);
  }

  get parameterCount(): number {
    return this.params.reduce((a, p) => a + p.size, 0);
  }

  /** He-normal weights (std √(2/fan-in)), zero biases, fixed weights as given; draws in parameter order. */
  init(rng: Rng): void {
    for (const pl of this.paramLayers) {
      const w = this.view(pl.weight);
      if (pl.spec.kind === 'linear' && pl.spec.fixed) {
        w.set(pl.spec.fixed);
      } else {
        const scale = pl.spec.kind === 'conv' ? (pl.spec.initScale ?? 1) : 1;
        const std = scale * Math.sqrt(2 / pl.weight.fanIn);
        for (let i = 0; i < w.length; i++) w[i] = std * rng.normal();
      }
      if (pl.bias) this.view(pl.bias).fill(0);
    }
  }

  /** All parameter values, concatenated in order (float64 copies). */
  snapshot(): Float64Array {
    const out = new Float64Array(this.parameterCount);
    let o = 0;
    for (const p of this.params) {
      out.set(this.view(p), o);
      o += p.size;
    }
    return out;
  }

  load(values: ArrayLike<number>): void {
    let o = 0;
    for (const p of this.params) {
      const v = this.view(p);
      for (let i = 0; i < p.size; i++) v[i] = values[o + i];
      o += p.size;
    }
  }
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

function im2colOp(name: 'im2col' | 'col2im', pl: ParamLayer, x: Shape, s: Shape, m: number, N: number, src: number, dst: number): Op {
  return op(name, x.c, m, N, x.h, x.w, pl.k, pl.k, pl.stride, pl.pad, s.h, s.w, src, dst);
}

/** The buffers and programs of one batch shard. */
export interface Shard {
  batch: number;
  /** [Cin, N, H, W] */
  input: number;
  /** [N], class indices as floats; −1 marks padding */
  labels: number;
  /** one element: the loss scale (1 / number of real samples in the whole batch) */
  scaleAt: number;
  /** [N] per-sample cross-entropy */
  losses: number;
  /** [K, N] */
  logits: number;
  forward: Op[];
  /** loss and gradients (empty for inference shards) */
  backward: Op[];
  /** per parameter, the offset of this shard's gradient (0 for fixed parameters or inference) */
  grads: number[];
  /** gradient with respect to the input, when asked for (gradient checks) */
  inputGrad: number;
}

export interface ShardOptions {
  backward?: boolean;
  inputGrad?: boolean;
  /** floats of im2col columns per chunk (tests force chunking with a small budget) */
  columnBudget?: number;
}

/** Allocate one shard's activations and compile its forward and backward programs. */
export function compileShard(model: Model, batch: number, opts: ShardOptions = {}): Shard {
  const { heap, layers, shapes, input } = model;
  const N = batch;
  const backward = opts.backward ?? true;
  const budget = opts.columnBudget ?? COLUMN_BUDGET;
  const val: number[] = [];
  const grad: number[] = [];
  const inputAt = heap.alloc(size(input) * N);
  const valOf = (j: number) => (j === -1 ? inputAt : val[j]);
  const shapeOf = (j: number) => (j === -1 ? input : shapes[j]);
  const fwd: Op[] = [];
  const byLayer = new Map(model.paramLayers.map((pl) => [pl.layer, pl]));
  // Column buffers of the chunked convolutions (shared by all layers of the shard, used one at a time).
  let colSize = 0;
  for (const pl of model.paramLayers) {
    if (isDirect(pl)) continue;
    const x = shapeOf(inputsOf(pl.spec, pl.layer)[0]);
    const S = shapes[pl.layer].h * shapes[pl.layer].w;
    const Kc = x.c * pl.k * pl.k;
    colSize = Math.max(colSize, Kc * S * chunksOf(Kc * S, N, budget)[0][1]);
  }
  const colBuf = colSize ? heap.alloc(colSize) : 0;
  /** per conv layer: its kept column buffer (one chunk), or 0 (recomputed per chunk in colBuf) */
  const kept = new Map<number, number>();
  // ReLU layers fused into the convolution before them: it is their only input and the conv's only reader.
  const readers = new Array<number>(layers.length).fill(0);
  layers.forEach((l, i) => inputsOf(l, i).forEach((j) => j >= 0 && readers[j]++));
  const fusedRelu = new Set<number>();
  layers.forEach((l, i) => {
    const prev = layers[i - 1];
    if (l.kind === 'relu' && inputsOf(l, i)[0] === i - 1 && prev && (prev.kind === 'conv' || prev.kind === 'linear') && readers[i - 1] === 1) {
      fusedRelu.add(i);
    }
  });
  /** output buffers of the fused ReLUs: their convolution's buffer */
  const fusedOut = new Map<number, number>();

  layers.forEach((l, i) => {
    const s = shapes[i];
    const ins = inputsOf(l, i);
    const x = shapeOf(ins[0]);
    const xAt = valOf(ins[0]);
    const yAt = fusedOut.get(i) ?? heap.alloc(size(s) * N);
    val.push(yAt);
    switch (l.kind) {
      case 'conv':
      case 'linear': {
        const pl = byLayer.get(i)!;
        const Kc = x.c * pl.k * pl.k;
        const S = s.h * s.w;
        const NS = N * S;
        // A ReLU that is the only reader of this output is fused into the GEMM: both layers share one buffer,
        // which holds the ReLU's output (nothing reads the pre-activation: ReLU's backward uses its output).
        const fuse = fusedRelu.has(i + 1);
        const out = yAt;
        if (fuse) fusedOut.set(i + 1, out);
        const bias = pl.bias ? pl.bias.offset : 0;
        const relu = fuse ? 1 : 0;
        if (isDirect(pl)) {
          fwd.push(op('gemmNN', s.c, NS, Kc, pl.weight.offset, Kc, xAt, NS, out, NS, 0, bias, relu));
        } else {
          const chunks = chunksOf(Kc * S, N, budget);
          // One chunk: keep the columns for the backward pass; several: recompute them there.
          const c = chunks.length === 1 ? heap.alloc(Kc * NS) : colBuf;
          kept.set(i, chunks.length === 1 ? c : 0);
          for (const [n0, m] of chunks) {
            fwd.push(im2colOp('im2col', pl, x, s, m, N, xAt + n0 * x.h * x.w, c));
            fwd.push(op('gemmNN', s.c, m * S, Kc, pl.weight.offset, Kc, c, m * S, out + n0 * S, NS, 0, bias, relu));
          }
        }
        break;
      }
      case 'relu':
        if (!fusedRelu.has(i)) fwd.push(op('relu', size(s) * N, xAt, yAt));
        break;
      case 'maxpool':
        fwd.push(op('maxpool', x.c * N, x.h, x.w, xAt, yAt));
        break;
      case 'gap':
        fwd.push(op('gpool', x.c * N, x.h * x.w, l.sum ? 1 : 1 / (x.h * x.w), xAt, yAt));
        break;
      case 'flatten':
        fwd.push(op('transpose', x.c, N, x.h * x.w, xAt, yAt));
        break;
      case 'add':
        fwd.push(op('add', size(s) * N, xAt, valOf(ins[1]), yAt));
        break;
    }
  });

  const K = model.classes;
  const labels = heap.alloc(N);
  const scaleAt = heap.alloc(1);
  const losses = heap.alloc(N);
  const logits = val[val.length - 1];
  const shard: Shard = {
    batch: N,
    input: inputAt,
    labels,
    scaleAt,
    losses,
    logits,
    forward: fwd,
    backward: [],
    grads: model.params.map(() => 0),
    inputGrad: 0,
  };
  heap.data.fill(-1, labels, labels + N);
  if (!backward) return shard;

  // Gradient buffers; the first writer of a gradient stores, later writers add (static, so no zero-fills).
  for (let i = 0; i < layers.length; i++) grad.push(heap.alloc(size(shapes[i]) * N));
  if (opts.inputGrad) shard.inputGrad = heap.alloc(size(input) * N);
  model.params.forEach((p, j) => {
    if (!p.fixed) shard.grads[j] = heap.alloc(p.size);
  });
  const dcols = colSize ? heap.alloc(colSize) : 0;
  const ntTmp = heap.alloc(2 * Math.max(...model.params.map((p) => p.size)));
  const gradOf = (j: number) => (j === -1 ? shard.inputGrad : grad[j]);
  const written = new Set<number>([layers.length - 1]);
  const bwd: Op[] = [op('softmaxCE', N, K, logits, labels, grad[layers.length - 1], losses, scaleAt)];
  /** Emit the gradient of input j; `emit(dst, acc)` writes it. Returns nothing if j needs no gradient. */
  const into = (j: number, emit: (dst: number, acc: number) => void) => {
    const g = gradOf(j);
    if (!g) return;
    emit(g, written.has(j) ? 1 : 0);
    written.add(j);
  };

  for (let i = layers.length - 1; i >= 0; i--) {
    if (!written.has(i)) continue; // output unused
    const l = layers[i];
    const s = shapes[i];
    const ins = inputsOf(l, i);
    const x = shapeOf(ins[0]);
    const xAt = valOf(ins[0]);
    const dy = grad[i];
    const n = size(s) * N;
    switch (l.kind) {
      case 'conv':
      case 'linear': {
        const pl = byLayer.get(i)!;
        const Kc = x.c * pl.k * pl.k;
        const S = s.h * s.w;
        const NS = N * S;
        const gW = pl.weight.fixed ? 0 : shard.grads[model.params.indexOf(pl.weight)];
        if (pl.bias) bwd.push(op('biasGrad', s.c, NS, dy, shard.grads[model.params.indexOf(pl.bias)], 0));
        if (isDirect(pl)) {
          if (gW) bwd.push(op('gemmNT', s.c, Kc, NS, dy, NS, xAt, NS, gW, Kc, 0, ntTmp));
          into(ins[0], (dx, acc) => bwd.push(op('gemmTN', Kc, NS, s.c, pl.weight.offset, Kc, dy, NS, dx, NS, acc)));
          break;
        }
        const chunks = chunksOf(Kc * S, N, budget);
        let dx = 0;
        into(ins[0], (g, acc) => {
          dx = g;
          if (!acc) bwd.push(op('fill', size(x) * N, g, 0));
        });
        chunks.forEach(([n0, m], ci) => {
          let c = kept.get(i)!;
          if (!c) {
            c = colBuf;
            bwd.push(im2colOp('im2col', pl, x, s, m, N, xAt + n0 * x.h * x.w, c));
          }
          const dyc = dy + n0 * S;
          const flags = (ci > 0 ? 2 : 0) | (ci < chunks.length - 1 ? 4 : 0);
          if (gW) bwd.push(op('gemmNT', s.c, Kc, m * S, dyc, NS, c, m * S, gW, Kc, flags, ntTmp));
          if (dx) {
            bwd.push(op('gemmTN', Kc, m * S, s.c, pl.weight.offset, Kc, dyc, NS, dcols, m * S, 0));
            bwd.push(im2colOp('col2im', pl, x, s, m, N, dcols, dx + n0 * x.h * x.w));
          }
        });
        break;
      }
      case 'relu':
        into(ins[0], (dx, acc) => bwd.push(op('reluBack', n, val[i], dy, dx, acc)));
        break;
      case 'maxpool':
        into(ins[0], (dx, acc) => bwd.push(op('maxpoolBack', x.c * N, x.h, x.w, xAt, val[i], dy, dx, acc)));
        break;
      case 'gap':
        into(ins[0], (dx, acc) =>
          bwd.push(op('gpoolBack', x.c * N, x.h * x.w, l.sum ? 1 : 1 / (x.h * x.w), dy, dx, acc)),
        );
        break;
      case 'flatten':
        into(ins[0], (dx, acc) => {
          if (!acc) bwd.push(op('transpose', x.c, x.h * x.w, N, dy, dx));
          else {
            const tmp = heap.alloc(n); // rare (the flattened tensor has another reader): its own scratch
            bwd.push(op('transpose', x.c, x.h * x.w, N, dy, tmp), op('addTo', n, tmp, dx));
          }
        });
        break;
      case 'add':
        for (const j of ins) into(j, (dx, acc) => bwd.push(acc ? op('addTo', n, dy, dx) : op('copy', n, dy, dx)));
        break;
    }
  }
  shard.backward = bwd;
  return shard;
}
