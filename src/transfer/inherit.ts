import type { Freeze, Weights } from '../engine/types.js';
import { materialize, materializeRows } from '../engine/weights.js';
import { roundHalfEven } from '../util/math.js';
import type { Rng } from '../util/rng.js';
import type { FilterStrategy } from './strategies.js';


/** The downstream initialisation of docs/model.md#transfer and a record of what was inherited. */
export interface WeightInheritance {
  /** downstream initial weights [2, m, d] */
  W: Float64Array;
  strategy: FilterStrategy;
  /** per filter (2m): 1 if the whole filter was copied (filter strategies), else 0 */
  inheritedFilters: Uint8Array;
  /** per entry (2·m·d): 1 if the scalar was copied */
  inheritedEntries: Uint8Array;
  /** number of parameters copied */
  count: number;
}

/**
 * Copy an α-proportion of the upstream weights into a fresh initialisation. Per class j, k = round(α·m)
 * filters (`random`: uniformly without replacement; `first`: 0…k−1), or each scalar with probability α
 * (`entries`). Rounding is half-to-even (Python's round, as in the NumPy peer bench/peers/synthetic_numpy.py). Factored upstream weights (the
 * coefficient engine's) are formed in ℝ^d only where they are copied: k rows, k·A₁·d multiply-adds —
 * cheaper than carrying the upstream atoms into every downstream inner product (docs/architecture.md).
 */
export function inherit(
  upstream: Weights,
  fresh: Float64Array,
  m: number,
  d: number,
  alpha: number,
  strategy: FilterStrategy,
  rng: Rng,
): WeightInheritance {
  const W = Float64Array.from(fresh);
  const inheritedFilters = new Uint8Array(2 * m);
  const inheritedEntries = new Uint8Array(2 * m * d);
  let count = 0;
  if (strategy === 'entries') {
    const up = materialize(upstream);
    for (let e = 0; e < W.length; e++) {
      if (rng.uniform() < alpha) {
        W[e] = up[e];
        inheritedEntries[e] = 1;
        count++;
      }
    }
  } else {
    const k = roundHalfEven(alpha * m);
    const rows: number[] = [];
    for (let j = 0; j < 2; j++) {
      const picks = strategy === 'random' ? rng.sample(m, k) : Int32Array.from({ length: k }, (_, i) => i);
      for (const r of picks) rows.push(j * m + r);
    }
    const copied = materializeRows(upstream, rows, d);
    rows.forEach((row, i) => {
      inheritedFilters[row] = 1;
      W.set(copied.subarray(i * d, (i + 1) * d), row * d);
      inheritedEntries.fill(1, row * d, (row + 1) * d);
      count += d;
    });
  }
  return { W, strategy, inheritedFilters, inheritedEntries, count };
}

/** What `freezeInherited` holds fixed: whole filters where whole filters were copied, else entries. */
export function freezeOf(inh: WeightInheritance): Freeze {
  return inh.strategy === 'entries'
    ? { kind: 'entries', mask: inh.inheritedEntries }
    : { kind: 'rows', mask: inh.inheritedFilters };
}
