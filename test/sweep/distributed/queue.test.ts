import { spawnSync } from 'node:child_process';
import { Job, Worker } from 'bullmq';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { version } from '../../../src/version.js';
import { checkOutput, RedisQueue } from '../../../src/sweep/distributed/coordinator.js';
import { closeQueue, openQueue, redisOptions } from '../../../src/sweep/distributed/connection.js';
import { bullId, jobName, jobOptions, queueName, queuePrefix } from '../../../src/sweep/distributed/protocol.js';
import { parseQueueUrl, redact } from '../../../src/sweep/distributed/url.js';
import { expandJobs } from '../../../src/sweep/grid.js';
import { runJob } from '../../../src/sweep/job.js';
import type { JobEvent } from '../../../src/sweep/queue.js';
import { parseSweepSpec } from '../../../src/sweep/spec.js';
import { UserError } from '../../../src/util/errors.js';
import { binPath, repoRoot, runCli } from '../../helpers/cli.js';
import { freePort, skipRedis, spawnCli, startRedis, type CliProcess, type RedisServer } from '../../helpers/redis.js';

/** Queue URLs and their redaction, unreachable servers, `paratransfer queue status|drain|clean`, TLS, reconciliation. */

const specText = `set: { d: 60, n1: 20, n2: 10, nTest: 60, m: 4, steps: 20 }
grid: { alpha: [0, 0.5, 1] }
seeds: 2
`;
const { jobs } = expandJobs(parseSweepSpec(specText));
const payload = (i: number) => ({ id: jobs[i].id, engine: 'dense', config: jobs[i].config });

describe('results coming back from workers', () => {
  const id = '0123456789abcdef';
  const out = (result: unknown) => ({ id, result: JSON.stringify(result), seconds: 0.5 });
  const phases = (phase: Record<string, unknown>) => Object.fromEntries(['upstream', 'transfer', 'scratch'].map((p) => [p, phase]));
  // The least each study's result schema accepts.
  const synthetic = { config: {}, engine: 'dense', ...phases({ testError: 0.25, testErrorNoisy: 0.25, trainLoss: 0.1, stepsRun: 3, checkpoints: [] }), gain: 0.1 };
  const real = { config: {}, architecture: { parameters: 10 }, ...phases({ testAccuracy: 0.75, testLoss: 0.5, trainAccuracy: 0.9, curve: [] }), gain: 0.1 };

  it('accept each study’s measures and refuse the other’s, malformed outputs and foreign ids', () => {
    expect(checkOutput(out(synthetic), id, undefined).seconds).toBe(0.5);
    expect(checkOutput(out(synthetic), id, 'synthetic').seconds).toBe(0.5);
    expect(checkOutput(out(real), id, 'real').id).toBe(id);
    expect(() => checkOutput(out(synthetic), id, 'real')).toThrow(/without its measures/);
    expect(() => checkOutput(out(real), id, 'synthetic')).toThrow(/without its measures/);
    expect(() => checkOutput(out({ ...synthetic, gain: 'big' }), id, undefined)).toThrow(/without its measures/);
    expect(() => checkOutput({ id, result: '{', seconds: 1 }, id, undefined)).toThrow(/not JSON/);
    expect(() => checkOutput(out({}), 'fedcba9876543210', undefined)).toThrow(/malformed result for job fedcba9876543210/);
  });
});

describe('queue URLs', () => {
  it('parses redis:// and rediss:// with user, password and database, and shows them redacted', () => {
    expect(parseQueueUrl('redis://h')).toMatchObject({ tls: false, host: 'h', port: 6379, db: 0, display: 'redis://h:6379/0' });
    const t = parseQueueUrl('rediss://alice:p%40ss%2Fw0rd@example.org:6380/3');
    expect(t).toMatchObject({ tls: true, host: 'example.org', port: 6380, db: 3, username: 'alice', password: 'p@ss/w0rd' });
    expect(t.display).toBe('rediss://alice:***@example.org:6380/3');
    expect(parseQueueUrl('redis://:pw@[::1]:7000')).toMatchObject({ host: '::1', display: 'redis://:***@[::1]:7000/0' });
    // Every spelling of the password is scrubbed, and the URL as typed becomes the display form.
    const msg = redact('x rediss://alice:p%40ss%2Fw0rd@example.org:6380/3 y p@ss/w0rd z p%40ss%2Fw0rd', t);
    expect(msg).toBe('x rediss://alice:***@example.org:6380/3 y *** z ***');
    // The password may come from the environment instead of the command line.
    const e = parseQueueUrl('redis://bob@h:1/2', { PARATRANSFER_REDIS_PASSWORD: 'envpw' });
    expect(e).toMatchObject({ username: 'bob', password: 'envpw', display: 'redis://bob@h:1/2' });
    expect(redact('auth envpw failed', e)).toBe('auth *** failed');
  });

  it('rejects other URLs in one line, without echoing a password', () => {
    const bad: [string, string][] = [
      ['http://h:1', 'unsupported scheme "http:"'],
      ['redis://:secret@h:1/abc', 'the path must be a database number, not "/abc"'],
      ['redis://h:1/0?tls=1', 'no query or fragment is allowed'],
      ['redis://h:0', 'the port must be in [1, 65535]'],
      ['nonsense :secret@', 'not a URL'],
    ];
    for (const [url, why] of bad) {
      let err: unknown;
      try {
        parseQueueUrl(url);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      const m = (err as Error).message;
      expect(m).toContain(`--queue: ${why}`);
      expect(m).not.toContain('secret');
      expect(m.split('\n')).toHaveLength(1);
    }
  });
});

describe('unreachable Redis', () => {
  it('fails every command within seconds with one redacted line, and leaves no output behind', async () => {
    const port = await freePort(); // nothing listens here
    const url = `redis://:Unre4chable-pw@127.0.0.1:${port}/1`;
    const shown = `redis://:***@127.0.0.1:${port}/1`;
    const work = mkdtempSync(join(tmpdir(), 'pt-unreach-'));
    try {
      writeFileSync(join(work, 'spec.yaml'), specText);
      const runs = [
        ['queue', 'status', '--queue', url],
        ['queue', 'drain', '--queue', url],
        ['queue', 'clean', '--queue', url],
        ['worker', '--queue', url],
        ['sweep', join(work, 'spec.yaml'), '--out', join(work, 'out'), '--queue', url],
      ];
      for (const args of runs) {
        const t0 = Date.now();
        const r = await runCli(args, { timeoutMs: 20_000 });
        expect(Date.now() - t0, args.join(' ')).toBeLessThan(15_000);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr).toBe(`paratransfer: error: cannot reach Redis at ${shown}: connection refused\n`);
        expect(r.stdout).toBe('');
      }
      expect(existsSync(join(work, 'out'))).toBe(false);
      const bad = await runCli(['queue', 'status', '--queue', 'redis://:pw@127.0.0.1:1/x']);
      expect(bad.stderr).toBe(
        'paratransfer: error: --queue: the path must be a database number, not "/x" (got "redis://***@127.0.0.1:1/x"); ' +
          'must be redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or rediss://… (TLS)\n',
      );
      const both = await runCli(['sweep', join(work, 'spec.yaml'), '--out', join(work, 'out'), '--queue', url, '--workers', '2']);
      expect(both.stderr).toMatch(/--workers and --queue exclude each other/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe.skipIf(skipRedis)('paratransfer queue status|drain|clean', () => {
  const password = 'Adm1n-queue-pw';
  let redis: RedisServer;
  let url: string;
  let worker: CliProcess | undefined;

  beforeAll(async () => {
    redis = await startRedis({ password });
    url = redis.url.replace('//', `//:${password}@`);
  });
  afterEach(async () => {
    if (worker && worker.child.exitCode === null) worker.child.kill('SIGKILL');
    const q = await openQueue(parseQueueUrl(url));
    await q.obliterate({ force: true });
    await closeQueue(q);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('reports a wrong or missing password in one redacted line', async () => {
    const wrong = await runCli(['queue', 'status', '--queue', redis.url.replace('//', '//:Wr0ng-pw@')]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      `paratransfer: error: cannot reach Redis at redis://:***@127.0.0.1:${redis.port}/0: authentication failed (bad user name or password)\n`,
    );
    const none = await runCli(['queue', 'status', '--queue', redis.url]);
    expect(none.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/0: the server requires a password \(give USER:PASSWORD@ in the URL, or set PARATRANSFER_REDIS_PASSWORD\)\n$/);
    const env = await runCli(['queue', 'status', '--queue', redis.url], { env: { PARATRANSFER_REDIS_PASSWORD: password } });
    expect(env.code, env.stderr).toBe(0);
  });

  it('counts jobs per state, lists live workers and recent failures, drains waiting jobs and cleans finished ones', async () => {
    const q = await openQueue(parseQueueUrl(url));
    try {
      const name = jobName(version);
      await q.add(name, payload(0), { ...jobOptions, jobId: bullId(jobs[0].id) });
      await q.add(name, { broken: true }, { ...jobOptions, jobId: 'run-broken' });
      worker = spawnCli(binPath, ['worker', '--queue', url, '--concurrency', '2'], {}, repoRoot);
      await worker.waitFor(/run-broken failed/);
      await worker.waitFor(new RegExp(`${bullId(jobs[0].id)} done`));
      for (const i of [1, 2, 3]) await q.add(name, payload(i), { ...jobOptions, jobId: bullId(jobs[i].id), delay: 60_000 });
      await q.pause(); // keep the worker from taking what follows
      for (const i of [4, 5]) await q.add(name, payload(i), { ...jobOptions, jobId: bullId(jobs[i].id) });

      const st = await runCli(['queue', 'status', '--queue', url, '--json']);
      expect(st.code, st.stderr).toBe(0);
      const s = JSON.parse(st.stdout);
      expect(s.url).toBe(`redis://:***@127.0.0.1:${redis.port}/0`);
      expect(s.redis).toEqual({ version: expect.stringMatching(/^\d+\.\d+/), maxmemoryPolicy: 'noeviction', aof: false });
      expect(s.counts).toMatchObject({ active: 0, completed: 1, failed: 1, delayed: 3 });
      expect(s.counts.waiting + s.counts.paused).toBe(2);
      const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-');
      expect(s.workers).toEqual([{ name: `${host}.${worker.child.pid}.c2`, addr: expect.stringMatching(/^127\.0\.0\.1:\d+$/), age: expect.any(Number) }]);
      expect(s.failures).toEqual([{ job: 'run-broken', reason: expect.stringMatching(/^job payload: field "id": /) }]);
      // Another database of the same server is another queue: no jobs, no workers there.
      const other = JSON.parse((await runCli(['queue', 'status', '--queue', `${url}/1`, '--json'])).stdout);
      expect(other.workers).toEqual([]);
      expect(other.counts.delayed).toBe(0);
      const text = await runCli(['queue', 'status', '--queue', url]);
      expect(text.stdout).toMatch(new RegExp(`^queue bull:paratransfer on redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}/0 \\(Redis `));
      expect(text.stdout).toMatch(/\n {2}failed {12}1 {3}kept until a rerun of their sweep retries them, or `queue clean`\n/);
      expect(text.stdout).toContain(`\n  workers           1\n    ${host}.${worker.child.pid}.c2  127.0.0.1:`);
      expect(text.stdout).toContain('\nrecent failures:\n  run-broken: job payload: field "id": ');

      const drain = await runCli(['queue', 'drain', '--queue', url]);
      expect(drain.stdout).toBe(`removed 5 waiting jobs from redis://:***@127.0.0.1:${redis.port}/0\n`);
      const clean = await runCli(['queue', 'clean', '--queue', url]);
      expect(clean.stdout).toBe(`removed 1 completed and 1 failed job records from redis://:***@127.0.0.1:${redis.port}/0\n`);
      const after = JSON.parse((await runCli(['queue', 'status', '--queue', url, '--json'])).stdout);
      expect(after.counts).toEqual({ waiting: 0, active: 0, delayed: 0, prioritized: 0, paused: 0, completed: 0, failed: 0 });
      for (const r of [st, text, drain, clean]) expect(r.stdout + r.stderr).not.toContain(password);
      await q.resume();
    } finally {
      await closeQueue(q);
    }
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    expect(worker.stderr()).not.toContain(password);
  });

  it('re-enqueues jobs that vanish from Redis while the coordinator waits, and collects their results', async () => {
    const target = parseQueueUrl(url);
    const notes: string[] = [];
    const rq = await RedisQueue.open(target, { version, pollMs: 20, reconcileMs: 200, onNote: (t) => notes.push(t) });
    try {
      await rq.enqueue([payload(0), payload(1)]);
      expect(notes[0]).toBe(`2 jobs enqueued on redis://:***@127.0.0.1:${redis.port}/0; 0 workers connected (start more with \`paratransfer worker --queue URL\`)`);
      const events: JobEvent[] = [];
      const collecting = (async () => {
        for await (const e of rq.events()) events.push(e);
      })();
      const drained = await runCli(['queue', 'drain', '--queue', url]); // an operator's mistake, or a Redis restart
      expect(drained.stdout).toMatch(/^removed 2 waiting jobs/);
      const deadline = Date.now() + 10_000;
      while (!notes.some((n) => n === 're-enqueued 2 jobs that had vanished from Redis') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(notes).toContain('re-enqueued 2 jobs that had vanished from Redis');
      worker = spawnCli(binPath, ['worker', '--queue', url, '--concurrency', '1', '--quiet'], {}, repoRoot);
      await collecting;
      worker.child.kill('SIGTERM');
      await worker.exited;
      expect(events.map((e) => e.kind)).toEqual(['done', 'done']);
      for (const e of events) {
        const i = jobs.findIndex((j) => j.id === e.id);
        expect(e.kind === 'done' && e.result).toBe((await runJob(payload(i))).result);
      }
    } finally {
      await rq.close();
    }
    // Collected results are removed from Redis once consumed.
    const q = await openQueue(target);
    try {
      expect(await q.getJobCounts('completed', 'waiting')).toEqual({ completed: 0, waiting: 0, paused: 0 });
    } finally {
      await closeQueue(q);
    }
  });
});


describe.skipIf(skipRedis)('stored results', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('forget: drops the finished records of jobs already stored (a coordinator killed before removing them), never a pending one', async () => {
    const target = parseQueueUrl(redis.url);
    const q = await openQueue(target);
    // Jobs 0 and 1 ran to completion; a coordinator stored their results and died before removing the records.
    const result = (i: number) => ({ id: jobs[i].id, result: '{}', seconds: 0 });
    const worker = new Worker(queueName, async (job) => result(jobs.findIndex((j) => bullId(j.id) === job.id)), { prefix: queuePrefix, connection: redisOptions(target) });
    for (const i of [0, 1]) await q.add(jobName(version), payload(i), { ...jobOptions, jobId: bullId(jobs[i].id) });
    while ((await q.getJobCounts('completed')).completed < 2) await new Promise((r) => setTimeout(r, 10));
    await worker.close();
    const notes: string[] = [];
    const rq = await RedisQueue.open(target, { version, pollMs: 20, onNote: (t) => notes.push(t) });
    try {
      await rq.enqueue([payload(1)]); // job 1 is this session's again: its record is its result, not garbage
      await rq.forget([jobs[0].id, jobs[1].id, jobs[2].id]);
      expect(notes).toContain('removed 1 finished job record whose results were already stored');
      expect(await q.getJobState(bullId(jobs[0].id))).toBe('unknown');
      expect(await q.getJobState(bullId(jobs[1].id))).toBe('completed');
    } finally {
      await rq.close();
      await closeQueue(q);
    }
  });
});

describe.skipIf(skipRedis)('versions', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('replaces the jobs another version enqueued or ran, and stores only results of its own version', async () => {
    const target = parseQueueUrl(redis.url);
    const old = 'paratransfer@0.0.1-old';
    const q = await openQueue(target);
    // An old worker is running job 3 of an old coordinator, and will report a bogus result for it.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const bogus = JSON.stringify({ upstream: { testError: 1 }, transfer: { testError: 1 }, scratch: { testError: 1 }, gain: 0 });
    const oldWorker = new Worker(
      queueName,
      async () => {
        await gate;
        return { id: jobs[3].id, result: bogus, seconds: 0 };
      },
      { prefix: queuePrefix, connection: redisOptions(target) },
    );
    await q.add(old, payload(3), { ...jobOptions, jobId: bullId(jobs[3].id) });
    while ((await q.getJobState(bullId(jobs[3].id))) !== 'active') await new Promise((r) => setTimeout(r, 10));
    await q.add(old, payload(2), { ...jobOptions, jobId: bullId(jobs[2].id) }); // and job 2 waits, enqueued by it

    const notes: string[] = [];
    const rq = await RedisQueue.open(target, { version, pollMs: 20, onNote: (t) => notes.push(t) });
    let worker: CliProcess | undefined;
    try {
      await rq.enqueue([payload(2), payload(3)]);
      expect(notes[0]).toMatch(/^1 job enqueued on redis:\/\/127\.0\.0\.1:\d+\/0 \(1 already queued or done\); 1 worker connected/);
      expect((await Job.fromId(q, bullId(jobs[2].id)))!.name).toBe(jobName(version)); // replaced at once
      const events: JobEvent[] = [];
      const collecting = (async () => {
        for await (const e of rq.events()) events.push(e);
      })();
      const closing = oldWorker.close(); // takes no further job
      release();
      await closing;
      const deadline = Date.now() + 10_000;
      while (!notes.includes('re-enqueued 1 job that another paratransfer version had run') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(notes).toContain('re-enqueued 1 job that another paratransfer version had run');
      worker = spawnCli(binPath, ['worker', '--queue', redis.url, '--concurrency', '1', '--quiet'], {}, repoRoot);
      await collecting;
      expect(events.map((e) => [e.id, e.kind]).sort()).toEqual([[jobs[2].id, 'done'], [jobs[3].id, 'done']].sort());
      for (const e of events) {
        const i = jobs.findIndex((j) => j.id === e.id);
        expect(e.kind === 'done' && e.result).toBe((await runJob(payload(i))).result);
      }
    } finally {
      if (worker) {
        worker.child.kill('SIGTERM');
        await worker.exited;
      }
      await rq.close();
      await closeQueue(q);
    }
  });
});

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(skipRedis || (!haveOpenssl && !process.env.CI))('rediss://', () => {
  let redis: RedisServer;
  let dir: string;
  beforeAll(async () => {
    if (!haveOpenssl) throw new Error('openssl is not installed (apt-get install -y openssl): needed to make a test certificate');
    dir = mkdtempSync(join(tmpdir(), 'pt-tls-'));
    const r = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    redis = await startRedis({ tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } });
  });
  afterAll(async () => {
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects over TLS with a trusted CA and refuses an untrusted certificate in one line', async () => {
    const ok = await runCli(['queue', 'status', '--queue', redis.url], { env: { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^queue bull:paratransfer on rediss://localhost:${redis.port}/0 `));
    const untrusted = await runCli(['queue', 'status', '--queue', redis.url]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(new RegExp(`^paratransfer: error: cannot reach Redis at rediss://localhost:${redis.port}/0: TLS failed: .*certificate.*\\n$`));
  });
});
