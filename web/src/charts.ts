/**
 * Small hand-written SVG charts: a line chart (series, interval bands, rules, legend) and a heatmap with contour
 * overlays. Hand-written rather than a charting library so the bundle stays small, live redraws are cheap, and the
 * page runs under a strict Content-Security-Policy (no eval).
 */
import { contourSegments } from './contour.js';
import { axisTicks, extent, formatTick, makeScale, niceDomain, type Scale, type ScaleKind } from './scale.js';

export const palette = {
  upstream: '#6b6b6b',
  transfer: '#0b62a4',
  scratch: '#d35f00',
  inherited: '#138a5f',
  fresh: '#b8468e',
  theory: '#222222',
};

export interface Pt {
  x: number;
  y: number | null;
}

export interface Series {
  name: string;
  color: string;
  points: Pt[];
  /** stroke dash pattern, e.g. '6 4' */
  dash?: string;
  /** draw a marker at every point */
  markers?: boolean;
  /** draw markers only (no line) */
  markersOnly?: boolean;
  /** an interval drawn as a translucent band under the line */
  band?: { x: number; lo: number; hi: number }[];
  /** label of the points in tooltips, e.g. a number format */
  format?: (v: number) => string;
}

export interface Rule {
  axis: 'x' | 'y';
  value: number;
  label?: string;
  color?: string;
  dash?: string;
}

export interface LineChartOptions {
  xLabel: string;
  yLabel: string;
  xScale?: ScaleKind;
  yScale?: ScaleKind;
  /** fixed ends of the axes (undefined: from the data) */
  xDomain?: [number | undefined, number | undefined];
  yDomain?: [number | undefined, number | undefined];
  width?: number;
  height?: number;
  /** shown when there is nothing to draw */
  empty?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f2 = (v: number) => (Math.round(v * 100) / 100).toString();

/** Rough text width at the charts' font size: enough to lay out legends. */
const textWidth = (s: string, size = 12) => s.length * size * 0.56;

export function defaultFormat(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(3) : Number(v.toPrecision(4)).toString();
}

interface Frame {
  x: Scale;
  y: Scale;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function axes(frame: Frame, xLabel: string, yLabel: string, width: number, height: number, categorical?: { x?: string[]; y?: string[] }): string {
  const { x, y, left, right, top, bottom } = frame;
  const parts: string[] = [];
  // Every axis has a tick at both ends (axisTicks), so its range reads off the labels.
  const xt = categorical?.x ? categorical.x.map((_, i) => i) : axisTicks(x, xTickCount(right - left));
  const yt = categorical?.y ? categorical.y.map((_, i) => i) : axisTicks(y, yTickCount(bottom - top));
  const xStep = tickStep(xt);
  const yStep = tickStep(yt);
  const xFmt = (v: number, i: number) => categorical?.x?.[i] ?? formatTick(v, x.kind === 'log' ? undefined : xStep);
  const yFmt = (v: number, i: number) => categorical?.y?.[i] ?? formatTick(v, y.kind === 'log' ? undefined : yStep);
  if (!categorical) {
    for (const v of yt) parts.push(`<line class="grid" x1="${left}" x2="${right}" y1="${f2(y(v))}" y2="${f2(y(v))}"/>`);
    for (const v of xt) parts.push(`<line class="grid" y1="${top}" y2="${bottom}" x1="${f2(x(v))}" x2="${f2(x(v))}"/>`);
  }
  parts.push(`<line class="axis" x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}"/>`);
  parts.push(`<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${bottom}"/>`);
  // Thin out category labels that would overlap.
  const xEvery = categorical?.x ? Math.max(1, Math.ceil((Math.max(...categorical.x.map((s) => textWidth(s, 11))) + 6) / ((right - left) / xt.length))) : 1;
  xt.forEach((v, i) => {
    const px = f2(x(v));
    parts.push(`<line class="tick" x1="${px}" x2="${px}" y1="${bottom}" y2="${bottom + 5}"/>`);
    if (i % xEvery === 0) parts.push(`<text class="tick-label" x="${px}" y="${bottom + 18}" text-anchor="middle">${esc(xFmt(v, i))}</text>`);
  });
  yt.forEach((v, i) => {
    const py = f2(y(v));
    parts.push(`<line class="tick" x1="${left - 5}" x2="${left}" y1="${py}" y2="${py}"/>`);
    parts.push(`<text class="tick-label" x="${left - 8}" y="${py}" dy="0.35em" text-anchor="end">${esc(yFmt(v, i))}</text>`);
  });
  parts.push(`<text class="axis-label" x="${(left + right) / 2}" y="${height - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(
    `<text class="axis-label" transform="translate(14 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  void width;
  return parts.join('');
}

const xTickCount = (px: number) => Math.max(2, Math.floor(px / 80));
const yTickCount = (px: number) => Math.max(2, Math.floor(px / 45));
/** The step of the interior ticks (the ends may be added off the step). */
const tickStep = (t: number[]) => (t.length > 2 ? t[2] - t[1] : t.length > 1 ? t[1] - t[0] : undefined);

interface LegendItem {
  name: string;
  color: string;
  dash?: string;
  kind: 'line' | 'marker' | 'band' | 'swatch';
}

/** A one- or two-row legend laid out left to right above the plot. */
function legend(items: LegendItem[], left: number, right: number, y: number): { svg: string; rows: number } {
  const parts: string[] = [];
  let x = left;
  let row = 0;
  for (const it of items) {
    const w = 26 + textWidth(it.name) + 14;
    if (x + w > right && x > left) {
      row++;
      x = left;
    }
    const cy = y + row * 16;
    if (it.kind === 'marker') parts.push(`<circle cx="${x + 10}" cy="${cy}" r="3.5" fill="${it.color}"/>`);
    else if (it.kind === 'swatch') parts.push(`<rect x="${x + 3}" y="${cy - 5}" width="14" height="10" fill="${it.color}"/>`);
    else
      parts.push(
        `<line x1="${x}" x2="${x + 20}" y1="${cy}" y2="${cy}" stroke="${it.color}" stroke-width="2"${it.dash ? ` stroke-dasharray="${it.dash}"` : ''}/>`,
      );
    parts.push(`<text class="legend-label" x="${x + 26}" y="${cy}" dy="0.35em">${esc(it.name)}</text>`);
    x += w;
  }
  return { svg: parts.join(''), rows: row + 1 };
}

/** A line chart in an element; `update` redraws it from scratch (cheap at these sizes). */
export class LineChart {
  private series: Series[] = [];
  private rules: Rule[] = [];

  constructor(
    readonly el: HTMLElement,
    private opts: LineChartOptions,
  ) {
    this.draw();
  }

  update(series: Series[], rules: Rule[] = []): void {
    this.series = series;
    this.rules = rules;
    this.draw();
  }

  /** Change options; they show at the next `update`. */
  setOptions(opts: Partial<LineChartOptions>): void {
    this.opts = { ...this.opts, ...opts };
  }

  private draw(): void {
    const o = this.opts;
    const width = o.width ?? 560;
    const height = o.height ?? 300;
    const xKind = o.xScale ?? 'linear';
    const yKind = o.yScale ?? 'linear';
    const items: LegendItem[] = this.series.map((s) => ({
      name: s.name,
      color: s.color,
      dash: s.dash,
      kind: s.markersOnly ? 'marker' : 'line',
    }));
    const lg = legend(items, 64, width - 12, 12);
    const top = 12 + lg.rows * 16 + 4;
    const frameBox = { left: 64, right: width - 14, top, bottom: height - 44 };

    const xs: number[] = [];
    const ys: number[] = [];
    for (const s of this.series) {
      for (const p of s.points) {
        xs.push(p.x);
        if (p.y !== null) ys.push(p.y);
      }
      for (const b of s.band ?? []) ys.push(b.lo, b.hi);
    }
    for (const r of this.rules) (r.axis === 'x' ? xs : ys).push(r.value);
    const xe = extent(xs, xKind, 0);
    const ye = extent(ys, yKind);
    const svgOpen = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" class="chart">`;
    if (!xe || !ye) {
      this.el.innerHTML = `${svgOpen}<text class="empty" x="${width / 2}" y="${height / 2}" text-anchor="middle">${esc(
        o.empty ?? 'no data yet',
      )}</text></svg>`;
      return;
    }
    // Ends not fixed by the caller widen to round values: the axis starts and ends on a labelled tick.
    const xn = niceDomain(xKind, xe, xTickCount(frameBox.right - frameBox.left));
    const yn = niceDomain(yKind, ye, yTickCount(frameBox.bottom - frameBox.top));
    const xd: [number, number] = [o.xDomain?.[0] ?? xn[0], o.xDomain?.[1] ?? xn[1]];
    const yd: [number, number] = [o.yDomain?.[0] ?? yn[0], o.yDomain?.[1] ?? yn[1]];
    const x = makeScale(xKind, xd, [frameBox.left, frameBox.right]);
    const y = makeScale(yKind, yd, [frameBox.bottom, frameBox.top]);
    const frame = { x, y, ...frameBox };
    const ok = (s: Scale, v: number | null): v is number => v !== null && Number.isFinite(v) && (s.kind !== 'log' || v > 0);

    const parts: string[] = [svgOpen, axes(frame, o.xLabel, o.yLabel, width, height)];
    parts.push(`<defs><clipPath id="${this.clipId}"><rect x="${frameBox.left}" y="${frameBox.top}" width="${frameBox.right - frameBox.left}" height="${frameBox.bottom - frameBox.top}"/></clipPath></defs>`);
    parts.push(`<g clip-path="url(#${this.clipId})">`);
    for (const s of this.series) {
      if (s.band?.length) {
        const b = s.band.filter((p) => ok(x, p.x) && ok(y, p.lo) && ok(y, p.hi));
        if (b.length > 1) {
          const upper = b.map((p) => `${f2(x(p.x))},${f2(y(p.hi))}`);
          const lower = b.map((p) => `${f2(x(p.x))},${f2(y(p.lo))}`).reverse();
          parts.push(`<path d="M${upper.join('L')}L${lower.join('L')}Z" fill="${s.color}" fill-opacity="0.14" stroke="none"/>`);
        }
      }
    }
    for (const r of this.rules) {
      const c = r.color ?? '#444';
      const dash = r.dash ? ` stroke-dasharray="${r.dash}"` : '';
      if (r.axis === 'x') {
        const px = f2(x(r.value));
        parts.push(`<line x1="${px}" x2="${px}" y1="${frameBox.top}" y2="${frameBox.bottom}" stroke="${c}" stroke-width="1"${dash}/>`);
        if (r.label) parts.push(`<text class="rule-label" x="${Number(px) + 4}" y="${frameBox.top + 12}" fill="${c}">${esc(r.label)}</text>`);
      } else {
        const py = f2(y(r.value));
        parts.push(`<line x1="${frameBox.left}" x2="${frameBox.right}" y1="${py}" y2="${py}" stroke="${c}" stroke-width="1"${dash}/>`);
        if (r.label) parts.push(`<text class="rule-label" x="${frameBox.left + 4}" y="${Number(py) - 4}" fill="${c}">${esc(r.label)}</text>`);
      }
    }
    for (const s of this.series) {
      const fmt = s.format ?? defaultFormat;
      if (!s.markersOnly) {
        let d = '';
        let pen = false;
        for (const p of s.points) {
          if (!ok(x, p.x) || !ok(y, p.y)) {
            pen = false;
            continue;
          }
          d += `${pen ? 'L' : 'M'}${f2(x(p.x))},${f2(y(p.y))}`;
          pen = true;
        }
        if (d) {
          parts.push(
            `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
          );
        }
      }
      if (s.markers || s.markersOnly) {
        for (const p of s.points) {
          if (!ok(x, p.x) || !ok(y, p.y)) continue;
          parts.push(
            `<circle cx="${f2(x(p.x))}" cy="${f2(y(p.y))}" r="3.2" fill="${s.color}"><title>${esc(s.name)}: ${esc(
              o.xLabel,
            )} = ${esc(defaultFormat(p.x))}, ${esc(fmt(p.y))}</title></circle>`,
          );
        }
      }
    }
    parts.push('</g>', lg.svg, '</svg>');
    this.el.innerHTML = parts.join('');
  }

  private readonly clipId = `clip-${++chartIds}`;
}

let chartIds = 0;

/** A diverging blue (positive) – white – red (negative) colour for t in [−1, 1]: ColorBrewer RdBu. */
export function divergingColor(t: number): string {
  const stops = ['#b2182b', '#d6604d', '#f4a582', '#fddbc7', '#f7f7f7', '#d1e5f0', '#92c5de', '#4393c3', '#2166ac'];
  const u = ((Math.max(-1, Math.min(1, t)) + 1) / 2) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const a = hex(stops[i]);
  const b = hex(stops[i + 1]);
  const w = u - i;
  const mix = a.map((c, k) => Math.round(c + (b[k] - c) * w));
  return `rgb(${mix.join(',')})`;
}

const hex = (h: string) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));

export interface HeatmapCell {
  value: number | null;
  /** tooltip text */
  title?: string;
  /** draw a small ring: e.g. the prediction disagrees with the measurement */
  flag?: boolean;
}

export interface Contour {
  name: string;
  /** values on a fine grid over index space: grid[j][i] at (x index = i·(nx−1)/(cols−1), y index likewise) */
  grid: number[][];
  level: number;
  color?: string;
  dash?: string;
}

export interface HeatmapOptions {
  xLabel: string;
  yLabel: string;
  /** label of the colour scale */
  zLabel: string;
  xTicks: string[];
  yTicks: string[];
  /** cells[yi][xi] */
  cells: HeatmapCell[][];
  contours?: Contour[];
  /** the colour scale runs over [−zMax, zMax] */
  zMax?: number;
  flagLabel?: string;
  width?: number;
  height?: number;
  format?: (v: number) => string;
}

/** A heatmap over a grid of categorical (ordered) x and y values, diverging colours around 0. */
export function drawHeatmap(el: HTMLElement, o: HeatmapOptions): void {
  const width = o.width ?? 560;
  const height = o.height ?? 360;
  const nx = o.xTicks.length;
  const ny = o.yTicks.length;
  const fmt = o.format ?? defaultFormat;
  const items: LegendItem[] = (o.contours ?? []).map((c) => ({ name: c.name, color: c.color ?? palette.theory, dash: c.dash, kind: 'line' }));
  if (o.flagLabel && o.cells.some((r) => r.some((c) => c.flag))) items.push({ name: o.flagLabel, color: '#111', kind: 'marker' });
  const lg = legend(items, 64, width - 90, 12);
  const top = 12 + lg.rows * 16 + 4;
  const box = { left: 64, right: width - 90, top, bottom: height - 44 };
  const x = makeScale('linear', [-0.5, nx - 0.5], [box.left, box.right]);
  const y = makeScale('linear', [-0.5, ny - 0.5], [box.bottom, box.top]);
  const cw = (box.right - box.left) / nx;
  const ch = (box.bottom - box.top) / ny;
  let zMax = o.zMax ?? 0;
  if (!zMax) for (const r of o.cells) for (const c of r) if (c.value !== null && Number.isFinite(c.value)) zMax = Math.max(zMax, Math.abs(c.value));
  zMax ||= 1;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" class="chart">`];
  o.cells.forEach((row, yi) =>
    row.forEach((c, xi) => {
      const px = x(xi - 0.5);
      const py = y(yi + 0.5);
      const fill = c.value === null || !Number.isFinite(c.value) ? '#e6e6e6' : divergingColor(c.value / zMax);
      parts.push(
        `<rect x="${f2(px)}" y="${f2(py)}" width="${f2(cw + 0.5)}" height="${f2(ch + 0.5)}" fill="${fill}"><title>${esc(c.title ?? '')}</title></rect>`,
      );
      if (c.value !== null && cw > 38 && ch > 18) {
        const dark = Math.abs(c.value / zMax) > 0.6;
        parts.push(
          `<text class="cell-label" x="${f2(px + cw / 2)}" y="${f2(py + ch / 2)}" dy="0.35em" text-anchor="middle" fill="${dark ? '#fff' : '#222'}">${esc(fmt(c.value))}</text>`,
        );
      }
      if (c.flag) parts.push(`<circle cx="${f2(px + cw - 7)}" cy="${f2(py + 7)}" r="3" fill="#111"/>`);
    }),
  );
  for (const c of o.contours ?? []) {
    const rows = c.grid.length;
    const cols = c.grid[0]?.length ?? 0;
    if (rows < 2 || cols < 2) continue;
    const gx = (i: number) => x(-0.5 + (i / (cols - 1)) * nx);
    const gy = (j: number) => y(-0.5 + (j / (rows - 1)) * ny);
    const d = contourSegments(c.grid, c.level)
      .map(([a, b]) => `M${f2(gx(a[0]))},${f2(gy(a[1]))}L${f2(gx(b[0]))},${f2(gy(b[1]))}`)
      .join('');
    if (d) {
      parts.push(
        `<path d="${d}" fill="none" stroke="${c.color ?? palette.theory}" stroke-width="2.2" stroke-linecap="round"${c.dash ? ` stroke-dasharray="${c.dash}"` : ''}/>`,
      );
    }
  }
  parts.push(axes({ x, y, ...box }, o.xLabel, o.yLabel, width, height, { x: o.xTicks, y: o.yTicks }));
  // Colour bar.
  const gid = `grad-${++chartIds}`;
  const barX = box.right + 22;
  const stops = Array.from({ length: 11 }, (_, i) => {
    const t = 1 - i / 10;
    return `<stop offset="${i * 10}%" stop-color="${divergingColor(2 * t - 1)}"/>`;
  });
  parts.push(`<defs><linearGradient id="${gid}" x1="0" x2="0" y1="0" y2="1">${stops.join('')}</linearGradient></defs>`);
  parts.push(`<rect x="${barX}" y="${box.top}" width="12" height="${box.bottom - box.top}" fill="url(#${gid})" stroke="#999" stroke-width="0.5"/>`);
  const bar = makeScale('linear', [-zMax, zMax], [box.bottom, box.top]);
  for (const v of axisTicks(bar, 5)) {
    const py = f2(bar(v));
    parts.push(`<line class="tick" x1="${barX + 12}" x2="${barX + 16}" y1="${py}" y2="${py}"/>`);
    parts.push(`<text class="tick-label" x="${barX + 18}" y="${py}" dy="0.35em">${esc(formatTick(v, niceTickStep(bar)))}</text>`);
  }
  parts.push(`<text class="axis-label" transform="translate(${width - 6} ${(box.top + box.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(o.zLabel)}</text>`);
  parts.push(lg.svg, '</svg>');
  el.innerHTML = parts.join('');
}

function niceTickStep(s: Scale): number | undefined {
  return tickStep(s.ticks(5));
}
