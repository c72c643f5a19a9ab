import type { Command } from 'commander';
import { reproduce, reproductionOf } from '../report/reproduce.js';
import { defaultStudy, studies } from '../study/registry.js';
import type { AnyStudy } from '../study/types.js';
import { lockDir } from '../sweep/store.js';
import { UserError } from '../util/errors.js';
import { executeSweeps, failureError, parseWorkers } from './sweep.js';
import { version } from '../version.js';

interface ReproduceFlags {
  out: string;
  quick?: boolean;
  workers?: string;
  engine?: string;
  only?: string;
  progress: boolean;
  [study: string]: unknown;
}

/** The studies with a reproduction: the default one needs no flag, every other is selected by `--<name>`. */
const reproducible = () => studies.filter((s) => s.reproduction);
const flagged = () => reproducible().filter((s) => s !== defaultStudy);

export function registerReproduce(program: Command): void {
  const cmd = program
    .command('reproduce')
    .description(
      `run a study's reproduction (named sweeps, figures, conclusions) and write DIR/report.html: the paper's ${defaultStudy.title}${flagged()
        .map((s) => `, or with --${s.name} the ${s.title}`)
        .join('')}`,
    )
    .requiredOption('--out <dir>', 'output directory (re-running resumes the sweeps)')
    .option('--quick', 'small problems and few seeds: a few minutes on 2 cores');
  for (const s of flagged()) cmd.option(`--${s.name}`, `reproduce the ${s.title} (docs: its study's page)`);
  cmd
    .option('--workers <n>', 'worker threads (default: all cores; 0 runs in this thread)')
    .option('--engine <name>', "training engine, one of the study's (default: the study's default)")
    .option('--only <names>', 'comma-separated subset of the named sweeps')
    .option('--no-progress', 'never show a progress bar')
    .action(async (flags: ReproduceFlags) => {
      const chosen = flagged().filter((s) => flags[s.name]);
      if (chosen.length > 1) throw new UserError(`--${chosen[0].name} and --${chosen[1].name} exclude each other: reproduce one study at a time`);
      const study: AnyStudy = chosen[0] ?? defaultStudy;
      const workers = parseWorkers(flags.workers);
      const engine = flags.engine ?? study.defaultEngine;
      if (!study.engines.includes(engine)) {
        throw new UserError(`--engine: unknown engine "${engine}" for the ${study.title} (allowed: ${study.engines.join(', ')})`);
      }
      const mode = flags.quick ? 'quick' : 'full';
      const names = (await reproductionOf(study)).sweeps(mode).map((s) => s.name);
      const only = flags.only?.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = only?.filter((n) => !names.includes(n)) ?? [];
      if (unknown.length) throw new UserError(`--only: unknown sweep "${unknown[0]}" (named sweeps: ${names.join(', ')})`);
      const t0 = performance.now();
      const unlock = lockDir(flags.out);
      try {
        const r = await reproduce({
          study,
          out: flags.out,
          mode,
          engine,
          version,
          only,
          execute: (targets) => executeSweeps(targets, { workers, engine, progress: flags.progress, label: 'reproduce' }),
        });
        process.stdout.write(
          `reproduce (${mode}): ${r.summary.runs} runs (${r.summary.skipped} already done), ${r.figures} figures, ${r.report}${
            r.line ? `, ${r.line}` : ''
          }, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
        );
        if (r.summary.failures.length) throw failureError(r.summary);
      } finally {
        unlock();
      }
    });
}
