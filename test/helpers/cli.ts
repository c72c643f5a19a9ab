import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root and the built CLI (test/setup/build.ts compiles dist/ before the tests run). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const binPath = fileURLToPath(new URL('../../bin/paratransfer.js', import.meta.url));

export interface ProcessResult {
  /** exit code; -1 when the process was killed by a signal or could not start */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** added to (not replacing) the current environment; `undefined` values remove a variable */
  env?: Record<string, string | undefined>;
  /** written to the child's stdin, which is then closed */
  input?: string;
  /** kill the child after this many milliseconds (default 60 s) */
  timeoutMs?: number;
}

function childEnv(extra: RunOptions['env'] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Run any program with pipes (so stdout/stderr are not terminals) and collect its output. */
export function runProcess(command: string, args: string[], opts: RunOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd ?? repoRoot, env: childEnv(opts.env), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Run `paratransfer …args` from the built dist/ (as `npx paratransfer` would). */
export function runCli(args: string[], opts: RunOptions = {}): Promise<ProcessResult> {
  return runProcess(process.execPath, [binPath, ...args], opts);
}

/** Synchronous variant, for probes at collection time (e.g. "is there a Python with NumPy?"). */
export function runProcessSync(command: string, args: string[], opts: RunOptions = {}): ProcessResult {
  const r = spawnSync(command, args, {
    cwd: opts.cwd ?? repoRoot,
    env: childEnv(opts.env),
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}
