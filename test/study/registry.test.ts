import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfigOf } from '../../src/config/validate.js';
import { syntheticStudy } from '../../src/experiment/study.js';
import { realStudy } from '../../src/real/study.js';
import { defaultStudy, studies, studyNamed, studyOfConfig, studyOfKeys } from '../../src/study/registry.js';
import type { AnyStudy, StudyRun } from '../../src/study/types.js';
import { repoRoot, runCli } from '../helpers/cli.js';

describe('the study registry', () => {
  it('lists the synthetic and the real-image study, the synthetic one first (the default)', () => {
    expect(studies.map((s) => s.name)).toEqual(['synthetic', 'real']);
    expect(studies).toEqual([syntheticStudy, realStudy]);
    expect(defaultStudy).toBe(syntheticStudy);
    expect(studyNamed(undefined)).toBe(syntheticStudy);
    expect(studyNamed('real')).toBe(realStudy);
    expect(() => studyNamed('quantum', '--study')).toThrow(/^--study: unknown study "quantum" \(must be synthetic or real\)$/);
  });

  it('gives every study its own name, command and job-id prefix (the first keeps the empty one)', () => {
    for (const field of ['name', 'command', 'idPrefix'] as const) {
      expect(new Set(studies.map((s) => s[field])).size, field).toBe(studies.length);
    }
    expect(studies.map((s) => s.command)).toEqual(['run', 'real']);
    expect(syntheticStudy.idPrefix).toBe('');
  });

  it.each(studies.map((s) => [s.name, s] as const))('%s: presets and defaults are valid configs, integer keys are exactly the integer fields', (_, s) => {
    const { configs } = s as AnyStudy;
    expect(configs.schema.safeParse(configs.defaults).success).toBe(true);
    expect(Object.keys(configs.defaults as object)).toEqual(configs.keys);
    expect(Object.keys(configs.fields)).toEqual(configs.keys);
    for (const p of configs.presets) expect(configs.schema.safeParse(presetConfigOf(configs, p.name)).success, p.name).toBe(true);
    for (const k of configs.keys) {
      const v = (configs.defaults as Record<string, unknown>)[k];
      if (typeof v !== 'number') continue;
      // a default at the top of its range (α = 1) is nudged down instead
      const off = [v + 0.001, v - 0.001].some((x) => configs.fields[k].safeParse(x).success);
      expect(off, k).toBe(!s.integerKeys.includes(k));
    }
    expect(s.phases).toEqual(['upstream', 'transfer', 'scratch']);
    expect(s.engines).toContain(s.defaultEngine);
  });

  it('tells the study of a config by its keys, and of a partial mapping by the keys only one study knows', () => {
    expect(studyOfConfig(syntheticStudy.configs.defaults as object)).toBe(syntheticStudy);
    expect(studyOfConfig(realStudy.configs.defaults as object)).toBe(realStudy);
    expect(studyOfKeys(['uNorm', 'alpha'])).toBe(syntheticStudy);
    expect(studyOfKeys(['arch', 'alpha', 'nope'])).toBe(realStudy);
    expect(studyOfKeys(['alpha', 'n1'])).toBeUndefined();
  });
});

describe('result schemas', () => {
  let synthetic: StudyRun<unknown>;
  let real: StudyRun<unknown>;
  beforeAll(async () => {
    synthetic = await syntheticStudy.run({ ...syntheticStudy.configs.defaults, d: 60, n1: 20, n2: 10, nTest: 60, m: 4, steps: 10 });
    real = await realStudy.run(
      {
        ...realStudy.configs.defaults,
        upstreamClasses: [0, 1],
        downstreamClasses: [2, 3],
        n1: 10,
        n2: 4,
        nTest: 10,
        arch: 'reference',
        epochs1: 1,
        epochs2: 1,
        batchSize: 8,
        checkpoints: 1,
      },
      { threads: 1 },
    );
  });

  it("accept the study's own results and refuse the other study's", () => {
    expect(syntheticStudy.resultSchema.safeParse(synthetic.result).success).toBe(true);
    expect(realStudy.resultSchema.safeParse(real.result).success).toBe(true);
    expect(syntheticStudy.resultSchema.safeParse(real.result).success).toBe(false);
    expect(realStudy.resultSchema.safeParse(synthetic.result).success).toBe(false);
  });

  it('refuse a result without its measure, and every phase carries the measure the study names', () => {
    for (const [s, run] of [
      [syntheticStudy, synthetic],
      [realStudy, real],
    ] as const) {
      const r = run.result as Record<string, Record<string, unknown>>;
      for (const ph of s.phases) expect(typeof r[ph][s.measure.key], `${s.name} ${ph}`).toBe('number');
      const broken = structuredClone(r);
      delete broken.transfer[s.measure.key];
      expect(s.resultSchema.safeParse(broken).success, s.name).toBe(false);
    }
  });
});

describe('stores written before the Study interface', () => {
  const fixtures = join(repoRoot, 'test', 'fixtures', 'stores');

  it.each([
    ['synthetic', 'synthetic.yaml', 'syn.csv'],
    ['real', 'real.yaml', 'real.csv'],
  ])('%s: resumes without rerunning a stored job; ids and export are unchanged', async (name, spec, csv) => {
    const dir = join(mkdtempSync(join(tmpdir(), `pt-old-store-${name}-`)), 'out');
    mkdirSync(dir);
    copyFileSync(join(fixtures, name, 'results.sqlite'), join(dir, 'results.sqlite'));
    const ids = () => {
      const db = new Database(join(dir, 'results.sqlite'), { readonly: true });
      try {
        return (db.prepare('SELECT job_id FROM runs ORDER BY job_id').pluck().all() as string[]).join(',');
      } finally {
        db.close();
      }
    };
    const before = ids();
    const r = await runCli(['sweep', join(fixtures, spec), '--out', dir, '--workers', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\(3 already done, 1 run now\)\n$/);
    const after = ids();
    expect(after.split(',')).toHaveLength(4);
    for (const id of before.split(',')) expect(after).toContain(id);
    // The run redone now is the one the old version had stored: the export holds the old one cell for cell, and
    // the keys the study added since hold the values that reproduce the old runs (syn.csv: regenerated with the
    // population error and the current theory's predictions; test/fixtures/stores/README.md).
    const exported = parseCsv((await runCli(['results', '--columns', 'all', dir])).stdout);
    const old = parseCsv(readFileSync(join(fixtures, csv), 'utf8'));
    const study = studyNamed(name);
    const added = exported.columns.filter((c) => !old.columns.includes(c));
    expect(added).toEqual(Object.keys(study.configs.added ?? {}));
    expect(exported.rows).toHaveLength(old.rows.length);
    exported.rows.forEach((row, i) => {
      for (const c of old.columns) expect(row[c], `row ${i} ${c}`).toBe(old.rows[i][c]);
      for (const c of added) expect(row[c], `row ${i} ${c}`).toBe(String(study.configs.added![c]));
    });
  });
});

/** A CSV export as rows of named cells (quoted cells may hold commas: the class lists). */
function parseCsv(text: string): { columns: string[]; rows: Record<string, string>[] } {
  const split = (line: string) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => m[1]);
  const [head, ...lines] = text.trimEnd().split('\n');
  const columns = split(head);
  return { columns, rows: lines.map((l) => Object.fromEntries(split(l).map((v, i) => [columns[i], v]))) };
}

describe('study-kind literals', () => {
  /** Every .ts file under a folder. */
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
    });

  it('appear only in the study modules (src/experiment, src/real) and the registry', () => {
    const allowed = [/^src\/experiment\//, /^src\/real\//, /^src\/study\/registry\.ts$/];
    const offenders: string[] = [];
    for (const f of [...files(join(repoRoot, 'src')), ...files(join(repoRoot, 'web', 'src'))]) {
      const rel = relative(repoRoot, f);
      if (allowed.some((a) => a.test(rel))) continue;
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/(['"`])(synthetic|real)\1/.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
