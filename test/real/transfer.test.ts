import { describe, expect, it } from 'vitest';
import { twoLayer, vgg } from '../../src/real/arch/index.js';
import { plainBackend } from '../../src/real/nn/backend.js';
import { Model, type LayerSpec, type ImageShape } from '../../src/real/nn/net.js';
import { Optimizer } from '../../src/real/nn/optim.js';
import { serialRunner } from '../../src/real/nn/runner.js';
import { Session } from '../../src/real/nn/session.js';
import { frozenMasks, inheritInto, type InheritOptions } from '../../src/real/transfer/inherit.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const shape: ImageShape = { c: 1, h: 8, w: 8 };

/** A trained-looking upstream model, a fresh downstream initialisation and a copy of it to inherit into. */
function setup(up: LayerSpec[], down: LayerSpec[], s: ImageShape = shape, sUp: ImageShape = s) {
  const backend = plainBackend('float64');
  const upstream = new Model(backend.heap, up, sUp);
  const rng = new Rng(1, 'up');
  upstream.init(rng);
  // "Trained" biases, so that every upstream entry differs from the fresh initialisation (zero biases).
  for (const p of upstream.params) if (p.role === 'bias') upstream.view(p).forEach((_, i, a) => (a[i] = rng.normal()));
  const fresh = new Model(backend.heap, down, s);
  fresh.init(new Rng(1, 'fresh'));
  const target = new Model(backend.heap, down, s);
  target.load(fresh.snapshot());
  return { backend, upstream, fresh, target };
}

const opts = (o: Partial<InheritOptions>): InheritOptions => ({
  strategy: 'random',
  alpha: 0.5,
  inheritLayers: 1,
  sameClasses: false,
  ...o,
});

/** Per parameter and filter: 'up' if the whole filter equals upstream, 'fresh' if it equals the fresh init. */
function filterOrigins(m: ReturnType<typeof setup>) {
  return m.target.params.map((p, j) => {
    const t = m.target.view(p);
    const u = m.upstream.view(m.upstream.params[j]);
    const f = m.fresh.view(m.fresh.params[j]);
    const per = p.size / p.rows;
    return Array.from({ length: p.rows }, (_, r) => {
      let isUp = true;
      let isFresh = true;
      for (let e = r * per; e < (r + 1) * per; e++) {
        if (t[e] !== u[e]) isUp = false;
        if (t[e] !== f[e]) isFresh = false;
      }
      return isUp ? 'up' : isFresh ? 'fresh' : 'mixed';
    });
  });
}

describe('real-data inheritance moves exactly the parameters it says', () => {
  it('random: round(α·filters) whole filters per layer (weights with their biases); the head stays new', () => {
    const m = setup(vgg(4, 6), vgg(3, 6));
    const inh = inheritInto(m.upstream, m.target, opts({ alpha: 0.5 }), new Rng(9));
    const origins = filterOrigins(m);
    m.target.params.forEach((p, j) => {
      const mask = inh.masks[j];
      const per = p.size / p.rows;
      origins[j].forEach((o, r) => expect(o).toBe(mask[r * per] ? 'up' : 'fresh'));
      const copied = origins[j].filter((o) => o === 'up').length;
      expect(copied).toBe(p.head ? 0 : p.rows / 2);
    });
    // Weights and biases of a layer inherit the same filters.
    const [w1, b1] = [inh.masks[0], inh.masks[1]];
    const per = m.target.params[0].size / m.target.params[0].rows;
    for (let r = 0; r < m.target.params[1].size; r++) expect(b1[r]).toBe(w1[r * per]);
    expect(inh.report.head).toBe('new');
    expect(inh.report.layers.map((l) => l.inheritedFilters)).toEqual([3, 3, 6, 6, 0]);
    const n = m.target.params.filter((p) => !p.head).reduce((a, p) => a + p.size / 2, 0);
    expect(inh.report.parameters).toBe(n);
  });

  it('random draws differ between layers and seeds; first takes filters 0…k−1', () => {
    const a = setup(vgg(3, 8), vgg(3, 8));
    const ia = inheritInto(a.upstream, a.target, opts({ alpha: 0.25 }), new Rng(1));
    const b = setup(vgg(3, 8), vgg(3, 8));
    const ib = inheritInto(b.upstream, b.target, opts({ alpha: 0.25 }), new Rng(2));
    expect(Array.from(ia.masks[0])).not.toEqual(Array.from(ib.masks[0]));
    const f = setup(vgg(3, 8), vgg(3, 8));
    inheritInto(f.upstream, f.target, opts({ strategy: 'first', alpha: 0.25 }), new Rng(1));
    expect(filterOrigins(f)[0]).toEqual(['up', 'up', 'fresh', 'fresh', 'fresh', 'fresh', 'fresh', 'fresh']);
    expect(filterOrigins(f)[4]).toEqual(['up', 'up', 'up', 'up', ...new Array(12).fill('fresh')]);
  });

  it('entries: each scalar with probability α; copied entries equal upstream, the others the fresh init', () => {
    const m = setup(vgg(3, 8), vgg(3, 8));
    const inh = inheritInto(m.upstream, m.target, opts({ strategy: 'entries', alpha: 0.3 }), new Rng(4));
    let copied = 0;
    let body = 0;
    m.target.params.forEach((p, j) => {
      const t = m.target.view(p);
      const u = m.upstream.view(m.upstream.params[j]);
      const f = m.fresh.view(m.fresh.params[j]);
      for (let e = 0; e < p.size; e++) {
        expect(t[e]).toBe(inh.masks[j][e] ? u[e] : f[e]);
        if (!p.head) {
          body++;
          copied += inh.masks[j][e];
        } else {
          expect(inh.masks[j][e]).toBe(0);
        }
      }
    });
    expect(copied / body).toBeGreaterThan(0.25);
    expect(copied / body).toBeLessThan(0.35);
    expect(inh.report.layers[0].inheritedFilters).toBeNull();
  });

  it('layers: the first k layers whole, the rest fresh; too many layers is a user error', () => {
    const m = setup(vgg(3, 4), vgg(3, 4));
    inheritInto(m.upstream, m.target, opts({ strategy: 'layers', inheritLayers: 2 }), new Rng(1));
    const o = filterOrigins(m);
    expect(o.slice(0, 4).flat().every((x) => x === 'up')).toBe(true);
    expect(o.slice(4).flat().every((x) => x === 'fresh')).toBe(true);
    const n = setup(vgg(3, 4), vgg(3, 4));
    expect(() => inheritInto(n.upstream, n.target, opts({ strategy: 'layers', inheritLayers: 5 }), new Rng(1))).toThrow(
      /exceeds the 4 layers/,
    );
  });

  it('the head is inherited only when the classes are the same', () => {
    const m = setup(vgg(3, 4), vgg(3, 4));
    const inh = inheritInto(m.upstream, m.target, opts({ alpha: 1, sameClasses: true }), new Rng(1));
    expect(inh.report.head).toBe('inherited');
    expect(filterOrigins(m).flat().every((x) => x === 'up')).toBe(true);
  });

  it('the two-layer CNN: filters inherited, the fixed class-sum layer never moves', () => {
    const m = setup(twoLayer(2, 4, 4), twoLayer(2, 4, 4));
    const inh = inheritInto(m.upstream, m.target, opts({ alpha: 0.5 }), new Rng(3));
    expect(inh.report.head).toBe('fixed');
    expect(inh.report.layers.map((l) => [l.role, l.inheritedFilters])).toEqual([
      ['body', 4],
      ['fixed', 0],
    ]);
  });

  it('mismatched channels are a user error naming the parameter', () => {
    const m = setup(vgg(3, 4), vgg(3, 4), shape, { c: 3, h: 8, w: 8 });
    expect(() => inheritInto(m.upstream, m.target, opts({}), new Rng(1))).toThrow(UserError);
    expect(() => inheritInto(m.upstream, m.target, opts({}), new Rng(1))).toThrow(/conv1\.weight/);
  });

  it('freezeInherited: inherited entries stay bitwise fixed while training moves the others', () => {
    const m = setup(vgg(3, 4), vgg(3, 4));
    const inh = inheritInto(m.upstream, m.target, opts({ alpha: 0.5 }), new Rng(6));
    const before = m.target.snapshot();
    const runner = serialRunner(m.backend);
    const session = new Session(m.backend, m.target, runner, { batch: 8, shards: 2 });
    const optimizer = new Optimizer(m.target, { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-3 }, frozenMasks(inh));
    const rng = new Rng(8);
    const data = {
      x: Float32Array.from({ length: 16 * 64 }, () => rng.uniform()),
      y: Int32Array.from({ length: 16 }, (_, i) => i % 3),
      shape,
      count: 16,
    };
    const order = Array.from({ length: 16 }, (_, i) => i);
    for (let s = 0; s < 4; s++) session.step(data, order, (s % 2) * 8, (s % 2) * 8 + 8, optimizer);
    const after = m.target.snapshot();
    const flat = inh.masks.flatMap((mk) => Array.from(mk));
    let moved = 0;
    let free = 0;
    flat.forEach((inherited, i) => {
      if (inherited) expect(after[i]).toBe(before[i]);
      else {
        free++;
        if (after[i] !== before[i]) moved++;
      }
    });
    expect(moved / free).toBeGreaterThan(0.9);
  });
});
