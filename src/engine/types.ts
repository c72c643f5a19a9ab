import type { Dataset } from '../data/dataset.js';

/** Which parameters do not train: whole filters (rows of W) or single entries. 1 = frozen. */
export type Freeze = { kind: 'rows'; mask: Uint8Array } | { kind: 'entries'; mask: Uint8Array };

/** What an engine exposes at a checkpoint: the state of gradient descent at `step`. */
export interface TrainState {
  step: number;
  /** L(W⁽ᵗ⁾) on the training set */
  loss: number;
  /** true at the last step of the run */
  final: boolean;
  /** pre-activations ⟨w_r, atom_a⟩ on the training atoms (2m × A) */
  preacts: Float64Array;
  /** C with W⁽ᵗ⁾ = W⁽⁰⁾ + C·Z over the training atoms Z (2m × A): SPEC §4's γ and ρ, before normalisation */
  coefficients: Float64Array;
  /** ⟨w_r, v⟩ for each of `count` probe vectors (count × d, row-major): 2m × count */
  project(vectors: Float64Array, count: number): Float64Array;
  /** f(W⁽ᵗ⁾, x_i) for every sample of a dataset of the same d */
  scores(ds: Dataset): Float64Array;
  /** the full weights W⁽ᵗ⁾ (2 × m × d) */
  weights(): Float64Array;
}

export interface TrainProblem {
  data: Dataset;
  /** initial weights [2, m, d], class +1 first */
  W0: Float64Array;
  m: number;
  lr: number;
  steps: number;
  /** stop once L ≤ lossThreshold (0: never) */
  lossThreshold: number;
  freeze?: Freeze;
  /** steps at which to call onCheckpoint; the last step is always reported */
  checkpoints?: readonly number[];
  onCheckpoint?: (state: TrainState) => void;
  /** called after every step with the number of finished steps */
  onStep?: (step: number) => void;
  /** names the run in errors, e.g. "upstream" */
  phase?: string;
}

export interface TrainResult {
  /** trained weights [2, m, d] */
  W: Float64Array;
  /** coefficients over the training atoms, W = W0 + C·Z (2m × A) */
  coefficients: Float64Array;
  /** L(W⁽ᵗ⁾) for t = 0 … stepsRun */
  losses: Float64Array;
  stepsRun: number;
}

/** A training engine: the same gradient descent, computed its own way. */
export interface Engine {
  readonly name: string;
  train(problem: TrainProblem): TrainResult;
  /** f(W, x_i) for every sample */
  scores(W: Float64Array, m: number, ds: Dataset): Float64Array;
}
