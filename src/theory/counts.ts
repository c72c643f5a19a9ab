import { exp, log } from '../util/detmath.js';
import { normalQuantile } from './gaussian.js';
import type { SampleCounts } from './dynamics.js';

/**
 * The sampling of a training set: labels are fair coins and each label flips with probability p, so a class holds
 * Binomial(N, ½) samples of which Binomial(·, p) are flipped. With few samples and label noise these counts decide
 * whether a class learns the signal at all (clean minus flipped is its net push along s), so the theory averages
 * over them (docs/theory.md §5) at a few fixed quantiles.
 */

/** The u-quantile of Binomial(n, p): the smallest k with P(X ≤ k) ≥ u (normal approximation beyond n = 10⁴). */
export function binomialQuantile(u: number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n > 10_000) {
    const x = Math.round(n * p + normalQuantile(u) * Math.sqrt(n * p * (1 - p)));
    return Math.min(n, Math.max(0, x));
  }
  // log pmf from k = 0 upwards: log C(n, k) + k log p + (n − k) log(1 − p)
  const lp = log(p);
  const lq = log(1 - p);
  let logPmf = n * lq;
  let cdf = 0;
  for (let k = 0; k <= n; k++) {
    cdf += exp(logPmf);
    if (cdf >= u) return k;
    logPmf += log((n - k) / (k + 1)) + lp - lq;
  }
  return n;
}

/** Radical inverse of i in base b (Halton): a low-discrepancy point in [0, 1). */
function halton(i: number, b: number): number {
  let f = 1;
  let r = 0;
  while (i > 0) {
    f /= b;
    r += f * (i % b);
    i = Math.floor(i / b);
  }
  return r;
}

/** Points of a 3-dimensional Halton set, shifted by half a step so that none sits at 0. */
export function scenarioPoints(count: number, offset: number): [number, number, number][] {
  const bases = [2, 3, 5, 7, 11, 13];
  return Array.from({ length: count }, (_, s) => {
    const pt = [0, 1, 2].map((k) => (halton(s + 1, bases[offset + k]) + 0.5 / count) % 1);
    return pt as [number, number, number];
  });
}

/** The sample counts at one point of [0, 1)³: class sizes, then the flips in each class. */
export function countsAt(n: number, p: number, u: readonly [number, number, number]): SampleCounts {
  const pos = binomialQuantile(u[0], n, 0.5);
  const flippedPos = binomialQuantile(u[1], pos, p);
  const flippedNeg = binomialQuantile(u[2], n - pos, p);
  return { cleanPos: pos - flippedPos, flippedPos, cleanNeg: n - pos - flippedNeg, flippedNeg };
}
