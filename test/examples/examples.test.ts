import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { loadSweepSpec } from '../../src/sweep/spec.js';
import { expandJobs, planStudy } from '../../src/sweep/grid.js';
import { repoRoot, runCli, runProcess, runProcessSync } from '../helpers/cli.js';

/**
 * Every file in examples/ runs: the synthetic config as given; every sweep spec validated as shipped, then run at a
 * small size (one seed, the first and last value of each axis, small sizes of its study) with its results and a
 * report; the library script; the NumPy script where Python has NumPy (skipped locally without, fails in CI).
 */
const examples = join(repoRoot, 'examples');
const files = readdirSync(examples).sort();
const work = mkdtempSync(join(tmpdir(), 'pt-examples-'));
// keys only sweep specs have (a config file holds config keys only)
const specKeys = ['name', 'description', 'family', 'base', 'set', 'grid', 'zip', 'sample', 'seeds'];

/** Small sizes per study, applied to the keys a spec does not vary. */
const small: Record<string, Record<string, unknown>> = {
  synthetic: { d: 60, n1: 20, n2: 8, nTest: 100, m: 3, steps: 10, checkpoints: 3 },
  real: { n1: 10, n2: 5, nTest: 10, epochs1: 1, epochs2: 1, checkpoints: 1 },
};

const yamlFiles = files.filter((f) => f.endsWith('.yaml'));
const isSpec = (f: string) => {
  const doc = parseYaml(readFileSync(join(examples, f), 'utf8')) as Record<string, unknown>;
  return Object.keys(doc).some((k) => specKeys.includes(k) && k !== 'description');
};
const specs = yamlFiles.filter(isSpec);
const configs = yamlFiles.filter((f) => !isSpec(f));

const candidates = [process.env.PARATRANSFER_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
const python = candidates.find((p) => runProcessSync(p, ['-c', 'import numpy'], { timeoutMs: 30_000 }).code === 0);

describe('examples/', () => {
  it('holds only files this test runs', () => {
    const handled = new Set([...yamlFiles, 'library.mjs', 'numpy_train.py']);
    expect(files.filter((f) => !handled.has(f))).toEqual([]);
    expect(configs).toContain('synthetic.yaml');
    // the sweep specs the docs use
    for (const name of ['alpha-u.yaml', 'negative-alpha.yaml', 'real-alpha.yaml']) expect(specs).toContain(name);
  });

  for (const f of configs) {
    it(`config ${f} runs`, async () => {
      const r = await runCli(['run', join('examples', f), '--json']);
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout);
      const doc = parseYaml(readFileSync(join(examples, f), 'utf8')) as Record<string, unknown>;
      for (const [k, v] of Object.entries(doc)) expect(result.config[k], k).toEqual(v);
      expect(result.theory.regime).toMatch(/positive|negative|neutral/);
    });
  }

  for (const f of specs) {
    it(`sweep spec ${f} is valid as shipped and runs at a small size`, async () => {
      const { plan } = loadSweepSpec(join(examples, f));
      const study = planStudy(plan);
      expect(expandJobs(plan).jobs.length).toBeGreaterThan(1);
      const doc = parseYaml(readFileSync(join(examples, f), 'utf8')) as Record<string, Record<string, unknown>>;
      const sample = doc.sample as { keys?: Record<string, unknown> } | undefined;
      const axes = new Set([...Object.keys(doc.grid ?? {}), ...Object.keys(doc.zip ?? {}), ...Object.keys(sample?.keys ?? {})]);
      const ends = (axis: unknown) =>
        Array.isArray(axis) ? [...new Set([axis[0], axis[axis.length - 1]])] : axis && typeof axis === 'object' && 'num' in axis ? { ...axis, num: 2 } : axis;
      const shrunk = {
        ...doc,
        set: { ...doc.set, ...Object.fromEntries(Object.entries(small[study.name]).filter(([k]) => !axes.has(k))) },
        ...(doc.grid ? { grid: Object.fromEntries(Object.entries(doc.grid).map(([k, a]) => [k, ends(a)])) } : {}),
        // zip axes keep equal lengths: their ends, repeats and all
        ...(doc.zip ? { zip: Object.fromEntries(Object.entries(doc.zip).map(([k, a]) => [k, Array.isArray(a) ? [a[0], a[a.length - 1]] : ends(a)])) } : {}),
        ...(sample ? { sample: { ...sample, n: 2 } } : {}),
        seeds: 1,
      };
      const file = join(work, f);
      writeFileSync(file, stringify(shrunk));
      const out = join(work, f.replace('.yaml', ''));
      const r = await runCli(['sweep', file, '--out', out, '--workers', '2', '--no-progress']);
      expect(r.code, r.stderr).toBe(0);
      const agg = await runCli(['results', out, '--aggregate', '--format', 'json']);
      expect(agg.code, agg.stderr).toBe(0);
      const rows = JSON.parse(agg.stdout) as Record<string, unknown>[];
      expect(rows.length).toBeGreaterThan(1);
      for (const row of rows) expect(row.verdict).toMatch(/^(positive|negative|not significant)$/);
    });
  }

  it('the report of an example sweep has its figures and the disagreement section', async () => {
    const r = await runCli(['report', join(work, 'alpha-u')]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(join(work, 'alpha-u', 'report.html'), 'utf8');
    expect(html).toContain('Where theory and measurement disagree');
    expect(readdirSync(join(work, 'alpha-u', 'figures')).filter((n) => n.endsWith('.svg')).length).toBeGreaterThanOrEqual(5);
  });

  it('library.mjs runs against the package and prints its table', async () => {
    const r = await runProcess(process.execPath, [join(examples, 'library.mjs')]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^alpha {2}transfer error \[95%\]/);
    for (const line of lines.slice(1)) expect(line).toMatch(/(positive|negative|not significant) +Γ = -?\d\.\d\d \((positive|negative|neutral)\)$/);
  });

  it.skipIf(!python && !process.env.CI)('numpy_train.py writes safetensors, trains and evaluates with paratransfer, and agrees with NumPy', async () => {
    expect(python, 'CI needs a Python with NumPy').toBeDefined();
    const r = await runProcess(python!, [join(examples, 'numpy_train.py')]);
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('ok');
  });
});
