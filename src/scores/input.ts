import { UserError } from '../util/errors.js';

/** A row-major matrix: `rows` rows of `cols` values (`data[i·cols + j]`). */
export interface Matrix {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
}

/**
 * A problem with one input of the scores: `input` names it ("features", "labels", "sourceProbs"), `problem`
 * says what is wrong on one line. The message is `input: problem`; the CLI prefixes the file and tensor.
 */
export class ScoreInputError extends UserError {
  override name = 'ScoreInputError';
  constructor(
    readonly input: 'features' | 'labels' | 'sourceProbs' | 'options',
    readonly problem: string,
  ) {
    super(`${input}: ${problem}`);
  }
}

/** Features as float64 [N, D], validated. */
export interface CheckedFeatures {
  x: Float64Array;
  n: number;
  d: number;
}

/** Labels as class indices, validated: every class 0…C−1 has a sample, C ≥ 2. */
export interface CheckedLabels {
  y: Int32Array;
  classes: number;
  /** samples per class */
  counts: Int32Array;
}

function checkShape(m: Matrix, input: 'features' | 'sourceProbs', layout: string) {
  const { rows, cols } = m;
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 1 || cols < 1) {
    throw new ScoreInputError(input, `shape [${rows}, ${cols}]; expected ${layout} with both sizes ≥ 1`);
  }
  if (m.data.length !== rows * cols) {
    throw new ScoreInputError(input, `${m.data.length} values for shape [${rows}, ${cols}] (expected ${rows * cols})`);
  }
}

/** The largest feature magnitude: squares summed over N·D ≤ 10¹⁵ terms stay far from float64 overflow. */
export const MAX_FEATURE = 1e100;

function finiteCopy(m: Matrix, input: 'features' | 'sourceProbs'): Float64Array {
  const x = Float64Array.from(m.data);
  for (let i = 0; i < x.length; i++) {
    const at = () => `[${Math.floor(i / m.cols)}, ${i % m.cols}]`;
    if (!Number.isFinite(x[i])) throw new ScoreInputError(input, `value at ${at()} is ${x[i]}; every value must be finite`);
    if (Math.abs(x[i]) > MAX_FEATURE) {
      throw new ScoreInputError(input, `value at ${at()} is ${x[i]}; values beyond ±${MAX_FEATURE} overflow the Gram matrices`);
    }
  }
  return x;
}

/** Features [N, D]: finite values within ±MAX_FEATURE, N, D ≥ 1. */
export function checkFeatures(features: Matrix): CheckedFeatures {
  checkShape(features, 'features', '[N, D]');
  return { x: finiteCopy(features, 'features'), n: features.rows, d: features.cols };
}

/** Labels [N]: integers 0…C−1 (stored in any numeric type), every class present, at least 2 classes. */
export function checkLabels(labels: ArrayLike<number>, n: number): CheckedLabels {
  if (labels.length !== n) {
    throw new ScoreInputError('labels', `${labels.length} labels for ${n} samples; expected [N], one label per sample`);
  }
  const y = new Int32Array(n);
  let top = -1;
  for (let i = 0; i < n; i++) {
    const v = Number(labels[i]);
    if (!Number.isInteger(v) || v < 0) {
      throw new ScoreInputError('labels', `label ${i} is ${v}; labels must be integer classes 0, 1, 2, …`);
    }
    // every class present needs C ≤ N: a larger label means a missing class (and no huge allocation)
    if (v >= n) {
      throw new ScoreInputError('labels', `label ${i} is ${v}, but ${n} samples can hold classes 0…${n - 1} at most (every class must have a sample)`);
    }
    y[i] = v;
    top = Math.max(top, v);
  }
  const classes = top + 1;
  const counts = new Int32Array(classes);
  for (const v of y) counts[v]++;
  const missing = counts.indexOf(0);
  if (missing >= 0) {
    throw new ScoreInputError('labels', `class ${missing} has no samples; classes must be 0…C−1 with every class present (here C = ${classes})`);
  }
  if (classes < 2) {
    throw new ScoreInputError('labels', `every label is ${top}: the scores compare classes and need at least 2`);
  }
  return { y, classes, counts };
}

/** How far a row of source probabilities may sum from 1 (float32 softmax over thousands of classes: ~1e-5). */
export const PROBABILITY_TOLERANCE = 1e-3;

/** Source-head probabilities [N, Cs]: finite, in [0, 1], each row summing to 1 within PROBABILITY_TOLERANCE. */
export function checkSourceProbs(sourceProbs: Matrix, n: number): Float64Array {
  checkShape(sourceProbs, 'sourceProbs', '[N, Cs]');
  if (sourceProbs.rows !== n) {
    throw new ScoreInputError('sourceProbs', `${sourceProbs.rows} rows for ${n} samples; expected [N, Cs] with one row per sample`);
  }
  const p = finiteCopy(sourceProbs, 'sourceProbs');
  const cs = sourceProbs.cols;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < cs; j++) {
      const v = p[i * cs + j];
      if (v < 0 || v > 1) throw new ScoreInputError('sourceProbs', `value at [${i}, ${j}] is ${v}; probabilities lie in [0, 1]`);
      sum += v;
    }
    if (Math.abs(sum - 1) > PROBABILITY_TOLERANCE) {
      throw new ScoreInputError(
        'sourceProbs',
        `row ${i} sums to ${sum}; each row must be the source head's softmax (sum 1 ± ${PROBABILITY_TOLERANCE})`,
      );
    }
  }
  return p;
}

/** An integer option ≥ 1 (e.g. the k of k-NN). */
export function checkCount(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ScoreInputError('options', `${what} must be an integer ≥ 1 (got ${value})`);
  return value;
}
