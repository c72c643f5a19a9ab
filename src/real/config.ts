import { z } from 'zod';
import { bool, num, oneOf } from '../config/fields.js';
import { parseOverrideWith, validateWith } from '../config/validate.js';
import type { ConfigFamily, Preset } from '../study/types.js';
import { archNames } from './arch/index.js';
import { inheritanceStrategies } from '../transfer/strategies.js';

const dataset = z
  .string({ error: 'must be mnist, fashion-mnist or a path to a .safetensors file' })
  .min(1, { error: 'must be mnist, fashion-mnist or a path to a .safetensors file' });
const classList = z
  .array(num(0, 65535, { int: true }), { error: 'must be a list of class indices, e.g. [0, 1, 2]' })
  .min(2, { error: 'must list at least 2 classes' });

/** Every key of a real-data transfer run (docs/model.md, real images). */
export const realShape = {
  /** upstream dataset: mnist, fashion-mnist or a .safetensors file (X [N,C,H,W], y [N]) */
  upstreamData: dataset,
  /** upstream classes (dataset class indices) */
  upstreamClasses: classList,
  downstreamData: dataset,
  downstreamClasses: classList,
  /** upstream training images per class (N₁ / classes) */
  n1: num(1, 1_000_000, { int: true }),
  /** downstream training images per class (few labels: N₂ / classes) */
  n2: num(1, 1_000_000, { int: true }),
  /** test images per class, both tasks */
  nTest: num(1, 1_000_000, { int: true }),
  /** probability that a training label is replaced by another class of the task (both tasks) */
  labelNoise: num(0, 1, { maxExclusive: true }),
  arch: oneOf(archNames),
  /** channels of the first stage (vgg, resnet) */
  width: num(1, 1024, { int: true }),
  /** filters per class of the two-layer CNN */
  m: num(1, 10_000, { int: true }),
  /** patch side of the two-layer CNN */
  patch: num(1, 1024, { int: true }),
  optimizer: oneOf(['sgd', 'adam'] as const),
  lr: num(0, 100, { minExclusive: true }),
  /** SGD momentum */
  momentum: num(0, 1, { maxExclusive: true }),
  /** L2 weight decay */
  weightDecay: num(0, 1),
  batchSize: num(1, 65_536, { int: true }),
  /** upstream epochs */
  epochs1: num(0, 100_000, { int: true }),
  /** downstream epochs (transfer and scratch) */
  epochs2: num(0, 100_000, { int: true }),
  /** inheritance ratio α */
  alpha: num(0, 1),
  inheritance: oneOf(inheritanceStrategies),
  /** layers inherited whole by inheritance "layers" */
  inheritLayers: num(0, 1000, { int: true }),
  freezeInherited: bool,
  seed: num(0, Number.MAX_SAFE_INTEGER, { int: true }),
  /** evaluation points per phase after epoch 0 (evenly spaced epochs, always including the last) */
  checkpoints: num(1, 100_000, { int: true }),
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

/** A complete, validated config of the real-data study. */
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

export type RealPreset = Preset<RealConfig>;

/** The real-data study's presets (`paratransfer real --list`). */
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

/** The real-data study's configs: the same loader, messages and rules as every study. */
export const realConfigs: ConfigFamily<RealConfig> = {
  presetNoun: 'real-data preset',
  keys: realKeys,
  fields: realShape,
  schema: realSchema,
  defaults: realDefaults,
  presets: realPresets,
};

export const validateRealConfig = (input: unknown, where = 'config'): RealConfig => validateWith(realConfigs, input, where);

/** `key=value`, the value read as YAML (numbers, booleans, strings, lists such as [0, 1, 2]). */
export const parseRealOverride = (text: string): [string, unknown] => parseOverrideWith(realKeys, text);
