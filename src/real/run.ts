import { availableParallelism } from 'node:os';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { architecture, describeArch } from './arch/index.js';
import type { RealConfig } from './config.js';
import { makeImageTask, type ImageTask } from './data/tasks.js';
import { plainBackend, wasmBackend, type Backend, type WasmBackend } from './nn/backend.js';
import { Model } from './nn/net.js';
import { Optimizer, type OptimizerConfig } from './nn/optim.js';
import { serialRunner, threadedRunner, type Runner } from './nn/runner.js';
import { Session } from './nn/session.js';
import type { Phase } from '../study/types.js';
import { trainPhase, type RealPhaseResult } from './train.js';
import { frozenMasks, inheritInto } from './transfer/inherit.js';
import type { RealRun, RealRunOptions, TaskSummary } from './types.js';

export type { RealProgress, RealResult, RealRun, RealRunOptions, RealTimings, TaskSummary } from './types.js';

/** The keys upstream training never reads: every other key (and any key added later) separates cache entries. */
const downstreamOnlyKeys: readonly string[] = [
  'alpha', 'inheritance', 'inheritLayers', 'freezeInherited', 'downstreamData', 'downstreamClasses', 'n2', 'epochs2',
];

function upstreamKey(c: RealConfig, backend: string, threads: number): string {
  const upstream = Object.entries(c).filter(([k]) => !downstreamOnlyKeys.includes(k));
  return JSON.stringify({ upstream, backend, threads });
}

/** A few trained upstream networks of this thread (parameters and phase result), most recent last. */
const upstreamCache = new Map<string, { parameters: Float64Array; result: RealPhaseResult }>();
const UPSTREAM_CACHE_SIZE = 4;

/** Batches are always cut into this many shards, so thread counts cannot change results. */
const SHARDS = 2;

function summary(t: ImageTask): TaskSummary {
  return {
    dataset: t.source.name,
    classes: t.spec.classes,
    classNames: t.classNames,
    train: t.train.count,
    test: t.test.count,
    flippedLabels: t.flipped,
  };
}

/**
 * The real-data transfer study (docs/model.md#real-images): train upstream on task 1; initialise the downstream network fresh,
 * inherit parts of the upstream network into a copy of that initialisation, and train both (transfer and
 * scratch) on task 2 with the same minibatch order. A pure function of the config (and the data files).
 */
export function runReal(c: RealConfig, opts: RealRunOptions = {}): RealRun {
  const task1 = makeImageTask(
    { data: c.upstreamData, classes: c.upstreamClasses, nTrain: c.n1, nTest: c.nTest, labelNoise: c.labelNoise },
    c.seed,
    'upstream',
  );
  const task2 = makeImageTask(
    { data: c.downstreamData, classes: c.downstreamClasses, nTrain: c.n2, nTest: c.nTest, labelNoise: c.labelNoise },
    c.seed,
    'downstream',
  );
  const archOpts = { width: c.width, m: c.m, patch: c.patch };
  const backend: Backend = opts.backend === 'plain' ? plainBackend('float32') : wasmBackend();
  const threads = Math.max(1, Math.min(opts.threads ?? 2, availableParallelism(), SHARDS));
  const runner: Runner =
    backend.name === 'wasm' ? threadedRunner(backend as WasmBackend, threads) : serialRunner(backend);
  const build = (t: ImageTask) => {
    try {
      return new Model(backend.heap, architecture(c.arch, t.spec.classes.length, archOpts), t.source.shape);
    } catch (e) {
      const { h, w } = t.source.shape;
      throw new UserError(`arch ${c.arch} does not fit the ${h}×${w} images of ${t.source.name}: ${(e as Error).message}`);
    }
  };
  const optimizer = (m: Model, trainable?: (Uint8Array | null)[]) => {
    const cfg: OptimizerConfig = { kind: c.optimizer, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay };
    return new Optimizer(m, cfg, trainable);
  };
  const total = c.epochs1 * task1.train.count + 2 * c.epochs2 * task2.train.count;
  let images = 0;
  const times = { upstream: 0, transfer: 0, scratch: 0 };
  const phase = (name: Phase, model: Model, task: ImageTask, epochs: number, trainable?: (Uint8Array | null)[]) => {
    const t0 = performance.now();
    const session = new Session(backend, model, runner, { batch: c.batchSize, shards: SHARDS });
    const r = trainPhase({
      phase: name,
      session,
      optimizer: optimizer(model, trainable),
      train: task.train,
      test: task.test,
      epochs,
      batch: c.batchSize,
      order: new Rng(c.seed, `order:${name === 'upstream' ? 'upstream' : 'downstream'}`),
      checkpoints: c.checkpoints,
      onCurvePoint: opts.onCheckpoint && ((point) => opts.onCheckpoint!(name, point)),
      onImages: (n) => {
        images += n;
        opts.onProgress?.({ phase: name, images, total });
      },
    });
    times[name] = (performance.now() - t0) / 1000;
    return r;
  };

  try {
    const t0 = performance.now();
    const up = build(task1);
    const key = opts.reuseUpstream ? upstreamKey(c, backend.name, threads) : undefined;
    const cached = key === undefined ? undefined : upstreamCache.get(key);
    let upstream: RealPhaseResult;
    if (cached) {
      upstreamCache.delete(key!);
      upstreamCache.set(key!, cached);
      up.load(cached.parameters);
      upstream = structuredClone(cached.result);
      images += c.epochs1 * task1.train.count;
      opts.onProgress?.({ phase: 'upstream', images, total });
    } else {
      up.init(new Rng(c.seed, 'init:upstream'));
      upstream = phase('upstream', up, task1, c.epochs1);
      if (key !== undefined) {
        upstreamCache.set(key, { parameters: up.snapshot(), result: upstream });
        if (upstreamCache.size > UPSTREAM_CACHE_SIZE) upstreamCache.delete(upstreamCache.keys().next().value!);
      }
    }

    const fresh = build(task2);
    fresh.init(new Rng(c.seed, 'init:downstream'));
    const tr = build(task2);
    tr.load(fresh.snapshot());
    const sameClasses = c.upstreamData === c.downstreamData && c.upstreamClasses.join() === c.downstreamClasses.join();
    const inh = inheritInto(
      up,
      tr,
      { strategy: c.inheritance, alpha: c.alpha, inheritLayers: c.inheritLayers, sameClasses },
      new Rng(c.seed, 'inherit'),
    );
    const transfer = phase('transfer', tr, task2, c.epochs2, c.freezeInherited ? frozenMasks(inh) : undefined);
    const scratch = phase('scratch', fresh, task2, c.epochs2);
    const seconds = (performance.now() - t0) / 1000;
    return {
      result: {
        config: c,
        architecture: { name: c.arch, description: describeArch(c.arch, archOpts, task2.source.shape), parameters: fresh.parameterCount },
        data: { upstream: summary(task1), downstream: summary(task2) },
        upstream,
        transfer,
        scratch,
        gain: transfer.testAccuracy - scratch.testAccuracy,
        inheritance: inh.report,
      },
      timings: { ...times, total: seconds, imagesPerSecond: total / seconds },
    };
  } finally {
    runner.close();
  }
}
