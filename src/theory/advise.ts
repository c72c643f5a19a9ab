import { defaultConstants, predict, type Prediction, type TheoryConstants } from './index.js';
import type { TheoryInput } from './reduced.js';

/**
 * The advisor of `paratransfer advise` and the explorer's Theory panel (docs/theory.md §11): the theory's predicted
 * transfer error and gain at each candidate α, a decision (transfer or scratch), the recommended α, and the reason
 * in words and numbers. Pure and browser-safe; measured gains (`--simulate`) are added by the CLI.
 */

/** One candidate α: what the theory predicts, and what was measured when it was. */
export interface AlphaAdvice {
  alpha: number;
  predictedGain: number;
  predictedTransferError: number;
  /** mean measured gain over paired seeds (`--simulate`) */
  measuredGain?: number;
  /** its 95% t-interval */
  measuredGainInterval?: [number, number];
}

/** The advice for one configuration (the `--json` object of `paratransfer advise`, without `estimated`). */
export interface Advice {
  decision: 'transfer' | 'scratch';
  /** 0 when the decision is scratch */
  recommendedAlpha: number;
  predictedScratchError: number;
  alphas: AlphaAdvice[];
  reason: string;
}

/** α = 0, 0.1, …, 1: the default candidates. */
export const defaultAlphas: readonly number[] = Array.from({ length: 11 }, (_, i) => i / 10);

/** Which of the inherited filters' terms dominates (docs/theory.md §4). */
export type DominantTerm = 'shared signal' | 'memorised upstream noise' | 'leaked upstream-specific signal';

/** The terms behind a decision: the inherited filters at the best α, and the nearest regime boundary. */
export interface AdviceTerms {
  dominant: DominantTerm;
  /** j·⟨w, s₂⟩ of an inherited filter, and its noise variances by source */
  signal: number;
  memorised: number;
  leaked: number;
  initial: number;
  /** the same for a fresh filter trained from scratch (the yardstick) */
  best: Prediction;
}

/** The best candidate with α > 0 (ties: the smaller α) and its prediction; undefined when there is none. */
function bestAlpha(preds: { alpha: number; p: Prediction }[]): { alpha: number; p: Prediction } | undefined {
  let best: { alpha: number; p: Prediction } | undefined;
  for (const x of preds) if (x.alpha > 0 && (!best || x.p.predictedGain > best.p.predictedGain)) best = x;
  return best;
}

/** The dominant term of the inherited filters: signal power ⟨w, s₂⟩² against each noise variance. */
export function dominantTerm(p: Pick<Prediction, 'inheritedSignal' | 'memorisedNoise' | 'leakedNoise'>): DominantTerm {
  const signal = p.inheritedSignal > 0 ? p.inheritedSignal ** 2 : 0;
  if (signal >= p.memorisedNoise && signal >= p.leakedNoise) return 'shared signal';
  return p.memorisedNoise >= p.leakedNoise ? 'memorised upstream noise' : 'leaked upstream-specific signal';
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const points = (x: number) => `${x >= 0 ? '+' : '−'}${(100 * Math.abs(x)).toFixed(1)} points`;
const num = (x: number) => (Math.abs(x) >= 100 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(2) : x.toFixed(3));

/**
 * Where the decision flips along one key, multiplying it by up to 8 (or dividing): the factor, or null when it
 * does not flip in that range. Bisection in log space on the gain at the decision's α.
 */
function flipFactor(config: TheoryInput, key: 'uNorm' | 'n1', alpha: number, k: TheoryConstants, sign: number): number | null {
  const base = config[key];
  if (!(base > 0)) return null;
  const gainAt = (f: number) => {
    const v = key === 'n1' ? Math.max(1, Math.round(base * f)) : base * f;
    return predict({ ...config, [key]: v, alpha }, k).predictedGain;
  };
  let best: number | null = null;
  for (const dir of [1, -1]) {
    let lo = 0; // log2 of a factor that keeps the sign
    let hi: number | null = null;
    for (const step of [1, 2, 3]) {
      if (Math.sign(gainAt(2 ** (dir * step))) * sign <= 0) {
        hi = dir * step;
        break;
      }
      lo = dir * step;
    }
    if (hi === null) continue;
    let top: number = hi;
    for (let i = 0; i < 5; i++) {
      const mid: number = (lo + top) / 2;
      if (Math.sign(gainAt(2 ** mid)) * sign > 0) lo = mid;
      else top = mid;
    }
    const f = 2 ** top;
    if (best === null || Math.abs(Math.log(f)) < Math.abs(Math.log(best))) best = f;
  }
  return best;
}

/** The advice of the theory alone for a config over candidate α's (config mode of `paratransfer advise`). */
export function adviseFromTheory(
  config: TheoryInput,
  alphas: readonly number[] = defaultAlphas,
  opts: { constants?: TheoryConstants; boundary?: boolean } = {},
): Advice & { terms: AdviceTerms } {
  const k = opts.constants ?? defaultConstants;
  const preds = alphas.map((alpha) => ({ alpha, p: predict({ ...config, alpha }, k) }));
  const scratch = preds.length ? preds[0].p.predictedScratchError : predict({ ...config, alpha: 0 }, k).predictedScratchError;
  const best = bestAlpha(preds) ?? { alpha: 1, p: predict({ ...config, alpha: 1 }, k) };
  const transfer = best.p.predictedGain > 0;
  const dominant = dominantTerm(best.p);
  const terms: AdviceTerms = {
    dominant,
    signal: best.p.inheritedSignal,
    memorised: best.p.memorisedNoise,
    leaked: best.p.leakedNoise,
    initial: best.p.initialNoise,
    best: best.p,
  };
  const parts: string[] = [];
  parts.push(
    transfer
      ? `Transfer with α = ${best.alpha}: predicted gain ${points(best.p.predictedGain)} (scratch ${pct(scratch)} → transfer ${pct(best.p.predictedTransferError)}).`
      : `Train from scratch: no α helps; the best, α = ${best.alpha}, predicts a gain of ${points(best.p.predictedGain)} (scratch ${pct(scratch)} → transfer ${pct(best.p.predictedTransferError)}).`,
  );
  const signalWords =
    best.p.inheritedSignal > 0
      ? `they carry the shared signal at ⟨w, s₂⟩ = ${num(best.p.inheritedSignal)} (power ${num(best.p.inheritedSignal ** 2)})`
      : `their signal points against Task 2's (⟨w, s₂⟩ = ${num(best.p.inheritedSignal)})`;
  parts.push(
    `Dominant term of the inherited filters: ${dominant} — ${signalWords}; noise variance from memorised upstream noise ${num(
      best.p.memorisedNoise,
    )}, from the leaked upstream-specific signal ${num(best.p.leakedNoise)}, from initialisation ${num(best.p.initialNoise)}.`,
  );
  if (opts.boundary !== false) {
    const sign = transfer ? 1 : -1;
    const flips = (['uNorm', 'n1'] as const)
      .map((key) => ({ key, f: flipFactor(config, key, best.alpha, k, sign) }))
      .filter((x): x is { key: 'uNorm' | 'n1'; f: number } => x.f !== null);
    const label = { uNorm: '‖u‖', n1: 'N₁' };
    const margin = `Nearest regime boundary: the gain at α = ${best.alpha} is ${points(best.p.predictedGain)} from zero`;
    parts.push(
      flips.length
        ? `${margin}; it changes sign if ${flips.map((x) => `${label[x.key]} is multiplied by ${x.f.toPrecision(2)}`).join(' or ')}.`
        : `${margin}; it keeps its sign for ‖u‖ and N₁ within a factor of 8.`,
    );
  }
  return {
    decision: transfer ? 'transfer' : 'scratch',
    recommendedAlpha: transfer ? best.alpha : 0,
    predictedScratchError: scratch,
    alphas: preds.map(({ alpha, p }) => ({ alpha, predictedGain: p.predictedGain, predictedTransferError: p.predictedTransferError })),
    reason: parts.join(' '),
    terms,
  };
}

/** The α a policy of the advisor recommends from predicted gains alone (no boundary search): 0 means scratch. */
export function recommendedAlpha(config: TheoryInput, alphas: readonly number[], k: TheoryConstants = defaultConstants): number {
  const best = bestAlpha(alphas.map((alpha) => ({ alpha, p: predict({ ...config, alpha }, k) })));
  return best && best.p.predictedGain > 0 ? best.alpha : 0;
}
