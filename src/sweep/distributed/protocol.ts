import type { JobsOptions, JobType } from 'bullmq';

/**
 * What coordinator and workers agree on (docs/distributed.md). Keys live under `bull:paratransfer:*`, BullMQ's
 * standard layout, so the usual BullMQ tools can inspect them.
 */
export const queueName = 'paratransfer';
export const queuePrefix = 'bull';

/**
 * The BullMQ job id of a sweep job: its deterministic id, prefixed because BullMQ refuses ids that read as
 * integers (a 16-hex-digit id can be all decimal digits).
 */
export const bullId = (id: string): string => `run-${id}`;
export const sweepId = (bull: string): string => bull.replace(/^run-/, '');

/** The job name records the package version that enqueued it; a worker of another version refuses the job. */
export const jobName = (version: string): string => `paratransfer@${version}`;
export const versionOf = (name: string): string | undefined => /^paratransfer@(.+)$/.exec(name)?.[1];

/**
 * Retries are for accidents (a worker thread that crashed, a lost connection); a bad payload or a diverging
 * run fails at once (UnrecoverableError), as its outcome cannot change. Records are kept until the coordinator
 * has stored them: the coordinator removes each job after its result is committed to the store.
 */
export const jobOptions: JobsOptions = {
  attempts: 3,
  backoff: { type: 'fixed', delay: 1000 },
  removeOnComplete: false,
  removeOnFail: false,
  stackTraceLimit: 0,
};

/** Every state a job can be in: a sweep job found in none of them has vanished (drained, or Redis lost it). */
export const allStates: JobType[] = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'completed', 'failed', 'waiting-children'];

/** Worker defaults (docs/distributed.md §locks): BullMQ's, which suit jobs of any length. */
export const workerDefaults = {
  /** a worker renews the lock of each running job every lockDuration/2 from its (free) event loop */
  lockDuration: 30_000,
  /** how often each worker looks for jobs whose lock expired (their worker died) and puts them back */
  stalledInterval: 30_000,
  /** a job that stalls more often than this is failed (it probably kills its worker) */
  maxStalledCount: 2,
};
