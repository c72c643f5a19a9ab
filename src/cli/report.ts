import type { Command } from 'commander';
import { sweepReport } from '../report/sweep.js';
import { UserError } from '../util/errors.js';
import { version } from '../version.js';

interface ReportFlags {
  out?: string;
  bayesTolerance: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('figures and a self-contained report.html for a sweep directory of any study')
    .argument('<dir>', 'a sweep directory (holding results.sqlite)')
    .option('--out <file>', 'the report file (default DIR/report.html); figures/ and the CSV tables go next to it')
    .option('--bayes-tolerance <x>', 'scratch counts as near Bayes-optimal when its mean clean error ≤ x (studies with a theory)', '0.01')
    .action(async (dir: string, flags: ReportFlags) => {
      const tol = Number(flags.bayesTolerance);
      if (!Number.isFinite(tol) || tol < 0 || tol > 1) {
        throw new UserError(`--bayes-tolerance: must be a number in [0, 1], got "${flags.bayesTolerance}"`);
      }
      const r = await sweepReport({ dir, out: flags.out, version, bayesTolerance: tol });
      if (r.runs < r.expected) process.stderr.write(`paratransfer: note: ${r.runs} of ${r.expected} runs are finished\n`);
      process.stdout.write(`report: ${r.runs} runs, ${r.figures.length} figures, ${r.report}\n`);
    });
}
