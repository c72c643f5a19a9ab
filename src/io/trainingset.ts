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
export function readTrainingSet(path: string): TrainingSet {
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
  const yt = getTensor(ds, 'y');
  if (yt.shape.length !== 1 || yt.shape[0] !== n) {
    throw new UserError(`${path}: tensor "y" has shape [${yt.shape.join(', ')}], expected [${n}] (one label per sample of X)`);
  }
  const y = Float64Array.from(tensorAsFloat64(yt));
  const badLabel = y.findIndex((v) => v !== 1 && v !== -1);
  if (badLabel >= 0) throw new UserError(`${path}: tensor "y": y[${badLabel}] = ${y[badLabel]}; labels must be −1 or +1`);
  return { path, X: X.data, y, n, patches, d };
}
