import type { ExperimentConfig } from '../config/schema.js';
import { Rng } from '../util/rng.js';
import { dot } from '../util/math.js';
import type { SyntheticDataset } from './dataset.js';
import type { Frame } from './frame.js';

/** One task of docs/model.md#data: signal s = u + v_k, noise level σ_{p,k}, label noise p. */
export interface Task {
  k: 1 | 2;
  d: number;
  patches: number;
  /** shared signal u */
  u: Float64Array;
  /** task-specific signal v_k */
  v: Float64Array;
  /** the signal patch direction s = u + v_k */
  signal: Float64Array;
  sigmaP: number;
  labelNoise: number;
  signalPatch: 'first' | 'random';
  /** unit vectors the noise is projected away from (those of u and v_k with non-zero norm) */
  noiseProjectors: Float64Array[];
}

export function makeTask(frame: Frame, c: ExperimentConfig, k: 1 | 2): Task {
  const v = k === 1 ? frame.v1 : frame.v2;
  const eV = k === 1 ? frame.eV1 : frame.eV2;
  const vNorm = k === 1 ? c.v1Norm : c.v2Norm;
  const signal = new Float64Array(frame.d);
  for (let i = 0; i < frame.d; i++) signal[i] = frame.u[i] + v[i];
  const noiseProjectors: Float64Array[] = [];
  if (c.uNorm > 0) noiseProjectors.push(frame.eU);
  if (vNorm > 0) noiseProjectors.push(eV);
  return {
    k,
    d: frame.d,
    patches: c.patches,
    u: frame.u,
    v,
    signal,
    sigmaP: k === 1 ? c.sigmaP1 : c.sigmaP2,
    labelNoise: c.labelNoise,
    signalPatch: c.signalPatch,
    noiseProjectors,
  };
}

/**
 * Writes the standard normal vector g behind noise vector `index` (ξ = σ_p·P⊥g) at out[off … off + d).
 * The explicit source draws g from the task's own stream, interleaved with the labels; the subspace
 * sampler (subspace.ts) writes its coordinates in the span of the experiment's vectors.
 */
export type NoiseSource = (out: Float64Array, off: number, index: number) => void;

export const explicitNoise =
  (rng: Rng, d: number): NoiseSource =>
  (out, off) => {
    for (let k = 0; k < d; k++) out[off + k] = rng.normal();
  };

/**
 * Draw n samples of a task. Every sample draws the same random numbers whatever p is, so the label-noise
 * axis of a sweep changes labels only. `labelNoise` overrides the task's p (0 for clean test sets).
 */
export function sampleTask(
  task: Task,
  n: number,
  rng: Rng,
  labelNoise = task.labelNoise,
  noise: NoiseSource = explicitNoise(rng, task.d),
): SyntheticDataset {
  const { d, patches: P } = task;
  const numNoise = n * (P - 1);
  const numAtoms = 1 + numNoise;
  const atoms = new Float64Array(numAtoms * d);
  atoms.set(task.signal, 0);
  const atomOf = new Int32Array(n * P);
  const multOf = new Float64Array(n * P);
  const y = new Float64Array(n);
  const yTrue = new Float64Array(n);
  const noiseOwner = new Int32Array(numNoise);
  let next = 1;
  for (let i = 0; i < n; i++) {
    const yt = rng.sign();
    const flip = rng.uniform() < labelNoise;
    yTrue[i] = yt;
    y[i] = flip ? -yt : yt;
    const sp = task.signalPatch === 'random' ? rng.int(P) : 0;
    for (let q = 0; q < P; q++) {
      if (q === sp) {
        atomOf[i * P + q] = 0;
        multOf[i * P + q] = yt;
        continue;
      }
      const off = next * d;
      noise(atoms, off, next - 1);
      for (let k = 0; k < d; k++) atoms[off + k] *= task.sigmaP;
      for (const e of task.noiseProjectors) {
        const p = dot(atoms, off, e, 0, d);
        for (let k = 0; k < d; k++) atoms[off + k] -= p * e[k];
      }
      noiseOwner[next - 1] = i;
      atomOf[i * P + q] = next;
      multOf[i * P + q] = 1;
      next++;
    }
  }
  return { n, patches: P, d, numAtoms, atoms, atomOf, multOf, y, yTrue, signalAtom: 0, firstNoiseAtom: 1, noiseOwner };
}
