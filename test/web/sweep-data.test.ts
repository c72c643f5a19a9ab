/** The explorer's sweep-export loader: layouts it accepts, the numbers it derives, the errors it gives. */
import { describe, expect, it } from 'vitest';
import { defaultConfig, presetConfig, presets } from '../../src/config/presets.js';
import type { ExperimentConfig } from '../../src/config/schema.js';
import { fractionInterval, studentTQuantile } from '../../src/sweep/stats.js';
import { syntheticStudy } from '../../src/experiment/study.js';
import { ExportError, loadSweep, parseCsv, pointKeysOf, type Row } from '../../web/src/sweep-data.js';

const pointKeys = pointKeysOf(syntheticStudy);

const base = presetConfig(presets[0]);

/** Per-run rows as `paratransfer results --format json` writes them: config columns, then dotted measures. */
function runRows(): Row[] {
  const rows: Row[] = [];
  const errors: Record<string, [number, number][]> = {
    // (transfer, scratch) for seeds 0 and 1
    '0.5|0': [[0.2, 0.2], [0.3, 0.3]],
    '0.5|1': [[0.4, 0.2], [0.5, 0.3]],
    '2|0': [[0.1, 0.1], [0.12, 0.12]],
    '2|1': [[0.02, 0.1], [0.04, 0.12]],
  };
  for (const [key, seeds] of Object.entries(errors)) {
    const [uNorm, alpha] = key.split('|').map(Number);
    seeds.forEach(([transfer, scratch], seed) => {
      const config = { ...base, uNorm, alpha, seed };
      const row: Row = { point: 0, seed, job: `j${key}${seed}`, engine: 'coef' };
      for (const k of pointKeys) row[k] = config[k as keyof typeof config];
      Object.assign(row, {
        'upstream.testError': 0.01,
        'transfer.testError': transfer,
        'scratch.testError': scratch,
        gain: scratch - transfer,
      });
      rows.push(row);
    });
  }
  return rows;
}

const toCsv = (rows: Row[]) => {
  const cols = Object.keys(rows[0]);
  return [cols.join(','), ...rows.map((r) => cols.map((c) => (r[c] === null ? '' : String(r[c]))).join(','))].join('\n') + '\n';
};

describe('loadSweep on per-run exports', () => {
  const sweep = loadSweep(JSON.stringify(runRows()));

  it('groups runs into grid points and finds the varied factors', () => {
    expect(sweep.kind).toBe('runs');
    expect(sweep.rows).toBe(8);
    expect(sweep.points).toHaveLength(4);
    expect(sweep.varied).toEqual(['uNorm', 'alpha']);
    expect(sweep.values.uNorm).toEqual([0.5, 2]);
    expect(sweep.values.alpha).toEqual([0, 1]);
    expect(sweep.engines).toEqual(['coef']);
    expect(sweep.assumed).toEqual([]);
  });

  it('computes means and 95% intervals over seeds: errors inside [0, 1], the gain Student t', () => {
    const p = sweep.points.find((q) => q.config.uNorm === 0.5 && q.config.alpha === 1)!;
    expect(p.seeds).toBe(2);
    expect(p.transfer.mean).toBeCloseTo(0.45, 15);
    // an error's interval: the Wilson interval on the seeds' effective sample size (sweep/stats.ts), in [0, 1]
    const transfers = runRows().filter((r) => r.uNorm === 0.5 && r.alpha === 1).map((r) => r['transfer.testError'] as number);
    expect({ ...p.transfer }).toEqual(fractionInterval(transfers));
    expect(p.transfer.lo!).toBeGreaterThanOrEqual(0);
    expect(p.transfer.hi!).toBeLessThanOrEqual(1);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062047361747, 9);
    const gains = runRows().filter((r) => r.uNorm === 0.5 && r.alpha === 1).map((r) => r.gain as number);
    const half = studentTQuantile(0.975, 1) * (Math.abs(gains[0] - gains[1]) / 2); // se = |g₁ − g₂|/2 for two seeds
    expect(p.gain.hi! - p.gain.mean!).toBeCloseTo(half, 12);
    expect(p.gain.mean).toBeCloseTo(-0.2, 15);
    expect(p.negativeFraction).toBe(1);
    expect(p.observed).toBe('negative');
    const q = sweep.points.find((x) => x.config.uNorm === 0.5 && x.config.alpha === 0)!;
    expect(q.gain.mean).toBe(0);
    expect(q.observed).toBe('neutral');
    expect(q.negativeFraction).toBe(0);
  });

  it('attaches the theory’s prediction and scores its agreement', () => {
    for (const p of sweep.points) expect(p.prediction).toEqual(syntheticStudy.theory!.predict(p.config as ExperimentConfig));
    // At α = 0 both runs are the same network: Γ = 0 and Δ = 0, so only the two α = 1 points count.
    const counted = sweep.points.filter((p) => p.observed !== 'neutral' && p.prediction!.gamma !== 0);
    expect(counted.map((p) => p.config.alpha)).toEqual([1, 1]);
    const agree = counted.filter((p) => (p.prediction!.gamma > 0) === (p.observed === 'positive')).length;
    expect(sweep.agreement).toEqual({ n: 2, agree, rate: agree / 2 });
  });

  it('reads nested objects and CSV the same way', () => {
    const nested = runRows().map((r) => {
      const { 'transfer.testError': t, 'scratch.testError': s, 'upstream.testError': u, ...rest } = r;
      return { ...rest, transfer: { testError: t }, scratch: { testError: s }, upstream: { testError: u } };
    });
    const fromNested = loadSweep(JSON.stringify({ rows: nested }));
    const fromCsv = loadSweep(toCsv(runRows()));
    for (const other of [fromNested, fromCsv]) {
      expect(other.points.map((p) => [p.config.uNorm, p.config.alpha, p.transfer, p.scratch, p.gain])).toEqual(
        sweep.points.map((p) => [p.config.uNorm, p.config.alpha, p.transfer, p.scratch, p.gain]),
      );
    }
  });

  it('assumes the defaults for config columns an export leaves out', () => {
    const slim = runRows().map((r) => ({
      seed: r.seed,
      uNorm: r.uNorm,
      alpha: r.alpha,
      'transfer.testError': r['transfer.testError'],
      'scratch.testError': r['scratch.testError'],
    }));
    const s = loadSweep(JSON.stringify(slim));
    expect(s.points).toHaveLength(4);
    expect(s.assumed).toContain('d');
    expect(s.assumed).not.toContain('uNorm');
    expect(s.points[0].config.d).toBe(defaultConfig.d);
    expect(s.points[0].gain.mean).toBe(0); // the gain is derived when the column is missing
  });
});

describe('loadSweep on aggregated exports', () => {
  it('takes means and intervals as given', () => {
    const rows = [
      { uNorm: 1, alpha: 0.5, seeds: 3, 'transfer.testError.mean': 0.1, 'transfer.testError.lo': 0.05, 'transfer.testError.hi': 0.15, 'scratch.testError.mean': 0.2, 'gain.mean': 0.1, 'gain.lo': 0.02, 'gain.hi': 0.18, negativeFraction: 0 },
      { uNorm: 2, alpha: 0.5, seeds: 3, 'transfer.testError.mean': 0.3, 'scratch.testError.mean': 0.2, negativeFraction: 1 },
    ];
    const s = loadSweep(JSON.stringify(rows));
    expect(s.kind).toBe('aggregate');
    expect(s.varied).toEqual(['uNorm']);
    expect(s.points[0].transfer).toEqual({ n: 3, mean: 0.1, lo: 0.05, hi: 0.15 });
    expect(s.points[0].gain).toEqual({ n: 3, mean: 0.1, lo: 0.02, hi: 0.18 });
    expect(s.points[1].gain.mean).toBeCloseTo(-0.1, 15);
    expect(s.points[1].observed).toBe('negative');
    expect(s.points[1].scratch.lo).toBeNull();
  });
});

describe('loadSweep errors name the row and field', () => {
  const fails = (text: string) => {
    try {
      loadSweep(text);
    } catch (e) {
      expect(e).toBeInstanceOf(ExportError);
      return (e as Error).message;
    }
    throw new Error('expected an ExportError');
  };

  it('rejects bad values', () => {
    const rows = runRows();
    rows[1]['transfer.testError'] = 1.5;
    expect(fails(JSON.stringify(rows))).toBe('row 2: field "transfer.testError": must be a number in [0, 1]');
    const rows2 = runRows();
    rows2[0].alpha = 2;
    expect(fails(JSON.stringify(rows2))).toBe('row 1: field "alpha": must be a number in [0, 1] (got 2)');
    const rows3 = runRows();
    rows3[3].seed = -1;
    expect(fails(JSON.stringify(rows3))).toBe('row 4: field "seed": must be an integer ≥ 0');
  });

  it('rejects what is not an export', () => {
    expect(fails('')).toBe('the file is empty');
    expect(fails('[]')).toBe('the export holds no rows');
    expect(fails('{"a": 1}')).toBe('expected a JSON array of rows (or an object with a "rows" array)');
    expect(fails('[1, 2]')).toBe('row 1: expected an object');
    expect(fails('[{"x": 1}]')).toMatch(/^not a paratransfer sweep export: rows need "transfer.testError"/);
    expect(fails('[{"x": 1')).toMatch(/^not valid JSON: /);
    expect(fails('a,b\n1,2,3\n')).toBe('CSV line 2: 3 fields, the header has 2');
  });
});

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, CRLF and typed cells', () => {
    expect(parseCsv('a,b,c,d\r\n"x, y","say ""hi""",,true\r\n1e-3,NaN,-2,false')).toEqual([
      { a: 'x, y', b: 'say "hi"', c: null, d: true },
      { a: 0.001, b: NaN, c: -2, d: false },
    ]);
  });
});
