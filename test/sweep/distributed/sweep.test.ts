import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openQueue, closeQueue } from '../../../src/sweep/distributed/connection.js';
import { bullId, jobName } from '../../../src/sweep/distributed/protocol.js';
import { parseQueueUrl } from '../../../src/sweep/distributed/url.js';
import { expandJobs } from '../../../src/sweep/grid.js';
import { parseSweepSpec } from '../../../src/sweep/spec.js';
import { version } from '../../../src/version.js';
import { binPath, repoRoot, runCli } from '../../helpers/cli.js';
import { skipRedis, spawnCli, startRedis, type CliProcess, type RedisServer } from '../../helpers/redis.js';

/**
 * A sweep served by BullMQ on a real redis-server: coordinator + two `paratransfer worker` processes, one killed
 * with kill -9 mid-job, the coordinator killed and rerun; the store must equal a local `--workers 1` run byte for
 * byte after export. Passwords (default user and an ACL user) must never be printed.
 */
const spec = (steps: number) => `name: dist-check
base: positive-transfer
set: { d: 60, n1: 20, n2: 10, nTest: 60, m: 4, steps: ${steps} }
grid:
  alpha: [0, 0.5, 1]
  uNorm: [0.5, 2]
seeds: 3
`;
const total = 18;
/** A tiny real-data sweep: real jobs travel the same queue, with `kind: real` payloads. */
const realSpec = `name: dist-real
base: mnist-split
set: { upstreamClasses: [0, 1], downstreamClasses: [2, 3], n1: 20, n2: 5, nTest: 20, arch: reference, epochs1: 2, epochs2: 3, batchSize: 16, checkpoints: 2 }
grid:
  alpha: [0, 0.5, 1]
seeds: 2
`;
const secret = 'Sw33p-s3cr3t-d3f4ult';
const aliceSecret = 'Al1ce-s3cr3t-acl';
/** the least-privilege ACL docs/distributed.md recommends: only the queue's keys, no dangerous commands */
const leastPrivilege = '~bull:paratransfer:* resetchannels +@all -@dangerous +info +client|setname +client|list +client|getname';
/** short locks so that a killed worker's job is back in the queue within about a second */
const fastLocks = ['--concurrency', '1', '--lock-duration', '1000', '--stalled-interval', '500'];

let redis: RedisServer;
let work: string;
let url: string;
let aliceUrl: string;
const procs: CliProcess[] = [];

function countRows(dir: string): { rows: number; distinct: number } {
  const file = join(dir, 'results.sqlite');
  if (!existsSync(file)) return { rows: 0, distinct: 0 };
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const r = db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT job_id) AS d FROM runs').get() as { n: number; d: number };
    return { rows: r.n, distinct: r.d };
  } catch (e) {
    if (/no such table/.test((e as Error).message)) return { rows: 0, distinct: 0 };
    throw e;
  } finally {
    db.close();
  }
}

async function csv(dir: string): Promise<string> {
  const r = await runCli(['results', '--columns', 'all', dir, '--format', 'csv']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

const worker = (u: string, extra: string[] = [], env: Record<string, string> = {}) => {
  const p = spawnCli(binPath, ['worker', '--queue', u, ...extra], env, repoRoot);
  procs.push(p);
  return p;
};

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function jobCounts() {
  const q = await openQueue(parseQueueUrl(url));
  try {
    return await q.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
  } finally {
    await closeQueue(q);
  }
}

beforeAll(async () => {
  redis = await startRedis({ password: secret, users: [`alice on >${aliceSecret} ${leastPrivilege}`] });
  url = redis.url.replace('//', `//:${secret}@`);
  aliceUrl = redis.url.replace('//', `//alice:${aliceSecret}@`);
  work = mkdtempSync(join(tmpdir(), 'pt-dist-'));
  writeFileSync(join(work, 'spec.yaml'), spec(20));
  writeFileSync(join(work, 'spec21.yaml'), spec(21));
  writeFileSync(join(work, 'real.yaml'), realSpec);
  const r = await runCli(['sweep', join(work, 'spec.yaml'), '--out', join(work, 'local'), '--workers', '1']);
  expect(r.code, r.stderr).toBe(0);
});

// A failed test must not leave workers behind to disturb the next one.
afterEach(() => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
});

afterAll(async () => {
  await redis?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skipRedis)('paratransfer sweep --queue', () => {
  it('survives kill -9 of a worker mid-job and of the coordinator: complete, no duplicates, equal to a local run', async () => {
    const drill = { PARATRANSFER_WORKER_DELAY_MS: '250' };
    const a = worker(url, fastLocks, drill);
    const b = worker(aliceUrl, fastLocks, drill);
    await a.waitFor(/serving redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 with 1 thread/);
    await b.waitFor(/serving redis:\/\/alice:\*\*\*@127\.0\.0\.1:\d+\/0 with 1 thread/);

    const dir = join(work, 'dist');
    const c1 = spawnCli(binPath, ['sweep', join(work, 'spec.yaml'), '--out', dir, '--queue', url], {}, repoRoot);
    procs.push(c1);
    await c1.waitFor(/18 jobs enqueued on redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0; 2 workers connected/);

    // Kill worker A while it computes a job (after it finished one, so it is surely in the swing of it).
    await a.waitFor(/run-[0-9a-f]{16} done/);
    const started = await a.waitFor(/(run-[0-9a-f]{16}) started \(attempt \d+\)\n(?![\s\S]*done)/);
    const victim = started[1];
    a.child.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');
    const q = await openQueue(parseQueueUrl(url));
    try {
      expect(await q.getRanges(['active'], 0, -1)).toContain(victim); // dead worker, lock not yet expired
    } finally {
      await closeQueue(q);
    }

    // Interrupt the coordinator too, mid-sweep.
    await until('8 stored runs', () => countRows(dir).rows >= 8);
    c1.child.kill('SIGKILL');
    await c1.exited;
    const stored = countRows(dir);
    expect(stored.rows).toBeLessThan(total);
    expect(stored.distinct).toBe(stored.rows);

    // The rerun collects what workers finished meanwhile and waits for the rest, incl. the victim's job.
    const c2 = await runCli(['sweep', join(work, 'spec.yaml'), '--out', dir, '--queue', url]);
    expect(c2.code, c2.stderr).toBe(0);
    expect(c2.stdout).toBe(
      `sweep dist-check: ${total} runs in ${join(dir, 'results.sqlite')} (${stored.rows} already done, ${total - stored.rows} run now)\n`,
    );
    expect(countRows(dir)).toEqual({ rows: total, distinct: total });
    expect(await csv(dir)).toBe(await csv(join(work, 'local')));
    // B's stalled-job check put the victim's job back (its lock expired); B ran it.
    await b.waitFor(new RegExp(`${victim} had stalled`));
    expect(b.stderr()).toMatch(new RegExp(`${victim} done`));

    // Everything collected: nothing left behind in Redis.
    expect(await jobCounts()).toEqual({ waiting: 0, paused: 0, active: 0, completed: 0, failed: 0, delayed: 0 });

    b.child.kill('SIGTERM');
    expect(await b.exited).toEqual({ code: 0, signal: null });
    expect(b.stderr()).toMatch(/SIGTERM: stopping; no job running\n.*stopped\n$/);

    for (const text of [a.stderr(), b.stderr(), c1.stdout(), c1.stderr(), c2.stdout, c2.stderr]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(aliceSecret);
    }
  });

  it('re-enqueues idempotently under the deterministic job ids, and resumes after an interrupt', async () => {
    const file = join(work, 'spec21.yaml');
    const dir = join(work, 'idem');
    const c1 = spawnCli(binPath, ['sweep', file, '--out', dir, '--queue', url], {}, repoRoot);
    procs.push(c1);
    await c1.waitFor(/18 jobs enqueued on .*; 0 workers connected/);
    c1.child.kill('SIGINT');
    await c1.exited;
    expect((await jobCounts()).waiting).toBe(total);

    const c2 = spawnCli(binPath, ['sweep', file, '--out', dir, '--queue', url], {}, repoRoot);
    procs.push(c2);
    await c2.waitFor(/0 jobs enqueued on .* \(18 already queued or done\)/);
    const { jobs } = expandJobs(parseSweepSpec(spec(21)));
    const q = await openQueue(parseQueueUrl(url));
    try {
      const queued = await q.getJobs(['waiting'], 0, -1);
      expect(queued.map((j) => j.id).sort()).toEqual(jobs.map((j) => bullId(j.id)).sort());
      const first = queued.find((j) => j.id === bullId(jobs[0].id))!;
      expect(first.name).toBe(jobName(version));
      expect(first.data).toEqual({ id: jobs[0].id, engine: expect.any(String), config: jobs[0].config });
    } finally {
      await closeQueue(q);
    }

    const w = worker(url, ['--concurrency', '2', '--quiet']);
    expect(await c2.exited).toEqual({ code: 0, signal: null });
    expect(c2.stdout()).toContain('(0 already done, 18 run now)');
    expect(countRows(dir)).toEqual({ rows: total, distinct: total });
    w.child.kill('SIGINT');
    expect((await w.exited).code).toBe(0);
    expect(w.stderr()).not.toMatch(/started|done in/); // --quiet
  });

  it('runs real-data jobs through the queue: the store equals a local run', async () => {
    const file = join(work, 'real.yaml');
    const local = await runCli(['sweep', file, '--out', join(work, 'real-local'), '--workers', '1']);
    expect(local.code, local.stderr).toBe(0);
    const w = worker(url, ['--concurrency', '1']);
    await w.waitFor(/serving .* with 1 thread/);
    const dir = join(work, 'real-dist');
    const r = await runCli(['sweep', file, '--out', dir, '--queue', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(0 already done, 6 run now)');
    expect(countRows(dir)).toEqual({ rows: 6, distinct: 6 });
    const exported = await csv(dir);
    expect(exported).toBe(await csv(join(work, 'real-local')));
    expect(exported.split('\n')[0]).toContain('transfer.testAccuracy');
    expect(w.stderr()).toMatch(/run-[0-9a-f]{16} done/);
    w.child.kill('SIGINT');
    expect((await w.exited).code).toBe(0);
  });
});
