import { z } from 'zod';
import type { StudyPrediction } from './types.js';

/** What a theory may return: Γ as `gamma` or `Gamma`, the regime, the scratch flag, plus any extra scalar fields. */
const predictionSchema = z.looseObject({
  gamma: z.number().optional(),
  Gamma: z.number().optional(),
  regime: z.enum(['positive', 'negative', 'neutral']),
  scratchBayesOptimal: z.boolean(),
});

/**
 * Validate and normalise what a theory returned (a broken theory fails loudly instead of filling tables with
 * junk): `gamma` first, then `regime`, `scratchBayesOptimal`, then the extra scalar fields in their own order.
 */
export function checkedPredictor<C>(fn: (config: C) => unknown): (config: C) => StudyPrediction {
  return (c) => {
    const out = fn(c);
    const r = predictionSchema.safeParse(out);
    const gamma = r.success ? (r.data.gamma ?? r.data.Gamma) : undefined;
    if (!r.success || gamma === undefined) {
      const issue = r.success ? { path: ['gamma'], message: 'expected a number (gamma or Gamma)' } : r.error.issues[0];
      throw new Error(`theory predict(): field "${issue.path.join('.')}": ${issue.message}`);
    }
    const { gamma: _g, Gamma: _G, regime, scratchBayesOptimal, ...extra } = r.data;
    const rest: Record<string, number | string | boolean | null> = {};
    for (const [k, v] of Object.entries(extra)) {
      if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null) rest[k] = v;
    }
    return { gamma, regime, scratchBayesOptimal, ...rest };
  };
}
