import { hostname } from 'node:os';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { Piscina } from 'piscina';
import { UserError } from '../../util/errors.js';
import { parseJobPayload, type JobOutput } from '../job.js';
import { closeQueue, openQueue, redisOptions } from './connection.js';
import { bullId, jobName, queueName, queuePrefix, versionOf, workerDefaults } from './protocol.js';
import type { ThreadOutcome } from './thread.js';
import { redact, type RedisTarget } from './url.js';

export interface QueueWorkerOptions {
  /** this package's version: jobs enqueued by another version are refused */
  version: string;
  /** jobs run at once, each on its own worker thread */
  concurrency: number;
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
  /** one line per event (job started, done, failed, handed back; connection trouble), already redacted */
  log?: (line: string) => void;
  /** the worker-thread script (default: the compiled thread.js next to this module) */
  threadFile?: URL;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** The name this worker shows in `paratransfer queue status` (CLIENT SETNAME allows no spaces). */
function workerName(concurrency: number): string {
  return `${hostname()}.${process.pid}.c${concurrency}`.replace(/[^A-Za-z0-9._-]/g, '-');
}

/**
 * A `paratransfer worker`: takes sweep jobs from the queue and runs each on a worker thread, so the event loop
 * stays free to renew the job locks (BullMQ renews every lockDuration/2) however long a job computes. Every
 * payload is validated with the CLI's schemas (parseJobPayload, then runJob) before anything runs; a malformed
 * one fails at once with the reason.
 */
export class QueueWorker {
  private readonly pool: Piscina<unknown, ThreadOutcome>;
  private readonly worker: Worker;
  private readonly running = new Set<string>();
  private readonly log: (line: string) => void;
  private readonly errorsSeen = new Map<string, number>();
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly target: RedisTarget,
    private readonly opts: QueueWorkerOptions,
  ) {
    this.log = opts.log ?? (() => {});
    const threads = opts.concurrency;
    this.pool = new Piscina({
      filename: (opts.threadFile ?? new URL('./thread.js', import.meta.url)).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
    this.worker = new Worker(queueName, this.process, {
      prefix: queuePrefix,
      connection: redisOptions(target),
      concurrency: threads,
      lockDuration: opts.lockDuration ?? workerDefaults.lockDuration,
      stalledInterval: opts.stalledInterval ?? workerDefaults.stalledInterval,
      maxStalledCount: opts.maxStalledCount ?? workerDefaults.maxStalledCount,
      name: workerName(threads),
    });
    this.worker.on('error', (e) => this.logError(e));
    this.worker.on('completed', (job: Job, out: JobOutput) => this.log(`${job.id} done in ${out.seconds.toFixed(2)} s`));
    this.worker.on('failed', (job: Job | undefined, err: Error) => {
      if (!job) return;
      const final = err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      this.log(`${job.id} failed${final ? '' : ', will be retried'}: ${redact(err.message, this.target)}`);
    });
    this.worker.on('stalled', (id: string) => this.log(`${id} had stalled (its worker stopped answering): put back in the queue`));
  }

  /** Check that Redis answers (one-line error otherwise), then start taking jobs. */
  static async start(target: RedisTarget, opts: QueueWorkerOptions): Promise<QueueWorker> {
    await closeQueue(await openQueue(target));
    const w = new QueueWorker(target, opts);
    await w.worker.waitUntilReady();
    return w;
  }

  /** Jobs running now. */
  get active(): number {
    return this.running.size;
  }

  // Three parameters: BullMQ then passes the abort signal that `handBack` fires.
  private readonly process = async (job: Job, token?: string, signal?: AbortSignal): Promise<JobOutput> => {
    const id = job.id ?? '?';
    this.running.add(id);
    this.log(`${id} started (attempt ${job.attemptsStarted})`);
    try {
      if (job.name !== jobName(this.opts.version)) {
        const v = versionOf(job.name);
        throw new UnrecoverableError(
          v
            ? `job enqueued by paratransfer ${v} cannot run on a worker of version ${this.opts.version}; run one version everywhere`
            : `not a paratransfer sweep job (name "${job.name}")`,
        );
      }
      try {
        const payload = parseJobPayload(job.data);
        if (bullId(payload.id) !== id) throw new UserError(`job ${id}: its payload is job ${payload.id}`);
      } catch (e) {
        throw new UnrecoverableError(message(e));
      }
      let outcome: ThreadOutcome;
      try {
        outcome = await this.pool.run(job.data, { signal });
      } catch (e) {
        if (signal?.aborted && token) {
          await job.moveToWait(token);
          this.log(`${id} handed back to the queue`);
          throw new WaitingError();
        }
        throw e; // the thread died: retried (attempts)
      }
      if (outcome.ok) return outcome.output;
      throw outcome.permanent ? new UnrecoverableError(outcome.error) : new Error(outcome.error);
    } finally {
      this.running.delete(id);
    }
  };

  private logError(e: unknown): void {
    const text = redact(message(e), this.target);
    const now = Date.now();
    // A server that is down yields one error per reconnection attempt: say it once a minute.
    if (now - (this.errorsSeen.get(text) ?? 0) < 60_000) return;
    this.errorsSeen.set(text, now);
    const connection = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|Connection is closed/.test(text);
    this.log(`Redis: ${text}${connection ? ' (reconnecting)' : ''}`);
  }

  /** Stop taking jobs, let the running ones finish (and report), then release everything. */
  finish(): Promise<void> {
    this.stopping ??= (async () => {
      await this.worker.close();
      await this.pool.destroy();
    })();
    return this.stopping;
  }

  /** Stop now: running jobs go back to the queue at once (another worker takes them), then release everything. */
  handBack(): Promise<void> {
    this.worker.cancelAllJobs('handed back');
    return this.finish();
  }
}
