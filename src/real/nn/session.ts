import { exp, log } from '../../util/detmath.js';
import type { Backend } from './backend.js';
import type { HeapArray } from './heap.js';
import type { Op } from '../../wasm/ops.js';
import { addTo } from './calls.js';
import type { Model, ImageShape } from './net.js';
import { compileShard, type Shard } from './shard.js';
import type { Optimizer } from './optim.js';
import type { Runner } from './runner.js';

/** Images [N, C, H, W] in [0, 1] with class indices 0…K−1. */
export interface ImageSet {
  x: Float32Array;
  y: Int32Array;
  shape: ImageShape;
  count: number;
}

export interface SessionOptions {
  /** minibatch size */
  batch: number;
  /** fixed partition of every batch (not the thread count: results do not depend on threads) */
  shards?: number;
  /** samples per evaluation pass */
  evalBatch?: number;
}

export interface Evaluation {
  /** mean cross-entropy */
  loss: number;
  accuracy: number;
}

/**
 * Training and evaluation of one model: batches are split into a fixed number of shards, each with its own
 * buffers and programs; the shards' gradients are summed in shard order into shard 0's buffers.
 */
export class Session {
  readonly shards: number;
  private readonly train: Shard[];
  private readonly trainIds: number[];
  private readonly evalShards: Shard[];
  private readonly evalIds: number[];
  private readonly reduce: Op[] = [];

  constructor(
    readonly backend: Backend,
    readonly model: Model,
    readonly runner: Runner,
    readonly opts: SessionOptions,
  ) {
    this.shards = Math.max(1, Math.min(opts.shards ?? 2, opts.batch));
    const per = Math.ceil(opts.batch / this.shards);
    this.train = Array.from({ length: this.shards }, () => compileShard(model, per));
    this.trainIds = this.train.map((s) => runner.register([...s.forward, ...s.backward]));
    const evalPer = Math.ceil((opts.evalBatch ?? 256) / this.shards);
    this.evalShards = Array.from({ length: this.shards }, () => compileShard(model, evalPer, { backward: false }));
    this.evalIds = this.evalShards.map((s) => runner.register(s.forward));
    model.params.forEach((p, j) => {
      for (let s = 1; s < this.shards; s++) {
        if (this.train[0].grads[j]) this.reduce.push(addTo({ n: p.size, src: this.train[s].grads[j], dst: this.train[0].grads[j] }));
      }
    });
  }

  /** Gradient offsets (shard 0's buffers hold the batch total after a step). */
  get grads(): readonly number[] {
    return this.train[0].grads;
  }

  /**
   * Forward and backward on samples order[from…to) of data (at most one batch); leaves the batch-mean
   * gradient in `grads` and returns the batch-mean loss (float64 sum of per-sample losses).
   */
  gradient(data: ImageSet, order: ArrayLike<number>, from: number, to: number): number {
    const count = to - from;
    const capacity = this.train.reduce((a, s) => a + s.batch, 0);
    if (!(count >= 1 && count <= capacity)) throw new RangeError(`a batch of ${count} samples (capacity ${capacity})`);
    this.fill(this.train, data, order, from, to, 1 / count);
    this.runner.run(this.trainIds);
    this.backend.run(this.reduce);
    const h = this.backend.heap.data;
    let loss = 0;
    for (const s of this.train) for (let n = 0; n < s.batch; n++) loss += h[s.losses + n];
    return loss / count;
  }

  /** One optimiser step on samples order[from…to); returns the batch-mean loss before the step. */
  step(data: ImageSet, order: ArrayLike<number>, from: number, to: number, optimizer: Optimizer): number {
    const loss = this.gradient(data, order, from, to);
    optimizer.step(this.grads);
    return loss;
  }

  /** Forward passes over every sample of data: `visit(i, at, stride)` reads sample i's logit k at heap[at + k·stride]. */
  private forward(data: ImageSet, visit: (i: number, at: number, stride: number) => void): void {
    const per = this.evalShards[0].batch;
    const batch = per * this.shards;
    for (let from = 0; from < data.count; from += batch) {
      const to = Math.min(data.count, from + batch);
      this.fill(this.evalShards, data, null, from, to, 0);
      this.runner.run(this.evalIds);
      this.evalShards.forEach((s, si) => {
        for (let n = 0; n < s.batch; n++) {
          const i = from + si * per + n;
          if (i >= to) return;
          visit(i, s.logits + n, s.batch);
        }
      });
    }
  }

  /** Mean loss and accuracy on every sample of data. */
  evaluate(data: ImageSet): Evaluation {
    const K = this.model.classes;
    let loss = 0;
    let correct = 0;
    this.forward(data, (i, at, stride) => {
      const h = this.backend.heap.data;
      let best = 0;
      let m = -Infinity;
      for (let k = 0; k < K; k++) {
        const v = h[at + k * stride];
        if (v > m) {
          m = v;
          best = k;
        }
      }
      let se = 0;
      for (let k = 0; k < K; k++) se += exp(h[at + k * stride] - m);
      loss += m + log(se) - h[at + data.y[i] * stride];
      if (best === data.y[i]) correct++;
    });
    return { loss: loss / data.count, accuracy: correct / data.count };
  }

  /** The logits of every sample of data, [count, classes] row-major (the labels are not read). */
  logits(data: ImageSet): Float64Array {
    const K = this.model.classes;
    const out = new Float64Array(data.count * K);
    this.forward(data, (i, at, stride) => {
      const h = this.backend.heap.data;
      for (let k = 0; k < K; k++) out[i * K + k] = h[at + k * stride];
    });
    return out;
  }

  /** Copy samples (order = null: in index order) into the shards' inputs; set the loss scale. */
  private fill(shards: Shard[], data: ImageSet, order: ArrayLike<number> | null, from: number, to: number, scale: number) {
    let i = from;
    for (const s of shards) {
      loadBatch(this.backend.heap.data, s, data, order, i, to);
      this.backend.heap.data[s.scaleAt] = scale;
      i += s.batch;
    }
  }
}

/**
 * Copy samples order[from…to) (order = null: from…to in index order; at most the shard's batch) into a
 * shard's input [C, N, H·W] and labels; pad the rest of the batch with zero images labelled −1.
 */
export function loadBatch(h: HeapArray, s: Shard, data: ImageSet, order: ArrayLike<number> | null, from: number, to: number): void {
  const { c, h: hh, w } = data.shape;
  const hw = hh * w;
  const chw = c * hw;
  const N = s.batch;
  for (let n = 0, i = from; n < N; n++, i++) {
    if (i < to) {
      const at = order ? order[i] : i;
      const src = at * chw;
      for (let ch = 0; ch < c; ch++) h.set(data.x.subarray(src + ch * hw, src + (ch + 1) * hw), s.input + (ch * N + n) * hw);
      h[s.labels + n] = data.y[at];
    } else {
      for (let ch = 0; ch < c; ch++) h.fill(0, s.input + (ch * N + n) * hw, s.input + (ch * N + n + 1) * hw);
      h[s.labels + n] = -1;
    }
  }
}
