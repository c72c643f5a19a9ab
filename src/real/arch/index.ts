import type { LayerSpec, ImageShape } from '../nn/net.js';
import { referenceCnn } from './reference.js';

export { referenceCnn };

export const archNames = ['reference', 'vgg', 'resnet', 'twolayer'] as const;
export type ArchName = (typeof archNames)[number];

export interface ArchOptions {
  /** channels of the first stage (VGG, ResNet) */
  width: number;
  /** filters per class of the two-layer CNN (m) */
  m: number;
  /** patch side of the two-layer CNN (non-overlapping patches) */
  patch: number;
}

/**
 * VGG-style: two 3×3 convolutions per stage, max-pool between stages, width doubling, linear head. PyTorch names
 * (tools/torch_models.py): `features` is the Sequential of the stages, `classifier` the head.
 */
export function vgg(classes: number, width: number): LayerSpec[] {
  const stage = (c: number, at: number): LayerSpec[] => [
    { kind: 'conv', out: c, k: 3, pad: 1, module: `features.${at}` },
    { kind: 'relu' },
    { kind: 'conv', out: c, k: 3, pad: 1, module: `features.${at + 2}` },
    { kind: 'relu' },
    { kind: 'maxpool' },
  ];
  return [...stage(width, 0), ...stage(2 * width, 5), { kind: 'flatten' }, { kind: 'linear', out: classes, module: 'classifier' }];
}

/**
 * ResNet-style without normalisation layers: a 3×3 stem, three residual blocks (width, 2·width with stride 2,
 * 4·width with stride 2; 1×1 projection shortcuts where the shape changes), global average pool, linear head.
 * The last convolution of each branch starts at 1/√blocks of the He scale so the sum stays well scaled
 * (the Fixup idea), which lets the net train without batch norm.
 */
export function resnet(classes: number, width: number): LayerSpec[] {
  const layers: LayerSpec[] = [{ kind: 'conv', out: width, k: 3, pad: 1, module: 'stem' }, { kind: 'relu' }];
  const blocks = [
    [width, 1],
    [2 * width, 2],
    [4 * width, 2],
  ];
  let channels = width;
  blocks.forEach(([c, stride], b) => {
    const input = layers.length - 1;
    const block = `layer${b + 1}`;
    layers.push(
      { kind: 'conv', out: c, k: 3, stride, pad: 1, input, module: `${block}.conv1` },
      { kind: 'relu' },
      { kind: 'conv', out: c, k: 3, pad: 1, initScale: 1 / Math.sqrt(blocks.length), module: `${block}.conv2` },
    );
    const branch = layers.length - 1;
    let shortcut = input;
    if (stride !== 1 || c !== channels) {
      layers.push({ kind: 'conv', out: c, k: 1, stride, input, module: `${block}.shortcut` });
      shortcut = layers.length - 1;
    }
    layers.push({ kind: 'add', inputs: [branch, shortcut] }, { kind: 'relu' });
    channels = c;
  });
  layers.push({ kind: 'gap' }, { kind: 'linear', out: classes, module: 'fc' });
  return layers;
}

/**
 * The theory's two-layer ReLU CNN on image patches: m filters per class over non-overlapping patch×patch
 * patches, F_j(x) = (1/m) Σ_r Σ_q σ(⟨w_{j,r}, x_q⟩), and a fixed second layer (the class sums) that never
 * trains. No biases, as in docs/model.md#network; softmax cross-entropy generalises the logistic loss.
 */
export function twoLayer(classes: number, m: number, patch: number): LayerSpec[] {
  const fixed = new Float64Array(classes * classes * m);
  for (let j = 0; j < classes; j++) for (let r = 0; r < m; r++) fixed[j * classes * m + j * m + r] = 1 / m;
  return [
    { kind: 'conv', out: classes * m, k: patch, stride: patch, bias: false, module: 'conv' },
    { kind: 'relu' },
    { kind: 'gap', sum: true },
    { kind: 'linear', out: classes, fixed },
  ];
}

export function architecture(name: ArchName, classes: number, o: ArchOptions): LayerSpec[] {
  switch (name) {
    case 'reference':
      return referenceCnn(classes);
    case 'vgg':
      return vgg(classes, o.width);
    case 'resnet':
      return resnet(classes, o.width);
    case 'twolayer':
      return twoLayer(classes, o.m, o.patch);
  }
}

export function describeArch(name: ArchName, o: ArchOptions, shape: ImageShape): string {
  switch (name) {
    case 'reference':
      return 'reference CNN (conv 16 → pool → conv 32 → pool → linear)';
    case 'vgg':
      return `VGG-style (2×conv ${o.width} → pool → 2×conv ${2 * o.width} → pool → linear)`;
    case 'resnet':
      return `ResNet-style (stem ${o.width}, residual blocks ${o.width}/${2 * o.width}/${4 * o.width}, GAP → linear)`;
    case 'twolayer':
      return `two-layer ReLU CNN (m = ${o.m} filters per class on ${o.patch}×${o.patch} patches of ${shape.h}×${shape.w})`;
  }
}
