import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import * as internals from '../../src/internals.js';
import { repoRoot } from '../helpers/cli.js';

describe('the public API', () => {
  it('is the curated list the README documents, not every internal', () => {
    const names = Object.keys(api);
    for (const n of ['studies', 'syntheticStudy', 'realStudy', 'runExperiment', 'runReal', 'loadConfig', 'predict', 'parseSweepSpec', 'SweepStore', 'runSweeps', 'sweepTable', 'readSafetensors']) {
      expect(names, n).toContain(n);
    }
    for (const n of ['coefPlan', 'ProductCache', 'probeMatrix', 'lossAndGradCoefficients', 'compileShard', 'real']) expect(names, n).not.toContain(n);
    expect(names.length).toBeLessThan(70);
  });

  it('keeps every internal reachable under paratransfer/internals', () => {
    for (const n of ['coefPlan', 'ProductCache', 'probeMatrix', 'lossAndGradCoefficients', 'runExperiment', 'studies']) {
      expect(Object.keys(internals), n).toContain(n);
    }
    expect(Object.keys(internals.real)).toContain('compileShard');
    expect(Object.keys(internals.wasm)).toContain('HelperPool');
  });

  it('resolves both entry points of the built package by name', () => {
    const r = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "const a = await import('paratransfer'); const b = await import('paratransfer/internals'); console.log(typeof a.runExperiment, typeof b.coefPlan)"],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function function');
  });

  it('has an API reference generated from the doc comments, every public export documented (npm run docs)', () => {
    const out = mkdtempSync(join(tmpdir(), 'pt-api-'));
    const typedoc = join(repoRoot, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const r = spawnSync(process.execPath, [typedoc, '--out', out], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(existsSync(join(out, 'functions', 'runExperiment.html'))).toBe(true);
  }, 120_000);
});
