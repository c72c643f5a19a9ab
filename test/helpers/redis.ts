import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away redis-server for the distributed-sweep tests: a free loopback port, a temp dir, no persistence,
 * `noeviction` (as docs/distributed.md asks). Tests skip when redis-server is missing locally and fail under CI.
 */
function findRedisServer(): string | undefined {
  for (const p of ['redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    const r = spawnSync(p, ['--version'], { encoding: 'utf8' });
    if (r.status === 0 && /Redis server/.test(r.stdout)) return p;
  }
  return undefined;
}

export const redisServer = findRedisServer();
/** Skip (locally) when there is no redis-server; under CI the tests run and fail loudly instead. */
export const skipRedis = !redisServer && !process.env.CI;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisOptions {
  /** `requirepass` (the default user's password) */
  password?: string;
  /** extra ACL users, in `user` directive form: "alice on >pw ~* &* +@all" */
  users?: string[];
  /** serve TLS only, with these PEM files (no client certificates asked) */
  tls?: { cert: string; key: string };
}

export interface RedisServer {
  port: number;
  /** redis://127.0.0.1:PORT (or rediss://localhost:PORT), without credentials */
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  if (!redisServer) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'pt-redis-'));
    const args = [
      '--bind', '127.0.0.1', '--port', opts.tls ? '0' : String(port), '--dir', dir,
      '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction',
      '--daemonize', 'no', '--logfile', '', '--loglevel', 'notice', '--protected-mode', 'no',
    ];
    if (opts.password) args.push('--requirepass', opts.password);
    for (const u of opts.users ?? []) args.push('--user', ...u.split(' '));
    if (opts.tls) {
      args.push('--tls-port', String(port), '--tls-cert-file', opts.tls.cert, '--tls-key-file', opts.tls.key);
      args.push('--tls-auth-clients', 'no');
    }
    const child: ChildProcess = spawn(redisServer, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      const onData = (s: Buffer) => {
        log += s.toString();
        if (/Ready to accept connections/.test(log)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (ready) {
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      return {
        port,
        url: `${opts.tls ? 'rediss://localhost' : 'redis://127.0.0.1'}:${port}`,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    lastError = log.trim().split('\n').slice(-3).join(' | ');
  }
  throw new Error(`redis-server did not start: ${lastError}`);
}

/** A running `paratransfer …` child process whose output the test can wait on. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** resolves with the first match of `re` in stderr (or stdout), waiting up to `ms` */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnCli(bin: string, args: string[], env: Record<string, string> = {}, cwd?: string): CliProcess {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: async (re, ms = 30_000) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = err.match(re) ?? out.match(re);
        if (m) return m;
        if (done || Date.now() > deadline) {
          throw new Error(`${done ? 'process exited' : 'timed out'} waiting for ${re}; stderr:\n${err}\nstdout:\n${out}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
