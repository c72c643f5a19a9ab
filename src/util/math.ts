import { exp, log, log1p } from './detmath.js';

// exp/log/log1p come from detmath.ts: Math.* may differ in the last bit between engines, and these
// values drive every weight (logistic, logisticDeriv) or the reported steps (logCheckpoints).

/** log(1 + e^{-z}) without overflow or cancellation. */
export function logistic(z: number): number {
  return z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z));
}

/** ℓ'(z) = −1/(1 + e^{z}), stable for either sign of z. */
export function logisticDeriv(z: number): number {
  if (z > 0) {
    const e = exp(-z);
    return -e / (1 + e);
  }
  return -1 / (1 + exp(z));
}

/** Round half to even, as Python's round(): k = round(α·m) agrees with the NumPy peer. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function dot(a: Float64Array, aOff: number, b: Float64Array, bOff: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[aOff + k] * b[bOff + k];
  return s;
}

/** Log-spaced integer checkpoints in [0, steps], always including 0 and steps, ascending, distinct. */
export function logCheckpoints(steps: number, count: number): number[] {
  const set = new Set<number>([0, steps]);
  if (count > 2 && steps > 1) {
    for (let i = 0; i < count - 1; i++) {
      set.add(Math.round(exp((log(steps + 1) * i) / (count - 1))) - 1);
    }
  }
  return [...set].filter((t) => t >= 0 && t <= steps).sort((a, b) => a - b);
}
