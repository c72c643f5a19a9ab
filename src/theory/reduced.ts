import type { ExperimentConfig } from '../config/schema.js';
import { errorOfLaw } from '../measure/population.js';
import { roundHalfEven } from '../util/math.js';
import { Rng } from '../util/rng.js';
import { countsAt, scenarioPoints } from './counts.js';
import { expectedCounts, makeNodes, trainReduced, type Nodes, type ReducedState, type SampleCounts } from './dynamics.js';
import { normalQuantile } from './gaussian.js';

/**
 * The three runs of a transfer experiment in the reduced model (docs/theory.md §2–6): upstream on Task 1, then
 * transfer (inherited filters carry what upstream learned, seen from Task 2) and scratch on Task 2, each ending in
 * the exact law of its score on a test input, whose error is computed as the population test error is. Errors are
 * averaged over training sets: sample counts at fixed quantiles where they fluctuate (counts.ts).
 */

/** The config keys the theory reads (the rest take the defaults of docs/model.md). */
export type TheoryInput = Pick<
  ExperimentConfig,
  'd' | 'n1' | 'n2' | 'uNorm' | 'v1Norm' | 'v2Norm' | 'vCos' | 'sigmaP1' | 'sigmaP2' | 'labelNoise' | 'alpha'
> &
  Partial<Pick<ExperimentConfig, 'm' | 'patches' | 'sigma0' | 'lr' | 'steps' | 'lossThreshold' | 'inheritance' | 'freezeInherited'>>;

/** What inherited filters bring to Task 2, per inherited filter at the start of downstream training (docs/theory.md §4). */
export interface InheritedTerms {
  /** mean j·⟨w_r, s₂⟩: the shared signal they carry along Task 2's signal */
  signal: number;
  /** variance of ⟨w_r, ξ⟩ on a Task 2 noise patch from memorised upstream noise */
  memorised: number;
  /** … from the upstream-specific signal v₁ that Task 2's noise still sees */
  leaked: number;
  /** … from the initialisation (what a fresh filter has too) */
  initial: number;
}

/** What the reduced model says about one config. */
export interface ReducedPrediction {
  scratchError: number;
  transferError: number;
  /** filters inherited per class */
  inheritedFilters: number;
  inherited: InheritedTerms;
  /** a fresh filter after scratch training: mean j·⟨w_r, s₂⟩ and the variance of its noise projection (the yardstick) */
  scratch: { signal: number; noise: number };
  /** training sets averaged over (1: the counts hardly fluctuate) */
  scenarios: number;
}

/** The most filters per class the model follows (m above this: that many representatives, at the real rates). */
const maxFilters = 32;
/** Lines of the conditional Monte Carlo per predicted error, shared among the scenarios (fixed stream). */
const totalLines = 800;
/** Training sets averaged over where the counts fluctuate. */
export const scenarioCount = 6;
/** Widely spread counts (a class's net push can vanish) need more points to average over: their tails matter. */
export const setsFor = (spread: number, tails = true) => (tails && spread >= wideCounts ? 3 * scenarioCount : scenarioCount);
const wideCounts = 0.3;
/** Below this relative spread of a class's net count (clean − flipped), one training set (the expected counts) stands for all. */
const steadyCounts = 0.1;

const defaults = { m: 20, patches: 2, sigma0: 0.01, lr: 1, steps: 300, lossThreshold: 0, inheritance: 'random', freezeInherited: false } as const;
type FullInput = TheoryInput & typeof defaults extends infer T ? { [K in keyof T]-?: Exclude<T[K], undefined> } : never;

/** Stratified standard normals: the n quantiles Φ⁻¹((k + ½)/n), in a fixed pseudo-random order. */
function stratified(n: number, stream: string): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = normalQuantile((k + 0.5) / n);
  const rng = new Rng(0, `theory:${stream}`);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** A small least-recently-used cache (the model is pure: equal keys, equal values). */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly size: number) {}
  get(key: string, make: () => V): V {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const v = make();
    this.map.set(key, v);
    if (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
    return v;
  }
}

/** The fixed draws of the model, by size (every config with the same sizes uses the same ones). */
const drawCache = new Lru<Record<string, Float64Array>>(6 * scenarioCount + 4);
/**
 * The fixed draws of training set number `set` (each set its own, so that averaging over sets also averages over
 * how per-sample quantities — initial projections, the leaked direction — happen to line up with the labels).
 */
function draws(R: number, KQ: number, set: number): Record<string, Float64Array> {
  return drawCache.get(`${R}:${KQ}:${set}`, () => {
    const name = (x: string) => (set ? `${x}:${set}` : x);
    return {
      a1: stratified(R, name('a1')),
      b1: stratified(R * KQ, name('b1')),
      cross1: stratified(R * KQ, name('cross1')),
      a2: stratified(R, name('a2')),
      b2: stratified(R * KQ, name('b2')),
      cross2: stratified(R * KQ, name('cross2')),
      aInh: stratified(R, name('aInh')),
      bInh: stratified(R * KQ, name('bInh')),
      sInh: stratified(KQ, name('sInh')),
      leak: stratified(KQ, name('leak')),
      memo: stratified(KQ * KQ, name('memo')),
    };
  });
}

/** Relative spread sd/mean of a class's net count (clean − flipped) over training sets of N samples. */
export function countSpread(n: number, p: number): number {
  const mean = (n * (1 - 2 * p)) / 2;
  const variance = (n / 4) * (1 - 2 * p) ** 2 + 2 * n * p * (1 - p);
  return mean > 0 ? Math.sqrt(variance) / mean : Infinity;
}

/**
 * The sample counts of each training set the model averages over: fixed quantiles of their law where they
 * fluctuate, else the expected counts. `always`: as many sets either way (their draws still differ).
 */
function countSets(n: number, p: number, offset: number, always: boolean, tails: boolean): SampleCounts[] {
  if (countSpread(n, p) < steadyCounts) return Array.from({ length: always ? scenarioCount : 1 }, () => expectedCounts(n, p));
  return scenarioPoints(setsFor(countSpread(n, p), tails), offset).map((u) => countsAt(n, p, u));
}

/** Everything about a config that does not depend on the training sets. */
interface Setup {
  c: FullInput;
  m: number;
  R: number;
  Q: number;
  K: number;
  KQ: number;
  s1sq: number;
  s2sq: number;
  kappa: number;
  v1Perp: number;
  s2Perp: number;
  s2OffS1: number;
  n1sq: number;
  n2sq: number;
}

function setup(config: TheoryInput): Setup {
  const c = { ...defaults, ...config } as FullInput;
  const { d, uNorm, v1Norm, v2Norm, vCos } = c;
  const m = Math.min(c.m, maxFilters);
  const R = 2 * m;
  const Q = Math.max(0, c.patches - 1);
  const K = makeNodes(expectedCounts(1, 0)).count;
  const u2 = uNorm * uNorm;
  const s1sq = u2 + v1Norm * v1Norm;
  const s2sq = u2 + v2Norm * v2Norm;
  const s12 = u2 + vCos * v1Norm * v2Norm;
  const sin2 = Math.max(0, 1 - vCos * vCos);
  const noise2 = (sigma: number, vNorm: number) => sigma * sigma * Math.max(1, d - (uNorm > 0 ? 1 : 0) - (vNorm > 0 ? 1 : 0));
  return {
    c,
    m,
    R,
    Q,
    K,
    KQ: K * Q,
    s1sq,
    s2sq,
    kappa: s1sq > 0 ? s12 / s1sq : 0,
    // v₁ outside span(u, v₂): what Task 2's noise still sees of s₁; s₂ outside span(u, v₁): what Task 1's noise sees of s₂
    v1Perp: v1Norm * Math.sqrt(sin2),
    s2Perp: v2Norm * Math.sqrt(sin2),
    s2OffS1: Math.sqrt(Math.max(0, s2sq - (s1sq > 0 ? (s12 * s12) / s1sq : 0))),
    n1sq: noise2(c.sigmaP1, v1Norm),
    n2sq: noise2(c.sigmaP2, v2Norm),
  };
}

const scaled = (x: Float64Array, s: number) => x.map((v) => v * s);
/** x/y, or 0 where there is nothing to divide by (no noise: no memorised noise either). */
const over = (x: number, y: number) => (y > 0 ? x / y : 0);

/** One reduced training phase of a config (rates with the real m; representatives average the score). */
function phase(
  st: Setup,
  nodes: Nodes,
  n: number,
  signal2: number,
  noise2: number,
  A0: Float64Array,
  B0: Float64Array,
  cross: Float64Array,
  frozen?: Uint8Array,
  onStep?: (t: number, loss: number, A: Float64Array, rho: Float64Array) => void,
): ReducedState {
  const { c } = st;
  return trainReduced({
    m: st.m,
    mReal: c.m,
    patches: c.patches,
    n,
    d: c.d,
    lr: c.lr,
    steps: c.steps,
    lossThreshold: c.lossThreshold,
    signal2,
    noise2,
    nodes,
    A0,
    B0,
    cross,
    frozen,
    onStep,
  });
}

/** A trained phase and its training set. */
interface Trained {
  state: ReducedState;
  nodes: Nodes;
}

/**
 * The length of a filter's memorised noise Σ_b c_b ξ_b relative to the diagonal estimate: ‖Σ_b c_b ξ_b‖² =
 * Σ_b c_b(ρ_b + X_b)·‖ξ‖²/‖ξ‖⁴ with X_b the other patches' memorisation seen by patch b (the cross-talk), against
 * Σ_b ρ_b²/‖ξ‖². Gradient descent sets ρ_b to reach a margin against X_b, so where the cross-talk is large (N near d)
 * ρ is inflated by what compensates X and the diagonal estimate overstates the length.
 */
function memoryFactor(state: ReducedState, nodes: Nodes, r: number, KQ: number, Q: number, on: boolean): number {
  if (!on) return 1;
  let diag = 0;
  let full = 0;
  for (let a = 0; a < KQ; a++) {
    const w = nodes.weight[Math.floor(a / Q)];
    const rho = state.rho[r * KQ + a];
    diag += w * rho * rho;
    full += w * rho * (rho + state.cross[r * KQ + a]);
  }
  return diag > 0 ? Math.sqrt(Math.max(0, full) / diag) : 1;
}

/** Σ += scale·Σ_a w_a·ρ̃[r, a]·ρ̃[r', a] over the rows given (memorised noise seen by a fresh noise patch), ρ̃ = f_r·ρ. */
function addGram(out: Float64Array, R: number, rho: Float64Array, KQ: number, Q: number, nodes: Nodes, scale: number, rows: readonly number[], f: (r: number) => number): void {
  for (const r of rows) {
    for (const s of rows) {
      if (s < r) continue;
      let v = 0;
      for (let a = 0; a < KQ; a++) v += nodes.weight[Math.floor(a / Q)] * rho[r * KQ + a] * rho[s * KQ + a];
      v *= f(r) * f(s);
      out[r * R + s] += scale * v;
      if (s !== r) out[s * R + r] += scale * v;
    }
  }
}

/**
 * The covariance of a downstream network's projections of one Task 2 test noise patch (§6): initialisation,
 * the memorised downstream noise, and for inherited filters the memorised upstream noise and the leaked v₁.
 */
function testCovariance(st: Setup, down: Trained, up: Trained | undefined, inherited: readonly number[], norm: boolean): Float64Array {
  const { R, KQ, Q, c } = st;
  const S = new Float64Array(R * R);
  for (let r = 0; r < R; r++) S[r * R + r] += c.sigma0 * c.sigma0 * st.n2sq;
  const all = Array.from({ length: R }, (_, r) => r);
  addGram(S, R, down.state.rho, KQ, Q, down.nodes, over(c.sigmaP2 * c.sigmaP2, st.n2sq), all, (r) => memoryFactor(down.state, down.nodes, r, KQ, Q, norm));
  if (up && inherited.length) {
    addGram(S, R, up.state.rho, KQ, Q, up.nodes, over(c.sigmaP2 * c.sigmaP2, st.n1sq), inherited, (r) => memoryFactor(up.state, up.nodes, r, KQ, Q, norm));
    if (st.s1sq > 0) {
      const leak = (r: number) => (up.state.A[r] / st.s1sq) * st.v1Perp * c.sigmaP2;
      for (const r of inherited) for (const q of inherited) S[r * R + q] += leak(r) * leak(q);
    }
  }
  return S;
}

const upstreamCache = new Lru<Trained[]>(8);
const predictionCache = new Lru<ReducedPrediction>(256);
const scratchCache = new Lru<{ runs: Trained[]; errors: number[] }>(8);

const upstreamKeys = ['d', 'n1', 'uNorm', 'v1Norm', 'sigmaP1', 'labelNoise', 'm', 'patches', 'sigma0', 'lr', 'steps', 'lossThreshold'] as const;
const downstreamKeys = ['d', 'n2', 'uNorm', 'v2Norm', 'sigmaP2', 'labelNoise', 'm', 'patches', 'sigma0', 'lr', 'steps', 'lossThreshold'] as const;
const keyOf = (c: FullInput, keys: readonly (keyof FullInput)[]) => JSON.stringify(keys.map((k) => c[k]));

/**
 * Parts of the model that can be switched off, to measure what each buys (`paratransfer theory-check --ablations`,
 * docs/theory.md §9). All on by default.
 */
export interface ModelParts {
  /** average over training sets with fluctuating sample counts (else the expected counts) */
  averageCounts: boolean;
  /** several training sets downstream even where counts are steady, each with its own draws */
  averageDraws: boolean;
  /** cross-talk between training noise patches (else exactly orthogonal noise) */
  crossTalk: boolean;
  /** the memorised upstream noise along s₂ shared by filters that memorised the same samples (else none) */
  sharedShift: boolean;
  /** memorised noise at its length given the cross-talk (else the orthogonal estimate Σρ²/‖ξ‖²) */
  memoryNorm: boolean;
  /** three times the training sets where counts spread widely (their tails: a class with no net push) */
  countTails: boolean;
}

/**
 * The current theory: every part on except averageDraws, which bought nothing measurable on the fit set
 * (docs/theory.md §9) and costs six downstream runs where one does.
 */
export const allParts: ModelParts = { averageCounts: true, averageDraws: false, crossTalk: true, sharedShift: true, memoryNorm: true, countTails: true };
const partsKey = (p: Partial<ModelParts> | undefined) => JSON.stringify({ ...allParts, ...p });

/** Options of the reduced model (diagnostics and ablations). */
export interface ReducedOptions {
  /** switch parts of the model off */
  parts?: Partial<ModelParts>;
  /** fixed sample counts instead of the average over training sets */
  counts?: { upstream: SampleCounts; downstream: SampleCounts };
  /** per-step callback of each phase */
  onStep?: (phase: string, t: number, loss: number, A: Float64Array, rho: Float64Array) => void;
}

/** The reduced model of one config (docs/theory.md §2–6). α enters only through k = round(α·m): one model per k. */
export function reducedModel(config: TheoryInput, opts: ReducedOptions = {}): ReducedPrediction {
  if (opts.counts || opts.onStep) return computeModel(config, opts);
  const c = { ...defaults, ...config } as FullInput;
  const k = roundHalfEven(c.alpha * c.m);
  const keys: (keyof FullInput)[] = ['inheritance', 'freezeInherited', ...upstreamKeys, ...downstreamKeys, 'vCos'];
  const key = JSON.stringify([...keys.map((x) => c[x]), k, partsKey(opts.parts)]);
  return predictionCache.get(key, () => computeModel(config, opts));
}

function computeModel(config: TheoryInput, opts: ReducedOptions): ReducedPrediction {
  const st = setup(config);
  const { c, m, R, KQ } = st;
  const s1 = c.sigmaP1;
  const s2 = c.sigmaP2;
  const diagnostic = Boolean(opts.counts || opts.onStep);
  const parts = { ...allParts, ...opts.parts };
  const noCross = (x: Float64Array) => (parts.crossTalk ? x : new Float64Array(x.length));
  const trace = (name: string) => opts.onStep && ((t: number, l: number, A: Float64Array, rho: Float64Array) => opts.onStep!(name, t, l, A, rho));

  // Downstream runs always average over sets: how the leaked direction and initial projections line up with the
  // few labels matters there; upstream ones only where its counts fluctuate.
  const setsOf = (n: number, offset: number, always: boolean) =>
    parts.averageCounts
      ? countSets(n, c.labelNoise, offset, always && parts.averageDraws, parts.countTails)
      : Array.from({ length: always && parts.averageDraws ? scenarioCount : 1 }, () => expectedCounts(n, c.labelNoise));
  const upSets = opts.counts ? [opts.counts.upstream] : setsOf(c.n1, 0, false);
  const downSets = opts.counts ? [opts.counts.downstream] : setsOf(c.n2, 3, true);
  const fresh = (set: number) => {
    const rnd = draws(R, KQ, set);
    return { A0: scaled(rnd.a2, c.sigma0 * Math.sqrt(st.s2sq)), B0: scaled(rnd.b2, c.sigma0 * Math.sqrt(st.n2sq)) };
  };
  const lawError = (A: Float64Array, S: Float64Array, lines: number) =>
    errorOfLaw({ signal: A, covariance: S, m, patches: c.patches }, new Rng(0, 'theory:lines'), { min: lines, max: lines }).error;

  const trainUp = () =>
    upSets.map((counts, set) => {
      const nodes = makeNodes(counts);
      const rnd = draws(R, KQ, set);
      const A0 = scaled(rnd.a1, c.sigma0 * Math.sqrt(st.s1sq));
      const B0 = scaled(rnd.b1, c.sigma0 * Math.sqrt(st.n1sq));
      return { state: phase(st, nodes, c.n1, st.s1sq, st.n1sq, A0, B0, noCross(rnd.cross1), undefined, trace('upstream')), nodes };
    });
  const trainScratch = () => {
    const runs = downSets.map((counts, set) => {
      const nodes = makeNodes(counts);
      const { A0, B0 } = fresh(set);
      return { state: phase(st, nodes, c.n2, st.s2sq, st.n2sq, A0, B0, noCross(draws(R, KQ, set).cross2), undefined, trace('scratch')), nodes };
    });
    const lines = Math.ceil(totalLines / runs.length);
    return { runs, errors: runs.map((run) => lawError(run.state.A, testCovariance(st, run, undefined, [], parts.memoryNorm), lines)) };
  };
  const ups = diagnostic ? trainUp() : upstreamCache.get(keyOf(c, upstreamKeys) + partsKey(opts.parts), trainUp);
  const scratch = diagnostic ? trainScratch() : scratchCache.get(keyOf(c, downstreamKeys) + partsKey(opts.parts), trainScratch);
  const scratchError = scratch.errors.reduce((a, b) => a + b, 0) / scratch.errors.length;

  // Inherited filters: the first k of each class (filters are exchangeable), seen from Task 2 (§4).
  const k = Math.round((roundHalfEven(c.alpha * c.m) * m) / c.m);
  const inheritedRows: number[] = [];
  for (let j = 0; j < 2; j++) for (let r = 0; r < k; r++) inheritedRows.push(j * m + r);
  const frozen = c.freezeInherited ? Uint8Array.from({ length: R }, (_, r) => (inheritedRows.includes(r) ? 1 : 0)) : undefined;
  const inherited: InheritedTerms = { signal: 0, memorised: 0, leaked: 0, initial: c.sigma0 * c.sigma0 * st.n2sq };
  const sets = Math.max(ups.length, scratch.runs.length);
  let transferError = 0;
  for (let s = 0; s < sets; s++) {
    const up = ups[s % ups.length];
    const sc = scratch.runs[s % scratch.runs.length];
    if (k === 0) {
      transferError += scratch.errors[s % scratch.runs.length] / sets;
      continue;
    }
    const rnd = draws(R, KQ, s);
    const { A0, B0 } = fresh(s);
    const w1 = (a: number) => up.nodes.weight[Math.floor(a / st.Q)];
    const memScale = over(s1 * s2 * Math.sqrt(c.d), st.n1sq);
    for (const r of inheritedRows) {
      // the memorised coefficients at their effective length (memoryFactor)
      const f = memoryFactor(up.state, up.nodes, r, KQ, st.Q, parts.memoryNorm);
      const rho = up.state.rho.subarray(r * KQ, (r + 1) * KQ).map((x) => f * x);
      let mem2 = 0;
      for (let a = 0; a < KQ; a++) mem2 += w1(a) * rho[a] * rho[a];
      // ⟨w, s₂⟩: the upstream signal coefficient times κ, the initial part off s₁, memorised noise along s₂ (§4)
      // The memorised upstream noise along s₂: Σ_b c_b⟨ξ¹_b, s₂⟩, one standard normal per upstream noise patch shared
      // by every filter (filters that memorised the same samples shift together).
      let memS2 = 0;
      if (parts.sharedShift) for (let b = 0; b < KQ; b++) memS2 += Math.sqrt(w1(b)) * rho[b] * rnd.sInh[b];
      A0[r] = st.kappa * up.state.A[r] + c.sigma0 * st.s2OffS1 * rnd.aInh[r] + over(st.s2Perp * s1 * memS2, st.n1sq);
      // ⟨w, ξ²⟩: initial part, leaked v₁ (one direction shared by every filter), memorised upstream noise
      const leak = st.s1sq > 0 ? (up.state.A[r] / st.s1sq) * st.v1Perp * s2 : 0;
      for (let a = 0; a < KQ; a++) {
        let mem = 0;
        for (let b = 0; b < KQ; b++) mem += Math.sqrt(w1(b)) * rho[b] * rnd.memo[b * KQ + a];
        B0[r * KQ + a] = c.sigma0 * Math.sqrt(st.n2sq) * rnd.bInh[r * KQ + a] + leak * rnd.leak[a] + memScale * mem;
      }
      const w = 1 / (sets * inheritedRows.length);
      inherited.signal += w * A0[r] * (r < m ? 1 : -1);
      inherited.memorised += over(w * s2 * s2 * mem2, st.n1sq);
      inherited.leaked += w * leak * leak;
    }
    const tr = { state: phase(st, sc.nodes, c.n2, st.s2sq, st.n2sq, A0, B0, noCross(rnd.cross2), frozen, trace('transfer')), nodes: sc.nodes };
    transferError += lawError(tr.state.A, testCovariance(st, tr, up, inheritedRows, parts.memoryNorm), Math.ceil(totalLines / sets)) / sets;
  }

  const scratchTerms = { signal: 0, noise: 0 };
  for (const run of scratch.runs) {
    const S = testCovariance(st, run, undefined, [], parts.memoryNorm);
    for (let r = 0; r < R; r++) {
      scratchTerms.signal += (run.state.A[r] * (r < m ? 1 : -1)) / (R * scratch.runs.length);
      scratchTerms.noise += S[r * R + r] / (R * scratch.runs.length);
    }
  }
  // Nothing inherited: the transfer run is the scratch run, exactly.
  if (k === 0) transferError = scratchError;
  return { scratchError, transferError, inheritedFilters: k, inherited, scratch: scratchTerms, scenarios: sets };
}
