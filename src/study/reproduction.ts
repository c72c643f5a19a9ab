import type { FigureData } from '../report/figures.js';
import type { SweepSection } from '../report/html.js';
import type { Predictor, RunRecord, Table } from '../sweep/export.js';
import type { SweepPlan } from '../sweep/grid.js';
import type { SweepSpec } from '../sweep/spec.js';

/**
 * A study's reproduction: the named sweeps `paratransfer reproduce` runs for it, what to draw from each, and the
 * report page with the study's conclusions. The command runs the sweeps (resumable stores, one worker pool), exports
 * their tables and writes the figures; everything study-specific is here. A study offers one through
 * `Study.reproduction`, loaded on first use.
 */

/** `--quick` (minutes on 2 cores) or the full study. */
export type ReproduceMode = 'quick' | 'full';

/** One named sweep: a sweep spec, and the figures to draw from it (plans only the study's reproduction reads). */
export interface NamedSweep<F = unknown> {
  name: string;
  title: string;
  description: string;
  spec: SweepSpec;
  figures: F[];
}

/** A named sweep after it ran: its plan, its stored runs (export order) and their aggregate, one row per grid point. */
export interface ReproducedSweep<F = unknown> {
  sweep: NamedSweep<F>;
  plan: SweepPlan;
  records: RunRecord[];
  agg: Table;
}

/** A figure to draw: its file name (figures/NAME.*), title, caption and Vega-Lite data. */
export interface FigureSpec {
  name: string;
  title: string;
  caption: string;
  data: FigureData;
}

/** Everything a reproduction's report page is made of. */
export interface ReproductionReportInput<F = unknown> {
  mode: ReproduceMode;
  version: string;
  engine: string;
  /** wall seconds of this invocation */
  seconds: number;
  /** every sweep with its figures (as written) and table */
  sections: SweepSection[];
  /** the same sweeps with their runs */
  sweeps: ReproducedSweep<F>[];
  /** the theory drawn and checked, if any (the study's own, or a caller's) */
  predictor?: Predictor;
  /** the caller's own theory replaced the study's */
  customPredictor: boolean;
  bayesTolerance: number;
  /** runs that failed (they stay unfinished in the stores) */
  failures: number;
}

export interface Reproduction<F = unknown> {
  /** the named sweeps, in report order */
  sweeps(mode: ReproduceMode): NamedSweep<F>[];
  /** the figures of one sweep that ran (at least one run stored) */
  figures(sweep: ReproducedSweep<F>, predictor: Predictor | undefined): FigureSpec[];
  /** the self-contained report page, and one line for the terminal (e.g. "theory agreement 99.4% of 120 points") */
  report(input: ReproductionReportInput<F>): { html: string; summary: string };
}
