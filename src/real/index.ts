// The real-data study (docs/model.md#real-images) and its CNN engine: the public API.
export { runReal, type RealResult, type RealRun, type RealRunOptions, type RealProgress, type RealTimings, type TaskSummary } from './run.js';
export {
  realShape,
  realSchema,
  realKeys,
  realDefaults,
  realPresets,
  findRealPreset,
  realPresetConfig,
  validateRealConfig,
  loadRealConfig,
  parseRealOverride,
  type RealConfig,
  type RealPreset,
} from './config.js';
export { formatRealSummary } from './format.js';
export { trainPhase, evalEpochs, realPhases, type RealPhase, type RealPhaseResult, type CurvePoint } from './train.js';
export { benchCnn, type CnnBenchOptions, type CnnBenchResult } from './bench.js';
export { architecture, archNames, referenceCnn, vgg, resnet, twoLayer, describeArch, type ArchName, type ArchOptions } from './arch/index.js';
export { openSource, safetensorsSource, builtinDatasets, type DataSource } from './data/sources.js';
export { makeImageTask, type ImageTask, type ImageTaskSpec } from './data/tasks.js';
export {
  inheritInto,
  frozenMasks,
  realInheritances,
  type RealInheritance,
  type InheritOptions,
  type InheritReport,
  type LayerInheritance,
} from './transfer/inherit.js';
export { Model, compileShard, inferShapes, type LayerSpec, type Param, type Shape as ImageShape, type Shard } from './nn/net.js';
export { Session, type ImageSet, type SessionOptions, type Evaluation } from './nn/session.js';
export { Optimizer, type OptimizerConfig } from './nn/optim.js';
export { plainBackend, wasmBackend, type Backend } from './nn/backend.js';
export { serialRunner, threadedRunner, type Runner } from './nn/runner.js';
export { kernelNames, type KernelName } from './nn/kernels.js';
