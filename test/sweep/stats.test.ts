import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fractionInterval, normalQuantile, studentTQuantile, tInterval, wilsonInterval } from '../../src/sweep/stats.js';

describe('normal quantile', () => {
  it('matches Python statistics.NormalDist().inv_cdf', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.9599639845400536, 14);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489, 13);
    expect(normalQuantile(0.3)).toBeCloseTo(-0.5244005127080407, 14);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 12);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});

describe('Wilson interval', () => {
  it('matches the closed form on known values', () => {
    // (p̂ + z²/2n)/(1 + z²/n) ± z/(1 + z²/n)·√(p̂(1−p̂)/n + z²/4n²), z = 1.959963984540054
    expect(wilsonInterval(0, 10)).toEqual({ lo: 0, hi: expect.closeTo(0.27753279986288915, 13) });
    const half = wilsonInterval(0.5, 10);
    expect(half.lo).toBeCloseTo(0.23659309051256405, 13);
    expect(half.hi).toBeCloseTo(0.763406909487436, 13);
    const small = wilsonInterval(0.0485, 2000);
    expect(small.lo).toBeCloseTo(0.03992009344287708, 13);
    expect(small.hi).toBeCloseTo(0.05881100025209431, 13);
    expect(wilsonInterval(1, 4).hi).toBe(1);
  });
});

describe('fraction intervals over seeds', () => {
  it('is the Wilson interval of the test set for one seed, none without its size', () => {
    const iv = fractionInterval([0.0485], 2000);
    expect(iv.mean).toBe(0.0485);
    expect(iv.lo).toBeCloseTo(0.03992009344287708, 13);
    expect(fractionInterval([0.2])).toEqual({ n: 1, mean: 0.2, lo: null, hi: null });
  });

  it('is close to the t-interval away from 0 and 1, and bends inside [0, 1] near them', () => {
    const mid = [0.4, 0.45, 0.5, 0.42, 0.48];
    const f = fractionInterval(mid, 10_000);
    const t = tInterval(mid);
    expect(f.mean).toBeCloseTo(t.mean!, 15);
    expect(Math.abs(f.lo! - t.lo!)).toBeLessThan(0.004);
    expect(Math.abs(f.hi! - t.hi!)).toBeLessThan(0.004);
    // two seeds near 0: the t-interval leaves [0, 1] (the symptom of issue 14), this one does not
    const near = [0.001, 0.03];
    expect(tInterval(near).lo!).toBeLessThan(-0.1);
    const g = fractionInterval(near, 2000);
    expect(g.lo!).toBeGreaterThanOrEqual(0);
    expect(g.lo!).toBeLessThan(0.0155);
    expect(g.hi!).toBeGreaterThan(0.0155);
  });

  it('never gets narrower than the pooled test samples allow', () => {
    // identical seeds: the pooled binomial interval of 3 × 500 samples (a known variance: the normal quantile)
    const iv = fractionInterval([0.1, 0.1, 0.1], 500);
    const pooled = wilsonInterval(0.1, 1500);
    expect(iv.lo).toBeCloseTo(pooled.lo, 15);
    expect(iv.hi).toBeCloseTo(pooled.hi, 15);
    expect(fractionInterval([0, 0], 100).lo).toBe(0);
    expect(fractionInterval([0, 0], 100).hi!).toBeGreaterThan(0);
    // seeds that agree more closely than their test sets allow: no narrower than the pooled binomial interval
    const close = fractionInterval([0.1, 0.1001, 0.0999], 500);
    expect(close.hi! - close.lo!).toBeGreaterThanOrEqual(pooled.hi - pooled.lo - 1e-12);
    expect(studentTQuantile(0.975, 2)).toBeGreaterThan(4);
  });

  it('keeps both bounds in [0, 1] around the mean for any fractions (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }),
        fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
        (xs, trials) => {
          const iv = fractionInterval(xs, trials);
          if (iv.lo === null || iv.hi === null) return xs.length === 1 && trials === undefined;
          return iv.lo >= 0 && iv.hi <= 1 && iv.lo <= iv.mean! + 1e-12 && iv.mean! <= iv.hi + 1e-12;
        },
      ),
      { numRuns: 500 },
    );
  });
});
