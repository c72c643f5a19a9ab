import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { ExperimentConfig } from '../config/schema.js';
import { writeFileAtomic } from '../io/atomic.js';
import {
  aggregateTable,
  canonicalKey,
  column,
  fitThreshold,
  runRecords,
  runTable,
  toCsv,
  type RunRecord,
} from '../sweep/export.js';
import { expandJobs, type SweepPlan } from '../sweep/grid.js';
import type { Predictor } from '../sweep/predict.js';
import type { SweepSummary, SweepTarget } from '../sweep/run.js';
import { parseSweepSpec } from '../sweep/spec.js';
import { SweepStore } from '../sweep/store.js';
import { dynamics, errorVsFactor, phaseDiagram, type FigureData } from './figures.js';
import { reportHtml, type Agreement, type SweepSection } from './html.js';
import { paperSweeps, type FigurePlan, type NamedSweep } from './paper.js';
import { writeFigure, type FigureFiles } from './render.js';

export interface ReproduceOptions {
  out: string;
  mode: 'quick' | 'full';
  engine: string;
  version: string;
  predictor?: Predictor;
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
  agreement: Agreement | null;
}

function figureFor(
  plan: FigurePlan,
  sweep: NamedSweep,
  base: ExperimentConfig,
  records: RunRecord[],
  agg: ReturnType<typeof aggregateTable>,
  predictor: Predictor | undefined,
): { name: string; title: string; caption: string; data: FigureData } {
  if (plan.kind === 'factor') {
    const suffix = plan.noisy ? '-noisy' : '';
    return {
      name: `${sweep.name}-error${suffix}`,
      title: sweep.title,
      caption:
        `${sweep.title}: test error ${plan.noisy ? 'against the observed labels (dashed: the Bayes error p)' : '(clean)'} ` +
        'of transfer and scratch, mean and 95% interval over seeds.',
      data: errorVsFactor(agg, plan.factor, { log: plan.log, noisy: plan.noisy, title: sweep.title }),
    };
  }
  if (plan.kind === 'phase') {
    return {
      name: `${sweep.name}`,
      title: sweep.title,
      caption:
        `${sweep.title}: mean transfer gain Δ per cell (blue positive, red negative transfer); ` +
        `+/− the predicted regime per cell${predictor ? ', black dots the predicted boundary Γ = threshold' : ''}.`,
      data: phaseDiagram(agg, base, plan.x, plan.y, { xLog: plan.xLog, yLog: plan.yLog, title: sweep.title, predictor }),
    };
  }
  const at = Object.entries(plan.at) as [keyof ExperimentConfig, unknown][];
  const chosen = records.filter((r) => at.every(([k, v]) => r.config[k] === v));
  const where = at.map(([k, v]) => `${k} = ${v}`).join(', ');
  return {
    name: `${sweep.name}-dynamics`,
    title: `${sweep.title}: training dynamics`,
    caption:
      `${sweep.title} at ${where}: signal learning along u and noise memorisation during training: upstream, ` +
      `inherited vs fresh filters of the transfer run, and scratch (mean over ${new Set(chosen.map((r) => r.seed)).size} ` +
      'seeds, 95% band).',
    data: dynamics(chosen, { title: `${sweep.title} (${where}): training dynamics` }),
  };
}

/** Agreement of the predicted regime with the simulations, over distinct grid points of all sweeps. */
function agreementOf(sections: SweepSection[], theoryFit?: Agreement['theoryFit']): Agreement | null {
  interface PointOutcome {
    gamma: number;
    regime: string;
    observed: string;
    significant: boolean | null;
    scratch: boolean | null;
    scratchPred: boolean;
  }
  const seen = new Map<string, PointOutcome>();
  for (const s of sections) {
    const t = s.agg;
    if (!t.columns.includes('predicted.regime')) return null;
    t.rows.forEach((_, i) => {
      const key = canonicalKey(t, i);
      seen.set(key, {
        gamma: column(t, 'predicted.gamma')[i] as number,
        regime: column(t, 'predicted.regime')[i] as string,
        observed: column(t, 'observed.regime')[i] as string,
        significant: column(t, 'observed.significant')[i] as boolean | null,
        scratch: column(t, 'observed.scratchBayesOptimal')[i] as boolean | null,
        scratchPred: column(t, 'predicted.scratchBayesOptimal')[i] as boolean,
      });
    });
  }
  const pts = [...seen.values()];
  const decided = pts.filter((p) => (p.observed === 'positive' || p.observed === 'negative') && p.regime !== 'neutral');
  const sig = decided.filter((p) => p.significant);
  const scratch = pts.filter((p) => p.scratch !== null);
  return {
    points: decided.length,
    agree: decided.filter((p) => p.regime === p.observed).length,
    significantPoints: sig.length,
    significantAgree: sig.filter((p) => p.regime === p.observed).length,
    scratchPoints: scratch.length,
    scratchAgree: scratch.filter((p) => p.scratch === p.scratchPred).length,
    fit: fitThreshold(
      pts
        .filter((p) => p.observed === 'positive' || p.observed === 'negative')
        .map((p) => ({ gamma: p.gamma, positive: p.observed === 'positive' })),
    ),
    theoryFit,
  };
}

/** If the theory module offers `fitConstants(observations)` and `agreementRate`, report its own fit too. */
async function theoryFitOf(records: RunRecord[]): Promise<Agreement['theoryFit']> {
  const url = new URL('../theory/index.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  const mod = (await import(url.href)) as { fitConstants?: unknown; agreementRate?: unknown };
  if (typeof mod.fitConstants !== 'function') return undefined;
  const obs = records.map((r) => ({
    config: r.config,
    scratchError: r.result.scratch.testError,
    transferError: r.result.transfer.testError,
    nTest: r.config.nTest,
  }));
  try {
    const constants = (mod.fitConstants as (o: unknown) => Record<string, number>)(obs);
    const rate = mod.agreementRate as ((o: unknown, k: unknown) => number) | undefined;
    const agreement = typeof rate === 'function' ? rate(obs, constants) : null;
    return { constants, agreement };
  } catch {
    return undefined; // an optional extra: its absence must not sink the report
  }
}

/**
 * The paper's synthetic study end to end: named sweeps (resumable stores under OUT/sweeps/NAME), their exports,
 * figures under OUT/figures, and the self-contained OUT/report.html.
 */
export async function reproduce(opts: ReproduceOptions): Promise<ReproduceResult> {
  const t0 = performance.now();
  let sweeps = paperSweeps(opts.mode);
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
    const allRecords: RunRecord[] = [];
    const figDir = join(opts.out, 'figures');
    let figures = 0;
    for (const { plan, store, sweep } of targets) {
      const stored = store.runs();
      const records = runRecords(plan, stored);
      allRecords.push(...records);
      const agg = aggregateTable(records, { predictor: opts.predictor, bayesTolerance: opts.bayesTolerance });
      writeFileAtomic(join(store.dir, 'runs.csv'), toCsv(runTable(records, opts.predictor)));
      writeFileAtomic(join(store.dir, 'aggregate.csv'), toCsv(agg));
      const files: FigureFiles[] = [];
      if (records.length) {
        for (const fp of sweep.figures) {
          const f = figureFor(fp, sweep, plan.base, records, agg, opts.predictor);
          files.push(await writeFigure(figDir, { name: f.name, title: f.title, caption: f.caption, ...f.data }));
          figures++;
        }
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
    const agreement = opts.predictor ? agreementOf(sections, await theoryFitOf(dedupe(allRecords))) : null;
    const report = join(opts.out, 'report.html');
    writeFileAtomic(
      report,
      reportHtml({
        mode: opts.mode,
        version: opts.version,
        engine: opts.engine,
        seconds: (performance.now() - t0) / 1000,
        sections,
        agreement,
        bayesTolerance: opts.bayesTolerance ?? 0.01,
        failures: summary.failures.length,
      }),
    );
    return { report, figures, summary, agreement };
  } finally {
    for (const s of stores) s.close();
  }
}

/** A config shared by several sweeps counts once. */
function dedupe(records: RunRecord[]): RunRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
}
