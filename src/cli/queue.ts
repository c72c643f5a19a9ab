import type { Command } from 'commander';
import { cleanQueue, drainQueue, formatStatus, queueStatus } from '../sweep/distributed/admin.js';
import { parseQueueUrl, redact } from '../sweep/distributed/url.js';
import { queueHelp, redactErrors } from './worker.js';

interface QueueFlags {
  queue: string;
  json?: boolean;
}

/** Run an admin action with every message redacted; the output too (it echoes the URL). */
async function admin(flags: QueueFlags, fn: (target: ReturnType<typeof parseQueueUrl>) => Promise<string>): Promise<void> {
  const target = parseQueueUrl(flags.queue);
  let text: string;
  try {
    text = await fn(target);
  } catch (e) {
    throw redactErrors(target, e);
  }
  process.stdout.write(redact(text, target));
}

export function registerQueue(program: Command): void {
  const queue = program.command('queue').description('operate the queue of distributed sweeps (docs/distributed.md)');
  queue
    .command('status')
    .description('jobs per state, live workers, recent failures')
    .requiredOption('--queue <url>', queueHelp)
    .option('--json', 'machine-readable output')
    .action((flags: QueueFlags) =>
      admin(flags, async (t) => {
        const s = await queueStatus(t);
        return flags.json ? `${JSON.stringify(s)}\n` : formatStatus(s);
      }),
    );
  queue
    .command('drain')
    .description('remove every job waiting to run (running jobs finish); stop the sweep first, or it re-enqueues them')
    .requiredOption('--queue <url>', queueHelp)
    .action((flags: QueueFlags) =>
      admin(flags, async (t) => {
        const n = await drainQueue(t);
        return `removed ${n} waiting job${n === 1 ? '' : 's'} from ${t.display}\n`;
      }),
    );
  queue
    .command('clean')
    .description('remove the records of completed and failed jobs (uncollected results are recomputed by a rerun)')
    .requiredOption('--queue <url>', queueHelp)
    .action((flags: QueueFlags) =>
      admin(flags, async (t) => {
        const r = await cleanQueue(t);
        return `removed ${r.completed} completed and ${r.failed} failed job record${r.completed + r.failed === 1 ? '' : 's'} from ${t.display}\n`;
      }),
    );
}
