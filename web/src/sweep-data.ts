/**
 * Reading a sweep export (`paratransfer results DIR --format json|csv [--aggregate]`) into grid points with
 * intervals over seeds and the theory's prediction at each point. Tolerant of layout (JSON array, nested or dotted
 * keys, CSV, per-run or aggregated rows, missing config columns), strict about values (zod, one message naming the
 * row and field).
 */
import { z } from 'zod';
import {
  studies,
  fractionInterval,
  tInterval,
  type AnyStudy,
  type FittedTheory,
  type Interval,
  type StudyPrediction,
  type TheoryObservation,
} from '../../src/browser.js';

export type Cell = number | string | boolean | null;
export type Row = Record<string, Cell>;

/** The config keys a grid point of a study is made of (the seed is what varies within a point). */
export const pointKeysOf = (study: AnyStudy): string[] => study.configs.keys.filter((k) => k !== 'seed');

/** A point's config: a mapping of the study's keys. */
export type Config = Record<string, unknown>;

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

const fraction = z.number({ error: 'must be a number in [0, 1]' }).min(0, { error: 'must be a number in [0, 1]' }).max(1, { error: 'must be a number in [0, 1]' });
const optNumber = z.number({ error: 'must be a number or null' }).nullable().optional();

/** The columns a row of one run must have: the study's measure of each phase (`transfer.testError`, …). */
function runRowSchema(key: string) {
  return z.looseObject({
    seed: z.number({ error: 'must be an integer ≥ 0' }).int({ error: 'must be an integer ≥ 0' }).min(0, { error: 'must be an integer ≥ 0' }),
    [`transfer.${key}`]: fraction,
    [`scratch.${key}`]: fraction,
    [`upstream.${key}`]: fraction.nullable().optional(),
    gain: optNumber,
    engine: z.string({ error: 'must be a string' }).nullable().optional(),
  });
}

/** The columns of an aggregated row: mean and interval of the measure of each phase, and of the gain. */
function aggregateRowSchema(key: string) {
  return z.looseObject({
    seeds: z.number({ error: 'must be an integer ≥ 1' }).int().min(1, { error: 'must be an integer ≥ 1' }).nullable().optional(),
    [`transfer.${key}.mean`]: fraction,
    [`scratch.${key}.mean`]: fraction,
    [`transfer.${key}.lo`]: optNumber,
    [`transfer.${key}.hi`]: optNumber,
    [`scratch.${key}.lo`]: optNumber,
    [`scratch.${key}.hi`]: optNumber,
    [`upstream.${key}.mean`]: fraction.nullable().optional(),
    'gain.mean': optNumber,
    'gain.lo': optNumber,
    'gain.hi': optNumber,
    negativeFraction: z.number({ error: 'must be a number in [0, 1]' }).min(0).max(1).nullable().optional(),
  });
}

export interface SweepPoint {
  /** the point's config (seed 0; keys missing from the export take the study's defaults) */
  config: Config;
  seeds: number;
  /** the study's measure (test error, test accuracy) of each phase */
  transfer: Interval;
  scratch: Interval;
  upstream: Interval | null;
  gain: Interval;
  negativeFraction: number | null;
  /** the study's theory at this point (null: the study has none) */
  prediction: StudyPrediction | null;
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
  /** the study the export belongs to (read off its columns) */
  study: AnyStudy;
  kind: 'runs' | 'aggregate';
  rows: number;
  points: SweepPoint[];
  /** config keys with more than one value, in config-key order, and their sorted values */
  varied: string[];
  values: Record<string, Cell[]>;
  /** config keys the export did not carry (the defaults were assumed) */
  assumed: string[];
  engines: string[];
  /** the theory's regime against the sign of the mean gain (null: the study has no theory) */
  agreement: Agreement | null;
  /** the theory refitted to this sweep, and its agreement (null without a theory with constants) */
  fitted: FittedTheory<Config> | null;
  fittedAgreement: Agreement | null;
}

function rowError(i: number, issue: z.core.$ZodIssue): ExportError {
  const field = issue.path.join('.');
  return new ExportError(`row ${i + 1}: field "${field}": ${issue.message}`);
}

/**
 * The config of one row: keys present are validated with the study's field schemas, missing ones default (a key the
 * study added later takes the value of the earlier version that wrote the export).
 */
function rowConfig(study: AnyStudy, row: Row, i: number): Config {
  const defaults = study.configs.defaults as Config;
  const c: Config = { ...defaults, ...study.configs.added, seed: 0 };
  for (const k of pointKeysOf(study)) {
    let v: unknown = row[k];
    if (v === undefined || v === null) continue;
    // Lists (class lists) travel through CSV as their JSON text.
    if (Array.isArray(defaults[k]) && typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch {
        // left as text: the schema names the field
      }
    }
    const r = study.configs.fields[k].safeParse(v);
    if (!r.success) throw new ExportError(`row ${i + 1}: field "${k}": ${r.error.issues[0].message} (got ${JSON.stringify(row[k])})`);
    c[k] = r.data;
  }
  return c;
}

const fromAggregate = (mean: number | null | undefined, lo: number | null | undefined, hi: number | null | undefined, n: number): Interval => ({
  n,
  mean: mean ?? null,
  lo: lo ?? null,
  hi: hi ?? null,
});

function observedOf(gain: number | null): SweepPoint['observed'] {
  return gain === null || gain === 0 ? 'neutral' : gain > 0 ? 'positive' : 'negative';
}

/** The predicted regime (gamma against the theory's threshold) against the sign of the mean gain. */
function agreementOf(points: readonly SweepPoint[], predict: (c: Config) => StudyPrediction, threshold: number): Agreement {
  let n = 0;
  let agree = 0;
  for (const p of points) {
    const G = predict(p.config).gamma;
    if (p.observed === 'neutral' || G === threshold || Number.isNaN(G)) continue;
    n++;
    if ((G > threshold) === (p.observed === 'positive')) agree++;
  }
  return { n, agree, rate: n ? agree / n : null };
}

/** The study whose measure columns the rows carry (one row per run, or aggregated). */
function studyOfRows(row: Row): { study: AnyStudy; aggregate: boolean } {
  for (const study of studies) {
    const key = `transfer.${study.measure.key}`;
    if (key in row || `${key}.mean` in row) return { study, aggregate: `${key}.mean` in row };
  }
  const wanted = studies.map((s) => `"transfer.${s.measure.key}"`).join(' or ');
  throw new ExportError(`not a paratransfer sweep export: rows need ${wanted} (one row per run) or the same with ".mean" (--aggregate)`);
}

/** Validate the rows and group them into grid points. */
export function buildSweep(rows: Row[]): Sweep {
  if (!rows.length) throw new ExportError('the export holds no rows');
  const { study, aggregate } = studyOfRows(rows[0]);
  const key = study.measure.key;
  const pointKeys = pointKeysOf(study);
  const theory = study.theory;
  // the gain when an export lacks it, and the errors a theory is fitted to, in the study's orientation
  const gainOf = (transfer: number, scratch: number) => (study.measure.higherIsBetter ? transfer - scratch : scratch - transfer);
  const errorOf = (v: number) => (study.measure.higherIsBetter ? 1 - v : v);
  const engines = new Set<string>();
  const points: SweepPoint[] = [];
  const observations: TheoryObservation<Config>[] = [];
  const observe = (config: Config, transfer: number, scratch: number) =>
    observations.push({ config, scratchError: errorOf(scratch), transferError: errorOf(transfer) });
  if (aggregate) {
    const schema = aggregateRowSchema(key);
    rows.forEach((row, i) => {
      const r = schema.safeParse(row);
      if (!r.success) throw rowError(i, r.error.issues[0]);
      const a = r.data as Record<string, number | null | undefined>;
      const config = rowConfig(study, row, i);
      const n = (a.seeds as number | null | undefined) ?? 1;
      const [t, sc] = [a[`transfer.${key}.mean`] as number, a[`scratch.${key}.mean`] as number];
      const gainMean = a['gain.mean'] ?? gainOf(t, sc);
      const up = a[`upstream.${key}.mean`];
      points.push({
        config,
        seeds: n,
        transfer: fromAggregate(t, a[`transfer.${key}.lo`], a[`transfer.${key}.hi`], n),
        scratch: fromAggregate(sc, a[`scratch.${key}.lo`], a[`scratch.${key}.hi`], n),
        upstream: up == null ? null : fromAggregate(up, null, null, n),
        gain: fromAggregate(gainMean, a['gain.lo'], a['gain.hi'], n),
        negativeFraction: a.negativeFraction ?? null,
        prediction: theory ? theory.predict(config) : null,
        observed: observedOf(gainMean),
      });
      observe(config, t, sc);
    });
  } else {
    const schema = runRowSchema(key);
    const groups = new Map<string, { config: Config; runs: { transfer: number; scratch: number; upstream: number | null; gain: number }[] }>();
    rows.forEach((row, i) => {
      const r = schema.safeParse(row);
      if (!r.success) throw rowError(i, r.error.issues[0]);
      const d = r.data as Record<string, unknown>;
      const config = rowConfig(study, row, i);
      if (typeof d.engine === 'string' && d.engine) engines.add(d.engine);
      const id = JSON.stringify(pointKeys.map((k) => config[k]));
      const g = groups.get(id) ?? { config, runs: [] };
      const [t, sc] = [d[`transfer.${key}`] as number, d[`scratch.${key}`] as number];
      g.runs.push({ transfer: t, scratch: sc, upstream: (d[`upstream.${key}`] as number | null | undefined) ?? null, gain: (d.gain as number | null | undefined) ?? gainOf(t, sc) });
      groups.set(id, g);
      observe(config, t, sc);
    });
    for (const { config, runs } of groups.values()) {
      const gains = runs.map((r) => r.gain);
      const upstream = runs.map((r) => r.upstream);
      const gain = tInterval(gains);
      points.push({
        config,
        seeds: runs.length,
        // errors and accuracies: intervals inside [0, 1] (the test-set size is not in every export: seeds only)
        transfer: fractionInterval(runs.map((r) => r.transfer)),
        scratch: fractionInterval(runs.map((r) => r.scratch)),
        upstream: upstream.some((u) => u !== null) ? fractionInterval(upstream) : null,
        gain,
        negativeFraction: gains.filter((g) => g < 0).length / gains.length,
        prediction: theory ? theory.predict(config) : null,
        observed: observedOf(gain.mean),
      });
    }
  }
  const values: Record<string, Cell[]> = {};
  const varied: string[] = [];
  const cellOf = (v: unknown): Cell => (Array.isArray(v) ? JSON.stringify(v) : (v as Cell));
  for (const k of pointKeys) {
    const distinct = [...new Set(points.map((p) => cellOf(p.config[k])))];
    distinct.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
    values[k] = distinct;
    if (distinct.length > 1) varied.push(k);
  }
  const fitted = theory?.refit?.(observations) ?? null;
  return {
    study,
    kind: aggregate ? 'aggregate' : 'runs',
    rows: rows.length,
    points,
    varied,
    values,
    assumed: pointKeys.filter((k) => !rows.some((r) => r[k] !== undefined && r[k] !== null)),
    engines: [...engines],
    agreement: theory ? agreementOf(points, theory.predict, theory.threshold) : null,
    fitted,
    fittedAgreement: fitted ? agreementOf(points, fitted.predict, fitted.threshold) : null,
  };
}

/** Read an export's text into a sweep; errors are ExportError with one line naming the row and field. */
export function loadSweep(text: string): Sweep {
  return buildSweep(parseExport(text));
}
