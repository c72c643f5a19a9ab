/**
 * Everything the library is made of, for extending it (a new study, engine or measure) and for tests: the public
 * API of `paratransfer` plus the pieces behind it. Names here may change between versions; the README documents
 * the stable ones, exported from `paratransfer`.
 * @packageDocumentation
 */
export * from './config/schema.js';
export * from './config/presets.js';
export { loadConfig, validateConfig, parseOverride } from './config/load.js';
export * from './data/dataset.js';
export * from './data/frame.js';
export * from './data/task.js';
export { makeWorld, resolveSampler, type World, type Sampler } from './data/world.js';
export { subspaceLayout, type SubspaceLayout } from './data/subspace.js';
export { chiSquare, gamma } from './util/distributions.js';
export * from './engine/types.js';
export { denseEngine } from './engine/dense.js';
export { coefEngine } from './engine/coef.js';
export { autoEngine } from './engine/auto.js';
export { getEngine, engineNames } from './engine/registry.js';
export { coefPlan, denseCost, type CoefPlan } from './engine/cost.js';
export { ProductCache } from './engine/gram.js';
export { materialize, materializeRows } from './engine/weights.js';
export * from './model/cnn.js';
export * from './transfer/inherit.js';
export * from './measure/features.js';
export * from './experiment/run.js';
export * from './io/safetensors.js';
export { Rng } from './util/rng.js';
export { UserError, DivergenceError } from './util/errors.js';
export * from './theory/index.js';
export * from './theory/advise.js';
export * from './theory/gamma.js';
export { reducedModel, countSpread, allParts, type ReducedPrediction, type ReducedOptions, type ModelParts, type InheritedTerms } from './theory/reduced.js';
export { trainReduced, makeNodes, expectedCounts, type ReducedPhase, type ReducedState, type Nodes, type SampleCounts } from './theory/dynamics.js';
export { populationTestError, errorOfLaw, noiseCovariance, type PopulationInput, type PopulationError, type ScoreLaw } from './measure/population.js';
export { estimateInputs, estimateTask, type EstimatedInputs, type TaskEstimate } from './experiment/inputs.js';
export { readTrainingSet, type TrainingSet } from './io/trainingset.js';
export { heldoutCheck, measuredPoints, scoreTheory, regretTable, advisorRegret, type HeldoutCheck, type TheoryScore, type RegretRow } from './report/heldout.js';
export { version } from './version.js';
export { parseSweepSpec, loadSweepSpec, type SweepSpec } from './sweep/spec.js';
export {
  expandJobs,
  expandPoints,
  jobId,
  type SweepPlan,
  type SweepJob,
  type Point,
} from './sweep/grid.js';
export { runJob, parseJobPayload, jobPayload, type JobPayload, type JobOutput } from './sweep/job.js';
export { LocalPoolQueue, type JobQueue, type JobEvent } from './sweep/queue.js';
export { SweepStore } from './sweep/store.js';
export { runSweeps } from './sweep/run.js';
export * as real from './real/internals.js';
export * as scores from './scores/index.js';
export { phases, type Phase, type Study, type AnyStudy, type StudyResult, type StudyRun, type StudyRunOptions, type RunProgress, type Measure, type ConfigFamily, type Preset as StudyPreset, type StudyPrediction, type StudyTheory, type FittedTheory, type TheoryObservation, type SummaryOptions } from './study/types.js';
export * from './study/registry.js';
export { checkedPredictor } from './study/prediction.js';
export * from './sweep/export.js';
export * from './sweep/stats.js';
export { InlineQueue } from './sweep/queue.js';
export * from './transfer/strategies.js';
export * as wasm from './wasm/index.js';
export { loadWith, loadStudyConfig, validateWith, parseOverrideWith, presetConfigOf, formatIssues } from './config/load.js';
export { num, oneOf, bool } from './config/fields.js';
