import { createHash } from 'node:crypto';
import { validateWith } from '../config/load.js';
import type { ConfigKey, ExperimentConfig } from '../config/schema.js';
import type { RealConfig } from '../real/config.js';
import { UserError } from '../util/errors.js';
import { familyNamed, familyOfConfig, integerKeys, type RealKey, type SweepConfig, type SweepFamily } from './family.js';

/** Config keys that hold integers: values of linear/log ranges over them are rounded to the nearest integer. */
export { integerKeys };

export type Scalar = number | string | boolean;

/** A value of a config key in a spec: a scalar, or a list of numbers (the class lists of the real-data study). */
export type AxisValue = Scalar | number[];

/** How one axis was written in a spec: explicit values or a range. */
export type AxisSpec = AxisValue[] | { linear: [number, number]; num: number } | { log: [number, number]; num: number };

/** One axis of the grid: a single key, or (`zip:`) several keys varied together. values[i][k] goes with keys[k]. */
export interface Axis<K extends string = ConfigKey> {
  keys: K[];
  values: AxisValue[][];
}

/** A sweep of the synthetic experiment resolved to concrete values: what actually runs (presets and files already read). */
export interface SweepPlan {
  name: string;
  /** absent for the synthetic experiment (stored plans of earlier versions have no such field) */
  family?: undefined;
  /** base config after `base:` and `set:`; its seed is replaced per run */
  base: ExperimentConfig;
  axes: Axis[];
  seeds: number[];
}

/** A sweep of the real-data study (src/real): the same structure over its config keys. */
export interface RealSweepPlan {
  name: string;
  family: 'real';
  base: RealConfig;
  axes: Axis<RealKey>[];
  seeds: number[];
}

/** A resolved sweep of either family (`family` tells them apart). */
export type AnySweepPlan = SweepPlan | RealSweepPlan;

/** The config type a plan runs. */
export type ConfigOf<P extends AnySweepPlan> = P extends RealSweepPlan ? RealConfig : ExperimentConfig;

export const isRealPlan = (p: AnySweepPlan): p is RealSweepPlan => p.family === 'real';

export const planFamily = (p: AnySweepPlan): SweepFamily => familyNamed(p.family);

/** The synthetic plan itself, or a one-line error where only synthetic sweeps make sense. */
export function syntheticPlan(p: AnySweepPlan, where = 'sweep'): SweepPlan {
  if (isRealPlan(p)) throw new UserError(`${where}: is a real-data sweep; only synthetic sweeps are allowed here`);
  return p;
}

export interface Point<C extends SweepConfig = ExperimentConfig> {
  /** position in the grid, first axis slowest */
  index: number;
  /** the axis values of this point, in axis order */
  values: Partial<Record<keyof C & string, AxisValue>>;
  /** the full validated config (seed = the base's; each job sets its own) */
  config: C;
}

/** One (point, seed) run. `id` is derived from the full config, so it does not depend on the spec's layout. */
export interface SweepJob<C extends SweepConfig = ExperimentConfig> {
  id: string;
  point: number;
  seed: number;
  config: C;
}

/** Values are kept to 12 significant digits so that ranges give clean, stable numbers (0.3, not 0.30000000000000004). */
const clean = (x: number) => Number(x.toPrecision(12));

/**
 * The values of one axis. Ranges are inclusive of both ends; `log` spaces them geometrically. Over integer keys
 * (of the family; the synthetic experiment's by default) range values are rounded to the nearest integer and
 * repeats dropped (log: [1, 10], num: 20 gives 1..10 once each).
 */
export function axisValues(key: string, spec: AxisSpec, ints: readonly string[] = integerKeys): AxisValue[] {
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

/** Validate with the family's schema; the first problem only, so the message stays one line. */
export function validateIn<C extends SweepConfig>(family: SweepFamily, input: unknown, where: string): C {
  try {
    return validateWith(family.configs, input, where) as C;
  } catch (e) {
    if (e instanceof UserError) throw new UserError(e.message.split('\n')[0]);
    throw e;
  }
}

/** The grid points of a plan: the Cartesian product of its axes, first axis outermost. Every point is validated. */
export function expandPoints<P extends AnySweepPlan>(plan: P, where = 'sweep'): Point<ConfigOf<P>>[] {
  const family = planFamily(plan);
  const axes: Axis<string>[] = plan.axes;
  const points: Point<ConfigOf<P>>[] = [];
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
    const config = validateIn<ConfigOf<P>>(family, { ...plan.base, ...ordered }, at);
    points.push({ index, values: ordered as Point<ConfigOf<P>>['values'], config });
  }
  return points;
}

/** The config as canonical JSON: keys in schema order (of its family), so equal configs give equal text. */
export function canonicalConfig(c: SweepConfig): string {
  const o: Record<string, unknown> = {};
  for (const k of familyOfConfig(c).configs.keys) o[k] = (c as Record<string, unknown>)[k];
  return JSON.stringify(o);
}

/**
 * A deterministic job id: the first 16 hex digits of SHA-256 of the canonical config (seed included). Real-data
 * configs hash "real:" before it, so the ids of the two families live apart.
 */
export function jobId(c: SweepConfig): string {
  return createHash('sha256')
    .update(familyOfConfig(c).idPrefix + canonicalConfig(c))
    .digest('hex')
    .slice(0, 16);
}

/** Every (point, seed) job of a plan, point-major (the export order). */
export function expandJobs<P extends AnySweepPlan>(
  plan: P,
  where?: string,
): { points: Point<ConfigOf<P>>[]; jobs: SweepJob<ConfigOf<P>>[] } {
  const points = expandPoints(plan, where);
  const jobs: SweepJob<ConfigOf<P>>[] = [];
  for (const p of points) {
    for (const seed of plan.seeds) {
      const config = { ...p.config, seed };
      jobs.push({ id: jobId(config), point: p.index, seed, config });
    }
  }
  return { points, jobs };
}
