import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { architecture, describeArch } from './arch/index.js';
import { upstreamCacheKey, type RealConfig } from './config.js';
import { makeImageTask, type ImageTask } from './data/tasks.js';
import { plainBackend, wasmBackend, type Backend, type WasmBackend } from './nn/backend.js';
import { Model } from './nn/net.js';
import { Optimizer, type Anchor, type OptimizerConfig } from './nn/optim.js';
import { serialRunner, threadedRunner, type Runner } from './nn/runner.js';
import { Session } from './nn/session.js';
import type { Phase } from '../study/types.js';
import { trainPhase, type RealPhaseResult } from './train.js';
import { frozenMasks, inheritedValues, inheritInto, shrinkPerturb } from './transfer/inherit.js';
import type { RealNetworks, RealResult, RealRun, RealRunOptions, TaskSummary } from './types.js';
import { loadNetwork } from './weights.js';

export type { RealNetworks, RealProgress, RealResult, RealRun, RealRunOptions, RealTimings, TaskSummary } from './types.js';

function upstreamKey(c: RealConfig, backend: string, threads: number): string {
  return JSON.stringify({ upstream: upstreamCacheKey(c), backend, threads });
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

/** The two tasks of a config: each with its own label noise and pixel noise, upstream possibly of mixed sources. */
export function realTasks(c: RealConfig): { task1: ImageTask; task2: ImageTask } {
  const task1 = makeImageTask(
    {
      data: c.upstreamData,
      classes: c.upstreamClasses,
      nTrain: c.n1,
      nTest: c.nTest,
      labelNoise: c.labelNoise || c.labelNoise1,
      pixelNoise: c.pixelNoise1,
      mix: c.upstreamMix > 0 ? { data: c.upstreamMixData, fraction: c.upstreamMix } : undefined,
    },
    c.seed,
    'upstream',
  );
  const task2 = makeImageTask(
    {
      data: c.downstreamData,
      classes: c.downstreamClasses,
      nTrain: c.n2,
      nTest: c.nTest,
      labelNoise: c.labelNoise || c.labelNoise2,
      pixelNoise: c.pixelNoise2,
    },
    c.seed,
    'downstream',
  );
  return { task1, task2 };
}

/** "a vgg network of width 8 with 5 classes": what a network file must hold, for errors. */
function networkWhat(c: RealConfig, classes: number): string {
  const size = c.arch === 'vgg' || c.arch === 'resnet' ? ` of width ${c.width}` : c.arch === 'twolayer' ? ` with m = ${c.m}, patch ${c.patch}` : '';
  return `a ${c.arch} network${size} with ${classes} classes`;
}

/**
 * The real-data transfer study (docs/real-data.md): train upstream on task 1 (or load it from a file); initialise the
 * downstream network fresh, inherit parts of the upstream network into a copy of that initialisation (optionally
 * shrunk and perturbed), and train both (transfer and scratch) on task 2 with the same minibatch order and the same
 * rule: at most epochs2 epochs, stopping once the training loss is below stopLoss, the first headEpochs training only
 * the classifier head. A pure function of the config (and the data files).
 */
export function runReal(c: RealConfig, opts: RealRunOptions = {}): RealRun {
  const { task1, task2 } = realTasks(c);
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
  const optimizer = (m: Model, lr: number, trainable?: (Uint8Array | null)[], anchor?: Anchor) => {
    const cfg: OptimizerConfig = { kind: c.optimizer, lr, momentum: c.momentum, weightDecay: c.weightDecay };
    return new Optimizer(m, cfg, trainable, anchor);
  };
  const epochs1 = opts.upstream ? 0 : c.epochs1;
  const total = epochs1 * task1.train.count + 2 * c.epochs2 * task2.train.count;
  let images = 0;
  const times = { upstream: 0, transfer: 0, scratch: 0 };
  const phase = (
    name: Phase,
    model: Model,
    task: ImageTask,
    epochs: number,
    o: { trainable?: (Uint8Array | null)[]; anchor?: Anchor } = {},
  ) => {
    const t0 = performance.now();
    const session = new Session(backend, model, runner, { batch: c.batchSize, shards: SHARDS });
    const downstream = name !== 'upstream';
    const head = model.paramLayers[model.paramLayers.length - 1];
    const r = trainPhase({
      phase: name,
      session,
      optimizer: optimizer(model, downstream && c.lr2 > 0 ? c.lr2 : c.lr, o.trainable, o.anchor),
      train: task.train,
      test: task.test,
      epochs,
      stopLoss: c.stopLoss,
      warmup: downstream && c.headEpochs > 0 ? { epochs: c.headEpochs, train: (j) => model.params[j].layer === head.layer } : undefined,
      batch: c.batchSize,
      order: new Rng(c.seed, `order:${downstream ? 'downstream' : 'upstream'}`),
      checkpoints: c.checkpoints,
      onCurvePoint: opts.onCheckpoint && ((point) => opts.onCheckpoint!(name, point)),
      onImages: (n) => {
        images += n;
        opts.onProgress?.({ phase: name, images, total });
      },
    });
    // Stopped early by the loss rule: the bar jumps over the epochs not needed.
    const skipped = (epochs - r.epochs) * task.train.count;
    if (skipped) {
      images += skipped;
      opts.onProgress?.({ phase: name, images, total });
    }
    times[name] = (performance.now() - t0) / 1000;
    return { result: r, session };
  };

  try {
    const t0 = performance.now();
    const up = build(task1);
    const key = opts.reuseUpstream && !opts.upstream ? upstreamKey(c, backend.name, threads) : undefined;
    const cached = key === undefined ? undefined : upstreamCache.get(key);
    let upstream: RealPhaseResult;
    let upstreamFile: RealResult['upstreamFile'];
    if (cached) {
      upstreamCache.delete(key!);
      upstreamCache.set(key!, cached);
      up.load(cached.parameters);
      upstream = structuredClone(cached.result);
      images += c.epochs1 * task1.train.count;
      opts.onProgress?.({ phase: 'upstream', images, total });
    } else {
      if (opts.upstream) {
        loadNetwork(opts.upstream, up, networkWhat(c, task1.spec.classes.length));
        upstreamFile = { path: opts.upstream, sha256: createHash('sha256').update(readFileSync(opts.upstream)).digest('hex') };
      } else {
        up.init(new Rng(c.seed, 'init:upstream'));
      }
      upstream = phase('upstream', up, task1, epochs1).result;
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
    const anchor: Anchor | undefined = c.l2sp > 0 ? { lambda: c.l2sp, values: inheritedValues(tr, inh) } : undefined;
    shrinkPerturb(tr, inh, { shrink: c.shrink, perturb: c.perturb }, new Rng(c.seed, 'perturb'));
    const transferInit = opts.keepWeights ? tr.snapshot() : undefined;
    const transfer = phase('transfer', tr, task2, c.epochs2, { trainable: c.freezeInherited ? frozenMasks(inh) : undefined, anchor });
    const scratch = phase('scratch', fresh, task2, c.epochs2);
    const seconds = (performance.now() - t0) / 1000;
    const result: RealResult = {
      config: c,
      architecture: { name: c.arch, description: describeArch(c.arch, archOpts, task2.source.shape), parameters: fresh.parameterCount },
      data: { upstream: summary(task1), downstream: summary(task2) },
      upstream,
      transfer: transfer.result,
      scratch: scratch.result,
      gain: transfer.result.testAccuracy - scratch.result.testAccuracy,
      inheritance: inh.report,
      ...(upstreamFile ? { upstreamFile } : {}),
    };
    const networks: RealNetworks | undefined = opts.keepWeights
      ? {
          upstream: { layers: up.layers, input: up.input, parameters: up.snapshot() },
          transferInit: { layers: tr.layers, input: tr.input, parameters: transferInit! },
          transfer: { layers: tr.layers, input: tr.input, parameters: tr.snapshot() },
          scratch: { layers: fresh.layers, input: fresh.input, parameters: fresh.snapshot() },
        }
      : undefined;
    return {
      result,
      timings: { ...times, total: seconds, imagesPerSecond: total / seconds },
      ...(networks ? { networks } : {}),
    };
  } finally {
    runner.close();
  }
}
