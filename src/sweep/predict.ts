import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ExperimentConfig } from '../config/schema.js';

/**
 * The theory hook (SPEC §5, docs/theory.md): what the criterion predicts for one config. Sweeps, exports and the
 * report attach it to every point. Extra fields (numbers, strings, booleans) become extra `predicted.*` columns.
 */
export interface Prediction {
  /** the criterion Γ: larger means transfer helps more */
  gamma: number;
  /** 'neutral' when Γ sits exactly on its threshold */
  regime: 'positive' | 'negative' | 'neutral';
  /** whether training from scratch reaches near Bayes-optimal error downstream */
  scratchBayesOptimal: boolean;
  [extra: string]: number | string | boolean | null;
}

export type Predictor = (config: ExperimentConfig) => Prediction;

/** What a theory module may return: Γ as `gamma` or `Gamma`, plus any extra scalar fields. */
export const predictionSchema = z.looseObject({
  gamma: z.number().optional(),
  Gamma: z.number().optional(),
  regime: z.enum(['positive', 'negative', 'neutral']),
  scratchBayesOptimal: z.boolean(),
});

/**
 * Validate and normalise what a predictor returned (a broken hook fails loudly instead of filling tables with
 * junk): `gamma` first, then `regime`, `scratchBayesOptimal`, then the extra fields in their own order.
 */
export function checkedPredictor(fn: (config: ExperimentConfig) => unknown): Predictor {
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

/**
 * The project's predictor: `predict` exported by src/theory/index.ts, when that module exists. Loaded lazily so that
 * sweeps work before (and without) the theory module.
 */
export async function loadPredictor(): Promise<Predictor | undefined> {
  const url = new URL('../theory/index.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  const mod = (await import(url.href)) as { predict?: unknown };
  return typeof mod.predict === 'function'
    ? checkedPredictor(mod.predict as (c: ExperimentConfig) => unknown)
    : undefined;
}
