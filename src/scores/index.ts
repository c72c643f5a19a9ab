import { FeatureAnalysis } from './analysis.js';
import { hscoreOfSpectrum } from './hscore.js';
import { checkSourceProbs, type Matrix } from './input.js';
import { KNN_K, knnOf, knnQueries, type KnnOptions } from './knn.js';
import { logmeOfSpectrum } from './logme.js';
import { leepOf, nceOf } from './source.js';
import { transrateOf } from './transrate.js';

/**
 * Transferability scores (docs/advisor.md, "Transferability scores"): how well a network's features on the
 * target data, or its source head's predictions, fit the target labels, before any fine-tuning. Pure functions
 * of the inputs in float64; the same bits on every run and JavaScript engine.
 */

export { logme, logmeOfSpectrum } from './logme.js';
export { hscore, hscoreOfSpectrum } from './hscore.js';
export { transrate, transrateOf, TRANSRATE_EPS } from './transrate.js';
export { leep, nce, leepOf, nceOf } from './source.js';
export { knnAccuracy, knnOf, knnQueries, KNN_K, KNN_QUERIES, type KnnOptions } from './knn.js';
export { FeatureAnalysis, type Spectrum } from './analysis.js';
export { ScoreInputError, checkFeatures, checkLabels, checkSourceProbs, PROBABILITY_TOLERANCE, type Matrix } from './input.js';
export { symmetricEigen, gramOfRows, gramOfColumns, type SymmetricEigen } from './linalg.js';

/** The inputs of {@link transferScores}. */
export interface ScoreInput {
  /** features of the N target samples [N, D], row-major */
  features: Matrix;
  /** target labels [N]: integer classes 0…C−1, every class present, C ≥ 2 */
  labels: ArrayLike<number>;
  /** the source head's softmax on the same samples [N, Cs], rows summing to 1 (for LEEP and NCE) */
  sourceProbs?: Matrix;
}

/** Every score of one set of features (see docs/advisor.md for the definitions; all are higher-is-better). */
export interface TransferScores {
  /** samples */
  n: number;
  /** feature dimension */
  d: number;
  /** target classes */
  classes: number;
  /** LogME: log evidence per sample of a Bayesian linear fit of each class (You et al. 2021) */
  logme: number;
  /** H-score: tr(cov(f)⁺ cov(E[f|y])), in [0, C − 1] (Bao et al. 2019) */
  hscore: number;
  /** TransRate: coding rate of the features minus that of each class, ε = 1e-4 (Huang et al. 2022) */
  transrate: number;
  /** LEEP: log-likelihood of the labels through the source head (Nguyen et al. 2020); with sourceProbs */
  leep?: number;
  /** NCE: −H(target label | argmax source label) (Tran et al. 2019); with sourceProbs */
  nce?: number;
  /** source classes Cs; with sourceProbs */
  sourceClasses?: number;
  /** k-NN leave-one-out accuracy on the features */
  knn: number;
  /** the k of `knn` */
  knnK: number;
  /** samples `knn` classified (N, or fewer evenly spaced ones) */
  knnQueries: number;
}

/**
 * Every score of features (and, when given, source probabilities) against target labels, sharing one
 * eigendecomposition per spectrum. Invalid input throws a {@link ScoreInputError} naming the input; features
 * that are all zero throw (LogME is undefined there). Cost for N samples of D features: about
 * N·D·min(N, D) multiply-adds for the Gram matrices, min(N, D)³ for the two eigendecompositions, and the k-NN
 * search (see knnOf); N = 10⁴, D = 512: a few seconds.
 */
export function transferScores(input: ScoreInput, options: { knn?: KnnOptions } = {}): TransferScores {
  const a = new FeatureAnalysis(input.features, input.labels);
  const theta = input.sourceProbs && checkSourceProbs(input.sourceProbs, a.n);
  const labels = { y: a.labels, classes: a.classes, counts: a.counts };
  const cs = input.sourceProbs?.cols ?? 0;
  const logme = logmeOfSpectrum(a.rawSpectrum(), a.counts, a.n, a.d); // first: it rejects all-zero features
  const hscore = hscoreOfSpectrum(a.centredSpectrum(), a.counts);
  const transrate = transrateOf(a);
  const knn = knnOf(a, options.knn);
  return {
    n: a.n,
    d: a.d,
    classes: a.classes,
    logme,
    hscore,
    transrate,
    ...(theta && { leep: leepOf(theta, cs, labels), nce: nceOf(theta, cs, labels) }),
    knn,
    knnK: Math.min(options.knn?.k ?? KNN_K, a.n - 1),
    knnQueries: knnQueries(a.n, options.knn?.queries).length,
    ...(theta && { sourceClasses: cs }),
  };
}
