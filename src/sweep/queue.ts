import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { runJob, type JobOutput, type JobPayload } from './job.js';

/** The outcome of one job, as the coordinator sees it. */
export type JobEvent = ({ kind: 'done' } & JobOutput) | { kind: 'failed'; id: string; error: string };

/**
 * Where a sweep's jobs run. The coordinator enqueues the unfinished (point, seed) jobs, then consumes their
 * outcomes and writes each into the store (the store, not the queue, guarantees exactly-once rows). A backend may
 * run jobs anywhere — threads here, remote workers behind a distributed queue — as long as it:
 *  - treats job ids as idempotency keys (enqueueing an id that is already queued or running is a no-op);
 *  - runs every job through `runJob` (payload validated with the same schemas);
 *  - reports exactly one event per enqueued id, in any order.
 */
export interface JobQueue {
  readonly name: string;
  /** Queue jobs (an id already queued or running is a no-op). */
  enqueue(jobs: readonly JobPayload[]): Promise<void>;
  /** Outcomes in completion order; the iteration ends once every enqueued job has reported. */
  events(): AsyncIterable<JobEvent>;
  /** Live worker count (for progress). */
  workers(): number;
  /** Release the workers; jobs not yet reported are abandoned (they stay unfinished in the store). */
  close(): Promise<void>;
}

/** A single-consumer channel: producers push, `drain` yields until `remaining` reaches 0. */
class EventChannel {
  private buffer: JobEvent[] = [];
  private wake: (() => void) | null = null;
  remaining = 0;

  push(e: JobEvent): void {
    this.buffer.push(e);
    this.wake?.();
  }

  async *drain(): AsyncGenerator<JobEvent> {
    while (this.remaining > 0) {
      if (!this.buffer.length) await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
      while (this.buffer.length) {
        this.remaining--;
        yield this.buffer.shift()!;
      }
    }
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** The default worker script: the compiled sibling of this module. */
export function defaultWorkerFile(): URL {
  return new URL('./worker.js', import.meta.url);
}

/** Local worker-thread pool (piscina); every job runs `runJob` in a worker. */
export class LocalPoolQueue implements JobQueue {
  readonly name = 'local';
  private readonly pool: Piscina;
  private readonly channel = new EventChannel();
  private readonly seen = new Set<string>();

  constructor(threads = availableParallelism(), workerFile: URL = defaultWorkerFile()) {
    this.pool = new Piscina({
      filename: workerFile.href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      // Node's default heap limits are generous; big configs are bounded by the schema.
    });
  }

  /** Queue jobs; each runs once per queue whatever how often it is enqueued. */
  async enqueue(jobs: readonly JobPayload[]): Promise<void> {
    for (const job of jobs) {
      if (this.seen.has(job.id)) continue;
      this.seen.add(job.id);
      this.channel.remaining++;
      this.pool.run(job).then(
        (out: JobOutput) => this.channel.push({ kind: 'done', ...out }),
        (e: unknown) => this.channel.push({ kind: 'failed', id: job.id, error: message(e) }),
      );
    }
  }

  events(): AsyncIterable<JobEvent> {
    return this.channel.drain();
  }

  workers(): number {
    return this.pool.threads.length;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** Runs jobs one by one on the calling thread (`--workers 0`): for debugging, profiling and library use. */
export class InlineQueue implements JobQueue {
  readonly name = 'inline';
  private readonly queue: JobPayload[] = [];
  private readonly seen = new Set<string>();

  /** Queue jobs; each runs once per queue whatever how often it is enqueued. */
  async enqueue(jobs: readonly JobPayload[]): Promise<void> {
    for (const job of jobs) {
      if (this.seen.has(job.id)) continue;
      this.seen.add(job.id);
      this.queue.push(job);
    }
  }

  async *events(): AsyncGenerator<JobEvent> {
    while (this.queue.length) {
      const job = this.queue.shift()!;
      // Yield to the event loop between runs so progress output and signals get through.
      await new Promise((r) => setImmediate(r));
      let event: JobEvent;
      try {
        event = { kind: 'done', ...(await runJob(job)) };
      } catch (e) {
        event = { kind: 'failed', id: job.id, error: message(e) };
      }
      yield event;
    }
  }

  workers(): number {
    return 1;
  }

  async close(): Promise<void> {
    this.queue.length = 0;
  }
}
