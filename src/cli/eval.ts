import type { Command } from 'commander';
import { dictionaryDataset } from '../data/dictionary.js';
import { denseEngine } from '../engine/dense.js';
import { errorRate } from '../model/cnn.js';
import { wilsonInterval } from '../sweep/stats.js';
import { percent } from '../study/verdict.js';
import { UserError } from '../util/errors.js';
import { labelTensor } from '../io/trainingset.js';
import { loadTrainInputs } from './train.js';

interface EvalFlags {
  dataset: string;
  weights: string;
  json?: boolean;
}

/** What `eval` measures: the test error of W on the data, against the true labels when the file has them. */
export interface EvalResult {
  /** fraction of samples with sign f(W, x) ≠ label (f = 0 counts as an error), against `labels` */
  testError: number;
  /** which labels testError is against: yTrue when the file has it, else y */
  labels: 'yTrue' | 'y';
  /** against the observed labels y, when testError is against yTrue */
  testErrorNoisy?: number;
  samples: number;
  errors: number;
  /** 95% Wilson interval of testError from the samples (binomial sampling error) */
  interval: [number, number];
}

/** The test error of weights W [2, m, d] on data X [N, P, d] with labels y (and yTrue), as `run` measures it. */
export function evaluate(datasetPath: string, weightsPath: string): EvalResult {
  const inp = loadTrainInputs(datasetPath, weightsPath);
  const ds = dictionaryDataset(inp.X, inp.y, inp.n, inp.patches, inp.d);
  const f = denseEngine.scores(inp.W0, inp.m, ds);
  const hasTrue = Object.hasOwn(inp.file.tensors, 'yTrue');
  const yTrue = hasTrue ? labelTensor(inp.file, 'yTrue', inp.n) : undefined;
  const testError = errorRate(f, yTrue ?? inp.y);
  const errors = Math.round(testError * inp.n);
  const { lo, hi } = wilsonInterval(testError, inp.n);
  return {
    testError,
    labels: yTrue ? 'yTrue' : 'y',
    ...(yTrue ? { testErrorNoisy: errorRate(f, inp.y) } : {}),
    samples: inp.n,
    errors,
    interval: [lo, hi],
  };
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('the test error of any weights on any data (safetensors), as run measures it: check a saved run anywhere')
    .requiredOption('--dataset <file>', 'safetensors with X [N, P, d], y [N] in {−1, +1} and optionally the true labels yTrue [N]')
    .requiredOption('--weights <file>', 'safetensors with W [2, m, d] (class +1 first), e.g. a run --save file')
    .option('--json', 'print one JSON object on stdout instead of the summary')
    .action((flags: EvalFlags) => {
      if (!flags.dataset || !flags.weights) throw new UserError('eval: give --dataset FILE and --weights FILE');
      const r = evaluate(flags.dataset, flags.weights);
      if (flags.json) {
        process.stdout.write(JSON.stringify(r) + '\n');
        return;
      }
      const against = r.labels === 'yTrue' ? 'the true labels yTrue' : 'the labels y (the file has no yTrue)';
      const lines = [
        `paratransfer eval  (${flags.weights} on ${flags.dataset}, ${r.samples} samples)`,
        `  test error ${percent(r.testError)}  (${r.errors} of ${r.samples} wrong, against ${against}; 95% interval [${percent(r.interval[0])}, ${percent(r.interval[1])}] from the test set)`,
      ];
      if (r.testErrorNoisy !== undefined) lines.push(`  against the observed labels y: ${percent(r.testErrorNoisy)}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
