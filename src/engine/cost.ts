import { gramCost } from './gram.js';
import type { TrainProblem } from './types.js';

/**
 * The cost model behind `--engine auto`: multiply-adds of each engine on a training problem, counted
 * from the shapes alone (deterministic, no timing). R = 2m filters, A training atoms, d dimension,
 * S steps, K reported checkpoints, E_e atoms of each evaluation (test) set. docs/architecture.md
 * ("Engines and the auto cost model") derives the formulas.
 */

export interface ProblemShape {
  R: number;
  A: number;
  d: number;
  S: number;
  K: number;
  E: number[];
}

export function shapeOf(p: TrainProblem): ProblemShape {
  return {
    R: 2 * p.m,
    A: p.data.numAtoms,
    d: p.data.d,
    S: p.steps,
    K: checkpointCount(p),
    E: p.onCheckpoint ? (p.evalSets ?? []).map((ds) => ds.numAtoms) : [],
  };
}

/** States the run reports: the distinct checkpoints before the last step, plus the last step. */
export function checkpointCount(p: TrainProblem): number {
  if (!p.onCheckpoint) return 0;
  return new Set((p.checkpoints ?? []).filter((t) => t >= 0 && t < p.steps)).size + 1;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Dense: S+1 forward passes G = W·Zᵀ, S backward passes W −= η·H·Z, and W·Tᵀ per checkpoint and set. */
export function denseCost(p: TrainProblem): number {
  return denseCostOf(shapeOf(p));
}

/** The dense engine's multiply-adds from the shapes alone (the resource guard prices configs with it). */
export function denseCostOf({ R, A, d, S, K, E }: ProblemShape): number {
  return (2 * S + 1) * R * A * d + K * R * sum(E) * d;
}

export interface CoefPlan {
  /** the Gram matrices: Z·Zᵀ (unless cached) and, with frozen entries, one restricted Gram per filter */
  gram: number;
  /** G⁽⁰⁾ = W⁽⁰⁾·Zᵀ */
  init: number;
  /** S+1 products G = G⁽⁰⁾ + C·(Z·Zᵀ) */
  steps: number;
  /**
   * test sets: `span` projects W⁽⁰⁾ and Z on each set once, then every checkpoint costs R·A·E_e;
   * `materialize` forms W⁽ᵗ⁾ at every checkpoint and projects it (the only exact option when single
   * entries are frozen, as W − W⁽⁰⁾ then leaves the span)
   */
  evalStrategy: 'span' | 'materialize';
  eval: number;
  /** the trained W, read by most callers */
  result: number;
  total: number;
}

/** Filters whose frozen and trainable coordinates are counted for the restricted Gram matrices. */
export function frozenCounts(mask: Uint8Array, R: number, d: number): Int32Array {
  const counts = new Int32Array(R);
  for (let r = 0; r < R; r++) {
    let f = 0;
    for (let c = r * d; c < (r + 1) * d; c++) f += mask[c];
    counts[r] = f;
  }
  return counts;
}

/**
 * With frozen entries filter r sees K_r = Z·diag(1 − frozen_r)·Zᵀ, computed over whichever side is
 * smaller: the trainable coordinates directly, or Z·Zᵀ minus the frozen coordinates' Gram.
 */
export function restrictedGramCost(frozen: Int32Array, A: number, d: number): { full: boolean; cost: number } {
  let full = false;
  let cost = 0;
  for (const f of frozen) {
    if (f === d) continue;
    if (f === 0) full = true;
    else if (f < d - f) {
      full = true;
      cost += gramCost(A, f);
    } else cost += gramCost(A, d - f);
  }
  return { full, cost };
}

/** The entry mask of a problem, if any entry is frozen (an all-zero mask is no freeze at all). */
export function frozenEntriesOf(p: TrainProblem): Uint8Array | undefined {
  return p.freeze?.kind === 'entries' && p.freeze.mask.includes(1) ? p.freeze.mask : undefined;
}

/**
 * The coefficient engine's plan and cost. Products shared through a ProductCache are priced as if
 * computed: a problem is priced (and its path chosen) the same whatever ran before it, so paired runs
 * of the same shapes (transfer with α = 0 and scratch) take the same path and agree bit for bit.
 */
export function coefPlan(p: TrainProblem): CoefPlan {
  const shape = shapeOf(p);
  const frozen = frozenEntriesOf(p);
  return coefPlanOf(shape, frozen && frozenCounts(frozen, shape.R, shape.d));
}

/**
 * The coefficient engine's plan from the shapes alone, and with frozen entries their count per filter (what
 * `coefPlan` reads from a problem; the resource guard prices configs with it before any data exist).
 */
export function coefPlanOf(shape: ProblemShape, frozen?: Int32Array): CoefPlan {
  const { R, A, d, S, K, E } = shape;
  let gram: number;
  if (frozen) {
    const r = restrictedGramCost(frozen, A, d);
    gram = r.cost + (r.full ? gramCost(A, d) : 0);
  } else {
    gram = gramCost(A, d);
  }
  const materializeCost = K * (R * A * d + R * sum(E) * d);
  let evalStrategy: CoefPlan['evalStrategy'] = 'materialize';
  let evalCost = materializeCost;
  if (!frozen) {
    let span = 0;
    for (const e of E) span += A * e * d + R * e * d + K * R * A * e;
    if (E.length === 0 || span < materializeCost) {
      evalStrategy = 'span';
      evalCost = E.length === 0 ? 0 : span;
    }
  }
  const init = R * A * d;
  const steps = (S + 1) * R * A * A;
  const result = R * A * d;
  return { gram, init, steps, evalStrategy, eval: evalCost, result, total: gram + init + steps + evalCost + result };
}
