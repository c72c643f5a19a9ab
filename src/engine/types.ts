import type { Dataset } from '../data/dataset.js';
import type { ProductCache } from './gram.js';

/** Which parameters do not train: whole filters (rows of W) or single entries. 1 = frozen. */
export type Freeze = { kind: 'rows'; mask: Uint8Array } | { kind: 'entries'; mask: Uint8Array };

/**
 * Weights [2, m, d] kept as gradient descent makes them: W = base + (coef·atoms) ⊙ (1 − frozenEntries),
 * i.e. the initialisation plus a combination of the training atoms (docs/model.md#training), with the entries that
 * `freeze: entries` held fixed masked out. Nothing d-dimensional beyond the inputs is stored; see
 * `materialize` (engine/weights.ts) for the dense matrix.
 */
export interface FactoredWeights {
  m: number;
  d: number;
  /** W⁽⁰⁾, 2m × d (the problem's array, not a copy) */
  base: Float64Array;
  /** the training atoms Z, numAtoms × d */
  atoms: Float64Array;
  numAtoms: number;
  /** C, 2m × numAtoms */
  coef: Float64Array;
  /** 2m × d, 1 = entry held at its initial value (only with `freeze: entries`) */
  frozenEntries?: Uint8Array;
}

/** Weights as an engine returns them: dense [2, m, d] or factored. */
export type Weights = Float64Array | FactoredWeights;

/** What an engine exposes at a checkpoint: the state of gradient descent at `step`. */
export interface TrainState {
  step: number;
  /** L(W⁽ᵗ⁾) on the training set */
  loss: number;
  /** true at the last step of the run */
  final: boolean;
  /** pre-activations ⟨w_r, atom_a⟩ on the training atoms (2m × A) */
  preacts: Float64Array;
  /** C with W⁽ᵗ⁾ = W⁽⁰⁾ + C·Z over the training atoms Z (2m × A): the γ and ρ of docs/model.md#training, before normalisation */
  coefficients: Float64Array;
  /** ⟨w_r, v⟩ for each of `count` probe vectors (count × d, row-major): 2m × count */
  project(vectors: Float64Array, count: number): Float64Array;
  /** f(W⁽ᵗ⁾, x_i) for every sample of a dataset of the same d */
  scores(ds: Dataset): Float64Array;
  /** the full weights W⁽ᵗ⁾ (2 × m × d) */
  weights(): Float64Array;
}

/** Full-batch gradient descent of the two-layer CNN on one dataset: what an engine trains. */
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
  /** called with the state at each checkpoint (the measures read only this state) */
  onCheckpoint?: (state: TrainState) => void;
  /**
   * Datasets (test sets) whose scores the caller asks for at every checkpoint: engines may prepare
   * for them (the coefficient engine projects them on the span once) and `auto` prices them.
   */
  evalSets?: readonly Dataset[];
  /** inner products between dataset atoms, shared by runs on the same data (see engine/gram.ts) */
  products?: ProductCache;
  /** called after every step with the number of finished steps */
  onStep?: (step: number) => void;
  /** names the run in errors, e.g. "upstream" */
  phase?: string;
}

/** What an engine's training returns: the weights (possibly factored), losses and steps run. */
export interface TrainResult {
  /** trained weights [2, m, d] (an engine that trains in factored form materialises them on first read) */
  readonly W: Float64Array;
  /** coefficients over the training atoms, W = W0 + C·Z (2m × A) */
  coefficients: Float64Array;
  /** L(W⁽ᵗ⁾) for t = 0 … stepsRun */
  losses: Float64Array;
  stepsRun: number;
  /** the trained weights in factored form, when the engine has them (cheaper to use than W) */
  factored?: FactoredWeights;
}

/** A training engine: the same gradient descent, computed its own way. */
export interface Engine {
  readonly name: string;
  /** full-batch gradient descent on the problem, checkpoints through its callbacks */
  train(problem: TrainProblem): TrainResult;
  /** f(W, x_i) for every sample */
  scores(W: Float64Array, m: number, ds: Dataset): Float64Array;
  /** an engine that delegates (`auto`): the engine that would train this problem */
  resolve?(problem: TrainProblem): Engine;
}
