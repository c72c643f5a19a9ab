import { describe, expect, it } from 'vitest';
import { chooseThreshold, kendallTau, scorePredictors } from '../../src/real/advise-benchmark.js';
import { heldOutClassSignal, pooledFeatures } from '../../src/real/advise.js';
import type { LayerFeatures } from '../../src/real/features.js';

/** The advisor's statistic and the benchmark's scoring on constructed cases with known answers. */

/** Leave-one-out by brute force: each row against the class mean and the grand mean of the other rows. */
function bruteSignal(x: number[][], y: number[]): number {
  let within = 0;
  let total = 0;
  x.forEach((row, i) => {
    const others = x.filter((_, j) => j !== i);
    const same = x.filter((_, j) => j !== i && y[j] === y[i]);
    const mean = (rows: number[][]) => row.map((_, k) => rows.reduce((s, r) => s + r[k], 0) / rows.length);
    const mc = mean(same);
    const mg = mean(others);
    row.forEach((v, k) => {
      within += (v - mc[k]) ** 2;
      total += (v - mg[k]) ** 2;
    });
  });
  return 1 - within / total;
}

describe('held-out class signal R', () => {
  it('two tight, well separated classes: R = 1 − 16/(104·16/9) = 0.913462', () => {
    expect(heldOutClassSignal([0, 2, 10, 12], 4, 1, [0, 0, 1, 1])).toBeCloseTo(1 - 144 / 1664, 12);
  });

  it('labels that explain nothing of the variance (memorised noise): R = 1 − 400/177.8 = −1.25 < 0', () => {
    expect(heldOutClassSignal([0, 10, 0, 10], 4, 1, [0, 0, 1, 1])).toBeCloseTo(-1.25, 12);
  });

  it('equals leave-one-out by brute force on random features, 3 classes of unequal sizes', () => {
    const y = [0, 1, 2, 0, 1, 2, 0, 1, 0];
    const d = 5;
    let s = 7;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
    const x = y.map((c) => Array.from({ length: d }, (_, k) => rand() + (k === c ? 0.7 : 0)));
    const r = heldOutClassSignal(x.flat(), y.length, d, y);
    expect(r).toBeCloseTo(bruteSignal(x, y), 12);
    // a class signal added along the features raises R; scaling every feature leaves it unchanged
    const louder = y.map((c, i) => x[i].map((v, k) => v + (k === c ? 2 : 0)));
    expect(heldOutClassSignal(louder.flat(), y.length, d, y)).toBeGreaterThan(r + 0.3);
    expect(heldOutClassSignal(x.flat().map((v) => 3 * v), y.length, d, y)).toBeCloseTo(r, 12);
  });

  it('constant features give 0; a class of one image is an error', () => {
    expect(heldOutClassSignal([1, 1, 1, 1], 4, 1, [0, 0, 1, 1])).toBe(0);
    expect(() => heldOutClassSignal([0, 1, 2], 3, 1, [0, 0, 1])).toThrow(/class 1 has 1 image/);
  });
});

describe('pooledFeatures', () => {
  it('averages each channel over blocks down to at most 4×4 (8×8 → 2×2 blocks; 3×3 kept)', () => {
    const data = new Float32Array(2 * 64);
    for (let i = 0; i < 128; i++) data[i] = i;
    const f = { layer: 0, name: 'block1', kind: 'relu', shape: { c: 2, h: 8, w: 8 }, dims: 64, data } as unknown as LayerFeatures;
    const { data: out, dims } = pooledFeatures(f, 1);
    expect(dims).toBe(32);
    expect(out[0]).toBe((0 + 1 + 8 + 9) / 4);
    expect(out[16 + 5]).toBe((64 + 18 + 64 + 19 + 64 + 26 + 64 + 27) / 4);
    const small = { ...f, shape: { c: 2, h: 3, w: 3 }, dims: 9, data: data.subarray(0, 18) } as unknown as LayerFeatures;
    expect([...pooledFeatures(small, 1).data]).toEqual([...data.subarray(0, 18)]);
  });
});

describe('benchmark scoring', () => {
  it('chooseThreshold separates the signs when it can, ties towards the middle', () => {
    const pts = [-2, -1, 1, 3].map((value) => ({ value, positive: value > 0 }));
    expect(chooseThreshold(pts)).toBe(0);
    expect(chooseThreshold([{ value: 1, positive: true }])).toBe(0); // below 1 or … every threshold below 1 is right
  });

  it('kendallTau: +1 for the same order, −1 reversed, τ-b with ties', () => {
    expect(kendallTau([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // pairs: (1,2) tie in x; others concordant: c = 5, tx = 1 → 5/√(6·5)
    expect(kendallTau([1, 1, 2, 3], [1, 2, 3, 4])).toBeCloseTo(5 / Math.sqrt(30), 12);
  });

  it('a predictor equal to the measured gain: sign accuracy 1, Kendall τ 1, regret 0', () => {
    const gains = [0.1, -0.08, -0.05, 0.12, 0.07, -0.06]; // both signs in each half
    const groups = gains.map((g, index) => {
      const cases = [0.5, 1].map((alpha) => ({ group: index, alpha, seeds: 5, gain: alpha * g, lo: alpha * g - 0.01, hi: alpha * g + 0.01, decisive: true }));
      const site = { site: 'penultimate', dims: 1, logme: g, hscore: -g, transrate: 0, knn: 0.5, signalUpstream: 0, signalFresh: 0 };
      const advice = { alphas: cases.map((c) => ({ alpha: c.alpha, statistic: c.gain, signalGap: g, share: c.alpha })), scores: { layers: [site], leep: 0, nce: 0 } };
      return { index, config: {} as never, cases, advice: advice as never };
    });
    const { results, reference } = scorePredictors(groups);
    const advisor = results.find((r) => r.name === 'advisor')!;
    expect(advisor).toMatchObject({ threshold: 0, signAccuracy: 1, calibrationAccuracy: 1, kendallReporting: 1, kendallAll: 1, regret: 0 });
    expect(results.find((r) => r.name === 'advisor, calibrated')).toMatchObject({ signAccuracy: 1, kendallAll: 1, regret: 0 });
    const logme = results.find((r) => r.name === 'LogME')!;
    expect(logme.signAccuracy).toBe(1);
    expect(logme.regret).toBe(0); // the best α is the largest when the gain grows with α
    expect(results.find((r) => r.name === 'H-score')!.signAccuracy).toBeLessThan(0.5); // reversed: no threshold saves it
    // reporting configs 2, 4, 6: gains −0.08, +0.12, −0.06 at α = 1
    expect(reference['always transfer (largest α)']).toBeCloseTo((0.08 + 0.06) / 3, 12);
    expect(reference['always scratch']).toBeCloseTo(0.12 / 3, 12);
  });

  it('whole-layer cases: candidates by number of layers; a score inherits every layer, the advisor its best', () => {
    // gains by layers 1, 2, 4: where transfer helps, 2 layers is best and 4 layers less good or harmful
    const table = [
      [0.05, 0.08, 0.02],
      [-0.01, -0.03, -0.1],
      [-0.02, -0.01, -0.06],
      [0.02, 0.05, -0.05],
    ];
    const groups = table.map((gains, index) => {
      const cases = [1, 2, 4].map((layers, i) => ({ group: index, alpha: 1, layers, seeds: 5, gain: gains[i], lo: gains[i] - 0.005, hi: gains[i] + 0.005, decisive: true }));
      // LogME knows the best gain of the config, not which number of layers gives it
      const site = { site: 'penultimate', dims: 1, logme: Math.max(...gains), hscore: 0, transrate: 0, knn: 0, signalUpstream: 0, signalFresh: 0 };
      const advice = { alphas: cases.map((c) => ({ alpha: 1, layers: c.layers, statistic: c.gain, signalGap: c.gain, share: 1 })), scores: { layers: [site], leep: 0, nce: 0 } };
      return { index, config: {} as never, cases, advice: advice as never };
    });
    const { results, reference } = scorePredictors(groups);
    expect(results.find((r) => r.name === 'advisor')).toMatchObject({ signAccuracy: 1, regret: 0 }); // picks 2 layers on config 3
    // LogME's threshold falls between −0.01 and 0.08 (calibration configs 0 and 2); on the reporting configs it says
    // scratch on 1 (regret 0) and transfer with every layer on 3 (regret 0.05 + 0.05)
    expect(results.find((r) => r.name === 'LogME')!.regret).toBeCloseTo(0.1 / 2, 12);
    // always inheriting every layer: config 1 regrets 0.1, config 3 0.05 + 0.05
    expect(reference['always transfer (largest α)']).toBeCloseTo((0.1 + 0.1) / 2, 12);
  });

  it('per-network signs: every network of a config judged on its decisive cases at the other half\'s threshold', () => {
    const gains = [0.1, -0.08, -0.05, 0.12, 0.07, -0.06];
    const site = { site: 'penultimate', dims: 1, logme: 0, hscore: 0, transrate: 0, knn: 0, signalUpstream: 0, signalFresh: 0 };
    const advice = (v: number) => ({ alphas: [{ alpha: 1, statistic: v, signalGap: v, share: 1 }], scores: { layers: [site], leep: 0, nce: 0 } }) as never;
    const groups = gains.map((g, index) => {
      const cases = [{ group: index, alpha: 1, seeds: 5, gain: g, lo: g - 0.01, hi: g + 0.01, decisive: true }];
      // the second network of config 3 (gain +0.12) has the wrong sign
      const advices = [advice(g), advice(index === 3 ? -g : g)];
      return { index, config: {} as never, cases, advice: advices[0], advices };
    });
    const own = scorePredictors(groups).results.find((r) => r.name === 'advisor')!;
    expect(own).toMatchObject({ signAccuracy: 1, networkPairs: 12 });
    expect(own.networkAccuracy).toBeCloseTo(11 / 12, 12);
    // one network per config: no per-network figures
    const single = scorePredictors(groups.map((g) => ({ ...g, advices: [g.advice] }))).results[0];
    expect(single.networkAccuracy).toBeUndefined();
  });

  it('the advisor decides by its own sign (threshold 0), unlike the calibrated row', () => {
    const gains = [0.1, -0.08, -0.05, 0.12, 0.07, -0.06];
    const groups = gains.map((g, index) => {
      const cases = [1].map((alpha) => ({ group: index, alpha, seeds: 5, gain: g, lo: g - 0.01, hi: g + 0.01, decisive: true }));
      const site = { site: 'penultimate', dims: 1, logme: 0, hscore: 0, transrate: 0, knn: 0, signalUpstream: 0, signalFresh: 0 };
      // a statistic in the right order but shifted: positive everywhere
      const advice = { alphas: [{ alpha: 1, statistic: g + 1, signalGap: g + 1, share: 1 }], scores: { layers: [site], leep: 0, nce: 0 } };
      return { index, config: {} as never, cases, advice: advice as never };
    });
    const { results } = scorePredictors(groups);
    const own = results.find((r) => r.name === 'advisor')!;
    expect(own.threshold).toBe(0);
    expect(own.signAccuracy).toBeCloseTo(1 / 3, 12); // reporting: −0.08, +0.12, −0.06 all called transfer
    expect(own.regret).toBeCloseTo((0.08 + 0.06) / 3, 12);
    const calibrated = results.find((r) => r.name === 'advisor, calibrated')!;
    expect(calibrated.threshold).toBeGreaterThan(1 - 0.05);
    expect(calibrated.threshold).toBeLessThan(1 + 0.07);
    expect(calibrated).toMatchObject({ signAccuracy: 1, regret: 0 });
    // halves swapped: the threshold from the reporting half (−0.06 … +0.12 → between 0.94 and 1.12), scored on the
    // calibration half (+0.1, −0.05, +0.07): right on all three; the advisor's own sign only on the two positives
    expect(calibrated).toMatchObject({ swappedAccuracy: 1, swappedDecisive: 3 });
    expect(own.swappedAccuracy).toBeCloseTo(2 / 3, 12);
  });
});
