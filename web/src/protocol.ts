import type { Checkpoint, ExperimentConfig, ExperimentResult, Phase } from '../../src/browser.js';

/** Messages from the page to the training worker. */
export type ToWorker =
  | { type: 'run'; id: number; config: ExperimentConfig }
  /** one full experiment per α (same config and seed otherwise) */
  | { type: 'alpha-curve'; id: number; config: ExperimentConfig; alphas: number[] };

/** The end-of-run numbers of one α of an α-curve. */
export interface AlphaPoint {
  alpha: number;
  transferError: number;
  scratchError: number;
  upstreamError: number;
  gain: number;
}

/** Messages from the training worker to the page. `id` names the request they answer. */
export type FromWorker =
  /** `kernels`: whether the WebAssembly SIMD kernels run here (else the TypeScript ones, same bits) */
  | { type: 'ready'; engine: string; kernels: 'wasm-simd' | 'typescript' }
  | { type: 'progress'; id: number; phase: Phase; step: number; steps: number; run: number; runs: number }
  | { type: 'checkpoint'; id: number; phase: Phase; checkpoint: Checkpoint }
  /** `json`: the result as `paratransfer run --json` prints it (without the final newline) */
  | { type: 'done'; id: number; result: ExperimentResult; json: string; seconds: number }
  | { type: 'alpha-point'; id: number; point: AlphaPoint; index: number }
  | { type: 'alpha-done'; id: number; seconds: number }
  | { type: 'error'; id: number; message: string };
