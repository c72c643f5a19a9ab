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
 * L2-SP (Li et al. 2018): the penalty (λ/2)·‖w − w₀‖² toward anchor values w₀, added to the gradient as λ·(w − w₀)
 * on the anchored entries only (NaN: not anchored).
 */
export interface Anchor {
  lambda: number;
  /** per parameter: anchor value of each entry (NaN where none), or null when no entry is anchored */
  values: (Float64Array | null)[];
}

/**
 * Minibatch SGD with momentum, or Adam; state in float64, parameters rounded to the heap's float32 on store.
 * `trainable[j]` (per parameter, per entry: 1 trains, 0 frozen) holds frozen entries bitwise fixed; a
 * frozen entry gets no weight decay either. Fixed parameters (part of the architecture) never move. A parameter
 * can be paused (`only`): it is not stepped at all, and, as in PyTorch, Adam counts its steps from its first update.
 */
export class Optimizer {
  private readonly state: Float64Array[];
  private readonly state2: Float64Array[];
  /** per parameter, β₁ᵗ and β₂ᵗ of its own step count t, as running products (exact, unlike Math.pow, on every engine) */
  private readonly b1t: Float64Array;
  private readonly b2t: Float64Array;
  private active: boolean[];

  constructor(
    readonly model: Model,
    readonly config: OptimizerConfig,
    readonly trainable: (Uint8Array | null)[] = model.params.map(() => null),
    readonly anchor?: Anchor,
  ) {
    this.state = model.params.map((p) => new Float64Array(p.fixed ? 0 : p.size));
    this.state2 = model.params.map((p) => new Float64Array(p.fixed || config.kind !== 'adam' ? 0 : p.size));
    this.b1t = new Float64Array(model.params.length).fill(1);
    this.b2t = new Float64Array(model.params.length).fill(1);
    this.active = model.params.map(() => true);
  }

  /** Step only the parameters for which `which` holds (all of them: `only(() => true)`). */
  only(which: (j: number) => boolean): void {
    this.active = this.model.params.map((_, j) => which(j));
  }

  /** One update from the gradients at the given heap offsets (one per parameter; 0 = none). */
  step(grads: readonly number[]): void {
    const { lr, momentum, weightDecay: wd } = this.config;
    const h = this.model.heap.data;
    const adam = this.config.kind === 'adam';
    const b1 = this.config.beta1 ?? 0.9;
    const b2 = this.config.beta2 ?? 0.999;
    const eps = this.config.eps ?? 1e-8;
    const lambda = this.anchor?.lambda ?? 0;
    this.model.params.forEach((p, j) => {
      if (p.fixed || !grads[j] || !this.active[j]) return;
      this.b1t[j] *= b1;
      this.b2t[j] *= b2;
      const c1 = 1 - this.b1t[j];
      const c2 = 1 - this.b2t[j];
      const mask = this.trainable[j];
      const anchor = lambda > 0 ? this.anchor!.values[j] : null;
      const m = this.state[j];
      const v = this.state2[j];
      const po = p.offset;
      const go = grads[j];
      for (let i = 0; i < p.size; i++) {
        if (mask && !mask[i]) continue;
        const w = h[po + i];
        let g = h[go + i] + wd * w;
        if (anchor && anchor[i] === anchor[i]) g += lambda * (w - anchor[i]);
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
