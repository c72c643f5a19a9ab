import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTensor, readSafetensors, writeSafetensors, type SafetensorsData } from '../../src/io/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { runCli, runProcess, runProcessSync } from '../helpers/cli.js';
import { relDiff } from '../helpers/numeric.js';

/**
 * `paratransfer train` against an independent float64 NumPy implementation of the same gradient descent
 * (test/fixtures/plain_gd.py) on random data of several shapes: W and the final loss agree to 1e-9.
 * Python with NumPy: $PARATRANSFER_PYTHON, then python3, then /usr/bin/python3. Without one the check
 * is skipped locally but fails in CI.
 */
const script = fileURLToPath(new URL('../fixtures/plain_gd.py', import.meta.url));
const candidates = [process.env.PARATRANSFER_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
const python = candidates.find((p) => runProcessSync(p, ['-c', 'import numpy'], { timeoutMs: 30_000 }).code === 0);
const inCI = Boolean(process.env.CI);

let dir = '';

interface Case {
  name: string;
  n: number;
  P: number;
  d: number;
  m: number;
  lr: number;
  steps: number;
  lossThreshold?: number;
  /** X stored as F32 (widened by both sides) */
  f32?: boolean;
  /** patch 0 of sample i is y_i·s for one shared s (the synthetic tasks' layout: the atom dictionary path) */
  sharedSignal?: boolean;
  /** dtype of y on disk */
  yType?: 'F64' | 'I64' | 'I8';
}

const cases: Case[] = [
  { name: 'N=7 P=2 d=13 m=3', n: 7, P: 2, d: 13, m: 3, lr: 0.5, steps: 25 },
  { name: 'N=20 P=3 d=50 m=4', n: 20, P: 3, d: 50, m: 4, lr: 1, steps: 30, yType: 'I64' },
  { name: 'N=5 P=5 d=9 m=1, X as F32, y as I8', n: 5, P: 5, d: 9, m: 1, lr: 2, steps: 15, f32: true, yType: 'I8' },
  { name: 'N=16 P=2 d=64 m=8', n: 16, P: 2, d: 64, m: 8, lr: 0.3, steps: 40 },
  { name: 'N=12 P=2 d=21 m=5, shared signal patch', n: 12, P: 2, d: 21, m: 5, lr: 1, steps: 30, sharedSignal: true },
  { name: 'N=11 P=3 d=17 m=2, loss threshold', n: 11, P: 3, d: 17, m: 2, lr: 1.5, steps: 200, lossThreshold: 0.05 },
];

function writeCase(c: Case, k: number) {
  const rng = new Rng(1000 + k, 'numpy-crosscheck');
  const X = rng.fillNormal(new Float64Array(c.n * c.P * c.d));
  const y = Float64Array.from({ length: c.n }, () => rng.sign());
  if (c.sharedSignal) {
    const s = rng.fillNormal(new Float64Array(c.d), 0.7);
    for (let i = 0; i < c.n; i++) for (let j = 0; j < c.d; j++) X[i * c.P * c.d + j] = y[i] * s[j];
  }
  const W = rng.fillNormal(new Float64Array(2 * c.m * c.d), 0.1);
  const yData: SafetensorsData =
    c.yType === 'I64' ? BigInt64Array.from(y, (v) => BigInt(v)) : c.yType === 'I8' ? Int8Array.from(y) : y;
  const data = join(dir, `data${k}.safetensors`);
  const init = join(dir, `init${k}.safetensors`);
  writeSafetensors(data, {
    X: { shape: [c.n, c.P, c.d], data: c.f32 ? Float32Array.from(X) : X },
    y: { shape: [c.n], data: yData },
  });
  writeSafetensors(init, { W: { shape: [2, c.m, c.d], data: W } });
  return { data, init };
}


describe.skipIf(!python && !inCI)('train agrees with an independent NumPy gradient descent', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pt-numpy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a Python with NumPy (required in CI)', () => {
    expect(python, `no Python with NumPy among ${candidates.join(', ')}; set PARATRANSFER_PYTHON`).toBeDefined();
  });

  cases.forEach((c, k) => {
    it(c.name, async () => {
      const { data, init } = writeCase(c, k);
      const outTs = join(dir, `ts${k}.safetensors`);
      const outPy = join(dir, `py${k}.safetensors`);
      const common = ['--dataset', data, '--init', init, '--lr', String(c.lr), '--steps', String(c.steps)];
      const threshold = c.lossThreshold !== undefined ? ['--loss-threshold', String(c.lossThreshold)] : [];
      const [ts, py] = await Promise.all([
        runCli(['train', ...common, ...threshold, '--out', outTs, '--json']),
        runProcess(python!, [script, ...common, ...threshold, '--out', outPy]),
      ]);
      expect(ts.stderr).toBe('');
      expect(py.stderr).toBe('');
      expect([ts.code, py.code]).toEqual([0, 0]);
      const a = JSON.parse(ts.stdout) as { steps: number; loss: number; initialLoss: number };
      const b = JSON.parse(py.stdout) as { steps: number; loss: number; initialLoss: number };
      expect(a.steps).toBe(b.steps);
      if (c.lossThreshold === undefined) expect(a.steps).toBe(c.steps);
      else expect(a.steps).toBeLessThan(c.steps);
      expect(a.loss).toBeLessThan(0.9 * a.initialLoss); // the runs really trained
      expect(Math.abs(a.loss - b.loss) / b.loss).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(a.initialLoss - b.initialLoss) / b.initialLoss).toBeLessThanOrEqual(1e-12);

      const Wts = getTensor(readSafetensors(outTs), 'W');
      const Wpy = getTensor(readSafetensors(outPy), 'W');
      expect(Wpy.shape).toEqual([2, c.m, c.d]);
      expect(Wts.shape).toEqual(Wpy.shape);
      const W0 = getTensor(readSafetensors(init), 'W').data as Float64Array;
      const moved = relDiff(Wpy.data as Float64Array, W0);
      expect(moved).toBeGreaterThan(1e-3);
      expect(relDiff(Wts.data as Float64Array, Wpy.data as Float64Array)).toBeLessThanOrEqual(1e-9);
    });
  });
});
