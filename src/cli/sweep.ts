import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { engineNames, getEngine } from '../engine/registry.js';
import { RedisQueue } from '../sweep/distributed/coordinator.js';
import { parseQueueUrl, redact } from '../sweep/distributed/url.js';
import { InlineQueue, LocalPoolQueue, type JobQueue } from '../sweep/queue.js';
import { runSweeps, type SweepSummary, type SweepTarget } from '../sweep/run.js';
import { planFamily, type AnySweepPlan } from '../sweep/grid.js';
import { loadAnySweepSpec } from '../sweep/spec.js';
import { lockDir, SweepStore } from '../sweep/store.js';
import { UserError } from '../util/errors.js';
import { version } from './version.js';
import { queueHelp, redactErrors } from './worker.js';
import { availableParallelism } from 'node:os';

/** 'auto' once the coefficient engine registers it (it picks the fastest exact engine per config), else 'dense'. */
export const defaultEngineName = engineNames.includes('auto') ? 'auto' : 'dense';

export function parseWorkers(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 1024) {
    throw new UserError(`--workers: must be an integer in [0, 1024] (0: run in this thread), got "${text}"`);
  }
  return n;
}

/**
 * The engine a sweep runs on: `--engine` for the synthetic experiment; real-data sweeps have one engine (the CNN
 * engine), so an explicit other `--engine` is an error.
 */
export function sweepEngine(plan: AnySweepPlan, engine: string, explicit: boolean): string {
  const only = planFamily(plan).engine;
  if (only === null) {
    getEngine(engine);
    return engine;
  }
  if (explicit && engine !== only) {
    throw new UserError(`--engine: real-data sweeps run on the CNN engine "${only}" (got "${engine}"); omit --engine`);
  }
  return only;
}

export function makeQueue(workers: number): JobQueue {
  return workers === 0 ? new InlineQueue() : new LocalPoolQueue(workers);
}

/** The live worker count as shown: a distributed queue may not be allowed to count its workers (-1). */
const workerCount = (n: number) => (n < 0 ? '?' : n);

/**
 * Run sweeps with a progress bar (stderr, TTY only) on `opts.queue` (a distributed queue) or else a local pool of
 * `opts.workers` threads; closes the queue.
 */
export async function executeSweeps(
  targets: SweepTarget[],
  opts: { workers: number; engine: string; progress: boolean; label?: string; queue?: JobQueue },
): Promise<SweepSummary> {
  const queue = opts.queue ?? makeQueue(opts.workers);
  const show = opts.progress && Boolean(process.stderr.isTTY);
  const bar = show
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `${opts.label ?? 'sweep'} {bar} {percentage}% | {value}/{total} runs | {failed} failed | {workers} workers | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  // Workers come and go between results (remote ones): refresh their count every second.
  const refresh = bar && setInterval(() => started && bar.update({ workers: workerCount(queue.workers()) }), 1000);
  refresh?.unref();
  try {
    return await runSweeps(targets, queue, {
      engine: opts.engine,
      version,
      onProgress: (p) => {
        if (!bar) return;
        const payload = { failed: p.failed, workers: workerCount(p.workers) };
        if (!started) {
          bar.start(p.total, p.done, payload);
          started = true;
        } else bar.update(p.done, payload);
      },
    });
  } finally {
    clearInterval(refresh);
    bar?.stop();
    await queue.close();
  }
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
  engine: string;
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
    .option('--engine <name>', `training engine (${engineNames.join(', ')}; real-data sweeps: cnn)`, defaultEngineName)
    .option('--no-progress', 'never show a progress bar')
    .action(async (file: string, flags: SweepFlags, command: Command) => {
      if (flags.queue !== undefined && flags.workers !== undefined) {
        throw new UserError('--workers and --queue exclude each other: with --queue, jobs run on `paratransfer worker` processes');
      }
      const workers = parseWorkers(flags.workers);
      const { plan, text } = loadAnySweepSpec(file);
      const engine = sweepEngine(plan, flags.engine, command.getOptionValueSource('engine') === 'cli');
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
