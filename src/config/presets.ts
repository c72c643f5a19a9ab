import type { ConfigFamily, Preset as StudyPreset } from '../study/types.js';
import { experimentKeys, experimentSchema, experimentShape, type ExperimentConfig } from './schema.js';

/** The reference defaults (the positive-transfer regime of docs/model.md). */
export const defaultConfig: ExperimentConfig = {
  d: 2000,
  n1: 200,
  n2: 40,
  nTest: 2000,
  m: 20,
  patches: 2,
  uNorm: 2,
  v1Norm: 2,
  v2Norm: 1,
  vCos: 0,
  sigmaP1: 1,
  sigmaP2: 1,
  labelNoise: 0,
  sigma0: 0.01,
  lr: 1,
  steps: 300,
  lossThreshold: 0,
  alpha: 0.5,
  inheritance: 'random',
  freezeInherited: false,
  seed: 0,
  basis: 'random',
  sampler: 'auto',
  signalPatch: 'first',
  checkpoints: 12,
};

/** A preset of the synthetic experiment. */
export type Preset = StudyPreset<ExperimentConfig>;

/** The synthetic experiment's presets (`paratransfer presets`). */
export const presets: Preset[] = [
  {
    name: 'positive-transfer',
    description: 'strong shared signal: inherited filters carry u and transfer clearly helps',
    settings: { uNorm: 2, v1Norm: 2, v2Norm: 1 },
  },
  {
    name: 'negative-transfer',
    description:
      'weak shared signal, strong upstream-specific signal, large N₁: inherited filters hurt',
    settings: { uNorm: 0.3, v1Norm: 4, v2Norm: 2.5, n1: 800 },
  },
  {
    name: 'no-shared-signal',
    description: 'u = 0: nothing useful to inherit, only memorised upstream noise',
    settings: { uNorm: 0, v2Norm: 2.5, steps: 100 },
  },
];

/** The synthetic preset of that name, if any. */
export function findPreset(name: string): Preset | undefined {
  return presets.find((p) => p.name === name);
}

/** A synthetic preset's full config: its settings over the defaults. */
export function presetConfig(preset: Preset): ExperimentConfig {
  return { ...defaultConfig, ...preset.settings };
}

/** The synthetic experiment's configs: keys, schema, defaults and presets (one loader serves every study). */
export const experimentConfigs: ConfigFamily<ExperimentConfig> = {
  presetNoun: 'preset',
  keys: experimentKeys,
  fields: experimentShape,
  schema: experimentSchema,
  defaults: defaultConfig,
  presets,
};
