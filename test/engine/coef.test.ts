import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, findPreset, presetConfig } from '../../src/config/presets.js';
import { experimentSchema, type ExperimentConfig } from '../../src/config/schema.js';
import { denseDataset, type Dataset } from '../../src/data/dataset.js';
import { makeFrame } from '../../src/data/frame.js';
import { makeTask, sampleTask } from '../../src/data/task.js';
import { autoEngine } from '../../src/engine/auto.js';
import { coefEngine } from '../../src/engine/coef.js';
import { coefPlan, denseCost } from '../../src/engine/cost.js';
import { denseEngine } from '../../src/engine/dense.js';
import { cross, gram, gramCost, gramOn } from '../../src/engine/gram.js';
import { getEngine } from '../../src/engine/registry.js';
import type { Engine, Freeze, TrainProblem, TrainResult } from '../../src/engine/types.js';
import { materialize, materializeRows } from '../../src/engine/weights.js';
import { runExperiment, type ExperimentResult } from '../../src/experiment/run.js';
import { plain } from '../../src/kernels/gemm.js';
import { getTensor, readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { inherit } from '../../src/transfer/inherit.js';
import { Rng } from '../../src/util/rng.js';
import { runCli } from '../helpers/cli.js';
import { relDiff } from '../helpers/numeric.js';


const TOL = 1e-9;

// ---------------------------------------------------------------------------------------------------
// Random problems on arbitrary data: dense X (A = N·P), dictionaries with repeated and scaled atoms,
// synthetic tasks; free, row-frozen and entry-frozen; with and without declared test sets.

interface ProblemSpec {
  seed: number;
  n: number;
  patches: number;
  d: number;
  m: number;
  steps: number;
  lr: number;
  layout: 'dense' | 'dictionary' | 'synthetic';
  freeze: 'none' | 'rows' | 'entries';
  frozenShare: number;
  threshold: boolean;
  evalSets: number;
  evalSize: number;
  checkpointSeed: number;
  sigma0: number;
}

const problemSpec: fc.Arbitrary<ProblemSpec> = fc.record({
  seed: fc.integer({ min: 0, max: 1e6 }),
  n: fc.integer({ min: 1, max: 7 }),
  patches: fc.integer({ min: 1, max: 3 }),
  d: fc.integer({ min: 1, max: 12 }),
  m: fc.integer({ min: 1, max: 3 }),
  steps: fc.integer({ min: 0, max: 14 }),
  lr: fc.double({ min: 0.05, max: 2, noNaN: true }),
  layout: fc.constantFrom('dense', 'dictionary', 'synthetic'),
  freeze: fc.constantFrom('none', 'rows', 'entries'),
  frozenShare: fc.constantFrom(0, 0.2, 0.5, 0.8, 1),
  threshold: fc.boolean(),
  evalSets: fc.integer({ min: 0, max: 2 }),
  evalSize: fc.integer({ min: 1, max: 40 }),
  checkpointSeed: fc.integer({ min: 0, max: 1e6 }),
  sigma0: fc.constantFrom(0, 0.05, 0.5),
});

/** A dataset with A < N·P atoms shared between patches with multipliers (the general dictionary form). */
function dictionary(rng: Rng, n: number, patches: number, d: number): Dataset {
  const A = 1 + rng.int(n * patches);
  const atoms = rng.fillNormal(new Float64Array(A * d));
  const atomOf = Int32Array.from({ length: n * patches }, () => rng.int(A));
  const mults = [1, -1, 0.5, -2];
  const multOf = Float64Array.from({ length: n * patches }, () => mults[rng.int(mults.length)]);
  const y = Float64Array.from({ length: n }, () => rng.sign());
  return { n, patches, d, numAtoms: A, atoms, atomOf, multOf, y };
}

function makeData(s: ProblemSpec, stream: string, n = s.n): Dataset {
  const rng = new Rng(s.seed, stream);
  if (s.layout === 'dictionary') return dictionary(rng, n, s.patches, s.d);
  if (s.layout === 'synthetic') {
    const d = Math.max(s.d, 4);
    const c = { ...defaultConfig, d, patches: Math.max(2, s.patches), seed: s.seed, labelNoise: 0.2, signalPatch: 'random' as const };
    return sampleTask(makeTask(makeFrame(c), c, 1), n, rng);
  }
  const X = rng.fillNormal(new Float64Array(n * s.patches * s.d));
  const y = Float64Array.from({ length: n }, () => rng.sign());
  return denseDataset(X, y, n, s.patches, s.d);
}

function makeProblem(s: ProblemSpec) {
  const data = makeData(s, 'train');
  const d = data.d;
  const R = 2 * s.m;
  const rng = new Rng(s.seed, 'problem');
  const W0 = rng.fillNormal(new Float64Array(R * d), s.sigma0);
  let freeze: Freeze | undefined;
  if (s.freeze === 'rows') {
    freeze = { kind: 'rows', mask: Uint8Array.from({ length: R }, () => (rng.uniform() < s.frozenShare ? 1 : 0)) };
  } else if (s.freeze === 'entries') {
    // Some filters all frozen or all free, the others frozen entry by entry.
    const mask = new Uint8Array(R * d);
    for (let r = 0; r < R; r++) {
      const kind = rng.int(4);
      for (let c = 0; c < d; c++) mask[r * d + c] = kind === 0 ? 1 : kind === 1 ? 0 : rng.uniform() < s.frozenShare ? 1 : 0;
    }
    freeze = { kind: 'entries', mask };
  }
  const evalSets = Array.from({ length: s.evalSets }, (_, i) => makeData({ ...s, d }, `test${i}`, s.evalSize));
  const undeclared = makeData({ ...s, d }, 'other', 3);
  const probes = rng.fillNormal(new Float64Array(2 * d));
  const crng = new Rng(s.checkpointSeed, 'checkpoints');
  const checkpoints = Array.from({ length: s.steps + 1 }, (_, t) => t).filter(() => crng.uniform() < 0.4);
  const base: Omit<TrainProblem, 'onCheckpoint'> = {
    data,
    W0,
    m: s.m,
    lr: s.lr,
    steps: s.steps,
    lossThreshold: s.threshold ? 0.55 : 0,
    freeze,
    checkpoints,
    evalSets,
  };
  return { base, evalSets, undeclared, probes, d };
}

interface Snapshot {
  step: number;
  loss: number;
  final: boolean;
  preacts: Float64Array;
  coefficients: Float64Array;
  project: Float64Array;
  scores: Float64Array[];
  weights: Float64Array;
}

function runWith(engine: Engine, prob: ReturnType<typeof makeProblem>): { result: TrainResult; snaps: Snapshot[] } {
  const snaps: Snapshot[] = [];
  const result = engine.train({
    ...prob.base,
    onCheckpoint: (st) =>
      snaps.push({
        step: st.step,
        loss: st.loss,
        final: st.final,
        preacts: Float64Array.from(st.preacts),
        coefficients: Float64Array.from(st.coefficients),
        project: st.project(prob.probes, 2),
        scores: [...prob.evalSets, prob.undeclared].map((T) => st.scores(T)),
        weights: Float64Array.from(st.weights()),
      }),
  });
  return { result, snaps };
}

function expectSameRun(got: ReturnType<typeof runWith>, want: ReturnType<typeof runWith>): void {
  expect(got.result.stepsRun).toBe(want.result.stepsRun);
  expect(relDiff(got.result.losses, want.result.losses)).toBeLessThanOrEqual(TOL);
  expect(relDiff(got.result.coefficients, want.result.coefficients)).toBeLessThanOrEqual(TOL);
  expect(relDiff(got.result.W, want.result.W)).toBeLessThanOrEqual(TOL);
  expect(got.snaps.map((s) => [s.step, s.final])).toEqual(want.snaps.map((s) => [s.step, s.final]));
  got.snaps.forEach((g, i) => {
    const w = want.snaps[i];
    expect(relDiff([g.loss], [w.loss])).toBeLessThanOrEqual(TOL);
    expect(relDiff(g.preacts, w.preacts)).toBeLessThanOrEqual(TOL);
    expect(relDiff(g.coefficients, w.coefficients)).toBeLessThanOrEqual(TOL);
    expect(relDiff(g.project, w.project)).toBeLessThanOrEqual(TOL);
    expect(relDiff(g.weights, w.weights)).toBeLessThanOrEqual(TOL);
    g.scores.forEach((sc, j) => expect(relDiff(sc, w.scores[j])).toBeLessThanOrEqual(TOL));
  });
}

describe('coefficient engine', () => {
  it('equals the dense engine on random problems: weights, losses, coefficients, checkpoint states, scores', () => {
    const strategies = { span: 0, materialize: 0 };
    const freezes = { none: 0, rows: 0, entries: 0 };
    fc.assert(
      fc.property(problemSpec, (s) => {
        const prob = makeProblem(s);
        const plan = coefPlan({ ...prob.base, onCheckpoint: () => {} });
        if (prob.evalSets.length) strategies[plan.evalStrategy]++;
        freezes[s.freeze]++;
        const want = runWith(denseEngine, prob);
        const got = runWith(coefEngine, prob);
        expectSameRun(got, want);
        expect(got.result.factored).toBeDefined();
        expect(relDiff(materialize(got.result.factored!), want.result.W)).toBeLessThanOrEqual(TOL);
      }),
      { numRuns: 150, seed: 20250903 },
    );
    // Both ways of scoring test sets and every kind of freezing were exercised.
    expect(strategies.span).toBeGreaterThan(5);
    expect(strategies.materialize).toBeGreaterThan(5);
    expect(Math.min(freezes.none, freezes.rows, freezes.entries)).toBeGreaterThan(20);
  });

  it('keeps frozen filters and frozen entries bitwise at their initial values', () => {
    const s: ProblemSpec = {
      ...{ seed: 3, n: 6, patches: 2, d: 9, m: 3, steps: 12, lr: 1, layout: 'dense', frozenShare: 0.5 },
      ...{ threshold: false, evalSets: 0, evalSize: 1, checkpointSeed: 0, sigma0: 0.5, freeze: 'entries' },
    };
    const prob = makeProblem(s);
    const mask = (prob.base.freeze as { mask: Uint8Array }).mask;
    const r = coefEngine.train(prob.base);
    let moved = 0;
    for (let e = 0; e < mask.length; e++) {
      if (mask[e]) expect(r.W[e]).toBe(prob.base.W0[e]);
      else if (r.W[e] !== prob.base.W0[e]) moved++;
    }
    expect(moved).toBeGreaterThan(0);
    const rows = Uint8Array.from([0, 1, 0, 1, 1, 0]);
    const r2 = coefEngine.train({ ...prob.base, freeze: { kind: 'rows', mask: rows } });
    for (let row = 0; row < 6; row++) {
      const same = r2.W.subarray(row * 9, (row + 1) * 9).every((x, k) => x === prob.base.W0[row * 9 + k]);
      expect(same).toBe(rows[row] === 1);
    }
  });

  it('projects probe vectors that change between checkpoints (the span memo checks their values)', () => {
    const s: ProblemSpec = {
      ...{ seed: 8, n: 7, patches: 2, d: 11, m: 2, steps: 9, lr: 1, layout: 'synthetic', frozenShare: 0 },
      ...{ threshold: false, evalSets: 0, evalSize: 1, checkpointSeed: 0, sigma0: 0.3, freeze: 'none' },
    };
    const prob = makeProblem(s);
    const collect = (engine: Engine) => {
      const V = Float64Array.from(prob.probes);
      const out: Float64Array[] = [];
      engine.train({
        ...prob.base,
        checkpoints: [0, 1, 2, 3, 5, 8],
        onCheckpoint: (st) => {
          out.push(st.project(V, 2), st.project(V, 1));
          V[st.step % V.length] += 1; // the same array, new values
        },
      });
      return out;
    };
    const got = collect(coefEngine);
    const want = collect(denseEngine);
    expect(got.length).toBe(14);
    got.forEach((g, i) => expect(relDiff(g, want[i])).toBeLessThanOrEqual(TOL));
  });

  it('reports divergence as an error naming lr, like the dense engine', () => {
    const ds = makeData({ seed: 2, n: 5, patches: 2, d: 6, layout: 'dense' } as ProblemSpec, 'train');
    const W0 = new Rng(2).fillNormal(new Float64Array(2 * 2 * 6), 1);
    expect(() => coefEngine.train({ data: ds, W0, m: 2, lr: 1e308, steps: 50, lossThreshold: 0, phase: 'upstream' })).toThrow(
      /diverged \(upstream\).*lr=1e\+308/,
    );
  });

  it('auto trains exactly as the engine it resolves to', () => {
    fc.assert(
      fc.property(problemSpec, (s) => {
        const prob = makeProblem(s);
        const p = { ...prob.base, onCheckpoint: () => {} };
        const chosen = autoEngine.resolve!(p);
        expect(['coef', 'dense']).toContain(chosen.name);
        expect(chosen.name === 'coef').toBe(coefPlan(p).total < denseCost(p));
        const a = autoEngine.train(p);
        const b = chosen.train(p);
        expect(a.W).toEqual(b.W);
        expect(a.losses).toEqual(b.losses);
      }),
      { numRuns: 30, seed: 7 },
    );
  });
});

describe('Gram helpers and factored weights', () => {
  it('gram is exactly symmetric and equals Z·Zᵀ; gramOn is the Gram matrix over a coordinate subset', () => {
    const rng = new Rng(11);
    for (const [A, d] of [
      [1, 3],
      [5, 7],
      [70, 9],
      [131, 4],
    ]) {
      const Z = rng.fillNormal(new Float64Array(A * d));
      const K = gram(Z, A, d);
      const want = new Float64Array(A * A);
      plain.gemmABt(Z, A, Z, A, d, want);
      expect(relDiff(K, want)).toBeLessThanOrEqual(1e-14);
      for (let a = 0; a < A; a++) for (let b = 0; b < A; b++) expect(K[a * A + b]).toBe(K[b * A + a]);
      const coords = Int32Array.from([0, d - 1]);
      const KS = gramOn(Z, A, d, coords);
      for (let a = 0; a < A; a++) {
        const want00 = Z[a * d] * Z[a * d] + Z[a * d + d - 1] * Z[a * d + d - 1];
        expect(KS[a * A + a]).toBeCloseTo(d === 1 ? Z[a] * Z[a] * 2 : want00, 12);
      }
    }
    // Long rows go through blocks of coordinates: the same products to rounding, order-independent bits.
    for (const [nx, ny, d] of [
      [3, 70, 9001],
      [67, 2, 8193],
    ]) {
      const X = rng.fillNormal(new Float64Array(nx * d));
      const Y = rng.fillNormal(new Float64Array(ny * d));
      const want = new Float64Array(nx * ny);
      plain.gemmABt(X, nx, Y, ny, d, want);
      const got = cross(X, nx, Y, ny, d);
      expect(relDiff(got, want)).toBeLessThanOrEqual(1e-13);
      const back = cross(Y, ny, X, nx, d);
      for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) expect(back[j * nx + i]).toBe(got[i * ny + j]);
      const K = gram(X, nx, d);
      const wantK = new Float64Array(nx * nx);
      plain.gemmABt(X, nx, X, nx, d, wantK);
      expect(relDiff(K, wantK)).toBeLessThanOrEqual(1e-13);
    }
    // The triangular loop really saves work.
    expect(gramCost(200, 10)).toBeLessThan(0.7 * 200 * 200 * 10);
  });

  it('materialize and materializeRows form base + (C·Z) ⊙ (1 − frozen), rows alone at k·A·d cost', () => {
    const rng = new Rng(12);
    const m = 3;
    const d = 7;
    const A = 5;
    const base = rng.fillNormal(new Float64Array(2 * m * d));
    const atoms = rng.fillNormal(new Float64Array(A * d));
    const coef = rng.fillNormal(new Float64Array(2 * m * A));
    const frozenEntries = Uint8Array.from({ length: 2 * m * d }, () => (rng.uniform() < 0.3 ? 1 : 0));
    for (const mask of [undefined, frozenEntries]) {
      const w = { m, d, base, atoms, numAtoms: A, coef, frozenEntries: mask };
      const want = new Float64Array(2 * m * d);
      for (let r = 0; r < 2 * m; r++) {
        for (let c = 0; c < d; c++) {
          let s = 0;
          for (let a = 0; a < A; a++) s += coef[r * A + a] * atoms[a * d + c];
          want[r * d + c] = base[r * d + c] + (mask?.[r * d + c] ? 0 : s);
        }
      }
      expect(relDiff(materialize(w), want)).toBeLessThanOrEqual(1e-14);
      const rows = [4, 0, 5];
      const got = materializeRows(w, rows, d);
      rows.forEach((r, i) => expect(relDiff(got.subarray(i * d, (i + 1) * d), want.subarray(r * d, (r + 1) * d))).toBeLessThanOrEqual(1e-14));
      expect(materializeRows(want, rows, d)).toEqual(Float64Array.from(rows.flatMap((r) => [...want.subarray(r * d, (r + 1) * d)])));
      // Inheriting from factored weights equals inheriting from their dense form.
      for (const strategy of ['random', 'first', 'entries'] as const) {
        const fresh = rng.fillNormal(new Float64Array(2 * m * d));
        const a = inherit(w, fresh, m, d, 0.6, strategy, new Rng(5, 'inherit'));
        const b = inherit(want, fresh, m, d, 0.6, strategy, new Rng(5, 'inherit'));
        expect(a.inheritedEntries).toEqual(b.inheritedEntries);
        expect(relDiff(a.W, b.W)).toBeLessThanOrEqual(1e-14);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Whole experiments: upstream → inherit → transfer and scratch, every strategy, frozen or not.

const configArb: fc.Arbitrary<ExperimentConfig> = fc
  .record({
    // up to 80, so the subspace sampler (auto) works in fewer dimensions than d in some problems
    d: fc.oneof(fc.integer({ min: 4, max: 24 }), fc.integer({ min: 40, max: 80 })),
    n1: fc.integer({ min: 1, max: 14 }),
    n2: fc.integer({ min: 1, max: 8 }),
    nTest: fc.integer({ min: 1, max: 40 }),
    m: fc.integer({ min: 1, max: 4 }),
    patches: fc.integer({ min: 2, max: 3 }),
    uNorm: fc.constantFrom(0, 0.5, 2),
    v1Norm: fc.constantFrom(0, 1, 3),
    v2Norm: fc.constantFrom(0, 1, 2.5),
    vCos: fc.constantFrom(0, 0.5, 1),
    sigmaP1: fc.constantFrom(0, 0.5, 1),
    sigmaP2: fc.constantFrom(0.5, 1.5),
    labelNoise: fc.constantFrom(0, 0.2),
    sigma0: fc.constantFrom(0.01, 0.3),
    lr: fc.constantFrom(0.3, 1, 2),
    steps: fc.integer({ min: 0, max: 20 }),
    lossThreshold: fc.constantFrom(0, 0.4),
    alpha: fc.constantFrom(0, 0.3, 0.5, 1),
    inheritance: fc.constantFrom('random', 'first', 'entries'),
    freezeInherited: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1e6 }),
    basis: fc.constantFrom('random', 'canonical'),
    sampler: fc.constantFrom('auto', 'explicit'),
    signalPatch: fc.constantFrom('first', 'random'),
    checkpoints: fc.integer({ min: 2, max: 6 }),
  })
  .map((c) => experimentSchema.parse(c));

/** Every number of a result by its path with checkpoint indices dropped: one family per measure. */
function families(r: ExperimentResult): Map<string, (number | null)[]> {
  const out = new Map<string, (number | null)[]>();
  const walk = (x: unknown, path: string) => {
    if (typeof x === 'number' || x === null) {
      if (!out.has(path)) out.set(path, []);
      out.get(path)!.push(x as number | null);
    } else if (Array.isArray(x)) x.forEach((v) => walk(v, path));
    else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) walk(v, `${path}.${k}`);
  };
  walk({ upstream: r.upstream, transfer: r.transfer, scratch: r.scratch, gain: r.gain, inheritance: r.inheritance }, '');
  return out;
}

function expectSameExperiment(got: ExperimentResult, want: ExperimentResult): void {
  for (const ph of ['upstream', 'transfer', 'scratch'] as const) {
    // Test errors are counts: exactly equal, at every checkpoint.
    expect(got[ph].checkpoints.map((c) => [c.step, c.testError, c.testErrorNoisy])).toEqual(
      want[ph].checkpoints.map((c) => [c.step, c.testError, c.testErrorNoisy]),
    );
    expect(got[ph].stepsRun).toBe(want[ph].stepsRun);
  }
  expect(got.gain).toBe(want.gain);
  expect(got.inheritance).toEqual(want.inheritance);
  const g = families(got);
  const w = families(want);
  expect([...g.keys()]).toEqual([...w.keys()]);
  for (const [key, values] of w) {
    const other = g.get(key)!;
    expect(other.map((v) => v === null)).toEqual(values.map((v) => v === null));
    const nums = (xs: (number | null)[]) => xs.filter((v): v is number => v !== null);
    const diff = relDiff(nums(other), nums(values));
    // The population error's Monte Carlo standard error is the spread of nearly equal per-line values: the engines'
    // last-bit differences in the weights move it relatively more (measured up to 4e-7) than any other measure.
    const tol = key.endsWith('populationTestErrorSE') ? 1e-5 : TOL;
    if (diff > tol) throw new Error(`${key}: relative difference ${diff}`);
  }
}

describe('coefficient engine in whole experiments', () => {
  it('equals the dense engine for every inheritance strategy, frozen or not (errors, losses, measures, weights)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(configArb, (c) => {
        seen.add(`${c.inheritance}/${c.freezeInherited}`);
        const want = runExperiment(c, { engine: denseEngine, keepWeights: true });
        const got = runExperiment(c, { engine: coefEngine, keepWeights: true });
        expect(got.result.engine).toBe('coef');
        expectSameExperiment(got.result, want.result);
        for (const k of ['upstream', 'transferInit', 'transfer', 'scratch'] as const) {
          expect(relDiff(got.weights![k], want.weights![k])).toBeLessThanOrEqual(TOL);
        }
      }),
      { numRuns: 60, seed: 42 },
    );
    expect(seen.size).toBe(6);
  });

  it('auto names what it chose and agrees with dense; with α = 0 transfer and scratch agree bit for bit', () => {
    for (const inheritance of ['random', 'entries'] as const) {
      const c = { ...defaultConfig, d: 40, n1: 20, n2: 10, nTest: 50, m: 3, steps: 30, checkpoints: 5, inheritance };
      const auto = runExperiment(c, { engine: autoEngine }).result;
      expect(auto.engine).toBe('auto:coef');
      expectSameExperiment(auto, runExperiment(c, { engine: denseEngine }).result);
      const zero = runExperiment({ ...c, alpha: 0, freezeInherited: true }, { engine: autoEngine }).result;
      expect(zero.transfer.checkpoints).toEqual(zero.scratch.checkpoints);
    }
  });
});

describe('the auto cost model', () => {
  const problemOf = (c: ExperimentConfig, n: number, phaseA: number): TrainProblem => {
    const frame = makeFrame({ ...c, d: 8 });
    const data = sampleTask(makeTask(frame, { ...c, d: 8 }, 1), 1, new Rng(0));
    // Only the shapes matter to the model: a stand-in dataset with the experiment's sizes.
    const shaped = { ...data, d: c.d, n, numAtoms: phaseA };
    const test = { ...data, d: c.d, numAtoms: c.nTest * (c.patches - 1) + 1 };
    const checkpoints = Array.from({ length: c.checkpoints }, (_, i) => i);
    return {
      data: shaped,
      W0: new Float64Array(0),
      m: c.m,
      lr: c.lr,
      steps: c.steps,
      lossThreshold: 0,
      checkpoints,
      onCheckpoint: () => {},
      evalSets: [test],
    };
  };

  it('picks coef for the presets (large d, few atoms) and dense when d is small and atoms many', () => {
    for (const name of ['positive-transfer', 'negative-transfer', 'no-shared-signal']) {
      for (const d of [2000, 20000]) {
        const c = { ...presetConfig(findPreset(name)!), d };
        expect(autoEngine.resolve!(problemOf(c, c.n1, c.n1 * (c.patches - 1) + 1)).name).toBe('coef');
        expect(autoEngine.resolve!(problemOf(c, c.n2, c.n2 * (c.patches - 1) + 1)).name).toBe('coef');
      }
    }
    // 1000 distinct patches in d = 20, five steps: the Gram matrix alone costs more than dense training.
    const rng = new Rng(3);
    const X = rng.fillNormal(new Float64Array(500 * 2 * 20));
    const y = Float64Array.from({ length: 500 }, () => rng.sign());
    const p: TrainProblem = { data: denseDataset(X, y, 500, 2, 20), W0: new Float64Array(2 * 2 * 20), m: 2, lr: 1, steps: 5, lossThreshold: 0 };
    expect(autoEngine.resolve!(p).name).toBe('dense');
    expect(getEngine('auto')).toBe(autoEngine);
    expect(getEngine('coef')).toBe(coefEngine);
  });

  it('scores test sets through the span when checkpoints are many, by forming W when few or entries are frozen', () => {
    const c = { ...presetConfig(findPreset('positive-transfer')!), d: 20000 };
    const p = problemOf(c, c.n1, 201);
    expect(coefPlan(p).evalStrategy).toBe('span');
    expect(coefPlan({ ...p, checkpoints: [] }).evalStrategy).toBe('materialize');
    const mask = new Uint8Array(2 * c.m * c.d).fill(1, 0, c.d);
    expect(coefPlan({ ...p, freeze: { kind: 'entries', mask } }).evalStrategy).toBe('materialize');
    // An all-zero entry mask freezes nothing: priced and run as no freeze.
    expect(coefPlan({ ...p, freeze: { kind: 'entries', mask: new Uint8Array(mask.length) } })).toEqual(coefPlan(p));
  });
});

describe('paratransfer run --engine', () => {
  it('defaults to auto, accepts coef, and gives the dense engine’s test errors', async () => {
    const args = ['run', 'positive-transfer', '--set', 'd=300', '--set', 'nTest=200', '--set', 'steps=40', '--json'];
    const [auto, coef, dense] = await Promise.all([
      runCli(args),
      runCli([...args, '--engine', 'coef']),
      runCli([...args, '--engine', 'dense']),
    ]);
    for (const r of [auto, coef, dense]) expect(r.code, r.stderr).toBe(0);
    const [a, k, n] = [auto, coef, dense].map((r) => JSON.parse(r.stdout) as ExperimentResult);
    expect([a.engine, k.engine, n.engine]).toEqual(['auto:coef', 'coef', 'dense']);
    for (const r of [a, k]) expectSameExperiment(r, n);
    const bad = await runCli([...args, '--engine', 'sparse']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--engine: unknown engine "sparse" \(allowed: dense, coef, auto\)/);
  });
});

describe('paratransfer train --engine coef', () => {
  it('trains arbitrary data (A = N·P distinct patches) to the dense engine’s weights', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-coef-'));
    try {
      const [N, P, d, m] = [9, 3, 40, 3];
      const rng = new Rng(21, 'cli');
      const X = rng.fillNormal(new Float64Array(N * P * d));
      const y = Float64Array.from({ length: N }, () => rng.sign());
      const W = rng.fillNormal(new Float64Array(2 * m * d), 0.2);
      writeSafetensors(join(dir, 'data.safetensors'), { X: { shape: [N, P, d], data: X }, y: { shape: [N], data: y } });
      writeSafetensors(join(dir, 'init.safetensors'), { W: { shape: [2, m, d], data: W } });
      const train = (engine: string) =>
        runCli(['train', '--dataset', join(dir, 'data.safetensors'), '--init', join(dir, 'init.safetensors'),
          '--lr', '0.8', '--steps', '60', '--out', join(dir, `${engine}.safetensors`), '--engine', engine, '--json']);
      const runs = await Promise.all([train('coef'), train('dense')]);
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      expect(runs.map((r) => JSON.parse(r.stdout).engine)).toEqual(['coef', 'dense']);
      const [coef, dense] = ['coef', 'dense'].map((e) => getTensor(readSafetensors(join(dir, `${e}.safetensors`)), 'W').data as Float64Array);
      expect(relDiff(coef, W)).toBeGreaterThan(1e-3); // training moved the weights
      expect(relDiff(coef, dense)).toBeLessThanOrEqual(TOL);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
