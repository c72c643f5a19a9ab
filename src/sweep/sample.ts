import { z } from 'zod';
import { exp, log } from '../util/detmath.js';
import { Rng } from '../util/rng.js';
import type { AxisValue } from './grid.js';

/**
 * Random configurations (docs/sweeps.md §sample): n draws from per-key distributions, reproducible from the
 * sample's own seed.
 *
 *   sample:
 *     n: 200
 *     seed: 7
 *     keys:
 *       uNorm: { uniform: [0, 3] }
 *       n1: { logUniform: [20, 2000], integer: true }
 *       alpha: { choice: [0, 0.25, 0.5, 0.75, 1] }
 *
 * Each key draws from its own named stream of the seed (`sample:<key>`), value i being the i-th draw: adding a key
 * leaves the others' draws alone, and raising n keeps the first n configurations (a stored sweep is extended, not
 * redrawn). The draws become one axis of the plan (the keys varied together), so the store, resume, the queue,
 * exports and reports treat a sample like any grid.
 */

/** How one key is drawn. */
export type Distribution =
  | { uniform: [number, number]; integer?: boolean }
  | { logUniform: [number, number]; integer?: boolean }
  | { choice: AxisValue[] };

const count = z
  .number({ error: 'must be a positive integer' })
  .int({ error: 'must be a positive integer' })
  .min(1, { error: 'must be a positive integer' })
  .max(1_000_000, { error: 'must be at most 1000000' });

export const sampleSchema = z.strictObject(
  {
    n: count,
    seed: z
      .number({ error: 'must be a non-negative integer' })
      .int({ error: 'must be a non-negative integer' })
      .min(0, { error: 'must be a non-negative integer' })
      .max(Number.MAX_SAFE_INTEGER, { error: 'must be a non-negative integer' }),
    keys: z
      .record(z.string(), z.unknown(), { error: 'must be a mapping of config keys to distributions' })
      .refine((k) => Object.keys(k).length > 0, { message: 'must name at least one config key' }),
  },
  { error: 'must be a mapping with keys n, seed and keys' },
);

/** The `sample:` section of a sweep spec (distributions still unchecked: see `parseDistribution`). */
export type SampleSpec = z.infer<typeof sampleSchema>;

export const sampleKeys = ['n', 'seed', 'keys'];
const kinds = ['uniform', 'logUniform', 'choice'] as const;
const distributionMessage = 'must be { uniform: [a, b] }, { logUniform: [a, b] } or { choice: [values] }, optionally with integer: true';

const isValue = (v: unknown): v is AxisValue =>
  typeof v === 'number' ||
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (Array.isArray(v) && v.every((x) => typeof x === 'number'));

/** What `parseDistribution` checks a distribution against: the key's own field. */
export interface SampledKey {
  /** the key holds numbers (a range needs one) */
  numeric: boolean;
  /** the key holds integers: range draws are rounded */
  integer: boolean;
  /** why a value is not allowed for the key (its field schema's message), or undefined */
  invalid(value: unknown): string | undefined;
}

/**
 * Check one key's distribution; `problem` receives the field path below the key and the message (one line). Each
 * end of a range (rounded where draws are) and each choice must be a value the key allows.
 */
export function parseDistribution(input: unknown, key: SampledKey, problem: (path: string, message: string) => never): Distribution {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return problem('', distributionMessage);
  const o = input as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !(kinds as readonly string[]).includes(k) && k !== 'integer');
  if (unknown.length) {
    return problem('', `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (allowed: ${kinds.join(', ')}, integer)`);
  }
  const given = kinds.filter((k) => k in o);
  if (given.length !== 1) return problem('', distributionMessage);
  const kind = given[0];
  if ('integer' in o && typeof o.integer !== 'boolean') return problem('.integer', 'must be true or false');
  if (kind === 'choice') {
    if ('integer' in o) return problem('.integer', 'applies to uniform and logUniform draws, not to choice');
    const list = o.choice;
    if (!Array.isArray(list) || !list.length) return problem('.choice', 'must be a non-empty list of values');
    list.forEach((v, i) => {
      if (!isValue(v)) problem(`.choice.${i}`, 'must be a number, a string, true/false or a list of numbers');
      const bad = key.invalid(v);
      if (bad) problem(`.choice.${i}`, `${bad} (got ${JSON.stringify(v)})`);
    });
    return { choice: list as AxisValue[] };
  }
  if (!key.numeric) return problem('', `a ${kind} draw needs a numeric key; use choice`);
  const range = o[kind];
  const positive = kind === 'logUniform';
  const what = `must be [a, b]: two ${positive ? 'positive ' : ''}numbers with a ≤ b`;
  if (!Array.isArray(range) || range.length !== 2 || !range.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    return problem(`.${kind}`, what);
  }
  const [a, b] = range as [number, number];
  if (a > b || (positive && a <= 0)) return problem(`.${kind}`, what);
  const round = o.integer === true || key.integer;
  for (const [i, x] of [a, b].entries()) {
    // Draws of integers are rounded, so only the rounded ends need to be allowed.
    const bad = key.invalid(round ? Math.round(x) : x);
    if (bad) problem(`.${kind}.${i}`, `${bad} (got ${x}${round && Math.round(x) !== x ? `, rounded to ${Math.round(x)}` : ''})`);
  }
  const integer = o.integer === true ? { integer: true } : {};
  return kind === 'uniform' ? { uniform: [a, b], ...integer } : { logUniform: [a, b], ...integer };
}

/** Values are kept to 12 significant digits, as range values are: short, stable numbers in ids and tables. */
const clean = (x: number) => Number(x.toPrecision(12));

/** The n values of one key, from its own stream of the sample's seed; `round` for integer keys. */
export function drawKey(key: string, dist: Distribution, n: number, seed: number, round: boolean): AxisValue[] {
  const rng = new Rng(seed, `sample:${key}`);
  const out: AxisValue[] = [];
  for (let i = 0; i < n; i++) {
    if ('choice' in dist) {
      const v = dist.choice[rng.int(dist.choice.length)];
      out.push(Array.isArray(v) ? [...v] : v);
      continue;
    }
    const u = rng.uniform();
    let x: number;
    if ('uniform' in dist) {
      const [a, b] = dist.uniform;
      x = a + (b - a) * u;
    } else {
      const [a, b] = dist.logUniform;
      x = exp(log(a) + (log(b) - log(a)) * u);
    }
    out.push(round || dist.integer ? Math.round(x) : clean(x));
  }
  return out;
}
