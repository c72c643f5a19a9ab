import { fractionInterval, tInterval, wilsonInterval } from '../sweep/stats.js';
import { textTable } from '../util/table.js';
import type { AnyStudy, StudyResult } from './types.js';

/**
 * How every study words its verdict on transfer, for one seed and for several: one rule, one wording, used by every
 * summary (docs: README, "Reading the output").
 */

/** The verdict on a gain: positive or negative only when the 95% interval of the gain excludes 0. */
export type Verdict = 'positive' | 'negative' | 'not significant';

/** The gain's mean and 95% t-interval over seeds (low/high null with fewer than two seeds). */
export interface GainInterval {
  mean: number;
  low: number | null;
  high: number | null;
  /** seeds behind it */
  n: number;
}

/** Positive (negative) only when the whole interval is above (below) 0; no interval is never significant. */
export function verdictOf(gain: { low: number | null; high: number | null }): Verdict {
  if (gain.low === null || gain.high === null) return 'not significant';
  if (gain.low > 0) return 'positive';
  if (gain.high < 0) return 'negative';
  return 'not significant';
}

/** The verdict as the summaries print it. */
export function verdictText(v: Verdict): string {
  return v === 'positive' ? 'positive transfer' : v === 'negative' ? 'NEGATIVE transfer' : 'not significant (the 95% interval includes 0)';
}

/** The gain over seeds: mean and 95% Student-t interval (gains have any sign: no [0, 1] bounds). */
export function gainInterval(gains: readonly number[]): GainInterval {
  const iv = tInterval(gains);
  return { mean: iv.mean ?? NaN, low: iv.lo, high: iv.hi, n: iv.n };
}

/** The note every summary over fewer than three seeds carries. */
export const fewSeedsNote =
  'note: fewer than 3 seeds: the t-interval rests on at most 1 degree of freedom of the spread, so it is very wide; use --seeds 5 or more';

/** Signed points of a gain (fractions × 100), e.g. "+9.10", "−1.07". */
export const signedPoints = (x: number, digits = 2): string => `${x < 0 ? '−' : '+'}${Math.abs(100 * x).toFixed(digits)}`;

/** "errors", "accuracies": a measure's short name in the plural. */
export const plural = (word: string): string => (/[^aeiou]y$/.test(word) ? `${word.slice(0, -1)}ies` : `${word}s`);

/** A fraction as a percentage, e.g. "4.85%". */
export const percent = (x: number, digits = 2): string => `${(100 * x).toFixed(digits)}%`;

/** The 95% Wilson interval of one run's measure (a fraction) from its `samples` test samples: the binomial sampling error alone. */
export const samplingInterval = (value: number, samples: number): { lo: number; hi: number } => wilsonInterval(value, samples);

/** "[3.98, 5.88]": an interval of fractions in percent, without the % signs. */
export const percentRange = (iv: { lo: number | null; hi: number | null }, digits = 2): string =>
  iv.lo === null || iv.hi === null ? '—' : `[${(100 * iv.lo).toFixed(digits)}, ${(100 * iv.hi).toFixed(digits)}]`;

/**
 * The lines a single-seed summary ends its verdict with: that it is one seed, and what the test sets alone can
 * tell (each measure's binomial sampling error is in the table).
 */
export function singleSeedLines(o: { command: string; measure: string; seed: number }): string[] {
  return [
    `  one seed (seed ${o.seed}) cannot tell the seed-to-seed spread: \`${o.command} … --seeds 5\` gives the gain's 95% interval`,
    `  and says positive or negative only when it excludes 0. [brackets]: each ${o.measure}'s 95% interval from its test set.`,
  ];
}

/** What `--seeds K` prints and returns: every seed's result, the gain's interval and the verdict. */
export interface SeedsSummary<R extends StudyResult = StudyResult> {
  seeds: number[];
  runs: R[];
  gain: GainInterval;
  verdict: Verdict;
}

/** The seeds' results in seed order, the gain's mean and 95% t-interval, and the verdict on it. */
export function summarizeSeeds<R extends StudyResult>(runs: readonly R[]): SeedsSummary<R> {
  const gain = gainInterval(runs.map((r) => r.gain));
  return { seeds: runs.map((r) => (r.config as { seed: number }).seed), runs: [...runs], gain, verdict: verdictOf(gain) };
}

/** The readable summary of `--seeds K`: one line per seed, the means with their intervals, the gain and the verdict. */
export function formatSeeds(study: AnyStudy, s: SeedsSummary, source: string): string {
  const { measure } = study;
  const key = measure.key;
  const lines: string[] = [];
  const first = s.seeds[0];
  const last = s.seeds[s.seeds.length - 1];
  lines.push(`paratransfer ${study.command} ${source} --seeds ${s.seeds.length}  (seeds ${first}–${last}, paired: each seed runs upstream, transfer and scratch)`);
  lines.push('');
  const value = (r: StudyResult, ph: string) => (r[ph as keyof StudyResult] as unknown as Record<string, number>)[key];
  const means = study.phases.map((ph) => {
    // pooled over the seeds' test sets when every run counted the same number of samples
    const counts = new Set(s.runs.map((r) => study.testSamples(r, ph)));
    return fractionInterval(
      s.runs.map((r) => value(r, ph)),
      counts.size === 1 ? [...counts][0] : undefined,
    );
  });
  const gainRange = s.gain.low === null || s.gain.high === null ? '—' : `[${signedPoints(s.gain.low)}, ${signedPoints(s.gain.high)}]`;
  const rows = s.runs.map((r) => [String((r.config as { seed: number }).seed), ...study.phases.map((ph) => percent(value(r, ph))), signedPoints(r.gain)]);
  rows.push(['mean', ...means.map((iv) => percent(iv.mean ?? NaN)), signedPoints(s.gain.mean)]);
  rows.push(['95%', ...means.map((iv) => percentRange(iv)), gainRange]);
  lines.push(...textTable(['seed', ...study.phases.map((ph) => `${ph} ${measure.short}`), 'gain (points)'], rows, 'r'.repeat(study.phases.length + 2)));
  lines.push('');
  lines.push(`  transfer gain = ${measure.gain} = ${signedPoints(s.gain.mean)} points, 95% interval ${gainRange} over ${s.gain.n} seeds`);
  lines.push(`  verdict: ${verdictText(s.verdict)}`);
  const theory = study.theory?.predict({ ...(s.runs[0].config as object), seed: 0 });
  if (theory) {
    const agrees =
      s.verdict === 'not significant' || theory.regime === 'neutral'
        ? 'the measurement cannot confirm or contradict it'
        : theory.regime === s.verdict
          ? 'the measurement agrees'
          : 'the measurement CONTRADICTS it';
    lines.push(`  theory: Γ = ${theory.gamma.toFixed(3).replace('-', '−')} → ${theory.regime} transfer predicted; ${agrees}`);
  }
  lines.push(
    `  intervals: gain, Student t over seeds; ${plural(measure.short)}, Wilson on the seeds' effective sample size (inside [0, 100%])`,
  );
  if (s.seeds.length < 3) lines.push(`  ${fewSeedsNote}`);
  const warned = s.runs.filter((r) => r.warnings?.length);
  for (const r of warned) {
    for (const w of r.warnings!) lines.push(`  warning (seed ${(r.config as { seed: number }).seed}): ${w}`);
  }
  return lines.join('\n');
}
