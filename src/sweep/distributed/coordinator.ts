import { Job, type Queue } from 'bullmq';
import { z } from 'zod';
import { studyNamed } from '../../study/registry.js';
import { UserError } from '../../util/errors.js';
import type { JobOutput, JobPayload } from '../job.js';
import type { JobEvent, JobQueue } from '../queue.js';
import { liveWorkers } from './admin.js';
import { closeQueue, describeRedisError, openQueue } from './connection.js';
import { allStates, bullId, jobName, jobOptions, sweepId } from './protocol.js';
import type { RedisTarget } from './url.js';

export interface RedisQueueOptions {
  /** package version: written into every job so that workers of another version refuse it */
  version: string;
  /** how often finished jobs are collected (ms) */
  pollMs?: number;
  /** how often the coordinator checks that none of its jobs vanished from Redis, and re-enqueues those that did (ms) */
  reconcileMs?: number;
  /** give up (one-line error; rerun to resume) when Redis stays unreachable this long (ms) */
  outageMs?: number;
  /** one-line notes for the user (already redacted) */
  onNote?: (text: string) => void;
}

export function checkOutput(value: unknown, id: string, kind: unknown): JobOutput {
  const out = z.object({ id: z.literal(id), result: z.string(), seconds: z.number().nonnegative() }).safeParse(value);
  if (!out.success) throw new Error(`worker returned a malformed result for job ${id}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.data.result);
  } catch {
    throw new Error(`worker returned a result for job ${id} that is not JSON`);
  }
  // It comes from another machine: the study's own result schema checks it before it reaches the store.
  const study = studyNamed(typeof kind === 'string' ? kind : undefined, `job ${id}`);
  if (!study.resultSchema.safeParse(parsed).success) throw new Error(`worker returned a result for job ${id} without its measures`);
  return { id, result: out.data.result, seconds: out.data.seconds };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/**
 * The coordinator's side of a distributed sweep: jobs go to Redis (BullMQ), `paratransfer worker` processes run
 * them anywhere, and their results come back through Redis. The coordinator stays the only writer of the store:
 * it collects each finished job, yields it to `runSweeps` (which commits it), and only then removes the job's
 * record from Redis. A crash at any point therefore loses nothing: an uncollected result stays in Redis for the
 * next run, and a result collected twice is a no-op in the store.
 */
export class RedisQueue implements JobQueue {
  readonly name = 'redis';
  /** BullMQ id → payload, for jobs enqueued by this session that have not reported yet */
  private readonly pending = new Map<string, JobPayload>();
  /** jobs whose outcome has been consumed (stored): their Redis records are removed at the next poll */
  private readonly consumed: string[] = [];
  private liveWorkers = 0;
  private lastError: unknown;

  private constructor(
    private readonly queue: Queue,
    private readonly target: RedisTarget,
    private readonly opts: RedisQueueOptions,
  ) {
    queue.on('error', (e) => (this.lastError = e));
  }

  /** Connect (or fail within seconds with a one-line, redacted error). */
  static async open(target: RedisTarget, opts: RedisQueueOptions): Promise<RedisQueue> {
    const queue = await openQueue(target, { reconnect: true });
    const q = new RedisQueue(queue, target, opts);
    await q.countWorkers();
    return q;
  }

  private note(text: string): void {
    this.opts.onNote?.(text);
  }

  async enqueue(jobs: readonly JobPayload[]): Promise<void> {
    const fresh = jobs.filter((j) => !this.pending.has(bullId(j.id)));
    for (const j of fresh) this.pending.set(bullId(j.id), j);
    const present = new Set(await this.queue.getRanges(allStates, 0, -1));
    // A failure left by an earlier session is retried: rerunning a sweep retries its failed jobs.
    const failed = new Set(await this.queue.getRanges(['failed'], 0, -1));
    const retry = fresh.filter((j) => failed.has(bullId(j.id)));
    await this.removeAll(retry.map((j) => bullId(j.id)));
    // Jobs of another version (an older coordinator's) are replaced, unless running: those are caught on collection.
    const there = fresh.filter((j) => present.has(bullId(j.id)) && !failed.has(bullId(j.id)));
    const replaced = await this.replaceForeign(there.map((j) => bullId(j.id)));
    const add = fresh.filter((j) => !present.has(bullId(j.id)) || failed.has(bullId(j.id)));
    await this.add(add);
    const queued = fresh.length - add.length - replaced;
    this.note(
      `${add.length + replaced} job${add.length + replaced === 1 ? '' : 's'} enqueued on ${this.target.display}` +
        `${queued ? ` (${queued} already queued or done)` : ''}; ${this.liveWorkers} worker${this.liveWorkers === 1 ? '' : 's'} ` +
        'connected (start more with `paratransfer worker --queue URL`)',
    );
  }

  /** Remove the finished records (completed or failed) of jobs whose results the store already holds. */
  async forget(ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    const finished = new Set(await this.queue.getRanges(['completed', 'failed'], 0, -1));
    const stale = ids.map(bullId).filter((id) => finished.has(id) && !this.pending.has(id));
    const removed = await this.removeAll(stale);
    if (removed.length) this.note(`removed ${removed.length} finished job record${removed.length === 1 ? '' : 's'} whose results were already stored`);
  }

  /** Remove jobs whose record names another version and enqueue them afresh; returns how many were replaced. */
  private async replaceForeign(ids: string[]): Promise<number> {
    const client = await this.queue.client;
    const name = jobName(this.opts.version);
    const foreign: string[] = [];
    for (const group of chunks(ids, 500)) {
      const names = await Promise.all(group.map((id) => client.hget(this.queue.toKey(id), 'name')));
      group.forEach((id, i) => names[i] !== null && names[i] !== name && foreign.push(id));
    }
    const removed = await this.removeAll(foreign);
    await this.add(removed.map((id) => this.pending.get(id)!));
    return removed.length;
  }

  /** Remove job records (a running one is locked and stays); returns the ids removed. */
  private async removeAll(ids: string[]): Promise<string[]> {
    const removed: string[] = [];
    for (const group of chunks(ids, 200)) {
      const codes = await Promise.all(group.map((id) => this.queue.remove(id)));
      group.forEach((id, i) => codes[i] === 1 && removed.push(id));
    }
    return removed;
  }

  private async add(jobs: readonly JobPayload[]): Promise<void> {
    const name = jobName(this.opts.version);
    for (const group of chunks([...jobs], 500)) {
      await this.queue.addBulk(group.map((data) => ({ name, data, opts: { ...jobOptions, jobId: bullId(data.id) } })));
    }
  }

  async *events(): AsyncGenerator<JobEvent> {
    const pollMs = this.opts.pollMs ?? 250;
    const reconcileMs = this.opts.reconcileMs ?? 10_000;
    const outageMs = this.opts.outageMs ?? 120_000;
    let lastReconcile = Date.now();
    let lastCount = 0;
    let downSince: number | undefined;
    while (this.pending.size) {
      let found: { id: string; event: JobEvent }[] = [];
      try {
        await this.flushConsumed();
        found = await this.collect();
        const now = Date.now();
        if (now - lastCount >= 1000) {
          await this.countWorkers();
          lastCount = now;
        }
        if (now - lastReconcile >= reconcileMs) {
          await this.reconcile();
          lastReconcile = Date.now();
        }
        downSince = undefined;
      } catch (e) {
        if (e instanceof UserError) throw e;
        downSince ??= Date.now();
        if (Date.now() - downSince > outageMs) {
          throw new UserError(
            `lost Redis at ${this.target.display} for ${Math.round(outageMs / 1000)} s ` +
              `(${describeRedisError(this.lastError ?? e, this.target)}); the jobs stay queued: rerun the same command to resume`,
          );
        }
      }
      for (const { id, event } of found) {
        this.pending.delete(id);
        yield event;
        // The consumer has stored the outcome when it asks for the next one: now the record may go.
        this.consumed.push(id);
      }
      if (!found.length) await sleep(pollMs);
    }
    await this.flushConsumed().catch(() => {});
  }

  /** Outcomes of this session's jobs that finished since the last poll. */
  private async collect(): Promise<{ id: string; event: JobEvent }[]> {
    const [completed, failed] = await Promise.all([
      this.queue.getRanges(['completed'], 0, -1),
      this.queue.getRanges(['failed'], 0, -1),
    ]);
    const mine = [...completed.map((id) => ({ id, ok: true })), ...failed.map((id) => ({ id, ok: false }))].filter((x) =>
      this.pending.has(x.id),
    );
    const out: { id: string; event: JobEvent }[] = [];
    const foreign: string[] = [];
    for (const group of chunks(mine, 100)) {
      const jobs = await Promise.all(group.map((x) => Job.fromId(this.queue, x.id)));
      group.forEach((x, i) => {
        const job = jobs[i];
        if (!job) return; // removed in between: the reconciliation re-enqueues it
        if (job.name !== jobName(this.opts.version)) {
          foreign.push(x.id); // enqueued (and run) by another version: its outcome is not this version's
          return;
        }
        const id = sweepId(x.id);
        if (!x.ok) {
          out.push({ id: x.id, event: { kind: 'failed', id, error: job.failedReason || 'failed without a reason' } });
          return;
        }
        try {
          const kind = (job.data as { kind?: unknown } | undefined)?.kind;
          out.push({ id: x.id, event: { kind: 'done', ...checkOutput(job.returnvalue, id, kind) } });
        } catch (e) {
          out.push({ id: x.id, event: { kind: 'failed', id, error: (e as Error).message } });
        }
      });
    }
    if (foreign.length) {
      const removed = await this.removeAll(foreign);
      await this.add(removed.map((id) => this.pending.get(id)!));
      this.note(`re-enqueued ${removed.length} job${removed.length === 1 ? '' : 's'} that another paratransfer version had run`);
    }
    return out;
  }

  /** Re-enqueue this session's jobs that are in no state at all (drained, cleaned, or lost by a Redis restart). */
  private async reconcile(): Promise<void> {
    const present = new Set(await this.queue.getRanges(allStates, 0, -1));
    const missing = [...this.pending].filter(([id]) => !present.has(id)).map(([, job]) => job);
    if (!missing.length) return;
    await this.add(missing);
    this.note(`re-enqueued ${missing.length} job${missing.length === 1 ? '' : 's'} that had vanished from Redis`);
  }

  private async flushConsumed(): Promise<void> {
    const ids = this.consumed.splice(0);
    try {
      await this.removeAll(ids);
    } catch (e) {
      this.consumed.unshift(...ids); // Redis away: try again at the next poll
      throw e;
    }
  }

  private async countWorkers(): Promise<void> {
    try {
      this.liveWorkers = (await liveWorkers(this.queue, this.target.db)).length;
    } catch {
      this.liveWorkers = -1; // CLIENT LIST not allowed for this user: unknown
    }
  }

  /** Live `paratransfer worker` processes on this queue (-1: Redis does not tell). */
  workers(): number {
    return this.liveWorkers;
  }

  /** Disconnect. Unfinished jobs stay queued (workers go on); the next run collects them. */
  async close(): Promise<void> {
    await this.flushConsumed().catch(() => {});
    await closeQueue(this.queue);
  }
}
