import type { z } from 'zod';
import type { Reproduction } from './reproduction.js';

/**
 * A Study is the unit of extension: one kind of experiment (the synthetic two-layer CNN, the real-image CNN, …)
 * described once, so that the commands, sweeps, the store, the queue, exports, reports and the explorer can run
 * and show it without knowing which one it is. A new study is a folder exporting one `Study` plus one line in
 * ./registry.ts.
 */

/** The three runs of every transfer experiment, in the order they train. */
export const phases = ['upstream', 'transfer', 'scratch'] as const;
/** One of the three runs of a transfer experiment. */
export type Phase = (typeof phases)[number];

/** A named configuration over a study's defaults. */
export interface Preset<C> {
  name: string;
  description: string;
  /** overrides of the study's defaults */
  settings: Partial<C>;
}

/** The configs of a study: keys in canonical order, schema, defaults and presets. */
export interface ConfigFamily<C> {
  /** "preset" or "real-data preset", for messages */
  presetNoun: string;
  keys: readonly string[];
  /** one field schema per key (the messages of single values); `schema` adds the rules across keys */
  fields: Readonly<Record<string, z.ZodType>>;
  schema: z.ZodType<C>;
  defaults: C;
  presets: readonly Preset<C>[];
  /**
   * Keys added after the study's runs were first stored, each with the value that reproduces the runs made before
   * it. A config holding that value leaves the key out of its job id, and the schema reads an absent key as that
   * value, so stores, plans and payloads of earlier versions keep their ids and resume.
   */
  added?: Readonly<Record<string, unknown>>;
}

/** The number each phase is judged by, and how the gain is read from it. */
export interface Measure {
  /** the phase result's field: `upstream.<key>`, `transfer.<key>`, `scratch.<key>` */
  key: string;
  /** e.g. "test error (clean)" */
  label: string;
  /** one word for table headers: "error", "accuracy" */
  short: string;
  /** a sentence for reports: what the measure is measured against */
  description: string;
  /** accuracy: true; error: false. The gain is always oriented so that > 0 means transfer helps. */
  higherIsBetter: boolean;
  /** the gain's definition in symbols, e.g. "err_scratch − err_transfer" */
  gain: string;
  /** its short form for axis titles, e.g. "err_s − err_t" */
  gainShort: string;
  /** the fields of the theory's prediction that predict this measure per phase, and the gain (drawn dashed) */
  predicted?: Partial<Record<Phase | 'gain', string>>;
  /** d3 format of the measure and the gain on figure axes (percent for accuracies), or none */
  axisFormat?: string;
  gainFormat?: string;
}

/**
 * The common part of every study's result: each phase's measures, the gain Δ (> 0: transfer helps), the config, and
 * `warnings` when the run left the conditions its measures assume (absent when there are none).
 */
export type StudyResult<C = unknown> = { config: C; gain: number; warnings?: string[] } & Record<Phase, object>;

/** Progress of one run: `done` of `total` units (gradient steps, training images) in `phase`. */
export interface RunProgress {
  phase: Phase;
  done: number;
  total: number;
  /** what is counted: "steps", "images" */
  unit: string;
}

/** How to run one config of a study: engine, threads, callbacks. */
export interface StudyRunOptions<P = unknown> {
  /** an engine of `study.engines` (default: `study.defaultEngine`) */
  engine?: string;
  /** threads for this run's kernels (results never depend on it) */
  threads?: number;
  /**
   * The run is one of many jobs of a pool (a sweep): use one thread and reuse this thread's caches of
   * earlier runs (e.g. trained upstream networks). Results are identical either way.
   */
  pooled?: boolean;
  /** keep what `study.save` needs (trained weights) */
  keepWeights?: boolean;
  /** start from this upstream network file instead of training upstream (studies with `upstreamFile`) */
  upstream?: string;
  /** called as training advances (gradient steps, images), for progress bars */
  onProgress?: (p: RunProgress) => void;
  /** each measurement point as soon as it is measured (live charts) */
  onCheckpoint?: (phase: Phase, point: P) => void;
}

/** One run of a study: its deterministic result, wall times, and what `save` needs. */
export interface StudyRun<R> {
  result: R;
  /** wall-clock seconds (never part of the deterministic result) */
  timings: Record<string, number>;
  /** whatever `study.save` writes (weights, data), when asked for with keepWeights */
  artifacts?: unknown;
}

/** The theory's prediction for one config (docs/theory.md); extra scalar fields become `predicted.*` columns. */
export interface StudyPrediction {
  /** the criterion Γ: larger means transfer helps more */
  gamma: number;
  /** 'neutral' when Γ sits exactly on its threshold */
  regime: 'positive' | 'negative' | 'neutral';
  /** whether training from scratch reaches near Bayes-optimal error downstream */
  scratchBayesOptimal: boolean;
  [extra: string]: number | string | boolean | null;
}

/** Measured clean errors of one config (1 − accuracy for studies measured by accuracy): what a theory is fitted to. */
export interface TheoryObservation<C> {
  config: C;
  scratchError: number;
  transferError: number;
}

/** A theory refitted to measurements: its constants, threshold, predictions with them, and its agreement. */
export interface FittedTheory<C> {
  constants: Record<string, number>;
  threshold: number;
  /** the prediction with the fitted constants */
  predict(config: C): StudyPrediction;
  /** fraction of the observations whose sign of the gain the refitted theory predicts */
  agreement: number;
}

/** A study's theory of when transfer helps (docs/theory.md for the synthetic experiment). */
export interface StudyTheory<C> {
  /** the prediction with the theory's own constants */
  predict(config: C): StudyPrediction;
  /** Γ above this predicts positive transfer */
  threshold: number;
  /** the theory refitted to measurements, when it has constants to fit */
  refit?(observations: readonly TheoryObservation<C>[]): FittedTheory<C>;
}

/**
 * What one run of a config will cost, estimated from the config alone before anything runs (the resource guard):
 * peak memory, wall time on one thread, and the config keys that drive them (largest term first).
 */
export interface ResourceEstimate {
  /** peak bytes the run holds at once */
  bytes: number;
  /** wall seconds on one thread of this kind of machine (docs/architecture.md, "Resource guard") */
  seconds: number;
  /** the keys behind the largest memory term, e.g. ["n1", "patches", "d"] */
  memoryDrivers: string[];
  /** the keys behind the largest time term */
  timeDrivers: string[];
  /**
   * the part of `seconds` that runs with the same `reuseKey` share (e.g. one upstream training): a sweep pays it once
   * per key
   */
  sharedSeconds?: number;
  /** training may stop before its last epoch (e.g. at a loss target): `seconds` is then an upper bound */
  mayStopEarly?: boolean;
  /**
   * the largest single array, in elements, when it exceeds what one typed array can hold: such a config cannot run
   * whatever the memory
   */
  largestArray?: number;
}

/** One candidate α of an advice: the prediction, and the measurement when `advise --simulate` made one. */
export interface AlphaAdviceJson {
  alpha: number;
  /** a theory's predicted gain and transfer error (an advisor without a theory of the error leaves them out) */
  predictedGain?: number;
  predictedTransferError?: number;
  measuredGain?: number;
  measuredGainInterval?: [number, number];
}

/** The advice for one configuration: the `--json` object of `paratransfer advise` (data mode adds `estimated`). */
export interface AdviceJson {
  decision: 'transfer' | 'scratch';
  /** 0 when the decision is scratch */
  recommendedAlpha: number;
  /** the number of layers to inherit whole, when the config inherits whole layers */
  recommendedLayers?: number;
  predictedScratchError?: number;
  alphas: AlphaAdviceJson[];
  reason: string;
  estimated?: Record<string, number>;
}

/** Options of an advice besides the config and the candidate α's. */
export interface AdviseOptions {
  /** start from this upstream network file instead of training it (studies with `upstreamFile`) */
  upstream?: string;
}

/** What a study's advisor benchmark prints: a readable report and the JSON. */
export interface AdvisorBenchmark {
  text: string;
  json: unknown;
}

/** How a study answers `paratransfer advise`: its theory's advice, the gain a run measured, and estimates from data. */
export interface StudyAdvisor<C, R extends StudyResult<C> = StudyResult<C>> {
  /**
   * the advice for candidate α's from the config alone, without downstream training (a theory: under a second; an
   * advisor that must train or read the upstream network: asynchronously)
   */
  advise(config: C, alphas: readonly number[], opts?: AdviseOptions): AdviceJson | Promise<AdviceJson>;
  /** the advice as readable text (default: the theory's table of predicted errors) */
  format?(advice: AdviceJson, source: string): string;
  /**
   * `advise --<study> --benchmark DIR`: the advisor and the baselines it competes with, scored against the measured
   * gains of a sweep in DIR (the study's benchmark spec)
   */
  benchmark?(dir: string, opts: { progress: boolean; networks?: number }): Promise<AdvisorBenchmark>;
  /** the gain a run measured, as the advice compares it (> 0: transfer helped) */
  measuredGain(result: R): number;
  /** data mode: the theory's inputs estimated from the two tasks' training sets (files in the study's `save` layout) */
  estimate?(files: { downstream: string; upstream: string }, base: C): Promise<{ config: C; estimated: Record<string, number> }>;
  /** the keys `estimate` sets (data mode refuses `--set` of them) */
  estimatedKeys?: readonly string[];
}

/** What a study's summary formatter needs besides the result. */
export interface SummaryOptions {
  /** the preset or file the config came from, as the user gave it */
  source: string;
  timings?: Record<string, number>;
}

/** A study: one kind of transfer experiment, described once for the commands, sweeps, store, reports and explorer. */
export interface Study<C = unknown, R extends StudyResult<C> = StudyResult<C>, P = unknown> {
  /** the study's name: sweep specs' `family:`, job payloads' `kind:` */
  name: string;
  /** e.g. "synthetic experiment" */
  title: string;
  /** the adjective that qualifies its keys and presets in messages, e.g. "real-data" */
  adjective: string;
  /** the CLI command that runs one config: `paratransfer <command> <preset|config.yaml>` */
  command: string;
  /** one line for `--help` */
  description: string;
  configs: ConfigFamily<C>;
  /** keys holding integers: linear/log ranges over them are rounded */
  integerKeys: readonly string[];
  /** axis labels of the config keys (in the paper's notation); a key without one is shown as itself */
  factorLabels: Readonly<Record<string, string>>;
  phases: readonly Phase[];
  measure: Measure;
  /** hashed before the canonical config in job ids, so that two studies' ids never coincide ('' for the first) */
  idPrefix: string;
  /** the engines a config can run on, and the default */
  engines: readonly string[];
  defaultEngine: string;
  /** checks a result (from another machine, or the store) before it is trusted */
  resultSchema: z.ZodType;
  /** upstream → inherit → transfer and scratch; loads the study's engine on first use */
  run(config: C, opts?: StudyRunOptions<P>): Promise<StudyRun<R>>;
  /** the human-readable summary of one run */
  format(result: R, opts: SummaryOptions): string;
  /** the measures of a run as a nested object: the columns of exports and the store's tables */
  measures(result: R): Record<string, unknown>;
  /**
   * The phase result fields that are fractions in [0, 1] (errors, accuracies): their intervals over seeds use
   * `fractionInterval` (sweep/stats.ts) and stay in [0, 1]. Must include `measure.key`.
   */
  fractionKeys: readonly string[];
  /** how many test samples a phase's measure was counted on: the binomial sampling error of one run */
  testSamples(result: R, phase: Phase): number;
  /**
   * The cost of running a config on `engine`, from the config alone (the resource guard refuses what cannot fit).
   * Loads its module on first use, as `run` does.
   */
  estimate?(config: C, engine?: string): Promise<ResourceEstimate>;
  /** the study's theory, when it has one */
  theory?: StudyTheory<C>;
  /** `paratransfer advise`, when the study offers advice */
  advisor?: StudyAdvisor<C, R>;
  /** write the run's artifacts (kept with keepWeights) into a directory */
  save?: (dir: string, run: StudyRun<R>) => Promise<string[]>;
  /**
   * Runs whose configs give the same key can share work a worker thread caches (the upstream network, and in the
   * synthetic study the scratch run too, of one configuration at several α). Sweeps run such jobs one after another,
   * on one worker thread where they can. Results never depend on it.
   */
  reuseKey?: (config: C) => string;
  /** what an upstream network file holds, when a run can start from one (`StudyRunOptions.upstream`, `--upstream`) */
  upstreamFile?: string;
  /** the study's reproduction (`paratransfer reproduce`: named sweeps, figures, conclusions), loaded on first use */
  reproduction?: () => Promise<Reproduction>;
}

/** A study whose config and result types do not matter to the caller (sweeps, store, reports). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStudy = Study<any, any, any>;
