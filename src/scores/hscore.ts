import { FeatureAnalysis, type Spectrum } from './analysis.js';
import type { Matrix } from './input.js';

/**
 * H-score (Bao et al., "An Information-Theoretic Approach to Transferability in Task Transfer Learning", ICIP
 * 2019): tr(cov(f)⁺ · cov(E[f | y])), the pseudo-inverse of the feature covariance against the covariance of the
 * class means. Higher is better; it lies in [0, C − 1]: 0 when the class means coincide (or the features are
 * constant), C − 1 when every class collapses onto its mean, and exactly C − 1 whenever the
 * centred features have rank N − 1 (D ≥ N − 1 for generic features): then it says nothing.
 *
 * With the thin SVD Z = Σⱼ sⱼuⱼvⱼᵀ of the centred features it is Σₖ (1/nₖ)·Σⱼ (uⱼ·1ₖ)², over the non-null
 * directions (the pseudo-inverse drops eigenvalues below max(N, D)·2⁻⁵² of the largest).
 */
export function hscoreOfSpectrum(centred: Spectrum, counts: Int32Array): number {
  const C = counts.length;
  const { proj } = centred;
  let h = 0;
  for (let k = 0; k < C; k++) {
    let s = 0;
    for (let j = k; j < proj.length; j += C) s += proj[j] * proj[j];
    h += s / counts[k];
  }
  return h;
}

/** H-score of features [N, D] for integer labels 0…C−1 (see hscoreOfSpectrum). */
export function hscore(features: Matrix, labels: ArrayLike<number>): number {
  const a = new FeatureAnalysis(features, labels);
  return hscoreOfSpectrum(a.centredSpectrum(), a.counts);
}
