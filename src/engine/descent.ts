import { lossAndGradCoefficients } from '../model/cnn.js';
import { DivergenceError } from '../util/errors.js';
import type { TrainProblem, TrainState } from './types.js';

/** How one engine realises gradient descent: where G comes from and how a step moves the weights. */
export interface DescentOps {
  /** pre-activations ⟨w_r, atom_a⟩ at W⁽ᵗ⁾, filled by `forward` (2m × A) */
  G: Float64Array;
  /** gradient coefficients on the atoms (2m × A), filled by the loop */
  H: Float64Array;
  /** coefficients C with W = W⁽⁰⁾ + C·Z (2m × A), updated by the loop */
  C: Float64Array;
  forward(t: number): void;
  /** move the engine's weights by −η·H (frozen filters' rows of H are already 0); C is updated by the loop */
  step(lr: number): void;
  /** the engine's way to project, score and materialise at step t */
  views(t: number): Pick<TrainState, 'project' | 'scores' | 'weights'>;
}

/**
 * Full-batch gradient descent on the network of `model/cnn.ts`, the loop every engine shares: loss and gradient
 * coefficients at W⁽ᵗ⁾, divergence checks (loss and weights), checkpoints, stop at T steps or once L ≤ threshold, then one step.
 */
export function descend(p: TrainProblem, ops: DescentOps): { stepsRun: number; losses: Float64Array } {
  const { data: ds, m, lr, steps } = p;
  const { G, H, C } = ops;
  const A = ds.numAtoms;
  const f = new Float64Array(ds.n);
  const losses: number[] = [];
  const checkpoints = new Set(p.checkpoints ?? []);
  const frozenRows = p.freeze?.kind === 'rows' ? p.freeze.mask : undefined;
  for (let t = 0; ; t++) {
    ops.forward(t);
    const L = lossAndGradCoefficients(G, m, ds, H, f);
    if (!Number.isFinite(L)) throw new DivergenceError(lr, t, p.phase ?? 'training');
    losses.push(L);
    const final = t >= steps || L <= p.lossThreshold;
    if (p.onCheckpoint && (final || checkpoints.has(t))) {
      p.onCheckpoint({ step: t, loss: L, final, preacts: G, coefficients: C, ...ops.views(t) });
    }
    if (final) return { stepsRun: t, losses: Float64Array.from(losses) };
    if (frozenRows) {
      for (let r = 0; r < 2 * m; r++) if (frozenRows[r]) H.fill(0, r * A, (r + 1) * A);
    }
    ops.step(lr);
    // A step can overflow the weights while every ReLU dies and the loss stays finite: that too is divergence.
    let finite = true;
    for (let i = 0; i < C.length; i++) {
      C[i] -= lr * H[i];
      if (!Number.isFinite(C[i])) finite = false;
    }
    if (!finite) throw new DivergenceError(lr, t + 1, p.phase ?? 'training');
    p.onStep?.(t + 1);
  }
}
