import type { Command } from 'commander';
import { writeFileAtomic } from '../io/atomic.js';
import { expandJobs } from '../sweep/grid.js';
import { sweepTable, toCsv, toJson } from '../sweep/export.js';
import { SweepStore } from '../sweep/store.js';
import { UserError } from '../util/errors.js';

interface ResultsFlags {
  format: string;
  columns: string;
  aggregate?: boolean;
  out?: string;
  bayesTolerance: string;
}

export function registerResults(program: Command): void {
  program
    .command('results')
    .description('export a sweep: one row per (point, seed), or per point with --aggregate (mean, 95% interval, verdict)')
    .argument('<dir>', 'a sweep directory (holding results.sqlite)')
    .option('--format <csv|json>', 'output format', 'csv')
    .option('--columns <brief|all>', 'brief: the axes, each phase\'s error (accuracy), the gain with its interval, the predicted regime; all: every measure', 'brief')
    .option('--aggregate', 'one row per grid point: mean and 95% interval over seeds, negative-transfer fraction, the theory where the study has one')
    .option('--out <file>', 'write to this file (atomically) instead of stdout')
    .option('--bayes-tolerance <x>', 'scratch counts as near Bayes-optimal when its mean clean error ≤ x', '0.01')
    .action(async (dir: string, flags: ResultsFlags) => {
      if (flags.format !== 'csv' && flags.format !== 'json') {
        throw new UserError(`--format: must be csv or json, got "${flags.format}"`);
      }
      if (flags.columns !== 'brief' && flags.columns !== 'all') {
        throw new UserError(`--columns: must be brief or all, got "${flags.columns}"`);
      }
      const tol = Number(flags.bayesTolerance);
      if (!Number.isFinite(tol) || tol < 0 || tol > 1) {
        throw new UserError(`--bayes-tolerance: must be a number in [0, 1], got "${flags.bayesTolerance}"`);
      }
      const store = SweepStore.read(dir);
      let text: string;
      try {
        const plan = store.plan();
        const runs = store.runs();
        const total = expandJobs(plan).jobs.length;
        if (runs.length < total) {
          const failed = store.failures().length;
          process.stderr.write(
            `paratransfer: note: ${runs.length} of ${total} runs are finished${failed ? ` (${failed} failed)` : ''}\n`,
          );
        }
        const table = sweepTable(plan, runs, { aggregate: flags.aggregate, bayesTolerance: tol, columns: flags.columns });
        text = flags.format === 'csv' ? toCsv(table) : toJson(table);
      } finally {
        store.close();
      }
      if (flags.out) writeFileAtomic(flags.out, text);
      else process.stdout.write(text);
    });
}
