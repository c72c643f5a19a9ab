import { Queue, type RedisOptions } from 'bullmq';
import { UserError } from '../../util/errors.js';
import { queueName, queuePrefix } from './protocol.js';
import { redact, type RedisTarget } from './url.js';

/** How long the first connection may take before the command gives up with a one-line error. */
export const connectTimeoutMs = 10_000;

/** ioredis options for a target. TLS uses the system's CAs (add one with NODE_EXTRA_CA_CERTS). */
export function redisOptions(t: RedisTarget, extra: RedisOptions = {}): RedisOptions {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username ? { username: t.username } : {}),
    ...(t.password ? { password: t.password } : {}),
    ...(t.tls ? { tls: {} } : {}),
    connectTimeout: connectTimeoutMs,
    ...extra,
  };
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** A Redis or network error as one short, redacted phrase. */
export function describeRedisError(e: unknown, t: RedisTarget): string {
  const m = message(e);
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? '';
  let why = m;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(m)) why = 'connection refused';
  else if (code === 'ETIMEDOUT' || /ETIMEDOUT|timed? ?out/i.test(m)) why = `no answer within ${connectTimeoutMs / 1000} s`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /ENOTFOUND|EAI_AGAIN/.test(m)) why = 'unknown host';
  else if (/WRONGPASS|invalid password|invalid username-password/i.test(m)) why = 'authentication failed (bad user name or password)';
  else if (/NOAUTH|Authentication required/i.test(m)) {
    why = 'the server requires a password (give USER:PASSWORD@ in the URL, or set PARATRANSFER_REDIS_PASSWORD)';
  } else if (/NOPERM/.test(m)) why = `the Redis user lacks a permission (${m})`;
  else if (/certificate|SSL|TLS|EPROTO|handshake/i.test(m) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) {
    why = `TLS failed: ${m}`;
  } else if (/Connection is closed|ECONNRESET|EPIPE/i.test(m)) why = 'the connection was closed by the server';
  return redact(why, t);
}

export function unreachable(e: unknown, t: RedisTarget): UserError {
  return new UserError(`cannot reach Redis at ${t.display}: ${describeRedisError(e, t)}`);
}

export interface OpenOptions {
  /** keep reconnecting after the first connection drops (long-lived coordinator); admin commands do not */
  reconnect?: boolean;
  timeoutMs?: number;
}

/**
 * Open the sweep queue and wait until Redis answers, or fail within `timeoutMs` with a one-line redacted error.
 * The first connection is never retried (an unreachable server is reported at once); later drops reconnect with
 * backoff when `reconnect` is set. Commands time out after 30 s so nothing waits forever on a silent server.
 */
export async function openQueue(t: RedisTarget, opts: OpenOptions = {}): Promise<Queue> {
  let connected = false;
  const queue = new Queue(queueName, {
    prefix: queuePrefix,
    connection: redisOptions(t, {
      maxRetriesPerRequest: 1,
      commandTimeout: 30_000,
      retryStrategy: (times: number) => (connected && opts.reconnect ? Math.min(500 * 2 ** times, 10_000) : null),
    }),
  });
  let lastError: unknown;
  // An 'error' with no listener would crash the process (and print the raw error).
  queue.on('error', (e) => (lastError = e));
  const timeoutMs = opts.timeoutMs ?? connectTimeoutMs + 2_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.waitUntilReady(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(lastError ?? Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
      }),
    ]);
    connected = true;
    return queue;
  } catch (e) {
    await queue.disconnect().catch(() => {});
    throw unreachable(lastError ?? e, t);
  } finally {
    clearTimeout(timer);
  }
}

/** Close a queue without waiting forever on a dead connection. */
export async function closeQueue(queue: Queue, ms = 3_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = queue.close().then(
    () => true,
    () => false,
  );
  const ok = await Promise.race([closed, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  if (!ok) await queue.disconnect().catch(() => {});
}

/** The Redis settings docs/distributed.md asks for, read from INFO (empty when INFO is not allowed). */
export async function serverInfo(queue: Queue): Promise<Record<string, string>> {
  try {
    const client = await queue.client;
    const text = await client.info();
    const out: Record<string, string> = {};
    for (const line of text.split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
  } catch {
    return {};
  }
}
