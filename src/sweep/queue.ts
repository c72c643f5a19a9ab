import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { reuseKeyOf, runJob, type JobOutput, type JobPayload } from './job.js';

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
  /**
   * These jobs' results are already stored: drop any finished record the queue still holds of them (a coordinator
   * killed between storing a result and removing its record leaves one behind). Queues that keep nothing omit it.
   */
  forget?(ids: readonly string[]): Promise<void>;
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

/** Jobs that can share work (one `reuseKey`), worked through in order by one lane. */
interface Group {
  key?: string;
  jobs: JobPayload[];
}

/** One worker thread of the local pool, and the group it works through. */
interface Lane {
  pool: Piscina;
  busy: boolean;
  group: Group;
}

/**
 * Local worker-thread pool: one single-thread piscina per worker ("lanes"), every job runs `runJob` there. Jobs that
 * can share work (the same `reuseKey`, e.g. one upstream network the thread keeps) form a group that one lane works
 * through in order, so the work is done once per group instead of once per thread. An idle lane takes the next
 * group not yet started, or else the back half of the largest group another lane is still working through.
 */
export class LocalPoolQueue implements JobQueue {
  readonly name = 'local';
  private readonly lanes: Lane[];
  private readonly channel = new EventChannel();
  private readonly seen = new Set<string>();
  /** groups not started yet, in enqueue order (a job without a key is a group of its own) */
  private readonly waiting: Group[] = [];
  /** the groups that still take jobs of their key (waiting, or a lane's current group) */
  private readonly open = new Map<string, Group>();

  constructor(threads = availableParallelism(), workerFile: URL = defaultWorkerFile()) {
    this.lanes = Array.from({ length: Math.max(1, threads) }, () => ({
      pool: new Piscina({ filename: workerFile.href, minThreads: 1, maxThreads: 1, idleTimeout: 60_000 }),
      busy: false,
      group: { jobs: [] },
    }));
  }

  /** Queue jobs; each runs once per queue whatever how often it is enqueued. */
  async enqueue(jobs: readonly JobPayload[]): Promise<void> {
    for (const job of jobs) {
      if (this.seen.has(job.id)) continue;
      this.seen.add(job.id);
      this.channel.remaining++;
      const key = job.config && typeof job.config === 'object' ? safeReuseKey(job.config) : undefined;
      const group = key === undefined ? undefined : this.open.get(key);
      if (group) group.jobs.push(job);
      else {
        const fresh: Group = { key, jobs: [job] };
        this.waiting.push(fresh);
        if (key !== undefined) this.open.set(key, fresh);
      }
    }
    this.dispatch();
  }

  /** Give every idle lane its next job. */
  private dispatch(): void {
    for (const lane of this.lanes) {
      if (lane.busy) continue;
      if (!lane.group.jobs.length) {
        // a group worked through takes no more jobs: a later job of its key starts a new group
        if (lane.group.key !== undefined && this.open.get(lane.group.key) === lane.group) this.open.delete(lane.group.key);
        lane.group = this.waiting.shift() ?? this.steal();
      }
      const job = lane.group.jobs.shift();
      if (!job) continue;
      lane.busy = true;
      lane.pool.run(job).then(
        (out: JobOutput) => this.finish(lane, { kind: 'done', ...out }),
        (e: unknown) => this.finish(lane, { kind: 'failed', id: job.id, error: message(e) }),
      );
    }
  }

  private finish(lane: Lane, event: JobEvent): void {
    lane.busy = false;
    this.channel.push(event);
    this.dispatch();
  }

  /** The back half of the largest group another lane still has queued (nothing when every group is down to one job). */
  private steal(): Group {
    const from = this.lanes.reduce<Lane | undefined>((a, l) => (l.group.jobs.length > (a?.group.jobs.length ?? 1) ? l : a), undefined);
    return { jobs: from ? from.group.jobs.splice(Math.ceil(from.group.jobs.length / 2)) : [] };
  }

  events(): AsyncIterable<JobEvent> {
    return this.channel.drain();
  }

  workers(): number {
    return this.lanes.length;
  }

  async close(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.pool.destroy()));
  }
}

/** A payload's reuse key; a config that belongs to no study (refused later by the worker) has none. */
function safeReuseKey(config: object): string | undefined {
  try {
    return reuseKeyOf(config as Record<string, unknown>);
  } catch {
    return undefined;
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
