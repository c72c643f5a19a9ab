import { UserError } from '../util/errors.js';
import { autoEngine } from './auto.js';
import { coefEngine } from './coef.js';
import { denseEngine } from './dense.js';
import { engineNames, type EngineName } from './names.js';
import type { Engine } from './types.js';

export const engines: Record<EngineName, Engine> = { dense: denseEngine, coef: coefEngine, auto: autoEngine };
export { engineNames };

/** The synthetic experiment's engine of that name (dense, coef, auto); a one-line UserError otherwise. */
export function getEngine(name: string): Engine {
  const e = Object.hasOwn(engines, name) ? engines[name as EngineName] : undefined;
  if (!e) throw new UserError(`--engine: unknown engine "${name}" (allowed: ${engineNames.join(', ')})`);
  return e;
}
