import type { Command } from 'commander';
import { z } from 'zod';
import { experimentShape } from '../config/schema.js';
import { dictionaryDataset } from '../data/dictionary.js';
import { engineNames, getEngine } from '../engine/registry.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { floatTensor3, readTrainingSet } from '../io/trainingset.js';
import { UserError } from '../util/errors.js';
import { progressBar } from './progress.js';
import { version } from '../version.js';

/** A number typed on the command line, then checked by the same rule as the config key of that name. */
const numberText = z.string().transform((s) => (s.trim() === '' ? NaN : Number(s)));

const trainFlags = z.object({
  dataset: z.string().min(1, 'must name a file'),
  init: z.string().min(1, 'must name a file'),
  out: z.string().min(1, 'must name a file'),
  lr: numberText.pipe(experimentShape.lr),
  steps: numberText.pipe(experimentShape.steps),
  lossThreshold: numberText.pipe(experimentShape.lossThreshold),
  engine: z.string(),
  json: z.boolean().optional(),
  progress: z.boolean(),
});
type TrainFlags = z.infer<typeof trainFlags>;

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function parseFlags(raw: Record<string, unknown>): TrainFlags {
  const r = trainFlags.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const key = String(issue.path[0]);
  throw new UserError(`${flagName(key)}: ${issue.message} (got ${JSON.stringify(raw[key])})`);
}

/** Read and cross-check the training data X [N, P, d], y [N] ∈ {−1, +1} and the weights W [2, m, d] (initial, or to evaluate). */
export function loadTrainInputs(datasetPath: string, initPath: string) {
  const { X: Xdata, y, n, patches, d, file: ds } = readTrainingSet(datasetPath);
  const X = { data: Xdata, shape: [n, patches, d] };
  const init = readSafetensors(initPath);
  const W = floatTensor3(init, 'W', '[2, m, d] (class +1 first)');
  const [two, m, dW] = W.shape;
  if (two !== 2 || m < 1) {
    throw new UserError(`${initPath}: tensor "W" has shape [${W.shape.join(', ')}], expected [2, m, d] with m ≥ 1 (class +1 first)`);
  }
  if (dW !== d) {
    throw new UserError(
      `shape mismatch: ${initPath} has W [${W.shape.join(', ')}] (d = ${dW}) but ${datasetPath} has X [${X.shape.join(', ')}] (d = ${d})`,
    );
  }
  return { X: X.data, y, n, patches, d, W0: W.data, m, file: ds };
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train the CNN by full-batch gradient descent on any data (safetensors in, safetensors out)')
    .requiredOption('--dataset <file>', 'safetensors with X [N, P, d] (F64 or F32) and y [N] in {−1, +1}')
    .requiredOption('--init <file>', 'safetensors with the initial W [2, m, d] (class +1 first)')
    .requiredOption('--lr <eta>', 'gradient-descent step size η > 0')
    .requiredOption('--steps <T>', 'number of gradient steps (integer ≥ 0)')
    .requiredOption('--out <file>', 'where to write the trained W [2, m, d] (F64)')
    .option('--loss-threshold <eps>', 'stop once the training loss is ≤ eps (0: never)', '0')
    .option('--engine <name>', `training engine (${engineNames.join(', ')}; auto: the cheaper exact one)`, 'auto')
    .option('--json', 'print one JSON object on stdout instead of the summary')
    .option('--no-progress', 'never show a progress bar')
    .action((raw: Record<string, unknown>) => {
      const flags = parseFlags(raw);
      const engine = getEngine(flags.engine);
      const inp = loadTrainInputs(flags.dataset, flags.init);
      const bar = progressBar(flags.steps, flags.progress && !flags.json, 'training', { quietSeconds: 10 });
      let run;
      try {
        run = engine.train({
          data: dictionaryDataset(inp.X, inp.y, inp.n, inp.patches, inp.d),
          W0: inp.W0,
          m: inp.m,
          lr: flags.lr,
          steps: flags.steps,
          lossThreshold: flags.lossThreshold,
          onStep: (t) => bar.update(t, { phase: 'train' }),
          phase: 'train',
        });
      } finally {
        bar.stop();
      }
      const initialLoss = run.losses[0];
      const loss = run.losses[run.losses.length - 1];
      writeSafetensors(
        flags.out,
        { W: { shape: [2, inp.m, inp.d], data: run.W } },
        {
          format: 'paratransfer',
          version,
          engine: engine.name,
          lr: String(flags.lr),
          steps: String(run.stepsRun),
          loss: String(loss),
          initialLoss: String(initialLoss),
          lossThreshold: String(flags.lossThreshold),
          dataset: flags.dataset,
          init: flags.init,
        },
      );
      if (flags.json) {
        const out = { steps: run.stepsRun, loss, initialLoss, engine: engine.name, out: flags.out };
        process.stdout.write(JSON.stringify(out) + '\n');
        return;
      }
      const early = run.stepsRun < flags.steps ? ` (stopped early: loss ≤ ${flags.lossThreshold})` : '';
      process.stdout.write(
        [
          `paratransfer train  (engine ${engine.name}, N=${inp.n} P=${inp.patches} d=${inp.d} m=${inp.m}, lr=${flags.lr})`,
          `  loss ${initialLoss.toExponential(4)} → ${loss.toExponential(4)} after ${run.stepsRun} steps${early}`,
          `  trained W [2, ${inp.m}, ${inp.d}] written to ${flags.out}`,
        ].join('\n') + '\n',
      );
    });
}
