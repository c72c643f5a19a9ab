import type { SummaryOptions } from '../study/types.js';
import { phases } from '../study/types.js';
import type { ExperimentResult } from './run.js';
import type { ClassPair } from '../measure/features.js';
import { predict } from '../theory/index.js';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const num = (x: number | null) => (x === null ? '—' : x.toFixed(3));
const pair = (p: ClassPair) => `${num(p.pos)} / ${num(p.neg)}`;

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
  lines.push('');
  lines.push('  run        test error   population (± s.e.)   (noisy labels)   train loss   steps');
  for (const ph of phases) {
    const p = r[ph];
    // Results stored before the population error existed have none.
    const population =
      p.populationTestError === undefined ? '—' : `${pct(p.populationTestError)} ± ${(100 * p.populationTestErrorSE).toFixed(2)}`;
    lines.push(
      `  ${ph.padEnd(9)}  ${pct(p.testError).padStart(10)}   ${population.padStart(19)}   ${pct(p.testErrorNoisy).padStart(14)}   ${p.trainLoss
        .toExponential(3)
        .padStart(10)}   ${String(p.stepsRun).padStart(5)}`,
    );
  }
  const verdict = r.gain > 0 ? 'positive transfer' : r.gain < 0 ? 'NEGATIVE transfer' : 'no difference';
  lines.push('');
  lines.push(`  transfer gain Δ = err_scratch − err_transfer = ${(100 * r.gain).toFixed(2)} points: ${verdict}`);
  const th = predict(c);
  lines.push(
    `  theory (docs/theory.md): Γ = ${th.Gamma.toFixed(3)} → ${th.regime} transfer predicted; ` +
      `predicted errors: transfer ${pct(th.predictedTransferError)}, scratch ${pct(th.predictedScratchError)} (Λ₂ = ${th.Lambda2.toPrecision(3)})`,
  );
  lines.push('');
  lines.push('  feature learning at the end (class +1 / class −1):');
  lines.push('  run / filters        ⟨w,u⟩ max          ⟨w,v₁⟩ max         ⟨w,v₂⟩ max         noise memorisation');
  for (const ph of phases) {
    const f = r[ph].checkpoints[r[ph].checkpoints.length - 1].features;
    const groups = Object.entries(f) as [string, NonNullable<typeof f.all>][];
    for (const [g, m] of groups) {
      const label = `${ph}${g === 'all' ? '' : ` ${g}`}`;
      lines.push(
        `  ${label.padEnd(19)}  ${pair(m.signalLearning.u).padEnd(17)}  ${pair(m.signalLearning.v1).padEnd(17)}  ${pair(
          m.signalLearning.v2,
        ).padEnd(17)}  ${num(m.noiseMemorization)}`,
      );
    }
  }
  const t = opts.timings;
  if (t) lines.push(`  timings: ${phases.map((ph) => `${ph} ${(t[ph] ?? 0).toFixed(2)} s`).join(', ')}`);
  return lines.join('\n');
}
