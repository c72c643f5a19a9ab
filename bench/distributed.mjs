#!/usr/bin/env node
/**
 * `npm run bench:distributed [-- --size tiny|small|medium --seeds N --reps R --no-build --json]`
 *
 * Throughput of a sweep served through Redis (BullMQ) by 1 and 2 `paratransfer worker` processes on loopback,
 * against the local worker-thread pool (`--workers 1`, `--workers 2`), side by side in one run. Starts its own
 * redis-server (free loopback port, temp dir, no persistence). For each mode: whole-command wall time of
 * `paratransfer sweep` (workers already running and connected), jobs/s, and jobs/s net of the fixed cost of a
 * command (a rerun that finds everything done). Per-job overhead of the queue = (net time per job, 1 worker
 * process) − (net time per job, local pool of 1 thread). Every mode's CSV export must be byte-identical.
 * With --reps R each figure is the fastest of R runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchArgs, privateBuild, root } from './common.mjs';

const { flag, has } = benchArgs();
const size = flag('size', 'small');
const reps = Number(flag('reps', '1'));
const json = has('json');
const sizes = {
  // next to no compute: the time per job is the machinery's own (pool or queue)
  tiny: { set: '{ d: 20, n1: 4, n2: 4, nTest: 4, m: 2, steps: 1, checkpoints: 2 }', seeds: 40 },
  // the integration tests' size: a few ms of compute per job, so the queue's own cost shows
  small: { set: '{ d: 60, n1: 20, n2: 10, nTest: 60, m: 4, steps: 20 }', seeds: 8 },
  // the `reproduce --quick` profile: a realistic job
  medium: { set: '{ d: 500, n1: 100, n2: 20, nTest: 500, m: 10, steps: 150 }', seeds: 2 },
};
if (!sizes[size]) {
  console.error(`bench:distributed: --size must be one of ${Object.keys(sizes).join(', ')}`);
  process.exit(1);
}
const seeds = Number(flag('seeds', String(sizes[size].seeds)));
const spec = `name: bench-distributed
base: positive-transfer
set: ${sizes[size].set}
grid:
  alpha: [0, 0.25, 0.5, 0.75, 1]
  uNorm: [0.5, 1, 2]
seeds: ${seeds}
`;
const jobs = 15 * seeds;

const bin = privateBuild('paratransfer-bench-distributed', has('no-build'));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Spawn a long-running child; resolves once `ready` shows in its stderr. */
function start(cmd, argv, ready) {
  const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start:\n${log}`)), 20_000);
    const onData = (s) => {
      log += s;
      if (ready.test(log)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('exit', (code) => reject(new Error(`${cmd} exited (${code}):\n${log}`)));
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function cli(argv) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...argv], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`paratransfer ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return { seconds, stdout: r.stdout };
}

const work = mkdtempSync(join(tmpdir(), 'pt-bench-dist-'));
const specFile = join(work, 'spec.yaml');
writeFileSync(specFile, spec);
const port = await freePort();
const redis = await start(
  'redis-server',
  ['--bind', '127.0.0.1', '--port', String(port), '--dir', work, '--save', '', '--appendonly', 'no',
    '--maxmemory-policy', 'noeviction', '--logfile', ''],
  /Ready to accept connections/,
);
const url = `redis://127.0.0.1:${port}`;

let n = 0;
/** One sweep into a fresh directory: wall seconds of the run, of a rerun with nothing left to do, and the export. */
function sweep(flags) {
  const out = join(work, `run-${n++}`);
  const full = cli(['sweep', specFile, '--out', out, ...flags]);
  const fixed = cli(['sweep', specFile, '--out', out, ...flags]);
  const csv = cli(['results', out, '--format', 'csv']).stdout;
  return { seconds: full.seconds, fixed: fixed.seconds, csv };
}

function best(fn) {
  let b;
  for (let i = 0; i < reps; i++) {
    const r = fn();
    if (!b || r.seconds < b.seconds) b = r;
  }
  return b;
}

const results = [];
const workers = [];
try {
  for (const threads of [1, 2]) {
    results.push({ mode: `local pool, --workers ${threads}`, ...best(() => sweep(['--workers', String(threads)])) });
  }
  for (const procs of [1, 2]) {
    while (workers.length < procs) {
      workers.push(await start(process.execPath, [bin, 'worker', '--queue', url, '--concurrency', '1', '--quiet'], /serving/));
    }
    await sleep(200);
    results.push({ mode: `Redis, ${procs} worker process${procs > 1 ? 'es' : ''} × 1 thread`, ...best(() => sweep(['--queue', url])) });
  }
} finally {
  for (const w of workers) await stop(w);
  await stop(redis);
}

const reference = results[0].csv;
for (const r of results) if (r.csv !== reference) throw new Error(`${r.mode}: export differs from the local run`);
const rows = results.map((r) => ({
  mode: r.mode,
  seconds: r.seconds,
  jobsPerSecond: jobs / r.seconds,
  fixedSeconds: r.fixed,
  netJobsPerSecond: jobs / Math.max(1e-9, r.seconds - r.fixed),
  netMsPerJob: (1000 * (r.seconds - r.fixed)) / jobs,
}));
const overheadMs = rows[2].netMsPerJob - rows[0].netMsPerJob;
const summary = {
  size,
  jobs,
  cpus: cpus().length,
  load: loadavg()[0],
  rows,
  overheadMsPerJob: overheadMs,
  identicalExports: true,
};
rmSync(work, { recursive: true, force: true });

if (json) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  console.log(`distributed sweep benchmark: ${jobs} jobs (${size}), ${cpus().length} cores, load ${summary.load.toFixed(2)}; exports identical`);
  console.log('| mode | wall s | jobs/s | fixed s | net jobs/s | net ms/job |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.mode} | ${r.seconds.toFixed(2)} | ${r.jobsPerSecond.toFixed(1)} | ${r.fixedSeconds.toFixed(2)} | ` +
        `${r.netJobsPerSecond.toFixed(1)} | ${r.netMsPerJob.toFixed(1)} |`,
    );
  }
  console.log(`queue overhead per job (1 worker process vs 1 local thread, net): ${overheadMs.toFixed(1)} ms`);
}
