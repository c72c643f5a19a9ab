import { z } from 'zod';
import { loadWith, parseOverrideWith, validateWith, type ConfigFamily } from '../config/load.js';
import { archNames } from './arch/index.js';
import { realInheritances } from './transfer/inherit.js';

const numberIn = (min: number, max: number, int = false, minExclusive = false) => {
  const message = `must be ${int ? 'an integer' : 'a number'} in ${minExclusive ? '(' : '['}${min}, ${max === Infinity ? '∞)' : `${max}]`}`;
  return z
    .number({ error: message })
    .refine((x) => Number.isFinite(x) && (minExclusive ? x > min : x >= min) && x <= max && (!int || Number.isInteger(x)), {
      message,
    });
};
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });
const dataset = z
  .string({ error: 'must be mnist, fashion-mnist or a path to a .safetensors file' })
  .min(1, { error: 'must be mnist, fashion-mnist or a path to a .safetensors file' });
const classList = z
  .array(numberIn(0, 65535, true), { error: 'must be a list of class indices, e.g. [0, 1, 2]' })
  .min(2, { error: 'must list at least 2 classes' });

/** Every key of a real-data transfer run (SPEC §7). */
export const realShape = {
  /** upstream dataset: mnist, fashion-mnist or a .safetensors file (X [N,C,H,W], y [N]) */
  upstreamData: dataset,
  /** upstream classes (dataset class indices) */
  upstreamClasses: classList,
  downstreamData: dataset,
  downstreamClasses: classList,
  /** upstream training images per class (N₁ / classes) */
  n1: numberIn(1, 1_000_000, true),
  /** downstream training images per class (few labels: N₂ / classes) */
  n2: numberIn(1, 1_000_000, true),
  /** test images per class, both tasks */
  nTest: numberIn(1, 1_000_000, true),
  /** probability that a training label is replaced by another class of the task (both tasks) */
  labelNoise: numberIn(0, 1).refine((p) => p < 1, { message: 'must be a number in [0, 1)' }),
  arch: oneOf(archNames),
  /** channels of the first stage (vgg, resnet) */
  width: numberIn(1, 1024, true),
  /** filters per class of the two-layer CNN */
  m: numberIn(1, 10_000, true),
  /** patch side of the two-layer CNN */
  patch: numberIn(1, 1024, true),
  optimizer: oneOf(['sgd', 'adam'] as const),
  lr: numberIn(0, 100, false, true),
  /** SGD momentum */
  momentum: numberIn(0, 1).refine((x) => x < 1, { message: 'must be a number in [0, 1)' }),
  /** L2 weight decay */
  weightDecay: numberIn(0, 1),
  batchSize: numberIn(1, 65_536, true),
  /** upstream epochs */
  epochs1: numberIn(0, 100_000, true),
  /** downstream epochs (transfer and scratch) */
  epochs2: numberIn(0, 100_000, true),
  /** inheritance ratio α */
  alpha: numberIn(0, 1),
  inheritance: oneOf(realInheritances),
  /** layers inherited whole by inheritance "layers" */
  inheritLayers: numberIn(0, 1000, true),
  freezeInherited: z.boolean({ error: 'must be true or false' }),
  seed: numberIn(0, Number.MAX_SAFE_INTEGER, true),
  /** evaluation points per phase after epoch 0 (evenly spaced epochs, always including the last) */
  checkpoints: numberIn(1, 100_000, true),
};

export const realKeys = Object.keys(realShape) as (keyof typeof realShape)[];

export const realSchema = z.strictObject(realShape).superRefine((c, ctx) => {
  for (const [key, classes] of [
    ['upstreamClasses', c.upstreamClasses],
    ['downstreamClasses', c.downstreamClasses],
  ] as const) {
    if (new Set(classes).size !== classes.length) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'lists a class twice' });
    }
    // Noisy labels must stay more likely right than any single wrong class.
    const limit = 1 - 1 / classes.length;
    if (c.labelNoise >= limit) {
      ctx.addIssue({
        code: 'custom',
        path: ['labelNoise'],
        message: `must be < ${limit.toFixed(3)} (1 − 1/classes) for the ${classes.length} classes of ${key}`,
      });
    }
  }
});

export type RealConfig = z.infer<typeof realSchema>;

/** The defaults: the mnist-split study. */
export const realDefaults: RealConfig = {
  upstreamData: 'mnist',
  upstreamClasses: [0, 1, 2, 3, 4],
  downstreamData: 'mnist',
  downstreamClasses: [5, 6, 7, 8, 9],
  n1: 600,
  n2: 10,
  nTest: 150,
  labelNoise: 0,
  arch: 'vgg',
  width: 8,
  m: 10,
  patch: 7,
  optimizer: 'adam',
  lr: 0.002,
  momentum: 0.9,
  weightDecay: 5e-4,
  batchSize: 64,
  epochs1: 4,
  epochs2: 20,
  alpha: 0.5,
  inheritance: 'random',
  inheritLayers: 2,
  freezeInherited: false,
  seed: 0,
  checkpoints: 10,
};

export interface RealPreset {
  name: string;
  description: string;
  settings: Partial<RealConfig>;
}

export const realPresets: RealPreset[] = [
  {
    name: 'mnist-split',
    description: 'upstream digits 0–4 (600 per class), downstream digits 5–9 with 10 labels per class; VGG-style net',
    settings: {},
  },
  {
    name: 'fashion-to-mnist',
    description: 'upstream Fashion-MNIST (all 10 classes, 400 per class), downstream MNIST digits with 10 labels per class',
    settings: {
      upstreamData: 'fashion-mnist',
      upstreamClasses: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      downstreamData: 'mnist',
      downstreamClasses: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      n1: 400,
      n2: 10,
      nTest: 100,
    },
  },
];

export function findRealPreset(name: string): RealPreset | undefined {
  return realPresets.find((p) => p.name === name);
}

export function realPresetConfig(p: RealPreset): RealConfig {
  return { ...realDefaults, ...p.settings };
}

/** The real-data study as a config family: the same loader, messages and rules as the synthetic experiment. */
export const realFamily: ConfigFamily<RealConfig> = {
  presetNoun: 'real-data preset',
  keys: realKeys,
  schema: realSchema,
  defaults: realDefaults,
  presetNames: () => realPresets.map((p) => p.name),
  presetConfig: (name) => {
    const p = findRealPreset(name);
    return p && realPresetConfig(p);
  },
};

export const validateRealConfig = (input: unknown, where = 'config'): RealConfig => validateWith(realFamily, input, where);

/** `key=value`, the value read as YAML (numbers, booleans, strings, lists such as [0, 1, 2]). */
export const parseRealOverride = (text: string): [string, unknown] => parseOverrideWith(realKeys, text);

/** `<preset|config.yaml>` plus `--set` overrides → a validated config (missing keys from the defaults). */
export const loadRealConfig = (source: string, overrides: string[] = []): RealConfig =>
  loadWith(realFamily, source, overrides);
