import type { ExperimentConfig } from '../config/schema.js';
import { Rng } from '../util/rng.js';
import { dot } from '../util/math.js';

/** The directions of docs/model.md#directions: u ⟂ v₁, u ⟂ v₂, cos(v₁, v₂) = vCos. */
export interface Frame {
  d: number;
  /** unit vectors (a zero vector where the norm is 0 and the direction is not needed) */
  eU: Float64Array;
  eV1: Float64Array;
  eV2: Float64Array;
  /** scaled vectors u = ‖u‖e_u, v_k = ‖v_k‖e_{v_k} */
  u: Float64Array;
  v1: Float64Array;
  v2: Float64Array;
}

type FrameConfig = Pick<ExperimentConfig, 'd' | 'uNorm' | 'v1Norm' | 'v2Norm' | 'vCos' | 'basis' | 'seed'>;

/** Orthonormalise `count` vectors (Gram–Schmidt, twice for stability) drawn from N(0, I) or canonical axes. */
function orthonormal(d: number, count: number, basis: 'random' | 'canonical', rng: Rng): Float64Array[] {
  const out: Float64Array[] = [];
  for (let c = 0; c < count; c++) {
    const v = new Float64Array(d);
    if (basis === 'canonical') {
      v[c] = 1;
    } else {
      rng.fillNormal(v);
      for (let pass = 0; pass < 2; pass++) {
        for (const e of out) {
          const p = dot(v, 0, e, 0, d);
          for (let k = 0; k < d; k++) v[k] -= p * e[k];
        }
      }
      const nrm = Math.sqrt(dot(v, 0, v, 0, d));
      for (let k = 0; k < d; k++) v[k] /= nrm;
    }
    out.push(v);
  }
  return out;
}

export function makeFrame(c: FrameConfig): Frame {
  const { d } = c;
  const rng = new Rng(c.seed, 'frame');
  // With d ≥ 3 the frame is always the same three vectors, so sweeping a norm through 0 keeps the
  // other directions fixed; below that only the needed directions are placed.
  const needU = c.uNorm > 0;
  const needV1 = c.v1Norm > 0 || (c.v2Norm > 0 && c.vCos !== 0);
  const needE3 = c.v2Norm > 0 && Math.abs(c.vCos) < 1;
  const zero = () => new Float64Array(d);
  let eU: Float64Array, eV1: Float64Array, e3: Float64Array;
  if (d >= 3) {
    [eU, eV1, e3] = orthonormal(d, 3, c.basis, rng);
  } else {
    const vecs = orthonormal(d, [needU, needV1, needE3].filter(Boolean).length, c.basis, rng);
    let i = 0;
    eU = needU ? vecs[i++] : zero();
    eV1 = needV1 ? vecs[i++] : zero();
    e3 = needE3 ? vecs[i++] : zero();
  }
  const s = Math.sqrt(Math.max(0, 1 - c.vCos * c.vCos));
  const eV2 = new Float64Array(d);
  for (let k = 0; k < d; k++) eV2[k] = c.vCos * eV1[k] + s * e3[k];
  const scaled = (e: Float64Array, norm: number) => e.map((x) => x * norm);
  return {
    d,
    eU,
    eV1,
    eV2,
    u: scaled(eU, c.uNorm),
    v1: scaled(eV1, c.v1Norm),
    v2: scaled(eV2, c.v2Norm),
  };
}
