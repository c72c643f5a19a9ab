import type { Rng } from '../../util/rng.js';
import type { Heap } from './heap.js';

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
      /** the layer's path in the documented PyTorch module (safetensors names `<module>.weight`, `<module>.bias`) */
      module?: string;
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
      /** the layer's path in the documented PyTorch module (safetensors names `<module>.weight`, `<module>.bias`) */
      module?: string;
      /** fixed weights [O, I] that never train (the theory's second layer); no bias */
      fixed?: Float64Array;
    }
  | { kind: 'relu'; input?: number }
  | { kind: 'maxpool'; input?: number }
  | { kind: 'gap'; input?: number; /** sum instead of mean over positions */ sum?: boolean }
  | { kind: 'flatten'; input?: number }
  | { kind: 'add'; inputs: [number, number] };

export interface ImageShape {
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

export interface ParamLayer {
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
export function inferShapes(layers: readonly LayerSpec[], input: ImageShape): ImageShape[] {
  const shapes: ImageShape[] = [];
  const at = (j: number, i: number): ImageShape => {
    if (j < -1 || j >= i) throw new Error(`layer ${i} reads layer ${j}, which is not before it`);
    return j === -1 ? input : shapes[j];
  };
  layers.forEach((l, i) => {
    const [x] = inputsOf(l, i).map((j) => at(j, i));
    let s: ImageShape;
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

/** elements of one sample of that shape */
export const size = (s: ImageShape) => s.c * s.h * s.w;

/** The parameters of a network, allocated once in a heap and shared by every compiled batch program. */
export class Model {
  readonly shapes: ImageShape[];
  readonly params: Param[] = [];
  readonly paramLayers: ParamLayer[] = [];
  readonly classes: number;

  constructor(
    readonly heap: Heap,
    readonly layers: readonly LayerSpec[],
    readonly input: ImageShape,
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
