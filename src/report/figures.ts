import type { TopLevelSpec } from 'vega-lite';
import type { ConfigKey, ExperimentConfig } from '../config/schema.js';
import type { Phase } from '../experiment/run.js';
import type { FeatureMeasures, GroupMeasures } from '../measure/features.js';
import { column, toCsv, type Cell, type RunRecord, type Table } from '../sweep/export.js';
import type { FamilyName } from '../sweep/family.js';
import type { Predictor } from '../sweep/predict.js';
import { tInterval } from '../sweep/stats.js';

/** Axis labels in the paper's notation. */
export const factorLabel: Partial<Record<ConfigKey, string>> = {
  alpha: 'inheritance ratio α',
  n1: 'upstream samples N₁',
  n2: 'downstream samples N₂',
  uNorm: 'shared signal ‖u‖',
  v1Norm: 'upstream-specific signal ‖v₁‖',
  v2Norm: 'downstream-specific signal ‖v₂‖',
  sigmaP1: 'upstream noise σₚ,₁',
  sigmaP2: 'downstream noise σₚ,₂',
  d: 'dimension d',
  labelNoise: 'label noise p',
  m: 'filters per class m',
};
const label = (k: ConfigKey) => factorLabel[k] ?? k;

/** Axis labels of the real-data study's keys (its sample counts are per class). */
export const realFactorLabel: Record<string, string> = {
  alpha: 'inheritance ratio α',
  n1: 'upstream training images per class',
  n2: 'downstream training images per class',
  nTest: 'test images per class',
  labelNoise: 'label noise p',
  width: 'channels of the first stage',
  m: 'filters per class m',
  patch: 'patch side',
  lr: 'step size',
  momentum: 'momentum',
  weightDecay: 'weight decay',
  batchSize: 'batch size',
  epochs1: 'upstream epochs',
  epochs2: 'downstream epochs',
  inheritLayers: 'layers inherited whole',
};

/** The axis label of a config key of either family. */
export const factorLabelOf = (family: FamilyName, key: string): string =>
  (family === 'real' ? realFactorLabel[key] : factorLabel[key as ConfigKey]) ?? key;

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

const runColors = { domain: ['transfer', 'scratch', 'Bayes error p'], range: ['#1f77b4', '#d62728', '#7f7f7f'] };
const theoryColors = { domain: ['transfer (theory)', 'scratch (theory)'], range: ['#6baed6', '#fc9272'] };

/**
 * Test error against one factor: transfer vs scratch, mean over seeds with 95% t-intervals.
 * `noisy`: error against the observed labels, with the Bayes error p drawn for comparison.
 */
export function errorVsFactor(
  agg: Table,
  factor: ConfigKey,
  opts: { log?: boolean; noisy?: boolean; title: string; panels?: string[] | null },
): FigureData {
  const measure = opts.noisy ? 'testErrorNoisy' : 'testError';
  const xs = column(agg, factor);
  const rows: Row[] = [];
  // With panels (the sweep's other axes), every row says which one it belongs to.
  const at = panelField(opts.panels);
  xs.forEach((x, i) => {
    for (const run of ['transfer', 'scratch']) {
      rows.push({
        [factor]: x,
        ...at(i),
        run,
        mean: column(agg, `${run}.${measure}.mean`)[i],
        lo: column(agg, `${run}.${measure}.lo`)[i],
        hi: column(agg, `${run}.${measure}.hi`)[i],
        seeds: column(agg, 'seeds')[i],
      });
    }
    if (opts.noisy) {
      rows.push({ [factor]: x, ...at(i), run: 'Bayes error p', mean: column(agg, 'labelNoise')[i], lo: null, hi: null, seeds: null });
    }
    // The theory's predicted clean errors (docs/theory.md), drawn dashed over the measurements.
    if (!opts.noisy && agg.columns.includes('predicted.predictedTransferError')) {
      for (const run of ['transfer', 'scratch']) {
        const key = run === 'transfer' ? 'predictedTransferError' : 'predictedScratchError';
        rows.push({ [factor]: x, ...at(i), run: `${run} (theory)`, mean: column(agg, `predicted.${key}`)[i], lo: null, hi: null, seeds: null });
      }
    }
  });
  const hasTheory = rows.some((r) => String(r.run).endsWith('(theory)'));
  const scale = opts.log ? { type: 'log', nice: false, padding: 12 } : { zero: false };
  const x = { field: factor, type: 'quantitative', title: label(factor), scale };
  const runs = opts.noisy
    ? runColors
    : hasTheory
      ? { domain: [...runColors.domain.slice(0, 2), ...theoryColors.domain], range: [...runColors.range.slice(0, 2), ...theoryColors.range] }
      : { domain: runColors.domain.slice(0, 2), range: runColors.range.slice(0, 2) };
  const color = { field: 'run', type: 'nominal', title: null, scale: runs };
  const yTitle = opts.noisy ? 'test error (observed labels)' : 'test error (clean)';
  const spec = layered(
    opts.title,
    rows,
    [
      {
        mark: { type: 'errorbar', ticks: true },
        encoding: { x, y: { field: 'lo', type: 'quantitative', title: yTitle }, y2: { field: 'hi' }, color },
      },
      {
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative', title: yTitle },
          color,
          strokeDash: {
            condition: { test: "datum.run === 'Bayes error p' || indexof(datum.run, '(theory)') >= 0", value: [4, 3] },
            value: [1, 0],
          },
        },
      },
    ],
    { width: 360, height: 240 },
    opts.panels,
  );
  return { spec, csv: toCsv(tableOf(rows)) };
}

export interface FactorFigureOptions {
  title: string;
  family: FamilyName;
  log?: boolean;
  /** the panel of each aggregated row (panelLabels), to split by the sweep's other axes */
  panels?: string[] | null;
}

/** Mean lines with their 95% bands over seeds: the body of the accuracy and gain figures. */
function bandFigure(
  rows: Row[],
  factor: string,
  opts: FactorFigureOptions,
  y: { title: string; format?: string; zeroRule?: boolean },
  color: Record<string, unknown>,
): TopLevelSpec {
  const scale = opts.log ? { type: 'log', nice: false, padding: 12 } : { zero: false };
  const x = { field: factor, type: 'quantitative', title: factorLabelOf(opts.family, factor), scale };
  const axis = y.format ? { format: y.format } : {};
  const layer = [
    ...(y.zeroRule ? [{ mark: { type: 'rule', color: '#999', strokeDash: [4, 3] }, encoding: { y: { datum: 0 } } }] : []),
    {
      mark: { type: 'area', opacity: 0.18 },
      encoding: { x, y: { field: 'lo', type: 'quantitative', title: y.title, axis }, y2: { field: 'hi' }, color },
    },
    {
      mark: { type: 'line', point: true },
      encoding: { x, y: { field: 'mean', type: 'quantitative', title: y.title, axis, scale: { zero: false } }, color },
    },
  ];
  return layered(opts.title, rows, layer, { width: 360, height: 240 }, opts.panels);
}

/**
 * Test accuracy of transfer and scratch against one factor (real-data sweeps): mean over seeds and the 95%
 * t-interval as a band.
 */
const clamp01 = (x: Cell) => (typeof x === 'number' ? Math.min(1, Math.max(0, x)) : x);

export function accuracyVsFactor(agg: Table, factor: string, opts: FactorFigureOptions): FigureData {
  const rows: Row[] = [];
  const at = panelField(opts.panels);
  column(agg, factor).forEach((x, i) => {
    for (const run of ['transfer', 'scratch']) {
      rows.push({
        [factor]: x,
        ...at(i),
        run,
        mean: column(agg, `${run}.testAccuracy.mean`)[i],
        // a t-interval over few seeds can leave [0, 1]; an accuracy cannot (aggregate.csv keeps it as computed)
        lo: clamp01(column(agg, `${run}.testAccuracy.lo`)[i]),
        hi: clamp01(column(agg, `${run}.testAccuracy.hi`)[i]),
        seeds: column(agg, 'seeds')[i],
      });
    }
  });
  const color = {
    field: 'run',
    type: 'nominal',
    title: null,
    scale: { domain: runColors.domain.slice(0, 2), range: runColors.range.slice(0, 2) },
    // the band layer would otherwise fade the legend's symbols
    legend: { symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 2 },
  };
  const spec = bandFigure(rows, factor, opts, { title: 'test accuracy', format: '.0%' }, color);
  return { spec, csv: toCsv(tableOf(rows)) };
}

/**
 * The transfer gain Δ against one factor, mean over seeds with its 95% band and the line Δ = 0 (above: positive
 * transfer). Real data: Δ = acc_transfer − acc_scratch; synthetic: err_scratch − err_transfer (the same sign).
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
  const real = opts.family === 'real';
  // short enough to fit along the plot's height (the caption spells it out)
  const title = real ? 'gain Δ = acc_t − acc_s' : 'gain Δ = err_s − err_t';
  const color = { field: 'run', type: 'nominal', title: null, legend: null, scale: { domain: ['gain'], range: ['#6a3d9a'] } };
  const spec = bandFigure(rows, factor, opts, { title, format: real ? '+.1~%' : undefined, zeroRule: true }, color);
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
 * Points on the predicted regime boundary over a rectangle: scan lines along each axis, bisect every change of the
 * predicted regime between positive and negative. Works for boundaries of any orientation; drawn as dots.
 */
export function predictedBoundary(
  cfg: ExperimentConfig,
  xKey: ConfigKey,
  yKey: ConfigKey,
  xr: [number, number, boolean],
  yr: [number, number, boolean],
  predictor: Predictor,
  lines = 48,
): { x: number; y: number }[] {
  const regime = (x: number, y: number) => predictor({ ...cfg, [xKey]: x, [yKey]: y }).regime;
  const out: { x: number; y: number }[] = [];
  const scan = (along: [number, number, boolean], at: (t: number) => [number, number]) => {
    const ts = spaced(along[0], along[1], 4 * lines, along[2]);
    for (let i = 0; i + 1 < ts.length; i++) {
      let lo = ts[i];
      let hi = ts[i + 1];
      const rLo = regime(...at(lo));
      const rHi = regime(...at(hi));
      // Only sign changes of the prediction; 'neutral' (e.g. α = 0, nothing inherited) is no boundary.
      if (rLo === rHi || rLo === 'neutral' || rHi === 'neutral') continue;
      for (let k = 0; k < 40; k++) {
        const mid = along[2] ? Math.sqrt(lo * hi) : (lo + hi) / 2;
        if (regime(...at(mid)) === rLo) lo = mid;
        else hi = mid;
      }
      const [x, y] = at((lo + hi) / 2);
      out.push({ x, y });
    }
  };
  for (const x of spaced(xr[0], xr[1], lines, xr[2])) scan(yr, (t) => [x, t]);
  for (const y of spaced(yr[0], yr[1], lines, yr[2])) scan(xr, (t) => [t, y]);
  return out;
}

/**
 * Phase diagram: mean transfer gain Δ over two axes (red: negative transfer, blue: positive), the predicted
 * regime boundary (black dots) and the predicted sign per cell (+ / −).
 */
export function phaseDiagram(
  agg: Table,
  cfg: ExperimentConfig,
  xKey: ConfigKey,
  yKey: ConfigKey,
  opts: { xLog?: boolean; yLog?: boolean; title: string; predictor?: Predictor },
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
  const maxAbs = Math.max(1e-9, ...cells.map((c) => Math.abs((c.gain as number) ?? 0)));
  const spec = {
    ...base,
    title: opts.title,
    width: 320,
    height: 280,
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x: { field: 'x0', type: 'quantitative', title: label(xKey), scale: xScale },
          x2: { field: 'x1' },
          y: { field: 'y0', type: 'quantitative', title: label(yKey), scale: yScale },
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
export function dynamics(records: readonly RunRecord[], opts: { title: string }): FigureData {
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
    legend: { labelLimit: 400 },
  };
  const spec = {
    ...base,
    title: opts.title,
    data: { values: rows },
    facet: { column: { field: 'measure', type: 'nominal', title: null, sort: measures.map((m) => m.name) } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 260,
      height: 200,
      layer: [
        {
          mark: { type: 'area', opacity: 0.15 },
          encoding: {
            x: { field: 'step', type: 'quantitative', scale: { type: 'symlog' }, title: 'gradient step t' },
            y: { field: 'lo', type: 'quantitative' },
            y2: { field: 'hi' },
            color: groupColor,
          },
        },
        {
          mark: { type: 'line', point: { size: 14 } },
          encoding: {
            x: { field: 'step', type: 'quantitative', scale: { type: 'symlog' }, title: 'gradient step t' },
            y: { field: 'mean', type: 'quantitative', title: null },
            color: groupColor,
          },
        },
      ],
    },
  } as unknown as TopLevelSpec;
  return { spec, csv: toCsv(tableOf(rows)) };
}
