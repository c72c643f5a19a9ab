import { readSafetensorsShapes } from '../io/safetensors.js';
import type { ResourceEstimate } from '../study/types.js';
import { architecture } from './arch/index.js';
import type { RealConfig } from './config.js';
import { builtinDatasets } from './data/sources.js';
import { inferShapes, inputsOf, type ImageShape, type LayerSpec } from './nn/net.js';

/**
 * The resource guard's price of one real-data run, from the config alone (docs/architecture.md, "Resource guard"):
 * the network's multiply-adds per image (counted from its layers), times the images trained and evaluated; memory
 * for the minibatch activations and their gradients, the parameters with the optimiser's state, and the images.
 */

/**
 * Seconds per multiply-add of the CNN kernels, one thread (a training image costs 3 forward passes), and 0.8 s of
 * start-up: fitted to the CPU time of `real mnist-split` with the VGG net at widths 8 and 16, the ResNet and the
 * two-layer net; checked on fashion-to-mnist (15.3 s estimated, 16.0 s measured) and the reference CNN (6.5 / 6.4 s).
 */
export const secondsPerMultiplyAdd = 1.4e-10;
/** What the process holds besides the run's arrays: Node, the kernels, a decoded image dataset. */
export const baseBytes = 300e6;
const F32 = 4;

/** The image shape of a dataset: 28×28 grey for the shipped ones, the file's X [N, C, H, W] otherwise. */
function imageShape(data: string): ImageShape {
  if (builtinDatasets[data]) return { c: 1, h: 28, w: 28 };
  const X = readSafetensorsShapes(data)?.X;
  return X && X.length === 4 ? { c: X[1], h: X[2], w: X[3] } : { c: 1, h: 28, w: 28 };
}

/**
 * Multiply-adds of one forward pass and the values every layer outputs, for one image, from the layers' shapes
 * (`inferShapes`, the network's own). A network that does not fit its images costs nothing here: running it reports why.
 */
export function forwardCost(layers: readonly LayerSpec[], input: ImageShape): { macs: number; values: number; parameters: number } {
  let shapes: ImageShape[];
  try {
    shapes = inferShapes(layers, input);
  } catch {
    return { macs: 0, values: 0, parameters: 0 };
  }
  let macs = 0;
  let parameters = 0;
  layers.forEach((l, i) => {
    const [j] = inputsOf(l, i);
    const x = j < 0 ? input : shapes[j];
    const y = shapes[i];
    if (l.kind === 'conv') {
      macs += l.out * x.c * l.k * l.k * y.h * y.w;
      parameters += l.out * x.c * l.k * l.k + (l.bias === false ? 0 : l.out);
    } else if (l.kind === 'linear') {
      macs += l.out * x.c * x.h * x.w;
      parameters += l.fixed ? 0 : l.out * (x.c * x.h * x.w + 1);
    }
  });
  const values = shapes.reduce((sum, s) => sum + s.c * s.h * s.w, 0);
  return { macs, values, parameters };
}

/** Peak memory, time and their drivers of one real-data run. */
export function estimateReal(c: RealConfig): ResourceEstimate {
  const up = imageShape(c.upstreamData);
  const down = imageShape(c.downstreamData);
  const opts = { width: c.width, m: c.m, patch: c.patch };
  const netUp = forwardCost(architecture(c.arch, c.upstreamClasses.length, opts), up);
  const netDown = forwardCost(architecture(c.arch, c.downstreamClasses.length, opts), down);
  const k1 = c.upstreamClasses.length;
  const k2 = c.downstreamClasses.length;
  const pixels = (s: ImageShape) => s.c * s.h * s.w;
  // Training: forward, backward to the inputs and to the weights, about three forward passes per image.
  const trainUp = 3 * netUp.macs * c.n1 * k1 * c.epochs1;
  const trainDown = 2 * 3 * netDown.macs * c.n2 * k2 * c.epochs2;
  // Evaluation at epoch 0 and at every checkpoint, of each phase's test set.
  const evals = (epochs: number) => 1 + Math.min(c.checkpoints, epochs);
  const evalUp = netUp.macs * c.nTest * k1 * evals(c.epochs1);
  const evalWork = evalUp + 2 * netDown.macs * c.nTest * k2 * evals(c.epochs2);
  const time = [
    { amount: trainUp, keys: ['n1', 'epochs1', 'arch', 'width'] },
    { amount: trainDown, keys: ['n2', 'epochs2', 'arch', 'width'] },
    { amount: evalWork, keys: ['nTest', 'checkpoints', 'arch', 'width'] },
  ];
  const batch = (n: number) => Math.min(c.batchSize, n);
  const memory = [
    // activations and their gradients for one minibatch (float32)
    { amount: 2 * F32 * Math.max(netUp.values * batch(c.n1 * k1), netDown.values * batch(c.n2 * k2)), keys: ['batchSize', 'arch', 'width'] },
    // parameters, gradients, two optimiser moments, of the three networks
    { amount: 3 * 4 * F32 * Math.max(netUp.parameters, netDown.parameters), keys: ['arch', 'width', 'm'] },
    // the tasks' images (float32)
    { amount: F32 * ((c.n1 + c.nTest) * k1 * pixels(up) + (c.n2 + c.nTest) * k2 * pixels(down)), keys: ['n1', 'nTest'] },
  ];
  const top = (terms: { amount: number; keys: string[] }[]) => terms.reduce((a, b) => (b.amount > a.amount ? b : a)).keys;
  const largest = Math.max(netUp.values * batch(c.n1 * k1), netDown.values * batch(c.n2 * k2), (c.n1 + c.nTest) * k1 * pixels(up));
  // The upstream phase (training and its evaluations): shared by the runs of one upstream network in a sweep.
  const upstreamWork = trainUp + evalUp;
  return {
    bytes: baseBytes + memory.reduce((s, t) => s + t.amount, 0),
    seconds: 0.8 + secondsPerMultiplyAdd * time.reduce((s, t) => s + t.amount, 0),
    sharedSeconds: secondsPerMultiplyAdd * upstreamWork,
    mayStopEarly: c.stopLoss > 0,
    memoryDrivers: top(memory),
    timeDrivers: top(time),
    ...(largest > 2 ** 32 ? { largestArray: largest } : {}),
  };
}
