import { z } from 'zod';
import { formatIssues } from '../config/load.js';
import { experimentSchema } from '../config/schema.js';
import { getEngine } from '../engine/registry.js';
import { runExperiment } from '../experiment/run.js';
import { UserError } from '../util/errors.js';
import { jobId } from './grid.js';

/**
 * What a worker receives for one (point, seed) run, local or remote: self-contained, JSON-serialisable and
 * validated with the experiment schema before anything runs. The id must match the config (a stale or
 * tampered payload is refused).
 */
export const jobPayloadSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/, { error: 'must be 16 hex digits' }),
  engine: z.string().min(1, { error: 'must name an engine' }),
  config: z.unknown(),
});

export interface JobPayload {
  id: string;
  engine: string;
  config: z.infer<typeof experimentSchema>;
}

/** What a worker sends back: the result as JSON text (stored verbatim), and the wall time (never part of the result). */
export interface JobOutput {
  id: string;
  result: string;
  seconds: number;
}

/** Validate a payload from anywhere (thread message, queue entry): one-line error naming the field. */
export function parseJobPayload(input: unknown): JobPayload {
  const r = jobPayloadSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UserError(`job payload: field "${issue.path.join('.') || '(root)'}": ${issue.message}`);
  }
  const c = experimentSchema.safeParse(r.data.config);
  if (!c.success) throw new UserError(formatIssues(c.error, r.data.config, `job ${r.data.id}: config`).split('\n')[0]);
  getEngine(r.data.engine);
  const expected = jobId(c.data);
  if (expected !== r.data.id) throw new UserError(`job ${r.data.id}: id does not match its config (expected ${expected})`);
  return { id: r.data.id, engine: r.data.engine, config: c.data };
}

/** Run one job: the same function serves the local thread pool and any remote worker. */
export function runJob(input: unknown): JobOutput {
  const job = parseJobPayload(input);
  const t0 = performance.now();
  const { result } = runExperiment(job.config, { engine: getEngine(job.engine) });
  return { id: job.id, result: JSON.stringify(result), seconds: (performance.now() - t0) / 1000 };
}
