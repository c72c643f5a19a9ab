import { Rng } from '../util/rng.js';
import { referenceCnn } from './arch/reference.js';
import { plainBackend, wasmBackend, type Backend } from './nn/backend.js';
import { Model } from './nn/net.js';
import { Optimizer } from './nn/optim.js';
import { serialRunner, threadedRunner } from './nn/runner.js';
import { Session, type ImageSet } from './nn/session.js';

export interface CnnBenchOptions {
  /** worker threads including the main thread (default: 2) */
  threads?: number;
  /** batch shards (default: 2) */
  shards?: number;
  /** images per timed epoch (default 4096, as the PyTorch peer) */
  images?: number;
  /** timed epochs after one warm-up epoch (default 2) */
  epochs?: number;
  backend?: 'wasm' | 'plain';
}

export interface CnnBenchResult {
  imagesPerSecond: number;
  threads: number;
  seconds: number;
}

/**
 * Training throughput of the reference CNN on random 28×28×1 images, batch 64, SGD with momentum: one
 * warm-up epoch, then `epochs` timed epochs (the protocol of the PyTorch peer).
 */
export function benchCnn(opts: CnnBenchOptions = {}): CnnBenchResult {
  const images = opts.images ?? 4096;
  const epochs = opts.epochs ?? 2;
  const threads = opts.threads ?? 2;
  const backend: Backend = opts.backend === 'plain' ? plainBackend('float32') : wasmBackend();
  const runner = backend.name === 'wasm' ? threadedRunner(backend as ReturnType<typeof wasmBackend>, threads) : serialRunner(backend);
  try {
    const shape = { c: 1, h: 28, w: 28 };
    const model = new Model(backend.heap, referenceCnn(10), shape);
    const rng = new Rng(0, 'bench');
    model.init(rng);
    const data: ImageSet = {
      x: Float32Array.from({ length: images * 784 }, () => rng.uniform()),
      y: Int32Array.from({ length: images }, () => rng.int(10)),
      shape,
      count: images,
    };
    const session = new Session(backend, model, runner, { batch: 64, shards: opts.shards ?? 2 });
    const opt = new Optimizer(model, { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0 });
    const order = Int32Array.from({ length: images }, (_, i) => i);
    const epoch = () => {
      for (let i = 0; i < images; i += 64) session.step(data, order, i, Math.min(images, i + 64), opt);
    };
    epoch();
    const t0 = performance.now();
    for (let e = 0; e < epochs; e++) epoch();
    const seconds = (performance.now() - t0) / 1000;
    return { imagesPerSecond: (epochs * images) / seconds, threads: runner.threads, seconds };
  } finally {
    runner.close();
  }
}
