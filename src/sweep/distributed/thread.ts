import { UserError } from '../../util/errors.js';
import { runJob, type JobOutput } from '../job.js';

/** What a worker thread hands back: the output, or the error and whether it is the job's own fault (no retry). */
export type ThreadOutcome = { ok: true; output: JobOutput } | { ok: false; error: string; permanent: boolean };

/**
 * Failure drills (docs/distributed.md): PARATRANSFER_WORKER_DELAY_MS blocks the thread that long before each job,
 * as a long computation would, so that `kill -9` can be rehearsed mid-job. Results are unaffected.
 */
const delayMs = Number(process.env.PARATRANSFER_WORKER_DELAY_MS ?? 0);

/** Worker-thread entry of `paratransfer worker`: the payload is validated inside runJob, as for the local pool. */
export default async function work(payload: unknown): Promise<ThreadOutcome> {
  if (delayMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delayMs);
  try {
    return { ok: true, output: await runJob(payload) };
  } catch (e) {
    // Error classes do not survive the thread boundary: say here whether retrying could help.
    return { ok: false, error: (e instanceof Error ? e.message : String(e)).split('\n')[0], permanent: e instanceof UserError };
  }
}
