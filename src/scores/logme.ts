import { log } from '../util/detmath.js';
import { FeatureAnalysis, type Spectrum } from './analysis.js';
import { ScoreInputError, type Matrix } from './input.js';

/**
 * LogME (You et al., "LogME: Practical Assessment of Pre-trained Models for Transfer Learning", ICML 2021; the
 * fixed-point algorithm of "Ranking and Tuning Pre-trained Models", arXiv 2110.10545). For each target class k,
 * y = 1[label = k] is modelled as y = F·w + noise, w ~ N(0, α⁻¹I), noise ~ N(0, β⁻¹I); α and β maximise the
 * evidence p(y | F, α, β) by the fixed point α = γ/|m|², β = (N − γ)/|y − F·m|², γ = Σⱼ σⱼ/(σⱼ + α/β), with
 * m the posterior mean and σⱼ the squared singular values of F. The score is the maximised log evidence per
 * sample, averaged over the classes. Higher is better.
 *
 * As published (and as the authors' code computes it): α = β = 1 at the start, at most 11 updates, stop when
 * α/β changes by at most 0.1 %, 10⁻⁵ added to both denominators, and the log-determinant summed over the
 * r = min(N, D) singular values (numerically null ones count as σ = 0). N − γ is summed as (N − r) + Σⱼ t/(σⱼ + t),
 * which is the same number without the cancellation that makes N − γ zero (and LogME NaN) when the features
 * fit the labels exactly (D ≥ N at large scale).
 */
export function logmeOfSpectrum(spectrum: Spectrum, counts: Int32Array, n: number, d: number): number {
  const { sigma, proj } = spectrum;
  const C = counts.length;
  const r = sigma.length;
  if (!sigma.some((s) => s > 0)) {
    throw new ScoreInputError('features', 'every value is 0 (a dead layer?): LogME is undefined, its evidence grows without bound');
  }
  const x2 = new Float64Array(r);
  const log2pi = log(2 * Math.PI);
  let total = 0;
  for (let k = 0; k < C; k++) {
    let inSpan = 0;
    for (let j = 0; j < r; j++) {
      x2[j] = proj[j * C + k] ** 2;
      inSpan += x2[j];
    }
    const rest = counts[k] - inSpan; // |y|² outside the column space of F
    let alpha = 1;
    let beta = 1;
    let m2 = 0;
    let res2 = 0;
    for (let it = 0; it < 11; it++) {
      const t = alpha / beta;
      let gamma = 0;
      let free = n - r; // N − γ, summed directly: N − Σ σ/(σ+t) cancels when the features fit y exactly
      m2 = 0;
      res2 = rest;
      for (let j = 0; j < r; j++) {
        const s = sigma[j];
        const q = s + t;
        gamma += s / q;
        free += t / q;
        m2 += (s * x2[j]) / (q * q);
        res2 += x2[j] * (t / q) ** 2;
      }
      alpha = gamma / (m2 + 1e-5);
      beta = free / (res2 + 1e-5);
      if (Math.abs(alpha / beta - t) / t <= 1e-3) break;
    }
    let logdet = 0;
    for (let j = 0; j < r; j++) logdet += log(alpha + beta * sigma[j]);
    const evidence = (d / 2) * log(alpha) + (n / 2) * log(beta) - logdet / 2 - (beta / 2) * res2 - (alpha / 2) * m2 - (n / 2) * log2pi;
    if (!Number.isFinite(evidence)) {
      throw new ScoreInputError('features', `LogME's evidence for class ${k} is not finite (features of extreme magnitude?)`);
    }
    total += evidence / n;
  }
  return total / C;
}

/** LogME of features [N, D] for integer labels 0…C−1 (see logmeOfSpectrum). */
export function logme(features: Matrix, labels: ArrayLike<number>): number {
  const a = new FeatureAnalysis(features, labels);
  return logmeOfSpectrum(a.rawSpectrum(), a.counts, a.n, a.d);
}
