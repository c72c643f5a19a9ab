import { codingRateOfSpectrum, FeatureAnalysis } from './analysis.js';
import type { Matrix } from './input.js';

/** ε of TransRate: the distortion of the coding rate (the paper's value). */
export const TRANSRATE_EPS = 1e-4;

/**
 * TransRate (Huang et al., "Frustratingly Easy Transferability Estimation", ICML 2022): the coding rate of the
 * centred features minus the mean coding rate of each class's rows,
 * R(Z, ε) − (1/C)·Σₖ R(Zₖ, ε) with R(Z, ε) = ½·log det(I + ZᵀZ/(n·ε)) for n rows, ε = 10⁻⁴ — as the paper's
 * published code computes it (global centring; each class keeps the global centre). Higher is better; 0 for
 * constant features.
 */
export function transrateOf(a: FeatureAnalysis, eps = TRANSRATE_EPS): number {
  const whole = codingRateOfSpectrum(a.centredSpectrum().sigma, a.n, eps);
  let classes = 0;
  for (let k = 0; k < a.classes; k++) classes += a.classCodingRate(k, eps);
  return whole - classes / a.classes;
}

/** TransRate of features [N, D] for integer labels 0…C−1 (see transrateOf). */
export function transrate(features: Matrix, labels: ArrayLike<number>, eps = TRANSRATE_EPS): number {
  return transrateOf(new FeatureAnalysis(features, labels), eps);
}
