/**
 * paratransfer: study and predict partial parameter transfer between neural networks. This is the public API, the
 * one the README documents: studies and their configs, running them, the theory, sweeps, and the files the CLI
 * reads and writes. The pieces behind it (engines, kernels, the CNN engine's parts) are in `paratransfer/internals`.
 * @packageDocumentation
 */

// Studies: the unit of extension. Every study runs, sweeps, stores and reports through the same interface.
export { studies, studyNamed, defaultStudy } from './study/registry.js';
export { syntheticStudy } from './experiment/study.js';
export { realStudy } from './real/study.js';
export {
  phases,
  type Phase,
  type Study,
  type AnyStudy,
  type StudyResult,
  type StudyRun,
  type StudyRunOptions,
  type RunProgress,
  type Measure,
  type ConfigFamily,
  type Preset,
  type StudyPrediction,
  type StudyTheory,
  type FittedTheory,
  type TheoryObservation,
  type SummaryOptions,
  type ResourceEstimate,
} from './study/types.js';
export { verdictOf, gainInterval, summarizeSeeds, type Verdict, type GainInterval, type SeedsSummary } from './study/verdict.js';

// Configs: keys, defaults and presets; loading `<preset|config.yaml>` with `--set` overrides.
export { loadConfig, loadStudyConfig, validateConfig, parseOverride } from './config/load.js';
export { defaultConfig, presets, presetConfig, findPreset, experimentConfigs } from './config/presets.js';
export { experimentKeys, experimentSchema, type ExperimentConfig, type ConfigKey } from './config/schema.js';
export { realConfigs, realDefaults, realPresets, type RealConfig } from './real/config.js';

// The synthetic experiment: one run, its data, its engines.
export { runExperiment, experimentData, type ExperimentResult, type ExperimentRun, type PhaseResult, type Checkpoint, type RunOptions } from './experiment/run.js';
export { makeWorld, type World, type Sampler } from './data/world.js';
export { getEngine, engineNames } from './engine/registry.js';
export type { Engine, TrainProblem, TrainResult } from './engine/types.js';
export type { FeatureMeasures, GroupMeasures, ClassPair } from './measure/features.js';

// The real-image study: one run.
export { runReal } from './real/run.js';
export type { RealResult, RealRun, RealRunOptions, CurvePoint, RealPhaseResult } from './real/types.js';

// The theory (docs/theory.md).
export { predict, fitConstants, agreementRate, defaultConstants, type Prediction, type Regime, type TheoryConstants, type Observation } from './theory/index.js';
export { adviseFromTheory, defaultAlphas, type Advice, type AlphaAdvice } from './theory/advise.js';
export type { StudyAdvisor, AdviceJson, AlphaAdviceJson, AdviseOptions, AdvisorBenchmark } from './study/types.js';

// Sweeps: specs, grids, the store, running them, exporting them.
export { parseSweepSpec, loadSweepSpec, type SweepSpec } from './sweep/spec.js';
export { expandJobs, jobId, type SweepPlan, type SweepJob, type Point } from './sweep/grid.js';
export { SweepStore } from './sweep/store.js';
export { runSweeps, type SweepTarget, type SweepSummary } from './sweep/run.js';
export { LocalPoolQueue, InlineQueue, type JobQueue, type JobEvent } from './sweep/queue.js';
export { sweepTable, runRecords, runTable, aggregateTable, toCsv, toJson, type Table, type RunRecord, type ColumnSet } from './sweep/export.js';
export { tInterval, fractionInterval, wilsonInterval, type Interval } from './sweep/stats.js';

// Transferability scores (docs/advisor.md): how well features, or a source head, fit a target task before training.
export {
  transferScores,
  logme,
  hscore,
  transrate,
  leep,
  nce,
  knnAccuracy,
  ScoreInputError,
  type ScoreInput,
  type TransferScores,
  type Matrix,
  type KnnOptions,
} from './scores/index.js';

// Files and errors.
export { readSafetensors, writeSafetensors, getTensor } from './io/safetensors.js';
export { UserError, DivergenceError } from './util/errors.js';
export { version } from './version.js';
