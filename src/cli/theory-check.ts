import { join } from 'node:path';
import type { Command } from 'commander';
import type { ExperimentConfig } from '../config/schema.js';
import { syntheticStudy } from '../experiment/study.js';
import { writeFileAtomic } from '../io/atomic.js';
import { ablations, calibrationFigure, currentTheory, gammaTheory, heldoutCheck, heldoutJson, heldoutText, type SyntheticRecord } from '../report/heldout.js';
import { writeFigure } from '../report/render.js';
import { runRecords } from '../sweep/export.js';
import { planOf, type SweepPlan } from '../sweep/grid.js';
import { SweepStore } from '../sweep/store.js';
import { UserError } from '../util/errors.js';

interface CheckFlags {
  json?: boolean;
  out?: string;
  ablations?: boolean;
}

/** The synthetic runs of a sweep directory (a one-line error for any other study or an empty store). */
function recordsOf(dir: string, what: string): SyntheticRecord[] {
  const store = SweepStore.read(dir);
  try {
    const plan = planOf<ExperimentConfig>(syntheticStudy, store.plan(), `${what} ${dir}`);
    const records = runRecords(plan as SweepPlan, store.runs()) as SyntheticRecord[];
    if (!records.length) throw new UserError(`${what} ${dir}: holds no finished runs yet`);
    return records;
  } finally {
    store.close();
  }
}

export function registerTheoryCheck(program: Command): void {
  program
    .command('theory-check')
    .description("score the theory (and the old Γ theory) on a fit and a held-out sweep; the advisor's regret")
    .argument('<fit-dir>', 'the sweep the theory was designed on (e.g. examples/theory-fit.yaml)')
    .argument('<holdout-dir>', 'the held-out sweep (e.g. examples/theory-holdout.yaml): other configurations, other seeds')
    .option('--json', 'print one JSON object instead of the tables')
    .option('--out <dir>', 'also write the calibration figures (SVG, PNG, CSV, Vega-Lite) and the tables into this directory')
    .option('--ablations', 'also score the current theory built up one part at a time (what each part buys; slower)')
    .action(async (fitDir: string, holdoutDir: string, flags: CheckFlags) => {
      const theories = [gammaTheory, ...(flags.ablations ? ablations : [currentTheory])];
      const check = heldoutCheck(recordsOf(fitDir, 'fit sweep'), recordsOf(holdoutDir, 'held-out sweep'), theories);
      const text = heldoutText(check);
      if (flags.out) {
        for (const [set, scores] of [
          ['fit', check.fit.scores],
          ['holdout', check.holdout.scores],
        ] as const) {
          const title = `Calibration on the ${set === 'fit' ? 'fit' : 'held-out'} set: predicted vs measured clean error`;
          await writeFigure(flags.out, {
            name: `calibration-${set}`,
            title,
            caption: `${title} (mean population test error over seeds; transfer at α > 0, scratch once per configuration). Dashed: perfect calibration.`,
            ...calibrationFigure(scores, title),
          });
        }
        writeFileAtomic(join(flags.out, 'theory-check.txt'), text + '\n');
        writeFileAtomic(join(flags.out, 'theory-check.json'), JSON.stringify(heldoutJson(check), null, 2) + '\n');
      }
      process.stdout.write(flags.json ? JSON.stringify(heldoutJson(check)) + '\n' : text + '\n');
    });
}
