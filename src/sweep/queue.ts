import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { studyNamed } from '../study/registry.js';
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

/** What groups jobs that should run on the same thread (they share cached work): by default, the job's study decides. */
export type Affinity = (job: JobPayload) => string | undefined;

/** The study's `reuseKey` of a job's config (jobs with equal keys share a thread's caches), if it has one. */
export const studyAffinity: Affinity = (job) => studyNamed(job.kind).reuseKey?.(job.config);

/**
 * Local worker threads (piscina, one thread per pool); every job runs `runJob` in a worker. Jobs with the same
 * affinity key (e.g. one configuration at several α, which share an upstream network) go to the thread that has
 * their group, so a thread's cache serves them; an idle thread takes the oldest group nobody holds, and only when
 * none is left helps with another thread's group. Which thread runs a job never changes its result.
 */
export class LocalPoolQueue implements JobQueue {
  readonly name = 'local';
  private readonly threads: { pool: Piscina; busy: boolean; group?: string }[];
  private readonly channel = new EventChannel();
  private readonly seen = new Set<string>();
  /** jobs not yet started, by group, groups in arrival order */
  private readonly groups = new Map<string, JobPayload[]>();
  private loose = 0;

  constructor(
    threads = availableParallelism(),
    workerFile: URL = defaultWorkerFile(),
    private readonly affinity: Affinity = studyAffinity,
  ) {
    this.threads = Array.from({ length: Math.max(1, threads) }, () => ({
      pool: new Piscina({ filename: workerFile.href, minThreads: 1, maxThreads: 1, idleTimeout: 60_000 }),
      busy: false,
    }));
  }

  /** Queue jobs; each runs once per queue whatever how often it is enqueued. */
  async enqueue(jobs: readonly JobPayload[]): Promise<void> {
    for (const job of jobs) {
      if (this.seen.has(job.id)) continue;
      this.seen.add(job.id);
      this.channel.remaining++;
      let key: string | undefined;
      try {
        key = this.affinity(job);
      } catch {
        key = undefined; // a payload that does not parse fails in its worker, with the usual message
      }
      const group = key === undefined ? `\u0000${this.loose++}` : key;
      const list = this.groups.get(group);
      if (list) list.push(job);
      else this.groups.set(group, [job]);
    }
    this.pump();
  }

  /** The next job for a thread: its own group first, then the oldest group nobody holds, then any. */
  private next(t: (typeof this.threads)[number]): JobPayload | undefined {
    const take = (g: string) => {
      const list = this.groups.get(g)!;
      const job = list.shift()!;
      if (!list.length) this.groups.delete(g);
      t.group = g;
      return job;
    };
    if (t.group !== undefined && this.groups.has(t.group)) return take(t.group);
    const held = new Set(this.threads.filter((o) => o !== t && o.busy).map((o) => o.group));
    for (const g of this.groups.keys()) if (!held.has(g)) return take(g);
    const first = this.groups.keys().next();
    return first.done ? undefined : take(first.value);
  }

  private pump(): void {
    for (const t of this.threads) {
      if (t.busy) continue;
      const job = this.next(t);
      if (!job) return;
      t.busy = true;
      t.pool.run(job).then(
        (out: JobOutput) => this.finish(t, { kind: 'done', ...out }),
        (e: unknown) => this.finish(t, { kind: 'failed', id: job.id, error: message(e) }),
      );
    }
  }

  private finish(t: (typeof this.threads)[number], event: JobEvent): void {
    t.busy = false;
    this.channel.push(event);
    this.pump();
  }

  events(): AsyncIterable<JobEvent> {
    return this.channel.drain();
  }

  workers(): number {
    return this.threads.reduce((n, t) => n + t.pool.threads.length, 0);
  }

  async close(): Promise<void> {
    this.groups.clear();
    await Promise.all(this.threads.map((t) => t.pool.destroy()));
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
