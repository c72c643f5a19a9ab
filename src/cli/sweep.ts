import type { Command } from 'commander';
import { RedisQueue } from '../sweep/distributed/coordinator.js';
import { parseQueueUrl, redact } from '../sweep/distributed/url.js';
import { InlineQueue, LocalPoolQueue, type JobQueue } from '../sweep/queue.js';
import { runSweeps, type SweepSummary, type SweepTarget } from '../sweep/run.js';
import { expandJobs, planStudy, showValue, type SweepPlan } from '../sweep/grid.js';
import { guardRuns } from '../study/guard.js';
import type { AnyStudy } from '../study/types.js';
import { loadSweepSpec } from '../sweep/spec.js';
import { lockDir, SweepStore } from '../sweep/store.js';
import { UserError } from '../util/errors.js';
import { version } from '../version.js';
import { progressBar, type Progress } from './progress.js';
import { queueHelp, redactErrors } from './worker.js';
import { availableParallelism } from 'node:os';

export function parseWorkers(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 1024) {
    throw new UserError(`--workers: must be an integer in [0, 1024] (0: run in this thread), got "${text}"`);
  }
  return n;
}

/** The engine a sweep runs on: `--engine` when given (one of the study's), else the study's default. */
export function sweepEngine(plan: SweepPlan, engine: string | undefined): string {
  const study = planStudy(plan);
  if (engine === undefined) return study.defaultEngine;
  if (study.engines.length === 1 && engine !== study.engines[0]) {
    throw new UserError(`--engine: ${study.adjective} sweeps run on the "${study.engines[0]}" engine (got "${engine}"); omit --engine`);
  }
  if (!study.engines.includes(engine)) {
    throw new UserError(`--engine: unknown engine "${engine}" for a ${study.adjective} sweep (allowed: ${study.engines.join(', ')})`);
  }
  return engine;
}

export function makeQueue(workers: number): JobQueue {
  return workers === 0 ? new InlineQueue() : new LocalPoolQueue(workers);
}

/** The live worker count as shown: a distributed queue may not be allowed to count its workers (-1). */
const workerCount = (n: number) => (n < 0 ? '?' : n);

/**
 * Run sweeps with progress on stderr (a bar on a terminal, else a line per tenth and per minute) on `opts.queue` (a distributed queue) or else a local pool of
 * `opts.workers` threads; closes the queue.
 */
export async function executeSweeps(
  targets: SweepTarget[],
  opts: { workers: number; engine: string; progress: boolean; label?: string; queue?: JobQueue },
): Promise<SweepSummary> {
  await announceSweeps(targets, opts);
  const queue = opts.queue ?? makeQueue(opts.workers);
  let bar: Progress | undefined;
  let last = { done: 0, payload: {} as Record<string, string | number> };
  // Workers come and go between results (remote ones): refresh their count every second.
  const refresh = setInterval(() => bar?.update(last.done, { ...last.payload, workers: workerCount(queue.workers()) }), 1000);
  refresh.unref();
  try {
    return await runSweeps(targets, queue, {
      engine: opts.engine,
      version,
      onProgress: (p) => {
        bar ??= progressBar(p.total, opts.progress, opts.label ?? 'sweep', { unit: 'runs', fields: ['failed', 'workers'] });
        last = { done: p.done, payload: { failed: p.failed, workers: workerCount(p.workers) } };
        bar.update(p.done, last.payload);
      },
    });
  } finally {
    clearInterval(refresh);
    bar?.stop();
    await queue.close();
  }
}

/** Price the unfinished runs of the targets (the resource guard) and print the estimate when it is over a minute. */
async function announceSweeps(targets: SweepTarget[], opts: { workers: number; engine: string; queue?: JobQueue }): Promise<void> {
  const pending = new Map<string, { study: AnyStudy; config: object }>();
  for (const t of targets) {
    const finished = t.store.finishedIds();
    for (const job of expandJobs(t.plan).jobs) {
      if (!finished.has(job.id)) pending.set(job.id, { study: planStudy(t.plan), config: job.config });
    }
  }
  const byStudy = new Map<AnyStudy, object[]>();
  for (const { study, config } of pending.values()) byStudy.set(study, [...(byStudy.get(study) ?? []), config]);
  // A distributed queue's workers are elsewhere: the estimate is per local thread.
  const workers = opts.queue ? 1 : Math.max(1, opts.workers);
  for (const [study, configs] of byStudy) {
    const note = await guardRuns(study, configs, { engine: opts.engine, workers });
    if (note) process.stderr.write(`paratransfer: note: ${note}${opts.queue ? ' (on one worker thread; more workers share it)' : ''}\n`);
  }
}

/**
 * Refuse a sweep with a grid point that cannot fit in this machine's memory, before anything is written: one line
 * naming the point, the estimate and the keys that drive it.
 */
export async function refuseInfeasiblePoints(plan: SweepPlan, engine: string): Promise<void> {
  const { points } = expandJobs(plan);
  const describe = (i: number) => {
    const v = Object.entries(points[i].values).map(([k, x]) => `${k}=${showValue(x)}`).join(', ');
    return `grid point ${points[i].index}${v ? ` (${v})` : ''}`;
  };
  await guardRuns(planStudy(plan), points.map((p) => p.config as object), { engine, describe });
}

export function failureError(summary: SweepSummary): UserError {
  const f = summary.failures[0];
  return new UserError(
    `${summary.failures.length} of ${summary.runs} runs failed and stay unfinished (first: seed ${f.job.seed} of grid point ${f.job.point}: ${f.error}); rerun to retry`,
  );
}

interface SweepFlags {
  out: string;
  workers?: string;
  queue?: string;
  engine?: string;
  progress: boolean;
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('run every (grid point, seed) of a sweep spec on a worker pool into DIR/results.sqlite (resumable)')
    .argument('<spec.yaml>', 'sweep spec: base, set, grid, zip, seeds (docs/sweeps.md)')
    .requiredOption('--out <dir>', 'results directory; re-running into it resumes the sweep')
    .option('--workers <n>', 'worker threads (default: all cores; 0 runs in this thread)')
    .option('--queue <url>', `run the jobs on \`paratransfer worker\` processes through Redis: ${queueHelp}`)
    .option('--engine <name>', "training engine, one of the study's (default: the study's default, e.g. auto)")
    .option('--no-progress', 'never show a progress bar')
    .action(async (file: string, flags: SweepFlags) => {
      if (flags.queue !== undefined && flags.workers !== undefined) {
        throw new UserError('--workers and --queue exclude each other: with --queue, jobs run on `paratransfer worker` processes');
      }
      const workers = parseWorkers(flags.workers);
      const { plan, text } = loadSweepSpec(file);
      const engine = sweepEngine(plan, flags.engine);
      await refuseInfeasiblePoints(plan, engine);
      const target = flags.queue === undefined ? undefined : parseQueueUrl(flags.queue);
      let summary: SweepSummary;
      let path: string;
      let queue: JobQueue | undefined;
      try {
        // Connect before touching DIR: an unreachable Redis leaves nothing behind.
        if (target) {
          queue = await RedisQueue.open(target, {
            version,
            // On a terminal the progress bar may already be drawn: write the note over it (it redraws below).
            onNote: (note) =>
              process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[2K' : ''}paratransfer: note: ${redact(note, target)}\n`),
          });
        }
        const unlock = lockDir(flags.out);
        try {
          const store = SweepStore.open(flags.out);
          path = store.path;
          try {
            for (const note of store.attach(plan, text, engine, version)) {
              process.stderr.write(`paratransfer: note: ${note}\n`);
            }
            summary = await executeSweeps([{ plan, store }], { workers, engine, progress: flags.progress, queue });
          } finally {
            store.close();
          }
        } finally {
          unlock();
        }
      } catch (e) {
        throw target ? redactErrors(target, e) : e;
      } finally {
        await queue?.close();
      }
      process.stdout.write(
        `sweep ${plan.name}: ${summary.runs} runs in ${path} (${summary.skipped} already done, ${
          summary.executed - summary.failures.length
        } run now${summary.failures.length ? `, ${summary.failures.length} failed` : ''})\n`,
      );
      if (summary.failures.length) throw failureError(summary);
    });
}
