import type { SyntheticDataset } from '../data/dataset.js';
import type { TrainState } from '../engine/types.js';

/** Feature learning of one group of filters (docs/model.md#measures). `pos`/`neg`: class j = +1 / −1. */
export interface GroupMeasures {
  /** number of filters in the group per class */
  filters: number;
  /** max_r j·⟨w_{j,r}, v⟩ for v = u, v₁, v₂ (null for an empty group) */
  signalLearning: { u: ClassPair; v1: ClassPair; v2: ClassPair };
  /** max_r γ_{j,r}: coefficient of s/‖s‖² gained since this run's initialisation */
  gamma: ClassPair;
  /** mean over training noise vectors ξ_i of max_r ⟨w_{y_i,r}, ξ_i⟩ */
  noiseMemorization: number | null;
  /** mean over ξ_i of max_r ρ_{y_i,r,i}: coefficient of ξ_i/‖ξ_i‖² gained since initialisation */
  rho: number | null;
}

/** A measure for each class's filters: class +1 (`pos`) and class −1 (`neg`); null without filters. */
export interface ClassPair {
  pos: number | null;
  neg: number | null;
}

/** The feature-learning measures of one checkpoint, for all filters and, downstream, inherited and fresh ones. */
export interface FeatureMeasures {
  all: GroupMeasures;
  /** downstream transfer runs with whole-filter inheritance: inherited vs fresh filters */
  inherited?: GroupMeasures;
  fresh?: GroupMeasures;
}

/** Probe directions: rows u, v₁, v₂ (3 × d). */
export function probeMatrix(u: Float64Array, v1: Float64Array, v2: Float64Array): Float64Array {
  const d = u.length;
  const P = new Float64Array(3 * d);
  P.set(u, 0);
  P.set(v1, d);
  P.set(v2, 2 * d);
  return P;
}

function squaredNorms(ds: SyntheticDataset): Float64Array {
  const { d, numAtoms: A, atoms } = ds;
  const out = new Float64Array(A);
  for (let a = 0; a < A; a++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += atoms[a * d + k] * atoms[a * d + k];
    out[a] = s;
  }
  return out;
}

/** Measures feature learning at a checkpoint, for all filters and, given `inheritedFilters`, each group. */
export class FeatureMeter {
  private readonly norms2: Float64Array;

  constructor(
    private readonly ds: SyntheticDataset,
    private readonly m: number,
    private readonly probes: Float64Array,
    private readonly inheritedFilters?: Uint8Array,
  ) {
    this.norms2 = squaredNorms(ds);
  }

  measure(state: TrainState): FeatureMeasures {
    const proj = state.project(this.probes, 3);
    const rowsAll = (_r: number) => true;
    const all = this.group(state, proj, rowsAll);
    const inh = this.inheritedFilters;
    if (!inh || !inh.some(Boolean)) return { all };
    return {
      all,
      inherited: this.group(state, proj, (r) => inh[r] === 1),
      fresh: this.group(state, proj, (r) => inh[r] === 0),
    };
  }

  private group(state: TrainState, proj: Float64Array, inGroup: (row: number) => boolean): GroupMeasures {
    const { m, ds, norms2 } = this;
    const A = ds.numAtoms;
    const G = state.preacts;
    const C = state.coefficients;
    const sig = ds.signalAtom;
    const classMax = (value: (row: number) => number): ClassPair => {
      const out: ClassPair = { pos: null, neg: null };
      for (let j = 0; j < 2; j++) {
        let best: number | null = null;
        for (let r = j * m; r < (j + 1) * m; r++) {
          if (!inGroup(r)) continue;
          const v = (j === 0 ? 1 : -1) * value(r);
          if (best === null || v > best) best = v;
        }
        if (j === 0) out.pos = best;
        else out.neg = best;
      }
      return out;
    };
    let filters = 0;
    for (let r = 0; r < m; r++) if (inGroup(r)) filters++;
    // γ enters w as γ·s/‖s‖², so γ = C[r, s]·‖s‖²; class −1 filters grow along −s: report j·γ.
    const gamma = classMax((r) => C[r * A + sig] * norms2[sig]);
    let noiseSum = 0;
    let rhoSum = 0;
    let count = 0;
    for (let a = ds.firstNoiseAtom; a < A; a++) {
      const i = ds.noiseOwner[a - ds.firstNoiseAtom];
      const j = ds.y[i] > 0 ? 0 : 1;
      let bestG = -Infinity;
      let bestRho = -Infinity;
      for (let r = j * m; r < (j + 1) * m; r++) {
        if (!inGroup(r)) continue;
        bestG = Math.max(bestG, G[r * A + a]);
        bestRho = Math.max(bestRho, C[r * A + a] * norms2[a]);
      }
      if (bestG === -Infinity) continue;
      noiseSum += bestG;
      rhoSum += bestRho;
      count++;
    }
    return {
      filters,
      signalLearning: {
        u: classMax((r) => proj[r * 3]),
        v1: classMax((r) => proj[r * 3 + 1]),
        v2: classMax((r) => proj[r * 3 + 2]),
      },
      gamma: { pos: gamma.pos, neg: gamma.neg },
      noiseMemorization: count ? noiseSum / count : null,
      rho: count ? rhoSum / count : null,
    };
  }
}
