import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../src/config/schema.js';
import { dynamics, figureWidth, gainVsFactor, measureVsFactor, panelLabels, phaseDiagram, predictedBoundary } from '../../src/report/figures.js';
import { disagreements } from '../../src/report/html.js';
import { paperSweeps } from '../../src/report/paper.js';
import { renderFigure } from '../../src/report/render.js';
import { aggregateTable, runRecords, type RunRecord, type Table } from '../../src/sweep/export.js';
import { checkedPredictor } from '../../src/study/prediction.js';
import { syntheticStudy } from '../../src/experiment/study.js';
import type { ExperimentResult } from '../../src/experiment/run.js';
import { InlineQueue } from '../../src/sweep/queue.js';
import { runSweeps } from '../../src/sweep/run.js';
import { loadSweepSpec, parseSweepSpec } from '../../src/sweep/spec.js';
import { SweepStore } from '../../src/sweep/store.js';
import { runCli } from '../helpers/cli.js';

const fakePredictor = checkedPredictor((c: ExperimentConfig) => ({
  gamma: c.uNorm - 1,
  // α = 0 inherits nothing: neutral, which must not draw a boundary along α = 0
  regime: c.alpha === 0 ? 'neutral' : c.uNorm > 1 ? 'positive' : 'negative',
  scratchBayesOptimal: false,
}));

const spec = `base: positive-transfer
set: { d: 100, n1: 20, n2: 10, nTest: 100, m: 4, steps: 30, checkpoints: 5 }
grid: { uNorm: { log: [0.5, 2], num: 2 }, alpha: [0.5, 1] }
seeds: 2
`;
const plan = parseSweepSpec<ExperimentConfig>(spec);
let records: RunRecord<ExperimentConfig, ExperimentResult>[];
let agg: Table;

const PNG = [0x89, 0x50, 0x4e, 0x47];

beforeAll(async () => {
  const store = SweepStore.open(mkdtempSync(join(tmpdir(), 'pt-report-')));
  store.attach(plan, spec, 'dense', 'test');
  await runSweeps([{ plan, store }], new InlineQueue(), { engine: 'dense', version: 'test' });
  records = runRecords(plan, store.runs()) as typeof records;
  store.close();
  agg = aggregateTable(syntheticStudy, records, { predictor: fakePredictor });
});

describe('figures', () => {
  it('draws error against a factor with intervals, as SVG, PNG and CSV', async () => {
    const sub = { ...agg, rows: agg.rows.filter((_, i) => agg.rows[i][agg.columns.indexOf('alpha')] === 1) };
    const fig = measureVsFactor(sub, 'uNorm', { study: syntheticStudy, log: true, title: 'Shared signal test' });
    const lines = fig.csv.trimEnd().split('\n');
    expect(lines[0]).toBe('uNorm,run,mean,lo,hi,seeds');
    expect(lines).toHaveLength(1 + 2 * 2);
    const { svg, png } = await renderFigure(fig.spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Shared signal test');
    expect(svg).toContain('shared signal ‖u‖');
    expect([...png.slice(0, 4)]).toEqual(PNG);
  });

  it('draws a phase diagram with the predicted boundary where the predictor changes regime', async () => {
    const boundary = predictedBoundary(plan.base, 'uNorm', 'alpha', [0.25, 4, true], [0, 1, false], fakePredictor, 8);
    expect(boundary).toHaveLength(7); // one per scan line along uNorm, except α = 0 (neutral)
    for (const p of boundary) expect(p.x).toBeCloseTo(1, 6);
    const fig = phaseDiagram(agg, plan.base, 'uNorm', 'alpha', { study: syntheticStudy, xLog: true, title: 'Phase test', predictor: fakePredictor });
    const lines = fig.csv.trimEnd().split('\n');
    expect(lines[0]).toBe('uNorm,alpha,x0,x1,y0,y1,gain,negativeFraction,predicted');
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(/^0\.5,0\.5,0\.25,1,0\.25,0\.75,/); // geometric cell edges on the log axis
    expect(lines[1].endsWith(',−')).toBe(true);
    expect(lines[4].endsWith(',+')).toBe(true);
    const { svg, png } = await renderFigure(fig.spec);
    expect(svg).toContain('Phase test');
    expect([...png.slice(0, 4)]).toEqual(PNG);
  });

  it('draws training dynamics of inherited and fresh filters from the checkpoints', async () => {
    const chosen = records.filter((r) => r.config.alpha === 0.5 && r.config.uNorm === 2);
    const fig = dynamics(chosen, { title: 'Dynamics test' });
    expect(fig.csv.split('\n')[0]).toBe('measure,group,step,mean,lo,hi,seeds');
    const values = (fig.spec as unknown as { data: { values: Record<string, string | number>[] } }).data.values;
    const rows = values.map((v) => [v.measure, v.group, v.step, v.mean].map(String));
    const groups = new Set(rows.map((r) => r[1]));
    expect([...groups]).toEqual(['upstream', 'transfer · inherited filters', 'transfer · fresh filters', 'scratch']);
    // The mean over the two seeds at the last checkpoint equals the final measures of the runs.
    const last = rows.find((r) => r[0].startsWith('noise') && r[1] === 'scratch' && r[2] === '30')!;
    const expected = (chosen[0].result.scratch.checkpoints.at(-1)!.features.all.noiseMemorization! +
      chosen[1].result.scratch.checkpoints.at(-1)!.features.all.noiseMemorization!) / 2;
    expect(Number(last[3])).toBeCloseTo(expected, 12);
    const { svg } = await renderFigure(fig.spec);
    expect(svg).toContain('noise memorisation');
  });
});

describe('paratransfer reproduce', () => {
  it('defines the named sweeps of the paper, all valid', () => {
    for (const mode of ['quick', 'full'] as const) {
      const sweeps = paperSweeps(mode);
      const factors = sweeps.flatMap((s) => s.figures.filter((f) => f.kind === 'factor').map((f) => f.kind === 'factor' && f.factor));
      for (const k of ['alpha', 'n1', 'uNorm', 'sigmaP1', 'sigmaP2', 'd', 'labelNoise']) expect(factors).toContain(k);
      expect(sweeps.filter((s) => s.figures.some((f) => f.kind === 'phase')).length).toBeGreaterThanOrEqual(2);
      expect(sweeps.map((s) => s.name)).toEqual(expect.arrayContaining(['negative-transfer', 'label-noise-negative']));
    }
  });

  it('runs a named sweep, writes the figures and a self-contained report, and resumes', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'pt-reproduce-')), 'study');
    const r = await runCli(['reproduce', '--quick', '--only', 'alpha', '--out', out, '--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^reproduce \(quick\): 25 runs \(0 already done\), 2 figures, .*report\.html/);
    for (const f of ['alpha-error', 'alpha-dynamics']) {
      for (const ext of ['vl.json', 'svg', 'png', 'csv']) expect(existsSync(join(out, 'figures', `${f}.${ext}`)), `${f}.${ext}`).toBe(true);
    }
    const values = JSON.parse(readFileSync(join(out, 'figures', 'alpha-error.vl.json'), 'utf8')).data.values as Record<string, unknown>[];
    // five α values × (transfer, scratch) measured + the theory's predicted curves for both
    expect(values).toHaveLength(20);
    const theory = values.filter((v) => String(v.run).endsWith('(theory)'));
    expect(theory).toHaveLength(10);
    for (const v of theory) expect(v.mean as number).toBeGreaterThan(0);
    // α = 0 inherits nothing: the theory predicts the same error for transfer and scratch
    const at0 = theory.filter((v) => v.alpha === 0).map((v) => v.mean);
    expect(at0[0]).toBe(at0[1]);
    expect(loadSweepSpec(join(out, 'specs', 'alpha.yaml')).plan.seeds).toEqual([0, 1, 2, 3, 4]);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.match(/<img [^>]*src="data:image\/svg\+xml;base64,/g)).toHaveLength(2);
    expect(html).toContain('data:image/png;base64,');
    expect(html).toMatch(/paratransfer <\/?b>?\d+\.\d+\.\d+|paratransfer \d+\.\d+\.\d+/);
    expect(html).toContain('Theory agreement');
    expect(html).toContain('<table>');
    // Self-contained: nothing is fetched.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script|<link|@import|url\(/);
    expect(readFileSync(join(out, 'sweeps', 'alpha', 'aggregate.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(6);

    const again = await runCli(['reproduce', '--quick', '--only', 'alpha', '--out', out, '--workers', '1']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('25 runs (25 already done)');
    const bad = await runCli(['reproduce', '--quick', '--only', 'alpah', '--out', out]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^paratransfer: error: --only: unknown sweep "alpah" \(named sweeps: alpha, n1, /);
  });
});

/** The width of a rendered figure (its SVG's width attribute). */
const svgWidth = (svg: string) => Number(/<svg[^>]* width="([\d.]+)"/.exec(svg)![1]);

describe('figures a reader can trust (issue 14)', () => {
  it('fill the report width, legends at full colour, a tick at both ends of every axis', async () => {
    const sub = { ...agg, rows: agg.rows.filter((_, i) => agg.rows[i][agg.columns.indexOf('alpha')] === 1) };
    const m = measureVsFactor(sub, 'uNorm', { study: syntheticStudy, log: true, title: 't' });
    const spec = m.spec as unknown as { width: number; layer: { encoding: Record<string, { axis?: { values?: number[] }; scale?: Record<string, unknown>; legend?: Record<string, unknown> }> }[] };
    expect(spec.width).toBe(760);
    const line = spec.layer[spec.layer.length - 1].encoding;
    expect(line.x.axis!.values).toEqual([0.5, 2]); // the simulated values, from the first to the last
    expect(line.x.scale).toMatchObject({ domain: [0.5, 2], nice: false });
    expect(line.y.scale).toMatchObject({ nice: 5 });
    expect(line.y.axis).toMatchObject({ tickCount: 5 });
    expect(line.color.legend).toMatchObject({ symbolType: 'stroke', symbolOpacity: 1 });
    const { svg } = await renderFigure(m.spec);
    expect(svgWidth(svg)).toBeGreaterThan(900);
    expect(svgWidth(svg)).toBeLessThanOrEqual(figureWidth + 30);

    const g = gainVsFactor(agg, 'uNorm', { study: syntheticStudy, log: true, title: 'g', panels: panelLabels(agg, ['alpha']) });
    const gs = g.spec as unknown as { spec: { width: number }; columns: number };
    expect(gs.spec.width).toBe(270);
    const rendered = await renderFigure(g.spec);
    expect(svgWidth(rendered.svg)).toBeGreaterThan(600);
    expect(svgWidth(rendered.svg)).toBeLessThanOrEqual(figureWidth + 30);

    const dyn = dynamics(records.filter((r) => r.config.alpha === 0.5), { title: 'd' });
    const ds = dyn.spec as unknown as { spec: { layer: { encoding: Record<string, { axis?: { values?: number[] }; legend?: Record<string, unknown> }> }[] } };
    const enc = ds.spec.layer[1].encoding;
    expect(enc.color.legend).toMatchObject({ symbolType: 'stroke', symbolOpacity: 1 });
    expect(enc.x.axis!.values![0]).toBe(0);
    expect(enc.x.axis!.values!.at(-1)).toBe(30); // the last step
    expect(svgWidth((await renderFigure(dyn.spec)).svg)).toBeGreaterThan(700);

    const ph = phaseDiagram(agg, plan.base, 'uNorm', 'alpha', { study: syntheticStudy, xLog: true, title: 'p', predictor: fakePredictor });
    const ps = ph.spec as unknown as { width: number; layer: { encoding: Record<string, { axis?: { values?: number[] }; scale?: { domain?: number[] } }> }[] };
    const x = ps.layer[0].encoding.x;
    expect(ps.width).toBe(800);
    expect(x.axis!.values![0]).toBe(x.scale!.domain![0]); // ticks at both ends of the axis
    expect(x.axis!.values!.at(-1)).toBe(x.scale!.domain![1]);
    expect(x.axis!.values!.slice(1, -1)).toEqual([0.5, 2]);
  });

  it('the report page shows figures at full width', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-report-width-'));
    const store = SweepStore.open(dir);
    store.attach(plan, spec, 'dense', 'test');
    await runSweeps([{ plan, store }], new InlineQueue(), { engine: 'dense', version: 'test' });
    store.close();
    const r = await runCli(['report', dir]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('figure img{width:100%;height:auto}');
    expect(html).toContain('<h3>Where theory and measurement disagree</h3>');
  });
});

describe('where theory and measurement disagree', () => {
  const table = (rows: [string, number | null, number | null][]): Table => ({
    columns: ['predicted.regime', 'gain.lo', 'gain.hi'],
    rows: rows.map((r) => [...r]),
  });
  it('lists the points whose gain interval excludes 0 on the side the theory did not predict', () => {
    const t = table([
      ['positive', -0.05, -0.01], // contradicts
      ['positive', -0.05, 0.01], // includes 0: cannot tell
      ['negative', 0.01, 0.04], // contradicts
      ['negative', -0.04, -0.01], // agrees
      ['neutral', 0.01, 0.02], // no prediction to contradict
      ['positive', null, null], // one seed: no interval
      ['positive', 0.02, 0.03], // agrees
    ]);
    expect(disagreements(t)).toEqual([0, 2]);
  });
});
