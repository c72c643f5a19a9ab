import { log } from '../util/detmath.js';
import { checkLabels, checkSourceProbs, type CheckedLabels, type Matrix } from './input.js';

/**
 * The scores of the source head: they read the source network's softmax θᵢ(z) over its Cs classes on each
 * target sample, not the features.
 */

/**
 * LEEP (Nguyen et al., "LEEP: A New Measure to Evaluate Transferability of Learned Representations", ICML 2020):
 * (1/N)·Σᵢ log Σ_z θᵢ(z)·P(yᵢ | z), with P(y | z) = Σ_{i: yᵢ = y} θᵢ(z) / Σᵢ θᵢ(z) the empirical conditional
 * of the target label given the soft source label (a source class no sample puts mass on is never used).
 * The log-likelihood of the target labels under the "source head + re-labelling" classifier; ≤ 0, higher is
 * better.
 */
export function leepOf(theta: Float64Array, cs: number, labels: CheckedLabels): number {
  const { y, classes: C } = labels;
  const n = y.length;
  const joint = new Float64Array(C * cs);
  const mass = new Float64Array(cs);
  for (let i = 0; i < n; i++) {
    for (let z = 0; z < cs; z++) {
      joint[y[i] * cs + z] += theta[i * cs + z];
      mass[z] += theta[i * cs + z];
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    let p = 0;
    for (let z = 0; z < cs; z++) if (mass[z] > 0) p += (theta[i * cs + z] * joint[y[i] * cs + z]) / mass[z];
    total += log(p);
  }
  return total / n;
}

/**
 * NCE (Tran et al., "Transferability and Hardness of Supervised Classification Tasks", ICCV 2019) on the argmax
 * source labels zᵢ = argmax_z θᵢ(z) (the first maximum): the negative conditional entropy −H(Y | Z) of the
 * target labels given them, Σ_{y,z} P(y, z)·log P(y | z) with 0·log 0 = 0. ≤ 0, higher is better.
 */
export function nceOf(theta: Float64Array, cs: number, labels: CheckedLabels): number {
  const { y, classes: C } = labels;
  const n = y.length;
  const joint = new Float64Array(C * cs);
  const pz = new Float64Array(cs);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 1; j < cs; j++) if (theta[i * cs + j] > theta[i * cs + z]) z = j;
    joint[y[i] * cs + z] += 1;
    pz[z] += 1;
  }
  let total = 0;
  for (let k = 0; k < C; k++) {
    for (let z = 0; z < cs; z++) {
      const c = joint[k * cs + z];
      if (c > 0) total += (c / n) * log(c / pz[z]);
    }
  }
  return total;
}

/** LEEP for source probabilities [N, Cs] and integer target labels 0…C−1 (see leepOf). */
export function leep(sourceProbs: Matrix, labels: ArrayLike<number>): number {
  const l = checkLabels(labels, sourceProbs.rows);
  return leepOf(checkSourceProbs(sourceProbs, l.y.length), sourceProbs.cols, l);
}

/** NCE for source probabilities [N, Cs] and integer target labels 0…C−1 (see nceOf). */
export function nce(sourceProbs: Matrix, labels: ArrayLike<number>): number {
  const l = checkLabels(labels, sourceProbs.rows);
  return nceOf(checkSourceProbs(sourceProbs, l.y.length), sourceProbs.cols, l);
}
