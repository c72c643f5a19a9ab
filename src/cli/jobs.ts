import type { StudyResult } from '../study/types.js';
import { jobId } from '../sweep/grid.js';
import { jobPayload } from '../sweep/job.js';
import type { JobQueue } from '../sweep/queue.js';
import { UserError } from '../util/errors.js';
import { progressBar, type ProgressOptions } from './progress.js';

/** How `runConfigs` runs its jobs and reports them. */
export interface RunConfigsOptions {
  engine: string;
  queue: JobQueue;
  /** the progress bar: shown or not, its label and options */
  progress: { enabled: boolean; label: string; opts?: ProgressOptions };
  /** the one-line message of a failed run (the config's index in the list, the worker's error) */
  failure: (index: number, error: string) => string;
}

/**
 * Configs of one study run as jobs of a worker pool (`run --seeds K`, `advise --simulate`): one job per config, each
 * on one thread, so results are those of single runs whatever the thread count. Results come back in the configs'
 * order; the first failed run ends it with a one-line UserError. The queue is closed either way.
 */
export async function runConfigs(
  configs: readonly Record<string, unknown>[],
  o: RunConfigsOptions,
): Promise<{ result: StudyResult; seconds: number }[]> {
  const ids = configs.map((c) => jobId(c));
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  const bar = progressBar(configs.length, o.progress.enabled, o.progress.label, { unit: 'runs', ...o.progress.opts });
  const results = new Map<string, { result: StudyResult; seconds: number }>();
  try {
    await o.queue.enqueue(configs.map((c, i) => jobPayload({ id: ids[i], point: i, seed: c.seed as number, config: c }, o.engine)));
    for await (const ev of o.queue.events()) {
      if (!indexOf.has(ev.id)) continue;
      if (ev.kind === 'failed') throw new UserError(o.failure(indexOf.get(ev.id)!, ev.error));
      results.set(ev.id, { result: JSON.parse(ev.result) as StudyResult, seconds: ev.seconds });
      bar.update(results.size);
    }
  } finally {
    bar.stop();
    await o.queue.close();
  }
  return ids.map((id) => results.get(id)!);
}
