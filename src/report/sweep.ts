import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { writeFileAtomic } from '../io/atomic.js';
import type { AnyStudy } from '../study/types.js';
import { aggregateTable, column, runRecords, runTable, toCsv, type Predictor, type Table } from '../sweep/export.js';
import { expandJobs, planStudy, type SweepPlan } from '../sweep/grid.js';
import { SweepStore } from '../sweep/store.js';
import { calibrationScatter, factorLabelOf, gainVsFactor, measureVsFactor, panelLabels, phaseDiagram, type FigureData } from './figures.js';
import { sweepReportHtml, type SweepSection } from './html.js';
import { writeFigure, type FigureFiles } from './render.js';

export interface SweepReportOptions {
  /** the sweep directory (holding results.sqlite) */
  dir: string;
  /** the report file (default DIR/report.html); figures go to `figures/` and the tables next to it */
  out?: string;
  version: string;
  /** another theory than the study's own (null: none) */
  predictor?: Predictor | null;
  bayesTolerance?: number;
}

export interface SweepReportResult {
  report: string;
  figures: FigureFiles[];
  runs: number;
  expected: number;
}

interface FigureSpec {
  name: string;
  title: string;
  caption: string;
  data: FigureData;
}

/**
 * The axes worth a figure: the first key of each axis with at least two distinct numeric values (zipped keys vary
 * together). A sampled axis (`sample:`) holds random configurations, not a range: it gets no line figures.
 */
function factorAxes(plan: SweepPlan): { key: string; axis: number }[] {
  const out: { key: string; axis: number }[] = [];
  plan.axes.forEach((a, axis) => {
    if (a.sampled) return;
    const j = a.keys.findIndex((_, k) => {
      const vals = a.values.map((row) => row[k]);
      return vals.every((v) => typeof v === 'number') && new Set(vals).size > 1;
    });
    if (j >= 0) out.push({ key: a.keys[j], axis });
  });
  return out;
}

/** A log axis for positive values spanning a factor of ten or more (sample counts, noise levels). */
function logScale(agg: Table, key: string): boolean {
  const xs = column(agg, key).filter((v): v is number => typeof v === 'number');
  return xs.length > 0 && Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) >= 10;
}

/**
 * The figures of one sweep: for every numeric axis, the study's measure of transfer vs scratch (with the theory's
 * curves where the study has a theory) and the gain Δ, one panel per combination of the other axes; a sweep over
 * exactly two numeric axes also gets its phase diagram.
 */
function sweepFigures(study: AnyStudy, plan: SweepPlan, agg: Table, predictor: Predictor | undefined): FigureSpec[] {
  const figures: FigureSpec[] = [];
  const factors = factorAxes(plan);
  const theory = agg.columns.some((c) => c.startsWith('predicted.'));
  for (const { key, axis } of factors) {
    const others = plan.axes.flatMap((a, i) => (i === axis ? [] : a.keys));
    const panels = panelLabels(agg, others);
    const log = logScale(agg, key);
    const what = factorLabelOf(study, key);
    const split = others.length ? `, one panel per ${others.join(', ')}` : '';
    const title = `${study.measure.label.replace(/^./, (c) => c.toUpperCase())} vs ${what}`;
    figures.push({
      name: `${plan.name}-${study.measure.short}-${key}`,
      title,
      caption: `${title}: transfer and scratch, mean and 95% band over seeds${split}${
        theory && study.measure.predicted ? '; dashed: the theory’s predictions' : ''
      }.`,
      data: measureVsFactor(agg, key, { title, study, log, panels }),
    });
    const gainTitle = `Transfer gain vs ${what}`;
    figures.push({
      name: `${plan.name}-gain-${key}`,
      title: gainTitle,
      caption: `${gainTitle}: Δ = ${study.measure.gain} (above the dashed line: positive transfer), mean and 95% band over seeds${split}.`,
      data: gainVsFactor(agg, key, { title: gainTitle, study, log, panels }),
    });
  }
  if (plan.axes.some((a) => a.sampled) && theory && study.measure.predicted) {
    const title = `Calibration: predicted vs measured ${study.measure.label}`;
    figures.push({
      name: `${plan.name}-calibration`,
      title,
      caption: `${title} over the sampled configurations: mean over seeds (x) against the theory's prediction (y), transfer and scratch; dashed: equality.`,
      data: calibrationScatter(agg, study, title),
    });
  }
  const single = factors.filter(({ axis }) => plan.axes[axis].keys.length === 1);
  if (plan.axes.length === 2 && single.length === 2) {
    const [x, y] = single.map((f) => f.key);
    const title = `Phase diagram: ${factorLabelOf(study, x)} × ${factorLabelOf(study, y)}`;
    figures.push({
      name: `${plan.name}-phase-${x}-${y}`,
      title,
      caption: `${title}: mean transfer gain Δ per cell (blue positive, red negative transfer)${
        predictor ? '; +/− the predicted regime per cell, black dots the predicted boundary' : ''
      }.`,
      data: phaseDiagram(agg, plan.base, x, y, { study, xLog: logScale(agg, x), yLog: logScale(agg, y), title, predictor }),
    });
  }
  return figures;
}

/** The spec's description, when it has one (the stored YAML text). */
function specDescription(text: string): string {
  try {
    const doc = parseYaml(text) as { description?: unknown } | null;
    return typeof doc?.description === 'string' ? doc.description : '';
  } catch {
    return '';
  }
}

/**
 * The report of a sweep directory, whatever its family and however far it got: the tables (runs.csv,
 * aggregate.csv), the figures (figures/NAME.{vl.json,svg,png,csv}) and one self-contained report.html.
 */
export async function sweepReport(opts: SweepReportOptions): Promise<SweepReportResult> {
  const out = opts.out ?? join(opts.dir, 'report.html');
  const store = SweepStore.read(opts.dir);
  let plan: SweepPlan;
  let section: SweepSection;
  let failures: number;
  let engine: string;
  let figures: FigureSpec[];
  try {
    plan = store.plan();
    const stored = store.runs();
    const study = planStudy(plan);
    const predictor = opts.predictor === null ? undefined : (opts.predictor ?? study.theory?.predict);
    const records = runRecords(plan, stored);
    const tableOpts = { predictor: predictor ?? null, bayesTolerance: opts.bayesTolerance };
    const agg = aggregateTable(study, records, tableOpts);
    writeFileAtomic(join(dirname(out), 'runs.csv'), toCsv(runTable(study, records, tableOpts)));
    writeFileAtomic(join(dirname(out), 'aggregate.csv'), toCsv(agg));
    figures = records.length ? sweepFigures(study, plan, agg, predictor) : [];
    section = {
      sweep: { name: plan.name, title: plan.name, description: specDescription(store.specText()) },
      plan,
      agg,
      figures: [],
      runs: records.length,
      expected: expandJobs(plan).jobs.length,
      runSeconds: stored.reduce((t, r) => t + r.seconds, 0),
    };
    failures = store.failures().length;
    engine = store.engine();
  } finally {
    store.close();
  }
  const figDir = join(dirname(out), 'figures');
  for (const f of figures) section.figures.push(await writeFigure(figDir, { name: f.name, title: f.title, caption: f.caption, ...f.data }));
  writeFileAtomic(
    out,
    sweepReportHtml({
      version: opts.version,
      engine,
      dir: opts.dir,
      section,
      failures,
    }),
  );
  return { report: out, figures: section.figures, runs: section.runs, expected: section.expected };
}
