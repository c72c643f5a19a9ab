import { UserError } from '../../util/errors.js';
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

/**
 * Draw a task from its dataset. Per class, one seeded permutation of the class's images (stream named after
 * the dataset and class) gives the test images first and the training images next, so train and test never
 * overlap, a larger N₁ only adds images, and two tasks on the same class share its split. Label noise uses
 * the task's own stream (`role`).
 */
export function makeImageTask(spec: ImageTaskSpec, seed: number, role: string): ImageTask {
  const source = openSource(spec.data);
  const where = `${role} task`;
  if (spec.classes.length < 2) throw new UserError(`${where}: needs at least 2 classes (got ${spec.classes.length})`);
  const seen = new Set<number>();
  for (const k of spec.classes) {
    if (!Number.isInteger(k) || k < 0 || k >= source.classes) {
      throw new UserError(`${where}: class ${k} does not exist in ${source.name} (classes 0–${source.classes - 1})`);
    }
    if (seen.has(k)) throw new UserError(`${where}: class ${k} is listed twice`);
    seen.add(k);
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
  spec.classes.forEach((k, label) => {
    const pool = source.pool(k);
    const n = pool.length / chw;
    if (spec.nTrain + spec.nTest > n) {
      throw new UserError(
        `${where}: ${source.name} class ${k} has ${n} images, too few for ${spec.nTrain} training + ${spec.nTest} test images`,
      );
    }
    const perm = new Rng(seed, `split:${source.name}:${k}`).sample(n, spec.nTest + spec.nTrain);
    for (let i = 0; i < spec.nTest; i++) {
      const at = label * spec.nTest + i;
      test.x.set(pool.subarray(perm[i] * chw, (perm[i] + 1) * chw), at * chw);
      test.y[at] = label;
    }
    for (let i = 0; i < spec.nTrain; i++) {
      const src = perm[spec.nTest + i];
      const at = label * spec.nTrain + i;
      train.x.set(pool.subarray(src * chw, (src + 1) * chw), at * chw);
      train.y[at] = label;
    }
  });
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
