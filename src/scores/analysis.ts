import { checkFeatures, checkLabels, type Matrix } from './input.js';
import { gramOfColumns, gramOfRows, logDetSpd, pivotedCholesky, symmetricEigen } from './linalg.js';
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
  /** the classes' Gram matrices, kept from the sum that made the primal Gram when they are no larger than 4× F */
  private classGrams?: Float64Array[];
  private coreCache?: GramCore[];
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

  /**
   * The Gram matrix of the centred features: ZᵀZ (D × D) on the primal side, the sum of the classes' ZₖᵀZₖ in
   * class order (TransRate needs each); ZZᵀ (N × N) otherwise, whose diagonal blocks are the classes' ZₖZₖᵀ.
   */
  get gram(): Float64Array {
    if (this.gramCache) return this.gramCache;
    const { n, d } = this;
    if (!this.primal) {
      this.gramCache = gramOfRows(this.centred, n, d);
      return this.gramCache;
    }
    const sum = new Float64Array(d * d);
    const keep = this.classes * d * d <= 4 * n * d;
    const grams: Float64Array[] = [];
    for (let k = 0; k < this.classes; k++) {
      const g = this.classGram(k);
      for (let i = 0; i < sum.length; i++) sum[i] += g[i];
      if (keep) grams.push(g);
    }
    this.classGrams = keep ? grams : undefined;
    this.gramCache = sum;
    return sum;
  }

  /** The Gram matrix of class k's centred rows Zₖ: ZₖᵀZₖ (D × D) on the primal side, ZₖZₖᵀ (nₖ × nₖ) otherwise. */
  private classGram(k: number): Float64Array {
    const { d } = this;
    const nk = this.counts[k];
    if (this.primal) return gramOfColumns(this.classRows(k), nk, d);
    const members: number[] = [];
    this.labels.forEach((v, i) => v === k && members.push(i));
    const g = new Float64Array(nk * nk);
    const whole = this.gram;
    for (let a = 0; a < nk; a++) for (let b = 0; b < nk; b++) g[a * nk + b] = whole[members[a] * this.n + members[b]];
    return g;
  }

  /** Per class, the rank-revealing Cholesky core of its Gram matrix (see gramCore). */
  classCores(): GramCore[] {
    if (!this.coreCache) {
      const size = (k: number) => (this.primal ? this.d : this.counts[k]);
      this.coreCache = Array.from(this.counts, (nk, k) => gramCore(this.classGrams?.[k] ?? this.classGram(k), size(k), nk, this.d));
      this.classGrams = undefined;
    }
    return this.coreCache;
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

  /** ½·log det(I + ZₖᵀZₖ/(nₖ·ε)) for the centred rows Zₖ of class k: the coding rate of TransRate. */
  classCodingRate(k: number, eps: number): number {
    return codingRateOfCore(this.classCores()[k], this.counts[k], eps);
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
 * The Gram matrix G (m × m) of n samples of dimension d, reduced to what its coding rates need: a
 * rank-revealing Cholesky factor G ≈ L·Lᵀ of r columns, pivots at most max(n, d)·2⁻⁵²·trace(G) counting as
 * zero (the rounding noise of a rank-deficient G: dead or collinear units), and the core LᵀL (r × r), or G
 * itself when r = m. Then log det(I + G/(n·ε)) = log det(I + core/(n·ε)) (Sylvester). Not a plain Cholesky of
 * I + G/(n·ε): at feature scales of 10⁶ and more the noise exceeds n·ε and would count as coded directions,
 * or make the matrix indefinite.
 */
export interface GramCore {
  core: Float64Array;
  rank: number;
}

export function gramCore(g: Float64Array, m: number, n: number, d: number): GramCore {
  let trace = 0;
  for (let i = 0; i < m; i++) trace += g[i * m + i];
  const { l, rank } = pivotedCholesky(g, m, Math.max(n, d) * EPS * trace);
  if (rank === m) return { core: g, rank };
  const factor = new Float64Array(m * rank);
  for (let i = 0; i < m; i++) factor.set(l.subarray(i * m, i * m + rank), i * rank);
  return { core: gramOfColumns(factor, m, rank), rank };
}

/** ½·log det(I + LᵀL/(n·ε)) for the core of a Gram matrix of n samples. */
export function codingRateOfCore({ core, rank }: GramCore, n: number, eps: number): number {
  const a = new Float64Array(rank * rank);
  const scale = 1 / (n * eps);
  for (let i = 0; i < a.length; i++) a[i] = core[i] * scale;
  for (let i = 0; i < rank; i++) a[i * rank + i] += 1;
  return logDetSpd(a, rank) / 2;
}

/** ½·log det(I + G/(n·ε)) for the m × m Gram matrix G of n samples of dimension d (see gramCore). */
export function codingRateOfGram(g: Float64Array, m: number, n: number, d: number, eps: number): number {
  return codingRateOfCore(gramCore(g, m, n, d), n, eps);
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
