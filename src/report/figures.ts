import type { TopLevelSpec } from 'vega-lite';
import type { ExperimentConfig } from '../config/schema.js';
import type { ExperimentResult } from '../experiment/run.js';
import type { FeatureMeasures, GroupMeasures } from '../measure/features.js';
import type { AnyStudy, Phase } from '../study/types.js';
import { column, toCsv, type Cell, type Predictor, type RunRecord, type Table } from '../sweep/export.js';
import type { StudyConfig } from '../sweep/grid.js';
import { tInterval } from '../sweep/stats.js';

/** The axis label of a study's config key. */
export const factorLabelOf = (study: AnyStudy, key: string): string => study.factorLabels[key] ?? key;

export interface FigureData {
  spec: TopLevelSpec;
  csv: string;
}

type Row = Record<string, Cell>;

function tableOf(rows: Row[]): Table {
  const columns = rows.length ? Object.keys(rows[0]) : [];
  return { columns, rows: rows.map((r) => columns.map((c) => r[c])) };
}

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  config: { font: 'DejaVu Sans', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } },
  background: 'white',
} as const;

/**
 * The panel of each row of an aggregated table: the values of the sweep's other axes ("uNorm=1, n1=40"), so that a
 * figure over one factor shows one panel per combination of the others. Null when there are no other axes.
 */
export function panelLabels(agg: Table, others: readonly string[]): string[] | null {
  if (!others.length) return null;
  return agg.rows.map((_, i) => others.map((k) => `${k}=${column(agg, k)[i]}`).join(', '));
}

/** Each row's `panel` field, only when there is more than one panel (a single panel leaves the data as it was). */
function panelField(panels: string[] | null | undefined): (i: number) => Row {
  const on = new Set(panels ?? []).size > 1;
  return (i): Row => (on ? { panel: panels![i] } : {});
}

/**
 * A layered chart, or with more than one panel a wrapped facet of it (panels in grid order, three per row). With a
 * single panel the spec is exactly the plain layered chart.
 */
function layered(title: string, rows: Row[], layer: unknown[], size: { width: number; height: number }, panels?: string[] | null): TopLevelSpec {
  const order = panels ? [...new Set(panels)] : [];
  if (order.length < 2) return { ...base, title, ...size, data: { values: rows }, layer } as unknown as TopLevelSpec;
  return {
    ...base,
    title,
    data: { values: rows },
    facet: { field: 'panel', type: 'nominal', title: null, sort: order, header: { labelFontSize: 11 } },
    columns: Math.min(3, order.length),
    spec: { ...size, layer },
  } as unknown as TopLevelSpec;
}

/**
 * Figure sizes: a report's content is about 1,050 px wide (report/html.ts), and a figure's plot area plus its axes
 * and legend fill it; the HTML scales each figure to exactly that width.
 */
export const figureWidth = 1050;
const single = { width: 760, height: 320 };
const panel = { width: 270, height: 200 };

/** Ticks of a value axis: its scale is made nice for this count, so the first and last ticks are the axis's ends. */
const yTicks = 5;

/** The legend of a layered chart at the lines' full colour (a band layer would otherwise fade its symbols). */
const strokeLegend = { symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 2.5, symbolSize: 300 };

/**
 * Ticks of a factor axis: the simulated values themselves (thinned to at most 9, always keeping both ends), over
 * a domain from the first to the last, so every axis starts and ends on a labelled tick.
 */
function factorAxis(values: readonly Cell[], log: boolean): { scale: Record<string, unknown>; axis: Record<string, unknown> } {
  const xs = [...new Set(values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)))].sort((a, b) => a - b);
  if (!xs.length) return { scale: log ? { type: 'log' } : { zero: false }, axis: {} };
  const every = Math.ceil(xs.length / 9);
  const ticks = xs.filter((_, i) => i % every === 0 || i === xs.length - 1);
  if (ticks.length > 2 && xs.length > 9 && every > 1) {
    // the kept tick just before the last may crowd it
    const [a, b] = [ticks[ticks.length - 2], ticks[ticks.length - 1]];
    const span = log ? Math.log(xs[xs.length - 1] / xs[0]) : xs[xs.length - 1] - xs[0];
    if ((log ? Math.log(b / a) : b - a) < span / 20) ticks.splice(ticks.length - 2, 1);
  }
  const domain = xs.length > 1 ? [xs[0], xs[xs.length - 1]] : [xs[0] * (log ? 0.5 : 1) - (log ? 0 : 0.5), xs[0] * (log ? 2 : 1) + (log ? 0 : 0.5)];
  return {
    scale: { ...(log ? { type: 'log' } : {}), domain, nice: false, zero: false },
    // '~g': the values as written (0.25, not the step-rounded 0.3), up to 6 significant digits
    axis: { values: xs.length > 1 ? ticks : [domain[0], xs[0], domain[1]], labelFlush: true, format: '~g' },
  };
}

const runColors = { domain: ['transfer', 'scratch'], range: ['#1f77b4', '#d62728'] };
const theoryColors = { domain: ['transfer (theory)', 'scratch (theory)'], range: ['#6baed6', '#fc9272'] };
const referenceColor = '#7f7f7f';

export interface FactorFigureOptions {
  title: string;
  study: AnyStudy;
  log?: boolean;
  /** the panel of each aggregated row (panelLabels), to split by the sweep's other axes */
  panels?: string[] | null;
}

export interface MeasureFigureOptions extends FactorFigureOptions {
  /** another measure of the phases than the study's own (e.g. the error against observed labels), with its title */
  measure?: { key: string; label: string };
  /** a reference line read from a config column, e.g. the Bayes error p */
  reference?: { label: string; column: string };
}


/**
 * The study's measure (test error, test accuracy) of transfer and scratch against one factor: mean over seeds and
 * the 95% band; dashed, the theory's prediction of it when the aggregate carries one, and an optional reference line.
 */
export function measureVsFactor(agg: Table, factor: string, opts: MeasureFigureOptions): FigureData {
  const { study } = opts;
  const key = opts.measure?.key ?? study.measure.key;
  const predicted = opts.measure ? undefined : study.measure.predicted;
  const rows: Row[] = [];
  // With panels (the sweep's other axes), every row says which one it belongs to.
  const at = panelField(opts.panels);
  column(agg, factor).forEach((x, i) => {
    for (const run of ['transfer', 'scratch'] as const) {
      rows.push({
        [factor]: x,
        ...at(i),
        run,
        mean: column(agg, `${run}.${key}.mean`)[i],
        // errors and accuracies come with intervals inside [0, 1] (sweep/stats.ts fractionInterval): no clipping
        lo: column(agg, `${run}.${key}.lo`)[i],
        hi: column(agg, `${run}.${key}.hi`)[i],
        seeds: column(agg, 'seeds')[i],
      });
      const theory = predicted?.[run];
      if (theory && agg.columns.includes(`predicted.${theory}`)) {
        rows.push({ [factor]: x, ...at(i), run: `${run} (theory)`, mean: column(agg, `predicted.${theory}`)[i], lo: null, hi: null, seeds: null });
      }
    }
    if (opts.reference) {
      rows.push({ [factor]: x, ...at(i), run: opts.reference.label, mean: column(agg, opts.reference.column)[i], lo: null, hi: null, seeds: null });
    }
  });
  const present = new Set(rows.map((r) => r.run));
  const domain = [...runColors.domain, ...theoryColors.domain, ...(opts.reference ? [opts.reference.label] : [])];
  const range = [...runColors.range, ...theoryColors.range, referenceColor];
  const keep = domain.map((d, i) => [d, range[i]] as const).filter(([d]) => present.has(d));
  const color = {
    field: 'run',
    type: 'nominal',
    title: null,
    scale: { domain: keep.map(([d]) => d), range: keep.map(([, r]) => r) },
    legend: strokeLegend,
  };
  const dashed = rows.filter((r) => r.lo === null && r.seeds === null).length > 0;
  const spec = bandFigure(rows, factor, opts, { title: opts.measure?.label ?? study.measure.label, format: study.measure.axisFormat, dashed }, color);
  return { spec, csv: toCsv(tableOf(rows)) };
}

/** Mean lines with their 95% bands over seeds: the body of the measure and gain figures. */
function bandFigure(
  rows: Row[],
  factor: string,
  opts: FactorFigureOptions,
  y: { title: string; format?: string; zeroRule?: boolean; dashed?: boolean },
  color: Record<string, unknown>,
): TopLevelSpec {
  const fx = factorAxis(rows.map((r) => r[factor]), Boolean(opts.log));
  const x = { field: factor, type: 'quantitative', title: factorLabelOf(opts.study, factor), scale: fx.scale, axis: fx.axis };
  // y: the domain widened to round values for 5 ticks, and 5 ticks drawn: the axis ends on labelled ticks too
  const axis = { tickCount: yTicks, ...(y.format ? { format: y.format } : {}) };
  // Lines without a band (theory, reference) are dashed.
  const strokeDash = y.dashed ? { strokeDash: { condition: { test: 'datum.seeds === null', value: [4, 3] }, value: [1, 0] } } : {};
  const layer = [
    ...(y.zeroRule ? [{ mark: { type: 'rule', color: '#999', strokeDash: [4, 3] }, encoding: { y: { datum: 0 } } }] : []),
    {
      mark: { type: 'area', opacity: 0.18 },
      encoding: { x, y: { field: 'lo', type: 'quantitative', title: y.title, axis, scale: { zero: false, nice: yTicks } }, y2: { field: 'hi' }, color },
    },
    {
      mark: { type: 'line', point: true },
      encoding: { x, y: { field: 'mean', type: 'quantitative', title: y.title, axis, scale: { zero: false, nice: yTicks } }, color, ...strokeDash },
    },
  ];
  return layered(opts.title, rows, layer, new Set(opts.panels ?? []).size > 1 ? panel : single, opts.panels);
}

/**
 * The transfer gain Δ against one factor, mean over seeds with its 95% band and the line Δ = 0 (above: positive
 * transfer), in the study's own orientation (err_scratch − err_transfer, acc_transfer − acc_scratch: the same sign).
 */
export function gainVsFactor(agg: Table, factor: string, opts: FactorFigureOptions): FigureData {
  const at = panelField(opts.panels);
  const rows: Row[] = column(agg, factor).map((x, i) => ({
    [factor]: x,
    ...at(i),
    run: 'gain',
    mean: column(agg, 'gain.mean')[i],
    lo: column(agg, 'gain.lo')[i],
    hi: column(agg, 'gain.hi')[i],
    seeds: column(agg, 'seeds')[i],
    negativeFraction: column(agg, 'negativeFraction')[i],
  }));
  const { measure } = opts.study;
  // short enough to fit along the plot's height (the caption spells it out)
  const title = `gain Δ = ${measure.gainShort}`;
  const color = { field: 'run', type: 'nominal', title: null, legend: null, scale: { domain: ['gain'], range: ['#6a3d9a'] } };
  const spec = bandFigure(rows, factor, opts, { title, format: measure.gainFormat, zeroRule: true }, color);
  return { spec, csv: toCsv(tableOf(rows)) };
}

/** Cell edges around sorted axis values (geometric midpoints on a log axis). */
function edges(values: number[], log: boolean): number[] {
  const f = log ? Math.log : (v: number) => v;
  const g = log ? Math.exp : (v: number) => v;
  const t = values.map(f);
  if (t.length === 1) {
    const w = log ? 0.1 : Math.abs(t[0]) * 0.1 || 0.5;
    return [g(t[0] - w), g(t[0] + w)];
  }
  const out = [g(t[0] - (t[1] - t[0]) / 2)];
  for (let i = 0; i + 1 < t.length; i++) out.push(g((t[i] + t[i + 1]) / 2));
  out.push(g(t[t.length - 1] + (t[t.length - 1] - t[t.length - 2]) / 2));
  return out;
}

function spaced(a: number, b: number, n: number, log: boolean): number[] {
  return Array.from({ length: n }, (_, i) =>
    log ? Math.exp(Math.log(a) + ((Math.log(b) - Math.log(a)) * i) / (n - 1)) : a + ((b - a) * i) / (n - 1),
  );
}

/**
 * Points on the predicted regime boundary over a rectangle: the predicted regime on a `lines` × `lines` grid, then
 * every grid edge whose two ends are predicted positive and negative is bisected. Works for boundaries of any
 * orientation; drawn as dots. About lines² + 24·(crossings) predictions: a theory that simulates (docs/theory.md)
 * costs milliseconds per prediction.
 */
export function predictedBoundary(
  cfg: StudyConfig,
  xKey: string,
  yKey: string,
  xr: [number, number, boolean],
  yr: [number, number, boolean],
  predictor: Predictor,
  lines = 32,
): { x: number; y: number }[] {
  const regime = (x: number, y: number) => predictor({ ...cfg, [xKey]: x, [yKey]: y }).regime;
  const xs = spaced(xr[0], xr[1], lines, xr[2]);
  const ys = spaced(yr[0], yr[1], lines, yr[2]);
  const grid = xs.map((x) => ys.map((y) => regime(x, y)));
  const out: { x: number; y: number }[] = [];
  const bisect = (along: boolean, lo: number, hi: number, at: (t: number) => [number, number], rLo: string) => {
    for (let k = 0; k < 24; k++) {
      const mid = along ? Math.sqrt(lo * hi) : (lo + hi) / 2;
      if (regime(...at(mid)) === rLo) lo = mid;
      else hi = mid;
    }
    const [x, y] = at(along ? Math.sqrt(lo * hi) : (lo + hi) / 2);
    out.push({ x, y });
  };
  // Only sign changes of the prediction; 'neutral' (e.g. α = 0, nothing inherited) is no boundary.
  const change = (a: string, b: string) => a !== b && a !== 'neutral' && b !== 'neutral';
  for (let i = 0; i < lines; i++) {
    for (let j = 0; j < lines; j++) {
      if (j + 1 < lines && change(grid[i][j], grid[i][j + 1])) bisect(yr[2], ys[j], ys[j + 1], (t) => [xs[i], t], grid[i][j]);
      if (i + 1 < lines && change(grid[i][j], grid[i + 1][j])) bisect(xr[2], xs[i], xs[i + 1], (t) => [t, ys[j]], grid[i][j]);
    }
  }
  return out;
}

/**
 * Phase diagram: mean transfer gain Δ over two axes (red: negative transfer, blue: positive), the predicted
 * regime boundary (black dots) and the predicted sign per cell (+ / −).
 */
export function phaseDiagram(
  agg: Table,
  cfg: StudyConfig,
  xKey: string,
  yKey: string,
  opts: { study: AnyStudy; xLog?: boolean; yLog?: boolean; title: string; predictor?: Predictor },
): FigureData {
  const xs = column(agg, xKey) as number[];
  const ys = column(agg, yKey) as number[];
  const ux = [...new Set(xs)].sort((a, b) => a - b);
  const uy = [...new Set(ys)].sort((a, b) => a - b);
  const ex = edges(ux, Boolean(opts.xLog));
  const ey = edges(uy, Boolean(opts.yLog));
  const gain = column(agg, 'gain.mean');
  const neg = column(agg, 'negativeFraction');
  const pred = column(agg, 'predicted.regime');
  const cells: Row[] = xs.map((x, i) => {
    const a = ux.indexOf(x);
    const b = uy.indexOf(ys[i]);
    return {
      [xKey]: x,
      [yKey]: ys[i],
      x0: ex[a],
      x1: ex[a + 1],
      y0: ey[b],
      y1: ey[b + 1],
      gain: gain[i],
      negativeFraction: neg[i],
      predicted: pred[i] === 'positive' ? '+' : pred[i] === 'negative' ? '−' : pred[i] === null ? '' : '0',
    };
  });
  const boundary = opts.predictor
    ? predictedBoundary(
        cfg,
        xKey,
        yKey,
        // scan the simulated range only: cell edges may leave the valid domain (α < 0)
        [ux[0], ux[ux.length - 1], Boolean(opts.xLog)],
        [uy[0], uy[uy.length - 1], Boolean(opts.yLog)],
        opts.predictor,
      )
    : [];
  const scale = (log: boolean | undefined, e: number[]) => {
    const domain = [e[0], e[e.length - 1]];
    return log ? { type: 'log', domain, nice: false } : { domain, nice: false, zero: false };
  };
  const xScale = scale(opts.xLog, ex);
  const yScale = scale(opts.yLog, ey);
  // Ticks at the cells' values, labelled, and at both ends of each axis (the outer cell edges), unlabelled.
  const cellAxis = (values: number[], e: number[]) => ({
    values: [e[0], ...values, e[e.length - 1]],
    format: '~g',
    labelExpr: `datum.value === ${e[0]} || datum.value === ${e[e.length - 1]} ? '' : datum.label`,
  });
  const maxAbs = Math.max(1e-9, ...cells.map((c) => Math.abs((c.gain as number) ?? 0)));
  const spec = {
    ...base,
    title: opts.title,
    width: 800,
    height: 360,
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x: { field: 'x0', type: 'quantitative', title: factorLabelOf(opts.study, xKey), scale: xScale, axis: cellAxis(ux, ex) },
          x2: { field: 'x1' },
          y: { field: 'y0', type: 'quantitative', title: factorLabelOf(opts.study, yKey), scale: yScale, axis: cellAxis(uy, ey) },
          y2: { field: 'y1' },
          color: {
            field: 'gain',
            type: 'quantitative',
            title: 'gain Δ',
            scale: { scheme: 'redblue', domain: [-maxAbs, maxAbs], domainMid: 0 },
          },
          tooltip: [
            { field: xKey },
            { field: yKey },
            { field: 'gain', format: '.3f' },
            { field: 'negativeFraction' },
            { field: 'predicted' },
          ],
        },
      },
      {
        data: { values: cells },
        // cell centres: geometric on a log axis
        transform: [
          { calculate: 'sqrt(datum.x0 * datum.x1)', as: 'xg' },
          { calculate: '(datum.x0 + datum.x1) / 2', as: 'xa' },
          { calculate: 'sqrt(datum.y0 * datum.y1)', as: 'yg' },
          { calculate: '(datum.y0 + datum.y1) / 2', as: 'ya' },
        ],
        mark: { type: 'text', fontSize: 13, fontWeight: 'bold', color: '#222' },
        encoding: {
          x: { field: opts.xLog ? 'xg' : 'xa', type: 'quantitative', scale: xScale },
          y: { field: opts.yLog ? 'yg' : 'ya', type: 'quantitative', scale: yScale },
          text: { field: 'predicted' },
        },
      },
      ...(boundary.length
        ? [
            {
              data: { values: boundary },
              mark: { type: 'point', filled: true, size: 6, color: 'black', opacity: 0.8 },
              encoding: {
                x: { field: 'x', type: 'quantitative', scale: xScale },
                y: { field: 'y', type: 'quantitative', scale: yScale },
              },
            },
          ]
        : []),
    ],
    resolve: { scale: { color: 'independent' } },
  } as unknown as TopLevelSpec;
  return { spec, csv: toCsv(tableOf(cells)) };
}

/** Mean of the two classes' maxima (a group with no filters gives null). */
const classMean = (p: { pos: number | null; neg: number | null }) =>
  p.pos === null || p.neg === null ? null : (p.pos + p.neg) / 2;

/**
 * Training dynamics of one grid point, averaged over its seeds: signal learning along u (max_r j·⟨w_{j,r}, u⟩, mean
 * of the two classes) and noise memorisation, for the inherited and fresh filters of the transfer run and for
 * the scratch run.
 */
export function dynamics(records: readonly RunRecord<ExperimentConfig, ExperimentResult>[], opts: { title: string }): FigureData {
  type Series = { group: string; pick: (f: FeatureMeasures) => GroupMeasures | undefined; phase: Phase };
  const series: Series[] = [
    { group: 'upstream', phase: 'upstream', pick: (f) => f.all },
    { group: 'transfer · inherited filters', phase: 'transfer', pick: (f) => f.inherited },
    { group: 'transfer · fresh filters', phase: 'transfer', pick: (f) => f.fresh },
    { group: 'scratch', phase: 'scratch', pick: (f) => f.all },
  ];
  const measures: { name: string; get: (g: GroupMeasures) => number | null }[] = [
    { name: 'signal learning ⟨w, u⟩', get: (g) => classMean(g.signalLearning.u) },
    { name: 'noise memorisation ⟨w, ξ⟩', get: (g) => g.noiseMemorization },
  ];
  const rows: Row[] = [];
  for (const s of series) {
    for (const m of measures) {
      const bySteps = new Map<number, (number | null)[]>();
      for (const r of records) {
        for (const cp of r.result[s.phase].checkpoints) {
          const g = s.pick(cp.features);
          if (!g) continue;
          const list = bySteps.get(cp.step) ?? [];
          list.push(m.get(g));
          bySteps.set(cp.step, list);
        }
      }
      for (const [step, vals] of [...bySteps].sort((a, b) => a[0] - b[0])) {
        const iv = tInterval(vals);
        if (iv.mean === null) continue;
        rows.push({ measure: m.name, group: s.group, step, mean: iv.mean, lo: iv.lo, hi: iv.hi, seeds: iv.n });
      }
    }
  }
  const groupColor = {
    field: 'group',
    type: 'nominal',
    title: null,
    sort: series.map((s) => s.group),
    legend: { labelLimit: 400, ...strokeLegend },
  };
  // x: symlog over the steps, ticked at 0, the powers of ten and the last step (both ends of the axis)
  const last = Math.max(0, ...rows.map((r) => r.step as number));
  const stepTicks = [0, ...Array.from({ length: Math.floor(Math.log10(Math.max(1, last))) + 1 }, (_, k) => 10 ** k).filter((t) => t < last * 0.6), last];
  const stepAxis = {
    field: 'step',
    type: 'quantitative',
    scale: { type: 'symlog', domain: [0, last], nice: false },
    axis: { values: [...new Set(stepTicks)], labelFlush: true },
    title: 'gradient step t',
  };
  const y = { type: 'quantitative', scale: { nice: yTicks, zero: false }, axis: { tickCount: yTicks } };
  const spec = {
    ...base,
    title: opts.title,
    data: { values: rows },
    facet: { column: { field: 'measure', type: 'nominal', title: null, sort: measures.map((m) => m.name) } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 330,
      height: 240,
      layer: [
        {
          mark: { type: 'area', opacity: 0.15 },
          encoding: { x: stepAxis, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: groupColor },
        },
        {
          mark: { type: 'line', point: { size: 14 } },
          encoding: { x: stepAxis, y: { ...y, field: 'mean', title: null }, color: groupColor },
        },
      ],
    },
  } as unknown as TopLevelSpec;
  return { spec, csv: toCsv(tableOf(rows)) };
}

/**
 * Predicted against measured: one point per aggregated row and run (transfer, scratch), the mean over seeds of the
 * study's measure on x and the theory's prediction of it on y, with the line of equality (sampled sweeps).
 */
export function calibrationScatter(agg: Table, study: AnyStudy, title: string): FigureData {
  const rows: Row[] = [];
  for (const run of ['transfer', 'scratch'] as const) {
    const field = study.measure.predicted?.[run];
    if (!field) continue;
    const measured = column(agg, `${run}.${study.measure.key}.mean`);
    const predicted = column(agg, `predicted.${field}`);
    measured.forEach((m, i) => {
      if (typeof m === 'number' && typeof predicted[i] === 'number') rows.push({ run, measured: m, predicted: predicted[i] });
    });
  }
  const values = rows.flatMap((r) => [r.measured as number, r.predicted as number]);
  const hi = values.length ? Math.max(...values) : 1;
  const spec = {
    ...base,
    title,
    width: 360,
    height: 360,
    data: { values: rows },
    layer: [
      { mark: { type: 'rule', color: referenceColor, strokeDash: [4, 4] }, encoding: { x: { datum: 0 }, y: { datum: 0 }, x2: { datum: hi }, y2: { datum: hi } } },
      {
        mark: { type: 'point', filled: true, size: 16, opacity: 0.55 },
        encoding: {
          x: { field: 'measured', type: 'quantitative', title: `measured ${study.measure.label} (mean over seeds)` },
          y: { field: 'predicted', type: 'quantitative', title: `predicted ${study.measure.label}` },
          color: { field: 'run', type: 'nominal', scale: runColors, title: null },
        },
      },
    ],
  } as unknown as TopLevelSpec;
  return { spec, csv: toCsv(tableOf(rows)) };
}

/** One case of a categorical comparison: its label and the gain's mean and 95% interval over its seeds. */
export interface GainCase {
  label: string;
  mean: number | null;
  lo: number | null;
  hi: number | null;
  seeds: number;
  /** the group a case belongs to (one colour per group), when the cases are grouped */
  group?: string;
}

/**
 * Gains of named cases (presets, inheritance schemes, mitigations): one row per case, the mean as a point and its 95%
 * interval as a bar, the line Δ = 0 dashed (right of it: positive transfer).
 */
export function gainByCase(cases: readonly GainCase[], opts: { title: string; study: AnyStudy }): FigureData {
  const rows: Row[] = cases.map((c) => ({ case: c.label, group: c.group ?? 'gain', mean: c.mean, lo: c.lo, hi: c.hi, seeds: c.seeds }));
  const grouped = new Set(rows.map((r) => r.group)).size > 1;
  const { measure } = opts.study;
  const x = { type: 'quantitative', title: `gain Δ = ${measure.gainShort}`, axis: measure.gainFormat ? { format: measure.gainFormat } : {} };
  const y = { field: 'case', type: 'nominal', title: null, sort: rows.map((r) => r.case), axis: { labelLimit: 320 } };
  const color = grouped
    ? { field: 'group', type: 'nominal', title: null, sort: [...new Set(rows.map((r) => r.group))] }
    : { value: '#6a3d9a' };
  const spec = {
    ...base,
    title: opts.title,
    width: 360,
    height: { step: 22 },
    data: { values: rows },
    layer: [
      { mark: { type: 'rule', color: '#999', strokeDash: [4, 3] }, encoding: { x: { datum: 0, type: 'quantitative' } } },
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y, x: { field: 'lo', ...x }, x2: { field: 'hi' }, color } },
      { mark: { type: 'point', filled: true, size: 50 }, encoding: { y, x: { field: 'mean', ...x }, color } },
    ],
  } as unknown as TopLevelSpec;
  return { spec, csv: toCsv(tableOf(rows)) };
}
