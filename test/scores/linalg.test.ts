import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codingRateOfGram, codingRateOfSpectrum } from '../../src/scores/analysis.js';
import { gramOfColumns, gramOfRows, hypot, logDetSpd, pivotedCholesky, symmetricEigen } from '../../src/scores/linalg.js';
import { Rng } from '../../src/util/rng.js';
import { relDiff } from '../helpers/numeric.js';

const eigenFixture = JSON.parse(readFileSync(new URL('../fixtures/scores/eigen.json', import.meta.url), 'utf8')) as {
  matrices: { name: string; n: number; a: number[]; values: number[] }[];
};

function randomSymmetric(n: number, rng: Rng): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = rng.normal();
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** max over entries of |A·U − U·Λ| and |UᵀU − I|, relative to ‖A‖ (U's columns: the eigenvectors). */
function residuals(a: Float64Array, n: number) {
  const identity = new Float64Array(n * n);
  for (let i = 0; i < n; i++) identity[i * n + i] = 1;
  const { values, projected: ut } = symmetricEigen(a, n, identity, n); // rows of Uᵀ: eigenvectors
  let scale = 0;
  for (const x of a) scale = Math.max(scale, Math.abs(x));
  let fit = 0;
  let orth = 0;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let k = 0; k < n; k++) av += a[i * n + k] * ut[j * n + k];
      fit = Math.max(fit, Math.abs(av - values[j] * ut[j * n + i]));
    }
    for (let l = 0; l < n; l++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += ut[j * n + k] * ut[l * n + k];
      orth = Math.max(orth, Math.abs(dot - (j === l ? 1 : 0)));
    }
  }
  return { values, fit: fit / Math.max(scale, 1e-300), orth };
}

describe('symmetricEigen', () => {
  it.each(eigenFixture.matrices.map((m) => [m.name, m] as const))('equals numpy.linalg.eigvalsh on %s', (_, m) => {
    const { values, fit, orth } = residuals(Float64Array.from(m.a), m.n);
    const top = Math.max(...m.values.map(Math.abs));
    const err = Math.max(...m.values.map((v, i) => Math.abs(values[i] - v)));
    expect(err / top).toBeLessThan(1e-13);
    expect(fit).toBeLessThan(1e-13);
    expect(orth).toBeLessThan(1e-13);
  });

  it('diagonalises random symmetric matrices of every small size (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 1, max: 1e6 }), (n, seed) => {
        const a = randomSymmetric(n, new Rng(seed, 'eig'));
        const { values, fit, orth } = residuals(a, n);
        for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
        let trace = 0;
        for (let i = 0; i < n; i++) trace += a[i * n + i];
        expect(Math.abs(values.reduce((s, v) => s + v, 0) - trace)).toBeLessThan(1e-11 * (1 + n));
        expect(fit).toBeLessThan(1e-13);
        expect(orth).toBeLessThan(1e-13);
      }),
      { numRuns: 60 },
    );
  });

  it('handles the zero matrix, exact zeros off the diagonal and huge or tiny scales', () => {
    expect([...symmetricEigen(new Float64Array(9), 3).values]).toEqual([0, 0, 0]);
    // block diagonal: the reduction meets rows that are already reduced
    const block = new Float64Array([2, 1, 0, 0, 1, 2, 0, 0, 0, 0, 5, 0, 0, 0, 0, -1]);
    expect(relDiff(symmetricEigen(block, 4).values, [-1, 1, 3, 5])).toBeLessThan(1e-15);
    for (const s of [1e-150, 1e150]) {
      const a = Float64Array.from([2, 1, 1, 2].map((x) => x * s));
      expect(relDiff(symmetricEigen(a, 2).values, [s, 3 * s])).toBeLessThan(1e-15);
    }
  });

  it('projects B without forming the eigenvectors: Uᵀ·B equals (Uᵀ)·B formed explicitly', () => {
    const n = 30;
    const c = 3;
    const rng = new Rng(4, 'proj');
    const a = randomSymmetric(n, rng);
    const b = Float64Array.from({ length: n * c }, () => rng.normal());
    const identity = new Float64Array(n * n);
    for (let i = 0; i < n; i++) identity[i * n + i] = 1;
    const full = symmetricEigen(a, n, identity, n).projected;
    const direct = symmetricEigen(a, n, b, c).projected;
    const explicit = new Float64Array(n * c);
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < c; k++) for (let i = 0; i < n; i++) explicit[j * c + k] += full[j * n + i] * b[i * c + k];
    }
    expect(relDiff(direct, explicit)).toBeLessThan(1e-13);
  });

  it('reads only the lower triangle', () => {
    const n = 15;
    const a = randomSymmetric(n, new Rng(12, 'lower'));
    const junk = Float64Array.from(a);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) junk[i * n + j] = NaN;
    expect(symmetricEigen(junk, n).values).toEqual(symmetricEigen(a, n).values);
  });

  it('is deterministic (the same bits twice)', () => {
    const a = randomSymmetric(40, new Rng(9, 'det'));
    const b = Float64Array.from({ length: 80 }, (_, i) => Math.sin(i));
    const r1 = symmetricEigen(a, 40, b, 2);
    const r2 = symmetricEigen(a, 40, b, 2);
    expect(Buffer.from(r1.values.buffer).equals(Buffer.from(r2.values.buffer))).toBe(true);
    expect(Buffer.from(r1.projected.buffer).equals(Buffer.from(r2.projected.buffer))).toBe(true);
  });
});

describe('Cholesky factorisations and coding rates', () => {
  const rng = new Rng(11, 'chol');
  const lowRank = (m: number, r: number, scale = 1) => {
    const b = Float64Array.from({ length: m * r }, () => scale * rng.normal());
    return gramOfRows(b, m, r);
  };

  it('pivotedCholesky finds the rank of a PSD matrix and reproduces it', () => {
    for (const [m, r] of [
      [12, 12],
      [12, 5],
      [30, 1],
      [8, 0],
    ]) {
      const g = r === 0 ? new Float64Array(m * m) : lowRank(m, r);
      let trace = 0;
      for (let i = 0; i < m; i++) trace += g[i * m + i];
      const { l, rank } = pivotedCholesky(g, m, m * 2 ** -52 * trace);
      expect(rank).toBe(r);
      let err = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < m; j++) {
          let s = 0;
          for (let k = 0; k < rank; k++) s += l[i * m + k] * l[j * m + k];
          err = Math.max(err, Math.abs(s - g[i * m + j]));
        }
      }
      expect(err).toBeLessThanOrEqual(1e-12 * Math.max(trace, 1));
    }
  });

  it('logDetSpd equals the sum of the log-eigenvalues and refuses an indefinite matrix', () => {
    const g = lowRank(20, 30);
    const logs = symmetricEigen(g, 20).values.reduce((s, v) => s + Math.log(v), 0);
    expect(Math.abs(logDetSpd(g, 20) - logs) / Math.abs(logs)).toBeLessThan(1e-13);
    expect(() => logDetSpd(new Float64Array([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });

  it('the coding rate by pivoted Cholesky equals the one from the eigenvalues (full rank and rank-deficient)', () => {
    for (const [m, r, n] of [
      [16, 16, 40],
      [16, 6, 40],
      [25, 25, 25],
    ]) {
      const g = lowRank(m, r);
      const values = symmetricEigen(g, m).values;
      const top = values[m - 1];
      const plain = codingRateOfSpectrum(values.map((v) => (v > m * 2 ** -52 * top * 16 ? v : 0)), n, 1e-4);
      expect(Math.abs(codingRateOfGram(g, m, n, m, 1e-4) - plain) / plain).toBeLessThan(1e-12);
    }
  });
});

describe('Gram matrices and hypot', () => {
  it('gramOfRows and gramOfColumns equal the plain sums', () => {
    const rng = new Rng(2, 'gram');
    for (const [rows, cols] of [
      [1, 1],
      [7, 3],
      [37, 70],
      [70, 37],
    ]) {
      const a = Float64Array.from({ length: rows * cols }, () => rng.normal());
      const byRows = gramOfRows(a, rows, cols);
      const byCols = gramOfColumns(a, rows, cols);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < rows; j++) {
          let s = 0;
          for (let k = 0; k < cols; k++) s += a[i * cols + k] * a[j * cols + k];
          expect(byRows[i * rows + j]).toBe(s); // the same summation order: the same bits
        }
      }
      for (let i = 0; i < cols; i++) {
        for (let j = 0; j < cols; j++) {
          let s = 0;
          for (let k = 0; k < rows; k++) s += a[k * cols + i] * a[k * cols + j];
          expect(byCols[i * cols + j]).toBe(s);
        }
      }
    }
  });

  it('hypot is exact on Pythagorean triples and survives extreme scales', () => {
    expect(hypot(3, 4)).toBe(5);
    expect(hypot(-5, 12)).toBe(13);
    expect(hypot(0, 0)).toBe(0);
    expect(hypot(3e200, 4e200)).toBeCloseTo(5e200, -190);
    expect(hypot(3e-200, 4e-200) / 5e-200).toBeCloseTo(1, 14);
  });
});
