import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pt-errors-'));
const spec = join(dir, 'spec.yaml');
writeFileSync(spec, 'base: positive-transfer\nset: { d: 60, n1: 20, n2: 8, nTest: 50, m: 3, steps: 5 }\ngrid: { alpha: [0, 1] }\n');

describe('argument-parser errors read like every other error, and exit 1', () => {
  const cases: [string[], string][] = [
    [['run', '--bogus'], "paratransfer: error: unknown option '--bogus'\n"],
    [['frobnicate'], "paratransfer: error: unknown command 'frobnicate'\n"],
    [['sweep', spec], "paratransfer: error: required option '--out <dir>' not specified\n"],
    [['results'], "paratransfer: error: missing required argument 'dir'\n"],
  ];
  for (const [args, stderr] of cases) {
    it(args.join(' '), async () => {
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(stderr);
      expect(r.stdout).toBe('');
    });
  }

  it('--help and --version still exit 0', async () => {
    expect((await runCli(['--version'])).code).toBe(0);
    expect((await runCli(['run', '--help'])).code).toBe(0);
  });
});

describe('an empty config file runs the defaults with a note naming them', () => {
  it('prints the note on stderr and the defaults run', async () => {
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '# nothing set yet\n');
    const r = await runCli(['run', empty, '--set', 'steps=5', '--set', 'd=60', '--set', 'nTest=50', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^paratransfer: note: .*empty\.yaml sets no keys: running the synthetic experiment's defaults: d=2000 n1=200 n2=40 nTest=2000 m=20 .* checkpoints=12\n$/);
    expect(JSON.parse(r.stdout).config.n1).toBe(200);
  });
});

describe('a corrupt or foreign store is named, and left alone', () => {
  it('corrupt: results, report and sweep name the file in one line', async () => {
    const bad = join(dir, 'corrupt');
    mkdirSync(bad);
    writeFileSync(join(bad, 'results.sqlite'), 'hello, not a database\n'.repeat(20));
    for (const args of [['results', bad], ['report', bad], ['sweep', spec, '--out', bad]]) {
      const r = await runCli(args);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr).toBe(`paratransfer: error: ${join(bad, 'results.sqlite')}: not a SQLite database (corrupt, truncated, or another kind of file)\n`);
    }
    expect(readFileSync(join(bad, 'results.sqlite'), 'utf8')).toMatch(/^hello/);
  });

  it("foreign: another program's SQLite database is refused and not modified", async () => {
    const other = join(dir, 'foreign');
    mkdirSync(other);
    const file = join(other, 'results.sqlite');
    const db = new Database(file);
    db.exec('CREATE TABLE runs (x); CREATE TABLE notes (y)');
    db.close();
    for (const args of [['results', other], ['sweep', spec, '--out', other]]) {
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`paratransfer: error: ${file}: not a paratransfer results store (no meta table): another program's database?\n`);
    }
    const check = new Database(file, { readonly: true });
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all();
    check.close();
    expect(tables).toEqual([{ name: 'notes' }, { name: 'runs' }]);
  });
});
