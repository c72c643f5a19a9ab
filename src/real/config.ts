import { z } from 'zod';
import { bool, num, oneOf } from '../config/fields.js';
import { parseOverrideWith, validateWith } from '../config/validate.js';
import type { ConfigFamily, Preset } from '../study/types.js';
import { archNames } from './arch/index.js';
import { builtinClassCounts } from './data/catalog.js';
import { roundHalfEven } from '../util/math.js';
import { inheritanceStrategies } from '../transfer/strategies.js';

const dataset = z
  .string({ error: 'must be mnist, fashion-mnist or a path to a .safetensors file' })
  .min(1, { error: 'must be mnist, fashion-mnist or a path to a .safetensors file' });
const classList = z
  .array(num(0, 65535, { int: true }), { error: 'must be a list of class indices, e.g. [0, 1, 2]' })
  .min(2, { error: 'must list at least 2 classes' });

/**
 * Keys added after real-data runs were first stored, with the value that reproduces the runs made before them: a
 * config without such a key (a stored plan, a payload of an earlier version) reads as that value, and a config at
 * that value leaves the key out of its job id, so stores of earlier versions resume (src/sweep/grid.ts).
 */
export const realAddedKeys = {
  upstreamMixData: 'fashion-mnist',
  upstreamMix: 0,
  labelNoise1: 0,
  labelNoise2: 0,
  pixelNoise1: 0,
  pixelNoise2: 0,
  lr2: 0,
  stopLoss: 0,
  headEpochs: 0,
  l2sp: 0,
  shrink: 0,
  perturb: 0,
} as const;

/** A field added later: absent, it reads as the value of earlier versions. */
const added = <T extends z.ZodType<string | number>>(field: T, key: keyof typeof realAddedKeys) =>
  field.default(realAddedKeys[key] as z.output<T> & (string | number) as never);

/** Every key of a real-data transfer run (docs/real-data.md). */
export const realShape = {
  /** upstream dataset: mnist, fashion-mnist or a .safetensors file (X [N,C,H,W], y [N]) */
  upstreamData: dataset,
  /** upstream classes (dataset class indices) */
  upstreamClasses: classList,
  /** the dataset a fraction `upstreamMix` of each upstream class's training images comes from (same class index) */
  upstreamMixData: added(dataset, 'upstreamMixData'),
  /** fraction of each upstream class's training images drawn from `upstreamMixData` instead (mixed-source upstream) */
  upstreamMix: added(num(0, 1), 'upstreamMix'),
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
  /** the same, upstream only (up to 1 − 1/classes: random labels) */
  labelNoise1: added(num(0, 1), 'labelNoise1'),
  /** the same, downstream only */
  labelNoise2: added(num(0, 1, { maxExclusive: true }), 'labelNoise2'),
  /** standard deviation of Gaussian noise added to the upstream training images (drawn once per image) */
  pixelNoise1: added(num(0, 100), 'pixelNoise1'),
  /** the same for the downstream training images; test images stay clean */
  pixelNoise2: added(num(0, 100), 'pixelNoise2'),
  arch: oneOf(archNames),
  /** channels of the first stage (vgg, resnet) */
  width: num(1, 1024, { int: true }),
  /** filters per class of the two-layer CNN */
  m: num(1, 10_000, { int: true }),
  /** patch side of the two-layer CNN */
  patch: num(1, 1024, { int: true }),
  optimizer: oneOf(['sgd', 'adam'] as const),
  lr: num(0, 100, { minExclusive: true }),
  /** downstream step size, transfer and scratch alike (0: the same as lr) */
  lr2: added(num(0, 100), 'lr2'),
  /** SGD momentum */
  momentum: num(0, 1, { maxExclusive: true }),
  /** L2 weight decay */
  weightDecay: num(0, 1),
  batchSize: num(1, 65_536, { int: true }),
  /** upstream epochs (at most, with stopLoss) */
  epochs1: num(0, 100_000, { int: true }),
  /** downstream epochs, transfer and scratch (at most, with stopLoss) */
  epochs2: num(0, 100_000, { int: true }),
  /** every phase stops after the first epoch whose mean training loss is below this (0: train every epoch) */
  stopLoss: added(num(0, 100), 'stopLoss'),
  /** the first epochs of each downstream phase train only the classifier head (transfer and scratch alike) */
  headEpochs: added(num(0, 100_000, { int: true }), 'headEpochs'),
  /** inheritance ratio α */
  alpha: num(0, 1),
  inheritance: oneOf(inheritanceStrategies),
  /** layers inherited whole by inheritance "layers" */
  inheritLayers: num(0, 1000, { int: true }),
  freezeInherited: bool,
  /** L2-SP: the penalty (λ/2)·‖w − w_upstream‖² on every inherited entry during downstream training */
  l2sp: added(num(0, 1000), 'l2sp'),
  /** shrink: inherited entries start at (1 − λ)× their upstream value */
  shrink: added(num(0, 1), 'shrink'),
  /** perturb: σ × a fresh He-normal draw is added to every inherited weight */
  perturb: added(num(0, 100), 'perturb'),
  seed: num(0, Number.MAX_SAFE_INTEGER, { int: true }),
  /** evaluation points per phase after epoch 0 (evenly spaced epochs, always including the last) */
  checkpoints: num(1, 100_000, { int: true }),
};

export const realKeys = Object.keys(realShape) as (keyof typeof realShape)[];

/** Noisy labels must stay more likely right than any single wrong class (upstream may go up to random labels). */
function labelNoiseIssues(c: z.infer<z.ZodObject<typeof realShape>>, ctx: z.RefinementCtx): void {
  const tasks = [
    ['labelNoise1', 'upstreamClasses', c.upstreamClasses, c.labelNoise1, true],
    ['labelNoise2', 'downstreamClasses', c.downstreamClasses, c.labelNoise2, false],
  ] as const;
  for (const [key, classesKey, classes, p, randomAllowed] of tasks) {
    if (c.labelNoise > 0 && p > 0) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `cannot be combined with labelNoise (which sets both tasks' label noise): set labelNoise1 and labelNoise2 instead`,
      });
    }
    const limit = 1 - 1 / classes.length;
    if (c.labelNoise >= limit) {
      ctx.addIssue({
        code: 'custom',
        path: ['labelNoise'],
        message: `must be < ${limit.toFixed(3)} (1 − 1/classes) for the ${classes.length} classes of ${classesKey}`,
      });
    }
    if (randomAllowed ? p > limit + 1e-12 : p >= limit) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `must be ${randomAllowed ? '≤' : '<'} ${limit.toFixed(3)} (1 − 1/classes${randomAllowed ? ': random labels' : ''}) for the ${classes.length} classes of ${classesKey}`,
      });
    }
  }
}

/**
 * A shipped dataset must hold every class asked for, with its test images and its share of the training images
 * (the rest of a mixed upstream class comes from the mix dataset, after its own test images). Files are checked
 * when they are opened.
 */
function dataSizeIssues(c: z.infer<z.ZodObject<typeof realShape>>, ctx: z.RefinementCtx): void {
  const mixCount = roundHalfEven(c.upstreamMix * c.n1); // as the run rounds it
  const draws = [
    ['upstreamClasses', 'n1', c.upstreamData, c.upstreamClasses, c.n1 - mixCount],
    ['upstreamClasses', 'upstreamMix', c.upstreamMixData, mixCount > 0 ? c.upstreamClasses : [], mixCount],
    ['downstreamClasses', 'n2', c.downstreamData, c.downstreamClasses, c.n2],
  ] as const;
  for (const [classesKey, countKey, data, classes, train] of draws) {
    const counts = builtinClassCounts[data];
    if (!counts) continue;
    for (const k of classes) {
      if (k >= counts.length) {
        ctx.addIssue({ code: 'custom', path: [classesKey], message: `class ${k} does not exist in ${data} (classes 0–${counts.length - 1})` });
        return;
      }
      if (c.nTest >= counts[k]) {
        ctx.addIssue({ code: 'custom', path: ['nTest'], message: `too large: ${data} class ${k} has ${counts[k]} images, no more than nTest = ${c.nTest} test images and at least 1 training image` });
        return;
      }
      if (train + c.nTest > counts[k]) {
        const what =
          countKey === 'upstreamMix' ? `round(upstreamMix·n1) = ${train} mixed-in` : countKey === 'n1' && mixCount > 0 ? `n1 − ${mixCount} mixed-in = ${train}` : `${countKey} = ${train}`;
        ctx.addIssue({
          code: 'custom',
          path: [countKey],
          message: `too large: ${data} class ${k} has ${counts[k]} images, fewer than ${what} training + nTest = ${c.nTest} test images`,
        });
        return;
      }
    }
  }
}

export const realSchema = z.strictObject(realShape).superRefine((c, ctx) => {
  for (const [key, classes] of [
    ['upstreamClasses', c.upstreamClasses],
    ['downstreamClasses', c.downstreamClasses],
  ] as const) {
    if (new Set(classes).size !== classes.length) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'lists a class twice' });
    }
  }
  labelNoiseIssues(c, ctx);
  dataSizeIssues(c, ctx);
  if (c.arch === 'twolayer' && c.headEpochs > 0) {
    ctx.addIssue({ code: 'custom', path: ['headEpochs'], message: 'must be 0 for arch twolayer (its second layer is fixed: there is no head to warm up)' });
  }
  if (c.headEpochs > c.epochs2) {
    ctx.addIssue({ code: 'custom', path: ['headEpochs'], message: `must be at most epochs2 (${c.epochs2}): the warm-up is part of the downstream epochs` });
  }
});

/** A complete, validated config of the real-data study. */
export type RealConfig = z.infer<typeof realSchema>;

/** The defaults: the mnist-split study. */
export const realDefaults: RealConfig = {
  upstreamData: 'mnist',
  upstreamClasses: [0, 1, 2, 3, 4],
  upstreamMixData: 'fashion-mnist',
  upstreamMix: 0,
  downstreamData: 'mnist',
  downstreamClasses: [5, 6, 7, 8, 9],
  n1: 600,
  n2: 5,
  nTest: 300,
  labelNoise: 0,
  labelNoise1: 0,
  labelNoise2: 0,
  pixelNoise1: 0,
  pixelNoise2: 0.25,
  arch: 'vgg',
  width: 8,
  m: 10,
  patch: 7,
  optimizer: 'adam',
  lr: 0.002,
  lr2: 0,
  momentum: 0.9,
  weightDecay: 5e-4,
  batchSize: 64,
  epochs1: 60,
  epochs2: 300,
  stopLoss: 0.01,
  headEpochs: 0,
  alpha: 1,
  inheritance: 'random',
  inheritLayers: 2,
  freezeInherited: false,
  l2sp: 0,
  shrink: 0,
  perturb: 0,
  seed: 0,
  checkpoints: 10,
};

export type RealPreset = Preset<RealConfig>;

/** The real-data study's presets (`paratransfer real --list`). */
export const realPresets: RealPreset[] = [
  {
    name: 'mnist-split',
    description:
      'positive transfer: upstream digits 0–4 (600 per class); downstream digits 5–9 from 5 noisy labelled images per class (pixel noise 0.25); VGG-style net, every layer inherited and fine-tuned to convergence',
    settings: {},
  },
  {
    name: 'mnist-negative',
    description:
      'negative transfer: as mnist-split, but the upstream network memorised random labels of 100 images per class',
    settings: { n1: 100, labelNoise1: 0.8 },
  },
  {
    name: 'fashion-to-mnist',
    description: 'upstream Fashion-MNIST (all 10 classes, 400 per class), downstream MNIST digits with 10 noisy labelled images per class (the protocol of mnist-split)',
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
  added: realAddedKeys,
};

export const validateRealConfig = (input: unknown, where = 'config'): RealConfig => validateWith(realConfigs, input, where);

/** `key=value`, the value read as YAML (numbers, booleans, strings, lists such as [0, 1, 2]). */
export const parseRealOverride = (text: string): [string, unknown] => parseOverrideWith(realKeys, text);

/** The keys upstream training never reads: every other key (and any key added later) separates upstream networks. */
const downstreamOnlyKeys: readonly string[] = [
  'alpha', 'inheritance', 'inheritLayers', 'freezeInherited', 'downstreamData', 'downstreamClasses', 'n2', 'epochs2',
  'labelNoise2', 'pixelNoise2', 'lr2', 'headEpochs', 'l2sp', 'shrink', 'perturb',
];

/**
 * What upstream training reads of a config, as text: two configs with the same text train the same upstream network
 * (the key of each thread's cache of upstream networks, and the `reuseKey` by which sweeps keep such runs together).
 */
export function upstreamCacheKey(c: RealConfig): string {
  return JSON.stringify(Object.entries(c).filter(([k]) => !downstreamOnlyKeys.includes(k)));
}
