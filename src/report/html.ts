import { column, type Cell, type Table } from '../sweep/export.js';
import { planStudy, showValue, type SweepPlan } from '../sweep/grid.js';
import { plural } from '../study/verdict.js';
import type { NamedSweep } from '../study/reproduction.js';
import { advisorAlphas, type HeldoutCheck } from './heldout.js';
import type { FigureFiles } from './render.js';

/** Text as HTML (the report pages escape every value they show). */
export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const dataUri = (mime: string, data: string | Uint8Array) =>
  `data:${mime};base64,${Buffer.from(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64')}`;

function fmt(v: Cell, digits = 3): string {
  if (v === null) return '—';
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    if (!Number.isFinite(v)) return String(v);
    return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(digits);
  }
  return String(v);
}

const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);

export interface Agreement {
  /** unique grid points with a predicted and an observed (non-neutral) regime */
  points: number;
  agree: number;
  /** the same among points whose 95% interval of the gain excludes 0 */
  significantPoints: number;
  significantAgree: number;
  scratchPoints: number;
  scratchAgree: number;
  fit: { threshold: number; agreement: number; n: number } | null;
  /** constants fitted by the theory module itself, when it offers a fit */
  theoryFit?: { constants: Record<string, number>; agreement: number | null };
}

export interface SweepSection {
  sweep: Pick<NamedSweep, 'name' | 'title' | 'description'>;
  plan: SweepPlan;
  agg: Table;
  figures: FigureFiles[];
  runs: number;
  expected: number;
  /** wall seconds of all stored runs, summed (whenever they ran) */
  runSeconds: number;
}

export interface ReportInput {
  mode: 'quick' | 'full';
  version: string;
  engine: string;
  seconds: number;
  sections: SweepSection[];
  agreement: Agreement | null;
  /** the held-out check of the theory and its calibration figures, when the theory sweeps ran */
  /** the held-out check of the theory (its calibration figures are in the two theory sweeps' sections) */
  heldout?: HeldoutCheck;
  bayesTolerance: number;
  failures: number;
}

/** The note a report carries when some grid point has fewer than 3 seeds. */
function fewSeedsHtml(aggs: Table[]): string {
  const seeds = aggs.flatMap((a) => column(a, 'seeds')).filter((n): n is number => typeof n === 'number');
  if (!seeds.length || Math.min(...seeds) >= 3) return '';
  return ` <b>Note:</b> some points have fewer than 3 seeds; their t-intervals rest on at most one degree of freedom
of the spread and are very wide.`;
}

/** The held-out check: old vs current theory on the fit and held-out sets, the advisor's regret. */
function heldoutHtml(c: HeldoutCheck): string {
  const rate = (k: number, n: number) => (n ? `${((100 * k) / n).toFixed(1)}% (${k}/${n})` : '—');
  const scores = (title: string, set: HeldoutCheck['fit'] | HeldoutCheck['holdout']) => `<h3>${esc(title)} (${set.points} configuration × α points)</h3>
<table><thead><tr><th>theory</th><th>sign agreement, |Δ| &gt; 0.01</th><th>Spearman(predicted Δ, Δ)</th><th>MAE scratch error</th><th>MAE transfer error</th></tr></thead><tbody>${set.scores
    .map((s) => `<tr><td>${esc(s.theory)}</td><td>${rate(s.signAgree, s.decisive)}</td><td>${fmt(s.spearmanGain)}</td><td>${fmt(s.maeScratch)}</td><td>${fmt(s.maeTransfer)}</td></tr>`)
    .join('')}</tbody></table>`;
  const regret = `<h3>Advisor on the held-out set (${c.holdout.curves} configurations measured at α = ${advisorAlphas.join(', ')})</h3>
<table><thead><tr><th>policy</th><th>mean regret</th><th>within 0.01 of the best</th><th>mean gain</th></tr></thead><tbody>${c.holdout.regret
    .map((r) => `<tr><td>${esc(r.policy)}</td><td>${fmt(r.meanRegret)}</td><td>${pct(r.withinTolerance)}</td><td>${fmt(r.meanGain)}</td></tr>`)
    .join('')}</tbody></table>`;
  const disjoint =
    c.overlap.configs || c.overlap.seeds.length
      ? `<p><b>The two sets are not disjoint:</b> ${c.overlap.configs} shared configurations, shared seeds ${c.overlap.seeds.join(', ') || 'none'}.</p>`
      : '<p>The two sets share no configuration and no seed.</p>';
  return `<h2 id="heldout">Held-out check of the theory</h2>
<p>Errors are mean population test errors over seeds (free of test-sample noise); the gain Δ = err<sub>scratch</sub> − err<sub>transfer</sub>.
The theory was designed on the fit set only (docs/theory.md §9); the held-out set is only reported.</p>
${disjoint}
${scores('Held-out set', c.holdout)}
${scores('Fit set', c.fit)}
${regret}
<p>The calibration figures, predicted against measured error, are in the sections of the two theory sweeps.</p>`;
}

function figureHtml(f: FigureFiles): string {
  const links = [
    `<a download="${esc(f.name)}.png" href="${dataUri('image/png', f.png)}">PNG</a>`,
    `<a download="${esc(f.name)}.svg" href="${dataUri('image/svg+xml', f.svg)}">SVG</a>`,
    `<a download="${esc(f.name)}.csv" href="${dataUri('text/csv', f.csv)}">CSV</a>`,
    `<a download="${esc(f.name)}.vl.json" href="${dataUri('application/json', JSON.stringify(f.spec, null, 2))}">Vega-Lite</a>`,
  ].join(' · ');
  return `<figure><img alt="${esc(f.title)}" src="${dataUri('image/svg+xml', f.svg)}">
<figcaption>${esc(f.caption)} <span class="links">${links}</span></figcaption></figure>`;
}

function settingsHtml(plan: SweepPlan): string {
  const { configs } = planStudy(plan);
  const axisKeys = new Set<string>(plan.axes.flatMap((a) => a.keys));
  const base = plan.base as Record<string, unknown>;
  const defaults = configs.defaults as Record<string, unknown>;
  const cells = configs.keys
    .filter((k) => k !== 'seed' && !axisKeys.has(k))
    .map((k) => {
      const v = base[k];
      const changed = JSON.stringify(v) !== JSON.stringify(defaults[k]);
      return `<span class="kv${changed ? ' changed' : ''}">${esc(k)}=${esc(showValue(v))}</span>`;
    })
    .join(' ');
  const axes = plan.axes
    .map((a) => `${esc(a.keys.join(' + '))}: ${a.values.map((v) => esc(v.map(showValue).join('/'))).join(', ')}`)
    .join('<br>');
  return `<p class="settings"><b>fixed:</b> ${cells}<br><b>grid:</b> ${axes || '—'}<br><b>seeds:</b> ${plan.seeds.join(', ')}</p>`;
}

/** Tables longer than this (sampled sweeps) are left to the CSV next to the report. */
const maxTableRows = 300;

function tableHtml(agg: Table, plan: SweepPlan): string {
  if (agg.rows.length > maxTableRows) {
    return `<p class="muted">${agg.rows.length} points: the table is in <code>aggregate.csv</code> (<code>paratransfer results DIR --aggregate</code>).</p>`;
  }
  const axisKeys: string[] = plan.axes.flatMap((a) => a.keys);
  const { measure, phases } = planStudy(plan);
  // Each phase's measure: the errors (or accuracies) of upstream, transfer and scratch.
  const measures = phases.map((ph) => [`${ph} ${measure.short}`, `${ph}.${measure.key}`] as const);
  const interval = (name: string, i: number) => {
    const m = column(agg, `${name}.mean`)[i];
    const lo = column(agg, `${name}.lo`)[i];
    const hi = column(agg, `${name}.hi`)[i];
    return `${fmt(m)} <span class="ci">[${fmt(lo)}, ${fmt(hi)}]</span>`;
  };
  const hasPred = agg.columns.includes('predicted.regime');
  const head = [
    ...axisKeys,
    'seeds',
    ...measures.map(([title]) => title),
    'gain Δ',
    'verdict',
    'neg. seeds',
    ...(hasPred ? ['Γ', 'predicted', 'agrees'] : []),
  ];
  const rows = agg.rows.map((_, i) => {
    const cells = [
      ...axisKeys.map((k) => fmt(column(agg, k)[i])),
      fmt(column(agg, 'seeds')[i]),
      ...measures.map(([, name]) => interval(name, i)),
      interval('gain', i),
      fmt(column(agg, 'verdict')[i]),
      pct(column(agg, 'negativeFraction')[i] as number),
      ...(hasPred
        ? [
            fmt(column(agg, 'predicted.gamma')[i]),
            fmt(column(agg, 'predicted.regime')[i]),
            (() => {
              const a = column(agg, 'agrees.regime')[i];
              return a === null ? '—' : a ? '✓' : '✗';
            })(),
          ]
        : []),
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function agreementHtml(a: Agreement | null, tol: number): string {
  if (!a) return '<p>No theory module (src/theory) was available: predictions are not shown.</p>';
  const rate = (k: number, n: number) => (n ? `${((100 * k) / n).toFixed(1)}% (${k} of ${n})` : '—');
  const fit = a.fit
    ? `<li>Best threshold on Γ fitted to these simulations: positive transfer iff Γ &gt; ${fmt(a.fit.threshold)}, agreement ${pct(a.fit.agreement)} of ${a.fit.n} points.</li>`
    : '';
  const theoryFit = a.theoryFit
    ? `<li>Constants fitted by the theory module (<code>fitConstants</code>): ${Object.entries(a.theoryFit.constants)
        .map(([k, v]) => `${esc(k)} = ${fmt(v)}`)
        .join(', ')}; agreement with them: ${pct(a.theoryFit.agreement)}.</li>`
    : '';
  return `<ul>
<li>Regime (sign of the mean gain Δ over seeds vs the predicted regime): <b>${rate(a.agree, a.points)}</b> of distinct grid points.</li>
<li>Among points whose 95% interval of Δ excludes 0: ${rate(a.significantAgree, a.significantPoints)}.</li>
<li>Scratch near Bayes-optimal (mean clean error ≤ ${tol}) vs predicted: ${rate(a.scratchAgree, a.scratchPoints)}.</li>
${fit}${theoryFit}</ul>`;
}

/** The self-contained report: every figure inline (SVG data URIs, PNG/CSV/spec downloads), tables, settings. */
export function reportHtml(r: ReportInput): string {
  const toc = r.sections.map((s) => `<li><a href="#${esc(s.sweep.name)}">${esc(s.sweep.title)}</a></li>`).join('');
  const runs = r.sections.reduce((n, s) => n + s.runs, 0);
  const runSeconds = r.sections.reduce((n, s) => n + s.runSeconds, 0);
  const body = r.sections.map((s) => sectionHtml(s, `spec in <code>specs/${esc(s.sweep.name)}.yaml</code>`)).join('\n');
  return page(
    'paratransfer: partial parameter transfer, synthetic study',
    `<h1>Partial parameter transfer: the synthetic study</h1>
<p>Reproduction of the synthetic experiments of “Towards Understanding Feature Learning in Parameter Transfer”
(arXiv:2509.22056) with <b>paratransfer ${esc(r.version)}</b> (engine <code>${esc(r.engine)}</code>, Node ${esc(process.version)}),
${r.mode === 'quick' ? '<b>quick</b> profile (small problems, few seeds)' : '<b>full</b> profile (the reference sizes of docs/model.md)'}:
${runs} paired runs (upstream, transfer, scratch) in ${r.sections.length} sweeps, ${runSeconds.toFixed(0)} s of training in
worker threads (a run shared by two sweeps counts twice); this invocation took ${r.seconds.toFixed(0)} s${
      r.failures ? `, <b>${r.failures} failed runs</b> (see the sweep stores)` : ''
    }.
Errors are clean test errors (against the true labels) unless marked; intervals are 95% over seeds: Student t for the
gain Δ = err<sub>scratch</sub> − err<sub>transfer</sub>, and for errors the Wilson interval on the seeds’ effective
sample size, which stays inside [0, 1] (docs/sweeps.md, “Intervals”).${fewSeedsHtml(r.sections.map((s) => s.agg))}</p>
<h2>Theory agreement</h2>
${agreementHtml(r.agreement, r.bayesTolerance)}
${r.heldout ? heldoutHtml(r.heldout) : ''}
<h2>Contents</h2><ol>${toc}</ol>
${body}
<hr><p class="muted">Generated by <code>paratransfer reproduce${r.mode === 'quick' ? ' --quick' : ''}</code>, version ${esc(
      r.version,
    )}. Every figure’s Vega-Lite spec, SVG, PNG and CSV are also in <code>figures/</code>; every run is in <code>sweeps/NAME/results.sqlite</code>
(<code>paratransfer results sweeps/NAME --aggregate</code>).</p>`,
  );
}

/**
 * The grid points where the measurement contradicts the theory: the 95% interval of the gain excludes 0 on the side
 * the theory did not predict (predicted positive, interval below 0; predicted negative, interval above 0).
 */
export function disagreements(agg: Table): number[] {
  const regime = column(agg, 'predicted.regime');
  const lo = column(agg, 'gain.lo');
  const hi = column(agg, 'gain.hi');
  const out: number[] = [];
  agg.rows.forEach((_, i) => {
    const [l, h] = [lo[i], hi[i]];
    if (typeof l !== 'number' || typeof h !== 'number') return;
    if ((regime[i] === 'positive' && h < 0) || (regime[i] === 'negative' && l > 0)) out.push(i);
  });
  return out;
}

/** The section "Where theory and measurement disagree" of one sweep (nothing for a study without a theory). */
function disagreementHtml(agg: Table, plan: SweepPlan): string {
  if (!agg.columns.includes('predicted.regime')) return '';
  const axisKeys: string[] = plan.axes.flatMap((a) => a.keys);
  const rows = disagreements(agg);
  const significant = column(agg, 'verdict').filter((v) => v === 'positive' || v === 'negative').length;
  const head = '<h3>Where theory and measurement disagree</h3>';
  const rule = `a 95% interval of the gain Δ that excludes 0 on the side the theory did not predict`;
  if (!rows.length) {
    return `${head}<p>Nowhere: no grid point has ${rule} (${significant} of ${agg.rows.length} points have an interval that excludes 0${
      significant ? ', all on the predicted side' : ''
    }).</p>`;
  }
  const cells = rows.map((i) => {
    const at = axisKeys.map((k) => `${esc(k)} = ${fmt(column(agg, k)[i])}`).join(', ') || 'the base config';
    const gain = `${fmt(column(agg, 'gain.mean')[i])} <span class="ci">[${fmt(column(agg, 'gain.lo')[i])}, ${fmt(column(agg, 'gain.hi')[i])}]</span>`;
    return `<tr><td>${at}</td><td>${gain}</td><td>${fmt(column(agg, 'seeds')[i])}</td><td>${fmt(column(agg, 'predicted.gamma')[i])}</td><td>${fmt(
      column(agg, 'predicted.regime')[i],
    )}</td></tr>`;
  });
  return `${head}<p>${rows.length} of ${agg.rows.length} grid points ${rows.length === 1 ? 'has' : 'have'} ${rule}:</p>
<table class="disagree"><thead><tr><th>point</th><th>gain Δ [95%]</th><th>seeds</th><th>Γ</th><th>predicted</th></tr></thead><tbody>${cells.join('')}</tbody></table>`;
}

/** One sweep: its settings, figures, table and where it contradicts the theory. `specNote` says where its spec is kept (HTML). */
export function sectionHtml(s: SweepSection, specNote: string): string {
  return `<section id="${esc(s.sweep.name)}">
<h2>${esc(s.sweep.title)}</h2>
<p>${esc(s.sweep.description)} <span class="muted">(sweep <code>${esc(s.sweep.name)}</code>, ${s.runs} of ${s.expected} runs; ${specNote})</span></p>
${settingsHtml(s.plan)}
${s.figures.map(figureHtml).join('\n')}
${tableHtml(s.agg, s.plan)}
${disagreementHtml(s.agg, s.plan)}
</section>`;
}

/** A self-contained page: inline styles, no scripts, nothing fetched. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>${esc(title)}</title>
<style>
body{font-family:"DejaVu Sans",system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:1em 0}td,th{border:1px solid #ddd;padding:.25em .5em;text-align:right}
th{background:#f4f4f4}.ci{color:#777;font-size:.9em}.muted{color:#777}.settings{font-size:.85em}
.kv{display:inline-block;margin-right:.6em}.kv.changed{font-weight:bold}figure{margin:1em 0}img{max-width:100%}
figure img{width:100%;height:auto}
figcaption{font-size:.85em;color:#444}.links a{margin:0 .2em}code{background:#f4f4f4;padding:0 .2em}
</style></head><body>
${body}
</body></html>
`;
}

export interface SweepReportInput {
  version: string;
  engine: string;
  /** the sweep directory, as given */
  dir: string;
  section: SweepSection;
  failures: number;
}

/** The report of one sweep directory (`paratransfer report DIR`): settings, figures and table, self-contained. */
export function sweepReportHtml(r: SweepReportInput): string {
  const s = r.section;
  const study = planStudy(s.plan);
  const { measure } = study;
  const theory = s.agg.columns.includes('predicted.regime') ? '; Γ and the predicted regime come from the theory (docs/theory.md)' : '';
  const measures = `${esc(measure.description)}; gain Δ = ${esc(measure.gain)} (&gt; 0: positive transfer)${theory}.`;
  return page(
    `paratransfer: sweep ${s.sweep.name}`,
    `<h1>Sweep <code>${esc(s.sweep.name)}</code>: ${esc(study.title)}</h1>
<p>${s.runs} of ${s.expected} paired runs (upstream, transfer, scratch) from <code>${esc(r.dir)}</code>, ${s.runSeconds.toFixed(0)} s of
training in worker threads, with <b>paratransfer ${esc(r.version)}</b> (engine <code>${esc(r.engine)}</code>, Node ${esc(process.version)})${
      r.failures ? `; <b>${r.failures} runs failed</b> (rerun the sweep to retry them)` : ''
    }. ${measures} Intervals and bands are 95% over seeds: Student t for the gain, and for ${esc(plural(measure.short))} the
Wilson interval on the seeds’ effective sample size, inside [0, 1] (docs/sweeps.md, “Intervals”).${fewSeedsHtml([s.agg])}</p>
${sectionHtml(s, 'spec stored in <code>results.sqlite</code>')}
<hr><p class="muted">Generated by <code>paratransfer report</code>, version ${esc(r.version)}. Every figure’s Vega-Lite spec, SVG, PNG
and CSV are also in <code>figures/</code>; the tables are <code>runs.csv</code> and <code>aggregate.csv</code>
(<code>paratransfer results DIR [--aggregate]</code>).</p>`,
  );
}
