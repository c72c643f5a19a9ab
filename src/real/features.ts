import { exp } from '../util/detmath.js';
import type { Backend } from './nn/backend.js';
import { inputsOf, size, type ImageShape, type Model } from './nn/net.js';
import { loadBatch, type ImageSet } from './nn/session.js';
import { compileShard } from './nn/shard.js';

/**
 * A network's representations of a set of images, for the transferability scores (src/scores): the features
 * after each block and the source head's softmax. Forward passes only, in batches, on any backend.
 */

/** Where a representation is taken: the output of a layer that a weight layer (conv or linear) reads. */
export interface FeatureSite {
  /** index of the layer (in the network's layer list) whose output this is */
  layer: number;
  /** "block1", "block2", … in network order; the last, the head's input, is "penultimate" */
  name: string;
  /** that layer's kind (maxpool, relu, gap, flatten, …) */
  kind: string;
  /** the output's shape for one image */
  shape: ImageShape;
}

/** One representation of N images. */
export interface LayerFeatures extends FeatureSite {
  /** features per image: c·h·w */
  dims: number;
  /**
   * [N, dims], row-major; within an image channel by channel, each channel's positions row by row. Float32 on
   * the WebAssembly backend, float64 on a float64 plain backend: the precision the network ran in.
   */
  data: Float32Array | Float64Array;
}

export interface NetworkFeatures {
  /** images */
  count: number;
  /** the representations, in network order (the last is "penultimate") */
  layers: LayerFeatures[];
  /** source classes: the head's outputs */
  classes: number;
  /** the head's softmax [N, classes], float64 */
  probs: Float64Array;
}

/**
 * The representations a network builds: the distinct outputs that its weight layers read, i.e. the features
 * after each parameterised layer with its ReLU and pooling, in order; the last is the head's input (the
 * penultimate features). VGG: after each ReLU'd convolution and each pooling, then the flattened features;
 * ResNet: after the stem, inside and after each residual block, then the pooled features.
 */
export function featureSites(model: Model): FeatureSite[] {
  const read = new Set<number>();
  model.layers.forEach((l, i) => {
    if (l.kind === 'conv' || l.kind === 'linear') for (const j of inputsOf(l, i)) if (j >= 0) read.add(j);
  });
  const layers = [...read].sort((a, b) => a - b);
  return layers.map((layer, b) => ({
    layer,
    name: b === layers.length - 1 ? 'penultimate' : `block${b + 1}`,
    kind: model.layers[layer].kind,
    shape: model.shapes[layer],
  }));
}

export interface FeatureOptions {
  /** images per forward pass (default 64) */
  batch?: number;
  /** which sites to keep, by name (default: all) */
  sites?: readonly string[];
}

/**
 * Run `model` (trained or loaded) on every image of `data` and return the features at each site and the head's
 * softmax. Deterministic: the same bits for the same parameters and images, whatever the batch size on the
 * plain backend (each output is summed in a fixed order); on the WebAssembly backend to float32 rounding.
 */
export function extractFeatures(backend: Backend, model: Model, data: ImageSet, opts: FeatureOptions = {}): NetworkFeatures {
  const batch = Math.max(1, Math.min(opts.batch ?? 64, data.count));
  const all = featureSites(model);
  const unknown = opts.sites?.find((s) => !all.some((a) => a.name === s));
  if (unknown !== undefined) throw new RangeError(`no feature site "${unknown}" (the network has ${all.map((a) => a.name).join(', ')})`);
  const sites = opts.sites ? all.filter((a) => opts.sites!.includes(a.name)) : all;
  const shard = compileShard(model, batch, { backward: false });
  const N = data.count;
  const K = model.classes;
  const array = (n: number) => (backend.heap.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  const layers: LayerFeatures[] = sites.map((s) => ({ ...s, dims: size(s.shape), data: array(N * size(s.shape)) }));
  const probs = new Float64Array(N * K);
  for (let from = 0; from < N; from += batch) {
    const to = Math.min(N, from + batch);
    loadBatch(backend.heap.data, shard, data, null, from, to);
    backend.run(shard.forward);
    const h = backend.heap.data;
    for (const f of layers) {
      // the output [C, batch, H·W] → rows of C·H·W per image
      const out = shard.outputs[f.layer];
      const { c } = f.shape;
      const hw = f.shape.h * f.shape.w;
      for (let n = 0; n < to - from; n++) {
        const row = (from + n) * f.dims;
        for (let ch = 0; ch < c; ch++) {
          const src = out + (ch * batch + n) * hw;
          f.data.set(h.subarray(src, src + hw), row + ch * hw);
        }
      }
    }
    for (let n = 0; n < to - from; n++) softmaxInto(h, shard.logits + n, batch, K, probs, (from + n) * K);
  }
  return { count: N, layers, classes: K, probs };
}

/** probs[at…at+K) = softmax of the K logits h[first + k·stride], in float64. */
function softmaxInto(h: ArrayLike<number>, first: number, stride: number, K: number, probs: Float64Array, at: number) {
  let max = -Infinity;
  for (let k = 0; k < K; k++) max = Math.max(max, h[first + k * stride]);
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const e = exp(h[first + k * stride] - max);
    probs[at + k] = e;
    sum += e;
  }
  for (let k = 0; k < K; k++) probs[at + k] /= sum;
}
