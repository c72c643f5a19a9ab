import type { Model } from './net.js';

export interface OptimizerConfig {
  kind: 'sgd' | 'adam';
  lr: number;
  /** SGD momentum μ (PyTorch convention: v ← μv + g, p ← p − lr·v) */
  momentum: number;
  /** L2 penalty added to the gradient (as PyTorch's weight_decay) */
  weightDecay: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/**
 * Minibatch SGD with momentum, or Adam; state in float64, parameters rounded to the heap's float32 on store.
 * `trainable[j]` (per parameter, per entry: 1 trains, 0 frozen) holds frozen entries bitwise fixed; a
 * frozen entry gets no weight decay either. Fixed parameters (part of the architecture) never move.
 */
export class Optimizer {
  private readonly state: Float64Array[];
  private readonly state2: Float64Array[];
  /** β₁ᵗ and β₂ᵗ as running products (exact, unlike Math.pow, on every engine) */
  private b1t = 1;
  private b2t = 1;

  constructor(
    readonly model: Model,
    readonly config: OptimizerConfig,
    readonly trainable: (Uint8Array | null)[] = model.params.map(() => null),
  ) {
    this.state = model.params.map((p) => new Float64Array(p.fixed ? 0 : p.size));
    this.state2 = model.params.map((p) => new Float64Array(p.fixed || config.kind !== 'adam' ? 0 : p.size));
  }

  /** One update from the gradients at the given heap offsets (one per parameter; 0 = none). */
  step(grads: readonly number[]): void {
    const { lr, momentum, weightDecay: wd } = this.config;
    const h = this.model.heap.data;
    const adam = this.config.kind === 'adam';
    const b1 = this.config.beta1 ?? 0.9;
    const b2 = this.config.beta2 ?? 0.999;
    const eps = this.config.eps ?? 1e-8;
    this.b1t *= b1;
    this.b2t *= b2;
    const c1 = 1 - this.b1t;
    const c2 = 1 - this.b2t;
    this.model.params.forEach((p, j) => {
      if (p.fixed || !grads[j]) return;
      const mask = this.trainable[j];
      const m = this.state[j];
      const v = this.state2[j];
      const po = p.offset;
      const go = grads[j];
      for (let i = 0; i < p.size; i++) {
        if (mask && !mask[i]) continue;
        const w = h[po + i];
        const g = h[go + i] + wd * w;
        if (adam) {
          m[i] = b1 * m[i] + (1 - b1) * g;
          v[i] = b2 * v[i] + (1 - b2) * g * g;
          h[po + i] = w - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
        } else {
          m[i] = momentum * m[i] + g;
          h[po + i] = w - lr * m[i];
        }
      }
    });
  }
}
