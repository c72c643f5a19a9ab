import type { ExperimentConfig } from '../config/schema.js';
import type { SyntheticDataset } from '../data/dataset.js';
import { makeWorld, type Sampler } from '../data/world.js';
import { denseEngine } from '../engine/dense.js';
import { ProductCache } from '../engine/gram.js';
import type { Engine, Freeze, TrainProblem, TrainState, Weights } from '../engine/types.js';
import { materialize } from '../engine/weights.js';
import { FeatureMeter, probeMatrix, type FeatureMeasures } from '../measure/features.js';
import { populationTestError } from '../measure/population.js';
import { errorRate } from '../model/cnn.js';
import { freezeOf, inherit } from '../transfer/inherit.js';
import { logCheckpoints } from '../util/math.js';
import { Rng } from '../util/rng.js';
import { phaseWarnings } from './warnings.js';
import type { Phase } from '../study/types.js';
import type { Task } from '../data/task.js';

export { phases, type Phase } from '../study/types.js';

/** One checkpoint of one run: the measures of docs/model.md#measures at step `step`. */
export interface Checkpoint {
  step: number;
  trainLoss: number;
  /** test error against the true labels ỹ */
  testError: number;
  /** test error against observed (possibly flipped) labels; compare with the Bayes error p */
  testErrorNoisy: number;
  features: FeatureMeasures;
}

/** One phase's end-of-run measures and its checkpoints. */
export interface PhaseResult {
  /** clean test error at the end */
  testError: number;
  /**
   * clean test error on the task's whole test distribution (docs/theory.md §8): the law of the test noise's
   * projections on the 2m filters, sampled by conditional Monte Carlo, so it carries no test-sample noise
   */
  populationTestError: number;
  /** Monte Carlo standard error of populationTestError */
  populationTestErrorSE: number;
  testErrorNoisy: number;
  trainLoss: number;
  stepsRun: number;
  checkpoints: Checkpoint[];
}

/** The deterministic result of one synthetic experiment: every phase's measures and the gain. */
export interface ExperimentResult {
  config: ExperimentConfig;
  engine: string;
  /** how the random vectors were drawn (config `sampler` resolved) */
  sampler: Sampler;
  /** dimension the training ran in: d, or the span's dimension with the subspace sampler */
  workingDimension: number;
  upstream: PhaseResult;
  transfer: PhaseResult;
  scratch: PhaseResult;
  /** Δ = err_scratch − err_transfer (clean): > 0 positive transfer, < 0 negative transfer */
  gain: number;
  inheritance: { strategy: ExperimentConfig['inheritance']; filtersPerClass: number | null; parameters: number };
  /** runs that left the small-step regime (experiment/warnings.ts); absent when there are none */
  warnings?: string[];
}

/** Options of `runExperiment`: the engine, progress and checkpoint callbacks, keeping weights. */
export interface RunOptions {
  engine?: Engine;
  /** called after every gradient step of every phase */
  onProgress?: (phase: Phase, step: number, steps: number) => void;
  /** called with each checkpoint as soon as it is measured (live charts) */
  onCheckpoint?: (phase: Phase, checkpoint: Checkpoint) => void;
  /** keep the trained weights of each phase (for --save) */
  keepWeights?: boolean;
  /**
   * Reuse this thread's recent upstream and scratch phases (neither reads α or freezeInherited): a sweep over α
   * trains them once per configuration. The result is the same either way.
   */
  reuse?: boolean;
}

/** A finished phase as the cache keeps it: what the result and the transfer need. */
interface CachedPhase {
  result: PhaseResult;
  weights: Weights;
  engine: string;
  /** the phase's departures from the small-step regime (./warnings.ts) */
  warnings: string[];
}

/** Keys that only the transfer phase reads: every other key (and any key added later) separates cache entries. */
const transferOnlyKeys: readonly string[] = ['alpha', 'freezeInherited'];
const CACHE_SIZE = 4;
const phaseCache = new Map<string, CachedPhase>();

function cacheKey(c: ExperimentConfig, phase: Phase, engine: string): string {
  return JSON.stringify([phase, engine, Object.entries(c).filter(([k]) => !transferOnlyKeys.includes(k))]);
}

/** The cached phase (most recently used moves last), or train it and keep it. */
function cached(key: string | undefined, train: () => CachedPhase): CachedPhase {
  const hit = key === undefined ? undefined : phaseCache.get(key);
  if (hit) {
    phaseCache.delete(key!);
    phaseCache.set(key!, hit);
    return { ...hit, result: structuredClone(hit.result) };
  }
  const fresh = train();
  if (key !== undefined) {
    phaseCache.set(key, { ...fresh, result: structuredClone(fresh.result) });
    if (phaseCache.size > CACHE_SIZE) phaseCache.delete(phaseCache.keys().next().value!);
  }
  return fresh;
}

/** What `runExperiment` returns: the result, optionally the weights, and wall times. */
export interface ExperimentRun {
  result: ExperimentResult;
  weights?: Record<Phase, Float64Array> & { transferInit: Float64Array; scratchInit: Float64Array };
  /** wall-clock seconds per phase (never part of the deterministic result) */
  timings: Record<Phase, number>;
}

/** The synthetic data of one experiment, drawn from named streams of the seed (both test sets). */
export function experimentData(c: ExperimentConfig) {
  const world = makeWorld(c);
  return { ...world, test1: world.test(1), test2: world.test(2) };
}

/**
 * Upstream on Task 1, then transfer and scratch on Task 2 from a paired initialisation (docs/model.md#transfer).
 * Each test set is drawn when its task is trained, so only one is held at a time; the data are the same
 * as `experimentData`'s, stream for stream.
 */
export function runExperiment(c: ExperimentConfig, opts: RunOptions = {}): ExperimentRun {
  const engine = opts.engine ?? denseEngine;
  const data = makeWorld(c);
  const probes = probeMatrix(data.frame.u, data.frame.v1, data.frame.v2);
  const times: Record<Phase, number> = { upstream: 0, transfer: 0, scratch: 0 };
  // Transfer and scratch share the Gram matrix of Task 2's atoms and their products with its test set.
  const products = new ProductCache();

  const phase = (
    name: Phase,
    task: Task,
    train: SyntheticDataset,
    test: SyntheticDataset,
    W0: Float64Array,
    inheritedFilters?: Uint8Array,
    freeze?: Freeze,
  ): CachedPhase => {
    const t0 = performance.now();
    const meter = new FeatureMeter(train, c.m, probes, inheritedFilters);
    const checkpoints: Checkpoint[] = [];
    const record = (s: TrainState) => {
      const f = s.scores(test);
      const checkpoint: Checkpoint = {
        step: s.step,
        trainLoss: s.loss,
        testError: errorRate(f, test.yTrue),
        testErrorNoisy: errorRate(f, test.y),
        features: meter.measure(s),
      };
      checkpoints.push(checkpoint);
      opts.onCheckpoint?.(name, checkpoint);
    };
    const problem: TrainProblem = {
      data: train,
      W0,
      m: c.m,
      lr: c.lr,
      steps: c.steps,
      lossThreshold: c.lossThreshold,
      freeze,
      checkpoints: logCheckpoints(c.steps, c.checkpoints),
      onCheckpoint: record,
      evalSets: [test],
      products,
      onStep: opts.onProgress ? (t) => opts.onProgress!(name, t, c.steps) : undefined,
      phase: name,
    };
    const used = engine.resolve?.(problem) ?? engine;
    const run = used.train(problem);
    const last = checkpoints[checkpoints.length - 1];
    const weights: Weights = run.factored ?? run.W;
    const population = populationTestError(
      {
        W: materialize(weights),
        m: c.m,
        d: data.d,
        signal: task.signal,
        projectors: task.noiseProjectors,
        sigmaP: task.sigmaP,
        patches: c.patches,
      },
      new Rng(c.seed, `population:${name}`),
    );
    const result: PhaseResult = {
      testError: last.testError,
      populationTestError: population.error,
      populationTestErrorSE: population.standardError,
      testErrorNoisy: last.testErrorNoisy,
      trainLoss: last.trainLoss,
      stepsRun: run.stepsRun,
      checkpoints,
    };
    times[name] = (performance.now() - t0) / 1000;
    return { result, weights, engine: used.name, warnings: phaseWarnings(name, run.losses, c) };
  };
  const key = (name: Phase) => (opts.reuse ? cacheKey(c, name, engine.name) : undefined);

  const up = cached(key('upstream'), () => phase('upstream', data.task1, data.train1, data.test(1), data.init(1)));
  const test2 = data.test(2);
  const fresh = data.init(2);
  const inh = inherit(up.weights, fresh, c.m, data.d, c.alpha, c.inheritance, new Rng(c.seed, 'inherit'));
  const rowWise = c.inheritance !== 'entries';
  const tr = phase(
    'transfer',
    data.task2,
    data.train2,
    test2,
    inh.W,
    rowWise ? inh.inheritedFilters : undefined,
    c.freezeInherited ? freezeOf(inh) : undefined,
  );
  const sc = cached(key('scratch'), () => phase('scratch', data.task2, data.train2, test2, fresh));

  // A delegating engine (auto) is named with what it chose: "auto:coef", or per phase "auto:coef,dense,dense".
  const chosen = [...new Set([up.engine, tr.engine, sc.engine])];
  const engineName = engine.resolve
    ? `${engine.name}:${chosen.length === 1 ? chosen[0] : [up.engine, tr.engine, sc.engine].join(',')}`
    : engine.name;
  const warnings = [...up.warnings, ...tr.warnings, ...sc.warnings];
  const result: ExperimentResult = {
    config: c,
    engine: engineName,
    sampler: data.sampler,
    workingDimension: data.d,
    upstream: up.result,
    transfer: tr.result,
    scratch: sc.result,
    gain: sc.result.testError - tr.result.testError,
    inheritance: {
      strategy: c.inheritance,
      filtersPerClass: rowWise ? inh.inheritedFilters.subarray(0, c.m).reduce((a, b) => a + b, 0) : null,
      parameters: inh.count,
    },
    ...(warnings.length ? { warnings } : {}),
  };
  const weights = opts.keepWeights
    ? {
        upstream: materialize(up.weights),
        transfer: materialize(tr.weights),
        scratch: materialize(sc.weights),
        transferInit: inh.W,
        scratchInit: fresh,
      }
    : undefined;
  return { result, weights, timings: times };
}
