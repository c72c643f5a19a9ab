/**
 * The browser-safe, engine-free part of the library: what the web explorer's page (web/) imports — the config
 * schema and presets, the theory, interval statistics and the result types. Only pure modules are re-exported
 * here (nothing that touches node:fs, node:crypto, threads or terminals), and no training engine, so the page's
 * bundle stays small; the explorer's Web Worker imports runExperiment and the engines from their own modules.
 */
export { experimentShape, experimentSchema, experimentKeys, requiredDimension } from './config/schema.js';
export { overrides } from './config/validate.js';
export type { ExperimentConfig, ConfigKey } from './config/schema.js';
export { defaultConfig, presets, presetConfig, findPreset, type Preset } from './config/presets.js';
export type { Checkpoint, ExperimentResult, PhaseResult, RunOptions } from './experiment/run.js';
export type { Phase } from './study/types.js';
export type { FeatureMeasures, GroupMeasures, ClassPair } from './measure/features.js';
export { predict, fitConstants, agreementRate, defaultConstants } from './theory/index.js';
export type { Prediction, Regime, TheoryConstants, Observation } from './theory/index.js';
export { adviseFromTheory, defaultAlphas, type Advice, type AlphaAdvice } from './theory/advise.js';
export { tInterval, fractionInterval, wilsonInterval, type Interval } from './sweep/stats.js';
export { studies, studyNamed, studyOfKeys, defaultStudy } from './study/registry.js';
export { phases } from './study/types.js';
export type { AnyStudy, Study, Measure, FittedTheory, StudyTheory, TheoryObservation, StudyPrediction } from './study/types.js';
