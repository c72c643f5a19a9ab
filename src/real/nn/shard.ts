import type { Op } from '../../wasm/ops.js';
import { softmaxCE } from './calls.js';
import type { Heap } from './heap.js';
import { columnFloats, compilerOf, COLUMN_BUDGET } from './layers.js';
import { inputsOf, size, type LayerSpec, type Model, type Param, type ParamLayer, type ImageShape } from './net.js';

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
  /**
   * Per layer, the offset of its output [C, N, H·W] (flat layers: [C, N]). A ReLU fused into the convolution
   * before it shares that convolution's buffer, which then holds the ReLU's output.
   */
  outputs: number[];
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

/** What the layer compilers (layers.ts) share while one shard is compiled. */
export interface ShardContext {
  readonly heap: Heap;
  /** samples in the shard */
  readonly N: number;
  /** floats of im2col columns per chunk */
  readonly budget: number;
  readonly fwd: Op[];
  readonly bwd: Op[];
  /** output offset of layer j (−1: the input) */
  valOf(j: number): number;
  paramLayer(i: number): ParamLayer;
  /** this shard's gradient of a parameter (0: fixed) */
  gradOf(p: Param): number;
  /** ReLU layers fused into the convolution before them: it is their only input and the conv's only reader */
  readonly fusedRelu: ReadonlySet<number>;
  /** output buffers of the fused ReLUs: their convolution's buffer */
  readonly fusedOut: Map<number, number>;
  /** per conv layer: its kept column buffer (one chunk), or 0 (recomputed per chunk in colBuf) */
  readonly kept: Map<number, number>;
  /** the column buffer the chunked convolutions share (used one at a time), and its gradient */
  readonly colBuf: number;
  dcols: number;
  /** gemmNT's float64 sums, sized for the largest parameter */
  ntTmp: number;
  /** Emit the gradient of output j (−1: the input) with emit(dst, accumulate); nothing if j needs none. */
  into(j: number, emit: (dst: number, accumulate: boolean) => void): void;
}

/** Where a layer sits in the shard. */
export interface LayerSite {
  i: number;
  /** output shape, its elements over the shard, and its offset */
  s: ImageShape;
  n: number;
  y: number;
  ins: number[];
  /** the first input's shape and offset */
  x: ImageShape;
  xAt: number;
  /** the gradient of the output (backward only) */
  dy: number;
}

/** Fused ReLUs: a ReLU right after a conv or linear layer that nothing else reads. */
function fusedRelus(layers: readonly LayerSpec[]): Set<number> {
  const readers = new Array<number>(layers.length).fill(0);
  layers.forEach((l, i) => inputsOf(l, i).forEach((j) => j >= 0 && readers[j]++));
  const fused = new Set<number>();
  layers.forEach((l, i) => {
    const prev = layers[i - 1];
    if (l.kind === 'relu' && inputsOf(l, i)[0] === i - 1 && prev && (prev.kind === 'conv' || prev.kind === 'linear') && readers[i - 1] === 1) {
      fused.add(i);
    }
  });
  return fused;
}

/**
 * Allocate one shard's activations and compile its forward and backward programs, layer by layer through
 * each kind's compiler (layers.ts). The first writer of a gradient stores, later writers add (static, so no
 * zero-fills).
 */
export function compileShard(model: Model, batch: number, opts: ShardOptions = {}): Shard {
  const { heap, layers, shapes, input } = model;
  const N = batch;
  const budget = opts.columnBudget ?? COLUMN_BUDGET;
  const val: number[] = [];
  const grad: number[] = [];
  const grads = model.params.map(() => 0);
  const written = new Set<number>([layers.length - 1]);
  const inputAt = heap.alloc(size(input) * N);
  let inputGrad = 0;
  const colSize = columnFloats(model, N, budget);
  const byLayer = new Map(model.paramLayers.map((pl) => [pl.layer, pl]));
  const c: ShardContext = {
    heap,
    N,
    budget,
    fwd: [],
    bwd: [],
    valOf: (j) => (j === -1 ? inputAt : val[j]),
    paramLayer: (i) => byLayer.get(i)!,
    gradOf: (p) => grads[model.params.indexOf(p)],
    fusedRelu: fusedRelus(layers),
    fusedOut: new Map(),
    kept: new Map(),
    colBuf: colSize ? heap.alloc(colSize) : 0,
    dcols: 0,
    ntTmp: 0,
    into(j, emit) {
      const g = j === -1 ? inputGrad : grad[j];
      if (!g) return;
      emit(g, written.has(j));
      written.add(j);
    },
  };
  const site = (i: number): LayerSite => {
    const ins = inputsOf(layers[i], i);
    const s = shapes[i];
    const j = ins[0];
    return { i, s, n: size(s) * N, y: val[i], ins, x: j === -1 ? input : shapes[j], xAt: c.valOf(j), dy: grad[i] ?? 0 };
  };

  layers.forEach((l, i) => {
    val.push(c.fusedOut.get(i) ?? heap.alloc(size(shapes[i]) * N));
    compilerOf(l).forward(c, l, site(i));
  });

  const labels = heap.alloc(N);
  const scaleAt = heap.alloc(1);
  const losses = heap.alloc(N);
  const logits = val[val.length - 1];
  const shard: Shard = { batch: N, input: inputAt, labels, scaleAt, losses, logits, outputs: val, forward: c.fwd, backward: [], grads, inputGrad: 0 };
  heap.data.fill(-1, labels, labels + N);
  if (!(opts.backward ?? true)) return shard;

  for (let i = 0; i < layers.length; i++) grad.push(heap.alloc(size(shapes[i]) * N));
  if (opts.inputGrad) inputGrad = shard.inputGrad = heap.alloc(size(input) * N);
  model.params.forEach((p, j) => {
    if (!p.fixed) grads[j] = heap.alloc(p.size);
  });
  c.dcols = colSize ? heap.alloc(colSize) : 0;
  c.ntTmp = heap.alloc(2 * Math.max(...model.params.map((p) => p.size)));
  c.bwd.push(softmaxCE({ N, K: model.classes, logits, labels, dlogits: grad[layers.length - 1], losses, scaleAt }));
  for (let i = layers.length - 1; i >= 0; i--) {
    if (written.has(i)) compilerOf(layers[i]).backward(c, layers[i], site(i)); // else: output unused
  }
  shard.backward = c.bwd;
  return shard;
}
