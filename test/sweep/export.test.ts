import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../src/config/schema.js';
import { runExperiment } from '../../src/experiment/run.js';
import {
  aggregateTable,
  briefColumns,
  column,
  selectColumns,
  fitThreshold,
  runRecords,
  runTable,
  toCsv,
  toJson,
  type RunRecord,
} from '../../src/sweep/export.js';
import { expandJobs } from '../../src/sweep/grid.js';
import { checkedPredictor } from '../../src/study/prediction.js';
import { syntheticStudy } from '../../src/experiment/study.js';
import type { ExperimentResult } from '../../src/experiment/run.js';
import type { Predictor } from '../../src/sweep/export.js';
import { InlineQueue, type JobEvent, type JobQueue } from '../../src/sweep/queue.js';
import type { JobPayload } from '../../src/sweep/job.js';
import { runSweeps } from '../../src/sweep/run.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { fractionInterval, studentTCdf, studentTQuantile, tInterval } from '../../src/sweep/stats.js';
import { SweepStore } from '../../src/sweep/store.js';

describe('Student-t intervals', () => {
  it('matches SciPy quantiles', () => {
    // scipy.stats.t.ppf(0.975, df)
    const ref: [number, number][] = [
      [1, 12.706204736174694],
      [2, 4.302652729749462],
      [3, 3.1824463052837078],
      [4, 2.7764451051977934],
      [9, 2.262157162798205],
      [29, 2.045229642132703],
      [100, 1.9839715185235518],
      [1000, 1.9623390808264083],
    ];
    for (const [df, t] of ref) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 10);
    expect(studentTCdf(-1.3, 5)).toBeCloseTo(0.12515031708533855, 12);
    expect(studentTQuantile(0.9, 7)).toBeCloseTo(1.4149239276505086, 10);
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.7764451051977934, 10);
  });

  it('computes mean ± t·s/√n by hand', () => {
    const iv = tInterval([0.1, 0.3, 0.2, null]);
    // mean 0.2, s = 0.1, n = 3: half-width 4.302652729749462 · 0.1/√3
    const hw = (4.302652729749462 * 0.1) / Math.sqrt(3);
    expect(iv.n).toBe(3);
    expect(iv.mean).toBeCloseTo(0.2, 15);
    expect(iv.lo).toBeCloseTo(0.2 - hw, 12);
    expect(iv.hi).toBeCloseTo(0.2 + hw, 12);
    expect(tInterval([5])).toEqual({ n: 1, mean: 5, lo: null, hi: null });
    expect(tInterval([])).toEqual({ n: 0, mean: null, lo: null, hi: null });
  });
});

describe('fitting the threshold on Γ', () => {
  it('finds the separating midpoint', () => {
    const fit = fitThreshold([
      { gamma: -2, positive: false },
      { gamma: -1, positive: false },
      { gamma: 0.5, positive: false },
      { gamma: 1.5, positive: true },
      { gamma: 3, positive: true },
    ]);
    expect(fit).toEqual({ threshold: 1, agreement: 1, n: 5 });
    expect(fitThreshold([{ gamma: 1, positive: true }])).toBeNull();
  });
});

/** A fake theory: Γ = uNorm − 1, positive above 0. */
const fakePredictor: Predictor = checkedPredictor((c: ExperimentConfig) => ({
  Gamma: c.uNorm - 1,
  regime: c.uNorm > 1 ? 'positive' : c.uNorm < 1 ? 'negative' : 'neutral',
  scratchBayesOptimal: c.n2 > 1000,
  note: 'fake',
}));

describe('export of a small sweep', () => {
  const spec = `name: tiny
base: positive-transfer
set: { d: 100, n1: 20, n2: 10, nTest: 100, m: 4, steps: 30, checkpoints: 4 }
grid: { uNorm: [0.5, 2], alpha: [0, 0.5] }
seeds: 3
`;
  const plan = parseSweepSpec<ExperimentConfig>(spec);
  let records: RunRecord<ExperimentConfig, ExperimentResult>[];

  beforeAll(async () => {
    const store = SweepStore.open(mkdtempSync(join(tmpdir(), 'pt-export-')));
    store.attach(plan, spec, 'dense', 'test');
    const summary = await runSweeps([{ plan, store }], new InlineQueue(), { engine: 'dense', version: 'test' });
    expect(summary).toMatchObject({ runs: 12, skipped: 0, executed: 12, failures: [] });
    records = runRecords(plan, store.runs()) as RunRecord<ExperimentConfig, ExperimentResult>[];
    store.close();
  });

  it('stores the exact result of runExperiment for every (point, seed)', () => {
    const { jobs } = expandJobs(plan);
    expect(records.map((r) => r.id)).toEqual(jobs.map((j) => j.id));
    const direct = runExperiment(jobs[7].config).result;
    expect(JSON.stringify(records[7].result)).toBe(JSON.stringify(direct));
  });

  it('has one row per run with config values, flattened measures and predictions', () => {
    const t = runTable(syntheticStudy, records, { predictor: fakePredictor });
    expect(t.rows).toHaveLength(12);
    expect(t.columns.slice(0, 6)).toEqual(['point', 'seed', 'job', 'engine', 'd', 'n1']);
    for (const c of [
      'uNorm',
      'alpha',
      'upstream.testError',
      'upstream.testErrorNoisy',
      'transfer.testError',
      'scratch.testErrorNoisy',
      'scratch.trainLoss',
      'gain',
      'upstream.features.all.signalLearning.u.pos',
      'transfer.features.inherited.noiseMemorization',
      'transfer.features.fresh.signalLearning.v2.neg',
      'scratch.features.all.rho',
      'predicted.gamma',
      'predicted.regime',
      'predicted.scratchBayesOptimal',
      'predicted.note',
    ]) {
      expect(t.columns, c).toContain(c);
    }
    expect(t.columns).not.toContain('seed.1');
    expect(new Set(t.columns).size).toBe(t.columns.length);
    // inherited-filter columns sit inside the transfer block even though alpha = 0 runs come first
    const ix = (c: string) => t.columns.indexOf(c);
    expect(ix('transfer.features.inherited.filters')).toBeLessThan(ix('scratch.testError'));
    expect(column(t, 'point')).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(column(t, 'seed')).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(column(t, 'transfer.features.inherited.filters')[0]).toBeNull(); // alpha = 0: no inherited group
    expect(column(t, 'transfer.features.inherited.filters')[3]).toBe(2);
    const r = records[4];
    expect(column(t, 'gain')[4]).toBe(r.result.gain);
    expect(column(t, 'gain')[4]).toBe(r.result.scratch.testError - r.result.transfer.testError);
    expect(column(t, 'predicted.gamma')[4]).toBe(-0.5);
    expect(column(t, 'predicted.regime')[9]).toBe('positive');
  });

  it('aggregates over seeds: mean, 95% t-interval, negative fraction, agreement (checked by hand)', () => {
    const t = aggregateTable(syntheticStudy, records, { predictor: fakePredictor });
    expect(t.rows).toHaveLength(4);
    const at = (c: string, i: number) => column(t, c)[i] as number;
    for (let i = 0; i < 4; i++) {
      const g = records.filter((r) => r.point === i).map((r) => r.result.gain);
      const mean = (g[0] + g[1] + g[2]) / 3;
      const s = Math.sqrt(((g[0] - mean) ** 2 + (g[1] - mean) ** 2 + (g[2] - mean) ** 2) / 2);
      const hw = (4.302652729749462 * s) / Math.sqrt(3);
      expect(at('seeds', i)).toBe(3);
      expect(at('gain.mean', i)).toBeCloseTo(mean, 14);
      expect(at('gain.lo', i)).toBeCloseTo(mean - hw, 12);
      expect(at('gain.hi', i)).toBeCloseTo(mean + hw, 12);
      expect(at('negativeFraction', i)).toBe(g.filter((x) => x < 0).length / 3);
      const observed = mean > 0 ? 'positive' : mean < 0 ? 'negative' : 'neutral';
      expect(column(t, 'observed.regime')[i]).toBe(observed);
      const predicted = column(t, 'predicted.regime')[i];
      expect(column(t, 'agrees.regime')[i]).toBe(observed === 'neutral' ? null : predicted === observed);
      const scratch = records.filter((r) => r.point === i).map((r) => r.result.scratch.testError);
      expect(at('scratch.testError.mean', i)).toBeCloseTo((scratch[0] + scratch[1] + scratch[2]) / 3, 14);
      expect(column(t, 'observed.scratchBayesOptimal')[i]).toBe(at('scratch.testError.mean', i) <= 0.01);
    }
    // alpha = 0 inherits nothing: transfer equals scratch exactly, gain 0 on every seed
    expect(at('gain.mean', 0)).toBe(0);
    expect(column(t, 'observed.regime')[0]).toBe('neutral');
    expect(column(t, 'uNorm')).toEqual([0.5, 0.5, 2, 2]);
    expect(column(t, 'alpha')).toEqual([0, 0.5, 0, 0.5]);
    expect(t.columns).not.toContain('seed');
  });

  it('gives errors intervals inside [0, 1] (fractionInterval) and the gain a t-interval with its verdict', () => {
    const t = aggregateTable(syntheticStudy, records, { predictor: fakePredictor });
    for (let i = 0; i < 4; i++) {
      const g = records.filter((r) => r.point === i);
      for (const ph of ['upstream', 'transfer', 'scratch'] as const) {
        for (const key of ['testError', 'testErrorNoisy'] as const) {
          const iv = fractionInterval(g.map((r) => r.result[ph][key]), 100);
          expect(column(t, `${ph}.${key}.lo`)[i], `${ph}.${key}`).toBe(iv.lo);
          expect(column(t, `${ph}.${key}.hi`)[i]).toBe(iv.hi);
          expect(iv.lo!).toBeGreaterThanOrEqual(0);
          expect(iv.hi!).toBeLessThanOrEqual(1);
        }
      }
      // other measures keep the t-interval
      expect(column(t, 'scratch.trainLoss.lo')[i]).toBe(tInterval(g.map((r) => r.result.scratch.trainLoss)).lo);
      const lo = column(t, 'gain.lo')[i] as number;
      const hi = column(t, 'gain.hi')[i] as number;
      expect(column(t, 'verdict')[i]).toBe(lo > 0 ? 'positive' : hi < 0 ? 'negative' : 'not significant');
    }
    expect(column(t, 'verdict')[0]).toBe('not significant'); // α = 0: gain exactly 0 on every seed
  });

  it('--columns brief keeps the axes, the measures, the gain (interval, verdict) and the predicted regime', () => {
    const runs = selectColumns(runTable(syntheticStudy, records, { predictor: fakePredictor }), briefColumns(syntheticStudy, plan, false));
    expect(runs.columns).toEqual(['point', 'seed', 'uNorm', 'alpha', 'upstream.testError', 'transfer.testError', 'scratch.testError', 'gain', 'predicted.regime']);
    const agg = selectColumns(aggregateTable(syntheticStudy, records, { predictor: fakePredictor }), briefColumns(syntheticStudy, plan, true));
    expect(agg.columns).toEqual([
      'point', 'uNorm', 'alpha', 'seeds',
      'upstream.testError.mean', 'upstream.testError.lo', 'upstream.testError.hi',
      'transfer.testError.mean', 'transfer.testError.lo', 'transfer.testError.hi',
      'scratch.testError.mean', 'scratch.testError.lo', 'scratch.testError.hi',
      'gain.mean', 'gain.lo', 'gain.hi', 'verdict', 'predicted.regime', 'agrees.regime',
    ]);
    expect(agg.rows).toHaveLength(4);
    // without a theory the prediction columns are simply absent
    const none = selectColumns(runTable(syntheticStudy, records, { predictor: null }), briefColumns(syntheticStudy, plan, false));
    expect(none.columns).not.toContain('predicted.regime');
  });

  it('writes byte-stable CSV and JSON', () => {
    const t = runTable(syntheticStudy, records);
    const csv = toCsv(t);
    expect(csv).toBe(toCsv(runTable(syntheticStudy, runRecords(plan, [...recordsAsStored()].reverse()))));
    const lines = csv.trimEnd().split('\n');
    expect(lines).toHaveLength(13);
    expect(lines[0].split(',')).toEqual(t.columns);
    const json = JSON.parse(toJson(t)) as Record<string, unknown>[];
    expect(json).toHaveLength(12);
    expect(json[5]['transfer.testError']).toBe(records[5].result.transfer.testError);
    expect(toCsv({ columns: ['a', 'b'], rows: [['x,"y"', null]] })).toBe('a,b\n"x,""y""",\n');
  });

  /** The records turned back into store rows (to check that export order does not depend on storage order). */
  function recordsAsStored() {
    return records.map((r) => ({
      id: r.id,
      seed: r.seed,
      config: JSON.stringify(r.config),
      result: JSON.stringify(r.result),
      engine: r.engine,
      version: 'test',
      seconds: 0,
    }));
  }
});

/** A backend that fails its first job once and delivers every result twice (as a redelivering queue might). */
class FlakyQueue implements JobQueue {
  readonly name = 'flaky';
  private readonly inner = new InlineQueue();
  private first: string | undefined;

  async enqueue(jobs: readonly JobPayload[]): Promise<void> {
    this.first ??= jobs[0]?.id;
    await this.inner.enqueue(jobs);
  }

  async *events(): AsyncGenerator<JobEvent> {
    for await (const ev of this.inner.events()) {
      if (ev.id === this.first) {
        yield { kind: 'failed', id: ev.id, error: 'worker lost' };
        continue;
      }
      yield ev;
      yield ev;
    }
  }

  workers(): number {
    return 1;
  }

  async close(): Promise<void> {}
}

describe('store semantics behind any queue', () => {
  it('records failures, ignores duplicate deliveries, and retries failed jobs on the next run', async () => {
    const spec = 'set: { d: 100, n1: 20, n2: 10, nTest: 100, m: 4, steps: 10 }\ngrid: { alpha: [0, 1] }\nseeds: 2\n';
    const plan = parseSweepSpec(spec);
    const store = SweepStore.open(mkdtempSync(join(tmpdir(), 'pt-flaky-')));
    store.attach(plan, spec, 'dense', 'test');
    const first = await runSweeps([{ plan, store }], new FlakyQueue(), { engine: 'dense', version: 'test' });
    expect(first.executed).toBe(4);
    expect(first.failures).toHaveLength(1);
    expect(first.failures[0].error).toBe('worker lost');
    expect(store.runs()).toHaveLength(3);
    expect(store.failures().map((f) => f.id)).toEqual([first.failures[0].job.id]);
    // seed-major order: the first job enqueued is point 0, seed 0
    expect(first.failures[0].job).toMatchObject({ point: 0, seed: 0 });

    const second = await runSweeps([{ plan, store }], new InlineQueue(), { engine: 'dense', version: 'test' });
    expect(second).toMatchObject({ runs: 4, skipped: 3, executed: 1, failures: [] });
    expect(store.runs()).toHaveLength(4);
    expect(store.failures()).toEqual([]);
    store.close();
  });
});
