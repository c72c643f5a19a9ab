import type { Phase } from '../study/types.js';

/**
 * Runs that left the conditions the measures and the theory assume (docs/theory.md §1: gradient descent with a
 * small step, the loss falling gradually while signal and noise coefficients grow in a fixed ratio). Each is one
 * line of `warnings` in the result; a run without any has no `warnings` field.
 */

/** A first step that cuts the loss by more than this factor has done the fitting in one jump. */
export const firstStepDrop = 100;

const short = (x: number) => (x === 0 ? '0' : x >= 1e-3 && x < 1e4 ? x.toFixed(3) : x.toExponential(1));

/** The warnings of one phase from its training losses L⁽⁰⁾ … L⁽ᵗ⁾ (the engine's `losses`). */
export function phaseWarnings(
  phase: Phase,
  losses: ArrayLike<number>,
  c: { lr: number; steps: number; lossThreshold: number },
): string[] {
  const out: string[] = [];
  const stepsRun = losses.length - 1;
  const last = losses[stepsRun];
  if (stepsRun < c.steps && last === 0 && c.lossThreshold === 0) {
    out.push(`${phase}: the loss underflowed to 0 at step ${stepsRun} of ${c.steps} and training stopped there; lr=${c.lr} is too large`);
  }
  if (stepsRun >= 1) {
    const [L0, L1] = [losses[0], losses[1]];
    if (L1 > L0) {
      out.push(
        `${phase}: the first step raised the loss from ${short(L0)} to ${short(L1)}: lr=${c.lr} overshoots the small-step regime the theory assumes`,
      );
    } else if (L1 * firstStepDrop < L0) {
      out.push(
        `${phase}: the first step cut the loss from ${short(L0)} to ${short(L1)} (> 99%): lr=${c.lr} leaves the small-step regime the theory assumes`,
      );
    }
  }
  return out;
}
