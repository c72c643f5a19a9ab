import { join } from 'node:path';
import type { ExperimentConfig } from '../config/schema.js';
import { toDense, type SyntheticDataset } from '../data/dataset.js';
import { resolveSampler } from '../data/world.js';
import { experimentData } from './run.js';
import { writeSafetensors } from '../io/safetensors.js';
import { version } from '../version.js';

/** The data sets of one experiment, as `run --save` exports them: both tasks' training and test sets. */
export interface TrainingSets {
  train1: SyntheticDataset;
  train2: SyntheticDataset;
  test1: SyntheticDataset;
  test2: SyntheticDataset;
}

/** Which weights go to which file: each is `W` [2, m, d] F64, the layout `paratransfer train` reads. */
const weightFiles = {
  upstream: 'upstream',
  transferInit: 'transfer-init',
  scratchInit: 'scratch-init',
  transfer: 'transfer',
  scratch: 'scratch',
} as const;

/**
 * `run --save DIR`: the trained weights of every phase, the transfer and scratch initialisations, both training
 * sets and both test sets, so that `paratransfer train --dataset DIR/task2-train.safetensors --init
 * DIR/transfer-init.safetensors --lr η --steps T` reproduces DIR/transfer.safetensors (scratch-init: the scratch
 * run), and `paratransfer eval --dataset DIR/task2-test.safetensors --weights DIR/transfer.safetensors` its
 * test error. The data are drawn again from the seed unless given (the same named streams give the same data).
 * With the subspace sampler the files hold coordinates in the span of the experiment's vectors (docs/theory.md).
 */
export function saveWeights(
  dir: string,
  weights: Record<string, Float64Array>,
  config: ExperimentConfig,
  data: TrainingSets = experimentData(config),
): string[] {
  const files: string[] = [];
  const { m } = config;
  // With the subspace sampler every vector is saved in coordinates of its span: d here is that span's
  // dimension, and training on the saved files is the same inner-product computation as in ℝ^d.
  const d = data.train1.d;
  const meta = (extra: Record<string, string>) => ({
    format: 'paratransfer',
    version,
    config: JSON.stringify(config),
    sampler: resolveSampler(config),
    ...extra,
  });
  for (const [key, file] of Object.entries(weightFiles)) {
    const W = weights[key];
    if (!W) continue;
    files.push(join(dir, `${file}.safetensors`));
    writeSafetensors(files[files.length - 1], { W: { shape: [2, m, d], data: W } }, meta({ phase: file }));
  }
  for (const [name, k, ds] of [
    ['train', 1, data.train1],
    ['train', 2, data.train2],
    ['test', 1, data.test1],
    ['test', 2, data.test2],
  ] as const) {
    files.push(join(dir, `task${k}-${name}.safetensors`));
    writeSafetensors(
      files[files.length - 1],
      {
        X: { shape: [ds.n, ds.patches, ds.d], data: toDense(ds) },
        y: { shape: [ds.n], data: ds.y },
        yTrue: { shape: [ds.n], data: ds.yTrue },
      },
      meta({ task: String(k), set: name, contents: 'X [N, P, d], observed labels y, true labels yTrue' }),
    );
  }
  return files;
}
