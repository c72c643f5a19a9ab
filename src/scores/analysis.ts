import { checkFeatures, checkLabels, type Matrix } from './input.js';
import { gramOfColumns, gramOfRows, symmetricEigen } from './linalg.js';
import { log1p } from '../util/detmath.js';

/**
 * What the feature-based scores share: the features F [N, D] and labels, validated; the feature matrix
 * centred by its mean; and, computed on first use, the spectra (thin SVDs) of F and of the centred features.
 * An SVD comes from the eigendecomposition of the smaller Gram matrix (FᵀF, D × D, when N > D: the "primal"
 * side; FFᵀ, N × N, otherwise), so every cost is in min(N, D).
 */

/**
 * The thin SVD F = Σⱼ sⱼ·uⱼ·vⱼᵀ (j < r = min(N, D)) as the scores use it: σⱼ = sⱼ² and the projections of
 * the class indicators 1[y = k] on the left singular vectors uⱼ. Numerically null directions (σⱼ at most
 * max(N, D)·2⁻⁵²·σ_max, the rank rule of NumPy's matrix_rank) have σⱼ = 0 and projection 0.
 */
export interface Spectrum {
  /** r squared singular values, ascending */
  sigma: Float64Array;
  /** r × C, row-major: proj[j·C + k] = uⱼ · 1[y = k] */
  proj: Float64Array;
}

const EPS = 2 ** -52;

export class FeatureAnalysis {
  readonly n: number;
  readonly d: number;
  readonly classes: number;
  /** samples per class */
  readonly counts: Int32Array;
  readonly labels: Int32Array;
  /** F − mean, row-major [N, D] */
  readonly centred: Float64Array;
  readonly mean: Float64Array;
  /** true when N > D: the Gram matrices are D × D (FᵀF), else N × N (FFᵀ) */
  readonly primal: boolean;
  private gramCache?: Float64Array;
  private centredCache?: Spectrum;
  private rawCache?: Spectrum;

  constructor(features: Matrix, labels: ArrayLike<number>) {
    const f = checkFeatures(features);
    const l = checkLabels(labels, f.n);
    this.n = f.n;
    this.d = f.d;
    this.classes = l.classes;
    this.counts = l.counts;
    this.labels = l.y;
    this.primal = f.n > f.d;
    const { n, d } = this;
    this.mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) this.mean[j] += f.x[i * d + j];
    for (let j = 0; j < d; j++) this.mean[j] /= n;
    this.centred = f.x; // checkFeatures made a copy: centre it in place
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) this.centred[i * d + j] -= this.mean[j];
  }

  /** The Gram matrix of the centred features: ZᵀZ (D × D) on the primal side, ZZᵀ (N × N) otherwise. */
  get gram(): Float64Array {
    this.gramCache ??= this.primal ? gramOfColumns(this.centred, this.n, this.d) : gramOfRows(this.centred, this.n, this.d);
    return this.gramCache;
  }

  /** The spectrum of the centred features Z = F − 1·meanᵀ. */
  centredSpectrum(): Spectrum {
    this.centredCache ??= this.spectrum(this.gram, this.primal ? this.classSums(false) : this.indicators());
    return this.centredCache;
  }

  /** The spectrum of the features as given (LogME does not centre them). */
  rawSpectrum(): Spectrum {
    if (this.rawCache) return this.rawCache;
    const { n, d, mean } = this;
    // FᵀF = ZᵀZ + N·μμᵀ;  (FFᵀ)ᵢⱼ = (ZZᵀ)ᵢⱼ + zᵢ·μ + zⱼ·μ + |μ|²  (a sum of the centred Gram and the mean's part)
    const g = Float64Array.from(this.gram);
    if (this.primal) {
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) g[a * d + b] += n * mean[a] * mean[b];
    } else {
      const along = new Float64Array(n);
      let mm = 0;
      for (let j = 0; j < d; j++) mm += mean[j] * mean[j];
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) along[i] += this.centred[i * d + j] * mean[j];
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g[i * n + j] += along[i] + along[j] + mm;
    }
    this.rawCache = this.spectrum(g, this.primal ? this.classSums(true) : this.indicators());
    return this.rawCache;
  }

  /** The rows of class k of the centred features, [n_k, D]. */
  classRows(k: number): Float64Array {
    const { d } = this;
    const out = new Float64Array(this.counts[k] * d);
    let r = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.labels[i] === k) out.set(this.centred.subarray(i * d, (i + 1) * d), d * r++);
    }
    return out;
  }

  /**
   * ½·log det(I + ZₖᵀZₖ/(nₖ·ε)) for the centred rows Zₖ of class k (the coding rate of TransRate), from the
   * smaller of the two Gram matrices of Zₖ (the determinants are equal): min(nₖ, D)³ work.
   */
  classCodingRate(k: number, eps: number): number {
    const { d } = this;
    const nk = this.counts[k];
    let g: Float64Array;
    let m: number;
    if (!this.primal) {
      // the class's block of the N × N Gram matrix
      const members: number[] = [];
      this.labels.forEach((v, i) => v === k && members.push(i));
      m = nk;
      g = new Float64Array(m * m);
      for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) g[a * m + b] = this.gram[members[a] * this.n + members[b]];
    } else {
      const rows = this.classRows(k);
      m = Math.min(nk, d);
      g = nk <= d ? gramOfRows(rows, nk, d) : gramOfColumns(rows, nk, d);
    }
    return codingRateOfGram(g, m, nk, d, eps);
  }

  private spectrum(gram: Float64Array, block: Float64Array): Spectrum {
    const size = this.primal ? this.d : this.n;
    const C = this.classes;
    const { values, projected } = symmetricEigen(gram, size, block, C);
    const floor = nullFloor(values, this.n, this.d);
    const sigma = new Float64Array(size);
    const proj = new Float64Array(size * C);
    for (let j = 0; j < size; j++) {
      if (!(values[j] > floor)) continue; // null direction: σ = 0, projection 0
      sigma[j] = values[j];
      // primal: uⱼ = F·vⱼ/sⱼ, so uⱼ·1ₖ = vⱼ·(Σ_{i∈k} fᵢ)/sⱼ; dual: uⱼ is the eigenvector itself
      const scale = this.primal ? 1 / Math.sqrt(values[j]) : 1;
      for (let k = 0; k < C; k++) proj[j * C + k] = projected[j * C + k] * scale;
    }
    return { sigma, proj };
  }

  /** D × C: column k is the sum of the (centred or raw) feature rows of class k. */
  private classSums(raw: boolean): Float64Array {
    const { n, d, classes: C } = this;
    const s = new Float64Array(d * C);
    for (let i = 0; i < n; i++) {
      const k = this.labels[i];
      for (let j = 0; j < d; j++) s[j * C + k] += this.centred[i * d + j];
    }
    if (raw) for (let k = 0; k < C; k++) for (let j = 0; j < d; j++) s[j * C + k] += this.counts[k] * this.mean[j];
    return s;
  }

  /** N × C: the class indicators 1[y = k] as columns. */
  private indicators(): Float64Array {
    const C = this.classes;
    const out = new Float64Array(this.n * C);
    this.labels.forEach((k, i) => (out[i * C + k] = 1));
    return out;
  }
}

/**
 * ½·log det(I + G/(n·ε)) for the m × m Gram matrix G of n samples of dimension d, from G's eigenvalues with the
 * null ones (the rank rule of {@link Spectrum}) set to 0. Not by Cholesky: at feature scales of 10⁶ and more,
 * rounding noise in a rank-deficient G (dead or collinear units) exceeds n·ε and would count as coded
 * directions (or make I + G/(n·ε) indefinite).
 */
export function codingRateOfGram(g: Float64Array, m: number, n: number, d: number, eps: number): number {
  const values = symmetricEigen(g, m).values;
  const floor = nullFloor(values, n, d);
  return codingRateOfSpectrum(values.map((v) => (v > floor ? v : 0)), n, eps);
}

/** Eigenvalues of a Gram matrix of an n × d matrix at most this are numerically zero (NumPy's matrix_rank rule). */
export function nullFloor(values: Float64Array, n: number, d: number): number {
  let top = 0;
  for (const v of values) top = Math.max(top, v);
  return Math.max(n, d) * EPS * top;
}

/** ½·Σⱼ log(1 + σⱼ/(n·ε)): the coding rate from the squared singular values of the n samples. */
export function codingRateOfSpectrum(sigma: Float64Array, n: number, eps: number): number {
  let s = 0;
  for (const v of sigma) s += log1p(v / (n * eps));
  return s / 2;
}
