import { expandJobs, type SweepJob, type SweepPlan } from './grid.js';
import { jobPayload, reuseKeyOf } from './job.js';
import type { JobQueue } from './queue.js';
import type { SweepStore } from './store.js';

/** A sweep bound to its store. Several sweeps can share one queue (`reproduce`). */
export interface SweepTarget {
  plan: SweepPlan;
  store: SweepStore;
}

export interface SweepProgress {
  /** jobs finished (or failed) in this session */
  done: number;
  /** jobs this session has to run */
  total: number;
  failed: number;
  workers: number;
}

/** What `runSweeps` did: runs in all, already stored, executed now, failed. */
export interface SweepSummary {
  /** (point, seed) runs over all targets */
  runs: number;
  /** already in the store before this session */
  skipped: number;
  /** distinct jobs executed now (a config shared by two sweeps runs once) */
  executed: number;
  failures: { job: SweepJob; error: string }[];
}

export interface RunSweepsOptions {
  engine: string;
  version: string;
  onProgress?: (p: SweepProgress) => void;
}

/**
 * The order jobs are enqueued in: seed-major (all points of seed 0 first), so an interrupted sweep already covers the
 * whole grid; within a seed, jobs that can share work (the same `reuseKey` of their study, e.g. one upstream network)
 * follow each other, in the order their first member appears (targets in order, points in order).
 */
export function jobOrder<T extends { job: SweepJob }>(entries: readonly T[]): T[] {
  const group = new Map<string, number>();
  const keyed = entries.map((e) => {
    const key = reuseKeyOf(e.job.config);
    const g = key === undefined ? undefined : (group.get(key) ?? group.set(key, group.size).get(key)!);
    return { e, g };
  });
  const first = (x: (typeof keyed)[number]) => x.g ?? Infinity;
  return keyed
    .map((x, i) => ({ ...x, i }))
    .sort((a, b) => a.e.job.seed - b.e.job.seed || first(a) - first(b) || (a.g === undefined ? a.e.job.point - b.e.job.point || a.i - b.i : a.i - b.i))
    .map((x) => x.e);
}

/**
 * Run every unfinished (point, seed) job of the targets on `queue` and store each result as it arrives, in
 * `jobOrder`.
 */
export async function runSweeps(targets: SweepTarget[], queue: JobQueue, opts: RunSweepsOptions): Promise<SweepSummary> {
  const pending = new Map<string, { job: SweepJob; stores: SweepStore[] }>();
  let runs = 0;
  let skipped = 0;
  const stored = new Set<string>();
  for (const t of targets) {
    const { jobs } = expandJobs(t.plan);
    const finished = t.store.finishedIds();
    runs += jobs.length;
    for (const job of jobs) {
      if (finished.has(job.id)) {
        skipped++;
        stored.add(job.id);
        continue;
      }
      const entry = pending.get(job.id);
      if (entry) entry.stores.push(t.store);
      else pending.set(job.id, { job, stores: [t.store] });
    }
  }
  // Jobs every store already holds: records of them left in a shared queue are garbage.
  for (const id of pending.keys()) stored.delete(id);
  await queue.forget?.([...stored]);
  const order = jobOrder([...pending.values()]);
  const progress: SweepProgress = { done: 0, total: order.length, failed: 0, workers: queue.workers() };
  const failures: SweepSummary['failures'] = [];
  opts.onProgress?.(progress);
  if (order.length) {
    await queue.enqueue(order.map(({ job }) => jobPayload(job, opts.engine)));
    for await (const ev of queue.events()) {
      const entry = pending.get(ev.id);
      if (!entry) continue;
      if (ev.kind === 'done') {
        for (const store of entry.stores) store.put(entry.job, ev, opts.engine, opts.version);
      } else {
        for (const store of entry.stores) store.fail(entry.job, ev.error, opts.version);
        failures.push({ job: entry.job, error: ev.error });
        progress.failed++;
      }
      progress.done++;
      progress.workers = queue.workers();
      opts.onProgress?.(progress);
    }
  }
  return { runs, skipped, executed: order.length, failures };
}
