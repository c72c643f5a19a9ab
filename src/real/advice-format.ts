import type { AdviceJson } from '../study/types.js';
import { signedPoints } from '../study/verdict.js';

/** `advise --real` without --json: the candidates' statistics, the scores of each layer, the decision (no engine code here). */

/** The scores of one feature site of the upstream network (null where a score is undefined, e.g. dead features). */
export interface SiteScores {
  site: string;
  /** features after pooling */
  dims: number;
  logme: number | null;
  hscore: number | null;
  transrate: number | null;
  knn: number | null;
  /** held-out class signal R of the upstream network, and its mean over the fresh initialisations */
  signalUpstream: number;
  signalFresh: number;
}

const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '—' : x.toFixed(digits));
const pts = (x: number) => signedPoints(x, 1);

export function formatRealAdvice(a: AdviceJson, source: string): string {
  const r = a as AdviceJson & {
    threshold: number;
    scores: { layers: SiteScores[]; leep: number; nce: number; downstreamImages: number; classes: number };
    upstream: { trained: boolean; testAccuracy: number; file?: string };
  };
  const byLayers = r.recommendedLayers !== undefined;
  const lines = [`paratransfer advise --real ${source}`];
  lines.push(
    `  upstream network: ${r.upstream.file ? `loaded from ${r.upstream.file}` : 'trained'} (upstream test accuracy ${(100 * r.upstream.testAccuracy).toFixed(1)}%); ` +
      `${r.scores.downstreamImages} downstream training images of ${r.scores.classes} classes`,
    '',
    `  scores of the upstream network's features (LEEP ${num(r.scores.leep)}, NCE ${num(r.scores.nce)} from its source head)`,
    '  site          dims   LogME   H-score  TransRate  k-NN   R upstream  R̄ fresh',
  );
  for (const s of r.scores.layers) {
    lines.push(
      `  ${s.site.padEnd(12)} ${String(s.dims).padStart(5)}  ${num(s.logme).padStart(6)}  ${num(s.hscore).padStart(7)}  ${num(s.transrate).padStart(9)}  ${num(s.knn, 2).padStart(5)}  ${num(s.signalUpstream).padStart(10)}  ${num(s.signalFresh).padStart(7)}`,
    );
  }
  const measured = a.alphas.some((x) => x.measuredGain !== undefined);
  lines.push('', `  ${byLayers ? 'layers' : 'α     '}   S (penultimate R over fresh)   share   statistic = share·(S − τ)${measured ? '   measured gain [95% interval]' : ''}`);
  for (const x of a.alphas as (AdviceJson['alphas'][number] & { statistic: number; signalGap: number; share: number; layers?: number })[]) {
    const m =
      x.measuredGain === undefined
        ? ''
        : `   ${pts(x.measuredGain)} [${x.measuredGainInterval ? `${pts(x.measuredGainInterval[0])}, ${pts(x.measuredGainInterval[1])}` : '—'}] points`;
    const signed = (v: number) => (v >= 0 ? '+' : '') + v.toFixed(4);
    lines.push(`  ${String(byLayers ? x.layers : x.alpha).padEnd(6)}   ${signed(x.signalGap).padStart(28)}   ${String(x.share).padStart(5)}   ${signed(x.statistic).padStart(9)}${m}`);
  }
  lines.push('', `  decision: ${a.decision}${a.decision === 'transfer' ? (byLayers ? `, ${r.recommendedLayers} layers` : `, α = ${a.recommendedAlpha}`) : ''} (τ = ${r.threshold}; transfer when the statistic is > 0)`);
  lines.push(`  ${a.reason}`);
  return lines.join('\n');
}
