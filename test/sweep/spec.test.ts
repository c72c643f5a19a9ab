import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentShape } from '../../src/config/schema.js';
import { defaultConfig } from '../../src/config/presets.js';
import { integerKeys } from '../../src/experiment/study.js';
import { axisValues as axisValuesOf, expandJobs, jobId } from '../../src/sweep/grid.js';
import { parseJobPayload } from '../../src/sweep/job.js';
import { loadSweepSpec, parseSweepSpec } from '../../src/sweep/spec.js';
import { userErrorOf } from '../helpers/errors.js';

/** Axis values over the synthetic experiment's keys. */
const axisValues = (key: string, spec: Parameters<typeof axisValuesOf>[1]) => axisValuesOf(key, spec, integerKeys);

const small = 'set: { d: 100, n1: 20, n2: 10, nTest: 100, m: 4, steps: 30 }\n';

/** The one-line UserError message of parsing `text`. */
const specError = (text: string): string => userErrorOf(() => parseSweepSpec(text, 'spec.yaml'));

describe('sweep spec validation', () => {
  it('accepts the documented form and resolves presets, set, grid and seeds', () => {
    const plan = parseSweepSpec(
      `base: negative-transfer\n${small}grid:\n  alpha: [0, 0.25, 0.5, 1]\n  uNorm: { log: [0.1, 3], num: 3 }\nseeds: 2\n`,
      'spec.yaml',
    );
    expect(plan.base.n1).toBe(20); // set overrides the preset's n1 = 800
    expect(plan.base.v1Norm).toBe(4); // from the preset
    expect(plan.axes.map((a) => a.keys)).toEqual([['alpha'], ['uNorm']]);
    expect(plan.axes[1].values.flat()).toEqual([0.1, 0.547722557505, 3]);
    expect(plan.seeds).toEqual([0, 1]);
    expect(expandJobs(plan).jobs).toHaveLength(4 * 3 * 2);
  });

  it('takes an inline base over the defaults and a seed list', () => {
    const plan = parseSweepSpec('base: { uNorm: 1.5, d: 300 }\nseeds: [3, 7]\n');
    expect(plan.base).toMatchObject({ ...defaultConfig, uNorm: 1.5, d: 300, seed: 0 });
    expect(plan.seeds).toEqual([3, 7]);
    expect(expandJobs(plan).jobs.map((j) => j.config.seed)).toEqual([3, 7]);
  });

  it('reads a base config file relative to the spec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-spec-'));
    writeFileSync(join(dir, 'base.yaml'), 'uNorm: 0.7\nm: 6\n');
    writeFileSync(join(dir, 'my sweep.yaml'), 'base: base.yaml\ngrid: { alpha: [0, 1] }\n');
    const { plan } = loadSweepSpec(join(dir, 'my sweep.yaml'));
    expect(plan.name).toBe('my-sweep');
    expect(plan.base.uNorm).toBe(0.7);
    expect(plan.base.m).toBe(6);
  });

  it.each([
    ['alpah: 3\n', /^spec\.yaml: unknown key "alpah" \(allowed: name, description, family, base, set, grid, zip, sample, seeds\)$/],
    ['base: nope\n', /field "base": "nope" is neither a preset .* nor a config file/],
    ['base: [1, 2]\n', /field "base": must be a preset name, a YAML config file or a mapping/],
    ['set: { alpah: 1 }\n', /field "set\.alpah": unknown synthetic config key "alpah"/],
    ['set: { seed: 1 }\n', /field "set\.seed": the seed is set by "seeds:"/],
    ['set: { alpha: 2 }\n', /base with set: field "alpha": must be a number in \[0, 1\] \(got 2\)/],
    ['grid: { alpha: 0.5 }\n', /field "grid\.alpha": must be a list of values, \{ linear: \[a, b\], num: k \} or \{ log/],
    ['grid: { alpha: [] }\n', /field "grid\.alpha": must list at least one value/],
    ['grid: { alpha: { linear: [0, 1], num: 0 } }\n', /field "grid\.alpha\.num": must be a positive integer/],
    ['grid: { alpha: { linear: [0, 1] } }\n', /field "grid\.alpha\.num": must be a positive integer/],
    ['grid: { uNorm: { log: [0, 1], num: 3 } }\n', /field "grid\.uNorm\.log\.0": log: \[a, b\] must be two positive numbers/],
    ['grid: { alpha: { linear: [0, 1], num: 2, step: 1 } }\n', /field "grid\.alpha": unknown key "step"/],
    ['grid: { inheritance: { linear: [0, 1], num: 2 } }\n', /field "grid\.inheritance": a linear or log range needs a numeric key/],
    ['grid: { alpha: [0, 0.5, 0.5] }\n', /field "grid\.alpha": value 0\.5 is listed twice/],
    ['grid: { seed: [1, 2] }\n', /field "grid\.seed": the seed is set by "seeds:"/],
    ['set: { alpha: 1 }\ngrid: { alpha: [0, 1] }\n', /field "grid\.alpha": "alpha" is also given in set/],
    ['grid: { alpha: [0, 1.5] }\n', /grid point 1 \(alpha=1\.5\): field "alpha": must be a number in \[0, 1\] \(got 1\.5\)/],
    ['grid: { d: [100, 150.5] }\n', /grid point 1 \(d=150\.5\): field "d": must be an integer/],
    ['grid: { inheritance: [random, sideways] }\n', /field "inheritance": must be one of random, first, entries/],
    ['zip: { uNorm: [1, 2], v1Norm: [1] }\n', /field "zip\.v1Norm": has 1 values but zip\.uNorm has 2/],
    ['grid: { uNorm: [1] }\nzip: { uNorm: [1, 2], v1Norm: [1, 2] }\n', /field "zip\.uNorm": "uNorm" is already an axis/],
    ['seeds: 0\n', /field "seeds": must be a positive integer/],
    ['seeds: [1, -2]\n', /field "seeds\.1": must be a list of non-negative integers/],
    ['seeds: [1, 1]\n', /field "seeds": a seed is listed twice/],
    ['name: "a b"\n', /field "name": must be a name of letters/],
    ['grid: [1, 2\n', /^spec\.yaml: not valid YAML/],
  ])('rejects %j with a one-line error naming the field', (text, pattern) => {
    expect(specError(text)).toMatch(pattern);
  });
});

describe('grid expansion', () => {
  it('expands linear ranges inclusively with clean values', () => {
    expect(axisValues('alpha', { linear: [0, 1], num: 5 })).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(axisValues('alpha', { linear: [0, 0.3], num: 4 })).toEqual([0, 0.1, 0.2, 0.3]);
    expect(axisValues('uNorm', { linear: [2, 2], num: 1 })).toEqual([2]);
    expect(axisValues('vCos', { linear: [1, -1], num: 3 })).toEqual([1, 0, -1]);
  });

  it('expands log ranges geometrically, endpoints exact', () => {
    expect(axisValues('uNorm', { log: [0.1, 10], num: 3 })).toEqual([0.1, 1, 10]);
    expect(axisValues('sigmaP1', { log: [1, 8], num: 4 })).toEqual([1, 2, 4, 8]);
    const v = axisValues('uNorm', { log: [0.1, 3], num: 4 }) as number[];
    expect(v[0]).toBe(0.1);
    expect(v[3]).toBe(3);
    expect(v[1] / v[0]).toBeCloseTo(v[2] / v[1], 9);
  });

  it('rounds integer keys to the nearest integer and drops repeats', () => {
    expect(axisValues('n1', { log: [10, 1000], num: 5 })).toEqual([10, 32, 100, 316, 1000]);
    expect(axisValues('d', { linear: [100, 200], num: 4 })).toEqual([100, 133, 167, 200]);
    expect(axisValues('m', { log: [1, 4], num: 8 })).toEqual([1, 2, 3, 4]);
    expect(axisValues('steps', { linear: [0, 2], num: 5 })).toEqual([0, 1, 2]);
  });

  it('keeps list values as written', () => {
    expect(axisValues('inheritance', ['first', 'random'])).toEqual(['first', 'random']);
  });

  it('knows exactly which keys hold integers', () => {
    for (const [key, schema] of Object.entries(experimentShape)) {
      const v = defaultConfig[key as keyof typeof defaultConfig];
      if (typeof v !== 'number') continue;
      // a non-integer next to the default: accepted exactly by the non-integer keys
      expect(schema.safeParse(v + 0.001).success, key).toBe(!integerKeys.includes(key as never));
    }
  });

  it('orders points with the first axis slowest and zip axes varied together', () => {
    const plan = parseSweepSpec(`${small}grid: { alpha: [0, 1], patches: [2, 3] }\nzip: { uNorm: [1, 2], v1Norm: [3, 4] }\nseeds: 1\n`);
    const { points } = expandJobs(plan);
    expect(points.map((p) => [p.config.alpha, p.config.patches, p.config.uNorm, p.config.v1Norm])).toEqual([
      [0, 2, 1, 3],
      [0, 2, 2, 4],
      [0, 3, 1, 3],
      [0, 3, 2, 4],
      [1, 2, 1, 3],
      [1, 2, 2, 4],
      [1, 3, 1, 3],
      [1, 3, 2, 4],
    ]);
    expect(points[5].values).toEqual({ alpha: 1, patches: 2, uNorm: 2, v1Norm: 4 });
  });

  it('derives job ids from the config and seed only', () => {
    const a = expandJobs(parseSweepSpec(`${small}grid: { alpha: [0, 0.5] }\nseeds: 2\n`)).jobs;
    // The same runs written differently (a list of seeds, the axis as a range, another name) have the same ids.
    const b = expandJobs(parseSweepSpec(`name: other\n${small}grid: { alpha: { linear: [0, 0.5], num: 2 } }\nseeds: [0, 1]\n`)).jobs;
    expect(b.map((j) => j.id)).toEqual(a.map((j) => j.id));
    expect(new Set(a.map((j) => j.id)).size).toBe(4);
    expect(a[1].id).toBe(jobId({ ...a[0].config, seed: 1 }));
    expect(a[0].id).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('job payloads', () => {
  const job = expandJobs(parseSweepSpec(small)).jobs[0];

  it('accepts a well-formed payload', () => {
    expect(parseJobPayload({ id: job.id, engine: 'dense', config: job.config }).config).toEqual(job.config);
  });

  it.each([
    [{ id: 'xyz', engine: 'dense', config: {} }, /field "id": must be 16 hex digits/],
    [{ engine: 'dense' }, /field "id"/],
    [{ id: '0123456789abcdef', engine: 'dense', config: { alpha: 1 } }, /config: field "d"/],
    [{ id: '0123456789abcdef', engine: 'warp', config: null }, /config/],
    [{ id: '0123456789abcdef', engine: 'dense', config: null }, /config/],
  ])('rejects a malformed payload %#', (payload, pattern) => {
    expect(() => parseJobPayload(payload)).toThrow(pattern);
  });

  it('rejects an unknown engine and an id that does not match the config', () => {
    expect(() => parseJobPayload({ id: job.id, engine: 'warp', config: job.config })).toThrow(/unknown engine "warp"/);
    expect(() => parseJobPayload({ id: '0123456789abcdef', engine: 'dense', config: job.config })).toThrow(
      /id does not match its config/,
    );
  });
});

describe('the silent cases are refused (issue 14)', () => {
  it('an empty spec is an error, not one default run', () => {
    for (const text of ['', '# nothing\n', '{}\n', '---\n']) {
      expect(specError(text)).toBe('spec.yaml: the spec is empty: give a base (a preset or config) and a grid of values (docs/sweeps.md)');
    }
  });

  it('an empty grid or zip (no axis at all) is an error; a base without any grid is a deliberate single point', () => {
    expect(specError('base: positive-transfer\ngrid: {}\n')).toBe(
      'spec.yaml: field "grid": is empty: list at least one key with its values, or leave grid out to run the base config over its seeds',
    );
    expect(specError('grid: {}\nzip: {}\n')).toMatch(/^spec\.yaml: field "grid": is empty/);
    expect(specError('base: positive-transfer\nzip: {}\n')).toMatch(/^spec\.yaml: field "zip": is empty/);
    // an empty grid beside a real zip axis leaves an axis: fine
    expect(parseSweepSpec(`${small}grid: {}\nzip: { alpha: [0, 1] }\n`, 'spec.yaml').axes).toHaveLength(1);
    const single = parseSweepSpec(`base: positive-transfer\n${small}seeds: 3\n`, 'spec.yaml');
    expect(single.axes).toEqual([]);
    expect(expandJobs(single).jobs).toHaveLength(3);
  });
});
