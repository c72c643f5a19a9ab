import { UserError } from '../../util/errors.js';

/**
 * Where the queue lives: `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` or `rediss://…` (TLS). The password may also
 * come from the environment (PARATRANSFER_REDIS_PASSWORD) so that it never appears in a process listing.
 * Nothing here is ever printed except `display`, which has the password replaced by ***.
 */
export interface RedisTarget {
  tls: boolean;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** the URL as it is safe to print */
  display: string;
  /** the URL as typed, when it holds a password (replaced by `display` in messages) */
  typed?: string;
  /** every spelling of the password (replaced by *** in messages) */
  secrets: string[];
}

export const passwordEnv = 'PARATRANSFER_REDIS_PASSWORD';

const usage = 'must be redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or rediss://… (TLS)';

/** Best-effort redaction of a URL-looking string that did not parse: hide anything between "//user:" and "@". */
export function redactUrlText(text: string): string {
  return text.replace(/(\/\/[^/@\s]*?:)\S*@/g, '$1***@');
}

/** A --queue value as it may be echoed in an error: whatever precedes the last "@" (user, password) is hidden. */
function echo(text: string): string {
  const at = text.lastIndexOf('@');
  if (at < 0) return text;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? '';
  return `${scheme}***@${text.slice(at + 1)}`;
}

function fail(text: string, why: string): never {
  throw new UserError(`--queue: ${why} (got "${echo(text)}"); ${usage}`);
}

export function parseQueueUrl(text: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(text, 'not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') fail(text, `unsupported scheme "${url.protocol}"`);
  if (!url.hostname) fail(text, 'no host');
  if (url.search || url.hash) fail(text, 'no query or fragment is allowed');
  const port = url.port === '' ? 6379 : Number(url.port);
  if (port < 1) fail(text, 'the port must be in [1, 65535]');
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) fail(text, `the path must be a database number, not "/${path}"`);
  const db = path === '' ? 0 : Number(path);
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = url.username ? decodeURIComponent(url.username) : undefined;
    password = url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    fail(text, 'badly escaped user or password');
  }
  if (password === undefined && env[passwordEnv]) password = env[passwordEnv];
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const auth = url.password ? `${url.username}:***@` : url.username ? `${url.username}@` : '';
  return {
    tls: url.protocol === 'rediss:',
    host,
    port,
    db,
    username,
    password,
    display: `${url.protocol}//${auth}${shownHost}:${port}/${db}`,
    ...(url.password ? { typed: text } : {}),
    secrets: password ? [password, url.password, encodeURIComponent(password)].filter(Boolean) : [],
  };
}

/** Scrub every form of the secret (and the raw URL) out of a message before it is printed or logged. */
export function redact(message: string, target: RedisTarget): string {
  let out = target.typed ? message.split(target.typed).join(target.display) : message;
  // Longest first, so that a spelling containing another is removed whole.
  for (const form of [...new Set(target.secrets)].sort((a, b) => b.length - a.length)) out = out.split(form).join('***');
  return redactUrlText(out);
}
