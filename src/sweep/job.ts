import { z } from 'zod';
import { formatIssues } from '../config/load.js';
import type { ExperimentConfig } from '../config/schema.js';
import { getEngine } from '../engine/registry.js';
import { runExperiment } from '../experiment/run.js';
import type { RealConfig } from '../real/config.js';
import { runReal } from '../real/run.js';
import { UserError } from '../util/errors.js';
import { familyNamed, familyOfKeys, isRealConfig, type SweepConfig } from './family.js';
import { jobId, type SweepJob } from './grid.js';

/**
 * What a worker receives for one (point, seed) run, local or remote: self-contained, JSON-serialisable and
 * validated with the schema of its family before anything runs. The id must match the config (a stale or
 * tampered payload is refused). `kind` names the family: absent (or "synthetic") for the synthetic experiment,
 * "real" for the real-data study, so payloads of earlier versions still parse.
 */
export const jobPayloadSchema = z.strictObject({
  kind: z.enum(['synthetic', 'real'], { error: 'must be synthetic or real' }).optional(),
  id: z.string().regex(/^[0-9a-f]{16}$/, { error: 'must be 16 hex digits' }),
  engine: z.string().min(1, { error: 'must name an engine' }),
  config: z.unknown(),
});

export type JobPayload =
  | { kind?: 'synthetic'; id: string; engine: string; config: ExperimentConfig }
  | { kind: 'real'; id: string; engine: string; config: RealConfig };

/** What a worker sends back: the result as JSON text (stored verbatim), and the wall time (never part of the result). */
export interface JobOutput {
  id: string;
  result: string;
  seconds: number;
}

/** The payload of a sweep job (synthetic payloads keep their historical shape: no `kind`). */
export function jobPayload(job: SweepJob<SweepConfig>, engine: string): JobPayload {
  const { id, config } = job;
  return isRealConfig(config) ? { kind: 'real', id, engine, config } : { id, engine, config };
}

/** Validate a payload from anywhere (thread message, queue entry): one-line error naming the field. */
export function parseJobPayload(input: unknown): JobPayload {
  const r = jobPayloadSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UserError(`job payload: field "${issue.path.join('.') || '(root)'}": ${issue.message}`);
  }
  const { id, engine, config } = r.data;
  const family = familyNamed(r.data.kind);
  const holds = config && typeof config === 'object' ? familyOfKeys(Object.keys(config)) : undefined;
  if (holds && holds !== family) {
    const expected = holds.name === 'real' ? '"real"' : '"synthetic" or absent';
    throw new UserError(`job ${id}: field "kind": its config holds ${holds.name === 'real' ? 'real-data' : 'synthetic'} keys; kind must be ${expected}`);
  }
  const c = family.configs.schema.safeParse(config);
  if (!c.success) {
    throw new UserError(formatIssues(c.error, config, `job ${id}: ${family.name === 'real' ? 'real-data ' : ''}config`, family.configs.keys).split('\n')[0]);
  }
  if (family.engine === null) getEngine(engine);
  else if (engine !== family.engine) {
    throw new UserError(`job ${id}: field "engine": real-data jobs run on the "${family.engine}" engine (got "${engine}")`);
  }
  const expected = jobId(c.data);
  if (expected !== id) throw new UserError(`job ${id}: id does not match its config (expected ${expected})`);
  return family.name === 'real'
    ? { kind: 'real', id, engine, config: c.data as RealConfig }
    : { id, engine, config: c.data as ExperimentConfig };
}

/**
 * Run one job: the same function serves the local thread pool and any remote worker. A pooled real-data job uses
 * one thread (the pool already runs one job per core) and reuses the thread's recent upstream networks; its result
 * depends on neither.
 */
export function runJob(input: unknown): JobOutput {
  const job = parseJobPayload(input);
  const t0 = performance.now();
  const result =
    job.kind === 'real'
      ? runReal(job.config, { threads: 1, reuseUpstream: true }).result
      : runExperiment(job.config, { engine: getEngine(job.engine) }).result;
  return { id: job.id, result: JSON.stringify(result), seconds: (performance.now() - t0) / 1000 };
}
