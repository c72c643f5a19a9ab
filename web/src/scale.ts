/** Scales and axis ticks for the hand-written SVG charts. */

export type ScaleKind = 'linear' | 'log';

export interface Scale {
  kind: ScaleKind;
  domain: [number, number];
  range: [number, number];
  (v: number): number;
  invert(px: number): number;
  ticks(count: number): number[];
}

/** A "nice" step near span/count: 1, 2 or 5 times a power of ten. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f >= 7.5 ? 10 : f >= 3.5 ? 5 : f >= 1.5 ? 2 : 1) * p;
}

function linearTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep(hi - lo, count);
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

function logTicks(lo: number, hi: number, count: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const inside = (v: number) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  for (const mult of [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    const out: number[] = [];
    for (let e = a; e <= b; e++) for (const k of mult) out.push(Number((k * 10 ** e).toPrecision(12)));
    const ticks = out.filter(inside);
    if (ticks.length >= Math.min(3, count) || mult.length === 9) {
      // Too many decades: thin the powers of ten.
      if (ticks.length > count * 1.5 && mult.length === 1) {
        const every = Math.ceil(ticks.length / count);
        return ticks.filter((_, i) => i % every === 0);
      }
      return ticks.length >= 2 ? ticks : linearTicks(lo, hi, count);
    }
  }
  return linearTicks(lo, hi, count);
}

export function makeScale(kind: ScaleKind, domain: [number, number], range: [number, number]): Scale {
  let [d0, d1] = domain;
  if (kind === 'log') {
    d0 = Math.max(d0, 1e-300);
    d1 = Math.max(d1, d0 * 1.0001);
  } else if (d1 === d0) {
    const pad = d0 === 0 ? 1 : Math.abs(d0) * 0.1;
    d0 -= pad;
    d1 += pad;
  }
  const t = kind === 'log' ? Math.log10 : (v: number) => v;
  const ti = kind === 'log' ? (v: number) => 10 ** v : (v: number) => v;
  const [t0, t1] = [t(d0), t(d1)];
  const [r0, r1] = range;
  const f = ((v: number) => r0 + ((t(v) - t0) / (t1 - t0)) * (r1 - r0)) as Scale;
  f.kind = kind;
  f.domain = [d0, d1];
  f.range = range;
  f.invert = (px) => ti(t0 + ((px - r0) / (r1 - r0)) * (t1 - t0));
  f.ticks = (count) => (kind === 'log' ? logTicks(d0, d1, count) : linearTicks(d0, d1, count));
  return f;
}

/** Extent of the finite values (positive only on a log scale), padded by `pad` of the span on a linear scale. */
export function extent(values: Iterable<number>, kind: ScaleKind, pad = 0.05): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (kind === 'log' && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return null;
  if (kind === 'log') return lo === hi ? [lo / 2, hi * 2] : [lo / (1 + pad * 4), hi * (1 + pad * 4)];
  const span = hi - lo || Math.abs(hi) || 1;
  return [lo - span * pad, hi + span * pad];
}

/** A tick label: plain decimals for ordinary magnitudes, 1e-4 style for very small or large ones. */
export function formatTick(v: number, step?: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential().split('e');
    const mant = Number(Number(m).toPrecision(3));
    return `${mant === 1 ? '' : mant === -1 ? '−' : `${String(mant).replace('-', '−')}×`}10${superscript(Number(e))}`;
  }
  const decimals = step ? Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) : 0;
  const s = step ? v.toFixed(Math.min(decimals, 10)) : String(Number(v.toPrecision(4)));
  return s.replace('-', '−');
}

const sup: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };
const superscript = (n: number) => [...String(n)].map((c) => sup[c] ?? c).join('');

/** The 1-2-5 value nearest below (down) or above (up) v > 0. */
function ladder(v: number, up: boolean): number {
  const e = Math.floor(Math.log10(v));
  const steps = up ? [1, 2, 5, 10] : [10, 5, 2, 1];
  for (const k of steps) {
    const c = Number((k * 10 ** e).toPrecision(12));
    if (up ? c >= v * (1 - 1e-12) : c <= v * (1 + 1e-12)) return c;
  }
  return v;
}

/**
 * A domain widened outward to round values — multiples of the tick step (linear), 1-2-5 values (log) — so that
 * an axis starts and ends on a labelled tick.
 */
export function niceDomain(kind: ScaleKind, [lo, hi]: [number, number], count: number): [number, number] {
  if (kind === 'log') return lo > 0 && hi > 0 ? [ladder(lo, false), ladder(hi, true)] : [lo, hi];
  if (!(hi > lo)) return [lo, hi];
  const step = niceStep(hi - lo, count);
  const clean = (x: number) => Number(x.toPrecision(12));
  return [clean(Math.floor(lo / step + 1e-9) * step), clean(Math.ceil(hi / step - 1e-9) * step)];
}

/**
 * The ticks of an axis with a tick at both ends of the domain: the scale's ticks, plus either end when it is not
 * one of them (an interior tick closer than 40% of a step to an added end is dropped, so labels never collide).
 */
export function axisTicks(s: Scale, count: number): number[] {
  const ticks = s.ticks(count);
  const [d0, d1] = s.domain;
  const px = (v: number) => s(v);
  const gap = ticks.length > 1 ? Math.abs(px(ticks[1]) - px(ticks[0])) * 0.4 : 0;
  const near = (a: number, b: number) => Math.abs(px(a) - px(b)) < 1e-6 * Math.max(1, Math.abs(s.range[1] - s.range[0]));
  const out = ticks.filter((t) => t >= Math.min(d0, d1) && t <= Math.max(d0, d1));
  const hasLo = out.some((t) => near(t, d0));
  const hasHi = out.some((t) => near(t, d1));
  const inner = out.filter((t) => (hasLo || Math.abs(px(t) - px(d0)) >= gap) && (hasHi || Math.abs(px(t) - px(d1)) >= gap));
  return [...(hasLo ? [] : [d0]), ...inner, ...(hasHi ? [] : [d1])];
}
