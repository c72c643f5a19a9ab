import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { sweepTable, toJson } from '../sweep/export.js';
import { SweepStore } from '../sweep/store.js';
import { UserError } from '../util/errors.js';

/** The built explorer (vite build → dist/web/), next to this module's dist/cli/. */
export const defaultWebRoot = fileURLToPath(new URL('../web/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

export function contentType(path: string): string {
  return contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Everything the page may load comes from this server: scripts and workers from 'self' (WebAssembly compiled from
 * bytes needs 'wasm-unsafe-eval'), styles from 'self' only (the page sets styles through the CSSOM), downloads as blobs.
 */
const securityHeaders: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self'; " +
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // Cross-origin isolation: lets the kernels use SharedArrayBuffer should they want threads.
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Where `/results.json` comes from: a sweep directory (exported on every request, so a running sweep grows) or a file. */
export type ResultsSource = { kind: 'sweep'; dir: string } | { kind: 'file'; path: string };

/** The export of `paratransfer results DIR --format json`: one row per (point, seed). */
export async function sweepExportJson(dir: string): Promise<string> {
  const store = SweepStore.read(dir);
  try {
    return toJson(sweepTable(store.plan(), store.runs()));
  } finally {
    store.close();
  }
}

/** Check `--results` at startup: a sweep directory holding results.sqlite, or an exported JSON/CSV file. */
export async function resolveResults(path: string): Promise<ResultsSource> {
  if (!existsSync(path)) throw new UserError(`--results ${path}: no such directory`);
  const st = statSync(path);
  if (st.isFile()) return { kind: 'file', path: resolve(path) };
  if (!st.isDirectory()) throw new UserError(`--results ${path}: not a directory`);
  await sweepExportJson(path); // fails early (no results.sqlite, not a store) with the sweep's own message
  return { kind: 'sweep', dir: resolve(path) };
}

export interface ServeOptions {
  root?: string;
  port: number;
  host: string;
  results?: ResultsSource;
}

/** Host names that reach a loopback listener; other Host headers are refused (DNS-rebinding defence). */
const loopbackNames = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const isLoopback = (host: string) => loopbackNames.has(host) || host.startsWith('127.');

function hostnameOf(header: string | undefined): string {
  if (!header) return '';
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.replace(/:\d+$/, '');
}

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}) {
  res.writeHead(status, { ...securityHeaders, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Resolve a URL path to a file under root, or null: no traversal, no directories, nothing outside root. */
export function staticFile(root: string, pathname: string): string | null {
  const rel = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
  if (rel.endsWith('/') || rel.includes('\0') || rel.split(/[\\/]/).some((s) => s === '..' || s === '.')) return null;
  const full = resolve(root, rel);
  if (!full.startsWith(root.endsWith(sep) ? root : root + sep)) return null;
  if (!existsSync(full)) return null;
  try {
    const real = realpathSync(full);
    const realRoot = realpathSync(root);
    if (!real.startsWith(realRoot + sep) || !statSync(real).isFile()) return null;
    return real;
  } catch {
    return null;
  }
}

export function createExplorerServer(opts: ServeOptions): Server {
  const root = resolve(opts.root ?? defaultWebRoot);
  const loopbackOnly = isLoopback(opts.host);
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', undefined, { Allow: 'GET, HEAD' });
      if (loopbackOnly && !isLoopback(hostnameOf(req.headers.host))) return send(res, 403, 'forbidden host\n');
      // The raw path, not new URL(): a path starting with "//" would be read as a host name.
      const raw = (req.url ?? '/').split(/[?#]/)[0];
      let pathname: string;
      try {
        pathname = decodeURIComponent(raw);
      } catch {
        return send(res, 400, 'bad request\n');
      }
      if (!pathname.startsWith('/')) return send(res, 400, 'bad request\n');
      if (pathname === '/results.json') {
        const r = opts.results;
        if (!r) return send(res, 204, '', undefined, { 'Cache-Control': 'no-store' });
        const source = r.kind === 'sweep' ? basename(r.dir) : basename(r.path);
        try {
          const body = r.kind === 'sweep' ? await sweepExportJson(r.dir) : readFileSync(r.path);
          const type = contentType(r.kind === 'file' ? r.path : 'results.json');
          return send(res, 200, body, type, { 'Cache-Control': 'no-store', 'X-Paratransfer-Source': encodeURIComponent(source) });
        } catch (e) {
          return send(res, 500, `could not export ${source}: ${(e as Error).message}\n`);
        }
      }
      const file = staticFile(root, pathname);
      if (!file) return send(res, 404, 'not found\n');
      const body = readFileSync(file);
      // Hashed bundle names never change content; index.html must always be fresh.
      const cache = pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return send(res, 200, body, contentType(file), { 'Cache-Control': cache });
    })().catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, `internal error: ${(e as Error).message}\n`);
      else res.destroy();
    });
  });
}

/** Listen, turning the usual failures into one-line user errors. Resolves with the bound port. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UserError(`--port ${port}: ${host}:${port} is already in use (choose another port, or --port 0 for any free one)`));
      else if (e.code === 'EACCES') reject(new UserError(`--port ${port}: permission denied (ports below 1024 need privileges)`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN')
        reject(new UserError(`--host ${host}: cannot listen on this address (${e.code})`));
      else reject(e);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolvePort(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UserError(`--port: must be an integer in [0, 65535] (0: any free port), got "${text}"`);
  }
  return n;
}

interface ServeFlags {
  port: string;
  host: string;
  results?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the web explorer (training runs in the browser) on 127.0.0.1')
    .option('--port <n>', 'TCP port (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on; anything but loopback exposes the app to the network', '127.0.0.1')
    .option('--results <dir>', 'a sweep directory (or an exported .json/.csv) to open in the results view')
    .action(async (flags: ServeFlags) => {
      const port = parsePort(flags.port);
      const root = defaultWebRoot;
      if (!existsSync(resolve(root, 'index.html'))) {
        throw new UserError(`the explorer is not built: ${resolve(root, 'index.html')} is missing (run \`npm run build:web\`)`);
      }
      const results = flags.results === undefined ? undefined : await resolveResults(flags.results);
      const server = createExplorerServer({ root, port, host: flags.host, results });
      const bound = await listen(server, port, flags.host);
      const shown = flags.host.includes(':') ? `[${flags.host}]` : flags.host;
      const url = `http://${shown}:${bound}/${results ? '#results' : ''}`;
      process.stdout.write(`paratransfer: serving the explorer at ${url}\n`);
      if (!isLoopback(flags.host)) process.stderr.write(`paratransfer: note: listening on ${flags.host}, reachable from other machines\n`);
      await new Promise<void>((done) => {
        const stop = () => {
          server.close(() => done());
          server.closeAllConnections();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
