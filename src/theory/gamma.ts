import type { ExperimentConfig } from '../config/schema.js';
import { normalCdf, normalQuantile } from './gaussian.js';
import type { Prediction } from './index.js';
import type { Regime } from './regime.js';

/**
 * The first theory of paratransfer, kept as the baseline of `paratransfer theory-check` (docs/theory.md §10):
 * each trained component of the network is summarised on a test input by its signal S (mean margin along ỹ)
 * and its noise N (spread from memorised training noise), training runs to a common margin, and the clean test
 * error of a network whose components add is Φ(−c·ΣS/√ΣN²); Γ = ln(SNR_transfer/SNR_scratch). On held-out
 * configurations it is replaced by the reduced dynamics of ./index.ts.
 */

export interface GammaConstants {
  /** probit slope: clean error ≈ Φ(−c·SNR) */
  c: number;
  /** Γ threshold: positive transfer predicted when Γ > gamma0 */
  gamma0: number;
  /** a predicted clean error at most this is "Bayes-optimal" (error against observed labels ≈ p) */
  bayesTolerance: number;
}

/** c fitted on the presets' scratch errors (0.08–0.16, docs/model.md#presets); gamma0 = 0 is the theory's own threshold. */
export const gammaConstants: GammaConstants = { c: 1.55, gamma0: 0, bayesTolerance: 0.01 };


/**
 * What the Γ theory predicts: the fields the current theory's prediction had from the start (docs/theory.md §10).
 * Here SNRs are the closed form's ΣS/√ΣN² and Γ = ln(SNR_transfer/SNR_scratch), positive transfer when Γ > gamma0.
 */
export type GammaPrediction = Pick<
  Prediction,
  | 'Lambda2'
  | 'R1'
  | 'R2'
  | 'kappa'
  | 'snrInherited'
  | 'snrScratch'
  | 'snrTransfer'
  | 'Gamma'
  | 'regime'
  | 'predictedScratchError'
  | 'predictedTransferError'
  | 'predictedGain'
  | 'scratchBayesOptimal'
  | 'transferBayesOptimal'
>;

export type GammaInput = Pick<
  ExperimentConfig,
  'd' | 'n1' | 'n2' | 'uNorm' | 'v1Norm' | 'v2Norm' | 'vCos' | 'sigmaP1' | 'sigmaP2' | 'labelNoise' | 'alpha'
>;

/** R/(1+R): the share of the training margin carried by signal; 1 when there is no noise at all. */
const signalShare = (R: number) => (R === Infinity ? 1 : R / (1 + R));
const noiseShare = (R: number) => (R === Infinity ? 0 : 1 / (1 + R));

function snr(S: number, N: number): number {
  if (N === 0) return S > 0 ? Infinity : S < 0 ? -Infinity : 0;
  return S / N;
}

/** The theory's prediction for one config (docs/theory.md derives every term), with the given constants. */
export function predictGamma(c: GammaInput, k: GammaConstants = gammaConstants): GammaPrediction {
  const { d, n1, n2, sigmaP1: s1, sigmaP2: s2, labelNoise: p, alpha } = c;
  const u2 = c.uNorm ** 2;
  const s1sq = u2 + c.v1Norm ** 2;
  const s2sq = u2 + c.v2Norm ** 2;
  const s12 = u2 + c.vCos * c.v1Norm * c.v2Norm;
  const v1Perp = c.v1Norm * Math.sqrt(Math.max(0, 1 - c.vCos ** 2));
  const flip = 1 - 2 * p;

  const ratio = (n: number, ssq: number, sigma: number) =>
    sigma === 0 ? (ssq > 0 ? Infinity : 0) : (flip * n * ssq) / (sigma * sigma * d);
  const R1 = ratio(n1, s1sq, s1);
  const R2 = ratio(n2, s2sq, s2);
  const Lambda2 = s2 === 0 ? (s2sq > 0 ? Infinity : 0) : (n2 * s2sq * s2sq) / (s2 ** 4 * d);
  const kappa = s1sq > 0 ? s12 / s1sq : 0;

  // Inherited component (weight α), in units of the training margin M*.
  const Sinh = alpha * signalShare(R1) * kappa;
  const memorised = s1 === 0 ? 0 : noiseShare(R1) * Math.sqrt(n1 / d) * (s2 / s1);
  const leaked = s1sq > 0 ? (signalShare(R1) * s2 * v1Perp) / s1sq : 0;
  const Ninh = alpha * Math.hypot(memorised, leaked);

  // Downstream-learned component; in the transfer run the inherited signal already provides part of the
  // training margin, so GD learns λ = 1 − S_inh of it.
  const downstream = (lambda: number) => ({
    S: lambda * signalShare(R2),
    N: lambda * noiseShare(R2) * Math.sqrt(n2 / d),
  });
  const scratch = downstream(1);
  const tr = downstream(Math.max(0, 1 - Sinh));
  const snrScratch = snr(scratch.S, scratch.N);
  const snrTransfer = snr(Sinh + tr.S, Math.hypot(Ninh, tr.N));
  const snrInherited = snr(signalShare(R1) * kappa, Math.hypot(memorised, leaked));

  let Gamma: number;
  if (snrTransfer === snrScratch) Gamma = 0;
  else if (snrScratch <= 0 || snrTransfer <= 0) Gamma = snrTransfer > snrScratch ? Infinity : -Infinity;
  else Gamma = Math.log(snrTransfer / snrScratch);

  const errorAt = (x: number) => normalCdf(-k.c * x);
  const predictedScratchError = errorAt(snrScratch);
  const predictedTransferError = errorAt(snrTransfer);
  const regime: Regime = Math.abs(Gamma - k.gamma0) < 1e-12 ? 'neutral' : Gamma > k.gamma0 ? 'positive' : 'negative';
  return {
    Lambda2,
    R1,
    R2,
    kappa,
    snrInherited,
    snrScratch,
    snrTransfer,
    Gamma,
    regime,
    predictedScratchError,
    predictedTransferError,
    predictedGain: predictedScratchError - predictedTransferError,
    scratchBayesOptimal: predictedScratchError <= k.bayesTolerance,
    transferBayesOptimal: predictedTransferError <= k.bayesTolerance,
  };
}

/** One simulated point for fitting and scoring: its config and measured clean errors. */
export interface GammaObservation {
  config: GammaInput;
  scratchError: number;
  transferError: number;
  /** test-set size, to clip error 0 to half a sample before the probit transform */
  nTest?: number;
}

/**
 * Fit c by least squares on the probit scale (Φ⁻¹(err) = −c·SNR, errors ≥ 1/2 carry no SNR
 * information and are skipped), then gamma0 as the threshold on Γ that best separates measured
 * positive from negative transfer (midpoints between sorted Γ; ties keep 0).
 */
export function fitGammaConstants(obs: readonly GammaObservation[], base: GammaConstants = gammaConstants): GammaConstants {
  let num = 0;
  let den = 0;
  for (const o of obs) {
    const pr = predictGamma(o.config, base);
    const floor = 0.5 / (o.nTest ?? 2000);
    for (const [err, s] of [
      [o.scratchError, pr.snrScratch],
      [o.transferError, pr.snrTransfer],
    ]) {
      if (!(err < 0.5) || !Number.isFinite(s) || s <= 0) continue;
      const z = normalQuantile(Math.max(err, floor));
      num += -s * z;
      den += s * s;
    }
  }
  const c = den > 0 ? num / den : base.c;
  const scored = obs
    .map((o) => ({ G: predictGamma(o.config, { ...base, c }).Gamma, gain: o.scratchError - o.transferError }))
    .filter((x) => Number.isFinite(x.G) && x.gain !== 0);
  let gamma0 = base.gamma0;
  let best = agreementAt(scored, gamma0);
  const Gs = [...new Set(scored.map((x) => x.G))].sort((a, b) => a - b);
  for (let i = 0; i + 1 < Gs.length; i++) {
    const t = (Gs[i] + Gs[i + 1]) / 2;
    const a = agreementAt(scored, t);
    if (a > best) {
      best = a;
      gamma0 = t;
    }
  }
  return { ...base, c, gamma0 };
}

function agreementAt(xs: { G: number; gain: number }[], t: number): number {
  let ok = 0;
  for (const x of xs) if (x.G > t === x.gain > 0) ok++;
  return xs.length ? ok / xs.length : 0;
}

/** Fraction of observations whose measured sign of the gain matches the predicted regime. */
export function gammaAgreementRate(obs: readonly GammaObservation[], k: GammaConstants = gammaConstants): number {
  const xs = obs
    .map((o) => ({ G: predictGamma(o.config, k).Gamma, gain: o.scratchError - o.transferError }))
    .filter((x) => x.gain !== 0);
  return agreementAt(xs, k.gamma0);
}
