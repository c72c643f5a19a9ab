import type { Command } from 'commander';
import { getTensor, readSafetensors, tensorAsFloat64, type SafetensorsFile } from '../io/safetensors.js';
import { ScoreInputError, transferScores, type ScoreInput, type TransferScores } from '../scores/index.js';
import { UserError } from '../util/errors.js';

/** A float tensor of rank 2, or a one-line error naming the file, the tensor and what was expected. */
function floatMatrix(file: SafetensorsFile, name: string, layout: string) {
  const t = getTensor(file, name);
  const where = `${file.path}: tensor "${name}"`;
  if (t.dtype !== 'F32' && t.dtype !== 'F64') throw new UserError(`${where}: dtype ${t.dtype}; expected F32 or F64 ${layout}`);
  if (t.shape.length !== 2) throw new UserError(`${where}: shape [${t.shape.join(', ')}]; expected ${layout}`);
  return { data: t.data as Float32Array | Float64Array, rows: t.shape[0], cols: t.shape[1] };
}

/**
 * The inputs of `score` from a safetensors file: `features` [N, D] (F32/F64), `labels` [N] (any integer dtype,
 * or floats holding integers) and optionally `sourceProbs` [N, Cs] (F32/F64). Other tensors are ignored.
 */
export function loadScoreInput(path: string): ScoreInput {
  const file = readSafetensors(path);
  const features = floatMatrix(file, 'features', '[N, D]');
  const lt = getTensor(file, 'labels');
  if (lt.shape.length !== 1 || lt.shape[0] !== features.rows) {
    throw new UserError(
      `${path}: tensor "labels": shape [${lt.shape.join(', ')}]; expected [${features.rows}] (one integer class per row of "features")`,
    );
  }
  const input: ScoreInput = { features, labels: tensorAsFloat64(lt) };
  if (file.tensors.sourceProbs) input.sourceProbs = floatMatrix(file, 'sourceProbs', `[${features.rows}, Cs]`);
  return input;
}

/** Score a file: library errors about an input become one line naming the file and the tensor (or flag). */
export function scoreFile(path: string, knn: { k: number; queries: number }): TransferScores {
  const input = loadScoreInput(path);
  try {
    return transferScores(input, { knn });
  } catch (e) {
    if (e instanceof ScoreInputError && e.input !== 'options') throw new UserError(`${path}: tensor "${e.input}": ${e.problem}`);
    throw e;
  }
}

const fmt = (x: number) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(4) : x.toFixed(4));

/** The readable table: each score, its value, which way is better, and what it measures. */
export function formatScores(s: TransferScores, path: string): string {
  const rows: [string, string, string, string][] = [
    ['LogME', fmt(s.logme), 'higher', 'log evidence per sample of a Bayesian linear fit of each class (You et al. 2021)'],
    ['H-score', fmt(s.hscore), 'higher', `class-mean covariance against feature covariance, tr(cov(f)⁺cov(E[f|y])), in [0, ${s.classes - 1}] (Bao et al. 2019)`],
    ['TransRate', fmt(s.transrate), 'higher', 'coding rate of the features minus that within each class, ε = 1e-4 (Huang et al. 2022)'],
  ];
  if (s.leep !== undefined && s.nce !== undefined) {
    rows.push(
      ['LEEP', fmt(s.leep), 'higher, ≤ 0', 'log-likelihood of the labels through the source head and a re-labelling (Nguyen et al. 2020)'],
      ['NCE', fmt(s.nce), 'higher, ≤ 0', '−H(label | argmax source class): how well source classes determine labels (Tran et al. 2019)'],
    );
  }
  const sampled = s.knnQueries < s.n ? ` (on ${s.knnQueries} of the ${s.n} samples)` : '';
  rows.push([`k-NN (k=${s.knnK})`, fmt(s.knn), 'higher', `leave-one-out accuracy of the ${s.knnK} nearest neighbours, Euclidean${sampled}: a plain baseline`]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), ['score', 'value', 'better'][i].length));
  const line = (r: string[]) => `  ${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])}  ${r[2].padEnd(widths[2])}  ${r[3]}`;
  const source = s.sourceClasses === undefined ? 'no sourceProbs: LEEP and NCE skipped' : `source head: ${s.sourceClasses} classes`;
  return [
    `paratransfer score  ${path}: N = ${s.n} samples, D = ${s.d} features, ${s.classes} classes (${source})`,
    '',
    line(['score', 'value', 'better', 'meaning']),
    ...rows.map(line),
    '',
    'Scores rank feature sets for the same target task; values are not comparable across tasks. See docs/advisor.md.',
  ].join('\n');
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('transferability scores of features for a target task: LogME, H-score, TransRate, LEEP, NCE, k-NN')
    .requiredOption('--features <file>', 'safetensors with features [N, D] (F32/F64), labels [N] (integer classes from 0) and optionally sourceProbs [N, Cs]')
    .option('--json', 'print one JSON object instead of the table')
    .option('--knn-k <k>', 'neighbours of the k-NN baseline', '5')
    .option('--knn-queries <q>', 'samples the k-NN baseline classifies at most (evenly spaced above)', '1000')
    .action((flags: { features: string; json?: boolean; knnK: string; knnQueries: string }) => {
      const count = (text: string, flag: string) => {
        const v = Number(text);
        if (text.trim() === '' || !Number.isSafeInteger(v) || v < 1) throw new UserError(`${flag}: must be an integer ≥ 1 (got ${JSON.stringify(text)})`);
        return v;
      };
      const knn = { k: count(flags.knnK, '--knn-k'), queries: count(flags.knnQueries, '--knn-queries') };
      const scores = scoreFile(flags.features, knn);
      process.stdout.write((flags.json ? JSON.stringify(scores) : formatScores(scores, flags.features)) + '\n');
    });
}
