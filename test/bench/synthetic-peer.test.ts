import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig, presetConfig, presets } from '../../src/config/presets.js';
import { runProcessSync } from '../helpers/cli.js';

/**
 * The NumPy peer of the benchmarks (bench/peers/synthetic_numpy.py) keeps the project's defaults and presets
 * and its output contract, so `npm run bench:agreement` compares like with like. Statistical agreement with
 * `paratransfer run` is measured there (docs/benchmarks.md), not here: it takes minutes. Python with NumPy:
 * $PARATRANSFER_PYTHON, then python3, then /usr/bin/python3; without one this is skipped locally but fails in CI.
 */
const script = fileURLToPath(new URL('../../bench/peers/synthetic_numpy.py', import.meta.url));
const candidates = [process.env.PARATRANSFER_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
const python = candidates.find((p) => runProcessSync(p, ['-c', 'import numpy'], { timeoutMs: 30_000 }).code === 0);
const inCI = Boolean(process.env.CI);
const sizes = { d: 40, n1: 12, n2: 8, nTest: 100, m: 4 };
const sizeArgs = Object.entries(sizes).flatMap(([k, v]) => [`--${k}`, String(v)]);
const tiny = [...sizeArgs, '--steps', '30'];
const dir = mkdtempSync(join(tmpdir(), 'paratransfer-peer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function peer(args: string[]) {
  const r = runProcessSync(python!, [script, ...args], { timeoutMs: 60_000 });
  return { ...r, out: r.code === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)!) : null };
}

describe.skipIf(!python && !inCI)('NumPy peer (bench/peers/synthetic_numpy.py)', () => {
  it('has a Python with NumPy (CI installs python3-numpy)', () => {
    expect(python).toBeDefined();
  });

  it('keeps the defaults and presets of src/config/presets.ts', () => {
    const { sampler: _s, checkpoints: _c, ...defaults } = defaultConfig;
    expect(peer(tiny).out.config).toEqual({ ...defaults, ...sizes, steps: 30 });
    for (const p of presets) {
      const { sampler: _ps, checkpoints: _pc, ...full } = presetConfig(p);
      expect(peer(['--preset', p.name, ...sizeArgs]).out.config, p.name).toEqual({ ...full, ...sizes });
    }
  });

  it('prints the result shape the benchmarks read; α = 0 makes transfer equal scratch', () => {
    const { out } = peer([...tiny, '--alpha', '0', '--patches', '3', '--signalPatch', 'random']);
    for (const run of ['upstream', 'transfer', 'scratch'] as const) {
      expect(out[run].testError).toBeGreaterThanOrEqual(0);
      expect(out[run].testError).toBeLessThanOrEqual(1);
      expect(out[run].stepsRun).toBe(30);
      expect(out[run].features.all.filters).toBe(4);
      expect(out.timings[run]).toBeGreaterThan(0);
    }
    expect(out.transfer).toEqual(out.scratch);
    expect(out.gain).toBe(0);
    expect(out.inheritance).toEqual({ strategy: 'random', filtersPerClass: 0, parameters: 0 });
  });

  it('learns the preset it is given and splits inherited from fresh filters', () => {
    const { out } = peer(['--preset', 'positive-transfer', '--d', '200', '--nTest', '400', '--m', '10', '--steps', '100']);
    expect(out.upstream.testError).toBeLessThan(0.1);
    expect(out.transfer.features.inherited.filters).toBe(5);
    expect(out.transfer.features.fresh.filters).toBe(5);
    expect(out.inheritance).toEqual({ strategy: 'random', filtersPerClass: 5, parameters: 2 * 5 * 200 });
  });

  it('keeps frozen inherited entries and reads a config file (keys of the tool it does not use are ignored)', () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ config: { ...defaultConfig, d: 30, n1: 10, n2: 6, nTest: 50, m: 3, steps: 20 } }));
    const r = peer(['--config', file, '--inheritance', 'entries', '--freezeInherited', 'true', '--lossThreshold', '0.5']);
    expect(r.code).toBe(0);
    expect(r.out.config.d).toBe(30);
    expect(r.out.inheritance.filtersPerClass).toBeNull();
    expect(r.out.transfer.features.inherited).toBeUndefined();
    expect(r.out.upstream.stepsRun).toBeLessThanOrEqual(20);
  });

  it('rejects a bad value in one line', () => {
    const r = peer(['--inheritance', 'half']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('synthetic_numpy: inheritance: must be one of random, first, entries');
  });
});
