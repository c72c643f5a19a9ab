import { planStudy, canonicalConfig, completeConfig, expandJobs, type StudyConfig, type SweepPlan } from './grid.js';
import type { AnyStudy, Phase, StudyPrediction } from '../study/types.js';
import { fractionInterval, separatingThresholds, tInterval } from './stats.js';
import { verdictOf } from '../study/verdict.js';
import type { StoredRun } from './store.js';

export type Cell = number | string | boolean | null;

/** A table with named columns: what `results` prints and the figures read. */
export interface Table {
  columns: string[];
  rows: Cell[][];
}

/** The config keys exported as columns (the seed has its own column up front). */
export const configColumnsOf = (study: AnyStudy): readonly string[] => study.configs.keys.filter((k) => k !== 'seed');

/** A predictor of a study's configs: the study's own theory, or one a caller passes instead (tests, other theories). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Predictor = (config: any) => StudyPrediction;

/** One stored run, parsed, in export order. */
export interface RunRecord<C = StudyConfig, R = unknown> {
  /** grid point index in the plan (null: a stored run the plan no longer lists) */
  point: number | null;
  seed: number;
  id: string;
  engine: string;
  config: C;
  result: R & { gain: number };
}

/** A config value as a cell: lists (class lists) as their JSON text. */
const configCell = (v: unknown): Cell => (Array.isArray(v) ? JSON.stringify(v) : (v as Cell));

const configCells = (study: AnyStudy, c: StudyConfig): Cell[] => configColumnsOf(study).map((k) => configCell(c[k]));

type KeyTree = Map<string, KeyTree | null>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Merge an object's key paths into a tree, keeping first-seen order at every level (arrays are not exported). */
function mergeKeys(tree: KeyTree, obj: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(obj)) {
    if (Array.isArray(v)) continue;
    if (isObject(v)) {
      let sub = tree.get(k);
      if (!sub) tree.set(k, (sub = new Map()));
      mergeKeys(sub, v);
    } else if (!tree.has(k)) {
      tree.set(k, null);
    }
  }
}

function treePaths(tree: KeyTree, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, sub] of tree) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (sub) out.push(...treePaths(sub, name));
    else out.push(name);
  }
  return out;
}

function getPath(obj: unknown, path: string): Cell {
  let v: unknown = obj;
  for (const part of path.split('.')) {
    if (!isObject(v)) return null;
    v = v[part];
  }
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : null;
}

/** Flatten objects into dotted columns, in a column order that depends only on the objects' structure. */
function flatten(objs: Record<string, unknown>[]): { columns: string[]; rows: Cell[][] } {
  const tree: KeyTree = new Map();
  for (const o of objs) mergeKeys(tree, o);
  const columns = treePaths(tree);
  return { columns, rows: objs.map((o) => columns.map((c) => getPath(o, c))) };
}

/** Parse the stored runs and order them: planned runs by (point, seed order), then any others by id. */
export function runRecords(plan: SweepPlan, runs: readonly StoredRun[]): RunRecord[] {
  const { jobs } = expandJobs(plan);
  const study = planStudy(plan);
  const order = new Map(jobs.map((j, i) => [j.id, { i, point: j.point }]));
  const records = runs.map((r) => {
    const o = order.get(r.id);
    return {
      rank: o ? o.i : Infinity,
      rec: {
        point: o ? o.point : null,
        seed: r.seed,
        id: r.id,
        engine: r.engine,
        config: completeConfig(study, JSON.parse(r.config) as StudyConfig),
        result: JSON.parse(r.result) as RunRecord['result'],
      },
    };
  });
  records.sort((a, b) => a.rank - b.rank || (a.rec.id < b.rec.id ? -1 : a.rec.id > b.rec.id ? 1 : 0));
  return records.map((r) => r.rec);
}

function predictionColumns(preds: (StudyPrediction | undefined)[]): { columns: string[]; rows: Cell[][] } {
  const objs = preds.map((p) => (p ? { predicted: p as Record<string, unknown> } : {}));
  return flatten(objs);
}

export interface TableOptions {
  /** the theory hook (default: the study's own; null: none) */
  predictor?: Predictor | null;
  /** scratch counts as near Bayes-optimal when its mean clean test error is ≤ this (default 0.01) */
  bayesTolerance?: number;
}

const predictorOf = (study: AnyStudy, opts: TableOptions): Predictor | undefined =>
  opts.predictor === null ? undefined : (opts.predictor ?? study.theory?.predict);

/** One row per (point, seed): point, seed, job id, engine, config values, all measures, the theory's prediction. */
export function runTable(study: AnyStudy, records: readonly RunRecord[], opts: TableOptions = {}): Table {
  const predictor = predictorOf(study, opts);
  const measures = flatten(records.map((r) => study.measures(r.result)));
  const preds = predictionColumns(records.map((r) => predictor?.(r.config)));
  const columns = ['point', 'seed', 'job', 'engine', ...configColumnsOf(study), ...measures.columns, ...preds.columns];
  const rows = records.map((r, i) => [r.point, r.seed, r.id, r.engine, ...configCells(study, r.config), ...measures.rows[i], ...preds.rows[i]]);
  return { columns, rows };
}

/** Runs grouped by configuration, the seed set aside (one group per grid point), in first-seen order. */
export function groupBySeeds<R extends { config: StudyConfig }>(records: readonly R[]): Map<string, R[]> {
  const groups = new Map<string, R[]>();
  for (const r of records) {
    const key = canonicalConfig({ ...r.config, seed: 0 });
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return groups;
}

/**
 * One row per grid point: config values, the number of seeds, mean / lo / hi (95%) of every numeric measure — errors
 * and accuracies with intervals inside [0, 1] (`fractionInterval`), everything else Student t — the fraction of seeds
 * with negative transfer, the verdict (positive / negative only when the gain's interval excludes 0), the observed
 * regime and, for a study with a theory, the prediction, whether scratch was near Bayes-optimal and whether they agree.
 */
export function aggregateTable(study: AnyStudy, records: readonly RunRecord[], opts: TableOptions = {}): Table {
  const tol = opts.bayesTolerance ?? 0.01;
  const predictor = predictorOf(study, opts);
  const groups = groupBySeeds(records);
  const measures = flatten(records.map((r) => study.measures(r.result)));
  const numeric = measures.columns.filter((_, c) => measures.rows.some((row) => typeof row[c] === 'number'));
  const colIndex = new Map(measures.columns.map((c, i) => [c, i]));
  const rowOf = new Map(records.map((r, i) => [r, measures.rows[i]]));
  const scratchMeasure = `scratch.${study.measure.key}`;

  const statColumns = numeric.flatMap((c) => [`${c}.mean`, `${c}.lo`, `${c}.hi`]);
  // Errors and accuracies (the study's fraction keys of each phase) get intervals inside [0, 1]; the rest t-intervals.
  const fractionPhase = new Map<string, Phase>();
  for (const ph of study.phases) for (const k of study.fractionKeys) fractionPhase.set(`${ph}.${k}`, ph);
  const objs: Record<string, unknown>[] = [];
  const base: Cell[][] = [];
  const stats: Cell[][] = [];
  for (const g of groups.values()) {
    const first = g[0];
    const cells: Cell[] = [];
    const byName: Record<string, { mean: number | null; lo: number | null; hi: number | null }> = {};
    for (const c of numeric) {
      const values = g.map((r) => rowOf.get(r)![colIndex.get(c)!] as number | null);
      const ph = fractionPhase.get(c);
      let iv;
      if (ph) {
        const counts = new Set(g.map((r) => study.testSamples(r.result, ph)));
        iv = fractionInterval(values, counts.size === 1 ? [...counts][0] : undefined);
      } else {
        iv = tInterval(values);
      }
      byName[c] = iv;
      cells.push(iv.mean, iv.lo, iv.hi);
    }
    stats.push(cells);
    base.push([first.point, ...configCells(study, first.config), g.length]);
    const gains = g.map((r) => r.result.gain);
    const gain = byName.gain;
    const observedRegime = gain.mean === null ? null : gain.mean > 0 ? 'positive' : gain.mean < 0 ? 'negative' : 'neutral';
    const significant = gain.lo !== null && gain.hi !== null ? gain.lo > 0 || gain.hi < 0 : null;
    const pred = predictor?.({ ...first.config, seed: 0 });
    // A theory predicts whether scratch is near Bayes-optimal: clean error ≈ 0 (the excess error against observed
    // labels is (1−2p)× the clean one). The observation to check it against:
    const scratchMean = byName[scratchMeasure]?.mean ?? null;
    const scratchError = scratchMean === null ? null : study.measure.higherIsBetter ? 1 - scratchMean : scratchMean;
    const scratchOpt = scratchError === null ? null : scratchError <= tol;
    objs.push({
      negativeFraction: gains.filter((x) => x < 0).length / gains.length,
      verdict: verdictOf({ low: gain.lo, high: gain.hi }),
      observed: pred ? { regime: observedRegime, significant, scratchBayesOptimal: scratchOpt } : { regime: observedRegime, significant },
      ...(pred
        ? {
            predicted: pred,
            agrees: {
              regime:
                (observedRegime === 'positive' || observedRegime === 'negative') && pred.regime !== 'neutral'
                  ? pred.regime === observedRegime
                  : null,
              scratchBayesOptimal: scratchOpt === null ? null : pred.scratchBayesOptimal === scratchOpt,
            },
          }
        : {}),
    });
  }
  const tail = flatten(objs);
  return {
    columns: ['point', ...configColumnsOf(study), 'seeds', ...statColumns, ...tail.columns],
    rows: base.map((b, i) => [...b, ...stats[i], ...tail.rows[i]]),
  };
}

/** Which columns an export has: `brief` (what a reader needs first) or `all`. */
export type ColumnSet = 'brief' | 'all';

/**
 * The brief columns of a table: the grid point and seed, the sweep's axes, each phase's measure, the gain (with its
 * interval and the verdict when aggregated) and the predicted regime.
 */
export function briefColumns(study: AnyStudy, plan: SweepPlan, aggregate: boolean): string[] {
  const axes = plan.axes.flatMap((a) => a.keys);
  const stat = (c: string) => (aggregate ? [`${c}.mean`, `${c}.lo`, `${c}.hi`] : [c]);
  const measures = study.phases.flatMap((ph) => stat(`${ph}.${study.measure.key}`));
  return [
    'point',
    ...(aggregate ? [] : ['seed']),
    ...axes,
    ...(aggregate ? ['seeds'] : []),
    ...measures,
    ...stat('gain'),
    ...(aggregate ? ['verdict'] : []),
    'predicted.regime',
    ...(aggregate ? ['agrees.regime'] : []),
  ];
}

/** The table restricted to these columns, in this order (columns it does not have are left out). */
export function selectColumns(t: Table, names: readonly string[]): Table {
  const idx = names.map((n) => t.columns.indexOf(n)).filter((i) => i >= 0);
  return { columns: idx.map((i) => t.columns[i]), rows: t.rows.map((r) => idx.map((i) => r[i])) };
}

/** The table of a stored sweep: one row per run, or per point with `aggregate`; every column, or the brief ones. */
export function sweepTable(
  plan: SweepPlan,
  runs: readonly StoredRun[],
  opts: TableOptions & { aggregate?: boolean; columns?: ColumnSet } = {},
): Table {
  const study = planStudy(plan);
  const records = runRecords(plan, runs);
  const table = opts.aggregate ? aggregateTable(study, records, opts) : runTable(study, records, opts);
  return opts.columns === 'brief' ? selectColumns(table, briefColumns(study, plan, Boolean(opts.aggregate))) : table;
}

/** Column accessor for tables. */
export function column(t: Table, name: string): Cell[] {
  const i = t.columns.indexOf(name);
  return i < 0 ? t.rows.map(() => null) : t.rows.map((r) => r[i]);
}

export function tableObjects(t: Table): Record<string, Cell>[] {
  return t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]])));
}

const csvCell = (v: Cell) => {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV with a header line; numbers in JavaScript's shortest round-trip form (byte-stable). */
export function toCsv(t: Table): string {
  return [t.columns.map(csvCell).join(','), ...t.rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
}

/** A JSON array of flat objects, one per line. */
export function toJson(t: Table): string {
  const objs = tableObjects(t);
  return objs.length ? `[\n${objs.map((o) => JSON.stringify(o)).join(',\n')}\n]\n` : '[]\n';
}

export interface ThresholdFit {
  /** predict positive transfer iff Γ > threshold */
  threshold: number;
  agreement: number;
  n: number;
}

/**
 * The criterion's constant fitted to the data: the threshold c on Γ that best separates points with observed
 * positive transfer (Γ > c) from negative ones. Null when fewer than two points have both.
 */
export function fitThreshold(points: readonly { gamma: number; positive: boolean }[]): ThresholdFit | null {
  const pts = points.filter((p) => Number.isFinite(p.gamma));
  if (pts.length < 2) return null;
  const { tied, correct } = separatingThresholds(pts.map((p) => ({ value: p.gamma, positive: p.positive })));
  return { threshold: tied[0], agreement: correct / pts.length, n: pts.length };
}

/** A key of an aggregated row's configuration (the same grid point in two sweeps gives the same key). */
export function canonicalKey(study: AnyStudy, t: Table, row: number): string {
  return JSON.stringify(configColumnsOf(study).map((k) => column(t, k)[row]));
}
