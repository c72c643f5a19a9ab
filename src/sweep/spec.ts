import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadWith, presetConfigOf } from '../config/load.js';
import { UserError } from '../util/errors.js';
import { defaultStudy, studies, studyChoice, studyNamed, studyNames, studyOfKeys, studyOfPreset } from '../study/registry.js';
import type { AnyStudy } from '../study/types.js';
import { drawKey, parseDistribution, sampleKeys, sampleSchema } from './sample.js';
import { axisValues, expandJobs, showValue, validateIn, type Axis, type AxisSpec, type AxisValue, type StudyConfig, type SweepPlan } from './grid.js';


/**
 * The sweep spec file (docs/sweeps.md):
 *   name: alpha-sweep            # optional, default: the file name
 *   family: real                 # optional: the study (src/study/registry.ts), inferred from base; default: the first
 *   base: positive-transfer      # a preset, a YAML config file (relative to the spec), or a mapping of config keys
 *   set: { steps: 100 }          # overrides of the base
 *   grid: { alpha: [0, 0.5, 1], uNorm: { log: [0.1, 3], num: 3 } }
 *   zip: { uNorm: [1, 2], v1Norm: [2, 4] }   # keys varied together, one extra axis
 *   sample: { n: 200, seed: 7, keys: { uNorm: { uniform: [0, 3] } } }   # random configurations, one axis (first)
 *   seeds: 2                     # seeds 0..1, or a list
 */
const scalarMessage = 'must be a number, a string, true/false or a list of numbers';
const scalar = z.union([z.number(), z.string(), z.boolean(), z.array(z.number())], { error: scalarMessage });
const count = z
  .number({ error: 'must be a positive integer' })
  .int({ error: 'must be a positive integer' })
  .min(1, { error: 'must be a positive integer' })
  .max(1_000_000, { error: 'must be at most 1000000' });
const seedValue = z
  .number({ error: 'must be a list of non-negative integers' })
  .int({ error: 'must be a list of non-negative integers' })
  .min(0, { error: 'must be a list of non-negative integers' })
  .max(Number.MAX_SAFE_INTEGER, { error: 'must be a list of non-negative integers' });
const finite = (what: string) =>
  z.number({ error: what }).refine(Number.isFinite, { message: what });
const linearEnd = finite('linear: [a, b] must be two numbers');
const logMessage = 'log: [a, b] must be two positive numbers';
const logEnd = finite(logMessage).refine((x) => x > 0, { message: logMessage });
const axisMessage = 'must be a list of values, { linear: [a, b], num: k } or { log: [a, b], num: k }';
const axisSchema = z.union(
  [
    z.array(scalar, { error: axisMessage }).min(1, { error: 'must list at least one value' }),
    z.strictObject(
      { linear: z.tuple([linearEnd, linearEnd]), num: count },
      { error: axisMessage },
    ),
    z.strictObject(
      { log: z.tuple([logEnd, logEnd]), num: count },
      { error: axisMessage },
    ),
  ],
  { error: axisMessage },
);

export const sweepSpecSchema = z.strictObject(
  {
    name: z
      .string({ error: 'must be a name of letters, digits, ".", "_" or "-"' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'must be a name of letters, digits, ".", "_" or "-"' })
      .optional(),
    description: z.string({ error: 'must be text' }).optional(),
    family: z
      .string({ error: `must be ${studyChoice}` })
      .refine((x) => studyNames.includes(x), { error: `must be ${studyChoice}` })
      .optional(),
    base: z
      .union([z.string(), z.record(z.string(), z.unknown())], {
        error: 'must be a preset name, a YAML config file or a mapping of config keys',
      })
      .optional(),
    set: z.record(z.string(), scalar, { error: 'must be a mapping of config keys to values' }).optional(),
    grid: z.record(z.string(), axisSchema, { error: 'must be a mapping of config keys to axes' }).optional(),
    zip: z.record(z.string(), axisSchema, { error: 'must be a mapping of config keys to axes of equal length' }).optional(),
    sample: sampleSchema.optional(),
    seeds: z
      .union([count, z.array(seedValue, { error: 'must be a count or a list of non-negative integers' }).min(1)], {
        error: 'must be a count (seeds 0..n-1) or a list of non-negative integers',
      })
      .optional(),
  },
  { error: 'must be a mapping with keys name, description, family, base, set, grid, zip, sample, seeds' },
);

/** A sweep spec as written in YAML (docs/sweeps.md), before presets and files are read. */
export type SweepSpec = z.infer<typeof sweepSpecSchema>;

const specKeys = ['name', 'description', 'family', 'base', 'set', 'grid', 'zip', 'sample', 'seeds'];

/** The keys allowed where an unknown key was found. */
function allowedAt(path: readonly PropertyKey[]): string {
  if (path.length === 0) return specKeys.join(', ');
  if (path[0] === 'sample') return sampleKeys.join(', ');
  return 'linear or log, with num';
}

/** The most specific issue: inside a union, the branch the value matched best (its outer type, fewest issues). */
function specificIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || !issue.errors.length) return issue;
  let best: z.core.$ZodIssue[] | undefined;
  for (const branch of issue.errors) {
    if (!branch.length || branch.some((i) => i.code === 'invalid_type' && i.path.length === 0)) continue;
    if (!best || branch.length < best.length) best = branch;
  }
  if (!best) return issue;
  const inner = specificIssue(best[0]);
  return { ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue;
}

/** The first zod issue as one line naming the field. */
function firstIssue(error: z.ZodError, where: string): string {
  const issue = specificIssue(error.issues[0]);
  const path = issue.path.join('.');
  const field = path ? `field "${path}": ` : '';
  if (issue.code === 'unrecognized_keys') {
    return `${where}: ${field}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys
      .map((k) => `"${k}"`)
      .join(', ')} (allowed: ${allowedAt(issue.path)})`;
  }
  return `${where}: ${field}${issue.message}`;
}

function checkKey(study: AnyStudy, key: string, field: string, where: string): string {
  const keys = study.configs.keys;
  if (!keys.includes(key)) {
    throw new UserError(`${where}: field "${field}": unknown ${study.adjective} config key "${key}" (allowed: ${keys.join(', ')})`);
  }
  if (key === 'seed') throw new UserError(`${where}: field "${field}": the seed is set by "seeds:", not here`);
  return key;
}

function resolveAxis(study: AnyStudy, key: string, spec: AxisSpec, field: string, where: string): AxisValue[] {
  if (!Array.isArray(spec) && typeof (study.configs.defaults as Record<string, unknown>)[key] !== 'number') {
    throw new UserError(`${where}: field "${field}": a linear or log range needs a numeric key; list the values instead`);
  }
  if (!Array.isArray(spec) && 'log' in spec && study.integerKeys.includes(key) && spec.log.some((x) => x < 0.5)) {
    throw new UserError(`${where}: field "${field}": log range of an integer key must start at ≥ 1`);
  }
  const values = axisValues(key, spec, study.integerKeys);
  const seen = new Set<string>();
  for (const v of values) {
    const k = JSON.stringify(v);
    if (seen.has(k)) throw new UserError(`${where}: field "${field}": value ${k} is listed twice`);
    seen.add(k);
  }
  return values;
}

/**
 * The `sample:` section as one axis (its keys varied together, one row per draw), checked key by key: a range
 * needs a numeric key, integer keys are rounded as ranges are, and two draws may not give the same configuration.
 */
function sampleAxis(
  study: AnyStudy,
  sample: NonNullable<SweepSpec['sample']>,
  claim: (k: string, field: string) => string,
  where: string,
): Axis {
  const keys: string[] = [];
  const columns: AxisValue[][] = [];
  for (const [k, input] of Object.entries(sample.keys)) {
    const field = `sample.keys.${k}`;
    const key = claim(k, field);
    const fail = (path: string, message: string): never => {
      throw new UserError(`${where}: field "${field}${path}": ${message}`);
    };
    const schema = study.configs.fields[key];
    const dist = parseDistribution(
      input,
      {
        numeric: typeof (study.configs.defaults as Record<string, unknown>)[key] === 'number',
        integer: study.integerKeys.includes(key),
        invalid: (v) => {
          const r = schema.safeParse(v);
          return r.success ? undefined : r.error.issues[0].message;
        },
      },
      fail,
    );
    keys.push(key);
    columns.push(drawKey(key, dist, sample.n, sample.seed, study.integerKeys.includes(key)));
  }
  const rows = columns[0].map((_, i) => columns.map((c) => c[i]));
  const first = new Map<string, number>();
  rows.forEach((row, i) => {
    const text = JSON.stringify(row);
    const j = first.get(text);
    if (j !== undefined) {
      throw new UserError(
        `${where}: field "sample": draws ${j} and ${i} give the same configuration (${keys
          .map((k, c) => `${k}=${showValue(row[c])}`)
          .join(', ')}); lower n or widen the distributions`,
      );
    }
    first.set(text, i);
  });
  return { keys, values: rows, sampled: true };
}

/** The study a `base:` names: a preset of any study, or a config file or mapping by its keys. */
function baseStudy(base: SweepSpec['base'], specDir: string): AnyStudy | undefined {
  if (base === undefined) return undefined;
  if (typeof base !== 'string') return studyOfKeys(Object.keys(base));
  const byPreset = studyOfPreset(base);
  if (byPreset) return byPreset;
  const file = resolve(specDir, base);
  if (!existsSync(file)) return undefined;
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // the family's loader reports the file
  }
  return doc && typeof doc === 'object' && !Array.isArray(doc) ? studyOfKeys(Object.keys(doc)) : undefined;
}

/** The sweep's study: `family:` if given (it must agree with the base), else what the base names. */
function resolveStudy(spec: SweepSpec, specDir: string, where: string): AnyStudy {
  const inferred = baseStudy(spec.base, specDir);
  if (!spec.family) return inferred ?? defaultStudy;
  const chosen = studyNamed(spec.family);
  if (inferred && inferred !== chosen) {
    const base = spec.base;
    const what =
      typeof base !== 'string'
        ? `the mapping holds ${inferred.adjective} keys`
        : `"${base}" is a ${inferred.adjective} ${studyOfPreset(base) === inferred ? 'preset' : 'config file'}`;
    throw new UserError(`${where}: field "base": ${what}, but family is ${spec.family}`);
  }
  return chosen;
}

/** The base config: a preset, a config file next to the spec, or an inline mapping over the study's defaults. */
function resolveBase(study: AnyStudy, base: SweepSpec['base'], specDir: string, where: string): Record<string, unknown> {
  const { configs } = study;
  if (base === undefined) return { ...configs.defaults };
  if (typeof base === 'string') {
    const preset = presetConfigOf(configs, base);
    if (preset) return { ...preset };
    const file = resolve(specDir, base);
    if (existsSync(file)) return { ...loadWith(configs, file) };
    const names = studies.flatMap((s) => s.configs.presets.map((p) => p.name));
    throw new UserError(`${where}: field "base": "${base}" is neither a preset (${names.join(', ')}) nor a config file`);
  }
  for (const k of Object.keys(base)) checkKey(study, k, `base.${k}`, where);
  return { ...configs.defaults, ...base };
}

/**
 * Parse and resolve a sweep spec of any study: YAML text → validated plan with concrete axis values. Every grid
 * point is validated with its study's schema here, so a bad value is reported before anything runs.
 * `where` names the file in errors; `specDir` resolves a `base:` config file.
 */
export function parseSweepSpec<C = StudyConfig>(text: string, where = 'sweep spec', specDir = '.', defaultName = 'sweep'): SweepPlan<C> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new UserError(`${where}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  // An empty spec would run one default config and look like a sweep: refuse it.
  if (doc === null || doc === undefined || (typeof doc === 'object' && !Array.isArray(doc) && !Object.keys(doc).length)) {
    throw new UserError(`${where}: the spec is empty: give a base (a preset or config) and a grid of values (docs/sweeps.md)`);
  }
  const r = sweepSpecSchema.safeParse(doc);
  if (!r.success) throw new UserError(firstIssue(r.error, where));
  return resolveSpec(r.data, where, specDir, defaultName) as SweepPlan<C>;
}

export function resolveSpec(spec: SweepSpec, where = 'sweep spec', specDir = '.', defaultName = 'sweep'): SweepPlan {
  const study = resolveStudy(spec, specDir, where);
  const base = resolveBase(study, spec.base, specDir, where);
  for (const [k, v] of Object.entries(spec.set ?? {})) base[checkKey(study, k, `set.${k}`, where)] = v;
  base.seed = 0;
  const baseConfig = validateIn<Record<string, unknown>>(study, base, `${where}: base with set`);
  const axes: Axis[] = [];
  const used = new Set<string>();
  const claim = (k: string, field: string) => {
    const key = checkKey(study, k, field, where);
    if (spec.set && k in spec.set) throw new UserError(`${where}: field "${field}": "${k}" is also given in set`);
    if (used.has(k)) throw new UserError(`${where}: field "${field}": "${k}" is already an axis`);
    used.add(k);
    return key;
  };
  if (spec.sample) axes.push(sampleAxis(study, spec.sample, claim, where));
  for (const [k, axis] of Object.entries(spec.grid ?? {})) {
    const key = claim(k, `grid.${k}`);
    axes.push({ keys: [key], values: resolveAxis(study, key, axis as AxisSpec, `grid.${k}`, where).map((v) => [v]) });
  }
  const zipEntries = Object.entries(spec.zip ?? {});
  if (zipEntries.length) {
    const keys: string[] = [];
    const columns: AxisValue[][] = [];
    for (const [k, axis] of zipEntries) {
      keys.push(claim(k, `zip.${k}`));
      const vals = axisValues(keys[keys.length - 1], axis as AxisSpec, study.integerKeys);
      if (columns.length && vals.length !== columns[0].length) {
        throw new UserError(
          `${where}: field "zip.${k}": has ${vals.length} values but zip.${zipEntries[0][0]} has ` +
            `${columns[0].length}; zipped axes need equal lengths`,
        );
      }
      columns.push(vals);
    }
    const rows = columns[0].map((_, i) => columns.map((c) => c[i]));
    const seen = new Set(rows.map((r) => JSON.stringify(r)));
    if (seen.size !== rows.length) throw new UserError(`${where}: field "zip": a combination of values is listed twice`);
    axes.push({ keys, values: rows });
  }

  // `grid: {}` (or `zip: {}`) names no axis: it would silently run the base alone.
  if (!axes.length && (spec.grid !== undefined || spec.zip !== undefined)) {
    const field = spec.grid !== undefined ? 'grid' : 'zip';
    throw new UserError(
      `${where}: field "${field}": is empty: list at least one key with its values, or leave ${field} out to run the base config over its seeds`,
    );
  }

  const seeds = typeof spec.seeds === 'number' ? Array.from({ length: spec.seeds }, (_, i) => i) : (spec.seeds ?? [0]);
  if (new Set(seeds).size !== seeds.length) throw new UserError(`${where}: field "seeds": a seed is listed twice`);

  const name = spec.name ?? defaultName;
  // The default study's plans keep their historical shape (no family field), so stored plans of earlier versions read the same.
  const plan: SweepPlan = study === defaultStudy ? { name, base: baseConfig, axes, seeds } : { name, family: study.name, base: baseConfig, axes, seeds };
  expandJobs(plan, where); // validates every point now
  return plan;
}

/** Read and resolve a spec file (the `sweep` command). */
export function loadSweepSpec(file: string): { plan: SweepPlan; text: string } {
  if (!existsSync(file)) throw new UserError(`${file}: no such sweep spec file`);
  const text = readFileSync(file, 'utf8');
  const name = file.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/i, '').replace(/[^A-Za-z0-9._-]/g, '-') || 'sweep';
  return { plan: parseSweepSpec(text, file, dirname(resolve(file)), name), text };
}
