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
export * as real from './real/index.js';
export { phases, type Phase, type Study, type AnyStudy, type StudyResult, type StudyRun, type StudyRunOptions, type Measure, type ConfigFamily } from './study/types.js';
export { studies, studyNamed, defaultStudy } from './study/registry.js';
