import { exp, log } from './detmath.js';
import type { Rng } from './rng.js';

/**
 * Gamma(shape, 1) by Marsaglia and Tsang (2000); shapes below 1 by the boost Gamma(a) = Gamma(a + 1)·U^{1/a}.
 * Only sqrt and detmath's log/exp, so the draws are the same bits on every JavaScript engine.
 */
export function gamma(rng: Rng, shape: number): number {
  if (!(shape > 0 && Number.isFinite(shape))) throw new RangeError(`gamma: shape=${shape} must be positive`);
  if (shape < 1) return gamma(rng, shape + 1) * exp(log(1 - rng.uniform()) / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.uniform(); // (0, 1]
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (log(u) < 0.5 * x2 + d * (1 - v + log(v))) return d * v;
  }
}

/** χ²_ν = 2·Gamma(ν/2): the squared length of a standard normal vector in ν dimensions. */
export function chiSquare(rng: Rng, df: number): number {
  return 2 * gamma(rng, df / 2);
}
