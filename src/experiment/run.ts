import type { ExperimentConfig } from '../config/schema.js';
import type { SyntheticDataset } from '../data/dataset.js';
import { makeFrame } from '../data/frame.js';
import { makeTask, sampleTask } from '../data/task.js';
import { denseEngine } from '../engine/dense.js';
import type { Engine, Freeze, TrainState } from '../engine/types.js';
import { FeatureMeter, probeMatrix, type FeatureMeasures } from '../measure/features.js';
import { errorRate } from '../model/cnn.js';
import { freezeOf, inherit } from '../transfer/inherit.js';
import { logCheckpoints } from '../util/math.js';
import { Rng } from '../util/rng.js';

export type Phase = 'upstream' | 'transfer' | 'scratch';
export const phases: readonly Phase[] = ['upstream', 'transfer', 'scratch'];

/** One checkpoint of one run: SPEC §4's measures at step `step`. */
export interface Checkpoint {
  step: number;
  trainLoss: number;
  /** test error against the true labels ỹ */
  testError: number;
  /** test error against observed (possibly flipped) labels; compare with the Bayes error p */
  testErrorNoisy: number;
  features: FeatureMeasures;
}

export interface PhaseResult {
  /** clean test error at the end */
  testError: number;
  testErrorNoisy: number;
  trainLoss: number;
  stepsRun: number;
  checkpoints: Checkpoint[];
}

export interface ExperimentResult {
  config: ExperimentConfig;
  engine: string;
  upstream: PhaseResult;
  transfer: PhaseResult;
  scratch: PhaseResult;
  /** Δ = err_scratch − err_transfer (clean): > 0 positive transfer, < 0 negative transfer */
  gain: number;
  inheritance: { strategy: ExperimentConfig['inheritance']; filtersPerClass: number | null; parameters: number };
}

export interface RunOptions {
  engine?: Engine;
  /** called after every gradient step of every phase */
  onProgress?: (phase: Phase, step: number, steps: number) => void;
  /** keep the trained weights of each phase (for --save) */
  keepWeights?: boolean;
}

export interface ExperimentRun {
  result: ExperimentResult;
  weights?: Record<Phase, Float64Array> & { transferInit: Float64Array };
  /** wall-clock seconds per phase (never part of the deterministic result) */
  timings: Record<Phase, number>;
}

/** The synthetic data of one experiment, drawn from named streams of the seed. */
export function experimentData(c: ExperimentConfig) {
  const frame = makeFrame(c);
  const task1 = makeTask(frame, c, 1);
  const task2 = makeTask(frame, c, 2);
  return {
    frame,
    task1,
    task2,
    train1: sampleTask(task1, c.n1, new Rng(c.seed, 'train1')),
    train2: sampleTask(task2, c.n2, new Rng(c.seed, 'train2')),
    // Test labels: ỹ is the truth; the observed labels get the same label noise p as training.
    test1: sampleTask(task1, c.nTest, new Rng(c.seed, 'test1')),
    test2: sampleTask(task2, c.nTest, new Rng(c.seed, 'test2')),
  };
}

function initWeights(c: ExperimentConfig, stream: string): Float64Array {
  return new Rng(c.seed, stream).fillNormal(new Float64Array(2 * c.m * c.d), c.sigma0);
}

/** Upstream on Task 1, then transfer and scratch on Task 2 from a paired initialisation (SPEC §1–4). */
export function runExperiment(c: ExperimentConfig, opts: RunOptions = {}): ExperimentRun {
  const engine = opts.engine ?? denseEngine;
  const data = experimentData(c);
  const probes = probeMatrix(data.frame.u, data.frame.v1, data.frame.v2);
  const times = {} as Record<Phase, number>;

  const phase = (
    name: Phase,
    train: SyntheticDataset,
    test: SyntheticDataset,
    W0: Float64Array,
    inheritedFilters?: Uint8Array,
    freeze?: Freeze,
  ) => {
    const t0 = performance.now();
    const meter = new FeatureMeter(train, c.m, probes, inheritedFilters);
    const checkpoints: Checkpoint[] = [];
    const record = (s: TrainState) => {
      const f = s.scores(test);
      checkpoints.push({
        step: s.step,
        trainLoss: s.loss,
        testError: errorRate(f, test.yTrue),
        testErrorNoisy: errorRate(f, test.y),
        features: meter.measure(s),
      });
    };
    const run = engine.train({
      data: train,
      W0,
      m: c.m,
      lr: c.lr,
      steps: c.steps,
      lossThreshold: c.lossThreshold,
      freeze,
      checkpoints: logCheckpoints(c.steps, c.checkpoints),
      onCheckpoint: record,
      onStep: opts.onProgress ? (t) => opts.onProgress!(name, t, c.steps) : undefined,
      phase: name,
    });
    times[name] = (performance.now() - t0) / 1000;
    const last = checkpoints[checkpoints.length - 1];
    const result: PhaseResult = {
      testError: last.testError,
      testErrorNoisy: last.testErrorNoisy,
      trainLoss: last.trainLoss,
      stepsRun: run.stepsRun,
      checkpoints,
    };
    return { result, W: run.W };
  };

  const up = phase('upstream', data.train1, data.test1, initWeights(c, 'init1'));
  const fresh = initWeights(c, 'init2');
  const inh = inherit(up.W, fresh, c.m, c.d, c.alpha, c.inheritance, new Rng(c.seed, 'inherit'));
  const rowWise = c.inheritance !== 'entries';
  const tr = phase(
    'transfer',
    data.train2,
    data.test2,
    inh.W,
    rowWise ? inh.inheritedFilters : undefined,
    c.freezeInherited ? freezeOf(inh) : undefined,
  );
  const sc = phase('scratch', data.train2, data.test2, fresh);

  const result: ExperimentResult = {
    config: c,
    engine: engine.name,
    upstream: up.result,
    transfer: tr.result,
    scratch: sc.result,
    gain: sc.result.testError - tr.result.testError,
    inheritance: {
      strategy: c.inheritance,
      filtersPerClass: rowWise ? inh.inheritedFilters.subarray(0, c.m).reduce((a, b) => a + b, 0) : null,
      parameters: inh.count,
    },
  };
  const weights = opts.keepWeights
    ? { upstream: up.W, transfer: tr.W, scratch: sc.W, transferInit: inh.W }
    : undefined;
  return { result, weights, timings: times };
}
