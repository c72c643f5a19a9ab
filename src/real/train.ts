import { DivergenceError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { Optimizer } from './nn/optim.js';
import type { ImageSet, Session } from './nn/session.js';
import type { Phase } from '../study/types.js';
import type { CurvePoint, RealPhaseResult } from './types.js';


export type { CurvePoint, RealPhaseResult } from './types.js';

export interface PhaseSpec {
  phase: Phase;
  session: Session;
  optimizer: Optimizer;
  train: ImageSet;
  test: ImageSet;
  /** epochs at most */
  epochs: number;
  /** stop after the first epoch (past the warm-up) whose mean training loss is below this (0 or absent: never) */
  stopLoss?: number;
  /** the first `epochs` epochs step only the parameters `train` selects (the classifier head's warm-up) */
  warmup?: { epochs: number; train: (param: number) => boolean };
  batch: number;
  /** shuffles the training set every epoch */
  order: Rng;
  /** evaluation points after epoch 0 */
  checkpoints: number;
  /** called after every step with the images of that step */
  onImages?: (images: number) => void;
  /** called with each evaluation point as soon as it is measured */
  onCurvePoint?: (point: CurvePoint) => void;
}

/** The epochs (after 0) at which a phase is evaluated: evenly spaced, always including the last. */
export function evalEpochs(epochs: number, checkpoints: number): Set<number> {
  const out = new Set<number>([0]);
  for (let i = 1; i <= checkpoints; i++) out.add(Math.round((i * epochs) / checkpoints));
  return out;
}

/**
 * Minibatch training of one phase with a fresh shuffle per epoch; test evaluation at the checkpoints (spaced over
 * the most epochs) and at the epoch where the loss rule stops training.
 */
export function trainPhase(p: PhaseSpec): RealPhaseResult {
  const { session, train, test } = p;
  const n = train.count;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const at = evalEpochs(p.epochs, p.checkpoints);
  const curve: CurvePoint[] = [];
  const record = (epoch: number, trainLoss: number | null) => {
    const e = session.evaluate(test);
    const point = { epoch, testAccuracy: e.accuracy, testLoss: e.loss, trainLoss };
    curve.push(point);
    p.onCurvePoint?.(point);
  };
  record(0, null);
  let steps = 0;
  let last: number | null = null;
  let epochs = 0;
  const warm = p.warmup?.epochs ?? 0;
  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    if (epoch === 1 && warm > 0) p.optimizer.only(p.warmup!.train);
    if (epoch === warm + 1 && warm > 0) p.optimizer.only(() => true);
    for (let i = n - 1; i > 0; i--) {
      const j = p.order.int(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    let sum = 0;
    for (let from = 0; from < n; from += p.batch) {
      const to = Math.min(n, from + p.batch);
      const loss = session.step(train, order, from, to, p.optimizer);
      steps++;
      if (!Number.isFinite(loss)) throw new DivergenceError(p.optimizer.config.lr, steps, p.phase);
      sum += loss * (to - from);
      p.onImages?.(to - from);
    }
    last = sum / n;
    epochs = epoch;
    const stop = Boolean(p.stopLoss) && epoch > warm && last < p.stopLoss!;
    if (at.has(epoch) || stop) record(epoch, last);
    if (stop) break;
  }
  const end = curve[curve.length - 1];
  return {
    testAccuracy: end.testAccuracy,
    testLoss: end.testLoss,
    trainAccuracy: session.evaluate(train).accuracy,
    trainLoss: last,
    epochs,
    steps,
    curve,
  };
}
