import { Job, type Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { version } from '../../../src/version.js';
import { closeQueue, openQueue } from '../../../src/sweep/distributed/connection.js';
import { bullId, jobName, jobOptions } from '../../../src/sweep/distributed/protocol.js';
import { parseQueueUrl } from '../../../src/sweep/distributed/url.js';
import { expandJobs } from '../../../src/sweep/grid.js';
import { runJob } from '../../../src/sweep/job.js';
import { parseSweepSpec } from '../../../src/sweep/spec.js';
import { binPath, repoRoot } from '../../helpers/cli.js';
import { skipRedis, spawnCli, startRedis, type CliProcess, type RedisServer } from '../../helpers/redis.js';

/**
 * `paratransfer worker` against jobs put straight into Redis: payload validation (a malformed job fails at once
 * with its reason), version checks, results bit-identical to runJob, lock renewal while a thread computes, and
 * the two ways of stopping (finish, hand back).
 */
const { jobs } = expandJobs(
  parseSweepSpec(`set: { d: 60, n1: 20, n2: 10, nTest: 60, m: 4, steps: 20 }
grid: { alpha: [0, 0.5, 1] }
seeds: 2
`),
);
const payload = (i: number) => ({ id: jobs[i].id, engine: 'dense', config: jobs[i].config });

let redis: RedisServer;
let queue: Queue;
const procs: CliProcess[] = [];

const worker = (extra: string[], env: Record<string, string> = {}) => {
  const p = spawnCli(binPath, ['worker', '--queue', redis.url, '--concurrency', '1', ...extra], env, repoRoot);
  procs.push(p);
  return p;
};

async function finished(id: string, ms = 20_000): Promise<Job> {
  const deadline = Date.now() + ms;
  for (;;) {
    const state = await queue.getJobState(id);
    if (state === 'completed' || state === 'failed') return (await Job.fromId(queue, id))!;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${state}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  redis = await startRedis();
  queue = await openQueue(parseQueueUrl(redis.url));
});

afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await queue?.obliterate({ force: true });
});

afterAll(async () => {
  if (queue) await closeQueue(queue);
  await redis?.stop();
});

describe.skipIf(skipRedis)('paratransfer worker', () => {
  it('fails a malformed or foreign job at once with its reason, and runs a good one bit-identically to runJob', async () => {
    const name = jobName(version);
    const bad = [
      { jobId: 'run-zz', name, data: { id: 'zz', engine: 'dense', config: {} }, reason: 'job payload: field "id": must be 16 hex digits' },
      {
        jobId: bullId(jobs[0].id),
        name,
        data: { ...payload(0), config: { ...jobs[0].config, alpha: 2 } },
        reason: `job ${jobs[0].id}: synthetic config: field "alpha": must be a number in [0, 1] (got 2)`,
      },
      {
        jobId: bullId(jobs[1].id),
        name,
        data: { ...payload(1), config: { ...jobs[1].config, seed: 99 } },
        reason: `job ${jobs[1].id}: id does not match its config (expected `,
      },
      { jobId: bullId(jobs[2].id), name, data: payload(3), reason: `job ${bullId(jobs[2].id)}: its payload is job ${jobs[3].id}` },
      { jobId: bullId(jobs[4].id), name, data: { ...payload(4), engine: 'warp' }, reason: 'unknown engine "warp"' },
      { jobId: 'run-extra', name, data: { ...payload(4), rm: 'rf' }, reason: 'job payload: field "(root)"' },
      {
        jobId: bullId(jobs[5].id),
        name: 'paratransfer@0.0.0-other',
        data: payload(5),
        reason: `job enqueued by paratransfer 0.0.0-other cannot run on a worker of version ${version}; run one version everywhere`,
      },
      { jobId: 'run-foreign', name: 'send-email', data: payload(5), reason: 'not a paratransfer sweep job (name "send-email")' },
    ];
    for (const b of bad) await queue.add(b.name, b.data, { ...jobOptions, jobId: b.jobId });

    const w = worker([]);
    for (const b of bad) {
      const job = await finished(b.jobId);
      expect(await job.getState(), b.jobId).toBe('failed');
      expect(job.failedReason, b.jobId).toContain(b.reason);
      expect(job.attemptsMade, `${b.jobId} is not retried`).toBe(1);
      expect(job.failedReason.split('\n')).toHaveLength(1);
    }

    // Still serving: a good job runs, and its result is runJob's to the byte.
    const id = bullId(jobs[3].id);
    await queue.add(name, payload(3), { ...jobOptions, jobId: id });
    const ok = await finished(id);
    expect(await ok.getState()).toBe('completed');
    expect(ok.returnvalue.id).toBe(jobs[3].id);
    expect(ok.returnvalue.result).toBe((await runJob(payload(3))).result);
    await w.waitFor(new RegExp(`${id} done in \\d+\\.\\d\\d s`));
    expect(w.stderr()).toContain(`run-zz failed: job payload: field "id": must be 16 hex digits`);
  });

  it('keeps the lock of a job that computes longer than the lock, and finishes it on SIGTERM', async () => {
    // 1.5 s of blocked thread against a 1 s lock, with another worker checking for stalled jobs every 0.3 s: only
    // lock renewal from the runner's free event loop keeps the job from being taken away.
    const flags = ['--lock-duration', '1000', '--stalled-interval', '300'];
    const drill = { PARATRANSFER_WORKER_DELAY_MS: '1500' };
    const pair = [worker(flags, drill), worker(flags, drill)];
    await Promise.all(pair.map((w) => w.waitFor(/serving/)));
    const id = bullId(jobs[1].id);
    await queue.add(jobName(version), payload(1), { ...jobOptions, jobId: id });
    const started = new RegExp(`${id} started`);
    const runner = await Promise.race(pair.map((w) => w.waitFor(started).then(() => w)));
    const checker = pair.find((w) => w !== runner)!;
    runner.child.kill('SIGTERM');
    await runner.waitFor(/SIGTERM: stopping; finishing 1 running job \(signal again to hand it back\)/);
    expect(await runner.exited).toEqual({ code: 0, signal: null });
    const job = (await Job.fromId(queue, id))!;
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsStarted).toBe(1);
    expect(job.stalledCounter).toBe(0);
    expect(job.returnvalue.result).toBe((await runJob(payload(1))).result);
    expect(runner.stderr()).toMatch(new RegExp(`${id} done in \\d+\\.\\d\\d s\\n.*stopped\\n$`));
    expect(checker.stderr()).not.toMatch(/had stalled|started/);
    checker.child.kill('SIGTERM');
    expect((await checker.exited).code).toBe(0);
  });

  it('hands the running job back to the queue at once on a second signal', async () => {
    const w = worker([], { PARATRANSFER_WORKER_DELAY_MS: '4000' });
    await w.waitFor(/serving/);
    const id = bullId(jobs[2].id);
    await queue.add(jobName(version), payload(2), { ...jobOptions, jobId: id });
    await w.waitFor(new RegExp(`${id} started`));
    const t0 = Date.now();
    w.child.kill('SIGINT');
    await w.waitFor(/SIGINT: stopping; finishing 1 running job/);
    w.child.kill('SIGINT');
    expect(await w.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(3000); // did not wait for the 4 s job
    expect(w.stderr()).toContain(`${id} handed back to the queue`);
    const job = (await Job.fromId(queue, id))!;
    expect(await job.getState()).toBe('waiting'); // at once: no lock expiry to wait for
    // Another worker takes it and completes it.
    const next = worker([]);
    const done = await finished(id);
    expect(await done.getState()).toBe('completed');
    expect(done.returnvalue.result).toBe((await runJob(payload(2))).result);
    next.child.kill('SIGTERM');
    expect((await next.exited).code).toBe(0);
  });
});
