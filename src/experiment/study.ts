import { z } from 'zod';
import { experimentConfigs } from '../config/presets.js';
import type { ConfigKey, ExperimentConfig } from '../config/schema.js';
import { engineNames } from '../engine/names.js';
import { checkedPredictor } from '../study/prediction.js';
import type { Reproduction } from '../study/reproduction.js';
import { phases, type ResourceEstimate, type Study } from '../study/types.js';
import { adviseFromTheory } from '../theory/advise.js';
import { predict } from '../theory/index.js';
import { experimentSchema } from '../config/schema.js';
import { estimatedKeys } from './keys.js';
import { formatRunSummary } from './format.js';
import type { Checkpoint, ExperimentResult } from './run.js';

/** Axis labels in the paper's notation. */
export const factorLabels: Partial<Record<ConfigKey, string>> = {
  alpha: 'inheritance ratio α',
  n1: 'upstream samples N₁',
  n2: 'downstream samples N₂',
  uNorm: 'shared signal ‖u‖',
  v1Norm: 'upstream-specific signal ‖v₁‖',
  v2Norm: 'downstream-specific signal ‖v₂‖',
  sigmaP1: 'upstream noise σₚ,₁',
  sigmaP2: 'downstream noise σₚ,₂',
  d: 'dimension d',
  labelNoise: 'label noise p',
  m: 'filters per class m',
};

/** Config keys that hold integers. */
export const integerKeys: readonly ConfigKey[] = ['d', 'n1', 'n2', 'nTest', 'm', 'patches', 'steps', 'seed', 'checkpoints'];

/**
 * The measures of a run as a nested object: each phase's end-of-run numbers and final feature measures (the
 * checkpoints stay in the store).
 */
export function measureTree(r: ExperimentResult): Record<string, unknown> {
  const phase = (p: ExperimentResult['upstream']) => {
    const { checkpoints, ...rest } = p;
    return { ...rest, features: checkpoints[checkpoints.length - 1]?.features ?? null };
  };
  return {
    upstream: phase(r.upstream),
    transfer: phase(r.transfer),
    scratch: phase(r.scratch),
    gain: r.gain,
    inheritance: { filtersPerClass: r.inheritance.filtersPerClass, parameters: r.inheritance.parameters },
  };
}

const phaseResult = z.looseObject({
  testError: z.number(),
  testErrorNoisy: z.number(),
  trainLoss: z.number(),
  stepsRun: z.number(),
  checkpoints: z.array(z.unknown()),
});

/** A synthetic result as stored or sent back by a worker: each phase's clean and noisy test error, the gain. */
const resultSchema = z.looseObject({
  config: z.record(z.string(), z.unknown()),
  engine: z.string(),
  upstream: phaseResult,
  transfer: phaseResult,
  scratch: phaseResult,
  gain: z.number(),
});

/**
 * The engines load on first use (a variable specifier, so that bundlers leave it alone): commands that only list,
 * export or report never pay for them, and the explorer's page, which reads studies but never runs one itself,
 * bundles none of them (its Web Worker imports the engine directly).
 */
const engineModule = './engine.js';
const saveModule = './save.js';
const estimateModule = './estimate.js';
const inputsModule = './inputs.js';
/** The paper's reproduction (named sweeps, figures, theory agreement) lives with the reports. */
const reproductionModule = '../report/paper.js';
const loadEngine = () => import(/* @vite-ignore */ engineModule) as Promise<typeof import('./engine.js')>;

/** The synthetic experiment (docs/model.md): two-layer ReLU CNNs on the signal-plus-noise patch model. */
export const syntheticStudy: Study<ExperimentConfig, ExperimentResult, Checkpoint> = {
  name: 'synthetic',
  title: 'synthetic experiment',
  adjective: 'synthetic',
  command: 'run',
  description: 'run upstream, transfer and scratch training on a preset or a YAML config',
  configs: experimentConfigs,
  integerKeys,
  factorLabels,
  phases,
  measure: {
    key: 'testError',
    label: 'test error (clean)',
    description: 'Errors are clean test errors (against the true labels ỹ)',
    short: 'error',
    higherIsBetter: false,
    gain: 'err_scratch − err_transfer',
    gainShort: 'err_s − err_t',
    predicted: { transfer: 'predictedTransferError', scratch: 'predictedScratchError', gain: 'predictedGain' },
  },
  idPrefix: '',
  engines: engineNames,
  defaultEngine: 'auto',
  resultSchema,
  async run(config, opts = {}) {
    const { runExperiment, getEngine, setKernelThreads } = await loadEngine();
    if (opts.threads !== undefined) setKernelThreads(opts.threads);
    const { onProgress, onCheckpoint } = opts;
    const total = phases.length * config.steps;
    const run = runExperiment(config, {
      engine: getEngine(opts.engine ?? 'auto'),
      keepWeights: opts.keepWeights,
      reuse: opts.pooled,
      onProgress: onProgress && ((phase, step, steps) => onProgress({ phase, done: phases.indexOf(phase) * steps + step, total, unit: 'steps' })),
      onCheckpoint,
    });
    return { result: run.result, timings: run.timings, artifacts: run.weights };
  },
  format: formatRunSummary,
  measures: measureTree,
  fractionKeys: ['testError', 'testErrorNoisy'],
  testSamples: (r) => r.config.nTest,
  async estimate(c, engine) {
    const { estimateExperiment } = (await import(/* @vite-ignore */ estimateModule)) as {
      estimateExperiment: (c: ExperimentConfig, engine?: string) => ResourceEstimate;
    };
    return estimateExperiment(c, engine);
  },
  // The reduced dynamics fits no constant (docs/theory.md), so there is nothing to refit; Γ > 0 ⟺ predicted gain > 0.
  theory: {
    predict: checkedPredictor(predict),
    threshold: 0,
  },
  // Upstream and scratch read neither α nor freezeInherited (run.ts caches them per thread).
  reuseKey: (c) => JSON.stringify(Object.entries(c).filter(([k]) => k !== 'alpha' && k !== 'freezeInherited')),
  advisor: {
    advise(config, alphas) {
      const { terms: _terms, ...advice } = adviseFromTheory(config, alphas);
      return advice;
    },
    // The population test errors: the gain free of test-sample noise (results stored before them: the test-set gain).
    measuredGain: (r) =>
      typeof r.scratch.populationTestError === 'number' ? r.scratch.populationTestError - r.transfer.populationTestError : r.gain,
    // Reading files needs node:fs: loaded on first use, so the explorer's bundle never sees it.
    async estimate(files, base) {
      const { estimateFromFiles } = (await import(/* @vite-ignore */ inputsModule)) as {
        estimateFromFiles: (f: { downstream: string; upstream: string }) => Record<(typeof estimatedKeys)[number], number>;
      };
      const estimated = estimateFromFiles(files);
      return { config: experimentSchema.parse({ ...base, ...estimated }), estimated: { ...estimated } };
    },
    estimatedKeys,
  },
  async save(dir, run) {
    const { saveWeights } = (await import(/* @vite-ignore */ saveModule)) as {
      saveWeights: (dir: string, weights: Record<string, Float64Array>, config: ExperimentConfig) => string[];
    };
    return saveWeights(dir, run.artifacts as Record<string, Float64Array>, run.result.config);
  },
  async reproduction() {
    return ((await import(/* @vite-ignore */ reproductionModule)) as typeof import('../report/paper.js')).paperReproduction as Reproduction;
  },
};
