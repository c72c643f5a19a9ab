import type { ExperimentConfig } from '../config/schema.js';
import { Rng } from '../util/rng.js';
import type { SyntheticDataset } from './dataset.js';
import { makeFrame, type Frame } from './frame.js';
import { subspaceInit, subspaceLayout, subspaceTestNoise, subspaceTrainNoise } from './subspace.js';
import { makeTask, sampleTask, type NoiseSource, type Task } from './task.js';

/** How an experiment's random vectors are drawn: explicitly in ℝ^d, or as coordinates in their span. */
export type Sampler = 'explicit' | 'subspace';

/**
 * `auto` is the subspace sampler wherever it applies: coordinate-wise inheritance (`entries`) and
 * d < 3 (no room for the frame's complement) need explicit vectors.
 */
export function resolveSampler(c: ExperimentConfig): Sampler {
  if (c.sampler !== 'auto') return c.sampler;
  return c.inheritance === 'entries' || c.d < 3 ? 'explicit' : 'subspace';
}

/**
 * Everything random an experiment draws before training — directions, tasks, training and test sets,
 * initial filters — each from a named stream of the seed. `d` is the working dimension: the nominal d
 * for explicit vectors, the dimension of the span for the subspace sampler (the same inner products).
 */
export interface World {
  sampler: Sampler;
  d: number;
  frame: Frame;
  task1: Task;
  task2: Task;
  train1: SyntheticDataset;
  train2: SyntheticDataset;
  /** initial filters of network k (2m × d), N(0, σ₀²) */
  init(k: 1 | 2): Float64Array;
  /** the test set of task k: ỹ is the truth, the observed labels get the training label noise p (drawn on demand: at d = 10⁵ one explicit set is 1.6 GB) */
  test(k: 1 | 2): SyntheticDataset;
}

/** How a sampler draws: the working dimension, the frame in it, the noise of each set and the initial filters. */
interface Draws {
  d: number;
  frame: Frame;
  /** noise of task k's training (test: false) or test set; undefined: explicit, from the set's own stream */
  noise(k: 1 | 2, test: boolean): NoiseSource | undefined;
  init(k: 1 | 2): Float64Array;
}

/** Everything random one experiment needs, drawn before training from the seed's named streams (explicit or subspace sampler). */
export function makeWorld(c: ExperimentConfig): World {
  const sampler = resolveSampler(c);
  const { d, frame, noise, init } = sampler === 'subspace' ? subspaceDraws(c) : explicitDraws(c);
  const tasks = [makeTask(frame, c, 1), makeTask(frame, c, 2)] as const;
  const sample = (k: 1 | 2, n: number, stream: string, test: boolean) =>
    sampleTask(tasks[k - 1], n, new Rng(c.seed, stream), c.labelNoise, noise(k, test));
  return {
    sampler,
    d,
    frame,
    task1: tasks[0],
    task2: tasks[1],
    train1: sample(1, c.n1, 'train1', false),
    train2: sample(2, c.n2, 'train2', false),
    init,
    test: (k) => sample(k, c.nTest, `test${k}`, true),
  };
}

function explicitDraws(c: ExperimentConfig): Draws {
  return {
    d: c.d,
    frame: makeFrame(c),
    noise: () => undefined,
    init: (k) => new Rng(c.seed, `init${k}`).fillNormal(new Float64Array(2 * c.m * c.d), c.sigma0),
  };
}

function subspaceDraws(c: ExperimentConfig): Draws {
  const L = subspaceLayout(c);
  return {
    d: L.r,
    // The frame takes the first coordinates: the span has no preferred orientation, so `basis` is moot.
    frame: makeFrame({ ...c, d: L.r, basis: 'canonical' }),
    noise: (k, test) => (test ? subspaceTestNoise(L, c.seed, k) : subspaceTrainNoise(L, c.seed, k)),
    init: (k) => subspaceInit(L, c, k),
  };
}
