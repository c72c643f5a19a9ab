import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ExperimentConfig } from '../config/schema.js';
import type { ExperimentResult } from '../experiment/run.js';
import { syntheticStudy } from '../experiment/study.js';
import { writeFileAtomic } from '../io/atomic.js';
import {
  aggregateTable,
  canonicalKey,
  column,
  fitThreshold,
  runRecords,
  runTable,
  toCsv,
  type Predictor,
  type RunRecord,
} from '../sweep/export.js';
import { expandJobs, type SweepPlan } from '../sweep/grid.js';
import type { SweepSummary, SweepTarget } from '../sweep/run.js';
import { parseSweepSpec } from '../sweep/spec.js';
import { SweepStore } from '../sweep/store.js';
import { dynamics, measureVsFactor, phaseDiagram, type FigureData } from './figures.js';
import { calibrationFigure, heldoutCheck, type HeldoutCheck } from './heldout.js';
import { reportHtml, type Agreement, type SweepSection } from './html.js';
import { paperSweeps, type FigurePlan, type NamedSweep } from './paper.js';
import { writeFigure, type FigureFiles } from './render.js';

/** A stored run of the synthetic experiment, parsed. */
type SyntheticRecord = RunRecord<ExperimentConfig, ExperimentResult>;

export interface ReproduceOptions {
  out: string;
  mode: 'quick' | 'full';
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
  agreement: Agreement | null;
  /** the held-out check, when both theory sweeps ran */
  heldout?: HeldoutCheck;
}

function figureFor(
  plan: FigurePlan,
  sweep: NamedSweep,
  base: ExperimentConfig,
  records: SyntheticRecord[],
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
      data: measureVsFactor(agg, plan.factor, {
        study: syntheticStudy,
        log: plan.log,
        title: sweep.title,
        ...(plan.noisy
          ? { measure: { key: 'testErrorNoisy', label: 'test error (observed labels)' }, reference: { label: 'Bayes error p', column: 'labelNoise' } }
          : {}),
      }),
    };
  }
  if (plan.kind === 'phase') {
    return {
      name: `${sweep.name}`,
      title: sweep.title,
      caption:
        `${sweep.title}: mean transfer gain Δ per cell (blue positive, red negative transfer); ` +
        `+/− the predicted regime per cell${predictor ? ', black dots the predicted boundary Γ = threshold' : ''}.`,
      data: phaseDiagram(agg, base, plan.x, plan.y, { study: syntheticStudy, xLog: plan.xLog, yLog: plan.yLog, title: sweep.title, predictor }),
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
      const key = canonicalKey(syntheticStudy, t, i);
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

/** The theory's own constants refitted to every run, and its agreement with them. */
function theoryFitOf(records: SyntheticRecord[]): Agreement['theoryFit'] {
  const fit = syntheticStudy.theory?.refit?.(
    records.map((r) => ({ config: r.config, scratchError: r.result.scratch.testError, transferError: r.result.transfer.testError })),
  );
  return fit && { constants: fit.constants, agreement: fit.agreement };
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
    const allRecords: SyntheticRecord[] = [];
    const predictor = opts.predictor === null ? undefined : (opts.predictor ?? syntheticStudy.theory?.predict);
    const tableOpts = { predictor: predictor ?? null, bayesTolerance: opts.bayesTolerance };
    const figDir = join(opts.out, 'figures');
    let figures = 0;
    for (const { plan, store, sweep } of targets) {
      const stored = store.runs();
      const records = runRecords(plan, stored) as SyntheticRecord[];
      allRecords.push(...records);
      const agg = aggregateTable(syntheticStudy, records, tableOpts);
      writeFileAtomic(join(store.dir, 'runs.csv'), toCsv(runTable(syntheticStudy, records, tableOpts)));
      writeFileAtomic(join(store.dir, 'aggregate.csv'), toCsv(agg));
      const files: FigureFiles[] = [];
      if (records.length) {
        for (const fp of sweep.figures) {
          const f = figureFor(fp, sweep, plan.base as ExperimentConfig, records, agg, predictor);
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
    const agreement = predictor ? agreementOf(sections, opts.predictor ? undefined : theoryFitOf(dedupe(allRecords))) : null;
    // The held-out check: the theory scored on configurations and seeds it was not designed on (docs/theory.md §9).
    let heldout: { check: HeldoutCheck; figures: FigureFiles[] } | undefined;
    const byName = new Map(sections.map((s, i) => [s.sweep.name, targets[i]]));
    const fitT = byName.get('theory-fit');
    const holdT = byName.get('theory-holdout');
    if (fitT && holdT) {
      const recordsOf = (t: (typeof targets)[number]) => runRecords(t.plan, t.store.runs()) as SyntheticRecord[];
      const fitRecords = recordsOf(fitT);
      const holdRecords = recordsOf(holdT);
      if (fitRecords.length && holdRecords.length) {
        const check = heldoutCheck(fitRecords, holdRecords);
        const figs: FigureFiles[] = [];
        for (const [set, scores] of [
          ['fit', check.fit.scores],
          ['holdout', check.holdout.scores],
        ] as const) {
          const title = `Calibration on the ${set === 'fit' ? 'fit' : 'held-out'} set: predicted vs measured clean error`;
          figs.push(
            await writeFigure(figDir, {
              name: `calibration-${set}`,
              title,
              caption: `${title}, old Γ theory and current theory (mean population test error over seeds; transfer at α > 0, scratch once per configuration). Dashed: equality.`,
              ...calibrationFigure(scores, title),
            }),
          );
          figures++;
        }
        heldout = { check, figures: figs };
      }
    }
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
        heldout,
        bayesTolerance: opts.bayesTolerance ?? 0.01,
        failures: summary.failures.length,
      }),
    );
    return { report, figures, summary, agreement, heldout: heldout?.check };
  } finally {
    for (const s of stores) s.close();
  }
}

/** A config shared by several sweeps counts once. */
function dedupe(records: SyntheticRecord[]): SyntheticRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
}
