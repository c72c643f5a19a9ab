import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../io/atomic.js';
import type { FigureSpec, NamedSweep, ReproduceMode, ReproducedSweep, Reproduction } from '../study/reproduction.js';
import { defaultStudy } from '../study/registry.js';
import type { AnyStudy } from '../study/types.js';
import { aggregateTable, runRecords, runTable, toCsv, type Predictor } from '../sweep/export.js';
import { expandJobs, type SweepPlan } from '../sweep/grid.js';
import type { SweepSummary, SweepTarget } from '../sweep/run.js';
import { parseSweepSpec } from '../sweep/spec.js';
import { SweepStore } from '../sweep/store.js';
import type { SweepSection } from './html.js';
import { writeFigure, type FigureFiles } from './render.js';

export interface ReproduceOptions {
  /** the study reproduced (default: the first of the registry that has a reproduction: the paper's synthetic study) */
  study?: AnyStudy;
  out: string;
  mode: ReproduceMode;
  engine: string;
  version: string;
  /** another theory than the study's own (null: none) */
  predictor?: Predictor | null;
  bayesTolerance?: number;
  /** runs the sweeps (the CLI passes its worker pool with a progress bar) */
  execute: (targets: SweepTarget[]) => Promise<SweepSummary>;
  /** only these named sweeps (default: all) */
  only?: string[];
}

export interface ReproduceResult {
  report: string;
  figures: number;
  summary: SweepSummary;
  /** the reproduction's one line for the terminal (theory agreement, claims established), or '' */
  line: string;
  /** every sweep with its runs and aggregate */
  sweeps: ReproducedSweep[];
}

/** The study's reproduction, or a one-line error. */
export async function reproductionOf(study: AnyStudy): Promise<Reproduction> {
  if (!study.reproduction) throw new Error(`the ${study.title} has no reproduction`);
  return study.reproduction();
}

/**
 * A study's reproduction end to end: its named sweeps (resumable stores under OUT/sweeps/NAME, specs under
 * OUT/specs), their exports (runs.csv, aggregate.csv), figures under OUT/figures, and the self-contained
 * OUT/report.html. Without `study`, the synthetic study of the paper (the registry's default).
 */
export async function reproduce(opts: ReproduceOptions): Promise<ReproduceResult> {
  const t0 = performance.now();
  const study = opts.study ?? defaultStudy;
  const reproduction = await reproductionOf(study);
  let sweeps: NamedSweep[] = reproduction.sweeps(opts.mode);
  if (opts.only?.length) sweeps = sweeps.filter((s) => opts.only!.includes(s.name));
  const stores: SweepStore[] = [];
  try {
    const targets: (SweepTarget & { plan: SweepPlan; sweep: NamedSweep })[] = [];
    for (const sweep of sweeps) {
      const text = `# ${sweep.title}: ${sweep.description}\n${stringify(sweep.spec)}`;
      const specFile = join(opts.out, 'specs', `${sweep.name}.yaml`);
      writeFileAtomic(specFile, text);
      const plan = parseSweepSpec(text, specFile, opts.out, sweep.name);
      const store = SweepStore.open(join(opts.out, 'sweeps', sweep.name));
      stores.push(store);
      store.attach(plan, text, opts.engine, opts.version);
      targets.push({ plan, store, sweep });
    }
    const summary = await opts.execute(targets);

    const sections: SweepSection[] = [];
    const reproduced: ReproducedSweep[] = [];
    const predictor = opts.predictor === null ? undefined : (opts.predictor ?? study.theory?.predict);
    const tableOpts = { predictor: predictor ?? null, bayesTolerance: opts.bayesTolerance };
    const figDir = join(opts.out, 'figures');
    let figures = 0;
    for (const { plan, store, sweep } of targets) {
      const stored = store.runs();
      const records = runRecords(plan, stored);
      const agg = aggregateTable(study, records, tableOpts);
      writeFileAtomic(join(store.dir, 'runs.csv'), toCsv(runTable(study, records, tableOpts)));
      writeFileAtomic(join(store.dir, 'aggregate.csv'), toCsv(agg));
      const done: ReproducedSweep = { sweep, plan, records, agg };
      reproduced.push(done);
      const specs: FigureSpec[] = records.length ? reproduction.figures(done, predictor) : [];
      const files: FigureFiles[] = [];
      for (const f of specs) {
        files.push(await writeFigure(figDir, { name: f.name, title: f.title, caption: f.caption, ...f.data }));
        figures++;
      }
      sections.push({
        sweep,
        plan,
        agg,
        figures: files,
        runs: records.length,
        expected: expandJobs(plan).jobs.length,
        runSeconds: stored.reduce((t, r) => t + r.seconds, 0),
      });
    }
    const { html, summary: line } = reproduction.report({
      mode: opts.mode,
      version: opts.version,
      engine: opts.engine,
      seconds: (performance.now() - t0) / 1000,
      sections,
      sweeps: reproduced,
      predictor,
      customPredictor: Boolean(opts.predictor),
      bayesTolerance: opts.bayesTolerance ?? 0.01,
      failures: summary.failures.length,
    });
    const report = join(opts.out, 'report.html');
    writeFileAtomic(report, html);
    return { report, figures, summary, line, sweeps: reproduced };
  } finally {
    for (const s of stores) s.close();
  }
}
