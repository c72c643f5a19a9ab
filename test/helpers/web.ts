import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { binPath, repoRoot, runProcess } from './cli.js';

/** Debian's chromium (`apt-get install -y chromium`); override with PARATRANSFER_CHROMIUM. */
export const chromiumPath = process.env.PARATRANSFER_CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = existsSync(chromiumPath);

/** Headless flags: no GPU, no sandbox (containers), and nothing that reaches the network on its own. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Build the explorer into dist/web (the current web/ sources); returns vite's output. */
export async function buildWeb(): Promise<string> {
  const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  const r = await runProcess(process.execPath, [vite, 'build', '-c', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: repoRoot,
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`vite build failed (${r.code}):\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

export interface Served {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Start `paratransfer serve --port 0 …` and wait for the line with its URL. */
export function serve(args: string[] = []): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, 'serve', '--port', '0', ...args], { cwd: repoRoot, stdio: 'pipe' });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start: ${out}${err}`));
    }, 20_000);
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /serving the explorer at (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const stop = () =>
        new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        });
      resolve({ url: m[1], port: Number(m[2]), child, stop });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}): ${out}${err}`));
    });
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path sent exactly as given (fetch would normalise "/../"), and any Host header. */
export function rawGet(port: number, path: string, opts: { method?: string; host?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.host ? { Host: opts.host } : {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (s: string) => (body += s));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
