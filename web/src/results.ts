/**
 * The sweep-results view of any study: its measure (test error, test accuracy) and the gain against each varied
 * factor (mean and 95% interval over seeds, with the theory's curves where the study has a theory), and phase
 * diagrams of the gain over pairs of factors with the theory's boundary.
 */
import type { AnyStudy } from '../../src/browser.js';
import { drawHeatmap, LineChart, palette, type Contour, type HeatmapCell, type Series } from './charts.js';
import { escapeHtml, num, pct, pp } from './format.js';
import type { Cell, Config, Sweep, SweepPoint } from './sweep-data.js';

const capital = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

/** A config key as the study labels it on axes. */
const keyLabel = (study: AnyStudy, k: string) => study.factorLabels[k] ?? k;

const isNumeric = (vs: Cell[] | undefined) => !!vs && vs.every((v) => typeof v === 'number');

/** Values spread over more than a decade, all positive: plot on a log axis. */
function logLike(vs: Cell[] | undefined): boolean {
  if (!isNumeric(vs)) return false;
  const xs = vs as number[];
  return xs.length > 2 && xs[0] > 0 && xs[xs.length - 1] / xs[0] >= 10;
}

const cellText = (v: Cell) => (typeof v === 'number' ? num(v) : String(v));

/** Interpolate the value at fractional index t of sorted numeric grid values (log-linear on log-like axes). */
function valueAt(vs: number[], t: number, log: boolean): number {
  if (vs.length === 1) return vs[0];
  const i = Math.max(0, Math.min(vs.length - 2, Math.floor(t)));
  const f = t - i;
  if (log) return Math.exp(Math.log(vs[i]) + f * (Math.log(vs[i + 1]) - Math.log(vs[i])));
  return vs[i] + f * (vs[i + 1] - vs[i]);
}

/** A config value as a cell (lists as their JSON text, as in the export). */
const cellOf = (v: unknown): Cell => (Array.isArray(v) ? JSON.stringify(v) : (v as Cell));

/** A point's config restricted to keys, as a lookup key. */
const sliceKey = (c: Config, keys: string[]) => JSON.stringify(keys.map((k) => cellOf(c[k])));

function selectHtml(id: string, label: string, options: { value: string; text: string }[], selected: string): string {
  return `<label class="inline">${escapeHtml(label)} <select id="${id}" data-testid="${id}">${options
    .map((o) => `<option value="${escapeHtml(o.value)}"${o.value === selected ? ' selected' : ''}>${escapeHtml(o.text)}</option>`)
    .join('')}</select></label>`;
}

export class ResultsView {
  private sweep: Sweep | null = null;
  private factor: string | null = null;
  private px: string | null = null;
  private py: string | null = null;
  /** chosen value index of each varied key not on an axis */
  private slice = new Map<string, number>();
  private errorChart?: LineChart;
  private gainChart?: LineChart;

  constructor(private readonly body: HTMLElement) {}

  show(sweep: Sweep, source: string): void {
    this.sweep = sweep;
    const m = sweep.study.measure;
    const theory = Boolean(sweep.study.theory);
    const numericVaried = sweep.varied.filter((k) => isNumeric(sweep.values[k]));
    this.factor = numericVaried[0] ?? null;
    this.px = numericVaried[0] ?? null;
    this.py = numericVaried[1] ?? null;
    // Slices start at the middle value of each factor (the ends are often degenerate, e.g. α = 0).
    this.slice = new Map(sweep.varied.map((k) => [k, Math.floor((sweep.values[k]!.length - 1) / 2)]));
    this.body.hidden = false;
    this.body.innerHTML = `
      <section class="card summary" data-testid="results-summary">${this.summaryHtml(sweep, source)}</section>
      <section class="card">
        <h2>${escapeHtml(capital(m.label))} against a factor <span class="sub">mean over seeds, band: 95% interval (errors: Wilson, inside [0, 1]; gain: Student t)${theory ? '; dashed: theory' : ''}</span></h2>
        <div class="controls-row" id="factor-controls"></div>
        <div class="charts">
          <figure><figcaption>${escapeHtml(capital(m.label))}</figcaption><div class="chart-box" id="factor-error-chart" data-testid="factor-error-chart"></div></figure>
          <figure><figcaption>Transfer gain Δ = ${escapeHtml(m.gain)}</figcaption><div class="chart-box" id="factor-gain-chart" data-testid="factor-gain-chart"></div></figure>
        </div>
      </section>
      <section class="card">
        <h2>Phase diagram <span class="sub">mean transfer gain${theory ? '; line: the theory’s boundary' : ''}</span></h2>
        <div class="controls-row" id="phase-controls"></div>
        <div class="chart-box phase" id="phase-chart" data-testid="phase-chart"></div>
        <p class="foot" id="phase-foot"></p>
      </section>
      <section class="card">
        <details>
          <summary>Table of grid points (${sweep.points.length})</summary>
          <div class="table-wrap">${this.tableHtml(sweep)}</div>
        </details>
      </section>`;
    this.errorChart = new LineChart(this.body.querySelector('#factor-error-chart')!, {
      xLabel: '',
      yLabel: m.label,
      yDomain: m.higherIsBetter ? [undefined, 1] : [0, undefined],
    });
    this.gainChart = new LineChart(this.body.querySelector('#factor-gain-chart')!, { xLabel: '', yLabel: 'gain Δ' });
    this.drawFactor();
    this.drawPhase();
  }

  private summaryHtml(s: Sweep, source: string): string {
    const seeds = s.points.map((p) => p.seeds);
    const fixed = Object.keys(s.values).filter((k) => !s.varied.includes(k) && !s.assumed.includes(k));
    const agreement = (a: NonNullable<Sweep['agreement']>) => (a.rate === null ? 'no point with a clear sign' : `${a.agree} of ${a.n} points (${pct(a.rate)})`);
    const theory = s.study.theory;
    const constants = (c: Record<string, number>) => Object.entries(c).map(([k, v]) => `${escapeHtml(k)} = ${num(v)}`).join(', ');
    return `<h2>${escapeHtml(source)} <span class="sub">${escapeHtml(s.study.title)}, ${s.kind === 'runs' ? 'one row per run' : 'aggregated export'}</span></h2>
      <dl class="facts">
        <dt>rows</dt><dd>${s.rows}</dd>
        <dt>grid points</dt><dd data-testid="results-points">${s.points.length}</dd>
        <dt>seeds per point</dt><dd>${Math.min(...seeds) === Math.max(...seeds) ? seeds[0] : `${Math.min(...seeds)}–${Math.max(...seeds)}`}</dd>
        ${s.engines.length ? `<dt>engine</dt><dd>${escapeHtml(s.engines.join(', '))}</dd>` : ''}
        <dt>varied</dt><dd>${
          s.varied.length
            ? s.varied.map((k) => `${escapeHtml(keyLabel(s.study, k))}: ${s.values[k]!.map(cellText).join(', ')}`).join('<br>')
            : 'nothing (a single point)'
        }</dd>
        <dt>fixed</dt><dd class="fixed">${fixed.map((k) => `${k}=${escapeHtml(cellText(s.values[k]![0]))}`).join(' ')}</dd>
        ${s.assumed.length ? `<dt>not in the export</dt><dd>${s.assumed.join(', ')} (defaults assumed for the theory)</dd>` : ''}
        ${
          theory && s.agreement
            ? `<dt>theory agrees</dt><dd data-testid="results-agreement">${agreement(s.agreement)}: predicted regime (Γ vs its threshold ${num(theory.threshold)}) against the sign of the mean gain</dd>`
            : '<dt>theory</dt><dd data-testid="results-agreement">this study has no theory to compare with</dd>'
        }
        ${s.fitted && s.fittedAgreement ? `<dt>refitted</dt><dd>${constants(s.fitted.constants)}: agrees at ${agreement(s.fittedAgreement)}</dd>` : ''}
      </dl>`;
  }

  private tableHtml(s: Sweep): string {
    const m = s.study.measure;
    const theory = Boolean(s.study.theory);
    const head = [
      ...s.varied.map((k) => keyLabel(s.study, k)),
      'seeds',
      `transfer ${m.short}`,
      `scratch ${m.short}`,
      'gain Δ [95% CI]',
      'neg. fraction',
      ...(theory ? ['Γ', 'predicted'] : []),
      'observed',
    ];
    const rows = [...s.points].sort((a, b) => {
      for (const k of s.varied) {
        const x = cellOf(a.config[k]);
        const y = cellOf(b.config[k]);
        if (x !== y) return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      }
      return 0;
    });
    const ci = (p: SweepPoint) => (p.gain.lo === null || p.gain.hi === null ? '' : ` [${pp(p.gain.lo)}, ${pp(p.gain.hi)}]`);
    return `<table class="points"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
      .map(
        (p) => `<tr>${s.varied.map((k) => `<td>${escapeHtml(cellText(cellOf(p.config[k])))}</td>`).join('')}
          <td>${p.seeds}</td><td>${pct(p.transfer.mean)}</td><td>${pct(p.scratch.mean)}</td><td>${pp(p.gain.mean)}${ci(p)}</td>
          <td>${p.negativeFraction === null ? '—' : num(p.negativeFraction, 3)}</td>${
            p.prediction ? `<td>${num(p.prediction.gamma)}</td><td class="regime ${p.prediction.regime}">${p.prediction.regime}</td>` : ''
          }<td class="regime ${p.observed}">${p.observed}</td></tr>`,
      )
      .join('')}</tbody></table>`;
  }

  /** Selects for the varied keys not on an axis: which slice of the grid to draw. */
  private sliceControls(container: HTMLElement, axes: (string | null)[], prefix: string, redraw: () => void): void {
    const s = this.sweep!;
    const others = s.varied.filter((k) => !axes.includes(k));
    const html = others.map((k) =>
      selectHtml(
        `${prefix}-slice-${k}`,
        `${keyLabel(s.study, k)} =`,
        s.values[k]!.map((v, i) => ({ value: String(i), text: cellText(v) })),
        String(this.slice.get(k) ?? 0),
      ),
    );
    const div = document.createElement('span');
    div.className = 'slices';
    div.innerHTML = html.join('');
    container.append(div);
    for (const k of others) {
      div.querySelector<HTMLSelectElement>(`#${prefix}-slice-${k}`)!.addEventListener('change', (e) => {
        this.slice.set(k, Number((e.target as HTMLSelectElement).value));
        redraw();
      });
    }
  }

  /** Points in the current slice, looked up by their values on the given axes. */
  private slicePoints(axes: string[]): { lookup: Map<string, SweepPoint>; base: Config } {
    const s = this.sweep!;
    const others = s.varied.filter((k) => !axes.includes(k));
    const want = new Map(others.map((k) => [k, s.values[k]![this.slice.get(k) ?? 0]]));
    const lookup = new Map<string, SweepPoint>();
    let base: Config | null = null;
    for (const p of s.points) {
      if (others.every((k) => cellOf(p.config[k]) === want.get(k))) {
        lookup.set(sliceKey(p.config, axes), p);
        base ??= p.config;
      }
    }
    return { lookup, base: base ?? s.points[0].config };
  }

  private drawFactor(): void {
    const s = this.sweep!;
    const controls = this.body.querySelector<HTMLElement>('#factor-controls')!;
    controls.innerHTML = '';
    const numericVaried = s.varied.filter((k) => isNumeric(s.values[k]));
    if (!this.factor) {
      controls.textContent = 'No numeric factor varies in this sweep.';
      this.errorChart!.update([]);
      this.gainChart!.update([]);
      return;
    }
    controls.innerHTML = selectHtml('factor-key', 'factor', numericVaried.map((k) => ({ value: k, text: keyLabel(s.study, k) })), this.factor);
    controls.querySelector<HTMLSelectElement>('#factor-key')!.addEventListener('change', (e) => {
      this.factor = (e.target as HTMLSelectElement).value;
      this.drawFactor();
    });
    this.sliceControls(controls, [this.factor], 'factor', () => this.drawFactor());

    const k = this.factor;
    const xs = s.values[k] as number[];
    const log = logLike(xs);
    const { lookup, base } = this.slicePoints([k]);
    const pts = xs.map((x) => ({ x, p: lookup.get(JSON.stringify([x])) })).filter((q): q is { x: number; p: SweepPoint } => !!q.p);
    const band = (f: (p: SweepPoint) => { lo: number | null; hi: number | null }) =>
      pts.filter(({ p }) => f(p).lo !== null && f(p).hi !== null).map(({ x, p }) => ({ x, lo: f(p).lo!, hi: f(p).hi! }));
    // The theory's curves through the slice (where the study has a theory), sampled finely between the grid's ends.
    const { theory, measure } = s.study;
    const curve = theory
      ? Array.from({ length: 81 }, (_, i) => valueAt([xs[0], xs[xs.length - 1]], i / 80, log)).map((x) => ({ x, t: theory.predict({ ...base, [k]: x }) }))
      : [];
    const theorySeries = (name: string, field: string | undefined, color: string): Series[] =>
      field && curve.length ? [{ name, color, dash: '6 4', points: curve.map((c) => ({ x: c.x, y: c.t[field] as number })) }] : [];
    const errSeries: Series[] = [
      ...theorySeries('theory: transfer', measure.predicted?.transfer, palette.transfer),
      ...theorySeries('theory: scratch', measure.predicted?.scratch, palette.scratch),
      { name: 'transfer', color: palette.transfer, markers: true, points: pts.map(({ x, p }) => ({ x, y: p.transfer.mean })), band: band((p) => p.transfer), format: pct },
      { name: 'scratch', color: palette.scratch, markers: true, points: pts.map(({ x, p }) => ({ x, y: p.scratch.mean })), band: band((p) => p.scratch), format: pct },
    ];
    const gainSeries: Series[] = [
      ...theorySeries('theory: predicted Δ', measure.predicted?.gain, palette.theory),
      { name: 'measured Δ', color: palette.inherited, markers: true, points: pts.map(({ x, p }) => ({ x, y: p.gain.mean })), band: band((p) => p.gain), format: pp },
    ];
    const xLabel = keyLabel(s.study, k);
    this.errorChart!.setOptions({ xLabel, xScale: log ? 'log' : 'linear' });
    this.errorChart!.update(errSeries);
    this.gainChart!.setOptions({ xLabel, xScale: log ? 'log' : 'linear' });
    this.gainChart!.update(gainSeries, [{ axis: 'y', value: 0, color: '#555', label: 'no gain' }]);
  }

  private drawPhase(): void {
    const s = this.sweep!;
    const controls = this.body.querySelector<HTMLElement>('#phase-controls')!;
    const chart = this.body.querySelector<HTMLElement>('#phase-chart')!;
    const foot = this.body.querySelector<HTMLElement>('#phase-foot')!;
    controls.innerHTML = '';
    const numericVaried = s.varied.filter((k) => isNumeric(s.values[k]));
    if (!this.px || !this.py) {
      chart.innerHTML = '';
      foot.textContent = 'A phase diagram needs two numeric factors varied in the sweep.';
      return;
    }
    const opts = numericVaried.map((k) => ({ value: k, text: keyLabel(s.study, k) }));
    controls.innerHTML = selectHtml('phase-x', 'x', opts, this.px) + selectHtml('phase-y', 'y', opts, this.py);
    const swap = (which: 'x' | 'y') => (e: Event) => {
      const v = (e.target as HTMLSelectElement).value;
      if (which === 'x') [this.px, this.py] = [v, v === this.py ? this.px : this.py];
      else [this.py, this.px] = [v, v === this.px ? this.py : this.px];
      this.drawPhase();
    };
    controls.querySelector('#phase-x')!.addEventListener('change', swap('x'));
    controls.querySelector('#phase-y')!.addEventListener('change', swap('y'));
    this.sliceControls(controls, [this.px, this.py], 'phase', () => this.drawPhase());

    const [kx, ky] = [this.px, this.py];
    const xs = s.values[kx] as number[];
    const ys = s.values[ky] as number[];
    const { lookup, base } = this.slicePoints([kx, ky]);
    const cells: HeatmapCell[][] = ys.map((y) =>
      xs.map((x) => {
        const p = lookup.get(JSON.stringify([x, y]));
        return this.cell(p, kx, ky, x, y);
      }),
    );
    // Γ on a fine grid over the same index space as the cells (half a cell beyond the outer centres).
    const res = 48;
    const gx = Array.from({ length: res }, (_, i) => -0.5 + (i / (res - 1)) * xs.length);
    const gy = Array.from({ length: res }, (_, j) => -0.5 + (j / (res - 1)) * ys.length);
    const [lx, ly] = [logLike(xs), logLike(ys)];
    const gammaGrid = (predict: (c: Config) => { gamma: number }) =>
      gy.map((ty) =>
        gx.map((tx) => {
          const vx = valueAt(xs, tx, lx);
          const vy = valueAt(ys, ty, ly);
          if (!(vx >= 0 && vy >= 0)) return NaN;
          return predict({ ...base, [kx]: vx, [ky]: vy }).gamma;
        }),
      );
    const { theory } = s.study;
    const contours: Contour[] = theory ? [{ name: `theory: Γ = ${num(theory.threshold)}`, grid: gammaGrid(theory.predict), level: theory.threshold }] : [];
    const fitted = s.fitted;
    if (fitted && Number.isFinite(fitted.threshold) && fitted.threshold !== theory?.threshold) {
      contours.push({ name: `refitted: Γ = ${num(fitted.threshold)}`, grid: gammaGrid(fitted.predict), level: fitted.threshold, dash: '6 4', color: '#555' });
    }
    drawHeatmap(chart, {
      xLabel: keyLabel(s.study, kx),
      yLabel: keyLabel(s.study, ky),
      zLabel: 'gain Δ (percentage points)',
      xTicks: xs.map(cellText),
      yTicks: ys.map(cellText),
      cells,
      contours,
      flagLabel: 'theory disagrees with the sign of Δ',
      format: (v) => v.toFixed(1),
      width: 760,
      height: 420,
    });
    const blue = cells.flat().filter((c) => c.value !== null && c.value > 0).length;
    const red = cells.flat().filter((c) => c.value !== null && c.value < 0).length;
    foot.textContent =
      `Blue: transfer helps (Δ > 0, ${blue} cells); red: negative transfer (Δ < 0, ${red} cells). Cell labels in percentage points.` +
      (theory ? ' The theory predicts positive transfer on the side of the line where Γ exceeds its threshold.' : '');
  }

  private cell(p: SweepPoint | undefined, kx: string, ky: string, x: number, y: number): HeatmapCell {
    const study = this.sweep!.study;
    const where = `${keyLabel(study, kx)} = ${num(x)}, ${keyLabel(study, ky)} = ${num(y)}`;
    if (!p) return { value: null, title: `${where}: no runs` };
    const ci = p.gain.lo === null || p.gain.hi === null ? '' : ` [${pp(p.gain.lo)}, ${pp(p.gain.hi)}]`;
    const pred = p.prediction;
    const flag = Boolean(pred) && p.observed !== 'neutral' && pred!.regime !== 'neutral' && p.observed !== pred!.regime;
    return {
      value: p.gain.mean === null ? null : 100 * p.gain.mean,
      flag,
      title:
        `${where}\nΔ = ${pp(p.gain.mean)}${ci} over ${p.seeds} seed${p.seeds === 1 ? '' : 's'}\n` +
        `transfer ${pct(p.transfer.mean)}, scratch ${pct(p.scratch.mean)}` +
        (pred ? `\nΓ = ${num(pred.gamma)}: predicted ${pred.regime}` : ''),
    };
  }
}
