import { normalQuantile } from './gaussian.js';
import { reducedModel, type TheoryInput } from './reduced.js';
import type { Regime } from './regime.js';

/**
 * paratransfer's theory of when partial parameter transfer helps (docs/theory.md derives every term): the gradient
 * descent of the two-layer ReLU CNN reduced to the inner products it reads (./dynamics.ts) — each filter's projection
 * on the signal and on each training noise patch — for the upstream, transfer and scratch runs, averaged over
 * training sets, each ending in the exact law of the network's score on a test input (./reduced.ts). Pure and
 * browser-safe; a prediction costs a few milliseconds (upstream and scratch runs are cached, so an α-curve costs
 * little more than its transfer runs).
 */

export type { Regime } from './regime.js';
export type { TheoryInput } from './reduced.js';

/** The theory's settings. It has no fitted constants: every term is derived (docs/theory.md). */
export interface TheoryConstants {
  /** a predicted clean error at most this is "Bayes-optimal" (error against observed labels ≈ p) */
  bayesTolerance: number;
}

/** The default settings. */
export const defaultConstants: TheoryConstants = { bayesTolerance: 0.01 };

/** What the theory predicts for one config (docs/theory.md): the errors, the gain, Γ, the regime, and their parts. */
export interface Prediction {
  /** Λ₂ = N₂‖u+v₂‖⁴/(σ_{p,2}⁴ d): the scratch condition of benign overfitting (descriptive) */
  Lambda2: number;
  /** R_k = (1−2p)N_k‖s_k‖²/(σ_{p,k}² d): signal-to-memorisation growth ratio of GD on Task k (descriptive) */
  R1: number;
  R2: number;
  /** κ = ⟨s₁, s₂⟩/‖s₁‖²: the part of an inherited signal coefficient that points along Task 2's signal */
  kappa: number;
  /** mean signal along s₂ over the spread of the noise projection, of an inherited filter at the start of downstream training */
  snrInherited: number;
  /** effective SNR of a network: Φ⁻¹(1 − predicted clean error) */
  snrScratch: number;
  snrTransfer: number;
  /** Γ = snr_transfer − snr_scratch: > 0 exactly when transfer is predicted to help */
  Gamma: number;
  /** the predicted sign of the gain at the config's α (neutral when nothing is inherited) */
  regime: Regime;
  predictedScratchError: number;
  predictedTransferError: number;
  /** predicted Δ = err_scratch − err_transfer (clean) */
  predictedGain: number;
  scratchBayesOptimal: boolean;
  transferBayesOptimal: boolean;
  /** filters inherited per class, round(α·m) */
  inheritedFilters: number;
  /** an inherited filter at the start of downstream training: mean j·⟨w, s₂⟩ (the shared signal it carries) */
  inheritedSignal: number;
  /** variance of its projection on a Task 2 noise patch from memorised upstream noise */
  memorisedNoise: number;
  /** … from the leaked upstream-specific signal v₁ */
  leakedNoise: number;
  /** … from its initialisation (a fresh filter's whole noise before training) */
  initialNoise: number;
}

/** Effective SNR of a clean error: Φ⁻¹(1 − err), clipped to ±8 (errors of 0 and 1). */
export function effectiveSnr(err: number): number {
  return Math.max(-8, Math.min(8, -normalQuantile(Math.min(1, Math.max(0, err)))));
}

/** The theory's prediction for one config (docs/theory.md). */
export function predict(c: TheoryInput, k: TheoryConstants = defaultConstants): Prediction {
  const r = reducedModel(c);
  const { d, n1, n2, sigmaP1: s1, sigmaP2: s2, labelNoise: p } = c;
  const u2 = c.uNorm ** 2;
  const s1sq = u2 + c.v1Norm ** 2;
  const s2sq = u2 + c.v2Norm ** 2;
  const flip = 1 - 2 * p;
  const ratio = (n: number, ssq: number, sigma: number) => (sigma === 0 ? (ssq > 0 ? Infinity : 0) : (flip * n * ssq) / (sigma * sigma * d));
  const snrScratch = effectiveSnr(r.scratchError);
  const snrTransfer = effectiveSnr(r.transferError);
  const gain = r.scratchError - r.transferError;
  const regime: Regime = r.inheritedFilters === 0 || gain === 0 ? 'neutral' : gain > 0 ? 'positive' : 'negative';
  const inhNoise = r.inherited.memorised + r.inherited.leaked + r.inherited.initial;
  return {
    Lambda2: s2 === 0 ? (s2sq > 0 ? Infinity : 0) : (n2 * s2sq * s2sq) / (s2 ** 4 * d),
    R1: ratio(n1, s1sq, s1),
    R2: ratio(n2, s2sq, s2),
    kappa: s1sq > 0 ? (u2 + c.vCos * c.v1Norm * c.v2Norm) / s1sq : 0,
    snrInherited: r.inheritedFilters && inhNoise > 0 ? r.inherited.signal / Math.sqrt(inhNoise) : 0,
    snrScratch,
    snrTransfer,
    Gamma: r.inheritedFilters === 0 ? 0 : snrTransfer - snrScratch,
    regime,
    predictedScratchError: r.scratchError,
    predictedTransferError: r.transferError,
    predictedGain: gain,
    scratchBayesOptimal: r.scratchError <= k.bayesTolerance,
    transferBayesOptimal: r.transferError <= k.bayesTolerance,
    inheritedFilters: r.inheritedFilters,
    inheritedSignal: r.inherited.signal,
    memorisedNoise: r.inherited.memorised,
    leakedNoise: r.inherited.leaked,
    initialNoise: r.inherited.initial,
  };
}

/** One simulated point for scoring: its config and measured clean errors. */
export interface Observation {
  config: TheoryInput;
  scratchError: number;
  transferError: number;
  /** test-set size (kept for callers of earlier versions; unused) */
  nTest?: number;
}

/**
 * The theory's constants fitted to observations. The reduced dynamics derives every term and fits nothing, so this
 * returns `base` (the signature is kept for callers of earlier versions, whose Γ theory fitted two constants).
 */
export function fitConstants(_obs: readonly Observation[], base: TheoryConstants = defaultConstants): TheoryConstants {
  return { ...base };
}

/** Fraction of observations with a non-zero measured gain whose sign the predicted regime matches. */
export function agreementRate(obs: readonly Observation[], k: TheoryConstants = defaultConstants): number {
  const xs = obs.filter((o) => o.scratchError !== o.transferError);
  let ok = 0;
  for (const o of xs) {
    const regime = predict(o.config, k).regime;
    if (regime !== 'neutral' && (regime === 'positive') === o.scratchError > o.transferError) ok++;
  }
  return xs.length ? ok / xs.length : 0;
}
