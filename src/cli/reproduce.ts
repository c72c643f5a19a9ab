import { join } from 'node:path';
import type { Command } from 'commander';
import { syntheticStudy } from '../experiment/study.js';
import { reproduce } from '../report/reproduce.js';
import { paperSweeps } from '../report/paper.js';
import { lockDir } from '../sweep/store.js';
import { UserError } from '../util/errors.js';
import { executeSweeps, failureError, parseWorkers } from './sweep.js';
import { version } from '../version.js';

interface ReproduceFlags {
  out: string;
  quick?: boolean;
  workers?: string;
  engine: string;
  only?: string;
  progress: boolean;
}

export function registerReproduce(program: Command): void {
  program
    .command('reproduce')
    .description("run the paper's synthetic study (named sweeps, figures) and write DIR/report.html")
    .requiredOption('--out <dir>', 'output directory (re-running resumes the sweeps)')
    .option('--quick', 'small problems and few seeds: a few minutes on 2 cores')
    .option('--workers <n>', 'worker threads (default: all cores; 0 runs in this thread)')
    .option('--engine <name>', `training engine (${syntheticStudy.engines.join(', ')})`, syntheticStudy.defaultEngine)
    .option('--only <names>', 'comma-separated subset of the named sweeps')
    .option('--no-progress', 'never show a progress bar')
    .action(async (flags: ReproduceFlags) => {
      const workers = parseWorkers(flags.workers);
      if (!syntheticStudy.engines.includes(flags.engine)) {
        throw new UserError(`--engine: unknown engine "${flags.engine}" (allowed: ${syntheticStudy.engines.join(', ')})`);
      }
      const mode = flags.quick ? 'quick' : 'full';
      const names = paperSweeps(mode).map((s) => s.name);
      const only = flags.only?.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = only?.filter((n) => !names.includes(n)) ?? [];
      if (unknown.length) throw new UserError(`--only: unknown sweep "${unknown[0]}" (named sweeps: ${names.join(', ')})`);
      const t0 = performance.now();
      const unlock = lockDir(flags.out);
      try {
        const r = await reproduce({
          out: flags.out,
          mode,
          engine: flags.engine,
          version,
          only,
          execute: (targets) =>
            executeSweeps(targets, { workers, engine: flags.engine, progress: flags.progress, label: 'reproduce' }),
        });
        const a = r.agreement;
        const agreement = a ? `, theory agreement ${a.points ? ((100 * a.agree) / a.points).toFixed(1) : '—'}% of ${a.points} points` : '';
        process.stdout.write(
          `reproduce (${mode}): ${r.summary.runs} runs (${r.summary.skipped} already done), ${r.figures} figures, ${join(
            r.report,
          )}${agreement}, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
        );
        const h = r.heldout?.holdout.scores.at(-1);
        if (h) {
          const sign = h.decisive ? `${((100 * h.signAgree) / h.decisive).toFixed(1)}%` : '—';
          process.stdout.write(
            `held-out check (${h.theory}): sign agreement ${sign} of ${h.decisive} decisive points, Spearman ${h.spearmanGain.toFixed(3)}, ` +
              `MAE scratch ${h.maeScratch.toFixed(3)}, transfer ${h.maeTransfer.toFixed(3)} (paratransfer theory-check for the full table)\n`,
          );
        }
        if (r.summary.failures.length) throw failureError(r.summary);
      } finally {
        unlock();
      }
    });
}
