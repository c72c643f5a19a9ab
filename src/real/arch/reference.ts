import type { LayerSpec } from '../nn/net.js';

/**
 * The reference CNN of the throughput benchmark (and of the PyTorch peer): conv 16@3×3 → ReLU → max-pool →
 * conv 32@3×3 → ReLU → max-pool → linear.
 */
export function referenceCnn(classes: number): LayerSpec[] {
  return [
    { kind: 'conv', out: 16, k: 3, module: 'features.0' },
    { kind: 'relu' },
    { kind: 'maxpool' },
    { kind: 'conv', out: 32, k: 3, module: 'features.3' },
    { kind: 'relu' },
    { kind: 'maxpool' },
    { kind: 'flatten' },
    { kind: 'linear', out: classes, module: 'classifier' },
  ];
}
