/**
 * A training or test set of P-patch inputs, stored as a dictionary of distinct patch vectors ("atoms")
 * plus, for every (sample, patch), which atom it is and a scalar multiplier. The synthetic tasks share
 * one signal atom s = u + v_k across samples (patch = ỹ·s), so a step costs what the data is worth;
 * arbitrary data is the identity map (atom i·P + q is patch q of sample i, multiplier 1).
 */
export interface Dataset {
  /** samples N */
  n: number;
  /** patches per input P */
  patches: number;
  /** dimension d */
  d: number;
  /** number of distinct patch vectors A */
  numAtoms: number;
  /** A × d, row-major */
  atoms: Float64Array;
  /** N·P: atom index of patch q of sample i at i·P + q */
  atomOf: Int32Array;
  /** N·P: multiplier of that atom (a ReLU sees ⟨w, mult·atom⟩) */
  multOf: Float64Array;
  /** N observed labels in {−1, +1} */
  y: Float64Array;
}

/** Synthetic task data: the dataset plus what the measures of docs/model.md#measures need. */
export interface SyntheticDataset extends Dataset {
  /** true labels ỹ */
  yTrue: Float64Array;
  /** atom index of the signal s = u + v_k (always 0) */
  signalAtom: number;
  /** first atom index of the noise vectors ξ (atoms signalAtom+1 … numAtoms−1) */
  firstNoiseAtom: number;
  /** for each noise atom, the sample it belongs to */
  noiseOwner: Int32Array;
}

/** Wrap dense X [N, P, d] (row-major) and labels y as a dataset: one atom per patch. */
export function denseDataset(X: Float64Array, y: Float64Array, n: number, patches: number, d: number): Dataset {
  const np = n * patches;
  const atomOf = new Int32Array(np);
  for (let i = 0; i < np; i++) atomOf[i] = i;
  return { n, patches, d, numAtoms: np, atoms: X, atomOf, multOf: new Float64Array(np).fill(1), y };
}

/** Expand a dataset back to dense X [N, P, d] (for export and for checks). */
export function toDense(ds: Dataset): Float64Array {
  const { n, patches, d } = ds;
  const X = new Float64Array(n * patches * d);
  for (let p = 0; p < n * patches; p++) {
    const a = ds.atomOf[p];
    const c = ds.multOf[p];
    const src = a * d;
    const dst = p * d;
    for (let k = 0; k < d; k++) X[dst + k] = c * ds.atoms[src + k];
  }
  return X;
}
