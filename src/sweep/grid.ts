import { createHash } from 'node:crypto';
import { validateWith } from '../config/load.js';
import { studyNamed, studyOfConfig } from '../study/registry.js';
import type { AnyStudy } from '../study/types.js';
import { UserError } from '../util/errors.js';

/** A config of any study: a mapping of its keys (validated by the study's schema). */
export type StudyConfig = Record<string, unknown>;

export type Scalar = number | string | boolean;

/** A value of a config key in a spec: a scalar, or a list of numbers (e.g. class lists). */
export type AxisValue = Scalar | number[];

/** How one axis was written in a spec: explicit values or a range. */
export type AxisSpec = AxisValue[] | { linear: [number, number]; num: number } | { log: [number, number]; num: number };

/** One axis of the grid: a single key, or (`zip:`) several keys varied together. values[i][k] goes with keys[k]. */
export interface Axis<K extends string = string> {
  keys: K[];
  values: AxisValue[][];
  /** the axis holds random configurations (`sample:`), not a grid: reports plot it by scatter, not by lines */
  sampled?: true;
}

/** A sweep resolved to concrete values: what actually runs (presets and files already read). */
export interface SweepPlan<C = StudyConfig> {
  name: string;
  /** the study (absent: the registry's default; stored plans of earlier versions of it have no such field) */
  family?: string;
  /** base config after `base:` and `set:`; its seed is replaced per run */
  base: C;
  axes: Axis[];
  seeds: number[];
}

/** Kept for readers of earlier versions' API: a plan of any study. */
export type AnySweepPlan = SweepPlan;

/** The study a plan runs. */
export const planStudy = (p: SweepPlan<unknown>): AnyStudy => studyNamed(p.family, `sweep ${p.name}`);

/** The plan itself if it runs `study`, else a one-line error (commands that only make sense for one study). */
export function planOf<C>(study: AnyStudy, p: SweepPlan<unknown>, where = 'sweep'): SweepPlan<C> {
  const s = planStudy(p);
  if (s !== study) throw new UserError(`${where}: is a ${s.adjective} sweep; only ${study.adjective} sweeps are allowed here`);
  return p as SweepPlan<C>;
}

/** One grid point of a sweep: its axis values and full config. */
export interface Point<C = StudyConfig> {
  /** position in the grid, first axis slowest */
  index: number;
  /** the axis values of this point, in axis order */
  values: Record<string, AxisValue>;
  /** the full validated config (seed = the base's; each job sets its own) */
  config: C;
}

/** One (point, seed) run. `id` is derived from the full config, so it does not depend on the spec's layout. */
export interface SweepJob<C = StudyConfig> {
  id: string;
  point: number;
  seed: number;
  config: C;
}

/** Values are kept to 12 significant digits so that ranges give clean, stable numbers (0.3, not 0.30000000000000004). */
const clean = (x: number) => Number(x.toPrecision(12));

/**
 * The values of one axis. Ranges are inclusive of both ends; `log` spaces them geometrically. Over integer keys
 * (of the study) range values are rounded to the nearest integer and
 * repeats dropped (log: [1, 10], num: 20 gives 1..10 once each).
 */
export function axisValues(key: string, spec: AxisSpec, ints: readonly string[]): AxisValue[] {
  if (Array.isArray(spec)) return [...spec];
  const num = spec.num;
  const [a, b] = 'linear' in spec ? spec.linear : spec.log;
  const at = (i: number) => {
    if (num === 1) return a;
    if (i === num - 1) return b;
    const t = i / (num - 1);
    return 'linear' in spec ? a + (b - a) * t : Math.exp(Math.log(a) + (Math.log(b) - Math.log(a)) * t);
  };
  const out: number[] = [];
  for (let i = 0; i < num; i++) {
    const x = ints.includes(key) ? Math.round(at(i)) : clean(at(i));
    if (!out.includes(x)) out.push(x);
  }
  return out;
}

/** A value as written in labels and messages: lists as JSON ([5,6]), everything else as text. */
export const showValue = (v: unknown): string => (Array.isArray(v) ? JSON.stringify(v) : String(v));

/** Validate with the study's schema; the first problem only, so the message stays one line. */
export function validateIn<C>(study: AnyStudy, input: unknown, where: string): C {
  try {
    return validateWith(study.configs, input, where) as C;
  } catch (e) {
    if (e instanceof UserError) throw new UserError(e.message.split('\n')[0]);
    throw e;
  }
}

/** The grid points of a plan: the Cartesian product of its axes, first axis outermost. Every point is validated. */
export function expandPoints<C>(plan: SweepPlan<C>, where = 'sweep'): Point<C>[] {
  const study = planStudy(plan);
  const axes = plan.axes;
  const points: Point<C>[] = [];
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  for (let index = 0; index < total; index++) {
    const values: Record<string, AxisValue> = {};
    let rest = index;
    for (let ax = axes.length - 1; ax >= 0; ax--) {
      const axis = axes[ax];
      const row = axis.values[rest % axis.values.length];
      rest = Math.floor(rest / axis.values.length);
      axis.keys.forEach((k, i) => (values[k] = row[i]));
    }
    // Keep values in axis order (the loop above filled them last axis first).
    const ordered: Record<string, AxisValue> = {};
    for (const axis of axes) for (const k of axis.keys) ordered[k] = values[k];
    const label = Object.entries(ordered)
      .map(([k, v]) => `${k}=${showValue(v)}`)
      .join(', ');
    const at = `${where}: grid point ${index}${label ? ` (${label})` : ''}`;
    const config = validateIn<C>(study, { ...plan.base, ...ordered }, at);
    points.push({ index, values: ordered, config });
  }
  return points;
}

/**
 * The config as canonical JSON: keys in its study's schema order, so equal configs give equal text. A key the study
 * added later is left out while it holds the value that reproduces earlier versions (`configs.added`), so a config
 * of an earlier version keeps its text, and its job id.
 */
export function canonicalConfig(c: object): string {
  const { keys, added = {} } = studyOfConfig(c).configs;
  const o: Record<string, unknown> = {};
  for (const k of keys) {
    const v = (c as Record<string, unknown>)[k];
    if (Object.hasOwn(added, k) && JSON.stringify(v) === JSON.stringify(added[k])) continue;
    o[k] = v;
  }
  return JSON.stringify(o);
}

/** A config as stored (canonical JSON may leave out keys added later): every key of its study, in schema order. */
export function completeConfig(study: AnyStudy, stored: StudyConfig): StudyConfig {
  const { keys, added = {} } = study.configs;
  return Object.fromEntries(keys.map((k) => [k, Object.hasOwn(stored, k) ? stored[k] : added[k]]));
}

/**
 * A deterministic job id: the first 16 hex digits of SHA-256 of the canonical config (seed included), after the
 * study's id prefix, so that the ids of two studies live apart.
 */
export function jobId(c: object): string {
  return createHash('sha256')
    .update(studyOfConfig(c).idPrefix + canonicalConfig(c))
    .digest('hex')
    .slice(0, 16);
}

/** Every (point, seed) job of a plan, point-major (the export order). */
export function expandJobs<C>(plan: SweepPlan<C>, where?: string): { points: Point<C>[]; jobs: SweepJob<C>[] } {
  const points = expandPoints(plan, where);
  const jobs: SweepJob<C>[] = [];
  for (const p of points) {
    for (const seed of plan.seeds) {
      const config = { ...p.config, seed } as C;
      jobs.push({ id: jobId(config as object), point: p.index, seed, config });
    }
  }
  return { points, jobs };
}
