import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfigOf } from '../../src/config/load.js';
import { realConfigs, realDefaults, realShape, type RealConfig } from '../../src/real/config.js';
import { runReal } from '../../src/real/run.js';
import { sweepReport } from '../../src/report/sweep.js';
import { aggregateTable, column, runRecords, runTable, type RunRecord } from '../../src/sweep/export.js';
import type { RealResult } from '../../src/real/types.js';
import { realStudy } from '../../src/real/study.js';
import { canonicalConfig, expandJobs, jobId, type SweepPlan } from '../../src/sweep/grid.js';
import { jobPayload, parseJobPayload } from '../../src/sweep/job.js';
import { InlineQueue } from '../../src/sweep/queue.js';
import { runSweeps } from '../../src/sweep/run.js';
import { loadSweepSpec, parseSweepSpec } from '../../src/sweep/spec.js';
import { SweepStore } from '../../src/sweep/store.js';
import { tInterval } from '../../src/sweep/stats.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { userErrorOf } from '../helpers/errors.js';

/** A tiny real study (two digits each side, the reference CNN, a few steps): a fraction of a second per run. */
const tinySet =
  'set: { upstreamClasses: [0, 1], downstreamClasses: [2, 3], n1: 20, n2: 5, nTest: 20, arch: reference, ' +
  'epochs1: 2, epochs2: 3, batchSize: 16, checkpoints: 2 }\n';
const tinySpec = `name: real-tiny\nbase: mnist-split\n${tinySet}grid:\n  alpha: [0, 1]\nseeds: 1\n`;

const realPlan = (text: string) => {
  const plan = parseSweepSpec(text, 'spec.yaml');
  expect(plan.family).toBe('real');
  return plan as SweepPlan<RealConfig>;
};

/** The one-line UserError message of parsing `text`. */
const specError = (text: string): string => userErrorOf(() => parseSweepSpec(text, 'spec.yaml'));

describe('real-data sweep specs', () => {
  it('targets the real-data study when the base is a real preset, validating set and axes with its schema', () => {
    const plan = realPlan(`base: mnist-split\nset: { n1: 300, downstreamClasses: [5, 6, 7] }\ngrid:\n  alpha: { linear: [0, 1], num: 3 }\nseeds: 2\n`);
    expect(plan.base).toEqual({ ...presetConfigOf(realConfigs, 'mnist-split'), n1: 300, downstreamClasses: [5, 6, 7], seed: 0 });
    expect(plan.axes).toEqual([{ keys: ['alpha'], values: [[0], [0.5], [1]] }]);
    const { jobs } = expandJobs(plan);
    expect(jobs.map((j) => [j.config.alpha, j.seed])).toEqual([[0, 0], [0, 1], [0.5, 0], [0.5, 1], [1, 0], [1, 1]]);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(6);
  });

  it('rounds ranges over the real integer keys and accepts lists of class lists', () => {
    const plan = realPlan(
      'base: fashion-to-mnist\ngrid:\n  n1: { log: [10, 600], num: 4 }\n  downstreamClasses: [[0, 1], [2, 3, 4]]\n',
    );
    expect(plan.axes[0].values.flat()).toEqual([10, 39, 153, 600]);
    const { points } = expandJobs(plan);
    expect(points).toHaveLength(8);
    expect(points[1].values).toEqual({ n1: 10, downstreamClasses: [2, 3, 4] });
    expect(points[1].config.upstreamData).toBe('fashion-mnist');
  });

  it('knows exactly which real keys hold integers', () => {
    for (const [key, schema] of Object.entries(realShape)) {
      const v = realDefaults[key as keyof RealConfig];
      if (typeof v !== 'number') continue;
      // a default at the top of its range (α = 1) is nudged down instead
      const off = [v + 0.001, v - 0.001].some((x) => schema.safeParse(x).success);
      expect(off, key).toBe(!realStudy.integerKeys.includes(key));
    }
  });

  it('infers the family from a config file or mapping of real keys, or takes family: real', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-real-spec-'));
    writeFileSync(join(dir, 'base.yaml'), 'arch: twolayer\nn2: 7\n');
    writeFileSync(join(dir, 'sweep.yaml'), 'base: base.yaml\ngrid: { alpha: [0, 1] }\n');
    const { plan } = loadSweepSpec(join(dir, 'sweep.yaml'));
    expect(plan).toMatchObject({ name: 'sweep', family: 'real', base: { ...realDefaults, arch: 'twolayer', n2: 7 } });
    expect(realPlan('base: { epochs2: 3 }\n').base.epochs2).toBe(3);
    expect(realPlan('family: real\nset: { alpha: 0.25 }\n').base).toEqual({ ...realDefaults, alpha: 0.25 });
    expect(realPlan('family: real\nbase: { alpha: 0.3 }\n').base).toEqual({ ...realDefaults, alpha: 0.3 });
    // Keys both families know (alpha, n1, …) alone mean the synthetic experiment, as before.
    expect(parseSweepSpec('base: { alpha: 0.25 }\n').family).toBeUndefined();
  });

  it.each([
    [`base: mnist-split\ngrid: { alpah: [0, 1] }\n`, /^spec\.yaml: field "grid\.alpah": unknown real-data config key "alpah" \(allowed: upstreamData, upstreamClasses, .*, checkpoints\)$/],
    [`base: mnist-split\ngrid: { uNorm: [1, 2] }\n`, /field "grid\.uNorm": unknown real-data config key "uNorm"/],
    [`base: mnist-split\ngrid: { alpha: [0, 2] }\n`, /^spec\.yaml: grid point 1 \(alpha=2\): field "alpha": must be a number in \[0, 1\] \(got 2\)$/],
    [
      `base: mnist-split\ngrid: { labelNoise: [0, 0.9] }\n`,
      /^spec\.yaml: grid point 1 \(labelNoise=0\.9\): field "labelNoise": must be < 0\.800 \(1 − 1\/classes\) for the 5 classes of upstreamClasses \(got 0\.9\)$/,
    ],
    [`base: mnist-split\ngrid: { n2: [5, 7.5] }\n`, /grid point 1 \(n2=7\.5\): field "n2": must be an integer in \[1, 1000000\] \(got 7\.5\)/],
    [`base: mnist-split\ngrid: { arch: [vgg, mlp] }\n`, /grid point 1 \(arch=mlp\): field "arch": must be one of reference, vgg, resnet, twolayer/],
    [`base: mnist-split\ngrid: { downstreamClasses: [[5, 6], [7, 7]] }\n`, /grid point 1 \(downstreamClasses=\[7,7\]\): field "downstreamClasses": lists a class twice/],
    [`base: mnist-split\ngrid: { arch: { linear: [0, 1], num: 2 } }\n`, /field "grid\.arch": a linear or log range needs a numeric key/],
    [`base: mnist-split\ngrid: { n1: { log: [0.1, 10], num: 3 } }\n`, /field "grid\.n1": log range of an integer key must start at ≥ 1/],
    [`base: mnist-split\nset: { n2: 0 }\n`, /^spec\.yaml: base with set: field "n2": must be an integer in \[1, 1000000\] \(got 0\)$/],
    [`base: mnist-split\nset: { seed: 3 }\n`, /field "set\.seed": the seed is set by "seeds:"/],
    [`family: synthetic\nbase: mnist-split\n`, /^spec\.yaml: field "base": "mnist-split" is a real-data preset, but family is synthetic$/],
    [`family: real\nbase: positive-transfer\n`, /field "base": "positive-transfer" is a synthetic preset, but family is real/],
    [`family: real\nbase: { uNorm: 2 }\n`, /^spec\.yaml: field "base": the mapping holds synthetic keys, but family is real$/],
    [`family: quantum\n`, /^spec\.yaml: field "family": must be synthetic or real$/],
  ])('rejects %j with a one-line error naming the field', (text, pattern) => {
    expect(specError(text)).toMatch(pattern);
  });

  it('ships example specs over α, N₁, N₂ and label noise that resolve to real-data sweeps', () => {
    const dir = join(repoRoot, 'examples');
    const runs: Record<string, number> = {};
    for (const f of readdirSync(dir).filter((f) => /^real-.*\.yaml$/.test(f))) {
      const { plan } = loadSweepSpec(join(dir, f));
      expect(plan.family, f).toBe('real');
      runs[plan.name] = expandJobs(plan).jobs.length;
    }
    expect(runs).toEqual({ 'real-alpha': 15, 'real-n1': 12, 'real-n2': 12, 'real-label-noise': 12, 'real-advise-benchmark': 150, 'real-advise-holdout': 360, 'real-advise-layers': 180 });
  });
});

describe('real-data job payloads', () => {
  const plan = realPlan(tinySpec);
  const job = expandJobs(plan).jobs[1];

  it('round-trip through JSON with kind "real", the cnn engine and the real schema', () => {
    const payload = jobPayload(job, 'cnn');
    expect(payload).toEqual({ kind: 'real', id: job.id, engine: 'cnn', config: job.config });
    expect(parseJobPayload(JSON.parse(JSON.stringify(payload)))).toEqual(payload);
  });

  it('keeps synthetic payloads as they were (no kind), and ids apart between families', () => {
    const synth = expandJobs((parseSweepSpec('set: { d: 100, steps: 5 }\n'))).jobs[0];
    expect(Object.keys(jobPayload(synth, 'dense'))).toEqual(['id', 'engine', 'config']);
    expect(parseJobPayload({ kind: 'synthetic', id: synth.id, engine: 'dense', config: synth.config }).config).toEqual(synth.config);
    // ids: SHA-256 of the canonical config; the real family hashes a "real:" prefix first
    const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
    expect(synth.id).toBe(sha(canonicalConfig(synth.config)));
    expect(canonicalConfig(synth.config).startsWith('{"d":100,')).toBe(true);
    expect(job.id).toBe(sha(`real:${canonicalConfig(job.config)}`));
    expect(canonicalConfig(job.config).startsWith('{"upstreamData":"mnist","upstreamClasses":[0,1],')).toBe(true);
    expect(jobId(job.config)).not.toBe(sha(canonicalConfig(job.config)));
  });

  it.each([
    [{ kind: 'real', id: '0123456789abcdef', engine: 'cnn' }, /id does not match its config \(expected [0-9a-f]{16}\)/],
    [{ kind: 'real', config: { alpha: 0.5 } }, /id does not match its config/],
    [{ kind: undefined }, /^job [0-9a-f]{16}: field "kind": its config holds real-data keys; kind must be "real"$/],
    [{ engine: 'dense' }, /^job [0-9a-f]{16}: field "engine": real-data jobs run on the "cnn" engine \(got "dense"\)$/],
    [{ config: { n2: 0 } }, /^job [0-9a-f]{16}: real-data config: field "n2": must be an integer in \[1, 1000000\] \(got 0\)$/],
    [{ kind: 'quantum' }, /^job payload: field "kind": must be synthetic or real$/],
  ])('refuses a stale or malformed payload %#', (change, pattern) => {
    const good = jobPayload(job, 'cnn');
    const { config, ...rest } = change as { config?: Record<string, unknown> };
    const payload = { ...good, ...rest, config: { ...good.config, ...config } };
    expect(() => parseJobPayload(payload)).toThrow(pattern);
  });

  it('refuses a synthetic config presented as a real-data job', () => {
    const synth = expandJobs((parseSweepSpec('set: { d: 100, steps: 5 }\n'))).jobs[0];
    expect(() => parseJobPayload({ kind: 'real', id: synth.id, engine: 'cnn', config: synth.config })).toThrow(
      /^job [0-9a-f]{16}: field "kind": its config holds synthetic keys; kind must be "synthetic" or absent$/,
    );
  });
});

describe('export of a real-data sweep (in this thread)', () => {
  // One point, two seeds: enough to check the interval by hand.
  const spec = `base: mnist-split\n${tinySet}grid:\n  alpha: [1]\nseeds: 2\n`;
  const plan = realPlan(spec);

  it('stores runReal results and aggregates accuracies and the gain with 95% intervals', async () => {
    const store = SweepStore.open(mkdtempSync(join(tmpdir(), 'pt-real-export-')));
    store.attach(plan, spec, 'cnn', 'test');
    const summary = await runSweeps([{ plan, store }], new InlineQueue(), { engine: 'cnn', version: 'test' });
    expect(summary).toMatchObject({ runs: 2, executed: 2, failures: [] });
    const records = runRecords(plan, store.runs()) as RunRecord<RealConfig, RealResult>[];
    store.close();
    expect(JSON.stringify(records[1].result)).toBe(JSON.stringify(runReal(expandJobs(plan).jobs[1].config, { threads: 1 }).result));

    const runs = runTable(realStudy, records);
    for (const c of ['upstreamClasses', 'alpha', 'upstream.testAccuracy', 'transfer.testAccuracy', 'scratch.testAccuracy', 'gain']) {
      expect(runs.columns, c).toContain(c);
    }
    expect(runs.columns.slice(0, 6)).toEqual(['point', 'seed', 'job', 'engine', 'upstreamData', 'upstreamClasses']);
    expect(runs.columns.some((c) => c.startsWith('predicted.') || c.includes('curve'))).toBe(false);
    expect(column(runs, 'upstreamClasses')).toEqual(['[0,1]', '[0,1]']);
    expect(column(runs, 'engine')).toEqual(['cnn', 'cnn']);

    const agg = aggregateTable(realStudy, records);
    expect(agg.rows).toHaveLength(1);
    const acc = records.map((r) => r.result.transfer.testAccuracy);
    const gains = records.map((r) => r.result.transfer.testAccuracy - r.result.scratch.testAccuracy);
    expect(column(agg, 'transfer.testAccuracy.mean')[0]).toBeCloseTo((acc[0] + acc[1]) / 2, 14);
    // two seeds: mean ± t(0.975, 1)·|a − b|/2
    const hw = (12.706204736174694 * Math.abs(gains[0] - gains[1])) / 2;
    expect(column(agg, 'gain.lo')[0]).toBeCloseTo((gains[0] + gains[1]) / 2 - hw, 10);
    expect(column(agg, 'gain.hi')[0]).toBeCloseTo((gains[0] + gains[1]) / 2 + hw, 10);
    expect(column(agg, 'gain.mean')[0]).toBe(tInterval(records.map((r) => r.result.gain)).mean);
    expect(column(agg, 'negativeFraction')[0]).toBe(gains.filter((g) => g < 0).length / 2);
    expect(agg.columns).not.toContain('observed.scratchBayesOptimal');
    expect(agg.columns).toContain('observed.regime');
    // an empty table of a real sweep still has the real columns
    expect(runTable(realStudy, []).columns).toContain('upstreamClasses');
  });
});

describe('paratransfer sweep, results and report on real data', () => {
  let work: string;
  let specFile: string;
  let dir: string;
  let csv: string;
  let agg: string;

  const rowCount = () => {
    const db = new Database(join(dir, 'results.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT job_id) AS d FROM runs').get() as { n: number; d: number };
    } finally {
      db.close();
    }
  };
  const exportAll = async () => {
    const a = await runCli(['results', '--columns', 'all', dir, '--format', 'csv']);
    const b = await runCli(['results', '--columns', 'all', dir, '--format', 'json', '--aggregate']);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    return { csv: a.stdout, agg: b.stdout };
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pt-real-sweep-'));
    specFile = join(work, 'real-tiny.yaml');
    writeFileSync(specFile, tinySpec);
    dir = join(work, 'out');
    const r = await runCli(['sweep', specFile, '--out', dir, '--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`sweep real-tiny: 2 runs in ${join(dir, 'results.sqlite')} (0 already done, 2 run now)\n`);
    ({ csv, agg } = await exportAll());
  });

  it('runs the grid on the local pool and exports accuracies and the gain per run', () => {
    const lines = csv.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const header = lines[0].split(',');
    const cell = (row: number, name: string) => lines[row].replace(/"\[[^\]]*\]"/g, 'list').split(',')[header.indexOf(name)];
    expect(header.slice(0, 4)).toEqual(['point', 'seed', 'job', 'engine']);
    expect(cell(1, 'engine')).toBe('cnn');
    expect(cell(1, 'alpha')).toBe('0');
    expect(cell(2, 'alpha')).toBe('1');
    expect(lines[1]).toContain('"[0,1]"');
    // α = 0 inherits nothing: transfer is scratch, bit for bit (same initialisation and minibatch order)
    expect(cell(1, 'transfer.testAccuracy')).toBe(cell(1, 'scratch.testAccuracy'));
    expect(cell(1, 'gain')).toBe('0');
    for (const row of [1, 2]) {
      const [t, s, g] = ['transfer.testAccuracy', 'scratch.testAccuracy', 'gain'].map((c) => Number(cell(row, c)));
      expect(g).toBe(t - s);
      expect(Number(cell(row, 'upstream.testAccuracy'))).toBeGreaterThan(0.5);
    }
    // The pooled run equals a direct run of the same config with any thread count.
    const direct = runReal(expandJobs(realPlan(tinySpec)).jobs[1].config, { threads: 2 }).result;
    expect(Number(cell(2, 'transfer.testAccuracy'))).toBe(direct.transfer.testAccuracy);
    const rows = JSON.parse(agg) as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ alpha: 1, seeds: 1, 'transfer.testAccuracy.mean': direct.transfer.testAccuracy, 'gain.lo': null, 'gain.hi': null });
    expect(Object.keys(rows[0])).toEqual(expect.arrayContaining(['scratch.testAccuracy.mean', 'scratch.testAccuracy.lo', 'gain.mean', 'negativeFraction']));
  });

  it('resumes idempotently: a rerun adds nothing, a lost run is redone once, exports are unchanged', async () => {
    const again = await runCli(['sweep', specFile, '--out', dir, '--workers', '2']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('(2 already done, 0 run now)');
    expect(rowCount()).toEqual({ n: 2, d: 2 });
    // As if the sweep had been killed before its second run was stored.
    const db = new Database(join(dir, 'results.sqlite'));
    db.prepare('DELETE FROM runs WHERE job_id = (SELECT MAX(job_id) FROM runs)').run();
    db.close();
    const resumed = await runCli(['sweep', specFile, '--out', dir, '--workers', '1']);
    expect(resumed.stdout).toContain('(1 already done, 1 run now)');
    expect(rowCount()).toEqual({ n: 2, d: 2 });
    expect((await runCli(['results', '--columns', 'all', dir])).stdout).toBe(csv);
  });

  it('refuses another engine for a real-data sweep, and a synthetic sweep into its directory, in one line', async () => {
    const r = await runCli(['sweep', specFile, '--out', join(work, 'other'), '--engine', 'dense']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('paratransfer: error: --engine: real-data sweeps run on the "cnn" engine (got "dense"); omit --engine\n');
    expect(existsSync(join(work, 'other'))).toBe(false);
    // A synthetic sweep into the real-data sweep's directory is refused, naming both.
    const store = SweepStore.open(dir);
    try {
      const synth = (parseSweepSpec('grid: { alpha: [0, 1] }\n'));
      expect(() => store.attach(synth, 'grid: { alpha: [0, 1] }\n', 'dense', 'test')).toThrow(
        /results\.sqlite holds a real-data sweep, not a synthetic sweep; use another --out$/,
      );
    } finally {
      store.close();
    }
  });

  it('writes a report with the accuracy and gain figures', async () => {
    const r = await runCli(['report', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`report: 2 runs, 2 figures, ${join(dir, 'report.html')}\n`);
    for (const f of ['real-tiny-accuracy-alpha', 'real-tiny-gain-alpha']) {
      for (const ext of ['vl.json', 'svg', 'png', 'csv']) expect(existsSync(join(dir, 'figures', `${f}.${ext}`)), `${f}.${ext}`).toBe(true);
    }
    const accuracy = readFileSync(join(dir, 'figures', 'real-tiny-accuracy-alpha.csv'), 'utf8').trimEnd().split('\n');
    expect(accuracy[0]).toBe('alpha,run,mean,lo,hi,seeds');
    expect(accuracy).toHaveLength(5);
    const rows = JSON.parse(agg) as Record<string, number>[];
    // one seed: the band is the Wilson interval of the test set (binomial sampling error), inside [0, 1]
    expect(accuracy[3]).toBe(
      `1,transfer,${rows[1]['transfer.testAccuracy.mean']},${rows[1]['transfer.testAccuracy.lo']},${rows[1]['transfer.testAccuracy.hi']},1`,
    );
    expect(rows[1]['transfer.testAccuracy.lo']).toBeGreaterThan(0);
    expect(rows[1]['transfer.testAccuracy.hi']).toBeLessThanOrEqual(1);
    expect(readFileSync(join(dir, 'figures', 'real-tiny-gain-alpha.csv'), 'utf8').split('\n')[2]).toBe(
      `1,gain,${rows[1]['gain.mean']},,,1,${rows[1].negativeFraction}`,
    );
    expect(readFileSync(join(dir, 'figures', 'real-tiny-accuracy-alpha.svg'), 'utf8')).toContain('inheritance ratio α');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.match(/<img [^>]*src="data:image\/svg\+xml;base64,/g)).toHaveLength(2);
    expect(html).toContain('alt="Test accuracy vs inheritance ratio α"');
    expect(html).toContain('alt="Transfer gain vs inheritance ratio α"');
    expect(html).toContain('<th>transfer accuracy</th><th>scratch accuracy</th><th>gain Δ</th>');
    expect(html).toContain('real-data study');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script|<link|@import|url\(/);
    expect(readFileSync(join(dir, 'runs.csv'), 'utf8')).toBe(csv);
  });
});

describe('paratransfer report on a synthetic sweep', () => {
  it('draws error and gain per axis, one panel per other axis value, and the phase diagram of two axes', async () => {
    const spec = 'name: syn\nset: { d: 60, n1: 20, n2: 10, nTest: 60, m: 4, steps: 20, checkpoints: 2 }\ngrid: { alpha: [0, 1], uNorm: [0.5, 2] }\n';
    const plan = (parseSweepSpec(spec));
    const dir = mkdtempSync(join(tmpdir(), 'pt-syn-report-'));
    const store = SweepStore.open(dir);
    store.attach(plan, spec, 'dense', 'test');
    await runSweeps([{ plan, store }], new InlineQueue(), { engine: 'dense', version: 'test' });
    store.close();
    const r = await sweepReport({ dir, version: 'test' });
    expect(r.figures.map((f) => f.name)).toEqual(['syn-error-alpha', 'syn-gain-alpha', 'syn-error-uNorm', 'syn-gain-uNorm', 'syn-phase-alpha-uNorm']);
    const panels = readFileSync(join(dir, 'figures', 'syn-gain-alpha.csv'), 'utf8').trimEnd().split('\n');
    expect(panels[0]).toBe('alpha,panel,run,mean,lo,hi,seeds,negativeFraction');
    expect(panels.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['0,uNorm=0.5', '0,uNorm=2', '1,uNorm=0.5', '1,uNorm=2']);
    expect(readFileSync(r.report, 'utf8')).toContain('<th>transfer error</th><th>scratch error</th>');
  });
});
