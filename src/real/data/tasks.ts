import { UserError } from '../../util/errors.js';
import { roundHalfEven } from '../../util/math.js';
import { Rng } from '../../util/rng.js';
import type { ImageSet } from '../nn/session.js';
import { openSource, type DataSource } from './sources.js';

/** One classification task: a dataset, the classes it uses, and how many images of each. */
export interface ImageTaskSpec {
  /** "mnist", "fashion-mnist" or a .safetensors path */
  data: string;
  /** dataset classes, in the order of the task's labels 0…K−1 */
  classes: number[];
  /** training images per class */
  nTrain: number;
  /** test images per class */
  nTest: number;
  /** probability that a training label is replaced by a uniformly drawn other class of the task */
  labelNoise: number;
  /** standard deviation of Gaussian noise added to every training image (drawn once; test images stay clean) */
  pixelNoise?: number;
  /** a fraction of each class's training images drawn from the same class index of another dataset */
  mix?: { data: string; fraction: number };
}

export interface ImageTask {
  spec: ImageTaskSpec;
  source: DataSource;
  classNames: string[];
  train: ImageSet;
  test: ImageSet;
  /** training labels that label noise changed */
  flipped: number;
}

function checkClasses(source: DataSource, classes: number[], where: string): void {
  const seen = new Set<number>();
  for (const k of classes) {
    if (!Number.isInteger(k) || k < 0 || k >= source.classes) {
      throw new UserError(`${where}: class ${k} does not exist in ${source.name} (classes 0–${source.classes - 1})`);
    }
    if (seen.has(k)) throw new UserError(`${where}: class ${k} is listed twice`);
    seen.add(k);
  }
}

/** A class's permutation of its images: test images first, then training images (stream split:<dataset>:<class>). */
function classSplit(source: DataSource, k: number, nTest: number, nTrain: number, seed: number, where: string) {
  const { c, h, w } = source.shape;
  const chw = c * h * w;
  const pool = source.pool(k);
  const n = pool.length / chw;
  if (nTrain + nTest > n) {
    throw new UserError(`${where}: ${source.name} class ${k} has ${n} images, too few for ${nTrain} training + ${nTest} test images`);
  }
  const perm = new Rng(seed, `split:${source.name}:${k}`).sample(n, nTest + nTrain);
  return { image: (i: number) => pool.subarray(perm[i] * chw, (perm[i] + 1) * chw) };
}

/**
 * Draw a task from its dataset. Per class, one seeded permutation of the class's images (stream named after
 * the dataset and class) gives the test images first and the training images next, so train and test never
 * overlap, a larger N₁ only adds images, and two tasks on the same class share its split. With `mix`, the last
 * round(fraction·nTrain) training images of each class come from the same class index of the mix dataset (its own
 * split, after its test images). Label noise and pixel noise use the task's own streams (`role`) and touch only
 * the training images.
 */
export function makeImageTask(spec: ImageTaskSpec, seed: number, role: string): ImageTask {
  const source = openSource(spec.data);
  const where = `${role} task`;
  if (spec.classes.length < 2) throw new UserError(`${where}: needs at least 2 classes (got ${spec.classes.length})`);
  checkClasses(source, spec.classes, where);
  const mixCount = spec.mix ? roundHalfEven(spec.mix.fraction * spec.nTrain) : 0;
  const mixSource = mixCount > 0 ? openSource(spec.mix!.data) : null;
  if (mixSource) {
    const a = source.shape;
    const b = mixSource.shape;
    if (a.c !== b.c || a.h !== b.h || a.w !== b.w) {
      throw new UserError(`${where}: mixed-in ${mixSource.name} images are ${b.c}×${b.h}×${b.w}, not ${a.c}×${a.h}×${a.w} like ${source.name}`);
    }
    checkClasses(mixSource, spec.classes, `${where} (mixed-in data)`);
  }
  const { c, h, w } = source.shape;
  const chw = c * h * w;
  const K = spec.classes.length;
  const train: ImageSet = {
    x: new Float32Array(K * spec.nTrain * chw),
    y: new Int32Array(K * spec.nTrain),
    shape: source.shape,
    count: K * spec.nTrain,
  };
  const test: ImageSet = {
    x: new Float32Array(K * spec.nTest * chw),
    y: new Int32Array(K * spec.nTest),
    shape: source.shape,
    count: K * spec.nTest,
  };
  const own = spec.nTrain - mixCount;
  spec.classes.forEach((k, label) => {
    const split = classSplit(source, k, spec.nTest, own, seed, where);
    for (let i = 0; i < spec.nTest; i++) {
      const at = label * spec.nTest + i;
      test.x.set(split.image(i), at * chw);
      test.y[at] = label;
    }
    const mixed = mixSource && classSplit(mixSource, k, spec.nTest, mixCount, seed, `${where} (mixed-in data)`);
    for (let i = 0; i < spec.nTrain; i++) {
      const at = label * spec.nTrain + i;
      train.x.set(i < own ? split.image(spec.nTest + i) : mixed!.image(spec.nTest + i - own), at * chw);
      train.y[at] = label;
    }
  });
  if (spec.pixelNoise) {
    const rng = new Rng(seed, `pixelNoise:${role}`);
    const sd = spec.pixelNoise;
    for (let i = 0; i < train.x.length; i++) train.x[i] += sd * rng.normal();
  }
  let flipped = 0;
  if (spec.labelNoise > 0) {
    const rng = new Rng(seed, `labelNoise:${role}`);
    for (let i = 0; i < train.count; i++) {
      if (rng.uniform() < spec.labelNoise) {
        train.y[i] = (train.y[i] + 1 + rng.int(K - 1)) % K;
        flipped++;
      }
    }
  }
  return { spec, source, classNames: spec.classes.map((k) => source.classNames[k]), train, test, flipped };
}
