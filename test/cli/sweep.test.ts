import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { binPath, repoRoot, runCli } from '../helpers/cli.js';

const spec = `name: resume-check
base: positive-transfer
set: { d: 200, n1: 20, n2: 10, nTest: 100, m: 4, steps: 500, checkpoints: 4 }
grid:
  alpha: [0, 0.5, 1]
  uNorm: { log: [0.5, 2], num: 4 }
seeds: 3
`;
const total = 3 * 4 * 3;

let work: string;
let specFile: string;

function countRows(dir: string): { rows: number; distinct: number } {
  const file = join(dir, 'results.sqlite');
  if (!existsSync(file)) return { rows: 0, distinct: 0 };
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const r = db.prepare('SELECT COUNT(*) AS rows, COUNT(DISTINCT job_id) AS n FROM runs').get() as {
      rows: number;
      n: number;
    };
    return { rows: r.rows, distinct: r.n };
  } catch (e) {
    if (/no such table/.test((e as Error).message)) return { rows: 0, distinct: 0 }; // not initialised yet
    throw e;
  } finally {
    db.close();
  }
}

async function exportAll(dir: string): Promise<{ csv: string; agg: string }> {
  const csv = await runCli(['results', '--columns', 'all', dir, '--format', 'csv']);
  const agg = await runCli(['results', '--columns', 'all', dir, '--format', 'json', '--aggregate']);
  expect(csv.code, csv.stderr).toBe(0);
  expect(agg.code, agg.stderr).toBe(0);
  return { csv: csv.stdout, agg: agg.stdout };
}

let reference: { csv: string; agg: string };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pt-sweep-cli-'));
  specFile = join(work, 'spec.yaml');
  writeFileSync(specFile, spec);
  const r = await runCli(['sweep', specFile, '--out', join(work, 'ref'), '--workers', '2']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe(`sweep resume-check: ${total} runs in ${join(work, 'ref', 'results.sqlite')} (0 already done, ${total} run now)\n`);
  // No bar on a pipe: one progress line per tenth of the runs, with done/total and an ETA only once there is data.
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.length).toBeGreaterThanOrEqual(1);
  expect(lines.length).toBeLessThanOrEqual(11);
  for (const line of lines) {
    expect(line).toMatch(new RegExp(`^paratransfer: sweep: \\d+/${total} runs \\(\\d+%\\), 0 failed, \\d+ workers, elapsed \\d+ s, ETA (—|\\d+ s)$`));
  }
  expect(lines[lines.length - 1]).toMatch(new RegExp(`^paratransfer: sweep: ${total}/${total} runs \\(100%\\).*ETA 0 s$`));
  reference = await exportAll(join(work, 'ref'));
});

describe('paratransfer sweep', () => {
  it('gives byte-identical exports whatever --workers is', async () => {
    const dir = join(work, 'one');
    const r = await runCli(['sweep', specFile, '--out', dir, '--workers', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(await exportAll(dir)).toEqual(reference);
    expect(reference.csv.trimEnd().split('\n')).toHaveLength(total + 1);
    expect(JSON.parse(reference.agg)).toHaveLength(12);
  });

  it('resumes after a real kill -9 without losing or duplicating a run', async () => {
    const dir = join(work, 'killed');
    const child = spawn(process.execPath, [binPath, 'sweep', specFile, '--out', dir, '--workers', '1'], {
      cwd: repoRoot,
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let seen = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      seen = countRows(dir).rows;
      if (seen >= 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const after = countRows(dir);
    expect(after.rows).toBeGreaterThanOrEqual(3);
    expect(after.rows).toBeLessThan(total); // really killed mid-sweep
    expect(after.distinct).toBe(after.rows);

    const r = await runCli(['sweep', specFile, '--out', dir, '--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`(${after.rows} already done, ${total - after.rows} run now)`);
    expect(countRows(dir)).toEqual({ rows: total, distinct: total });
    expect(await exportAll(dir)).toEqual(reference);

    // A third run finds nothing to do.
    const again = await runCli(['sweep', specFile, '--out', dir]);
    expect(again.stdout).toContain(`(${total} already done, 0 run now)`);
    expect(countRows(dir)).toEqual({ rows: total, distinct: total });
  });

  it('refuses to resume into a directory of a different sweep, and accepts an extension', async () => {
    const dir = join(work, 'ref');
    const other = join(work, 'other.yaml');
    writeFileSync(other, spec.replace('steps: 500', 'steps: 400'));
    const r = await runCli(['sweep', other, '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/results\.sqlite holds a different sweep \(steps 500 → 400\): its run alpha=0, uNorm=0\.5, seed 0 is not in the new spec/);

    const extended = join(work, 'extended.yaml');
    const small = spec.replace('d: 200', 'd: 100').replace('steps: 500', 'steps: 20').replace('seeds: 3', 'seeds: 4');
    writeFileSync(extended, small);
    const ext = await runCli(['sweep', extended, '--out', join(work, 'ext'), '--workers', '1']);
    expect(ext.code, ext.stderr).toBe(0);
    const extendMore = join(work, 'extended2.yaml');
    writeFileSync(extendMore, small.replace('alpha: [0, 0.5, 1]', 'alpha: [0, 0.25, 0.5, 1]'));
    const more = await runCli(['sweep', extendMore, '--out', join(work, 'ext'), '--workers', '1']);
    expect(more.code, more.stderr).toBe(0);
    expect(more.stderr).toContain('extending the stored sweep from 48 to 64 runs');
    expect(more.stdout).toContain('(48 already done, 16 run now)');
    // The extended store exports exactly like a fresh run of the extended spec.
    const fresh = await runCli(['sweep', extendMore, '--out', join(work, 'ext-fresh'), '--workers', '2']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(await exportAll(join(work, 'ext'))).toEqual(await exportAll(join(work, 'ext-fresh')));
  });

  it('rejects a bad spec before running anything', async () => {
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, 'grid: { alpha: [0, 2] }\n');
    const r = await runCli(['sweep', bad, '--out', join(work, 'bad-out')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `paratransfer: error: ${bad}: grid point 1 (alpha=2): field "alpha": must be a number in [0, 1] (got 2)\n`,
    );
    expect(existsSync(join(work, 'bad-out'))).toBe(false);
    const w = await runCli(['sweep', specFile, '--out', join(work, 'w'), '--workers', 'two']);
    expect(w.stderr).toMatch(/--workers: must be an integer/);
    expect(w.code).toBe(1);
  });
});

describe('paratransfer results', () => {
  it('writes the export to a file and reports bad input in one line', async () => {
    const out = join(work, 'runs.csv');
    const r = await runCli(['results', '--columns', 'all', join(work, 'ref'), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(reference.csv);
    const header = reference.csv.split('\n')[0].split(',');
    expect(header.slice(0, 5)).toEqual(['point', 'seed', 'job', 'engine', 'd']);
    expect(header).toContain('transfer.features.inherited.signalLearning.u.pos');
    const fmt = await runCli(['results', '--columns', 'all', join(work, 'ref'), '--format', 'xml']);
    expect(fmt.code).toBe(1);
    expect(fmt.stderr).toBe('paratransfer: error: --format: must be csv or json, got "xml"\n');
    const none = await runCli(['results', '--columns', 'all', join(work, 'nowhere')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no results\.sqlite here/);
  });

  it('prints the brief columns by default, every column with --columns all', async () => {
    const brief = await runCli(['results', join(work, 'ref')]);
    expect(brief.code, brief.stderr).toBe(0);
    const header = brief.stdout.split('\n')[0].split(',');
    expect(header.slice(0, 2)).toEqual(['point', 'seed']);
    expect(header).toContain('transfer.testError');
    expect(header).toContain('gain');
    expect(header.at(-1)).toBe('predicted.regime');
    expect(header.length).toBeLessThan(15);
    const agg = await runCli(['results', join(work, 'ref'), '--aggregate']);
    const aggHeader = agg.stdout.split('\n')[0].split(',');
    expect(aggHeader).toContain('gain.lo');
    expect(aggHeader).toContain('verdict');
    const bad = await runCli(['results', join(work, 'ref'), '--columns', 'some']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('paratransfer: error: --columns: must be brief or all, got "some"\n');
  });
});
