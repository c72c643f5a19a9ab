import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { expandJobs, planOf } from '../sweep/grid.js';
import { separatingThresholds, tInterval } from '../sweep/stats.js';
import { SweepStore } from '../sweep/store.js';
import type { AdvisorBenchmark } from '../study/types.js';
import { UserError } from '../util/errors.js';
import { adviseReal, ADVISOR_THRESHOLD, ADVISOR_VERSION, type RealAdvice } from './advise.js';
import type { RealConfig } from './config.js';
import { realStudy } from './study.js';
import { signedPoints } from '../study/verdict.js';

/**
 * The advisor's benchmark (docs/advisor.md, "Benchmark"): the measured gains of a real-data sweep over upstream
 * configs × α with paired seeds (examples/real-advise-benchmark.yaml) against the advisor's statistic and each
 * transferability score used as a predictor. Upstream configs alternate between a calibration half (1st, 3rd, …
 * in the sweep's order), where each predictor's threshold is chosen, and a reporting half, where it is scored.
 */

/** One (upstream config, α or whole layers) case: the measured gain over the paired seeds. */
export interface BenchmarkCase {
  group: number;
  alpha: number;
  /** layers inherited whole (inheritance "layers"; α is then unused) */
  layers?: number;
  seeds: number;
  gain: number;
  lo: number;
  hi: number;
  /** the interval excludes 0 */
  decisive: boolean;
}

/**
 * What a case inherits: its whole layers, or α. The benchmark's candidates of one config are these amounts; 0 is
 * scratch.
 */
const amountOf = (x: { alpha: number; layers?: number }) => x.layers ?? x.alpha;

/** A predictor: a value per case (higher: transfer more favourable) and the amount it recommends when it says transfer. */
interface Predictor {
  name: string;
  /** the value for the case that inherits this amount */
  value: (a: RealAdvice, amount: number) => number | null;
  /** the amount it recommends among the config's when above its threshold */
  pick: (a: RealAdvice, amounts: number[]) => number;
  /** a threshold of its own, not chosen on the calibration half */
  fixedThreshold?: number;
}

const penultimate = (a: RealAdvice) => a.scores.layers[a.scores.layers.length - 1];
const largest = (_: RealAdvice, amounts: number[]) => Math.max(...amounts);
const candidateAt = (a: RealAdvice, amount: number) => a.alphas.find((x) => amountOf(x) === amount);
const statisticAt = (a: RealAdvice, amount: number) => candidateAt(a, amount)?.statistic ?? null;
const bestAmount = (a: RealAdvice, amounts: number[]) => {
  let best = amounts[0];
  for (const x of amounts) if ((statisticAt(a, x) ?? -Infinity) > (statisticAt(a, best) ?? -Infinity)) best = x;
  return best;
};

const predictors: Predictor[] = [
  // The advisor twice: deciding by its own sign (τ fixed on the design benchmark), and like every score, with a
  // threshold on its statistic chosen on the calibration half.
  { name: 'advisor', value: statisticAt, pick: bestAmount, fixedThreshold: 0 },
  { name: 'advisor, calibrated', value: statisticAt, pick: bestAmount },
  { name: 'LogME', value: (a) => penultimate(a).logme, pick: largest },
  { name: 'H-score', value: (a) => penultimate(a).hscore, pick: largest },
  { name: 'TransRate', value: (a) => penultimate(a).transrate, pick: largest },
  { name: 'k-NN', value: (a) => penultimate(a).knn, pick: largest },
  { name: 'LEEP', value: (a) => a.scores.leep, pick: largest },
  { name: 'NCE', value: (a) => a.scores.nce, pick: largest },
];

/**
 * The threshold of best sign accuracy on decisive cases: midpoints between sorted values and both ends; ties broken
 * towards the middle of the tied thresholds (deterministic).
 */
export function chooseThreshold(points: { value: number; positive: boolean }[]): number {
  const { tied } = separatingThresholds(points);
  return tied.length ? tied[Math.floor((tied.length - 1) / 2)] : 0;
}

/** Kendall's τ-b of two equal-length lists (ties in either count as neither concordant nor discordant). */
export function kendallTau(x: readonly number[], y: readonly number[]): number {
  let c = 0;
  let d = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const a = Math.sign(x[i] - x[j]);
      const b = Math.sign(y[i] - y[j]);
      if (a === 0 && b === 0) continue;
      if (a === 0) tx++;
      else if (b === 0) ty++;
      else if (a === b) c++;
      else d++;
    }
  }
  const den = Math.sqrt((c + d + tx) * (c + d + ty));
  return den > 0 ? (c - d) / den : 0;
}

interface Group {
  index: number;
  config: RealConfig;
  cases: BenchmarkCase[];
  /** the advice at the sweep's first seed: what every metric but the per-network one reads */
  advice?: RealAdvice;
  /** the advice at each of the sweep's first K seeds (its own upstream network each), the first one included */
  advices?: RealAdvice[];
}

/** Upstream configs alternate between the halves in the sweep's order: the 1st, 3rd, … calibrate, the rest report. */
const halfOf = (g: Group) => (g.index % 2 === 0 ? 'calibration' : 'reporting');

/** What distinguishes an upstream config (and downstream task) of the benchmark: every key but the amount and the seed. */
const groupKey = (c: RealConfig) => JSON.stringify({ ...c, alpha: null, seed: null, ...(c.inheritance === 'layers' ? { inheritLayers: null } : {}) });

/** The cases of a benchmark sweep, grouped by upstream config in the sweep's order, and the sweep's seeds. */
export function benchmarkGroups(dir: string): { groups: Group[]; seeds: number[] } {
  if (!existsSync(dir)) throw new UserError(`--benchmark: no such directory: ${dir}`);
  const store = SweepStore.read(dir);
  try {
    const plan = planOf<RealConfig>(realStudy, store.plan(), `--benchmark ${dir}`);
    const { jobs } = expandJobs(plan);
    const pointOf = new Map(jobs.map((j) => [j.id, j]));
    const gains = new Map<string, { config: RealConfig; point: number; gains: number[] }>();
    for (const r of store.runs()) {
      const job = pointOf.get(r.id);
      if (!job) continue;
      const key = JSON.stringify({ ...job.config, seed: null });
      const entry = gains.get(key) ?? { config: job.config, point: job.point, gains: [] };
      entry.gains.push(realStudy.advisor!.measuredGain(JSON.parse(r.result)));
      entry.point = Math.min(entry.point, job.point);
      gains.set(key, entry);
    }
    if (!gains.size) throw new UserError(`--benchmark ${dir}: the sweep has no finished runs yet`);
    // Each upstream config's number comes from the plan (the sweep's order), not from which runs have finished.
    const indexOf = new Map<string, number>();
    for (const j of [...jobs].sort((a, b) => a.point - b.point)) if (!indexOf.has(groupKey(j.config))) indexOf.set(groupKey(j.config), indexOf.size);
    const groups = new Map<string, Group>();
    for (const e of [...gains.values()].sort((a, b) => a.point - b.point)) {
      const key = groupKey(e.config);
      const g = groups.get(key) ?? { index: indexOf.get(key)!, config: { ...e.config, seed: plan.seeds[0] }, cases: [] };
      const iv = tInterval(e.gains);
      const lo = iv.lo ?? NaN;
      const hi = iv.hi ?? NaN;
      const layers = e.config.inheritance === 'layers' ? { layers: e.config.inheritLayers } : {};
      g.cases.push({ group: g.index, alpha: e.config.alpha, ...layers, seeds: e.gains.length, gain: iv.mean!, lo, hi, decisive: lo > 0 || hi < 0 });
      groups.set(key, g);
    }
    return { groups: [...groups.values()].sort((a, b) => a.index - b.index), seeds: plan.seeds };
  } finally {
    store.close();
  }
}

/** The advice for each group at each of `seeds` (its own upstream network each), cached in DIR/advisor/ (resumable). */
function adviseGroups(dir: string, groups: Group[], progress: boolean, seeds: readonly number[]): void {
  const cache = join(dir, 'advisor');
  mkdirSync(cache, { recursive: true });
  groups.forEach((g, i) => {
    const alphas = [...new Set(g.cases.map((c) => c.alpha))].sort((a, b) => a - b);
    g.advices = seeds.map((seed, k) => {
      const config = { ...g.config, seed };
      const file = join(cache, createHash('sha256').update(JSON.stringify({ v: ADVISOR_VERSION, tau: ADVISOR_THRESHOLD, c: config, alphas })).digest('hex').slice(0, 16) + '.json');
      if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as RealAdvice;
      if (progress) process.stderr.write(`paratransfer: advise: upstream config ${i + 1}/${groups.length}${seeds.length > 1 ? `, seed ${k + 1}/${seeds.length}` : ''}\n`);
      const advice = adviseReal(config, alphas);
      writeFileAtomic(file, JSON.stringify(advice) + '\n');
      return advice;
    });
    g.advice = g.advices[0];
  });
}

export interface PredictorResult {
  name: string;
  threshold: number;
  /** sign accuracy on the reporting half's decisive cases (and their count), and on the calibration half's */
  signAccuracy: number | null;
  decisive: number;
  calibrationAccuracy: number | null;
  /** the halves swapped: the threshold chosen on the reporting half, sign accuracy on the calibration half's decisive cases */
  swappedAccuracy: number | null;
  swappedDecisive: number;
  /**
   * with the upstream networks of several seeds: the sign accuracy of each network's value on the decisive cases,
   * both directions pooled (reporting cases at the calibration half's threshold, calibration cases at the reporting
   * half's), over (case, network) pairs
   */
  networkAccuracy?: number | null;
  networkPairs?: number;
  /** Kendall τ-b of the value with the mean measured gain: reporting half, all cases */
  kendallReporting: number;
  kendallAll: number;
  /** mean regret (points of accuracy) of the recommended α over the reporting half's configs, α = 0 included */
  regret: number;
}

/**
 * The sign accuracy of every upstream network's value on the decisive cases (none when the groups have one network
 * each): a case of a half is judged at the threshold chosen on the other half.
 */
function networkSigns(p: Predictor, rows: { g: Group; c: BenchmarkCase }[], thresholdOf: (g: Group) => number): Pick<PredictorResult, 'networkAccuracy' | 'networkPairs'> {
  if (!rows.some((r) => (r.g.advices?.length ?? 1) > 1)) return {};
  let right = 0;
  let pairs = 0;
  for (const { g, c } of rows.filter((r) => r.c.decisive)) {
    for (const a of g.advices ?? [g.advice!]) {
      const v = p.value(a, amountOf(c));
      if (v === null) continue;
      pairs++;
      if (v > thresholdOf(g) === c.gain > 0) right++;
    }
  }
  return { networkAccuracy: pairs ? right / pairs : null, networkPairs: pairs };
}

/** Score every predictor on the groups (advice present). */
export function scorePredictors(groups: Group[]): { results: PredictorResult[]; reference: Record<string, number> } {
  const rows = groups.flatMap((g) => g.cases.map((c) => ({ g, c })));
  const gainOf = (g: Group, amount: number) => (amount === 0 ? 0 : g.cases.find((c) => amountOf(c) === amount)!.gain);
  const regretOf = (g: Group, amount: number) => Math.max(0, ...g.cases.map((c) => c.gain)) - gainOf(g, amount);
  const reporting = groups.filter((g) => halfOf(g) === 'reporting');
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : NaN);
  const results = predictors.map((p) => {
    const valued = rows.map((r) => ({ ...r, value: p.value(r.g.advice!, amountOf(r.c)) })).filter((r) => r.value !== null) as (typeof rows[number] & { value: number })[];
    const decisive = (h: string) => valued.filter((r) => r.c.decisive && halfOf(r.g) === h).map((r) => ({ value: r.value, positive: r.c.gain > 0 }));
    const threshold = p.fixedThreshold ?? chooseThreshold(decisive('calibration'));
    const swappedThreshold = p.fixedThreshold ?? chooseThreshold(decisive('reporting'));
    const accuracyAt = (t: number, pts: { value: number; positive: boolean }[]) => (pts.length ? pts.filter((q) => q.value > t === q.positive).length / pts.length : null);
    const accuracy = (pts: { value: number; positive: boolean }[]) => accuracyAt(threshold, pts);
    const rep = valued.filter((r) => halfOf(r.g) === 'reporting');
    const regret = mean(
      reporting.map((g) => {
        const amounts = g.cases.map(amountOf);
        const top = amounts.reduce((best, a) => Math.max(best, p.value(g.advice!, a) ?? -Infinity), -Infinity);
        return regretOf(g, top > threshold ? p.pick(g.advice!, amounts) : 0);
      }),
    );
    return {
      name: p.name,
      threshold,
      signAccuracy: accuracy(decisive('reporting')),
      decisive: decisive('reporting').length,
      calibrationAccuracy: accuracy(decisive('calibration')),
      swappedAccuracy: accuracyAt(swappedThreshold, decisive('calibration')),
      swappedDecisive: decisive('calibration').length,
      ...networkSigns(p, rows, (g) => (halfOf(g) === 'reporting' ? threshold : swappedThreshold)),
      kendallReporting: kendallTau(rep.map((r) => r.value), rep.map((r) => r.c.gain)),
      kendallAll: kendallTau(valued.map((r) => r.value), valued.map((r) => r.c.gain)),
      regret,
    };
  });
  const reference = {
    'always transfer (largest α)': mean(reporting.map((g) => regretOf(g, Math.max(...g.cases.map(amountOf))))),
    'always scratch': mean(reporting.map((g) => regretOf(g, 0))),
    'majority sign on decisive reporting cases': (() => {
      const d = rows.filter((r) => r.c.decisive && halfOf(r.g) === 'reporting');
      const pos = d.filter((r) => r.c.gain > 0).length;
      return d.length ? Math.max(pos, d.length - pos) / d.length : NaN;
    })(),
  };
  return { results, reference };
}

const f = (x: number | null, d = 3) => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));
const pts = (x: number) => signedPoints(x, 1);

function describe(c: RealConfig): string {
  const classes = (data: string, cls: number[]) => `${data} ${cls.length === 10 ? 'all' : `${cls[0]}–${cls[cls.length - 1]}`}`;
  const parts = [classes(c.upstreamData, c.upstreamClasses), `N₁ ${c.n1}/class`];
  if (c.labelNoise1) parts.push(`p₁ ${c.labelNoise1}`);
  if (c.pixelNoise1) parts.push(`σ₁ ${c.pixelNoise1}`);
  if (c.upstreamMix) parts.push(`${c.upstreamMix} ${c.upstreamMixData}`);
  return `${parts.join(', ')} → ${classes(c.downstreamData, c.downstreamClasses)}, N₂ ${c.n2}`;
}

const amounts = (cases: BenchmarkCase[], what: string) => (cases.length ? `${what} = ${[...new Set(cases.map(amountOf))].join(', ')}` : '');

/** `paratransfer advise --real --benchmark DIR`. */
export async function realAdvisorBenchmark(dir: string, opts: { progress: boolean; networks?: number }): Promise<AdvisorBenchmark> {
  const { groups, seeds } = benchmarkGroups(dir);
  const networks = opts.networks ?? 1;
  if (networks > seeds.length) throw new UserError(`--seeds: ${networks} upstream networks asked for, but the sweep in ${dir} has ${seeds.length} seed${seeds.length > 1 ? 's' : ''}`);
  adviseGroups(dir, groups, opts.progress, seeds.slice(0, networks));
  const { results, reference } = scorePredictors(groups);
  const cases = groups.flatMap((g) => g.cases);
  const lines = [
    `# Advisor benchmark: ${dir}`,
    '',
    `${groups.length} upstream configs × ${[amounts(cases.filter((c) => c.layers === undefined), 'α'), amounts(cases.filter((c) => c.layers !== undefined), 'whole layers')].filter(Boolean).join(' or ')}: ${cases.length} cases, ` +
      `${Math.min(...cases.map((c) => c.seeds))}–${Math.max(...cases.map((c) => c.seeds))} paired seeds each; ` +
      `${cases.filter((c) => c.decisive && c.gain > 0).length} decisive positive, ${cases.filter((c) => c.decisive && c.gain < 0).length} decisive negative, ` +
      `${cases.filter((c) => !c.decisive).length} not decisive (95% t-interval contains 0).`,
    'Thresholds are chosen on the calibration half (configs 1, 3, 5, …) and scored on the reporting half (2, 4, 6, …); the first advisor row decides by its own sign, with τ fixed before this benchmark.',
    '',
    '| predictor | threshold | sign accuracy, reporting (decisive cases) | sign accuracy, calibration | halves swapped: sign accuracy, calibration (decisive cases) | Kendall τ, reporting | Kendall τ, all | mean regret, reporting (points) |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${Number(r.threshold.toPrecision(4))} | ${f(r.signAccuracy, 2)} (${r.decisive}) | ${f(r.calibrationAccuracy, 2)} | ${f(r.swappedAccuracy, 2)} (${r.swappedDecisive}) | ${f(r.kendallReporting, 2)} | ${f(r.kendallAll, 2)} | ${(100 * r.regret).toFixed(2)} |`,
    ),
    ...(networks > 1
      ? [
          '',
          `Across the upstream networks of the sweep's first ${networks} seeds (the advice once per network; each case of a half judged at the threshold chosen on the other half with the first seed's network):`,
          '',
          '| predictor | sign accuracy per network, decisive cases of both halves ((case, network) pairs) |',
          '|---|---|',
          ...results.map((r) => `| ${r.name} | ${f(r.networkAccuracy ?? null, 2)} (${r.networkPairs ?? 0}) |`),
        ]
      : []),
    '',
    `Reference: always transfer at the largest α, mean regret ${(100 * reference['always transfer (largest α)']).toFixed(2)} points; ` +
      `always scratch ${(100 * reference['always scratch']).toFixed(2)} points; the majority sign is right on ${f(reference['majority sign on decisive reporting cases'], 2)} of the decisive reporting cases.`,
    '',
    '| # | half | upstream → downstream | inherits | gain [95% interval], points | advisor: S | statistic | LogME | k-NN | LEEP |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...groups.flatMap((g) =>
      g.cases.map(
        (c) =>
          `| ${g.index + 1} | ${halfOf(g).slice(0, 3)} | ${describe(g.config)} | ${c.layers !== undefined ? `${c.layers} layers` : c.alpha} | ${pts(c.gain)} [${Number.isFinite(c.lo) ? `${pts(c.lo)}, ${pts(c.hi)}` : '—'}]${c.decisive ? '' : ' ·'} | ${f(candidateAt(g.advice!, amountOf(c))?.signalGap ?? null, 4)} | ${f(statisticAt(g.advice!, amountOf(c)), 4)} | ${f(penultimate(g.advice!).logme)} | ${f(penultimate(g.advice!).knn, 2)} | ${f(g.advice!.scores.leep)} |`,
      ),
    ),
  ];
  return {
    text: lines.join('\n'),
    json: {
      dir,
      predictors: results,
      reference,
      groups: groups.map((g) => ({ index: g.index + 1, half: halfOf(g), upstream: describe(g.config), cases: g.cases, advice: g.advice })),
    },
  };
}
