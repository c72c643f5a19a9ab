import { UserError } from '../util/errors.js';
import { denseEngine } from './dense.js';
import type { Engine } from './types.js';

export const engines: Record<string, Engine> = { dense: denseEngine };
export const engineNames = Object.keys(engines);

export function getEngine(name: string): Engine {
  const e = engines[name];
  if (!e) throw new UserError(`--engine: unknown engine "${name}" (allowed: ${engineNames.join(', ')})`);
  return e;
}
