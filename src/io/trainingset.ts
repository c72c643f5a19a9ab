import { UserError } from '../util/errors.js';
import { getTensor, readSafetensors, tensorAsFloat64, type SafetensorsFile } from './safetensors.js';

/** A training set as `train` and `advise` read it: X [N, P, d] and labels y [N] ∈ {−1, +1}. */
export interface TrainingSet {
  path: string;
  X: Float64Array;
  y: Float64Array;
  n: number;
  patches: number;
  d: number;
}

/** A float tensor of rank 3 whose values are all finite, as float64. */
export function floatTensor3(file: SafetensorsFile, name: string, layout: string): { data: Float64Array; shape: number[] } {
  const t = getTensor(file, name);
  const where = `${file.path}: tensor "${name}"`;
  if (t.dtype !== 'F64' && t.dtype !== 'F32') throw new UserError(`${where}: dtype ${t.dtype}, expected F64 (or F32)`);
  if (t.shape.length !== 3) throw new UserError(`${where}: shape [${t.shape.join(', ')}], expected ${layout}`);
  const data = tensorAsFloat64(t);
  const bad = data.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    const [, b, c] = t.shape;
    const idx = [Math.floor(bad / (b * c)), Math.floor(bad / c) % b, bad % c];
    throw new UserError(`${where}: non-finite value ${data[bad]} at [${idx.join(', ')}]; all values must be finite`);
  }
  return { data, shape: t.shape };
}

/** Read and check X [N, P, d] and y [N] ∈ {−1, +1} (the `run --save` layout); every problem is one line naming the file. */
/** Also returns the file, for tensors beyond X and y (e.g. `eval`'s yTrue). */
export function readTrainingSet(path: string): TrainingSet & { file: SafetensorsFile } {
  const ds = readSafetensors(path);
  const X = floatTensor3(ds, 'X', '[N, P, d]');
  const [n, patches, d] = X.shape;
  for (const [size, what] of [
    [n, 'N (samples)'],
    [patches, 'P (patches)'],
    [d, 'd (dimension)'],
  ] as const) {
    if (size < 1) throw new UserError(`${path}: tensor "X" has shape [${X.shape.join(', ')}]: ${what} must be ≥ 1`);
  }
  return { path, file: ds, X: X.data, y: labelTensor(ds, 'y', n), n, patches, d };
}

/** Labels in {−1, +1}, one per sample: `name` of a dataset file (y, yTrue). */
export function labelTensor(file: SafetensorsFile, name: string, n: number): Float64Array {
  const t = getTensor(file, name);
  if (t.shape.length !== 1 || t.shape[0] !== n) {
    throw new UserError(`${file.path}: tensor "${name}" has shape [${t.shape.join(', ')}], expected [${n}] (one label per sample of X)`);
  }
  const labels = Float64Array.from(tensorAsFloat64(t));
  const bad = labels.findIndex((v) => v !== 1 && v !== -1);
  if (bad >= 0) throw new UserError(`${file.path}: tensor "${name}": ${name}[${bad}] = ${labels[bad]}; labels must be −1 or +1`);
  return labels;
}
