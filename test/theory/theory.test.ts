import { describe, expect, it } from 'vitest';
import { defaultConfig, findPreset, presetConfig } from '../../src/config/presets.js';
import { makeWorld } from '../../src/data/world.js';
import { getEngine } from '../../src/engine/registry.js';
import { runExperiment } from '../../src/experiment/run.js';
import { binomialQuantile, countsAt } from '../../src/theory/counts.js';
import { countSpread, reducedModel } from '../../src/theory/reduced.js';
import { agreementRate, effectiveSnr, predict } from '../../src/theory/index.js';
import type { SampleCounts } from '../../src/theory/dynamics.js';

const preset = (n: string) => presetConfig(findPreset(n)!);

function countsOf(ds: { n: number; y: Float64Array; yTrue: Float64Array }): SampleCounts {
  const o = { cleanPos: 0, flippedPos: 0, cleanNeg: 0, flippedNeg: 0 };
  for (let i = 0; i < ds.n; i++) {
    const clean = ds.y[i] === ds.yTrue[i];
    if (ds.yTrue[i] > 0) {
      if (clean) o.cleanPos++;
      else o.flippedPos++;
    } else if (clean) o.cleanNeg++;
    else o.flippedNeg++;
  }
  return o;
}

describe('the reduced gradient descent (docs/theory.md §2–4)', () => {
  it('follows the real gradient descent: signal coefficients and losses of a run on its own training sets', () => {
    // The negative preset, seed 0: the reduced model with this seed's sample counts against the engine's run.
    const c = { ...preset('negative-transfer'), alpha: 1, checkpoints: 2, nTest: 200 };
    const run = runExperiment(c, { engine: getEngine('auto') }).result;
    const world = makeWorld(c);
    const counts = { upstream: countsOf(world.train1), downstream: countsOf(world.train2) };
    const last = new Map<string, { loss: number; A: Float64Array; A0: Float64Array }>();
    reducedModel(c, {
      counts,
      onStep: (phase, t, loss, A) => {
        const prev = last.get(phase);
        last.set(phase, { loss, A: Float64Array.from(A), A0: prev?.A0 ?? Float64Array.from(A) });
      },
    });
    const gammaMax = (phase: string, sign: number) => {
      const s = last.get(phase)!;
      const m = s.A.length / 2;
      let best = -Infinity;
      for (let r = 0; r < m; r++) best = Math.max(best, sign * (s.A[(sign > 0 ? 0 : m) + r] - s.A0[(sign > 0 ? 0 : m) + r]));
      return best;
    };
    for (const phase of ['upstream', 'scratch'] as const) {
      const real = run[phase].checkpoints.at(-1)!.features.all.gamma;
      expect(gammaMax(phase, 1) / real.pos!, `${phase} γ class +1`).toBeCloseTo(1, 0.7);
      expect(Math.abs(gammaMax(phase, 1) / real.pos! - 1), phase).toBeLessThan(0.12);
      expect(Math.abs(gammaMax(phase, -1) / real.neg! - 1), phase).toBeLessThan(0.12);
      expect(Math.abs(Math.log(last.get(phase)!.loss / run[phase].trainLoss)), `${phase} loss`).toBeLessThan(0.2);
    }
  });

  it('averages over training sets where the counts fluctuate', () => {
    expect(countSpread(2000, 0)).toBeLessThan(0.1);
    expect(countSpread(20, 0.3)).toBeGreaterThan(0.5);
    expect(binomialQuantile(0.5, 100, 0.5)).toBe(50);
    expect(binomialQuantile(0.999999, 10, 0.2)).toBeLessThanOrEqual(10);
    expect(binomialQuantile(0.01, 0, 0.3)).toBe(0);
    const c = countsAt(40, 0.2, [0.5, 0.5, 0.5]);
    expect(c.cleanPos + c.flippedPos + c.cleanNeg + c.flippedNeg).toBe(40);
    expect(reducedModel({ ...defaultConfig, labelNoise: 0.25, n2: 20 }).scenarios).toBeGreaterThan(1);
  });
});

describe('predict (docs/theory.md §6)', () => {
  it('predicts the presets: errors near the measured ones, the sign of the gain', () => {
    // Measured (population test error, eight seeds of the engine): positive 0.14 / 0.05, negative 0.10 / 0.17.
    const pos = predict(preset('positive-transfer'));
    expect(pos.regime).toBe('positive');
    expect(pos.predictedScratchError).toBeGreaterThan(0.11);
    expect(pos.predictedScratchError).toBeLessThan(0.18);
    expect(pos.predictedTransferError).toBeLessThan(0.08);
    const neg = predict(preset('negative-transfer'));
    expect(neg.regime).toBe('negative');
    expect(neg.predictedScratchError).toBeGreaterThan(0.07);
    expect(neg.predictedScratchError).toBeLessThan(0.13);
    expect(neg.predictedTransferError).toBeGreaterThan(0.13);
    expect(predict(preset('no-shared-signal')).regime).toBe('negative');
  });

  it('keeps its fields and their meaning: regime = predicted sign at α, Γ > 0 ⟺ gain > 0, α = 0 neutral', () => {
    const p = predict(preset('positive-transfer'));
    for (const k of ['Gamma', 'regime', 'predictedGain', 'predictedScratchError', 'predictedTransferError', 'scratchBayesOptimal', 'transferBayesOptimal', 'Lambda2', 'R1', 'R2', 'kappa']) {
      expect(p, k).toHaveProperty(k);
    }
    expect(p.predictedGain).toBeCloseTo(p.predictedScratchError - p.predictedTransferError, 12);
    expect(p.Gamma).toBeCloseTo(effectiveSnr(p.predictedTransferError) - effectiveSnr(p.predictedScratchError), 12);
    expect(p.Lambda2).toBeCloseTo(0.5, 12); // 40·5²/2000
    for (const alpha of [0.1, 0.3, 0.6, 0.9]) {
      const q = predict({ ...preset('negative-transfer'), alpha });
      expect(q.regime).toBe(q.predictedGain > 0 ? 'positive' : 'negative');
      expect(q.Gamma > 0).toBe(q.predictedGain > 0);
    }
    const zero = predict({ ...defaultConfig, alpha: 0 });
    expect(zero).toMatchObject({ regime: 'neutral', Gamma: 0, predictedGain: 0, inheritedFilters: 0 });
    expect(zero.predictedTransferError).toBe(zero.predictedScratchError);
  });

  it('is pure: the same config gives the same numbers, α only through round(α·m)', () => {
    const a = predict({ ...defaultConfig, uNorm: 1.3 });
    const b = predict({ ...defaultConfig, uNorm: 1.3 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(predict({ ...defaultConfig, alpha: 0.5 }).predictedTransferError).toBe(predict({ ...defaultConfig, alpha: 0.52 }).predictedTransferError);
  });

  it('moves the way the mechanism says: a stronger shared signal helps, noisier upstream data helps less', () => {
    const gain = (o: object) => predict({ ...defaultConfig, ...o }).predictedGain;
    expect(gain({ uNorm: 2.5 })).toBeGreaterThan(gain({ uNorm: 1 }));
    expect(gain({ sigmaP1: 2 })).toBeLessThan(gain({ sigmaP1: 0.5 }));
    expect(predict({ ...defaultConfig, uNorm: 0, v1Norm: 3, v2Norm: 2 }).regime).toBe('negative');
    // Bayes-optimal scratch with plenty of downstream data
    expect(predict({ ...defaultConfig, n2: 400 }).scratchBayesOptimal).toBe(true);
    expect(predict({ ...defaultConfig }).scratchBayesOptimal).toBe(false);
  });

  it('handles zero noise and zero signal without NaN', () => {
    for (const o of [{ sigmaP1: 0 }, { sigmaP2: 0 }, { uNorm: 0, v1Norm: 0 }, { uNorm: 0, v2Norm: 0 }, { labelNoise: 0.45, n2: 5 }]) {
      const p = predict({ ...defaultConfig, ...o });
      for (const [k, v] of Object.entries(p)) if (typeof v === 'number') expect(Number.isNaN(v), `${JSON.stringify(o)} ${k}`).toBe(false);
    }
    // no downstream signal at all: chance
    expect(predict({ ...defaultConfig, uNorm: 0, v2Norm: 0 }).predictedScratchError).toBeCloseTo(0.5, 2);
  });

  it('scores agreement: the sign of measured gains against the predicted regime', () => {
    const config = preset('positive-transfer');
    expect(agreementRate([{ config, scratchError: 0.14, transferError: 0.05 }])).toBe(1);
    expect(agreementRate([{ config, scratchError: 0.05, transferError: 0.14 }])).toBe(0);
  });
});
