// The real-data study (docs/real-data.md) and its CNN engine, piece by piece: `paratransfer/internals` (`real.*`).
export { runReal, type RealResult, type RealRun, type RealRunOptions, type RealProgress, type RealTimings, type TaskSummary } from './run.js';
export {
  realShape,
  realSchema,
  realKeys,
  realDefaults,
  realPresets,
  realConfigs,
  validateRealConfig,
  parseRealOverride,
  type RealConfig,
  type RealPreset,
} from './config.js';
export { formatRealSummary } from './format.js';
export { trainPhase, evalEpochs, type RealPhaseResult, type CurvePoint } from './train.js';
export { realStudy } from './study.js';
export { benchCnn, type CnnBenchOptions, type CnnBenchResult } from './bench.js';
export { architecture, archNames, referenceCnn, vgg, resnet, twoLayer, describeArch, type ArchName, type ArchOptions } from './arch/index.js';
export { openSource, safetensorsSource, builtinDatasets, type DataSource } from './data/sources.js';
export { makeImageTask, type ImageTask, type ImageTaskSpec } from './data/tasks.js';
export {
  inheritInto,
  frozenMasks,
  type InheritOptions,
  type InheritReport,
  type LayerInheritance,
} from './transfer/inherit.js';
export { Model, inferShapes, type LayerSpec, type Param, type ImageShape } from './nn/net.js';
export { compileShard, type Shard } from './nn/shard.js';
export { Session, loadBatch, type ImageSet, type SessionOptions, type Evaluation } from './nn/session.js';
export { extractFeatures, featureSites, type FeatureSite, type LayerFeatures, type NetworkFeatures, type FeatureOptions } from './features.js';
export { Optimizer, type OptimizerConfig } from './nn/optim.js';
export { plainBackend, wasmBackend, type Backend } from './nn/backend.js';
export { serialRunner, threadedRunner, type Runner } from './nn/runner.js';
export { kernelNames, type KernelName } from './nn/kernels.js';

export { adviseReal, heldOutClassSignal, pooledFeatures, ADVISOR_THRESHOLD, ADVISOR_VERSION, FRESH_DRAWS, POOL_SIDE, type RealAdvice, type RealCandidate, type RealAdviseOptions } from './advise.js';
export type { SiteScores } from './advice-format.js';
export { realAdvisorBenchmark, benchmarkGroups, scorePredictors, chooseThreshold, kendallTau, type BenchmarkCase, type PredictorResult } from './advise-benchmark.js';
