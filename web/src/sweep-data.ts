/**
 * Reading a sweep export (`paratransfer results DIR --format json|csv [--aggregate]`) into grid points with
 * intervals over seeds and the theory's prediction at each point. Tolerant of layout (JSON array, nested or dotted
 * keys, CSV, per-run or aggregated rows, missing config columns), strict about values (zod, one message naming the
 * row and field).
 */
import { z } from 'zod';
import {
  defaultConfig,
  defaultConstants,
  experimentKeys,
  experimentShape,
  fitConstants,
  predict,
  tInterval,
  type ConfigKey,
  type ExperimentConfig,
  type Interval,
  type Observation,
  type Prediction,
  type TheoryConstants,
} from '../../src/browser.js';

export type Cell = number | string | boolean | null;
export type Row = Record<string, Cell>;

/** The config keys a grid point is made of (the seed is what varies within a point). */
export const pointKeys = experimentKeys.filter((k) => k !== 'seed');

export class ExportError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function flattenInto(out: Row, obj: Record<string, unknown>, prefix: string): void {
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (isObject(v)) flattenInto(out, v, name);
    else if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[name] = v;
  }
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF) into rows of cells; numbers and booleans are typed. */
export function parseCsv(text: string): Row[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || record.length) {
    record.push(field);
    records.push(record);
  }
  const [header, ...body] = records.filter((r) => r.length > 1 || r[0] !== '');
  if (!header) return [];
  const typed = (s: string): Cell => {
    if (s === '') return null;
    if (s === 'true' || s === 'false') return s === 'true';
    const n = Number(s);
    return Number.isNaN(n) && s !== 'NaN' ? s : n;
  };
  return body.map((r, i) => {
    if (r.length !== header.length) throw new ExportError(`CSV line ${i + 2}: ${r.length} fields, the header has ${header.length}`);
    return Object.fromEntries(header.map((h, k) => [h, typed(r[k])]));
  });
}

/** The rows of an export, whatever its layout. */
export function parseExport(text: string): Row[] {
  const t = text.trimStart();
  if (!t) throw new ExportError('the file is empty');
  if (t[0] !== '[' && t[0] !== '{') return parseCsv(text);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ExportError(`not valid JSON: ${(e as Error).message}`);
  }
  if (isObject(doc)) {
    const obj = doc;
    const inner = ['rows', 'runs', 'points', 'data'].map((k) => obj[k]).find(Array.isArray);
    if (!inner) throw new ExportError('expected a JSON array of rows (or an object with a "rows" array)');
    doc = inner;
  }
  const arr = doc as unknown[];
  return arr.map((r, i) => {
    if (!isObject(r)) throw new ExportError(`row ${i + 1}: expected an object`);
    const out: Row = {};
    flattenInto(out, r, '');
    return out;
  });
}

const errorRate = z.number({ error: 'must be a number in [0, 1]' }).min(0, { error: 'must be a number in [0, 1]' }).max(1, { error: 'must be a number in [0, 1]' });
const optNumber = z.number({ error: 'must be a number or null' }).nullable().optional();

const runRowSchema = z.looseObject({
  seed: z.number({ error: 'must be an integer ≥ 0' }).int({ error: 'must be an integer ≥ 0' }).min(0, { error: 'must be an integer ≥ 0' }),
  'transfer.testError': errorRate,
  'scratch.testError': errorRate,
  'upstream.testError': errorRate.nullable().optional(),
  gain: optNumber,
  engine: z.string({ error: 'must be a string' }).nullable().optional(),
});

const aggregateRowSchema = z.looseObject({
  seeds: z.number({ error: 'must be an integer ≥ 1' }).int().min(1, { error: 'must be an integer ≥ 1' }).nullable().optional(),
  'transfer.testError.mean': errorRate,
  'scratch.testError.mean': errorRate,
  'transfer.testError.lo': optNumber,
  'transfer.testError.hi': optNumber,
  'scratch.testError.lo': optNumber,
  'scratch.testError.hi': optNumber,
  'upstream.testError.mean': errorRate.nullable().optional(),
  'gain.mean': optNumber,
  'gain.lo': optNumber,
  'gain.hi': optNumber,
  negativeFraction: z.number({ error: 'must be a number in [0, 1]' }).min(0).max(1).nullable().optional(),
});

export interface SweepPoint {
  /** the point's config (seed 0; keys missing from the export take the defaults) */
  config: ExperimentConfig;
  seeds: number;
  transfer: Interval;
  scratch: Interval;
  upstream: Interval | null;
  gain: Interval;
  negativeFraction: number | null;
  prediction: Prediction;
  /** sign of the mean gain */
  observed: 'positive' | 'negative' | 'neutral';
}

export interface Agreement {
  /** points where both the prediction and the mean measured gain have a sign */
  n: number;
  agree: number;
  rate: number | null;
}

export interface Sweep {
  kind: 'runs' | 'aggregate';
  rows: number;
  points: SweepPoint[];
  /** config keys with more than one value, in config-key order, and their sorted values */
  varied: ConfigKey[];
  values: Partial<Record<ConfigKey, Cell[]>>;
  /** config keys the export did not carry (the defaults were assumed) */
  assumed: ConfigKey[];
  engines: string[];
  agreement: Agreement;
  /** the theory's constants refitted to this sweep (c, and the threshold γ₀ on Γ) and the agreement with them */
  fitted: TheoryConstants;
  fittedAgreement: Agreement;
}

function rowError(i: number, issue: z.core.$ZodIssue): ExportError {
  const field = issue.path.join('.');
  return new ExportError(`row ${i + 1}: field "${field}": ${issue.message}`);
}

/** The config of one row: keys present are validated with the experiment schema, missing ones default. */
function rowConfig(row: Row, i: number): ExperimentConfig {
  const c: Record<string, unknown> = { ...defaultConfig, seed: 0 };
  for (const k of pointKeys) {
    if (row[k] === undefined || row[k] === null) continue;
    const r = experimentShape[k].safeParse(row[k]);
    if (!r.success) throw new ExportError(`row ${i + 1}: field "${k}": ${r.error.issues[0].message} (got ${JSON.stringify(row[k])})`);
    c[k] = r.data;
  }
  return c as ExperimentConfig;
}

const pointKeyOf = (c: ExperimentConfig) => JSON.stringify(pointKeys.map((k) => c[k]));

const fromAggregate = (mean: number | null | undefined, lo: number | null | undefined, hi: number | null | undefined, n: number): Interval => ({
  n,
  mean: mean ?? null,
  lo: lo ?? null,
  hi: hi ?? null,
});

function observedOf(gain: number | null): SweepPoint['observed'] {
  return gain === null || gain === 0 ? 'neutral' : gain > 0 ? 'positive' : 'negative';
}

function agreementOf(points: readonly SweepPoint[], gamma0: number): Agreement {
  let n = 0;
  let agree = 0;
  for (const p of points) {
    const G = p.prediction.Gamma;
    if (p.observed === 'neutral' || G === gamma0 || Number.isNaN(G)) continue;
    n++;
    if ((G > gamma0) === (p.observed === 'positive')) agree++;
  }
  return { n, agree, rate: n ? agree / n : null };
}

/** Validate the rows and group them into grid points. */
export function buildSweep(rows: Row[]): Sweep {
  if (!rows.length) throw new ExportError('the export holds no rows');
  const aggregate = 'transfer.testError.mean' in rows[0];
  if (!aggregate && !('transfer.testError' in rows[0])) {
    throw new ExportError(
      'not a paratransfer sweep export: rows need "transfer.testError" (one row per run) or "transfer.testError.mean" (--aggregate)',
    );
  }
  const engines = new Set<string>();
  const points: SweepPoint[] = [];
  const observations: Observation[] = [];
  if (aggregate) {
    rows.forEach((row, i) => {
      const r = aggregateRowSchema.safeParse(row);
      if (!r.success) throw rowError(i, r.error.issues[0]);
      const a = r.data;
      const config = rowConfig(row, i);
      const n = a.seeds ?? 1;
      const gainMean = a['gain.mean'] ?? a['scratch.testError.mean'] - a['transfer.testError.mean'];
      points.push({
        config,
        seeds: n,
        transfer: fromAggregate(a['transfer.testError.mean'], a['transfer.testError.lo'], a['transfer.testError.hi'], n),
        scratch: fromAggregate(a['scratch.testError.mean'], a['scratch.testError.lo'], a['scratch.testError.hi'], n),
        upstream: a['upstream.testError.mean'] == null ? null : fromAggregate(a['upstream.testError.mean'], null, null, n),
        gain: fromAggregate(gainMean, a['gain.lo'], a['gain.hi'], n),
        negativeFraction: a.negativeFraction ?? null,
        prediction: predict(config),
        observed: observedOf(gainMean),
      });
      observations.push({ config, scratchError: a['scratch.testError.mean'], transferError: a['transfer.testError.mean'], nTest: config.nTest });
    });
  } else {
    const groups = new Map<string, { config: ExperimentConfig; runs: z.infer<typeof runRowSchema>[] }>();
    rows.forEach((row, i) => {
      const r = runRowSchema.safeParse(row);
      if (!r.success) throw rowError(i, r.error.issues[0]);
      const config = rowConfig(row, i);
      if (r.data.engine) engines.add(r.data.engine);
      const key = pointKeyOf(config);
      const g = groups.get(key) ?? { config, runs: [] };
      g.runs.push(r.data);
      groups.set(key, g);
      observations.push({ config, scratchError: r.data['scratch.testError'], transferError: r.data['transfer.testError'], nTest: config.nTest });
    });
    for (const { config, runs } of groups.values()) {
      const gains = runs.map((r) => r.gain ?? r['scratch.testError'] - r['transfer.testError']);
      const upstream = runs.map((r) => r['upstream.testError'] ?? null);
      const gain = tInterval(gains);
      points.push({
        config,
        seeds: runs.length,
        transfer: tInterval(runs.map((r) => r['transfer.testError'])),
        scratch: tInterval(runs.map((r) => r['scratch.testError'])),
        upstream: upstream.some((u) => u !== null) ? tInterval(upstream) : null,
        gain,
        negativeFraction: gains.filter((g) => g < 0).length / gains.length,
        prediction: predict(config),
        observed: observedOf(gain.mean),
      });
    }
  }
  const values: Partial<Record<ConfigKey, Cell[]>> = {};
  const varied: ConfigKey[] = [];
  for (const k of pointKeys) {
    const distinct = [...new Set(points.map((p) => p.config[k] as Cell))];
    distinct.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
    values[k] = distinct;
    if (distinct.length > 1) varied.push(k);
  }
  const fitted = fitConstants(observations, defaultConstants);
  return {
    kind: aggregate ? 'aggregate' : 'runs',
    rows: rows.length,
    points,
    varied,
    values,
    assumed: pointKeys.filter((k) => !rows.some((r) => r[k] !== undefined && r[k] !== null)),
    engines: [...engines],
    agreement: agreementOf(points, defaultConstants.gamma0),
    fitted,
    fittedAgreement: agreementOf(points, fitted.gamma0),
  };
}

/** Read an export's text into a sweep; errors are ExportError with one line naming the row and field. */
export function loadSweep(text: string): Sweep {
  return buildSweep(parseExport(text));
}
