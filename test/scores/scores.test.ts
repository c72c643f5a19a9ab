import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScoreInput } from '../../src/cli/score.js';
import { codingRateOfGram } from '../../src/scores/analysis.js';
import { gramOfColumns, gramOfRows } from '../../src/scores/linalg.js';
import {
  hscore,
  knnAccuracy,
  leep,
  logme,
  nce,
  ScoreInputError,
  transferScores,
  transrate,
  TRANSRATE_EPS,
  type Matrix,
  type TransferScores,
} from '../../src/scores/index.js';
import { Rng } from '../../src/util/rng.js';
import { userErrorOf } from '../helpers/errors.js';

/**
 * The scores against the NumPy fixtures (test/fixtures/scores/make_scores.py: an independent implementation
 * from the papers, itself checked against the authors' published algorithms), and their behaviour on
 * degenerate input: a one-line error or a documented value, never NaN.
 */

const fixtureDir = new URL('../fixtures/scores/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', fixtureDir), 'utf8')) as {
  knnK: number;
  knnQueries: number;
  cases: (Record<string, number> & { name: string; file: string })[];
};

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const scoreKeys = ['logme', 'hscore', 'transrate', 'leep', 'nce'] as const;

describe('scores equal the NumPy fixtures to 1e-6 relative', () => {
  it.each(expected.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const input = loadScoreInput(new URL(c.file, fixtureDir).pathname);
    const s = transferScores(input);
    expect([s.n, s.d, s.classes]).toEqual([c.n, c.d, c.classes]);
    for (const key of scoreKeys) {
      if (c[key] === undefined) {
        expect(s[key]).toBeUndefined();
        continue;
      }
      expect(rel(s[key]!, c[key]), key).toBeLessThan(1e-6);
    }
    expect(s.knn).toBe(c.knn); // a count over the same queries: exactly
    expect(s.knnK).toBe(expected.knnK);
    expect(s.knnQueries).toBe(Math.min(c.n, expected.knnQueries));
    expect(transferScores(input, { knn: { k: 1 } }).knn).toBe(c.knn1);
    // the single-score functions give the combined function's bits
    expect(logme(input.features, input.labels)).toBe(s.logme);
    expect(hscore(input.features, input.labels)).toBe(s.hscore);
    expect(transrate(input.features, input.labels)).toBe(s.transrate);
    expect(knnAccuracy(input.features, input.labels)).toBe(s.knn);
    if (input.sourceProbs) {
      expect(leep(input.sourceProbs, input.labels)).toBe(s.leep);
      expect(nce(input.sourceProbs, input.labels)).toBe(s.nce);
    }
  });
});

function matrix(rows: number, cols: number, f: (i: number, j: number) => number): Matrix {
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, (_, a) => f(Math.floor(a / cols), a % cols)) };
}

function gaussian(rows: number, cols: number, seed: number, labels?: ArrayLike<number>, shift = 1): Matrix {
  const rng = new Rng(seed, 'features');
  return matrix(rows, cols, (i, j) => rng.normal() + (labels ? shift * Math.cos(labels[i] * 7 + j) : 0));
}

const finite = (s: TransferScores) => [s.logme, s.hscore, s.transrate, s.knn, s.leep ?? 0, s.nce ?? 0].every(Number.isFinite);
const cycle = (n: number, c: number) => Int32Array.from({ length: n }, (_, i) => i % c);

describe('degenerate input: a documented value', () => {
  it('D > N: every score is finite and H-score is C − 1 (the centred features have rank N − 1)', () => {
    const y = cycle(12, 3);
    const s = transferScores({ features: gaussian(12, 40, 1, y), labels: y });
    expect(finite(s)).toBe(true);
    expect(s.hscore).toBeCloseTo(2, 10);
    // still a score of the features: LogME and TransRate see the class structure
    const flat = transferScores({ features: gaussian(12, 40, 1), labels: y });
    expect(s.transrate).not.toBe(flat.transrate);
  });

  it('constant features: H-score 0, TransRate 0, LogME finite, k-NN by the tie rule (the lowest indices vote)', () => {
    const y = Int32Array.of(0, 1, 1, 0, 1, 0, 0, 1);
    const s = transferScores({ features: matrix(8, 3, (_, j) => j + 0.5), labels: y });
    expect(s.hscore).toBe(0);
    expect(s.transrate).toBe(0);
    expect(Number.isFinite(s.logme)).toBe(true);
    // every distance is 0: sample i's neighbours are the 5 lowest other indices, the vote ties break to the nearest
    let correct = 0;
    for (let i = 0; i < 8; i++) {
      const nb = [0, 1, 2, 3, 4, 5, 6, 7].filter((j) => j !== i).slice(0, 5);
      const ones = nb.filter((j) => y[j] === 1).length;
      const predicted = ones > 2 ? 1 : 0; // 5 voters: no tie
      if (predicted === y[i]) correct++;
    }
    expect(s.knn).toBe(correct / 8);
  });

  it('one constant column among informative ones changes nothing but LogME', () => {
    const y = cycle(60, 3);
    const base = gaussian(60, 5, 2, y);
    const withConst = matrix(60, 6, (i, j) => (j < 5 ? base.data[i * 5 + j] : 3));
    const a = transferScores({ features: base, labels: y });
    const b = transferScores({ features: withConst, labels: y });
    expect(rel(b.hscore, a.hscore)).toBeLessThan(1e-10);
    expect(rel(b.transrate, a.transrate)).toBeLessThan(1e-10);
    expect(b.knn).toBe(a.knn);
  });

  it('two samples, two classes: the smallest valid input', () => {
    const s = transferScores({ features: matrix(2, 3, (i, j) => i + j), labels: [0, 1], sourceProbs: matrix(2, 2, (i, j) => (i === j ? 0.9 : 0.1)) });
    expect(finite(s)).toBe(true);
    expect(s.hscore).toBeCloseTo(1, 12);
    expect(s.knn).toBe(0); // the only neighbour is of the other class
    expect(s.knnK).toBe(1);
  });

  it('LEEP and NCE: 0 for a source head that determines the labels, −H(Y) for a one-class head', () => {
    const y = Int32Array.of(0, 0, 1, 2, 2, 2);
    const oneHot = matrix(6, 4, (i, j) => (j === [3, 3, 0, 1, 1, 1][i] ? 1 : 0));
    expect(leep(oneHot, y)).toBe(0);
    expect(nce(oneHot, y)).toBe(0);
    const entropy = -[2, 1, 3].reduce((h, c) => h + (c / 6) * Math.log(c / 6), 0);
    const single = matrix(6, 1, () => 1);
    expect(leep(single, y)).toBeCloseTo(-entropy, 14);
    expect(nce(single, y)).toBeCloseTo(-entropy, 14);
  });

  it('never NaN: random small inputs, constant and duplicated columns and rows, extreme scales (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 25 }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: -8, max: 8 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 1e6 }),
        (n0, d, c0, exponent, degeneracy, seed) => {
          const c = Math.min(c0, n0);
          const n = Math.max(n0, c);
          const rng = new Rng(seed, 'prop');
          const y = Int32Array.from({ length: n }, (_, i) => (i < c ? i : rng.int(c)));
          const scale = 10 ** exponent;
          const f = matrix(n, d, (i, j) => {
            if (degeneracy === 1 && j === 0) return scale; // a constant column
            if (degeneracy === 2 && i > 0) return scale * Math.sin(i % 2 + j); // rows repeat
            return scale * (rng.normal() + (y[i] === j % c ? 1 : 0));
          });
          const x = f.data as Float64Array;
          if (degeneracy === 3 && d > 1) for (let i = 0; i < n; i++) x[i * d + 1] = x[i * d]; // a duplicated column
          const probs = matrix(n, 3, () => 1 / 3);
          const s = transferScores({ features: f, labels: y, sourceProbs: probs });
          expect(finite(s)).toBe(true);
          expect(s.hscore).toBeGreaterThanOrEqual(-1e-9);
          expect(s.hscore).toBeLessThanOrEqual(c - 1 + 1e-6);
          expect(s.knn).toBeGreaterThanOrEqual(0);
          expect(s.knn).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('features that fit the labels exactly at a large scale (D ≥ N): LogME stays finite', () => {
    // N − γ = Σ t/(σ + t) is tiny but positive; computed as N − Σ σ/(σ + t) it rounds to 0 and LogME was NaN
    for (const scale of [1, 1e4, 1e8, 1e12]) {
      const s = transferScores({ features: matrix(2, 3, (i, j) => scale * (i === j ? 1 : 0.3 * (i + j))), labels: [0, 1] });
      expect(Number.isFinite(s.logme)).toBe(true);
    }
  });

  it('TransRate of rank-deficient features at a large scale counts only the real directions', () => {
    // Z = A·M: 2 informative directions spread over 8 units (collinear units) at scale 1e8. Rounding noise in the
    // 8 × 8 Gram matrix is ~1e-16·‖Z‖² ≫ n·ε; the null rule drops it, so the coding rate equals the 2 × 2 one:
    // det(I₈ + MᵀAᵀAM/(nε)) = det(I₂ + AᵀA·MMᵀ/(nε))  (Sylvester).
    const n = 30;
    const rng = new Rng(6, 'embed');
    const A = Float64Array.from({ length: n * 2 }, () => 1e8 * rng.normal());
    const M = Float64Array.from({ length: 16 }, () => rng.normal());
    const Z = new Float64Array(n * 8);
    for (let i = 0; i < n; i++) for (let j = 0; j < 8; j++) Z[i * 8 + j] = A[i * 2] * M[j] + A[i * 2 + 1] * M[8 + j];
    const s = 1 / (n * TRANSRATE_EPS);
    const ata = [0, 0, 0, 0];
    const mmt = [0, 0, 0, 0];
    for (let a = 0; a < 2; a++) {
      for (let b = 0; b < 2; b++) {
        for (let i = 0; i < n; i++) ata[a * 2 + b] += A[i * 2 + a] * A[i * 2 + b];
        for (let j = 0; j < 8; j++) mmt[a * 2 + b] += M[a * 8 + j] * M[b * 8 + j];
      }
    }
    const p = [0, 1, 2, 3].map((ab) => s * (ata[(ab >> 1) * 2] * mmt[ab & 1] + ata[(ab >> 1) * 2 + 1] * mmt[2 + (ab & 1)]));
    const exact = Math.log((1 + p[0]) * (1 + p[3]) - p[1] * p[2]) / 2;
    const rate = codingRateOfGram(gramOfColumns(Z, n, 8), 8, n, 8, TRANSRATE_EPS);
    expect(rel(rate, exact)).toBeLessThan(1e-9);
    // the same through the dual (n × n) Gram matrix
    expect(rel(codingRateOfGram(gramOfRows(Z, n, 8), n, n, 8, TRANSRATE_EPS), exact)).toBeLessThan(1e-9);
  });

  it('H-score is invariant to an invertible linear map of the features; LogME sees the scale', () => {
    const y = cycle(50, 4);
    const f = gaussian(50, 6, 3, y);
    const mapped = matrix(50, 6, (i, j) => 1e5 * f.data[i * 6 + j] + 3 * (f.data[i * 6 + ((j + 1) % 6)] as number) - 7);
    expect(rel(hscore(mapped, y), hscore(f, y))).toBeLessThan(1e-9);
    expect(rel(logme(mapped, y), logme(f, y))).toBeGreaterThan(0.1);
  });
});

describe('degenerate input: a one-line error naming the input', () => {
  const f = gaussian(6, 3, 4);
  const y = [0, 1, 2, 0, 1, 2];
  const p = matrix(6, 2, () => 0.5);

  it.each([
    ['one class', () => transferScores({ features: f, labels: [1, 1, 1, 1, 1, 1].map(() => 0) }), /^labels: every label is 0: the scores compare classes and need at least 2$/],
    ['all-zero features', () => transferScores({ features: matrix(6, 3, () => 0), labels: y }), /^features: every value is 0 .*LogME is undefined/],
    ['NaN in features', () => transferScores({ features: matrix(6, 3, (i, j) => (i === 4 && j === 1 ? NaN : 1)), labels: y }), /^features: value at \[4, 1\] is NaN; every value must be finite$/],
    ['a huge feature', () => transferScores({ features: matrix(6, 3, (i) => (i === 5 ? 2e100 : 1)), labels: y }), /^features: value at \[5, 0\] is 2e\+100; values beyond ±1e\+100 overflow the Gram matrices$/],
    ['Inf in features', () => logme(matrix(6, 3, (i) => (i === 2 ? -Infinity : i)), y), /^features: value at \[2, 0\] is -Infinity/],
    ['features of the wrong size', () => hscore({ data: new Float64Array(17), rows: 6, cols: 3 }, y), /^features: 17 values for shape \[6, 3\] \(expected 18\)$/],
    ['D = 0', () => transrate({ data: new Float64Array(0), rows: 6, cols: 0 }, y), /^features: shape \[6, 0\]; expected \[N, D\] with both sizes ≥ 1$/],
    ['too few labels', () => transferScores({ features: f, labels: y.slice(1) }), /^labels: 5 labels for 6 samples; expected \[N\], one label per sample$/],
    ['a negative label', () => transferScores({ features: f, labels: [0, 1, -1, 0, 1, 1] }), /^labels: label 2 is -1; labels must be integer classes 0, 1, 2, …$/],
    ['a fractional label', () => transferScores({ features: f, labels: [0, 1, 2.5, 0, 1, 1] }), /^labels: label 2 is 2.5; labels must be integer classes/],
    ['a NaN label', () => transferScores({ features: f, labels: [0, 1, NaN, 0, 1, 1] }), /^labels: label 2 is NaN/],
    ['a label ≥ N', () => transferScores({ features: f, labels: [0, 1, 2, 0, 1, 1e9] }), /^labels: label 5 is 1000000000, but 6 samples can hold classes 0…5 at most/],
    ['a missing class', () => transferScores({ features: f, labels: [0, 1, 3, 0, 1, 3] }), /^labels: class 2 has no samples; classes must be 0…C−1 with every class present \(here C = 4\)$/],
    ['sourceProbs with too few rows', () => transferScores({ features: f, labels: y, sourceProbs: matrix(5, 2, () => 0.5) }), /^sourceProbs: 5 rows for 6 samples/],
    ['sourceProbs not summing to 1', () => transferScores({ features: f, labels: y, sourceProbs: matrix(6, 2, (i) => (i === 3 ? 0.4 : 0.5)) }), /^sourceProbs: row 3 sums to 0.8; each row must be the source head's softmax \(sum 1 ± 0.001\)$/],
    ['a negative probability', () => leep(matrix(6, 2, (i, j) => (i === 1 ? [1.5, -0.5][j] : 0.5)), y), /^sourceProbs: value at \[1, 0\] is 1.5; probabilities lie in \[0, 1\]$/],
    ['NaN in sourceProbs', () => nce(matrix(6, 2, (i) => (i === 0 ? NaN : 0.5)), y), /^sourceProbs: value at \[0, 0\] is NaN/],
    ['k-NN with k = 0', () => knnAccuracy(f, y, { k: 0 }), /^options: knn k must be an integer ≥ 1 \(got 0\)$/],
    ['k-NN with 2.5 queries', () => transferScores({ features: f, labels: y, sourceProbs: p }, { knn: { queries: 2.5 } }), /^options: knn queries must be an integer ≥ 1/],
  ])('%s', (_, fn, message) => {
    expect(userErrorOf(fn)).toMatch(message);
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ScoreInputError);
    }
  });
});

describe('k-NN', () => {
  it('breaks distance ties by the lower index and vote ties by the nearest class (exact integer features)', () => {
    // 1-D points: 0 (class 0), 1 (class 1), 1 (class 2), 3 (class 0), 10 (class 1), 10 (class 1)
    const f = matrix(6, 1, (i) => [0, 1, 1, 3, 10, 10][i]);
    const y = [0, 1, 2, 0, 1, 1];
    // k = 1: sample 0's nearest are samples 1 and 2 (both at 1): the lower index, class 1 → wrong; sample 1 → sample 2
    // (distance 0) → class 2, wrong; sample 2 → sample 1 → wrong; sample 3 → samples 1, 2 (distance 2) → 1, wrong;
    // samples 4, 5 → each other → right.
    expect(knnAccuracy(f, y, { k: 1 })).toBe(2 / 6);
    // k = 2: sample 0 → {1, 2}: classes 1 and 2 tie, the nearest (sample 1) wins → 1, wrong; sample 3 → {1, 2} → 1,
    // wrong; sample 1 → {2, 0} (0 at distance 1, 3 at distance 4) → tie of 2 and 0, nearest is 2 → wrong;
    // sample 2 → {1, 0} → 1, wrong; samples 4, 5 → {other 10, 3} → tie 1 vs 0, nearest is 1 → right.
    expect(knnAccuracy(f, y, { k: 2 })).toBe(2 / 6);
    // k = 3: sample 0 → {1, 2, 3} → classes 1, 2, 0 one each → nearest, 1 → wrong; sample 3 → {1, 2, 0} → 1 → wrong;
    // samples 4, 5 → {other 10, 3, then 1 (index 1 before 2)} → class 1 twice → right; sample 1 → {2, 0, 3} → 0
    // twice → wrong; sample 2 → {1, 0, 3} → 0 → wrong.
    expect(knnAccuracy(f, y, { k: 3 })).toBe(2 / 6);
    // k = 5 = N − 1: every other sample votes
    expect(knnAccuracy(f, y, { k: 50 })).toBe(knnAccuracy(f, y, { k: 5 }));
  });

  it('equals a brute-force search (exact distances, sorted by distance then index) on random data and query subsets', () => {
    function bruteForce(f: Matrix, y: ArrayLike<number>, k: number, queries: number[]): number {
      const { rows: n, cols: d } = f;
      let correct = 0;
      for (const i of queries) {
        const order = Array.from({ length: n }, (_, j) => j)
          .filter((j) => j !== i)
          .map((j) => {
            let dist = 0;
            for (let t = 0; t < d; t++) dist += ((f.data[i * d + t] as number) - (f.data[j * d + t] as number)) ** 2;
            return { j, dist };
          })
          .sort((a, b) => a.dist - b.dist || a.j - b.j)
          .slice(0, k);
        const votes = new Map<number, number>();
        for (const { j } of order) votes.set(y[j], (votes.get(y[j]) ?? 0) + 1);
        const top = Math.max(...votes.values());
        if (y[order.find(({ j }) => votes.get(y[j]) === top)!.j] === y[i]) correct++;
      }
      return correct / queries.length;
    }
    for (const [n, d, c, seed] of [
      [40, 4, 2, 7],
      [57, 9, 3, 8],
      [33, 50, 4, 9],
    ]) {
      const y = cycle(n, c);
      const f = gaussian(n, d, seed, y, 0.6);
      for (const k of [1, 3, 5]) {
        expect(knnAccuracy(f, y, { k })).toBe(bruteForce(f, y, k, Array.from({ length: n }, (_, i) => i)));
        const picks = Array.from({ length: 10 }, (_, j) => Math.floor((j * n) / 10)); // evenly spaced
        expect(knnAccuracy(f, y, { k, queries: 10 })).toBe(bruteForce(f, y, k, picks));
      }
    }
    const y = cycle(40, 2);
    expect(transferScores({ features: gaussian(40, 3, 1, y), labels: y }, { knn: { queries: 10 } }).knnQueries).toBe(10);
  });

  it('is deterministic and independent of the feature offset', () => {
    const y = cycle(30, 3);
    const f = gaussian(30, 5, 8, y);
    const shifted = matrix(30, 5, (i, j) => (f.data[i * 5 + j] as number) + 1000);
    expect(knnAccuracy(f, y)).toBe(knnAccuracy(f, y));
    expect(knnAccuracy(shifted, y)).toBe(knnAccuracy(f, y));
  });
});
