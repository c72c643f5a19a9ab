import { describe, expect, it } from 'vitest';
import { freezeOf, inherit } from '../../src/transfer/inherit.js';
import { Rng } from '../../src/util/rng.js';
import { roundHalfEven } from '../../src/util/math.js';

const m = 10;
const d = 6;
const upstream = Float64Array.from({ length: 2 * m * d }, (_, e) => 1000 + e);
const fresh = Float64Array.from({ length: 2 * m * d }, (_, e) => -1 - e);

describe('inheritance (docs/model.md#transfer)', () => {
  it('random: k = round(α·m) whole filters per class, the rest fresh', () => {
    const inh = inherit(upstream, fresh, m, d, 0.35, 'random', new Rng(1, 'inherit'));
    const k = roundHalfEven(3.5);
    expect(k).toBe(4);
    for (let j = 0; j < 2; j++) {
      expect(inh.inheritedFilters.subarray(j * m, (j + 1) * m).reduce((a, b) => a + b, 0)).toBe(k);
    }
    for (let row = 0; row < 2 * m; row++) {
      const src = inh.inheritedFilters[row] ? upstream : fresh;
      for (let c = 0; c < d; c++) expect(inh.W[row * d + c]).toBe(src[row * d + c]);
    }
    expect(inh.count).toBe(2 * k * d);
    expect(freezeOf(inh)).toEqual({ kind: 'rows', mask: inh.inheritedFilters });
  });

  it('random: every filter is equally likely to be inherited', () => {
    const counts = new Array(2 * m).fill(0);
    const rng = new Rng(2, 'inherit');
    for (let t = 0; t < 2000; t++) {
      const inh = inherit(upstream, fresh, m, d, 0.3, 'random', rng);
      inh.inheritedFilters.forEach((b, r) => (counts[r] += b));
    }
    for (const c of counts) expect(Math.abs(c / 2000 - 0.3)).toBeLessThan(4 * Math.sqrt(0.21 / 2000));
  });

  it('first: filters 0…k−1 of each class', () => {
    const inh = inherit(upstream, fresh, m, d, 0.2, 'first', new Rng(1, 'inherit'));
    expect([...inh.inheritedFilters]).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('entries: each scalar with probability α', () => {
    const big = 2 * 50 * 40;
    const up = new Float64Array(big).fill(1);
    const fr = new Float64Array(big).fill(0);
    const inh = inherit(up, fr, 50, 40, 0.25, 'entries', new Rng(3, 'inherit'));
    const frac = inh.count / big;
    expect(Math.abs(frac - 0.25)).toBeLessThan(4 * Math.sqrt(0.1875 / big));
    inh.inheritedEntries.forEach((b, e) => expect(inh.W[e]).toBe(b));
    expect(inh.inheritedFilters.every((b) => b === 0)).toBe(true);
    expect(freezeOf(inh).kind).toBe('entries');
  });

  it('α = 0 inherits nothing and α = 1 everything', () => {
    expect(inherit(upstream, fresh, m, d, 0, 'random', new Rng(1)).W).toEqual(fresh);
    expect(inherit(upstream, fresh, m, d, 1, 'random', new Rng(1)).W).toEqual(upstream);
    expect(inherit(upstream, fresh, m, d, 1, 'entries', new Rng(1)).W).toEqual(upstream);
  });
});
