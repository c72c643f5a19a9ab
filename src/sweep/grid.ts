import { createHash } from 'node:crypto';
import { validateConfig } from '../config/load.js';
import { experimentKeys, type ConfigKey, type ExperimentConfig } from '../config/schema.js';

/** Config keys that hold integers: values of linear/log ranges over them are rounded to the nearest integer. */
export const integerKeys: readonly ConfigKey[] = ['d', 'n1', 'n2', 'nTest', 'm', 'patches', 'steps', 'seed', 'checkpoints'];

export type Scalar = number | string | boolean;

/** How one axis was written in a spec: explicit values or a range. */
export type AxisSpec = Scalar[] | { linear: [number, number]; num: number } | { log: [number, number]; num: number };

/** One axis of the grid: a single key, or (`zip:`) several keys varied together. values[i][k] goes with keys[k]. */
export interface Axis {
  keys: ConfigKey[];
  values: Scalar[][];
}

/** A sweep resolved to concrete values: what actually runs (presets and files already read). */
export interface SweepPlan {
  name: string;
  /** base config after `base:` and `set:`; its seed is replaced per run */
  base: ExperimentConfig;
  axes: Axis[];
  seeds: number[];
}

export interface Point {
  /** position in the grid, first axis slowest */
  index: number;
  /** the axis values of this point, in axis order */
  values: Partial<Record<ConfigKey, Scalar>>;
  /** the full validated config (seed = the base's; each job sets its own) */
  config: ExperimentConfig;
}

/** One (point, seed) run. `id` is derived from the full config, so it does not depend on the spec's layout. */
export interface SweepJob {
  id: string;
  point: number;
  seed: number;
  config: ExperimentConfig;
}

/** Values are kept to 12 significant digits so that ranges give clean, stable numbers (0.3, not 0.30000000000000004). */
const clean = (x: number) => Number(x.toPrecision(12));

/**
 * The values of one axis. Ranges are inclusive of both ends; `log` spaces them geometrically. Over integer keys
 * range values are rounded to the nearest integer and repeats dropped (log: [1, 10], num: 20 gives 1..10 once each).
 */
export function axisValues(key: ConfigKey, spec: AxisSpec): Scalar[] {
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
    const x = integerKeys.includes(key) ? Math.round(at(i)) : clean(at(i));
    if (!out.includes(x)) out.push(x);
  }
  return out;
}

/** The grid points of a plan: the Cartesian product of its axes, first axis outermost. Every point is validated. */
export function expandPoints(plan: SweepPlan, where = 'sweep'): Point[] {
  const points: Point[] = [];
  const total = plan.axes.reduce((n, a) => n * a.values.length, 1);
  for (let index = 0; index < total; index++) {
    const values: Partial<Record<ConfigKey, Scalar>> = {};
    let rest = index;
    for (let ax = plan.axes.length - 1; ax >= 0; ax--) {
      const axis = plan.axes[ax];
      const row = axis.values[rest % axis.values.length];
      rest = Math.floor(rest / axis.values.length);
      axis.keys.forEach((k, i) => (values[k] = row[i]));
    }
    // Keep values in axis order (the loop above filled them last axis first).
    const ordered: Partial<Record<ConfigKey, Scalar>> = {};
    for (const axis of plan.axes) for (const k of axis.keys) ordered[k] = values[k];
    const label = Object.entries(ordered)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const at = `${where}: grid point ${index}${label ? ` (${label})` : ''}`;
    const config = validateConfig({ ...plan.base, ...ordered }, at);
    points.push({ index, values: ordered, config });
  }
  return points;
}

/** The config as canonical JSON: keys in schema order, so equal configs give equal text. */
export function canonicalConfig(c: ExperimentConfig): string {
  const o: Record<string, unknown> = {};
  for (const k of experimentKeys) o[k] = c[k];
  return JSON.stringify(o);
}

/** A deterministic job id: the first 16 hex digits of SHA-256 of the canonical config (seed included). */
export function jobId(c: ExperimentConfig): string {
  return createHash('sha256').update(canonicalConfig(c)).digest('hex').slice(0, 16);
}

/** Every (point, seed) job of a plan, point-major (the export order). */
export function expandJobs(plan: SweepPlan, where?: string): { points: Point[]; jobs: SweepJob[] } {
  const points = expandPoints(plan, where);
  const jobs: SweepJob[] = [];
  for (const p of points) {
    for (const seed of plan.seeds) {
      const config = { ...p.config, seed };
      jobs.push({ id: jobId(config), point: p.index, seed, config });
    }
  }
  return { points, jobs };
}
