import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { workerDefaults } from '../sweep/distributed/protocol.js';
import { parseQueueUrl, redact, type RedisTarget } from '../sweep/distributed/url.js';
import { QueueWorker } from '../sweep/distributed/worker.js';
import { UserError } from '../util/errors.js';
import { version } from '../version.js';

/** An integer flag in [min, max], or a one-line error naming it. */
export function intFlag(name: string, text: string | undefined, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(n) || n < min || n > max) {
    throw new UserError(`${name}: must be an integer in [${min}, ${max}], got "${text}"`);
  }
  return n;
}

/** Every message of a command that holds a queue URL goes through here: no secret reaches the terminal. */
export function redactErrors(target: RedisTarget, e: unknown): Error {
  if (e instanceof UserError) return new UserError(redact(e.message, target));
  return new Error(redact(e instanceof Error ? e.message : String(e), target));
}

interface WorkerFlags {
  queue: string;
  concurrency?: string;
  lockDuration?: string;
  stalledInterval?: string;
  maxStalled?: string;
  quiet?: boolean;
}

export const queueHelp = 'redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or rediss://… (TLS); docs/distributed.md';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run sweep jobs from a Redis queue until stopped (SIGINT/SIGTERM: finish running jobs; twice: hand them back)')
    .requiredOption('--queue <url>', queueHelp)
    .option('--concurrency <n>', 'jobs at once, each on its own worker thread (default: all cores)')
    .option('--lock-duration <ms>', `job lock, renewed every half of it (default ${workerDefaults.lockDuration})`)
    .option('--stalled-interval <ms>', `how often to look for jobs of dead workers (default ${workerDefaults.stalledInterval})`)
    .option('--max-stalled <n>', `fail a job that stalled more often than this (default ${workerDefaults.maxStalledCount})`)
    .option('--quiet', 'no line per job on stderr')
    .action(async (flags: WorkerFlags) => {
      const target = parseQueueUrl(flags.queue);
      const concurrency = intFlag('--concurrency', flags.concurrency, 1, 1024, availableParallelism());
      const lockDuration = intFlag('--lock-duration', flags.lockDuration, 100, 86_400_000, workerDefaults.lockDuration);
      const stalledInterval = intFlag('--stalled-interval', flags.stalledInterval, 100, 86_400_000, workerDefaults.stalledInterval);
      const maxStalledCount = intFlag('--max-stalled', flags.maxStalled, 0, 1000, workerDefaults.maxStalledCount);
      const say = (line: string) => process.stderr.write(`paratransfer worker: ${new Date().toISOString()} ${redact(line, target)}\n`);
      const perJob = /^run-[0-9a-f]{16} (started|done)/;
      const log = (line: string) => {
        if (!(flags.quiet && perJob.test(line))) say(line);
      };
      let worker: QueueWorker;
      try {
        worker = await QueueWorker.start(target, { version, concurrency, lockDuration, stalledInterval, maxStalledCount, log });
      } catch (e) {
        throw redactErrors(target, e);
      }
      say(
        `serving ${target.display} with ${concurrency} thread${concurrency === 1 ? '' : 's'} (version ${version}, ` +
          `lock ${lockDuration} ms, stalled check every ${stalledInterval} ms)`,
      );
      await new Promise<void>((resolve) => {
        let signals = 0;
        const onSignal = (sig: NodeJS.Signals) => {
          signals++;
          if (signals === 1) {
            const n = worker.active;
            say(`${sig}: stopping; ${n ? `finishing ${n} running job${n === 1 ? '' : 's'} (signal again to hand ${n === 1 ? 'it' : 'them'} back)` : 'no job running'}`);
            worker.finish().then(resolve, resolve);
          } else if (signals === 2) {
            say(`${sig}: handing running jobs back to the queue`);
            void worker.handBack();
          } else {
            process.exit(130);
          }
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      say('stopped');
    });
}
