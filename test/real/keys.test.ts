import { describe, expect, it } from 'vitest';
import { loadStudyConfig } from '../../src/config/load.js';
import { realAddedKeys, realDefaults, realSchema, validateRealConfig, type RealConfig } from '../../src/real/config.js';
import { openSource } from '../../src/real/data/sources.js';
import { vgg } from '../../src/real/arch/index.js';
import { plainBackend } from '../../src/real/nn/backend.js';
import { Model } from '../../src/real/nn/net.js';
import { Optimizer } from '../../src/real/nn/optim.js';
import { realTasks, runReal } from '../../src/real/run.js';
import { realStudy } from '../../src/real/study.js';
import { inheritedValues, inheritInto, shrinkPerturb } from '../../src/real/transfer/inherit.js';
import { canonicalConfig } from '../../src/sweep/grid.js';
import { Rng } from '../../src/util/rng.js';
import { userErrorOf } from '../helpers/errors.js';

/** Digits 0–2 upstream, 3–4 downstream, a small VGG net: runs in about a second. */
const small: RealConfig = {
  ...realDefaults,
  width: 4,
  upstreamClasses: [0, 1, 2],
  downstreamClasses: [3, 4],
  n1: 30,
  n2: 6,
  nTest: 20,
  epochs1: 2,
  epochs2: 6,
  alpha: 1,
  pixelNoise2: 0,
  checkpoints: 1,
};

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => Buffer.from(new Float64Array(a).buffer).equals(Buffer.from(new Float64Array(b).buffer));

describe('per-task noise keys move exactly what they say', () => {
  const base = realTasks({ ...small, n1: 200, n2: 200 });
  const tasks = (o: Partial<RealConfig>) => realTasks({ ...small, n1: 200, n2: 200, ...o });

  it('labelNoise1 flips upstream training labels only, labelNoise2 downstream ones only; labelNoise sets both', () => {
    const up = tasks({ labelNoise1: 0.3 });
    const down = tasks({ labelNoise2: 0.3 });
    const both = tasks({ labelNoise: 0.3 });
    expect(up.task1.flipped / 600).toBeGreaterThan(0.25);
    expect(up.task1.flipped / 600).toBeLessThan(0.35);
    expect(up.task2.flipped).toBe(0);
    expect(same(up.task2.train.y, base.task2.train.y)).toBe(true);
    expect(down.task1.flipped).toBe(0);
    expect(same(down.task1.train.y, base.task1.train.y)).toBe(true);
    expect(down.task2.flipped).toBeGreaterThan(0);
    // labelNoise = p is labelNoise1 = labelNoise2 = p: the same streams flip the same labels
    expect(same(both.task1.train.y, up.task1.train.y)).toBe(true);
    expect(same(both.task2.train.y, down.task2.train.y)).toBe(true);
    for (const t of [up, down, both]) {
      expect(same(t.task1.train.x, base.task1.train.x)).toBe(true);
      expect(same(t.task1.test.y, base.task1.test.y)).toBe(true);
      expect(same(t.task2.test.y, base.task2.test.y)).toBe(true);
    }
  });

  it('upstream label noise can go up to random labels (p₁ = 1 − 1/K: every class equally likely)', () => {
    const t = realTasks({ ...small, upstreamClasses: [0, 1, 2, 3, 4], downstreamClasses: [5, 6], n1: 400, labelNoise1: 0.8 });
    const counts = [0, 0, 0, 0, 0];
    // the training images of class 0 (the first 400) get each label about equally often
    for (let i = 0; i < 400; i++) counts[t.task1.train.y[i]]++;
    for (const n of counts) expect(Math.abs(n - 80)).toBeLessThan(25);
  });

  it.each([
    ['pixelNoise1', 'task1', 'task2'],
    ['pixelNoise2', 'task2', 'task1'],
  ] as const)('%s adds Gaussian noise of that standard deviation to that task’s training images, nothing else', (key, noisy, clean) => {
    const t = tasks({ [key]: 0.5 });
    const a = t[noisy].train.x;
    const b = base[noisy].train.x;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < a.length; i++) {
      const d = a[i] - b[i];
      sum += d;
      sq += d * d;
    }
    const mean = sum / a.length;
    const sd = Math.sqrt(sq / a.length - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.005);
    expect(same(t[noisy].test.x, base[noisy].test.x)).toBe(true);
    expect(same(t[noisy].train.y, base[noisy].train.y)).toBe(true);
    expect(same(t[clean].train.x, base[clean].train.x)).toBe(true);
    expect(same(t[clean].test.x, base[clean].test.x)).toBe(true);
  });

  it('upstreamMix: that fraction of each upstream class’s training images comes from the mix dataset, same class index', () => {
    const t = realTasks({ ...small, n1: 20, upstreamMix: 0.25, upstreamMixData: 'fashion-mnist' });
    const chw = 784;
    // an image's fingerprint: a position-weighted pixel sum (exact in float64 for 784 float32 pixels)
    const key = (x: Float32Array, i: number) => {
      let h = 0;
      for (let q = 0; q < chw; q++) h += x[i * chw + q] * (q + 1);
      return h;
    };
    for (let label = 0; label < 3; label++) {
      const pool = openSource('fashion-mnist').pool(label);
      const fashion = new Set(Array.from({ length: pool.length / chw }, (_, i) => key(pool, i)));
      for (let i = 0; i < 20; i++) {
        const at = label * 20 + i;
        // 15 of the class's own images (the first of its split: those of any N₁), then 5 of the Fashion-MNIST class
        if (i < 15) expect(key(t.task1.train.x, at)).toBe(key(base.task1.train.x, label * 200 + i));
        else expect(fashion.has(key(t.task1.train.x, at))).toBe(true);
        expect(t.task1.train.y[at]).toBe(label);
      }
    }
    const unmixed = realTasks({ ...small, n1: 20 });
    expect(same(t.task1.test.x, unmixed.task1.test.x)).toBe(true);
    expect(same(t.task2.train.x, unmixed.task2.train.x)).toBe(true);
  });
});

describe('mitigations touch only the inherited entries of the transfer network', () => {
  const backend = plainBackend('float64');
  const layers = vgg(3, 4);
  const shape = { c: 1, h: 8, w: 8 };
  const up = new Model(backend.heap, layers, shape);
  up.init(new Rng(1, 'up'));
  const fresh = new Model(backend.heap, vgg(2, 4), shape);
  fresh.init(new Rng(1, 'fresh'));
  const make = () => {
    const m = new Model(backend.heap, vgg(2, 4), shape);
    m.load(fresh.snapshot());
    const inh = inheritInto(up, m, { strategy: 'random', alpha: 0.5, inheritLayers: 1, sameClasses: false }, new Rng(2));
    return { m, inh };
  };

  it('shrink λ scales inherited entries by 1 − λ; perturb σ adds σ·√(2/fan-in)·z to inherited weights; the rest stays fresh', () => {
    const plain = make();
    const shrunk = make();
    shrinkPerturb(shrunk.m, shrunk.inh, { shrink: 0.25, perturb: 0 }, new Rng(3));
    const both = make();
    shrinkPerturb(both.m, both.inh, { shrink: 0.25, perturb: 0.5 }, new Rng(3));
    let perturbed = 0;
    plain.m.params.forEach((p, j) => {
      const a = plain.m.view(p);
      const s = shrunk.m.view(shrunk.m.params[j]);
      const b = both.m.view(both.m.params[j]);
      const mask = plain.inh.masks[j];
      const noise: number[] = [];
      for (let i = 0; i < p.size; i++) {
        if (!mask[i]) {
          expect(s[i]).toBe(a[i]);
          expect(b[i]).toBe(a[i]);
          continue;
        }
        expect(s[i]).toBe(0.75 * a[i]);
        if (p.role === 'bias') expect(b[i]).toBe(0.75 * a[i]);
        else noise.push((b[i] - 0.75 * a[i]) / (0.5 * Math.sqrt(2 / p.fanIn)));
      }
      if (noise.length > 50) {
        const m = noise.reduce((x, y) => x + y, 0) / noise.length;
        const sd = Math.sqrt(noise.reduce((x, y) => x + (y - m) ** 2, 0) / noise.length);
        expect(Math.abs(sd - 1)).toBeLessThan(0.25);
        perturbed++;
      }
    });
    expect(perturbed).toBeGreaterThan(0);
  });

  it('L2-SP adds λ(w − w_upstream) to the gradient of inherited entries only (an SGD step, exactly)', () => {
    const { m, inh } = make();
    const anchor = inheritedValues(m, inh);
    // move the network away from its inherited values, then take one SGD step from a zero data gradient
    m.params.forEach((p) => m.view(p).forEach((_, i, a) => (a[i] += 0.1)));
    const before = m.snapshot();
    const grads = m.params.map((p) => backend.heap.alloc(p.size));
    const opt = new Optimizer(m, { kind: 'sgd', lr: 0.5, momentum: 0, weightDecay: 0 }, undefined, { lambda: 0.2, values: anchor });
    opt.step(grads);
    let o = 0;
    m.params.forEach((p, j) => {
      const v = m.view(p);
      for (let i = 0; i < p.size; i++, o++) {
        const expected = inh.masks[j][i] ? before[o] - 0.5 * 0.2 * (before[o] - anchor[j]![i]) : before[o];
        expect(v[i]).toBeCloseTo(expected, 14);
      }
    });
  });
});

describe('the downstream protocol', () => {
  it('stopLoss ends a phase after the first epoch whose training loss is below it; the cap otherwise', () => {
    const r = runReal({ ...small, epochs1: 1, epochs2: 60, stopLoss: 0.05, checkpoints: 60 }, { threads: 1 }).result;
    for (const ph of [r.transfer, r.scratch]) {
      expect(ph.epochs).toBeLessThan(60);
      expect(ph.trainLoss!).toBeLessThan(0.05);
      const losses = ph.curve.filter((p) => p.epoch > 0).map((p) => p.trainLoss!);
      expect(losses).toHaveLength(ph.epochs);
      expect(losses.slice(0, -1).every((l) => l >= 0.05)).toBe(true);
      expect(ph.curve[ph.curve.length - 1].epoch).toBe(ph.epochs);
    }
    const capped = runReal({ ...small, epochs1: 1, epochs2: 3, stopLoss: 1e-9 }, { threads: 1 }).result;
    expect(capped.transfer.epochs).toBe(3);
  });

  it('headEpochs: the first epochs step only the classifier head, for transfer and scratch alike', () => {
    // α = 0: the transfer network starts at the fresh initialisation, as scratch does
    const run = runReal({ ...small, alpha: 0, epochs1: 1, epochs2: 3, headEpochs: 3 }, { threads: 1, keepWeights: true });
    const { transferInit, transfer, scratch } = run.networks!;
    const model = new Model(plainBackend('float32').heap, transfer.layers, transfer.input);
    const head = model.paramLayers[model.paramLayers.length - 1].layer;
    let o = 0;
    for (const p of model.params) {
      const at = (x: Float64Array) => x.subarray(o, o + p.size);
      for (const trained of [transfer, scratch]) expect(same(at(trained.parameters), at(transferInit.parameters)), p.name).toBe(p.layer !== head);
      o += p.size;
    }
  });

  it('after the warm-up the body starts Adam from its own first step (PyTorch: a parameter’s step count starts at its first update)', () => {
    const backend = plainBackend('float64');
    const m = new Model(backend.heap, vgg(2, 2), { c: 1, h: 4, w: 4 });
    m.init(new Rng(5));
    const grads = m.params.map((p) => {
      const g = backend.heap.alloc(p.size);
      backend.heap.data.fill(0.3, g, g + p.size);
      return g;
    });
    const opt = new Optimizer(m, { kind: 'adam', lr: 0.01, momentum: 0, weightDecay: 0 });
    const head = m.params.filter((p) => p.head);
    opt.only((j) => m.params[j].head);
    for (let t = 0; t < 5; t++) opt.step(grads);
    const before = m.snapshot();
    opt.only(() => true);
    opt.step(grads);
    const after = m.snapshot();
    let o = 0;
    for (const p of m.params) {
      // a first Adam step moves every entry by lr·g/(|g| + ε) = lr (to rounding); later steps of the head less so
      for (let i = 0; i < p.size; i++, o++) {
        const moved = before[o] - after[o];
        if (head.includes(p)) expect(moved).toBeGreaterThan(0);
        else expect(moved).toBeCloseTo(0.01, 9);
      }
    }
  });

  it('pairing: with nothing inherited, transfer is scratch exactly, under every rule of the protocol', () => {
    const c = { ...small, alpha: 0, epochs2: 40, stopLoss: 0.05, headEpochs: 2, lr2: 0.004, l2sp: 1, shrink: 0.5, perturb: 0.5 };
    const r = runReal(c, { threads: 1 }).result;
    expect(r.inheritance.parameters).toBe(0);
    expect(JSON.stringify(r.transfer)).toBe(JSON.stringify(r.scratch));
  });

  it('pairing: scratch is the same run whatever is inherited or mitigated (same initialisation, minibatches and data)', () => {
    const a = runReal({ ...small, alpha: 1 }, { threads: 1 }).result;
    const b = runReal({ ...small, alpha: 0.5, inheritance: 'entries', l2sp: 1, shrink: 0.3, perturb: 0.2 }, { threads: 1 }).result;
    expect(JSON.stringify(b.scratch)).toBe(JSON.stringify(a.scratch));
    expect(b.transfer.testLoss).not.toBe(a.transfer.testLoss);
  });

  it('an upstream network is reused across runs that differ only in downstream keys, never across upstream ones', () => {
    const tiny = { ...small, epochs1: 1, epochs2: 1 };
    const first = runReal({ ...tiny, alpha: 0.5 }, { threads: 1, reuseUpstream: true });
    expect(first.timings.upstream).toBeGreaterThan(0);
    for (const o of [{ labelNoise2: 0.2 }, { pixelNoise2: 0.3 }, { lr2: 0.001 }, { headEpochs: 1 }, { l2sp: 0.1 }, { shrink: 0.1 }, { perturb: 0.1 }]) {
      expect(runReal({ ...tiny, ...o }, { threads: 1, reuseUpstream: true }).timings.upstream, JSON.stringify(o)).toBe(0);
    }
    for (const o of [{ labelNoise1: 0.2 }, { pixelNoise1: 0.3 }, { upstreamMix: 0.2 }, { stopLoss: 0.5 }]) {
      expect(runReal({ ...tiny, ...o }, { threads: 1, reuseUpstream: true }).timings.upstream, JSON.stringify(o)).toBeGreaterThan(0);
    }
  });
});

describe('the new keys: validation and earlier versions', () => {
  const load = (sets: string[]) => loadStudyConfig(realStudy, 'mnist-split', sets);

  it.each([
    [['labelNoise=0.1', 'labelNoise1=0.2'], /^preset mnist-split with --set: field "labelNoise1": cannot be combined with labelNoise \(which sets both tasks' label noise\): set labelNoise1 and labelNoise2 instead \(got 0\.2\)$/],
    [['labelNoise1=0.85'], /field "labelNoise1": must be ≤ 0\.800 \(1 − 1\/classes: random labels\) for the 5 classes of upstreamClasses \(got 0\.85\)$/],
    [['labelNoise2=0.8'], /field "labelNoise2": must be < 0\.800 \(1 − 1\/classes\) for the 5 classes of downstreamClasses \(got 0\.8\)$/],
    [['pixelNoise1=-1'], /field "pixelNoise1": must be a number in \[0, 100\] \(got -1\)$/],
    [['pixelNoise2=abc'], /field "pixelNoise2": must be a number in \[0, 100\] \(got "abc"\)$/],
    [['upstreamMix=1.5'], /field "upstreamMix": must be a number in \[0, 1\] \(got 1\.5\)$/],
    [['stopLoss=-0.1'], /field "stopLoss": must be a number in \[0, 100\]/],
    [['headEpochs=2.5'], /field "headEpochs": must be an integer in \[0, 100000\]/],
    [['headEpochs=30', 'epochs2=20'], /field "headEpochs": must be at most epochs2 \(20\): the warm-up is part of the downstream epochs \(got 30\)$/],
    [['arch=twolayer', 'headEpochs=2'], /field "headEpochs": must be 0 for arch twolayer/],
    [['lr2=-1'], /field "lr2": must be a number in \[0, 100\]/],
    [['l2sp=-1'], /field "l2sp": must be a number in \[0, 1000\]/],
    [['shrink=2'], /field "shrink": must be a number in \[0, 1\] \(got 2\)$/],
    [['perturb=-0.5'], /field "perturb": must be a number in \[0, 100\]/],
  ])('%j: a one-line error naming the field and the range', (sets, message) => {
    expect(userErrorOf(() => load(sets))).toMatch(message);
  });

  it('random labels upstream are allowed (labelNoise1 = 1 − 1/K); a mix dataset that does not exist fails at run time in one line', () => {
    expect(load(['labelNoise1=0.8']).labelNoise1).toBe(0.8);
    const c = validateRealConfig({ ...small, upstreamMix: 0.5, upstreamMixData: 'cifar' });
    expect(userErrorOf(() => runReal(c, { threads: 1 }))).toMatch(/dataset "cifar": expected mnist or fashion-mnist, or a path to a \.safetensors file/);
  });

  it('a config written before the keys existed reads as the values that reproduce it, with the same canonical text (job id)', () => {
    const old = Object.fromEntries(Object.entries(small).filter(([k]) => !(k in realAddedKeys)));
    const parsed = realSchema.parse(old);
    expect(parsed).toEqual({ ...small, ...realAddedKeys });
    expect(canonicalConfig(parsed)).toBe(JSON.stringify(Object.fromEntries(Object.keys(parsed).filter((k) => k in old).map((k) => [k, old[k]]))));
    expect(canonicalConfig({ ...parsed, l2sp: 0.5 })).toContain('"l2sp":0.5');
  });
});
