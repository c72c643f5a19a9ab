import { UserError } from '../util/errors.js';
import { autoEngine } from './auto.js';
import { coefEngine } from './coef.js';
import { denseEngine } from './dense.js';
import type { Engine } from './types.js';

export const engines: Record<string, Engine> = { dense: denseEngine, coef: coefEngine, auto: autoEngine };
export const engineNames = Object.keys(engines);

export function getEngine(name: string): Engine {
  const e = engines[name];
  if (!e) throw new UserError(`--engine: unknown engine "${name}" (allowed: ${engineNames.join(', ')})`);
  return e;
}
