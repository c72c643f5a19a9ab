import type { Queue } from 'bullmq';
import { closeQueue, openQueue, serverInfo } from './connection.js';
import { queueName, queuePrefix } from './protocol.js';
import type { RedisTarget } from './url.js';

/** `paratransfer queue status|drain|clean`: operating the sweep queue (docs/distributed.md). */

export const countedStates = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'completed', 'failed'] as const;
export type CountedState = (typeof countedStates)[number];

export interface WorkerInfo {
  /** host.pid.cN (N: concurrency) */
  name: string;
  addr: string;
  /** seconds connected */
  age: number;
}

export interface QueueStatus {
  queue: string;
  url: string;
  redis: { version: string; maxmemoryPolicy: string; aof: boolean | null };
  counts: Record<CountedState, number>;
  /** null: this Redis user may not list clients */
  workers: WorkerInfo[] | null;
  /** the most recent failures (newest first) */
  failures: { job: string; reason: string }[];
}

/**
 * The `paratransfer worker` processes serving this queue: BullMQ names each worker's connection; CLIENT LIST spans
 * every database of the server, so only those on the target's database count. Throws when CLIENT LIST is not allowed.
 */
export async function liveWorkers(q: Queue, db: number): Promise<WorkerInfo[]> {
  const marker = `${queuePrefix}:${Buffer.from(queueName).toString('base64')}:w:`;
  return (await q.getWorkers())
    .filter((c) => String(c.db ?? db) === String(db))
    .map((c) => ({ name: String(c.rawname ?? c.name ?? '').replace(marker, ''), addr: String(c.addr ?? ''), age: Number(c.age ?? 0) }));
}

async function withQueue<T>(target: RedisTarget, fn: (q: Queue) => Promise<T>): Promise<T> {
  const queue = await openQueue(target);
  try {
    return await fn(queue);
  } finally {
    await closeQueue(queue);
  }
}

export function queueStatus(target: RedisTarget): Promise<QueueStatus> {
  return withQueue(target, async (q) => {
    const info = await serverInfo(q);
    const raw = await q.getJobCounts(...countedStates);
    const counts = Object.fromEntries(countedStates.map((s) => [s, raw[s] ?? 0])) as Record<CountedState, number>;
    let workers: WorkerInfo[] | null;
    try {
      workers = await liveWorkers(q, target.db);
    } catch {
      workers = null;
    }
    const failed = await q.getJobs(['failed'], 0, 4);
    return {
      queue: `${queuePrefix}:${queueName}`,
      url: target.display,
      redis: {
        version: info.redis_version ?? '?',
        maxmemoryPolicy: info.maxmemory_policy ?? '?',
        aof: info.aof_enabled === undefined ? null : info.aof_enabled === '1',
      },
      counts,
      workers,
      failures: failed.map((j) => ({ job: j.id ?? '?', reason: j.failedReason })),
    };
  });
}

/** Remove every job waiting to run (and delayed retries); running jobs finish. Returns how many were removed. */
export function drainQueue(target: RedisTarget): Promise<number> {
  return withQueue(target, async (q) => {
    const before = await q.getJobCounts('waiting', 'delayed', 'prioritized', 'paused');
    await q.drain(true);
    const after = await q.getJobCounts('waiting', 'delayed', 'prioritized', 'paused');
    const sum = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    return Math.max(0, sum(before) - sum(after));
  });
}

/** Remove the records of completed and failed jobs. Returns how many of each were removed. */
export function cleanQueue(target: RedisTarget): Promise<{ completed: number; failed: number }> {
  return withQueue(target, async (q) => ({
    completed: (await q.clean(0, 0, 'completed')).length,
    failed: (await q.clean(0, 0, 'failed')).length,
  }));
}

export function formatStatus(s: QueueStatus): string {
  const lines = [`queue ${s.queue} on ${s.url} (Redis ${s.redis.version}, maxmemory-policy ${s.redis.maxmemoryPolicy})`];
  const notes: Partial<Record<CountedState, string>> = {
    completed: 'results a sweep has not collected yet',
    failed: 'kept until a rerun of their sweep retries them, or `queue clean`',
  };
  for (const state of countedStates) {
    lines.push(`  ${state.padEnd(12)}${String(s.counts[state]).padStart(7)}${notes[state] && s.counts[state] ? `   ${notes[state]}` : ''}`);
  }
  if (s.workers === null) lines.push('  workers          ?   (this Redis user may not run CLIENT LIST)');
  else {
    lines.push(`  workers     ${String(s.workers.length).padStart(7)}`);
    for (const w of s.workers) lines.push(`    ${w.name}  ${w.addr}  connected ${w.age} s`);
  }
  if (s.redis.maxmemoryPolicy !== 'noeviction' && s.redis.maxmemoryPolicy !== '?') {
    lines.push(`warning: maxmemory-policy is ${s.redis.maxmemoryPolicy}; set noeviction, or Redis may evict queued jobs`);
  }
  if (s.failures.length) {
    lines.push('recent failures:');
    for (const f of s.failures) lines.push(`  ${f.job}: ${f.reason}`);
  }
  return lines.join('\n') + '\n';
}
