import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getTensor, readSafetensors, type SafetensorsTensor } from '../../io/safetensors.js';
import { UserError } from '../../util/errors.js';
import type { ImageShape } from '../nn/net.js';

/** Images grouped by class: the pool every task samples from. */
export interface DataSource {
  /** "mnist", "fashion-mnist" or the safetensors path */
  name: string;
  shape: ImageShape;
  /** number of classes (labels 0…classes−1) */
  classes: number;
  classNames: string[];
  /** images of class k, [n, C, H, W] float32 */
  pool(k: number): Float32Array;
}

interface Builtin {
  pkg: string;
  dir: string;
  classNames: string[];
  /** pixel scale: MNIST ships values in [0, 1], Fashion-MNIST bytes 0…255 */
  scale: number;
}

/** The image datasets shipped inside npm packages (docs/model.md#real-images): 28×28 grayscale, ten classes each. */
export const builtinDatasets: Record<string, Builtin> = {
  mnist: {
    pkg: 'mnist',
    dir: 'src/digits',
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    scale: 1,
  },
  'fashion-mnist': {
    pkg: 'fashion-mnist',
    dir: 'src/clothes',
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    scale: 1 / 255,
  },
};

const require = createRequire(import.meta.url);
const cache = new Map<string, Float32Array>();

function builtinFile(b: Builtin, k: number): string {
  let root: string;
  try {
    root = dirname(require.resolve(`${b.pkg}/package.json`));
  } catch {
    throw new UserError(`dataset ${b.pkg}: the npm package "${b.pkg}" is not installed (run npm ci)`);
  }
  return join(root, b.dir, `${k}.json`);
}

/**
 * One class of a packaged dataset. MNIST files hold {"data": [flat 784·n values]}, Fashion-MNIST files
 * {"data": [[784 values], …]} (with a few empty entries, skipped). Parsed once per process.
 */
function loadBuiltinClass(name: string, b: Builtin, k: number): Float32Array {
  const key = `${name}:${k}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const file = builtinFile(b, k);
  const bad = (why: string) => new UserError(`dataset ${name}: ${file}: ${why}`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw bad(existsSync(file) ? `not valid JSON (${(e as Error).message.split('\n')[0]})` : 'missing');
  }
  const data = (doc as { data?: unknown })?.data;
  if (!Array.isArray(data)) throw bad('expected an object with a "data" array');
  const px = 784;
  const rows: ArrayLike<unknown>[] = [];
  if (data.length && Array.isArray(data[0])) {
    for (const r of data) if (Array.isArray(r) && r.length) rows.push(r);
  } else {
    if (data.length % px) throw bad(`${data.length} values are not a whole number of 28×28 images`);
    for (let i = 0; i < data.length; i += px) rows.push(data.slice(i, i + px));
  }
  const out = new Float32Array(rows.length * px);
  rows.forEach((r, i) => {
    if (r.length !== px) throw bad(`image ${i} has ${r.length} values, expected 784`);
    for (let j = 0; j < px; j++) {
      const v = Number(r[j]) * b.scale;
      if (!(v >= 0 && v <= 1)) throw bad(`image ${i} has a pixel outside the expected range`);
      out[i * px + j] = v;
    }
  });
  cache.set(key, out);
  return out;
}

function builtinSource(name: string, b: Builtin): DataSource {
  return {
    name,
    shape: { c: 1, h: 28, w: 28 },
    classes: b.classNames.length,
    classNames: b.classNames,
    pool: (k) => loadBuiltinClass(name, b, k),
  };
}

function integerLabels(t: SafetensorsTensor, path: string, n: number): Int32Array {
  if (t.dtype === 'F32' || t.dtype === 'F64') {
    throw new UserError(`${path}: tensor "y" must hold integer classes (I64, I32, I8 or U8), not ${t.dtype}`);
  }
  if (t.shape.length !== 1 || t.shape[0] !== n) {
    throw new UserError(`${path}: tensor "y" has shape [${t.shape}], expected [${n}] (one label per image of "X")`);
  }
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = Number(t.data[i]);
    if (!(v >= 0 && v < 65536)) throw new UserError(`${path}: label y[${i}] = ${v} is not a class index in [0, 65535]`);
    y[i] = v;
  }
  return y;
}

/**
 * User images in safetensors: `X` [N, C, H, W] (F32/F64 used as they are; U8 divided by 255) and `y` [N]
 * integer classes.
 */
export function safetensorsSource(path: string): DataSource {
  const file = readSafetensors(path);
  const X = getTensor(file, 'X');
  if (X.shape.length !== 4) {
    throw new UserError(`${path}: tensor "X" has shape [${X.shape}], expected 4 dimensions [N, C, H, W]`);
  }
  const [n, c, h, w] = X.shape;
  if (!(n >= 1 && c >= 1 && h >= 1 && w >= 1)) throw new UserError(`${path}: tensor "X" is empty ([${X.shape}])`);
  if (!(X.dtype === 'F32' || X.dtype === 'F64' || X.dtype === 'U8')) {
    throw new UserError(`${path}: tensor "X" must be F32, F64 or U8, not ${X.dtype}`);
  }
  const y = integerLabels(getTensor(file, 'y'), path, n);
  const chw = c * h * w;
  const scale = X.dtype === 'U8' ? 1 / 255 : 1;
  const src = X.data as Float32Array | Float64Array | Uint8Array;
  for (let i = 0; i < src.length; i++) {
    if (!Number.isFinite(src[i])) throw new UserError(`${path}: tensor "X" has a non-finite value (image ${Math.floor(i / chw)})`);
  }
  const classes = Math.max(...y) + 1;
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  y.forEach((k, i) => byClass[k].push(i));
  const pools = byClass.map((idx) => {
    const out = new Float32Array(idx.length * chw);
    idx.forEach((i, j) => {
      for (let q = 0; q < chw; q++) out[j * chw + q] = src[i * chw + q] * scale;
    });
    return out;
  });
  return {
    name: path,
    shape: { c, h, w },
    classes,
    classNames: Array.from({ length: classes }, (_, k) => String(k)),
    pool: (k) => pools[k],
  };
}

const opened = new Map<string, DataSource>();

/** "mnist", "fashion-mnist", or a path to a .safetensors file. */
export function openSource(spec: string): DataSource {
  const b = builtinDatasets[spec];
  if (b) return builtinSource(spec, b);
  if (!/\.safetensors$/i.test(spec)) {
    throw new UserError(
      `dataset "${spec}": expected ${Object.keys(builtinDatasets).join(' or ')}, or a path to a .safetensors file`,
    );
  }
  // A file is read once per process (sweeps reopen the same data many times), again if it changed.
  let key = spec;
  try {
    const st = statSync(spec);
    key = `${spec}:${st.size}:${st.mtimeMs}`;
  } catch {
    return safetensorsSource(spec); // reports the missing file
  }
  let s = opened.get(key);
  if (!s) {
    s = safetensorsSource(spec);
    opened.set(key, s);
  }
  return s;
}
