import type { TopLevelSpec } from 'vega-lite';
import type { ExperimentConfig } from '../config/schema.js';
import type { ExperimentResult, PhaseResult } from '../experiment/run.js';
import { canonicalConfig } from '../sweep/grid.js';
import type { RunRecord } from '../sweep/export.js';
import { groupBySeeds, toCsv } from '../sweep/export.js';
import { recommendedAlpha } from '../theory/advise.js';
import { gammaConstants, predictGamma } from '../theory/gamma.js';
import { predict } from '../theory/index.js';
import { reducedModel, type ModelParts } from '../theory/reduced.js';
import type { FigureData } from './figures.js';
import { textTable } from '../util/table.js';

/**
 * The held-out check of the theory (docs/theory.md §9, `paratransfer theory-check`, the reproduce report): measured
 * errors per configuration (mean population test error over seeds), the old Γ theory and the current one scored on
 * them, a calibration figure, and the advisor's regret against fixed policies.
 */

/** A stored run of the synthetic experiment. */
export type SyntheticRecord = RunRecord<ExperimentConfig, ExperimentResult>;

/** One configuration (all seeds): its mean measured clean errors. */
export interface MeasuredPoint {
  config: ExperimentConfig;
  seeds: number;
  scratch: number;
  transfer: number;
  gain: number;
}

/** The error a check reads from a phase: the population test error, or the test-set error of runs stored before it existed. */
export const measuredError = (p: PhaseResult): number => (typeof p.populationTestError === 'number' ? p.populationTestError : p.testError);

/** Records grouped by configuration (seed aside), in first-seen order, with mean errors over seeds. */
export function measuredPoints(records: readonly SyntheticRecord[]): MeasuredPoint[] {
  return [...groupBySeeds(records).values()].map((g) => {
    const mean = (f: (r: SyntheticRecord) => number) => g.reduce((t, r) => t + f(r), 0) / g.length;
    const scratch = mean((r) => measuredError(r.result.scratch));
    const transfer = mean((r) => measuredError(r.result.transfer));
    return { config: { ...g[0].config, seed: 0 }, seeds: g.length, scratch, transfer, gain: scratch - transfer };
  });
}

/** What a theory predicts for a point, in the terms the check scores. */
export interface PointPrediction {
  scratch: number;
  transfer: number;
  gain: number;
  regime: 'positive' | 'negative' | 'neutral';
}

/** A theory as the check sees it. */
export interface CheckedTheory {
  name: string;
  predict(config: ExperimentConfig): PointPrediction;
  /** the α it recommends among candidates (0: scratch) */
  recommend(config: ExperimentConfig, alphas: readonly number[]): number;
}

/** The current theory (reduced dynamics, src/theory/index.ts). */
export const currentTheory: CheckedTheory = {
  name: 'reduced dynamics (current)',
  predict(c) {
    const p = predict(c);
    return { scratch: p.predictedScratchError, transfer: p.predictedTransferError, gain: p.predictedGain, regime: p.regime };
  },
  recommend: (c, alphas) => recommendedAlpha(c, alphas),
};

/** The current theory with parts of it switched off (`theory-check --ablations`). */
export function partialTheory(name: string, parts: Partial<ModelParts>): CheckedTheory {
  const at = (c: ExperimentConfig) => reducedModel(c, { parts });
  return {
    name,
    predict(c) {
      const r = at(c);
      const gain = r.scratchError - r.transferError;
      return { scratch: r.scratchError, transfer: r.transferError, gain, regime: r.inheritedFilters === 0 || gain === 0 ? 'neutral' : gain > 0 ? 'positive' : 'negative' };
    },
    recommend(c, alphas) {
      let best = 0;
      let gain = 0;
      for (const alpha of alphas) {
        if (alpha <= 0) continue;
        const r = at({ ...c, alpha });
        if (r.scratchError - r.transferError > gain) {
          gain = r.scratchError - r.transferError;
          best = alpha;
        }
      }
      return best;
    },
  };
}

/** The model built up one part at a time, each row adding one (docs/theory.md §9): what each part buys. */
export const ablations: readonly CheckedTheory[] = (() => {
  const none = { averageCounts: false, averageDraws: false, crossTalk: false, sharedShift: false, memoryNorm: false, countTails: false };
  const steps: [string, Partial<ModelParts>][] = [
    ['reduced GD alone (expected counts, orthogonal noise)', {}],
    ['+ cross-talk between noise patches', { crossTalk: true }],
    ['+ memorised noise at its length', { memoryNorm: true }],
    ['+ average over sample counts', { averageCounts: true }],
    ['+ count tails (3× sets where counts spread)', { countTails: true }],
    ['+ shared memorised shift along s₂ (current)', { sharedShift: true }],
    ['(tried: + average over draws downstream)', { averageDraws: true }],
  ];
  let parts: Partial<ModelParts> = { ...none };
  return steps.map(([name, add]) => {
    parts = { ...parts, ...add };
    return partialTheory(name, parts);
  });
})();

/** The Γ theory this project shipped first (src/theory/gamma.ts), with its constants. */
export const gammaTheory: CheckedTheory = {
  name: 'Γ theory (old)',
  predict(c) {
    const p = predictGamma(c, gammaConstants);
    return { scratch: p.predictedScratchError, transfer: p.predictedTransferError, gain: p.predictedGain, regime: p.regime };
  },
  recommend(c, alphas) {
    let best = 0;
    let gain = 0;
    for (const alpha of alphas) {
      const g = alpha > 0 ? predictGamma({ ...c, alpha }, gammaConstants).predictedGain : 0;
      if (g > gain) {
        gain = g;
        best = alpha;
      }
    }
    return best;
  },
};

/** A measured gain counts as decisive above this (the issue's |Δ| > 0.01). */
export const decisiveGain = 0.01;

/** How one theory does on a set of points. */
export interface TheoryScore {
  theory: string;
  /** points with α > 0 (transfer differs from scratch) */
  points: number;
  /** decisive points (|measured gain| > 0.01, α > 0) and those whose sign the predicted regime matches */
  decisive: number;
  signAgree: number;
  /** Spearman rank correlation of the predicted with the measured gain over points with α > 0 */
  spearmanGain: number;
  /** mean absolute errors of the predicted clean errors (scratch over distinct scratch configurations) */
  maeScratch: number;
  maeTransfer: number;
  /** each point: measured and predicted (for the calibration figure) */
  pairs: { config: ExperimentConfig; measured: MeasuredPoint; predicted: PointPrediction }[];
}

/** Ranks with ties averaged (1-based positions are irrelevant to a correlation). */
function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) out[order[k][1]] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  if (n < 2) return NaN;
  const ma = a.reduce((t, x) => t + x, 0) / n;
  const mb = b.reduce((t, x) => t + x, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : NaN;
}

/** Spearman's rank correlation. */
export const spearman = (a: readonly number[], b: readonly number[]): number => pearson(ranks(a), ranks(b));

/** Score a theory on measured points. */
export function scoreTheory(theory: CheckedTheory, points: readonly MeasuredPoint[]): TheoryScore {
  const pairs = points.map((measured) => ({ config: measured.config, measured, predicted: theory.predict(measured.config) }));
  const moved = pairs.filter((x) => x.config.alpha > 0);
  const decisive = moved.filter((x) => Math.abs(x.measured.gain) > decisiveGain);
  const agree = decisive.filter((x) => x.predicted.regime === (x.measured.gain > 0 ? 'positive' : 'negative'));
  // Scratch does not depend on α (nor on upstream keys): score each scratch configuration once.
  const scratchSeen = new Map<string, (typeof pairs)[number]>();
  for (const x of pairs) scratchSeen.set(canonicalConfig({ ...x.config, alpha: 0, seed: 0 }), x);
  const mae = (xs: readonly number[]) => (xs.length ? xs.reduce((t, v) => t + v, 0) / xs.length : NaN);
  return {
    theory: theory.name,
    points: moved.length,
    decisive: decisive.length,
    signAgree: agree.length,
    spearmanGain: spearman(
      moved.map((x) => x.predicted.gain),
      moved.map((x) => x.measured.gain),
    ),
    maeScratch: mae([...scratchSeen.values()].map((x) => Math.abs(x.predicted.scratch - x.measured.scratch))),
    maeTransfer: mae(moved.map((x) => Math.abs(x.predicted.transfer - x.measured.transfer))),
    pairs,
  };
}

/** Scores already computed, per records array and theory: a reproduction's calibration figures and its report read the same ones. */
const scored = new WeakMap<readonly SyntheticRecord[], Map<CheckedTheory, TheoryScore>>();

/** Each theory scored on a sweep's records, once per records array. */
export function scoresOn(records: readonly SyntheticRecord[], theories: readonly CheckedTheory[]): TheoryScore[] {
  let done = scored.get(records);
  if (!done) scored.set(records, (done = new Map()));
  let points: MeasuredPoint[] | undefined;
  return theories.map((t) => {
    let score = done.get(t);
    if (!score) done.set(t, (score = scoreTheory(t, (points ??= measuredPoints(records)))));
    return score;
  });
}

/** The α grid of the advisor evaluation (every held-out configuration is run at each). */
export const advisorAlphas: readonly number[] = [0, 0.25, 0.5, 0.75, 1];

/** One policy's regret over configurations: best measured gain over α (α = 0 counts as 0) minus the gain it gets. */
export interface RegretRow {
  policy: string;
  configs: number;
  meanRegret: number;
  /** fraction of configurations where the policy's gain is within 0.01 of the best */
  withinTolerance: number;
  /** mean gain the policy gets */
  meanGain: number;
}

/** A configuration measured at every advisor α: its gains by α (α = 0: exactly 0). */
export interface AlphaCurve {
  config: ExperimentConfig;
  gains: Map<number, number>;
}

/** Configurations (α aside) measured at every α of `advisorAlphas`. */
export function alphaCurves(points: readonly MeasuredPoint[]): AlphaCurve[] {
  const curves = new Map<string, AlphaCurve>();
  for (const p of points) {
    const key = canonicalConfig({ ...p.config, alpha: 0, seed: 0 });
    let c = curves.get(key);
    if (!c) curves.set(key, (c = { config: { ...p.config, alpha: 0 }, gains: new Map() }));
    c.gains.set(p.config.alpha, p.config.alpha === 0 ? 0 : p.gain);
  }
  return [...curves.values()].filter((c) => advisorAlphas.every((a) => c.gains.has(a)));
}

/** Regret of policies (a function from a configuration to an α of `advisorAlphas`). */
export function regretTable(curves: readonly AlphaCurve[], policies: { name: string; alpha: (c: ExperimentConfig) => number }[], tolerance = 0.01): RegretRow[] {
  return policies.map(({ name, alpha }) => {
    let regret = 0;
    let within = 0;
    let gain = 0;
    for (const c of curves) {
      const best = Math.max(0, ...c.gains.values());
      const a = alpha(c.config);
      const g = c.gains.get(a);
      if (g === undefined) throw new Error(`policy ${name} chose α = ${a}, which was not measured`);
      regret += best - g;
      gain += g;
      if (best - g <= tolerance) within++;
    }
    const n = curves.length;
    return { policy: name, configs: n, meanRegret: n ? regret / n : NaN, withinTolerance: n ? within / n : NaN, meanGain: n ? gain / n : NaN };
  });
}

/** The advisor and the fixed policies of the issue, on configurations measured at every α. */
export function advisorRegret(curves: readonly AlphaCurve[], more: readonly CheckedTheory[] = []): RegretRow[] {
  return regretTable(curves, [
    { name: 'advisor (current theory)', alpha: (c) => currentTheory.recommend(c, advisorAlphas) },
    { name: 'advisor (Γ theory, old)', alpha: (c) => gammaTheory.recommend(c, advisorAlphas) },
    ...more.map((t) => ({ name: `advisor (${t.name})`, alpha: (c: ExperimentConfig) => t.recommend(c, advisorAlphas) })),
    { name: 'always α = 1', alpha: () => 1 },
    { name: 'always α = 0.5', alpha: () => 0.5 },
    { name: 'never transfer (α = 0)', alpha: () => 0 },
  ]);
}

/** Disjointness of two sets of records: shared configurations (seed aside) and shared seeds. */
export function overlap(a: readonly SyntheticRecord[], b: readonly SyntheticRecord[]): { configs: number; seeds: number[] } {
  const key = (r: SyntheticRecord) => canonicalConfig({ ...r.config, seed: 0 });
  const ka = new Set(a.map(key));
  const configs = new Set(b.map(key).filter((k) => ka.has(k))).size;
  const sa = new Set(a.map((r) => r.seed));
  return { configs, seeds: [...new Set(b.map((r) => r.seed))].filter((s) => sa.has(s)).sort((x, y) => x - y) };
}

/** The whole check: both theories on the fit and the held-out set, the advisor's regret on the held-out set. */
export interface HeldoutCheck {
  fit: { points: number; scores: TheoryScore[] };
  holdout: { points: number; scores: TheoryScore[]; regret: RegretRow[]; curves: number };
  overlap: { configs: number; seeds: number[] };
}

export function heldoutCheck(
  fit: readonly SyntheticRecord[],
  holdout: readonly SyntheticRecord[],
  theories: readonly CheckedTheory[] = [gammaTheory, currentTheory],
): HeldoutCheck {
  const fitPoints = measuredPoints(fit);
  const holdPoints = measuredPoints(holdout);
  const curves = alphaCurves(holdPoints);
  return {
    fit: { points: fitPoints.length, scores: scoresOn(fit, theories) },
    holdout: {
      points: holdPoints.length,
      scores: scoresOn(holdout, theories),
      regret: advisorRegret(curves, theories.filter((t) => t !== gammaTheory && t !== currentTheory)),
      curves: curves.length,
    },
    overlap: overlap(fit, holdout),
  };
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
const pctOf = (k: number, n: number) => (n ? `${((100 * k) / n).toFixed(1)}% (${k}/${n})` : '—');

/** The check as text tables (the command's output). */
export function heldoutText(check: HeldoutCheck): string {
  const lines: string[] = [];
  const scores = (title: string, s: TheoryScore[], n: number) => {
    lines.push(`${title} (${n} configurations × α):`);
    const rows = s.map((x) => [x.theory, pctOf(x.signAgree, x.decisive), f3(x.spearmanGain), f3(x.maeScratch), f3(x.maeTransfer)]);
    lines.push(...textTable(['theory', 'sign agreement (|Δ| > 0.01)', 'Spearman(pred Δ, Δ)', 'MAE scratch', 'MAE transfer'], rows, 'lrrrr'));
  };
  scores('fit set', check.fit.scores, check.fit.points);
  lines.push('');
  scores('held-out set', check.holdout.scores, check.holdout.points);
  lines.push('');
  lines.push(`advisor on the held-out set (${check.holdout.curves} configurations measured at α = ${advisorAlphas.join(', ')}):`);
  const regret = check.holdout.regret.map((r) => [
    r.policy,
    f3(r.meanRegret),
    Number.isFinite(r.withinTolerance) ? `${(100 * r.withinTolerance).toFixed(1)}%` : '—',
    f3(r.meanGain),
  ]);
  lines.push(...textTable(['policy', 'mean regret', 'within 0.01 of best', 'mean gain'], regret, 'lrrr'));
  const o = check.overlap;
  lines.push('');
  lines.push(
    `fit and held-out sets share ${o.configs} configurations and ${o.seeds.length ? `seeds ${o.seeds.join(', ')}` : 'no seeds'}${o.configs || o.seeds.length ? ' — NOT disjoint' : ' (disjoint)'}.`,
  );
  return lines.join('\n');
}

/** The check as one JSON object (no per-point pairs). */
export function heldoutJson(check: HeldoutCheck): unknown {
  const strip = (s: TheoryScore) => {
    const { pairs: _p, ...rest } = s;
    return rest;
  };
  return {
    fit: { points: check.fit.points, scores: check.fit.scores.map(strip) },
    holdout: { points: check.holdout.points, configurations: check.holdout.curves, scores: check.holdout.scores.map(strip), regret: check.holdout.regret },
    overlap: check.overlap,
  };
}

/** Calibration: predicted against measured clean error, one panel per theory, transfer and scratch. */
export function calibrationFigure(scores: readonly TheoryScore[], title: string): FigureData {
  const rows: Record<string, number | string>[] = [];
  for (const s of scores) {
    for (const x of s.pairs) {
      if (x.config.alpha > 0) rows.push({ theory: s.theory, run: 'transfer', measured: x.measured.transfer, predicted: x.predicted.transfer });
      else rows.push({ theory: s.theory, run: 'scratch', measured: x.measured.scratch, predicted: x.predicted.scratch });
    }
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: { font: 'DejaVu Sans', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } },
    background: 'white',
    title,
    data: { values: rows },
    facet: { field: 'theory', type: 'nominal', title: null, sort: scores.map((s) => s.theory), header: { labelFontSize: 12 } },
    spec: {
      width: 300,
      height: 300,
      layer: [
        {
          mark: { type: 'rule', color: '#888', strokeDash: [4, 4] },
          encoding: { x: { datum: 0 }, y: { datum: 0 }, x2: { datum: 0.6 }, y2: { datum: 0.6 } },
        },
        {
          mark: { type: 'point', filled: true, size: 14, opacity: 0.5 },
          encoding: {
            x: { field: 'measured', type: 'quantitative', title: 'measured clean error (mean over seeds)', scale: { domain: [0, 0.6] } },
            y: { field: 'predicted', type: 'quantitative', title: 'predicted clean error', scale: { domain: [0, 0.6] } },
            color: { field: 'run', type: 'nominal', scale: { domain: ['transfer', 'scratch'], range: ['#1f77b4', '#d62728'] }, title: null },
          },
        },
      ],
    },
  } as unknown as TopLevelSpec;
  return { spec, csv: toCsv({ columns: ['theory', 'run', 'measured', 'predicted'], rows: rows.map((r) => [r.theory, r.run, r.measured, r.predicted]) }) };
}
