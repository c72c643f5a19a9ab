import type { ExperimentConfig } from '../config/schema.js';
import { resolveSampler } from '../data/world.js';
import { subspaceLayout } from '../data/subspace.js';
import { coefPlanOf, denseCostOf, type ProblemShape } from '../engine/cost.js';
import { logCheckpoints } from '../util/math.js';
import type { ResourceEstimate } from '../study/types.js';

/**
 * The resource guard's price of one synthetic experiment, from the config alone (docs/architecture.md, "Resource
 * guard"). Memory: every array the run holds at its peak, 8 bytes a value, for both samplers and both engines.
 * Time: the engines' multiply-adds (engine/cost.ts, the model behind `--engine auto`), the loss and gradient loop,
 * and the Gaussian draws of the sampler, each at a constant measured once on the reference machine (below).
 */

/*
 * The constants: fitted (non-negative least squares on relative error) to the CPU time of 17 configs on one thread
 * of the reference machine (2 cores, shared), and checked on 9 others not used in the fit, whose measured times were
 * 0.8–2.4× the estimate (the largest m the most under-estimated; docs/architecture.md, "Resource guard").
 * Documented constants rather than a calibration run: the estimate is then the same on every call, and costs nothing.
 */
/** Seconds per multiply-add of the engines' products (WebAssembly SIMD kernels, one thread). */
export const secondsPerMultiplyAdd = 1.8e-10;
/** Seconds per (sample, patch, filter) visit of the loss and gradient loop (model/cnn.ts), per step. */
export const secondsPerActivation = 8.6e-9;
/** Seconds per Gaussian coordinate drawn (and projected against the frame). */
export const secondsPerDraw = 7.6e-8;
/** Seconds every run pays whatever its size (compiling the kernels, the first calls). */
export const secondsPerRun = 0.3;

const F64 = 8;
/** What a Node process running an experiment holds besides the experiment's arrays (measured RSS of a tiny run). */
export const baseBytes = 100e6;

/** A term of the estimate: what it is, its size, and the config keys that size it. */
interface Term {
  what: string;
  amount: number;
  keys: string[];
}

const largest = (terms: Term[]) => terms.reduce((a, b) => (b.amount > a.amount ? b : a));
const total = (terms: Term[]) => terms.reduce((s, t) => s + t.amount, 0);

/** The training problem of a phase, as shapes (R filters, A atoms, d working dimension, S steps, K checkpoints, E test atoms). */
function phaseShape(c: ExperimentConfig, n: number, r: number): ProblemShape {
  const E = 1 + c.nTest * (c.patches - 1);
  return { R: 2 * c.m, A: 1 + n * (c.patches - 1), d: r, S: c.steps, K: logCheckpoints(c.steps, c.checkpoints).length, E: [E] };
}

/** Multiply-adds of one phase on the engine `auto` (or a named one) would pick. */
function engineCost(shape: ProblemShape, engine: string, frozen?: Int32Array): number {
  const coef = coefPlanOf(shape, frozen).total;
  const dense = denseCostOf(shape);
  return engine === 'coef' ? coef : engine === 'dense' ? dense : Math.min(coef, dense);
}

/** The work of one experiment, counted from the config: the engines' multiply-adds per task, the loss loop's visits, Gaussian draws. */
export function experimentWork(c: ExperimentConfig, engine = 'auto'): { upstream: number; downstream: number; activations: number; draws: number } {
  const sampler = resolveSampler(c);
  const r = sampler === 'subspace' ? subspaceLayout(c).r : c.d;
  const R = 2 * c.m;
  const A1 = 1 + c.n1 * (c.patches - 1);
  const A2 = 1 + c.n2 * (c.patches - 1);
  const E = 1 + c.nTest * (c.patches - 1);
  const downstream = phaseShape(c, c.n2, r);
  // Entry-wise freezing prices the restricted Gram matrices: about α·d frozen coordinates per filter.
  const frozen = c.freezeInherited && c.inheritance === 'entries' ? new Int32Array(R).fill(Math.round(c.alpha * r)) : undefined;
  // The subspace sampler draws vector i of K with min(i, r) coordinates, and every test vector in full.
  const K = A1 + A2 + 2 * R;
  const draws = sampler === 'subspace' ? (K * Math.min(r, K)) / 2 + 2 * E * r : (A1 + A2 + 2 * E + 2 * R) * r;
  return {
    upstream: engineCost(phaseShape(c, c.n1, r), engine),
    downstream: engineCost(downstream, engine, frozen) + engineCost(downstream, engine),
    activations: c.steps * R * (c.n1 + 2 * c.n2) * c.patches,
    draws,
  };
}

/** Peak memory, time and their drivers of one synthetic experiment on `engine` (default auto). */
export function estimateExperiment(c: ExperimentConfig, engine = 'auto'): ResourceEstimate {
  const sampler = resolveSampler(c);
  const r = sampler === 'subspace' ? subspaceLayout(c).r : c.d;
  // The working dimension: d, or with the subspace sampler the span of the K Gaussian vectors when that is smaller.
  const dKeys = sampler === 'subspace' && r < c.d ? ['n1', 'n2', 'm', 'patches'] : ['d'];
  const P1 = c.patches - 1;
  const A1 = 1 + c.n1 * P1;
  const A2 = 1 + c.n2 * P1;
  const E = 1 + c.nTest * P1;
  const R = 2 * c.m;
  const upstream = phaseShape(c, c.n1, r);
  const downstream = phaseShape(c, c.n2, r);
  const coefOf = (s: ProblemShape) => coefPlanOf(s).total < denseCostOf(s);
  const usesCoef = (s: ProblemShape) => engine === 'coef' || (engine === 'auto' && coefOf(s));
  // What a phase's engine holds besides the data: the dense engine a packed copy of the atoms and of the test set,
  // the coefficient engine the Gram matrix and the test set's products with the atoms; both G, H, C (R × A).
  const engineBytes = (s: ProblemShape, A: number) => (usesCoef(s) ? A * A + A * E + R * E : A * r + E * r) + 3 * R * A;
  const memory: Term[] = [
    { what: 'upstream training set', amount: A1 * r, keys: ['n1', 'patches', ...dKeys] },
    { what: 'downstream training set', amount: A2 * r, keys: ['n2', 'patches', ...dKeys] },
    // Each task's test set, and the engines' packed copy of the one in use (the first is garbage by then, but
    // collected late): three times one set, as peak RSS measured.
    { what: 'test sets', amount: 3 * E * r, keys: ['nTest', 'patches', ...dKeys] },
    { what: 'filters (initial, inherited, trained)', amount: 6 * R * r, keys: ['m', ...dKeys] },
    {
      what: 'engine work arrays',
      amount: Math.max(engineBytes(upstream, A1), engineBytes(downstream, A2)),
      keys: usesCoef(upstream) ? ['n1', 'patches'] : ['n1', 'patches', ...dKeys],
    },
  ];
  const work = experimentWork(c, engine);
  const time: Term[] = [
    { what: 'start-up', amount: secondsPerRun, keys: [] },
    { what: 'upstream training', amount: secondsPerMultiplyAdd * work.upstream, keys: ['n1', 'steps', 'm', ...dKeys] },
    { what: 'downstream training', amount: secondsPerMultiplyAdd * work.downstream, keys: ['n2', 'steps', 'm', ...dKeys] },
    { what: 'loss and gradients', amount: secondsPerActivation * work.activations, keys: ['steps', 'm', 'n1', 'patches'] },
    { what: 'drawing the data', amount: secondsPerDraw * work.draws, keys: ['nTest', 'patches', ...dKeys] },
  ];
  const arrays = [A1 * r, A2 * r, E * r, R * r, ...(usesCoef(upstream) ? [A1 * A1, A1 * E] : []), ...(usesCoef(downstream) ? [A2 * A2, A2 * E] : [])];
  const biggest = Math.max(...arrays);
  return {
    // arrays live in several copies at times (packed kernels' operands, garbage not yet collected): × 1.5, plus
    // what Node itself holds
    bytes: baseBytes + 1.5 * F64 * total(memory),
    seconds: total(time),
    memoryDrivers: largest(memory).keys.filter((k, i, a) => a.indexOf(k) === i),
    timeDrivers: largest(time).keys.filter((k, i, a) => a.indexOf(k) === i),
    ...(biggest > maxTypedArrayLength ? { largestArray: biggest } : {}),
  };
}

/** The most values one typed array may hold in Node (V8's limit, 2³² elements). */
export const maxTypedArrayLength = 2 ** 32;
