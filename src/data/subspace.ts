import type { ExperimentConfig } from '../config/schema.js';
import { chiSquare } from '../util/distributions.js';
import { Rng } from '../util/rng.js';
import type { NoiseSource } from './task.js';

/**
 * The subspace sampler: every vector an experiment trains with — the initial filters of both networks
 * and the training noise of both tasks, K isotropic Gaussian vectors of ℝ^d — is drawn directly in
 * coordinates of the subspace they span, by the Bartlett decomposition. Gram–Schmidt of the sequence
 * g₀, g₁, … (frame directions first) gives vector i the coordinates N(0, 1) on the directions of the
 * vectors before it and √χ²_{D−i} on its own new direction (D = d − 3, the complement of the frame).
 * Test noise, independent of all of them, has N(0, 1) coordinates on every direction; its component
 * outside the span is never seen by a filter, which stays in the span (docs/model.md#training), so it is not drawn.
 *
 * The joint law of every inner product is exactly that of explicit vectors in ℝ^d, and gradient
 * descent depends on the data only through inner products, so losses, errors and feature measures
 * have exactly the explicit sampler's distribution (not its draws), while the work is O(K²) instead
 * of O(K·d): d = 10⁶ costs what d = 10³ does. Coordinate-wise inheritance (`entries`) is not
 * rotation-invariant and needs the explicit sampler.
 */

/** The Gaussian vector blocks in decomposition order: downstream first, so the scratch baseline never
 * depends on upstream settings (N₁, σ_{p,1}, …), as with the explicit sampler's named streams. */
const blockOrder = ['init2', 'train2', 'init1', 'train1'] as const;
export type Block = (typeof blockOrder)[number];

/** Frame directions e_u, e_{v₁}, e₃ take the first coordinates. */
export const FRAME_DIMS = 3;

export interface SubspaceLayout {
  /** nominal dimension d */
  d: number;
  /** dimension of the frame's complement, where the Gaussian vectors' new directions live */
  D: number;
  /** directions spanned in the complement: min(K, D) */
  dims: number;
  /** working dimension r = 3 + dims */
  r: number;
  /** first decomposition index and number of vectors of each block */
  blocks: Record<Block, { offset: number; size: number }>;
}

export function subspaceLayout(c: ExperimentConfig): SubspaceLayout {
  const sizes: Record<Block, number> = {
    init2: 2 * c.m,
    train2: c.n2 * (c.patches - 1),
    init1: 2 * c.m,
    train1: c.n1 * (c.patches - 1),
  };
  const blocks = {} as SubspaceLayout['blocks'];
  let K = 0;
  for (const b of blockOrder) {
    blocks[b] = { offset: K, size: sizes[b] };
    K += sizes[b];
  }
  const D = c.d - FRAME_DIMS;
  const dims = Math.min(K, D);
  return { d: c.d, D, dims, r: FRAME_DIMS + dims, blocks };
}

/** Coordinates of the standard normal vector number `index` of the decomposition (the rest of the row is zeroed). */
function gaussianCoords(L: SubspaceLayout, index: number, rng: Rng, out: Float64Array, off: number): void {
  out.fill(0, off, off + L.r);
  for (let j = 0; j < FRAME_DIMS; j++) out[off + j] = rng.normal();
  const free = Math.min(index, L.dims);
  for (let j = 0; j < free; j++) out[off + FRAME_DIMS + j] = rng.normal();
  if (index < L.dims) out[off + FRAME_DIMS + index] = Math.sqrt(chiSquare(rng, L.D - index));
}

/** Initial filters of network k (2m × r, row-major), N(0, σ₀²) in ℝ^d. */
export function subspaceInit(L: SubspaceLayout, c: ExperimentConfig, k: 1 | 2): Float64Array {
  const { offset, size } = L.blocks[`init${k}`];
  const W = new Float64Array(size * L.r);
  const rng = new Rng(c.seed, `init${k}`);
  for (let row = 0; row < size; row++) gaussianCoords(L, offset + row, rng, W, row * L.r);
  for (let i = 0; i < W.length; i++) W[i] *= c.sigma0;
  return W;
}

/** The training noise of task k, continuing the decomposition after the vectors before it. */
export function subspaceTrainNoise(L: SubspaceLayout, seed: number, k: 1 | 2): NoiseSource {
  const { offset } = L.blocks[`train${k}`];
  const rng = new Rng(seed, `train${k}:noise`);
  return (out, off, index) => gaussianCoords(L, offset + index, rng, out, off);
}

/**
 * Test noise of task k: N(0, 1) on the frame and on every direction of the span, each block's
 * coordinates from its own stream, so changing N₁ redraws only the coordinates on Task 1's noise.
 */
export function subspaceTestNoise(L: SubspaceLayout, seed: number, k: 1 | 2): NoiseSource {
  const frame = new Rng(seed, `test${k}:frame`);
  const streams = blockOrder.map((b) => ({ ...L.blocks[b], rng: new Rng(seed, `test${k}:${b}`) }));
  return (out, off) => {
    out.fill(0, off, off + L.r);
    for (let j = 0; j < FRAME_DIMS; j++) out[off + j] = frame.normal();
    for (const { offset, size, rng } of streams) {
      const end = Math.min(offset + size, L.dims);
      for (let j = offset; j < end; j++) out[off + FRAME_DIMS + j] = rng.normal();
    }
  };
}
