import type { SummaryOptions } from '../study/types.js';
import { phases } from '../study/types.js';
import { percent, percentRange, samplingInterval, signedPoints, singleSeedLines } from '../study/verdict.js';
import { textTable } from '../util/table.js';
import type { ExperimentResult } from './run.js';
import type { ClassPair } from '../measure/features.js';
import { predict } from '../theory/index.js';

/** Three decimals, or three significant digits in exponent form once that would not fit the column. */
const num = (x: number | null) => (x === null ? '—' : Math.abs(x) >= 1e4 ? x.toExponential(2) : x.toFixed(3));
const pair = (p: ClassPair) => `${num(p.pos)} / ${num(p.neg)}`;

/** What the engine name says, in words. */
function engineWords(engine: string): string {
  const [name, chosen] = engine.split(':');
  const what = (e: string) => (e === 'coef' ? 'the coefficient engine (W = W⁽⁰⁾ + C·Z)' : 'the dense engine (W in ℝ^d)');
  if (name !== 'auto') return `engine ${engine}: ${what(name)}`;
  const picks = chosen.split(',');
  const choice = new Set(picks).size === 1 ? what(picks[0]) : `per phase (upstream, transfer, scratch) ${chosen}`;
  return `engine ${engine}: auto chose ${choice}: fewest multiply-adds; all engines agree`;
}

/** What the sampler did, in words. */
function samplerWords(r: ExperimentResult): string {
  const d = r.config.d;
  return r.sampler === 'subspace'
    ? `sampler subspace: random vectors drawn exactly in the ${r.workingDimension}-dim span they form, not in ℝ^${d} (same statistics)`
    : `sampler explicit: every random vector is drawn in ℝ^${d}`;
}

/** The legend under the feature table: what each column measures (docs/model.md, README "Reading the output"). */
const featureLegend = [
  '  ⟨w,v⟩ max: the largest projection j·⟨w_{j,r}, v⟩ of a class-j filter on the unit vector along u, v₁ or v₂',
  '    (signal learning; starts near 0, grows as a filter aligns with a signal; class +1 / class −1).',
  '  noise memorisation: mean over training samples of max_r ⟨w_{y_i,r}, ξ_i⟩, the filters\' overlap with a',
  '    sample\'s own noise patch ξ_i (‖ξ_i‖ ≈ σp·√d): large means the run fits noise. inherited / fresh: the',
  '    transfer run\'s filters taken from upstream / newly initialised.',
];

/** The human-readable summary of `paratransfer run`. */
export function formatRunSummary(r: ExperimentResult, opts: SummaryOptions): string {
  const name = opts.source;
  const c = r.config;
  const lines: string[] = [];
  const sampler = r.sampler === 'subspace' ? `subspace sampler, ${r.workingDimension} dims` : 'explicit sampler';
  lines.push(`paratransfer run ${name}  (engine ${r.engine}, ${sampler}, seed ${c.seed})`);
  lines.push(
    `  d=${c.d} N₁=${c.n1} N₂=${c.n2} m=${c.m} P=${c.patches} ‖u‖=${c.uNorm} ‖v₁‖=${c.v1Norm} ‖v₂‖=${c.v2Norm} ` +
      `σp₁=${c.sigmaP1} σp₂=${c.sigmaP2} p=${c.labelNoise} α=${c.alpha} (${c.inheritance}${c.freezeInherited ? ', frozen' : ''})`,
  );
  lines.push(`  ${engineWords(r.engine)}`);
  lines.push(`  ${samplerWords(r)}`);
  lines.push('');
  const rows = phases.map((ph) => {
    const p = r[ph];
    // Results stored before the population error existed have none.
    const population = p.populationTestError === undefined ? '—' : `${percent(p.populationTestError)} ± ${(100 * p.populationTestErrorSE).toFixed(2)}`;
    return [ph, percent(p.testError), percentRange(samplingInterval(p.testError, c.nTest)), population, percent(p.testErrorNoisy), p.trainLoss.toExponential(3), String(p.stepsRun)];
  });
  lines.push(...textTable(['run', 'test error', '95% (test set)', 'population (± s.e.)', 'noisy labels', 'train loss', 'steps'], rows, 'lrrrrrr'));
  lines.push('  population: the error on the whole test distribution, free of test-set noise (docs/theory.md).');
  lines.push('');
  lines.push(`  transfer gain Δ = err_scratch − err_transfer = ${signedPoints(r.gain)} points (one seed: not a verdict)`);
  lines.push(...singleSeedLines({ command: 'run', measure: 'test error', seed: c.seed }));
  const th = predict(c);
  lines.push(
    `  theory (docs/theory.md): Γ = ${th.Gamma.toFixed(3)} → ${th.regime} transfer predicted; ` +
      `predicted errors: transfer ${percent(th.predictedTransferError)}, scratch ${percent(th.predictedScratchError)}`,
  );
  lines.push(`    Γ = SNR_transfer − SNR_scratch, each network's effective SNR Φ⁻¹(1 − error): above 0 transfer helps, below 0 it hurts`);
  lines.push(`    Λ₂ = N₂‖u+v₂‖⁴/(σp₂⁴ d) = ${th.Lambda2.toPrecision(3)}: scratch nears the Bayes error when Λ₂ ≫ 1`);
  lines.push('');
  lines.push('  feature learning at the end (class +1 / class −1):');
  const featureRows: string[][] = [];
  for (const ph of phases) {
    const f = r[ph].checkpoints[r[ph].checkpoints.length - 1].features;
    const groups = Object.entries(f) as [string, NonNullable<typeof f.all>][];
    for (const [g, m] of groups) {
      featureRows.push([`${ph}${g === 'all' ? '' : ` ${g}`}`, pair(m.signalLearning.u), pair(m.signalLearning.v1), pair(m.signalLearning.v2), num(m.noiseMemorization)]);
    }
  }
  lines.push(...textTable(['run / filters', '⟨w,u⟩ max', '⟨w,v₁⟩ max', '⟨w,v₂⟩ max', 'noise memorisation'], featureRows, 'lllll'));
  lines.push(...featureLegend);
  const t = opts.timings;
  if (t) lines.push(`  timings: ${phases.map((ph) => `${ph} ${(t[ph] ?? 0).toFixed(2)} s`).join(', ')}`);
  return lines.join('\n');
}
