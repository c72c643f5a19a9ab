import type { Phase } from '../study/types.js';
import type { RealConfig } from './config.js';
import type { InheritReport } from './transfer/inherit.js';
import type { ImageShape, LayerSpec } from './nn/net.js';

/** The result types of a real-data run (no engine code: the study's description and the explorer read them). */

/** Test accuracy and losses after `epoch` epochs (epoch 0: the initialisation). */
export interface CurvePoint {
  epoch: number;
  testAccuracy: number;
  testLoss: number;
  /** mean minibatch loss over that epoch (null at epoch 0) */
  trainLoss: number | null;
}

/** One phase of a real-data run: final accuracy and losses, and the evaluation curve. */
export interface RealPhaseResult {
  testAccuracy: number;
  testLoss: number;
  /** accuracy on the training set (against its possibly noisy labels) at the end */
  trainAccuracy: number;
  /** mean minibatch loss of the last epoch (null without training) */
  trainLoss: number | null;
  /** epochs trained: the most allowed, or fewer when the loss rule (stopLoss) stopped training */
  epochs: number;
  steps: number;
  curve: CurvePoint[];
}


export interface TaskSummary {
  dataset: string;
  classes: number[];
  classNames: string[];
  train: number;
  test: number;
  /** training labels changed by label noise */
  flippedLabels: number;
}

/** The deterministic result of one real-data run: networks, tasks, every phase's measures and the gain. */
export interface RealResult {
  config: RealConfig;
  architecture: { name: RealConfig['arch']; description: string; parameters: number };
  data: { upstream: TaskSummary; downstream: TaskSummary };
  upstream: RealPhaseResult;
  transfer: RealPhaseResult;
  scratch: RealPhaseResult;
  /** accuracy gain of transfer over scratch (= err_scratch − err_transfer): > 0 positive, < 0 negative */
  gain: number;
  inheritance: InheritReport;
  /** the network file upstream started from instead of training (`real --upstream FILE`), and its SHA-256 */
  upstreamFile?: { path: string; sha256: string };
}

export type RealTimings = {
  upstream: number;
  transfer: number;
  scratch: number;
  total: number;
  /** training images per second over the three phases (evaluation excluded from the count, not the time) */
  imagesPerSecond: number;
};

/** One network of a run: its layers, input shape and parameter values (float64 copies, in parameter order). */
export interface RealNetwork {
  layers: readonly LayerSpec[];
  input: ImageShape;
  parameters: Float64Array;
}

/** The networks of a run, kept with `keepWeights`: what `real --save` writes. */
export interface RealNetworks {
  upstream: RealNetwork;
  /** the transfer network before downstream training (fresh initialisation plus what was inherited) */
  transferInit: RealNetwork;
  transfer: RealNetwork;
  scratch: RealNetwork;
}

/** What `runReal` returns: the result and wall times. */
export interface RealRun {
  result: RealResult;
  /** wall-clock seconds (never part of the deterministic result) */
  timings: RealTimings;
  /** the trained networks, with `keepWeights` */
  networks?: RealNetworks;
}

export interface RealProgress {
  phase: Phase;
  /** training images processed so far over all phases */
  images: number;
  total: number;
}

/** Options of `runReal`: threads, kernels, callbacks, reuse of upstream networks. */
export interface RealRunOptions {
  /** threads including the main one (default: min(2, cores)); results do not depend on it */
  threads?: number;
  /** kernels: WebAssembly SIMD (default) or plain JS float32 loops (slow; for tests) */
  backend?: 'wasm' | 'plain';
  /** called after every training step with the images processed so far */
  onProgress?: (p: RealProgress) => void;
  /** each evaluation point of each phase as soon as it is measured (live charts) */
  onCheckpoint?: (phase: Phase, point: CurvePoint) => void;
  /**
   * Reuse this thread's recent upstream runs of the same upstream settings (sweeps over α, N₂ or any
   * downstream key train each upstream network once per seed). Upstream training is a pure function of
   * the keys it reads, so results are identical either way; only the upstream timing becomes 0.
   */
  reuseUpstream?: boolean;
  /** keep the networks (`RealRun.networks`) */
  keepWeights?: boolean;
  /**
   * Start from this network file (safetensors with PyTorch names, as `real --save` writes) instead of training
   * upstream; the upstream phase then only evaluates it on the upstream task.
   */
  upstream?: string;
}
