import type { ExperimentConfig } from './schema.js';

/** The reference defaults of SPEC §6 (the positive-transfer regime). */
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

export interface Preset {
  name: string;
  description: string;
  /** overrides of defaultConfig */
  settings: Partial<ExperimentConfig>;
}

export const presets: Preset[] = [
  {
    name: 'positive-transfer',
    description: 'strong shared signal: inherited filters carry u and transfer clearly helps (SPEC §6)',
    settings: { uNorm: 2, v1Norm: 2, v2Norm: 1 },
  },
  {
    name: 'negative-transfer',
    description:
      'weak shared signal, strong upstream-specific signal, large N₁: inherited filters hurt (SPEC §6)',
    settings: { uNorm: 0.3, v1Norm: 4, v2Norm: 2.5, n1: 800 },
  },
  {
    name: 'no-shared-signal',
    description: 'u = 0: nothing useful to inherit, only memorised upstream noise (SPEC §6)',
    settings: { uNorm: 0, v2Norm: 2.5, steps: 100 },
  },
];

export function findPreset(name: string): Preset | undefined {
  return presets.find((p) => p.name === name);
}

export function presetConfig(preset: Preset): ExperimentConfig {
  return { ...defaultConfig, ...preset.settings };
}
