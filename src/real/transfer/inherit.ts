import { UserError } from '../../util/errors.js';
import { roundHalfEven } from '../../util/math.js';
import type { Rng } from '../../util/rng.js';
import type { Model } from '../nn/net.js';

import type { InheritanceStrategy } from '../../transfer/strategies.js';

export interface InheritOptions {
  strategy: InheritanceStrategy;
  alpha: number;
  /** layers inherited whole by `layers` */
  inheritLayers: number;
  /** same dataset and classes upstream and downstream: only then may the classifier head be inherited */
  sameClasses: boolean;
}

export interface LayerInheritance {
  /** e.g. "conv2" */
  layer: string;
  filters: number;
  /** filters copied whole (filter strategies), or null (entries) */
  inheritedFilters: number | null;
  parameters: number;
  inherited: number;
  role: 'body' | 'head' | 'fixed';
}

export interface InheritReport {
  strategy: InheritanceStrategy;
  /** parameters copied from upstream */
  parameters: number;
  /** trainable downstream parameters */
  total: number;
  /** "new" when the class set changed (the head is always fresh then), else "inherited"; "fixed" if not trained */
  head: 'new' | 'inherited' | 'fixed';
  layers: LayerInheritance[];
}

export interface ModelInheritance {
  /** per downstream parameter: 1 where the entry was copied from upstream */
  masks: Uint8Array[];
  report: InheritReport;
}

/**
 * Copy parts of a trained upstream model into a freshly initialised downstream model of the same
 * architecture (in place); everything not copied keeps its fresh value. Draws from rng layer by layer.
 */
export function inheritInto(up: Model, down: Model, o: InheritOptions, rng: Rng): ModelInheritance {
  if (up.paramLayers.length !== down.paramLayers.length) {
    throw new UserError('cannot inherit: the upstream and downstream networks have different layers');
  }
  const masks = down.params.map((p) => new Uint8Array(p.size));
  const layers: LayerInheritance[] = [];
  const headLayer = down.paramLayers[down.paramLayers.length - 1];
  const headFixed = headLayer.weight.fixed;
  const inheritHead = o.sameClasses && !headFixed;
  const eligible = down.paramLayers.filter((pl) => !pl.weight.fixed && (pl !== headLayer || inheritHead));
  if (o.strategy === 'layers' && o.inheritLayers > eligible.length) {
    throw new UserError(
      `inheritLayers: ${o.inheritLayers} exceeds the ${eligible.length} layers that can be inherited here` +
        (inheritHead || headFixed ? '' : ' (the classifier head is new because the classes change)'),
    );
  }
  down.paramLayers.forEach((pl, li) => {
    const upl = up.paramLayers[li];
    const pair = [pl.weight, pl.bias].filter((p) => p !== null);
    const upPair = [upl.weight, upl.bias].filter((p) => p !== null);
    const name = pl.weight.name.replace(/\.weight$/, '');
    const role = pl.weight.fixed ? 'fixed' : pl === headLayer ? 'head' : 'body';
    const rows = pl.weight.rows;
    const record: LayerInheritance = {
      layer: name,
      filters: rows,
      inheritedFilters: o.strategy === 'entries' ? null : 0,
      parameters: pair.reduce((a, p) => a + p.size, 0),
      inherited: 0,
      role,
    };
    layers.push(record);
    const at = eligible.indexOf(pl);
    if (at < 0) return;
    pair.forEach((p, i) => {
      const q = upPair[i];
      if (!q || q.size !== p.size || q.shape.join() !== p.shape.join()) {
        throw new UserError(
          `cannot inherit ${p.name}: upstream shape [${q?.shape ?? '—'}] differs from downstream [${p.shape}]` +
            ' (the two tasks need images with the same number of channels)',
        );
      }
    });
    let filters: ArrayLike<number> = [];
    if (o.strategy === 'random') filters = rng.sample(rows, roundHalfEven(o.alpha * rows));
    else if (o.strategy === 'first') filters = Array.from({ length: roundHalfEven(o.alpha * rows) }, (_, i) => i);
    else if (o.strategy === 'layers') filters = at < o.inheritLayers ? Array.from({ length: rows }, (_, i) => i) : [];
    pair.forEach((p, i) => {
      const src = up.view(upPair[i]!);
      const dst = down.view(p);
      const mask = masks[down.params.indexOf(p)];
      if (o.strategy === 'entries') {
        for (let e = 0; e < p.size; e++) {
          if (rng.uniform() < o.alpha) {
            dst[e] = src[e];
            mask[e] = 1;
          }
        }
      } else {
        const per = p.size / rows;
        for (let f = 0; f < filters.length; f++) {
          const r = filters[f];
          dst.set(src.subarray(r * per, (r + 1) * per), r * per);
          mask.fill(1, r * per, (r + 1) * per);
        }
      }
      record.inherited += mask.reduce((a, b) => a + b, 0);
    });
    if (record.inheritedFilters !== null) record.inheritedFilters = filters.length;
  });
  const total = down.params.filter((p) => !p.fixed).reduce((a, p) => a + p.size, 0);
  return {
    masks,
    report: {
      strategy: o.strategy,
      parameters: layers.reduce((a, l) => a + l.inherited, 0),
      total,
      head: headFixed ? 'fixed' : inheritHead ? 'inherited' : 'new',
      layers,
    },
  };
}

/** Trainable masks for the optimiser: inherited entries frozen (0), the rest trained; null = all train. */
export function frozenMasks(inh: ModelInheritance): (Uint8Array | null)[] {
  return inh.masks.map((m) => (m.some((b) => b) ? m.map((b) => 1 - b) : null));
}

/**
 * The L2-SP anchor of an inheritance: per parameter, the inherited (upstream) value of every inherited entry and
 * NaN elsewhere, or null where nothing was inherited. Read right after `inheritInto`, before shrink and perturb.
 */
export function inheritedValues(down: Model, inh: ModelInheritance): (Float64Array | null)[] {
  return down.params.map((p, j) => {
    const mask = inh.masks[j];
    if (!mask.some((b) => b)) return null;
    const v = down.view(p);
    return Float64Array.from(mask, (b, i) => (b ? v[i] : NaN));
  });
}

/**
 * Shrink and perturb (Ash & Adams 2020) of the inherited entries, in place: w ← (1 − shrink)·w, plus, on weights,
 * perturb × a fresh He-normal draw (std √(2/fan-in), the scale of a new initialisation). The noise is drawn for
 * every weight entry in parameter order (stream `perturb`) and added where inherited, so it does not depend on
 * which entries were inherited.
 */
export function shrinkPerturb(down: Model, inh: ModelInheritance, o: { shrink: number; perturb: number }, rng: Rng): void {
  if (!o.shrink && !o.perturb) return;
  down.params.forEach((p, j) => {
    if (p.fixed) return;
    const mask = inh.masks[j];
    const v = down.view(p);
    const std = p.role === 'weight' ? o.perturb * Math.sqrt(2 / p.fanIn) : 0;
    for (let i = 0; i < p.size; i++) {
      const z = std ? rng.normal() : 0;
      if (mask[i]) v[i] = (1 - o.shrink) * v[i] + std * z;
    }
  });
}
