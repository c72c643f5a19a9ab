import { z } from 'zod';
import { formatIssues } from '../config/load.js';
import { defaultStudy, studyChoice, studyNamed, studyNames, studyOfConfig, studyOfKeys } from '../study/registry.js';
import { UserError } from '../util/errors.js';
import { jobId, type StudyConfig, type SweepJob } from './grid.js';

/**
 * What a worker receives for one (point, seed) run, local or remote: self-contained, JSON-serialisable and
 * validated with the schema of its study before anything runs. The id must match the config (a stale or
 * tampered payload is refused). `kind` names the study; absent means the default study, so payloads of
 * earlier versions still parse.
 */
export const jobPayloadSchema = z.strictObject({
  kind: z
    .string({ error: `must be ${studyChoice}` })
    .refine((k) => studyNames.includes(k), { error: `must be ${studyChoice}` })
    .optional(),
  id: z.string().regex(/^[0-9a-f]{16}$/, { error: 'must be 16 hex digits' }),
  engine: z.string().min(1, { error: 'must name an engine' }),
  config: z.unknown(),
});

export interface JobPayload {
  /** the study (absent: the default) */
  kind?: string;
  id: string;
  engine: string;
  config: StudyConfig;
}

/** What a worker sends back: the result as JSON text (stored verbatim), and the wall time (never part of the result). */
export interface JobOutput {
  id: string;
  result: string;
  seconds: number;
}

/** The payload of a sweep job (the default study's keep their historical shape: no `kind`). */
export function jobPayload(job: SweepJob, engine: string): JobPayload {
  const study = studyOfConfig(job.config);
  const { id, config } = job;
  return study === defaultStudy ? { id, engine, config } : { kind: study.name, id, engine, config };
}

/** The key by which jobs of a config share work (its study's `reuseKey`), or undefined. */
export function reuseKeyOf(config: StudyConfig): string | undefined {
  const study = studyOfConfig(config);
  return study.reuseKey ? `${study.name}:${study.reuseKey(config)}` : undefined;
}

/** Validate a payload from anywhere (thread message, queue entry): one-line error naming the field. */
export function parseJobPayload(input: unknown): JobPayload {
  const r = jobPayloadSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UserError(`job payload: field "${issue.path.join('.') || '(root)'}": ${issue.message}`);
  }
  const { kind, id, engine, config } = r.data;
  const study = studyNamed(kind);
  const holds = config && typeof config === 'object' ? studyOfKeys(Object.keys(config)) : undefined;
  if (holds && holds !== study) {
    const expected = `"${holds.name}"${holds === defaultStudy ? ' or absent' : ''}`;
    throw new UserError(`job ${id}: field "kind": its config holds ${holds.adjective} keys; kind must be ${expected}`);
  }
  const c = study.configs.schema.safeParse(config);
  if (!c.success) {
    throw new UserError(formatIssues(c.error, config, `job ${id}: ${study.adjective} config`, study.configs.keys).split('\n')[0]);
  }
  if (!study.engines.includes(engine)) {
    throw new UserError(
      study.engines.length === 1
        ? `job ${id}: field "engine": ${study.adjective} jobs run on the "${study.engines[0]}" engine (got "${engine}")`
        : `job ${id}: field "engine": unknown engine "${engine}" (allowed: ${study.engines.join(', ')})`,
    );
  }
  const expected = jobId(c.data as object);
  if (expected !== id) throw new UserError(`job ${id}: id does not match its config (expected ${expected})`);
  return { ...(kind === undefined ? {} : { kind }), id, engine, config: c.data as StudyConfig };
}

/**
 * Run one job: the same function serves the local thread pool and any remote worker. A pooled job uses one
 * thread (the pool already runs one job per core) and may reuse the thread's caches; its result depends on neither.
 */
export async function runJob(input: unknown): Promise<JobOutput> {
  const job = parseJobPayload(input);
  const t0 = performance.now();
  const { result } = await studyNamed(job.kind).run(job.config, { engine: job.engine, pooled: true });
  return { id: job.id, result: JSON.stringify(result), seconds: (performance.now() - t0) / 1000 };
}
