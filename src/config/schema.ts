import { z } from 'zod';
import { filterStrategies } from '../transfer/strategies.js';
import { bool, num, oneOf } from './fields.js';

/** Every key of the synthetic experiment (docs/model.md). Names follow the paper. */
export const experimentShape = {
  /** ambient dimension d (its lower end depends on the signals: see requiredDimension) */
  d: num(2, 10_000_000, { int: true }),
  /** upstream (Task 1) training samples N₁ */
  n1: num(1, 10_000_000, { int: true }),
  /** downstream (Task 2) training samples N₂ */
  n2: num(1, 10_000_000, { int: true }),
  /** test samples per task */
  nTest: num(1, 10_000_000, { int: true }),
  /** filters per class m */
  m: num(1, 100_000, { int: true }),
  /** patches per input P */
  patches: num(2, 1000, { int: true }),
  /** ‖u‖, the shared (universal) signal */
  uNorm: num(0, 1e6),
  /** ‖v₁‖, the upstream task-specific signal */
  v1Norm: num(0, 1e6),
  /** ‖v₂‖, the downstream task-specific signal */
  v2Norm: num(0, 1e6),
  /** cosine between v₁ and v₂ */
  vCos: num(-1, 1),
  /** upstream noise level σ_{p,1} */
  sigmaP1: num(0, 1e6),
  /** downstream noise level σ_{p,2} */
  sigmaP2: num(0, 1e6),
  /** label-flip probability p, in [0, 1/2) */
  labelNoise: num(0, 0.5, { maxExclusive: true }),
  /** initialisation scale σ₀ */
  sigma0: num(0, 1e6),
  /** gradient-descent step size η */
  lr: num(0, 1e6, { minExclusive: true }),
  /** gradient-descent steps T (per phase) */
  steps: num(0, 10_000_000, { int: true }),
  /** stop a phase once its training loss is ≤ this (0: never) */
  lossThreshold: num(0, 1e6),
  /** inheritance ratio α */
  alpha: num(0, 1),
  /** which parameters are inherited */
  inheritance: oneOf(filterStrategies),
  /** keep inherited parameters fixed during downstream training */
  freezeInherited: bool,
  /** experiment seed: every random stream derives from it */
  seed: num(0, Number.MAX_SAFE_INTEGER, { int: true }),
  /** direction frame: random orthonormal (seeded) or canonical axes */
  basis: oneOf(['random', 'canonical'] as const),
  /**
   * how the random vectors are drawn: explicitly in ℝ^d, or (subspace) as exact coordinates in the span
   * they form, O(K²) instead of O(K·d) work; auto: subspace unless inheritance is entries or d < 3
   */
  sampler: oneOf(['auto', 'explicit', 'subspace'] as const),
  /** where the signal patch sits: always patch 0, or a uniformly random patch per sample */
  signalPatch: oneOf(['first', 'random'] as const),
  /** number of log-spaced measurement checkpoints per phase (including step 0 and the end) */
  checkpoints: num(2, 10_000, { int: true }),
};

/** The synthetic experiment's config keys, in canonical order. */
export const experimentKeys = Object.keys(experimentShape) as (keyof typeof experimentShape)[];

/** The largest d the schema accepts. */
const maxDimension = 10_000_000;

/** Directions the data model needs, to check that d leaves room for noise. */
export function requiredDimension(c: {
  uNorm: number;
  v1Norm: number;
  v2Norm: number;
  vCos: number;
}): number {
  let dirs = (c.uNorm > 0 ? 1 : 0) + (c.v1Norm > 0 ? 1 : 0);
  if (c.v2Norm > 0) dirs += c.v1Norm > 0 && Math.abs(c.vCos) === 1 ? 0 : 1;
  // Noise must keep at least one free dimension.
  return Math.max(2, dirs + 1);
}

/** The synthetic experiment's config schema: every key's range plus the rules across keys. */
export const experimentSchema = z.strictObject(experimentShape).superRefine((c, ctx) => {
  if (c.sampler === 'subspace' && c.inheritance === 'entries') {
    ctx.addIssue({
      code: 'custom',
      path: ['sampler'],
      message: 'subspace cannot serve inheritance: entries (a coordinate mask needs explicit vectors): use explicit or auto',
    });
  }
  if (c.sampler === 'subspace' && c.d < 3) {
    ctx.addIssue({ code: 'custom', path: ['sampler'], message: 'subspace needs d ≥ 3: use explicit or auto' });
  }
  // One message for every bad d, naming the range these signals allow: it overrides the plain range check's
  // (formatIssues and the explorer's form show one message per field).
  const need = requiredDimension(c);
  if (typeof c.d === 'number' && (!(c.d >= need && c.d <= maxDimension) || !Number.isInteger(c.d))) {
    ctx.addIssue({
      code: 'custom',
      path: ['d'],
      message: `must be an integer in [${need}, ${maxDimension}]: the non-zero directions among u, v₁, v₂ take ${need - 1}, noise at least 1 more`,
      params: { overrides: true },
    });
  }
});

/** A complete, validated config of the synthetic experiment (docs/model.md, README's key table). */
export type ExperimentConfig = z.infer<typeof experimentSchema>;
/** A key of the synthetic experiment's config. */
export type ConfigKey = keyof ExperimentConfig;
