import { z } from 'zod';
import type { Reproduction } from '../study/reproduction.js';
import { phases, type ResourceEstimate, type Study } from '../study/types.js';
import { realConfigs, upstreamCacheKey, type RealConfig } from './config.js';
import { formatRealSummary } from './format.js';
import { formatRealAdvice } from './advice-format.js';
import type { CurvePoint, RealNetworks, RealResult, RealRun, RealRunOptions } from './types.js';

/** Axis labels of the real-data study's keys (its sample counts are per class). */
export const realFactorLabels: Record<string, string> = {
  alpha: 'inheritance ratio α',
  n1: 'upstream training images per class',
  n2: 'downstream training images per class',
  nTest: 'test images per class',
  labelNoise: 'label noise p (both tasks)',
  labelNoise1: 'upstream label noise p₁',
  labelNoise2: 'downstream label noise p₂',
  pixelNoise1: 'upstream pixel noise σ₁',
  pixelNoise2: 'downstream pixel noise σ₂',
  upstreamMix: 'fraction of mixed-in upstream images',
  width: 'channels of the first stage',
  m: 'filters per class m',
  patch: 'patch side',
  lr: 'step size',
  lr2: 'downstream step size',
  momentum: 'momentum',
  weightDecay: 'weight decay',
  batchSize: 'batch size',
  epochs1: 'upstream epochs',
  epochs2: 'downstream epochs',
  inheritLayers: 'layers inherited whole',
  stopLoss: 'training-loss threshold',
  headEpochs: 'head warm-up epochs',
  l2sp: 'L2-SP penalty λ',
  shrink: 'shrink λ',
  perturb: 'perturb σ',
};

/**
 * The measures of a real-data run: each phase's final test accuracy and loss, training accuracy and loss, epochs
 * and steps (the curves stay in the store), the gain acc_transfer − acc_scratch, what was inherited and the sizes
 * of the tasks.
 */
export function realMeasureTree(r: RealResult): Record<string, unknown> {
  const phase = (p: RealResult['upstream']) => {
    const { curve: _curve, ...rest } = p;
    return rest;
  };
  const task = (t: RealResult['data']['upstream']) => ({ train: t.train, test: t.test, flippedLabels: t.flippedLabels });
  return {
    upstream: phase(r.upstream),
    transfer: phase(r.transfer),
    scratch: phase(r.scratch),
    gain: r.gain,
    inheritance: { parameters: r.inheritance.parameters, total: r.inheritance.total, head: r.inheritance.head },
    data: { upstream: task(r.data.upstream), downstream: task(r.data.downstream) },
    architecture: { parameters: r.architecture.parameters },
  };
}

const phaseResult = z.looseObject({
  testAccuracy: z.number(),
  testLoss: z.number(),
  trainAccuracy: z.number(),
  curve: z.array(z.unknown()),
});

/** A real-data result as stored or sent back by a worker: each phase's test accuracy, the gain, the networks. */
const resultSchema = z.looseObject({
  config: z.record(z.string(), z.unknown()),
  architecture: z.looseObject({ parameters: z.number() }),
  upstream: phaseResult,
  transfer: phaseResult,
  scratch: phaseResult,
  gain: z.number(),
});

/** The keys holding integers. */
const integerKeys = ['n1', 'n2', 'nTest', 'width', 'm', 'patch', 'batchSize', 'epochs1', 'epochs2', 'headEpochs', 'inheritLayers', 'seed', 'checkpoints'];

/** The engine loads on first use, as the synthetic study's does (see src/experiment/study.ts). */
const runModule = './run.js';
const estimateModule = './estimate.js';
const weightsModule = './weights.js';
const reproductionModule = './reproduction.js';
const adviseModule = './advise.js';
const benchmarkModule = './advise-benchmark.js';

/** The real-image study (docs/real-data.md): CNNs of the project's own engine on MNIST and Fashion-MNIST. */
export const realStudy: Study<RealConfig, RealResult, CurvePoint> = {
  name: 'real',
  title: 'real-data study',
  adjective: 'real-data',
  command: 'real',
  description: 'real-data transfer: upstream, transfer and scratch CNNs on MNIST, Fashion-MNIST or your images',
  configs: realConfigs,
  integerKeys,
  factorLabels: realFactorLabels,
  phases,
  measure: {
    key: 'testAccuracy',
    label: 'test accuracy',
    description: 'Accuracies are test accuracies (clean test labels); every run trains upstream, transfer and scratch networks on the real images',
    short: 'accuracy',
    higherIsBetter: true,
    gain: 'acc_transfer − acc_scratch',
    gainShort: 'acc_t − acc_s',
    axisFormat: '.0%',
    gainFormat: '+.1~%',
  },
  idPrefix: 'real:',
  engines: ['cnn'],
  defaultEngine: 'cnn',
  resultSchema,
  async run(config, opts = {}) {
    const { runReal } = (await import(/* @vite-ignore */ runModule)) as { runReal: (c: RealConfig, o: RealRunOptions) => RealRun };
    const { onProgress } = opts;
    const run = runReal(config, {
      threads: opts.pooled ? 1 : opts.threads,
      reuseUpstream: opts.pooled,
      keepWeights: opts.keepWeights,
      upstream: opts.upstream,
      onProgress: onProgress && ((p) => onProgress({ phase: p.phase, done: p.images, total: p.total, unit: 'images' })),
      onCheckpoint: opts.onCheckpoint,
    });
    return { result: run.result, timings: run.timings, artifacts: run.networks };
  },
  format: formatRealSummary,
  measures: realMeasureTree,
  fractionKeys: ['testAccuracy', 'trainAccuracy'],
  testSamples: (r, phase) => (phase === 'upstream' ? r.data.upstream.test : r.data.downstream.test),
  async estimate(c) {
    const { estimateReal } = (await import(/* @vite-ignore */ estimateModule)) as { estimateReal: (c: RealConfig) => ResourceEstimate };
    return estimateReal(c);
  },
  async save(dir, run) {
    const { saveRealNetworks } = (await import(/* @vite-ignore */ weightsModule)) as {
      saveRealNetworks: (dir: string, networks: RealNetworks, config: RealConfig) => string[];
    };
    return saveRealNetworks(dir, run.artifacts as RealNetworks, run.result.config);
  },
  reuseKey: upstreamCacheKey,
  advisor: {
    async advise(config, alphas, opts) {
      const { adviseReal } = (await import(/* @vite-ignore */ adviseModule)) as typeof import('./advise.js');
      return adviseReal(config, alphas, { upstream: opts?.upstream });
    },
    measuredGain: (r) => r.gain,
    format: formatRealAdvice,
    async benchmark(dir, opts) {
      const { realAdvisorBenchmark } = (await import(/* @vite-ignore */ benchmarkModule)) as typeof import('./advise-benchmark.js');
      return realAdvisorBenchmark(dir, opts);
    },
  },
  async reproduction() {
    return ((await import(/* @vite-ignore */ reproductionModule)) as typeof import('./reproduction.js')).realReproduction as Reproduction;
  },
  upstreamFile:
    'a safetensors file with the PyTorch parameter names of the architecture (as --save writes; tools/torch_models.py)',
};
