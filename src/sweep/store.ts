import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../util/errors.js';
import { studyOfConfig } from '../study/registry.js';
import { canonicalConfig, expandJobs, planStudy, showValue, type SweepJob, type SweepPlan } from './grid.js';
import type { JobOutput } from './job.js';

/**
 * DIR/results.sqlite (docs/sweeps.md §store):
 *  meta(key, value)   format, spec (the YAML text), plan (resolved JSON), engine, version (of the creator)
 *  specs(...)         every spec the directory was run with (a resume that extends the sweep adds a row)
 *  runs(job_id UNIQUE, ...) one row per finished (point, seed): the config and the full result as JSON, a few
 *                     measures as columns for ad-hoc SQL, the package version, engine and wall time.
 *  failures(job_id UNIQUE, ...) the last error of a job that failed; cleared when it later succeeds.
 * Each finished run is inserted in its own transaction; the unique job id makes a repeated insert a no-op.
 */
export const storeFile = 'results.sqlite';
const FORMAT = '1';

export interface StoredRun {
  id: string;
  seed: number;
  config: string;
  result: string;
  engine: string;
  version: string;
  seconds: number;
}

export interface StoredFailure {
  id: string;
  seed: number;
  config: string;
  error: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS specs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, spec TEXT NOT NULL, plan TEXT NOT NULL,
  engine TEXT NOT NULL, version TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  job_id TEXT PRIMARY KEY, seed INTEGER NOT NULL, config TEXT NOT NULL, result TEXT NOT NULL,
  err_upstream REAL, err_transfer REAL, err_scratch REAL, gain REAL,
  engine TEXT NOT NULL, version TEXT NOT NULL, seconds REAL NOT NULL, finished_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (
  job_id TEXT PRIMARY KEY, seed INTEGER NOT NULL, config TEXT NOT NULL, error TEXT NOT NULL,
  version TEXT NOT NULL, failed_at TEXT NOT NULL);
`;

function describeJob(job: SweepJob, plan: SweepPlan): string {
  const keys: string[] = plan.axes.flatMap((a) => a.keys);
  const vals = keys.map((k) => `${k}=${showValue((job.config as Record<string, unknown>)[k])}`).join(', ');
  return `${vals ? `${vals}, ` : ''}seed ${job.seed}`;
}

/** Which base keys differ between two plans of one family, for the refusal message. */
function planDiff(stored: SweepPlan, next: SweepPlan): string {
  const diffs: string[] = [];
  const a = stored.base as Record<string, unknown>;
  const b = next.base as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (k !== 'seed' && JSON.stringify(a[k]) !== JSON.stringify(b[k])) diffs.push(`${k} ${showValue(a[k])} → ${showValue(b[k])}`);
  }
  const axes = (p: SweepPlan) => p.axes.map((a) => a.keys.join('+')).join(', ') || 'none';
  if (axes(stored) !== axes(next)) diffs.push(`axes ${axes(stored)} → ${axes(next)}`);
  return diffs.length ? ` (${diffs.slice(0, 4).join('; ')})` : '';
}

/**
 * The convenience columns of a run: each phase's error and the gain. A study measured by accuracy stores its errors
 * as 1 − accuracy (its gain is oriented the same way: > 0 means transfer helps).
 */
function summaryColumns(config: object, result: string): [number, number, number, number] {
  const { measure } = studyOfConfig(config);
  const r = JSON.parse(result) as Record<'upstream' | 'transfer' | 'scratch', Record<string, number>> & { gain: number };
  const error = (v: number) => (measure.higherIsBetter ? 1 - v : v);
  return [error(r.upstream[measure.key]), error(r.transfer[measure.key]), error(r.scratch[measure.key]), r.gain];
}

/**
 * Open a SQLite file and run `setup` on it; a file that is not a database (corrupt, truncated, another format) or
 * that SQLite cannot open is a one-line UserError naming the file, and the handle is closed.
 */
function openDatabase(file: string, options: Database.Options, setup: (db: Database.Database) => void): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, options);
    setup(db);
    return db;
  } catch (e) {
    db?.close();
    if (e instanceof UserError) throw e;
    const code = (e as { code?: string }).code ?? '';
    const why = /NOTADB|CORRUPT/.test(code)
      ? 'not a SQLite database (corrupt, truncated, or another kind of file)'
      : `cannot open it as a results store (${(e as Error).message.split('\n')[0]})`;
    throw new UserError(`${file}: ${why}`);
  }
}

/** A store written by a later, incompatible version (or by another program that uses the same table names). */
function checkFormat(db: Database.Database, file: string): void {
  const hasMeta = db.prepare(`SELECT name FROM sqlite_master WHERE type='table' AND name='meta'`).get();
  if (!hasMeta) throw new UserError(`${file}: not a paratransfer results store (no meta table): another program's database?`);
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'format'`).get() as { value: string } | undefined;
  if (row && row.value !== FORMAT) {
    throw new UserError(`${file}: results store format ${row.value}, this version reads format ${FORMAT}: use the paratransfer version that wrote it`);
  }
}

/** A sweep's results store, DIR/results.sqlite: one row per finished (point, seed), written one transaction each. */
export class SweepStore {
  private constructor(
    readonly dir: string,
    private readonly db: Database.Database,
  ) {}

  get path(): string {
    return join(this.dir, storeFile);
  }

  /** Open (creating DIR if needed) for writing. */
  static open(dir: string): SweepStore {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, storeFile);
    const db = openDatabase(file, {}, (db) => {
      // Another program's database is left untouched (no tables of ours added to it).
      const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type='table'`).get() as { n: number };
      if (tables.n > 0) checkFormat(db, file);
      // WAL: a killed process never corrupts the file; committed runs survive, an interrupted insert rolls back.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 10000');
      db.exec(SCHEMA);
    });
    return new SweepStore(dir, db);
  }

  /** Open an existing store for reading. */
  static read(dir: string): SweepStore {
    const file = join(dir, storeFile);
    if (!existsSync(file)) {
      throw new UserError(`${dir}: no ${storeFile} here (run \`paratransfer sweep SPEC.yaml --out ${dir}\` first)`);
    }
    const db = openDatabase(file, { readonly: true, fileMustExist: true }, (db) => {
      const ok = db.prepare(`SELECT name FROM sqlite_master WHERE type='table' AND name='runs'`).get();
      if (!ok) throw new UserError(`${file}: not a paratransfer results store (no runs table): another program's database?`);
      checkFormat(db, file);
    });
    return new SweepStore(dir, db);
  }

  private getMeta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  /** The resolved plan this directory was (last) run with. */
  plan(): SweepPlan {
    const text = this.getMeta('plan');
    if (!text) throw new UserError(`${this.path}: holds no sweep spec yet`);
    return JSON.parse(text) as SweepPlan;
  }

  /** The spec text this directory was (last) run with. */
  specText(): string {
    return this.getMeta('spec') ?? '';
  }

  /** The engine the sweep runs on. */
  engine(): string {
    return this.getMeta('engine') ?? '';
  }

  /**
   * Bind the store to a sweep. A new store records the spec; an existing one accepts the same sweep, or an extension
   * of it (every stored job is still in the new plan: more grid values or seeds); anything else is refused.
   * Returns notes for the user (extension, version change).
   */
  attach(plan: SweepPlan, specText: string, engine: string, version: string): string[] {
    const notes: string[] = [];
    const storedPlan = this.getMeta('plan');
    const now = new Date().toISOString();
    const record = this.db.transaction(() => {
      const set = this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
      set.run('format', FORMAT);
      set.run('spec', specText);
      set.run('plan', JSON.stringify(plan));
      set.run('engine', engine);
      if (!this.getMeta('version')) set.run('version', version);
      this.db
        .prepare('INSERT INTO specs (spec, plan, engine, version, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(specText, JSON.stringify(plan), engine, version, now);
    });
    if (!storedPlan) {
      record();
      return notes;
    }
    const format = this.getMeta('format');
    if (format !== FORMAT) throw new UserError(`${this.path}: store format ${format} is not supported (expected ${FORMAT})`);
    const old = JSON.parse(storedPlan) as SweepPlan;
    if (planStudy(old) !== planStudy(plan)) {
      const what = (p: SweepPlan) => `a ${planStudy(p).adjective} sweep`;
      throw new UserError(`${this.path} holds ${what(old)}, not ${what(plan)}; use another --out`);
    }
    const storedEngine = this.engine();
    if (storedEngine !== engine) {
      throw new UserError(
        `${this.path}: this sweep ran with --engine ${storedEngine}; resume with the same engine or use another --out`,
      );
    }
    let oldJobs: SweepJob[];
    try {
      oldJobs = expandJobs(old, `${this.path} (stored spec)`).jobs;
    } catch (e) {
      throw new UserError(`${this.path}: its stored spec is no longer valid: ${(e as Error).message}; use another --out`);
    }
    const next = new Set(expandJobs(plan).jobs.map((j) => j.id));
    const missing = oldJobs.find((j) => !next.has(j.id));
    if (missing) {
      throw new UserError(
        `${this.path} holds a different sweep${planDiff(old, plan)}: ` +
          `its run ${describeJob(missing, old)} is not in the new spec; ` +
          'use another --out, or change a spec only by adding grid values or seeds',
      );
    }
    const storedVersion = this.getMeta('version');
    if (storedVersion && storedVersion !== version) {
      notes.push(`runs stored by version ${storedVersion} are kept; new runs use version ${version}`);
    }
    if (next.size > oldJobs.length) notes.push(`extending the stored sweep from ${oldJobs.length} to ${next.size} runs`);
    if (next.size > oldJobs.length || this.specText() !== specText) record();
    return notes;
  }

  /** The ids of every stored run. */
  finishedIds(): Set<string> {
    const rows = this.db.prepare('SELECT job_id FROM runs').pluck().all() as string[];
    return new Set(rows);
  }

  /** Store one finished run in its own transaction; returns false if it was already there. */
  put(job: SweepJob, out: JobOutput, engine: string, version: string): boolean {
    const [errUpstream, errTransfer, errScratch, gain] = summaryColumns(job.config, out.result);
    const tx = this.db.transaction(() => {
      const info = this.db
        .prepare(
          `INSERT INTO runs (job_id, seed, config, result, err_upstream, err_transfer, err_scratch, gain,
             engine, version, seconds, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(job_id) DO NOTHING`,
        )
        .run(
          job.id,
          job.seed,
          canonicalConfig(job.config),
          out.result,
          errUpstream,
          errTransfer,
          errScratch,
          gain,
          engine,
          version,
          out.seconds,
          new Date().toISOString(),
        );
      this.db.prepare('DELETE FROM failures WHERE job_id = ?').run(job.id);
      return info.changes > 0;
    });
    return tx();
  }

  /** Record a job's last error (cleared when it later succeeds). */
  fail(job: SweepJob, error: string, version: string): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO failures (job_id, seed, config, error, version, failed_at) VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(job.id, job.seed, canonicalConfig(job.config), error, version, new Date().toISOString());
  }

  /** Every stored run, by job id. */
  runs(): StoredRun[] {
    return this.db
      .prepare('SELECT job_id AS id, seed, config, result, engine, version, seconds FROM runs ORDER BY job_id')
      .all() as StoredRun[];
  }

  /** Every job whose last attempt failed, by job id. */
  failures(): StoredFailure[] {
    return this.db
      .prepare('SELECT job_id AS id, seed, config, error FROM failures ORDER BY job_id')
      .all() as StoredFailure[];
  }

  /** Close the database. */
  close(): void {
    this.db.close();
  }
}

/**
 * One sweep process per directory: DIR/.sweep.lock holds the owner's pid. A lock left by a dead process
 * (kill -9) is taken over.
 */
export function lockDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, '.sweep.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new UserError(`${dir}: another sweep (pid ${pid}) is writing here; wait for it or stop it`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new UserError(`${dir}: could not take the sweep lock ${file}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
